//! PMD thread counters.
//!
//! Each PMD owns one [`PmdStats`] and is its only writer: it adds with a
//! relaxed load and store (no read-modify-write, no lock), once per burst or
//! per iteration. Readers (`pmd-stats-show`, `/metrics`) load the same
//! atomics, so the command line and Prometheus read one source of truth.
//! `pmd-stats-clear` does not touch the PMD's counters: it records a
//! baseline that `pmd-stats-show` subtracts, as Open vSwitch does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The counters of one PMD thread.
#[derive(Debug, Default)]
pub struct PmdStats {
    /// Packets received from rx queues.
    pub rx_packets: AtomicU64,
    /// Packets handed to tx queues (sent or dropped by the device).
    pub tx_packets: AtomicU64,
    /// Output batches flushed to tx queues.
    pub tx_batches: AtomicU64,
    /// Packets the device did not take (freed, counted).
    pub tx_dropped: AtomicU64,
    /// Packets dropped because the pipeline gave no output for them.
    pub pipeline_drops: AtomicU64,
    /// TSC cycles spent in iterations that received packets.
    pub busy_cycles: AtomicU64,
    /// TSC cycles spent in iterations that received nothing.
    pub idle_cycles: AtomicU64,
    /// Poll-loop iterations.
    pub iterations: AtomicU64,
    /// Microseconds slept by load-based sleep (`pmd-maxsleep`).
    pub sleep_us: AtomicU64,
    baseline: Mutex<Option<PmdCounters>>,
}

/// A plain copy of the counters, for arithmetic and display.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PmdCounters {
    /// See [`PmdStats::rx_packets`].
    pub rx_packets: u64,
    /// See [`PmdStats::tx_packets`].
    pub tx_packets: u64,
    /// See [`PmdStats::tx_batches`].
    pub tx_batches: u64,
    /// See [`PmdStats::tx_dropped`].
    pub tx_dropped: u64,
    /// See [`PmdStats::pipeline_drops`].
    pub pipeline_drops: u64,
    /// See [`PmdStats::busy_cycles`].
    pub busy_cycles: u64,
    /// See [`PmdStats::idle_cycles`].
    pub idle_cycles: u64,
    /// See [`PmdStats::iterations`].
    pub iterations: u64,
    /// See [`PmdStats::sleep_us`].
    pub sleep_us: u64,
}

/// Adds `n` to a counter that only the calling thread writes.
#[inline(always)]
pub fn bump(counter: &AtomicU64, n: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(n),
        Ordering::Relaxed,
    );
}

impl PmdStats {
    /// The counters since the PMD started.
    pub fn totals(&self) -> PmdCounters {
        let l = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PmdCounters {
            rx_packets: l(&self.rx_packets),
            tx_packets: l(&self.tx_packets),
            tx_batches: l(&self.tx_batches),
            tx_dropped: l(&self.tx_dropped),
            pipeline_drops: l(&self.pipeline_drops),
            busy_cycles: l(&self.busy_cycles),
            idle_cycles: l(&self.idle_cycles),
            iterations: l(&self.iterations),
            sleep_us: l(&self.sleep_us),
        }
    }

    /// The counters since the last [`PmdStats::clear`] (what
    /// `pmd-stats-show` prints).
    pub fn since_clear(&self) -> PmdCounters {
        let now = self.totals();
        match *self.baseline.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(base) => now.minus(&base),
            None => now,
        }
    }

    /// `pmd-stats-clear`: later [`PmdStats::since_clear`] counts from now.
    pub fn clear(&self) {
        *self.baseline.lock().unwrap_or_else(|e| e.into_inner()) = Some(self.totals());
    }
}

impl PmdCounters {
    fn minus(&self, b: &PmdCounters) -> PmdCounters {
        PmdCounters {
            rx_packets: self.rx_packets.wrapping_sub(b.rx_packets),
            tx_packets: self.tx_packets.wrapping_sub(b.tx_packets),
            tx_batches: self.tx_batches.wrapping_sub(b.tx_batches),
            tx_dropped: self.tx_dropped.wrapping_sub(b.tx_dropped),
            pipeline_drops: self.pipeline_drops.wrapping_sub(b.pipeline_drops),
            busy_cycles: self.busy_cycles.wrapping_sub(b.busy_cycles),
            idle_cycles: self.idle_cycles.wrapping_sub(b.idle_cycles),
            iterations: self.iterations.wrapping_sub(b.iterations),
            sleep_us: self.sleep_us.wrapping_sub(b.sleep_us),
        }
    }

    /// Average packets per output batch.
    pub fn avg_batch(&self) -> f64 {
        ratio(self.tx_packets, self.tx_batches)
    }

    /// Average total (busy + idle) cycles per received packet.
    pub fn avg_cycles_per_packet(&self) -> f64 {
        ratio(self.busy_cycles + self.idle_cycles, self.rx_packets)
    }

    /// Average busy cycles per received packet.
    pub fn avg_processing_cycles_per_packet(&self) -> f64 {
        ratio(self.busy_cycles, self.rx_packets)
    }

    /// Share of busy cycles, in percent.
    pub fn busy_percent(&self) -> f64 {
        100.0 * ratio(self.busy_cycles, self.busy_cycles + self.idle_cycles)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The time stamp counter (cycles), or nanoseconds where there is none.
#[inline(always)]
pub fn cycles() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: RDTSC has no memory effects and is available on every x86_64 CPU.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        use std::sync::OnceLock;
        use std::time::Instant;
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_subtracts_a_baseline() {
        let s = PmdStats::default();
        bump(&s.rx_packets, 10);
        bump(&s.tx_packets, 10);
        bump(&s.tx_batches, 2);
        s.clear();
        assert_eq!(s.since_clear().rx_packets, 0);
        bump(&s.rx_packets, 5);
        bump(&s.tx_packets, 6);
        bump(&s.tx_batches, 3);
        let c = s.since_clear();
        assert_eq!(c.rx_packets, 5);
        assert_eq!(c.avg_batch(), 2.0);
        assert_eq!(s.totals().rx_packets, 15);
    }

    #[test]
    fn ratios_without_traffic_are_zero() {
        let c = PmdCounters::default();
        assert_eq!(c.avg_batch(), 0.0);
        assert_eq!(c.busy_percent(), 0.0);
        let c = PmdCounters {
            busy_cycles: 30,
            idle_cycles: 10,
            rx_packets: 4,
            ..Default::default()
        };
        assert_eq!(c.avg_cycles_per_packet(), 10.0);
        assert_eq!(c.avg_processing_cycles_per_packet(), 7.5);
        assert_eq!(c.busy_percent(), 75.0);
    }
}
