//! OpenFlow flow tables: flow-mod semantics over the versioned classifier.
//!
//! Each of the 254 tables is a [`Classifier`] over [`Flow`] words whose
//! payload is a [`FlowRule`]. Changes are made at the *next* version and
//! become visible to lookups and statistics when [`Tables::commit`]
//! publishes it (once per barrier, statistics request or batch of messages
//! read together), so a flow-mod is an insert, never a copy of a table.
//!
//! A modification replaces a rule by a new one with the same match and
//! priority (the classifier's insert replaces the old rule at that
//! version); the new rule shares the old one's counters unless
//! `OFPFF_RESET_COUNTS` is set, so counting is never lost across a modify.
//!
//! Validation before any change (a failing flow-mod changes nothing): the
//! match (`match_to_flow`: prerequisites, duplicates, masks), the command,
//! table ids, flags, and the instructions (goto only to a later table;
//! meters and groups must exist; output ports must be valid).
//!
//! Thread safety: the control thread owns `Tables` (behind the bridge's
//! mutex); readers of the classifier (future PMD upcalls) never block.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openflow::action::Action;
use openflow::flow_mod::{FlowMod, FlowRemoved};
use openflow::instruction::Instruction;
use openflow::multipart::{
    ActionId, AggregateStats, FlowStats, FlowStatsEntry, FlowStatsHead, FlowStatsRequest,
    InstructionId, TableDesc, TableFeatureProp, TableFeatures, TableStats, TableVacancy,
};
use openflow::oxm::OxmId;
use openflow::port::{OFPP_ANY, OFPP_MAX, OFPP_TABLE};
use openflow::{ErrorKind, Version as OfVersion};

use super::group::Groups;
use super::meter::Meters;
use crate::classifier::{
    Classifier, ClassifierConfig, InsertError, Inserted, Rule, RuleRef, Version,
};
use crate::flow::{flow_to_match, match_to_flow, Flow, MatchBuilder, FLOW_WORDS};

/// Number of flow tables (0..=253).
pub const N_TABLES: usize = 254;
pub use openflow::multipart::OFPTT_ALL;
/// Flows per table unless configured otherwise.
pub const DEFAULT_MAX_FLOWS: usize = 1_000_000;

pub use openflow::flow_mod::{command, flags, removed};
pub use openflow::group::OFPG_ANY;

/// A rule's counters, shared across modifications.
#[derive(Debug, Default)]
pub struct Counters {
    /// Packets matched.
    pub packets: AtomicU64,
    /// Bytes matched.
    pub bytes: AtomicU64,
    /// Nanoseconds after the table's epoch of the last hit (0: never).
    pub last_hit_ns: AtomicU64,
}

/// The OpenFlow side of a rule.
#[derive(Debug)]
pub struct FlowRule {
    /// Table the rule is in.
    pub table_id: u8,
    /// Controller cookie.
    pub cookie: u64,
    /// Idle timeout (seconds, 0: none).
    pub idle_timeout: u16,
    /// Hard timeout (seconds, 0: none).
    pub hard_timeout: u16,
    /// `OFPFF_*` flags.
    pub flags: u16,
    /// Eviction importance (1.4).
    pub importance: u16,
    /// Instructions (a 1.0 action list is one apply-actions), shared with
    /// the flows added just before with the same ones.
    pub instructions: Arc<[Instruction]>,
    /// When the rule (or the add that replaced its predecessor) was made:
    /// nanoseconds after its tables' epoch ([`Tables::created`]).
    pub created_ns: u64,
    /// Counters.
    pub counters: Arc<Counters>,
}

/// A rule as the classifier holds it.
pub type RuleHandle = RuleRef<FLOW_WORDS, FlowRule>;

// A rule and its `Arc` counts fill mimalloc's 160-byte size class: a field
// more moves every flow to the 192-byte class.
const _: () = assert!(std::mem::size_of::<Rule<FLOW_WORDS, FlowRule>>() + 16 <= 160);

/// One flow table.
pub struct FlowTable {
    /// The rules.
    pub cls: Classifier<FLOW_WORDS, FlowRule>,
    /// Most flows the table holds.
    pub max_flows: usize,
    /// Packets looked up in this table.
    pub lookups: AtomicU64,
    /// Packets that matched a rule in this table.
    pub matches: AtomicU64,
    /// `OFPTC_*` config of the last table-mod: in 1.1/1.2 the table-miss
    /// behaviour (0 controller, 1 continue, 2 drop), in 1.4 eviction (4)
    /// and vacancy events (8).
    pub config: AtomicU32,
    /// 1.4 eviction property flags (`OFPTMPEF_*`).
    pub eviction_flags: AtomicU32,
    /// 1.4 vacancy thresholds and the last event sent.
    pub vacancy: Mutex<Option<Vacancy>>,
    /// Whether a full table evicts a flow to make room (Open vSwitch's
    /// `overflow_policy=evict`), besides a table-mod setting
    /// `OFPTC_EVICTION`.
    pub evict_when_full: AtomicBool,
}

/// A table's vacancy-event configuration (OpenFlow 1.4 table-mod).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vacancy {
    /// Below this free percentage a VACANCY_DOWN event is sent.
    pub down: u8,
    /// Above this free percentage, after a VACANCY_DOWN, a VACANCY_UP is sent.
    pub up: u8,
    /// The last event sent (`OFPTR_VACANCY_DOWN` or `_UP`), 0 for none.
    pub last: u8,
}

/// `OFPTR_VACANCY_DOWN`: a table's free space fell below `vacancy_down`.
pub const OFPTR_VACANCY_DOWN: u8 = 3;
/// `OFPTR_VACANCY_UP`: a table's free space rose above `vacancy_up`.
pub const OFPTR_VACANCY_UP: u8 = 4;

/// `OFPTMPEF_*` eviction flags (what the switch uses to choose a victim).
pub mod eviction_flags {
    /// Other factors (here: age, oldest first).
    pub const OTHER: u32 = 1 << 0;
    /// Flow importance, lowest first.
    pub const IMPORTANCE: u32 = 1 << 1;
    /// Remaining lifetime, shortest first.
    pub const LIFETIME: u32 = 1 << 2;
}

/// `OFPFME_*` flow monitor events a flow change gives.
pub use openflow::multipart::{OFPFME_ADDED, OFPFME_MODIFIED, OFPFME_REMOVED};

/// A change to a flow, reported to flow monitors (OpenFlow 1.4).
#[derive(Clone)]
pub struct FlowEvent {
    /// `OFPFME_ADDED`, `_MODIFIED` or `_REMOVED`.
    pub event: u16,
    /// `OFPRR_*` reason of a removal.
    pub reason: u8,
    /// The rule (the new one for additions and modifications).
    pub rule: RuleHandle,
}

/// A flow removed from a table, for an `OFPT_FLOW_REMOVED` message.
#[derive(Debug, Clone, PartialEq)]
pub struct RemovedFlow {
    /// `OFPRR_*` reason.
    pub reason: u8,
    /// The message body.
    pub msg: FlowRemoved,
}

/// The 254 tables of a bridge and their version.
///
/// Shared between the control thread (the only writer: flow-mods, commits,
/// expiry, all under the bridge's mutex) and the PMDs, which read the
/// published version and look rules up without locks.
pub struct Tables {
    /// Tables by id.
    pub tables: Vec<FlowTable>,
    /// The version lookups and statistics use.
    version: AtomicU64,
    /// Whether changes wait at `version + 1`.
    dirty: AtomicBool,
    /// Origin of `Counters::last_hit_ns`.
    pub epoch: Instant,
    /// Changes of the transaction in progress, for a rollback, and how
    /// many flow events were queued when it began.
    journal: Mutex<Option<(Vec<Undo>, usize)>>,
    /// Whether flow changes are recorded as [`FlowEvent`]s (some
    /// connection has a flow monitor).
    monitoring: AtomicBool,
    /// Flow changes not yet taken by [`Tables::take_events`].
    events: Mutex<Vec<FlowEvent>>,
    /// Whether some table sends vacancy events.
    any_vacancy: AtomicBool,
    /// Every rule with an idle or hard timeout, in insertion order, so
    /// that expiry visits these rules only; removed rules leave at the
    /// next [`Tables::expire`].
    expirable: Mutex<Vec<RuleHandle>>,
    /// The instructions of the last flow added or modified: the next flow
    /// with the same ones shares them (a controller installing many
    /// flows mostly gives them one action list: 80 bytes a flow saved).
    last_instructions: Mutex<Option<Arc<[Instruction]>>>,
}

/// One change of a transaction, as its undo.
enum Undo {
    /// A rule inserted at the next version.
    Inserted(RuleHandle),
    /// A rule removed at the next version.
    Removed(RuleHandle),
}

impl Default for Tables {
    fn default() -> Self {
        Tables::new(DEFAULT_MAX_FLOWS)
    }
}

fn err<T>(kind: ErrorKind) -> Result<T, ErrorKind> {
    Err(kind)
}

/// Locks `m`; a panic elsewhere while holding it does not poison the tables.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Requests what a flow-stats walk reads of a rule beyond the rule itself:
/// its counters and its instructions.
#[inline(always)]
pub(crate) fn prefetch_payload(p: &FlowRule) {
    crate::dpif::prefetch::<Counters>(&p.counters);
    crate::dpif::prefetch::<[Instruction]>(&p.instructions);
}

