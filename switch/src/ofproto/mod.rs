//! OpenFlow semantics of one bridge, as a sans-IO request handler.
//!
//! [`Ofproto::handle`] takes one decoded request of a connection that
//! speaks `version` and returns the replies; the management socket
//! ([`crate::mgmt::ofsocket`]) moves the bytes. What this bridge answers
//! today: features, switch config, barrier, switch description, port
//! descriptions and port statistics (in OpenFlow 1.4 with every DPDK xstat
//! of the port in the Intel custom-statistics property Open vSwitch uses,
//! so `ovs-ofctl -O OpenFlow14 dump-ports` prints them). Flow tables,
//! groups and meters arrive with the OpenFlow pipeline; until then their
//! messages get the spec's "unsupported" errors (`OFPBRC_BAD_TYPE`,
//! `OFPBRC_BAD_MULTIPART`) carrying the request's first 64 bytes.
//!
//! Thread safety: an `Ofproto` is owned by the control plane (behind a
//! mutex shared by the bridge's connections); nothing here runs on a PMD.

pub mod port;

use std::sync::Arc;
use std::time::Instant;

use openflow::config::{FeaturesReply, SwitchConfig};
use openflow::error_msg::ErrorMsg;
use openflow::multipart::{
    MultipartReply, MultipartReplyBody, MultipartRequest, MultipartRequestBody,
};
use openflow::port::OFPP_ANY;
use openflow::{ErrorKind, Header, Message, Version};

use crate::netdev::Netdev;

/// Largest OpenFlow message the switch sends.
pub const MAX_REPLY_LEN: usize = 65535;

/// `OFPC_*` capabilities this bridge reports.
const CAPABILITIES: u32 = OFPC_PORT_STATS;
/// `OFPC_PORT_STATS`.
const OFPC_PORT_STATS: u32 = 1 << 2;

/// One OpenFlow port of the bridge.
pub struct OfPort {
    /// OpenFlow port number.
    pub ofport: u32,
    /// The datapath port.
    pub netdev: Arc<Netdev>,
    /// When the port was added (port stats durations).
    pub created: Instant,
}

/// A bridge's OpenFlow state.
pub struct Ofproto {
    /// Bridge name.
    pub name: String,
    /// Datapath id.
    pub datapath_id: u64,
    /// Versions the bridge speaks (its `protocols` column).
    pub versions: Vec<Version>,
    /// Ports, in ofport order.
    pub ports: Vec<OfPort>,
    /// Switch configuration (`OFPT_SET_CONFIG`).
    pub config: SwitchConfig,
}

/// The datapath id of a bridge: `other_config:datapath-id` (16 hex digits)
/// or, by default, a locally administered MAC-like value derived from the
/// bridge name (stable across restarts).
pub fn datapath_id(bridge: &str, configured: Option<&str>) -> Result<u64, String> {
    if let Some(text) = configured {
        let hex = text.trim().trim_start_matches("0x");
        if hex.len() != 16 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!(
                "bridge {bridge}: other_config:datapath-id=\"{text}\" is not 16 hex digits"
            ));
        }
        return u64::from_str_radix(hex, 16).map_err(|e| e.to_string());
    }
    // FNV-1a of the name, folded to 48 bits, locally administered unicast.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bridge.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mac = (h & 0xffff_ffff_ffff) | (0x02 << 40);
    Ok(mac & !(0x01 << 40))
}

