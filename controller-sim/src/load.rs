//! Mode `load`: install N distinct flows as fast as the switch accepts
//! them and measure the time to the last confirmation.
//!
//! Flow-mods are pipelined. Every K flow-mods a barrier request follows
//! (with `--bundle`: each K flow-mods travel as one OpenFlow 1.4 bundle,
//! open / add ×K / commit, and the commit reply confirms them). At most
//! `window` barriers (bundles) are outstanding; the next batch waits for
//! the oldest confirmation, so memory on both ends stays bounded whatever N.
//! Each bundle is committed before the next one opens: a switch that reads
//! its messages in order holds one open bundle at a time, whatever the
//! window (Open vSwitch and ferrovs allow 16 per connection).
//!
//! Time runs from the end of the hello exchange to the reply to the final
//! barrier (bundle commit). An `OFPT_ERROR` in reply to a barrier or a
//! commit also confirms it (a failed commit answers with errors, never a
//! commit reply); every error message is counted.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use openflow::action::Action;
use openflow::bundle::{ctrl_type, BundleAdd, BundleControl};
use openflow::flow_mod::{command, FlowMod};
use openflow::instruction::Instruction;
use openflow::{EncodeError, Header, Message};

use crate::flows::{flow_match, FlowShape};
use crate::session::{Ctx, Handler};

/// `OFPBF_ATOMIC`.
const OFPBF_ATOMIC: u16 = 1;
/// Flow-mods queued per [`Handler::fill`] call.
const FILL_BATCH: u32 = 512;

/// Settings of a load run on one switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadConfig {
    /// Flows to install.
    pub flows: u32,
    /// Flow-mods per barrier (per bundle with `bundle`); at least 1.
    pub batch: u32,
    /// Send each batch as an OpenFlow 1.4 bundle instead of a barrier.
    pub bundle: bool,
    /// Barriers (bundles) outstanding at most; at least 1.
    pub window: usize,
    /// Table of the flows.
    pub table: u8,
    /// Priority of every flow.
    pub priority: u16,
    /// Output port of every flow (`None`: no actions, the packet is
    /// dropped).
    pub out_port: Option<u32>,
    /// Which fields the flows match.
    pub shape: FlowShape,
}

/// A barrier or bundle commit waiting for its reply.
#[derive(Debug, Clone, Copy)]
struct Pending {
    /// xid of the barrier request or the commit.
    xid: u32,
    /// Flows sent before it (all confirmed by its reply).
    upto: u32,
}

/// The outcome of a load run on one switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadResult {
    /// Flows sent (each confirmed by a barrier or a commit).
    pub flows: u32,
    /// From the end of the hello exchange to the final confirmation.
    pub elapsed: Duration,
    /// `OFPT_ERROR` messages received.
    pub errors: u64,
}

/// The load state machine of one switch connection.
#[derive(Debug)]
pub struct Load {
    config: LoadConfig,
    /// Index of the next flow to send.
    next: u32,
    /// Flow-mods since the last barrier (in the open bundle).
    in_batch: u32,
    /// The open bundle's id.
    bundle_id: u32,
    pending: VecDeque<Pending>,
    started: Option<Instant>,
    ended: Option<Instant>,
    confirmed: u32,
    errors: u64,
}

impl Load {
    /// A run with `config` (batch and window raised to at least 1).
    pub fn new(mut config: LoadConfig) -> Load {
        config.batch = config.batch.max(1);
        config.window = config.window.max(1);
        Load {
            config,
            next: 0,
            in_batch: 0,
            bundle_id: 0,
            pending: VecDeque::new(),
            started: None,
            ended: None,
            confirmed: 0,
            errors: 0,
        }
    }

    /// Flows confirmed so far.
    pub fn confirmed(&self) -> u32 {
        self.confirmed
    }

    /// Flows sent so far.
    pub fn sent(&self) -> u32 {
        self.next
    }

    /// Error messages received so far.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// The outcome, once the run is over.
    pub fn result(&self) -> Option<LoadResult> {
        Some(LoadResult {
            flows: self.next,
            elapsed: self.ended?.saturating_duration_since(self.started?),
            errors: self.errors,
        })
    }

    /// The flow-mod of flow `i`.
    pub fn flow_mod(&self, i: u32) -> FlowMod {
        let instructions = match self.config.out_port {
            Some(port) => vec![Instruction::ApplyActions(vec![Action::Output {
                port,
                max_len: 0,
            }])],
            None => Vec::new(),
        };
        FlowMod::new(
            command::ADD,
            self.config.table,
            self.config.priority,
            flow_match(self.config.shape, i),
            instructions,
        )
    }

    fn bundle_control(&self, ctrl_type: u16) -> Message {
        Message::BundleControl(BundleControl {
            bundle_id: self.bundle_id,
            ctrl_type,
            flags: OFPBF_ATOMIC,
            properties: Vec::new(),
        })
    }

