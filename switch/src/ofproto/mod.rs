//! OpenFlow semantics of one bridge, as a sans-IO request handler.
//!
//! [`Ofproto::handle`] takes one decoded request of a connection that
//! speaks `version` and returns the replies; the management socket
//! ([`crate::mgmt::ofsocket`]) moves the bytes. What this bridge answers
//! today: features, switch config, barrier, roles and async config,
//! flow-mods on 254 flow tables ([`table`]) with flow, aggregate and table
//! statistics and flow-removed, switch description, port descriptions and
//! port statistics (in OpenFlow 1.4 with every DPDK xstat of the port in
//! the Intel custom-statistics property Open vSwitch uses, so `ovs-ofctl -O
//! OpenFlow14 dump-ports` prints them). Groups, meters, packet-out and the
//! other messages arrive with the rest of the pipeline; until then they get
//! the spec's "unsupported" errors (`OFPBRC_BAD_TYPE`,
//! `OFPBRC_BAD_MULTIPART`) carrying the request's first 64 bytes. The
//! datapath does not yet forward by these tables.
//!
//! Thread safety: an `Ofproto` is owned by the control plane (behind a
//! mutex shared by the bridge's connections); nothing here runs on a PMD.

pub mod conn;
pub mod dump;
pub mod group;
pub mod meter;
pub mod monitor;
pub mod packet_in;
pub mod port;
pub mod table;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use openflow::action::Action;
use openflow::bundle::{BundleAdd, BundleControl, RequestForward};
use openflow::config::{FeaturesReply, PortStatus, RoleMsg, RoleStatus, SwitchConfig};
use openflow::error_msg::ErrorMsg;
use openflow::multipart::{
    MultipartReply, MultipartReplyBody, MultipartRequest, MultipartRequestBody,
};
use openflow::packet::PacketOut;
use openflow::port::{PortDesc, OFPP_ANY, OFPP_CONTROLLER, OFPP_LOCAL};
use openflow::{ErrorKind, Header, Message, Version};

use tokio::sync::mpsc;

use self::conn::{
    AsyncKind, Bundle, ConnId, ConnKind, ConnState, Role, ROLE_REASON_MASTER_REQUEST,
};
use self::dump::FlowDump;
use self::group::Groups;
use self::meter::Meters;
use self::packet_in::PacketInQueue;
use self::table::{RemovedFlow, Tables};
use crate::dpif::sync::DatapathSync;
use crate::dpif::tx::ControlTx;
use crate::netdev::Netdev;
use crate::xlate::pipeline::OfPipeline;

/// Counters of a controller target, over its connections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ControllerCounters {
    /// Packet-ins sent.
    pub pin_sent: u64,
    /// Packet-ins its rate limit dropped.
    pub pin_rate_drops: u64,
    /// Asynchronous messages dropped because its queue was full.
    pub async_dropped: u64,
}

impl ControllerCounters {
    fn add(&mut self, c: &ConnState) {
        self.pin_sent += c.pin_sent;
        self.pin_rate_drops += c.pin_rate_drops;
        self.async_dropped += c.async_dropped;
    }
}

/// The state of one configured controller target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerStatus {
    /// `tcp:...`, `ptcp:...` as configured.
    pub target: String,
    /// Whether a connection of this target is up.
    pub connected: bool,
    /// Its role when connected.
    pub role: Option<Role>,
    /// Counters over all its connections.
    pub counters: ControllerCounters,
}

/// Largest OpenFlow message the switch sends.
pub const MAX_REPLY_LEN: usize = 65535;

/// `OFPPR_MODIFY`: a port's description changed.
pub const OFPPR_MODIFY: u8 = 2;

/// `OFPC_*` capabilities this bridge reports: flow, table and port stats.
const CAPABILITIES: u32 = OFPC_FLOW_STATS | OFPC_TABLE_STATS | OFPC_PORT_STATS | OFPC_GROUP_STATS;
/// `OFPC_GROUP_STATS` (1.1+).
const OFPC_GROUP_STATS: u32 = 1 << 3;
/// `OFPC_FLOW_STATS`.
const OFPC_FLOW_STATS: u32 = 1 << 0;
/// `OFPC_TABLE_STATS`.
const OFPC_TABLE_STATS: u32 = 1 << 1;
/// `OFPC_PORT_STATS`.
const OFPC_PORT_STATS: u32 = 1 << 2;

/// One OpenFlow port of the bridge.
pub struct OfPort {
    /// OpenFlow port number.
    pub ofport: u32,
    /// The datapath port.
    pub netdev: Arc<Netdev>,
    /// When the port was added (port stats durations).
    pub created: Instant,
    /// The description last reported to controllers.
    pub reported: PortDesc,
    /// `OFPPC_*` config set by port-mods.
    pub config: u32,
}

/// What a bridge needs of the datapath to execute packet-outs.
pub struct Datapath {
    /// The bridge's pipeline.
    pub pipeline: Arc<OfPipeline>,
    /// The control thread's tx queues.
    pub tx: Arc<ControlTx>,
    /// The PMDs' progress, for barriers.
    pub sync: Arc<DatapathSync>,
}

/// A bridge's OpenFlow state.
pub struct Ofproto {
    /// Bridge name.
    pub name: String,
    /// Datapath id.
    pub datapath_id: u64,
    /// Versions the bridge speaks (its `protocols` column).
    pub versions: Vec<Version>,
    /// Ports, in ofport order.
    pub ports: Vec<OfPort>,
    /// Switch configuration (`OFPT_SET_CONFIG`).
    pub config: SwitchConfig,
    /// Open connections.
    pub conns: BTreeMap<ConnId, ConnState>,
    /// Last master-election generation id seen.
    pub generation: Option<u64>,
    /// Flow tables (shared with the bridge's datapath pipeline).
    pub tables: Arc<Tables>,
    /// Packet-ins from the datapath (shared with its pipeline).
    pub packet_ins: Arc<PacketInQueue>,
    /// Group table (shared with the bridge's datapath pipeline).
    pub groups: Arc<Groups>,
    /// Meters (shared with the bridge's datapath pipeline).
    pub meters: Arc<Meters>,
    /// Packet-ins sent to controllers, over all connections ever.
    pub pin_sent: u64,
    /// Packet-ins dropped by controllers' rate limits, ever.
    pub pin_rate_drops: u64,
    /// The bridge's datapath, for packet-outs (None in tests without one).
    pub datapath: Option<Datapath>,
    /// `fail_mode = "standalone"`: how long without any controller before
    /// fail-open (`None`: secure).
    pub fail_open_after: Option<std::time::Duration>,
    /// Since when no controller is connected (`None`: one is).
    no_controller_since: Option<Instant>,
    /// Whether the bridge forwards as a learning switch for want of a
    /// controller.
    pub fail_open: bool,
    /// Configured controller targets and the counters of their closed
    /// connections (the open ones add theirs: see [`Ofproto::controllers`]).
    targets: BTreeMap<Arc<str>, ControllerCounters>,
    next_conn: ConnId,
}

/// The datapath id of a bridge: `other_config:datapath-id` (16 hex digits)
/// or, by default, a locally administered MAC-like value derived from the
/// bridge name (stable across restarts).
pub fn datapath_id(bridge: &str, configured: Option<&str>) -> Result<u64, String> {
    if let Some(text) = configured {
        let hex = text.trim().trim_start_matches("0x");
        if hex.len() != 16 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!(
                "bridge {bridge}: other_config:datapath-id=\"{text}\" is not 16 hex digits"
            ));
        }
        return u64::from_str_radix(hex, 16).map_err(|e| e.to_string());
    }
    // FNV-1a of the name, folded to 48 bits, locally administered unicast.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bridge.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mac = (h & 0xffff_ffff_ffff) | (0x02 << 40);
    Ok(mac & !(0x01 << 40))
}

