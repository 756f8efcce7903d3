//! EAL with `HugepageMode::Auto`: hugepages when `/dev/hugepages` has free
//! pages for the requested memory, `--no-huge` otherwise.

mod common;

use dpdk::{HugepageMode, Mempool, MBUF_DEFAULT_DATA_ROOM};

#[test]
fn auto_uses_hugepages_exactly_when_available() {
    let needed = 256 * 1024 * 1024;
    let expected = common::dev_hugepages_free_bytes().is_some_and(|free| free >= needed);
    let before = affinity();
    let eal = common::eal("auto", HugepageMode::Auto, "256");
    // EAL pins the initialising thread to the main lcore; init restores it.
    assert_eq!(affinity(), before, "CPU affinity restored after init");
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

/// CPUs the calling thread may run on.
fn affinity() -> Vec<usize> {
    // SAFETY: cpu_set_t is plain data; zeroed is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: pid 0 = calling thread; valid pointer and size.
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    assert_eq!(rc, 0);
    (0..libc::CPU_SETSIZE as usize)
        // SAFETY: i < CPU_SETSIZE.
        .filter(|&i| unsafe { libc::CPU_ISSET(i, &set) })
        .collect()
}
