//! Symmetry operations of a space group named by its Hermann-Mauguin symbol and/or its number
//! ([`setting_for`]) or its Hall symbol ([`setting_for_hall`], which names the setting exactly),
//! from moyo's table of the 530 Hall settings, for CIF files that give only the space group.
//!
//! Setting convention, where the name leaves it open (the one pymatgen's `CifParser` and ASE's
//! CIF reader use, and spglib's default Hall number for each type):
//! - origin choice 1 for the 24 groups with two origins (e.g. `F d -3 m`: Si at 8a is
//!   `0, 0, 0`; origin choice 2 puts it at `1/8, 1/8, 1/8`); `:1` or `:2` after the symbol
//!   (`F d -3 m :2`, as `_space_group_name_H-M_alt` writes it) selects explicitly;
//! - rhombohedral groups on hexagonal axes (`:H`), unless the cell itself is rhombohedral
//!   (a = b = c, alpha = beta = gamma != 90) or the symbol ends in `:R` (or `R`/`H` after the
//!   symbol);
//! - for a short symbol shared by several settings (`P 21/c`, `C 2/c`), the standard one (unique
//!   axis b, cell choice 1); a full symbol (`P 1 1 21/b`, `B 1 1 2/b`) picks its own setting.
//!
//! Symbols compare without spaces, underscores and case (`Fd-3m`, `F d -3 m`, `P 21/c`,
//! `P 2_1/c`, `p21/c` are equal).

use moyo::data::{hall_symbol_entry, operations_from_number, HallSymbolEntry, Setting};

use crate::io::sym_op::SymOp;

/// Number of Hall settings in moyo's table.
const N_HALL: i32 = 530;

/// The setting chosen for a space-group name, and its operations (centring translations
/// included, for the conventional cell the symbol describes).
#[derive(Debug, Clone)]
pub struct SpaceGroupSetting {
    /// International number 1..=230.
    pub number: u16,
    /// Hall number 1..=530 (moyo/spglib numbering).
    pub hall_number: i32,
    /// Full Hermann-Mauguin symbol of the setting, e.g. `F 4_1/d -3 2/m`.
    pub hm_full: String,
    /// moyo's setting code: `1`/`2` (origin choice), `H`/`R`, `b1`, `abc`, ... or empty.
    pub setting: String,
    /// The operations on fractional coordinates.
    pub operations: Vec<SymOp>,
}

/// `s` without spaces and underscores, lower case.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

fn entries() -> impl Iterator<Item = HallSymbolEntry> {
    (1..=N_HALL).filter_map(hall_symbol_entry)
}

/// Choose the setting for a symbol (`hm`, optional) and a number (optional; at least one of the
/// two must be given); `rhombohedral_cell` says whether the cell has rhombohedral axes.
///
/// ```
/// use dos_data::io::space_group_table::setting_for;
/// let s = setting_for(Some("F d -3 m"), None, false).unwrap();
/// assert_eq!((s.number, s.setting.as_str(), s.operations.len()), (227, "1", 192));
/// let s = setting_for(Some("F d -3 m :2"), Some(227), false).unwrap();
/// assert_eq!(s.setting, "2");
/// ```
///
/// # Errors
/// A message naming the symbol or number when no setting fits, or when the two disagree.
pub fn setting_for(
    hm: Option<&str>,
    number: Option<u16>,
    rhombohedral_cell: bool,
) -> Result<SpaceGroupSetting, String> {
    let mut candidates: Vec<HallSymbolEntry> = match hm {
        Some(symbol) => {
            let (name, choice) = split_choice(symbol);
            let key = normalise(&name);
            let mut found: Vec<HallSymbolEntry> =
                entries().filter(|e| normalise(e.hm_full) == key).collect();
            if found.is_empty() {
                found = entries().filter(|e| normalise(e.hm_short) == key).collect();
            }
            if found.is_empty() {
                return Err(format!("unknown Hermann-Mauguin symbol `{symbol}`"));
            }
            if let Some(choice) = choice {
                found.retain(|e| e.setting.eq_ignore_ascii_case(&choice));
                if found.is_empty() {
                    return Err(format!(
                        "`{symbol}`: no setting `{choice}` of this space group"
                    ));
                }
            }
            if let Some(n) = number {
                let sg = found[0].number;
                if i32::from(n) != sg {
                    return Err(format!(
                        "symbol `{symbol}` is space group {sg}, but the number given is {n}"
                    ));
                }
            }
            found
        }
        None => {
            let n = number.ok_or("neither a space-group symbol nor a number")?;
            if !(1..=230).contains(&n) {
                return Err(format!("space-group number {n} is not in 1..=230"));
            }
            entries().filter(|e| e.number == i32::from(n)).collect()
        }
    };
    // Rhombohedral groups: the axes follow the cell unless the symbol chose.
    if candidates.iter().any(|e| e.setting == "H") && candidates.iter().any(|e| e.setting == "R") {
        let want = if rhombohedral_cell { "R" } else { "H" };
        candidates.retain(|e| e.setting == want);
    }
    // Otherwise the smallest Hall number: origin choice 1, unique axis b, cell choice 1.
    let entry = candidates
        .into_iter()
        .min_by_key(|e| e.hall_number)
        .ok_or("no setting found")?;
    from_entry(&entry)
}

