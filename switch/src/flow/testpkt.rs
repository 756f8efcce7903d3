//! Test packet builders and a from-scratch checksum checker.

use super::checksum;
use super::extract::{extract, L3Kind};
use super::fields::{IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP};
use super::key::FRAG_ANY;

pub const MAC_A: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0a];
pub const MAC_B: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0b];

/// Ethernet frame with VLAN tags `(tpid, tci)` outermost first.
pub fn eth(tags: &[(u16, u16)], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&MAC_B);
    p.extend_from_slice(&MAC_A);
    for (tpid, tci) in tags {
        p.extend_from_slice(&tpid.to_be_bytes());
        p.extend_from_slice(&tci.to_be_bytes());
    }
    p.extend_from_slice(&ethertype.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// IPv4 header (checksum filled) followed by `l4`.
#[allow(clippy::too_many_arguments)] // One argument per header field.
pub fn ipv4(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    ttl: u8,
    tos: u8,
    options: &[u8],
    frag: u16,
    l4: &[u8],
) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let ihl = 20 + options.len();
    let total = u16::try_from(ihl + l4.len()).unwrap();
    let mut h = vec![0x40 | (ihl / 4) as u8, tos];
    h.extend_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&[0x12, 0x34]);
    h.extend_from_slice(&frag.to_be_bytes());
    h.extend_from_slice(&[ttl, proto, 0, 0]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h.extend_from_slice(options);
    let c = checksum::checksum(&h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(l4);
    h
}

/// IPv6 header followed by `rest` (extension headers and L4), whose first
/// header is `next`.
pub fn ipv6(src: u128, dst: u128, next: u8, hlim: u8, tc: u8, flabel: u32, rest: &[u8]) -> Vec<u8> {
    let w = (6u32 << 28) | (u32::from(tc) << 20) | (flabel & 0xfffff);
    let mut h = w.to_be_bytes().to_vec();
    h.extend_from_slice(&u16::try_from(rest.len()).unwrap().to_be_bytes());
    h.extend_from_slice(&[next, hlim]);
    h.extend_from_slice(&src.to_be_bytes());
    h.extend_from_slice(&dst.to_be_bytes());
    h.extend_from_slice(rest);
    h
}

/// An IPv6 extension header of `len8` 8-byte units (hop/dest/routing).
pub fn ext(next: u8, len8: usize) -> Vec<u8> {
    let mut h = vec![0u8; len8 * 8];
    h[0] = next;
    h[1] = (len8 - 1) as u8;
    h
}

/// An IPv6 fragment header.
pub fn frag6(next: u8, offset: u16, more: bool) -> Vec<u8> {
    let mut h = vec![next, 0];
    h.extend_from_slice(&((offset << 3) | u16::from(more)).to_be_bytes());
    h.extend_from_slice(&[0, 0, 0, 1]);
    h
}

/// TCP header with `options` (multiple of 4) and payload (checksum 0 until
/// [`fix_checksums`]).
pub fn tcp(src: u16, dst: u16, flags: u16, options: &[u8], payload: &[u8]) -> Vec<u8> {
    let doff = (20 + options.len()) / 4;
    let mut h = Vec::new();
    h.extend_from_slice(&src.to_be_bytes());
    h.extend_from_slice(&dst.to_be_bytes());
    h.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0]);
    h.extend_from_slice(&(((doff as u16) << 12) | flags).to_be_bytes());
    h.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
    h.extend_from_slice(options);
    h.extend_from_slice(payload);
    h
}

/// UDP header and payload (checksum filled by [`fix_checksums`]).
pub fn udp(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&src.to_be_bytes());
    h.extend_from_slice(&dst.to_be_bytes());
    h.extend_from_slice(&u16::try_from(8 + payload.len()).unwrap().to_be_bytes());
    // Nonzero placeholder: a UDP checksum of 0 means "none".
    h.extend_from_slice(&[0xff, 0xff]);
    h.extend_from_slice(payload);
    h
}

/// SCTP common header and a DATA-like chunk.
pub fn sctp(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&src.to_be_bytes());
    h.extend_from_slice(&dst.to_be_bytes());
    h.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0]);
    h.extend_from_slice(payload);
    h
}

/// ICMP / ICMPv6 header (type, code, checksum, 4 bytes of rest) and body.
pub fn icmp(ty: u8, code: u8, body: &[u8]) -> Vec<u8> {
    let mut h = vec![ty, code, 0, 0, 0, 1, 0, 2];
    h.extend_from_slice(body);
    h
}

/// ICMPv6 neighbour solicitation (135) or advertisement (136) with a
/// link-layer address option (type 1 for 135, 2 for 136).
pub fn nd(ty: u8, target: u128, lladdr: Option<[u8; 6]>) -> Vec<u8> {
    let mut h = vec![ty, 0, 0, 0, 0, 0, 0, 0];
    h.extend_from_slice(&target.to_be_bytes());
    if let Some(ll) = lladdr {
        h.extend_from_slice(&[if ty == 135 { 1 } else { 2 }, 1]);
        h.extend_from_slice(&ll);
    }
    h
}

