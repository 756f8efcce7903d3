//! Readable text of a message, in the spirit of `ovs-ofctl ofp-print`.
//!
//! The first line names the message as Open vSwitch does
//! (`OFPT_FLOW_MOD (OF1.3) (xid=0x2):`) followed by its scalar fields;
//! matches, actions, instructions and other nested structures follow in
//! their own readable form.

use std::fmt::Write as _;

use crate::action::format_actions;
use crate::config::AsyncProp;
use crate::header::Header;
use crate::instruction::format_instructions;
use crate::message::Message;
use crate::oxm::format_mac;
use crate::port::{format_port, PortDesc, PortProp};
use crate::Version;

fn version_tag(version: u8) -> String {
    match Version::from_wire(version) {
        Some(v) => {
            let name = v.ovs_name();
            format!("OF{}.{}", &name[8..9], &name[9..])
        }
        None => format!("OF0x{version:02x}"),
    }
}

fn hex_dump(out: &mut String, data: &[u8]) {
    for (i, chunk) in data.chunks(16).enumerate() {
        let _ = write!(out, "\n{:08x}  ", i * 16);
        for b in chunk {
            let _ = write!(out, "{b:02x} ");
        }
    }
}

fn port(p: u32) -> String {
    format_port(p)
}

fn port_desc(p: &PortDesc) -> String {
    let mut s = format!(
        "{}({}): addr:{} config: 0x{:x} state: 0x{:x}",
        format_port(p.port_no),
        p.name(),
        format_mac(&p.hw_addr),
        p.config,
        p.state
    );
    for prop in &p.properties {
        match prop {
            PortProp::Ethernet(e) => {
                let _ = write!(
                    s,
                    "\n     current: 0x{:x} advertised: 0x{:x} supported: 0x{:x} peer: 0x{:x} speed: {} Mbps now, {} Mbps max",
                    e.curr,
                    e.advertised,
                    e.supported,
                    e.peer,
                    e.curr_speed / 1000,
                    e.max_speed / 1000
                );
            }
            other => {
                let _ = write!(s, "\n     {other:?}");
            }
        }
    }
    s
}

fn buffer(b: u32) -> String {
    if b == 0xffff_ffff {
        "none".into()
    } else {
        format!("0x{b:x}")
    }
}

