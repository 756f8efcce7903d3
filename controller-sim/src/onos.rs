//! Mode `onos`: replays what ONOS's OpenFlow driver sends a switch, from
//! the hello to the steady-state statistics polling, and reports every
//! request the switch rejects.
//!
//! ONOS cannot be installed here; the sequence below is read from its
//! public source (github.com/opennetworkinglab/onos, 2022 `master`), file
//! by file. Paths are relative to `protocols/openflow` (ctl, api) and
//! `providers/openflow` (device, flow, group, meter).
//!
//! # Handshake (`ctl/.../impl/OFChannelHandler.java`, enum `ChannelState`)
//!
//! 1. `WAIT_HELLO`: ONOS answers the switch's hello with one carrying a
//!    version bitmap of 1.0, 1.3, 1.4 and 1.5 (`sendHandshakeHelloMessage`).
//!    Here the hello is the connection core's, offering the `-O` versions
//!    (1.5 is beyond the `openflow` crate), and it is sent at connect rather
//!    than after the switch's: switches send theirs at once anyway.
//! 2. `OFPT_FEATURES_REQUEST` (`sendHandshakeFeaturesRequestMessage`).
//! 3. `WAIT_FEATURES_REPLY`: on 1.3+ an `OFPMP_PORT_DESC` request
//!    (`sendHandshakeOFPortDescRequest`); on 1.0 straight to step 4.
//! 4. `WAIT_PORT_DESC_REPLY` (after the last part, without
//!    `OFPMPF_REPLY_MORE`): `sendHandshakeSetConfig` sends
//!    `OFPT_SET_CONFIG` (flags 0, `miss_send_len` 0xffff) only when the
//!    features reply announced `n_buffers > 0`, then a barrier and
//!    `OFPT_GET_CONFIG_REQUEST` together.
//! 5. `WAIT_CONFIG_REPLY`: the get-config reply's `miss_send_len` is
//!    checked (a warning when not 0xffff); the barrier reply is ignored; a
//!    BAD_REQUEST/BAD_TYPE error moves on (`nextState`). On 1.3+
//!    `OFPMP_METER_FEATURES` (`sendMeterFeaturesRequest`, state
//!    `WAIT_METER_FEATURES_REPLY`, where any error also moves on), then on
//!    every version `OFPMP_DESC` (`sendHandshakeDescriptionStatsRequest`).
//! 6. `WAIT_DESCRIPTION_STAT_REPLY`: the driver's handshake starts. The
//!    default driver (`drivers/default/.../DefaultSwitchHandshaker.java`,
//!    also what `NiciraSwitchHandshaker` extends) sends, on 1.0 only, a
//!    flow add of priority 0 with an empty match and no actions.
//! 7. Mastership: `AbstractOpenFlowSwitch.setRole(MASTER)` through
//!    `ctl/.../impl/RoleManager.java` `sendOF13RoleRequest`: an
//!    `OFPT_ROLE_REQUEST` with role MASTER and generation id 0 (ONOS leaves
//!    it at `U64.ZERO`; `--generation-id` changes it), xid 0 (the first
//!    `getNextTransactionId`). On 1.0 the default driver has no role
//!    support (`supportNxRole` false) and ONOS becomes master without a
//!    message. The role reply must say MASTER (`deliverRoleReply`).
//!
//! Handshake xids count down from 0xffffffff (`handshakeTransactionIds`),
//! the hello taking the first.
//!
//! # Steady state, as master
//!
//! Messages sent before the role reply wait for it
//! (`AbstractOpenFlowSwitch.sendMsg`, `messagesPendingMastership`); then:
//!
//! - `device/.../OpenFlowDeviceProvider.java` `switchAdded`: an
//!   `OFPMP_PORT_DESC` request again (1.3+); `PortStatsCollector`: port
//!   stats for `OFPP_ANY` 1 s after the switch is added, then every
//!   `portStatsPollFrequency` (5 s), when the features reply has
//!   `OFPC_PORT_STATS`;
//! - `flow/.../OpenFlowRuleProvider.java` `createCollector`:
//!   `FlowStatsCollector` (with `OFPC_FLOW_STATS`): flow stats of every
//!   table (`OFPTT_ALL`), empty match, `OFPP_ANY`/`OFPG_ANY`, 1 s after the
//!   switch is added then every `flowPollFrequency` (5 s), skipping up to 5
//!   ticks while the previous reply is awaited (`WAITING_ATTEMPTS`);
//!   `TableStatisticsCollector` (with `OFPC_TABLE_STATS`): table stats on
//!   the same schedule;
//! - `group/.../GroupStatsCollector.java` (1.3+, `isGroupSupported`): 1 s
//!   after, then every `groupPollInterval` (10 s), group stats for
//!   `OFPG_ALL` followed by group desc when the switch has
//!   `OFPC_GROUP_STATS`, group desc alone otherwise;
//! - `meter/.../MeterStatsCollector.java` (1.3+, `isMeterSupported`): 1 s
//!   after, then every `meterStatsPollInterval` (10 s), meter stats for
//!   `OFPM_ALL`. ONOS never polls meter config; meter features are asked
//!   once, in the handshake; it never sends a table-features request.
//! - Rules: ONOS's default applications ask for LLDP and BDDP
//!   (`providers/lldp/.../LldpLinkProvider.java`) and ARP
//!   (`providers/host/.../HostLocationProvider.java`) packets at
//!   `PacketPriority.CONTROL` (40000). `core/net/.../PacketManager.java`
//!   makes each a permanent forwarding objective `punt().wipeDeferred()`,
//!   which `flow/.../FlowModBuilderVer13.java` `buildFlowAdd` turns into a
//!   flow add in table 0 with `OFPFF_SEND_FLOW_REM`, `OFP_NO_BUFFER`,
//!   clear-actions and apply-actions output CONTROLLER with max_len
//!   0xffff; `OpenFlowRuleProvider.executeBatch` follows each batch with a
//!   barrier. `--no-flows` leaves them out.
//! - Echo: `OFChannelInitializer` installs `IdleStateHandler(5, 25, 0)`;
//!   `OFChannelHandler.channelIdle` sends an echo request after
//!   `MAX_IDLE_RETRY` (4) idle events, i.e. after 20 s without reading
//!   anything (`--echo-idle`). Echo requests from the switch are answered
//!   (`processOFEchoRequest`).
//!
//! `--poll-interval` sets the flow, table and port stats period; group and
//! meter stats run at twice it, as ONOS's defaults (5 s and 10 s) do.
//!
//! ONOS reuses xids across its collectors (meter stats always 0, port and
//! group stats from separate counters starting at 1); the replay gives
//! every steady-state request an xid of its own so that each reply and
//! each error names its request. The switch answers by xid whatever the
//! value.
//!
//! Where ONOS would disconnect on an error during the handshake
//! (`logErrorDisconnect`), the replay notes it and goes on, so that one
//! run finds every request the switch rejects. At `--duration` it stops
//! sending, waits for the replies still due (at most [`DRAIN`]), and ends.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use openflow::action::{Action, OFPCML_NO_BUFFER};
use openflow::config::{RoleMsg, SwitchConfig};
use openflow::flow_match::Match;
use openflow::flow_mod::{command, flags, FlowMod};
use openflow::group::OFPG_ALL;
use openflow::instruction::Instruction;
use openflow::meter::OFPM_ALL;
use openflow::multipart::{
    FlowStatsRequest, GroupStatsRequest, MeterRequest, MultipartReply, MultipartRequest,
    MultipartRequestBody, PortStatsRequest, OFPMPF_REPLY_MORE,
};
use openflow::oxm::OxmField;
use openflow::port::{OFPP_ANY, OFPP_CONTROLLER};
use openflow::{EncodeError, Header, Message, MsgType, Version};

