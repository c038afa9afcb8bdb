//! VASP POSCAR / CONTCAR reader and writer.
//!
//! Format: comment line; scale (one value: > 0 multiplies the lattice, < 0 is the target cell
//! volume in A^3; or three per-axis factors); three lattice vectors; species symbols (VASP 5,
//! e.g. `Ti O` or `Ti_pv O`); counts; optional `Selective dynamics`; `Direct` or `Cartesian`
//! (first letter, any case; `C`/`K` mean Cartesian); one line per atom (extra columns such as
//! `T T F` flags are ignored). Cartesian coordinates are scaled like the lattice. A VASP 4 file
//! without a species line is accepted only when its comment line starts with the symbols.

use std::fmt::Write as _;
use std::path::Path;

use crate::crystal::{Crystal, MAX_ATOMS};
use crate::elements::{parse_species_label, Element};
use crate::error::{CrystalError, DataError, Result};
use crate::mat3::det3;

/// Read a POSCAR/CONTCAR file.
///
/// # Errors
/// [`DataError::Io`], or [`DataError::Parse`] naming the file, the 1-based line and the field
/// (`scale`, `lattice`, `species`, `counts`, `coordinates`, ...).
pub fn read_poscar(path: impl AsRef<Path>) -> Result<Crystal> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_poscar(&text, path)
}

fn floats(line: &str, n: usize) -> Option<Vec<f64>> {
    let v: Vec<f64> = line
        .split_whitespace()
        .take(n)
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    (v.len() == n).then_some(v)
}

