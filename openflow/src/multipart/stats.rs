//! Counter bodies: switch description, aggregate, table, port, queue, group
//! and meter statistics, group and meter features.
//!
//! Each type mirrors the spec struct named in its doc comment; counters a
//! version does not carry decode as "unknown" (all ones), as Open vSwitch
//! reports them.

use super::common::{
    be16, be32, expect_end, finish_len16, fixed_str, port_in, put_fixed_str, put_port, split_entry,
    ExperimenterProp, PROP_EXPERIMENTER,
};
use crate::error::{DecodeError, EncodeError, ErrorKind};
use crate::wire::{self, put_u16, put_u32, put_u64, put_zeros};
use crate::Version;

/// Length of the description strings of [`SwitchDesc`] (`DESC_STR_LEN`).
pub const DESC_STR_LEN: usize = 256;
/// Length of the serial number of [`SwitchDesc`] (`SERIAL_NUM_LEN`).
pub const SERIAL_NUM_LEN: usize = 32;
/// Length of a table name (`OFP_MAX_TABLE_NAME_LEN`).
pub const MAX_TABLE_NAME_LEN: usize = 32;
/// Experimenter id of Intel's port statistics extension (`INTEL_VENDOR_ID`).
pub const INTEL_VENDOR_ID: u32 = 0x0000_aa01;
/// Intel experimenter type of the RFC 2819 counters (`INTEL_PORT_STATS_RFC2819`).
pub const INTEL_PORT_STATS_RFC2819: u32 = 1;
/// Intel experimenter type of the custom (name, value) counters (`INTEL_PORT_STATS_CUSTOM`).
pub const INTEL_PORT_STATS_CUSTOM: u32 = 2;

/// Switch description reply (`struct ofp_desc` / 1.0 `ofp_desc_stats`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SwitchDesc {
    /// Manufacturer description.
    pub mfr_desc: String,
    /// Hardware description.
    pub hw_desc: String,
    /// Software description.
    pub sw_desc: String,
    /// Serial number.
    pub serial_num: String,
    /// Human-readable description of the datapath.
    pub dp_desc: String,
}

impl SwitchDesc {
    /// Encoded size (1056 bytes).
    pub const LEN: usize = 4 * DESC_STR_LEN + SERIAL_NUM_LEN;

    pub(crate) fn decode(input: &[u8]) -> Result<Self, DecodeError> {
        let ctx = "switch description";
        let (i, mfr_desc) = fixed_str(input, DESC_STR_LEN, ctx)?;
        let (i, hw_desc) = fixed_str(i, DESC_STR_LEN, ctx)?;
        let (i, sw_desc) = fixed_str(i, DESC_STR_LEN, ctx)?;
        let (i, serial_num) = fixed_str(i, SERIAL_NUM_LEN, ctx)?;
        let (i, dp_desc) = fixed_str(i, DESC_STR_LEN, ctx)?;
        expect_end(i, ctx)?;
        Ok(SwitchDesc {
            mfr_desc,
            hw_desc,
            sw_desc,
            serial_num,
            dp_desc,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        put_fixed_str(out, &self.mfr_desc, DESC_STR_LEN);
        put_fixed_str(out, &self.hw_desc, DESC_STR_LEN);
        put_fixed_str(out, &self.sw_desc, DESC_STR_LEN);
        put_fixed_str(out, &self.serial_num, SERIAL_NUM_LEN);
        put_fixed_str(out, &self.dp_desc, DESC_STR_LEN);
    }
}

/// Aggregate flow statistics reply (`struct ofp_aggregate_stats_reply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AggregateStats {
    /// Packets matched by the selected flows.
    pub packet_count: u64,
    /// Bytes matched by the selected flows.
    pub byte_count: u64,
    /// Number of selected flows.
    pub flow_count: u32,
}

impl AggregateStats {
    /// Encoded size.
    pub const LEN: usize = 24;

    pub(crate) fn decode(input: &[u8]) -> Result<Self, DecodeError> {
        let ctx = "aggregate stats reply";
        let (i, packet_count) = wire::u64(input, ctx)?;
        let (i, byte_count) = wire::u64(i, ctx)?;
        let (i, flow_count) = wire::u32(i, ctx)?;
        let i = wire::skip(i, 4, ctx)?;
        expect_end(i, ctx)?;
        Ok(AggregateStats {
            packet_count,
            byte_count,
            flow_count,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        put_u64(out, self.packet_count);
        put_u64(out, self.byte_count);
        put_u32(out, self.flow_count);
        put_zeros(out, 4);
    }
}

/// One table's statistics (`struct ofp_table_stats`).
///
/// OpenFlow 1.3 and later carry only `table_id`, `active_count`,
/// `lookup_count` and `matched_count`; 1.0 (`ofp10_table_stats`), 1.1
/// (`ofp11_table_stats`) and 1.2 (`ofp12_table_stats`) also carry the
/// table's name, capabilities and size, which decode as empty/zero in 1.3+.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TableStats {
    /// Table id.
    pub table_id: u8,
    /// Number of active entries.
    pub active_count: u32,
    /// Packets looked up in the table.
    pub lookup_count: u64,
    /// Packets that hit the table.
    pub matched_count: u64,
    /// Table name (1.0–1.2).
    pub name: String,
    /// Supported wildcards: `OFPFW10_*` (1.0, 32 bits), `OFPFW11_*` (1.1,
    /// 32 bits) or an OXM field bitmap (1.2).
    pub wildcards: u64,
    /// Matchable fields: `OFPFMF11_*` (1.1, 32 bits) or an OXM bitmap (1.2).
    pub match_fields: u64,
    /// Supported instructions bitmap (1.1, 1.2).
    pub instructions: u32,
    /// Actions supported by write-actions, bitmap (1.1, 1.2).
    pub write_actions: u32,
    /// Actions supported by apply-actions, bitmap (1.1, 1.2).
    pub apply_actions: u32,
    /// Fields settable by write-actions, OXM bitmap (1.2).
    pub write_setfields: u64,
    /// Fields settable by apply-actions, OXM bitmap (1.2).
    pub apply_setfields: u64,
    /// Metadata bits the table can match (1.2).
    pub metadata_match: u64,
    /// Metadata bits the table can write (1.2).
    pub metadata_write: u64,
    /// Table-miss config bitmap (1.1, 1.2).
    pub config: u32,
    /// Maximum number of entries (1.0–1.2).
    pub max_entries: u32,
}

fn fit32(v: u64, version: Version, what: &'static str) -> Result<u32, EncodeError> {
    u32::try_from(v).map_err(|_| EncodeError::unsupported(version, what))
}

impl TableStats {
    /// Encoded size of one entry in `version`.
    pub fn wire_len(version: Version) -> usize {
        match version {
            Version::V1_0 => 64,
            Version::V1_1 => 88,
            Version::V1_2 => 128,
            _ => 24,
        }
    }

