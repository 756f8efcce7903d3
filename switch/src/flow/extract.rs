//! Flow extraction: packet bytes to a [`Flow`] key and the [`Layout`] of its
//! headers.
//!
//! Parsing follows Open vSwitch's `flow_extract`: Ethernet, up to two VLAN
//! tags (0x8100 and 0x88a8, either order), then by Ethernet type MPLS (the
//! outermost entry in the key, the stack walked to its bottom), PBB
//! (I-TAG), ARP, IPv4 or IPv6 (extension headers walked), and TCP, UDP,
//! SCTP, ICMP, ICMPv6 with neighbour discovery. Every read goes through
//! bounds-checked slices and every loop has a fixed bound, so no input can
//! make it read out of bounds, allocate or loop long. A packet that is
//! truncated or malformed still yields the fields parsed before the fault,
//! with the fault as an [`Anomaly`] (for the caller to count and to send the
//! packet to the slow path or drop it).
//!
//! Only the first 65535 bytes are parsed (offsets in a [`Layout`] are 16
//! bits, as an mbuf segment's length is).

use super::fields::{
    ETH_TYPE_ARP, ETH_TYPE_IPV4, ETH_TYPE_IPV6, ETH_TYPE_MPLS, ETH_TYPE_MPLS_MCAST, ETH_TYPE_PBB,
    IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP,
};
use super::key::{slot, Flow, FRAG_ANY, FRAG_LATER, VLAN_PRESENT};

/// Ethernet type reported for 802.3 frames (length field below 0x600), as
/// Open vSwitch's `FLOW_DL_TYPE_NONE`.
pub const ETH_TYPE_NONE: u16 = 0x05ff;
/// TPID of an 802.1Q customer VLAN tag.
pub const TPID_8021Q: u16 = 0x8100;
/// TPID of an 802.1ad service VLAN tag.
pub const TPID_8021AD: u16 = 0x88a8;
/// VLAN tags parsed into the key (outer and inner).
pub const MAX_VLAN_TAGS: usize = 2;
/// MPLS label stack entries walked looking for the bottom of stack.
pub const MAX_MPLS_LABELS: usize = 16;
/// IPv6 extension headers walked before the upper-layer header.
pub const MAX_IPV6_EXT_HEADERS: usize = 8;
/// Neighbour-discovery options walked.
pub const MAX_ND_OPTIONS: usize = 16;
/// Bytes of a packet that are parsed.
pub const MAX_PARSED_LEN: usize = u16::MAX as usize;

/// `ipv6_exthdr` bit: "no next header" seen.
pub const IEH_NONEXT: u16 = 1 << 0;
/// `ipv6_exthdr` bit: ESP header.
pub const IEH_ESP: u16 = 1 << 1;
/// `ipv6_exthdr` bit: authentication header.
pub const IEH_AUTH: u16 = 1 << 2;
/// `ipv6_exthdr` bit: destination options header.
pub const IEH_DEST: u16 = 1 << 3;
/// `ipv6_exthdr` bit: fragment header.
pub const IEH_FRAG: u16 = 1 << 4;
/// `ipv6_exthdr` bit: routing header.
pub const IEH_ROUTER: u16 = 1 << 5;
/// `ipv6_exthdr` bit: hop-by-hop header.
pub const IEH_HOP: u16 = 1 << 6;
/// `ipv6_exthdr` bit: some header type repeated.
pub const IEH_UNREP: u16 = 1 << 7;
/// `ipv6_exthdr` bit: headers not in the order RFC 2460 §4.1 asks.
pub const IEH_UNSEQ: u16 = 1 << 8;

/// What the bytes at [`Layout::l3`] are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum L3Kind {
    /// Nothing parsed at L3.
    #[default]
    None,
    /// An IPv4 header (valid).
    Ipv4,
    /// An IPv6 header (valid).
    Ipv6,
    /// An Ethernet/IPv4 ARP packet.
    Arp,
    /// A PBB I-TAG TCI (4 bytes), then the customer frame.
    Pbb,
    /// Whatever follows the bottom MPLS label stack entry.
    MplsPayload,
}

