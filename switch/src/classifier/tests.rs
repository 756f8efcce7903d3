//! Classifier tests: unit cases, a brute-force oracle (proptest) and a
//! concurrent reader/writer test.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use proptest::prelude::*;

use super::*;

const W: usize = 4;
type Key = [u64; W];

/// A rule as the oracle sees it.
#[derive(Debug, Clone)]
struct ModelRule {
    id: u32,
    key: Key,
    mask: Key,
    priority: u32,
    add: Version,
    remove: Version,
}

impl ModelRule {
    fn visible(&self, v: Version) -> bool {
        self.add <= v && v < self.remove
    }

    fn matches(&self, key: &Key) -> bool {
        (0..W).all(|i| key[i] & self.mask[i] == self.key[i])
    }
}

/// Brute force: best visible matching rule (highest priority, then first
/// inserted = lowest id, since ids follow insertion order).
fn scan(rules: &[ModelRule], key: &Key, v: Version) -> Option<u32> {
    rules
        .iter()
        .filter(|r| r.visible(v) && r.matches(key))
        .max_by(|a, b| a.priority.cmp(&b.priority).then(b.id.cmp(&a.id)))
        .map(|r| r.id)
}

fn masked(key: &Key, mask: &Key) -> Key {
    std::array::from_fn(|i| key[i] & mask[i])
}

/// Applies an insert to both the classifier and the model.
fn insert(
    cls: &Classifier<W, u32>,
    model: &mut Vec<ModelRule>,
    key: Key,
    mask: Key,
    priority: u32,
    v: Version,
) -> Result<(), InsertError> {
    let id = model.len() as u32;
    let ins = cls.insert(key, mask, priority, v, id)?;
    let key = masked(&key, &mask);
    let expect_replaced = model
        .iter_mut()
        .find(|r| r.key == key && r.mask == mask && r.priority == priority && r.remove == u64::MAX);
    match (expect_replaced, &ins.replaced) {
        (Some(old), Some(got)) => {
            assert_eq!(*got.payload(), old.id);
            old.remove = v.max(old.add);
        }
        (None, None) => {}
        (e, g) => panic!("replacement mismatch: expected {e:?}, got {g:?}"),
    }
    model.push(ModelRule {
        id,
        key,
        mask,
        priority,
        add: v,
        remove: u64::MAX,
    });
    Ok(())
}

fn cls(stage_ends: &[usize]) -> Classifier<W, u32> {
    Classifier::new(ClassifierConfig {
        stage_ends: stage_ends.to_vec(),
        ..ClassifierConfig::default()
    })
    .unwrap()
}

fn lookup(c: &Classifier<W, u32>, key: &Key, v: Version) -> (Option<u32>, Key) {
    let mut wc = [0; W];
    let r = c.lookup(key, v, &mut wc);
    (r.map(|r| *r.payload()), wc)
}

#[test]
fn config_is_validated() {
    let bad = |ends: Vec<usize>| {
        Classifier::<W, ()>::new(ClassifierConfig {
            stage_ends: ends,
            ..ClassifierConfig::default()
        })
        .unwrap_err()
    };
    assert!(matches!(bad(vec![2, 2]), ConfigError::BadStageEnds { .. }));
    assert!(matches!(bad(vec![0]), ConfigError::BadStageEnds { .. }));
    assert!(matches!(bad(vec![4]), ConfigError::BadStageEnds { .. }));
    assert!(bad(vec![1, 2, 4]).to_string().contains("between 1 and 3"));
    let many = Classifier::<16, ()>::new(ClassifierConfig {
        stage_ends: (1..9).collect(),
        ..ClassifierConfig::default()
    });
    assert!(matches!(many, Err(ConfigError::TooManyStages { count: 8 })));
}

