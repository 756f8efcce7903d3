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
    /// Swap the Ethernet addresses: frames from 02:00:00:00:00:02 to
    /// 02:00:00:00:00:01, the answers of the default direction (two hosts
    /// for a learning switch).
    #[arg(long)]
    reverse: bool,
    /// Output file.
    output: PathBuf,
}

fn main() -> ExitCode {
    let a = Args::parse();
    use ferrovs_tests::pcap::{udp_frame, write_frames};
    let frames = (0..a.flows).map(|i| {
        let mut f = udp_frame(i, a.size);
        if a.reverse {
            let (dst, src) = f.split_at_mut(6);
            dst.swap_with_slice(&mut src[..6]);
        }
        f
    });
    match write_frames(&a.output, frames) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrovs-pcap: {}: {e}", a.output.display());
            ExitCode::FAILURE
        }
    }
}
