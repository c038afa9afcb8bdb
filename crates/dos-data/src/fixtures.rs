//! Known crystals for examples and tests, so that every crate builds the same ones.

use crate::Crystal;

/// Rock salt NaCl in its primitive fcc cell, a = 5.64 Å: Na at the origin, Cl at (½, ½, ½).
pub fn rocksalt() -> Crystal {
    let a = 5.64;
    let l = [
        [0.0, a / 2.0, a / 2.0],
        [a / 2.0, 0.0, a / 2.0],
        [a / 2.0, a / 2.0, 0.0],
    ];
    // Fixed, valid input: this cannot fail.
    Crystal::from_fractional(l, vec![11, 17], &[[0.0; 3], [0.5; 3]])
        .expect("rock salt is a valid crystal")
}

/// A small, strongly skewed triclinic C-O-H cell (edges 2.1 to 2.8 Å, shorter than the usual
/// cutoffs) with atoms outside the home cell: the hard case for neighbour searches.
pub fn skewed() -> Crystal {
    let l = [[2.1, 0.0, 0.0], [1.7, 1.9, 0.0], [-1.3, 0.8, 2.3]];
    // Fixed, valid input: this cannot fail.
    Crystal::from_fractional(
        l,
        vec![6, 8, 1],
        &[[0.1, 0.2, 0.3], [0.6, 0.45, 0.9], [1.3, -0.7, 0.55]],
    )
    .expect("the skewed cell is a valid crystal")
}
