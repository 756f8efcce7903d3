//! `ferrovs`: command-line client of the ferrovs daemon.
//!
//! Runtime commands travel over the daemon's unixctl socket (the protocol of
//! `ovs-appctl`), found through `<rundir>/ovs-vswitchd.pid`. `ofp-print`
//! works offline.

mod ofp_print;
mod unixctl;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// ferrovs command-line client.
#[derive(Parser, Debug)]
#[command(name = "ferrovs", version)]
struct Cli {
    /// Directory of the daemon's control socket and pidfile.
    #[arg(
        long,
        env = "OVS_RUNDIR",
        default_value = "/var/run/openvswitch",
        global = true
    )]
    rundir: PathBuf,
    /// Control socket to use instead of the one the pidfile names.
    #[arg(long, short = 't', global = true)]
    target: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Per-PMD counters: packets, batches, idle/processing cycles.
    #[command(name = "pmd-stats-show", visible_alias = "dpif-netdev/pmd-stats-show")]
    PmdStatsShow {
        /// Open vSwitch's arguments: [-pmd CORE] [DP].
        #[arg(allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Reset the counters `pmd-stats-show` prints.
    #[command(
        name = "pmd-stats-clear",
        visible_alias = "dpif-netdev/pmd-stats-clear"
    )]
    PmdStatsClear {
        /// Open vSwitch's arguments: [-pmd CORE] [DP].
        #[arg(allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Which PMD polls which rx queue.
    #[command(name = "pmd-rxq-show", visible_alias = "dpif-netdev/pmd-rxq-show")]
    PmdRxqShow {
        /// Open vSwitch's arguments: [-pmd CORE] [DP].
        #[arg(allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Bridges, ports, devargs, link, MTU, queues.
    Show,
    /// The daemon's command list.
    ListCommands,
    /// Stop the daemon.
    Exit,
    /// Any unixctl command by name, with its arguments.
    Call {
        /// Command name, e.g. dpif-netdev/pmd-stats-show.
        method: String,
        /// Its arguments.
        #[arg(allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Decode OpenFlow messages from files (raw bytes) or hex and print them.
    OfpPrint {
        /// Re-encode every message and report any whose bytes differ.
        #[arg(long)]
        roundtrip: bool,
        /// Files or hex strings.
        #[arg(required = true)]
        inputs: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (method, args): (&str, Vec<String>) = match cli.command {
        Command::OfpPrint { roundtrip, inputs } => return ofp_print::run(roundtrip, &inputs),
        Command::PmdStatsShow { args } => ("dpif-netdev/pmd-stats-show", args),
        Command::PmdStatsClear { args } => ("dpif-netdev/pmd-stats-clear", args),
        Command::PmdRxqShow { args } => ("dpif-netdev/pmd-rxq-show", args),
        Command::Show => ("show", Vec::new()),
        Command::ListCommands => ("list-commands", Vec::new()),
        Command::Exit => ("exit", Vec::new()),
        Command::Call {
            ref method,
            ref args,
        } => (method.as_str(), args.clone()),
    };
    let socket = match cli.target {
        Some(t) => t,
        None => match unixctl::find_socket(&cli.rundir) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("ferrovs: {e}");
                return ExitCode::from(1);
            }
        },
    };
    match unixctl::call(&socket, method, &args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(unixctl::CallError::Command(text)) => {
            eprint!("{text}");
            if !text.ends_with('\n') {
                eprintln!();
            }
            eprintln!("ferrovs: {method} failed");
            ExitCode::from(2)
        }
        Err(unixctl::CallError::Transport(e)) => {
            eprintln!("ferrovs: {}: {e}", socket.display());
            ExitCode::from(1)
        }
    }
}
