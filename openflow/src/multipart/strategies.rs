//! Proptest strategies for multipart requests and replies: every value a
//! strategy yields for a version encodes in that version and decodes back
//! to itself.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};

use super::*;
use crate::oxm::strategies::arb_oxm_id;

fn name(max: usize) -> BoxedStrategy<String> {
    proptest::string::string_regex(&format!("[a-zA-Z0-9 _.-]{{0,{max}}}"))
        .expect("valid regex")
        .boxed()
}

/// A port number `version` can carry.
pub(super) fn port(version: Version) -> BoxedStrategy<u32> {
    if version == Version::V1_0 {
        prop_oneof![0u32..0xff00, 0xffff_ff00u32..=u32::MAX].boxed()
    } else {
        any::<u32>().boxed()
    }
}

fn exp_prop() -> impl Strategy<Value = ExperimenterProp> {
    (any::<u32>(), any::<u32>(), vec(any::<u8>(), 0..12)).prop_map(
        |(experimenter, exp_type, data)| ExperimenterProp {
            experimenter,
            exp_type,
            data,
        },
    )
}

fn desc() -> impl Strategy<Value = SwitchDesc> {
    (name(40), name(40), name(40), name(32), name(40)).prop_map(
        |(mfr_desc, hw_desc, sw_desc, serial_num, dp_desc)| SwitchDesc {
            mfr_desc,
            hw_desc,
            sw_desc,
            serial_num,
            dp_desc,
        },
    )
}

fn table_stats(version: Version) -> impl Strategy<Value = TableStats> {
    (
        (
            any::<u8>(),
            any::<u32>(),
            any::<u64>(),
            any::<u64>(),
            name(32),
        ),
        (
            any::<u64>(),
            any::<u64>(),
            any::<[u32; 5]>(),
            any::<[u64; 4]>(),
        ),
    )
        .prop_map(
            move |(
                (table_id, active_count, lookup_count, matched_count, name),
                (wc, mf, w32, w64),
            )| {
                let mut t = TableStats {
                    table_id,
                    active_count,
                    lookup_count,
                    matched_count,
                    ..Default::default()
                };
                match version {
                    Version::V1_0 => {
                        t.name = name;
                        t.wildcards = wc & 0xffff_ffff;
                        t.max_entries = w32[0];
                    }
                    Version::V1_1 => {
                        t.name = name;
                        t.wildcards = wc & 0xffff_ffff;
                        t.match_fields = mf & 0xffff_ffff;
                        t.instructions = w32[0];
                        t.write_actions = w32[1];
                        t.apply_actions = w32[2];
                        t.config = w32[3];
                        t.max_entries = w32[4];
                    }
                    Version::V1_2 => {
                        t.name = name;
                        t.wildcards = wc;
                        t.match_fields = mf;
                        t.instructions = w32[0];
                        t.write_actions = w32[1];
                        t.apply_actions = w32[2];
                        t.config = w32[3];
                        t.max_entries = w32[4];
                        t.write_setfields = w64[0];
                        t.apply_setfields = w64[1];
                        t.metadata_match = w64[2];
                        t.metadata_write = w64[3];
                    }
                    _ => {}
                }
                t
            },
        )
}

fn port_stats_experimenter() -> impl Strategy<Value = PortStatsExperimenter> {
    prop_oneof![
        any::<[u64; 21]>()
            .prop_map(|a| PortStatsExperimenter::IntelRfc2819(IntelRfc2819Stats::from_array(a))),
        vec(
            (name(24), any::<u64>()).prop_map(|(name, value)| CustomCounter { name, value }),
            0..4
        )
        .prop_map(PortStatsExperimenter::IntelCustom),
        exp_prop().prop_map(|mut p| {
            if p.experimenter == INTEL_VENDOR_ID {
                p.experimenter ^= 1;
            }
            PortStatsExperimenter::Other(p)
        }),
    ]
}