use crate::cli::Common;
use crate::session::{Ctx, Handler};

/// `OFPC_FLOW_STATS`.
pub const OFPC_FLOW_STATS: u32 = 1 << 0;
/// `OFPC_TABLE_STATS`.
pub const OFPC_TABLE_STATS: u32 = 1 << 1;
/// `OFPC_PORT_STATS`.
pub const OFPC_PORT_STATS: u32 = 1 << 2;
/// `OFPC_GROUP_STATS` (1.1+).
pub const OFPC_GROUP_STATS: u32 = 1 << 3;
/// `OFPCR_ROLE_MASTER`.
pub const ROLE_MASTER: u32 = 2;
/// `PacketPriority.CONTROL` of ONOS.
pub const PACKET_REQUEST_PRIORITY: u16 = 40000;
/// The EtherTypes ONOS's default applications ask packet-ins for: LLDP,
/// BDDP, ARP.
pub const PACKET_REQUEST_ETH_TYPES: [u16; 3] = [0x88cc, 0x8942, 0x0806];
/// The collectors' first run after the switch is added
/// (`scheduleAtFixedRate(task, 1 * MS, ...)`, `newTimeout(this, 1, SECONDS)`).
const FIRST_POLL: Duration = Duration::from_secs(1);
/// `FlowStatsCollector.WAITING_ATTEMPTS`.
const FLOW_WAITING_ATTEMPTS: u32 = 5;
/// Time allowed at the end of a run for the replies still due.
pub const DRAIN: Duration = Duration::from_secs(5);
/// The first handshake xid after the hello's (`handshakeTransactionIds`
/// counts down from -1).
const FIRST_HANDSHAKE_XID: u32 = 0xffff_fffe;

/// Settings of the replay on one switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnosConfig {
    /// How long to run, from the end of the hello exchange.
    pub duration: Duration,
    /// Period of flow, table and port stats (group and meter stats: twice).
    pub poll_interval: Duration,
    /// Silence from the switch before an echo request.
    pub echo_idle: Duration,
    /// Generation id of the role request.
    pub generation_id: u64,
    /// Install ONOS's packet-request flows (LLDP, BDDP, ARP to the
    /// controller) once master.
    pub packet_requests: bool,
}

/// What the replay sends, one kind per ONOS request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Request {
    /// `OFPT_FEATURES_REQUEST`.
    Features,
    /// `OFPMP_PORT_DESC`.
    PortDesc,
    /// `OFPT_SET_CONFIG` (no reply).
    SetConfig,
    /// `OFPT_BARRIER_REQUEST`.
    Barrier,
    /// `OFPT_GET_CONFIG_REQUEST`.
    GetConfig,
    /// `OFPMP_METER_FEATURES`.
    MeterFeatures,
    /// `OFPMP_DESC`.
    Desc,
    /// The default driver's 1.0 flow add (no reply).
    DriverFlow,
    /// `OFPT_ROLE_REQUEST`.
    Role,
    /// A packet-request flow add (no reply).
    PacketRequestFlow,
    /// `OFPMP_FLOW`.
    FlowStats,
    /// `OFPMP_TABLE`.
    TableStats,
    /// `OFPMP_PORT_STATS`.
    PortStats,
    /// `OFPMP_GROUP`.
    GroupStats,
    /// `OFPMP_GROUP_DESC`.
    GroupDesc,
    /// `OFPMP_METER`.
    MeterStats,
    /// `OFPT_ECHO_REQUEST`.
    Echo,
}

impl Request {
    /// The request's OpenFlow name (the multipart type for multiparts).
    pub fn name(self) -> &'static str {
        use Request::*;
        match self {
            Features => "OFPT_FEATURES_REQUEST",
            PortDesc => "OFPMP_PORT_DESC",
            SetConfig => "OFPT_SET_CONFIG",
            Barrier => "OFPT_BARRIER_REQUEST",
            GetConfig => "OFPT_GET_CONFIG_REQUEST",
            MeterFeatures => "OFPMP_METER_FEATURES",
            Desc => "OFPMP_DESC",
            DriverFlow | PacketRequestFlow => "OFPT_FLOW_MOD",
            Role => "OFPT_ROLE_REQUEST",
            FlowStats => "OFPMP_FLOW",
            TableStats => "OFPMP_TABLE",
            PortStats => "OFPMP_PORT_STATS",
            GroupStats => "OFPMP_GROUP",
            GroupDesc => "OFPMP_GROUP_DESC",
            MeterStats => "OFPMP_METER",
            Echo => "OFPT_ECHO_REQUEST",
        }
    }

    /// Whether the switch answers this request (flow-mods and set-config
    /// are answered only by an error).
    pub fn expects_reply(self) -> bool {
        !matches!(
            self,
            Request::SetConfig | Request::DriverFlow | Request::PacketRequestFlow
        )
    }
}

/// Where the replay is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the features reply.
    Features,
    /// Waiting for the (last part of the) port description.
    PortDesc,
    /// Waiting for the get-config reply.
    Config,
    /// Waiting for the meter features.
    MeterFeatures,
    /// Waiting for the switch description.
    Desc,
    /// Waiting for the role reply.
    Role,
    /// Master: polling.
    Active,
    /// The duration is over: waiting for the replies still due.
    Draining,
    /// Done.
    Done,
}

/// Requests of one kind: sent, answered by a reply, answered by an error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindCount {
    /// Sent.
    pub sent: u64,
    /// Answered by a reply.
    pub answered: u64,
    /// Answered by an `OFPT_ERROR`.
    pub errors: u64,
}

