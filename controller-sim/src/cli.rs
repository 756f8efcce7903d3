//! Command line: `ferrovs-controller-sim <mode> (--connect TARGET... |
//! --listen ADDR) [-O VERSIONS] [mode options]`.

use clap::{Args, Parser, Subcommand};
use openflow::Version;

use crate::endpoint::{Listen, Target};
use crate::flows::FlowShape;
use crate::learning::LearningConfig;
use crate::load::LoadConfig;

/// OpenFlow controller simulator for tests, demos and control-plane
/// benchmarks. Every mode ends with one `RESULT <mode> key=value...` line on
/// stdout.
#[derive(Parser, Debug)]
#[command(name = "ferrovs-controller-sim", version)]
pub struct Cli {
    /// What to do on each switch.
    #[command(subcommand)]
    pub mode: Mode,
}

/// The modes.
#[derive(Subcommand, Debug)]
pub enum Mode {
    /// Install N distinct flows as fast as the switch accepts them, with a
    /// barrier every K flow-mods (or as OpenFlow 1.4 bundles of K); print
    /// `RESULT load flows=N seconds=S rate=R errors=E`.
    Load(LoadArgs),
    /// L2 learning-switch controller (OpenFlow 1.0 and 1.3); runs until
    /// interrupted, then prints `RESULT learning packet_ins=N flows=M`.
    Learning(LearningArgs),
    /// Replay ONOS's OpenFlow driver (handshake, MASTER role, periodic
    /// flow/table/port/group/meter stats, echo) for --duration seconds;
    /// print `RESULT onos requests=N replies=M errors=E rejected=KINDS`.
    Onos(crate::onos::OnosArgs),
    /// Run a scripted scenario (JSON: flow/group/meter-mods, packet-outs,
    /// barriers, expected errors, flows and packet-ins) on each switch;
    /// print `RESULT script steps=N passed=P failed=F`.
    Script(crate::script::ScriptArgs),
    /// Install the table-miss-to-controller rule, count the packet-ins an
    /// external traffic source causes over --duration and sample flow-mod
    /// round trips meanwhile; print `RESULT packet-in packet_ins=N
    /// seconds=S rate=R flowmod_rtt_p50_us=.. ...`.
    PacketIn(crate::packet_in::PacketInArgs),
    /// Poll flow/aggregate/port/table/group/meter statistics at --rate for
    /// --duration; print `RESULT poll requests=N replies=M p50_us=..
    /// p90_us=.. p99_us=.. max_us=..` and the same per kind.
    Poll(crate::poll::PollArgs),
}

/// Where the switches are and how to speak to them (every mode).
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Switch to connect to, at its passive socket as ovs-ofctl does:
    /// unix:PATH (a bridge's RUNDIR/BRIDGE.mgmt) or tcp:IP:PORT.
    /// Repeat for several switches.
    #[arg(long, value_name = "TARGET", required_unless_present = "listen")]
    pub connect: Vec<Target>,
    /// Listen for switches (their controller target) on tcp:IP:PORT or
    /// ptcp:PORT (all addresses) or ptcp:PORT:IP.
    #[arg(long, value_name = "ADDR", conflicts_with = "connect")]
    pub listen: Option<Listen>,
    /// OpenFlow versions to offer, comma-separated (OpenFlow10, OpenFlow13,
    /// OpenFlow14; also 1.0, of13...).
    #[arg(
        short = 'O',
        long = "protocols",
        value_name = "VERSIONS",
        default_value = "OpenFlow13",
        value_parser = parse_versions
    )]
    pub versions: Versions,
    /// Seconds of silence from a switch before an echo request, and again
    /// before it is declared dead (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 15)]
    pub probe_interval: u64,
}

/// A non-empty list of OpenFlow versions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions(pub Vec<Version>);

