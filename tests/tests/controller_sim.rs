//! The controller simulator (`ferrovs-controller-sim`) against the real
//! daemon: `load` installs 20000 flows over the management socket, with
//! barriers (OpenFlow 1.3) and as OpenFlow 1.4 bundles, and `ovs-ofctl
//! dump-aggregate` counts them; `learning` is the controller of a bridge
//! whose two hosts then reach each other through the flows it installed,
//! in OpenFlow 1.3 and 1.0, and does the same over the management socket
//! in OpenFlow 1.4; an unreachable switch is an error naming it.

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use ferrovs_tests::{
    bridge_config, controller_sim, free_port, host_pcap, pcap_null_daemon, result_fields, Daemon,
};

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `load` against br0's management socket; returns its RESULT fields.
fn load(d: &Daemon, args: &[&str]) -> HashMap<String, String> {
    let mgmt = format!("unix:{}", d.rundir.join("br0.mgmt").display());
    let out = controller_sim()
        .args(["load", "--connect", &mgmt])
        .args(args)
        .output()
        .expect("run ferrovs-controller-sim");
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "load {args:?}: {}\n{stdout}{stderr}\n--- daemon log ---\n{}",
        out.status,
        d.log()
    );
    // The line itself, for the test's output.
    for line in stdout.lines().filter(|l| l.starts_with("RESULT")) {
        eprintln!("load {args:?}: {line}");
    }
    result_fields(&stdout, "load")
}

fn flow_count(d: &Daemon) -> String {
    let agg = d.ofctl_ok(&["-O", "OpenFlow13", "dump-aggregate", "br0"]);
    agg.split_whitespace()
        .find_map(|w| w.strip_prefix("flow_count="))
        .unwrap_or_else(|| panic!("no flow_count in {agg}"))
        .to_owned()
}

#[test]
fn load_installs_flows_with_barriers_and_as_bundles() {
    let d = pcap_null_daemon();

    for (name, args) in [
        (
            "barriers",
            &["--flows", "20000", "--barrier-every", "1000"][..],
        ),
        (
            "bundles",
            &[
                "-O",
                "OpenFlow14",
                "--bundle",
                "--flows",
                "20000",
                "--barrier-every",
                "1000",
            ][..],
        ),
    ] {
        d.ofctl_ok(&["del-flows", "br0"]);
        let r = load(&d, args);
        assert_eq!(r["flows"], "20000", "{name}: {r:?}");
        assert_eq!(r["errors"], "0", "{name}: {r:?}");
        let seconds: f64 = r["seconds"].parse().unwrap();
        let rate: u64 = r["rate"].parse().unwrap();
        assert!(seconds > 0.0 && rate > 0, "{name}: {r:?}");
        let count = flow_count(&d);
        eprintln!("{name}: ovs-ofctl dump-aggregate: flow_count={count}");
        assert_eq!(count, "20000", "{name}");
    }
    // The flows are the documented ones: exact ip nw_src/nw_dst, priority 100.
    let some = d.ofctl_ok(&["dump-flows", "br0", "ip,nw_dst=11.0.0.7"]);
    assert!(
        some.contains("priority=100,ip,nw_src=10.0.0.0,nw_dst=11.0.0.7 actions=drop"),
        "{some}"
    );

    // A second run of the same flows replaces them: still 20000.
    let r = load(&d, &["--flows", "20000", "--match", "ip", "--window", "2"]);
    assert_eq!(r["errors"], "0", "{r:?}");
    assert_eq!(flow_count(&d), "20000");
}

#[test]
fn unreachable_switch_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("br0.mgmt");
    let out = controller_sim()
        .args(["load", "--flows", "1"])
        .arg("--connect")
        .arg(format!("unix:{}", sock.display()))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(!stdout.contains("RESULT"), "{stdout}");
    assert!(
        stderr.contains(&format!("switch unix:{}: cannot connect", sock.display())),
        "{stderr}"
    );
    let port = free_port();
    let out = controller_sim()
        .args(["load", "--flows", "1", "--connect"])
        .arg(format!("tcp:127.0.0.1:{port}"))
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
}

/// A running `learning` controller, killed on drop.
struct Learning(Option<Child>);

