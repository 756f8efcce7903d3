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