/// Parses `OpenFlow10,OpenFlow13`.
pub fn parse_versions(s: &str) -> Result<Versions, String> {
    let mut v = Vec::new();
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let version = Version::parse_name(name).ok_or_else(|| {
            format!("unknown OpenFlow version {name:?} (use OpenFlow10, OpenFlow13, OpenFlow14)")
        })?;
        if !v.contains(&version) {
            v.push(version);
        }
    }
    if v.is_empty() {
        return Err("no OpenFlow version given".into());
    }
    v.sort();
    Ok(Versions(v))
}

/// Options of `load`.
#[derive(Args, Debug, Clone)]
pub struct LoadArgs {
    /// Where the switches are.
    #[command(flatten)]
    pub common: Common,
    /// Flows to install on each switch.
    #[arg(long, value_name = "N")]
    pub flows: u32,
    /// Flow-mods per barrier request (with --bundle: per bundle).
    #[arg(long, value_name = "K", default_value_t = 1000)]
    pub barrier_every: u32,
    /// Send each K flow-mods as one OpenFlow 1.4 bundle (open, add ×K,
    /// commit) instead of following them with a barrier; needs -O
    /// OpenFlow14.
    #[arg(long)]
    pub bundle: bool,
    /// Barriers (bundles) outstanding at most.
    #[arg(long, value_name = "W", default_value_t = 8)]
    pub window: usize,
    /// Table of the flows.
    #[arg(long, value_name = "T", default_value_t = 0)]
    pub table: u8,
    /// Priority of every flow.
    #[arg(long, default_value_t = 100)]
    pub priority: u16,
    /// Output port of every flow (default: no actions, i.e. drop).
    #[arg(long, value_name = "PORT")]
    pub out_port: Option<u32>,
    /// Fields the flows match: ip (nw_src, nw_dst) or tcp (5-tuple).
    #[arg(long, value_enum, default_value_t = FlowShape::Ip)]
    pub r#match: FlowShape,
    /// With --listen: switches to serve before the run ends.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub switches: usize,
}

/// Options of `learning`.
#[derive(Args, Debug, Clone)]
pub struct LearningArgs {
    /// Where the switches are.
    #[command(flatten)]
    pub common: Common,
    /// Idle timeout of the installed flows, in seconds (0: none).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub idle_timeout: u16,
    /// Priority of the installed flows.
    #[arg(long, default_value_t = 1)]
    pub priority: u16,
    /// MAC addresses learned per switch at most.
    #[arg(long, value_name = "N", default_value_t = 65536)]
    pub max_macs: usize,
}

/// The highest of the versions.
fn highest(v: &Versions) -> Version {
    v.0.iter().copied().max().unwrap_or(Version::V1_0)
}

impl LoadArgs {
    /// The load settings, or why these options cannot work.
    pub fn config(&self) -> Result<LoadConfig, String> {
        let versions = &self.common.versions;
        if self.bundle && versions.0.iter().any(|v| *v < Version::V1_4) {
            return Err(format!(
                "--bundle needs OpenFlow 1.4 bundles: use -O OpenFlow14 (not -O {})",
                crate::report::version_names(&versions.0).replace(", ", ",")
            ));
        }
        if self.table != 0 && versions.0.contains(&Version::V1_0) {
            return Err(format!(
                "--table {}: OpenFlow 1.0 has table 0 only; use -O OpenFlow13",
                self.table
            ));
        }
        if self.table == 0xff {
            return Err("--table 255 is OFPTT_ALL, not a table".into());
        }
        if self.barrier_every == 0 {
            return Err("--barrier-every must be at least 1".into());
        }
        if self.window == 0 {
            return Err("--window must be at least 1".into());
        }
        if let Some(p) = self.out_port {
            if highest(versions) == Version::V1_0 && p > 0xff00 && p < 0xffff_fff8 {
                return Err(format!(
                    "--out-port {p}: beyond OpenFlow 1.0's 16-bit ports"
                ));
            }
        }
        if self.switches == 0 {
            return Err("--switches must be at least 1".into());
        }
        Ok(LoadConfig {
            flows: self.flows,
            batch: self.barrier_every,
            bundle: self.bundle,
            window: self.window,
            table: self.table,
            priority: self.priority,
            out_port: self.out_port,
            shape: self.r#match,
        })
    }
}

