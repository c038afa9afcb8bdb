//! Element data: symbol, mass, Pauling electronegativity, covalent radius, group, period and
//! valence-electron count.
//!
//! Sources:
//! - symbol, standard atomic weight, group, period and electronic configuration: the
//!   [`mendeleev`](https://crates.io/crates/mendeleev) crate;
//! - Pauling electronegativity: the [`periodic_table`](https://crates.io/crates/periodic_table)
//!   crate (data of github.com/andrejewski/periodic-table); `None` for noble gases and heavy
//!   elements it has no value for;
//! - covalent radius: no crate on crates.io documents its covalent radii (`periodic_table` and
//!   `periodic-table-on-an-enum` only give an unlabelled "atomic radius"), so the single-bond
//!   covalent radii of Cordero et al., "Covalent radii revisited", Dalton Trans. 2008, 2832-2838
//!   (doi:10.1039/B801115J) are tabulated here for Z = 1..=96, exactly as `ase.data.covalent_radii`
//!   carries them (low-spin values for Mn, Fe, Co; sp3 value for C). `None` above Z = 96.

/// Properties of one chemical element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Element {
    /// Atomic number Z.
    pub z: u8,
    /// Chemical symbol, e.g. `Fe`.
    pub symbol: &'static str,
    /// Standard atomic weight in amu (conventional value; most stable isotope when unknown).
    pub mass: f64,
    /// Pauling electronegativity, `None` where none is tabulated (e.g. He, Ne, Ar).
    pub electronegativity: Option<f64>,
    /// Single-bond covalent radius in Angstrom (Cordero et al. 2008), `None` above Z = 96.
    pub covalent_radius: Option<f64>,
    /// IUPAC group 1..=18, `None` for the lanthanides and actinides other than La/Ac/Lu/Lr as
    /// the `mendeleev` crate assigns them.
    pub group: Option<u8>,
    /// Period (row of the periodic table) 1..=7.
    pub period: u8,
    /// Valence electrons: outer `ns + np` for the s/p block, `ns + (n-1)d` for the d block
    /// (= group number), `ns + (n-1)d + (n-2)f` for the f block (details at
    /// `Element::valence_electrons_of` in the source).
    pub valence_electrons: u8,
}

/// Cordero et al. (2008) covalent radii in Angstrom for Z = 1..=96 (index Z - 1), as in
/// `python3 -c "from ase.data import covalent_radii; print(covalent_radii[1:97])"` (ASE 3.29).
const COVALENT_RADII: [f64; 96] = [
    0.31, 0.28, 1.28, 0.96, 0.84, 0.76, 0.71, 0.66, 0.57, 0.58, 1.66, 1.41, 1.21, 1.11, 1.07, 1.05,
    1.02, 1.06, 2.03, 1.76, 1.70, 1.60, 1.53, 1.39, 1.39, 1.32, 1.26, 1.24, 1.32, 1.22, 1.22, 1.20,
    1.19, 1.20, 1.20, 1.16, 2.20, 1.95, 1.90, 1.75, 1.64, 1.54, 1.47, 1.46, 1.42, 1.39, 1.45, 1.44,
    1.42, 1.39, 1.39, 1.38, 1.39, 1.40, 2.44, 2.15, 2.07, 2.04, 2.03, 2.01, 1.99, 1.98, 1.98, 1.96,
    1.94, 1.92, 1.92, 1.89, 1.90, 1.87, 1.87, 1.75, 1.70, 1.62, 1.51, 1.44, 1.41, 1.36, 1.36, 1.32,
    1.45, 1.46, 1.48, 1.40, 1.50, 1.50, 2.60, 2.21, 2.15, 2.06, 2.00, 1.96, 1.90, 1.87, 1.80, 1.69,
];

impl Element {
    /// The element with atomic number `z` (1..=118), or `None`.
    pub fn from_z(z: u8) -> Option<Self> {
        let idx = usize::from(z).checked_sub(1)?;
        let e = *mendeleev::Element::list().get(idx)?;
        let electronegativity = periodic_table::periodic_table()
            .get(idx)
            .and_then(|p| p.electronegativity)
            .map(|x| (f64::from(x) * 100.0).round() / 100.0);
        Some(Self {
            z,
            symbol: e.symbol(),
            mass: f64::from(e.atomic_weight()),
            electronegativity,
            covalent_radius: COVALENT_RADII.get(idx).copied(),
            group: e.group().and_then(|g| u8::try_from(g.group_number()).ok()),
            period: u8::try_from(e.period()).unwrap_or(0),
            valence_electrons: Self::valence_electrons_of(e),
        })
    }