/// Where the headers of a packet are: what the packet editor needs besides
/// the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    /// Offset of the Ethernet type (or 802.3 length) field after the VLAN
    /// tags; 0 when the Ethernet header is truncated.
    pub eth_type: u16,
    /// Offset of the outer VLAN tag (its TPID), when the packet has one.
    pub vlan: Option<u16>,
    /// Offset of the outermost MPLS label stack entry.
    pub mpls: Option<u16>,
    /// Offset of the L3 header (see [`Layout::l3_kind`]).
    pub l3: Option<u16>,
    /// What is at `l3`.
    pub l3_kind: L3Kind,
    /// Offset of the L4 header, when one of TCP, UDP, SCTP, ICMP, ICMPv6 was
    /// parsed whole (never for later fragments).
    pub l4: Option<u16>,
    /// End of the IP datagram (IP header offset plus its total length;
    /// bytes beyond are link padding). 0 when not IP.
    pub ip_end: u16,
    /// Offset of the 6-byte link-layer address of the ND SLL (solicitation)
    /// or TLL (advertisement) option.
    pub nd_lladdr: Option<u16>,
}

/// Why a packet could not be parsed whole (each is counted by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Anomaly {
    /// Shorter than an Ethernet header, or a VLAN tag cut short.
    TruncatedL2,
    /// An MPLS label stack cut short before its bottom entry.
    TruncatedMpls,
    /// More than [`MAX_MPLS_LABELS`] entries without a bottom of stack.
    TooManyMplsLabels,
    /// An IP, ARP or PBB header, or an IPv6 extension header, cut short (or
    /// an IP length beyond the packet).
    TruncatedL3,
    /// IP version not matching the Ethernet type.
    BadIpVersion,
    /// IPv4 header length below 20 bytes.
    BadIhl,
    /// IPv4 total length below the header length.
    IpTotalLengthBelowHeader,
    /// More than [`MAX_IPV6_EXT_HEADERS`] IPv6 extension headers.
    TooManyIpv6ExtHeaders,
    /// A TCP, UDP, SCTP, ICMP or ICMPv6 header cut short.
    TruncatedL4,
    /// TCP data offset below 5 words.
    BadTcpDataOffset,
    /// A malformed neighbour-discovery option (zero or excess length,
    /// repeated link-layer address).
    BadNdOption,
    /// More than [`MAX_ND_OPTIONS`] neighbour-discovery options.
    TooManyNdOptions,
    /// Longer than [`MAX_PARSED_LEN`] bytes (only the start was parsed).
    TooLong,
}

impl Anomaly {
    /// Every anomaly, in [`Anomaly::index`] order.
    pub const ALL: [Anomaly; 13] = [
        Anomaly::TruncatedL2,
        Anomaly::TruncatedMpls,
        Anomaly::TooManyMplsLabels,
        Anomaly::TruncatedL3,
        Anomaly::BadIpVersion,
        Anomaly::BadIhl,
        Anomaly::IpTotalLengthBelowHeader,
        Anomaly::TooManyIpv6ExtHeaders,
        Anomaly::TruncatedL4,
        Anomaly::BadTcpDataOffset,
        Anomaly::BadNdOption,
        Anomaly::TooManyNdOptions,
        Anomaly::TooLong,
    ];

    /// Position in [`Anomaly::ALL`] (an index into a counter array).
    pub fn index(self) -> usize {
        self as usize
    }

    /// A short name for counters and logs.
    pub fn name(self) -> &'static str {
        match self {
            Anomaly::TruncatedL2 => "truncated_l2",
            Anomaly::TruncatedMpls => "truncated_mpls",
            Anomaly::TooManyMplsLabels => "too_many_mpls_labels",
            Anomaly::TruncatedL3 => "truncated_l3",
            Anomaly::BadIpVersion => "bad_ip_version",
            Anomaly::BadIhl => "bad_ihl",
            Anomaly::IpTotalLengthBelowHeader => "ip_total_length_below_header",
            Anomaly::TooManyIpv6ExtHeaders => "too_many_ipv6_ext_headers",
            Anomaly::TruncatedL4 => "truncated_l4",
            Anomaly::BadTcpDataOffset => "bad_tcp_data_offset",
            Anomaly::BadNdOption => "bad_nd_option",
            Anomaly::TooManyNdOptions => "too_many_nd_options",
            Anomaly::TooLong => "too_long",
        }
    }
}

