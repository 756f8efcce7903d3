//! Multipart (1.0: "stats") requests and replies of every version.
//!
//! [`MultipartRequest`] and [`MultipartReply`] are the version-independent
//! bodies of `OFPT_MULTIPART_REQUEST`/`OFPT_MULTIPART_REPLY` (1.0:
//! `OFPT_STATS_REQUEST`/`OFPT_STATS_REPLY`). Their `decode`/`encode` take
//! the message bytes after the 8-byte `ofp_header`: the multipart type,
//! flags, the 4-byte pad of 1.1+ (`struct ofp_multipart_request`) and the
//! body of that type.
//!
//! Type numbers are those of the spec of each version; a type a version does
//! not define decodes as [`ErrorKind::BadMultipart`] and fails to encode.
//! Every length inside a body is bounded by its enclosing object; decoding
//! never panics and never allocates by an unchecked length.
//!
//! A switch answers a request with one or more replies:
//! [`MultipartReply::split`] cuts a long list of entries into messages that
//! each fit a size limit, with `OFPMPF_REPLY_MORE` on all but the last.

mod common;
mod desc;
mod features;
mod flow;
mod stats;

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod interop_tests;
#[cfg(any(test, feature = "arbitrary"))]
mod strategies;

pub use common::{ExperimenterProp, PROP_EXPERIMENTER};
pub use desc::{GroupDesc, MeterConfig, QueueDesc};
pub use features::{
    ActionId, InstructionId, TableDesc, TableFeatureProp, TableFeatures, TableVacancy,
};
pub use flow::{
    encode_instructions, FlowMonitorRequest, FlowStats, FlowStatsEntry, FlowStatsHead,
    FlowStatsRequest, FlowUpdate, FlowUpdateFull, OFPFME_ABBREV, OFPFME_ADDED, OFPFME_INITIAL,
    OFPFME_MODIFIED, OFPFME_PAUSED, OFPFME_REMOVED, OFPFME_RESUMED, OFPTT_ALL,
};
pub use stats::{
    AggregateStats, BucketCounter, CustomCounter, GroupFeatures, GroupStats, IntelRfc2819Stats,
    MeterBandStats, MeterFeatures, MeterStats, PortStats, PortStatsEthernet, PortStatsExperimenter,
    PortStatsOptical, PortStatsRequest, QueueStats, QueueStatsRequest, SwitchDesc, TableStats,
    DESC_STR_LEN, INTEL_PORT_STATS_CUSTOM, INTEL_PORT_STATS_RFC2819, INTEL_VENDOR_ID,
    MAX_TABLE_NAME_LEN, SERIAL_NUM_LEN,
};
#[cfg(any(test, feature = "arbitrary"))]
pub use strategies::{arb_multipart_reply, arb_multipart_request};

use crate::error::{DecodeError, EncodeError, ErrorKind};
use crate::port::PortDesc;
use crate::wire::{self, put_u16, put_u32, put_zeros};
use crate::Version;
use common::{expect_end, port_in, put_port};

/// `OFPMPF_REQ_MORE` (1.0 has no request flags): more requests follow.
pub const OFPMPF_REQ_MORE: u16 = 1;
/// `OFPMPF_REPLY_MORE` (1.0 `OFPSF_REPLY_MORE`): more replies follow.
pub const OFPMPF_REPLY_MORE: u16 = 1;

/// `OFPMP_DESC` (1.0 `OFPST_DESC`).
pub const OFPMP_DESC: u16 = 0;
/// `OFPMP_FLOW`.
pub const OFPMP_FLOW: u16 = 1;
/// `OFPMP_AGGREGATE`.
pub const OFPMP_AGGREGATE: u16 = 2;
/// `OFPMP_TABLE`.
pub const OFPMP_TABLE: u16 = 3;
/// `OFPMP_PORT_STATS` (1.0 `OFPST_PORT`).
pub const OFPMP_PORT_STATS: u16 = 4;
/// `OFPMP_QUEUE`.
pub const OFPMP_QUEUE: u16 = 5;
/// `OFPMP_GROUP` (1.1+).
pub const OFPMP_GROUP: u16 = 6;
/// `OFPMP_GROUP_DESC` (1.1+).
pub const OFPMP_GROUP_DESC: u16 = 7;
/// `OFPMP_GROUP_FEATURES` (1.2+).
pub const OFPMP_GROUP_FEATURES: u16 = 8;
/// `OFPMP_METER` (1.3+).
pub const OFPMP_METER: u16 = 9;
/// `OFPMP_METER_CONFIG` (1.3+).
pub const OFPMP_METER_CONFIG: u16 = 10;
/// `OFPMP_METER_FEATURES` (1.3+).
pub const OFPMP_METER_FEATURES: u16 = 11;
/// `OFPMP_TABLE_FEATURES` (1.3+).
pub const OFPMP_TABLE_FEATURES: u16 = 12;
/// `OFPMP_PORT_DESC` (1.3+; Open vSwitch also accepts it in 1.0–1.2).
pub const OFPMP_PORT_DESC: u16 = 13;
/// `OFPMP_TABLE_DESC` (1.4).
pub const OFPMP_TABLE_DESC: u16 = 14;
/// `OFPMP_QUEUE_DESC` (1.4).
pub const OFPMP_QUEUE_DESC: u16 = 15;
/// `OFPMP_FLOW_MONITOR` (1.4).
pub const OFPMP_FLOW_MONITOR: u16 = 16;
/// `OFPMP_EXPERIMENTER` (1.0 `OFPST_VENDOR`).
pub const OFPMP_EXPERIMENTER: u16 = 0xffff;

/// The first version that defines multipart type `mp_type`, if any.
pub fn min_version(mp_type: u16) -> Option<Version> {
    Some(match mp_type {
        // Port descriptions as a stats type are an Open vSwitch extension
        // before 1.3 (`ovs-ofctl dump-ports-desc` speaks 1.0 by default).
        OFPMP_DESC..=OFPMP_QUEUE | OFPMP_PORT_DESC | OFPMP_EXPERIMENTER => Version::V1_0,
        OFPMP_GROUP | OFPMP_GROUP_DESC => Version::V1_1,
        OFPMP_GROUP_FEATURES => Version::V1_2,
        OFPMP_METER..=OFPMP_TABLE_FEATURES => Version::V1_3,
        OFPMP_TABLE_DESC..=OFPMP_FLOW_MONITOR => Version::V1_4,
        _ => return None,
    })
}

/// Checks that `version` defines `mp_type`.
fn check_type(version: Version, mp_type: u16) -> Result<(), DecodeError> {
    match min_version(mp_type) {
        Some(v) if v <= version => Ok(()),
        _ => Err(DecodeError::new(ErrorKind::BadMultipart, "multipart type")),
    }
}

