//! Flow tables driven by the real `ovs-ofctl` over the management socket,
//! each command checked for its effect: add-flow, add-flows, mod-flows,
//! del-flows (loose and strict, with cookie and out_port filters),
//! dump-flows, dump-aggregate, dump-tables, dump-table-features, hard
//! timeouts, and the errors of invalid flow-mods (which change nothing).

use std::process::Output;
use std::time::Duration;

use ferrovs_tests::{pcap_null_daemon as daemon, Daemon};

/// `ovs-ofctl -O <version> <args>` against `d`.
fn ofctl(d: &Daemon, version: &str, args: &[&str]) -> Output {
    d.ofctl(&with_version(version, args))
}

/// [`ofctl`] that must succeed; returns its stdout.
fn ok(d: &Daemon, version: &str, args: &[&str]) -> String {
    d.ofctl_ok(&with_version(version, args))
}

fn with_version<'a>(version: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    ["-O", version]
        .into_iter()
        .chain(args.iter().copied())
        .collect()
}

/// The flow lines of dump-flows in `version`, without durations, sorted.
fn flows(d: &Daemon, version: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["-O", version, "dump-flows", "br0"];
    args.extend_from_slice(extra);
    d.flow_lines(&args)
}

#[test]
fn ovs_ofctl_manages_flows_in_every_version() {
    let d = daemon();
    for v in ["OpenFlow10", "OpenFlow13", "OpenFlow14"] {
        ok(&d, v, &["del-flows", "br0"]);
        assert!(
            flows(&d, v, &[]).is_empty(),
            "{v}: not empty after del-flows"
        );
        ok(&d, v, &["add-flow", "br0", "in_port=1,actions=output:2"]);
        ok(
            &d,
            v,
            &[
                "add-flow",
                "br0",
                "priority=200,tcp,nw_dst=10.1.0.0/16,tp_dst=80,actions=mod_dl_dst:00:11:22:33:44:55,output:2",
            ],
        );
        ok(
            &d,
            v,
            &["add-flow", "br0", "priority=5,cookie=0x77,udp,actions=drop"],
        );
        let got = flows(&d, v, &[]);
        assert_eq!(got.len(), 3, "{v}: {got:?}");
        assert!(
            got.iter()
                .any(|l| l.contains("priority=200,tcp,nw_dst=10.1.0.0/16,tp_dst=80")),
            "{v}: {got:?}"
        );
        assert!(
            got.iter().any(|l| l.contains("in_port=1 actions=output:2")),
            "{v}: {got:?}"
        );
        let agg = ok(&d, v, &["dump-aggregate", "br0"]);
        assert!(agg.contains("flow_count=3"), "{v}: {agg}");

        // Loose modify of the UDP flow's actions; counters kept, and the
        // cookie too from 1.1 on (a 1.0 modify sets the flow-mod's cookie,
        // as Open vSwitch does).
        ok(&d, v, &["mod-flows", "br0", "udp,actions=output:1"]);
        let udp = flows(&d, v, &["udp"]);
        assert_eq!(udp.len(), 1, "{v}: {udp:?}");
        let cookie = if v == "OpenFlow10" {
            "cookie=0x0"
        } else {
            "cookie=0x77"
        };
        assert!(
            udp[0].contains(cookie) && udp[0].ends_with("actions=output:1"),
            "{v}: {udp:?}"
        );

        // Delete filtered by out_port: only flows that output to port 2.
        ok(&d, v, &["del-flows", "br0", "out_port=2"]);
        let left = flows(&d, v, &[]);
        assert_eq!(left.len(), 1, "{v}: {left:?}");
        assert!(left[0].contains("udp"), "{v}: {left:?}");

        // Strict delete needs the exact priority.
        ok(&d, v, &["--strict", "del-flows", "br0", "priority=6,udp"]);
        assert_eq!(
            flows(&d, v, &[]).len(),
            1,
            "{v}: strict delete removed a non-match"
        );
        ok(&d, v, &["--strict", "del-flows", "br0", "priority=5,udp"]);
        assert!(flows(&d, v, &[]).is_empty(), "{v}");
    }

    // add-flows from a file, into several tables (OpenFlow 1.3).
    let file = d.dir.path().join("flows.txt");
    std::fs::write(
        &file,
        "table=0,priority=10,ip,actions=goto_table:1\n\
         table=1,priority=10,ip,nw_src=192.168.0.0/24,actions=output:2\n\
         table=1,priority=0,actions=drop\n",
    )
    .unwrap();
    ok(
        &d,
        "OpenFlow13",
        &["add-flows", "br0", file.to_str().unwrap()],
    );
    assert_eq!(flows(&d, "OpenFlow13", &["table=1"]).len(), 2);
    let tables = ok(&d, "OpenFlow13", &["dump-tables", "br0"]);
    assert!(tables.contains("table 0:\n    active=1"), "{tables}");
    assert!(tables.contains("table 1:\n    active=2"), "{tables}");
    let features = ok(&d, "OpenFlow13", &["dump-table-features", "br0"]);
    assert!(features.contains("next tables: 1-253"), "{features}");
    // Table-mod (1.4 properties) and table descriptions.
    ok(
        &d,
        "OpenFlow14",
        &["mod-table", "br0", "1", "vacancy:20,80"],
    );
    let desc = ok(&d, "OpenFlow14", &["dump-table-desc", "br0"]);
    assert!(
        desc.contains("vacancy=on vacancy_down=20% vacancy_up=80%"),
        "{desc}"
    );

    // Invalid flow-mods are refused with the spec's error, nothing changes.
    let before = flows(&d, "OpenFlow13", &[]);
    for (flow, error) in [
        ("table=0,actions=group:7", "OFPBAC_BAD_OUT_GROUP"),
        ("table=0,actions=meter:3,output:2", "OFPMMFC_UNKNOWN_METER"),
        ("table=0,actions=output:0", "OFPBAC_BAD_OUT_PORT"),
    ] {
        let out = ofctl(&d, "OpenFlow13", &["add-flow", "br0", flow]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains(error), "{flow}: expected {error}, got {text}");
    }
    assert_eq!(flows(&d, "OpenFlow13", &[]), before);

    // A hard timeout removes the flow.
    ok(
        &d,
        "OpenFlow13",
        &["add-flow", "br0", "table=2,hard_timeout=1,actions=drop"],
    );
    assert_eq!(flows(&d, "OpenFlow13", &["table=2"]).len(), 1);
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        flows(&d, "OpenFlow13", &["table=2"]).is_empty(),
        "hard timeout did not expire"
    );
    assert!(d.cli(&["show"]).status.success());
}