/// What the replay saw on one switch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnosResult {
    /// Requests sent (hello and the connection's own probes excluded).
    pub requests: u64,
    /// Requests answered by a reply (a multipart reply of several parts
    /// counts once).
    pub replies: u64,
    /// `OFPT_ERROR` messages received.
    pub errors: u64,
    /// The kinds of request the switch rejected (an error, or a role reply
    /// without MASTER).
    pub rejected: BTreeSet<&'static str>,
    /// Requests still unanswered at the end: (xid, kind).
    pub unanswered: Vec<(u32, &'static str)>,
    /// Whether the switch accepted us as master.
    pub master: bool,
    /// Per kind of request.
    pub by_kind: BTreeMap<Request, KindCount>,
    /// Asynchronous messages received (port status, packet-in, flow
    /// removed...).
    pub async_messages: u64,
    /// Notes on where the switch departed from what ONOS expects.
    pub notes: Vec<String>,
}

impl OnosResult {
    /// One line per kind of request: `OFPMP_FLOW sent=3 answered=3 errors=0`.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for (kind, c) in &self.by_kind {
            s.push_str(&format!(
                "  {:<24} sent={} answered={} errors={}\n",
                kind.name(),
                c.sent,
                c.answered,
                c.errors
            ));
        }
        s
    }

    /// Adds `other` (another switch) into this one.
    pub fn merge(&mut self, other: &OnosResult) {
        self.requests += other.requests;
        self.replies += other.replies;
        self.errors += other.errors;
        self.rejected.extend(other.rejected.iter().copied());
        self.unanswered.extend(other.unanswered.iter().copied());
        self.master &= other.master;
        for (k, c) in &other.by_kind {
            let e = self.by_kind.entry(*k).or_default();
            e.sent += c.sent;
            e.answered += c.answered;
            e.errors += c.errors;
        }
        self.async_messages += other.async_messages;
        self.notes.extend(other.notes.iter().cloned());
    }

    /// The `RESULT` line: `RESULT onos requests=N replies=M errors=E
    /// rejected=KIND,KIND` (`rejected=-` when none).
    pub fn result_line(&self) -> String {
        let rejected = if self.rejected.is_empty() {
            "-".to_owned()
        } else {
            self.rejected.iter().copied().collect::<Vec<_>>().join(",")
        };
        format!(
            "RESULT onos requests={} replies={} errors={} rejected={rejected}",
            self.requests, self.replies, self.errors
        )
    }
}

/// Options of `onos`.
#[derive(clap::Args, Debug, Clone)]
pub struct OnosArgs {
    /// Where the switches are (ONOS listens: use --listen and make the
    /// simulator the bridge's controller; --connect reaches a management
    /// socket). ONOS offers OpenFlow 1.0, 1.3 and 1.4 (and 1.5): -O
    /// OpenFlow10,OpenFlow13,OpenFlow14 offers the same.
    #[command(flatten)]
    pub common: Common,
    /// Seconds to run, from the end of the hello exchange.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub duration: u64,
    /// Seconds between flow, table and port stats requests (group and
    /// meter stats: twice this), as ONOS's flowPollFrequency and
    /// portStatsPollFrequency.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub poll_interval: u64,
    /// Seconds of silence from the switch before an echo request (ONOS: 4
    /// idle events of 5 s).
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    pub echo_idle: u64,
    /// Generation id of the MASTER role request (ONOS sends 0).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub generation_id: u64,
    /// Leave out the packet-request flows (LLDP, BDDP, ARP to the
    /// controller) that ONOS's default applications install.
    #[arg(long)]
    pub no_flows: bool,
    /// With --listen: switches to serve before the run ends.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub switches: usize,
}

impl OnosArgs {
    /// The replay settings, or why these options cannot work.
    pub fn config(&self) -> Result<OnosConfig, String> {
        if self.poll_interval == 0 {
            return Err("--poll-interval must be at least 1 second".into());
        }
        if self.echo_idle == 0 {
            return Err("--echo-idle must be at least 1 second".into());
        }
        if self.switches == 0 {
            return Err("--switches must be at least 1".into());
        }
        if let Some(v) = self
            .common
            .versions
            .0
            .iter()
            .find(|v| !matches!(v, Version::V1_0 | Version::V1_3 | Version::V1_4))
        {
            return Err(format!(
                "-O {v}: ONOS speaks OpenFlow 1.0, 1.3 and 1.4 (and 1.5), not {v}"
            ));
        }
        Ok(OnosConfig {
            duration: Duration::from_secs(self.duration),
            poll_interval: Duration::from_secs(self.poll_interval),
            echo_idle: Duration::from_secs(self.echo_idle),
            generation_id: self.generation_id,
            packet_requests: !self.no_flows,
        })
    }
}

/// The collectors' next runs.
#[derive(Debug, Clone, Copy, Default)]
struct Timers {
    flow: Option<Instant>,
    table: Option<Instant>,
    port: Option<Instant>,
    group: Option<Instant>,
    meter: Option<Instant>,
}

/// The replay on one switch connection.
#[derive(Debug)]
pub struct Onos {
    config: OnosConfig,
    version: Version,
    phase: Phase,
    handshake_xid: u32,
    /// Requests awaiting a reply, by xid.
    outstanding: HashMap<u32, Request>,
    /// Requests without reply, by xid (for the errors that answer them).
    unreplied: HashMap<u32, Request>,
    result: OnosResult,
    capabilities: u32,
    n_buffers: u32,
    end_at: Option<Instant>,
    drain_until: Option<Instant>,
    timers: Timers,
    flow_waiting: u32,
    last_rx: Option<Instant>,
    echo_xid: Option<u32>,
}

/// The multipart type named in the first bytes of a rejected request.
fn multipart_name(mp_type: u16) -> Option<&'static str> {
    use openflow::multipart::*;
    Some(match mp_type {
        OFPMP_DESC => "OFPMP_DESC",
        OFPMP_FLOW => "OFPMP_FLOW",
        OFPMP_TABLE => "OFPMP_TABLE",
        OFPMP_PORT_STATS => "OFPMP_PORT_STATS",
        OFPMP_GROUP => "OFPMP_GROUP",
        OFPMP_GROUP_DESC => "OFPMP_GROUP_DESC",
        OFPMP_METER => "OFPMP_METER",
        OFPMP_METER_FEATURES => "OFPMP_METER_FEATURES",
        OFPMP_PORT_DESC => "OFPMP_PORT_DESC",
        _ => return None,
    })
}

