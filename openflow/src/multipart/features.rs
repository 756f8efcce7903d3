//! Table features (`OFPMP_TABLE_FEATURES`, 1.3+) and table description
//! (`OFPMP_TABLE_DESC`, 1.4).

use super::common::{
    be16, be32, finish_len16, fixed_str, put_fixed_str, split_entry, ExperimenterProp,
    PROP_EXPERIMENTER,
};
use super::stats::MAX_TABLE_NAME_LEN;
use crate::error::{DecodeError, EncodeError, ErrorKind};
use crate::oxm::OxmId;
use crate::wire::{self, put_u16, put_u32, put_u64, put_zeros};
use crate::Version;

/// An instruction id of a table-features property (an `ofp_instruction`
/// header: type, length, then for experimenter instructions the
/// experimenter id and any further bytes, kept in `data`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstructionId {
    /// `OFPIT_*` instruction type.
    pub inst_type: u16,
    /// Bytes after the 4-byte header (the experimenter id for `OFPIT_EXPERIMENTER`).
    pub data: Vec<u8>,
}

/// An action id of a table-features property (an `ofp_action_header`
/// reduced to type and length, then for experimenter actions the
/// experimenter id and any further bytes, kept in `data`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActionId {
    /// `OFPAT_*` action type.
    pub action_type: u16,
    /// Bytes after the 4-byte header (the experimenter id for `OFPAT_EXPERIMENTER`).
    pub data: Vec<u8>,
}

/// Decodes a list of (type u16, length u16, data) ids.
fn decode_ids(bytes: &[u8], ctx: &'static str) -> Result<Vec<(u16, Vec<u8>)>, DecodeError> {
    let mut ids = Vec::new();
    wire::for_each_tlv(
        bytes,
        2,
        4,
        DecodeError::new(ErrorKind::BadTableFeatures, ctx),
        |tlv| {
            ids.push((be16(tlv), tlv[4..].to_vec()));
            Ok(())
        },
    )?;
    Ok(ids)
}

/// Emits one (type, length, data) id; false when `data` is too long.
fn put_id(out: &mut Vec<u8>, id_type: u16, data: &[u8]) -> bool {
    let Ok(len) = u16::try_from(4 + data.len()) else {
        return false;
    };
    put_u16(out, id_type);
    put_u16(out, len);
    out.extend_from_slice(data);
    true
}

/// One property of a table's features (`struct ofp_table_feature_prop_*`).
/// `miss` selects the `*_MISS` variant (features of the table-miss flow).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TableFeatureProp {
    /// `OFPTFPT_INSTRUCTIONS` / `_MISS`: supported instructions.
    Instructions {
        /// Table-miss variant.
        miss: bool,
        /// Instruction ids.
        ids: Vec<InstructionId>,
    },
    /// `OFPTFPT_NEXT_TABLES` / `_MISS`: tables reachable by goto-table.
    NextTables {
        /// Table-miss variant.
        miss: bool,
        /// Table ids.
        tables: Vec<u8>,
    },
    /// `OFPTFPT_WRITE_ACTIONS` / `_MISS`: actions of write-actions.
    WriteActions {
        /// Table-miss variant.
        miss: bool,
        /// Action ids.
        ids: Vec<ActionId>,
    },
    /// `OFPTFPT_APPLY_ACTIONS` / `_MISS`: actions of apply-actions.
    ApplyActions {
        /// Table-miss variant.
        miss: bool,
        /// Action ids.
        ids: Vec<ActionId>,
    },
    /// `OFPTFPT_MATCH`: matchable fields (masked ones with hasmask set).
    Match(Vec<OxmId>),
    /// `OFPTFPT_WILDCARDS`: fields that may be wildcarded.
    Wildcards(Vec<OxmId>),
    /// `OFPTFPT_WRITE_SETFIELD` / `_MISS`: fields settable by write-actions.
    WriteSetfield {
        /// Table-miss variant.
        miss: bool,
        /// OXM ids.
        ids: Vec<OxmId>,
    },
    /// `OFPTFPT_APPLY_SETFIELD` / `_MISS`: fields settable by apply-actions.
    ApplySetfield {
        /// Table-miss variant.
        miss: bool,
        /// OXM ids.
        ids: Vec<OxmId>,
    },
    /// `OFPTFPT_EXPERIMENTER` / `_MISS`: opaque experimenter data.
    Experimenter {
        /// Table-miss variant (`OFPTFPT_EXPERIMENTER_MISS`, 0xffff).
        miss: bool,
        /// Experimenter id, type and data.
        prop: ExperimenterProp,
    },
}

