//! CIF (Crystallographic Information File) reader and P1 writer.
//!
//! Read from every `data_` block that describes a structure ([`parse_cif_blocks`]; [`read_cif`]
//! and [`parse_cif`] take the first): `_cell_length_a/b/c` and `_cell_angle_alpha/beta/gamma`
//! (standard orientation: a along x, b in the xy plane); the `_atom_site_fract_x/y/z` loop with
//! `_atom_site_type_symbol` (or `_atom_site_label`, e.g. `Fe1`) and optional
//! `_atom_site_occupancy` (partial occupancy is rejected); symmetry operations from
//! `_symmetry_equiv_pos_as_xyz` or `_space_group_symop_operation_xyz` (forms like
//! `x,y+1/2,-z`, `'-x+1/2, y, z'`, `x-y,x,z+1/6`), or, without them, from the space group's
//! Hall symbol, Hermann-Mauguin symbol or number ([`crate::io::space_group_table`], whose
//! setting convention is pymatgen's and ASE's). Every operation is applied to every site,
//! coordinates are wrapped to [0, 1) and images of the same element closer than
//! [`CIF_MERGE_TOLERANCE`] are merged. With neither operations nor a space group the file is
//! read as P1. DDL2-style tags (`_cell.length_a`) are read like their DDL1 forms; values may
//! carry uncertainties (`5.640(2)`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::cell_list::PeriodicCellList;
use crate::crystal::{Crystal, MAX_ATOMS, MIN_ATOM_DISTANCE};
use crate::elements::{parse_species_label, Element};
use crate::error::{DataError, Result};
use crate::io::pymatgen::lattice_parameters;
pub use crate::io::sym_op::{parse_symop, SymOp};
use crate::mat3::periodic_distance;

/// Two symmetry images of the same element closer than this (Angstrom) are one atom.
pub const CIF_MERGE_TOLERANCE: f64 = 0.01;

/// Most symmetry operations read from one CIF: 192, the order of the largest crystallographic
/// space groups with their centring translations (e.g. Fm-3m listed in a conventional cell).
/// A file with more is rejected rather than expanded.
pub const MAX_SYMMETRY_OPS: usize = 192;

/// Occupancies within this distance of 1 count as full.
const OCCUPANCY_TOLERANCE: f64 = 1e-3;

/// Read the first structure block of a CIF file (see [`parse_cif_blocks`] for all).
///
/// # Errors
/// [`DataError::Io`], or [`DataError::Parse`] naming the file, the line and the tag.
pub fn read_cif(path: impl AsRef<Path>) -> Result<Crystal> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_cif(&text, path)
}

#[derive(Debug, Clone)]
struct Token {
    text: String,
    line: usize,
    quoted: bool,
}

fn tokenize(text: &str) -> std::result::Result<Vec<Token>, (usize, String)> {
    let mut tokens = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let lineno = i + 1;
        if let Some(first) = line.strip_prefix(';') {
            // Semicolon text field: until a line starting with ';'.
            let mut value = first.to_string();
            let mut closed = false;
            for (_, l) in lines.by_ref() {
                if l.starts_with(';') {
                    closed = true;
                    break;
                }
                value.push('\n');
                value.push_str(l);
            }
            if !closed {
                return Err((lineno, "text field opened with `;` is never closed".into()));
            }
            tokens.push(Token {
                text: value,
                line: lineno,
                quoted: true,
            });
            continue;
        }
        let b = line.as_bytes();
        let mut j = 0;
        while j < b.len() {
            let c = b[j];
            if c.is_ascii_whitespace() {
                j += 1;
            } else if c == b'#' {
                break;
            } else if c == b'\'' || c == b'"' {
                // A quote closes only when followed by whitespace or the end of the line.
                let start = j + 1;
                let mut k = start;
                loop {
                    if k >= b.len() {
                        return Err((lineno, format!("unterminated {} quote", c as char)));
                    }
                    if b[k] == c && (k + 1 == b.len() || b[k + 1].is_ascii_whitespace()) {
                        break;
                    }
                    k += 1;
                }
                tokens.push(Token {
                    text: line[start..k].to_string(),
                    line: lineno,
                    quoted: true,
                });
                j = k + 1;
            } else {
                let start = j;
                while j < b.len() && !b[j].is_ascii_whitespace() {
                    j += 1;
                }
                tokens.push(Token {
                    text: line[start..j].to_string(),
                    line: lineno,
                    quoted: false,
                });
            }
        }
    }
    Ok(tokens)
}

/// Tag as stored: lower case, DDL2 `.` replaced by `_`.
fn norm_tag(t: &str) -> String {
    t.to_ascii_lowercase().replace('.', "_")
}

#[derive(Debug, Default)]
struct Block {
    items: HashMap<String, (String, usize)>,
    loops: Vec<Loop>,
}

#[derive(Debug)]
struct Loop {
    tags: Vec<String>,
    /// Rows of (value, line).
    rows: Vec<Vec<(String, usize)>>,
}

impl Loop {
    fn col(&self, tag: &str) -> Option<usize> {
        self.tags.iter().position(|t| t == tag)
    }
}

impl Block {
    fn find_loop(&self, tag: &str) -> Option<&Loop> {
        self.loops.iter().find(|l| l.col(tag).is_some())
    }
}

fn is_reserved(t: &Token) -> bool {
    !t.quoted && {
        let l = t.text.to_ascii_lowercase();
        t.text.starts_with('_') || l == "loop_" || l.starts_with("data_") || l.starts_with("save_")
    }
}

/// A syntax error in a block: (line, tag, message).
type BlockError = (usize, String, String);

