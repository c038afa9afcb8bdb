//! Extended XYZ reader (ASE's `extxyz`, the format of most machine-learned-potential data sets).
//!
//! A file is one or more frames; each frame is one structure:
//!
//! ```text
//! 2
//! Lattice="0 2.82 2.82 2.82 0 2.82 2.82 2.82 0" Properties=species:S:1:pos:R:3 pbc="T T T"
//! Na 0 0 0
//! Cl 2.82 2.82 2.82
//! ```
//!
//! Line 1 is the atom count; line 2 holds `key=value` pairs (values bare, in double quotes or in
//! braces, `\"` escapes, bare keys mean true): `Lattice` (nine numbers, the three lattice
//! vectors in A as rows, required), `Properties` (`name:type:columns` triples; default
//! `species:S:1:pos:R:3`) and `pbc` (three of `T`/`F`/`True`/`False`; default `T T T` when a
//! lattice is given). Every other key (`energy`, `stress`, `config_type`, ...) is ignored.
//! Per-atom lines follow, their columns as `Properties` says: the element from `species`
//! (`S`, a symbol such as `Fe` or a label such as `Fe1`) or, without it, `Z` (`I`, the atomic
//! number), Cartesian positions from `pos` (`R:3`, A); other columns (`forces`, `magmoms`, ...)
//! are skipped. Frames without a lattice (molecules; plain XYZ) or with `pbc="F F F"` are
//! refused, since a crystal needs a cell; a frame periodic along only some axes (a slab) is read
//! as a crystal with the cell as given, vacuum included.

use std::path::Path;

use crate::crystal::{Crystal, MAX_ATOMS};
use crate::elements::{parse_species_label, Element};
use crate::error::{DataError, Result};

/// Most columns one `Properties` entry may declare (ASE's widest common ones are 9, a per-atom
/// stress); a larger number is refused rather than trusted.
const MAX_PROPERTY_COLUMNS: usize = 64;

/// Default `Properties` when the comment line has none (ASE's default).
const DEFAULT_PROPERTIES: &str = "species:S:1:pos:R:3";

/// Read every frame of an extended XYZ file.
///
/// # Errors
/// [`DataError::Io`], or [`DataError::Parse`] naming the file, the 1-based line and the field
/// (`atom count`, `Lattice`, `Properties`, `pbc`, `species`, `Z`, `pos`).
pub fn read_extxyz(path: impl AsRef<Path>) -> Result<Vec<Crystal>> {
    let path = path.as_ref();
    let text = crate::io::read_text(path)?;
    parse_extxyz(&text, path)
}

/// One column group of `Properties`: name, type letter and column count.
#[derive(Debug, Clone, PartialEq)]
struct Property {
    name: String,
    kind: char,
    columns: usize,
}

/// Parse extended XYZ text (every frame); `path` is only used in error messages.
///
/// ```
/// let text = "2\nLattice=\"0 2.82 2.82 2.82 0 2.82 2.82 2.82 0\" Properties=species:S:1:pos:R:3 pbc=\"T T T\"\nNa 0 0 0\nCl 2.82 2.82 2.82\n";
/// let frames = dos_data::io::extxyz::parse_extxyz(text, "nacl.xyz".as_ref()).unwrap();
/// assert_eq!((frames.len(), frames[0].reduced_formula().as_str()), (1, "NaCl"));
/// ```
///
/// # Errors
/// As [`read_extxyz`].
pub fn parse_extxyz(text: &str, path: &Path) -> Result<Vec<Crystal>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut frames = Vec::new();
    let mut i = 0;
    loop {
        // Blank lines between frames (and at the end) are allowed.
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        if i >= lines.len() {
            break;
        }
        let count_line = i + 1;
        let first = lines[i].trim();
        let n: usize = match first.split_whitespace().collect::<Vec<_>>().as_slice() {
            [t] => t.parse().map_err(|_| {
                DataError::parse(
                    path,
                    count_line,
                    "atom count",
                    format!("expected the number of atoms, found `{first}`"),
                )
            })?,
            _ => {
                return Err(DataError::parse(
                    path,
                    count_line,
                    "atom count",
                    format!("expected the number of atoms alone on the line, found `{first}`"),
                ))
            }
        };
        if n == 0 || n > MAX_ATOMS {
            return Err(DataError::parse(
                path,
                count_line,
                "atom count",
                format!("{n} atoms: expected 1 to {MAX_ATOMS} (MAX_ATOMS)"),
            ));
        }
        // Checked before anything is allocated for the frame: the count must fit the file.
        if lines.len() - i < n + 2 {
            return Err(DataError::parse(
                path,
                count_line,
                "atom count",
                format!(
                    "frame declares {n} atoms but the file has {} lines after its count \
                     (truncated?)",
                    (lines.len() - i - 1)
                ),
            ));
        }
        let comment_line = i + 2;
        let crystal = parse_frame(lines[i + 1], comment_line, &lines[i + 2..i + 2 + n], path)?;
        frames.push(crystal);
        i += n + 2;
    }
    if frames.is_empty() {
        return Err(DataError::parse(
            path,
            1,
            "atom count",
            "no frame in the file (empty)",
        ));
    }
    Ok(frames)
}

