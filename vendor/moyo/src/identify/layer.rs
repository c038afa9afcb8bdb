pub(super) mod layer_group;
pub(super) mod layer_point_group;
pub(super) mod normalizer;

pub use layer_group::LayerGroup;
pub use layer_point_group::LayerPointGroup;
pub use normalizer::integral_normalizer_2_1;
