//! Queues: `ofp_packet_queue` of the OpenFlow 1.0–1.3 queue-get-config
//! reply with its `ofp_queue_prop_*` properties, and the OpenFlow 1.4
//! queue-description properties (`ofp_queue_desc_prop_*`).

use crate::error::{DecodeError, EncodeError, ErrorKind};
use crate::port::OFPP_ANY;
use crate::wire;
use crate::Version;

/// `OFPQ_ALL`: all queues (queue-stats requests).
pub const OFPQ_ALL: u32 = 0xffff_ffff;
/// A rate above 1000 (tenths of a percent) disables the rate limit.
pub const OFPQ_RATE_DISABLED: u16 = 0xffff;

const OFPQT_MIN_RATE: u16 = 1;
const OFPQT_MAX_RATE: u16 = 2;
const OFPQT_EXPERIMENTER: u16 = 0xffff;

/// A queue property of 1.0–1.3 (`ofp_queue_prop_header` and subtypes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QueueProp {
    /// `OFPQT_MIN_RATE`: guaranteed rate in tenths of a percent.
    MinRate(u16),
    /// `OFPQT_MAX_RATE` (1.2+): maximum rate in tenths of a percent.
    MaxRate(u16),
    /// `OFPQT_EXPERIMENTER` (1.2+).
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// The bytes after the experimenter id and its padding, as on the wire.
        data: Vec<u8>,
    },
}

/// A queue of a port (`ofp_packet_queue`, OpenFlow 1.0–1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PacketQueue {
    /// Queue id.
    pub queue_id: u32,
    /// Port the queue is attached to (on the wire from 1.2 on; decoded as
    /// `OFPP_ANY` from 1.0/1.1, whose reply names the port once).
    pub port: u32,
    /// Properties, in wire order.
    pub properties: Vec<QueueProp>,
}

fn queue_err() -> DecodeError {
    DecodeError::bad_len("packet queue")
}

fn prop_err() -> DecodeError {
    DecodeError::bad_len("queue property")
}

fn decode_queue_props(version: Version, bytes: &[u8]) -> Result<Vec<QueueProp>, DecodeError> {
    let mut props = Vec::new();
    wire::for_each_tlv(bytes, 2, 8, prop_err(), |p| {
        let ptype = u16::from_be_bytes([p[0], p[1]]);
        let body = &p[8..];
        let prop = match ptype {
            OFPQT_MIN_RATE | OFPQT_MAX_RATE
                if version >= Version::V1_2 || ptype == OFPQT_MIN_RATE =>
            {
                if body.len() != 8 {
                    return Err(prop_err());
                }
                let rate = u16::from_be_bytes([body[0], body[1]]);
                if ptype == OFPQT_MIN_RATE {
                    QueueProp::MinRate(rate)
                } else {
                    QueueProp::MaxRate(rate)
                }
            }
            OFPQT_EXPERIMENTER if version >= Version::V1_2 => {
                if body.len() < 8 {
                    return Err(prop_err());
                }
                QueueProp::Experimenter {
                    experimenter: u32::from_be_bytes([body[0], body[1], body[2], body[3]]),
                    data: body[8..].to_vec(),
                }
            }
            _ => {
                return Err(DecodeError::new(
                    ErrorKind::BadPropertyType,
                    "queue property type",
                ))
            }
        };
        props.push(prop);
        Ok(())
    })?;
    Ok(props)
}

impl PacketQueue {
    /// Decodes a list of queues: exactly the slice given.
    pub fn decode_list(version: Version, bytes: &[u8]) -> Result<Vec<PacketQueue>, DecodeError> {
        let header_len = if version >= Version::V1_2 { 16 } else { 8 };
        let len_offset = if version >= Version::V1_2 { 8 } else { 4 };
        let mut queues = Vec::new();
        wire::for_each_tlv(bytes, len_offset, header_len, queue_err(), |q| {
            let be32 = |o: usize| u32::from_be_bytes([q[o], q[o + 1], q[o + 2], q[o + 3]]);
            queues.push(PacketQueue {
                queue_id: be32(0),
                port: if version >= Version::V1_2 {
                    be32(4)
                } else {
                    OFPP_ANY
                },
                properties: decode_queue_props(version, &q[header_len..])?,
            });
            Ok(())
        })?;
        Ok(queues)
    }

