//! Prometheus metrics on `/metrics`.
//!
//! A collector reads, at scrape time, the same counters the command line
//! prints: port statistics and xstats from the devices ([`Netdev`]) and PMD
//! counters ([`crate::dpif::stats::PmdStats`]). Nothing is copied on the
//! packet path for Prometheus' sake.
//!
//! The HTTP side is `tiny_http` on a thread of its own.

use std::sync::Arc;
use std::thread;

use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, Gauge, LabelPair, Metric, MetricFamily, MetricType};
use prometheus::{Encoder, Registry, TextEncoder};

use crate::bridge::Switch;
use crate::ofproto::conn::Role;

/// Reads the switch's counters on every scrape.
pub struct SwitchCollector {
    switch: Arc<Switch>,
    descs: Vec<Desc>,
}

impl SwitchCollector {
    /// A collector over `switch`.
    pub fn new(switch: Arc<Switch>) -> Self {
        SwitchCollector {
            switch,
            descs: Vec::new(),
        }
    }
}

fn label(name: &str, value: &str) -> LabelPair {
    let mut l = LabelPair::default();
    l.set_name(name.to_owned());
    l.set_value(value.to_owned());
    l
}

struct Family {
    mf: MetricFamily,
}

impl Family {
    fn new(name: &str, help: &str, kind: MetricType) -> Self {
        let mut mf = MetricFamily::default();
        mf.set_name(name.to_owned());
        mf.set_help(help.to_owned());
        mf.set_field_type(kind);
        Family { mf }
    }

    fn add(&mut self, labels: &[(&str, &str)], value: f64) {
        let mut m = Metric::default();
        m.set_label(labels.iter().map(|(k, v)| label(k, v)).collect());
        match self.mf.get_field_type() {
            MetricType::COUNTER => {
                let mut c = Counter::default();
                c.set_value(value);
                m.set_counter(c);
            }
            _ => {
                let mut g = Gauge::default();
                g.set_value(value);
                m.set_gauge(g);
            }
        }
        self.mf.mut_metric().push(m);
    }
}

