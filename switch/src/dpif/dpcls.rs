//! The megaflow classifier of one PMD (Open vSwitch's `dpcls`).
//!
//! A megaflow is a masked key (the fields the OpenFlow pipeline consulted
//! for a packet) with the datapath actions that pipeline chose. Megaflows
//! with the same mask share a subtable, a hash table keyed by the masked
//! fields; a lookup probes the subtables in order of their recent hits
//! (re-sorted every [`RESORT_EVERY`] lookups), so the common masks are
//! tried first. Sizes are bounded: at most `max_flows` megaflows and
//! `max_subtables` masks. An insert beyond either bound is refused (the
//! packet takes the slow path and the refusal is counted), so a traffic
//! pattern that would explode the tuple space cannot slow down established
//! flows by growing the list of subtables every lookup walks.
//!
//! Entries live in a slab; a [`MegaflowRef`] carries the slot's generation,
//! so a reference held by the exact-match cache after the megaflow was
//! removed is recognised as stale.
//!
//! A batch of packets is looked up in two steps so that the entries'
//! cache misses overlap instead of following one another: [`Dpcls::probe`]
//! finds each packet's candidate entries from the subtables' hash tags
//! alone (without reading the entries) and the caller prefetches them;
//! [`Dpcls::confirm`] then compares the keys.
//!
//! Single-threaded: each PMD owns its classifier; nothing here locks.

use hashbrown::HashTable;

use super::prefetch_bytes;
use crate::flow::Flow;

/// Lookups between two re-sorts of the subtables by hits.
pub const RESORT_EVERY: u64 = 1 << 16;

/// A reference to a megaflow that stays recognisable after its slot is
/// reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MegaflowRef {
    /// Slab index.
    pub idx: u32,
    /// Generation of the slot when the reference was taken (0: none).
    pub gen: u32,
}

/// One megaflow. Laid out in this order (`repr(C)`): what a hit reads
/// (version, counters, actions) first, then the key, whose first words
/// a lookup compares, then the mask, which only inserts and removals read.
#[derive(Debug, Clone)]
#[repr(C)]
pub struct Megaflow<A> {
    /// The pipeline version the actions were translated at.
    pub version: u64,
    /// Packets that hit it.
    pub packets: u64,
    /// Bytes of those packets.
    pub bytes: u64,
    /// When it was last hit (caller's clock, e.g. seconds).
    pub used: u64,
    /// What to do with matching packets.
    pub actions: A,
    /// The key, already masked.
    pub key: Flow,
    /// The mask.
    pub mask: Flow,
}

impl<A> Megaflow<A> {
    /// Counts `packets` packets of `bytes` bytes that hit it at `now`.
    pub fn hit(&mut self, packets: u64, bytes: u64, now: u64) {
        self.packets += packets;
        self.bytes += bytes;
        self.used = now;
    }
}

#[repr(C)]
struct Slot<A> {
    gen: u32,
    flow: Option<Megaflow<A>>,
}

struct Subtable {
    mask: Flow,
    /// `mask.word_map()`: the only words hashed and compared.
    map: u32,
    /// Slab indices, hashed by the masked key.
    table: HashTable<u32>,
    /// Hits since the last re-sort.
    hits: u64,
}

/// Candidates per probe; a probe that meets more falls back to a full
/// lookup.
const PROBE_CANDIDATES: usize = 2;

/// What [`Dpcls::probe`] found for a packet: the entries of the first
/// subtable (in lookup order) whose hash tags matched the packet's masked
/// hash. A subtable with no such entry cannot hold a match, so a probe
/// with no candidate is a miss.
#[derive(Debug, Clone, Copy, Default)]
pub struct Probe {
    /// Slab indices of the candidates.
    cands: [u32; PROBE_CANDIDATES],
    /// How many of `cands` are set; more than [`PROBE_CANDIDATES`] means
    /// "too many, look up in full".
    n: u8,
    /// Position of their subtable.
    subtable: u32,
    /// Subtables probed, theirs included.
    probed: u32,
    /// The classifier's subtable order the positions refer to.
    epoch: u64,
}

