//! An OpenFlow bridge forwarding real traffic by its flow table: rules
//! added with `ovs-ofctl` steer a `net_pcap` replay to `net_null` ports,
//! rule counters rise, and once `ovs-ofctl mod-flows` moving the flow to
//! another port has returned, the old port's tx counter stays still.

use std::time::Duration;

use ferrovs_tests::{bridge_config, metric_value, traffic_pcap, Daemon};

/// `tx pkts` of OpenFlow port `port` of br0.
fn tx_packets(d: &Daemon, port: u32) -> u64 {
    d.tx_packets("br0", &port.to_string())
}

fn n_packets(d: &Daemon) -> u64 {
    let text = d.ofctl_ok(&["dump-flows", "br0"]);
    text.split("n_packets=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn flows_steer_traffic_and_a_modify_moves_it_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 100);
    let config = bridge_config(
        "",
        &[
            (
                "src",
                1,
                &format!(
                    "net_pcap0,rx_pcap={pcap},infinite_rx=1",
                    pcap = pcap.display()
                ),
            ),
            ("a", 2, "net_null0,no-rx=1"),
            ("b", 3, "net_null1,no-rx=1"),
        ],
    );
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();

    // No rule: every packet misses and is dropped, counted.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(tx_packets(&d, 2), 0);
    let show = d.cli_ok(&["show"]);
    assert!(!show.contains("table_miss=0 "), "{show}");

    d.ofctl_ok(&["add-flow", "br0", "in_port=1,actions=output:2"]);
    std::thread::sleep(Duration::from_millis(500));
    // /metrics reads the same tables and drop counters.
    let m = d.metrics();
    let value = |name: &str, labels: &[&str]| metric_value(&m, name, labels).unwrap_or(-1.0);
    assert_eq!(
        value(
            "ferrovs_table_active_flows",
            &["bridge=\"br0\"", "table=\"0\""]
        ),
        1.0,
        "{m}"
    );
    assert!(
        value("ferrovs_table_matches_total", &["table=\"0\""]) > 0.0,
        "{m}"
    );
    assert!(
        value("ferrovs_pipeline_drops_total", &["reason=\"table_miss\""]) > 0.0,
        "{m}"
    );
    let a1 = tx_packets(&d, 2);
    let hits1 = n_packets(&d);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        tx_packets(&d, 2) > a1 && a1 > 0,
        "port 2 does not receive the flow"
    );
    assert!(
        n_packets(&d) > hits1 && hits1 > 0,
        "rule counters do not rise"
    );
    assert_eq!(tx_packets(&d, 3), 0);

    // Move the flow; once mod-flows (flow-mod + barrier) has returned,
    // port 2 gets nothing more.
    d.ofctl_ok(&["mod-flows", "br0", "in_port=1,actions=output:3"]);
    let a2 = tx_packets(&d, 2);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(tx_packets(&d, 2), a2, "the old port still transmits");
    let b1 = tx_packets(&d, 3);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        tx_packets(&d, 3) > b1 && b1 > 0,
        "port 3 does not receive the flow"
    );

    // Both ports: one copy and the packet itself.
    d.ofctl_ok(&["mod-flows", "br0", "in_port=1,actions=output:2,output:3"]);
    let (a3, b3) = (tx_packets(&d, 2), tx_packets(&d, 3));
    std::thread::sleep(Duration::from_millis(300));
    assert!(tx_packets(&d, 2) > a3 && tx_packets(&d, 3) > b3);
    assert!(d.cli_ok(&["show"]).contains("copy_failed=0"));
}

