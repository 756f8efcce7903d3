//! Switch configuration and status messages: features, get/set config,
//! port-status, port-mod, table-mod, table-status, role request/reply,
//! role-status, get/set async and queue get config.
//!
//! OpenFlow 1.4 added property lists to several of these; properties this
//! crate does not interpret (experimenter properties) are kept as
//! [`ExperimenterProp`] so they round-trip exactly.

use crate::error::DecodeError;
use crate::message::need;
use crate::multipart::{ExperimenterProp, TableDesc, PROP_EXPERIMENTER};
use crate::port::{port_from_v10, port_to_v10, PortDesc};
use crate::queue::PacketQueue;
use crate::wire::{self, for_each_prop, put_prop, put_u16, put_u32, put_u64, put_zeros};
use crate::{EncodeError, ErrorKind, Version};

/// Decodes a property list holding only experimenter properties.
pub(crate) fn decode_experimenter_props(
    body: &[u8],
    ctx: &'static str,
) -> Result<Vec<ExperimenterProp>, DecodeError> {
    let mut props = Vec::new();
    for_each_prop(
        body,
        DecodeError::new(ErrorKind::BadPropertyLen, ctx),
        false,
        |t, b| {
            if t != PROP_EXPERIMENTER {
                return Err(DecodeError::new(ErrorKind::BadPropertyType, ctx));
            }
            props.push(ExperimenterProp::decode_body(b, ctx)?);
            Ok(())
        },
    )?;
    Ok(props)
}

/// Encodes a list of experimenter properties.
pub(crate) fn encode_experimenter_props(
    props: &[ExperimenterProp],
    version: Version,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    need(
        props.is_empty() || version >= Version::V1_4,
        version,
        "properties",
    )?;
    props.iter().try_for_each(|p| p.encode(version, out))
}

fn port_in<'a>(
    version: Version,
    body: &'a [u8],
    ctx: &'static str,
) -> Result<(&'a [u8], u32), DecodeError> {
    if version == Version::V1_0 {
        let (rest, p) = wire::u16(body, ctx)?;
        Ok((rest, port_from_v10(p)))
    } else {
        wire::u32(body, ctx)
    }
}

fn port_out(port: u32, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if version == Version::V1_0 {
        let p = port_to_v10(port).ok_or(EncodeError::unsupported(version, "32-bit port number"))?;
        put_u16(out, p);
    } else {
        put_u32(out, port);
    }
    Ok(())
}

/// `OFPT_FEATURES_REPLY`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeaturesReply {
    /// Datapath id.
    pub datapath_id: u64,
    /// Packets the switch can buffer.
    pub n_buffers: u32,
    /// Number of flow tables.
    pub n_tables: u8,
    /// Auxiliary connection id (1.3+; 0 before).
    pub auxiliary_id: u8,
    /// `OFPC_*` capability bits.
    pub capabilities: u32,
    /// 1.0: bitmap of supported `OFPAT_*` actions; 1.1+: the reserved word.
    pub actions: u32,
    /// Ports (1.0–1.2; 1.3+ use the port-desc multipart instead).
    pub ports: Vec<PortDesc>,
}

impl FeaturesReply {
    /// Decodes the body after the header.
    pub fn decode(version: Version, body: &[u8]) -> Result<FeaturesReply, DecodeError> {
        let ctx = "features reply";
        let (r, datapath_id) = wire::u64(body, ctx)?;
        let (r, n_buffers) = wire::u32(r, ctx)?;
        let (r, n_tables) = wire::u8(r, ctx)?;
        let (r, auxiliary_id) = wire::u8(r, ctx)?;
        let r = wire::skip(r, 2, ctx)?;
        let (r, capabilities) = wire::u32(r, ctx)?;
        let (mut r, actions) = wire::u32(r, ctx)?;
        let auxiliary_id = if version >= Version::V1_3 {
            auxiliary_id
        } else {
            0
        };
        let mut ports = Vec::new();
        if version >= Version::V1_3 {
            if !r.is_empty() {
                return Err(DecodeError::bad_len(ctx));
            }
        } else {
            while !r.is_empty() {
                let (p, rest) = PortDesc::decode(version, r)?;
                ports.push(p);
                r = rest;
            }
        }
        Ok(FeaturesReply {
            datapath_id,
            n_buffers,
            n_tables,
            auxiliary_id,
            capabilities,
            actions,
            ports,
        })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u64(out, self.datapath_id);
        put_u32(out, self.n_buffers);
        out.push(self.n_tables);
        need(
            self.auxiliary_id == 0 || version >= Version::V1_3,
            version,
            "auxiliary_id",
        )?;
        out.push(self.auxiliary_id);
        put_zeros(out, 2);
        put_u32(out, self.capabilities);
        put_u32(out, self.actions);
        need(
            self.ports.is_empty() || version < Version::V1_3,
            version,
            "ports in features reply",
        )?;
        for p in &self.ports {
            p.encode(version, out)?;
        }
        Ok(())
    }
}

