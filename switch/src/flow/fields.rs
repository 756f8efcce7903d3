//! [`Field`]: the OpenFlow basic (OXM) fields over a [`Flow`], and the
//! conversions between an OpenFlow [`Match`] and a key/mask pair.

use std::net::{Ipv4Addr, Ipv6Addr};

use openflow::flow_match::Match;
use openflow::oxm::OxmField;
use openflow::{DecodeError, EncodeError, ErrorKind, Version};

use super::key::{slot, Flow, Slot, VLAN_PRESENT};

/// Ethernet type of IPv4.
pub const ETH_TYPE_IPV4: u16 = 0x0800;
/// Ethernet type of ARP.
pub const ETH_TYPE_ARP: u16 = 0x0806;
/// Ethernet type of IPv6.
pub const ETH_TYPE_IPV6: u16 = 0x86dd;
/// Ethernet type of MPLS unicast.
pub const ETH_TYPE_MPLS: u16 = 0x8847;
/// Ethernet type of MPLS multicast.
pub const ETH_TYPE_MPLS_MCAST: u16 = 0x8848;
/// Ethernet type of PBB (802.1ah I-TAG).
pub const ETH_TYPE_PBB: u16 = 0x88e7;
/// IP protocol number of ICMP.
pub const IPPROTO_ICMP: u8 = 1;
/// IP protocol number of TCP.
pub const IPPROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const IPPROTO_UDP: u8 = 17;
/// IP protocol number of SCTP.
pub const IPPROTO_SCTP: u8 = 132;
/// IP protocol number of ICMPv6.
pub const IPPROTO_ICMPV6: u8 = 58;

/// Where a field lives in a [`Flow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// A bit range of one word.
    Bits(Slot),
    /// 128 bits from this word (high half first) and the next.
    Wide(usize),
}

