//! OXM TLVs (OpenFlow 1.2+ `ofp_oxm` entries): the match fields of
//! OpenFlow 1.2–1.4 and the payload of `OFPAT_SET_FIELD`.
//!
//! An OXM entry is a 32-bit header (class u16, field u7, hasmask u1,
//! length u8) followed by `length` payload bytes: the value, then the mask of
//! the same width when `hasmask` is set. Entries of class
//! `OFPXMC_EXPERIMENTER` (0xFFFF) carry a 32-bit experimenter id as the first
//! four payload bytes.
//!
//! [`OxmField`] is a typed view of every `OFPXMC_OPENFLOW_BASIC` field of
//! OpenFlow 1.3 and 1.4 (masks only where the spec allows them). Other
//! classes (NXM 0x0000/0x0001, experimenter 0xFFFF) and basic fields this
//! crate does not know are kept as [`OxmField::Other`], whose bytes re-encode
//! exactly. [`OxmId`] is a header alone, as listed in table-features
//! properties.
//!
//! Decoding checks structure only (lengths, masks on unmaskable fields);
//! semantic checks (prerequisites, duplicates, value bits outside the mask)
//! are in [`crate::flow_match::Match::validate`].

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{DecodeError, ErrorKind};
use crate::wire;

/// `OFPXMC_NXM_0`: Nicira extensible match, class 0.
pub const OFPXMC_NXM_0: u16 = 0x0000;
/// `OFPXMC_NXM_1`: Nicira extensible match, class 1.
pub const OFPXMC_NXM_1: u16 = 0x0001;
/// `OFPXMC_OPENFLOW_BASIC`: the class of the spec-defined fields.
pub const OFPXMC_OPENFLOW_BASIC: u16 = 0x8000;
/// `OFPXMC_EXPERIMENTER`: experimenter class (a 32-bit experimenter id follows the header).
pub const OFPXMC_EXPERIMENTER: u16 = 0xFFFF;

/// `OFPVID_PRESENT`: bit of `vlan_vid` saying a VLAN tag is present.
pub const OFPVID_PRESENT: u16 = 0x1000;
/// `OFPVID_NONE`: `vlan_vid` value matching packets without a VLAN tag.
pub const OFPVID_NONE: u16 = 0x0000;

/// A fixed-width value carried in an OXM payload (big-endian on the wire).
trait OxmScalar: Sized + Copy {
    /// Reads the value from its `W` wire bytes.
    fn read<const W: usize>(bytes: &[u8; W]) -> Self;
    /// The value as `W` big-endian bytes (high bytes beyond the width are
    /// dropped).
    fn to_wire<const W: usize>(&self) -> [u8; W];
}

macro_rules! int_scalar {
    ($($t:ty),*) => {$(
        impl OxmScalar for $t {
            #[inline(always)]
            fn read<const W: usize>(bytes: &[u8; W]) -> Self {
                let mut be = [0u8; size_of::<$t>()];
                be[size_of::<$t>() - W..].copy_from_slice(bytes);
                <$t>::from_be_bytes(be)
            }
            #[inline(always)]
            fn to_wire<const W: usize>(&self) -> [u8; W] {
                let mut wire = [0u8; W];
                wire.copy_from_slice(&self.to_be_bytes()[size_of::<$t>() - W..]);
                wire
            }
        }
    )*};
}
int_scalar!(u8, u16, u32, u64);

impl OxmScalar for [u8; 6] {
    #[inline(always)]
    fn read<const W: usize>(bytes: &[u8; W]) -> Self {
        let mut v = [0u8; 6];
        v.copy_from_slice(bytes);
        v
    }
    #[inline(always)]
    fn to_wire<const W: usize>(&self) -> [u8; W] {
        let mut wire = [0u8; W];
        wire.copy_from_slice(self);
        wire
    }
}

impl OxmScalar for Ipv4Addr {
    #[inline(always)]
    fn read<const W: usize>(bytes: &[u8; W]) -> Self {
        Ipv4Addr::from(u32::read(bytes))
    }
    #[inline(always)]
    fn to_wire<const W: usize>(&self) -> [u8; W] {
        u32::from(*self).to_wire()
    }
}

impl OxmScalar for Ipv6Addr {
    #[inline(always)]
    fn read<const W: usize>(bytes: &[u8; W]) -> Self {
        let mut v = [0u8; 16];
        v.copy_from_slice(bytes);
        Ipv6Addr::from(v)
    }
    #[inline(always)]
    fn to_wire<const W: usize>(&self) -> [u8; W] {
        let mut wire = [0u8; W];
        wire.copy_from_slice(&self.octets());
        wire
    }
}

/// The header word of a basic field.
const fn basic_header(field: u8, hasmask: bool, length: u8) -> u32 {
    ((OFPXMC_OPENFLOW_BASIC as u32) << 16)
        | ((field as u32 & 0x7f) << 9)
        | ((hasmask as u32) << 8)
        | length as u32
}

/// Bits of `value` set where `mask` is clear (nonzero means the value is
/// inconsistent with its mask).
trait MaskCheck {
    fn outside(&self, mask: &Self) -> bool;
}
macro_rules! int_mask_check {
    ($($t:ty),*) => {$(
        impl MaskCheck for $t {
            fn outside(&self, mask: &Self) -> bool { self & !mask != 0 }
        }
    )*};
}
int_mask_check!(u16, u32, u64);
impl MaskCheck for [u8; 6] {
    fn outside(&self, mask: &Self) -> bool {
        self.iter().zip(mask).any(|(v, m)| v & !m != 0)
    }
}
impl MaskCheck for Ipv4Addr {
    fn outside(&self, mask: &Self) -> bool {
        u32::from(*self) & !u32::from(*mask) != 0
    }
}
impl MaskCheck for Ipv6Addr {
    fn outside(&self, mask: &Self) -> bool {
        u128::from(*self) & !u128::from(*mask) != 0
    }
}

