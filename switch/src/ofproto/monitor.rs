//! Flow monitors (OpenFlow 1.4 `OFPMP_FLOW_MONITOR`).
//!
//! A controller adds, modifies and deletes monitors by id with flow
//! monitor requests; each monitor selects flows by table, match (a flow is
//! selected when its match is at least as specific as the monitor's) and
//! output port or group. The reply to a request lists the selected flows
//! when the monitor asks for `OFPFMF_INITIAL`; afterwards every change to a
//! selected flow (added, modified, removed, as the monitor's flags ask)
//! reaches the connection as an unsolicited flow monitor reply. A change
//! the connection made itself is reported abbreviated (the xid of its
//! request) unless `OFPFMF_NO_ABBREV`, and not at all to a monitor with
//! `OFPFMF_ONLY_OWN` unless it is the connection's own.

use std::collections::BTreeMap;

use openflow::multipart::{
    FlowMonitorRequest, FlowUpdate, FlowUpdateFull, OFPFME_ADDED, OFPFME_INITIAL, OFPFME_MODIFIED,
    OFPFME_REMOVED,
};
use openflow::ErrorKind;

use super::table::{outputs_to, FlowEvent, RuleHandle, Tables, N_TABLES, OFPTT_ALL};
use crate::flow::{flow_to_match, match_to_flow, Flow, FLOW_WORDS};

/// `OFPFMF_*` flow monitor flags.
pub mod monitor_flags {
    /// Report the flows present when the monitor is added.
    pub const INITIAL: u16 = 1 << 0;
    /// Report additions.
    pub const ADD: u16 = 1 << 1;
    /// Report removals.
    pub const REMOVED: u16 = 1 << 2;
    /// Report modifications.
    pub const MODIFY: u16 = 1 << 3;
    /// Include instructions in the updates.
    pub const INSTRUCTIONS: u16 = 1 << 4;
    /// Report the connection's own changes in full.
    pub const NO_ABBREV: u16 = 1 << 5;
    /// Report only the connection's own changes.
    pub const ONLY_OWN: u16 = 1 << 6;
    /// Every flag.
    pub const ALL: u16 = (1 << 7) - 1;
}

/// `OFPFMC_*` flow monitor commands.
pub mod monitor_command {
    /// Add a monitor.
    pub const ADD: u8 = 0;
    /// Replace a monitor's request.
    pub const MODIFY: u8 = 1;
    /// Remove a monitor.
    pub const DELETE: u8 = 2;
}

/// Most monitors one connection may have.
pub const MAX_MONITORS: usize = 4096;

/// One monitor: its request and its match as flow words.
#[derive(Debug, Clone)]
struct Monitor {
    req: FlowMonitorRequest,
    key: Flow,
    mask: Flow,
}

impl Monitor {
    fn new(req: &FlowMonitorRequest) -> Result<Monitor, ErrorKind> {
        if req.flags & !monitor_flags::ALL != 0 {
            return Err(ErrorKind::BadMonitorFlags);
        }
        if req.table_id != OFPTT_ALL && usize::from(req.table_id) >= N_TABLES {
            return Err(ErrorKind::BadMonitorTableId);
        }
        let (key, mask) = match_to_flow(&req.match_).map_err(|e| e.kind)?;
        Ok(Monitor {
            req: req.clone(),
            key,
            mask,
        })
    }

    /// Whether the monitor selects rule `r`.
    fn selects(&self, r: &RuleHandle) -> bool {
        let p = r.payload();
        if self.req.table_id != OFPTT_ALL && self.req.table_id != p.table_id {
            return false;
        }
        let (k, m) = (&r.key(), r.mask());
        let (key, mask) = (self.key.words(), self.mask.words());
        // The rule's match is at least as specific as the monitor's.
        let within =
            (0..FLOW_WORDS).all(|i| mask[i] & !m[i] == 0 && (k[i] ^ key[i]) & mask[i] == 0);
        within && outputs_to(&p.instructions, self.req.out_port, self.req.out_group)
    }

