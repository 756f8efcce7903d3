//! Groups: group types, group id constants and buckets (`ofp_bucket`,
//! OpenFlow 1.1–1.4; 1.0 has no groups).

use crate::action::Action;
use crate::error::{DecodeError, EncodeError, ErrorKind};
use crate::wire;
use crate::Version;

/// `OFPG_MAX`: the highest group id.
pub const OFPG_MAX: u32 = 0xffff_ff00;
/// `OFPG_ALL`: all groups (group-mod delete, group-stats request).
pub const OFPG_ALL: u32 = 0xffff_fffc;
/// `OFPG_ANY`: wildcard group (flow-mod `out_group`, bucket `watch_group`).
pub const OFPG_ANY: u32 = 0xffff_ffff;

/// Length of the fixed part of `ofp_bucket`.
const BUCKET_HEADER_LEN: usize = 16;

/// `ofp_group_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupType {
    /// `OFPGT_ALL`: execute all buckets (multicast/broadcast).
    All,
    /// `OFPGT_SELECT`: execute one bucket (load balancing).
    Select,
    /// `OFPGT_INDIRECT`: execute the one bucket.
    Indirect,
    /// `OFPGT_FF`: execute the first live bucket (fast failover).
    FastFailover,
}

impl GroupType {
    /// The wire value (`OFPGT_*`).
    pub fn wire(self) -> u8 {
        match self {
            GroupType::All => 0,
            GroupType::Select => 1,
            GroupType::Indirect => 2,
            GroupType::FastFailover => 3,
        }
    }

    /// The group type of a wire value; unknown values are OFPGMFC_BAD_TYPE.
    pub fn from_wire(v: u8) -> Result<GroupType, DecodeError> {
        match v {
            0 => Ok(GroupType::All),
            1 => Ok(GroupType::Select),
            2 => Ok(GroupType::Indirect),
            3 => Ok(GroupType::FastFailover),
            _ => Err(DecodeError::new(ErrorKind::BadGroupType, "group type")),
        }
    }
}

/// One bucket of a group (`ofp_bucket`, OpenFlow 1.1–1.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bucket {
    /// Relative weight (select groups only).
    pub weight: u16,
    /// Port whose liveness makes the bucket live (fast-failover groups), or `OFPP_ANY`.
    pub watch_port: u32,
    /// Group whose liveness makes the bucket live, or [`OFPG_ANY`].
    pub watch_group: u32,
    /// The bucket's actions.
    pub actions: Vec<Action>,
}

fn bucket_err() -> DecodeError {
    DecodeError::new(ErrorKind::BadBucket, "bucket length")
}

impl Bucket {
    /// Decodes a bucket list: exactly the slice given.
    pub fn decode_list(version: Version, bytes: &[u8]) -> Result<Vec<Bucket>, DecodeError> {
        if version == Version::V1_0 {
            return Err(DecodeError::new(
                ErrorKind::BadType,
                "groups in OpenFlow 1.0",
            ));
        }
        let mut buckets = Vec::new();
        wire::for_each_tlv(bytes, 0, BUCKET_HEADER_LEN, bucket_err(), |b| {
            if !b.len().is_multiple_of(8) {
                return Err(bucket_err());
            }
            let be32 = |o: usize| u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
            buckets.push(Bucket {
                weight: u16::from_be_bytes([b[2], b[3]]),
                watch_port: be32(4),
                watch_group: be32(8),
                actions: Action::decode_list(version, &b[BUCKET_HEADER_LEN..])?,
            });
            Ok(())
        })?;
        Ok(buckets)
    }

    /// Appends a bucket list for `version`.
    pub fn encode_list(
        list: &[Bucket],
        version: Version,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        if version == Version::V1_0 {
            return Err(EncodeError::unsupported(version, "group buckets"));
        }
        let list_start = out.len();
        for b in list {
            let start = out.len();
            wire::put_u16(out, 0);
            wire::put_u16(out, b.weight);
            wire::put_u32(out, b.watch_port);
            wire::put_u32(out, b.watch_group);
            wire::put_zeros(out, 4);
            let r = Action::encode_list(&b.actions, version, out);
            if let Err(e) = r {
                out.truncate(list_start);
                return Err(e);
            }
            if !wire::patch_len16(out, start, 0) {
                out.truncate(list_start);
                return Err(EncodeError::unsupported(
                    version,
                    "bucket longer than 65535 bytes",
                ));
            }
        }
        Ok(())
    }
}

/// Proptest strategies for buckets and group types.
#[cfg(any(test, feature = "arbitrary"))]
pub mod strategies {
    use super::*;
    use crate::action::strategies::arb_actions;
    use proptest::prelude::*;

    /// Any group type.
    pub fn arb_group_type() -> impl Strategy<Value = GroupType> {
        prop_oneof![
            Just(GroupType::All),
            Just(GroupType::Select),
            Just(GroupType::Indirect),
            Just(GroupType::FastFailover),
        ]
    }