#[test]
fn bundles_commit_all_or_nothing() {
    let d = daemon();
    let good = d.dir.path().join("good.txt");
    let bad = d.dir.path().join("bad.txt");
    std::fs::write(
        &good,
        "priority=1,in_port=1,actions=output:2\npriority=2,in_port=2,actions=output:1\n",
    )
    .unwrap();
    // The second flow names a group that does not exist: the bundle fails.
    std::fs::write(
        &bad,
        "priority=5,in_port=1,actions=drop\npriority=6,actions=group:99\n",
    )
    .unwrap();
    ok(
        &d,
        "OpenFlow14",
        &["--bundle", "add-flows", "br0", good.to_str().unwrap()],
    );
    let before = flows(&d, "OpenFlow14", &[]);
    assert_eq!(before.len(), 2, "{before:?}");
    let out = ofctl(
        &d,
        "OpenFlow14",
        &["--bundle", "add-flows", "br0", bad.to_str().unwrap()],
    );
    assert!(!out.status.success(), "a failing bundle must fail");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("OFPBAC_BAD_OUT_GROUP"), "{text}");
    // Nothing of the failed bundle was applied.
    let after = flows(&d, "OpenFlow14", &[]);
    let strip = |v: Vec<String>| {
        v.into_iter()
            .map(|l| {
                l.split(", ")
                    .filter(|p| !p.starts_with("n_packets") && !p.starts_with("n_bytes"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(after), strip(before));
    // replace-flows as a bundle: the table becomes exactly the file.
    std::fs::write(&good, "priority=9,in_port=2,actions=output:1\n").unwrap();
    ok(
        &d,
        "OpenFlow14",
        &["--bundle", "replace-flows", "br0", good.to_str().unwrap()],
    );
    let replaced = flows(&d, "OpenFlow14", &[]);
    assert_eq!(replaced.len(), 1, "{replaced:?}");
    assert!(replaced[0].contains("priority=9"), "{replaced:?}");
}
