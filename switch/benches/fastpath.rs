//! The PMD's per-packet work without DPDK: flow extraction, the
//! exact-match cache, the megaflow classifier and the replay of the cached
//! translation, on W1- and W2-shaped rules and traffic (see
//! `bench/RESULTS.md`), in batches of 32 with the counters flushed per
//! batch as the datapath does.
//!
//! Run with `cargo bench -p switch --bench fastpath`. With
//! `FASTPATH_ITERS=N` it skips criterion and forwards N batches of each
//! workload once, for `valgrind --tool=callgrind` (instruction counts do
//! not drift with the machine's load); `FASTPATH_W=W1` or `W2` selects one
//! workload.

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{Criterion, Throughput};
use openflow::action::Action;
use openflow::flow_match::Match;
use openflow::flow_mod::{command, FlowMod};
use openflow::instruction::Instruction;
use openflow::oxm::OxmField;
use switch::dpif::cache::{CacheCounts, FlowCache};
use switch::flow::PacketBuf;
use switch::ofproto::group::Groups;
use switch::ofproto::meter::Meters;
use switch::ofproto::packet_in::PacketInEvent;
use switch::ofproto::table::Tables;
use switch::xlate::{mac::MacTable, DropReason, Emit, Xlate};

mod common;
use common::Rng;

const BATCH: usize = 32;

/// A packet in a fixed buffer with headroom: copying it allocates nothing.
#[derive(Clone, Copy)]
struct Frame {
    buf: [u8; 128],
    head: usize,
    len: usize,
}

impl Frame {
    fn new(bytes: &[u8]) -> Frame {
        let mut f = Frame {
            buf: [0; 128],
            head: 32,
            len: bytes.len(),
        };
        f.buf[32..32 + bytes.len()].copy_from_slice(bytes);
        f
    }
}

impl PacketBuf for Frame {
    fn data(&self) -> &[u8] {
        &self.buf[self.head..self.head + self.len]
    }
    fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.head..self.head + self.len]
    }
    fn prepend(&mut self, n: usize) -> Option<&mut [u8]> {
        let head = self.head.checked_sub(n)?;
        self.head = head;
        self.len += n;
        Some(&mut self.buf[head..head + n])
    }
    fn adj(&mut self, n: usize) -> bool {
        if n > self.len {
            return false;
        }
        self.head += n;
        self.len -= n;
        true
    }
    fn trim(&mut self, n: usize) -> bool {
        if n > self.len {
            return false;
        }
        self.len -= n;
        true
    }
    fn append_zeros(&mut self, n: usize) -> bool {
        let end = self.head + self.len;
        if end + n > self.buf.len() {
            return false;
        }
        self.buf[end..end + n].fill(0);
        self.len += n;
        true
    }
    fn len(&self) -> usize {
        self.len
    }
}

/// Counts what leaves.
#[derive(Default)]
struct Sink {
    sent: u64,
    dropped: u64,
}

impl Emit<Frame> for Sink {
    fn emit_copy(&mut self, _port: u32, _pkt: &Frame) -> bool {
        self.sent += 1;
        true
    }
    fn emit(&mut self, _port: u32, pkt: Frame) {
        self.sent += 1;
        black_box(pkt.len);
    }
    fn drop_packet(&mut self, _pkt: Frame, _reason: DropReason) {
        self.dropped += 1;
    }
    fn to_controller(&mut self, _in_port: u32, _ev: impl FnOnce() -> PacketInEvent) {}
    fn copy_packet(&mut self, pkt: &Frame) -> Option<Frame> {
        Some(*pkt)
    }
}

/// A 60-byte Ethernet/IPv4 TCP or UDP frame.
fn frame(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, sport: u16, dport: u16) -> Frame {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
    let l4_len: u16 = if proto == 6 { 20 } else { 8 };
    let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0];
    ip[2..4].copy_from_slice(&(20 + l4_len).to_be_bytes());
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    let sum = !ip
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum::<u32>();
    let sum = (sum & 0xffff) + (sum >> 16);
    ip[10..12].copy_from_slice(&(sum as u16).to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    if proto == 6 {
        f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]);
    } else {
        f.extend_from_slice(&8u16.to_be_bytes());
        f.extend_from_slice(&[0, 0]);
    }
    f.resize(60, 0);
    Frame::new(&f)
}