fn port_stats(version: Version) -> impl Strategy<Value = PortStats> {
    (
        (port(version), any::<u32>(), any::<u32>(), any::<[u64; 8]>()),
        (
            proptest::option::of(any::<[u64; 4]>()),
            proptest::option::of((any::<[u32; 7]>(), any::<[u16; 4]>())),
        ),
        vec(port_stats_experimenter(), 0..3),
    )
        .prop_map(move |((port_no, ds, dn, c), (eth, opt), exp)| {
            let ethernet = eth.map(|e| PortStatsEthernet {
                rx_frame_err: e[0],
                rx_over_err: e[1],
                rx_crc_err: e[2],
                collisions: e[3],
            });
            let mut ps = PortStats {
                port_no,
                duration_sec: ds,
                duration_nsec: dn,
                rx_packets: c[0],
                tx_packets: c[1],
                rx_bytes: c[2],
                tx_bytes: c[3],
                rx_dropped: c[4],
                tx_dropped: c[5],
                rx_errors: c[6],
                tx_errors: c[7],
                ethernet,
                optical: opt.map(|(u, h)| PortStatsOptical {
                    flags: u[0],
                    tx_freq_lmda: u[1],
                    tx_offset: u[2],
                    tx_grid_span: u[3],
                    rx_freq_lmda: u[4],
                    rx_offset: u[5],
                    rx_grid_span: u[6],
                    tx_pwr: h[0],
                    rx_pwr: h[1],
                    bias_current: h[2],
                    temperature: h[3],
                }),
                experimenter: exp,
            };
            if version < Version::V1_4 {
                ps.ethernet = Some(ps.ethernet.unwrap_or(PortStatsEthernet::UNKNOWN));
                ps.optical = None;
                ps.experimenter.clear();
            }
            if version < Version::V1_3 {
                ps.duration_sec = u32::MAX;
                ps.duration_nsec = u32::MAX;
            }
            ps
        })
}

fn queue_stats(version: Version) -> impl Strategy<Value = QueueStats> {
    (
        port(version),
        any::<u32>(),
        any::<[u64; 3]>(),
        any::<(u32, u32)>(),
        vec(exp_prop(), 0..3),
    )
        .prop_map(move |(port_no, queue_id, c, (ds, dn), exp)| {
            let old = version < Version::V1_3;
            QueueStats {
                port_no,
                queue_id,
                tx_bytes: c[0],
                tx_packets: c[1],
                tx_errors: c[2],
                duration_sec: if old { u32::MAX } else { ds },
                duration_nsec: if old { u32::MAX } else { dn },
                experimenter: if version < Version::V1_4 {
                    Vec::new()
                } else {
                    exp
                },
            }
        })
}

fn group_stats(version: Version) -> impl Strategy<Value = GroupStats> {
    (
        any::<[u32; 4]>(),
        any::<[u64; 2]>(),
        vec(any::<[u64; 2]>(), 0..4),
    )
        .prop_map(move |(w, c, buckets)| {
            let old = version < Version::V1_3;
            GroupStats {
                group_id: w[0],
                ref_count: w[1],
                packet_count: c[0],
                byte_count: c[1],
                duration_sec: if old { u32::MAX } else { w[2] },
                duration_nsec: if old { u32::MAX } else { w[3] },
                bucket_stats: buckets
                    .into_iter()
                    .map(|b| BucketCounter {
                        packet_count: b[0],
                        byte_count: b[1],
                    })
                    .collect(),
            }
        })
}

fn meter_stats() -> impl Strategy<Value = MeterStats> {
    (
        any::<[u32; 4]>(),
        any::<[u64; 2]>(),
        vec(any::<[u64; 2]>(), 0..4),
    )
        .prop_map(|(w, c, bands)| MeterStats {
            meter_id: w[0],
            flow_count: w[1],
            packet_in_count: c[0],
            byte_in_count: c[1],
            duration_sec: w[2],
            duration_nsec: w[3],
            band_stats: bands
                .into_iter()
                .map(|b| MeterBandStats {
                    packet_band_count: b[0],
                    byte_band_count: b[1],
                })
                .collect(),
        })
}