/// Body of `OFPT_GET_CONFIG_REPLY` and `OFPT_SET_CONFIG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SwitchConfig {
    /// `OFPC_FRAG_*` flags.
    pub flags: u16,
    /// Bytes of a packet sent to the controller on a table miss.
    pub miss_send_len: u16,
}

impl SwitchConfig {
    /// Decodes the body after the header.
    pub fn decode(body: &[u8]) -> Result<SwitchConfig, DecodeError> {
        if body.len() != 4 {
            return Err(DecodeError::bad_len("switch config"));
        }
        Ok(SwitchConfig {
            flags: u16::from_be_bytes([body[0], body[1]]),
            miss_send_len: u16::from_be_bytes([body[2], body[3]]),
        })
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u16(out, self.flags);
        put_u16(out, self.miss_send_len);
    }
}

/// `OFPT_PORT_STATUS`.
#[derive(Debug, Clone, PartialEq)]
pub struct PortStatus {
    /// `OFPPR_ADD` 0, `OFPPR_DELETE` 1, `OFPPR_MODIFY` 2.
    pub reason: u8,
    /// The port.
    pub desc: PortDesc,
}

impl PortStatus {
    /// Decodes the body after the header.
    pub fn decode(version: Version, body: &[u8]) -> Result<PortStatus, DecodeError> {
        let (r, reason) = wire::u8(body, "port status")?;
        let r = wire::skip(r, 7, "port status")?;
        let (desc, rest) = PortDesc::decode(version, r)?;
        if !rest.is_empty() {
            return Err(DecodeError::bad_len("port status"));
        }
        Ok(PortStatus { reason, desc })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.reason);
        put_zeros(out, 7);
        self.desc.encode(version, out)
    }
}

/// A port-mod property (`ofp_port_mod_prop_*`, 1.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PortModProp {
    /// `OFPPMPT_ETHERNET`: features to advertise (`OFPPF_*`). Before 1.4 the
    /// fixed `advertise` field, which every port-mod of those versions has.
    Ethernet {
        /// `OFPPF_*` bits to advertise.
        advertise: u32,
    },
    /// `OFPPMPT_OPTICAL`.
    Optical {
        /// `OFPOPF_*` features to configure.
        configure: u32,
        /// Frequency or wavelength.
        freq_lmda: u32,
        /// Offset from the grid frequency.
        fl_offset: i32,
        /// Grid span.
        grid_span: u32,
        /// Transmit power.
        tx_pwr: u32,
    },
    /// `OFPPMPT_EXPERIMENTER`.
    Experimenter(ExperimenterProp),
}

/// `OFPT_PORT_MOD`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PortMod {
    /// Port number.
    pub port_no: u32,
    /// The port's hardware address (a sanity check).
    pub hw_addr: [u8; 6],
    /// `OFPPC_*` bits to set.
    pub config: u32,
    /// `OFPPC_*` bits to change.
    pub mask: u32,
    /// Properties; before 1.4 exactly one [`PortModProp::Ethernet`].
    pub properties: Vec<PortModProp>,
}

