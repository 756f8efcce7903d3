//! Port numbers and port descriptions.
//!
//! Port numbers in the model are 32-bit, in the OpenFlow 1.1+ space; 1.0's
//! 16-bit numbers convert with [`port_from_v10`] / [`port_to_v10`] (the
//! reserved range 0xff00.. maps to 0xffffff00..).

use crate::error::{DecodeError, EncodeError, ErrorKind};
use crate::wire;
use crate::Version;

/// `OFPP_MAX`: the highest number of a physical port.
pub const OFPP_MAX: u32 = 0xffff_ff00;
/// `OFPP_IN_PORT`: send the packet out of its input port.
pub const OFPP_IN_PORT: u32 = 0xffff_fff8;
/// `OFPP_TABLE`: submit the packet to the first flow table (packet-out only).
pub const OFPP_TABLE: u32 = 0xffff_fff9;
/// `OFPP_NORMAL`: forward with the switch's normal L2/L3 processing.
pub const OFPP_NORMAL: u32 = 0xffff_fffa;
/// `OFPP_FLOOD`: all ports except the input port and those with flooding disabled.
pub const OFPP_FLOOD: u32 = 0xffff_fffb;
/// `OFPP_ALL`: all ports except the input port.
pub const OFPP_ALL: u32 = 0xffff_fffc;
/// `OFPP_CONTROLLER`: send to the controller.
pub const OFPP_CONTROLLER: u32 = 0xffff_fffd;
/// `OFPP_LOCAL`: the switch's local port.
pub const OFPP_LOCAL: u32 = 0xffff_fffe;
/// `OFPP_ANY`: wildcard port (1.1+; `OFPP_NONE` in 1.0).
pub const OFPP_ANY: u32 = 0xffff_ffff;

/// `OFPP_MAX` of OpenFlow 1.0.
pub const OFPP10_MAX: u16 = 0xff00;

/// Converts a 1.0 port number to the 32-bit space (0xff00.. becomes
/// 0xffffff00..; 1.0's `OFPP_NONE` becomes `OFPP_ANY`).
pub fn port_from_v10(p: u16) -> u32 {
    if p >= OFPP10_MAX {
        u32::from(p) | 0xffff_0000
    } else {
        u32::from(p)
    }
}

/// Converts a 32-bit port number to 1.0's 16-bit space; `None` for numbers
/// 1.0 cannot express (0xff00..=0xffffff00 exclusive of the reserved range).
pub fn port_to_v10(p: u32) -> Option<u16> {
    if p < u32::from(OFPP10_MAX) {
        Some(p as u16)
    } else if p >= OFPP_MAX {
        Some((p & 0xffff) as u16)
    } else {
        None
    }
}

/// A port number as text: its number, or the reserved port's name
/// (`IN_PORT`, `TABLE`, `NORMAL`, `FLOOD`, `ALL`, `CONTROLLER`, `LOCAL`, `ANY`).
pub fn format_port(p: u32) -> String {
    match p {
        OFPP_IN_PORT => "IN_PORT".into(),
        OFPP_TABLE => "TABLE".into(),
        OFPP_NORMAL => "NORMAL".into(),
        OFPP_FLOOD => "FLOOD".into(),
        OFPP_ALL => "ALL".into(),
        OFPP_CONTROLLER => "CONTROLLER".into(),
        OFPP_LOCAL => "LOCAL".into(),
        OFPP_ANY => "ANY".into(),
        p => p.to_string(),
    }
}

