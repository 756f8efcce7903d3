//! The version-independent [`Message`] model, the message type table of every
//! version, and the [`decode`] / [`Message::encode`] entry points.
//!
//! [`decode`] takes exactly one whole message (as cut by
//! [`crate::header::Framer`]); its header length must equal the bytes given.
//! Encoding writes a header with a placeholder length, the body, and patches
//! the length at the end.

use crate::bundle::{BundleAdd, BundleControl, RequestForward};
use crate::config::{
    AsyncConfig, FeaturesReply, PortMod, PortStatus, QueueGetConfigReply, QueueGetConfigRequest,
    RoleMsg, RoleStatus, SwitchConfig, TableMod, TableStatus,
};
use crate::error::DecodeError;
use crate::error_msg::ErrorMsg;
use crate::flow_mod::{FlowMod, FlowRemoved};
use crate::group_meter_mod::{GroupMod, MeterMod};
use crate::header::{Header, HEADER_LEN};
use crate::hello::Hello;
use crate::multipart::{MultipartReply, MultipartRequest};
use crate::packet::{PacketIn, PacketOut};
use crate::wire::{patch_len16, put_u32};
use crate::{EncodeError, ErrorKind, Version};

/// The kind of a message, independent of version (the `OFPT_*` names of
/// OpenFlow 1.3; 1.0's `VENDOR`/`STATS_*` are `Experimenter`/`Multipart*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MsgType {
    /// `OFPT_HELLO`.
    Hello,
    /// `OFPT_ERROR`.
    Error,
    /// `OFPT_ECHO_REQUEST`.
    EchoRequest,
    /// `OFPT_ECHO_REPLY`.
    EchoReply,
    /// `OFPT_EXPERIMENTER` (1.0: `OFPT_VENDOR`).
    Experimenter,
    /// `OFPT_FEATURES_REQUEST`.
    FeaturesRequest,
    /// `OFPT_FEATURES_REPLY`.
    FeaturesReply,
    /// `OFPT_GET_CONFIG_REQUEST`.
    GetConfigRequest,
    /// `OFPT_GET_CONFIG_REPLY`.
    GetConfigReply,
    /// `OFPT_SET_CONFIG`.
    SetConfig,
    /// `OFPT_PACKET_IN`.
    PacketIn,
    /// `OFPT_FLOW_REMOVED`.
    FlowRemoved,
    /// `OFPT_PORT_STATUS`.
    PortStatus,
    /// `OFPT_PACKET_OUT`.
    PacketOut,
    /// `OFPT_FLOW_MOD`.
    FlowMod,
    /// `OFPT_GROUP_MOD` (1.1+).
    GroupMod,
    /// `OFPT_PORT_MOD`.
    PortMod,
    /// `OFPT_TABLE_MOD` (1.1+).
    TableMod,
    /// `OFPT_MULTIPART_REQUEST` (1.0-1.2: `OFPT_STATS_REQUEST`).
    MultipartRequest,
    /// `OFPT_MULTIPART_REPLY` (1.0-1.2: `OFPT_STATS_REPLY`).
    MultipartReply,
    /// `OFPT_BARRIER_REQUEST`.
    BarrierRequest,
    /// `OFPT_BARRIER_REPLY`.
    BarrierReply,
    /// `OFPT_QUEUE_GET_CONFIG_REQUEST` (1.0-1.3).
    QueueGetConfigRequest,
    /// `OFPT_QUEUE_GET_CONFIG_REPLY` (1.0-1.3).
    QueueGetConfigReply,
    /// `OFPT_ROLE_REQUEST` (1.2+).
    RoleRequest,
    /// `OFPT_ROLE_REPLY` (1.2+).
    RoleReply,
    /// `OFPT_GET_ASYNC_REQUEST` (1.3+).
    GetAsyncRequest,
    /// `OFPT_GET_ASYNC_REPLY` (1.3+).
    GetAsyncReply,
    /// `OFPT_SET_ASYNC` (1.3+).
    SetAsync,
    /// `OFPT_METER_MOD` (1.3+).
    MeterMod,
    /// `OFPT_ROLE_STATUS` (1.4).
    RoleStatus,
    /// `OFPT_TABLE_STATUS` (1.4).
    TableStatus,
    /// `OFPT_REQUESTFORWARD` (1.4).
    RequestForward,
    /// `OFPT_BUNDLE_CONTROL` (1.4).
    BundleControl,
    /// `OFPT_BUNDLE_ADD_MESSAGE` (1.4).
    BundleAdd,
}