/// Parse POSCAR text; `path` is only used in error messages.
///
/// # Errors
/// As [`read_poscar`].
pub fn parse_poscar(text: &str, path: &Path) -> Result<Crystal> {
    let lines: Vec<&str> = text.lines().collect();
    let get = |i: usize, field: &str| {
        lines
            .get(i)
            .copied()
            .ok_or_else(|| DataError::parse(path, i + 1, field, "file ends early (truncated?)"))
    };
    let comment = get(0, "comment")?;
    // Scale.
    let scale_line = get(1, "scale")?;
    let scale_tokens: Vec<f64> = scale_line
        .split_whitespace()
        .map_while(|t| t.parse().ok())
        .collect();
    if !(scale_tokens.len() == 1 || scale_tokens.len() == 3)
        || scale_tokens.iter().any(|x| !x.is_finite() || *x == 0.0)
    {
        return Err(DataError::parse(
            path,
            2,
            "scale",
            format!(
                "expected one non-zero number or three, found `{}`",
                scale_line.trim()
            ),
        ));
    }
    let mut lattice = [[0.0; 3]; 3];
    for (k, row) in lattice.iter_mut().enumerate() {
        let l = get(2 + k, "lattice")?;
        let v = floats(l, 3).ok_or_else(|| {
            DataError::parse(
                path,
                3 + k,
                "lattice",
                format!("expected 3 numbers, found `{}`", l.trim()),
            )
        })?;
        row.copy_from_slice(&v);
    }
    let factors: [f64; 3] = if scale_tokens.len() == 3 {
        [scale_tokens[0], scale_tokens[1], scale_tokens[2]]
    } else if scale_tokens[0] < 0.0 {
        let v0 = det3(&lattice).abs();
        if v0 <= 0.0 {
            return Err(DataError::parse(
                path,
                3,
                "lattice",
                "singular lattice: cannot scale to a volume",
            ));
        }
        let s = (-scale_tokens[0] / v0).cbrt();
        [s; 3]
    } else {
        [scale_tokens[0]; 3]
    };
    if scale_tokens.len() == 3 && scale_tokens.iter().any(|x| *x < 0.0) {
        return Err(DataError::parse(
            path,
            2,
            "scale",
            "per-axis scale factors must be positive",
        ));
    }
    for row in &mut lattice {
        for (x, f) in row.iter_mut().zip(factors) {
            *x *= f;
        }
    }
    // Species (VASP 5) and counts.
    let mut i = 5;
    let line6 = get(i, "species")?;
    let first_is_number = line6
        .split_whitespace()
        .next()
        .is_some_and(|t| t.parse::<usize>().is_ok());
    let (species_line, species): (usize, Vec<String>) = if first_is_number {
        // VASP 4: take symbols from the comment line.
        (1, comment.split_whitespace().map(str::to_string).collect())
    } else {
        i += 1;
        (6, line6.split_whitespace().map(str::to_string).collect())
    };
    let counts_line = get(i, "counts")?;
    let counts_line_no = i + 1;
    let counts: Vec<usize> = counts_line
        .split_whitespace()
        .map(|t| {
            t.parse().map_err(|_| {
                DataError::parse(path, i + 1, "counts", format!("`{t}` is not a count"))
            })
        })
        .collect::<Result<_>>()?;
    if counts.is_empty() {
        return Err(DataError::parse(path, i + 1, "counts", "no counts"));
    }
    if species.len() < counts.len() {
        return Err(DataError::parse(
            path,
            species_line,
            "species",
            format!(
                "{} counts but {} species symbols",
                counts.len(),
                species.len()
            ),
        ));
    }
    let mut zs = Vec::with_capacity(counts.len());
    for s in &species[..counts.len()] {
        let el = parse_species_label(s).ok_or_else(|| {
            DataError::parse(
                path,
                species_line,
                "species",
                format!(
                    "unknown element `{s}`{}",
                    if first_is_number {
                        " (VASP 4 file: symbols are taken from the comment line)"
                    } else {
                        ""
                    }
                ),
            )
        })?;
        zs.push(el.z);
    }
    i += 1;
    let mut mode = get(i, "coordinates")?.trim();
    if mode.starts_with(['s', 'S']) {
        i += 1;
        mode = get(i, "coordinates")?.trim();
    }
    let cartesian = mode.starts_with(['c', 'C', 'k', 'K']);
    if !cartesian && !mode.starts_with(['d', 'D']) {
        return Err(DataError::parse(
            path,
            i + 1,
            "coordinates",
            format!("expected `Direct` or `Cartesian`, found `{mode}`"),
        ));
    }
    i += 1;
    // Checked against MAX_ATOMS and the lines present before anything is allocated for it.
    let n = counts
        .iter()
        .try_fold(0usize, |acc, &c| acc.checked_add(c))
        .filter(|&n| n <= MAX_ATOMS)
        .ok_or_else(|| {
            DataError::parse(
                path,
                counts_line_no,
                "counts",
                format!(
                    "`{}` adds up to more than {MAX_ATOMS} atoms (MAX_ATOMS)",
                    counts_line.trim()
                ),
            )
        })?;
    // A file with fewer lines than atoms fails at its first missing line, below.
    let capacity = n.min(lines.len().saturating_sub(i));
    let first_coordinate_line = i + 1;
    let mut numbers = Vec::with_capacity(capacity);
    let mut positions = Vec::with_capacity(capacity);
    for (&z, &count) in zs.iter().zip(&counts) {
        for _ in 0..count {
            let l = get(i, "coordinates")?;
            let v = floats(l, 3).ok_or_else(|| {
                DataError::parse(
                    path,
                    i + 1,
                    "coordinates",
                    format!("expected 3 numbers, found `{}`", l.trim()),
                )
            })?;
            let p = [v[0], v[1], v[2]];
            positions.push(if cartesian {
                [p[0] * factors[0], p[1] * factors[1], p[2] * factors[2]]
            } else {
                crate::mat3::frac_to_cart(&lattice, &p)
            });
            numbers.push(z);
            i += 1;
        }
    }
    Crystal::new(lattice, numbers, positions).map_err(|e| {
        let (line, field) = match e {
            CrystalError::SingularLattice { .. } | CrystalError::NonFinite { what: "lattice" } => {
                (3, "lattice")
            }
            CrystalError::AtomsTooClose { j, .. } => (first_coordinate_line + j, "coordinates"),
            CrystalError::NonFinite { .. } => (first_coordinate_line, "coordinates"),
            _ => (counts_line_no, "counts"),
        };
        DataError::parse(path, line, field, format!("invalid crystal: {e}"))
    })
}