/// Parses a bridge's `protocols` list (`OpenFlow10` ... `OpenFlow14`); an
/// empty list means all of them.
pub fn protocols(bridge: &str, names: &[String]) -> Result<Vec<Version>, String> {
    if names.is_empty() {
        return Ok(Version::ALL.to_vec());
    }
    let mut out = Vec::new();
    for n in names {
        let v = Version::parse_name(n).ok_or_else(|| {
            format!("bridge {bridge}: protocols entry \"{n}\" is not OpenFlow10 ... OpenFlow14")
        })?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out.sort();
    Ok(out)
}

impl Ofproto {
    /// A bridge with no ports.
    pub fn new(name: &str, datapath_id: u64, versions: Vec<Version>) -> Self {
        Ofproto {
            name: name.to_owned(),
            datapath_id,
            versions,
            ports: Vec::new(),
            config: SwitchConfig {
                flags: 0,
                miss_send_len: 128,
            },
        }
    }

    /// Adds a port.
    pub fn add_port(&mut self, netdev: Arc<Netdev>) {
        self.ports.push(OfPort {
            ofport: netdev.ofport,
            netdev,
            created: Instant::now(),
        });
        self.ports.sort_by_key(|p| p.ofport);
    }

    /// Answers one request of a connection speaking `version`.
    pub fn handle(&mut self, version: Version, header: &Header, msg: &Message) -> Vec<Message> {
        match msg {
            Message::FeaturesRequest => vec![Message::FeaturesReply(self.features(version))],
            Message::GetConfigRequest => vec![Message::GetConfigReply(self.config)],
            Message::SetConfig(c) => {
                self.config = *c;
                Vec::new()
            }
            Message::BarrierRequest => vec![Message::BarrierReply],
            Message::MultipartRequest(req) => self.multipart(version, header, msg, req),
            // Replies and asynchronous messages a controller may echo back
            // need no answer.
            Message::EchoReply(_) | Message::Error(_) => Vec::new(),
            _ => vec![error_for(ErrorKind::BadType, version, header, msg)],
        }
    }

    fn features(&self, version: Version) -> FeaturesReply {
        FeaturesReply {
            datapath_id: self.datapath_id,
            n_buffers: 0,
            n_tables: 254,
            auxiliary_id: 0,
            capabilities: CAPABILITIES,
            actions: if version == Version::V1_0 { 1 } else { 0 },
            ports: if version <= Version::V1_2 {
                self.ports.iter().map(port::desc).collect()
            } else {
                Vec::new()
            },
        }
    }

    fn multipart(
        &self,
        version: Version,
        header: &Header,
        msg: &Message,
        req: &MultipartRequest,
    ) -> Vec<Message> {
        let body = match &req.body {
            MultipartRequestBody::Desc => MultipartReplyBody::Desc(port::switch_desc(&self.name)),
            MultipartRequestBody::PortDesc => {
                MultipartReplyBody::PortDesc(self.ports.iter().map(port::desc).collect())
            }
            MultipartRequestBody::PortStats(r) => {
                if r.port_no != OFPP_ANY && !self.ports.iter().any(|p| p.ofport == r.port_no) {
                    return vec![error_for(ErrorKind::BadPort, version, header, msg)];
                }
                MultipartReplyBody::PortStats(
                    self.ports
                        .iter()
                        .filter(|p| r.port_no == OFPP_ANY || p.ofport == r.port_no)
                        .map(|p| port::stats(p, version))
                        .collect(),
                )
            }
            _ => return vec![error_for(ErrorKind::BadMultipart, version, header, msg)],
        };
        MultipartReply { flags: 0, body }
            .split(version, MAX_REPLY_LEN)
            .into_iter()
            .map(Message::MultipartReply)
            .collect()
    }
}

/// The error reply to `msg` (which carries the request's first 64 bytes).
pub fn error_for(kind: ErrorKind, version: Version, header: &Header, msg: &Message) -> Message {
    let request = msg.encode(version, header.xid).unwrap_or_default();
    Message::Error(ErrorMsg::for_request(kind, version, &request))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datapath_ids() {
        assert_eq!(datapath_id("br0", Some("00000000000000ab")), Ok(0xab));
        assert!(datapath_id("br0", Some("xyz"))
            .unwrap_err()
            .contains("bridge br0"));
        let a = datapath_id("br0", None).unwrap();
        assert_eq!(a, datapath_id("br0", None).unwrap());
        assert_ne!(a, datapath_id("br1", None).unwrap());
        assert_eq!(a >> 48, 0);
        assert_eq!((a >> 40) & 0x03, 0x02, "locally administered unicast");
    }

    #[test]
    fn protocol_lists() {
        assert_eq!(protocols("b", &[]).unwrap(), Version::ALL.to_vec());
        assert_eq!(
            protocols("b", &["OpenFlow14".into(), "OpenFlow13".into()]).unwrap(),
            vec![Version::V1_3, Version::V1_4]
        );
        assert!(protocols("b", &["OpenFlow15".into()]).is_err());
    }

    fn header(xid: u32) -> Header {
        Header {
            version: 4,
            msg_type: 0,
            length: 8,
            xid,
        }
    }

    #[test]
    fn answers_what_it_supports_and_refuses_the_rest() {
        let mut of = Ofproto::new("br0", 7, Version::ALL.to_vec());
        let v = Version::V1_3;
        match of
            .handle(v, &header(1), &Message::FeaturesRequest)
            .as_slice()
        {
            [Message::FeaturesReply(f)] => {
                assert_eq!(f.datapath_id, 7);
                assert_eq!(f.n_tables, 254);
                assert_eq!(f.n_buffers, 0);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            of.handle(v, &header(2), &Message::BarrierRequest),
            vec![Message::BarrierReply]
        );
        let cfg = SwitchConfig {
            flags: 0,
            miss_send_len: 0xffff,
        };
        assert!(of
            .handle(v, &header(3), &Message::SetConfig(cfg))
            .is_empty());
        assert_eq!(
            of.handle(v, &header(4), &Message::GetConfigRequest),
            vec![Message::GetConfigReply(cfg)]
        );
        let table = Message::MultipartRequest(MultipartRequest {
            flags: 0,
            body: MultipartRequestBody::Table,
        });
        match of.handle(v, &header(5), &table).as_slice() {
            [Message::Error(e)] => {
                let bytes = Message::Error(e.clone()).encode(v, 5).unwrap();
                // OFPET_BAD_REQUEST / OFPBRC_BAD_MULTIPART, then the request.
                assert_eq!(&bytes[8..12], &[0, 1, 0, 2]);
                assert_eq!(&bytes[12..], &table.encode(v, 5).unwrap()[..]);
            }
            other => panic!("{other:?}"),
        }
        match of
            .handle(v, &header(6), &Message::GetAsyncRequest)
            .as_slice()
        {
            [Message::Error(_)] => {}
            other => panic!("{other:?}"),
        }
    }
}
