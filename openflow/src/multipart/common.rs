//! Pieces shared by the multipart bodies: fixed-size strings, experimenter
//! properties, 1.0 port numbers and list walking.

use crate::error::{DecodeError, EncodeError, ErrorKind};
use crate::wire;
use crate::Version;

/// Experimenter property type shared by every 1.4 property list
/// (`OFPPSPT14_EXPERIMENTER`, `OFPQDPT14_EXPERIMENTER`, `OFPTMPT14_EXPERIMENTER` ...).
pub const PROP_EXPERIMENTER: u16 = 0xffff;

/// An experimenter property of a 1.4 property list (`struct
/// ofp_prop_experimenter`: type 0xffff, length, experimenter, exp_type,
/// then `data`), kept as opaque bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExperimenterProp {
    /// Experimenter id (an OUI or ONF-assigned id).
    pub experimenter: u32,
    /// Experimenter-defined type.
    pub exp_type: u32,
    /// Experimenter-defined data, without the trailing padding.
    pub data: Vec<u8>,
}

impl ExperimenterProp {
    /// Decodes the body of an experimenter property (after the 4-byte
    /// type/length header, without padding).
    pub(crate) fn decode_body(body: &[u8], ctx: &'static str) -> Result<Self, DecodeError> {
        let err = DecodeError::new(ErrorKind::BadPropertyLen, ctx);
        if body.len() < 8 {
            return Err(err);
        }
        Ok(ExperimenterProp {
            experimenter: be32(&body[0..4]),
            exp_type: be32(&body[4..8]),
            data: body[8..].to_vec(),
        })
    }

    /// Emits the whole property (header, body, padding to 8 bytes) with type
    /// `ptype`.
    pub(crate) fn encode_as(
        &self,
        ptype: u16,
        version: Version,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let ok = wire::put_prop(out, ptype, |o| {
            wire::put_u32(o, self.experimenter);
            wire::put_u32(o, self.exp_type);
            o.extend_from_slice(&self.data);
        });
        if ok {
            Ok(())
        } else {
            Err(EncodeError::unsupported(
                version,
                "experimenter property longer than 65535 bytes",
            ))
        }
    }

    /// Emits the whole property with type 0xffff.
    pub(crate) fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_as(PROP_EXPERIMENTER, version, out)
    }
}

/// Big-endian u16 from a slice of at least 2 bytes (callers check lengths).
#[inline]
pub(crate) fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

/// Big-endian u32 from a slice of at least 4 bytes (callers check lengths).
#[inline]
pub(crate) fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Reads a NUL-padded fixed-size string field of `n` bytes.
pub(crate) fn fixed_str<'a>(
    input: &'a [u8],
    n: usize,
    ctx: &'static str,
) -> wire::PResult<'a, String> {
    let (rest, raw) = wire::take(input, n, ctx)?;
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    Ok((rest, String::from_utf8_lossy(&raw[..end]).into_owned()))
}

/// Writes `s` into a NUL-padded field of `n` bytes (truncated to `n`
/// bytes when longer).
pub(crate) fn put_fixed_str(out: &mut Vec<u8>, s: &str, n: usize) {
    let bytes = s.as_bytes();
    let len = bytes.len().min(n);
    out.extend_from_slice(&bytes[..len]);
    wire::put_zeros(out, n - len);
}

/// Decodes a 1.0 port number (u16) into the 32-bit port space.
#[inline]
pub(crate) fn port_in<'a>(
    version: Version,
    input: &'a [u8],
    ctx: &'static str,
) -> Result<(&'a [u8], u32), DecodeError> {
    if version == Version::V1_0 {
        let (rest, p) = wire::u16(input, ctx)?;
        Ok((rest, crate::port::port_from_v10(p)))
    } else {
        wire::u32(input, ctx)
    }
}

/// Encodes a port number as 16 bits in 1.0 and 32 bits after.
#[inline]
pub(crate) fn put_port(out: &mut Vec<u8>, version: Version, port: u32) -> Result<(), EncodeError> {
    if version == Version::V1_0 {
        let p = crate::port::port_to_v10(port).ok_or(EncodeError::unsupported(
            version,
            "port number above 0xff00 in OpenFlow 1.0",
        ))?;
        wire::put_u16(out, p);
    } else {
        wire::put_u32(out, port);
    }
    Ok(())
}

