//! Flow statistics (`OFPMP_FLOW`, `OFPMP_AGGREGATE` requests and flow
//! entries) and flow monitoring (`OFPMP_FLOW_MONITOR`, 1.4).
//!
//! The model holds instructions. OpenFlow 1.0 flow entries carry an action
//! list: it decodes to a single `APPLY_ACTIONS` instruction (none when the
//! list is empty) and encodes back from exactly that shape, as flow-mods do.

use super::common::{be16, finish_len16, port_in, put_port, split_entry};
use crate::action::Action;
use crate::error::{DecodeError, EncodeError, ErrorKind};
use crate::flow_match::Match;
use crate::instruction::{Instruction, InstructionList};
use crate::wire::{self, put_u16, put_u32, put_u64, put_zeros};
use crate::Version;

/// `OFPTT_ALL`: every table, in a request.
pub const OFPTT_ALL: u8 = 0xff;

/// `OFPG_ANY`: the out_group filter meaning "any group" (and 1.0's value).
const OFPG_ANY: u32 = 0xffff_ffff;

/// Decodes the action list of a 1.0 entry into the instruction model.
fn decode_v10_actions(bytes: &[u8]) -> Result<InstructionList, DecodeError> {
    let actions = Action::decode_list(Version::V1_0, bytes)?;
    let mut list = InstructionList::new();
    if !actions.is_empty() {
        list.push(Instruction::ApplyActions(actions));
    }
    Ok(list)
}

/// Encodes the instruction model as a 1.0 action list.
fn encode_v10_actions(instructions: &[Instruction], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    match instructions {
        [] => Ok(()),
        [Instruction::ApplyActions(actions)] if !actions.is_empty() => {
            Action::encode_list(actions, Version::V1_0, out)
        }
        _ => Err(EncodeError::unsupported(
            Version::V1_0,
            "instructions other than apply-actions",
        )),
    }
}

/// Flow or aggregate statistics request body (`struct
/// ofp_flow_stats_request` / `ofp_aggregate_stats_request`).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowStatsRequest {
    /// Table to read, or `OFPTT_ALL` (0xff).
    pub table_id: u8,
    /// Require an output action to this port (`OFPP_ANY` for no filter).
    pub out_port: u32,
    /// Require an output to this group (1.1+; `OFPG_ANY` for no filter).
    pub out_group: u32,
    /// Cookie bits to match (1.1+).
    pub cookie: u64,
    /// Which cookie bits must match (1.1+; 0 for no filter).
    pub cookie_mask: u64,
    /// Fields to match.
    pub match_: Match,
}

impl FlowStatsRequest {
    /// Every flow of every table: `OFPTT_ALL`, an empty match, no out
    /// port, out group or cookie filter.
    pub fn all() -> FlowStatsRequest {
        FlowStatsRequest {
            table_id: OFPTT_ALL,
            out_port: crate::port::OFPP_ANY,
            out_group: OFPG_ANY,
            cookie: 0,
            cookie_mask: 0,
            match_: Match::default(),
        }
    }

    pub(crate) fn decode(version: Version, input: &[u8]) -> Result<Self, DecodeError> {
        let ctx = "flow stats request";
        if version == Version::V1_0 {
            let (match_, i) = Match::decode(version, input)?;
            let (i, table_id) = wire::u8(i, ctx)?;
            let i = wire::skip(i, 1, ctx)?;
            let (i, out_port) = port_in(version, i, ctx)?;
            super::common::expect_end(i, ctx)?;
            return Ok(FlowStatsRequest {
                table_id,
                out_port,
                out_group: OFPG_ANY,
                cookie: 0,
                cookie_mask: 0,
                match_,
            });
        }
        let (i, table_id) = wire::u8(input, ctx)?;
        let i = wire::skip(i, 3, ctx)?;
        let (i, out_port) = wire::u32(i, ctx)?;
        let (i, out_group) = wire::u32(i, ctx)?;
        let i = wire::skip(i, 4, ctx)?;
        let (i, cookie) = wire::u64(i, ctx)?;
        let (i, cookie_mask) = wire::u64(i, ctx)?;
        let (match_, i) = Match::decode(version, i)?;
        super::common::expect_end(i, ctx)?;
        Ok(FlowStatsRequest {
            table_id,
            out_port,
            out_group,
            cookie,
            cookie_mask,
            match_,
        })
    }

    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if version == Version::V1_0 {
            self.match_.encode(version, out)?;
            out.push(self.table_id);
            out.push(0);
            return put_port(out, version, self.out_port);
        }
        out.push(self.table_id);
        put_zeros(out, 3);
        put_u32(out, self.out_port);
        put_u32(out, self.out_group);
        put_zeros(out, 4);
        put_u64(out, self.cookie);
        put_u64(out, self.cookie_mask);
        self.match_.encode(version, out)
    }
}

