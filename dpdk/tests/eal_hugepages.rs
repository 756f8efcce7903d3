//! EAL with `HugepageMode::Auto`: hugepages when `/dev/hugepages` has free
//! pages for the requested memory, `--no-huge` otherwise.

mod common;

use dpdk::{HugepageMode, Mempool, MBUF_DEFAULT_DATA_ROOM};

#[test]
fn auto_uses_hugepages_exactly_when_available() {
    let needed = 256 * 1024 * 1024;
    let expected = common::dev_hugepages_free_bytes().is_some_and(|free| free >= needed);
    let eal = common::eal("auto", HugepageMode::Auto, "256");
    assert_eq!(eal.uses_hugepages(), expected, "args {:?}", eal.args());
    let args = eal.args();
    if expected {
        let i = args
            .iter()
            .position(|a| a == "--socket-mem")
            .expect("--socket-mem");
        assert_eq!(args[i + 1], "256");
        assert!(args.iter().any(|a| a == "--huge-unlink"));
        assert!(!args.iter().any(|a| a == "--no-huge"));
    } else {
        println!("no free hugepages on /dev/hugepages: checked the --no-huge fallback");
        assert!(args.iter().any(|a| a == "--no-huge"));
        let i = args.iter().position(|a| a == "-m").expect("-m");
        assert_eq!(args[i + 1], "256");
    }
    // The memory is usable either way.
    let pool = Mempool::new(eal, "auto", 1023, 32, MBUF_DEFAULT_DATA_ROOM, -1)
        .unwrap_or_else(|e| panic!("{e}"));
    let m = pool.alloc().unwrap();
    assert_eq!(pool.in_use(), 1);
    drop(m);
    assert_eq!(pool.in_use(), 0);
}
