//! Tests of extraction and editing over hand-built packets, and property
//! tests over random bytes and random edit sequences.

use std::net::Ipv4Addr;

use openflow::flow_match::Match;
use openflow::oxm::OxmField;
use proptest::prelude::*;

use super::checksum;
use super::edit::*;
use super::extract::*;
use super::fields::*;
use super::key::{slot, Flow, FRAG_ANY, FRAG_LATER};
use super::testpkt::*;

const IP_A: [u8; 4] = [10, 0, 0, 1];
const IP_B: [u8; 4] = [192, 168, 1, 2];
const V6_A: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_0001;
const V6_B: u128 = 0xfe80_0000_0000_0000_0000_0000_0000_00bb;

fn mac_u64(m: [u8; 6]) -> u64 {
    m.iter().fold(0, |a, b| (a << 8) | u64::from(*b))
}

fn ip_u64(a: [u8; 4]) -> u64 {
    u64::from(u32::from_be_bytes(a))
}

fn tcp4(tags: &[(u16, u16)]) -> Vec<u8> {
    let opts = [2, 4, 5, 0xb4, 1, 1, 4, 2];
    let l4 = tcp(1234, 80, 0x012, &opts, b"hello");
    finish(eth(
        tags,
        0x0800,
        &ipv4(IP_A, IP_B, 6, 64, 0xb9, &[], 0, &l4),
    ))
}

#[test]
fn ipv4_tcp_with_vlan() {
    let p = tcp4(&[(0x8100, 0xa00a)]);
    let e = extract(&p, 7);
    assert_eq!(e.anomaly, None);
    let f = e.flow;
    assert_eq!(f.in_port(), 7);
    assert_eq!(f.get(slot::IN_PHY_PORT), 7);
    assert_eq!(f.get(slot::ETH_DST), mac_u64(MAC_B));
    assert_eq!(f.get(slot::ETH_SRC), mac_u64(MAC_A));
    assert_eq!(f.vlan_tci(), 0xb00a, "PCP 5, present, VID 10");
    assert_eq!(f.eth_type(), 0x0800);
    assert_eq!(f.ip_proto(), 6);
    assert_eq!(f.get(slot::IP_DSCP), 0xb9 >> 2);
    assert_eq!(f.get(slot::IP_ECN), 1);
    assert_eq!(f.ip_ttl(), 64);
    assert_eq!(f.get(slot::IPV4_SRC), ip_u64(IP_A));
    assert_eq!(f.get(slot::IPV4_DST), ip_u64(IP_B));
    assert_eq!(f.get(slot::TP_SRC), 1234);
    assert_eq!(f.get(slot::TP_DST), 80);
    assert_eq!(f.tcp_flags(), 0x012);
    assert_eq!(e.layout.vlan, Some(12));
    assert_eq!(e.layout.eth_type, 16);
    assert_eq!(e.layout.l3, Some(18));
    assert_eq!(e.layout.l4, Some(38));
    assert_eq!(usize::from(e.layout.ip_end), p.len());
    check_checksums(&p).unwrap();

    // A rule built from an OpenFlow match matches the packet.
    let m = Match::new(vec![
        OxmField::InPort(7),
        OxmField::VlanVid {
            value: 0x1000 | 10,
            mask: None,
        },
        OxmField::EthType(0x0800),
        OxmField::IpProto(6),
        OxmField::Ipv4Dst {
            value: Ipv4Addr::new(192, 168, 0, 0),
            mask: Some(Ipv4Addr::new(255, 255, 0, 0)),
        },
        OxmField::TcpDst(80),
    ]);
    let (key, mask) = match_to_flow(&m).unwrap();
    assert!(f.eq_masked(&key, &mask));
    let (key, mask) = match_to_flow(&Match::new(vec![OxmField::VlanVid {
        value: 0,
        mask: None,
    }]))
    .unwrap();
    assert!(
        !f.eq_masked(&key, &mask),
        "OFPVID_NONE does not match a tagged packet"
    );
    assert!(extract(&tcp4(&[]), 7).flow.eq_masked(&key, &mask));
}

#[test]
fn qinq_udp() {
    let l4 = udp(53, 5353, b"q");
    let p = finish(eth(
        &[(0x88a8, 0x0064), (0x8100, 0x2005)],
        0x0800,
        &ipv4(IP_A, IP_B, 17, 3, 0, &[], 0, &l4),
    ));
    let e = extract(&p, 1);
    assert_eq!(e.anomaly, None);
    assert_eq!(e.flow.vlan_tci(), 0x1064);
    assert_eq!(e.flow.get(slot::VLAN_TCI_INNER), 0x3005);
    assert_eq!(e.flow.eth_type(), 0x0800);
    assert_eq!(e.flow.get(slot::TP_DST), 5353);
    assert_eq!(e.layout.eth_type, 20);
    // A third tag is not parsed: its TPID is the Ethernet type.
    let p3 = eth(&[(0x88a8, 1), (0x8100, 2), (0x8100, 3)], 0x0800, &[0; 20]);
    let e3 = extract(&p3, 1);
    assert_eq!(e3.flow.eth_type(), 0x8100);
    assert_eq!(e3.layout.l3, None);
}