    pub(crate) fn decode(version: Version, input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let ctx = "table stats entry";
        let mut t = TableStats::default();
        let (i, table_id) = wire::u8(input, ctx)?;
        t.table_id = table_id;
        let i = match version {
            Version::V1_0 => {
                let i = wire::skip(i, 3, ctx)?;
                let (i, name) = fixed_str(i, MAX_TABLE_NAME_LEN, ctx)?;
                let (i, wildcards) = wire::u32(i, ctx)?;
                let (i, max_entries) = wire::u32(i, ctx)?;
                let (i, active_count) = wire::u32(i, ctx)?;
                t.name = name;
                t.wildcards = wildcards.into();
                t.max_entries = max_entries;
                t.active_count = active_count;
                i
            }
            Version::V1_1 => {
                let i = wire::skip(i, 7, ctx)?;
                let (i, name) = fixed_str(i, MAX_TABLE_NAME_LEN, ctx)?;
                let (i, wildcards) = wire::u32(i, ctx)?;
                let (i, match_fields) = wire::u32(i, ctx)?;
                let (i, instructions) = wire::u32(i, ctx)?;
                let (i, write_actions) = wire::u32(i, ctx)?;
                let (i, apply_actions) = wire::u32(i, ctx)?;
                let (i, config) = wire::u32(i, ctx)?;
                let (i, max_entries) = wire::u32(i, ctx)?;
                let (i, active_count) = wire::u32(i, ctx)?;
                t.name = name;
                t.wildcards = wildcards.into();
                t.match_fields = match_fields.into();
                t.instructions = instructions;
                t.write_actions = write_actions;
                t.apply_actions = apply_actions;
                t.config = config;
                t.max_entries = max_entries;
                t.active_count = active_count;
                i
            }
            Version::V1_2 => {
                let i = wire::skip(i, 7, ctx)?;
                let (i, name) = fixed_str(i, MAX_TABLE_NAME_LEN, ctx)?;
                let (i, match_fields) = wire::u64(i, ctx)?;
                let (i, wildcards) = wire::u64(i, ctx)?;
                let (i, write_actions) = wire::u32(i, ctx)?;
                let (i, apply_actions) = wire::u32(i, ctx)?;
                let (i, write_setfields) = wire::u64(i, ctx)?;
                let (i, apply_setfields) = wire::u64(i, ctx)?;
                let (i, metadata_match) = wire::u64(i, ctx)?;
                let (i, metadata_write) = wire::u64(i, ctx)?;
                let (i, instructions) = wire::u32(i, ctx)?;
                let (i, config) = wire::u32(i, ctx)?;
                let (i, max_entries) = wire::u32(i, ctx)?;
                let (i, active_count) = wire::u32(i, ctx)?;
                t.name = name;
                t.match_fields = match_fields;
                t.wildcards = wildcards;
                t.write_actions = write_actions;
                t.apply_actions = apply_actions;
                t.write_setfields = write_setfields;
                t.apply_setfields = apply_setfields;
                t.metadata_match = metadata_match;
                t.metadata_write = metadata_write;
                t.instructions = instructions;
                t.config = config;
                t.max_entries = max_entries;
                t.active_count = active_count;
                i
            }
            _ => {
                let i = wire::skip(i, 3, ctx)?;
                let (i, active_count) = wire::u32(i, ctx)?;
                t.active_count = active_count;
                i
            }
        };
        let (i, lookup_count) = wire::u64(i, ctx)?;
        let (i, matched_count) = wire::u64(i, ctx)?;
        t.lookup_count = lookup_count;
        t.matched_count = matched_count;
        Ok((t, i))
    }

    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.table_id);
        match version {
            Version::V1_0 => {
                put_zeros(out, 3);
                put_fixed_str(out, &self.name, MAX_TABLE_NAME_LEN);
                put_u32(
                    out,
                    fit32(
                        self.wildcards,
                        version,
                        "table stats wildcards above 32 bits",
                    )?,
                );
                put_u32(out, self.max_entries);
                put_u32(out, self.active_count);
            }
            Version::V1_1 => {
                put_zeros(out, 7);
                put_fixed_str(out, &self.name, MAX_TABLE_NAME_LEN);
                put_u32(
                    out,
                    fit32(
                        self.wildcards,
                        version,
                        "table stats wildcards above 32 bits",
                    )?,
                );
                put_u32(
                    out,
                    fit32(
                        self.match_fields,
                        version,
                        "table stats match above 32 bits",
                    )?,
                );
                put_u32(out, self.instructions);
                put_u32(out, self.write_actions);
                put_u32(out, self.apply_actions);
                put_u32(out, self.config);
                put_u32(out, self.max_entries);
                put_u32(out, self.active_count);
            }
            Version::V1_2 => {
                put_zeros(out, 7);
                put_fixed_str(out, &self.name, MAX_TABLE_NAME_LEN);
                put_u64(out, self.match_fields);
                put_u64(out, self.wildcards);
                put_u32(out, self.write_actions);
                put_u32(out, self.apply_actions);
                put_u64(out, self.write_setfields);
                put_u64(out, self.apply_setfields);
                put_u64(out, self.metadata_match);
                put_u64(out, self.metadata_write);
                put_u32(out, self.instructions);
                put_u32(out, self.config);
                put_u32(out, self.max_entries);
                put_u32(out, self.active_count);
            }
            _ => {
                put_zeros(out, 3);
                put_u32(out, self.active_count);
            }
        }
        put_u64(out, self.lookup_count);
        put_u64(out, self.matched_count);
        Ok(())
    }
}

/// Ethernet counters of a port (`struct ofp14_port_stats_prop_ethernet`;
/// fixed fields of `ofp_port_stats` before 1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PortStatsEthernet {
    /// Frame alignment errors.
    pub rx_frame_err: u64,
    /// Packets with receive overrun.
    pub rx_over_err: u64,
    /// CRC errors.
    pub rx_crc_err: u64,
    /// Collisions.
    pub collisions: u64,
}

impl PortStatsEthernet {
    /// All counters unknown (all ones), as reported when a port cannot count them.
    pub const UNKNOWN: PortStatsEthernet = PortStatsEthernet {
        rx_frame_err: u64::MAX,
        rx_over_err: u64::MAX,
        rx_crc_err: u64::MAX,
        collisions: u64::MAX,
    };

    fn decode_fields<'a>(input: &'a [u8], ctx: &'static str) -> wire::PResult<'a, Self> {
        let (i, rx_frame_err) = wire::u64(input, ctx)?;
        let (i, rx_over_err) = wire::u64(i, ctx)?;
        let (i, rx_crc_err) = wire::u64(i, ctx)?;
        let (i, collisions) = wire::u64(i, ctx)?;
        Ok((
            i,
            PortStatsEthernet {
                rx_frame_err,
                rx_over_err,
                rx_crc_err,
                collisions,
            },
        ))
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        put_u64(out, self.rx_frame_err);
        put_u64(out, self.rx_over_err);
        put_u64(out, self.rx_crc_err);
        put_u64(out, self.collisions);
    }
}