    /// The full update for `r`.
    fn update(&self, event: u16, reason: u8, r: &RuleHandle) -> FlowUpdate {
        let p = r.payload();
        FlowUpdate::Full(FlowUpdateFull {
            event,
            table_id: p.table_id,
            reason,
            idle_timeout: p.idle_timeout,
            hard_timeout: p.hard_timeout,
            priority: r.priority() as u16,
            cookie: p.cookie,
            match_: flow_to_match(&Flow::from_words(r.key()), Flow::from_words_ref(r.mask())),
            instructions: if self.req.flags & monitor_flags::INSTRUCTIONS != 0 {
                p.instructions[..].into()
            } else {
                Default::default()
            },
        })
    }

    /// The flag that asks for events of kind `event`.
    fn wants(&self, event: u16) -> bool {
        let flag = match event {
            OFPFME_ADDED => monitor_flags::ADD,
            OFPFME_REMOVED => monitor_flags::REMOVED,
            OFPFME_MODIFIED => monitor_flags::MODIFY,
            _ => return false,
        };
        self.req.flags & flag != 0
    }
}

/// The monitors of one connection.
#[derive(Debug, Clone, Default)]
pub struct Monitors {
    by_id: BTreeMap<u32, Monitor>,
}

impl Monitors {
    /// Whether the connection has no monitor.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Applies the requests of one flow monitor request message, all or
    /// none, and returns the initial updates the added or modified
    /// monitors ask for (flows visible in `tables` now).
    pub fn request(
        &mut self,
        reqs: &[FlowMonitorRequest],
        tables: &Tables,
    ) -> Result<Vec<FlowUpdate>, ErrorKind> {
        let mut next = self.by_id.clone();
        let mut initial = Vec::new();
        for req in reqs {
            let exists = next.contains_key(&req.monitor_id);
            match req.command {
                monitor_command::ADD | monitor_command::MODIFY => {
                    if req.command == monitor_command::ADD && exists {
                        return Err(ErrorKind::MonitorExists);
                    }
                    if req.command == monitor_command::MODIFY && !exists {
                        return Err(ErrorKind::UnknownMonitor);
                    }
                    let m = Monitor::new(req)?;
                    if m.req.flags & monitor_flags::INITIAL != 0 {
                        initial.push(m.req.monitor_id);
                    }
                    next.insert(req.monitor_id, m);
                    if next.len() > MAX_MONITORS {
                        return Err(ErrorKind::BadMonitorCommand);
                    }
                }
                monitor_command::DELETE => {
                    if next.remove(&req.monitor_id).is_none() {
                        return Err(ErrorKind::UnknownMonitor);
                    }
                }
                _ => return Err(ErrorKind::BadMonitorCommand),
            }
        }
        self.by_id = next;
        let mut updates = Vec::new();
        for id in initial {
            let Some(m) = self.by_id.get(&id) else {
                continue;
            };
            let mut rules = Vec::new();
            for t in &tables.tables {
                t.cls.for_each_visible(tables.version(), |r| {
                    if m.selects(r) {
                        rules.push(r.clone());
                    }
                });
            }
            rules.sort_by_key(|r| (r.payload().table_id, std::cmp::Reverse(r.priority())));
            updates.extend(rules.iter().map(|r| m.update(OFPFME_INITIAL, 0, r)));
        }
        Ok(updates)
    }