/// OpenFlow 1.1+ type numbers in order, with the first version that has
/// each and the last (inclusive).
const TYPES_11: [(MsgType, Version, Version); 35] = {
    use MsgType::*;
    use Version::*;
    [
        (Hello, V1_1, V1_4),
        (Error, V1_1, V1_4),
        (EchoRequest, V1_1, V1_4),
        (EchoReply, V1_1, V1_4),
        (Experimenter, V1_1, V1_4),
        (FeaturesRequest, V1_1, V1_4),
        (FeaturesReply, V1_1, V1_4),
        (GetConfigRequest, V1_1, V1_4),
        (GetConfigReply, V1_1, V1_4),
        (SetConfig, V1_1, V1_4),
        (PacketIn, V1_1, V1_4),
        (FlowRemoved, V1_1, V1_4),
        (PortStatus, V1_1, V1_4),
        (PacketOut, V1_1, V1_4),
        (FlowMod, V1_1, V1_4),
        (GroupMod, V1_1, V1_4),
        (PortMod, V1_1, V1_4),
        (TableMod, V1_1, V1_4),
        (MultipartRequest, V1_1, V1_4),
        (MultipartReply, V1_1, V1_4),
        (BarrierRequest, V1_1, V1_4),
        (BarrierReply, V1_1, V1_4),
        (QueueGetConfigRequest, V1_1, V1_3),
        (QueueGetConfigReply, V1_1, V1_3),
        (RoleRequest, V1_2, V1_4),
        (RoleReply, V1_2, V1_4),
        (GetAsyncRequest, V1_3, V1_4),
        (GetAsyncReply, V1_3, V1_4),
        (SetAsync, V1_3, V1_4),
        (MeterMod, V1_3, V1_4),
        (RoleStatus, V1_4, V1_4),
        (TableStatus, V1_4, V1_4),
        (RequestForward, V1_4, V1_4),
        (BundleControl, V1_4, V1_4),
        (BundleAdd, V1_4, V1_4),
    ]
};

/// OpenFlow 1.0 type numbers in order.
const TYPES_10: [MsgType; 22] = {
    use MsgType::*;
    [
        Hello,
        Error,
        EchoRequest,
        EchoReply,
        Experimenter,
        FeaturesRequest,
        FeaturesReply,
        GetConfigRequest,
        GetConfigReply,
        SetConfig,
        PacketIn,
        FlowRemoved,
        PortStatus,
        PacketOut,
        FlowMod,
        PortMod,
        MultipartRequest,
        MultipartReply,
        BarrierRequest,
        BarrierReply,
        QueueGetConfigRequest,
        QueueGetConfigReply,
    ]
};

// The variants are declared in 1.1+ wire order, so that a kind's 1.1+ type
// number is its discriminant (`MsgType::wire` relies on it).
const _: () = {
    let mut i = 0;
    while i < TYPES_11.len() {
        assert!(
            TYPES_11[i].0 as usize == i,
            "MsgType order differs from TYPES_11"
        );
        i += 1;
    }
};

/// The OpenFlow 1.0 wire type of each kind, indexed by its 1.1+ number.
const WIRE_10: [Option<u8>; 35] = {
    let mut wire = [None; 35];
    let mut i = 0;
    while i < TYPES_10.len() {
        wire[TYPES_10[i] as usize] = Some(i as u8);
        i += 1;
    }
    wire
};