    /// Appends a list of queues for `version` (1.0–1.3; 1.4 describes queues
    /// with queue-desc multipart replies instead).
    pub fn encode_list(
        list: &[PacketQueue],
        version: Version,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        if version >= Version::V1_4 {
            return Err(EncodeError::unsupported(
                version,
                "queue-get-config queue list",
            ));
        }
        let list_start = out.len();
        let fail = |out: &mut Vec<u8>, what| {
            out.truncate(list_start);
            Err(EncodeError::unsupported(version, what))
        };
        for q in list {
            let start = out.len();
            wire::put_u32(out, q.queue_id);
            let len_offset = if version >= Version::V1_2 {
                wire::put_u32(out, q.port);
                wire::put_u16(out, 0);
                wire::put_zeros(out, 6);
                8
            } else {
                wire::put_u16(out, 0);
                wire::put_zeros(out, 2);
                4
            };
            for p in &q.properties {
                let pstart = out.len();
                let ptype = match p {
                    QueueProp::MinRate(_) => OFPQT_MIN_RATE,
                    QueueProp::MaxRate(_) if version >= Version::V1_2 => OFPQT_MAX_RATE,
                    QueueProp::Experimenter { .. } if version >= Version::V1_2 => {
                        OFPQT_EXPERIMENTER
                    }
                    QueueProp::MaxRate(_) => return fail(out, "max-rate queue property"),
                    QueueProp::Experimenter { .. } => {
                        return fail(out, "experimenter queue property")
                    }
                };
                wire::put_u16(out, ptype);
                wire::put_u16(out, 0);
                wire::put_zeros(out, 4);
                match p {
                    QueueProp::MinRate(r) | QueueProp::MaxRate(r) => {
                        wire::put_u16(out, *r);
                        wire::put_zeros(out, 6);
                    }
                    QueueProp::Experimenter { experimenter, data } => {
                        wire::put_u32(out, *experimenter);
                        wire::put_zeros(out, 4);
                        out.extend_from_slice(data);
                    }
                }
                if !wire::patch_len16(out, pstart, 2) {
                    return fail(out, "queue property longer than 65535 bytes");
                }
            }
            if !wire::patch_len16(out, start, len_offset) {
                return fail(out, "packet queue longer than 65535 bytes");
            }
        }
        Ok(())
    }
}

/// A queue-description property of OpenFlow 1.4 (`ofp_queue_desc_prop_*`,
/// padded to 8 bytes as every 1.4 property).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QueueDescProp {
    /// `OFPQDPT_MIN_RATE`: guaranteed rate in tenths of a percent.
    MinRate(u16),
    /// `OFPQDPT_MAX_RATE`: maximum rate in tenths of a percent.
    MaxRate(u16),
    /// `OFPQDPT_EXPERIMENTER`.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Experimenter-defined type.
        exp_type: u32,
        /// Experimenter data (without padding).
        data: Vec<u8>,
    },
}

/// Decodes a 1.4 queue-description property list: exactly the slice given.
pub fn decode_queue_desc_props(bytes: &[u8]) -> Result<Vec<QueueDescProp>, DecodeError> {
    let err = DecodeError::new(ErrorKind::BadPropertyLen, "queue desc property");
    let mut props = Vec::new();
    wire::for_each_prop(bytes, err, false, |ptype, body| {
        let prop = match ptype {
            OFPQT_MIN_RATE | OFPQT_MAX_RATE => {
                if body.len() != 4 {
                    return Err(err);
                }
                let rate = u16::from_be_bytes([body[0], body[1]]);
                if ptype == OFPQT_MIN_RATE {
                    QueueDescProp::MinRate(rate)
                } else {
                    QueueDescProp::MaxRate(rate)
                }
            }
            OFPQT_EXPERIMENTER => {
                if body.len() < 8 {
                    return Err(err);
                }
                QueueDescProp::Experimenter {
                    experimenter: u32::from_be_bytes([body[0], body[1], body[2], body[3]]),
                    exp_type: u32::from_be_bytes([body[4], body[5], body[6], body[7]]),
                    data: body[8..].to_vec(),
                }
            }
            _ => {
                return Err(DecodeError::new(
                    ErrorKind::BadPropertyType,
                    "queue desc property type",
                ))
            }
        };
        props.push(prop);
        Ok(())
    })?;
    Ok(props)
}

/// Appends a 1.4 queue-description property list.
pub fn encode_queue_desc_props(
    props: &[QueueDescProp],
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let start = out.len();
    for p in props {
        let ok = match p {
            QueueDescProp::MinRate(r) | QueueDescProp::MaxRate(r) => {
                let ptype = if matches!(p, QueueDescProp::MinRate(_)) {
                    OFPQT_MIN_RATE
                } else {
                    OFPQT_MAX_RATE
                };
                wire::put_prop(out, ptype, |o| {
                    wire::put_u16(o, *r);
                    wire::put_zeros(o, 2);
                })
            }
            QueueDescProp::Experimenter {
                experimenter,
                exp_type,
                data,
            } => wire::put_prop(out, OFPQT_EXPERIMENTER, |o| {
                wire::put_u32(o, *experimenter);
                wire::put_u32(o, *exp_type);
                o.extend_from_slice(data);
            }),
        };
        if !ok {
            out.truncate(start);
            return Err(EncodeError::unsupported(
                Version::V1_4,
                "queue desc property longer than 65535 bytes",
            ));
        }
    }
    Ok(())
}

