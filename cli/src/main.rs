//! `ferrovs`: command-line client of the ferrovs daemon.
fn main() {}
