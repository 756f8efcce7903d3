//! Active controller connections of a bridge, with the test as the
//! controllers (the `openflow` crate's sans-IO connection core over real
//! TCP sockets): version negotiation, master election with generation ids,
//! role-status to the demoted master, echo keepalive, and reconnection
//! after the controller drops the connection.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use ferrovs_tests::controller::Ctl;
use ferrovs_tests::{bridge_config, traffic_pcap, Daemon};
use openflow::config::RoleMsg;
use openflow::connection::Event;
use openflow::{Message, Version};

fn role(role: u32, generation_id: u64) -> Message {
    Message::RoleRequest(RoleMsg {
        role,
        generation_id,
    })
}

#[test]
fn controllers_elect_a_master_keep_alive_and_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 10);
    let la = TcpListener::bind("127.0.0.1:0").unwrap();
    let lb = TcpListener::bind("127.0.0.1:0").unwrap();
    let config = bridge_config(
        &format!(
            "protocols = [\"OpenFlow13\", \"OpenFlow14\"]\n\
             other_config = {{ \"datapath-id\" = \"00000000000000b2\" }}\n\
             controller = [\n\
             {{ target = \"tcp:{a}\", max_backoff = 1000 }},\n\
             {{ target = \"tcp:{b}\", inactivity_probe = 500 }},\n]",
            a = la.local_addr().unwrap(),
            b = lb.local_addr().unwrap(),
        ),
        &[("p0", 1, &format!("net_pcap0,rx_pcap={}", pcap.display()))],
    );
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();

    let mut a = Ctl::accept(&la, Duration::from_secs(10));
    let mut b = Ctl::accept(&lb, Duration::from_secs(10));
    assert_eq!(a.connected(), Version::V1_4);
    assert_eq!(b.connected(), Version::V1_4);
    match a.request(&Message::FeaturesRequest) {
        Message::FeaturesReply(f) => assert_eq!(f.datapath_id, 0xb2),
        other => panic!("{other:?}"),
    }

    // a becomes master; b takes over with a newer generation; a is told.
    assert_eq!(
        a.request(&role(2, 5)),
        Message::RoleReply(RoleMsg {
            role: 2,
            generation_id: 5
        })
    );
    assert_eq!(
        b.request(&role(2, 6)),
        Message::RoleReply(RoleMsg {
            role: 2,
            generation_id: 6
        })
    );
    match a.event(Duration::from_secs(5)) {
        Some(Event::Message {
            message: Message::RoleStatus(s),
            ..
        }) => assert_eq!((s.role, s.reason, s.generation_id), (3, 0, 6)),
        other => panic!("expected role-status, got {other:?}"),
    }
    // /metrics shows each configured controller with its role.
    let m = d.metrics();
    for (addr, role) in [
        (la.local_addr().unwrap(), "slave"),
        (lb.local_addr().unwrap(), "master"),
    ] {
        let target = format!("target=\"tcp:{addr}\"");
        let role = format!("role=\"{role}\"");
        assert_eq!(
            ferrovs_tests::metric_value(&m, "ferrovs_controller_connected", &[&target, &role]),
            Some(1.0),
            "{m}"
        );
    }
    // A stale generation id is refused.
    match a.request(&role(2, 4)) {
        Message::Error(e) => assert_eq!((e.err_type, e.code), (11, 0), "OFPRRFC_STALE"),
        other => panic!("{other:?}"),
    }

    // b is probed (inactivity_probe 500 ms): echo requests arrive while b
    // stays silent, and its core answers them, so the connection lives on.
    b.rx_bytes = 0;
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        if let Some(Event::Disconnected(r)) = b.event(Duration::from_millis(100)) {
            panic!("b disconnected: {r:?}");
        }
    }
    assert!(
        b.rx_bytes >= 8,
        "no echo request reached a silent controller"
    );
    assert!(matches!(
        b.request(&Message::BarrierRequest),
        Message::BarrierReply
    ));

    // a drops the connection: the switch reconnects (backoff capped at 1 s).
    drop(a);
    let mut a2 = Ctl::accept(&la, Duration::from_secs(10));
    assert_eq!(a2.connected(), Version::V1_4);
    // The new connection starts EQUAL; the election state survives.
    assert_eq!(
        a2.request(&role(0, 0)),
        Message::RoleReply(RoleMsg {
            role: 1,
            generation_id: 6
        })
    );
    assert!(d.cli(&["show"]).status.success());
}

