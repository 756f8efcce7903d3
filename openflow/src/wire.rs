//! Small parsing and emitting helpers shared by every module of the codec.
//!
//! Parsing uses nom's byte-level combinators through [`field`], which turns
//! nom's errors into a [`DecodeError`] carrying the caller's context. Every
//! length field opens a sub-slice with [`sub`] so that trailing or missing
//! bytes inside it are errors. Emitting writes a placeholder length, the body,
//! and patches the length once at the end with [`patch_len16`] /
//! [`pad_to_8`].

use nom::IResult;

use crate::error::DecodeError;

/// Result of a parser: the remaining input and the value.
pub(crate) type PResult<'a, T> = Result<(&'a [u8], T), DecodeError>;

/// Runs a nom parser, mapping any nom error (incomplete input included) to a
/// BAD_LEN-class error in `ctx`.
#[inline]
pub(crate) fn field<'a, T>(
    input: &'a [u8],
    ctx: &'static str,
    mut parser: impl FnMut(&'a [u8]) -> IResult<&'a [u8], T>,
) -> PResult<'a, T> {
    parser(input).map_err(|_| DecodeError::bad_len(ctx))
}

/// Reads a big-endian u8.
#[inline]
pub(crate) fn u8<'a>(input: &'a [u8], ctx: &'static str) -> PResult<'a, u8> {
    field(input, ctx, nom::number::complete::be_u8)
}

/// Reads a big-endian u16.
#[inline]
pub(crate) fn u16<'a>(input: &'a [u8], ctx: &'static str) -> PResult<'a, u16> {
    field(input, ctx, nom::number::complete::be_u16)
}

/// Reads a big-endian u32.
#[inline]
pub(crate) fn u32<'a>(input: &'a [u8], ctx: &'static str) -> PResult<'a, u32> {
    field(input, ctx, nom::number::complete::be_u32)
}

/// Reads a big-endian u64.
#[inline]
pub(crate) fn u64<'a>(input: &'a [u8], ctx: &'static str) -> PResult<'a, u64> {
    field(input, ctx, nom::number::complete::be_u64)
}

/// Takes exactly `n` bytes.
#[inline]
pub(crate) fn take<'a>(input: &'a [u8], n: usize, ctx: &'static str) -> PResult<'a, &'a [u8]> {
    if input.len() < n {
        return Err(DecodeError::bad_len(ctx));
    }
    let (head, rest) = input.split_at(n);
    Ok((rest, head))
}

/// Takes a fixed-size array.
#[inline]
pub(crate) fn array<'a, const N: usize>(
    input: &'a [u8],
    ctx: &'static str,
) -> PResult<'a, [u8; N]> {
    let (rest, head) = take(input, N, ctx)?;
    let mut out = [0u8; N];
    out.copy_from_slice(head);
    Ok((rest, out))
}

/// Skips `n` padding bytes (their value is not checked).
#[inline]
pub(crate) fn skip<'a>(
    input: &'a [u8],
    n: usize,
    ctx: &'static str,
) -> Result<&'a [u8], DecodeError> {
    take(input, n, ctx).map(|(rest, _)| rest)
}

/// Opens the sub-slice of a TLV whose total length `len` (including the
/// `header_len` bytes already read) was just read: returns (rest after the
/// TLV, body of the TLV). A length below `header_len` or past the input is
/// `err`.
#[inline]
pub(crate) fn sub<'a>(
    input: &'a [u8],
    len: usize,
    header_len: usize,
    err: DecodeError,
) -> PResult<'a, &'a [u8]> {
    if len < header_len || len - header_len > input.len() {
        return Err(err);
    }
    let (body, rest) = input.split_at(len - header_len);
    Ok((rest, body))
}

