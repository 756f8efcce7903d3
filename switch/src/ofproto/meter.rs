//! Meters (OpenFlow 1.3+): kbps and pktps rates, burst sizes, drop and
//! DSCP-remark bands, enforced across all PMDs together.
//!
//! Each band keeps one lock-free bucket in the form of the generic cell
//! rate algorithm (GCRA): a single atomic "theoretical arrival time". A
//! packet of cost `c` (bits for kbps meters, one packet for pktps meters)
//! conforms when the band's TAT is at most `burst / rate` ahead of now,
//! and then pushes the TAT `c / rate` further; otherwise it exceeds the
//! band. Every PMD updates the same atomic with a compare-and-swap, so the
//! rate applies to the sum of all PMDs' traffic (DPDK's `rte_meter` counts
//! bytes only and is per-thread, so it cannot serve). Of the bands a packet
//! exceeds, the one with the highest rate applies.
//!
//! Meters live in an immutable map published through `arc-swap`, as groups
//! do; a modify keeps the meter's counters and resets its bands.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use openflow::group_meter_mod::MeterMod;
use openflow::meter::{MeterBand, OFPM_ALL, OFPM_MAX};
use openflow::multipart::{MeterBandStats, MeterConfig, MeterFeatures, MeterStats};
use openflow::ErrorKind;

use super::group::Counter;

/// `OFPMC_*` meter-mod commands.
pub mod command {
    /// New meter.
    pub const ADD: u16 = 0;
    /// Replace a meter's flags and bands.
    pub const MODIFY: u16 = 1;
    /// Remove a meter (or all with `OFPM_ALL`).
    pub const DELETE: u16 = 2;
}

/// `OFPMF_*` meter flags.
pub mod flags {
    /// Rates in kb/s.
    pub const KBPS: u16 = 1 << 0;
    /// Rates in packets/s.
    pub const PKTPS: u16 = 1 << 1;
    /// Burst sizes are given.
    pub const BURST: u16 = 1 << 2;
    /// Collect statistics.
    pub const STATS: u16 = 1 << 3;
}

/// Most meters a bridge holds.
pub const MAX_METERS: u32 = 65536;
/// Most bands per meter.
pub const MAX_BANDS: usize = 8;

/// What a meter does with one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Under every band's rate.
    Pass,
    /// A drop band applies.
    Drop,
    /// A DSCP-remark band applies: raise the drop precedence by this much.
    Remark(u8),
}

/// One band: its configuration and its bucket.
#[derive(Debug)]
pub struct Band {
    /// The band as configured.
    pub band: MeterBand,
    /// Nanoseconds one unit (bit or packet) advances the bucket, ×1024.
    step: u64,
    /// How far ahead of now the bucket may run: the burst, in ns.
    tolerance_ns: u64,
    /// Theoretical arrival time, in ns since the meter's epoch.
    tat: AtomicU64,
    /// Packets and bytes that exceeded the band (and got its treatment).
    pub counter: Counter,
}

impl Band {
    fn new(band: MeterBand, meter_flags: u16) -> Band {
        let (rate, burst) = match &band {
            MeterBand::Drop { rate, burst_size }
            | MeterBand::DscpRemark {
                rate, burst_size, ..
            }
            | MeterBand::Experimenter {
                rate, burst_size, ..
            } => (u64::from(*rate).max(1), u64::from(*burst_size)),
        };
        // Units per second: bits for kbps (rate in kb/s), packets for pktps.
        let units_per_sec = if meter_flags & flags::PKTPS != 0 {
            rate
        } else {
            rate * 1000
        };
        // Without OFPMF_BURST, a burst of one second's worth would let a
        // short test pass anything: use 100 ms, at least one packet.
        let burst_units = if meter_flags & flags::BURST != 0 && burst > 0 {
            if meter_flags & flags::PKTPS != 0 {
                burst
            } else {
                burst * 1000
            }
        } else {
            (units_per_sec / 10).max(if meter_flags & flags::PKTPS != 0 {
                1
            } else {
                1500 * 8
            })
        };
        let step = (1_000_000_000u64 << 10) / units_per_sec;
        Band {
            band,
            step: step.max(1),
            tolerance_ns: burst_units.saturating_mul(step) >> 10,
            tat: AtomicU64::new(0),
            counter: Counter::default(),
        }
    }

    fn rate(&self) -> u32 {
        match &self.band {
            MeterBand::Drop { rate, .. }
            | MeterBand::DscpRemark { rate, .. }
            | MeterBand::Experimenter { rate, .. } => *rate,
        }
    }

