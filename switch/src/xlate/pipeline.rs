//! The datapath side of an OpenFlow bridge: the [`Pipeline`] that runs
//! every received packet through [`Xlate`] on the PMD that received it.
//!
//! Ports are mapped between datapath indices and OpenFlow numbers once, at
//! start; outputs are batched per tx queue by the PMD's [`Output`]; an
//! output that needs a copy of the packet allocates it from the datapath's
//! mempool. Drops are counted per [`DropReason`].
//!
//! Thread safety: one `OfPipeline` per bridge, shared by every PMD polling
//! one of its ports; it is read-only apart from atomic counters.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use dpdk::{Mbuf, MbufBatch, Mempool};

use super::{DropReason, Emit, Xlate};
use openflow::port::ofppc;

use crate::dpif::cache::{CacheCounts, PmdCache};
use crate::dpif::emc::DEFAULT_INSERT_INV_PROB;
use crate::dpif::tx::ControlTx;
use crate::dpif::{Output, Pipeline};
use crate::ofproto::group::Groups;
use crate::ofproto::meter::Meters;
use crate::ofproto::packet_in::{PacketInEvent, PacketInQueue};
use crate::ofproto::table::Tables;
use crate::xlate::mac::MacTable;

/// The OpenFlow pipeline of one bridge.
pub struct OfPipeline {
    tables: Arc<Tables>,
    /// OpenFlow port number of each datapath port (0: not on this bridge).
    ofport_of: Vec<u32>,
    /// (OpenFlow port, datapath index), sorted by port.
    dp_of: Vec<(u32, usize)>,
    /// The bridge's OpenFlow ports.
    ports: Vec<u32>,
    pool: Mempool,
    packet_ins: Arc<PacketInQueue>,
    groups: Arc<Groups>,
    meters: Arc<Meters>,
    /// Link state of each port of `dp_of` (same order), for fast-failover
    /// watches; refreshed by the control thread.
    live: Vec<AtomicBool>,
    /// `OFPPC_*` config of each port of `dp_of` (same order), set by
    /// port-mods.
    config: Vec<AtomicU32>,
    drops: [AtomicU64; DropReason::ALL.len()],
    /// MAC learning for NORMAL.
    macs: MacTable,
    /// Fail-open: every packet by NORMAL (fail_mode standalone without a
    /// controller).
    fail_open: AtomicBool,
    /// `other_config:emc-insert-inv-prob`, read by the PMDs every batch.
    emc_insert_inv_prob: AtomicU32,
    /// Debug mode: check every cache hit against the tables.
    check_cache: AtomicBool,
    /// Cache hits whose replay differed from the tables (debug mode).
    pub check_failures: AtomicU64,
}

impl OfPipeline {
    /// A pipeline over `tables` for the ports `(ofport, datapath index)`.
    pub fn new(
        tables: Arc<Tables>,
        packet_ins: Arc<PacketInQueue>,
        groups: Arc<Groups>,
        meters: Arc<Meters>,
        ports: &[(u32, usize)],
        n_dp_ports: usize,
        pool: Mempool,
    ) -> Self {
        let mut ofport_of = vec![0u32; n_dp_ports];
        let mut dp_of: Vec<(u32, usize)> = ports.to_vec();
        dp_of.sort_unstable();
        for &(of, dp) in ports {
            if let Some(slot) = ofport_of.get_mut(dp) {
                *slot = of;
            }
        }
        let live = dp_of.iter().map(|_| AtomicBool::new(true)).collect();
        let config = dp_of.iter().map(|_| AtomicU32::new(0)).collect();
        OfPipeline {
            live,
            config,
            tables,
            ofport_of,
            ports: dp_of.iter().map(|&(of, _)| of).collect(),
            dp_of,
            pool,
            packet_ins,
            groups,
            meters,
            drops: Default::default(),
            macs: MacTable::default(),
            fail_open: AtomicBool::new(false),
            emc_insert_inv_prob: AtomicU32::new(DEFAULT_INSERT_INV_PROB),
            check_cache: AtomicBool::new(false),
            check_failures: AtomicU64::new(0),
        }
    }

    /// Turns the cache check on or off: every lookup a cache hit replays
    /// is made in the tables as well, and a difference is counted in
    /// `check_failures` (`other_config:flow-cache-check=true`).
    pub fn set_cache_check(&self, on: bool) {
        self.check_cache.store(on, Ordering::Relaxed);
    }

    /// Whether the cache check is on.
    pub fn cache_check(&self) -> bool {
        self.check_cache.load(Ordering::Relaxed)
    }

    /// Sets `emc-insert-inv-prob` (0: no exact-match cache; 1: every
    /// flow; N: one new flow in N); the PMDs apply it at their next batch.
    pub fn set_emc_insert_inv_prob(&self, inv_prob: u32) {
        self.emc_insert_inv_prob.store(inv_prob, Ordering::Relaxed);
    }