macro_rules! fields {
    ($( $(#[$doc:meta])* $name:ident = $oxm:literal, $store:expr, $bits:literal, maskable: $mk:literal, settable: $st:literal; )*) => {
        /// One OpenFlow basic match field (`OFPXMC_OPENFLOW_BASIC`) of 1.3/1.4.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field {
            $( $(#[$doc])* $name, )*
        }

        impl Field {
            /// Every field, in OXM field-number order (the canonical order
            /// of a match a switch reports).
            pub const ALL: &'static [Field] = &[ $( Field::$name, )* ];

            /// The OXM field number (`oxm_field`).
            pub const fn oxm_field(self) -> u8 {
                match self { $( Field::$name => $oxm, )* }
            }

            /// Where the field is stored in a [`Flow`].
            pub const fn storage(self) -> Storage {
                match self { $( Field::$name => $store, )* }
            }

            /// The width in bits of the OpenFlow field.
            pub const fn bits(self) -> u32 {
                match self { $( Field::$name => $bits, )* }
            }

            /// True when OpenFlow allows a mask on this field.
            pub const fn maskable(self) -> bool {
                match self { $( Field::$name => $mk, )* }
            }

            /// True when a set-field action may write this field.
            pub const fn settable(self) -> bool {
                match self { $( Field::$name => $st, )* }
            }
        }
    };
}

use Storage::{Bits, Wide};

fields! {
    /// `in_port`.
    InPort = 0, Bits(slot::IN_PORT), 32, maskable: false, settable: true;
    /// `in_phy_port`.
    InPhyPort = 1, Bits(slot::IN_PHY_PORT), 32, maskable: false, settable: false;
    /// `metadata`.
    Metadata = 2, Bits(slot::METADATA), 64, maskable: true, settable: true;
    /// `eth_dst`.
    EthDst = 3, Bits(slot::ETH_DST), 48, maskable: true, settable: true;
    /// `eth_src`.
    EthSrc = 4, Bits(slot::ETH_SRC), 48, maskable: true, settable: true;
    /// `eth_type`.
    EthType = 5, Bits(slot::ETH_TYPE), 16, maskable: false, settable: true;
    /// `vlan_vid` (with `OFPVID_PRESENT`).
    VlanVid = 6, Bits(slot::VLAN_VID), 13, maskable: true, settable: true;
    /// `vlan_pcp`.
    VlanPcp = 7, Bits(slot::VLAN_PCP), 3, maskable: false, settable: true;
    /// `ip_dscp`.
    IpDscp = 8, Bits(slot::IP_DSCP), 6, maskable: false, settable: true;
    /// `ip_ecn`.
    IpEcn = 9, Bits(slot::IP_ECN), 2, maskable: false, settable: true;
    /// `ip_proto`.
    IpProto = 10, Bits(slot::IP_PROTO), 8, maskable: false, settable: true;
    /// `ipv4_src`.
    Ipv4Src = 11, Bits(slot::IPV4_SRC), 32, maskable: true, settable: true;
    /// `ipv4_dst`.
    Ipv4Dst = 12, Bits(slot::IPV4_DST), 32, maskable: true, settable: true;
    /// `tcp_src`.
    TcpSrc = 13, Bits(slot::TP_SRC), 16, maskable: false, settable: true;
    /// `tcp_dst`.
    TcpDst = 14, Bits(slot::TP_DST), 16, maskable: false, settable: true;
    /// `udp_src`.
    UdpSrc = 15, Bits(slot::TP_SRC), 16, maskable: false, settable: true;
    /// `udp_dst`.
    UdpDst = 16, Bits(slot::TP_DST), 16, maskable: false, settable: true;
    /// `sctp_src`.
    SctpSrc = 17, Bits(slot::TP_SRC), 16, maskable: false, settable: true;
    /// `sctp_dst`.
    SctpDst = 18, Bits(slot::TP_DST), 16, maskable: false, settable: true;
    /// `icmpv4_type`.
    Icmpv4Type = 19, Bits(slot::ICMP_TYPE), 8, maskable: false, settable: true;
    /// `icmpv4_code`.
    Icmpv4Code = 20, Bits(slot::ICMP_CODE), 8, maskable: false, settable: true;
    /// `arp_op`.
    ArpOp = 21, Bits(slot::ARP_OP), 16, maskable: false, settable: true;
    /// `arp_spa`.
    ArpSpa = 22, Bits(slot::IPV4_SRC), 32, maskable: true, settable: true;
    /// `arp_tpa`.
    ArpTpa = 23, Bits(slot::IPV4_DST), 32, maskable: true, settable: true;
    /// `arp_sha`.
    ArpSha = 24, Bits(slot::ND_SLL), 48, maskable: true, settable: true;
    /// `arp_tha`.
    ArpTha = 25, Bits(slot::ND_TLL), 48, maskable: true, settable: true;
    /// `ipv6_src`.
    Ipv6Src = 26, Wide(6), 128, maskable: true, settable: true;
    /// `ipv6_dst`.
    Ipv6Dst = 27, Wide(8), 128, maskable: true, settable: true;
    /// `ipv6_flabel`.
    Ipv6Flabel = 28, Bits(slot::IPV6_FLABEL), 20, maskable: true, settable: true;
    /// `icmpv6_type`.
    Icmpv6Type = 29, Bits(slot::ICMP_TYPE), 8, maskable: false, settable: true;
    /// `icmpv6_code`.
    Icmpv6Code = 30, Bits(slot::ICMP_CODE), 8, maskable: false, settable: true;
    /// `ipv6_nd_target`.
    Ipv6NdTarget = 31, Wide(14), 128, maskable: false, settable: true;
    /// `ipv6_nd_sll`.
    Ipv6NdSll = 32, Bits(slot::ND_SLL), 48, maskable: false, settable: true;
    /// `ipv6_nd_tll`.
    Ipv6NdTll = 33, Bits(slot::ND_TLL), 48, maskable: false, settable: true;
    /// `mpls_label`.
    MplsLabel = 34, Bits(slot::MPLS_LABEL), 20, maskable: false, settable: true;
    /// `mpls_tc`.
    MplsTc = 35, Bits(slot::MPLS_TC), 3, maskable: false, settable: true;
    /// `mpls_bos`.
    MplsBos = 36, Bits(slot::MPLS_BOS), 1, maskable: false, settable: true;
    /// `pbb_isid`.
    PbbIsid = 37, Bits(slot::PBB_ISID), 24, maskable: true, settable: true;
    /// `tunnel_id`.
    TunnelId = 38, Bits(slot::TUNNEL_ID), 64, maskable: true, settable: true;
    /// `ipv6_exthdr`.
    Ipv6Exthdr = 39, Bits(slot::IPV6_EXTHDR), 9, maskable: true, settable: false;
    /// `pbb_uca` (OpenFlow 1.4).
    PbbUca = 41, Bits(slot::PBB_UCA), 1, maskable: false, settable: true;
}

/// A value of `bits` ones.
const fn ones(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

fn mac(v: [u8; 6]) -> u128 {
    v.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b))
}

fn mac_bytes(v: u128) -> [u8; 6] {
    let b = v.to_be_bytes();
    let mut out = [0u8; 6];
    out.copy_from_slice(&b[10..16]);
    out
}

impl Field {
    /// The field's value in `flow`.
    pub fn get(self, flow: &Flow) -> u128 {
        stored(flow, self.storage())
    }

    /// Stores `v` (truncated to the field's width) in `flow`.
    pub fn set(self, flow: &mut Flow, v: u128) {
        let v = v & ones(self.bits());
        match self.storage() {
            // Truncation is fine: Bits slots are at most 64 bits wide and `v`
            // has been cut to the field width.
            Bits(s) => flow.set(s, v as u64),
            Wide(w) => flow.set128(w, v),
        }
    }

    /// Sets every bit of the field in `mask` (exact match on it).
    pub fn set_mask_all(self, mask: &mut Flow) {
        self.set(mask, u128::MAX);
    }

    /// The all-ones value of this field.
    pub const fn all_ones(self) -> u128 {
        ones(self.bits())
    }

    /// The field with OXM field number `n`.
    pub fn from_oxm_field(n: u8) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.oxm_field() == n)
    }

    /// True when the prerequisites of this field (OpenFlow 1.3 §7.2.3.8)
    /// hold for a packet with key `flow`.
    pub fn prereqs_met(self, flow: &Flow) -> bool {
        self.prereqs_met_masked(flow, &Flow::EXACT)
    }

    /// True when the prerequisites of this field hold for every packet
    /// matching `key` under `mask` (each field a prerequisite consults is
    /// matched exactly, on an allowed value).
    pub fn prereqs_met_masked(self, key: &Flow, mask: &Flow) -> bool {
        use Field::*;
        let exact = |f: Field| f.get(mask) == f.all_ones();
        let eth = |types: &[u16]| {
            exact(EthType) && types.iter().any(|t| u128::from(*t) == EthType.get(key))
        };
        let ip = || eth(&[ETH_TYPE_IPV4, ETH_TYPE_IPV6]);
        let proto = |p: u8| exact(IpProto) && IpProto.get(key) == u128::from(p);
        let icmpv6 = |types: &[u8]| {
            eth(&[ETH_TYPE_IPV6])
                && proto(IPPROTO_ICMPV6)
                && exact(Icmpv6Type)
                && types.iter().any(|t| u128::from(*t) == Icmpv6Type.get(key))
        };
        match self {
            InPort | Metadata | EthDst | EthSrc | EthType | VlanVid | TunnelId => true,
            InPhyPort => exact(InPort),
            VlanPcp => {
                let present = u128::from(VLAN_PRESENT);
                VlanVid.get(mask) & present != 0 && VlanVid.get(key) & present != 0
            }
            IpDscp | IpEcn | IpProto => ip(),
            Ipv4Src | Ipv4Dst => eth(&[ETH_TYPE_IPV4]),
            TcpSrc | TcpDst => ip() && proto(IPPROTO_TCP),
            UdpSrc | UdpDst => ip() && proto(IPPROTO_UDP),
            SctpSrc | SctpDst => ip() && proto(IPPROTO_SCTP),
            Icmpv4Type | Icmpv4Code => eth(&[ETH_TYPE_IPV4]) && proto(IPPROTO_ICMP),
            ArpOp | ArpSpa | ArpTpa | ArpSha | ArpTha => eth(&[ETH_TYPE_ARP]),
            Ipv6Src | Ipv6Dst | Ipv6Flabel | Ipv6Exthdr => eth(&[ETH_TYPE_IPV6]),
            Icmpv6Type | Icmpv6Code => eth(&[ETH_TYPE_IPV6]) && proto(IPPROTO_ICMPV6),
            Ipv6NdTarget => icmpv6(&[135, 136]),
            Ipv6NdSll => icmpv6(&[135]),
            Ipv6NdTll => icmpv6(&[136]),
            MplsLabel | MplsTc | MplsBos => eth(&[ETH_TYPE_MPLS, ETH_TYPE_MPLS_MCAST]),
            PbbIsid | PbbUca => eth(&[ETH_TYPE_PBB]),
        }
    }

    /// Splits a typed OXM entry into field, value and mask (`None` for an
    /// exact match). `None` for [`OxmField::Other`].
    pub fn from_oxm(f: &OxmField) -> Option<(Field, u128, Option<u128>)> {
        use OxmField as O;
        let v4 = |a: &Ipv4Addr| u128::from(u32::from(*a));
        let v6 = |a: &Ipv6Addr| u128::from(*a);
        Some(match f {
            O::InPort(v) => (Field::InPort, u128::from(*v), None),
            O::InPhyPort(v) => (Field::InPhyPort, u128::from(*v), None),
            O::Metadata { value, mask } => {
                (Field::Metadata, u128::from(*value), mask.map(u128::from))
            }
            O::EthDst { value, mask } => (Field::EthDst, mac(*value), mask.map(mac)),
            O::EthSrc { value, mask } => (Field::EthSrc, mac(*value), mask.map(mac)),
            O::EthType(v) => (Field::EthType, u128::from(*v), None),
            O::VlanVid { value, mask } => {
                (Field::VlanVid, u128::from(*value), mask.map(u128::from))
            }
            O::VlanPcp(v) => (Field::VlanPcp, u128::from(*v), None),
            O::IpDscp(v) => (Field::IpDscp, u128::from(*v), None),
            O::IpEcn(v) => (Field::IpEcn, u128::from(*v), None),
            O::IpProto(v) => (Field::IpProto, u128::from(*v), None),
            O::Ipv4Src { value, mask } => (Field::Ipv4Src, v4(value), mask.as_ref().map(v4)),
            O::Ipv4Dst { value, mask } => (Field::Ipv4Dst, v4(value), mask.as_ref().map(v4)),
            O::TcpSrc(v) => (Field::TcpSrc, u128::from(*v), None),
            O::TcpDst(v) => (Field::TcpDst, u128::from(*v), None),
            O::UdpSrc(v) => (Field::UdpSrc, u128::from(*v), None),
            O::UdpDst(v) => (Field::UdpDst, u128::from(*v), None),
            O::SctpSrc(v) => (Field::SctpSrc, u128::from(*v), None),
            O::SctpDst(v) => (Field::SctpDst, u128::from(*v), None),
            O::Icmpv4Type(v) => (Field::Icmpv4Type, u128::from(*v), None),
            O::Icmpv4Code(v) => (Field::Icmpv4Code, u128::from(*v), None),
            O::ArpOp(v) => (Field::ArpOp, u128::from(*v), None),
            O::ArpSpa { value, mask } => (Field::ArpSpa, v4(value), mask.as_ref().map(v4)),
            O::ArpTpa { value, mask } => (Field::ArpTpa, v4(value), mask.as_ref().map(v4)),
            O::ArpSha { value, mask } => (Field::ArpSha, mac(*value), mask.map(mac)),
            O::ArpTha { value, mask } => (Field::ArpTha, mac(*value), mask.map(mac)),
            O::Ipv6Src { value, mask } => (Field::Ipv6Src, v6(value), mask.as_ref().map(v6)),
            O::Ipv6Dst { value, mask } => (Field::Ipv6Dst, v6(value), mask.as_ref().map(v6)),
            O::Ipv6Flabel { value, mask } => {
                (Field::Ipv6Flabel, u128::from(*value), mask.map(u128::from))
            }
            O::Icmpv6Type(v) => (Field::Icmpv6Type, u128::from(*v), None),
            O::Icmpv6Code(v) => (Field::Icmpv6Code, u128::from(*v), None),
            O::Ipv6NdTarget(v) => (Field::Ipv6NdTarget, v6(v), None),
            O::Ipv6NdSll(v) => (Field::Ipv6NdSll, mac(*v), None),
            O::Ipv6NdTll(v) => (Field::Ipv6NdTll, mac(*v), None),
            O::MplsLabel(v) => (Field::MplsLabel, u128::from(*v), None),
            O::MplsTc(v) => (Field::MplsTc, u128::from(*v), None),
            O::MplsBos(v) => (Field::MplsBos, u128::from(*v), None),
            O::PbbIsid { value, mask } => {
                (Field::PbbIsid, u128::from(*value), mask.map(u128::from))
            }
            O::TunnelId { value, mask } => {
                (Field::TunnelId, u128::from(*value), mask.map(u128::from))
            }
            O::Ipv6Exthdr { value, mask } => {
                (Field::Ipv6Exthdr, u128::from(*value), mask.map(u128::from))
            }
            O::PbbUca(v) => (Field::PbbUca, u128::from(*v), None),
            O::Other { .. } => return None,
        })
    }

    /// The typed OXM entry for this field with `value` and `mask` (`None`
    /// for exact; ignored on unmaskable fields). Values are cut to the
    /// field width.
    pub fn to_oxm(self, value: u128, mask: Option<u128>) -> OxmField {
        use OxmField as O;
        let value = value & self.all_ones();
        let mask = if self.maskable() {
            mask.map(|m| m & self.all_ones())
        } else {
            None
        };
        // Truncations below are intended: the value fits the field width.
        let u = value as u64;
        let v4 = |x: u128| Ipv4Addr::from(x as u32);
        let v6 = Ipv6Addr::from;
        match self {
            Field::InPort => O::InPort(u as u32),
            Field::InPhyPort => O::InPhyPort(u as u32),
            Field::Metadata => O::Metadata {
                value: u,
                mask: mask.map(|m| m as u64),
            },
            Field::EthDst => O::EthDst {
                value: mac_bytes(value),
                mask: mask.map(mac_bytes),
            },
            Field::EthSrc => O::EthSrc {
                value: mac_bytes(value),
                mask: mask.map(mac_bytes),
            },
            Field::EthType => O::EthType(u as u16),
            Field::VlanVid => O::VlanVid {
                value: u as u16,
                mask: mask.map(|m| m as u16),
            },
            Field::VlanPcp => O::VlanPcp(u as u8),
            Field::IpDscp => O::IpDscp(u as u8),
            Field::IpEcn => O::IpEcn(u as u8),
            Field::IpProto => O::IpProto(u as u8),
            Field::Ipv4Src => O::Ipv4Src {
                value: v4(value),
                mask: mask.map(v4),
            },
            Field::Ipv4Dst => O::Ipv4Dst {
                value: v4(value),
                mask: mask.map(v4),
            },
            Field::TcpSrc => O::TcpSrc(u as u16),
            Field::TcpDst => O::TcpDst(u as u16),
            Field::UdpSrc => O::UdpSrc(u as u16),
            Field::UdpDst => O::UdpDst(u as u16),
            Field::SctpSrc => O::SctpSrc(u as u16),
            Field::SctpDst => O::SctpDst(u as u16),
            Field::Icmpv4Type => O::Icmpv4Type(u as u8),
            Field::Icmpv4Code => O::Icmpv4Code(u as u8),
            Field::ArpOp => O::ArpOp(u as u16),
            Field::ArpSpa => O::ArpSpa {
                value: v4(value),
                mask: mask.map(v4),
            },
            Field::ArpTpa => O::ArpTpa {
                value: v4(value),
                mask: mask.map(v4),
            },
            Field::ArpSha => O::ArpSha {
                value: mac_bytes(value),
                mask: mask.map(mac_bytes),
            },
            Field::ArpTha => O::ArpTha {
                value: mac_bytes(value),
                mask: mask.map(mac_bytes),
            },
            Field::Ipv6Src => O::Ipv6Src {
                value: v6(value),
                mask: mask.map(v6),
            },
            Field::Ipv6Dst => O::Ipv6Dst {
                value: v6(value),
                mask: mask.map(v6),
            },
            Field::Ipv6Flabel => O::Ipv6Flabel {
                value: u as u32,
                mask: mask.map(|m| m as u32),
            },
            Field::Icmpv6Type => O::Icmpv6Type(u as u8),
            Field::Icmpv6Code => O::Icmpv6Code(u as u8),
            Field::Ipv6NdTarget => O::Ipv6NdTarget(v6(value)),
            Field::Ipv6NdSll => O::Ipv6NdSll(mac_bytes(value)),
            Field::Ipv6NdTll => O::Ipv6NdTll(mac_bytes(value)),
            Field::MplsLabel => O::MplsLabel(u as u32),
            Field::MplsTc => O::MplsTc(u as u8),
            Field::MplsBos => O::MplsBos(u as u8),
            Field::PbbIsid => O::PbbIsid {
                value: u as u32,
                mask: mask.map(|m| m as u32),
            },
            Field::TunnelId => O::TunnelId {
                value: u,
                mask: mask.map(|m| m as u64),
            },
            Field::Ipv6Exthdr => O::Ipv6Exthdr {
                value: u as u16,
                mask: mask.map(|m| m as u16),
            },
            Field::PbbUca => O::PbbUca(u as u8),
        }
    }
}