impl PortMod {
    /// Decodes the body after the header.
    pub fn decode(version: Version, body: &[u8]) -> Result<PortMod, DecodeError> {
        let ctx = "port mod";
        let (r, port_no) = port_in(version, body, ctx)?;
        let r = if version == Version::V1_0 {
            r
        } else {
            wire::skip(r, 4, ctx)?
        };
        let (r, hw_addr) = wire::array::<6>(r, ctx)?;
        let r = if version == Version::V1_0 {
            r
        } else {
            wire::skip(r, 2, ctx)?
        };
        let (r, config) = wire::u32(r, ctx)?;
        let (r, mask) = wire::u32(r, ctx)?;
        let mut properties = Vec::new();
        if version < Version::V1_4 {
            let (r, advertise) = wire::u32(r, ctx)?;
            let r = wire::skip(r, 4, ctx)?;
            if !r.is_empty() {
                return Err(DecodeError::bad_len(ctx));
            }
            properties.push(PortModProp::Ethernet { advertise });
        } else {
            let err = DecodeError::new(ErrorKind::BadPropertyLen, "port mod property");
            for_each_prop(r, err, false, |t, b| {
                properties.push(match t {
                    0 => {
                        let (rest, advertise) = wire::u32(b, "port mod ethernet property")?;
                        if !rest.is_empty() {
                            return Err(err);
                        }
                        PortModProp::Ethernet { advertise }
                    }
                    1 => {
                        if b.len() != 20 {
                            return Err(err);
                        }
                        let w = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
                        PortModProp::Optical {
                            configure: w(0),
                            freq_lmda: w(4),
                            fl_offset: w(8) as i32,
                            grid_span: w(12),
                            tx_pwr: w(16),
                        }
                    }
                    PROP_EXPERIMENTER => PortModProp::Experimenter(ExperimenterProp::decode_body(
                        b,
                        "port mod property",
                    )?),
                    _ => {
                        return Err(DecodeError::new(
                            ErrorKind::BadPropertyType,
                            "port mod property",
                        ))
                    }
                });
                Ok(())
            })?;
        }
        Ok(PortMod {
            port_no,
            hw_addr,
            config,
            mask,
            properties,
        })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        port_out(self.port_no, version, out)?;
        if version != Version::V1_0 {
            put_zeros(out, 4);
        }
        out.extend_from_slice(&self.hw_addr);
        if version != Version::V1_0 {
            put_zeros(out, 2);
        }
        put_u32(out, self.config);
        put_u32(out, self.mask);
        if version < Version::V1_4 {
            let [PortModProp::Ethernet { advertise }] = self.properties.as_slice() else {
                return Err(EncodeError::unsupported(
                    version,
                    "port mod properties other than one advertise",
                ));
            };
            put_u32(out, *advertise);
            put_zeros(out, 4);
            return Ok(());
        }
        for p in &self.properties {
            let ok = match p {
                PortModProp::Ethernet { advertise } => put_prop(out, 0, |o| put_u32(o, *advertise)),
                PortModProp::Optical {
                    configure,
                    freq_lmda,
                    fl_offset,
                    grid_span,
                    tx_pwr,
                } => put_prop(out, 1, |o| {
                    for w in [
                        *configure,
                        *freq_lmda,
                        *fl_offset as u32,
                        *grid_span,
                        *tx_pwr,
                    ] {
                        put_u32(o, w);
                    }
                }),
                PortModProp::Experimenter(e) => {
                    e.encode(version, out)?;
                    true
                }
            };
            need(ok, version, "port mod property")?;
        }
        Ok(())
    }
}

/// A table-mod / table-desc property (`ofp_table_mod_prop_*`, 1.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TableProp {
    /// `OFPTMPT_EVICTION`: `OFPTMPEF_*` flags.
    Eviction {
        /// Eviction flags.
        flags: u32,
    },
    /// `OFPTMPT_VACANCY`: vacancy thresholds (percent).
    Vacancy {
        /// Low threshold.
        vacancy_down: u8,
        /// High threshold.
        vacancy_up: u8,
        /// Current vacancy (only in table-desc / table-status).
        vacancy: u8,
    },
    /// `OFPTMPT_EXPERIMENTER`.
    Experimenter(ExperimenterProp),
}

