//! Versioned priority classifier over flow keys (tuple space search).
//!
//! A [`Classifier<N, R>`] holds rules over keys of `N` 64-bit words: a key,
//! a mask (1 bits are matched), a priority and a payload `R` (for the
//! OpenFlow tables: the rule's instructions and counters). It answers the
//! upcall question "which is the best rule for this packet at version `v`,
//! and which key bits did deciding that depend on?", plus the flow-table
//! queries of the OpenFlow layer (strict and loose matching, overlap check,
//! iteration).
//!
//! ```
//! use switch::classifier::{Classifier, ClassifierConfig};
//!
//! // Keys of 2 words: [in_port, ip_dst].
//! let cls: Classifier<2, &'static str> = Classifier::new(ClassifierConfig::default()).unwrap();
//! cls.insert([1, 0], [0xffff, 0], 10, 1, "port 1").unwrap();
//! cls.insert([0, 0x0a000001], [0, 0xffff_ffff], 20, 1, "to 10.0.0.1").unwrap();
//! // Version 1 is now published to readers.
//! let mut wc = [0; 2];
//! let rule = cls.lookup(&[1, 0x0a000002], 1, &mut wc).unwrap();
//! assert_eq!(*rule.payload(), "port 1");
//! assert_eq!(wc, [0xffff, 0xffff_ffff]); // both subtables were searched
//! assert!(cls.lookup(&[1, 0], 0, &mut wc).is_none()); // not visible at version 0
//! ```
//!
//! # Lookup
//!
//! Tuple space search, as in Open vSwitch's `classifier_lookup`: one
//! subtable per distinct mask, each a hash table from masked key
//! to the rules with that key (best first). The published subtable list is
//! sorted by the highest priority a subtable holds, so a lookup stops as
//! soon as the next subtable cannot beat the rule already found.
//!
//! The lookup ORs into `wc` every mask bit it had to examine, which makes
//! `wc` a valid megaflow mask: every key that agrees with the looked-up key
//! on the bits of `wc` gets the same rule at the same version.
//! - a subtable skipped because of priority adds nothing;
//! - a subtable whose hash lookup ran adds its whole mask, hit or miss;
//! - **staged lookup**: when the classifier is configured with stage
//!   boundaries ([`ClassifierConfig::stage_ends`], e.g. metadata/in_port |
//!   L2 | L3 | L4 words of the flow key), each subtable also keeps, for every
//!   stage but the last, a hash index of the masked key prefix up to that
//!   stage's end. A miss in an early stage adds only the mask bits of the
//!   words up to that stage, so e.g. a packet from another in_port does not
//!   un-wildcard the L4 ports of an ACL subtable. Stages in which a mask has
//!   no bit are merged into the next one.
//!
//! Prefix tries for IP addresses (Open vSwitch's further refinement) are not
//! implemented.
//!
//! **Ties**: among visible matching rules of the same priority, the one
//! inserted first wins (OpenFlow leaves the choice undefined; this one is
//! deterministic). A rule that replaces another with the same match and
//! priority counts as a new insertion.
//!
//! # Versions
//!
//! A rule is visible at version `x` iff `add_version <= x < remove_version`
//! ([`Rule::is_visible`]). The writer inserts and removes at the version it
//! is preparing (the one after the version readers use); readers pass the
//! version they have seen. So a flow-mod never copies a table: inserting is
//! adding a rule that current readers cannot see yet, removing is storing a
//! `remove_version` into the rule. Removed rules stay in their subtable until
//! [`Classifier::gc`] is told that no reader uses a version older than their
//! `remove_version`; only then are they unlinked. The memory itself is freed
//! by epoch-based reclamation (below), so even a reader that lags behind its
//! announced version never touches freed memory (it would only see a result
//! as of a newer version).
//!
//! # Thread safety
//!
//! Any number of threads (PMDs doing upcalls, the control thread running
//! queries) read concurrently with one writer; **readers never block and
//! never take a lock**:
//! - the subtable list is a vector published through
//!   [`arc_swap::ArcSwap`]. Each entry carries an atomic upper bound of the
//!   priorities of the rules linked in its subtable. Inserting a rule of a
//!   higher priority raises the bound in place (before the caller publishes
//!   the rule's version, so every reader that can see the rule sees the
//!   bound); a lookup skips subtables whose bound is below the best rule
//!   found, and stops at the first one if the list is still sorted by bound.
//!   A raise that breaks the order clears the list's `sorted` flag (readers
//!   then skip but do not stop; readers at older versions may still stop,
//!   which stays correct because the order held for the bounds of the rules
//!   they can see). The writer publishes a new, sorted list when a subtable
//!   is created, when [`Classifier::gc`] unlinked rules (bounds only ever go
//!   down in a new list) and, once the order broke, after as many inserts as
//!   there are subtables (amortised O(log S) per insert even when every
//!   insert raises a bound);
//! - each subtable's buckets and stage indices are single-writer hash maps
//!   with lock-free reads (module `rcu_map`: open addressing, tombstones, the
//!   writer rebuilds and republishes the array when it fills); all of them
//!   retire memory to one `seize` collector (epoch-style reclamation), so a
//!   lookup pins a single guard; a bucket is an immutable boxed slice that
//!   the writer replaces whole (read-copy-update), and the old one is freed
//!   once every guard that could see it is gone. (A general concurrent map,
//!   `papaya`, was measured first: its cooperative resizing cost about 60 %
//!   of the time of a million inserts, which a single writer does not need.)
//! - `remove_version` is an atomic in each rule;
//! - writers are serialised by a mutex that readers never touch, so calling
//!   the writer methods from several threads is safe, merely not concurrent.
//!
//! Payloads are dropped when the last [`RuleRef`] to their rule goes:
//! after [`Classifier::gc`] unlinked the rule, every guard that saw it was
//! released and every caller dropped the references it was handed.
//!
//! Statistics ([`Classifier::stats`]) are relaxed atomics: two increments
//! per lookup, spread over 8 cache-line-sized shards chosen per thread, so
//! that PMDs looking up at the same time rarely share a line.
//!
//! # Performance
//!
//! `cargo bench -p switch --bench classifier` (keys of 8 words, one core of
//! a shared 2-core VM, 2026-11, several runs): 1 M inserts into 4
//! subtables take 0.35-0.40 s on one thread (2.5-2.8 M inserts/s), and the
//! classifier then holds about 220 bytes per rule. Lookups among 10 k
//! rules cost 35-55 ns with 1 subtable, 0.3-0.4 us with 10 and 2.6-3.7 us
//! with 100 when every subtable must be searched (priorities spread over
//! all subtables), 165-200 ns and 1.3-1.5 us when subtables hold separate
//! priority bands and a lookup stops half-way: about 27-35 ns per subtable
//! searched (the spread is the load of the shared machine).