/// Parses a bridge's `protocols` list (`OpenFlow10` ... `OpenFlow14`); an
/// empty list means all of them.
pub fn protocols(bridge: &str, names: &[String]) -> Result<Vec<Version>, String> {
    if names.is_empty() {
        return Ok(Version::ALL.to_vec());
    }
    let mut out = Vec::new();
    for n in names {
        let v = Version::parse_name(n).ok_or_else(|| {
            format!("bridge {bridge}: protocols entry \"{n}\" is not OpenFlow10 ... OpenFlow14")
        })?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out.sort();
    Ok(out)
}

impl Ofproto {
    /// A bridge with no ports.
    pub fn new(name: &str, datapath_id: u64, versions: Vec<Version>) -> Self {
        Ofproto {
            name: name.to_owned(),
            datapath_id,
            versions,
            ports: Vec::new(),
            config: SwitchConfig {
                flags: 0,
                miss_send_len: 128,
            },
            conns: BTreeMap::new(),
            generation: None,
            tables: Arc::new(Tables::default()),
            packet_ins: Arc::new(PacketInQueue::default()),
            groups: Arc::new(Groups::default()),
            meters: Arc::new(Meters::default()),
            pin_sent: 0,
            pin_rate_drops: 0,
            datapath: None,
            fail_open_after: None,
            no_controller_since: Some(Instant::now()),
            fail_open: false,
            targets: BTreeMap::new(),
            next_conn: 1,
        }
    }

    /// Sets the bridge's fail mode: `standalone_after` is `Some` for
    /// standalone. A standalone bridge without any controller configured
    /// gets Open vSwitch's default flow (table 0, priority 0, NORMAL);
    /// with controllers it turns fail-open once none has been connected
    /// for `standalone_after`, and back as soon as one connects.
    pub fn set_fail_mode(
        &mut self,
        standalone_after: Option<std::time::Duration>,
        has_controllers: bool,
    ) {
        self.fail_open_after = standalone_after.filter(|_| has_controllers);
        if standalone_after.is_some() && !has_controllers {
            let normal = openflow::flow_mod::FlowMod::new(
                table::command::ADD,
                0,
                0,
                Default::default(),
                vec![openflow::instruction::Instruction::ApplyActions(vec![
                    Action::Output {
                        port: openflow::port::OFPP_NORMAL,
                        max_len: 0,
                    },
                ])],
            );
            // An empty table accepts it; nothing can refuse it.
            if let Err(e) = self
                .tables
                .flow_mod(&normal, Version::V1_3, &self.groups, &self.meters)
            {
                tracing::error!(bridge = %self.name, ?e, "default NORMAL flow refused");
            }
            self.commit();
        }
    }

    /// Enters or leaves fail-open as the controllers' presence says: a
    /// connected controller ends it at once; `tick` (`timer`) starts it
    /// once none has been connected for the standalone delay.
    fn update_fail_open(&mut self, now: Instant, timer: bool) {
        let Some(after) = self.fail_open_after else {
            return;
        };
        let open = if self.conns.values().any(|c| c.controller) {
            self.no_controller_since = None;
            false
        } else {
            let since = *self.no_controller_since.get_or_insert(now);
            self.fail_open || (timer && now.saturating_duration_since(since) >= after)
        };
        if open != self.fail_open {
            self.fail_open = open;
            if open {
                tracing::warn!(
                    bridge = %self.name,
                    "no controller for {} ms: fail-open (standalone), forwarding as a \
                     MAC-learning switch",
                    after.as_millis()
                );
            } else {
                tracing::info!(bridge = %self.name, "a controller connected: fail-open ends");
            }
            if let Some(dp) = &self.datapath {
                dp.pipeline.set_fail_open(open);
            }
        }
    }

    /// Registers a connection of `kind` that negotiated `version`;
    /// asynchronous messages for it are queued on `tx`.
    pub fn connect(
        &mut self,
        version: Version,
        tx: mpsc::Sender<Message>,
        kind: ConnKind,
    ) -> ConnId {
        let id = self.next_conn;
        self.next_conn += 1;
        self.conns.insert(id, ConnState::new(version, tx, kind));
        self.update_fail_open(Instant::now(), false);
        id
    }

    /// Delivers up to `max` of the packet-ins the datapath queued, so that
    /// the caller can release the bridge between batches (a flow-mod or
    /// barrier of a controller waits for one batch, not for a flood).
    pub fn drain_packet_ins(&mut self, max: usize) -> Drained {
        let now = Instant::now();
        self.packet_ins.begin_drain();
        for _ in 0..max {
            let Some(ev) = self.packet_ins.pop() else {
                return Drained::Empty;
            };
            for c in self.conns.values_mut() {
                // A miss without a table-miss rule goes to 1.0-1.2 only.
                if ev.miss && c.version >= Version::V1_3 {
                    continue;
                }
                let reason =
                    if c.version < Version::V1_4 && ev.reason > packet_in::reason::INVALID_TTL {
                        packet_in::reason::ACTION
                    } else {
                        ev.reason
                    };
                if !c.wants(AsyncKind::PacketIn, reason) {
                    continue;
                }
                if !c.packet_in_room() {
                    continue;
                }
                if let Some(limit) = &mut c.pin_limit {
                    if !limit.take(now) {
                        c.pin_rate_drops += 1;
                        self.pin_rate_drops += 1;
                        continue;
                    }
                }
                let msg = Message::PacketIn(port::packet_in(&ev, reason, c.version));
                if c.tx.try_send(msg).is_ok() {
                    c.pin_sent += 1;
                    self.pin_sent += 1;
                } else {
                    c.async_dropped += 1;
                }
            }
        }
        Drained::More
    }

    /// Registers a configured controller target (for its statistics).
    pub fn add_controller_target(&mut self, target: &str) {
        self.targets.entry(target.into()).or_default();
    }

    /// Each configured controller target: whether a connection of it is
    /// up, its role, and its counters over every connection it had.
    pub fn controllers(&self) -> Vec<ControllerStatus> {
        self.targets
            .iter()
            .map(|(target, closed)| {
                let mut s = ControllerStatus {
                    target: target.to_string(),
                    connected: false,
                    role: None,
                    counters: *closed,
                };
                for c in self.conns.values() {
                    if c.target.as_deref() == Some(&**target) {
                        s.connected = true;
                        s.role = Some(c.role);
                        s.counters.add(c);
                    }
                }
                s
            })
            .collect()
    }

    /// Forgets a connection.
    pub fn disconnect(&mut self, id: ConnId) {
        if let Some(c) = self.conns.remove(&id) {
            if let Some(t) = c.target.as_ref().and_then(|t| self.targets.get_mut(t)) {
                t.add(&c);
            }
        }
        self.update_monitoring();
        self.update_fail_open(Instant::now(), false);
    }

    /// Records flow changes only while some connection has a monitor.
    fn update_monitoring(&self) {
        self.tables
            .set_monitoring(self.conns.values().any(|c| !c.monitors.is_empty()));
    }

    /// Sends an asynchronous message to every connection that wants it;
    /// returns how many took it.
    pub fn send_async(&mut self, kind: AsyncKind, reason: u8, msg: &Message) -> usize {
        self.conns
            .values_mut()
            .filter_map(|c| c.deliver(kind, reason, msg).then_some(()))
            .count()
    }

    /// Adds a port.
    pub fn add_port(&mut self, netdev: Arc<Netdev>) {
        let reported = port::describe(netdev.ofport, &netdev, 0);
        self.ports.push(OfPort {
            ofport: netdev.ofport,
            netdev,
            created: Instant::now(),
            reported,
            config: 0,
        });
        self.ports.sort_by_key(|p| p.ofport);
    }

    /// Publishes pending table changes (barrier, statistics request, end
    /// of a batch of messages).
    pub fn commit(&mut self) {
        if self.tables.commit() {
            if let Some(dp) = &self.datapath {
                dp.sync.publish();
            }
        }
    }

    /// Commits, then waits until every PMD works with the new version, so
    /// that no packet follows an old rule once the barrier reply is out.
    fn barrier(&mut self) {
        self.commit();
        if let Some(dp) = &self.datapath {
            let epoch = dp.sync.current();
            if !dp
                .sync
                .wait_seen(epoch, std::time::Duration::from_millis(200))
            {
                tracing::warn!(bridge = %self.name, "barrier: a PMD did not reach the new version in 200 ms");
            }
        }
    }

    /// Sends flow-removed messages for `removed` to the connections that
    /// want them.
    fn send_removed(&mut self, removed: Vec<RemovedFlow>) {
        for r in removed {
            for c in self.conns.values_mut() {
                let mut msg = r.msg.clone();
                // METER_DELETE and EVICTION are DELETE before OpenFlow 1.4.
                let new_in_1_4 = [table::removed::METER_DELETE, table::removed::EVICTION];
                if new_in_1_4.contains(&msg.reason) && c.version < Version::V1_4 {
                    msg.reason = table::removed::DELETE;
                }
                let reason = msg.reason;
                c.deliver(AsyncKind::FlowRemoved, reason, &Message::FlowRemoved(msg));
            }
        }
    }

    /// Periodic work: expires flows whose timeouts passed (sending
    /// flow-removed) and reports port changes. Removed rules are unlinked
    /// by [`Ofproto::collect_garbage`].
    pub fn tick(&mut self, now: Instant) {
        let removed = self.tables.expire(now);
        self.commit();
        self.send_removed(removed);
        self.report_changes(None);
        self.update_fail_open(now, true);
        self.poll_ports();
    }

    /// Unlinks up to `max` removed rules that no PMD can still see (every
    /// PMD has seen the current epoch); returns whether more wait. The
    /// caller repeats it, releasing the bridge between steps: deleting a
    /// million flows then never holds the bridge for seconds.
    pub fn collect_garbage(&mut self, max: usize) -> bool {
        let all_seen = self.datapath.as_ref().is_none_or(|dp| {
            dp.sync
                .wait_seen(dp.sync.current(), std::time::Duration::ZERO)
        });
        all_seen && self.tables.gc_some(self.tables.version(), max)
    }

    /// Re-reads every port's link and sends `OFPT_PORT_STATUS` (reason
    /// MODIFY) to the connections that want it for each port whose
    /// description changed. Returns how many ports changed.
    pub fn poll_ports(&mut self) -> usize {
        let mut changed = Vec::new();
        for p in &mut self.ports {
            let now = port::describe(p.ofport, &p.netdev, p.config);
            if let Some(dp) = &self.datapath {
                dp.pipeline
                    .set_live(p.ofport, now.state & openflow::port::ofpps::LINK_DOWN == 0);
            }
            if now != p.reported {
                p.reported = now.clone();
                changed.push(now);
            }
        }
        for desc in &changed {
            let msg = Message::PortStatus(PortStatus {
                reason: OFPPR_MODIFY,
                desc: desc.clone(),
            });
            self.send_async(AsyncKind::PortStatus, OFPPR_MODIFY, &msg);
        }
        changed.len()
    }

    /// Answers one request of connection `id`, then reports what it
    /// changed to flow monitors and, through table-status, to controllers
    /// that asked for vacancy events.
    pub fn handle(&mut self, id: ConnId, header: &Header, msg: &Message) -> Vec<Message> {
        let replies = self.handle_request(id, header, msg);
        self.report_changes(Some((id, header.xid)));
        replies
    }

    /// [`Ofproto::handle`] of a message the caller gives up: a bundle-add's
    /// message is kept in its bundle as it came, not copied (a bundle load
    /// of a million flow-mods made a million deep copies).
    pub fn handle_owned(&mut self, id: ConnId, header: &Header, msg: Message) -> Vec<Message> {
        let Message::BundleAdd(ba) = msg else {
            return self.handle(id, header, &msg);
        };
        // A bundle-add changes the switch (`modifies_switch`).
        match self.admit(id, true) {
            Ok(version) if version >= Version::V1_4 => {
                let replies = self.bundle_add(id, version, header, ba);
                self.report_changes(Some((id, header.xid)));
                replies
            }
            // Refused as `handle` refuses it.
            _ => self.handle(id, header, &Message::BundleAdd(ba)),
        }
    }

    /// Starts the reply to a flow-stats request of connection `id`: the
    /// selected rules are taken now (every change made before the request
    /// is seen), and the reply is encoded as it is sent, after the bridge's
    /// lock is released ([`FlowDump`]). A request that fails gives its
    /// error message. `None` for any other request, which goes to
    /// [`Ofproto::handle`], as does a flow-stats request of a connection
    /// that does not exist here.
    pub fn flow_dump(
        &mut self,
        id: ConnId,
        header: &Header,
        msg: &Message,
    ) -> Option<Result<FlowDump, Message>> {
        let Message::MultipartRequest(MultipartRequest {
            body: MultipartRequestBody::Flow(req),
            ..
        }) = msg
        else {
            return None;
        };
        let version = self.conns.get(&id)?.version;
        self.commit();
        Some(
            FlowDump::new(&self.tables, req, version, header.xid)
                .map_err(|kind| error_for(kind, version, header, msg)),
        )
    }

    /// Sends what the flow changes made since the last call give: flow
    /// monitor updates (abbreviated for `origin`, the connection and xid
    /// of the request that made them) and vacancy events.
    fn report_changes(&mut self, origin: Option<(ConnId, u32)>) {
        let events = self.tables.take_events();
        if !events.is_empty() {
            for (cid, c) in self.conns.iter_mut() {
                if c.monitors.is_empty() {
                    continue;
                }
                let own = origin.filter(|(o, _)| o == cid).map(|(_, xid)| xid);
                let updates = c.monitors.updates(&events, own);
                if !updates.is_empty() {
                    for m in multipart_reply(MultipartReplyBody::FlowMonitor(updates), c.version) {
                        c.send(m);
                    }
                }
            }
        }
        for status in self.tables.vacancy_events() {
            let reason = status.reason;
            let msg = Message::TableStatus(status);
            for c in self.conns.values_mut() {
                if c.version >= Version::V1_4 {
                    c.deliver(AsyncKind::TableStatus, reason, &msg);
                }
            }
        }
    }

    /// Forwards a group-mod or meter-mod that connection `from` made to
    /// every other OpenFlow 1.4 connection that asked for it
    /// (`OFPT_REQUESTFORWARD`, reason `OFPRFR_GROUP_MOD` or `_METER_MOD`).
    fn forward_request(&mut self, from: ConnId, header: &Header, msg: &Message) {
        let reason = match msg {
            Message::GroupMod(_) => REQUESTFORWARD_GROUP_MOD,
            Message::MeterMod(_) => REQUESTFORWARD_METER_MOD,
            _ => return,
        };
        let fwd = Message::RequestForward(RequestForward {
            xid: header.xid,
            request: Box::new(msg.clone()),
        });
        for (cid, c) in self.conns.iter_mut() {
            if *cid != from && c.version >= Version::V1_4 {
                c.deliver(AsyncKind::RequestForward, reason, &fwd);
            }
        }
    }

    /// Adds, modifies or deletes connection `id`'s flow monitors; the reply
    /// carries the initial updates.
    fn flow_monitor(
        &mut self,
        id: ConnId,
        version: Version,
        header: &Header,
        msg: &Message,
        reqs: &[openflow::multipart::FlowMonitorRequest],
    ) -> Vec<Message> {
        self.commit();
        let Some(c) = self.conns.get_mut(&id) else {
            return Vec::new();
        };
        match c.monitors.request(reqs, &self.tables) {
            Ok(updates) => {
                self.update_monitoring();
                multipart_reply(MultipartReplyBody::FlowMonitor(updates), version)
            }
            Err(kind) => vec![error_for(kind, version, header, msg)],
        }
    }

    /// Answers one request of connection `id`.
    /// Connection `id`'s version if it may send a message that changes
    /// the switch (`modifies`) or not: `Err(Some(version))` for a change
    /// from a slave, `Err(None)` for a connection that does not exist.
    fn admit(&self, id: ConnId, modifies: bool) -> Result<Version, Option<Version>> {
        let conn = self.conns.get(&id).ok_or(None)?;
        if conn.role == Role::Slave && modifies {
            return Err(Some(conn.version));
        }
        Ok(conn.version)
    }

    fn handle_request(&mut self, id: ConnId, header: &Header, msg: &Message) -> Vec<Message> {
        let version = match self.admit(id, modifies_switch(msg)) {
            Ok(version) => version,
            Err(None) => return Vec::new(),
            Err(Some(version)) => return vec![error_for(ErrorKind::IsSlave, version, header, msg)],
        };
        match msg {
            Message::RoleRequest(r) if version >= Version::V1_2 => {
                self.role_request(id, version, header, msg, r)
            }
            Message::GetAsyncRequest if version >= Version::V1_3 => {
                vec![Message::GetAsyncReply(self.conns[&id].get_async())]
            }
            Message::SetAsync(cfg) if version >= Version::V1_3 => {
                if let Some(c) = self.conns.get_mut(&id) {
                    c.set_async(cfg);
                }
                Vec::new()
            }
            Message::FeaturesRequest => vec![Message::FeaturesReply(self.features(version))],
            Message::GetConfigRequest => vec![Message::GetConfigReply(self.config)],
            Message::SetConfig(c) => {
                self.config = *c;
                self.packet_ins
                    .miss_send_len
                    .store(c.miss_send_len, std::sync::atomic::Ordering::Relaxed);
                Vec::new()
            }
            Message::BarrierRequest => {
                self.barrier();
                vec![Message::BarrierReply]
            }
            Message::FlowMod(fm) => {
                match self
                    .tables
                    .flow_mod(fm, version, &self.groups, &self.meters)
                {
                    Ok(removed) => {
                        self.send_removed(removed);
                        Vec::new()
                    }
                    Err(kind) => {
                        tracing::debug!(bridge = %self.name, ?kind, ?fm, "flow-mod refused");
                        vec![error_for(kind, version, header, msg)]
                    }
                }
            }
            Message::GroupMod(gm) if version >= Version::V1_1 => {
                match self.groups.group_mod(gm) {
                    Ok(deleted) => {
                        // Flows that used a deleted group go with it.
                        let removed = self.tables.remove_group_users(&deleted);
                        self.send_removed(removed);
                        self.forward_request(id, header, msg);
                        Vec::new()
                    }
                    Err(kind) => vec![error_for(kind, version, header, msg)],
                }
            }
            Message::MeterMod(mm) if version >= Version::V1_3 => match self.meters.meter_mod(mm) {
                Ok(deleted) => {
                    let removed = self.tables.remove_meter_users(&deleted);
                    self.send_removed(removed);
                    self.forward_request(id, header, msg);
                    Vec::new()
                }
                Err(kind) => vec![error_for(kind, version, header, msg)],
            },
            Message::BundleControl(bc) if version >= Version::V1_4 => {
                self.bundle_control(id, version, header, msg, bc)
            }
            Message::BundleAdd(ba) if version >= Version::V1_4 => {
                self.bundle_add(id, version, header, ba.clone())
            }
            Message::TableMod(tm) if version >= Version::V1_1 => {
                match self.tables.table_mod(tm, version) {
                    Ok(()) => Vec::new(),
                    Err(kind) => vec![error_for(kind, version, header, msg)],
                }
            }
            Message::PortMod(pm) => match self.port_mod(pm) {
                Ok(()) => Vec::new(),
                Err(kind) => vec![error_for(kind, version, header, msg)],
            },
            Message::PacketOut(po) => match self.packet_out(po) {
                Ok(()) => Vec::new(),
                Err(kind) => vec![error_for(kind, version, header, msg)],
            },
            Message::MultipartRequest(MultipartRequest {
                body: MultipartRequestBody::FlowMonitor(reqs),
                ..
            }) if version >= Version::V1_4 => self.flow_monitor(id, version, header, msg, reqs),
            Message::MultipartRequest(req) => {
                // Statistics see every change made before the request.
                self.commit();
                self.multipart(version, header, msg, req)
            }
            // Replies and asynchronous messages a controller may echo back
            // need no answer.
            Message::EchoReply(_) | Message::Error(_) => Vec::new(),
            _ => vec![error_for(ErrorKind::BadType, version, header, msg)],
        }
    }

    fn bundle_control(
        &mut self,
        id: ConnId,
        version: Version,
        header: &Header,
        msg: &Message,
        bc: &BundleControl,
    ) -> Vec<Message> {
        use openflow::bundle::ctrl_type as ct;
        let reply = |ctrl_type: u16| {
            Message::BundleControl(BundleControl {
                bundle_id: bc.bundle_id,
                ctrl_type,
                flags: bc.flags,
                properties: Vec::new(),
            })
        };
        let fail = |kind| vec![error_for(kind, version, header, msg)];
        let Some(conn) = self.conns.get_mut(&id) else {
            return Vec::new();
        };
        // OFPBF_ATOMIC and OFPBF_ORDERED: this switch is always both.
        if bc.flags & !0b11 != 0 {
            return fail(ErrorKind::BadBundleFlags);
        }
        match bc.ctrl_type {
            ct::OPEN_REQUEST => {
                if conn.bundles.contains_key(&bc.bundle_id) {
                    return fail(ErrorKind::BundleExist);
                }
                if let Err(kind) = conn.open_bundle(bc.bundle_id, bc.flags) {
                    return fail(kind);
                }
                vec![reply(ct::OPEN_REPLY)]
            }
            ct::CLOSE_REQUEST => match conn.bundles.get_mut(&bc.bundle_id) {
                None => fail(ErrorKind::BadBundleId),
                Some(b) if b.closed => fail(ErrorKind::BundleClosed),
                Some(b) => {
                    b.closed = true;
                    vec![reply(ct::CLOSE_REPLY)]
                }
            },
            ct::DISCARD_REQUEST => match conn.bundles.remove(&bc.bundle_id) {
                None => fail(ErrorKind::BadBundleId),
                Some(_) => vec![reply(ct::DISCARD_REPLY)],
            },
            ct::COMMIT_REQUEST => {
                let Some(bundle) = conn.bundles.remove(&bc.bundle_id) else {
                    return fail(ErrorKind::BadBundleId);
                };
                match self.commit_bundle(&bundle) {
                    Ok(()) => {
                        for (h, m) in &bundle.msgs {
                            self.forward_request(id, h, m);
                        }
                        vec![reply(ct::COMMIT_REPLY)]
                    }
                    Err((i, kind)) => {
                        let (h, m) = &bundle.msgs[i];
                        vec![
                            error_for(kind, version, h, m),
                            error_for(ErrorKind::BundleMsgFailed, version, header, msg),
                        ]
                    }
                }
            }
            _ => fail(ErrorKind::BadBundleType),
        }
    }

    /// Adds `ba`'s message to its bundle (opening the bundle if needed);
    /// an error names the bundle-add itself.
    fn bundle_add(
        &mut self,
        id: ConnId,
        version: Version,
        header: &Header,
        ba: BundleAdd,
    ) -> Vec<Message> {
        let fail =
            |kind, ba: BundleAdd| vec![error_for(kind, version, header, &Message::BundleAdd(ba))];
        if !matches!(
            *ba.message,
            Message::FlowMod(_) | Message::GroupMod(_) | Message::PortMod(_) | Message::MeterMod(_)
        ) {
            return fail(ErrorKind::BadBundleType, ba);
        }
        let Some(conn) = self.conns.get_mut(&id) else {
            return Vec::new();
        };
        // A bundle-add for an unknown id opens the bundle implicitly.
        if !conn.bundles.contains_key(&ba.bundle_id) {
            if let Err(kind) = conn.open_bundle(ba.bundle_id, ba.flags) {
                return fail(kind, ba);
            }
        }
        let held = conn.bundle_bytes();
        let Some(b) = conn.bundles.get_mut(&ba.bundle_id) else {
            return Vec::new();
        };
        if b.closed {
            return fail(ErrorKind::BundleClosed, ba);
        }
        if b.flags != ba.flags {
            return fail(ErrorKind::BadBundleFlags, ba);
        }
        if b.msgs.len() >= conn::MAX_BUNDLE_MSGS {
            return fail(ErrorKind::BundleMsgTooMany, ba);
        }
        let len = usize::from(header.length);
        if held + len > conn::MAX_BUNDLE_BYTES {
            tracing::warn!(
                bridge = %self.name,
                bundle = ba.bundle_id,
                "bundle-add refused: the connection's open bundles hold {held} bytes, \
                 at most {} allowed",
                conn::MAX_BUNDLE_BYTES
            );
            return fail(ErrorKind::BundleMsgTooMany, ba);
        }
        b.bytes += len;
        let inner = Header {
            xid: ba.xid,
            ..*header
        };
        b.msgs.push((inner, *ba.message));
        Vec::new()
    }

    /// Applies a bundle atomically: every message or none. The changes
    /// are made at the next table version and published together, so no
    /// packet sees half a bundle; on the first failure everything is
    /// rolled back (tables, groups, meters, port configs) and the index of
    /// the failing message is returned with its error.
    fn commit_bundle(&mut self, bundle: &Bundle) -> Result<(), (usize, ErrorKind)> {
        let groups = self.groups.snapshot();
        let meters = self.meters.snapshot();
        let configs: Vec<u32> = self.ports.iter().map(|p| p.config).collect();
        self.tables.begin();
        let mut removed = Vec::new();
        for (i, (h, m)) in bundle.msgs.iter().enumerate() {
            let version = Version::from_wire(h.version).unwrap_or(Version::V1_4);
            let result = match m {
                Message::FlowMod(fm) => self
                    .tables
                    .flow_mod(fm, version, &self.groups, &self.meters)
                    .map(|r| removed.extend(r)),
                Message::GroupMod(gm) => self
                    .groups
                    .group_mod(gm)
                    .map(|gone| removed.extend(self.tables.remove_group_users(&gone))),
                Message::MeterMod(mm) => self
                    .meters
                    .meter_mod(mm)
                    .map(|gone| removed.extend(self.tables.remove_meter_users(&gone))),
                Message::PortMod(pm) => self.port_mod(pm),
                _ => Err(ErrorKind::BadBundleType),
            };
            if let Err(kind) = result {
                self.tables.rollback();
                self.groups.restore(groups);
                self.meters.restore(meters);
                for (p, c) in self.ports.iter_mut().zip(configs) {
                    p.config = c;
                    if let Some(dp) = &self.datapath {
                        dp.pipeline.set_config(p.ofport, c);
                    }
                }
                return Err((i, kind));
            }
        }
        self.tables.finish();
        self.commit();
        self.send_removed(removed);
        Ok(())
    }

    /// Applies a port-mod: the `OFPPC_*` bits of `mask` take the values of
    /// `config`; the datapath honours PORT_DOWN, NO_RECV, NO_FWD and
    /// NO_PACKET_IN at once, and controllers get a port-status.
    fn port_mod(&mut self, pm: &openflow::config::PortMod) -> Result<(), ErrorKind> {
        use openflow::port::ofppc;
        let supported = ofppc::PORT_DOWN
            | ofppc::NO_RECV
            | ofppc::NO_FWD
            | ofppc::NO_PACKET_IN
            | ofppc::NO_FLOOD
            | ofppc::NO_STP
            | ofppc::NO_RECV_STP;
        let Some(p) = self.ports.iter_mut().find(|p| p.ofport == pm.port_no) else {
            return Err(ErrorKind::BadPortModPort);
        };
        if p.netdev.port.mac().ok() != Some(pm.hw_addr) {
            return Err(ErrorKind::BadHwAddr);
        }
        if pm.mask & !supported != 0 {
            return Err(ErrorKind::BadConfig);
        }
        p.config = (p.config & !pm.mask) | (pm.config & pm.mask);
        if let Some(dp) = &self.datapath {
            dp.pipeline.set_config(p.ofport, p.config);
        }
        self.poll_ports();
        Ok(())
    }

    /// Executes a packet-out (validated first; a refused one sends nothing).
    fn packet_out(&mut self, po: &PacketOut) -> Result<(), ErrorKind> {
        if po.buffer_id != u32::MAX {
            // n_buffers is 0: no packet is ever buffered here.
            return Err(ErrorKind::BufferUnknown);
        }
        for a in &po.actions {
            match a {
                Action::Output { port, .. } | Action::Enqueue { port, .. }
                    if *port == 0 || *port == OFPP_ANY =>
                {
                    return Err(ErrorKind::BadOutPort);
                }
                Action::Group(g) if !self.groups.contains(*g) => {
                    return Err(ErrorKind::BadOutGroup)
                }
                Action::Experimenter { .. } => return Err(ErrorKind::BadActionExperimenter),
                _ => {}
            }
        }
        let Some(dp) = &self.datapath else {
            return Err(ErrorKind::BadPort);
        };
        let in_port_ok =
            matches!(po.in_port, OFPP_CONTROLLER | OFPP_LOCAL) || dp.pipeline.has_port(po.in_port);
        if !in_port_ok {
            return Err(ErrorKind::BadPort);
        }
        // Packet-outs see every change made before them.
        self.tables.commit();
        dp.pipeline
            .packet_out(&dp.tx, po.in_port, &po.actions, &po.data)
            .map_err(|e| {
                tracing::warn!(bridge = %self.name, "packet-out: {e}");
                ErrorKind::BufferUnknown
            })
    }

    fn role_request(
        &mut self,
        id: ConnId,
        version: Version,
        header: &Header,
        msg: &Message,
        r: &RoleMsg,
    ) -> Vec<Message> {
        let Some(wanted) = Role::from_wire(r.role) else {
            return vec![error_for(ErrorKind::BadRole, version, header, msg)];
        };
        if let Some(role) = wanted {
            if role != Role::Equal {
                if let Some(g) = self.generation {
                    // Generation ids compare as a wrapping sequence.
                    if (r.generation_id.wrapping_sub(g) as i64) < 0 {
                        return vec![error_for(ErrorKind::RoleStale, version, header, msg)];
                    }
                }
                self.generation = Some(r.generation_id);
            }
            if role == Role::Master {
                let generation_id = r.generation_id;
                for (other, c) in self.conns.iter_mut() {
                    if *other != id && c.role == Role::Master {
                        c.role = Role::Slave;
                        if c.version >= Version::V1_4 {
                            let status = Message::RoleStatus(RoleStatus {
                                role: Role::Slave.wire(),
                                reason: ROLE_REASON_MASTER_REQUEST,
                                generation_id,
                                properties: Vec::new(),
                            });
                            c.deliver(AsyncKind::RoleStatus, ROLE_REASON_MASTER_REQUEST, &status);
                        }
                    }
                }
            }
            if let Some(c) = self.conns.get_mut(&id) {
                c.role = role;
            }
        }
        vec![Message::RoleReply(RoleMsg {
            role: self.conns[&id].role.wire(),
            generation_id: self.generation.unwrap_or(0),
        })]
    }

    fn features(&self, version: Version) -> FeaturesReply {
        FeaturesReply {
            datapath_id: self.datapath_id,
            n_buffers: 0,
            n_tables: 254,
            auxiliary_id: 0,
            capabilities: CAPABILITIES,
            actions: if version == Version::V1_0 { 1 } else { 0 },
            ports: if version <= Version::V1_2 {
                self.ports.iter().map(port::desc).collect()
            } else {
                Vec::new()
            },
        }
    }

    fn multipart(
        &self,
        version: Version,
        header: &Header,
        msg: &Message,
        req: &MultipartRequest,
    ) -> Vec<Message> {
        let body = match &req.body {
            MultipartRequestBody::Desc => MultipartReplyBody::Desc(port::switch_desc(&self.name)),
            MultipartRequestBody::PortDesc => {
                MultipartReplyBody::PortDesc(self.ports.iter().map(port::desc).collect())
            }
            MultipartRequestBody::PortStats(r) => {
                if r.port_no != OFPP_ANY && !self.ports.iter().any(|p| p.ofport == r.port_no) {
                    return vec![error_for(ErrorKind::BadPort, version, header, msg)];
                }
                MultipartReplyBody::PortStats(
                    self.ports
                        .iter()
                        .filter(|p| r.port_no == OFPP_ANY || p.ofport == r.port_no)
                        .map(|p| port::stats(p, version))
                        .collect(),
                )
            }
            MultipartRequestBody::Flow(r) => match self.tables.flow_stats(r, version) {
                Ok(flows) => MultipartReplyBody::Flow(flows),
                Err(kind) => return vec![error_for(kind, version, header, msg)],
            },
            MultipartRequestBody::Aggregate(r) => match self.tables.aggregate(r, version) {
                Ok(agg) => MultipartReplyBody::Aggregate(agg),
                Err(kind) => return vec![error_for(kind, version, header, msg)],
            },
            MultipartRequestBody::Group(r) => {
                let tables = &self.tables;
                MultipartReplyBody::Group(
                    self.groups.stats(r.group_id, |g| tables.group_ref_count(g)),
                )
            }
            MultipartRequestBody::GroupDesc => MultipartReplyBody::GroupDesc(self.groups.desc()),
            MultipartRequestBody::GroupFeatures => {
                MultipartReplyBody::GroupFeatures(Groups::features())
            }
            MultipartRequestBody::Meter(r) => {
                let tables = &self.tables;
                MultipartReplyBody::Meter(
                    self.meters
                        .stats(r.meter_id, |m| tables.meter_flow_count(m)),
                )
            }
            MultipartRequestBody::MeterConfig(r) => {
                MultipartReplyBody::MeterConfig(self.meters.config(r.meter_id))
            }
            MultipartRequestBody::MeterFeatures => {
                MultipartReplyBody::MeterFeatures(Meters::features())
            }
            MultipartRequestBody::TableDesc => {
                MultipartReplyBody::TableDesc(self.tables.table_desc())
            }
            MultipartRequestBody::Table => {
                MultipartReplyBody::Table(self.tables.table_stats(version))
            }
            // A table-features request with a body asks to reconfigure the
            // tables, which this switch refuses.
            MultipartRequestBody::TableFeatures(set) if !set.is_empty() => {
                return vec![error_for(ErrorKind::BadTableFeatures, version, header, msg)];
            }
            MultipartRequestBody::TableFeatures(_) => {
                MultipartReplyBody::TableFeatures(table::table_features(&self.tables))
            }
            _ => return vec![error_for(ErrorKind::BadMultipart, version, header, msg)],
        };
        multipart_reply(body, version)
    }
}

/// `OFPRFR_GROUP_MOD`: a forwarded group-mod.
const REQUESTFORWARD_GROUP_MOD: u8 = 0;
/// `OFPRFR_METER_MOD`: a forwarded meter-mod.
const REQUESTFORWARD_METER_MOD: u8 = 1;

/// Locks a bridge's `Ofproto`; a panic elsewhere while it was held does
/// not poison it (every change is complete before the next).
pub fn lock(of: &std::sync::Mutex<Ofproto>) -> std::sync::MutexGuard<'_, Ofproto> {
    of.lock().unwrap_or_else(|e| e.into_inner())
}