fn decode_table_props(body: &[u8]) -> Result<Vec<TableProp>, DecodeError> {
    let err = DecodeError::new(ErrorKind::BadPropertyLen, "table property");
    let mut props = Vec::new();
    for_each_prop(body, err, false, |t, b| {
        props.push(match t {
            2 => {
                let (rest, flags) = wire::u32(b, "table eviction property")?;
                if !rest.is_empty() {
                    return Err(err);
                }
                TableProp::Eviction { flags }
            }
            3 => {
                if b.len() != 4 {
                    return Err(err);
                }
                TableProp::Vacancy {
                    vacancy_down: b[0],
                    vacancy_up: b[1],
                    vacancy: b[2],
                }
            }
            PROP_EXPERIMENTER => {
                TableProp::Experimenter(ExperimenterProp::decode_body(b, "table property")?)
            }
            _ => {
                return Err(DecodeError::new(
                    ErrorKind::BadPropertyType,
                    "table property",
                ))
            }
        });
        Ok(())
    })?;
    Ok(props)
}

fn encode_table_props(
    props: &[TableProp],
    version: Version,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    need(
        props.is_empty() || version >= Version::V1_4,
        version,
        "table properties",
    )?;
    for p in props {
        match p {
            TableProp::Eviction { flags } => {
                put_prop(out, 2, |o| put_u32(o, *flags));
            }
            TableProp::Vacancy {
                vacancy_down,
                vacancy_up,
                vacancy,
            } => {
                put_prop(out, 3, |o| {
                    o.extend_from_slice(&[*vacancy_down, *vacancy_up, *vacancy, 0])
                });
            }
            TableProp::Experimenter(e) => e.encode(version, out)?,
        }
    }
    Ok(())
}

/// `OFPT_TABLE_MOD` (1.1+).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableMod {
    /// Table id, or 0xff for all tables.
    pub table_id: u8,
    /// `OFPTC_*` bits.
    pub config: u32,
    /// Properties (1.4).
    pub properties: Vec<TableProp>,
}

impl TableMod {
    /// Decodes the body after the header.
    pub fn decode(version: Version, body: &[u8]) -> Result<TableMod, DecodeError> {
        let ctx = "table mod";
        let (r, table_id) = wire::u8(body, ctx)?;
        let r = wire::skip(r, 3, ctx)?;
        let (r, config) = wire::u32(r, ctx)?;
        let properties = if version >= Version::V1_4 {
            decode_table_props(r)?
        } else if r.is_empty() {
            Vec::new()
        } else {
            return Err(DecodeError::bad_len(ctx));
        };
        Ok(TableMod {
            table_id,
            config,
            properties,
        })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.table_id);
        put_zeros(out, 3);
        put_u32(out, self.config);
        encode_table_props(&self.properties, version, out)
    }
}

/// `OFPT_TABLE_STATUS` (1.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableStatus {
    /// `OFPTR_VACANCY_DOWN` 3, `OFPTR_VACANCY_UP` 4.
    pub reason: u8,
    /// The table's new state (the `ofp_table_desc` of the table-desc
    /// multipart reply).
    pub table: TableDesc,
}

impl TableStatus {
    /// Decodes the body after the header.
    pub fn decode(body: &[u8]) -> Result<TableStatus, DecodeError> {
        let (r, reason) = wire::u8(body, "table status")?;
        let r = wire::skip(r, 7, "table status")?;
        let (table, rest) = TableDesc::decode(r)?;
        if !rest.is_empty() {
            return Err(DecodeError::bad_len("table status"));
        }
        Ok(TableStatus { reason, table })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.reason);
        put_zeros(out, 7);
        self.table.encode(version, out)
    }
}

/// Body of `OFPT_ROLE_REQUEST` / `OFPT_ROLE_REPLY` (1.2+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoleMsg {
    /// `OFPCR_ROLE_NOCHANGE` 0, `EQUAL` 1, `MASTER` 2, `SLAVE` 3.
    pub role: u32,
    /// Master election generation id.
    pub generation_id: u64,
}

