//! Ethernet ports: probe, configure, start/stop, statistics, and the
//! per-queue burst handles PMD threads poll.
//!
//! Ownership: [`Port::probe`] gives the only handle to an ethdev port; the
//! port is closed when the handle is dropped (or by [`Port::close`] /
//! [`Port::detach`]). [`RxQueue`] / [`TxQueue`] handles keep the port's
//! shared state alive, and at most one handle per queue exists at a time, so
//! two threads never poll one queue.
//!
//! Thread safety: `Port` is `Send + Sync`; control calls serialise on a
//! mutex. Queue handles are `Send` but `!Sync` (DPDK queues are
//! single-threaded). A burst marks its queue busy and runs only while the
//! port is started; [`Port::stop`] (and close, detach, drop) clears the
//! started flag and waits for in-flight bursts, so stopping a port polled
//! by another thread is safe: later bursts return 0.

use std::collections::HashSet;
use std::ffi::{CStr, CString};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::eal::Eal;
use crate::error::{Error, Result};
use crate::mbuf::{MbufBatch, BURST};
use crate::mempool::Mempool;

/// Device capabilities (`rte_eth_dev_info_get`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevInfo {
    /// PMD name, e.g. `net_pcap`.
    pub driver_name: String,
    /// Maximum number of receive queues.
    pub max_rx_queues: u16,
    /// Maximum number of transmit queues.
    pub max_tx_queues: u16,
    /// Smallest MTU accepted.
    pub min_mtu: u16,
    /// Largest MTU accepted.
    pub max_mtu: u16,
    /// Maximum descriptors per receive queue.
    pub rx_desc_max: u16,
    /// Maximum descriptors per transmit queue.
    pub tx_desc_max: u16,
    /// Supported speeds (`RTE_ETH_LINK_SPEED_*` bits).
    pub speed_capa: u32,
    /// Kernel interface index (0 when the device has none).
    pub if_index: u32,
}

/// Queue layout of a port for [`Port::configure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortConfig {
    /// Receive queues (RSS spreads flows over them when more than one).
    pub n_rxq: u16,
    /// Transmit queues.
    pub n_txq: u16,
    /// Descriptors per receive queue (clamped to the device's limits).
    pub n_rxd: u16,
    /// Descriptors per transmit queue (clamped to the device's limits).
    pub n_txd: u16,
    /// MTU to set, if any. A device that does not support MTU configuration
    /// (`ENOTSUP`) keeps its MTU with a warning; other refusals are errors.
    pub mtu: Option<u16>,
}

impl Default for PortConfig {
    fn default() -> Self {
        PortConfig {
            n_rxq: 1,
            n_txq: 1,
            n_rxd: 1024,
            n_txd: 1024,
            mtu: None,
        }
    }
}

/// Link state (`rte_eth_link_get_nowait`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Link {
    /// Link is up.
    pub up: bool,
    /// Speed in Mbit/s (0 when unknown).
    pub speed_mbps: u32,
    /// Full duplex.
    pub full_duplex: bool,
    /// Auto-negotiated.
    pub autoneg: bool,
}

/// Basic port counters (`rte_eth_stats_get`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortStats {
    /// Packets received.
    pub ipackets: u64,
    /// Packets sent.
    pub opackets: u64,
    /// Bytes received.
    pub ibytes: u64,
    /// Bytes sent.
    pub obytes: u64,
    /// Packets dropped by the NIC (receive queue full).
    pub imissed: u64,
    /// Erroneous received packets.
    pub ierrors: u64,
    /// Failed transmissions.
    pub oerrors: u64,
    /// Receive mbuf allocation failures.
    pub rx_nombuf: u64,
}

/// Ports with a live [`Port`] handle in this process. The lock also
/// serialises probing, closing and removing devices (DPDK's hotplug calls
/// are not thread-safe); it is taken before any port's state lock.
static OPEN_PORTS: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

type OpenPorts = MutexGuard<'static, Option<HashSet<u16>>>;

