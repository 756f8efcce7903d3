//! The bridge's LOCAL port: an internal port named after the bridge is a
//! kernel tap (DPDK `net_tap`) with OpenFlow port number LOCAL. Flows send
//! traffic to the kernel through it and take what the kernel sends.

use std::process::Command;
use std::time::{Duration, Instant};

use ferrovs_tests::{named_bridge_config, traffic_pcap, Daemon};

fn sh(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A kernel counter of interface `dev`.
fn kernel_counter(dev: &str, name: &str) -> u64 {
    std::fs::read_to_string(format!("/sys/class/net/{dev}/statistics/{name}"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn local_port_carries_traffic_to_and_from_the_kernel() {
    let bridge = format!("flb{}", std::process::id() % 100_000);
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 10);
    let mut config = named_bridge_config(
        &bridge,
        "",
        &[
            (
                "p1",
                1,
                &format!("net_pcap0,rx_pcap={},infinite_rx=1", pcap.display()),
            ),
            ("p2", 2, "net_null0,no-rx=1"),
        ],
    );
    config.push_str(&format!(
        "\n[[bridge.port]]\nname = \"{bridge}\"\ntype = \"internal\"\n"
    ));
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();
    sh(&["ip", "link", "set", &bridge, "up"]);
    sh(&["ip", "addr", "add", "10.77.0.1/24", "dev", &bridge]);

    let desc = d.ofctl_ok(&["dump-ports-desc", &bridge]);
    assert!(desc.contains(&format!("LOCAL({bridge})")), "{desc}");

    // Into the kernel: port 1's traffic to LOCAL.
    d.ofctl_ok(&["add-flow", &bridge, "in_port=1,actions=LOCAL"]);
    let rx0 = kernel_counter(&bridge, "rx_packets");
    let deadline = Instant::now() + Duration::from_secs(5);
    while kernel_counter(&bridge, "rx_packets") < rx0 + 100 {
        assert!(
            Instant::now() < deadline,
            "the kernel got nothing: {}",
            d.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(d.tx_packets(&bridge, "LOCAL") >= 100);

    // From the kernel: its ARP requests for 10.77.0.2 leave on port 2.
    d.ofctl_ok(&["del-flows", &bridge]);
    d.ofctl_ok(&["add-flow", &bridge, "in_port=LOCAL,actions=output:2"]);
    let before = d.tx_packets(&bridge, "2");
    // A datagram to a neighbour not yet resolved: the kernel broadcasts ARP
    // requests through the tap.
    let udp = std::net::UdpSocket::bind("10.77.0.1:0").unwrap();
    udp.send_to(b"x", "10.77.0.2:9").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while d.tx_packets(&bridge, "2") == before {
        assert!(
            Instant::now() < deadline,
            "nothing from the kernel reached port 2"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let flows = d.ofctl_ok(&["dump-flows", &bridge]);
    assert!(flows.contains("in_port=LOCAL actions=output:2"), "{flows}");
}