/// What an error's data says the rejected request was.
fn rejected_kind(version: Version, data: &[u8]) -> &'static str {
    let Ok(header) = Header::parse(data) else {
        return "unknown";
    };
    let v = Version::from_wire(header.version).unwrap_or(version);
    match MsgType::from_wire(v, header.msg_type) {
        Some(MsgType::MultipartRequest) => data
            .get(8..10)
            .and_then(|t| multipart_name(u16::from_be_bytes([t[0], t[1]])))
            .unwrap_or("OFPT_MULTIPART_REQUEST"),
        Some(kind) => kind.name(v),
        None => "unknown",
    }
}

fn multipart(body: MultipartRequestBody) -> Message {
    Message::MultipartRequest(MultipartRequest { flags: 0, body })
}

/// The flow stats request of `FlowStatsCollector`: every table, every
/// flow.
pub fn flow_stats_request() -> Message {
    multipart(MultipartRequestBody::Flow(FlowStatsRequest::all()))
}

/// The packet-request flow for `eth_type` (see the module doc), in
/// `version`.
pub fn packet_request_flow(version: Version, eth_type: u16) -> FlowMod {
    let output = Instruction::ApplyActions(vec![Action::Output {
        port: OFPP_CONTROLLER,
        max_len: OFPCML_NO_BUFFER,
    }]);
    let instructions = if version == Version::V1_0 {
        vec![output]
    } else {
        vec![Instruction::ClearActions, output]
    };
    let mut fm = FlowMod::new(
        command::ADD,
        0,
        PACKET_REQUEST_PRIORITY,
        Match::new(vec![OxmField::EthType(eth_type)]),
        instructions,
    );
    // ONOS's cookie is the rule's id: its application's id high, a hash
    // low; any fixed value distinct per rule serves.
    fm.cookie = 0x00ab_0000_0000_0000 | u64::from(eth_type);
    fm.flags = flags::SEND_FLOW_REM;
    fm
}

impl Onos {
    /// A replay with `config`.
    pub fn new(config: OnosConfig) -> Onos {
        Onos {
            config,
            version: Version::V1_3,
            phase: Phase::Features,
            handshake_xid: FIRST_HANDSHAKE_XID,
            outstanding: HashMap::new(),
            unreplied: HashMap::new(),
            result: OnosResult::default(),
            capabilities: 0,
            n_buffers: 0,
            end_at: None,
            drain_until: None,
            timers: Timers::default(),
            flow_waiting: 0,
            last_rx: None,
            echo_xid: None,
        }
    }

