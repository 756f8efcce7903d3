//! [`Flow`]: the exact-match key (and, the same type, its mask).
//!
//! A flow is [`FLOW_WORDS`] 64-bit words. Every field sits at a fixed bit
//! range of one word ([`Slot`]), except the 128-bit IPv6 addresses, which
//! take two words (high half first). Fields that never occur together share
//! storage, as in Open vSwitch: ARP SPA/TPA live in the IPv4 addresses, ARP
//! SHA/THA in the ND SLL/TLL, ICMP type/code in the L4 ports. The key of a
//! packet always has the bits of absent fields zero.
//!
//! | word | bits 63..48 | 47..32 | 31..16 | 15..0 |
//! |---|---|---|---|---|
//! | 0 | in_port (hi) | in_port (lo) | eth_type | vlan_tci (outer) |
//! | 1 | eth_dst | eth_dst | eth_dst | ip_proto (15..8), ip_tos (7..0) |
//! | 2 | eth_src | eth_src | eth_src | ip_ttl (15..8), ip_frag (7..0) |
//! | 3 | ipv4_src / arp_spa | | ipv4_dst / arp_tpa | |
//! | 4 | tp_src / icmp_type | tp_dst / icmp_code | tcp_flags | arp_op |
//! | 5 | mpls_lse (label 20, tc 3, bos 1, ttl 8) | | ipv6_flabel (20 bits) | |
//! | 6–7 | ipv6_src | | | |
//! | 8–9 | ipv6_dst | | | |
//! | 10 | metadata | | | |
//! | 11 | tunnel_id | | | |
//! | 12 | in_phy_port | | pbb_isid (31..8) | pbb_uca (7..0) |
//! | 13 | ipv6_exthdr | vlan_tci (inner) | 0 | 0 |
//! | 14–15 | nd_target | | | |
//! | 16 | nd_sll / arp_sha | | | 0 |
//! | 17 | nd_tll / arp_tha | | | 0 |
//!
//! The hot fields of the fast path (in_port, Ethernet, VLAN, IP protocol,
//! IPv4 addresses, L4 ports) sit in words 0–4, so a miniflow or exact-match
//! cache that hashes the first words sees them first.
//!
//! `vlan_tci` is the 802.1Q TCI with bit 12 (DEI on the wire) replaced by
//! "a tag is present" (`OFPVID_PRESENT`), so the 13-bit OXM `vlan_vid`
//! (VID plus `OFPVID_PRESENT`) is its low 13 bits and `vlan_pcp` bits 15..13.
//! `ip_frag` holds [`FRAG_ANY`] and [`FRAG_LATER`].

/// Number of 64-bit words of a [`Flow`].
pub const FLOW_WORDS: usize = 18;
// `Flow::word_map` has one bit per word.
const _: () = assert!(FLOW_WORDS <= 32);

/// Words of the fields most packets have (see the table above).
const HOT_WORDS: usize = 5;

/// Per-word keys of the flow hashes: a word's contribution depends on its
/// position, so equal values in different fields do not cancel out.
const HASH_KEYS: [u64; FLOW_WORDS] = {
    let mut k = [0u64; FLOW_WORDS];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut i = 0;
    while i < FLOW_WORDS {
        // splitmix64
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        k[i] = z ^ (z >> 31);
        i += 1;
    }
    k
};

/// One word's contribution to a flow hash: a full 64×64→128-bit multiply
/// folded to 64 bits. The words' contributions are independent of each
/// other (summed), so the multiplies of a key run in parallel instead of
/// as one dependent chain.
#[inline(always)]
fn hash_word(w: u64, i: usize) -> u64 {
    let x = u128::from(w ^ HASH_KEYS[i]) * 0xff51_afd7_ed55_8ccd_u128;
    (x as u64) ^ ((x >> 64) as u64)
}

/// Final avalanche of a flow hash.
#[inline(always)]
fn hash_finish(sum: u64) -> u64 {
    let mut h = sum ^ (sum >> 32);
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 29)
}

/// `ip_frag` bit: the packet is an IP fragment (first or later).
pub const FRAG_ANY: u8 = 1;
/// `ip_frag` bit: the packet is a fragment other than the first.
pub const FRAG_LATER: u8 = 2;

/// `vlan_tci` bit meaning "a VLAN tag is present" (`OFPVID_PRESENT`).
pub const VLAN_PRESENT: u16 = 0x1000;