/// The key and mask of an OpenFlow match: masked-out bits of the key are
/// zero; `vlan_vid` keeps its `OFPVID_PRESENT`/`OFPVID_NONE` meaning (the
/// key's bit 12 is "a tag is present").
///
/// Errors as OpenFlow 1.3 §7.2.3 asks (from [`Match::validate`]):
/// `BadField` for unknown or non-basic fields, `DupField`, `BadPrereq`,
/// `BadValue`, `BadWildcards`.
pub fn match_to_flow(m: &Match) -> Result<(Flow, Flow), DecodeError> {
    // Open vSwitch's tools may add `packet_type=(0,0)` (OpenFlow 1.5's
    // OXM_OF_PACKET_TYPE, class 0x8000 field 44) to matches of any version;
    // every packet of this datapath is Ethernet, so it matches everything.
    let filtered;
    let m = if m.fields.iter().any(is_ethernet_packet_type) {
        filtered = Match::new(
            m.fields
                .iter()
                .filter(|f| !is_ethernet_packet_type(f))
                .cloned()
                .collect(),
        );
        &filtered
    } else {
        m
    };
    m.validate()?;
    let mut key = Flow::ZERO;
    let mut mask = Flow::ZERO;
    for f in &m.fields {
        let Some((field, value, fmask)) = Field::from_oxm(f) else {
            return Err(DecodeError::new(
                ErrorKind::BadField,
                "match field not supported",
            ));
        };
        let fmask = fmask.unwrap_or(u128::MAX) & field.all_ones();
        field.set(&mut mask, fmask);
        field.set(&mut key, value & fmask);
    }
    Ok((key, mask))
}

