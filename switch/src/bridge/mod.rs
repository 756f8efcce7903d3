//! From the desired configuration to running bridges, ports and PMDs.
//!
//! [`Switch::start`] initialises EAL from `Open_vSwitch other_config`
//! (`dpdk-socket-mem`, `dpdk-extra`, `dpdk-lcore-mask`), opens every
//! interface, places rx queues on the PMDs of `pmd-cpu-mask` and starts
//! them. An interface that cannot be opened is left out with an error that
//! names it; the others run. Cores of a mask that this machine lacks are
//! ignored with a warning, as Open vSwitch does.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use dpdk::{Eal, EalBuilder, HugepageMode, Mempool, BURST};

use crate::config::{parse_cpu_mask, socket_mem_total, Config, ConfigError};
use crate::dpif::cross_connect::CrossConnect;
use crate::dpif::pmd::{Pmd, PmdPlan, PmdRxq};
use crate::dpif::rxq_sched::{self, RxqSpec};
use crate::dpif::sync::DatapathSync;
use crate::dpif::tx::{ControlTx, SharedTxQueue, TxBuffer, TxPath};
use crate::dpif::Pipeline;
use crate::netdev::{Netdev, NetdevRequest};
use crate::ofproto::{self, Datapath, Ofproto};
use crate::xlate::pipeline::OfPipeline;

/// Options of the daemon that are not part of the configuration.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// EAL `--file-prefix`; default `ferrovs-<pid>`.
    pub file_prefix: Option<String>,
    /// Hugepage policy.
    pub hugepages: Option<HugepageMode>,
}

/// An rx queue as the control side reports it.
#[derive(Debug, Clone)]
pub struct RxqInfo {
    /// Datapath port index.
    pub port: usize,
    /// Queue id.
    pub queue: u16,
    /// Cycles the PMD spent on it.
    pub cycles: Arc<AtomicU64>,
}

/// A PMD as the control side reports it.
pub struct PmdInfo {
    /// The thread.
    pub pmd: Pmd,
    /// Whether it polls pinned queues only.
    pub isolated: bool,
    /// The queues it polls.
    pub rxqs: Vec<RxqInfo>,
}

/// A bridge.
#[derive(Debug, Clone)]
pub struct BridgeInfo {
    /// Name.
    pub name: String,
    /// Datapath indices of its open ports.
    pub ports: Vec<usize>,
    /// Interfaces that could not be opened, with the reason.
    pub port_errors: Vec<(String, String)>,
    /// Cross-connect pairs by name.
    pub cross_connect: Vec<(String, String)>,
}

/// The running switch.
pub struct Switch {
    /// EAL.
    pub eal: Eal,
    /// Packet buffers of every port.
    pub pool: Mempool,
    /// Open ports, by datapath index.
    pub ports: Vec<Arc<Netdev>>,
    /// Bridges.
    pub bridges: Vec<BridgeInfo>,
    /// PMD threads.
    pub pmds: Vec<PmdInfo>,
    /// OpenFlow state of each bridge (same order as `bridges`).
    pub ofprotos: Vec<Arc<Mutex<Ofproto>>>,
    /// The datapath pipeline of each OpenFlow bridge (None: cross-connect).
    pub of_pipelines: Vec<Option<Arc<OfPipeline>>>,
    /// Warnings about the configuration (ignored cores, unpolled queues).
    pub warnings: Vec<String>,
}

/// Cores this process may run on.
pub fn available_cores() -> Vec<u32> {
    // SAFETY: cpu_set_t is plain data; zeroed is a valid empty set, and
    // sched_getaffinity writes at most size_of::<cpu_set_t>() bytes into it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return (0..std::thread::available_parallelism().map_or(1, |n| n.get() as u32))
                .collect();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .map(|c| c as u32)
            .collect()
    }
}

