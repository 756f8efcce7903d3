//! One subtable: every rule that has the same mask, hashed by masked key,
//! with one hash index per lookup stage.

use std::sync::Arc;

use seize::{Collector, Guard};

use super::hash::{finish, mix, BASIS};
use super::rcu_map::{CountSet, RcuMap};
use super::rule::{Mask, Rule, RuleRef};

/// The most stages a classifier may be configured with.
pub(super) const MAX_STAGES: usize = 8;

/// The rules of one bucket (every rule whose masked key has the same hash),
/// ordered best first: higher priority, then earlier insertion.
pub(super) enum Bucket<const N: usize, R> {
    /// The common case, kept in the map's own allocation.
    One(RuleRef<N, R>),
    /// Several rules (same key at several priorities, or a hash collision).
    Many(Box<[RuleRef<N, R>]>),
}

impl<const N: usize, R> Bucket<N, R> {
    fn new(mut rules: Vec<RuleRef<N, R>>) -> Self {
        if rules.len() == 1 {
            Bucket::One(rules.pop().expect("one rule"))
        } else {
            Bucket::Many(rules.into_boxed_slice())
        }
    }

    /// The rules, best first.
    pub(super) fn rules(&self) -> &[RuleRef<N, R>] {
        match self {
            Bucket::One(rule) => std::slice::from_ref(rule),
            Bucket::Many(rules) => rules,
        }
    }
}

/// A stage of a subtable's lookup: the key words it adds to the hash.
struct Stage {
    /// Indices of the words of this stage whose mask is not zero.
    words: Box<[usize]>,
    /// One past the last word index this stage covers (cumulatively, a miss
    /// here depends on every masked word before `end`).
    end: usize,
}

/// All rules with one mask. Lookups are lock-free ([`RcuMap`]s read under a
/// guard of the classifier's shared collector); changes come from the
/// classifier's single writer only.
pub(super) struct Subtable<const N: usize, R> {
    mask: Arc<Mask<N>>,
    id: u64,
    stages: Box<[Stage]>,
    /// For every stage but the last: hash of the masked words up to the
    /// stage's end -> number of distinct masked keys with that prefix.
    stage_index: Box<[CountSet]>,
    /// Hash of the whole masked key -> rules.
    buckets: RcuMap<Bucket<N, R>>,
    #[cfg(test)]
    collector: Arc<Collector>,
}