    /// The updates `events` give this connection; `own` is the xid of the
    /// connection's request that made them (`None`: another connection or
    /// the switch itself, e.g. a timeout). Each event is reported once even
    /// when several monitors select it.
    pub fn updates(&self, events: &[FlowEvent], own: Option<u32>) -> Vec<FlowUpdate> {
        let mut out = Vec::new();
        let mut abbreviated = false;
        for ev in events {
            let monitor = self.by_id.values().find(|m| {
                m.wants(ev.event)
                    && (own.is_some() || m.req.flags & monitor_flags::ONLY_OWN == 0)
                    && m.selects(&ev.rule)
            });
            let Some(m) = monitor else {
                continue;
            };
            match own {
                Some(xid) if m.req.flags & monitor_flags::NO_ABBREV == 0 => {
                    // One abbreviated update stands for all of the request's
                    // changes.
                    if !abbreviated {
                        out.push(FlowUpdate::Abbrev { xid });
                        abbreviated = true;
                    }
                }
                _ => out.push(m.update(ev.event, ev.reason, &ev.rule)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ofproto::group::Groups;
    use crate::ofproto::meter::Meters;
    use crate::ofproto::table::{command, removed, OFPG_ANY};
    use openflow::action::Action;
    use openflow::flow_match::Match;
    use openflow::flow_mod::FlowMod;
    use openflow::instruction::Instruction;
    use openflow::oxm::OxmField;
    use openflow::port::OFPP_ANY;
    use openflow::Version;

    fn flow(command: u8, table_id: u8, in_port: u32, out: u32) -> FlowMod {
        FlowMod::new(
            command,
            table_id,
            10,
            Match::new(vec![OxmField::InPort(in_port)]),
            vec![Instruction::ApplyActions(vec![Action::Output {
                port: out,
                max_len: 0,
            }])],
        )
    }

    fn apply(t: &Tables, m: &FlowMod) {
        t.flow_mod(m, Version::V1_4, &Groups::default(), &Meters::default())
            .unwrap();
    }

    fn monitor(
        id: u32,
        command: u8,
        flags: u16,
        table_id: u8,
        out_port: u32,
    ) -> FlowMonitorRequest {
        FlowMonitorRequest {
            monitor_id: id,
            out_port,
            out_group: OFPG_ANY,
            flags,
            table_id,
            command,
            match_: Match::default(),
        }
    }

    /// (event, table, in_port) of the full updates, `xid` of abbreviated ones.
    fn summary(updates: &[FlowUpdate]) -> Vec<(u16, u8, u32)> {
        updates
            .iter()
            .map(|u| match u {
                FlowUpdate::Full(f) => {
                    let port = match f.match_.fields.first() {
                        Some(OxmField::InPort(p)) => *p,
                        _ => 0,
                    };
                    (f.event, f.table_id, port)
                }
                FlowUpdate::Abbrev { xid } => (openflow::multipart::OFPFME_ABBREV, 0, *xid),
                _ => (u16::MAX, 0, 0),
            })
            .collect()
    }

    use monitor_command as mc;
    use monitor_flags as mf;

    #[test]
    fn initial_then_incremental_updates_filtered_by_table_and_output() {
        let t = Tables::new(100);
        apply(&t, &flow(command::ADD, 0, 1, 5));
        apply(&t, &flow(command::ADD, 1, 2, 6));
        t.commit();
        let mut m = Monitors::default();
        let all = mf::INITIAL | mf::ADD | mf::REMOVED | mf::MODIFY;
        let initial = m
            .request(&[monitor(1, mc::ADD, all, OFPTT_ALL, OFPP_ANY)], &t)
            .unwrap();
        assert_eq!(
            summary(&initial),
            vec![(OFPFME_INITIAL, 0, 1), (OFPFME_INITIAL, 1, 2)]
        );
        // Instructions only when asked.
        assert!(matches!(&initial[0], FlowUpdate::Full(f) if f.instructions.is_empty()));

        t.set_monitoring(true);
        apply(&t, &flow(command::ADD, 0, 3, 5));
        apply(&t, &flow(command::MODIFY_STRICT, 1, 2, 7));
        apply(&t, &flow(command::DELETE_STRICT, 0, 1, 0));
        let events = t.take_events();
        assert_eq!(
            summary(&m.updates(&events, None)),
            vec![
                (OFPFME_ADDED, 0, 3),
                (OFPFME_MODIFIED, 1, 2),
                (OFPFME_REMOVED, 0, 1)
            ]
        );
        let removed_reason = m.updates(&events, None).iter().find_map(|u| match u {
            FlowUpdate::Full(f) if f.event == OFPFME_REMOVED => Some(f.reason),
            _ => None,
        });
        assert_eq!(removed_reason, Some(removed::DELETE));

        // Table 1 only, flows with an output to port 7, additions only.
        let mut narrow = Monitors::default();
        narrow
            .request(&[monitor(2, mc::ADD, mf::ADD | mf::INSTRUCTIONS, 1, 7)], &t)
            .unwrap();
        apply(&t, &flow(command::ADD, 1, 4, 7));
        apply(&t, &flow(command::ADD, 1, 5, 8));
        apply(&t, &flow(command::ADD, 0, 6, 7));
        apply(&t, &flow(command::DELETE_STRICT, 1, 4, 0));
        let got = narrow.updates(&t.take_events(), None);
        assert_eq!(summary(&got), vec![(OFPFME_ADDED, 1, 4)]);
        assert!(matches!(&got[0], FlowUpdate::Full(f) if f.instructions.len() == 1));
    }

    #[test]
    fn own_changes_are_abbreviated_unless_asked_and_only_own_filters() {
        let t = Tables::new(100);
        t.set_monitoring(true);
        let mut m = Monitors::default();
        m.request(&[monitor(1, mc::ADD, mf::ADD, OFPTT_ALL, OFPP_ANY)], &t)
            .unwrap();
        apply(&t, &flow(command::ADD, 0, 1, 5));
        apply(&t, &flow(command::ADD, 0, 2, 5));
        let events = t.take_events();
        // The connection's own request: one abbreviated update with its xid.
        assert_eq!(
            summary(&m.updates(&events, Some(42))),
            vec![(openflow::multipart::OFPFME_ABBREV, 0, 42)]
        );
        m.request(
            &[monitor(
                1,
                mc::MODIFY,
                mf::ADD | mf::NO_ABBREV,
                OFPTT_ALL,
                OFPP_ANY,
            )],
            &t,
        )
        .unwrap();
        assert_eq!(m.updates(&events, Some(42)).len(), 2, "no abbreviation");
        m.request(
            &[monitor(1, mc::MODIFY, mf::ADD | mf::ONLY_OWN, 0, OFPP_ANY)],
            &t,
        )
        .unwrap();
        assert!(m.updates(&events, None).is_empty(), "another's change");
        assert_eq!(m.updates(&events, Some(7)).len(), 1);
    }

    #[test]
    fn bad_requests_change_nothing() {
        let t = Tables::new(100);
        let mut m = Monitors::default();
        m.request(&[monitor(1, mc::ADD, mf::ADD, 0, OFPP_ANY)], &t)
            .unwrap();
        let cases = [
            (
                monitor(1, mc::ADD, mf::ADD, 0, OFPP_ANY),
                ErrorKind::MonitorExists,
            ),
            (
                monitor(2, mc::MODIFY, mf::ADD, 0, OFPP_ANY),
                ErrorKind::UnknownMonitor,
            ),
            (
                monitor(2, mc::DELETE, 0, 0, OFPP_ANY),
                ErrorKind::UnknownMonitor,
            ),
            (monitor(2, 9, 0, 0, OFPP_ANY), ErrorKind::BadMonitorCommand),
            (
                monitor(2, mc::ADD, 1 << 9, 0, OFPP_ANY),
                ErrorKind::BadMonitorFlags,
            ),
            (
                monitor(2, mc::ADD, mf::ADD, 254, OFPP_ANY),
                ErrorKind::BadMonitorTableId,
            ),
        ];
        for (req, kind) in cases {
            // A good request before the bad one in the same message is not
            // applied either.
            let good = monitor(3, mc::ADD, mf::ADD, 0, OFPP_ANY);
            assert_eq!(
                m.request(&[good, req.clone()], &t).unwrap_err(),
                kind,
                "{req:?}"
            );
        }
        assert_eq!(m.by_id.keys().copied().collect::<Vec<_>>(), vec![1]);
        m.request(&[monitor(1, mc::DELETE, 0, 0, OFPP_ANY)], &t)
            .unwrap();
        assert!(m.is_empty());
    }
}