    /// Sends flow `self.next` (inside the open bundle in bundle mode).
    fn send_flow(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        let fm = Message::FlowMod(self.flow_mod(self.next));
        if self.config.bundle {
            if self.in_batch == 0 {
                ctx.conn
                    .send(&self.bundle_control(ctrl_type::OPEN_REQUEST))?;
            }
            let xid = ctx.conn.alloc_xid();
            let add = Message::BundleAdd(BundleAdd {
                bundle_id: self.bundle_id,
                flags: OFPBF_ATOMIC,
                xid,
                message: Box::new(fm),
                properties: Vec::new(),
            });
            ctx.conn.send_with_xid(xid, &add)?;
        } else {
            ctx.conn.send(&fm)?;
        }
        self.next += 1;
        self.in_batch += 1;
        Ok(())
    }

    /// Ends the batch with a barrier or a bundle commit.
    fn close_batch(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        let xid = if self.config.bundle {
            let xid = ctx
                .conn
                .send(&self.bundle_control(ctrl_type::COMMIT_REQUEST))?;
            self.bundle_id = self.bundle_id.wrapping_add(1);
            xid
        } else {
            ctx.conn.send(&Message::BarrierRequest)?
        };
        self.pending.push_back(Pending {
            xid,
            upto: self.next,
        });
        self.in_batch = 0;
        Ok(())
    }

    /// Marks the barrier or commit `xid` answered.
    fn confirm(&mut self, xid: u32, now: Instant) {
        let Some(i) = self.pending.iter().position(|p| p.xid == xid) else {
            return;
        };
        // Replies come in order; one out of order confirms those before.
        for p in self.pending.drain(..=i) {
            self.confirmed = self.confirmed.max(p.upto);
        }
        if self.next == self.config.flows && self.pending.is_empty() && self.in_batch == 0 {
            self.ended = Some(now);
        }
    }
}

impl Handler for Load {
    fn connected(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        self.started = Some(ctx.now);
        if self.config.flows == 0 {
            // Nothing to install: one barrier still measures a round trip.
            let xid = ctx.conn.send(&Message::BarrierRequest)?;
            self.pending.push_back(Pending { xid, upto: 0 });
        }
        Ok(())
    }

    fn message(
        &mut self,
        ctx: &mut Ctx<'_>,
        header: &Header,
        message: Message,
    ) -> Result<(), EncodeError> {
        match message {
            Message::BarrierReply => self.confirm(header.xid, ctx.now),
            Message::BundleControl(bc) if bc.ctrl_type == ctrl_type::COMMIT_REPLY => {
                self.confirm(header.xid, ctx.now)
            }
            Message::Error(_) => {
                self.errors += 1;
                self.confirm(header.xid, ctx.now);
            }
            _ => {}
        }
        Ok(())
    }

    fn wants_to_send(&self) -> bool {
        self.started.is_some()
            && self.next < self.config.flows
            && self.pending.len() < self.config.window
    }

    fn fill(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        let mut budget = FILL_BATCH;
        while budget > 0 && self.wants_to_send() {
            self.send_flow(ctx)?;
            budget -= 1;
            if self.in_batch == self.config.batch || self.next == self.config.flows {
                self.close_batch(ctx)?;
            }
        }
        Ok(())
    }