#[test]
fn mpls_stack() {
    let inner = finish(eth(
        &[],
        0x0800,
        &ipv4(IP_A, IP_B, 17, 9, 0, &[], 0, &udp(1, 2, &[])),
    ))[14..]
        .to_vec();
    let p = eth(
        &[],
        0x8847,
        &mpls(&[(100, 5, 60), (200, 0, 61), (300, 1, 62)], &inner),
    );
    let e = extract(&p, 1);
    assert_eq!(e.anomaly, None);
    let f = e.flow;
    assert_eq!(Field::MplsLabel.get(&f), 100);
    assert_eq!(Field::MplsTc.get(&f), 5);
    assert_eq!(Field::MplsBos.get(&f), 0);
    assert_eq!(f.get(slot::MPLS_TTL), 60);
    assert_eq!(f.ip_proto(), 0, "no L3 fields under MPLS");
    assert_eq!(e.layout.mpls, Some(14));
    assert_eq!(e.layout.l3, Some(26));
    assert_eq!(e.layout.l3_kind, L3Kind::MplsPayload);

    // 1000 labels, none at the bottom: bounded walk, counted.
    let labels: Vec<u8> = (0..1000)
        .flat_map(|i: u32| ((i << 12) | 64).to_be_bytes())
        .collect();
    let p = eth(&[], 0x8847, &labels);
    let e = extract(&p, 1);
    assert_eq!(e.anomaly, Some(Anomaly::TooManyMplsLabels));
    assert_eq!(Field::MplsLabel.get(&e.flow), 0);
    assert_eq!(e.layout.mpls, Some(14));
    // Cut inside the stack.
    let e = extract(&p[..14 + 4 * 3 + 2], 1);
    assert_eq!(e.anomaly, Some(Anomaly::TruncatedMpls));
}

#[test]
fn pbb_and_arp() {
    let mut itag = vec![0xa8, 0x12, 0x34, 0x56];
    itag.extend_from_slice(&eth(&[], 0x0800, &[0; 20]));
    let p = eth(&[(0x88a8, 7)], 0x88e7, &itag);
    let e = extract(&p, 1);
    assert_eq!(e.anomaly, None);
    assert_eq!(Field::PbbIsid.get(&e.flow), 0x123456);
    assert_eq!(Field::PbbUca.get(&e.flow), 1);
    assert_eq!(e.layout.l3_kind, L3Kind::Pbb);

    let p = eth(&[], 0x0806, &arp(1, MAC_A, IP_A, [0; 6], IP_B));
    let e = extract(&p, 1);
    assert_eq!(e.anomaly, None);
    assert_eq!(Field::ArpOp.get(&e.flow), 1);
    assert_eq!(Field::ArpSha.get(&e.flow), u128::from(mac_u64(MAC_A)));
    assert_eq!(Field::ArpSpa.get(&e.flow), u128::from(ip_u64(IP_A)));
    assert_eq!(Field::ArpTpa.get(&e.flow), u128::from(ip_u64(IP_B)));
    assert_eq!(Field::ArpTha.get(&e.flow), 0);
    let m = flow_to_match(&e.flow, &{
        let mut m = Flow::ZERO;
        for f in [Field::EthType, Field::ArpOp, Field::ArpSpa] {
            f.set_mask_all(&mut m);
        }
        m
    });
    assert_eq!(
        m.fields,
        vec![
            OxmField::EthType(0x0806),
            OxmField::ArpOp(1),
            OxmField::ArpSpa {
                value: Ipv4Addr::from(IP_A),
                mask: None
            }
        ]
    );
    let e = extract(&p[..14 + 27], 1);
    assert_eq!(e.anomaly, Some(Anomaly::TruncatedL3));
}

#[test]
fn ipv4_options_fragments_and_anomalies() {
    let opts = [0x94, 0x04, 0, 0, 1, 1, 1, 0];
    let l4 = udp(7, 9, &[1, 2, 3, 4]);
    let p = finish(eth(&[], 0x0800, &ipv4(IP_A, IP_B, 17, 8, 0, &opts, 0, &l4)));
    let e = extract(&p, 1);
    assert_eq!(e.anomaly, None);
    assert_eq!(e.layout.l4, Some(14 + 28));
    assert_eq!(e.flow.get(slot::TP_SRC), 7);
    assert_eq!(e.flow.ip_frag(), 0);

    // First fragment: L4 fields; later fragment: none.
    let first = eth(&[], 0x0800, &ipv4(IP_A, IP_B, 17, 8, 0, &[], 0x2000, &l4));
    let e = extract(&first, 1);
    assert_eq!(e.flow.ip_frag(), FRAG_ANY);
    assert_eq!(e.flow.get(slot::TP_DST), 9);
    let later = eth(&[], 0x0800, &ipv4(IP_A, IP_B, 17, 8, 0, &[], 0x0003, &l4));
    let e = extract(&later, 1);
    assert_eq!(e.anomaly, None);
    assert_eq!(e.flow.ip_frag(), FRAG_ANY | FRAG_LATER);
    assert_eq!(e.flow.get(slot::TP_DST), 0);
    assert_eq!(e.layout.l4, None);

    // Bad IHL, total length below the header, beyond the packet.
    let mut bad = p.clone();
    bad[14] = 0x44;
    assert_eq!(extract(&bad, 1).anomaly, Some(Anomaly::BadIhl));
    assert_eq!(extract(&bad, 1).flow.ip_proto(), 0);
    let mut bad = p.clone();
    bad[16..18].copy_from_slice(&20u16.to_be_bytes());
    assert_eq!(
        extract(&bad, 1).anomaly,
        Some(Anomaly::IpTotalLengthBelowHeader)
    );
    let mut bad = p.clone();
    bad[16..18].copy_from_slice(&2000u16.to_be_bytes());
    assert_eq!(extract(&bad, 1).anomaly, Some(Anomaly::TruncatedL3));
    let mut bad = p.clone();
    bad[14] = 0x65;
    assert_eq!(extract(&bad, 1).anomaly, Some(Anomaly::BadIpVersion));
    // Link padding after the datagram is ignored.
    let mut padded = p.clone();
    padded.extend_from_slice(&[0; 10]);
    let e = extract(&padded, 1);
    assert_eq!(e.anomaly, None);
    assert_eq!(usize::from(e.layout.ip_end), p.len());
}

