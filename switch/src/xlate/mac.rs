//! The MAC learning table behind the NORMAL action and fail-open mode.
//!
//! A bridge learns, per VLAN, on which OpenFlow port each source MAC
//! address was last seen; NORMAL then sends a packet for a known unicast
//! destination to that port only and floods the rest. Entries age out
//! after `mac-aging-time` seconds (Open vSwitch's `other_config`, default
//! 300) and the table holds at most `mac-table-size` entries (default
//! 8192), replacing the oldest entry of a full bucket.
//!
//! PMDs learn and look up concurrently without locks: each entry is two
//! atomic words (the key, then the port and time). A writer of a new
//! address claims the slot by swapping its key for a busy mark (one
//! compare-and-swap; a writer that loses the race skips this packet and
//! learns on the next), writes the value, then publishes the key. Readers
//! read key, value, key, so no reader ever pairs an address with another
//! address's port.

use std::sync::atomic::{AtomicU64, Ordering};

/// The key of a slot being written.
const BUSY: u64 = 1;
/// Slots per bucket (a cache line of four entries).
const WAYS: usize = 4;
/// `mac-aging-time` default, seconds.
pub const DEFAULT_AGING_SECS: u32 = 300;
/// `mac-table-size` default.
pub const DEFAULT_SIZE: usize = 8192;

/// One learned address: `key` is 0 when empty, [`BUSY`] while a writer
/// fills it, else `1 << 63 | vlan << 48 | mac`; `val` is `port << 32 |
/// seconds`.
#[derive(Default)]
struct Slot {
    key: AtomicU64,
    val: AtomicU64,
}

/// A learned entry, for `fdb/show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacEntry {
    /// OpenFlow port.
    pub port: u32,
    /// VLAN id (0: untagged).
    pub vlan: u16,
    /// The address.
    pub mac: [u8; 6],
    /// Seconds since it was last seen.
    pub age: u32,
}

/// A bridge's MAC learning table.
pub struct MacTable {
    slots: Box<[Slot]>,
    buckets_mask: usize,
    aging_secs: u32,
}

impl Default for MacTable {
    fn default() -> Self {
        MacTable::new(DEFAULT_SIZE, DEFAULT_AGING_SECS)
    }
}

fn key_of(vlan: u16, mac: u64) -> u64 {
    1 << 63 | u64::from(vlan & 0xfff) << 48 | (mac & 0xffff_ffff_ffff)
}

/// Whether `mac` (48 bits, first octet highest) is a group address.
pub fn is_multicast(mac: u64) -> bool {
    mac & (1 << 40) != 0
}

impl MacTable {
    /// A table of at least `size` entries (rounded up to whole buckets, a
    /// power of two of them) whose entries live `aging_secs` seconds.
    pub fn new(size: usize, aging_secs: u32) -> Self {
        let buckets = size.div_ceil(WAYS).max(1).next_power_of_two();
        MacTable {
            slots: (0..buckets * WAYS).map(|_| Slot::default()).collect(),
            buckets_mask: buckets - 1,
            aging_secs: aging_secs.max(1),
        }
    }

