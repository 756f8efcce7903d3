//! Actions of every OpenFlow version (`ofp_action_*`).
//!
//! The model is the OpenFlow 1.2+ action set. The 1.0 and 1.1 "set" actions
//! that rewrite one header field decode to [`Action::SetField`] with the OXM
//! field they rewrite (`set_dl_dst` → `eth_dst`, `set_nw_tos` → `ip_dscp`,
//! `set_vlan_vid` → `vlan_vid` with `OFPVID_PRESENT`, 1.1 `set_mpls_label` →
//! `mpls_label`, ...), 1.0 `strip_vlan` decodes to [`Action::PopVlan`], and
//! the encoders translate back. 1.0/1.1 `set_tp_src`/`set_tp_dst` do not say
//! which transport protocol they rewrite, so they have their own variants
//! ([`Action::SetTpSrc`], [`Action::SetTpDst`]); 1.0's `enqueue` is
//! [`Action::Enqueue`]. Whatever a version cannot express is an
//! [`EncodeError`] naming it.
//!
//! Experimenter (1.0: vendor) actions, such as Open vSwitch's Nicira
//! `NXAST_*`, are kept as the bytes after the experimenter id and re-encode
//! identically. Output port numbers are 32-bit (1.1+ space) and converted
//! for 1.0.

use crate::error::{DecodeError, EncodeError, ErrorKind};
use crate::oxm::{OxmField, OFPVID_PRESENT};
use crate::port::{port_from_v10, port_to_v10};
use crate::wire;
use crate::Version;

/// Experimenter id of Nicira (Open vSwitch) extensions.
pub const NX_VENDOR_ID: u32 = 0x0000_2320;
/// Experimenter id of the Open Networking Foundation extensions.
pub const ONF_EXPERIMENTER_ID: u32 = 0x4f4e_4600;
/// `OFPCML_NO_BUFFER`: output to the controller sends the whole packet.
pub const OFPCML_NO_BUFFER: u16 = 0xffff;

/// Action type numbers of OpenFlow 1.2+ (`ofp_action_type`); 1.1 shares
/// the numbers from 11 on.
mod t {
    pub const OUTPUT: u16 = 0;
    pub const COPY_TTL_OUT: u16 = 11;
    pub const COPY_TTL_IN: u16 = 12;
    pub const SET_MPLS_TTL: u16 = 15;
    pub const DEC_MPLS_TTL: u16 = 16;
    pub const PUSH_VLAN: u16 = 17;
    pub const POP_VLAN: u16 = 18;
    pub const PUSH_MPLS: u16 = 19;
    pub const POP_MPLS: u16 = 20;
    pub const SET_QUEUE: u16 = 21;
    pub const GROUP: u16 = 22;
    pub const SET_NW_TTL: u16 = 23;
    pub const DEC_NW_TTL: u16 = 24;
    pub const SET_FIELD: u16 = 25;
    pub const PUSH_PBB: u16 = 26;
    pub const POP_PBB: u16 = 27;
    pub const EXPERIMENTER: u16 = 0xffff;
}

/// OpenFlow 1.0 action types (`ofp_action_type`, 1.0).
mod t10 {
    pub const OUTPUT: u16 = 0;
    pub const SET_VLAN_VID: u16 = 1;
    pub const SET_VLAN_PCP: u16 = 2;
    pub const STRIP_VLAN: u16 = 3;
    pub const SET_DL_SRC: u16 = 4;
    pub const SET_DL_DST: u16 = 5;
    pub const SET_NW_SRC: u16 = 6;
    pub const SET_NW_DST: u16 = 7;
    pub const SET_NW_TOS: u16 = 8;
    pub const SET_TP_SRC: u16 = 9;
    pub const SET_TP_DST: u16 = 10;
    pub const ENQUEUE: u16 = 11;
    pub const VENDOR: u16 = 0xffff;
}

/// OpenFlow 1.1 action types that differ from 1.2+ (`ofp_action_type`, 1.1).
mod t11 {
    pub const SET_VLAN_VID: u16 = 1;
    pub const SET_VLAN_PCP: u16 = 2;
    pub const SET_DL_SRC: u16 = 3;
    pub const SET_DL_DST: u16 = 4;
    pub const SET_NW_SRC: u16 = 5;
    pub const SET_NW_DST: u16 = 6;
    pub const SET_NW_TOS: u16 = 7;
    pub const SET_NW_ECN: u16 = 8;
    pub const SET_TP_SRC: u16 = 9;
    pub const SET_TP_DST: u16 = 10;
    pub const SET_MPLS_LABEL: u16 = 13;
    pub const SET_MPLS_TC: u16 = 14;
}

/// One action, in the version-independent model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// `OFPAT_OUTPUT`: send out of `port` (32-bit space); `max_len` bytes
    /// go to the controller when `port` is `OFPP_CONTROLLER`.
    Output {
        /// Output port.
        port: u32,
        /// Bytes sent to the controller (`OFPCML_NO_BUFFER` for all).
        max_len: u16,
    },
    /// `OFPAT_COPY_TTL_OUT` (1.1+): copy TTL outwards.
    CopyTtlOut,
    /// `OFPAT_COPY_TTL_IN` (1.1+): copy TTL inwards.
    CopyTtlIn,
    /// `OFPAT_SET_MPLS_TTL` (1.1+).
    SetMplsTtl(u8),
    /// `OFPAT_DEC_MPLS_TTL` (1.1+).
    DecMplsTtl,
    /// `OFPAT_PUSH_VLAN` (1.1+) with the tag's ethertype.
    PushVlan(u16),
    /// `OFPAT_POP_VLAN` (1.1+); 1.0's `OFPAT_STRIP_VLAN`.
    PopVlan,
    /// `OFPAT_PUSH_MPLS` (1.1+) with the ethertype.
    PushMpls(u16),
    /// `OFPAT_POP_MPLS` (1.1+) with the ethertype of the payload.
    PopMpls(u16),
    /// `OFPAT_SET_QUEUE` (1.1+).
    SetQueue(u32),
    /// `OFPAT_GROUP` (1.1+): process through a group.
    Group(u32),
    /// `OFPAT_SET_NW_TTL` (1.1+).
    SetNwTtl(u8),
    /// `OFPAT_DEC_NW_TTL` (1.1+).
    DecNwTtl,
    /// `OFPAT_SET_FIELD` (1.2+), and the 1.0/1.1 actions that set one field.
    SetField(OxmField),
    /// `OFPAT_PUSH_PBB` (1.3+) with the ethertype.
    PushPbb(u16),
    /// `OFPAT_POP_PBB` (1.3+).
    PopPbb,
    /// 1.0 `OFPAT_ENQUEUE`: output to a queue of a port.
    Enqueue {
        /// Output port (32-bit space).
        port: u32,
        /// Queue on that port.
        queue_id: u32,
    },
    /// 1.0/1.1 `OFPAT_SET_TP_SRC`: set the TCP/UDP/SCTP source port,
    /// whichever the packet has.
    SetTpSrc(u16),
    /// 1.0/1.1 `OFPAT_SET_TP_DST`: set the TCP/UDP/SCTP destination port.
    SetTpDst(u16),
    /// `OFPAT_EXPERIMENTER` (1.0: `OFPAT_VENDOR`).
    Experimenter {
        /// Experimenter (vendor) id.
        experimenter: u32,
        /// The bytes after the experimenter id, as on the wire (padding included).
        data: Vec<u8>,
    },
}

