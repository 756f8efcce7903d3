//! Control sockets: unixctl (the `ovs-appctl` protocol) and, later, the
//! OpenFlow management socket and OVSDB.

pub mod commands;
pub mod unixctl;
