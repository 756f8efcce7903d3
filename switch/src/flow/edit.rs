//! Packet editing: the OpenFlow actions that rewrite headers, applied to a
//! [`PacketBuf`] with its [`Layout`] and [`Flow`] kept in step.
//!
//! Field rewrites patch the bytes in place and update the checksums they
//! affect incrementally (RFC 1624): the IPv4 header checksum, the TCP, UDP
//! and ICMPv6 checksums (their pseudo-header too, when an address changes),
//! the ICMPv4 checksum; SCTP's CRC32c is recomputed over the SCTP packet. A
//! UDP checksum of 0 ("none") stays 0. Pushes and pops move bytes and then
//! parse the packet again (they are rare next to field rewrites), keeping
//! the fields that do not come from the packet (in_port, in_phy_port,
//! metadata, tunnel_id).
//!
//! The invariant every function keeps, tested by property tests: after an
//! edit, [`extract`] of the bytes equals the kept [`Flow`] (apart from those
//! pipeline fields) and the kept [`Layout`].

use std::fmt;

use super::checksum;
use super::extract::{extract, L3Kind, Layout, TPID_8021AD, TPID_8021Q};
use super::fields::{
    Field, ETH_TYPE_MPLS, ETH_TYPE_MPLS_MCAST, ETH_TYPE_PBB, IPPROTO_ICMP, IPPROTO_ICMPV6,
    IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP,
};
use super::key::{slot, Flow, VLAN_PRESENT};
use super::packet::{insert_at, remove_at, PacketBuf};

/// Why an edit was not applied (the packet is left unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditError {
    /// The packet lacks the header the action needs (a TCP port on a UDP
    /// packet, pop_vlan on an untagged packet, ...).
    NotApplicable(&'static str),
    /// Set-field on a read-only field.
    NotSettable(Field),
    /// A decrement found a TTL of 0 or 1: the caller sends the packet to
    /// the controller with reason `OFPR_INVALID_TTL` (or drops it).
    TtlExpired,
    /// No headroom to grow the packet.
    NoRoom,
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::NotApplicable(what) => write!(f, "packet has no {what}"),
            EditError::NotSettable(field) => write!(f, "field {field:?} is read-only"),
            EditError::TtlExpired => f.write_str("TTL expired"),
            EditError::NoRoom => f.write_str("no headroom in the packet buffer"),
        }
    }
}

impl std::error::Error for EditError {}

/// A checksum to update when bytes it covers change.
#[derive(Clone, Copy)]
enum Csum {
    None,
    /// Internet checksum at this offset.
    Inet(usize),
    /// UDP checksum at this offset (0 means "none" and stays 0).
    Udp(usize),
}

fn be16(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}

fn be32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]])
}

/// Writes `new` (even length, at most 16 bytes, 16-bit aligned inside every
/// checksummed region) at `at` and updates `csums`.
fn patch(d: &mut [u8], at: usize, new: &[u8], csums: [Csum; 2]) {
    let n = new.len();
    let mut old = [0u8; 16];
    old[..n].copy_from_slice(&d[at..at + n]);
    d[at..at + n].copy_from_slice(new);
    for c in csums {
        adjust(d, c, &old[..n], new);
    }
}

/// Updates checksum `c` for covered bytes `old` that became `new` (even
/// length, 16-bit aligned in the checksummed data).
fn adjust(d: &mut [u8], c: Csum, old: &[u8], new: &[u8]) {
    match c {
        Csum::None => {}
        Csum::Inet(o) => {
            let v = checksum::update(be16(d, o), old, new);
            d[o..o + 2].copy_from_slice(&v.to_be_bytes());
        }
        Csum::Udp(o) => {
            let cs = be16(d, o);
            if cs != 0 {
                let v = match checksum::update(cs, old, new) {
                    0 => 0xffff,
                    v => v,
                };
                d[o..o + 2].copy_from_slice(&v.to_be_bytes());
            }
        }
    }
}

/// Offset of the byte holding the IPv6 upper-layer protocol: the next
/// header field of the last extension header before `l4`, or of the fixed
/// header.
fn ipv6_proto_at(d: &[u8], l3: usize, l4: usize) -> usize {
    let mut at = l3 + 6;
    let mut off = l3 + 40;
    let mut nh = d[at];
    while off < l4 && off + 2 <= d.len() {
        at = off;
        let len = match nh {
            // Fragment header: fixed 8 bytes.
            44 => 8,
            // Authentication header: length in 4-byte units, minus 2.
            51 => (usize::from(d[off + 1]) + 2) * 4,
            _ => (usize::from(d[off + 1]) + 1) * 8,
        };
        nh = d[off];
        off += len;
    }
    at
}

