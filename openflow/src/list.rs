//! [`InlineList`]: a `Vec`-like list that keeps its first items inline, for
//! the model's lists that are short and small (a flow's instructions,
//! [`crate::instruction::InstructionList`]).
//!
//! Most flows carry a single instruction (apply-actions or goto-table);
//! keeping it inline spares an allocation and a free per decoded flow-mod
//! or flow-stats entry while the model stays as small as with a `Vec`.
//! Lists of large items (OXM fields, actions: 40 bytes each) stay `Vec`s:
//! inline room for them makes every message hundreds of bytes larger, and
//! the moves of those bytes cost more than the allocations they save
//! (measured on the codec benchmark).
//!
//! The storage is `smallvec`'s; this wrapper keeps the model's API that of
//! a `Vec`-like list (slice deref, `push`, `FromIterator`, `From<Vec<T>>`,
//! comparison with `Vec`s and slices) without exposing the crate in it.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};

use smallvec::SmallVec;

/// A list holding up to `N` items inline, spilling to the heap beyond.
///
/// Compares, hashes and prints as the slice of its items (as `Vec<T>`
/// does), whatever its storage.
#[derive(Clone)]
pub struct InlineList<T, const N: usize>(SmallVec<[T; N]>);

impl<T, const N: usize> InlineList<T, N> {
    /// The empty list.
    #[inline]
    pub fn new() -> Self {
        InlineList(SmallVec::new())
    }

    /// An empty list with room for `capacity` items (inline when it fits).
    #[inline]
    pub fn with_capacity(capacity: usize) -> Self {
        InlineList(SmallVec::with_capacity(capacity))
    }

    /// Appends `item`.
    #[inline]
    pub fn push(&mut self, item: T) {
        self.0.push(item);
    }

    /// Removes and returns the last item.
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }

    /// Inserts `item` at `index`, shifting the later items.
    ///
    /// # Panics
    ///
    /// When `index > len`.
    #[inline]
    pub fn insert(&mut self, index: usize, item: T) {
        self.0.insert(index, item);
    }

    /// Removes and returns the item at `index`, shifting the later items.
    ///
    /// # Panics
    ///
    /// When `index >= len`.
    #[inline]
    pub fn remove(&mut self, index: usize) -> T {
        self.0.remove(index)
    }

    /// Keeps only the items for which `keep` returns true, in order.
    #[inline]
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.0.retain(|item| keep(item));
    }

    /// Shortens the list to `len` items (no effect when it is shorter).
    #[inline]
    pub fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// Removes every item.
    #[inline]
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Makes room for `additional` more items.
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        self.0.reserve(additional);
    }

    /// How many items the list holds without (re)allocating.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.0.capacity()
    }

    /// True when the items are inline (no heap allocation).
    #[inline]
    pub fn is_inline(&self) -> bool {
        !self.0.spilled()
    }

    /// The items as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        self.0.as_slice()
    }

    /// The items as a mutable slice.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.0.as_mut_slice()
    }

    /// The items as a `Vec` (no copy when they are already on the heap).
    #[inline]
    pub fn into_vec(self) -> Vec<T> {
        self.0.into_vec()
    }
}

impl<T: Clone, const N: usize> InlineList<T, N> {
    /// Appends clones of `items`.
    #[inline]
    pub fn extend_from_slice(&mut self, items: &[T]) {
        self.0.extend(items.iter().cloned());
    }
}

impl<T, const N: usize> Default for InlineList<T, N> {
    #[inline]
    fn default() -> Self {
        InlineList::new()
    }
}

impl<T, const N: usize> Deref for InlineList<T, N> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        self.0.as_slice()
    }
}

impl<T, const N: usize> DerefMut for InlineList<T, N> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        self.0.as_mut_slice()
    }
}

impl<T, const N: usize> AsRef<[T]> for InlineList<T, N> {
    #[inline]
    fn as_ref(&self) -> &[T] {
        self
    }
}

impl<T, const N: usize> AsMut<[T]> for InlineList<T, N> {
    #[inline]
    fn as_mut(&mut self) -> &mut [T] {
        self
    }
}

impl<T, const N: usize> std::borrow::Borrow<[T]> for InlineList<T, N> {
    #[inline]
    fn borrow(&self) -> &[T] {
        self
    }
}

