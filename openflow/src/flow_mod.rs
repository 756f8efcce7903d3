//! `OFPT_FLOW_MOD` and `OFPT_FLOW_REMOVED`.
//!
//! The model holds instructions. OpenFlow 1.0 flow-mods carry an action
//! list: it decodes to a single `APPLY_ACTIONS` instruction (none when the
//! list is empty) and encodes back from exactly that shape, byte for byte.

use crate::action::Action;
use crate::error::DecodeError;
use crate::flow_match::Match;
use crate::instruction::{Instruction, InstructionList};
use crate::message::need;
use crate::port::{port_from_v10, port_to_v10};
use crate::wire::{self, put_u16, put_u32, put_u64, put_zeros};
use crate::{EncodeError, ErrorKind, Version};

/// `OFPFC_*` flow-mod commands.
pub mod command {
    /// Add a rule.
    pub const ADD: u8 = 0;
    /// Modify all matching rules.
    pub const MODIFY: u8 = 1;
    /// Modify the rule matching exactly (wildcards and priority).
    pub const MODIFY_STRICT: u8 = 2;
    /// Delete all matching rules.
    pub const DELETE: u8 = 3;
    /// Delete the rule matching exactly.
    pub const DELETE_STRICT: u8 = 4;
}

/// `OFPFF_*` flow-mod flags (1.3 numbering; 1.0 has bit 2 `EMERG`).
pub mod flags {
    /// Send flow-removed when the rule expires or is deleted.
    pub const SEND_FLOW_REM: u16 = 1 << 0;
    /// Check for overlapping rules first.
    pub const CHECK_OVERLAP: u16 = 1 << 1;
    /// 1.1+: reset counters on modify (1.0: `OFPFF_EMERG`).
    pub const RESET_COUNTS: u16 = 1 << 2;
    /// 1.3+: do not keep packet counts.
    pub const NO_PKT_COUNTS: u16 = 1 << 3;
    /// 1.3+: do not keep byte counts.
    pub const NO_BYT_COUNTS: u16 = 1 << 4;
}

/// `OFPRR_*` flow-removed reasons.
pub mod removed {
    /// Idle timeout.
    pub const IDLE_TIMEOUT: u8 = 0;
    /// Hard timeout.
    pub const HARD_TIMEOUT: u8 = 1;
    /// Deleted by a flow-mod.
    pub const DELETE: u8 = 2;
    /// Its group was deleted.
    pub const GROUP_DELETE: u8 = 3;
    /// Its meter was deleted (1.4; earlier versions get DELETE).
    pub const METER_DELETE: u8 = 4;
    /// Evicted from a full table to make room (1.4; earlier versions get
    /// DELETE).
    pub const EVICTION: u8 = 5;
}

/// `OFPT_FLOW_MOD`.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowMod {
    /// Opaque controller-issued identifier.
    pub cookie: u64,
    /// Cookie bits that must match for modify/delete (1.1+).
    pub cookie_mask: u64,
    /// Table id (1.1+; 0 in 1.0).
    pub table_id: u8,
    /// One of [`command`].
    pub command: u8,
    /// Idle timeout in seconds.
    pub idle_timeout: u16,
    /// Hard timeout in seconds.
    pub hard_timeout: u16,
    /// Priority.
    pub priority: u16,
    /// Buffered packet to apply to, or `OFP_NO_BUFFER`.
    pub buffer_id: u32,
    /// For delete: output port filter (`OFPP_ANY` for none).
    pub out_port: u32,
    /// For delete: output group filter (1.1+; `OFPG_ANY` for none).
    pub out_group: u32,
    /// [`flags`] bits.
    pub flags: u16,
    /// Eviction importance (1.4).
    pub importance: u16,
    /// The match.
    pub match_: Match,
    /// Instructions.
    pub instructions: InstructionList,
}

pub use crate::group::OFPG_ANY;

fn port_to_10(port: u32, version: Version) -> Result<u16, EncodeError> {
    port_to_v10(port).ok_or(EncodeError::unsupported(version, "32-bit port number"))
}

