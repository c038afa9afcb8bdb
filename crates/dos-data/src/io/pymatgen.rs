//! pymatgen `Structure.as_dict()` JSON: reader and writer.
//!
//! Read: `lattice.matrix` (rows are lattice vectors, Angstrom), `sites[].species[]`
//! (`element`, `occu`), `sites[].abc` (fractional, preferred) or `sites[].xyz` (Cartesian). A
//! top-level `{"structure": {...}}` wrapper (Materials Project documents) is accepted.
//! Partially occupied or mixed sites are rejected: a [`Crystal`] has one element per site.

use std::path::Path;

use serde_json::{json, Value};

use crate::crystal::{Crystal, MAX_ATOMS};
use crate::elements::{parse_species_label, Element};
use crate::error::{DataError, Result};
use crate::mat3::{det3, frac_to_cart};

/// Occupancies within this distance of 1 count as full.
pub const OCCUPANCY_TOLERANCE: f64 = 1e-6;

/// Read a pymatgen structure JSON file.
///
/// # Errors
/// [`DataError::Io`], or [`DataError::Parse`] naming the file and the field
/// (`lattice.matrix`, `sites[3].species`, ...); the record is 0 (not line-based).
pub fn read_pymatgen_json(path: impl AsRef<Path>) -> Result<Crystal> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_pymatgen_json(&text, path)
}

/// Parse pymatgen structure JSON text; `path` is only used in error messages.
///
/// # Errors
/// As [`read_pymatgen_json`]; a JSON syntax error reports its line as the record.
pub fn parse_pymatgen_json(text: &str, path: &Path) -> Result<Crystal> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| DataError::parse(path, e.line(), "json", e.to_string()))?;
    pymatgen_value_to_crystal(&v)
        .map_err(|(field, message)| DataError::parse(path, 0, field, message))
}

/// Convert a parsed `Structure.as_dict()` value.
///
/// # Errors
/// `(field, message)`.
pub fn pymatgen_value_to_crystal(v: &Value) -> std::result::Result<Crystal, (String, String)> {
    let v = v.get("structure").filter(|s| s.is_object()).unwrap_or(v);
    let e = |field: &str, m: String| (field.to_string(), m);
    let matrix = v
        .pointer("/lattice/matrix")
        .ok_or_else(|| e("lattice.matrix", "missing".into()))?;
    let lattice = mat3(matrix).ok_or_else(|| e("lattice.matrix", "expected 3x3 numbers".into()))?;
    let sites = v
        .get("sites")
        .and_then(Value::as_array)
        .ok_or_else(|| e("sites", "missing or not a list".into()))?;
    if sites.len() > MAX_ATOMS {
        return Err(e(
            "sites",
            format!(
                "{} sites, more than {MAX_ATOMS} atoms (MAX_ATOMS)",
                sites.len()
            ),
        ));
    }
    let mut numbers = Vec::with_capacity(sites.len());
    let mut positions = Vec::with_capacity(sites.len());
    for (i, site) in sites.iter().enumerate() {
        let field = |name: &str| format!("sites[{i}].{name}");
        let species = site
            .get("species")
            .and_then(Value::as_array)
            .ok_or_else(|| (field("species"), "missing or not a list".to_string()))?;
        let [sp] = species.as_slice() else {
            return Err((
                field("species"),
                format!(
                    "{} species on one site (disordered site): not supported, order the structure first",
                    species.len()
                ),
            ));
        };
        let occu = sp.get("occu").and_then(Value::as_f64).unwrap_or(1.0);
        if (occu - 1.0).abs() > OCCUPANCY_TOLERANCE {
            return Err((
                field("species"),
                format!("partial occupancy {occu}: not supported, order the structure first"),
            ));
        }
        let label = sp
            .get("element")
            .and_then(Value::as_str)
            .ok_or_else(|| (field("species"), "missing `element`".to_string()))?;
        let el = parse_species_label(label)
            .ok_or_else(|| (field("species"), format!("unknown element `{label}`")))?;
        numbers.push(el.z);
        let pos = if let Some(abc) = site.get("abc") {
            let f = vec3(abc).ok_or_else(|| (field("abc"), "expected 3 numbers".to_string()))?;
            frac_to_cart(&lattice, &f)
        } else if let Some(xyz) = site.get("xyz") {
            vec3(xyz).ok_or_else(|| (field("xyz"), "expected 3 numbers".to_string()))?
        } else {
            return Err((field("abc"), "site has neither `abc` nor `xyz`".into()));
        };
        positions.push(pos);
    }
    Crystal::new(lattice, numbers, positions)
        .map_err(|err| ("structure".into(), format!("invalid crystal: {err}")))
}

