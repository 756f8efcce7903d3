//! Proptest strategies generating messages each version can express
//! (feature `arbitrary`), for round-trip tests here and in other crates.

use proptest::collection::vec;
use proptest::prelude::*;

use crate::action::strategies::arb_actions;
use crate::bundle::{BundleAdd, BundleControl, RequestForward};
use crate::config::*;
use crate::error_msg::ErrorMsg;
use crate::flow_match::strategies::{arb_oxm_match, arb_v10_match, arb_v11_match};
use crate::flow_match::Match;
use crate::flow_mod::{FlowMod, FlowRemoved, OFPG_ANY};
use crate::group::strategies::{arb_buckets, arb_group_type};
use crate::group_meter_mod::{GroupMod, MeterMod};
use crate::hello::{Hello, HelloElement, OFPHET_VERSIONBITMAP};
use crate::instruction::strategies::arb_instructions;
use crate::instruction::{Instruction, InstructionList};
use crate::message::{Experimenter, Message};
use crate::meter::strategies::arb_meter_bands;
use crate::multipart::{
    arb_multipart_reply, arb_multipart_request, ExperimenterProp, TableDesc, TableVacancy,
};
use crate::oxm::OxmField;
use crate::packet::{PacketIn, PacketOut};
use crate::port::port_from_v10;
use crate::port::strategies::arb_port_desc;
use crate::queue::strategies::arb_packet_queue;
use crate::Version;

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max)
}

/// A port number `version` can carry (1.0: the 16-bit space mapped up).
pub fn arb_port(version: Version) -> BoxedStrategy<u32> {
    if version == Version::V1_0 {
        any::<u16>().prop_map(port_from_v10).boxed()
    } else {
        any::<u32>().boxed()
    }
}

/// A match of `version`'s wire format.
pub fn arb_match_for(version: Version) -> BoxedStrategy<Match> {
    match version {
        Version::V1_0 => arb_v10_match().boxed(),
        Version::V1_1 => arb_v11_match().boxed(),
        _ => arb_oxm_match().boxed(),
    }
}

/// An experimenter property.
pub fn arb_experimenter_prop() -> impl Strategy<Value = ExperimenterProp> {
    (any::<u32>(), any::<u32>(), bytes(12)).prop_map(|(experimenter, exp_type, data)| {
        ExperimenterProp {
            experimenter,
            exp_type,
            data,
        }
    })
}

fn exp_props(version: Version) -> BoxedStrategy<Vec<ExperimenterProp>> {
    if version >= Version::V1_4 {
        vec(arb_experimenter_prop(), 0..3).boxed()
    } else {
        Just(Vec::new()).boxed()
    }
}

fn arb_hello() -> impl Strategy<Value = Hello> {
    let elem = prop_oneof![
        vec(any::<u32>(), 0..3).prop_map(HelloElement::VersionBitmap),
        (2u16.., bytes(12)).prop_map(|(elem_type, data)| HelloElement::Unknown { elem_type, data }),
    ];
    vec(elem, 0..3).prop_map(|elements| Hello { elements }).prop_filter("bitmap type", |h| {
        h.elements
            .iter()
            .all(|e| !matches!(e, HelloElement::Unknown { elem_type, .. } if *elem_type == OFPHET_VERSIONBITMAP))
    })
}

fn arb_table_prop() -> impl Strategy<Value = TableProp> {
    prop_oneof![
        any::<u32>().prop_map(|flags| TableProp::Eviction { flags }),
        (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(vacancy_down, vacancy_up, vacancy)| {
            TableProp::Vacancy {
                vacancy_down,
                vacancy_up,
                vacancy,
            }
        }),
        arb_experimenter_prop().prop_map(TableProp::Experimenter),
    ]
}

fn table_props(version: Version) -> BoxedStrategy<Vec<TableProp>> {
    if version >= Version::V1_4 {
        vec(arb_table_prop(), 0..3).boxed()
    } else {
        Just(Vec::new()).boxed()
    }
}

fn arb_async(version: Version) -> BoxedStrategy<AsyncConfig> {
    if version < Version::V1_4 {
        vec(any::<u32>(), 6)
            .prop_map(|masks| AsyncConfig {
                properties: masks
                    .into_iter()
                    .enumerate()
                    .map(|(i, mask)| AsyncProp::Reasons {
                        prop_type: i as u16,
                        mask,
                    })
                    .collect(),
            })
            .boxed()
    } else {
        let prop = prop_oneof![
            (0u16..12, any::<u32>())
                .prop_map(|(prop_type, mask)| AsyncProp::Reasons { prop_type, mask }),
            (any::<bool>(), arb_experimenter_prop())
                .prop_map(|(master, prop)| AsyncProp::Experimenter { master, prop }),
        ];
        vec(prop, 0..6)
            .prop_map(|properties| AsyncConfig { properties })
            .boxed()
    }
}