/// Port config bits (`ofp_port_config`; 1.0 additionally has `NO_STP` 1<<1,
/// `NO_RECV_STP` 1<<3 and `NO_FLOOD` 1<<4, kept as they are).
pub mod ofppc {
    /// Port is administratively down.
    pub const PORT_DOWN: u32 = 1 << 0;
    /// 1.0 only: disable 802.1D spanning tree on the port.
    pub const NO_STP: u32 = 1 << 1;
    /// Drop all packets received by the port.
    pub const NO_RECV: u32 = 1 << 2;
    /// 1.0 only: drop received 802.1D STP packets.
    pub const NO_RECV_STP: u32 = 1 << 3;
    /// 1.0 only: do not include this port when flooding.
    pub const NO_FLOOD: u32 = 1 << 4;
    /// Drop packets forwarded to the port.
    pub const NO_FWD: u32 = 1 << 5;
    /// Do not send packet-in messages for the port.
    pub const NO_PACKET_IN: u32 = 1 << 6;
}

/// Port state bits (`ofp_port_state`, 1.1+; 1.0's STP bits 8-9 are kept as they are).
pub mod ofpps {
    /// No physical link present.
    pub const LINK_DOWN: u32 = 1 << 0;
    /// Port is blocked.
    pub const BLOCKED: u32 = 1 << 1;
    /// Live for fast-failover groups.
    pub const LIVE: u32 = 1 << 2;
}

/// Port feature bits in the model's (1.1+) layout (`ofp_port_features`).
pub mod ofppf {
    /// 10 Mb half-duplex.
    pub const F_10MB_HD: u32 = 1 << 0;
    /// 10 Mb full-duplex.
    pub const F_10MB_FD: u32 = 1 << 1;
    /// 100 Mb half-duplex.
    pub const F_100MB_HD: u32 = 1 << 2;
    /// 100 Mb full-duplex.
    pub const F_100MB_FD: u32 = 1 << 3;
    /// 1 Gb half-duplex.
    pub const F_1GB_HD: u32 = 1 << 4;
    /// 1 Gb full-duplex.
    pub const F_1GB_FD: u32 = 1 << 5;
    /// 10 Gb full-duplex.
    pub const F_10GB_FD: u32 = 1 << 6;
    /// 40 Gb full-duplex (1.1+).
    pub const F_40GB_FD: u32 = 1 << 7;
    /// 100 Gb full-duplex (1.1+).
    pub const F_100GB_FD: u32 = 1 << 8;
    /// 1 Tb full-duplex (1.1+).
    pub const F_1TB_FD: u32 = 1 << 9;
    /// Other rate, not in the list (1.1+).
    pub const OTHER: u32 = 1 << 10;
    /// Copper medium.
    pub const COPPER: u32 = 1 << 11;
    /// Fiber medium.
    pub const FIBER: u32 = 1 << 12;
    /// Auto-negotiation.
    pub const AUTONEG: u32 = 1 << 13;
    /// Pause.
    pub const PAUSE: u32 = 1 << 14;
    /// Asymmetric pause.
    pub const PAUSE_ASYM: u32 = 1 << 15;
}

/// Converts 1.0 `ofp_port_features` bits to the model's (1.1+) layout: the
/// seven rate bits stay, the medium/negotiation bits (1.0 bits 7-11) move up
/// by four.
pub fn features_from_v10(f: u32) -> u32 {
    (f & 0x7f) | ((f & !0x7f) << 4)
}

/// Converts model (1.1+) feature bits to 1.0's layout; the 40G/100G/1T/other
/// rate bits have no 1.0 equivalent and are dropped.
pub fn features_to_v10(f: u32) -> u32 {
    (f & 0x7f) | ((f >> 4) & !0x7f)
}

const OFP10_PHY_PORT_LEN: usize = 48;
const OFP11_PORT_LEN: usize = 64;
const OFP14_PORT_HEADER_LEN: usize = 40;
const OFPPDPT_ETHERNET: u16 = 0;
const OFPPDPT_OPTICAL: u16 = 1;
const OFPPDPT_EXPERIMENTER: u16 = 0xffff;