fn add(t: &Tables, table: u8, priority: u16, fields: Vec<OxmField>, ins: Vec<Instruction>) {
    let fm = FlowMod::new(command::ADD, table, priority, Match::new(fields), ins);
    t.flow_mod(
        &fm,
        openflow::Version::V1_3,
        &Groups::default(),
        &Meters::default(),
    )
    .expect("bench flow-mod");
}

fn output(port: u32) -> Action {
    Action::Output { port, max_len: 0 }
}

/// W1: `in_port=1,actions=output:2`, 1 000 UDP flows.
fn w1() -> (Tables, Vec<Frame>) {
    let t = Tables::new(1 << 20);
    add(
        &t,
        0,
        0x8000,
        vec![OxmField::InPort(1)],
        vec![Instruction::ApplyActions(vec![output(2)])],
    );
    t.commit();
    let pkts = (0..1000u32)
        .map(|i| {
            frame(
                Ipv4Addr::from(0x0a00_0000 + i),
                Ipv4Addr::new(20, 0, 0, 1),
                17,
                1024 + i as u16,
                53,
            )
        })
        .collect();
    (t, pkts)
}

/// W2: a 200-rule ACL in table 0 (prefixes of the source and destination,
/// the destination port; deny or goto 1) and 1 000 /24 routes in table 1
/// (set eth_dst, dec_ttl, output), 64 000 TCP and UDP flows.
fn w2() -> (Tables, Vec<Frame>) {
    let t = Tables::new(1 << 20);
    let mut rng = Rng(0x1234_5678);
    for i in 0..200u32 {
        let plen = [8u32, 12, 16, 20, 24][i as usize % 5];
        let src_mask = Ipv4Addr::from(!0u32 << (32 - plen));
        let src = Ipv4Addr::from(0x0a00_0000 | ((rng.next() as u32 & 0x1_ffff) << 8));
        let proto = if i % 2 == 0 { 6 } else { 17 };
        let port = [80u16, 443, 53, 123, 8080][i as usize % 5];
        let mut fields = vec![
            OxmField::EthType(0x0800),
            OxmField::IpProto(proto),
            OxmField::Ipv4Src {
                value: Ipv4Addr::from(u32::from(src) & u32::from(src_mask)),
                mask: Some(src_mask),
            },
        ];
        fields.push(if proto == 6 {
            OxmField::TcpDst(port)
        } else {
            OxmField::UdpDst(port)
        });
        let ins = if i % 7 == 0 {
            vec![]
        } else {
            vec![Instruction::GotoTable(1)]
        };
        add(&t, 0, 100 + i as u16, fields, ins);
    }
    add(
        &t,
        0,
        0,
        vec![OxmField::EthType(0x0800)],
        vec![Instruction::GotoTable(1)],
    );
    for r in 0..1000u32 {
        let net = Ipv4Addr::new(20, (r >> 8) as u8, r as u8, 0);
        add(
            &t,
            1,
            100,
            vec![
                OxmField::EthType(0x0800),
                OxmField::Ipv4Dst {
                    value: net,
                    mask: Some(Ipv4Addr::new(255, 255, 255, 0)),
                },
            ],
            vec![Instruction::ApplyActions(vec![
                Action::SetField(OxmField::EthDst {
                    value: [0x02, 0, 0, 0, (r >> 8) as u8, r as u8],
                    mask: None,
                }),
                Action::DecNwTtl,
                output(2 + r % 4),
            ])],
        );
    }
    t.commit();
    let pkts = (0..64_000u32)
        .map(|_| {
            let x = rng.next();
            let proto = if x % 10 < 6 { 6 } else { 17 };
            let r = (x >> 8) as u32 % 1000;
            frame(
                Ipv4Addr::from(0x0a00_0000 | (x >> 20) as u32 & 0x1_ffff),
                Ipv4Addr::new(20, (r >> 8) as u8, r as u8, (x >> 40) as u8),
                proto,
                1024 + (x >> 48) as u16 % 60000,
                [80u16, 443, 53, 123, 8080][(x >> 4) as usize % 5],
            )
        })
        .collect();
    (t, pkts)
}

