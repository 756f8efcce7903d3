//! Packet mbuf pools (`rte_pktmbuf_pool_create`).
//!
//! Thread safety: a [`Mempool`] is shared freely (`Send + Sync`, cheap
//! `Clone`); DPDK's default ring-based pool ops are multi-producer /
//! multi-consumer. Threads registered with EAL get a per-lcore cache of
//! `cache_size` mbufs; unregistered threads go straight to the ring.

use std::ffi::CString;
use std::ptr::NonNull;
use std::sync::Arc;

use crate::eal::Eal;
use crate::error::{Error, Result};
use crate::mbuf::Mbuf;

struct PoolInner {
    ptr: NonNull<dpdk_sys::rte_mempool>,
    name: String,
    _eal: Eal,
}

// SAFETY: an rte_mempool created by rte_pktmbuf_pool_create uses MP/MC-safe
// ops; every function called through the pointer is safe to call from any
// thread concurrently.
unsafe impl Send for PoolInner {}
// SAFETY: as above; shared references only call MT-safe functions.
unsafe impl Sync for PoolInner {}

impl Drop for PoolInner {
    fn drop(&mut self) {
        // SAFETY: ptr is a live pool owned by this value.
        let in_use = unsafe { dpdk_sys::rte_mempool_in_use_count(self.ptr.as_ptr()) };
        if in_use != 0 {
            // Freeing the pool would leave those mbufs pointing at freed
            // memory: keep it for the life of the process.
            tracing::warn!(
                pool = %self.name,
                in_use,
                "mempool dropped with mbufs still in use; not freeing it"
            );
            return;
        }
        // SAFETY: no mbuf of the pool is outstanding and no other handle
        // exists (this is the last Arc); the pool is not used afterwards.
        unsafe { dpdk_sys::rte_mempool_free(self.ptr.as_ptr()) };
    }
}

/// A pool of packet mbufs. Clones share the pool; it is freed when the last
/// clone is dropped, if none of its mbufs is still in use.
#[derive(Clone)]
pub struct Mempool {
    inner: Arc<PoolInner>,
}

impl std::fmt::Debug for Mempool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mempool")
            .field("name", &self.inner.name)
            .field("in_use", &self.in_use())
            .field("available", &self.available())
            .finish()
    }
}

impl Mempool {
    /// Creates a pool of `n_mbufs` mbufs whose buffers hold `data_room` bytes
    /// (headroom included, e.g. `RTE_MBUF_DEFAULT_BUF_SIZE` = 2176), with a
    /// per-lcore cache of `cache_size`, on NUMA socket `socket_id`
    /// (`-1` = any).
    pub fn new(
        eal: &Eal,
        name: &str,
        n_mbufs: u32,
        cache_size: u32,
        data_room: u16,
        socket_id: i32,
    ) -> Result<Mempool> {
        let object = format!("mempool {name}");
        let c_name = CString::new(name).map_err(|_| {
            Error::with_text(
                "rte_pktmbuf_pool_create",
                object.clone(),
                libc::EINVAL,
                "name contains a NUL byte",
            )
        })?;
        // SAFETY: EAL is initialised (eal token); c_name is a valid C string
        // copied by DPDK.
        let ptr = unsafe {
            dpdk_sys::rte_pktmbuf_pool_create(
                c_name.as_ptr(),
                n_mbufs,
                cache_size,
                0,
                data_room,
                socket_id,
            )
        };
        let ptr = NonNull::new(ptr)
            .ok_or_else(|| Error::from_rte_errno("rte_pktmbuf_pool_create", object))?;
        Ok(Mempool {
            inner: Arc::new(PoolInner {
                ptr,
                name: name.to_string(),
                _eal: eal.clone(),
            }),
        })
    }

    /// The pool's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Number of mbufs of the pool (`n_mbufs` at creation).
    pub fn size(&self) -> u32 {
        // SAFETY: ptr is a live pool; `size` is constant after creation.
        unsafe { (*self.inner.ptr.as_ptr()).size }
    }

    /// Mbufs currently allocated (not in the pool nor in an lcore cache).
    pub fn in_use(&self) -> u32 {
        // SAFETY: ptr is a live pool; the count is MT-safe (approximate while
        // other threads allocate).
        unsafe { dpdk_sys::rte_mempool_in_use_count(self.inner.ptr.as_ptr()) }
    }

    /// Mbufs available (in the pool or in lcore caches).
    pub fn available(&self) -> u32 {
        // SAFETY: as in `in_use`.
        unsafe { dpdk_sys::rte_mempool_avail_count(self.inner.ptr.as_ptr()) }
    }

    /// The raw pool, for DPDK calls this crate does not wrap. It stays valid
    /// while this `Mempool` (or a clone) lives.
    pub fn as_ptr(&self) -> *mut dpdk_sys::rte_mempool {
        self.inner.ptr.as_ptr()
    }

    /// Allocates one mbuf (reset, empty, default headroom).
    pub fn alloc(&self) -> Result<Mbuf> {
        // SAFETY: ptr is a live mbuf pool; alloc is MT-safe.
        let m = unsafe { dpdk_sys::ferrovs_rte_pktmbuf_alloc(self.as_ptr()) };
        match NonNull::new(m) {
            // SAFETY: a freshly allocated mbuf owned by nobody else.
            Some(m) => Ok(unsafe { Mbuf::from_raw(m.as_ptr()) }),
            None => Err(Error::with_text(
                "rte_pktmbuf_alloc",
                format!("mempool {}", self.inner.name),
                libc::ENOMEM,
                format!("pool exhausted ({} mbufs in use)", self.in_use()),
            )),
        }
    }

    /// Allocates one mbuf holding a copy of `data` (e.g. an OpenFlow
    /// packet-out); an error when `data` does not fit in one mbuf.
    pub fn alloc_with(&self, data: &[u8]) -> Result<Mbuf> {
        let mut m = self.alloc()?;
        let room = usize::from(m.tailroom());
        let len = u16::try_from(data.len())
            .ok()
            .filter(|&n| usize::from(n) <= room);
        let Some(buf) = len.and_then(|n| m.append(n)) else {
            return Err(Error::with_text(
                "rte_pktmbuf_append",
                format!("mempool {}", self.inner.name),
                libc::EMSGSIZE,
                format!(
                    "{} bytes do not fit in one mbuf ({room} bytes of room)",
                    data.len()
                ),
            ));
        };
        buf.copy_from_slice(data);
        Ok(m)
    }

    /// Allocates `n` mbufs in one call and appends them to `batch`; fails
    /// (allocating none) when the pool has fewer free or `batch` has no room.
    pub fn alloc_bulk(&self, batch: &mut crate::MbufBatch, n: usize) -> Result<()> {
        let object = || format!("mempool {}", self.inner.name);
        if n > batch.room() {
            return Err(Error::with_text(
                "rte_pktmbuf_alloc_bulk",
                object(),
                libc::ENOSPC,
                format!("batch has room for {} mbufs, {n} requested", batch.room()),
            ));
        }
        // SAFETY: the free tail of the batch has room for n pointers; on
        // success DPDK fills them with owned mbufs and the batch takes them.
        let rc = unsafe {
            dpdk_sys::ferrovs_rte_pktmbuf_alloc_bulk(self.as_ptr(), batch.tail_ptr(), n as u32)
        };
        if rc != 0 {
            return Err(Error::from_rc("rte_pktmbuf_alloc_bulk", object(), rc));
        }
        // SAFETY: the n slots after len were just filled with valid mbufs.
        unsafe { batch.set_len(batch.len() + n) };
        Ok(())
    }
}
