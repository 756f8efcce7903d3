//! The embedded configuration: a TOML file in Open vSwitch's vocabulary.
//!
//! Tables and columns carry the names of the `Open_vSwitch` OVSDB schema
//! (`Open_vSwitch`, `Bridge`, `Port`, `Interface`, `Controller`) so that the
//! same model later comes from OVSDB. A port with a single interface may carry
//! that interface's columns (`type`, `options`, `ofport_request`,
//! `mtu_request`) directly, as `ovs-vsctl add-port ... -- set Interface ...`
//! does; a bond lists `[[bridge.port.interface]]` entries.
//!
//! [`Config::parse`] checks syntax and every value it can check without a
//! device (masks, affinity lists, numbers in `options`), and names the object,
//! the reason and the fix in its error.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

/// A configuration error: which object, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError(msg.into()))
}

/// The whole configuration: the `Open_vSwitch` row and its bridges.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The `Open_vSwitch` table's single row.
    #[serde(default)]
    pub open_vswitch: OpenVswitch,
    /// The `Bridge` table.
    #[serde(default)]
    pub bridge: Vec<Bridge>,
}

/// The `Open_vSwitch` row.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OpenVswitch {
    /// `other_config`: `dpdk-socket-mem`, `dpdk-extra`, `pmd-cpu-mask`,
    /// `dpdk-lcore-mask`, `pmd-maxsleep`, `pmd-rxq-isolate`, ...
    #[serde(default)]
    pub other_config: BTreeMap<String, String>,
}

/// A `Bridge` row.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Bridge {
    /// Bridge name (`br0`).
    pub name: String,
    /// `netdev` (the only datapath ferrovs has); `system` is refused.
    #[serde(default = "default_datapath_type")]
    pub datapath_type: String,
    /// Ports of the bridge.
    #[serde(default)]
    pub port: Vec<Port>,
    /// Controllers: `controller = ["tcp:..."]` or `[[bridge.controller]]`.
    #[serde(default)]
    pub controller: Vec<ControllerEntry>,
    /// Test mode: `cross_connect = ["p0=p1"]`, every packet received on p0
    /// leaves on p1 (one direction per entry).
    #[serde(default)]
    pub cross_connect: Vec<String>,
    /// `other_config` of the bridge.
    #[serde(default)]
    pub other_config: BTreeMap<String, String>,
    /// `fail_mode`: `standalone` or `secure`.
    #[serde(default)]
    pub fail_mode: Option<String>,
    /// `protocols`: `OpenFlow10`, ..., `OpenFlow14`.
    #[serde(default)]
    pub protocols: Vec<String>,
    /// `flow_tables`: table id (0-253) to its `Flow_Table` row.
    #[serde(default)]
    pub flow_tables: BTreeMap<String, FlowTable>,
}

/// A `Flow_Table` row: limits of one OpenFlow table.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlowTable {
    /// Most flows the table holds.
    #[serde(default)]
    pub flow_limit: Option<u64>,
    /// What an add to a full table does: `refuse` (the default, the
    /// controller gets `OFPFMFC_TABLE_FULL`) or `evict` (the least
    /// important flow makes room, as OpenFlow 1.4 eviction does).
    #[serde(default)]
    pub overflow_policy: Option<String>,
}