/// Decodes a list of entries with `decode` until the input is exhausted.
/// `decode` must consume at least one byte or fail (every entry here has a
/// non-empty fixed part), so this never loops forever.
pub(crate) fn decode_list<'a, T>(
    mut input: &'a [u8],
    ctx: &'static str,
    mut decode: impl FnMut(&'a [u8]) -> Result<(T, &'a [u8]), DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let before = input.len();
        let (item, rest) = decode(input)?;
        if rest.len() >= before {
            return Err(DecodeError::bad_len(ctx));
        }
        out.push(item);
        input = rest;
    }
    Ok(out)
}

/// Reads the u16 length at `len_offset` of an entry whose length covers the
/// whole entry, checks it against `min_len` and the input, and returns
/// (entry bytes, rest).
pub(crate) fn split_entry<'a>(
    input: &'a [u8],
    len_offset: usize,
    min_len: usize,
    ctx: &'static str,
) -> Result<(&'a [u8], &'a [u8]), DecodeError> {
    if input.len() < len_offset + 2 {
        return Err(DecodeError::bad_len(ctx));
    }
    let len = usize::from(be16(&input[len_offset..]));
    if len < min_len || len > input.len() {
        return Err(DecodeError::bad_len(ctx));
    }
    Ok(input.split_at(len))
}

/// Patches the u16 length at `start + len_offset` to cover everything
/// written since `start`, or fails naming `what`.
pub(crate) fn finish_len16(
    out: &mut [u8],
    start: usize,
    len_offset: usize,
    version: Version,
    what: &'static str,
) -> Result<(), EncodeError> {
    if wire::patch_len16(out, start, len_offset) {
        Ok(())
    } else {
        Err(EncodeError::unsupported(version, what))
    }
}

/// Fails unless `input` is empty (trailing bytes in a fixed body).
#[inline]
pub(crate) fn expect_end(input: &[u8], ctx: &'static str) -> Result<(), DecodeError> {
    if input.is_empty() {
        Ok(())
    } else {
        Err(DecodeError::bad_len(ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_strings_pad_and_truncate() {
        let mut out = vec![0xa5];
        put_fixed_str(&mut out, "abc", 5);
        put_fixed_str(&mut out, "abcdef", 4);
        assert_eq!(out, b"\xa5abc\0\0abcd");
        let (rest, s) = fixed_str(&out[1..], 5, "s").unwrap();
        assert_eq!(s, "abc");
        let (rest, s) = fixed_str(rest, 4, "s").unwrap();
        assert_eq!((s.as_str(), rest.len()), ("abcd", 0));
        assert_eq!(
            fixed_str(b"ab", 4, "name"),
            Err(DecodeError::bad_len("name"))
        );
    }

    #[test]
    fn experimenter_prop_round_trip_and_short() {
        let p = ExperimenterProp {
            experimenter: 0x65,
            exp_type: 2,
            data: vec![0, 0, 0, 1],
        };
        let mut out = vec![0xa5; 3];
        p.encode(Version::V1_4, &mut out).unwrap();
        assert_eq!(
            &out[3..],
            &[0xff, 0xff, 0, 0x10, 0, 0, 0, 0x65, 0, 0, 0, 2, 0, 0, 0, 1][..]
        );
        assert_eq!(ExperimenterProp::decode_body(&out[7..], "p"), Ok(p));
        assert_eq!(
            ExperimenterProp::decode_body(&[0; 7], "p")
                .unwrap_err()
                .kind,
            ErrorKind::BadPropertyLen
        );
    }

    #[test]
    fn entry_split_bounds() {
        assert!(split_entry(&[0, 4, 1, 2], 0, 4, "e").is_ok());
        assert_eq!(
            split_entry(&[0, 2, 1, 2], 0, 4, "e"),
            Err(DecodeError::bad_len("e"))
        );
        assert_eq!(
            split_entry(&[0, 8, 1, 2], 0, 4, "e"),
            Err(DecodeError::bad_len("e"))
        );
        assert_eq!(split_entry(&[0], 0, 4, "e"), Err(DecodeError::bad_len("e")));
    }
}