const TFPT_INSTRUCTIONS: u16 = 0;
const TFPT_NEXT_TABLES: u16 = 2;
const TFPT_WRITE_ACTIONS: u16 = 4;
const TFPT_APPLY_ACTIONS: u16 = 6;
const TFPT_MATCH: u16 = 8;
const TFPT_WILDCARDS: u16 = 10;
const TFPT_WRITE_SETFIELD: u16 = 12;
const TFPT_APPLY_SETFIELD: u16 = 14;
const TFPT_EXPERIMENTER: u16 = 0xfffe;
const TFPT_EXPERIMENTER_MISS: u16 = 0xffff;

impl TableFeatureProp {
    fn decode(ptype: u16, body: &[u8]) -> Result<Self, DecodeError> {
        let ctx = "table features property";
        let miss = ptype & 1 == 1;
        let actions = |body| -> Result<Vec<ActionId>, DecodeError> {
            Ok(decode_ids(body, ctx)?
                .into_iter()
                .map(|(action_type, data)| ActionId { action_type, data })
                .collect())
        };
        Ok(match ptype {
            0 | 1 => TableFeatureProp::Instructions {
                miss,
                ids: decode_ids(body, ctx)?
                    .into_iter()
                    .map(|(inst_type, data)| InstructionId { inst_type, data })
                    .collect(),
            },
            2 | 3 => TableFeatureProp::NextTables {
                miss,
                tables: body.to_vec(),
            },
            4 | 5 => TableFeatureProp::WriteActions {
                miss,
                ids: actions(body)?,
            },
            6 | 7 => TableFeatureProp::ApplyActions {
                miss,
                ids: actions(body)?,
            },
            TFPT_MATCH => TableFeatureProp::Match(OxmId::decode_list(body)?),
            TFPT_WILDCARDS => TableFeatureProp::Wildcards(OxmId::decode_list(body)?),
            12 | 13 => TableFeatureProp::WriteSetfield {
                miss,
                ids: OxmId::decode_list(body)?,
            },
            14 | 15 => TableFeatureProp::ApplySetfield {
                miss,
                ids: OxmId::decode_list(body)?,
            },
            TFPT_EXPERIMENTER | TFPT_EXPERIMENTER_MISS => TableFeatureProp::Experimenter {
                miss,
                prop: ExperimenterProp::decode_body(body, ctx)
                    .map_err(|_| DecodeError::new(ErrorKind::BadTableFeatures, ctx))?,
            },
            _ => return Err(DecodeError::new(ErrorKind::BadTableFeatures, ctx)),
        })
    }

    fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let too_long =
            EncodeError::unsupported(version, "table features property longer than 65535 bytes");
        let m = |miss: bool| u16::from(miss);
        let mut ids_ok = true;
        let ok = match self {
            TableFeatureProp::Instructions { miss, ids } => {
                wire::put_prop(out, TFPT_INSTRUCTIONS | m(*miss), |o| {
                    for id in ids {
                        ids_ok &= put_id(o, id.inst_type, &id.data);
                    }
                })
            }
            TableFeatureProp::NextTables { miss, tables } => {
                wire::put_prop(out, TFPT_NEXT_TABLES | m(*miss), |o| {
                    o.extend_from_slice(tables)
                })
            }
            TableFeatureProp::WriteActions { miss, ids }
            | TableFeatureProp::ApplyActions { miss, ids } => {
                let base = if matches!(self, TableFeatureProp::WriteActions { .. }) {
                    TFPT_WRITE_ACTIONS
                } else {
                    TFPT_APPLY_ACTIONS
                };
                wire::put_prop(out, base | m(*miss), |o| {
                    for id in ids {
                        ids_ok &= put_id(o, id.action_type, &id.data);
                    }
                })
            }
            TableFeatureProp::Match(ids) => {
                wire::put_prop(out, TFPT_MATCH, |o| OxmId::encode_list(ids, o))
            }
            TableFeatureProp::Wildcards(ids) => {
                wire::put_prop(out, TFPT_WILDCARDS, |o| OxmId::encode_list(ids, o))
            }
            TableFeatureProp::WriteSetfield { miss, ids } => {
                wire::put_prop(out, TFPT_WRITE_SETFIELD | m(*miss), |o| {
                    OxmId::encode_list(ids, o)
                })
            }
            TableFeatureProp::ApplySetfield { miss, ids } => {
                wire::put_prop(out, TFPT_APPLY_SETFIELD | m(*miss), |o| {
                    OxmId::encode_list(ids, o)
                })
            }
            TableFeatureProp::Experimenter { miss, prop } => {
                let t = if *miss {
                    TFPT_EXPERIMENTER_MISS
                } else {
                    TFPT_EXPERIMENTER
                };
                return prop.encode_as(t, version, out);
            }
        };
        if ok && ids_ok {
            Ok(())
        } else {
            Err(too_long)
        }
    }
}