/// Name of a multipart type, for error messages.
fn type_name(mp_type: u16) -> &'static str {
    match mp_type {
        OFPMP_DESC => "desc multipart",
        OFPMP_FLOW => "flow stats multipart",
        OFPMP_AGGREGATE => "aggregate stats multipart",
        OFPMP_TABLE => "table stats multipart",
        OFPMP_PORT_STATS => "port stats multipart",
        OFPMP_QUEUE => "queue stats multipart",
        OFPMP_GROUP => "group stats multipart",
        OFPMP_GROUP_DESC => "group desc multipart",
        OFPMP_GROUP_FEATURES => "group features multipart",
        OFPMP_METER => "meter stats multipart",
        OFPMP_METER_CONFIG => "meter config multipart",
        OFPMP_METER_FEATURES => "meter features multipart",
        OFPMP_TABLE_FEATURES => "table features multipart",
        OFPMP_PORT_DESC => "port desc multipart",
        OFPMP_TABLE_DESC => "table desc multipart",
        OFPMP_QUEUE_DESC => "queue desc multipart",
        OFPMP_FLOW_MONITOR => "flow monitor multipart",
        _ => "experimenter multipart",
    }
}

/// Fails to encode `mp_type` in a version that does not define it.
fn check_encode(version: Version, mp_type: u16) -> Result<(), EncodeError> {
    match min_version(mp_type) {
        Some(v) if v <= version => Ok(()),
        _ => Err(EncodeError::unsupported(version, type_name(mp_type))),
    }
}

/// An experimenter multipart body of 1.1+ (`struct
/// ofp_experimenter_multipart_header` then opaque data).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExperimenterMultipart {
    /// Experimenter id.
    pub experimenter: u32,
    /// Experimenter-defined type.
    pub exp_type: u32,
    /// Experimenter-defined data, re-encoded exactly.
    pub data: Vec<u8>,
}

impl ExperimenterMultipart {
    fn decode(input: &[u8]) -> Result<Self, DecodeError> {
        let ctx = "experimenter multipart";
        let (i, experimenter) = wire::u32(input, ctx)?;
        let (i, exp_type) = wire::u32(i, ctx)?;
        Ok(ExperimenterMultipart {
            experimenter,
            exp_type,
            data: i.to_vec(),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.experimenter);
        put_u32(out, self.exp_type);
        out.extend_from_slice(&self.data);
    }
}

/// A vendor stats body of OpenFlow 1.0 (`OFPST_VENDOR`: vendor id then
/// opaque data).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VendorStats {
    /// Vendor id.
    pub vendor: u32,
    /// Vendor-defined data, re-encoded exactly.
    pub data: Vec<u8>,
}

impl VendorStats {
    fn decode(input: &[u8]) -> Result<Self, DecodeError> {
        let (i, vendor) = wire::u32(input, "vendor stats")?;
        Ok(VendorStats {
            vendor,
            data: i.to_vec(),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.vendor);
        out.extend_from_slice(&self.data);
    }
}

/// Group stats request body (`struct ofp_group_stats_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupStatsRequest {
    /// Group, or `OFPG_ALL` (0xfffffffc) for all groups.
    pub group_id: u32,
}

/// Meter stats or meter config request body (`struct
/// ofp_meter_multipart_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MeterRequest {
    /// Meter, or `OFPM_ALL` (0xffffffff) for all meters.
    pub meter_id: u32,
}

/// The body of a multipart request, by type.
#[derive(Debug, Clone, PartialEq)]
pub enum MultipartRequestBody {
    /// `OFPMP_DESC`: switch description (no body).
    Desc,
    /// `OFPMP_FLOW`: individual flow statistics.
    Flow(FlowStatsRequest),
    /// `OFPMP_AGGREGATE`: aggregate flow statistics (same body as flow).
    Aggregate(FlowStatsRequest),
    /// `OFPMP_TABLE`: table statistics (no body).
    Table,
    /// `OFPMP_PORT_STATS`: port statistics.
    PortStats(PortStatsRequest),
    /// `OFPMP_QUEUE`: queue statistics.
    Queue(QueueStatsRequest),
    /// `OFPMP_GROUP`: group statistics (1.1+).
    Group(GroupStatsRequest),
    /// `OFPMP_GROUP_DESC`: group descriptions (1.1+, no body).
    GroupDesc,
    /// `OFPMP_GROUP_FEATURES`: group features (1.2+, no body).
    GroupFeatures,
    /// `OFPMP_METER`: meter statistics (1.3+).
    Meter(MeterRequest),
    /// `OFPMP_METER_CONFIG`: meter configuration (1.3+).
    MeterConfig(MeterRequest),
    /// `OFPMP_METER_FEATURES`: meter features (1.3+, no body).
    MeterFeatures,
    /// `OFPMP_TABLE_FEATURES` (1.3+): empty to query, or the tables to set.
    TableFeatures(Vec<TableFeatures>),
    /// `OFPMP_PORT_DESC`: port descriptions (no body; 1.3+, and 1.0–1.2 as
    /// Open vSwitch's extension).
    PortDesc,
    /// `OFPMP_TABLE_DESC`: table descriptions (1.4, no body).
    TableDesc,
    /// `OFPMP_QUEUE_DESC`: queue descriptions (1.4; `struct
    /// ofp_queue_desc_request` has the same fields as the queue stats request).
    QueueDesc(QueueStatsRequest),
    /// `OFPMP_FLOW_MONITOR`: flow monitor requests (1.4).
    FlowMonitor(Vec<FlowMonitorRequest>),
    /// `OFPMP_EXPERIMENTER` (1.1+).
    Experimenter(ExperimenterMultipart),
    /// `OFPST_VENDOR` (1.0).
    Vendor(VendorStats),
}

impl MultipartRequestBody {
    /// The multipart type number of this body.
    pub fn mp_type(&self) -> u16 {
        use MultipartRequestBody as B;
        match self {
            B::Desc => OFPMP_DESC,
            B::Flow(_) => OFPMP_FLOW,
            B::Aggregate(_) => OFPMP_AGGREGATE,
            B::Table => OFPMP_TABLE,
            B::PortStats(_) => OFPMP_PORT_STATS,
            B::Queue(_) => OFPMP_QUEUE,
            B::Group(_) => OFPMP_GROUP,
            B::GroupDesc => OFPMP_GROUP_DESC,
            B::GroupFeatures => OFPMP_GROUP_FEATURES,
            B::Meter(_) => OFPMP_METER,
            B::MeterConfig(_) => OFPMP_METER_CONFIG,
            B::MeterFeatures => OFPMP_METER_FEATURES,
            B::TableFeatures(_) => OFPMP_TABLE_FEATURES,
            B::PortDesc => OFPMP_PORT_DESC,
            B::TableDesc => OFPMP_TABLE_DESC,
            B::QueueDesc(_) => OFPMP_QUEUE_DESC,
            B::FlowMonitor(_) => OFPMP_FLOW_MONITOR,
            B::Experimenter(_) | B::Vendor(_) => OFPMP_EXPERIMENTER,
        }
    }
}

