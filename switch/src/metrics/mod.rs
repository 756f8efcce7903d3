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
        ]
        .map(|(n, h)| Family::new(n, h, COUNTER));
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
            ];
            for (fam, v) in pmd_fams.iter_mut().zip(values) {
                fam.add(&labels, v as f64);
            }
        }
        port_fams
            .into_iter()
            .chain([link, xstat])
            .chain(pmd_fams)
            .map(|f| f.mf)
            .filter(|mf| !mf.get_metric().is_empty())
            .collect()
    }
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
