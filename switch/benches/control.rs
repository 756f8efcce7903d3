//! The control thread's work on a big table, without DPDK or sockets:
//! installing `CONTROL_FLOWS` flows (1 M by default) shaped like
//! `ferrovs-controller-sim load`'s (`ip,nw_src=10.0.H.H,nw_dst=11.0.L.L`,
//! one output), as flow-mods through [`Tables::flow_mod`], deleting them
//! and installing them again (`CONTROL_RELOAD=0`: once only; `2`: the
//! deleted rules unlinked before the second load, not after); then dumping
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

use std::alloc::{GlobalAlloc, Layout};
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use openflow::action::Action;
use openflow::flow_match::Match;
use openflow::flow_mod::{command, FlowMod};
use openflow::instruction::Instruction;
use openflow::multipart::FlowStatsRequest;
use openflow::oxm::OxmField;
use openflow::Version;
use switch::ofproto::dump::{FlowDump, DUMP_CHUNK};
use switch::ofproto::group::Groups;
use switch::ofproto::meter::Meters;
use switch::ofproto::table::Tables;

/// The switch daemon's allocator, counting the bytes it holds.
#[global_allocator]
static HEAP: CountingHeap = CountingHeap(switch::heap::Heap {});

/// Bytes of live allocations, as the allocator sized them (its size
/// classes included): what a flow costs, independent of how the kernel
/// backs the pages (transparent huge pages make resident memory grow in
/// 2 MiB steps).
static HELD: AtomicUsize = AtomicUsize::new(0);

/// [`switch::heap::Heap`] keeping [`HELD`].
struct CountingHeap(switch::heap::Heap);

fn usable(p: *mut u8) -> usize {
    // SAFETY: `p` is a live block of this allocator (mimalloc).
    unsafe { libmimalloc_sys::mi_usable_size(p.cast()) }
}

/// `p`, a new block (or null), counted in [`HELD`].
fn counted(p: *mut u8) -> *mut u8 {
    if !p.is_null() {
        HELD.fetch_add(usable(p), Ordering::Relaxed);
    }
    p
}

// SAFETY: every call goes to mimalloc unchanged; the counting reads the
// size of live blocks only.
unsafe impl GlobalAlloc for CountingHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        counted(unsafe { self.0.alloc(layout) })
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        counted(unsafe { self.0.alloc_zeroed(layout) })
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        HELD.fetch_sub(usable(p), Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.0.dealloc(p, layout) }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = usable(p);
        // SAFETY: forwarded with the caller's guarantees.
        let q = unsafe { self.0.realloc(p, layout, new_size) };
        if !q.is_null() {
            HELD.fetch_sub(old, Ordering::Relaxed);
        }
        counted(q)
    }
}

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

/// Installs `mods` into `tables`, committing every 1 000 (as a barrier
/// does), and prints how long it took.
fn load(tables: &Tables, mods: &[FlowMod], v: Version, what: &str) {
    let (groups, meters) = (Groups::default(), Meters::default());
    let (rss, held) = (resident_bytes(), HELD.load(Ordering::Relaxed));
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
    let grown = resident_bytes().saturating_sub(rss);
    let n = mods.len().max(1);
    println!(
        "{what}: {} in {dt:?}, {:.0} ns each; heap grew {} bytes a flow, resident memory {} MB",
        mods.len(),
        dt.as_nanos() as f64 / n as f64,
        HELD.load(Ordering::Relaxed).saturating_sub(held) / n,
        grown >> 20,
    );
}

/// The process's resident memory (`/proc/self/statm`), 0 if unknown.
fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// Deletes every flow of `tables` and unlinks the removed rules, printing
/// how long each took.
fn delete_all(tables: &Tables, v: Version) {
    delete(tables, v);
    unlink(tables);
}

/// Deletes every flow (the rules stay linked until [`unlink`]).
fn delete(tables: &Tables, v: Version) {
    let n = tables.len_of(0xff);
    let t = Instant::now();
    let mut all = flow_mod(0);
    all.command = command::DELETE;
    all.table_id = 0xff;
    all.match_ = Match::default();
    tables
        .flow_mod(&all, v, &Groups::default(), &Meters::default())
        .expect("delete everything");
    tables.commit();
    println!("delete: {n} flows in {:?}", t.elapsed());
}

/// Unlinks the removed rules.
fn unlink(tables: &Tables) {
    let t = Instant::now();
    tables.gc(tables.version());
    println!("unlinking the removed rules: {:?}", t.elapsed());
}

fn main() {
    switch::heap::configure();
    let n = env("CONTROL_FLOWS", 1_000_000);
    let rounds = env("CONTROL_ROUNDS", 3);
    let v = Version::V1_3;
    let tables = Tables::new(n.max(1));
    let mods: Vec<FlowMod> = (0..n as u32).map(flow_mod).collect();
    load(&tables, &mods, v, "flow-mods");
    match env("CONTROL_RELOAD", 1) {
        0 => {}
        // As `bench/controlplane.py` does (a load with barriers, del-flows,
        // a load as bundles), when the switch unlinks the deleted rules
        // after the second load (its background collection runs when the
        // control thread is free): every new rule first shares its bucket
        // with the deleted rule of its key, and gets a bucket of its own
        // when that one is unlinked.
        1 => {
            delete(&tables, v);
            load(&tables, &mods, v, "flow-mods beside the deleted rules");
            unlink(&tables);
        }
        // The deleted rules unlinked before the second load: it goes into
        // memory they freed, in the allocator's order.
        _ => {
            delete_all(&tables, v);
            load(&tables, &mods, v, "flow-mods into freed memory");
        }
    }
    let req = FlowStatsRequest::all();
    for _ in 0..rounds {
        // The reply as a connection sends it, each chunk dropped once
        // made (as once written to the socket).
        let t = Instant::now();
        let mut reply = FlowDump::new(&tables, &req, v, 1).expect("a valid request");
        let selection = t.elapsed();
        let entries = reply.remaining();
        let mut bytes = 0;
        while let Some(chunk) = reply.next_chunk(DUMP_CHUNK) {
            bytes += chunk.len();
        }
        let dump = t.elapsed();
        let t = Instant::now();
        let agg = tables.aggregate(&req, v).expect("a valid request");
        let aggregate = t.elapsed();
        // What a controller does with the reply: decode every message.
        let mut out = Vec::with_capacity(bytes);
        let mut reply = FlowDump::new(&tables, &req, v, 1).expect("a valid request");
        while let Some(chunk) = reply.next_chunk(DUMP_CHUNK) {
            out.extend_from_slice(chunk);
        }
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
            "dump: {entries} entries, {} bytes in {dump:?} (selection {selection:?}); aggregate of {} in {aggregate:?}; \
             the reply decoded ({decoded} entries) in {decode:?}",
            bytes, agg.flow_count
        );
    }
    delete_all(&tables, v);
}