    /// Where the replay is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// What the replay saw so far (final once [`Handler::finished`]).
    pub fn result(&self) -> OnosResult {
        let mut r = self.result.clone();
        let mut left: Vec<(u32, &'static str)> = self
            .outstanding
            .iter()
            .map(|(xid, k)| (*xid, k.name()))
            .collect();
        left.sort_unstable();
        r.unanswered = left;
        r
    }

    fn next_handshake_xid(&mut self) -> u32 {
        let xid = self.handshake_xid;
        self.handshake_xid = self.handshake_xid.wrapping_sub(1);
        xid
    }

    /// Sends `message` as request `kind` with `xid` (a fresh one when
    /// `None`).
    fn send(
        &mut self,
        ctx: &mut Ctx<'_>,
        kind: Request,
        message: &Message,
        xid: Option<u32>,
    ) -> Result<u32, EncodeError> {
        let xid = xid.unwrap_or_else(|| ctx.conn.alloc_xid());
        ctx.conn.send_with_xid(xid, message)?;
        self.result.requests += 1;
        self.result.by_kind.entry(kind).or_default().sent += 1;
        if kind.expects_reply() {
            self.outstanding.insert(xid, kind);
        } else {
            self.unreplied.insert(xid, kind);
        }
        Ok(xid)
    }

    fn send_handshake(
        &mut self,
        ctx: &mut Ctx<'_>,
        kind: Request,
        message: &Message,
    ) -> Result<(), EncodeError> {
        let xid = self.next_handshake_xid();
        self.send(ctx, kind, message, Some(xid)).map(|_| ())
    }

    /// `sendHandshakeSetConfig`.
    fn send_config(&mut self, ctx: &mut Ctx<'_>, n_buffers: u32) -> Result<(), EncodeError> {
        if n_buffers > 0 {
            let sc = Message::SetConfig(SwitchConfig {
                flags: 0,
                miss_send_len: 0xffff,
            });
            self.send_handshake(ctx, Request::SetConfig, &sc)?;
        }
        self.send_handshake(ctx, Request::Barrier, &Message::BarrierRequest)?;
        self.send_handshake(ctx, Request::GetConfig, &Message::GetConfigRequest)?;
        self.phase = Phase::Config;
        Ok(())
    }

    /// `WAIT_CONFIG_REPLY.nextState`.
    fn after_config(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        if self.version >= Version::V1_3 {
            self.send_handshake(
                ctx,
                Request::MeterFeatures,
                &multipart(MultipartRequestBody::MeterFeatures),
            )?;
            self.phase = Phase::MeterFeatures;
            Ok(())
        } else {
            self.send_desc(ctx)
        }
    }

    fn send_desc(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        self.send_handshake(ctx, Request::Desc, &multipart(MultipartRequestBody::Desc))?;
        self.phase = Phase::Desc;
        Ok(())
    }

    /// The driver handshake and the role request.
    fn after_desc(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        if self.version == Version::V1_0 {
            let fm = FlowMod::new(command::ADD, 0, 0, Match::default(), Vec::new());
            self.send(ctx, Request::DriverFlow, &Message::FlowMod(fm), None)?;
            return self.become_master(ctx);
        }
        let role = Message::RoleRequest(RoleMsg {
            role: ROLE_MASTER,
            generation_id: self.config.generation_id,
        });
        self.send(ctx, Request::Role, &role, Some(0))?;
        self.phase = Phase::Role;
        Ok(())
    }

    /// Master: the messages held for mastership, then the collectors.
    fn become_master(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        self.result.master = true;
        self.phase = Phase::Active;
        let v13 = self.version >= Version::V1_3;
        if v13 {
            self.send(
                ctx,
                Request::PortDesc,
                &multipart(MultipartRequestBody::PortDesc),
                None,
            )?;
        }
        if self.config.packet_requests {
            for eth_type in PACKET_REQUEST_ETH_TYPES {
                let fm = Message::FlowMod(packet_request_flow(self.version, eth_type));
                self.send(ctx, Request::PacketRequestFlow, &fm, None)?;
            }
            self.send(ctx, Request::Barrier, &Message::BarrierRequest, None)?;
        }
        let first = Some(ctx.now + FIRST_POLL);
        let caps = self.capabilities;
        self.timers = Timers {
            flow: (caps & OFPC_FLOW_STATS != 0).then_some(first).flatten(),
            table: (caps & OFPC_TABLE_STATS != 0).then_some(first).flatten(),
            port: (caps & OFPC_PORT_STATS != 0).then_some(first).flatten(),
            group: if v13 { first } else { None },
            meter: if v13 { first } else { None },
        };
        Ok(())
    }

    /// Runs the collectors that are due at `now`.
    fn poll(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        let now = ctx.now;
        let short = self.config.poll_interval;
        let long = short * 2;
        let due = |t: &mut Option<Instant>, every: Duration| match t {
            Some(at) if *at <= now => {
                // Fixed rate, without a burst after a stall.
                while *at <= now {
                    *at += every.max(Duration::from_millis(1));
                }
                true
            }
            _ => false,
        };
        if due(&mut self.timers.flow, short) {
            if self.flow_waiting > 0 {
                self.flow_waiting -= 1;
            } else {
                self.send(ctx, Request::FlowStats, &flow_stats_request(), None)?;
                self.flow_waiting = FLOW_WAITING_ATTEMPTS;
            }
        }
        if due(&mut self.timers.table, short) {
            self.send(
                ctx,
                Request::TableStats,
                &multipart(MultipartRequestBody::Table),
                None,
            )?;
        }
        if due(&mut self.timers.port, short) {
            let req = multipart(MultipartRequestBody::PortStats(PortStatsRequest {
                port_no: OFPP_ANY,
            }));
            self.send(ctx, Request::PortStats, &req, None)?;
        }
        if due(&mut self.timers.group, long) {
            if self.capabilities & OFPC_GROUP_STATS != 0 {
                let req = multipart(MultipartRequestBody::Group(GroupStatsRequest {
                    group_id: OFPG_ALL,
                }));
                self.send(ctx, Request::GroupStats, &req, None)?;
            }
            self.send(
                ctx,
                Request::GroupDesc,
                &multipart(MultipartRequestBody::GroupDesc),
                None,
            )?;
        }
        if due(&mut self.timers.meter, long) {
            let req = multipart(MultipartRequestBody::Meter(MeterRequest {
                meter_id: OFPM_ALL,
            }));
            self.send(ctx, Request::MeterStats, &req, None)?;
        }
        Ok(())
    }

    /// Moves the handshake on after `kind` was answered (by a reply, or by
    /// an error when `reply` is `None`).
    fn advance(
        &mut self,
        ctx: &mut Ctx<'_>,
        kind: Request,
        reply: Option<&Message>,
    ) -> Result<(), EncodeError> {
        match (self.phase, kind) {
            (Phase::Features, Request::Features) => {
                let n_buffers = match reply {
                    Some(Message::FeaturesReply(f)) => {
                        self.capabilities = f.capabilities;
                        f.n_buffers
                    }
                    _ => 0,
                };
                if self.version == Version::V1_0 {
                    self.send_config(ctx, n_buffers)?;
                } else {
                    self.send_handshake(
                        ctx,
                        Request::PortDesc,
                        &multipart(MultipartRequestBody::PortDesc),
                    )?;
                    self.phase = Phase::PortDesc;
                    // Needed once the port description is in.
                    self.n_buffers = n_buffers;
                }
            }
            (Phase::PortDesc, Request::PortDesc) => {
                self.send_config(ctx, self.n_buffers)?;
            }
            (Phase::Config, Request::GetConfig) => {
                if let Some(Message::GetConfigReply(c)) = reply {
                    if c.miss_send_len != 0xffff {
                        self.result.notes.push(format!(
                            "get-config reply has miss_send_len {} (ONOS warns: it wants 0xffff)",
                            c.miss_send_len
                        ));
                    }
                }
                self.after_config(ctx)?;
            }
            (Phase::MeterFeatures, Request::MeterFeatures) => self.send_desc(ctx)?,
            (Phase::Desc, Request::Desc) => self.after_desc(ctx)?,
            (Phase::Role, Request::Role) => {
                let granted = matches!(reply, Some(Message::RoleReply(r)) if r.role == ROLE_MASTER);
                if !granted {
                    if reply.is_some() {
                        self.result.rejected.insert(Request::Role.name());
                        self.result
                            .notes
                            .push(format!("role reply without MASTER: {reply:?}"));
                    }
                    self.result.notes.push(
                        "ONOS would not be master here and would not poll; the replay goes on"
                            .into(),
                    );
                }
                self.become_master(ctx)?;
                self.result.master = granted;
            }
            _ => {}
        }
        Ok(())
    }

    fn answered(&mut self, xid: u32) -> Option<Request> {
        let kind = self.outstanding.remove(&xid)?;
        self.result.replies += 1;
        self.result.by_kind.entry(kind).or_default().answered += 1;
        Some(kind)
    }

    fn maybe_done(&mut self) {
        if self.phase == Phase::Draining && self.outstanding.is_empty() {
            self.phase = Phase::Done;
        }
    }
}

impl Handler for Onos {
    fn connected(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        self.version = ctx.conn.version().unwrap_or(Version::V1_0);
        self.end_at = Some(ctx.now + self.config.duration);
        self.last_rx = Some(ctx.now);
        self.send_handshake(ctx, Request::Features, &Message::FeaturesRequest)
    }

    fn message(
        &mut self,
        ctx: &mut Ctx<'_>,
        header: &Header,
        message: Message,
    ) -> Result<(), EncodeError> {
        self.last_rx = Some(ctx.now);
        let xid = header.xid;
        match &message {
            Message::Error(e) => {
                self.result.errors += 1;
                let kind = self
                    .outstanding
                    .remove(&xid)
                    .or_else(|| self.unreplied.get(&xid).copied());
                let name = match kind {
                    Some(k) => k.name(),
                    None => rejected_kind(self.version, &e.data),
                };
                self.result.rejected.insert(name);
                if let Some(k) = kind {
                    self.result.by_kind.entry(k).or_default().errors += 1;
                    if self.echo_xid == Some(xid) {
                        self.echo_xid = None;
                    }
                    let handshake = !matches!(self.phase, Phase::Active | Phase::Draining);
                    if handshake && k.expects_reply() {
                        let tolerated = matches!(
                            (self.phase, e.err_type, e.code),
                            (Phase::MeterFeatures, _, _) | (Phase::Config, 1, 1)
                        );
                        if !tolerated {
                            self.result.notes.push(format!(
                                "ONOS disconnects on this error to {} (logErrorDisconnect); \
                                 the replay goes on",
                                k.name()
                            ));
                        }
                        self.advance(ctx, k, None)?;
                    }
                }
            }
            Message::MultipartReply(MultipartReply { flags, .. })
                if flags & OFPMPF_REPLY_MORE != 0 => {}
            Message::MultipartReply(_)
            | Message::FeaturesReply(_)
            | Message::GetConfigReply(_)
            | Message::BarrierReply
            | Message::RoleReply(_)
            | Message::EchoReply(_) => {
                if self.echo_xid == Some(xid) {
                    self.echo_xid = None;
                }
                match self.answered(xid) {
                    Some(Request::FlowStats) => self.flow_waiting = 0,
                    Some(kind) => self.advance(ctx, kind, Some(&message))?,
                    // The connection's own liveness probe, or a reply to
                    // nothing we asked: not ours to count.
                    None if matches!(message, Message::EchoReply(_)) => {}
                    None => self.result.notes.push(format!(
                        "a {} with xid {xid} answers no request",
                        message.msg_type().name(self.version)
                    )),
                }
            }
            _ => self.result.async_messages += 1,
        }
        self.maybe_done();
        Ok(())
    }

