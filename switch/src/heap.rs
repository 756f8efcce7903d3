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
//! Blocks of the usual alignments are asked for with `mi_malloc`, not
//! `mi_malloc_aligned`: mimalloc 3's aligned path serves a request from
//! the next size class up whenever the current page of its own class has
//! no free block at hand, and then never fills that class: every
//! 160-byte rule of a table load took a 192-byte block (and, in a test,
//! every 48-byte block a 64-byte one).
//!
//! Declare [`Heap`] as the binary's `#[global_allocator]` and call
//! [`configure`] first thing in `main`.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// The alignment every `mi_malloc` block of at least that size has
/// (mimalloc's `MI_MAX_ALIGN_SIZE`, C's `max_align_t`); smaller blocks are
/// aligned to their size class, a multiple of 8.
const MALLOC_ALIGN: usize = 16;

/// Whether `mi_malloc(size)` suits `layout`: its alignment is one every
/// block of its size has (a `Layout`'s size is a multiple of its
/// alignment).
#[inline]
fn plain(align: usize, size: usize) -> bool {
    align <= MALLOC_ALIGN && align <= size
}

/// A block for `size` bytes aligned to `align`, from `plain_call(size)`
/// when its blocks' alignment suits (`plain`), else from
/// `aligned_call(size, align)`.
///
/// # Safety
///
/// Both are mimalloc allocation calls (null on failure).
#[inline(always)]
unsafe fn block(
    size: usize,
    align: usize,
    plain_call: unsafe extern "C" fn(usize) -> *mut c_void,
    aligned_call: unsafe extern "C" fn(usize, usize) -> *mut c_void,
) -> *mut u8 {
    // SAFETY: allocation calls of mimalloc (the caller's contract).
    unsafe {
        if plain(align, size) {
            plain_call(size).cast()
        } else {
            aligned_call(size, align).cast()
        }
    }
}

/// The allocator of the daemon: mimalloc.
pub struct Heap;

// SAFETY: every block comes from mimalloc and goes back to it (`mi_free`
// frees blocks of either path); a block from `mi_malloc`/`mi_zalloc`/
// `mi_realloc` is used only for layouts whose alignment its size class
// guarantees (`plain`), others take mimalloc's aligned calls.
unsafe impl GlobalAlloc for Heap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's allocation calls; null on failure, as asked.
        unsafe {
            block(
                layout.size(),
                layout.align(),
                mi::mi_malloc,
                mi::mi_malloc_aligned,
            )
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe {
            block(
                layout.size(),
                layout.align(),
                mi::mi_zalloc,
                mi::mi_zalloc_aligned,
            )
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` is a live block of this allocator (the caller's
        // contract).
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        // SAFETY: `ptr` is a live block of this allocator and `new_size`
        // is valid for `layout.align()` (the caller's contract).
        unsafe {
            if plain(align, new_size) {
                mi::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast(), new_size, align).cast()
            }
        }
    }
}

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
    use std::alloc::{GlobalAlloc, Layout};

    use super::Heap;

    #[test]
    fn blocks_are_aligned_and_sized_by_their_own_class() {
        // Many of each, as a table load makes them: past the first page.
        for (size, align) in [
            (8, 8),
            (24, 8),
            (40, 8),
            (48, 16),
            (160, 8),
            (176, 16),
            (1000, 8),
            (4096, 64),
            (64, 4096),
        ] {
            let layout = Layout::from_size_align(size, align).unwrap();
            let blocks: Vec<*mut u8> = (0..5000)
                .map(|i| {
                    // SAFETY: a non-zero-sized layout.
                    let p = unsafe {
                        if i % 2 == 0 {
                            Heap.alloc(layout)
                        } else {
                            Heap.alloc_zeroed(layout)
                        }
                    };
                    assert!(!p.is_null());
                    assert!(
                        (p as usize).is_multiple_of(align),
                        "{size} bytes aligned to {align}"
                    );
                    // SAFETY: `p` is a live block of the allocator.
                    let usable = unsafe { libmimalloc_sys::mi_usable_size(p.cast()) };
                    assert!(usable >= size);
                    if align <= 16 {
                        // SAFETY: a pure function of the size.
                        let class = unsafe { libmimalloc_sys::mi_good_size(size) };
                        assert_eq!(usable, class, "{size} bytes took a block of {usable}");
                    }
                    p
                })
                .collect();
            for p in blocks {
                // SAFETY: each block is live and freed once, with its layout.
                unsafe { Heap.dealloc(p, layout) };
            }
        }
        // Growing and shrinking keep the contents and the alignment.
        let layout = Layout::from_size_align(24, 8).unwrap();
        // SAFETY: a non-zero-sized layout; every pointer is checked and
        // used within its size.
        unsafe {
            let mut p = Heap.alloc(layout);
            p.write_bytes(7, 24);
            for (old, new, align) in [(24, 4000, 8), (4000, 16, 8)] {
                p = Heap.realloc(p, Layout::from_size_align(old, align).unwrap(), new);
                assert!(!p.is_null() && (p as usize).is_multiple_of(align));
                assert!((0..new.min(24)).all(|i| *p.add(i) == 7));
            }
            Heap.dealloc(p, Layout::from_size_align(16, 8).unwrap());
        }
    }

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
