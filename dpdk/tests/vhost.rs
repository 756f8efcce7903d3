//! A vhost-user backend (net_vhost) and a virtio-user frontend
//! (net_virtio_user) in one process, connected through a unix socket.

mod common;

use std::time::{Duration, Instant};

use dpdk::{HugepageMode, MbufBatch, Mempool, Port, PortConfig, MBUF_DEFAULT_DATA_ROOM};

#[test]
fn virtio_user_talks_to_vhost_user() {
    if common::dev_hugepages_free_bytes().is_none_or(|free| free < 256 * 1024 * 1024) {
        println!("skipped: vhost-user needs hugepages (256 MiB free on /dev/hugepages)");
        return;
    }
    // virtio-user shares EAL memory with the backend as one region per
    // file: one file per memseg list, not per page.
    let eal = common::eal_with(
        "vhost",
        HugepageMode::Require,
        "256",
        &[
            "--single-file-segments",
            "--log-level=pmd.net.vhost:warning",
            "--log-level=lib.vhost.config:warning",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("vhost.sock");
    let pool = Mempool::new(eal, "vhost", 4095, 0, MBUF_DEFAULT_DATA_ROOM, -1).unwrap();
    let conf = PortConfig {
        n_rxd: 256,
        n_txd: 256,
        ..PortConfig::default()
    };
    let backend = Port::probe(
        eal,
        &format!("net_vhost0,iface={},queues=1", sock.display()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    backend.configure(&conf, &pool).unwrap();
    backend.start().unwrap();
    let frontend = Port::probe(
        eal,
        &format!("net_virtio_user0,path={},queues=1", sock.display()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    frontend
        .configure(&conf, &pool)
        .unwrap_or_else(|e| panic!("{e}"));
    frontend.start().unwrap_or_else(|e| panic!("{e}"));

    let deadline = Instant::now() + Duration::from_secs(10);
    while !backend.link().unwrap().up {
        assert!(Instant::now() < deadline, "vhost link never came up");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut tx = frontend.tx_queue(0).unwrap();
    let mut rx = backend.rx_queue(0).unwrap();
    let mut batch = MbufBatch::new();
    let mut sent = 0;
    let mut received = 0;
    while received < 64 {
        assert!(
            Instant::now() < deadline,
            "sent {sent}, received {received}"
        );
        pool.alloc_bulk(&mut batch, 8).unwrap();
        for (i, m) in batch.iter_mut().enumerate() {
            m.append(64)
                .unwrap()
                .copy_from_slice(&common::frame(64, i as u16));
        }
        sent += tx.tx_burst(&mut batch);
        let mut got = MbufBatch::new();
        received += rx.rx_burst(&mut got);
        assert!(got.iter().all(|m| m.len() == 64));
    }
    drop((tx, rx));
    frontend.close().unwrap();
    backend.close().unwrap();
    assert_eq!(pool.in_use(), 0);
}