impl MsgType {
    /// The kind of wire type `msg_type` in `version`, if that version has it.
    pub fn from_wire(version: Version, msg_type: u8) -> Option<MsgType> {
        if version == Version::V1_0 {
            return TYPES_10.get(usize::from(msg_type)).copied();
        }
        let (t, first, last) = TYPES_11.get(usize::from(msg_type))?;
        (version >= *first && version <= *last).then_some(*t)
    }

    /// The wire type number of this kind in `version`, if it exists there.
    pub fn wire(self, version: Version) -> Option<u8> {
        // The 1.1+ type number is the discriminant (asserted at compile time).
        let p = self as usize;
        if version == Version::V1_0 {
            return WIRE_10[p];
        }
        let (_, first, last) = TYPES_11[p];
        (version >= first && version <= last).then_some(p as u8)
    }

    /// The `OFPT_*` name of this kind in `version` (1.0 spells some
    /// differently: `OFPT_VENDOR`, `OFPT_STATS_REQUEST`).
    pub fn name(self, version: Version) -> &'static str {
        use MsgType::*;
        match (self, version) {
            (Experimenter, Version::V1_0) => "OFPT_VENDOR",
            (MultipartRequest, Version::V1_0 | Version::V1_1 | Version::V1_2) => {
                "OFPT_STATS_REQUEST"
            }
            (MultipartReply, Version::V1_0 | Version::V1_1 | Version::V1_2) => "OFPT_STATS_REPLY",
            (Hello, _) => "OFPT_HELLO",
            (Error, _) => "OFPT_ERROR",
            (EchoRequest, _) => "OFPT_ECHO_REQUEST",
            (EchoReply, _) => "OFPT_ECHO_REPLY",
            (Experimenter, _) => "OFPT_EXPERIMENTER",
            (FeaturesRequest, _) => "OFPT_FEATURES_REQUEST",
            (FeaturesReply, _) => "OFPT_FEATURES_REPLY",
            (GetConfigRequest, _) => "OFPT_GET_CONFIG_REQUEST",
            (GetConfigReply, _) => "OFPT_GET_CONFIG_REPLY",
            (SetConfig, _) => "OFPT_SET_CONFIG",
            (PacketIn, _) => "OFPT_PACKET_IN",
            (FlowRemoved, _) => "OFPT_FLOW_REMOVED",
            (PortStatus, _) => "OFPT_PORT_STATUS",
            (PacketOut, _) => "OFPT_PACKET_OUT",
            (FlowMod, _) => "OFPT_FLOW_MOD",
            (GroupMod, _) => "OFPT_GROUP_MOD",
            (PortMod, _) => "OFPT_PORT_MOD",
            (TableMod, _) => "OFPT_TABLE_MOD",
            (MultipartRequest, _) => "OFPT_MULTIPART_REQUEST",
            (MultipartReply, _) => "OFPT_MULTIPART_REPLY",
            (BarrierRequest, _) => "OFPT_BARRIER_REQUEST",
            (BarrierReply, _) => "OFPT_BARRIER_REPLY",
            (QueueGetConfigRequest, _) => "OFPT_QUEUE_GET_CONFIG_REQUEST",
            (QueueGetConfigReply, _) => "OFPT_QUEUE_GET_CONFIG_REPLY",
            (RoleRequest, _) => "OFPT_ROLE_REQUEST",
            (RoleReply, _) => "OFPT_ROLE_REPLY",
            (GetAsyncRequest, _) => "OFPT_GET_ASYNC_REQUEST",
            (GetAsyncReply, _) => "OFPT_GET_ASYNC_REPLY",
            (SetAsync, _) => "OFPT_SET_ASYNC",
            (MeterMod, _) => "OFPT_METER_MOD",
            (RoleStatus, _) => "OFPT_ROLE_STATUS",
            (TableStatus, _) => "OFPT_TABLE_STATUS",
            (RequestForward, _) => "OFPT_REQUESTFORWARD",
            (BundleControl, _) => "OFPT_BUNDLE_CONTROL",
            (BundleAdd, _) => "OFPT_BUNDLE_ADD_MESSAGE",
        }
    }
}