fn table_feature_prop() -> impl Strategy<Value = TableFeatureProp> {
    let data = || vec(any::<u8>(), 0..8);
    let inst =
        (any::<u16>(), data()).prop_map(|(inst_type, data)| InstructionId { inst_type, data });
    let act = (any::<u16>(), data()).prop_map(|(action_type, data)| ActionId { action_type, data });
    let oxms = || vec(arb_oxm_id(), 0..4);
    prop_oneof![
        (any::<bool>(), vec(inst, 0..4))
            .prop_map(|(miss, ids)| TableFeatureProp::Instructions { miss, ids }),
        (any::<bool>(), vec(any::<u8>(), 0..10))
            .prop_map(|(miss, tables)| TableFeatureProp::NextTables { miss, tables }),
        (any::<bool>(), vec(act.clone(), 0..4))
            .prop_map(|(miss, ids)| TableFeatureProp::WriteActions { miss, ids }),
        (any::<bool>(), vec(act, 0..4))
            .prop_map(|(miss, ids)| TableFeatureProp::ApplyActions { miss, ids }),
        oxms().prop_map(TableFeatureProp::Match),
        oxms().prop_map(TableFeatureProp::Wildcards),
        (any::<bool>(), oxms())
            .prop_map(|(miss, ids)| TableFeatureProp::WriteSetfield { miss, ids }),
        (any::<bool>(), oxms())
            .prop_map(|(miss, ids)| TableFeatureProp::ApplySetfield { miss, ids }),
        (any::<bool>(), exp_prop())
            .prop_map(|(miss, prop)| TableFeatureProp::Experimenter { miss, prop }),
    ]
}

fn table_features() -> impl Strategy<Value = TableFeatures> {
    (
        any::<u8>(),
        name(32),
        any::<[u64; 2]>(),
        any::<[u32; 2]>(),
        vec(table_feature_prop(), 0..6),
    )
        .prop_map(|(table_id, name, m, w, properties)| TableFeatures {
            table_id,
            name,
            metadata_match: m[0],
            metadata_write: m[1],
            config: w[0],
            max_entries: w[1],
            properties,
        })
}

fn table_desc() -> impl Strategy<Value = TableDesc> {
    (
        any::<u8>(),
        any::<u32>(),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<[u8; 3]>()),
        vec(exp_prop(), 0..3),
    )
        .prop_map(
            |(table_id, config, eviction, vac, experimenter)| TableDesc {
                table_id,
                config,
                eviction,
                vacancy: vac.map(|v| TableVacancy {
                    vacancy_down: v[0],
                    vacancy_up: v[1],
                    vacancy: v[2],
                }),
                experimenter,
            },
        )
}

/// Opaque experimenter body; 1.0 has vendor stats instead.
fn experimenter(version: Version) -> BoxedStrategy<(ExperimenterMultipart, VendorStats)> {
    let _ = version;
    (any::<u32>(), any::<u32>(), vec(any::<u8>(), 0..24))
        .prop_map(|(experimenter, exp_type, data)| {
            (
                ExperimenterMultipart {
                    experimenter,
                    exp_type,
                    data: data.clone(),
                },
                VendorStats {
                    vendor: experimenter,
                    data,
                },
            )
        })
        .boxed()
}

