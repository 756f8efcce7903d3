//! Byte-exact re-encoding of the multipart messages among os-ken's captured
//! packets (`os_ken/tests/packet_data/of1x/*.packet`), read from the
//! directory named by `OSKEN_PACKET_DATA` at test time.

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
