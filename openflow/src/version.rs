//! OpenFlow protocol versions.

use std::fmt;

/// An OpenFlow protocol version this crate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Version {
    /// OpenFlow 1.0 (wire 0x01).
    V1_0 = 0x01,
    /// OpenFlow 1.1 (wire 0x02).
    V1_1 = 0x02,
    /// OpenFlow 1.2 (wire 0x03).
    V1_2 = 0x03,
    /// OpenFlow 1.3 (wire 0x04).
    V1_3 = 0x04,
    /// OpenFlow 1.4 (wire 0x05).
    V1_4 = 0x05,
}

impl Version {
    /// Every supported version, oldest first.
    pub const ALL: [Version; 5] = [
        Version::V1_0,
        Version::V1_1,
        Version::V1_2,
        Version::V1_3,
        Version::V1_4,
    ];

    /// The version carried by a header's version byte, if supported.
    pub fn from_wire(byte: u8) -> Option<Version> {
        match byte {
            0x01 => Some(Version::V1_0),
            0x02 => Some(Version::V1_1),
            0x03 => Some(Version::V1_2),
            0x04 => Some(Version::V1_3),
            0x05 => Some(Version::V1_4),
            _ => None,
        }
    }

    /// The header's version byte.
    pub fn wire(self) -> u8 {
        self as u8
    }

    /// The name Open vSwitch tools use (`OpenFlow13`).
    pub fn ovs_name(self) -> &'static str {
        match self {
            Version::V1_0 => "OpenFlow10",
            Version::V1_1 => "OpenFlow11",
            Version::V1_2 => "OpenFlow12",
            Version::V1_3 => "OpenFlow13",
            Version::V1_4 => "OpenFlow14",
        }
    }

    /// Parses `OpenFlow13`, `of13`, `1.3` and similar spellings.
    pub fn parse_name(name: &str) -> Option<Version> {
        let n = name.to_ascii_lowercase();
        let digits = n
            .trim_start_matches("openflow")
            .trim_start_matches("of")
            .replace('.', "");
        match digits.as_str() {
            "10" => Some(Version::V1_0),
            "11" => Some(Version::V1_1),
            "12" => Some(Version::V1_2),
            "13" => Some(Version::V1_3),
            "14" => Some(Version::V1_4),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (major, minor) = match self {
            Version::V1_0 => (1, 0),
            Version::V1_1 => (1, 1),
            Version::V1_2 => (1, 2),
            Version::V1_3 => (1, 3),
            Version::V1_4 => (1, 4),
        };
        write!(f, "OpenFlow {major}.{minor}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for v in Version::ALL {
            assert_eq!(Version::from_wire(v.wire()), Some(v));
            assert_eq!(Version::parse_name(v.ovs_name()), Some(v));
        }
        assert_eq!(Version::from_wire(0x06), None);
        assert_eq!(Version::parse_name("1.3"), Some(Version::V1_3));
    }
}
