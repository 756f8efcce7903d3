//! Helpers of the end-to-end tests: spawn the real `ferrovs-switchd` as a
//! child process (EAL initialises once per process), talk to it with the
//! real `ferrovs` CLI, read `/metrics`, inspect its threads.

pub mod controller;
pub mod ovs;
pub mod pcap;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The controller simulator binary built by `cargo build --workspace --bins`.
pub fn controller_sim() -> std::process::Command {
    std::process::Command::new(bin_path("ferrovs-controller-sim"))
}

/// The `key=value` fields of the one `RESULT <mode>` line of `stdout` (a
/// tool's machine-readable summary); panics naming what is wrong.
pub fn result_fields(stdout: &str, mode: &str) -> std::collections::HashMap<String, String> {
    let prefix = format!("RESULT {mode} ");
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("RESULT")).collect();
    assert_eq!(lines.len(), 1, "one RESULT line expected: {stdout}");
    let rest = lines[0]
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("not a {mode} result: {}", lines[0]));
    rest.split_whitespace()
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .unwrap_or_else(|| panic!("{kv} in {rest}"));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// Path of a workspace binary, next to the test executable's directory
/// (`target/<profile>/<name>`).
pub fn bin_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target directory");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace binaries first (cargo build --workspace --bins)",
        path.display()
    );
    path
}

