//! DPDK log messages reach `tracing` once routed.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use dpdk::{HugepageMode, Port};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn eal_and_probe_messages_become_tracing_events() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .init();
    dpdk::route_logs_to_tracing().unwrap();
    dpdk::route_logs_to_tracing().unwrap();
    let eal = common::eal("log", HugepageMode::Disabled, "64");
    let err = Port::probe(eal, "net_bogusdriver0").unwrap_err();
    assert!(err.to_string().contains("net_bogusdriver0"));
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("dpdk:") && l.contains("net_bogusdriver0"))
        .unwrap_or_else(|| panic!("no DPDK event about the devargs in:\n{text}"));
    assert!(line.contains("ERROR"), "{line}");
}
