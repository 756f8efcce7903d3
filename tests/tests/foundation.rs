//! End-to-end tests of the foundation: the real daemon with real DPDK vdevs,
//! driven through the real `ferrovs` CLI, `ovs-appctl` and `/metrics`.

use std::process::Command;
use std::time::{Duration, Instant};

use ferrovs_tests::{
    bin_path, cpu_list_contains, field_value, hugepages_available, metric_value, pmd_core,
    thread_affinity, threads, traffic_pcap, Daemon, Veth,
};

fn cross_connect_config(pcap: &std::path::Path, core: u32, extra_port: &str) -> String {
    format!(
        r#"
[open_vswitch.other_config]
dpdk-socket-mem = "256"
dpdk-extra = "--no-pci"
pmd-cpu-mask = "{mask:#x}"

[[bridge]]
name = "br0"
datapath_type = "netdev"
cross_connect = ["p0=p1"]

[[bridge.port]]
name = "p0"
ofport_request = 1
type = "dpdk"
options = {{ "dpdk-devargs" = "net_pcap0,rx_pcap={pcap},infinite_rx=1", n_rxq = "1" }}
other_config = {{ "pmd-rxq-affinity" = "0:{core}" }}

[[bridge.port]]
name = "p1"
ofport_request = 2
type = "dpdk"
options = {{ "dpdk-devargs" = "net_null0,no-rx=1" }}
{extra_port}
"#,
        mask = 1u64 << core,
        pcap = pcap.display(),
    )
}

/// Polls `f` until it returns Some or `timeout` passes.
fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn tx_packets_metric(d: &Daemon, port: &str) -> f64 {
    metric_value(
        &d.metrics(),
        "ferrovs_port_tx_packets_total",
        &[&format!("port=\"{port}\"")],
    )
    .unwrap_or(0.0)
}

