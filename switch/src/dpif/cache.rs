//! The flow caches a PMD keeps for each OpenFlow bridge it serves: an
//! exact-match cache in front of a megaflow classifier, both holding
//! recorded translations ([`CachedXlate`]).
//!
//! A megaflow is valid for the table version it was translated at (and
//! the bridge's fail-open state then); a hit on an older one is treated as
//! a miss, the stale megaflow is removed and the packet translated again,
//! so no packet follows rules older than the version its PMD has seen (the
//! barrier waits for that). Megaflows unused for [`MAX_IDLE_SECS`] go.

use std::cell::RefCell;

use super::dpcls::{Dpcls, Megaflow, MegaflowRef, Probe};
use super::emc::{emc_hash, Emc};
use super::prefetch;
use super::stats::{bump, PmdStats};
use crate::flow::{extract_into, Flow, Layout, PacketBuf};
use crate::ofproto::table::Tables;
use crate::xlate::record::{input_port_mask, DpOp, Program, Recording, Script};
use crate::xlate::{count_lookups, count_rules, run_program, DropReason, Emit, TableTally, Xlate};

/// Megaflows per bridge per PMD.
pub const MAX_MEGAFLOWS: usize = 65536;
/// Distinct megaflow masks per bridge per PMD: a traffic pattern that
/// would need more takes the slow path instead of slowing every lookup.
pub const MAX_SUBTABLES: usize = 128;
/// Seconds a megaflow may stay unused.
pub const MAX_IDLE_SECS: u64 = 10;
/// The share of a PMD's time upcalls (full translations) may take while
/// the bridge has established traffic on it: one in this many
/// nanoseconds. Misses beyond it are dropped and counted, so a flood of
/// new flows cannot starve the established ones; without established
/// traffic there is nothing to protect and every miss is translated.
pub const UPCALL_SHARE: u64 = 2;
/// Upcall time a PMD may bank while it has little to translate, for
/// bursts of new flows (nanoseconds).
pub const UPCALL_BURST_NS: i64 = 5_000_000;
/// Batches after the last one with a cache hit during which the bridge's
/// traffic on this PMD counts as established.
pub const ESTABLISHED_BATCHES: u32 = 256;

/// The upcall time a PMD has left: a token bucket of nanoseconds, filled
/// at [`UPCALL_SHARE`] of the time that passes, holding at most
/// [`UPCALL_BURST_NS`], spent by the time each upcall takes.
#[derive(Debug, Clone, Copy)]
pub struct UpcallBudget {
    credit_ns: i64,
    last_ns: u64,
}

impl Default for UpcallBudget {
    fn default() -> Self {
        UpcallBudget {
            credit_ns: UPCALL_BURST_NS,
            last_ns: 0,
        }
    }
}

impl UpcallBudget {
    /// Adds the credit earned since the last call (clock in nanoseconds).
    pub fn refill(&mut self, now_ns: u64) {
        let earned = now_ns.saturating_sub(self.last_ns) / UPCALL_SHARE;
        self.last_ns = self.last_ns.max(now_ns);
        self.credit_ns = self
            .credit_ns
            .saturating_add(i64::try_from(earned).unwrap_or(i64::MAX))
            .min(UPCALL_BURST_NS);
    }

    /// Whether an upcall may start.
    pub fn allows(&self) -> bool {
        self.credit_ns > 0
    }

    /// Charges an upcall that took `ns` nanoseconds. The debt is bounded
    /// (a burst's worth), so that a flood of new flows without established
    /// traffic, which is never held back, cannot hold back the next ones
    /// for long.
    pub fn spend(&mut self, ns: u64) {
        self.credit_ns = self
            .credit_ns
            .saturating_sub(i64::try_from(ns).unwrap_or(i64::MAX))
            .max(-UPCALL_BURST_NS);
    }
}

/// A translation recorded for replay.
#[derive(Debug, Clone)]
pub struct CachedXlate {
    /// The rules its lookups found.
    pub script: Script,
    /// What it did to the packet, when that is all it did: hits run this
    /// instead of replaying the rules.
    pub program: Option<Program>,
    /// Whether the bridge was fail-open.
    pub fail_open: bool,
    /// Packets replayed since the table and rule counters were last
    /// brought up to date ([`FlowCache::flush_counts`]).
    pub pending_packets: u64,
    /// Their bytes.
    pub pending_bytes: u64,
}