/// One frame: its comment line (1-based line number `comment_line`) and its `n` atom lines.
fn parse_frame(
    comment: &str,
    comment_line: usize,
    atom_lines: &[&str],
    path: &Path,
) -> Result<Crystal> {
    let pairs = parse_key_values(comment)
        .map_err(|m| DataError::parse(path, comment_line, "comment", m))?;
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    };
    let Some(lattice_text) = get("Lattice") else {
        return Err(DataError::parse(
            path,
            comment_line,
            "Lattice",
            "missing: a frame without a cell (a molecule or plain XYZ) is not a crystal",
        ));
    };
    let numbers: Vec<f64> = lattice_text
        .split_whitespace()
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| {
            DataError::parse(
                path,
                comment_line,
                "Lattice",
                format!("`{lattice_text}` is not nine numbers"),
            )
        })?;
    if numbers.len() != 9 {
        return Err(DataError::parse(
            path,
            comment_line,
            "Lattice",
            format!("expected nine numbers, found {}", numbers.len()),
        ));
    }
    let lattice = [
        [numbers[0], numbers[1], numbers[2]],
        [numbers[3], numbers[4], numbers[5]],
        [numbers[6], numbers[7], numbers[8]],
    ];
    if let Some(pbc) = get("pbc") {
        let flags: Vec<Option<bool>> = pbc.split_whitespace().map(parse_bool).collect();
        if flags.len() != 3 || flags.iter().any(Option::is_none) {
            return Err(DataError::parse(
                path,
                comment_line,
                "pbc",
                format!("`{pbc}`: expected three of T/F"),
            ));
        }
        if flags.iter().all(|f| *f == Some(false)) {
            return Err(DataError::parse(
                path,
                comment_line,
                "pbc",
                "`F F F`: a non-periodic frame (a molecule or cluster) is not a crystal",
            ));
        }
    }
    let properties = parse_properties(get("Properties").unwrap_or(DEFAULT_PROPERTIES))
        .map_err(|m| DataError::parse(path, comment_line, "Properties", m))?;
    // Column offsets of the element and of the positions.
    let mut offset = 0;
    let (mut species, mut z, mut pos) = (None, None, None);
    for p in &properties {
        match (p.name.as_str(), p.kind, p.columns) {
            ("species", 'S', 1) => species = Some(offset),
            ("Z", 'I', 1) => z = Some(offset),
            ("pos", 'R', 3) => pos = Some(offset),
            ("species" | "Z" | "pos", _, _) => {
                return Err(DataError::parse(
                    path,
                    comment_line,
                    "Properties",
                    format!(
                        "`{}:{}:{}`: expected species:S:1, Z:I:1 or pos:R:3",
                        p.name, p.kind, p.columns
                    ),
                ))
            }
            _ => {}
        }
        offset += p.columns;
    }
    let width = offset;
    let Some(pos) = pos else {
        return Err(DataError::parse(
            path,
            comment_line,
            "Properties",
            "no `pos:R:3` column (Cartesian positions)",
        ));
    };
    let element_col = match (species, z) {
        (Some(c), _) => (c, "species"),
        (None, Some(c)) => (c, "Z"),
        (None, None) => {
            return Err(DataError::parse(
                path,
                comment_line,
                "Properties",
                "neither `species:S:1` nor `Z:I:1` (the element of each atom)",
            ))
        }
    };
    let mut zs = Vec::with_capacity(atom_lines.len());
    let mut positions = Vec::with_capacity(atom_lines.len());
    for (k, line) in atom_lines.iter().enumerate() {
        let lineno = comment_line + 1 + k;
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < width {
            return Err(DataError::parse(
                path,
                lineno,
                "Properties",
                format!(
                    "atom {}: {} columns, the Properties need {width}",
                    k + 1,
                    cols.len()
                ),
            ));
        }
        let label = cols[element_col.0];
        let element = if element_col.1 == "species" {
            parse_species_label(label)
        } else {
            label.parse::<u8>().ok().and_then(Element::from_z)
        }
        .ok_or_else(|| {
            DataError::parse(
                path,
                lineno,
                element_col.1,
                format!("unknown element `{label}`"),
            )
        })?;
        zs.push(element.z);
        let mut r = [0.0; 3];
        for (d, x) in r.iter_mut().enumerate() {
            let t = cols[pos + d];
            *x = t
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    DataError::parse(path, lineno, "pos", format!("`{t}` is not a finite number"))
                })?;
        }
        positions.push(r);
    }
    Crystal::new(lattice, zs, positions).map_err(|e| {
        DataError::parse(
            path,
            comment_line,
            "Lattice",
            format!("invalid crystal: {e}"),
        )
    })
}