/// The shared body of the cross-connect tests.
fn cross_connect_forwards(extra_args: &[&str], expect_huge: bool) {
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 1000);
    let core = pmd_core();
    let mut d = Daemon::start(&cross_connect_config(&pcap, core, ""), extra_args).unwrap();

    // Counters rise through the CLI...
    let first = wait_for(Duration::from_secs(20), || {
        let s = d.cli_ok(&["pmd-stats-show"]);
        field_value(&s, "packets sent").filter(|&n| n > 0)
    })
    .unwrap_or_else(|| panic!("no packet forwarded; log:\n{}", d.log()));
    std::thread::sleep(Duration::from_millis(500));
    let stats = d.cli_ok(&["pmd-stats-show"]);
    let second = field_value(&stats, "packets sent").unwrap();
    assert!(second > first, "tx did not rise: {first} then {second}");
    assert!(stats.contains(&format!("core_id {core}:")), "{stats}");
    assert!(field_value(&stats, "packets received").unwrap() >= second);

    // ...and through /metrics, from the same source.
    let m1 = tx_packets_metric(&d, "p1");
    std::thread::sleep(Duration::from_millis(500));
    let metrics = d.metrics();
    let m2 = metric_value(&metrics, "ferrovs_port_tx_packets_total", &["port=\"p1\""]).unwrap();
    assert!(
        m1 > 0.0 && m2 > m1,
        "metrics tx did not rise: {m1} then {m2}"
    );
    let xstat = metric_value(
        &metrics,
        "ferrovs_port_xstat",
        &["port=\"p0\"", "name=\"rx_good_packets\""],
    )
    .unwrap_or(0.0);
    assert!(xstat > 0.0, "rx_good_packets xstat missing:\n{metrics}");
    let pmd_rx = metric_value(
        &metrics,
        "ferrovs_pmd_rx_packets_total",
        &[&format!("core=\"{core}\"")],
    )
    .unwrap();
    assert!(pmd_rx > 0.0);

    // A PMD thread named pmd-c<core>, running on that core.
    let pmd_name = format!("pmd-c{core}");
    let t = threads(d.pid());
    let pmd = t.iter().find(|(n, _)| *n == pmd_name);
    assert!(pmd.is_some(), "no thread {pmd_name} in {t:?}");
    assert_eq!(pmd.unwrap().1, core, "{pmd_name} runs on another core");

    // Everything else (control runtime, metrics, EAL's service threads)
    // stays off the PMD core when there is another core.
    if core > 0 {
        for (name, allowed) in thread_affinity(d.pid()) {
            if name != pmd_name {
                assert!(
                    !cpu_list_contains(&allowed, core),
                    "thread {name} may run on the PMD core: {allowed}"
                );
            }
        }
    }

    let rxq = d.cli_ok(&["pmd-rxq-show"]);
    assert!(rxq.contains(&format!("core_id {core}:")), "{rxq}");
    assert!(rxq.contains("isolated : true"), "{rxq}");
    assert!(rxq.contains("port: p0"), "{rxq}");

    let show = d.cli_ok(&["show"]);
    assert!(show.contains("Port p0 (ofport 1)"), "{show}");
    assert!(show.contains("driver: net_pcap"), "{show}");
    assert!(show.contains("link: up"), "{show}");
    // The PMD is registered with EAL: it has an lcore id (mempool caches work).
    assert!(
        show.contains(&format!("PMD pmd-c{core}: EAL lcore ")) && !show.contains("not registered"),
        "{show}"
    );
    // p1's queue is unpinned and the only PMD is isolated: not polled, said so.
    assert!(
        show.contains("warning: port p1 rx queue 0 is not polled: every PMD thread is isolated"),
        "{show}"
    );
    assert_eq!(
        show.contains("EAL with hugepages"),
        expect_huge,
        "hugepage mode: {show}"
    );

    // pmd-stats-clear resets what pmd-stats-show prints.
    d.cli_ok(&["pmd-stats-clear"]);
    let after = field_value(&d.cli_ok(&["pmd-stats-show"]), "packets sent").unwrap();
    assert!(after < second, "clear did not reset: {after} >= {second}");

    let status = d.exit(Duration::from_secs(20)).expect("daemon exits");
    assert!(status.success(), "exit status {status}");
    assert!(!d.rundir.join("ovs-vswitchd.pid").exists());
}

#[test]
fn cross_connect_without_hugepages() {
    cross_connect_forwards(&["--no-huge"], false);
}

#[test]
fn cross_connect_with_hugepages() {
    if !hugepages_available() {
        assert!(
            std::env::var_os("FERROVS_REQUIRE_HUGEPAGES").is_none(),
            "FERROVS_REQUIRE_HUGEPAGES is set but no hugepages are free at /dev/hugepages"
        );
        eprintln!("skipped: no free hugepages mounted at /dev/hugepages (scripts/hugepages.sh)");
        return;
    }
    cross_connect_forwards(&["--require-huge"], true);
}

#[test]
fn ovs_appctl_reads_the_control_socket() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 10);
    let d = Daemon::start(&cross_connect_config(&pcap, pmd_core(), ""), &["--no-huge"]).unwrap();
    let pid = std::fs::read_to_string(d.rundir.join("ovs-vswitchd.pid")).unwrap();
    let ctl = d.rundir.join(format!("ovs-vswitchd.{}.ctl", pid.trim()));
    let by_path = Command::new("ovs-appctl")
        .arg("-t")
        .arg(&ctl)
        .arg("dpif-netdev/pmd-stats-show")
        .output()
        .expect("ovs-appctl (Debian openvswitch-common) must be installed");
    assert!(by_path.status.success(), "{by_path:?}");
    assert!(String::from_utf8_lossy(&by_path.stdout).contains("packets received"));
    // By name, through the locked pidfile, as OVS users type it.
    let by_name = Command::new("ovs-appctl")
        .env("OVS_RUNDIR", &d.rundir)
        .args(["-t", "ovs-vswitchd", "dpif-netdev/pmd-rxq-show"])
        .output()
        .unwrap();
    assert!(by_name.status.success(), "{by_name:?}");
    assert!(String::from_utf8_lossy(&by_name.stdout).contains("port: p0"));
    // An unknown command is an error, exit status 2, and the daemon lives on.
    let bad = Command::new("ovs-appctl")
        .arg("-t")
        .arg(&ctl)
        .arg("no-such-command")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a valid command"));
    assert!(d.cli(&["show"]).status.success());
}