/// `OFPT_EXPERIMENTER` (1.1+) / `OFPT_VENDOR` (1.0).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Experimenter {
    /// Experimenter (vendor) id.
    pub experimenter: u32,
    /// Experimenter-defined type (1.1+; must be 0 for 1.0, whose vendor
    /// messages carry their subtype inside `data`).
    pub exp_type: u32,
    /// Experimenter-defined payload.
    pub data: Vec<u8>,
}

/// Every OpenFlow message, whichever version it came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// `OFPT_HELLO`.
    Hello(Hello),
    /// `OFPT_ERROR`.
    Error(ErrorMsg),
    /// Echo request with its arbitrary payload.
    EchoRequest(Vec<u8>),
    /// Echo reply with its arbitrary payload.
    EchoReply(Vec<u8>),
    /// `OFPT_EXPERIMENTER` (1.0: `OFPT_VENDOR`).
    Experimenter(Experimenter),
    /// `OFPT_FEATURES_REQUEST`.
    FeaturesRequest,
    /// `OFPT_FEATURES_REPLY`.
    FeaturesReply(FeaturesReply),
    /// `OFPT_GET_CONFIG_REQUEST`.
    GetConfigRequest,
    /// `OFPT_GET_CONFIG_REPLY`.
    GetConfigReply(SwitchConfig),
    /// `OFPT_SET_CONFIG`.
    SetConfig(SwitchConfig),
    /// `OFPT_PACKET_IN`.
    PacketIn(PacketIn),
    /// `OFPT_FLOW_REMOVED`.
    FlowRemoved(FlowRemoved),
    /// `OFPT_PORT_STATUS`.
    PortStatus(PortStatus),
    /// `OFPT_PACKET_OUT`.
    PacketOut(PacketOut),
    /// `OFPT_FLOW_MOD`.
    FlowMod(FlowMod),
    /// `OFPT_GROUP_MOD` (1.1+).
    GroupMod(GroupMod),
    /// `OFPT_PORT_MOD`.
    PortMod(PortMod),
    /// `OFPT_TABLE_MOD` (1.1+).
    TableMod(TableMod),
    /// `OFPT_MULTIPART_REQUEST` (1.0-1.2: `OFPT_STATS_REQUEST`).
    MultipartRequest(MultipartRequest),
    /// `OFPT_MULTIPART_REPLY` (1.0-1.2: `OFPT_STATS_REPLY`).
    MultipartReply(MultipartReply),
    /// `OFPT_BARRIER_REQUEST`.
    BarrierRequest,
    /// `OFPT_BARRIER_REPLY`.
    BarrierReply,
    /// `OFPT_QUEUE_GET_CONFIG_REQUEST` (1.0-1.3).
    QueueGetConfigRequest(QueueGetConfigRequest),
    /// `OFPT_QUEUE_GET_CONFIG_REPLY` (1.0-1.3).
    QueueGetConfigReply(QueueGetConfigReply),
    /// `OFPT_ROLE_REQUEST` (1.2+).
    RoleRequest(RoleMsg),
    /// `OFPT_ROLE_REPLY` (1.2+).
    RoleReply(RoleMsg),
    /// `OFPT_GET_ASYNC_REQUEST` (1.3+).
    GetAsyncRequest,
    /// `OFPT_GET_ASYNC_REPLY` (1.3+).
    GetAsyncReply(AsyncConfig),
    /// `OFPT_SET_ASYNC` (1.3+).
    SetAsync(AsyncConfig),
    /// `OFPT_METER_MOD` (1.3+).
    MeterMod(MeterMod),
    /// `OFPT_ROLE_STATUS` (1.4).
    RoleStatus(RoleStatus),
    /// `OFPT_TABLE_STATUS` (1.4).
    TableStatus(TableStatus),
    /// `OFPT_REQUESTFORWARD` (1.4).
    RequestForward(RequestForward),
    /// `OFPT_BUNDLE_CONTROL` (1.4).
    BundleControl(BundleControl),
    /// `OFPT_BUNDLE_ADD_MESSAGE` (1.4).
    BundleAdd(BundleAdd),
}

