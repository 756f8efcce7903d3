//! Latency samples and their percentiles, as the `RESULT` lines of the
//! timed modes print them (whole microseconds, nearest-rank percentiles).

use std::fmt::Write as _;
use std::time::Duration;

/// Every latency sample of a run (a run samples at a bounded rate, so all
/// of them are kept and the percentiles are exact).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Latencies {
    samples: Vec<Duration>,
    sorted: bool,
}

impl Latencies {
    /// No samples.
    pub fn new() -> Latencies {
        Latencies::default()
    }

    /// Adds one sample.
    pub fn record(&mut self, d: Duration) {
        self.samples.push(d);
        self.sorted = false;
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: &Latencies) {
        self.samples.extend_from_slice(&other.samples);
        self.sorted = false;
    }

    /// Samples recorded.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether no sample was recorded.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    fn sort(&mut self) {
        if !self.sorted {
            self.samples.sort_unstable();
            self.sorted = true;
        }
    }

    /// The nearest-rank `p`-th percentile (`0 < p <= 100`): the smallest
    /// sample with at least `p` % of the samples at or below it; `None`
    /// without samples.
    pub fn percentile(&mut self, p: f64) -> Option<Duration> {
        if self.samples.is_empty() {
            return None;
        }
        self.sort();
        let n = self.samples.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        Some(self.samples[rank.clamp(1, n) - 1])
    }

    /// The largest sample.
    pub fn max(&self) -> Option<Duration> {
        self.samples.iter().max().copied()
    }

    /// ` <prefix>p50_us=.. <prefix>p90_us=.. <prefix>p99_us=..
    /// <prefix>max_us=..` for the percentiles in `which` (`max` as 100),
    /// each `none` without samples.
    pub fn fields(&mut self, prefix: &str, which: &[u8]) -> String {
        let mut s = String::new();
        for &p in which {
            let value = if p >= 100 {
                self.max()
            } else {
                self.percentile(f64::from(p))
            };
            let name = if p >= 100 {
                "max".to_owned()
            } else {
                format!("p{p}")
            };
            let _ = match value {
                Some(d) => write!(s, " {prefix}{name}_us={}", micros(d)),
                None => write!(s, " {prefix}{name}_us=none"),
            };
        }
        s
    }
}

/// Whole microseconds, rounded to the nearest.
pub fn micros(d: Duration) -> u64 {
    ((d.as_nanos() + 500) / 1000) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn nearest_rank_percentiles() {
        let mut l = Latencies::new();
        assert_eq!(l.percentile(50.0), None);
        assert_eq!(l.fields("", &[50, 100]), " p50_us=none max_us=none");
        // 1..=100 µs in a scrambled order.
        for i in (0..100u64).map(|i| (i * 37) % 100 + 1) {
            l.record(us(i));
        }
        assert_eq!(l.len(), 100);
        assert_eq!(l.percentile(50.0), Some(us(50)));
        assert_eq!(l.percentile(90.0), Some(us(90)));
        assert_eq!(l.percentile(99.0), Some(us(99)));
        assert_eq!(l.percentile(99.9), Some(us(100)));
        assert_eq!(l.max(), Some(us(100)));
        assert_eq!(
            l.fields("flow_", &[50, 99, 100]),
            " flow_p50_us=50 flow_p99_us=99 flow_max_us=100"
        );
        // One sample is every percentile.
        let mut one = Latencies::new();
        one.record(Duration::from_nanos(1_499));
        assert_eq!(one.fields("", &[50, 99]), " p50_us=1 p99_us=1");
        one.merge(&l);
        assert_eq!(one.len(), 101);
        assert_eq!(one.percentile(1.0), Some(Duration::from_nanos(1_499)));
        assert_eq!(micros(Duration::from_nanos(1_500)), 2);
    }
}
