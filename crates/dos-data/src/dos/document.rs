//! Materials Project electron DOS documents in pymatgen's JSON shape.
//!
//! pymatgen's `Dos.as_dict()` (pymatgen/electronic_structure/dos.py) writes
//!
//! ```json
//! {"@module": "pymatgen.electronic_structure.dos", "@class": "Dos",
//!  "efermi": 1.5, "energies": [-2.0, -1.0, 0.0],
//!  "densities": {"1": [1.0, 0.0, 0.0], "-1": [1.0, 0.0, 0.0]}}
//! ```
//!
//! The density keys are `str(Spin.up)` = `"1"` and `str(Spin.down)` = `"-1"` (checked by running
//! pymatgen 2026.10.24: `json.dumps(Dos(...).as_dict())`); `"-1"` is present only for
//! spin-polarised calculations. `CompleteDos.as_dict()` has the same keys plus `"structure"` (a
//! pymatgen `Structure.as_dict()`), `"pdos"` and, when projections exist, `"atom_dos"` and
//! `"spd_dos"`; only the total DOS and the structure are kept here. For robustness the aliases
//! `"Spin.up"`/`"up"` and `"Spin.down"`/`"down"` are accepted as well.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::error::{DataError, Result};

/// A total electron density of states as stored in a Materials Project document.
///
/// Energies are absolute (eV, as computed), not relative to the Fermi level; densities are in
/// states/eV per cell for each spin channel.
///
/// # Shapes
/// `energies`, `densities_up` and `densities_down` (when present) all have length `n_e`;
/// `energies` is strictly increasing.
#[derive(Debug, Clone, PartialEq)]
pub struct ElectronDosDocument {
    /// Fermi level in eV (same reference as `energies`).
    pub efermi: f64,
    /// Energies in eV, strictly increasing, length `n_e`.
    pub energies: Vec<f64>,
    /// Spin-up (or spin-unpolarised) density, key `"1"`, length `n_e`.
    pub densities_up: Vec<f64>,
    /// Spin-down density, key `"-1"`, length `n_e`; `None` for spin-unpolarised calculations.
    pub densities_down: Option<Vec<f64>>,
    /// The raw pymatgen `Structure.as_dict()` of a `CompleteDos` document, if present.
    pub structure: Option<Value>,
}

impl ElectronDosDocument {
    /// Builds and validates a document (equal lengths, finite values, strictly increasing
    /// energies, at least two points). `source` only labels errors.
    pub fn new(
        efermi: f64,
        energies: Vec<f64>,
        densities_up: Vec<f64>,
        densities_down: Option<Vec<f64>>,
        source: &Path,
    ) -> Result<Self> {
        let doc = Self {
            efermi,
            energies,
            densities_up,
            densities_down,
            structure: None,
        };
        doc.validate(source)?;
        Ok(doc)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let err = |field: &str, message: String| parse_err(path, field, message);
        if !self.efermi.is_finite() {
            return Err(err("efermi", format!("not finite ({})", self.efermi)));
        }
        let n = self.energies.len();
        if n < 2 {
            return Err(err("energies", format!("need at least 2 points, got {n}")));
        }
        for (i, w) in self.energies.windows(2).enumerate() {
            if !w[0].is_finite() {
                return Err(err(&format!("energies[{i}]"), "not finite".into()));
            }
            if w[1] <= w[0] {
                return Err(err(
                    &format!("energies[{}]", i + 1),
                    format!("energies must increase strictly ({} after {})", w[1], w[0]),
                ));
            }
        }
        if !self.energies[n - 1].is_finite() {
            return Err(err(&format!("energies[{}]", n - 1), "not finite".into()));
        }
        let channels = [
            ("1", Some(&self.densities_up)),
            ("-1", self.densities_down.as_ref()),
        ];
        for (key, dens) in channels {
            let Some(d) = dens else { continue };
            if d.len() != n {
                return Err(err(
                    &format!("densities.{key}"),
                    format!("{} values but {n} energies", d.len()),
                ));
            }
            if let Some(i) = d.iter().position(|v| !v.is_finite()) {
                return Err(err(&format!("densities.{key}[{i}]"), "not finite".into()));
            }
        }
        Ok(())
    }

