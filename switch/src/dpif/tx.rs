//! Transmit queues as PMDs see them, and per-PMD output batching.
//!
//! Each PMD owns one tx queue per port when the device has enough queues
//! ([`TxPath::Owned`]). When it has fewer tx queues than threads that send
//! (a single-queue virtio NIC inside a VM), threads share a queue behind a
//! spinlock taken once per burst ([`TxPath::Shared`]): the one lock a PMD may
//! take.
//!
//! [`TxBuffer`] accumulates a PMD's packets for one port and flushes them as
//! one burst when full or at the end of the PMD iteration.

use std::cell::UnsafeCell;
use std::hint;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use dpdk::{MbufBatch, TxQueue};

use super::stats::{bump, PmdStats};

/// A tx queue shared by several threads, under a spinlock.
pub struct SharedTxQueue {
    locked: AtomicBool,
    queue: UnsafeCell<TxQueue>,
}

// SAFETY: the inner queue is only reached through `send`, which holds the
// spinlock for the whole access, so at most one thread uses it at a time.
unsafe impl Sync for SharedTxQueue {}
// SAFETY: `TxQueue` is `Send`; the lock moves with it.
unsafe impl Send for SharedTxQueue {}

impl SharedTxQueue {
    /// Wraps a queue for sharing.
    pub fn new(queue: TxQueue) -> Self {
        SharedTxQueue {
            locked: AtomicBool::new(false),
            queue: UnsafeCell::new(queue),
        }
    }

    /// Sends `batch` while holding the lock; returns the number sent.
    pub fn send(&self, batch: &mut MbufBatch) -> usize {
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            while self.locked.load(Ordering::Relaxed) {
                hint::spin_loop();
            }
        }
        // SAFETY: the spinlock is held (acquired above, released below), so
        // this is the only live reference to the queue.
        let sent = unsafe { (*self.queue.get()).tx_burst(batch) };
        self.locked.store(false, Ordering::Release);
        sent
    }
}

/// How a thread reaches a port's tx queue.
pub enum TxPath {
    /// A queue this thread alone uses.
    Owned(TxQueue),
    /// A queue shared with other threads.
    Shared(Arc<SharedTxQueue>),
}

impl TxPath {
    /// Sends `batch` (emptied afterwards; unsent packets are freed) and
    /// returns how many the device took.
    #[inline]
    pub fn send(&mut self, batch: &mut MbufBatch) -> usize {
        match self {
            TxPath::Owned(q) => q.tx_burst(batch),
            TxPath::Shared(q) => q.send(batch),
        }
    }

    /// True for a shared queue.
    pub fn is_shared(&self) -> bool {
        matches!(self, TxPath::Shared(_))
    }
}

/// A PMD's pending output towards one port.
pub struct TxBuffer {
    path: TxPath,
    pending: MbufBatch,
    port_tx_dropped: Arc<AtomicU64>,
}

impl TxBuffer {
    /// A buffer in front of `path`; device drops are also added to
    /// `port_tx_dropped`, the port's software drop counter.
    pub fn new(path: TxPath, port_tx_dropped: Arc<AtomicU64>) -> Self {
        TxBuffer {
            path,
            pending: MbufBatch::new(),
            port_tx_dropped,
        }
    }

    /// Sends what is pending, counting it in `stats`.
    #[inline]
    pub fn flush(&mut self, stats: &PmdStats) {
        let n = self.pending.len();
        if n == 0 {
            return;
        }
        let sent = self.path.send(&mut self.pending);
        bump(&stats.tx_packets, n as u64);
        bump(&stats.tx_batches, 1);
        if sent < n {
            let lost = (n - sent) as u64;
            bump(&stats.tx_dropped, lost);
            self.port_tx_dropped.fetch_add(lost, Ordering::Relaxed);
        }
    }

    /// Queues a whole batch without per-packet work: what is already
    /// pending is flushed first (so packet order is kept), then the batch is
    /// swapped in. `batch` is empty afterwards.
    #[inline]
    pub fn push_batch(&mut self, batch: &mut MbufBatch, stats: &PmdStats) {
        if !self.pending.is_empty() {
            self.flush(stats);
        }
        std::mem::swap(&mut self.pending, batch);
    }

    /// Queues one packet, flushing first when the buffer is full.
    #[inline]
    pub fn push(&mut self, m: dpdk::Mbuf, stats: &PmdStats) {
        if self.pending.is_full() {
            self.flush(stats);
        }
        // A flushed buffer is empty, so this cannot fail; if it ever did,
        // the packet would be dropped (freed) and counted.
        if self.pending.push(m).is_err() {
            bump(&stats.tx_dropped, 1);
        }
    }

    /// Whether the path is a shared queue.
    pub fn is_shared(&self) -> bool {
        self.path.is_shared()
    }
}

/// The control thread's way out: one tx path per datapath port (the tx
/// queue reserved for it, or a shared one), for packet-outs. Used under its
/// mutex by the control plane only, never by PMDs.
pub struct ControlTx {
    /// Tx buffers by datapath port.
    pub bufs: std::sync::Mutex<Vec<Option<TxBuffer>>>,
    /// Counters of what the control thread sent ("main thread").
    pub stats: PmdStats,
}