/// Whether `f` is `packet_type=(0,0)`: Ethernet, in OpenFlow 1.5's
/// OXM_OF_PACKET_TYPE (class 0x8000, field 44).
fn is_ethernet_packet_type(f: &OxmField) -> bool {
    matches!(
        f,
        OxmField::Other { class: 0x8000, field: 44, hasmask: false, experimenter: None, payload }
            if payload.as_slice() == [0, 0, 0, 0]
    )
}

/// The OpenFlow match of `key` under `mask`, fields in OXM field-number
/// order, exact fields without a mask (what a switch puts in flow-stats
/// replies). Fields whose prerequisites the key/mask do not establish are
/// left out (a key/mask from [`match_to_flow`] never has any).
pub fn flow_to_match(key: &Flow, mask: &Flow) -> Match {
    MatchBuilder::default().build(key, mask).clone()
}

/// [`flow_to_match`] for many rules in a row (a flow dump): the match's
/// storage is reused, and so is, while the mask and the key's values of
/// the prerequisite fields stay the same (rules of one subtable share
/// them), the list of fields to put in the match, with where each lives.
/// [`MatchBuilder::encode`] goes further for OXM matches: it encodes
/// the list once and copies those bytes for every rule, with the rule's
/// values written in.
#[derive(Debug, Default)]
pub struct MatchBuilder {
    /// The mask and prerequisite values `fields` was made for.
    made_for: Option<(Flow, [u128; PREREQ_FIELDS.len()])>,
    /// The fields the match holds: where each lives, its mask, and
    /// whether that mask covers the field whole.
    fields: Vec<(Field, Storage, u128, bool)>,
    /// The last match built.
    built: Match,
    /// `fields` encoded for a version (`None` when that version's match
    /// is not OXM, or a field's value is not its bytes in order).
    template: Option<(Version, Option<OxmTemplate>)>,
}

