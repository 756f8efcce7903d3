//! Mode `learning`: an L2 learning-switch controller (OpenFlow 1.0 and
//! 1.3, and 1.4 alike), the one of the classic tutorials.
//!
//! At connect (1.3+) it installs a table-miss flow sending packets to the
//! controller and turns packet-ins on for this connection (a management
//! socket gets none otherwise); on 1.0 it asks for whole packets on a miss.
//! On each packet-in it learns the source MAC on the ingress port; when the
//! destination is known it installs a flow (in_port, eth_src, eth_dst →
//! output) with an idle timeout, and forwards the packet with a packet-out
//! (by buffer id when the switch buffered it, by data otherwise); unknown
//! and group destinations are flooded.
//!
//! The MAC table is per switch and bounded ([`MacTable::new`]); when the
//! switch does not keep up with our replies, packet-ins are shed (counted)
//! rather than queued without bound.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use openflow::action::{Action, OFPCML_NO_BUFFER};
use openflow::config::{async_prop, AsyncConfig, AsyncProp, SwitchConfig};
use openflow::flow_match::Match;
use openflow::flow_mod::{command, FlowMod};
use openflow::instruction::Instruction;
use openflow::oxm::OxmField;
use openflow::packet::{PacketIn, PacketOut};
use openflow::port::{OFPP_CONTROLLER, OFPP_FLOOD, OFPP_MAX};
use openflow::{EncodeError, Header, Message, Version};

use crate::session::{Ctx, Handler};

/// `OFP_NO_BUFFER`: a packet-in that carries the whole packet.
pub const OFP_NO_BUFFER: u32 = 0xffff_ffff;
/// EtherType of LLDP, which a learning switch neither learns nor floods.
const ETH_TYPE_LLDP: u16 = 0x88cc;
/// Packet-ins are shed while more than this many bytes wait to be written.
const MAX_BACKLOG: usize = 4 << 20;

/// A MAC address.
pub type Mac = [u8; 6];

/// What to do with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Out of this port, and a flow for the pair is worth installing.
    Forward(u32),
    /// Out of every port but the ingress one.
    Flood,
    /// The destination is on the ingress port: drop.
    Drop,
}

/// Where each MAC address was last seen on one switch.
#[derive(Debug, Clone)]
pub struct MacTable {
    ports: HashMap<Mac, u32>,
    capacity: usize,
    /// Sources not learned because the table was full.
    pub overflowed: u64,
}

/// Whether `mac` is a group (multicast or broadcast) address.
pub fn is_group(mac: &Mac) -> bool {
    mac[0] & 1 != 0
}

impl MacTable {
    /// An empty table learning at most `capacity` addresses.
    pub fn new(capacity: usize) -> MacTable {
        MacTable {
            ports: HashMap::new(),
            capacity,
            overflowed: 0,
        }
    }

    /// The port `mac` was last seen on.
    pub fn port(&self, mac: &Mac) -> Option<u32> {
        self.ports.get(mac).copied()
    }

    /// Addresses known.
    pub fn len(&self) -> usize {
        self.ports.len()
    }

    /// Whether no address is known.
    pub fn is_empty(&self) -> bool {
        self.ports.is_empty()
    }

    /// Learns `src` on `in_port` (unicast sources only; a station that
    /// moved is updated) and decides where a packet to `dst` goes.
    pub fn learn_and_decide(&mut self, in_port: u32, src: &Mac, dst: &Mac) -> Decision {
        if !is_group(src) {
            if self.ports.len() < self.capacity || self.ports.contains_key(src) {
                self.ports.insert(*src, in_port);
            } else {
                self.overflowed += 1;
            }
        }
        if is_group(dst) {
            return Decision::Flood;
        }
        match self.port(dst) {
            Some(p) if p == in_port => Decision::Drop,
            Some(p) => Decision::Forward(p),
            None => Decision::Flood,
        }
    }
}

/// Counters of the learning controller, shared by all its switches.
#[derive(Debug, Default)]
pub struct LearningStats {
    /// Packet-ins received.
    pub packet_ins: AtomicU64,
    /// Flows installed (flow-mods sent, table-miss flows included).
    pub flows: AtomicU64,
    /// Packet-outs sent.
    pub packet_outs: AtomicU64,
    /// Packet-ins not handled because the switch did not read our replies.
    pub shed: AtomicU64,
    /// `OFPT_ERROR` messages received.
    pub errors: AtomicU64,
}

impl LearningStats {
    /// The `RESULT` line of the mode.
    pub fn result_line(&self) -> String {
        format!(
            "RESULT learning packet_ins={} flows={}",
            self.packet_ins.load(Ordering::Relaxed),
            self.flows.load(Ordering::Relaxed)
        )
    }
}

/// Settings of the learning controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearningConfig {
    /// Idle timeout of the flows it installs, in seconds (0: none).
    pub idle_timeout: u16,
    /// Priority of the flows it installs.
    pub priority: u16,
    /// Addresses learned per switch at most.
    pub max_macs: usize,
}

