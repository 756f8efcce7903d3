//! Two independent decoders accept what this crate encodes:
//! `ovs-ofctl ofp-print` (Debian `openvswitch-common`) for one message of
//! every type of every version, and `tshark` (Debian `tshark`) for the
//! OpenFlow 1.0, 1.3 and 1.4 ones (it has no 1.1/1.2 dissector), sent as TCP
//! segments to port 6653 in a pcap file. A missing tool fails the test
//! with the package to install.

mod common;

use std::process::Command;

use common::samples::{golden_pool, samples};
use openflow::Version;

fn require(tool: &str, package: &str) {
    let found = Command::new(tool).arg("--version").output().is_ok();
    assert!(
        found,
        "`{tool}` not found: install the Debian package `{package}`"
    );
}

#[test]
fn ovs_ofctl_decodes_every_type_of_every_version() {
    require("ovs-ofctl", "openvswitch-common");
    let pool = golden_pool();
    let mut complaints = Vec::new();
    let mut checked = 0;
    for version in Version::ALL {
        for (kind, bytes) in samples(version, &pool) {
            let out = Command::new("ovs-ofctl")
                .args(["ofp-print", &hex::encode(&bytes)])
                .output()
                .expect("run ovs-ofctl");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let bad = !out.status.success()
                || stdout.contains("***")
                || stdout.to_ascii_lowercase().contains("truncated")
                || stderr.contains("|WARN|")
                || stderr.contains("|ERR|");
            if bad {
                complaints.push(format!(
                    "{version} {kind:?}: {}\n{stdout}{stderr}",
                    hex::encode(&bytes)
                ));
            }
            checked += 1;
        }
    }
    println!(
        "ovs-ofctl ofp-print: {}/{checked} messages accepted",
        checked - complaints.len()
    );
    assert!(
        complaints.is_empty(),
        "ovs-ofctl complained about {} messages:\n{}",
        complaints.len(),
        complaints.join("\n")
    );
}

/// A pcap (microsecond, Ethernet) with one TCP segment to port 6653 per
/// message, sequence numbers continuous.
fn pcap_of(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut pcap = Vec::new();
    pcap.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    pcap.extend_from_slice(&2u16.to_le_bytes());
    pcap.extend_from_slice(&4u16.to_le_bytes());
    pcap.extend_from_slice(&0i32.to_le_bytes());
    pcap.extend_from_slice(&0u32.to_le_bytes());
    pcap.extend_from_slice(&65535u32.to_le_bytes());
    pcap.extend_from_slice(&1u32.to_le_bytes());
    let mut seq = 1000u32;
    for (i, m) in messages.iter().enumerate() {
        let mut frame = Vec::new();
        frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
        let total = 20 + 20 + m.len();
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&(total as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        let sum = checksum(&ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        frame.extend_from_slice(&ip);
        let mut tcp = Vec::new();
        tcp.extend_from_slice(&40000u16.to_be_bytes());
        tcp.extend_from_slice(&6653u16.to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&1u32.to_be_bytes());
        tcp.extend_from_slice(&[0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
        let mut pseudo = vec![10, 0, 0, 1, 10, 0, 0, 2, 0, 6];
        pseudo.extend_from_slice(&((20 + m.len()) as u16).to_be_bytes());
        pseudo.extend_from_slice(&tcp);
        pseudo.extend_from_slice(m);
        let sum = checksum(&pseudo);
        tcp[16..18].copy_from_slice(&sum.to_be_bytes());
        frame.extend_from_slice(&tcp);
        frame.extend_from_slice(m);
        seq = seq.wrapping_add(m.len() as u32);
        pcap.extend_from_slice(&(i as u32 + 1).to_le_bytes());
        pcap.extend_from_slice(&0u32.to_le_bytes());
        pcap.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        pcap.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        pcap.extend_from_slice(&frame);
    }
    pcap
}

fn checksum(bytes: &[u8]) -> u16 {
    let mut sum = 0u32;
    for c in bytes.chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[test]
fn tshark_dissects_of10_of13_of14_cleanly() {
    require("tshark", "tshark");
    let pool = golden_pool();
    let dir = tempfile_dir();
    let mut failures = Vec::new();
    for version in [Version::V1_0, Version::V1_3, Version::V1_4] {
        let msgs: Vec<(openflow::MsgType, Vec<u8>)> = samples(version, &pool);
        let bytes: Vec<Vec<u8>> = msgs.iter().map(|(_, b)| b.clone()).collect();
        let path = dir.join(format!("openflow-{}.pcap", version.wire()));
        std::fs::write(&path, pcap_of(&bytes)).expect("write pcap");
        let out = Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&path)
            .args([
                "-o",
                "tcp.desegment_tcp_streams:TRUE",
                "-d",
                "tcp.port==6653,openflow",
                "-V",
            ])
            .output()
            .expect("run tshark");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "tshark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Each frame's dissection is separated by "Frame N:" lines.
        for (i, frame) in text.split("\nFrame ").enumerate() {
            let lower = frame.to_ascii_lowercase();
            if lower.contains("malformed")
                || frame.contains("Expert Info (Error")
                || frame.contains("[Severity level: Error]")
            {
                let kind = msgs
                    .get(i)
                    .map(|(k, _)| format!("{k:?}"))
                    .unwrap_or_default();
                failures.push(format!("{version} frame {} ({kind}):\n{frame}", i + 1));
            }
        }
        let dissected = text.matches("OpenFlow").count();
        assert!(
            dissected >= msgs.len(),
            "{version}: tshark saw {dissected} OpenFlow layers for {} messages",
            msgs.len()
        );
        println!("tshark {version}: {} messages dissected", msgs.len());
    }
    assert!(
        failures.is_empty(),
        "tshark marked {} messages:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop");
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}