/// POSCAR text (VASP 5, scale 1, Direct coordinates) of a crystal.
///
/// Atoms are grouped by element (POSCAR requires contiguous species blocks), elements in order
/// of first appearance; within a group the original order is kept. Floats use Rust's shortest
/// round-trip formatting, so reading back gives the same numbers (up to the grouping).
pub fn crystal_to_poscar(c: &Crystal, comment: &str) -> String {
    let mut order: Vec<u8> = Vec::new();
    for &z in c.numbers() {
        if !order.contains(&z) {
            order.push(z);
        }
    }
    let frac = c.fractional_positions();
    let mut s = String::new();
    let _ = writeln!(s, "{}", comment.lines().next().unwrap_or(""));
    let _ = writeln!(s, "1.0");
    for row in c.lattice() {
        let _ = writeln!(s, "  {:?} {:?} {:?}", row[0], row[1], row[2]);
    }
    let syms: Vec<&str> = order
        .iter()
        .map(|&z| Element::from_z(z).map_or("X", |e| e.symbol))
        .collect();
    let _ = writeln!(s, "  {}", syms.join(" "));
    let counts: Vec<String> = order
        .iter()
        .map(|&z| c.numbers().iter().filter(|&&n| n == z).count().to_string())
        .collect();
    let _ = writeln!(s, "  {}", counts.join(" "));
    let _ = writeln!(s, "Direct");
    for &z in &order {
        for (f, _) in frac.iter().zip(c.numbers()).filter(|(_, &n)| n == z) {
            let _ = writeln!(s, "  {:?} {:?} {:?}", f[0], f[1], f[2]);
        }
    }
    s
}

