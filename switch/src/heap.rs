//! The control thread's heap.
//!
//! A table of a million flows is a few million small allocations, made by
//! flow-mods and freed when the rules are unlinked. The daemon (and the
//! `control` benchmark) allocate them with mimalloc, its arenas backed by
//! transparent huge pages where the kernel allows them (mimalloc asks for
//! them with `madvise`): against glibc's malloc, unlinking 1 M removed
//! rules goes from 1.9 s to 0.6 s (glibc spent it coalescing free chunks)
//! and walking them for a flow dump takes fewer TLB misses. The datapath
//! allocates nothing per packet.
//!
//! The heap never takes pages of the hugetlbfs pool: those are DPDK's
//! (`dpdk-socket-mem`, mempools of ports added later), and mimalloc's
//! "large OS pages" option would map its arenas from that pool once the
//! first arena is full.
//!
//! Declare [`Heap`] as the binary's `#[global_allocator]` and call
//! [`configure`] first thing in `main`.

/// The allocator of the daemon.
pub type Heap = mimalloc::MiMalloc;

/// Sets the allocator's options: transparent huge pages, never the
/// hugetlbfs pool. Arenas mapped before the call keep how they were
/// mapped; call it before the tables fill.
pub fn configure() {
    // SAFETY: mi_option_set stores an option value (atomically); it reads
    // and writes no memory of ours.
    unsafe { libmimalloc_sys::mi_option_set(libmimalloc_sys::mi_option_large_os_pages, 0) };
}

#[cfg(test)]
mod tests {
    /// Kilobytes of hugetlbfs pages this process has mapped.
    fn hugetlb_kb() -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
        smaps
            .lines()
            .filter(|l| l.starts_with("Private_Hugetlb:") || l.starts_with("Shared_Hugetlb:"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    }

    #[test]
    fn a_big_heap_leaves_the_hugepage_pool_alone() {
        super::configure();
        let before = hugetlb_kb();
        // 512 MiB in rule-sized blocks: past mimalloc's first arena.
        let blocks: Vec<*mut u8> = (0..(512 << 20) / 160)
            .map(|_| {
                // SAFETY: a plain allocation; checked for null below.
                let p = unsafe { libmimalloc_sys::mi_malloc(160) }.cast::<u8>();
                assert!(!p.is_null());
                // SAFETY: `p` points to 160 writable bytes.
                unsafe { p.write_bytes(1, 160) };
                p
            })
            .collect();
        let after = hugetlb_kb();
        for p in blocks {
            // SAFETY: each block came from mi_malloc and is freed once.
            unsafe { libmimalloc_sys::mi_free(p.cast()) };
        }
        assert_eq!(after, before, "the heap mapped hugetlbfs pages");
    }
}