/// An OXM match encoded with every value zero, and where each field's
/// value goes in it.
#[derive(Debug)]
struct OxmTemplate {
    bytes: Vec<u8>,
    /// Offset and width of each field's value, in the builder's order.
    values: Vec<(usize, usize)>,
}

impl OxmTemplate {
    /// The template of `fields` for `version`, if its match is OXM and
    /// every field's encoding is its value's low bytes, big-endian, at
    /// the place found (checked by encoding three probe values of each).
    fn new(fields: &[(Field, Storage, u128, bool)], version: Version) -> Option<OxmTemplate> {
        if version < Version::V1_2 {
            return None;
        }
        let generic = |value: &dyn Fn(u128) -> u128| {
            let oxm = fields
                .iter()
                .map(|&(f, _, m, whole)| f.to_oxm(value(m), (!whole).then_some(m)));
            let mut bytes = Vec::new();
            Match::new(oxm.collect()).encode(version, &mut bytes).ok()?;
            Some(bytes)
        };
        let bytes = generic(&|_| 0)?;
        // The TLVs follow the match's 4-byte type and length.
        let mut values = Vec::with_capacity(fields.len());
        let mut at = 4;
        for _ in fields {
            let header = bytes.get(at..at + 4)?;
            let experimenter = if header[..2] == [0xff, 0xff] { 4 } else { 0 };
            let copies = 1 + usize::from(header[2] & 1);
            let len = usize::from(header[3]);
            let width = len.checked_sub(experimenter)? / copies;
            if width > 16 || width * copies + experimenter != len {
                return None;
            }
            values.push((at + 4 + experimenter, width));
            at += 4 + len;
        }
        let template = OxmTemplate { bytes, values };
        let probes: [fn(u128) -> u128; 3] = [
            |m| m,
            |m| m & 0x5a5a_5a5a_5a5a_5a5a_5a5a_5a5a_5a5a_5a5a,
            |m| m & 0xa5c3_0f96_a5c3_0f96_a5c3_0f96_a5c3_0f96,
        ];
        for probe in probes {
            let mut patched = Vec::new();
            template.put(fields.iter().map(|&(_, _, m, _)| probe(m)), &mut patched);
            if generic(&probe)? != patched {
                return None;
            }
        }
        Some(template)
    }

    /// Appends the template with `values` (one a field, in order) written
    /// in.
    #[inline]
    fn put(&self, values: impl Iterator<Item = u128>, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&self.bytes);
        let encoded = &mut out[start..];
        for (&(at, width), value) in self.values.iter().zip(values) {
            encoded[at..at + width].copy_from_slice(&value.to_be_bytes()[16 - width..]);
        }
    }
}

/// The fields whose key values decide other fields' prerequisites.
const PREREQ_FIELDS: [Field; 4] = [
    Field::EthType,
    Field::IpProto,
    Field::Icmpv6Type,
    Field::VlanVid,
];

