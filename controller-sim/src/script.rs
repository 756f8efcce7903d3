//! Mode `script`: scripted scenarios, in the manner of Ryu's switch test
//! tool, from a small JSON description run step by step on each switch.
//!
//! ```json
//! { "name": "forwarding", "packet_ins": true, "steps": [
//!   { "flow_mod": { "command": "delete", "table": 255 } },
//!   { "group_mod": { "group_id": 1, "type": "all",
//!                    "buckets": [ { "actions": [ { "output": 2 } ] } ] } },
//!   { "flow_mod": { "name": "to the group", "priority": 100,
//!                   "match": { "in_port": 1, "eth_type": "0x0800",
//!                              "ipv4_dst": "10.0.0.0/8" },
//!                   "actions": [ { "set_field": { "eth_dst": "02:00:00:00:00:02" } },
//!                                { "group": 1 } ] } },
//!   { "flow_mod": { "match": { "ipv4_dst": "10.0.0.1" },
//!                   "expect_error": { "type": "BAD_MATCH", "code": "BAD_PREREQ" } } },
//!   { "expect_packet_in": { "in_port": 1, "reason": "action", "timeout_ms": 2000 } },
//!   { "sleep": { "ms": 500 } },
//!   { "expect_flows": { "table": 0, "flow_count": 1,
//!                       "present": [ { "priority": 100, "min_packet_count": 1 } ] } }
//! ] }
//! ```
//!
//! Steps:
//!
//! - `flow_mod` (command `add` (default), `modify`, `modify_strict`,
//!   `delete`, `delete_strict`; `table`, `priority` (32768), `cookie`,
//!   `idle_timeout`, `hard_timeout`, `match`, `actions` (apply-actions),
//!   `goto`, `meter`, `out_port`), `group_mod` (`command`, `type` all /
//!   select / indirect / fast_failover, `group_id`, `buckets` of `weight`,
//!   `watch_port` and `actions`), `meter_mod` (`command`, `meter_id`,
//!   `flags` kbps / pktps / burst / stats, `bands` of `drop` or
//!   `dscp_remark` with `rate`, `burst_size`, `prec_level`), `packet_out`
//!   (`in_port`, `actions`, `data` in hex): each sent and followed by a
//!   barrier; the step passes when no error answers it, or, with
//!   `expect_error` (`type` and `code` as names such as `BAD_MATCH` or
//!   numbers), when exactly that error does;
//! - `barrier`: passes at the reply;
//! - `expect_flows` (`table`, all by default): a flow stats request;
//!   `flow_count`, and flows `present` / `absent` each given by any of
//!   `priority`, `cookie`, `match` (the same fields, in any order),
//!   `packet_count`, `min_packet_count`, `byte_count`;
//! - `expect_packet_in` (`in_port`, `reason` no_match / action /
//!   invalid_ttl, `eth_type`, `timeout_ms` 2000): passes at the first
//!   matching packet-in received since the previous such step;
//! - `sleep` (`ms`).
//!
//! Match fields: `in_port`, `eth_dst`, `eth_src` (MAC, `/mask` allowed),
//! `eth_type`, `vlan_vid`, `vlan_pcp`, `ip_dscp`, `ip_proto`, `ipv4_src`,
//! `ipv4_dst` (address or `/prefix`), `tcp_src`, `tcp_dst`, `udp_src`,
//! `udp_dst`, `icmpv4_type`, `icmpv4_code`, `arp_op`, `metadata`. Actions:
//! `{"output": PORT}`, `{"set_field": {FIELD: VALUE}}`, `{"group": ID}`,
//! `{"push_vlan": ETHERTYPE}`, `"pop_vlan"`, `"dec_nw_ttl"`,
//! `{"set_queue": ID}`. Ports are numbers or `controller`, `flood`, `all`,
//! `in_port`, `local`, `normal`, `table`, `any`. Numbers may be JSON
//! numbers or strings (`"0x0800"`).
//!
//! `"packet_ins": true` asks the switch for packet-ins at the start
//! (OpenFlow 1.3+: an async configuration, needed on a management socket).
//! Every step has a `name` (optional) and a 5 s limit for its replies.
//! Steps run in order; a failed step is reported with its reason and the
//! scenario goes on.

use std::collections::{HashSet, VecDeque};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use openflow::action::{Action, OFPCML_NO_BUFFER};
use openflow::error_msg::ErrorMsg;
use openflow::flow_match::Match;
use openflow::flow_mod::{command, FlowMod};
use openflow::group::{Bucket, GroupType, OFPG_ANY};
use openflow::group_meter_mod::{GroupMod, MeterMod};
use openflow::instruction::Instruction;
use openflow::meter::MeterBand;
use openflow::multipart::{
    FlowStats, FlowStatsRequest, MultipartReply, MultipartReplyBody, MultipartRequest,
    MultipartRequestBody, OFPMPF_REPLY_MORE,
};
use openflow::oxm::OxmField;
use openflow::packet::{PacketIn, PacketOut};
use openflow::port::{
    OFPP_ALL, OFPP_ANY, OFPP_CONTROLLER, OFPP_FLOOD, OFPP_IN_PORT, OFPP_LOCAL, OFPP_NORMAL,
    OFPP_TABLE,
};
use openflow::{EncodeError, Header, Message, Version};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::cli::Common;
use crate::session::{Ctx, Handler};

/// Time allowed for a step's replies.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(5);
/// Packet-ins kept for a later `expect_packet_in`.
const MAX_QUEUED_PACKET_INS: usize = 1024;
/// `OFP_NO_BUFFER`.
const OFP_NO_BUFFER: u32 = 0xffff_ffff;

