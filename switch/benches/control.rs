//! The control thread's work on a big table, without DPDK or sockets:
//! installing `CONTROL_FLOWS` flows (1 M by default) shaped like
//! `ferrovs-controller-sim load`'s (`ip,nw_src=10.0.H.H,nw_dst=11.0.L.L`,
//! one output), as flow-mods through [`Tables::flow_mod`]; then dumping
//! them as a flow-stats reply encoded message by message, and counting
//! them as an aggregate, `CONTROL_ROUNDS` times (3 by default), and
//! decoding the reply as a controller would; last, deleting every flow and
//! unlinking the removed rules.
//!
//! Run with `cargo bench -p switch --bench control`, alone on the machine;
//! it prints the time of each step, to be read under `perf record`
//! (`perf record -g target/release/deps/control-* --bench`). Speed claims
//! come from `bench/controlplane.py`, which runs whole switches side by
//! side; this is for finding where the time goes.

use std::net::Ipv4Addr;
use std::time::Instant;

use openflow::action::Action;
use openflow::flow_match::Match;
use openflow::flow_mod::{command, FlowMod};
use openflow::instruction::Instruction;
use openflow::multipart::{FlowStatsRequest, ReplyWriter, OFPMP_FLOW};
use openflow::oxm::OxmField;
use openflow::Version;
use switch::ofproto::group::Groups;
use switch::ofproto::meter::Meters;
use switch::ofproto::table::Tables;

/// The switch daemon's allocator.
#[global_allocator]
static HEAP: switch::heap::Heap = switch::heap::Heap {};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn flow_mod(i: u32) -> FlowMod {
    let fields = vec![
        OxmField::EthType(0x0800),
        OxmField::Ipv4Src {
            value: Ipv4Addr::from(0x0a00_0000 | (i >> 16)),
            mask: None,
        },
        OxmField::Ipv4Dst {
            value: Ipv4Addr::from(0x0b00_0000 | (i & 0xffff)),
            mask: None,
        },
    ];
    FlowMod::new(
        command::ADD,
        0,
        100,
        Match::new(fields),
        vec![Instruction::ApplyActions(vec![Action::Output {
            port: 2,
            max_len: 0,
        }])],
    )
}

fn main() {
    switch::heap::use_huge_pages();
    let n = env("CONTROL_FLOWS", 1_000_000);
    let rounds = env("CONTROL_ROUNDS", 3);
    let v = Version::V1_3;
    let tables = Tables::new(n.max(1));
    let (groups, meters) = (Groups::default(), Meters::default());
    let mods: Vec<FlowMod> = (0..n as u32).map(flow_mod).collect();
    let t = Instant::now();
    for (k, fm) in mods.iter().enumerate() {
        tables
            .flow_mod(fm, v, &groups, &meters)
            .expect("the flow is valid");
        if k % 1000 == 999 {
            tables.commit();
        }
    }
    tables.commit();
    let dt = t.elapsed();
    println!(
        "flow-mods: {n} in {dt:?}, {:.0} ns each",
        dt.as_nanos() as f64 / n as f64
    );
    let req = FlowStatsRequest::all();
    for _ in 0..rounds {
        // A fresh buffer each time, as a connection's first dump has.
        let mut out = Vec::new();
        let t = Instant::now();
        switch::ofproto::reserve_reply(&mut out, n);
        let mut w =
            ReplyWriter::new(&mut out, v, 1, OFPMP_FLOW, 65535).expect("1.3 has flow stats");
        let mut entries = 0;
        tables
            .for_each_flow_stats(&req, v, |e| {
                entries += 1;
                w.entry(|out| e.encode(v, out)).expect("encodable");
            })
            .expect("a valid request");
        w.finish();
        let dump = t.elapsed();
        let t = Instant::now();
        let agg = tables.aggregate(&req, v).expect("a valid request");
        let aggregate = t.elapsed();
        // What a controller does with the reply: decode every message.
        let t = Instant::now();
        let mut decoded = 0;
        let mut rest = &out[..];
        while !rest.is_empty() {
            let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
            let (msg, tail) = rest.split_at(len);
            if let (_, openflow::Message::MultipartReply(r)) =
                openflow::decode(msg).expect("a valid reply")
            {
                if let openflow::multipart::MultipartReplyBody::Flow(l) = r.body {
                    decoded += l.len();
                }
            }
            rest = tail;
        }
        let decode = t.elapsed();
        println!(
            "dump: {entries} entries, {} bytes in {dump:?}; aggregate of {} in {aggregate:?}; \
             the reply decoded ({decoded} entries) in {decode:?}",
            out.len(),
            agg.flow_count
        );
    }
    let t = Instant::now();
    let mut all = flow_mod(0);
    all.command = command::DELETE;
    all.table_id = 0xff;
    all.match_ = Match::default();
    tables
        .flow_mod(&all, v, &groups, &meters)
        .expect("delete everything");
    tables.commit();
    let delete = t.elapsed();
    let t = Instant::now();
    tables.gc(tables.version());
    println!(
        "delete: {n} flows in {delete:?}; unlinking them: {:?}",
        t.elapsed()
    );
}