/// The result of [`extract`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extracted {
    /// The key.
    pub flow: Flow,
    /// Where the headers are.
    pub layout: Layout,
    /// Why parsing stopped early, if it did.
    pub anomaly: Option<Anomaly>,
}

fn be16(p: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([p[at], p[at + 1]])
}

fn be32(p: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([p[at], p[at + 1], p[at + 2], p[at + 3]])
}

fn be48(p: &[u8], at: usize) -> u64 {
    p[at..at + 6]
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

fn be128(p: &[u8], at: usize) -> u128 {
    p[at..at + 16]
        .iter()
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b))
}

/// Offsets fit 16 bits: the parsed bytes are at most [`MAX_PARSED_LEN`].
fn off16(at: usize) -> u16 {
    u16::try_from(at).unwrap_or(u16::MAX)
}

/// Parses `pkt` received on OpenFlow port `in_port` (also stored as
/// `in_phy_port`). Never panics, never reads beyond `pkt`, never allocates.
pub fn extract(pkt: &[u8], in_port: u32) -> Extracted {
    let mut flow = Flow::ZERO;
    let mut layout = Layout::default();
    let anomaly = extract_into(pkt, in_port, &mut flow, &mut layout);
    Extracted {
        flow,
        layout,
        anomaly,
    }
}

/// [`extract`] into caller-owned storage (a PMD's per-burst key array):
/// `flow` and `layout` are overwritten whole. Returns the anomaly, if any.
pub fn extract_into(
    pkt: &[u8],
    in_port: u32,
    flow: &mut Flow,
    layout: &mut Layout,
) -> Option<Anomaly> {
    *flow = Flow::ZERO;
    *layout = Layout::default();
    flow.set(slot::IN_PORT, u64::from(in_port));
    flow.set(slot::IN_PHY_PORT, u64::from(in_port));
    let (p, too_long) = if pkt.len() > MAX_PARSED_LEN {
        (&pkt[..MAX_PARSED_LEN], true)
    } else {
        (pkt, false)
    };
    parse_l2(p, flow, layout)
        .err()
        .or(too_long.then_some(Anomaly::TooLong))
}

fn parse_l2(p: &[u8], flow: &mut Flow, layout: &mut Layout) -> Result<(), Anomaly> {
    if p.len() < 14 {
        return Err(Anomaly::TruncatedL2);
    }
    flow.set(slot::ETH_DST, be48(p, 0));
    flow.set(slot::ETH_SRC, be48(p, 6));
    let mut off = 12;
    let mut ty = be16(p, off);
    for tag in 0..MAX_VLAN_TAGS {
        if ty != TPID_8021Q && ty != TPID_8021AD {
            break;
        }
        if p.len() < off + 6 {
            return Err(Anomaly::TruncatedL2);
        }
        let tci = u64::from((be16(p, off + 2) & !VLAN_PRESENT) | VLAN_PRESENT);
        if tag == 0 {
            flow.set(slot::VLAN_TCI, tci);
            layout.vlan = Some(off16(off));
        } else {
            flow.set(slot::VLAN_TCI_INNER, tci);
        }
        off += 4;
        ty = be16(p, off);
    }
    layout.eth_type = off16(off);
    let l3 = off + 2;
    if ty < 0x600 {
        flow.set(slot::ETH_TYPE, u64::from(ETH_TYPE_NONE));
        return Ok(());
    }
    flow.set(slot::ETH_TYPE, u64::from(ty));
    match ty {
        ETH_TYPE_IPV4 => parse_ipv4(p, l3, flow, layout),
        ETH_TYPE_IPV6 => parse_ipv6(p, l3, flow, layout),
        ETH_TYPE_ARP => parse_arp(p, l3, flow, layout),
        ETH_TYPE_MPLS | ETH_TYPE_MPLS_MCAST => parse_mpls(p, l3, flow, layout),
        ETH_TYPE_PBB => parse_pbb(p, l3, flow, layout),
        _ => Ok(()),
    }
}