impl Bridge {
    /// `other_config:mac-table-size` and `mac-aging-time` (Open vSwitch's
    /// defaults 8192 entries and 300 s).
    pub fn mac_table(&self) -> Result<(usize, u32), ConfigError> {
        let get = |key: &str, default: u64, max: u64| -> Result<u64, ConfigError> {
            match self.other_config.get(key) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| {
                        ConfigError(format!(
                            "bridge {}: other_config:{key}=\"{v}\" is not an integer in 1..{max}",
                            self.name
                        ))
                    }),
            }
        };
        let size = get("mac-table-size", 8192, 1 << 20)?;
        let aging = get("mac-aging-time", 300, 1_000_000)?;
        Ok((size as usize, aging as u32))
    }

    /// With `fail_mode = "standalone"`: how long the bridge waits without
    /// any controller before it forwards as a learning switch (three
    /// inactivity-probe intervals of its controllers, 5 s each unless
    /// configured). `None` for `secure`, the default.
    pub fn fail_open_after(&self) -> Option<std::time::Duration> {
        if self.fail_mode.as_deref() != Some("standalone") {
            return None;
        }
        let probe_ms = self
            .controller
            .iter()
            .map(|c| match c.to_row().inactivity_probe.unwrap_or(5000) {
                0 => 5000,
                ms => ms,
            })
            .max()
            .unwrap_or(5000);
        Some(std::time::Duration::from_millis(3 * probe_ms))
    }

    /// The configured table limits: (table id, flow limit, evict when full).
    pub fn table_limits(&self) -> Result<Vec<(u8, usize, bool)>, ConfigError> {
        let mut out = Vec::new();
        for (id, t) in &self.flow_tables {
            let table = id.parse::<u8>().ok().filter(|t| *t < 254).ok_or_else(|| {
                ConfigError(format!(
                    "bridge {}: flow_tables key \"{id}\" is not a table id (0..253)",
                    self.name
                ))
            })?;
            let limit = t
                .flow_limit
                .unwrap_or(crate::ofproto::table::DEFAULT_MAX_FLOWS as u64);
            if limit == 0 || limit > (1 << 24) {
                return err(format!(
                    "bridge {}: flow_tables {id}: flow_limit={limit} is outside 1..16777216",
                    self.name
                ));
            }
            let evict = match t.overflow_policy.as_deref() {
                None | Some("refuse") => false,
                Some("evict") => true,
                Some(other) => {
                    return err(format!(
                        "bridge {}: flow_tables {id}: overflow_policy \"{other}\" is not refuse \
                         or evict",
                        self.name
                    ))
                }
            };
            out.push((table, limit as usize, evict));
        }
        Ok(out)
    }
}

fn default_datapath_type() -> String {
    "netdev".to_owned()
}

/// One element of a bridge's `controller` list.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ControllerEntry {
    /// Shorthand: the target alone.
    Target(String),
    /// A `Controller` row with its columns.
    Row(Controller),
}

impl ControllerEntry {
    /// The entry as a full row (shorthand entries get default columns).
    pub fn to_row(&self) -> Controller {
        match self {
            ControllerEntry::Target(t) => Controller {
                target: t.clone(),
                ..Controller::default()
            },
            ControllerEntry::Row(c) => c.clone(),
        }
    }
}

/// A `Controller` row.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// `tcp:IP:PORT`, `ssl:IP:PORT`, `unix:PATH`.
    pub target: String,
    /// Milliseconds of silence before an echo request (0 disables).
    #[serde(default)]
    pub inactivity_probe: Option<u64>,
    /// Maximum reconnection backoff in milliseconds.
    #[serde(default)]
    pub max_backoff: Option<u64>,
    /// Packet-ins per second sent to this controller.
    #[serde(default)]
    pub controller_rate_limit: Option<u64>,
    /// Packet-in burst above the rate limit.
    #[serde(default)]
    pub controller_burst_limit: Option<u64>,
}

/// A `Port` row; when it has a single interface, that interface's columns
/// may sit on the port itself.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Port {
    /// Port name.
    pub name: String,
    /// Interfaces of a bond; empty for a single-interface port.
    #[serde(default)]
    pub interface: Vec<Interface>,
    /// `bond_mode` for bonds (`active-backup`, `balance-slb`, `balance-tcp`).
    #[serde(default)]
    pub bond_mode: Option<String>,
    /// `tag` (access VLAN).
    #[serde(default)]
    pub tag: Option<u16>,
    /// Port `other_config`.
    #[serde(default)]
    pub other_config: BTreeMap<String, String>,
    /// Interface column `type`, for a single-interface port.
    #[serde(default, rename = "type")]
    pub if_type: Option<String>,
    /// Interface column `options`, for a single-interface port.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Interface column `ofport_request`, for a single-interface port.
    #[serde(default)]
    pub ofport_request: Option<u32>,
    /// Interface column `mtu_request`, for a single-interface port.
    #[serde(default)]
    pub mtu_request: Option<u32>,
}

