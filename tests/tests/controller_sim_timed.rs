//! The controller simulator's timed modes against the real daemon:
//! `packet-in` is the controller of a bridge whose port 1 replays a pcap
//! of distinct flows (every packet a table miss) while port 2's traffic
//! follows the established rule to port 3, in OpenFlow 1.3 and 1.0; `poll`
//! polls every kind of statistics of a bridge holding 20 000 flows, in
//! OpenFlow 1.3 (every kind) and 1.0 (with a window of 2).

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Output, Stdio};

use ferrovs_tests::{
    bridge_config, controller_sim, host_pcap, pcap_null_daemon, result_fields, traffic_pcap, Daemon,
};

/// Runs the simulator to its end; panics with its output and the daemon's
/// log unless it succeeds. Returns the RESULT fields.
fn run(d: &Daemon, mode: &str, args: &[&str]) -> HashMap<String, String> {
    let out: Output = controller_sim()
        .arg(mode)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ferrovs-controller-sim");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{mode} {args:?}: {}\n{stdout}{stderr}\n--- daemon log ---\n{}",
        out.status,
        d.log()
    );
    for line in stdout.lines().filter(|l| l.starts_with("RESULT")) {
        eprintln!("{mode} {args:?}: {line}");
    }
    result_fields(&stdout, mode)
}

fn num(r: &HashMap<String, String>, key: &str) -> u64 {
    r.get(key)
        .unwrap_or_else(|| panic!("no {key} in {r:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not a number in {r:?}"))
}

#[test]
fn packet_in_counts_misses_and_times_flow_mods_in_openflow_13_and_10() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let flood = traffic_pcap(dir.path(), 1000);
    let config = bridge_config(
        &format!(
            "fail_mode = \"secure\"\n\
             controller = [{{ target = \"tcp:127.0.0.1:{port}\", max_backoff = 1000, \
             controller_rate_limit = 100000, controller_burst_limit = 25000 }}]"
        ),
        &[
            (
                "flood",
                1,
                &format!("net_pcap0,rx_pcap={},infinite_rx=1", flood.display()),
            ),
            (
                "established",
                2,
                &format!(
                    "net_pcap1,rx_pcap={},infinite_rx=1",
                    host_pcap(dir.path(), 7, 8)
                ),
            ),
            ("sink", 3, "net_null0,no-rx=1"),
        ],
    );
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();
    let listen = format!("tcp:127.0.0.1:{port}");
    for version in ["OpenFlow13", "OpenFlow10"] {
        d.ofctl_ok(&["del-flows", "br0"]);
        let r = run(
            &d,
            "packet-in",
            &[
                "--listen",
                &listen,
                "-O",
                version,
                "--duration",
                "2",
                "--warmup",
                "0.5",
                "--forward",
                "2:3",
                "--flowmod-rate",
                "20",
                "--max-len",
                "96",
            ],
        );
        let packet_ins = num(&r, "packet_ins");
        assert!(packet_ins > 100, "{version}: {r:?}");
        assert_eq!(r["seconds"], "2.00", "{version}: {r:?}");
        // The rate is over the window's exact length (2 s and a little).
        let rate = num(&r, "rate");
        assert!(
            rate <= packet_ins / 2 && rate >= packet_ins / 2 * 99 / 100,
            "{version}: {r:?}"
        );
        // 20 samples a second for 2 s, all answered but maybe the last few.
        let flowmods = num(&r, "flowmods");
        assert!((38..=41).contains(&flowmods), "{version}: {r:?}");
        assert!(num(&r, "unanswered") <= 3, "{version}: {r:?}");
        assert_eq!(num(&r, "errors"), 0, "{version}: {r:?}");
        let p50 = num(&r, "flowmod_rtt_p50_us");
        let p99 = num(&r, "flowmod_rtt_p99_us");
        assert!(p50 > 0 && p50 <= p99 && p99 <= num(&r, "flowmod_rtt_max_us"));
        assert!(num(&r, "per_s_min") > 0, "{version}: {r:?}");

        let flows = d.flow_lines(&["-O", "OpenFlow13", "dump-flows", "br0"]);
        // The established rule carried port 2's traffic; the sample rules
        // are gone.
        let fwd = flows
            .iter()
            .find(|l| l.contains("priority=100,in_port=2") && l.ends_with("actions=output:3"))
            .unwrap_or_else(|| panic!("{version}: no established rule: {flows:?}"));
        assert!(!fwd.contains("n_packets=0,"), "{fwd}");
        assert!(
            !flows.iter().any(|l| l.contains("198.18.")),
            "{version}: sample rules left: {flows:?}"
        );
        if version == "OpenFlow13" {
            assert!(
                flows
                    .iter()
                    .any(|l| l.contains("priority=0") && l.ends_with("actions=CONTROLLER:96")),
                "no table-miss rule: {flows:?}"
            );
        }
        assert!(d.tx_packets("br0", "3") > 0);
    }
}