mod hash;
mod rcu_map;
mod rule;
mod subtable;
#[cfg(test)]
mod tests;

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use seize::Collector;

pub use rule::{Mask, Rule, RuleRef, Version, VERSION_NOT_REMOVED};

use hash::WordHasherState;
use subtable::{Bucket, Subtable, MAX_STAGES};

/// Limits and lookup stages of a [`Classifier`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassifierConfig {
    /// Most subtables (distinct masks). An insert that needs one more fails
    /// with [`InsertError::TooManySubtables`]: the bound against tuple-space
    /// explosion, which keeps lookups of established flows fast.
    pub max_subtables: usize,
    /// Most live (not removed) rules. An insert beyond it fails with
    /// [`InsertError::TooManyRules`]; an insert that replaces a rule with the
    /// same match and priority does not count.
    pub max_rules: usize,
    /// Word indices where lookup stages end, strictly increasing, each
    /// between 1 and `N - 1` (the last stage always ends at `N`); at most
    /// 7. Empty: a single stage. See the module doc.
    pub stage_ends: Vec<usize>,
}

impl Default for ClassifierConfig {
    /// 1024 subtables, 16 M rules, a single stage.
    fn default() -> Self {
        ClassifierConfig {
            max_subtables: 1024,
            max_rules: 1 << 24,
            stage_ends: Vec::new(),
        }
    }
}

/// A [`ClassifierConfig`] that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `stage_ends` is not strictly increasing within `1..N`.
    BadStageEnds {
        /// The configured boundaries.
        stage_ends: Vec<usize>,
        /// Number of words in a key.
        words: usize,
    },
    /// More than 7 stage boundaries.
    TooManyStages {
        /// Number of configured boundaries.
        count: usize,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::BadStageEnds { stage_ends, words } => write!(
                f,
                "classifier stage ends {stage_ends:?}: must be strictly increasing word \
                 indices between 1 and {} (keys have {words} words)",
                words.saturating_sub(1)
            ),
            ConfigError::TooManyStages { count } => write!(
                f,
                "classifier stage ends: {count} boundaries given, at most {} supported",
                MAX_STAGES - 1
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Why an insert was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InsertError {
    /// The rule's mask needs a new subtable and the classifier already has
    /// [`ClassifierConfig::max_subtables`].
    TooManySubtables {
        /// The configured bound.
        limit: usize,
    },
    /// The classifier already holds [`ClassifierConfig::max_rules`] live
    /// rules.
    TooManyRules {
        /// The configured bound.
        limit: usize,
    },
}

impl fmt::Display for InsertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InsertError::TooManySubtables { limit } => write!(
                f,
                "classifier full: rule needs a new mask and the limit of {limit} distinct \
                 masks is reached (use fewer distinct match field combinations or raise \
                 max_subtables)"
            ),
            InsertError::TooManyRules { limit } => write!(
                f,
                "classifier full: limit of {limit} rules reached (remove rules or raise \
                 max_rules)"
            ),
        }
    }
}

impl std::error::Error for InsertError {}

/// What [`Classifier::insert`] did.
#[derive(Debug)]
pub struct Inserted<const N: usize, R> {
    /// The new rule.
    pub rule: RuleRef<N, R>,
    /// The live rule with the same match and priority that the new one
    /// replaced (now removed at the insert's version), if any.
    pub replaced: Option<RuleRef<N, R>>,
}

/// A snapshot of a classifier's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClassifierStats {
    /// Subtables (distinct masks) currently linked.
    pub subtables: usize,
    /// Live rules (not removed at any version).
    pub live_rules: usize,
    /// Rules still linked, including removed ones waiting for
    /// [`Classifier::gc`].
    pub linked_rules: usize,
    /// Lookups done since creation.
    pub lookups: u64,
    /// Subtables searched by those lookups (hash lookups, not skipped).
    pub subtables_visited: u64,
}

impl ClassifierStats {
    /// Average subtables searched per lookup (0 without lookups).
    pub fn avg_subtables_per_lookup(&self) -> f64 {
        if self.lookups == 0 {
            0.0
        } else {
            self.subtables_visited as f64 / self.lookups as f64
        }
    }
}