/// The body of a multipart reply, by type.
#[derive(Debug, Clone, PartialEq)]
pub enum MultipartReplyBody {
    /// `OFPMP_DESC`.
    Desc(SwitchDesc),
    /// `OFPMP_FLOW`.
    Flow(Vec<FlowStats>),
    /// `OFPMP_AGGREGATE`.
    Aggregate(AggregateStats),
    /// `OFPMP_TABLE`.
    Table(Vec<TableStats>),
    /// `OFPMP_PORT_STATS`.
    PortStats(Vec<PortStats>),
    /// `OFPMP_QUEUE`.
    Queue(Vec<QueueStats>),
    /// `OFPMP_GROUP` (1.1+).
    Group(Vec<GroupStats>),
    /// `OFPMP_GROUP_DESC` (1.1+).
    GroupDesc(Vec<GroupDesc>),
    /// `OFPMP_GROUP_FEATURES` (1.2+).
    GroupFeatures(GroupFeatures),
    /// `OFPMP_METER` (1.3+).
    Meter(Vec<MeterStats>),
    /// `OFPMP_METER_CONFIG` (1.3+).
    MeterConfig(Vec<MeterConfig>),
    /// `OFPMP_METER_FEATURES` (1.3+).
    MeterFeatures(MeterFeatures),
    /// `OFPMP_TABLE_FEATURES` (1.3+).
    TableFeatures(Vec<TableFeatures>),
    /// `OFPMP_PORT_DESC` (1.3+, and 1.0–1.2 as Open vSwitch's extension).
    PortDesc(Vec<PortDesc>),
    /// `OFPMP_TABLE_DESC` (1.4).
    TableDesc(Vec<TableDesc>),
    /// `OFPMP_QUEUE_DESC` (1.4).
    QueueDesc(Vec<QueueDesc>),
    /// `OFPMP_FLOW_MONITOR` (1.4): flow update events.
    FlowMonitor(Vec<FlowUpdate>),
    /// `OFPMP_EXPERIMENTER` (1.1+).
    Experimenter(ExperimenterMultipart),
    /// `OFPST_VENDOR` (1.0).
    Vendor(VendorStats),
}

impl MultipartReplyBody {
    /// The multipart type number of this body.
    pub fn mp_type(&self) -> u16 {
        use MultipartReplyBody as B;
        match self {
            B::Desc(_) => OFPMP_DESC,
            B::Flow(_) => OFPMP_FLOW,
            B::Aggregate(_) => OFPMP_AGGREGATE,
            B::Table(_) => OFPMP_TABLE,
            B::PortStats(_) => OFPMP_PORT_STATS,
            B::Queue(_) => OFPMP_QUEUE,
            B::Group(_) => OFPMP_GROUP,
            B::GroupDesc(_) => OFPMP_GROUP_DESC,
            B::GroupFeatures(_) => OFPMP_GROUP_FEATURES,
            B::Meter(_) => OFPMP_METER,
            B::MeterConfig(_) => OFPMP_METER_CONFIG,
            B::MeterFeatures(_) => OFPMP_METER_FEATURES,
            B::TableFeatures(_) => OFPMP_TABLE_FEATURES,
            B::PortDesc(_) => OFPMP_PORT_DESC,
            B::TableDesc(_) => OFPMP_TABLE_DESC,
            B::QueueDesc(_) => OFPMP_QUEUE_DESC,
            B::FlowMonitor(_) => OFPMP_FLOW_MONITOR,
            B::Experimenter(_) | B::Vendor(_) => OFPMP_EXPERIMENTER,
        }
    }
}

/// A multipart (stats) request: flags and body.
#[derive(Debug, Clone, PartialEq)]
pub struct MultipartRequest {
    /// `OFPMPF_REQ_*` flags (always 0 in 1.0).
    pub flags: u16,
    /// The request body.
    pub body: MultipartRequestBody,
}

/// A multipart (stats) reply: flags and body.
#[derive(Debug, Clone, PartialEq)]
pub struct MultipartReply {
    /// `OFPMPF_REPLY_*` flags.
    pub flags: u16,
    /// The reply body.
    pub body: MultipartReplyBody,
}

/// Length of the multipart header after `ofp_header` (type, flags, and the
/// 4-byte pad of 1.1+).
fn mp_header_len(version: Version) -> usize {
    if version == Version::V1_0 {
        4
    } else {
        8
    }
}

/// Reads (type, flags, body) from the bytes after `ofp_header`.
fn decode_header(version: Version, msg_body: &[u8]) -> Result<(u16, u16, &[u8]), DecodeError> {
    let ctx = "multipart header";
    let (i, mp_type) = wire::u16(msg_body, ctx)?;
    let (i, flags) = wire::u16(i, ctx)?;
    let i = if version == Version::V1_0 {
        i
    } else {
        wire::skip(i, 4, ctx)?
    };
    check_type(version, mp_type)?;
    Ok((mp_type, flags, i))
}

fn encode_header(
    version: Version,
    mp_type: u16,
    flags: u16,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    check_encode(version, mp_type)?;
    put_u16(out, mp_type);
    put_u16(out, flags);
    if version != Version::V1_0 {
        put_zeros(out, 4);
    }
    Ok(())
}

/// Reads a u32 id followed by 4 bytes of padding, filling the body.
fn id_pad4(input: &[u8], ctx: &'static str) -> Result<u32, DecodeError> {
    let (i, id) = wire::u32(input, ctx)?;
    let i = wire::skip(i, 4, ctx)?;
    expect_end(i, ctx)?;
    Ok(id)
}

/// Vendor stats exist only in OpenFlow 1.0, experimenter multiparts only
/// after it: refuses a body of the wrong kind for `version`.
fn check_extension_body(
    version: Version,
    vendor: bool,
    experimenter: bool,
) -> Result<(), EncodeError> {
    if vendor && version != Version::V1_0 {
        return Err(EncodeError::unsupported(
            version,
            "vendor stats after OpenFlow 1.0",
        ));
    }
    if experimenter && version == Version::V1_0 {
        return Err(EncodeError::unsupported(version, "experimenter multipart"));
    }
    Ok(())
}