/// A scenario: a name and its steps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario checks.
    #[serde(default)]
    pub name: Option<String>,
    /// Ask the switch for packet-ins at the start.
    #[serde(default)]
    pub packet_ins: bool,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// An expected `OFPT_ERROR`: type and code, as names or numbers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorSpec {
    /// `BAD_MATCH` or 4.
    #[serde(rename = "type")]
    pub err_type: Value,
    /// `BAD_PREREQ` or 7.
    pub code: Value,
}

/// A `flow_mod` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowModSpec {
    /// Step name.
    #[serde(default)]
    pub name: Option<String>,
    /// add, modify, modify_strict, delete, delete_strict.
    #[serde(default)]
    pub command: Option<String>,
    /// Table (255: all, for deletes).
    #[serde(default)]
    pub table: u8,
    /// Priority (32768 by default).
    #[serde(default)]
    pub priority: Option<u16>,
    /// Cookie.
    #[serde(default)]
    pub cookie: u64,
    /// Idle timeout, seconds.
    #[serde(default)]
    pub idle_timeout: u16,
    /// Hard timeout, seconds.
    #[serde(default)]
    pub hard_timeout: u16,
    /// Match fields.
    #[serde(default, rename = "match")]
    pub match_: Map<String, Value>,
    /// Apply-actions.
    #[serde(default)]
    pub actions: Vec<Value>,
    /// Goto-table.
    #[serde(default)]
    pub goto: Option<u8>,
    /// Meter instruction.
    #[serde(default)]
    pub meter: Option<u32>,
    /// Out-port filter of deletes.
    #[serde(default)]
    pub out_port: Option<Value>,
    /// The error the switch must answer with.
    #[serde(default)]
    pub expect_error: Option<ErrorSpec>,
}

/// A bucket of a `group_mod`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketSpec {
    /// Weight (select groups).
    #[serde(default)]
    pub weight: u16,
    /// Watched port (fast failover).
    #[serde(default)]
    pub watch_port: Option<Value>,
    /// Actions.
    #[serde(default)]
    pub actions: Vec<Value>,
}

/// A `group_mod` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupModSpec {
    /// Step name.
    #[serde(default)]
    pub name: Option<String>,
    /// add, modify, delete.
    #[serde(default)]
    pub command: Option<String>,
    /// all, select, indirect, fast_failover.
    #[serde(default, rename = "type")]
    pub group_type: Option<String>,
    /// Group id.
    pub group_id: u32,
    /// Buckets.
    #[serde(default)]
    pub buckets: Vec<BucketSpec>,
    /// The error the switch must answer with.
    #[serde(default)]
    pub expect_error: Option<ErrorSpec>,
}

/// A band of a `meter_mod`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandSpec {
    /// drop or dscp_remark.
    #[serde(rename = "type")]
    pub band_type: String,
    /// Rate.
    pub rate: u32,
    /// Burst size.
    #[serde(default)]
    pub burst_size: u32,
    /// Drop precedence increase (dscp_remark).
    #[serde(default)]
    pub prec_level: u8,
}

/// A `meter_mod` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterModSpec {
    /// Step name.
    #[serde(default)]
    pub name: Option<String>,
    /// add, modify, delete.
    #[serde(default)]
    pub command: Option<String>,
    /// Meter id.
    pub meter_id: u32,
    /// kbps, pktps, burst, stats.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Bands.
    #[serde(default)]
    pub bands: Vec<BandSpec>,
    /// The error the switch must answer with.
    #[serde(default)]
    pub expect_error: Option<ErrorSpec>,
}

/// A `packet_out` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacketOutSpec {
    /// Step name.
    #[serde(default)]
    pub name: Option<String>,
    /// Ingress port (controller by default).
    #[serde(default)]
    pub in_port: Option<Value>,
    /// Actions.
    #[serde(default)]
    pub actions: Vec<Value>,
    /// The frame, in hex.
    pub data: String,
    /// The error the switch must answer with.
    #[serde(default)]
    pub expect_error: Option<ErrorSpec>,
}

/// A flow `expect_flows` looks for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowCheck {
    /// Priority.
    #[serde(default)]
    pub priority: Option<u16>,
    /// Cookie.
    #[serde(default)]
    pub cookie: Option<u64>,
    /// Exactly these match fields.
    #[serde(default, rename = "match")]
    pub match_: Option<Map<String, Value>>,
    /// Packet count, exactly.
    #[serde(default)]
    pub packet_count: Option<u64>,
    /// Packet count, at least.
    #[serde(default)]
    pub min_packet_count: Option<u64>,
    /// Byte count, exactly.
    #[serde(default)]
    pub byte_count: Option<u64>,
}

/// An `expect_flows` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectFlowsSpec {
    /// Step name.
    #[serde(default)]
    pub name: Option<String>,
    /// Table (all by default).
    #[serde(default)]
    pub table: Option<u8>,
    /// Number of flows.
    #[serde(default)]
    pub flow_count: Option<usize>,
    /// Flows that must be there.
    #[serde(default)]
    pub present: Vec<FlowCheck>,
    /// Flows that must not.
    #[serde(default)]
    pub absent: Vec<FlowCheck>,
}

/// An `expect_packet_in` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectPacketInSpec {
    /// Step name.
    #[serde(default)]
    pub name: Option<String>,
    /// Ingress port.
    #[serde(default)]
    pub in_port: Option<u32>,
    /// no_match, action, invalid_ttl.
    #[serde(default)]
    pub reason: Option<String>,
    /// EtherType of the frame.
    #[serde(default)]
    pub eth_type: Option<Value>,
    /// How long to wait.
    #[serde(default = "default_packet_in_timeout")]
    pub timeout_ms: u64,
}

