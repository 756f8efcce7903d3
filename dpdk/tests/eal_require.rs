//! EAL with `HugepageMode::Require`: runs on hugepages, or fails with an
//! error naming the fix when there are none (skipped then).

mod common;

use dpdk::{EalBuilder, HugepageMode, Mempool, MBUF_DEFAULT_DATA_ROOM};

#[test]
fn require_runs_on_hugepages() {
    if common::dev_hugepages_free_bytes().is_none_or(|free| free < 64 * 1024 * 1024) {
        println!(
            "skipped: no mounted /dev/hugepages with 64 MiB free \
             (echo 512 > /proc/sys/vm/nr_hugepages; mount -t hugetlbfs nodev /dev/hugepages)"
        );
        // Without hugepages, Require must be an error, not a fallback.
        let err = EalBuilder::new("dpdk-test")
            .file_prefix(&common::unique_prefix("require"))
            .hugepages(HugepageMode::Require)
            .socket_mem("64")
            .init()
            .unwrap_err();
        assert!(err.to_string().contains("hugepages"), "{err}");
        return;
    }
    let eal = common::eal("require", HugepageMode::Require, "64");
    assert!(eal.uses_hugepages());
    assert!(!eal.args().iter().any(|a| a == "--no-huge"));
    let pool = Mempool::new(eal, "require", 511, 0, MBUF_DEFAULT_DATA_ROOM, -1)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pool.available(), 511);
}