/// Why an insert was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertError {
    /// `max_flows` megaflows exist.
    Full,
    /// The mask would be a new subtable beyond `max_subtables`.
    TooManySubtables,
}

/// The megaflow classifier of one PMD.
pub struct Dpcls<A> {
    subtables: Vec<Subtable>,
    slab: Vec<Slot<A>>,
    free: Vec<u32>,
    live: usize,
    max_flows: usize,
    max_subtables: usize,
    lookups: u64,
    /// Changes whenever a subtable is added, removed or moved, so that a
    /// [`Probe`] taken before knows its positions are stale.
    epoch: u64,
}

impl<A> Dpcls<A> {
    /// An empty classifier of at most `max_flows` megaflows under at most
    /// `max_subtables` masks.
    pub fn new(max_flows: usize, max_subtables: usize) -> Self {
        Dpcls {
            subtables: Vec::new(),
            slab: Vec::new(),
            free: Vec::new(),
            live: 0,
            max_flows: max_flows.max(1),
            max_subtables: max_subtables.max(1),
            lookups: 0,
            epoch: 0,
        }
    }

    /// Number of megaflows.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when there is no megaflow.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Number of subtables (distinct masks).
    pub fn subtables(&self) -> usize {
        self.subtables.len()
    }

    /// The megaflow `r` refers to, unless it was removed since.
    pub fn get(&self, r: MegaflowRef) -> Option<&Megaflow<A>> {
        let s = self.slab.get(r.idx as usize)?;
        if s.gen != r.gen {
            return None;
        }
        s.flow.as_ref()
    }

    /// [`Dpcls::get`], writable.
    pub fn get_mut(&mut self, r: MegaflowRef) -> Option<&mut Megaflow<A>> {
        let s = self.slab.get_mut(r.idx as usize)?;
        if s.gen != r.gen {
            return None;
        }
        s.flow.as_mut()
    }

    fn flow_at(&self, idx: u32) -> &Megaflow<A> {
        self.slab[idx as usize]
            .flow
            .as_ref()
            .expect("subtables index live slots only")
    }

    fn reference(&self, idx: u32) -> MegaflowRef {
        MegaflowRef {
            idx,
            gen: self.slab[idx as usize].gen,
        }
    }

    /// The megaflow matching `flow` and the number of subtables probed.
    /// Masks of one classifier never overlap in what they select for one
    /// packet (each packet's megaflow is installed under the mask its own
    /// translation produced), so the first match is the only one.
    pub fn lookup(&mut self, flow: &Flow) -> (Option<MegaflowRef>, u32) {
        self.count_lookup();
        let mut probed = 0;
        for st_i in 0..self.subtables.len() {
            probed += 1;
            let st = &self.subtables[st_i];
            let h = flow.hash_in(&st.mask, st.map, 0);
            let found = st
                .table
                .find(h, |&i| flow.eq_in(&self.flow_at(i).key, &st.mask, st.map));
            if let Some(&i) = found {
                self.subtables[st_i].hits += 1;
                return (Some(self.reference(i)), probed);
            }
        }
        (None, probed)
    }

    fn count_lookup(&mut self) {
        self.lookups += 1;
        if self.lookups.is_multiple_of(RESORT_EVERY) {
            self.resort();
        }
    }

    /// The first step of a batched lookup: `flow`'s candidate entries,
    /// found from the subtables' hash tags without reading any entry
    /// (prefetch them with [`Dpcls::prefetch_probe`], then
    /// [`Dpcls::confirm`]).
    #[inline]
    pub fn probe(&self, flow: &Flow) -> Probe {
        let mut p = Probe {
            epoch: self.epoch,
            ..Probe::default()
        };
        for (st_i, st) in self.subtables.iter().enumerate() {
            p.probed += 1;
            let h = flow.hash_in(&st.mask, st.map, 0);
            // The closure sees only entries whose tag matched; refusing
            // them all walks the whole probe sequence.
            st.table.find(h, |&i| {
                if let Some(c) = p.cands.get_mut(usize::from(p.n)) {
                    *c = i;
                }
                p.n = p.n.saturating_add(1);
                false
            });
            if p.n > 0 {
                p.subtable = st_i as u32;
                break;
            }
        }
        p
    }