impl Learning {
    /// Starts `learning` with `endpoint` (`--listen ADDR` or `--connect
    /// TARGET`) offering `version`.
    fn start(endpoint: [&str; 2], version: &str) -> Learning {
        let child = controller_sim()
            .arg("learning")
            .args(endpoint)
            .args(["-O", version, "--idle-timeout", "60"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run ferrovs-controller-sim");
        Learning(Some(child))
    }

    /// SIGINT, then its exit status and output.
    fn interrupt(mut self) -> (std::process::ExitStatus, String, String) {
        let child = self.0.take().expect("running");
        // SAFETY: kill(2) on our own child's pid; no memory is touched.
        let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        assert_eq!(rc, 0);
        // The simulator exits at once; its pipes hold little.
        let out = child.wait_with_output().unwrap();
        let (stdout, stderr) = text(&out);
        (out.status, stdout, stderr)
    }
}

impl Drop for Learning {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn learning_controller_connects_hosts_in_openflow_13_10_and_14() {
    let dir = tempfile::tempdir().unwrap();
    // Reserve the controller port, then free it for the simulator.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = bridge_config(
        &format!(
            "fail_mode = \"secure\"\n\
             controller = [{{ target = \"tcp:127.0.0.1:{port}\", max_backoff = 1000 }}]"
        ),
        &[
            (
                "h1",
                1,
                &format!(
                    "net_pcap0,rx_pcap={},infinite_rx=1",
                    host_pcap(dir.path(), 1, 2)
                ),
            ),
            (
                "h2",
                2,
                &format!(
                    "net_pcap1,rx_pcap={},infinite_rx=1",
                    host_pcap(dir.path(), 2, 1)
                ),
            ),
            ("none", 3, "net_null0,no-rx=1"),
        ],
    );
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();

    let listen = format!("tcp:127.0.0.1:{port}");
    let mgmt = format!("unix:{}", d.rundir.join("br0.mgmt").display());
    // As the bridge's controller, and (1.4) over the management socket,
    // where packet-ins come only because the simulator asks for them.
    for (version, endpoint) in [
        ("OpenFlow13", ["--listen", listen.as_str()]),
        ("OpenFlow10", ["--listen", listen.as_str()]),
        ("OpenFlow14", ["--connect", mgmt.as_str()]),
    ] {
        d.ofctl_ok(&["del-flows", "br0"]);
        let ctl = Learning::start(endpoint, version);
        // Host 1 -> host 2 and back, each learned on its port.
        let deadline = Instant::now() + Duration::from_secs(20);
        let learned = loop {
            let flows = d.flow_lines(&["-O", version, "dump-flows", "br0"]);
            let pair = |inp: u32, src: u8, dst: u8, out: u32| {
                flows.iter().any(|l| {
                    l.contains(&format!("in_port={inp}"))
                        && l.contains(&format!("dl_src=02:00:00:00:00:0{src}"))
                        && l.contains(&format!("dl_dst=02:00:00:00:00:0{dst}"))
                        && l.contains("idle_timeout=60")
                        && l.ends_with(&format!("actions=output:{out}"))
                })
            };
            if pair(1, 1, 2, 2) && pair(2, 2, 1, 1) {
                break flows;
            }
            assert!(
                Instant::now() < deadline,
                "{version}: flows not learned: {flows:?}\n--- daemon log ---\n{}",
                d.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        };
        if version != "OpenFlow10" {
            assert!(
                learned
                    .iter()
                    .any(|l| l.contains("priority=0") && l.ends_with("actions=CONTROLLER:65535")),
                "{version}: no table-miss flow: {learned:?}"
            );
        }
        // Known unicast is no longer flooded to port 3.
        std::thread::sleep(Duration::from_millis(300));
        let before = d.tx_packets("br0", "3");
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(
            d.tx_packets("br0", "3"),
            before,
            "{version}: still flooding"
        );
        assert!(d.tx_packets("br0", "2") > 0 && d.tx_packets("br0", "1") > 0);

        let (status, stdout, stderr) = ctl.interrupt();
        assert!(status.success(), "{version}: {status}\n{stdout}{stderr}");
        eprintln!("learning {endpoint:?} -O {version}: {}", stdout.trim());
        let r = result_fields(&stdout, "learning");
        let packet_ins: u64 = r["packet_ins"].parse().unwrap();
        let flows: u64 = r["flows"].parse().unwrap();
        assert!(packet_ins >= 2, "{version}: {r:?}");
        let at_least = if version == "OpenFlow10" { 2 } else { 3 };
        assert!(flows >= at_least, "{version}: {r:?}");
        assert!(stderr.contains("connected"), "{version}: {stderr}");
    }
}

/// The target: a million flows, then `flow_count=1000000`. Slow in
/// a debug build; run with `cargo nextest run -p ferrovs-tests --test
/// controller_sim --run-ignored only`.
#[test]
#[ignore]
fn load_one_million_flows() {
    let config = bridge_config("", &[("p1", 1, "net_null0,no-rx=1")]);
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();
    for args in [
        &["--flows", "1000000", "--barrier-every", "1000"][..],
        &[
            "-O",
            "OpenFlow14",
            "--bundle",
            "--flows",
            "1000000",
            "--barrier-every",
            "1000",
        ][..],
    ] {
        d.ofctl_ok(&["del-flows", "br0"]);
        let r = load(&d, args);
        assert_eq!(
            (r["flows"].as_str(), r["errors"].as_str()),
            ("1000000", "0")
        );
        let count = flow_count(&d);
        eprintln!("{args:?}: ovs-ofctl dump-aggregate: flow_count={count}");
        assert_eq!(count, "1000000");
    }
}
