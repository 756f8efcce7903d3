//! Rules and their versions.

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A classifier version. Rules are visible from the version that added them
/// up to (not including) the version that removed them.
pub type Version = u64;

/// The `remove_version` of a rule that has not been removed.
pub const VERSION_NOT_REMOVED: Version = Version::MAX;

/// A mask shared by the rules of one subtable, with the set of its
/// words that are not zero: a rule stores only those words of its key.
pub struct Mask<const N: usize> {
    words: [u64; N],
    /// Bit `i` set: `words[i]` is not zero.
    used: u64,
}

impl<const N: usize> Mask<N> {
    /// The mask of `words`.
    pub fn new(words: [u64; N]) -> Self {
        const { assert!(N <= 64, "a mask of more than 64 words") };
        let used = (0..N)
            .filter(|&i| words[i] != 0)
            .fold(0, |used, i| used | 1 << i);
        Mask { words, used }
    }

    /// The mask's words.
    pub fn words(&self) -> &[u64; N] {
        &self.words
    }

    /// Indices of the words that are not zero, in order.
    #[inline]
    fn used(&self) -> impl Iterator<Item = usize> {
        let mut left = self.used;
        std::iter::from_fn(move || {
            (left != 0).then(|| {
                let i = left.trailing_zeros() as usize;
                left &= left - 1;
                i
            })
        })
    }

    /// Number of words that are not zero.
    fn used_count(&self) -> usize {
        self.used.count_ones() as usize
    }
}

/// Key words a rule holds inline; a mask with more words that are not
/// zero puts the rule's key words in their own allocation. Five cover an
/// IPv4 five-tuple with in_port and the Ethernet addresses or the
/// metadata, and keep a rule of the OpenFlow tables at 160 bytes (an
/// allocator size class; six would take it to the next, 192).
const INLINE_WORDS: usize = 5;

/// A rule's key words under the words of its mask that are not zero, in
/// order (every other word of a masked key is zero).
#[derive(PartialEq, Eq)]
enum PackedKey {
    /// At most [`INLINE_WORDS`] words; the rest are zero.
    Inline([u64; INLINE_WORDS]),
    /// More.
    Spilled(Box<[u64]>),
}

impl PackedKey {
    fn new<const N: usize>(key: &[u64; N], mask: &Mask<N>) -> Self {
        if mask.used_count() <= INLINE_WORDS {
            let mut words = [0; INLINE_WORDS];
            for (w, i) in words.iter_mut().zip(mask.used()) {
                *w = key[i];
            }
            PackedKey::Inline(words)
        } else {
            PackedKey::Spilled(mask.used().map(|i| key[i]).collect())
        }
    }

    fn words(&self) -> &[u64] {
        match self {
            PackedKey::Inline(w) => w,
            PackedKey::Spilled(w) => w,
        }
    }
}

/// One classifier rule: a masked key, a priority and the caller's payload,
/// with the versions that bound its visibility.
///
/// The key, mask and priority never change after insertion. A payload that
/// must change in place (e.g. the actions of an OpenFlow modify) needs its
/// own interior mutability.
///
/// The fields every walk reads (versions, mask, priority) come first: with
/// the `Arc`'s counts they fill the rule's first cache line, so a walk
/// that needs no key (a dump of every flow) reads one line a rule. The key
/// is kept packed (the words its mask selects), which takes the 144-byte
/// keys of typical OpenFlow matches to 48 bytes.
#[repr(C)]
pub struct Rule<const N: usize, R> {
    add_version: Version,
    remove_version: AtomicU64,
    seq: u64,
    mask: Arc<Mask<N>>,
    priority: u32,
    key: PackedKey,
    payload: R,
}

impl<const N: usize, R> Rule<N, R> {
    /// Bytes of the fields before the key (versions, sequence number,
    /// mask, priority): what a walk reads of a rule when it needs neither
    /// its key nor its payload.
    pub(super) const HEAD_BYTES: usize = std::mem::offset_of!(Self, key);

    /// The rule's key; every bit outside [`Rule::mask`] is zero.
    pub fn key(&self) -> [u64; N] {
        let mut key = [0; N];
        for (i, &w) in self.mask.used().zip(self.key.words()) {
            key[i] = w;
        }
        key
    }