impl LearningArgs {
    /// The learning settings.
    pub fn config(&self) -> Result<LearningConfig, String> {
        if self.max_macs == 0 {
            return Err("--max-macs must be at least 1".into());
        }
        Ok(LearningConfig {
            idle_timeout: self.idle_timeout,
            priority: self.priority,
            max_macs: self.max_macs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("ferrovs-controller-sim").chain(args.iter().copied()))
    }

    fn load(args: &[&str]) -> LoadArgs {
        match parse(args).unwrap().mode {
            Mode::Load(l) => l,
            m => panic!("{m:?}"),
        }
    }

    #[test]
    fn load_with_defaults() {
        let l = load(&[
            "load",
            "--connect",
            "unix:/run/br0.mgmt",
            "--flows",
            "20000",
        ]);
        assert_eq!(l.common.connect, [Target::Unix("/run/br0.mgmt".into())]);
        assert_eq!(l.common.versions, Versions(vec![Version::V1_3]));
        let c = l.config().unwrap();
        assert_eq!(
            (c.flows, c.batch, c.bundle, c.window),
            (20000, 1000, false, 8)
        );
        assert_eq!((c.table, c.priority, c.out_port), (0, 100, None));
    }

    #[test]
    fn bundles_need_openflow_14() {
        let l = load(&[
            "load",
            "--connect",
            "tcp:127.0.0.1:6634",
            "-O",
            "OpenFlow14",
            "--bundle",
            "--flows",
            "5",
            "--barrier-every",
            "2",
            "--table",
            "3",
            "--match",
            "tcp",
        ]);
        let c = l.config().unwrap();
        assert!(c.bundle);
        assert_eq!((c.batch, c.table, c.shape), (2, 3, FlowShape::Tcp));
        let l = load(&["load", "--connect", "unix:/x", "--bundle", "--flows", "5"]);
        let e = l.config().unwrap_err();
        assert!(e.contains("-O OpenFlow14"), "{e}");
        let l = load(&[
            "load",
            "--connect",
            "unix:/x",
            "-O",
            "OpenFlow10",
            "--table",
            "1",
            "--flows",
            "5",
        ]);
        assert!(l.config().unwrap_err().contains("table 0 only"));
    }

    #[test]
    fn exactly_one_endpoint() {
        assert!(parse(&["load", "--flows", "1"]).is_err());
        assert!(parse(&[
            "load",
            "--flows",
            "1",
            "--connect",
            "unix:/x",
            "--listen",
            "tcp:127.0.0.1:6653"
        ])
        .is_err());
        let l = load(&[
            "load",
            "--flows",
            "1",
            "--connect",
            "unix:/x",
            "--connect",
            "tcp:10.0.0.1:6634",
        ]);
        assert_eq!(l.common.connect.len(), 2);
        assert!(parse(&["load", "--flows", "1", "--connect", "br0"]).is_err());
    }

    #[test]
    fn versions_and_learning() {
        assert_eq!(
            parse_versions("OpenFlow13,OpenFlow10, of13").unwrap(),
            Versions(vec![Version::V1_0, Version::V1_3])
        );
        assert!(parse_versions("OpenFlow15").is_err());
        assert!(parse_versions(",").is_err());
        let Mode::Learning(l) = parse(&["learning", "--listen", "ptcp:6653", "-O", "OpenFlow10"])
            .unwrap()
            .mode
        else {
            panic!()
        };
        assert_eq!(l.common.listen.unwrap().0.port(), 6653);
        assert_eq!(l.config().unwrap().idle_timeout, 60);
        assert_eq!(l.common.versions, Versions(vec![Version::V1_0]));
        assert!(parse(&["no-such-mode", "--listen", "ptcp:"]).is_err());
    }
}