/// Requests the action lists of a rule's instructions, which a flow dump
/// encodes: once [`prefetch_payload`]'s request for the instructions has
/// been answered (their addresses are in them).
#[inline(always)]
pub(crate) fn prefetch_actions(p: &FlowRule) {
    for i in p.instructions.iter() {
        if let Instruction::ApplyActions(a) | Instruction::WriteActions(a) = i {
            crate::dpif::prefetch::<[Action]>(a);
        }
    }
}

/// The flow-stats entry of rule `r` for a reply in `of_version`, its
/// duration counted up to `now_ns` ([`Tables::now_ns`]); the match is
/// built in `matches`.
pub(crate) fn stats_entry<'a>(
    r: &'a Rule<FLOW_WORDS, FlowRule>,
    now_ns: u64,
    of_version: OfVersion,
    matches: &'a mut MatchBuilder,
) -> FlowStatsEntry<'a> {
    FlowStatsEntry {
        head: stats_head(r, now_ns, of_version),
        match_: matches.build(&Flow::from_words(r.key()), Flow::from_words_ref(r.mask())),
        instructions: &r.payload().instructions,
    }
}

/// The fields of [`stats_entry`] other than the match and the
/// instructions (counters read now).
pub(crate) fn stats_head(
    r: &Rule<FLOW_WORDS, FlowRule>,
    now_ns: u64,
    of_version: OfVersion,
) -> FlowStatsHead {
    let p = r.payload();
    let age = Duration::from_nanos(now_ns.saturating_sub(p.created_ns));
    FlowStatsHead {
        table_id: p.table_id,
        duration_sec: u32::try_from(age.as_secs()).unwrap_or(u32::MAX),
        duration_nsec: age.subsec_nanos(),
        priority: r.priority() as u16,
        idle_timeout: p.idle_timeout,
        hard_timeout: p.hard_timeout,
        flags: if of_version >= OfVersion::V1_3 {
            p.flags
        } else {
            0
        },
        importance: p.importance,
        cookie: p.cookie,
        packet_count: p.counters.packets.load(Ordering::Relaxed),
        byte_count: p.counters.bytes.load(Ordering::Relaxed),
    }
}

/// Whether `instructions` use meter `m`.
fn uses_meter(instructions: &[Instruction], m: u32) -> bool {
    instructions
        .iter()
        .any(|i| matches!(i, Instruction::Meter(x) if *x == m))
}

/// Whether `instructions` forward to group `g`.
fn uses_group(instructions: &[Instruction], g: u32) -> bool {
    instructions.iter().any(|i| match i {
        Instruction::ApplyActions(a) | Instruction::WriteActions(a) => {
            a.iter().any(|x| matches!(x, Action::Group(y) if *y == g))
        }
        _ => false,
    })
}

/// Whether `instructions` contain an output to `port` (any port for
/// `OFPP_ANY`) and to `group` (any group for `OFPG_ANY`).
pub(crate) fn outputs_to(instructions: &[Instruction], port: u32, group: u32) -> bool {
    let actions = instructions.iter().flat_map(|i| match i {
        Instruction::ApplyActions(a) | Instruction::WriteActions(a) => a.as_slice(),
        _ => &[],
    });
    let mut port_ok = port == OFPP_ANY;
    let mut group_ok = group == OFPG_ANY;
    if port_ok && group_ok {
        // No filter: the actions are not read (a walk over a million
        // rules would fetch every rule's action list for nothing).
        return true;
    }
    for a in actions {
        match a {
            Action::Output { port: p, .. } | Action::Enqueue { port: p, .. } if *p == port => {
                port_ok = true
            }
            Action::Group(g) if *g == group => group_ok = true,
            _ => {}
        }
    }
    port_ok && group_ok
}

impl Tables {
    /// Empty tables of at most `max_flows` flows each.
    pub fn new(max_flows: usize) -> Self {
        let tables = (0..N_TABLES)
            .map(|_| FlowTable {
                cls: Classifier::new(ClassifierConfig {
                    max_rules: max_flows,
                    ..ClassifierConfig::default()
                })
                .expect("the default classifier configuration is valid"),
                max_flows,
                lookups: AtomicU64::new(0),
                matches: AtomicU64::new(0),
                config: AtomicU32::new(0),
                eviction_flags: AtomicU32::new(0),
                vacancy: Mutex::new(None),
                evict_when_full: AtomicBool::new(false),
            })
            .collect();
        Tables {
            tables,
            version: AtomicU64::new(1),
            dirty: AtomicBool::new(false),
            epoch: Instant::now(),
            journal: Mutex::new(None),
            monitoring: AtomicBool::new(false),
            events: Mutex::new(Vec::new()),
            any_vacancy: AtomicBool::new(false),
            expirable: Mutex::new(Vec::new()),
            last_instructions: Mutex::new(None),
        }
    }

    /// Sets table `id`'s flow limit and whether it evicts when full
    /// (Open vSwitch's `Flow_Table` `flow_limit` and `overflow_policy`).
    pub fn set_limit(&mut self, id: u8, max_flows: usize, evict: bool) -> Result<(), String> {
        let t = self
            .tables
            .get_mut(usize::from(id))
            .ok_or_else(|| format!("flow table {id} does not exist (0..{N_TABLES})"))?;
        t.cls = Classifier::new(ClassifierConfig {
            max_rules: max_flows,
            ..ClassifierConfig::default()
        })
        .map_err(|e| format!("flow table {id}: flow_limit={max_flows}: {e}"))?;
        t.max_flows = max_flows;
        t.evict_when_full.store(evict, Ordering::Relaxed);
        // The old classifier's rules are gone with it.
        lock(&self.expirable).retain(|r| r.payload().table_id != id);
        Ok(())
    }

    /// Turns the recording of [`FlowEvent`]s on or off.
    pub fn set_monitoring(&self, on: bool) {
        self.monitoring.store(on, Ordering::Relaxed);
        if !on {
            lock(&self.events).clear();
        }
    }

    /// The flow changes recorded since the last call.
    pub fn take_events(&self) -> Vec<FlowEvent> {
        std::mem::take(&mut *lock(&self.events))
    }

    fn record(&self, event: u16, reason: u8, rule: &RuleHandle) {
        if self.monitoring.load(Ordering::Relaxed) {
            lock(&self.events).push(FlowEvent {
                event,
                reason,
                rule: rule.clone(),
            });
        }
    }

    /// Nanoseconds from the tables' epoch to now (the clock of
    /// [`FlowRule::created_ns`] and [`Counters::last_hit_ns`]).
    pub fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// When `p`, a rule of these tables, was made.
    pub fn created(&self, p: &FlowRule) -> Instant {
        self.epoch + Duration::from_nanos(p.created_ns)
    }

    /// The published version.
    pub fn version(&self) -> Version {
        self.version.load(Ordering::Acquire)
    }

    fn next(&self) -> Version {
        self.version() + 1
    }

    fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Relaxed);
    }

    /// Publishes pending changes; returns whether there were any.
    pub fn commit(&self) -> bool {
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return false;
        }
        self.version.fetch_add(1, Ordering::AcqRel);
        true
    }

    /// Starts a transaction (an OpenFlow bundle commit): every change from
    /// now on is journaled until [`Tables::rollback`] or [`Tables::finish`].
    pub fn begin(&self) {
        let queued = lock(&self.events).len();
        *lock(&self.journal) = Some((Vec::new(), queued));
    }

    /// Ends a transaction, keeping its changes.
    pub fn finish(&self) {
        *lock(&self.journal) = None;
    }

    /// Undoes every change of the transaction: they were all made at the
    /// unpublished next version, so no reader ever saw any of them.
    pub fn rollback(&self) {
        let (log, queued) = lock(&self.journal).take().unwrap_or_default();
        // Nothing of the transaction happened: no monitor hears of it.
        lock(&self.events).truncate(queued);
        let next = self.next();
        for undo in log.into_iter().rev() {
            match undo {
                Undo::Inserted(r) => {
                    self.tables[usize::from(r.payload().table_id)]
                        .cls
                        .remove(&r, next);
                }
                Undo::Removed(r) => {
                    self.tables[usize::from(r.payload().table_id)]
                        .cls
                        .restore(&r, next);
                }
            }
        }
    }

    /// `instructions` as a new flow holds them: those of the last flow
    /// made if they are equal, a copy otherwise.
    fn shared_instructions(&self, instructions: &[Instruction]) -> Arc<[Instruction]> {
        let mut last = lock(&self.last_instructions);
        match &*last {
            Some(shared) if **shared == *instructions => Arc::clone(shared),
            _ => Arc::clone(last.insert(instructions.into())),
        }
    }

    fn log(&self, undo: Undo) {
        if let Some((log, _)) = lock(&self.journal).as_mut() {
            log.push(undo);
        }
    }

    fn log_insert(&self, ins: &Inserted<FLOW_WORDS, FlowRule>) {
        if let Some(old) = &ins.replaced {
            self.log(Undo::Removed(old.clone()));
        }
        self.log(Undo::Inserted(ins.rule.clone()));
        let p = ins.rule.payload();
        if p.idle_timeout != 0 || p.hard_timeout != 0 {
            lock(&self.expirable).push(ins.rule.clone());
        }
        let event = if ins.replaced.is_some() {
            OFPFME_MODIFIED
        } else {
            OFPFME_ADDED
        };
        self.record(event, 0, &ins.rule);
    }

    /// Removes `r` at `next` for `reason`, journaled; returns its
    /// flow-removed message if it was removed and asked for one.
    fn remove_logged(&self, r: &RuleHandle, next: Version, reason: u8) -> Option<RemovedFlow> {
        let removed = self.tables[usize::from(r.payload().table_id)]
            .cls
            .remove(r, next);
        if !removed {
            return None;
        }
        self.log(Undo::Removed(r.clone()));
        self.record(OFPFME_REMOVED, reason, r);
        self.mark_dirty();
        (r.payload().flags & flags::SEND_FLOW_REM != 0).then(|| self.removed_flow(r, reason))
    }

    /// Unlinks the rules removed at or before `oldest_in_use`, the oldest
    /// version any reader may still hold (their memory is reclaimed once
    /// no reader can see them).
    pub fn gc(&self, oldest_in_use: Version) {
        for t in &self.tables {
            t.cls.gc(oldest_in_use);
        }
    }

    /// [`Tables::gc`] of at most `max` rules; returns whether removed
    /// rules are left to unlink.
    pub fn gc_some(&self, oldest_in_use: Version, max: usize) -> bool {
        let mut budget = max;
        for t in &self.tables {
            if budget == 0 {
                break;
            }
            budget -= t.cls.gc_some(oldest_in_use, budget);
        }
        self.tables.iter().any(|t| t.cls.has_garbage(oldest_in_use))
    }

    fn check_instructions(
        &self,
        table_id: u8,
        instructions: &[Instruction],
        groups: &Groups,
        meters: &Meters,
    ) -> Result<(), ErrorKind> {
        for ins in instructions {
            match ins {
                Instruction::GotoTable(t) => {
                    if *t <= table_id || usize::from(*t) >= N_TABLES {
                        return err(ErrorKind::BadInstructionTableId);
                    }
                }
                Instruction::Meter(m) if !meters.contains(*m) => {
                    return err(ErrorKind::UnknownMeter)
                }
                Instruction::Meter(_) => {}
                Instruction::ApplyActions(a) | Instruction::WriteActions(a) => {
                    check_actions(a, groups)?
                }
                Instruction::Experimenter { .. } => {
                    return err(ErrorKind::BadInstructionExperimenter)
                }
                Instruction::WriteMetadata { .. } | Instruction::ClearActions => {}
            }
        }
        Ok(())
    }

    /// Applies a flow-mod at the next version. On error nothing changed.
    /// Returns the flows it removed (for flow-removed messages).
    pub fn flow_mod(
        &self,
        fm: &FlowMod,
        of_version: OfVersion,
        groups: &Groups,
        meters: &Meters,
    ) -> Result<Vec<RemovedFlow>, ErrorKind> {
        let (key, mask) = match_to_flow(&fm.match_).map_err(|e| e.kind)?;
        let known = if of_version >= OfVersion::V1_3 {
            flags::SEND_FLOW_REM
                | flags::CHECK_OVERLAP
                | flags::RESET_COUNTS
                | flags::NO_PKT_COUNTS
                | flags::NO_BYT_COUNTS
        } else {
            flags::SEND_FLOW_REM | flags::CHECK_OVERLAP
        };
        if fm.flags & !known != 0 {
            return err(ErrorKind::BadFlowModFlags);
        }
        let table_id = fm.table_id;
        let is_delete = matches!(fm.command, command::DELETE | command::DELETE_STRICT);
        if table_id == OFPTT_ALL && !is_delete {
            return err(ErrorKind::BadFlowTableId);
        }
        if table_id != OFPTT_ALL && usize::from(table_id) >= N_TABLES {
            return err(ErrorKind::BadFlowTableId);
        }
        let priority = u32::from(fm.priority);
        let next = self.next();
        let cookie_ok = |r: &FlowRule| {
            of_version == OfVersion::V1_0 || (r.cookie ^ fm.cookie) & fm.cookie_mask == 0
        };
        match fm.command {
            command::ADD => {
                self.check_instructions(table_id, &fm.instructions, groups, meters)?;
                Ok(self
                    .add(fm, table_id, &key, &mask, priority)?
                    .into_iter()
                    .collect())
            }
            command::MODIFY | command::MODIFY_STRICT => {
                self.check_instructions(table_id, &fm.instructions, groups, meters)?;
                let t = &self.tables[usize::from(table_id)];
                let targets: Vec<RuleHandle> = if fm.command == command::MODIFY_STRICT {
                    t.cls
                        .find_exact(key.words(), mask.words(), priority, next)
                        .into_iter()
                        .collect()
                } else {
                    let mut v = Vec::new();
                    t.cls
                        .for_each_loose(key.words(), mask.words(), next, |r| v.push(r.clone()));
                    v
                };
                let targets: Vec<RuleHandle> = targets
                    .into_iter()
                    .filter(|r| cookie_ok(r.payload()))
                    .collect();
                if targets.is_empty() {
                    // OpenFlow 1.0: a modify that matches nothing adds.
                    if of_version == OfVersion::V1_0 {
                        return Ok(self
                            .add(fm, table_id, &key, &mask, priority)?
                            .into_iter()
                            .collect());
                    }
                    return Ok(Vec::new());
                }
                for r in targets {
                    let old = r.payload();
                    let counters = if fm.flags & flags::RESET_COUNTS != 0 {
                        Arc::new(Counters::default())
                    } else {
                        Arc::clone(&old.counters)
                    };
                    let rule = FlowRule {
                        table_id,
                        cookie: if of_version == OfVersion::V1_0 {
                            fm.cookie
                        } else {
                            old.cookie
                        },
                        idle_timeout: old.idle_timeout,
                        hard_timeout: old.hard_timeout,
                        flags: old.flags,
                        importance: old.importance,
                        instructions: self.shared_instructions(&fm.instructions),
                        created_ns: old.created_ns,
                        counters,
                    };
                    let ins = self.tables[usize::from(table_id)]
                        .cls
                        .insert(r.key(), *r.mask(), r.priority(), next, rule)
                        .map_err(insert_error)?;
                    self.log_insert(&ins);
                }
                self.mark_dirty();
                Ok(Vec::new())
            }
            command::DELETE | command::DELETE_STRICT => {
                let mut victims = Vec::new();
                for (id, t) in self.tables.iter().enumerate() {
                    if table_id != OFPTT_ALL && usize::from(table_id) != id {
                        continue;
                    }
                    if fm.command == command::DELETE_STRICT {
                        victims.extend(t.cls.find_exact(key.words(), mask.words(), priority, next));
                    } else {
                        t.cls.for_each_loose(key.words(), mask.words(), next, |r| {
                            victims.push(r.clone())
                        });
                    }
                }
                Ok(victims
                    .iter()
                    .filter(|r| {
                        let p = r.payload();
                        cookie_ok(p) && outputs_to(&p.instructions, fm.out_port, fm.out_group)
                    })
                    .filter_map(|r| self.remove_logged(r, next, removed::DELETE))
                    .collect())
            }
            _ => err(ErrorKind::BadFlowModCommand),
        }
    }

    /// Adds a flow; in a full table that evicts, another flow makes room
    /// (its flow-removed, reason EVICTION, is returned).
    fn add(
        &self,
        fm: &FlowMod,
        table_id: u8,
        key: &Flow,
        mask: &Flow,
        priority: u32,
    ) -> Result<Option<RemovedFlow>, ErrorKind> {
        let next = self.next();
        let t = &self.tables[usize::from(table_id)];
        if fm.flags & flags::CHECK_OVERLAP != 0
            && t.cls.overlaps(key.words(), mask.words(), priority, next)
        {
            return err(ErrorKind::FlowOverlap);
        }
        let mut evicted = None;
        // A full table makes room unless the flow replaces one; with room,
        // the insertion's own lookup finds what it replaces.
        if t.cls.len() >= t.max_flows
            && t.cls
                .find_exact(key.words(), mask.words(), priority, next)
                .is_none()
        {
            let victim = self.evicts(t).then(|| self.victim(t, next)).flatten();
            let Some(victim) = victim else {
                return err(ErrorKind::TableFull);
            };
            evicted = self.remove_logged(&victim, next, removed::EVICTION);
        }
        let ins = t
            .cls
            .insert_with(key.words(), mask.words(), priority, next, |old| {
                // Identical match and priority: the new flow replaces the
                // old one; counters carry over unless RESET_COUNTS
                // (OpenFlow 1.3, 6.4).
                let counters = match old {
                    Some(old) if fm.flags & flags::RESET_COUNTS == 0 => {
                        Arc::clone(&old.payload().counters)
                    }
                    _ => Arc::new(Counters::default()),
                };
                FlowRule {
                    table_id,
                    cookie: fm.cookie,
                    idle_timeout: fm.idle_timeout,
                    hard_timeout: fm.hard_timeout,
                    flags: fm.flags,
                    importance: fm.importance,
                    instructions: self.shared_instructions(&fm.instructions),
                    created_ns: self.now_ns(),
                    counters,
                }
            })
            .map_err(insert_error)?;
        self.log_insert(&ins);
        self.mark_dirty();
        Ok(evicted)
    }

    /// Whether table `t` evicts flows when full: `OFPTC_EVICTION` from a
    /// table-mod or the configured overflow policy.
    fn evicts(&self, t: &FlowTable) -> bool {
        t.evict_when_full.load(Ordering::Relaxed)
            || t.config.load(Ordering::Relaxed) & table_config::EVICTION != 0
    }

    /// The flow a full table gives up, by its eviction flags: lowest
    /// importance first (`OFPTMPEF_IMPORTANCE`, or no flags at all), then
    /// shortest remaining lifetime (`OFPTMPEF_LIFETIME`; flows without a
    /// timeout last), then the oldest. Walks the table: eviction is for
    /// tables kept small by their limit.
    fn victim(&self, t: &FlowTable, next: Version) -> Option<RuleHandle> {
        let ef = t.eviction_flags.load(Ordering::Relaxed);
        let by_importance = ef & eviction_flags::IMPORTANCE != 0 || ef == 0;
        let by_lifetime = ef & eviction_flags::LIFETIME != 0;
        let now = Instant::now();
        let rank = |r: &RuleHandle| {
            let p = r.payload();
            let importance = if by_importance { p.importance } else { 0 };
            let lifetime = if by_lifetime {
                self.remaining(p, now).unwrap_or(Duration::MAX)
            } else {
                Duration::ZERO
            };
            (importance, lifetime, p.created_ns)
        };
        let mut best: Option<(RuleHandle, (u16, Duration, u64))> = None;
        t.cls.for_each_visible(next, |r| {
            let k = rank(r);
            if best.as_ref().is_none_or(|(_, b)| k < *b) {
                best = Some((r.clone(), k));
            }
        });
        best.map(|(r, _)| r)
    }

    /// Time until `p` expires at `now` (`None`: no timeout).
    fn remaining(&self, p: &FlowRule, now: Instant) -> Option<Duration> {
        let hard = (p.hard_timeout != 0)
            .then(|| self.created(p) + Duration::from_secs(u64::from(p.hard_timeout)));
        let idle = (p.idle_timeout != 0)
            .then(|| self.last_used(p) + Duration::from_secs(u64::from(p.idle_timeout)));
        let end = match (hard, idle) {
            (Some(h), Some(i)) => h.min(i),
            (h, i) => h.or(i)?,
        };
        Some(end.saturating_duration_since(now))
    }

    /// When `p` last matched a packet (its creation if never).
    fn last_used(&self, p: &FlowRule) -> Instant {
        match p.counters.last_hit_ns.load(Ordering::Relaxed) {
            0 => self.created(p),
            ns => self.epoch + Duration::from_nanos(ns.max(p.created_ns)),
        }
    }

    fn removed_flow(&self, r: &RuleHandle, reason: u8) -> RemovedFlow {
        let p = r.payload();
        let age = self.created(p).elapsed();
        RemovedFlow {
            reason,
            msg: FlowRemoved {
                cookie: p.cookie,
                priority: r.priority() as u16,
                reason,
                table_id: p.table_id,
                duration_sec: u32::try_from(age.as_secs()).unwrap_or(u32::MAX),
                duration_nsec: age.subsec_nanos(),
                idle_timeout: p.idle_timeout,
                hard_timeout: p.hard_timeout,
                packet_count: p.counters.packets.load(Ordering::Relaxed),
                byte_count: p.counters.bytes.load(Ordering::Relaxed),
                match_: flow_to_match(&Flow::from_words(r.key()), Flow::from_words_ref(r.mask())),
            },
        }
    }

    /// Removes the flows that forward to one of `groups` (they were
    /// deleted); returns those with `SEND_FLOW_REM` (reason GROUP_DELETE).
    pub fn remove_group_users(&self, groups: &[u32]) -> Vec<RemovedFlow> {
        self.remove_users(removed::GROUP_DELETE, |ins| {
            groups.iter().any(|&g| uses_group(ins, g))
        })
    }

    /// Removes the flows that use one of `meters` (they were deleted);
    /// returns those with `SEND_FLOW_REM` (reason METER_DELETE).
    pub fn remove_meter_users(&self, meters: &[u32]) -> Vec<RemovedFlow> {
        self.remove_users(removed::METER_DELETE, |ins| {
            meters.iter().any(|&m| uses_meter(ins, m))
        })
    }

    /// Number of visible flows that use meter `m`.
    pub fn meter_flow_count(&self, m: u32) -> u32 {
        let mut n = 0;
        for t in &self.tables {
            t.cls.for_each_visible(self.version(), |r| {
                if uses_meter(&r.payload().instructions, m) {
                    n += 1;
                }
            });
        }
        n
    }

    /// Removes (at the next version) the visible flows whose instructions
    /// satisfy `uses`; returns those with `SEND_FLOW_REM`.
    fn remove_users(&self, reason: u8, uses: impl Fn(&[Instruction]) -> bool) -> Vec<RemovedFlow> {
        let next = self.next();
        let mut users = Vec::new();
        for t in &self.tables {
            t.cls.for_each_visible(next, |r| {
                if uses(&r.payload().instructions) {
                    users.push(r.clone());
                }
            });
        }
        users
            .iter()
            .filter_map(|r| self.remove_logged(r, next, reason))
            .collect()
    }

    /// Number of visible flows that forward to group `g`.
    pub fn group_ref_count(&self, g: u32) -> u32 {
        let mut n = 0;
        for t in &self.tables {
            t.cls.for_each_visible(self.version(), |r| {
                if uses_group(&r.payload().instructions, g) {
                    n += 1;
                }
            });
        }
        n
    }

    /// Removes (at the next version, committed by the caller) the flows
    /// whose idle or hard timeout passed at `now`; the ones with
    /// `SEND_FLOW_REM` are returned. Visits only the rules that have a
    /// timeout (and forgets the ones removed since the last call).
    pub fn expire(&self, now: Instant) -> Vec<RemovedFlow> {
        let next = self.next();
        let mut expired = Vec::new();
        lock(&self.expirable).retain(|r| {
            if !r.is_live() {
                return false;
            }
            let p = r.payload();
            let hard = p.hard_timeout != 0
                && now >= self.created(p) + Duration::from_secs(u64::from(p.hard_timeout));
            let last = self.last_used(p);
            let idle =
                p.idle_timeout != 0 && now >= last + Duration::from_secs(u64::from(p.idle_timeout));
            if hard {
                expired.push((r.clone(), removed::HARD_TIMEOUT));
            } else if idle {
                expired.push((r.clone(), removed::IDLE_TIMEOUT));
            }
            !(hard || idle)
        });
        expired
            .iter()
            .filter_map(|(r, reason)| self.remove_logged(r, next, *reason))
            .collect()
    }

    /// Calls `f` on every rule `req` selects (table, loose match, cookie,
    /// out port and group) at the published version: table by table,
    /// highest priority first, rules read ahead of use (a dump or an
    /// aggregate may walk a million of them), each given to `f` with its
    /// table's id. `payload`: `f` reads the rules' payloads (counters,
    /// instructions), which are then read ahead too; a walk that only
    /// keeps the rules reads of each what the request's filters need.
    fn for_each_selected(
        &self,
        req: &FlowStatsRequest,
        of_version: OfVersion,
        payload: bool,
        mut f: impl FnMut(u8, &RuleHandle),
    ) -> Result<(), ErrorKind> {
        let (key, mask) = self.request_match(req)?;
        let version = self.version();
        // The filters the request sets (1.0 has no cookie filter).
        let by_cookie = of_version != OfVersion::V1_0 && req.cookie_mask != 0;
        let by_output = req.out_port != OFPP_ANY || req.out_group != OFPG_ANY;
        for (id, t) in self.tables.iter().enumerate() {
            if req.table_id != OFPTT_ALL && usize::from(req.table_id) != id || t.cls.is_empty() {
                continue;
            }
            t.cls.for_each_loose_by_priority(
                key.words(),
                mask.words(),
                version,
                payload || by_cookie || by_output,
                |r| {
                    if payload {
                        prefetch_payload(r.payload());
                    } else if by_output {
                        crate::dpif::prefetch::<[Instruction]>(&r.payload().instructions);
                    }
                },
                |r| {
                    if Self::request_filters(req, r.payload(), by_cookie, by_output) {
                        f(id as u8, r);
                    }
                },
            );
        }
        Ok(())
    }

    /// The rules `req` selects, in the order of their entries in a flow
    /// dump ([`Tables::for_each_flow_stats`]): what a dump encodes after
    /// the bridge's lock is released. Rules of one table and priority come
    /// in address order ([`crate::classifier::sort_by_address`]), which
    /// the dump then reads in sequence.
    pub fn select_flows(
        &self,
        req: &FlowStatsRequest,
        of_version: OfVersion,
    ) -> Result<Vec<RuleHandle>, ErrorKind> {
        let mut rules = Vec::with_capacity(self.len_of(req.table_id));
        // Where each run of one table and priority starts.
        let mut runs = Vec::new();
        let mut last = None;
        self.for_each_selected(req, of_version, false, |table, r| {
            let run = Some((table, r.priority()));
            if run != last {
                runs.push(rules.len());
                last = run;
            }
            rules.push(r.clone());
        })?;
        runs.push(rules.len());
        for ends in runs.windows(2) {
            crate::classifier::sort_by_address(&mut rules[ends[0]..ends[1]]);
        }
        Ok(rules)
    }

    /// Calls `f` with the statistics entry of every flow `req` selects, in
    /// the order of [`Tables::select_flows`]; every entry's duration is
    /// taken at one instant.
    pub fn for_each_flow_stats(
        &self,
        req: &FlowStatsRequest,
        of_version: OfVersion,
        mut f: impl FnMut(FlowStatsEntry<'_>),
    ) -> Result<(), ErrorKind> {
        let now = self.now_ns();
        let mut matches = MatchBuilder::default();
        for r in self.select_flows(req, of_version)? {
            f(stats_entry(&r, now, of_version, &mut matches));
        }
        Ok(())
    }

    /// Live rules of table `table_id` (all tables for `OFPTT_ALL`); O(1) a
    /// table.
    pub fn len_of(&self, table_id: u8) -> usize {
        self.tables
            .iter()
            .enumerate()
            .filter(|(id, _)| table_id == OFPTT_ALL || usize::from(table_id) == *id)
            .map(|(_, t)| t.cls.len())
            .sum()
    }

    /// Flow statistics for a request, at the published version, in the
    /// order of [`Tables::for_each_flow_stats`].
    pub fn flow_stats(
        &self,
        req: &FlowStatsRequest,
        of_version: OfVersion,
    ) -> Result<Vec<FlowStats>, ErrorKind> {
        let mut out = Vec::new();
        self.for_each_flow_stats(req, of_version, |e| out.push(e.into()))?;
        Ok(out)
    }

    /// Aggregate statistics for a request.
    pub fn aggregate(
        &self,
        req: &FlowStatsRequest,
        of_version: OfVersion,
    ) -> Result<AggregateStats, ErrorKind> {
        let mut agg = AggregateStats::default();
        self.for_each_selected(req, of_version, true, |_, r| {
            let c = &r.payload().counters;
            agg.flow_count += 1;
            agg.packet_count += c.packets.load(Ordering::Relaxed);
            agg.byte_count += c.bytes.load(Ordering::Relaxed);
        })?;
        Ok(agg)
    }

    fn request_match(&self, req: &FlowStatsRequest) -> Result<(Flow, Flow), ErrorKind> {
        if req.table_id != OFPTT_ALL && usize::from(req.table_id) >= N_TABLES {
            return err(ErrorKind::BadTableId);
        }
        match_to_flow(&req.match_).map_err(|e| e.kind)
    }

    /// Whether `p` passes the cookie filter of `req` (when `by_cookie`)
    /// and its output filter (when `by_output`). Without a filter the
    /// rule's payload is not read.
    fn request_filters(
        req: &FlowStatsRequest,
        p: &FlowRule,
        by_cookie: bool,
        by_output: bool,
    ) -> bool {
        (!by_cookie || (p.cookie ^ req.cookie) & req.cookie_mask == 0)
            && (!by_output || outputs_to(&p.instructions, req.out_port, req.out_group))
    }

    /// Table statistics of every table, as of the last commit (the caller
    /// commits first). 1.0–1.2 replies also describe what a table can
    /// match and do.
    pub fn table_stats(&self, of_version: OfVersion) -> Vec<TableStats> {
        // What every table supports, in each version's vocabulary.
        let (wildcards, match_fields) = match of_version {
            OfVersion::V1_0 => (0x003f_ffff, 0),
            OfVersion::V1_1 => (0x3ff, 0x000f_ffff),
            _ => ((1u64 << 40) - 1, (1u64 << 40) - 1),
        };
        // Instruction types 1-5 and action types 0-27 as bitmaps.
        let instructions = 0b11_1110;
        let actions = (1u32 << 28) - 1;
        self.tables
            .iter()
            .enumerate()
            .map(|(id, t)| TableStats {
                table_id: id as u8,
                active_count: t.cls.len().min(u32::MAX as usize) as u32,
                lookup_count: t.lookups.load(Ordering::Relaxed),
                matched_count: t.matches.load(Ordering::Relaxed),
                name: format!("table{id}"),
                wildcards,
                match_fields,
                instructions,
                write_actions: actions,
                apply_actions: actions,
                write_setfields: match_fields,
                apply_setfields: match_fields,
                metadata_match: u64::MAX,
                metadata_write: u64::MAX,
                config: 0,
                max_entries: t.max_flows.min(u32::MAX as usize) as u32,
            })
            .collect()
    }
}