    /// Parses a pymatgen `Dos.as_dict()` / `CompleteDos.as_dict()` JSON value. `path` labels
    /// errors (field names such as `densities.-1[12]`).
    pub fn from_json_value(value: &Value, path: &Path) -> Result<Self> {
        let obj = value
            .as_object()
            .ok_or_else(|| parse_err(path, "<root>", "expected a JSON object".into()))?;
        let efermi = obj
            .get("efermi")
            .ok_or_else(|| parse_err(path, "efermi", "missing".into()))?
            .as_f64()
            .ok_or_else(|| parse_err(path, "efermi", "expected a number".into()))?;
        let energies = number_array(obj.get("energies"), path, "energies")?;
        let dens = obj
            .get("densities")
            .ok_or_else(|| parse_err(path, "densities", "missing".into()))?
            .as_object()
            .ok_or_else(|| parse_err(path, "densities", "expected an object".into()))?;
        let mut up = None;
        let mut down = None;
        for (key, v) in dens {
            let field = format!("densities.{key}");
            match key.as_str() {
                "1" | "Spin.up" | "up" => up = Some(number_array(Some(v), path, &field)?),
                "-1" | "Spin.down" | "down" => down = Some(number_array(Some(v), path, &field)?),
                _ => {
                    return Err(parse_err(
                        path,
                        &field,
                        "unknown spin key (expected \"1\" or \"-1\")".into(),
                    ))
                }
            }
        }
        let densities_up = up.ok_or_else(|| {
            parse_err(
                path,
                "densities.1",
                "missing spin-up (\"1\") densities".into(),
            )
        })?;
        let mut doc = Self {
            efermi,
            energies,
            densities_up,
            densities_down: down,
            structure: obj.get("structure").filter(|s| !s.is_null()).cloned(),
        };
        doc.validate(path)?;
        if doc.structure.as_ref().is_some_and(|s| !s.is_object()) {
            doc.structure = None;
            return Err(parse_err(path, "structure", "expected an object".into()));
        }
        Ok(doc)
    }

    /// Parses a JSON string (see [`Self::from_json_value`]).
    pub fn from_json_str(text: &str, path: &Path) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|e| DataError::Parse {
            path: path.to_path_buf(),
            record: e.line(),
            field: "<json>".into(),
            message: e.to_string(),
        })?;
        Self::from_json_value(&value, path)
    }

    /// The document as pymatgen's `Dos.as_dict()` (or `CompleteDos`-like, with `"structure"`
    /// and an empty `"pdos"`, when a structure is attached).
    pub fn to_json_value(&self) -> Value {
        let mut dens = Map::new();
        dens.insert("1".into(), json!(self.densities_up));
        if let Some(d) = &self.densities_down {
            dens.insert("-1".into(), json!(d));
        }
        let mut v = json!({
            "@module": "pymatgen.electronic_structure.dos",
            "@class": if self.structure.is_some() { "CompleteDos" } else { "Dos" },
            "efermi": self.efermi,
            "energies": self.energies,
            "densities": Value::Object(dens),
        });
        if let Some(s) = &self.structure {
            v["structure"] = s.clone();
            v["pdos"] = json!([]);
        }
        v
    }

    /// Number of energy points `n_e`.
    pub fn len(&self) -> usize {
        self.energies.len()
    }

    /// Always false for a validated document (at least two points); provided for clippy.
    pub fn is_empty(&self) -> bool {
        self.energies.is_empty()
    }

    /// Whether the calculation is spin-polarised (has a `"-1"` channel).
    pub fn is_spin_polarized(&self) -> bool {
        self.densities_down.is_some()
    }

    /// Total DOS, summed over spins: `g(E) = g_up(E) + g_down(E)` (pymatgen
    /// `Dos.get_densities(spin=None)`). Length `n_e`.
    pub fn total_densities(&self) -> Vec<f64> {
        match &self.densities_down {
            Some(d) => self
                .densities_up
                .iter()
                .zip(d)
                .map(|(u, d)| u + d)
                .collect(),
            None => self.densities_up.clone(),
        }
    }

    /// Largest spin imbalance `max_i |g_up(E_i) - g_down(E_i)|` in states/eV (0 when not
    /// spin-polarised).
    pub fn max_spin_difference(&self) -> f64 {
        match &self.densities_down {
            Some(d) => self
                .densities_up
                .iter()
                .zip(d)
                .map(|(u, d)| (u - d).abs())
                .fold(0.0, f64::max),
            None => 0.0,
        }
    }

    /// Magnetic: spin-polarised and `max_i |g_up(E_i) - g_down(E_i)| > tol` (states/eV).
    /// A spin-polarised calculation that converged to equal channels is not magnetic.
    pub fn is_magnetic(&self, tol: f64) -> bool {
        self.is_spin_polarized() && self.max_spin_difference() > tol
    }
}

