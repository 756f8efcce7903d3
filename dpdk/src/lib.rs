//! Safe API over DPDK 22.11: EAL initialisation, mbuf pools, owned mbufs
//! and bursts, ethdev ports with their queues, and lcore registration of
//! threads.
//!
//! Ownership follows the resources: an [`Eal`] token is held by every
//! [`Mempool`] and [`Port`] so EAL outlives them; [`Mbuf`] owns its buffer
//! and frees it on drop; a [`Port`] closes its device on drop. Every DPDK
//! return code becomes a [`Result`] whose [`Error`] names the operation,
//! the object and the `rte_strerror` text.
//!
//! Hot path: [`RxQueue::rx_burst`] and [`TxQueue::tx_burst`] are one C call
//! per burst of up to [`BURST`] mbufs; per-packet accessors of [`Mbuf`]
//! read the `rte_mbuf` fields directly.
//!
//! ```no_run
//! use dpdk::{EalBuilder, HugepageMode, MbufBatch, Mempool, Port, PortConfig};
//!
//! # fn main() -> dpdk::Result<()> {
//! dpdk::route_logs_to_tracing()?;
//! let eal = EalBuilder::new("ferrovs-switchd")
//!     .lcores("0")
//!     .socket_mem("256")
//!     .hugepages(HugepageMode::Auto)
//!     .extra_args(["--no-pci".to_string()])
//!     .init()?;
//! let pool = Mempool::new(&eal, "mbufs", 8191, 256, dpdk::MBUF_DEFAULT_DATA_ROOM, -1)?;
//! let rx = Port::probe(&eal, "net_pcap0,rx_pcap=in.pcap,infinite_rx=1")?;
//! let tx = Port::probe(&eal, "net_null0,no-rx=1")?;
//! for port in [&rx, &tx] {
//!     port.configure(&PortConfig::default(), &pool)?;
//!     port.start()?;
//! }
//! let (mut rxq, mut txq) = (rx.rx_queue(0)?, tx.tx_queue(0)?);
//! // In a PMD thread: register it so it gets an lcore id and mempool caches.
//! let _lcore = dpdk::register_thread()?;
//! let mut batch = MbufBatch::new();
//! loop {
//!     if rxq.rx_burst(&mut batch) > 0 {
//!         batch.retain(|m| m.len() >= 60);
//!         txq.tx_burst(&mut batch);
//!     }
//! #   break;
//! }
//! # Ok(())
//! # }
//! ```

mod eal;
mod error;
mod lcore;
mod log;
mod mbuf;
mod mempool;
mod port;

pub use eal::{
    hugepage_status, remove_stale_dpdk_files, Eal, EalBuilder, HugepageMode, HugepageStatus,
};
pub use error::{strerror, Error, Result};
pub use lcore::{lcore_id, pin_current_thread, register_thread, ThreadRegistration};
pub use log::route_logs_to_tracing;
pub use mbuf::{Drain, Mbuf, MbufBatch, BURST};
pub use mempool::Mempool;
pub use port::{DevInfo, Link, Port, PortConfig, PortStats, RxQueue, TxQueue};

/// Raw bindings, for calls this crate does not wrap.
pub use dpdk_sys;

/// Default mbuf data room: 2048 bytes of data plus the default headroom.
pub const MBUF_DEFAULT_DATA_ROOM: u16 = dpdk_sys::RTE_MBUF_DEFAULT_BUF_SIZE as u16;