/// Optical port counters (`struct ofp14_port_stats_prop_optical`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PortStatsOptical {
    /// `OFPOSF_*` flags saying which fields are valid.
    pub flags: u32,
    /// Transmit frequency (or wavelength).
    pub tx_freq_lmda: u32,
    /// Transmit offset.
    pub tx_offset: u32,
    /// Transmit grid span.
    pub tx_grid_span: u32,
    /// Receive frequency (or wavelength).
    pub rx_freq_lmda: u32,
    /// Receive offset.
    pub rx_offset: u32,
    /// Receive grid span.
    pub rx_grid_span: u32,
    /// Transmit power.
    pub tx_pwr: u16,
    /// Receive power.
    pub rx_pwr: u16,
    /// Laser bias current.
    pub bias_current: u16,
    /// Laser temperature.
    pub temperature: u16,
}

/// RFC 2819 packet-size and error counters of Intel's experimenter
/// property (`struct intel_port_stats_rfc2819`, Open vSwitch
/// `include/openflow/intel-ext.h`), in wire order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct IntelRfc2819Stats {
    /// Received packets of 64 bytes or less.
    pub rx_1_to_64_packets: u64,
    /// Received packets of 65–127 bytes.
    pub rx_65_to_127_packets: u64,
    /// Received packets of 128–255 bytes.
    pub rx_128_to_255_packets: u64,
    /// Received packets of 256–511 bytes.
    pub rx_256_to_511_packets: u64,
    /// Received packets of 512–1023 bytes.
    pub rx_512_to_1023_packets: u64,
    /// Received packets of 1024–1522 bytes.
    pub rx_1024_to_1522_packets: u64,
    /// Received packets of 1523 bytes or more.
    pub rx_1523_to_max_packets: u64,
    /// Transmitted packets of 64 bytes or less.
    pub tx_1_to_64_packets: u64,
    /// Transmitted packets of 65–127 bytes.
    pub tx_65_to_127_packets: u64,
    /// Transmitted packets of 128–255 bytes.
    pub tx_128_to_255_packets: u64,
    /// Transmitted packets of 256–511 bytes.
    pub tx_256_to_511_packets: u64,
    /// Transmitted packets of 512–1023 bytes.
    pub tx_512_to_1023_packets: u64,
    /// Transmitted packets of 1024–1522 bytes.
    pub tx_1024_to_1522_packets: u64,
    /// Transmitted packets of 1523 bytes or more.
    pub tx_1523_to_max_packets: u64,
    /// Transmitted multicast packets.
    pub tx_multicast_packets: u64,
    /// Received broadcast packets.
    pub rx_broadcast_packets: u64,
    /// Transmitted broadcast packets.
    pub tx_broadcast_packets: u64,
    /// Received undersized packets.
    pub rx_undersized_errors: u64,
    /// Received oversized packets.
    pub rx_oversize_errors: u64,
    /// Received fragments.
    pub rx_fragmented_errors: u64,
    /// Received jabber packets.
    pub rx_jabber_errors: u64,
}

impl IntelRfc2819Stats {
    /// The counters in wire order.
    pub fn to_array(&self) -> [u64; 21] {
        [
            self.rx_1_to_64_packets,
            self.rx_65_to_127_packets,
            self.rx_128_to_255_packets,
            self.rx_256_to_511_packets,
            self.rx_512_to_1023_packets,
            self.rx_1024_to_1522_packets,
            self.rx_1523_to_max_packets,
            self.tx_1_to_64_packets,
            self.tx_65_to_127_packets,
            self.tx_128_to_255_packets,
            self.tx_256_to_511_packets,
            self.tx_512_to_1023_packets,
            self.tx_1024_to_1522_packets,
            self.tx_1523_to_max_packets,
            self.tx_multicast_packets,
            self.rx_broadcast_packets,
            self.tx_broadcast_packets,
            self.rx_undersized_errors,
            self.rx_oversize_errors,
            self.rx_fragmented_errors,
            self.rx_jabber_errors,
        ]
    }

    /// The counters from wire order.
    pub fn from_array(a: [u64; 21]) -> Self {
        IntelRfc2819Stats {
            rx_1_to_64_packets: a[0],
            rx_65_to_127_packets: a[1],
            rx_128_to_255_packets: a[2],
            rx_256_to_511_packets: a[3],
            rx_512_to_1023_packets: a[4],
            rx_1024_to_1522_packets: a[5],
            rx_1523_to_max_packets: a[6],
            tx_1_to_64_packets: a[7],
            tx_65_to_127_packets: a[8],
            tx_128_to_255_packets: a[9],
            tx_256_to_511_packets: a[10],
            tx_512_to_1023_packets: a[11],
            tx_1024_to_1522_packets: a[12],
            tx_1523_to_max_packets: a[13],
            tx_multicast_packets: a[14],
            rx_broadcast_packets: a[15],
            tx_broadcast_packets: a[16],
            rx_undersized_errors: a[17],
            rx_oversize_errors: a[18],
            rx_fragmented_errors: a[19],
            rx_jabber_errors: a[20],
        }
    }
}

/// One named counter of Intel's custom statistics property (`struct
/// intel_port_custom_stats` entries: name length u8, name, value be64),
/// which Open vSwitch fills from DPDK extended statistics.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct CustomCounter {
    /// Counter name (at most 255 bytes on the wire).
    pub name: String,
    /// Counter value.
    pub value: u64,
}

/// An experimenter property of a 1.4 port-stats entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PortStatsExperimenter {
    /// Intel RFC 2819 counters (`INTEL_VENDOR_ID`, `INTEL_PORT_STATS_RFC2819`).
    IntelRfc2819(IntelRfc2819Stats),
    /// Intel custom counters (`INTEL_VENDOR_ID`, `INTEL_PORT_STATS_CUSTOM`).
    IntelCustom(Vec<CustomCounter>),
    /// Any other experimenter property, kept opaque.
    Other(ExperimenterProp),
}

/// Port statistics request body (`struct ofp_port_stats_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortStatsRequest {
    /// Port to report, or `OFPP_ANY` (0xffffffff; 1.0's `OFPP_NONE`) for all.
    pub port_no: u32,
}

/// One port's statistics (`struct ofp_port_stats` of each version;
/// `ofp14_port_stats` with properties in 1.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PortStats {
    /// Port number (32-bit space; 1.0 numbers are widened).
    pub port_no: u32,
    /// Seconds the port has been alive (1.3+; all ones when unknown).
    pub duration_sec: u32,
    /// Nanoseconds beyond `duration_sec` (1.3+; all ones when unknown).
    pub duration_nsec: u32,
    /// Received packets.
    pub rx_packets: u64,
    /// Transmitted packets.
    pub tx_packets: u64,
    /// Received bytes.
    pub rx_bytes: u64,
    /// Transmitted bytes.
    pub tx_bytes: u64,
    /// Packets dropped by RX.
    pub rx_dropped: u64,
    /// Packets dropped by TX.
    pub tx_dropped: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Transmit errors.
    pub tx_errors: u64,
    /// Ethernet error counters: fixed fields before 1.4, the ethernet
    /// property in 1.4 (absent when `None`; encoded as all ones before 1.4).
    pub ethernet: Option<PortStatsEthernet>,
    /// Optical property (1.4 only).
    pub optical: Option<PortStatsOptical>,
    /// Experimenter properties in order (1.4 only).
    pub experimenter: Vec<PortStatsExperimenter>,
}

