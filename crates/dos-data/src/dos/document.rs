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

use std::path::Path;

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
        let err = |field: &str, message: String| DataError::parse(path, 0, field, message);
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
            .ok_or_else(|| DataError::parse(path, 0, "<root>", "expected a JSON object"))?;
        let efermi = obj
            .get("efermi")
            .ok_or_else(|| DataError::parse(path, 0, "efermi", "missing"))?
            .as_f64()
            .ok_or_else(|| DataError::parse(path, 0, "efermi", "expected a number"))?;
        let energies = number_array(obj.get("energies"), path, "energies")?;
        let dens = obj
            .get("densities")
            .ok_or_else(|| DataError::parse(path, 0, "densities", "missing"))?
            .as_object()
            .ok_or_else(|| DataError::parse(path, 0, "densities", "expected an object"))?;
        let mut up = None;
        let mut down = None;
        for (key, v) in dens {
            let field = format!("densities.{key}");
            match key.as_str() {
                "1" | "Spin.up" | "up" => up = Some(number_array(Some(v), path, &field)?),
                "-1" | "Spin.down" | "down" => down = Some(number_array(Some(v), path, &field)?),
                _ => {
                    return Err(DataError::parse(
                        path,
                        0,
                        &field,
                        "unknown spin key (expected \"1\" or \"-1\")",
                    ))
                }
            }
        }
        let densities_up = up.ok_or_else(|| {
            DataError::parse(path, 0, "densities.1", "missing spin-up (\"1\") densities")
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
            return Err(DataError::parse(path, 0, "structure", "expected an object"));
        }
        Ok(doc)
    }

    /// Parses a JSON string (see [`Self::from_json_value`]).
    pub fn from_json_str(text: &str, path: &Path) -> Result<Self> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| DataError::parse(path, e.line(), "<json>", e.to_string()))?;
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

    /// Net spin moment per cell in Bohr magnetons: the occupied spin imbalance
    /// `m = integral_{E_0}^{E_F} (g_up(E) - g_down(E)) dE` (one muB per unpaired electron, g in
    /// states/eV, E in eV), by the trapezoid rule on the document's grid; the interval holding
    /// `efermi` is cut there, with the integrand interpolated linearly. 0 when not
    /// spin-polarised; signed (negative when down dominates).
    pub fn net_moment(&self) -> f64 {
        let Some(down) = &self.densities_down else {
            return 0.0;
        };
        let f: Vec<f64> = self
            .densities_up
            .iter()
            .zip(down)
            .map(|(u, d)| u - d)
            .collect();
        let e = &self.energies;
        let mut m = 0.0;
        for i in 1..e.len() {
            let (e0, e1) = (e[i - 1], e[i]);
            if e0 >= self.efermi {
                break;
            }
            if e1 <= self.efermi {
                m += 0.5 * (e1 - e0) * (f[i - 1] + f[i]);
            } else {
                let t = (self.efermi - e0) / (e1 - e0);
                let f_fermi = f[i - 1] + t * (f[i] - f[i - 1]);
                m += 0.5 * (self.efermi - e0) * (f[i - 1] + f_fermi);
            }
        }
        m
    }

    /// Magnetic: spin-polarised with `|net_moment()| > tol` (muB per cell; the datasets use
    /// [`super::summary::DEFAULT_MAGNETIC_TOL`] = 0.05).
    ///
    /// A spin-polarised calculation of a non-magnetic material has equal channels up to
    /// numerical noise (GaAs from the Materials Project: ~0.008 muB per cell) and is not
    /// magnetic; a pointwise test of `|g_up - g_down|` would flag such noise.
    pub fn is_magnetic(&self, tol: f64) -> bool {
        self.is_spin_polarized() && self.net_moment().abs() > tol
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

fn number_array(v: Option<&Value>, path: &Path, field: &str) -> Result<Vec<f64>> {
    let arr = v
        .ok_or_else(|| DataError::parse(path, 0, field, "missing"))?
        .as_array()
        .ok_or_else(|| DataError::parse(path, 0, field, "expected an array of numbers"))?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_f64().ok_or_else(|| {
                DataError::parse(path, 0, format!("{field}[{i}]"), "expected a number")
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

    /// A document in pymatgen's `Dos.as_dict()` shape, parsed back.
    fn pymatgen_doc(
        efermi: f64,
        e: &[f64],
        up: &[f64],
        down: Option<&[f64]>,
    ) -> ElectronDosDocument {
        let mut dens = serde_json::Map::new();
        dens.insert("1".into(), serde_json::json!(up));
        if let Some(d) = down {
            dens.insert("-1".into(), serde_json::json!(d));
        }
        let v = serde_json::json!({"@module": "pymatgen.electronic_structure.dos",
            "@class": "Dos", "efermi": efermi, "energies": e, "densities": dens});
        ElectronDosDocument::from_json_str(&v.to_string(), Path::new("x.json")).unwrap()
    }

    fn grid(from: f64, step: f64, n: usize) -> Vec<f64> {
        (0..n).map(|i| from + i as f64 * step).collect()
    }

    /// Height-`h` band on [a, d] with linear edges over `w` (a trapezoid; area h (d - a - w)).
    fn band(e: &[f64], a: f64, d: f64, w: f64, h: f64) -> Vec<f64> {
        e.iter()
            .map(|&x| h * ((x - a) / w).min((d - x) / w).clamp(0.0, 1.0))
            .collect()
    }

    #[test]
    fn net_moment_is_the_trapezoid_integral_up_to_the_fermi_level() {
        // A constant imbalance c integrates to c (E_F - E_0), E_F on, between, below and above
        // grid points (the trapezoid rule is exact for a piecewise-linear integrand).
        let e = grid(-2.0, 0.25, 17);
        let up = vec![1.5; 17];
        let down = vec![1.0; 17];
        for (ef, want) in [(0.0, 1.0), (0.1, 1.05), (-3.0, 0.0), (9.0, 2.0)] {
            let m = pymatgen_doc(ef, &e, &up, Some(&down)).net_moment();
            assert!((m - want).abs() < 1e-12, "E_F {ef}: {m} vs {want}");
        }
        // A linear imbalance f(E) = E + 2 cut at E_F = 0.1 (mid-interval): (E_F + 2)^2 / 2.
        let up: Vec<f64> = e.iter().map(|x| x + 2.0).collect();
        let m = pymatgen_doc(0.1, &e, &up, Some(&[0.0; 17])).net_moment();
        assert!((m - 2.1f64.powi(2) / 2.0).abs() < 1e-12, "{m}");
        assert_eq!(pymatgen_doc(0.1, &e, &up, None).net_moment(), 0.0);
    }

    #[test]
    fn exchange_split_ferromagnet_is_magnetic() {
        // Up band on [-5, -1], down band the same shifted up by the exchange splitting 2 eV,
        // height 2 states/eV, 0.1 eV edges, E_F = 0. Closed form: N_up = 2 (4 - 0.1) = 7.8,
        // N_down(E < 0) = 2 (3 - 0.05) = 5.9, so m = 1.9 muB.
        let e = grid(-8.0, 0.01, 1101);
        let up = band(&e, -5.0, -1.0, 0.1, 2.0);
        let down = band(&e, -3.0, 1.0, 0.1, 2.0);
        let d = pymatgen_doc(0.0, &e, &up, Some(&down));
        assert!((d.net_moment() - 1.9).abs() < 1e-9, "{}", d.net_moment());
        assert!(d.is_magnetic(crate::dos::DEFAULT_MAGNETIC_TOL));
        // Swapping the channels flips the sign, not the verdict.
        let swapped = pymatgen_doc(0.0, &e, &down, Some(&up));
        assert!((swapped.net_moment() + 1.9).abs() < 1e-9);
        assert!(swapped.is_magnetic(crate::dos::DEFAULT_MAGNETIC_TOL));
    }

    #[test]
    fn spin_polarised_gaas_with_noisy_equal_channels_is_not_magnetic() {
        // Like the Materials Project GaAs document: computed spin-polarised, the channels equal
        // to 1e-3 relative. Valence band 4 states/spin below E_F = 0, gap 1.4 eV.
        let e = grid(-14.0, 0.005, 4001);
        let gauss = |x: f64, mu: f64, s: f64, n: f64| {
            n * (-(x - mu).powi(2) / (2.0 * s * s)).exp()
                / (s * (2.0 * std::f64::consts::PI).sqrt())
        };
        let up: Vec<f64> = e
            .iter()
            .map(|&x| {
                gauss(x, -11.0, 0.6, 1.0) + gauss(x, -3.5, 1.5, 3.0) + gauss(x, 4.5, 1.5, 4.0)
            })
            .collect();
        // Deterministic noise of relative size up to 1e-3 (spread over signs like SCF noise).
        let down: Vec<f64> = up
            .iter()
            .enumerate()
            .map(|(i, g)| g * (1.0 + 1e-3 * ((i as f64) * 0.7).sin()))
            .collect();
        let d = pymatgen_doc(0.0, &e, &up, Some(&down));
        assert!(d.is_spin_polarized());
        assert!(d.net_moment().abs() < 0.01, "{}", d.net_moment());
        assert!(!d.is_magnetic(crate::dos::DEFAULT_MAGNETIC_TOL));
        // A uniform 1e-3 relative excess of the up channel over 8 occupied electrons stays
        // below the threshold too: m = 4e-3 muB.
        let down: Vec<f64> = up.iter().map(|g| g * (1.0 - 1e-3)).collect();
        let d = pymatgen_doc(0.0, &e, &up, Some(&down));
        assert!((d.net_moment() - 4e-3).abs() < 1e-4, "{}", d.net_moment());
        assert!(!d.is_magnetic(crate::dos::DEFAULT_MAGNETIC_TOL));
        // ... while the pointwise test replaced here flagged it (max |up - down| > 1e-3).
        assert!(d.max_spin_difference() > 1e-3);
    }

    #[test]
    fn unpolarised_and_equal_channels_are_not_magnetic() {
        let p = Path::new("x.json");
        let d = ElectronDosDocument::from_json_str(PYMATGEN_DOS, p).unwrap();
        assert!((d.max_spin_difference() - 0.5).abs() < 1e-15);
        // The channels differ only at 2 eV, above E_F = 1.5: the interpolated imbalance
        // -0.25 at E_F gives m = 0.5 * 0.5 * (0 - 0.25) = -0.0625 muB.
        assert!((d.net_moment() + 0.0625).abs() < 1e-15);
        assert!(d.is_magnetic(0.05) && !d.is_magnetic(0.1));
        let e = vec![0.0, 1.0];
        let same =
            ElectronDosDocument::new(0.5, e.clone(), vec![1.0, 2.0], Some(vec![1.0, 2.0]), p);
        assert!(!same.unwrap().is_magnetic(0.0));
        let unpolarised = ElectronDosDocument::new(0.5, e, vec![1.0, 2.0], None, p).unwrap();
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