fn need(o: Option<u16>, what: &'static str) -> Result<usize, EditError> {
    o.map(usize::from).ok_or(EditError::NotApplicable(what))
}

/// The L4 checksum covering the IP pseudo-header.
fn pseudo_csum(flow: &Flow, layout: &Layout) -> Csum {
    let Some(l4) = layout.l4.map(usize::from) else {
        return Csum::None;
    };
    match flow.ip_proto() {
        IPPROTO_TCP => Csum::Inet(l4 + 16),
        IPPROTO_UDP => Csum::Udp(l4 + 6),
        IPPROTO_ICMPV6 if layout.l3_kind == L3Kind::Ipv6 => Csum::Inet(l4 + 2),
        _ => Csum::None,
    }
}

/// The checksum covering the L4 header's own bytes (SCTP aside).
fn l4_csum(flow: &Flow, l4: usize) -> Csum {
    match flow.ip_proto() {
        IPPROTO_TCP => Csum::Inet(l4 + 16),
        IPPROTO_UDP => Csum::Udp(l4 + 6),
        IPPROTO_ICMP | IPPROTO_ICMPV6 => Csum::Inet(l4 + 2),
        _ => Csum::None,
    }
}

/// Recomputes the SCTP CRC32c after a change.
fn sctp_fix(d: &mut [u8], l4: usize, end: usize) {
    let c = checksum::sctp(&d[l4..end]);
    d[l4 + 8..l4 + 12].copy_from_slice(&c);
}

/// Smallest Ethernet frame without its FCS.
const ETH_MIN_FRAME: usize = 60;

/// After a pop that leaves an IP datagram: the old frame's Ethernet
/// padding (bytes past the end of the datagram) is not part of the new
/// frame, which is padded with zeros to the Ethernet minimum as a NIC
/// would (bytes past the datagram do not change how it parses).
fn drop_padding<P: PacketBuf + ?Sized>(pkt: &mut P, layout: &Layout) {
    let end = usize::from(layout.ip_end);
    if end == 0 {
        return;
    }
    if pkt.len() > end {
        pkt.trim(pkt.len() - end);
    }
    if pkt.len() < ETH_MIN_FRAME {
        pkt.append_zeros(ETH_MIN_FRAME - pkt.len());
    }
}

/// Parses the packet again after a structural change, keeping the
/// pipeline fields of `flow`.
pub fn refresh<P: PacketBuf + ?Sized>(pkt: &P, layout: &mut Layout, flow: &mut Flow) {
    let e = extract(pkt.data(), flow.in_port());
    let mut f = e.flow;
    f.copy_pipeline_fields(flow);
    *flow = f;
    *layout = e.layout;
}