/// Whether hugetlbfs is mounted at /dev/hugepages with free 2 MiB pages.
pub fn hugepages_available() -> bool {
    let mounted = std::fs::read_to_string("/proc/mounts")
        .map(|m| {
            m.lines()
                .any(|l| l.contains(" /dev/hugepages ") && l.contains("hugetlbfs"))
        })
        .unwrap_or(false);
    let free = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("HugePages_Free:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0);
    mounted && free >= 64
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running daemon, stopped (exit command, then SIGKILL) on drop.
pub struct Daemon {
    /// The child process.
    pub child: Child,
    /// Its rundir (inside `dir`).
    pub rundir: PathBuf,
    /// `127.0.0.1:PORT` of `/metrics`.
    pub metrics: String,
    /// Temporary directory holding config, rundir and logs.
    pub dir: tempfile::TempDir,
}

impl Daemon {
    /// Writes `config` and starts the daemon with `extra` arguments; waits
    /// until its control socket answers.
    pub fn start(config: &str, extra: &[&str]) -> Result<Daemon, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let cfg = dir.path().join("ferrovs.toml");
        std::fs::write(&cfg, config).map_err(|e| e.to_string())?;
        let rundir = dir.path().join("run");
        let metrics = format!("127.0.0.1:{}", free_port());
        let log =
            std::fs::File::create(dir.path().join("daemon.log")).map_err(|e| e.to_string())?;
        let mut cmd = Command::new(bin_path("ferrovs-switchd"));
        // The daemon dies with the test process, whatever way it ends
        // (a panicking test must not leave a PMD spinning).
        // SAFETY: prctl is async-signal-safe and touches no memory of the
        // parent; it runs in the child between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd
            .arg("--config")
            .arg(&cfg)
            .arg("--rundir")
            .arg(&rundir)
            .arg("--metrics")
            .arg(&metrics)
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut d = Daemon {
            child,
            rundir,
            metrics,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = d.child.try_wait() {
                return Err(format!("daemon exited with {status}: {}", d.log()));
            }
            if d.rundir.join("ovs-vswitchd.pid").exists()
                && d.cli(&["list-commands"]).status.success()
            {
                return Ok(d);
            }
            if Instant::now() > deadline {
                return Err(format!("daemon did not become ready: {}", d.log()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The daemon's stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    /// The daemon's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Runs Open vSwitch's `ovs-ofctl` against this daemon's management
    /// socket (`OVS_RUNDIR`), so `br0` names its bridge.
    pub fn ofctl(&self, args: &[&str]) -> Output {
        Command::new("ovs-ofctl")
            .env("OVS_RUNDIR", &self.rundir)
            .args(args)
            .output()
            .expect("ovs-ofctl (Debian openvswitch-common) must be installed")
    }

    /// [`Daemon::ofctl`] that must succeed; returns its stdout. A failure
    /// panics with ovs-ofctl's output and the daemon's log.
    pub fn ofctl_ok(&self, args: &[&str]) -> String {
        let out = self.ofctl(args);
        assert!(
            out.status.success(),
            "ovs-ofctl {args:?}: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `tx pkts` of OpenFlow port `port` (a number or `LOCAL`) of bridge
    /// `bridge`, from `ovs-ofctl dump-ports`.
    pub fn tx_packets(&self, bridge: &str, port: &str) -> u64 {
        let text = self.ofctl_ok(&["dump-ports", bridge, port]);
        text.split("tx pkts=")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no tx pkts in {text}"))
    }

    /// The flow lines `ovs-ofctl <args>` (a dump-flows) prints, without
    /// their durations, sorted.
    pub fn flow_lines(&self, args: &[&str]) -> Vec<String> {
        let text = self.ofctl_ok(args);
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with(' '))
            .map(|l| {
                l.split(", ")
                    .filter(|part| !part.trim_start().starts_with("duration="))
                    .collect::<Vec<_>>()
                    .join(", ")
                    .trim()
                    .to_owned()
            })
            .collect();
        lines.sort();
        lines
    }

    /// Runs the `ferrovs` CLI against this daemon.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(bin_path("ferrovs"))
            .arg("--rundir")
            .arg(&self.rundir)
            .args(args)
            .output()
            .expect("run ferrovs")
    }

    /// Runs the CLI and returns its stdout, panicking with its stderr on failure.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "ferrovs {args:?} failed: {}\n--- daemon log ---\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The text of `/metrics`.
    pub fn metrics(&self) -> String {
        http_get(&self.metrics, "/metrics").unwrap_or_else(|e| panic!("GET /metrics: {e}"))
    }

    /// Asks the daemon to exit and waits up to `timeout` for it.
    pub fn exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let _ = self.cli(&["exit"]);
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(s)) = self.child.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // Never panic here (a panic while unwinding aborts the test
            // process): ask politely only when the CLI is there.
            let cli_present = std::env::current_exe()
                .ok()
                .and_then(|e| Some(e.parent()?.parent()?.join("ferrovs")))
                .is_some_and(|p| p.exists());
            if !cli_present || self.exit(Duration::from_secs(10)).is_none() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}

/// A minimal HTTP/1.0 GET for the test client side.
pub fn http_get(addr: &str, path: &str) -> Result<String, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut body = String::new();
    s.read_to_string(&mut body).map_err(|e| e.to_string())?;
    let (head, rest) = body.split_once("\r\n\r\n").ok_or("no HTTP header end")?;
    if !head.starts_with("HTTP/1.") || !head.contains(" 200 ") {
        return Err(format!("unexpected response: {head}"));
    }
    Ok(rest.to_owned())
}

/// Threads of `pid`: (name, last CPU it ran on).
pub fn threads(pid: u32) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in dir.flatten() {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // comm is in parentheses and may contain spaces; fields follow ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_owned();
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        // Field 39 of stat (processor) is index 36 after pid and comm.
        let cpu = fields
            .get(36)
            .and_then(|c| c.parse().ok())
            .unwrap_or(u32::MAX);
        out.push((name, cpu));
    }
    out
}

/// Threads of `pid`: (name, `Cpus_allowed_list` as the kernel prints it).
pub fn thread_affinity(pid: u32) -> Vec<(String, String)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|task| {
            let name = std::fs::read_to_string(task.path().join("comm")).ok()?;
            let status = std::fs::read_to_string(task.path().join("status")).ok()?;
            let allowed = status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?
                .trim()
                .to_owned();
            Some((name.trim().to_owned(), allowed))
        })
        .collect()
}

/// Whether a kernel CPU list ("0-2,5") contains `cpu`.
pub fn cpu_list_contains(list: &str, cpu: u32) -> bool {
    list.split(',').filter(|p| !p.is_empty()).any(|part| {
        let mut ends = part.trim().splitn(2, '-').map(|n| n.parse::<u32>().ok());
        match (ends.next().flatten(), ends.next()) {
            (Some(a), None) => a == cpu,
            (Some(a), Some(Some(b))) => (a..=b).contains(&cpu),
            _ => false,
        }
    })
}

/// The value of the first sample of `metric` whose labels contain all of
/// `labels` (`name="value"` strings) in Prometheus text.
pub fn metric_value(text: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(metric) && l[metric.len()..].starts_with(['{', ' ']))
        .find(|l| labels.iter().all(|want| l.contains(want)))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

/// Parses `name: N` out of CLI text for the first occurrence of `name`.
pub fn field_value(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(name)?.trim().strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// The PMD core of the tests: the highest core this process may use (core 1
/// on a two-core machine, leaving core 0 to everything else).
pub fn pmd_core() -> u32 {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    (n - 1) as u32
}

/// The configuration of one bridge `br0` with its PMD on [`pmd_core`]:
/// `bridge_extra` is TOML for the bridge table (controllers, protocols,
/// other_config), `ports` are (name, ofport, dpdk-devargs).
pub fn bridge_config(bridge_extra: &str, ports: &[(&str, u32, &str)]) -> String {
    named_bridge_config("br0", bridge_extra, ports)
}

/// [`bridge_config`] for a bridge named `bridge`.
pub fn named_bridge_config(
    bridge: &str,
    bridge_extra: &str,
    ports: &[(&str, u32, &str)],
) -> String {
    let mut c = format!(
        "[open_vswitch.other_config]\ndpdk-extra = \"--no-pci\"\npmd-cpu-mask = \"{:#x}\"\n\n\
         [[bridge]]\nname = \"{bridge}\"\n{bridge_extra}\n",
        1u64 << pmd_core()
    );
    for (name, ofport, devargs) in ports {
        c.push_str(&format!(
            "\n[[bridge.port]]\nname = \"{name}\"\nofport_request = {ofport}\n\
             options = {{ \"dpdk-devargs\" = \"{devargs}\" }}\n"
        ));
    }
    c
}

/// Writes a pcap of `flows` 60-byte UDP frames into `dir` and returns its path.
pub fn traffic_pcap(dir: &Path, flows: u32) -> PathBuf {
    let p = dir.join(format!("udp-{flows}.pcap"));
    pcap::write_udp_flows(&p, flows, 60).expect("write pcap");
    p
}

/// Writes a pcap of 16 UDP frames from 02:00:00:00:00:`src` to
/// 02:00:00:00:00:`dst` into `dir` and returns its path.
pub fn host_pcap(dir: &Path, src: u8, dst: u8) -> String {
    let path = dir.join(format!("{src}-{dst}.pcap"));
    pcap::write_frames(
        &path,
        (0..16).map(|i| {
            let mut f = pcap::udp_frame(i, 64);
            f[5] = dst;
            f[11] = src;
            f
        }),
    )
    .expect("write pcap");
    path.display().to_string()
}

/// A daemon with bridge br0 of two ports: 1 a `net_pcap` port that reads
/// a 10-flow pcap once, 2 a `net_null` sink.
pub fn pcap_null_daemon() -> Daemon {
    let dir = tempfile::tempdir().expect("temporary directory");
    let pcap = traffic_pcap(dir.path(), 10);
    let config = bridge_config(
        "",
        &[
            ("p1", 1, &format!("net_pcap0,rx_pcap={}", pcap.display())),
            ("p2", 2, "net_null0,no-rx=1"),
        ],
    );
    // The pcap only has to exist while the port opens.
    Daemon::start(&config, &["--no-huge"]).expect("daemon starts")
}

/// A veth pair; deleting it (on drop) deletes both ends.
pub struct Veth {
    /// The end given to ferrovs.
    pub a: String,
    /// The other end.
    pub b: String,
}

impl Veth {
    /// Creates `fv<pid><tag>a` and its peer `...b`, both up, IPv6 off, tx
    /// checksum offload off.
    pub fn new(tag: &str) -> Veth {
        let a = format!("fv{}{tag}a", std::process::id() % 10000);
        let b = format!("fv{}{tag}b", std::process::id() % 10000);
        let ip = |args: &[&str]| {
            let st = Command::new("ip")
                .args(args)
                .status()
                .expect("ip (iproute2)");
            assert!(st.success(), "ip {args:?} failed");
        };
        ip(&["link", "add", &a, "type", "veth", "peer", "name", &b]);
        for dev in [&a, &b] {
            // No IPv6 autoconfiguration chatter on the test wire.
            let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{dev}/disable_ipv6"), "1");
            ip(&["link", "set", dev, "up"]);
            // Partial checksums would reach net_af_packet otherwise.
            let _ = Command::new("ethtool")
                .args(["-K", dev, "tx", "off"])
                .output();
        }
        Veth { a, b }
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["link", "del", &self.a]).status();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_metrics_and_fields() {
        let text = "# HELP x\nferrovs_port_tx_packets_total{bridge=\"br0\",port=\"p1\"} 42\n\
                    ferrovs_port_tx_packets_total_other 1\n";
        assert_eq!(
            metric_value(text, "ferrovs_port_tx_packets_total", &["port=\"p1\""]),
            Some(42.0)
        );
        assert_eq!(
            metric_value(text, "ferrovs_port_tx_packets_total", &["port=\"p2\""]),
            None
        );
        assert_eq!(
            field_value("  packets received: 17\n", "packets received"),
            Some(17)
        );
    }

    #[test]
    fn bridge_configs_parse_as_toml() {
        let c = bridge_config(
            "protocols = [\"OpenFlow13\"]",
            &[
                ("a", 1, "net_null0,no-rx=1"),
                ("b", 2, "net_pcap0,rx_pcap=/x"),
            ],
        );
        assert!(c.contains("ofport_request = 2"), "{c}");
        assert!(
            c.contains("\"dpdk-devargs\" = \"net_pcap0,rx_pcap=/x\""),
            "{c}"
        );
        assert!(c.starts_with("[open_vswitch.other_config]"), "{c}");
    }

    #[test]
    fn own_threads_are_listed() {
        let t = threads(std::process::id());
        assert!(!t.is_empty());
    }
}