/// Ethernet properties of a port: the fixed fields of 1.0-1.3 `ofp_port`
/// and the 1.4 `ofp_port_desc_prop_ethernet`. Feature bits use the 1.1+
/// layout ([`ofppf`]); speeds are in kbps (zero in 1.0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PortEthernet {
    /// Current features.
    pub curr: u32,
    /// Features advertised by the port.
    pub advertised: u32,
    /// Features supported by the port.
    pub supported: u32,
    /// Features advertised by the peer.
    pub peer: u32,
    /// Current bit rate in kbps (1.1+).
    pub curr_speed: u32,
    /// Maximum bit rate in kbps (1.1+).
    pub max_speed: u32,
}

/// 1.4 `ofp_port_desc_prop_optical`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PortOptical {
    /// `ofp_optical_port_features` supported.
    pub supported: u32,
    /// Minimum TX frequency/wavelength.
    pub tx_min_freq_lmda: u32,
    /// Maximum TX frequency/wavelength.
    pub tx_max_freq_lmda: u32,
    /// TX grid spacing.
    pub tx_grid_freq_lmda: u32,
    /// Minimum RX frequency/wavelength.
    pub rx_min_freq_lmda: u32,
    /// Maximum RX frequency/wavelength.
    pub rx_max_freq_lmda: u32,
    /// RX grid spacing.
    pub rx_grid_freq_lmda: u32,
    /// Minimum TX power.
    pub tx_pwr_min: u16,
    /// Maximum TX power.
    pub tx_pwr_max: u16,
}

/// A port description property (1.4 `ofp_port_desc_prop_*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PortProp {
    /// `OFPPDPT_ETHERNET`.
    Ethernet(PortEthernet),
    /// `OFPPDPT_OPTICAL`.
    Optical(PortOptical),
    /// `OFPPDPT_EXPERIMENTER`.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Experimenter-defined type.
        exp_type: u32,
        /// Experimenter data (without padding).
        data: Vec<u8>,
    },
}

/// A port description: 1.0 `ofp_phy_port`, 1.1-1.3 `ofp_port`, 1.4
/// `ofp_port` with properties. In 1.0-1.3 the Ethernet fields are the
/// struct's fixed fields; they decode to one [`PortProp::Ethernet`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PortDesc {
    /// Port number (1.1+ space).
    pub port_no: u32,
    /// Hardware address.
    pub hw_addr: [u8; 6],
    /// Name, NUL-padded, as on the wire (see [`PortDesc::name`], [`port_name`]).
    pub name: [u8; 16],
    /// `ofp_port_config` bits ([`ofppc`]).
    pub config: u32,
    /// `ofp_port_state` bits ([`ofpps`]).
    pub state: u32,
    /// Properties, in wire order.
    pub properties: Vec<PortProp>,
}

