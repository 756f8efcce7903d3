//! Test support: two connection cores, a controller's and a switch's,
//! for driving a mode's handler without sockets.

use std::time::Instant;

use openflow::connection::{Connection, ConnectionConfig};
use openflow::{Header, Version};

/// A controller's and a switch's connection, both offering `version`
/// only, and the instant they were made at.
pub fn connection_pair(version: Version) -> (Connection, Connection, Instant) {
    connection_pair_undecoded(version, None)
}

/// [`connection_pair`] with the controller's end passing the messages
/// `undecoded` selects on undecoded.
pub fn connection_pair_undecoded(
    version: Version,
    undecoded: Option<fn(&Header, &[u8]) -> bool>,
) -> (Connection, Connection, Instant) {
    let now = Instant::now();
    let conf = || ConnectionConfig {
        versions: vec![version],
        ..ConnectionConfig::default()
    };
    (
        Connection::new(
            ConnectionConfig {
                undecoded,
                ..conf()
            },
            now,
        ),
        Connection::new(conf(), now),
        now,
    )
}