impl Collector for SwitchCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        use MetricType::{COUNTER, GAUGE};
        let sw = &self.switch;
        let mut port_fams = [
            (
                "ferrovs_port_rx_packets_total",
                "Packets received on the port.",
            ),
            ("ferrovs_port_rx_bytes_total", "Bytes received on the port."),
            (
                "ferrovs_port_rx_dropped_total",
                "Packets dropped on receive (no descriptor or no buffer).",
            ),
            ("ferrovs_port_rx_errors_total", "Receive errors."),
            ("ferrovs_port_tx_packets_total", "Packets sent on the port."),
            ("ferrovs_port_tx_bytes_total", "Bytes sent on the port."),
            (
                "ferrovs_port_tx_dropped_total",
                "Packets the device refused on transmit.",
            ),
            ("ferrovs_port_tx_errors_total", "Transmit errors."),
        ]
        .map(|(n, h)| Family::new(n, h, COUNTER));
        let mut link = Family::new(
            "ferrovs_port_link_up",
            "1 when the port's link is up.",
            GAUGE,
        );
        let mut xstat = Family::new(
            "ferrovs_port_xstat",
            "DPDK extended statistic of the port, by xstat name.",
            GAUGE,
        );
        for nd in &sw.ports {
            let labels = [("bridge", nd.bridge.as_str()), ("port", nd.name.as_str())];
            let c = nd.counters();
            let values = [
                c.rx_packets,
                c.rx_bytes,
                c.rx_dropped,
                c.rx_errors,
                c.tx_packets,
                c.tx_bytes,
                c.tx_dropped,
                c.tx_errors,
            ];
            for (fam, v) in port_fams.iter_mut().zip(values) {
                fam.add(&labels, v as f64);
            }
            let up = nd.port.link().map(|l| l.up).unwrap_or(false);
            link.add(&labels, if up { 1.0 } else { 0.0 });
            for (name, v) in nd.xstats() {
                xstat.add(
                    &[("port", nd.name.as_str()), ("name", name.as_str())],
                    v as f64,
                );
            }
        }
        let mut pmd_fams = [
            (
                "ferrovs_pmd_rx_packets_total",
                "Packets received by the PMD thread.",
            ),
            (
                "ferrovs_pmd_tx_packets_total",
                "Packets the PMD thread handed to tx queues.",
            ),
            (
                "ferrovs_pmd_tx_batches_total",
                "Output batches the PMD thread flushed.",
            ),
            (
                "ferrovs_pmd_tx_dropped_total",
                "Packets tx queues refused from the PMD thread.",
            ),
            (
                "ferrovs_pmd_pipeline_drops_total",
                "Packets the pipeline gave no output.",
            ),
            (
                "ferrovs_pmd_busy_cycles_total",
                "Cycles of iterations that received packets.",
            ),
            (
                "ferrovs_pmd_idle_cycles_total",
                "Cycles of iterations that received nothing.",
            ),
            ("ferrovs_pmd_iterations_total", "Poll loop iterations."),
            (
                "ferrovs_pmd_simple_match_hits_total",
                "Packets whose megaflow depends on the input port alone.",
            ),
            (
                "ferrovs_pmd_emc_hits_total",
                "Packets whose megaflow the exact-match cache found.",
            ),
            (
                "ferrovs_pmd_megaflow_hits_total",
                "Packets whose megaflow the megaflow classifier found.",
            ),
            (
                "ferrovs_pmd_megaflow_subtable_lookups_total",
                "Subtables probed for megaflow hits.",
            ),
            (
                "ferrovs_pmd_upcalls_total",
                "Misses translated and installed as megaflows.",
            ),
            (
                "ferrovs_pmd_failed_upcalls_total",
                "Misses translated but not installed (not cacheable, or no room).",
            ),
            (
                "ferrovs_pmd_lost_upcalls_total",
                "Misses dropped because the batch's upcall budget was spent.",
            ),
        ]
        .map(|(n, h)| Family::new(n, h, COUNTER));
        let mut megaflows = Family::new(
            "ferrovs_pmd_megaflows",
            "Megaflows the PMD thread holds.",
            MetricType::GAUGE,
        );
        for p in &sw.pmds {
            let core = p.pmd.core.to_string();
            let labels = [("core", core.as_str())];
            let c = p.pmd.stats.totals();
            let values = [
                c.rx_packets,
                c.tx_packets,
                c.tx_batches,
                c.tx_dropped,
                c.pipeline_drops,
                c.busy_cycles,
                c.idle_cycles,
                c.iterations,
                c.simple_match_hits,
                c.emc_hits,
                c.megaflow_hits,
                c.megaflow_subtable_lookups,
                c.upcall_ok,
                c.upcall_failed,
                c.upcall_lost,
            ];
            for (fam, v) in pmd_fams.iter_mut().zip(values) {
                fam.add(&labels, v as f64);
            }
            megaflows.add(&labels, c.megaflows as f64);
        }
        let of_fams = openflow_families(sw);
        port_fams
            .into_iter()
            .chain([link, xstat])
            .chain(pmd_fams)
            .chain([megaflows])
            .chain(of_fams)
            .map(|f| f.mf)
            .filter(|mf| !mf.get_metric().is_empty())
            .collect()
    }
}