#[test]
fn bad_ports_are_refused_and_the_others_forward() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 100);
    let bad = format!(
        r#"
[[bridge.port]]
name = "bogus"
type = "dpdk"
options = {{ "dpdk-devargs" = "net_bogus0,foo=1" }}

[[bridge.port]]
name = "toomany"
type = "dpdk"
options = {{ "dpdk-devargs" = "net_pcap1,rx_pcap={pcap}", n_rxq = "4" }}

[[bridge.port]]
name = "jumbo"
type = "dpdk"
options = {{ "dpdk-devargs" = "net_pcap2,rx_pcap={pcap}" }}
mtu_request = 9000

[[bridge.port]]
name = "vhost"
type = "dpdkvhostuser"
"#,
        pcap = pcap.display()
    );
    let d = Daemon::start(
        &cross_connect_config(&pcap, pmd_core(), &bad),
        &["--no-huge"],
    )
    .unwrap();
    let show = d.cli_ok(&["show"]);
    assert!(
        show.contains("interface bogus: dpdk-devargs \"net_bogus0,foo=1\" could not be probed"),
        "{show}"
    );
    assert!(
        show.contains("interface toomany: options:n_rxq=4 is above the device maximum of 1"),
        "{show}"
    );
    assert!(
        show.contains("interface jumbo: mtu_request=9000 is refused by the device (net_pcap)"),
        "{show}"
    );
    assert!(
        show.contains("interface vhost: type dpdkvhostuser is not supported"),
        "{show}"
    );
    // The good ports still forward.
    let sent = wait_for(Duration::from_secs(20), || {
        field_value(&d.cli_ok(&["pmd-stats-show"]), "packets sent").filter(|&n| n > 0)
    });
    assert!(sent.is_some(), "good ports do not forward:\n{}", d.log());
}

