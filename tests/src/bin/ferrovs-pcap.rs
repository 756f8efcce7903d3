//! `ferrovs-pcap`: writes a traffic pcap for `net_pcap,rx_pcap=FILE,infinite_rx=1`
//! (demo, tests and benchmarks).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Write a pcap of Ethernet/IPv4/UDP frames, one per flow.
#[derive(Parser)]
#[command(name = "ferrovs-pcap")]
struct Args {
    /// Number of flows (distinct 5-tuples), one frame each.
    #[arg(long, default_value_t = 1000)]
    flows: u32,
    /// Frame size in bytes without FCS (minimum 60).
    #[arg(long, default_value_t = 60)]
    size: usize,
    /// Output file.
    output: PathBuf,
}

fn main() -> ExitCode {
    let a = Args::parse();
    match ferrovs_tests::pcap::write_udp_flows(&a.output, a.flows, a.size) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrovs-pcap: {}: {e}", a.output.display());
            ExitCode::FAILURE
        }
    }
}
