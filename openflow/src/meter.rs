//! Meters (OpenFlow 1.3+): meter id constants, flags and meter bands
//! (`ofp_meter_band_*`).

use crate::error::{DecodeError, ErrorKind};
use crate::wire;

/// `OFPM_MAX`: the last usable meter id.
pub const OFPM_MAX: u32 = 0xffff_0000;
/// `OFPM_SLOWPATH`: meter for the slow datapath.
pub const OFPM_SLOWPATH: u32 = 0xffff_fffd;
/// `OFPM_CONTROLLER`: meter for the controller connection.
pub const OFPM_CONTROLLER: u32 = 0xffff_fffe;
/// `OFPM_ALL`: all meters (stats requests, meter-mod delete).
pub const OFPM_ALL: u32 = 0xffff_ffff;

/// Meter configuration flags (`ofp_meter_flags`).
pub mod ofpmf {
    /// Rate in kb/s (kilo-bit per second).
    pub const KBPS: u16 = 1 << 0;
    /// Rate in packets per second.
    pub const PKTPS: u16 = 1 << 1;
    /// Do burst size.
    pub const BURST: u16 = 1 << 2;
    /// Collect statistics.
    pub const STATS: u16 = 1 << 3;
}

const OFPMBT_DROP: u16 = 1;
const OFPMBT_DSCP_REMARK: u16 = 2;
const OFPMBT_EXPERIMENTER: u16 = 0xffff;
const BAND_LEN: usize = 16;

/// One meter band (`ofp_meter_band_header` and its subtypes, OpenFlow 1.3/1.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MeterBand {
    /// `OFPMBT_DROP` (`ofp_meter_band_drop`): drop packets above the rate.
    Drop {
        /// Rate (kb/s or packets/s per the meter's flags).
        rate: u32,
        /// Burst size.
        burst_size: u32,
    },
    /// `OFPMBT_DSCP_REMARK` (`ofp_meter_band_dscp_remark`): raise the drop
    /// precedence of packets above the rate.
    DscpRemark {
        /// Rate.
        rate: u32,
        /// Burst size.
        burst_size: u32,
        /// Number of drop precedence levels to add.
        prec_level: u8,
    },
    /// `OFPMBT_EXPERIMENTER` (`ofp_meter_band_experimenter`).
    Experimenter {
        /// Rate.
        rate: u32,
        /// Burst size.
        burst_size: u32,
        /// Experimenter id.
        experimenter: u32,
        /// The bytes after the experimenter id, as on the wire.
        data: Vec<u8>,
    },
}

fn band_err() -> DecodeError {
    DecodeError::new(ErrorKind::BadMeterBand, "meter band")
}

impl MeterBand {
    /// The band's rate.
    pub fn rate(&self) -> u32 {
        match self {
            MeterBand::Drop { rate, .. }
            | MeterBand::DscpRemark { rate, .. }
            | MeterBand::Experimenter { rate, .. } => *rate,
        }
    }

    /// The band's burst size.
    pub fn burst_size(&self) -> u32 {
        match self {
            MeterBand::Drop { burst_size, .. }
            | MeterBand::DscpRemark { burst_size, .. }
            | MeterBand::Experimenter { burst_size, .. } => *burst_size,
        }
    }

    /// Decodes a band list: exactly the slice given.
    pub fn decode_list(bytes: &[u8]) -> Result<Vec<MeterBand>, DecodeError> {
        let mut bands = Vec::new();
        wire::for_each_tlv(bytes, 2, BAND_LEN, band_err(), |b| {
            let be32 = |o: usize| u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
            let (rate, burst_size) = (be32(4), be32(8));
            let band = match u16::from_be_bytes([b[0], b[1]]) {
                OFPMBT_DROP if b.len() == BAND_LEN => MeterBand::Drop { rate, burst_size },
                OFPMBT_DSCP_REMARK if b.len() == BAND_LEN => MeterBand::DscpRemark {
                    rate,
                    burst_size,
                    prec_level: b[12],
                },
                OFPMBT_EXPERIMENTER => MeterBand::Experimenter {
                    rate,
                    burst_size,
                    experimenter: be32(12),
                    data: b[BAND_LEN..].to_vec(),
                },
                _ => return Err(band_err()),
            };
            bands.push(band);
            Ok(())
        })?;
        Ok(bands)
    }

