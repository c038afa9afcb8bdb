//! Reader and writer for the phonon DOS benchmark CSV (`mp_id,structure,phfreq,phdos`).
//!
//! Every cell after `mp_id` is a Python literal: `structure` is ASE's `Atoms.todict()`
//! (`numbers`, `positions` in Angstrom, `cell` with lattice vectors as rows, `pbc`), `phfreq` the
//! frequency grid in cm^-1 and `phdos` the DOS on that grid.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::crystal::{Crystal, MAX_ATOMS};
use crate::error::{io_error, CrystalError, DataError, Result};
use crate::io::csv::{split_records, CsvRecord};
use crate::io::py_literal::{parse_py_literal, python_list, PyValue};
use crate::split::Split;

/// One row of the phonon benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct PhononRecord {
    /// Materials Project id, e.g. `mp-1000`.
    pub id: String,
    /// The structure.
    pub crystal: Crystal,
    /// Frequency grid in cm^-1, length M (51 in the benchmark).
    pub frequencies: Vec<f64>,
    /// DOS on that grid, length M.
    pub dos: Vec<f64>,
}

/// File name of a generated phonon dataset (the benchmark's name).
pub const PHONON_FILE: &str = "phonon_dos.csv";
/// The columns the file must have.
pub const PHONON_CSV_COLUMNS: [&str; 4] = ["mp_id", "structure", "phfreq", "phdos"];

/// Read every row of a phonon benchmark CSV (gzipped when the name ends in `.gz`), in file
/// order (rows are parsed in parallel).
///
/// Checks: the header names the four columns; every literal parses; `numbers` are atomic
/// numbers 1..=118; the crystal is valid ([`Crystal::new`]); `phdos` has as many finite values
/// as `phfreq`; every row has the same `phfreq` grid as the first.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be read, otherwise [`DataError::Parse`] naming the file,
/// the record (1-based line: the header is line 1, so data row `i`, 0-based, is usually line
/// `i + 2`) and the field (`mp_id`, `structure.numbers`, `structure.cell`, `phdos`, ...); the
/// message also gives the 0-based data row and the id.
pub fn read_phonon_csv(path: impl AsRef<Path>) -> Result<Vec<PhononRecord>> {
    let path = path.as_ref();
    parse_phonon_csv(&crate::io::read_text(path)?, path)
}

/// Parse the text of a phonon benchmark CSV; `path` is only used in error messages.
///
/// # Errors
/// As [`read_phonon_csv`].
pub fn parse_phonon_csv(text: &str, path: &Path) -> Result<Vec<PhononRecord>> {
    let records =
        split_records(text).map_err(|e| DataError::parse(path, e.line, "csv", e.message))?;
    let Some((header, rows)) = records.split_first() else {
        return Err(DataError::parse(path, 1, "header", "empty file"));
    };
    let mut cols = [0usize; 4];
    for (c, name) in cols.iter_mut().zip(PHONON_CSV_COLUMNS) {
        *c = header
            .fields
            .iter()
            .position(|f| f.trim() == name)
            .ok_or_else(|| {
                DataError::parse(
                    path,
                    header.line,
                    "header",
                    format!(
                        "missing column `{name}` (expected {})",
                        PHONON_CSV_COLUMNS.join(",")
                    ),
                )
            })?;
    }
    let parsed: Vec<PhononRecord> = rows
        .par_iter()
        .enumerate()
        .map(|(row, rec)| parse_row(rec, row, &cols, path))
        .collect::<Result<_>>()?;
    if let Some(first) = parsed.first() {
        for (row, (rec, r)) in parsed.iter().zip(rows).enumerate().skip(1) {
            if rec.frequencies != first.frequencies {
                return Err(DataError::parse(path,
                    r.line,
                    "phfreq",
                    format!(
                        "data row {row} ({}): frequency grid differs from the first row's ({} vs {} points)",
                        rec.id,
                        rec.frequencies.len(),
                        first.frequencies.len()
                    ),
                ));
            }
        }
    }
    Ok(parsed)
}