/// `OFPTC_*` bits a table-mod may set: the 1.1/1.2 table-miss behaviour,
/// and in 1.4 eviction and vacancy events.
pub mod table_config {
    /// 1.1/1.2 table-miss behaviour mask (0 controller, 1 continue, 2 drop).
    pub const MISS_MASK: u32 = 3;
    /// 1.1/1.2: continue with the next table on a miss.
    pub const MISS_CONTINUE: u32 = 1;
    /// 1.1/1.2: drop on a miss.
    pub const MISS_DROP: u32 = 2;
    /// 1.4: the table may evict flows.
    pub const EVICTION: u32 = 1 << 2;
    /// 1.4: the table sends vacancy events.
    pub const VACANCY_EVENTS: u32 = 1 << 3;
}

impl Tables {
    /// Applies a table-mod for `of_version` (1.1+): validates, then stores
    /// the config and 1.4 properties of one table or all of them.
    pub fn table_mod(
        &self,
        tm: &openflow::config::TableMod,
        of_version: OfVersion,
    ) -> Result<(), ErrorKind> {
        use openflow::config::TableProp;
        let ids: Vec<usize> = match tm.table_id {
            OFPTT_ALL => (0..N_TABLES).collect(),
            id if usize::from(id) < N_TABLES => vec![usize::from(id)],
            _ => return err(ErrorKind::BadTableModTable),
        };
        let (allowed, stored) = match of_version {
            OfVersion::V1_1 | OfVersion::V1_2 => (table_config::MISS_MASK, table_config::MISS_MASK),
            // 1.3 deprecates the miss bits: accepted and ignored.
            OfVersion::V1_3 => (table_config::MISS_MASK, 0),
            _ => (
                table_config::EVICTION | table_config::VACANCY_EVENTS,
                table_config::EVICTION | table_config::VACANCY_EVENTS,
            ),
        };
        if tm.config & !allowed != 0 || tm.config & table_config::MISS_MASK == 3 {
            return err(ErrorKind::BadTableModConfig);
        }
        let mut eviction = None;
        let mut vacancy = None;
        for p in &tm.properties {
            match p {
                TableProp::Eviction { flags } => eviction = Some(*flags),
                TableProp::Vacancy {
                    vacancy_down,
                    vacancy_up,
                    ..
                } => {
                    if vacancy_down > vacancy_up || *vacancy_up > 100 {
                        return err(ErrorKind::BadTableModConfig);
                    }
                    vacancy = Some((*vacancy_down, *vacancy_up));
                }
                TableProp::Experimenter(_) => return err(ErrorKind::BadPropertyType),
            }
        }
        for id in ids {
            let t = &self.tables[id];
            t.config.store(tm.config & stored, Ordering::Relaxed);
            if let Some(f) = eviction {
                t.eviction_flags.store(f, Ordering::Relaxed);
            }
            if let Some((down, up)) = vacancy {
                *lock(&t.vacancy) = Some(Vacancy { down, up, last: 0 });
            }
        }
        let any = self.tables.iter().any(|t| {
            t.config.load(Ordering::Relaxed) & table_config::VACANCY_EVENTS != 0
                && lock(&t.vacancy).is_some()
        });
        self.any_vacancy.store(any, Ordering::Relaxed);
        Ok(())
    }

