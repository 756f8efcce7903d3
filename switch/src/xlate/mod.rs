//! Translation: one packet through a bridge's OpenFlow tables.
//!
//! [`Xlate::run`] parses the packet into a [`Flow`], looks it up table by
//! table at one published version, executes each matched rule's
//! instructions in the spec's order (meter, apply-actions, clear-actions,
//! write-actions, write-metadata, goto-table), and at the end of the
//! pipeline executes the action set in the spec's order. Header edits
//! change the packet and the flow together (so later lookups and actions
//! see the new values); outputs go to an [`Emit`], which gets a copy for
//! every output but the last, and the packet itself for the last one (the
//! common single-output case copies nothing).
//!
//! This is the slow path: every packet goes through it until the EMC and
//! megaflow caches exist, and afterwards it stays their oracle. It is
//! generic over the packet buffer ([`PacketBuf`]), so tests run it on
//! `Vec<u8>` without EAL.
//!
//! An output to CONTROLLER becomes a packet-in event (the packet as it is
//! at that point, cut to `max_len`); so does a table miss without a
//! table-miss rule, for OpenFlow 1.0–1.2 controllers. NORMAL learns the
//! source address and forwards by the bridge's [`mac::MacTable`]; a bridge
//! in fail-open mode (fail_mode standalone without a controller) skips the
//! tables and forwards every packet by NORMAL. LOCAL is the bridge's
//! internal port (a kernel tap); on a bridge without one, an output to
//! LOCAL is a drop counted with its reason.
//!
//! Thread safety: an `Xlate` borrows the shared [`Tables`] read-only; PMDs
//! run it concurrently without locks (classifier lookups are lock-free,
//! counters are atomics).

pub mod mac;
pub mod pipeline;
pub mod record;

use std::sync::atomic::Ordering;

use openflow::action::Action;
use openflow::group::{GroupType, OFPG_ANY};
use openflow::instruction::Instruction;
use openflow::port::{
    OFPP_ALL, OFPP_CONTROLLER, OFPP_FLOOD, OFPP_IN_PORT, OFPP_LOCAL, OFPP_MAX, OFPP_NORMAL,
    OFPP_TABLE,
};

use crate::classifier::Version;
use crate::flow::{apply_action, extract, Applied, EditError, Field, Flow, PacketBuf, FLOW_WORDS};
use crate::ofproto::group::{Group, Groups, MAX_CHAIN};
use crate::ofproto::meter::{Meters, Verdict};
use crate::ofproto::packet_in::{reason, PacketInEvent};
use crate::ofproto::table::{flags, table_config, Tables, N_TABLES};

/// Why the pipeline dropped a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// No rule matched (OpenFlow 1.3+ table-miss without a miss entry).
    TableMiss,
    /// The actions produced no output.
    NoOutput,
    /// A TTL decrement reached 0 (packet-in with INVALID_TTL to come).
    TtlExpired,
    /// Output to LOCAL on a bridge without an internal port.
    Local,
    /// A copy for one more output could not be made (no buffer).
    CopyFailed,
    /// A meter's drop band.
    Meter,
    /// The port's config (PORT_DOWN, NO_RECV, NO_FWD) refuses it.
    PortConfig,
    /// A cache miss beyond the batch's upcall budget.
    UpcallBudget,
}

impl DropReason {
    /// Every reason, in counter order.
    pub const ALL: [DropReason; 8] = [
        DropReason::TableMiss,
        DropReason::NoOutput,
        DropReason::TtlExpired,
        DropReason::Local,
        DropReason::CopyFailed,
        DropReason::Meter,
        DropReason::PortConfig,
        DropReason::UpcallBudget,
    ];

    /// Counter name.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::TableMiss => "table_miss",
            DropReason::NoOutput => "no_output",
            DropReason::TtlExpired => "ttl_expired",
            DropReason::Local => "local",
            DropReason::CopyFailed => "copy_failed",
            DropReason::Meter => "meter",
            DropReason::PortConfig => "port_config",
            DropReason::UpcallBudget => "upcall_budget",
        }
    }
}

/// Where translated packets go.
pub trait Emit<P> {
    /// Sends a copy of `pkt` to OpenFlow port `port` (the packet goes on
    /// through the pipeline); returns false if no copy could be made.
    fn emit_copy(&mut self, port: u32, pkt: &P) -> bool;
    /// Sends the packet itself to `port` (its last output).
    fn emit(&mut self, port: u32, pkt: P);
    /// Drops the packet.
    fn drop_packet(&mut self, pkt: P, reason: DropReason);
    /// Sends a packet-in to the controllers; `ev` builds it (copying the
    /// packet's bytes) only if it will be queued.
    fn to_controller(&mut self, in_port: u32, ev: impl FnOnce() -> PacketInEvent);
    /// A copy of `pkt` (for a packet-out that goes through the tables and
    /// on through further actions).
    fn copy_packet(&mut self, pkt: &P) -> Option<P>;
}

/// Where a CONTROLLER output happens, for its packet-in.
#[derive(Debug, Clone, Copy)]
struct PinCtx {
    reason: u8,
    table_id: u8,
    cookie: u64,
}

/// The order rank of an action in an action set (OpenFlow 1.3, 5.10).
fn set_rank(a: &Action) -> u8 {
    match a {
        Action::CopyTtlIn => 0,
        Action::PopVlan | Action::PopMpls(_) | Action::PopPbb => 1,
        Action::PushMpls(_) => 2,
        Action::PushPbb(_) => 3,
        Action::PushVlan(_) => 4,
        Action::CopyTtlOut => 5,
        Action::DecMplsTtl | Action::DecNwTtl => 6,
        Action::SetField(_)
        | Action::SetMplsTtl(_)
        | Action::SetNwTtl(_)
        | Action::SetTpSrc(_)
        | Action::SetTpDst(_) => 7,
        Action::SetQueue(_) => 8,
        Action::Group(_) => 9,
        Action::Output { .. } | Action::Enqueue { .. } => 10,
        Action::Experimenter { .. } => 11,
    }
}

/// The fields a select group hashes: Ethernet addresses and type, VLAN,
/// IP addresses and protocol, transport ports.
fn select_mask() -> Flow {
    let mut m = Flow::ZERO;
    for f in [
        Field::EthSrc,
        Field::EthDst,
        Field::EthType,
        Field::VlanVid,
        Field::Ipv4Src,
        Field::Ipv4Dst,
        Field::Ipv6Src,
        Field::Ipv6Dst,
        Field::IpProto,
        Field::TcpSrc,
        Field::TcpDst,
        Field::UdpSrc,
        Field::UdpDst,
        Field::SctpSrc,
        Field::SctpDst,
    ] {
        f.set_mask_all(&mut m);
    }
    m
}

/// Raises the drop precedence of an IP packet's DSCP by `prec` levels (the
/// two drop-precedence bits of the assured-forwarding classes, at most 3).
fn remark_dscp<P: PacketBuf>(
    pkt: &mut P,
    layout: &mut crate::flow::Layout,
    flow: &mut Flow,
    prec: u8,
) {
    if !matches!(Field::EthType.get(flow), 0x0800 | 0x86dd) {
        return;
    }
    let dscp = Field::IpDscp.get(flow) as u8;
    let dp = ((dscp >> 1) & 0b11).saturating_add(prec).min(3);
    let new = (dscp & !0b110) | (dp << 1);
    // Only IP packets get here, which always have a DSCP to set.
    let _ = crate::flow::set_field(pkt, layout, flow, Field::IpDscp, u128::from(new));
}

