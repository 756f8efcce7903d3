//! DPDK ports of the datapath.
//!
//! [`Netdev::open`] probes an interface's devargs, checks the requested
//! queue counts and MTU against what the device reports, configures and
//! starts it. Every failure names the interface, the reason and the fix;
//! the caller leaves that interface out and keeps the others.
//!
//! Counters come from the device (`rte_eth_stats_get`, xstats) plus the
//! software tx drops PMDs add to [`Netdev::tx_dropped`]; the command line
//! and `/metrics` read them through [`Netdev::counters`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use dpdk::{Eal, Mempool, Port, PortConfig};

/// What the configuration asks of one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetdevRequest {
    /// Interface name.
    pub name: String,
    /// Bridge it belongs to.
    pub bridge: String,
    /// `options:dpdk-devargs`.
    pub devargs: String,
    /// `options:n_rxq`.
    pub n_rxq: u16,
    /// `options:n_rxq_desc`.
    pub n_rxd: u16,
    /// `options:n_txq_desc`.
    pub n_txd: u16,
    /// `mtu_request`.
    pub mtu: Option<u16>,
    /// OpenFlow port number.
    pub ofport: u32,
}

/// An open, started DPDK port.
pub struct Netdev {
    /// Interface name.
    pub name: String,
    /// Bridge it belongs to.
    pub bridge: String,
    /// OpenFlow port number.
    pub ofport: u32,
    /// The device.
    pub port: Port,
    /// Driver name (`net_pcap`, `net_null`, ...).
    pub driver: String,
    /// Rx queues configured.
    pub n_rxq: u16,
    /// Tx queues configured.
    pub n_txq: u16,
    /// Rx descriptors per queue.
    pub n_rxd: u16,
    /// Tx descriptors per queue.
    pub n_txd: u16,
    /// Whether threads share tx queues (the device has fewer tx queues than
    /// threads that send).
    pub shared_tx: bool,
    /// Packets the device refused on transmit (freed by PMDs, counted here).
    pub tx_dropped: Arc<AtomicU64>,
}

/// Counters of a port, as `show`, `/metrics` and (later) OpenFlow port
/// stats report them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortCounters {
    /// Packets received.
    pub rx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Packets dropped on receive (no descriptor or no mbuf).
    pub rx_dropped: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Packets dropped on transmit (device refused them).
    pub tx_dropped: u64,
    /// Transmit errors.
    pub tx_errors: u64,
}

impl Netdev {
    /// Probes, configures and starts the port; `tx_users` is the number of
    /// threads that will send on it (PMDs plus the control thread).
    pub fn open(
        eal: &Eal,
        pool: &Mempool,
        req: &NetdevRequest,
        tx_users: u16,
    ) -> Result<Netdev, String> {
        let name = &req.name;
        let port = Port::probe(eal, &req.devargs).map_err(|e| {
            format!(
                "interface {name}: dpdk-devargs \"{}\" could not be probed: {e} (check the \
                 driver name and its arguments, bind a PCI device to vfio-pci, or use a vdev \
                 such as net_null0)",
                req.devargs
            )
        })?;
        let info = port
            .info()
            .map_err(|e| format!("interface {name}: cannot read device info: {e}"))?;
        if req.n_rxq > info.max_rx_queues {
            return Err(format!(
                "interface {name}: options:n_rxq={} is above the device maximum of {} rx \
                 queues ({}); lower n_rxq",
                req.n_rxq, info.max_rx_queues, info.driver_name
            ));
        }
        if let Some(mtu) = req.mtu {
            if mtu < info.min_mtu || mtu > info.max_mtu {
                return Err(format!(
                    "interface {name}: mtu_request={mtu} is refused by the device ({} accepts \
                     {}..{}); choose an MTU in that range",
                    info.driver_name, info.min_mtu, info.max_mtu
                ));
            }
        }
        let max_tx = info.max_tx_queues.max(1);
        // One tx queue per sending thread where the device has them. Some
        // drivers refuse other counts than the rx queue count (net_tap) or
        // more than one: fall back to fewer, shared, tx queues.
        let mut tries = vec![tx_users.clamp(1, max_tx)];
        for fallback in [req.n_rxq.min(max_tx), 1] {
            if !tries.contains(&fallback) {
                tries.push(fallback);
            }
        }
        let mut n_txq = 0;
        let mut first_error = None;
        for n in tries {
            let conf = PortConfig {
                n_rxq: req.n_rxq,
                n_txq: n,
                n_rxd: req.n_rxd,
                n_txd: req.n_txd,
                mtu: req.mtu,
            };
            match port.configure(&conf, pool) {
                Ok(()) => {
                    n_txq = n;
                    break;
                }
                Err(e) => {
                    tracing::debug!(interface = %name, n_txq = n, "configure failed: {e}");
                    first_error.get_or_insert(e);
                }
            }
        }
        if n_txq == 0 {
            let e = first_error.map(|e| e.to_string()).unwrap_or_default();
            return Err(format!(
                "interface {name}: cannot configure the device: {e}"
            ));
        }
        if let Some(mtu) = req.mtu {
            // Some drivers ignore the MTU given at configure time: set it
            // explicitly and check that it took.
            let refused = |why: String| {
                format!(
                    "interface {name}: mtu_request={mtu} is refused by the device ({}): {why}; \
                     remove mtu_request or choose an MTU the driver supports",
                    info.driver_name
                )
            };
            if port.mtu().ok() != Some(mtu) {
                port.set_mtu(mtu).map_err(|e| refused(e.to_string()))?;
            }
            match port.mtu() {
                Ok(m) if m == mtu => {}
                Ok(m) => return Err(refused(format!("the device kept MTU {m}"))),
                Err(e) => return Err(refused(e.to_string())),
            }
        }
        if let Err(e) = port.set_promiscuous(true) {
            tracing::debug!(interface = %name, "promiscuous mode not set: {e}");
        }
        port.start()
            .map_err(|e| format!("interface {name}: cannot start the device: {e}"))?;
        Ok(Netdev {
            name: name.clone(),
            bridge: req.bridge.clone(),
            ofport: req.ofport,
            driver: info.driver_name,
            n_rxq: req.n_rxq,
            n_txq,
            n_rxd: req.n_rxd,
            n_txd: req.n_txd,
            shared_tx: n_txq < tx_users,
            tx_dropped: Arc::new(AtomicU64::new(0)),
            port,
        })
    }

    /// The port's counters (device statistics plus software tx drops).
    pub fn counters(&self) -> PortCounters {
        let soft_drops = self.tx_dropped.load(Ordering::Relaxed);
        match self.port.stats() {
            Ok(s) => PortCounters {
                rx_packets: s.ipackets,
                rx_bytes: s.ibytes,
                rx_dropped: s.imissed + s.rx_nombuf,
                rx_errors: s.ierrors,
                tx_packets: s.opackets,
                tx_bytes: s.obytes,
                tx_dropped: soft_drops,
                tx_errors: s.oerrors,
            },
            Err(e) => {
                tracing::debug!(interface = %self.name, "stats unavailable: {e}");
                PortCounters {
                    tx_dropped: soft_drops,
                    ..PortCounters::default()
                }
            }
        }
    }

    /// The device's extended statistics (empty when unavailable).
    pub fn xstats(&self) -> Vec<(String, u64)> {
        self.port.xstats().unwrap_or_else(|e| {
            tracing::debug!(interface = %self.name, "xstats unavailable: {e}");
            Vec::new()
        })
    }
}