fn parse_mpls(p: &[u8], l3: usize, flow: &mut Flow, layout: &mut Layout) -> Result<(), Anomaly> {
    if p.len() < l3 + 4 {
        return Err(Anomaly::TruncatedMpls);
    }
    flow.set(slot::MPLS_LSE, u64::from(be32(p, l3)));
    layout.mpls = Some(off16(l3));
    let mut off = l3;
    for _ in 0..MAX_MPLS_LABELS {
        if p.len() < off + 4 {
            return Err(Anomaly::TruncatedMpls);
        }
        let lse = be32(p, off);
        off += 4;
        if lse & 0x100 != 0 {
            layout.l3 = Some(off16(off));
            layout.l3_kind = L3Kind::MplsPayload;
            return Ok(());
        }
    }
    Err(Anomaly::TooManyMplsLabels)
}

fn parse_pbb(p: &[u8], l3: usize, flow: &mut Flow, layout: &mut Layout) -> Result<(), Anomaly> {
    if p.len() < l3 + 4 {
        return Err(Anomaly::TruncatedL3);
    }
    let tci = be32(p, l3);
    flow.set(slot::PBB_ISID, u64::from(tci & 0x00ff_ffff));
    flow.set(slot::PBB_UCA, u64::from((tci >> 27) & 1));
    layout.l3 = Some(off16(l3));
    layout.l3_kind = L3Kind::Pbb;
    Ok(())
}

fn parse_arp(p: &[u8], l3: usize, flow: &mut Flow, layout: &mut Layout) -> Result<(), Anomaly> {
    if p.len() < l3 + 28 {
        return Err(Anomaly::TruncatedL3);
    }
    let a = &p[l3..];
    // Only Ethernet/IPv4 ARP has the fields OpenFlow matches.
    if be16(a, 0) != 1 || be16(a, 2) != ETH_TYPE_IPV4 || a[4] != 6 || a[5] != 4 {
        return Ok(());
    }
    flow.set(slot::ARP_OP, u64::from(be16(a, 6)));
    flow.set(slot::ND_SLL, be48(a, 8));
    flow.set(slot::IPV4_SRC, u64::from(be32(a, 14)));
    flow.set(slot::ND_TLL, be48(a, 18));
    flow.set(slot::IPV4_DST, u64::from(be32(a, 24)));
    layout.l3 = Some(off16(l3));
    layout.l3_kind = L3Kind::Arp;
    Ok(())
}

fn parse_ipv4(p: &[u8], l3: usize, flow: &mut Flow, layout: &mut Layout) -> Result<(), Anomaly> {
    let h = &p[l3.min(p.len())..];
    if h.len() < 20 {
        return Err(Anomaly::TruncatedL3);
    }
    if h[0] >> 4 != 4 {
        return Err(Anomaly::BadIpVersion);
    }
    let ihl = usize::from(h[0] & 0x0f) * 4;
    if ihl < 20 {
        return Err(Anomaly::BadIhl);
    }
    if h.len() < ihl {
        return Err(Anomaly::TruncatedL3);
    }
    let total = usize::from(be16(h, 2));
    if total < ihl {
        return Err(Anomaly::IpTotalLengthBelowHeader);
    }
    if total > h.len() {
        return Err(Anomaly::TruncatedL3);
    }
    flow.set(slot::IP_TOS, u64::from(h[1]));
    flow.set(slot::IP_TTL, u64::from(h[8]));
    flow.set(slot::IP_PROTO, u64::from(h[9]));
    flow.set(slot::IPV4_SRC, u64::from(be32(h, 12)));
    flow.set(slot::IPV4_DST, u64::from(be32(h, 16)));
    let frag = be16(h, 6);
    let mut frag_bits = 0;
    if frag & 0x3fff != 0 {
        frag_bits |= FRAG_ANY;
    }
    if frag & 0x1fff != 0 {
        frag_bits |= FRAG_LATER;
    }
    flow.set(slot::IP_FRAG, u64::from(frag_bits));
    layout.l3 = Some(off16(l3));
    layout.l3_kind = L3Kind::Ipv4;
    let end = l3 + total;
    layout.ip_end = off16(end);
    if frag_bits & FRAG_LATER != 0 {
        return Ok(());
    }
    parse_l4(&p[..end], l3 + ihl, h[9], false, flow, layout)
}