impl FlowMod {
    /// A flow-mod `command` for table `table_id` at `priority`, with no
    /// cookie, timeouts, flags, buffer or out_port/out_group filter.
    pub fn new(
        command: u8,
        table_id: u8,
        priority: u16,
        match_: Match,
        instructions: impl Into<InstructionList>,
    ) -> FlowMod {
        FlowMod {
            cookie: 0,
            cookie_mask: 0,
            table_id,
            command,
            idle_timeout: 0,
            hard_timeout: 0,
            priority,
            buffer_id: u32::MAX,
            out_port: crate::port::OFPP_ANY,
            out_group: OFPG_ANY,
            flags: 0,
            importance: 0,
            match_,
            instructions: instructions.into(),
        }
    }

    /// Decodes the body after the header.
    pub fn decode(version: Version, body: &[u8]) -> Result<FlowMod, DecodeError> {
        let ctx = "flow mod";
        if version == Version::V1_0 {
            let (match_, r) = Match::decode(version, body)?;
            let (r, cookie) = wire::u64(r, ctx)?;
            let (r, command) = wire::u16(r, ctx)?;
            let command = u8::try_from(command)
                .map_err(|_| DecodeError::new(ErrorKind::BadFlowModCommand, "flow mod command"))?;
            let (r, idle_timeout) = wire::u16(r, ctx)?;
            let (r, hard_timeout) = wire::u16(r, ctx)?;
            let (r, priority) = wire::u16(r, ctx)?;
            let (r, buffer_id) = wire::u32(r, ctx)?;
            let (r, out_port) = wire::u16(r, ctx)?;
            let (r, flags) = wire::u16(r, ctx)?;
            let actions = Action::decode_list(version, r)?;
            let mut instructions = InstructionList::new();
            if !actions.is_empty() {
                instructions.push(Instruction::ApplyActions(actions));
            }
            return Ok(FlowMod {
                cookie,
                cookie_mask: 0,
                table_id: 0,
                command,
                idle_timeout,
                hard_timeout,
                priority,
                buffer_id,
                out_port: port_from_v10(out_port),
                out_group: OFPG_ANY,
                flags,
                importance: 0,
                match_,
                instructions,
            });
        }
        // The fixed part is read at once: one length check, no per-field
        // error paths.
        let (fixed, r) = body
            .split_first_chunk::<40>()
            .ok_or(DecodeError::bad_len(ctx))?;
        let be16 = |o: usize| u16::from_be_bytes([fixed[o], fixed[o + 1]]);
        let be32 =
            |o: usize| u32::from_be_bytes([fixed[o], fixed[o + 1], fixed[o + 2], fixed[o + 3]]);
        let be64 = |o: usize| (u64::from(be32(o)) << 32) | u64::from(be32(o + 4));
        let (match_, r) = Match::decode(version, r)?;
        let instructions = Instruction::decode_list(version, r)?;
        Ok(FlowMod {
            cookie: be64(0),
            cookie_mask: be64(8),
            table_id: fixed[16],
            command: fixed[17],
            idle_timeout: be16(18),
            hard_timeout: be16(20),
            priority: be16(22),
            buffer_id: be32(24),
            out_port: be32(28),
            out_group: be32(32),
            flags: be16(36),
            importance: if version >= Version::V1_4 {
                be16(38)
            } else {
                0
            },
            match_,
            instructions,
        })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        need(
            self.importance == 0 || version >= Version::V1_4,
            version,
            "flow-mod importance",
        )?;
        if version == Version::V1_0 {
            need(self.cookie_mask == 0, version, "flow-mod cookie_mask")?;
            need(self.table_id == 0, version, "flow-mod table_id")?;
            need(self.out_group == OFPG_ANY, version, "flow-mod out_group")?;
            let actions: &[Action] = match self.instructions.as_slice() {
                [] => &[],
                [Instruction::ApplyActions(a)] if !a.is_empty() => a,
                _ => {
                    return Err(EncodeError::unsupported(
                        version,
                        "instructions other than one apply-actions",
                    ))
                }
            };
            self.match_.encode(version, out)?;
            put_u64(out, self.cookie);
            put_u16(out, u16::from(self.command));
            put_u16(out, self.idle_timeout);
            put_u16(out, self.hard_timeout);
            put_u16(out, self.priority);
            put_u32(out, self.buffer_id);
            put_u16(out, port_to_10(self.out_port, version)?);
            put_u16(out, self.flags);
            return Action::encode_list(actions, version, out);
        }
        // The fixed part, built on the stack and appended at once.
        let mut fixed = [0u8; 40];
        fixed[0..8].copy_from_slice(&self.cookie.to_be_bytes());
        fixed[8..16].copy_from_slice(&self.cookie_mask.to_be_bytes());
        fixed[16] = self.table_id;
        fixed[17] = self.command;
        fixed[18..20].copy_from_slice(&self.idle_timeout.to_be_bytes());
        fixed[20..22].copy_from_slice(&self.hard_timeout.to_be_bytes());
        fixed[22..24].copy_from_slice(&self.priority.to_be_bytes());
        fixed[24..28].copy_from_slice(&self.buffer_id.to_be_bytes());
        fixed[28..32].copy_from_slice(&self.out_port.to_be_bytes());
        fixed[32..36].copy_from_slice(&self.out_group.to_be_bytes());
        fixed[36..38].copy_from_slice(&self.flags.to_be_bytes());
        fixed[38..40].copy_from_slice(&self.importance.to_be_bytes());
        out.extend_from_slice(&fixed);
        self.match_.encode(version, out)?;
        Instruction::encode_list(&self.instructions, version, out)
    }
}

