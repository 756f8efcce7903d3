//! Owned mbufs and bursts of them.
//!
//! [`Mbuf`] owns one `rte_mbuf` (chain) and frees it on drop; it is a
//! `#[repr(transparent)]` wrapper of a non-null pointer, so a [`MbufBatch`]
//! stores plain pointers (the layout `rte_eth_rx_burst` fills) and lends them
//! out as `&Mbuf` without any conversion.
//!
//! Per-packet accessors read the `rte_mbuf` fields directly (no FFI call);
//! the batch frees with one `rte_pktmbuf_free_bulk` call.
//!
//! Accessors never panic. Data accessors cover the first segment; the
//! ports this crate configures do not enable scattered receive, so packets
//! received from them have one segment.
//!
//! Thread safety: an `Mbuf` may move to and be dropped on any thread
//! (mempool puts are MT-safe); a batch is used by one thread at a time.

use std::fmt;
use std::ptr::NonNull;

use dpdk_sys::rte_mbuf;

/// Number of mbufs in a burst (size of [`MbufBatch`]).
pub const BURST: usize = 32;

/// An owned packet buffer. Not `Clone`; dropping it frees the mbuf chain.
#[repr(transparent)]
pub struct Mbuf {
    ptr: NonNull<rte_mbuf>,
}

// SAFETY: an Mbuf is the only owner of its rte_mbuf; freeing it from another
// thread is supported by the mempool (MP/MC ops).
unsafe impl Send for Mbuf {}
// SAFETY: shared references only read the mbuf's fields.
unsafe impl Sync for Mbuf {}

impl Drop for Mbuf {
    fn drop(&mut self) {
        // SAFETY: this Mbuf owns the chain; it is not used afterwards.
        unsafe { dpdk_sys::ferrovs_rte_pktmbuf_free(self.ptr.as_ptr()) }
    }
}

impl fmt::Debug for Mbuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mbuf")
            .field("ptr", &self.ptr)
            .field("data_len", &self.len())
            .field("pkt_len", &self.pkt_len())
            .field("port", &self.port())
            .finish()
    }
}

impl Mbuf {
    #[inline]
    fn raw(&self) -> &rte_mbuf {
        // SAFETY: ptr is a valid mbuf owned by self for self's lifetime.
        unsafe { self.ptr.as_ref() }
    }

    #[inline]
    fn raw_mut(&mut self) -> &mut rte_mbuf {
        // SAFETY: ptr is a valid mbuf exclusively owned by self.
        unsafe { self.ptr.as_mut() }
    }

    /// Last segment of the chain.
    #[inline]
    fn last_seg(&mut self) -> *mut rte_mbuf {
        let mut m = self.ptr.as_ptr();
        // SAFETY: the chain is a valid NULL-terminated list owned by self.
        unsafe {
            while !(*m).next.is_null() {
                m = (*m).next;
            }
        }
        m
    }

    /// Packet data of the first segment.
    #[inline]
    pub fn data(&self) -> &[u8] {
        let m = self.raw();
        // SAFETY: buf_addr + data_off .. + data_len lies inside the mbuf's
        // buffer (DPDK invariant kept by every mutator of this type).
        unsafe {
            std::slice::from_raw_parts(
                (m.buf_addr as *const u8).add(m.data_off as usize),
                m.data_len as usize,
            )
        }
    }