/// `T`, `True`, `F`, `False` (any case) and `1`/`0`.
fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "t" | "true" | "1" => Some(true),
        "f" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// `Properties` value: `name:type:columns` triples joined by `:`.
fn parse_properties(s: &str) -> std::result::Result<Vec<Property>, String> {
    let fields: Vec<&str> = s.split(':').collect();
    if fields.len() % 3 != 0 || s.trim().is_empty() {
        return Err(format!(
            "`{s}`: expected name:type:columns triples (e.g. species:S:1:pos:R:3)"
        ));
    }
    let mut out = Vec::with_capacity(fields.len() / 3);
    for t in fields.chunks(3) {
        let kind = match t[1] {
            "S" | "R" | "I" | "L" => t[1].chars().next().unwrap_or('S'),
            other => return Err(format!("`{}`: type `{other}` is not S, R, I or L", t[0])),
        };
        let columns: usize = t[2]
            .parse()
            .ok()
            .filter(|c| (1..=MAX_PROPERTY_COLUMNS).contains(c))
            .ok_or_else(|| {
                format!(
                    "`{}`: column count `{}` is not in 1..={MAX_PROPERTY_COLUMNS}",
                    t[0], t[2]
                )
            })?;
        out.push(Property {
            name: t[0].to_string(),
            kind,
            columns,
        });
    }
    Ok(out)
}

