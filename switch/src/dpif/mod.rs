//! The userspace datapath: PMD threads polling rx queues, asking a
//! [`Pipeline`] what to do with each batch, and batching output per tx queue.
//!
//! Thread safety: each PMD owns its rx queues, its tx buffers and its
//! counters; the pipeline is shared read-only (`Send + Sync`). Nothing on the
//! per-packet path takes a lock, allocates or makes a system call; the one
//! exception is a tx queue shared by several threads, locked once per burst.

pub mod cache;
pub mod cross_connect;
pub mod dpcls;
pub mod emc;
pub mod pmd;
pub mod rxq_sched;
pub mod stats;
pub mod sync;
pub mod tx;

use dpdk::{Mbuf, MbufBatch};

use self::stats::{bump, PmdStats};
use self::tx::TxBuffer;

/// Asks the CPU to bring every cache line of `*r` into its caches, ahead
/// of use: a batch's lookups issue their loads first and use them after,
/// so that the misses overlap. A hint only: nothing is read.
#[inline(always)]
pub fn prefetch<T: ?Sized>(r: &T) {
    prefetch_bytes((r as *const T).cast(), std::mem::size_of_val(r));
}

/// [`prefetch`] of the first `len` bytes at `p` (which may be past any
/// object: a prefetch never faults).
#[inline(always)]
pub fn prefetch_bytes(p: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    if len > 0 {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = p.cast::<i8>();
        let mut off = 0;
        while off < len {
            // SAFETY: a prefetch never faults and reads nothing.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(off)) };
            off += 64;
        }
        // The last line, when the bytes straddle one line more than their
        // length needs.
        // SAFETY: as above.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(len - 1)) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, len);
}

/// What the datapath asks about every received batch. The OpenFlow pipeline
/// implements it; [`cross_connect::CrossConnect`] is the fixed test mode.
pub trait Pipeline: Send + Sync {
    /// Decides the fate of every packet of `batch`, received on datapath
    /// port `in_port`, sending packets through `out`; `cache` is the
    /// calling PMD's own. Packets left in `batch` afterwards are dropped
    /// and counted as pipeline drops.
    fn process(
        &self,
        in_port: usize,
        batch: &mut MbufBatch,
        out: &mut Output<'_>,
        cache: &mut cache::PmdCache,
    );
}

/// A PMD's output side, lent to the pipeline for one batch.
pub struct Output<'a> {
    tx: &'a mut [Option<TxBuffer>],
    stats: &'a PmdStats,
}

impl<'a> Output<'a> {
    /// Output over the PMD's per-port tx buffers (indexed by datapath port).
    pub fn new(tx: &'a mut [Option<TxBuffer>], stats: &'a PmdStats) -> Self {
        Output { tx, stats }
    }

    /// Sends a whole batch to `port` (the batch is empty afterwards).
    /// A port this PMD cannot send to drops the batch, counted.
    #[inline]
    pub fn send_batch(&mut self, port: usize, batch: &mut MbufBatch) {
        match self.tx.get_mut(port).and_then(Option::as_mut) {
            Some(buf) => buf.push_batch(batch, self.stats),
            None => self.drop_batch(batch),
        }
    }

    /// Sends one packet to `port`.
    #[inline]
    pub fn send(&mut self, port: usize, m: Mbuf) {
        match self.tx.get_mut(port).and_then(Option::as_mut) {
            Some(buf) => buf.push(m, self.stats),
            None => {
                bump(&self.stats.pipeline_drops, 1);
                drop(m);
            }
        }
    }

    /// Drops one packet, counted as a pipeline drop.
    #[inline]
    pub fn drop_packet(&mut self, m: Mbuf) {
        bump(&self.stats.pipeline_drops, 1);
        drop(m);
    }

    /// Drops every packet of `batch`, counted as pipeline drops.
    #[inline]
    pub fn drop_batch(&mut self, batch: &mut MbufBatch) {
        bump(&self.stats.pipeline_drops, batch.len() as u64);
        batch.clear();
    }

    /// The PMD's counters.
    pub fn stats(&self) -> &PmdStats {
        self.stats
    }

    /// Flushes every pending tx buffer.
    #[inline]
    pub fn flush(&mut self) {
        for buf in self.tx.iter_mut().flatten() {
            buf.flush(self.stats);
        }
    }
}