    /// The element with chemical symbol `symbol`, or `None`.
    ///
    /// Case is normalised (`fe`, `FE` and `Fe` all give iron); surrounding whitespace is
    /// ignored. Use [`parse_species_label`] for labels with charges or site numbers.
    pub fn from_symbol(symbol: &str) -> Option<Self> {
        let s = symbol.trim();
        let mut chars = s.chars();
        let first = chars.next()?.to_ascii_uppercase();
        let rest: String = chars.map(|c| c.to_ascii_lowercase()).collect();
        if rest.len() > 2 {
            return None;
        }
        let normalised = format!("{first}{rest}");
        let i = mendeleev::Element::list()
            .iter()
            .position(|e| e.symbol() == normalised)?;
        Self::from_z(u8::try_from(i + 1).ok()?)
    }

    /// Number of valence electrons, by this rule (from the ground-state configuration):
    ///
    /// - s- and p-block (groups 1, 2, 13-18, and H, He): electrons in the outermost s and p
    ///   subshells, i.e. `ns + np` (O 6, Cl 7, Ga 3, Pb 4, He 2). Filled `(n-1)d` and `(n-2)f`
    ///   shells are core.
    /// - d-block (groups 3-12): `ns + (n-1)d`, which equals the group number (Fe 8, Cu 11,
    ///   Zn 12, Pd 10).
    /// - f-block (no group): `ns + (n-1)d + (n-2)f`, every electron outside the noble-gas core
    ///   (Ce 4, Gd 10, U 6).
    fn valence_electrons_of(e: mendeleev::Element) -> u8 {
        use mendeleev::SubshellLabel as L;
        let conf = e.electronic_configuration();
        let subshells = conf.valence_subshells;
        // Outer shell n: the largest s/p shell number; Pd ([Kr] 4d10) has none, so use d + 1.
        let n = subshells
            .iter()
            .filter(|s| matches!(s.subshell_label, L::S | L::P))
            .map(|s| s.shell_number)
            .max()
            .or_else(|| {
                subshells
                    .iter()
                    .filter(|s| s.subshell_label == L::D)
                    .map(|s| s.shell_number + 1)
                    .max()
            })
            .unwrap_or(0);
        let group = e.group().map(|g| g.group_number());
        let d_block = matches!(group, Some(3..=12));
        let f_block = group.is_none();
        let count: u32 = subshells
            .iter()
            .filter(|s| match s.subshell_label {
                L::S | L::P => s.shell_number == n,
                L::D => (d_block || f_block) && s.shell_number + 1 == n,
                L::F => f_block && s.shell_number + 2 == n,
                L::G => false,
            })
            .map(|s| s.number_of_electrons)
            .sum();
        u8::try_from(count).unwrap_or(u8::MAX)
    }
}