/// Rank of each extension header in the order RFC 2460 §4.1 recommends.
const RANK_HOP: u8 = 1;
const RANK_DEST_FIRST: u8 = 2;
const RANK_ROUTER: u8 = 3;
const RANK_FRAG: u8 = 4;
const RANK_AUTH: u8 = 5;
const RANK_ESP: u8 = 6;
const RANK_DEST_LAST: u8 = 7;

/// Tracks the `ipv6_exthdr` bits while walking the chain.
struct ExtHdrs {
    bits: u16,
    last_rank: u8,
    seen_ranks: u8,
}

impl ExtHdrs {
    fn saw(&mut self, bit: u16, rank: u8) {
        self.bits |= bit;
        if rank < self.last_rank {
            self.bits |= IEH_UNSEQ;
        }
        if self.seen_ranks & (1 << rank) != 0 {
            self.bits |= IEH_UNREP;
        }
        self.seen_ranks |= 1 << rank;
        self.last_rank = self.last_rank.max(rank);
    }
}

fn parse_ipv6(p: &[u8], l3: usize, flow: &mut Flow, layout: &mut Layout) -> Result<(), Anomaly> {
    let h = &p[l3.min(p.len())..];
    if h.len() < 40 {
        return Err(Anomaly::TruncatedL3);
    }
    if h[0] >> 4 != 6 {
        return Err(Anomaly::BadIpVersion);
    }
    let end = l3 + 40 + usize::from(be16(h, 4));
    if end > p.len() {
        return Err(Anomaly::TruncatedL3);
    }
    let first = be32(h, 0);
    flow.set(slot::IP_TOS, u64::from((first >> 20) & 0xff));
    flow.set(slot::IPV6_FLABEL, u64::from(first & 0x000f_ffff));
    flow.set(slot::IP_TTL, u64::from(h[7]));
    flow.set128(slot::IPV6_SRC.word as usize, be128(h, 8));
    flow.set128(slot::IPV6_DST.word as usize, be128(h, 24));
    layout.l3 = Some(off16(l3));
    layout.l3_kind = L3Kind::Ipv6;
    layout.ip_end = off16(end);

    let p = &p[..end];
    let mut ext = ExtHdrs {
        bits: 0,
        last_rank: 0,
        seen_ranks: 0,
    };
    let mut next = h[6];
    let mut off = l3 + 40;
    let mut result = Err(Anomaly::TooManyIpv6ExtHeaders);
    for _ in 0..=MAX_IPV6_EXT_HEADERS {
        match next {
            // Hop-by-hop, routing, destination options, authentication.
            0 | 43 | 60 | 51 => {
                if p.len() < off + 2 {
                    result = Err(Anomaly::TruncatedL3);
                    break;
                }
                let len = if next == 51 {
                    (usize::from(p[off + 1]) + 2) * 4
                } else {
                    (usize::from(p[off + 1]) + 1) * 8
                };
                if p.len() < off + len {
                    result = Err(Anomaly::TruncatedL3);
                    break;
                }
                let (bit, rank) = match next {
                    0 => (IEH_HOP, RANK_HOP),
                    43 => (IEH_ROUTER, RANK_ROUTER),
                    51 => (IEH_AUTH, RANK_AUTH),
                    _ if ext.last_rank < RANK_ROUTER => (IEH_DEST, RANK_DEST_FIRST),
                    _ => (IEH_DEST, RANK_DEST_LAST),
                };
                ext.saw(bit, rank);
                next = p[off];
                off += len;
            }
            44 => {
                if p.len() < off + 8 {
                    result = Err(Anomaly::TruncatedL3);
                    break;
                }
                ext.saw(IEH_FRAG, RANK_FRAG);
                let frag = be16(p, off + 2);
                let mut bits = FRAG_ANY;
                if frag & 0xfff8 != 0 {
                    bits |= FRAG_LATER;
                }
                flow.set(slot::IP_FRAG, u64::from(bits));
                next = p[off];
                off += 8;
                if bits & FRAG_LATER != 0 {
                    flow.set(slot::IP_PROTO, u64::from(next));
                    result = Ok(());
                    break;
                }
            }
            50 => {
                ext.saw(IEH_ESP, RANK_ESP);
                flow.set(slot::IP_PROTO, u64::from(next));
                result = Ok(());
                break;
            }
            59 => {
                ext.bits |= IEH_NONEXT;
                flow.set(slot::IP_PROTO, u64::from(next));
                result = Ok(());
                break;
            }
            upper => {
                flow.set(slot::IP_PROTO, u64::from(upper));
                result = parse_l4(p, off, upper, true, flow, layout);
                break;
            }
        }
    }
    flow.set(slot::IPV6_EXTHDR, u64::from(ext.bits));
    result
}