/// One flow entry's statistics (`struct ofp_flow_stats` of each version).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowStats {
    /// Table the flow is in.
    pub table_id: u8,
    /// Seconds the flow has been alive.
    pub duration_sec: u32,
    /// Nanoseconds beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Priority.
    pub priority: u16,
    /// Idle timeout in seconds.
    pub idle_timeout: u16,
    /// Hard timeout in seconds.
    pub hard_timeout: u16,
    /// `OFPFF_*` flags (1.3+; 0 before).
    pub flags: u16,
    /// Eviction importance (1.4; 0 before).
    pub importance: u16,
    /// Opaque controller-issued identifier.
    pub cookie: u64,
    /// Packets matched.
    pub packet_count: u64,
    /// Bytes matched.
    pub byte_count: u64,
    /// The flow's match.
    pub match_: Match,
    /// The flow's instructions (1.0: one apply-actions, or none).
    pub instructions: InstructionList,
}

impl FlowStats {
    /// Bytes of the fixed part of `struct ofp_flow_stats` in `version`:
    /// the least an entry can be.
    pub(crate) fn min_len(version: Version) -> usize {
        if version == Version::V1_0 {
            88
        } else {
            48
        }
    }

    pub(crate) fn decode(version: Version, input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let ctx = "flow stats entry";
        let (entry, rest) = split_entry(input, 0, FlowStats::min_len(version), ctx)?;
        let table_id = entry[2];
        let mut i = &entry[4..];
        let mut match_ = None;
        if version == Version::V1_0 {
            let (m, j) = Match::decode(version, i)?;
            match_ = Some(m);
            i = j;
        }
        let (i, duration_sec) = wire::u32(i, ctx)?;
        let (i, duration_nsec) = wire::u32(i, ctx)?;
        let (i, priority) = wire::u16(i, ctx)?;
        let (i, idle_timeout) = wire::u16(i, ctx)?;
        let (i, hard_timeout) = wire::u16(i, ctx)?;
        let (mut flags, mut importance) = (0, 0);
        let i = match version {
            Version::V1_3 => {
                flags = be16(i);
                wire::skip(i, 6, ctx)?
            }
            Version::V1_4 => {
                flags = be16(i);
                importance = be16(&i[2..]);
                wire::skip(i, 6, ctx)?
            }
            _ => wire::skip(i, 6, ctx)?,
        };
        let (i, cookie) = wire::u64(i, ctx)?;
        let (i, packet_count) = wire::u64(i, ctx)?;
        let (i, byte_count) = wire::u64(i, ctx)?;
        let (match_, instructions) = match match_ {
            Some(m) => (m, decode_v10_actions(i)?),
            None => {
                let (m, i) = Match::decode(version, i)?;
                (m, Instruction::decode_list(version, i)?)
            }
        };
        Ok((
            FlowStats {
                table_id,
                duration_sec,
                duration_nsec,
                priority,
                idle_timeout,
                hard_timeout,
                flags,
                importance,
                cookie,
                packet_count,
                byte_count,
                match_,
                instructions,
            },
            rest,
        ))
    }

    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.entry().encode(version, out)
    }

    /// This entry, borrowed.
    pub fn entry(&self) -> FlowStatsEntry<'_> {
        FlowStatsEntry {
            head: FlowStatsHead {
                table_id: self.table_id,
                duration_sec: self.duration_sec,
                duration_nsec: self.duration_nsec,
                priority: self.priority,
                idle_timeout: self.idle_timeout,
                hard_timeout: self.hard_timeout,
                flags: self.flags,
                importance: self.importance,
                cookie: self.cookie,
                packet_count: self.packet_count,
                byte_count: self.byte_count,
            },
            match_: &self.match_,
            instructions: &self.instructions,
        }
    }
}