#[test]
fn poll_reports_every_kind_with_20000_flows() {
    let d = pcap_null_daemon();
    let mgmt = format!("unix:{}", d.rundir.join("br0.mgmt").display());
    let load = run(
        &d,
        "load",
        &[
            "--connect",
            &mgmt,
            "--flows",
            "20000",
            "--barrier-every",
            "1000",
        ],
    );
    assert_eq!(load["errors"], "0");

    let r = run(
        &d,
        "poll",
        &[
            "--connect",
            &mgmt,
            "-O",
            "OpenFlow13",
            "--kinds",
            "flow,aggregate,port,table,group,meter",
            "--rate",
            "4",
            "--duration",
            "2",
        ],
    );
    let requests = num(&r, "requests");
    assert!(requests >= 6, "{r:?}");
    assert_eq!(num(&r, "replies"), requests, "{r:?}");
    assert_eq!((num(&r, "errors"), num(&r, "unanswered")), (0, 0), "{r:?}");
    // Every flow in the dump (in many parts), counted by the aggregate too.
    assert_eq!(num(&r, "flow_entries"), 20_000, "{r:?}");
    assert_eq!(num(&r, "aggregate_entries"), 20_000, "{r:?}");
    assert!(num(&r, "port_entries") >= 2, "{r:?}");
    assert!(num(&r, "table_entries") >= 1, "{r:?}");
    assert_eq!(
        (num(&r, "group_entries"), num(&r, "meter_entries")),
        (0, 0),
        "{r:?}"
    );
    for kind in ["flow", "aggregate", "port", "table", "group", "meter"] {
        assert!(num(&r, &format!("{kind}_replies")) >= 1, "{kind}: {r:?}");
        let p50 = num(&r, &format!("{kind}_p50_us"));
        assert!(p50 <= num(&r, &format!("{kind}_max_us")), "{kind}: {r:?}");
    }
    // A dump of 20 000 flows takes longer than a table's statistics.
    assert!(num(&r, "flow_p50_us") > num(&r, "table_p50_us"), "{r:?}");

    // OpenFlow 1.0, two requests outstanding at most.
    let r = run(
        &d,
        "poll",
        &[
            "--connect",
            &mgmt,
            "-O",
            "OpenFlow10",
            "--kinds",
            "flow,port,table",
            "--rate",
            "5",
            "--duration",
            "1",
            "--window",
            "2",
        ],
    );
    assert_eq!(num(&r, "replies"), num(&r, "requests"), "{r:?}");
    assert_eq!(num(&r, "flow_entries"), 20_000, "{r:?}");
    assert_eq!(num(&r, "errors"), 0, "{r:?}");

    // Meter statistics need OpenFlow 1.3: refused before connecting.
    let out = controller_sim()
        .args([
            "poll",
            "--connect",
            &mgmt,
            "-O",
            "OpenFlow10",
            "--kinds",
            "meter",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("needs OpenFlow13"), "{stderr}");
}