impl MultipartRequest {
    /// Decodes a request from `msg_body`, the message bytes after the 8-byte
    /// `ofp_header` (multipart type, flags, pad in 1.1+, body).
    pub fn decode(version: Version, msg_body: &[u8]) -> Result<MultipartRequest, DecodeError> {
        use MultipartRequestBody as B;
        let (mp_type, flags, i) = decode_header(version, msg_body)?;
        let empty = |ctx| expect_end(i, ctx);
        let body = match mp_type {
            OFPMP_DESC => empty("desc request").map(|_| B::Desc)?,
            OFPMP_FLOW => B::Flow(FlowStatsRequest::decode(version, i)?),
            OFPMP_AGGREGATE => B::Aggregate(FlowStatsRequest::decode(version, i)?),
            OFPMP_TABLE => empty("table stats request").map(|_| B::Table)?,
            OFPMP_PORT_STATS => {
                let ctx = "port stats request";
                let (j, port_no) = port_in(version, i, ctx)?;
                let j = wire::skip(j, if version == Version::V1_0 { 6 } else { 4 }, ctx)?;
                expect_end(j, ctx)?;
                B::PortStats(PortStatsRequest { port_no })
            }
            OFPMP_QUEUE => B::Queue(QueueStatsRequest::decode(version, i)?),
            OFPMP_GROUP => B::Group(GroupStatsRequest {
                group_id: id_pad4(i, "group stats request")?,
            }),
            OFPMP_GROUP_DESC => empty("group desc request").map(|_| B::GroupDesc)?,
            OFPMP_GROUP_FEATURES => empty("group features request").map(|_| B::GroupFeatures)?,
            OFPMP_METER => B::Meter(MeterRequest {
                meter_id: id_pad4(i, "meter stats request")?,
            }),
            OFPMP_METER_CONFIG => B::MeterConfig(MeterRequest {
                meter_id: id_pad4(i, "meter config request")?,
            }),
            OFPMP_METER_FEATURES => empty("meter features request").map(|_| B::MeterFeatures)?,
            OFPMP_TABLE_FEATURES => B::TableFeatures(common::decode_list(
                i,
                "table features entry",
                TableFeatures::decode,
            )?),
            OFPMP_PORT_DESC => empty("port desc request").map(|_| B::PortDesc)?,
            OFPMP_TABLE_DESC => empty("table desc request").map(|_| B::TableDesc)?,
            OFPMP_QUEUE_DESC => {
                let ctx = "queue desc request";
                let (j, port_no) = wire::u32(i, ctx)?;
                let (j, queue_id) = wire::u32(j, ctx)?;
                expect_end(j, ctx)?;
                B::QueueDesc(QueueStatsRequest { port_no, queue_id })
            }
            OFPMP_FLOW_MONITOR => B::FlowMonitor(common::decode_list(
                i,
                "flow monitor request",
                FlowMonitorRequest::decode,
            )?),
            _ if version == Version::V1_0 => B::Vendor(VendorStats::decode(i)?),
            _ => B::Experimenter(ExperimenterMultipart::decode(i)?),
        };
        Ok(MultipartRequest { flags, body })
    }

    /// Appends the encoded request (the bytes after `ofp_header`).
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use MultipartRequestBody as B;
        check_extension_body(
            version,
            matches!(self.body, B::Vendor(_)),
            matches!(self.body, B::Experimenter(_)),
        )?;
        encode_header(version, self.body.mp_type(), self.flags, out)?;
        match &self.body {
            B::Desc
            | B::Table
            | B::GroupDesc
            | B::GroupFeatures
            | B::MeterFeatures
            | B::PortDesc
            | B::TableDesc => {}
            B::Flow(r) | B::Aggregate(r) => r.encode(version, out)?,
            B::PortStats(r) => {
                put_port(out, version, r.port_no)?;
                put_zeros(out, if version == Version::V1_0 { 6 } else { 4 });
            }
            B::Queue(r) => r.encode(version, out)?,
            B::Group(r) => {
                put_u32(out, r.group_id);
                put_zeros(out, 4);
            }
            B::Meter(r) | B::MeterConfig(r) => {
                put_u32(out, r.meter_id);
                put_zeros(out, 4);
            }
            B::TableFeatures(list) => {
                for t in list {
                    t.encode(version, out)?;
                }
            }
            B::QueueDesc(r) => {
                put_u32(out, r.port_no);
                put_u32(out, r.queue_id);
            }
            B::FlowMonitor(list) => {
                for m in list {
                    m.encode(version, out)?;
                }
            }
            B::Experimenter(e) => e.encode(out),
            B::Vendor(v) => v.encode(out),
        }
        Ok(())
    }
}

/// An entry of a list body: decodes and encodes itself in a version.
trait Entry: Sized {
    /// Decodes one entry; returns it and the rest.
    fn decode_entry(version: Version, input: &[u8]) -> Result<(Self, &[u8]), DecodeError>;
    /// Appends the encoded entry.
    fn encode_entry(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError>;
}

macro_rules! entry_with_version {
    ($($t:ty),*) => {$(
        impl Entry for $t {
            fn decode_entry(version: Version, input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
                <$t>::decode(version, input)
            }
            fn encode_entry(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
                self.encode(version, out)
            }
        }
    )*};
}

macro_rules! entry_without_version {
    ($($t:ty),*) => {$(
        impl Entry for $t {
            fn decode_entry(_version: Version, input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
                <$t>::decode(input)
            }
            fn encode_entry(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
                self.encode(version, out)
            }
        }
    )*};
}

entry_with_version!(
    FlowStats, TableStats, PortStats, QueueStats, GroupStats, GroupDesc, PortDesc, FlowUpdate
);
entry_without_version!(MeterStats, MeterConfig, TableFeatures, TableDesc, QueueDesc);

fn decode_entries<T: Entry>(
    version: Version,
    input: &[u8],
    ctx: &'static str,
) -> Result<Vec<T>, DecodeError> {
    common::decode_list(input, ctx, |i| T::decode_entry(version, i))
}

fn encode_entries<T: Entry>(
    version: Version,
    list: &[T],
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    list.iter().try_for_each(|e| e.encode_entry(version, out))
}

/// Cuts `items` into consecutive chunks whose encoded sizes sum to at most
/// `budget` bytes; an entry larger than `budget` goes alone. Always returns
/// at least one (possibly empty) chunk.
fn chunk<T: Entry>(version: Version, items: Vec<T>, budget: usize) -> Vec<Vec<T>> {
    let mut chunks = Vec::new();
    let mut current = Vec::new();
    let mut used = 0usize;
    let mut scratch = Vec::new();
    for item in items {
        scratch.clear();
        // An entry that cannot be encoded makes the whole reply fail to
        // encode later; its partial size is as good as any here.
        let _ = item.encode_entry(version, &mut scratch);
        let size = scratch.len();
        if !current.is_empty() && used.saturating_add(size) > budget {
            chunks.push(std::mem::take(&mut current));
            used = 0;
        }
        used = used.saturating_add(size);
        current.push(item);
    }
    if !current.is_empty() || chunks.is_empty() {
        chunks.push(current);
    }
    chunks
}

impl MultipartReply {
    /// Decodes a reply from `msg_body`, the message bytes after the 8-byte
    /// `ofp_header` (multipart type, flags, pad in 1.1+, body).
    pub fn decode(version: Version, msg_body: &[u8]) -> Result<MultipartReply, DecodeError> {
        use MultipartReplyBody as B;
        let (mp_type, flags, i) = decode_header(version, msg_body)?;
        let body = match mp_type {
            OFPMP_DESC => B::Desc(SwitchDesc::decode(i)?),
            OFPMP_FLOW => B::Flow(decode_entries(version, i, "flow stats entry")?),
            OFPMP_AGGREGATE => B::Aggregate(AggregateStats::decode(i)?),
            OFPMP_TABLE => B::Table(decode_entries(version, i, "table stats entry")?),
            OFPMP_PORT_STATS => B::PortStats(decode_entries(version, i, "port stats entry")?),
            OFPMP_QUEUE => B::Queue(decode_entries(version, i, "queue stats entry")?),
            OFPMP_GROUP => B::Group(decode_entries(version, i, "group stats entry")?),
            OFPMP_GROUP_DESC => B::GroupDesc(decode_entries(version, i, "group desc entry")?),
            OFPMP_GROUP_FEATURES => B::GroupFeatures(GroupFeatures::decode(i)?),
            OFPMP_METER => B::Meter(decode_entries(version, i, "meter stats entry")?),
            OFPMP_METER_CONFIG => B::MeterConfig(decode_entries(version, i, "meter config entry")?),
            OFPMP_METER_FEATURES => B::MeterFeatures(MeterFeatures::decode(i)?),
            OFPMP_TABLE_FEATURES => {
                B::TableFeatures(decode_entries(version, i, "table features entry")?)
            }
            OFPMP_PORT_DESC => B::PortDesc(decode_entries(version, i, "port desc entry")?),
            OFPMP_TABLE_DESC => B::TableDesc(decode_entries(version, i, "table desc entry")?),
            OFPMP_QUEUE_DESC => B::QueueDesc(decode_entries(version, i, "queue desc entry")?),
            OFPMP_FLOW_MONITOR => B::FlowMonitor(decode_entries(version, i, "flow update")?),
            _ if version == Version::V1_0 => B::Vendor(VendorStats::decode(i)?),
            _ => B::Experimenter(ExperimenterMultipart::decode(i)?),
        };
        Ok(MultipartReply { flags, body })
    }