/// A NUL-padded 16-byte port name from `name` (truncated to 15 bytes so a
/// NUL always ends it).
pub fn port_name(name: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    let bytes = name.as_bytes();
    let n = bytes.len().min(15);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

fn port_len_err() -> DecodeError {
    DecodeError::bad_len("port description")
}

impl PortDesc {
    /// The name up to its first NUL (invalid UTF-8 replaced).
    pub fn name(&self) -> String {
        let end = self.name.iter().position(|&b| b == 0).unwrap_or(16);
        String::from_utf8_lossy(&self.name[..end]).into_owned()
    }

    /// The first Ethernet property, if any.
    pub fn ethernet(&self) -> Option<&PortEthernet> {
        self.properties.iter().find_map(|p| match p {
            PortProp::Ethernet(e) => Some(e),
            _ => None,
        })
    }

    /// Decodes one port description at the start of `input`; returns it and
    /// the rest.
    pub fn decode(version: Version, input: &[u8]) -> Result<(PortDesc, &[u8]), DecodeError> {
        let be32 = |b: &[u8], o: usize| u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let arr6 = |b: &[u8], o: usize| {
            let mut a = [0u8; 6];
            a.copy_from_slice(&b[o..o + 6]);
            a
        };
        let arr16 = |b: &[u8], o: usize| {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[o..o + 16]);
            a
        };
        match version {
            Version::V1_0 => {
                let (rest, b) = wire::take(input, OFP10_PHY_PORT_LEN, "1.0 port")
                    .map_err(|_| port_len_err())?;
                let f = |o| features_from_v10(be32(b, o));
                let desc = PortDesc {
                    port_no: port_from_v10(u16::from_be_bytes([b[0], b[1]])),
                    hw_addr: arr6(b, 2),
                    name: arr16(b, 8),
                    config: be32(b, 24),
                    state: be32(b, 28),
                    properties: vec![PortProp::Ethernet(PortEthernet {
                        curr: f(32),
                        advertised: f(36),
                        supported: f(40),
                        peer: f(44),
                        curr_speed: 0,
                        max_speed: 0,
                    })],
                };
                Ok((desc, rest))
            }
            Version::V1_1 | Version::V1_2 | Version::V1_3 => {
                let (rest, b) =
                    wire::take(input, OFP11_PORT_LEN, "port").map_err(|_| port_len_err())?;
                let desc = PortDesc {
                    port_no: be32(b, 0),
                    hw_addr: arr6(b, 8),
                    name: arr16(b, 16),
                    config: be32(b, 32),
                    state: be32(b, 36),
                    properties: vec![PortProp::Ethernet(PortEthernet {
                        curr: be32(b, 40),
                        advertised: be32(b, 44),
                        supported: be32(b, 48),
                        peer: be32(b, 52),
                        curr_speed: be32(b, 56),
                        max_speed: be32(b, 60),
                    })],
                };
                Ok((desc, rest))
            }
            Version::V1_4 => {
                if input.len() < OFP14_PORT_HEADER_LEN {
                    return Err(port_len_err());
                }
                let len = usize::from(u16::from_be_bytes([input[4], input[5]]));
                if len < OFP14_PORT_HEADER_LEN || len > input.len() {
                    return Err(port_len_err());
                }
                let (b, rest) = input.split_at(len);
                let mut properties = Vec::new();
                let prop_err = DecodeError::new(ErrorKind::BadPropertyLen, "port property");
                wire::for_each_prop(
                    &b[OFP14_PORT_HEADER_LEN..],
                    prop_err,
                    false,
                    |ptype, body| {
                        let prop = match ptype {
                            OFPPDPT_ETHERNET => {
                                if body.len() != 28 {
                                    return Err(prop_err);
                                }
                                PortProp::Ethernet(PortEthernet {
                                    curr: be32(body, 4),
                                    advertised: be32(body, 8),
                                    supported: be32(body, 12),
                                    peer: be32(body, 16),
                                    curr_speed: be32(body, 20),
                                    max_speed: be32(body, 24),
                                })
                            }
                            OFPPDPT_OPTICAL => {
                                if body.len() != 36 {
                                    return Err(prop_err);
                                }
                                PortProp::Optical(PortOptical {
                                    supported: be32(body, 4),
                                    tx_min_freq_lmda: be32(body, 8),
                                    tx_max_freq_lmda: be32(body, 12),
                                    tx_grid_freq_lmda: be32(body, 16),
                                    rx_min_freq_lmda: be32(body, 20),
                                    rx_max_freq_lmda: be32(body, 24),
                                    rx_grid_freq_lmda: be32(body, 28),
                                    tx_pwr_min: u16::from_be_bytes([body[32], body[33]]),
                                    tx_pwr_max: u16::from_be_bytes([body[34], body[35]]),
                                })
                            }
                            OFPPDPT_EXPERIMENTER => {
                                if body.len() < 8 {
                                    return Err(prop_err);
                                }
                                PortProp::Experimenter {
                                    experimenter: be32(body, 0),
                                    exp_type: be32(body, 4),
                                    data: body[8..].to_vec(),
                                }
                            }
                            _ => {
                                return Err(DecodeError::new(
                                    ErrorKind::BadPropertyType,
                                    "port property type",
                                ))
                            }
                        };
                        properties.push(prop);
                        Ok(())
                    },
                )?;
                let desc = PortDesc {
                    port_no: be32(b, 0),
                    hw_addr: arr6(b, 8),
                    name: arr16(b, 16),
                    config: be32(b, 32),
                    state: be32(b, 36),
                    properties,
                };
                Ok((desc, rest))
            }
        }
    }

    /// Decodes a list of port descriptions filling exactly `bytes`.
    pub fn decode_list(version: Version, bytes: &[u8]) -> Result<Vec<PortDesc>, DecodeError> {
        let mut ports = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let (p, r) = PortDesc::decode(version, rest)?;
            ports.push(p);
            rest = r;
        }
        Ok(ports)
    }

    /// Appends a list of port descriptions.
    pub fn encode_list(
        ports: &[PortDesc],
        version: Version,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let start = out.len();
        for p in ports {
            if let Err(e) = p.encode(version, out) {
                out.truncate(start);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Before 1.4: the single Ethernet property (zeros when there is none).
    fn fixed_ethernet(&self, version: Version) -> Result<PortEthernet, EncodeError> {
        let mut eth = None;
        for p in &self.properties {
            match p {
                PortProp::Ethernet(e) if eth.is_none() => eth = Some(*e),
                PortProp::Ethernet(_) => {
                    return Err(EncodeError::unsupported(
                        version,
                        "more than one Ethernet port property",
                    ))
                }
                PortProp::Optical(_) => {
                    return Err(EncodeError::unsupported(version, "optical port property"))
                }
                PortProp::Experimenter { .. } => {
                    return Err(EncodeError::unsupported(
                        version,
                        "experimenter port property",
                    ))
                }
            }
        }
        Ok(eth.unwrap_or_default())
    }

    /// Appends the encoding for `version`.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match version {
            Version::V1_0 => {
                let eth = self.fixed_ethernet(version)?;
                let port = port_to_v10(self.port_no).ok_or(EncodeError::unsupported(
                    version,
                    "port number above 0xff00",
                ))?;
                wire::put_u16(out, port);
                out.extend_from_slice(&self.hw_addr);
                out.extend_from_slice(&self.name);
                wire::put_u32(out, self.config);
                wire::put_u32(out, self.state);
                for f in [eth.curr, eth.advertised, eth.supported, eth.peer] {
                    wire::put_u32(out, features_to_v10(f));
                }
            }
            Version::V1_1 | Version::V1_2 | Version::V1_3 => {
                let eth = self.fixed_ethernet(version)?;
                wire::put_u32(out, self.port_no);
                wire::put_zeros(out, 4);
                out.extend_from_slice(&self.hw_addr);
                wire::put_zeros(out, 2);
                out.extend_from_slice(&self.name);
                for v in [
                    self.config,
                    self.state,
                    eth.curr,
                    eth.advertised,
                    eth.supported,
                    eth.peer,
                    eth.curr_speed,
                    eth.max_speed,
                ] {
                    wire::put_u32(out, v);
                }
            }
            Version::V1_4 => {
                let start = out.len();
                wire::put_u32(out, self.port_no);
                wire::put_u16(out, 0);
                wire::put_zeros(out, 2);
                out.extend_from_slice(&self.hw_addr);
                wire::put_zeros(out, 2);
                out.extend_from_slice(&self.name);
                wire::put_u32(out, self.config);
                wire::put_u32(out, self.state);
                let mut ok = true;
                for p in &self.properties {
                    ok &= match p {
                        PortProp::Ethernet(e) => wire::put_prop(out, OFPPDPT_ETHERNET, |o| {
                            wire::put_zeros(o, 4);
                            for v in [
                                e.curr,
                                e.advertised,
                                e.supported,
                                e.peer,
                                e.curr_speed,
                                e.max_speed,
                            ] {
                                wire::put_u32(o, v);
                            }
                        }),
                        PortProp::Optical(op) => wire::put_prop(out, OFPPDPT_OPTICAL, |o| {
                            wire::put_zeros(o, 4);
                            for v in [
                                op.supported,
                                op.tx_min_freq_lmda,
                                op.tx_max_freq_lmda,
                                op.tx_grid_freq_lmda,
                                op.rx_min_freq_lmda,
                                op.rx_max_freq_lmda,
                                op.rx_grid_freq_lmda,
                            ] {
                                wire::put_u32(o, v);
                            }
                            wire::put_u16(o, op.tx_pwr_min);
                            wire::put_u16(o, op.tx_pwr_max);
                        }),
                        PortProp::Experimenter {
                            experimenter,
                            exp_type,
                            data,
                        } => wire::put_prop(out, OFPPDPT_EXPERIMENTER, |o| {
                            wire::put_u32(o, *experimenter);
                            wire::put_u32(o, *exp_type);
                            o.extend_from_slice(data);
                        }),
                    };
                }
                if !ok || !wire::patch_len16(out, start, 4) {
                    out.truncate(start);
                    return Err(EncodeError::unsupported(
                        version,
                        "port description longer than 65535 bytes",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Proptest strategies for port descriptions.
#[cfg(any(test, feature = "arbitrary"))]
pub mod strategies {
    use super::*;
    use proptest::prelude::*;

    fn arb_ethernet(v10: bool) -> impl Strategy<Value = PortEthernet> {
        // 1.0 carries the rate bits 0-6 and medium bits 11-15 of the model, no speeds.
        let feat = if v10 {
            any::<u32>().prop_map(|f| f & 0x0fff_f87f).boxed()
        } else {
            any::<u32>().boxed()
        };
        (
            feat.clone(),
            feat.clone(),
            feat.clone(),
            feat,
            any::<u32>(),
            any::<u32>(),
        )
            .prop_map(
                move |(curr, advertised, supported, peer, cs, ms)| PortEthernet {
                    curr,
                    advertised,
                    supported,
                    peer,
                    curr_speed: if v10 { 0 } else { cs },
                    max_speed: if v10 { 0 } else { ms },
                },
            )
    }

    fn arb_prop14() -> impl Strategy<Value = PortProp> {
        prop_oneof![
            arb_ethernet(false).prop_map(PortProp::Ethernet),
            (any::<[u32; 7]>(), any::<u16>(), any::<u16>()).prop_map(
                |(w, a, b)| PortProp::Optical(PortOptical {
                    supported: w[0],
                    tx_min_freq_lmda: w[1],
                    tx_max_freq_lmda: w[2],
                    tx_grid_freq_lmda: w[3],
                    rx_min_freq_lmda: w[4],
                    rx_max_freq_lmda: w[5],
                    rx_grid_freq_lmda: w[6],
                    tx_pwr_min: a,
                    tx_pwr_max: b,
                })
            ),
            (
                any::<u32>(),
                any::<u32>(),
                proptest::collection::vec(any::<u8>(), 0..12)
            )
                .prop_map(|(experimenter, exp_type, data)| PortProp::Experimenter {
                    experimenter,
                    exp_type,
                    data
                }),
        ]
    }

    /// Any port description `version` can express, in the form its decoder gives.
    pub fn arb_port_desc(version: Version) -> BoxedStrategy<PortDesc> {
        let port_no = if version == Version::V1_0 {
            prop_oneof![
                0u32..0xff00,
                (0xff00u32..=0xffff).prop_map(|p| p | 0xffff_0000)
            ]
            .boxed()
        } else {
            any::<u32>().boxed()
        };
        let props = match version {
            Version::V1_4 => proptest::collection::vec(arb_prop14(), 0..4).boxed(),
            Version::V1_0 => arb_ethernet(true)
                .prop_map(|e| vec![PortProp::Ethernet(e)])
                .boxed(),
            _ => arb_ethernet(false)
                .prop_map(|e| vec![PortProp::Ethernet(e)])
                .boxed(),
        };
        (
            port_no,
            any::<[u8; 6]>(),
            any::<[u8; 16]>(),
            any::<u32>(),
            any::<u32>(),
            props,
        )
            .prop_map(
                |(port_no, hw_addr, name, config, state, properties)| PortDesc {
                    port_no,
                    hw_addr,
                    name,
                    config,
                    state,
                    properties,
                },
            )
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use crate::flow_match::tests::{mutate, osken_packet};
    use proptest::prelude::*;

    fn enc(p: &PortDesc, v: Version) -> Vec<u8> {
        let mut out = vec![0xa5; 3];
        p.encode(v, &mut out).unwrap();
        assert_eq!(&out[..3], &[0xa5; 3]);
        out.split_off(3)
    }

    #[test]
    fn port_numbers() {
        assert_eq!(port_from_v10(1), 1);
        assert_eq!(port_from_v10(0xfffd), OFPP_CONTROLLER);
        assert_eq!(port_from_v10(0xffff), OFPP_ANY);
        assert_eq!(port_from_v10(0xff00), OFPP_MAX);
        assert_eq!(port_to_v10(OFPP_LOCAL), Some(0xfffe));
        assert_eq!(port_to_v10(0xfeff), Some(0xfeff));
        assert_eq!(port_to_v10(0xff00), None);
        assert_eq!(port_to_v10(0x1_0000), None);
        for p in 0..=u16::MAX {
            assert_eq!(port_to_v10(port_from_v10(p)), Some(p));
        }
    }

    #[test]
    fn port_text() {
        assert_eq!(format_port(3), "3");
        assert_eq!(format_port(OFPP_CONTROLLER), "CONTROLLER");
        assert_eq!(format_port(OFPP_MAX), "4294967040");
    }

    #[test]
    fn feature_bits() {
        // 1.0 COPPER (1<<7) and AUTONEG (1<<9) are 1<<11 and 1<<13 in 1.1+.
        assert_eq!(
            features_from_v10((1 << 7) | (1 << 9) | 1),
            ofppf::COPPER | ofppf::AUTONEG | ofppf::F_10MB_HD
        );
        assert_eq!(
            features_to_v10(ofppf::PAUSE_ASYM | ofppf::F_10GB_FD),
            (1 << 11) | (1 << 6)
        );
        assert_eq!(features_to_v10(ofppf::F_40GB_FD), 0);
    }

    #[test]
    fn hand_checked_v13() {
        let p = PortDesc {
            port_no: 7,
            hw_addr: [0xf2, 0x0b, 0xa4, 0xd0, 0x3f, 0x70],
            name: port_name("eth0"),
            config: ofppc::NO_PACKET_IN,
            state: ofpps::LIVE,
            properties: vec![PortProp::Ethernet(PortEthernet {
                curr: ofppf::F_10GB_FD | ofppf::FIBER,
                advertised: 0,
                supported: 0,
                peer: 0,
                curr_speed: 10_000_000,
                max_speed: 10_000_000,
            })],
        };
        let bytes = enc(&p, Version::V1_3);
        assert_eq!(
            hex::encode(&bytes),
            concat!(
                "0000000700000000f20ba4d03f700000",
                "65746830000000000000000000000000",
                "000000400000000400001040000000000000000000000000",
                "0098968000989680"
            )
        );
        assert_eq!(
            PortDesc::decode(Version::V1_3, &bytes).unwrap(),
            (p.clone(), &[][..])
        );
        assert_eq!(p.name(), "eth0");
        let v10 = enc(&p, Version::V1_0);
        assert_eq!(v10.len(), 48);
        // FIBER is 1<<8 in 1.0.
        assert_eq!(&v10[32..36], &((1u32 << 8) | (1 << 6)).to_be_bytes());
        let v14 = enc(&p, Version::V1_4);
        assert_eq!(v14.len(), 72);
        assert_eq!(&v14[4..6], &[0, 72]);
        assert_eq!(&v14[40..44], &[0, 0, 0, 32]);
    }

    #[test]
    fn errors() {
        assert_eq!(
            PortDesc::decode(Version::V1_3, &[0; 63]).unwrap_err().kind,
            ErrorKind::BadLen
        );
        assert_eq!(
            PortDesc::decode(Version::V1_0, &[0; 47]).unwrap_err().kind,
            ErrorKind::BadLen
        );
        let mut b = vec![0u8; 48];
        b[5] = 48;
        // A property header with length 0.
        b[42] = 0;
        b[43] = 0;
        assert!(PortDesc::decode(Version::V1_4, &b).is_err());
        // Port length shorter than its header.
        b[5] = 8;
        assert_eq!(
            PortDesc::decode(Version::V1_4, &b).unwrap_err().kind,
            ErrorKind::BadLen
        );
        // Unknown property type.
        let mut b = vec![0u8; 48];
        b[5] = 48;
        b[41] = 7;
        b[43] = 8;
        assert_eq!(
            PortDesc::decode(Version::V1_4, &b).unwrap_err().kind,
            ErrorKind::BadPropertyType
        );
        let optical = PortDesc {
            port_no: 1,
            hw_addr: [0; 6],
            name: [0; 16],
            config: 0,
            state: 0,
            properties: vec![PortProp::Optical(PortOptical::default())],
        };
        assert!(optical.encode(Version::V1_3, &mut Vec::new()).is_err());
    }

    #[test]
    fn osken_golden_ports() {
        for (name, offset, version) in [
            ("of13/4-39-ofp_port_status.packet", 16, Version::V1_3),
            ("of12/3-39-ofp_port_status.packet", 16, Version::V1_2),
            ("of14/5-37-ofp_port_status.packet", 16, Version::V1_4),
            ("of10/1-6-ofp_switch_features.packet", 32, Version::V1_0),
            ("of13/4-54-ofp_port_desc_reply.packet", 16, Version::V1_3),
            ("of14/5-52-ofp_port_desc_reply.packet", 16, Version::V1_4),
        ] {
            let Some(msg) = osken_packet(name) else {
                continue;
            };
            let ports = PortDesc::decode_list(version, &msg[offset..])
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!ports.is_empty());
            let mut out = Vec::new();
            PortDesc::encode_list(&ports, version, &mut out).unwrap();
            assert_eq!(out, &msg[offset..], "{name}");
        }
    }

    proptest! {
        /// Damaged valid port descriptions never panic; what decodes re-encodes.
        #[test]
        fn mutated_ports(
            (v, p) in prop_oneof![Just(Version::V1_0), Just(Version::V1_3), Just(Version::V1_4)]
                .prop_flat_map(|v| (Just(v), arb_port_desc(v))),
            edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..4),
            cut in proptest::option::of(any::<proptest::sample::Index>()),
        ) {
            let bytes = mutate(enc(&p, v), &edits, cut);
            if let Ok(d) = PortDesc::decode_list(v, &bytes) {
                prop_assert!(PortDesc::encode_list(&d, v, &mut Vec::new()).is_ok());
            }
        }
    }

    proptest! {
        #[test]
        fn round_trip(v in prop_oneof![Just(Version::V1_0), Just(Version::V1_1), Just(Version::V1_3), Just(Version::V1_4)]
                      .prop_flat_map(|v| (Just(v), arb_port_desc(v)))) {
            let (v, p) = v;
            let bytes = enc(&p, v);
            prop_assert_eq!(PortDesc::decode(v, &bytes).unwrap(), (p, &[][..]));
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            for v in Version::ALL {
                let _ = PortDesc::decode_list(v, &bytes);
            }
        }
    }
}
