//! Ports on vdevs: net_pcap as a traffic source, net_null as a sink, and
//! the error paths of probe/configure/MTU/queues.

mod common;

use dpdk::{HugepageMode, MbufBatch, Mempool, Port, PortConfig, MBUF_DEFAULT_DATA_ROOM};

fn eal() -> &'static dpdk::Eal {
    common::eal("ports", HugepageMode::Auto, "128")
}

fn pool(name: &str, n: u32) -> Mempool {
    Mempool::new(eal(), name, n, 0, MBUF_DEFAULT_DATA_ROOM, -1).unwrap_or_else(|e| panic!("{e}"))
}

fn small_conf() -> PortConfig {
    PortConfig {
        n_rxd: 128,
        n_txd: 128,
        ..PortConfig::default()
    }
}

#[test]
fn pcap_to_null_forwards_without_leaking_mbufs() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("in.pcap");
    let frames: Vec<Vec<u8>> = (0..4).map(|i| common::frame(64, i)).collect();
    common::write_pcap(&pcap, &frames);

    let pool = pool("fwd", 1023);
    let src = Port::probe(
        eal(),
        &format!("net_pcap0,rx_pcap={},infinite_rx=1", pcap.display()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sink = Port::probe(eal(), "net_null0,no-rx=1").unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(src.id(), sink.id());
    assert_eq!(src.name(), "net_pcap0");
    assert_eq!(sink.name(), "net_null0");
    assert!(src.devargs().starts_with("net_pcap0,rx_pcap="));
    assert_eq!(src.info().unwrap().driver_name, "net_pcap");
    assert_eq!(sink.info().unwrap().driver_name, "net_null");

    src.configure(&small_conf(), &pool)
        .unwrap_or_else(|e| panic!("{e}"));
    sink.configure(&small_conf(), &pool)
        .unwrap_or_else(|e| panic!("{e}"));
    src.start().unwrap();
    sink.start().unwrap();
    assert!(src.link().unwrap().up);
    assert_eq!(src.mac().unwrap().len(), 6);
    src.set_promiscuous(true).unwrap();

    let mut rxq = src.rx_queue(0).unwrap();
    let mut txq = sink.tx_queue(0).unwrap();
    assert_eq!((rxq.port_id(), rxq.queue_id()), (src.id(), 0));
    assert_eq!((txq.port_id(), txq.queue_id()), (sink.id(), 0));

    let mut batch = MbufBatch::new();
    let mut received = 0usize;
    let mut sent = 0usize;
    let mut dropped = 0usize;
    for round in 0..50 {
        let n = rxq.rx_burst(&mut batch);
        assert_eq!(n, batch.len());
        for m in batch.iter() {
            assert_eq!(m.len(), 64);
            assert_eq!(m.port(), src.id());
            assert_eq!(&m.data()[12..14], &[0x08, 0x00]);
        }
        received += n;
        if round % 5 == 0 {
            // Drop path: packets freed by the batch instead of sent.
            dropped += batch.len();
            batch.clear();
        } else {
            sent += txq.tx_burst(&mut batch);
        }
        assert!(batch.is_empty());
    }
    assert!(received >= 50, "pcap replay gave {received} packets");
    assert_eq!(sent + dropped, received, "null accepts every packet");

    let rx = src.stats().unwrap();
    let tx = sink.stats().unwrap();
    assert_eq!(rx.ipackets, received as u64);
    assert_eq!(rx.ibytes, 64 * received as u64);
    assert_eq!(tx.opackets, sent as u64);
    let xstats = src.xstats().unwrap();
    let rx_good = xstats
        .iter()
        .find(|(name, _)| name == "rx_good_packets")
        .map(|(_, v)| *v);
    assert_eq!(rx_good, Some(received as u64), "{xstats:?}");
    src.reset_stats().unwrap();
    assert_eq!(src.stats().unwrap().ipackets, 0);

    // Stop: later bursts do nothing and free what they were given.
    src.stop().unwrap();
    assert_eq!(rxq.rx_burst(&mut batch), 0);
    sink.stop().unwrap();
    let mut one = MbufBatch::new();
    one.push(pool.alloc().unwrap()).unwrap();
    assert_eq!(txq.tx_burst(&mut one), 0);
    assert!(one.is_empty());

    drop((rxq, txq));
    src.close().unwrap();
    sink.close().unwrap();
    // net_pcap with infinite_rx holds one mbuf per pcap packet until closed.
    assert_eq!(pool.in_use(), 0, "mbuf leak");
}

#[test]
fn unknown_devargs_error_names_them() {
    let err = Port::probe(eal(), "net_nosuchdriver0").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("net_nosuchdriver0"), "{text}");
    assert!(text.contains("vfio-pci"), "{text}");
    let err = Port::probe(eal(), "0000:7f:1f.7").unwrap_err();
    assert!(err.to_string().contains("0000:7f:1f.7"), "{err}");
}

