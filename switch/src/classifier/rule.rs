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

/// One classifier rule: a masked key, a priority and the caller's payload,
/// with the versions that bound its visibility.
///
/// The key, mask and priority never change after insertion. A payload that
/// must change in place (e.g. the actions of an OpenFlow modify) needs its
/// own interior mutability.
///
/// The fields every walk reads (versions, mask, priority) come first: with
/// the `Arc`'s counts they fill the rule's first cache line, so a walk
/// that needs no key (a dump of every flow) reads one line a rule.
#[repr(C)]
pub struct Rule<const N: usize, R> {
    add_version: Version,
    remove_version: AtomicU64,
    seq: u64,
    mask: Arc<[u64; N]>,
    priority: u32,
    key: [u64; N],
    payload: R,
}

impl<const N: usize, R> Rule<N, R> {
    /// The rule's key; every bit outside [`Rule::mask`] is zero.
    pub fn key(&self) -> &[u64; N] {
        &self.key
    }

    /// The rule's mask: 1 bits are matched, 0 bits are wildcarded.
    pub fn mask(&self) -> &[u64; N] {
        &self.mask
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
        (0..N).all(|i| key[i] & self.mask[i] == self.key[i])
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
            .field("key", &self.key)
            .field("mask", &*self.mask)
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
        mask: Arc<[u64; N]>,
        priority: u32,
        seq: u64,
        add_version: Version,
        payload: R,
    ) -> Self {
        debug_assert!((0..N).all(|i| key[i] & !mask[i] == 0));
        RuleRef(Arc::new(Rule {
            key,
            mask,
            priority,
            seq,
            add_version,
            remove_version: AtomicU64::new(VERSION_NOT_REMOVED),
            payload,
        }))
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
        RuleRef::new([0x10, 0], Arc::new([0xf0, 0]), 5, 0, add, ())
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
    fn beats_orders_by_priority_then_seq() {
        let m = Arc::new([0u64; 1]);
        let a = RuleRef::new([0u64; 1], m.clone(), 5, 1, 0, ());
        let b = RuleRef::new([0u64; 1], m.clone(), 5, 2, 0, ());
        let c = RuleRef::new([0u64; 1], m, 6, 3, 0, ());
        assert!(a.beats(&b) && !b.beats(&a));
        assert!(c.beats(&a) && !a.beats(&c));
    }
}