#[test]
fn packet_outs_go_to_ports_and_through_the_tables() {
    let config = bridge_config(
        "",
        &[
            ("a", 1, "net_null0,no-rx=1"),
            ("b", 2, "net_null1,no-rx=1"),
            ("c", 3, "net_null2,no-rx=1"),
        ],
    );
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();
    // A 60-byte UDP frame, as hex.
    let frame = hex_frame();
    for v in ["OpenFlow10", "OpenFlow13", "OpenFlow14"] {
        d.ofctl_ok(&[
            "-O",
            v,
            "packet-out",
            "br0",
            &format!("in_port=controller packet={frame} actions=output:2"),
        ]);
    }
    assert_eq!(tx_packets(&d, 2), 3);
    // FLOOD from port 1 reaches 2 and 3; TABLE follows the flow table.
    d.ofctl_ok(&[
        "packet-out",
        "br0",
        &format!("in_port=1 packet={frame} actions=flood"),
    ]);
    assert_eq!(
        (tx_packets(&d, 2), tx_packets(&d, 3), tx_packets(&d, 1)),
        (4, 1, 0)
    );
    d.ofctl_ok(&["add-flow", "br0", "in_port=2,actions=output:1"]);
    d.ofctl_ok(&[
        "-O",
        "OpenFlow13",
        "packet-out",
        "br0",
        &format!("in_port=2 packet={frame} actions=table"),
    ]);
    assert_eq!(tx_packets(&d, 1), 1, "TABLE did not follow the flow");
}

/// A 60-byte Ethernet/IPv4/UDP frame in hex.
fn hex_frame() -> String {
    ferrovs_tests::pcap::udp_frame(7, 60)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn groups_over_ovs_ofctl_forward_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 64);
    let config = bridge_config(
        "",
        &[
            (
                "src",
                1,
                &format!(
                    "net_pcap0,rx_pcap={pcap},infinite_rx=1",
                    pcap = pcap.display()
                ),
            ),
            ("a", 2, "net_null0,no-rx=1"),
            ("b", 3, "net_null1,no-rx=1"),
        ],
    );
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();
    let of13 = |args: &[&str]| {
        let mut all = vec!["-O", "OpenFlow13"];
        all.extend_from_slice(args);
        d.ofctl_ok(&all)
    };
    // A flow to a missing group is refused.
    let out = d.ofctl(&["-O", "OpenFlow13", "add-flow", "br0", "actions=group:5"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("OFPBAC_BAD_OUT_GROUP")
            || String::from_utf8_lossy(&out.stdout).contains("OFPBAC_BAD_OUT_GROUP"),
        "{out:?}"
    );
    // select over both ports: 64 distinct flows spread over both.
    of13(&[
        "add-group",
        "br0",
        "group_id=5,type=select,bucket=weight:1,output:2,bucket=weight:1,output:3",
    ]);
    of13(&["add-flow", "br0", "in_port=1,actions=group:5"]);
    std::thread::sleep(Duration::from_millis(600));
    let (a, b) = (tx_packets(&d, 2), tx_packets(&d, 3));
    assert!(a > 0 && b > 0, "select used one bucket only: {a} / {b}");
    let stats = of13(&["dump-group-stats", "br0"]);
    assert!(stats.contains("group_id=5"), "{stats}");
    assert!(stats.contains("ref_count=1"), "{stats}");
    let desc = of13(&["dump-groups", "br0"]);
    assert!(desc.contains("type=select"), "{desc}");
    // Deleting the group removes the flow that used it.
    of13(&["del-groups", "br0", "group_id=5"]);
    let flows = of13(&["dump-flows", "br0"]);
    assert!(!flows.contains("group:5"), "{flows}");
    let a2 = tx_packets(&d, 2);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        tx_packets(&d, 2),
        a2,
        "traffic still follows the deleted group"
    );
    let features = of13(&["dump-group-features", "br0"]);
    assert!(features.contains("select"), "{features}");
}