fn default_packet_in_timeout() -> u64 {
    2000
}

/// A `barrier` or `sleep` step.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimpleSpec {
    /// Step name.
    #[serde(default)]
    pub name: Option<String>,
    /// Milliseconds (sleep).
    #[serde(default)]
    pub ms: u64,
}

/// One step.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Send a flow-mod.
    FlowMod(FlowModSpec),
    /// Send a group-mod.
    GroupMod(GroupModSpec),
    /// Send a meter-mod.
    MeterMod(MeterModSpec),
    /// Send a packet-out.
    PacketOut(PacketOutSpec),
    /// A barrier.
    Barrier(SimpleSpec),
    /// Check the flow table.
    ExpectFlows(ExpectFlowsSpec),
    /// Wait for a packet-in.
    ExpectPacketIn(ExpectPacketInSpec),
    /// Wait.
    Sleep(SimpleSpec),
}

impl Step {
    /// The step's kind, as the JSON spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::FlowMod(_) => "flow_mod",
            Step::GroupMod(_) => "group_mod",
            Step::MeterMod(_) => "meter_mod",
            Step::PacketOut(_) => "packet_out",
            Step::Barrier(_) => "barrier",
            Step::ExpectFlows(_) => "expect_flows",
            Step::ExpectPacketIn(_) => "expect_packet_in",
            Step::Sleep(_) => "sleep",
        }
    }

    /// The step's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Step::FlowMod(s) => s.name.as_deref(),
            Step::GroupMod(s) => s.name.as_deref(),
            Step::MeterMod(s) => s.name.as_deref(),
            Step::PacketOut(s) => s.name.as_deref(),
            Step::Barrier(s) | Step::Sleep(s) => s.name.as_deref(),
            Step::ExpectFlows(s) => s.name.as_deref(),
            Step::ExpectPacketIn(s) => s.name.as_deref(),
        }
    }

    /// `3 flow_mod "to the group"`: how reports name step `index` (from 1).
    pub fn label(&self, index: usize) -> String {
        match self.name() {
            Some(n) => format!("{index} {} \"{n}\"", self.kind()),
            None => format!("{index} {}", self.kind()),
        }
    }
}

impl Scenario {
    /// Parses a scenario and checks that every step builds its message.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let s: Scenario = serde_json::from_str(text).map_err(|e| e.to_string())?;
        for (i, step) in s.steps.iter().enumerate() {
            build(step).map_err(|e| format!("step {}: {e}", step.label(i + 1)))?;
        }
        Ok(s)
    }
}

fn number<T: TryFrom<u64>>(v: &Value, what: &str) -> Result<T, String> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => s.parse().ok(),
        },
        _ => None,
    };
    n.and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| format!("{what}: {v} is not a number in range"))
}

fn text<'a>(v: &'a Value, what: &str) -> Result<&'a str, String> {
    v.as_str()
        .ok_or_else(|| format!("{what}: {v} is not a string"))
}

fn mac(s: &str, what: &str) -> Result<[u8; 6], String> {
    let bytes: Vec<u8> = s
        .split(':')
        .map(|b| u8::from_str_radix(b, 16))
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{what}: {s:?} is not a MAC address"))?;
    bytes
        .try_into()
        .map_err(|_| format!("{what}: {s:?} is not a MAC address"))
}

fn mac_masked(v: &Value, what: &str) -> Result<([u8; 6], Option<[u8; 6]>), String> {
    let s = text(v, what)?;
    match s.split_once('/') {
        Some((a, m)) => Ok((mac(a, what)?, Some(mac(m, what)?))),
        None => Ok((mac(s, what)?, None)),
    }
}

fn ipv4_masked(v: &Value, what: &str) -> Result<(Ipv4Addr, Option<Ipv4Addr>), String> {
    let s = text(v, what)?;
    let bad = || format!("{what}: {s:?} is not an IPv4 address or prefix");
    match s.split_once('/') {
        Some((a, len)) => {
            let len: u32 = len.parse().map_err(|_| bad())?;
            if len > 32 {
                return Err(bad());
            }
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            Ok((
                Ipv4Addr::from_str(a).map_err(|_| bad())?,
                (len < 32).then_some(Ipv4Addr::from(mask)),
            ))
        }
        None => Ok((Ipv4Addr::from_str(s).map_err(|_| bad())?, None)),
    }
}

/// One match or set-field field from its JSON name and value.
pub fn field(name: &str, v: &Value) -> Result<OxmField, String> {
    use OxmField as F;
    Ok(match name {
        "in_port" => F::InPort(port(v)?),
        "eth_dst" | "eth_src" => {
            let (value, mask) = mac_masked(v, name)?;
            if name == "eth_dst" {
                F::EthDst { value, mask }
            } else {
                F::EthSrc { value, mask }
            }
        }
        "eth_type" => F::EthType(number(v, name)?),
        "vlan_vid" => F::VlanVid {
            value: number(v, name)?,
            mask: None,
        },
        "vlan_pcp" => F::VlanPcp(number(v, name)?),
        "ip_dscp" => F::IpDscp(number(v, name)?),
        "ip_proto" => F::IpProto(number(v, name)?),
        "ipv4_src" | "ipv4_dst" => {
            let (value, mask) = ipv4_masked(v, name)?;
            if name == "ipv4_src" {
                F::Ipv4Src { value, mask }
            } else {
                F::Ipv4Dst { value, mask }
            }
        }
        "tcp_src" => F::TcpSrc(number(v, name)?),
        "tcp_dst" => F::TcpDst(number(v, name)?),
        "udp_src" => F::UdpSrc(number(v, name)?),
        "udp_dst" => F::UdpDst(number(v, name)?),
        "icmpv4_type" => F::Icmpv4Type(number(v, name)?),
        "icmpv4_code" => F::Icmpv4Code(number(v, name)?),
        "arp_op" => F::ArpOp(number(v, name)?),
        "metadata" => F::Metadata {
            value: number(v, name)?,
            mask: None,
        },
        other => return Err(format!("unknown field {other:?}")),
    })
}