const PSPT_ETHERNET: u16 = 0;
const PSPT_OPTICAL: u16 = 1;

impl PortStats {
    pub(crate) fn decode(version: Version, input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let ctx = "port stats entry";
        let mut ps = PortStats {
            duration_sec: u32::MAX,
            duration_nsec: u32::MAX,
            ..Default::default()
        };
        if version >= Version::V1_4 {
            let (entry, rest) = split_entry(input, 0, 80, ctx)?;
            let i = wire::skip(entry, 4, ctx)?;
            let (i, port_no) = wire::u32(i, ctx)?;
            let (i, duration_sec) = wire::u32(i, ctx)?;
            let (i, duration_nsec) = wire::u32(i, ctx)?;
            ps.port_no = port_no;
            ps.duration_sec = duration_sec;
            ps.duration_nsec = duration_nsec;
            let i = ps.decode_counters(i, ctx)?;
            ps.decode_props(i)?;
            return Ok((ps, rest));
        }
        let (i, port_no) = port_in(version, input, ctx)?;
        ps.port_no = port_no;
        let i = wire::skip(i, if version == Version::V1_0 { 6 } else { 4 }, ctx)?;
        let i = ps.decode_counters(i, ctx)?;
        let (mut i, eth) = PortStatsEthernet::decode_fields(i, ctx)?;
        ps.ethernet = Some(eth);
        if version == Version::V1_3 {
            let (j, duration_sec) = wire::u32(i, ctx)?;
            let (j, duration_nsec) = wire::u32(j, ctx)?;
            ps.duration_sec = duration_sec;
            ps.duration_nsec = duration_nsec;
            i = j;
        }
        Ok((ps, i))
    }

    fn decode_counters<'a>(
        &mut self,
        i: &'a [u8],
        ctx: &'static str,
    ) -> Result<&'a [u8], DecodeError> {
        let (i, rx_packets) = wire::u64(i, ctx)?;
        let (i, tx_packets) = wire::u64(i, ctx)?;
        let (i, rx_bytes) = wire::u64(i, ctx)?;
        let (i, tx_bytes) = wire::u64(i, ctx)?;
        let (i, rx_dropped) = wire::u64(i, ctx)?;
        let (i, tx_dropped) = wire::u64(i, ctx)?;
        let (i, rx_errors) = wire::u64(i, ctx)?;
        let (i, tx_errors) = wire::u64(i, ctx)?;
        self.rx_packets = rx_packets;
        self.tx_packets = tx_packets;
        self.rx_bytes = rx_bytes;
        self.tx_bytes = tx_bytes;
        self.rx_dropped = rx_dropped;
        self.tx_dropped = tx_dropped;
        self.rx_errors = rx_errors;
        self.tx_errors = tx_errors;
        Ok(i)
    }

    fn decode_props(&mut self, props: &[u8]) -> Result<(), DecodeError> {
        let ctx = "port stats property";
        let len_err = DecodeError::new(ErrorKind::BadPropertyLen, ctx);
        wire::for_each_prop(props, len_err, false, |ptype, body| {
            match ptype {
                PSPT_ETHERNET => {
                    if body.len() != 36 || self.ethernet.is_some() {
                        return Err(len_err);
                    }
                    let (_, eth) = PortStatsEthernet::decode_fields(&body[4..], ctx)?;
                    self.ethernet = Some(eth);
                }
                PSPT_OPTICAL => {
                    if body.len() != 40 || self.optical.is_some() {
                        return Err(len_err);
                    }
                    let u = |k: usize| be32(&body[4 + 4 * k..]);
                    let h = |k: usize| be16(&body[32 + 2 * k..]);
                    self.optical = Some(PortStatsOptical {
                        flags: u(0),
                        tx_freq_lmda: u(1),
                        tx_offset: u(2),
                        tx_grid_span: u(3),
                        rx_freq_lmda: u(4),
                        rx_offset: u(5),
                        rx_grid_span: u(6),
                        tx_pwr: h(0),
                        rx_pwr: h(1),
                        bias_current: h(2),
                        temperature: h(3),
                    });
                }
                PROP_EXPERIMENTER => {
                    let exp = ExperimenterProp::decode_body(body, ctx)?;
                    self.experimenter
                        .push(decode_port_experimenter(exp, len_err)?);
                }
                _ => return Err(DecodeError::new(ErrorKind::BadPropertyType, ctx)),
            }
            Ok(())
        })
    }

    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if version >= Version::V1_4 {
            let start = out.len();
            put_u16(out, 0);
            put_zeros(out, 2);
            put_u32(out, self.port_no);
            put_u32(out, self.duration_sec);
            put_u32(out, self.duration_nsec);
            self.encode_counters(out);
            if let Some(eth) = &self.ethernet {
                wire::put_prop(out, PSPT_ETHERNET, |o| {
                    put_zeros(o, 4);
                    eth.encode_fields(o);
                });
            }
            if let Some(opt) = &self.optical {
                wire::put_prop(out, PSPT_OPTICAL, |o| {
                    put_zeros(o, 4);
                    for v in [
                        opt.flags,
                        opt.tx_freq_lmda,
                        opt.tx_offset,
                        opt.tx_grid_span,
                        opt.rx_freq_lmda,
                        opt.rx_offset,
                        opt.rx_grid_span,
                    ] {
                        put_u32(o, v);
                    }
                    for v in [opt.tx_pwr, opt.rx_pwr, opt.bias_current, opt.temperature] {
                        put_u16(o, v);
                    }
                });
            }
            for exp in &self.experimenter {
                encode_port_experimenter(exp, version, out)?;
            }
            return finish_len16(
                out,
                start,
                0,
                version,
                "port stats entry longer than 65535 bytes",
            );
        }
        put_port(out, version, self.port_no)?;
        put_zeros(out, if version == Version::V1_0 { 6 } else { 4 });
        self.encode_counters(out);
        self.ethernet
            .unwrap_or(PortStatsEthernet::UNKNOWN)
            .encode_fields(out);
        if version == Version::V1_3 {
            put_u32(out, self.duration_sec);
            put_u32(out, self.duration_nsec);
        }
        Ok(())
    }

    fn encode_counters(&self, out: &mut Vec<u8>) {
        for v in [
            self.rx_packets,
            self.tx_packets,
            self.rx_bytes,
            self.tx_bytes,
            self.rx_dropped,
            self.tx_dropped,
            self.rx_errors,
            self.tx_errors,
        ] {
            put_u64(out, v);
        }
    }
}