#[test]
fn a_meter_limits_forwarded_traffic_to_its_rate() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 64);
    let config = bridge_config(
        "",
        &[
            (
                "src",
                1,
                &format!(
                    "net_pcap0,rx_pcap={pcap},infinite_rx=1",
                    pcap = pcap.display()
                ),
            ),
            ("a", 2, "net_null0,no-rx=1"),
        ],
    );
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();
    let of13 = |args: &[&str]| {
        let mut all = vec!["-O", "OpenFlow13"];
        all.extend_from_slice(args);
        d.ofctl_ok(&all)
    };
    of13(&["add-meter", "br0", "meter=1,pktps,band=type=drop,rate=1000"]);
    of13(&["add-flow", "br0", "in_port=1,actions=meter:1,output:2"]);
    std::thread::sleep(Duration::from_millis(500));
    let t0 = std::time::Instant::now();
    let a = tx_packets(&d, 2);
    std::thread::sleep(Duration::from_secs(2));
    let b = tx_packets(&d, 2);
    let rate = (b - a) as f64 / t0.elapsed().as_secs_f64();
    assert!(
        (900.0..=1100.0).contains(&rate),
        "a 1000 pps meter forwarded {rate:.0} pps"
    );
    let stats = of13(&["meter-stats", "br0"]);
    assert!(stats.contains("meter:1 flow_count:1"), "{stats}");
    let config = of13(&["dump-meters", "br0"]);
    assert!(config.contains("type=drop rate=1000"), "{config}");
    // Deleting the meter deletes the flow that used it.
    of13(&["del-meters", "br0"]);
    assert!(!of13(&["dump-flows", "br0"]).contains("meter:1"));
}

#[test]
fn port_mod_stops_and_resumes_forwarding() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 16);
    let config = bridge_config(
        "",
        &[
            (
                "src",
                1,
                &format!(
                    "net_pcap0,rx_pcap={pcap},infinite_rx=1",
                    pcap = pcap.display()
                ),
            ),
            ("a", 2, "net_null0,no-rx=1"),
        ],
    );
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();
    d.ofctl_ok(&["add-flow", "br0", "in_port=1,actions=output:2"]);
    let rising = |port: u32| {
        let a = tx_packets(&d, port);
        std::thread::sleep(Duration::from_millis(300));
        tx_packets(&d, port) > a
    };
    assert!(rising(2));
    // no-forward on the output port: nothing more leaves it.
    d.ofctl_ok(&["mod-port", "br0", "2", "no-forward"]);
    let desc = d.ofctl_ok(&["-O", "OpenFlow13", "dump-ports-desc", "br0"]);
    assert!(desc.contains("NO_FWD"), "{desc}");
    assert!(!rising(2), "a NO_FWD port still transmits");
    d.ofctl_ok(&["mod-port", "br0", "2", "forward"]);
    assert!(rising(2));
    // no-receive on the input port: its packets are dropped, counted.
    d.ofctl_ok(&["mod-port", "br0", "1", "no-receive"]);
    assert!(!rising(2), "packets of a NO_RECV port are still forwarded");
    let m = d.metrics();
    assert!(
        metric_value(
            &m,
            "ferrovs_pipeline_drops_total",
            &["reason=\"port_config\""]
        )
        .unwrap_or(0.0)
            > 0.0,
        "{m}"
    );
    d.ofctl_ok(&["mod-port", "br0", "1", "receive"]);
    assert!(rising(2));
    // A port that does not exist: ovs-ofctl itself refuses to resolve it.
    let out = d.ofctl(&["mod-port", "br0", "9", "down"]);
    assert!(!out.status.success());
    // up/down: the port reports its link down while administratively down.
    d.ofctl_ok(&["mod-port", "br0", "2", "down"]);
    let desc = d.ofctl_ok(&["-O", "OpenFlow13", "dump-ports-desc", "br0"]);
    assert!(
        desc.contains("PORT_DOWN") && desc.contains("LINK_DOWN"),
        "{desc}"
    );
    assert!(!rising(2));
    d.ofctl_ok(&["mod-port", "br0", "2", "up"]);
    assert!(rising(2));
}
