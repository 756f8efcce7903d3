//! Cross-checks with Open vSwitch's decoder: replies encoded here are
//! printed by `ovs-ofctl ofp-print`, which must show our values. Skipped
//! (with a note) where `ovs-ofctl` is not installed.

use std::process::Command;

use super::*;

/// Wraps an encoded multipart reply in an `ofp_header` (type 17 in 1.0,
/// 19 after) and returns `ovs-ofctl ofp-print`'s output, or `None` when
/// the tool is missing.
fn ofp_print(version: Version, reply: &MultipartReply) -> Option<String> {
    let mut msg = vec![
        version.wire(),
        if version == Version::V1_0 { 17 } else { 19 },
        0,
        0,
        0,
        0,
        0,
        7,
    ];
    reply.encode(version, &mut msg).unwrap();
    let len = u16::try_from(msg.len()).unwrap();
    msg[2..4].copy_from_slice(&len.to_be_bytes());
    let out = match Command::new("ovs-ofctl")
        .arg("ofp-print")
        .arg(hex::encode(&msg))
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            println!("note: ovs-ofctl not found; skipping the Open vSwitch cross-check");
            return None;
        }
    };
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ovs-ofctl failed: {text}");
    assert!(
        !text.contains("decode error"),
        "ovs-ofctl could not decode: {text}"
    );
    Some(text)
}

#[test]
fn ovs_prints_v14_port_stats_with_intel_custom_counters() {
    let ps = PortStats {
        port_no: 1,
        duration_sec: 2,
        duration_nsec: 3,
        rx_packets: 1,
        tx_packets: 2,
        rx_bytes: 3,
        tx_bytes: 4,
        rx_dropped: 5,
        tx_dropped: 6,
        rx_errors: 7,
        tx_errors: 8,
        ethernet: Some(PortStatsEthernet {
            rx_frame_err: 9,
            rx_over_err: 10,
            rx_crc_err: 11,
            collisions: 12,
        }),
        optical: None,
        experimenter: vec![
            PortStatsExperimenter::IntelRfc2819(IntelRfc2819Stats::from_array(
                std::array::from_fn(|k| k as u64 + 100),
            )),
            PortStatsExperimenter::IntelCustom(vec![
                CustomCounter {
                    name: "rx_q0_packets".into(),
                    value: 7,
                },
                CustomCounter {
                    name: "tx_q0_bytes".into(),
                    value: 4242,
                },
            ]),
        ],
    };
    let reply = MultipartReply {
        flags: 0,
        body: MultipartReplyBody::PortStats(vec![ps]),
    };
    let Some(text) = ofp_print(Version::V1_4, &reply) else {
        return;
    };
    for want in [
        "port  1: rx pkts=1, bytes=3, drop=5, errs=7, frame=9, over=10, crc=11",
        "tx pkts=2, bytes=4, drop=6, errs=8, coll=12",
        "duration=2.000000003s",
        "rx rfc2819 1_to_64_packets=100,",
        "rx_jabber_errors=120",
        "tx rfc2819 1_to_64_packets=107,",
        "CUSTOM Statistics",
        "rx_q0_packets=7, tx_q0_bytes=4242,",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn ovs_prints_port_stats_of_older_versions() {
    let ps = PortStats {
        port_no: 0xffff_fffe,
        rx_packets: 11,
        tx_bytes: 22,
        ethernet: Some(PortStatsEthernet {
            rx_crc_err: 33,
            ..Default::default()
        }),
        duration_sec: 4,
        duration_nsec: 500_000_000,
        ..Default::default()
    };
    let reply = MultipartReply {
        flags: 0,
        body: MultipartReplyBody::PortStats(vec![ps]),
    };
    for v in [Version::V1_0, Version::V1_3] {
        let Some(text) = ofp_print(v, &reply) else {
            return;
        };
        assert!(text.contains("port LOCAL: rx pkts=11"), "{v}:\n{text}");
        assert!(text.contains("crc=33"), "{v}:\n{text}");
        assert!(text.contains("bytes=22"), "{v}:\n{text}");
        assert_eq!(
            text.contains("duration=4.500s"),
            v == Version::V1_3,
            "{v}:\n{text}"
        );
    }
}

#[test]
fn ovs_prints_group_meter_and_table_replies() {
    let cases = [
        (
            Version::V1_3,
            MultipartReplyBody::Group(vec![GroupStats {
                group_id: 5,
                ref_count: 1,
                packet_count: 123,
                byte_count: 4567,
                duration_sec: 9,
                duration_nsec: 0,
                bucket_stats: vec![BucketCounter {
                    packet_count: 120,
                    byte_count: 4500,
                }],
            }]),
            vec![
                "group_id=5",
                "packet_count=123",
                "byte_count=4567",
                "bucket0:packet_count=120,byte_count=4500",
            ],
        ),
        (
            Version::V1_3,
            MultipartReplyBody::Meter(vec![MeterStats {
                meter_id: 3,
                flow_count: 2,
                packet_in_count: 77,
                byte_in_count: 88,
                duration_sec: 1,
                duration_nsec: 0,
                band_stats: vec![MeterBandStats {
                    packet_band_count: 5,
                    byte_band_count: 6,
                }],
            }]),
            vec![
                "meter:3",
                "flow_count:2",
                "packet_in_count:77",
                "byte_in_count:88",
                "packet_count:5",
                "byte_count:6",
            ],
        ),
        (
            Version::V1_3,
            MultipartReplyBody::Table(vec![TableStats {
                table_id: 0,
                active_count: 4,
                lookup_count: 10,
                matched_count: 8,
                ..Default::default()
            }]),
            vec!["active=4", "lookup=10", "matched=8"],
        ),
        (
            Version::V1_4,
            MultipartReplyBody::TableDesc(vec![TableDesc {
                table_id: 2,
                // OFPTC14_VACANCY_EVENTS
                config: 1 << 3,
                eviction: Some(0),
                vacancy: Some(TableVacancy {
                    vacancy_down: 20,
                    vacancy_up: 80,
                    vacancy: 50,
                }),
                experimenter: vec![],
            }]),
            vec![
                "table 2:",
                "vacancy=on",
                "vacancy_down=20%",
                "vacancy_up=80%",
            ],
        ),
        (
            Version::V1_3,
            MultipartReplyBody::Aggregate(AggregateStats {
                packet_count: 31,
                byte_count: 32,
                flow_count: 33,
            }),
            vec!["packet_count=31", "byte_count=32", "flow_count=33"],
        ),
    ];
    for (v, body, wants) in cases {
        let reply = MultipartReply { flags: 0, body };
        let Some(text) = ofp_print(v, &reply) else {
            return;
        };
        for want in wants {
            assert!(text.contains(want), "{v}: missing {want:?} in:\n{text}");
        }
    }
}