fn parse_row(
    rec: &CsvRecord<'_>,
    row: usize,
    cols: &[usize; 4],
    path: &Path,
) -> Result<PhononRecord> {
    let id_hint = rec
        .fields
        .get(cols[0])
        .map_or("?", |s| s.as_ref())
        .trim()
        .to_string();
    let perr = |field: &str, message: String| {
        DataError::parse(
            path,
            rec.line,
            field,
            format!("data row {row} ({id_hint}): {message}"),
        )
    };
    let cell = |i: usize, name: &str| {
        rec.fields.get(cols[i]).ok_or_else(|| {
            perr(
                name,
                format!(
                    "row has {} fields, column `{name}` missing",
                    rec.fields.len()
                ),
            )
        })
    };
    let id = cell(0, "mp_id")?.trim().to_string();
    if id.is_empty() {
        return Err(perr("mp_id", "empty id".into()));
    }
    let structure = parse_py_literal(cell(1, "structure")?)
        .map_err(|e| perr("structure", format!("bad Python literal: {e}")))?;
    let crystal =
        ase_dict_to_crystal(&structure).map_err(|(field, message)| perr(&field, message))?;
    let frequencies = float_list(cell(2, "phfreq")?).map_err(|m| perr("phfreq", m))?;
    let dos = float_list(cell(3, "phdos")?).map_err(|m| perr("phdos", m))?;
    if dos.len() != frequencies.len() {
        return Err(perr(
            "phdos",
            format!("{} values but phfreq has {}", dos.len(), frequencies.len()),
        ));
    }
    Ok(PhononRecord {
        id,
        crystal,
        frequencies,
        dos,
    })
}

fn float_list(text: &str) -> std::result::Result<Vec<f64>, String> {
    let v = parse_py_literal(text).map_err(|e| format!("bad Python literal: {e}"))?;
    let seq = v
        .as_seq()
        .ok_or_else(|| format!("expected a list, found {}", v.type_name()))?;
    seq.iter()
        .enumerate()
        .map(|(i, x)| match x.as_f64() {
            Some(f) if f.is_finite() => Ok(f),
            Some(f) => Err(format!("value {i} is {f}")),
            None => Err(format!(
                "value {i} is a {}, expected a number",
                x.type_name()
            )),
        })
        .collect()
}

/// Convert an ASE `Atoms.todict()` literal to a [`Crystal`].
///
/// `cell` may be a 3x3 list (or `array`) or a dict with an `array` entry (ASE `Cell.todict()`).
///
/// # Errors
/// `(field, message)` naming the sub-field, e.g. `("structure.numbers", "atom 3: unknown
/// element Z=0")`.
pub fn ase_dict_to_crystal(v: &PyValue) -> std::result::Result<Crystal, (String, String)> {
    let f = |name: &str| format!("structure.{name}");
    let get = |name: &str| {
        v.get(name)
            .ok_or_else(|| ("structure".to_string(), format!("missing key '{name}'")))
    };
    let numbers_v = get("numbers")?
        .as_seq()
        .ok_or_else(|| (f("numbers"), "expected a list".to_string()))?;
    if numbers_v.len() > MAX_ATOMS {
        return Err((
            f("numbers"),
            format!(
                "{} atoms, more than {MAX_ATOMS} (MAX_ATOMS)",
                numbers_v.len()
            ),
        ));
    }
    let mut numbers = Vec::with_capacity(numbers_v.len());
    for (i, x) in numbers_v.iter().enumerate() {
        let z = x.as_i64().ok_or_else(|| {
            (
                f("numbers"),
                format!("atom {i}: expected an integer, found {}", x.type_name()),
            )
        })?;
        match u8::try_from(z) {
            Ok(z) if (1..=118).contains(&z) => numbers.push(z),
            _ => return Err((f("numbers"), format!("atom {i}: unknown element Z={z}"))),
        }
    }
    let positions = vectors(get("positions")?, "positions")?;
    let mut cell_v = get("cell")?;
    if let Some(a) = cell_v.get("array") {
        cell_v = a;
    }
    let cell = vectors(cell_v, "cell")?;
    let lattice: [[f64; 3]; 3] = cell.as_slice().try_into().map_err(|_| {
        (
            f("cell"),
            format!("expected 3 lattice vectors, found {}", cell.len()),
        )
    })?;
    if let Some(pbc) = v.get("pbc").and_then(PyValue::as_seq) {
        if pbc.contains(&PyValue::Bool(false)) {
            return Err((
                f("pbc"),
                "structure is not periodic in all three directions".into(),
            ));
        }
    }
    Crystal::new(lattice, numbers, positions).map_err(|e| {
        let field = match e {
            CrystalError::SingularLattice { .. } | CrystalError::NonFinite { what: "lattice" } => {
                "cell"
            }
            CrystalError::InvalidAtomicNumber { .. } => "numbers",
            CrystalError::NoAtoms | CrystalError::LengthMismatch { .. } => "numbers",
            _ => "positions",
        };
        (f(field), format!("invalid crystal: {e}"))
    })
}