/// `OFPT_FLOW_REMOVED`.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowRemoved {
    /// The rule's cookie.
    pub cookie: u64,
    /// The rule's priority.
    pub priority: u16,
    /// `OFPRR_*` reason.
    pub reason: u8,
    /// Table id (1.1+; 0 in 1.0).
    pub table_id: u8,
    /// Seconds the rule was alive.
    pub duration_sec: u32,
    /// Nanoseconds beyond `duration_sec`.
    pub duration_nsec: u32,
    /// The rule's idle timeout.
    pub idle_timeout: u16,
    /// The rule's hard timeout (1.1+; 0 in 1.0).
    pub hard_timeout: u16,
    /// Packets matched.
    pub packet_count: u64,
    /// Bytes matched.
    pub byte_count: u64,
    /// The rule's match.
    pub match_: Match,
}

impl FlowRemoved {
    /// Decodes the body after the header.
    pub fn decode(version: Version, body: &[u8]) -> Result<FlowRemoved, DecodeError> {
        let ctx = "flow removed";
        if version == Version::V1_0 {
            let (match_, r) = Match::decode(version, body)?;
            let (r, cookie) = wire::u64(r, ctx)?;
            let (r, priority) = wire::u16(r, ctx)?;
            let (r, reason) = wire::u8(r, ctx)?;
            let r = wire::skip(r, 1, ctx)?;
            let (r, duration_sec) = wire::u32(r, ctx)?;
            let (r, duration_nsec) = wire::u32(r, ctx)?;
            let (r, idle_timeout) = wire::u16(r, ctx)?;
            let r = wire::skip(r, 2, ctx)?;
            let (r, packet_count) = wire::u64(r, ctx)?;
            let (r, byte_count) = wire::u64(r, ctx)?;
            if !r.is_empty() {
                return Err(DecodeError::bad_len(ctx));
            }
            return Ok(FlowRemoved {
                cookie,
                priority,
                reason,
                table_id: 0,
                duration_sec,
                duration_nsec,
                idle_timeout,
                hard_timeout: 0,
                packet_count,
                byte_count,
                match_,
            });
        }
        let (r, cookie) = wire::u64(body, ctx)?;
        let (r, priority) = wire::u16(r, ctx)?;
        let (r, reason) = wire::u8(r, ctx)?;
        let (r, table_id) = wire::u8(r, ctx)?;
        let (r, duration_sec) = wire::u32(r, ctx)?;
        let (r, duration_nsec) = wire::u32(r, ctx)?;
        let (r, idle_timeout) = wire::u16(r, ctx)?;
        let (r, hard_timeout) = wire::u16(r, ctx)?;
        let (r, packet_count) = wire::u64(r, ctx)?;
        let (r, byte_count) = wire::u64(r, ctx)?;
        let (match_, r) = Match::decode(version, r)?;
        if !r.is_empty() {
            return Err(DecodeError::bad_len(ctx));
        }
        Ok(FlowRemoved {
            cookie,
            priority,
            reason,
            table_id,
            duration_sec,
            duration_nsec,
            idle_timeout,
            hard_timeout,
            packet_count,
            byte_count,
            match_,
        })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if version == Version::V1_0 {
            need(self.table_id == 0, version, "flow-removed table_id")?;
            need(self.hard_timeout == 0, version, "flow-removed hard_timeout")?;
            self.match_.encode(version, out)?;
            put_u64(out, self.cookie);
            put_u16(out, self.priority);
            out.push(self.reason);
            out.push(0);
            put_u32(out, self.duration_sec);
            put_u32(out, self.duration_nsec);
            put_u16(out, self.idle_timeout);
            put_zeros(out, 2);
            put_u64(out, self.packet_count);
            put_u64(out, self.byte_count);
            return Ok(());
        }
        put_u64(out, self.cookie);
        put_u16(out, self.priority);
        out.push(self.reason);
        out.push(self.table_id);
        put_u32(out, self.duration_sec);
        put_u32(out, self.duration_nsec);
        put_u16(out, self.idle_timeout);
        put_u16(out, self.hard_timeout);
        put_u64(out, self.packet_count);
        put_u64(out, self.byte_count);
        self.match_.encode(version, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{decode, Message};
    use crate::oxm::OxmField;

    fn sample() -> FlowMod {
        FlowMod {
            cookie: 7,
            cookie_mask: 0,
            table_id: 0,
            command: command::ADD,
            idle_timeout: 10,
            hard_timeout: 0,
            priority: 100,
            buffer_id: 0xffff_ffff,
            out_port: 0xffff_ffff,
            out_group: OFPG_ANY,
            flags: flags::SEND_FLOW_REM,
            importance: 0,
            match_: Match::new(vec![OxmField::InPort(3)]),
            instructions: vec![Instruction::ApplyActions(vec![Action::Output {
                port: 1,
                max_len: 0,
            }])]
            .into(),
        }
    }

    #[test]
    fn of10_actions_are_one_apply_actions() {
        let fm = sample();
        let bytes = Message::FlowMod(fm.clone())
            .encode(Version::V1_0, 1)
            .unwrap();
        // header + match + fixed part + one 8-byte output action
        assert_eq!(bytes.len(), 8 + 40 + 24 + 8);
        assert_eq!(&bytes[72..], &[0, 0, 0, 8, 0, 1, 0, 0]);
        // out_port ANY is 1.0's OFPP_NONE.
        assert_eq!(&bytes[68..70], &[0xff, 0xff]);
        let (_, back) = decode(&bytes).unwrap();
        assert_eq!(back, Message::FlowMod(fm.clone()));

        let no_actions = FlowMod {
            instructions: Default::default(),
            ..fm.clone()
        };
        let bytes = Message::FlowMod(no_actions.clone())
            .encode(Version::V1_0, 1)
            .unwrap();
        assert_eq!(bytes.len(), 72);
        assert_eq!(decode(&bytes).unwrap().1, Message::FlowMod(no_actions));

        let goto = FlowMod {
            instructions: vec![Instruction::GotoTable(1)].into(),
            ..fm.clone()
        };
        assert!(Message::FlowMod(goto).encode(Version::V1_0, 1).is_err());
        let with_table = FlowMod { table_id: 2, ..fm };
        assert_eq!(
            Message::FlowMod(with_table)
                .encode(Version::V1_0, 1)
                .unwrap_err()
                .what,
            "flow-mod table_id"
        );
    }

    #[test]
    fn importance_only_in_14() {
        let fm = FlowMod {
            importance: 5,
            ..sample()
        };
        assert!(Message::FlowMod(fm.clone())
            .encode(Version::V1_3, 1)
            .is_err());
        let bytes = Message::FlowMod(fm.clone())
            .encode(Version::V1_4, 1)
            .unwrap();
        assert_eq!(&bytes[8 + 38..8 + 40], &[0, 5]);
        assert_eq!(decode(&bytes).unwrap().1, Message::FlowMod(fm));
    }

    #[test]
    fn truncated_flow_mods_are_bad_len() {
        for v in Version::ALL {
            let bytes = Message::FlowMod(sample()).encode(v, 1).unwrap();
            for cut in [9, 30, 47, 60] {
                let mut short = bytes[..cut].to_vec();
                short[2..4].copy_from_slice(&(cut as u16).to_be_bytes());
                let err = decode(&short).unwrap_err();
                assert!(
                    matches!(err.kind, ErrorKind::BadLen | ErrorKind::BadMatchLen),
                    "{v} cut {cut}: {err}"
                );
            }
        }
    }
}
