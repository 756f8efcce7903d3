//! Lcore identity of threads.
//!
//! DPDK keeps per-lcore state (mempool caches, the lcore id) in thread-local
//! variables. Threads EAL did not create can register with
//! [`register_thread`] to get an lcore id (and mempool caches) until the
//! returned [`ThreadRegistration`] is dropped. Registering disables DPDK's
//! multi-process support for the rest of the process.

use std::marker::PhantomData;

use crate::error::{Error, Result};

/// The calling thread's lcore id, `None` for a thread unknown to EAL.
pub fn lcore_id() -> Option<u32> {
    // SAFETY: reads a thread-local variable; valid with or without EAL.
    let id = unsafe { dpdk_sys::ferrovs_rte_lcore_id() };
    (id != dpdk_sys::FERROVS_LCORE_ID_ANY).then_some(id)
}

/// Registration of the calling thread as a non-EAL lcore; dropping it
/// unregisters the thread. Not `Send`: it must be dropped on its thread.
#[derive(Debug)]
pub struct ThreadRegistration {
    lcore_id: u32,
    _not_send: PhantomData<*const ()>,
}

impl ThreadRegistration {
    /// The lcore id given to the thread.
    pub fn lcore_id(&self) -> u32 {
        self.lcore_id
    }
}

impl Drop for ThreadRegistration {
    fn drop(&mut self) {
        // SAFETY: the thread registered itself with rte_thread_register and
        // is still the same thread (ThreadRegistration is !Send).
        unsafe { dpdk_sys::rte_thread_unregister() };
    }
}

/// Registers the calling thread with EAL (`rte_thread_register`). Fails
/// before EAL init, when all lcore ids are taken, or when the thread
/// already has an lcore id.
pub fn register_thread() -> Result<ThreadRegistration> {
    let object = format!(
        "thread {}",
        std::thread::current().name().unwrap_or("<unnamed>")
    );
    if let Some(id) = lcore_id() {
        return Err(Error::with_text(
            "rte_thread_register",
            object,
            libc::EALREADY,
            format!("thread already has lcore id {id}"),
        ));
    }
    // SAFETY: plain call; DPDK checks that EAL is initialised.
    let rc = unsafe { dpdk_sys::rte_thread_register() };
    if rc < 0 {
        return Err(Error::from_rte_errno("rte_thread_register", object));
    }
    match lcore_id() {
        Some(id) => Ok(ThreadRegistration {
            lcore_id: id,
            _not_send: PhantomData,
        }),
        None => Err(Error::new("rte_thread_register", object, libc::ENOMEM)),
    }
}

/// Pins the calling thread to CPU `core` (`sched_setaffinity`).
pub fn pin_current_thread(core: usize) -> std::io::Result<()> {
    if core >= libc::CPU_SETSIZE as usize {
        return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: cpu_set_t is plain data; zeroed is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: core < CPU_SETSIZE, checked above.
    unsafe { libc::CPU_SET(core, &mut set) };
    // SAFETY: pid 0 = calling thread; set is a valid cpu_set_t of the size
    // passed.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unregistered_thread_has_no_lcore() {
        std::thread::spawn(|| assert_eq!(lcore_id(), None))
            .join()
            .unwrap();
    }

    #[test]
    fn pinning_to_an_allowed_core_works_and_out_of_range_fails() {
        std::thread::spawn(|| {
            // SAFETY: cpu_set_t is plain data; zeroed is the empty set.
            let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            // SAFETY: valid pointer and size for the calling thread.
            let rc = unsafe {
                libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set)
            };
            assert_eq!(rc, 0);
            let core = (0..libc::CPU_SETSIZE as usize)
                // SAFETY: i < CPU_SETSIZE.
                .find(|&i| unsafe { libc::CPU_ISSET(i, &set) })
                .expect("some allowed cpu");
            pin_current_thread(core).unwrap();
            assert!(pin_current_thread(libc::CPU_SETSIZE as usize).is_err());
        })
        .join()
        .unwrap();
    }
}
