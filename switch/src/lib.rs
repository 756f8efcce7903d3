//! ferrovs switch: an OpenFlow switch with a DPDK userspace datapath.
//!
//! Modules follow the flow of a packet and of a rule (see ARCHITECTURE.md):
//! [`config`] is the desired state, [`bridge`] turns it into running ports
//! ([`netdev`]) and PMD threads ([`dpif`]); [`mgmt`] serves the control
//! sockets and [`metrics`] the Prometheus endpoint.

pub mod bridge;
pub mod classifier;
pub mod config;
pub mod dpif;
pub mod flow;
pub mod heap;
pub mod metrics;
pub mod mgmt;
pub mod netdev;
pub mod ofproto;
pub mod xlate;
