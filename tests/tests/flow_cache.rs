//! The PMD flow caches under real traffic: a replayed flow hits the
//! exact-match cache (or, with `emc-insert-inv-prob=0`, the megaflows;
//! or, when the rules read the input port alone, the simple match),
//! every translation is checked against the tables in the debug mode
//! (`flow-cache-check`), and after a flow-mod no packet follows the old
//! rule.

use std::time::Duration;

use ferrovs_tests::{bridge_config, field_value, traffic_pcap, Daemon};

fn daemon(other_config: &str) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 100);
    let config = bridge_config(
        "",
        &[
            (
                "src",
                1,
                &format!("net_pcap0,rx_pcap={},infinite_rx=1", pcap.display()),
            ),
            ("a", 2, "net_null0,no-rx=1"),
            ("b", 3, "net_null1,no-rx=1"),
        ],
    )
    .replacen(
        "[open_vswitch.other_config]\n",
        &format!("[open_vswitch.other_config]\n{other_config}\n"),
        1,
    );
    Daemon::start(&config, &["--no-huge"]).unwrap()
}

fn stat(d: &Daemon, name: &str) -> u64 {
    let text = d.cli_ok(&["pmd-stats-show"]);
    field_value(&text, name).unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// `tx pkts` of OpenFlow port `port` of br0.
fn tx_packets(d: &Daemon, port: u32) -> u64 {
    d.tx_packets("br0", &port.to_string())
}

#[test]
fn replayed_flows_hit_the_caches_and_match_the_tables() {
    let d = daemon("emc-insert-inv-prob = \"1\"\nflow-cache-check = \"true\"");
    d.ofctl_ok(&[
        "add-flow",
        "br0",
        "in_port=1,ip,nw_dst=10.1.0.1,actions=output:2",
    ]);
    std::thread::sleep(Duration::from_millis(500));
    let (emc, upcalls) = (stat(&d, "emc hits"), stat(&d, "miss with success upcall"));
    assert!(emc > 1000, "emc hits {emc}");
    // One megaflow covers every flow of the pcap (the rule reads in_port,
    // eth_type and nw_dst only); each PMD-visible version translates once.
    assert!((1..=5).contains(&upcalls), "{upcalls} upcalls");
    assert_eq!(stat(&d, "megaflows"), 1);
    // Move the flow: the old port stops at once, the new one forwards.
    d.ofctl_ok(&[
        "mod-flows",
        "br0",
        "in_port=1,ip,nw_dst=10.1.0.1,actions=output:3",
    ]);
    let a = tx_packets(&d, 2);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(tx_packets(&d, 2), a, "the old port still transmits");
    assert!(tx_packets(&d, 3) > 0);
    let show = d.cli_ok(&["show"]);
    assert!(
        show.contains("flow cache check: on, 0 mismatches"),
        "{show}"
    );
    let m = d.metrics();
    assert!(
        ferrovs_tests::metric_value(&m, "ferrovs_pmd_emc_hits_total", &[]).unwrap() > 0.0,
        "{m}"
    );
}

#[test]
fn without_the_emc_megaflows_serve() {
    let d = daemon("emc-insert-inv-prob = \"0\"");
    d.ofctl_ok(&["add-flow", "br0", "in_port=1,ip,actions=output:2"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(stat(&d, "emc hits"), 0);
    assert!(stat(&d, "megaflow hits") > 1000);
    let text = d.cli_ok(&["pmd-stats-show"]);
    assert!(
        text.contains("avg. subtable lookups per megaflow hit: 1.00"),
        "{text}"
    );
}

/// A rule on the input port alone: packets go by the simple match
/// (no parsing, no lookup), and a flow-mod still moves them at once.
#[test]
fn input_port_rules_take_the_simple_match() {
    let d = daemon("");
    d.ofctl_ok(&["add-flow", "br0", "in_port=1,actions=output:2"]);
    // (Before the rule, table misses went through the other caches.)
    std::thread::sleep(Duration::from_millis(200));
    d.cli_ok(&["pmd-stats-clear"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(stat(&d, "simple match hits") > 1000);
    assert_eq!(stat(&d, "emc hits") + stat(&d, "megaflow hits"), 0);
    d.ofctl_ok(&["mod-flows", "br0", "in_port=1,actions=output:3"]);
    let a = tx_packets(&d, 2);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(tx_packets(&d, 2), a, "the old port still transmits");
    assert!(tx_packets(&d, 3) > 0);
    // Counted per rule as exactly as by the full pipeline.
    let flows = d.ofctl_ok(&["dump-flows", "br0"]);
    assert!(!flows.contains("n_packets=0,"), "{flows}");
    let m = d.metrics();
    assert!(
        ferrovs_tests::metric_value(&m, "ferrovs_pmd_simple_match_hits_total", &[]).unwrap() > 0.0,
        "{m}"
    );
}