impl CachedXlate {
    /// Holds `packets` packets of `bytes` bytes for the next
    /// [`FlowCache::flush_counts`]; `r` (this megaflow) joins `touched` the
    /// first time.
    fn defer(&mut self, r: MegaflowRef, touched: &mut Vec<MegaflowRef>, packets: u64, bytes: u64) {
        if self.pending_packets == 0 {
            touched.push(r);
        }
        self.pending_packets += packets;
        self.pending_bytes += bytes;
    }

    /// Prefetches the program's steps and the script when they do not
    /// fit inline.
    #[inline]
    fn prefetch(&self) {
        if let Some(p) = self.program.as_ref().filter(|p| p.ops.spilled()) {
            prefetch(p.ops.as_slice());
        }
        if self.script.spilled() {
            prefetch(self.script.as_slice());
        }
    }

    /// A recorded translation with nothing pending.
    pub fn new(script: Script, program: Option<Program>, fail_open: bool) -> Self {
        CachedXlate {
            script,
            program,
            fail_open,
            pending_packets: 0,
            pending_bytes: 0,
        }
    }
}

/// What [`FlowCache::classify`] found for one packet of a batch.
#[derive(Debug, Clone, Copy, Default)]
enum Found {
    /// Not looked up (or to be looked up again).
    #[default]
    Unknown,
    /// The port's simple match (the packet was not parsed).
    Simple(MegaflowRef),
    /// An exact-match cache entry (its megaflow not yet checked).
    Emc(MegaflowRef),
    /// A megaflow, and the subtables probed to find it.
    Megaflow(MegaflowRef, u32),
    /// No megaflow.
    Miss,
}

/// The batch being forwarded: what [`FlowCache::classify`] computed for
/// each packet.
struct Staged {
    /// Packets in the batch.
    n: usize,
    /// Their flow keys and header layouts.
    keys: [(Flow, Layout); dpdk::BURST],
    /// Their exact-match hashes.
    hash: [u32; dpdk::BURST],
    /// Their megaflow candidates.
    probe: [Probe; dpdk::BURST],
    /// What the lookups found.
    found: [Found; dpdk::BURST],
    /// The megaflows changed since the lookups (an upcall installed one, a
    /// stale one was removed).
    dirty: bool,
    /// Whether the upcall budget applies to the batch (the bridge has
    /// established traffic here).
    limited: bool,
    /// Batches since the last one with a cache hit (saturating).
    since_hit: u32,
}

impl Staged {
    /// Whether the batch's misses are held to the upcall budget: while the
    /// bridge has established traffic here (a hit in this batch or one of
    /// the [`ESTABLISHED_BATCHES`] before).
    fn set_limited(&mut self) {
        let hits = self.found[..self.n]
            .iter()
            .any(|f| matches!(f, Found::Simple(_) | Found::Emc(_) | Found::Megaflow(..)));
        self.since_hit = if hits {
            0
        } else {
            self.since_hit.saturating_add(1)
        };
        self.limited = self.since_hit < ESTABLISHED_BATCHES;
    }
}

impl Default for Staged {
    fn default() -> Self {
        Staged {
            n: 0,
            keys: [(Flow::ZERO, Layout::default()); dpdk::BURST],
            hash: [0; dpdk::BURST],
            probe: [Probe::default(); dpdk::BURST],
            found: [Found::Unknown; dpdk::BURST],
            dirty: false,
            limited: false,
            since_hit: ESTABLISHED_BATCHES,
        }
    }
}

/// The caches of one bridge on one PMD.
pub struct FlowCache {
    /// Exact-match cache.
    pub emc: Emc,
    /// Megaflows.
    pub dpcls: Dpcls<CachedXlate>,
    /// When idle megaflows were last swept (seconds).
    pub last_sweep: u64,
    /// Megaflows with pending counts.
    touched: Vec<MegaflowRef>,
    /// Megaflows that consulted nothing but the input port and only
    /// output the packet, by input port: packets from such a port need no
    /// parsing and no lookup (the megaflows of one version never overlap,
    /// so no other can match them).
    by_port: Vec<(u32, MegaflowRef)>,
    /// The mask of the input port alone.
    port_mask: Flow,
    /// The batch being forwarded.
    staged: Box<Staged>,
    /// Table counters of the megaflows being flushed.
    tally: TableTally,
    /// Upcall time left.
    pub upcall_budget: UpcallBudget,
}