/// A data block with its name and the line its `data_` token is on.
type NamedBlock = (String, usize, Block);

/// Every `data_` block in order, with its name (the text after `data_`) and the line it starts
/// on.
fn blocks(tokens: &[Token]) -> std::result::Result<Vec<NamedBlock>, BlockError> {
    let mut out = Vec::new();
    let mut i = tokens
        .iter()
        .position(|t| !t.quoted && t.text.to_ascii_lowercase().starts_with("data_"))
        .ok_or((1, "data_".to_string(), "no `data_` block".to_string()))?;
    while i < tokens.len() {
        let name = tokens[i].text[5..].to_string();
        let line = tokens[i].line;
        let (block, next) = block_at(tokens, i + 1)?;
        out.push((name, line, block));
        i = next;
    }
    Ok(out)
}

/// The block whose items start at token `i`, and the index of the next `data_` token (or the
/// end).
fn block_at(tokens: &[Token], mut i: usize) -> std::result::Result<(Block, usize), BlockError> {
    let mut block = Block::default();
    while i < tokens.len() {
        let t = &tokens[i];
        let lower = t.text.to_ascii_lowercase();
        if !t.quoted && lower.starts_with("data_") {
            break;
        }
        if !t.quoted && lower == "loop_" {
            let loop_line = t.line;
            i += 1;
            let mut tags = Vec::new();
            while i < tokens.len() && !tokens[i].quoted && tokens[i].text.starts_with('_') {
                tags.push(norm_tag(&tokens[i].text));
                i += 1;
            }
            if tags.is_empty() {
                return Err((loop_line, "loop_".into(), "loop without tags".into()));
            }
            let mut values = Vec::new();
            while i < tokens.len() && !is_reserved(&tokens[i]) {
                values.push((tokens[i].text.clone(), tokens[i].line));
                i += 1;
            }
            if values.len() % tags.len() != 0 {
                return Err((
                    values.last().map_or(loop_line, |v| v.1),
                    tags[0].clone(),
                    format!(
                        "loop has {} values, not a multiple of its {} tags",
                        values.len(),
                        tags.len()
                    ),
                ));
            }
            let rows = values.chunks(tags.len()).map(<[_]>::to_vec).collect();
            block.loops.push(Loop { tags, rows });
        } else if !t.quoted && t.text.starts_with('_') {
            let tag = norm_tag(&t.text);
            let Some(v) = tokens.get(i + 1).filter(|v| !is_reserved(v)) else {
                return Err((t.line, tag, "tag without a value".into()));
            };
            block.items.insert(tag, (v.text.clone(), v.line));
            i += 2;
        } else {
            // Stray value (e.g. a save frame body): skip.
            i += 1;
        }
    }
    Ok((block, i))
}

/// A CIF number: `5.640(2)` -> 5.64; `?` and `.` -> `None`.
fn cif_number(s: &str) -> Option<f64> {
    let s = s.split('(').next()?.trim();
    if s == "?" || s == "." {
        return None;
    }
    s.parse().ok()
}

/// Lattice (rows a, b, c) in the standard orientation from lengths (Angstrom) and angles
/// (degrees): a along x, b in the xy plane, c completing a right-handed cell.
///
/// Returns `None` when the angles do not describe a cell (non-positive volume).
pub fn lattice_from_parameters(p: [f64; 6]) -> Option<[[f64; 3]; 3]> {
    let [a, b, c, alpha, beta, gamma] = p;
    let (ca, cb, cg) = (
        alpha.to_radians().cos(),
        beta.to_radians().cos(),
        gamma.to_radians().cos(),
    );
    let sg = gamma.to_radians().sin();
    if !(a > 0.0 && b > 0.0 && c > 0.0) || sg.abs() < 1e-12 {
        return None;
    }
    let cy = (ca - cb * cg) / sg;
    let cz2 = 1.0 - cb * cb - cy * cy;
    if cz2.is_nan() || cz2 <= 1e-12 {
        return None;
    }
    Some([
        [a, 0.0, 0.0],
        [b * cg, b * sg, 0.0],
        [c * cb, c * cy, c * cz2.sqrt()],
    ])
}

/// Parse CIF text (the first data block that describes a structure); `path` is only used in
/// error messages.
///
/// # Errors
/// As [`read_cif`].
pub fn parse_cif(text: &str, path: &Path) -> Result<Crystal> {
    let mut all = structure_blocks(text, path)?;
    let (_, line, block) = all.swap_remove(0);
    crystal_from_block(&block, line, path)
}

/// Parse every data block of CIF text that describes a structure (has `_cell_length_a` or an
/// atom-site loop; other blocks, such as a `data_global` block of publication details, are
/// skipped), each with its block name (the text after `data_`), in file order.
///
/// ```
/// let one = "_cell_length_a 3\n_cell_length_b 3\n_cell_length_c 3\n_cell_angle_alpha 90\n\
///            _cell_angle_beta 90\n_cell_angle_gamma 90\nloop_\n_atom_site_type_symbol\n\
///            _atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n";
/// let text = format!("data_global\n_journal_year 2020\ndata_cu\n{one}Cu 0 0 0\ndata_po\n{one}Po 0 0 0\n");
/// let blocks = dos_data::io::cif::parse_cif_blocks(&text, "two.cif".as_ref()).unwrap();
/// let names: Vec<&str> = blocks.iter().map(|(n, _)| n.as_str()).collect();
/// assert_eq!(names, ["cu", "po"]);
/// assert_eq!(blocks[1].1.numbers(), [84]);
/// ```
///
/// # Errors
/// As [`read_cif`]; an error in any structure block fails the whole file.
pub fn parse_cif_blocks(text: &str, path: &Path) -> Result<Vec<(String, Crystal)>> {
    structure_blocks(text, path)?
        .into_iter()
        .map(|(name, line, block)| Ok((name, crystal_from_block(&block, line, path)?)))
        .collect()
}

