//! One sample message of each type a version has, for the interop tests.
//!
//! Most are built by hand with values Open vSwitch and Wireshark accept;
//! the types that nest structures owned by other modules (port
//! descriptions, multipart bodies) come from os-ken's golden messages,
//! re-encoded for the target version.

use openflow::action::Action;
use openflow::bundle::{BundleAdd, BundleControl, RequestForward};
use openflow::config::*;
use openflow::error_msg::ErrorMsg;
use openflow::flow_match::Match;
use openflow::flow_mod::{FlowMod, FlowRemoved};
use openflow::group::GroupType;
use openflow::group_meter_mod::{GroupMod, MeterMod};
use openflow::hello::Hello;
use openflow::instruction::Instruction;
use openflow::message::{Experimenter, MsgType};
use openflow::multipart::{TableDesc, TableVacancy};
use openflow::oxm::OxmField;
use openflow::packet::{PacketIn, PacketOut};
use openflow::port::{port_name, PortDesc, PortEthernet, PortProp};
use openflow::{decode, ErrorKind, Message, Version};

use super::{golden_files, split_messages, GOLDEN_DIRS};

/// The xid of every sample.
pub const SAMPLE_XID: u32 = 0x100;

/// A 60-byte Ethernet/IPv4/UDP frame (to the discard port).
pub fn frame() -> Vec<u8> {
    let mut f = vec![
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa, 0x08,
        0x00, // eth
        0x45, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 10, 0, 0, 1, 10, 0,
        0, 2, // ipv4
        0x9c, 0x40, 0x00, 0x09, 0x00, 0x1a, 0x00, 0x00, // udp 40000 -> 9
    ];
    f.resize(60, 0);
    f
}

fn flow_mod() -> FlowMod {
    FlowMod {
        cookie: 0x10,
        cookie_mask: 0,
        table_id: 0,
        command: 0,
        idle_timeout: 0,
        hard_timeout: 0,
        priority: 100,
        buffer_id: 0xffff_ffff,
        out_port: 0xffff_ffff,
        out_group: 0xffff_ffff,
        flags: 1,
        importance: 0,
        match_: Match::new(vec![OxmField::InPort(1)]),
        instructions: vec![Instruction::ApplyActions(vec![Action::Output {
            port: 2,
            max_len: 0,
        }])]
        .into(),
    }
}

/// Every golden message, decoded (version, message).
pub fn golden_pool() -> Vec<(Version, Message)> {
    let mut pool = Vec::new();
    for (dir, _) in GOLDEN_DIRS {
        for path in golden_files(dir) {
            let bytes = std::fs::read(&path).expect("read golden");
            for m in split_messages(&bytes) {
                if let Ok((h, msg)) = decode(m) {
                    pool.push((Version::from_wire(h.version).expect("version"), msg));
                }
            }
        }
    }
    pool
}