#[test]
fn queue_count_above_the_maximum_names_the_maximum() {
    let pool = pool("maxq", 511);
    let port = Port::probe(eal(), "net_null1").unwrap();
    let max = port.info().unwrap().max_rx_queues;
    let conf = PortConfig {
        n_rxq: max + 1,
        ..small_conf()
    };
    let err = port.configure(&conf, &pool).unwrap_err();
    assert_eq!(err.errno(), libc::EINVAL);
    assert!(
        err.to_string().contains(&format!("maximum of {max}")),
        "{err}"
    );
    port.configure(&small_conf(), &pool).unwrap();
}

#[test]
fn refused_mtu_is_an_error() {
    let pool = pool("mtu", 511);
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("mtu.pcap");
    common::write_pcap(&pcap, &[common::frame(64, 0)]);
    let port = Port::probe(eal(), &format!("net_pcap1,rx_pcap={}", pcap.display())).unwrap();
    let info = port.info().unwrap();
    assert!(info.min_mtu > 0);
    let err = port.set_mtu(info.min_mtu - 1).unwrap_err();
    assert_eq!(err.op(), "rte_eth_dev_set_mtu");
    assert_eq!(err.errno(), libc::EINVAL);
    assert!(err.to_string().contains("refused"), "{err}");
    let conf = PortConfig {
        mtu: Some(info.min_mtu - 1),
        ..small_conf()
    };
    assert!(port.configure(&conf, &pool).is_err());
    // net_pcap has no MTU setter: configure keeps its MTU (with a warning),
    // an explicit set_mtu reports ENOTSUP.
    let before = port.mtu().unwrap();
    let conf = PortConfig {
        mtu: Some(1400),
        ..small_conf()
    };
    port.configure(&conf, &pool)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(port.mtu().unwrap(), before);
    assert_eq!(port.set_mtu(1400).unwrap_err().errno(), libc::ENOTSUP);
}

#[test]
fn queue_handles_are_checked() {
    let pool = pool("qh", 511);
    let port = Port::probe(eal(), "net_null2").unwrap();
    assert!(port.rx_queue(0).is_err(), "not configured yet");
    port.configure(&small_conf(), &pool).unwrap();
    let err = port.rx_queue(1).unwrap_err();
    assert!(err.to_string().contains("rxq 1 out of range"), "{err}");
    assert!(port.tx_queue(1).is_err());
    let q = port.rx_queue(0).unwrap();
    assert_eq!(port.rx_queue(0).unwrap_err().errno(), libc::EBUSY);
    assert_eq!(
        port.configure(&small_conf(), &pool).unwrap_err().errno(),
        libc::EBUSY
    );
    drop(q);
    let _q = port.rx_queue(0).unwrap();
}

#[test]
fn detach_allows_probing_again_and_reprobe_of_open_port_fails() {
    let port = Port::probe(eal(), "net_null3").unwrap();
    let err = Port::probe(eal(), "net_null3").unwrap_err();
    assert_eq!(err.errno(), libc::EBUSY, "{err}");
    port.detach().unwrap_or_else(|e| panic!("{e}"));
    let again = Port::probe(eal(), "net_null3").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.name(), "net_null3");
}

