//! OpenFlow 1.0–1.4 wire codec.
//!
//! One version-independent model ([`Message`] and the types it carries) is
//! decoded from and encoded to the wire format of each version. Decoding never
//! panics and never reads past the message; every failure is a
//! [`DecodeError`] that maps onto the OpenFlow error (type, code) the spec
//! names for it. Encoding takes a [`Version`] and an xid and fails with an
//! [`EncodeError`] naming what that version cannot express.
//!
//! This is the only crate in the workspace that parses or builds OpenFlow
//! bytes.

pub mod action;
pub mod bundle;
pub mod config;
pub mod connection;
pub mod error;
mod error_codes;
pub mod error_msg;
pub mod flow_match;
pub mod flow_mod;
pub mod group;
pub mod group_meter_mod;
pub mod header;
pub mod hello;
pub mod instruction;
pub mod list;
pub mod message;
#[cfg(any(test, feature = "arbitrary"))]
pub mod message_strategies;
pub mod meter;
pub mod multipart;
pub mod oxm;
pub mod packet;
pub mod port;
pub mod print;
pub mod queue;
pub mod version;
pub(crate) mod wire;

pub use error::{DecodeError, EncodeError, ErrorKind};
pub use header::{Framer, Header};
pub use message::{decode, Message, MsgType};
pub use version::Version;