fn open_ports() -> OpenPorts {
    OPEN_PORTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Busy flag of one queue handle, on its own cache line.
#[repr(align(64))]
#[derive(Default)]
struct QueueGate {
    busy: AtomicBool,
}

#[derive(Default)]
struct PortState {
    n_rxq: u16,
    n_txq: u16,
    started: bool,
    closed: bool,
    pool: Option<Mempool>,
    rx_gates: Vec<Weak<QueueGate>>,
    tx_gates: Vec<Weak<QueueGate>>,
}

struct PortShared {
    id: u16,
    devargs: String,
    label: String,
    /// Bursts run only while set; see the module documentation.
    running: AtomicBool,
    state: Mutex<PortState>,
    _eal: Eal,
}

impl PortShared {
    fn state(&self) -> MutexGuard<'_, PortState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Clears `running` and waits until no burst is in flight.
    fn quiesce(&self, st: &PortState) {
        self.running.store(false, Ordering::SeqCst);
        for gate in st.rx_gates.iter().chain(st.tx_gates.iter()) {
            if let Some(gate) = gate.upgrade() {
                while gate.busy.load(Ordering::SeqCst) {
                    std::hint::spin_loop();
                    std::thread::yield_now();
                }
            }
        }
    }

    fn stop_locked(&self, st: &mut PortState) -> Result<()> {
        self.quiesce(st);
        if !st.started || st.closed {
            st.started = false;
            return Ok(());
        }
        // SAFETY: valid port id owned by this handle; no burst in flight.
        let rc = unsafe { dpdk_sys::rte_eth_dev_stop(self.id) };
        st.started = false;
        if rc < 0 {
            return Err(Error::from_rc("rte_eth_dev_stop", self.label.clone(), rc));
        }
        Ok(())
    }

    fn close_locked(&self, open: &mut OpenPorts, st: &mut PortState) -> Result<()> {
        if st.closed {
            return Ok(());
        }
        let stopped = self.stop_locked(st);
        // SAFETY: valid port id owned by this handle, stopped, no burst in
        // flight and none can start (running is false, closed set below).
        let rc = unsafe { dpdk_sys::rte_eth_dev_close(self.id) };
        st.closed = true;
        st.n_rxq = 0;
        st.n_txq = 0;
        if let Some(set) = open.as_mut() {
            set.remove(&self.id);
        }
        stopped?;
        if rc < 0 {
            return Err(Error::from_rc("rte_eth_dev_close", self.label.clone(), rc));
        }
        Ok(())
    }
}

impl Drop for PortShared {
    fn drop(&mut self) {
        let mut open = open_ports();
        let mut st = std::mem::take(&mut *self.state());
        if let Err(e) = self.close_locked(&mut open, &mut st) {
            tracing::error!(port = %self.label, error = %e, "closing port on drop failed");
        }
    }
}

/// An ethdev port owned by this process.
pub struct Port {
    shared: Arc<PortShared>,
}

impl std::fmt::Debug for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Port")
            .field("id", &self.shared.id)
            .field("devargs", &self.shared.devargs)
            .finish()
    }
}

const PROBE_HINT: &str = "bind the device to vfio-pci or use a vdev such as \
                          net_pcap0,rx_pcap=FILE or net_null0";