impl RoleMsg {
    /// Decodes the body after the header.
    pub fn decode(body: &[u8]) -> Result<RoleMsg, DecodeError> {
        let ctx = "role message";
        let (r, role) = wire::u32(body, ctx)?;
        let r = wire::skip(r, 4, ctx)?;
        let (r, generation_id) = wire::u64(r, ctx)?;
        if !r.is_empty() {
            return Err(DecodeError::bad_len(ctx));
        }
        Ok(RoleMsg {
            role,
            generation_id,
        })
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.role);
        put_zeros(out, 4);
        put_u64(out, self.generation_id);
    }
}

/// `OFPT_ROLE_STATUS` (1.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleStatus {
    /// The new role.
    pub role: u32,
    /// `OFPCRR_*` reason.
    pub reason: u8,
    /// Generation id.
    pub generation_id: u64,
    /// Experimenter properties.
    pub properties: Vec<ExperimenterProp>,
}

impl RoleStatus {
    /// Decodes the body after the header.
    pub fn decode(body: &[u8]) -> Result<RoleStatus, DecodeError> {
        let ctx = "role status";
        let (r, role) = wire::u32(body, ctx)?;
        let (r, reason) = wire::u8(r, ctx)?;
        let r = wire::skip(r, 3, ctx)?;
        let (r, generation_id) = wire::u64(r, ctx)?;
        let properties = decode_experimenter_props(r, "role status property")?;
        Ok(RoleStatus {
            role,
            reason,
            generation_id,
            properties,
        })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u32(out, self.role);
        out.push(self.reason);
        put_zeros(out, 3);
        put_u64(out, self.generation_id);
        encode_experimenter_props(&self.properties, version, out)
    }
}

/// Async-config property types (`OFPACPT_*`, 1.4), one per (message,
/// role side).
pub mod async_prop {
    /// Packet-in reasons for a slave connection.
    pub const PACKET_IN_SLAVE: u16 = 0;
    /// Packet-in reasons for a master or equal connection.
    pub const PACKET_IN_MASTER: u16 = 1;
    /// Port-status reasons, slave.
    pub const PORT_STATUS_SLAVE: u16 = 2;
    /// Port-status reasons, master.
    pub const PORT_STATUS_MASTER: u16 = 3;
    /// Flow-removed reasons, slave.
    pub const FLOW_REMOVED_SLAVE: u16 = 4;
    /// Flow-removed reasons, master.
    pub const FLOW_REMOVED_MASTER: u16 = 5;
    /// Role-status reasons, slave.
    pub const ROLE_STATUS_SLAVE: u16 = 6;
    /// Role-status reasons, master.
    pub const ROLE_STATUS_MASTER: u16 = 7;
    /// Table-status reasons, slave.
    pub const TABLE_STATUS_SLAVE: u16 = 8;
    /// Table-status reasons, master.
    pub const TABLE_STATUS_MASTER: u16 = 9;
    /// Requestforward reasons, slave.
    pub const REQUESTFORWARD_SLAVE: u16 = 10;
    /// Requestforward reasons, master.
    pub const REQUESTFORWARD_MASTER: u16 = 11;
    /// Experimenter, slave.
    pub const EXPERIMENTER_SLAVE: u16 = 0xfffe;
    /// Experimenter, master.
    pub const EXPERIMENTER_MASTER: u16 = 0xffff;
}

/// One async-config property.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AsyncProp {
    /// A reason bitmask for one message type and role side
    /// ([`async_prop`] types 0–11).
    Reasons {
        /// Property type.
        prop_type: u16,
        /// Bitmask of reasons (bit n = reason n) to send.
        mask: u32,
    },
    /// An experimenter property: type 0xffff for the master side, 0xfffe
    /// for the slave side.
    Experimenter {
        /// True for type 0xffff (`OFPACPT_EXPERIMENTER_MASTER`).
        master: bool,
        /// The property.
        prop: ExperimenterProp,
    },
}

