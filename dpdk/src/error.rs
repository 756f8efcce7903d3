//! The error type of every fallible DPDK call.
//!
//! DPDK reports failures as negative errno return values or through the
//! thread-local `rte_errno`; both become an [`Error`] carrying the operation,
//! the object it was applied to, the errno value and the `rte_strerror` text,
//! plus a hint when the fix is known.

use std::ffi::CStr;
use std::fmt;

/// A failed DPDK operation: which call, on which object, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    op: &'static str,
    object: String,
    errno: i32,
    text: String,
    hint: Option<String>,
}

/// Result of a DPDK operation.
pub type Result<T> = std::result::Result<T, Error>;

/// Text of `rte_strerror(errno)` (covers both libc and DPDK's own codes).
pub fn strerror(errno: i32) -> String {
    // SAFETY: rte_strerror returns a pointer to a NUL-terminated string
    // (static, or in a thread-local buffer) for any value; it is copied
    // before any other DPDK call on this thread can overwrite it.
    unsafe { CStr::from_ptr(dpdk_sys::rte_strerror(errno)) }
        .to_string_lossy()
        .into_owned()
}

/// Current value of the calling thread's `rte_errno`.
pub(crate) fn rte_errno() -> i32 {
    // SAFETY: reads a thread-local integer; valid with or without EAL.
    unsafe { dpdk_sys::ferrovs_rte_errno() }
}

impl Error {
    /// An error with errno `errno` (positive) from operation `op` on `object`;
    /// the text is `rte_strerror(errno)`.
    pub fn new(op: &'static str, object: impl Into<String>, errno: i32) -> Error {
        let errno = errno.abs();
        Error {
            op,
            object: object.into(),
            errno,
            text: strerror(errno),
            hint: None,
        }
    }

    /// An error with errno `errno` and a text of its own (for conditions this
    /// crate detects before calling DPDK).
    pub fn with_text(
        op: &'static str,
        object: impl Into<String>,
        errno: i32,
        text: impl Into<String>,
    ) -> Error {
        Error {
            op,
            object: object.into(),
            errno: errno.abs(),
            text: text.into(),
            hint: None,
        }
    }

    /// The error of a call that returned the negative errno `rc`.
    pub(crate) fn from_rc(op: &'static str, object: impl Into<String>, rc: i32) -> Error {
        Error::new(op, object, rc)
    }

    /// The error of a call that failed and set `rte_errno`.
    pub(crate) fn from_rte_errno(op: &'static str, object: impl Into<String>) -> Error {
        let errno = rte_errno();
        // A call that fails without setting rte_errno still failed.
        Error::new(op, object, if errno == 0 { libc::EIO } else { errno })
    }

    /// Adds how to fix the problem, shown in parentheses after the text.
    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// The DPDK function (or this crate's step) that failed, e.g.
    /// `rte_eth_dev_configure`.
    pub fn op(&self) -> &'static str {
        self.op
    }

    /// The object of the operation, e.g. `port 0 (net_pcap0)`.
    pub fn object(&self) -> &str {
        &self.object
    }

    /// The (positive) errno value.
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// Description of the failure (`rte_strerror` text, or a more precise
    /// message for conditions detected by this crate).
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} failed: {} (errno {})",
            self.object, self.op, self.text, self.errno
        )?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_object_op_text_and_hint() {
        let e = Error::new("rte_dev_probe", "devargs 0000:01:00.0", -libc::ENODEV)
            .hint("bind the device to vfio-pci or use a vdev");
        let s = e.to_string();
        assert!(
            s.starts_with("devargs 0000:01:00.0: rte_dev_probe failed: "),
            "{s}"
        );
        assert!(s.contains("(errno 19)"), "{s}");
        assert!(
            s.ends_with("(bind the device to vfio-pci or use a vdev)"),
            "{s}"
        );
        assert_eq!(e.errno(), libc::ENODEV);
        assert_eq!(e.op(), "rte_dev_probe");
        assert_eq!(e.object(), "devargs 0000:01:00.0");
    }

    #[test]
    fn text_is_rte_strerror() {
        let e = Error::new("x", "y", libc::ENOMEM);
        assert_eq!(e.text(), strerror(libc::ENOMEM));
        assert!(!e.text().is_empty());
    }

    #[test]
    fn rte_errno_without_failure_becomes_eio() {
        // SAFETY: writes the calling thread's rte_errno.
        unsafe { dpdk_sys::ferrovs_rte_errno_set(0) };
        assert_eq!(Error::from_rte_errno("op", "obj").errno(), libc::EIO);
        // SAFETY: as above.
        unsafe { dpdk_sys::ferrovs_rte_errno_set(libc::EEXIST) };
        assert_eq!(Error::from_rte_errno("op", "obj").errno(), libc::EEXIST);
    }
}