    /// Charges `units` at `now_ns`; false when the packet exceeds the band
    /// (the bucket is then left as it was).
    fn conform(&self, units: u64, now_ns: u64) -> bool {
        let cost = units.saturating_mul(self.step) >> 10;
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            let start = tat.max(now_ns);
            if start - now_ns > self.tolerance_ns {
                return false;
            }
            match self.tat.compare_exchange_weak(
                tat,
                start + cost,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(current) => tat = current,
            }
        }
    }
}

/// One meter.
#[derive(Debug)]
pub struct Meter {
    /// Meter id.
    pub id: u32,
    /// `OFPMF_*` flags.
    pub flags: u16,
    /// Bands.
    pub bands: Vec<Band>,
    /// When it was added.
    pub created: Instant,
    /// Packets and bytes that entered the meter.
    pub counter: Arc<Counter>,
}

impl Meter {
    /// Meters a packet of `len` bytes at `now_ns` (ns since `epoch`).
    pub fn apply(&self, len: u64, now_ns: u64) -> Verdict {
        self.counter.hit(len);
        let units = if self.flags & flags::PKTPS != 0 {
            1
        } else {
            len * 8
        };
        let mut applied: Option<&Band> = None;
        for b in &self.bands {
            if !b.conform(units, now_ns) && applied.is_none_or(|a| b.rate() > a.rate()) {
                applied = Some(b);
            }
        }
        match applied {
            None => Verdict::Pass,
            Some(b) => {
                b.counter.hit(len);
                match &b.band {
                    MeterBand::DscpRemark { prec_level, .. } => Verdict::Remark(*prec_level),
                    _ => Verdict::Drop,
                }
            }
        }
    }
}

/// A bridge's meters.
pub struct Meters {
    map: ArcSwap<BTreeMap<u32, Arc<Meter>>>,
}

impl Default for Meters {
    fn default() -> Self {
        Meters {
            map: ArcSwap::from_pointee(BTreeMap::new()),
        }
    }
}

impl Meters {
    /// The meter `id`.
    pub fn get(&self, id: u32) -> Option<Arc<Meter>> {
        self.map.load().get(&id).cloned()
    }

    /// The current meters, for a rollback.
    pub fn snapshot(&self) -> Arc<BTreeMap<u32, Arc<Meter>>> {
        self.map.load_full()
    }

    /// Puts back meters taken with [`Meters::snapshot`].
    pub fn restore(&self, snapshot: Arc<BTreeMap<u32, Arc<Meter>>>) {
        self.map.store(snapshot);
    }

    /// Whether meter `id` exists.
    pub fn contains(&self, id: u32) -> bool {
        self.map.load().contains_key(&id)
    }

    /// Applies a meter-mod; returns the ids it deleted (their flows go
    /// too). On error nothing changed.
    pub fn meter_mod(&self, mm: &MeterMod) -> Result<Vec<u32>, ErrorKind> {
        let mut next: BTreeMap<u32, Arc<Meter>> = (**self.map.load()).clone();
        let deleted = match mm.command {
            command::ADD | command::MODIFY => {
                if mm.meter_id == 0 || mm.meter_id > OFPM_MAX {
                    return Err(ErrorKind::InvalidMeter);
                }
                let old = next.get(&mm.meter_id).cloned();
                match (mm.command, &old) {
                    (command::ADD, Some(_)) => return Err(ErrorKind::MeterExists),
                    (command::MODIFY, None) => return Err(ErrorKind::UnknownMeter),
                    _ => {}
                }
                let known = flags::KBPS | flags::PKTPS | flags::BURST | flags::STATS;
                let units = mm.flags & (flags::KBPS | flags::PKTPS);
                if mm.flags & !known != 0 || units == (flags::KBPS | flags::PKTPS) {
                    return Err(ErrorKind::BadMeterFlags);
                }
                if old.is_none() && next.len() as u32 >= MAX_METERS {
                    return Err(ErrorKind::InvalidMeter);
                }
                if mm.bands.len() > MAX_BANDS {
                    return Err(ErrorKind::OutOfBands);
                }
                for b in &mm.bands {
                    match b {
                        MeterBand::Experimenter { .. } => return Err(ErrorKind::BadMeterBand),
                        MeterBand::Drop { rate: 0, .. } | MeterBand::DscpRemark { rate: 0, .. } => {
                            return Err(ErrorKind::BadMeterRate)
                        }
                        _ => {}
                    }
                }
                // Without KBPS or PKTPS the rate is in kb/s (the default).
                let meter = Meter {
                    id: mm.meter_id,
                    flags: mm.flags,
                    bands: mm
                        .bands
                        .iter()
                        .map(|b| Band::new(b.clone(), mm.flags))
                        .collect(),
                    created: old.as_ref().map_or_else(Instant::now, |o| o.created),
                    counter: old
                        .as_ref()
                        .map_or_else(Default::default, |o| Arc::clone(&o.counter)),
                };
                next.insert(mm.meter_id, Arc::new(meter));
                Vec::new()
            }
            command::DELETE => {
                let gone: Vec<u32> = if mm.meter_id == OFPM_ALL {
                    next.keys().copied().collect()
                } else if next.contains_key(&mm.meter_id) {
                    vec![mm.meter_id]
                } else {
                    Vec::new()
                };
                for id in &gone {
                    next.remove(id);
                }
                gone
            }
            _ => return Err(ErrorKind::BadMeterModCommand),
        };
        self.map.store(Arc::new(next));
        Ok(deleted)
    }