#[test]
fn priority_then_insertion_order_wins() {
    let c = cls(&[]);
    let mut m = Vec::new();
    insert(&c, &mut m, [1, 0, 0, 0], [0xff, 0, 0, 0], 10, 1).unwrap();
    insert(&c, &mut m, [0, 2, 0, 0], [0, 0xff, 0, 0], 10, 1).unwrap();
    insert(&c, &mut m, [1, 2, 0, 0], [0xff, 0xff, 0, 0], 5, 1).unwrap();
    assert_eq!(
        lookup(&c, &[1, 2, 0, 0], 1).0,
        Some(0),
        "tie: first inserted"
    );
    assert_eq!(lookup(&c, &[9, 2, 0, 0], 1).0, Some(1));
    assert_eq!(lookup(&c, &[9, 9, 0, 0], 1).0, None);
    assert_eq!(
        lookup(&c, &[1, 2, 0, 0], 0).0,
        None,
        "not visible before its version"
    );
}

#[test]
fn skipped_subtables_do_not_unwildcard() {
    let c = cls(&[]);
    c.insert([1, 0, 0, 0], [0xff, 0, 0, 0], 100, 1, 0).unwrap();
    c.insert([0, 0, 0, 7], [0, 0, 0, 0xff], 1, 1, 1).unwrap();
    let (r, wc) = lookup(&c, &[1, 5, 5, 7], 1);
    assert_eq!(r, Some(0));
    assert_eq!(wc, [0xff, 0, 0, 0], "low-priority subtable must be skipped");
    assert_eq!(c.stats().subtables_visited, 1);
    let (r, wc) = lookup(&c, &[2, 5, 5, 7], 1);
    assert_eq!(r, Some(1));
    assert_eq!(wc, [0xff, 0, 0, 0xff]);
}

#[test]
fn staged_miss_keeps_later_stages_wildcarded() {
    let c = cls(&[1, 2, 3]);
    // An "ACL" on in_port (word 0) and L4 (word 3).
    c.insert([1, 0, 0, 80], [0xff, 0, 0, 0xffff], 10, 1, 0)
        .unwrap();
    let (r, wc) = lookup(&c, &[2, 0, 0, 80], 1);
    assert_eq!(r, None);
    assert_eq!(wc, [0xff, 0, 0, 0], "in_port miss must not un-wildcard L4");
    let (r, wc) = lookup(&c, &[1, 0, 0, 443], 1);
    assert_eq!(r, None);
    assert_eq!(wc, [0xff, 0, 0, 0xffff]);
}

#[test]
fn lookup_counters_add_up_across_threads() {
    let c = cls(&[]);
    c.insert([1, 0, 0, 0], [0xff, 0, 0, 0], 1, 1, 0).unwrap();
    c.insert([0, 1, 0, 0], [0, 0xff, 0, 0], 1, 1, 1).unwrap();
    std::thread::scope(|s| {
        for _ in 0..5 {
            s.spawn(|| {
                for _ in 0..10 {
                    lookup(&c, &[9, 9, 0, 0], 1);
                }
            });
        }
    });
    let stats = c.stats();
    assert_eq!((stats.lookups, stats.subtables_visited), (50, 100));
    assert_eq!(stats.avg_subtables_per_lookup(), 2.0);
    assert_eq!(
        (stats.subtables, stats.live_rules, stats.linked_rules),
        (2, 2, 2)
    );
}

#[test]
fn removal_is_versioned_and_gc_unlinks() {
    let c = cls(&[]);
    let r = c
        .insert([1, 0, 0, 0], [0xff, 0, 0, 0], 1, 1, 7)
        .unwrap()
        .rule;
    assert!(c.remove(&r, 3));
    assert!(!c.remove(&r, 4));
    assert_eq!(lookup(&c, &[1, 0, 0, 0], 2).0, Some(7));
    assert_eq!(lookup(&c, &[1, 0, 0, 0], 3).0, None);
    assert_eq!(c.len(), 0);
    assert_eq!(c.stats().linked_rules, 1);
    assert_eq!(c.gc(2), 0, "still visible at version 2");
    assert_eq!(c.gc(3), 1);
    let s = c.stats();
    assert_eq!((s.linked_rules, s.subtables), (0, 0));
    assert_eq!(lookup(&c, &[1, 0, 0, 0], 2).0, None);
}