/// Write a crystal as a POSCAR file (see [`crystal_to_poscar`]); the comment is the reduced
/// formula.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be written.
pub fn write_poscar(path: impl AsRef<Path>, c: &Crystal) -> Result<()> {
    let path = path.as_ref();
    std::fs::write(path, crystal_to_poscar(c, &c.reduced_formula())).map_err(|source| {
        DataError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::test_support::{assert_same_crystal, sample_crystal};

    const RUTILE: &str = "TiO2 rutile
1.0
  4.603 0.0 0.0
  0.0 4.603 0.0
  0.0 0.0 2.969
  Ti O
  2 4
Selective dynamics
Direct
  0.0 0.0 0.0 T T T
  0.5 0.5 0.5 T T T
  0.3046 0.3046 0.0 F F F
  0.6954 0.6954 0.0 F F F
  0.1954 0.8046 0.5 T F T
  0.8046 0.1954 0.5 T F T
";

    #[test]
    fn reads_selective_dynamics_and_scales() {
        let p = Path::new("POSCAR");
        let c = parse_poscar(RUTILE, p).unwrap();
        assert_eq!(c.numbers(), [22, 22, 8, 8, 8, 8]);
        assert!((c.positions()[2][0] - 0.3046 * 4.603).abs() < 1e-12);
        // Scale 2 doubles everything.
        let c2 = parse_poscar(&RUTILE.replacen("1.0", "2.0", 1), p).unwrap();
        assert!((c2.volume() - 8.0 * c.volume()).abs() < 1e-9);
        // Negative scale = target volume.
        let c3 = parse_poscar(&RUTILE.replacen("1.0", "-100.0", 1), p).unwrap();
        assert!((c3.volume() - 100.0).abs() < 1e-9);
        // Cartesian coordinates are scaled like the lattice.
        let cart = "x\n2.0\n1 0 0\n0 1 0\n0 0 1\nNa Cl\n1 1\nCartesian\n0 0 0\n0.5 0.5 0.5\n";
        let c4 = parse_poscar(cart, p).unwrap();
        assert_eq!(c4.positions()[1], [1.0, 1.0, 1.0]);
        // VASP 4 with symbols in the comment, POTCAR-style suffixes.
        let v4 = "Na_pv Cl\n1.0\n2 0 0\n0 2 0\n0 0 2\n1 1\nD\n0 0 0\n0.5 0.5 0.5\n";
        assert_eq!(parse_poscar(v4, p).unwrap().numbers(), [11, 17]);
        let v5 = "x\n1.0\n2 0 0\n0 2 0\n0 0 2\nNa_pv/abc123 Cl\n1 1\nD\n0 0 0\n0.5 0.5 0.5\n";
        assert_eq!(parse_poscar(v5, p).unwrap().numbers(), [11, 17]);
    }

    #[test]
    fn errors_name_line_and_field() {
        let p = Path::new("POSCAR");
        let msg = parse_poscar(&RUTILE.replace("  0.0 4.603 0.0", "  0.0 4.603"), p)
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("POSCAR:4: field `lattice`"), "{msg}");
        let msg = parse_poscar(&RUTILE.replace("  Ti O", "  Ti Qq"), p)
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("POSCAR:6: field `species`") && msg.contains("`Qq`"),
            "{msg}"
        );
        let msg = parse_poscar(&RUTILE.replace("  2 4", "  2 x"), p)
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("POSCAR:7: field `counts`"), "{msg}");
        let truncated: String = RUTILE.lines().take(12).map(|l| format!("{l}\n")).collect();
        let msg = parse_poscar(&truncated, p).unwrap_err().to_string();
        assert!(
            msg.starts_with("POSCAR:13: field `coordinates`") && msg.contains("truncated"),
            "{msg}"
        );
        let msg = parse_poscar(&RUTILE.replace("Direct", "Fractional"), p)
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("POSCAR:9: field `coordinates`"), "{msg}");
        let msg = parse_poscar(&RUTILE.replace("  0.0 0.0 2.969", "  4.603 4.603 0.0"), p)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("singular lattice"), "{msg}");
    }

    /// Counts from the file are checked against MAX_ATOMS and against the lines present
    /// before any memory is reserved for them (these used to abort the process).
    #[test]
    fn huge_or_overflowing_counts_are_errors_not_aborts() {
        let p = Path::new("POSCAR");
        for counts in [
            "1000000000 4",
            "1000000000000000000 1",
            "18446744073709551615 1",
        ] {
            let msg = parse_poscar(&RUTILE.replace("  2 4", &format!("  {counts}")), p)
                .unwrap_err()
                .to_string();
            assert!(
                msg.starts_with("POSCAR:7: field `counts`") && msg.contains("MAX_ATOMS"),
                "{msg}"
            );
        }
        // Within the limit but more atoms than lines: the first missing line is named.
        let msg = parse_poscar(&RUTILE.replace("  2 4", "  2 400"), p)
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("POSCAR:16: field `coordinates`") && msg.contains("truncated"),
            "{msg}"
        );
        let msg = parse_poscar(&RUTILE.replace("  2 4", "  0 0"), p)
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("POSCAR:7: field `counts`"), "{msg}");
        // Two atoms on one site: the error points at the second one's line.
        let msg = parse_poscar(&RUTILE.replace("  0.5 0.5 0.5 T T T", "  0.0 0.0 0.0"), p)
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("POSCAR:11: field `coordinates`"), "{msg}");
    }

    #[test]
    fn round_trip() {
        let c = sample_crystal();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("POSCAR");
        write_poscar(&p, &c).unwrap();
        let back = read_poscar(&p).unwrap();
        assert_same_crystal(&c, &back, 1e-8);
    }

    #[test]
    fn writer_groups_species() {
        let l = [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]];
        let c =
            Crystal::from_fractional(l, vec![8, 22, 8], &[[0.0; 3], [0.5; 3], [0.25, 0.0, 0.0]])
                .unwrap();
        let back = parse_poscar(&crystal_to_poscar(&c, "x"), Path::new("P")).unwrap();
        assert_eq!(back.numbers(), [8, 8, 22]);
        assert_eq!(back.positions()[1], c.positions()[2]);
        assert_eq!(back.positions()[2], c.positions()[1]);
    }
}