fn vectors(v: &PyValue, name: &str) -> std::result::Result<Vec<[f64; 3]>, (String, String)> {
    let field = format!("structure.{name}");
    let seq = v.as_seq().ok_or_else(|| {
        (
            field.clone(),
            format!("expected a list, found {}", v.type_name()),
        )
    })?;
    seq.iter()
        .enumerate()
        .map(|(i, row)| {
            let r = row.as_seq().unwrap_or(&[]);
            let xs: Option<Vec<f64>> = r.iter().map(PyValue::as_f64).collect();
            match xs.as_deref() {
                Some([a, b, c]) => Ok([*a, *b, *c]),
                _ => Err((field.clone(), format!("entry {i}: expected 3 numbers"))),
            }
        })
        .collect()
}

/// The ASE `Atoms.todict()` Python literal of a crystal, as the benchmark CSV stores it:
/// `{'numbers': [..], 'positions': [[..], ..], 'cell': [[..], ..], 'pbc': [True, True, True]}`.
pub fn ase_dict_literal(c: &Crystal) -> String {
    let numbers: Vec<String> = c.numbers().iter().map(u8::to_string).collect();
    let positions: Vec<String> = c.positions().iter().map(|p| python_list(p)).collect();
    let cell: Vec<String> = c.lattice().iter().map(|r| python_list(r)).collect();
    format!(
        "{{'numbers': [{}], 'positions': [{}], 'cell': [{}], 'pbc': [True, True, True]}}",
        numbers.join(", "),
        positions.join(", "),
        cell.join(", ")
    )
}

/// Write phonon records as a benchmark-format CSV (header `mp_id,structure,phfreq,phdos`, cells
/// as [`ase_dict_literal`] and Python float lists), which [`read_phonon_csv`] reads back bit for bit.
///
/// # Errors
/// [`DataError::Io`] naming the file.
pub fn write_phonon_csv(path: impl AsRef<Path>, records: &[PhononRecord]) -> Result<()> {
    let path = path.as_ref();
    let file = std::fs::File::create(path).map_err(io_error(path))?;
    let mut w = BufWriter::new(file);
    let mut write = || -> std::io::Result<()> {
        writeln!(w, "mp_id,structure,phfreq,phdos")?;
        for r in records {
            writeln!(
                w,
                "{},\"{}\",\"{}\",\"{}\"",
                r.id,
                ase_dict_literal(&r.crystal),
                python_list(&r.frequencies),
                python_list(&r.dos)
            )?;
        }
        w.flush()
    };
    write().map_err(io_error(path))
}

