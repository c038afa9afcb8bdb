//! Symmetry operations on fractional coordinates, as CIF files and space-group tables write
//! them (`x,y+1/2,-z`).

/// A symmetry operation on fractional coordinates: `f' = rot f + trans`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymOp {
    /// Rotation part, row i gives the coefficients of x, y, z in component i.
    pub rot: [[f64; 3]; 3],
    /// Translation part.
    pub trans: [f64; 3],
}

impl SymOp {
    /// Apply to fractional coordinates.
    pub fn apply(&self, f: &[f64; 3]) -> [f64; 3] {
        let mut out = self.trans;
        for (o, r) in out.iter_mut().zip(&self.rot) {
            *o += r[0] * f[0] + r[1] * f[1] + r[2] * f[2];
        }
        out
    }
}

/// Parse an operation in `x,y+1/2,-z` form (spaces, upper case, `x-y`, `1/2+x`, `0.5`, `2*x`
/// allowed).
///
/// # Errors
/// A message saying which component is malformed.
pub fn parse_symop(s: &str) -> std::result::Result<SymOp, String> {
    let parts: Vec<&str> = s.split(',').collect();
    if parts.len() != 3 {
        return Err(format!("`{s}`: expected 3 comma-separated components"));
    }
    let mut op = SymOp {
        rot: [[0.0; 3]; 3],
        trans: [0.0; 3],
    };
    for (k, part) in parts.iter().enumerate() {
        let p: Vec<u8> = part
            .bytes()
            .filter(|c| !c.is_ascii_whitespace())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if p.is_empty() {
            return Err(format!("`{s}`: component {} is empty", k + 1));
        }
        let bad = || format!("`{s}`: cannot read component {} `{}`", k + 1, part.trim());
        let mut i = 0;
        while i < p.len() {
            let mut sign = 1.0;
            if p[i] == b'+' || p[i] == b'-' {
                sign = if p[i] == b'-' { -1.0 } else { 1.0 };
                i += 1;
            }
            let start = i;
            while i < p.len() && (p[i].is_ascii_digit() || p[i] == b'.') {
                i += 1;
            }
            let mut num = if i > start {
                Some(
                    std::str::from_utf8(&p[start..i])
                        .ok()
                        .and_then(|t| t.parse::<f64>().ok())
                        .ok_or_else(bad)?,
                )
            } else {
                None
            };
            if i < p.len() && p[i] == b'/' {
                i += 1;
                let ds = i;
                while i < p.len() && (p[i].is_ascii_digit() || p[i] == b'.') {
                    i += 1;
                }
                let den: f64 = std::str::from_utf8(&p[ds..i])
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(bad)?;
                if den == 0.0 || num.is_none() {
                    return Err(bad());
                }
                num = num.map(|n| n / den);
            }
            if i < p.len() && p[i] == b'*' {
                i += 1;
            }
            let var = match p.get(i) {
                Some(b'x') => Some(0),
                Some(b'y') => Some(1),
                Some(b'z') => Some(2),
                _ => None,
            };
            match (var, num) {
                (Some(v), n) => {
                    i += 1;
                    op.rot[k][v] += sign * n.unwrap_or(1.0);
                }
                (None, Some(n)) => op.trans[k] += sign * n,
                (None, None) => return Err(bad()),
            }
        }
    }
    Ok(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symop_forms() {
        let op = parse_symop("x,y+1/2,-z").unwrap();
        assert_eq!(op.apply(&[0.1, 0.2, 0.3]), [0.1, 0.7, -0.3]);
        let op = parse_symop(" -X+Y , 1/2+x , Z+0.25").unwrap();
        assert_eq!(op.rot, [[-1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]);
        assert_eq!(op.trans, [0.0, 0.5, 0.25]);
        assert_eq!(parse_symop("2*x,y,z").unwrap().rot[0][0], 2.0);
        assert!(parse_symop("x,y").is_err());
        assert!(parse_symop("x,y,q").is_err());
        assert!(parse_symop("x,y,1/0").is_err());
    }
}