/// An Ethernet/IPv4 ARP packet.
pub fn arp(op: u16, sha: [u8; 6], spa: [u8; 4], tha: [u8; 6], tpa: [u8; 4]) -> Vec<u8> {
    let mut h = vec![0, 1, 8, 0, 6, 4];
    h.extend_from_slice(&op.to_be_bytes());
    h.extend_from_slice(&sha);
    h.extend_from_slice(&spa);
    h.extend_from_slice(&tha);
    h.extend_from_slice(&tpa);
    h
}

/// An MPLS label stack (label, tc, ttl), outermost first, bottom of stack
/// set on the last, followed by `payload`.
pub fn mpls(labels: &[(u32, u8, u8)], payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    for (i, (label, tc, ttl)) in labels.iter().enumerate() {
        let bos = u32::from(i + 1 == labels.len());
        let lse = (label << 12) | (u32::from(*tc) << 9) | (bos << 8) | u32::from(*ttl);
        h.extend_from_slice(&lse.to_be_bytes());
    }
    h.extend_from_slice(payload);
    h
}

fn be16(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}

/// The checksums of `pkt` as computed from scratch: (offset, value) pairs
/// for the IPv4 header, the L4 header (not for fragments, not for a UDP
/// over IPv4 checksum of 0), the SCTP CRC, and an IPv4 header right under
/// MPLS.
fn expected(pkt: &[u8]) -> Vec<(usize, [u8; 2])> {
    let e = extract(pkt, 0);
    let l = e.layout;
    let mut out = Vec::new();
    let Some(l3) = l.l3.map(usize::from) else {
        return out;
    };
    let inet = |d: &[u8], off: usize, start: usize, end: usize, pseudo: u32| {
        let mut d = d[start..end].to_vec();
        d[off - start] = 0;
        d[off - start + 1] = 0;
        checksum::finish(checksum::sum(pseudo, &d)).to_be_bytes()
    };
    match l.l3_kind {
        L3Kind::Ipv4 => {
            let ihl = usize::from(pkt[l3] & 0x0f) * 4;
            out.push((l3 + 10, inet(pkt, l3 + 10, l3, l3 + ihl, 0)));
        }
        L3Kind::MplsPayload => {
            if pkt.len() >= l3 + 20 && pkt[l3] >> 4 == 4 && pkt[l3] & 0xf >= 5 {
                let ihl = usize::from(pkt[l3] & 0x0f) * 4;
                if pkt.len() >= l3 + ihl {
                    out.push((l3 + 10, inet(pkt, l3 + 10, l3, l3 + ihl, 0)));
                }
            }
            return out;
        }
        L3Kind::Ipv6 => {}
        _ => return out,
    }
    let Some(l4) = l.l4.map(usize::from) else {
        return out;
    };
    if e.flow.ip_frag() & FRAG_ANY != 0 {
        return out;
    }
    let end = usize::from(l.ip_end);
    let proto = e.flow.ip_proto();
    let len = u32::try_from(end - l4).unwrap();
    let pseudo = if l.l3_kind == L3Kind::Ipv4 {
        checksum::sum(0, &pkt[l3 + 12..l3 + 20]) + u32::from(proto) + len
    } else {
        checksum::sum(0, &pkt[l3 + 8..l3 + 40]) + u32::from(proto) + len
    };
    match proto {
        IPPROTO_TCP => out.push((l4 + 16, inet(pkt, l4 + 16, l4, end, pseudo))),
        // Over IPv4, a UDP checksum of 0 means "none".
        IPPROTO_UDP if !(l.l3_kind == L3Kind::Ipv4 && be16(pkt, l4 + 6) == 0) => {
            let mut c = inet(pkt, l4 + 6, l4, end, pseudo);
            if c == [0, 0] {
                c = [0xff, 0xff];
            }
            out.push((l4 + 6, c));
        }
        IPPROTO_ICMP => out.push((l4 + 2, inet(pkt, l4 + 2, l4, end, 0))),
        IPPROTO_ICMPV6 => out.push((l4 + 2, inet(pkt, l4 + 2, l4, end, pseudo))),
        IPPROTO_SCTP => {
            let c = checksum::sctp(&pkt[l4..end]);
            out.push((l4 + 8, [c[0], c[1]]));
            out.push((l4 + 10, [c[2], c[3]]));
        }
        _ => {}
    }
    out
}

/// Fills every checksum of `pkt` (see [`expected`]).
pub fn fix_checksums(pkt: &mut [u8]) {
    // The IPv4 header checksum first: the L4 pseudo-header does not
    // include it, so one pass suffices.
    for (at, v) in expected(pkt) {
        pkt[at..at + 2].copy_from_slice(&v);
    }
}

/// Checks every checksum of `pkt` against a computation from scratch
/// (0x0000 and 0xffff accepted as equal where the one's complement sum
/// allows both).
pub fn check_checksums(pkt: &[u8]) -> Result<(), String> {
    for (at, v) in expected(pkt) {
        let got = [pkt[at], pkt[at + 1]];
        let zeroish = |x: [u8; 2]| x == [0, 0] || x == [0xff, 0xff];
        if got != v && !(zeroish(got) && zeroish(v)) {
            return Err(format!(
                "checksum at {at}: stored {got:02x?}, computed {v:02x?}"
            ));
        }
    }
    Ok(())
}

/// A full packet: headers given, checksums filled.
pub fn finish(mut pkt: Vec<u8>) -> Vec<u8> {
    fix_checksums(&mut pkt);
    pkt
}