/// A hand-built message of `kind` for `version`, where one can be built
/// without nested structures of other modules.
pub fn hand_built(kind: MsgType, version: Version) -> Option<Message> {
    let v13 = version >= Version::V1_3;
    let barrier = Message::BarrierRequest.encode(version, 9).ok()?;
    Some(match kind {
        MsgType::Hello => Message::Hello(if v13 {
            Hello::with_versions(&[version])
        } else {
            Hello::default()
        }),
        MsgType::Error => {
            Message::Error(ErrorMsg::for_request(ErrorKind::BadType, version, &barrier))
        }
        MsgType::EchoRequest => Message::EchoRequest(vec![1, 2, 3, 4]),
        MsgType::EchoReply => Message::EchoReply(vec![1, 2, 3, 4]),
        // Nicira NXT_SET_PACKET_IN_FORMAT (16) to NXPIF_STANDARD (0).
        MsgType::Experimenter => Message::Experimenter(if version == Version::V1_0 {
            Experimenter {
                experimenter: 0x2320,
                exp_type: 0,
                data: vec![0, 0, 0, 16, 0, 0, 0, 0],
            }
        } else {
            Experimenter {
                experimenter: 0x2320,
                exp_type: 16,
                data: vec![0, 0, 0, 0],
            }
        }),
        MsgType::FeaturesRequest => Message::FeaturesRequest,
        MsgType::FeaturesReply => Message::FeaturesReply(FeaturesReply {
            datapath_id: 0x0000_0000_0000_0abc,
            n_buffers: 0,
            n_tables: 254,
            auxiliary_id: 0,
            capabilities: 0x47,
            actions: if version == Version::V1_0 { 0xfff } else { 0 },
            ports: Vec::new(),
        }),
        MsgType::GetConfigRequest => Message::GetConfigRequest,
        MsgType::GetConfigReply => Message::GetConfigReply(SwitchConfig {
            flags: 0,
            miss_send_len: 128,
        }),
        MsgType::SetConfig => Message::SetConfig(SwitchConfig {
            flags: 0,
            miss_send_len: 128,
        }),
        MsgType::PacketIn => Message::PacketIn(PacketIn {
            buffer_id: 0xffff_ffff,
            total_len: 60,
            reason: 0,
            table_id: 0,
            cookie: if v13 { 0x1234 } else { 0 },
            match_: Match::new(match version {
                Version::V1_1 => vec![OxmField::InPort(1), OxmField::InPhyPort(1)],
                _ => vec![OxmField::InPort(1)],
            }),
            data: frame(),
        }),
        MsgType::FlowRemoved => Message::FlowRemoved(FlowRemoved {
            cookie: 0x10,
            priority: 100,
            reason: 0,
            table_id: 0,
            duration_sec: 5,
            duration_nsec: 1000,
            idle_timeout: 10,
            hard_timeout: 0,
            packet_count: 3,
            byte_count: 180,
            match_: Match::new(vec![OxmField::InPort(1)]),
        }),
        MsgType::PacketOut => Message::PacketOut(PacketOut {
            buffer_id: 0xffff_ffff,
            in_port: 0xffff_fffd,
            actions: vec![Action::Output {
                port: 2,
                max_len: 0,
            }],
            data: frame(),
        }),
        MsgType::FlowMod => Message::FlowMod(flow_mod()),
        MsgType::GroupMod => Message::GroupMod(GroupMod {
            command: 0,
            group_type: GroupType::All,
            group_id: 1,
            buckets: Vec::new(),
        }),
        MsgType::PortMod => Message::PortMod(PortMod {
            port_no: 1,
            hw_addr: [0, 0x11, 0x22, 0x33, 0x44, 0x55],
            config: 1,
            mask: 1,
            properties: vec![PortModProp::Ethernet { advertise: 0 }],
        }),
        MsgType::TableMod => Message::TableMod(TableMod {
            table_id: 0,
            config: 0,
            properties: Vec::new(),
        }),
        MsgType::BarrierRequest => Message::BarrierRequest,
        MsgType::BarrierReply => Message::BarrierReply,
        MsgType::QueueGetConfigRequest => {
            Message::QueueGetConfigRequest(QueueGetConfigRequest { port: 1 })
        }
        MsgType::QueueGetConfigReply => Message::QueueGetConfigReply(QueueGetConfigReply {
            port: 1,
            queues: Vec::new(),
        }),
        MsgType::RoleRequest => Message::RoleRequest(RoleMsg {
            role: 2,
            generation_id: 7,
        }),
        MsgType::RoleReply => Message::RoleReply(RoleMsg {
            role: 2,
            generation_id: 7,
        }),
        MsgType::GetAsyncRequest => Message::GetAsyncRequest,
        MsgType::GetAsyncReply | MsgType::SetAsync => {
            let properties = (0..6u16)
                .map(|t| AsyncProp::Reasons {
                    prop_type: t,
                    mask: 0x3,
                })
                .collect();
            let a = AsyncConfig { properties };
            if kind == MsgType::SetAsync {
                Message::SetAsync(a)
            } else {
                Message::GetAsyncReply(a)
            }
        }
        MsgType::MeterMod => Message::MeterMod(MeterMod {
            command: 0,
            flags: 1,
            meter_id: 1,
            bands: Vec::new(),
        }),
        MsgType::RoleStatus => Message::RoleStatus(RoleStatus {
            role: 2,
            reason: 0,
            generation_id: 7,
            properties: Vec::new(),
        }),
        MsgType::TableStatus => Message::TableStatus(TableStatus {
            reason: 3,
            table: TableDesc {
                table_id: 0,
                config: 0,
                eviction: None,
                vacancy: Some(TableVacancy {
                    vacancy_down: 10,
                    vacancy_up: 90,
                    vacancy: 5,
                }),
                experimenter: Vec::new(),
            },
        }),
        MsgType::RequestForward => Message::RequestForward(RequestForward {
            xid: 11,
            request: Box::new(Message::GroupMod(GroupMod {
                command: 0,
                group_type: GroupType::All,
                group_id: 1,
                buckets: Vec::new(),
            })),
        }),
        MsgType::BundleControl => Message::BundleControl(BundleControl {
            bundle_id: 1,
            ctrl_type: 0,
            flags: 1,
            properties: Vec::new(),
        }),
        MsgType::BundleAdd => Message::BundleAdd(BundleAdd {
            bundle_id: 1,
            flags: 1,
            // Open vSwitch wants the inner xid equal to the bundle-add's.
            xid: SAMPLE_XID,
            message: Box::new(Message::FlowMod(flow_mod())),
            properties: Vec::new(),
        }),
        MsgType::PortStatus => Message::PortStatus(PortStatus {
            reason: 0,
            desc: PortDesc {
                port_no: 1,
                hw_addr: [0x02, 0, 0, 0, 0, 1],
                name: port_name("p1"),
                config: 0,
                state: 4,
                properties: vec![PortProp::Ethernet(PortEthernet {
                    curr: 0x2040,
                    advertised: 0x2040,
                    supported: 0x2040,
                    peer: 0,
                    curr_speed: 10_000_000,
                    max_speed: 10_000_000,
                })],
            },
        }),
        MsgType::MultipartRequest | MsgType::MultipartReply => return None,
    })
}