fn decode_port_experimenter(
    exp: ExperimenterProp,
    len_err: DecodeError,
) -> Result<PortStatsExperimenter, DecodeError> {
    if exp.experimenter != INTEL_VENDOR_ID {
        return Ok(PortStatsExperimenter::Other(exp));
    }
    match exp.exp_type {
        INTEL_PORT_STATS_RFC2819 => {
            // pad[4] then 21 counters.
            if exp.data.len() != 4 + 21 * 8 {
                return Err(len_err);
            }
            let mut a = [0u64; 21];
            for (k, v) in a.iter_mut().enumerate() {
                let b = &exp.data[4 + 8 * k..12 + 8 * k];
                *v = u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
            }
            Ok(PortStatsExperimenter::IntelRfc2819(
                IntelRfc2819Stats::from_array(a),
            ))
        }
        INTEL_PORT_STATS_CUSTOM => {
            // pad[2], stats_array_size, then (name_len, name, be64) entries;
            // bytes after the last entry fill out the length and are ignored.
            if exp.data.len() < 4 {
                return Err(len_err);
            }
            let count = be16(&exp.data[2..4]);
            let mut i = &exp.data[4..];
            // Each entry takes at least 9 bytes: never allocate past what is present.
            let mut counters = Vec::with_capacity(usize::from(count).min(i.len() / 9));
            for _ in 0..count {
                let (j, name_len) =
                    wire::u8(i, "custom port stats counter").map_err(|_| len_err)?;
                let (j, name) = wire::take(j, usize::from(name_len), "custom port stats counter")
                    .map_err(|_| len_err)?;
                let (j, value) = wire::u64(j, "custom port stats counter").map_err(|_| len_err)?;
                counters.push(CustomCounter {
                    name: String::from_utf8_lossy(name).into_owned(),
                    value,
                });
                i = j;
            }
            Ok(PortStatsExperimenter::IntelCustom(counters))
        }
        _ => Ok(PortStatsExperimenter::Other(exp)),
    }
}

fn encode_port_experimenter(
    exp: &PortStatsExperimenter,
    version: Version,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    match exp {
        PortStatsExperimenter::Other(p) => p.encode(version, out),
        PortStatsExperimenter::IntelRfc2819(s) => {
            wire::put_prop(out, PROP_EXPERIMENTER, |o| {
                put_u32(o, INTEL_VENDOR_ID);
                put_u32(o, INTEL_PORT_STATS_RFC2819);
                put_zeros(o, 4);
                for v in s.to_array() {
                    put_u64(o, v);
                }
            });
            Ok(())
        }
        PortStatsExperimenter::IntelCustom(counters) => {
            let too_long =
                EncodeError::unsupported(version, "custom port stats counter name above 255 bytes");
            let count = u16::try_from(counters.len()).map_err(|_| {
                EncodeError::unsupported(version, "more than 65535 custom port stats counters")
            })?;
            if counters.iter().any(|c| c.name.len() > 255) {
                return Err(too_long);
            }
            let ok = wire::put_prop(out, PROP_EXPERIMENTER, |o| {
                put_u32(o, INTEL_VENDOR_ID);
                put_u32(o, INTEL_PORT_STATS_CUSTOM);
                put_zeros(o, 2);
                put_u16(o, count);
                for c in counters {
                    // Checked above: the name fits in a u8 length.
                    o.push(c.name.len() as u8);
                    o.extend_from_slice(c.name.as_bytes());
                    put_u64(o, c.value);
                }
            });
            if ok {
                Ok(())
            } else {
                Err(EncodeError::unsupported(
                    version,
                    "custom port stats property longer than 65535 bytes",
                ))
            }
        }
    }
}

/// Queue statistics request body (`struct ofp_queue_stats_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueStatsRequest {
    /// Port, or `OFPP_ANY` for all ports.
    pub port_no: u32,
    /// Queue, or `OFPQ_ALL` (0xffffffff) for all queues.
    pub queue_id: u32,
}

impl QueueStatsRequest {
    pub(crate) fn decode(version: Version, input: &[u8]) -> Result<Self, DecodeError> {
        let ctx = "queue stats request";
        let (i, port_no) = port_in(version, input, ctx)?;
        let i = if version == Version::V1_0 {
            wire::skip(i, 2, ctx)?
        } else {
            i
        };
        let (i, queue_id) = wire::u32(i, ctx)?;
        expect_end(i, ctx)?;
        Ok(QueueStatsRequest { port_no, queue_id })
    }

    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_port(out, version, self.port_no)?;
        if version == Version::V1_0 {
            put_zeros(out, 2);
        }
        put_u32(out, self.queue_id);
        Ok(())
    }
}

/// One queue's statistics (`struct ofp_queue_stats`; `ofp14_queue_stats`
/// with properties in 1.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct QueueStats {
    /// Port the queue is attached to.
    pub port_no: u32,
    /// Queue id.
    pub queue_id: u32,
    /// Transmitted bytes.
    pub tx_bytes: u64,
    /// Transmitted packets.
    pub tx_packets: u64,
    /// Packets dropped due to overrun.
    pub tx_errors: u64,
    /// Seconds the queue has been alive (1.3+; all ones when unknown).
    pub duration_sec: u32,
    /// Nanoseconds beyond `duration_sec` (1.3+; all ones when unknown).
    pub duration_nsec: u32,
    /// Experimenter properties (1.4 only).
    pub experimenter: Vec<ExperimenterProp>,
}

impl QueueStats {
    pub(crate) fn decode(version: Version, input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let ctx = "queue stats entry";
        let mut q = QueueStats {
            duration_sec: u32::MAX,
            duration_nsec: u32::MAX,
            ..Default::default()
        };
        let (entry, rest) = if version >= Version::V1_4 {
            let (entry, rest) = split_entry(input, 0, 48, ctx)?;
            (wire::skip(entry, 8, ctx)?, rest)
        } else {
            (input, &[][..])
        };
        let (i, port_no) = port_in(version, entry, ctx)?;
        let i = if version == Version::V1_0 {
            wire::skip(i, 2, ctx)?
        } else {
            i
        };
        let (i, queue_id) = wire::u32(i, ctx)?;
        let (i, tx_bytes) = wire::u64(i, ctx)?;
        let (i, tx_packets) = wire::u64(i, ctx)?;
        let (mut i, tx_errors) = wire::u64(i, ctx)?;
        q.port_no = port_no;
        q.queue_id = queue_id;
        q.tx_bytes = tx_bytes;
        q.tx_packets = tx_packets;
        q.tx_errors = tx_errors;
        if version >= Version::V1_3 {
            let (j, duration_sec) = wire::u32(i, ctx)?;
            let (j, duration_nsec) = wire::u32(j, ctx)?;
            q.duration_sec = duration_sec;
            q.duration_nsec = duration_nsec;
            i = j;
        }
        if version >= Version::V1_4 {
            q.experimenter = decode_experimenter_props(i, "queue stats property")?;
            return Ok((q, rest));
        }
        Ok((q, i))
    }

    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        if version >= Version::V1_4 {
            put_u16(out, 0);
            put_zeros(out, 6);
        }
        put_port(out, version, self.port_no)?;
        if version == Version::V1_0 {
            put_zeros(out, 2);
        }
        put_u32(out, self.queue_id);
        put_u64(out, self.tx_bytes);
        put_u64(out, self.tx_packets);
        put_u64(out, self.tx_errors);
        if version >= Version::V1_3 {
            put_u32(out, self.duration_sec);
            put_u32(out, self.duration_nsec);
        }
        if version >= Version::V1_4 {
            for p in &self.experimenter {
                p.encode(version, out)?;
            }
            finish_len16(
                out,
                start,
                0,
                version,
                "queue stats entry longer than 65535 bytes",
            )?;
        }
        Ok(())
    }
}