#[test]
fn dropping_a_started_port_closes_it() {
    let pool = pool("dropq", 511);
    let port = Port::probe(eal(), "net_null4").unwrap();
    port.configure(&small_conf(), &pool).unwrap();
    port.start().unwrap();
    let id = port.id();
    let mut rxq = port.rx_queue(0).unwrap();
    drop(port);
    // The queue keeps the port alive and polling it still works.
    let mut batch = MbufBatch::new();
    assert!(rxq.rx_burst(&mut batch) > 0, "net_null produces packets");
    assert_eq!(batch.get(0).unwrap().port(), id);
    batch.clear();
    drop(rxq);
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn stopping_a_port_polled_by_another_thread_is_safe() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let pool = pool("race", 2047);
    let port = Port::probe(eal(), "net_null5").unwrap();
    port.configure(&small_conf(), &pool).unwrap();
    port.start().unwrap();
    let mut rxq = port.rx_queue(0).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicUsize::new(0));
    let poller = {
        let (done, received) = (done.clone(), received.clone());
        std::thread::spawn(move || {
            let mut batch = MbufBatch::new();
            while !done.load(Ordering::Relaxed) {
                received.fetch_add(rxq.rx_burst(&mut batch), Ordering::Relaxed);
                batch.clear();
            }
        })
    };
    let wait_for_packets = |from: usize| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while received.load(Ordering::Relaxed) <= from {
            assert!(Instant::now() < deadline, "poller received nothing");
            std::thread::yield_now();
        }
    };
    wait_for_packets(0);
    for _ in 0..20 {
        port.stop().unwrap();
        port.start().unwrap();
        wait_for_packets(received.load(Ordering::Relaxed));
    }
    port.stop().unwrap();
    // Once stop returns, no burst runs: the count no longer moves (after
    // the poller has added what its last burst, finished before, got).
    std::thread::sleep(Duration::from_millis(10));
    let after_stop = received.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(received.load(Ordering::Relaxed), after_stop);
    done.store(true, Ordering::Relaxed);
    poller.join().unwrap();
    port.close().unwrap();
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn closed_port_can_be_probed_again() {
    let pool = pool("reopen", 511);
    for round in 0..3 {
        let port = Port::probe(eal(), "net_null6,no-rx=1")
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        port.configure(&small_conf(), &pool).unwrap();
        port.start().unwrap();
        port.close().unwrap();
    }
    let port = Port::probe(eal(), "net_null6,no-rx=1").unwrap();
    drop(port);
    Port::probe(eal(), "net_null6,no-rx=1").unwrap_or_else(|e| panic!("after drop: {e}"));
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn several_queues_are_polled_independently() {
    let pool = pool("multiq", 2047);
    let port = Port::probe(eal(), "net_null7").unwrap();
    let conf = PortConfig {
        n_rxq: 2,
        n_txq: 2,
        ..small_conf()
    };
    port.configure(&conf, &pool)
        .unwrap_or_else(|e| panic!("{e}"));
    port.start().unwrap();
    let queues: Vec<_> = (0..2).map(|q| port.rx_queue(q).unwrap()).collect();
    let handles: Vec<_> = queues
        .into_iter()
        .map(|mut q| {
            std::thread::spawn(move || {
                let mut batch = MbufBatch::new();
                let n = q.rx_burst(&mut batch);
                (q.queue_id(), n)
            })
        })
        .collect();
    for h in handles {
        let (q, n) = h.join().unwrap();
        assert!(n > 0, "rxq {q} received nothing");
    }
    let mut txq1 = port.tx_queue(1).unwrap();
    let mut batch = MbufBatch::new();
    pool.alloc_bulk(&mut batch, 8).unwrap();
    for m in batch.iter_mut() {
        m.append(60).unwrap().fill(0xab);
    }
    assert_eq!(txq1.tx_burst(&mut batch), 8);
    assert_eq!(port.stats().unwrap().opackets, 8);
    drop(txq1);
    port.close().unwrap();
    assert_eq!(pool.in_use(), 0);
}