/// Match field names in the order prerequisites come first.
const FIELD_ORDER: [&str; 18] = [
    "in_port",
    "metadata",
    "eth_dst",
    "eth_src",
    "eth_type",
    "vlan_vid",
    "vlan_pcp",
    "ip_dscp",
    "ip_proto",
    "ipv4_src",
    "ipv4_dst",
    "tcp_src",
    "tcp_dst",
    "udp_src",
    "udp_dst",
    "icmpv4_type",
    "icmpv4_code",
    "arp_op",
];

/// A match from its JSON object.
pub fn match_of(fields: &Map<String, Value>) -> Result<Match, String> {
    if let Some(k) = fields.keys().find(|k| !FIELD_ORDER.contains(&k.as_str())) {
        return Err(format!("unknown match field {k:?}"));
    }
    let mut out = Vec::new();
    for name in FIELD_ORDER {
        if let Some(v) = fields.get(name) {
            out.push(field(name, v)?);
        }
    }
    Ok(Match::new(out))
}

/// A port number or name.
pub fn port(v: &Value) -> Result<u32, String> {
    if let Value::String(s) = v {
        let p = match s.as_str() {
            "controller" => Some(OFPP_CONTROLLER),
            "flood" => Some(OFPP_FLOOD),
            "all" => Some(OFPP_ALL),
            "in_port" => Some(OFPP_IN_PORT),
            "local" => Some(OFPP_LOCAL),
            "normal" => Some(OFPP_NORMAL),
            "table" => Some(OFPP_TABLE),
            "any" => Some(OFPP_ANY),
            _ => None,
        };
        if let Some(p) = p {
            return Ok(p);
        }
    }
    number(v, "port")
}

/// An action from its JSON form.
pub fn action(v: &Value) -> Result<Action, String> {
    if let Value::String(s) = v {
        return match s.as_str() {
            "pop_vlan" => Ok(Action::PopVlan),
            "dec_nw_ttl" => Ok(Action::DecNwTtl),
            other => Err(format!("unknown action {other:?}")),
        };
    }
    let obj = v
        .as_object()
        .filter(|o| o.len() == 1)
        .ok_or_else(|| format!("action {v}: write {{\"output\": 2}} or \"pop_vlan\""))?;
    let (name, arg) = obj.iter().next().expect("one entry");
    Ok(match name.as_str() {
        "output" => {
            let port = port(arg)?;
            Action::Output {
                port,
                max_len: if port == OFPP_CONTROLLER {
                    OFPCML_NO_BUFFER
                } else {
                    0
                },
            }
        }
        "group" => Action::Group(number(arg, "group")?),
        "push_vlan" => Action::PushVlan(number(arg, "push_vlan")?),
        "set_queue" => Action::SetQueue(number(arg, "set_queue")?),
        "set_field" => {
            let f = arg
                .as_object()
                .filter(|o| o.len() == 1)
                .ok_or_else(|| format!("set_field {arg}: one field, e.g. {{\"eth_dst\": ...}}"))?;
            let (n, val) = f.iter().next().expect("one entry");
            Action::SetField(field(n, val)?)
        }
        other => return Err(format!("unknown action {other:?}")),
    })
}

fn actions(list: &[Value]) -> Result<Vec<Action>, String> {
    list.iter().map(action).collect()
}

fn mod_command(c: Option<&str>) -> Result<u16, String> {
    match c.unwrap_or("add") {
        "add" => Ok(0),
        "modify" => Ok(1),
        "delete" => Ok(2),
        other => Err(format!("unknown command {other:?} (add, modify, delete)")),
    }
}