fn arb_port_mod(version: Version) -> BoxedStrategy<PortMod> {
    let props = if version < Version::V1_4 {
        any::<u32>()
            .prop_map(|advertise| vec![PortModProp::Ethernet { advertise }])
            .boxed()
    } else {
        let prop = prop_oneof![
            any::<u32>().prop_map(|advertise| PortModProp::Ethernet { advertise }),
            (
                any::<u32>(),
                any::<u32>(),
                any::<i32>(),
                any::<u32>(),
                any::<u32>()
            )
                .prop_map(|(configure, freq_lmda, fl_offset, grid_span, tx_pwr)| {
                    PortModProp::Optical {
                        configure,
                        freq_lmda,
                        fl_offset,
                        grid_span,
                        tx_pwr,
                    }
                }),
            arb_experimenter_prop().prop_map(PortModProp::Experimenter),
        ];
        vec(prop, 0..3).boxed()
    };
    (
        arb_port(version),
        any::<[u8; 6]>(),
        any::<u32>(),
        any::<u32>(),
        props,
    )
        .prop_map(|(port_no, hw_addr, config, mask, properties)| PortMod {
            port_no,
            hw_addr,
            config,
            mask,
            properties,
        })
        .boxed()
}

fn arb_flow_mod(version: Version) -> BoxedStrategy<FlowMod> {
    let v10 = version == Version::V1_0;
    let instructions = if v10 {
        prop_oneof![
            Just(InstructionList::new()),
            arb_actions(version)
                .prop_filter("non-empty", |a| !a.is_empty())
                .prop_map(|a| InstructionList::from([Instruction::ApplyActions(a)])),
        ]
        .boxed()
    } else {
        arb_instructions(version).boxed()
    };
    let importance = if version >= Version::V1_4 {
        any::<u16>().boxed()
    } else {
        Just(0).boxed()
    };
    let scalars = (
        any::<u64>(),
        if v10 {
            Just(0u64).boxed()
        } else {
            any::<u64>().boxed()
        },
        if v10 {
            Just(0u8).boxed()
        } else {
            any::<u8>().boxed()
        },
        any::<u8>(),
        any::<(u16, u16, u16, u32)>(),
        arb_port(version),
        if v10 {
            Just(OFPG_ANY).boxed()
        } else {
            any::<u32>().boxed()
        },
        any::<u16>(),
        importance,
    );
    (scalars, arb_match_for(version), instructions)
        .prop_map(
            |(
                (
                    cookie,
                    cookie_mask,
                    table_id,
                    command,
                    (idle_timeout, hard_timeout, priority, buffer_id),
                    out_port,
                    out_group,
                    flags,
                    importance,
                ),
                match_,
                instructions,
            )| FlowMod {
                cookie,
                cookie_mask,
                table_id,
                command,
                idle_timeout,
                hard_timeout,
                priority,
                buffer_id,
                out_port,
                out_group,
                flags,
                importance,
                match_,
                instructions,
            },
        )
        .boxed()
}

fn arb_packet_in(version: Version) -> BoxedStrategy<PacketIn> {
    let match_ = match version {
        Version::V1_0 => arb_port(version)
            .prop_map(|p| Match::new(vec![OxmField::InPort(p)]))
            .boxed(),
        Version::V1_1 => (any::<u32>(), any::<u32>())
            .prop_map(|(p, q)| Match::new(vec![OxmField::InPort(p), OxmField::InPhyPort(q)]))
            .boxed(),
        _ => arb_oxm_match().boxed(),
    };
    let table = if version == Version::V1_0 {
        Just(0u8).boxed()
    } else {
        any::<u8>().boxed()
    };
    let cookie = if version >= Version::V1_3 {
        any::<u64>().boxed()
    } else {
        Just(0u64).boxed()
    };
    (
        any::<u32>(),
        any::<u16>(),
        any::<u8>(),
        table,
        cookie,
        match_,
        bytes(80),
    )
        .prop_map(
            |(buffer_id, total_len, reason, table_id, cookie, match_, data)| PacketIn {
                buffer_id,
                total_len,
                reason,
                table_id,
                cookie,
                match_,
                data,
            },
        )
        .boxed()
}

