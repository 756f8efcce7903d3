//! The flows `load` installs: flow `i` of a run is a pure function of `i`,
//! distinct from every other flow of the run, so a run is repeatable and the
//! switch must end with exactly N rules.
//!
//! Every flow of one shape has the same fields (one subtable in a
//! tuple-space classifier) and exact values:
//!
//! - [`FlowShape::Ip`] matches `ip,nw_src=10.0.H.H,nw_dst=11.0.L.L` where `H.H` is
//!   the high and `L.L` the low 16 bits of `i`;
//! - [`FlowShape::Tcp`] matches `tcp,nw_src=10.0.H.H,nw_dst=11.0.0.1,tp_src=L,tp_dst=80`.

use std::net::Ipv4Addr;

use openflow::flow_match::Match;
use openflow::oxm::OxmField;

const ETH_TYPE_IPV4: u16 = 0x0800;
const IPPROTO_TCP: u8 = 6;

/// Which fields the generated flows match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FlowShape {
    /// `ip,nw_src=...,nw_dst=...`.
    #[default]
    Ip,
    /// A TCP 5-tuple: `tcp,nw_src,nw_dst,tp_src,tp_dst`.
    Tcp,
}

/// The match of flow `i` (any `u32` gives a distinct match).
pub fn flow_match(shape: FlowShape, i: u32) -> Match {
    let high = i >> 16;
    let low = i & 0xffff;
    let src = Ipv4Addr::from(0x0a00_0000 | high);
    match shape {
        FlowShape::Ip => Match::new(vec![
            OxmField::EthType(ETH_TYPE_IPV4),
            OxmField::Ipv4Src {
                value: src,
                mask: None,
            },
            OxmField::Ipv4Dst {
                value: Ipv4Addr::from(0x0b00_0000 | low),
                mask: None,
            },
        ]),
        FlowShape::Tcp => Match::new(vec![
            OxmField::EthType(ETH_TYPE_IPV4),
            OxmField::IpProto(IPPROTO_TCP),
            OxmField::Ipv4Src {
                value: src,
                mask: None,
            },
            OxmField::Ipv4Dst {
                value: Ipv4Addr::new(11, 0, 0, 1),
                mask: None,
            },
            // `low` < 2^16 by construction.
            OxmField::TcpSrc(low as u16),
            OxmField::TcpDst(80),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use openflow::Version;

    use super::*;

    #[test]
    fn flows_are_distinct_and_deterministic() {
        for shape in [FlowShape::Ip, FlowShape::Tcp] {
            let mut seen = HashSet::new();
            // Both halves of the index vary: across the 16-bit boundary.
            let indices = (0..70_000).chain([u32::MAX - 1, u32::MAX, 1 << 24, (1 << 24) + 1]);
            for i in indices {
                let m = flow_match(shape, i);
                assert_eq!(m, flow_match(shape, i), "{shape:?} {i}");
                assert!(seen.insert(m), "{shape:?}: flow {i} repeats an earlier one");
            }
        }
    }

    #[test]
    fn flows_read_as_documented_and_encode_in_every_version() {
        let m = flow_match(FlowShape::Ip, 0x0001_0203);
        let src = m.find(|f| match f {
            OxmField::Ipv4Src { value, .. } => Some(*value),
            _ => None,
        });
        let dst = m.find(|f| match f {
            OxmField::Ipv4Dst { value, .. } => Some(*value),
            _ => None,
        });
        assert_eq!(src, Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(dst, Some(Ipv4Addr::new(11, 0, 2, 3)));
        for shape in [FlowShape::Ip, FlowShape::Tcp] {
            let m = flow_match(shape, 77);
            m.validate().unwrap();
            for v in Version::ALL {
                let mut out = Vec::new();
                m.encode(v, &mut out)
                    .unwrap_or_else(|e| panic!("{shape:?} in {v}: {e}"));
                let (back, rest) = Match::decode(v, &out).unwrap();
                assert!(rest.is_empty());
                assert_eq!(back, m, "{shape:?} in {v}");
            }
        }
    }
}