/// Decodes a property list that may only hold experimenter properties.
pub(crate) fn decode_experimenter_props(
    input: &[u8],
    ctx: &'static str,
) -> Result<Vec<ExperimenterProp>, DecodeError> {
    let mut props = Vec::new();
    wire::for_each_prop(
        input,
        DecodeError::new(ErrorKind::BadPropertyLen, ctx),
        false,
        |t, body| {
            if t != PROP_EXPERIMENTER {
                return Err(DecodeError::new(ErrorKind::BadPropertyType, ctx));
            }
            props.push(ExperimenterProp::decode_body(body, ctx)?);
            Ok(())
        },
    )?;
    Ok(props)
}

/// Counters of one bucket of a group (`struct ofp_bucket_counter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BucketCounter {
    /// Packets processed by the bucket.
    pub packet_count: u64,
    /// Bytes processed by the bucket.
    pub byte_count: u64,
}

/// One group's statistics (`struct ofp_group_stats`; 1.1/1.2 lack the
/// duration).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct GroupStats {
    /// Group id.
    pub group_id: u32,
    /// Number of flows or groups that forward to this group.
    pub ref_count: u32,
    /// Packets processed by the group.
    pub packet_count: u64,
    /// Bytes processed by the group.
    pub byte_count: u64,
    /// Seconds the group has been alive (1.3+; all ones when unknown).
    pub duration_sec: u32,
    /// Nanoseconds beyond `duration_sec` (1.3+; all ones when unknown).
    pub duration_nsec: u32,
    /// Per-bucket counters, in bucket order.
    pub bucket_stats: Vec<BucketCounter>,
}

impl GroupStats {
    fn fixed_len(version: Version) -> usize {
        if version >= Version::V1_3 {
            40
        } else {
            32
        }
    }

    pub(crate) fn decode(version: Version, input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let ctx = "group stats entry";
        let (entry, rest) = split_entry(input, 0, Self::fixed_len(version), ctx)?;
        let i = wire::skip(entry, 4, ctx)?;
        let (i, group_id) = wire::u32(i, ctx)?;
        let (i, ref_count) = wire::u32(i, ctx)?;
        let i = wire::skip(i, 4, ctx)?;
        let (i, packet_count) = wire::u64(i, ctx)?;
        let (mut i, byte_count) = wire::u64(i, ctx)?;
        let mut g = GroupStats {
            group_id,
            ref_count,
            packet_count,
            byte_count,
            duration_sec: u32::MAX,
            duration_nsec: u32::MAX,
            bucket_stats: Vec::new(),
        };
        if version >= Version::V1_3 {
            let (j, duration_sec) = wire::u32(i, ctx)?;
            let (j, duration_nsec) = wire::u32(j, ctx)?;
            g.duration_sec = duration_sec;
            g.duration_nsec = duration_nsec;
            i = j;
        }
        if i.len() % 16 != 0 {
            return Err(DecodeError::bad_len("group stats bucket counter"));
        }
        g.bucket_stats = i
            .chunks_exact(16)
            .map(|c| BucketCounter {
                packet_count: u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
                byte_count: u64::from_be_bytes([
                    c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15],
                ]),
            })
            .collect();
        Ok((g, rest))
    }

    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        put_u16(out, 0);
        put_zeros(out, 2);
        put_u32(out, self.group_id);
        put_u32(out, self.ref_count);
        put_zeros(out, 4);
        put_u64(out, self.packet_count);
        put_u64(out, self.byte_count);
        if version >= Version::V1_3 {
            put_u32(out, self.duration_sec);
            put_u32(out, self.duration_nsec);
        }
        for b in &self.bucket_stats {
            put_u64(out, b.packet_count);
            put_u64(out, b.byte_count);
        }
        finish_len16(
            out,
            start,
            0,
            version,
            "group stats entry longer than 65535 bytes",
        )
    }
}

/// Group features reply (`struct ofp_group_features`, 1.2+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct GroupFeatures {
    /// Bitmap of supported `OFPGT_*` group types.
    pub types: u32,
    /// Bitmap of `OFPGFC_*` capabilities.
    pub capabilities: u32,
    /// Maximum number of groups of each type (all, select, indirect, fast failover).
    pub max_groups: [u32; 4],
    /// Bitmaps of `OFPAT_*` actions supported by each type.
    pub actions: [u32; 4],
}

impl GroupFeatures {
    /// Encoded size.
    pub const LEN: usize = 40;

    pub(crate) fn decode(input: &[u8]) -> Result<Self, DecodeError> {
        let ctx = "group features reply";
        if input.len() != Self::LEN {
            return Err(DecodeError::bad_len(ctx));
        }
        let w = |k: usize| be32(&input[4 * k..]);
        Ok(GroupFeatures {
            types: w(0),
            capabilities: w(1),
            max_groups: [w(2), w(3), w(4), w(5)],
            actions: [w(6), w(7), w(8), w(9)],
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.types);
        put_u32(out, self.capabilities);
        for v in self.max_groups.iter().chain(self.actions.iter()) {
            put_u32(out, *v);
        }
    }
}

/// Counters of one meter band (`struct ofp_meter_band_stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MeterBandStats {
    /// Packets in the band.
    pub packet_band_count: u64,
    /// Bytes in the band.
    pub byte_band_count: u64,
}

/// One meter's statistics (`struct ofp_meter_stats`, 1.3+).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MeterStats {
    /// Meter id.
    pub meter_id: u32,
    /// Number of flows bound to the meter.
    pub flow_count: u32,
    /// Packets entering the meter.
    pub packet_in_count: u64,
    /// Bytes entering the meter.
    pub byte_in_count: u64,
    /// Seconds the meter has been alive.
    pub duration_sec: u32,
    /// Nanoseconds beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Per-band counters, in band order.
    pub band_stats: Vec<MeterBandStats>,
}