    fn finished(&self) -> bool {
        self.ended.is_some()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use openflow::connection::{Connection, ConnectionConfig, Event};
    use openflow::Version;

    use super::*;

    fn config(flows: u32, batch: u32, bundle: bool, window: usize) -> LoadConfig {
        LoadConfig {
            flows,
            batch,
            bundle,
            window,
            table: 0,
            priority: 100,
            out_port: None,
            shape: FlowShape::Ip,
        }
    }

    /// A switch that answers barriers and commits at once, recording every
    /// flow-mod; `fail_xid` gets an error instead of an answer.
    struct FakeSwitch {
        conn: Connection,
        flow_mods: Vec<FlowMod>,
        max_in_flight: usize,
        fail: Option<u32>,
    }

    impl FakeSwitch {
        fn new(version: Version) -> FakeSwitch {
            FakeSwitch {
                conn: Connection::new(
                    ConnectionConfig {
                        versions: vec![version],
                        ..ConnectionConfig::default()
                    },
                    Instant::now(),
                ),
                flow_mods: Vec::new(),
                max_in_flight: 0,
                fail: None,
            }
        }

        /// Takes a batch of controller bytes; answers them.
        fn handle(&mut self, bytes: &[u8]) {
            let now = Instant::now();
            self.conn.handle_input(bytes, now);
            let mut syncs = 0;
            let mut events = Vec::new();
            while let Some(ev) = self.conn.poll_event() {
                events.push(ev);
            }
            for ev in events {
                let Event::Message { header, message } = ev else {
                    continue;
                };
                let answer = |m: Message| Some(m);
                let reply = match message {
                    Message::FlowMod(fm) => {
                        self.flow_mods.push(fm);
                        None
                    }
                    Message::BundleAdd(ba) => {
                        if let Message::FlowMod(fm) = *ba.message {
                            self.flow_mods.push(fm);
                        }
                        None
                    }
                    Message::BarrierRequest => {
                        syncs += 1;
                        answer(Message::BarrierReply)
                    }
                    Message::BundleControl(bc) if bc.ctrl_type == ctrl_type::OPEN_REQUEST => {
                        answer(Message::BundleControl(BundleControl {
                            ctrl_type: ctrl_type::OPEN_REPLY,
                            ..bc
                        }))
                    }
                    Message::BundleControl(bc) if bc.ctrl_type == ctrl_type::COMMIT_REQUEST => {
                        syncs += 1;
                        answer(Message::BundleControl(BundleControl {
                            ctrl_type: ctrl_type::COMMIT_REPLY,
                            ..bc
                        }))
                    }
                    _ => None,
                };
                if let Some(r) = reply {
                    if self.fail == Some(header.xid) {
                        let e = openflow::error_msg::ErrorMsg {
                            err_type: 17,
                            code: 14,
                            experimenter: 0,
                            data: Vec::new(),
                        };
                        self.conn
                            .send_with_xid(header.xid, &Message::Error(e))
                            .unwrap();
                    } else {
                        self.conn.send_with_xid(header.xid, &r).unwrap();
                    }
                }
            }
            self.max_in_flight = self.max_in_flight.max(syncs);
        }
    }

    /// Runs a load against a fake switch, delivering each fill's bytes in
    /// one piece (so a whole window is seen outstanding at once).
    fn run(load: &mut Load, sw: &mut FakeSwitch, version: Version) {
        let mut ctl = Connection::new(
            ConnectionConfig {
                versions: vec![version],
                ..ConnectionConfig::default()
            },
            Instant::now(),
        );
        for _ in 0..1_000_000 {
            let now = Instant::now();
            while let Some(ev) = ctl.poll_event() {
                let mut ctx = Ctx {
                    conn: &mut ctl,
                    now,
                    backlog: 0,
                };
                match ev {
                    Event::Connected { .. } => load.connected(&mut ctx).unwrap(),
                    Event::Message { header, message } => {
                        load.message(&mut ctx, &header, message).unwrap()
                    }
                    other => panic!("{other:?}"),
                }
            }
            if load.finished() {
                return;
            }
            // Fill until the window is full, then deliver.
            while load.wants_to_send() {
                let mut ctx = Ctx {
                    conn: &mut ctl,
                    now,
                    backlog: 0,
                };
                load.fill(&mut ctx).unwrap();
            }
            if let Some(b) = ctl.poll_transmit() {
                sw.handle(&b);
            }
            if let Some(b) = sw.conn.poll_transmit() {
                ctl.handle_input(&b, Instant::now());
            }
        }
        panic!("the load did not finish");
    }

    #[test]
    fn barriers_every_k_with_a_bounded_window() {
        let mut load = Load::new(config(10_500, 1000, false, 4));
        let mut sw = FakeSwitch::new(Version::V1_3);
        run(&mut load, &mut sw, Version::V1_3);
        let r = load.result().unwrap();
        assert_eq!((r.flows, r.errors), (10_500, 0));
        assert_eq!(load.confirmed(), 10_500);
        assert_eq!(sw.flow_mods.len(), 10_500);
        let distinct: HashSet<_> = sw.flow_mods.iter().map(|f| f.match_.clone()).collect();
        assert_eq!(distinct.len(), 10_500);
        assert!(sw
            .flow_mods
            .iter()
            .all(|f| f.priority == 100 && f.table_id == 0));
        assert_eq!(sw.max_in_flight, 4, "window not filled or exceeded");
    }

    #[test]
    fn bundles_of_k_in_openflow_14() {
        let mut load = Load::new(LoadConfig {
            table: 3,
            out_port: Some(2),
            ..config(2_345, 100, true, 8)
        });
        let mut sw = FakeSwitch::new(Version::V1_4);
        run(&mut load, &mut sw, Version::V1_4);
        assert_eq!(load.result().unwrap().flows, 2_345);
        assert_eq!(sw.flow_mods.len(), 2_345);
        assert!(sw.flow_mods.iter().all(|f| f.table_id == 3));
        assert_eq!(sw.max_in_flight, 8);
    }

    #[test]
    fn openflow_10_and_zero_flows() {
        let mut load = Load::new(config(7, 3, false, 1));
        let mut sw = FakeSwitch::new(Version::V1_0);
        run(&mut load, &mut sw, Version::V1_0);
        assert_eq!(sw.flow_mods.len(), 7);

        let mut load = Load::new(config(0, 3, false, 1));
        let mut sw = FakeSwitch::new(Version::V1_3);
        run(&mut load, &mut sw, Version::V1_3);
        assert_eq!(load.result().unwrap().flows, 0);
    }

    #[test]
    fn an_error_to_a_commit_counts_and_confirms() {
        let mut load = Load::new(config(30, 10, true, 2));
        let mut sw = FakeSwitch::new(Version::V1_4);
        // xids: 1 is our hello; bundle 0 is open 2, adds 3..=12, commit 13.
        sw.fail = Some(13);
        run(&mut load, &mut sw, Version::V1_4);
        let r = load.result().unwrap();
        assert_eq!((r.flows, r.errors), (30, 1));
    }
}