    /// Mutable packet data of the first segment.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        let m = self.raw_mut();
        // SAFETY: as in `data`, and self is borrowed mutably so the bytes are
        // not aliased.
        unsafe {
            std::slice::from_raw_parts_mut(
                (m.buf_addr as *mut u8).add(m.data_off as usize),
                m.data_len as usize,
            )
        }
    }

    /// Bytes of data in the first segment (`data_len`).
    #[inline]
    pub fn len(&self) -> usize {
        self.raw().data_len as usize
    }

    /// Bytes of the whole packet, all segments (`pkt_len`).
    #[inline]
    pub fn pkt_len(&self) -> u32 {
        self.raw().pkt_len
    }

    /// Whether the packet has no data.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.raw().pkt_len == 0
    }

    /// Free bytes before the data of the first segment.
    #[inline]
    pub fn headroom(&self) -> u16 {
        self.raw().data_off
    }

    /// Free bytes after the data of the first segment.
    #[inline]
    pub fn tailroom(&self) -> u16 {
        let m = self.raw();
        m.buf_len - m.data_off - m.data_len
    }

    /// Number of segments of the chain.
    #[inline]
    pub fn nb_segs(&self) -> u16 {
        self.raw().nb_segs
    }

    /// Grows the packet by `n` bytes at the end (last segment) and returns
    /// the new bytes, or `None` without change when the tailroom is short
    /// (`rte_pktmbuf_append`).
    pub fn append(&mut self, n: u16) -> Option<&mut [u8]> {
        let last = self.last_seg();
        // SAFETY: last is a segment of the chain owned by self; the checks
        // keep data_off + data_len <= buf_len.
        unsafe {
            let l = &mut *last;
            let tailroom = l.buf_len - l.data_off - l.data_len;
            if n > tailroom {
                return None;
            }
            let tail = (l.buf_addr as *mut u8).add(l.data_off as usize + l.data_len as usize);
            l.data_len += n;
            self.raw_mut().pkt_len += u32::from(n);
            Some(std::slice::from_raw_parts_mut(tail, n as usize))
        }
    }

    /// Grows the packet by `n` bytes at the front and returns them (the new
    /// start of the data), or `None` without change when the headroom is
    /// short (`rte_pktmbuf_prepend`).
    pub fn prepend(&mut self, n: u16) -> Option<&mut [u8]> {
        let m = self.raw_mut();
        if n > m.data_off {
            return None;
        }
        m.data_off -= n;
        m.data_len += n;
        m.pkt_len += u32::from(n);
        // SAFETY: the new data start is inside the buffer (n <= old data_off).
        unsafe {
            Some(std::slice::from_raw_parts_mut(
                (m.buf_addr as *mut u8).add(m.data_off as usize),
                n as usize,
            ))
        }
    }

    /// Removes `n` bytes from the front of the packet; `false` without
    /// change when the first segment holds fewer (`rte_pktmbuf_adj`).
    pub fn adj(&mut self, n: u16) -> bool {
        let m = self.raw_mut();
        if n > m.data_len {
            return false;
        }
        m.data_len -= n;
        m.data_off += n;
        m.pkt_len -= u32::from(n);
        true
    }

    /// Removes `n` bytes from the end of the packet; `false` without change
    /// when the last segment holds fewer (`rte_pktmbuf_trim`).
    pub fn trim(&mut self, n: u16) -> bool {
        let last = self.last_seg();
        // SAFETY: last is a segment of the chain owned by self.
        let l = unsafe { &mut *last };
        if n > l.data_len {
            return false;
        }
        l.data_len -= n;
        self.raw_mut().pkt_len -= u32::from(n);
        true
    }

    /// Input port id set by the receiving PMD.
    #[inline]
    pub fn port(&self) -> u16 {
        self.raw().port
    }

    /// Sets the port field (e.g. before handing the mbuf to another port).
    #[inline]
    pub fn set_port(&mut self, port: u16) {
        self.raw_mut().port = port;
    }

    /// Offload flags (`RTE_MBUF_F_*`).
    #[inline]
    pub fn ol_flags(&self) -> u64 {
        self.raw().ol_flags
    }

    /// RSS hash computed by the NIC (valid when `ol_flags` has
    /// `RTE_MBUF_F_RX_RSS_HASH`).
    #[inline]
    pub fn rss_hash(&self) -> u32 {
        // SAFETY: every variant of the hash union is plain integers; reading
        // `rss` reads the first 4 bytes, whatever was written.
        unsafe { self.raw().__bindgen_anon_2.hash.rss }
    }

    /// Packet type (`RTE_PTYPE_*`) set by the PMD.
    #[inline]
    pub fn packet_type(&self) -> u32 {
        // SAFETY: the union overlays packet_type with bit-fields of the same
        // 4 bytes; any bit pattern is a valid u32.
        unsafe { self.raw().__bindgen_anon_1.packet_type }
    }

    /// VLAN TCI stripped by the NIC (valid with `RTE_MBUF_F_RX_VLAN`).
    #[inline]
    pub fn vlan_tci(&self) -> u16 {
        self.raw().vlan_tci
    }

    /// Reference count of the first segment.
    #[inline]
    pub fn refcnt(&self) -> u16 {
        // SAFETY: valid mbuf; atomic read.
        unsafe { dpdk_sys::ferrovs_rte_mbuf_refcnt_read(self.ptr.as_ptr()) }
    }

    /// A deep copy of the whole packet (all segments, metadata included)
    /// in mbufs of `pool` (`rte_pktmbuf_copy`), e.g. to output one packet
    /// to several ports.
    pub fn copy(&self, pool: &crate::Mempool) -> crate::Result<Mbuf> {
        // SAFETY: self is a valid mbuf chain and pool a live mbuf pool; the
        // copy is a new chain owned by nobody else.
        let p =
            unsafe { dpdk_sys::rte_pktmbuf_copy(self.ptr.as_ptr(), pool.as_ptr(), 0, u32::MAX) };
        match NonNull::new(p) {
            Some(p) => Ok(Mbuf { ptr: p }),
            None => Err(crate::Error::with_text(
                "rte_pktmbuf_copy",
                format!("mempool {}", pool.name()),
                libc::ENOMEM,
                format!(
                    "cannot copy a {}-byte packet: pool exhausted",
                    self.pkt_len()
                ),
            )),
        }
    }

    /// The raw pointer, valid while `self` lives.
    #[inline]
    pub fn as_ptr(&self) -> *mut rte_mbuf {
        self.ptr.as_ptr()
    }

    /// Gives up ownership: the caller must free the mbuf (or hand it to DPDK).
    #[inline]
    pub fn into_raw(self) -> *mut rte_mbuf {
        let p = self.ptr.as_ptr();
        std::mem::forget(self);
        p
    }

    /// Takes ownership of a raw mbuf.
    ///
    /// # Safety
    /// `p` must be a valid, non-null mbuf (chain) that nothing else owns or
    /// uses afterwards.
    #[inline]
    pub unsafe fn from_raw(p: *mut rte_mbuf) -> Mbuf {
        debug_assert!(!p.is_null(), "Mbuf::from_raw(NULL)");
        Mbuf {
            // SAFETY: the caller guarantees p is non-null.
            ptr: unsafe { NonNull::new_unchecked(p) },
        }
    }
}

