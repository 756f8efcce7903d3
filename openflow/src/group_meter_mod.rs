//! `OFPT_GROUP_MOD` (1.1+) and `OFPT_METER_MOD` (1.3+).

use crate::error::DecodeError;
use crate::group::{Bucket, GroupType};
use crate::message::need;
use crate::meter::MeterBand;
use crate::wire::{self, put_u16, put_u32};
use crate::{EncodeError, Version};

/// `OFPT_GROUP_MOD`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupMod {
    /// `OFPGC_ADD` 0, `MODIFY` 1, `DELETE` 2.
    pub command: u16,
    /// Group type (an unknown `OFPGT_*` value is OFPGMFC_BAD_TYPE).
    pub group_type: GroupType,
    /// Group id.
    pub group_id: u32,
    /// Buckets.
    pub buckets: Vec<Bucket>,
}

impl GroupMod {
    /// Decodes the body after the header.
    pub fn decode(version: Version, body: &[u8]) -> Result<GroupMod, DecodeError> {
        let ctx = "group mod";
        let (r, command) = wire::u16(body, ctx)?;
        let (r, group_type) = wire::u8(r, ctx)?;
        let group_type = GroupType::from_wire(group_type)?;
        let r = wire::skip(r, 1, ctx)?;
        let (r, group_id) = wire::u32(r, ctx)?;
        let buckets = Bucket::decode_list(version, r)?;
        Ok(GroupMod {
            command,
            group_type,
            group_id,
            buckets,
        })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        need(version >= Version::V1_1, version, "group-mod")?;
        put_u16(out, self.command);
        out.push(self.group_type.wire());
        out.push(0);
        put_u32(out, self.group_id);
        Bucket::encode_list(&self.buckets, version, out)
    }
}

/// `OFPT_METER_MOD`.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterMod {
    /// `OFPMC_ADD` 0, `MODIFY` 1, `DELETE` 2.
    pub command: u16,
    /// `OFPMF_*` flags.
    pub flags: u16,
    /// Meter id.
    pub meter_id: u32,
    /// Bands.
    pub bands: Vec<MeterBand>,
}

impl MeterMod {
    /// Decodes the body after the header.
    pub fn decode(body: &[u8]) -> Result<MeterMod, DecodeError> {
        let ctx = "meter mod";
        let (r, command) = wire::u16(body, ctx)?;
        let (r, flags) = wire::u16(r, ctx)?;
        let (r, meter_id) = wire::u32(r, ctx)?;
        let bands = MeterBand::decode_list(r)?;
        Ok(MeterMod {
            command,
            flags,
            meter_id,
            bands,
        })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        need(version >= Version::V1_3, version, "meter-mod")?;
        put_u16(out, self.command);
        put_u16(out, self.flags);
        put_u32(out, self.meter_id);
        MeterBand::encode_list(&self.bands, out);
        Ok(())
    }
}
