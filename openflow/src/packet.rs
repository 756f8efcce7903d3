//! `OFPT_PACKET_IN` and `OFPT_PACKET_OUT`.
//!
//! A packet-in's ingress port lives in its [`Match`] whichever the version:
//! OpenFlow 1.0's `in_port` decodes to an `IN_PORT` field, 1.1's
//! `in_port`/`in_phy_port` to `IN_PORT` and `IN_PHY_PORT`, and 1.2+ carry the
//! OXM match on the wire.

use crate::action::Action;
use crate::error::DecodeError;
use crate::flow_match::Match;
use crate::message::need;
use crate::oxm::OxmField;
use crate::port::{port_from_v10, port_to_v10};
use crate::wire::{self, put_u16, put_u32, put_u64, put_zeros};
use crate::{EncodeError, Version};

/// `OFPT_PACKET_IN`.
#[derive(Debug, Clone, PartialEq)]
pub struct PacketIn {
    /// Buffer id, or `OFP_NO_BUFFER` (0xffffffff).
    pub buffer_id: u32,
    /// Full length of the frame.
    pub total_len: u16,
    /// `OFPR_*` reason.
    pub reason: u8,
    /// Table that sent the packet (1.1+; 0 in 1.0).
    pub table_id: u8,
    /// Cookie of the rule that sent it (1.3+; 0 before).
    pub cookie: u64,
    /// Pipeline fields: in 1.0 exactly `IN_PORT`, in 1.1 exactly `IN_PORT`
    /// then `IN_PHY_PORT`.
    pub match_: Match,
    /// The frame (or its first bytes).
    pub data: Vec<u8>,
}

impl PacketIn {
    /// The ingress port, if the match has one.
    pub fn in_port(&self) -> Option<u32> {
        self.match_.find(|f| match f {
            OxmField::InPort(p) => Some(*p),
            _ => None,
        })
    }

