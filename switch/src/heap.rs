//! The control thread's heap.
//!
//! A table of a million flows is a few million small allocations, made by
//! flow-mods and freed when the rules are unlinked. The daemon (and the
//! `control` benchmark) allocate them with mimalloc, its arenas backed by
//! transparent huge pages where the kernel allows them: against glibc's
//! malloc, unlinking 1 M removed rules goes from 1.9 s to 0.6 s (glibc
//! spent it coalescing free chunks) and walking them for a flow dump
//! takes fewer TLB misses. The datapath allocates nothing per packet.
//!
//! Declare [`Heap`] as the binary's `#[global_allocator]` and call
//! [`use_huge_pages`] first thing in `main`.

/// The allocator of the daemon.
pub type Heap = mimalloc::MiMalloc;

/// Lets the allocator back its arenas with transparent huge pages (a hint
/// the kernel may refuse). Allocations made before the call keep their
/// pages; call it before the tables fill.
pub fn use_huge_pages() {
    // SAFETY: mi_option_set stores an option value (atomically); it reads
    // and writes no memory of ours.
    unsafe { libmimalloc_sys::mi_option_set(libmimalloc_sys::mi_option_large_os_pages, 1) };
}