    fn deadline(&self) -> Option<Instant> {
        let end = match self.phase {
            Phase::Done => return None,
            Phase::Draining => return self.drain_until,
            _ => self.end_at,
        };
        let echo = match (self.echo_xid, self.last_rx) {
            (None, Some(rx)) => Some(rx + self.config.echo_idle),
            _ => None,
        };
        let t = &self.timers;
        [end, echo, t.flow, t.table, t.port, t.group, t.meter]
            .into_iter()
            .flatten()
            .min()
    }

    fn wake(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        let now = ctx.now;
        match self.phase {
            Phase::Done => return Ok(()),
            Phase::Draining => {
                if self.drain_until.is_some_and(|d| now >= d) {
                    self.phase = Phase::Done;
                }
                return Ok(());
            }
            _ if self.end_at.is_some_and(|e| now >= e) => {
                self.phase = Phase::Draining;
                self.drain_until = Some(now + DRAIN);
                self.timers = Timers::default();
                self.maybe_done();
                return Ok(());
            }
            Phase::Active => self.poll(ctx)?,
            _ => {}
        }
        if self.echo_xid.is_none()
            && self
                .last_rx
                .is_some_and(|rx| now >= rx + self.config.echo_idle)
        {
            let xid = self.send(ctx, Request::Echo, &Message::EchoRequest(Vec::new()), None)?;
            self.echo_xid = Some(xid);
        }
        Ok(())
    }

    fn finished(&self) -> bool {
        self.phase == Phase::Done
    }

    fn echo_replies(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openflow::config::FeaturesReply;
    use openflow::connection::{Connection, ConnectionConfig, Event};
    use openflow::error_msg::ErrorMsg;
    use openflow::multipart::{MeterFeatures, MultipartReplyBody as R, SwitchDesc};

    const S: Duration = Duration::from_secs(1);

    /// A switch's answer to one request: replies (several for a
    /// multipart in parts), or nothing.
    type Answer = Box<dyn FnMut(&Message) -> Vec<Message>>;

    /// The replay wired to a scripted switch, in virtual time, without
    /// sockets.
    struct Bench {
        ctl: Connection,
        sw: Connection,
        onos: Onos,
        now: Instant,
        /// What the switch received: (xid, message).
        received: Vec<(u32, Message)>,
        answer: Answer,
    }

    fn reply(body: R) -> Message {
        Message::MultipartReply(MultipartReply { flags: 0, body })
    }

    /// The answers of a switch that accepts everything; `n_buffers` and
    /// `capabilities` go in its features reply.
    fn accepting(n_buffers: u32, capabilities: u32) -> impl FnMut(&Message) -> Vec<Message> {
        move |m| {
            let r = match m {
                Message::FeaturesRequest => Message::FeaturesReply(FeaturesReply {
                    datapath_id: 1,
                    n_buffers,
                    n_tables: 254,
                    auxiliary_id: 0,
                    capabilities,
                    actions: 0,
                    ports: Vec::new(),
                }),
                Message::GetConfigRequest => Message::GetConfigReply(SwitchConfig {
                    flags: 0,
                    miss_send_len: 0xffff,
                }),
                Message::BarrierRequest => Message::BarrierReply,
                Message::RoleRequest(r) => Message::RoleReply(*r),
                Message::MultipartRequest(req) => reply(match &req.body {
                    MultipartRequestBody::Desc => R::Desc(SwitchDesc::default()),
                    MultipartRequestBody::PortDesc => R::PortDesc(Vec::new()),
                    MultipartRequestBody::MeterFeatures => {
                        R::MeterFeatures(MeterFeatures::default())
                    }
                    MultipartRequestBody::Flow(_) => R::Flow(Vec::new()),
                    MultipartRequestBody::Table => R::Table(Vec::new()),
                    MultipartRequestBody::PortStats(_) => R::PortStats(Vec::new()),
                    MultipartRequestBody::Group(_) => R::Group(Vec::new()),
                    MultipartRequestBody::GroupDesc => R::GroupDesc(Vec::new()),
                    MultipartRequestBody::Meter(_) => R::Meter(Vec::new()),
                    other => panic!("ONOS does not send {other:?}"),
                }),
                _ => return Vec::new(),
            };
            vec![r]
        }
    }

    const ALL_CAPS: u32 = OFPC_FLOW_STATS | OFPC_TABLE_STATS | OFPC_PORT_STATS | OFPC_GROUP_STATS;

    fn config() -> OnosConfig {
        OnosConfig {
            duration: Duration::from_secs(12),
            poll_interval: Duration::from_secs(5),
            echo_idle: Duration::from_secs(20),
            generation_id: 0,
            packet_requests: true,
        }
    }

    impl Bench {
        fn new(version: Version, config: OnosConfig, answer: Answer) -> Bench {
            let now = Instant::now();
            let ctl = Connection::new(
                ConnectionConfig {
                    versions: vec![Version::V1_0, Version::V1_3, Version::V1_4],
                    probe_interval: None,
                    report_echo_replies: true,
                    ..ConnectionConfig::default()
                },
                now,
            );
            let sw = Connection::new(
                ConnectionConfig {
                    versions: vec![version],
                    probe_interval: None,
                    ..ConnectionConfig::default()
                },
                now,
            );
            let mut b = Bench {
                ctl,
                sw,
                onos: Onos::new(config),
                now,
                received: Vec::new(),
                answer,
            };
            b.pump();
            b
        }

        fn ctx(&mut self) -> (&mut Onos, Ctx<'_>) {
            (
                &mut self.onos,
                Ctx {
                    conn: &mut self.ctl,
                    now: self.now,
                    backlog: 0,
                },
            )
        }

        /// Moves messages both ways until both ends are quiet.
        fn pump(&mut self) {
            loop {
                let mut moved = false;
                if let Some(bytes) = self.ctl.poll_transmit() {
                    self.sw.handle_input(&bytes, self.now);
                    moved = true;
                }
                while let Some(ev) = self.sw.poll_event() {
                    if let Event::Message { header, message } = ev {
                        for r in (self.answer)(&message) {
                            self.sw.send_with_xid(header.xid, &r).unwrap();
                        }
                        self.received.push((header.xid, message));
                    }
                }
                if let Some(bytes) = self.sw.poll_transmit() {
                    self.ctl.handle_input(&bytes, self.now);
                    moved = true;
                }
                while let Some(ev) = self.ctl.poll_event() {
                    moved = true;
                    let (onos, mut ctx) = self.ctx();
                    match ev {
                        Event::Connected { .. } => onos.connected(&mut ctx).unwrap(),
                        Event::Message { header, message } => {
                            onos.message(&mut ctx, &header, message).unwrap()
                        }
                        other => panic!("{other:?}"),
                    }
                }
                if !moved {
                    return;
                }
            }
        }

        /// Runs the replay's timers up to `self.now + d`.
        fn advance(&mut self, d: Duration) {
            let until = self.now + d;
            while let Some(at) = self.onos.deadline().filter(|at| *at <= until) {
                self.now = self.now.max(at);
                let (onos, mut ctx) = self.ctx();
                onos.wake(&mut ctx).unwrap();
                self.pump();
            }
            self.now = until;
        }

        /// The kinds the switch received from index `from` on.
        fn kinds(&self, from: usize) -> Vec<&'static str> {
            self.received[from..]
                .iter()
                .map(|(_, m)| match m {
                    Message::MultipartRequest(r) => multipart_name(r.body.mp_type()).unwrap(),
                    m => m.msg_type().name(Version::V1_3),
                })
                .collect()
        }
    }