/// The blocks of `text` that describe a structure; an error when there is none.
fn structure_blocks(text: &str, path: &Path) -> Result<Vec<NamedBlock>> {
    let tokens = tokenize(text).map_err(|(l, m)| DataError::parse(path, l, "cif", m))?;
    let all = blocks(&tokens).map_err(|(l, f, m)| DataError::parse(path, l, &f, m))?;
    let n_blocks = all.len();
    let kept: Vec<_> = all
        .into_iter()
        .filter(|(_, _, b)| {
            b.items.contains_key("_cell_length_a") || b.find_loop("_atom_site_fract_x").is_some()
        })
        .collect();
    if kept.is_empty() {
        return Err(DataError::parse(path,
            1,
            "_cell_length_a",
            format!("none of the {n_blocks} data block(s) describes a structure (no cell, no atom sites)"),
        ));
    }
    Ok(kept)
}

/// The crystal of one block starting on line `block_line`.
fn crystal_from_block(block: &Block, block_line: usize, path: &Path) -> Result<Crystal> {
    let mut params = [0.0; 6];
    for (p, tag) in params.iter_mut().zip([
        "_cell_length_a",
        "_cell_length_b",
        "_cell_length_c",
        "_cell_angle_alpha",
        "_cell_angle_beta",
        "_cell_angle_gamma",
    ]) {
        let (v, line) = block
            .items
            .get(tag)
            .ok_or_else(|| DataError::parse(path, block_line, tag, "missing"))?;
        *p = cif_number(v)
            .ok_or_else(|| DataError::parse(path, *line, tag, format!("`{v}` is not a number")))?;
    }
    let lattice = lattice_from_parameters(params).ok_or_else(|| {
        DataError::parse(
            path,
            block.items.get("_cell_angle_alpha").map_or(0, |v| v.1),
            "_cell_length_a",
            format!("cell parameters {params:?} do not describe a cell (singular lattice)"),
        )
    })?;

    // Symmetry operations.
    let mut ops = Vec::new();
    for tag in [
        "_symmetry_equiv_pos_as_xyz",
        "_space_group_symop_operation_xyz",
    ] {
        if let Some(lp) = block.find_loop(tag) {
            let c = lp.col(tag).unwrap_or(0);
            if lp.rows.len() > MAX_SYMMETRY_OPS {
                return Err(DataError::parse(
                    path,
                    lp.rows[0][c].1,
                    tag,
                    format!(
                        "{} symmetry operations, more than the {MAX_SYMMETRY_OPS} of any space \
                         group with centring (MAX_SYMMETRY_OPS)",
                        lp.rows.len()
                    ),
                ));
            }
            for row in &lp.rows {
                let (v, line) = &row[c];
                ops.push(parse_symop(v).map_err(|m| DataError::parse(path, *line, tag, m))?);
            }
        } else if let Some((v, line)) = block.items.get(tag) {
            ops.push(parse_symop(v).map_err(|m| DataError::parse(path, *line, tag, m))?);
        }
        if !ops.is_empty() {
            break;
        }
    }
    // A repeated operation only repeats images (which merge); dropping it bounds the work.
    let mut unique: Vec<SymOp> = Vec::with_capacity(ops.len());
    for op in ops {
        if !unique.contains(&op) {
            unique.push(op);
        }
    }
    let mut ops = unique;
    let mut setting_note = String::new();
    if ops.is_empty() {
        (ops, setting_note) = ops_from_space_group_name(block, &params)
            .map_err(|(l, f, m)| DataError::parse(path, l, &f, m))?;
    }

    // Atom sites.
    let fx = "_atom_site_fract_x";
    let sites = block.find_loop(fx).ok_or_else(|| {
        DataError::parse(path, 0, fx, "no atom-site loop with fractional coordinates")
    })?;
    let cols: Vec<usize> = [
        "_atom_site_fract_x",
        "_atom_site_fract_y",
        "_atom_site_fract_z",
    ]
    .iter()
    .map(|t| {
        sites
            .col(t)
            .ok_or_else(|| DataError::parse(path, 0, *t, "missing in the atom-site loop"))
    })
    .collect::<Result<_>>()?;
    let (sym_col, sym_tag) = match sites.col("_atom_site_type_symbol") {
        Some(c) => (c, "_atom_site_type_symbol"),
        None => (
            sites.col("_atom_site_label").ok_or_else(|| {
                DataError::parse(
                    path,
                    0,
                    "_atom_site_type_symbol",
                    "neither type symbol nor label in the atom-site loop",
                )
            })?,
            "_atom_site_label",
        ),
    };
    let occ_col = sites.col("_atom_site_occupancy");
    if sites.rows.len() > MAX_ATOMS {
        return Err(DataError::parse(
            path,
            sites.rows[0][cols[0]].1,
            fx,
            format!(
                "{} atom sites, more than {MAX_ATOMS} atoms (MAX_ATOMS)",
                sites.rows.len()
            ),
        ));
    }

    let mut numbers: Vec<u8> = Vec::new();
    let mut frac: Vec<[f64; 3]> = Vec::new();
    // Merging images through a cell list keeps the expansion O(sites · ops). Its radius is the
    // minimum atom distance so that an image too close to a kept atom (which `Crystal::new`
    // would reject anyway) stops the expansion at once: kept atoms then stay apart and every
    // look-up meets only a few of them.
    let mut cells = PeriodicCellList::new(&lattice, MIN_ATOM_DISTANCE);
    // Slightly below the minimum, so that the early rejection never refuses what
    // `Crystal::new` (fractions recomputed from Cartesian positions) would accept.
    let too_close = MIN_ATOM_DISTANCE * (1.0 - 1e-6);
    for row in &sites.rows {
        let (sym, line) = &row[sym_col];
        let el = parse_species_label(sym).ok_or_else(|| {
            DataError::parse(path, *line, sym_tag, format!("unknown element `{sym}`"))
        })?;
        if let Some(c) = occ_col {
            let (o, line) = &row[c];
            if let Some(occ) = cif_number(o) {
                if (occ - 1.0).abs() > OCCUPANCY_TOLERANCE {
                    return Err(DataError::parse(
                        path,
                        *line,
                        "_atom_site_occupancy",
                        format!("site `{sym}` has partial occupancy {occ}: not supported"),
                    ));
                }
            }
        }
        let mut f = [0.0; 3];
        for (k, &c) in cols.iter().enumerate() {
            let (v, line) = &row[c];
            f[k] = cif_number(v).ok_or_else(|| {
                DataError::parse(
                    path,
                    *line,
                    [
                        "_atom_site_fract_x",
                        "_atom_site_fract_y",
                        "_atom_site_fract_z",
                    ][k],
                    format!("`{v}` is not a number"),
                )
            })?;
        }
        let line = row[cols[0]].1;
        for op in &ops {
            let g = wrap(op.apply(&f));
            if g.iter().any(|x| !x.is_finite()) {
                return Err(DataError::parse(
                    path,
                    line,
                    fx,
                    format!("site `{sym}`: a symmetry operation gives a non-finite coordinate"),
                ));
            }
            let mut dup = false;
            let mut close: Option<(usize, f64)> = None;
            for k in cells.candidates(&g) {
                let d = periodic_distance(&lattice, &g, &frac[k]);
                if numbers[k] == el.z && d < CIF_MERGE_TOLERANCE {
                    dup = true;
                    break;
                }
                if d < too_close && close.is_none_or(|(j, _)| k < j) {
                    close = Some((k, d));
                }
            }
            if !dup {
                if let Some((k, d)) = close {
                    return Err(DataError::parse(
                        path,
                        line,
                        fx,
                        format!(
                            "invalid crystal: site `{sym}`: a symmetry image is {d:.4} A from \
                             atom {k} (minimum {MIN_ATOM_DISTANCE} A, periodic images \
                             included){setting_note}"
                        ),
                    ));
                }
                if numbers.len() == MAX_ATOMS {
                    return Err(DataError::parse(
                        path,
                        line,
                        fx,
                        format!(
                            "site `{sym}`: symmetry expansion gives more than {MAX_ATOMS} atoms \
                             (MAX_ATOMS)"
                        ),
                    ));
                }
                cells.insert(&g, numbers.len());
                numbers.push(el.z);
                frac.push(g);
            }
        }
    }
    Crystal::from_fractional(lattice, numbers, &frac).map_err(|e| {
        DataError::parse(
            path,
            0,
            "_atom_site_fract_x",
            format!("invalid crystal: {e}"),
        )
    })
}