    /// Free space of table `t` in percent of its limit.
    fn vacancy_now(t: &FlowTable) -> u8 {
        let free = t.max_flows.saturating_sub(t.cls.len()) as u64;
        (free * 100 / (t.max_flows as u64).max(1)) as u8
    }

    /// The vacancy events due (OpenFlow 1.4 table-status): for each table
    /// with vacancy events enabled, VACANCY_DOWN when its free space fell
    /// below `vacancy_down`, and VACANCY_UP when, after a VACANCY_DOWN, it
    /// rose above `vacancy_up`. Each event is sent once per crossing.
    pub fn vacancy_events(&self) -> Vec<openflow::config::TableStatus> {
        if !self.any_vacancy.load(Ordering::Relaxed) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (id, t) in self.tables.iter().enumerate() {
            if t.config.load(Ordering::Relaxed) & table_config::VACANCY_EVENTS == 0 {
                continue;
            }
            let now = Self::vacancy_now(t);
            let reason = {
                let mut v = lock(&t.vacancy);
                let Some(v) = v.as_mut() else { continue };
                let reason = if now < v.down && v.last != OFPTR_VACANCY_DOWN {
                    OFPTR_VACANCY_DOWN
                } else if now > v.up && v.last == OFPTR_VACANCY_DOWN {
                    OFPTR_VACANCY_UP
                } else {
                    continue;
                };
                v.last = reason;
                reason
            };
            out.push(openflow::config::TableStatus {
                reason,
                table: self.describe(id, t),
            });
        }
        out
    }

    /// `OFPMP_TABLE_DESC` (1.4): each table's config and properties.
    pub fn table_desc(&self) -> Vec<TableDesc> {
        self.tables
            .iter()
            .enumerate()
            .map(|(id, t)| self.describe(id, t))
            .collect()
    }