/// Where each of [`PREREQ_FIELDS`] lives.
const PREREQ_STORAGE: [Storage; PREREQ_FIELDS.len()] = [
    PREREQ_FIELDS[0].storage(),
    PREREQ_FIELDS[1].storage(),
    PREREQ_FIELDS[2].storage(),
    PREREQ_FIELDS[3].storage(),
];

/// The value at `storage` of `flow`.
#[inline]
fn stored(flow: &Flow, storage: Storage) -> u128 {
    match storage {
        Bits(s) => u128::from(flow.get(s)),
        Wide(w) => flow.get128(w),
    }
}

impl MatchBuilder {
    /// The match of (`key`, `mask`), as [`flow_to_match`] gives it.
    pub fn build(&mut self, key: &Flow, mask: &Flow) -> &Match {
        self.prepare(key, mask, false);
        let out = &mut self.built.fields;
        out.clear();
        for &(f, storage, m, whole) in &self.fields {
            out.push(f.to_oxm(stored(key, storage) & m, (!whole).then_some(m)));
        }
        &self.built
    }

    /// Appends the match of (`key`, `mask`) encoded for `version`: the
    /// bytes `build(key, mask).encode(version, out)` appends. `same_mask`
    /// says that `mask` is the mask of the previous call, which is then
    /// not compared (a flow dump knows when consecutive rules share their
    /// subtable's mask).
    pub fn encode(
        &mut self,
        key: &Flow,
        mask: &Flow,
        same_mask: bool,
        version: Version,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        self.prepare(key, mask, same_mask);
        if self.template.as_ref().is_none_or(|(v, _)| *v != version) {
            self.template = Some((version, OxmTemplate::new(&self.fields, version)));
        }
        match &self.template {
            Some((_, Some(t))) => {
                let values = self.fields.iter().map(|&(_, s, m, _)| stored(key, s) & m);
                t.put(values, out);
                Ok(())
            }
            _ => self.build(key, mask).encode(version, out),
        }
    }

    /// Makes `fields` those of (`key`, `mask`) unless they already are.
    fn prepare(&mut self, key: &Flow, mask: &Flow, same_mask: bool) {
        debug_assert!(!same_mask || self.made_for.as_ref().is_none_or(|(m, _)| m == mask));
        let prereqs = PREREQ_STORAGE.map(|s| stored(key, s) & stored(mask, s));
        let current = self
            .made_for
            .as_ref()
            .is_some_and(|(m, p)| *p == prereqs && (same_mask || m == mask));
        if current {
            return;
        }
        self.fields.clear();
        for &f in Field::ALL {
            let m = f.get(mask);
            if m != 0 && f.prereqs_met_masked(key, mask) {
                self.fields.push((f, f.storage(), m, m == f.all_ones()));
            }
        }
        self.made_for = Some((*mask, prereqs));
        self.template = None;
    }
}

impl std::fmt::Display for Flow {
    /// The key as an exact OpenFlow match (`in_port=1,...,eth_type=0x0800,...`),
    /// for logs and diagnostics (allocates; not for the per-packet path).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", flow_to_match(self, &Flow::EXACT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openflow::oxm::OFPVID_PRESENT;
    use proptest::prelude::*;

    fn err(fields: Vec<OxmField>) -> ErrorKind {
        match_to_flow(&Match::new(fields)).unwrap_err().kind
    }

    #[test]
    fn display_is_the_exact_match() {
        let mut k = Flow::ZERO;
        Field::InPort.set(&mut k, 3);
        Field::EthType.set(&mut k, 0x0806);
        Field::ArpOp.set(&mut k, 2);
        let text = k.to_string();
        assert!(text.starts_with("in_port=3,"), "{text}");
        assert!(text.contains("eth_type=0x0806"), "{text}");
        assert!(text.contains("arp_op=2"), "{text}");
        assert!(!text.contains("tcp"), "{text}");
    }

    #[test]
    fn oxm_numbers_are_sorted_and_unique() {
        for pair in Field::ALL.windows(2) {
            assert!(pair[0].oxm_field() < pair[1].oxm_field());
        }
        assert_eq!(Field::from_oxm_field(12), Some(Field::Ipv4Dst));
        assert_eq!(Field::from_oxm_field(40), None);
    }

    #[test]
    fn match_errors() {
        assert_eq!(err(vec![OxmField::IpProto(6)]), ErrorKind::BadPrereq);
        assert_eq!(
            err(vec![OxmField::EthType(0x800), OxmField::EthType(0x800)]),
            ErrorKind::DupField
        );
        assert_eq!(
            err(vec![OxmField::Other {
                class: openflow::oxm::OFPXMC_OPENFLOW_BASIC,
                field: 40,
                hasmask: false,
                experimenter: None,
                payload: vec![0, 0],
            }]),
            ErrorKind::BadField
        );
        assert_eq!(
            err(vec![OxmField::Other {
                class: openflow::oxm::OFPXMC_NXM_1,
                field: 1,
                hasmask: false,
                experimenter: None,
                payload: vec![0, 0],
            }]),
            ErrorKind::BadField
        );
        assert_eq!(
            err(vec![OxmField::EthType(0x800), OxmField::TcpSrc(80)]),
            ErrorKind::BadPrereq
        );
        assert_eq!(
            err(vec![
                OxmField::EthType(0x86dd),
                OxmField::IpProto(58),
                OxmField::Icmpv6Type(135),
                OxmField::Ipv6NdTll([1; 6]),
            ]),
            ErrorKind::BadPrereq
        );
    }