/// Operations for a block without an operation loop: from the Hermann-Mauguin symbol and/or
/// the number (see [`crate::io::space_group_table`] for the setting convention), or the
/// identity when neither is given or the group is P1. The second value names the setting
/// chosen when the name leaves it open (empty otherwise), for error messages.
fn ops_from_space_group_name(
    block: &Block,
    params: &[f64; 6],
) -> std::result::Result<(Vec<SymOp>, String), BlockError> {
    let find = |tags: &[&str]| {
        tags.iter().find_map(|t| {
            block
                .items
                .get(*t)
                .filter(|(v, _)| !matches!(v.trim(), "?" | "." | ""))
                .map(|(v, l)| (t.to_string(), v.clone(), *l))
        })
    };
    let symbol = find(&[
        "_space_group_name_h-m_alt",
        "_symmetry_space_group_name_h-m",
        "_space_group_name_h-m",
    ]);
    let number = find(&["_space_group_it_number", "_symmetry_int_tables_number"]);
    let parsed_number = match &number {
        Some((tag, v, line)) => Some(v.trim().parse::<u16>().map_err(|_| {
            (
                *line,
                tag.clone(),
                format!("`{v}` is not a space-group number"),
            )
        })?),
        None => None,
    };
    let identity = SymOp {
        rot: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        trans: [0.0; 3],
    };
    // A Hall symbol names the setting exactly: it wins over the H-M symbol and the number.
    if let Some((tag, v, line)) =
        find(&["_space_group_name_hall", "_symmetry_space_group_name_hall"])
    {
        let s = crate::io::space_group_table::setting_for_hall(&v).map_err(|m| (line, tag, m))?;
        return Ok((s.operations, String::new()));
    }
    let is_p1 = symbol
        .as_ref()
        .is_some_and(|(_, v, _)| v.split_whitespace().collect::<String>() == "P1");
    if (symbol.is_none() && number.is_none()) || is_p1 || parsed_number == Some(1) {
        return Ok((vec![identity], String::new()));
    }
    let [a, b, c, alpha, beta, gamma] = *params;
    let close = |x: f64, y: f64, tol: f64| (x - y).abs() <= tol * x.abs().max(y.abs());
    let rhombohedral_cell = close(a, b, 1e-3)
        && close(b, c, 1e-3)
        && (alpha - beta).abs() < 0.01
        && (beta - gamma).abs() < 0.01
        && (alpha - 90.0).abs() > 0.01;
    let Some((tag, line)) = symbol
        .as_ref()
        .or(number.as_ref())
        .map(|(t, _, l)| (t.clone(), *l))
    else {
        return Ok((vec![identity], String::new()));
    };
    let setting = crate::io::space_group_table::setting_for(
        symbol.as_ref().map(|(_, v, _)| v.as_str()),
        parsed_number,
        rhombohedral_cell,
    )
    .map_err(|m| {
        (
            line,
            tag.clone(),
            format!("{m} (and no `_symmetry_equiv_pos_as_xyz` or `_space_group_symop_operation_xyz` loop)"),
        )
    })?;
    let note = if setting.setting.is_empty() {
        String::new()
    } else {
        format!(
            " (operations of `{} :{}` from the space-group name)",
            setting.hm_full, setting.setting
        )
    };
    Ok((setting.operations, note))
}