    #[test]
    fn handshake_then_polling_as_onos_does_in_1_3_and_1_4() {
        for version in [Version::V1_3, Version::V1_4] {
            let mut b = Bench::new(version, config(), Box::new(accepting(256, ALL_CAPS)));
            assert_eq!(
                b.kinds(0),
                [
                    "OFPT_FEATURES_REQUEST",
                    "OFPMP_PORT_DESC",
                    "OFPT_SET_CONFIG",
                    "OFPT_BARRIER_REQUEST",
                    "OFPT_GET_CONFIG_REQUEST",
                    "OFPMP_METER_FEATURES",
                    "OFPMP_DESC",
                    "OFPT_ROLE_REQUEST",
                    // Held for mastership, then the packet requests.
                    "OFPMP_PORT_DESC",
                    "OFPT_FLOW_MOD",
                    "OFPT_FLOW_MOD",
                    "OFPT_FLOW_MOD",
                    "OFPT_BARRIER_REQUEST",
                ],
                "{version}"
            );
            // Handshake xids count down from 0xfffffffe; the role request
            // is xid 0, MASTER, generation 0.
            let xids: Vec<u32> = b.received[..7].iter().map(|(x, _)| *x).collect();
            assert_eq!(xids, (0xffff_fff8..=0xffff_fffe).rev().collect::<Vec<_>>());
            assert!(matches!(b.received[7], (0, Message::RoleRequest(r))
                if r.role == ROLE_MASTER && r.generation_id == 0));
            assert!(matches!(&b.received[2].1,
                Message::SetConfig(c) if c.miss_send_len == 0xffff && c.flags == 0));
            let Message::FlowMod(fm) = &b.received[9].1 else {
                panic!()
            };
            assert_eq!((fm.priority, fm.flags), (40000, flags::SEND_FLOW_REM));
            assert_eq!(fm.instructions.len(), 2);
            assert_eq!(b.onos.phase(), Phase::Active);

            // 1 s after mastership every collector runs once.
            let n = b.received.len();
            b.advance(S);
            assert_eq!(
                b.kinds(n),
                [
                    "OFPMP_FLOW",
                    "OFPMP_TABLE",
                    "OFPMP_PORT_STATS",
                    "OFPMP_GROUP",
                    "OFPMP_GROUP_DESC",
                    "OFPMP_METER"
                ]
            );
            let Message::MultipartRequest(MultipartRequest {
                body: MultipartRequestBody::Flow(f),
                ..
            }) = &b.received[n].1
            else {
                panic!()
            };
            assert_eq!(
                (f.table_id, f.out_port),
                (openflow::multipart::OFPTT_ALL, OFPP_ANY)
            );
            // At 6 s flow, table and port stats again; at 11 s all.
            let n = b.received.len();
            b.advance(5 * S);
            assert_eq!(
                b.kinds(n),
                ["OFPMP_FLOW", "OFPMP_TABLE", "OFPMP_PORT_STATS"]
            );
            let n = b.received.len();
            b.advance(5 * S);
            assert_eq!(b.kinds(n).len(), 6);
            // The duration (12 s) ends: nothing is due, the replay is done.
            b.advance(2 * S);
            assert!(b.onos.finished());
            let r = b.onos.result();
            // Everything but the set-config and the three flow-mods has
            // its reply.
            assert_eq!(r.requests, b.received.len() as u64);
            assert_eq!(r.replies, r.requests - 4);
            assert_eq!((r.errors, r.master), (0, true));
            assert!(r.unanswered.is_empty(), "{:?}", r.unanswered);
            assert_eq!(
                r.result_line(),
                format!(
                    "RESULT onos requests={} replies={} errors=0 rejected=-",
                    r.requests, r.replies
                )
            );
            assert!(r.summary().contains("OFPMP_METER"), "{}", r.summary());
        }
    }

    #[test]
    fn openflow_10_has_no_port_desc_role_groups_or_meters() {
        let mut cfg = config();
        cfg.packet_requests = false;
        let mut b = Bench::new(
            Version::V1_0,
            cfg,
            Box::new(accepting(0, OFPC_FLOW_STATS | OFPC_PORT_STATS)),
        );
        // No buffers: no set-config. The driver's priority-0 flow, and no
        // role request.
        assert_eq!(
            b.kinds(0),
            [
                "OFPT_FEATURES_REQUEST",
                "OFPT_BARRIER_REQUEST",
                "OFPT_GET_CONFIG_REQUEST",
                "OFPMP_DESC",
                "OFPT_FLOW_MOD",
            ]
        );
        assert!(matches!(&b.received[4].1, Message::FlowMod(fm)
            if fm.priority == 0 && fm.match_.fields.is_empty() && fm.instructions.is_empty()));
        let n = b.received.len();
        b.advance(S);
        // Only what the capabilities announce.
        assert_eq!(b.kinds(n), ["OFPMP_FLOW", "OFPMP_PORT_STATS"]);
        assert!(b.onos.result().master);
    }