fn port_name(id: u16) -> Option<String> {
    let mut buf = [0 as std::ffi::c_char; dpdk_sys::RTE_ETH_NAME_MAX_LEN as usize];
    // SAFETY: buf has RTE_ETH_NAME_MAX_LEN bytes, the size DPDK writes at
    // most (NUL included).
    let rc = unsafe { dpdk_sys::rte_eth_dev_get_name_by_port(id, buf.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: DPDK wrote a NUL-terminated name into buf.
    Some(
        unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// Hot-unplugs the device named by `devargs` (`rte_eal_hotplug_remove`).
fn remove_device(devargs: &CStr) -> Result<()> {
    let object = || format!("devargs {}", devargs.to_string_lossy());
    let mut da = dpdk_sys::rte_devargs::default();
    // SAFETY: da is a zeroed rte_devargs to fill; devargs is a valid C
    // string. rte_devargs_reset frees what parsing allocated.
    unsafe {
        let rc = dpdk_sys::rte_devargs_parse(&mut da, devargs.as_ptr());
        if rc < 0 {
            return Err(Error::from_rc("rte_devargs_parse", object(), rc));
        }
        let bus = if da.bus.is_null() {
            std::ptr::null()
        } else {
            dpdk_sys::rte_bus_name(da.bus)
        };
        let rc = if bus.is_null() {
            -libc::ENODEV
        } else {
            dpdk_sys::rte_eal_hotplug_remove(bus, da.name.as_ptr())
        };
        dpdk_sys::rte_devargs_reset(&mut da);
        if rc < 0 {
            return Err(Error::from_rc("rte_eal_hotplug_remove", object(), rc));
        }
    }
    Ok(())
}

/// Ethdev ports matching `devargs` (`RTE_ETH_FOREACH_MATCHING_DEV`).
fn matching_ports(devargs: &CStr) -> Vec<u16> {
    let mut iter = dpdk_sys::rte_dev_iterator::default();
    let mut ports = Vec::new();
    // SAFETY: iter is a zeroed iterator and devargs a valid C string that
    // outlives the iteration; the iterator is cleaned up when next() returns
    // RTE_MAX_ETHPORTS (it cleans itself) or explicitly below.
    unsafe {
        if dpdk_sys::rte_eth_iterator_init(&mut iter, devargs.as_ptr()) != 0 {
            return ports;
        }
        loop {
            let id = dpdk_sys::rte_eth_iterator_next(&mut iter);
            if u32::from(id) >= dpdk_sys::RTE_MAX_ETHPORTS {
                break;
            }
            ports.push(id);
        }
        dpdk_sys::rte_eth_iterator_cleanup(&mut iter);
    }
    ports
}

impl Port {
    /// Probes the device described by `devargs` (a PCI address such as
    /// `0000:01:00.0`, or a vdev such as `net_pcap0,rx_pcap=in.pcap`) and
    /// takes its first ethdev port. A device already probed is reused if its
    /// port has no other handle.
    pub fn probe(eal: &Eal, devargs: &str) -> Result<Port> {
        let object = format!("devargs {devargs}");
        let c_devargs = CString::new(devargs).map_err(|_| {
            Error::with_text(
                "rte_dev_probe",
                object.clone(),
                libc::EINVAL,
                "devargs contain a NUL byte",
            )
        })?;
        let mut open = open_ports();
        // SAFETY: EAL is initialised (eal token); c_devargs is a valid C
        // string copied by DPDK; hotplug calls are serialised by `open`.
        let rc = unsafe { dpdk_sys::rte_dev_probe(c_devargs.as_ptr()) };
        if rc < 0 && rc != -libc::EEXIST {
            return Err(Error::from_rc("rte_dev_probe", object, rc).hint(PROBE_HINT));
        }
        let mut ports = matching_ports(&c_devargs);
        if ports.is_empty() {
            // The device stayed probed after its port was closed (DPDK then
            // reports success or EEXIST without creating a port): remove it
            // and probe it afresh.
            remove_device(&c_devargs).map_err(|e| e.hint(PROBE_HINT))?;
            // SAFETY: as above.
            let rc = unsafe { dpdk_sys::rte_dev_probe(c_devargs.as_ptr()) };
            if rc < 0 {
                return Err(Error::from_rc("rte_dev_probe", object, rc).hint(PROBE_HINT));
            }
            ports = matching_ports(&c_devargs);
        }
        let set = open.get_or_insert_with(HashSet::new);
        let Some(&id) = ports.iter().find(|id| !set.contains(id)) else {
            let (errno, text) = if ports.is_empty() {
                (libc::ENODEV, "device probed but it has no ethdev port")
            } else {
                (libc::EBUSY, "the port of this device is already open")
            };
            return Err(Error::with_text("rte_dev_probe", object, errno, text).hint(PROBE_HINT));
        };
        set.insert(id);
        drop(open);
        let name = port_name(id).unwrap_or_default();
        tracing::info!(port_id = id, name = %name, devargs, "probed DPDK port");
        Ok(Port {
            shared: Arc::new(PortShared {
                id,
                devargs: devargs.to_string(),
                label: format!("port {id} ({name})"),
                running: AtomicBool::new(false),
                state: Mutex::new(PortState::default()),
                _eal: eal.clone(),
            }),
        })
    }

    fn label(&self) -> String {
        self.shared.label.clone()
    }

    /// Ethdev port id.
    pub fn id(&self) -> u16 {
        self.shared.id
    }

    /// The devargs the port was probed with.
    pub fn devargs(&self) -> &str {
        &self.shared.devargs
    }

    /// Ethdev name (`rte_eth_dev_get_name_by_port`), e.g. `net_pcap0`.
    pub fn name(&self) -> String {
        port_name(self.shared.id).unwrap_or_default()
    }

    fn raw_info(&self) -> Result<dpdk_sys::rte_eth_dev_info> {
        let mut info = dpdk_sys::rte_eth_dev_info::default();
        // SAFETY: valid port id; info is a writable struct of the right type.
        let rc = unsafe { dpdk_sys::rte_eth_dev_info_get(self.shared.id, &mut info) };
        if rc < 0 {
            return Err(Error::from_rc("rte_eth_dev_info_get", self.label(), rc));
        }
        Ok(info)
    }

    /// Device capabilities.
    pub fn info(&self) -> Result<DevInfo> {
        let info = self.raw_info()?;
        let driver_name = if info.driver_name.is_null() {
            String::new()
        } else {
            // SAFETY: driver_name points to the PMD's static NUL-terminated
            // name.
            unsafe { CStr::from_ptr(info.driver_name) }
                .to_string_lossy()
                .into_owned()
        };
        Ok(DevInfo {
            driver_name,
            max_rx_queues: info.max_rx_queues,
            max_tx_queues: info.max_tx_queues,
            min_mtu: info.min_mtu,
            max_mtu: info.max_mtu,
            rx_desc_max: info.rx_desc_lim.nb_max,
            tx_desc_max: info.tx_desc_lim.nb_max,
            speed_capa: info.speed_capa,
            if_index: info.if_index,
        })
    }

    /// Configures `conf.n_rxq` receive queues filled from `pool` and
    /// `conf.n_txq` transmit queues, then the MTU if given. The port must be
    /// stopped and no queue handle may be outstanding.
    pub fn configure(&self, conf: &PortConfig, pool: &Mempool) -> Result<()> {
        let label = self.label();
        let mut st = self.shared.state();
        if st.closed {
            return Err(closed_error("rte_eth_dev_configure", &label));
        }
        if st.started {
            return Err(Error::with_text(
                "rte_eth_dev_configure",
                label,
                libc::EBUSY,
                "port is started",
            )
            .hint("stop the port before configuring it"));
        }
        if live_gates(&st.rx_gates) + live_gates(&st.tx_gates) > 0 {
            return Err(Error::with_text(
                "rte_eth_dev_configure",
                label,
                libc::EBUSY,
                "queue handles of the previous configuration are still in use",
            )
            .hint("drop every RxQueue and TxQueue of the port first"));
        }
        let info = self.raw_info()?;
        for (what, n, max) in [
            ("n_rxq", conf.n_rxq, info.max_rx_queues),
            ("n_txq", conf.n_txq, info.max_tx_queues),
        ] {
            if n > max {
                return Err(Error::with_text(
                    "rte_eth_dev_configure",
                    label,
                    libc::EINVAL,
                    format!("{what} {n} exceeds the device maximum of {max}"),
                ));
            }
        }
        let mut eth_conf = dpdk_sys::rte_eth_conf::default();
        if conf.n_rxq > 1 && info.flow_type_rss_offloads != 0 {
            eth_conf.rxmode.mq_mode = dpdk_sys::RTE_ETH_MQ_RX_RSS;
            eth_conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads;
        }
        st.n_rxq = 0;
        st.n_txq = 0;
        st.pool = None;
        // SAFETY: valid, stopped port; eth_conf is fully initialised.
        let rc = unsafe {
            dpdk_sys::rte_eth_dev_configure(self.shared.id, conf.n_rxq, conf.n_txq, &eth_conf)
        };
        if rc < 0 {
            return Err(Error::from_rc("rte_eth_dev_configure", label, rc));
        }
        let (mut n_rxd, mut n_txd) = (conf.n_rxd, conf.n_txd);
        // SAFETY: valid port; pointers to live u16s.
        let rc = unsafe {
            dpdk_sys::rte_eth_dev_adjust_nb_rx_tx_desc(self.shared.id, &mut n_rxd, &mut n_txd)
        };
        if rc < 0 {
            return Err(Error::from_rc(
                "rte_eth_dev_adjust_nb_rx_tx_desc",
                label,
                rc,
            ));
        }
        // SAFETY: valid port id.
        let socket = unsafe { dpdk_sys::rte_eth_dev_socket_id(self.shared.id) };
        let socket = if socket < 0 {
            dpdk_sys::SOCKET_ID_ANY
        } else {
            socket
        };
        for q in 0..conf.n_rxq {
            // SAFETY: configured port, q < n_rxq; NULL rxconf = driver
            // defaults; the pool outlives the queue (kept in PortState).
            let rc = unsafe {
                dpdk_sys::rte_eth_rx_queue_setup(
                    self.shared.id,
                    q,
                    n_rxd,
                    socket as u32,
                    std::ptr::null(),
                    pool.as_ptr(),
                )
            };
            if rc < 0 {
                return Err(Error::from_rc(
                    "rte_eth_rx_queue_setup",
                    format!("{label} rxq {q}"),
                    rc,
                ));
            }
        }
        for q in 0..conf.n_txq {
            // SAFETY: configured port, q < n_txq; NULL txconf = defaults.
            let rc = unsafe {
                dpdk_sys::rte_eth_tx_queue_setup(
                    self.shared.id,
                    q,
                    n_txd,
                    socket as u32,
                    std::ptr::null(),
                )
            };
            if rc < 0 {
                return Err(Error::from_rc(
                    "rte_eth_tx_queue_setup",
                    format!("{label} txq {q}"),
                    rc,
                ));
            }
        }
        st.pool = Some(pool.clone());
        st.n_rxq = conf.n_rxq;
        st.n_txq = conf.n_txq;
        st.rx_gates = (0..conf.n_rxq).map(|_| Weak::new()).collect();
        st.tx_gates = (0..conf.n_txq).map(|_| Weak::new()).collect();
        drop(st);
        if let Some(mtu) = conf.mtu {
            match self.set_mtu(mtu) {
                // As Open vSwitch does: a device without MTU configuration
                // (net_pcap, net_null, ...) keeps its MTU, with a warning.
                Err(e) if e.errno() == libc::ENOTSUP => {
                    tracing::warn!(
                        port = %label,
                        mtu,
                        current = ?self.mtu().ok(),
                        "device does not support MTU configuration; keeping its MTU"
                    );
                }
                other => other?,
            }
        }
        tracing::debug!(port = %label, ?conf, n_rxd, n_txd, "configured port");
        Ok(())
    }

    /// Starts the port (`rte_eth_dev_start`); bursts run from now on.
    pub fn start(&self) -> Result<()> {
        let label = self.label();
        let mut st = self.shared.state();
        if st.closed {
            return Err(closed_error("rte_eth_dev_start", &label));
        }
        if st.started {
            return Ok(());
        }
        // SAFETY: valid, configured port.
        let rc = unsafe { dpdk_sys::rte_eth_dev_start(self.shared.id) };
        if rc < 0 {
            return Err(Error::from_rc("rte_eth_dev_start", label, rc));
        }
        st.started = true;
        self.shared.running.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Stops the port after waiting for in-flight bursts; later bursts
    /// return 0 until [`Port::start`].
    pub fn stop(&self) -> Result<()> {
        let mut st = self.shared.state();
        self.shared.stop_locked(&mut st)
    }

    /// Sets the MTU (`rte_eth_dev_set_mtu`). An MTU outside the device's
    /// range is refused (`EINVAL`) even by devices without an MTU setter,
    /// which otherwise report `ENOTSUP`.
    pub fn set_mtu(&self, mtu: u16) -> Result<()> {
        let info = self.raw_info()?;
        if mtu < info.min_mtu || mtu > info.max_mtu {
            return Err(Error::with_text(
                "rte_eth_dev_set_mtu",
                self.label(),
                libc::EINVAL,
                format!(
                    "MTU {mtu} refused: the device accepts {}..={}",
                    info.min_mtu, info.max_mtu
                ),
            ));
        }
        // SAFETY: valid port id.
        let rc = unsafe { dpdk_sys::rte_eth_dev_set_mtu(self.shared.id, mtu) };
        if rc < 0 {
            return Err(Error::with_text(
                "rte_eth_dev_set_mtu",
                self.label(),
                -rc,
                format!(
                    "MTU {mtu} refused: {} (device range {}..={})",
                    crate::error::strerror(-rc),
                    info.min_mtu,
                    info.max_mtu
                ),
            ));
        }
        Ok(())
    }

    /// Current MTU.
    pub fn mtu(&self) -> Result<u16> {
        let mut mtu = 0u16;
        // SAFETY: valid port id; pointer to a live u16.
        let rc = unsafe { dpdk_sys::rte_eth_dev_get_mtu(self.shared.id, &mut mtu) };
        if rc < 0 {
            return Err(Error::from_rc("rte_eth_dev_get_mtu", self.label(), rc));
        }
        Ok(mtu)
    }

    /// Ethernet address.
    pub fn mac(&self) -> Result<[u8; 6]> {
        let mut addr = dpdk_sys::rte_ether_addr::default();
        // SAFETY: valid port id; pointer to a live rte_ether_addr.
        let rc = unsafe { dpdk_sys::rte_eth_macaddr_get(self.shared.id, &mut addr) };
        if rc < 0 {
            return Err(Error::from_rc("rte_eth_macaddr_get", self.label(), rc));
        }
        Ok(addr.addr_bytes)
    }

    /// Link state, without waiting (`rte_eth_link_get_nowait`).
    pub fn link(&self) -> Result<Link> {
        let mut link = dpdk_sys::rte_eth_link::default();
        // SAFETY: valid port id; pointer to a live rte_eth_link.
        let rc = unsafe { dpdk_sys::rte_eth_link_get_nowait(self.shared.id, &mut link) };
        if rc < 0 {
            return Err(Error::from_rc("rte_eth_link_get_nowait", self.label(), rc));
        }
        let speed = link.link_speed;
        Ok(Link {
            up: link.link_status() != 0,
            speed_mbps: if speed == dpdk_sys::RTE_ETH_SPEED_NUM_UNKNOWN {
                0
            } else {
                speed
            },
            full_duplex: link.link_duplex() != 0,
            autoneg: link.link_autoneg() != 0,
        })
    }

    /// Basic counters.
    pub fn stats(&self) -> Result<PortStats> {
        let mut s = dpdk_sys::rte_eth_stats::default();
        // SAFETY: valid port id; pointer to a live rte_eth_stats.
        let rc = unsafe { dpdk_sys::rte_eth_stats_get(self.shared.id, &mut s) };
        if rc < 0 {
            return Err(Error::from_rc("rte_eth_stats_get", self.label(), rc));
        }
        Ok(PortStats {
            ipackets: s.ipackets,
            opackets: s.opackets,
            ibytes: s.ibytes,
            obytes: s.obytes,
            imissed: s.imissed,
            ierrors: s.ierrors,
            oerrors: s.oerrors,
            rx_nombuf: s.rx_nombuf,
        })
    }

    /// Resets the basic counters.
    pub fn reset_stats(&self) -> Result<()> {
        // SAFETY: valid port id.
        let rc = unsafe { dpdk_sys::rte_eth_stats_reset(self.shared.id) };
        if rc < 0 {
            return Err(Error::from_rc("rte_eth_stats_reset", self.label(), rc));
        }
        Ok(())
    }

    /// Extended counters, as (name, value) in the driver's order.
    pub fn xstats(&self) -> Result<Vec<(String, u64)>> {
        let id = self.shared.id;
        // SAFETY: valid port; NULL/0 asks for the count.
        let n = unsafe { dpdk_sys::rte_eth_xstats_get_names(id, std::ptr::null_mut(), 0) };
        if n < 0 {
            return Err(Error::from_rc("rte_eth_xstats_get_names", self.label(), n));
        }
        let mut names = vec![dpdk_sys::rte_eth_xstat_name::default(); n as usize];
        // SAFETY: names has room for n entries.
        let got = unsafe { dpdk_sys::rte_eth_xstats_get_names(id, names.as_mut_ptr(), n as u32) };
        if got < 0 {
            return Err(Error::from_rc(
                "rte_eth_xstats_get_names",
                self.label(),
                got,
            ));
        }
        names.truncate((got as usize).min(names.len()));
        let mut values = vec![dpdk_sys::rte_eth_xstat::default(); names.len()];
        // SAFETY: values has room for names.len() entries.
        let got =
            unsafe { dpdk_sys::rte_eth_xstats_get(id, values.as_mut_ptr(), values.len() as u32) };
        if got < 0 {
            return Err(Error::from_rc("rte_eth_xstats_get", self.label(), got));
        }
        values.truncate((got as usize).min(values.len()));
        Ok(values
            .iter()
            .filter_map(|v| {
                let name = names.get(v.id as usize)?;
                // SAFETY: DPDK NUL-terminates each name within its array.
                let name = unsafe { CStr::from_ptr(name.name.as_ptr()) };
                Some((name.to_string_lossy().into_owned(), v.value))
            })
            .collect())
    }

    /// Turns promiscuous mode on or off.
    pub fn set_promiscuous(&self, on: bool) -> Result<()> {
        // SAFETY: valid port id.
        let (op, rc) = unsafe {
            if on {
                (
                    "rte_eth_promiscuous_enable",
                    dpdk_sys::rte_eth_promiscuous_enable(self.shared.id),
                )
            } else {
                (
                    "rte_eth_promiscuous_disable",
                    dpdk_sys::rte_eth_promiscuous_disable(self.shared.id),
                )
            }
        };
        if rc < 0 {
            return Err(Error::from_rc(op, self.label(), rc));
        }
        Ok(())
    }

    /// The receive queue `q`; an error if `q` is not configured or already
    /// has a handle.
    pub fn rx_queue(&self, q: u16) -> Result<RxQueue> {
        let gate = self.take_gate(q, true)?;
        Ok(RxQueue {
            shared: self.shared.clone(),
            gate,
            port_id: self.shared.id,
            queue_id: q,
            _not_sync: PhantomData,
        })
    }

    /// The transmit queue `q`; an error if `q` is not configured or already
    /// has a handle.
    pub fn tx_queue(&self, q: u16) -> Result<TxQueue> {
        let gate = self.take_gate(q, false)?;
        Ok(TxQueue {
            shared: self.shared.clone(),
            gate,
            port_id: self.shared.id,
            queue_id: q,
            _not_sync: PhantomData,
        })
    }

    fn take_gate(&self, q: u16, rx: bool) -> Result<Arc<QueueGate>> {
        let (kind, op) = if rx {
            ("rxq", "rx_queue")
        } else {
            ("txq", "tx_queue")
        };
        let mut st = self.shared.state();
        let n = if rx { st.n_rxq } else { st.n_txq };
        if q >= n {
            return Err(Error::with_text(
                op,
                self.label(),
                libc::EINVAL,
                format!("{kind} {q} out of range: the port has {n} configured"),
            ));
        }
        let gates = if rx {
            &mut st.rx_gates
        } else {
            &mut st.tx_gates
        };
        let slot = &mut gates[q as usize];
        if slot.strong_count() > 0 {
            return Err(Error::with_text(
                op,
                self.label(),
                libc::EBUSY,
                format!("{kind} {q} already has a handle"),
            ));
        }
        let gate = Arc::new(QueueGate::default());
        *slot = Arc::downgrade(&gate);
        Ok(gate)
    }

    /// Stops and closes the port (`rte_eth_dev_close`).
    pub fn close(self) -> Result<()> {
        let mut open = open_ports();
        let mut st = self.shared.state();
        self.shared.close_locked(&mut open, &mut st)
    }

    /// Stops and closes the port, then removes its device
    /// (`rte_dev_remove`, hot-unplug) so the devargs can be probed again.
    pub fn detach(self) -> Result<()> {
        let mut open = open_ports();
        let device = self.raw_info()?.device;
        let label = self.label();
        {
            let mut st = self.shared.state();
            self.shared.close_locked(&mut open, &mut st)?;
        }
        if device.is_null() {
            return Ok(());
        }
        // SAFETY: device is the rte_device of the port just closed; it
        // stays registered on its bus until removed below.
        let other = unsafe { dpdk_sys::rte_eth_find_next_of(0, device) };
        if u32::from(other) < dpdk_sys::RTE_MAX_ETHPORTS {
            return Err(Error::with_text(
                "rte_dev_remove",
                label,
                libc::EBUSY,
                format!("port closed, but the device keeps port {other}: not removed"),
            ));
        }
        // SAFETY: as above; hotplug calls are serialised by `open`.
        let rc = unsafe { dpdk_sys::rte_dev_remove(device) };
        if rc < 0 {
            return Err(Error::from_rc("rte_dev_remove", label, rc));
        }
        Ok(())
    }
}

fn live_gates(gates: &[Weak<QueueGate>]) -> usize {
    gates.iter().filter(|g| g.strong_count() > 0).count()
}

fn closed_error(op: &'static str, label: &str) -> Error {
    Error::with_text(op, label, libc::ENODEV, "port is closed")
}

/// Marks a queue busy for the duration of one burst if the port runs.
#[inline]
fn enter(gate: &QueueGate, shared: &PortShared) -> bool {
    gate.busy.store(true, Ordering::SeqCst);
    if shared.running.load(Ordering::SeqCst) {
        true
    } else {
        gate.busy.store(false, Ordering::Release);
        false
    }
}

/// Receive side of one queue of a started port, polled by one thread.
pub struct RxQueue {
    shared: Arc<PortShared>,
    gate: Arc<QueueGate>,
    port_id: u16,
    queue_id: u16,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

impl std::fmt::Debug for RxQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RxQueue")
            .field("port_id", &self.port_id)
            .field("queue_id", &self.queue_id)
            .finish()
    }
}

impl RxQueue {
    /// Receives into the free room of `batch` (one `rte_eth_rx_burst`
    /// call); returns the number of mbufs added, 0 while the port is
    /// stopped.
    #[inline]
    pub fn rx_burst(&mut self, batch: &mut MbufBatch) -> usize {
        let room = batch.room();
        if room == 0 || !enter(&self.gate, &self.shared) {
            return 0;
        }
        // SAFETY: the port is started and this handle is the only poller of
        // the queue; the tail of the batch has room for `room` pointers,
        // which DPDK fills with owned mbufs.
        let n = unsafe {
            dpdk_sys::ferrovs_rte_eth_rx_burst(
                self.port_id,
                self.queue_id,
                batch.tail_ptr(),
                room as u16,
            )
        } as usize;
        self.gate.busy.store(false, Ordering::Release);
        // SAFETY: DPDK filled n <= room slots after len.
        unsafe { batch.set_len(batch.len() + n.min(room)) };
        n
    }

    /// Port id.
    pub fn port_id(&self) -> u16 {
        self.port_id
    }

    /// Queue id.
    pub fn queue_id(&self) -> u16 {
        self.queue_id
    }
}

/// Transmit side of one queue of a started port, used by one thread.
pub struct TxQueue {
    shared: Arc<PortShared>,
    gate: Arc<QueueGate>,
    port_id: u16,
    queue_id: u16,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

impl std::fmt::Debug for TxQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxQueue")
            .field("port_id", &self.port_id)
            .field("queue_id", &self.queue_id)
            .finish()
    }
}

impl TxQueue {
    /// Sends the mbufs of `batch` (one `rte_eth_tx_burst` call), frees those
    /// the PMD did not take, and leaves `batch` empty. Returns the number
    /// sent (0 while the port is stopped: everything is freed).
    #[inline]
    pub fn tx_burst(&mut self, batch: &mut MbufBatch) -> usize {
        let len = batch.len();
        if len == 0 {
            return 0;
        }
        let mut sent = 0;
        if enter(&self.gate, &self.shared) {
            // SAFETY: the port is started and this handle is the only user
            // of the queue; the first len slots are owned mbufs, DPDK takes
            // ownership of the first `sent`.
            sent = unsafe {
                dpdk_sys::ferrovs_rte_eth_tx_burst(
                    self.port_id,
                    self.queue_id,
                    batch.head_ptr(),
                    len as u16,
                )
            } as usize;
            self.gate.busy.store(false, Ordering::Release);
        }
        let sent = sent.min(len);
        // SAFETY: slots 0..sent now belong to the PMD and sent..len are
        // still ours: free the latter, then forget all of them.
        unsafe {
            batch.free_range(sent, len);
            batch.set_len(0);
        }
        sent
    }

    /// Port id.
    pub fn port_id(&self) -> u16 {
        self.port_id
    }

    /// Queue id.
    pub fn queue_id(&self) -> u16 {
        self.queue_id
    }
}

const _: () = assert!(BURST <= u16::MAX as usize);