    /// Decodes the body after the header.
    pub fn decode(version: Version, body: &[u8]) -> Result<PacketIn, DecodeError> {
        let ctx = "packet in";
        let (r, buffer_id) = wire::u32(body, ctx)?;
        match version {
            Version::V1_0 => {
                let (r, total_len) = wire::u16(r, ctx)?;
                let (r, in_port) = wire::u16(r, ctx)?;
                let (r, reason) = wire::u8(r, ctx)?;
                let r = wire::skip(r, 1, ctx)?;
                Ok(PacketIn {
                    buffer_id,
                    total_len,
                    reason,
                    table_id: 0,
                    cookie: 0,
                    match_: Match::new(vec![OxmField::InPort(port_from_v10(in_port))]),
                    data: r.to_vec(),
                })
            }
            Version::V1_1 => {
                let (r, in_port) = wire::u32(r, ctx)?;
                let (r, in_phy_port) = wire::u32(r, ctx)?;
                let (r, total_len) = wire::u16(r, ctx)?;
                let (r, reason) = wire::u8(r, ctx)?;
                let (r, table_id) = wire::u8(r, ctx)?;
                Ok(PacketIn {
                    buffer_id,
                    total_len,
                    reason,
                    table_id,
                    cookie: 0,
                    match_: Match::new(vec![
                        OxmField::InPort(in_port),
                        OxmField::InPhyPort(in_phy_port),
                    ]),
                    data: r.to_vec(),
                })
            }
            _ => {
                let (r, total_len) = wire::u16(r, ctx)?;
                let (r, reason) = wire::u8(r, ctx)?;
                let (r, table_id) = wire::u8(r, ctx)?;
                let (r, cookie) = if version >= Version::V1_3 {
                    wire::u64(r, ctx)?
                } else {
                    (r, 0)
                };
                let (match_, r) = Match::decode(version, r)?;
                let r = wire::skip(r, 2, ctx)?;
                Ok(PacketIn {
                    buffer_id,
                    total_len,
                    reason,
                    table_id,
                    cookie,
                    match_,
                    data: r.to_vec(),
                })
            }
        }
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u32(out, self.buffer_id);
        need(
            self.cookie == 0 || version >= Version::V1_3,
            version,
            "packet-in cookie",
        )?;
        match version {
            Version::V1_0 => {
                need(self.table_id == 0, version, "packet-in table_id")?;
                let [OxmField::InPort(p)] = self.match_.fields.as_slice() else {
                    return Err(EncodeError::unsupported(
                        version,
                        "packet-in match other than in_port",
                    ));
                };
                let p = port_to_v10(*p)
                    .ok_or(EncodeError::unsupported(version, "32-bit port number"))?;
                put_u16(out, self.total_len);
                put_u16(out, p);
                out.push(self.reason);
                out.push(0);
            }
            Version::V1_1 => {
                let [OxmField::InPort(p), OxmField::InPhyPort(phy)] = self.match_.fields.as_slice()
                else {
                    return Err(EncodeError::unsupported(
                        version,
                        "packet-in match other than in_port, in_phy_port",
                    ));
                };
                put_u32(out, *p);
                put_u32(out, *phy);
                put_u16(out, self.total_len);
                out.push(self.reason);
                out.push(self.table_id);
            }
            _ => {
                put_u16(out, self.total_len);
                out.push(self.reason);
                out.push(self.table_id);
                if version >= Version::V1_3 {
                    put_u64(out, self.cookie);
                }
                self.match_.encode(version, out)?;
                put_zeros(out, 2);
            }
        }
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

/// `OFPT_PACKET_OUT`.
#[derive(Debug, Clone, PartialEq)]
pub struct PacketOut {
    /// Buffer id, or `OFP_NO_BUFFER` (0xffffffff).
    pub buffer_id: u32,
    /// Ingress port for the pipeline (`OFPP_CONTROLLER` when none).
    pub in_port: u32,
    /// Actions to apply.
    pub actions: Vec<Action>,
    /// The frame when `buffer_id` is `OFP_NO_BUFFER`.
    pub data: Vec<u8>,
}

impl PacketOut {
    /// Decodes the body after the header.
    pub fn decode(version: Version, body: &[u8]) -> Result<PacketOut, DecodeError> {
        let ctx = "packet out";
        let (r, buffer_id) = wire::u32(body, ctx)?;
        let (r, in_port) = if version == Version::V1_0 {
            let (r, p) = wire::u16(r, ctx)?;
            (r, port_from_v10(p))
        } else {
            wire::u32(r, ctx)?
        };
        let (r, actions_len) = wire::u16(r, ctx)?;
        let r = if version == Version::V1_0 {
            r
        } else {
            wire::skip(r, 6, ctx)?
        };
        let (data, actions) = wire::take(r, usize::from(actions_len), "packet out actions_len")?;
        let actions = Action::decode_list(version, actions)?;
        Ok(PacketOut {
            buffer_id,
            in_port,
            actions,
            data: data.to_vec(),
        })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u32(out, self.buffer_id);
        if version == Version::V1_0 {
            let p = port_to_v10(self.in_port)
                .ok_or(EncodeError::unsupported(version, "32-bit port number"))?;
            put_u16(out, p);
        } else {
            put_u32(out, self.in_port);
        }
        let len_at = out.len();
        put_u16(out, 0);
        if version != Version::V1_0 {
            put_zeros(out, 6);
        }
        let actions_start = out.len();
        Action::encode_list(&self.actions, version, out)?;
        let actions_len = u16::try_from(out.len() - actions_start).map_err(|_| {
            EncodeError::unsupported(version, "packet-out actions longer than 65535 bytes")
        })?;
        out[len_at..len_at + 2].copy_from_slice(&actions_len.to_be_bytes());
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{decode, Message};
    use crate::ErrorKind;

    #[test]
    fn in_port_lives_in_the_match() {
        // OpenFlow 1.0 packet-in from port 0xfffe (LOCAL).
        let bytes = [
            1u8, 10, 0, 20, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 2, 0xff, 0xfe, 0, 0, 0xaa, 0xbb,
        ];
        let (_, m) = decode(&bytes).unwrap();
        let Message::PacketIn(p) = &m else {
            panic!("{m:?}")
        };
        assert_eq!(p.in_port(), Some(0xffff_fffe));
        assert_eq!(p.data, [0xaa, 0xbb]);
        assert_eq!(m.encode(Version::V1_0, 1).unwrap(), bytes);
        // The same packet-in in 1.3 carries an OXM match.
        let b13 = m.encode(Version::V1_3, 1).unwrap();
        assert_eq!(b13.len(), 8 + 16 + 16 + 2 + 2);
        assert_eq!(decode(&b13).unwrap().1, m);
        // 1.1 needs in_phy_port too.
        assert!(m.encode(Version::V1_1, 1).is_err());
    }

    #[test]
    fn packet_out_actions_len_is_checked() {
        let po = PacketOut {
            buffer_id: 0xffff_ffff,
            in_port: 0xffff_fffd,
            actions: vec![Action::Output {
                port: 1,
                max_len: 0,
            }],
            data: vec![1, 2, 3],
        };
        for v in Version::ALL {
            let bytes = Message::PacketOut(po.clone()).encode(v, 1).unwrap();
            assert_eq!(decode(&bytes).unwrap().1, Message::PacketOut(po.clone()));
            let mut bad = bytes.clone();
            let at = if v == Version::V1_0 { 14 } else { 16 };
            bad[at..at + 2].copy_from_slice(&200u16.to_be_bytes());
            assert_eq!(decode(&bad).unwrap_err().kind, ErrorKind::BadLen, "{v}");
        }
    }
}