/// The `key=value` pairs of a comment line, in order. Values (and keys) may be bare, in double
/// quotes (with `\"` and `\\` escapes) or in braces; spaces around `=` are allowed; a key with
/// no `=` gets the value `T`.
fn parse_key_values(line: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    // One bare, quoted or braced word starting at `i`.
    let word = |i: &mut usize, stop_at_eq: bool| -> std::result::Result<String, String> {
        let mut s = String::new();
        match chars.get(*i) {
            Some('"') => {
                *i += 1;
                loop {
                    match chars.get(*i) {
                        None => return Err("unterminated `\"` quote".into()),
                        Some('"') => {
                            *i += 1;
                            break;
                        }
                        Some('\\') if *i + 1 < chars.len() => {
                            s.push(chars[*i + 1]);
                            *i += 2;
                        }
                        Some(&c) => {
                            s.push(c);
                            *i += 1;
                        }
                    }
                }
            }
            Some('{') => {
                *i += 1;
                loop {
                    match chars.get(*i) {
                        None => return Err("unterminated `{` brace".into()),
                        Some('}') => {
                            *i += 1;
                            break;
                        }
                        Some(&c) => {
                            s.push(if c == ',' { ' ' } else { c });
                            *i += 1;
                        }
                    }
                }
            }
            _ => {
                while let Some(&c) = chars.get(*i) {
                    if c.is_whitespace() || (stop_at_eq && c == '=') {
                        break;
                    }
                    s.push(c);
                    *i += 1;
                }
            }
        }
        Ok(s)
    };
    loop {
        skip_ws(&mut i);
        if i >= chars.len() {
            break;
        }
        let key = word(&mut i, true)?;
        if key.is_empty() {
            return Err(format!("expected a key at character {}", i + 1));
        }
        let mut j = i;
        skip_ws(&mut j);
        if chars.get(j) == Some(&'=') {
            i = j + 1;
            skip_ws(&mut i);
            let value = word(&mut i, false)?;
            out.push((key, value));
        } else {
            out.push((key, "T".into()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::test_support::{assert_same_crystal, sample_crystal};

    fn p(text: &str) -> Result<Vec<Crystal>> {
        parse_extxyz(text, Path::new("t.xyz"))
    }

    /// As ASE 3.23 writes `ase.io.write("si.xyz", bulk("Si", cubic=False), format="extxyz")`
    /// (with an energy from a calculator and forces).
    const ASE_SI: &str = "2
Lattice=\"0.0 2.715 2.715 2.715 0.0 2.715 2.715 2.715 0.0\" Properties=species:S:1:pos:R:3:forces:R:3 energy=-10.84 pbc=\"T T T\"
Si       0.00000000       0.00000000       0.00000000       0.00000000       0.00000000       0.00000000
Si       1.35750000       1.35750000       1.35750000       0.00000000       0.00000000       0.00000000
";

    #[test]
    fn reads_ase_output_with_extra_columns() {
        let c = &p(ASE_SI).unwrap()[0];
        assert_eq!(c.numbers(), [14, 14]);
        assert_eq!(c.lattice()[1], [2.715, 0.0, 2.715]);
        assert_eq!(c.positions()[1], [1.3575; 3]);
    }

    #[test]
    fn multi_frame_each_frame_a_structure() {
        let c = sample_crystal();
        let frame = |cr: &Crystal, extra: &str| {
            let l = cr.lattice();
            let mut s = format!(
                "{}\n{extra} Lattice=\"{}\" Properties=species:S:1:pos:R:3 pbc=\"T T T\"\n",
                cr.n_atoms(),
                l.iter()
                    .flatten()
                    .map(|x| format!("{x:.15}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            for (z, r) in cr.numbers().iter().zip(cr.positions()) {
                let sym = Element::from_z(*z).unwrap().symbol;
                s += &format!("{sym} {:.15} {:.15} {:.15}\n", r[0], r[1], r[2]);
            }
            s
        };
        let text = format!("{}\n{}{}", frame(&c, "a=1"), frame(&c, "b"), ASE_SI);
        let frames = p(&text).unwrap();
        assert_eq!(frames.len(), 3);
        assert_same_crystal(&frames[0], &c, 1e-12);
        assert_same_crystal(&frames[1], &c, 1e-12);
        assert_eq!(frames[2].numbers(), [14, 14]);
    }

    #[test]
    fn quoting_braces_defaults_and_z_column() {
        // Default Properties, braces, spaces around `=`, quoted key, bare key.
        let a = "1\nLattice = {3 0 0 0 3 0 0 0 3} \"pbc\"=\"T T F\" is_slab\nCu 0 0 0\n";
        let c = &p(a).unwrap()[0];
        assert_eq!((c.numbers(), c.lattice()[2][2]), (&[29u8][..], 3.0));
        let b = "1\nLattice=\"3 0 0 0 3 0 0 0 3\" Properties=Z:I:1:pos:R:3\n29 0 0 0\n";
        assert_eq!(p(b).unwrap()[0].numbers(), [29]);
    }

    /// Every prefix of valid files (cut anywhere, as a truncated download is) parses or fails
    /// with a one-line error; never a panic.
    #[test]
    fn truncations_never_panic() {
        let two = format!(
            "{ASE_SI}1\nLattice={{3 0 0 0 3 0 0 0 3}} Properties=Z:I:1:pos:R:3 \"pbc\"=\"T T F\"\n29 0 0 0\n"
        );
        for text in [ASE_SI, two.as_str()] {
            for cut in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                if let Err(e) = p(&text[..cut]) {
                    assert!(!e.to_string().contains('\n'), "{e}");
                }
            }
        }
    }

    #[test]
    fn errors_name_line_and_field() {
        let cases: [(&str, usize, &str, &str); 11] = [
            ("x\n", 1, "atom count", "expected the number of atoms"),
            ("0\n\n", 1, "atom count", "0 atoms"),
            ("99999\n", 1, "atom count", "MAX_ATOMS"),
            (
                "3\nLattice=\"3 0 0 0 3 0 0 0 3\"\nCu 0 0 0\n",
                1,
                "atom count",
                "truncated",
            ),
            ("1\nenergy=1\nCu 0 0 0\n", 2, "Lattice", "molecule"),
            ("1\nLattice=\"3 0 0\"\nCu 0 0 0\n", 2, "Lattice", "nine"),
            (
                "1\nLattice=\"3 0 0 0 3 0 0 0 3\" pbc=\"F F F\"\nCu 0 0 0\n",
                2,
                "pbc",
                "non-periodic",
            ),
            (
                "1\nLattice=\"3 0 0 0 3 0 0 0 3\" Properties=species:S:1\nCu\n",
                2,
                "Properties",
                "pos",
            ),
            (
                "1\nLattice=\"3 0 0 0 3 0 0 0 3\"\nXx 0 0 0\n",
                3,
                "species",
                "unknown element",
            ),
            (
                "1\nLattice=\"3 0 0 0 3 0 0 0 3\"\nCu 0 nan 0\n",
                3,
                "pos",
                "finite",
            ),
            (
                "1\nLattice=\"3 0 0 0 3 0 0 0 3\" a=\"b\nCu 0 0 0\n",
                2,
                "comment",
                "quote",
            ),
        ];
        for (text, line, field, needle) in cases {
            match p(text) {
                Err(DataError::Parse {
                    record,
                    field: f,
                    message,
                    ..
                }) => {
                    assert_eq!((record, f.as_str()), (line, field), "{text}: {message}");
                    assert!(message.contains(needle), "{text}: {message}");
                }
                other => panic!("{text}: expected a parse error, got {other:?}"),
            }
        }
        // Atoms too close: named as an invalid crystal, one line.
        let e = p("2\nLattice=\"3 0 0 0 3 0 0 0 3\"\nCu 0 0 0\nCu 0 0 0.01\n").unwrap_err();
        assert!(e.to_string().contains("invalid crystal"), "{e}");
        assert!(!e.to_string().contains('\n'));
    }
}