/// Any multipart request `version` can carry.
pub fn arb_multipart_request(version: Version) -> impl Strategy<Value = MultipartRequest> {
    use MultipartRequestBody as B;
    let mut bodies: Vec<BoxedStrategy<B>> = vec![
        Just(B::Desc).boxed(),
        Just(B::Table).boxed(),
        Just(B::PortDesc).boxed(),
        port(version)
            .prop_map(|port_no| B::PortStats(PortStatsRequest { port_no }))
            .boxed(),
        (port(version), any::<u32>())
            .prop_map(|(port_no, queue_id)| B::Queue(QueueStatsRequest { port_no, queue_id }))
            .boxed(),
        flow::strategies::flow_stats_request(version)
            .prop_map(B::Flow)
            .boxed(),
        flow::strategies::flow_stats_request(version)
            .prop_map(B::Aggregate)
            .boxed(),
    ];
    if version == Version::V1_0 {
        bodies.push(
            experimenter(version)
                .prop_map(|(_, v)| B::Vendor(v))
                .boxed(),
        );
    } else {
        bodies.push(
            experimenter(version)
                .prop_map(|(e, _)| B::Experimenter(e))
                .boxed(),
        );
        bodies.push(
            any::<u32>()
                .prop_map(|group_id| B::Group(GroupStatsRequest { group_id }))
                .boxed(),
        );
        bodies.push(Just(B::GroupDesc).boxed());
    }
    if version >= Version::V1_2 {
        bodies.push(Just(B::GroupFeatures).boxed());
    }
    if version >= Version::V1_3 {
        bodies.push(
            any::<u32>()
                .prop_map(|meter_id| B::Meter(MeterRequest { meter_id }))
                .boxed(),
        );
        bodies.push(
            any::<u32>()
                .prop_map(|meter_id| B::MeterConfig(MeterRequest { meter_id }))
                .boxed(),
        );
        bodies.push(Just(B::MeterFeatures).boxed());
        bodies.push(
            vec(table_features(), 0..3)
                .prop_map(B::TableFeatures)
                .boxed(),
        );
    }
    if version >= Version::V1_4 {
        bodies.push(Just(B::TableDesc).boxed());
        bodies.push(
            any::<(u32, u32)>()
                .prop_map(|(port_no, queue_id)| {
                    B::QueueDesc(QueueStatsRequest { port_no, queue_id })
                })
                .boxed(),
        );
        bodies.push(
            vec(flow::strategies::flow_monitor_request(), 0..3)
                .prop_map(B::FlowMonitor)
                .boxed(),
        );
    }
    (any::<u16>(), Union::new(bodies)).prop_map(|(flags, body)| MultipartRequest { flags, body })
}

