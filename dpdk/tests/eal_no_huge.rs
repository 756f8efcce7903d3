//! EAL without hugepages; mbuf, batch and lcore behaviour on a live EAL.

mod common;

use dpdk::{
    lcore_id, register_thread, EalBuilder, HugepageMode, Mbuf, MbufBatch, Mempool, BURST,
    MBUF_DEFAULT_DATA_ROOM,
};

fn eal() -> &'static dpdk::Eal {
    common::eal("nohuge", HugepageMode::Disabled, "64")
}

fn pool(name: &str, n: u32, cache: u32) -> Mempool {
    Mempool::new(eal(), name, n, cache, MBUF_DEFAULT_DATA_ROOM, -1)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn runs_without_hugepages_with_m() {
    let eal = eal();
    assert!(!eal.uses_hugepages());
    let args = eal.args();
    assert!(args.iter().any(|a| a == "--no-huge"), "{args:?}");
    let m = args.iter().position(|a| a == "-m").expect("-m");
    assert_eq!(args[m + 1], "64");
    assert!(!args.iter().any(|a| a == "--socket-mem"));
    assert_eq!(eal.main_lcore(), 0);
    assert!(dpdk::Eal::current().is_some());
}

#[test]
fn second_init_is_an_error() {
    eal();
    let err = EalBuilder::new("again")
        .hugepages(HugepageMode::Disabled)
        .init()
        .unwrap_err();
    assert_eq!(err.op(), "rte_eal_init");
    assert_eq!(err.errno(), libc::EALREADY);
}

#[test]
fn mbuf_edits_follow_dpdk_semantics() {
    let pool = pool("edits", 63, 0);
    let mut m = pool.alloc().unwrap();
    assert_eq!(pool.in_use(), 1);
    assert!(m.is_empty());
    assert_eq!(m.len(), 0);
    let head = m.headroom();
    assert_eq!(head, 128);
    m.append(60).unwrap().copy_from_slice(&[7u8; 60]);
    assert_eq!((m.len(), m.pkt_len()), (60, 60));
    m.prepend(4).unwrap().copy_from_slice(&[1, 2, 3, 4]);
    assert_eq!(m.len(), 64);
    assert_eq!(&m.data()[..5], &[1, 2, 3, 4, 7]);
    assert_eq!(m.headroom(), head - 4);
    assert!(m.adj(4));
    assert_eq!(m.data()[0], 7);
    assert!(m.trim(10));
    assert_eq!((m.len(), m.pkt_len()), (50, 50));
    assert!(!m.adj(51), "adj past the data must fail");
    assert!(!m.trim(51), "trim past the data must fail");
    assert_eq!(m.len(), 50);
    assert!(m.prepend(m.headroom() + 1).is_none());
    let tail = m.tailroom();
    assert!(m.append(tail + 1).is_none());
    assert!(m.append(tail).is_some());
    assert_eq!(m.tailroom(), 0);
    m.data_mut()[0] = 9;
    assert_eq!(m.data()[0], 9);
    m.set_port(5);
    assert_eq!(m.port(), 5);
    assert_eq!(m.refcnt(), 1);
    let raw = m.into_raw();
    assert_eq!(pool.in_use(), 1, "into_raw keeps the mbuf allocated");
    // SAFETY: raw came from into_raw above and is owned by nobody else.
    drop(unsafe { Mbuf::from_raw(raw) });
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn batch_owns_and_frees_in_bulk() {
    let pool = pool("batch", 127, 0);
    let mut batch = MbufBatch::new();
    assert!(batch.is_empty());
    for i in 0..BURST {
        let mut m = pool.alloc().unwrap();
        m.append(64 + i as u16).unwrap();
        batch.push(m).unwrap();
    }
    assert!(batch.is_full());
    let extra = pool.alloc().unwrap();
    let extra = batch.push(extra).unwrap_err();
    drop(extra);
    assert_eq!(pool.in_use(), BURST as u32);
    let expected: u64 = (0..BURST as u64).map(|i| 64 + i).sum();
    assert_eq!(batch.bytes(), expected);
    assert_eq!(batch.get(3).unwrap().len(), 67);
    assert!(batch.get(BURST).is_none());
    batch.get_mut(0).unwrap().set_port(9);
    assert_eq!(batch.iter().filter(|m| m.port() == 9).count(), 1);

    // take: swap_remove order.
    let taken = batch.take(0).unwrap();
    assert_eq!(taken.len(), 64);
    assert_eq!(batch.get(0).unwrap().len(), 64 + BURST - 1);
    assert_eq!(batch.len(), BURST - 1);
    assert!(batch.take(BURST).is_none());
    drop(taken);
    assert_eq!(pool.in_use(), BURST as u32 - 1);

    // retain: keep even lengths, bulk-free the others.
    batch.retain(|m| m.len() % 2 == 0);
    assert!(batch.iter().all(|m| m.len() % 2 == 0));
    assert_eq!(pool.in_use(), batch.len() as u32);
    for m in batch.iter_mut() {
        assert!(m.trim(1));
    }
    assert!(batch.iter().all(|m| m.len() % 2 == 1));

    batch.clear();
    assert!(batch.is_empty());
    assert_eq!(pool.in_use(), 0);

    // drain: in order; what is not taken is freed with the iterator.
    let mut batch = MbufBatch::new();
    for i in 0..6u16 {
        let mut m = pool.alloc().unwrap();
        m.append(60 + i).unwrap();
        batch.push(m).unwrap();
    }
    let lens: Vec<usize> = batch.drain().take(3).map(|m| m.len()).collect();
    assert_eq!(lens, vec![60, 61, 62]);
    assert!(batch.is_empty());
    assert_eq!(pool.in_use(), 0, "the undrained rest was freed");

    // Drop frees what is held.
    let mut batch = MbufBatch::new();
    pool.alloc_bulk(&mut batch, 20).unwrap();
    assert_eq!((batch.len(), pool.in_use()), (20, 20));
    assert!(pool.alloc_bulk(&mut batch, 13).is_err(), "no room for 13");
    drop(batch);
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn exhausted_pool_is_an_error() {
    let pool = pool("tiny", 4, 0);
    let held: Vec<_> = (0..4).map(|_| pool.alloc().unwrap()).collect();
    let err = pool.alloc().unwrap_err();
    assert_eq!(err.errno(), libc::ENOMEM);
    assert!(err.to_string().contains("mempool tiny"), "{err}");
    drop(held);
    assert_eq!(pool.in_use(), 0);
    assert_eq!(pool.available(), 4);
}

#[test]
fn duplicate_pool_name_is_an_error() {
    let _a = pool("dup", 31, 0);
    let err = Mempool::new(eal(), "dup", 31, 0, MBUF_DEFAULT_DATA_ROOM, -1).unwrap_err();
    assert_eq!(err.op(), "rte_pktmbuf_pool_create");
    assert_eq!(err.errno(), libc::EEXIST, "{err}");
}

#[test]
fn registered_thread_gets_an_lcore_and_a_cache() {
    let pool = pool("threads", 255, 32);
    std::thread::spawn(move || {
        assert_eq!(lcore_id(), None, "unregistered thread");
        let reg = register_thread().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lcore_id(), Some(reg.lcore_id()));
        assert_ne!(reg.lcore_id(), 0, "lcore 0 is the main lcore");
        let err = register_thread().unwrap_err();
        assert_eq!(err.errno(), libc::EALREADY);
        let batch: Vec<_> = (0..10).map(|_| pool.alloc().unwrap()).collect();
        assert_eq!(pool.in_use(), 10);
        drop(batch);
        // Freed mbufs sit in this lcore's cache and count as available.
        assert_eq!(pool.in_use(), 0);
        drop(reg);
        assert_eq!(lcore_id(), None, "unregistered again");
    })
    .join()
    .unwrap();
}

#[test]
fn copies_and_packets_from_bytes() {
    let pool = pool("copies", 63, 0);
    let frame = common::frame(64, 7);
    let mut m = pool.alloc_with(&frame).unwrap();
    assert_eq!(m.data(), &frame[..]);
    m.set_port(3);
    let mut copy = m.copy(&pool).unwrap();
    assert_eq!(pool.in_use(), 2);
    assert_eq!(copy.data(), m.data());
    assert_eq!(copy.port(), 3);
    copy.data_mut()[0] = 0xff;
    assert_eq!(m.data()[0], frame[0], "the copy does not share data");
    drop((m, copy));
    let err = pool.alloc_with(&vec![0u8; 4096]).unwrap_err();
    assert_eq!(err.errno(), libc::EMSGSIZE);
    assert!(pool.alloc_with(&[]).unwrap().is_empty());
    assert_eq!(pool.in_use(), 0, "the failed alloc_with freed its mbuf");
}