/// Body of `OFPT_GET_ASYNC_REPLY` and `OFPT_SET_ASYNC` (1.3+).
///
/// OpenFlow 1.3's six masks decode to the six properties of types 0–5 in
/// that order; a 1.3 encoding needs each of those at most once and nothing
/// else (a missing one is sent as 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AsyncConfig {
    /// Properties in wire order.
    pub properties: Vec<AsyncProp>,
}

impl AsyncConfig {
    /// The mask of property `prop_type`, if present.
    pub fn mask(&self, prop_type: u16) -> Option<u32> {
        self.properties.iter().find_map(|p| match p {
            AsyncProp::Reasons { prop_type: t, mask } if *t == prop_type => Some(*mask),
            _ => None,
        })
    }

    /// Decodes the body after the header.
    pub fn decode(version: Version, body: &[u8]) -> Result<AsyncConfig, DecodeError> {
        let mut properties = Vec::new();
        if version < Version::V1_4 {
            if body.len() != 24 {
                return Err(DecodeError::bad_len("async config"));
            }
            let w = |i: usize| u32::from_be_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]);
            // Wire order per message: [master/equal, slave].
            for (i, base) in [0u16, 2, 4].into_iter().enumerate() {
                properties.push(AsyncProp::Reasons {
                    prop_type: base,
                    mask: w(i * 8 + 4),
                });
                properties.push(AsyncProp::Reasons {
                    prop_type: base + 1,
                    mask: w(i * 8),
                });
            }
            return Ok(AsyncConfig { properties });
        }
        let err = DecodeError::new(ErrorKind::BadPropertyLen, "async config property");
        for_each_prop(body, err, false, |t, b| {
            properties.push(match t {
                0..=11 => {
                    let (rest, mask) = wire::u32(b, "async config property")?;
                    if !rest.is_empty() {
                        return Err(err);
                    }
                    AsyncProp::Reasons { prop_type: t, mask }
                }
                0xfffe | 0xffff => AsyncProp::Experimenter {
                    master: t == 0xffff,
                    prop: ExperimenterProp::decode_body(b, "async config property")?,
                },
                _ => {
                    return Err(DecodeError::new(
                        ErrorKind::BadPropertyType,
                        "async config property",
                    ))
                }
            });
            Ok(())
        })?;
        Ok(AsyncConfig { properties })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if version < Version::V1_4 {
            let mut masks = [0u32; 6];
            let mut seen = [false; 6];
            for p in &self.properties {
                match p {
                    AsyncProp::Reasons { prop_type, mask } if *prop_type < 6 => {
                        let i = usize::from(*prop_type);
                        need(!seen[i], version, "repeated async property")?;
                        seen[i] = true;
                        masks[i] = *mask;
                    }
                    _ => {
                        return Err(EncodeError::unsupported(
                            version,
                            "async property beyond 1.3's masks",
                        ))
                    }
                }
            }
            for base in [0usize, 2, 4] {
                put_u32(out, masks[base + 1]);
                put_u32(out, masks[base]);
            }
            return Ok(());
        }
        for p in &self.properties {
            match p {
                AsyncProp::Reasons { prop_type, mask } => {
                    need(*prop_type <= 11, version, "async property type")?;
                    put_prop(out, *prop_type, |o| put_u32(o, *mask));
                }
                AsyncProp::Experimenter { master, prop } => {
                    prop.encode_as(if *master { 0xffff } else { 0xfffe }, version, out)?
                }
            }
        }
        Ok(())
    }
}

/// `OFPT_QUEUE_GET_CONFIG_REQUEST` (1.0–1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueGetConfigRequest {
    /// Port to query (`OFPP_ANY` for all, 1.2+).
    pub port: u32,
}

impl QueueGetConfigRequest {
    /// Decodes the body after the header.
    pub fn decode(version: Version, body: &[u8]) -> Result<QueueGetConfigRequest, DecodeError> {
        let ctx = "queue get config request";
        let (r, port) = port_in(version, body, ctx)?;
        let pad = if version == Version::V1_0 { 2 } else { 4 };
        if r.len() != pad {
            return Err(DecodeError::bad_len(ctx));
        }
        Ok(QueueGetConfigRequest { port })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        port_out(self.port, version, out)?;
        put_zeros(out, if version == Version::V1_0 { 2 } else { 4 });
        Ok(())
    }
}