fn wrap(f: [f64; 3]) -> [f64; 3] {
    f.map(|x| {
        let w = x - x.floor();
        if w >= 1.0 {
            0.0
        } else {
            w
        }
    })
}

/// CIF text of a crystal in P1 (one operation `x, y, z`, every atom listed). Numbers are written
/// with Rust's shortest round-trip formatting, so reading back loses nothing but the lattice
/// orientation (CIF stores lengths and angles only).
pub fn crystal_to_cif(c: &Crystal, name: &str) -> String {
    let [a, b, cc, alpha, beta, gamma] = lattice_parameters(c.lattice());
    let mut s = String::new();
    let block: String = name
        .chars()
        .map(|ch| if ch.is_whitespace() { '_' } else { ch })
        .collect();
    let _ = writeln!(s, "# written by dos-rs (P1)\ndata_{block}");
    let _ = writeln!(s, "_symmetry_space_group_name_H-M   'P 1'");
    for (tag, v) in [
        ("_cell_length_a", a),
        ("_cell_length_b", b),
        ("_cell_length_c", cc),
        ("_cell_angle_alpha", alpha),
        ("_cell_angle_beta", beta),
        ("_cell_angle_gamma", gamma),
    ] {
        let _ = writeln!(s, "{tag}   {v:?}");
    }
    let _ = writeln!(s, "_symmetry_Int_Tables_number   1");
    let _ = writeln!(s, "_chemical_formula_structural   {}", c.reduced_formula());
    let _ = writeln!(s, "_cell_volume   {:?}", c.volume());
    let _ = writeln!(
        s,
        "loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz\n  1  'x, y, z'"
    );
    let _ = writeln!(
        s,
        "loop_\n _atom_site_type_symbol\n _atom_site_label\n _atom_site_symmetry_multiplicity\n _atom_site_fract_x\n _atom_site_fract_y\n _atom_site_fract_z\n _atom_site_occupancy"
    );
    for (i, (z, f)) in c.numbers().iter().zip(c.fractional_positions()).enumerate() {
        let sym = Element::from_z(*z).map_or("X", |e| e.symbol);
        let _ = writeln!(
            s,
            "  {sym}  {sym}{i}  1  {:?}  {:?}  {:?}  1",
            f[0], f[1], f[2]
        );
    }
    s
}