/// Parse an element out of a species or site label as written by pymatgen or in CIF files:
/// `Fe`, `Fe2+`, `O2-`, `Fe1`, `O2a`, `Fe3+:0.5`, `fe`, `FE1`.
///
/// Rule: the label must start with a letter. If its second character is a lower-case letter,
/// the first two letters must form a symbol (`Xx1` is rejected rather than guessed as `X`...).
/// Otherwise the one-letter symbol of the first letter is taken. All-upper-case labels (`FE1`)
/// first try the two-letter symbol case-insensitively. Returns `None` when no element fits.
pub fn parse_species_label(label: &str) -> Option<Element> {
    let s = label.trim();
    let letters: Vec<char> = s.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let first = *letters.first()?;
    let all_upper = letters.iter().all(|c| c.is_ascii_uppercase());
    if letters.len() >= 2 && (letters[1].is_ascii_lowercase() || all_upper) {
        let two: String = letters[..2].iter().collect();
        if let Some(e) = Element::from_symbol(&two) {
            return Some(e);
        }
        if !all_upper {
            return None;
        }
    }
    Element::from_symbol(&first.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Reference values: IUPAC standard atomic weights, Pauling electronegativities and
        // Cordero (2008) radii as printed by
        // `python3 -c "from pymatgen.core import Element as E; e=E('Fe'); print(e.atomic_mass, e.X, e.group, e.row)"`
        // (55.845 1.83 8 4) and `ase.data.covalent_radii[26]` (1.32).
        let fe = Element::from_symbol("Fe").unwrap();
        assert_eq!(fe.z, 26);
        assert!((fe.mass - 55.845).abs() < 1e-3);
        assert_eq!(fe.electronegativity, Some(1.83));
        assert_eq!(fe.covalent_radius, Some(1.32));
        assert_eq!(fe.group, Some(8));
        assert_eq!(fe.period, 4);
        assert_eq!(fe.valence_electrons, 8);

        let o = Element::from_z(8).unwrap();
        assert_eq!(o.symbol, "O");
        assert_eq!(o.electronegativity, Some(3.44));
        assert_eq!(o.covalent_radius, Some(0.66));
        assert_eq!((o.group, o.period, o.valence_electrons), (Some(16), 2, 6));

        let cs = Element::from_symbol("Cs").unwrap();
        assert_eq!(cs.electronegativity, Some(0.79));
        assert_eq!(cs.covalent_radius, Some(2.44));
        assert_eq!((cs.group, cs.period, cs.valence_electrons), (Some(1), 6, 1));

        let bi = Element::from_z(83).unwrap();
        assert_eq!(bi.electronegativity, Some(2.02));
        assert_eq!(
            (bi.group, bi.period, bi.valence_electrons),
            (Some(15), 6, 5)
        );

        // Noble gas without a Pauling value.
        assert_eq!(Element::from_symbol("Ne").unwrap().electronegativity, None);
        // Beyond Cordero's table.
        assert_eq!(Element::from_z(100).unwrap().covalent_radius, None);
    }

    #[test]
    fn valence_rule() {
        let v = |s: &str| Element::from_symbol(s).unwrap().valence_electrons;
        // s/p block: outer s + p only.
        assert_eq!(
            [v("H"), v("He"), v("Na"), v("Mg"), v("C"), v("Cl")],
            [1, 2, 1, 2, 4, 7]
        );
        assert_eq!(
            [v("Ga"), v("Ge"), v("Pb"), v("Se"), v("Kr")],
            [3, 4, 4, 6, 8]
        );
        // d block: group number.
        assert_eq!(
            [
                v("Sc"),
                v("Ti"),
                v("Cr"),
                v("Cu"),
                v("Zn"),
                v("Pd"),
                v("Au")
            ],
            [3, 4, 6, 11, 12, 10, 11]
        );
        // f block: everything outside the noble-gas core ([Xe] 4f1 5d1 6s2, [Xe] 4f7 5d1 6s2).
        assert_eq!([v("Ce"), v("Gd")], [4, 10]);
    }

    #[test]
    fn all_elements_exist() {
        for z in 1..=118u8 {
            let e = Element::from_z(z).unwrap();
            assert_eq!(Element::from_symbol(e.symbol).unwrap().z, z);
            assert!(e.mass > 0.0 && (1..=7).contains(&e.period));
        }
        assert!(Element::from_z(0).is_none() && Element::from_z(119).is_none());
    }

    #[test]
    fn species_labels() {
        let z = |s: &str| parse_species_label(s).map(|e| e.z);
        assert_eq!(z("Fe"), Some(26));
        assert_eq!(z("Fe2+"), Some(26));
        assert_eq!(z("Fe1"), Some(26));
        assert_eq!(z("O2-"), Some(8));
        assert_eq!(z("O1"), Some(8));
        assert_eq!(z("Os1"), Some(76));
        assert_eq!(z("Co3+"), Some(27));
        assert_eq!(z("FE1"), Some(26));
        assert_eq!(z("S"), Some(16));
        assert_eq!(z(" Na+ "), Some(11));
        assert_eq!(z("Xx1"), None);
        assert_eq!(z("1Fe"), None);
        assert_eq!(z(""), None);
        assert_eq!(Element::from_symbol("fe").unwrap().z, 26);
        assert!(Element::from_symbol("Fe2+").is_none());
    }
}
