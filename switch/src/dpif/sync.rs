//! Control-plane/PMD synchronisation: "every PMD has seen this change".
//!
//! The control thread bumps a datapath-wide epoch after it publishes a new
//! version of any bridge's tables ([`DatapathSync::publish`]). Each PMD, at
//! the start of every poll-loop iteration and before it reads any table
//! version, loads the epoch (acquire: it then sees every version published
//! before it) and stores it as "seen". A PMD about to sleep (or without rx
//! queues) marks itself idle, which counts as having seen everything.
//! [`DatapathSync::wait_seen`] returns once every PMD has seen the epoch:
//! from then on no PMD uses a rule from before the change, so a barrier
//! reply can be sent. (Open vSwitch revalidates asynchronously and gives no
//! such guarantee.)
//!
//! The one race, a PMD waking up while the control thread checks it, is
//! closed by a store-fence-load on both sides ([`PmdSeen::wake`] and
//! [`DatapathSync::wait_seen`]): either the control thread sees the PMD
//! awake and waits for it, or the PMD's next epoch load sees the new epoch.
//!
//! Cost on a busy PMD: one atomic load and one atomic store per iteration,
//! no lock; a fence only when it wakes up.

use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// "Seen" value of an idle PMD: counts as having seen every epoch.
pub const IDLE: u64 = u64::MAX;

/// One PMD's progress.
#[derive(Debug, Default)]
pub struct PmdSeen {
    seen: AtomicU64,
}

impl PmdSeen {
    /// PMD side: starts an iteration (call before reading any table
    /// version); every version it reads from now on is at least as new as
    /// the returned epoch's.
    #[inline]
    pub fn begin(&self, sync: &DatapathSync) -> u64 {
        let e = sync.epoch.load(Ordering::Acquire);
        self.seen.store(e, Ordering::Release);
        e
    }

    /// PMD side: leaves the idle state (call after sleeping, before
    /// [`PmdSeen::begin`]).
    #[inline]
    pub fn wake(&self) {
        self.seen.store(0, Ordering::Relaxed);
        fence(Ordering::SeqCst);
    }

    /// PMD side: about to sleep or idle; counts as having seen everything.
    #[inline]
    pub fn idle(&self) {
        self.seen.store(IDLE, Ordering::Release);
    }
}

/// The datapath-wide epoch and every PMD's progress.
#[derive(Debug, Default)]
pub struct DatapathSync {
    epoch: AtomicU64,
    pmds: Mutex<Vec<Arc<PmdSeen>>>,
}

impl DatapathSync {
    /// Registers a PMD (before it starts polling).
    pub fn register(&self) -> Arc<PmdSeen> {
        let p = Arc::new(PmdSeen::default());
        p.seen.store(IDLE, Ordering::Relaxed);
        self.pmds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::clone(&p));
        p
    }

    /// Control side: a new table version was published; returns the epoch
    /// to wait for.
    pub fn publish(&self) -> u64 {
        self.epoch.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// The current epoch.
    pub fn current(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Waits until every PMD has seen `epoch` (or is idle), at most
    /// `timeout`; returns whether they all did.
    pub fn wait_seen(&self, epoch: u64, timeout: Duration) -> bool {
        let pmds = self.pmds.lock().unwrap_or_else(|e| e.into_inner()).clone();
        // Pairs with the fence of PmdSeen::wake.
        fence(Ordering::SeqCst);
        let deadline = Instant::now() + timeout;
        let mut spins = 0u32;
        loop {
            if pmds.iter().all(|p| p.seen.load(Ordering::Acquire) >= epoch) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            spins += 1;
            if spins < 100 {
                std::hint::spin_loop();
            } else {
                std::thread::sleep(Duration::from_micros(20));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_busy_pmds_not_idle_ones() {
        let sync = Arc::new(DatapathSync::default());
        let busy = sync.register();
        let _idle = sync.register();
        // An idle PMD counts as having seen everything.
        let e0 = sync.publish();
        assert!(sync.wait_seen(e0, Duration::from_millis(1)));
        // The busy PMD is in an iteration that began before the change.
        busy.wake();
        assert_eq!(busy.begin(&sync), e0);
        let e1 = sync.publish();
        assert!(
            !sync.wait_seen(e1, Duration::from_millis(20)),
            "an iteration under the old epoch holds the barrier"
        );
        // Its next iteration begins under the new epoch.
        let t = {
            let sync = Arc::clone(&sync);
            let busy = Arc::clone(&busy);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                assert_eq!(busy.begin(&sync), e1);
            })
        };
        assert!(sync.wait_seen(e1, Duration::from_secs(5)));
        t.join().unwrap();
        busy.idle();
        let e2 = sync.publish();
        assert!(
            sync.wait_seen(e2, Duration::from_millis(1)),
            "idle counts as seen"
        );
    }
}