fn arb_flow_removed(version: Version) -> BoxedStrategy<FlowRemoved> {
    let v10 = version == Version::V1_0;
    (
        any::<(u64, u16, u8)>(),
        if v10 {
            Just(0u8).boxed()
        } else {
            any::<u8>().boxed()
        },
        any::<(u32, u32, u16)>(),
        if v10 {
            Just(0u16).boxed()
        } else {
            any::<u16>().boxed()
        },
        any::<(u64, u64)>(),
        arb_match_for(version),
    )
        .prop_map(
            |(
                (cookie, priority, reason),
                table_id,
                (duration_sec, duration_nsec, idle_timeout),
                hard_timeout,
                (packet_count, byte_count),
                match_,
            )| {
                FlowRemoved {
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
                }
            },
        )
        .boxed()
}

/// A group-mod of `version` (1.1+).
pub fn arb_group_mod(version: Version) -> impl Strategy<Value = GroupMod> {
    (
        any::<u16>(),
        arb_group_type(),
        any::<u32>(),
        arb_buckets(version),
    )
        .prop_map(|(command, group_type, group_id, buckets)| GroupMod {
            command,
            group_type,
            group_id,
            buckets,
        })
}

/// A meter-mod (1.3+).
pub fn arb_meter_mod() -> impl Strategy<Value = MeterMod> {
    (any::<(u16, u16, u32)>(), arb_meter_bands()).prop_map(|((command, flags, meter_id), bands)| {
        MeterMod {
            command,
            flags,
            meter_id,
            bands,
        }
    })
}

/// A message that can nest inside a bundle-add or requestforward.
fn arb_inner(version: Version) -> BoxedStrategy<Message> {
    prop_oneof![
        arb_flow_mod(version).prop_map(Message::FlowMod),
        arb_port_mod(version).prop_map(Message::PortMod),
        arb_group_mod(version).prop_map(Message::GroupMod),
        Just(Message::BarrierRequest),
    ]
    .boxed()
}

