//! `OFPT_ERROR` messages.
//!
//! The body is a (type, code) pair and data, normally the first 64 bytes of
//! the request that failed. From OpenFlow 1.2, type `0xffff` is an
//! experimenter error whose code field is the experimenter's type and which
//! carries the experimenter id before the data.

use crate::error::{error_names, map_error_code, DecodeError, ErrorKind, OFPET_EXPERIMENTER};
use crate::wire::{put_u16, put_u32};
use crate::{EncodeError, Version};

/// How many bytes of an offending request an error message carries.
pub const ERROR_DATA_LEN: usize = 64;

/// `OFPT_ERROR`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ErrorMsg {
    /// Error type (`OFPET_*` of the connection's version).
    pub err_type: u16,
    /// Error code; for experimenter errors the `exp_type`.
    pub code: u16,
    /// Experimenter id, present on the wire only when `err_type` is
    /// `0xffff` in OpenFlow 1.2+ (must be 0 otherwise).
    pub experimenter: u32,
    /// Data: usually the start of the offending request.
    pub data: Vec<u8>,
}

impl ErrorMsg {
    /// The error a switch speaking `version` returns for `kind`, carrying
    /// the first 64 bytes of the offending `request` (whole message, header
    /// included).
    pub fn for_request(kind: ErrorKind, version: Version, request: &[u8]) -> ErrorMsg {
        let (err_type, code) = kind.ofp_code(version);
        ErrorMsg {
            err_type,
            code,
            experimenter: 0,
            data: request[..request.len().min(ERROR_DATA_LEN)].to_vec(),
        }
    }

    /// The same error as a peer speaking `to` expects it, for an error
    /// written for `from` (see [`map_error_code`]). Experimenter errors
    /// keep their fields when both versions have them; otherwise they become
    /// `BAD_REQUEST/EPERM` with the experimenter id dropped.
    pub fn translate(&self, from: Version, to: Version) -> ErrorMsg {
        if self.is_experimenter(from) {
            if to >= Version::V1_2 {
                return self.clone();
            }
            return ErrorMsg {
                err_type: 1,
                code: 5,
                experimenter: 0,
                data: self.data.clone(),
            };
        }
        let (err_type, code) = map_error_code(from, to, self.err_type, self.code);
        ErrorMsg {
            err_type,
            code,
            experimenter: 0,
            data: self.data.clone(),
        }
    }

    /// True for an experimenter error of a version that has them.
    pub fn is_experimenter(&self, version: Version) -> bool {
        self.err_type == OFPET_EXPERIMENTER && version >= Version::V1_2
    }

    /// Names of the type and code in `version` (`"BAD_REQUEST"`,
    /// `Some("BAD_LEN")`).
    pub fn names(&self, version: Version) -> Option<(&'static str, Option<&'static str>)> {
        error_names(version, self.err_type, self.code)
    }

    /// Decodes the body after the header.
    pub fn decode(version: Version, body: &[u8]) -> Result<ErrorMsg, DecodeError> {
        if body.len() < 4 {
            return Err(DecodeError::bad_len("error message"));
        }
        let err_type = u16::from_be_bytes([body[0], body[1]]);
        let code = u16::from_be_bytes([body[2], body[3]]);
        let mut rest = &body[4..];
        let mut experimenter = 0;
        if err_type == OFPET_EXPERIMENTER && version >= Version::V1_2 {
            if rest.len() < 4 {
                return Err(DecodeError::bad_len("experimenter error message"));
            }
            experimenter = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
            rest = &rest[4..];
        }
        Ok(ErrorMsg {
            err_type,
            code,
            experimenter,
            data: rest.to_vec(),
        })
    }

    /// Appends the body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u16(out, self.err_type);
        put_u16(out, self.code);
        if self.is_experimenter(version) {
            put_u32(out, self.experimenter);
        } else if self.experimenter != 0 {
            return Err(EncodeError::unsupported(
                version,
                "experimenter id of a non-experimenter error",
            ));
        }
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn for_request_truncates_to_64() {
        let req: Vec<u8> = (0..100).collect();
        let e = ErrorMsg::for_request(ErrorKind::BadType, Version::V1_3, &req);
        assert_eq!((e.err_type, e.code), (1, 1));
        assert_eq!(e.data, req[..64]);
        assert_eq!(
            e.names(Version::V1_3),
            Some(("BAD_REQUEST", Some("BAD_TYPE")))
        );
        let short = ErrorMsg::for_request(ErrorKind::BadLen, Version::V1_0, &req[..10]);
        assert_eq!(short.data.len(), 10);
    }

    #[test]
    fn translate_between_versions() {
        let e = ErrorMsg {
            err_type: 3,
            code: 4,
            experimenter: 0,
            data: vec![1],
        };
        let t = e.translate(Version::V1_0, Version::V1_3);
        assert_eq!((t.err_type, t.code, t.data.as_slice()), (5, 6, &[1u8][..]));
        assert_eq!(t.translate(Version::V1_3, Version::V1_0), e);
        let x = ErrorMsg {
            err_type: 0xffff,
            code: 2,
            experimenter: 0x2320,
            data: vec![],
        };
        assert_eq!(x.translate(Version::V1_3, Version::V1_4), x);
        let down = x.translate(Version::V1_3, Version::V1_0);
        assert_eq!((down.err_type, down.code, down.experimenter), (1, 5, 0));
    }

    #[test]
    fn experimenter_errors() {
        let body = [0xff, 0xff, 0, 7, 0, 0, 0x23, 0x20, 1, 2, 3];
        let e = ErrorMsg::decode(Version::V1_3, &body).unwrap();
        assert_eq!(
            (e.code, e.experimenter, e.data.as_slice()),
            (7, 0x2320, &[1u8, 2, 3][..])
        );
        let mut out = Vec::new();
        e.encode(Version::V1_3, &mut out).unwrap();
        assert_eq!(out, body);
        // OpenFlow 1.0 has no experimenter errors: the id is part of the data.
        let e10 = ErrorMsg::decode(Version::V1_0, &body).unwrap();
        assert_eq!(e10.experimenter, 0);
        assert_eq!(e10.data.len(), 7);
        assert!(e.encode(Version::V1_0, &mut Vec::new()).is_err());
        assert!(ErrorMsg::decode(Version::V1_3, &body[..6]).is_err());
        assert!(ErrorMsg::decode(Version::V1_3, &body[..3]).is_err());
    }
}