/// One entry of the published subtable list.
struct ListEntry<const N: usize, R> {
    /// Upper bound of the priorities of the rules linked in `subtable`
    /// (raised in place by the writer, never lowered).
    max_priority: AtomicU32,
    subtable: Arc<Subtable<N, R>>,
}

/// The published subtable list.
struct SubtableList<const N: usize, R> {
    entries: Box<[ListEntry<N, R>]>,
    /// Entries are in decreasing order of `max_priority` (cleared by a raise
    /// that breaks the order).
    sorted: AtomicBool,
}

/// Writer-side bookkeeping of one subtable.
struct SubtableState<const N: usize, R> {
    subtable: Arc<Subtable<N, R>>,
    /// Priority -> number of linked rules with it.
    priorities: BTreeMap<u32, usize>,
    /// Index of the subtable in the published list (None: not published).
    list_index: Option<usize>,
}

impl<const N: usize, R> SubtableState<N, R> {
    fn max_priority(&self) -> u32 {
        self.priorities.keys().next_back().copied().unwrap_or(0)
    }
}

/// State only the writer touches.
struct Writer<const N: usize, R> {
    by_mask: HashMap<[u64; N], SubtableState<N, R>, WordHasherState>,
    next_seq: u64,
    next_subtable_id: u64,
    /// Removed rules not yet unlinked, in the order they were removed, which
    /// is also the order of their remove versions (the writer's version
    /// never goes back).
    pending: VecDeque<RuleRef<N, R>>,
    /// The published list must be replaced now (subtables created or
    /// removed, bounds lowered).
    stale: bool,
    /// Inserts since the published list lost its order, if it did.
    unsorted_inserts: Option<usize>,
}

/// A versioned priority classifier over keys of `N` words with payload `R`
/// (`Send + Sync + 'static`, as readers on other threads share it).
/// See the module documentation for the design and thread-safety notes.
pub struct Classifier<const N: usize, R> {
    max_subtables: usize,
    max_rules: usize,
    stage_ends: Vec<usize>,
    collector: Arc<Collector>,
    list: ArcSwap<SubtableList<N, R>>,
    writer: Mutex<Writer<N, R>>,
    live_rules: AtomicUsize,
    linked_rules: AtomicUsize,
    subtable_count: AtomicUsize,
    lookup_counters: Box<[LookupCounters; COUNTER_SHARDS]>,
}

/// Requests every cache line of `rule` (not what its payload points to).
#[inline(always)]
fn prefetch_rule<const N: usize, R>(rule: &Rule<N, R>) {
    crate::dpif::prefetch(rule);
}

/// Requests the head of `rule`: its `Arc`'s counts (just before it; a
/// clone writes them) and its versions, what a walk reads of a rule whose
/// key and payload it does not need.
#[inline(always)]
fn prefetch_rule_head<const N: usize, R>(rule: &Rule<N, R>) {
    const COUNTS: usize = 2 * std::mem::size_of::<usize>();
    // A prefetch of any address is harmless; these bytes are the counts
    // and the rule's first fields (`Rule` is `repr(C)`, versions first).
    let head = std::ptr::from_ref(rule).cast::<u8>().wrapping_sub(COUNTS);
    crate::dpif::prefetch_bytes(head, COUNTS + Rule::<N, R>::HEAD_BYTES);
}

/// Rules a walk over many of them requests ahead of the one in use.
const READ_AHEAD: usize = 16;

/// Removals between the steps of [`subtable::Subtable::prefetch_removal`]
/// for one rule, and between its last step and its removal.
const REMOVAL_STEP: usize = 6;

/// Calls `f` on each of `rules` in order; each rule was requested
/// [`READ_AHEAD`] rules earlier, and given to `ahead` half as far ahead:
/// [`read_ahead`] with a second, nearer request.
fn read_rules_ahead<const N: usize, R>(
    rules: &[&RuleRef<N, R>],
    request: impl Fn(&Rule<N, R>),
    ahead: &mut impl FnMut(&Rule<N, R>),
    mut f: impl FnMut(&RuleRef<N, R>),
) {
    rules.iter().take(READ_AHEAD).for_each(|r| request(r));
    rules.iter().take(READ_AHEAD / 2).for_each(|r| ahead(r));
    for (i, rule) in rules.iter().enumerate() {
        if let Some(r) = rules.get(i + READ_AHEAD) {
            request(r);
        }
        if let Some(r) = rules.get(i + READ_AHEAD / 2) {
            ahead(r);
        }
        f(rule);
    }
}

/// Calls `f` on each of `items` in order, `request(item)` having been
/// called `distance` items earlier: a walk over scattered memory whose
/// cache misses overlap instead of coming one after the other.
fn read_ahead<T: Copy>(
    items: &[T],
    distance: usize,
    mut request: impl FnMut(T),
    mut f: impl FnMut(T),
) {
    items.iter().take(distance).for_each(|&x| request(x));
    for (i, &x) in items.iter().enumerate() {
        if let Some(&next) = items.get(i + distance) {
            request(next);
        }
        f(x);
    }
}

/// A loose match (OpenFlow non-strict modify, delete and flow stats): the
/// rules whose match is at least as specific as (`key`, `mask`).
struct LooseMatch<const N: usize> {
    /// The key, masked.
    key: [u64; N],
    mask: [u64; N],
    /// Whether the mask has any bit set: an empty one matches every rule
    /// without reading its key.
    any: bool,
}

impl<const N: usize> LooseMatch<N> {
    fn new(key: &[u64; N], mask: &[u64; N]) -> Self {
        LooseMatch {
            key: std::array::from_fn(|i| key[i] & mask[i]),
            mask: *mask,
            any: mask.iter().any(|&m| m != 0),
        }
    }