    /// Entries the table can hold.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn bucket(&self, key: u64) -> &[Slot] {
        // Multiplicative hash: the high bits mix every bit of the key.
        let h = key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
        let b = (h as usize) & self.buckets_mask;
        &self.slots[b * WAYS..(b + 1) * WAYS]
    }

    /// Records that `mac` on `vlan` was seen on `port` at `now_secs`
    /// (seconds of any monotonic clock shared by the callers).
    pub fn learn(&self, vlan: u16, mac: u64, port: u32, now_secs: u32) {
        let key = key_of(vlan, mac);
        let val = u64::from(port) << 32 | u64::from(now_secs);
        let bucket = self.bucket(key);
        for s in bucket {
            if s.key.load(Ordering::Acquire) == key {
                let old = s.val.load(Ordering::Relaxed);
                // Rewrite only on a move or once a second: no cache-line
                // traffic per packet for a known address.
                if old >> 32 != u64::from(port) || (old as u32) != now_secs {
                    s.val.store(val, Ordering::Release);
                }
                return;
            }
        }
        // A new address: an empty or expired slot, else the oldest.
        let (victim, old_key) = bucket
            .iter()
            .map(|s| (s, s.key.load(Ordering::Relaxed)))
            .filter(|(_, k)| *k != BUSY)
            .min_by_key(|(s, k)| {
                let seen = s.val.load(Ordering::Relaxed) as u32;
                (
                    *k != 0 && now_secs.wrapping_sub(seen) < self.aging_secs,
                    seen,
                )
            })
            .unwrap_or((&bucket[0], BUSY));
        if old_key == BUSY
            || victim
                .key
                .compare_exchange(old_key, BUSY, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        victim.val.store(val, Ordering::Release);
        victim.key.store(key, Ordering::Release);
    }

    /// The port `mac` on `vlan` was last seen on, unless it aged out.
    pub fn lookup(&self, vlan: u16, mac: u64, now_secs: u32) -> Option<u32> {
        let key = key_of(vlan, mac);
        for s in self.bucket(key) {
            if s.key.load(Ordering::Acquire) != key {
                continue;
            }
            let val = s.val.load(Ordering::Acquire);
            if s.key.load(Ordering::Acquire) != key {
                return None;
            }
            let fresh = now_secs.wrapping_sub(val as u32) < self.aging_secs;
            return fresh.then_some((val >> 32) as u32);
        }
        None
    }

    /// Forgets every address learned on `port` (the port went away).
    pub fn flush_port(&self, port: u32) {
        for s in self.slots.iter() {
            let key = s.key.load(Ordering::Relaxed);
            if key > BUSY && s.val.load(Ordering::Relaxed) >> 32 == u64::from(port) {
                // A writer that claimed the slot meanwhile keeps it.
                let _ = s
                    .key
                    .compare_exchange(key, 0, Ordering::AcqRel, Ordering::Relaxed);
            }
        }
    }

    /// The live entries at `now_secs`, by port, VLAN and address.
    pub fn entries(&self, now_secs: u32) -> Vec<MacEntry> {
        let mut out: Vec<MacEntry> = self
            .slots
            .iter()
            .filter_map(|s| {
                let key = s.key.load(Ordering::Acquire);
                let val = s.val.load(Ordering::Acquire);
                let age = now_secs.wrapping_sub(val as u32);
                (key > BUSY && age < self.aging_secs).then(|| {
                    let m = key & 0xffff_ffff_ffff;
                    MacEntry {
                        port: (val >> 32) as u32,
                        vlan: ((key >> 48) & 0xfff) as u16,
                        mac: std::array::from_fn(|i| (m >> (40 - 8 * i)) as u8),
                        age,
                    }
                })
            })
            .collect();
        out.sort_by_key(|e| (e.port, e.vlan, e.mac));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: u64 = 0x0200_0000_000a;
    const B: u64 = 0x0200_0000_000b;

    #[test]
    fn learns_moves_and_ages() {
        let t = MacTable::new(64, 10);
        assert_eq!(t.lookup(0, A, 0), None);
        t.learn(0, A, 1, 100);
        assert_eq!(t.lookup(0, A, 100), Some(1));
        assert_eq!(t.lookup(5, A, 100), None, "per VLAN");
        t.learn(0, A, 2, 103);
        assert_eq!(t.lookup(0, A, 105), Some(2), "moved");
        assert_eq!(t.lookup(0, A, 112), Some(2));
        assert_eq!(t.lookup(0, A, 113), None, "aged out");
        t.learn(7, B, 3, 200);
        assert_eq!(
            t.entries(201),
            vec![MacEntry {
                port: 3,
                vlan: 7,
                mac: [2, 0, 0, 0, 0, 0x0b],
                age: 1
            }]
        );
        t.flush_port(3);
        assert_eq!(t.lookup(7, B, 201), None);
    }

    #[test]
    fn a_full_table_replaces_the_oldest_entry_of_a_bucket() {
        let t = MacTable::new(4, 300);
        assert_eq!(t.capacity(), 4, "one bucket");
        for i in 0..4u64 {
            t.learn(0, A + i, i as u32 + 1, 10 + i as u32);
        }
        t.learn(0, B + 100, 9, 20);
        assert_eq!(t.lookup(0, A, 20), None, "the oldest went");
        assert_eq!(t.lookup(0, A + 1, 20), Some(2));
        assert_eq!(t.lookup(0, B + 100, 20), Some(9));
        assert_eq!(t.entries(20).len(), 4);
    }

    #[test]
    fn concurrent_learners_keep_every_entry_whole() {
        let t = MacTable::new(1024, 300);
        std::thread::scope(|s| {
            for w in 0..4u32 {
                let t = &t;
                s.spawn(move || {
                    for round in 0..200u32 {
                        for i in 0..256u64 {
                            // Each address always on the same port.
                            t.learn(0, A + i, (i % 8) as u32 + 1, round + w);
                        }
                    }
                });
            }
        });
        for e in t.entries(300) {
            let mac = e.mac.iter().fold(0u64, |m, b| m << 8 | u64::from(*b));
            assert_eq!(u64::from(e.port), (mac - A) % 8 + 1, "{e:?}");
        }
        assert!(is_multicast(0xffff_ffff_ffff) && !is_multicast(A));
    }
}