/// OpenFlow set-field: writes `value` (cut to the field width) into the
/// packet and `flow`. `in_port`, `metadata` and `tunnel_id` only change the
/// flow. Fails, leaving everything unchanged, on read-only fields and when
/// the packet lacks the field's header.
pub fn set_field<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &mut Layout,
    flow: &mut Flow,
    field: Field,
    value: u128,
) -> Result<(), EditError> {
    use Field::*;
    if !field.settable() {
        return Err(EditError::NotSettable(field));
    }
    if !field.prereqs_met(flow) {
        return Err(EditError::NotApplicable("header for this field"));
    }
    let value = value & field.all_ones();
    // Truncations below are intended: `value` fits the field width.
    let v16 = value as u16;
    let v32 = value as u32;
    let d = pkt.data_mut();
    match field {
        InPort | Metadata | TunnelId => {}
        EthDst | EthSrc => {
            if layout.eth_type == 0 {
                return Err(EditError::NotApplicable("Ethernet header"));
            }
            let at = if field == EthDst { 0 } else { 6 };
            d[at..at + 6].copy_from_slice(&value.to_be_bytes()[10..]);
        }
        VlanVid | VlanPcp => {
            let at = need(layout.vlan, "VLAN tag")? + 2;
            let tci = be16(d, at);
            let (tci, kept) = if field == VlanVid {
                (
                    (tci & 0xf000) | (v16 & 0x0fff),
                    (v16 & 0x0fff) | VLAN_PRESENT,
                )
            } else {
                ((tci & 0x1fff) | (v16 << 13), v16)
            };
            d[at..at + 2].copy_from_slice(&tci.to_be_bytes());
            field.set(flow, u128::from(kept));
            return Ok(());
        }
        IpDscp | IpEcn => {
            let l3 = need(layout.l3, "IP header")?;
            let old = flow.get(slot::IP_TOS) as u8;
            let tos = if field == IpDscp {
                (old & 0x03) | ((v16 as u8) << 2)
            } else {
                (old & 0xfc) | (v16 as u8)
            };
            match layout.l3_kind {
                L3Kind::Ipv4 => patch(d, l3, &[d[l3], tos], [Csum::Inet(l3 + 10), Csum::None]),
                L3Kind::Ipv6 => {
                    let w = (be32(d, l3) & 0xf00f_ffff) | (u32::from(tos) << 20);
                    d[l3..l3 + 4].copy_from_slice(&w.to_be_bytes());
                }
                _ => return Err(EditError::NotApplicable("IP header")),
            }
        }
        Ipv4Src | Ipv4Dst => {
            if layout.l3_kind != L3Kind::Ipv4 {
                return Err(EditError::NotApplicable("IPv4 header"));
            }
            let l3 = need(layout.l3, "IPv4 header")?;
            let at = l3 + if field == Ipv4Src { 12 } else { 16 };
            let csums = [Csum::Inet(l3 + 10), pseudo_csum(flow, layout)];
            patch(d, at, &v32.to_be_bytes(), csums);
        }
        Ipv6Src | Ipv6Dst => {
            if layout.l3_kind != L3Kind::Ipv6 {
                return Err(EditError::NotApplicable("IPv6 header"));
            }
            let l3 = need(layout.l3, "IPv6 header")?;
            let at = l3 + if field == Ipv6Src { 8 } else { 24 };
            let csums = [pseudo_csum(flow, layout), Csum::None];
            patch(d, at, &value.to_be_bytes(), csums);
        }
        Ipv6Flabel => {
            if layout.l3_kind != L3Kind::Ipv6 {
                return Err(EditError::NotApplicable("IPv6 header"));
            }
            let l3 = need(layout.l3, "IPv6 header")?;
            let w = (be32(d, l3) & 0xfff0_0000) | v32;
            d[l3..l3 + 4].copy_from_slice(&w.to_be_bytes());
        }
        TcpSrc | TcpDst | UdpSrc | UdpDst | SctpSrc | SctpDst => {
            let l4 = need(layout.l4, "L4 header")?;
            let src = matches!(field, TcpSrc | UdpSrc | SctpSrc);
            let at = l4 + if src { 0 } else { 2 };
            patch(d, at, &v16.to_be_bytes(), [l4_csum(flow, l4), Csum::None]);
            if flow.ip_proto() == IPPROTO_SCTP {
                sctp_fix(d, l4, usize::from(layout.ip_end));
            }
        }
        Icmpv4Type | Icmpv4Code | Icmpv6Type | Icmpv6Code => {
            let l4 = need(layout.l4, "ICMP header")?;
            let (ty, code) = if matches!(field, Icmpv4Type | Icmpv6Type) {
                (v16 as u8, d[l4 + 1])
            } else {
                (d[l4], v16 as u8)
            };
            patch(d, l4, &[ty, code], [Csum::Inet(l4 + 2), Csum::None]);
            if field == Icmpv6Type {
                // The type decides whether ND fields are present.
                refresh(pkt, layout, flow);
                return Ok(());
            }
        }
        ArpOp | ArpSha | ArpSpa | ArpTha | ArpTpa => {
            if layout.l3_kind != L3Kind::Arp {
                return Err(EditError::NotApplicable("ARP header"));
            }
            let l3 = need(layout.l3, "ARP header")?;
            match field {
                ArpOp => d[l3 + 6..l3 + 8].copy_from_slice(&v16.to_be_bytes()),
                ArpSha => d[l3 + 8..l3 + 14].copy_from_slice(&value.to_be_bytes()[10..]),
                ArpSpa => d[l3 + 14..l3 + 18].copy_from_slice(&v32.to_be_bytes()),
                ArpTha => d[l3 + 18..l3 + 24].copy_from_slice(&value.to_be_bytes()[10..]),
                _ => d[l3 + 24..l3 + 28].copy_from_slice(&v32.to_be_bytes()),
            }
        }
        Ipv6NdTarget => {
            let l4 = need(layout.l4, "ND header")?;
            if l4 + 24 > usize::from(layout.ip_end) {
                return Err(EditError::NotApplicable("ND target"));
            }
            patch(
                d,
                l4 + 8,
                &value.to_be_bytes(),
                [Csum::Inet(l4 + 2), Csum::None],
            );
        }
        Ipv6NdSll | Ipv6NdTll => {
            let l4 = need(layout.l4, "ND header")?;
            let at = need(layout.nd_lladdr, "ND link-layer address option")?;
            patch(
                d,
                at,
                &value.to_be_bytes()[10..],
                [Csum::Inet(l4 + 2), Csum::None],
            );
        }
        MplsLabel | MplsTc => {
            let at = need(layout.mpls, "MPLS label")?;
            let lse = be32(d, at);
            let lse = if field == MplsLabel {
                (lse & 0x0000_0fff) | (v32 << 12)
            } else {
                (lse & 0xffff_f1ff) | (v32 << 9)
            };
            d[at..at + 4].copy_from_slice(&lse.to_be_bytes());
        }
        EthType => {
            if layout.eth_type == 0 {
                return Err(EditError::NotApplicable("Ethernet header"));
            }
            let at = usize::from(layout.eth_type);
            d[at..at + 2].copy_from_slice(&v16.to_be_bytes());
            // What follows is read by the new type from now on.
            refresh(pkt, layout, flow);
            return Ok(());
        }
        IpProto => {
            let l3 = need(layout.l3, "IP header")?;
            let (old, new) = (flow.ip_proto(), v16 as u8);
            // The L4 checksum stays where the old protocol had it; its
            // pseudo-header holds the protocol as the low byte of a word.
            let l4c = pseudo_csum(flow, layout);
            match layout.l3_kind {
                L3Kind::Ipv4 => patch(
                    d,
                    l3 + 8,
                    &[d[l3 + 8], new],
                    [Csum::Inet(l3 + 10), Csum::None],
                ),
                L3Kind::Ipv6 => {
                    let l4 = layout.l4.map_or(usize::from(layout.ip_end), usize::from);
                    d[ipv6_proto_at(d, l3, l4)] = new;
                }
                _ => return Err(EditError::NotApplicable("IP header")),
            }
            adjust(d, l4c, &[0, old], &[0, new]);
            refresh(pkt, layout, flow);
            return Ok(());
        }
        MplsBos => {
            let at = need(layout.mpls, "MPLS label")?;
            let lse = (be32(d, at) & !0x100) | ((v32 & 1) << 8);
            d[at..at + 4].copy_from_slice(&lse.to_be_bytes());
            // The stack's end moved: parse what follows again.
            refresh(pkt, layout, flow);
            return Ok(());
        }
        PbbIsid | PbbUca => {
            if layout.l3_kind != L3Kind::Pbb {
                return Err(EditError::NotApplicable("PBB I-TAG"));
            }
            let at = need(layout.l3, "PBB I-TAG")?;
            let tci = be32(d, at);
            let tci = if field == PbbIsid {
                (tci & 0xff00_0000) | v32
            } else {
                (tci & !(1 << 27)) | (v32 << 27)
            };
            d[at..at + 4].copy_from_slice(&tci.to_be_bytes());
        }
        InPhyPort | Ipv6Exthdr => {
            return Err(EditError::NotSettable(field));
        }
    }
    field.set(flow, value);
    Ok(())
}

