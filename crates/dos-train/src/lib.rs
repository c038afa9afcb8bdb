//! dos-train: see README.