    /// Any bucket for `version` (1.1+).
    pub fn arb_bucket(version: Version) -> impl Strategy<Value = Bucket> {
        (
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
            arb_actions(version),
        )
            .prop_map(|(weight, watch_port, watch_group, actions)| Bucket {
                weight,
                watch_port,
                watch_group,
                actions,
            })
    }

    /// A bucket list for `version` (1.1+).
    pub fn arb_buckets(version: Version) -> impl Strategy<Value = Vec<Bucket>> {
        proptest::collection::vec(arb_bucket(version), 0..4)
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use crate::flow_match::tests::{mutate, osken_packet};
    use crate::port::OFPP_ANY;
    use proptest::prelude::*;

    fn enc(list: &[Bucket], v: Version) -> Vec<u8> {
        let mut out = vec![0xa5; 3];
        Bucket::encode_list(list, v, &mut out).unwrap();
        assert_eq!(&out[..3], &[0xa5; 3]);
        out.split_off(3)
    }

    #[test]
    fn hand_checked() {
        let list = vec![
            Bucket {
                weight: 1,
                watch_port: 1,
                watch_group: 1,
                actions: vec![Action::Output {
                    port: 2,
                    max_len: 0xffff,
                }],
            },
            Bucket {
                weight: 0,
                watch_port: OFPP_ANY,
                watch_group: OFPG_ANY,
                actions: vec![],
            },
        ];
        let bytes = enc(&list, Version::V1_3);
        assert_eq!(
            hex::encode(&bytes),
            concat!(
                "00200001000000010000000100000000",
                "0000001000000002ffff000000000000",
                "00100000ffffffffffffffff00000000"
            )
        );
        assert_eq!(Bucket::decode_list(Version::V1_3, &bytes).unwrap(), list);
        assert!(Bucket::encode_list(&list, Version::V1_0, &mut Vec::new()).is_err());
    }

    #[test]
    fn group_types() {
        for t in [
            GroupType::All,
            GroupType::Select,
            GroupType::Indirect,
            GroupType::FastFailover,
        ] {
            assert_eq!(GroupType::from_wire(t.wire()), Ok(t));
        }
        assert_eq!(
            GroupType::from_wire(4).unwrap_err().kind,
            ErrorKind::BadGroupType
        );
    }

    #[test]
    fn errors() {
        let kind = |b: &[u8]| Bucket::decode_list(Version::V1_3, b).unwrap_err().kind;
        assert_eq!(kind(&[0; 16]), ErrorKind::BadBucket);
        assert_eq!(kind(&[0, 8, 0, 0, 0, 0, 0, 0]), ErrorKind::BadBucket);
        let mut b = vec![0u8; 24];
        b[1] = 20;
        assert_eq!(kind(&b), ErrorKind::BadBucket);
        b[1] = 32;
        assert_eq!(kind(&b), ErrorKind::BadBucket);
        // A bucket whose action is malformed reports the action error.
        b[1] = 24;
        b[19] = 8;
        assert_eq!(kind(&b), ErrorKind::BadActionLen);
    }

    #[test]
    fn osken_golden_buckets() {
        for (name, offset, version) in [
            ("of13/4-21-ofp_group_mod.packet", 16, Version::V1_3),
            ("of12/3-21-ofp_group_mod.packet", 16, Version::V1_2),
            ("of14/5-21-ofp_group_mod.packet", 16, Version::V1_4),
            ("of13/4-34-ofp_group_desc_reply.packet", 24, Version::V1_3),
        ] {
            let Some(msg) = osken_packet(name) else {
                continue;
            };
            let list = Bucket::decode_list(version, &msg[offset..])
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!list.is_empty());
            assert_eq!(enc(&list, version), &msg[offset..], "{name}");
        }
    }

    proptest! {
        /// Damaged valid bucket lists never panic; what decodes re-encodes.
        #[test]
        fn mutated_buckets(
            (v, list) in prop_oneof![Just(Version::V1_1), Just(Version::V1_3)]
                .prop_flat_map(|v| (Just(v), arb_buckets(v))),
            edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..4),
            cut in proptest::option::of(any::<proptest::sample::Index>()),
        ) {
            let bytes = mutate(enc(&list, v), &edits, cut);
            if let Ok(d) = Bucket::decode_list(v, &bytes) {
                prop_assert!(Bucket::encode_list(&d, v, &mut Vec::new()).is_ok());
            }
        }
    }

    proptest! {
        #[test]
        fn round_trip(v in prop_oneof![Just(Version::V1_1), Just(Version::V1_2), Just(Version::V1_3), Just(Version::V1_4)]
                      .prop_flat_map(|v| (Just(v), arb_buckets(v)))) {
            let (v, list) = v;
            let bytes = enc(&list, v);
            prop_assert_eq!(Bucket::decode_list(v, &bytes).unwrap(), list);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            for v in Version::ALL {
                if let Ok(list) = Bucket::decode_list(v, &bytes) {
                    prop_assert_eq!(enc(&list, v), bytes.clone());
                }
            }
        }
    }
}