    /// Appends the encoded reply (the bytes after `ofp_header`).
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use MultipartReplyBody as B;
        check_extension_body(
            version,
            matches!(self.body, B::Vendor(_)),
            matches!(self.body, B::Experimenter(_)),
        )?;
        encode_header(version, self.body.mp_type(), self.flags, out)?;
        match &self.body {
            B::Desc(d) => d.encode(out),
            B::Flow(l) => encode_entries(version, l, out)?,
            B::Aggregate(a) => a.encode(out),
            B::Table(l) => encode_entries(version, l, out)?,
            B::PortStats(l) => encode_entries(version, l, out)?,
            B::Queue(l) => encode_entries(version, l, out)?,
            B::Group(l) => encode_entries(version, l, out)?,
            B::GroupDesc(l) => encode_entries(version, l, out)?,
            B::GroupFeatures(f) => f.encode(out),
            B::Meter(l) => encode_entries(version, l, out)?,
            B::MeterConfig(l) => encode_entries(version, l, out)?,
            B::MeterFeatures(f) => f.encode(out),
            B::TableFeatures(l) => encode_entries(version, l, out)?,
            B::PortDesc(l) => encode_entries(version, l, out)?,
            B::TableDesc(l) => encode_entries(version, l, out)?,
            B::QueueDesc(l) => encode_entries(version, l, out)?,
            B::FlowMonitor(l) => encode_entries(version, l, out)?,
            B::Experimenter(e) => e.encode(out),
            B::Vendor(v) => v.encode(out),
        }
        Ok(())
    }

    /// Splits a reply into messages that each encode to at most `max_len`
    /// bytes including the 8-byte `ofp_header`, keeping entry order.
    /// `OFPMPF_REPLY_MORE` is set on all but the last; the last keeps
    /// `self.flags`. A single entry larger than the limit goes alone in its
    /// message; bodies that are not lists are returned unchanged.
    pub fn split(self, version: Version, max_len: usize) -> Vec<MultipartReply> {
        use MultipartReplyBody as B;
        let budget = max_len.saturating_sub(8 + mp_header_len(version));
        macro_rules! cut {
            ($variant:ident, $list:expr) => {
                chunk(version, $list, budget)
                    .into_iter()
                    .map(B::$variant)
                    .collect::<Vec<_>>()
            };
        }
        let bodies = match self.body {
            B::Flow(l) => cut!(Flow, l),
            B::Table(l) => cut!(Table, l),
            B::PortStats(l) => cut!(PortStats, l),
            B::Queue(l) => cut!(Queue, l),
            B::Group(l) => cut!(Group, l),
            B::GroupDesc(l) => cut!(GroupDesc, l),
            B::Meter(l) => cut!(Meter, l),
            B::MeterConfig(l) => cut!(MeterConfig, l),
            B::TableFeatures(l) => cut!(TableFeatures, l),
            B::PortDesc(l) => cut!(PortDesc, l),
            B::TableDesc(l) => cut!(TableDesc, l),
            B::QueueDesc(l) => cut!(QueueDesc, l),
            B::FlowMonitor(l) => cut!(FlowMonitor, l),
            body => vec![body],
        };
        let last = bodies.len() - 1;
        bodies
            .into_iter()
            .enumerate()
            .map(|(k, body)| MultipartReply {
                flags: if k == last {
                    self.flags
                } else {
                    self.flags | OFPMPF_REPLY_MORE
                },
                body,
            })
            .collect()
    }
}

/// Counts the entries of one flow-stats reply message without decoding
/// them (a peer that only counts a dump of a million flows): `msg_body` is
/// the message after its 8-byte header. Every entry must be at least as
/// long as the fixed part of `struct ofp_flow_stats`, and the entries must
/// fill the body exactly. Returns the reply's flags and the count.
pub fn count_flow_stats(version: Version, msg_body: &[u8]) -> Result<(u16, usize), DecodeError> {
    let (mp_type, flags, mut body) = decode_header(version, msg_body)?;
    if mp_type != OFPMP_FLOW {
        return Err(DecodeError::new(
            ErrorKind::BadMultipart,
            "not a flow stats reply",
        ));
    }
    let min = FlowStats::min_len(version);
    let mut count = 0;
    while !body.is_empty() {
        body = common::split_entry(body, 0, min, "flow stats entry")?.1;
        count += 1;
    }
    Ok((flags, count))
}

