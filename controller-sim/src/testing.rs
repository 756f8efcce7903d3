//! Test support: two connection cores, a controller's and a switch's,
//! for driving a mode's handler without sockets.

use std::time::Instant;

use openflow::connection::{Connection, ConnectionConfig};
use openflow::Version;

/// A controller's and a switch's connection, both offering `version`
/// only, and the instant they were made at.
pub fn connection_pair(version: Version) -> (Connection, Connection, Instant) {
    let now = Instant::now();
    let conf = || ConnectionConfig {
        versions: vec![version],
        ..ConnectionConfig::default()
    };
    (
        Connection::new(conf(), now),
        Connection::new(conf(), now),
        now,
    )
}