/// Decodes one whole message: `bytes` must be exactly the message its
/// header's length describes.
///
/// A hello of a version this crate does not speak still decodes (so the
/// version can be negotiated down); any other message of such a version is
/// BAD_VERSION.
pub fn decode(bytes: &[u8]) -> Result<(Header, Message), DecodeError> {
    decode_nested(bytes, 0)
}

/// How deep messages may nest (bundle-add and requestforward carry one).
const MAX_NESTING: u8 = 1;

pub(crate) fn decode_nested(bytes: &[u8], depth: u8) -> Result<(Header, Message), DecodeError> {
    let header = Header::parse(bytes)?;
    if usize::from(header.length) != bytes.len() {
        return Err(DecodeError::bad_len("ofp_header length"));
    }
    let body = &bytes[HEADER_LEN..];
    let Some(version) = Version::from_wire(header.version) else {
        if header.msg_type == 0 && header.version != 0 {
            return Ok((header, Message::Hello(Hello::decode(body)?)));
        }
        return Err(DecodeError::new(
            ErrorKind::BadVersion,
            "ofp_header version",
        ));
    };
    let kind = MsgType::from_wire(version, header.msg_type)
        .ok_or(DecodeError::new(ErrorKind::BadType, "ofp_header type"))?;
    let msg = Message::decode_body(kind, version, body, depth)?;
    Ok((header, msg))
}

fn empty(body: &[u8], ctx: &'static str) -> Result<(), DecodeError> {
    if body.is_empty() {
        Ok(())
    } else {
        Err(DecodeError::bad_len(ctx))
    }
}

impl Message {
    /// This message's kind.
    pub fn msg_type(&self) -> MsgType {
        use Message as M;
        match self {
            M::Hello(_) => MsgType::Hello,
            M::Error(_) => MsgType::Error,
            M::EchoRequest(_) => MsgType::EchoRequest,
            M::EchoReply(_) => MsgType::EchoReply,
            M::Experimenter(_) => MsgType::Experimenter,
            M::FeaturesRequest => MsgType::FeaturesRequest,
            M::FeaturesReply(_) => MsgType::FeaturesReply,
            M::GetConfigRequest => MsgType::GetConfigRequest,
            M::GetConfigReply(_) => MsgType::GetConfigReply,
            M::SetConfig(_) => MsgType::SetConfig,
            M::PacketIn(_) => MsgType::PacketIn,
            M::FlowRemoved(_) => MsgType::FlowRemoved,
            M::PortStatus(_) => MsgType::PortStatus,
            M::PacketOut(_) => MsgType::PacketOut,
            M::FlowMod(_) => MsgType::FlowMod,
            M::GroupMod(_) => MsgType::GroupMod,
            M::PortMod(_) => MsgType::PortMod,
            M::TableMod(_) => MsgType::TableMod,
            M::MultipartRequest(_) => MsgType::MultipartRequest,
            M::MultipartReply(_) => MsgType::MultipartReply,
            M::BarrierRequest => MsgType::BarrierRequest,
            M::BarrierReply => MsgType::BarrierReply,
            M::QueueGetConfigRequest(_) => MsgType::QueueGetConfigRequest,
            M::QueueGetConfigReply(_) => MsgType::QueueGetConfigReply,
            M::RoleRequest(_) => MsgType::RoleRequest,
            M::RoleReply(_) => MsgType::RoleReply,
            M::GetAsyncRequest => MsgType::GetAsyncRequest,
            M::GetAsyncReply(_) => MsgType::GetAsyncReply,
            M::SetAsync(_) => MsgType::SetAsync,
            M::MeterMod(_) => MsgType::MeterMod,
            M::RoleStatus(_) => MsgType::RoleStatus,
            M::TableStatus(_) => MsgType::TableStatus,
            M::RequestForward(_) => MsgType::RequestForward,
            M::BundleControl(_) => MsgType::BundleControl,
            M::BundleAdd(_) => MsgType::BundleAdd,
        }
    }