#[test]
fn link_changes_reach_controllers_as_port_status() {
    // A net_tap port: its link follows the kernel interface's state.
    let tap = format!("fvt{}", std::process::id() % 100000);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let config = bridge_config(
        &format!("controller = [\"tcp:{}\"]", listener.local_addr().unwrap()),
        &[("wire", 5, &format!("net_tap0,iface={tap}"))],
    );
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();
    let show = d.cli_ok(&["show"]);
    assert!(show.contains("Port wire (ofport 5)"), "{show}");
    let mut c = Ctl::accept(&listener, Duration::from_secs(10));
    assert_eq!(c.connected(), Version::V1_4);
    let link_down = |c: &mut Ctl| -> Option<bool> {
        match c.event(Duration::from_secs(5))? {
            Event::Message {
                message: Message::PortStatus(ps),
                ..
            } => {
                assert_eq!(ps.reason, 2, "OFPPR_MODIFY");
                assert_eq!(ps.desc.port_no, 5);
                Some(ps.desc.state & 1 != 0)
            }
            other => panic!("expected port-status, got {other:?}"),
        }
    };
    let ip = |args: &[&str]| {
        assert!(std::process::Command::new("ip")
            .args(args)
            .status()
            .unwrap()
            .success());
    };
    ip(&["link", "set", &tap, "down"]);
    assert_eq!(link_down(&mut c), Some(true), "no LINK_DOWN port-status");
    ip(&["link", "set", &tap, "up"]);
    assert_eq!(link_down(&mut c), Some(false), "no link-up port-status");
}

#[test]
fn packet_ins_reach_the_controller_within_its_rate_limit() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = traffic_pcap(dir.path(), 100);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let config = bridge_config(
        &format!(
            "controller = [{{ target = \"tcp:{}\", controller_rate_limit = 100, \
             controller_burst_limit = 25 }}]",
            listener.local_addr().unwrap()
        ),
        &[
            (
                "src",
                1,
                &format!("net_pcap0,rx_pcap={},infinite_rx=1", pcap.display()),
            ),
            (
                "est",
                2,
                &format!("net_pcap1,rx_pcap={},infinite_rx=1", pcap.display()),
            ),
            ("sink", 3, "net_null0,no-rx=1"),
        ],
    );
    let d = Daemon::start(&config, &["--no-huge"]).unwrap();
    let mut c = Ctl::accept(&listener, Duration::from_secs(10));
    assert_eq!(c.connected(), Version::V1_4);
    // A 1.3+ controller gets no packet-in for a miss without a rule.
    let quiet_until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < quiet_until {
        if let Some(Event::Message { message, .. }) = c.event(Duration::from_millis(100)) {
            panic!("unexpected {message:?} before the table-miss rule");
        }
    }
    // Established traffic: port 2 to port 3.
    d.ofctl_ok(&["add-flow", "br0", "priority=10,in_port=2,actions=output:3"]);
    let sink_rate = |span: Duration| {
        let tx = || {
            let text = d.ofctl_ok(&["dump-ports", "br0", "3"]);
            text.split("tx pkts=")
                .nth(1)
                .and_then(|s| s.split(',').next())
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap()
        };
        let before = tx();
        std::thread::sleep(span);
        tx() - before
    };
    let quiet = sink_rate(Duration::from_millis(500));
    assert!(quiet > 0, "no established forwarding");
    // Table-miss rule: everything to the controller, whole packets.
    let fm = openflow::flow_mod::FlowMod {
        cookie: 0x42,
        ..openflow::flow_mod::FlowMod::new(
            0,
            0,
            0,
            openflow::flow_match::Match::default(),
            vec![openflow::instruction::Instruction::ApplyActions(vec![
                openflow::action::Action::Output {
                    port: 0xffff_fffd,
                    max_len: 0xffff,
                },
            ])],
        )
    };
    assert!(matches!(
        {
            c.conn.send(&Message::FlowMod(fm)).unwrap();
            c.request(&Message::BarrierRequest)
        },
        Message::BarrierReply
    ));
    let start = Instant::now();
    let mut pins = 0;
    while start.elapsed() < Duration::from_secs(2) {
        if let Some(Event::Message {
            message: Message::PacketIn(p),
            ..
        }) = c.event(Duration::from_millis(50))
        {
            assert_eq!(p.reason, 0, "table-miss rule: OFPR_TABLE_MISS");
            assert_eq!((p.in_port(), p.table_id, p.cookie), (Some(1), 0, 0x42));
            assert_eq!((p.data.len(), p.total_len), (60, 60));
            pins += 1;
        }
    }
    // 100/s with a burst of 25, over 2 s: about 225, never the line rate.
    assert!((150..=260).contains(&pins), "{pins} packet-ins in 2 s");
    // The flood of misses does not starve established forwarding.
    let flooded = sink_rate(Duration::from_millis(500));
    assert!(
        flooded * 2 > quiet,
        "established traffic fell from {quiet} to {flooded} packets per 500 ms"
    );
    // The rate limit's drops are counted, and /metrics shows them.
    let m = d.metrics();
    let sent = ferrovs_tests::metric_value(&m, "ferrovs_packet_ins_sent_total", &[]).unwrap();
    let limited =
        ferrovs_tests::metric_value(&m, "ferrovs_packet_ins_rate_limited_total", &[]).unwrap();
    assert!(sent >= pins as f64, "{m}");
    assert!(limited > 0.0, "{m}");
    // The same per controller target.
    let target = format!("target=\"tcp:{}\"", listener.local_addr().unwrap());
    let per_target = |name: &str| ferrovs_tests::metric_value(&m, name, &[&target]).unwrap();
    assert!(
        per_target("ferrovs_controller_packet_ins_sent_total") >= pins as f64,
        "{m}"
    );
    assert!(
        per_target("ferrovs_controller_packet_ins_rate_limited_total") > 0.0,
        "{m}"
    );
}