/// One table's features (`struct ofp_table_features`, 1.3+).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TableFeatures {
    /// Table id.
    pub table_id: u8,
    /// Table name.
    pub name: String,
    /// Metadata bits the table can match.
    pub metadata_match: u64,
    /// Metadata bits the table can write.
    pub metadata_write: u64,
    /// `config` in 1.3 (`OFPTC_*`), `capabilities` in 1.4.
    pub config: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// Properties, in wire order.
    pub properties: Vec<TableFeatureProp>,
}

impl TableFeatures {
    /// Decodes one entry; returns it and the rest of the input.
    pub(crate) fn decode(input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let ctx = "table features entry";
        let (entry, rest) = split_entry(input, 0, 64, ctx)?;
        let i = wire::skip(entry, 2, ctx)?;
        let (i, table_id) = wire::u8(i, ctx)?;
        let i = wire::skip(i, 5, ctx)?;
        let (i, name) = fixed_str(i, MAX_TABLE_NAME_LEN, ctx)?;
        let (i, metadata_match) = wire::u64(i, ctx)?;
        let (i, metadata_write) = wire::u64(i, ctx)?;
        let (i, config) = wire::u32(i, ctx)?;
        let (i, max_entries) = wire::u32(i, ctx)?;
        let mut properties = Vec::new();
        let err = DecodeError::new(ErrorKind::BadTableFeatures, "table features property");
        wire::for_each_prop(i, err, false, |ptype, body| {
            properties.push(TableFeatureProp::decode(ptype, body)?);
            Ok(())
        })?;
        Ok((
            TableFeatures {
                table_id,
                name,
                metadata_match,
                metadata_write,
                config,
                max_entries,
                properties,
            },
            rest,
        ))
    }

    /// Appends the encoded entry.
    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        put_u16(out, 0);
        out.push(self.table_id);
        put_zeros(out, 5);
        put_fixed_str(out, &self.name, MAX_TABLE_NAME_LEN);
        put_u64(out, self.metadata_match);
        put_u64(out, self.metadata_write);
        put_u32(out, self.config);
        put_u32(out, self.max_entries);
        for p in &self.properties {
            p.encode(version, out)?;
        }
        finish_len16(
            out,
            start,
            0,
            version,
            "table features entry longer than 65535 bytes",
        )
    }
}

/// Vacancy thresholds of a table (`struct ofp_table_mod_prop_vacancy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TableVacancy {
    /// Vacancy threshold (percent) below which a vacancy-down event is sent.
    pub vacancy_down: u8,
    /// Vacancy threshold (percent) above which a vacancy-up event is sent.
    pub vacancy_up: u8,
    /// Current vacancy (percent); only in descriptions and status.
    pub vacancy: u8,
}

/// One table's description (`struct ofp_table_desc`, 1.4), also the body
/// of a 1.4 table-status message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TableDesc {
    /// Table id.
    pub table_id: u8,
    /// `OFPTC_*` config bitmap.
    pub config: u32,
    /// Eviction property (`OFPTMPT_EVICTION`): `OFPTMPEF_*` flags.
    pub eviction: Option<u32>,
    /// Vacancy property (`OFPTMPT_VACANCY`).
    pub vacancy: Option<TableVacancy>,
    /// Experimenter properties, in order.
    pub experimenter: Vec<ExperimenterProp>,
}

