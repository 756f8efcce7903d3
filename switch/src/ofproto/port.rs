//! OpenFlow views of datapath ports: descriptions and statistics.
//!
//! Counters come from [`Netdev::counters`] and [`Netdev::xstats`], the same
//! source `show` and `/metrics` read. In OpenFlow 1.4 a port's statistics
//! carry the Ethernet property and, as Open vSwitch does for DPDK ports,
//! every extended statistic in the Intel custom-statistics experimenter
//! property (name/value pairs), plus the port's software tx drops.

use openflow::flow_match::Match;
use openflow::multipart::{CustomCounter, PortStats, PortStatsExperimenter, SwitchDesc};
use openflow::oxm::OxmField;
use openflow::packet::PacketIn;
use openflow::port::{ofppc, ofppf, ofpps, port_name, PortDesc, PortEthernet, PortProp};
use openflow::Version;

use super::packet_in::PacketInEvent;

use super::OfPort;
use crate::netdev::Netdev;

/// `OFPPF_*` speed bit for a link speed in Mbps (`OFPPF_OTHER` when none
/// fits).
pub fn speed_feature(mbps: u32) -> u32 {
    match mbps {
        10 => ofppf::F_10MB_FD,
        100 => ofppf::F_100MB_FD,
        1_000 => ofppf::F_1GB_FD,
        10_000 => ofppf::F_10GB_FD,
        40_000 => ofppf::F_40GB_FD,
        100_000 => ofppf::F_100GB_FD,
        1_000_000 => ofppf::F_1TB_FD,
        _ => ofppf::OTHER,
    }
}

/// The port description of `p`, read from the device now.
pub fn desc(p: &OfPort) -> PortDesc {
    describe(p.ofport, &p.netdev, p.config)
}

/// Reads the description of port `ofport` from its device now (1.4: with
/// the Ethernet property); `config` is its `OFPPC_*` config (an
/// administratively down port reports its link down).
pub fn describe(ofport: u32, nd: &Netdev, config: u32) -> PortDesc {
    let link = nd.port.link().ok();
    let up = link.as_ref().is_some_and(|l| l.up) && config & ofppc::PORT_DOWN == 0;
    let speed = link.as_ref().map_or(0, |l| l.speed_mbps);
    let mut curr = if up { speed_feature(speed) } else { 0 };
    if link.as_ref().is_some_and(|l| l.autoneg) {
        curr |= ofppf::AUTONEG;
    }
    curr |= ofppf::FIBER;
    PortDesc {
        port_no: ofport,
        hw_addr: nd.port.mac().unwrap_or_default(),
        name: port_name(&nd.name),
        config,
        state: if up { ofpps::LIVE } else { ofpps::LINK_DOWN },
        properties: vec![PortProp::Ethernet(PortEthernet {
            curr,
            advertised: 0,
            supported: curr,
            peer: 0,
            curr_speed: if up { speed.saturating_mul(1000) } else { 0 },
            max_speed: speed.saturating_mul(1000),
        })],
    }
}

/// The statistics of `p` for a reply in `version`.
pub fn stats(p: &OfPort, version: Version) -> PortStats {
    let c = p.netdev.counters();
    let age = p.created.elapsed();
    let mut s = PortStats {
        port_no: p.ofport,
        duration_sec: u32::try_from(age.as_secs()).unwrap_or(u32::MAX),
        duration_nsec: age.subsec_nanos(),
        rx_packets: c.rx_packets,
        tx_packets: c.tx_packets,
        rx_bytes: c.rx_bytes,
        tx_bytes: c.tx_bytes,
        rx_dropped: c.rx_dropped,
        tx_dropped: c.tx_dropped,
        rx_errors: c.rx_errors,
        tx_errors: c.tx_errors,
        ..PortStats::default()
    };
    if version >= Version::V1_4 {
        let mut counters: Vec<CustomCounter> = p
            .netdev
            .xstats()
            .into_iter()
            .map(|(name, value)| CustomCounter { name, value })
            .collect();
        counters.push(CustomCounter {
            name: "ferrovs_tx_dropped".to_owned(),
            value: c.tx_dropped,
        });
        s.experimenter = vec![PortStatsExperimenter::IntelCustom(counters)];
    }
    s
}

/// The `OFPT_PACKET_IN` of `ev` for a connection speaking `version`, with
/// `reason` already in that version's numbering.
pub fn packet_in(ev: &PacketInEvent, reason: u8, version: Version) -> PacketIn {
    let mut fields = vec![OxmField::InPort(ev.in_port)];
    if version == Version::V1_1 {
        fields.push(OxmField::InPhyPort(ev.in_port));
    }
    if version >= Version::V1_2 && ev.metadata != 0 {
        fields.push(OxmField::Metadata {
            value: ev.metadata,
            mask: None,
        });
    }
    PacketIn {
        buffer_id: u32::MAX,
        total_len: ev.total_len,
        reason,
        table_id: ev.table_id,
        cookie: if version >= Version::V1_3 {
            ev.cookie
        } else {
            0
        },
        match_: Match::new(fields),
        data: ev.data.clone(),
    }
}

/// The switch description.
pub fn switch_desc(bridge: &str) -> SwitchDesc {
    SwitchDesc {
        mfr_desc: "ferrovs".to_owned(),
        hw_desc: "DPDK userspace datapath".to_owned(),
        sw_desc: concat!("ferrovs ", env!("CARGO_PKG_VERSION")).to_owned(),
        serial_num: "None".to_owned(),
        dp_desc: bridge.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds() {
        assert_eq!(speed_feature(10_000), ofppf::F_10GB_FD);
        assert_eq!(speed_feature(25_000), ofppf::OTHER);
    }

    #[test]
    fn description() {
        let d = switch_desc("br0");
        assert_eq!(d.dp_desc, "br0");
        assert!(d.sw_desc.starts_with("ferrovs "));
    }
}
