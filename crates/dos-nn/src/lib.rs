//! dos-nn: see README.
