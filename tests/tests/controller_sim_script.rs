//! `ferrovs-controller-sim script` against the real daemon: the example
//! scenarios of `controller-sim/scenarios` (one that forwards and counts,
//! one whose flow-mods the switch must reject with given errors) pass in
//! OpenFlow 1.3 and 1.4; the rejecting one passes against Open vSwitch
//! too; a scenario expecting an error the switch does not send fails,
//! naming the step and the reason.

use std::path::PathBuf;
use std::process::Output;

use ferrovs_tests::ovs::Ovs;
use ferrovs_tests::{bridge_config, host_pcap, Daemon};

fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../controller-sim/scenarios")
        .join(name)
}

fn script(target: &str, version: &str, scenario: &std::path::Path) -> (Output, String, String) {
    let out = ferrovs_tests::controller_sim()
        .args(["script", "--connect", target, "-O", version])
        .arg(scenario)
        .output()
        .expect("run ferrovs-controller-sim");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

fn daemon() -> (Daemon, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = bridge_config(
        "",
        &[
            (
                "h1",
                1,
                &format!(
                    "net_pcap0,rx_pcap={},infinite_rx=1",
                    host_pcap(dir.path(), 1, 2)
                ),
            ),
            ("sink", 2, "net_null0,no-rx=1"),
        ],
    );
    (Daemon::start(&config, &["--no-huge"]).unwrap(), dir)
}

#[test]
fn example_scenarios_pass_against_ferrovs() {
    let (d, _dir) = daemon();
    let mgmt = format!("unix:{}", d.rundir.join("br0.mgmt").display());
    for version in ["OpenFlow13", "OpenFlow14"] {
        for (name, steps) in [("forwarding.json", 15), ("bad_flow_mod.json", 4)] {
            d.ofctl_ok(&["-O", "OpenFlow13", "del-flows", "br0"]);
            let (out, stdout, stderr) = script(&mgmt, version, &scenario(name));
            assert!(
                out.status.success(),
                "{name} {version}: {}\n{stdout}{stderr}\n--- daemon log ---\n{}",
                out.status,
                d.log()
            );
            eprintln!("{name} {version}: {}", stdout.trim());
            assert_eq!(
                stdout.trim(),
                format!("RESULT script steps={steps} passed={steps} failed=0"),
                "{stderr}"
            );
            assert_eq!(stderr.matches(": passed").count(), steps, "{stderr}");
        }
    }
}

#[test]
fn rejections_match_open_vswitch() {
    let ovs = Ovs::start(&["protocols=OpenFlow13,OpenFlow14", "fail_mode=secure"]).unwrap();
    let mgmt = format!("unix:{}", ovs.mgmt().display());
    let (out, stdout, stderr) = script(&mgmt, "OpenFlow13", &scenario("bad_flow_mod.json"));
    assert!(
        out.status.success(),
        "{}\n{stdout}{stderr}\n--- ovs log ---\n{}",
        out.status,
        ovs.log()
    );
    assert_eq!(stdout.trim(), "RESULT script steps=4 passed=4 failed=0");
}

#[test]
fn a_wrong_expectation_fails_naming_the_step() {
    let (d, dir) = daemon();
    let mgmt = format!("unix:{}", d.rundir.join("br0.mgmt").display());
    let path = dir.path().join("wrong.json");
    std::fs::write(
        &path,
        r#"{ "steps": [
            { "flow_mod": { "name": "a valid flow", "priority": 5,
                            "match": { "eth_type": "0x0806" },
                            "expect_error": { "type": "BAD_MATCH", "code": "BAD_PREREQ" } } },
            { "expect_flows": { "name": "two flows", "flow_count": 2 } },
            { "barrier": {} }
        ] }"#,
    )
    .unwrap();
    let (out, stdout, stderr) = script(&mgmt, "OpenFlow13", &path);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert_eq!(stdout.trim(), "RESULT script steps=3 passed=1 failed=2");
    assert!(
        stderr.contains(
            "step 1 flow_mod \"a valid flow\": FAILED: expected error \"BAD_MATCH\"/\"BAD_PREREQ\", \
             the switch accepted the request"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("step 2 expect_flows \"two flows\": FAILED: flow_count 1 (expected 2)"),
        "{stderr}"
    );
}
