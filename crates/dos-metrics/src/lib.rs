//! dos-metrics: see README.