    fn decode_body(
        kind: MsgType,
        version: Version,
        body: &[u8],
        depth: u8,
    ) -> Result<Message, DecodeError> {
        use MsgType as T;
        Ok(match kind {
            T::Hello => Message::Hello(Hello::decode(body)?),
            T::Error => Message::Error(ErrorMsg::decode(version, body)?),
            T::EchoRequest => Message::EchoRequest(body.to_vec()),
            T::EchoReply => Message::EchoReply(body.to_vec()),
            T::Experimenter => Message::Experimenter(decode_experimenter(version, body)?),
            T::FeaturesRequest => {
                empty(body, "features request")?;
                Message::FeaturesRequest
            }
            T::FeaturesReply => Message::FeaturesReply(FeaturesReply::decode(version, body)?),
            T::GetConfigRequest => {
                empty(body, "get config request")?;
                Message::GetConfigRequest
            }
            T::GetConfigReply => Message::GetConfigReply(SwitchConfig::decode(body)?),
            T::SetConfig => Message::SetConfig(SwitchConfig::decode(body)?),
            T::PacketIn => Message::PacketIn(PacketIn::decode(version, body)?),
            T::FlowRemoved => Message::FlowRemoved(FlowRemoved::decode(version, body)?),
            T::PortStatus => Message::PortStatus(PortStatus::decode(version, body)?),
            T::PacketOut => Message::PacketOut(PacketOut::decode(version, body)?),
            T::FlowMod => Message::FlowMod(FlowMod::decode(version, body)?),
            T::GroupMod => Message::GroupMod(GroupMod::decode(version, body)?),
            T::PortMod => Message::PortMod(PortMod::decode(version, body)?),
            T::TableMod => Message::TableMod(TableMod::decode(version, body)?),
            T::MultipartRequest => {
                Message::MultipartRequest(MultipartRequest::decode(version, body)?)
            }
            T::MultipartReply => Message::MultipartReply(MultipartReply::decode(version, body)?),
            T::BarrierRequest => {
                empty(body, "barrier request")?;
                Message::BarrierRequest
            }
            T::BarrierReply => {
                empty(body, "barrier reply")?;
                Message::BarrierReply
            }
            T::QueueGetConfigRequest => {
                Message::QueueGetConfigRequest(QueueGetConfigRequest::decode(version, body)?)
            }
            T::QueueGetConfigReply => {
                Message::QueueGetConfigReply(QueueGetConfigReply::decode(version, body)?)
            }
            T::RoleRequest => Message::RoleRequest(RoleMsg::decode(body)?),
            T::RoleReply => Message::RoleReply(RoleMsg::decode(body)?),
            T::GetAsyncRequest => {
                empty(body, "get async request")?;
                Message::GetAsyncRequest
            }
            T::GetAsyncReply => Message::GetAsyncReply(AsyncConfig::decode(version, body)?),
            T::SetAsync => Message::SetAsync(AsyncConfig::decode(version, body)?),
            T::MeterMod => Message::MeterMod(MeterMod::decode(body)?),
            T::RoleStatus => Message::RoleStatus(RoleStatus::decode(body)?),
            T::TableStatus => Message::TableStatus(TableStatus::decode(body)?),
            T::RequestForward => {
                check_depth(depth)?;
                Message::RequestForward(RequestForward::decode(version, body, depth + 1)?)
            }
            T::BundleControl => Message::BundleControl(BundleControl::decode(body)?),
            T::BundleAdd => {
                check_depth(depth)?;
                Message::BundleAdd(BundleAdd::decode(version, body, depth + 1)?)
            }
        })
    }