#[test]
fn bounds_refuse_with_typed_errors() {
    let c: Classifier<W, u32> = Classifier::new(ClassifierConfig {
        max_subtables: 2,
        max_rules: 3,
        stage_ends: vec![],
    })
    .unwrap();
    c.insert([1, 0, 0, 0], [0xff, 0, 0, 0], 1, 1, 0).unwrap();
    c.insert([0, 1, 0, 0], [0, 0xff, 0, 0], 1, 1, 1).unwrap();
    assert_eq!(
        c.insert([0, 0, 1, 0], [0, 0, 0xff, 0], 1, 1, 2)
            .unwrap_err(),
        InsertError::TooManySubtables { limit: 2 }
    );
    c.insert([2, 0, 0, 0], [0xff, 0, 0, 0], 1, 1, 3).unwrap();
    assert_eq!(
        c.insert([3, 0, 0, 0], [0xff, 0, 0, 0], 1, 1, 4)
            .unwrap_err(),
        InsertError::TooManyRules { limit: 3 }
    );
    // Replacing an existing rule does not need room.
    let ins = c.insert([2, 0, 0, 0], [0xff, 0, 0, 0], 1, 2, 5).unwrap();
    assert_eq!(ins.replaced.map(|r| *r.payload()), Some(3));
    assert_eq!(lookup(&c, &[2, 0, 0, 0], 1).0, Some(3));
    assert_eq!(lookup(&c, &[2, 0, 0, 0], 2).0, Some(5));
    assert_eq!(c.len(), 3);
}

#[test]
fn raised_bound_keeps_lookups_exact_until_the_list_is_resorted() {
    let c = cls(&[]);
    c.insert([0; W], [0; W], 1, 1, 0).unwrap();
    c.insert([1, 0, 0, 0], [0xff, 0, 0, 0], 1, 1, 1).unwrap();
    // Raises the second subtable's bound above the first one's.
    c.insert([1, 0, 0, 0], [0xff, 0, 0, 0], 50, 2, 2).unwrap();
    let visited = |key: &Key| {
        let before = c.stats().subtables_visited;
        let (r, _) = lookup(&c, key, 2);
        (r, c.stats().subtables_visited - before)
    };
    assert_eq!(
        visited(&[1, 0, 0, 0]),
        (Some(2), 2),
        "unsorted: no early stop"
    );
    assert_eq!(
        lookup(&c, &[1, 0, 0, 0], 1).0,
        Some(0),
        "older version: a tie, the first inserted wins"
    );
    // As many inserts as subtables later, the list is sorted again.
    c.insert([2, 0, 0, 0], [0xff, 0, 0, 0], 1, 2, 3).unwrap();
    assert_eq!(
        visited(&[1, 0, 0, 0]),
        (Some(2), 1),
        "sorted: stops after the best"
    );
    assert_eq!(visited(&[3, 0, 0, 0]), (Some(0), 2));
}