    /// Prefetches the entries `p` names.
    #[inline]
    pub fn prefetch_probe(&self, p: &Probe) {
        for &i in &p.cands[..usize::from(p.n).min(PROBE_CANDIDATES)] {
            self.prefetch(i);
        }
    }

    /// Prefetches what a hit on the megaflow in slab slot `idx` reads:
    /// all but the mask and the key's last words.
    #[inline]
    pub fn prefetch(&self, idx: u32) {
        /// The key's words a lookup usually compares (see `Flow`'s hot words).
        const KEY_HOT: usize = 48;
        let hot = std::mem::size_of::<Slot<A>>() - 2 * std::mem::size_of::<Flow>() + KEY_HOT;
        if let Some(slot) = self.slab.get(idx as usize) {
            prefetch_bytes((slot as *const Slot<A>).cast(), hot);
        }
    }

    /// The second step of a batched lookup: what [`Dpcls::lookup`] would
    /// return for `flow`, given its [`Dpcls::probe`] `p` (a probe taken
    /// before the subtables changed, or with too many candidates, is
    /// looked up in full).
    #[inline]
    pub fn confirm(&mut self, flow: &Flow, p: &Probe) -> (Option<MegaflowRef>, u32) {
        if p.epoch != self.epoch || usize::from(p.n) > PROBE_CANDIDATES {
            return self.lookup(flow);
        }
        if p.n == 0 {
            self.count_lookup();
            return (None, p.probed);
        }
        let st_i = p.subtable as usize;
        let st = &self.subtables[st_i];
        let found = p.cands[..usize::from(p.n)].iter().copied().find(|&i| {
            self.slab[i as usize]
                .flow
                .as_ref()
                .is_some_and(|m| flow.eq_in(&m.key, &st.mask, st.map))
        });
        match found {
            Some(i) => {
                self.subtables[st_i].hits += 1;
                let r = self.reference(i);
                self.count_lookup();
                (Some(r), p.probed)
            }
            // The tags matched other keys: the match, if any, is in a
            // later subtable.
            None => self.lookup(flow),
        }
    }