    #[test]
    fn errors_are_counted_and_matched_by_xid() {
        // A switch without meters or groups, that rejects flow-mods too.
        let mut accept = accepting(0, ALL_CAPS);
        let error = |data: Vec<u8>| {
            Message::Error(ErrorMsg {
                err_type: 1,
                code: 2,
                experimenter: 0,
                data,
            })
        };
        let answer = move |m: &Message| match m {
            Message::MultipartRequest(r)
                if matches!(
                    r.body,
                    MultipartRequestBody::MeterFeatures | MultipartRequestBody::GroupDesc
                ) =>
            {
                vec![error(m.encode(Version::V1_3, 0).unwrap())]
            }
            Message::FlowMod(_) => vec![error(Vec::new())],
            m => accept(m),
        };
        let mut b = Bench::new(Version::V1_3, config(), Box::new(answer));
        // The meter features error does not stop the handshake.
        assert_eq!(b.onos.phase(), Phase::Active);
        b.advance(S);
        let r = b.onos.result();
        assert_eq!(r.errors, 5, "{r:?}");
        assert_eq!(
            r.rejected.iter().copied().collect::<Vec<_>>(),
            ["OFPMP_GROUP_DESC", "OFPMP_METER_FEATURES", "OFPT_FLOW_MOD"]
        );
        assert_eq!(r.by_kind[&Request::PacketRequestFlow].errors, 3);
        assert_eq!(r.by_kind[&Request::GroupDesc].errors, 1);
        assert!(r
            .result_line()
            .ends_with("errors=5 rejected=OFPMP_GROUP_DESC,OFPMP_METER_FEATURES,OFPT_FLOW_MOD"));
        // An error answering no known xid is named from its data.
        assert_eq!(
            rejected_kind(
                Version::V1_3,
                &flow_stats_request().encode(Version::V1_3, 9).unwrap()
            ),
            "OFPMP_FLOW"
        );
        assert_eq!(rejected_kind(Version::V1_3, &[1, 2]), "unknown");
    }

    #[test]
    fn multipart_parts_count_once_and_a_slow_flow_reply_pauses_polling() {
        let mut accept = accepting(0, OFPC_FLOW_STATS);
        let answer = move |m: &Message| match m {
            // Two parts of port description.
            Message::MultipartRequest(r) if r.body == MultipartRequestBody::PortDesc => vec![
                Message::MultipartReply(MultipartReply {
                    flags: OFPMPF_REPLY_MORE,
                    body: R::PortDesc(Vec::new()),
                }),
                reply(R::PortDesc(Vec::new())),
            ],
            // Flow stats never answered.
            Message::MultipartRequest(r) if matches!(r.body, MultipartRequestBody::Flow(_)) => {
                Vec::new()
            }
            m => accept(m),
        };
        let mut cfg = config();
        cfg.duration = Duration::from_secs(100);
        cfg.packet_requests = false;
        let mut b = Bench::new(Version::V1_4, cfg, Box::new(answer));
        assert_eq!(b.onos.phase(), Phase::Active);
        assert_eq!(b.onos.result().by_kind[&Request::PortDesc].answered, 2);
        let flows = |b: &Bench| b.kinds(0).iter().filter(|k| **k == "OFPMP_FLOW").count();
        b.advance(S);
        assert_eq!(flows(&b), 1);
        // Five ticks skipped while waiting, the sixth asks again.
        b.advance(25 * S);
        assert_eq!(flows(&b), 1);
        b.advance(5 * S);
        assert_eq!(flows(&b), 2);
        // Meter and group polls answered; the flow requests are not.
        let r = b.onos.result();
        assert_eq!(r.unanswered.len(), 2, "{:?}", r.unanswered);
        assert!(r.unanswered.iter().all(|(_, k)| *k == "OFPMP_FLOW"));
    }

    #[test]
    fn a_role_reply_without_master_is_a_rejection() {
        let mut accept = accepting(0, 0);
        let answer = move |m: &Message| match m {
            Message::RoleRequest(r) => vec![Message::RoleReply(RoleMsg {
                role: 3,
                generation_id: r.generation_id,
            })],
            m => accept(m),
        };
        let mut cfg = config();
        cfg.generation_id = 77;
        let b = Bench::new(Version::V1_3, cfg, Box::new(answer));
        let role = b
            .received
            .iter()
            .find_map(|(_, m)| match m {
                Message::RoleRequest(r) => Some(*r),
                _ => None,
            })
            .unwrap();
        assert_eq!(role.generation_id, 77);
        let r = b.onos.result();
        assert!(!r.master);
        assert!(r.rejected.contains("OFPT_ROLE_REQUEST"), "{r:?}");
    }

    #[test]
    fn echo_after_silence_and_its_reply_counted() {
        let mut cfg = config();
        cfg.duration = Duration::from_secs(60);
        cfg.echo_idle = Duration::from_secs(3);
        cfg.packet_requests = false;
        // Nothing to poll (no capabilities, 1.0): the switch goes silent.
        let mut b = Bench::new(Version::V1_0, cfg, Box::new(accepting(0, 0)));
        // (The switch's connection core answers echo requests itself.)
        b.advance(2 * S);
        assert!(!b.onos.result().by_kind.contains_key(&Request::Echo));
        b.advance(2 * S);
        let r = b.onos.result();
        assert_eq!(r.by_kind[&Request::Echo].sent, 1);
        assert_eq!(r.by_kind[&Request::Echo].answered, 1);
        // The reply (at 3 s) is traffic: the next echo is 3 s after it.
        b.advance(S);
        assert_eq!(b.onos.result().by_kind[&Request::Echo].sent, 1);
        b.advance(S);
        assert_eq!(b.onos.result().by_kind[&Request::Echo].sent, 2);
        let r = b.onos.result();
        assert!(r.unanswered.is_empty());
        // The duration ends with nothing due: done at once.
        b.advance(60 * S);
        assert!(b.onos.finished());
    }

    #[test]
    fn every_request_encodes_in_each_version_it_is_sent_in() {
        for v in [Version::V1_3, Version::V1_4] {
            for m in [
                flow_stats_request(),
                Message::FlowMod(packet_request_flow(v, 0x88cc)),
                multipart(MultipartRequestBody::MeterFeatures),
                multipart(MultipartRequestBody::Group(GroupStatsRequest {
                    group_id: OFPG_ALL,
                })),
            ] {
                let bytes = m.encode(v, 1).unwrap();
                assert_eq!(openflow::decode(&bytes).unwrap().1, m, "{v}");
            }
        }
        let fm = packet_request_flow(Version::V1_0, 0x0806);
        assert_eq!(fm.instructions.len(), 1);
        Message::FlowMod(fm).encode(Version::V1_0, 1).unwrap();
        flow_stats_request().encode(Version::V1_0, 1).unwrap();
    }
}
