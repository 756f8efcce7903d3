//! Classifier benchmarks: bulk insertion (the flow-table share of
//! installing 1 M flows) and lookups against 1, 10 and 100 subtables.
//!
//! Run with `cargo bench -p switch --bench classifier`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use switch::classifier::{Classifier, ClassifierConfig};

/// Words in the benchmark key (a flow key of 64 bytes).
const N: usize = 8;
type Key = [u64; N];

mod common;
use common::Rng;

/// A random benchmark key.
fn key(rng: &mut Rng) -> Key {
    std::array::from_fn(|_| rng.next())
}

/// The `i`-th of up to 128 distinct masks, shaped like OpenFlow matches:
/// in_port always, then various field combinations.
fn mask(i: usize) -> Key {
    [
        0xffff_ffff,
        !0u64 << (i % 64),
        if i >= 64 { !0 } else { 0 },
        0xffff_ffff_0000_0000,
        0,
        0,
        0xffff,
        0,
    ]
}

fn config() -> ClassifierConfig {
    ClassifierConfig {
        max_rules: 2_000_000,
        ..ClassifierConfig::default()
    }
}

fn insert_1m(c: &mut Criterion) {
    const RULES: usize = 1_000_000;
    let mut rng = Rng(1);
    let rules: Vec<(Key, Key, u32)> = (0..RULES)
        .map(|i| (key(&mut rng), mask(i % 4), (rng.next() % 1000) as u32))
        .collect();
    let mut group = c.benchmark_group("classifier");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(RULES as u64));
    group.bench_function("insert_1m_4_subtables", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let cls: Classifier<N, u32> = Classifier::new(config()).unwrap();
                let start = Instant::now();
                for (i, (key, mask, priority)) in rules.iter().enumerate() {
                    cls.insert(*key, *mask, *priority, 1, i as u32).unwrap();
                }
                total += start.elapsed();
                black_box(&cls);
            }
            total
        })
    });
    group.finish();
}

/// Lookups of keys that hit a rule and of keys that miss, with the rules
/// spread over 1, 10 and 100 subtables. "random" priorities make every
/// subtable hold high and low priorities, so a lookup searches them all;
/// "banded" gives each subtable its own priority band (as ACL layers do),
/// so a lookup stops after the subtable that holds its rule.
fn lookups(c: &mut Criterion) {
    const RULES: usize = 10_000;
    const PROBES: usize = 4096;
    let mut group = c.benchmark_group("classifier_lookup");
    group.throughput(Throughput::Elements(PROBES as u64));
    for subtables in [1usize, 10, 100] {
        for banded in [false, true] {
            let mut rng = Rng(7);
            let cls: Classifier<N, u32> = Classifier::new(config()).unwrap();
            let mut hits = Vec::with_capacity(PROBES);
            for i in 0..RULES {
                let key = key(&mut rng);
                let s = i % subtables;
                let priority = (rng.next() % 1000) as u32;
                let priority = if banded {
                    (subtables - s) as u32 * 1000 + priority
                } else {
                    priority
                };
                cls.insert(key, mask(s), priority, 1, i as u32).unwrap();
                if hits.len() < PROBES {
                    hits.push(key);
                }
            }
            let misses: Vec<Key> = (0..PROBES).map(|_| key(&mut rng)).collect();
            let prio = if banded { "banded" } else { "random" };
            for (kind, probes) in [("hit", &hits), ("miss", &misses)] {
                let before = cls.stats();
                let id = BenchmarkId::new(format!("{kind}_{prio}"), subtables);
                group.bench_with_input(id, probes, |b, probes| {
                    b.iter(|| {
                        for key in probes.iter() {
                            let mut wc = [0u64; N];
                            black_box(cls.lookup(key, 1, &mut wc));
                        }
                    })
                });
                let after = cls.stats();
                let lookups = after.lookups - before.lookups;
                if lookups > 0 {
                    eprintln!(
                        "{kind}_{prio}/{subtables}: {:.2} subtables searched per lookup",
                        (after.subtables_visited - before.subtables_visited) as f64
                            / lookups as f64
                    );
                }
            }
        }
    }
    group.finish();
}

/// The benchmark group (`criterion_group!` generates an undocumented fn).
#[allow(missing_docs)]
mod group {
    use super::{insert_1m, lookups};
    criterion::criterion_group!(benches, insert_1m, lookups);
}

criterion_main!(group::benches);