/// The fields of a flow entry's statistics other than its match and its
/// instructions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowStatsHead {
    /// Table the flow is in.
    pub table_id: u8,
    /// Seconds the flow has been alive.
    pub duration_sec: u32,
    /// Nanoseconds beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Priority.
    pub priority: u16,
    /// Idle timeout in seconds.
    pub idle_timeout: u16,
    /// Hard timeout in seconds.
    pub hard_timeout: u16,
    /// `OFPFF_*` flags (1.3+; 0 before).
    pub flags: u16,
    /// Eviction importance (1.4; 0 before).
    pub importance: u16,
    /// Opaque controller-issued identifier.
    pub cookie: u64,
    /// Packets matched.
    pub packet_count: u64,
    /// Bytes matched.
    pub byte_count: u64,
}

impl FlowStatsHead {
    /// Appends an entry (`struct ofp_flow_stats` of `version`) of these
    /// fields, with the match and the instructions `put_match` and
    /// `put_instructions` append, already encoded for `version` (as
    /// [`Match::encode`] and [`encode_instructions`] do): a flow dump
    /// may copy the bytes of parts many entries share. On an error, part
    /// of the entry may have been appended (a reply's writer drops it:
    /// [`super::ReplyWriter::entry`]).
    pub fn encode_with(
        &self,
        version: Version,
        out: &mut Vec<u8>,
        put_match: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
        put_instructions: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        let start = out.len();
        put_u16(out, 0);
        out.push(self.table_id);
        out.push(0);
        let mut put_match = Some(put_match);
        if version == Version::V1_0 {
            put_match.take().map_or(Ok(()), |put| put(out))?;
        }
        put_u32(out, self.duration_sec);
        put_u32(out, self.duration_nsec);
        put_u16(out, self.priority);
        put_u16(out, self.idle_timeout);
        put_u16(out, self.hard_timeout);
        match version {
            Version::V1_3 => {
                put_u16(out, self.flags);
                put_zeros(out, 4);
            }
            Version::V1_4 => {
                put_u16(out, self.flags);
                put_u16(out, self.importance);
                put_zeros(out, 2);
            }
            _ => put_zeros(out, 6),
        }
        put_u64(out, self.cookie);
        put_u64(out, self.packet_count);
        put_u64(out, self.byte_count);
        if let Some(put) = put_match {
            put(out)?;
        }
        put_instructions(out)?;
        finish_len16(
            out,
            start,
            0,
            version,
            "flow stats entry longer than 65535 bytes",
        )
    }
}

/// Appends `instructions` as a flow entry of `version` holds them: 1.0's
/// action list (one apply-actions instruction, or none), an instruction
/// list from 1.1.
pub fn encode_instructions(
    instructions: &[Instruction],
    version: Version,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    if version == Version::V1_0 {
        encode_v10_actions(instructions, out)
    } else {
        Instruction::encode_list(instructions, version, out)
    }
}

/// A flow entry's statistics with its match and instructions borrowed:
/// what a switch encodes straight from its rules, one entry after another,
/// without owning a copy of each ([`FlowStats`] encodes through it).
#[derive(Debug, Clone, Copy)]
pub struct FlowStatsEntry<'a> {
    /// Every field but the match and the instructions.
    pub head: FlowStatsHead,
    /// The flow's match.
    pub match_: &'a Match,
    /// The flow's instructions (1.0: one apply-actions, or none).
    pub instructions: &'a [Instruction],
}

impl FlowStatsEntry<'_> {
    /// Appends the encoded entry (`struct ofp_flow_stats` of `version`).
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.head.encode_with(
            version,
            out,
            |o| self.match_.encode(version, o),
            |o| encode_instructions(self.instructions, version, o),
        )
    }
}