impl Default for FlowCache {
    fn default() -> Self {
        FlowCache {
            emc: Emc::default(),
            dpcls: Dpcls::new(MAX_MEGAFLOWS, MAX_SUBTABLES),
            last_sweep: 0,
            touched: Vec::with_capacity(dpdk::BURST),
            by_port: Vec::new(),
            port_mask: input_port_mask(),
            staged: Box::default(),
            tally: TableTally::default(),
            upcall_budget: UpcallBudget::default(),
        }
    }
}

impl FlowCache {
    /// Removes megaflows unused for [`MAX_IDLE_SECS`] at `now` (at most
    /// once a second).
    pub fn sweep(&mut self, now: u64) {
        if now == self.last_sweep {
            return;
        }
        self.last_sweep = now;
        self.dpcls
            .retain(|m| now.saturating_sub(m.used) < MAX_IDLE_SECS);
    }

    /// Adds the replayed packets' counts to the tables and rules they
    /// matched: one update per megaflow instead of one per packet. Called
    /// at the end of every batch, and before the megaflows change, so no
    /// count is lost and `dump-flows` lags by one batch at most.
    pub fn flush_counts(&mut self, tables: &Tables, now_ns: u64) {
        let tally = &mut self.tally;
        for r in self.touched.drain(..) {
            if let Some(mf) = self.dpcls.get_mut(r) {
                let a = &mut mf.actions;
                count_rules(
                    &a.script,
                    a.pending_packets,
                    a.pending_bytes,
                    now_ns,
                    |t, lookups, matched| tally.add(t, lookups, matched),
                );
                a.pending_packets = 0;
                a.pending_bytes = 0;
            }
        }
        tally.apply(tables);
    }
}

/// What the caches did with a batch, added to the PMD's counters once.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheCounts {
    /// Hits of megaflows that depend on the input port alone.
    pub simple_match_hits: u64,
    /// Exact-match cache hits.
    pub emc_hits: u64,
    /// Megaflow classifier hits.
    pub megaflow_hits: u64,
    /// Subtables probed for those hits.
    pub subtable_lookups: u64,
    /// Misses installed as megaflows.
    pub upcall_ok: u64,
    /// Misses translated but not installed.
    pub upcall_failed: u64,
    /// Misses beyond the upcall budget (dropped).
    pub upcall_lost: u64,
}

impl CacheCounts {
    /// Adds the counts to a PMD's counters.
    pub fn add_to(&self, s: &PmdStats) {
        bump(&s.simple_match_hits, self.simple_match_hits);
        bump(&s.emc_hits, self.emc_hits);
        bump(&s.megaflow_hits, self.megaflow_hits);
        bump(&s.megaflow_subtable_lookups, self.subtable_lookups);
        bump(&s.upcall_ok, self.upcall_ok);
        bump(&s.upcall_failed, self.upcall_failed);
        bump(&s.upcall_lost, self.upcall_lost);
    }
}

impl FlowCache {
    /// The one port a batch of `packets` packets (`bytes` bytes) received
    /// on `in_port` goes to, when the port's simple match outputs to a
    /// single port and nothing else: its megaflow and the rules' counters
    /// take the whole batch at once and the caller sends it whole. `None`:
    /// forward the packets one by one.
    /// `bytes` is called only then, so other batches do not pay for
    /// summing their lengths.
    pub fn simple_batch(
        &mut self,
        base: &Xlate<'_>,
        in_port: u32,
        packets: u64,
        bytes: impl FnOnce() -> u64,
        counts: &mut CacheCounts,
    ) -> Option<u32> {
        if packets == 0 {
            return None;
        }
        let r = self.port_megaflow(base, in_port)?;
        let mf = self
            .dpcls
            .get_mut(r)
            .expect("port_megaflow gives live ones");
        let port = match mf.actions.program.as_ref()?.ops.as_slice() {
            [(DpOp::Output(port), _)] => *port,
            _ => return None,
        };
        let bytes = bytes();
        mf.hit(packets, bytes, u64::from(base.now_secs));
        mf.actions.defer(r, &mut self.touched, packets, bytes);
        counts.simple_match_hits += packets;
        Some(port)
    }

