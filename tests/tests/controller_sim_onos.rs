//! `ferrovs-controller-sim onos` (ONOS's OpenFlow driver, replayed) against
//! a ferrovs daemon, as the bridge's controller in OpenFlow 1.3 and over
//! the management socket in OpenFlow 1.4, and against the real Open
//! vSwitch 3.1 (a private ovsdb-server and ovs-vswitchd, netdev datapath)
//! in both versions: neither switch may reject anything ONOS sends.

use std::collections::HashMap;
use std::net::TcpListener;

use ferrovs_tests::ovs::{ovs_installed, Ovs};
use ferrovs_tests::{bridge_config, traffic_pcap, Daemon};

/// What one replay printed.
struct Replay {
    fields: HashMap<String, String>,
    stderr: String,
}

impl Replay {
    fn count(&self, key: &str) -> u64 {
        self.fields[key].parse().unwrap()
    }

    /// The `sent`/`answered`/`errors` numbers of request `kind` in the
    /// summary on stderr.
    fn kind(&self, kind: &str) -> (u64, u64, u64) {
        let line = self
            .stderr
            .lines()
            .find(|l| l.split_whitespace().next() == Some(kind))
            .unwrap_or_else(|| panic!("no {kind} in the summary:\n{}", self.stderr));
        let get = |k: &str| -> u64 {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(k)?.strip_prefix('='))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{k} in {line}"))
        };
        (get("sent"), get("answered"), get("errors"))
    }
}

/// Runs the replay with `args`; it must end well (exit 0, nothing
/// rejected). `log` is the switch's log, shown on failure.
fn replay(args: &[&str], log: impl Fn() -> String) -> Replay {
    let out = ferrovs_tests::controller_sim()
        .arg("onos")
        .args(args)
        .output()
        .expect("run ferrovs-controller-sim");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "onos {args:?}: {}\n{stdout}{stderr}\n--- switch log ---\n{}",
        out.status,
        log()
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("RESULT onos "))
        .unwrap_or_else(|| panic!("no RESULT line: {stdout}"));
    eprintln!("onos {args:?}: {line}");
    let fields = line["RESULT onos ".len()..]
        .split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    Replay { fields, stderr }
}

/// Checks what every replay of 7 s polling every 2 s must show in 1.3+.
fn check(r: &Replay, what: &str) {
    assert_eq!(r.fields["errors"], "0", "{what}: {}", r.stderr);
    assert_eq!(r.fields["rejected"], "-", "{what}: {}", r.stderr);
    assert!(
        r.stderr.contains("onos replay, master"),
        "{what}: {}",
        r.stderr
    );
    // Everything was answered but the three flow-mods and, when the switch
    // has buffers, the set-config.
    let (requests, replies) = (r.count("requests"), r.count("replies"));
    assert!(
        requests - replies <= 4 && requests > replies,
        "{what}: {r:?}",
        r = r.fields
    );
    for kind in [
        "OFPT_FEATURES_REQUEST",
        "OFPT_GET_CONFIG_REQUEST",
        "OFPMP_METER_FEATURES",
        "OFPMP_DESC",
        "OFPT_ROLE_REQUEST",
    ] {
        assert_eq!(r.kind(kind), (1, 1, 0), "{what}: {kind}");
    }
    // Handshake and after mastership.
    assert_eq!(r.kind("OFPMP_PORT_DESC"), (2, 2, 0), "{what}");
    assert_eq!(r.kind("OFPT_FLOW_MOD"), (3, 0, 0), "{what}");
    // Polls at 1, 3, 5 and 7 s (flow, port; group and meter at 1 and 5 s).
    for kind in ["OFPMP_FLOW", "OFPMP_PORT_STATS"] {
        let (sent, answered, errors) = r.kind(kind);
        assert!(
            sent >= 3 && sent == answered && errors == 0,
            "{what}: {kind}"
        );
    }
    for kind in ["OFPMP_GROUP_DESC", "OFPMP_METER"] {
        let (sent, answered, errors) = r.kind(kind);
        assert!(
            sent >= 2 && sent == answered && errors == 0,
            "{what}: {kind}"
        );
    }
    // Silences of more than a second between polls: echo requests.
    let (sent, answered, _) = r.kind("OFPT_ECHO_REQUEST");
    assert!(
        sent >= 1 && sent == answered,
        "{what}: echo {sent}/{answered}"
    );
}

const SHORT_RUN: [&str; 6] = [
    "--duration",
    "7",
    "--poll-interval",
    "2",
    "--echo-idle",
    "1",
];

#[test]
fn onos_replay_is_accepted_by_ferrovs_in_openflow_13_and_14() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let pcap = traffic_pcap(dir.path(), 10);
    let config = bridge_config(
        &format!("controller = [{{ target = \"tcp:127.0.0.1:{port}\", max_backoff = 1000 }}]"),
        &[
            ("p1", 1, &format!("net_pcap0,rx_pcap={}", pcap.display())),
            ("p2", 2, "net_null0,no-rx=1"),
        ],
    );
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();
    let listen = format!("tcp:127.0.0.1:{port}");
    let mgmt = format!("unix:{}", d.rundir.join("br0.mgmt").display());
    // As ONOS is: the bridge's controller, offering 1.0, 1.3 and 1.4 to a
    // bridge that speaks them all (1.4 negotiated)...
    let mut args = vec![
        "--listen",
        &listen,
        "-O",
        "OpenFlow10,OpenFlow13,OpenFlow14",
    ];
    args.extend(SHORT_RUN);
    let r = replay(&args, || d.log());
    assert!(r.stderr.contains("connected, OpenFlow 1.4"), "{}", r.stderr);
    check(&r, "ferrovs controller 1.4");
    // ...and 1.3, over the management socket.
    let mut args = vec!["--connect", &mgmt, "-O", "OpenFlow13"];
    args.extend(SHORT_RUN);
    let r = replay(&args, || d.log());
    check(&r, "ferrovs mgmt 1.3");
    // The packet requests are in place, to the controller, whole packets.
    let flows = d.flow_lines(&["-O", "OpenFlow13", "dump-flows", "br0"]);
    for eth in ["arp", "dl_type=0x88cc", "dl_type=0x8942"] {
        assert!(
            flows.iter().any(|l| l.contains("priority=40000")
                && l.contains(eth)
                && l.contains("CONTROLLER:65535")),
            "{eth}: {flows:?}"
        );
    }
}

#[test]
fn onos_replay_is_accepted_by_open_vswitch_in_openflow_13_and_14() {
    assert!(
        ovs_installed(),
        "Open vSwitch (ovsdb-server, ovs-vswitchd, ovs-vsctl) must be installed"
    );
    let ovs = Ovs::start(&[
        "protocols=OpenFlow10,OpenFlow13,OpenFlow14",
        "fail_mode=secure",
    ])
    .unwrap();
    let mgmt = format!("unix:{}", ovs.mgmt().display());
    for version in ["OpenFlow13", "OpenFlow14"] {
        let mut args = vec!["--connect", &mgmt, "-O", version];
        args.extend(SHORT_RUN);
        let r = replay(&args, || ovs.log());
        check(&r, &format!("Open vSwitch {version}"));
    }
    let out = ovs.ofctl(&["-O", "OpenFlow13", "dump-flows", "br0"]);
    let flows = String::from_utf8_lossy(&out.stdout);
    assert!(
        flows.contains("priority=40000,arp") && flows.contains("CONTROLLER:65535"),
        "{flows}"
    );
}
