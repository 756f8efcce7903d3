//! Flow keys: packet fields as OpenFlow matches them, packet parsing and
//! packet editing.
//!
//! # Design
//!
//! - [`key`]: [`Flow`], a fixed array of [`FLOW_WORDS`] 64-bit words holding
//!   every OpenFlow 1.3/1.4 basic match field plus what the pipeline needs
//!   (IP TTL, fragment bits, MPLS TTL, TCP flags, the inner VLAN tag). The
//!   same type is the mask of a megaflow or rule. The word layout table is in
//!   the [`key`] module documentation; hot fields sit in the first words.
//! - [`fields`]: [`Field`], one value per OXM basic field with its storage,
//!   width, maskability, settability and prerequisites; [`match_to_flow`]
//!   and [`flow_to_match`] convert between an OpenFlow [`Match`] and a
//!   key/mask pair.
//! - [`extract`](mod@extract): [`extract()`] parses packet bytes into a
//!   [`Flow`] and the [`Layout`] of its headers, reporting malformed or
//!   truncated packets as an [`Anomaly`]; bounded loops, no allocation.
//! - [`edit`]: the header-rewriting actions (set-field, push/pop VLAN, MPLS,
//!   PBB, TTL actions) over a [`PacketBuf`], checksums kept correct and the
//!   [`Flow`] and [`Layout`] kept equal to what [`extract()`] would give.
//! - [`checksum`]: Internet checksum (full and incremental) and CRC32c.
//!
//! # Thread safety
//!
//! Everything here is a pure function over its arguments, or plain data:
//! no shared state, no locks, no allocation on the per-packet functions
//! ([`extract()`] and the field rewrites). PMD threads call them on their
//! own packets concurrently.
//!
//! [`Match`]: openflow::flow_match::Match

pub mod checksum;
pub mod edit;
pub mod extract;
pub mod fields;
pub mod key;
pub mod packet;

#[cfg(test)]
pub(crate) mod testpkt;
#[cfg(test)]
mod tests;

pub use edit::{
    apply_action, copy_ttl_in, copy_ttl_out, dec_mpls_ttl, dec_nw_ttl, pop_mpls, pop_pbb, pop_vlan,
    push_mpls, push_pbb, push_vlan, refresh, set_field, set_mpls_ttl, set_nw_ttl, Applied,
    EditError,
};
pub use extract::{extract, extract_into, Anomaly, Extracted, L3Kind, Layout};
pub use fields::{flow_to_match, match_to_flow, Field, MatchBuilder};
pub use key::{Flow, FLOW_WORDS};
pub use packet::PacketBuf;