/// Writes the IP TTL / hop limit of the packet's IP header at `l3`.
fn write_ip_ttl(d: &mut [u8], l3: usize, kind: L3Kind, ttl: u8) {
    match kind {
        L3Kind::Ipv4 => patch(
            d,
            l3 + 8,
            &[ttl, d[l3 + 9]],
            [Csum::Inet(l3 + 10), Csum::None],
        ),
        _ => d[l3 + 7] = ttl,
    }
}

/// OpenFlow set_nw_ttl: sets the IPv4 TTL or IPv6 hop limit.
pub fn set_nw_ttl<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &Layout,
    flow: &mut Flow,
    ttl: u8,
) -> Result<(), EditError> {
    let l3 = match layout.l3_kind {
        L3Kind::Ipv4 | L3Kind::Ipv6 => need(layout.l3, "IP header")?,
        _ => return Err(EditError::NotApplicable("IP header")),
    };
    write_ip_ttl(pkt.data_mut(), l3, layout.l3_kind, ttl);
    flow.set(slot::IP_TTL, u64::from(ttl));
    Ok(())
}

/// OpenFlow dec_nw_ttl: decrements the IPv4 TTL or IPv6 hop limit;
/// [`EditError::TtlExpired`] (packet unchanged) when it is 0 or 1.
pub fn dec_nw_ttl<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &Layout,
    flow: &mut Flow,
) -> Result<(), EditError> {
    if !matches!(layout.l3_kind, L3Kind::Ipv4 | L3Kind::Ipv6) {
        return Err(EditError::NotApplicable("IP header"));
    }
    match flow.ip_ttl() {
        0 | 1 => Err(EditError::TtlExpired),
        ttl => set_nw_ttl(pkt, layout, flow, ttl - 1),
    }
}