/// Write a crystal as a P1 CIF file (see [`crystal_to_cif`]); the data block is named after
/// the reduced formula.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be written.
pub fn write_cif(path: impl AsRef<Path>, c: &Crystal) -> Result<()> {
    let path = path.as_ref();
    std::fs::write(path, crystal_to_cif(c, &c.reduced_formula())).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::test_support::assert_same_crystal;

    // Both made by pymatgen 2026.10.24:
    // `Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na","Cl"], [[0,0,0],[.5,.5,.5]])`
    // written with `CifWriter(s, symprec=0.01)` (all 192 operations of Fm-3m listed), and
    // rutile `from_spacegroup("P4_2/mnm", Lattice.tetragonal(4.603, 2.969), ["Ti","O"],
    // [[0,0,0],[0.3046,0.3046,0]])` the same way (16 operations).
    const NACL: &str = include_str!("testdata/nacl_fm3m.cif");
    const RUTILE: &str = include_str!("testdata/rutile_p42mnm.cif");

    #[test]
    fn nacl_fm3m_expands_to_8_atoms() {
        let c = parse_cif(NACL, Path::new("nacl.cif")).unwrap();
        assert_eq!(c.n_atoms(), 8);
        assert_eq!(c.numbers().iter().filter(|&&z| z == 11).count(), 4);
        assert!((c.volume() - 5.64f64.powi(3)).abs() < 1e-9);
        let mut f: Vec<[i64; 4]> = c
            .numbers()
            .iter()
            .zip(c.fractional_positions())
            .map(|(&z, f)| {
                [
                    i64::from(z),
                    (f[0] * 2.0).round() as i64,
                    (f[1] * 2.0).round() as i64,
                    (f[2] * 2.0).round() as i64,
                ]
            })
            .collect();
        f.sort_unstable();
        // Na on the fcc sites (0,0,0)+face centres, Cl shifted by (0,0,1/2).
        assert_eq!(
            f,
            [
                [11, 0, 0, 0],
                [11, 0, 1, 1],
                [11, 1, 0, 1],
                [11, 1, 1, 0],
                [17, 0, 0, 1],
                [17, 0, 1, 0],
                [17, 1, 0, 0],
                [17, 1, 1, 1]
            ]
        );
        let s = crate::symmetry::analyze(&c, &Default::default()).unwrap();
        assert_eq!(s.space_group, 225);
    }

    #[test]
    fn rutile_with_ddl2_tags_uncertainties_and_unquoted_ops() {
        let text = RUTILE
            .replace(
                "_symmetry_equiv_pos_as_xyz",
                "_space_group_symop.operation_xyz",
            )
            .replace("4.60300000", "4.603(2)")
            .replace("'x, y, z'", "x,y,z")
            .replace(" _atom_site_type_symbol\n", "")
            .replace("  Ti  Ti", "  Ti")
            .replace("  O  O", "  O");
        let c = parse_cif(&text, Path::new("rutile.cif")).unwrap();
        assert_eq!(c.n_atoms(), 6);
        assert_eq!(c.numbers().iter().filter(|&&z| z == 8).count(), 4);
        let s = crate::symmetry::analyze(&c, &Default::default()).unwrap();
        assert_eq!(s.space_group, 136);
    }

    #[test]
    fn errors_name_line_and_tag() {
        let p = Path::new("bad.cif");
        let msg = parse_cif(&NACL.replace("'x+1/2, y+1/2, z'", "'x+1/2, y+1/2'"), p)
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("bad.cif:66: field `_symmetry_equiv_pos_as_xyz`"),
            "{msg}"
        );
        let msg = parse_cif(
            &NACL.replace(
                "  Cl  Cl1  4  0.00000000  0.00000000  0.50000000  1",
                "  Cl  Cl1  4  0.00000000  0.00000000  0.50000000  0.5",
            ),
            p,
        )
        .unwrap_err()
        .to_string();
        assert!(
            msg.contains("field `_atom_site_occupancy`") && msg.contains("partial occupancy 0.5"),
            "{msg}"
        );
        let msg = parse_cif(&NACL.replace("  Na  Na0", "  Qq  Qq0"), p)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("field `_atom_site_type_symbol`") && msg.contains("unknown element `Qq`"),
            "{msg}"
        );
        let no_ops = "data_x\n_symmetry_space_group_name_H-M 'F m -3 m'\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 5\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\nloop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nNa1 0 0 0\n";
        // The symbol alone gives the operations: Na at 4a of Fm-3m.
        assert_eq!(parse_cif(no_ops, p).unwrap().n_atoms(), 4);
        let msg = parse_cif(&no_ops.replace("'F m -3 m'", "'Q 9'"), p)
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("bad.cif:2: field `_symmetry_space_group_name_h-m`")
                && msg.contains("unknown Hermann-Mauguin symbol `Q 9`"),
            "{msg}"
        );
        let p1 = no_ops.replace("'F m -3 m'", "'P 1'");
        assert_eq!(parse_cif(&p1, p).unwrap().n_atoms(), 1);
        let flat = p1.replace("_cell_angle_gamma 90", "_cell_angle_gamma 180");
        assert!(parse_cif(&flat, p)
            .unwrap_err()
            .to_string()
            .contains("singular lattice"));
        assert!(parse_cif("data_x\n_cell_length_a 'abc\n", p)
            .unwrap_err()
            .to_string()
            .contains("bad.cif:2"));
    }

    /// The symmetry operations of the NaCl file (all 192 of Fm-3m) as CIF loop rows.
    fn fm3m_ops() -> Vec<String> {
        NACL.lines()
            .filter(|l| {
                l.trim_start().starts_with(|c: char| c.is_ascii_digit()) && l.contains('\'')
            })
            .map(|l| l.trim().to_string())
            .collect()
    }

    fn cif_with(params: [f64; 6], ops: &[String], sites: &[(&str, [f64; 3])]) -> String {
        let mut s = String::from("data_t\n");
        for (tag, v) in ["a", "b", "c"].iter().zip(&params[..3]) {
            let _ = writeln!(s, "_cell_length_{tag} {v}");
        }
        for (tag, v) in ["alpha", "beta", "gamma"].iter().zip(&params[3..]) {
            let _ = writeln!(s, "_cell_angle_{tag} {v}");
        }
        s.push_str("loop_\n_symmetry_equiv_pos_site_id\n_symmetry_equiv_pos_as_xyz\n");
        for op in ops {
            let _ = writeln!(s, "{op}");
        }
        s.push_str("loop_\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n");
        for (sym, f) in sites {
            let _ = writeln!(s, "{sym} {} {} {}", f[0], f[1], f[2]);
        }
        s
    }

    /// The merge as it was before the cell list: every image against every atom kept so far.
    fn brute_force_expand(
        lattice: &[[f64; 3]; 3],
        ops: &[SymOp],
        sites: &[(u8, [f64; 3])],
    ) -> (Vec<u8>, Vec<[f64; 3]>) {
        let (mut numbers, mut frac): (Vec<u8>, Vec<[f64; 3]>) = (vec![], vec![]);
        for (z, f) in sites {
            for op in ops {
                let g = wrap(op.apply(f));
                let dup = numbers.iter().zip(&frac).any(|(&y, h)| {
                    y == *z && periodic_distance(lattice, &g, h) < CIF_MERGE_TOLERANCE
                });
                if !dup {
                    numbers.push(*z);
                    frac.push(g);
                }
            }
        }
        (numbers, frac)
    }

    /// Random (also strongly oblique) cells, random subsets of the Fm-3m operations and sites
    /// on and near special positions: the cell-list merge keeps exactly the atoms, in the same
    /// order, that the all-pairs merge keeps.
    #[test]
    fn merge_equals_brute_force_on_random_cells() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let all_ops = fm3m_ops();
        assert_eq!(all_ops.len(), 192);
        let specials = [0.0, 0.25, 0.5, 0.75, 1.0 / 3.0, 0.125];
        for trial in 0..60 {
            let oblique = trial % 2 == 1;
            let params = [
                3.0 + 6.0 * rng.random::<f64>(),
                3.0 + 6.0 * rng.random::<f64>(),
                3.0 + 6.0 * rng.random::<f64>(),
                if oblique {
                    60.0 + 50.0 * rng.random::<f64>()
                } else {
                    90.0
                },
                if oblique {
                    60.0 + 50.0 * rng.random::<f64>()
                } else {
                    90.0
                },
                if oblique {
                    60.0 + 50.0 * rng.random::<f64>()
                } else {
                    90.0
                },
            ];
            let Some(lattice) = lattice_from_parameters(params) else {
                continue;
            };
            let n_ops = rng.random_range(1..=192);
            let ops_text: Vec<String> = all_ops.iter().take(n_ops).cloned().collect();
            let sites: Vec<(u8, [f64; 3])> = (0..rng.random_range(1..5))
                .map(|_| {
                    let f = [0, 1, 2].map(|_| {
                        let s = specials[rng.random_range(0..specials.len())];
                        // on the special position, within the merge tolerance, or off it
                        s + [0.0, 1e-4, 0.02][rng.random_range(0..3)] * rng.random::<f64>()
                    });
                    ([8u8, 14][rng.random_range(0..2)], f)
                })
                .collect();
            let named: Vec<(&str, [f64; 3])> = sites
                .iter()
                .map(|(z, f)| (if *z == 8 { "O" } else { "Si" }, *f))
                .collect();
            let text = cif_with(params, &ops_text, &named);
            let ops: Vec<SymOp> = ops_text
                .iter()
                .map(|l| parse_symop(l.split('\'').nth(1).unwrap()).unwrap())
                .collect();
            let (numbers, frac) = brute_force_expand(&lattice, &ops, &sites);
            match parse_cif(&text, Path::new("t.cif")) {
                Ok(c) => {
                    assert_eq!(c.numbers(), numbers, "trial {trial}");
                    let expected = Crystal::from_fractional(lattice, numbers, &frac).unwrap();
                    assert_same_crystal(&c, &expected, 1e-9);
                }
                Err(e) => {
                    assert!(e.to_string().contains("invalid crystal"), "{e}");
                    assert!(Crystal::from_fractional(lattice, numbers, &frac).is_err());
                }
            }
        }
    }

    /// More operations than any space group has, and an expansion past MAX_ATOMS, are errors
    /// naming the line and the tag; a large legal expansion (192 operations on general
    /// positions, 1536 atoms) reads in well under a second.
    #[test]
    fn symmetry_expansion_is_bounded_and_fast() {
        let ops = fm3m_ops();
        let p = Path::new("big.cif");
        let many: Vec<String> = (0..1600).map(|k| ops[k % 192].clone()).collect();
        let params = [40.0, 40.0, 40.0, 90.0, 90.0, 90.0];
        let sites = [("O", [0.1, 0.2, 0.3])];
        let msg = parse_cif(&cif_with(params, &many, &sites), p)
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("big.cif:11: field `_symmetry_equiv_pos_as_xyz`: 1600 symmetry")
                && msg.contains("MAX_SYMMETRY_OPS"),
            "{msg}"
        );
        let general: Vec<(&str, [f64; 3])> = (0..11)
            .map(|k| {
                let t = 0.013 + 0.0071 * f64::from(k);
                ("O", [0.021 + t, 0.043 + 2.0 * t, 0.067 + 3.0 * t])
            })
            .collect();
        let start = std::time::Instant::now();
        let c = parse_cif(&cif_with(params, &ops, &general[..8]), p).unwrap();
        assert_eq!(c.n_atoms(), 8 * 192);
        assert!(start.elapsed().as_secs_f64() < 1.0, "{:?}", start.elapsed());
        // 11 general sites: 2112 atoms.
        let msg = parse_cif(&cif_with(params, &ops, &general), p)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("field `_atom_site_fract_x`")
                && msg.contains("more than 2048 atoms (MAX_ATOMS)"),
            "{msg}"
        );
    }

    /// Adversarial expansions stay fast: 192 copies of the identity on 2048 sites (each copy
    /// used to be compared with every kept atom), and sites crowding one another in a flat,
    /// oblique cell (stopped at the first image closer than the minimum distance).
    #[test]
    fn adversarial_expansions_are_fast() {
        let p = Path::new("adv.cif");
        let identity = vec!["1 'x, y, z'".to_string(); 192];
        let sites: Vec<(&str, [f64; 3])> = (0..MAX_ATOMS)
            .map(|k| {
                let (a, b, c) = (k % 16, (k / 16) % 16, k / 256);
                ("C", [a as f64 / 16.0, b as f64 / 16.0, c as f64 / 8.0])
            })
            .collect();
        let start = std::time::Instant::now();
        let c = parse_cif(
            &cif_with([32.0, 32.0, 16.0, 90.0, 90.0, 90.0], &identity, &sites),
            p,
        )
        .unwrap();
        assert_eq!(c.n_atoms(), MAX_ATOMS);
        let flat = [10.0, 10.0, 10.0, 90.0, 90.0, 0.01];
        let crowded: Vec<(&str, [f64; 3])> = (0..MAX_ATOMS)
            .map(|k| ("C", [k as f64 / MAX_ATOMS as f64, 0.0, 0.0]))
            .collect();
        let msg = parse_cif(&cif_with(flat, &fm3m_ops(), &crowded), p)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("invalid crystal") && msg.contains("minimum 0.1 A"),
            "{msg}"
        );
        assert!(start.elapsed().as_secs_f64() < 2.0, "{:?}", start.elapsed());
    }

    /// A cubic CIF with one site and only a space-group header.
    fn symbol_only(header: &str, site: &str, a: f64) -> String {
        format!(
            "data_t\n{header}\n_cell_length_a {a}\n_cell_length_b {a}\n_cell_length_c {a}\n\
             _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\nloop_\n\
             _atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
             _atom_site_fract_z\nSi1 Si {site}\n"
        )
    }

    /// Atom counts as pymatgen 2025.x `CifParser(...).parse_structures(primitive=False)` and
    /// ASE 3.25 `ase.io.read(..., format="cif")` give them for the same files: both take origin
    /// choice 1 when the symbol leaves it open (Si at 0,0,0 is 8a; at 1/8,1/8,1/8 it is 16c).
    /// Neither reads the `:2` suffix (pymatgen falls back to P1, ASE refuses); we honour it.
    #[test]
    fn symbol_only_headers_expand_like_pymatgen() {
        let p = Path::new("si.cif");
        let n = |header: &str, site: &str| {
            parse_cif(&symbol_only(header, site, 5.431), p)
                .unwrap()
                .n_atoms()
        };
        for header in [
            "_symmetry_space_group_name_H-M 'F d -3 m'",
            "_symmetry_Int_Tables_number 227",
            "_symmetry_space_group_name_H-M 'Fd-3m'\n_symmetry_Int_Tables_number 227",
            "_space_group.name_H-M_alt 'F d -3 m'",
            "_space_group.IT_number 227",
        ] {
            assert_eq!(n(header, "0 0 0"), 8, "{header}");
            assert_eq!(n(header, "0.125 0.125 0.125"), 16, "{header}");
        }
        let two = "_space_group_name_H-M_alt 'F d -3 m :2'";
        assert_eq!(n(two, "0.125 0.125 0.125"), 8);
        // A Hall symbol names the setting and wins over the H-M symbol.
        let hall = "_symmetry_space_group_name_H-M 'F d -3 m'\n\
                    _symmetry_space_group_name_Hall '-F 4vw 2vw 3'";
        assert_eq!(n(hall, "0.125 0.125 0.125"), 8);
        let si = parse_cif(&symbol_only(two, "0.125 0.125 0.125", 5.431), p).unwrap();
        let sg = crate::symmetry::analyze(&si, &Default::default()).unwrap();
        assert_eq!((sg.space_group, si.reduced_formula().as_str()), (227, "Si"));
        // Origin choice 2 at the origin-1 site: 16c, 1.92 A apart (allowed, and what the
        // symbol says).
        assert_eq!(n(two, "0 0 0"), 16);
        // Disagreeing symbol and number: refused, naming both.
        let bad = "_symmetry_space_group_name_H-M 'F d -3 m'\n_symmetry_Int_Tables_number 225";
        let msg = parse_cif(&symbol_only(bad, "0 0 0", 5.431), p)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("space group 227, but the number given is 225"),
            "{msg}"
        );
        // Too-close images name the setting that was assumed.
        let msg = parse_cif(
            &symbol_only("_symmetry_Int_Tables_number 227", "0.01 0 0", 5.431),
            p,
        )
        .unwrap_err()
        .to_string();
        assert!(msg.contains("F 4_1/d -3 2/m :1"), "{msg}");
    }

    #[test]
    fn rhombohedral_symbol_follows_the_cell() {
        let p = Path::new("r.cif");
        let hex = "data_h\n_symmetry_space_group_name_H-M 'R -3 m'\n_cell_length_a 4\n\
                   _cell_length_b 4\n_cell_length_c 20\n_cell_angle_alpha 90\n\
                   _cell_angle_beta 90\n_cell_angle_gamma 120\nloop_\n_atom_site_type_symbol\n\
                   _atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nBi 0 0 0\n";
        assert_eq!(parse_cif(hex, p).unwrap().n_atoms(), 3);
        let rho = "data_r\n_symmetry_space_group_name_H-M 'R -3 m'\n_cell_length_a 7\n\
                   _cell_length_b 7\n_cell_length_c 7\n_cell_angle_alpha 33\n\
                   _cell_angle_beta 33\n_cell_angle_gamma 33\nloop_\n_atom_site_type_symbol\n\
                   _atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nBi 0 0 0\n";
        assert_eq!(parse_cif(rho, p).unwrap().n_atoms(), 1);
    }

    #[test]
    fn several_blocks_each_a_structure() {
        let p = Path::new("many.cif");
        let si = symbol_only("_symmetry_Int_Tables_number 227", "0 0 0", 5.431);
        let text = format!(
            "data_global\n_publ_section_title 'two phases'\n{}{}",
            si.replace("data_t", "data_si_diamond"),
            NACL
        );
        let blocks = parse_cif_blocks(&text, p).unwrap();
        let names: Vec<&str> = blocks.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[0], "si_diamond");
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].1.n_atoms(), 8);
        assert_eq!(blocks[1].1.reduced_formula(), "NaCl");
        // The single-structure reader takes the first structure block.
        assert_eq!(parse_cif(&text, p).unwrap().n_atoms(), 8);
        let none = parse_cif_blocks("data_a\n_journal_year 1999\n", p).unwrap_err();
        assert!(none.to_string().contains("describes a structure"), "{none}");
    }

    #[test]
    fn round_trip_p1() {
        let lattice = lattice_from_parameters([4.1, 5.2, 6.3, 81.0, 97.0, 103.0]).unwrap();
        let c = Crystal::from_fractional(
            lattice,
            vec![22, 8, 8, 56],
            &[
                [0.0, 0.0, 0.0],
                [0.25, 0.5, 0.125],
                [0.7, 0.31, 0.9],
                [0.5, 0.5, 0.5],
            ],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.cif");
        write_cif(&p, &c).unwrap();
        let back = read_cif(&p).unwrap();
        assert_same_crystal(&c, &back, 1e-8);
    }
}
