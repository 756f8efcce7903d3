//! A hash map with one writer and lock-free readers, keyed by 64-bit hashes.
//!
//! The classifier's subtables need a map from a (well-mixed) hash to a
//! bucket, read by many threads while one writer changes it, and grown by
//! that writer to a million entries quickly. This one is deliberately
//! simple, because there is a single writer:
//!
//! - a table is an array of slots `{hash, word}`, open addressing with
//!   linear probing; hash 0 marks an empty slot (a hash that is really 0 is
//!   stored as 1, the callers compare full keys anyway);
//! - a slot never becomes empty again: removing stores a null word and keeps
//!   the hash (a tombstone), so probe chains that readers follow never
//!   break; the writer reuses tombstones and rebuilds the table into a new
//!   array when used slots pass 3/4 (twice as large if live entries need
//!   it), publishes the new array with one pointer store and retires the old
//!   one;
//! - the writer stores a slot's hash before its word (release), readers load
//!   the word before the hash (acquire), so a reader that sees a word also
//!   sees the hash it was stored with;
//! - replaced or removed values and old arrays are retired to a `seize`
//!   collector (shared by every map of a classifier) and freed once no
//!   reader guard that could have seen them is left.
//!
//! [`RcuMap`] stores boxed values; [`CountSet`] stores counts in the word
//! (readers only ask whether a hash is present).
//!
//! # Thread safety
//!
//! Reads ([`RcuMap::get`], [`RcuMap::for_each`], [`CountSet::contains`])
//! may run on any thread at any time under a guard of the map's collector.
//! The writer methods are `unsafe fn`s: at most one may run at a time on a
//! map (the classifier calls them under its writer mutex).

use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use seize::{reclaim, Collector, Guard};

/// One slot: a hash (0 = empty) and a word (null = vacant or tombstone).
struct Slot {
    hash: AtomicU64,
    word: AtomicPtr<()>,
}

/// A table of `mask + 1` slots (a power of two).
struct Table {
    mask: usize,
    slots: Box<[Slot]>,
}

impl Table {
    fn new(capacity: usize) -> Box<Table> {
        debug_assert!(capacity.is_power_of_two());
        Box::new(Table {
            mask: capacity - 1,
            slots: (0..capacity)
                .map(|_| Slot {
                    hash: AtomicU64::new(0),
                    word: AtomicPtr::new(ptr::null_mut()),
                })
                .collect(),
        })
    }
}

/// Smallest table.
const MIN_CAPACITY: usize = 16;

#[inline]
fn stored_hash(hash: u64) -> u64 {
    hash.max(1)
}

/// The untyped map: hash -> non-null word.
struct RawMap {
    table: AtomicPtr<Table>,
    /// Slots with a non-null word.
    live: AtomicUsize,
    /// Slots with a non-zero hash (live ones and tombstones).
    used: AtomicUsize,
    collector: Arc<Collector>,
}

impl RawMap {
    fn new(collector: Arc<Collector>) -> Self {
        RawMap {
            table: AtomicPtr::new(Box::into_raw(Table::new(MIN_CAPACITY))),
            live: AtomicUsize::new(0),
            used: AtomicUsize::new(0),
            collector,
        }
    }

