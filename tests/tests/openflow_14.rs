//! OpenFlow 1.4 behaviour seen through the real `ovs-ofctl`: flow monitors
//! (initial and incremental updates, including evictions), eviction from a
//! full table by importance, vacancy events as table-status, and
//! requestforward of group-mods to another connection.

use std::process::{Child, Command};
use std::time::Duration;

use ferrovs_tests::{bridge_config, Daemon};

fn daemon(flow_tables: &str) -> Daemon {
    let config = bridge_config(
        &format!("protocols = [\"OpenFlow13\", \"OpenFlow14\"]\n{flow_tables}"),
        &[
            ("p1", 1, "net_null0,no-rx=1"),
            ("p2", 2, "net_null1,no-rx=1"),
        ],
    );
    Daemon::start(&config, &["--no-huge"]).unwrap()
}

fn of14(d: &Daemon, args: &[&str]) -> String {
    let mut all = vec!["-O", "OpenFlow14"];
    all.extend_from_slice(args);
    d.ofctl_ok(&all)
}

/// `ovs-ofctl -O OpenFlow14 monitor br0 <args>` running in the background,
/// printing into a file of the daemon's directory.
fn monitor(d: &Daemon, args: &[&str]) -> (Child, std::path::PathBuf) {
    let path = d.dir.path().join(format!("monitor-{}.out", args.join("_")));
    let out = std::fs::File::create(&path).unwrap();
    let child = Command::new("ovs-ofctl")
        .env("OVS_RUNDIR", &d.rundir)
        .args(["-O", "OpenFlow14", "monitor", "br0"])
        .args(args)
        // The reply to its request goes to stdout, what arrives later to
        // stderr: both into one file.
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("ovs-ofctl (Debian openvswitch-common) must be installed");
    // Its monitor request is answered before anything else it sees.
    std::thread::sleep(Duration::from_millis(700));
    (child, path)
}

/// Stops a monitor and returns what it printed.
fn output((mut child, path): (Child, std::path::PathBuf)) -> String {
    std::thread::sleep(Duration::from_millis(500));
    // SIGTERM, not SIGKILL: ovs-ofctl flushes its buffered output on it.
    // SAFETY: kill(2) on our own child's pid has no memory effects here.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    child.wait().ok();
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The flow lines of dump-flows in OpenFlow 1.4 (importance shown).
fn flow_lines(d: &Daemon) -> Vec<String> {
    d.flow_lines(&["-O", "OpenFlow14", "dump-flows", "br0"])
}

#[test]
fn flow_monitors_see_changes_and_evictions() {
    let d = daemon("[bridge.flow_tables.0]\nflow_limit = 3\noverflow_policy = \"evict\"\n");
    of14(
        &d,
        &["add-flow", "br0", "importance=5,in_port=1,actions=drop"],
    );
    // `!own`: Open vSwitch reads OFPFMF_ONLY_OWN as "also my own changes";
    // OpenFlow 1.4 says "only my own changes", which this switch follows.
    let mon = monitor(&d, &["watch:!own"]);
    of14(
        &d,
        &["add-flow", "br0", "importance=1,in_port=2,actions=drop"],
    );
    of14(
        &d,
        &["add-flow", "br0", "importance=9,in_port=3,actions=drop"],
    );
    // The table is full: the least important flow (in_port=2) makes room.
    of14(
        &d,
        &["add-flow", "br0", "importance=7,in_port=4,actions=drop"],
    );
    of14(&d, &["mod-flows", "br0", "in_port=4,actions=output:2"]);
    of14(&d, &["del-flows", "br0", "in_port=3"]);
    let text = output(mon);
    let events: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("event="))
        .map(str::trim)
        .collect();
    assert_eq!(
        events,
        vec![
            "event=INITIAL table=0 cookie=0 in_port=1",
            "event=ADDED table=0 cookie=0 in_port=2",
            "event=ADDED table=0 cookie=0 in_port=3",
            "event=DELETED reason=eviction table=0 cookie=0 in_port=2",
            "event=ADDED table=0 cookie=0 in_port=4",
            "event=MODIFIED table=0 cookie=0 in_port=4 actions=output:2",
            "event=DELETED reason=delete table=0 cookie=0 in_port=3",
        ],
        "{text}"
    );
    assert_eq!(
        flow_lines(&d),
        vec![
            "cookie=0x0, table=0, n_packets=0, n_bytes=0, importance=5, in_port=1 actions=drop",
            "cookie=0x0, table=0, n_packets=0, n_bytes=0, importance=7, in_port=4 \
             actions=output:2",
        ]
    );
    let desc = of14(&d, &["dump-table-desc", "br0"]);
    assert!(desc.contains("table 0:\n   eviction=on"), "{desc}");
}

#[test]
fn a_full_table_refuses_then_evicts_after_table_mod() {
    let d = daemon("[bridge.flow_tables.0]\nflow_limit = 2\n");
    of14(
        &d,
        &["add-flow", "br0", "importance=3,in_port=1,actions=drop"],
    );
    of14(
        &d,
        &["add-flow", "br0", "importance=2,in_port=2,actions=drop"],
    );
    let out = d.ofctl(&[
        "-O",
        "OpenFlow14",
        "add-flow",
        "br0",
        "in_port=3,actions=drop",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("OFPFMFC_TABLE_FULL"),
        "{err}"
    );
    assert_eq!(flow_lines(&d).len(), 2, "a refused add changes nothing");
    of14(&d, &["mod-table", "br0", "0", "evict"]);
    of14(
        &d,
        &["add-flow", "br0", "importance=4,in_port=3,actions=drop"],
    );
    let lines = flow_lines(&d);
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| !l.contains("in_port=2")), "{lines:?}");
}

#[test]
fn vacancy_events_and_requestforward_reach_a_listening_connection() {
    let d = daemon("[bridge.flow_tables.0]\nflow_limit = 4\n");
    let mon = monitor(&d, &[]);
    of14(&d, &["mod-table", "br0", "0", "vacancy:30,60"]);
    for p in 1..=3 {
        of14(
            &d,
            &["add-flow", "br0", &format!("in_port={p},actions=drop")],
        );
    }
    // 25 % free: below 30 %.
    of14(&d, &["del-flows", "br0", "in_port=1"]);
    of14(&d, &["del-flows", "br0", "in_port=2"]);
    // 75 % free: above 60 %.
    of14(
        &d,
        &["add-group", "br0", "group_id=7,type=all,bucket=output:1"],
    );
    let text = output(mon);
    let statuses: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("OFPT_TABLE_STATUS") || l.starts_with("OFPT_REQUESTFORWARD"))
        .collect();
    assert_eq!(statuses.len(), 3, "{text}");
    assert!(statuses[0].contains("reason=VACANCY_DOWN"), "{text}");
    assert!(statuses[1].contains("reason=VACANCY_UP"), "{text}");
    assert!(statuses[2].contains("reason=group_mod"), "{text}");
    assert!(
        text.contains("ADD group_id=7,type=all,bucket=actions=output:1"),
        "{text}"
    );
}
