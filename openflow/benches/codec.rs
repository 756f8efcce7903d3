//! Decode + re-encode of an OpenFlow 1.3 flow-mod with 5 OXM fields and 3
//! actions (the shape of a typical controller-installed rule).

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use openflow::{decode, Version};

/// OFPT_FLOW_MOD, OpenFlow 1.3: in_port=1, eth_type=0x0800, ip_proto=6,
/// ipv4_src=10.0.0.1, tcp_dst=80; apply_actions(output:2, set_queue:1,
/// dec_nw_ttl).
const FLOW_MOD: &str = concat!(
    "040e0080",
    "00000001",         // header: 1.3, flow-mod, 128 bytes, xid 1
    "0000000000000000", // cookie
    "0000000000000000", // cookie mask
    "00",
    "00",
    "0000",
    "0000", // table, command ADD, idle, hard
    "8000",
    "ffffffff", // priority, buffer_id
    "ffffffff",
    "ffffffff", // out_port, out_group
    "0001",
    "0000",             // flags SEND_FLOW_REM, pad
    "00010025",         // OXM match, 37 bytes
    "8000000400000001", // in_port=1
    "80000a020800",     // eth_type=0x0800
    "8000140106",       // ip_proto=6
    "800016040a000001", // ipv4_src=10.0.0.1
    "80001c020050",     // tcp_dst=80
    "000000",           // match padding
    "00040028",
    "00000000",                         // apply_actions, 40 bytes
    "0000001000000002ffff000000000000", // output:2
    "0015000800000001",                 // set_queue:1
    "0018000800000000",                 // dec_nw_ttl
);

fn codec(c: &mut Criterion) {
    let bytes = hex::decode(FLOW_MOD).expect("valid hex");
    let (header, message) = decode(&bytes).expect("bench flow-mod decodes");
    assert_eq!(
        message.encode(Version::V1_3, header.xid).expect("encodes"),
        bytes
    );
    let mut group = c.benchmark_group("of13_flow_mod");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode_encode", |b| {
        b.iter(|| {
            let (h, m) = decode(black_box(&bytes)).expect("decodes");
            black_box(m.encode(Version::V1_3, h.xid).expect("encodes"))
        })
    });
    // As a connection sends: encoding appends to a reused transmit buffer.
    let mut tx = Vec::with_capacity(4096);
    group.bench_function("decode_encode_into", |b| {
        b.iter(|| {
            tx.clear();
            let (h, m) = decode(black_box(&bytes)).expect("decodes");
            m.encode_into(Version::V1_3, h.xid, &mut tx)
                .expect("encodes");
            black_box(tx.len())
        })
    });
    group.bench_function("decode", |b| {
        b.iter(|| black_box(decode(black_box(&bytes)).expect("decodes")))
    });
    group.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