    /// The current table, protected by `guard`.
    #[inline]
    fn table<'g>(&self, guard: &'g impl Guard) -> &'g Table {
        debug_assert!(*guard.collector() == *self.collector);
        // SAFETY: the table pointer is never null; a table is retired to
        // this map's collector only after a newer one is stored, so one
        // loaded through a guard of that collector stays allocated while
        // the guard lives.
        unsafe { &*guard.protect(&self.table, Ordering::Acquire) }
    }

    /// The word stored for `hash`, or null. Lock-free.
    #[inline]
    fn get(&self, hash: u64, guard: &impl Guard) -> *mut () {
        let hash = stored_hash(hash);
        let table = self.table(guard);
        let mut i = hash as usize & table.mask;
        loop {
            let slot = &table.slots[i];
            let word = guard.protect(&slot.word, Ordering::Acquire);
            let h = slot.hash.load(Ordering::Acquire);
            if h == hash && !word.is_null() {
                return word;
            }
            if h == 0 {
                return ptr::null_mut();
            }
            i = (i + 1) & table.mask;
        }
    }

    /// Requests the slot where a lookup of `hash` starts (nothing read).
    #[inline]
    fn prefetch_slot(&self, hash: u64, guard: &impl Guard) {
        let table = self.table(guard);
        crate::dpif::prefetch(&table.slots[stored_hash(hash) as usize & table.mask]);
    }

    /// Writer: the slot index holding `hash`, if live.
    fn find(&self, table: &Table, hash: u64) -> Option<usize> {
        let mut i = hash as usize & table.mask;
        loop {
            let slot = &table.slots[i];
            let h = slot.hash.load(Ordering::Relaxed);
            if h == hash && !slot.word.load(Ordering::Relaxed).is_null() {
                return Some(i);
            }
            if h == 0 {
                return None;
            }
            i = (i + 1) & table.mask;
        }
    }

    /// Writer: stores `word` (non-null) for `hash`; returns the word it
    /// replaced (null if none).
    ///
    /// # Safety
    ///
    /// No other writer method of this map may run at the same time (the
    /// classifier calls them under its writer mutex).
    unsafe fn insert(&self, hash: u64, word: *mut (), guard: &impl Guard) -> *mut () {
        debug_assert!(!word.is_null());
        let hash = stored_hash(hash);
        let table = self.table(guard);
        if let Some(i) = self.find(table, hash) {
            return table.slots[i].word.swap(word, Ordering::AcqRel);
        }
        let used = self.used.load(Ordering::Relaxed);
        let table = if (used + 1) * 4 > table.slots.len() * 3 {
            // SAFETY: this writer method runs alone (our caller's contract).
            unsafe { self.rebuild(table, guard) }
        } else {
            table
        };
        let mut i = hash as usize & table.mask;
        loop {
            let slot = &table.slots[i];
            let h = slot.hash.load(Ordering::Relaxed);
            if h == 0 || slot.word.load(Ordering::Relaxed).is_null() {
                if h == 0 {
                    self.used.fetch_add(1, Ordering::Relaxed);
                }
                slot.hash.store(hash, Ordering::Release);
                slot.word.store(word, Ordering::Release);
                self.live.fetch_add(1, Ordering::Relaxed);
                return ptr::null_mut();
            }
            i = (i + 1) & table.mask;
        }
    }

    /// Writer: removes `hash`; returns its word (null if absent).
    ///
    /// # Safety
    ///
    /// No other writer method of this map may run at the same time (the
    /// classifier calls them under its writer mutex).
    unsafe fn remove(&self, hash: u64, guard: &impl Guard) -> *mut () {
        let hash = stored_hash(hash);
        let table = self.table(guard);
        match self.find(table, hash) {
            Some(i) => {
                self.live.fetch_sub(1, Ordering::Relaxed);
                table.slots[i].word.swap(ptr::null_mut(), Ordering::AcqRel)
            }
            None => ptr::null_mut(),
        }
    }

    /// Writer: moves every live entry into a fresh table sized for them,
    /// publishes it and retires `old`. Returns the new table.
    ///
    /// # Safety
    ///
    /// No other writer method of this map may run at the same time (the
    /// classifier calls them under its writer mutex).
    unsafe fn rebuild<'t>(&self, old: &'t Table, guard: &impl Guard) -> &'t Table {
        let live = self.live.load(Ordering::Relaxed);
        let capacity = ((live + 1) * 2).next_power_of_two().max(MIN_CAPACITY);
        let new = Table::new(capacity);
        for slot in old.slots.iter() {
            let word = slot.word.load(Ordering::Relaxed);
            if word.is_null() {
                continue;
            }
            let hash = slot.hash.load(Ordering::Relaxed);
            let mut i = hash as usize & new.mask;
            while new.slots[i].hash.load(Ordering::Relaxed) != 0 {
                i = (i + 1) & new.mask;
            }
            new.slots[i].hash.store(hash, Ordering::Relaxed);
            new.slots[i].word.store(word, Ordering::Relaxed);
        }
        self.used.store(live, Ordering::Relaxed);
        let new = Box::into_raw(new);
        let old_ptr = self.table.swap(new, Ordering::AcqRel);
        debug_assert!(ptr::eq(old_ptr, old));
        // SAFETY: `old_ptr` came from `Box::into_raw` and is no longer
        // reachable from the map: readers that loaded it hold guards of
        // this collector, which delay the reclamation past their use.
        unsafe { self.collector.retire(old_ptr, reclaim::boxed) };
        // The old array can be large: start its reclamation now rather
        // than when the batch fills.
        guard.flush();
        // SAFETY: `new` was just allocated and stays allocated until it is
        // retired by a later rebuild of this (single) writer or dropped
        // with the map; the returned borrow is used by the writer
        // immediately.
        unsafe { &*new }
    }

    /// Calls `f` on every live word of the current table. Lock-free.
    fn for_each(&self, guard: &impl Guard, mut f: impl FnMut(*mut ())) {
        for slot in self.table(guard).slots.iter() {
            let word = guard.protect(&slot.word, Ordering::Acquire);
            if !word.is_null() {
                f(word);
            }
        }
    }

    /// Writer: the live words, for dropping them (needs `&mut`, so no
    /// reader is left).
    fn drain(&mut self) -> impl Iterator<Item = *mut ()> + '_ {
        let table = *self.table.get_mut();
        // SAFETY: `&mut self` proves no reader holds the map; the table
        // pointer is valid until `Drop` frees it.
        let table = unsafe { &*table };
        table
            .slots
            .iter()
            .map(|s| s.word.load(Ordering::Relaxed))
            .filter(|w| !w.is_null())
    }

    fn len(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }
}