/// Forwards `n` batches of `pkts` (cycling) through `cache`.
fn run(t: &Tables, pkts: &[Frame], cache: &mut FlowCache, start: &mut usize, n: usize) -> u64 {
    let (groups, meters, macs) = (Groups::default(), Meters::default(), MacTable::default());
    let x = Xlate {
        tables: t,
        version: t.version(),
        ports: &[1, 2, 3, 4, 5],
        now_ns: 1,
        miss_send_len: 128,
        groups: &groups,
        meters: &meters,
        live: &|_| true,
        port_config: &|_| 0,
        macs: &macs,
        now_secs: 1,
        fail_open: false,
        rec: None,
        script: None,
        cursor: Default::default(),
        defer_counts: false,
        check: None,
    };
    let mut sink = Sink::default();
    for _ in 0..n {
        let mut counts = CacheCounts::default();
        // As the datapath does: a port whose simple match has one output
        // sends the batch whole.
        let batch_bytes = || {
            (0..BATCH)
                .map(|i| pkts[(*start + i) % pkts.len()].len as u64)
                .sum()
        };
        if cache
            .simple_batch(&x, 1, BATCH as u64, batch_bytes, &mut counts)
            .is_some()
        {
            *start += BATCH;
            sink.sent += BATCH as u64;
            cache.flush_counts(t, 1);
            continue;
        }
        let at = *start;
        let batch = (0..BATCH).map(|i| &pkts[(at + i) % pkts.len()]);
        cache.classify(&x, 1, batch.clone().map(|p| p.data()));
        for (i, p) in batch.enumerate() {
            cache.forward_classified(i, &x, 1, *p, &mut sink, &mut counts);
        }
        *start += BATCH;
        cache.flush_counts(t, 1);
    }
    sink.sent + sink.dropped
}

/// The caches after one pass over the traffic with every flow inserted
/// into the exact-match cache at the datapath's default probability.
fn warm(t: &Tables, pkts: &[Frame]) -> FlowCache {
    let mut cache = FlowCache::default();
    let mut at = 0;
    // Several passes so that the EMC holds what the default insertion
    // probability puts there at steady state.
    run(t, pkts, &mut cache, &mut at, 4 * pkts.len().div_ceil(BATCH));
    cache
}

fn main() {
    // FASTPATH_W=W1 (or W2) builds and runs that workload only.
    let only = std::env::var("FASTPATH_W").ok();
    let workloads: Vec<(&str, (Tables, Vec<Frame>))> = [("W1", w1 as fn() -> _), ("W2", w2)]
        .into_iter()
        .filter(|(name, _)| only.as_deref().is_none_or(|o| o == *name))
        .map(|(name, build)| (name, build()))
        .collect();
    if let Some(iters) = std::env::var("FASTPATH_ITERS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        for (name, (t, pkts)) in &workloads {
            let mut cache = warm(t, pkts);
            let mut at = 0;
            let n = run(t, pkts, &mut cache, &mut at, iters);
            println!(
                "{name}: {n} packets, {} megaflows, {} subtables",
                cache.dpcls.len(),
                cache.dpcls.subtables()
            );
        }
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("fastpath");
    g.throughput(Throughput::Elements(BATCH as u64));
    for (name, (t, pkts)) in &workloads {
        let mut cache = warm(t, pkts);
        let mut at = 0;
        g.bench_function(*name, |b| {
            b.iter(|| black_box(run(t, pkts, &mut cache, &mut at, 1)))
        });
    }
    g.finish();
    c.final_summary();
}