macro_rules! oxm_fields {
    (
        masked { $( $(#[$mdoc:meta])* $mv:ident = $mid:literal : $mty:ty, $mw:literal; )* }
        plain { $( $(#[$pdoc:meta])* $pv:ident = $pid:literal : $pty:ty, $pw:literal; )* }
    ) => {
        /// One OXM match field (OpenFlow 1.2–1.4 `ofp_oxm`), typed for every
        /// `OFPXMC_OPENFLOW_BASIC` field of OpenFlow 1.3/1.4.
        ///
        /// Maskable fields carry `mask: Option<_>` (`Some` exactly when the
        /// wire entry has `hasmask` set, even for an all-ones mask, so the
        /// bytes re-encode identically). Values are host-order numbers;
        /// fields narrower than their Rust type (`pbb_isid`: 24 bits,
        /// `mpls_label`: 20 bits, `vlan_vid`: 13 bits) are encoded with their
        /// wire width.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum OxmField {
            $( $(#[$mdoc])* $mv {
                /// The value.
                value: $mty,
                /// The mask (1 bits are matched), when the entry has one.
                mask: Option<$mty>,
            }, )*
            $( $(#[$pdoc])* $pv($pty), )*
            /// Any other entry (NXM classes, experimenter class, basic fields
            /// this crate does not know), kept as bytes.
            Other {
                /// `oxm_class`.
                class: u16,
                /// `oxm_field` (7 bits).
                field: u8,
                /// `oxm_hasmask`.
                hasmask: bool,
                /// The experimenter id (class `OFPXMC_EXPERIMENTER` only).
                experimenter: Option<u32>,
                /// The payload after the header (and after the experimenter
                /// id): value then mask.
                payload: Vec<u8>,
            },
        }

        impl OxmField {
            /// The header of this entry (class, field, hasmask, payload length).
            pub fn id(&self) -> OxmId {
                match self {
                    $( OxmField::$mv { mask, .. } => OxmId {
                        class: OFPXMC_OPENFLOW_BASIC,
                        field: $mid,
                        hasmask: mask.is_some(),
                        length: if mask.is_some() { 2 * $mw } else { $mw },
                        experimenter: None,
                    }, )*
                    $( OxmField::$pv(_) => OxmId {
                        class: OFPXMC_OPENFLOW_BASIC,
                        field: $pid,
                        hasmask: false,
                        length: $pw,
                        experimenter: None,
                    }, )*
                    OxmField::Other { class, field, hasmask, experimenter, payload } => OxmId {
                        class: *class,
                        field: *field,
                        hasmask: *hasmask,
                        // Clamped: an over-long payload is refused by `encode_one`.
                        length: u8::try_from(payload.len() + if experimenter.is_some() { 4 } else { 0 })
                            .unwrap_or(u8::MAX),
                        experimenter: *experimenter,
                    },
                }
            }

            /// Appends the payload (value, then mask).
            fn put_payload(&self, out: &mut Vec<u8>) {
                match self {
                    $( OxmField::$mv { value, mask } => {
                        out.extend_from_slice(&value.to_wire::<$mw>());
                        if let Some(m) = mask {
                            out.extend_from_slice(&m.to_wire::<$mw>());
                        }
                    } )*
                    $( OxmField::$pv(value) => out.extend_from_slice(&value.to_wire::<$pw>()), )*
                    OxmField::Other { experimenter, payload, .. } => {
                        if let Some(e) = experimenter {
                            wire::put_u32(out, *e);
                        }
                        out.extend_from_slice(payload);
                    }
                }
            }

            /// Builds a basic field from its payload; `Ok(None)` for a field
            /// number this crate does not know. Each field's arm checks the
            /// mask (unmaskable fields: BAD_MASK) and then the exact length
            /// against its constant width before it reads, so the reads
            /// need no further checks.
            #[inline(always)]
            fn basic(field: u8, hasmask: bool, payload: &[u8]) -> Result<Option<OxmField>, DecodeError> {
                let len_err = || DecodeError::new(ErrorKind::BadMatchLen, "oxm length");
                Ok(Some(match field {
                    $( $mid => {
                        if payload.len() != $mw << u8::from(hasmask) {
                            return Err(len_err());
                        }
                        let (value, mask) = payload.split_first_chunk::<$mw>().ok_or_else(len_err)?;
                        let mask = match mask.first_chunk::<$mw>() {
                            Some(m) if hasmask => Some(<$mty as OxmScalar>::read(m)),
                            _ => None,
                        };
                        OxmField::$mv { value: <$mty as OxmScalar>::read(value), mask }
                    } )*
                    $( $pid => {
                        if hasmask {
                            return Err(DecodeError::new(ErrorKind::BadMask, "oxm mask on an unmaskable field"));
                        }
                        let value = <&[u8; $pw]>::try_from(payload).map_err(|_| len_err())?;
                        OxmField::$pv(<$pty as OxmScalar>::read(value))
                    } )*
                    _ => return Ok(None),
                }))
            }

            /// Appends this entry, header and payload, when it is a typed
            /// field; `false` (nothing written) for [`OxmField::Other`].
            #[inline(always)]
            fn encode_typed(&self, out: &mut Vec<u8>) -> bool {
                match self {
                    // Each entry is built on the stack and appended at once.
                    $( OxmField::$mv { value, mask: None } => {
                        let mut entry = [0u8; 4 + $mw];
                        entry[..4].copy_from_slice(&const { basic_header($mid, false, $mw) }.to_be_bytes());
                        entry[4..].copy_from_slice(&value.to_wire::<$mw>());
                        out.extend_from_slice(&entry);
                    }
                    OxmField::$mv { value, mask: Some(mask) } => {
                        let mut entry = [0u8; 4 + 2 * $mw];
                        entry[..4].copy_from_slice(&const { basic_header($mid, true, 2 * $mw) }.to_be_bytes());
                        entry[4..4 + $mw].copy_from_slice(&value.to_wire::<$mw>());
                        entry[4 + $mw..].copy_from_slice(&mask.to_wire::<$mw>());
                        out.extend_from_slice(&entry);
                    } )*
                    $( OxmField::$pv(value) => {
                        let mut entry = [0u8; 4 + $pw];
                        entry[..4].copy_from_slice(&const { basic_header($pid, false, $pw) }.to_be_bytes());
                        entry[4..].copy_from_slice(&value.to_wire::<$pw>());
                        out.extend_from_slice(&entry);
                    } )*
                    OxmField::Other { .. } => return false,
                }
                true
            }

            /// True when a masked field's value has 1 bits where its mask
            /// has 0 bits (OFPBMC_BAD_WILDCARDS in OpenFlow 1.3).
            pub fn value_outside_mask(&self) -> bool {
                match self {
                    $( OxmField::$mv { value, mask: Some(mask) } => value.outside(mask), )*
                    _ => false,
                }
            }
        }
    };
}

oxm_fields! {
    masked {
        /// `OXM_OF_METADATA`: table metadata.
        Metadata = 2: u64, 8;
        /// `OXM_OF_ETH_DST`: Ethernet destination address.
        EthDst = 3: [u8; 6], 6;
        /// `OXM_OF_ETH_SRC`: Ethernet source address.
        EthSrc = 4: [u8; 6], 6;
        /// `OXM_OF_VLAN_VID`: VLAN id with `OFPVID_PRESENT` (0x1000) when tagged.
        VlanVid = 6: u16, 2;
        /// `OXM_OF_IPV4_SRC`: IPv4 source address.
        Ipv4Src = 11: Ipv4Addr, 4;
        /// `OXM_OF_IPV4_DST`: IPv4 destination address.
        Ipv4Dst = 12: Ipv4Addr, 4;
        /// `OXM_OF_ARP_SPA`: ARP source IPv4 address.
        ArpSpa = 22: Ipv4Addr, 4;
        /// `OXM_OF_ARP_TPA`: ARP target IPv4 address.
        ArpTpa = 23: Ipv4Addr, 4;
        /// `OXM_OF_ARP_SHA`: ARP source hardware address.
        ArpSha = 24: [u8; 6], 6;
        /// `OXM_OF_ARP_THA`: ARP target hardware address.
        ArpTha = 25: [u8; 6], 6;
        /// `OXM_OF_IPV6_SRC`: IPv6 source address.
        Ipv6Src = 26: Ipv6Addr, 16;
        /// `OXM_OF_IPV6_DST`: IPv6 destination address.
        Ipv6Dst = 27: Ipv6Addr, 16;
        /// `OXM_OF_IPV6_FLABEL`: IPv6 flow label (20 bits).
        Ipv6Flabel = 28: u32, 4;
        /// `OXM_OF_PBB_ISID`: PBB I-SID (24 bits on the wire).
        PbbIsid = 37: u32, 3;
        /// `OXM_OF_TUNNEL_ID`: logical port metadata.
        TunnelId = 38: u64, 8;
        /// `OXM_OF_IPV6_EXTHDR`: IPv6 extension header pseudo-field (9 bits).
        Ipv6Exthdr = 39: u16, 2;
    }
    plain {
        /// `OXM_OF_IN_PORT`: ingress port (1.1+ port number space).
        InPort = 0: u32, 4;
        /// `OXM_OF_IN_PHY_PORT`: physical ingress port.
        InPhyPort = 1: u32, 4;
        /// `OXM_OF_ETH_TYPE`: Ethernet type.
        EthType = 5: u16, 2;
        /// `OXM_OF_VLAN_PCP`: VLAN priority (3 bits).
        VlanPcp = 7: u8, 1;
        /// `OXM_OF_IP_DSCP`: IP DSCP (6 bits).
        IpDscp = 8: u8, 1;
        /// `OXM_OF_IP_ECN`: IP ECN (2 bits).
        IpEcn = 9: u8, 1;
        /// `OXM_OF_IP_PROTO`: IP protocol.
        IpProto = 10: u8, 1;
        /// `OXM_OF_TCP_SRC`: TCP source port.
        TcpSrc = 13: u16, 2;
        /// `OXM_OF_TCP_DST`: TCP destination port.
        TcpDst = 14: u16, 2;
        /// `OXM_OF_UDP_SRC`: UDP source port.
        UdpSrc = 15: u16, 2;
        /// `OXM_OF_UDP_DST`: UDP destination port.
        UdpDst = 16: u16, 2;
        /// `OXM_OF_SCTP_SRC`: SCTP source port.
        SctpSrc = 17: u16, 2;
        /// `OXM_OF_SCTP_DST`: SCTP destination port.
        SctpDst = 18: u16, 2;
        /// `OXM_OF_ICMPV4_TYPE`: ICMP type.
        Icmpv4Type = 19: u8, 1;
        /// `OXM_OF_ICMPV4_CODE`: ICMP code.
        Icmpv4Code = 20: u8, 1;
        /// `OXM_OF_ARP_OP`: ARP opcode.
        ArpOp = 21: u16, 2;
        /// `OXM_OF_ICMPV6_TYPE`: ICMPv6 type.
        Icmpv6Type = 29: u8, 1;
        /// `OXM_OF_ICMPV6_CODE`: ICMPv6 code.
        Icmpv6Code = 30: u8, 1;
        /// `OXM_OF_IPV6_ND_TARGET`: target address of an ND message.
        Ipv6NdTarget = 31: Ipv6Addr, 16;
        /// `OXM_OF_IPV6_ND_SLL`: source link-layer address option of ND.
        Ipv6NdSll = 32: [u8; 6], 6;
        /// `OXM_OF_IPV6_ND_TLL`: target link-layer address option of ND.
        Ipv6NdTll = 33: [u8; 6], 6;
        /// `OXM_OF_MPLS_LABEL`: MPLS label (20 bits).
        MplsLabel = 34: u32, 4;
        /// `OXM_OF_MPLS_TC`: MPLS traffic class (3 bits).
        MplsTc = 35: u8, 1;
        /// `OXM_OF_MPLS_BOS`: MPLS bottom-of-stack bit (OpenFlow 1.3+).
        MplsBos = 36: u8, 1;
        /// `OXM_OF_PBB_UCA`: PBB UCA header bit (OpenFlow 1.4).
        PbbUca = 41: u8, 1;
    }
}

/// An OXM header alone: what table-features properties
/// (`OFPTFPT_MATCH`, `OFPTFPT_WILDCARDS`, ...) list, 4 bytes each, 8 for the
/// experimenter class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OxmId {
    /// `oxm_class`.
    pub class: u16,
    /// `oxm_field` (7 bits).
    pub field: u8,
    /// `oxm_hasmask`.
    pub hasmask: bool,
    /// `oxm_length`: payload length in bytes (for the experimenter class, the
    /// experimenter id's 4 bytes included).
    pub length: u8,
    /// The experimenter id following the header (class `OFPXMC_EXPERIMENTER` only).
    pub experimenter: Option<u32>,
}

impl OxmId {
    /// The 32-bit header word.
    pub fn header(&self) -> u32 {
        (u32::from(self.class) << 16)
            | (u32::from(self.field & 0x7f) << 9)
            | (u32::from(self.hasmask) << 8)
            | u32::from(self.length)
    }

    /// Splits a 32-bit header word (the experimenter id is left `None`).
    pub fn from_header(header: u32) -> OxmId {
        OxmId {
            class: (header >> 16) as u16,
            field: ((header >> 9) & 0x7f) as u8,
            hasmask: header & 0x100 != 0,
            length: (header & 0xff) as u8,
            experimenter: None,
        }
    }

    /// Decodes a list of OXM headers (4 bytes each, 8 with the experimenter
    /// id for class 0xFFFF), exactly the slice given.
    pub fn decode_list(bytes: &[u8]) -> Result<Vec<OxmId>, DecodeError> {
        let mut ids = Vec::with_capacity(bytes.len() / 4);
        let mut rest = bytes;
        while !rest.is_empty() {
            let (r, header) = wire::u32(rest, "oxm id")?;
            let mut id = OxmId::from_header(header);
            rest = r;
            if id.class == OFPXMC_EXPERIMENTER {
                let (r, exp) = wire::u32(rest, "oxm id experimenter")?;
                id.experimenter = Some(exp);
                rest = r;
            }
            ids.push(id);
        }
        Ok(ids)
    }

    /// Appends the headers (and experimenter ids) of `ids`.
    pub fn encode_list(ids: &[OxmId], out: &mut Vec<u8>) {
        for id in ids {
            wire::put_u32(out, id.header());
            if id.class == OFPXMC_EXPERIMENTER {
                wire::put_u32(out, id.experimenter.unwrap_or(0));
            }
        }
    }
}

impl OxmField {
    /// Decodes one OXM TLV at the start of `input`; returns it and the rest.
    pub fn decode(input: &[u8]) -> Result<(OxmField, &[u8]), DecodeError> {
        OxmField::decode_one(input)
    }

    /// [`OxmField::decode`], inlined into the list decoder.
    #[inline(always)]
    fn decode_one(input: &[u8]) -> Result<(OxmField, &[u8]), DecodeError> {
        let len_err = || DecodeError::new(ErrorKind::BadMatchLen, "oxm length");
        let (header, rest) = input.split_first_chunk::<4>().ok_or_else(len_err)?;
        let header = u32::from_be_bytes(*header);
        let (payload, rest) = rest
            .split_at_checked((header & 0xff) as usize)
            .ok_or_else(len_err)?;
        if header >> 16 == u32::from(OFPXMC_OPENFLOW_BASIC) {
            let field = ((header >> 9) & 0x7f) as u8;
            if let Some(f) = OxmField::basic(field, header & 0x100 != 0, payload)? {
                return Ok((f, rest));
            }
        }
        Ok((OxmField::other(header, payload)?, rest))
    }

    /// An entry kept as bytes (a class other than OPENFLOW_BASIC, or a basic
    /// field this crate does not know), from its header word and payload.
    #[cold]
    fn other(header: u32, payload: &[u8]) -> Result<OxmField, DecodeError> {
        let id = OxmId::from_header(header);
        let (experimenter, payload) = if id.class == OFPXMC_EXPERIMENTER {
            let (exp, payload) = payload
                .split_first_chunk::<4>()
                .ok_or(DecodeError::new(ErrorKind::BadMatchLen, "oxm length"))?;
            (Some(u32::from_be_bytes(*exp)), payload)
        } else {
            (None, payload)
        };
        Ok(OxmField::Other {
            class: id.class,
            field: id.field,
            hasmask: id.hasmask,
            experimenter,
            payload: payload.to_vec(),
        })
    }

    /// Appends this entry (header and payload). Fails only for an
    /// [`OxmField::Other`] whose payload does not fit the 8-bit length.
    #[inline(always)]
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), &'static str> {
        if self.encode_typed(out) {
            return Ok(());
        }
        self.encode_other(out)
    }

    /// [`OxmField::encode`] of an [`OxmField::Other`].
    #[cold]
    fn encode_other(&self, out: &mut Vec<u8>) -> Result<(), &'static str> {
        if let OxmField::Other {
            payload,
            experimenter,
            ..
        } = self
        {
            if payload.len() + if experimenter.is_some() { 4 } else { 0 } > usize::from(u8::MAX) {
                return Err("oxm payload longer than 255 bytes");
            }
        }
        wire::put_u32(out, self.id().header());
        self.put_payload(out);
        Ok(())
    }

    /// The encoded length of this entry (header included).
    pub fn wire_len(&self) -> usize {
        4 + usize::from(self.id().length)
    }

    /// Decodes bare OXM TLVs (no `ofp_match` header), exactly the slice given.
    pub fn decode_list(bytes: &[u8]) -> Result<Vec<OxmField>, DecodeError> {
        let mut fields = Vec::with_capacity(wire::count_tlvs(bytes, 3, 1, 4, 4));
        let mut rest = bytes;
        while !rest.is_empty() {
            let (f, r) = OxmField::decode_one(rest)?;
            fields.push(f);
            rest = r;
        }
        Ok(fields)
    }

    /// Appends bare OXM TLVs. An [`OxmField::Other`] whose payload exceeds
    /// 255 bytes (which no decoder produces) is written with its payload
    /// truncated to fit; use [`OxmField::encode`] to detect that case.
    pub fn encode_list(fields: &[OxmField], out: &mut Vec<u8>) {
        for f in fields {
            if f.encode(out).is_err() {
                let id = f.id();
                wire::put_u32(out, id.header());
                let start = out.len();
                f.put_payload(out);
                out.truncate(start + usize::from(id.length));
            }
        }
    }

    /// The OPENFLOW_BASIC field number (`OFPXMT_OFB_*`) of a typed field or
    /// of an unknown basic one; `None` for other classes.
    pub fn basic_field(&self) -> Option<u8> {
        let id = self.id();
        (id.class == OFPXMC_OPENFLOW_BASIC).then_some(id.field)
    }

    /// True for fields of class `OFPXMC_OPENFLOW_BASIC` that this crate
    /// decodes into a typed variant.
    pub fn is_typed(&self) -> bool {
        !matches!(self, OxmField::Other { .. })
    }

    /// The field's identity for duplicate detection: class, field number and
    /// experimenter id.
    pub fn key(&self) -> (u16, u8, Option<u32>) {
        let id = self.id();
        (id.class, id.field, id.experimenter)
    }
}

/// Formats a MAC address as `xx:xx:xx:xx:xx:xx`.
pub fn format_mac(mac: &[u8; 6]) -> String {
    let [a, b, c, d, e, f] = mac;
    format!("{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}")
}

impl OxmField {
    /// The field's name: the spec's `OXM_OF_*` name in lower case
    /// (`eth_dst`, `ipv4_src`), `oxm` for entries kept as bytes.
    pub fn name(&self) -> &'static str {
        use OxmField::*;
        match self {
            InPort(_) => "in_port",
            InPhyPort(_) => "in_phy_port",
            Metadata { .. } => "metadata",
            EthDst { .. } => "eth_dst",
            EthSrc { .. } => "eth_src",
            EthType(_) => "eth_type",
            VlanVid { .. } => "vlan_vid",
            VlanPcp(_) => "vlan_pcp",
            IpDscp(_) => "ip_dscp",
            IpEcn(_) => "ip_ecn",
            IpProto(_) => "ip_proto",
            Ipv4Src { .. } => "ipv4_src",
            Ipv4Dst { .. } => "ipv4_dst",
            TcpSrc(_) => "tcp_src",
            TcpDst(_) => "tcp_dst",
            UdpSrc(_) => "udp_src",
            UdpDst(_) => "udp_dst",
            SctpSrc(_) => "sctp_src",
            SctpDst(_) => "sctp_dst",
            Icmpv4Type(_) => "icmpv4_type",
            Icmpv4Code(_) => "icmpv4_code",
            ArpOp(_) => "arp_op",
            ArpSpa { .. } => "arp_spa",
            ArpTpa { .. } => "arp_tpa",
            ArpSha { .. } => "arp_sha",
            ArpTha { .. } => "arp_tha",
            Ipv6Src { .. } => "ipv6_src",
            Ipv6Dst { .. } => "ipv6_dst",
            Ipv6Flabel { .. } => "ipv6_flabel",
            Icmpv6Type(_) => "icmpv6_type",
            Icmpv6Code(_) => "icmpv6_code",
            Ipv6NdTarget(_) => "ipv6_nd_target",
            Ipv6NdSll(_) => "ipv6_nd_sll",
            Ipv6NdTll(_) => "ipv6_nd_tll",
            MplsLabel(_) => "mpls_label",
            MplsTc(_) => "mpls_tc",
            MplsBos(_) => "mpls_bos",
            PbbIsid { .. } => "pbb_isid",
            TunnelId { .. } => "tunnel_id",
            Ipv6Exthdr { .. } => "ipv6_exthdr",
            PbbUca(_) => "pbb_uca",
            Other { .. } => "oxm",
        }
    }

    /// The value (and `/mask`) as text, without the name: numbers in
    /// decimal, ethertypes, VLAN ids, metadata and other bit fields in hex,
    /// addresses in their usual notation.
    pub fn value_text(&self) -> String {
        use OxmField::*;
        fn masked<T>(value: &T, mask: &Option<T>, f: impl Fn(&T) -> String) -> String {
            match mask {
                Some(m) => format!("{}/{}", f(value), f(m)),
                None => f(value),
            }
        }
        let hex64 = |v: &u64| format!("{v:#x}");
        let hex32 = |v: &u32| format!("{v:#x}");
        let hex16 = |v: &u16| format!("{v:#06x}");
        let ip4 = |v: &Ipv4Addr| v.to_string();
        let ip6 = |v: &Ipv6Addr| v.to_string();
        match self {
            InPort(v) | InPhyPort(v) | MplsLabel(v) => v.to_string(),
            Metadata { value, mask } | TunnelId { value, mask } => masked(value, mask, hex64),
            EthDst { value, mask }
            | EthSrc { value, mask }
            | ArpSha { value, mask }
            | ArpTha { value, mask } => masked(value, mask, format_mac),
            EthType(v) => format!("{v:#06x}"),
            VlanVid { value, mask } | Ipv6Exthdr { value, mask } => masked(value, mask, hex16),
            VlanPcp(v) | IpDscp(v) | IpEcn(v) | IpProto(v) | Icmpv4Type(v) | Icmpv4Code(v)
            | Icmpv6Type(v) | Icmpv6Code(v) | MplsTc(v) | MplsBos(v) | PbbUca(v) => v.to_string(),
            Ipv4Src { value, mask }
            | Ipv4Dst { value, mask }
            | ArpSpa { value, mask }
            | ArpTpa { value, mask } => masked(value, mask, ip4),
            TcpSrc(v) | TcpDst(v) | UdpSrc(v) | UdpDst(v) | SctpSrc(v) | SctpDst(v) | ArpOp(v) => {
                v.to_string()
            }
            Ipv6Src { value, mask } | Ipv6Dst { value, mask } => masked(value, mask, ip6),
            Ipv6Flabel { value, mask } | PbbIsid { value, mask } => masked(value, mask, hex32),
            Ipv6NdTarget(v) => v.to_string(),
            Ipv6NdSll(v) | Ipv6NdTll(v) => format_mac(v),
            Other {
                class,
                field,
                hasmask,
                experimenter,
                payload,
            } => {
                let mut t = format!("class={class:#06x},field={field}");
                if let Some(e) = experimenter {
                    t.push_str(&format!(",experimenter={e:#010x}"));
                }
                if *hasmask {
                    t.push_str(",hasmask");
                }
                t.push_str(",payload=0x");
                for b in payload {
                    t.push_str(&format!("{b:02x}"));
                }
                t
            }
        }
    }
}

impl std::fmt::Display for OxmField {
    /// `name=value` or `name=value/mask` (`ipv4_src=10.0.0.0/255.0.0.0`);
    /// opaque entries as `oxm(class=...,field=...,payload=0x...)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OxmField::Other { .. } => write!(f, "oxm({})", self.value_text()),
            _ => write!(f, "{}={}", self.name(), self.value_text()),
        }
    }
}