impl Drop for RawMap {
    fn drop(&mut self) {
        // SAFETY: the current table came from `Box::into_raw` and, with
        // `&mut self`, no reader can still use it (old tables belong to
        // the collector).
        drop(unsafe { Box::from_raw(*self.table.get_mut()) });
    }
}

/// Hash -> boxed `V`. See the module documentation. `V: 'static` because
/// retired values may be dropped by the collector after the map is gone.
pub(super) struct RcuMap<V> {
    raw: RawMap,
    _values: PhantomData<Box<V>>,
}

// SAFETY: the map owns its `V`s (like `Box<V>`) and hands out `&V` to
// several threads, hence `V: Send + Sync` for both.
unsafe impl<V: Send + Sync> Send for RcuMap<V> {}
// SAFETY: as above.
unsafe impl<V: Send + Sync> Sync for RcuMap<V> {}

impl<V: Send + Sync + 'static> RcuMap<V> {
    /// An empty map whose retired values go to `collector`.
    pub(super) fn new(collector: Arc<Collector>) -> Self {
        RcuMap {
            raw: RawMap::new(collector),
            _values: PhantomData,
        }
    }

    /// The value for `hash`. Lock-free.
    #[inline]
    pub(super) fn get<'g>(&self, hash: u64, guard: &'g impl Guard) -> Option<&'g V> {
        let word = self.raw.get(hash, guard).cast::<V>();
        // SAFETY: non-null words are `Box<V>` pointers of this map; a
        // replaced or removed one is retired to the collector, so it stays
        // valid while `guard` lives.
        unsafe { word.as_ref() }
    }

    /// Writer only: stores `value` for `hash`, retiring the value it
    /// replaces.
    ///
    /// # Safety
    ///
    /// No other writer method of this map may run at the same time (the
    /// classifier calls them under its writer mutex).
    pub(super) unsafe fn insert(&self, hash: u64, value: V, guard: &impl Guard) {
        let word = Box::into_raw(Box::new(value)).cast::<()>();
        // SAFETY: this writer method runs alone (our caller's contract).
        let old = unsafe { self.raw.insert(hash, word, guard) }.cast::<V>();
        if !old.is_null() {
            // SAFETY: `old` is a `Box<V>` of this map, now unreachable
            // from it; readers that loaded it hold guards.
            unsafe { self.raw.collector.retire(old, reclaim::boxed) };
        }
    }

    /// Writer only: removes `hash`, retiring its value. Returns whether it
    /// was present.
    ///
    /// # Safety
    ///
    /// No other writer method of this map may run at the same time (the
    /// classifier calls them under its writer mutex).
    pub(super) unsafe fn remove(&self, hash: u64, guard: &impl Guard) -> bool {
        // SAFETY: this writer method runs alone (our caller's contract).
        let old = unsafe { self.raw.remove(hash, guard) }.cast::<V>();
        if old.is_null() {
            return false;
        }
        // SAFETY: as in `insert`.
        unsafe { self.raw.collector.retire(old, reclaim::boxed) };
        true
    }

    /// Calls `f` on every value. Lock-free; a concurrent writer's changes
    /// may or may not be seen.
    pub(super) fn for_each<'g>(&self, guard: &'g impl Guard, mut f: impl FnMut(&'g V)) {
        self.raw.for_each(guard, |word| {
            // SAFETY: as in `get`: valid while `guard` lives.
            f(unsafe { &*word.cast::<V>() })
        });
    }

    /// Number of values.
    pub(super) fn len(&self) -> usize {
        self.raw.len()
    }

    /// Requests the slot a lookup of `hash` reads first, for a batch of
    /// lookups whose cache misses overlap.
    #[inline]
    pub(super) fn prefetch_slot(&self, hash: u64, guard: &impl Guard) {
        self.raw.prefetch_slot(hash, guard);
    }
}

