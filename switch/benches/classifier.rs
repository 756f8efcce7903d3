//! Classifier benchmarks (filled in below).
fn main() {}