/// The message a step sends (none for `expect_packet_in` and `sleep`), or
/// why the step is malformed.
pub fn build(step: &Step) -> Result<Option<Message>, String> {
    Ok(Some(match step {
        Step::FlowMod(s) => {
            let cmd = match s.command.as_deref().unwrap_or("add") {
                "add" => command::ADD,
                "modify" => command::MODIFY,
                "modify_strict" => command::MODIFY_STRICT,
                "delete" => command::DELETE,
                "delete_strict" => command::DELETE_STRICT,
                other => return Err(format!("unknown flow_mod command {other:?}")),
            };
            let mut instructions = Vec::new();
            if let Some(m) = s.meter {
                instructions.push(Instruction::Meter(m));
            }
            let acts = actions(&s.actions)?;
            if !acts.is_empty() {
                instructions.push(Instruction::ApplyActions(acts));
            }
            if let Some(t) = s.goto {
                instructions.push(Instruction::GotoTable(t));
            }
            let mut fm = FlowMod::new(
                cmd,
                s.table,
                s.priority.unwrap_or(0x8000),
                match_of(&s.match_)?,
                instructions,
            );
            fm.cookie = s.cookie;
            fm.idle_timeout = s.idle_timeout;
            fm.hard_timeout = s.hard_timeout;
            if let Some(p) = &s.out_port {
                fm.out_port = port(p)?;
            }
            Message::FlowMod(fm)
        }
        Step::GroupMod(s) => {
            let group_type = match s.group_type.as_deref().unwrap_or("all") {
                "all" => GroupType::All,
                "select" => GroupType::Select,
                "indirect" => GroupType::Indirect,
                "fast_failover" => GroupType::FastFailover,
                other => return Err(format!("unknown group type {other:?}")),
            };
            let buckets = s
                .buckets
                .iter()
                .map(|b| {
                    Ok(Bucket {
                        weight: b.weight,
                        watch_port: b
                            .watch_port
                            .as_ref()
                            .map(port)
                            .transpose()?
                            .unwrap_or(OFPP_ANY),
                        watch_group: OFPG_ANY,
                        actions: actions(&b.actions)?,
                    })
                })
                .collect::<Result<_, String>>()?;
            Message::GroupMod(GroupMod {
                command: mod_command(s.command.as_deref())?,
                group_type,
                group_id: s.group_id,
                buckets,
            })
        }
        Step::MeterMod(s) => {
            use openflow::meter::ofpmf as mf;
            let mut flags = 0;
            for f in &s.flags {
                flags |= match f.as_str() {
                    "kbps" => mf::KBPS,
                    "pktps" => mf::PKTPS,
                    "burst" => mf::BURST,
                    "stats" => mf::STATS,
                    other => return Err(format!("unknown meter flag {other:?}")),
                };
            }
            let bands = s
                .bands
                .iter()
                .map(|b| match b.band_type.as_str() {
                    "drop" => Ok(MeterBand::Drop {
                        rate: b.rate,
                        burst_size: b.burst_size,
                    }),
                    "dscp_remark" => Ok(MeterBand::DscpRemark {
                        rate: b.rate,
                        burst_size: b.burst_size,
                        prec_level: b.prec_level,
                    }),
                    other => Err(format!("unknown band type {other:?}")),
                })
                .collect::<Result<_, String>>()?;
            Message::MeterMod(MeterMod {
                command: mod_command(s.command.as_deref())?,
                flags,
                meter_id: s.meter_id,
                bands,
            })
        }
        Step::PacketOut(s) => Message::PacketOut(PacketOut {
            buffer_id: OFP_NO_BUFFER,
            in_port: s
                .in_port
                .as_ref()
                .map(port)
                .transpose()?
                .unwrap_or(OFPP_CONTROLLER),
            actions: actions(&s.actions)?,
            data: hex::decode(s.data.replace([' ', ':'], ""))
                .map_err(|e| format!("packet_out data: {e}"))?,
        }),
        Step::Barrier(_) => Message::BarrierRequest,
        Step::ExpectFlows(s) => {
            for c in s.present.iter().chain(&s.absent) {
                if let Some(m) = &c.match_ {
                    match_of(m)?;
                }
            }
            Message::MultipartRequest(MultipartRequest {
                flags: 0,
                body: MultipartRequestBody::Flow(FlowStatsRequest {
                    table_id: s.table.unwrap_or(0xff),
                    out_port: OFPP_ANY,
                    out_group: OFPG_ANY,
                    cookie: 0,
                    cookie_mask: 0,
                    match_: Match::default(),
                }),
            })
        }
        Step::ExpectPacketIn(s) => {
            if let Some(r) = &s.reason {
                packet_in_reason(r)?;
            }
            if let Some(t) = &s.eth_type {
                number::<u16>(t, "eth_type")?;
            }
            return Ok(None);
        }
        Step::Sleep(_) => return Ok(None),
    }))
}

fn packet_in_reason(r: &str) -> Result<u8, String> {
    match r {
        "no_match" => Ok(0),
        "action" => Ok(1),
        "invalid_ttl" => Ok(2),
        other => Err(format!(
            "unknown packet-in reason {other:?} (no_match, action, invalid_ttl)"
        )),
    }
}

/// Whether error `e` is the one `spec` describes.
fn error_matches(spec: &ErrorSpec, e: &ErrorMsg, version: Version) -> bool {
    let names = e.names(version);
    let type_ok = match &spec.err_type {
        Value::String(s) if names.is_some_and(|(t, _)| t.eq_ignore_ascii_case(s)) => true,
        v => number::<u16>(v, "type").is_ok_and(|n| n == e.err_type),
    };
    let code_ok = match &spec.code {
        Value::String(s)
            if names.is_some_and(|(_, c)| c.is_some_and(|c| c.eq_ignore_ascii_case(s))) =>
        {
            true
        }
        v => number::<u16>(v, "code").is_ok_and(|n| n == e.code),
    };
    type_ok && code_ok
}

fn error_text(e: &ErrorMsg, version: Version) -> String {
    match e.names(version) {
        Some((t, Some(c))) => format!("{t}/{c} (type {}, code {})", e.err_type, e.code),
        Some((t, None)) => format!("{t} (type {}, code {})", e.err_type, e.code),
        None => format!("type {}, code {}", e.err_type, e.code),
    }
}

fn flow_fits(c: &FlowCheck, f: &FlowStats) -> bool {
    let fields = |m: &Match| m.fields.iter().cloned().collect::<HashSet<OxmField>>();
    c.priority.is_none_or(|p| p == f.priority)
        && c.cookie.is_none_or(|k| k == f.cookie)
        && c.packet_count.is_none_or(|n| n == f.packet_count)
        && c.min_packet_count.is_none_or(|n| f.packet_count >= n)
        && c.byte_count.is_none_or(|n| n == f.byte_count)
        && c.match_
            .as_ref()
            .is_none_or(|m| match_of(m).is_ok_and(|m| fields(&m) == fields(&f.match_)))
}

