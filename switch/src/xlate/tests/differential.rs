//! The megaflow cache against the full pipeline: random multi-table rule
//! sets (set-field, push/pop VLAN and MPLS, TTL, select and all groups,
//! NORMAL, CONTROLLER, goto) and random packets (TCP, UDP, IPv6, ARP,
//! VLAN, QinQ, MPLS, fragments, IP protocol 0, truncated headers), with
//! random flow-mods between packets. Every packet gives the same outputs
//! (ports, bytes), drops and packet-ins through the cache as through the
//! full translation, and the rule counters agree at the end. Cache hits
//! run compiled programs where the translation allows, and replay the
//! rules otherwise (and under the debug check).

use super::*;
use crate::dpif::cache::{CacheCounts, FlowCache, UpcallBudget};
use crate::flow::testpkt::{eth, ipv4, ipv6, mpls, tcp, udp as udp_l4};
use openflow::group::{Bucket, GroupType};
use openflow::group_meter_mod::GroupMod;
use openflow::multipart::FlowStatsRequest;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct RuleSpec {
    table: u8,
    priority: u16,
    fields: Vec<OxmField>,
    actions: Vec<Action>,
    goto: bool,
}

fn arb_match() -> impl Strategy<Value = Vec<OxmField>> {
    let in_port = prop::option::of((1u32..=3).prop_map(OxmField::InPort));
    let l3 = prop_oneof![
        Just(vec![]),
        Just(vec![OxmField::EthType(0x0806)]),
        (0u8..4).prop_map(|d| vec![
            OxmField::EthType(0x0800),
            OxmField::Ipv4Dst {
                value: std::net::Ipv4Addr::new(10, 0, 0, d),
                mask: None
            }
        ]),
        (0u8..4).prop_map(|d| vec![
            OxmField::EthType(0x0800),
            OxmField::Ipv4Dst {
                value: std::net::Ipv4Addr::new(10, 0, d, 0),
                mask: Some(std::net::Ipv4Addr::new(255, 255, 255, 0))
            }
        ]),
        (prop::sample::select(vec![6u8, 17]), 1u16..4).prop_map(|(proto, port)| vec![
            OxmField::EthType(0x0800),
            OxmField::IpProto(proto),
            if proto == 6 {
                OxmField::TcpDst(port)
            } else {
                OxmField::UdpDst(port)
            }
        ]),
        Just(vec![OxmField::EthType(0x86dd), OxmField::IpProto(6)]),
        Just(vec![OxmField::EthType(0x8847)]),
        (0u16..3).prop_map(|v| vec![OxmField::VlanVid {
            value: 0x1000 | v,
            mask: None
        }]),
    ];
    (in_port, l3).prop_map(|(p, mut l3)| {
        l3.extend(p);
        l3
    })
}

fn arb_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => prop::sample::select(vec![1u32, 2, 3, OFPP_IN_PORT, OFPP_FLOOD, OFPP_ALL])
            .prop_map(|port| Action::Output { port, max_len: 0 }),
        1 => Just(Action::Output { port: OFPP_NORMAL, max_len: 0 }),
        1 => Just(Action::Output { port: OFPP_CONTROLLER, max_len: 32 }),
        1 => (0u8..4).prop_map(|d| Action::SetField(OxmField::Ipv4Dst {
            value: std::net::Ipv4Addr::new(10, 0, 0, d),
            mask: None
        })),
        1 => (1u16..4).prop_map(|p| Action::SetField(OxmField::TcpDst(p))),
        1 => Just(Action::SetField(OxmField::EthDst { value: [2, 0, 0, 0, 0, 9], mask: None })),
        1 => (0u16..3).prop_map(|v| Action::SetField(OxmField::VlanVid {
            value: 0x1000 | v,
            mask: None
        })),
        1 => Just(Action::PushVlan(0x8100)),
        1 => Just(Action::PopVlan),
        1 => Just(Action::PushMpls(0x8847)),
        1 => Just(Action::PopMpls(0x0800)),
        1 => Just(Action::DecNwTtl),
        1 => prop::sample::select(vec![1u32, 2]).prop_map(Action::Group),
    ]
}