/// An `Interface` row.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    /// Interface name.
    pub name: String,
    /// `dpdk` (the default here), `internal`, `dpdkvhostuser`, ...
    #[serde(default, rename = "type")]
    pub if_type: Option<String>,
    /// `options`: `dpdk-devargs`, `n_rxq`, `n_rxq_desc`, `n_txq_desc`.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Requested OpenFlow port number.
    #[serde(default)]
    pub ofport_request: Option<u32>,
    /// Requested MTU.
    #[serde(default)]
    pub mtu_request: Option<u32>,
    /// `other_config`: `pmd-rxq-affinity`.
    #[serde(default)]
    pub other_config: BTreeMap<String, String>,
}

impl Port {
    /// The port's interfaces: the listed ones for a bond, or the single
    /// interface described by the port's own columns.
    pub fn interfaces(&self) -> Vec<Interface> {
        if !self.interface.is_empty() {
            return self.interface.clone();
        }
        Interface {
            name: self.name.clone(),
            if_type: self.if_type.clone(),
            options: self.options.clone(),
            ofport_request: self.ofport_request,
            mtu_request: self.mtu_request,
            other_config: self.other_config.clone(),
        }
        .into_vec()
    }
}

impl Interface {
    fn into_vec(self) -> Vec<Interface> {
        vec![self]
    }

    /// The interface type, `dpdk` when unset (the only type a netdev bridge
    /// port of ferrovs has without a later issue).
    pub fn kind(&self) -> &str {
        self.if_type.as_deref().unwrap_or("dpdk")
    }

    /// `options:dpdk-devargs`.
    pub fn devargs(&self) -> Option<&str> {
        self.options.get("dpdk-devargs").map(String::as_str)
    }

    /// A numeric option (`n_rxq`, `n_rxq_desc`, `n_txq_desc`) with its
    /// default, or an error naming the interface and the option.
    pub fn u16_option(&self, key: &str, default: u16) -> Result<u16, ConfigError> {
        match self.options.get(key) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u16>() {
                Ok(n) if n > 0 => Ok(n),
                _ => err(format!(
                    "interface {}: options:{key}=\"{v}\" is not a number from 1 to 65535",
                    self.name
                )),
            },
        }
    }

    /// `other_config:pmd-rxq-affinity`, parsed.
    pub fn rxq_affinity(&self) -> Result<Vec<(u16, u32)>, ConfigError> {
        match self.other_config.get("pmd-rxq-affinity") {
            None => Ok(Vec::new()),
            Some(list) => parse_rxq_affinity(list).map_err(|reason| {
                ConfigError(format!(
                    "interface {}: other_config:pmd-rxq-affinity=\"{list}\" is malformed: {reason} \
                     (expected a comma-separated list of <queue-id>:<core-id>, e.g. \"0:3,1:7\")",
                    self.name
                ))
            }),
        }
    }
}

/// Parses a `pmd-rxq-affinity` list ("0:3,1:7,3:8") into (queue, core) pairs.
pub fn parse_rxq_affinity(list: &str) -> Result<Vec<(u16, u32)>, String> {
    let mut pairs: Vec<(u16, u32)> = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((q, c)) = item.split_once(':') else {
            return Err(format!("\"{item}\" has no ':'"));
        };
        let q: u16 = q
            .trim()
            .parse()
            .map_err(|_| format!("queue id \"{}\" is not a number", q.trim()))?;
        let c: u32 = c
            .trim()
            .parse()
            .map_err(|_| format!("core id \"{}\" is not a number", c.trim()))?;
        if pairs.iter().any(|&(pq, _)| pq == q) {
            return Err(format!("queue {q} is listed twice"));
        }
        pairs.push((q, c));
    }
    Ok(pairs)
}

/// Parses a CPU mask such as `0x6` or `6` (hex, as Open vSwitch reads it)
/// into the list of core ids it names, lowest first.
pub fn parse_cpu_mask(mask: &str) -> Result<Vec<u32>, String> {
    let hex = mask
        .trim()
        .trim_start_matches("0x")
        .trim_start_matches("0X");
    if hex.is_empty() {
        return Err("empty mask".into());
    }
    let mut cores = Vec::new();
    for (i, ch) in hex.chars().rev().enumerate() {
        let Some(nibble) = ch.to_digit(16) else {
            return Err(format!("'{ch}' is not a hex digit"));
        };
        for bit in 0..4 {
            if nibble & (1 << bit) != 0 {
                cores.push((i * 4 + bit) as u32);
            }
        }
    }
    Ok(cores)
}