/// Splits a list of TLVs whose length is a u16 at `len_offset`, each padded
/// to `align` bytes when `padded`; calls `each` with the whole TLV slice.
/// A zero or too-short length is `err` (never an infinite loop).
pub(crate) fn for_each_tlv<'a>(
    mut input: &'a [u8],
    len_offset: usize,
    min_len: usize,
    err: DecodeError,
    mut each: impl FnMut(&'a [u8]) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    while !input.is_empty() {
        if input.len() < len_offset + 2 {
            return Err(err);
        }
        let len = usize::from(u16::from_be_bytes([
            input[len_offset],
            input[len_offset + 1],
        ]));
        if len < min_len.max(len_offset + 2) || len > input.len() {
            return Err(err);
        }
        let (tlv, rest) = input.split_at(len);
        each(tlv)?;
        input = rest;
    }
    Ok(())
}

/// How many TLVs a well-formed list holds, for sizing the vector it
/// decodes into: lengths are u16 at `len_offset` (`u8` when `len_width` is
/// 1, plus `header` bytes); stops at the first malformed entry (the decoder
/// reports it) and never counts more than `input.len() / min_len`.
#[inline]
pub(crate) fn count_tlvs(
    mut input: &[u8],
    len_offset: usize,
    len_width: usize,
    header: usize,
    min_len: usize,
) -> usize {
    let mut n = 0;
    while input.len() > len_offset + len_width {
        let len = if len_width == 1 {
            usize::from(input[len_offset]) + header
        } else {
            usize::from(u16::from_be_bytes([
                input[len_offset],
                input[len_offset + 1],
            ]))
        };
        if len < min_len.max(1) || len > input.len() {
            break;
        }
        n += 1;
        input = &input[len..];
    }
    n
}

/// Appends a big-endian u16.
#[inline]
pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a big-endian u32.
#[inline]
pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a big-endian u64.
#[inline]
pub(crate) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends `n` zero bytes of padding.
#[inline]
pub(crate) fn put_zeros(out: &mut Vec<u8>, n: usize) {
    if n <= 8 {
        // Padding: one 8-byte store, cut to length (no memset call).
        let len = out.len();
        out.extend_from_slice(&[0; 8]);
        out.truncate(len + n);
    } else {
        out.resize(out.len() + n, 0);
    }
}

/// Writes `out.len() - start` as a big-endian u16 at `start + len_offset`.
/// Returns false (and writes nothing) when the length does not fit in 16
/// bits, so the caller can report an [`crate::EncodeError`].
#[inline]
pub(crate) fn patch_len16(out: &mut [u8], start: usize, len_offset: usize) -> bool {
    let len = out.len() - start;
    let Ok(len) = u16::try_from(len) else {
        return false;
    };
    out[start + len_offset..start + len_offset + 2].copy_from_slice(&len.to_be_bytes());
    true
}

/// Pads `out` with zeros so that `out.len() - start` is a multiple of 8.
#[inline]
pub(crate) fn pad_to_8(out: &mut Vec<u8>, start: usize) {
    let len = out.len() - start;
    put_zeros(out, (8 - len % 8) % 8);
}

/// Walks a list of OpenFlow 1.4-style properties (`ofp_prop_header`: type
/// u16, length u16 excluding padding, each property padded to 8 bytes; the
/// last one's padding may be absent only where `last_pad_optional`). Calls
/// `each(type, body)` with the body after the 4-byte header, without
/// padding. A length below 4 or past the input is `err`.
pub(crate) fn for_each_prop<'a>(
    mut input: &'a [u8],
    err: DecodeError,
    last_pad_optional: bool,
    mut each: impl FnMut(u16, &'a [u8]) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    while !input.is_empty() {
        if input.len() < 4 {
            return Err(err);
        }
        let ptype = u16::from_be_bytes([input[0], input[1]]);
        let len = usize::from(u16::from_be_bytes([input[2], input[3]]));
        if len < 4 || len > input.len() {
            return Err(err);
        }
        let padded = len.div_ceil(8) * 8;
        let next = if padded <= input.len() {
            padded
        } else if last_pad_optional {
            input.len()
        } else {
            return Err(err);
        };
        each(ptype, &input[4..len])?;
        input = &input[next..];
    }
    Ok(())
}