#[test]
fn queries_cover_strict_loose_and_overlap() {
    let c = cls(&[]);
    let mut m = Vec::new();
    insert(&c, &mut m, [1, 2, 0, 0], [0xff, 0xff, 0, 0], 5, 1).unwrap();
    insert(&c, &mut m, [1, 3, 0, 0], [0xff, 0xff, 0, 0], 5, 1).unwrap();
    insert(&c, &mut m, [1, 0, 0, 0], [0xff, 0, 0, 0], 5, 1).unwrap();
    insert(&c, &mut m, [0, 0, 9, 0], [0, 0, 0xff, 0], 6, 1).unwrap();
    let exact = c.find_exact(&[1, 2, 7, 7], &[0xff, 0xff, 0, 0], 5, 1);
    assert_eq!(exact.map(|r| *r.payload()), Some(0));
    assert!(c
        .find_exact(&[1, 2, 0, 0], &[0xff, 0xff, 0, 0], 6, 1)
        .is_none());
    let mut loose = Vec::new();
    c.for_each_loose(&[1, 0, 0, 0], &[0xff, 0, 0, 0], 1, |r| {
        loose.push(*r.payload())
    });
    loose.sort();
    assert_eq!(loose, [0, 1, 2]);
    assert!(c.overlaps(&[0, 2, 0, 0], &[0, 0xff, 0, 0], 5, 1));
    assert!(!c.overlaps(&[2, 0, 0, 0], &[0xff, 0, 0, 0], 5, 1));
    assert!(c.overlaps(&[0, 0, 9, 1], &[0, 0, 0xff, 0xff], 6, 1));
    assert!(!c.overlaps(&[0, 0, 8, 1], &[0, 0, 0xff, 0xff], 6, 1));
    let gone = c
        .remove_exact(&[1, 3, 0, 0], &[0xff, 0xff, 0, 0], 5, 2)
        .unwrap();
    assert_eq!(*gone.payload(), 1);
    assert_eq!(c.len_visible(1), 4);
    assert_eq!(c.len_visible(2), 3);
    assert_eq!(c.rules_visible(2).len(), 3);
}

// ---------------------------------------------------------------- oracle

/// Masks as flow tables use them (whole fields, prefixes, nothing) plus a
/// few random ones; key words have 4 significant bits so rules collide.
fn mask_strategy() -> impl Strategy<Value = Key> {
    prop_oneof![
        Just([0xf, 0, 0, 0]),
        Just([0xf, 0xf, 0, 0]),
        Just([0, 0xf, 0xf, 0]),
        Just([0xf, 0, 0xc, 0xf]),
        Just([0xf, 0xf, 0xf, 0xf]),
        Just([0, 0, 0, 0]),
        Just([0, 0, 0x8, 0]),
        prop::array::uniform4(0u64..16),
    ]
}

fn key_strategy() -> impl Strategy<Value = Key> {
    prop::array::uniform4(0u64..16)
}

#[derive(Debug, Clone)]
enum Op {
    Insert {
        key: Key,
        mask: Key,
        priority: u32,
    },
    /// Removes the live rule at this index among live rules (modulo).
    Remove(usize),
    /// Starts the next version.
    Advance,
    /// Collects garbage up to this many versions back (and forgets the
    /// older versions in the checks).
    Gc(u64),
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (key_strategy(), mask_strategy(), 0u32..6)
            .prop_map(|(key, mask, priority)| Op::Insert { key, mask, priority }),
        2 => any::<usize>().prop_map(Op::Remove),
        2 => Just(Op::Advance),
        1 => (0u64..3).prop_map(Op::Gc),
    ]
}

fn stage_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        Just(vec![]),
        Just(vec![1, 2, 3]),
        Just(vec![2]),
        Just(vec![1, 3])
    ]
}

