mod cycle_checker;
mod delaunay;
mod elementary;
mod hnf;
mod integer_system;
mod minkowski;
mod niggli;
mod snf;

pub use hnf::HNF;
pub use snf::SNF;

pub(super) use delaunay::delaunay_reduce;
pub(super) use integer_system::sylvester3;
pub(super) use minkowski::{is_minkowski_reduced, minkowski_reduce};
#[allow(unused_imports)]
pub(super) use minkowski::{is_minkowski_reduced_2d, lift_2d_to_3d, minkowski_reduce_2d};
pub(super) use niggli::{is_niggli_reduced, niggli_reduce};