    /// The simple match of `in_port`: its megaflow, when there is one valid
    /// at `base`'s version (and the debug check, which replays every hit,
    /// is off). An entry whose megaflow is gone is dropped.
    fn port_megaflow(&mut self, base: &Xlate<'_>, in_port: u32) -> Option<MegaflowRef> {
        if base.check.is_some() {
            return None;
        }
        let i = self.by_port.iter().position(|(p, _)| *p == in_port)?;
        let r = self.by_port[i].1;
        match self.dpcls.get(r) {
            Some(mf) => valid_at(mf, base).then_some(r),
            None => {
                self.by_port.swap_remove(i);
                None
            }
        }
    }

    /// Forwards one packet received on OpenFlow port `in_port`: a batch of
    /// one for [`FlowCache::classify`] and [`FlowCache::forward_classified`].
    pub fn forward<P: PacketBuf, E: Emit<P>>(
        &mut self,
        base: &Xlate<'_>,
        in_port: u32,
        pkt: P,
        emit: &mut E,
        counts: &mut CacheCounts,
    ) {
        self.classify(base, in_port, std::iter::once(pkt.data()));
        self.forward_classified(0, base, in_port, pkt, emit, counts);
    }

    /// Looks up a batch of packets received on OpenFlow port `in_port`
    /// (their data, in order; at most [`dpdk::BURST`]), for
    /// [`FlowCache::forward_classified`] to forward one by one. A port with
    /// a simple match needs nothing; otherwise each packet's flow key, its
    /// exact-match cache slots, then for those not in the cache their
    /// megaflow candidates, each step over the whole batch with the next
    /// step's memory prefetched, so that the cache misses of the batch's
    /// packets overlap.
    pub fn classify<'d>(
        &mut self,
        base: &Xlate<'_>,
        in_port: u32,
        data: impl Iterator<Item = &'d [u8]>,
    ) {
        let simple = self.port_megaflow(base, in_port);
        self.upcall_budget.refill(base.now_ns);
        let use_emc = self.emc.begin_batch();
        let st = &mut *self.staged;
        st.dirty = false;
        st.n = 0;
        for (i, d) in data.take(dpdk::BURST).enumerate() {
            st.n = i + 1;
            if let Some(r) = simple {
                st.found[i] = Found::Simple(r);
                continue;
            }
            let (flow, layout) = &mut st.keys[i];
            extract_into(d, in_port, flow, layout);
            if use_emc {
                st.hash[i] = emc_hash(flow);
                self.emc.prefetch(st.hash[i]);
            }
        }
        if simple.is_some() {
            st.set_limited();
            return;
        }
        for i in 0..st.n {
            let flow = &st.keys[i].0;
            st.found[i] = match self.emc.lookup(flow, st.hash[i]) {
                Some(r) => {
                    self.dpcls.prefetch(r.idx);
                    Found::Emc(r)
                }
                None => {
                    st.probe[i] = self.dpcls.probe(flow);
                    self.dpcls.prefetch_probe(&st.probe[i]);
                    Found::Unknown
                }
            };
        }
        for i in 0..st.n {
            if let Found::Unknown = st.found[i] {
                st.found[i] = match self.dpcls.confirm(&st.keys[i].0, &st.probe[i]) {
                    (Some(r), probed) => Found::Megaflow(r, probed),
                    (None, _) => Found::Miss,
                };
            }
        }
        st.set_limited();
        // Programs and scripts too long to be held inline live apart from
        // their megaflows.
        for found in &st.found[..st.n] {
            if let Found::Emc(r) | Found::Megaflow(r, _) = *found {
                if let Some(mf) = self.dpcls.get(r) {
                    mf.actions.prefetch();
                }
            }
        }
    }

    /// Forwards packet `i` of the batch [`FlowCache::classify`] looked up:
    /// a hit runs its megaflow; a miss (or a megaflow translated at another
    /// table version or fail-open state) is translated in full by `base`,
    /// recording what it consulted, and becomes a megaflow. A hit with a
    /// program runs it; others replay the recorded rules through the same
    /// translator, so edits, groups, meters, packet-ins and rule counters
    /// are those of the full pipeline. `counts` gathers what happened;
    /// misses beyond the upcall budget (which applies while the bridge has
    /// established traffic on this PMD) are dropped.
    pub fn forward_classified<P: PacketBuf, E: Emit<P>>(
        &mut self,
        i: usize,
        base: &Xlate<'_>,
        in_port: u32,
        pkt: P,
        emit: &mut E,
        counts: &mut CacheCounts,
    ) {
        let simple = match self.staged.found[i] {
            Found::Simple(r) if self.dpcls.get(r).is_some_and(|mf| valid_at(mf, base)) => Some(r),
            Found::Simple(_) => {
                // Not parsed by the lookups: parse now, look up again.
                let (flow, layout) = &mut self.staged.keys[i];
                extract_into(pkt.data(), in_port, flow, layout);
                self.staged.hash[i] = emc_hash(flow);
                self.staged.found[i] = Found::Unknown;
                None
            }
            _ => None,
        };
        let hit = match simple {
            Some(r) => {
                counts.simple_match_hits += 1;
                Some(r)
            }
            None => {
                if self.staged.dirty {
                    // An earlier packet of the batch changed the megaflows:
                    // what the lookups found may be gone, and a miss may
                    // now hit.
                    self.staged.found[i] = Found::Unknown;
                }
                self.resolve(i, base, counts)
            }
        };
        if let Some(r) = hit {
            // (A simple match's program only outputs: it never reads the
            // flow and layout, which the lookups did not fill.)
            let (flow, layout) = &mut self.staged.keys[i];
            run_hit(
                &mut self.dpcls,
                &mut self.touched,
                r,
                base,
                in_port,
                pkt,
                flow,
                layout,
                emit,
            );
            return;
        }
        if self.staged.limited && !self.upcall_budget.allows() {
            counts.upcall_lost += 1;
            emit.drop_packet(pkt, DropReason::UpcallBudget);
            return;
        }
        let started = std::time::Instant::now();
        let (flow, layout) = self.staged.keys[i];
        let hash = self.staged.hash[i];
        let rec = RefCell::new(Recording::new());
        let upcall = Xlate {
            rec: Some(&rec),
            cursor: Default::default(),
            ..*base
        };
        upcall.run_extracted(in_port, pkt, flow, layout, emit);
        let rec = rec.into_inner();
        if rec.cacheable {
            self.flush_counts(base.tables, base.now_ns);
        }
        let simple = rec.mask == self.port_mask
            && rec
                .program
                .as_ref()
                .is_some_and(|p| p.ops.iter().all(|(op, _)| matches!(op, DpOp::Output(_))));
        let now = u64::from(base.now_secs);
        let installed = rec.cacheable
            && self
                .dpcls
                .insert(
                    &flow,
                    &rec.mask,
                    CachedXlate::new(rec.script, rec.program, base.fail_open),
                    base.version,
                    now,
                )
                .inspect(|r| {
                    self.staged.dirty = true;
                    if simple {
                        self.by_port.retain(|(p, _)| *p != in_port);
                        self.by_port.push((in_port, *r));
                    }
                    let dpcls = &self.dpcls;
                    self.emc.insert(&flow, hash, *r, |x| dpcls.get(x).is_some());
                })
                .is_ok();
        if installed {
            counts.upcall_ok += 1;
        } else {
            counts.upcall_failed += 1;
        }
        self.upcall_budget
            .spend(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }

    /// The megaflow valid at `base` that packet `i` of the batch hits,
    /// counted in `counts`, or `None` for a miss. A megaflow translated at
    /// an older version is removed (the packet is then a miss).
    fn resolve(
        &mut self,
        i: usize,
        base: &Xlate<'_>,
        counts: &mut CacheCounts,
    ) -> Option<MegaflowRef> {
        let valid = |dpcls: &Dpcls<CachedXlate>, r: MegaflowRef| {
            dpcls.get(r).is_some_and(|mf| valid_at(mf, base))
        };
        let st = &mut *self.staged;
        let (flow, hash) = (&st.keys[i].0, st.hash[i]);
        let found = match st.found[i] {
            Found::Emc(r) if valid(&self.dpcls, r) => {
                counts.emc_hits += 1;
                return Some(r);
            }
            Found::Megaflow(r, probed) => (Some(r), probed),
            Found::Miss => (None, 0),
            // Not looked up since the megaflows changed, or an exact-match
            // entry whose megaflow is stale: look up now.
            _ => match self
                .emc
                .lookup(flow, hash)
                .filter(|r| valid(&self.dpcls, *r))
            {
                Some(r) => {
                    counts.emc_hits += 1;
                    return Some(r);
                }
                None => self.dpcls.lookup(flow),
            },
        };
        match found {
            (Some(r), probed) if valid(&self.dpcls, r) => {
                counts.megaflow_hits += 1;
                counts.subtable_lookups += u64::from(probed);
                let dpcls = &self.dpcls;
                self.emc.insert(flow, hash, r, |x| dpcls.get(x).is_some());
                Some(r)
            }
            // Translated at an older version: translate again.
            (Some(stale), _) => {
                self.flush_counts(base.tables, base.now_ns);
                self.dpcls.remove(stale);
                self.staged.dirty = true;
                None
            }
            (None, _) => None,
        }
    }
}