impl MeterStats {
    pub(crate) fn decode(input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let ctx = "meter stats entry";
        let (entry, rest) = split_entry(input, 4, 40, ctx)?;
        let (i, meter_id) = wire::u32(entry, ctx)?;
        let i = wire::skip(i, 8, ctx)?;
        let (i, flow_count) = wire::u32(i, ctx)?;
        let (i, packet_in_count) = wire::u64(i, ctx)?;
        let (i, byte_in_count) = wire::u64(i, ctx)?;
        let (i, duration_sec) = wire::u32(i, ctx)?;
        let (i, duration_nsec) = wire::u32(i, ctx)?;
        if i.len() % 16 != 0 {
            return Err(DecodeError::bad_len("meter band stats"));
        }
        let band_stats = i
            .chunks_exact(16)
            .map(|c| MeterBandStats {
                packet_band_count: u64::from_be_bytes([
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
                ]),
                byte_band_count: u64::from_be_bytes([
                    c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15],
                ]),
            })
            .collect();
        Ok((
            MeterStats {
                meter_id,
                flow_count,
                packet_in_count,
                byte_in_count,
                duration_sec,
                duration_nsec,
                band_stats,
            },
            rest,
        ))
    }

    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        put_u32(out, self.meter_id);
        put_u16(out, 0);
        put_zeros(out, 6);
        put_u32(out, self.flow_count);
        put_u64(out, self.packet_in_count);
        put_u64(out, self.byte_in_count);
        put_u32(out, self.duration_sec);
        put_u32(out, self.duration_nsec);
        for b in &self.band_stats {
            put_u64(out, b.packet_band_count);
            put_u64(out, b.byte_band_count);
        }
        finish_len16(
            out,
            start,
            4,
            version,
            "meter stats entry longer than 65535 bytes",
        )
    }
}

/// Meter features reply (`struct ofp_meter_features`, 1.3+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MeterFeatures {
    /// Maximum number of meters.
    pub max_meter: u32,
    /// Bitmap of supported `OFPMBT_*` band types.
    pub band_types: u32,
    /// Bitmap of `OFPMF_*` flags.
    pub capabilities: u32,
    /// Maximum bands per meter.
    pub max_bands: u8,
    /// Maximum color value.
    pub max_color: u8,
}

impl MeterFeatures {
    /// Encoded size.
    pub const LEN: usize = 16;

