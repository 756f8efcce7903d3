//! Internet checksums (RFC 1071, incremental updates per RFC 1624) and the
//! CRC32c of SCTP (RFC 4960 appendix B).
//!
//! Incremental updates take the old and new bytes of a region that starts
//! at an even offset from the start of the checksummed data (every header
//! field the editor rewrites does) and whose length is even.

/// Adds `bytes` as big-endian 16-bit words to a one's-complement sum
/// (an odd trailing byte is padded with zero).
pub fn sum(mut acc: u32, bytes: &[u8]) -> u32 {
    let mut chunks = bytes.chunks_exact(2);
    for c in &mut chunks {
        acc = acc.wrapping_add(u32::from(u16::from_be_bytes([c[0], c[1]])));
        acc = (acc & 0xffff) + (acc >> 16);
    }
    if let [last] = chunks.remainder() {
        acc = acc.wrapping_add(u32::from(*last) << 8);
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc
}

/// Folds a sum to 16 bits and complements it: the checksum to store.
pub fn finish(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    // Truncation intended: folded to 16 bits above.
    !(acc as u16)
}

/// The checksum of `bytes` (with the checksum field zero, it is the value to
/// store; over data including a correct checksum, it is 0).
pub fn checksum(bytes: &[u8]) -> u16 {
    finish(sum(0, bytes))
}

/// RFC 1624 eqn. 3: the checksum `old_csum` after the 16-bit-aligned region
/// `old` became `new` (same, even length).
pub fn update(old_csum: u16, old: &[u8], new: &[u8]) -> u16 {
    debug_assert_eq!(old.len(), new.len());
    let mut acc = u32::from(!old_csum);
    let mut o = old.chunks_exact(2);
    for (a, b) in (&mut o).zip(new.chunks_exact(2)) {
        acc = acc.wrapping_add(u32::from(!u16::from_be_bytes([a[0], a[1]])));
        acc = acc.wrapping_add(u32::from(u16::from_be_bytes([b[0], b[1]])));
        acc = (acc & 0xffff) + (acc >> 16);
    }
    finish(acc)
}

/// [`update`] for one 16-bit word.
pub fn update16(old_csum: u16, old: u16, new: u16) -> u16 {
    update(old_csum, &old.to_be_bytes(), &new.to_be_bytes())
}

/// Table of the reflected CRC32c polynomial 0x82F63B78.
const CRC32C_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x82f6_3b78
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// CRC32c (Castagnoli) of `bytes`.
pub fn crc32c(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for b in bytes {
        c = CRC32C_TABLE[((c ^ u32::from(*b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// The SCTP checksum of a whole SCTP packet (common header and chunks),
/// computed as if its checksum field (bytes 8..12) were zero, in the byte
/// order it is stored in the header.
pub fn sctp(packet: &[u8]) -> [u8; 4] {
    let mut c = !0u32;
    for (i, b) in packet.iter().enumerate() {
        let b = if (8..12).contains(&i) { 0 } else { *b };
        c = CRC32C_TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    (!c).to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
        // RFC 1071 example words.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(finish(sum(0, &data)), !0xddf2);
        // A real IPv4 header (checksum 0xb861).
        let ip = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(checksum(&ip), 0);
    }

    proptest! {
        #[test]
        fn incremental_equals_full(
            mut data in proptest::collection::vec(any::<u8>(), 2..64usize),
            at in any::<prop::sample::Index>(),
            new in any::<[u8; 4]>(),
        ) {
            if data.len() % 2 == 1 { data.pop(); }
            let csum = checksum(&data);
            let words = data.len() / 2;
            let i = at.index(words) * 2;
            let end = (i + 4).min(data.len());
            let old = data[i..end].to_vec();
            data[i..end].copy_from_slice(&new[..end - i]);
            let inc = update(csum, &old, &data[i..end]);
            let full = checksum(&data);
            // 0x0000 and 0xffff are the same one's-complement number.
            prop_assert!(inc == full || (inc == 0xffff && full == 0) || (inc == 0 && full == 0xffff));
        }
    }
}