/// A fixed bit range inside one word of a [`Flow`] (at most 64 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Word index.
    pub word: u8,
    /// Position of the least significant bit in the word.
    pub shift: u8,
    /// Width in bits (1..=64).
    pub bits: u8,
}

impl Slot {
    const fn new(word: u8, shift: u8, bits: u8) -> Slot {
        Slot { word, shift, bits }
    }

    /// The all-ones value of this width.
    pub const fn max(self) -> u64 {
        if self.bits >= 64 {
            u64::MAX
        } else {
            (1u64 << self.bits) - 1
        }
    }

    /// The bits of this slot inside its word.
    pub const fn word_mask(self) -> u64 {
        self.max() << self.shift
    }
}

/// Storage of every field (see the table in the module documentation).
pub mod slot {
    use super::Slot;

    /// OpenFlow ingress port.
    pub const IN_PORT: Slot = Slot::new(0, 32, 32);
    /// Ethernet type (after VLAN tags).
    pub const ETH_TYPE: Slot = Slot::new(0, 16, 16);
    /// Outer VLAN TCI with bit 12 = tag present.
    pub const VLAN_TCI: Slot = Slot::new(0, 0, 16);
    /// VLAN VID with `OFPVID_PRESENT` (OXM `vlan_vid`).
    pub const VLAN_VID: Slot = Slot::new(0, 0, 13);
    /// VLAN PCP.
    pub const VLAN_PCP: Slot = Slot::new(0, 13, 3);
    /// Ethernet destination.
    pub const ETH_DST: Slot = Slot::new(1, 16, 48);
    /// IP protocol (IPv6: the upper-layer header after extension headers).
    pub const IP_PROTO: Slot = Slot::new(1, 8, 8);
    /// IPv4 TOS / IPv6 traffic class (DSCP and ECN).
    pub const IP_TOS: Slot = Slot::new(1, 0, 8);
    /// DSCP (6 bits).
    pub const IP_DSCP: Slot = Slot::new(1, 2, 6);
    /// ECN (2 bits).
    pub const IP_ECN: Slot = Slot::new(1, 0, 2);
    /// Ethernet source.
    pub const ETH_SRC: Slot = Slot::new(2, 16, 48);
    /// IPv4 TTL / IPv6 hop limit.
    pub const IP_TTL: Slot = Slot::new(2, 8, 8);
    /// Fragment bits ([`super::FRAG_ANY`], [`super::FRAG_LATER`]).
    pub const IP_FRAG: Slot = Slot::new(2, 0, 8);
    /// IPv4 source / ARP SPA.
    pub const IPV4_SRC: Slot = Slot::new(3, 32, 32);
    /// IPv4 destination / ARP TPA.
    pub const IPV4_DST: Slot = Slot::new(3, 0, 32);
    /// L4 source port / ICMP type (low 8 bits).
    pub const TP_SRC: Slot = Slot::new(4, 48, 16);
    /// L4 destination port / ICMP code (low 8 bits).
    pub const TP_DST: Slot = Slot::new(4, 32, 16);
    /// ICMP / ICMPv6 type.
    pub const ICMP_TYPE: Slot = Slot::new(4, 48, 8);
    /// ICMP / ICMPv6 code.
    pub const ICMP_CODE: Slot = Slot::new(4, 32, 8);
    /// TCP flags (12 bits).
    pub const TCP_FLAGS: Slot = Slot::new(4, 16, 16);
    /// ARP opcode.
    pub const ARP_OP: Slot = Slot::new(4, 0, 16);
    /// Outermost MPLS label stack entry, as on the wire.
    pub const MPLS_LSE: Slot = Slot::new(5, 32, 32);
    /// MPLS label.
    pub const MPLS_LABEL: Slot = Slot::new(5, 44, 20);
    /// MPLS traffic class.
    pub const MPLS_TC: Slot = Slot::new(5, 41, 3);
    /// MPLS bottom of stack.
    pub const MPLS_BOS: Slot = Slot::new(5, 40, 1);
    /// MPLS TTL.
    pub const MPLS_TTL: Slot = Slot::new(5, 32, 8);
    /// IPv6 flow label.
    pub const IPV6_FLABEL: Slot = Slot::new(5, 0, 20);
    /// High half of the IPv6 source (the low half is the next word).
    pub const IPV6_SRC: Slot = Slot::new(6, 0, 64);
    /// High half of the IPv6 destination.
    pub const IPV6_DST: Slot = Slot::new(8, 0, 64);
    /// OpenFlow metadata.
    pub const METADATA: Slot = Slot::new(10, 0, 64);
    /// Tunnel id.
    pub const TUNNEL_ID: Slot = Slot::new(11, 0, 64);
    /// Physical ingress port.
    pub const IN_PHY_PORT: Slot = Slot::new(12, 32, 32);
    /// PBB I-SID.
    pub const PBB_ISID: Slot = Slot::new(12, 8, 24);
    /// PBB UCA bit.
    pub const PBB_UCA: Slot = Slot::new(12, 0, 1);
    /// IPv6 extension header pseudo-field (9 bits).
    pub const IPV6_EXTHDR: Slot = Slot::new(13, 48, 9);
    /// Inner VLAN TCI (second tag), bit 12 = tag present.
    pub const VLAN_TCI_INNER: Slot = Slot::new(13, 32, 16);
    /// High half of the ND target.
    pub const ND_TARGET: Slot = Slot::new(14, 0, 64);
    /// ND source link-layer address / ARP SHA.
    pub const ND_SLL: Slot = Slot::new(16, 16, 48);
    /// ND target link-layer address / ARP THA.
    pub const ND_TLL: Slot = Slot::new(17, 16, 48);
}

