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

/// Defines [`PmdStats`] (atomic counters, written by their PMD only) and
/// [`PmdCounters`] (a plain copy) with the same fields, once.
macro_rules! pmd_counters {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        /// The counters of one PMD thread.
        #[derive(Debug, Default)]
        pub struct PmdStats {
            $($(#[doc = $doc])* pub $name: AtomicU64,)*
            baseline: Mutex<Option<PmdCounters>>,
        }

        /// A plain copy of the counters, for arithmetic and display.
        #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
        pub struct PmdCounters {
            $($(#[doc = $doc])* pub $name: u64,)*
        }

        impl PmdStats {
            /// The counters since the PMD started.
            pub fn totals(&self) -> PmdCounters {
                PmdCounters {
                    $($name: self.$name.load(Ordering::Relaxed),)*
                }
            }
        }

        impl PmdCounters {
            fn minus(&self, b: &PmdCounters) -> PmdCounters {
                PmdCounters {
                    $($name: self.$name.wrapping_sub(b.$name),)*
                }
            }
        }
    };
}

pmd_counters! {
    /// Packets received from rx queues.
    rx_packets,
    /// Packets handed to tx queues (sent or dropped by the device).
    tx_packets,
    /// Output batches flushed to tx queues.
    tx_batches,
    /// Packets the device did not take (freed, counted).
    tx_dropped,
    /// Packets dropped because the pipeline gave no output for them.
    pipeline_drops,
    /// TSC cycles spent in iterations that received packets.
    busy_cycles,
    /// TSC cycles spent in iterations that received nothing.
    idle_cycles,
    /// Poll-loop iterations.
    iterations,
    /// Microseconds slept by load-based sleep (`pmd-maxsleep`).
    sleep_us,
    /// Packets whose megaflow depends on the input port alone, found
    /// without parsing the packet (Open vSwitch's "simple match").
    simple_match_hits,
    /// Packets whose megaflow the exact-match cache found.
    emc_hits,
    /// Packets whose megaflow the megaflow classifier found.
    megaflow_hits,
    /// Subtables probed for those megaflow hits.
    megaflow_subtable_lookups,
    /// Misses translated by the full pipeline and installed as megaflows.
    upcall_ok,
    /// Misses translated by the full pipeline but not installed (not
    /// cacheable, or the megaflow classifier was full).
    upcall_failed,
    /// Misses dropped because the PMD's upcall budget for the batch was
    /// spent.
    upcall_lost,
    /// Megaflows this PMD holds now (a gauge).
    megaflows,
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
    /// Average subtables probed per megaflow hit.
    pub fn avg_subtable_lookups(&self) -> f64 {
        ratio(self.megaflow_subtable_lookups, self.megaflow_hits)
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
