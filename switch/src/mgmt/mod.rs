//! Control sockets: unixctl (the `ovs-appctl` protocol), the OpenFlow
//! management socket of each bridge and, later, OVSDB.

pub mod commands;
pub mod ofsocket;
pub mod unixctl;
