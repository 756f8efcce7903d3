//! Instructions of OpenFlow 1.1–1.4 (`ofp_instruction_*`). OpenFlow 1.0 has
//! none: its flow-mods carry an action list, which the message layer maps to
//! an [`Instruction::ApplyActions`].

use crate::action::Action;
use crate::error::{DecodeError, EncodeError, ErrorKind};
use crate::list::InlineList;
use crate::wire;
use crate::Version;

const OFPIT_GOTO_TABLE: u16 = 1;
const OFPIT_WRITE_METADATA: u16 = 2;
const OFPIT_WRITE_ACTIONS: u16 = 3;
const OFPIT_APPLY_ACTIONS: u16 = 4;
const OFPIT_CLEAR_ACTIONS: u16 = 5;
const OFPIT_METER: u16 = 6;
const OFPIT_EXPERIMENTER: u16 = 0xffff;

/// The instructions of a flow entry: most have one (apply-actions or
/// goto-table), kept inline; more go to the heap.
pub type InstructionList = InlineList<Instruction, 1>;

/// One instruction of a flow entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Instruction {
    /// `OFPIT_GOTO_TABLE` (`ofp_instruction_goto_table`): continue in a later table.
    GotoTable(u8),
    /// `OFPIT_WRITE_METADATA` (`ofp_instruction_write_metadata`).
    WriteMetadata {
        /// Metadata value.
        metadata: u64,
        /// Bits of the metadata to write.
        mask: u64,
    },
    /// `OFPIT_WRITE_ACTIONS`: merge actions into the action set.
    WriteActions(Vec<Action>),
    /// `OFPIT_APPLY_ACTIONS`: apply actions immediately.
    ApplyActions(Vec<Action>),
    /// `OFPIT_CLEAR_ACTIONS`: empty the action set.
    ClearActions,
    /// `OFPIT_METER` (1.3+, `ofp_instruction_meter`): apply a meter.
    Meter(u32),
    /// `OFPIT_EXPERIMENTER` (`ofp_instruction_experimenter`).
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// The bytes after the experimenter id, as on the wire.
        data: Vec<u8>,
    },
}

fn len_err() -> DecodeError {
    DecodeError::new(ErrorKind::BadInstructionLen, "instruction length")
}

fn fixed(body: &[u8], want: usize) -> Result<&[u8], DecodeError> {
    if body.len() == want {
        Ok(body)
    } else {
        Err(len_err())
    }
}

impl Instruction {
    /// Decodes one instruction at the start of `input`; returns it and the rest.
    pub fn decode(version: Version, input: &[u8]) -> Result<(Instruction, &[u8]), DecodeError> {
        if version == Version::V1_0 {
            return Err(DecodeError::new(
                ErrorKind::UnknownInstruction,
                "instructions in OpenFlow 1.0",
            ));
        }
        let (rest, itype) = wire::u16(input, "instruction type").map_err(|_| len_err())?;
        let (rest, len) = wire::u16(rest, "instruction length").map_err(|_| len_err())?;
        let len = usize::from(len);
        if !len.is_multiple_of(8) {
            return Err(len_err());
        }
        let (rest, body) = wire::sub(rest, len, 4, len_err())?;
        let u32_at = |b: &[u8], o: usize| u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let u64_at =
            |b: &[u8], o: usize| (u64::from(u32_at(b, o)) << 32) | u64::from(u32_at(b, o + 4));
        let inst = match itype {
            OFPIT_GOTO_TABLE => Instruction::GotoTable(fixed(body, 4)?[0]),
            OFPIT_WRITE_METADATA => {
                let b = fixed(body, 20)?;
                Instruction::WriteMetadata {
                    metadata: u64_at(b, 4),
                    mask: u64_at(b, 12),
                }
            }
            OFPIT_WRITE_ACTIONS | OFPIT_APPLY_ACTIONS => {
                if body.len() < 4 {
                    return Err(len_err());
                }
                let actions = Action::decode_list(version, &body[4..])?;
                if itype == OFPIT_WRITE_ACTIONS {
                    Instruction::WriteActions(actions)
                } else {
                    Instruction::ApplyActions(actions)
                }
            }
            OFPIT_CLEAR_ACTIONS => {
                fixed(body, 4)?;
                Instruction::ClearActions
            }
            OFPIT_METER if version >= Version::V1_3 => {
                Instruction::Meter(u32_at(fixed(body, 4)?, 0))
            }
            OFPIT_EXPERIMENTER => {
                if body.len() < 4 {
                    return Err(len_err());
                }
                Instruction::Experimenter {
                    experimenter: u32_at(body, 0),
                    data: body[4..].to_vec(),
                }
            }
            _ => {
                return Err(DecodeError::new(
                    ErrorKind::UnknownInstruction,
                    "instruction type",
                ))
            }
        };
        Ok((inst, rest))
    }