    /// True if every word under the mask satisfies `f(index, key word,
    /// mask word)` (the words outside it are zero in key and mask).
    #[inline]
    pub fn all_words(&self, mut f: impl FnMut(usize, u64, u64) -> bool) -> bool {
        let mask = self.mask.words();
        self.mask
            .used()
            .zip(self.key.words())
            .all(|(i, &k)| f(i, k, mask[i]))
    }

    /// True if the rule's key is `masked`, a key already masked by the
    /// rule's mask (the words outside it zero).
    #[inline]
    pub fn key_is(&self, masked: &[u64; N]) -> bool {
        self.all_words(|i, k, _| masked[i] == k)
    }

    /// True if both rules, of the same mask, have the same key.
    pub(super) fn same_key(&self, other: &Self) -> bool {
        debug_assert!(self.mask() == other.mask());
        self.key == other.key
    }

    /// True if both rules have the same mask (a cheap check for rules of
    /// one classifier, whose subtable shares its mask with its rules).
    #[inline]
    pub fn same_mask(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.mask, &other.mask) || self.mask() == other.mask()
    }

    /// The rule's mask: 1 bits are matched, 0 bits are wildcarded.
    pub fn mask(&self) -> &[u64; N] {
        self.mask.words()
    }

    /// The rule's priority (higher wins).
    pub fn priority(&self) -> u32 {
        self.priority
    }

    /// Insertion sequence number, unique within a classifier: among
    /// overlapping rules of equal priority the smallest one wins.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The caller's payload.
    pub fn payload(&self) -> &R {
        &self.payload
    }

    /// The first version at which the rule is visible.
    pub fn add_version(&self) -> Version {
        self.add_version
    }

    /// The first version at which the rule is no longer visible, or
    /// [`VERSION_NOT_REMOVED`].
    pub fn remove_version(&self) -> Version {
        self.remove_version.load(Ordering::Acquire)
    }

    /// True if the rule is visible at `version`.
    #[inline]
    pub fn is_visible(&self, version: Version) -> bool {
        self.add_version <= version && version < self.remove_version.load(Ordering::Acquire)
    }

    /// True if the rule has not been removed at any version yet.
    pub fn is_live(&self) -> bool {
        self.remove_version() == VERSION_NOT_REMOVED
    }

    /// True if `key` matches the rule (agrees with the rule's key on every
    /// bit of its mask).
    #[inline]
    pub fn matches(&self, key: &[u64; N]) -> bool {
        self.all_words(|i, k, m| key[i] & m == k)
    }

    /// Marks the rule removed from `version` on (never earlier than its
    /// add version). Returns false if it was already removed.
    /// Undoes [`Rule::mark_removed`] at exactly `version` (a removal no
    /// reader can have seen yet); false if the rule is not removed at it.
    pub(super) fn unmark_removed(&self, version: Version) -> bool {
        self.remove_version
            .compare_exchange(
                version.max(self.add_version),
                VERSION_NOT_REMOVED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    pub(super) fn mark_removed(&self, version: Version) -> bool {
        if !self.is_live() {
            return false;
        }
        self.remove_version
            .store(version.max(self.add_version), Ordering::Release);
        true
    }
}

impl<const N: usize, R: fmt::Debug> fmt::Debug for Rule<N, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("key", &self.key())
            .field("mask", self.mask())
            .field("priority", &self.priority)
            .field("seq", &self.seq)
            .field("add_version", &self.add_version)
            .field("remove_version", &self.remove_version())
            .field("payload", &self.payload)
            .finish()
    }
}

/// A shared reference to a [`Rule`], as returned by lookups and queries.
/// Holding one keeps the rule (and its payload) alive after the classifier
/// has dropped it.
pub struct RuleRef<const N: usize, R>(Arc<Rule<N, R>>);

impl<const N: usize, R> RuleRef<N, R> {
    /// Creates a live rule. `key` must already be masked.
    pub(super) fn new(
        key: [u64; N],
        mask: Arc<Mask<N>>,
        priority: u32,
        seq: u64,
        add_version: Version,
        payload: R,
    ) -> Self {
        debug_assert!((0..N).all(|i| key[i] & !mask.words()[i] == 0));
        RuleRef(Arc::new(Rule {
            key: PackedKey::new(&key, &mask),
            mask,
            priority,
            seq,
            add_version,
            remove_version: AtomicU64::new(VERSION_NOT_REMOVED),
            payload,
        }))
    }

