//! Hashing of masked flow-key words.
//!
//! Lookups hash the masked key of a packet once per subtable, stage by stage
//! (the hash of a stage covers every word up to the end of that stage), so
//! the mixing step must be cheap and the result well spread in both the low
//! bits (slot index of the open-addressing tables) and the high ones. Keys are not
//! attacker-chosen in a way that matters here: a collision only makes a
//! bucket longer, never a wrong answer, because buckets compare full keys.

use std::hash::{BuildHasher, Hasher};

/// Starting value of a stage hash chain.
pub(super) const BASIS: u64 = 0x243f_6a88_85a3_08d3;

/// Folds one word into a running hash (FxHash step).
#[inline]
pub(super) fn mix(h: u64, word: u64) -> u64 {
    (h.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// Finishes a running hash (murmur3's 64-bit finalizer), spreading every
/// input bit over the whole result.
#[inline]
pub(super) fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// A fast hasher for word arrays (the writer's mask -> subtable map).
#[derive(Default, Clone, Copy)]
pub(super) struct WordHasher(u64);

impl Hasher for WordHasher {
    #[inline]
    fn finish(&self) -> u64 {
        finish(self.0)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = mix(self.0, u64::from_ne_bytes(w));
        }
        for b in chunks.remainder() {
            self.0 = mix(self.0, u64::from(*b));
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = mix(self.0, n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0 = mix(self.0, n as u64);
    }
}

/// [`BuildHasher`] of [`WordHasher`].
#[derive(Default, Clone, Copy)]
pub(super) struct WordHasherState;

impl BuildHasher for WordHasherState {
    type Hasher = WordHasher;

    #[inline]
    fn build_hasher(&self) -> WordHasher {
        WordHasher(BASIS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn finish_spreads_single_bit_changes() {
        // Keys that differ in one bit of one word must land in different
        // low-bit buckets and high-bit tags most of the time.
        let mut low = HashSet::new();
        let mut high = HashSet::new();
        for bit in 0..64 {
            let h = finish(mix(BASIS, 1u64 << bit));
            low.insert(h & 0xff);
            high.insert(h >> 57);
        }
        assert!(low.len() > 40, "low bits poorly spread: {}", low.len());
        assert!(high.len() > 30, "high bits poorly spread: {}", high.len());
    }

    #[test]
    fn word_hasher_depends_on_every_word() {
        let s = WordHasherState;
        let a = s.hash_one([1u64, 2, 3]);
        assert_ne!(a, s.hash_one([1u64, 2, 4]));
        assert_ne!(a, s.hash_one([0u64, 2, 3]));
        assert_eq!(a, s.hash_one([1u64, 2, 3]));
    }
}
