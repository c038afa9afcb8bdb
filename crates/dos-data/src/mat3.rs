//! 3x3 matrix and 3-vector helpers on plain arrays, the layout of [`crate::Crystal`]'s lattice
//! (rows are the lattice vectors) and positions. Written out rather than taken from nalgebra so
//! that every generated dataset keeps its bytes: the order of the floating-point operations is
//! part of the output.

/// Determinant of a 3x3 matrix.
pub fn det3(m: &[[f64; 3]; 3]) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// Inverse of a non-singular 3x3 matrix.
pub fn inverse3(m: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let d = det3(m);
    let mut inv = [[0.0; 3]; 3];
    for (i, row) in inv.iter_mut().enumerate() {
        for (j, x) in row.iter_mut().enumerate() {
            let (r0, r1) = ((j + 1) % 3, (j + 2) % 3);
            let (c0, c1) = ((i + 1) % 3, (i + 2) % 3);
            *x = (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / d;
        }
    }
    inv
}

/// Row vector times matrix: `v · m`.
pub fn vec_mat(v: &[f64; 3], m: &[[f64; 3]; 3]) -> [f64; 3] {
    [
        v[0] * m[0][0] + v[1] * m[1][0] + v[2] * m[2][0],
        v[0] * m[0][1] + v[1] * m[1][1] + v[2] * m[2][1],
        v[0] * m[0][2] + v[1] * m[1][2] + v[2] * m[2][2],
    ]
}

/// Fractional to Cartesian coordinates: `f · lattice`.
pub fn frac_to_cart(lattice: &[[f64; 3]; 3], f: &[f64; 3]) -> [f64; 3] {
    vec_mat(f, lattice)
}

/// Euclidean norm of a 3-vector.
pub fn norm3(v: &[f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// Shortest Cartesian distance between fractional points `a` and `b` over their periodic images
/// (the minimum image and its neighbours within one cell).
pub fn periodic_distance(lattice: &[[f64; 3]; 3], a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]].map(|x| x - x.round());
    let mut best = f64::INFINITY;
    for i in -1..=1 {
        for j in -1..=1 {
            for k in -1..=1 {
                let f = [
                    d[0] + f64::from(i),
                    d[1] + f64::from(j),
                    d[2] + f64::from(k),
                ];
                best = best.min(norm3(&vec_mat(&f, lattice)));
            }
        }
    }
    best
}