fn vec3(v: &Value) -> Option<[f64; 3]> {
    match v.as_array()?.as_slice() {
        [a, b, c] => Some([a.as_f64()?, b.as_f64()?, c.as_f64()?]),
        _ => None,
    }
}

fn mat3(v: &Value) -> Option<[[f64; 3]; 3]> {
    match v.as_array()?.as_slice() {
        [a, b, c] => Some([vec3(a)?, vec3(b)?, vec3(c)?]),
        _ => None,
    }
}

/// Lattice parameters (a, b, c in Angstrom; alpha, beta, gamma in degrees) of a lattice whose
/// rows are the vectors a, b, c.
pub fn lattice_parameters(l: &[[f64; 3]; 3]) -> [f64; 6] {
    let n = |v: &[f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    let dot = |u: &[f64; 3], v: &[f64; 3]| u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    let (a, b, c) = (n(&l[0]), n(&l[1]), n(&l[2]));
    let ang = |u: &[f64; 3], v: &[f64; 3], nu: f64, nv: f64| {
        (dot(u, v) / (nu * nv)).clamp(-1.0, 1.0).acos().to_degrees()
    };
    [
        a,
        b,
        c,
        ang(&l[1], &l[2], b, c),
        ang(&l[0], &l[2], a, c),
        ang(&l[0], &l[1], a, b),
    ]
}

/// The `Structure.as_dict()` JSON value of a crystal (what pymatgen's `Structure.from_dict`
/// reads back).
pub fn crystal_to_pymatgen_value(c: &Crystal) -> Value {
    let l = c.lattice();
    let [a, b, cc, alpha, beta, gamma] = lattice_parameters(l);
    let frac = c.fractional_positions();
    let sites: Vec<Value> = c
        .numbers()
        .iter()
        .zip(frac.iter().zip(c.positions()))
        .map(|(&z, (f, r))| {
            let symbol = Element::from_z(z).map_or("X", |e| e.symbol);
            json!({
                "species": [{"element": symbol, "occu": 1}],
                "abc": f,
                "xyz": r,
                "properties": {},
                "label": symbol,
            })
        })
        .collect();
    json!({
        "@module": "pymatgen.core.structure",
        "@class": "Structure",
        "charge": 0.0,
        "lattice": {
            "matrix": l,
            "pbc": [true, true, true],
            "a": a, "b": b, "c": cc,
            "alpha": alpha, "beta": beta, "gamma": gamma,
            "volume": det3(l).abs(),
        },
        "properties": {},
        "sites": sites,
    })
}

/// Write a crystal as pymatgen `Structure.as_dict()` JSON (pretty-printed).
///
/// # Errors
/// [`DataError::Io`] if the file cannot be written.
pub fn write_pymatgen_json(path: impl AsRef<Path>, c: &Crystal) -> Result<()> {
    let path = path.as_ref();
    let text = serde_json::to_string_pretty(&crystal_to_pymatgen_value(c)).unwrap_or_default();
    std::fs::write(path, text).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::test_support::{assert_same_crystal, sample_crystal};

    // `python3 -c "from pymatgen.core import Structure, Lattice; import json;
    //  s=Structure(Lattice.cubic(4.2), ['Fe','O'], [[0,0,0],[0.5,0.5,0.5]]); print(json.dumps(s.as_dict()))"`
    // (pymatgen 2026.10.24)
    const PMG: &str = r#"{"@module": "pymatgen.core.structure", "@class": "Structure", "charge": 0.0, "lattice": {"matrix": [[4.2, 0.0, 0.0], [0.0, 4.2, 0.0], [0.0, 0.0, 4.2]], "pbc": [true, true, true], "a": 4.2, "b": 4.2, "c": 4.2, "alpha": 90.0, "beta": 90.0, "gamma": 90.0, "volume": 74.08800000000001}, "properties": {}, "sites": [{"species": [{"element": "Fe", "occu": 1}], "abc": [0.0, 0.0, 0.0], "properties": {}, "label": "Fe", "xyz": [0.0, 0.0, 0.0]}, {"species": [{"element": "O", "occu": 1}], "abc": [0.5, 0.5, 0.5], "properties": {}, "label": "O", "xyz": [2.1, 2.1, 2.1]}]}"#;

    #[test]
    fn reads_pymatgen_output() {
        let c = parse_pymatgen_json(PMG, Path::new("x.json")).unwrap();
        assert_eq!(c.numbers(), [26, 8]);
        assert_eq!(c.positions()[1], [2.1, 2.1, 2.1]);
        assert_eq!(c.lattice()[2], [0.0, 0.0, 4.2]);
        let wrapped = format!("{{\"structure\": {PMG}}}");
        assert_eq!(
            parse_pymatgen_json(&wrapped, Path::new("x.json")).unwrap(),
            c
        );
        let xyz_only = PMG.replace("\"abc\": [0.5, 0.5, 0.5], ", "");
        assert_eq!(
            parse_pymatgen_json(&xyz_only, Path::new("x.json"))
                .unwrap()
                .positions()[1],
            [2.1, 2.1, 2.1]
        );
    }

    #[test]
    fn rejects_partial_occupancy_and_bad_fields() {
        let p = Path::new("dis.json");
        let partial = PMG.replace(
            r#"{"element": "O", "occu": 1}"#,
            r#"{"element": "O", "occu": 0.5}"#,
        );
        let msg = parse_pymatgen_json(&partial, p).unwrap_err().to_string();
        assert!(
            msg.starts_with("dis.json:0: field `sites[1].species`")
                && msg.contains("partial occupancy 0.5"),
            "{msg}"
        );
        let mixed = PMG.replace(
            r#"{"element": "O", "occu": 1}"#,
            r#"{"element": "O", "occu": 0.5}, {"element": "F", "occu": 0.5}"#,
        );
        assert!(parse_pymatgen_json(&mixed, p)
            .unwrap_err()
            .to_string()
            .contains("2 species on one site"));
        let unknown = PMG.replace(r#""element": "O""#, r#""element": "Qq""#);
        assert!(parse_pymatgen_json(&unknown, p)
            .unwrap_err()
            .to_string()
            .contains("unknown element `Qq`"));
        let bad_lat = PMG.replace("[0.0, 0.0, 4.2]]", "[0.0, 0.0]]");
        assert!(parse_pymatgen_json(&bad_lat, p)
            .unwrap_err()
            .to_string()
            .contains("lattice.matrix"));
        let msg = parse_pymatgen_json("{\n\"sites\": [", p)
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("dis.json:2: field `json`"), "{msg}");
    }

    #[test]
    fn too_many_sites_is_an_error_before_reading_them() {
        let site = r#"{"species": [{"element": "O", "occu": 1}], "abc": [0, 0, 0]}"#;
        let sites = vec![site; MAX_ATOMS + 1].join(",");
        let text = format!(
            r#"{{"lattice": {{"matrix": [[4, 0, 0], [0, 4, 0], [0, 0, 4]]}}, "sites": [{sites}]}}"#
        );
        let msg = parse_pymatgen_json(&text, Path::new("big.json"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("big.json:0: field `sites`: 2049 sites") && msg.contains("MAX_ATOMS"),
            "{msg}"
        );
    }

    #[test]
    fn round_trip() {
        let c = sample_crystal();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        write_pymatgen_json(&p, &c).unwrap();
        let back = read_pymatgen_json(&p).unwrap();
        assert_same_crystal(&c, &back, 1e-8);
        let [a, _, _, alpha, beta, gamma] =
            lattice_parameters(&[[4.2, 0.0, 0.0], [0.0, 4.2, 0.0], [0.0, 0.0, 4.2]]);
        assert_eq!([a, alpha, beta, gamma], [4.2, 90.0, 90.0, 90.0]);
    }
}