/// The iterator of [`MbufBatch::drain`].
pub struct Drain<'a> {
    batch: &'a mut MbufBatch,
    next: usize,
    end: usize,
}

impl Iterator for Drain<'_> {
    type Item = Mbuf;

    #[inline]
    fn next(&mut self) -> Option<Mbuf> {
        if self.next >= self.end {
            return None;
        }
        let p = self.batch.mbufs[self.next];
        self.next += 1;
        // SAFETY: slots next..end held owned, non-null mbufs when the drain
        // started (the batch's length was set to 0, so it no longer owns
        // them); each is yielded at most once.
        Some(unsafe { Mbuf::from_raw(p) })
    }
}

impl Drop for Drain<'_> {
    fn drop(&mut self) {
        let n = self.end - self.next;
        if n > 0 {
            // SAFETY: the slots not yet yielded are owned mbufs that nothing
            // else references; each is freed exactly once here.
            unsafe {
                dpdk_sys::ferrovs_rte_pktmbuf_free_bulk(
                    self.batch.mbufs.as_mut_ptr().add(self.next),
                    n as u32,
                )
            };
        }
    }
}

/// Up to [`BURST`] owned mbufs: what one `rte_eth_rx_burst` fills and one
/// `rte_eth_tx_burst` sends. Dropping or clearing it frees the mbufs it
/// holds with one bulk free.
pub struct MbufBatch {
    len: usize,
    mbufs: [*mut rte_mbuf; BURST],
}

// SAFETY: the batch owns its mbufs like a Vec<Mbuf> would, and Mbuf is Send.
unsafe impl Send for MbufBatch {}
// SAFETY: shared references only read the mbufs, and Mbuf is Sync.
unsafe impl Sync for MbufBatch {}

impl Default for MbufBatch {
    fn default() -> Self {
        MbufBatch::new()
    }
}

impl fmt::Debug for MbufBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Drop for MbufBatch {
    fn drop(&mut self) {
        self.clear();
    }
}

impl MbufBatch {
    /// An empty batch.
    pub fn new() -> Self {
        MbufBatch {
            len: 0,
            mbufs: [std::ptr::null_mut(); BURST],
        }
    }