/// The exact-match key of a packet, or a mask over keys (1 bits matched).
///
/// `#[repr(transparent)]` over plain words: the classifier and caches take
/// [`Flow::words`] directly, and [`Flow::from_words_ref`] views words as a
/// flow.
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flow {
    w: [u64; FLOW_WORDS],
}

impl std::fmt::Debug for Flow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Flow[")?;
        for (i, w) in self.w.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{w:016x}")?;
        }
        f.write_str("]")
    }
}

impl Flow {
    /// The all-zero flow (as a mask: matches everything).
    pub const ZERO: Flow = Flow { w: [0; FLOW_WORDS] };
    /// The all-ones mask (every bit matched).
    pub const EXACT: Flow = Flow {
        w: [u64::MAX; FLOW_WORDS],
    };

    /// A flow from its words.
    pub const fn from_words(w: [u64; FLOW_WORDS]) -> Flow {
        Flow { w }
    }

    /// Words (a classifier rule's key or mask) seen as a flow, without a
    /// copy.
    pub fn from_words_ref(w: &[u64; FLOW_WORDS]) -> &Flow {
        // SAFETY: `Flow` is `repr(transparent)` over `[u64; FLOW_WORDS]`,
        // so the two have the same layout and validity, and the returned
        // reference borrows `w` for its whole lifetime.
        unsafe { &*std::ptr::from_ref(w).cast::<Flow>() }
    }

    /// The words.
    pub const fn words(&self) -> &[u64; FLOW_WORDS] {
        &self.w
    }

    /// The words, writable.
    pub fn words_mut(&mut self) -> &mut [u64; FLOW_WORDS] {
        &mut self.w
    }

    /// Word-wise AND (a key under a mask).
    #[must_use]
    pub fn and(&self, mask: &Flow) -> Flow {
        let mut out = *self;
        for (o, m) in out.w.iter_mut().zip(mask.w.iter()) {
            *o &= m;
        }
        out
    }

    /// True when `self` and `other` agree on every bit set in `mask`.
    pub fn eq_masked(&self, other: &Flow, mask: &Flow) -> bool {
        self.w
            .iter()
            .zip(other.w.iter())
            .zip(mask.w.iter())
            .all(|((a, b), m)| (a ^ b) & m == 0)
    }

    /// A 64-bit hash of `self & mask` mixed with `basis` (the same for
    /// every flow equal under `mask`). Words where `mask` is zero do not
    /// count; equal to [`Flow::hash_in`] over `mask.word_map()`.
    pub fn hash_masked(&self, mask: &Flow, basis: u64) -> u64 {
        self.hash_in(mask, mask.word_map(), basis)
    }

    /// [`Flow::hash_masked`] over the words of `map` only (which must be
    /// `mask.word_map()`, e.g. precomputed for a classifier subtable).
    #[inline]
    pub fn hash_in(&self, mask: &Flow, map: u32, basis: u64) -> u64 {
        let mut sum = basis;
        let mut m = map;
        while m != 0 {
            let i = m.trailing_zeros() as usize;
            m &= m - 1;
            sum = sum.wrapping_add(hash_word(self.w[i] & mask.w[i], i));
        }
        hash_finish(sum)
    }