/// Any message `version` can express.
pub fn arb_message(version: Version) -> BoxedStrategy<Message> {
    let v = version;
    let mut choices: Vec<BoxedStrategy<Message>> = vec![
        arb_hello().prop_map(Message::Hello).boxed(),
        (any::<u16>(), any::<u16>(), any::<u32>(), bytes(80))
            .prop_map(move |(err_type, code, exp, data)| {
                let experimenter = if err_type == 0xffff && v >= Version::V1_2 {
                    exp
                } else {
                    0
                };
                Message::Error(ErrorMsg {
                    err_type,
                    code,
                    experimenter,
                    data,
                })
            })
            .boxed(),
        bytes(64).prop_map(Message::EchoRequest).boxed(),
        bytes(64).prop_map(Message::EchoReply).boxed(),
        (
            any::<u32>(),
            if v == Version::V1_0 {
                Just(0u32).boxed()
            } else {
                any::<u32>().boxed()
            },
            bytes(32),
        )
            .prop_map(|(experimenter, exp_type, data)| {
                Message::Experimenter(Experimenter {
                    experimenter,
                    exp_type,
                    data,
                })
            })
            .boxed(),
        Just(Message::FeaturesRequest).boxed(),
        (
            any::<(u64, u32, u8)>(),
            if v >= Version::V1_3 {
                any::<u8>().boxed()
            } else {
                Just(0u8).boxed()
            },
            any::<(u32, u32)>(),
            if v >= Version::V1_3 {
                Just(Vec::new()).boxed()
            } else {
                vec(arb_port_desc(v), 0..3).boxed()
            },
        )
            .prop_map(
                |(
                    (datapath_id, n_buffers, n_tables),
                    auxiliary_id,
                    (capabilities, actions),
                    ports,
                )| {
                    Message::FeaturesReply(FeaturesReply {
                        datapath_id,
                        n_buffers,
                        n_tables,
                        auxiliary_id,
                        capabilities,
                        actions,
                        ports,
                    })
                },
            )
            .boxed(),
        Just(Message::GetConfigRequest).boxed(),
        any::<(u16, u16)>()
            .prop_map(|(flags, miss_send_len)| {
                Message::GetConfigReply(SwitchConfig {
                    flags,
                    miss_send_len,
                })
            })
            .boxed(),
        any::<(u16, u16)>()
            .prop_map(|(flags, miss_send_len)| {
                Message::SetConfig(SwitchConfig {
                    flags,
                    miss_send_len,
                })
            })
            .boxed(),
        arb_packet_in(v).prop_map(Message::PacketIn).boxed(),
        arb_flow_removed(v).prop_map(Message::FlowRemoved).boxed(),
        (any::<u8>(), arb_port_desc(v))
            .prop_map(|(reason, desc)| Message::PortStatus(PortStatus { reason, desc }))
            .boxed(),
        (any::<u32>(), arb_port(v), arb_actions(v), bytes(64))
            .prop_map(|(buffer_id, in_port, actions, data)| {
                Message::PacketOut(PacketOut {
                    buffer_id,
                    in_port,
                    actions,
                    data,
                })
            })
            .boxed(),
        arb_flow_mod(v).prop_map(Message::FlowMod).boxed(),
        arb_port_mod(v).prop_map(Message::PortMod).boxed(),
        arb_multipart_request(v)
            .prop_map(Message::MultipartRequest)
            .boxed(),
        arb_multipart_reply(v)
            .prop_map(Message::MultipartReply)
            .boxed(),
        Just(Message::BarrierRequest).boxed(),
        Just(Message::BarrierReply).boxed(),
    ];
    if v < Version::V1_4 {
        choices.push(
            arb_port(v)
                .prop_map(|port| Message::QueueGetConfigRequest(QueueGetConfigRequest { port }))
                .boxed(),
        );
        choices.push(
            (arb_port(v), vec(arb_packet_queue(v), 0..3))
                .prop_map(|(port, queues)| {
                    Message::QueueGetConfigReply(QueueGetConfigReply { port, queues })
                })
                .boxed(),
        );
    }
    if v >= Version::V1_1 {
        choices.push(arb_group_mod(v).prop_map(Message::GroupMod).boxed());
        choices.push(
            (any::<u8>(), any::<u32>(), table_props(v))
                .prop_map(|(table_id, config, properties)| {
                    Message::TableMod(TableMod {
                        table_id,
                        config,
                        properties,
                    })
                })
                .boxed(),
        );
    }
    if v >= Version::V1_2 {
        choices.push(
            any::<(u32, u64)>()
                .prop_map(|(role, generation_id)| {
                    Message::RoleRequest(RoleMsg {
                        role,
                        generation_id,
                    })
                })
                .boxed(),
        );
        choices.push(
            any::<(u32, u64)>()
                .prop_map(|(role, generation_id)| {
                    Message::RoleReply(RoleMsg {
                        role,
                        generation_id,
                    })
                })
                .boxed(),
        );
    }
    if v >= Version::V1_3 {
        choices.push(Just(Message::GetAsyncRequest).boxed());
        choices.push(arb_async(v).prop_map(Message::GetAsyncReply).boxed());
        choices.push(arb_async(v).prop_map(Message::SetAsync).boxed());
        choices.push(arb_meter_mod().prop_map(Message::MeterMod).boxed());
    }
    if v >= Version::V1_4 {
        choices.push(
            (any::<(u32, u8, u64)>(), exp_props(v))
                .prop_map(|((role, reason, generation_id), properties)| {
                    Message::RoleStatus(RoleStatus {
                        role,
                        reason,
                        generation_id,
                        properties,
                    })
                })
                .boxed(),
        );
        choices.push(
            (
                any::<(u8, u8, u32)>(),
                proptest::option::of(any::<u32>()),
                proptest::option::of(any::<(u8, u8, u8)>()),
                exp_props(v),
            )
                .prop_map(
                    |((reason, table_id, config), eviction, vacancy, experimenter)| {
                        let vacancy =
                            vacancy.map(|(vacancy_down, vacancy_up, vacancy)| TableVacancy {
                                vacancy_down,
                                vacancy_up,
                                vacancy,
                            });
                        Message::TableStatus(TableStatus {
                            reason,
                            table: TableDesc {
                                table_id,
                                config,
                                eviction,
                                vacancy,
                                experimenter,
                            },
                        })
                    },
                )
                .boxed(),
        );
        choices.push(
            (any::<u32>(), arb_inner(v))
                .prop_map(|(xid, request)| {
                    Message::RequestForward(RequestForward {
                        xid,
                        request: Box::new(request),
                    })
                })
                .boxed(),
        );
        choices.push(
            (any::<(u32, u16, u16)>(), exp_props(v))
                .prop_map(|((bundle_id, ctrl_type, flags), properties)| {
                    Message::BundleControl(BundleControl {
                        bundle_id,
                        ctrl_type,
                        flags,
                        properties,
                    })
                })
                .boxed(),
        );
        choices.push(
            (any::<(u32, u16, u32)>(), arb_inner(v), exp_props(v))
                .prop_map(|((bundle_id, flags, xid), message, properties)| {
                    Message::BundleAdd(BundleAdd {
                        bundle_id,
                        flags,
                        xid,
                        message: Box::new(message),
                        properties,
                    })
                })
                .boxed(),
        );
    }
    proptest::strategy::Union::new(choices).boxed()
}