/// OpenFlow bridges: flows, lookups and matches per table (tables that
/// hold flows or saw lookups), pipeline drops per reason, packet-ins queued
/// and dropped, controller connections and their packet-ins.
fn openflow_families(sw: &Switch) -> Vec<Family> {
    use std::sync::atomic::Ordering::Relaxed;
    use MetricType::{COUNTER, GAUGE};
    let mut active = Family::new("ferrovs_table_active_flows", "Flows in the table.", GAUGE);
    let mut lookups = Family::new(
        "ferrovs_table_lookups_total",
        "Packets looked up in the table.",
        COUNTER,
    );
    let mut matches = Family::new(
        "ferrovs_table_matches_total",
        "Packets that matched a flow of the table.",
        COUNTER,
    );
    let mut drops = Family::new(
        "ferrovs_pipeline_drops_total",
        "Packets the OpenFlow pipeline dropped, by reason.",
        COUNTER,
    );
    let mut pin_queued = Family::new(
        "ferrovs_packet_in_queued_total",
        "Packet-ins the datapath queued for the controllers.",
        COUNTER,
    );
    let mut pin_queue_drops = Family::new(
        "ferrovs_packet_in_queue_drops_total",
        "Packet-ins dropped because the queue to the control thread was full.",
        COUNTER,
    );
    let mut conns = Family::new(
        "ferrovs_openflow_connections",
        "Open OpenFlow connections (controllers and management clients).",
        GAUGE,
    );
    let mut pin_sent = Family::new(
        "ferrovs_packet_ins_sent_total",
        "Packet-ins sent to the connected controllers.",
        COUNTER,
    );
    let mut pin_limited = Family::new(
        "ferrovs_packet_ins_rate_limited_total",
        "Packet-ins the controllers' rate limits dropped.",
        COUNTER,
    );
    let mut ctl_connected = Family::new(
        "ferrovs_controller_connected",
        "1 while a connection of the configured controller target is up (label role).",
        GAUGE,
    );
    let mut ctl_pin_sent = Family::new(
        "ferrovs_controller_packet_ins_sent_total",
        "Packet-ins sent to the controller target, over all its connections.",
        COUNTER,
    );
    let mut ctl_pin_limited = Family::new(
        "ferrovs_controller_packet_ins_rate_limited_total",
        "Packet-ins the controller target's rate limit dropped.",
        COUNTER,
    );
    let mut ctl_async_dropped = Family::new(
        "ferrovs_controller_async_dropped_total",
        "Asynchronous messages dropped because the controller's queue was full.",
        COUNTER,
    );
    for (i, of) in sw.ofprotos.iter().enumerate() {
        let of = crate::ofproto::lock(of);
        let bridge = of.name.as_str();
        for (id, t) in of.tables.tables.iter().enumerate() {
            let n = t.cls.len();
            let l = t.lookups.load(Relaxed);
            if n == 0 && l == 0 && id != 0 {
                continue;
            }
            let table = id.to_string();
            let labels = [("bridge", bridge), ("table", table.as_str())];
            active.add(&labels, n as f64);
            lookups.add(&labels, l as f64);
            matches.add(&labels, t.matches.load(Relaxed) as f64);
        }
        if let Some(Some(p)) = sw.of_pipelines.get(i) {
            for (reason, n) in p.drops() {
                drops.add(&[("bridge", bridge), ("reason", reason.name())], n as f64);
            }
        }
        pin_queued.add(
            &[("bridge", bridge)],
            of.packet_ins.queued.load(Relaxed) as f64,
        );
        pin_queue_drops.add(
            &[("bridge", bridge)],
            of.packet_ins.queue_drops.load(Relaxed) as f64,
        );
        conns.add(&[("bridge", bridge)], of.conns.len() as f64);
        for c in of.controllers() {
            let role = match c.role {
                Some(Role::Master) => "master",
                Some(Role::Slave) => "slave",
                Some(Role::Equal) => "equal",
                None => "none",
            };
            let labels = [("bridge", bridge), ("target", c.target.as_str())];
            ctl_connected.add(
                &[labels[0], labels[1], ("role", role)],
                f64::from(u8::from(c.connected)),
            );
            ctl_pin_sent.add(&labels, c.counters.pin_sent as f64);
            ctl_pin_limited.add(&labels, c.counters.pin_rate_drops as f64);
            ctl_async_dropped.add(&labels, c.counters.async_dropped as f64);
        }
        pin_sent.add(&[("bridge", bridge)], of.pin_sent as f64);
        pin_limited.add(&[("bridge", bridge)], of.pin_rate_drops as f64);
    }
    vec![
        active,
        lookups,
        matches,
        drops,
        pin_queued,
        pin_queue_drops,
        conns,
        pin_sent,
        pin_limited,
        ctl_connected,
        ctl_pin_sent,
        ctl_pin_limited,
        ctl_async_dropped,
    ]
}

/// The text of `/metrics` for `registry`.
pub fn render(registry: &Registry) -> String {
    let mut buf = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&registry.gather(), &mut buf) {
        tracing::warn!("metrics encoding: {e}");
    }
    String::from_utf8(buf).unwrap_or_default()
}

/// Serves `/metrics` on `addr` from a thread of its own. Returns the bound
/// address (useful with port 0).
pub fn serve(addr: &str, registry: Registry) -> Result<std::net::SocketAddr, String> {
    let server = tiny_http::Server::http(addr)
        .map_err(|e| format!("--metrics {addr}: cannot listen: {e}"))?;
    let bound = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| format!("--metrics {addr}: not an IP address"))?;
    thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                let path = request.url().split('?').next().unwrap_or("");
                let response = if path == "/metrics" {
                    let header = tiny_http::Header::from_bytes(
                        &b"Content-Type"[..],
                        &b"text/plain; version=0.0.4; charset=utf-8"[..],
                    )
                    .expect("static header is valid");
                    tiny_http::Response::from_string(render(&registry)).with_header(header)
                } else {
                    tiny_http::Response::from_string("ferrovs: see /metrics\n")
                        .with_status_code(404)
                };
                if let Err(e) = request.respond(response) {
                    tracing::debug!("metrics response: {e}");
                }
            }
        })
        .map_err(|e| format!("cannot start the metrics thread: {e}"))?;
    Ok(bound)
}