    /// The exact-match cache's hash of the whole flow. The hot words (0–4:
    /// port, Ethernet, VLAN, IP protocol, IPv4 addresses, L4 ports) count
    /// one by one; the others, zero for most packets, are folded into one
    /// word first (rotated by position, so equal words do not cancel).
    #[inline]
    pub fn hash_exact(&self) -> u64 {
        let mut sum = 0u64;
        for i in 0..HOT_WORDS {
            sum = sum.wrapping_add(hash_word(self.w[i], i));
        }
        let rest = self.w[HOT_WORDS..]
            .iter()
            .enumerate()
            .fold(0u64, |acc, (j, w)| acc ^ w.rotate_left(7 * j as u32 + 1));
        hash_finish(sum.wrapping_add(hash_word(rest, HOT_WORDS)))
    }

    /// True when `self` and `other` agree on every bit set in `mask`,
    /// looking only at the words of `map` (`mask.word_map()`).
    #[inline]
    pub fn eq_in(&self, other: &Flow, mask: &Flow, map: u32) -> bool {
        let mut m = map;
        while m != 0 {
            let i = m.trailing_zeros() as usize;
            m &= m - 1;
            if (self.w[i] ^ other.w[i]) & mask.w[i] != 0 {
                return false;
            }
        }
        true
    }

    /// Bit `i` set when word `i` is nonzero: for a mask, the words a
    /// miniflow or subtable has to look at.
    pub fn word_map(&self) -> u32 {
        self.w
            .iter()
            .enumerate()
            .filter(|(_, w)| **w != 0)
            .fold(0, |map, (i, _)| map | (1 << i))
    }

    /// The value stored in `s`.
    pub const fn get(&self, s: Slot) -> u64 {
        (self.w[s.word as usize] >> s.shift) & s.max()
    }

    /// Stores `v` (truncated to the width) in `s`.
    pub fn set(&mut self, s: Slot, v: u64) {
        let w = &mut self.w[s.word as usize];
        *w = (*w & !s.word_mask()) | ((v & s.max()) << s.shift);
    }

    /// The 128-bit value starting at word `word` (high half first).
    pub const fn get128(&self, word: usize) -> u128 {
        ((self.w[word] as u128) << 64) | self.w[word + 1] as u128
    }

    /// Stores a 128-bit value at words `word`, `word + 1`.
    pub fn set128(&mut self, word: usize, v: u128) {
        self.w[word] = (v >> 64) as u64;
        // Truncation intended: the low half.
        self.w[word + 1] = v as u64;
    }

    /// Copies the fields that do not come from packet bytes (in_port,
    /// in_phy_port, metadata, tunnel_id) from `other`.
    pub fn copy_pipeline_fields(&mut self, other: &Flow) {
        for s in [
            slot::IN_PORT,
            slot::IN_PHY_PORT,
            slot::METADATA,
            slot::TUNNEL_ID,
        ] {
            self.set(s, other.get(s));
        }
    }

    /// OpenFlow ingress port.
    pub const fn in_port(&self) -> u32 {
        self.get(slot::IN_PORT) as u32
    }

    /// Ethernet type (after VLAN tags; 0x05ff for 802.3 frames).
    pub const fn eth_type(&self) -> u16 {
        self.get(slot::ETH_TYPE) as u16
    }

    /// Outer VLAN TCI, bit 12 set when a tag is present.
    pub const fn vlan_tci(&self) -> u16 {
        self.get(slot::VLAN_TCI) as u16
    }

    /// IP protocol.
    pub const fn ip_proto(&self) -> u8 {
        self.get(slot::IP_PROTO) as u8
    }

    /// IPv4 TTL / IPv6 hop limit.
    pub const fn ip_ttl(&self) -> u8 {
        self.get(slot::IP_TTL) as u8
    }

    /// Fragment bits ([`FRAG_ANY`], [`FRAG_LATER`]).
    pub const fn ip_frag(&self) -> u8 {
        self.get(slot::IP_FRAG) as u8
    }

    /// Outermost MPLS label stack entry as on the wire (0 when not MPLS).
    pub const fn mpls_lse(&self) -> u32 {
        self.get(slot::MPLS_LSE) as u32
    }

