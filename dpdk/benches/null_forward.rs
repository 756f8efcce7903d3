//! Cost of the burst path: receive a burst from a `net_null` port and send
//! it to another, with and without touching every packet.
//!
//! `cargo bench -p dpdk --bench null_forward` (uses hugepages when free).

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dpdk::{
    EalBuilder, HugepageMode, MbufBatch, Mempool, Port, PortConfig, BURST, MBUF_DEFAULT_DATA_ROOM,
};

fn null_forward(c: &mut Criterion) {
    let eal = EalBuilder::new("dpdk-bench")
        .file_prefix(&format!("ferrovs-bench-{}", std::process::id()))
        .lcores("0")
        .socket_mem("256")
        .hugepages(HugepageMode::Auto)
        .extra_args(
            ["--no-pci", "--no-telemetry", "--log-level=lib.eal:error"]
                .into_iter()
                .map(String::from),
        )
        .init()
        .unwrap_or_else(|e| panic!("{e}"));
    let pool = Mempool::new(&eal, "bench", 8191, 256, MBUF_DEFAULT_DATA_ROOM, -1)
        .unwrap_or_else(|e| panic!("{e}"));
    let src = Port::probe(&eal, "net_null0,size=64").unwrap_or_else(|e| panic!("{e}"));
    let dst = Port::probe(&eal, "net_null1,no-rx=1").unwrap_or_else(|e| panic!("{e}"));
    for port in [&src, &dst] {
        port.configure(&PortConfig::default(), &pool)
            .unwrap_or_else(|e| panic!("{e}"));
        port.start().unwrap_or_else(|e| panic!("{e}"));
    }
    let mut rxq = src.rx_queue(0).unwrap();
    let mut txq = dst.tx_queue(0).unwrap();
    let mut batch = MbufBatch::new();

    let mut group = c.benchmark_group("null_forward");
    group.throughput(Throughput::Elements(BURST as u64));
    group.bench_function("rx_tx_burst", |b| {
        b.iter(|| {
            rxq.rx_burst(&mut batch);
            txq.tx_burst(&mut batch)
        })
    });
    group.bench_function("rx_read_retain_tx_burst", |b| {
        b.iter(|| {
            rxq.rx_burst(&mut batch);
            let mut sum = 0u32;
            for m in batch.iter() {
                sum = sum.wrapping_add(u32::from(m.data()[12]) + m.pkt_len());
            }
            batch.retain(|m| m.len() >= 60);
            (txq.tx_burst(&mut batch), sum)
        })
    });
    group.bench_function("alloc_bulk_clear", |b| {
        b.iter(|| {
            pool.alloc_bulk(&mut batch, BURST).unwrap();
            batch.clear();
        })
    });
    group.finish();
    assert_eq!(batch.len(), 0);
}

criterion_group!(benches, null_forward);
criterion_main!(benches);