impl From<FlowStatsEntry<'_>> for FlowStats {
    fn from(
        FlowStatsEntry {
            head: e,
            match_,
            instructions,
        }: FlowStatsEntry<'_>,
    ) -> FlowStats {
        FlowStats {
            table_id: e.table_id,
            duration_sec: e.duration_sec,
            duration_nsec: e.duration_nsec,
            priority: e.priority,
            idle_timeout: e.idle_timeout,
            hard_timeout: e.hard_timeout,
            flags: e.flags,
            importance: e.importance,
            cookie: e.cookie,
            packet_count: e.packet_count,
            byte_count: e.byte_count,
            match_: match_.clone(),
            instructions: instructions.into(),
        }
    }
}

/// One flow monitor request (`struct ofp_flow_monitor_request`, 1.4).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowMonitorRequest {
    /// Controller-assigned monitor id.
    pub monitor_id: u32,
    /// Only flows with an output to this port (`OFPP_ANY` for all).
    pub out_port: u32,
    /// Only flows with an output to this group (`OFPG_ANY` for all).
    pub out_group: u32,
    /// `OFPFMF_*` flags (initial, add, removed, modify, instructions, no-abbrev, only-own).
    pub flags: u16,
    /// Table to monitor, or `OFPTT_ALL`.
    pub table_id: u8,
    /// `OFPFMC_*` command (add, modify, delete).
    pub command: u8,
    /// Fields to match.
    pub match_: Match,
}

impl FlowMonitorRequest {
    pub(crate) fn decode(input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let ctx = "flow monitor request";
        let (i, monitor_id) = wire::u32(input, ctx)?;
        let (i, out_port) = wire::u32(i, ctx)?;
        let (i, out_group) = wire::u32(i, ctx)?;
        let (i, flags) = wire::u16(i, ctx)?;
        let (i, table_id) = wire::u8(i, ctx)?;
        let (i, command) = wire::u8(i, ctx)?;
        let (match_, rest) = Match::decode(Version::V1_4, i)?;
        Ok((
            FlowMonitorRequest {
                monitor_id,
                out_port,
                out_group,
                flags,
                table_id,
                command,
                match_,
            },
            rest,
        ))
    }

    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u32(out, self.monitor_id);
        put_u32(out, self.out_port);
        put_u32(out, self.out_group);
        put_u16(out, self.flags);
        out.push(self.table_id);
        out.push(self.command);
        self.match_.encode(version, out)
    }
}

/// `OFPFME_INITIAL`: a flow present when the monitor was added.
pub const OFPFME_INITIAL: u16 = 0;
/// `OFPFME_ADDED`: a flow was added.
pub const OFPFME_ADDED: u16 = 1;
/// `OFPFME_REMOVED`: a flow was removed.
pub const OFPFME_REMOVED: u16 = 2;
/// `OFPFME_MODIFIED`: a flow was modified.
pub const OFPFME_MODIFIED: u16 = 3;
/// `OFPFME_ABBREV`: abbreviated update for the sender's own change.
pub const OFPFME_ABBREV: u16 = 4;
/// `OFPFME_PAUSED`: updates paused (buffer full).
pub const OFPFME_PAUSED: u16 = 5;
/// `OFPFME_RESUMED`: updates resumed.
pub const OFPFME_RESUMED: u16 = 6;

/// A full flow update (`struct ofp_flow_update_full`).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowUpdateFull {
    /// One of `OFPFME_INITIAL`, `_ADDED`, `_REMOVED`, `_MODIFIED`.
    pub event: u16,
    /// Table of the flow.
    pub table_id: u8,
    /// `OFPRR_*` reason for removed events.
    pub reason: u8,
    /// Idle timeout in seconds.
    pub idle_timeout: u16,
    /// Hard timeout in seconds.
    pub hard_timeout: u16,
    /// Priority.
    pub priority: u16,
    /// Cookie.
    pub cookie: u64,
    /// The flow's match.
    pub match_: Match,
    /// The flow's instructions (empty unless `OFPFMF_INSTRUCTIONS` was asked).
    pub instructions: InstructionList,
}

/// One flow monitor update event (`struct ofp_flow_update_header` and its
/// variants).
#[derive(Debug, Clone, PartialEq)]
pub enum FlowUpdate {
    /// Initial, added, removed or modified flow (`ofp_flow_update_full`).
    Full(FlowUpdateFull),
    /// The sender's own change, by xid (`ofp_flow_update_abbrev`).
    Abbrev {
        /// Xid of the request that made the change.
        xid: u32,
    },
    /// Updates paused (`ofp_flow_update_paused`, `OFPFME_PAUSED`).
    Paused,
    /// Updates resumed (`ofp_flow_update_paused`, `OFPFME_RESUMED`).
    Resumed,
}