/// Two actions occupy the same action-set slot (a write replaces the old
/// one): same type, and for set-field the same field.
fn same_slot(a: &Action, b: &Action) -> bool {
    match (a, b) {
        (Action::SetField(x), Action::SetField(y)) => x.id().field == y.id().field,
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// Counts `packets` packets of `bytes` bytes matched by `rule` in
/// `table`: the table's matches and the rule's counters (see
/// [`count_rule`]).
fn count_match(
    table: &crate::ofproto::table::FlowTable,
    rule: &crate::ofproto::table::RuleHandle,
    packets: u64,
    bytes: u64,
    now_ns: u64,
) {
    table.matches.fetch_add(packets, Ordering::Relaxed);
    count_rule(rule, packets, bytes, now_ns);
}

/// Counts `packets` packets of `bytes` bytes matched by `rule`: its
/// counters (as its `NO_PKT_COUNTS` / `NO_BYT_COUNTS` flags allow) and its
/// last hit.
fn count_rule(rule: &crate::ofproto::table::RuleHandle, packets: u64, bytes: u64, now_ns: u64) {
    let r = rule.payload();
    if r.flags & flags::NO_PKT_COUNTS == 0 {
        r.counters.packets.fetch_add(packets, Ordering::Relaxed);
    }
    if r.flags & flags::NO_BYT_COUNTS == 0 {
        r.counters.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
    r.counters
        .last_hit_ns
        .store(now_ns.max(1), Ordering::Relaxed);
}

/// Adds the counters that replays with [`Xlate::defer_counts`] skipped:
/// `packets` packets of `bytes` bytes in total, each of which made the
/// lookups of `steps`.
pub fn count_lookups(
    tables: &Tables,
    steps: &[record::Lookup],
    packets: u64,
    bytes: u64,
    now_ns: u64,
) {
    count_rules(steps, packets, bytes, now_ns, |t, lookups, matched| {
        TableTally::add_to(tables, t, lookups, matched)
    });
}

/// [`count_lookups`] with the tables' counters left to `table` (called
/// with each table, its lookups and how many of them matched).
pub fn count_rules(
    steps: &[record::Lookup],
    packets: u64,
    bytes: u64,
    now_ns: u64,
    mut table: impl FnMut(u8, u64, u64),
) {
    if packets == 0 {
        return;
    }
    for step in steps {
        table(
            step.table,
            packets,
            if step.rule.is_some() { packets } else { 0 },
        );
        if let Some(rule) = &step.rule {
            count_rule(rule, packets, bytes, now_ns);
        }
    }
}

/// Table counters gathered over a batch and added to the tables at once:
/// every packet shares them, so a batch updates each table's once rather
/// than once per megaflow.
#[derive(Debug)]
pub struct TableTally {
    /// (table, lookups, matches), tables in first-use order.
    tables: Vec<(u8, u64, u64)>,
}

impl Default for TableTally {
    fn default() -> Self {
        TableTally {
            // Room for typical pipelines: no allocation per batch.
            tables: Vec::with_capacity(16),
        }
    }
}

impl TableTally {
    /// Counts `lookups` lookups in `table`, `matched` of which found a rule.
    #[inline]
    pub fn add(&mut self, table: u8, lookups: u64, matched: u64) {
        match self.tables.iter_mut().find(|t| t.0 == table) {
            Some(t) => {
                t.1 += lookups;
                t.2 += matched;
            }
            None => self.tables.push((table, lookups, matched)),
        }
    }

    /// Adds what was gathered to `tables` and starts again.
    pub fn apply(&mut self, tables: &Tables) {
        for (t, lookups, matched) in self.tables.drain(..) {
            Self::add_to(tables, t, lookups, matched);
        }
    }

    fn add_to(tables: &Tables, t: u8, lookups: u64, matched: u64) {
        let table = &tables.tables[usize::from(t)];
        table.lookups.fetch_add(lookups, Ordering::Relaxed);
        if matched > 0 {
            table.matches.fetch_add(matched, Ordering::Relaxed);
        }
    }
}

/// A packet's translation through one bridge.
pub struct Xlate<'a> {
    /// The bridge's tables.
    pub tables: &'a Tables,
    /// The version to look rules up at.
    pub version: Version,
    /// The bridge's OpenFlow ports (for ALL and FLOOD).
    pub ports: &'a [u32],
    /// Nanoseconds since the tables' epoch (for idle timeouts).
    pub now_ns: u64,
    /// Bytes of a missed packet sent to OpenFlow 1.0–1.2 controllers
    /// (`miss_send_len` of the switch config).
    pub miss_send_len: u16,
    /// The bridge's groups.
    pub groups: &'a Groups,
    /// The bridge's meters.
    pub meters: &'a Meters,
    /// Whether an OpenFlow port is live (fast-failover watches).
    pub live: &'a dyn Fn(u32) -> bool,
    /// An OpenFlow port's `OFPPC_*` config (FLOOD skips NO_FLOOD ports).
    pub port_config: &'a dyn Fn(u32) -> u32,
    /// The bridge's MAC learning table (NORMAL).
    pub macs: &'a mac::MacTable,
    /// Seconds since the tables' epoch (MAC learning ages).
    pub now_secs: u32,
    /// Fail-open: every packet goes by NORMAL, not through the tables.
    pub fail_open: bool,
    /// Records what the translation consults, for the megaflow cache.
    pub rec: Option<&'a std::cell::RefCell<record::Recording>>,
    /// Replays a recorded translation: the rules its lookups found, in
    /// order, instead of looking them up (the caller checked that the
    /// packet agrees with the recorded one on every consulted bit, at the
    /// same table version).
    pub script: Option<&'a [record::Lookup]>,
    /// The next lookup's position in `script`.
    pub cursor: std::cell::Cell<usize>,
    /// Replaying: the scripted lookups leave the table and rule counters
    /// alone, and the caller adds them later with [`count_lookups`] (once
    /// per batch for all the packets of a megaflow). Lookups past the
    /// script still count.
    pub defer_counts: bool,
    /// Debug mode: every scripted lookup is also made in the tables, and
    /// a different result is counted here (and logged).
    pub check: Option<&'a std::sync::atomic::AtomicU64>,
}

/// Output deferred until the packet is known not to change any more.
#[derive(Default)]
struct Pending {
    port: Option<u32>,
    /// An output this datapath cannot carry out yet (LOCAL, NORMAL): the
    /// drop reason if the packet goes nowhere else.
    unsupported: Option<DropReason>,
    /// A packet-in was sent or a group took copies: the packet was
    /// consumed even without an output of its own.
    consumed: bool,
}

impl Pending {
    /// Disposes of the packet once the actions are done or `outcome`
    /// stopped them: the last output takes the packet itself, also when a
    /// later step stopped the pipeline (a failed edit leaves the packet as
    /// it was when that output was decided).
    fn finish<P, E: Emit<P>>(&mut self, pkt: P, outcome: Option<DropReason>, emit: &mut E) {
        match (self.port.take(), outcome) {
            (Some(port), _) => emit.emit(port, pkt),
            (None, Some(reason)) => emit.drop_packet(pkt, reason),
            // Sent to the controller only: consumed, not a drop.
            (None, None) if self.consumed => drop(pkt),
            (None, None) => {
                let reason = self.unsupported.unwrap_or(DropReason::NoOutput);
                emit.drop_packet(pkt, reason)
            }
        }
    }

    /// Sends the deferred output as a copy (the packet is about to change
    /// or to go somewhere else as well).
    fn flush<P, E: Emit<P>>(&mut self, pkt: &P, emit: &mut E) -> bool {
        match self.port.take() {
            Some(p) => emit.emit_copy(p, pkt),
            None => true,
        }
    }

    /// An output to port `p`: deferred, so that the last one takes the
    /// packet itself; an earlier deferred one gets a copy now.
    fn send<P, E: Emit<P>>(&mut self, p: u32, pkt: &P, emit: &mut E) -> bool {
        if !self.flush(pkt, emit) {
            return false;
        }
        self.port = Some(p);
        true
    }
}

/// Applies header edit `a` to the packet (and its flow and layout); a
/// deferred output first gets the packet as it is now.
fn edit<P: PacketBuf, E: Emit<P>>(
    a: &Action,
    pkt: &mut P,
    layout: &mut crate::flow::Layout,
    flow: &mut Flow,
    pending: &mut Pending,
    emit: &mut E,
) -> Step {
    if pending.port.is_some() && !pending.flush(pkt, emit) {
        return Step::Stop(DropReason::CopyFailed);
    }
    match apply_action(pkt, layout, flow, a) {
        Ok(Applied::Edited) | Ok(Applied::NotAnEdit) => Step::Continue,
        Err(EditError::TtlExpired) => Step::Stop(DropReason::TtlExpired),
        // An action whose header is absent does nothing (as in Open
        // vSwitch); no room to push a header drops.
        Err(EditError::NotApplicable(_)) | Err(EditError::NotSettable(_)) => Step::Continue,
        Err(EditError::NoRoom) => Step::Stop(DropReason::CopyFailed),
    }
}

/// Runs a compiled translation on `pkt` (parsed into `flow` and
/// `layout`): its outputs and edits in order, then its outcome, exactly
/// as the translation that recorded it disposed of the packet. Returns
/// `None` when every step ran, or the number of table lookups the
/// translation had made at the step where this run stopped (a copy or a
/// header push failed), whose counters are the ones this packet takes.
pub fn run_program<P: PacketBuf, E: Emit<P>>(
    prog: &record::Program,
    mut pkt: P,
    flow: &mut Flow,
    layout: &mut crate::flow::Layout,
    emit: &mut E,
) -> Option<u8> {
    let mut pending = Pending::default();
    for (op, lookups) in &prog.ops {
        let step = match op {
            record::DpOp::Output(p) => {
                if pending.send(*p, &pkt, emit) {
                    Step::Continue
                } else {
                    Step::Stop(DropReason::CopyFailed)
                }
            }
            record::DpOp::Edit(a) => edit(a, &mut pkt, layout, flow, &mut pending, emit),
        };
        if let Step::Stop(reason) = step {
            pending.finish(pkt, Some(reason), emit);
            return Some(*lookups);
        }
    }
    pending.finish(pkt, prog.outcome, emit);
    None
}

/// What executing one action did.
enum Step {
    Continue,
    Stop(DropReason),
}

impl Xlate<'_> {
    /// Runs `pkt`, received on OpenFlow port `in_port`, through the tables.
    pub fn run<P: PacketBuf, E: Emit<P>>(&self, in_port: u32, pkt: P, emit: &mut E) {
        let ex = extract(pkt.data(), in_port);
        self.run_extracted(in_port, pkt, ex.flow, ex.layout, emit);
    }

    /// [`Xlate::run`] for a packet already parsed into `flow` and `layout`.
    pub fn run_extracted<P: PacketBuf, E: Emit<P>>(
        &self,
        in_port: u32,
        mut pkt: P,
        mut flow: Flow,
        mut layout: crate::flow::Layout,
        emit: &mut E,
    ) {
        let len = pkt.len() as u64;
        let mut pending = Pending::default();
        let mut ctx = PinCtx {
            reason: reason::ACTION,
            table_id: 0,
            cookie: 0,
        };
        if self.fail_open {
            let outcome = match self.output(OFPP_NORMAL, in_port, &flow, &pkt, &mut pending, emit) {
                Step::Continue => None,
                Step::Stop(reason) => Some(reason),
            };
            return pending.finish(pkt, outcome, emit);
        }
        let mut action_set: Vec<Action> = Vec::new();
        let mut table_id = 0usize;
        let mut outcome: Option<DropReason> = None;
        loop {
            let table = &self.tables.tables[table_id];
            let live;
            let scripted = self.scripted();
            // A replay that defers its counts leaves the scripted lookups'
            // counters to the caller.
            let count_now = scripted.is_none() || !self.defer_counts;
            if count_now {
                table.lookups.fetch_add(1, Ordering::Relaxed);
            }
            let found = match scripted {
                Some(step) => {
                    if let Some(failures) = self.check {
                        let mut wc = [0u64; FLOW_WORDS];
                        let now = table.cls.lookup(flow.words(), self.version, &mut wc);
                        let same = match (&now, step) {
                            (Some(a), Some(b)) => crate::classifier::RuleRef::ptr_eq(a, b),
                            (None, None) => true,
                            _ => false,
                        };
                        // The first mismatch is logged; all are counted.
                        if !same && failures.fetch_add(1, Ordering::Relaxed) == 0 {
                            tracing::error!(
                                table = table_id,
                                ?flow,
                                "flow cache check: a cached translation differs from the tables"
                            );
                        }
                    }
                    step
                }
                None => {
                    let mut wc = [0u64; FLOW_WORDS];
                    live = table.cls.lookup(flow.words(), self.version, &mut wc);
                    if let Some(r) = self.rec {
                        r.borrow_mut().lookup(table_id as u8, &wc, live.as_ref());
                    }
                    live.as_ref()
                }
            };
            let Some(rule) = found else {
                // An OpenFlow 1.1/1.2 table-mod may have set this table's
                // miss behaviour: continue with the next table, or drop.
                let miss = table.config.load(Ordering::Relaxed) & table_config::MISS_MASK;
                if miss == table_config::MISS_CONTINUE && table_id + 1 < N_TABLES {
                    table_id += 1;
                    continue;
                }
                if miss == table_config::MISS_DROP {
                    action_set.clear();
                    outcome = Some(DropReason::TableMiss);
                    break;
                }
                // OpenFlow 1.3+: a miss without a table-miss entry drops,
                // and so does the action set (it is not executed). OpenFlow
                // 1.0–1.2 controllers get the packet (the queue offers it;
                // the connections decide).
                action_set.clear();
                self.opaque();
                emit.to_controller(in_port, || {
                    self.packet_in(
                        &pkt,
                        &flow,
                        PinCtx {
                            reason: reason::NO_MATCH,
                            table_id: table_id as u8,
                            cookie: u64::MAX,
                        },
                        self.miss_send_len,
                        true,
                    )
                });
                outcome = Some(DropReason::TableMiss);
                break;
            };
            if count_now {
                count_match(table, rule, 1, len, self.now_ns);
            }
            let r = rule.payload();
            // A table-miss entry (priority 0, empty match) sends NO_MATCH.
            let table_miss_rule = rule.priority() == 0 && rule.mask().iter().all(|&w| w == 0);
            ctx = PinCtx {
                reason: if table_miss_rule {
                    reason::NO_MATCH
                } else {
                    reason::ACTION
                },
                table_id: table_id as u8,
                cookie: r.cookie,
            };

            let mut next_table = None;
            // Instructions in the spec's order whatever their wire order.
            for rank in 0..6 {
                for ins in r.instructions.iter() {
                    let this_rank = match ins {
                        Instruction::Meter(_) => 0,
                        Instruction::ApplyActions(_) => 1,
                        Instruction::ClearActions => 2,
                        Instruction::WriteActions(_) => 3,
                        Instruction::WriteMetadata { .. } => 4,
                        Instruction::GotoTable(_) => 5,
                        Instruction::Experimenter { .. } => 6,
                    };
                    if this_rank != rank {
                        continue;
                    }
                    match ins {
                        Instruction::ApplyActions(actions) => {
                            for a in actions {
                                match self.action(
                                    a,
                                    in_port,
                                    ctx,
                                    0,
                                    &mut pkt,
                                    &mut layout,
                                    &mut flow,
                                    &mut pending,
                                    emit,
                                ) {
                                    Step::Continue => {}
                                    Step::Stop(reason) => {
                                        outcome = Some(reason);
                                    }
                                }
                                if outcome.is_some() {
                                    break;
                                }
                            }
                        }
                        Instruction::ClearActions => action_set.clear(),
                        Instruction::WriteActions(actions) => {
                            for a in actions {
                                action_set.retain(|old| !same_slot(old, a));
                                action_set.push(a.clone());
                            }
                        }
                        Instruction::WriteMetadata { metadata, mask } => {
                            let old = Field::Metadata.get(&flow) as u64;
                            let new = (old & !mask) | (metadata & mask);
                            Field::Metadata.set(&mut flow, u128::from(new));
                        }
                        Instruction::GotoTable(t) => next_table = Some(usize::from(*t)),
                        Instruction::Meter(id) => {
                            self.opaque();
                            if let Some(m) = self.meters.get(*id) {
                                match m.apply(len, self.now_ns) {
                                    Verdict::Pass => {}
                                    Verdict::Drop => outcome = Some(DropReason::Meter),
                                    Verdict::Remark(prec) => {
                                        remark_dscp(&mut pkt, &mut layout, &mut flow, prec)
                                    }
                                }
                            }
                        }
                        // Refused when the flow was added.
                        Instruction::Experimenter { .. } => {}
                    }
                    if outcome.is_some() {
                        break;
                    }
                }
                if outcome.is_some() {
                    break;
                }
            }
            if outcome.is_some() {
                break;
            }
            match next_table {
                Some(t) if t > table_id && t < N_TABLES => table_id = t,
                _ => break,
            }
        }

        if outcome.is_none() && !action_set.is_empty() {
            action_set.sort_by_key(set_rank);
            // A group in the set takes the place of the output.
            let has_group = action_set.iter().any(|a| matches!(a, Action::Group(_)));
            for a in &action_set {
                if has_group && matches!(a, Action::Output { .. } | Action::Enqueue { .. }) {
                    continue;
                }
                let set_ctx = PinCtx {
                    reason: if ctx.reason == reason::NO_MATCH {
                        reason::NO_MATCH
                    } else {
                        reason::ACTION_SET
                    },
                    ..ctx
                };
                if let Step::Stop(reason) = self.action(
                    a,
                    in_port,
                    set_ctx,
                    0,
                    &mut pkt,
                    &mut layout,
                    &mut flow,
                    &mut pending,
                    emit,
                ) {
                    outcome = Some(reason);
                    break;
                }
            }
        }

        if let Some(r) = self.rec {
            r.borrow_mut().outcome(outcome);
        }
        pending.finish(pkt, outcome, emit);
    }

    /// Executes a packet-out's action list on `pkt` (received on
    /// `in_port`, which may be `OFPP_CONTROLLER`): as apply-actions, where
    /// an output to `OFPP_TABLE` runs the packet through the tables.
    pub fn run_actions<P: PacketBuf, E: Emit<P>>(
        &self,
        in_port: u32,
        actions: &[Action],
        pkt: P,
        emit: &mut E,
    ) {
        let ex = extract(pkt.data(), in_port);
        let ctx = PinCtx {
            reason: reason::PACKET_OUT,
            table_id: 0xff,
            cookie: u64::MAX,
        };
        self.exec_list(in_port, actions, pkt, ex.flow, ex.layout, ctx, 0, emit);
    }

    /// Executes an action list on `pkt` as apply-actions (a packet-out's
    /// actions, a group bucket), then sends or drops the packet.
    #[allow(clippy::too_many_arguments)]
    fn exec_list<P: PacketBuf, E: Emit<P>>(
        &self,
        in_port: u32,
        actions: &[Action],
        mut pkt: P,
        mut flow: Flow,
        mut layout: crate::flow::Layout,
        ctx: PinCtx,
        depth: usize,
        emit: &mut E,
    ) {
        let mut pending = Pending::default();
        let mut outcome = None;
        for (i, a) in actions.iter().enumerate() {
            if matches!(
                a,
                Action::Output {
                    port: OFPP_TABLE,
                    ..
                }
            ) {
                if !pending.flush(&pkt, emit) {
                    outcome = Some(DropReason::CopyFailed);
                    break;
                }
                if i + 1 == actions.len() {
                    // Last: the packet itself goes through the tables.
                    self.run(in_port, pkt, emit);
                    return;
                }
                match emit.copy_packet(&pkt) {
                    Some(copy) => self.run(in_port, copy, emit),
                    None => {
                        outcome = Some(DropReason::CopyFailed);
                        break;
                    }
                }
                continue;
            }
            if let Step::Stop(reason) = self.action(
                a,
                in_port,
                ctx,
                depth,
                &mut pkt,
                &mut layout,
                &mut flow,
                &mut pending,
                emit,
            ) {
                outcome = Some(reason);
                break;
            }
        }
        pending.finish(pkt, outcome, emit);
    }

    /// Whether a fast-failover bucket's watches are live.
    fn bucket_live(&self, watch_port: u32, watch_group: u32, depth: usize) -> bool {
        let port_ok = watch_port == openflow::port::OFPP_ANY || (self.live)(watch_port);
        let group_ok = watch_group == OFPG_ANY
            || (depth < MAX_CHAIN
                && self.groups.get(watch_group).is_some_and(|g| {
                    g.buckets
                        .iter()
                        .any(|b| self.bucket_live(b.watch_port, b.watch_group, depth + 1))
                }));
        port_ok && group_ok
    }

    /// The bucket of a select group for `flow`: a hash of its L2–L4
    /// fields picks among the buckets by weight, so one flow stays on one
    /// bucket and distinct flows spread.
    fn select_bucket(&self, g: &Group, flow: &Flow, depth: usize) -> Option<usize> {
        // Two passes over the buckets rather than a list of the live ones:
        // nothing is allocated per packet.
        let live = || {
            g.buckets
                .iter()
                .enumerate()
                .filter(|(_, b)| {
                    b.weight > 0 && self.bucket_live(b.watch_port, b.watch_group, depth)
                })
                .map(|(i, b)| (i, u64::from(b.weight)))
        };
        let total: u64 = live().map(|(_, w)| w).sum();
        if total == 0 {
            return None;
        }
        let mask = select_mask();
        self.consult(&mask);
        let mut pick = flow.hash_masked(&mask, 0) % total;
        for (i, w) in live() {
            if pick < w {
                return Some(i);
            }
            pick -= w;
        }
        None
    }

    /// Executes group `id` on copies of `pkt`.
    #[allow(clippy::too_many_arguments)]
    fn group<P: PacketBuf, E: Emit<P>>(
        &self,
        id: u32,
        depth: usize,
        in_port: u32,
        ctx: PinCtx,
        pkt: &P,
        layout: &crate::flow::Layout,
        flow: &Flow,
        emit: &mut E,
    ) {
        if depth >= MAX_CHAIN {
            return;
        }
        let Some(g) = self.groups.get(id) else {
            return;
        };
        let len = pkt.len() as u64;
        g.counter.hit(len);
        let chosen: Vec<usize> = match g.group_type {
            GroupType::All => (0..g.buckets.len()).collect(),
            GroupType::Indirect => vec![0],
            GroupType::Select => self.select_bucket(&g, flow, depth).into_iter().collect(),
            GroupType::FastFailover => g
                .buckets
                .iter()
                .position(|b| self.bucket_live(b.watch_port, b.watch_group, depth))
                .into_iter()
                .collect(),
        };
        for i in chosen {
            let Some(bucket) = g.buckets.get(i) else {
                continue;
            };
            g.bucket_counters[i].hit(len);
            let Some(copy) = emit.copy_packet(pkt) else {
                continue;
            };
            self.exec_list(
                in_port,
                &bucket.actions,
                copy,
                *flow,
                *layout,
                ctx,
                depth + 1,
                emit,
            );
        }
    }

    /// Executes one action.
    #[allow(clippy::too_many_arguments)]
    fn action<P: PacketBuf, E: Emit<P>>(
        &self,
        a: &Action,
        in_port: u32,
        ctx: PinCtx,
        depth: usize,
        pkt: &mut P,
        layout: &mut crate::flow::Layout,
        flow: &mut Flow,
        pending: &mut Pending,
        emit: &mut E,
    ) -> Step {
        if let Action::Group(g) = a {
            self.opaque();
            // Buckets work on copies of the packet as it is now; a deferred
            // output goes first.
            if pending.port.is_some() && !pending.flush(pkt, emit) {
                return Step::Stop(DropReason::CopyFailed);
            }
            let ctx = PinCtx {
                reason: reason::GROUP,
                ..ctx
            };
            self.group(*g, depth, in_port, ctx, pkt, layout, flow, emit);
            pending.consumed = true;
            return Step::Continue;
        }
        let out_port = match a {
            Action::Output { port, .. } | Action::Enqueue { port, .. } => Some(*port),
            _ => None,
        };
        if let Some(port) = out_port {
            if port == OFPP_CONTROLLER {
                self.opaque();
                let max_len = match a {
                    Action::Output { max_len, .. } => *max_len,
                    _ => u16::MAX,
                };
                emit.to_controller(in_port, || self.packet_in(pkt, flow, ctx, max_len, false));
                pending.consumed = true;
                return Step::Continue;
            }
            return self.output(port, in_port, flow, pkt, pending, emit);
        }
        match a {
            // Queues and experimenter actions do not edit the packet here
            // (experimenter actions are refused at flow-mod time).
            Action::SetQueue(_) | Action::Group(_) | Action::Experimenter { .. } => Step::Continue,
            _ => {
                if let Some(r) = self.rec {
                    let mut r = r.borrow_mut();
                    r.edit(a);
                    r.op(record::DpOp::Edit(a.clone()));
                }
                let step = edit(a, pkt, layout, flow, pending, emit);
                if let Step::Stop(_) = step {
                    // The steps after this one were not taken, so a packet
                    // whose edit succeeds could not run the program.
                    self.opaque();
                }
                step
            }
        }
    }

    /// The packet-in for `pkt` as it is now.
    fn packet_in<P: PacketBuf>(
        &self,
        pkt: &P,
        flow: &Flow,
        ctx: PinCtx,
        max_len: u16,
        miss: bool,
    ) -> PacketInEvent {
        let data = pkt.data();
        // OFPCML_NO_BUFFER (0xffff): the whole packet.
        let n = if max_len == u16::MAX {
            data.len()
        } else {
            data.len().min(usize::from(max_len))
        };
        PacketInEvent {
            in_port: flow.in_port(),
            metadata: Field::Metadata.get(flow) as u64,
            reason: ctx.reason,
            table_id: ctx.table_id,
            cookie: ctx.cookie,
            miss,
            total_len: u16::try_from(pkt.len()).unwrap_or(u16::MAX),
            data: data[..n].to_vec(),
        }
    }

    /// The next scripted lookup result (`None`: not replaying, or the
    /// script is used up and the tables decide).
    fn scripted(&self) -> Option<Option<&crate::ofproto::table::RuleHandle>> {
        let script = self.script?;
        let i = self.cursor.get();
        self.cursor.set(i + 1);
        script.get(i).map(|l| l.rule.as_ref())
    }

    /// Records a step of the translation's program.
    fn op(&self, op: record::DpOp) {
        if let Some(r) = self.rec {
            r.borrow_mut().op(op);
        }
    }

    /// Records that the translation cannot be compiled to a program.
    fn opaque(&self) {
        if let Some(r) = self.rec {
            r.borrow_mut().opaque();
        }
    }

    /// Records that the translation consulted `bits` of the flow.
    fn consult(&self, bits: &Flow) {
        if let Some(r) = self.rec {
            r.borrow_mut().consult(bits.words());
        }
    }

    /// NORMAL: learns the packet's source address on `in_port` (a port of
    /// the bridge), then returns the port its destination was learned on,
    /// or `None` to flood (unknown, broadcast or multicast destination).
    fn normal(&self, in_port: u32, flow: &Flow) -> Option<u32> {
        if self.rec.is_some() {
            let mut m = Flow::ZERO;
            for f in [Field::EthSrc, Field::EthDst, Field::VlanVid] {
                f.set_mask_all(&mut m);
            }
            self.consult(&m);
        }
        // The VLAN id without OFPVID_PRESENT; 0 untagged.
        let vlan = (Field::VlanVid.get(flow) & 0xfff) as u16;
        let src = Field::EthSrc.get(flow) as u64;
        let dst = Field::EthDst.get(flow) as u64;
        if !mac::is_multicast(src) && self.ports.contains(&in_port) {
            self.macs.learn(vlan, src, in_port, self.now_secs);
        }
        if mac::is_multicast(dst) {
            return None;
        }
        self.macs
            .lookup(vlan, dst, self.now_secs)
            .filter(|p| self.ports.contains(p))
    }

    fn output<P: PacketBuf, E: Emit<P>>(
        &self,
        port: u32,
        in_port: u32,
        flow: &Flow,
        pkt: &P,
        pending: &mut Pending,
        emit: &mut E,
    ) -> Step {
        let send = |p: u32, pending: &mut Pending, emit: &mut E| pending.send(p, pkt, emit);
        // Outputs to one port compile into the program; the others depend
        // on the ports, their config or the learning table.
        let send_one = |p: u32, pending: &mut Pending, emit: &mut E| {
            self.op(record::DpOp::Output(p));
            send(p, pending, emit)
        };
        if matches!(port, OFPP_ALL | OFPP_FLOOD | OFPP_NORMAL | OFPP_LOCAL) {
            self.opaque();
        }
        let flood = |all: bool, pending: &mut Pending, emit: &mut E| -> bool {
            let mut ok = true;
            for &p in self.ports.iter().filter(|&&p| {
                p != in_port
                    && (all || (self.port_config)(p) & openflow::port::ofppc::NO_FLOOD == 0)
            }) {
                ok &= send(p, pending, emit);
            }
            ok
        };
        let ok = match port {
            OFPP_IN_PORT => send_one(in_port, pending, emit),
            OFPP_ALL | OFPP_FLOOD => flood(port == OFPP_ALL, pending, emit),
            OFPP_NORMAL => match self.normal(in_port, flow) {
                // Learned on the port it came from: it has arrived.
                Some(p) if p == in_port => true,
                Some(p) => send(p, pending, emit),
                None => flood(false, pending, emit),
            },
            // The bridge's internal port, when it has one.
            OFPP_LOCAL if self.ports.contains(&OFPP_LOCAL) && in_port != OFPP_LOCAL => {
                send(OFPP_LOCAL, pending, emit)
            }
            OFPP_LOCAL if in_port == OFPP_LOCAL => true,
            OFPP_LOCAL => {
                pending.unsupported = Some(DropReason::Local);
                true
            }
            p if p > 0 && p < OFPP_MAX => {
                // OpenFlow: output to the input port only through IN_PORT.
                if p == in_port {
                    true
                } else {
                    send_one(p, pending, emit)
                }
            }
            // TABLE outside a packet-out, and reserved ports that name no
            // destination: nothing is sent.
            _ => true,
        };
        if ok {
            Step::Continue
        } else {
            self.opaque();
            Step::Stop(DropReason::CopyFailed)
        }
    }
}

#[cfg(test)]
mod tests {
    mod differential;

    use super::*;
    use crate::ofproto::table::{command, OFPG_ANY};
    use openflow::flow_match::Match;
    use openflow::flow_mod::FlowMod;
    use openflow::oxm::OxmField;
    use openflow::port::OFPP_ANY;

    /// Records what the pipeline did.
    #[derive(Default)]
    struct Recorder {
        out: Vec<(u32, Vec<u8>, bool)>,
        dropped: Vec<DropReason>,
        pins: Vec<PacketInEvent>,
    }

    impl Emit<Vec<u8>> for Recorder {
        fn emit_copy(&mut self, port: u32, pkt: &Vec<u8>) -> bool {
            self.out.push((port, pkt.clone(), true));
            true
        }
        fn emit(&mut self, port: u32, pkt: Vec<u8>) {
            self.out.push((port, pkt, false));
        }
        fn drop_packet(&mut self, _pkt: Vec<u8>, reason: DropReason) {
            self.dropped.push(reason);
        }
        fn to_controller(&mut self, _in_port: u32, ev: impl FnOnce() -> PacketInEvent) {
            self.pins.push(ev());
        }
        fn copy_packet(&mut self, pkt: &Vec<u8>) -> Option<Vec<u8>> {
            Some(pkt.clone())
        }
    }

    /// A 60-byte Ethernet/IPv4/UDP frame.
    fn udp(dst_port: u16, ttl: u8) -> Vec<u8> {
        let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
        let mut ip = [
            0x45, 0, 0, 46, 0, 0, 0, 0, ttl, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        let sum = crate::flow::checksum::checksum(&ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        f.extend_from_slice(&ip);
        f.extend_from_slice(&1000u16.to_be_bytes());
        f.extend_from_slice(&dst_port.to_be_bytes());
        f.extend_from_slice(&26u16.to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.resize(60, 0);
        f
    }

    fn add(t: &Tables, table_id: u8, priority: u16, fields: Vec<OxmField>, ins: Vec<Instruction>) {
        add_g(t, &Groups::default(), table_id, priority, fields, ins)
    }

    fn add_g(
        t: &Tables,
        groups: &Groups,
        table_id: u8,
        priority: u16,
        fields: Vec<OxmField>,
        ins: Vec<Instruction>,
    ) {
        t.flow_mod(
            &FlowMod::new(command::ADD, table_id, priority, Match::new(fields), ins),
            openflow::Version::V1_3,
            groups,
            &Meters::default(),
        )
        .unwrap();
    }

    fn out(port: u32) -> Action {
        Action::Output { port, max_len: 0 }
    }

    /// A translator for tests: ports 1-3, `miss_send_len` 128, no meters.
    fn xlate<'a>(
        t: &'a Tables,
        groups: &'a Groups,
        macs: &'a mac::MacTable,
        live: &'a dyn Fn(u32) -> bool,
        port_config: &'a dyn Fn(u32) -> u32,
        fail_open: bool,
    ) -> Xlate<'a> {
        static NO_METERS: std::sync::LazyLock<Meters> = std::sync::LazyLock::new(Meters::default);
        Xlate {
            tables: t,
            version: t.version(),
            ports: &[1, 2, 3],
            now_ns: 1,
            miss_send_len: 128,
            groups,
            meters: &NO_METERS,
            live,
            port_config,
            macs,
            now_secs: 10,
            fail_open,
            rec: None,
            script: None,
            cursor: Default::default(),
            defer_counts: false,
            check: None,
        }
    }

    fn run(t: &Tables, in_port: u32, pkt: Vec<u8>) -> Recorder {
        let mut rec = Recorder::default();
        xlate(
            t,
            &Groups::default(),
            &mac::MacTable::default(),
            &|_| true,
            &|_| 0,
            false,
        )
        .run(in_port, pkt, &mut rec);
        rec
    }

    #[test]
    fn single_output_sends_the_packet_itself_and_counts() {
        let t = Tables::new(100);
        add(
            &t,
            0,
            1,
            vec![OxmField::InPort(1)],
            vec![Instruction::ApplyActions(vec![out(2)])],
        );
        t.commit();
        let rec = run(&t, 1, udp(53, 64));
        assert_eq!(rec.out.len(), 1);
        assert_eq!(
            (rec.out[0].0, rec.out[0].2),
            (2, false),
            "no copy for one output"
        );
        assert_eq!(rec.out[0].1, udp(53, 64));
        let rules = t.tables[0].cls.rules_visible(t.version());
        assert_eq!(
            rules[0].payload().counters.packets.load(Ordering::Relaxed),
            1
        );
        assert_eq!(
            rules[0].payload().counters.bytes.load(Ordering::Relaxed),
            60
        );
        // Another in_port misses: dropped, counted as a table miss.
        let rec = run(&t, 3, udp(53, 64));
        assert_eq!(rec.dropped, vec![DropReason::TableMiss]);
        assert_eq!(t.tables[0].lookups.load(Ordering::Relaxed), 2);
        assert_eq!(t.tables[0].matches.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn edits_between_outputs_and_the_action_set() {
        let t = Tables::new(100);
        // Table 0: output the original to 3, rewrite the UDP port, then
        // write dec_ttl + output:2 into the action set and go to table 1.
        add(
            &t,
            0,
            1,
            vec![],
            vec![
                Instruction::GotoTable(1),
                Instruction::WriteActions(vec![out(2), Action::DecNwTtl]),
                Instruction::ApplyActions(vec![out(3), Action::SetField(OxmField::UdpDst(99))]),
            ],
        );
        // Table 1: write metadata only; the set runs at the end.
        add(
            &t,
            1,
            1,
            vec![],
            vec![Instruction::WriteMetadata {
                metadata: 7,
                mask: u64::MAX,
            }],
        );
        t.commit();
        let rec = run(&t, 1, udp(53, 64));
        assert_eq!(
            rec.out.len(),
            2,
            "{:?}",
            rec.out.iter().map(|o| o.0).collect::<Vec<_>>()
        );
        // Port 3 got a copy before the rewrite.
        assert_eq!((rec.out[0].0, rec.out[0].2), (3, true));
        assert_eq!(rec.out[0].1, udp(53, 64));
        // Port 2 got the packet with the new port and TTL 63, checksums
        // right (extract of the result equals the expected frame's).
        assert_eq!((rec.out[1].0, rec.out[1].2), (2, false));
        let got = &rec.out[1].1;
        let want = {
            let mut w = udp(99, 63);
            // UDP checksum stays 0 (none) for IPv4.
            w[40..42].copy_from_slice(&[0, 0]);
            w
        };
        assert_eq!(extract(got, 0).flow, extract(&want, 0).flow);
        assert_eq!(&got[14..34], &want[14..34], "IPv4 header incl. checksum");
    }

    #[test]
    fn flood_skips_the_input_port_and_ttl_expiry_drops() {
        let t = Tables::new(100);
        add(
            &t,
            0,
            2,
            vec![OxmField::InPort(2)],
            vec![Instruction::ApplyActions(vec![out(OFPP_FLOOD)])],
        );
        add(
            &t,
            0,
            1,
            vec![],
            vec![Instruction::ApplyActions(vec![Action::DecNwTtl, out(2)])],
        );
        t.commit();
        let rec = run(&t, 2, udp(1, 64));
        let ports: Vec<u32> = rec.out.iter().map(|o| o.0).collect();
        assert_eq!(ports, vec![1, 3]);
        assert_eq!(
            rec.out.iter().filter(|o| !o.2).count(),
            1,
            "one copy, one original"
        );
        let rec = run(&t, 1, udp(1, 1));
        assert!(rec.out.is_empty());
        assert_eq!(rec.dropped, vec![DropReason::TtlExpired]);
        let rec = run(&t, 1, udp(1, 9));
        assert_eq!(rec.out.len(), 1);
    }

    #[test]
    fn controller_outputs_become_packet_ins() {
        let t = Tables::new(100);
        // A miss without a rule: offered as a 1.0-1.2 style miss.
        let rec = run(&t, 1, udp(1, 64));
        assert_eq!(rec.dropped, vec![DropReason::TableMiss]);
        assert_eq!(rec.pins.len(), 1);
        assert!(rec.pins[0].miss);
        assert_eq!(rec.pins[0].data.len(), 60, "shorter than miss_send_len");
        // A table-miss rule to the controller: NO_MATCH, max_len bytes.
        add(
            &t,
            0,
            0,
            vec![],
            vec![Instruction::ApplyActions(vec![Action::Output {
                port: OFPP_CONTROLLER,
                max_len: 20,
            }])],
        );
        // A real rule: ACTION, whole packet, then output as well.
        add(
            &t,
            0,
            9,
            vec![OxmField::InPort(2)],
            vec![Instruction::ApplyActions(vec![
                Action::Output {
                    port: OFPP_CONTROLLER,
                    max_len: u16::MAX,
                },
                out(3),
            ])],
        );
        t.commit();
        let rec = run(&t, 1, udp(1, 64));
        assert!(rec.dropped.is_empty() && rec.out.is_empty());
        let p = &rec.pins[0];
        assert_eq!(
            (p.reason, p.miss, p.data.len(), p.total_len),
            (reason::NO_MATCH, false, 20, 60)
        );
        assert_eq!(p.in_port, 1);
        let rec = run(&t, 2, udp(1, 64));
        assert_eq!(rec.pins[0].reason, reason::ACTION);
        assert_eq!(rec.pins[0].data, udp(1, 64));
        assert_eq!(rec.out.len(), 1);
    }

    #[test]
    fn packet_out_actions_and_table() {
        let t = Tables::new(100);
        add(
            &t,
            0,
            1,
            vec![OxmField::InPort(1)],
            vec![Instruction::ApplyActions(vec![out(3)])],
        );
        t.commit();
        let (groups, macs) = (Groups::default(), mac::MacTable::default());
        let x = xlate(&t, &groups, &macs, &|_| true, &|_| 0, false);
        // Output to 2, then through the tables (in_port 1 -> port 3).
        let mut rec = Recorder::default();
        x.run_actions(1, &[out(2), out(OFPP_TABLE)], udp(1, 64), &mut rec);
        let ports: Vec<u32> = rec.out.iter().map(|o| o.0).collect();
        assert_eq!(ports, vec![2, 3]);
        // From CONTROLLER with a rewrite: the output sees it.
        let mut rec = Recorder::default();
        x.run_actions(
            OFPP_CONTROLLER,
            &[Action::SetField(OxmField::UdpDst(9)), out(2)],
            udp(1, 64),
            &mut rec,
        );
        assert_eq!(rec.out.len(), 1);
        assert_eq!(extract(&rec.out[0].1, 0).flow, extract(&udp(9, 64), 0).flow);
        // To the controller: a PACKET_OUT packet-in, nothing dropped.
        let mut rec = Recorder::default();
        x.run_actions(1, &[out(OFPP_CONTROLLER)], udp(1, 64), &mut rec);
        assert_eq!(rec.pins[0].reason, reason::PACKET_OUT);
        assert!(rec.dropped.is_empty());
    }

    fn group(
        groups: &Groups,
        id: u32,
        group_type: GroupType,
        buckets: Vec<(u16, u32, Vec<Action>)>,
    ) {
        use openflow::group::Bucket;
        groups
            .group_mod(&openflow::group_meter_mod::GroupMod {
                command: 0,
                group_type,
                group_id: id,
                buckets: buckets
                    .into_iter()
                    .map(|(weight, watch_port, actions)| Bucket {
                        weight,
                        watch_port,
                        watch_group: OFPG_ANY,
                        actions,
                    })
                    .collect(),
            })
            .unwrap();
    }

    fn run_g(t: &Tables, groups: &Groups, live: &dyn Fn(u32) -> bool, pkt: Vec<u8>) -> Recorder {
        let mut rec = Recorder::default();
        xlate(t, groups, &mac::MacTable::default(), live, &|_| 0, false).run(1, pkt, &mut rec);
        rec
    }

    /// A match on UDP source port `p`, with its prerequisites.
    fn udp_src(p: u16) -> Vec<OxmField> {
        vec![
            OxmField::EthType(0x0800),
            OxmField::IpProto(17),
            OxmField::UdpSrc(p),
        ]
    }

    /// A UDP frame of another flow (source port `sport`).
    fn udp_from(sport: u16) -> Vec<u8> {
        let mut f = udp(53, 64);
        f[34..36].copy_from_slice(&sport.to_be_bytes());
        f
    }

    #[test]
    fn groups_all_select_indirect_and_fast_failover() {
        use openflow::port::OFPP_ANY;
        let t = Tables::new(100);
        let g = Groups::default();
        group(
            &g,
            1,
            GroupType::All,
            vec![(0, OFPP_ANY, vec![out(2)]), (0, OFPP_ANY, vec![out(3)])],
        );
        group(
            &g,
            2,
            GroupType::Select,
            vec![(1, OFPP_ANY, vec![out(2)]), (1, OFPP_ANY, vec![out(3)])],
        );
        group(
            &g,
            3,
            GroupType::Indirect,
            vec![(
                0,
                OFPP_ANY,
                vec![Action::SetField(OxmField::UdpDst(7)), out(2)],
            )],
        );
        group(
            &g,
            4,
            GroupType::FastFailover,
            vec![(0, 2, vec![out(2)]), (0, 3, vec![out(3)])],
        );
        let for_group = |id: u32| vec![Instruction::ApplyActions(vec![Action::Group(id)])];
        add_g(&t, &g, 0, 1, udp_src(1000), for_group(1));
        add_g(&t, &g, 0, 1, udp_src(2000), for_group(3));
        add_g(&t, &g, 0, 1, udp_src(3000), for_group(4));
        add_g(&t, &g, 0, 0, vec![], for_group(2));
        t.commit();
        let all_live = |_: u32| true;
        let ports = |r: &Recorder| r.out.iter().map(|o| o.0).collect::<Vec<_>>();

        // all: every bucket, each on a copy; the original is consumed.
        let rec = run_g(&t, &g, &all_live, udp_from(1000));
        assert_eq!(ports(&rec), vec![2, 3]);
        assert!(rec.dropped.is_empty());
        assert_eq!(
            g.get(1).unwrap().bucket_counters[1]
                .packets
                .load(Ordering::Relaxed),
            1
        );

        // indirect: the bucket's edits apply to what it outputs.
        let rec = run_g(&t, &g, &all_live, udp_from(2000));
        assert_eq!(ports(&rec), vec![2]);
        assert_eq!(Field::UdpDst.get(&extract(&rec.out[0].1, 0).flow), 7);

        // fast failover: port 2 dead, so the second bucket.
        let rec = run_g(&t, &g, &|p| p != 2, udp_from(3000));
        assert_eq!(ports(&rec), vec![3]);
        let rec = run_g(&t, &g, &all_live, udp_from(3000));
        assert_eq!(ports(&rec), vec![2]);
        let rec = run_g(&t, &g, &|_| false, udp_from(3000));
        assert!(rec.out.is_empty(), "no live bucket");

        // select: one flow stays on one bucket; many flows use both.
        let mut seen = std::collections::BTreeSet::new();
        for sport in 4000..4064 {
            let first = ports(&run_g(&t, &g, &all_live, udp_from(sport)));
            assert_eq!(first.len(), 1);
            assert_eq!(ports(&run_g(&t, &g, &all_live, udp_from(sport))), first);
            seen.insert(first[0]);
        }
        assert_eq!(seen.len(), 2, "distinct flows spread over both buckets");
    }

    #[test]
    fn openflow11_table_miss_config_continues_or_drops() {
        let t = Tables::new(100);
        add(
            &t,
            1,
            1,
            vec![],
            vec![Instruction::ApplyActions(vec![out(2)])],
        );
        t.commit();
        // Default: a miss in table 0 goes to the controller (1.0-1.2).
        let rec = run(&t, 1, udp(1, 64));
        assert_eq!((rec.pins.len(), rec.out.len()), (1, 0));
        let tm = |config| openflow::config::TableMod {
            table_id: 0,
            config,
            properties: Vec::new(),
        };
        t.table_mod(&tm(table_config::MISS_CONTINUE), openflow::Version::V1_1)
            .unwrap();
        let rec = run(&t, 1, udp(1, 64));
        assert_eq!(rec.out.iter().map(|o| o.0).collect::<Vec<_>>(), vec![2]);
        t.table_mod(&tm(table_config::MISS_DROP), openflow::Version::V1_2)
            .unwrap();
        let rec = run(&t, 1, udp(1, 64));
        assert!(rec.pins.is_empty() && rec.out.is_empty());
        assert_eq!(rec.dropped, vec![DropReason::TableMiss]);
        // 1.3 ignores the deprecated bits.
        t.table_mod(&tm(table_config::MISS_CONTINUE), openflow::Version::V1_3)
            .unwrap();
        assert_eq!(run(&t, 1, udp(1, 64)).pins.len(), 1);
    }

    #[test]
    fn unsupported_outputs_are_counted_drops() {
        let t = Tables::new(100);
        add(
            &t,
            0,
            1,
            vec![],
            vec![Instruction::ApplyActions(vec![out(OFPP_LOCAL)])],
        );
        t.commit();
        assert_eq!(run(&t, 1, udp(1, 64)).dropped, vec![DropReason::Local]);
        let t = Tables::new(100);
        add(&t, 0, 1, vec![], vec![Instruction::ApplyActions(vec![])]);
        t.commit();
        assert_eq!(run(&t, 1, udp(1, 64)).dropped, vec![DropReason::NoOutput]);
    }

    #[test]
    fn truncated_packets_never_panic() {
        let t = Tables::new(100);
        add(
            &t,
            0,
            1,
            vec![],
            vec![Instruction::ApplyActions(vec![
                Action::SetField(OxmField::UdpDst(7)),
                Action::DecNwTtl,
                Action::PushVlan(0x8100),
                out(2),
            ])],
        );
        t.commit();
        let full = udp(5, 64);
        for n in 0..=full.len() {
            let rec = run(&t, 1, full[..n].to_vec());
            assert_eq!(rec.out.len() + rec.dropped.len(), 1, "length {n}");
        }
    }

    /// A frame from `src` to `dst` (last octets of 02:00:00:00:00:xx;
    /// 0xff: broadcast).
    fn frame(src: u8, dst: u8) -> Vec<u8> {
        let mut f = udp(1, 64);
        f[..6].copy_from_slice(&if dst == 0xff {
            [0xff; 6]
        } else {
            [2, 0, 0, 0, 0, dst]
        });
        f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, src]);
        f
    }

    fn run_normal(
        t: &Tables,
        macs: &mac::MacTable,
        fail_open: bool,
        in_port: u32,
        pkt: Vec<u8>,
    ) -> Vec<u32> {
        let mut rec = Recorder::default();
        xlate(
            t,
            &Groups::default(),
            macs,
            &|_| true,
            &|p| {
                if p == 3 {
                    openflow::port::ofppc::NO_FLOOD
                } else {
                    0
                }
            },
            fail_open,
        )
        .run(in_port, pkt, &mut rec);
        let mut ports: Vec<u32> = rec.out.iter().map(|o| o.0).collect();
        ports.sort();
        ports
    }

    #[test]
    fn normal_learns_and_floods_the_unknown() {
        let t = Tables::new(100);
        add(
            &t,
            0,
            0,
            vec![],
            vec![Instruction::ApplyActions(vec![out(OFPP_NORMAL)])],
        );
        t.commit();
        let macs = mac::MacTable::default();
        // Unknown destination: flooded (port 3 is NO_FLOOD).
        assert_eq!(run_normal(&t, &macs, false, 1, frame(0xa, 0xb)), vec![2]);
        // The reply goes to where 0a was learned, and teaches 0b.
        assert_eq!(run_normal(&t, &macs, false, 2, frame(0xb, 0xa)), vec![1]);
        assert_eq!(run_normal(&t, &macs, false, 1, frame(0xa, 0xb)), vec![2]);
        // Learned on port 3 (NO_FLOOD does not stop unicast).
        run_normal(&t, &macs, false, 3, frame(0xc, 0xff));
        assert_eq!(run_normal(&t, &macs, false, 1, frame(0xa, 0xc)), vec![3]);
        // Broadcast floods; a destination on the input port goes nowhere.
        assert_eq!(run_normal(&t, &macs, false, 2, frame(0xb, 0xff)), vec![1]);
        assert!(run_normal(&t, &macs, false, 1, frame(0xd, 0xa)).is_empty());
        assert_eq!(macs.entries(10).len(), 4);
    }

    #[test]
    fn fail_open_skips_the_tables() {
        let t = Tables::new(100);
        // A rule that would drop everything.
        add(&t, 0, 100, vec![], vec![]);
        t.commit();
        let macs = mac::MacTable::default();
        assert!(run_normal(&t, &macs, false, 1, frame(0xa, 0xb)).is_empty());
        assert_eq!(run_normal(&t, &macs, true, 1, frame(0xa, 0xb)), vec![2]);
        assert_eq!(run_normal(&t, &macs, true, 2, frame(0xb, 0xa)), vec![1]);
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Frames os-ken's switch test tool sends (MPLS over IPv6, ARP, IPv4
    /// and ICMP), through `eth_type=0x8847,actions=dec_mpls_ttl,output:2`.
    #[test]
    fn dec_mpls_ttl_on_any_mpls_payload() {
        let t = Tables::new(100);
        add(
            &t,
            0,
            1,
            vec![OxmField::EthType(0x8847)],
            vec![Instruction::ApplyActions(vec![Action::DecMplsTtl, out(2)])],
        );
        t.commit();
        for frame in [
            "ffffffffffff00000000000088470000014060000000001406ff00100000000000000000000000000010002000000000000000000000000000200001000100000000000000005000000\
             0af830000",
            "ffffffffffff0000000000008847000001400001080006040001ffffffffffff00000000ffffffffffff000000000000000000000000000000000000",
            "ffffffffffff0000000000008847000001404500002800000000ff06a7cd0a0000010a000002000100010000000000000000500000009be000000000",
        ] {
            let pkt = hex(&frame.replace(' ', ""));
            let rec = run(&t, 1, pkt.clone());
            assert_eq!(rec.out.len(), 1, "{frame}: {:?}", rec.dropped);
            let (port, got, _) = &rec.out[0];
            assert_eq!(*port, 2);
            assert_eq!(got[17], 63, "MPLS TTL");
            assert_eq!(&got[..17], &pkt[..17]);
            assert_eq!(&got[18..], &pkt[18..]);
        }
    }

    /// os-ken's MPLS-over-ICMP frame (padded to 60 bytes) through
    /// `pop_mpls:0x0800` and a second table matching the ICMP type.
    #[test]
    fn pop_mpls_then_match_the_payload() {
        let t = Tables::new(100);
        add(
            &t,
            0,
            1,
            vec![],
            vec![
                Instruction::ApplyActions(vec![Action::PopMpls(0x0800)]),
                Instruction::GotoTable(1),
            ],
        );
        add(
            &t,
            1,
            1,
            vec![
                OxmField::EthType(0x0800),
                OxmField::IpProto(1),
                OxmField::Icmpv4Type(8),
            ],
            vec![Instruction::ApplyActions(vec![out(2)])],
        );
        t.commit();
        let pkt = hex(
            "ffffffffffff0000000000008847000001ff4500001c00000000ff01a7de0a0000010a000002\
             0800f7ff000000000000000000000000000000000000",
        );
        let rec = run(&t, 1, pkt.clone());
        assert_eq!(rec.out.len(), 1, "{:?}", rec.dropped);
        let got = &rec.out[0].1;
        // The label goes, and so does the old frame's padding after the
        // 28-byte datagram; the frame is padded with zeros to 60 bytes.
        let mut want = pkt[..12].to_vec();
        want.extend_from_slice(&[0x08, 0x00]);
        want.extend_from_slice(&pkt[18..18 + 28]);
        want.resize(60, 0);
        assert_eq!(got, &want);
    }
}