impl<const N: usize, R: Send + Sync + 'static> Subtable<N, R> {
    /// Creates an empty subtable. `stage_ends` are the configured word
    /// boundaries between stages (strictly increasing, each `< N`); stages in
    /// which this mask has no bit are merged into the next one.
    pub(super) fn new(
        mask: [u64; N],
        id: u64,
        stage_ends: &[usize],
        collector: &Arc<Collector>,
    ) -> Self {
        let mut stages = Vec::new();
        let mut start = 0;
        for &end in stage_ends.iter().chain(std::iter::once(&N)) {
            let words: Vec<usize> = (start..end).filter(|&i| mask[i] != 0).collect();
            if !words.is_empty() {
                stages.push(Stage {
                    words: words.into(),
                    end,
                });
            }
            start = end;
        }
        match stages.last_mut() {
            Some(last) => last.end = N,
            None => stages.push(Stage {
                words: Box::new([]),
                end: N,
            }),
        }
        let stage_index = (0..stages.len() - 1)
            .map(|_| CountSet::new(Arc::clone(collector)))
            .collect();
        Subtable {
            mask: Arc::new(Mask::new(mask)),
            id,
            stages: stages.into(),
            stage_index,
            buckets: RcuMap::new(Arc::clone(collector)),
            #[cfg(test)]
            collector: Arc::clone(collector),
        }
    }

    /// The subtable's mask.
    pub(super) fn mask(&self) -> &[u64; N] {
        self.mask.words()
    }

    /// The shared mask, for new rules.
    pub(super) fn mask_arc(&self) -> &Arc<Mask<N>> {
        &self.mask
    }

    /// Creation order of the subtable within its classifier.
    pub(super) fn id(&self) -> u64 {
        self.id
    }

    /// Number of stages (1 when the classifier has no stage boundaries).
    #[cfg(test)]
    pub(super) fn stage_count(&self) -> usize {
        self.stages.len()
    }

    /// True if the subtable holds no rule.
    pub(super) fn is_empty(&self) -> bool {
        self.buckets.len() == 0
    }

    /// Number of buckets (keys, but for hash collisions).
    pub(super) fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    /// `key & mask`.
    #[inline]
    pub(super) fn masked(&self, key: &[u64; N]) -> [u64; N] {
        std::array::from_fn(|i| key[i] & self.mask()[i])
    }

    /// Looks `key` up, stage by stage. On a miss in an early stage, ORs into
    /// `wc` the mask bits of the words up to that stage's end and returns
    /// `None`; otherwise ORs the whole mask and returns the bucket of the
    /// masked key (whose rules the caller still compares with the returned
    /// masked key, since a bucket gathers every key of one hash).
    #[inline]
    pub(super) fn lookup<'g>(
        &self,
        key: &[u64; N],
        guard: &'g impl Guard,
        wc: &mut [u64; N],
    ) -> Option<(&'g [RuleRef<N, R>], [u64; N])> {
        let masked = self.masked(key);
        let mut h = BASIS;
        let last = self.stages.len() - 1;
        for (s, stage) in self.stages.iter().enumerate() {
            for &i in stage.words.iter() {
                h = mix(h, masked[i]);
            }
            if s < last && !self.stage_index[s].contains(finish(h), guard) {
                for (w, m) in wc[..stage.end].iter_mut().zip(self.mask().iter()) {
                    *w |= m;
                }
                return None;
            }
        }
        for (w, m) in wc.iter_mut().zip(self.mask().iter()) {
            *w |= m;
        }
        self.buckets
            .get(finish(h), guard)
            .map(|bucket| (bucket.rules(), masked))
    }

    /// Hashes of an already masked key: one per stage but the last, into
    /// `stage_hashes`, and the whole key's (returned).
    fn hashes(&self, masked: &[u64; N], stage_hashes: &mut [u64; MAX_STAGES]) -> u64 {
        let mut h = BASIS;
        for (s, stage) in self.stages.iter().enumerate() {
            for &i in stage.words.iter() {
                h = mix(h, masked[i]);
            }
            stage_hashes[s] = finish(h);
        }
        finish(h)
    }

    /// The hash of `rule`'s key in the subtable's map.
    pub(super) fn rule_hash(&self, rule: &RuleRef<N, R>) -> u64 {
        self.hashes(&rule.key(), &mut [0; MAX_STAGES])
    }

    /// Requests, for a batch of removals, what [`Subtable::remove`] reads
    /// for the rule of hash `h`, one step per call a few rules apart, each
    /// step reading what the one before requested: step 0 the map's slot,
    /// 1 the bucket, 2 the bucket's rules (keys and counts).
    pub(super) fn prefetch_removal(&self, h: u64, step: usize, guard: &impl Guard) {
        match step {
            0 => self.buckets.prefetch_slot(h, guard),
            1 => {
                if let Some(b) = self.buckets.get(h, guard) {
                    crate::dpif::prefetch(b);
                }
            }
            _ => {
                for r in self.buckets.get(h, guard).map_or(&[][..], |b| b.rules()) {
                    crate::dpif::prefetch::<Rule<N, R>>(r);
                }
            }
        }
    }

    /// The bucket that would hold rules with this (already masked) key.
    pub(super) fn bucket<'g>(
        &self,
        masked: &[u64; N],
        guard: &'g impl Guard,
    ) -> Option<&'g [RuleRef<N, R>]> {
        let mut stage_hashes = [0; MAX_STAGES];
        let h = self.hashes(masked, &mut stage_hashes);
        self.buckets.get(h, guard).map(|b| b.rules())
    }

    /// Calls `f` on every bucket.
    pub(super) fn for_each_bucket<'g>(
        &self,
        guard: &'g impl Guard,
        mut f: impl FnMut(&'g [RuleRef<N, R>]),
    ) {
        self.buckets.for_each(guard, |bucket| f(bucket.rules()));
    }

    /// Calls `f` on every bucket without reading it (its address comes from
    /// the map's slots), for a walk that prefetches buckets before use.
    pub(super) fn for_each_bucket_unread<'g>(
        &self,
        guard: &'g impl Guard,
        f: impl FnMut(&'g Bucket<N, R>),
    ) {
        self.buckets.for_each(guard, f);
    }

    /// Adds a rule (writer only). Stage indices count a masked key when its
    /// first rule arrives, before the bucket is published.
    ///
    /// # Safety
    ///
    /// No other writer method of this subtable may run at the same time.
    pub(super) unsafe fn insert(&self, rule: RuleRef<N, R>, guard: &impl Guard) {
        let mut stage_hashes = [0; MAX_STAGES];
        let h = self.hashes(&rule.key(), &mut stage_hashes);
        let old: &[RuleRef<N, R>] = self.buckets.get(h, guard).map_or(&[], |b| b.rules());
        if !old.iter().any(|r| r.same_key(&rule)) {
            for (s, index) in self.stage_index.iter().enumerate() {
                // SAFETY: this writer method runs alone (our caller's
                // contract), so do the maps' writer methods.
                unsafe { index.increment(stage_hashes[s], guard) };
            }
        }
        let bucket = if old.is_empty() {
            Bucket::One(rule)
        } else {
            let pos = old.iter().position(|r| rule.beats(r)).unwrap_or(old.len());
            let mut rules = Vec::with_capacity(old.len() + 1);
            rules.extend_from_slice(&old[..pos]);
            rules.push(rule);
            rules.extend_from_slice(&old[pos..]);
            Bucket::new(rules)
        };
        // SAFETY: as above.
        unsafe { self.buckets.insert(h, bucket, guard) };
    }

    /// Drops a rule (writer only). Returns false if it was not here. Stage
    /// indices forget a masked key after its last rule's bucket is gone.
    ///
    /// # Safety
    ///
    /// No other writer method of this subtable may run at the same time.
    pub(super) unsafe fn remove(&self, rule: &RuleRef<N, R>, guard: &impl Guard) -> bool {
        let mut stage_hashes = [0; MAX_STAGES];
        let h = self.hashes(&rule.key(), &mut stage_hashes);
        let Some(old) = self.buckets.get(h, guard).map(|b| b.rules()) else {
            return false;
        };
        let Some(pos) = old.iter().position(|r| RuleRef::ptr_eq(r, rule)) else {
            return false;
        };
        let last_of_key = !old
            .iter()
            .enumerate()
            .any(|(i, r)| i != pos && r.same_key(rule));
        if old.len() == 1 {
            // SAFETY: this writer method runs alone (our caller's
            // contract), so do the maps' writer methods.
            unsafe { self.buckets.remove(h, guard) };
        } else {
            let bucket: Vec<_> = old
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != pos)
                .map(|(_, r)| r.clone())
                .collect();
            // SAFETY: as above.
            unsafe { self.buckets.insert(h, Bucket::new(bucket), guard) };
        }
        if last_of_key {
            for (s, index) in self.stage_index.iter().enumerate() {
                // SAFETY: as above.
                unsafe { index.decrement(stage_hashes[s], guard) };
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subtable(mask: [u64; 4], ends: &[usize]) -> Subtable<4, u32> {
        Subtable::new(mask, 0, ends, &Arc::new(Collector::new()))
    }

    fn guard(st: &Subtable<4, u32>) -> seize::LocalGuard<'_> {
        st.collector.enter()
    }

    fn rule(st: &Subtable<4, u32>, key: [u64; 4], priority: u32, seq: u64) -> RuleRef<4, u32> {
        RuleRef::new(
            st.masked(&key),
            st.mask_arc().clone(),
            priority,
            seq,
            0,
            seq as u32,
        )
    }

    #[test]
    fn empty_stages_are_merged() {
        assert_eq!(subtable([1, 0, 0, 1], &[1, 2, 3]).stage_count(), 2);
        assert_eq!(subtable([0, 0, 0, 0], &[1, 2, 3]).stage_count(), 1);
        assert_eq!(subtable([1, 1, 1, 1], &[1, 2, 3]).stage_count(), 4);
        assert_eq!(subtable([1, 1, 1, 1], &[]).stage_count(), 1);
    }

    #[test]
    fn early_stage_miss_unwildcards_only_that_prefix() {
        let st = subtable([0xff, 0xff, 0xff, 0xff], &[1, 2, 3]);
        let guard = guard(&st);
        // SAFETY: single-threaded test: the only writer.
        unsafe { st.insert(rule(&st, [1, 2, 3, 4], 10, 0), &guard) };
        let mut wc = [0; 4];
        assert!(st.lookup(&[9, 2, 3, 4], &guard, &mut wc).is_none());
        assert_eq!(wc, [0xff, 0, 0, 0]);
        let mut wc = [0; 4];
        assert!(st.lookup(&[1, 2, 9, 4], &guard, &mut wc).is_none());
        assert_eq!(wc, [0xff, 0xff, 0xff, 0]);
        let mut wc = [0; 4];
        let (bucket, masked) = st.lookup(&[1, 2, 3, 4], &guard, &mut wc).unwrap();
        assert_eq!(wc, [0xff; 4]);
        assert_eq!(bucket.len(), 1);
        assert_eq!(bucket[0].key(), masked);
    }

    #[test]
    fn buckets_stay_sorted_and_stage_counts_follow_keys() {
        let st = subtable([0xff, 0xff, 0, 0], &[1]);
        let guard = guard(&st);
        let a = rule(&st, [1, 1, 0, 0], 5, 0);
        let b = rule(&st, [1, 1, 0, 0], 7, 1);
        let c = rule(&st, [1, 2, 0, 0], 5, 2);
        for r in [&a, &b, &c] {
            // SAFETY: single-threaded test: the only writer.
            unsafe { st.insert(r.clone(), &guard) };
        }
        let bucket = st.bucket(&[1, 1, 0, 0], &guard).unwrap();
        let prios: Vec<u32> = bucket.iter().map(|r| r.priority()).collect();
        assert_eq!(prios, [7, 5]);
        // Two distinct keys share the stage-0 prefix [1].
        let mut sh = [0; MAX_STAGES];
        st.hashes(&[1, 1, 0, 0], &mut sh);
        assert_eq!(st.stage_index[0].count(sh[0], &guard), 2);
        // SAFETY: single-threaded test: the only writer.
        assert!(unsafe { st.remove(&b, &guard) });
        // SAFETY: single-threaded test: the only writer.
        assert!(!unsafe { st.remove(&b, &guard) });
        assert_eq!(st.stage_index[0].count(sh[0], &guard), 2);
        // SAFETY: single-threaded test: the only writer.
        assert!(unsafe { st.remove(&a, &guard) });
        assert_eq!(st.stage_index[0].count(sh[0], &guard), 1);
        // SAFETY: single-threaded test: the only writer.
        assert!(unsafe { st.remove(&c, &guard) });
        assert_eq!(st.stage_index[0].count(sh[0], &guard), 0);
        assert!(st.is_empty());
    }
}
