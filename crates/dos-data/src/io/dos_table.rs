//! A DOS table: one CSV row per structure, the energy grid in the header.
//!
//! ```text
//! id,0,20,40,60
//! NaCl,0.0,0.31,0.92,0.40
//! Si,0.0,0.05,0.22,0.81
//! ```
//!
//! The header's first field names the id column (any name); the others are the M energies,
//! finite and strictly increasing (2 <= M <= [`MAX_GRID_POINTS`]). Each row holds a non-empty,
//! unique id and M finite, non-negative values. Errors name the file, the line and the field.

use std::collections::HashSet;
use std::path::Path;

use crate::error::{DataError, Result};
use crate::io::csv::split_records;

/// Most energies a table may declare.
pub const MAX_GRID_POINTS: usize = 100_000;

/// A parsed DOS table.
#[derive(Debug, Clone, PartialEq)]
pub struct DosTable {
    /// The energy grid (the header's numbers).
    pub energies: Vec<f64>,
    /// `(id, DOS values on the grid)`, in file order.
    pub rows: Vec<(String, Vec<f64>)>,
}

/// Reads a DOS table (plain or gzipped, see [`crate::io::read_text`]).
///
/// # Errors
/// [`DataError::Io`], or [`DataError::Parse`] naming the line and the field.
pub fn read_dos_table(path: impl AsRef<Path>) -> Result<DosTable> {
    let path = path.as_ref();
    parse_dos_table(&crate::io::read_text(path)?, path)
}

/// Parses a DOS table from text; `path` is used in messages only.
///
/// # Errors
/// As [`read_dos_table`].
pub fn parse_dos_table(text: &str, path: &Path) -> Result<DosTable> {
    let records =
        split_records(text).map_err(|e| DataError::parse(path, e.line, "csv", e.message))?;
    let (header, body) = records
        .split_first()
        .ok_or_else(|| DataError::parse(path, 1, "header", "the file is empty"))?;
    let m = header.fields.len().saturating_sub(1);
    if !(2..=MAX_GRID_POINTS).contains(&m) {
        return Err(DataError::parse(
            path,
            header.line,
            "header",
            format!(
                "expected an id column and 2 to {MAX_GRID_POINTS} energies, found {m} energies"
            ),
        ));
    }
    let mut energies = Vec::with_capacity(m);
    for (k, f) in header.fields[1..].iter().enumerate() {
        let e: f64 = f
            .trim()
            .parse()
            .ok()
            .filter(|e: &f64| e.is_finite())
            .ok_or_else(|| {
                DataError::parse(
                    path,
                    header.line,
                    format!("energy {}", k + 1),
                    format!("`{f}` is not a finite number"),
                )
            })?;
        if energies.last().is_some_and(|&last| e <= last) {
            return Err(DataError::parse(
                path,
                header.line,
                format!("energy {}", k + 1),
                format!("{e} does not increase on the energy before it"),
            ));
        }
        energies.push(e);
    }
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(body.len());
    for r in body {
        let id = r.fields[0].trim().to_string();
        if id.is_empty() {
            return Err(DataError::parse(path, r.line, "id", "empty"));
        }
        if r.fields.len() != m + 1 {
            return Err(DataError::parse(
                path,
                r.line,
                "values",
                format!(
                    "{} values, the header declares {m} energies",
                    r.fields.len() - 1
                ),
            ));
        }
        let values = r.fields[1..]
            .iter()
            .enumerate()
            .map(|(k, f)| {
                f.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| {
                        DataError::parse(
                            path,
                            r.line,
                            format!("value {} ({id})", k + 1),
                            format!("`{f}` is not a finite, non-negative number"),
                        )
                    })
            })
            .collect::<Result<Vec<f64>>>()?;
        if !seen.insert(id.clone()) {
            return Err(DataError::parse(
                path,
                r.line,
                "id",
                format!("`{id}` appears twice"),
            ));
        }
        rows.push((id, values));
    }
    if rows.is_empty() {
        return Err(DataError::parse(
            path,
            header.line,
            "rows",
            "no row after the header",
        ));
    }
    Ok(DosTable { energies, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DosTable> {
        parse_dos_table(text, Path::new("dos.csv"))
    }

    #[test]
    fn reads_grid_and_rows() {
        let t = parse("id,0,20,40\nNaCl,0,0.5,1\n\"Si, diamond\",0.1,1,0.2\n").unwrap();
        assert_eq!(t.energies, vec![0.0, 20.0, 40.0]);
        assert_eq!(t.rows[1], ("Si, diamond".to_string(), vec![0.1, 1.0, 0.2]));
    }

    /// Each malformed table is refused with one line naming the file, the line and the field.
    #[test]
    fn bad_tables_name_line_and_field() {
        for (text, want) in [
            ("", "dos.csv:1: field `header`"),
            ("id,0\na,1\n", "found 1 energies"),
            ("id,0,x\na,1,2\n", "dos.csv:1: field `energy 2`"),
            ("id,0,0\na,1,2\n", "does not increase"),
            ("id,0,1\na,1\n", "dos.csv:2: field `values`"),
            ("id,0,1\na,1,-2\n", "dos.csv:2: field `value 2 (a)`"),
            ("id,0,1\na,1,NaN\n", "not a finite"),
            (
                "id,0,1\na,1,2\na,1,2\n",
                "dos.csv:3: field `id`: `a` appears twice",
            ),
            ("id,0,1\n,1,2\n", "field `id`: empty"),
            ("id,0,1\n", "no row"),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