/// Restricts every thread of the process that exists now (and the threads
/// they create later: the control runtime, metrics) to `cores`.
pub fn pin_process_threads(cores: &[u32]) -> std::io::Result<()> {
    // SAFETY: cpu_set_t is plain data; zeroed is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cores {
        // SAFETY: CPU_SET writes inside `set` for any c < CPU_SETSIZE.
        unsafe { libc::CPU_SET(c as usize % libc::CPU_SETSIZE as usize, &mut set) };
    }
    for task in std::fs::read_dir("/proc/self/task")?.flatten() {
        let Some(tid) = task
            .file_name()
            .to_str()
            .and_then(|t| t.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: `set` is a valid cpu_set_t of the size given; tid is a
        // thread of this process (one that exited meanwhile gives ESRCH).
        let rc =
            unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::ESRCH) {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// The PMD cores of the configuration, the lcore for EAL's main thread and
/// warnings about cores this machine lacks.
pub fn plan_cores(config: &Config, available: &[u32]) -> (Vec<u32>, u32, Vec<String>) {
    let mut warnings = Vec::new();
    let mut pick = |key: &str| -> Option<Vec<u32>> {
        let mask = config.other(key)?;
        let cores = parse_cpu_mask(mask).unwrap_or_default();
        let (present, absent): (Vec<u32>, Vec<u32>) =
            cores.into_iter().partition(|c| available.contains(c));
        if !absent.is_empty() {
            warnings.push(format!(
                "Open_vSwitch other_config:{key}={mask} names cores {absent:?} that this machine \
                 does not have or this process may not use; they are ignored"
            ));
        }
        Some(present)
    };
    let pmd_cores = match pick("pmd-cpu-mask") {
        Some(cores) => cores,
        None => available.last().copied().into_iter().collect(),
    };
    let main = pick("dpdk-lcore-mask")
        .and_then(|c| c.first().copied())
        .or_else(|| available.iter().copied().find(|c| !pmd_cores.contains(c)))
        .or_else(|| available.first().copied())
        .unwrap_or(0);
    if pmd_cores.is_empty() {
        warnings.push(
            "no PMD thread: pmd-cpu-mask names no core of this machine, so no rx queue is polled"
                .to_owned(),
        );
    }
    (pmd_cores, main, warnings)
}

/// EAL arguments from `other_config`.
pub fn eal_builder(config: &Config, main_lcore: u32, opts: &StartOptions) -> EalBuilder {
    let mut extra: Vec<String> = config
        .other("dpdk-extra")
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut prefix = opts
        .file_prefix
        .clone()
        .unwrap_or_else(|| format!("ferrovs-{}", std::process::id()));
    if let Some(i) = extra.iter().position(|a| a == "--file-prefix") {
        if i + 1 < extra.len() {
            prefix = extra.remove(i + 1);
        }
        extra.remove(i);
    } else if let Some(i) = extra.iter().position(|a| a.starts_with("--file-prefix=")) {
        prefix = extra.remove(i)["--file-prefix=".len()..].to_owned();
    }
    let mut b = EalBuilder::new("ferrovs-switchd")
        .file_prefix(&prefix)
        .lcores(&main_lcore.to_string())
        .hugepages(opts.hugepages.unwrap_or(HugepageMode::Auto))
        .socket_mem(config.other("dpdk-socket-mem").unwrap_or("256"));
    if !extra.is_empty() {
        b = b.extra_args(extra);
    }
    b
}

/// Smallest packet buffer pool worth running with.
const MIN_MBUFS: u32 = 8192;

/// Creates the packet buffer pool, halving the request on failure down to
/// [`MIN_MBUFS`] (as Open vSwitch does) with a warning.
fn create_pool(
    eal: &Eal,
    wanted: u32,
    mem_mb: u64,
    warnings: &mut Vec<String>,
) -> Result<Mempool, ConfigError> {
    let mut n = wanted.max(MIN_MBUFS);
    loop {
        match Mempool::new(eal, "ferrovs_mbufs", n, 256, 2048 + 128, -1) {
            Ok(pool) => {
                if n < wanted {
                    warnings.push(format!(
                        "packet buffer pool has {n} mbufs instead of the {wanted} the port \
                         queues could hold (raise dpdk-socket-mem, now {mem_mb} MB)"
                    ));
                }
                return Ok(pool);
            }
            Err(e) if n <= MIN_MBUFS => {
                return Err(ConfigError(format!(
                    "cannot allocate {n} packet buffers: {e} (raise Open_vSwitch \
                     other_config:dpdk-socket-mem, now {mem_mb} MB, or add hugepages)"
                )))
            }
            Err(_) => n = (n / 2).max(MIN_MBUFS),
        }
    }
}

impl Switch {
    /// Starts EAL, the ports and the PMDs described by `config`.
    pub fn start(config: &Config, opts: &StartOptions) -> Result<Switch, ConfigError> {
        let available = available_cores();
        let (pmd_cores, main_lcore, mut warnings) = plan_cores(config, &available);
        let eal = eal_builder(config, main_lcore, opts)
            .init()
            .map_err(|e| ConfigError(format!("DPDK EAL initialisation failed: {e}")))?;
        if !eal.uses_hugepages() {
            warnings.push(
                "EAL runs without hugepages (--no-huge): fine for tests, slower for traffic; \
                 mount hugetlbfs with free pages for full speed"
                    .to_owned(),
            );
        }

        let tx_users = pmd_cores.len() as u16 + 1;
        let mut requests = Vec::new();
        let mut bridges = Vec::new();
        let mut used_ofports = BTreeSet::new();
        for br in &config.bridge {
            for p in &br.port {
                for iface in p.interfaces() {
                    if let Some(n) = iface.ofport_request {
                        used_ofports.insert(n);
                    }
                }
            }
        }
        let mut next_ofport = 1u32;
        for br in &config.bridge {
            let mut info = BridgeInfo {
                name: br.name.clone(),
                ports: Vec::new(),
                port_errors: Vec::new(),
                cross_connect: br
                    .cross_connect
                    .iter()
                    .filter_map(|cc| cc.split_once('='))
                    .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
                    .collect(),
            };
            for p in &br.port {
                if p.interface.len() > 1 {
                    warnings.push(format!(
                        "port {}: bonding ({}) is not implemented yet; its interfaces {} run as \
                         separate ports",
                        p.name,
                        p.bond_mode.as_deref().unwrap_or("active-backup"),
                        p.interface
                            .iter()
                            .map(|i| i.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                for iface in p.interfaces() {
                    let internal = iface.kind() == "internal";
                    if iface.kind() != "dpdk" && !internal {
                        info.port_errors.push((
                            iface.name.clone(),
                            format!(
                                "interface {}: type {} is not supported by this datapath yet \
                                 (use type dpdk with options:dpdk-devargs, or internal)",
                                iface.name,
                                iface.kind()
                            ),
                        ));
                        continue;
                    }
                    // The internal port named after its bridge is the
                    // bridge's LOCAL port, as in Open vSwitch.
                    let local = internal && iface.name == br.name;
                    let ofport = if local {
                        openflow::port::OFPP_LOCAL
                    } else {
                        iface.ofport_request.unwrap_or_else(|| {
                            while used_ofports.contains(&next_ofport) {
                                next_ofport += 1;
                            }
                            used_ofports.insert(next_ofport);
                            next_ofport
                        })
                    };
                    // An internal port is a kernel tap device (DPDK net_tap).
                    let devargs = if internal {
                        format!("net_tap_{},iface={}", iface.name, iface.name)
                    } else {
                        iface.devargs().unwrap_or_default().to_owned()
                    };
                    requests.push((
                        bridges.len(),
                        iface.clone(),
                        NetdevRequest {
                            name: iface.name.clone(),
                            bridge: br.name.clone(),
                            devargs,
                            n_rxq: iface.u16_option("n_rxq", 1)?,
                            n_rxd: iface.u16_option("n_rxq_desc", 2048)?,
                            n_txd: iface.u16_option("n_txq_desc", 2048)?,
                            mtu: iface.mtu_request.map(|m| m as u16),
                            ofport,
                        },
                    ));
                }
            }
            bridges.push(info);
        }

        // One pool for every port: descriptors of every queue plus room for
        // packets in flight in PMD batches.
        let mut n_mbufs: u64 = 4096;
        for (_, _, r) in &requests {
            n_mbufs += u64::from(r.n_rxq) * u64::from(r.n_rxd)
                + u64::from(tx_users) * u64::from(r.n_txd)
                + (pmd_cores.len() as u64 + 1) * 4 * BURST as u64;
        }
        let mem_mb = socket_mem_total(config.other("dpdk-socket-mem").unwrap_or("256"))?;
        let pool = create_pool(
            &eal,
            n_mbufs.min(u64::from(u32::MAX)) as u32,
            mem_mb,
            &mut warnings,
        )?;

        let mut ports: Vec<Arc<Netdev>> = Vec::new();
        let mut rxq_specs = Vec::new();
        for (bridge_idx, iface, req) in &requests {
            match Netdev::open(&eal, &pool, req, tx_users) {
                Ok(nd) => {
                    let idx = ports.len();
                    let affinity = iface.rxq_affinity()?;
                    for q in 0..nd.n_rxq {
                        let pinned = affinity.iter().find(|(aq, _)| *aq == q).map(|&(_, c)| c);
                        rxq_specs.push(RxqSpec {
                            port: idx,
                            port_name: nd.name.clone(),
                            queue: q,
                            pinned_core: pinned,
                        });
                    }
                    for (aq, core) in &affinity {
                        if *aq >= nd.n_rxq {
                            warnings.push(format!(
                                "interface {}: pmd-rxq-affinity names queue {aq} (core {core}) \
                                 but the port has {} rx queues",
                                nd.name, nd.n_rxq
                            ));
                        }
                    }
                    if nd.shared_tx {
                        warnings.push(format!(
                            "interface {}: the device has {} tx queues for {tx_users} threads; \
                             they share them under a lock",
                            nd.name, nd.n_txq
                        ));
                    }
                    tracing::info!(
                        interface = %nd.name, driver = %nd.driver, n_rxq = nd.n_rxq,
                        n_txq = nd.n_txq, "port started"
                    );
                    bridges[*bridge_idx].ports.push(idx);
                    ports.push(Arc::new(nd));
                }
                Err(e) => {
                    tracing::error!("{e}");
                    bridges[*bridge_idx].port_errors.push((req.name.clone(), e));
                }
            }
        }

        let isolate = config.other("pmd-rxq-isolate") != Some("false");
        let plan = rxq_sched::assign(&pmd_cores, &rxq_specs, isolate);
        for (rxq, why) in &plan.unpolled {
            warnings.push(format!("{rxq} is not polled: {why}"));
        }
        for w in &warnings {
            tracing::warn!("{w}");
        }

        let mut ofprotos = Vec::new();
        for (b, info) in config.bridge.iter().zip(&bridges) {
            let dpid = ofproto::datapath_id(
                &b.name,
                b.other_config.get("datapath-id").map(String::as_str),
            )
            .map_err(ConfigError)?;
            let versions = ofproto::protocols(&b.name, &b.protocols).map_err(ConfigError)?;
            let mut of = Ofproto::new(&b.name, dpid, versions);
            let tables = Arc::get_mut(&mut of.tables).expect("a new bridge's tables are its own");
            for (id, limit, evict) in b.table_limits()? {
                tables.set_limit(id, limit, evict).map_err(ConfigError)?;
            }
            of.set_fail_mode(b.fail_open_after(), !b.controller.is_empty());
            for &i in &info.ports {
                of.add_port(Arc::clone(&ports[i]));
            }
            ofprotos.push(Arc::new(Mutex::new(of)));
        }

        let mac_tables = config
            .bridge
            .iter()
            .map(|b| b.mac_table())
            .collect::<Result<Vec<_>, _>>()?;
        let emc_inv_prob = config
            .other("emc-insert-inv-prob")
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(crate::dpif::emc::DEFAULT_INSERT_INV_PROB);
        let mut of_pipelines: Vec<Option<Arc<OfPipeline>>> = Vec::new();
        let pipelines: Vec<Arc<dyn Pipeline>> = bridges
            .iter()
            .zip(&ofprotos)
            .zip(&mac_tables)
            .map(|((b, of), &(mac_size, mac_aging))| -> Arc<dyn Pipeline> {
                if b.cross_connect.is_empty() {
                    // An OpenFlow bridge: every packet through its tables.
                    let (tables, packet_ins, groups, meters) = {
                        let of = crate::ofproto::lock(of);
                        (
                            Arc::clone(&of.tables),
                            Arc::clone(&of.packet_ins),
                            Arc::clone(&of.groups),
                            Arc::clone(&of.meters),
                        )
                    };
                    let bridge_ports: Vec<(u32, usize)> =
                        b.ports.iter().map(|&i| (ports[i].ofport, i)).collect();
                    let p = Arc::new(
                        OfPipeline::new(
                            tables,
                            packet_ins,
                            groups,
                            meters,
                            &bridge_ports,
                            ports.len(),
                            pool.clone(),
                        )
                        .with_mac_table(mac_size, mac_aging),
                    );
                    p.set_emc_insert_inv_prob(emc_inv_prob);
                    p.set_cache_check(config.other("flow-cache-check") == Some("true"));
                    of_pipelines.push(Some(Arc::clone(&p)));
                    return p;
                }
                of_pipelines.push(None);
                let index_of = |name: &str| ports.iter().position(|p| p.name == name);
                let pairs: Vec<(usize, usize)> = b
                    .cross_connect
                    .iter()
                    .filter_map(|(a, z)| Some((index_of(a)?, index_of(z)?)))
                    .collect();
                Arc::new(CrossConnect::new(&pairs))
            })
            .collect();
        let bridge_of_port: Vec<usize> = (0..ports.len())
            .map(|i| {
                bridges
                    .iter()
                    .position(|b| b.ports.contains(&i))
                    .unwrap_or(0)
            })
            .collect();

        // Tx paths: a queue of its own per PMD where the device has enough,
        // otherwise shared queues under a spinlock.
        let shared: Vec<Vec<Arc<SharedTxQueue>>> = ports
            .iter()
            .map(|nd| {
                if !nd.shared_tx {
                    return Vec::new();
                }
                (0..nd.n_txq)
                    .filter_map(|q| nd.port.tx_queue(q).ok())
                    .map(|q| Arc::new(SharedTxQueue::new(q)))
                    .collect()
            })
            .collect();
        let max_sleep_us = config
            .other("pmd-maxsleep")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0u64);

        // The control thread's tx paths (packet-outs): the queue reserved
        // after the PMDs' on each port, or a shared one.
        let n_pmds = pmd_cores.len();
        let control_tx = Arc::new(ControlTx {
            bufs: Mutex::new(
                ports
                    .iter()
                    .enumerate()
                    .map(|(p, nd)| {
                        let path = if nd.shared_tx {
                            shared[p]
                                .get(n_pmds % shared[p].len().max(1))
                                .map(|q| TxPath::Shared(Arc::clone(q)))
                        } else {
                            nd.port.tx_queue(n_pmds as u16).ok().map(TxPath::Owned)
                        };
                        path.map(|path| TxBuffer::new(path, Arc::clone(&nd.tx_dropped)))
                    })
                    .collect(),
            ),
            stats: Default::default(),
        });
        let sync = Arc::new(DatapathSync::default());
        for (of, p) in ofprotos.iter().zip(&of_pipelines) {
            if let Some(p) = p {
                crate::ofproto::lock(of).datapath = Some(Datapath {
                    pipeline: Arc::clone(p),
                    tx: Arc::clone(&control_tx),
                    sync: Arc::clone(&sync),
                });
            }
        }

        // The control plane, and EAL's own service threads (interrupts,
        // multi-process, telemetry), stay off PMD cores where a core is left.
        // Done before the PMDs start, so only those threads exist.
        let control: Vec<u32> = available
            .iter()
            .copied()
            .filter(|c| !pmd_cores.contains(c))
            .collect();
        if !control.is_empty() {
            if let Err(e) = pin_process_threads(&control) {
                tracing::warn!("cannot keep control threads on cores {control:?}: {e}");
            }
        }

        let mut pmds = Vec::new();
        for (i, &core) in pmd_cores.iter().enumerate() {
            let mut tx = Vec::with_capacity(ports.len());
            for (p, nd) in ports.iter().enumerate() {
                let path = if nd.shared_tx {
                    shared[p]
                        .get(i % shared[p].len().max(1))
                        .map(|q| TxPath::Shared(Arc::clone(q)))
                } else {
                    nd.port.tx_queue(i as u16).ok().map(TxPath::Owned)
                };
                tx.push(path.map(|path| TxBuffer::new(path, Arc::clone(&nd.tx_dropped))));
            }
            let mut rxqs = Vec::new();
            let mut infos = Vec::new();
            for spec in &plan.pmd_rxqs[i] {
                let nd = &ports[spec.port];
                let queue = nd.port.rx_queue(spec.queue).map_err(|e| {
                    ConfigError(format!(
                        "interface {}: rx queue {}: {e}",
                        nd.name, spec.queue
                    ))
                })?;
                let cycles = Arc::new(AtomicU64::new(0));
                rxqs.push(PmdRxq {
                    port: spec.port,
                    queue,
                    pipeline: Arc::clone(&pipelines[bridge_of_port[spec.port]]),
                    cycles: Arc::clone(&cycles),
                });
                infos.push(RxqInfo {
                    port: spec.port,
                    queue: spec.queue,
                    cycles,
                });
            }
            let pmd = Pmd::spawn(PmdPlan {
                core,
                rxqs,
                tx,
                max_sleep_us,
                seen: sync.register(),
                sync: Arc::clone(&sync),
                cache: Default::default(),
            })
            .map_err(|e| ConfigError(format!("cannot start the PMD thread of core {core}: {e}")))?;
            pmds.push(PmdInfo {
                pmd,
                isolated: plan.isolated[i],
                rxqs: infos,
            });
        }

        Ok(Switch {
            eal,
            pool,
            ports,
            bridges,
            pmds,
            ofprotos,
            of_pipelines,
            warnings,
        })
    }

    /// Stops the PMDs, then the ports.
    pub fn shutdown(&self) {
        for p in &self.pmds {
            p.pmd.stop();
        }
        for nd in &self.ports {
            if let Err(e) = nd.port.stop() {
                tracing::warn!(interface = %nd.name, "stop: {e}");
            }
        }
    }

    /// `fdb/show BRIDGE`: the MAC addresses the bridge learned (NORMAL),
    /// in Open vSwitch's format.
    pub fn fdb_show(&self, bridge: &str) -> Result<String, String> {
        let i = self
            .bridges
            .iter()
            .position(|b| b.name == bridge)
            .ok_or_else(|| format!("no such bridge: {bridge}"))?;
        let p = self.of_pipelines[i]
            .as_ref()
            .ok_or_else(|| format!("bridge {bridge} is a cross-connect: it learns nothing"))?;
        let mut out = String::from(" port  VLAN  MAC                Age\n");
        for e in p.macs().entries(p.now_secs()) {
            let m = e.mac;
            out.push_str(&format!(
                "{:>5}  {:>4}  {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}  {:>3}\n",
                e.port, e.vlan, m[0], m[1], m[2], m[3], m[4], m[5], e.age
            ));
        }
        Ok(out)
    }

    /// `show`: bridges, ports, devargs, link, MTU, queues.
    pub fn show(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "ferrovs (pid {}): EAL {} [{}]",
            std::process::id(),
            if self.eal.uses_hugepages() {
                "with hugepages"
            } else {
                "without hugepages (--no-huge)"
            },
            self.eal.args().join(" ")
        );
        for (bi, b) in self.bridges.iter().enumerate() {
            let _ = writeln!(s, "  Bridge {}", b.name);
            if let Some(Some(p)) = self.of_pipelines.get(bi) {
                let drops: Vec<String> = p
                    .drops()
                    .iter()
                    .map(|(r, n)| format!("{}={n}", r.name()))
                    .collect();
                let _ = writeln!(s, "    OpenFlow pipeline drops: {}", drops.join(" "));
                if p.cache_check() {
                    let _ = writeln!(
                        s,
                        "    flow cache check: on, {} mismatches",
                        p.check_failures.load(std::sync::atomic::Ordering::Relaxed)
                    );
                }
            }
            for (a, z) in &b.cross_connect {
                let _ = writeln!(s, "    cross_connect: {a} -> {z}");
            }
            for &i in &b.ports {
                let nd = &self.ports[i];
                let link = match nd.port.link() {
                    Ok(l) if l.up => format!("up {} Mbps", l.speed_mbps),
                    Ok(_) => "down".to_owned(),
                    Err(e) => format!("unknown ({e})"),
                };
                let mtu = nd
                    .port
                    .mtu()
                    .map_or_else(|e| format!("? ({e})"), |m| m.to_string());
                let mac = nd.port.mac().map_or_else(
                    |_| "?".to_owned(),
                    |m| {
                        m.iter()
                            .map(|b| format!("{b:02x}"))
                            .collect::<Vec<_>>()
                            .join(":")
                    },
                );
                let _ = writeln!(s, "    Port {} (ofport {})", nd.name, nd.ofport);
                let _ = writeln!(
                    s,
                    "      type: dpdk, driver: {}, devargs: {}",
                    nd.driver,
                    nd.port.devargs()
                );
                let _ = writeln!(
                    s,
                    "      link: {link}, mtu: {mtu}, mac: {mac}, n_rxq: {}, n_txq: {}{}, rxd: {}, txd: {}",
                    nd.n_rxq,
                    nd.n_txq,
                    if nd.shared_tx { " (shared)" } else { "" },
                    nd.n_rxd,
                    nd.n_txd
                );
            }
            for (name, err) in &b.port_errors {
                let _ = writeln!(s, "    Port {name}\n      error: {err}");
            }
        }
        for p in &self.pmds {
            let lcore = p.pmd.lcore.load(Ordering::Relaxed);
            let _ = writeln!(
                s,
                "  PMD pmd-c{}: EAL lcore {}, {} rx queue(s){}",
                p.pmd.core,
                if lcore < 0 {
                    "none (not registered)".to_owned()
                } else {
                    lcore.to_string()
                },
                p.rxqs.len(),
                if p.isolated { ", isolated" } else { "" }
            );
        }
        for w in &self.warnings {
            let _ = writeln!(s, "  warning: {w}");
        }
        s
    }

    /// `dpif-netdev/pmd-rxq-show`, in Open vSwitch's layout.
    pub fn pmd_rxq_show(&self) -> String {
        let mut s = String::new();
        for p in &self.pmds {
            let total = {
                let c = p.pmd.stats.totals();
                c.busy_cycles + c.idle_cycles
            };
            let _ = writeln!(s, "pmd thread numa_id 0 core_id {}:", p.pmd.core);
            let _ = writeln!(s, "  isolated : {}", p.isolated);
            for r in &p.rxqs {
                let used = r.cycles.load(Ordering::Relaxed);
                let pct = if total == 0 {
                    0
                } else {
                    (used as f64 * 100.0 / total as f64).round() as u64
                };
                let _ = writeln!(
                    s,
                    "  port: {:<16}  queue-id: {:>2} (enabled)   pmd usage: {:>2} %",
                    self.ports[r.port].name, r.queue, pct
                );
            }
            if p.rxqs.is_empty() {
                let _ = writeln!(s, "  (no rx queue)");
            }
        }
        if self.pmds.is_empty() {
            s.push_str("no PMD threads\n");
        }
        s
    }

    /// `dpif-netdev/pmd-stats-show`, in Open vSwitch's layout.
    pub fn pmd_stats_show(&self) -> String {
        let mut s = String::new();
        for p in &self.pmds {
            let c = p.pmd.stats.since_clear();
            let total = c.busy_cycles + c.idle_cycles;
            let pct = |x: u64| {
                if total == 0 {
                    0.0
                } else {
                    x as f64 * 100.0 / total as f64
                }
            };
            let _ = writeln!(s, "pmd thread numa_id 0 core_id {}:", p.pmd.core);
            let _ = writeln!(s, "  packets received: {}", c.rx_packets);
            let _ = writeln!(s, "  simple match hits: {}", c.simple_match_hits);
            let _ = writeln!(s, "  emc hits: {}", c.emc_hits);
            let _ = writeln!(s, "  smc hits: 0");
            let _ = writeln!(s, "  megaflow hits: {}", c.megaflow_hits);
            let _ = writeln!(
                s,
                "  avg. subtable lookups per megaflow hit: {:.2}",
                c.avg_subtable_lookups()
            );
            let _ = writeln!(s, "  miss with success upcall: {}", c.upcall_ok);
            let _ = writeln!(s, "  miss with failed upcall: {}", c.upcall_failed);
            let _ = writeln!(s, "  lost upcalls: {}", c.upcall_lost);
            let _ = writeln!(s, "  megaflows: {}", p.pmd.stats.totals().megaflows);
            let _ = writeln!(s, "  packets sent: {}", c.tx_packets);
            let _ = writeln!(s, "  tx dropped: {}", c.tx_dropped);
            let _ = writeln!(s, "  pipeline drops: {}", c.pipeline_drops);
            let _ = writeln!(s, "  avg. packets per output batch: {:.2}", c.avg_batch());
            let _ = writeln!(
                s,
                "  idle cycles: {} ({:.2}%)",
                c.idle_cycles,
                pct(c.idle_cycles)
            );
            let _ = writeln!(
                s,
                "  processing cycles: {} ({:.2}%)",
                c.busy_cycles,
                pct(c.busy_cycles)
            );
            if c.rx_packets > 0 {
                let _ = writeln!(
                    s,
                    "  avg cycles per packet: {:.2} ({}/{})",
                    c.avg_cycles_per_packet(),
                    total,
                    c.rx_packets
                );
                let _ = writeln!(
                    s,
                    "  avg processing cycles per packet: {:.2} ({}/{})",
                    c.avg_processing_cycles_per_packet(),
                    c.busy_cycles,
                    c.rx_packets
                );
            }
        }
        if self.pmds.is_empty() {
            s.push_str("no PMD threads\n");
        }
        s
    }

    /// `dpif-netdev/pmd-stats-clear`, for every PMD or the one on `core`.
    pub fn pmd_stats_clear(&self, core: Option<u32>) {
        for p in self
            .pmds
            .iter()
            .filter(|p| core.is_none_or(|c| c == p.pmd.core))
        {
            p.pmd.stats.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(other: &[(&str, &str)]) -> Config {
        let mut c = Config::default();
        for (k, v) in other {
            c.open_vswitch
                .other_config
                .insert((*k).to_owned(), (*v).to_owned());
        }
        c
    }

    #[test]
    fn absent_cores_are_ignored_with_a_warning() {
        let (pmds, main, warnings) = plan_cores(&config(&[("pmd-cpu-mask", "0x186")]), &[0, 1]);
        assert_eq!(pmds, vec![1]);
        assert_eq!(main, 0);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("[2, 7, 8]"), "{}", warnings[0]);
    }

    #[test]
    fn default_pmd_core_leaves_core_zero_to_the_control_plane() {
        let (pmds, main, warnings) = plan_cores(&config(&[]), &[0, 1]);
        assert_eq!((pmds, main), (vec![1], 0));
        assert!(warnings.is_empty());
        let (pmds, main, _) = plan_cores(&config(&[("pmd-cpu-mask", "0x3")]), &[0, 1]);
        assert_eq!((pmds, main), (vec![0, 1], 0));
        let (pmds, _, warnings) = plan_cores(&config(&[("pmd-cpu-mask", "0x4")]), &[0, 1]);
        assert!(pmds.is_empty());
        assert_eq!(warnings.len(), 2);
    }

    #[test]
    fn eal_arguments_from_other_config() {
        let c = config(&[
            ("dpdk-extra", "--no-pci --file-prefix mine --log-level=7"),
            ("dpdk-socket-mem", "128"),
        ]);
        let args = eal_builder(&c, 0, &StartOptions::default())
            .hugepages(HugepageMode::Disabled)
            .args();
        let joined = args.join(" ");
        assert!(joined.contains("--file-prefix mine") || joined.contains("--file-prefix=mine"));
        assert!(joined.contains("--no-pci"));
        assert!(joined.contains("--no-huge"));
        assert!(!joined.contains("--socket-mem"));
    }
}
