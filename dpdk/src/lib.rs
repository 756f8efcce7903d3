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

mod eal;
mod error;
mod lcore;
mod mbuf;
mod mempool;
mod port;

pub use eal::{
    hugepage_status, remove_stale_runtime_dirs, Eal, EalBuilder, HugepageMode, HugepageStatus,
};
pub use error::{strerror, Error, Result};
pub use lcore::{lcore_id, pin_current_thread, register_thread, ThreadRegistration};
pub use mbuf::{Mbuf, MbufBatch, BURST};
pub use mempool::Mempool;
pub use port::{DevInfo, Link, Port, PortConfig, PortStats, RxQueue, TxQueue};

/// Raw bindings, for calls this crate does not wrap.
pub use dpdk_sys;

/// Default mbuf data room: 2048 bytes of data plus the default headroom.
pub const MBUF_DEFAULT_DATA_ROOM: u16 = dpdk_sys::RTE_MBUF_DEFAULT_BUF_SIZE as u16;