fn len_err() -> DecodeError {
    DecodeError::new(ErrorKind::BadActionLen, "action length")
}

fn arg_err(ctx: &'static str) -> DecodeError {
    DecodeError::new(ErrorKind::BadActionArgument, ctx)
}

/// Reads the body of a fixed-size action: exactly `want` bytes after the
/// 4-byte type/length header.
fn fixed(body: &[u8], want: usize) -> Result<&[u8], DecodeError> {
    if body.len() == want {
        Ok(body)
    } else {
        Err(len_err())
    }
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn mac(b: &[u8]) -> [u8; 6] {
    let mut m = [0u8; 6];
    m.copy_from_slice(&b[..6]);
    m
}

fn vlan_vid(vid: u16) -> Result<Action, DecodeError> {
    if vid > 0xfff {
        return Err(arg_err("set_vlan_vid above 4095"));
    }
    Ok(Action::SetField(OxmField::VlanVid {
        value: OFPVID_PRESENT | vid,
        mask: None,
    }))
}

fn vlan_pcp(pcp: u8) -> Result<Action, DecodeError> {
    if pcp > 7 {
        return Err(arg_err("set_vlan_pcp above 7"));
    }
    Ok(Action::SetField(OxmField::VlanPcp(pcp)))
}

fn nw_tos(tos: u8) -> Result<Action, DecodeError> {
    if tos & 3 != 0 {
        return Err(arg_err("set_nw_tos with ECN bits"));
    }
    Ok(Action::SetField(OxmField::IpDscp(tos >> 2)))
}

fn decode_experimenter(body: &[u8]) -> Result<Action, DecodeError> {
    if body.len() < 4 {
        return Err(len_err());
    }
    Ok(Action::Experimenter {
        experimenter: be32(body),
        data: body[4..].to_vec(),
    })
}

// Out of line: the list decoder's loop, inlined for 1.1+, keeps its
// registers for the versions controllers mostly speak.
#[inline(never)]
fn decode_v10(atype: u16, body: &[u8], out: &mut impl ActionSink) -> Result<(), DecodeError> {
    use OxmField as F;
    match atype {
        t10::OUTPUT => {
            let b = fixed(body, 4)?;
            out.put(Action::Output {
                port: port_from_v10(be16(b)),
                max_len: be16(&b[2..]),
            });
        }
        t10::SET_VLAN_VID => out.put(vlan_vid(be16(fixed(body, 4)?))?),
        t10::SET_VLAN_PCP => out.put(vlan_pcp(fixed(body, 4)?[0])?),
        t10::STRIP_VLAN => {
            fixed(body, 4)?;
            out.put(Action::PopVlan);
        }
        t10::SET_DL_SRC => out.put(Action::SetField(F::EthSrc {
            value: mac(fixed(body, 12)?),
            mask: None,
        })),
        t10::SET_DL_DST => out.put(Action::SetField(F::EthDst {
            value: mac(fixed(body, 12)?),
            mask: None,
        })),
        t10::SET_NW_SRC => out.put(Action::SetField(F::Ipv4Src {
            value: be32(fixed(body, 4)?).into(),
            mask: None,
        })),
        t10::SET_NW_DST => out.put(Action::SetField(F::Ipv4Dst {
            value: be32(fixed(body, 4)?).into(),
            mask: None,
        })),
        t10::SET_NW_TOS => out.put(nw_tos(fixed(body, 4)?[0])?),
        t10::SET_TP_SRC => out.put(Action::SetTpSrc(be16(fixed(body, 4)?))),
        t10::SET_TP_DST => out.put(Action::SetTpDst(be16(fixed(body, 4)?))),
        t10::ENQUEUE => {
            let b = fixed(body, 12)?;
            out.put(Action::Enqueue {
                port: port_from_v10(be16(b)),
                queue_id: be32(&b[8..]),
            });
        }
        t10::VENDOR => out.put(decode_experimenter(body)?),
        _ => {
            return Err(DecodeError::new(
                ErrorKind::BadActionType,
                "1.0 action type",
            ))
        }
    }
    Ok(())
}

fn decode_set_field(body: &[u8]) -> Result<Action, DecodeError> {
    let (field, rest) = OxmField::decode(body).map_err(|e| {
        let kind = match e.kind {
            ErrorKind::BadMask => ErrorKind::BadSetArgument,
            _ => ErrorKind::BadSetLen,
        };
        DecodeError::new(kind, "set_field")
    })?;
    // Only the padding to 8 bytes may follow the OXM.
    if rest.len() >= 8 {
        return Err(DecodeError::new(ErrorKind::BadSetLen, "set_field padding"));
    }
    Ok(Action::SetField(field))
}

fn decode_v11_plus(
    version: Version,
    atype: u16,
    body: &[u8],
    out: &mut impl ActionSink,
) -> Result<(), DecodeError> {
    use OxmField as F;
    let v11 = version == Version::V1_1;
    match atype {
        t::OUTPUT => {
            let b = fixed(body, 12)?;
            out.put(Action::Output {
                port: be32(b),
                max_len: be16(&b[4..]),
            });
        }
        t11::SET_VLAN_VID if v11 => out.put(vlan_vid(be16(fixed(body, 4)?))?),
        t11::SET_VLAN_PCP if v11 => out.put(vlan_pcp(fixed(body, 4)?[0])?),
        t11::SET_DL_SRC if v11 => out.put(Action::SetField(F::EthSrc {
            value: mac(fixed(body, 12)?),
            mask: None,
        })),
        t11::SET_DL_DST if v11 => out.put(Action::SetField(F::EthDst {
            value: mac(fixed(body, 12)?),
            mask: None,
        })),
        t11::SET_NW_SRC if v11 => out.put(Action::SetField(F::Ipv4Src {
            value: be32(fixed(body, 4)?).into(),
            mask: None,
        })),
        t11::SET_NW_DST if v11 => out.put(Action::SetField(F::Ipv4Dst {
            value: be32(fixed(body, 4)?).into(),
            mask: None,
        })),
        t11::SET_NW_TOS if v11 => out.put(nw_tos(fixed(body, 4)?[0])?),
        t11::SET_NW_ECN if v11 => {
            let ecn = fixed(body, 4)?[0];
            if ecn > 3 {
                return Err(arg_err("set_nw_ecn above 3"));
            }
            out.put(Action::SetField(F::IpEcn(ecn)));
        }
        t11::SET_TP_SRC if v11 => out.put(Action::SetTpSrc(be16(fixed(body, 4)?))),
        t11::SET_TP_DST if v11 => out.put(Action::SetTpDst(be16(fixed(body, 4)?))),
        t11::SET_MPLS_LABEL if v11 => {
            let label = be32(fixed(body, 4)?);
            if label > 0xfffff {
                return Err(arg_err("set_mpls_label above 20 bits"));
            }
            out.put(Action::SetField(F::MplsLabel(label)));
        }
        t11::SET_MPLS_TC if v11 => {
            let tc = fixed(body, 4)?[0];
            if tc > 7 {
                return Err(arg_err("set_mpls_tc above 7"));
            }
            out.put(Action::SetField(F::MplsTc(tc)));
        }
        t::COPY_TTL_OUT => {
            fixed(body, 4)?;
            out.put(Action::CopyTtlOut);
        }
        t::COPY_TTL_IN => {
            fixed(body, 4)?;
            out.put(Action::CopyTtlIn);
        }
        t::SET_MPLS_TTL => out.put(Action::SetMplsTtl(fixed(body, 4)?[0])),
        t::DEC_MPLS_TTL => {
            fixed(body, 4)?;
            out.put(Action::DecMplsTtl);
        }
        t::PUSH_VLAN => out.put(Action::PushVlan(be16(fixed(body, 4)?))),
        t::POP_VLAN => {
            fixed(body, 4)?;
            out.put(Action::PopVlan);
        }
        t::PUSH_MPLS => out.put(Action::PushMpls(be16(fixed(body, 4)?))),
        t::POP_MPLS => out.put(Action::PopMpls(be16(fixed(body, 4)?))),
        t::SET_QUEUE => out.put(Action::SetQueue(be32(fixed(body, 4)?))),
        t::GROUP => out.put(Action::Group(be32(fixed(body, 4)?))),
        t::SET_NW_TTL => out.put(Action::SetNwTtl(fixed(body, 4)?[0])),
        t::DEC_NW_TTL => {
            fixed(body, 4)?;
            out.put(Action::DecNwTtl);
        }
        t::SET_FIELD if !v11 => out.put(decode_set_field(body)?),
        t::PUSH_PBB if version >= Version::V1_3 => out.put(Action::PushPbb(be16(fixed(body, 4)?))),
        t::POP_PBB if version >= Version::V1_3 => {
            fixed(body, 4)?;
            out.put(Action::PopPbb);
        }
        t::EXPERIMENTER => out.put(decode_experimenter(body)?),
        _ => return Err(DecodeError::new(ErrorKind::BadActionType, "action type")),
    }
    Ok(())
}

/// Where the per-version decoders put the action they read: the list
/// being decoded (each decoder arm then writes its variant straight into the
/// list, with no common join of every variant's layout), or one slot.
trait ActionSink {
    fn put(&mut self, action: Action);
}

impl ActionSink for Vec<Action> {
    #[inline(always)]
    fn put(&mut self, action: Action) {
        self.push(action);
    }
}

impl ActionSink for Option<Action> {
    #[inline(always)]
    fn put(&mut self, action: Action) {
        *self = Some(action);
    }
}

/// Appends a fixed 8- or 16-byte action: type, length, `body`, zero padding.
/// Inlined, with a constant length, it is a few stores.
#[inline(always)]
fn put_action(out: &mut Vec<u8>, atype: u16, len: u16, body: &[u8]) {
    let mut action = [0u8; 16];
    action[..2].copy_from_slice(&atype.to_be_bytes());
    action[2..4].copy_from_slice(&len.to_be_bytes());
    action[4..4 + body.len()].copy_from_slice(body);
    out.extend_from_slice(&action[..usize::from(len)]);
}

/// Splits the action at the start of `input`: its type, its body after the
/// 4-byte type/length header, and the rest of the input. The length must be
/// a nonzero multiple of 8 within the input.
#[inline(always)]
fn split_action(input: &[u8]) -> Result<(u16, &[u8], &[u8]), DecodeError> {
    let Some(&[t0, t1, l0, l1]) = input.first_chunk::<4>() else {
        return Err(len_err());
    };
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    if len < 8 || !len.is_multiple_of(8) || len > input.len() {
        return Err(len_err());
    }
    let (action, rest) = input.split_at(len);
    Ok((u16::from_be_bytes([t0, t1]), &action[4..], rest))
}

impl Action {
    /// Decodes one action at the start of `input` for `version`; returns it
    /// and the rest.
    #[inline]
    pub fn decode(version: Version, input: &[u8]) -> Result<(Action, &[u8]), DecodeError> {
        let (atype, body, rest) = split_action(input)?;
        let mut action = None;
        if version == Version::V1_0 {
            decode_v10(atype, body, &mut action)?;
        } else {
            decode_v11_plus(version, atype, body, &mut action)?;
        }
        let action = action.expect("each decoder arm puts one action or fails");
        Ok((action, rest))
    }

    /// Decodes an action list: exactly the slice given.
    pub fn decode_list(version: Version, bytes: &[u8]) -> Result<Vec<Action>, DecodeError> {
        // Every action is at least 8 bytes: an upper bound on the count
        // without walking the list twice (typical actions are 8 or 16 bytes,
        // so at most about twice the room needed, as Vec growth would leave).
        let mut actions = Vec::with_capacity(bytes.len() / 8);
        let mut rest = bytes;
        while !rest.is_empty() {
            let (atype, body, r) = split_action(rest)?;
            if version == Version::V1_0 {
                decode_v10(atype, body, &mut actions)?;
            } else {
                decode_v11_plus(version, atype, body, &mut actions)?;
            }
            rest = r;
        }
        Ok(actions)
    }

    /// Appends an action list for `version`.
    pub fn encode_list(
        actions: &[Action],
        version: Version,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let start = out.len();
        for a in actions {
            if let Err(e) = a.encode(version, out) {
                out.truncate(start);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Appends this action for `version`.
    #[inline(always)]
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        let r = if version == Version::V1_0 {
            self.encode_v10(out)
        } else {
            self.encode_v11_plus(version, out)
        };
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn encode_v10(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let v = Version::V1_0;
        let port10 = |p: u32| {
            port_to_v10(p).ok_or(EncodeError::unsupported(
                v,
                "port number above 0xff00 in a 1.0 action",
            ))
        };
        match self {
            Action::Output { port, max_len } => {
                let mut b = [0u8; 4];
                b[..2].copy_from_slice(&port10(*port)?.to_be_bytes());
                b[2..].copy_from_slice(&max_len.to_be_bytes());
                put_action(out, t10::OUTPUT, 8, &b);
            }
            Action::PopVlan => put_action(out, t10::STRIP_VLAN, 8, &[]),
            Action::Enqueue { port, queue_id } => {
                let mut b = [0u8; 12];
                b[..2].copy_from_slice(&port10(*port)?.to_be_bytes());
                b[8..].copy_from_slice(&queue_id.to_be_bytes());
                put_action(out, t10::ENQUEUE, 16, &b);
            }
            Action::SetTpSrc(p) => put_action(out, t10::SET_TP_SRC, 8, &p.to_be_bytes()),
            Action::SetTpDst(p) => put_action(out, t10::SET_TP_DST, 8, &p.to_be_bytes()),
            Action::SetField(f) => {
                use OxmField as F;
                match f {
                    F::VlanVid { value, mask: None } => {
                        put_action(out, t10::SET_VLAN_VID, 8, &(value & 0xfff).to_be_bytes())
                    }
                    F::VlanPcp(p) => put_action(out, t10::SET_VLAN_PCP, 8, &[*p]),
                    F::EthSrc { value, mask: None } => put_action(out, t10::SET_DL_SRC, 16, value),
                    F::EthDst { value, mask: None } => put_action(out, t10::SET_DL_DST, 16, value),
                    F::Ipv4Src { value, mask: None } => {
                        put_action(out, t10::SET_NW_SRC, 8, &value.octets())
                    }
                    F::Ipv4Dst { value, mask: None } => {
                        put_action(out, t10::SET_NW_DST, 8, &value.octets())
                    }
                    F::IpDscp(d) => put_action(out, t10::SET_NW_TOS, 8, &[d << 2]),
                    F::TcpSrc(p) | F::UdpSrc(p) => {
                        put_action(out, t10::SET_TP_SRC, 8, &p.to_be_bytes())
                    }
                    F::TcpDst(p) | F::UdpDst(p) => {
                        put_action(out, t10::SET_TP_DST, 8, &p.to_be_bytes())
                    }
                    _ => {
                        return Err(EncodeError::unsupported(
                            v,
                            "set_field of a field no 1.0 action sets",
                        ))
                    }
                }
            }
            Action::Experimenter { experimenter, data } => {
                encode_experimenter(v, *experimenter, data, out)?
            }
            Action::CopyTtlOut => return Err(EncodeError::unsupported(v, "copy_ttl_out action")),
            Action::CopyTtlIn => return Err(EncodeError::unsupported(v, "copy_ttl_in action")),
            Action::SetMplsTtl(_) => {
                return Err(EncodeError::unsupported(v, "set_mpls_ttl action"))
            }
            Action::DecMplsTtl => return Err(EncodeError::unsupported(v, "dec_mpls_ttl action")),
            Action::PushVlan(_) => return Err(EncodeError::unsupported(v, "push_vlan action")),
            Action::PushMpls(_) => return Err(EncodeError::unsupported(v, "push_mpls action")),
            Action::PopMpls(_) => return Err(EncodeError::unsupported(v, "pop_mpls action")),
            Action::SetQueue(_) => return Err(EncodeError::unsupported(v, "set_queue action")),
            Action::Group(_) => return Err(EncodeError::unsupported(v, "group action")),
            Action::SetNwTtl(_) => return Err(EncodeError::unsupported(v, "set_nw_ttl action")),
            Action::DecNwTtl => return Err(EncodeError::unsupported(v, "dec_nw_ttl action")),
            Action::PushPbb(_) => return Err(EncodeError::unsupported(v, "push_pbb action")),
            Action::PopPbb => return Err(EncodeError::unsupported(v, "pop_pbb action")),
        }
        Ok(())
    }

    #[inline(always)]
    fn encode_v11_plus(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let v11 = version == Version::V1_1;
        match self {
            Action::Output { port, max_len } => {
                let mut b = [0u8; 6];
                b[..4].copy_from_slice(&port.to_be_bytes());
                b[4..].copy_from_slice(&max_len.to_be_bytes());
                put_action(out, t::OUTPUT, 16, &b);
            }
            Action::CopyTtlOut => put_action(out, t::COPY_TTL_OUT, 8, &[]),
            Action::CopyTtlIn => put_action(out, t::COPY_TTL_IN, 8, &[]),
            Action::SetMplsTtl(ttl) => put_action(out, t::SET_MPLS_TTL, 8, &[*ttl]),
            Action::DecMplsTtl => put_action(out, t::DEC_MPLS_TTL, 8, &[]),
            Action::PushVlan(e) => put_action(out, t::PUSH_VLAN, 8, &e.to_be_bytes()),
            Action::PopVlan => put_action(out, t::POP_VLAN, 8, &[]),
            Action::PushMpls(e) => put_action(out, t::PUSH_MPLS, 8, &e.to_be_bytes()),
            Action::PopMpls(e) => put_action(out, t::POP_MPLS, 8, &e.to_be_bytes()),
            Action::SetQueue(q) => put_action(out, t::SET_QUEUE, 8, &q.to_be_bytes()),
            Action::Group(g) => put_action(out, t::GROUP, 8, &g.to_be_bytes()),
            Action::SetNwTtl(ttl) => put_action(out, t::SET_NW_TTL, 8, &[*ttl]),
            Action::DecNwTtl => put_action(out, t::DEC_NW_TTL, 8, &[]),
            Action::PushPbb(e) if version >= Version::V1_3 => {
                put_action(out, t::PUSH_PBB, 8, &e.to_be_bytes())
            }
            Action::PopPbb if version >= Version::V1_3 => put_action(out, t::POP_PBB, 8, &[]),
            Action::PushPbb(_) => return Err(EncodeError::unsupported(version, "push_pbb action")),
            Action::PopPbb => return Err(EncodeError::unsupported(version, "pop_pbb action")),
            Action::Enqueue { .. } => {
                return Err(EncodeError::unsupported(
                    version,
                    "enqueue action (use set_queue and output)",
                ))
            }
            Action::SetTpSrc(p) if v11 => put_action(out, t11::SET_TP_SRC, 8, &p.to_be_bytes()),
            Action::SetTpDst(p) if v11 => put_action(out, t11::SET_TP_DST, 8, &p.to_be_bytes()),
            Action::SetTpSrc(_) => {
                return Err(EncodeError::unsupported(
                    version,
                    "set_tp_src action (use set_field of tcp/udp/sctp_src)",
                ))
            }
            Action::SetTpDst(_) => {
                return Err(EncodeError::unsupported(
                    version,
                    "set_tp_dst action (use set_field of tcp/udp/sctp_dst)",
                ))
            }
            Action::SetField(f) if v11 => {
                use OxmField as F;
                match f {
                    F::VlanVid { value, mask: None } => {
                        put_action(out, t11::SET_VLAN_VID, 8, &(value & 0xfff).to_be_bytes())
                    }
                    F::VlanPcp(p) => put_action(out, t11::SET_VLAN_PCP, 8, &[*p]),
                    F::EthSrc { value, mask: None } => put_action(out, t11::SET_DL_SRC, 16, value),
                    F::EthDst { value, mask: None } => put_action(out, t11::SET_DL_DST, 16, value),
                    F::Ipv4Src { value, mask: None } => {
                        put_action(out, t11::SET_NW_SRC, 8, &value.octets())
                    }
                    F::Ipv4Dst { value, mask: None } => {
                        put_action(out, t11::SET_NW_DST, 8, &value.octets())
                    }
                    F::IpDscp(d) => put_action(out, t11::SET_NW_TOS, 8, &[d << 2]),
                    F::IpEcn(e) => put_action(out, t11::SET_NW_ECN, 8, &[*e]),
                    F::TcpSrc(p) | F::UdpSrc(p) | F::SctpSrc(p) => {
                        put_action(out, t11::SET_TP_SRC, 8, &p.to_be_bytes())
                    }
                    F::TcpDst(p) | F::UdpDst(p) | F::SctpDst(p) => {
                        put_action(out, t11::SET_TP_DST, 8, &p.to_be_bytes())
                    }
                    F::MplsLabel(l) => put_action(out, t11::SET_MPLS_LABEL, 8, &l.to_be_bytes()),
                    F::MplsTc(tc) => put_action(out, t11::SET_MPLS_TC, 8, &[*tc]),
                    _ => {
                        return Err(EncodeError::unsupported(
                            version,
                            "set_field of a field no 1.1 action sets",
                        ))
                    }
                }
            }
            Action::SetField(f) => {
                let start = out.len();
                wire::put_u16(out, t::SET_FIELD);
                wire::put_u16(out, 0);
                f.encode(out)
                    .map_err(|what| EncodeError::unsupported(version, what))?;
                wire::pad_to_8(out, start);
                if !wire::patch_len16(out, start, 2) {
                    return Err(EncodeError::unsupported(
                        version,
                        "set_field longer than 65535 bytes",
                    ));
                }
            }
            Action::Experimenter { experimenter, data } => {
                encode_experimenter(version, *experimenter, data, out)?
            }
        }
        Ok(())
    }
}

fn encode_experimenter(
    version: Version,
    experimenter: u32,
    data: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let len = 8 + data.len();
    if !len.is_multiple_of(8) {
        return Err(EncodeError::unsupported(
            version,
            "experimenter action whose length is not a multiple of 8",
        ));
    }
    let len = u16::try_from(len).map_err(|_| {
        EncodeError::unsupported(version, "experimenter action longer than 65535 bytes")
    })?;
    wire::put_u16(out, t::EXPERIMENTER);
    wire::put_u16(out, len);
    wire::put_u32(out, experimenter);
    out.extend_from_slice(data);
    Ok(())
}

fn hex_bytes(data: &[u8]) -> String {
    let mut t = String::with_capacity(2 + 2 * data.len());
    t.push_str("0x");
    for b in data {
        t.push_str(&format!("{b:02x}"));
    }
    t
}

impl std::fmt::Display for Action {
    /// The action in the style of `ovs-ofctl` (`output:3`,
    /// `set_field:10.0.0.1->ipv4_dst`, `push_vlan:0x8100`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::port::format_port;
        match self {
            Action::Output { port, max_len } if *port == crate::port::OFPP_CONTROLLER => {
                write!(f, "output:CONTROLLER:{max_len}")
            }
            Action::Output { port, .. } => write!(f, "output:{}", format_port(*port)),
            Action::CopyTtlOut => f.write_str("copy_ttl_out"),
            Action::CopyTtlIn => f.write_str("copy_ttl_in"),
            Action::SetMplsTtl(t) => write!(f, "set_mpls_ttl:{t}"),
            Action::DecMplsTtl => f.write_str("dec_mpls_ttl"),
            Action::PushVlan(e) => write!(f, "push_vlan:{e:#06x}"),
            Action::PopVlan => f.write_str("pop_vlan"),
            Action::PushMpls(e) => write!(f, "push_mpls:{e:#06x}"),
            Action::PopMpls(e) => write!(f, "pop_mpls:{e:#06x}"),
            Action::SetQueue(q) => write!(f, "set_queue:{q}"),
            Action::Group(g) => write!(f, "group:{g}"),
            Action::SetNwTtl(t) => write!(f, "set_nw_ttl:{t}"),
            Action::DecNwTtl => f.write_str("dec_nw_ttl"),
            Action::SetField(field @ OxmField::Other { .. }) => write!(f, "set_field:{field}"),
            Action::SetField(field) => {
                write!(f, "set_field:{}->{}", field.value_text(), field.name())
            }
            Action::PushPbb(e) => write!(f, "push_pbb:{e:#06x}"),
            Action::PopPbb => f.write_str("pop_pbb"),
            Action::Enqueue { port, queue_id } => {
                write!(f, "enqueue:{}:{queue_id}", format_port(*port))
            }
            Action::SetTpSrc(p) => write!(f, "mod_tp_src:{p}"),
            Action::SetTpDst(p) => write!(f, "mod_tp_dst:{p}"),
            Action::Experimenter { experimenter, data } => {
                write!(
                    f,
                    "experimenter(id={experimenter:#010x},data={})",
                    hex_bytes(data)
                )
            }
        }
    }
}

/// Formats an action list as comma-separated actions (`drop` when empty).
pub fn format_actions(actions: &[Action]) -> String {
    if actions.is_empty() {
        return "drop".into();
    }
    actions
        .iter()
        .map(Action::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Proptest strategies for actions.
#[cfg(any(test, feature = "arbitrary"))]
pub mod strategies {
    use super::*;
    use crate::oxm::strategies::{arb_basic_field, arb_mac};
    use proptest::prelude::*;

    fn arb_experimenter() -> impl Strategy<Value = Action> {
        (any::<u32>(), 0usize..4, any::<[u8; 8]>()).prop_map(|(experimenter, n, bytes)| {
            let mut data = vec![0u8; 8 * n];
            if n > 0 {
                data[..8].copy_from_slice(&bytes);
            }
            Action::Experimenter { experimenter, data }
        })
    }

    /// Any action OpenFlow 1.2+ (1.3+ when `pbb`) can express, in the form
    /// its decoder gives.
    pub fn arb_action_oxm(pbb: bool) -> impl Strategy<Value = Action> {
        let common = prop_oneof![
            (any::<u32>(), any::<u16>())
                .prop_map(|(port, max_len)| Action::Output { port, max_len }),
            Just(Action::CopyTtlOut),
            Just(Action::CopyTtlIn),
            any::<u8>().prop_map(Action::SetMplsTtl),
            Just(Action::DecMplsTtl),
            any::<u16>().prop_map(Action::PushVlan),
            Just(Action::PopVlan),
            any::<u16>().prop_map(Action::PushMpls),
            any::<u16>().prop_map(Action::PopMpls),
            any::<u32>().prop_map(Action::SetQueue),
            any::<u32>().prop_map(Action::Group),
            any::<u8>().prop_map(Action::SetNwTtl),
            Just(Action::DecNwTtl),
            arb_basic_field().prop_map(Action::SetField),
            arb_experimenter(),
        ];
        let pbb_actions = prop_oneof![any::<u16>().prop_map(Action::PushPbb), Just(Action::PopPbb)];
        if pbb {
            prop_oneof![9 => common, 1 => pbb_actions].boxed()
        } else {
            common.boxed()
        }
    }

    fn port10() -> impl Strategy<Value = u32> {
        prop_oneof![
            0u32..0xff00,
            (0xff00u32..=0xffff).prop_map(|p| p | 0xffff_0000)
        ]
    }

    /// Any action OpenFlow 1.0 can express, in the form its decoder gives.
    pub fn arb_action_v10() -> impl Strategy<Value = Action> {
        prop_oneof![
            (port10(), any::<u16>()).prop_map(|(port, max_len)| Action::Output { port, max_len }),
            (0u16..0x1000).prop_map(|v| Action::SetField(OxmField::VlanVid {
                value: v | OFPVID_PRESENT,
                mask: None
            })),
            (0u8..8).prop_map(|p| Action::SetField(OxmField::VlanPcp(p))),
            Just(Action::PopVlan),
            arb_mac().prop_map(|value| Action::SetField(OxmField::EthSrc { value, mask: None })),
            arb_mac().prop_map(|value| Action::SetField(OxmField::EthDst { value, mask: None })),
            any::<u32>().prop_map(|v| Action::SetField(OxmField::Ipv4Src {
                value: v.into(),
                mask: None
            })),
            any::<u32>().prop_map(|v| Action::SetField(OxmField::Ipv4Dst {
                value: v.into(),
                mask: None
            })),
            (0u8..64).prop_map(|d| Action::SetField(OxmField::IpDscp(d))),
            any::<u16>().prop_map(Action::SetTpSrc),
            any::<u16>().prop_map(Action::SetTpDst),
            (port10(), any::<u32>())
                .prop_map(|(port, queue_id)| Action::Enqueue { port, queue_id }),
            arb_experimenter(),
        ]
    }

    /// Any action OpenFlow 1.1 can express, in the form its decoder gives.
    pub fn arb_action_v11() -> impl Strategy<Value = Action> {
        prop_oneof![
            arb_action_v10().prop_filter("no enqueue in 1.1", |a| !matches!(
                a,
                Action::Enqueue { .. }
            )),
            (0u8..4).prop_map(|e| Action::SetField(OxmField::IpEcn(e))),
            (0u32..1 << 20).prop_map(|l| Action::SetField(OxmField::MplsLabel(l))),
            (0u8..8).prop_map(|tc| Action::SetField(OxmField::MplsTc(tc))),
            arb_action_oxm(false)
                .prop_filter("no set_field in 1.1", |a| !matches!(a, Action::SetField(_))),
        ]
    }

    /// Any action `version` can express.
    pub fn arb_action(version: Version) -> BoxedStrategy<Action> {
        match version {
            Version::V1_0 => arb_action_v10().boxed(),
            Version::V1_1 => arb_action_v11().boxed(),
            Version::V1_2 => arb_action_oxm(false).boxed(),
            _ => arb_action_oxm(true).boxed(),
        }
    }

    /// A list of actions `version` can express.
    pub fn arb_actions(version: Version) -> impl Strategy<Value = Vec<Action>> {
        proptest::collection::vec(arb_action(version), 0..6)
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use crate::port::{OFPP_CONTROLLER, OFPP_FLOOD};
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    fn enc(actions: &[Action], v: Version) -> Vec<u8> {
        let mut out = vec![0xa5; 3];
        Action::encode_list(actions, v, &mut out).unwrap();
        assert_eq!(&out[..3], &[0xa5; 3]);
        out.split_off(3)
    }

    #[test]
    fn v10_hand_checked() {
        let actions = vec![
            Action::Output {
                port: OFPP_CONTROLLER,
                max_len: 128,
            },
            Action::SetField(OxmField::EthDst {
                value: [1, 2, 3, 4, 5, 6],
                mask: None,
            }),
            Action::SetField(OxmField::VlanVid {
                value: 0x1000 | 10,
                mask: None,
            }),
            Action::PopVlan,
            Action::SetField(OxmField::IpDscp(0x2e)),
            Action::Enqueue {
                port: 3,
                queue_id: 7,
            },
        ];
        let bytes = enc(&actions, Version::V1_0);
        assert_eq!(
            hex::encode(&bytes),
            concat!(
                "00000008fffd0080",
                "0005001001020304050600000000 0000",
                "00010008000a0000",
                "0003000800000000",
                "00080008b8000000",
                "000b001000030000000000000000 0007"
            )
            .replace(' ', "")
        );
        assert_eq!(Action::decode_list(Version::V1_0, &bytes).unwrap(), actions);
    }

    #[test]
    fn v11_hand_checked() {
        let actions = vec![
            Action::Output {
                port: OFPP_FLOOD,
                max_len: 0,
            },
            Action::SetField(OxmField::IpEcn(2)),
            Action::SetField(OxmField::MplsLabel(0x12345)),
            Action::SetTpDst(80),
            Action::Group(9),
        ];
        let bytes = enc(&actions, Version::V1_1);
        assert_eq!(
            hex::encode(&bytes),
            concat!(
                "00000010fffffffb0000000000000000",
                "0008000802000000",
                "000d000800012345",
                "000a000800500000",
                "0016000800000009"
            )
        );
        assert_eq!(Action::decode_list(Version::V1_1, &bytes).unwrap(), actions);
    }

    #[test]
    fn set_field_hand_checked() {
        let actions = vec![
            Action::SetField(OxmField::Ipv4Dst {
                value: Ipv4Addr::new(10, 0, 0, 1),
                mask: None,
            }),
            Action::PushPbb(0x88e7),
        ];
        let bytes = enc(&actions, Version::V1_3);
        assert_eq!(
            hex::encode(&bytes),
            "00190010800018040a00000100000000001a000888e70000"
        );
        assert_eq!(Action::decode_list(Version::V1_3, &bytes).unwrap(), actions);
        // push_pbb does not exist in 1.2.
        assert_eq!(
            Action::decode_list(Version::V1_2, &bytes).unwrap_err().kind,
            ErrorKind::BadActionType
        );
        assert!(Action::encode_list(&actions, Version::V1_2, &mut Vec::new()).is_err());
    }

    #[test]
    fn translations_that_cannot_be_expressed() {
        let err = |a: Action, v: Version| {
            let mut out = vec![1];
            let e = Action::encode_list(&[Action::PopVlan, a], v, &mut out).unwrap_err();
            assert_eq!(out, vec![1], "nothing written on error");
            e
        };
        assert_eq!(err(Action::Group(1), Version::V1_0).what, "group action");
        err(
            Action::SetField(OxmField::Ipv6Src {
                value: std::net::Ipv6Addr::LOCALHOST,
                mask: None,
            }),
            Version::V1_0,
        );
        err(Action::SetField(OxmField::IpEcn(1)), Version::V1_0);
        err(
            Action::SetField(OxmField::TunnelId {
                value: 1,
                mask: None,
            }),
            Version::V1_1,
        );
        err(
            Action::Enqueue {
                port: 1,
                queue_id: 1,
            },
            Version::V1_3,
        );
        err(Action::SetTpSrc(1), Version::V1_2);
        err(
            Action::Output {
                port: 0xff_0000,
                max_len: 0,
            },
            Version::V1_0,
        );
        err(
            Action::Experimenter {
                experimenter: 1,
                data: vec![1],
            },
            Version::V1_3,
        );
        // A set_field of vlan_vid sets the id whether or not OFPVID_PRESENT is given.
        assert_eq!(
            enc(
                &[Action::SetField(OxmField::VlanVid {
                    value: 100,
                    mask: None
                })],
                Version::V1_0
            ),
            hex::decode("0001000800640000").unwrap()
        );
        // Set-field actions that 1.0 can express translate back.
        assert_eq!(
            enc(&[Action::SetField(OxmField::UdpSrc(53))], Version::V1_0),
            hex::decode("0009000800350000").unwrap()
        );
    }

    #[test]
    fn text() {
        let actions = vec![
            Action::Output {
                port: 3,
                max_len: 0,
            },
            Action::Output {
                port: OFPP_CONTROLLER,
                max_len: 128,
            },
            Action::SetField(OxmField::Ipv4Dst {
                value: Ipv4Addr::new(10, 0, 0, 1),
                mask: None,
            }),
            Action::PushVlan(0x8100),
            Action::Enqueue {
                port: 1,
                queue_id: 2,
            },
            Action::Experimenter {
                experimenter: NX_VENDOR_ID,
                data: vec![0, 1],
            },
        ];
        assert_eq!(
            format_actions(&actions),
            "output:3,output:CONTROLLER:128,set_field:10.0.0.1->ipv4_dst,push_vlan:0x8100,\
             enqueue:1:2,experimenter(id=0x00002320,data=0x0001)"
        );
        assert_eq!(format_actions(&[]), "drop");
    }

    #[test]
    fn decode_errors() {
        let kind = |v: Version, b: &[u8]| Action::decode_list(v, b).unwrap_err().kind;
        // Zero length, short length, not a multiple of 8, past the input.
        assert_eq!(
            kind(Version::V1_3, &[0, 0, 0, 0, 0, 0, 0, 0]),
            ErrorKind::BadActionLen
        );
        assert_eq!(
            kind(Version::V1_3, &[0, 0x12, 0, 4]),
            ErrorKind::BadActionLen
        );
        assert_eq!(
            kind(Version::V1_3, &[0, 0x12, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0]),
            ErrorKind::BadActionLen
        );
        assert_eq!(
            kind(Version::V1_3, &[0, 0x12, 0, 16, 0, 0, 0, 0]),
            ErrorKind::BadActionLen
        );
        // Output with length 8 in 1.3.
        assert_eq!(
            kind(Version::V1_3, &[0, 0, 0, 8, 0, 0, 0, 1]),
            ErrorKind::BadActionLen
        );
        // Unknown types; 1.0 set_dl_src number in 1.3.
        assert_eq!(
            kind(Version::V1_3, &[0, 99, 0, 8, 0, 0, 0, 0]),
            ErrorKind::BadActionType
        );
        assert_eq!(
            kind(Version::V1_3, &[0, 4, 0, 8, 0, 0, 0, 0]),
            ErrorKind::BadActionType
        );
        assert_eq!(
            kind(Version::V1_0, &[0, 12, 0, 8, 0, 0, 0, 0]),
            ErrorKind::BadActionType
        );
        // Bad arguments.
        assert_eq!(
            kind(Version::V1_0, &[0, 1, 0, 8, 0x10, 0, 0, 0]),
            ErrorKind::BadActionArgument
        );
        assert_eq!(
            kind(Version::V1_0, &[0, 8, 0, 8, 0x03, 0, 0, 0]),
            ErrorKind::BadActionArgument
        );
        // set_field: truncated OXM, masked unmaskable field, too much padding.
        assert_eq!(
            kind(Version::V1_3, &[0, 25, 0, 8, 0x80, 0, 0, 8]),
            ErrorKind::BadSetLen
        );
        assert_eq!(
            kind(
                Version::V1_3,
                &[0, 25, 0, 16, 0x80, 0, 0x1b, 2, 0, 0xff, 0, 0, 0, 0, 0, 0]
            ),
            ErrorKind::BadSetArgument
        );
        assert_eq!(
            kind(
                Version::V1_3,
                &[&[0, 25, 0, 24, 0x80, 0, 0x0e, 1, 7][..], &[0; 15]].concat()
            ),
            ErrorKind::BadSetLen
        );
        // Experimenter without its id.
        assert_eq!(
            kind(Version::V1_0, &[0xff, 0xff, 0, 4]),
            ErrorKind::BadActionLen
        );
    }

    #[test]
    fn nicira_actions_are_kept() {
        // NXAST_RESUBMIT (subtype 1) to port 2, and NXAST_DEC_TTL (18), as
        // Open vSwitch writes them.
        let bytes = hex::decode(concat!(
            "ffff0010000023200001000200000000",
            "ffff0010000023200012000000000000"
        ))
        .unwrap();
        for v in Version::ALL {
            let actions = Action::decode_list(v, &bytes).unwrap();
            assert_eq!(actions.len(), 2);
            assert!(matches!(
                actions[0],
                Action::Experimenter {
                    experimenter: NX_VENDOR_ID,
                    ..
                }
            ));
            assert_eq!(enc(&actions, v), bytes);
        }
    }

    #[test]
    fn osken_golden_actions() {
        use crate::flow_match::tests::osken_packet;
        // of10 flow_mod: actions after the 72-byte fixed part.
        if let Some(msg) = osken_packet("of10/1-2-ofp_flow_mod.packet") {
            let acts = Action::decode_list(Version::V1_0, &msg[72..]).unwrap();
            assert_eq!(enc(&acts, Version::V1_0), &msg[72..]);
        }
        // Open vSwitch's 1.0 encodings of MPLS actions (Nicira), in flow-mods.
        for name in [
            "of10/ovs-ofctl-of10-action_dec_mpls_ttl.packet",
            "of10/ovs-ofctl-of10-action_pop_mpls.packet",
            "of10/ovs-ofctl-of10-action_push_mpls.packet",
            "of10/ovs-ofctl-of10-action_set_mpls_label.packet",
        ] {
            let Some(msg) = osken_packet(name) else {
                continue;
            };
            let acts = Action::decode_list(Version::V1_0, &msg[72..]).unwrap();
            assert!(!acts.is_empty());
            assert_eq!(enc(&acts, Version::V1_0), &msg[72..], "{name}");
        }
        // of13 packet_out: actions after the 24-byte fixed part.
        if let Some(msg) = osken_packet("of13/4-1-ofp_packet_out.packet") {
            let actions_len = usize::from(u16::from_be_bytes([msg[16], msg[17]]));
            let slice = &msg[24..24 + actions_len];
            let acts = Action::decode_list(Version::V1_3, slice).unwrap();
            assert_eq!(enc(&acts, Version::V1_3), slice);
        }
    }

    proptest! {
        #[test]
        fn round_trip(v in prop_oneof![Just(Version::V1_0), Just(Version::V1_1), Just(Version::V1_2), Just(Version::V1_3), Just(Version::V1_4)]
                      .prop_flat_map(|v| (Just(v), arb_actions(v)))) {
            let (v, actions) = v;
            let bytes = enc(&actions, v);
            prop_assert_eq!(bytes.len() % 8, 0);
            prop_assert_eq!(Action::decode_list(v, &bytes).unwrap(), actions);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            for v in Version::ALL {
                if let Ok(actions) = Action::decode_list(v, &bytes) {
                    let mut out = Vec::new();
                    prop_assert!(Action::encode_list(&actions, v, &mut out).is_ok());
                }
            }
        }
    }
}