/// Reads one pymatgen DOS JSON file (see the [module docs](self)).
///
/// Errors name the file and the field (`energies[3]`, `densities.-1`, ...).
pub fn read_dos_document(path: impl AsRef<Path>) -> Result<ElectronDosDocument> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    ElectronDosDocument::from_json_str(&text, path)
}

fn parse_err(path: &Path, field: &str, message: String) -> DataError {
    DataError::Parse {
        path: PathBuf::from(path),
        record: 0,
        field: field.to_string(),
        message,
    }
}

fn number_array(v: Option<&Value>, path: &Path, field: &str) -> Result<Vec<f64>> {
    let arr = v
        .ok_or_else(|| parse_err(path, field, "missing".into()))?
        .as_array()
        .ok_or_else(|| parse_err(path, field, "expected an array of numbers".into()))?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_f64().ok_or_else(|| {
                parse_err(path, &format!("{field}[{i}]"), "expected a number".into())
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Verbatim output of pymatgen 2026.10.24:
    /// `python3 -c "import json,numpy as np; from pymatgen.electronic_structure.dos import Dos;
    ///  from pymatgen.electronic_structure.core import Spin;
    ///  print(json.dumps(Dos(1.5, np.linspace(-2,2,5), {Spin.up: np.array([1.,0,0,1,2]),
    ///  Spin.down: np.array([1.,0,0,1,2.5])}).as_dict()))"`
    const PYMATGEN_DOS: &str = r#"{"@module": "pymatgen.electronic_structure.dos", "@class": "Dos", "efermi": 1.5, "energies": [-2.0, -1.0, 0.0, 1.0, 2.0], "densities": {"1": [1.0, 0.0, 0.0, 1.0, 2.0], "-1": [1.0, 0.0, 0.0, 1.0, 2.5]}}"#;

    /// `CompleteDos(Structure(Lattice.cubic(3.0), ["Si","Si"], [[0,0,0],[0.25,0.25,0.25]]),
    /// dos, {}).as_dict()` with the same `dos`, pymatgen 2026.10.24.
    const PYMATGEN_COMPLETE_DOS: &str = r#"{"@module": "pymatgen.electronic_structure.dos", "@class": "CompleteDos", "efermi": 1.5, "structure": {"@module": "pymatgen.core.structure", "@class": "Structure", "charge": 0.0, "lattice": {"matrix": [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]], "pbc": [true, true, true], "a": 3.0, "b": 3.0, "c": 3.0, "alpha": 90.0, "beta": 90.0, "gamma": 90.0, "volume": 27.0}, "properties": {}, "sites": [{"species": [{"element": "Si", "occu": 1}], "abc": [0.0, 0.0, 0.0], "properties": {}, "label": "Si", "xyz": [0.0, 0.0, 0.0]}, {"species": [{"element": "Si", "occu": 1}], "abc": [0.25, 0.25, 0.25], "properties": {}, "label": "Si", "xyz": [0.75, 0.75, 0.75]}]}, "energies": [-2.0, -1.0, 0.0, 1.0, 2.0], "densities": {"1": [1.0, 0.0, 0.0, 1.0, 2.0], "-1": [1.0, 0.0, 0.0, 1.0, 2.5]}, "pdos": []}"#;

    #[test]
    fn reads_pymatgen_dos_and_complete_dos_files() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text, has_structure) in [
            ("dos.json", PYMATGEN_DOS, false),
            ("complete.json", PYMATGEN_COMPLETE_DOS, true),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            let d = read_dos_document(&p).unwrap();
            assert_eq!(d.efermi, 1.5);
            assert_eq!(d.energies, vec![-2.0, -1.0, 0.0, 1.0, 2.0]);
            assert_eq!(d.densities_up, vec![1.0, 0.0, 0.0, 1.0, 2.0]);
            assert_eq!(d.densities_down, Some(vec![1.0, 0.0, 0.0, 1.0, 2.5]));
            assert_eq!(d.total_densities(), vec![2.0, 0.0, 0.0, 2.0, 4.5]);
            assert_eq!(d.structure.is_some(), has_structure);
            // Written back in pymatgen's shape and read again: identical.
            let p2 = dir.path().join(format!("re_{name}"));
            std::fs::write(&p2, d.to_json_value().to_string()).unwrap();
            assert_eq!(read_dos_document(&p2).unwrap(), d);
        }
    }

    #[test]
    fn magnetism_needs_spin_difference_beyond_tolerance() {
        let p = Path::new("x.json");
        let d = ElectronDosDocument::from_json_str(PYMATGEN_DOS, p).unwrap();
        assert!((d.max_spin_difference() - 0.5).abs() < 1e-15);
        assert!(d.is_magnetic(0.1));
        assert!(!d.is_magnetic(0.5));
        let e = vec![0.0, 1.0];
        let same =
            ElectronDosDocument::new(0.0, e.clone(), vec![1.0, 2.0], Some(vec![1.0, 2.0]), p);
        assert!(!same.unwrap().is_magnetic(0.0));
        let unpolarised = ElectronDosDocument::new(0.0, e, vec![1.0, 2.0], None, p).unwrap();
        assert!(!unpolarised.is_magnetic(0.0));
    }

    #[test]
    fn errors_name_file_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                r#"{"energies": [0, 1], "densities": {"1": [0, 1]}}"#,
                "efermi",
            ),
            (
                r#"{"efermi": 0, "energies": [0, 1], "densities": {"1": [0]}}"#,
                "densities.1",
            ),
            (
                r#"{"efermi": 0, "energies": [0, 1], "densities": {"-1": [0, 1]}}"#,
                "densities.1",
            ),
            (
                r#"{"efermi": 0, "energies": [0, 1], "densities": {"1": [0, 1], "-1": [0, "a"]}}"#,
                "densities.-1[1]",
            ),
            (
                r#"{"efermi": 0, "energies": [1, 0], "densities": {"1": [0, 1]}}"#,
                "energies[1]",
            ),
            (
                r#"{"efermi": 0, "energies": [0, 1], "densities": {"2": [0, 1]}}"#,
                "densities.2",
            ),
        ];
        for (i, (text, field)) in cases.iter().enumerate() {
            let p = dir.path().join(format!("bad{i}.json"));
            std::fs::write(&p, text).unwrap();
            match read_dos_document(&p) {
                Err(DataError::Parse { path, field: f, .. }) => {
                    assert_eq!(path, p);
                    assert_eq!(&f, field, "case {i}");
                }
                other => panic!("case {i}: expected a parse error, got {other:?}"),
            }
        }
        let missing = dir.path().join("missing.json");
        assert!(matches!(
            read_dos_document(&missing),
            Err(DataError::Io { .. })
        ));
    }
}
