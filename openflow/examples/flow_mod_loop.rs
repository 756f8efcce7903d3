//! Runs the `of13_flow_mod/decode_encode` benchmark closure N times (first
//! argument, default 100000), for counting instructions and allocations
//! under valgrind, which do not drift with the machine's load as times do:
//!
//! ```text
//! cargo build --release -p openflow --example flow_mod_loop
//! valgrind --tool=callgrind target/release/examples/flow_mod_loop 100000
//! ```
//!
//! Run it with two counts and take the difference over the difference in
//! iterations to leave out the start-up.

use std::hint::black_box;

use openflow::{decode, Version};

/// The benchmark's flow-mod (`benches/codec.rs`): OpenFlow 1.3, 5 OXM
/// fields, apply_actions(output:2, set_queue:1, dec_nw_ttl).
const FLOW_MOD: &str = concat!(
    "040e008000000001",
    "0000000000000000",
    "0000000000000000",
    "0000000000008000",
    "ffffffffffffffff",
    "ffffffff00010000",
    "000100258000000400000001",
    "80000a020800",
    "8000140106",
    "800016040a000001",
    "80001c020050",
    "000000",
    "0004002800000000",
    "0000001000000002ffff000000000000",
    "0015000800000001",
    "0018000800000000",
);

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("iteration count"))
        .unwrap_or(100_000);
    let bytes = hex::decode(FLOW_MOD).expect("valid hex");
    let (h, m) = decode(&bytes).expect("decodes");
    assert_eq!(m.encode(Version::V1_3, h.xid).expect("encodes"), bytes);
    for _ in 0..n {
        let (h, m) = decode(black_box(&bytes)).expect("decodes");
        black_box(m.encode(Version::V1_3, h.xid).expect("encodes"));
    }
}
