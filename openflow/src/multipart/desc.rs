//! Descriptions: group descriptions (1.1+), meter configurations (1.3+)
//! and queue descriptions (1.4).

use super::common::{be16, be32, finish_len16, split_entry};
use crate::error::{DecodeError, EncodeError};
use crate::group::Bucket;
use crate::meter::MeterBand;
use crate::queue::{decode_queue_desc_props, encode_queue_desc_props, QueueDescProp};
use crate::wire::{put_u16, put_u32, put_zeros};
use crate::Version;

/// One group's description (`struct ofp_group_desc`, 1.1–1.4).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupDesc {
    /// `OFPGT_*` group type (all 0, select 1, indirect 2, fast failover 3).
    pub group_type: u8,
    /// Group id.
    pub group_id: u32,
    /// Buckets, in order.
    pub buckets: Vec<Bucket>,
}

impl GroupDesc {
    pub(crate) fn decode(version: Version, input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let (entry, rest) = split_entry(input, 0, 8, "group desc entry")?;
        let group_type = entry[2];
        let group_id = be32(&entry[4..]);
        let buckets = Bucket::decode_list(version, &entry[8..])?;
        Ok((
            GroupDesc {
                group_type,
                group_id,
                buckets,
            },
            rest,
        ))
    }

    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        put_u16(out, 0);
        out.push(self.group_type);
        out.push(0);
        put_u32(out, self.group_id);
        Bucket::encode_list(&self.buckets, version, out)?;
        finish_len16(
            out,
            start,
            0,
            version,
            "group desc entry longer than 65535 bytes",
        )
    }
}

/// One meter's configuration (`struct ofp_meter_config`, 1.3+).
#[derive(Debug, Clone, PartialEq)]
pub struct MeterConfig {
    /// `OFPMF_*` flags.
    pub flags: u16,
    /// Meter id.
    pub meter_id: u32,
    /// Bands, in order.
    pub bands: Vec<MeterBand>,
}

impl MeterConfig {
    pub(crate) fn decode(input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let (entry, rest) = split_entry(input, 0, 8, "meter config entry")?;
        let flags = be16(&entry[2..]);
        let meter_id = be32(&entry[4..]);
        let bands = MeterBand::decode_list(&entry[8..])?;
        Ok((
            MeterConfig {
                flags,
                meter_id,
                bands,
            },
            rest,
        ))
    }

    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        put_u16(out, 0);
        put_u16(out, self.flags);
        put_u32(out, self.meter_id);
        MeterBand::encode_list(&self.bands, out);
        finish_len16(
            out,
            start,
            0,
            version,
            "meter config entry longer than 65535 bytes",
        )
    }
}

/// One queue's description (`struct ofp_queue_desc`, 1.4) with its
/// properties (`ofp_queue_desc_prop_min_rate`, `_max_rate`, experimenter).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct QueueDesc {
    /// Port the queue is attached to.
    pub port_no: u32,
    /// Queue id.
    pub queue_id: u32,
    /// Properties, in wire order.
    pub properties: Vec<QueueDescProp>,
}

impl QueueDesc {
    pub(crate) fn decode(input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let (entry, rest) = split_entry(input, 8, 16, "queue desc entry")?;
        let properties = decode_queue_desc_props(&entry[16..])?;
        Ok((
            QueueDesc {
                port_no: be32(entry),
                queue_id: be32(&entry[4..]),
                properties,
            },
            rest,
        ))
    }

    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        put_u32(out, self.port_no);
        put_u32(out, self.queue_id);
        put_u16(out, 0);
        put_zeros(out, 6);
        encode_queue_desc_props(&self.properties, out)?;
        finish_len16(
            out,
            start,
            8,
            version,
            "queue desc entry longer than 65535 bytes",
        )
    }
}

/// Proptest strategies for descriptions.
#[cfg(any(test, feature = "arbitrary"))]
pub(super) mod strategies {
    use super::*;
    use crate::group::strategies::arb_buckets;
    use crate::meter::strategies::arb_meter_bands;
    use crate::port::strategies::arb_port_desc;
    use crate::port::PortDesc;
    use crate::queue::strategies::arb_queue_desc_prop;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// A group description `version` can carry.
    pub fn group_desc(version: Version) -> impl Strategy<Value = GroupDesc> {
        (0u8..4, any::<u32>(), arb_buckets(version)).prop_map(|(group_type, group_id, buckets)| {
            GroupDesc {
                group_type,
                group_id,
                buckets,
            }
        })
    }

    /// A meter configuration.
    pub fn meter_config() -> impl Strategy<Value = MeterConfig> {
        (any::<u16>(), any::<u32>(), arb_meter_bands()).prop_map(|(flags, meter_id, bands)| {
            MeterConfig {
                flags,
                meter_id,
                bands,
            }
        })
    }

    /// A port description `version` can carry.
    pub fn port_desc(version: Version) -> impl Strategy<Value = PortDesc> {
        arb_port_desc(version)
    }

    /// A queue description.
    pub fn queue_desc() -> impl Strategy<Value = QueueDesc> {
        (any::<[u32; 2]>(), vec(arb_queue_desc_prop(), 0..4)).prop_map(|(w, properties)| {
            QueueDesc {
                port_no: w[0],
                queue_id: w[1],
                properties,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn queue_desc_golden_layout() {
        let q = QueueDesc {
            port_no: 8,
            queue_id: 1,
            properties: vec![
                QueueDescProp::MinRate(300),
                QueueDescProp::MaxRate(900),
                QueueDescProp::Experimenter {
                    experimenter: 101,
                    exp_type: 0,
                    data: vec![],
                },
            ],
        };
        let mut b = vec![0xa5];
        q.encode(Version::V1_4, &mut b).unwrap();
        assert_eq!(
            hex::encode(&b[1..]),
            "00000008000000010030000000000000\
             00010008012c0000\
             0002000803840000\
             ffff000c000000650000000000000000"
        );
        assert_eq!(QueueDesc::decode(&b[1..]).unwrap().0, q);
        let mut bad = b[1..].to_vec();
        bad[19] = 6; // min-rate property too short
        assert_eq!(
            QueueDesc::decode(&bad).unwrap_err().kind,
            ErrorKind::BadPropertyLen
        );
        let mut bad = b[1..].to_vec();
        bad[9] = 15; // entry shorter than its fixed part
        assert_eq!(
            QueueDesc::decode(&bad).unwrap_err(),
            DecodeError::bad_len("queue desc entry")
        );
    }

    #[test]
    fn empty_group_desc_and_meter_config() {
        let g = GroupDesc {
            group_type: 1,
            group_id: 7,
            buckets: vec![],
        };
        let mut b = vec![0xa5];
        g.encode(Version::V1_3, &mut b).unwrap();
        assert_eq!(&b[1..], &[0, 8, 1, 0, 0, 0, 0, 7]);
        assert_eq!(GroupDesc::decode(Version::V1_3, &b[1..]).unwrap().0, g);
        let m = MeterConfig {
            flags: 5,
            meter_id: 9,
            bands: vec![],
        };
        let mut b = vec![0xa5];
        m.encode(Version::V1_3, &mut b).unwrap();
        assert_eq!(&b[1..], &[0, 8, 0, 5, 0, 0, 0, 9]);
        assert_eq!(MeterConfig::decode(&b[1..]).unwrap().0, m);
        assert!(MeterConfig::decode(&[0, 4, 0, 5, 0, 0, 0, 9]).is_err());
    }
}