/// Whether megaflow `mf` was translated at `base`'s version and fail-open
/// state.
fn valid_at(mf: &Megaflow<CachedXlate>, base: &Xlate<'_>) -> bool {
    mf.version == base.version && mf.actions.fail_open == base.fail_open
}

/// A hit of megaflow `r` (valid at `base`'s version): its compiled
/// program, or a replay of its rules through the translator when it has
/// none (or under the debug check, which checks every replayed lookup).
/// The table and rule counters wait for [`FlowCache::flush_counts`]
/// unless the run stopped before the last lookup.
#[allow(clippy::too_many_arguments)]
fn run_hit<P: PacketBuf, E: Emit<P>>(
    dpcls: &mut Dpcls<CachedXlate>,
    touched: &mut Vec<MegaflowRef>,
    r: MegaflowRef,
    base: &Xlate<'_>,
    in_port: u32,
    pkt: P,
    flow: &mut Flow,
    layout: &mut Layout,
    emit: &mut E,
) {
    let mf = dpcls.get_mut(r).expect("a hit is live");
    let len = pkt.len() as u64;
    mf.hit(1, len, u64::from(base.now_secs));
    let script = &mf.actions.script;
    let done = match &mf.actions.program {
        Some(prog) if base.check.is_none() => {
            run_program(prog, pkt, flow, layout, emit).map_or(script.len(), usize::from)
        }
        _ => {
            let replay = Xlate {
                script: Some(script),
                cursor: Default::default(),
                defer_counts: true,
                ..*base
            };
            replay.run_extracted(in_port, pkt, *flow, *layout, emit);
            replay.cursor.get()
        }
    }
    .min(script.len());
    if done == script.len() {
        mf.actions.defer(r, touched, 1, len);
    } else {
        // Stopped early (a meter dropped it, a copy failed): it made only
        // the first lookups; count those now.
        count_lookups(base.tables, &script[..done], 1, len, base.now_ns);
    }
}

