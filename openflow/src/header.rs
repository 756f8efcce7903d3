//! The 8-byte OpenFlow header and a streaming framer.
//!
//! [`Header`] is the `ofp_header` common to every version. [`Framer`] cuts a
//! TCP or TLS byte stream into whole messages: it buffers partial messages,
//! yields several messages from one read, and rejects a length field below 8
//! or above its configured maximum with a BAD_LEN-class [`DecodeError`]
//! (after which the stream cannot be resynchronised and must be closed).

use crate::error::DecodeError;

/// Length of `ofp_header`.
pub const HEADER_LEN: usize = 8;

/// Largest length an OpenFlow message can have (the u16 length field).
pub const MAX_MESSAGE_LEN: usize = 65535;

/// The `ofp_header` of every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Wire version byte (may be a version this crate does not speak, e.g.
    /// in a hello).
    pub version: u8,
    /// Message type number of that version.
    pub msg_type: u8,
    /// Total message length, header included.
    pub length: u16,
    /// Transaction id.
    pub xid: u32,
}

impl Header {
    /// Parses the first 8 bytes of `bytes`. Checks only that 8 bytes are
    /// present and that `length` is at least 8.
    pub fn parse(bytes: &[u8]) -> Result<Header, DecodeError> {
        if bytes.len() < HEADER_LEN {
            return Err(DecodeError::bad_len("ofp_header"));
        }
        let header = Header {
            version: bytes[0],
            msg_type: bytes[1],
            length: u16::from_be_bytes([bytes[2], bytes[3]]),
            xid: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        };
        if usize::from(header.length) < HEADER_LEN {
            return Err(DecodeError::bad_len("ofp_header length below 8"));
        }
        Ok(header)
    }

    /// Appends the 8 header bytes to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        let [l0, l1] = self.length.to_be_bytes();
        let [x0, x1, x2, x3] = self.xid.to_be_bytes();
        out.extend_from_slice(&[self.version, self.msg_type, l0, l1, x0, x1, x2, x3]);
    }
}

/// Cuts a byte stream into whole OpenFlow messages.
///
/// Feed bytes with [`Framer::push`], take messages with
/// [`Framer::next_message`] until it returns `Ok(None)`. Memory use is
/// bounded by the configured maximum message length plus one read.
#[derive(Debug, Clone)]
pub struct Framer {
    buf: Vec<u8>,
    start: usize,
    max_len: usize,
    failed: Option<DecodeError>,
}

impl Default for Framer {
    fn default() -> Self {
        Framer::new(MAX_MESSAGE_LEN)
    }
}

impl Framer {
    /// A framer accepting messages of at most `max_len` bytes (clamped to
    /// 8..=65535).
    pub fn new(max_len: usize) -> Framer {
        Framer {
            buf: Vec::new(),
            start: 0,
            max_len: max_len.clamp(HEADER_LEN, MAX_MESSAGE_LEN),
            failed: None,
        }
    }

    /// The configured maximum message length.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered but not yet returned as a message.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next whole message (header included), `Ok(None)` when more bytes
    /// are needed, or an error when a header's length is below 8 or above the
    /// maximum. After an error every later call returns the same error.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, DecodeError> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        let avail = &self.buf[self.start..];
        if avail.len() < HEADER_LEN {
            self.compact();
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([avail[2], avail[3]]));
        if len < HEADER_LEN {
            let err = DecodeError::bad_len("ofp_header length below 8");
            self.failed = Some(err);
            return Err(err);
        }
        if len > self.max_len {
            let err = DecodeError::bad_len("ofp_header length above maximum");
            self.failed = Some(err);
            return Err(err);
        }
        if avail.len() < len {
            self.compact();
            return Ok(None);
        }
        let msg = avail[..len].to_vec();
        self.start += len;
        Ok(Some(msg))
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn msg(len: u16, fill: u8) -> Vec<u8> {
        let mut m = vec![4, 2];
        m.extend_from_slice(&len.to_be_bytes());
        m.extend_from_slice(&7u32.to_be_bytes());
        m.resize(usize::from(len), fill);
        m
    }

    #[test]
    fn header_round_trip() {
        let h = Header::parse(&msg(12, 1)).unwrap();
        assert_eq!(
            h,
            Header {
                version: 4,
                msg_type: 2,
                length: 12,
                xid: 7
            }
        );
        let mut out = Vec::new();
        h.emit(&mut out);
        assert_eq!(out, msg(12, 1)[..8]);
        assert_eq!(
            Header::parse(&[4, 2, 0]).unwrap_err().kind,
            ErrorKind::BadLen
        );
        assert_eq!(Header::parse(&msg(8, 0)[..]).unwrap().length, 8);
        let mut short = msg(8, 0);
        short[3] = 7;
        assert_eq!(Header::parse(&short).unwrap_err().kind, ErrorKind::BadLen);
    }

    #[test]
    fn partial_and_many_per_read() {
        let mut stream = msg(12, 0xaa);
        stream.extend(msg(8, 0));
        stream.extend(msg(20, 0xbb));
        for chunk in [1usize, 3, 7, 40] {
            let mut f = Framer::default();
            let mut got = Vec::new();
            for piece in stream.chunks(chunk) {
                f.push(piece);
                while let Some(m) = f.next_message().unwrap() {
                    got.push(m);
                }
            }
            assert_eq!(got, vec![msg(12, 0xaa), msg(8, 0), msg(20, 0xbb)]);
            assert_eq!(f.buffered(), 0);
        }
    }

    #[test]
    fn bad_lengths_are_errors() {
        let mut f = Framer::default();
        let mut bad = msg(8, 0);
        bad[3] = 4;
        f.push(&bad);
        assert_eq!(f.next_message().unwrap_err().kind, ErrorKind::BadLen);
        assert!(f.next_message().is_err());

        let mut f = Framer::new(64);
        f.push(&msg(65, 0)[..8]);
        assert_eq!(f.next_message().unwrap_err().kind, ErrorKind::BadLen);
        let mut f = Framer::new(64);
        f.push(&msg(64, 0));
        assert_eq!(f.next_message().unwrap(), Some(msg(64, 0)));
    }
}