    /// The address of the rule (not read): [`super::sort_by_address`]
    /// orders rules by it.
    #[inline]
    pub fn address(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    /// The reference whose [`RuleRef::address`] is `address`, taking over
    /// one of the counted references (nothing is counted anew).
    ///
    /// # Safety
    ///
    /// `address` is the address of a live rule, and one reference counted
    /// for it is no longer used or dropped anywhere else (it is handed
    /// over to the one returned).
    pub(super) unsafe fn from_address(address: usize) -> Self {
        // SAFETY: `address` is `Arc::as_ptr` of a live rule whose counted
        // reference the caller hands over (our contract).
        RuleRef(unsafe { Arc::from_raw(address as *const Rule<N, R>) })
    }

    /// True if both refer to the same rule.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// True if `self` wins over `other` when both match a packet: higher
    /// priority, or equal priority and inserted earlier.
    #[inline]
    pub(super) fn beats(&self, other: &Self) -> bool {
        self.priority > other.priority || (self.priority == other.priority && self.seq < other.seq)
    }
}

impl<const N: usize, R> Clone for RuleRef<N, R> {
    fn clone(&self) -> Self {
        RuleRef(Arc::clone(&self.0))
    }
}

impl<const N: usize, R> Deref for RuleRef<N, R> {
    type Target = Rule<N, R>;

    fn deref(&self) -> &Rule<N, R> {
        &self.0
    }
}

impl<const N: usize, R: fmt::Debug> fmt::Debug for RuleRef<N, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(add: Version) -> RuleRef<2, ()> {
        RuleRef::new([0x10, 0], Arc::new(Mask::new([0xf0, 0])), 5, 0, add, ())
    }

    #[test]
    fn visibility_window() {
        let r = rule(3);
        assert!(!r.is_visible(2));
        assert!(r.is_visible(3));
        assert!(r.is_visible(u64::MAX - 1));
        assert!(r.mark_removed(7));
        assert!(!r.mark_removed(9), "second removal must be refused");
        assert_eq!(r.remove_version(), 7);
        assert!(r.is_visible(6));
        assert!(!r.is_visible(7));
        assert!(!r.is_live());
    }

    #[test]
    fn removal_before_addition_hides_rule_everywhere() {
        let r = rule(5);
        r.mark_removed(2);
        assert_eq!(r.remove_version(), 5);
        assert!((0..10).all(|v| !r.is_visible(v)));
    }

    #[test]
    fn matches_only_masked_bits() {
        let r = rule(0);
        assert!(r.matches(&[0x1f, 0xffff]));
        assert!(!r.matches(&[0x2f, 0]));
    }

    #[test]
    fn packed_keys_read_back_whole_inline_and_spilled() {
        // Inline: 2 words of 8 under the mask; spilled: 7.
        let few = [0, 0xff, 0, 0, 0, 0, 0xf0, 0];
        let many = [0xff, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0xff];
        for mask in [few, many] {
            let mask = Arc::new(Mask::new(mask));
            let key: [u64; 8] = std::array::from_fn(|i| (0x5a + i as u64) & mask.words()[i]);
            let r = RuleRef::new(key, Arc::clone(&mask), 1, 0, 0, ());
            let twin = RuleRef::new(key, Arc::clone(&mask), 2, 1, 0, ());
            let mut other = key;
            other[6] ^= 0x10;
            let other = RuleRef::new(other, Arc::clone(&mask), 1, 2, 0, ());
            assert_eq!(r.key(), key);
            assert!(r.key_is(&key) && !other.key_is(&key));
            assert!(r.same_key(&twin) && !r.same_key(&other));
            let packet: [u64; 8] = std::array::from_fn(|i| key[i] | !mask.words()[i]);
            assert!(r.matches(&packet) && !other.matches(&packet));
        }
    }

    #[test]
    fn beats_orders_by_priority_then_seq() {
        let m = Arc::new(Mask::new([0u64; 1]));
        let a = RuleRef::new([0u64; 1], m.clone(), 5, 1, 0, ());
        let b = RuleRef::new([0u64; 1], m.clone(), 5, 2, 0, ());
        let c = RuleRef::new([0u64; 1], m, 6, 3, 0, ());
        assert!(a.beats(&b) && !b.beats(&a));
        assert!(c.beats(&a) && !a.beats(&c));
    }
}