/// Every message kind.
pub const ALL_KINDS: [MsgType; 35] = {
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
        GroupMod,
        PortMod,
        TableMod,
        MultipartRequest,
        MultipartReply,
        BarrierRequest,
        BarrierReply,
        QueueGetConfigRequest,
        QueueGetConfigReply,
        RoleRequest,
        RoleReply,
        GetAsyncRequest,
        GetAsyncReply,
        SetAsync,
        MeterMod,
        RoleStatus,
        TableStatus,
        RequestForward,
        BundleControl,
        BundleAdd,
    ]
};

/// One encoded sample of every kind `version` has: (kind, bytes). Kinds
/// that cannot be built by hand take the first golden message of that kind
/// (preferring the same version) that encodes for `version`. Panics naming
/// any kind with no sample.
pub fn samples(version: Version, pool: &[(Version, Message)]) -> Vec<(MsgType, Vec<u8>)> {
    let mut out = Vec::new();
    for kind in ALL_KINDS {
        if kind.wire(version).is_none() {
            continue;
        }
        let bytes = match hand_built(kind, version) {
            Some(m) => m
                .encode(version, SAMPLE_XID)
                .unwrap_or_else(|e| panic!("{kind:?} for {version}: {e}")),
            None => {
                let mut candidates: Vec<&(Version, Message)> =
                    pool.iter().filter(|(_, m)| m.msg_type() == kind).collect();
                candidates
                    .sort_by_key(|(v, _)| (*v != version, (*v as i32 - version as i32).abs()));
                candidates
                    .iter()
                    .find_map(|(_, m)| m.encode(version, SAMPLE_XID).ok())
                    .unwrap_or_else(|| panic!("no sample of {kind:?} encodes for {version}"))
            }
        };
        out.push((kind, bytes));
    }
    out
}
