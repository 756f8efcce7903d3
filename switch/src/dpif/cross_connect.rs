//! Cross-connect: the documented test mode `cross_connect = ["p0=p1"]`.
//!
//! Every packet received on p0 leaves on p1, whole batches at a time. It is
//! the forwarding of the foundation's tests and benchmarks, kept as an
//! explicit mode beside the OpenFlow pipeline.

use dpdk::MbufBatch;

use super::{Output, Pipeline};

/// A fixed map from input port to output port.
#[derive(Debug, Clone, Default)]
pub struct CrossConnect {
    /// `to[in_port]` is the output port of packets received on `in_port`.
    to: Vec<Option<usize>>,
}

impl CrossConnect {
    /// Builds the map from (input, output) datapath port pairs.
    pub fn new(pairs: &[(usize, usize)]) -> Self {
        let len = pairs.iter().map(|&(a, b)| a.max(b) + 1).max().unwrap_or(0);
        let mut to = vec![None; len];
        for &(a, b) in pairs {
            to[a] = Some(b);
        }
        CrossConnect { to }
    }

    /// The output port for `in_port`, if any.
    pub fn output_of(&self, in_port: usize) -> Option<usize> {
        self.to.get(in_port).copied().flatten()
    }
}

impl Pipeline for CrossConnect {
    #[inline]
    fn process(
        &self,
        in_port: usize,
        batch: &mut MbufBatch,
        out: &mut Output<'_>,
        _cache: &mut super::cache::PmdCache,
    ) {
        match self.output_of(in_port) {
            Some(port) => out.send_batch(port, batch),
            None => out.drop_batch(batch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_one_direction_per_pair() {
        let cc = CrossConnect::new(&[(0, 1), (2, 0)]);
        assert_eq!(cc.output_of(0), Some(1));
        assert_eq!(cc.output_of(1), None);
        assert_eq!(cc.output_of(2), Some(0));
        assert_eq!(cc.output_of(7), None);
    }
}