/// The setting a Hall symbol names (e.g. `-F 4vw 2vw 3`, as `_space_group_name_Hall` writes
/// it), when it is one of the 530 of moyo's table (compared with whitespace collapsed, case
/// ignored, and `'`/`"` read as the table's `^`/`=`). Symbols outside the table are refused
/// rather than expanded: a made-up combination of generators can generate an infinite group.
///
/// # Errors
/// A message naming the symbol when the table does not hold it.
pub fn setting_for_hall(hall: &str) -> Result<SpaceGroupSetting, String> {
    let key = |s: &str| {
        s.replace('\'', "^")
            .replace('"', "=")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let want = key(hall);
    let entry = entries()
        .find(|e| key(e.hall_symbol) == want)
        .ok_or_else(|| format!("Hall symbol `{hall}` is not one of the 530 standard settings"))?;
    from_entry(&entry)
}

/// The operations of a table entry.
fn from_entry(entry: &HallSymbolEntry) -> Result<SpaceGroupSetting, String> {
    let ops = operations_from_number(entry.number, Setting::HallNumber(entry.hall_number), false)
        .map_err(|e| format!("space-group table: {e}"))?;
    let operations = ops
        .iter()
        .map(|op| {
            let r = op.rotation;
            let t = op.translation;
            SymOp {
                rot: [0, 1, 2].map(|i| [0, 1, 2].map(|j| f64::from(r[(i, j)]))),
                trans: [t[0], t[1], t[2]],
            }
        })
        .collect();
    Ok(SpaceGroupSetting {
        number: u16::try_from(entry.number).unwrap_or(0),
        hall_number: entry.hall_number,
        hm_full: entry.hm_full.to_string(),
        setting: entry.setting.to_string(),
        operations,
    })
}

/// Splits a setting choice off a symbol: `F d -3 m :2` -> (`F d -3 m`, `2`); `R -3 m H` and
/// `R-3mR` -> (`R -3 m`, `H`/`R`); `(origin choice 2)` is read too.
fn split_choice(symbol: &str) -> (String, Option<String>) {
    let s = symbol.trim();
    if let Some((name, choice)) = s.split_once(':') {
        return (name.trim().to_string(), Some(choice.trim().to_string()));
    }
    let lower = s.to_ascii_lowercase();
    for (tail, choice) in [("(origin choice 1)", "1"), ("(origin choice 2)", "2")] {
        if let Some(name) = lower.strip_suffix(tail) {
            return (s[..name.len()].trim().to_string(), Some(choice.into()));
        }
    }
    // No rhombohedral symbol ends in `h` or `r` itself (R3, R-3, R32, R3m, R3c, R-3m, R-3c).
    let compact = normalise(s);
    if compact.starts_with('r') && compact.len() > 2 {
        if let Some(last) = s
            .chars()
            .last()
            .filter(|c| matches!(c, 'H' | 'R' | 'h' | 'r'))
        {
            let name = s[..s.len() - 1].trim();
            return (
                name.to_string(),
                Some(last.to_ascii_uppercase().to_string()),
            );
        }
    }
    (s.to_string(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applies(op: &SymOp, f: [f64; 3]) -> [f64; 3] {
        op.apply(&f).map(|x| x - x.floor())
    }

    #[test]
    fn symbols_and_numbers_pick_the_documented_setting() {
        let s = |hm: Option<&str>, n: Option<u16>| setting_for(hm, n, false).unwrap();
        // Origin choice 1 by default (pymatgen and ASE do the same).
        for v in [
            s(Some("F d -3 m"), None),
            s(Some("Fd-3m"), None),
            s(None, Some(227)),
        ] {
            assert_eq!(
                (v.number, v.setting.as_str(), v.operations.len()),
                (227, "1", 192)
            );
        }
        assert_eq!(s(Some("F d -3 m :2"), None).setting, "2");
        assert_eq!(s(Some("Fd-3m (origin choice 2)"), None).setting, "2");
        // Rhombohedral: hexagonal axes unless the cell or symbol says otherwise.
        assert_eq!(s(Some("R -3 m"), None).setting, "H");
        assert_eq!(s(Some("R -3 m"), None).operations.len(), 36);
        assert_eq!(
            setting_for(Some("R -3 m"), None, true).unwrap().setting,
            "R"
        );
        assert_eq!(s(Some("R -3 m :R"), None).operations.len(), 12);
        assert_eq!(s(Some("R-3mR"), None).setting, "R");
        // Monoclinic: short symbol -> unique axis b; full symbol -> its own setting.
        let p21c = s(Some("P 21/c"), None);
        assert_eq!((p21c.number, p21c.hm_full.as_str()), (14, "P 1 2_1/c 1"));
        assert_eq!(s(Some("P 1 1 21/b"), None).setting, "c3");
        assert_eq!(s(Some("P n m a"), None).number, 62);
        assert_eq!(s(Some("P b n m"), None).number, 62);
        for bad in [
            setting_for(Some("X 9"), None, false),
            setting_for(Some("F d -3 m"), Some(225), false),
            setting_for(Some("F m -3 m :2"), None, false),
            setting_for(None, Some(231), false),
            setting_for(None, None, false),
        ] {
            assert!(bad.is_err());
        }
    }

    #[test]
    fn hall_symbols_from_the_table_only() {
        let one = setting_for_hall("F 4d 2 3 -1d").unwrap();
        assert_eq!((one.number, one.setting.as_str()), (227, "1"));
        let two = setting_for_hall("-F  4vw 2vw 3").unwrap();
        assert_eq!(
            (two.number, two.setting.as_str(), two.operations.len()),
            (227, "2", 192)
        );
        assert_eq!(setting_for_hall("-P 2ybc").unwrap().number, 14);
        assert_eq!(setting_for_hall("P 3*").unwrap().setting, "R");
        assert!(setting_for_hall("P 4 6 3").is_err());
    }

    /// The two origins of Fd-3m differ by (1/8, 1/8, 1/8): Si at 8a.
    #[test]
    fn diamond_8a_in_both_origin_choices() {
        for (choice, site) in [("1", [0.0; 3]), ("2", [0.125; 3])] {
            let s = setting_for(Some(&format!("F d -3 m :{choice}")), None, false).unwrap();
            let mut images: Vec<[f64; 3]> = vec![];
            for op in &s.operations {
                let g = applies(op, site);
                if !images.iter().any(|h| {
                    h.iter()
                        .zip(&g)
                        .all(|(a, b)| ((a - b + 0.5).rem_euclid(1.0) - 0.5).abs() < 1e-9)
                }) {
                    images.push(g);
                }
            }
            assert_eq!(images.len(), 8, "origin choice {choice}");
        }
    }

    /// Every centrosymmetric group with two origins: origin choice 1 has the inversion
    /// off the origin, choice 2 at it (ITA's definition of choice 2).
    #[test]
    fn two_origin_groups_put_the_inversion_where_ita_says() {
        let mut n_groups = 0;
        for n in 1..=230u16 {
            let Ok(one) = setting_for(None, Some(n), false) else {
                continue;
            };
            if one.setting != "1" {
                continue;
            }
            let two = setting_for(Some(&format!("{} :2", one.hm_full)), None, false).unwrap();
            assert_eq!(two.number, n);
            let inversion_at_origin = |s: &SpaceGroupSetting| {
                s.operations.iter().any(|op| {
                    op.rot == [[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]]
                        && op.trans.iter().all(|t| t.rem_euclid(1.0).abs() < 1e-9)
                })
            };
            assert!(!inversion_at_origin(&one), "{n}");
            assert!(inversion_at_origin(&two), "{n}");
            n_groups += 1;
        }
        assert_eq!(n_groups, 24);
    }
}