    /// Encodes this message for `version` with transaction id `xid`.
    pub fn encode(&self, version: Version, xid: u32) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(256);
        self.encode_into(version, xid, &mut out)?;
        Ok(out)
    }

    /// Appends this message, encoded for `version` with `xid`, to `out`.
    /// On error `out` is left as it was.
    pub fn encode_into(
        &self,
        version: Version,
        xid: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let start = out.len();
        let r = self.encode_inner(version, xid, out);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn encode_inner(
        &self,
        version: Version,
        xid: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let kind = self.msg_type();
        let msg_type = kind
            .wire(version)
            .ok_or_else(|| EncodeError::unsupported(version, kind.name(Version::V1_4)))?;
        let start = out.len();
        Header {
            version: version.wire(),
            msg_type,
            length: 0,
            xid,
        }
        .emit(out);
        match self {
            Message::Hello(h) => h.encode(version, out)?,
            Message::Error(e) => e.encode(version, out)?,
            Message::EchoRequest(d) | Message::EchoReply(d) => out.extend_from_slice(d),
            Message::Experimenter(e) => encode_experimenter(e, version, out)?,
            Message::FeaturesRequest
            | Message::GetConfigRequest
            | Message::BarrierRequest
            | Message::BarrierReply
            | Message::GetAsyncRequest => {}
            Message::FeaturesReply(m) => m.encode(version, out)?,
            Message::GetConfigReply(m) | Message::SetConfig(m) => m.encode(out),
            Message::PacketIn(m) => m.encode(version, out)?,
            Message::FlowRemoved(m) => m.encode(version, out)?,
            Message::PortStatus(m) => m.encode(version, out)?,
            Message::PacketOut(m) => m.encode(version, out)?,
            Message::FlowMod(m) => m.encode(version, out)?,
            Message::GroupMod(m) => m.encode(version, out)?,
            Message::PortMod(m) => m.encode(version, out)?,
            Message::TableMod(m) => m.encode(version, out)?,
            Message::MultipartRequest(m) => m.encode(version, out)?,
            Message::MultipartReply(m) => m.encode(version, out)?,
            Message::QueueGetConfigRequest(m) => m.encode(version, out)?,
            Message::QueueGetConfigReply(m) => m.encode(version, out)?,
            Message::RoleRequest(m) | Message::RoleReply(m) => m.encode(out),
            Message::GetAsyncReply(m) | Message::SetAsync(m) => m.encode(version, out)?,
            Message::MeterMod(m) => m.encode(version, out)?,
            Message::RoleStatus(m) => m.encode(version, out)?,
            Message::TableStatus(m) => m.encode(version, out)?,
            Message::RequestForward(m) => m.encode(version, out)?,
            Message::BundleControl(m) => m.encode(version, out)?,
            Message::BundleAdd(m) => m.encode(version, out)?,
        }
        if !patch_len16(out, start, 2) {
            return Err(EncodeError::unsupported(
                version,
                "message longer than 65535 bytes",
            ));
        }
        Ok(())
    }
}

fn check_depth(depth: u8) -> Result<(), DecodeError> {
    if depth >= MAX_NESTING {
        Err(DecodeError::new(
            ErrorKind::BadBundleType,
            "nested message inside a nested message",
        ))
    } else {
        Ok(())
    }
}

fn decode_experimenter(version: Version, body: &[u8]) -> Result<Experimenter, DecodeError> {
    let word = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    if version == Version::V1_0 {
        if body.len() < 4 {
            return Err(DecodeError::bad_len("vendor message"));
        }
        return Ok(Experimenter {
            experimenter: word(body),
            exp_type: 0,
            data: body[4..].to_vec(),
        });
    }
    if body.len() < 8 {
        return Err(DecodeError::bad_len("experimenter message"));
    }
    Ok(Experimenter {
        experimenter: word(body),
        exp_type: word(&body[4..]),
        data: body[8..].to_vec(),
    })
}