    /// Number of mbufs held.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the batch holds no mbuf.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the batch holds [`BURST`] mbufs.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.len == BURST
    }

    /// Free slots.
    #[inline]
    pub fn room(&self) -> usize {
        BURST - self.len
    }

    /// Adds an mbuf; gives it back when the batch is full.
    #[inline]
    pub fn push(&mut self, m: Mbuf) -> Result<(), Mbuf> {
        if self.is_full() {
            return Err(m);
        }
        self.mbufs[self.len] = m.into_raw();
        self.len += 1;
        Ok(())
    }

    /// The held mbufs as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[Mbuf] {
        // SAFETY: Mbuf is repr(transparent) over NonNull<rte_mbuf>, which has
        // the layout of *mut rte_mbuf; the first len slots are non-null owned
        // mbufs.
        unsafe { std::slice::from_raw_parts(self.mbufs.as_ptr() as *const Mbuf, self.len) }
    }

    /// The held mbufs as a mutable slice (mbufs may be swapped or replaced,
    /// ownership stays consistent).
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [Mbuf] {
        // SAFETY: as in `as_slice`; self is borrowed mutably.
        unsafe { std::slice::from_raw_parts_mut(self.mbufs.as_mut_ptr() as *mut Mbuf, self.len) }
    }

    /// The `i`-th mbuf, without taking it.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&Mbuf> {
        self.as_slice().get(i)
    }

    /// The `i`-th mbuf, mutably, without taking it.
    #[inline]
    pub fn get_mut(&mut self, i: usize) -> Option<&mut Mbuf> {
        self.as_mut_slice().get_mut(i)
    }

    /// Iterates over the held mbufs.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = &Mbuf> {
        self.as_slice().iter()
    }

    /// Iterates mutably over the held mbufs.
    #[inline]
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Mbuf> {
        self.as_mut_slice().iter_mut()
    }

    /// Removes every mbuf, in order, handing each to the caller; what the
    /// iterator has not yielded when it is dropped is freed (one bulk free).
    pub fn drain(&mut self) -> Drain<'_> {
        let end = self.len;
        self.len = 0;
        Drain {
            batch: self,
            next: 0,
            end,
        }
    }

    /// Removes and returns the `i`-th mbuf; the last mbuf takes its place
    /// (`Vec::swap_remove` order).
    pub fn take(&mut self, i: usize) -> Option<Mbuf> {
        if i >= self.len {
            return None;
        }
        let p = self.mbufs[i];
        self.len -= 1;
        self.mbufs[i] = self.mbufs[self.len];
        self.mbufs[self.len] = std::ptr::null_mut();
        // SAFETY: p was an owned, non-null mbuf of the batch, now removed.
        Some(unsafe { Mbuf::from_raw(p) })
    }

    /// Keeps the mbufs for which `f` returns true (in order) and frees the
    /// others with one bulk free.
    pub fn retain(&mut self, mut f: impl FnMut(&mut Mbuf) -> bool) {
        let mut dropped = [std::ptr::null_mut(); BURST];
        let mut n_dropped = 0;
        let mut kept = 0;
        let len = self.len;
        // Should `f` panic, the batch holds nothing (mbufs leak, no double
        // free).
        self.len = 0;
        for i in 0..len {
            let p = self.mbufs[i];
            // SAFETY: slot i < len holds a non-null owned mbuf; the view is
            // transparent over the pointer and is not dropped (ManuallyDrop).
            let mut view = std::mem::ManuallyDrop::new(unsafe { Mbuf::from_raw(p) });
            if f(&mut view) {
                self.mbufs[kept] = p;
                kept += 1;
            } else {
                dropped[n_dropped] = p;
                n_dropped += 1;
            }
        }
        self.len = kept;
        if n_dropped > 0 {
            // SAFETY: the dropped pointers are owned mbufs removed from the
            // batch above; each is freed exactly once.
            unsafe {
                dpdk_sys::ferrovs_rte_pktmbuf_free_bulk(dropped.as_mut_ptr(), n_dropped as u32)
            };
        }
    }

    /// Frees every mbuf (one bulk free).
    pub fn clear(&mut self) {
        if self.len > 0 {
            let n = self.len;
            self.len = 0;
            // SAFETY: the first n slots are owned mbufs, removed from the
            // batch before being freed once.
            unsafe { dpdk_sys::ferrovs_rte_pktmbuf_free_bulk(self.mbufs.as_mut_ptr(), n as u32) };
        }
    }

    /// Sum of `pkt_len` of the held mbufs.
    pub fn bytes(&self) -> u64 {
        self.iter().map(|m| u64::from(m.pkt_len())).sum()
    }

    /// Pointer to the first free slot, for DPDK calls that fill the batch.
    #[inline]
    pub(crate) fn tail_ptr(&mut self) -> *mut *mut rte_mbuf {
        // SAFETY: len <= BURST, so the offset is within (or one past) the
        // array.
        unsafe { self.mbufs.as_mut_ptr().add(self.len) }
    }

    /// Pointer to the first slot, for DPDK calls that consume the batch.
    #[inline]
    pub(crate) fn head_ptr(&mut self) -> *mut *mut rte_mbuf {
        self.mbufs.as_mut_ptr()
    }

    /// Sets the number of held mbufs.
    ///
    /// # Safety
    /// Slots `0..len` must hold owned non-null mbufs, and mbufs of slots
    /// dropped from the count must have been handed elsewhere.
    #[inline]
    pub(crate) unsafe fn set_len(&mut self, len: usize) {
        debug_assert!(len <= BURST);
        self.len = len;
    }

    /// Frees slots `from..to` (mbufs a PMD did not take) with one call.
    ///
    /// # Safety
    /// Slots `from..to` must hold owned mbufs that are not referenced by
    /// the count afterwards.
    #[inline]
    pub(crate) unsafe fn free_range(&mut self, from: usize, to: usize) {
        if to > from {
            // SAFETY: caller guarantees the range holds owned mbufs.
            unsafe {
                dpdk_sys::ferrovs_rte_pktmbuf_free_bulk(
                    self.mbufs.as_mut_ptr().add(from),
                    (to - from) as u32,
                )
            };
        }
    }
}

impl<'a> IntoIterator for &'a MbufBatch {
    type Item = &'a Mbuf;
    type IntoIter = std::slice::Iter<'a, Mbuf>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}