/// Judges an `expect_flows` step against the flows of the reply.
pub fn check_flows(spec: &ExpectFlowsSpec, flows: &[FlowStats]) -> Result<(), String> {
    if let Some(n) = spec.flow_count {
        if flows.len() != n {
            return Err(format!("flow_count {} (expected {n})", flows.len()));
        }
    }
    for (i, c) in spec.present.iter().enumerate() {
        if !flows.iter().any(|f| flow_fits(c, f)) {
            let near: Vec<String> = flows
                .iter()
                .filter(|f| c.priority.is_none_or(|p| p == f.priority))
                .take(3)
                .map(|f| {
                    format!(
                        "priority={} {} packets={} bytes={}",
                        f.priority, f.match_, f.packet_count, f.byte_count
                    )
                })
                .collect();
            return Err(format!(
                "present[{i}] {c:?} not found (flows of that priority: {near:?})"
            ));
        }
    }
    for (i, c) in spec.absent.iter().enumerate() {
        if let Some(f) = flows.iter().find(|f| flow_fits(c, f)) {
            return Err(format!(
                "absent[{i}] is there: priority={} {}",
                f.priority, f.match_
            ));
        }
    }
    Ok(())
}

fn packet_in_fits(spec: &ExpectPacketInSpec, pi: &PacketIn) -> bool {
    let reason = spec.reason.as_deref().map(packet_in_reason);
    let eth_type = spec.eth_type.as_ref().map(|t| number::<u16>(t, "eth_type"));
    spec.in_port.is_none_or(|p| pi.in_port() == Some(p))
        && reason.is_none_or(|r| r == Ok(pi.reason))
        && eth_type
            .is_none_or(|t| t.is_ok_and(|t| pi.data.get(12..14) == Some(&t.to_be_bytes()[..])))
}

/// What the current step waits for.
#[derive(Debug, Default)]
struct Wait {
    /// The step's request (a mod, a packet-out, the flow stats request).
    request: Option<u32>,
    /// The barrier that follows it.
    barrier: Option<u32>,
    deadline: Option<Instant>,
    errors: Vec<ErrorMsg>,
    flows: Vec<FlowStats>,
}

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    /// `3 flow_mod "name"`.
    pub label: String,
    /// Why it failed, if it did.
    pub failure: Option<String>,
}

/// A scenario running on one switch.
#[derive(Debug)]
pub struct ScriptRun {
    scenario: Scenario,
    version: Version,
    next: usize,
    wait: Option<Wait>,
    packet_ins: VecDeque<PacketIn>,
    outcomes: Vec<StepOutcome>,
    /// Print each outcome on stderr as it is known.
    pub verbose: bool,
}

impl ScriptRun {
    /// A run of `scenario`.
    pub fn new(scenario: Scenario) -> ScriptRun {
        ScriptRun {
            scenario,
            version: Version::V1_3,
            next: 0,
            wait: None,
            packet_ins: VecDeque::new(),
            outcomes: Vec::new(),
            verbose: false,
        }
    }

    /// The outcomes so far, in step order.
    pub fn outcomes(&self) -> &[StepOutcome] {
        &self.outcomes
    }

    fn current(&self) -> &Step {
        &self.scenario.steps[self.next]
    }

    /// Ends the current step with `failure` (or success) and starts the
    /// following ones.
    fn conclude(&mut self, ctx: &mut Ctx<'_>, failure: Option<String>) -> Result<(), EncodeError> {
        let label = self.current().label(self.next + 1);
        if self.verbose {
            match &failure {
                None => eprintln!("step {label}: passed"),
                Some(why) => eprintln!("step {label}: FAILED: {why}"),
            }
        }
        self.outcomes.push(StepOutcome { label, failure });
        self.wait = None;
        self.next += 1;
        self.start(ctx)
    }

    /// Starts the next step (and those that finish at once).
    fn start(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        if self.next >= self.scenario.steps.len() {
            return Ok(());
        }
        let step = self.current().clone();
        let message = match build(&step) {
            Ok(m) => m,
            Err(e) => return self.conclude(ctx, Some(e)),
        };
        let deadline = Some(ctx.now + STEP_TIMEOUT);
        match (&step, message) {
            (Step::Sleep(s), _) => {
                self.wait = Some(Wait {
                    deadline: Some(ctx.now + Duration::from_millis(s.ms)),
                    ..Wait::default()
                });
            }
            (Step::ExpectPacketIn(s), _) => {
                if let Some(i) = self.packet_ins.iter().position(|pi| packet_in_fits(s, pi)) {
                    self.packet_ins.drain(..=i);
                    return self.conclude(ctx, None);
                }
                self.packet_ins.clear();
                self.wait = Some(Wait {
                    deadline: Some(ctx.now + Duration::from_millis(s.timeout_ms)),
                    ..Wait::default()
                });
            }
            (Step::Barrier(_), Some(m)) => {
                let xid = match ctx.conn.send(&m) {
                    Ok(x) => x,
                    Err(e) => return self.conclude(ctx, Some(e.to_string())),
                };
                self.wait = Some(Wait {
                    barrier: Some(xid),
                    deadline,
                    ..Wait::default()
                });
            }
            (Step::ExpectFlows(_), Some(m)) => {
                let xid = match ctx.conn.send(&m) {
                    Ok(x) => x,
                    Err(e) => return self.conclude(ctx, Some(e.to_string())),
                };
                self.wait = Some(Wait {
                    request: Some(xid),
                    deadline,
                    ..Wait::default()
                });
            }
            (_, Some(m)) => {
                let xid = match ctx.conn.send(&m) {
                    Ok(x) => x,
                    Err(e) => return self.conclude(ctx, Some(e.to_string())),
                };
                let barrier = ctx.conn.send(&Message::BarrierRequest)?;
                self.wait = Some(Wait {
                    request: Some(xid),
                    barrier: Some(barrier),
                    deadline,
                    ..Wait::default()
                });
            }
            (_, None) => return self.conclude(ctx, None),
        }
        Ok(())
    }

