//! Assignment of rx queues to PMD threads.
//!
//! The semantics of the Open vSwitch DPDK guide's "Port/RXQ Assignment to PMD
//! Threads": a queue pinned by `pmd-rxq-affinity` goes to the PMD on that
//! core, and that PMD becomes *isolated* (it polls only pinned queues) unless
//! `pmd-rxq-isolate=false`; a queue pinned to a core without a PMD is not
//! polled; the other queues are dealt round-robin over the non-isolated PMDs,
//! and when there is none they are not polled. Every queue left unpolled
//! yields a warning that names it and the reason.
//!
//! Pure logic: no threads, no devices.

use std::fmt;

/// One rx queue to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxqSpec {
    /// Index of the port in the datapath's port table.
    pub port: usize,
    /// Port name, for messages.
    pub port_name: String,
    /// Queue id on the port.
    pub queue: u16,
    /// Core the queue is pinned to, if any.
    pub pinned_core: Option<u32>,
}

/// Where each queue went.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RxqPlan {
    /// Per PMD (same order as the `pmd_cores` given): the queues it polls.
    pub pmd_rxqs: Vec<Vec<RxqSpec>>,
    /// Per PMD: whether it is isolated.
    pub isolated: Vec<bool>,
    /// Queues that no PMD polls, with the reason.
    pub unpolled: Vec<(RxqSpec, String)>,
}

impl fmt::Display for RxqSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "port {} rx queue {}", self.port_name, self.queue)
    }
}

/// Places `rxqs` on the PMDs of `pmd_cores`.
///
/// `isolate` is `other_config:pmd-rxq-isolate` (default true).
pub fn assign(pmd_cores: &[u32], rxqs: &[RxqSpec], isolate: bool) -> RxqPlan {
    let mut plan = RxqPlan {
        pmd_rxqs: vec![Vec::new(); pmd_cores.len()],
        isolated: vec![false; pmd_cores.len()],
        unpolled: Vec::new(),
    };
    for rxq in rxqs.iter().filter(|q| q.pinned_core.is_some()) {
        let core = rxq.pinned_core.unwrap_or_default();
        match pmd_cores.iter().position(|&c| c == core) {
            Some(i) => {
                plan.pmd_rxqs[i].push(rxq.clone());
                plan.isolated[i] = isolate;
            }
            None => plan.unpolled.push((
                rxq.clone(),
                format!(
                    "pmd-rxq-affinity pins it to core {core}, which has no PMD thread \
                     (add the core to pmd-cpu-mask)"
                ),
            )),
        }
    }
    let free: Vec<usize> = (0..pmd_cores.len())
        .filter(|&i| !plan.isolated[i])
        .collect();
    for (n, rxq) in rxqs.iter().filter(|q| q.pinned_core.is_none()).enumerate() {
        if free.is_empty() {
            plan.unpolled.push((
                rxq.clone(),
                "every PMD thread is isolated by pmd-rxq-affinity and the queue is not pinned \
                 (pin it, add a core to pmd-cpu-mask, or set pmd-rxq-isolate=false)"
                    .to_owned(),
            ));
            continue;
        }
        plan.pmd_rxqs[free[n % free.len()]].push(rxq.clone());
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(port: usize, queue: u16, pinned: Option<u32>) -> RxqSpec {
        RxqSpec {
            port,
            port_name: format!("p{port}"),
            queue,
            pinned_core: pinned,
        }
    }

    fn ids(v: &[RxqSpec]) -> Vec<(usize, u16)> {
        v.iter().map(|r| (r.port, r.queue)).collect()
    }

    #[test]
    fn round_robin_without_pinning() {
        let rxqs = [q(0, 0, None), q(0, 1, None), q(1, 0, None)];
        let plan = assign(&[1, 2], &rxqs, true);
        assert_eq!(ids(&plan.pmd_rxqs[0]), vec![(0, 0), (1, 0)]);
        assert_eq!(ids(&plan.pmd_rxqs[1]), vec![(0, 1)]);
        assert!(plan.unpolled.is_empty());
        assert_eq!(plan.isolated, vec![false, false]);
    }

    #[test]
    fn the_guides_example() {
        // pmd-rxq-affinity="0:3,1:7,3:8" on a 4-queue port, PMDs on 3, 7 and 9.
        let rxqs = [
            q(0, 0, Some(3)),
            q(0, 1, Some(7)),
            q(0, 2, None),
            q(0, 3, Some(8)),
        ];
        let plan = assign(&[3, 7, 9], &rxqs, true);
        assert_eq!(ids(&plan.pmd_rxqs[0]), vec![(0, 0)]);
        assert_eq!(ids(&plan.pmd_rxqs[1]), vec![(0, 1)]);
        assert_eq!(ids(&plan.pmd_rxqs[2]), vec![(0, 2)]);
        assert_eq!(plan.isolated, vec![true, true, false]);
        assert_eq!(plan.unpolled.len(), 1);
        assert_eq!(plan.unpolled[0].0.queue, 3);
        assert!(plan.unpolled[0].1.contains("core 8"));
    }

    #[test]
    fn no_non_isolated_pmd_leaves_unpinned_queues_unpolled() {
        let rxqs = [q(0, 0, Some(1)), q(1, 0, None)];
        let plan = assign(&[1], &rxqs, true);
        assert_eq!(ids(&plan.pmd_rxqs[0]), vec![(0, 0)]);
        assert_eq!(plan.unpolled.len(), 1);
        assert!(plan.unpolled[0].1.contains("isolated"));
        // With pmd-rxq-isolate=false the pinned PMD also takes the rest.
        let plan = assign(&[1], &rxqs, false);
        assert_eq!(ids(&plan.pmd_rxqs[0]), vec![(0, 0), (1, 0)]);
        assert!(plan.unpolled.is_empty());
    }

    #[test]
    fn no_pmd_at_all() {
        let plan = assign(&[], &[q(0, 0, None)], true);
        assert_eq!(plan.unpolled.len(), 1);
    }
}