/// OpenFlow set_mpls_ttl: sets the TTL of the outermost MPLS entry.
pub fn set_mpls_ttl<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &Layout,
    flow: &mut Flow,
    ttl: u8,
) -> Result<(), EditError> {
    let at = need(layout.mpls, "MPLS label")?;
    pkt.data_mut()[at + 3] = ttl;
    flow.set(slot::MPLS_TTL, u64::from(ttl));
    Ok(())
}

/// OpenFlow dec_mpls_ttl: decrements the outermost MPLS TTL;
/// [`EditError::TtlExpired`] (packet unchanged) when it is 0 or 1.
pub fn dec_mpls_ttl<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &Layout,
    flow: &mut Flow,
) -> Result<(), EditError> {
    need(layout.mpls, "MPLS label")?;
    match flow.get(slot::MPLS_TTL) as u8 {
        0 | 1 => Err(EditError::TtlExpired),
        ttl => set_mpls_ttl(pkt, layout, flow, ttl - 1),
    }
}

/// Where the TTL just inside the outermost MPLS entry is: the next entry's
/// TTL byte, or the IP header after the bottom of stack (offset, kind).
fn inner_ttl(d: &[u8], layout: &Layout) -> Result<(usize, L3Kind), EditError> {
    let at = need(layout.mpls, "MPLS label")?;
    if d[at + 2] & 1 == 0 {
        if d.len() < at + 8 {
            return Err(EditError::NotApplicable("inner MPLS label"));
        }
        return Ok((at + 7, L3Kind::MplsPayload));
    }
    let l3 = need(layout.l3, "MPLS payload")?;
    let rest = &d[l3..];
    match rest.first().map(|b| b >> 4) {
        Some(4) if rest.len() >= 20 && usize::from(rest[0] & 0x0f) >= 5 => Ok((l3, L3Kind::Ipv4)),
        Some(6) if rest.len() >= 40 => Ok((l3, L3Kind::Ipv6)),
        _ => Err(EditError::NotApplicable("IP header inside MPLS")),
    }
}

/// OpenFlow copy_ttl_out: copies the TTL of the next-to-outermost header
/// (MPLS entry, or the IP header under a single MPLS entry) to the
/// outermost MPLS entry.
pub fn copy_ttl_out<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &Layout,
    flow: &mut Flow,
) -> Result<(), EditError> {
    let d = pkt.data();
    let ttl = match inner_ttl(d, layout)? {
        (at, L3Kind::MplsPayload) => d[at],
        (l3, L3Kind::Ipv4) => d[l3 + 8],
        (l3, _) => d[l3 + 7],
    };
    set_mpls_ttl(pkt, layout, flow, ttl)
}

/// OpenFlow copy_ttl_in: copies the outermost MPLS TTL to the
/// next-to-outermost header (MPLS entry, or IP header with its checksum).
pub fn copy_ttl_in<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &Layout,
    flow: &Flow,
) -> Result<(), EditError> {
    let ttl = flow.get(slot::MPLS_TTL) as u8;
    let target = inner_ttl(pkt.data(), layout)?;
    let d = pkt.data_mut();
    match target {
        (at, L3Kind::MplsPayload) => d[at] = ttl,
        (l3, kind) => write_ip_ttl(d, l3, kind, ttl),
    }
    Ok(())
}