    /// Installs a megaflow for `key` under `mask`; a megaflow with the
    /// same masked key is replaced.
    pub fn insert(
        &mut self,
        key: &Flow,
        mask: &Flow,
        actions: A,
        version: u64,
        now: u64,
    ) -> Result<MegaflowRef, InsertError> {
        let key = key.and(mask);
        let st_i = match self.subtables.iter().position(|s| s.mask == *mask) {
            Some(i) => i,
            None if self.subtables.len() >= self.max_subtables => {
                return Err(InsertError::TooManySubtables)
            }
            None => {
                self.subtables.push(Subtable {
                    mask: *mask,
                    map: mask.word_map(),
                    table: HashTable::new(),
                    hits: 0,
                });
                self.epoch += 1;
                self.subtables.len() - 1
            }
        };
        let h = key.hash_masked(mask, 0);
        let existing = self.subtables[st_i]
            .table
            .find(h, |&i| self.flow_at(i).key == key)
            .copied();
        let megaflow = Megaflow {
            key,
            mask: *mask,
            actions,
            version,
            packets: 0,
            bytes: 0,
            used: now,
        };
        if let Some(i) = existing {
            // Same masked key: the new translation replaces the old one
            // (a new generation, so cached references to the old one miss).
            let slot = &mut self.slab[i as usize];
            slot.gen = slot.gen.wrapping_add(1).max(1);
            slot.flow = Some(megaflow);
            return Ok(self.reference(i));
        }
        if self.live >= self.max_flows {
            if self.subtables[st_i].table.is_empty() {
                self.subtables.remove(st_i);
                self.epoch += 1;
            }
            return Err(InsertError::Full);
        }
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slab.push(Slot { gen: 0, flow: None });
                (self.slab.len() - 1) as u32
            }
        };
        let slot = &mut self.slab[idx as usize];
        slot.gen = slot.gen.wrapping_add(1).max(1);
        slot.flow = Some(megaflow);
        self.live += 1;
        let slab = &self.slab;
        self.subtables[st_i].table.insert_unique(h, idx, |&i| {
            let m = slab[i as usize].flow.as_ref().expect("live slot");
            m.key.hash_masked(&m.mask, 0)
        });
        Ok(self.reference(idx))
    }

    /// Removes the megaflow `r` refers to; false if it was already gone.
    pub fn remove(&mut self, r: MegaflowRef) -> bool {
        let Some(m) = self.get(r) else {
            return false;
        };
        let (key, mask) = (m.key, m.mask);
        let Some(st_i) = self.subtables.iter().position(|s| s.mask == mask) else {
            return false;
        };
        let h = key.hash_masked(&mask, 0);
        if let Ok(entry) = self.subtables[st_i].table.find_entry(h, |&i| i == r.idx) {
            entry.remove();
        }
        if self.subtables[st_i].table.is_empty() {
            self.subtables.remove(st_i);
            self.epoch += 1;
        }
        let slot = &mut self.slab[r.idx as usize];
        slot.flow = None;
        slot.gen = slot.gen.wrapping_add(1).max(1);
        self.free.push(r.idx);
        self.live -= 1;
        true
    }

    /// Removes the megaflows `keep` rejects (e.g. unused for a while);
    /// returns how many went.
    pub fn retain(&mut self, mut keep: impl FnMut(&Megaflow<A>) -> bool) -> usize {
        let gone: Vec<MegaflowRef> = (0..self.slab.len() as u32)
            .filter(|&i| {
                self.slab[i as usize]
                    .flow
                    .as_ref()
                    .is_some_and(|m| !keep(m))
            })
            .map(|i| self.reference(i))
            .collect();
        gone.iter().filter(|r| self.remove(**r)).count()
    }

    /// Puts the subtables with the most hits first and restarts counting.
    pub fn resort(&mut self) {
        self.subtables.sort_by_key(|s| std::cmp::Reverse(s.hits));
        self.epoch += 1;
        for s in &mut self.subtables {
            s.hits = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Field;

    fn flow(in_port: u32, eth_type: u16, tp_dst: u16) -> Flow {
        let mut f = Flow::ZERO;
        Field::InPort.set(&mut f, u128::from(in_port));
        Field::EthType.set(&mut f, u128::from(eth_type));
        Field::TcpDst.set(&mut f, u128::from(tp_dst));
        f
    }

    fn mask(fields: &[Field]) -> Flow {
        let mut m = Flow::ZERO;
        for f in fields {
            f.set(&mut m, f.all_ones());
        }
        m
    }

    #[test]
    fn masked_lookup_insert_replace_remove() {
        let mut c: Dpcls<&str> = Dpcls::new(100, 10);
        let by_port = mask(&[Field::InPort]);
        let by_dst = mask(&[Field::InPort, Field::EthType, Field::TcpDst]);
        let a = c.insert(&flow(1, 0x800, 80), &by_port, "a", 1, 0).unwrap();
        let b = c.insert(&flow(2, 0x800, 80), &by_dst, "b", 1, 0).unwrap();
        assert_eq!((c.len(), c.subtables()), (2, 2));
        // Port 1, any tp_dst: a. Port 2 with 80: b; with 81: nothing.
        assert_eq!(c.lookup(&flow(1, 0x806, 9)).0, Some(a));
        assert_eq!(c.lookup(&flow(2, 0x800, 80)).0, Some(b));
        let (miss, probed) = c.lookup(&flow(2, 0x800, 81));
        assert_eq!((miss, probed), (None, 2));
        assert_eq!(c.get(a).unwrap().actions, "a");
        // Same masked key: replaced, the old reference is stale.
        let a2 = c.insert(&flow(1, 0, 0), &by_port, "a2", 2, 0).unwrap();
        assert_eq!(a2.idx, a.idx);
        assert!(c.get(a).is_none());
        assert_eq!(c.get(a2).unwrap().actions, "a2");
        assert_eq!(c.len(), 2);
        // Removing the last flow of a mask removes its subtable.
        assert!(c.remove(b));
        assert!(!c.remove(b));
        assert_eq!((c.len(), c.subtables()), (1, 1));
        assert_eq!(c.lookup(&flow(2, 0x800, 80)).0, None);
        // A freed slot is reused under a new generation.
        let d = c.insert(&flow(3, 0, 0), &by_port, "d", 2, 0).unwrap();
        assert_eq!(d.idx, b.idx);
        assert_ne!(d.gen, b.gen);
        assert!(c.get(b).is_none());
    }

    #[test]
    fn bounds_refuse_and_keep_established_flows() {
        let mut c: Dpcls<u32> = Dpcls::new(3, 2);
        let m1 = mask(&[Field::InPort]);
        let m2 = mask(&[Field::InPort, Field::TcpDst]);
        let m3 = mask(&[Field::EthType]);
        c.insert(&flow(1, 0, 0), &m1, 1, 1, 0).unwrap();
        c.insert(&flow(2, 0, 5), &m2, 2, 1, 0).unwrap();
        assert_eq!(
            c.insert(&flow(0, 0x800, 0), &m3, 3, 1, 0),
            Err(InsertError::TooManySubtables)
        );
        c.insert(&flow(3, 0, 0), &m1, 3, 1, 0).unwrap();
        assert_eq!(
            c.insert(&flow(4, 0, 0), &m1, 4, 1, 0),
            Err(InsertError::Full)
        );
        assert_eq!(c.subtables(), 2);
        assert!(c.lookup(&flow(1, 0, 0)).0.is_some());
        assert!(c.lookup(&flow(2, 0, 5)).0.is_some());
    }

    /// The batched lookup (probe, then confirm) finds what the plain one
    /// finds: with many entries sharing hash tags, with probes taken before
    /// the subtables moved, and for misses.
    #[test]
    fn probe_and_confirm_equal_lookup() {
        let mut c: Dpcls<u32> = Dpcls::new(100_000, 10);
        let by_port_dst = mask(&[Field::InPort, Field::TcpDst]);
        let by_type = mask(&[Field::InPort, Field::EthType]);
        for dst in 0..20_000u16 {
            c.insert(&flow(1, 0, dst), &by_port_dst, u32::from(dst), 1, 0)
                .unwrap();
        }
        c.insert(&flow(2, 0x800, 0), &by_type, 99, 1, 0).unwrap();
        let probes: Vec<(Flow, Probe)> = (0..25_000u16)
            .map(|dst| {
                let f = flow(1 + u32::from(dst % 3 == 0), 0x800, dst);
                (f, c.probe(&f))
            })
            .collect();
        let (mut many, mut hits) = (0, 0);
        for (i, (f, p)) in probes.iter().enumerate() {
            if i == 12_345 {
                // The subtables move: later probes must not trust their
                // positions.
                c.resort();
            }
            many += usize::from(p.n > 1);
            let got = c.confirm(f, p);
            let want = c.lookup(f);
            assert_eq!(got.0, want.0, "{f:?}");
            hits += usize::from(got.0.is_some());
            if i < 12_345 {
                assert_eq!(got.1, want.1, "subtables probed");
            }
        }
        assert!(many > 0, "some probes met more than one tag match");
        assert!(hits > 10_000 && hits < 25_000, "{hits} hits");
    }

    #[test]
    fn hot_subtables_come_first_and_idle_flows_go() {
        let mut c: Dpcls<u32> = Dpcls::new(100, 10);
        let cold = mask(&[Field::InPort, Field::TcpDst]);
        let hot = mask(&[Field::InPort]);
        c.insert(&flow(1, 0, 1), &cold, 1, 1, 0).unwrap();
        c.insert(&flow(2, 0, 0), &hot, 2, 1, 10).unwrap();
        for _ in 0..5 {
            assert_eq!(c.lookup(&flow(2, 0, 0)).1, 2, "cold subtable first");
        }
        c.resort();
        assert_eq!(c.lookup(&flow(2, 0, 0)).1, 1, "hot subtable first");
        assert_eq!(c.retain(|m| m.used >= 5), 1);
        assert_eq!((c.len(), c.subtables()), (1, 1));
    }
}