impl FlowUpdate {
    pub(crate) fn decode(version: Version, input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let ctx = "flow update";
        let (entry, rest) = split_entry(input, 0, 8, ctx)?;
        let event = be16(&entry[2..]);
        let fixed = |body: &[u8]| {
            if body.len() == 8 {
                Ok(())
            } else {
                Err(DecodeError::bad_len(ctx))
            }
        };
        let update = match event {
            OFPFME_INITIAL..=OFPFME_MODIFIED => {
                let i = &entry[4..];
                let (i, table_id) = wire::u8(i, ctx)?;
                let (i, reason) = wire::u8(i, ctx)?;
                let (i, idle_timeout) = wire::u16(i, ctx)?;
                let (i, hard_timeout) = wire::u16(i, ctx)?;
                let (i, priority) = wire::u16(i, ctx)?;
                let i = wire::skip(i, 4, ctx)?;
                let (i, cookie) = wire::u64(i, ctx)?;
                let (match_, i) = Match::decode(version, i)?;
                let instructions = Instruction::decode_list(version, i)?;
                FlowUpdate::Full(FlowUpdateFull {
                    event,
                    table_id,
                    reason,
                    idle_timeout,
                    hard_timeout,
                    priority,
                    cookie,
                    match_,
                    instructions,
                })
            }
            OFPFME_ABBREV => {
                fixed(entry)?;
                FlowUpdate::Abbrev {
                    xid: super::common::be32(&entry[4..]),
                }
            }
            OFPFME_PAUSED => fixed(entry).map(|_| FlowUpdate::Paused)?,
            OFPFME_RESUMED => fixed(entry).map(|_| FlowUpdate::Resumed)?,
            _ => {
                return Err(DecodeError::new(
                    ErrorKind::BadMultipart,
                    "flow update event",
                ))
            }
        };
        Ok((update, rest))
    }

    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        put_u16(out, 0);
        match self {
            FlowUpdate::Full(f) => {
                if f.event > OFPFME_MODIFIED {
                    return Err(EncodeError::unsupported(
                        version,
                        "full flow update with an abbrev/paused/resumed event",
                    ));
                }
                put_u16(out, f.event);
                out.push(f.table_id);
                out.push(f.reason);
                put_u16(out, f.idle_timeout);
                put_u16(out, f.hard_timeout);
                put_u16(out, f.priority);
                put_zeros(out, 4);
                put_u64(out, f.cookie);
                f.match_.encode(version, out)?;
                Instruction::encode_list(&f.instructions, version, out)?;
            }
            FlowUpdate::Abbrev { xid } => {
                put_u16(out, OFPFME_ABBREV);
                put_u32(out, *xid);
            }
            FlowUpdate::Paused => {
                put_u16(out, OFPFME_PAUSED);
                put_zeros(out, 4);
            }
            FlowUpdate::Resumed => {
                put_u16(out, OFPFME_RESUMED);
                put_zeros(out, 4);
            }
        }
        finish_len16(
            out,
            start,
            0,
            version,
            "flow update longer than 65535 bytes",
        )
    }
}

/// Proptest strategies for flow stats and flow monitoring.
#[cfg(any(test, feature = "arbitrary"))]
pub(super) mod strategies {
    use super::*;
    use crate::action::strategies::arb_actions;
    use crate::flow_match::strategies::{arb_oxm_match, arb_v10_match, arb_v11_match};
    use crate::instruction::strategies::arb_instructions;
    use proptest::prelude::*;

    /// A match `version` can carry.
    pub fn arb_match(version: Version) -> BoxedStrategy<Match> {
        match version {
            Version::V1_0 => arb_v10_match().boxed(),
            Version::V1_1 => arb_v11_match().boxed(),
            _ => arb_oxm_match().boxed(),
        }
    }