/// Write `records` to `dir/phonon_dos.csv` and a random 80/10/10 split (seeded) beside it;
/// creates `dir`. Returns the CSV path.
///
/// # Errors
/// [`DataError::Io`] naming the file.
pub fn write_phonon_dataset(
    dir: impl AsRef<Path>,
    records: &[PhononRecord],
    seed: u64,
) -> Result<PathBuf> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let path = dir.join(PHONON_FILE);
    write_phonon_csv(&path, records)?;
    Split::random_80_10_10(records.len(), seed).write_dir(dir)?;
    Ok(path)
}

/// Path of the phonon benchmark CSV under a data directory: `<dir>/phonon/phonon_dos.csv`.
pub fn phonon_csv_path(data_dir: impl AsRef<Path>) -> PathBuf {
    data_dir.as_ref().join("phonon").join(PHONON_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "mp_id,structure,phfreq,phdos\n";
    const GOOD_STRUCT: &str = "{'numbers': [11, 17], 'positions': [[0.0, 0.0, 0.0], [2.82, 2.82, 2.82]], 'cell': [[0.0, 2.82, 2.82], [2.82, 0.0, 2.82], [2.82, 2.82, 0.0]], 'pbc': [True, True, True]}";

    fn row(id: &str, structure: &str, freq: &str, dos: &str) -> String {
        format!("{id},\"{structure}\",\"{freq}\",\"{dos}\"\n")
    }

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("phonon_dos.csv");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    fn err_of(text: &str) -> (String, PathBuf) {
        let (_d, p) = write(text);
        (read_phonon_csv(&p).unwrap_err().to_string(), p)
    }

    #[test]
    fn reads_rows() {
        let text = format!(
            "{HEADER}{}{}",
            row("mp-1", GOOD_STRUCT, "[0.0, 20.0, 40.0]", "[0.1, 1.0, 0.0]"),
            row(
                "mp-2",
                GOOD_STRUCT,
                "[0.0, 20.0, 40.0]",
                "[1.0, 2.5e-1, 0.0]"
            )
        );
        let (_d, p) = write(&text);
        let r = read_phonon_csv(&p).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].id, "mp-2");
        assert_eq!(r[1].dos, [1.0, 0.25, 0.0]);
        assert_eq!(r[0].crystal.numbers(), [11, 17]);
        assert_eq!(r[0].crystal.positions()[1], [2.82, 2.82, 2.82]);
    }

    fn assert_names(msg: &str, path: &Path, line: usize, field: &str) {
        let head = format!("{}:{line}: field `{field}`", path.display());
        assert!(
            msg.starts_with(&head),
            "`{msg}` does not start with `{head}`"
        );
    }

    #[test]
    fn truncated_literal() {
        let bad = &GOOD_STRUCT[..GOOD_STRUCT.len() - 30];
        let text = format!(
            "{HEADER}{}{}",
            row("mp-1", GOOD_STRUCT, "[0.0, 20.0]", "[0.1, 1.0]"),
            row("mp-2", bad, "[0.0, 20.0]", "[0.1, 1.0]")
        );
        let (msg, p) = err_of(&text);
        assert_names(&msg, &p, 3, "structure");
        assert!(
            msg.contains("data row 1 (mp-2)") && msg.contains("truncated"),
            "{msg}"
        );
    }

    #[test]
    fn wrong_length_dos() {
        let text = format!(
            "{HEADER}{}",
            row("mp-1", GOOD_STRUCT, "[0.0, 20.0, 40.0]", "[0.1, 1.0]")
        );
        let (msg, p) = err_of(&text);
        assert_names(&msg, &p, 2, "phdos");
        assert!(msg.contains("2 values but phfreq has 3"), "{msg}");
    }

    #[test]
    fn unknown_element() {
        let s = GOOD_STRUCT.replace("[11, 17]", "[11, 0]");
        let text = format!("{HEADER}{}", row("mp-1", &s, "[0.0]", "[1.0]"));
        let (msg, p) = err_of(&text);
        assert_names(&msg, &p, 2, "structure.numbers");
        assert!(msg.contains("atom 1: unknown element Z=0"), "{msg}");
        let s = GOOD_STRUCT.replace("[11, 17]", "[11, 119]");
        let text = format!("{HEADER}{}", row("mp-1", &s, "[0.0]", "[1.0]"));
        assert!(err_of(&text).0.contains("unknown element Z=119"));
    }

    #[test]
    fn too_many_atoms_is_an_error_naming_row_and_field() {
        let numbers = vec!["8"; MAX_ATOMS + 1].join(", ");
        let s = GOOD_STRUCT.replace("[11, 17]", &format!("[{numbers}]"));
        let text = format!("{HEADER}{}", row("mp-7", &s, "[0.0]", "[1.0]"));
        let (msg, p) = err_of(&text);
        assert_names(&msg, &p, 2, "structure.numbers");
        assert!(
            msg.contains("data row 0 (mp-7): 2049 atoms") && msg.contains("MAX_ATOMS"),
            "{msg}"
        );
    }

    #[test]
    fn singular_lattice() {
        let s = GOOD_STRUCT.replace("[2.82, 2.82, 0.0]]", "[2.82, 2.82, 5.64]]");
        let text = format!("{HEADER}{}", row("mp-9", &s, "[0.0]", "[1.0]"));
        let (msg, p) = err_of(&text);
        assert_names(&msg, &p, 2, "structure.cell");
        assert!(msg.contains("singular lattice"), "{msg}");
    }

    #[test]
    fn header_and_grid_checks() {
        let (msg, _) = err_of("mp_id,structure,phdos\n");
        assert!(msg.contains("missing column `phfreq`"), "{msg}");
        let text = format!(
            "{HEADER}{}{}",
            row("mp-1", GOOD_STRUCT, "[0.0, 20.0]", "[0.1, 1.0]"),
            row("mp-2", GOOD_STRUCT, "[0.0, 25.0]", "[0.1, 1.0]")
        );
        let (msg, p) = err_of(&text);
        assert_names(&msg, &p, 3, "phfreq");
        let missing = PathBuf::from("/nonexistent/phonon_dos.csv");
        assert!(matches!(
            read_phonon_csv(&missing),
            Err(DataError::Io { .. })
        ));
    }

    /// Reads the real benchmark shipped in this crate (`data/phonon`).
    #[test]
    fn real_benchmark() {
        let t = std::time::Instant::now();
        let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/data/phonon/phonon_dos.csv.gz");
        let r = read_phonon_csv(csv).unwrap();
        eprintln!("read {} rows in {:?}", r.len(), t.elapsed());
        // Facts from the data README: 1,522 rows, 51-point grid 0..1000 step 20, 2 to 40
        // atoms per cell (mean 7.4), 64 elements, largest Z 83, each DOS max-normalised to 1.
        assert_eq!(r.len(), 1522);
        let grid: Vec<f64> = (0..51).map(|i| 20.0 * f64::from(i)).collect();
        assert!(r.iter().all(|x| x.frequencies == grid && x.dos.len() == 51));
        let n: Vec<usize> = r.iter().map(|x| x.crystal.n_atoms()).collect();
        assert_eq!(
            (*n.iter().min().unwrap(), *n.iter().max().unwrap()),
            (2, 40)
        );
        let mean = n.iter().sum::<usize>() as f64 / n.len() as f64;
        assert!((mean - 7.4).abs() < 0.05, "{mean}");
        let mut zs: Vec<u8> = r
            .iter()
            .flat_map(|x| x.crystal.numbers().to_vec())
            .collect();
        zs.sort_unstable();
        zs.dedup();
        assert_eq!((zs.len(), zs.last().copied()), (64, Some(83)));
        assert!(r
            .iter()
            .all(|x| (x.dos.iter().copied().fold(f64::MIN, f64::max) - 1.0).abs() < 1e-9));
        assert_eq!(r[0].id, "mp-1000");
    }
}