/// `OFPT_QUEUE_GET_CONFIG_REPLY` (1.0–1.3).
#[derive(Debug, Clone, PartialEq)]
pub struct QueueGetConfigReply {
    /// Port queried.
    pub port: u32,
    /// Its queues.
    pub queues: Vec<PacketQueue>,
}

impl QueueGetConfigReply {
    /// Decodes the body after the header.
    pub fn decode(version: Version, body: &[u8]) -> Result<QueueGetConfigReply, DecodeError> {
        let ctx = "queue get config reply";
        let (r, port) = port_in(version, body, ctx)?;
        let r = wire::skip(r, if version == Version::V1_0 { 6 } else { 4 }, ctx)?;
        let queues = PacketQueue::decode_list(version, r)?;
        Ok(QueueGetConfigReply { port, queues })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        port_out(self.port, version, out)?;
        put_zeros(out, if version == Version::V1_0 { 6 } else { 4 });
        PacketQueue::encode_list(&self.queues, version, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn async_13_masks_map_to_properties() {
        let body: Vec<u8> = [5u32, 1, 7, 3, 15, 3]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect();
        let a = AsyncConfig::decode(Version::V1_3, &body).unwrap();
        assert_eq!(a.mask(async_prop::PACKET_IN_MASTER), Some(5));
        assert_eq!(a.mask(async_prop::PACKET_IN_SLAVE), Some(1));
        assert_eq!(a.mask(async_prop::FLOW_REMOVED_MASTER), Some(15));
        let mut out = Vec::new();
        a.encode(Version::V1_3, &mut out).unwrap();
        assert_eq!(out, body);
        let mut out14 = Vec::new();
        a.encode(Version::V1_4, &mut out14).unwrap();
        assert_eq!(AsyncConfig::decode(Version::V1_4, &out14).unwrap(), a);
        let extra = AsyncConfig {
            properties: vec![AsyncProp::Reasons {
                prop_type: 7,
                mask: 1,
            }],
        };
        assert!(extra.encode(Version::V1_3, &mut Vec::new()).is_err());
    }

    #[test]
    fn table_mod_properties() {
        let t = TableMod {
            table_id: 3,
            config: 4,
            properties: vec![
                TableProp::Eviction { flags: 1 },
                TableProp::Vacancy {
                    vacancy_down: 10,
                    vacancy_up: 90,
                    vacancy: 0,
                },
            ],
        };
        let mut out = Vec::new();
        t.encode(Version::V1_4, &mut out).unwrap();
        assert_eq!(out.len(), 8 + 16);
        assert_eq!(TableMod::decode(Version::V1_4, &out).unwrap(), t);
        assert!(t.encode(Version::V1_3, &mut Vec::new()).is_err());
        // An unknown property type is BAD_PROPERTY/BAD_TYPE.
        out[8] = 0x42;
        assert_eq!(
            TableMod::decode(Version::V1_4, &out).unwrap_err().kind,
            ErrorKind::BadPropertyType
        );
    }

    #[test]
    fn port_mod_versions() {
        let p = PortMod {
            port_no: 0xfffffffe,
            hw_addr: [1, 2, 3, 4, 5, 6],
            config: 1,
            mask: 1,
            properties: vec![PortModProp::Ethernet { advertise: 0x20 }],
        };
        for v in Version::ALL {
            let mut out = Vec::new();
            p.encode(v, &mut out).unwrap();
            // 1.4 replaces advertise and its padding by an 8-byte property.
            let want = if v == Version::V1_0 { 24 } else { 32 };
            assert_eq!(out.len(), want, "{v}");
            assert_eq!(PortMod::decode(v, &out).unwrap(), p);
        }
        let p32 = PortMod {
            port_no: 70000,
            ..p
        };
        assert!(p32.encode(Version::V1_0, &mut Vec::new()).is_err());
    }
}