    /// Decodes an instruction list: exactly the slice given.
    pub fn decode_list(version: Version, bytes: &[u8]) -> Result<InstructionList, DecodeError> {
        let mut list = InstructionList::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let (i, r) = Instruction::decode(version, rest)?;
            list.push(i);
            rest = r;
        }
        Ok(list)
    }

    /// Appends an instruction list for `version`.
    pub fn encode_list(
        list: &[Instruction],
        version: Version,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let start = out.len();
        for i in list {
            if let Err(e) = i.encode(version, out) {
                out.truncate(start);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Appends this instruction for `version`.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if version == Version::V1_0 {
            return Err(EncodeError::unsupported(version, "instructions"));
        }
        let start = out.len();
        match self {
            Instruction::GotoTable(table) => {
                wire::put_u16(out, OFPIT_GOTO_TABLE);
                wire::put_u16(out, 8);
                out.extend_from_slice(&[*table, 0, 0, 0]);
            }
            Instruction::WriteMetadata { metadata, mask } => {
                wire::put_u16(out, OFPIT_WRITE_METADATA);
                wire::put_u16(out, 24);
                wire::put_zeros(out, 4);
                wire::put_u64(out, *metadata);
                wire::put_u64(out, *mask);
            }
            Instruction::WriteActions(actions) | Instruction::ApplyActions(actions) => {
                let itype = if matches!(self, Instruction::WriteActions(_)) {
                    OFPIT_WRITE_ACTIONS
                } else {
                    OFPIT_APPLY_ACTIONS
                };
                // Type, length (patched below), 4 bytes of padding.
                let [t0, t1] = itype.to_be_bytes();
                out.extend_from_slice(&[t0, t1, 0, 0, 0, 0, 0, 0]);
                if let Err(e) = Action::encode_list(actions, version, out) {
                    out.truncate(start);
                    return Err(e);
                }
                if !wire::patch_len16(out, start, 2) {
                    out.truncate(start);
                    return Err(EncodeError::unsupported(
                        version,
                        "action list longer than 65535 bytes",
                    ));
                }
            }
            Instruction::ClearActions => {
                wire::put_u16(out, OFPIT_CLEAR_ACTIONS);
                wire::put_u16(out, 8);
                wire::put_zeros(out, 4);
            }
            Instruction::Meter(meter) => {
                if version < Version::V1_3 {
                    return Err(EncodeError::unsupported(version, "meter instruction"));
                }
                wire::put_u16(out, OFPIT_METER);
                wire::put_u16(out, 8);
                wire::put_u32(out, *meter);
            }
            Instruction::Experimenter { experimenter, data } => {
                let len = 8 + data.len();
                if !len.is_multiple_of(8) {
                    return Err(EncodeError::unsupported(
                        version,
                        "experimenter instruction whose length is not a multiple of 8",
                    ));
                }
                let Ok(len) = u16::try_from(len) else {
                    return Err(EncodeError::unsupported(
                        version,
                        "experimenter instruction longer than 65535 bytes",
                    ));
                };
                wire::put_u16(out, OFPIT_EXPERIMENTER);
                wire::put_u16(out, len);
                wire::put_u32(out, *experimenter);
                out.extend_from_slice(data);
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for Instruction {
    /// The instruction in the style of `ovs-ofctl` (`goto_table:2`,
    /// `apply_actions(output:1,pop_vlan)`, `write_metadata:0x1/0xff`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |actions: &[Action]| {
            actions
                .iter()
                .map(Action::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            Instruction::GotoTable(t) => write!(f, "goto_table:{t}"),
            Instruction::WriteMetadata { metadata, mask } => {
                write!(f, "write_metadata:{metadata:#x}/{mask:#x}")
            }
            Instruction::WriteActions(a) => write!(f, "write_actions({})", list(a)),
            Instruction::ApplyActions(a) => write!(f, "apply_actions({})", list(a)),
            Instruction::ClearActions => f.write_str("clear_actions"),
            Instruction::Meter(m) => write!(f, "meter:{m}"),
            Instruction::Experimenter { experimenter, data } => {
                write!(f, "experimenter(id={experimenter:#010x},data=0x")?;
                for b in data {
                    write!(f, "{b:02x}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Formats an instruction list as comma-separated instructions (`drop`
/// when empty).
pub fn format_instructions(list: &[Instruction]) -> String {
    if list.is_empty() {
        return "drop".into();
    }
    list.iter()
        .map(Instruction::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Proptest strategies for instructions.
#[cfg(any(test, feature = "arbitrary"))]
pub mod strategies {
    use super::*;
    use crate::action::strategies::arb_actions;
    use proptest::prelude::*;

    /// Any instruction `version` (1.1+) can express.
    pub fn arb_instruction(version: Version) -> BoxedStrategy<Instruction> {
        let base = prop_oneof![
            any::<u8>().prop_map(Instruction::GotoTable),
            (any::<u64>(), any::<u64>())
                .prop_map(|(metadata, mask)| Instruction::WriteMetadata { metadata, mask }),
            arb_actions(version).prop_map(Instruction::WriteActions),
            arb_actions(version).prop_map(Instruction::ApplyActions),
            Just(Instruction::ClearActions),
            (any::<u32>(), proptest::collection::vec(any::<u8>(), 0..3)).prop_map(
                |(experimenter, words)| {
                    Instruction::Experimenter {
                        experimenter,
                        data: words.iter().flat_map(|b| [*b; 8]).collect(),
                    }
                }
            ),
        ];
        if version >= Version::V1_3 {
            prop_oneof![6 => base, 1 => any::<u32>().prop_map(Instruction::Meter)].boxed()
        } else {
            base.boxed()
        }
    }

    /// A list of instructions for `version` (1.1+).
    pub fn arb_instructions(version: Version) -> impl Strategy<Value = InstructionList> {
        proptest::collection::vec(arb_instruction(version), 0..5).prop_map(InstructionList::from)
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use crate::flow_match::tests::{mutate, osken_packet};
    use crate::flow_match::Match;
    use proptest::prelude::*;

    fn enc(list: &[Instruction], v: Version) -> Vec<u8> {
        let mut out = vec![0xa5; 3];
        Instruction::encode_list(list, v, &mut out).unwrap();
        assert_eq!(&out[..3], &[0xa5; 3]);
        out.split_off(3)
    }

    #[test]
    fn hand_checked() {
        let list = vec![
            Instruction::Meter(1),
            Instruction::ApplyActions(vec![Action::Output {
                port: 2,
                max_len: 0,
            }]),
            Instruction::WriteMetadata {
                metadata: 0x10,
                mask: 0xff,
            },
            Instruction::ClearActions,
            Instruction::GotoTable(3),
        ];
        let bytes = enc(&list, Version::V1_3);
        assert_eq!(
            hex::encode(&bytes),
            concat!(
                "0006000800000001",
                "000400180000000000000010000000020000000000000000",
                "00020018000000000000000000000010 00000000000000ff",
                "0005000800000000",
                "0001000803000000"
            )
            .replace(' ', "")
        );
        assert_eq!(
            Instruction::decode_list(Version::V1_3, &bytes).unwrap(),
            list
        );
        // Meter does not exist before 1.3.
        assert_eq!(
            Instruction::decode_list(Version::V1_2, &bytes)
                .unwrap_err()
                .kind,
            ErrorKind::UnknownInstruction
        );
        assert!(Instruction::encode_list(&list, Version::V1_2, &mut Vec::new()).is_err());
        assert!(Instruction::encode_list(&list[1..2], Version::V1_0, &mut Vec::new()).is_err());
    }

    #[test]
    fn text() {
        let list = vec![
            Instruction::Meter(1),
            Instruction::ApplyActions(vec![
                Action::PopVlan,
                Action::Output {
                    port: 2,
                    max_len: 0,
                },
            ]),
            Instruction::WriteMetadata {
                metadata: 1,
                mask: 0xff,
            },
            Instruction::GotoTable(3),
        ];
        assert_eq!(
            format_instructions(&list),
            "meter:1,apply_actions(pop_vlan,output:2),write_metadata:0x1/0xff,goto_table:3"
        );
        assert_eq!(format_instructions(&[]), "drop");
    }

    #[test]
    fn errors() {
        let kind = |b: &[u8]| Instruction::decode_list(Version::V1_3, b).unwrap_err().kind;
        assert_eq!(
            kind(&[0, 1, 0, 0, 0, 0, 0, 0]),
            ErrorKind::BadInstructionLen
        );
        assert_eq!(
            kind(&[0, 1, 0, 16, 0, 0, 0, 0]),
            ErrorKind::BadInstructionLen
        );
        assert_eq!(
            kind(&[0, 1, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ErrorKind::BadInstructionLen
        );
        assert_eq!(kind(&[0, 1, 0]), ErrorKind::BadInstructionLen);
        assert_eq!(
            kind(&[0, 9, 0, 8, 0, 0, 0, 0]),
            ErrorKind::UnknownInstruction
        );
        // An apply-actions whose action is broken reports the action error.
        assert_eq!(
            kind(&[0, 4, 0, 16, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 1]),
            ErrorKind::BadActionLen
        );
    }

    #[test]
    fn osken_golden_instructions() {
        for (name, version) in [
            ("of12/3-2-ofp_flow_mod.packet", Version::V1_2),
            ("of12/3-3-ofp_flow_mod.packet", Version::V1_2),
            ("of13/4-2-ofp_flow_mod.packet", Version::V1_3),
            ("of13/4-3-ofp_flow_mod.packet", Version::V1_3),
            ("of13/4-46-ofp_flow_mod.packet", Version::V1_3),
            ("of13/4-60-ofp_flow_mod.packet", Version::V1_3),
            ("of13/libofproto-OFP13-flow_mod.packet", Version::V1_3),
            (
                "of13/libofproto-OFP13-flow_mod_conjunction.packet",
                Version::V1_3,
            ),
            ("of14/5-2-ofp_flow_mod.packet", Version::V1_4),
            ("of14/5-3-ofp_flow_mod.packet", Version::V1_4),
        ] {
            let Some(msg) = osken_packet(name) else {
                continue;
            };
            let (_, rest) = Match::decode(version, &msg[48..]).unwrap();
            let list =
                Instruction::decode_list(version, rest).unwrap_or_else(|e| panic!("{name}: {e}"));
            // 4-60 is a flow-mod with a large match and no instructions.
            assert_eq!(list.is_empty(), name.contains("4-60"), "{name}");
            assert_eq!(enc(&list, version), rest, "{name}");
        }
    }

    proptest! {
        /// Damaged valid instruction lists never panic; what decodes re-encodes.
        #[test]
        fn mutated_instructions(
            (v, list) in prop_oneof![Just(Version::V1_1), Just(Version::V1_2), Just(Version::V1_3), Just(Version::V1_4)]
                .prop_flat_map(|v| (Just(v), arb_instructions(v))),
            edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..4),
            cut in proptest::option::of(any::<proptest::sample::Index>()),
        ) {
            let bytes = mutate(enc(&list, v), &edits, cut);
            if let Ok(d) = Instruction::decode_list(v, &bytes) {
                prop_assert!(Instruction::encode_list(&d, v, &mut Vec::new()).is_ok());
            }
        }

        /// The same for 1.0 action lists.
        #[test]
        fn mutated_v10_actions(
            actions in crate::action::strategies::arb_actions(Version::V1_0),
            edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..4),
            cut in proptest::option::of(any::<proptest::sample::Index>()),
        ) {
            let mut bytes = Vec::new();
            Action::encode_list(&actions, Version::V1_0, &mut bytes).unwrap();
            let bytes = mutate(bytes, &edits, cut);
            if let Ok(d) = Action::decode_list(Version::V1_0, &bytes) {
                prop_assert!(Action::encode_list(&d, Version::V1_0, &mut Vec::new()).is_ok());
            }
        }
    }

    proptest! {
        #[test]
        fn round_trip(v in prop_oneof![Just(Version::V1_1), Just(Version::V1_2), Just(Version::V1_3), Just(Version::V1_4)]
                      .prop_flat_map(|v| (Just(v), arb_instructions(v)))) {
            let (v, list) = v;
            let bytes = enc(&list, v);
            prop_assert_eq!(Instruction::decode_list(v, &bytes).unwrap(), list);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            for v in Version::ALL {
                if let Ok(list) = Instruction::decode_list(v, &bytes) {
                    prop_assert_eq!(enc(&list, v), bytes.clone());
                }
            }
        }
    }
}