/// The learning controller of one switch connection.
#[derive(Debug)]
pub struct Learning {
    config: LearningConfig,
    table: MacTable,
    stats: Arc<LearningStats>,
}

/// The Ethernet destination, source and type of a frame.
pub fn ethernet(frame: &[u8]) -> Option<(Mac, Mac, u16)> {
    let dst: Mac = frame.get(0..6)?.try_into().ok()?;
    let src: Mac = frame.get(6..12)?.try_into().ok()?;
    let ty = frame.get(12..14)?;
    Some((dst, src, u16::from_be_bytes([ty[0], ty[1]])))
}

impl Learning {
    /// A controller for one switch, counting into `stats`.
    pub fn new(config: LearningConfig, stats: Arc<LearningStats>) -> Learning {
        Learning {
            table: MacTable::new(config.max_macs),
            config,
            stats,
        }
    }

    /// The MAC table.
    pub fn table(&self) -> &MacTable {
        &self.table
    }

    /// The messages answering `pi` (flow-mod then packet-out, a packet-out
    /// alone, or nothing).
    pub fn respond(&mut self, pi: &PacketIn) -> Vec<Message> {
        let Some(in_port) = pi.in_port() else {
            return Vec::new();
        };
        let Some((dst, src, eth_type)) = ethernet(&pi.data) else {
            return Vec::new();
        };
        if eth_type == ETH_TYPE_LLDP {
            return Vec::new();
        }
        let out = match self.table.learn_and_decide(in_port, &src, &dst) {
            Decision::Drop => return Vec::new(),
            Decision::Flood => OFPP_FLOOD,
            Decision::Forward(p) => p,
        };
        let mut msgs = Vec::with_capacity(2);
        let output = vec![Action::Output {
            port: out,
            max_len: 0,
        }];
        if out != OFPP_FLOOD && out <= OFPP_MAX {
            let mut fm = FlowMod::new(
                command::ADD,
                0,
                self.config.priority,
                Match::new(vec![
                    OxmField::InPort(in_port),
                    OxmField::EthDst {
                        value: dst,
                        mask: None,
                    },
                    OxmField::EthSrc {
                        value: src,
                        mask: None,
                    },
                ]),
                vec![Instruction::ApplyActions(output.clone())],
            );
            fm.idle_timeout = self.config.idle_timeout;
            msgs.push(Message::FlowMod(fm));
        }
        let buffered = pi.buffer_id != OFP_NO_BUFFER;
        msgs.push(Message::PacketOut(PacketOut {
            buffer_id: pi.buffer_id,
            in_port,
            actions: output,
            data: if buffered {
                Vec::new()
            } else {
                pi.data.clone()
            },
        }));
        msgs
    }
}

/// The table-miss flow of OpenFlow 1.3+: everything to the controller,
/// `max_len` bytes of each packet (`OFPCML_NO_BUFFER`: whole packets).
pub fn table_miss(max_len: u16) -> FlowMod {
    FlowMod::new(
        command::ADD,
        0,
        0,
        Match::default(),
        vec![Instruction::ApplyActions(vec![Action::Output {
            port: OFPP_CONTROLLER,
            max_len,
        }])],
    )
}

/// Asynchronous messages this controller wants as master or equal:
/// packet-ins for a miss and for an output to the controller, port status,
/// flow removed.
pub fn async_config() -> AsyncConfig {
    use async_prop::*;
    let prop = |prop_type, mask| AsyncProp::Reasons { prop_type, mask };
    AsyncConfig {
        properties: vec![
            prop(PACKET_IN_SLAVE, 0),
            prop(PACKET_IN_MASTER, 0b11),
            prop(PORT_STATUS_SLAVE, 0),
            prop(PORT_STATUS_MASTER, 0b111),
            prop(FLOW_REMOVED_SLAVE, 0),
            prop(FLOW_REMOVED_MASTER, 0b1111),
        ],
    }
}

impl Handler for Learning {
    fn connected(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        let version = ctx.conn.version().unwrap_or(Version::V1_0);
        if version >= Version::V1_3 {
            ctx.conn.send(&Message::SetAsync(async_config()))?;
            ctx.conn
                .send(&Message::FlowMod(table_miss(OFPCML_NO_BUFFER)))?;
            self.stats.flows.fetch_add(1, Ordering::Relaxed);
        } else {
            // OpenFlow 1.0-1.2 send misses to the controller: whole ones.
            ctx.conn.send(&Message::SetConfig(SwitchConfig {
                flags: 0,
                miss_send_len: OFPCML_NO_BUFFER,
            }))?;
        }
        ctx.conn.send(&Message::BarrierRequest)?;
        Ok(())
    }

