//! A pcap writer for test traffic: Ethernet/IPv4/UDP frames of one size,
//! spread over a number of flows (distinct UDP source ports and IPv4
//! addresses), with correct IPv4 checksums.

use std::io::{self, Write};
use std::path::Path;

/// Builds the frame of flow `i` (of `frame_len` bytes without FCS, at least 60).
pub fn udp_frame(i: u32, frame_len: usize) -> Vec<u8> {
    let frame_len = frame_len.max(60);
    let mut f = Vec::with_capacity(frame_len);
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02]); // dst
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]); // src
    f.extend_from_slice(&0x0800u16.to_be_bytes());
    let ip_len = (frame_len - 14) as u16;
    let src = [10, 0, (i >> 8) as u8, i as u8];
    let dst = [10, 1, 0, 1];
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&ip_len.to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    let csum = ipv4_checksum(&ip);
    ip[10..12].copy_from_slice(&csum.to_be_bytes());
    f.extend_from_slice(&ip);
    let udp_len = ip_len - 20;
    f.extend_from_slice(&(1024 + (i % 60000) as u16).to_be_bytes());
    f.extend_from_slice(&5001u16.to_be_bytes());
    f.extend_from_slice(&udp_len.to_be_bytes());
    f.extend_from_slice(&[0, 0]); // no UDP checksum (allowed for IPv4)
    f.resize(frame_len, 0x5a);
    f
}

/// The IPv4 header checksum.
pub fn ipv4_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Writes a pcap of `flows` frames of `frame_len` bytes, one per flow.
pub fn write_udp_flows(path: &Path, flows: u32, frame_len: usize) -> io::Result<()> {
    write_frames(path, (0..flows).map(|i| udp_frame(i, frame_len)))
}

/// Writes `frames` as a pcap file (Ethernet link type), one microsecond
/// apart.
pub fn write_frames(path: &Path, frames: impl IntoIterator<Item = Vec<u8>>) -> io::Result<()> {
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    // Global header: magic, v2.4, GMT offset, accuracy, snaplen, Ethernet.
    out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
    out.write_all(&2u16.to_le_bytes())?;
    out.write_all(&4u16.to_le_bytes())?;
    out.write_all(&0i32.to_le_bytes())?;
    out.write_all(&0u32.to_le_bytes())?;
    out.write_all(&65535u32.to_le_bytes())?;
    out.write_all(&1u32.to_le_bytes())?;
    for (i, frame) in frames.into_iter().enumerate() {
        let i = i as u32;
        out.write_all(&(i / 1_000_000).to_le_bytes())?;
        out.write_all(&(i % 1_000_000).to_le_bytes())?;
        out.write_all(&(frame.len() as u32).to_le_bytes())?;
        out.write_all(&(frame.len() as u32).to_le_bytes())?;
        out.write_all(&frame)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_valid_headers() {
        let f = udp_frame(300, 64);
        assert_eq!(f.len(), 64);
        assert_eq!(&f[12..14], &[0x08, 0x00]);
        assert_eq!(
            ipv4_checksum(&f[14..34]),
            0,
            "checksum over a valid header is 0"
        );
        assert_eq!(u16::from_be_bytes([f[16], f[17]]), 50);
        assert_eq!(&f[26..30], &[10, 0, 1, 44]);
        assert_ne!(udp_frame(1, 64), udp_frame(2, 64));
    }

    #[test]
    fn pcap_layout() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.pcap");
        write_udp_flows(&p, 3, 64).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(bytes.len(), 24 + 3 * (16 + 64));
        assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    }
}