/// OpenFlow push_vlan: a new outer tag with TPID `tpid` (0x8100 or
/// 0x88a8), VID and PCP copied from the current outer tag, else 0.
pub fn push_vlan<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &mut Layout,
    flow: &mut Flow,
    tpid: u16,
) -> Result<(), EditError> {
    if tpid != TPID_8021Q && tpid != TPID_8021AD {
        return Err(EditError::NotApplicable("VLAN TPID"));
    }
    if layout.eth_type == 0 {
        return Err(EditError::NotApplicable("Ethernet header"));
    }
    let tci = match layout.vlan {
        Some(_) => flow.vlan_tci() & !VLAN_PRESENT,
        None => 0,
    };
    let tag = insert_at(pkt, 12, 4).ok_or(EditError::NoRoom)?;
    tag[..2].copy_from_slice(&tpid.to_be_bytes());
    tag[2..].copy_from_slice(&tci.to_be_bytes());
    refresh(pkt, layout, flow);
    Ok(())
}

/// OpenFlow pop_vlan: removes the outer VLAN tag.
pub fn pop_vlan<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &mut Layout,
    flow: &mut Flow,
) -> Result<(), EditError> {
    let at = need(layout.vlan, "VLAN tag")?;
    if !remove_at(pkt, at, 4) {
        return Err(EditError::NotApplicable("VLAN tag"));
    }
    refresh(pkt, layout, flow);
    drop_padding(pkt, layout);
    Ok(())
}

/// OpenFlow push_mpls: a new outermost MPLS entry after the Ethernet and
/// VLAN headers, the Ethernet type becoming `ethertype` (0x8847 or
/// 0x8848). Label, TC and TTL are copied from the current outermost entry;
/// without one, label and TC are 0, the TTL is the IP TTL (0 when not IP)
/// and the entry is the bottom of stack.
pub fn push_mpls<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &mut Layout,
    flow: &mut Flow,
    ethertype: u16,
) -> Result<(), EditError> {
    if ethertype != ETH_TYPE_MPLS && ethertype != ETH_TYPE_MPLS_MCAST {
        return Err(EditError::NotApplicable("MPLS Ethernet type"));
    }
    if layout.eth_type == 0 {
        return Err(EditError::NotApplicable("Ethernet header"));
    }
    let lse = if layout.mpls.is_some() {
        flow.mpls_lse() & !0x100
    } else {
        let ttl = match layout.l3_kind {
            L3Kind::Ipv4 | L3Kind::Ipv6 => flow.ip_ttl(),
            _ => 0,
        };
        0x100 | u32::from(ttl)
    };
    let et = usize::from(layout.eth_type);
    let new = insert_at(pkt, et + 2, 4).ok_or(EditError::NoRoom)?;
    new.copy_from_slice(&lse.to_be_bytes());
    pkt.data_mut()[et..et + 2].copy_from_slice(&ethertype.to_be_bytes());
    refresh(pkt, layout, flow);
    Ok(())
}

/// OpenFlow pop_mpls: removes the outermost MPLS entry and sets the
/// Ethernet type to `ethertype`.
pub fn pop_mpls<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &mut Layout,
    flow: &mut Flow,
    ethertype: u16,
) -> Result<(), EditError> {
    let at = need(layout.mpls, "MPLS label")?;
    let et = usize::from(layout.eth_type);
    if !remove_at(pkt, at, 4) {
        return Err(EditError::NotApplicable("MPLS label"));
    }
    pkt.data_mut()[et..et + 2].copy_from_slice(&ethertype.to_be_bytes());
    refresh(pkt, layout, flow);
    drop_padding(pkt, layout);
    Ok(())
}

/// OpenFlow push_pbb (802.1ah): a new backbone header in front of the
/// frame: B-DA and B-SA copied from the frame's addresses, Ethernet type
/// `ethertype` (0x88e7), an I-TAG whose I-SID is copied from the current
/// I-TAG (else 0) and whose PCP is the outer VLAN PCP (else 0). The whole
/// original frame follows as the customer frame.
pub fn push_pbb<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &mut Layout,
    flow: &mut Flow,
    ethertype: u16,
) -> Result<(), EditError> {
    if ethertype != ETH_TYPE_PBB {
        return Err(EditError::NotApplicable("PBB Ethernet type"));
    }
    if layout.eth_type == 0 {
        return Err(EditError::NotApplicable("Ethernet header"));
    }
    let isid = if layout.l3_kind == L3Kind::Pbb {
        flow.get(slot::PBB_ISID) as u32
    } else {
        0
    };
    let pcp = if layout.vlan.is_some() {
        u32::from(flow.vlan_tci() >> 13)
    } else {
        0
    };
    let mut addrs = [0u8; 12];
    addrs.copy_from_slice(&pkt.data()[..12]);
    let hdr = pkt.prepend(18).ok_or(EditError::NoRoom)?;
    hdr[..12].copy_from_slice(&addrs);
    hdr[12..14].copy_from_slice(&ethertype.to_be_bytes());
    hdr[14..18].copy_from_slice(&((pcp << 29) | isid).to_be_bytes());
    refresh(pkt, layout, flow);
    Ok(())
}

