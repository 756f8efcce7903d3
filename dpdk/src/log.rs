//! DPDK's log messages as `tracing` events.
//!
//! By default DPDK writes its log (EAL, PMDs) to stderr and syslog. After
//! [`route_logs_to_tracing`], every message becomes a `tracing` event with
//! target `dpdk` at the level DPDK gave it (emergency..error -> ERROR,
//! warning -> WARN, notice and info -> INFO, debug -> DEBUG). Which
//! messages DPDK produces at all is still set by EAL's `--log-level`.

use std::ffi::{c_char, c_void};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Whether the stream is installed (it lives for the rest of the process).
static INSTALLED: Mutex<bool> = Mutex::new(false);

/// Routes DPDK's log into `tracing`; call it before [`crate::EalBuilder::init`]
/// to get EAL's own start-up messages too. Calling it again does nothing.
pub fn route_logs_to_tracing() -> Result<()> {
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if *installed {
        return Ok(());
    }
    // SAFETY: write_log matches the cookie write signature and never
    // unwinds; the stream is never closed (DPDK keeps using it).
    let stream = unsafe { dpdk_sys::ferrovs_log_stream(Some(write_log)) };
    if stream.is_null() {
        let errno = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        return Err(Error::new("fopencookie", "DPDK log stream", errno));
    }
    // SAFETY: stream is a valid FILE open for writing for the rest of the
    // process.
    let rc = unsafe { dpdk_sys::rte_openlog_stream(stream) };
    if rc < 0 {
        return Err(Error::from_rc("rte_openlog_stream", "DPDK log stream", rc));
    }
    *installed = true;
    Ok(())
}

/// Cookie write function of the log stream: one event per line.
unsafe extern "C" fn write_log(_cookie: *mut c_void, buf: *const c_char, len: usize) -> isize {
    if buf.is_null() || len == 0 {
        return 0;
    }
    // SAFETY: stdio passes a buffer of `len` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(buf as *const u8, len) };
    // SAFETY: plain getter of the calling thread's current message level,
    // set by rte_vlog before it writes (and flushes) the message.
    let level = unsafe { dpdk_sys::rte_log_cur_msg_loglevel() };
    // A panicking subscriber must not unwind into C.
    let _ = std::panic::catch_unwind(|| emit(level, bytes));
    len as isize
}

fn emit(level: i32, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
        match level {
            ..=4 => tracing::error!(target: "dpdk", "{line}"),
            5 => tracing::warn!(target: "dpdk", "{line}"),
            6 | 7 => tracing::info!(target: "dpdk", "{line}"),
            _ => tracing::debug!(target: "dpdk", "{line}"),
        }
    }
}