/// The text of one message with its header.
pub fn print(header: &Header, message: &Message) -> String {
    let version = Version::from_wire(header.version).unwrap_or(Version::V1_4);
    let kind = message.msg_type();
    let mut s = format!(
        "{} ({}) (xid=0x{:x}):",
        kind.name(version),
        version_tag(header.version),
        header.xid
    );
    let o = &mut s;
    match message {
        Message::Hello(h) => {
            if let Some(vs) = h.bitmap_versions() {
                let names: Vec<String> = vs.iter().map(|v| version_tag(*v)).collect();
                let _ = write!(o, "\n version bitmap: {}", names.join(", "));
            }
        }
        Message::Error(e) => {
            match e.names(version) {
                Some((t, Some(c))) => {
                    let _ = write!(o, " {t}/{c}");
                }
                Some((t, None)) if e.is_experimenter(version) => {
                    let _ = write!(
                        o,
                        " {t} experimenter=0x{:x} exp_type={}",
                        e.experimenter, e.code
                    );
                }
                Some((t, None)) => {
                    let _ = write!(o, " {t} code={}", e.code);
                }
                None => {
                    let _ = write!(o, " type={} code={}", e.err_type, e.code);
                }
            }
            hex_dump(o, &e.data);
        }
        Message::EchoRequest(d) | Message::EchoReply(d) => {
            let _ = write!(o, " {} bytes of payload", d.len());
            hex_dump(o, d);
        }
        Message::Experimenter(e) => {
            let _ = write!(
                o,
                " experimenter=0x{:x} exp_type={}",
                e.experimenter, e.exp_type
            );
            hex_dump(o, &e.data);
        }
        Message::FeaturesRequest
        | Message::GetConfigRequest
        | Message::BarrierRequest
        | Message::BarrierReply
        | Message::GetAsyncRequest => {}
        Message::FeaturesReply(f) => {
            let _ = write!(
                o,
                " dpid:{:016x}\nn_tables:{}, n_buffers:{}, auxiliary_id:{}\ncapabilities: 0x{:x}, actions: 0x{:x}",
                f.datapath_id, f.n_tables, f.n_buffers, f.auxiliary_id, f.capabilities, f.actions
            );
            for p in &f.ports {
                let _ = write!(o, "\n {}", port_desc(p));
            }
        }
        Message::GetConfigReply(c) | Message::SetConfig(c) => {
            let frags = match c.flags & 3 {
                0 => "normal",
                1 => "drop",
                2 => "reassemble",
                _ => "nx-match",
            };
            let _ = write!(o, " frags={frags} miss_send_len={}", c.miss_send_len);
        }
        Message::PacketIn(p) => {
            let _ = write!(
                o,
                " total_len={} reason={} table_id={} cookie=0x{:x} buffer={}\n match: {}\n data: {} bytes",
                p.total_len,
                p.reason,
                p.table_id,
                p.cookie,
                buffer(p.buffer_id),
                p.match_,
                p.data.len()
            );
            hex_dump(o, &p.data);
        }
        Message::FlowRemoved(f) => {
            let _ = write!(
                o,
                " cookie:0x{:x} priority={} reason={} table_id={} duration={}.{:09}s idle_timeout={} hard_timeout={} pkts={} bytes={}\n match: {}",
                f.cookie,
                f.priority,
                f.reason,
                f.table_id,
                f.duration_sec,
                f.duration_nsec,
                f.idle_timeout,
                f.hard_timeout,
                f.packet_count,
                f.byte_count,
                f.match_
            );
        }
        Message::PortStatus(p) => {
            let reason = match p.reason {
                0 => "ADD",
                1 => "DELETE",
                2 => "MODIFY",
                _ => "?",
            };
            let _ = write!(o, " {reason}: {}", port_desc(&p.desc));
        }
        Message::PacketOut(p) => {
            let _ = write!(
                o,
                " in_port={} buffer={} actions={} data_len={}",
                port(p.in_port),
                buffer(p.buffer_id),
                format_actions(&p.actions),
                p.data.len()
            );
            hex_dump(o, &p.data);
        }
        Message::FlowMod(f) => {
            let cmd = match f.command {
                0 => "ADD",
                1 => "MOD",
                2 => "MOD_STRICT",
                3 => "DEL",
                4 => "DEL_STRICT",
                _ => "?",
            };
            let _ = write!(
                o,
                " {cmd} table:{} priority={} cookie:0x{:x}/0x{:x} idle:{} hard:{} buffer:{} out_port:{} out_group:{} flags:0x{:x} importance:{}\n match: {}\n instructions: {}",
                f.table_id,
                f.priority,
                f.cookie,
                f.cookie_mask,
                f.idle_timeout,
                f.hard_timeout,
                buffer(f.buffer_id),
                port(f.out_port),
                f.out_group,
                f.flags,
                f.importance,
                f.match_,
                format_instructions(&f.instructions)
            );
        }
        Message::GroupMod(g) => {
            let _ = write!(
                o,
                " command={} type={:?} group_id={} buckets={:?}",
                g.command, g.group_type, g.group_id, g.buckets
            );
        }
        Message::PortMod(p) => {
            let _ = write!(
                o,
                " port: {}: addr:{} config: 0x{:x} mask: 0x{:x} properties: {:?}",
                port(p.port_no),
                p.hw_addr
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(":"),
                p.config,
                p.mask,
                p.properties
            );
        }
        Message::TableMod(t) => {
            let _ = write!(
                o,
                " table_id={} config=0x{:x} properties: {:?}",
                t.table_id, t.config, t.properties
            );
        }
        Message::MultipartRequest(m) => {
            let _ = write!(o, " flags=0x{:x} {:?}", m.flags, m.body);
        }
        Message::MultipartReply(m) => {
            let _ = write!(o, " flags=0x{:x} {:?}", m.flags, m.body);
        }
        Message::QueueGetConfigRequest(q) => {
            let _ = write!(o, " port={}", port(q.port));
        }
        Message::QueueGetConfigReply(q) => {
            let _ = write!(o, " port={}", port(q.port));
            for queue in &q.queues {
                let _ = write!(o, "\n queue {queue:?}");
            }
        }
        Message::RoleRequest(r) | Message::RoleReply(r) => {
            let role = match r.role {
                0 => "nochange",
                1 => "equal",
                2 => "master",
                3 => "slave",
                _ => "?",
            };
            let _ = write!(o, " role={role} generation_id={}", r.generation_id);
        }
        Message::GetAsyncReply(a) | Message::SetAsync(a) => {
            for p in &a.properties {
                match p {
                    AsyncProp::Reasons { prop_type, mask } => {
                        let _ = write!(o, "\n property {prop_type}: mask 0x{mask:x}");
                    }
                    AsyncProp::Experimenter { master, prop } => {
                        let side = if *master { "master" } else { "slave" };
                        let _ = write!(o, "\n experimenter ({side}): {prop:?}");
                    }
                }
            }
        }
        Message::MeterMod(m) => {
            let _ = write!(
                o,
                " command={} flags=0x{:x} meter_id={} bands={:?}",
                m.command, m.flags, m.meter_id, m.bands
            );
        }
        Message::RoleStatus(r) => {
            let _ = write!(
                o,
                " role={} reason={} generation_id={} properties={:?}",
                r.role, r.reason, r.generation_id, r.properties
            );
        }
        Message::TableStatus(t) => {
            let _ = write!(o, " reason={} table: {:?}", t.reason, t.table);
        }
        Message::RequestForward(r) => {
            let inner = Header {
                version: header.version,
                msg_type: r.request.msg_type().wire(version).unwrap_or(0),
                length: 0,
                xid: r.xid,
            };
            let _ = write!(o, "\n {}", print(&inner, &r.request).replace('\n', "\n "));
        }
        Message::BundleControl(b) => {
            let _ = write!(
                o,
                " bundle_id=0x{:x} type={} flags=0x{:x} properties={:?}",
                b.bundle_id, b.ctrl_type, b.flags, b.properties
            );
        }
        Message::BundleAdd(b) => {
            let inner = Header {
                version: header.version,
                msg_type: b.message.msg_type().wire(version).unwrap_or(0),
                length: 0,
                xid: b.xid,
            };
            let _ = write!(
                o,
                " bundle_id=0x{:x} flags=0x{:x} properties={:?}\n {}",
                b.bundle_id,
                b.flags,
                b.properties,
                print(&inner, &b.message).replace('\n', "\n ")
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::decode;

    #[test]
    fn names_and_fields() {
        let bytes = Message::BarrierRequest.encode(Version::V1_3, 0x2a).unwrap();
        let (h, m) = decode(&bytes).unwrap();
        assert_eq!(print(&h, &m), "OFPT_BARRIER_REQUEST (OF1.3) (xid=0x2a):");
        let bytes = Message::EchoRequest(vec![1, 2])
            .encode(Version::V1_0, 1)
            .unwrap();
        let (h, m) = decode(&bytes).unwrap();
        assert_eq!(
            print(&h, &m),
            "OFPT_ECHO_REQUEST (OF1.0) (xid=0x1): 2 bytes of payload\n00000000  01 02 "
        );
        let err = crate::error_msg::ErrorMsg {
            err_type: 1,
            code: 6,
            experimenter: 0,
            data: vec![],
        };
        let bytes = Message::Error(err).encode(Version::V1_4, 3).unwrap();
        let (h, m) = decode(&bytes).unwrap();
        assert_eq!(
            print(&h, &m),
            "OFPT_ERROR (OF1.4) (xid=0x3): BAD_REQUEST/BAD_LEN"
        );
    }
}