/// OpenFlow pop_pbb: removes the backbone header (B-DA, B-SA, B-tags,
/// I-TAG), leaving the customer frame.
pub fn pop_pbb<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &mut Layout,
    flow: &mut Flow,
) -> Result<(), EditError> {
    if layout.l3_kind != L3Kind::Pbb {
        return Err(EditError::NotApplicable("PBB I-TAG"));
    }
    let customer = need(layout.l3, "PBB I-TAG")? + 4;
    if pkt.len() < customer + 14 || !pkt.adj(customer) {
        return Err(EditError::NotApplicable("PBB customer frame"));
    }
    refresh(pkt, layout, flow);
    drop_padding(pkt, layout);
    Ok(())
}

/// What [`apply_action`] did with an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The packet (or only the flow, for pipeline fields) was edited.
    Edited,
    /// The action does not edit the packet (output, group, set_queue,
    /// enqueue, experimenter): the caller carries it out.
    NotAnEdit,
}

/// Applies one OpenFlow action that edits headers. Set-field with a mask
/// writes only the masked bits; the 1.0/1.1 `set_tp_src`/`set_tp_dst`
/// write the port of whichever of TCP, UDP, SCTP the packet has.
pub fn apply_action<P: PacketBuf + ?Sized>(
    pkt: &mut P,
    layout: &mut Layout,
    flow: &mut Flow,
    action: &openflow::action::Action,
) -> Result<Applied, EditError> {
    use openflow::action::Action as A;
    match action {
        A::SetField(oxm) => {
            let Some((field, value, mask)) = Field::from_oxm(oxm) else {
                return Err(EditError::NotApplicable("known set-field field"));
            };
            let value = match mask {
                Some(m) => (field.get(flow) & !m) | (value & m),
                None => value,
            };
            set_field(pkt, layout, flow, field, value)?;
        }
        A::SetTpSrc(port) | A::SetTpDst(port) => {
            let src = matches!(action, A::SetTpSrc(_));
            let field = match (flow.ip_proto(), src) {
                (IPPROTO_TCP, true) => Field::TcpSrc,
                (IPPROTO_TCP, false) => Field::TcpDst,
                (IPPROTO_UDP, true) => Field::UdpSrc,
                (IPPROTO_UDP, false) => Field::UdpDst,
                (IPPROTO_SCTP, true) => Field::SctpSrc,
                (IPPROTO_SCTP, false) => Field::SctpDst,
                _ => return Err(EditError::NotApplicable("TCP, UDP or SCTP header")),
            };
            set_field(pkt, layout, flow, field, u128::from(*port))?;
        }
        A::CopyTtlOut => copy_ttl_out(pkt, layout, flow)?,
        A::CopyTtlIn => copy_ttl_in(pkt, layout, flow)?,
        A::SetMplsTtl(ttl) => set_mpls_ttl(pkt, layout, flow, *ttl)?,
        A::DecMplsTtl => dec_mpls_ttl(pkt, layout, flow)?,
        A::SetNwTtl(ttl) => set_nw_ttl(pkt, layout, flow, *ttl)?,
        A::DecNwTtl => dec_nw_ttl(pkt, layout, flow)?,
        A::PushVlan(tpid) => push_vlan(pkt, layout, flow, *tpid)?,
        A::PopVlan => pop_vlan(pkt, layout, flow)?,
        A::PushMpls(et) => push_mpls(pkt, layout, flow, *et)?,
        A::PopMpls(et) => pop_mpls(pkt, layout, flow, *et)?,
        A::PushPbb(et) => push_pbb(pkt, layout, flow, *et)?,
        A::PopPbb => pop_pbb(pkt, layout, flow)?,
        A::Output { .. }
        | A::SetQueue(_)
        | A::Group(_)
        | A::Enqueue { .. }
        | A::Experimenter { .. } => return Ok(Applied::NotAnEdit),
    }
    Ok(Applied::Edited)
}