    /// Instructions `version` can carry in a flow entry (1.0: one
    /// non-empty apply-actions or none).
    pub fn arb_flow_instructions(version: Version) -> BoxedStrategy<InstructionList> {
        if version == Version::V1_0 {
            arb_actions(version)
                .prop_map(|a| {
                    if a.is_empty() {
                        InstructionList::new()
                    } else {
                        InstructionList::from([Instruction::ApplyActions(a)])
                    }
                })
                .boxed()
        } else {
            arb_instructions(version).boxed()
        }
    }

    /// A flow or aggregate stats request `version` can carry.
    pub fn flow_stats_request(version: Version) -> impl Strategy<Value = FlowStatsRequest> {
        (
            any::<u8>(),
            super::super::strategies::port(version),
            any::<u32>(),
            any::<[u64; 2]>(),
            arb_match(version),
        )
            .prop_map(move |(table_id, out_port, out_group, c, match_)| {
                let v10 = version == Version::V1_0;
                FlowStatsRequest {
                    table_id,
                    out_port,
                    out_group: if v10 { OFPG_ANY } else { out_group },
                    cookie: if v10 { 0 } else { c[0] },
                    cookie_mask: if v10 { 0 } else { c[1] },
                    match_,
                }
            })
    }

    /// A flow stats entry `version` can carry.
    pub fn flow_stats(version: Version) -> impl Strategy<Value = FlowStats> {
        (
            (
                any::<u8>(),
                any::<[u32; 2]>(),
                any::<[u16; 5]>(),
                any::<[u64; 3]>(),
            ),
            arb_match(version),
            arb_flow_instructions(version),
        )
            .prop_map(
                move |((table_id, d, h, c), match_, instructions)| FlowStats {
                    table_id,
                    duration_sec: d[0],
                    duration_nsec: d[1],
                    priority: h[0],
                    idle_timeout: h[1],
                    hard_timeout: h[2],
                    flags: if version >= Version::V1_3 { h[3] } else { 0 },
                    importance: if version >= Version::V1_4 { h[4] } else { 0 },
                    cookie: c[0],
                    packet_count: c[1],
                    byte_count: c[2],
                    match_,
                    instructions,
                },
            )
    }

    /// A 1.4 flow monitor request.
    pub fn flow_monitor_request() -> impl Strategy<Value = FlowMonitorRequest> {
        (
            any::<[u32; 3]>(),
            any::<u16>(),
            any::<[u8; 2]>(),
            arb_oxm_match(),
        )
            .prop_map(|(w, flags, b, match_)| FlowMonitorRequest {
                monitor_id: w[0],
                out_port: w[1],
                out_group: w[2],
                flags,
                table_id: b[0],
                command: b[1],
                match_,
            })
    }