    /// TCP flags (12 bits).
    pub const fn tcp_flags(&self) -> u16 {
        self.get(slot::TCP_FLAGS) as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_do_not_overlap() {
        // Distinct storage (fields that share storage on purpose use the
        // same slot constants and are not listed twice).
        let slots = [
            slot::IN_PORT,
            slot::ETH_TYPE,
            slot::VLAN_TCI,
            slot::ETH_DST,
            slot::IP_PROTO,
            slot::IP_TOS,
            slot::ETH_SRC,
            slot::IP_TTL,
            slot::IP_FRAG,
            slot::IPV4_SRC,
            slot::IPV4_DST,
            slot::TP_SRC,
            slot::TP_DST,
            slot::TCP_FLAGS,
            slot::ARP_OP,
            slot::MPLS_LSE,
            slot::IPV6_FLABEL,
            slot::IPV6_SRC,
            Slot::new(7, 0, 64),
            slot::IPV6_DST,
            Slot::new(9, 0, 64),
            slot::METADATA,
            slot::TUNNEL_ID,
            slot::IN_PHY_PORT,
            slot::PBB_ISID,
            slot::PBB_UCA,
            slot::IPV6_EXTHDR,
            slot::VLAN_TCI_INNER,
            slot::ND_TARGET,
            Slot::new(15, 0, 64),
            slot::ND_SLL,
            slot::ND_TLL,
        ];
        let mut used = [0u64; FLOW_WORDS];
        for s in slots {
            let m = s.word_mask();
            assert_eq!(used[s.word as usize] & m, 0, "{s:?} overlaps");
            used[s.word as usize] |= m;
        }
    }

    #[test]
    fn get_set_and_masks() {
        let mut f = Flow::ZERO;
        f.set(slot::ETH_DST, 0x1122_3344_5566);
        f.set(slot::IP_PROTO, 6);
        f.set(slot::IP_TOS, 0xb8);
        assert_eq!(f.get(slot::ETH_DST), 0x1122_3344_5566);
        assert_eq!(f.ip_proto(), 6);
        assert_eq!(f.get(slot::IP_DSCP), 0x2e);
        f.set(slot::IP_PROTO, 0x1ff);
        assert_eq!(f.ip_proto(), 0xff, "truncated to the width");
        assert_eq!(f.get(slot::ETH_DST), 0x1122_3344_5566, "neighbours kept");
        f.set128(6, 0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10);
        assert_eq!(f.get128(6), 0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10);

        let mut g = f;
        g.set(slot::TP_SRC, 80);
        let mut mask = Flow::ZERO;
        mask.set(slot::IP_PROTO, 0xff);
        assert!(f.eq_masked(&g, &mask));
        assert_eq!(f.hash_masked(&mask, 7), g.hash_masked(&mask, 7));
        mask.set(slot::TP_SRC, 0xffff);
        assert!(!f.eq_masked(&g, &mask));
        assert_ne!(f.hash_masked(&mask, 7), g.hash_masked(&mask, 7));
        assert_eq!(g.and(&mask).get(slot::TP_SRC), 80);
        assert_eq!(g.and(&mask).get(slot::ETH_DST), 0);
        assert_eq!(Flow::from_words(*g.words()), g);
        assert_eq!(Flow::from_words_ref(g.words()), &g);
        assert_eq!(std::mem::size_of::<Flow>(), FLOW_WORDS * 8);
        assert_eq!(mask.word_map(), 0b10010);
        assert_eq!(Flow::ZERO.word_map(), 0);
        assert_eq!(Flow::EXACT.word_map(), (1 << FLOW_WORDS) - 1);
    }

    #[test]
    fn hashes_agree_with_each_other_and_see_every_word() {
        let mut f = Flow::ZERO;
        f.set(slot::ETH_DST, 0x1122_3344_5566);
        f.set128(6, 0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10);
        let mut mask = Flow::ZERO;
        mask.set(slot::ETH_DST, 0xffff_ffff_ff00);
        assert_eq!(
            f.hash_masked(&mask, 3),
            f.hash_in(&mask, mask.word_map(), 3)
        );
        // Every word of the exact hash counts, and the same value in
        // two different words gives different hashes.
        let base = f.hash_exact();
        for i in 0..FLOW_WORDS {
            let mut g = f;
            g.words_mut()[i] ^= 1 << (i * 3 % 64);
            assert_ne!(g.hash_exact(), base, "word {i}");
        }
        let (mut a, mut b) = (Flow::ZERO, Flow::ZERO);
        a.words_mut()[3] = 42;
        b.words_mut()[4] = 42;
        assert_ne!(a.hash_exact(), b.hash_exact());
        // eq_in looks only at the map's words, under the mask.
        let mut g = f;
        g.set(slot::ETH_DST, 0x1122_3344_55aa);
        assert!(f.eq_in(&g, &mask, mask.word_map()));
        g.set(slot::ETH_DST, 0x1122_3344_aa66);
        assert!(!f.eq_in(&g, &mask, mask.word_map()));
    }
}