    /// The pipeline with a MAC learning table of `size` entries aging
    /// after `aging_secs` (`other_config:mac-table-size`,
    /// `mac-aging-time`).
    pub fn with_mac_table(mut self, size: usize, aging_secs: u32) -> Self {
        self.macs = MacTable::new(size, aging_secs);
        self
    }

    /// The MAC learning table.
    pub fn macs(&self) -> &MacTable {
        &self.macs
    }

    /// Seconds on the MAC learning table's clock.
    pub fn now_secs(&self) -> u32 {
        self.tables.epoch.elapsed().as_secs() as u32
    }

    /// Enters or leaves fail-open mode; returns whether it changed.
    pub fn set_fail_open(&self, on: bool) -> bool {
        self.fail_open.swap(on, Ordering::Relaxed) != on
    }

    /// Packets dropped, per reason.
    pub fn drops(&self) -> Vec<(DropReason, u64)> {
        DropReason::ALL
            .iter()
            .zip(&self.drops)
            .map(|(r, c)| (*r, c.load(Ordering::Relaxed)))
            .collect()
    }

    /// Adds `n` packets to the drop counter of `reason`.
    fn count_drops(&self, reason: DropReason, n: u64) {
        if let Some(i) = DropReason::ALL.iter().position(|r| *r == reason) {
            self.drops[i].fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Runs `f` with a translator over the current version of the tables,
    /// groups, meters and port states.
    fn with_xlate<R>(&self, f: impl FnOnce(&Xlate<'_>) -> R) -> R {
        let now_ns = self.tables.now_ns();
        f(&Xlate {
            tables: &self.tables,
            version: self.tables.version(),
            ports: &self.ports,
            now_ns,
            miss_send_len: self.packet_ins.miss_send_len.load(Ordering::Relaxed),
            groups: &self.groups,
            meters: &self.meters,
            live: &|p| self.is_live(p),
            port_config: &|p| self.config_of(p),
            macs: &self.macs,
            now_secs: (now_ns / 1_000_000_000) as u32,
            fail_open: self.fail_open.load(Ordering::Relaxed),
            rec: None,
            script: None,
            cursor: Default::default(),
            defer_counts: false,
            check: self
                .check_cache
                .load(Ordering::Relaxed)
                .then_some(&self.check_failures),
        })
    }

    /// The datapath port an output to OpenFlow port `port` goes to, or why
    /// the packet is dropped instead (the port is down or does not
    /// forward, or is not on the bridge).
    fn output_port(&self, port: u32) -> Result<usize, DropReason> {
        let blocked = self.config_of(port) & (ofppc::PORT_DOWN | ofppc::NO_FWD) != 0;
        match self.dp_port(port) {
            Some(_) if blocked => Err(DropReason::PortConfig),
            Some(dp) => Ok(dp),
            None => Err(DropReason::NoOutput),
        }
    }

    fn dp_port(&self, ofport: u32) -> Option<usize> {
        self.dp_of
            .binary_search_by_key(&ofport, |&(of, _)| of)
            .ok()
            .map(|i| self.dp_of[i].1)
    }
}

/// Sends translated packets into a PMD's output batches.
struct DpEmit<'a, 'b> {
    pipeline: &'a OfPipeline,
    out: &'a mut Output<'b>,
}

impl DpEmit<'_, '_> {
    fn count(&self, reason: DropReason) {
        self.pipeline.count_drops(reason, 1);
    }
}

impl Emit<Mbuf> for DpEmit<'_, '_> {
    fn emit_copy(&mut self, port: u32, pkt: &Mbuf) -> bool {
        let Some(dp) = self.pipeline.dp_port(port) else {
            // A port that is not (or no longer) on the bridge: nothing to do.
            return true;
        };
        if self.pipeline.config_of(port) & (ofppc::PORT_DOWN | ofppc::NO_FWD) != 0 {
            return true;
        }
        match pkt.copy(&self.pipeline.pool) {
            Ok(copy) => {
                self.out.send(dp, copy);
                true
            }
            Err(_) => {
                self.count(DropReason::CopyFailed);
                false
            }
        }
    }

    fn emit(&mut self, port: u32, pkt: Mbuf) {
        match self.pipeline.output_port(port) {
            Ok(dp) => self.out.send(dp, pkt),
            Err(reason) => {
                self.count(reason);
                self.out.drop_packet(pkt);
            }
        }
    }

    fn drop_packet(&mut self, pkt: Mbuf, reason: DropReason) {
        self.count(reason);
        self.out.drop_packet(pkt);
    }

    fn to_controller(&mut self, in_port: u32, ev: impl FnOnce() -> PacketInEvent) {
        if self.pipeline.config_of(in_port) & ofppc::NO_PACKET_IN == 0 {
            self.pipeline.packet_ins.push_with(ev);
        }
    }

    fn copy_packet(&mut self, pkt: &Mbuf) -> Option<Mbuf> {
        pkt.copy(&self.pipeline.pool).ok()
    }
}

impl OfPipeline {
    /// Executes a packet-out from the control thread: `data` received on
    /// `in_port` (a bridge port or `OFPP_CONTROLLER`) through `actions`,
    /// sent on the control thread's tx queues.
    pub fn packet_out(
        &self,
        tx: &ControlTx,
        in_port: u32,
        actions: &[openflow::action::Action],
        data: &[u8],
    ) -> Result<(), String> {
        let pkt = self
            .pool
            .alloc_with(data)
            .map_err(|e| format!("no packet buffer for the packet-out: {e}"))?;
        let mut bufs = tx.bufs.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Output::new(&mut bufs, &tx.stats);
        self.with_xlate(|xlate| {
            let mut emit = DpEmit {
                pipeline: self,
                out: &mut out,
            };
            xlate.run_actions(in_port, actions, pkt, &mut emit);
        });
        out.flush();
        Ok(())
    }

    /// Records whether OpenFlow port `port`'s link is up.
    pub fn set_live(&self, port: u32, up: bool) {
        if let Ok(i) = self.dp_of.binary_search_by_key(&port, |&(of, _)| of) {
            self.live[i].store(up, Ordering::Relaxed);
        }
    }

    /// Sets OpenFlow port `port`'s `OFPPC_*` config.
    pub fn set_config(&self, port: u32, config: u32) {
        if let Ok(i) = self.dp_of.binary_search_by_key(&port, |&(of, _)| of) {
            self.config[i].store(config, Ordering::Relaxed);
        }
    }

    /// OpenFlow port `port`'s `OFPPC_*` config (0 for unknown ports).
    pub fn config_of(&self, port: u32) -> u32 {
        self.dp_of
            .binary_search_by_key(&port, |&(of, _)| of)
            .map_or(0, |i| self.config[i].load(Ordering::Relaxed))
    }

    /// Whether OpenFlow port `port` exists and its link is up.
    pub fn is_live(&self, port: u32) -> bool {
        self.dp_of
            .binary_search_by_key(&port, |&(of, _)| of)
            .is_ok_and(|i| self.live[i].load(Ordering::Relaxed))
    }

    /// Whether `port` is an OpenFlow port of this bridge.
    pub fn has_port(&self, port: u32) -> bool {
        self.dp_port(port).is_some()
    }
}

impl Pipeline for OfPipeline {
    /// Every packet: its flow key, then the exact-match cache, then the
    /// megaflows, and on a miss (or a megaflow of an older table version)
    /// a full translation that records what it consulted and becomes a
    /// megaflow. A hit replays the recorded rules through the same
    /// translator, so edits, groups, meters, packet-ins and counters are
    /// those of the full pipeline.
    fn process(
        &self,
        in_port: usize,
        batch: &mut MbufBatch,
        out: &mut Output<'_>,
        cache: &mut PmdCache,
    ) {
        let in_ofport = self.ofport_of.get(in_port).copied().unwrap_or(0);
        if self.config_of(in_ofport) & (ofppc::PORT_DOWN | ofppc::NO_RECV) != 0 {
            self.count_drops(DropReason::PortConfig, batch.len() as u64);
            out.drop_batch(batch);
            return;
        }
        let all = cache;
        let cache = all.bridge(self as *const OfPipeline as usize);
        cache
            .emc
            .set_insert_inv_prob(self.emc_insert_inv_prob.load(Ordering::Relaxed));
        self.with_xlate(|base| {
            cache.sweep(u64::from(base.now_secs));
            let mut emit = DpEmit {
                pipeline: self,
                out,
            };
            let mut counts = CacheCounts::default();
            let bytes = || batch.iter().map(|m| m.len() as u64).sum();
            // The port's simple match with one output takes the batch
            // whole, as its program would packet by packet.
            match cache.simple_batch(base, in_ofport, batch.len() as u64, bytes, &mut counts) {
                Some(port) => match self.output_port(port) {
                    Ok(dp) => emit.out.send_batch(dp, batch),
                    Err(reason) => {
                        self.count_drops(reason, batch.len() as u64);
                        emit.out.drop_batch(batch);
                    }
                },
                None => {
                    cache.classify(base, in_ofport, batch.iter().map(|m| m.data()));
                    for (i, m) in batch.drain().enumerate() {
                        cache.forward_classified(i, base, in_ofport, m, &mut emit, &mut counts);
                    }
                }
            }
            cache.flush_counts(base.tables, base.now_ns);
            counts.add_to(emit.out.stats());
        });
        out.stats()
            .megaflows
            .store(all.megaflows() as u64, Ordering::Relaxed);
    }
}
