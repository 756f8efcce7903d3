//! PMD threads.
//!
//! One thread per core of `pmd-cpu-mask`, named `pmd-c<core>`, pinned to its
//! core and registered with EAL (so `rte_lcore_id()` is valid and mempool
//! caches work). It polls its rx queues in bursts of up to 32 packets at
//! 100 %, or sleeps when it has no queue. With `pmd-maxsleep` set it sleeps
//! up to that many microseconds after iterations that received nothing, so a
//! PMD sharing a core with the control plane leaves it room.
//!
//! Thread safety: the thread owns everything it touches per packet; the
//! control side sees it only through [`PmdStats`], the per-rxq cycle
//! counters and the quit flag.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use dpdk::{MbufBatch, RxQueue};

use super::cache::PmdCache;
use super::stats::{bump, cycles, PmdStats};
use super::sync::{DatapathSync, PmdSeen};
use super::tx::TxBuffer;
use super::{Output, Pipeline};

/// One rx queue a PMD polls.
pub struct PmdRxq {
    /// Datapath port index of the queue's port.
    pub port: usize,
    /// The queue.
    pub queue: RxQueue,
    /// The pipeline of the queue's bridge.
    pub pipeline: Arc<dyn Pipeline>,
    /// Cycles spent receiving and processing this queue's packets.
    pub cycles: Arc<AtomicU64>,
}

/// Everything a PMD thread is given at start.
pub struct PmdPlan {
    /// The core it runs on.
    pub core: u32,
    /// Its rx queues.
    pub rxqs: Vec<PmdRxq>,
    /// Its tx buffers, indexed by datapath port (None: cannot send there).
    pub tx: Vec<Option<TxBuffer>>,
    /// `pmd-maxsleep` in microseconds (0: never sleep while polling).
    pub max_sleep_us: u64,
    /// The datapath's epoch, and this PMD's progress through it.
    pub sync: Arc<DatapathSync>,
    /// This PMD's slot in `sync`.
    pub seen: Arc<PmdSeen>,
    /// Its flow caches.
    pub cache: PmdCache,
}

/// A running PMD thread, as the control side sees it.
pub struct Pmd {
    /// Core id.
    pub core: u32,
    /// Counters.
    pub stats: Arc<PmdStats>,
    /// EAL lcore id once registered (-1 before, or if registration failed).
    pub lcore: Arc<AtomicI64>,
    quit: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Pmd {
    /// Starts the thread `pmd-c<core>`.
    pub fn spawn(plan: PmdPlan) -> io::Result<Pmd> {
        let core = plan.core;
        let stats = Arc::new(PmdStats::default());
        let quit = Arc::new(AtomicBool::new(false));
        let lcore = Arc::new(AtomicI64::new(-1));
        let thread = {
            let stats = Arc::clone(&stats);
            let quit = Arc::clone(&quit);
            let lcore = Arc::clone(&lcore);
            thread::Builder::new()
                .name(format!("pmd-c{core}"))
                .spawn(move || pmd_main(plan, &stats, &quit, &lcore))?
        };
        Ok(Pmd {
            core,
            stats,
            lcore,
            quit,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Asks the thread to stop and waits for it.
    pub fn stop(&self) {
        self.quit.store(true, Ordering::Relaxed);
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = thread {
            if t.join().is_err() {
                tracing::error!(core = self.core, "PMD thread panicked");
            }
        }
    }
}

impl Drop for Pmd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn pmd_main(mut plan: PmdPlan, stats: &PmdStats, quit: &AtomicBool, lcore: &AtomicI64) {
    if let Err(e) = dpdk::pin_current_thread(plan.core as usize) {
        tracing::warn!(core = plan.core, "cannot pin PMD thread: {e}");
    }
    let registration = match dpdk::register_thread() {
        Ok(r) => {
            lcore.store(i64::from(r.lcore_id()), Ordering::Relaxed);
            Some(r)
        }
        Err(e) => {
            tracing::warn!(core = plan.core, "cannot register PMD thread with EAL: {e}");
            None
        }
    };
    tracing::info!(
        core = plan.core,
        rxqs = plan.rxqs.len(),
        "PMD thread started"
    );
    if plan.rxqs.is_empty() {
        // Nothing to poll: sleep instead of spinning (idle: it never holds
        // a table version).
        plan.seen.idle();
        while !quit.load(Ordering::Relaxed) {
            thread::sleep(Duration::from_millis(50));
        }
    } else {
        poll_loop(&mut plan, stats, quit);
    }
    // Send what is still pending before the queues go away.
    Output::new(&mut plan.tx, stats).flush();
    drop(registration);
}

fn poll_loop(plan: &mut PmdPlan, stats: &PmdStats, quit: &AtomicBool) {
    let mut batch = MbufBatch::new();
    let mut sleep_us = 0u64;
    let mut t_iter = cycles();
    // Registered idle; woken before the first iteration.
    let mut asleep = true;
    while !quit.load(Ordering::Relaxed) {
        // Every table version read in this iteration is at least as new as
        // this epoch's (see dpif::sync).
        if asleep {
            plan.seen.wake();
            asleep = false;
        }
        plan.seen.begin(&plan.sync);
        let mut received = 0usize;
        let mut t_rxq = t_iter;
        for rxq in plan.rxqs.iter_mut() {
            let n = rxq.queue.rx_burst(&mut batch);
            if n == 0 {
                continue;
            }
            received += n;
            bump(&stats.rx_packets, n as u64);
            let mut out = Output::new(&mut plan.tx, stats);
            rxq.pipeline
                .process(rxq.port, &mut batch, &mut out, &mut plan.cache);
            if !batch.is_empty() {
                out.drop_batch(&mut batch);
            }
            out.flush();
            let now = cycles();
            bump(&rxq.cycles, now.wrapping_sub(t_rxq));
            t_rxq = now;
        }
        let now = cycles();
        let spent = now.wrapping_sub(t_iter);
        t_iter = now;
        bump(&stats.iterations, 1);
        if received > 0 {
            bump(&stats.busy_cycles, spent);
            sleep_us = 0;
        } else {
            bump(&stats.idle_cycles, spent);
            if plan.max_sleep_us > 0 {
                sleep_us = (sleep_us * 2).clamp(1, plan.max_sleep_us);
                plan.seen.idle();
                asleep = true;
                thread::sleep(Duration::from_micros(sleep_us));
                bump(&stats.sleep_us, sleep_us);
                // Time asleep is idle time.
                let woke = cycles();
                bump(&stats.idle_cycles, woke.wrapping_sub(t_iter));
                t_iter = woke;
            }
        }
    }
}