/// How a [`Ofproto::drain_packet_ins`] batch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// The datapath's queue is empty.
    Empty,
    /// The batch is done and events may be left: drain again soon.
    More,
}

/// A multipart reply split into messages of at most [`MAX_REPLY_LEN`]
/// bytes.
fn multipart_reply(body: MultipartReplyBody, version: Version) -> Vec<Message> {
    MultipartReply { flags: 0, body }
        .split(version, MAX_REPLY_LEN)
        .into_iter()
        .map(Message::MultipartReply)
        .collect()
}

/// Whether `msg` modifies the switch (refused from a slave).
pub fn modifies_switch(msg: &Message) -> bool {
    matches!(
        msg,
        Message::FlowMod(_)
            | Message::GroupMod(_)
            | Message::PortMod(_)
            | Message::TableMod(_)
            | Message::MeterMod(_)
            | Message::PacketOut(_)
            | Message::BundleControl(_)
            | Message::BundleAdd(_)
    )
}

/// The error reply to `msg` (which carries the request's first 64 bytes).
pub fn error_for(kind: ErrorKind, version: Version, header: &Header, msg: &Message) -> Message {
    let request = msg.encode(version, header.xid).unwrap_or_default();
    Message::Error(ErrorMsg::for_request(kind, version, &request))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datapath_ids() {
        assert_eq!(datapath_id("br0", Some("00000000000000ab")), Ok(0xab));
        assert!(datapath_id("br0", Some("xyz"))
            .unwrap_err()
            .contains("bridge br0"));
        let a = datapath_id("br0", None).unwrap();
        assert_eq!(a, datapath_id("br0", None).unwrap());
        assert_ne!(a, datapath_id("br1", None).unwrap());
        assert_eq!(a >> 48, 0);
        assert_eq!((a >> 40) & 0x03, 0x02, "locally administered unicast");
    }

    #[test]
    fn protocol_lists() {
        assert_eq!(protocols("b", &[]).unwrap(), Version::ALL.to_vec());
        assert_eq!(
            protocols("b", &["OpenFlow14".into(), "OpenFlow13".into()]).unwrap(),
            vec![Version::V1_3, Version::V1_4]
        );
        assert!(protocols("b", &["OpenFlow15".into()]).is_err());
    }

    fn header(xid: u32) -> Header {
        Header {
            version: 4,
            msg_type: 0,
            length: 8,
            xid,
        }
    }

    /// A controller connection's kind without rate limit or target.
    fn controller() -> ConnKind {
        ConnKind::Controller {
            pin_limit: None,
            target: None,
        }
    }

    fn with_conn(version: Version) -> (Ofproto, ConnId, mpsc::Receiver<Message>) {
        let mut of = Ofproto::new("br0", 7, Version::ALL.to_vec());
        let (tx, rx) = mpsc::channel(16);
        let id = of.connect(version, tx, controller());
        (of, id, rx)
    }

    /// Packet-ins are drained in batches, each bounded; past a
    /// connection's backlog they are dropped and counted.
    #[test]
    fn packet_ins_drain_in_batches() {
        let ev = packet_in::test_event;
        let mut of = Ofproto::new("br0", 7, Version::ALL.to_vec());
        let (tx, mut rx) = mpsc::channel(256);
        of.connect(Version::V1_3, tx, controller());
        for n in 0..100 {
            of.packet_ins.push(ev(n));
        }
        assert_eq!(of.drain_packet_ins(10), Drained::More);
        assert_eq!(of.pin_sent, 10);
        assert_eq!(of.drain_packet_ins(1000), Drained::Empty);
        // Past the connection's backlog the rest was dropped, counted.
        let backlog = conn::PACKET_IN_BACKLOG as u64;
        assert_eq!(of.pin_sent, backlog);
        assert_eq!(
            of.conns.values().map(|c| c.async_dropped).sum::<u64>(),
            100 - backlog
        );
        let mut received = 0;
        while let Ok(Message::PacketIn(_)) = rx.try_recv() {
            received += 1;
        }
        assert_eq!(received, backlog);
    }

    /// A flow dump sent a chunk at a time gives the bytes of the replies
    /// `handle` builds, in every version and whatever the chunk size, and
    /// is not changed by flow-mods made while it is sent; a bad table
    /// gives the error.
    #[test]
    fn encoded_flow_dump_equals_the_built_replies() {
        use openflow::flow_mod::FlowMod;
        use openflow::instruction::Instruction;
        use openflow::multipart::FlowStatsRequest;
        use openflow::oxm::OxmField;
        for v in [Version::V1_0, Version::V1_3, Version::V1_4] {
            let (mut of, c, _rx) = with_conn(v);
            for k in 0..3000u32 {
                let mut fields = vec![OxmField::InPort(1 + k % 7)];
                if k % 3 == 0 {
                    fields.push(OxmField::EthType(0x800));
                    fields.push(OxmField::Ipv4Dst {
                        value: k.into(),
                        mask: None,
                    });
                }
                let fm = FlowMod::new(
                    openflow::flow_mod::command::ADD,
                    0,
                    (k % 5) as u16,
                    openflow::flow_match::Match::new(fields),
                    // Runs of equal instructions, which rules share.
                    vec![Instruction::ApplyActions(vec![Action::Output {
                        port: 1 + (k / 400) % 3,
                        max_len: 0,
                    }])],
                );
                assert!(of.handle(c, &header(k), &Message::FlowMod(fm)).is_empty());
            }
            let mut req = FlowStatsRequest::all();
            let msg = |req: &FlowStatsRequest| {
                Message::MultipartRequest(MultipartRequest {
                    flags: 0,
                    body: MultipartRequestBody::Flow(req.clone()),
                })
            };
            let built: Vec<u8> = of
                .handle(c, &header(77), &msg(&req))
                .iter()
                .flat_map(|m| m.encode(v, 77).unwrap())
                .collect();
            // The whole reply, as a connection sends it: chunks of at least
            // `chunk` bytes of whole messages.
            let sent = |dump: Option<Result<FlowDump, Message>>, chunk: usize| {
                let Some(Ok(mut dump)) = dump else {
                    panic!("not a dump: {:?}", dump.map(|d| d.err()));
                };
                let mut out = Vec::new();
                while let Some(bytes) = dump.next_chunk(chunk) {
                    assert!(!bytes.is_empty());
                    out.extend_from_slice(bytes);
                }
                assert_eq!(dump.remaining(), 0);
                out
            };
            let encoded = sent(of.flow_dump(c, &header(77), &msg(&req)), dump::DUMP_CHUNK);
            let one_by_one = sent(of.flow_dump(c, &header(77), &msg(&req)), 1);
            // Rules deleted while the reply is sent are still in it: it is
            // the tables as the request found them.
            let started = of.flow_dump(c, &header(77), &msg(&req));
            let delete_all = FlowMod::new(
                openflow::flow_mod::command::DELETE,
                openflow::multipart::OFPTT_ALL,
                0,
                openflow::flow_match::Match::new(vec![]),
                vec![],
            );
            assert!(of
                .handle(c, &header(80), &Message::FlowMod(delete_all))
                .is_empty());
            of.commit();
            assert_eq!(of.tables.len_of(openflow::multipart::OFPTT_ALL), 0);
            let after_delete = sent(started, 1000);
            // The two differ only in the flows' durations.
            let parts = |bytes: &[u8]| {
                let mut out = Vec::new();
                let mut rest = bytes;
                while !rest.is_empty() {
                    let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
                    let (m, r) = rest.split_at(len);
                    out.push(openflow::decode(m).unwrap().1);
                    rest = r;
                }
                out
            };
            let strip = |msgs: Vec<Message>| -> Vec<Message> {
                msgs.into_iter()
                    .map(|mut m| {
                        if let Message::MultipartReply(MultipartReply {
                            body: MultipartReplyBody::Flow(l),
                            ..
                        }) = &mut m
                        {
                            for f in l {
                                f.duration_sec = 0;
                                f.duration_nsec = 0;
                            }
                        }
                        m
                    })
                    .collect()
            };
            let want = strip(parts(&built));
            assert!(want.len() > 1, "{v:?}: a reply of several messages");
            for got in [&encoded, &one_by_one, &after_delete] {
                assert_eq!(got.len(), built.len(), "{v:?}");
                assert_eq!(strip(parts(got)), want, "{v:?}");
            }
            req.table_id = 254;
            match of.flow_dump(c, &header(78), &msg(&req)) {
                Some(Err(Message::Error(e))) => {
                    let want = ErrorMsg::for_request(ErrorKind::BadTableId, v, &[]);
                    assert_eq!((e.err_type, e.code), (want.err_type, want.code));
                }
                other => panic!("{:?}", other.map(|d| d.err())),
            }
            // Other requests are answered by `handle`.
            assert!(of
                .flow_dump(c, &header(79), &Message::BarrierRequest)
                .is_none());
        }
    }

    #[test]
    fn answers_what_it_supports_and_refuses_the_rest() {
        let v = Version::V1_3;
        let (mut of, c, _rx) = with_conn(v);
        match of
            .handle(c, &header(1), &Message::FeaturesRequest)
            .as_slice()
        {
            [Message::FeaturesReply(f)] => {
                assert_eq!(f.datapath_id, 7);
                assert_eq!(f.n_tables, 254);
                assert_eq!(f.n_buffers, 0);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            of.handle(c, &header(2), &Message::BarrierRequest),
            vec![Message::BarrierReply]
        );
        let cfg = SwitchConfig {
            flags: 0,
            miss_send_len: 0xffff,
        };
        assert!(of
            .handle(c, &header(3), &Message::SetConfig(cfg))
            .is_empty());
        assert_eq!(
            of.handle(c, &header(4), &Message::GetConfigRequest),
            vec![Message::GetConfigReply(cfg)]
        );
        let table = Message::MultipartRequest(MultipartRequest {
            flags: 0,
            body: MultipartRequestBody::Queue(openflow::multipart::QueueStatsRequest {
                port_no: OFPP_ANY,
                queue_id: u32::MAX,
            }),
        });
        match of.handle(c, &header(5), &table).as_slice() {
            [Message::Error(e)] => {
                let bytes = Message::Error(e.clone()).encode(v, 5).unwrap();
                // OFPET_BAD_REQUEST / OFPBRC_BAD_MULTIPART, then the request.
                assert_eq!(&bytes[8..12], &[0, 1, 0, 2]);
                assert_eq!(&bytes[12..], &table.encode(v, 5).unwrap()[..]);
            }
            other => panic!("{other:?}"),
        }
        let queue_config =
            Message::QueueGetConfigRequest(openflow::config::QueueGetConfigRequest {
                port: OFPP_ANY,
            });
        match of.handle(c, &header(6), &queue_config).as_slice() {
            [Message::Error(e)] => assert_eq!((e.err_type, e.code), (1, 1), "BAD_TYPE"),
            other => panic!("{other:?}"),
        }
        // A table-mod is accepted; a bad table or config is refused.
        assert!(of.handle(c, &header(7), &table_mod()).is_empty());
        let bad = Message::TableMod(openflow::config::TableMod {
            table_id: 254,
            config: 0,
            properties: Vec::new(),
        });
        match of.handle(c, &header(8), &bad).as_slice() {
            [Message::Error(e)] => assert_eq!((e.err_type, e.code), (8, 0), "BAD_TABLE"),
            other => panic!("{other:?}"),
        }
    }

    fn table_mod() -> Message {
        Message::TableMod(openflow::config::TableMod {
            table_id: 0,
            config: 0,
            properties: Vec::new(),
        })
    }

    fn role(of: &mut Ofproto, c: ConnId, role: u32, generation_id: u64) -> Message {
        let r = Message::RoleRequest(RoleMsg {
            role,
            generation_id,
        });
        let mut out = of.handle(c, &header(9), &r);
        assert_eq!(out.len(), 1);
        out.remove(0)
    }

    fn reply(role: u32, generation_id: u64) -> Message {
        Message::RoleReply(RoleMsg {
            role,
            generation_id,
        })
    }

    #[test]
    fn master_election_with_generations() {
        let (mut of, a, mut rx_a) = with_conn(Version::V1_4);
        let (tx, _rx_b) = mpsc::channel(16);
        let b = of.connect(Version::V1_3, tx, controller());
        assert_eq!(role(&mut of, a, 2, 10), reply(2, 10));
        // b becomes master with a newer generation: a is demoted and, as a
        // 1.4 connection, told so.
        assert_eq!(role(&mut of, b, 2, 11), reply(2, 11));
        assert_eq!(of.conns[&a].role, Role::Slave);
        match rx_a.try_recv() {
            Ok(Message::RoleStatus(s)) => {
                assert_eq!((s.role, s.reason, s.generation_id), (3, 0, 11));
            }
            other => panic!("{other:?}"),
        }
        // A stale generation is refused and changes nothing.
        match role(&mut of, a, 2, 9) {
            Message::Error(e) => assert_eq!((e.err_type, e.code), (11, 0)),
            other => panic!("{other:?}"),
        }
        assert_eq!(of.conns[&b].role, Role::Master);
        // NOCHANGE reports the current role; an unknown role is refused.
        assert_eq!(role(&mut of, a, 0, 0), reply(3, 11));
        match role(&mut of, a, 7, 0) {
            Message::Error(e) => assert_eq!((e.err_type, e.code), (11, 2)),
            other => panic!("{other:?}"),
        }
        // The slave may read but not modify.
        assert!(matches!(
            of.handle(a, &header(1), &Message::FeaturesRequest)
                .as_slice(),
            [Message::FeaturesReply(_)]
        ));
        match of.handle(a, &header(2), &table_mod()).as_slice() {
            [Message::Error(e)] => assert_eq!((e.err_type, e.code), (1, 10), "IS_SLAVE"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bundle_control_errors() {
        use openflow::bundle::ctrl_type as ct;
        let (mut of, c, _rx) = with_conn(Version::V1_4);
        let ctl = |bundle_id: u32, ctrl_type: u16| {
            Message::BundleControl(BundleControl {
                bundle_id,
                ctrl_type,
                flags: 1,
                properties: Vec::new(),
            })
        };
        let mut run = |m: Message| match of.handle(c, &header(1), &m).as_slice() {
            [Message::BundleControl(r)] => Ok(r.ctrl_type),
            [Message::Error(e), ..] => Err((e.err_type, e.code)),
            other => panic!("{other:?}"),
        };
        assert_eq!(run(ctl(1, ct::OPEN_REQUEST)), Ok(ct::OPEN_REPLY));
        assert_eq!(run(ctl(1, ct::OPEN_REQUEST)), Err((17, 3)), "BUNDLE_EXIST");
        assert_eq!(run(ctl(2, ct::CLOSE_REQUEST)), Err((17, 2)), "BAD_ID");
        assert_eq!(run(ctl(1, ct::CLOSE_REQUEST)), Ok(ct::CLOSE_REPLY));
        assert_eq!(
            run(ctl(1, ct::CLOSE_REQUEST)),
            Err((17, 4)),
            "BUNDLE_CLOSED"
        );
        assert_eq!(run(ctl(1, ct::COMMIT_REQUEST)), Ok(ct::COMMIT_REPLY));
        assert_eq!(
            run(ctl(1, ct::COMMIT_REQUEST)),
            Err((17, 2)),
            "gone after commit"
        );
        assert_eq!(run(ctl(3, ct::OPEN_REQUEST)), Ok(ct::OPEN_REPLY));
        assert_eq!(run(ctl(3, ct::DISCARD_REQUEST)), Ok(ct::DISCARD_REPLY));
    }

    /// A bundle-add given up by the caller is kept and committed as one
    /// `handle` copies, and refused as `handle` refuses it (wrong type,
    /// OpenFlow 1.3, a slave).
    #[test]
    fn owned_bundle_adds_act_as_borrowed_ones() {
        use openflow::bundle::ctrl_type as ct;
        use openflow::multipart::OFPTT_ALL;
        let add = |bundle_id: u32, message: Message| {
            Message::BundleAdd(BundleAdd {
                bundle_id,
                flags: 0,
                xid: 9,
                message: Box::new(message),
                properties: Vec::new(),
            })
        };
        let flow = || {
            Message::FlowMod(openflow::flow_mod::FlowMod::new(
                openflow::flow_mod::command::ADD,
                0,
                5,
                openflow::flow_match::Match::new(vec![]),
                vec![],
            ))
        };
        let (mut of, c, _rx) = with_conn(Version::V1_4);
        assert!(of.handle_owned(c, &header(1), add(1, flow())).is_empty());
        let commit = Message::BundleControl(BundleControl {
            bundle_id: 1,
            ctrl_type: ct::COMMIT_REQUEST,
            flags: 0,
            properties: Vec::new(),
        });
        match of.handle_owned(c, &header(2), commit).as_slice() {
            [Message::BundleControl(r)] => assert_eq!(r.ctrl_type, ct::COMMIT_REPLY),
            other => panic!("{other:?}"),
        }
        assert_eq!(of.tables.len_of(OFPTT_ALL), 1);
        // Errors: a message no bundle takes, and a bundle-add in 1.3.
        let bad = add(2, Message::BarrierRequest);
        let borrowed = of.handle(c, &header(3), &bad);
        assert!(
            matches!(borrowed.as_slice(), [Message::Error(_)]),
            "{borrowed:?}"
        );
        assert_eq!(of.handle_owned(c, &header(3), bad), borrowed);
        let (mut of13, c13, _rx13) = with_conn(Version::V1_3);
        let old = add(1, flow());
        let borrowed = of13.handle(c13, &header(4), &old);
        assert!(
            matches!(borrowed.as_slice(), [Message::Error(_)]),
            "{borrowed:?}"
        );
        assert_eq!(of13.handle_owned(c13, &header(4), old), borrowed);
        assert_eq!(of13.tables.len_of(OFPTT_ALL), 0);
        // A slave's bundle-add: IS_SLAVE, nothing kept.
        of.conns.get_mut(&c).expect("connected").role = Role::Slave;
        let slave = add(5, flow());
        let borrowed = of.handle(c, &header(5), &slave);
        match borrowed.as_slice() {
            [Message::Error(e)] => assert_eq!((e.err_type, e.code), (1, 10), "IS_SLAVE"),
            other => panic!("{other:?}"),
        }
        assert_eq!(of.handle_owned(c, &header(5), slave), borrowed);
        assert!(!of.conns[&c].bundles.contains_key(&5));
    }

    /// A connection's open bundles hold at most `MAX_BUNDLE_BYTES` of
    /// bundle-adds together; past it a bundle-add is refused with
    /// BUNDLE_MSG_TOO_MANY, and a discarded bundle gives its bytes back.
    #[test]
    fn bundles_hold_a_bounded_number_of_bytes() {
        use openflow::bundle::ctrl_type as ct;
        let (mut of, c, _rx) = with_conn(Version::V1_4);
        // The biggest bundle-add there is: 65 535 bytes.
        let big = |xid| Header {
            length: u16::MAX,
            ..header(xid)
        };
        let add = |bundle_id: u32| {
            Message::BundleAdd(BundleAdd {
                bundle_id,
                flags: 0,
                xid: 9,
                message: Box::new(Message::FlowMod(openflow::flow_mod::FlowMod::new(
                    openflow::flow_mod::command::ADD,
                    0,
                    5,
                    openflow::flow_match::Match::new(vec![]),
                    vec![],
                ))),
                properties: Vec::new(),
            })
        };
        let fits = conn::MAX_BUNDLE_BYTES / usize::from(u16::MAX);
        for i in 0..fits {
            // Spread over two bundles: the limit is the connection's.
            let r = of.handle_owned(c, &big(1), add(1 + (i % 2) as u32));
            assert!(r.is_empty(), "add {i}: {r:?}");
        }
        match of.handle_owned(c, &big(2), add(3)).as_slice() {
            [Message::Error(e)] => assert_eq!((e.err_type, e.code), (17, 12), "MSG_TOO_MANY"),
            other => panic!("{other:?}"),
        }
        let discard = Message::BundleControl(BundleControl {
            bundle_id: 2,
            ctrl_type: ct::DISCARD_REQUEST,
            flags: 0,
            properties: Vec::new(),
        });
        assert!(matches!(
            of.handle(c, &header(3), &discard).as_slice(),
            [Message::BundleControl(_)]
        ));
        assert!(of.handle_owned(c, &big(4), add(3)).is_empty());
    }

    #[test]
    fn packet_outs_are_validated() {
        let (mut of, c, _rx) = with_conn(Version::V1_3);
        let po = |buffer_id: u32, actions: Vec<Action>| {
            Message::PacketOut(PacketOut {
                buffer_id,
                in_port: OFPP_CONTROLLER,
                actions,
                data: vec![0; 60],
            })
        };
        let code = |of: &mut Ofproto, m: &Message| match of.handle(c, &header(4), m).as_slice() {
            [Message::Error(e)] => (e.err_type, e.code),
            other => panic!("{other:?}"),
        };
        let output = Action::Output {
            port: 1,
            max_len: 0,
        };
        assert_eq!(
            code(&mut of, &po(7, vec![output.clone()])),
            (1, 8),
            "BUFFER_UNKNOWN"
        );
        assert_eq!(
            code(&mut of, &po(u32::MAX, vec![Action::Group(1)])),
            (2, 9),
            "BAD_OUT_GROUP"
        );
        // Without a datapath (this test), the in_port cannot be resolved.
        assert_eq!(
            code(&mut of, &po(u32::MAX, vec![output])),
            (1, 11),
            "BAD_PORT"
        );
    }

    #[test]
    fn async_config_and_delivery_follow_roles() {
        let (mut of, a, mut rx_a) = with_conn(Version::V1_3);
        let (tx, mut rx_b) = mpsc::channel(16);
        let b = of.connect(Version::V1_3, tx, controller());
        assert_eq!(role(&mut of, b, 3, 1), reply(3, 1));
        let m = Message::BarrierReply;
        assert_eq!(of.send_async(AsyncKind::PacketIn, 0, &m), 1);
        assert!(rx_a.try_recv().is_ok());
        assert!(rx_b.try_recv().is_err(), "a slave gets no packet-in");
        assert_eq!(of.send_async(AsyncKind::PortStatus, 0, &m), 2);
        match of
            .handle(a, &header(3), &Message::GetAsyncRequest)
            .as_slice()
        {
            [Message::GetAsyncReply(cfg)] => assert_eq!(cfg.properties.len(), 6),
            other => panic!("{other:?}"),
        }
        of.disconnect(a);
        assert_eq!(of.send_async(AsyncKind::PortStatus, 0, &m), 1);
    }

    #[test]
    fn openflow_14_events_reach_the_other_controllers() {
        use openflow::group::{Bucket, GroupType};
        use openflow::group_meter_mod::GroupMod;
        use openflow::multipart::{FlowMonitorRequest, FlowUpdate};
        let (mut of, a, mut rx_a) = with_conn(Version::V1_4);
        let (tx, mut rx_b) = mpsc::channel(16);
        let b = of.connect(Version::V1_4, tx, controller());
        let (tx, mut rx_c) = mpsc::channel(16);
        let _c = of.connect(Version::V1_3, tx, controller());

        // A group-mod from a is forwarded to b (1.4), not to a nor to c (1.3).
        let gm = Message::GroupMod(GroupMod {
            command: 0,
            group_type: GroupType::All,
            group_id: 1,
            buckets: vec![Bucket {
                weight: 0,
                watch_port: OFPP_ANY,
                watch_group: openflow::group::OFPG_ANY,
                actions: vec![Action::Output {
                    port: 1,
                    max_len: 0,
                }],
            }],
        });
        assert!(of.handle(a, &header(21), &gm).is_empty());
        match rx_b.try_recv() {
            Ok(Message::RequestForward(f)) => {
                assert_eq!(f.xid, 21);
                assert_eq!(*f.request, gm);
            }
            other => panic!("{other:?}"),
        }
        assert!(rx_a.try_recv().is_err() && rx_c.try_recv().is_err());
        // A refused one is not forwarded.
        assert!(matches!(
            of.handle(a, &header(22), &gm).as_slice(),
            [Message::Error(_)]
        ));
        assert!(rx_b.try_recv().is_err());

        // b monitors table 0; a's flow-mod reaches b in full, and a (also
        // monitoring) abbreviated with its xid.
        let mon = |id| {
            Message::MultipartRequest(MultipartRequest {
                flags: 0,
                body: MultipartRequestBody::FlowMonitor(vec![FlowMonitorRequest {
                    monitor_id: id,
                    out_port: OFPP_ANY,
                    out_group: openflow::group::OFPG_ANY,
                    flags: monitor::monitor_flags::ADD | monitor::monitor_flags::INITIAL,
                    table_id: 0,
                    command: monitor::monitor_command::ADD,
                    match_: Default::default(),
                }]),
            })
        };
        for conn in [a, b] {
            match of.handle(conn, &header(23), &mon(5)).as_slice() {
                [Message::MultipartReply(r)] => {
                    assert_eq!(r.body, MultipartReplyBody::FlowMonitor(Vec::new()))
                }
                other => panic!("{other:?}"),
            }
        }
        let fm = Message::FlowMod(openflow::flow_mod::FlowMod::new(
            table::command::ADD,
            0,
            1,
            Default::default(),
            Vec::new(),
        ));
        assert!(of.handle(a, &header(24), &fm).is_empty());
        let update = |rx: &mut mpsc::Receiver<Message>| match rx.try_recv() {
            Ok(Message::MultipartReply(MultipartReply {
                body: MultipartReplyBody::FlowMonitor(u),
                ..
            })) => u,
            other => panic!("{other:?}"),
        };
        assert_eq!(update(&mut rx_a), vec![FlowUpdate::Abbrev { xid: 24 }]);
        assert!(matches!(update(&mut rx_b).as_slice(), [FlowUpdate::Full(f)] if f.priority == 1));
        assert!(rx_c.try_recv().is_err());
        // Monitoring stops when the last monitor goes away.
        of.disconnect(b);
        let del = Message::MultipartRequest(MultipartRequest {
            flags: 0,
            body: MultipartRequestBody::FlowMonitor(vec![FlowMonitorRequest {
                monitor_id: 5,
                out_port: OFPP_ANY,
                out_group: openflow::group::OFPG_ANY,
                flags: 0,
                table_id: 0,
                command: monitor::monitor_command::DELETE,
                match_: Default::default(),
            }]),
        });
        assert_eq!(of.handle(a, &header(25), &del).len(), 1);
        assert!(of.tables.take_events().is_empty());
        assert!(of.handle(a, &header(26), &fm).is_empty());
        assert!(of.tables.take_events().is_empty(), "no monitor, no events");
    }

    #[test]
    fn standalone_fails_open_without_controllers_and_recovers() {
        use std::time::Duration;
        let mut of = Ofproto::new("br0", 7, Version::ALL.to_vec());
        of.set_fail_mode(Some(Duration::from_secs(3)), true);
        let t0 = Instant::now();
        of.tick(t0);
        assert!(!of.fail_open);
        of.tick(t0 + Duration::from_secs(4));
        assert!(of.fail_open, "no controller for 3 s");
        // A management client is no controller.
        let (tx, _rx) = mpsc::channel(4);
        let svc = of.connect(Version::V1_3, tx, ConnKind::Service);
        assert!(of.fail_open);
        let (tx, _rx2) = mpsc::channel(4);
        let c = of.connect(Version::V1_3, tx, controller());
        assert!(!of.fail_open, "a controller returned");
        of.disconnect(c);
        of.disconnect(svc);
        assert!(!of.fail_open, "not before another 3 s");
        of.tick(Instant::now() + Duration::from_secs(4));
        assert!(of.fail_open);

        // Secure never fails open; standalone without controllers has the
        // default NORMAL flow instead.
        let mut secure = Ofproto::new("br1", 8, Version::ALL.to_vec());
        secure.set_fail_mode(None, true);
        secure.tick(Instant::now() + Duration::from_secs(60));
        assert!(!secure.fail_open);
        let mut alone = Ofproto::new("br2", 9, Version::ALL.to_vec());
        alone.set_fail_mode(Some(Duration::from_secs(15)), false);
        alone.tick(Instant::now() + Duration::from_secs(60));
        assert!(!alone.fail_open);
        let flows = alone
            .tables
            .flow_stats(&openflow::multipart::FlowStatsRequest::all(), Version::V1_3)
            .unwrap();
        assert_eq!(flows.len(), 1);
        assert_eq!(flows[0].priority, 0);
        assert_eq!(
            flows[0].instructions,
            vec![openflow::instruction::Instruction::ApplyActions(vec![
                Action::Output {
                    port: openflow::port::OFPP_NORMAL,
                    max_len: 0
                }
            ])]
        );
    }
}