impl<V> Drop for RcuMap<V> {
    fn drop(&mut self) {
        for word in self.raw.drain() {
            // SAFETY: live words are `Box<V>` pointers owned by the map,
            // and `&mut self` proves no reader is left.
            drop(unsafe { Box::from_raw(word.cast::<V>()) });
        }
    }
}

/// A set of hashes with a count each (the stage indices of a subtable):
/// readers ask for presence, the writer counts up and down.
pub(super) struct CountSet {
    raw: RawMap,
}

impl CountSet {
    /// An empty set whose old tables go to `collector`.
    pub(super) fn new(collector: Arc<Collector>) -> Self {
        CountSet {
            raw: RawMap::new(collector),
        }
    }

    /// True if `hash` has a non-zero count. Lock-free.
    #[inline]
    pub(super) fn contains(&self, hash: u64, guard: &impl Guard) -> bool {
        !self.raw.get(hash, guard).is_null()
    }

    /// The count of `hash` (writer's view).
    #[cfg(test)]
    pub(super) fn count(&self, hash: u64, guard: &impl Guard) -> usize {
        self.raw.get(hash, guard) as usize
    }

    /// Writer only: adds one to the count of `hash`.
    ///
    /// # Safety
    ///
    /// No other writer method of this map may run at the same time (the
    /// classifier calls them under its writer mutex).
    pub(super) unsafe fn increment(&self, hash: u64, guard: &impl Guard) {
        let count = self.raw.get(hash, guard) as usize;
        let word = ptr::without_provenance_mut(count + 1);
        // SAFETY: this writer method runs alone (our caller's contract).
        unsafe { self.raw.insert(hash, word, guard) };
    }