    /// Whether a subtable of mask `st_mask` can hold matching rules: its
    /// mask covers ours.
    fn covers(&self, st_mask: &[u64; N]) -> bool {
        (0..N).all(|i| st_mask[i] & self.mask[i] == self.mask[i])
    }

    /// Whether `rule` is visible at `version` and matches.
    fn wanted<R>(&self, rule: &Rule<N, R>, version: Version) -> bool {
        // Outside the rule's mask, ours is zero too (`covers`): the
        // rule's words decide.
        rule.is_visible(version)
            && (!self.any || rule.all_words(|i, k, _| k & self.mask[i] == self.key[i]))
    }
}

/// Bits of an address sorted in one pass of [`by_address`].
const RADIX_BITS: u32 = 11;

/// Sorts `items` by the address `addr` gives each: a least-significant-digit
/// radix sort over the bits in which the addresses differ (three or four
/// passes of [`RADIX_BITS`] for a heap of a few GB), linear in the number
/// of items where a comparison sort is not. `scratch` and `counts` are
/// working space.
fn by_address<E: Copy>(
    items: &mut [E],
    scratch: &mut Vec<E>,
    counts: &mut Vec<usize>,
    addr: impl Fn(E) -> usize,
) {
    let (Some(lo), Some(hi)) = (
        items.iter().map(|&x| addr(x)).min(),
        items.iter().map(|&x| addr(x)).max(),
    ) else {
        return;
    };
    // Objects are at least 8-byte aligned: the low 3 bits are all equal.
    let span = (hi - lo) >> 3;
    let bits = usize::BITS - span.leading_zeros();
    let radix = 1usize << RADIX_BITS;
    scratch.clear();
    scratch.extend_from_slice(items);
    // Each pass reads one of the two and writes the other.
    let (mut from, mut to): (&mut [E], &mut [E]) = (items, scratch);
    let mut in_scratch = false;
    let mut shift = 3;
    while shift < bits + 3 {
        let digit = |x: E| ((addr(x) - lo) >> shift) & (radix - 1);
        counts.clear();
        counts.resize(radix, 0);
        for &x in from.iter() {
            counts[digit(x)] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            sum += std::mem::replace(c, sum);
        }
        for &x in from.iter() {
            let slot = &mut counts[digit(x)];
            to[*slot] = x;
            *slot += 1;
        }
        std::mem::swap(&mut from, &mut to);
        in_scratch = !in_scratch;
        shift += RADIX_BITS;
    }
    if in_scratch {
        // `from` is the scratch space, `to` the caller's slice.
        to.copy_from_slice(from);
    }
}

/// Sorts `rules` by address, for a walk that reads every one of them (a
/// flow dump) to read memory in sequence: the order rules come in from
/// their buckets is the map's, and a bucket made again when a rule of its
/// key comes or goes no longer lies beside its rules. The references
/// only change places (none is counted or dropped).
pub fn sort_by_address<const N: usize, R>(rules: &mut [RuleRef<N, R>]) {
    if rules.len() < 2 {
        return;
    }
    let mut sorted: Vec<usize> = rules.iter().map(RuleRef::address).collect();
    by_address(&mut sorted, &mut Vec::new(), &mut Vec::new(), |a| a);
    for (slot, &address) in rules.iter_mut().zip(&sorted) {
        // SAFETY: `sorted` holds the addresses of the rules of `rules`,
        // each once per reference in `rules`, in another order. Each
        // slot is overwritten without dropping what it held, by a
        // reference made without counting: when the loop ends (nothing in
        // it can panic), each rule has as many references in `rules` as
        // it had, all counted, none dropped.
        unsafe { std::ptr::write(slot, RuleRef::from_address(address)) };
    }
}

/// Objects (buckets, hash arrays) the writer retires to the collector
/// before it tries to reclaim them. Each attempt is a `membarrier`
/// system call that interrupts every core running a thread of the
/// process, PMDs included: with `seize`'s default of 32, deleting 1 M
/// flows made 31 000 of them. An array replaced by a rebuild is flushed
/// at once (see `rcu_map`), so a big batch holds small objects only.
const RETIRE_BATCH: usize = 1024;

/// Number of lookup counter shards (threads share one per shard).
const COUNTER_SHARDS: usize = 8;

/// Lookup counters of the threads of one shard, on their own cache lines
/// so that PMDs looking up at the same time do not bounce one line.
#[derive(Default)]
#[repr(align(128))]
struct LookupCounters {
    lookups: AtomicU64,
    subtables_visited: AtomicU64,
}

/// The counter shard of the calling thread (assigned round-robin).
fn counter_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % COUNTER_SHARDS;
    }
    SHARD.with(|s| *s)
}