fn encode_experimenter(
    e: &Experimenter,
    version: Version,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    put_u32(out, e.experimenter);
    if version == Version::V1_0 {
        if e.exp_type != 0 {
            return Err(EncodeError::unsupported(version, "experimenter exp_type"));
        }
    } else {
        put_u32(out, e.exp_type);
    }
    out.extend_from_slice(&e.data);
    Ok(())
}

/// Requires `ok`, else an [`EncodeError`] saying `what` cannot be expressed
/// in `version`.
pub(crate) fn need(ok: bool, version: Version, what: &'static str) -> Result<(), EncodeError> {
    if ok {
        Ok(())
    } else {
        Err(EncodeError::unsupported(version, what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_table() {
        assert_eq!(
            MsgType::from_wire(Version::V1_0, 16),
            Some(MsgType::MultipartRequest)
        );
        assert_eq!(
            MsgType::from_wire(Version::V1_3, 16),
            Some(MsgType::PortMod)
        );
        assert_eq!(MsgType::from_wire(Version::V1_0, 22), None);
        assert_eq!(MsgType::from_wire(Version::V1_2, 26), None);
        assert_eq!(MsgType::from_wire(Version::V1_4, 22), None);
        assert_eq!(
            MsgType::from_wire(Version::V1_4, 34),
            Some(MsgType::BundleAdd)
        );
        assert_eq!(MsgType::from_wire(Version::V1_4, 35), None);
        for v in Version::ALL {
            for t in 0..=255u8 {
                if let Some(k) = MsgType::from_wire(v, t) {
                    assert_eq!(k.wire(v), Some(t));
                }
            }
        }
        assert_eq!(MsgType::GroupMod.wire(Version::V1_0), None);
    }

    #[test]
    fn simple_messages_round_trip() {
        for v in Version::ALL {
            for m in [
                Message::EchoRequest(vec![1, 2, 3]),
                Message::EchoReply(vec![]),
                Message::FeaturesRequest,
                Message::BarrierRequest,
                Message::Experimenter(Experimenter {
                    experimenter: 0x2320,
                    exp_type: 0,
                    data: vec![9; 5],
                }),
            ] {
                let bytes = m.encode(v, 0x1234).unwrap();
                let (h, back) = decode(&bytes).unwrap();
                assert_eq!(back, m);
                assert_eq!(
                    (h.version, h.xid, usize::from(h.length)),
                    (v.wire(), 0x1234, bytes.len())
                );
            }
        }
    }

    #[test]
    fn header_errors() {
        let good = Message::BarrierRequest.encode(Version::V1_3, 1).unwrap();
        let mut bad = good.clone();
        bad[0] = 9;
        assert_eq!(decode(&bad).unwrap_err().kind, ErrorKind::BadVersion);
        let mut bad = good.clone();
        bad[1] = 99;
        assert_eq!(decode(&bad).unwrap_err().kind, ErrorKind::BadType);
        let mut bad = good.clone();
        bad.push(0);
        assert_eq!(decode(&bad).unwrap_err().kind, ErrorKind::BadLen);
        let mut bad = good;
        bad[3] = 9;
        bad.push(0);
        assert_eq!(decode(&bad).unwrap_err().kind, ErrorKind::BadLen);
        assert_eq!(
            Message::GetAsyncRequest
                .encode(Version::V1_0, 1)
                .unwrap_err()
                .version,
            Version::V1_0
        );
        // A hello of an unknown future version still decodes.
        let (h, m) = decode(&[7, 0, 0, 16, 0, 0, 0, 1, 0, 1, 0, 8, 0, 0, 0, 0xb0]).unwrap();
        assert_eq!(h.version, 7);
        assert_eq!(
            m,
            Message::Hello(Hello {
                elements: vec![crate::hello::HelloElement::VersionBitmap(vec![0xb0])]
            })
        );
    }
}