/// Emits one property: type, length (header + body, excluding padding),
/// the body written by `body`, then zero padding to 8 bytes. Returns false
/// when the body is too long for the u16 length.
pub(crate) fn put_prop(out: &mut Vec<u8>, ptype: u16, body: impl FnOnce(&mut Vec<u8>)) -> bool {
    let start = out.len();
    put_u16(out, ptype);
    put_u16(out, 0);
    body(out);
    let ok = patch_len16(out, start, 2);
    pad_to_8(out, start);
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn sub_rejects_short_and_long_lengths() {
        let err = DecodeError::bad_len("tlv");
        assert_eq!(sub(&[1, 2, 3], 3, 4, err), Err(err));
        assert_eq!(sub(&[1, 2, 3], 8, 4, err), Err(err));
        assert_eq!(sub(&[1, 2, 3], 6, 4, err), Ok((&[3u8][..], &[1u8, 2][..])));
    }

    #[test]
    fn tlv_walk_stops_on_zero_length() {
        let err = DecodeError::new(ErrorKind::BadActionLen, "action");
        let mut seen = 0;
        let r = for_each_tlv(&[0, 0, 0, 0], 2, 4, err, |_| {
            seen += 1;
            Ok(())
        });
        assert_eq!(r, Err(err));
        assert_eq!(seen, 0);
        let r = for_each_tlv(&[0, 1, 0, 4, 0, 2, 0, 4], 2, 4, err, |_| {
            seen += 1;
            Ok(())
        });
        assert_eq!(r, Ok(()));
        assert_eq!(seen, 2);
    }

    #[test]
    fn props_walk_and_emit() {
        let mut out = Vec::new();
        assert!(put_prop(&mut out, 1, |o| put_u16(o, 0xbeef)));
        assert!(put_prop(&mut out, 0xffff, |o| put_u32(o, 7)));
        assert_eq!(out.len(), 16);
        assert_eq!(&out[..8], &[0, 1, 0, 6, 0xbe, 0xef, 0, 0]);
        let mut seen = Vec::new();
        let err = DecodeError::bad_len("prop");
        for_each_prop(&out, err, false, |t, b| {
            seen.push((t, b.to_vec()));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            vec![(1, vec![0xbe, 0xef]), (0xffff, vec![0, 0, 0, 7])]
        );
        assert_eq!(
            for_each_prop(&out[..6], err, false, |_, _| Ok(())),
            Err(err)
        );
        assert_eq!(for_each_prop(&out[..6], err, true, |_, _| Ok(())), Ok(()));
    }

    #[test]
    fn counts_tlvs_and_stops_at_bad_ones() {
        // Two actions of 8 and 16 bytes.
        let mut list = vec![0, 0, 0, 8, 0, 0, 0, 0];
        list.extend_from_slice(&[0, 1, 0, 16]);
        list.resize(24, 0);
        assert_eq!(count_tlvs(&list, 2, 2, 0, 4), 2);
        list[3] = 0;
        assert_eq!(count_tlvs(&list, 2, 2, 0, 4), 0, "zero length stops");
        // OXMs: length byte at offset 3, 4-byte header.
        let oxms = [0x80, 0, 0, 4, 0, 0, 0, 1, 0x80, 0, 0x0a, 2, 8, 0];
        assert_eq!(count_tlvs(&oxms, 3, 1, 4, 4), 2);
    }

    #[test]
    fn patch_and_pad() {
        let mut out = vec![0xa5; 2];
        let start = out.len();
        put_u16(&mut out, 0);
        put_u16(&mut out, 0);
        out.push(7);
        pad_to_8(&mut out, start);
        assert!(patch_len16(&mut out, start, 2));
        assert_eq!(out, vec![0xa5, 0xa5, 0, 0, 0, 8, 7, 0, 0, 0]);
    }
}
