//! [`PacketBuf`]: the packet storage the editor works on (an mbuf on the
//! datapath, a `Vec<u8>` in tests and on the slow path).

/// A contiguous, growable-at-the-front packet buffer.
pub trait PacketBuf {
    /// The packet bytes.
    fn data(&self) -> &[u8];
    /// The packet bytes, writable.
    fn data_mut(&mut self) -> &mut [u8];
    /// Grows the packet by `n` bytes at the front and returns them
    /// (contents unspecified); `None` when there is no room.
    fn prepend(&mut self, n: usize) -> Option<&mut [u8]>;
    /// Removes `n` bytes from the front; false (and nothing removed) when
    /// the packet is shorter.
    fn adj(&mut self, n: usize) -> bool;
    /// Removes `n` bytes from the end; false (and nothing removed) when
    /// the packet is shorter.
    fn trim(&mut self, n: usize) -> bool;
    /// Appends `n` zero bytes; false (and nothing added) without room.
    fn append_zeros(&mut self, n: usize) -> bool;
    /// Length in bytes.
    fn len(&self) -> usize;
    /// True when the packet has no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PacketBuf for Vec<u8> {
    fn data(&self) -> &[u8] {
        self
    }

    fn data_mut(&mut self) -> &mut [u8] {
        self
    }

    fn prepend(&mut self, n: usize) -> Option<&mut [u8]> {
        self.splice(0..0, std::iter::repeat_n(0u8, n));
        Some(&mut self[..n])
    }

    fn adj(&mut self, n: usize) -> bool {
        if n > Vec::len(self) {
            return false;
        }
        self.drain(..n);
        true
    }

    fn trim(&mut self, n: usize) -> bool {
        let Some(keep) = Vec::len(self).checked_sub(n) else {
            return false;
        };
        self.truncate(keep);
        true
    }

    fn append_zeros(&mut self, n: usize) -> bool {
        self.resize(Vec::len(self) + n, 0);
        true
    }

    fn len(&self) -> usize {
        Vec::len(self)
    }
}

impl PacketBuf for dpdk::Mbuf {
    fn data(&self) -> &[u8] {
        dpdk::Mbuf::data(self)
    }

    fn data_mut(&mut self) -> &mut [u8] {
        dpdk::Mbuf::data_mut(self)
    }

    fn prepend(&mut self, n: usize) -> Option<&mut [u8]> {
        dpdk::Mbuf::prepend(self, u16::try_from(n).ok()?)
    }

    fn adj(&mut self, n: usize) -> bool {
        u16::try_from(n).is_ok_and(|n| dpdk::Mbuf::adj(self, n))
    }

    fn trim(&mut self, n: usize) -> bool {
        u16::try_from(n).is_ok_and(|n| dpdk::Mbuf::trim(self, n))
    }

    fn append_zeros(&mut self, n: usize) -> bool {
        match u16::try_from(n)
            .ok()
            .and_then(|n| dpdk::Mbuf::append(self, n))
        {
            Some(tail) => {
                tail.fill(0);
                true
            }
            None => false,
        }
    }

    fn len(&self) -> usize {
        dpdk::Mbuf::len(self)
    }
}

/// Inserts `n` bytes at offset `at` (the bytes before it move to the
/// front) and returns the inserted bytes.
pub fn insert_at<P: PacketBuf + ?Sized>(pkt: &mut P, at: usize, n: usize) -> Option<&mut [u8]> {
    if at > pkt.len() {
        return None;
    }
    pkt.prepend(n)?;
    let d = pkt.data_mut();
    d.copy_within(n..n + at, 0);
    Some(&mut d[at..at + n])
}

/// Removes `n` bytes at offset `at` (the bytes before it move back).
pub fn remove_at<P: PacketBuf + ?Sized>(pkt: &mut P, at: usize, n: usize) -> bool {
    if at + n > pkt.len() {
        return false;
    }
    pkt.data_mut().copy_within(0..at, n);
    pkt.adj(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vec_insert_and_remove() {
        let mut v: Vec<u8> = (0u8..10).collect();
        insert_at(&mut v, 3, 2)
            .unwrap()
            .copy_from_slice(&[0xaa, 0xbb]);
        assert_eq!(v, [0, 1, 2, 0xaa, 0xbb, 3, 4, 5, 6, 7, 8, 9]);
        assert!(remove_at(&mut v, 3, 2));
        assert_eq!(v, (0u8..10).collect::<Vec<_>>());
        assert!(!remove_at(&mut v, 9, 2));
        assert!(insert_at(&mut v, 11, 1).is_none());
        assert!(PacketBuf::adj(&mut v, 10));
        assert!(PacketBuf::is_empty(&v));
        assert!(!PacketBuf::adj(&mut v, 1));
    }
}
