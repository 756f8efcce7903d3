//! Golden round trip: every message of os-ken 4.2.2's `tests/packet_data`
//! for OpenFlow 1.0, 1.2, 1.3 and 1.4 decodes and re-encodes to the same
//! bytes.

mod common;

use openflow::{decode, ErrorKind, Version};

#[test]
fn every_golden_message_round_trips() {
    let mut total = 0;
    let mut identical = 0;
    let mut failures = Vec::new();
    for (dir, expected) in common::GOLDEN_DIRS {
        let mut count = 0;
        for path in common::golden_files(dir) {
            let bytes = std::fs::read(&path).expect("read golden file");
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            for msg in common::split_messages(&bytes) {
                count += 1;
                match decode(msg) {
                    Err(e) => failures.push(format!("{dir}/{name}: decode: {e}")),
                    Ok((header, message)) => {
                        let version =
                            Version::from_wire(header.version).expect("supported version");
                        match message.encode(version, header.xid) {
                            Err(e) => failures.push(format!("{dir}/{name}: encode: {e}")),
                            Ok(out) if out == msg => identical += 1,
                            Ok(out) => {
                                let at = out
                                    .iter()
                                    .zip(msg)
                                    .position(|(a, b)| a != b)
                                    .unwrap_or(out.len().min(msg.len()));
                                failures.push(format!(
                                    "{dir}/{name}: bytes differ at offset {at} (encoded {} bytes, golden {})",
                                    out.len(),
                                    msg.len()
                                ))
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(count, expected, "messages in {dir}");
        total += count;
    }
    println!("golden round trip: {identical}/{total} identical");
    for f in &failures {
        println!("  {f}");
    }
    assert_eq!(total, 237);
    assert!(
        failures.is_empty(),
        "{} of {total} golden messages failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn truncated_flow_mod_is_bad_len() {
    let path = common::packet_data_dir().join("of13/libofproto-OFP13-flow_mod.packet");
    let bytes = std::fs::read(path).expect("read flow_mod golden file");
    assert_eq!(u16::from_be_bytes([bytes[2], bytes[3]]), 256);
    let err = decode(&bytes[..64]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadLen);
    assert_eq!(err.kind.ofp_code(Version::V1_3), (1, 6));
}

/// Every shortened copy of every golden message (header length patched to
/// match) decodes to a message or a typed error, never a panic; every
/// shortened copy whose length field still says the full length is a
/// BAD_LEN-class error.
#[test]
fn truncations_never_panic() {
    let mut errors = 0;
    let mut decoded = 0;
    for (dir, _) in common::GOLDEN_DIRS {
        for path in common::golden_files(dir) {
            let bytes = std::fs::read(&path).expect("read golden file");
            for msg in common::split_messages(&bytes) {
                if msg.len() > 2048 {
                    continue;
                }
                for cut in 0..msg.len() {
                    let short = &msg[..cut];
                    assert!(decode(short).is_err_and(|e| e.kind == ErrorKind::BadLen));
                    if cut >= 8 {
                        let mut patched = short.to_vec();
                        patched[2..4].copy_from_slice(&(cut as u16).to_be_bytes());
                        match decode(&patched) {
                            Ok(_) => decoded += 1,
                            Err(_) => errors += 1,
                        }
                    }
                }
            }
        }
    }
    println!("truncations: {decoded} decoded, {errors} typed errors");
    assert!(errors > decoded);
}