fn arb_rule() -> impl Strategy<Value = RuleSpec> {
    (
        0u8..3,
        0u16..4,
        arb_match(),
        proptest::collection::vec(arb_action(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(table, priority, fields, actions, goto)| RuleSpec {
            table,
            priority,
            fields,
            actions,
            goto,
        })
}

fn arb_packet() -> impl Strategy<Value = Vec<u8>> {
    let tcp4 = |d: u8, dport: u16, ttl: u8| {
        ipv4(
            [10, 0, 0, 1],
            [10, 0, 0, d],
            6,
            ttl,
            0,
            &[],
            0,
            &tcp(1000, dport, 0x10, &[], b"data"),
        )
    };
    let udp4 = |d: u8, dport: u16| {
        ipv4(
            [10, 0, 1, 1],
            [10, 0, d, 0],
            17,
            64,
            0,
            &[],
            0,
            &udp_l4(1000, dport, b"xyz"),
        )
    };
    prop_oneof![
        (0u8..4, 1u16..4, 0u8..3).prop_map(move |(d, p, t)| eth(&[], 0x0800, &tcp4(d, p, t))),
        (0u8..4, 1u16..4).prop_map(move |(d, p)| eth(&[], 0x0800, &udp4(d, p))),
        (0u16..3, 0u8..4, 1u16..4).prop_map(move |(v, d, p)| eth(
            &[(0x8100, v)],
            0x0800,
            &tcp4(d, p, 64)
        )),
        (0u16..3, 0u8..4).prop_map(move |(v, d)| eth(
            &[(0x88a8, 7), (0x8100, v)],
            0x0800,
            &tcp4(d, 2, 64)
        )),
        (0u8..4).prop_map(move |d| eth(&[], 0x8847, &mpls(&[(16, 0, 64)], &tcp4(d, 1, 64)))),
        Just(eth(
            &[],
            0x86dd,
            &ipv6(1, 2, 6, 64, 0, 0, &tcp(1, 2, 0x02, &[], b""))
        )),
        Just(eth(
            &[],
            0x0806,
            &[
                0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0,
                2
            ]
        )),
        // A later fragment, IP protocol 0, truncated headers.
        (0u8..4).prop_map(|d| eth(
            &[],
            0x0800,
            &ipv4(
                [10, 0, 0, 1],
                [10, 0, 0, d],
                17,
                64,
                0,
                &[],
                0x0010,
                b"frag-data"
            )
        )),
        Just(eth(
            &[],
            0x0800,
            &ipv4([10, 0, 0, 1], [10, 0, 0, 2], 0, 64, 0, &[], 0, b"")
        )),
        (0u8..4, 15usize..40).prop_map(move |(d, cut)| {
            let mut p = eth(&[], 0x0800, &tcp4(d, 1, 64));
            p.truncate(cut);
            p
        }),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Packet(u32, Vec<u8>),
    /// Add a rule (index into the rule pool) or delete everything of a
    /// table at one priority.
    Add(RuleSpec),
    Delete(u8, u16),
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (1u32..=3, arb_packet()).prop_map(|(p, pkt)| Step::Packet(p, pkt)),
        1 => arb_rule().prop_map(Step::Add),
        1 => (0u8..3, 0u16..4).prop_map(|(t, p)| Step::Delete(t, p)),
    ]
}

fn flow_mod(spec: &RuleSpec) -> FlowMod {
    let mut ins = vec![Instruction::ApplyActions(spec.actions.clone())];
    if spec.goto && spec.table < 2 {
        ins.push(Instruction::GotoTable(spec.table + 1));
    }
    FlowMod::new(
        command::ADD,
        spec.table,
        spec.priority,
        Match::new(spec.fields.clone()),
        ins,
    )
}

fn groups() -> Groups {
    let g = Groups::default();
    let bucket = |actions: Vec<Action>| Bucket {
        weight: 1,
        watch_port: OFPP_ANY,
        watch_group: OFPG_ANY,
        actions,
    };
    let out = |port| Action::Output { port, max_len: 0 };
    for (id, group_type, buckets) in [
        (
            1,
            GroupType::Select,
            vec![bucket(vec![out(2)]), bucket(vec![out(3)])],
        ),
        (
            2,
            GroupType::All,
            vec![
                bucket(vec![out(1)]),
                bucket(vec![Action::SetField(OxmField::TcpDst(9)), out(3)]),
            ],
        ),
    ] {
        g.group_mod(&GroupMod {
            command: 0,
            group_type,
            group_id: id,
            buckets,
        })
        .unwrap();
    }
    g
}

/// What one packet did: outputs (port, bytes), drops, packet-ins
/// (reason, bytes).
type Outcome = (Vec<(u32, Vec<u8>)>, Vec<DropReason>, Vec<(u8, Vec<u8>)>);

/// What one packet did, comparable across the two paths.
fn outcome(r: &Recorder) -> Outcome {
    (
        r.out.iter().map(|(p, b, _)| (*p, b.clone())).collect(),
        r.dropped.clone(),
        r.pins.iter().map(|e| (e.reason, e.data.clone())).collect(),
    )
}

fn packet_counts(t: &Tables) -> Vec<(u8, u16, u64)> {
    let req = FlowStatsRequest::all();
    let mut v: Vec<(u8, u16, u64)> = t
        .flow_stats(&req, openflow::Version::V1_3)
        .unwrap()
        .into_iter()
        .map(|f| (f.table_id, f.priority, f.packet_count))
        .collect();
    v.sort();
    v
}

/// Forwards a batch of packets received on `in_port` (each with the full
/// pipeline's outcome) through `cache` as the datapath does, looking them
/// up together and then forwarding them one by one, and checks that each
/// does what the full pipeline did.
///
/// The upcall budget is no part of that comparison: it sheds misses on
/// purpose, under a flood of new flows (tested apart, below). It is charged
/// the wall-clock time each upcall takes, which a debug build on a busy
/// machine makes as long as the scheduler likes (an upcall whose thread is
/// preempted takes milliseconds), and refilled only as the translator's
/// clock advances, which stands still here: a case whose upcalls took more
/// than [`crate::dpif::cache::UPCALL_BURST_NS`] would have its later misses
/// dropped wherever a cache hit made the traffic established. So every
/// packet starts with a full budget, as the datapath's would once time had
/// passed.
fn forward_checked(
    cache: &mut FlowCache,
    base: &Xlate<'_>,
    in_port: u32,
    batch: Vec<(Vec<u8>, Outcome)>,
) -> Result<CacheCounts, TestCaseError> {
    let mut counts = CacheCounts::default();
    cache.classify(base, in_port, batch.iter().map(|(p, _)| p.as_slice()));
    for (i, (pkt, slow)) in batch.into_iter().enumerate() {
        cache.upcall_budget = UpcallBudget::default();
        let mut fast = Recorder::default();
        cache.forward_classified(i, base, in_port, pkt.clone(), &mut fast, &mut counts);
        prop_assert_eq!(
            &slow,
            &outcome(&fast),
            "packet {:02x?} on port {}, {} of its batch",
            pkt,
            in_port,
            i
        );
    }
    prop_assert_eq!(counts.upcall_lost, 0);
    Ok(counts)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("FERROVS_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn cached_forwarding_equals_the_full_pipeline(
        rules in proptest::collection::vec(arb_rule(), 1..12),
        steps in proptest::collection::vec(arb_step(), 1..60),
    ) {
        let (slow_t, fast_t) = (Tables::new(1000), Tables::new(1000));
        let g = groups();
        let (slow_macs, fast_macs) = (mac::MacTable::default(), mac::MacTable::default());
        let meters = Meters::default();
        let apply = |fm: &FlowMod| {
            let a = slow_t.flow_mod(fm, openflow::Version::V1_3, &g, &meters);
            let b = fast_t.flow_mod(fm, openflow::Version::V1_3, &g, &meters);
            assert_eq!(a.is_ok(), b.is_ok());
            slow_t.commit();
            fast_t.commit();
        };
        for r in &rules {
            apply(&flow_mod(r));
        }
        let mut cache = FlowCache::default();
        cache.emc.set_insert_inv_prob(1);
        // The debug check replays with every lookup made in the tables too.
        let mismatches = std::sync::atomic::AtomicU64::new(0);
        // The datapath forwards batches: consecutive packets from one port
        // are looked up together, up to a size that varies from 1 to 8,
        // and counted into the tables once per batch (so counts are
        // pending across flow-mods too). Every other batch runs with the
        // debug check (which replays the rules), the others as the
        // datapath runs (compiled programs where the translation allows).
        let mut batch: Vec<(u32, Vec<u8>, Outcome)> = Vec::new();
        let batches = std::cell::Cell::new(0u32);
        let forward_batch = |batch: &mut Vec<(u32, Vec<u8>, Outcome)>,
                              cache: &mut FlowCache|
         -> Result<(), TestCaseError> {
            let Some(&(in_port, _, _)) = batch.first() else {
                return Ok(());
            };
            let base = Xlate {
                check: batches.get().is_multiple_of(2).then_some(&mismatches),
                ..xlate(&fast_t, &g, &fast_macs, &|_| true, &|_| 0, false)
            };
            batches.set(batches.get() + 1);
            let batch = batch.drain(..).map(|(_, pkt, slow)| (pkt, slow)).collect();
            forward_checked(cache, &base, in_port, batch)?;
            cache.flush_counts(&fast_t, base.now_ns);
            Ok(())
        };
        for step in steps {
            match step {
                Step::Packet(in_port, pkt) => {
                    if batch.first().is_some_and(|(p, _, _)| *p != in_port)
                        || batch.len() > (batches.get() % 8) as usize
                    {
                        forward_batch(&mut batch, &mut cache)?;
                    }
                    let mut slow = Recorder::default();
                    xlate(&slow_t, &g, &slow_macs, &|_| true, &|_| 0, false)
                        .run(in_port, pkt.clone(), &mut slow);
                    batch.push((in_port, pkt, outcome(&slow)));
                }
                Step::Add(r) => {
                    forward_batch(&mut batch, &mut cache)?;
                    apply(&flow_mod(&r));
                }
                Step::Delete(table, priority) => {
                    forward_batch(&mut batch, &mut cache)?;
                    let mut fm = flow_mod(&RuleSpec {
                        table,
                        priority,
                        fields: vec![],
                        actions: vec![],
                        goto: false,
                    });
                    fm.command = command::DELETE;
                    apply(&fm);
                }
            }
        }
        forward_batch(&mut batch, &mut cache)?;
        cache.flush_counts(&fast_t, 0);
        prop_assert_eq!(packet_counts(&slow_t), packet_counts(&fast_t));
        prop_assert_eq!(mismatches.load(std::sync::atomic::Ordering::Relaxed), 0);
    }
}

/// A UDP packet 10.0.0.1:1 -> 10.0.0.2:2 with VLAN `tags`.
fn udp_10_0_0_1(tags: &[(u16, u16)]) -> Vec<u8> {
    eth(
        tags,
        0x0800,
        &ipv4(
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            17,
            64,
            0,
            &[],
            0,
            &udp_l4(1, 2, b""),
        ),
    )
}

/// Tables with one rule: in_port=1, output to port 2.
fn in_port_1_to_2() -> Tables {
    let t = Tables::new(100);
    add(
        &t,
        0,
        1,
        vec![OxmField::InPort(1)],
        vec![Instruction::ApplyActions(vec![out(2)])],
    );
    t.commit();
    t
}

/// The cache is used: repeated packets of one flow hit it, and a flow-mod
/// (a new table version) sends the next packet through the pipeline again.
#[test]
fn repeated_packets_hit_and_a_new_version_revalidates() {
    let t = in_port_1_to_2();
    let (g, macs) = (Groups::default(), mac::MacTable::default());
    let mut cache = FlowCache::default();
    cache.emc.set_insert_inv_prob(1);
    let mut counts = CacheCounts::default();
    let pkt = || udp_10_0_0_1(&[]);
    for _ in 0..3 {
        let mut rec = Recorder::default();
        cache.forward(
            &xlate(&t, &g, &macs, &|_| true, &|_| 0, false),
            1,
            pkt(),
            &mut rec,
            &mut counts,
        );
        assert_eq!(rec.out.len(), 1);
    }
    // The rule reads the input port alone: later packets need no parsing,
    // and a whole batch from the port goes to port 2 at once.
    assert_eq!((counts.upcall_ok, counts.simple_match_hits), (1, 2));
    let base = xlate(&t, &g, &macs, &|_| true, &|_| 0, false);
    assert_eq!(
        cache.simple_batch(&base, 1, 32, || 32 * 60, &mut counts),
        Some(2)
    );
    assert_eq!(
        cache.simple_batch(&base, 2, 32, || 32 * 60, &mut counts),
        None
    );
    cache.flush_counts(&t, 1);
    let rule = &packet_counts(&t)[0];
    assert_eq!(rule.2, 3 + 32, "rule counters {:?}", packet_counts(&t));
    assert_eq!(cache.dpcls.len(), 1);
    // Port 1 -> 3 now: the megaflow of the old version is not used.
    let mut fm = FlowMod::new(
        command::MODIFY,
        0,
        1,
        Match::new(vec![OxmField::InPort(1)]),
        vec![Instruction::ApplyActions(vec![out(3)])],
    );
    t.flow_mod(&fm, openflow::Version::V1_3, &g, &Meters::default())
        .unwrap();
    t.commit();
    let mut rec = Recorder::default();
    cache.forward(
        &xlate(&t, &g, &macs, &|_| true, &|_| 0, false),
        1,
        pkt(),
        &mut rec,
        &mut counts,
    );
    assert_eq!(rec.out[0].0, 3);
    assert_eq!(counts.upcall_ok, 2);
    // A translation after a pop that reads the popped packet is not cached.
    fm.command = command::ADD;
    fm.match_ = Match::new(vec![OxmField::InPort(2)]);
    fm.instructions = vec![
        Instruction::ApplyActions(vec![Action::PopVlan]),
        Instruction::GotoTable(1),
    ]
    .into();
    t.flow_mod(&fm, openflow::Version::V1_3, &g, &Meters::default())
        .unwrap();
    add(
        &t,
        1,
        1,
        vec![OxmField::VlanVid {
            value: 0x1005,
            mask: None,
        }],
        vec![Instruction::ApplyActions(vec![out(1)])],
    );
    t.commit();
    let tagged = udp_10_0_0_1(&[(0x8100, 7), (0x8100, 5)]);
    let mut rec = Recorder::default();
    cache.forward(
        &xlate(&t, &g, &macs, &|_| true, &|_| 0, false),
        2,
        tagged,
        &mut rec,
        &mut counts,
    );
    assert_eq!(rec.out.len(), 1, "{:?}", rec.dropped);
    assert_eq!(counts.upcall_failed, 1);
}

/// The debug check notices a cached translation the tables disagree with.
#[test]
fn the_cache_check_counts_a_wrong_megaflow() {
    let t = in_port_1_to_2();
    let (g, macs) = (Groups::default(), mac::MacTable::default());
    let mut cache = FlowCache::default();
    let pkt = udp_10_0_0_1(&[]);
    let flow = crate::flow::extract(&pkt, 1).flow;
    let mut mask = Flow::ZERO;
    Field::InPort.set_mask_all(&mut mask);
    // A megaflow claiming that table 0 misses.
    cache
        .dpcls
        .insert(
            &flow,
            &mask,
            crate::dpif::cache::CachedXlate::new(
                smallvec::smallvec![crate::xlate::record::Lookup {
                    table: 0,
                    rule: None,
                }],
                None,
                false,
            ),
            t.version(),
            0,
        )
        .unwrap();
    let failures = std::sync::atomic::AtomicU64::new(0);
    let base = Xlate {
        check: Some(&failures),
        ..xlate(&t, &g, &macs, &|_| true, &|_| 0, false)
    };
    let mut rec = Recorder::default();
    cache.forward(&base, 1, pkt, &mut rec, &mut CacheCounts::default());
    assert_eq!(failures.load(std::sync::atomic::Ordering::Relaxed), 1);
}

/// Replays count into the tables once per batch; a replay that a meter
/// stops early counts at once, and only the lookups it made. The counts
/// equal the full pipeline's.
#[test]
fn replayed_counts_equal_the_full_pipeline_when_a_meter_drops() {
    use openflow::group_meter_mod::MeterMod;
    use openflow::meter::MeterBand;
    let (g, macs) = (Groups::default(), mac::MacTable::default());
    // Each side its own meter, so both see the same verdicts.
    let meter = || {
        let m = Meters::default();
        m.meter_mod(&MeterMod {
            command: 0,
            flags: crate::ofproto::meter::flags::PKTPS,
            meter_id: 1,
            bands: vec![MeterBand::Drop {
                rate: 1,
                burst_size: 0,
            }],
        })
        .unwrap();
        m
    };
    let (slow_m, fast_m) = (meter(), meter());
    let (slow_t, fast_t) = (Tables::new(100), Tables::new(100));
    for (t, meters) in [(&slow_t, &slow_m), (&fast_t, &fast_m)] {
        let fm = FlowMod::new(
            command::ADD,
            0,
            1,
            Match::new(vec![OxmField::InPort(1)]),
            vec![Instruction::Meter(1), Instruction::GotoTable(1)],
        );
        t.flow_mod(&fm, openflow::Version::V1_3, &g, meters)
            .unwrap();
        add(
            t,
            1,
            1,
            vec![],
            vec![Instruction::ApplyActions(vec![out(2)])],
        );
        t.commit();
    }
    let pkt = udp_10_0_0_1(&[]);
    let mut cache = FlowCache::default();
    cache.emc.set_insert_inv_prob(1);
    let (mut slow, mut fast) = (Recorder::default(), Recorder::default());
    for i in 0..20u64 {
        // Both see the meter at the same instants: 1 packet/s passes.
        let at = 5_000_000_000 + i * 200_000_000;
        let base = |t, meters| Xlate {
            meters,
            now_ns: at,
            ..xlate(t, &g, &macs, &|_| true, &|_| 0, false)
        };
        base(&slow_t, &slow_m).run(1, pkt.clone(), &mut slow);
        cache.forward(
            &base(&fast_t, &fast_m),
            1,
            pkt.clone(),
            &mut fast,
            &mut CacheCounts::default(),
        );
        if (i + 1).is_multiple_of(5) {
            cache.flush_counts(&fast_t, at);
        }
    }
    assert_eq!(outcome(&slow).0.len(), outcome(&fast).0.len());
    let lookups = |t: &Tables| {
        (0..2)
            .map(|i| {
                let tb = &t.tables[i];
                (
                    tb.lookups.load(std::sync::atomic::Ordering::Relaxed),
                    tb.matches.load(std::sync::atomic::Ordering::Relaxed),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(lookups(&slow_t), lookups(&fast_t));
    assert_eq!(packet_counts(&slow_t), packet_counts(&fast_t));
    let passed = lookups(&fast_t)[1].0;
    assert!(passed > 0 && passed < 20, "{passed} of 20 passed the meter");
}

/// The upcall budget bites only where there is established traffic to
/// protect, and only once upcalls have used their share of the time: new
/// flows alone are all translated; with established traffic, misses are
/// dropped (counted) while the credit is spent, the established packets
/// still go through, and the credit comes back as time passes.
#[test]
fn the_upcall_budget_protects_established_traffic_only() {
    use crate::dpif::cache::{UPCALL_BURST_NS, UPCALL_SHARE};
    let t = Tables::new(1000);
    // A rule on the UDP destination: every port is its own megaflow.
    add(
        &t,
        0,
        10,
        vec![
            OxmField::EthType(0x0800),
            OxmField::IpProto(17),
            OxmField::UdpDst(1),
        ],
        vec![Instruction::ApplyActions(vec![out(2)])],
    );
    add(
        &t,
        0,
        0,
        vec![],
        vec![Instruction::ApplyActions(vec![out(3)])],
    );
    t.commit();
    let (g, macs) = (Groups::default(), mac::MacTable::default());
    let udp = |dport: u16| {
        eth(
            &[],
            0x0800,
            &ipv4(
                [10, 0, 0, 1],
                [10, 0, 0, 2],
                17,
                64,
                0,
                &[],
                0,
                &udp_l4(1, dport, b""),
            ),
        )
    };
    let mut cache = FlowCache::default();
    let mut next_port = 2u16;
    // A batch at `now_ns` of `established` packets of port 1's flow and
    // `new` packets of new flows: (counts, packets sent).
    let mut batch = |cache: &mut FlowCache, now_ns: u64, established: usize, new: usize| {
        let base = Xlate {
            now_ns,
            ..xlate(&t, &g, &macs, &|_| true, &|_| 0, false)
        };
        let mut pkts: Vec<Vec<u8>> = (0..established).map(|_| udp(1)).collect();
        for _ in 0..new {
            pkts.push(udp(next_port));
            next_port += 1;
        }
        let (mut rec, mut counts) = (Recorder::default(), CacheCounts::default());
        cache.classify(&base, 1, pkts.iter().map(Vec::as_slice));
        for (i, p) in pkts.into_iter().enumerate() {
            cache.forward_classified(i, &base, 1, p, &mut rec, &mut counts);
        }
        cache.flush_counts(&t, now_ns);
        (counts, rec.out.len())
    };
    // New flows alone, until past their credit: all translated.
    let start = 1_000_000_000;
    while cache.upcall_budget.allows() {
        assert!(
            cache.dpcls.len() < 60_000,
            "upcalls take time: the credit runs out"
        );
        let (counts, sent) = batch(&mut cache, start, 0, 32);
        assert_eq!((counts.upcall_ok, counts.upcall_lost, sent), (32, 0, 32));
    }
    let (counts, _) = batch(&mut cache, start, 0, 32);
    assert_eq!((counts.upcall_ok, counts.upcall_lost), (32, 0));
    // Port 1's flow (a batch without hits: translated).
    assert_eq!(batch(&mut cache, start, 1, 0).0.upcall_ok, 1);
    // Now with established traffic and no time passing: misses are
    // dropped, established packets still go.
    let (counts, sent) = batch(&mut cache, start, 3, 5);
    assert_eq!((counts.upcall_ok, counts.upcall_lost, sent), (0, 5, 3));
    // Time passes: the credit comes back (at most a burst's worth).
    let later = start + 1_000_000_000_000;
    let (counts, sent) = batch(&mut cache, later, 4, 28);
    assert_eq!((counts.upcall_ok, counts.upcall_lost, sent), (28, 0, 32));
    assert!(cache.upcall_budget.allows());
    let (counts, _) = batch(
        &mut cache,
        later + UPCALL_SHARE * UPCALL_BURST_NS as u64,
        1,
        31,
    );
    assert_eq!(counts.upcall_lost, 0);
}

/// A failure of `cached_forwarding_equals_the_full_pipeline` (its last
/// regression case), made deterministic: a rule floods port 3's packets (set eth_dst, output ALL);
/// the packet's megaflow is hit (the bridge has established traffic), an
/// upcall takes the whole upcall budget (as a debug build's upcall does when
/// its thread is preempted on a busy machine: the budget is charged
/// wall-clock time), then a flow-mod makes the megaflow stale. The datapath
/// sheds the packet's upcall (the budget's load shedding), and the
/// differential model, whose clock stands still, still forwards it as the
/// full pipeline does.
#[test]
fn a_spent_upcall_budget_is_not_a_differential_failure() {
    use crate::dpif::cache::UPCALL_BURST_NS;
    let t = Tables::new(100);
    let g = groups();
    let macs = mac::MacTable::default();
    add_g(
        &t,
        &g,
        0,
        0,
        vec![OxmField::InPort(3)],
        vec![Instruction::ApplyActions(vec![
            Action::SetField(OxmField::EthDst {
                value: [2, 0, 0, 0, 0, 9],
                mask: None,
            }),
            out(OFPP_ALL),
        ])],
    );
    t.commit();
    // IPv4 protocol 0 without payload, 10.0.0.1 -> 10.0.0.2.
    let pkt = eth(
        &[],
        0x0800,
        &ipv4([10, 0, 0, 1], [10, 0, 0, 2], 0, 64, 0, &[], 0, b""),
    );
    let full = |t: &Tables| {
        let mut rec = Recorder::default();
        xlate(t, &g, &macs, &|_| true, &|_| 0, false).run(3, pkt.clone(), &mut rec);
        outcome(&rec)
    };
    let flooded = full(&t);
    assert_eq!(
        flooded.0.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        [1, 2]
    );
    // A flow-mod elsewhere: a new table version, the same outcome.
    let flow_mod_elsewhere = |priority| {
        add_g(
            &t,
            &g,
            2,
            priority,
            vec![OxmField::VlanVid {
                value: 0x1000,
                mask: None,
            }],
            vec![Instruction::ApplyActions(vec![out(OFPP_ALL)])],
        );
        t.commit();
    };
    let mut cache = FlowCache::default();
    cache.emc.set_insert_inv_prob(1);
    let base = xlate(&t, &g, &macs, &|_| true, &|_| 0, false);
    // An upcall, then a hit: established traffic.
    for expect in [(1, 0), (0, 1)] {
        let counts =
            forward_checked(&mut cache, &base, 3, vec![(pkt.clone(), flooded.clone())]).unwrap();
        assert_eq!((counts.upcall_ok, counts.emc_hits), expect);
    }
    // The datapath: once the budget is spent, the upcall of the packet
    // whose megaflow the flow-mod made stale is shed.
    cache.upcall_budget.spend(UPCALL_BURST_NS as u64);
    flow_mod_elsewhere(1);
    assert_eq!(full(&t), flooded);
    let base = xlate(&t, &g, &macs, &|_| true, &|_| 0, false);
    let (mut rec, mut counts) = (Recorder::default(), CacheCounts::default());
    cache.forward(&base, 3, pkt.clone(), &mut rec, &mut counts);
    assert_eq!(
        outcome(&rec),
        (vec![], vec![DropReason::UpcallBudget], vec![])
    );
    assert_eq!(counts.upcall_lost, 1);
    // The differential model: the same, with the budget spent again.
    cache.upcall_budget.spend(UPCALL_BURST_NS as u64);
    flow_mod_elsewhere(2);
    assert_eq!(full(&t), flooded);
    let base = xlate(&t, &g, &macs, &|_| true, &|_| 0, false);
    let counts =
        forward_checked(&mut cache, &base, 3, vec![(pkt.clone(), flooded.clone())]).unwrap();
    assert_eq!((counts.upcall_ok, counts.upcall_lost), (1, 0));
}