/// Any multipart reply `version` can carry.
pub fn arb_multipart_reply(version: Version) -> impl Strategy<Value = MultipartReply> {
    use MultipartReplyBody as B;
    let mut bodies: Vec<BoxedStrategy<B>> = vec![
        desc().prop_map(B::Desc).boxed(),
        vec(desc::strategies::port_desc(version), 0..3)
            .prop_map(B::PortDesc)
            .boxed(),
        vec(flow::strategies::flow_stats(version), 0..3)
            .prop_map(B::Flow)
            .boxed(),
        any::<(u64, u64, u32)>()
            .prop_map(|(packet_count, byte_count, flow_count)| {
                B::Aggregate(AggregateStats {
                    packet_count,
                    byte_count,
                    flow_count,
                })
            })
            .boxed(),
        vec(table_stats(version), 0..4).prop_map(B::Table).boxed(),
        vec(port_stats(version), 0..4)
            .prop_map(B::PortStats)
            .boxed(),
        vec(queue_stats(version), 0..4).prop_map(B::Queue).boxed(),
    ];
    if version == Version::V1_0 {
        bodies.push(
            experimenter(version)
                .prop_map(|(_, v)| B::Vendor(v))
                .boxed(),
        );
    } else {
        bodies.push(
            experimenter(version)
                .prop_map(|(e, _)| B::Experimenter(e))
                .boxed(),
        );
        bodies.push(vec(group_stats(version), 0..4).prop_map(B::Group).boxed());
        bodies.push(
            vec(desc::strategies::group_desc(version), 0..3)
                .prop_map(B::GroupDesc)
                .boxed(),
        );
    }
    if version >= Version::V1_2 {
        bodies.push(
            (any::<[u32; 2]>(), any::<[u32; 4]>(), any::<[u32; 4]>())
                .prop_map(|(w, max_groups, actions)| {
                    B::GroupFeatures(GroupFeatures {
                        types: w[0],
                        capabilities: w[1],
                        max_groups,
                        actions,
                    })
                })
                .boxed(),
        );
    }
    if version >= Version::V1_3 {
        bodies.push(vec(meter_stats(), 0..3).prop_map(B::Meter).boxed());
        bodies.push(
            vec(desc::strategies::meter_config(), 0..3)
                .prop_map(B::MeterConfig)
                .boxed(),
        );
        bodies.push(
            (any::<[u32; 3]>(), any::<[u8; 2]>())
                .prop_map(|(w, b)| {
                    B::MeterFeatures(MeterFeatures {
                        max_meter: w[0],
                        band_types: w[1],
                        capabilities: w[2],
                        max_bands: b[0],
                        max_color: b[1],
                    })
                })
                .boxed(),
        );
        bodies.push(
            vec(table_features(), 0..3)
                .prop_map(B::TableFeatures)
                .boxed(),
        );
    }
    if version >= Version::V1_4 {
        bodies.push(vec(table_desc(), 0..3).prop_map(B::TableDesc).boxed());
        bodies.push(
            vec(desc::strategies::queue_desc(), 0..3)
                .prop_map(B::QueueDesc)
                .boxed(),
        );
        bodies.push(
            vec(flow::strategies::flow_update(), 0..3)
                .prop_map(B::FlowMonitor)
                .boxed(),
        );
    }
    (any::<u16>(), Union::new(bodies)).prop_map(|(flags, body)| MultipartReply { flags, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions() -> impl Strategy<Value = Version> {
        proptest::sample::select(Version::ALL.to_vec())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn requests_round_trip((version, req) in versions().prop_flat_map(|v| (Just(v), arb_multipart_request(v)))) {
            let mut out = Vec::new();
            req.encode(version, &mut out).unwrap();
            let back = MultipartRequest::decode(version, &out).unwrap();
            prop_assert_eq!(&back, &req);
            let mut again = Vec::new();
            back.encode(version, &mut again).unwrap();
            prop_assert_eq!(again, out);
        }

        #[test]
        fn replies_round_trip((version, rep) in versions().prop_flat_map(|v| (Just(v), arb_multipart_reply(v)))) {
            let mut out = Vec::new();
            rep.encode(version, &mut out).unwrap();
            let back = MultipartReply::decode(version, &out).unwrap();
            prop_assert_eq!(&back, &rep);
        }

        #[test]
        fn split_parts_fit_and_concatenate(
            (version, rep) in versions().prop_flat_map(|v| (Just(v), arb_multipart_reply(v))),
            max_len in 64usize..2048,
        ) {
            let mut whole = Vec::new();
            rep.encode(version, &mut whole).unwrap();
            let parts = rep.clone().split(version, max_len);
            prop_assert!(!parts.is_empty());
            let hdr = if version == Version::V1_0 { 4 } else { 8 };
            let mut bodies = Vec::new();
            for (k, p) in parts.iter().enumerate() {
                let mut b = Vec::new();
                p.encode(version, &mut b).unwrap();
                let more = p.flags & OFPMPF_REPLY_MORE != 0;
                prop_assert!(k + 1 == parts.len() || more);
                // Over the limit only when the part holds a single oversized entry.
                if b.len() + 8 > max_len {
                    prop_assert!(parts.len() == 1 || entry_count(&p.body) == 1);
                }
                bodies.extend_from_slice(&b[hdr..]);
            }
            prop_assert_eq!(bodies, whole[hdr..].to_vec());
        }

        #[test]
        fn decode_never_panics(version in versions(), bytes in vec(any::<u8>(), 0..256)) {
            let _ = MultipartRequest::decode(version, &bytes);
            let _ = MultipartReply::decode(version, &bytes);
        }

        #[test]
        fn mutated_replies_never_panic(
            (version, rep) in versions().prop_flat_map(|v| (Just(v), arb_multipart_reply(v))),
            flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        ) {
            let mut out = Vec::new();
            rep.encode(version, &mut out).unwrap();
            for (at, byte) in flips {
                let k = at.index(out.len());
                out[k] = byte;
            }
            let _ = MultipartReply::decode(version, &out);
        }
    }

    fn entry_count(body: &MultipartReplyBody) -> usize {
        use MultipartReplyBody as B;
        match body {
            B::Flow(l) => l.len(),
            B::Table(l) => l.len(),
            B::PortStats(l) => l.len(),
            B::Queue(l) => l.len(),
            B::Group(l) => l.len(),
            B::GroupDesc(l) => l.len(),
            B::Meter(l) => l.len(),
            B::MeterConfig(l) => l.len(),
            B::TableFeatures(l) => l.len(),
            B::PortDesc(l) => l.len(),
            B::TableDesc(l) => l.len(),
            B::QueueDesc(l) => l.len(),
            B::FlowMonitor(l) => l.len(),
            _ => 1,
        }
    }
}
