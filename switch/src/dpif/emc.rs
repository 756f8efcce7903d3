//! The exact-match cache of one PMD (Open vSwitch's EMC).
//!
//! [`EMC_ENTRIES`] entries map a packet's whole flow key to the megaflow
//! that handles it, two candidate slots per key (from two parts of its
//! hash). A hit costs one hash and one key comparison instead of a walk of
//! the megaflow subtables. Entries are inserted with probability
//! `1 / emc-insert-inv-prob` (Open vSwitch's `other_config`, default 100;
//! 0 disables the cache, 1 inserts every flow), so that a flood of new
//! flows does not evict the established ones; the setting applies live.
//!
//! The cache holds [`MegaflowRef`]s: a megaflow removed or replaced since
//! makes its entries stale, and a lookup that finds a stale reference is a
//! miss.

use crate::dpif::dpcls::MegaflowRef;
use crate::flow::Flow;

/// Entries per PMD (Open vSwitch's `EM_FLOW_HASH_ENTRIES`).
pub const EMC_ENTRIES: usize = 8192;
/// `emc-insert-inv-prob` default.
pub const DEFAULT_INSERT_INV_PROB: u32 = 100;
/// Lookups over which the hit rate is judged.
pub const EMC_WINDOW: u32 = 4096;
/// While the hit rate is below one in this many lookups, the cache is
/// not worth its probe (a megaflow lookup costs little more than a
/// probe that misses): it is used on one batch in [`EMC_SAMPLE`] only,
/// which keeps it filling and measuring, until the rate recovers.
pub const EMC_MIN_HIT_RATE: u32 = 4;
/// See [`EMC_MIN_HIT_RATE`].
pub const EMC_SAMPLE: u32 = 16;

/// The hash first: a probe whose hash differs reads one cache line.
#[derive(Clone, Copy)]
#[repr(C)]
struct Entry {
    /// Hash of `key`; 0 marks an empty entry.
    hash: u32,
    key: Flow,
    megaflow: MegaflowRef,
}

const EMPTY: Entry = Entry {
    hash: 0,
    key: Flow::ZERO,
    megaflow: MegaflowRef { idx: 0, gen: 0 },
};

/// The exact-match cache of one PMD.
pub struct Emc {
    entries: Box<[Entry]>,
    inv_prob: u32,
    rng: u32,
    /// Whether the current batch uses the cache.
    active: bool,
    /// Batches begun (wrapping).
    batches: u32,
    /// Lookups and hits of the current window.
    lookups: u32,
    hits: u32,
    /// The last window's hit rate was below [`EMC_MIN_HIT_RATE`].
    sparse: bool,
}

impl Default for Emc {
    fn default() -> Self {
        Emc::new(DEFAULT_INSERT_INV_PROB)
    }
}

/// The EMC hash of a flow (never 0).
pub fn emc_hash(flow: &Flow) -> u32 {
    (flow.hash_exact() as u32).max(1)
}

impl Emc {
    /// An empty cache inserting with probability `1 / inv_prob`.
    pub fn new(inv_prob: u32) -> Self {
        Emc {
            entries: vec![EMPTY; EMC_ENTRIES].into_boxed_slice(),
            inv_prob,
            rng: 0x2545_f491,
            active: inv_prob != 0,
            batches: 0,
            lookups: 0,
            hits: 0,
            sparse: false,
        }
    }

    /// Starts a batch; returns whether the batch uses the cache (lookups
    /// and inserts of a batch that does not find and insert nothing).
    #[inline]
    pub fn begin_batch(&mut self) -> bool {
        self.batches = self.batches.wrapping_add(1);
        if self.lookups >= EMC_WINDOW {
            self.sparse = self.hits.saturating_mul(EMC_MIN_HIT_RATE) < self.lookups;
            (self.lookups, self.hits) = (0, 0);
        }
        self.active =
            self.inv_prob != 0 && (!self.sparse || self.batches.is_multiple_of(EMC_SAMPLE));
        self.active
    }

    /// Changes the insertion probability (`emc-insert-inv-prob`); 0 also
    /// empties the cache.
    pub fn set_insert_inv_prob(&mut self, inv_prob: u32) {
        if inv_prob == 0 {
            if self.inv_prob != 0 {
                self.clear();
            }
            self.active = false;
        } else if self.inv_prob == 0 {
            // Enabled again: in use from now on.
            self.active = true;
        }
        self.inv_prob = inv_prob;
    }

    /// The insertion setting.
    pub fn insert_inv_prob(&self) -> u32 {
        self.inv_prob
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.entries.fill(EMPTY);
    }

    fn slots(hash: u32) -> [usize; 2] {
        let mask = EMC_ENTRIES - 1;
        [hash as usize & mask, (hash >> 16) as usize & mask]
    }

    /// Prefetches the two slots a flow of hash `hash` may occupy (the
    /// first line of each: where a probe that misses stops).
    #[inline]
    pub fn prefetch(&self, hash: u32) {
        if !self.active {
            return;
        }
        for i in Self::slots(hash) {
            super::prefetch(&self.entries[i].hash);
        }
    }