    #[test]
    fn vlan_semantics() {
        // OFPVID_NONE: untagged only.
        let (k, m) = match_to_flow(&Match::new(vec![OxmField::VlanVid {
            value: 0,
            mask: None,
        }]))
        .unwrap();
        assert_eq!(m.vlan_tci(), 0x1fff);
        assert_eq!(k.vlan_tci(), 0);
        // OFPVID_PRESENT/OFPVID_PRESENT: any tag.
        let (k, m) = match_to_flow(&Match::new(vec![OxmField::VlanVid {
            value: OFPVID_PRESENT,
            mask: Some(OFPVID_PRESENT),
        }]))
        .unwrap();
        assert_eq!((k.vlan_tci(), m.vlan_tci()), (0x1000, 0x1000));
        // A VID and a PCP.
        let mt = Match::new(vec![
            OxmField::VlanVid {
                value: OFPVID_PRESENT | 10,
                mask: None,
            },
            OxmField::VlanPcp(5),
        ]);
        let (k, m) = match_to_flow(&mt).unwrap();
        assert_eq!(k.vlan_tci(), 0xb00a);
        assert_eq!(m.vlan_tci(), 0xffff);
        assert_eq!(flow_to_match(&k, &m), mt);
    }

    #[test]
    fn canonical_order_and_masks() {
        let m = Match::new(vec![
            OxmField::TcpDst(80),
            OxmField::IpProto(6),
            OxmField::Ipv4Dst {
                value: Ipv4Addr::new(10, 0, 0, 0),
                mask: Some(Ipv4Addr::new(255, 0, 0, 0)),
            },
            OxmField::Ipv4Src {
                value: Ipv4Addr::new(1, 2, 3, 4),
                mask: Some(Ipv4Addr::new(255, 255, 255, 255)),
            },
            OxmField::EthType(0x800),
            OxmField::InPort(3),
        ]);
        let (k, mk) = match_to_flow(&m).unwrap();
        assert_eq!(k.in_port(), 3);
        assert_eq!(k.get(slot::IPV4_DST), 0x0a00_0000);
        assert_eq!(mk.get(slot::IPV4_DST), 0xff00_0000);
        assert_eq!(k.get(slot::TP_DST), 80);
        let back = flow_to_match(&k, &mk);
        assert_eq!(
            back.fields,
            vec![
                OxmField::InPort(3),
                OxmField::EthType(0x800),
                OxmField::IpProto(6),
                OxmField::Ipv4Src {
                    value: Ipv4Addr::new(1, 2, 3, 4),
                    mask: None
                },
                OxmField::Ipv4Dst {
                    value: Ipv4Addr::new(10, 0, 0, 0),
                    mask: Some(Ipv4Addr::new(255, 0, 0, 0))
                },
                OxmField::TcpDst(80),
            ]
        );
    }

    /// Protocol shapes a generated match may take: (eth_type, ip_proto,
    /// icmpv6 type) with the fields they allow.
    fn allowed(eth: Option<u16>, proto: Option<u8>, icmp6: Option<u8>) -> Vec<Field> {
        Field::ALL
            .iter()
            .copied()
            .filter(|f| {
                let mut key = Flow::ZERO;
                let mut mask = Flow::ZERO;
                if let Some(e) = eth {
                    Field::EthType.set(&mut key, e.into());
                    Field::EthType.set_mask_all(&mut mask);
                }
                if let Some(p) = proto {
                    Field::IpProto.set(&mut key, p.into());
                    Field::IpProto.set_mask_all(&mut mask);
                }
                if let Some(t) = icmp6 {
                    Field::Icmpv6Type.set(&mut key, t.into());
                    Field::Icmpv6Type.set_mask_all(&mut mask);
                }
                Field::InPort.set_mask_all(&mut mask);
                Field::VlanVid.set(&mut key, u128::from(VLAN_PRESENT));
                Field::VlanVid.set_mask_all(&mut mask);
                f.prereqs_met_masked(&key, &mask)
            })
            .collect()
    }

    fn arb_shape() -> impl Strategy<Value = (Option<u16>, Option<u8>, Option<u8>)> {
        prop_oneof![
            Just((None, None, None)),
            Just((Some(0x0806), None, None)),
            Just((Some(0x8847), None, None)),
            Just((Some(0x88e7), None, None)),
            Just((Some(0x0800), None, None)),
            Just((Some(0x86dd), None, None)),
            prop::sample::select(vec![1u8, 6, 17, 132, 47]).prop_map(|p| (
                Some(0x0800),
                Some(p),
                None
            )),
            prop::sample::select(vec![6u8, 17, 132, 58]).prop_map(|p| (
                Some(0x86dd),
                Some(p),
                None
            )),
            prop::sample::select(vec![135u8, 136, 1]).prop_map(|t| (
                Some(0x86dd),
                Some(58),
                Some(t)
            )),
        ]
    }

    /// [`flow_to_match`] as the plain walk over every field it stands for.
    fn flow_to_match_fresh(key: &Flow, mask: &Flow) -> Match {
        let mut fields = Vec::new();
        for &f in Field::ALL {
            let m = f.get(mask);
            if m == 0 || !f.prereqs_met_masked(key, mask) {
                continue;
            }
            let omask = (m != f.all_ones()).then_some(m);
            fields.push(f.to_oxm(f.get(key) & m, omask));
        }
        Match::new(fields)
    }