const TMPT_EVICTION: u16 = 2;
const TMPT_VACANCY: u16 = 3;

impl TableDesc {
    /// Decodes one `ofp_table_desc`; returns it and the rest of the input.
    pub fn decode(input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let ctx = "table desc entry";
        let pctx = "table desc property";
        let (entry, rest) = split_entry(input, 0, 8, ctx)?;
        let table_id = entry[2];
        let config = be32(&entry[4..]);
        let mut d = TableDesc {
            table_id,
            config,
            ..Default::default()
        };
        let len_err = DecodeError::new(ErrorKind::BadPropertyLen, pctx);
        wire::for_each_prop(&entry[8..], len_err, false, |ptype, body| {
            match ptype {
                TMPT_EVICTION if body.len() == 4 && d.eviction.is_none() => {
                    d.eviction = Some(be32(body))
                }
                TMPT_VACANCY if body.len() == 4 && d.vacancy.is_none() => {
                    d.vacancy = Some(TableVacancy {
                        vacancy_down: body[0],
                        vacancy_up: body[1],
                        vacancy: body[2],
                    })
                }
                TMPT_EVICTION | TMPT_VACANCY => return Err(len_err),
                PROP_EXPERIMENTER => d
                    .experimenter
                    .push(ExperimenterProp::decode_body(body, pctx)?),
                _ => return Err(DecodeError::new(ErrorKind::BadPropertyType, pctx)),
            }
            Ok(())
        })?;
        Ok((d, rest))
    }

    /// Appends the encoded `ofp_table_desc`.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        put_u16(out, 0);
        out.push(self.table_id);
        out.push(0);
        put_u32(out, self.config);
        if let Some(flags) = self.eviction {
            wire::put_prop(out, TMPT_EVICTION, |o| put_u32(o, flags));
        }
        if let Some(v) = self.vacancy {
            wire::put_prop(out, TMPT_VACANCY, |o| {
                o.extend_from_slice(&[v.vacancy_down, v.vacancy_up, v.vacancy, 0]);
            });
        }
        for p in &self.experimenter {
            p.encode(version, out)?;
        }
        finish_len16(
            out,
            start,
            0,
            version,
            "table desc entry longer than 65535 bytes",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = vec![0xa5; 3];
        f(&mut out);
        assert_eq!(&out[..3], &[0xa5; 3]);
        out.split_off(3)
    }