    /// Table `id`'s `ofp_table_desc`.
    fn describe(&self, id: usize, t: &FlowTable) -> TableDesc {
        let mut config = t.config.load(Ordering::Relaxed);
        if self.evicts(t) {
            config |= table_config::EVICTION;
        }
        TableDesc {
            table_id: id as u8,
            config,
            eviction: (config & table_config::EVICTION != 0)
                .then(|| t.eviction_flags.load(Ordering::Relaxed)),
            vacancy: lock(&t.vacancy).map(|v| TableVacancy {
                vacancy_down: v.down,
                vacancy_up: v.up,
                vacancy: Self::vacancy_now(t),
            }),
            experimenter: Vec::new(),
        }
    }
}

/// Action types (`OFPAT_*` of 1.1+) every table supports.
const SUPPORTED_ACTIONS: &[u16] = &[
    0, 11, 12, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
];
/// Instruction types (`OFPIT_*`) every table supports (meter comes with
/// meters).
const SUPPORTED_INSTRUCTIONS: &[u16] = &[1, 2, 3, 4, 5];

/// Table features of every table (OpenFlow 1.3+), as a table-features
/// reply describes them: matchable, wildcardable and settable fields,
/// actions, instructions and the tables goto may reach.
pub fn table_features(tables: &Tables) -> Vec<TableFeatures> {
    use crate::flow::Field;
    let oxm = |pred: &dyn Fn(Field) -> bool, masked: bool| -> Vec<OxmId> {
        Field::ALL
            .iter()
            .copied()
            .filter(|f| pred(*f))
            .map(|f| {
                let mask = (masked && f.maskable()).then_some(0);
                f.to_oxm(0, mask).id()
            })
            .collect()
    };
    let matchable = oxm(&|_| true, true);
    let wildcards = oxm(&|_| true, false);
    let settable = oxm(&|f| f.settable(), false);
    let actions: Vec<ActionId> = SUPPORTED_ACTIONS
        .iter()
        .map(|&t| ActionId {
            action_type: t,
            data: Vec::new(),
        })
        .collect();
    let instructions: Vec<InstructionId> = SUPPORTED_INSTRUCTIONS
        .iter()
        .map(|&t| InstructionId {
            inst_type: t,
            data: Vec::new(),
        })
        .collect();
    tables
        .tables
        .iter()
        .enumerate()
        .map(|(id, t)| {
            let next: Vec<u8> = ((id + 1)..N_TABLES).map(|n| n as u8).collect();
            let mut properties = Vec::new();
            for miss in [false, true] {
                properties.push(TableFeatureProp::Instructions {
                    miss,
                    ids: instructions.clone(),
                });
                properties.push(TableFeatureProp::NextTables {
                    miss,
                    tables: next.clone(),
                });
                properties.push(TableFeatureProp::WriteActions {
                    miss,
                    ids: actions.clone(),
                });
                properties.push(TableFeatureProp::ApplyActions {
                    miss,
                    ids: actions.clone(),
                });
            }
            properties.push(TableFeatureProp::Match(matchable.clone()));
            properties.push(TableFeatureProp::Wildcards(wildcards.clone()));
            for miss in [false, true] {
                properties.push(TableFeatureProp::WriteSetfield {
                    miss,
                    ids: settable.clone(),
                });
                properties.push(TableFeatureProp::ApplySetfield {
                    miss,
                    ids: settable.clone(),
                });
            }
            TableFeatures {
                table_id: id as u8,
                name: format!("table{id}"),
                metadata_match: u64::MAX,
                metadata_write: u64::MAX,
                config: 0,
                max_entries: t.max_flows.min(u32::MAX as usize) as u32,
                properties,
            }
        })
        .collect()
}

fn check_actions(actions: &[Action], groups: &Groups) -> Result<(), ErrorKind> {
    for a in actions {
        match a {
            Action::Output { port, .. } | Action::Enqueue { port, .. } => {
                let reserved_ok = *port > OFPP_MAX && *port != OFPP_ANY && *port != OFPP_TABLE;
                if *port == 0 || (*port >= OFPP_MAX && !reserved_ok) {
                    return err(ErrorKind::BadOutPort);
                }
            }
            Action::Group(g) if !groups.contains(*g) => return err(ErrorKind::BadOutGroup),
            Action::Experimenter { .. } => return err(ErrorKind::BadActionExperimenter),
            _ => {}
        }
    }
    Ok(())
}