    /// A valid key/mask: a shape, then a random subset of the fields it
    /// allows with random values and (where allowed) random masks.
    fn arb_key_mask() -> impl Strategy<Value = (Flow, Flow)> {
        arb_shape().prop_flat_map(|(eth, proto, icmp6)| {
            let fields = allowed(eth, proto, icmp6);
            let n = fields.len();
            (
                proptest::collection::vec(
                    (any::<bool>(), any::<u128>(), any::<u128>(), any::<bool>()),
                    n,
                ),
                Just(fields),
                Just((eth, proto, icmp6)),
            )
                .prop_map(|(picks, fields, (eth, proto, icmp6))| {
                    let mut key = Flow::ZERO;
                    let mut mask = Flow::ZERO;
                    let fixed = [
                        (Field::EthType, eth.map(u128::from)),
                        (Field::IpProto, proto.map(u128::from)),
                        (Field::Icmpv6Type, icmp6.map(u128::from)),
                    ];
                    for (f, v) in fixed {
                        if let Some(v) = v {
                            f.set(&mut key, v);
                            f.set_mask_all(&mut mask);
                        }
                    }
                    for ((take, v, m, full), f) in picks.into_iter().zip(fields) {
                        if !take || f.get(&mask) != 0 {
                            continue;
                        }
                        let m = if f.maskable() && !full { m } else { u128::MAX };
                        let m = m & f.all_ones();
                        if m == 0 {
                            continue;
                        }
                        f.set(&mut mask, m);
                        f.set(&mut key, v & m);
                    }
                    // Prerequisite pairs that the subset may have broken:
                    // in_phy_port needs in_port, vlan_pcp a present tag.
                    if Field::InPhyPort.get(&mask) != 0 {
                        Field::InPort.set_mask_all(&mut mask);
                    }
                    if Field::VlanPcp.get(&mask) != 0 {
                        Field::VlanVid.set_mask_all(&mut mask);
                        let vid = Field::VlanVid.get(&key) | u128::from(VLAN_PRESENT);
                        Field::VlanVid.set(&mut key, vid);
                    }
                    (key, mask)
                })
        })
    }

    /// Every field, whole and (where maskable) masked, is encoded from a
    /// template in OXM versions: the probes agree with the generic
    /// encoding for each.
    #[test]
    fn every_field_has_an_oxm_template() {
        for &f in Field::ALL {
            let mut masks = vec![f.all_ones()];
            if f.maskable() {
                masks.push(f.all_ones() & 0x00ff_f0f0_00ff_f0f0_00ff_f0f0_00ff_f0f0);
            }
            for m in masks {
                let fields = [(f, f.storage(), m, m == f.all_ones())];
                for v in [Version::V1_2, Version::V1_3, Version::V1_4] {
                    assert!(OxmTemplate::new(&fields, v).is_some(), "{f:?} {m:#x} {v:?}");
                }
                assert!(OxmTemplate::new(&fields, Version::V1_0).is_none());
            }
        }
    }

    proptest! {
        #[test]
        fn key_mask_round_trip((key, mask) in arb_key_mask()) {
            let m = flow_to_match(&key, &mask);
            prop_assert_eq!(m.validate(), Ok(()));
            let (k2, m2) = match_to_flow(&m).unwrap();
            prop_assert_eq!(k2, key);
            prop_assert_eq!(m2, mask);
            // And the match is canonical: converting again gives it back.
            prop_assert_eq!(flow_to_match(&k2, &m2), m);
        }

        /// One builder over a sequence of rules (same masks, other
        /// prerequisite values, other masks) gives what a fresh
        /// conversion gives for each.
        #[test]
        fn a_reused_builder_equals_fresh_conversions(
            rules in proptest::collection::vec(arb_key_mask(), 1..12),
            repeats in proptest::collection::vec(0usize..12, 0..12),
        ) {
            let mut builder = MatchBuilder::default();
            let order = (0..rules.len()).chain(repeats.into_iter().map(|i| i % rules.len()));
            for i in order {
                let (key, mask) = &rules[i];
                prop_assert_eq!(builder.build(key, mask), &flow_to_match_fresh(key, mask));
                // The same mask, another key: the list of fields is kept
                // only while the prerequisites' values agree.
                let mut other = *key;
                Field::EthType.set(&mut other, 0x86dd);
                let other = other.and(mask);
                let fresh = flow_to_match_fresh(&other, mask);
                prop_assert_eq!(builder.build(&other, mask), &fresh);
            }
        }

        /// The encoded match equals the built match's encoding, in every
        /// version, for one builder over rules of other masks and
        /// prerequisites, with the mask hint given whenever it holds.
        #[test]
        fn encoded_matches_equal_the_built_ones(
            rules in proptest::collection::vec(arb_key_mask(), 1..8),
            order in proptest::collection::vec(0usize..8, 1..24),
        ) {
            for v in [Version::V1_0, Version::V1_1, Version::V1_2, Version::V1_3, Version::V1_4] {
                let mut builder = MatchBuilder::default();
                let mut last_mask = None;
                for &i in &order {
                    let (key, mask) = &rules[i % rules.len()];
                    let mut want = Vec::new();
                    let fresh = flow_to_match_fresh(key, mask);
                    let want_ok = fresh.encode(v, &mut want);
                    let mut got = Vec::new();
                    let same = last_mask == Some(*mask);
                    let got_ok = builder.encode(key, mask, same, v, &mut got);
                    prop_assert_eq!(got_ok.is_ok(), want_ok.is_ok());
                    prop_assert_eq!(&got, &want, "{:?} {}", v, fresh);
                    last_mask = got_ok.is_ok().then_some(*mask);
                }
            }
        }

        #[test]
        fn generated_matches_convert_or_fail_cleanly(
            m in openflow::flow_match::strategies::arb_oxm_match()
        ) {
            match match_to_flow(&m) {
                Ok((k, mk)) => {
                    prop_assert_eq!(k.and(&mk), k);
                    let back = flow_to_match(&k, &mk);
                    prop_assert_eq!(match_to_flow(&back).unwrap(), (k, mk));
                }
                Err(e) => match m.validate() {
                    // Validation's own verdict, or a non-basic field.
                    Err(v) => prop_assert_eq!(e, v),
                    Ok(()) => prop_assert_eq!(e.kind, ErrorKind::BadField),
                },
            }
        }
    }
}
