//! `ferrovs-controller-sim`: an OpenFlow controller simulator for tests,
//! demos and control-plane benchmarks.
//!
//! It connects to switches' passive sockets (`unix:` or `tcp:`, as
//! `ovs-ofctl` does) or listens for switches that connect to it, and runs
//! one mode on each switch connection:
//!
//! - [`load`]: installs N distinct flows as fast as the switch accepts them,
//!   pipelined behind a bounded window of barriers (or OpenFlow 1.4
//!   bundles), and reports the rate;
//! - [`learning`]: an L2 learning-switch controller (OpenFlow 1.0 and 1.3);
//! - [`packet_in`]: counts the packet-ins a table-miss flood causes and
//!   times flow-mod round trips meanwhile;
//! - [`poll`]: polls flow, aggregate, port, table, group and meter
//!   statistics at a rate and reports reply latency percentiles;
//! - [`onos`]: replays ONOS's OpenFlow driver (handshake, MASTER role,
//!   periodic statistics) and reports what the switch rejects;
//! - [`script`]: runs a scripted scenario (JSON) of messages and
//!   expectations.
//!
//! Layering, as in the `openflow` crate: the protocol state of a connection
//! (hello, version negotiation, echo, xids, timers) is
//! [`openflow::connection::Connection`]; each mode is a sans-IO
//! [`session::Handler`] on top of it, driven by tests without sockets; the
//! tokio layer in [`session`] only moves bytes, one task per switch.
//!
//! Every mode ends with one machine-readable line on stdout, e.g.
//! `RESULT load flows=20000 seconds=0.41 rate=48780 errors=0`.

pub mod cli;
pub mod endpoint;
pub mod flows;
pub mod latency;
pub mod learning;
pub mod load;
pub mod onos;
pub mod packet_in;
pub mod poll;
pub mod report;
pub mod runner;
pub mod script;
pub mod session;
#[cfg(test)]
mod testing;