/// Writes a list reply of one multipart type straight into a byte buffer,
/// entry by entry, as whole messages of at most `max_len` bytes: what
/// [`MultipartReply::split`] and [`crate::Message::encode_into`] give for
/// the same entries, for replies too large to build as a list first (a
/// flow dump of a million rules). `OFPMPF_REPLY_MORE` is set on all but
/// the last message; [`ReplyWriter::finish`] ends the last one.
///
/// The writer does not hold the buffer: every call takes it, and it must
/// be the same buffer each time. The messages it has closed (before
/// [`ReplyWriter::closed`]) may be sent and taken out of the buffer
/// ([`ReplyWriter::drain_closed`]) while the reply is still being
/// written, so that a reply of any size goes out through a small buffer.
pub struct ReplyWriter {
    version: Version,
    xid: u32,
    mp_type: u16,
    max_len: usize,
    /// Where the message being written starts in the buffer.
    msg: usize,
    /// Entries in that message.
    entries: usize,
    /// An entry moving to the next message.
    moved: Vec<u8>,
}

impl ReplyWriter {
    /// Starts a reply of type `mp_type` (an `OFPMP_*` list type) to the
    /// request `xid`, appended to `out`; `max_len` is at most 65535.
    pub fn new(
        out: &mut Vec<u8>,
        version: Version,
        xid: u32,
        mp_type: u16,
        max_len: usize,
    ) -> Result<ReplyWriter, EncodeError> {
        check_encode(version, mp_type)?;
        let mut w = ReplyWriter {
            msg: out.len(),
            version,
            xid,
            mp_type,
            max_len: max_len.min(usize::from(u16::MAX)),
            entries: 0,
            moved: Vec::new(),
        };
        w.start(out);
        Ok(w)
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        self.msg = out.len();
        self.entries = 0;
        crate::Header {
            version: self.version.wire(),
            msg_type: crate::MsgType::MultipartReply
                .wire(self.version)
                .expect("every version has a multipart reply"),
            length: 0,
            xid: self.xid,
        }
        .emit(out);
        // `new` checked that this version has this type.
        let _ = encode_header(self.version, self.mp_type, 0, out);
    }

    /// Sets the length (and `OFPMPF_REPLY_MORE` unless `last`) of the
    /// message being written.
    fn close(&mut self, out: &mut [u8], last: bool) {
        let len = (out.len() - self.msg) as u16;
        out[self.msg + 2..self.msg + 4].copy_from_slice(&len.to_be_bytes());
        if !last {
            let flags = self.msg + 8 + 2;
            out[flags..flags + 2].copy_from_slice(&OFPMPF_REPLY_MORE.to_be_bytes());
        }
    }

    /// Appends one entry, which `encode` writes to the end of `out`; a full
    /// message is closed first. On error (from `encode`, or an entry that
    /// does not fit a message on its own) nothing of the entry is kept and
    /// the reply goes on without it.
    pub fn entry(
        &mut self,
        out: &mut Vec<u8>,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        let start = out.len();
        if let Err(e) = encode(out) {
            out.truncate(start);
            return Err(e);
        }
        if out.len() - self.msg > self.max_len && self.entries > 0 {
            self.moved.clear();
            self.moved.extend_from_slice(&out[start..]);
            out.truncate(start);
            self.close(out, false);
            self.start(out);
            out.extend_from_slice(&self.moved);
        }
        if out.len() - self.msg > usize::from(u16::MAX) {
            // Alone in its message (`max_len` is at most 65535), and still
            // too long.
            out.truncate(self.msg + 8 + mp_header_len(self.version));
            return Err(EncodeError::unsupported(
                self.version,
                "multipart reply entry longer than a message",
            ));
        }
        self.entries += 1;
        Ok(())
    }

    /// Bytes at the front of the buffer that are final: everything before
    /// the message being written (whole messages of this reply, and what
    /// the buffer held before it).
    pub fn closed(&self) -> usize {
        self.msg
    }

    /// Removes the first [`ReplyWriter::closed`] bytes from `out` (they
    /// have been sent); the message being written moves to the front.
    pub fn drain_closed(&mut self, out: &mut Vec<u8>) {
        out.drain(..self.msg);
        self.msg = 0;
    }