fn insert_error(e: InsertError) -> ErrorKind {
    match e {
        InsertError::TooManySubtables { .. } | InsertError::TooManyRules { .. } => {
            ErrorKind::TableFull
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openflow::flow_match::Match;
    use openflow::oxm::OxmField;

    /// `flow_mod` in OpenFlow `V`, with no groups or meters.
    fn apply(t: &Tables, m: &FlowMod) -> Result<Vec<RemovedFlow>, ErrorKind> {
        t.flow_mod(m, V, &Groups::default(), &Meters::default())
    }

    fn fm(command: u8, table_id: u8, priority: u16, fields: Vec<OxmField>, out: u32) -> FlowMod {
        FlowMod::new(
            command,
            table_id,
            priority,
            Match::new(fields),
            vec![Instruction::ApplyActions(vec![Action::Output {
                port: out,
                max_len: 0,
            }])],
        )
    }

    fn in_port(p: u32) -> Vec<OxmField> {
        vec![OxmField::InPort(p)]
    }

    const V: OfVersion = OfVersion::V1_3;

    #[test]
    fn changes_are_visible_after_commit_only() {
        let t = Tables::new(10);
        apply(&t, &fm(command::ADD, 0, 10, in_port(1), 2)).unwrap();
        assert!(t
            .flow_stats(&FlowStatsRequest::all(), V)
            .unwrap()
            .is_empty());
        assert!(t.commit());
        let s = t.flow_stats(&FlowStatsRequest::all(), V).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].priority, 10);
        assert_eq!(s[0].match_.fields, in_port(1));
        assert!(!t.commit(), "nothing pending");
    }

    /// Flow statistics and aggregates keep the flows the request's cookie
    /// and output filters select (no cookie filter in 1.0).
    #[test]
    fn flow_stats_filter_by_cookie_and_output() {
        let t = Tables::new(10);
        for (port, cookie, out) in [(1, 0x10, 2), (2, 0x11, 3), (3, 0x20, 2)] {
            let mut m = fm(command::ADD, 0, 10, in_port(port), out);
            m.cookie = cookie;
            apply(&t, &m).unwrap();
        }
        t.commit();
        let cookies = |req: &FlowStatsRequest, v: OfVersion| {
            let mut c: Vec<u64> = t
                .flow_stats(req, v)
                .unwrap()
                .iter()
                .map(|e| e.cookie)
                .collect();
            c.sort();
            assert_eq!(t.aggregate(req, v).unwrap().flow_count as usize, c.len());
            c
        };
        let mut req = FlowStatsRequest::all();
        req.cookie = 0x10;
        req.cookie_mask = 0xf0;
        assert_eq!(cookies(&req, V), [0x10, 0x11]);
        assert_eq!(cookies(&req, OfVersion::V1_0), [0x10, 0x11, 0x20]);
        req.out_port = 2;
        assert_eq!(cookies(&req, V), [0x10]);
        req.cookie_mask = 0;
        assert_eq!(cookies(&req, V), [0x10, 0x20]);
    }

    #[test]
    fn flows_added_in_a_row_with_equal_instructions_share_them() {
        let t = Tables::new(10);
        for (port, out) in [(1, 2), (2, 2), (3, 3), (4, 2)] {
            apply(&t, &fm(command::ADD, 0, 10, in_port(port), out)).unwrap();
        }
        t.commit();
        let mut rules = Vec::new();
        t.tables[0]
            .cls
            .for_each_visible(t.version(), |r| rules.push(r.clone()));
        rules.sort_by_key(|r| r.seq());
        let ins: Vec<&Arc<[Instruction]>> =
            rules.iter().map(|r| &r.payload().instructions).collect();
        assert!(
            Arc::ptr_eq(ins[0], ins[1]),
            "same actions, one after the other"
        );
        assert!(!Arc::ptr_eq(ins[1], ins[2]) && !Arc::ptr_eq(ins[2], ins[3]));
        assert_eq!(
            ins[3], ins[0],
            "equal, though not shared: another list came between"
        );
        let mut outs: Vec<u32> = t
            .flow_stats(&FlowStatsRequest::all(), V)
            .unwrap()
            .iter()
            .map(|e| match &e.instructions[..] {
                [Instruction::ApplyActions(a)] => match a[..] {
                    [Action::Output { port, .. }] => port,
                    _ => panic!("one output"),
                },
                _ => panic!("one apply-actions"),
            })
            .collect();
        outs.sort();
        assert_eq!(outs, [2, 2, 2, 3]);
    }

    #[test]
    fn modify_keeps_counters_and_delete_filters() {
        let t = Tables::new(10);
        apply(&t, &fm(command::ADD, 0, 10, in_port(1), 2)).unwrap();
        apply(&t, &fm(command::ADD, 0, 20, in_port(2), 3)).unwrap();
        t.commit();
        let mut rules = Vec::new();
        t.tables[0]
            .cls
            .for_each_visible(t.version(), |r| rules.push(r.clone()));
        for r in &rules {
            r.payload().counters.packets.store(5, Ordering::Relaxed);
        }
        // Loose modify of everything: new actions, same counters.
        apply(&t, &fm(command::MODIFY, 0, 0, vec![], 9)).unwrap();
        t.commit();
        let s = t.flow_stats(&FlowStatsRequest::all(), V).unwrap();
        assert_eq!(s.len(), 2);
        for e in &s {
            assert_eq!(e.packet_count, 5);
            assert!(outputs_to(&e.instructions, 9, OFPG_ANY));
        }
        // Delete with an out_port filter that matches nothing.
        let mut del = fm(command::DELETE, OFPTT_ALL, 0, vec![], 1);
        del.out_port = 4;
        apply(&t, &del).unwrap();
        t.commit();
        assert_eq!(t.flow_stats(&FlowStatsRequest::all(), V).unwrap().len(), 2);
        // Strict delete of one.
        apply(&t, &fm(command::DELETE_STRICT, 0, 20, in_port(2), 1)).unwrap();
        t.commit();
        let s = t.flow_stats(&FlowStatsRequest::all(), V).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].priority, 10);
        assert_eq!(
            t.aggregate(&FlowStatsRequest::all(), V).unwrap().flow_count,
            1
        );
    }

    #[test]
    fn failing_flow_mods_change_nothing() {
        let t = Tables::new(1);
        apply(&t, &fm(command::ADD, 0, 10, in_port(1), 2)).unwrap();
        t.commit();
        assert_eq!(
            apply(&t, &fm(command::ADD, 0, 11, in_port(2), 2)),
            Err(ErrorKind::TableFull)
        );
        let mut goto_back = fm(command::ADD, 3, 1, vec![], 2);
        goto_back.instructions = vec![Instruction::GotoTable(2)].into();
        assert_eq!(apply(&t, &goto_back), Err(ErrorKind::BadInstructionTableId));
        assert_eq!(
            apply(&t, &fm(command::ADD, OFPTT_ALL, 1, vec![], 2)),
            Err(ErrorKind::BadFlowTableId)
        );
        assert_eq!(
            apply(&t, &fm(command::ADD, 0, 1, vec![], OFPP_ANY)),
            Err(ErrorKind::BadOutPort)
        );
        // tcp_dst without ip_proto: a prerequisite is missing.
        assert_eq!(
            apply(&t, &fm(command::ADD, 1, 1, vec![OxmField::TcpDst(80)], 2)),
            Err(ErrorKind::BadPrereq)
        );
        let mut overlap = fm(command::ADD, 0, 10, vec![], 2);
        overlap.flags = flags::CHECK_OVERLAP;
        assert_eq!(apply(&t, &overlap), Err(ErrorKind::FlowOverlap));
        let mut bad_cmd = fm(command::ADD, 0, 1, vec![], 2);
        bad_cmd.command = 9;
        assert_eq!(apply(&t, &bad_cmd), Err(ErrorKind::BadFlowModCommand));
        assert!(!t.commit(), "no failed flow-mod left a change");
        assert_eq!(t.flow_stats(&FlowStatsRequest::all(), V).unwrap().len(), 1);
    }

    #[test]
    fn timeouts_expire_and_report() {
        let t = Tables::new(10);
        let mut hard = fm(command::ADD, 0, 10, in_port(1), 2);
        hard.hard_timeout = 1;
        hard.flags = flags::SEND_FLOW_REM;
        apply(&t, &hard).unwrap();
        let mut idle = fm(command::ADD, 0, 10, in_port(2), 2);
        idle.idle_timeout = 2;
        apply(&t, &idle).unwrap();
        t.commit();
        let now = Instant::now();
        assert!(t.expire(now).is_empty());
        let gone = t.expire(now + Duration::from_millis(1500));
        t.commit();
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].reason, removed::HARD_TIMEOUT);
        assert_eq!(gone[0].msg.match_.fields, in_port(1));
        assert_eq!(t.flow_stats(&FlowStatsRequest::all(), V).unwrap().len(), 1);
        // The idle flow goes silently (no SEND_FLOW_REM).
        assert!(t.expire(now + Duration::from_secs(3)).is_empty());
        t.commit();
        assert!(t
            .flow_stats(&FlowStatsRequest::all(), V)
            .unwrap()
            .is_empty());
        assert!(lock(&t.expirable).is_empty(), "expired rules are forgotten");
    }

    #[test]
    fn removed_rules_are_unlinked_in_bounded_steps() {
        let t = Tables::new(100);
        for p in 0..10 {
            apply(&t, &fm(command::ADD, 0, 10, in_port(p + 1), 2)).unwrap();
        }
        apply(&t, &fm(command::ADD, 1, 10, in_port(1), 2)).unwrap();
        t.commit();
        apply(&t, &fm(command::DELETE, OFPTT_ALL, 0, vec![], 0)).unwrap();
        t.commit();
        let v = t.version();
        assert!(!t.gc_some(v - 1, 100), "nothing removed at or before v - 1");
        let mut steps = 0;
        while t.gc_some(v, 4) {
            steps += 1;
        }
        assert_eq!(
            steps, 2,
            "11 rules, 4 a step: 3 steps, the last one ends it"
        );
        assert!(!t.tables[0].cls.has_garbage(v) && !t.tables[1].cls.has_garbage(v));
        assert!(t
            .flow_stats(&FlowStatsRequest::all(), V)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn expiry_visits_rules_with_timeouts_only_and_follows_replacements() {
        let t = Tables::new(10);
        apply(&t, &fm(command::ADD, 0, 10, in_port(1), 2)).unwrap();
        let mut timed = fm(command::ADD, 0, 10, in_port(2), 2);
        timed.hard_timeout = 5;
        timed.flags = flags::SEND_FLOW_REM;
        apply(&t, &timed).unwrap();
        t.commit();
        assert_eq!(lock(&t.expirable).len(), 1, "only the rule with a timeout");
        // A modify replaces the rule (same timeouts): the new one expires,
        // once; the replaced one is forgotten.
        apply(&t, &fm(command::MODIFY_STRICT, 0, 10, in_port(2), 7)).unwrap();
        t.commit();
        let now = Instant::now();
        assert!(t.expire(now).is_empty());
        assert_eq!(lock(&t.expirable).len(), 1);
        let gone = t.expire(now + Duration::from_secs(6));
        t.commit();
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].msg.match_.fields, in_port(2));
        assert!(t.expire(now + Duration::from_secs(7)).is_empty());
        // A deleted rule never expires afterwards.
        apply(&t, &timed).unwrap();
        t.commit();
        apply(&t, &fm(command::DELETE, 0, 0, in_port(2), 0)).unwrap();
        t.commit();
        assert!(t.expire(now + Duration::from_secs(60)).is_empty());
        assert!(lock(&t.expirable).is_empty());
        assert_eq!(t.flow_stats(&FlowStatsRequest::all(), V).unwrap().len(), 1);
    }

    #[test]
    fn flow_stats_come_table_by_table_highest_priority_first() {
        let t = Tables::new(100);
        // Priorities interleave across masks (subtables) and tables.
        let adds = [
            (1, 5, vec![OxmField::InPort(1)]),
            (0, 7, vec![OxmField::EthType(0x800)]),
            (0, 9, vec![OxmField::InPort(2)]),
            (1, 8, vec![OxmField::EthType(0x806)]),
            (0, 3, vec![OxmField::InPort(3), OxmField::EthType(0x800)]),
            (0, 7, vec![OxmField::InPort(4)]),
        ];
        for (table, prio, fields) in &adds {
            apply(&t, &fm(command::ADD, *table, *prio, fields.clone(), 2)).unwrap();
        }
        t.commit();
        let s = t.flow_stats(&FlowStatsRequest::all(), V).unwrap();
        let order: Vec<(u8, u16)> = s.iter().map(|f| (f.table_id, f.priority)).collect();
        assert_eq!(order, [(0, 9), (0, 7), (0, 7), (0, 3), (1, 8), (1, 5)]);
        // Each entry's match is its own, whatever mask came before it.
        for f in &s {
            let want = &adds
                .iter()
                .find(|(tb, p, fl)| *tb == f.table_id && *p == f.priority && *fl == f.match_.fields)
                .map(|a| &a.2);
            assert!(want.is_some(), "{f:?}");
        }
        // A loose request: the flows at least as specific as in_port=3.
        let mut req = FlowStatsRequest::all();
        req.match_ = Match::new(in_port(3));
        let s = t.flow_stats(&req, V).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].priority, 3);
        let agg = t.aggregate(&FlowStatsRequest::all(), V).unwrap();
        assert_eq!(agg.flow_count, 6);
        req.table_id = 1;
        req.match_ = Match::default();
        assert_eq!(t.aggregate(&req, V).unwrap().flow_count, 2);
        req.table_id = 254;
        assert_eq!(t.flow_stats(&req, V), Err(ErrorKind::BadTableId));
    }

    #[test]
    fn a_rolled_back_transaction_leaves_the_tables_as_they_were() {
        let t = Tables::new(10);
        let none = (&Groups::default(), &Meters::default());
        t.flow_mod(&fm(command::ADD, 0, 10, in_port(1), 2), V, none.0, none.1)
            .unwrap();
        t.flow_mod(&fm(command::ADD, 0, 20, in_port(2), 2), V, none.0, none.1)
            .unwrap();
        t.commit();
        let before = t.flow_stats(&FlowStatsRequest::all(), V).unwrap();
        t.begin();
        // Replace one, delete the other, add a third, then fail.
        t.flow_mod(&fm(command::ADD, 0, 10, in_port(1), 3), V, none.0, none.1)
            .unwrap();
        t.flow_mod(
            &fm(command::DELETE_STRICT, 0, 20, in_port(2), 2),
            V,
            none.0,
            none.1,
        )
        .unwrap();
        t.flow_mod(&fm(command::ADD, 0, 30, in_port(3), 2), V, none.0, none.1)
            .unwrap();
        t.rollback();
        t.commit();
        let after = t.flow_stats(&FlowStatsRequest::all(), V).unwrap();
        let strip = |v: Vec<FlowStats>| {
            v.into_iter()
                .map(|mut f| {
                    f.duration_sec = 0;
                    f.duration_nsec = 0;
                    f
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(after), strip(before));
        assert_eq!(t.tables[0].cls.len(), 2);
        // Still usable afterwards.
        t.flow_mod(&fm(command::ADD, 0, 30, in_port(3), 2), V, none.0, none.1)
            .unwrap();
        t.commit();
        assert_eq!(t.flow_stats(&FlowStatsRequest::all(), V).unwrap().len(), 3);
    }

    #[test]
    fn table_features_describe_every_table() {
        let t = Tables::new(10);
        let f = table_features(&t);
        assert_eq!(f.len(), N_TABLES);
        assert_eq!(f[0].max_entries, 10);
        let next = f[252].properties.iter().find_map(|p| match p {
            TableFeatureProp::NextTables {
                miss: false,
                tables,
            } => Some(tables.clone()),
            _ => None,
        });
        assert_eq!(next, Some(vec![253]));
        let matchable = f[0].properties.iter().find_map(|p| match p {
            TableFeatureProp::Match(ids) => Some(ids.len()),
            _ => None,
        });
        assert!(matchable.unwrap() >= 40);
    }

    #[test]
    fn openflow10_modify_of_nothing_adds() {
        let t = Tables::new(10);
        t.flow_mod(
            &fm(command::MODIFY, 0, 5, in_port(1), 2),
            OfVersion::V1_0,
            &Groups::default(),
            &Meters::default(),
        )
        .unwrap();
        t.commit();
        assert_eq!(
            t.flow_stats(&FlowStatsRequest::all(), OfVersion::V1_0)
                .unwrap()
                .len(),
            1
        );
        // In 1.1+ it does nothing.
        apply(&t, &fm(command::MODIFY, 0, 5, in_port(7), 2)).unwrap();
        t.commit();
        assert_eq!(t.flow_stats(&FlowStatsRequest::all(), V).unwrap().len(), 1);
    }

    #[test]
    fn a_full_table_evicts_the_least_important_flow() {
        use openflow::config::{TableMod, TableProp};
        let t = Tables::new(3);
        for (port, importance) in [(1, 5), (2, 1), (3, 9)] {
            let mut m = fm(command::ADD, 0, 10, in_port(port), 9);
            m.importance = importance;
            m.flags = if port == 2 { flags::SEND_FLOW_REM } else { 0 };
            apply(&t, &m).unwrap();
        }
        t.commit();
        // Without eviction a full table refuses.
        assert_eq!(
            apply(&t, &fm(command::ADD, 0, 10, in_port(4), 9)),
            Err(ErrorKind::TableFull)
        );
        let tm = TableMod {
            table_id: 0,
            config: table_config::EVICTION,
            properties: vec![TableProp::Eviction {
                flags: eviction_flags::IMPORTANCE,
            }],
        };
        t.table_mod(&tm, OfVersion::V1_4).unwrap();
        let removed = apply(&t, &fm(command::ADD, 0, 10, in_port(4), 9)).unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].reason, removed::EVICTION);
        assert_eq!(removed[0].msg.match_.fields, in_port(2));
        t.commit();
        let mut left: Vec<_> = t
            .flow_stats(&FlowStatsRequest::all(), V)
            .unwrap()
            .into_iter()
            .map(|f| f.match_.fields)
            .collect();
        left.sort_by_key(|f| format!("{f:?}"));
        assert_eq!(left, vec![in_port(1), in_port(3), in_port(4)]);
        // The next victim has importance 0 (the flow just added), and a
        // replacement of an existing flow evicts nothing.
        assert!(apply(&t, &fm(command::ADD, 0, 10, in_port(3), 7))
            .unwrap()
            .is_empty());
        t.commit();
        assert_eq!(t.flow_stats(&FlowStatsRequest::all(), V).unwrap().len(), 3);
    }

    #[test]
    fn configured_overflow_policy_evicts_by_lifetime_when_asked() {
        let mut t = Tables::new(1000);
        t.set_limit(1, 2, true).unwrap();
        assert!(t.set_limit(254, 2, true).is_err());
        let mut long = fm(command::ADD, 1, 10, in_port(1), 9);
        long.hard_timeout = 300;
        let mut short = fm(command::ADD, 1, 10, in_port(2), 9);
        short.hard_timeout = 30;
        apply(&t, &long).unwrap();
        apply(&t, &short).unwrap();
        t.tables[1]
            .eviction_flags
            .store(eviction_flags::LIFETIME, Ordering::Relaxed);
        apply(&t, &fm(command::ADD, 1, 10, in_port(3), 9)).unwrap();
        t.commit();
        let left: Vec<_> = t
            .flow_stats(&FlowStatsRequest::all(), V)
            .unwrap()
            .into_iter()
            .map(|f| f.match_.fields)
            .collect();
        assert!(
            left.contains(&in_port(1)) && left.contains(&in_port(3)),
            "{left:?}"
        );
        assert_eq!(left.len(), 2);
    }

    #[test]
    fn vacancy_events_fire_once_per_crossing() {
        use openflow::config::{TableMod, TableProp};
        let mut t = Tables::new(1000);
        t.set_limit(0, 10, false).unwrap();
        let tm = TableMod {
            table_id: 0,
            config: table_config::VACANCY_EVENTS,
            properties: vec![TableProp::Vacancy {
                vacancy_down: 30,
                vacancy_up: 60,
                vacancy: 0,
            }],
        };
        t.table_mod(&tm, OfVersion::V1_4).unwrap();
        let reasons = |t: &Tables| -> Vec<(u8, u8)> {
            t.vacancy_events()
                .into_iter()
                .map(|s| (s.reason, s.table.vacancy.map(|v| v.vacancy).unwrap_or(255)))
                .collect()
        };
        for p in 1..=7 {
            apply(&t, &fm(command::ADD, 0, 10, in_port(p), 9)).unwrap();
            assert!(reasons(&t).is_empty(), "free {}0 %", 10 - p);
        }
        // 8 of 10 used: 20 % free, below 30 %.
        apply(&t, &fm(command::ADD, 0, 10, in_port(8), 9)).unwrap();
        assert_eq!(reasons(&t), vec![(OFPTR_VACANCY_DOWN, 20)]);
        apply(&t, &fm(command::ADD, 0, 10, in_port(9), 9)).unwrap();
        assert!(reasons(&t).is_empty(), "no second DOWN");
        // Down to 4 flows: 60 % free is not above 60 %; 3 flows is.
        for p in 5..=9 {
            let mut d = fm(command::DELETE_STRICT, 0, 10, in_port(p), 9);
            d.out_port = OFPP_ANY;
            apply(&t, &d).unwrap();
            if p < 9 {
                assert!(reasons(&t).is_empty(), "after deleting {p}");
            }
        }
        assert!(reasons(&t).is_empty(), "60 % free is not above 60 %");
        apply(&t, &fm(command::DELETE_STRICT, 0, 10, in_port(4), 9)).unwrap();
        assert_eq!(reasons(&t), vec![(OFPTR_VACANCY_UP, 70)]);
        assert!(reasons(&t).is_empty());
        // A table without VACANCY_EVENTS reports nothing.
        t.table_mod(
            &TableMod {
                table_id: 0,
                config: 0,
                properties: Vec::new(),
            },
            OfVersion::V1_4,
        )
        .unwrap();
        for p in 10..=16 {
            apply(&t, &fm(command::ADD, 0, 10, in_port(p), 9)).unwrap();
        }
        assert!(reasons(&t).is_empty());
    }

    #[test]
    fn flow_events_are_recorded_while_monitored_and_rolled_back() {
        let t = Tables::new(10);
        apply(&t, &fm(command::ADD, 0, 10, in_port(1), 2)).unwrap();
        assert!(t.take_events().is_empty(), "not monitoring");
        t.set_monitoring(true);
        apply(&t, &fm(command::ADD, 0, 10, in_port(2), 2)).unwrap();
        apply(&t, &fm(command::ADD, 0, 10, in_port(2), 3)).unwrap();
        apply(&t, &fm(command::DELETE, 0, 0, in_port(1), 0)).unwrap();
        let ev: Vec<(u16, u8)> = t
            .take_events()
            .iter()
            .map(|e| (e.event, e.reason))
            .collect();
        assert_eq!(
            ev,
            vec![
                (OFPFME_ADDED, 0),
                (OFPFME_MODIFIED, 0),
                (OFPFME_REMOVED, removed::DELETE)
            ]
        );
        t.begin();
        apply(&t, &fm(command::ADD, 0, 10, in_port(3), 2)).unwrap();
        t.rollback();
        assert!(
            t.take_events().is_empty(),
            "a rolled-back change is no event"
        );
    }
}
