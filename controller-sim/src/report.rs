//! Words for what switches say and do: error messages from a switch, the
//! versions it offers, and the `RESULT` lines every mode ends with.

use std::fmt::Write as _;
use std::time::Duration;

use openflow::error_msg::ErrorMsg;
use openflow::{Header, MsgType, Version};

/// How much of a textual error payload (HELLO_FAILED) is shown.
const MAX_TEXT: usize = 200;

/// One line describing an `OFPT_ERROR` a switch sent in reply to request
/// `xid`: its type and code (names when `version` has them), and the kind
/// of the offending request when the error carries its header.
///
/// `switch error BAD_MATCH/BAD_PREREQ (type 4, code 7) for request xid 42
/// (OFPT_FLOW_MOD)`.
pub fn switch_error(version: Version, xid: u32, e: &ErrorMsg) -> String {
    let mut s = String::from("switch error ");
    if e.is_experimenter(version) {
        let _ = write!(
            s,
            "EXPERIMENTER 0x{:08x} (type 0xffff, exp_type {})",
            e.experimenter, e.code
        );
    } else {
        match e.names(version) {
            Some((t, Some(c))) => {
                let _ = write!(s, "{t}/{c} ");
            }
            Some((t, None)) => {
                let _ = write!(s, "{t} ");
            }
            None => {}
        }
        let _ = write!(s, "(type {}, code {})", e.err_type, e.code);
    }
    let _ = write!(s, " for request xid {xid}");
    // HELLO_FAILED carries text; every other error the request's first bytes.
    if e.err_type == 0 && !e.is_experimenter(version) {
        let text = String::from_utf8_lossy(&e.data);
        let text: String = text.chars().take(MAX_TEXT).collect();
        if !text.trim().is_empty() {
            let _ = write!(s, ": {}", text.trim_end_matches('\0').trim());
        }
    } else if let Some(kind) = offending_request(version, &e.data) {
        let _ = write!(s, " ({})", kind.name(version));
    }
    s
}

/// The kind of the request whose first bytes an error carries.
fn offending_request(version: Version, data: &[u8]) -> Option<MsgType> {
    let header = Header::parse(data).ok()?;
    let v = Version::from_wire(header.version).unwrap_or(version);
    MsgType::from_wire(v, header.msg_type)
}

/// The versions a peer's hello offers, in Open vSwitch's names
/// (`OpenFlow10, OpenFlow13`): its bitmap when it has one, otherwise every
/// version up to its header's.
pub fn offered_versions(header_version: u8, bitmap: Option<&[u8]>) -> String {
    let wire: Vec<u8> = match bitmap {
        Some(b) => b.to_vec(),
        None => (1..=header_version).collect(),
    };
    let names: Vec<String> = wire
        .iter()
        .map(|&w| match Version::from_wire(w) {
            Some(v) => v.ovs_name().to_owned(),
            None => format!("version 0x{w:02x}"),
        })
        .collect();
    if names.is_empty() {
        "no version".to_owned()
    } else {
        names.join(", ")
    }
}

/// Versions as Open vSwitch names them, comma-separated.
pub fn version_names(versions: &[Version]) -> String {
    versions
        .iter()
        .map(|v| v.ovs_name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Seconds with two decimals, and a rate per second rounded to an integer
/// (0 for an empty span).
pub fn seconds_and_rate(count: u64, span: Duration) -> (String, u64) {
    let secs = span.as_secs_f64();
    let rate = if secs > 0.0 {
        (count as f64 / secs).round() as u64
    } else {
        0
    };
    (format!("{secs:.2}"), rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openflow::{Message, Version::*};

    #[test]
    fn errors_name_type_code_and_request() {
        let flow_mod = Message::BarrierRequest.encode(V1_3, 42).unwrap();
        let e = ErrorMsg {
            err_type: 1,
            code: 1,
            experimenter: 0,
            data: flow_mod,
        };
        let s = switch_error(V1_3, 42, &e);
        assert!(s.contains("BAD_REQUEST/BAD_TYPE (type 1, code 1)"), "{s}");
        assert!(s.contains("xid 42 (OFPT_BARRIER_REQUEST)"), "{s}");

        let hello_failed = ErrorMsg {
            err_type: 0,
            code: 0,
            experimenter: 0,
            data: b"no common version".to_vec(),
        };
        let s = switch_error(V1_0, 7, &hello_failed);
        assert!(s.ends_with("xid 7: no common version"), "{s}");

        // Unknown codes still show their numbers; garbage data is no request.
        let odd = ErrorMsg {
            err_type: 999,
            code: 3,
            experimenter: 0,
            data: vec![1, 2],
        };
        let s = switch_error(V1_4, 1, &odd);
        assert!(s.ends_with("(type 999, code 3) for request xid 1"), "{s}");

        let exp = ErrorMsg {
            err_type: 0xffff,
            code: 5,
            experimenter: 0x2320,
            data: vec![],
        };
        assert!(switch_error(V1_3, 2, &exp).contains("EXPERIMENTER 0x00002320"));
    }

    #[test]
    fn offered_versions_from_bitmap_or_header() {
        assert_eq!(offered_versions(5, Some(&[1, 4])), "OpenFlow10, OpenFlow13");
        assert_eq!(offered_versions(2, None), "OpenFlow10, OpenFlow11");
        assert_eq!(offered_versions(6, Some(&[6])), "version 0x06");
        assert_eq!(version_names(&[V1_3, V1_4]), "OpenFlow13, OpenFlow14");
    }

    #[test]
    fn rates_round() {
        let (s, r) = seconds_and_rate(1000, Duration::from_millis(1620));
        assert_eq!((s.as_str(), r), ("1.62", 617));
        assert_eq!(seconds_and_rate(5, Duration::ZERO).1, 0);
    }
}