    pub(crate) fn decode(input: &[u8]) -> Result<Self, DecodeError> {
        let ctx = "meter features reply";
        if input.len() != Self::LEN {
            return Err(DecodeError::bad_len(ctx));
        }
        Ok(MeterFeatures {
            max_meter: be32(input),
            band_types: be32(&input[4..]),
            capabilities: be32(&input[8..]),
            max_bands: input[12],
            max_color: input[13],
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.max_meter);
        put_u32(out, self.band_types);
        put_u32(out, self.capabilities);
        out.push(self.max_bands);
        out.push(self.max_color);
        put_zeros(out, 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes into a buffer prefilled with 0xa5 and returns the new bytes.
    fn enc(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = vec![0xa5; 4];
        f(&mut out);
        assert_eq!(&out[..4], &[0xa5; 4]);
        out.split_off(4)
    }

    fn counters(ps: &mut PortStats) {
        ps.rx_packets = 1;
        ps.tx_packets = 2;
        ps.rx_bytes = 3;
        ps.tx_bytes = 4;
        ps.rx_dropped = 5;
        ps.tx_dropped = 6;
        ps.rx_errors = 7;
        ps.tx_errors = 8;
    }

    #[test]
    fn port_stats_v10_and_v13_layout() {
        let mut ps = PortStats {
            port_no: 3,
            duration_sec: 10,
            duration_nsec: 20,
            ethernet: Some(PortStatsEthernet {
                rx_frame_err: 9,
                rx_over_err: 10,
                rx_crc_err: 11,
                collisions: 12,
            }),
            ..Default::default()
        };
        counters(&mut ps);
        let v10 = enc(|o| ps.encode(Version::V1_0, o).unwrap());
        let mut want = vec![0, 3, 0, 0, 0, 0, 0, 0];
        for k in 1..=12u64 {
            want.extend_from_slice(&k.to_be_bytes());
        }
        assert_eq!(v10, want);
        let (back, rest) = PortStats::decode(Version::V1_0, &v10).unwrap();
        assert!(rest.is_empty());
        assert_eq!(
            back,
            PortStats {
                duration_sec: u32::MAX,
                duration_nsec: u32::MAX,
                ..ps.clone()
            }
        );

        let v13 = enc(|o| ps.encode(Version::V1_3, o).unwrap());
        assert_eq!(v13.len(), 112);
        assert_eq!(&v13[..8], &[0, 0, 0, 3, 0, 0, 0, 0]);
        assert_eq!(&v13[104..], &[0, 0, 0, 10, 0, 0, 0, 20]);
        assert_eq!(PortStats::decode(Version::V1_3, &v13).unwrap().0, ps);
        assert_eq!(
            PortStats::decode(Version::V1_3, &v13[..111]).unwrap_err(),
            DecodeError::bad_len("port stats entry")
        );
    }

    #[test]
    fn port_stats_v14_intel_properties_match_ovs_layout() {
        let mut ps = PortStats {
            port_no: 1,
            duration_sec: 2,
            duration_nsec: 3,
            ethernet: Some(PortStatsEthernet::default()),
            experimenter: vec![
                PortStatsExperimenter::IntelRfc2819(IntelRfc2819Stats::from_array(
                    core::array::from_fn(|k| k as u64 + 100),
                )),
                PortStatsExperimenter::IntelCustom(vec![
                    CustomCounter {
                        name: "rx_q0_packets".into(),
                        value: 7,
                    },
                    CustomCounter {
                        name: "x".into(),
                        value: 0x0102_0304_0506_0708,
                    },
                ]),
            ],
            ..Default::default()
        };
        counters(&mut ps);
        let b = enc(|o| ps.encode(Version::V1_4, o).unwrap());
        // Entry header 80, ethernet 40, rfc2819 184, custom 16 + (1+13+8) + (1+1+8) = 48.
        assert_eq!(b.len(), 80 + 40 + 184 + 48);
        assert_eq!(&b[..4], &[0x01, 0x60, 0, 0]);
        assert_eq!(&b[80..84], &[0, 0, 0, 40]);
        let rfc = &b[120..];
        assert_eq!(
            &rfc[..16],
            &[0xff, 0xff, 0, 184, 0, 0, 0xaa, 0x01, 0, 0, 0, 1, 0, 0, 0, 0]
        );
        assert_eq!(&rfc[16..24], &100u64.to_be_bytes());
        assert_eq!(&rfc[176..184], &120u64.to_be_bytes());
        let custom = &b[304..];
        assert_eq!(
            &custom[..16],
            &[0xff, 0xff, 0, 48, 0, 0, 0xaa, 0x01, 0, 0, 0, 2, 0, 0, 0, 2]
        );
        assert_eq!(custom[16], 13);
        assert_eq!(&custom[17..30], b"rx_q0_packets");
        assert_eq!(&custom[30..38], &7u64.to_be_bytes());
        assert_eq!(&custom[38..48], &[1, b'x', 1, 2, 3, 4, 5, 6, 7, 8]);
        let (back, rest) = PortStats::decode(Version::V1_4, &b).unwrap();
        assert!(rest.is_empty());
        assert_eq!(back, ps);
    }

    #[test]
    fn port_stats_v14_bad_properties() {
        let mut ps = PortStats {
            ethernet: Some(PortStatsEthernet::default()),
            ..Default::default()
        };
        counters(&mut ps);
        let mut b = enc(|o| ps.encode(Version::V1_4, o).unwrap());
        // Ethernet property one byte short.
        b[83] = 39;
        assert_eq!(
            PortStats::decode(Version::V1_4, &b).unwrap_err().kind,
            ErrorKind::BadPropertyLen
        );
        b[83] = 40;
        b[81] = 7;
        assert_eq!(
            PortStats::decode(Version::V1_4, &b).unwrap_err().kind,
            ErrorKind::BadPropertyType
        );
        // Custom stats whose counter count runs past the property.
        let custom = [
            0xff, 0xff, 0, 16, 0, 0, 0xaa, 0x01, 0, 0, 0, 2, 0, 0, 0xff, 0xff,
        ];
        let mut b = enc(|o| PortStats::default().encode(Version::V1_4, o).unwrap());
        b.extend_from_slice(&custom);
        b[1] = (80 + 16) as u8;
        assert_eq!(
            PortStats::decode(Version::V1_4, &b).unwrap_err().kind,
            ErrorKind::BadPropertyLen
        );
        // Entry length below the fixed part.
        b[1] = 79;
        assert_eq!(
            PortStats::decode(Version::V1_4, &b).unwrap_err(),
            DecodeError::bad_len("port stats entry")
        );
    }

    #[test]
    fn table_stats_every_version() {
        let t = TableStats {
            table_id: 5,
            active_count: 6,
            lookup_count: 7,
            matched_count: 8,
            name: "classifier".into(),
            wildcards: 0x3f_ffff,
            max_entries: 1_000_000,
            ..Default::default()
        };
        for v in Version::ALL {
            let b = enc(|o| t.encode(v, o).unwrap());
            assert_eq!(b.len(), TableStats::wire_len(v), "{v}");
            let (back, rest) = TableStats::decode(v, &b).unwrap();
            assert!(rest.is_empty());
            if v >= Version::V1_3 {
                assert_eq!(
                    b,
                    [5, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 8]
                );
                assert_eq!(
                    back,
                    TableStats {
                        table_id: 5,
                        active_count: 6,
                        lookup_count: 7,
                        matched_count: 8,
                        ..Default::default()
                    }
                );
            } else {
                assert_eq!(back, t);
            }
        }
        let v10 = enc(|o| t.encode(Version::V1_0, o).unwrap());
        assert_eq!(&v10[4..14], b"classifier");
        assert_eq!(&v10[36..40], &[0, 0x3f, 0xff, 0xff]);
        let wide = TableStats {
            wildcards: 1 << 40,
            ..t
        };
        assert!(wide.encode(Version::V1_0, &mut Vec::new()).is_err());
        assert!(wide.encode(Version::V1_2, &mut Vec::new()).is_ok());
    }

    #[test]
    fn queue_group_meter_layouts() {
        let q = QueueStats {
            port_no: 1,
            queue_id: 2,
            tx_bytes: 3,
            tx_packets: 4,
            tx_errors: 5,
            duration_sec: 6,
            duration_nsec: 7,
            experimenter: vec![],
        };
        let b10 = enc(|o| q.encode(Version::V1_0, o).unwrap());
        assert_eq!(&b10[..8], &[0, 1, 0, 0, 0, 0, 0, 2]);
        assert_eq!(b10.len(), 32);
        let b14 = enc(|o| q.encode(Version::V1_4, o).unwrap());
        assert_eq!(b14.len(), 48);
        assert_eq!(
            &b14[..16],
            &[0, 48, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2]
        );
        assert_eq!(QueueStats::decode(Version::V1_4, &b14).unwrap().0, q);

        let g = GroupStats {
            group_id: 1,
            ref_count: 2,
            packet_count: 123,
            byte_count: 12345,
            duration_sec: 9,
            duration_nsec: 0x244d_26e0,
            bucket_stats: vec![BucketCounter {
                packet_count: 234,
                byte_count: 2345,
            }],
        };
        let b = enc(|o| g.encode(Version::V1_3, o).unwrap());
        assert_eq!(hex::encode(&b), "00380000000000010000000200000000000000000000007b000000000000303900000009244d26e000000000000000ea0000000000000929");
        assert_eq!(GroupStats::decode(Version::V1_3, &b).unwrap().0, g);
        let mut bad = b.clone();
        bad[1] = 0x37;
        assert_eq!(
            GroupStats::decode(Version::V1_3, &bad).unwrap_err(),
            DecodeError::bad_len("group stats bucket counter")
        );

        let m = MeterStats {
            meter_id: 100,
            duration_sec: 0x75300,
            band_stats: vec![MeterBandStats::default()],
            ..Default::default()
        };
        let b = enc(|o| m.encode(Version::V1_3, o).unwrap());
        assert_eq!(&b[..8], &[0, 0, 0, 100, 0, 0x38, 0, 0]);
        assert_eq!(MeterStats::decode(&b).unwrap().0, m);

        let f = MeterFeatures {
            max_meter: 0x0100_0000,
            band_types: 0x8000_0006,
            capabilities: 0xf,
            max_bands: 0xff,
            max_color: 0,
        };
        let b = enc(|o| f.encode(o));
        assert_eq!(hex::encode(&b), "01000000800000060000000fff000000");
        assert_eq!(MeterFeatures::decode(&b), Ok(f));
        assert!(MeterFeatures::decode(&b[..15]).is_err());
    }

    #[test]
    fn desc_and_aggregate() {
        let d = SwitchDesc {
            mfr_desc: "ferrovs".into(),
            dp_desc: "br0".into(),
            ..Default::default()
        };
        let b = enc(|o| d.encode(o));
        assert_eq!(b.len(), SwitchDesc::LEN);
        assert_eq!(&b[..8], b"ferrovs\0");
        assert_eq!(&b[800..804], b"br0\0");
        assert_eq!(SwitchDesc::decode(&b), Ok(d));
        assert!(SwitchDesc::decode(&b[1..]).is_err());
        let a = AggregateStats {
            packet_count: 1,
            byte_count: 2,
            flow_count: 3,
        };
        let b = enc(|o| a.encode(o));
        assert_eq!(
            hex::encode(&b),
            "000000000000000100000000000000020000000300000000"
        );
        assert_eq!(AggregateStats::decode(&b), Ok(a));
    }
}