    /// Appends a band list. An experimenter band whose data would make it
    /// longer than 65535 bytes is written with a length truncated to 16 bits;
    /// no decoder produces one.
    pub fn encode_list(list: &[MeterBand], out: &mut Vec<u8>) {
        for band in list {
            let start = out.len();
            let btype = match band {
                MeterBand::Drop { .. } => OFPMBT_DROP,
                MeterBand::DscpRemark { .. } => OFPMBT_DSCP_REMARK,
                MeterBand::Experimenter { .. } => OFPMBT_EXPERIMENTER,
            };
            wire::put_u16(out, btype);
            wire::put_u16(out, 0);
            wire::put_u32(out, band.rate());
            wire::put_u32(out, band.burst_size());
            match band {
                MeterBand::Drop { .. } => wire::put_zeros(out, 4),
                MeterBand::DscpRemark { prec_level, .. } => {
                    out.extend_from_slice(&[*prec_level, 0, 0, 0])
                }
                MeterBand::Experimenter {
                    experimenter, data, ..
                } => {
                    wire::put_u32(out, *experimenter);
                    out.extend_from_slice(data);
                }
            }
            let len = (out.len() - start) as u16;
            out[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
        }
    }
}

/// Proptest strategies for meter bands.
#[cfg(any(test, feature = "arbitrary"))]
pub mod strategies {
    use super::*;
    use proptest::prelude::*;

    /// Any meter band.
    pub fn arb_meter_band() -> impl Strategy<Value = MeterBand> {
        prop_oneof![
            (any::<u32>(), any::<u32>())
                .prop_map(|(rate, burst_size)| MeterBand::Drop { rate, burst_size }),
            (any::<u32>(), any::<u32>(), any::<u8>()).prop_map(|(rate, burst_size, prec_level)| {
                MeterBand::DscpRemark {
                    rate,
                    burst_size,
                    prec_level,
                }
            }),
            (
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                proptest::collection::vec(any::<u8>(), 0..12)
            )
                .prop_map(|(rate, burst_size, experimenter, data)| {
                    MeterBand::Experimenter {
                        rate,
                        burst_size,
                        experimenter,
                        data,
                    }
                }),
        ]
    }

    /// A band list.
    pub fn arb_meter_bands() -> impl Strategy<Value = Vec<MeterBand>> {
        proptest::collection::vec(arb_meter_band(), 0..4)
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use crate::flow_match::tests::osken_packet;
    use proptest::prelude::*;

    fn enc(list: &[MeterBand]) -> Vec<u8> {
        let mut out = vec![0xa5; 3];
        MeterBand::encode_list(list, &mut out);
        assert_eq!(&out[..3], &[0xa5; 3]);
        out.split_off(3)
    }

    #[test]
    fn hand_checked() {
        let list = vec![
            MeterBand::Drop {
                rate: 1000,
                burst_size: 10,
            },
            MeterBand::DscpRemark {
                rate: 1000,
                burst_size: 10,
                prec_level: 1,
            },
            MeterBand::Experimenter {
                rate: 1000,
                burst_size: 10,
                experimenter: 999,
                data: vec![],
            },
        ];
        let bytes = enc(&list);
        assert_eq!(
            hex::encode(&bytes),
            concat!(
                "00010010000003e80000000a00000000",
                "00020010000003e80000000a01000000",
                "ffff0010000003e80000000a000003e7"
            )
        );
        assert_eq!(MeterBand::decode_list(&bytes).unwrap(), list);
        assert_eq!(list[1].rate(), 1000);
        assert_eq!(list[2].burst_size(), 10);
    }

    #[test]
    fn errors() {
        let kind = |b: &[u8]| MeterBand::decode_list(b).unwrap_err().kind;
        assert_eq!(kind(&[0; 16]), ErrorKind::BadMeterBand);
        assert_eq!(kind(&[0, 1, 0, 8, 0, 0, 0, 0]), ErrorKind::BadMeterBand);
        assert_eq!(
            kind(&[0, 3, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ErrorKind::BadMeterBand
        );
        let mut b = vec![0u8; 24];
        b[1] = 1;
        b[3] = 24;
        assert_eq!(kind(&b), ErrorKind::BadMeterBand);
        b[3] = 32;
        assert_eq!(kind(&b), ErrorKind::BadMeterBand);
    }

    #[test]
    fn osken_golden_bands() {
        for (name, offset) in [
            ("of13/4-45-ofp_meter_mod.packet", 16),
            ("of14/5-43-ofp_meter_mod.packet", 16),
            ("of13/libofproto-OFP13-meter_mod.packet", 16),
        ] {
            let Some(msg) = osken_packet(name) else {
                continue;
            };
            let list =
                MeterBand::decode_list(&msg[offset..]).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!list.is_empty());
            assert_eq!(enc(&list), &msg[offset..], "{name}");
        }
    }

    proptest! {
        #[test]
        fn round_trip(list in arb_meter_bands()) {
            prop_assert_eq!(MeterBand::decode_list(&enc(&list)).unwrap(), list);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(list) = MeterBand::decode_list(&bytes) {
                prop_assert_eq!(enc(&list), bytes);
            }
        }
    }
}