/// Proptest strategies for queues.
#[cfg(any(test, feature = "arbitrary"))]
pub mod strategies {
    use super::*;
    use proptest::prelude::*;

    fn arb_queue_prop(version: Version) -> BoxedStrategy<QueueProp> {
        if version >= Version::V1_2 {
            prop_oneof![
                any::<u16>().prop_map(QueueProp::MinRate),
                any::<u16>().prop_map(QueueProp::MaxRate),
                (any::<u32>(), proptest::collection::vec(any::<u8>(), 0..10)).prop_map(
                    |(experimenter, data)| QueueProp::Experimenter { experimenter, data }
                ),
            ]
            .boxed()
        } else {
            any::<u16>().prop_map(QueueProp::MinRate).boxed()
        }
    }

    /// Any queue `version` (1.0-1.3) can express, in the form its decoder gives.
    pub fn arb_packet_queue(version: Version) -> impl Strategy<Value = PacketQueue> {
        let port = if version >= Version::V1_2 {
            any::<u32>().boxed()
        } else {
            Just(OFPP_ANY).boxed()
        };
        (
            any::<u32>(),
            port,
            proptest::collection::vec(arb_queue_prop(version), 0..4),
        )
            .prop_map(|(queue_id, port, properties)| PacketQueue {
                queue_id,
                port,
                properties,
            })
    }

