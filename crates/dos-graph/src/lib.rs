//! dos-graph: see README.