    /// `OFPMP_METER` entries (`OFPM_ALL` or one meter).
    pub fn stats(&self, meter_id: u32, flow_count: impl Fn(u32) -> u32) -> Vec<MeterStats> {
        self.map
            .load()
            .values()
            .filter(|m| meter_id == OFPM_ALL || m.id == meter_id)
            .map(|m| {
                let age = m.created.elapsed();
                MeterStats {
                    meter_id: m.id,
                    flow_count: flow_count(m.id),
                    packet_in_count: m.counter.packets.load(Ordering::Relaxed),
                    byte_in_count: m.counter.bytes.load(Ordering::Relaxed),
                    duration_sec: u32::try_from(age.as_secs()).unwrap_or(u32::MAX),
                    duration_nsec: age.subsec_nanos(),
                    band_stats: m
                        .bands
                        .iter()
                        .map(|b| MeterBandStats {
                            packet_band_count: b.counter.packets.load(Ordering::Relaxed),
                            byte_band_count: b.counter.bytes.load(Ordering::Relaxed),
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// `OFPMP_METER_CONFIG` entries.
    pub fn config(&self, meter_id: u32) -> Vec<MeterConfig> {
        self.map
            .load()
            .values()
            .filter(|m| meter_id == OFPM_ALL || m.id == meter_id)
            .map(|m| MeterConfig {
                flags: m.flags,
                meter_id: m.id,
                bands: m.bands.iter().map(|b| b.band.clone()).collect(),
            })
            .collect()
    }

    /// `OFPMP_METER_FEATURES`.
    pub fn features() -> MeterFeatures {
        MeterFeatures {
            max_meter: MAX_METERS,
            // OFPMBT_DROP (1) and OFPMBT_DSCP_REMARK (2), as bit positions.
            band_types: (1 << 1) | (1 << 2),
            capabilities: u32::from(flags::KBPS | flags::PKTPS | flags::BURST | flags::STATS),
            max_bands: MAX_BANDS as u8,
            max_color: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mm(command: u16, flags: u16, meter_id: u32, bands: Vec<MeterBand>) -> MeterMod {
        MeterMod {
            command,
            flags,
            meter_id,
            bands,
        }
    }

    fn drop_band(rate: u32, burst_size: u32) -> MeterBand {
        MeterBand::Drop { rate, burst_size }
    }

    /// Offers `pps` packets/s of `len` bytes for `secs` seconds (virtual
    /// time) and returns the packets that passed per second.
    fn passed_rate(m: &Meter, pps: u64, len: u64, secs: u64) -> f64 {
        let gap = 1_000_000_000 / pps;
        let n = pps * secs;
        let passed = (0..n)
            .filter(|i| m.apply(len, 5_000_000_000 + i * gap) == Verdict::Pass)
            .count();
        passed as f64 / secs as f64
    }

    #[test]
    fn pktps_and_kbps_rates_within_ten_percent() {
        let meters = Meters::default();
        // 100 pps offered 1000 pps.
        meters
            .meter_mod(&mm(command::ADD, flags::PKTPS, 1, vec![drop_band(100, 0)]))
            .unwrap();
        let r = passed_rate(&meters.get(1).unwrap(), 1000, 64, 10);
        assert!((90.0..=110.0).contains(&r), "100 pps meter passed {r}/s");
        // 10 Mb/s offered 20 Mb/s of 1000-byte packets (2500 pps).
        meters
            .meter_mod(&mm(
                command::ADD,
                flags::KBPS,
                2,
                vec![drop_band(10_000, 0)],
            ))
            .unwrap();
        let r = passed_rate(&meters.get(2).unwrap(), 2500, 1000, 10) * 8000.0;
        assert!(
            (9.0e6..=11.0e6).contains(&r),
            "10 Mb/s meter passed {r} b/s"
        );
        // Under the rate everything passes.
        meters
            .meter_mod(&mm(command::ADD, flags::PKTPS, 3, vec![drop_band(1000, 0)]))
            .unwrap();
        let r = passed_rate(&meters.get(3).unwrap(), 500, 64, 4);
        assert_eq!(r, 500.0);
    }

    #[test]
    fn the_highest_exceeded_band_applies_and_counts() {
        let meters = Meters::default();
        meters
            .meter_mod(&mm(
                command::ADD,
                flags::PKTPS | flags::BURST | flags::STATS,
                1,
                vec![
                    MeterBand::DscpRemark {
                        rate: 100,
                        burst_size: 10,
                        prec_level: 1,
                    },
                    drop_band(200, 10),
                ],
            ))
            .unwrap();
        let m = meters.get(1).unwrap();
        let verdicts: Vec<Verdict> = (0..1000u64).map(|i| m.apply(64, i * 1_000_000)).collect();
        // 1000 pps: above both rates, so both bands see excess; the drop
        // band (200) has the higher rate and applies when it is exceeded.
        assert!(verdicts.contains(&Verdict::Drop));
        assert!(verdicts.contains(&Verdict::Remark(1)));
        assert!(verdicts.contains(&Verdict::Pass));
        let s = &meters.stats(1, |_| 0)[0];
        assert_eq!(s.packet_in_count, 1000);
        let banded: u64 = s.band_stats.iter().map(|b| b.packet_band_count).sum();
        let passed = verdicts.iter().filter(|v| **v == Verdict::Pass).count() as u64;
        assert_eq!(banded + passed, 1000);
    }

    #[test]
    fn meter_mod_errors_change_nothing() {
        let meters = Meters::default();
        meters
            .meter_mod(&mm(command::ADD, flags::KBPS, 1, vec![drop_band(10, 0)]))
            .unwrap();
        let e = |m: MeterMod| meters.meter_mod(&m).unwrap_err();
        assert_eq!(
            e(mm(command::ADD, flags::KBPS, 1, vec![])),
            ErrorKind::MeterExists
        );
        assert_eq!(
            e(mm(command::MODIFY, flags::KBPS, 2, vec![])),
            ErrorKind::UnknownMeter
        );
        assert_eq!(
            e(mm(command::ADD, flags::KBPS, 0, vec![])),
            ErrorKind::InvalidMeter
        );
        assert_eq!(
            e(mm(command::ADD, flags::KBPS | flags::PKTPS, 3, vec![])),
            ErrorKind::BadMeterFlags
        );
        assert_eq!(
            e(mm(command::ADD, flags::KBPS, 3, vec![drop_band(0, 0)])),
            ErrorKind::BadMeterRate
        );
        assert_eq!(
            e(mm(command::ADD, flags::KBPS, 3, vec![drop_band(1, 0); 9])),
            ErrorKind::OutOfBands
        );
        assert_eq!(meters.config(OFPM_ALL).len(), 1);
        assert_eq!(
            meters.meter_mod(&mm(command::DELETE, 0, OFPM_ALL, vec![])),
            Ok(vec![1])
        );
        assert!(meters.config(OFPM_ALL).is_empty());
    }

    #[test]
    fn pmds_share_one_rate() {
        let meters = Meters::default();
        meters
            .meter_mod(&mm(
                command::ADD,
                flags::PKTPS | flags::BURST,
                1,
                vec![drop_band(1000, 1)],
            ))
            .unwrap();
        let m = meters.get(1).unwrap();
        // Two threads offer 1000 pps each over the same virtual second.
        let passed: usize = std::thread::scope(|s| {
            let hs: Vec<_> = (0..2u64)
                .map(|t| {
                    let m = &m;
                    s.spawn(move || {
                        (0..1000u64)
                            .filter(|i| m.apply(64, i * 1_000_000 + t * 500_000) == Verdict::Pass)
                            .count()
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert!(
            (900..=1100).contains(&passed),
            "{passed} of 2000 passed a 1000 pps meter"
        );
    }
}