    /// Ends the last message.
    pub fn finish(mut self, out: &mut [u8]) {
        self.close(out, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc_req(r: &MultipartRequest, v: Version) -> Vec<u8> {
        let mut out = vec![0xa5; 8];
        r.encode(v, &mut out).unwrap();
        assert_eq!(&out[..8], &[0xa5; 8]);
        out.split_off(8)
    }

    fn enc_rep(r: &MultipartReply, v: Version) -> Vec<u8> {
        let mut out = vec![0xa5; 8];
        r.encode(v, &mut out).unwrap();
        assert_eq!(&out[..8], &[0xa5; 8]);
        out.split_off(8)
    }

    #[test]
    fn extension_bodies_only_in_their_versions() {
        let vendor = VendorStats {
            vendor: 0x2320,
            data: vec![1, 2],
        };
        let exp = ExperimenterMultipart {
            experimenter: 0x2320,
            exp_type: 7,
            data: vec![3],
        };
        let mut out = Vec::new();
        let req = |body| MultipartRequest { flags: 0, body };
        let rep = |body| MultipartReply { flags: 0, body };
        let vendor_req = req(MultipartRequestBody::Vendor(vendor.clone()));
        let exp_req = req(MultipartRequestBody::Experimenter(exp.clone()));
        let vendor_rep = rep(MultipartReplyBody::Vendor(vendor));
        let exp_rep = rep(MultipartReplyBody::Experimenter(exp));
        assert!(vendor_req.encode(Version::V1_3, &mut out).is_err());
        assert!(exp_req.encode(Version::V1_0, &mut out).is_err());
        assert!(vendor_rep.encode(Version::V1_3, &mut out).is_err());
        assert!(exp_rep.encode(Version::V1_0, &mut out).is_err());
        assert!(out.is_empty(), "a refused body wrote {out:?}");
        enc_req(&vendor_req, Version::V1_0);
        enc_req(&exp_req, Version::V1_3);
        enc_rep(&vendor_rep, Version::V1_0);
        enc_rep(&exp_rep, Version::V1_3);
    }

    #[test]
    fn header_per_version() {
        let r = MultipartRequest {
            flags: 0,
            body: MultipartRequestBody::Desc,
        };
        assert_eq!(enc_req(&r, Version::V1_0), [0, 0, 0, 0]);
        assert_eq!(enc_req(&r, Version::V1_3), [0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            MultipartRequest::decode(Version::V1_0, &[0, 0, 0, 0]),
            Ok(r.clone())
        );
        assert_eq!(
            MultipartRequest::decode(Version::V1_3, &[0, 0, 0, 0, 0, 0, 0, 0]),
            Ok(r)
        );
        // Truncated header, trailing bytes in an empty body.
        assert_eq!(
            MultipartRequest::decode(Version::V1_3, &[0, 0, 0, 0, 0, 0, 0]).unwrap_err(),
            DecodeError::bad_len("multipart header")
        );
        assert_eq!(
            MultipartRequest::decode(Version::V1_0, &[0, 0, 0, 0, 1]).unwrap_err(),
            DecodeError::bad_len("desc request")
        );
    }

    #[test]
    fn small_requests_hand_checked() {
        let cases: Vec<(Version, MultipartRequestBody, &str)> = vec![
            (
                Version::V1_0,
                MultipartRequestBody::PortStats(PortStatsRequest {
                    port_no: 0xffff_ffff,
                }),
                "00040000ffff000000000000",
            ),
            (
                Version::V1_3,
                MultipartRequestBody::PortStats(PortStatsRequest { port_no: 7 }),
                "00040000000000000000000700000000",
            ),
            (
                Version::V1_0,
                MultipartRequestBody::Queue(QueueStatsRequest {
                    port_no: 1,
                    queue_id: 0xffff_ffff,
                }),
                "0005000000010000ffffffff",
            ),
            (
                Version::V1_3,
                MultipartRequestBody::Group(GroupStatsRequest {
                    group_id: 0xffff_fffc,
                }),
                "0006000100000000fffffffc00000000",
            ),
            (
                Version::V1_3,
                MultipartRequestBody::MeterConfig(MeterRequest { meter_id: 1 }),
                "000a0000000000000000000100000000",
            ),
            (
                Version::V1_4,
                MultipartRequestBody::QueueDesc(QueueStatsRequest {
                    port_no: 2,
                    queue_id: 3,
                }),
                "000f0000000000000000000200000003",
            ),
            (
                Version::V1_3,
                MultipartRequestBody::Experimenter(ExperimenterMultipart {
                    experimenter: 0xdeadbeaf,
                    exp_type: 0xcafe8888,
                    data: b"hogehoge".to_vec(),
                }),
                "ffff000000000000deadbeafcafe8888686f6765686f6765",
            ),
            (
                Version::V1_0,
                MultipartRequestBody::Vendor(VendorStats {
                    vendor: 0x2320,
                    data: vec![1, 2],
                }),
                "ffff0000000023200102",
            ),
        ];
        for (v, body, hex_want) in cases {
            let flags = if matches!(body, MultipartRequestBody::Group(_)) {
                OFPMPF_REQ_MORE
            } else {
                0
            };
            let r = MultipartRequest { flags, body };
            let b = enc_req(&r, v);
            assert_eq!(hex::encode(&b), hex_want, "{v} {r:?}");
            assert_eq!(MultipartRequest::decode(v, &b), Ok(r));
        }
    }

    #[test]
    fn type_not_in_version() {
        // Group stats in 1.0, meter in 1.2, table desc in 1.3, unknown type 17.
        for (v, t) in [
            (Version::V1_0, 6u16),
            (Version::V1_2, 9),
            (Version::V1_3, 14),
            (Version::V1_4, 17),
        ] {
            let mut b = t.to_be_bytes().to_vec();
            b.extend_from_slice(&[0; 14]);
            assert_eq!(
                MultipartRequest::decode(v, &b).unwrap_err().kind,
                ErrorKind::BadMultipart
            );
            assert_eq!(
                MultipartReply::decode(v, &b).unwrap_err().kind,
                ErrorKind::BadMultipart
            );
        }
        let r = MultipartRequest {
            flags: 0,
            body: MultipartRequestBody::MeterFeatures,
        };
        assert!(r.encode(Version::V1_2, &mut Vec::new()).is_err());
        let r = MultipartReply {
            flags: 0,
            body: MultipartReplyBody::GroupFeatures(GroupFeatures::default()),
        };
        assert!(r.encode(Version::V1_1, &mut Vec::new()).is_err());
        let r = MultipartReply {
            flags: 0,
            body: MultipartReplyBody::Vendor(VendorStats {
                vendor: 1,
                data: vec![],
            }),
        };
        assert!(r.encode(Version::V1_3, &mut Vec::new()).is_err());
    }

    fn port_stats(n: u32) -> Vec<PortStats> {
        (0..n)
            .map(|k| PortStats {
                port_no: k + 1,
                ethernet: Some(PortStatsEthernet::default()),
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn split_respects_limit_and_flags() {
        // 1.3 port stats entries are 112 bytes; 16 bytes of headers.
        let reply = MultipartReply {
            flags: 0,
            body: MultipartReplyBody::PortStats(port_stats(10)),
        };
        let parts = reply.clone().split(Version::V1_3, 16 + 3 * 112 + 111);
        assert_eq!(parts.len(), 4);
        let mut all = Vec::new();
        for (k, p) in parts.iter().enumerate() {
            let b = enc_rep(p, Version::V1_3);
            assert!(b.len() + 8 <= 16 + 3 * 112 + 111);
            assert_eq!(p.flags, if k < 3 { OFPMPF_REPLY_MORE } else { 0 });
            assert_eq!(&b[2..4], &p.flags.to_be_bytes());
            match &p.body {
                MultipartReplyBody::PortStats(l) => {
                    assert_eq!(l.len(), if k < 3 { 3 } else { 1 });
                    all.extend(l.iter().cloned());
                }
                other => panic!("unexpected body {other:?}"),
            }
        }
        assert_eq!(MultipartReplyBody::PortStats(all), reply.body);
        // Exactly at the limit fits; a big limit gives one message.
        assert_eq!(reply.clone().split(Version::V1_3, 16 + 5 * 112).len(), 2);
        assert_eq!(
            reply.clone().split(Version::V1_3, 65535),
            vec![reply.clone()]
        );
        // An entry larger than the limit goes alone; nothing is lost.
        let parts = reply.split(Version::V1_3, 50);
        assert_eq!(parts.len(), 10);
        assert!(parts
            .iter()
            .all(|p| matches!(&p.body, MultipartReplyBody::PortStats(l) if l.len() == 1)));
    }

    /// The writer gives the bytes of `split` + `encode` for any list,
    /// limit and version, an oversized entry alone in its message.
    #[test]
    fn reply_writer_equals_split_and_encode() {
        use crate::action::Action;
        use crate::instruction::Instruction;
        use crate::oxm::OxmField;
        let flow = |k: u64| FlowStats {
            table_id: (k % 3) as u8,
            duration_sec: k as u32,
            duration_nsec: 7,
            priority: k as u16,
            idle_timeout: 1,
            hard_timeout: 2,
            flags: 0,
            importance: 0,
            cookie: k,
            packet_count: k * 3,
            byte_count: k * 300,
            match_: crate::flow_match::Match::new(
                (0..k % 4)
                    .map(|i| OxmField::InPort(i as u32 + 1))
                    .take(1)
                    .chain(k.is_multiple_of(2).then_some(OxmField::EthType(0x800)))
                    .collect(),
            ),
            instructions: (0..k % 3)
                .map(|_| {
                    Instruction::ApplyActions(
                        (0..1 + k % 40)
                            .map(|p| Action::Output {
                                port: p as u32,
                                max_len: 0,
                            })
                            .collect(),
                    )
                })
                .take(1)
                .collect(),
        };
        for version in [Version::V1_0, Version::V1_3, Version::V1_4] {
            for (n, max_len) in [(0, 65535), (1, 65535), (300, 65535), (300, 200), (40, 1000)] {
                let flows: Vec<FlowStats> = (0..n).map(flow).collect();
                let want: Vec<u8> = MultipartReply {
                    flags: 0,
                    body: MultipartReplyBody::Flow(flows.clone()),
                }
                .split(version, max_len)
                .into_iter()
                .flat_map(|p| {
                    crate::Message::MultipartReply(p)
                        .encode(version, 9)
                        .unwrap()
                })
                .collect();
                let mut got = vec![0xa5];
                let mut w = ReplyWriter::new(&mut got, version, 9, OFPMP_FLOW, max_len).unwrap();
                for f in &flows {
                    w.entry(&mut got, |out| f.entry().encode(version, out))
                        .unwrap();
                }
                w.finish(&mut got);
                assert_eq!(got[0], 0xa5);
                assert!(got[1..] == want[..], "{version:?} n={n} max_len={max_len}");
                // The same bytes sent as they are closed, the buffer
                // holding one message at most.
                let (mut sent, mut buf) = (Vec::new(), Vec::new());
                let mut w = ReplyWriter::new(&mut buf, version, 9, OFPMP_FLOW, max_len).unwrap();
                for f in &flows {
                    w.entry(&mut buf, |out| f.entry().encode(version, out))
                        .unwrap();
                    sent.extend_from_slice(&buf[..w.closed()]);
                    w.drain_closed(&mut buf);
                    assert!(buf.len() <= usize::from(u16::MAX));
                }
                w.finish(&mut buf);
                sent.extend_from_slice(&buf);
                assert!(sent == want, "{version:?} n={n} max_len={max_len}, drained");
                // Counting the parts' entries finds them all.
                let (mut counted, mut rest, mut more) = (0, &got[1..], Vec::new());
                while !rest.is_empty() {
                    let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
                    let (flags, k) = count_flow_stats(version, &rest[8..len]).unwrap();
                    counted += k;
                    more.push(flags & OFPMPF_REPLY_MORE != 0);
                    rest = &rest[len..];
                }
                assert_eq!(counted, n as usize);
                assert_eq!(more.pop(), Some(false));
                assert!(more.iter().all(|m| *m));
            }
        }
        // A short entry, a body the entries do not fill, another type.
        let mut w = Vec::new();
        let mut r = ReplyWriter::new(&mut w, Version::V1_3, 1, OFPMP_FLOW, 65535).unwrap();
        r.entry(&mut w, |out| flow(1).entry().encode(Version::V1_3, out))
            .unwrap();
        r.finish(&mut w);
        assert_eq!(count_flow_stats(Version::V1_3, &w[8..]), Ok((0, 1)));
        assert!(count_flow_stats(Version::V1_3, &w[8..w.len() - 1]).is_err());
        let mut short = w[8..].to_vec();
        short[8..10].copy_from_slice(&40u16.to_be_bytes());
        assert!(count_flow_stats(Version::V1_3, &short).is_err());
        short[0..2].copy_from_slice(&OFPMP_TABLE.to_be_bytes());
        assert!(count_flow_stats(Version::V1_3, &short).is_err());
        // A type the version lacks is refused at the start.
        assert!(ReplyWriter::new(&mut Vec::new(), Version::V1_0, 1, OFPMP_METER, 65535).is_err());
    }

    #[test]
    fn split_many_flows_below_64k() {
        // 1.3 flow entries with an empty match and no instructions are 56 bytes.
        let flows: Vec<FlowStats> = (0..100_000u64)
            .map(|k| FlowStats {
                table_id: 0,
                duration_sec: 0,
                duration_nsec: 0,
                priority: 0,
                idle_timeout: 0,
                hard_timeout: 0,
                flags: 0,
                importance: 0,
                cookie: k,
                packet_count: 0,
                byte_count: 0,
                match_: crate::flow_match::Match::default(),
                instructions: Default::default(),
            })
            .collect();
        let parts = MultipartReply {
            flags: 0,
            body: MultipartReplyBody::Flow(flows),
        }
        .split(Version::V1_3, 65535);
        let per_message = (65535 - 16) / 56;
        assert_eq!(parts.len(), 100_000usize.div_ceil(per_message));
        let mut next_cookie = 0;
        for (k, p) in parts.iter().enumerate() {
            let mut out = Vec::new();
            p.encode(Version::V1_3, &mut out).unwrap();
            assert!(out.len() + 8 <= 65535);
            assert_eq!(p.flags == OFPMPF_REPLY_MORE, k + 1 < parts.len());
            let MultipartReplyBody::Flow(l) = &p.body else {
                panic!("not flows")
            };
            assert_eq!(
                l.len(),
                if k + 1 < parts.len() {
                    per_message
                } else {
                    100_000 % per_message
                }
            );
            for f in l {
                assert_eq!(f.cookie, next_cookie);
                next_cookie += 1;
            }
        }
    }

    #[test]
    fn split_keeps_non_lists_and_empty_lists() {
        let desc = MultipartReply {
            flags: OFPMPF_REPLY_MORE,
            body: MultipartReplyBody::Desc(SwitchDesc::default()),
        };
        assert_eq!(desc.clone().split(Version::V1_0, 100), vec![desc]);
        let empty = MultipartReply {
            flags: 0,
            body: MultipartReplyBody::Table(vec![]),
        };
        assert_eq!(empty.clone().split(Version::V1_3, 100), vec![empty]);
        // A reply already marked "more" keeps the flag on its last part.
        let r = MultipartReply {
            flags: OFPMPF_REPLY_MORE,
            body: MultipartReplyBody::PortStats(port_stats(2)),
        };
        let parts = r.split(Version::V1_0, 12 + 104);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.flags == OFPMPF_REPLY_MORE));
    }

    #[test]
    fn truncated_replies_never_panic() {
        let reply = MultipartReply {
            flags: 0,
            body: MultipartReplyBody::PortStats(port_stats(2)),
        };
        for v in Version::ALL {
            let b = enc_rep(&reply, v);
            for cut in 0..b.len() {
                let r = MultipartReply::decode(v, &b[..cut]);
                // Cutting exactly at an entry boundary is a valid shorter reply.
                if let Ok(MultipartReply {
                    body: MultipartReplyBody::PortStats(l),
                    ..
                }) = &r
                {
                    assert!(l.len() < 2);
                } else {
                    assert!(r.is_err(), "{v} cut {cut}");
                }
            }
        }
    }
}