fn parse_l4(
    p: &[u8],
    off: usize,
    proto: u8,
    v6: bool,
    flow: &mut Flow,
    layout: &mut Layout,
) -> Result<(), Anomaly> {
    let l4 = &p[off.min(p.len())..];
    match proto {
        IPPROTO_TCP => {
            if l4.len() < 20 {
                return Err(Anomaly::TruncatedL4);
            }
            let doff = usize::from(l4[12] >> 4) * 4;
            if doff < 20 {
                return Err(Anomaly::BadTcpDataOffset);
            }
            if doff > l4.len() {
                return Err(Anomaly::TruncatedL4);
            }
            flow.set(slot::TP_SRC, u64::from(be16(l4, 0)));
            flow.set(slot::TP_DST, u64::from(be16(l4, 2)));
            flow.set(slot::TCP_FLAGS, u64::from(be16(l4, 12) & 0x0fff));
        }
        IPPROTO_UDP | IPPROTO_SCTP => {
            let need = if proto == IPPROTO_UDP { 8 } else { 12 };
            if l4.len() < need {
                return Err(Anomaly::TruncatedL4);
            }
            flow.set(slot::TP_SRC, u64::from(be16(l4, 0)));
            flow.set(slot::TP_DST, u64::from(be16(l4, 2)));
        }
        IPPROTO_ICMP if !v6 => {
            if l4.len() < 4 {
                return Err(Anomaly::TruncatedL4);
            }
            flow.set(slot::ICMP_TYPE, u64::from(l4[0]));
            flow.set(slot::ICMP_CODE, u64::from(l4[1]));
        }
        IPPROTO_ICMPV6 if v6 => {
            if l4.len() < 4 {
                return Err(Anomaly::TruncatedL4);
            }
            flow.set(slot::ICMP_TYPE, u64::from(l4[0]));
            flow.set(slot::ICMP_CODE, u64::from(l4[1]));
            layout.l4 = Some(off16(off));
            if l4[0] == 135 || l4[0] == 136 {
                return parse_nd(l4, off, flow, layout);
            }
            return Ok(());
        }
        _ => return Ok(()),
    }
    layout.l4 = Some(off16(off));
    Ok(())
}

/// Neighbour solicitation (135) / advertisement (136): target and the
/// source (135) or target (136) link-layer address option.
fn parse_nd(l4: &[u8], off: usize, flow: &mut Flow, layout: &mut Layout) -> Result<(), Anomaly> {
    if l4.len() < 24 {
        return Err(Anomaly::TruncatedL4);
    }
    flow.set128(slot::ND_TARGET.word as usize, be128(l4, 8));
    let (want, lladdr) = if l4[0] == 135 {
        (1, slot::ND_SLL)
    } else {
        (2, slot::ND_TLL)
    };
    let mut at = 24;
    for _ in 0..MAX_ND_OPTIONS {
        if at == l4.len() {
            return Ok(());
        }
        if l4.len() - at < 8 {
            return Err(Anomaly::BadNdOption);
        }
        let len = usize::from(l4[at + 1]) * 8;
        if len == 0 || len > l4.len() - at {
            return Err(Anomaly::BadNdOption);
        }
        if l4[at] == want && len == 8 {
            if layout.nd_lladdr.is_some() {
                return Err(Anomaly::BadNdOption);
            }
            flow.set(lladdr, be48(l4, at + 2));
            layout.nd_lladdr = Some(off16(off + at + 2));
        }
        at += len;
    }
    if at == l4.len() {
        Ok(())
    } else {
        Err(Anomaly::TooManyNdOptions)
    }
}