impl Config {
    /// Parses and checks a TOML configuration. `source` names the file in
    /// errors.
    pub fn parse(text: &str, source: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text)
            .map_err(|e| ConfigError(format!("{source}: {}", e.to_string().trim_end())))?;
        config.check()?;
        Ok(config)
    }

    /// Checks everything that can be checked without devices.
    pub fn check(&self) -> Result<(), ConfigError> {
        let oc = &self.open_vswitch.other_config;
        if let Some(mask) = oc.get("pmd-cpu-mask") {
            parse_cpu_mask(mask).map_err(|r| {
                ConfigError(format!(
                    "Open_vSwitch other_config:pmd-cpu-mask=\"{mask}\" is malformed: {r} \
                     (expected a hex mask such as 0x2)"
                ))
            })?;
        }
        if let Some(mask) = oc.get("dpdk-lcore-mask") {
            parse_cpu_mask(mask).map_err(|r| {
                ConfigError(format!(
                    "Open_vSwitch other_config:dpdk-lcore-mask=\"{mask}\" is malformed: {r} \
                     (expected a hex mask such as 0x1)"
                ))
            })?;
        }
        for key in ["pmd-maxsleep", "emc-insert-inv-prob"] {
            if let Some(v) = oc.get(key) {
                if v.trim().parse::<u64>().is_err() {
                    return err(format!(
                        "Open_vSwitch other_config:{key}=\"{v}\" is not a non-negative integer"
                    ));
                }
            }
        }
        for key in ["pmd-rxq-isolate", "flow-cache-check"] {
            if let Some(v) = oc.get(key) {
                if !matches!(v.as_str(), "true" | "false") {
                    return err(format!(
                        "Open_vSwitch other_config:{key}=\"{v}\" must be true or false"
                    ));
                }
            }
        }
        if let Some(mem) = oc.get("dpdk-socket-mem") {
            socket_mem_total(mem)?;
        }
        let mut names = std::collections::BTreeSet::new();
        for br in &self.bridge {
            if br.name.is_empty() {
                return err("a bridge has an empty name");
            }
            if !names.insert(br.name.clone()) {
                return err(format!("bridge {} is defined twice", br.name));
            }
            if br.datapath_type != "netdev" {
                return err(format!(
                    "bridge {}: datapath_type \"{}\" is not supported (ferrovs has the userspace \
                     datapath only: set datapath_type = \"netdev\")",
                    br.name, br.datapath_type
                ));
            }
            crate::ofproto::protocols(&br.name, &br.protocols).map_err(ConfigError)?;
            br.table_limits()?;
            br.mac_table()?;
            if let Some(m) = br.fail_mode.as_deref() {
                if !matches!(m, "standalone" | "secure") {
                    return err(format!(
                        "bridge {}: fail_mode \"{m}\" is not standalone or secure",
                        br.name
                    ));
                }
            }
            crate::ofproto::datapath_id(
                &br.name,
                br.other_config.get("datapath-id").map(String::as_str),
            )
            .map_err(ConfigError)?;
            for c in &br.controller {
                crate::mgmt::ofsocket::Target::parse(&c.to_row().target)
                    .map_err(|e| ConfigError(format!("bridge {}: {e}", br.name)))?;
            }
            for p in &br.port {
                // The bridge's own internal (LOCAL) port shares its name.
                let local = p.name == br.name;
                if local && p.if_type.as_deref() != Some("internal") {
                    return err(format!(
                        "port {}: a port named after its bridge is the bridge's LOCAL port and \
                         must have type = \"internal\"",
                        p.name
                    ));
                }
                if !local && !names.insert(p.name.clone()) {
                    return err(format!("port {} is defined twice", p.name));
                }
                for iface in p.interfaces() {
                    if iface.name != p.name && !names.insert(iface.name.clone()) {
                        return err(format!("interface {} is defined twice", iface.name));
                    }
                    iface.u16_option("n_rxq", 1)?;
                    iface.u16_option("n_rxq_desc", 2048)?;
                    iface.u16_option("n_txq_desc", 2048)?;
                    iface.rxq_affinity()?;
                    if let Some(mtu) = iface.mtu_request {
                        if !(68..=65535).contains(&mtu) {
                            return err(format!(
                                "interface {}: mtu_request={mtu} is outside 68..65535",
                                iface.name
                            ));
                        }
                    }
                    if iface.kind() == "dpdk" && iface.devargs().is_none() {
                        return err(format!(
                            "interface {}: type dpdk needs options:dpdk-devargs (a PCI address \
                             such as 0000:01:00.0 or a vdev such as net_null0)",
                            iface.name
                        ));
                    }
                }
            }
            for cc in &br.cross_connect {
                let Some((a, b)) = cc.split_once('=') else {
                    return err(format!(
                        "bridge {}: cross_connect entry \"{cc}\" is not of the form \"p0=p1\"",
                        br.name
                    ));
                };
                for side in [a.trim(), b.trim()] {
                    if !br.port.iter().any(|p| p.name == side) {
                        return err(format!(
                            "bridge {}: cross_connect entry \"{cc}\" names port {side}, which is \
                             not a port of the bridge",
                            br.name
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// `Open_vSwitch other_config:KEY`.
    pub fn other(&self, key: &str) -> Option<&str> {
        self.open_vswitch.other_config.get(key).map(String::as_str)
    }
}

/// Sums a `dpdk-socket-mem` list ("1024,0") into megabytes.
pub fn socket_mem_total(mem: &str) -> Result<u64, ConfigError> {
    let mut total = 0u64;
    for part in mem.split(',') {
        total += part.trim().parse::<u64>().map_err(|_| {
            ConfigError(format!(
                "Open_vSwitch other_config:dpdk-socket-mem=\"{mem}\" is malformed \
                 (expected megabytes per NUMA node, e.g. \"1024,0\")"
            ))
        })?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[open_vswitch.other_config]
dpdk-socket-mem = "256"
dpdk-extra = "--no-pci"
pmd-cpu-mask = "0x2"

[[bridge]]
name = "br0"
datapath_type = "netdev"
controller = ["tcp:127.0.0.1:6653", { target = "tcp:127.0.0.1:6654", inactivity_probe = 5000 }]
cross_connect = ["p0=p1"]

[[bridge.port]]
name = "p0"
ofport_request = 1
type = "dpdk"
options = { "dpdk-devargs" = "net_pcap0,rx_pcap=/tmp/t.pcap,infinite_rx=1", n_rxq = "1" }
other_config = { "pmd-rxq-affinity" = "0:1" }

[[bridge.port]]
name = "p1"
options = { "dpdk-devargs" = "net_null0,no-rx=1" }

[[bridge.port]]
name = "bond0"
bond_mode = "active-backup"
[[bridge.port.interface]]
name = "b1"
options = { "dpdk-devargs" = "net_null1" }
[[bridge.port.interface]]
name = "b2"
options = { "dpdk-devargs" = "net_null2" }
"#;

    #[test]
    fn parses_the_issue_example() {
        let c = Config::parse(EXAMPLE, "example.toml").unwrap();
        assert_eq!(c.other("pmd-cpu-mask"), Some("0x2"));
        let br = &c.bridge[0];
        assert_eq!(br.port.len(), 3);
        let p0 = br.port[0].interfaces();
        assert_eq!(p0.len(), 1);
        assert_eq!(p0[0].ofport_request, Some(1));
        assert_eq!(p0[0].rxq_affinity().unwrap(), vec![(0, 1)]);
        assert_eq!(br.port[2].interfaces().len(), 2);
        assert_eq!(br.controller[0].to_row().target, "tcp:127.0.0.1:6653");
        assert_eq!(br.controller[1].to_row().inactivity_probe, Some(5000));
    }

    #[test]
    fn shipped_examples_parse() {
        for (name, text) in [
            ("demo.toml", include_str!("../../examples/demo.toml")),
            (
                "two-pmds.toml",
                include_str!("../../examples/two-pmds.toml"),
            ),
            (
                "openflow-bridge.toml",
                include_str!("../../examples/openflow-bridge.toml"),
            ),
        ] {
            if let Err(e) = Config::parse(text, name) {
                panic!("{name}: {e}");
            }
        }
    }

    #[test]
    fn cpu_masks() {
        assert_eq!(parse_cpu_mask("0x2").unwrap(), vec![1]);
        assert_eq!(parse_cpu_mask("6").unwrap(), vec![1, 2]);
        assert_eq!(parse_cpu_mask("0x10c").unwrap(), vec![2, 3, 8]);
        assert!(parse_cpu_mask("0xg").is_err());
        assert!(parse_cpu_mask("").is_err());
    }

    #[test]
    fn affinity_lists() {
        assert_eq!(
            parse_rxq_affinity("0:3,1:7,3:8").unwrap(),
            vec![(0, 3), (1, 7), (3, 8)]
        );
        assert!(parse_rxq_affinity("0:3,1").is_err());
        assert!(parse_rxq_affinity("0:x").is_err());
        assert!(parse_rxq_affinity("0:1,0:2").is_err());
    }

    fn parse_err(text: &str) -> String {
        Config::parse(text, "t.toml").unwrap_err().0
    }

    #[test]
    fn errors_name_object_and_fix() {
        let e = parse_err(&EXAMPLE.replace("\"0:1\"", "\"0-1\""));
        assert!(
            e.contains("interface p0") && e.contains("pmd-rxq-affinity"),
            "{e}"
        );
        let e = parse_err(&EXAMPLE.replace("n_rxq = \"1\"", "n_rxq = \"many\""));
        assert!(e.contains("interface p0: options:n_rxq"), "{e}");
        let e = parse_err(&EXAMPLE.replace("\"0x2\"", "\"0xz\""));
        assert!(e.contains("pmd-cpu-mask"), "{e}");
        let e = parse_err(&EXAMPLE.replace("p0=p1", "p0=p9"));
        assert!(e.contains("names port p9"), "{e}");
        let e = parse_err("[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"x\"\n");
        assert!(
            e.contains("interface x: type dpdk needs options:dpdk-devargs"),
            "{e}"
        );
        let e = parse_err("[[bridge]\nname=");
        assert!(e.starts_with("t.toml:"), "{e}");
        let e = parse_err("[[bridge]]\nname = \"br0\"\ncolour = 1\n");
        assert!(e.contains("colour"), "{e}");
        let e = parse_err("[[bridge]]\nname = \"br0\"\ncontroller = [\"udp:1.2.3.4\"]\n");
        assert!(
            e.contains("bridge br0: controller target \"udp:1.2.3.4\""),
            "{e}"
        );
        let e = parse_err(
            "[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"br0\"\n\
             options = { \"dpdk-devargs\" = \"net_null0\" }\n",
        );
        assert!(e.contains("port br0: a port named after its bridge"), "{e}");
        Config::parse(
            "[[bridge]]\nname = \"br0\"\n[[bridge.port]]\nname = \"br0\"\ntype = \"internal\"\n",
            "t.toml",
        )
        .unwrap();
        for (table, want) in [
            (
                "[bridge.flow_tables.254]\nflow_limit = 5",
                "flow_tables key \"254\"",
            ),
            ("[bridge.flow_tables.x]", "flow_tables key \"x\""),
            (
                "[bridge.flow_tables.1]\nflow_limit = 0",
                "flow_tables 1: flow_limit=0",
            ),
            (
                "[bridge.flow_tables.1]\noverflow_policy = \"drop\"",
                "flow_tables 1: overflow_policy \"drop\"",
            ),
            ("[bridge.flow_tables.1]\nsize = 3", "size"),
        ] {
            let e = parse_err(&format!("[[bridge]]\nname = \"br0\"\n{table}\n"));
            assert!(e.contains(want), "{e}");
            assert!(e.contains("br0") || want == "size", "{e}");
        }
        let e = parse_err("[[bridge]]\nname = \"br0\"\nprotocols = [\"OpenFlow15\"]\n");
        assert!(
            e.contains("bridge br0: protocols entry \"OpenFlow15\""),
            "{e}"
        );
        let e = parse_err("[[bridge]]\nname = \"br0\"\ndatapath_type = \"system\"\n");
        assert!(e.contains("datapath_type"), "{e}");
    }
}