/// Proptest strategies for OXM fields.
#[cfg(any(test, feature = "arbitrary"))]
pub mod strategies {
    use super::*;
    use proptest::prelude::*;

    /// Any MAC address.
    pub fn arb_mac() -> impl Strategy<Value = [u8; 6]> {
        any::<[u8; 6]>()
    }

    fn ipv4() -> impl Strategy<Value = Ipv4Addr> {
        any::<u32>().prop_map(Ipv4Addr::from)
    }

    fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
        any::<u128>().prop_map(Ipv6Addr::from)
    }

    /// Any typed OPENFLOW_BASIC field, with or without a mask where allowed,
    /// values within their wire width.
    pub fn arb_basic_field() -> impl Strategy<Value = OxmField> {
        prop_oneof![
            any::<u32>().prop_map(OxmField::InPort),
            any::<u32>().prop_map(OxmField::InPhyPort),
            (any::<u64>(), any::<Option<u64>>())
                .prop_map(|(value, mask)| OxmField::Metadata { value, mask }),
            (arb_mac(), proptest::option::of(arb_mac()))
                .prop_map(|(value, mask)| OxmField::EthDst { value, mask }),
            (arb_mac(), proptest::option::of(arb_mac()))
                .prop_map(|(value, mask)| OxmField::EthSrc { value, mask }),
            any::<u16>().prop_map(OxmField::EthType),
            (any::<u16>(), any::<Option<u16>>())
                .prop_map(|(value, mask)| OxmField::VlanVid { value, mask }),
            (0u8..8).prop_map(OxmField::VlanPcp),
            (0u8..64).prop_map(OxmField::IpDscp),
            (0u8..4).prop_map(OxmField::IpEcn),
            any::<u8>().prop_map(OxmField::IpProto),
            (ipv4(), proptest::option::of(ipv4()))
                .prop_map(|(value, mask)| OxmField::Ipv4Src { value, mask }),
            (ipv4(), proptest::option::of(ipv4()))
                .prop_map(|(value, mask)| OxmField::Ipv4Dst { value, mask }),
            any::<u16>().prop_map(OxmField::TcpSrc),
            any::<u16>().prop_map(OxmField::TcpDst),
            any::<u16>().prop_map(OxmField::UdpSrc),
            any::<u16>().prop_map(OxmField::UdpDst),
            any::<u16>().prop_map(OxmField::SctpSrc),
            any::<u16>().prop_map(OxmField::SctpDst),
            any::<u8>().prop_map(OxmField::Icmpv4Type),
            any::<u8>().prop_map(OxmField::Icmpv4Code),
            any::<u16>().prop_map(OxmField::ArpOp),
            (ipv4(), proptest::option::of(ipv4()))
                .prop_map(|(value, mask)| OxmField::ArpSpa { value, mask }),
            (ipv4(), proptest::option::of(ipv4()))
                .prop_map(|(value, mask)| OxmField::ArpTpa { value, mask }),
            (arb_mac(), proptest::option::of(arb_mac()))
                .prop_map(|(value, mask)| OxmField::ArpSha { value, mask }),
            (arb_mac(), proptest::option::of(arb_mac()))
                .prop_map(|(value, mask)| OxmField::ArpTha { value, mask }),
            (ipv6(), proptest::option::of(ipv6()))
                .prop_map(|(value, mask)| OxmField::Ipv6Src { value, mask }),
            (ipv6(), proptest::option::of(ipv6()))
                .prop_map(|(value, mask)| OxmField::Ipv6Dst { value, mask }),
            (0u32..1 << 20, proptest::option::of(0u32..1 << 20))
                .prop_map(|(value, mask)| OxmField::Ipv6Flabel { value, mask }),
            any::<u8>().prop_map(OxmField::Icmpv6Type),
            any::<u8>().prop_map(OxmField::Icmpv6Code),
            ipv6().prop_map(OxmField::Ipv6NdTarget),
            arb_mac().prop_map(OxmField::Ipv6NdSll),
            arb_mac().prop_map(OxmField::Ipv6NdTll),
            (0u32..1 << 20).prop_map(OxmField::MplsLabel),
            (0u8..8).prop_map(OxmField::MplsTc),
            (0u8..2).prop_map(OxmField::MplsBos),
            (0u32..1 << 24, proptest::option::of(0u32..1 << 24))
                .prop_map(|(value, mask)| OxmField::PbbIsid { value, mask }),
            (any::<u64>(), any::<Option<u64>>())
                .prop_map(|(value, mask)| OxmField::TunnelId { value, mask }),
            (0u16..512, proptest::option::of(0u16..512))
                .prop_map(|(value, mask)| OxmField::Ipv6Exthdr { value, mask }),
            (0u8..2).prop_map(OxmField::PbbUca),
        ]
    }

    /// An opaque entry of a non-basic class (NXM or experimenter).
    pub fn arb_other_field() -> impl Strategy<Value = OxmField> {
        prop_oneof![
            (
                0u16..2,
                0u8..128,
                any::<bool>(),
                proptest::collection::vec(any::<u8>(), 0..16)
            )
                .prop_map(|(class, field, hasmask, payload)| OxmField::Other {
                    class,
                    field,
                    hasmask,
                    experimenter: None,
                    payload,
                }),
            (
                0u8..128,
                any::<bool>(),
                any::<u32>(),
                proptest::collection::vec(any::<u8>(), 0..16)
            )
                .prop_map(|(field, hasmask, exp, payload)| OxmField::Other {
                    class: OFPXMC_EXPERIMENTER,
                    field,
                    hasmask,
                    experimenter: Some(exp),
                    payload,
                }),
        ]
    }

    /// Any OXM field, mostly typed basic ones.
    pub fn arb_oxm_field() -> impl Strategy<Value = OxmField> {
        prop_oneof![9 => arb_basic_field(), 1 => arb_other_field()]
    }

    /// Any OXM id.
    pub fn arb_oxm_id() -> impl Strategy<Value = OxmId> {
        (
            any::<u16>(),
            0u8..128,
            any::<bool>(),
            any::<u8>(),
            any::<u32>(),
        )
            .prop_map(|(class, field, hasmask, length, exp)| OxmId {
                class,
                field,
                hasmask,
                length,
                experimenter: (class == OFPXMC_EXPERIMENTER).then_some(exp),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use proptest::prelude::*;

    fn enc(fields: &[OxmField]) -> Vec<u8> {
        let mut out = vec![0xa5; 3];
        OxmField::encode_list(fields, &mut out);
        assert_eq!(&out[..3], &[0xa5; 3]);
        out.split_off(3)
    }

    #[test]
    fn hand_checked_bytes() {
        // OXM_OF_IN_PORT = 0x80000004, OXM_OF_ETH_DST_W = 0x8000070c,
        // OXM_OF_VLAN_VID = 0x80000c02, OXM_OF_PBB_ISID = 0x80004a03.
        let fields = vec![
            OxmField::InPort(6),
            OxmField::EthDst {
                value: [0xf2, 0x0b, 0xa4, 0x7d, 0xf8, 0xea],
                mask: Some([0xff; 6]),
            },
            OxmField::VlanVid {
                value: 0x1000 | 0x123,
                mask: None,
            },
            OxmField::PbbIsid {
                value: 0x00abcdef,
                mask: None,
            },
        ];
        let bytes = enc(&fields);
        assert_eq!(
            hex::encode(&bytes),
            concat!(
                "8000000400000006",
                "8000070cf20ba47df8eaffffffffffff",
                "80000c021123",
                "80004a03abcdef"
            )
        );
        assert_eq!(OxmField::decode_list(&bytes).unwrap(), fields);
    }

    #[test]
    fn other_classes_round_trip() {
        // NXM_NX_REG0 (0x00010004) and an experimenter field with id 0x4f4e4600.
        let bytes = hex::decode("000100040000002affff000a4f4e46000001020304ff").unwrap();
        let fields = OxmField::decode_list(&bytes).unwrap();
        assert_eq!(
            fields,
            vec![
                OxmField::Other {
                    class: OFPXMC_NXM_1,
                    field: 0,
                    hasmask: false,
                    experimenter: None,
                    payload: vec![0, 0, 0, 42],
                },
                OxmField::Other {
                    class: OFPXMC_EXPERIMENTER,
                    field: 0,
                    hasmask: false,
                    experimenter: Some(0x4f4e4600),
                    payload: vec![0, 1, 2, 3, 4, 0xff],
                },
            ]
        );
        assert_eq!(enc(&fields), bytes);
    }

    #[test]
    fn errors() {
        // Truncated header, truncated payload.
        assert_eq!(
            OxmField::decode_list(&[0x80, 0, 0]).unwrap_err().kind,
            ErrorKind::BadMatchLen
        );
        assert_eq!(
            OxmField::decode_list(&[0x80, 0, 0, 4, 0, 0])
                .unwrap_err()
                .kind,
            ErrorKind::BadMatchLen
        );
        // in_port with length 2.
        assert_eq!(
            OxmField::decode_list(&[0x80, 0, 0, 2, 0, 0])
                .unwrap_err()
                .kind,
            ErrorKind::BadMatchLen
        );
        // in_port with hasmask.
        assert_eq!(
            OxmField::decode_list(&[0x80, 0, 1, 8, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff])
                .unwrap_err()
                .kind,
            ErrorKind::BadMask
        );
        // Masked eth_dst with an unmasked length.
        assert_eq!(
            OxmField::decode_list(&[0x80, 0, 7, 6, 1, 2, 3, 4, 5, 6])
                .unwrap_err()
                .kind,
            ErrorKind::BadMatchLen
        );
        // Experimenter class shorter than its experimenter id.
        assert_eq!(
            OxmField::decode_list(&[0xff, 0xff, 0, 2, 0, 0])
                .unwrap_err()
                .kind,
            ErrorKind::BadMatchLen
        );
    }

    #[test]
    fn unknown_basic_field_is_kept() {
        let bytes = [0x80, 0x00, 40 << 1, 2, 0xbe, 0xef];
        let fields = OxmField::decode_list(&bytes).unwrap();
        assert_eq!(fields[0].basic_field(), Some(40));
        assert!(!fields[0].is_typed());
        assert_eq!(enc(&fields), bytes);
    }

    #[test]
    fn oxm_ids() {
        let bytes = hex::decode("80000004 8000070c ffff0108 00002320".replace(' ', "")).unwrap();
        let ids = OxmId::decode_list(&bytes).unwrap();
        assert_eq!(ids.len(), 3);
        assert_eq!(
            ids[1],
            OxmId {
                class: OFPXMC_OPENFLOW_BASIC,
                field: 3,
                hasmask: true,
                length: 12,
                experimenter: None
            }
        );
        assert_eq!(ids[2].experimenter, Some(0x2320));
        let mut out = vec![0xa5];
        OxmId::encode_list(&ids, &mut out);
        assert_eq!(&out[1..], &bytes[..]);
        assert!(OxmId::decode_list(&bytes[..6]).is_err());
        assert!(OxmId::decode_list(&bytes[..14]).is_err());
        assert_eq!(
            OxmField::EthDst {
                value: [0; 6],
                mask: Some([0; 6])
            }
            .id(),
            ids[1]
        );
    }

    #[test]
    fn text() {
        let f = OxmField::Ipv4Src {
            value: Ipv4Addr::new(10, 0, 0, 0),
            mask: Some(Ipv4Addr::new(255, 0, 0, 0)),
        };
        assert_eq!(f.to_string(), "ipv4_src=10.0.0.0/255.0.0.0");
        assert_eq!(OxmField::EthType(0x800).to_string(), "eth_type=0x0800");
        assert_eq!(
            OxmField::VlanVid {
                value: 0x1005,
                mask: None
            }
            .to_string(),
            "vlan_vid=0x1005"
        );
        assert_eq!(
            OxmField::EthDst {
                value: [0, 0x11, 0x22, 0x33, 0x44, 0x55],
                mask: None
            }
            .to_string(),
            "eth_dst=00:11:22:33:44:55"
        );
        assert_eq!(OxmField::TcpDst(80).to_string(), "tcp_dst=80");
        let other = OxmField::Other {
            class: OFPXMC_EXPERIMENTER,
            field: 42,
            hasmask: true,
            experimenter: Some(0x4f4e4600),
            payload: vec![0, 2, 0, 0x12],
        };
        assert_eq!(
            other.to_string(),
            "oxm(class=0xffff,field=42,experimenter=0x4f4e4600,hasmask,payload=0x00020012)"
        );
    }

    #[test]
    fn mask_consistency() {
        let ok = OxmField::Ipv4Src {
            value: Ipv4Addr::new(10, 0, 0, 0),
            mask: Some(Ipv4Addr::new(255, 0, 0, 0)),
        };
        let bad = OxmField::Ipv4Src {
            value: Ipv4Addr::new(10, 0, 0, 1),
            mask: Some(Ipv4Addr::new(255, 0, 0, 0)),
        };
        assert!(!ok.value_outside_mask());
        assert!(bad.value_outside_mask());
    }

    proptest! {
        #[test]
        fn round_trip(fields in proptest::collection::vec(arb_oxm_field(), 0..8)) {
            let bytes = enc(&fields);
            prop_assert_eq!(bytes.len(), fields.iter().map(OxmField::wire_len).sum::<usize>());
            prop_assert_eq!(OxmField::decode_list(&bytes).unwrap(), fields);
        }

        #[test]
        fn ids_round_trip(ids in proptest::collection::vec(arb_oxm_id(), 0..8)) {
            let mut out = Vec::new();
            OxmId::encode_list(&ids, &mut out);
            prop_assert_eq!(OxmId::decode_list(&out).unwrap(), ids);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(fields) = OxmField::decode_list(&bytes) {
                prop_assert_eq!(enc(&fields), bytes);
            }
        }
    }
}