/// Every bridge's caches on one PMD, by pipeline identity.
#[derive(Default)]
pub struct PmdCache {
    bridges: Vec<(usize, FlowCache)>,
}

impl PmdCache {
    /// The caches for the pipeline identified by `key` (created on first
    /// use).
    pub fn bridge(&mut self, key: usize) -> &mut FlowCache {
        let i = match self.bridges.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                self.bridges.push((key, FlowCache::default()));
                self.bridges.len() - 1
            }
        };
        &mut self.bridges[i].1
    }

    /// Megaflows over every bridge.
    pub fn megaflows(&self) -> usize {
        self.bridges.iter().map(|(_, c)| c.dpcls.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upcall_debt_is_bounded_and_repaid_by_time() {
        let mut b = UpcallBudget::default();
        b.refill(1_000);
        assert!(b.allows());
        // A long flood's worth of upcalls: the debt stops at one burst.
        b.spend(10_000_000_000);
        assert!(!b.allows());
        let repaid = 1_000 + UPCALL_SHARE * UPCALL_BURST_NS as u64;
        b.refill(repaid - 1);
        assert!(!b.allows());
        b.refill(repaid + 10 * UPCALL_SHARE);
        assert!(b.allows());
        // Credit never exceeds a burst, however long the quiet.
        b.refill(u64::MAX / 2);
        b.spend(UPCALL_BURST_NS as u64);
        assert!(!b.allows());
    }
}
