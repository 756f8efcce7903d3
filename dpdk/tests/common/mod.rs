//! Helpers shared by the integration tests: one EAL per test process and
//! a pcap writer.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use dpdk::{Eal, EalBuilder, HugepageMode};

/// A file prefix unique to this process and test binary.
pub fn unique_prefix(tag: &str) -> String {
    format!("ferrovs-test-{tag}-{}", std::process::id())
}

/// Initialises EAL once for the whole test process (cargo test runs a
/// binary's tests as threads; nextest runs each in its own process).
pub fn eal(tag: &str, mode: HugepageMode, mem_mb: &str) -> &'static Eal {
    eal_with(tag, mode, mem_mb, &[])
}

/// As [`eal`], with more EAL arguments.
pub fn eal_with(tag: &str, mode: HugepageMode, mem_mb: &str, extra: &[&str]) -> &'static Eal {
    static EAL: OnceLock<Eal> = OnceLock::new();
    EAL.get_or_init(|| {
        EalBuilder::new("dpdk-test")
            .file_prefix(&unique_prefix(tag))
            .lcores("0")
            .socket_mem(mem_mb)
            .hugepages(mode)
            .extra_args(
                ["--no-pci", "--no-telemetry", "--log-level=lib.eal:error"]
                    .iter()
                    .chain(extra)
                    .map(|s| s.to_string()),
            )
            .init()
            .unwrap_or_else(|e| panic!("EAL init failed: {e}"))
    })
}

/// An Ethernet/IPv4/UDP frame of `len` bytes whose UDP source port is `seq`.
pub fn frame(len: usize, seq: u16) -> Vec<u8> {
    let mut f = vec![0u8; len];
    f[0..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x02]);
    f[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14] = 0x45;
    let ip_len = (len - 14) as u16;
    f[16..18].copy_from_slice(&ip_len.to_be_bytes());
    f[22] = 64;
    f[23] = 17;
    f[26..30].copy_from_slice(&[10, 0, 0, 1]);
    f[30..34].copy_from_slice(&[10, 0, 0, 2]);
    f[34..36].copy_from_slice(&seq.to_be_bytes());
    f[36..38].copy_from_slice(&9u16.to_be_bytes());
    f[38..40].copy_from_slice(&(ip_len - 20).to_be_bytes());
    f
}

/// Writes a classic (microsecond, Ethernet) pcap file of `frames`.
pub fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&(i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    std::fs::File::create(path)
        .and_then(|mut file| file.write_all(&out))
        .expect("write pcap");
}

/// Free bytes of hugepages if `/dev/hugepages` is a mounted hugetlbfs
/// (read independently of the library's own detection), else `None`.
pub fn dev_hugepages_free_bytes() -> Option<u64> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    let mounted = mounts.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 2 && f[1] == "/dev/hugepages" && f[2] == "hugetlbfs"
    });
    if !mounted {
        return None;
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| -> Option<u64> {
        meminfo
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some(field("HugePages_Free:")? * field("Hugepagesize:")? * 1024)
}
