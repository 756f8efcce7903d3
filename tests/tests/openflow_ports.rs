//! The OpenFlow management socket under traffic, read by the real
//! `ovs-ofctl` (Debian `openvswitch-common`): port descriptions, and port
//! statistics whose OpenFlow 1.4 form carries every DPDK xstat in the
//! CUSTOM Statistics section, rising, and equal in name to `/metrics`.

use std::time::Duration;

use ferrovs_tests::{bridge_config, metric_value, traffic_pcap, Daemon};

fn config(pcap: &std::path::Path) -> String {
    bridge_config(
        "cross_connect = [\"p0=p1\"]\nother_config = { \"datapath-id\" = \"00000000000000a1\" }",
        &[
            (
                "p0",
                1,
                &format!("net_pcap0,rx_pcap={},infinite_rx=1", pcap.display()),
            ),
            ("p1", 2, "net_null0,no-rx=1"),
        ],
    )
}

/// `name=value` of the CUSTOM Statistics of `port` in dump-ports text.
fn custom_stat(text: &str, port: u32, name: &str) -> Option<u64> {
    let section = text.split(&format!("port  {port}:")).nth(1)?;
    let section = section.split("port  ").next()?;
    let custom = section.split("CUSTOM Statistics").nth(1)?;
    custom
        .split([',', '\n', ' '])
        .find_map(|kv| kv.trim().strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
}

#[test]
fn ovs_ofctl_reads_ports_and_xstats_over_openflow() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 1000);
    let d = Daemon::start(&config(&pcap), &["--no-huge"]).unwrap();
    let mgmt = format!("unix:{}", d.rundir.join("br0.mgmt").display());

    let show = d.ofctl_ok(&["show", &mgmt]);
    assert!(show.contains("dpid:00000000000000a1"), "{show}");
    assert!(show.contains(" 1(p0): addr:"), "{show}");
    assert!(show.contains(" 2(p1): addr:"), "{show}");

    for version in ["OpenFlow10", "OpenFlow13", "OpenFlow14"] {
        let desc = d.ofctl_ok(&["-O", version, "dump-ports-desc", "br0"]);
        assert!(
            desc.contains("1(p0)") && desc.contains("2(p1)"),
            "{version}: {desc}"
        );
        let stats = d.ofctl_ok(&["-O", version, "dump-ports", "br0"]);
        assert!(stats.contains("2 ports"), "{version}: {stats}");
    }

    let first = d.ofctl_ok(&["-O", "OpenFlow14", "dump-ports", "br0"]);
    let rx_q0_a = custom_stat(&first, 1, "rx_q0_packets")
        .unwrap_or_else(|| panic!("no rx_q0_packets for port 1:\n{first}"));
    let tx_a = custom_stat(&first, 2, "tx_good_packets").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let second = d.ofctl_ok(&["-O", "OpenFlow14", "dump-ports", "br0"]);
    let rx_q0_b = custom_stat(&second, 1, "rx_q0_packets").unwrap();
    let tx_b = custom_stat(&second, 2, "tx_good_packets").unwrap();
    assert!(
        rx_q0_b > rx_q0_a,
        "rx_q0_packets did not rise: {rx_q0_a} -> {rx_q0_b}"
    );
    assert!(
        tx_b > tx_a,
        "tx_good_packets did not rise: {tx_a} -> {tx_b}"
    );

    // /metrics shows the same xstat, at least as far along.
    let m = metric_value(
        &d.metrics(),
        "ferrovs_port_xstat",
        &["port=\"p0\"", "name=\"rx_q0_packets\""],
    )
    .unwrap();
    assert!(m >= rx_q0_b as f64, "metrics {m} behind OpenFlow {rx_q0_b}");

    // A port that does not exist is refused with OFPBRC_BAD_PORT (ovs-ofctl
    // prints the error); the switch stays up.
    let bad = d.ofctl(&["-O", "OpenFlow13", "dump-ports", "br0", "7"]);
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("OFPBRC_BAD_PORT")
            || String::from_utf8_lossy(&bad.stdout).contains("OFPBRC_BAD_PORT"),
        "{bad:?}"
    );
    let desc = d.ofctl_ok(&["-O", "OpenFlow14", "dump-desc", "br0"]);
    assert!(desc.contains("Manufacturer: ferrovs"), "{desc}");
    assert!(desc.contains("DP Description: br0"), "{desc}");
}