    /// The verdict on a sending step once its barrier is answered.
    fn judge_sent(&self, errors: &[ErrorMsg]) -> Option<String> {
        let expected = match self.current() {
            Step::FlowMod(s) => s.expect_error.as_ref(),
            Step::GroupMod(s) => s.expect_error.as_ref(),
            Step::MeterMod(s) => s.expect_error.as_ref(),
            Step::PacketOut(s) => s.expect_error.as_ref(),
            _ => None,
        };
        let v = self.version;
        match (expected, errors) {
            (None, []) => None,
            (None, [e, ..]) => Some(format!("switch error {}", error_text(e, v))),
            (Some(spec), []) => Some(format!(
                "expected error {}/{}, the switch accepted the request",
                spec.err_type, spec.code
            )),
            (Some(spec), [e]) if error_matches(spec, e, v) => None,
            (Some(spec), es) => Some(format!(
                "expected error {}/{}, got {}",
                spec.err_type,
                spec.code,
                es.iter()
                    .map(|e| error_text(e, v))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

impl Handler for ScriptRun {
    fn connected(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        self.version = ctx.conn.version().unwrap_or(Version::V1_0);
        if self.scenario.packet_ins && self.version >= Version::V1_3 {
            ctx.conn
                .send(&Message::SetAsync(crate::learning::async_config()))?;
        }
        self.start(ctx)
    }

    fn message(
        &mut self,
        ctx: &mut Ctx<'_>,
        header: &Header,
        message: Message,
    ) -> Result<(), EncodeError> {
        let xid = header.xid;
        if let Message::PacketIn(pi) = message {
            let waiting = self.next < self.scenario.steps.len() && self.wait.is_some();
            if let (true, Step::ExpectPacketIn(s)) = (waiting, self.current()) {
                if packet_in_fits(s, &pi) {
                    return self.conclude(ctx, None);
                }
            }
            if self.packet_ins.len() < MAX_QUEUED_PACKET_INS {
                self.packet_ins.push_back(pi);
            }
            return Ok(());
        }
        let Some(wait) = self.wait.as_mut() else {
            return Ok(());
        };
        let ours = Some(xid) == wait.request || Some(xid) == wait.barrier;
        match message {
            Message::Error(e) if ours => {
                wait.errors.push(e);
                if wait.barrier.is_none() {
                    // A flow stats request answered by an error.
                    let why = format!("switch error {}", error_text(&wait.errors[0], self.version));
                    return self.conclude(ctx, Some(why));
                }
            }
            Message::BarrierReply if Some(xid) == wait.barrier => {
                let errors = std::mem::take(&mut wait.errors);
                let verdict = self.judge_sent(&errors);
                return self.conclude(ctx, verdict);
            }
            Message::MultipartReply(MultipartReply {
                flags,
                body: MultipartReplyBody::Flow(flows),
            }) if Some(xid) == wait.request => {
                wait.flows.extend(flows);
                if flags & OFPMPF_REPLY_MORE == 0 {
                    let flows = std::mem::take(&mut wait.flows);
                    let verdict = match self.current() {
                        Step::ExpectFlows(s) => check_flows(s, &flows).err(),
                        _ => None,
                    };
                    return self.conclude(ctx, verdict);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn deadline(&self) -> Option<Instant> {
        self.wait.as_ref().and_then(|w| w.deadline)
    }

    fn wake(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        let Some(deadline) = self.wait.as_ref().and_then(|w| w.deadline) else {
            return Ok(());
        };
        if ctx.now < deadline {
            return Ok(());
        }
        let failure = match self.current() {
            Step::Sleep(_) => None,
            Step::ExpectPacketIn(s) => {
                Some(format!("no matching packet-in in {} ms", s.timeout_ms))
            }
            _ => Some(format!("no reply in {} s", STEP_TIMEOUT.as_secs())),
        };
        self.conclude(ctx, failure)
    }

    fn finished(&self) -> bool {
        self.next >= self.scenario.steps.len()
    }
}

/// Options of `script`.
#[derive(clap::Args, Debug, Clone)]
pub struct ScriptArgs {
    /// Where the switches are.
    #[command(flatten)]
    pub common: Common,
    /// The scenario (JSON).
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,
    /// With --listen: switches to run the scenario on.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub switches: usize,
}

impl ScriptArgs {
    /// The scenario, read and checked.
    pub fn load(&self) -> Result<Scenario, String> {
        let text = std::fs::read_to_string(&self.scenario)
            .map_err(|e| format!("scenario {}: {e}", self.scenario.display()))?;
        Scenario::parse(&text).map_err(|e| format!("scenario {}: {e}", self.scenario.display()))
    }
}

/// The `RESULT` line of the mode.
pub fn result_line(outcomes: &[StepOutcome]) -> String {
    let failed = outcomes.iter().filter(|o| o.failure.is_some()).count();
    format!(
        "RESULT script steps={} passed={} failed={failed}",
        outcomes.len(),
        outcomes.len() - failed
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Scenario, String> {
        Scenario::parse(text)
    }

    #[test]
    fn the_example_scenarios_parse_and_build() {
        for name in ["forwarding.json", "bad_flow_mod.json"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scenarios")
                .join(name);
            let s = parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert!(!s.steps.is_empty(), "{name}");
            for step in &s.steps {
                if let Some(m) = build(step).unwrap() {
                    for v in [Version::V1_3, Version::V1_4] {
                        let bytes = m.encode(v, 1).unwrap_or_else(|e| panic!("{name}: {e}"));
                        assert_eq!(openflow::decode(&bytes).unwrap().1, m, "{name}");
                    }
                }
            }
        }
    }

    #[test]
    fn matches_and_actions_read_as_written() {
        let m: Map<String, Value> = serde_json::from_str(
            r#"{ "ipv4_dst": "10.1.0.0/16", "eth_type": "0x0800", "in_port": 3,
                 "eth_src": "02:00:00:00:00:01/ff:ff:ff:ff:ff:00", "udp_dst": 53, "ip_proto": 17 }"#,
        )
        .unwrap();
        let m = match_of(&m).unwrap();
        // Prerequisites first, whatever the JSON order.
        assert_eq!(m.fields[0], OxmField::InPort(3));
        assert_eq!(m.fields[2], OxmField::EthType(0x0800), "{:?}", m.fields);
        assert!(m.fields.contains(&OxmField::Ipv4Dst {
            value: Ipv4Addr::new(10, 1, 0, 0),
            mask: Some(Ipv4Addr::new(255, 255, 0, 0)),
        }));
        let a = action(&serde_json::json!({"output": "controller"})).unwrap();
        assert_eq!(
            a,
            Action::Output {
                port: OFPP_CONTROLLER,
                max_len: OFPCML_NO_BUFFER
            }
        );
        assert_eq!(
            action(&serde_json::json!("pop_vlan")).unwrap(),
            Action::PopVlan
        );
        assert_eq!(
            action(&serde_json::json!({"set_field": {"vlan_vid": 4097}})).unwrap(),
            Action::SetField(OxmField::VlanVid {
                value: 4097,
                mask: None
            })
        );
        assert!(action(&serde_json::json!({"output": 1, "group": 2})).is_err());
        assert!(match_of(&serde_json::from_str(r#"{"nw_dst": "1.2.3.4"}"#).unwrap()).is_err());
        assert!(field("ipv4_src", &serde_json::json!("1.2.3.4/33")).is_err());
        assert!(field("eth_type", &serde_json::json!(70000)).is_err());
    }

    #[test]
    fn malformed_scenarios_name_the_step() {
        let e = parse(r#"{"steps": [ {"barrier": {}}, {"flow_mod": {"command": "upsert"}} ]}"#)
            .unwrap_err();
        assert!(e.contains("step 2 flow_mod") && e.contains("upsert"), "{e}");
        let e = parse(r#"{"steps": [ {"flow_mod": {"priorty": 1}} ]}"#).unwrap_err();
        assert!(e.contains("priorty"), "{e}");
        let e = parse(r#"{"steps": [ {"expect_packet_in": {"reason": "miss"}} ]}"#).unwrap_err();
        assert!(e.contains("miss"), "{e}");
    }

    #[test]
    fn errors_match_by_name_or_number() {
        let e = ErrorMsg {
            err_type: 4,
            code: 9,
            experimenter: 0,
            data: Vec::new(),
        };
        let spec = |t: Value, c: Value| ErrorSpec {
            err_type: t,
            code: c,
        };
        let v = Version::V1_3;
        assert!(error_matches(
            &spec("BAD_MATCH".into(), "BAD_PREREQ".into()),
            &e,
            v
        ));
        assert!(error_matches(&spec(4.into(), "bad_prereq".into()), &e, v));
        assert!(error_matches(&spec("BAD_MATCH".into(), 9.into()), &e, v));
        assert!(!error_matches(
            &spec("BAD_MATCH".into(), "BAD_FIELD".into()),
            &e,
            v
        ));
        assert!(!error_matches(&spec("BAD_ACTION".into(), 9.into()), &e, v));
    }

    fn flow(priority: u16, packets: u64, fields: Vec<OxmField>) -> FlowStats {
        FlowStats {
            table_id: 0,
            duration_sec: 1,
            duration_nsec: 0,
            priority,
            idle_timeout: 0,
            hard_timeout: 0,
            flags: 0,
            importance: 0,
            cookie: 0,
            packet_count: packets,
            byte_count: packets * 60,
            match_: Match::new(fields),
            instructions: Vec::new().into(),
        }
    }

    #[test]
    fn flow_checks_count_find_and_miss() {
        let flows = [
            flow(100, 7, vec![OxmField::InPort(1), OxmField::EthType(0x0800)]),
            flow(0, 0, vec![]),
        ];
        let spec: ExpectFlowsSpec = serde_json::from_str(
            r#"{ "flow_count": 2, "present": [ { "priority": 100, "min_packet_count": 5,
                 "match": { "eth_type": 2048, "in_port": 1 } } ],
                 "absent": [ { "priority": 200 } ] }"#,
        )
        .unwrap();
        check_flows(&spec, &flows).unwrap();
        let spec: ExpectFlowsSpec =
            serde_json::from_str(r#"{ "present": [ { "priority": 100, "packet_count": 8 } ] }"#)
                .unwrap();
        let e = check_flows(&spec, &flows).unwrap_err();
        assert!(e.contains("present[0]") && e.contains("packets=7"), "{e}");
        let spec: ExpectFlowsSpec =
            serde_json::from_str(r#"{ "absent": [ { "match": {} } ] }"#).unwrap();
        assert!(check_flows(&spec, &flows)
            .unwrap_err()
            .contains("absent[0]"));
        let spec: ExpectFlowsSpec = serde_json::from_str(r#"{ "flow_count": 3 }"#).unwrap();
        assert_eq!(
            check_flows(&spec, &flows).unwrap_err(),
            "flow_count 2 (expected 3)"
        );
    }

    #[test]
    fn outcomes_make_the_result_line() {
        let ok = StepOutcome {
            label: "1 barrier".into(),
            failure: None,
        };
        let bad = StepOutcome {
            label: "2 sleep".into(),
            failure: Some("x".into()),
        };
        assert_eq!(
            result_line(&[ok.clone(), bad, ok]),
            "RESULT script steps=3 passed=2 failed=1"
        );
    }
}