impl<T: fmt::Debug, const N: usize> fmt::Debug for InlineList<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl<T: Hash, const N: usize> Hash for InlineList<T, N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl<T: PartialEq<U>, U, const N: usize, const M: usize> PartialEq<InlineList<U, M>>
    for InlineList<T, N>
{
    #[inline]
    fn eq(&self, other: &InlineList<U, M>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Eq, const N: usize> Eq for InlineList<T, N> {}

impl<T: PartialEq<U>, U, const N: usize> PartialEq<Vec<U>> for InlineList<T, N> {
    #[inline]
    fn eq(&self, other: &Vec<U>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: PartialEq<U>, U, const N: usize> PartialEq<InlineList<U, N>> for Vec<T> {
    #[inline]
    fn eq(&self, other: &InlineList<U, N>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: PartialEq<U>, U, const N: usize> PartialEq<[U]> for InlineList<T, N> {
    #[inline]
    fn eq(&self, other: &[U]) -> bool {
        self.as_slice() == other
    }
}

impl<T: PartialEq<U>, U, const N: usize> PartialEq<&[U]> for InlineList<T, N> {
    #[inline]
    fn eq(&self, other: &&[U]) -> bool {
        self.as_slice() == *other
    }
}

impl<T: PartialEq<U>, U, const N: usize, const M: usize> PartialEq<[U; M]> for InlineList<T, N> {
    #[inline]
    fn eq(&self, other: &[U; M]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T, const N: usize> From<Vec<T>> for InlineList<T, N> {
    /// Moves the items inline when they fit, else keeps the `Vec`'s buffer.
    #[inline]
    fn from(items: Vec<T>) -> Self {
        InlineList(SmallVec::from_vec(items))
    }
}

impl<T, const N: usize, const M: usize> From<[T; M]> for InlineList<T, N> {
    #[inline]
    fn from(items: [T; M]) -> Self {
        items.into_iter().collect()
    }
}

impl<T: Clone, const N: usize> From<&[T]> for InlineList<T, N> {
    #[inline]
    fn from(items: &[T]) -> Self {
        items.iter().cloned().collect()
    }
}

impl<T, const N: usize> From<InlineList<T, N>> for Vec<T> {
    #[inline]
    fn from(list: InlineList<T, N>) -> Self {
        list.into_vec()
    }
}

impl<T, const N: usize> FromIterator<T> for InlineList<T, N> {
    #[inline]
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        InlineList(SmallVec::from_iter(iter))
    }
}

impl<T, const N: usize> Extend<T> for InlineList<T, N> {
    #[inline]
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl<'a, T, const N: usize> IntoIterator for &'a InlineList<T, N> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T, const N: usize> IntoIterator for &'a mut InlineList<T, N> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;

    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<T, const N: usize> IntoIterator for InlineList<T, N> {
    type Item = T;
    type IntoIter = IntoIter<T, N>;

    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        IntoIter(self.0.into_iter())
    }
}

/// The owning iterator of an [`InlineList`].
pub struct IntoIter<T, const N: usize>(smallvec::IntoIter<[T; N]>);

impl<T, const N: usize> Iterator for IntoIter<T, N> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        self.0.next()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<T, const N: usize> DoubleEndedIterator for IntoIter<T, N> {
    #[inline]
    fn next_back(&mut self) -> Option<T> {
        self.0.next_back()
    }
}

impl<T, const N: usize> ExactSizeIterator for IntoIter<T, N> {}

impl<T, const N: usize> std::iter::FusedIterator for IntoIter<T, N> {}

impl<T: fmt::Debug, const N: usize> fmt::Debug for IntoIter<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IntoIter").field(&self.0.as_slice()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash_of(v: &impl Hash) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    #[test]
    fn inline_until_full_then_heap() {
        let mut l: InlineList<u32, 2> = InlineList::new();
        l.push(1);
        l.push(2);
        assert!(l.is_inline());
        l.push(3);
        assert!(!l.is_inline());
        assert_eq!(l, vec![1, 2, 3]);
        assert_eq!(vec![1, 2, 3], l);
        assert_eq!(l, [1, 2, 3]);
        assert_eq!(l[1..], [2, 3]);
        assert_eq!(l.pop(), Some(3));
        l.retain(|x| *x != 1);
        assert_eq!(l.into_vec(), vec![2]);
    }

    #[test]
    fn behaves_as_a_vec() {
        let v = vec![3u8, 1, 2];
        let l: InlineList<u8, 4> = v.clone().into();
        assert!(l.is_inline());
        assert_eq!(hash_of(&l), hash_of(&v));
        assert_eq!(format!("{l:?}"), format!("{v:?}"));
        let big: InlineList<u8, 2> = v.clone().into();
        assert_eq!(big, l);
        assert_eq!(hash_of(&big), hash_of(&v));
        let collected: InlineList<u8, 4> = v.iter().copied().collect();
        assert_eq!(collected, l);
        assert_eq!(l.clone().into_iter().rev().collect::<Vec<_>>(), [2, 1, 3]);
        assert_eq!(Vec::from(l), v);
        assert!(InlineList::<u8, 1>::default().is_empty());
    }
}