    /// Writer only: takes one from the count of `hash` (removing it at 0).
    ///
    /// # Safety
    ///
    /// No other writer method of this map may run at the same time (the
    /// classifier calls them under its writer mutex).
    pub(super) unsafe fn decrement(&self, hash: u64, guard: &impl Guard) {
        match self.raw.get(hash, guard) as usize {
            0 => {}
            1 => {
                // SAFETY: this writer method runs alone (our caller's
                // contract).
                unsafe { self.raw.remove(hash, guard) };
            }
            count => {
                let word = ptr::without_provenance_mut(count - 1);
                // SAFETY: as above.
                unsafe { self.raw.insert(hash, word, guard) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::atomic::AtomicBool;

    fn collector() -> Arc<Collector> {
        Arc::new(Collector::new())
    }

    #[test]
    fn map_matches_std_hashmap_through_growth_and_tombstones() {
        let c = collector();
        let map: RcuMap<u64> = RcuMap::new(Arc::clone(&c));
        let mut model = HashMap::new();
        let mut x = 0x1234_5678_9abc_def0u64;
        for step in 0..20_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Few distinct hashes (with 0 and 1 among them) so that
            // replacement, removal and tombstone reuse all happen.
            let hash = x % 3000;
            let guard = c.enter();
            if x % 3 == 1 {
                assert_eq!(
                    // SAFETY: single-threaded test: the only writer.
                    unsafe { map.remove(hash, &guard) },
                    model.remove(&hash.max(1)).is_some()
                );
            } else {
                // SAFETY: single-threaded test: the only writer.
                unsafe { map.insert(hash, step, &guard) };
                model.insert(hash.max(1), step);
            }
            assert_eq!(map.len(), model.len());
        }
        let guard = c.enter();
        for h in 0..3000u64 {
            assert_eq!(map.get(h, &guard).copied(), model.get(&h.max(1)).copied());
        }
        let mut all = Vec::new();
        map.for_each(&guard, |v| all.push(*v));
        all.sort();
        let mut want: Vec<u64> = model.values().copied().collect();
        want.sort();
        assert_eq!(all, want);
    }

    proptest::proptest! {
        /// Random inserts and removes over a small hash space (0 and 1
        /// alias by design) agree with a `HashMap` after every step.
        #[test]
        fn map_equals_model(ops in proptest::collection::vec((0u64..40, proptest::bool::ANY), 0..400)) {
            let c = collector();
            let map: RcuMap<u64> = RcuMap::new(Arc::clone(&c));
            let mut model = HashMap::new();
            for (step, (hash, insert)) in ops.into_iter().enumerate() {
                let guard = c.enter();
                if insert {
                    // SAFETY: single-threaded test: the only writer.
                    unsafe { map.insert(hash, step as u64, &guard) };
                    model.insert(hash.max(1), step as u64);
                } else {
                    // SAFETY: single-threaded test: the only writer.
                    let removed = unsafe { map.remove(hash, &guard) };
                    proptest::prop_assert_eq!(removed, model.remove(&hash.max(1)).is_some());
                }
                proptest::prop_assert_eq!(map.len(), model.len());
                for h in 0..40u64 {
                    proptest::prop_assert_eq!(map.get(h, &guard), model.get(&h.max(1)));
                }
            }
        }
    }

    #[test]
    fn counts_go_up_and_down() {
        let c = collector();
        let set = CountSet::new(Arc::clone(&c));
        let guard = c.enter();
        // SAFETY: single-threaded test: the only writer.
        unsafe { set.increment(7, &guard) };
        // SAFETY: single-threaded test: the only writer.
        unsafe { set.increment(7, &guard) };
        assert!(set.contains(7, &guard) && !set.contains(8, &guard));
        assert_eq!(set.count(7, &guard), 2);
        // SAFETY: single-threaded test: the only writer.
        unsafe { set.decrement(7, &guard) };
        assert!(set.contains(7, &guard));
        // SAFETY: single-threaded test: the only writer.
        unsafe { set.decrement(7, &guard) };
        assert!(!set.contains(7, &guard));
        // SAFETY: single-threaded test: the only writer.
        unsafe { set.decrement(7, &guard) };
        assert_eq!(set.count(7, &guard), 0);
    }

    /// Values count their drops: every value is dropped exactly once,
    /// replaced ones included, after the map and collector are gone.
    #[test]
    fn values_are_dropped_once() {
        struct D(Arc<AtomicUsize>);
        impl Drop for D {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        let drops = Arc::new(AtomicUsize::new(0));
        {
            let c = collector();
            let map = RcuMap::new(Arc::clone(&c));
            for i in 0..1000u64 {
                let guard = c.enter();
                // SAFETY: single-threaded test: the only writer.
                unsafe { map.insert(i % 300, D(Arc::clone(&drops)), &guard) };
                if i % 7 == 3 {
                    // SAFETY: as above.
                    unsafe { map.remove(i % 300, &guard) };
                }
            }
        }
        assert_eq!(drops.load(Ordering::Relaxed), 1000);
    }

    /// Readers always find the keys that are never removed, while the
    /// writer grows the table and churns other keys.
    #[test]
    fn readers_see_stable_keys_during_growth() {
        let c = collector();
        let map: Arc<RcuMap<u64>> = Arc::new(RcuMap::new(Arc::clone(&c)));
        {
            let guard = c.enter();
            for h in 0..64u64 {
                // SAFETY: readers are not started yet; this is the only writer.
                unsafe { map.insert((h + 1) << 40, h, &guard) };
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (map, c, stop) = (Arc::clone(&map), Arc::clone(&c), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut rounds = 0u64;
                while !stop.load(Ordering::Relaxed) || rounds == 0 {
                    let guard = c.enter();
                    for h in 0..64u64 {
                        assert_eq!(map.get((h + 1) << 40, &guard), Some(&h));
                    }
                    rounds += 1;
                }
                rounds
            })
        };
        for i in 1..50_000u64 {
            let guard = c.enter();
            // SAFETY: this thread is the only writer.
            unsafe { map.insert(i, i, &guard) };
            if i & 1 == 0 {
                // SAFETY: as above.
                unsafe { map.remove(i - 1, &guard) };
            }
        }
        stop.store(true, Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
    }
}