    #[test]
    fn table_features_every_property_round_trips() {
        let oxm = |h: u32| OxmId::from_header(h);
        let tf = TableFeatures {
            table_id: 1,
            name: "t1".into(),
            metadata_match: u64::MAX,
            metadata_write: 0xff,
            config: 3,
            max_entries: 1000,
            properties: vec![
                TableFeatureProp::Instructions {
                    miss: false,
                    ids: vec![InstructionId {
                        inst_type: 1,
                        data: vec![],
                    }],
                },
                TableFeatureProp::Instructions {
                    miss: true,
                    ids: vec![InstructionId {
                        inst_type: 0xffff,
                        data: vec![0, 0, 0x23, 0x20],
                    }],
                },
                TableFeatureProp::NextTables {
                    miss: false,
                    tables: vec![2, 3, 4],
                },
                TableFeatureProp::NextTables {
                    miss: true,
                    tables: vec![],
                },
                TableFeatureProp::WriteActions {
                    miss: false,
                    ids: vec![ActionId {
                        action_type: 0,
                        data: vec![],
                    }],
                },
                TableFeatureProp::WriteActions {
                    miss: true,
                    ids: vec![],
                },
                TableFeatureProp::ApplyActions {
                    miss: false,
                    ids: vec![ActionId {
                        action_type: 25,
                        data: vec![],
                    }],
                },
                TableFeatureProp::ApplyActions {
                    miss: true,
                    ids: vec![],
                },
                TableFeatureProp::Match(vec![oxm(0x8000_0004), oxm(0x8000_0f06)]),
                TableFeatureProp::Wildcards(vec![oxm(0x8000_0004)]),
                TableFeatureProp::WriteSetfield {
                    miss: false,
                    ids: vec![oxm(0x8000_0606)],
                },
                TableFeatureProp::WriteSetfield {
                    miss: true,
                    ids: vec![],
                },
                TableFeatureProp::ApplySetfield {
                    miss: false,
                    ids: vec![oxm(0x8000_0806)],
                },
                TableFeatureProp::ApplySetfield {
                    miss: true,
                    ids: vec![],
                },
                TableFeatureProp::Experimenter {
                    miss: false,
                    prop: ExperimenterProp {
                        experimenter: 1,
                        exp_type: 2,
                        data: vec![9],
                    },
                },
                TableFeatureProp::Experimenter {
                    miss: true,
                    prop: ExperimenterProp {
                        experimenter: 3,
                        exp_type: 4,
                        data: vec![],
                    },
                },
            ],
        };
        let b = enc(|o| tf.encode(Version::V1_3, o).unwrap());
        assert_eq!(usize::from(be16(&b)), b.len());
        assert_eq!(&b[2..8], &[1, 0, 0, 0, 0, 0]);
        assert_eq!(&b[8..11], b"t1\0");
        // First property: instructions, length 8, no padding needed.
        assert_eq!(&b[64..72], &[0, 0, 0, 8, 0, 1, 0, 4]);
        // Second: instructions-miss with an experimenter id, length 12, padded to 16.
        assert_eq!(
            &b[72..88],
            &[0, 1, 0, 12, 0xff, 0xff, 0, 8, 0, 0, 0x23, 0x20, 0, 0, 0, 0]
        );
        // Next tables: 4 + 3 bytes, padded to 8.
        assert_eq!(&b[88..96], &[0, 2, 0, 7, 2, 3, 4, 0]);
        let (back, rest) = TableFeatures::decode(&b).unwrap();
        assert!(rest.is_empty());
        assert_eq!(back, tf);
    }

    #[test]
    fn table_features_errors() {
        let tf = TableFeatures {
            properties: vec![TableFeatureProp::NextTables {
                miss: false,
                tables: vec![1],
            }],
            ..Default::default()
        };
        let b = enc(|o| tf.encode(Version::V1_3, o).unwrap());
        let mut bad = b.clone();
        bad[65] = 9; // unknown property type
        assert_eq!(
            TableFeatures::decode(&bad).unwrap_err().kind,
            ErrorKind::BadTableFeatures
        );
        let mut bad = b.clone();
        bad[67] = 2; // property length below its header
        assert_eq!(
            TableFeatures::decode(&bad).unwrap_err().context,
            "table features property"
        );
        let mut bad = b.clone();
        bad[1] = 63; // entry length below the fixed part
        assert_eq!(
            TableFeatures::decode(&bad).unwrap_err(),
            DecodeError::bad_len("table features entry")
        );
        // An action id whose length is zero must not loop.
        let tf = TableFeatures {
            properties: vec![TableFeatureProp::ApplyActions {
                miss: false,
                ids: vec![ActionId {
                    action_type: 0,
                    data: vec![],
                }],
            }],
            ..Default::default()
        };
        let mut bad = enc(|o| tf.encode(Version::V1_3, o).unwrap());
        bad[71] = 0;
        assert_eq!(
            TableFeatures::decode(&bad).unwrap_err().kind,
            ErrorKind::BadTableFeatures
        );
    }

    #[test]
    fn table_desc_golden_layout() {
        let d = TableDesc {
            table_id: 8,
            config: 0,
            eviction: Some(0),
            vacancy: Some(TableVacancy::default()),
            experimenter: vec![ExperimenterProp {
                experimenter: 101,
                exp_type: 0,
                data: vec![],
            }],
        };
        let b = enc(|o| d.encode(Version::V1_4, o).unwrap());
        assert_eq!(
            hex::encode(&b),
            "0028080000000000\
             0002000800000000\
             0003000800000000\
             ffff000c000000650000000000000000"
        );
        assert_eq!(TableDesc::decode(&b).unwrap().0, d);
        let mut bad = b.clone();
        bad[11] = 12;
        assert_eq!(
            TableDesc::decode(&bad).unwrap_err().kind,
            ErrorKind::BadPropertyLen
        );
    }
}