impl<const N: usize, R: Send + Sync + 'static> Classifier<N, R> {
    /// Creates an empty classifier.
    pub fn new(config: ClassifierConfig) -> Result<Self, ConfigError> {
        if config.stage_ends.len() > MAX_STAGES - 1 {
            return Err(ConfigError::TooManyStages {
                count: config.stage_ends.len(),
            });
        }
        let increasing = config.stage_ends.windows(2).all(|w| w[0] < w[1]);
        let in_range = config.stage_ends.iter().all(|&e| e >= 1 && e < N);
        if !increasing || !in_range {
            return Err(ConfigError::BadStageEnds {
                stage_ends: config.stage_ends,
                words: N,
            });
        }
        Ok(Classifier {
            max_subtables: config.max_subtables,
            max_rules: config.max_rules,
            stage_ends: config.stage_ends,
            collector: Arc::new(Collector::new().batch_size(RETIRE_BATCH)),
            list: ArcSwap::from_pointee(SubtableList {
                entries: Box::new([]),
                sorted: AtomicBool::new(true),
            }),
            writer: Mutex::new(Writer {
                by_mask: HashMap::with_hasher(WordHasherState),
                next_seq: 0,
                next_subtable_id: 0,
                pending: VecDeque::new(),
                stale: false,
                unsorted_inserts: None,
            }),
            live_rules: AtomicUsize::new(0),
            linked_rules: AtomicUsize::new(0),
            subtable_count: AtomicUsize::new(0),
            lookup_counters: Box::default(),
        })
    }

    fn writer(&self) -> MutexGuard<'_, Writer<N, R>> {
        // A panic while holding the writer lock leaves consistent data
        // behind (every step is complete before the next), so poisoning is
        // not fatal.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Finds the highest-priority rule visible at `version` that matches
    /// `key` (ties: the earliest inserted), and ORs into `wc` every mask bit
    /// the search examined: every key agreeing with `key` on the bits of
    /// `wc` gets the same answer at `version`. Lock-free.
    pub fn lookup(
        &self,
        key: &[u64; N],
        version: Version,
        wc: &mut [u64; N],
    ) -> Option<RuleRef<N, R>> {
        let list = self.list.load();
        let guard = self.collector.enter();
        let mut best: Option<&RuleRef<N, R>> = None;
        let mut visited = 0u64;
        let sorted = list.sorted.load(Ordering::Acquire);
        for entry in list.entries.iter() {
            if let Some(b) = best {
                if entry.max_priority.load(Ordering::Acquire) < b.priority() {
                    if sorted {
                        break;
                    }
                    continue;
                }
            }
            visited += 1;
            let Some((bucket, masked)) = entry.subtable.lookup(key, &guard, wc) else {
                continue;
            };
            for rule in bucket {
                if best.is_some_and(|b| !rule.beats(b)) {
                    break;
                }
                if rule.key_is(&masked) && rule.is_visible(version) {
                    best = Some(rule);
                    break;
                }
            }
        }
        let counters = &self.lookup_counters[counter_shard()];
        counters.lookups.fetch_add(1, Ordering::Relaxed);
        counters
            .subtables_visited
            .fetch_add(visited, Ordering::Relaxed);
        best.cloned()
    }

    /// Inserts a rule visible from `version` on. `key` is masked by `mask`
    /// here. A live rule with the same match and priority is replaced: it is
    /// removed at `version` and returned in [`Inserted::replaced`].
    ///
    /// `version` must be later than every version readers may be looking up
    /// with (the version being prepared), and the caller publishes it to
    /// readers (a release store that they load with acquire) only after
    /// this returns; otherwise a reader could see half of a batch. The same
    /// holds for [`Classifier::remove`].
    pub fn insert(
        &self,
        key: [u64; N],
        mask: [u64; N],
        priority: u32,
        version: Version,
        payload: R,
    ) -> Result<Inserted<N, R>, InsertError> {
        self.insert_with(&key, &mask, priority, version, |_| payload)
    }

    /// [`Classifier::insert`] of the payload `make` returns when given the
    /// rule being replaced (if any): what the new rule takes over from the
    /// old one is decided in the one lookup the insertion makes. `make` is
    /// not called when the insertion fails.
    pub fn insert_with(
        &self,
        key: &[u64; N],
        mask: &[u64; N],
        priority: u32,
        version: Version,
        make: impl FnOnce(Option<&RuleRef<N, R>>) -> R,
    ) -> Result<Inserted<N, R>, InsertError> {
        let key: [u64; N] = std::array::from_fn(|i| key[i] & mask[i]);
        let mut lock = self.writer();
        let w = &mut *lock;
        let guard = self.collector.enter();
        let subtables = w.by_mask.len();
        // One hash of the mask finds its subtable or the place for one.
        let st = match w.by_mask.entry(*mask) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                if subtables >= self.max_subtables {
                    return Err(InsertError::TooManySubtables {
                        limit: self.max_subtables,
                    });
                }
                if self.live_rules.load(Ordering::Relaxed) >= self.max_rules {
                    return Err(InsertError::TooManyRules {
                        limit: self.max_rules,
                    });
                }
                let id = w.next_subtable_id;
                w.next_subtable_id += 1;
                w.stale = true;
                self.subtable_count.store(subtables + 1, Ordering::Relaxed);
                e.insert(SubtableState {
                    subtable: Arc::new(Subtable::new(*mask, id, &self.stage_ends, &self.collector)),
                    priorities: BTreeMap::new(),
                    list_index: None,
                })
            }
        };
        let replaced = st.subtable.bucket(&key, &guard).and_then(|bucket| {
            bucket
                .iter()
                .find(|r| r.key_is(&key) && r.priority() == priority && r.is_live())
                .cloned()
        });
        if replaced.is_none() && self.live_rules.load(Ordering::Relaxed) >= self.max_rules {
            return Err(InsertError::TooManyRules {
                limit: self.max_rules,
            });
        }
        let seq = w.next_seq;
        w.next_seq += 1;
        let rule = RuleRef::new(
            key,
            Arc::clone(st.subtable.mask_arc()),
            priority,
            seq,
            version,
            make(replaced.as_ref()),
        );
        // SAFETY: the writer lock is held, so no other writer method of
        // this subtable runs.
        unsafe { st.subtable.insert(rule.clone(), &guard) };
        *st.priorities.entry(priority).or_insert(0) += 1;
        if let Some(i) = st.list_index {
            let list = self.list.load();
            if list.entries[i].max_priority.load(Ordering::Relaxed) < priority {
                list.entries[i]
                    .max_priority
                    .store(priority, Ordering::Release);
                if i > 0 && list.entries[i - 1].max_priority.load(Ordering::Relaxed) < priority {
                    list.sorted.store(false, Ordering::Release);
                    w.unsorted_inserts.get_or_insert(0);
                }
            }
        }
        if let Some(n) = &mut w.unsorted_inserts {
            *n += 1;
        }
        self.linked_rules.fetch_add(1, Ordering::Relaxed);
        match &replaced {
            Some(old) => {
                old.mark_removed(version);
                w.pending.push_back(old.clone());
            }
            None => {
                self.live_rules.fetch_add(1, Ordering::Relaxed);
            }
        }
        drop(guard);
        self.maybe_publish(w);
        Ok(Inserted { rule, replaced })
    }

    /// Removes `rule` from `version` on (it stays visible to lookups at
    /// older versions until [`Classifier::gc`]). Returns false if it was
    /// already removed. `rule` must come from this classifier.
    pub fn remove(&self, rule: &RuleRef<N, R>, version: Version) -> bool {
        let mut w = self.writer();
        if !rule.mark_removed(version) {
            return false;
        }
        w.pending.push_back(rule.clone());
        self.live_rules.fetch_sub(1, Ordering::Relaxed);
        true
    }

    /// Takes back a removal made at `version` that no reader can have seen
    /// (the version is not published yet): the rule is live again. Returns
    /// false if `rule` was not removed at exactly `version`. Used to roll
    /// back a transaction (an OpenFlow bundle) that failed half-way.
    pub fn restore(&self, rule: &RuleRef<N, R>, version: Version) -> bool {
        let mut w = self.writer();
        if !rule.unmark_removed(version) {
            return false;
        }
        w.pending.retain(|r| !RuleRef::ptr_eq(r, rule));
        self.live_rules.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Removes, from `version` on, the live rule with exactly this match and
    /// priority (OpenFlow strict delete), and returns it.
    pub fn remove_exact(
        &self,
        key: &[u64; N],
        mask: &[u64; N],
        priority: u32,
        version: Version,
    ) -> Option<RuleRef<N, R>> {
        let key: [u64; N] = std::array::from_fn(|i| key[i] & mask[i]);
        let list = self.list.load();
        let guard = self.collector.enter();
        let entry = list.entries.iter().find(|e| e.subtable.mask() == mask)?;
        let rule = entry
            .subtable
            .bucket(&key, &guard)?
            .iter()
            .find(|r| r.key_is(&key) && r.priority() == priority && r.is_live())?
            .clone();
        drop(guard);
        self.remove(&rule, version).then_some(rule)
    }

    /// Unlinks every removed rule whose `remove_version <= oldest_in_use`
    /// (the oldest version any reader may still look up with), drops
    /// subtables left empty and republishes the subtable list if needed.
    /// Returns the number of rules unlinked.
    pub fn gc(&self, oldest_in_use: Version) -> usize {
        self.gc_some(oldest_in_use, usize::MAX)
    }

    /// [`Classifier::gc`] of at most `max` rules (the oldest removals
    /// first), so that a million removals are unlinked in steps rather
    /// than in one long hold of the writer.
    pub fn gc_some(&self, oldest_in_use: Version, max: usize) -> usize {
        let mut lock = self.writer();
        let w = &mut *lock;
        let guard = self.collector.enter();
        // The rules to unlink are a prefix of `pending`: O(unlinked) per call.
        let mut done = Vec::new();
        while done.len() < max
            && w.pending
                .front()
                .is_some_and(|r| r.remove_version() <= oldest_in_use)
        {
            done.extend(w.pending.pop_front());
        }
        // Removals come in runs of one mask (a delete of many flows):
        // its subtable is looked up once a run.
        for run in done.chunk_by(|a, b| a.same_mask(b)) {
            let mask = run[0].mask();
            let Some(st) = w.by_mask.get_mut(mask) else {
                continue;
            };
            // The removals read scattered memory (the rule's key, the
            // map's slot, the bucket, the bucket's other rules): each is
            // requested ahead, in steps, so that the misses overlap.
            let mut hashes = Vec::with_capacity(run.len());
            let refs: Vec<&RuleRef<N, R>> = run.iter().collect();
            read_ahead(
                &refs,
                READ_AHEAD,
                |r| prefetch_rule(r),
                |r| hashes.push(st.subtable.rule_hash(r)),
            );
            for (i, rule) in run.iter().enumerate() {
                for step in 0..3 {
                    if let Some(&h) = hashes.get(i + (3 - step) * REMOVAL_STEP) {
                        st.subtable.prefetch_removal(h, step, &guard);
                    }
                }
                // SAFETY: the writer lock is held, so no other writer
                // method of this subtable runs.
                if !unsafe { st.subtable.remove(rule, &guard) } {
                    continue;
                }
                self.linked_rules.fetch_sub(1, Ordering::Relaxed);
                let count = st.priorities.get_mut(&rule.priority()).expect("counted");
                *count -= 1;
                if *count == 0 {
                    st.priorities.remove(&rule.priority());
                    w.stale = true;
                }
            }
            if st.subtable.is_empty() {
                w.by_mask.remove(mask);
                w.stale = true;
                self.subtable_count
                    .store(w.by_mask.len(), Ordering::Relaxed);
            }
        }
        drop(guard);
        self.maybe_publish(w);
        done.len()
    }

    /// Whether [`Classifier::gc`] at `oldest_in_use` has rules to unlink.
    pub fn has_garbage(&self, oldest_in_use: Version) -> bool {
        self.writer()
            .pending
            .front()
            .is_some_and(|r| r.remove_version() <= oldest_in_use)
    }

    /// Publishes a new sorted subtable list if it is stale, or if it lost
    /// its order at least as many inserts ago as there are subtables.
    fn maybe_publish(&self, w: &mut Writer<N, R>) {
        let resort = w.unsorted_inserts.is_some_and(|n| n >= w.by_mask.len());
        if !w.stale && !resort {
            return;
        }
        let mut order: Vec<(u32, u64, [u64; N])> = w
            .by_mask
            .iter()
            .map(|(mask, st)| (st.max_priority(), st.subtable.id(), *mask))
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut entries = Vec::with_capacity(order.len());
        for (i, (max_priority, _, mask)) in order.iter().enumerate() {
            let st = w.by_mask.get_mut(mask).expect("listed mask");
            st.list_index = Some(i);
            entries.push(ListEntry {
                max_priority: AtomicU32::new(*max_priority),
                subtable: Arc::clone(&st.subtable),
            });
        }
        self.list.store(Arc::new(SubtableList {
            entries: entries.into(),
            sorted: AtomicBool::new(true),
        }));
        w.stale = false;
        w.unsorted_inserts = None;
    }

    /// The rule visible at `version` with exactly this match and priority
    /// (OpenFlow strict modify/delete, duplicate check on add).
    pub fn find_exact(
        &self,
        key: &[u64; N],
        mask: &[u64; N],
        priority: u32,
        version: Version,
    ) -> Option<RuleRef<N, R>> {
        let key: [u64; N] = std::array::from_fn(|i| key[i] & mask[i]);
        let list = self.list.load();
        let guard = self.collector.enter();
        let entry = list.entries.iter().find(|e| e.subtable.mask() == mask)?;
        entry
            .subtable
            .bucket(&key, &guard)?
            .iter()
            .find(|r| r.key_is(&key) && r.priority() == priority && r.is_visible(version))
            .cloned()
    }

    /// Calls `f` on every rule visible at `version` whose match is at least
    /// as specific as (`key`, `mask`): `rule.mask ⊇ mask` and
    /// `rule.key & mask == key & mask` (OpenFlow non-strict modify, delete
    /// and flow stats). Order is unspecified.
    pub fn for_each_loose(
        &self,
        key: &[u64; N],
        mask: &[u64; N],
        version: Version,
        mut f: impl FnMut(&RuleRef<N, R>),
    ) {
        let loose = LooseMatch::new(key, mask);
        let list = self.list.load();
        let guard = self.collector.enter();
        for entry in list.entries.iter() {
            let st_mask = entry.subtable.mask();
            if !loose.covers(st_mask) {
                continue;
            }
            let mut visit = |bucket: &[RuleRef<N, R>]| {
                for rule in bucket {
                    if loose.wanted(rule, version) {
                        f(rule);
                    }
                }
            };
            if st_mask == mask {
                if let Some(bucket) = entry.subtable.bucket(&loose.key, &guard) {
                    visit(bucket);
                }
            } else {
                entry.subtable.for_each_bucket(&guard, visit);
            }
        }
    }

    /// The rules [`Classifier::for_each_loose`] visits, highest priority
    /// first (equal priorities in walk order), for walks over many rules
    /// (flow statistics): the rules are read ahead of use, so their cache
    /// misses overlap. Of each rule, the walk requests what it reads
    /// itself (its head, and its key if `mask` has bits), and all of it
    /// when `whole` says that `f` reads the rule's payload. `ahead(rule)`
    /// is called a few rules before `f(rule)`, with those requests made,
    /// to prefetch what `f` reads beyond the rule (its payload's own
    /// allocations); it may also see rules that `f` will not (not
    /// visible, or not matching).
    ///
    /// When every subtable walked holds one priority and the subtables come
    /// in decreasing priority (the common case: a table of many flows with
    /// one priority per mask), walk order is already the answer's order and
    /// each rule is read once; otherwise the matching rules are sorted
    /// first. Takes the writer's lock (to see each subtable's priorities):
    /// for the writer's own thread. `f` may keep the rules it is given
    /// (a flow dump encoded after the walk).
    pub fn for_each_loose_by_priority(
        &self,
        key: &[u64; N],
        mask: &[u64; N],
        version: Version,
        whole: bool,
        mut ahead: impl FnMut(&Rule<N, R>),
        mut f: impl FnMut(&RuleRef<N, R>),
    ) {
        let loose = LooseMatch::new(key, mask);
        let request = |r: &Rule<N, R>| {
            if whole || loose.any {
                prefetch_rule(r)
            } else {
                prefetch_rule_head(r)
            }
        };
        let list = self.list.load();
        let guard = self.collector.enter();
        let walked: Vec<&ListEntry<N, R>> = list
            .entries
            .iter()
            .filter(|e| loose.covers(e.subtable.mask()))
            .collect();
        let presorted = {
            let w = self.writer();
            let mut last = u32::MAX;
            walked.iter().all(|e| {
                // A subtable the writer no longer has is empty.
                let Some(st) = w.by_mask.get(e.subtable.mask()) else {
                    return true;
                };
                let mut priorities = st.priorities.keys();
                match (priorities.next(), priorities.next()) {
                    (None, _) => true,
                    (Some(&p), None) => std::mem::replace(&mut last, p) >= p,
                    _ => false,
                }
            })
        };
        // The rules' addresses, subtable by subtable in walk order. A
        // subtable with exactly our mask has one bucket to read; the others'
        // buckets come from the maps' slot arrays (nothing read behind
        // them) and are read in address order ([`by_address`]), not hash
        // order: rules, their buckets and their payloads' allocations were
        // made together, so this walks memory nearly in sequence (few TLB
        // misses), each bucket requested ahead of its use. The rules
        // themselves are not read yet.
        let mut rules: Vec<&RuleRef<N, R>> = Vec::new();
        let mut buckets: Vec<&Bucket<N, R>> = Vec::new();
        let (mut scratch, mut counts) = (Vec::new(), Vec::new());
        for e in walked {
            if e.subtable.mask() == mask {
                let bucket = e.subtable.bucket(&loose.key, &guard).unwrap_or(&[]);
                rules.extend(bucket.iter());
                continue;
            }
            buckets.clear();
            buckets.reserve(e.subtable.bucket_count());
            e.subtable
                .for_each_bucket_unread(&guard, |b| buckets.push(b));
            by_address(&mut buckets, &mut scratch, &mut counts, |b| {
                std::ptr::from_ref(b) as usize
            });
            rules.reserve(buckets.len());
            read_ahead(&buckets, READ_AHEAD, crate::dpif::prefetch, |b| {
                rules.extend(b.rules().iter())
            });
        }
        drop(buckets);
        let wanted = |rule: &RuleRef<N, R>| loose.wanted(rule, version);
        if presorted {
            return read_rules_ahead(&rules, request, &mut ahead, |r| {
                if wanted(r) {
                    f(r)
                }
            });
        }
        let mut matching = Vec::with_capacity(rules.len());
        read_ahead(
            &rules,
            READ_AHEAD,
            |r| request(r),
            |r| {
                if wanted(r) {
                    matching.push(r);
                }
            },
        );
        matching.sort_by_key(|r| std::cmp::Reverse(r.priority()));
        read_rules_ahead(&matching, request, &mut ahead, f);
    }

    /// True if some rule visible at `version` has priority `priority` and
    /// could match a packet together with (`key`, `mask`): the two agree on
    /// every bit both masks match (OpenFlow CHECK_OVERLAP).
    pub fn overlaps(
        &self,
        key: &[u64; N],
        mask: &[u64; N],
        priority: u32,
        version: Version,
    ) -> bool {
        let key: [u64; N] = std::array::from_fn(|i| key[i] & mask[i]);
        let list = self.list.load();
        let guard = self.collector.enter();
        let overlapping = |rule: &RuleRef<N, R>| {
            // Outside the rule's mask the term is zero.
            rule.priority() == priority
                && rule.all_words(|i, k, m| (k ^ key[i]) & m & mask[i] == 0)
                && rule.is_visible(version)
        };
        for entry in list.entries.iter() {
            if entry.max_priority.load(Ordering::Acquire) < priority {
                continue;
            }
            let st_mask = entry.subtable.mask();
            if (0..N).all(|i| mask[i] & st_mask[i] == st_mask[i]) {
                // The subtable's mask is within ours: only the bucket of our
                // key masked by it can overlap.
                let probe = entry.subtable.masked(&key);
                if let Some(bucket) = entry.subtable.bucket(&probe, &guard) {
                    if bucket.iter().any(overlapping) {
                        return true;
                    }
                }
            } else {
                let mut found = false;
                entry.subtable.for_each_bucket(&guard, |bucket| {
                    found = found || bucket.iter().any(overlapping);
                });
                if found {
                    return true;
                }
            }
        }
        false
    }

    /// Calls `f` on every rule visible at `version`, subtable by subtable.
    pub fn for_each_visible(&self, version: Version, mut f: impl FnMut(&RuleRef<N, R>)) {
        let list = self.list.load();
        let guard = self.collector.enter();
        for entry in list.entries.iter() {
            entry.subtable.for_each_bucket(&guard, |bucket| {
                bucket
                    .iter()
                    .filter(|r| r.is_visible(version))
                    .for_each(&mut f);
            });
        }
    }

    /// Every rule visible at `version`.
    pub fn rules_visible(&self, version: Version) -> Vec<RuleRef<N, R>> {
        let mut rules = Vec::new();
        self.for_each_visible(version, |r| rules.push(r.clone()));
        rules
    }

    /// Number of rules visible at `version` (walks every rule).
    pub fn len_visible(&self, version: Version) -> usize {
        let mut n = 0;
        self.for_each_visible(version, |_| n += 1);
        n
    }

    /// Number of live rules (not removed at any version); O(1).
    pub fn len(&self) -> usize {
        self.live_rules.load(Ordering::Relaxed)
    }

    /// True if there is no live rule.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Current counters.
    pub fn stats(&self) -> ClassifierStats {
        ClassifierStats {
            subtables: self.subtable_count.load(Ordering::Relaxed),
            live_rules: self.live_rules.load(Ordering::Relaxed),
            linked_rules: self.linked_rules.load(Ordering::Relaxed),
            lookups: self
                .lookup_counters
                .iter()
                .map(|c| c.lookups.load(Ordering::Relaxed))
                .sum(),
            subtables_visited: self
                .lookup_counters
                .iter()
                .map(|c| c.subtables_visited.load(Ordering::Relaxed))
                .sum(),
        }
    }
}

impl<const N: usize, R: Send + Sync + 'static> fmt::Debug for Classifier<N, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Classifier")
            .field("words", &N)
            .field("stats", &self.stats())
            .finish()
    }
}