    /// The megaflow cached for `flow` (whose [`emc_hash`] is `hash`).
    #[inline]
    pub fn lookup(&mut self, flow: &Flow, hash: u32) -> Option<MegaflowRef> {
        if !self.active {
            return None;
        }
        self.lookups = self.lookups.saturating_add(1);
        let found = Self::slots(hash).into_iter().find_map(|i| {
            let e = &self.entries[i];
            (e.hash == hash && e.key == *flow).then_some(e.megaflow)
        });
        self.hits += u32::from(found.is_some());
        found
    }

    /// Caches `megaflow` for `flow`, subject to the insertion probability;
    /// `alive` says whether the megaflow an occupied slot refers to still
    /// exists (a dead one is replaced first). Returns whether it inserted.
    pub fn insert(
        &mut self,
        flow: &Flow,
        hash: u32,
        megaflow: MegaflowRef,
        alive: impl Fn(MegaflowRef) -> bool,
    ) -> bool {
        if !self.active {
            return false;
        }
        match self.inv_prob {
            0 => return false,
            1 => {}
            n => {
                // xorshift32: cheap and good enough for sampling.
                self.rng ^= self.rng << 13;
                self.rng ^= self.rng >> 17;
                self.rng ^= self.rng << 5;
                if !self.rng.is_multiple_of(n) {
                    return false;
                }
            }
        }
        let [a, b] = Self::slots(hash);
        let pick = [a, b]
            .into_iter()
            .find(|&i| {
                let e = &self.entries[i];
                e.hash == 0 || (e.hash == hash && e.key == *flow) || !alive(e.megaflow)
            })
            // Both hold live flows: replace the one with the smaller hash,
            // an arbitrary but stable choice.
            .unwrap_or(if self.entries[a].hash <= self.entries[b].hash {
                a
            } else {
                b
            });
        self.entries[pick] = Entry {
            hash,
            key: *flow,
            megaflow,
        };
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Field;

    fn flow(port: u32) -> Flow {
        let mut f = Flow::ZERO;
        Field::InPort.set(&mut f, u128::from(port));
        Field::TcpDst.set(&mut f, 80);
        f
    }

    fn mf(idx: u32) -> MegaflowRef {
        MegaflowRef { idx, gen: 1 }
    }

    #[test]
    fn exact_keys_only_and_stale_entries_make_room() {
        let mut emc = Emc::new(1);
        let (f1, f2) = (flow(1), flow(2));
        let (h1, h2) = (emc_hash(&f1), emc_hash(&f2));
        assert!(emc.insert(&f1, h1, mf(1), |_| true));
        assert_eq!(emc.lookup(&f1, h1), Some(mf(1)));
        assert_eq!(emc.lookup(&f2, h2), None);
        // A key colliding on both slots: the dead entry is the one replaced.
        let mut f3 = flow(3);
        let h = h1;
        emc.insert(&f3, h, mf(3), |m| m != mf(1));
        assert_eq!(emc.lookup(&f3, h), Some(mf(3)));
        assert_eq!(emc.lookup(&f1, h1), None);
        // Same key again: updated in place.
        emc.insert(&f3, h, mf(4), |_| true);
        assert_eq!(emc.lookup(&f3, h), Some(mf(4)));
        Field::TcpDst.set(&mut f3, 81);
        assert_eq!(emc.lookup(&f3, h), None, "the whole key must match");
    }

    #[test]
    fn a_cache_that_rarely_hits_is_sampled_until_it_hits_again() {
        let mut emc = Emc::new(1);
        assert!(emc.begin_batch());
        for i in 0..EMC_WINDOW {
            let f = flow(i);
            assert_eq!(emc.lookup(&f, emc_hash(&f)), None);
        }
        let used: Vec<bool> = (0..EMC_SAMPLE * 4).map(|_| emc.begin_batch()).collect();
        assert_eq!(used.iter().filter(|u| **u).count(), 4, "{used:?}");
        let f = flow(7);
        assert_eq!(emc.lookup(&f, emc_hash(&f)), None, "unused between samples");
        assert!(!emc.insert(&f, emc_hash(&f), mf(7), |_| true));
        // Sampled batches keep filling it and measuring: once it hits, it
        // is used on every batch again.
        while !emc.begin_batch() {}
        assert!(emc.insert(&f, emc_hash(&f), mf(7), |_| true));
        let mut n = 0;
        while n < EMC_WINDOW {
            if emc.begin_batch() {
                assert_eq!(emc.lookup(&f, emc_hash(&f)), Some(mf(7)));
                n += 1;
            }
        }
        assert!((0..EMC_SAMPLE).all(|_| emc.begin_batch()));
    }

    #[test]
    fn insertion_probability_applies_live() {
        let mut emc = Emc::new(100);
        let inserted = (0..10_000u32)
            .filter(|&i| {
                let f = flow(i);
                emc.insert(&f, emc_hash(&f), mf(i), |_| true)
            })
            .count();
        assert!(
            (50..=200).contains(&inserted),
            "{inserted} of 10000 at 1/100"
        );
        emc.set_insert_inv_prob(0);
        let f = flow(1);
        assert!(!emc.insert(&f, emc_hash(&f), mf(1), |_| true));
        assert_eq!(emc.lookup(&f, emc_hash(&f)), None, "disabled and emptied");
        emc.set_insert_inv_prob(1);
        assert!(emc.insert(&f, emc_hash(&f), mf(1), |_| true));
        assert_eq!(emc.lookup(&f, emc_hash(&f)), Some(mf(1)));
    }
}