    /// A 1.4 flow update event.
    pub fn flow_update() -> impl Strategy<Value = FlowUpdate> {
        prop_oneof![
            (
                (
                    0u16..=OFPFME_MODIFIED,
                    any::<[u8; 2]>(),
                    any::<[u16; 3]>(),
                    any::<u64>()
                ),
                arb_oxm_match(),
                arb_instructions(Version::V1_4),
            )
                .prop_map(|((event, b, h, cookie), match_, instructions)| {
                    FlowUpdate::Full(FlowUpdateFull {
                        event,
                        table_id: b[0],
                        reason: b[1],
                        idle_timeout: h[0],
                        hard_timeout: h[1],
                        priority: h[2],
                        cookie,
                        match_,
                        instructions,
                    })
                }),
            any::<u32>().prop_map(|xid| FlowUpdate::Abbrev { xid }),
            Just(FlowUpdate::Paused),
            Just(FlowUpdate::Resumed),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;
    use crate::oxm::OxmField;

    fn enc(f: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>) -> Vec<u8> {
        let mut out = vec![0xa5; 2];
        f(&mut out).unwrap();
        assert_eq!(&out[..2], &[0xa5; 2]);
        out.split_off(2)
    }

    fn output(port: u32) -> Action {
        Action::Output { port, max_len: 0 }
    }

    fn entry(version: Version) -> FlowStats {
        FlowStats {
            table_id: 1,
            duration_sec: 2,
            duration_nsec: 3,
            priority: 4,
            idle_timeout: 5,
            hard_timeout: 6,
            flags: if version >= Version::V1_3 { 7 } else { 0 },
            importance: if version >= Version::V1_4 { 8 } else { 0 },
            cookie: 9,
            packet_count: 10,
            byte_count: 11,
            match_: Match::new(vec![OxmField::InPort(1)]),
            instructions: vec![Instruction::ApplyActions(vec![output(2)])].into(),
        }
    }

    #[test]
    fn flow_stats_v10_layout() {
        let f = entry(Version::V1_0);
        let b = enc(|o| f.encode(Version::V1_0, o));
        // 88 fixed bytes (incl. the 40-byte match) + one 8-byte output action.
        assert_eq!(b.len(), 96);
        assert_eq!(&b[..4], &[0, 96, 1, 0]);
        assert_eq!(
            &b[44..60],
            &[0, 0, 0, 2, 0, 0, 0, 3, 0, 4, 0, 5, 0, 6, 0, 0]
        );
        assert_eq!(&b[88..], &[0, 0, 0, 8, 0, 2, 0, 0]);
        let (back, rest) = FlowStats::decode(Version::V1_0, &b).unwrap();
        assert!(rest.is_empty());
        assert_eq!(back, f);
        // Write-actions cannot be expressed in 1.0.
        let bad = FlowStats {
            instructions: vec![Instruction::WriteActions(vec![output(2)])].into(),
            ..f
        };
        assert!(bad.encode(Version::V1_0, &mut Vec::new()).is_err());
    }

    #[test]
    fn flow_stats_v13_v14_flags_and_importance() {
        for v in [Version::V1_3, Version::V1_4] {
            let f = entry(v);
            let b = enc(|o| f.encode(v, o));
            assert_eq!(usize::from(be16(&b)), b.len());
            let want: &[u8] = if v == Version::V1_3 {
                &[0, 7, 0, 0, 0, 0]
            } else {
                &[0, 7, 0, 8, 0, 0]
            };
            assert_eq!(&b[18..24], want);
            assert_eq!(&b[48..50], &[0, 1], "OXM match follows the counters");
            assert_eq!(FlowStats::decode(v, &b).unwrap().0, f);
            let mut short = b.clone();
            short[1] = 47;
            assert_eq!(
                FlowStats::decode(v, &short).unwrap_err(),
                DecodeError::bad_len("flow stats entry")
            );
        }
    }

    #[test]
    fn flow_stats_request_layouts() {
        let r = FlowStatsRequest {
            table_id: 0xff,
            out_port: 0xffff_ffff,
            out_group: OFPG_ANY,
            cookie: 0,
            cookie_mask: 0,
            match_: Match::default(),
        };
        let b10 = enc(|o| r.encode(Version::V1_0, o));
        assert_eq!(b10.len(), 44);
        assert_eq!(&b10[40..], &[0xff, 0, 0xff, 0xff]);
        assert_eq!(FlowStatsRequest::decode(Version::V1_0, &b10), Ok(r.clone()));
        let b13 = enc(|o| r.encode(Version::V1_3, o));
        assert_eq!(
            hex::encode(&b13),
            "ff000000ffffffffffffffff00000000000000000000000000000000000000000001000400000000"
        );
        assert_eq!(FlowStatsRequest::decode(Version::V1_3, &b13), Ok(r));
        assert!(FlowStatsRequest::decode(Version::V1_3, &b13[..39]).is_err());
    }

    #[test]
    fn flow_updates_golden_layout() {
        let updates = [
            FlowUpdate::Abbrev { xid: 1234 },
            FlowUpdate::Paused,
            FlowUpdate::Resumed,
        ];
        let mut b = vec![0xa5];
        for u in &updates {
            u.encode(Version::V1_4, &mut b).unwrap();
        }
        assert_eq!(
            hex::encode(&b[1..]),
            "00080004000004d200080005000000000008000600000000"
        );
        let mut rest = &b[1..];
        for u in &updates {
            let (got, r) = FlowUpdate::decode(Version::V1_4, rest).unwrap();
            assert_eq!(&got, u);
            rest = r;
        }
        // Unknown event; abbrev with a wrong length.
        assert_eq!(
            FlowUpdate::decode(Version::V1_4, &[0, 8, 0, 7, 0, 0, 0, 0])
                .unwrap_err()
                .kind,
            ErrorKind::BadMultipart
        );
        assert!(FlowUpdate::decode(Version::V1_4, &[0, 12, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }
}