    fn message(
        &mut self,
        ctx: &mut Ctx<'_>,
        _header: &Header,
        message: Message,
    ) -> Result<(), EncodeError> {
        match message {
            Message::PacketIn(pi) => {
                self.stats.packet_ins.fetch_add(1, Ordering::Relaxed);
                if ctx.backlog > MAX_BACKLOG {
                    self.stats.shed.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                for m in self.respond(&pi) {
                    let counter = match m {
                        Message::FlowMod(_) => &self.stats.flows,
                        _ => &self.stats.packet_outs,
                    };
                    ctx.conn.send(&m)?;
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            }
            Message::Error(_) => {
                self.stats.errors.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Mac = [0, 0, 0, 0, 0, 0xa];
    const B: Mac = [0, 0, 0, 0, 0, 0xb];
    const BCAST: Mac = [0xff; 6];

    #[test]
    fn learns_floods_forwards_and_drops() {
        let mut t = MacTable::new(16);
        // A on port 1 sends to B: unknown, flood; A learned.
        assert_eq!(t.learn_and_decide(1, &A, &B), Decision::Flood);
        assert_eq!(t.port(&A), Some(1));
        // B on port 2 answers A: known.
        assert_eq!(t.learn_and_decide(2, &B, &A), Decision::Forward(1));
        assert_eq!(t.learn_and_decide(1, &A, &B), Decision::Forward(2));
        // Broadcast floods even when known.
        assert_eq!(t.learn_and_decide(1, &A, &BCAST), Decision::Flood);
        // A moves to port 3; a packet for A from port 3 is dropped.
        assert_eq!(t.learn_and_decide(3, &A, &B), Decision::Forward(2));
        assert_eq!(t.learn_and_decide(3, &B, &A), Decision::Drop);
        // A group source is never learned.
        let mut m = BCAST;
        m[5] = 1;
        t.learn_and_decide(4, &m, &A);
        assert_eq!(t.port(&m), None);
    }

    #[test]
    fn the_table_is_bounded() {
        let mut t = MacTable::new(2);
        for i in 0..10u8 {
            t.learn_and_decide(1, &[0, 0, 0, 0, 1, i], &BCAST);
        }
        assert_eq!((t.len(), t.overflowed), (2, 8));
        // Known addresses still move.
        t.learn_and_decide(7, &[0, 0, 0, 0, 1, 0], &BCAST);
        assert_eq!(t.port(&[0, 0, 0, 0, 1, 0]), Some(7));
    }

    fn packet_in(in_port: u32, dst: Mac, src: Mac, buffer_id: u32) -> PacketIn {
        let mut data = Vec::new();
        data.extend_from_slice(&dst);
        data.extend_from_slice(&src);
        data.extend_from_slice(&0x0800u16.to_be_bytes());
        data.extend_from_slice(&[0u8; 46]);
        PacketIn {
            buffer_id,
            total_len: data.len() as u16,
            reason: 0,
            table_id: 0,
            cookie: 0,
            match_: Match::new(vec![OxmField::InPort(in_port)]),
            data,
        }
    }

    fn learning() -> Learning {
        Learning::new(
            LearningConfig {
                idle_timeout: 60,
                priority: 1,
                max_macs: 1024,
            },
            Arc::default(),
        )
    }

    #[test]
    fn answers_packet_ins_in_every_version() {
        let mut l = learning();
        // Unknown destination: a flooding packet-out carrying the data.
        let pi = packet_in(1, B, A, OFP_NO_BUFFER);
        let r = l.respond(&pi);
        let [Message::PacketOut(po)] = &r[..] else {
            panic!("{r:?}")
        };
        assert_eq!(
            po.actions,
            [Action::Output {
                port: OFPP_FLOOD,
                max_len: 0
            }]
        );
        assert_eq!((po.in_port, &po.data), (1, &pi.data));
        // Known destination, buffered packet: a flow, then a packet-out by
        // buffer id.
        let r = l.respond(&packet_in(2, A, B, 77));
        let [Message::FlowMod(fm), Message::PacketOut(po)] = &r[..] else {
            panic!("{r:?}")
        };
        assert_eq!(fm.idle_timeout, 60);
        assert_eq!(fm.match_.fields[0], OxmField::InPort(2));
        assert_eq!((po.buffer_id, po.data.len()), (77, 0));
        for v in [Version::V1_0, Version::V1_3, Version::V1_4] {
            for m in &r {
                let bytes = m.encode(v, 9).unwrap_or_else(|e| panic!("{v}: {e}"));
                assert_eq!(&openflow::decode(&bytes).unwrap().1, m, "{v}");
            }
        }
        // The 1.3 set-up messages encode.
        for m in [
            Message::FlowMod(table_miss(OFPCML_NO_BUFFER)),
            Message::SetAsync(async_config()),
        ] {
            m.encode(Version::V1_3, 1).unwrap();
            m.encode(Version::V1_4, 1).unwrap();
        }
        // Runts and LLDP are ignored.
        let mut runt = packet_in(1, B, A, OFP_NO_BUFFER);
        runt.data.truncate(13);
        assert!(l.respond(&runt).is_empty());
        let mut lldp = packet_in(1, B, A, OFP_NO_BUFFER);
        lldp.data[12..14].copy_from_slice(&ETH_TYPE_LLDP.to_be_bytes());
        assert!(l.respond(&lldp).is_empty());
    }
}
