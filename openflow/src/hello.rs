//! Hello messages, the version-bitmap element and version negotiation.
//!
//! Hello elements (OpenFlow 1.3.1+) are `type, length` TLVs padded to 8 bytes,
//! the length excluding the padding. Unknown elements are kept as opaque
//! bytes so a hello round-trips exactly.

use crate::error::DecodeError;
use crate::wire::{pad_to_8, patch_len16, put_u16, put_u32};
use crate::{EncodeError, Version};

/// `OFPHET_VERSIONBITMAP`.
pub const OFPHET_VERSIONBITMAP: u16 = 1;

/// One hello element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HelloElement {
    /// Bit `n` of word `n / 32` set means wire version `n` is supported.
    VersionBitmap(Vec<u32>),
    /// Any other element type, body kept as it came.
    Unknown {
        /// Element type.
        elem_type: u16,
        /// Body after the 4-byte element header, without padding.
        data: Vec<u8>,
    },
}

/// `OFPT_HELLO`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Hello {
    /// Elements in wire order (empty for a plain 1.0–1.2 hello).
    pub elements: Vec<HelloElement>,
}

impl Hello {
    /// A hello advertising exactly `versions` with a version bitmap.
    pub fn with_versions(versions: &[Version]) -> Hello {
        let mut word = 0u32;
        for v in versions {
            word |= 1 << v.wire();
        }
        Hello {
            elements: vec![HelloElement::VersionBitmap(vec![word])],
        }
    }

    /// The version bitmap's wire versions, if the hello carries one.
    pub fn bitmap_versions(&self) -> Option<Vec<u8>> {
        self.elements.iter().find_map(|e| match e {
            HelloElement::VersionBitmap(words) => Some(
                words
                    .iter()
                    .enumerate()
                    .flat_map(|(i, w)| {
                        (0..32u32)
                            .filter(move |b| w & (1 << b) != 0)
                            .map(move |b| i as u32 * 32 + b)
                    })
                    .filter_map(|v| u8::try_from(v).ok())
                    .collect(),
            ),
            HelloElement::Unknown { .. } => None,
        })
    }

    /// Decodes a hello body (after the header).
    pub fn decode(body: &[u8]) -> Result<Hello, DecodeError> {
        let err = DecodeError::bad_len("hello element");
        let mut elements = Vec::new();
        let mut input = body;
        while !input.is_empty() {
            if input.len() < 4 {
                return Err(err);
            }
            let elem_type = u16::from_be_bytes([input[0], input[1]]);
            let len = usize::from(u16::from_be_bytes([input[2], input[3]]));
            if len < 4 || len > input.len() {
                return Err(err);
            }
            let data = &input[4..len];
            let padded = len.div_ceil(8) * 8;
            input = &input[padded.min(input.len())..];
            elements.push(if elem_type == OFPHET_VERSIONBITMAP {
                if !data.len().is_multiple_of(4) {
                    return Err(DecodeError::bad_len("hello version bitmap"));
                }
                HelloElement::VersionBitmap(
                    data.chunks_exact(4)
                        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                        .collect(),
                )
            } else {
                HelloElement::Unknown {
                    elem_type,
                    data: data.to_vec(),
                }
            });
        }
        Ok(Hello { elements })
    }

    /// Appends the hello body.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        for e in &self.elements {
            let start = out.len();
            match e {
                HelloElement::VersionBitmap(words) => {
                    put_u16(out, OFPHET_VERSIONBITMAP);
                    put_u16(out, 0);
                    for w in words {
                        put_u32(out, *w);
                    }
                }
                HelloElement::Unknown { elem_type, data } => {
                    put_u16(out, *elem_type);
                    put_u16(out, 0);
                    out.extend_from_slice(data);
                }
            }
            if !patch_len16(out, start, 2) {
                return Err(EncodeError::unsupported(
                    version,
                    "hello element over 65535 bytes",
                ));
            }
            pad_to_8(out, start);
        }
        Ok(())
    }
}

/// Picks the version both ends speak, from our `ours` list and the peer's
/// hello (its header version byte and body): the highest version in both
/// our list and the peer's bitmap, or, when its hello has no bitmap, every
/// version up to its header version (as Open vSwitch does; it gives the
/// specification's "lower of the two header versions" whenever that version
/// is one we speak). `None` means the connection fails with
/// HELLO_FAILED/INCOMPATIBLE.
pub fn negotiate(ours: &[Version], peer_header_version: u8, peer: &Hello) -> Option<Version> {
    let theirs = peer.bitmap_versions();
    ours.iter()
        .copied()
        .filter(|v| match &theirs {
            Some(t) => t.contains(&v.wire()),
            None => v.wire() <= peer_header_version,
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_round_trip() {
        let h = Hello::with_versions(&[Version::V1_0, Version::V1_3, Version::V1_4]);
        let mut out = Vec::new();
        h.encode(Version::V1_4, &mut out).unwrap();
        assert_eq!(out, [0, 1, 0, 8, 0, 0, 0, 0x32]);
        let back = Hello::decode(&out).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.bitmap_versions(), Some(vec![1, 4, 5]));
    }

    #[test]
    fn unknown_and_padded_elements() {
        let body = [
            0, 9, 0, 5, 0xab, 0, 0, 0, 0, 1, 0, 12, 0, 0, 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0,
        ];
        let h = Hello::decode(&body).unwrap();
        assert_eq!(
            h.elements[0],
            HelloElement::Unknown {
                elem_type: 9,
                data: vec![0xab]
            }
        );
        assert_eq!(h.bitmap_versions(), Some(vec![4, 32]));
        let mut out = Vec::new();
        h.encode(Version::V1_3, &mut out).unwrap();
        assert_eq!(out, body);
        assert!(Hello::decode(&[0, 1, 0, 3]).is_err());
        assert!(Hello::decode(&[0, 1, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(Hello::decode(&[0, 1, 0, 7, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn negotiation() {
        use Version::*;
        let both = Hello::with_versions(&[V1_0, V1_3]);
        assert_eq!(negotiate(&[V1_3, V1_4], 4, &both), Some(V1_3));
        assert_eq!(negotiate(&[V1_4], 4, &both), None);
        assert_eq!(negotiate(&[V1_0, V1_4], 5, &both), Some(V1_0));
        let plain = Hello::default();
        assert_eq!(negotiate(&[V1_0, V1_3], 4, &plain), Some(V1_3));
        assert_eq!(negotiate(&[V1_0, V1_3], 6, &plain), Some(V1_3));
        assert_eq!(negotiate(&[V1_0, V1_4], 4, &plain), Some(V1_0));
        assert_eq!(negotiate(&[V1_4], 4, &plain), None);
        assert_eq!(negotiate(&[V1_0, V1_1], 3, &plain), Some(V1_1));
        assert_eq!(negotiate(&[V1_0, V1_2], 3, &plain), Some(V1_2));
        assert_eq!(negotiate(&[V1_3, V1_4], 0x20, &plain), Some(V1_4));
    }
}