    /// Any 1.4 queue-description property.
    pub fn arb_queue_desc_prop() -> impl Strategy<Value = QueueDescProp> {
        prop_oneof![
            any::<u16>().prop_map(QueueDescProp::MinRate),
            any::<u16>().prop_map(QueueDescProp::MaxRate),
            (
                any::<u32>(),
                any::<u32>(),
                proptest::collection::vec(any::<u8>(), 0..12)
            )
                .prop_map(|(experimenter, exp_type, data)| {
                    QueueDescProp::Experimenter {
                        experimenter,
                        exp_type,
                        data,
                    }
                }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use crate::flow_match::tests::{mutate, osken_packet};
    use proptest::prelude::*;

    fn enc(list: &[PacketQueue], v: Version) -> Vec<u8> {
        let mut out = vec![0xa5; 3];
        PacketQueue::encode_list(list, v, &mut out).unwrap();
        assert_eq!(&out[..3], &[0xa5; 3]);
        out.split_off(3)
    }

    #[test]
    fn hand_checked() {
        let q = PacketQueue {
            queue_id: 1,
            port: OFPP_ANY,
            properties: vec![QueueProp::MinRate(500)],
        };
        assert_eq!(
            hex::encode(enc(std::slice::from_ref(&q), Version::V1_0)),
            "0000000100180000000100100000000001f4000000000000"
        );
        let q = PacketQueue {
            queue_id: 1,
            port: 3,
            properties: vec![
                QueueProp::MaxRate(900),
                QueueProp::Experimenter {
                    experimenter: 0x2320,
                    data: vec![7],
                },
            ],
        };
        let bytes = enc(std::slice::from_ref(&q), Version::V1_3);
        assert_eq!(
            hex::encode(&bytes),
            concat!(
                "00000001000000030031000000000000",
                "00020010000000000384000000000000",
                "ffff0011000000000000232000000000",
                "07"
            )
        );
        assert_eq!(
            PacketQueue::decode_list(Version::V1_3, &bytes).unwrap(),
            vec![q.clone()]
        );
        assert!(
            PacketQueue::encode_list(std::slice::from_ref(&q), Version::V1_0, &mut Vec::new())
                .is_err()
        );
        assert!(PacketQueue::encode_list(&[q], Version::V1_4, &mut Vec::new()).is_err());
    }

    #[test]
    fn errors() {
        let kind = |v: Version, b: &[u8]| PacketQueue::decode_list(v, b).unwrap_err().kind;
        assert_eq!(
            kind(Version::V1_0, &[0, 0, 0, 1, 0, 0, 0, 0]),
            ErrorKind::BadLen
        );
        assert_eq!(
            kind(Version::V1_0, &[0, 0, 0, 1, 0, 4, 0, 0]),
            ErrorKind::BadLen
        );
        assert_eq!(
            kind(Version::V1_3, &[0, 0, 0, 1, 0, 0, 0, 0, 0, 16, 0, 0]),
            ErrorKind::BadLen
        );
        // A property of length 0 inside a queue.
        let mut b = vec![0u8; 16];
        b[5] = 16;
        assert_eq!(kind(Version::V1_0, &b), ErrorKind::BadLen);
        // max-rate does not exist in 1.0.
        let mut b = vec![0u8; 24];
        b[5] = 24;
        b[9] = 2;
        b[11] = 16;
        assert_eq!(kind(Version::V1_0, &b), ErrorKind::BadPropertyType);
        assert!(decode_queue_desc_props(&[0, 1, 0, 6, 0, 0, 0, 0]).is_err());
        assert!(decode_queue_desc_props(&[0, 9, 0, 8, 0, 0, 0, 0]).is_err());
        assert!(decode_queue_desc_props(&[0, 1, 0, 8, 0, 0]).is_err());
    }

    #[test]
    fn queue_desc_props() {
        let props = vec![
            QueueDescProp::MinRate(300),
            QueueDescProp::MaxRate(900),
            QueueDescProp::Experimenter {
                experimenter: 0x65,
                exp_type: 2,
                data: vec![0, 0, 0, 1, 0, 0, 0, 2],
            },
        ];
        let mut out = vec![0xa5];
        encode_queue_desc_props(&props, &mut out).unwrap();
        assert_eq!(
            hex::encode(&out[1..]),
            concat!(
                "00010008012c0000",
                "0002000803840000",
                "ffff0014000000650000000200000001",
                "0000000200000000"
            )
        );
        assert_eq!(decode_queue_desc_props(&out[1..]).unwrap(), props);
    }

    #[test]
    fn osken_golden_queues() {
        for (name, version) in [
            ("of13/4-36-ofp_queue_get_config_reply.packet", Version::V1_3),
            ("of12/3-36-ofp_queue_get_config_reply.packet", Version::V1_2),
        ] {
            let Some(msg) = osken_packet(name) else {
                continue;
            };
            let list = PacketQueue::decode_list(version, &msg[16..])
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!list.is_empty());
            assert_eq!(enc(&list, version), &msg[16..], "{name}");
        }
        // 1.4 queue-desc reply: each ofp_queue_desc is port, queue id, length, 6 pad bytes, properties.
        if let Some(msg) = osken_packet("of14/5-64-ofp_queue_desc_reply.packet") {
            let mut rest = &msg[16..];
            let mut seen = 0;
            while !rest.is_empty() {
                let len = usize::from(u16::from_be_bytes([rest[8], rest[9]]));
                let props_bytes = &rest[16..len];
                let props = decode_queue_desc_props(props_bytes).unwrap();
                let mut out = Vec::new();
                encode_queue_desc_props(&props, &mut out).unwrap();
                assert_eq!(out, props_bytes);
                seen += props.len();
                rest = &rest[len..];
            }
            assert_eq!(seen, 6);
        }
    }

    proptest! {
        /// Damaged valid queue lists never panic; what decodes re-encodes.
        #[test]
        fn mutated_queues(
            (v, list) in prop_oneof![Just(Version::V1_0), Just(Version::V1_3)]
                .prop_flat_map(|v| (Just(v), proptest::collection::vec(arb_packet_queue(v), 0..4))),
            edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..4),
            cut in proptest::option::of(any::<proptest::sample::Index>()),
        ) {
            let bytes = mutate(enc(&list, v), &edits, cut);
            if let Ok(d) = PacketQueue::decode_list(v, &bytes) {
                prop_assert!(PacketQueue::encode_list(&d, v, &mut Vec::new()).is_ok());
            }
        }
    }

    proptest! {
        #[test]
        fn round_trip(v in prop_oneof![Just(Version::V1_0), Just(Version::V1_1), Just(Version::V1_2), Just(Version::V1_3)]
                      .prop_flat_map(|v| (Just(v), proptest::collection::vec(arb_packet_queue(v), 0..4)))) {
            let (v, list) = v;
            let bytes = enc(&list, v);
            prop_assert_eq!(PacketQueue::decode_list(v, &bytes).unwrap(), list);
        }

        #[test]
        fn desc_props_round_trip(props in proptest::collection::vec(arb_queue_desc_prop(), 0..5)) {
            let mut out = Vec::new();
            encode_queue_desc_props(&props, &mut out).unwrap();
            prop_assert_eq!(out.len() % 8, 0);
            prop_assert_eq!(decode_queue_desc_props(&out).unwrap(), props);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            for v in Version::ALL {
                let _ = PacketQueue::decode_list(v, &bytes);
            }
            let _ = decode_queue_desc_props(&bytes);
        }
    }
}