#[test]
fn tcp_data_offset() {
    let mut l4 = tcp(1, 2, 0, &[], &[]);
    l4[12] = 0x00;
    let p = eth(&[], 0x0800, &ipv4(IP_A, IP_B, 6, 8, 0, &[], 0, &l4));
    let e = extract(&p, 1);
    assert_eq!(e.anomaly, Some(Anomaly::BadTcpDataOffset));
    assert_eq!(e.layout.l4, None);
    let mut l4 = tcp(1, 2, 0, &[], &[]);
    l4[12] = 0xf0;
    let p = eth(&[], 0x0800, &ipv4(IP_A, IP_B, 6, 8, 0, &[], 0, &l4));
    assert_eq!(extract(&p, 1).anomaly, Some(Anomaly::TruncatedL4));
}

fn v6(next: u8, rest: &[u8]) -> Vec<u8> {
    finish(eth(
        &[],
        0x86dd,
        &ipv6(V6_A, V6_B, next, 255, 0x2e, 0xabcde, rest),
    ))
}

fn exthdr(p: &[u8]) -> u16 {
    extract(p, 1).flow.get(slot::IPV6_EXTHDR) as u16
}

#[test]
fn ipv6_extension_headers() {
    // Hop-by-hop, destination options, routing, fragment, UDP.
    let mut rest = ext(60, 1);
    rest.extend(ext(43, 2));
    rest.extend(ext(44, 1));
    rest.extend(frag6(17, 0, true));
    rest.extend(udp(1000, 2000, b"x"));
    let p = v6(0, &rest);
    let e = extract(&p, 1);
    assert_eq!(e.anomaly, None);
    assert_eq!(e.flow.ip_proto(), 17);
    assert_eq!(e.flow.get(slot::TP_DST), 2000);
    assert_eq!(e.flow.ip_frag(), FRAG_ANY);
    assert_eq!(e.flow.get(slot::IPV6_FLABEL), 0xabcde);
    assert_eq!(e.flow.get(slot::IP_TOS), 0x2e);
    assert_eq!(e.flow.ip_ttl(), 255);
    assert_eq!(Field::Ipv6Src.get(&e.flow), V6_A);
    assert_eq!(Field::Ipv6Dst.get(&e.flow), V6_B);
    assert_eq!(
        exthdr(&p),
        IEH_HOP | IEH_DEST | IEH_ROUTER | IEH_FRAG,
        "in order, no repeats"
    );

    // Later fragment: protocol from the fragment header, no L4.
    let mut rest = frag6(6, 100, false);
    rest.extend([0u8; 20]);
    let e = extract(&v6(44, &rest), 1);
    assert_eq!(e.flow.ip_frag(), FRAG_ANY | FRAG_LATER);
    assert_eq!(e.flow.ip_proto(), 6);
    assert_eq!(e.layout.l4, None);

    // Routing before hop-by-hop: unsequenced; two routing headers: repeated.
    let mut rest = ext(0, 1);
    rest.extend(ext(59, 1));
    assert_eq!(
        exthdr(&v6(43, &rest)),
        IEH_ROUTER | IEH_HOP | IEH_UNSEQ | IEH_NONEXT
    );
    let mut rest = ext(43, 1);
    rest.extend(ext(59, 1));
    assert_eq!(exthdr(&v6(43, &rest)), IEH_ROUTER | IEH_UNREP | IEH_NONEXT);
    // Destination options before routing and at the end: allowed twice.
    let mut rest = ext(43, 1);
    rest.extend(ext(60, 1));
    rest.extend(ext(59, 1));
    assert_eq!(exthdr(&v6(60, &rest)), IEH_DEST | IEH_ROUTER | IEH_NONEXT);
    // Authentication then ESP.
    let mut rest = vec![50, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    rest.extend([0u8; 16]);
    let p = v6(51, &rest);
    assert_eq!(exthdr(&p), IEH_AUTH | IEH_ESP);
    assert_eq!(extract(&p, 1).flow.ip_proto(), 50);

    // A long chain: bounded, counted.
    let n = MAX_IPV6_EXT_HEADERS + 3;
    let rest: Vec<u8> = (0..n).flat_map(|_| ext(60, 1)).collect();
    let e = extract(&v6(60, &rest), 1);
    assert_eq!(e.anomaly, Some(Anomaly::TooManyIpv6ExtHeaders));
    assert_eq!(e.flow.ip_proto(), 0);
    // A header longer than the payload.
    let mut rest = ext(17, 1);
    rest[1] = 4;
    let e = extract(&v6(0, &rest), 1);
    assert_eq!(e.anomaly, Some(Anomaly::TruncatedL3));
    assert_eq!(Field::Ipv6Src.get(&e.flow), V6_A, "fields so far are kept");
}

#[test]
fn icmpv6_neighbour_discovery() {
    let target = 0x2001_0db8_0000_0000_0000_0000_dead_beef;
    let p = v6(58, &nd(135, target, Some(MAC_A)));
    check_checksums(&p).unwrap();
    let e = extract(&p, 1);
    assert_eq!(e.anomaly, None);
    assert_eq!(Field::Icmpv6Type.get(&e.flow), 135);
    assert_eq!(Field::Ipv6NdTarget.get(&e.flow), target);
    assert_eq!(Field::Ipv6NdSll.get(&e.flow), u128::from(mac_u64(MAC_A)));
    assert_eq!(Field::Ipv6NdTll.get(&e.flow), 0);
    assert_eq!(e.layout.nd_lladdr, Some(14 + 40 + 24 + 2));

    let p = v6(58, &nd(136, target, Some(MAC_B)));
    let e = extract(&p, 1);
    assert_eq!(Field::Ipv6NdTll.get(&e.flow), u128::from(mac_u64(MAC_B)));
    assert_eq!(Field::Ipv6NdSll.get(&e.flow), 0);

    // Zero-length option.
    let mut body = nd(135, target, None);
    body.extend([1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        extract(&v6(58, &body), 1).anomaly,
        Some(Anomaly::BadNdOption)
    );
    // Repeated SLL.
    let mut body = nd(135, target, Some(MAC_A));
    body.extend([1, 1, 1, 2, 3, 4, 5, 6]);
    let e = extract(&v6(58, &body), 1);
    assert_eq!(e.anomaly, Some(Anomaly::BadNdOption));
    assert_eq!(Field::Ipv6NdSll.get(&e.flow), u128::from(mac_u64(MAC_A)));
    // Many options: bounded.
    let mut body = nd(135, target, None);
    for _ in 0..MAX_ND_OPTIONS + 1 {
        body.extend([14, 1, 0, 0, 0, 0, 0, 0]);
    }
    assert_eq!(
        extract(&v6(58, &body), 1).anomaly,
        Some(Anomaly::TooManyNdOptions)
    );
    // Echo request: type/code only.
    let e = extract(&v6(58, &icmp(128, 0, b"ping")), 1);
    assert_eq!(e.anomaly, None);
    assert_eq!(Field::Icmpv6Type.get(&e.flow), 128);
}

#[test]
fn too_short_and_802_3() {
    for n in 0..14 {
        let e = extract(&tcp4(&[])[..n], 3);
        assert_eq!(e.anomaly, Some(Anomaly::TruncatedL2));
        assert_eq!(e.flow.in_port(), 3);
    }
    let p = eth(&[], 0x0040, &[0xaa; 64]);
    let e = extract(&p, 1);
    assert_eq!(e.anomaly, None);
    assert_eq!(e.flow.eth_type(), ETH_TYPE_NONE);
    let big = eth(&[], 0x0800, &vec![0u8; 70_000]);
    assert_eq!(extract(&big, 1).anomaly, Some(Anomaly::BadIpVersion));
    let e = extract(&big[..MAX_PARSED_LEN + 1], 1);
    assert_eq!(e.anomaly, Some(Anomaly::BadIpVersion));
}

/// Every template used by the tests below, checksums filled.
fn templates() -> Vec<Vec<u8>> {
    let target = 0x2001_0db8_0000_0000_0000_0000_0000_0042;
    let inner_v4 = finish(eth(
        &[],
        0x0800,
        &ipv4(IP_A, IP_B, 17, 33, 0, &[], 0, &udp(1, 2, b"ab")),
    ))[14..]
        .to_vec();
    let mut pbb_payload = vec![0x20, 0, 0, 0x42];
    pbb_payload.extend(tcp4(&[]));
    // Hop-by-hop, then TCP.
    let mut ext_chain = ext(6, 1);
    ext_chain.extend(tcp(5, 6, 0x10, &[], b"data"));
    vec![
        tcp4(&[]),
        tcp4(&[(0x8100, 0x6123)]),
        finish(eth(
            &[(0x88a8, 0x0064), (0x8100, 0x2005)],
            0x0800,
            &ipv4(
                IP_A,
                IP_B,
                17,
                3,
                0x10,
                &[1, 1, 1, 0],
                0,
                &udp(53, 5353, b"query"),
            ),
        )),
        finish(eth(
            &[],
            0x0800,
            &ipv4(IP_A, IP_B, 132, 64, 0, &[], 0, &sctp(5000, 6000, &[0; 16])),
        )),
        finish(eth(
            &[],
            0x0800,
            &ipv4(IP_A, IP_B, 1, 2, 0, &[], 0, &icmp(8, 0, b"ping!")),
        )),
        v6(17, &udp(1, 2, b"v6 udp")),
        v6(0, &ext_chain),
        v6(58, &icmp(128, 0, b"echo")),
        v6(58, &nd(135, target, Some(MAC_A))),
        v6(58, &nd(136, target, Some(MAC_B))),
        eth(&[(0x8100, 5)], 0x0806, &arp(2, MAC_A, IP_A, MAC_B, IP_B)),
        eth(&[], 0x8847, &mpls(&[(16, 1, 10)], &inner_v4)),
        eth(&[], 0x8848, &mpls(&[(17, 2, 20), (18, 3, 1)], &inner_v4)),
        eth(&[(0x88a8, 3)], 0x88e7, &pbb_payload),
        eth(&[], 0x88cc, &[1, 2, 3, 4]),
    ]
}

#[test]
fn templates_parse_cleanly_and_truncations_are_reported() {
    for p in templates() {
        let e = extract(&p, 1);
        assert_eq!(e.anomaly, None, "{p:02x?}");
        check_checksums(&p).unwrap();
        let ip = matches!(e.layout.l3_kind, L3Kind::Ipv4 | L3Kind::Ipv6);
        for n in 0..p.len() {
            let t = extract(&p[..n], 1);
            if n < 14 || ip {
                // IP length fields cover the whole packet.
                assert!(t.anomaly.is_some(), "cut at {n}: {p:02x?}");
            }
            // Whatever was parsed agrees with the whole packet.
            let mut seen = Flow::ZERO;
            for f in Field::ALL {
                if f.get(&t.flow) != 0 {
                    f.set_mask_all(&mut seen);
                }
            }
            if t.anomaly.is_none() {
                assert_eq!(t.flow, e.flow, "cut at {n}");
            }
            assert!(t.flow.eq_masked(&e.flow, &seen), "cut at {n}");
        }
    }
}

fn apply(p: &[u8]) -> (Layout, Flow) {
    let e = extract(p, 9);
    (e.layout, e.flow)
}

/// The invariant after every edit.
fn consistent(p: &[u8], layout: &Layout, flow: &Flow) {
    let e = extract(p, flow.in_port());
    let mut f = e.flow;
    f.copy_pipeline_fields(flow);
    assert_eq!(&f, flow, "kept flow differs from the packet's");
    assert_eq!(&e.layout, layout);
    check_checksums(p).unwrap();
}

#[test]
fn set_fields_keep_checksums() {
    const VALUE: u128 = 0x0123_4567_89ab_cdef_0f1e_2d3c_4b5a_6978;
    for mut p in templates() {
        let (mut l, mut f) = apply(&p);
        for &field in Field::ALL {
            let before = p.clone();
            // On these well-formed packets a settable field applies exactly
            // when its prerequisites hold (a VLAN VID also needs a tag).
            let applies = field.settable()
                && field.prereqs_met(&f)
                && (field != Field::VlanVid || l.vlan.is_some());
            let r = set_field(&mut p, &mut l, &mut f, field, VALUE);
            assert_eq!(r.is_ok(), applies, "{field:?} on {before:02x?}: {r:?}");
            match r {
                Ok(()) => {
                    let v = VALUE & field.all_ones();
                    let want = if field == Field::VlanVid {
                        (v & 0xfff) | 0x1000
                    } else {
                        v
                    };
                    assert_eq!(field.get(&f), want, "{field:?}");
                }
                Err(_) => assert_eq!(p, before, "failed edit changed the packet"),
            }
            consistent(&p, &l, &f);
        }
    }
}

#[test]
fn udp_zero_checksum_stays_zero() {
    let mut p = finish(eth(
        &[],
        0x0800,
        &ipv4(IP_A, IP_B, 17, 8, 0, &[], 0, &udp(1, 2, b"z")),
    ));
    p[14 + 20 + 6] = 0;
    p[14 + 20 + 7] = 0;
    let (mut l, mut f) = apply(&p);
    set_field(&mut p, &mut l, &mut f, Field::Ipv4Src, 0x0102_0304).unwrap();
    set_field(&mut p, &mut l, &mut f, Field::UdpDst, 99).unwrap();
    assert_eq!(&p[40..42], &[0, 0]);
    consistent(&p, &l, &f);
}

#[test]
fn read_only_and_missing_headers() {
    let mut p = tcp4(&[]);
    let (mut l, mut f) = apply(&p);
    assert_eq!(
        set_field(&mut p, &mut l, &mut f, Field::InPhyPort, 3),
        Err(EditError::NotSettable(Field::InPhyPort))
    );
    assert!(matches!(
        set_field(&mut p, &mut l, &mut f, Field::UdpSrc, 1),
        Err(EditError::NotApplicable(_))
    ));
    assert!(matches!(
        set_field(&mut p, &mut l, &mut f, Field::VlanVid, 0x1005),
        Err(EditError::NotApplicable(_))
    ));
    assert!(matches!(
        pop_vlan(&mut p, &mut l, &mut f),
        Err(EditError::NotApplicable(_))
    ));
    assert!(matches!(
        pop_mpls(&mut p, &mut l, &mut f, 0x800),
        Err(EditError::NotApplicable(_))
    ));
    assert!(matches!(
        push_vlan(&mut p, &mut l, &mut f, 0x0800),
        Err(EditError::NotApplicable(_))
    ));
    assert_eq!(p, tcp4(&[]));
    set_field(&mut p, &mut l, &mut f, Field::Metadata, 77).unwrap();
    assert_eq!(Field::Metadata.get(&f), 77);
    assert_eq!(p, tcp4(&[]));
}

#[test]
fn vlan_push_pop() {
    let orig = tcp4(&[]);
    let mut p = orig.clone();
    let (mut l, mut f) = apply(&p);
    push_vlan(&mut p, &mut l, &mut f, 0x8100).unwrap();
    assert_eq!(&p[12..18], &[0x81, 0x00, 0, 0, 0x08, 0x00]);
    assert_eq!(f.vlan_tci(), 0x1000);
    set_field(&mut p, &mut l, &mut f, Field::VlanVid, 0x1000 | 42).unwrap();
    set_field(&mut p, &mut l, &mut f, Field::VlanPcp, 6).unwrap();
    assert_eq!(&p[14..16], &[0xc0, 42]);
    // A second push copies VID and PCP.
    push_vlan(&mut p, &mut l, &mut f, 0x88a8).unwrap();
    assert_eq!(&p[12..20], &[0x88, 0xa8, 0xc0, 42, 0x81, 0x00, 0xc0, 42]);
    assert_eq!(f.get(slot::VLAN_TCI_INNER), 0xd02a);
    consistent(&p, &l, &f);
    pop_vlan(&mut p, &mut l, &mut f).unwrap();
    pop_vlan(&mut p, &mut l, &mut f).unwrap();
    assert_eq!(p, orig);
    consistent(&p, &l, &f);
}

#[test]
fn mpls_push_pop_and_ttls() {
    let orig = tcp4(&[(0x8100, 0x0007)]);
    let mut p = orig.clone();
    let (mut l, mut f) = apply(&p);
    push_mpls(&mut p, &mut l, &mut f, 0x8847).unwrap();
    // After the VLAN tag; TTL from IP; bottom of stack.
    assert_eq!(&p[16..22], &[0x88, 0x47, 0, 0, 0x01, 64]);
    assert_eq!(f.eth_type(), 0x8847);
    assert_eq!(f.vlan_tci(), 0x1007);
    set_field(&mut p, &mut l, &mut f, Field::MplsLabel, 0xabcde).unwrap();
    set_field(&mut p, &mut l, &mut f, Field::MplsTc, 5).unwrap();
    push_mpls(&mut p, &mut l, &mut f, 0x8847).unwrap();
    assert_eq!(&p[18..26], &[0xab, 0xcd, 0xea, 64, 0xab, 0xcd, 0xeb, 64]);
    dec_mpls_ttl(&mut p, &l, &mut f).unwrap();
    assert_eq!(p[21], 63);
    copy_ttl_in(&mut p, &l, &f).unwrap();
    assert_eq!(p[25], 63);
    set_mpls_ttl(&mut p, &l, &mut f, 1).unwrap();
    assert_eq!(dec_mpls_ttl(&mut p, &l, &mut f), Err(EditError::TtlExpired));
    assert_eq!(p[21], 1);
    copy_ttl_out(&mut p, &l, &mut f).unwrap();
    assert_eq!(f.get(slot::MPLS_TTL), 63);
    consistent(&p, &l, &f);
    pop_mpls(&mut p, &mut l, &mut f, 0x8847).unwrap();
    // Single entry over IP: copy the TTL in to the IP header.
    set_mpls_ttl(&mut p, &l, &mut f, 17).unwrap();
    copy_ttl_in(&mut p, &l, &f).unwrap();
    consistent(&p, &l, &f);
    pop_mpls(&mut p, &mut l, &mut f, 0x0800).unwrap();
    assert_eq!(f.ip_ttl(), 17);
    consistent(&p, &l, &f);
    set_nw_ttl(&mut p, &l, &mut f, 64).unwrap();
    assert_eq!(p, orig);
    // Non-IP payload: TTL 0.
    let mut p = eth(&[], 0x88cc, &[1, 2]);
    let (mut l, mut f) = apply(&p);
    push_mpls(&mut p, &mut l, &mut f, 0x8848).unwrap();
    assert_eq!(f.mpls_lse(), 0x100);
    assert!(matches!(
        copy_ttl_out(&mut p, &l, &mut f),
        Err(EditError::NotApplicable(_))
    ));
}

#[test]
fn nw_ttl() {
    for mut p in [tcp4(&[]), v6(17, &udp(1, 2, b""))] {
        let (l, mut f) = apply(&p);
        set_nw_ttl(&mut p, &l, &mut f, 2).unwrap();
        dec_nw_ttl(&mut p, &l, &mut f).unwrap();
        assert_eq!(f.ip_ttl(), 1);
        let before = p.clone();
        assert_eq!(dec_nw_ttl(&mut p, &l, &mut f), Err(EditError::TtlExpired));
        assert_eq!(p, before);
        set_nw_ttl(&mut p, &l, &mut f, 0).unwrap();
        assert_eq!(dec_nw_ttl(&mut p, &l, &mut f), Err(EditError::TtlExpired));
        consistent(&p, &l, &f);
    }
    let mut p = eth(&[], 0x0806, &arp(1, MAC_A, IP_A, MAC_B, IP_B));
    let (l, mut f) = apply(&p);
    assert!(matches!(
        dec_nw_ttl(&mut p, &l, &mut f),
        Err(EditError::NotApplicable(_))
    ));
}

#[test]
fn pbb_push_pop() {
    let orig = tcp4(&[(0x8100, 0xa00a)]);
    let mut p = orig.clone();
    let (mut l, mut f) = apply(&p);
    push_pbb(&mut p, &mut l, &mut f, 0x88e7).unwrap();
    assert_eq!(p.len(), orig.len() + 18);
    assert_eq!(f.eth_type(), 0x88e7);
    assert_eq!(
        &p[12..18],
        &[0x88, 0xe7, 0xa0, 0, 0, 0],
        "PCP from the VLAN tag"
    );
    assert_eq!(&p[18..], &orig[..]);
    set_field(&mut p, &mut l, &mut f, Field::PbbIsid, 0x00ab_cdef).unwrap();
    set_field(&mut p, &mut l, &mut f, Field::EthDst, 0xffff_ffff_ffff).unwrap();
    consistent(&p, &l, &f);
    push_pbb(&mut p, &mut l, &mut f, 0x88e7).unwrap();
    assert_eq!(Field::PbbIsid.get(&f), 0xab_cdef, "I-SID copied");
    pop_pbb(&mut p, &mut l, &mut f).unwrap();
    pop_pbb(&mut p, &mut l, &mut f).unwrap();
    assert_eq!(p, orig);
    consistent(&p, &l, &f);
}

#[test]
fn sctp_crc_after_port_change() {
    let mut p = templates()[3].clone();
    let (mut l, mut f) = apply(&p);
    set_field(&mut p, &mut l, &mut f, Field::SctpDst, 80).unwrap();
    let l4 = usize::from(l.l4.unwrap());
    let mut zeroed = p[l4..].to_vec();
    zeroed[8..12].fill(0);
    assert_eq!(
        p[l4 + 8..l4 + 12],
        super::checksum::crc32c(&zeroed).to_le_bytes()
    );
    consistent(&p, &l, &f);
}

/// One action of a random edit sequence.
#[derive(Debug, Clone)]
enum Act {
    Set(Field, u128),
    PushVlan(u16),
    PopVlan,
    PushMpls(u16),
    PopMpls(u16),
    PushPbb,
    PopPbb,
    SetNwTtl(u8),
    DecNwTtl,
    SetMplsTtl(u8),
    DecMplsTtl,
    CopyTtlIn,
    CopyTtlOut,
}

fn arb_act() -> impl Strategy<Value = Act> {
    prop_oneof![
        6 => (prop::sample::select(Field::ALL.to_vec()), any::<u128>())
            .prop_map(|(f, v)| Act::Set(f, v)),
        1 => prop::sample::select(vec![0x8100u16, 0x88a8]).prop_map(Act::PushVlan),
        1 => Just(Act::PopVlan),
        1 => prop::sample::select(vec![0x8847u16, 0x8848]).prop_map(Act::PushMpls),
        1 => prop::sample::select(vec![0x0800u16, 0x86dd, 0x8847, 0x88cc]).prop_map(Act::PopMpls),
        1 => Just(Act::PushPbb),
        1 => Just(Act::PopPbb),
        1 => any::<u8>().prop_map(Act::SetNwTtl),
        1 => Just(Act::DecNwTtl),
        1 => any::<u8>().prop_map(Act::SetMplsTtl),
        1 => Just(Act::DecMplsTtl),
        1 => Just(Act::CopyTtlIn),
        1 => Just(Act::CopyTtlOut),
    ]
}

fn run(p: &mut Vec<u8>, l: &mut Layout, f: &mut Flow, act: &Act) -> Result<(), EditError> {
    match *act {
        Act::Set(field, v) => set_field(p, l, f, field, v),
        Act::PushVlan(t) => push_vlan(p, l, f, t),
        Act::PopVlan => pop_vlan(p, l, f),
        Act::PushMpls(t) => push_mpls(p, l, f, t),
        Act::PopMpls(t) => pop_mpls(p, l, f, t),
        Act::PushPbb => push_pbb(p, l, f, 0x88e7),
        Act::PopPbb => pop_pbb(p, l, f),
        Act::SetNwTtl(t) => set_nw_ttl(p, l, f, t),
        Act::DecNwTtl => dec_nw_ttl(p, l, f),
        Act::SetMplsTtl(t) => set_mpls_ttl(p, l, f, t),
        Act::DecMplsTtl => dec_mpls_ttl(p, l, f),
        Act::CopyTtlIn => copy_ttl_in(p, l, f),
        Act::CopyTtlOut => copy_ttl_out(p, l, f),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let e = extract(&bytes, 1);
        // Reusing storage gives the same result as fresh storage.
        let (mut f, mut l) = (Flow::EXACT, Layout { l4: Some(3), ..Layout::default() });
        prop_assert_eq!(extract_into(&bytes, 1, &mut f, &mut l), e.anomaly);
        prop_assert_eq!((f, l), (e.flow, e.layout));
        if let Some(l4) = e.layout.l4 {
            prop_assert!(usize::from(l4) <= bytes.len());
        }
    }

    #[test]
    fn random_payloads_under_each_ethertype(
        ty in prop::sample::select(vec![0x0800u16, 0x86dd, 0x0806, 0x8847, 0x88e7, 0x8100]),
        ihl in prop::sample::select(vec![5u8, 5, 5, 6, 15, 4]),
        proto in prop::sample::select(vec![0u8, 6, 17, 44, 43, 60, 51, 58, 132, 1, 50, 59]),
        mut body in proptest::collection::vec(any::<u8>(), 0..300),
        acts in proptest::collection::vec(arb_act(), 0..8),
    ) {
        // Steer random bytes into deeper parsers: plausible version,
        // lengths and next-header values.
        if body.len() >= 10 {
            body[0] = if ty == 0x86dd { 0x60 } else { 0x40 | ihl };
            let len = u16::try_from(body.len()).unwrap();
            if ty == 0x0800 {
                body[2..4].copy_from_slice(&len.to_be_bytes());
                body[6] = 0;
                body[9] = proto;
            } else if body.len() >= 40 {
                body[4..6].copy_from_slice(&(len - 40).to_be_bytes());
                body[6] = proto;
            }
        }
        let p = eth(&[], ty, &body);
        let e = extract(&p, 1);
        for o in [e.layout.l3, e.layout.l4, e.layout.mpls, e.layout.nd_lladdr].into_iter().flatten() {
            prop_assert!(usize::from(o) <= p.len());
        }
        prop_assert!(usize::from(e.layout.ip_end) <= p.len());
        // Edits on damaged packets never panic and keep the key in step.
        let mut p = p;
        let (mut l, mut f) = (e.layout, e.flow);
        for act in &acts {
            let before = p.clone();
            if run(&mut p, &mut l, &mut f, act).is_err() {
                prop_assert_eq!(&p, &before);
            }
            let e = extract(&p, f.in_port());
            let mut ef = e.flow;
            ef.copy_pipeline_fields(&f);
            prop_assert_eq!(ef, f, "after {:?}", act);
            prop_assert_eq!(e.layout, l);
        }
    }

    #[test]
    fn random_edit_sequences_keep_packet_and_flow_in_step(
        which in 0usize..15,
        acts in proptest::collection::vec(arb_act(), 1..12),
    ) {
        let mut p = templates()[which].clone();
        let (mut l, mut f) = apply(&p);
        // Setting a type field (Ethernet type, IP protocol, bottom of
        // stack), or popping MPLS to a type that is not the payload's,
        // makes the bytes after it read as other headers, whose checksums
        // were never computed: from then on only the key is checked.
        let mut reinterpreted = false;
        for act in &acts {
            let before = p.clone();
            let flow_before = f;
            // The templates carry IPv4 under their MPLS labels.
            let bottom = f.get(slot::MPLS_BOS) == 1;
            let r = run(&mut p, &mut l, &mut f, act);
            if r.is_err() {
                prop_assert_eq!(&p, &before, "failed {:?} changed the packet", act);
                prop_assert_eq!(f, flow_before);
            }
            reinterpreted |= r.is_ok()
                && match act {
                    Act::Set(field, _) => {
                        matches!(field, Field::EthType | Field::IpProto | Field::MplsBos)
                    }
                    // A pop whose Ethernet type is not what follows.
                    Act::PopMpls(t) => (bottom && *t != 0x0800) || (!bottom && *t != 0x8847 && *t != 0x8848),
                    _ => false,
                };
            let e = extract(&p, f.in_port());
            let mut ef = e.flow;
            ef.copy_pipeline_fields(&f);
            prop_assert_eq!(ef, f, "after {:?}", act);
            prop_assert_eq!(e.layout, l);
            if reinterpreted {
                continue;
            }
            if let Err(msg) = check_checksums(&p) {
                return Err(TestCaseError::fail(format!("after {act:?}: {msg}")));
            }
        }
    }
}

#[test]
fn udp_checksum_never_becomes_zero() {
    let mut p = finish(eth(
        &[],
        0x0800,
        &ipv4(IP_A, IP_B, 17, 8, 0, &[], 0, &udp(1, 2, b"z")),
    ));
    let (mut l, mut f) = apply(&p);
    // A source port that brings the one's-complement sum to 0xffff.
    let c = u32::from(u16::from_be_bytes([p[40], p[41]]));
    assert_ne!(c, 0xffff);
    let port = u128::from(c + 1);
    set_field(&mut p, &mut l, &mut f, Field::UdpSrc, port).unwrap();
    assert_eq!(&p[40..42], &[0xff, 0xff], "0 would mean no checksum");
    consistent(&p, &l, &f);
}

#[test]
fn openflow_actions() {
    use openflow::action::Action as A;
    let orig = tcp4(&[]);
    let mut p = orig.clone();
    let (mut l, mut f) = apply(&p);
    let acts = [
        A::PushVlan(0x8100),
        A::SetField(OxmField::VlanVid {
            value: 0x1000 | 33,
            mask: None,
        }),
        A::SetField(OxmField::Ipv4Dst {
            value: Ipv4Addr::new(0, 0, 9, 9),
            mask: Some(Ipv4Addr::new(0, 0, 255, 255)),
        }),
        A::SetTpDst(8080),
        A::DecNwTtl,
        A::PushMpls(0x8847),
        A::Output {
            port: 1,
            max_len: 0,
        },
    ];
    let mut applied = Vec::new();
    for a in &acts {
        applied.push(apply_action(&mut p, &mut l, &mut f, a).unwrap());
        consistent(&p, &l, &f);
    }
    assert_eq!(applied[6], Applied::NotAnEdit);
    assert!(applied[..6].iter().all(|a| *a == Applied::Edited));
    assert_eq!(f.eth_type(), 0x8847);
    assert_eq!(f.vlan_tci(), 0x1021);
    assert_eq!(f.get(slot::MPLS_TTL), 63);
    for a in [A::PopMpls(0x0800), A::PopVlan] {
        apply_action(&mut p, &mut l, &mut f, &a).unwrap();
    }
    assert_eq!(f.get(slot::IPV4_DST), ip_u64([192, 168, 9, 9]));
    assert_eq!(f.get(slot::TP_DST), 8080);
    assert_eq!(f.ip_ttl(), 63);
    assert_eq!(p.len(), orig.len());
    check_checksums(&p).unwrap();
    apply_action(&mut p, &mut l, &mut f, &A::SetField(OxmField::IpProto(17))).unwrap();
    assert_eq!(f.ip_proto(), 17);
}

/// The TCP checksum of the segment at `l4` of an IPv4 packet at `l3`, as
/// if the pseudo-header carried protocol `proto`.
fn tcp_csum_with_proto(p: &[u8], l3: usize, l4: usize, proto: u8) -> u16 {
    let end = l3 + usize::from(u16::from_be_bytes([p[l3 + 2], p[l3 + 3]]));
    let mut seg = p[l4..end].to_vec();
    seg[16] = 0;
    seg[17] = 0;
    let mut pseudo = p[l3 + 12..l3 + 20].to_vec();
    pseudo.extend_from_slice(&[0, proto]);
    pseudo.extend_from_slice(&((end - l4) as u16).to_be_bytes());
    let acc = checksum::sum(checksum::sum(0, &pseudo), &seg);
    checksum::finish(acc)
}

#[test]
fn type_fields_are_settable() {
    // ip_proto: the IPv4 header checksum and the TCP checksum's
    // pseudo-header follow (the segment stays where it is).
    let mut p = tcp4(&[]);
    let (mut l, mut f) = apply(&p);
    set_field(&mut p, &mut l, &mut f, Field::IpProto, 17).unwrap();
    assert_eq!(p[14 + 9], 17);
    assert_eq!(checksum::checksum(&p[14..34]), 0, "IPv4 header checksum");
    let stored = u16::from_be_bytes([p[34 + 16], p[34 + 17]]);
    assert_eq!(stored, tcp_csum_with_proto(&p, 14, 34, 17));
    assert_eq!((f.ip_proto(), l.l4), (17, Some(34)));
    // eth_type: the frame is read by its new type.
    let mut p = tcp4(&[(0x8100, 5)]);
    let (mut l, mut f) = apply(&p);
    set_field(&mut p, &mut l, &mut f, Field::EthType, 0x8848).unwrap();
    assert_eq!(&p[16..18], &[0x88, 0x48]);
    assert_eq!(f.eth_type(), 0x8848);
    assert_eq!(l.mpls, Some(18));
    // mpls_bos: cleared on the only entry.
    let inner = tcp4(&[]);
    let mut p = finish(eth(&[], 0x8847, &mpls(&[(100, 3, 64)], &inner[14..])));
    let (mut l, mut f) = apply(&p);
    assert_eq!(f.get(slot::MPLS_BOS), 1);
    set_field(&mut p, &mut l, &mut f, Field::MplsBos, 0).unwrap();
    assert_eq!(p[14 + 2] & 1, 0);
    assert_eq!(f.get(slot::MPLS_BOS), 0);
    // IPv6 behind extension headers: the last next-header changes.
    let l4 = tcp(1, 2, 0x02, &[], b"");
    let mut rest = ext(60, 1);
    rest[0] = 6;
    rest.extend_from_slice(&l4);
    let mut p = finish(eth(&[], 0x86dd, &ipv6(1, 2, 60, 64, 0, 0, &rest)));
    let (mut l, mut f) = apply(&p);
    set_field(&mut p, &mut l, &mut f, Field::IpProto, 17).unwrap();
    assert_eq!((p[14 + 6], p[14 + 40]), (60, 17));
    assert_eq!(f.ip_proto(), 17);
}

#[test]
fn ethernet_packet_type_matches_everything() {
    let pt = |payload: Vec<u8>| OxmField::Other {
        class: 0x8000,
        field: 44,
        hasmask: false,
        experimenter: None,
        payload,
    };
    let (key, mask) =
        match_to_flow(&Match::new(vec![pt(vec![0; 4]), OxmField::InPort(3)])).unwrap();
    assert_eq!(
        (key, mask),
        match_to_flow(&Match::new(vec![OxmField::InPort(3)])).unwrap()
    );
    // Any other packet type is a field this datapath cannot match.
    assert!(match_to_flow(&Match::new(vec![pt(vec![0, 1, 0x88, 0x47])])).is_err());
}
