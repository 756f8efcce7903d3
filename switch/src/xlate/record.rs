//! What a translation depends on, so that its decisions can be cached.
//!
//! The only decisions the megaflow cache replays are the rules each table
//! lookup found: everything else (header edits, group buckets, meters,
//! NORMAL's learning table, packet-ins) the translator computes again for
//! every packet from the packet and the current state. A translation run
//! with a [`Recording`] collects those rules in order, plus the mask of
//! every packet field a decision consulted: the lookups' wildcards, the
//! fields a select group hashes, the fields NORMAL reads, and the input
//! port. Any packet that agrees with the translated one on the masked bits
//! finds the same rules at the same table version, so it can replay the
//! recorded [`Script`] instead of looking them up.
//!
//! The recording also compiles the translation into a [`Program`]: the
//! outputs and header edits it executed, in order. A megaflow whose
//! translation did nothing else (no group, meter, packet-in, NORMAL,
//! FLOOD/ALL or LOCAL, whose outcome depends on state other than the
//! packet and the rules) runs that program on its hits instead of
//! replaying the rules through the translator; the edits go through the
//! same editor, so the packets leave the same.
//!
//! One thing breaks that: a lookup (or a hash, or NORMAL) after an edit
//! that moves values between fields or changes how the packet parses
//! (push/pop, copy TTL, setting a type field). The consulted bits then no
//! longer sit where they were in the original packet, and the translation
//! is marked not cacheable: such packets always take the full pipeline.

use openflow::action::Action;
use openflow::oxm::OxmField;
use smallvec::SmallVec;

use crate::flow::{Flow, FLOW_WORDS};
use crate::ofproto::table::RuleHandle;
use crate::xlate::DropReason;

/// One table lookup of a translation.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// The table looked up.
    pub table: u8,
    /// The rule found (`None`: a miss).
    pub rule: Option<RuleHandle>,
}

/// Lookups held inline in a [`Script`]: a megaflow's hit reads its script
/// from the megaflow itself, not from another allocation.
pub const INLINE_LOOKUPS: usize = 2;
/// Steps held inline in a [`Program`], for the same reason.
pub const INLINE_OPS: usize = 3;

/// The lookups of a translation, in order.
pub type Script = SmallVec<[Lookup; INLINE_LOOKUPS]>;

/// One step of a compiled translation.
#[derive(Debug, Clone, PartialEq)]
pub enum DpOp {
    /// Send the packet, as it is now, to an OpenFlow port.
    Output(u32),
    /// Apply a header edit.
    Edit(Action),
}

/// A translation compiled to what it did to the packet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Program {
    /// The steps, in order, each with the number of table lookups the
    /// translation had made when it took the step (the counters of a run
    /// that stops at a step take those lookups only).
    pub ops: SmallVec<[(DpOp, u8); INLINE_OPS]>,
    /// The translation's outcome when the steps are done: why the packet
    /// is dropped if no output takes it (`None`: no reason recorded, a
    /// drop for lack of an output).
    pub outcome: Option<DropReason>,
}

/// The mask of the input port alone: what every translation consults,
/// and all that a simple match consults.
pub fn input_port_mask() -> Flow {
    let mut mask = Flow::ZERO;
    crate::flow::Field::InPort.set_mask_all(&mut mask);
    mask
}

/// What a translation consulted.
#[derive(Debug, Clone)]
pub struct Recording {
    /// Bits of the packet's flow that decided the translation.
    pub mask: Flow,
    /// The rules found, in lookup order.
    pub script: Script,
    /// False once the translation consulted a field an earlier edit moved
    /// or reinterpreted.
    pub cacheable: bool,
    /// An edit has moved values between fields or changed the parse.
    remapped: bool,
    /// What the translation did to the packet; `None` once it did
    /// something a program cannot repeat.
    pub program: Option<Program>,
}

impl Recording {
    /// A recording for a packet received on a port (the input port always
    /// decides: IN_PORT, FLOOD and NORMAL depend on it).
    pub fn new() -> Self {
        Recording {
            mask: input_port_mask(),
            script: Script::new(),
            cacheable: true,
            remapped: false,
            program: Some(Program::default()),
        }
    }

    /// Notes a step the translation took on the packet.
    pub fn op(&mut self, op: DpOp) {
        let lookups = u8::try_from(self.script.len()).unwrap_or(u8::MAX);
        if let Some(p) = &mut self.program {
            p.ops.push((op, lookups));
        }
    }

    /// Notes that the translation did something that depends on more
    /// than the packet and the rules (a group, a meter, a packet-in,
    /// NORMAL, ...): its hits replay the rules instead of a program.
    pub fn opaque(&mut self) {
        self.program = None;
    }

    /// Notes how the translation ended.
    pub fn outcome(&mut self, outcome: Option<DropReason>) {
        if let Some(p) = &mut self.program {
            p.outcome = outcome;
        }
    }

    /// Adds the bits a decision consulted.
    pub fn consult(&mut self, bits: &[u64; FLOW_WORDS]) {
        if self.remapped {
            self.cacheable = false;
            return;
        }
        for (m, b) in self.mask.words_mut().iter_mut().zip(bits) {
            *m |= b;
        }
    }

    /// Adds a lookup in `table`: its wildcards and its result.
    pub fn lookup(&mut self, table: u8, wc: &[u64; FLOW_WORDS], rule: Option<&RuleHandle>) {
        self.consult(wc);
        self.script.push(Lookup {
            table,
            rule: rule.cloned(),
        });
    }

    /// Notes an edit applied to the packet.
    pub fn edit(&mut self, a: &Action) {
        if moves_fields(a) {
            self.remapped = true;
        }
    }
}

impl Default for Recording {
    fn default() -> Self {
        Recording::new()
    }
}

/// Whether an edit moves values between fields or changes how the packet
/// parses (as opposed to writing a constant or stepping one field).
fn moves_fields(a: &Action) -> bool {
    match a {
        Action::SetField(f) => matches!(
            f,
            OxmField::EthType(_) | OxmField::IpProto(_) | OxmField::MplsBos(_)
        ),
        Action::SetNwTtl(_)
        | Action::DecNwTtl
        | Action::SetMplsTtl(_)
        | Action::DecMplsTtl
        | Action::SetTpSrc(_)
        | Action::SetTpDst(_)
        | Action::SetQueue(_)
        | Action::Output { .. }
        | Action::Enqueue { .. }
        | Action::Group(_) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remapping_edits_make_later_consults_uncacheable() {
        let mut r = Recording::new();
        let mut bits = [0u64; FLOW_WORDS];
        bits[3] = 0xff;
        r.consult(&bits);
        assert!(r.cacheable);
        assert_eq!(r.mask.words()[3], 0xff);
        assert_ne!(r.mask.words()[0], 0, "in_port always decides");
        r.edit(&Action::SetField(OxmField::Ipv4Src {
            value: std::net::Ipv4Addr::new(1, 2, 3, 4),
            mask: None,
        }));
        r.edit(&Action::DecNwTtl);
        r.consult(&bits);
        assert!(
            r.cacheable,
            "constant writes and TTL steps keep the mapping"
        );
        r.edit(&Action::PopMpls(0x0800));
        assert!(r.cacheable, "an edit alone changes nothing");
        r.consult(&bits);
        assert!(!r.cacheable);
    }
}
