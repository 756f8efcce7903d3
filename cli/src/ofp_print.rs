//! `ferrovs ofp-print`: decode OpenFlow messages from files or hex and print them.

use std::process::ExitCode;

/// Runs `ofp-print` over `inputs` (file paths or hex strings); with
/// `roundtrip`, re-encodes each message and reports any whose bytes differ.
pub fn run(_roundtrip: bool, _inputs: &[String]) -> ExitCode {
    eprintln!("ofp-print: not built yet");
    ExitCode::FAILURE
}