/// Checks lookups at `v` against the scan, and that `wc` is sound: keys
/// that agree with the probe on `wc` get the same rule.
fn check_lookups(
    c: &Classifier<W, u32>,
    model: &[ModelRule],
    keys: &[Key],
    noise: &[Key],
    v: Version,
) -> Result<(), TestCaseError> {
    for key in keys {
        let (got, wc) = lookup(c, key, v);
        prop_assert_eq!(got, scan(model, key, v), "lookup {:?} at {}", key, v);
        // Random fill-ins, and the keys of every rule: the fill-ins most
        // likely to expose a bit that should have been un-wildcarded.
        for n in noise.iter().chain(model.iter().map(|r| &r.key)) {
            let other: Key = std::array::from_fn(|i| (key[i] & wc[i]) | (n[i] & !wc[i]));
            prop_assert_eq!(
                scan(model, &other, v),
                got,
                "wc {:?} unsound: {:?} agrees with {:?}",
                wc,
                other,
                key
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn lookup_equals_linear_scan_at_every_version(
        stages in stage_strategy(),
        ops in prop::collection::vec(op_strategy(), 1..80),
        keys in prop::collection::vec(key_strategy(), 8),
        noise in prop::collection::vec(key_strategy(), 6),
    ) {
        let c = cls(&stages);
        let mut model = Vec::new();
        let mut v: Version = 1;
        let mut floor: Version = 0;
        for op in ops {
            match op {
                Op::Insert { key, mask, priority } => {
                    insert(&c, &mut model, key, mask, priority, v).unwrap();
                }
                Op::Remove(i) => {
                    let live: Vec<usize> = (0..model.len())
                        .filter(|&j| model[j].remove == u64::MAX)
                        .collect();
                    if !live.is_empty() {
                        let j = live[i % live.len()];
                        let r = c
                            .find_exact(&model[j].key, &model[j].mask, model[j].priority, v)
                            .expect("live rule visible at the writer's version");
                        prop_assert_eq!(*r.payload(), model[j].id);
                        prop_assert!(c.remove(&r, v));
                        model[j].remove = v.max(model[j].add);
                    }
                }
                Op::Advance => {
                    // Readers may now use v; check every version still in use.
                    for x in floor..=v {
                        check_lookups(&c, &model, &keys, &noise, x)?;
                    }
                    v += 1;
                }
                Op::Gc(back) => {
                    floor = floor.max(v.saturating_sub(back));
                    c.gc(floor);
                }
            }
        }
        for x in floor..=v {
            check_lookups(&c, &model, &keys, &noise, x)?;
        }
        let live = model.iter().filter(|r| r.remove == u64::MAX).count();
        prop_assert_eq!(c.len(), live);
        for x in floor..=v {
            let mut got: Vec<u32> = c.rules_visible(x).iter().map(|r| *r.payload()).collect();
            got.sort();
            let want: Vec<u32> = model.iter().filter(|r| r.visible(x)).map(|r| r.id).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn queries_equal_brute_force(
        stages in stage_strategy(),
        rules in prop::collection::vec((key_strategy(), mask_strategy(), 0u32..4, 1u64..4), 0..60),
        removals in prop::collection::vec((any::<usize>(), 1u64..5), 0..10),
        probes in prop::collection::vec((key_strategy(), mask_strategy(), 0u32..4), 12),
    ) {
        let c = cls(&stages);
        let mut model = Vec::new();
        let mut sorted = rules;
        sorted.sort_by_key(|r| r.3);
        for (key, mask, priority, v) in sorted {
            insert(&c, &mut model, key, mask, priority, v).unwrap();
        }
        for (i, v) in removals {
            if model.is_empty() {
                break;
            }
            let j = i % model.len();
            let rr = c.find_exact(&model[j].key, &model[j].mask, model[j].priority, 4);
            if let Some(rr) = rr {
                if *rr.payload() == model[j].id && rr.is_live() {
                    let v = v.max(model[j].add);
                    c.remove(&rr, v);
                    model[j].remove = v;
                }
            }
        }
        for v in 0..6 {
            for (key, mask, priority) in &probes {
                let key = masked(key, mask);
                let exact = c.find_exact(&key, mask, *priority, v).map(|r| *r.payload());
                let want = model.iter().find(|r| {
                    r.visible(v) && r.key == key && r.mask == *mask && r.priority == *priority
                });
                prop_assert_eq!(exact, want.map(|r| r.id));

                let mut loose = Vec::new();
                c.for_each_loose(&key, mask, v, |r| loose.push(*r.payload()));
                loose.sort();
                let want: Vec<u32> = model
                    .iter()
                    .filter(|r| {
                        r.visible(v)
                            && (0..W).all(|i| r.mask[i] & mask[i] == mask[i]
                                && r.key[i] & mask[i] == key[i])
                    })
                    .map(|r| r.id)
                    .collect();
                prop_assert_eq!(&loose, &want);

                // The same rules by the prefetching walk, highest priority
                // first.
                let (mut ahead, mut ordered) = (Vec::new(), Vec::new());
                c.for_each_loose_by_priority(
                    &key,
                    mask,
                    v,
                    v % 2 == 0,
                    |r| ahead.push(*r.payload()),
                    |r| ordered.push((r.priority(), *r.payload())),
                );
                prop_assert!(ordered.windows(2).all(|w| w[0].0 >= w[1].0), "{:?}", ordered);
                let mut ids: Vec<u32> = ordered.iter().map(|o| o.1).collect();
                // Every rule given to `f` was given to `ahead` first (which
                // may have seen others too).
                let mut announced = ahead.iter();
                prop_assert!(ids.iter().all(|id| announced.any(|a| a == id)), "{:?} {:?}", ids, ahead);
                ids.sort();
                prop_assert_eq!(ids, want);

                let want = model.iter().any(|r| {
                    r.visible(v)
                        && r.priority == *priority
                        && (0..W).all(|i| (r.key[i] ^ key[i]) & r.mask[i] & mask[i] == 0)
                });
                prop_assert_eq!(c.overlaps(&key, mask, *priority, v), want);
            }
        }
    }
}

// ----------------------------------------------------------- concurrency

/// Payload that counts its drops.
struct Counted {
    id: u32,
    drops: Arc<AtomicUsize>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// xorshift64*: a small deterministic generator shared by writer and
/// readers' checks.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn concurrent_readers_see_exactly_their_version() {
    let masks = [
        [0xf, 0, 0, 0],
        [0xf, 0xf, 0, 0],
        [0, 0xf, 0xf, 0],
        [0xf, 0xf, 0xf, 0xf],
        [0, 0, 0, 0],
    ];
    run_concurrent(&masks, 12, 30, Some(4), vec![1, 2]);
}

/// Many masks, few short-lived rules: subtables are created, emptied and
/// dropped by `gc` while readers use them.
#[test]
fn concurrent_readers_survive_subtable_churn() {
    // The 16 whole-word combinations and 8 partial masks.
    let whole = (0..16u64).map(|i| std::array::from_fn(|w| ((i >> w) & 1) * 0xf));
    let partial = (0..8u64).map(|i| [1 << (i % 4), 0x3, 0, 0x8 >> (i / 4)]);
    let masks: Vec<Key> = whole.chain(partial).collect();
    assert!(
        run_concurrent(&masks, 4, 6, None, vec![]),
        "the schedule must empty and drop subtables"
    );
}

/// One writer applies a random schedule (`per_version` rules per version
/// over `masks`, living up to `max_life` versions, one in `keep_one_in`
/// never removed) while two readers look up random keys at the version
/// they last saw and compare with a scan of the schedule. Returns whether
/// `gc` ever dropped a subtable.
fn run_concurrent(
    masks: &[Key],
    per_version: usize,
    max_life: u64,
    keep_one_in: Option<u64>,
    stage_ends: Vec<usize>,
) -> bool {
    const VERSIONS: u64 = 150;
    const READERS: usize = 2;
    // The schedule: every rule with the versions that bound it, decided
    // up front so readers can compute what is visible at any version.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut model: Vec<ModelRule> = Vec::new();
    for v in 1..=VERSIONS {
        for _ in 0..per_version {
            let mask = masks[(rng.next() % masks.len() as u64) as usize];
            let key: Key = std::array::from_fn(|_| rng.next() % 16);
            let key = masked(&key, &mask);
            let priority = (rng.next() % 8) as u32;
            // Keep (match, priority) unique among overlapping lifetimes so
            // the schedule has no implicit replacement.
            if model
                .iter()
                .any(|r| r.key == key && r.mask == mask && r.priority == priority && r.remove >= v)
            {
                continue;
            }
            let life = 1 + rng.next() % max_life;
            let remove = if keep_one_in.is_some_and(|k| rng.next() % k == k - 1) {
                u64::MAX
            } else {
                v + life
            };
            model.push(ModelRule {
                id: model.len() as u32,
                key,
                mask,
                priority,
                add: v,
                remove,
            });
        }
    }
    let model = Arc::new(model);
    let drops = Arc::new(AtomicUsize::new(0));
    let c: Arc<Classifier<W, Counted>> = Arc::new(
        Classifier::new(ClassifierConfig {
            stage_ends,
            ..ClassifierConfig::default()
        })
        .unwrap(),
    );
    let published = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let reader_versions: Arc<Vec<AtomicU64>> =
        Arc::new((0..READERS).map(|_| AtomicU64::new(0)).collect());

    let readers: Vec<_> = (0..READERS)
        .map(|n| {
            let (c, model, published, done, slots) = (
                Arc::clone(&c),
                Arc::clone(&model),
                Arc::clone(&published),
                Arc::clone(&done),
                Arc::clone(&reader_versions),
            );
            std::thread::spawn(move || {
                let mut rng = Rng(0x1234_5678 + n as u64);
                let mut checked = 0u64;
                while !done.load(Ordering::Acquire) || checked == 0 {
                    let v = published.load(Ordering::Acquire);
                    slots[n].store(v, Ordering::Release);
                    for _ in 0..64 {
                        let key: Key = std::array::from_fn(|_| rng.next() % 16);
                        let mut wc = [0; W];
                        let got = c.lookup(&key, v, &mut wc).map(|r| r.payload().id);
                        assert_eq!(got, scan(&model, &key, v), "key {key:?} at version {v}");
                        checked += 1;
                    }
                }
                checked
            })
        })
        .collect();

    let mut handles: Vec<Option<RuleRef<W, Counted>>> = vec![None; model.len()];
    let (mut subtables_dropped, mut last_subtables) = (false, 0);
    for v in 1..=VERSIONS {
        for r in model.iter().filter(|r| r.add == v) {
            let payload = Counted {
                id: r.id,
                drops: Arc::clone(&drops),
            };
            let ins = c.insert(r.key, r.mask, r.priority, v, payload).unwrap();
            assert!(ins.replaced.is_none());
            handles[r.id as usize] = Some(ins.rule);
        }
        for r in model.iter().filter(|r| r.remove == v) {
            let h = handles[r.id as usize].take().expect("inserted earlier");
            assert!(c.remove(&h, v));
        }
        published.store(v, Ordering::Release);
        // Let the readers reach this version (bounded), so that what the
        // schedule removed is reclaimed whatever the machine's load.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while reader_versions
            .iter()
            .any(|s| s.load(Ordering::Acquire) < v)
            && std::time::Instant::now() < deadline
        {
            std::thread::yield_now();
        }
        let oldest = reader_versions
            .iter()
            .map(|s| s.load(Ordering::Acquire))
            .min()
            .unwrap_or(v);
        c.gc(oldest);
        let subtables = c.stats().subtables;
        subtables_dropped |= subtables < last_subtables;
        last_subtables = subtables;
        std::thread::yield_now();
    }
    done.store(true, Ordering::Release);
    let checked: u64 = readers.into_iter().map(|h| h.join().unwrap()).sum();
    assert!(checked > 0);
    c.gc(VERSIONS);
    let live = model.iter().filter(|r| r.remove > VERSIONS).count();
    assert_eq!(c.len(), live);
    assert_eq!(c.stats().linked_rules, live);
    drop(handles);
    drop(Arc::into_inner(c).expect("readers joined"));
    assert_eq!(
        drops.load(Ordering::Relaxed),
        model.len(),
        "every payload dropped once"
    );
    subtables_dropped
}

#[test]
fn restore_takes_back_an_unpublished_removal() {
    let cls: Classifier<2, u32> = Classifier::new(ClassifierConfig::default()).unwrap();
    let r = cls.insert([1, 0], [u64::MAX, 0], 5, 1, 7).unwrap().rule;
    assert!(cls.remove(&r, 2));
    assert!(!cls.restore(&r, 3), "removed at 2, not 3");
    assert!(cls.restore(&r, 2));
    assert_eq!(cls.len(), 1);
    let mut wc = [0; 2];
    assert!(
        cls.lookup(&[1, 0], 2, &mut wc).is_some(),
        "visible again at 2"
    );
    // gc is not blocked by it and does not unlink it.
    assert_eq!(cls.gc(10), 0);
    assert!(cls.lookup(&[1, 0], 10, &mut wc).is_some());
    // Removed again later, it goes away once.
    assert!(cls.remove(&r, 11));
    assert_eq!(cls.gc(11), 1);
    assert!(cls.lookup(&[1, 0], 11, &mut wc).is_none());
}

proptest! {
    /// The radix sort gives the order of a comparison sort, for addresses
    /// spread over one allocation or many, in any number of passes, and
    /// for a part of a list.
    #[test]
    fn by_address_sorts_as_a_comparison_sort(
        picks in prop::collection::vec(0usize..4096, 0..600),
        boxed in prop::collection::vec(any::<u64>(), 0..50),
    ) {
        let near: Vec<u64> = vec![0; 4096];
        let far: Vec<Box<u64>> = boxed.into_iter().map(Box::new).collect();
        let mut items: Vec<&u64> = picks.iter().map(|&i| &near[i]).collect();
        items.extend(far.iter().map(|b| &**b));
        let addr = |x: &u64| std::ptr::from_ref(x) as usize;
        let mut want = items.clone();
        want.sort_unstable_by_key(|&x| addr(x));
        let (mut scratch, mut counts) = (Vec::new(), Vec::new());
        let mut got = items.clone();
        by_address(&mut got, &mut scratch, &mut counts, addr);
        prop_assert!(got.iter().zip(&want).all(|(a, b)| std::ptr::eq(*a, *b)));
        prop_assert_eq!(got.len(), want.len());
        // Half of the list, the rest untouched.
        let half = items.len() / 2;
        let mut part = items.clone();
        by_address(&mut part[half..], &mut scratch, &mut counts, addr);
        let mut want = items[half..].to_vec();
        want.sort_unstable_by_key(|&x| addr(x));
        prop_assert!(part[..half].iter().zip(&items[..half]).all(|(a, b)| std::ptr::eq(*a, *b)));
        prop_assert!(part[half..].iter().zip(&want).all(|(a, b)| std::ptr::eq(*a, *b)));
    }
}

/// Sorting by address only moves references: every rule keeps as many,
/// none is dropped until they all are, then each once.
#[test]
fn sorting_by_address_moves_references_only() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mask = Arc::new(Mask::new([u64::MAX; 1]));
    let rules: Vec<RuleRef<1, Counted>> = (0..2000u32)
        .map(|i| {
            let payload = Counted {
                id: i,
                drops: Arc::clone(&drops),
            };
            RuleRef::new(
                [u64::from(i)],
                Arc::clone(&mask),
                1,
                u64::from(i),
                0,
                payload,
            )
        })
        .collect();
    // Shuffled (a fixed permutation), some rules twice.
    let mut walked: Vec<RuleRef<1, Counted>> = (0..3000usize)
        .map(|i| rules[(i * 7919) % rules.len()].clone())
        .collect();
    let mut ids_before: Vec<u32> = walked.iter().map(|r| r.payload().id).collect();
    sort_by_address(&mut walked);
    assert!(walked.windows(2).all(|w| w[0].address() <= w[1].address()));
    let mut ids_after: Vec<u32> = walked.iter().map(|r| r.payload().id).collect();
    ids_before.sort_unstable();
    ids_after.sort_unstable();
    assert_eq!(ids_before, ids_after);
    drop(walked);
    assert_eq!(
        drops.load(Ordering::Relaxed),
        0,
        "the originals still hold every rule"
    );
    drop(rules);
    assert_eq!(drops.load(Ordering::Relaxed), 2000);
}
