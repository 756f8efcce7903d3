//! Byte-exact re-encoding of multipart messages captured from other
//! implementations, read at test time:
//!
//! - os-ken's packets (`os_ken/tests/packet_data/of1x/*.packet`) from the
//!   directory named by `OSKEN_PACKET_DATA`;
//! - the hex dumps of Open vSwitch's `tests/ofp-print.at` (messages
//!   encoded by Open vSwitch) from the file named by `OVS_OFP_PRINT_AT`.

use super::*;

/// The multipart (stats) request and reply message types of `version`.
fn mp_msg_types(version: Version) -> (u8, u8) {
    if version == Version::V1_0 {
        (16, 17)
    } else {
        (18, 19)
    }
}

#[test]
fn osken_golden_multipart_messages_reencode_exactly() {
    let Some(root) = std::env::var_os("OSKEN_PACKET_DATA") else {
        println!("note: OSKEN_PACKET_DATA not set; skipping the os-ken golden multipart test");
        return;
    };
    let root = std::path::PathBuf::from(root);
    let mut checked = 0;
    for dir in ["of10", "of12", "of13", "of14"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if path.extension().and_then(|e| e.to_str()) != Some("packet") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            if bytes.len() < 8 {
                continue;
            }
            let Some(version) = Version::from_wire(bytes[0]) else {
                continue;
            };
            let (req, rep) = mp_msg_types(version);
            let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
            assert_eq!(len, bytes.len(), "{}", path.display());
            let body = &bytes[8..];
            let mut out = Vec::new();
            if bytes[1] == req {
                let r = MultipartRequest::decode(version, body)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                r.encode(version, &mut out).unwrap();
            } else if bytes[1] == rep {
                let r = MultipartReply::decode(version, body)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                r.encode(version, &mut out).unwrap();
            } else {
                continue;
            }
            assert_eq!(hex::encode(&out), hex::encode(body), "{}", path.display());
            checked += 1;
        }
    }
    println!("checked {checked} os-ken multipart messages");
    assert!(
        checked > 0,
        "no multipart messages found under {}",
        root.display()
    );
}

/// Decodes one whole multipart message and re-encodes it; returns the
/// re-encoded body, or `None` when `msg` is not a multipart message.
fn reencode(msg: &[u8], what: &str) -> Option<Vec<u8>> {
    let version = Version::from_wire(*msg.first()?)?;
    let (req, rep) = mp_msg_types(version);
    let body = &msg[8..];
    let mut out = Vec::new();
    if msg[1] == req {
        let r = MultipartRequest::decode(version, body).unwrap_or_else(|e| panic!("{what}: {e}"));
        r.encode(version, &mut out)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
    } else if msg[1] == rep {
        let r = MultipartReply::decode(version, body).unwrap_or_else(|e| panic!("{what}: {e}"));
        r.encode(version, &mut out)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
    } else {
        return None;
    }
    Some(out)
}

/// The hex arguments of `ovs-ofctl ofp-print` in one `AT_SETUP` block.
fn ofp_print_args(block: &str) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    let mut rest = block;
    while let Some(at) = rest.find("ofp-print ") {
        rest = &rest[at + "ofp-print ".len()..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let Some(end) = rest[1..].find(quote) else {
            break;
        };
        let text: String = rest[1..1 + end]
            .chars()
            .filter(|c| c.is_ascii_hexdigit())
            .collect();
        if let Ok(bytes) = hex::decode(&text) {
            found.push(bytes);
        }
        rest = &rest[1 + end..];
    }
    found
}

#[test]
fn ovs_ofp_print_multipart_messages_reencode_exactly() {
    let Some(path) = std::env::var_os("OVS_OFP_PRINT_AT") else {
        println!("note: OVS_OFP_PRINT_AT not set; skipping the Open vSwitch ofp-print.at test");
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let mut checked = 0;
    for block in text.split("AT_SETUP([").skip(1) {
        let name = block.split(']').next().unwrap_or_default();
        // Blocks whose expected output is a decode error hold malformed input.
        let multipart = name.starts_with("OFPST_")
            || name.starts_with("NXST_")
            || name.starts_with("FLOW_MONITOR");
        if !multipart || block.contains("decode error") {
            continue;
        }
        for msg in ofp_print_args(block) {
            if msg.len() < 8 || usize::from(u16::from_be_bytes([msg[2], msg[3]])) != msg.len() {
                continue;
            }
            let Some(out) = reencode(&msg, name) else {
                continue;
            };
            assert_eq!(hex::encode(&out), hex::encode(&msg[8..]), "{name}");
            checked += 1;
        }
    }
    println!("checked {checked} Open vSwitch multipart messages");
    assert!(
        checked > 0,
        "no multipart messages found in {}",
        std::path::Path::new(&path).display()
    );
}
