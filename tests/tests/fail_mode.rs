//! Fail modes with traffic: a `standalone` bridge that has lost every
//! controller forwards as a MAC-learning switch after three
//! inactivity-probe intervals and stops when a controller returns; a
//! `secure` bridge keeps its flows (and only them) across a controller's
//! disconnect and reconnect.

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use ferrovs_tests::controller::Ctl;
use ferrovs_tests::{bridge_config, host_pcap, Daemon};

/// `tx pkts` of OpenFlow port `port` of br0.
fn tx_packets(d: &Daemon, port: u32) -> u64 {
    d.tx_packets("br0", &port.to_string())
}

/// How many packets each port sends during `span`.
fn rates(d: &Daemon, ports: &[u32], span: Duration) -> Vec<u64> {
    let before: Vec<u64> = ports.iter().map(|&p| tx_packets(d, p)).collect();
    std::thread::sleep(span);
    ports
        .iter()
        .zip(before)
        .map(|(&p, b)| tx_packets(d, p) - b)
        .collect()
}

/// Host 01 behind port 1 talks to host 02 behind port 2; port 3 has no
/// host.
fn daemon(dir: &Path, bridge: &str) -> Daemon {
    let config = bridge_config(
        bridge,
        &[
            (
                "h1",
                1,
                &format!("net_pcap0,rx_pcap={},infinite_rx=1", host_pcap(dir, 1, 2)),
            ),
            (
                "h2",
                2,
                &format!("net_pcap1,rx_pcap={},infinite_rx=1", host_pcap(dir, 2, 1)),
            ),
            ("none", 3, "net_null0,no-rx=1"),
        ],
    );
    Daemon::start(&config, &["--no-huge"]).unwrap()
}

#[test]
fn standalone_learns_without_a_controller_and_stops_when_one_returns() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let d = daemon(
        dir.path(),
        &format!(
            "fail_mode = \"standalone\"\n\
             controller = [{{ target = \"tcp:{}\", inactivity_probe = 500, max_backoff = 1000 }}]",
            listener.local_addr().unwrap()
        ),
    );
    // The controller never answers: no forwarding before 3 x 500 ms.
    let early = rates(&d, &[1, 2, 3], Duration::from_millis(300));
    assert_eq!(early, vec![0, 0, 0], "forwarding before fail-open");
    // Fail-open: each host's frames reach the other; once both addresses
    // are learned nothing is flooded to port 3.
    let deadline = Instant::now() + Duration::from_secs(10);
    while tx_packets(&d, 2) == 0 {
        assert!(Instant::now() < deadline, "no fail-open: {}", d.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(d.log().contains("fail-open"), "{}", d.log());
    std::thread::sleep(Duration::from_millis(300));
    let learned = rates(&d, &[1, 2, 3], Duration::from_millis(500));
    assert!(learned[0] > 0 && learned[1] > 0, "{learned:?}");
    assert_eq!(learned[2], 0, "known unicast flooded: {learned:?}");
    let fdb = std::process::Command::new("ovs-appctl")
        .env("OVS_RUNDIR", &d.rundir)
        .args(["-t", "ovs-vswitchd", "fdb/show", "br0"])
        .output()
        .unwrap();
    let fdb = String::from_utf8_lossy(&fdb.stdout);
    assert!(
        fdb.contains("    1     0  02:00:00:00:00:01")
            && fdb.contains("    2     0  02:00:00:00:00:02"),
        "{fdb}"
    );

    // The controller comes back: fail-open ends, the empty tables drop.
    let mut c = Ctl::accept(&listener, Duration::from_secs(10));
    c.connected();
    std::thread::sleep(Duration::from_millis(200));
    let after = rates(&d, &[1, 2, 3], Duration::from_millis(500));
    assert_eq!(
        after,
        vec![0, 0, 0],
        "forwarding with a controller and no flows"
    );
}

#[test]
fn secure_keeps_flows_across_a_controller_disconnect() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let d = daemon(
        dir.path(),
        &format!(
            "fail_mode = \"secure\"\n\
             controller = [{{ target = \"tcp:{}\", inactivity_probe = 500, max_backoff = 1000 }}]",
            listener.local_addr().unwrap()
        ),
    );
    let mut c = Ctl::accept(&listener, Duration::from_secs(10));
    c.connected();
    d.ofctl_ok(&["add-flow", "br0", "in_port=1,actions=output:3"]);
    std::thread::sleep(Duration::from_millis(200));
    assert!(rates(&d, &[3], Duration::from_millis(300))[0] > 0);
    // The controller goes away for longer than 3 probe intervals.
    drop(c);
    std::thread::sleep(Duration::from_millis(2500));
    let without = rates(&d, &[1, 2, 3], Duration::from_millis(500));
    assert!(without[2] > 0, "the flow stopped: {without:?}");
    assert_eq!(&without[..2], &[0, 0], "secure must not learn: {without:?}");
    assert!(!d.log().contains("fail-open"));
    // It reconnects; the flow is still there.
    let mut c = Ctl::accept(&listener, Duration::from_secs(10));
    c.connected();
    assert!(d
        .ofctl_ok(&["dump-flows", "br0"])
        .contains("in_port=1 actions=output:3"));
    assert!(rates(&d, &[3], Duration::from_millis(300))[0] > 0);
}