#[test]
fn configuration_errors_at_startup_exit_nonzero_with_the_reason() {
    let cases = [
        ("[[bridge]\nname = ", "ferrovs.toml"),
        (
            "[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"p0\"\n\
             options = { \"dpdk-devargs\" = \"net_null0\" }\n\
             other_config = { \"pmd-rxq-affinity\" = \"0-1\" }\n",
            "interface p0: other_config:pmd-rxq-affinity=\"0-1\" is malformed",
        ),
        (
            "[[bridge]]\nname = \"br0\"\ndatapath_type = \"system\"\n",
            "bridge br0: datapath_type \"system\" is not supported",
        ),
        (
            "[open_vswitch.other_config]\npmd-cpu-mask = \"zz\"\n",
            "pmd-cpu-mask=\"zz\" is malformed",
        ),
    ];
    for (config, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("ferrovs.toml");
        std::fs::write(&cfg, config).unwrap();
        let out = Command::new(bin_path("ferrovs-switchd"))
            .arg("--config")
            .arg(&cfg)
            .arg("--rundir")
            .arg(dir.path().join("run"))
            .arg("--no-huge")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{config}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{config}: expected {expected:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn absent_pmd_cores_are_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 100);
    let core = pmd_core();
    // Cores 62 and 63 do not exist here.
    let config = cross_connect_config(&pcap, core, "").replace(
        &format!("pmd-cpu-mask = \"{:#x}\"", 1u64 << core),
        &format!("pmd-cpu-mask = \"{:#x}\"", (1u64 << core) | (3u64 << 62)),
    );
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();
    let show = d.cli_ok(&["show"]);
    assert!(show.contains("names cores [62, 63]"), "{show}");
    let t = threads(d.pid());
    assert!(t.iter().any(|(n, _)| *n == format!("pmd-c{core}")), "{t:?}");
    assert!(!t.iter().any(|(n, _)| n == "pmd-c62"), "{t:?}");
}

#[test]
fn two_pmds_affinity_isolation_and_a_shared_tx_queue() {
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("skipped: needs two cores");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 1000);
    let veth = Veth::new("s");
    // Two rx queues from two finite pcaps (1000 packets each); the sink is a
    // veth through net_af_packet with one queue pair, so both PMDs share its
    // one tx queue under the spinlock.
    let config = format!(
        r#"
[open_vswitch.other_config]
dpdk-socket-mem = "256"
dpdk-extra = "--no-pci"
pmd-cpu-mask = "0x3"
pmd-maxsleep = "1000"

[[bridge]]
name = "br0"
cross_connect = ["src=sink"]

[[bridge.port]]
name = "src"
options = {{ "dpdk-devargs" = "net_pcap0,rx_pcap={pcap},rx_pcap={pcap}", n_rxq = "2" }}
other_config = {{ "pmd-rxq-affinity" = "0:1" }}

[[bridge.port]]
name = "sink"
options = {{ "dpdk-devargs" = "net_af_packet0,iface={iface},qpairs=1" }}
"#,
        pcap = pcap.display(),
        iface = veth.a
    );
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();
    let rxq = d.cli_ok(&["pmd-rxq-show"]);
    let core1 = rxq.split("core_id 1:").nth(1).unwrap_or_default();
    let core0 = rxq
        .split("core_id 0:")
        .nth(1)
        .and_then(|s| s.split("pmd thread").next())
        .unwrap_or_default();
    assert!(core1.contains("isolated : true"), "{rxq}");
    assert!(
        core1.contains("port: src") && core1.contains("queue-id:  0"),
        "{rxq}"
    );
    assert!(core0.contains("isolated : false"), "{rxq}");
    assert!(
        core0.contains("port: src") && core0.contains("queue-id:  1"),
        "{rxq}"
    );
    assert!(core0.contains("port: sink"), "{rxq}");
    let t = threads(d.pid());
    for name in ["pmd-c0", "pmd-c1"] {
        assert!(t.iter().any(|(n, _)| n == name), "no {name} in {t:?}");
    }
    let show = d.cli_ok(&["show"]);
    assert!(show.contains("n_txq: 1 (shared)"), "{show}");

    // Every packet of both queues reaches the shared queue: sent or counted
    // as dropped, never lost silently.
    let done = wait_for(Duration::from_secs(20), || {
        let m = d.metrics();
        let sent = metric_value(&m, "ferrovs_port_tx_packets_total", &["port=\"sink\""])?;
        let dropped = metric_value(&m, "ferrovs_port_tx_dropped_total", &["port=\"sink\""])?;
        (sent + dropped >= 2000.0).then_some((sent, dropped))
    });
    let (sent, dropped) = done.unwrap_or_else(|| panic!("not all packets out:\n{}", d.metrics()));
    assert_eq!(sent + dropped, 2000.0);
    let stats = d.cli_ok(&["pmd-stats-show"]);
    for core in [0, 1] {
        let section = stats
            .split(&format!("core_id {core}:"))
            .nth(1)
            .unwrap_or_default();
        // Each PMD forwarded its queue's 1000 packets; anything else it
        // received (the sink's rx queue) was dropped and counted.
        let received = field_value(section, "packets received").unwrap_or(0);
        let dropped = field_value(section, "pipeline drops").unwrap_or(0);
        assert_eq!(received - dropped, 1000, "core {core}: {stats}");
    }
}
