//! The group table: all, select, indirect and fast-failover groups.
//!
//! Groups live in an immutable map published through `arc-swap`: a
//! group-mod copies the map (group tables are small), changes the copy and
//! publishes it, so PMDs read groups without locks and a translation sees
//! one consistent table. Validation before any change: reserved ids,
//! existence (`GROUP_EXISTS`, `UNKNOWN_GROUP`), bucket counts and watches
//! per type, outputs, and chaining: a group may forward to another group
//! that exists, never back to itself through a chain (`LOOP`).
//!
//! Counters (group and per bucket) are atomics shared by every PMD; a
//! modify keeps the group's counters and resets the buckets'.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use openflow::action::Action;
use openflow::group::{Bucket, GroupType, OFPG_ALL, OFPG_ANY, OFPG_MAX};
use openflow::group_meter_mod::GroupMod;
use openflow::multipart::{BucketCounter, GroupDesc, GroupFeatures, GroupStats};
use openflow::port::{OFPP_ANY, OFPP_TABLE};
use openflow::ErrorKind;

/// `OFPGC_*` group-mod commands.
pub mod command {
    /// New group.
    pub const ADD: u16 = 0;
    /// Replace a group's type and buckets.
    pub const MODIFY: u16 = 1;
    /// Remove a group (or all with `OFPG_ALL`).
    pub const DELETE: u16 = 2;
}

/// Most groups a bridge holds.
pub const MAX_GROUPS: usize = 65536;
/// Most buckets per group.
pub const MAX_BUCKETS: usize = 256;
/// Deepest chain of groups a packet may follow.
pub const MAX_CHAIN: usize = 16;

/// Packet and byte counters.
#[derive(Debug, Default)]
pub struct Counter {
    /// Packets.
    pub packets: AtomicU64,
    /// Bytes.
    pub bytes: AtomicU64,
}

impl Counter {
    /// Counts one packet of `len` bytes.
    pub fn hit(&self, len: u64) {
        self.packets.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(len, Ordering::Relaxed);
    }

    fn to_wire(&self) -> BucketCounter {
        BucketCounter {
            packet_count: self.packets.load(Ordering::Relaxed),
            byte_count: self.bytes.load(Ordering::Relaxed),
        }
    }
}

/// One group.
#[derive(Debug)]
pub struct Group {
    /// Group id.
    pub id: u32,
    /// Type.
    pub group_type: GroupType,
    /// Buckets.
    pub buckets: Vec<Bucket>,
    /// When it was added.
    pub created: Instant,
    /// Group counters (kept across modifies).
    pub counter: Arc<Counter>,
    /// Per-bucket counters.
    pub bucket_counters: Vec<Counter>,
}

/// The group ids a bucket list forwards to.
fn chained(buckets: &[Bucket]) -> impl Iterator<Item = u32> + '_ {
    buckets.iter().flat_map(|b| {
        b.actions.iter().filter_map(|a| match a {
            Action::Group(g) => Some(*g),
            _ => None,
        })
    })
}

/// A bridge's groups.
pub struct Groups {
    map: ArcSwap<BTreeMap<u32, Arc<Group>>>,
}

impl Default for Groups {
    fn default() -> Self {
        Groups {
            map: ArcSwap::from_pointee(BTreeMap::new()),
        }
    }
}

impl Groups {
    /// The group `id`, as currently published.
    pub fn get(&self, id: u32) -> Option<Arc<Group>> {
        self.map.load().get(&id).cloned()
    }

    /// The current table, for a rollback.
    pub fn snapshot(&self) -> Arc<BTreeMap<u32, Arc<Group>>> {
        self.map.load_full()
    }

    /// Puts back a table taken with [`Groups::snapshot`].
    pub fn restore(&self, snapshot: Arc<BTreeMap<u32, Arc<Group>>>) {
        self.map.store(snapshot);
    }

    /// Whether group `id` exists.
    pub fn contains(&self, id: u32) -> bool {
        self.map.load().contains_key(&id)
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.map.load().len()
    }

    /// Whether there is no group.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Applies a group-mod. Returns the ids of the groups it deleted (the
    /// caller removes the flows that used them). On error nothing changed.
    pub fn group_mod(&self, gm: &GroupMod) -> Result<Vec<u32>, ErrorKind> {
        let current = self.map.load_full();
        let mut next: BTreeMap<u32, Arc<Group>> = (*current).clone();
        let deleted = match gm.command {
            command::ADD | command::MODIFY => {
                if gm.group_id > OFPG_MAX {
                    return Err(ErrorKind::InvalidGroup);
                }
                let old = next.get(&gm.group_id).cloned();
                match (gm.command, &old) {
                    (command::ADD, Some(_)) => return Err(ErrorKind::GroupExists),
                    (command::MODIFY, None) => return Err(ErrorKind::UnknownGroup),
                    _ => {}
                }
                if old.is_none() && next.len() >= MAX_GROUPS {
                    return Err(ErrorKind::InvalidGroup);
                }
                check_buckets(gm.group_type, &gm.buckets)?;
                for g in chained(&gm.buckets) {
                    if g == gm.group_id || !next.contains_key(&g) {
                        return Err(if g == gm.group_id {
                            ErrorKind::GroupLoop
                        } else {
                            ErrorKind::UnknownGroup
                        });
                    }
                    if reaches(&next, g, gm.group_id) {
                        return Err(ErrorKind::GroupLoop);
                    }
                }
                let group = Group {
                    id: gm.group_id,
                    group_type: gm.group_type,
                    buckets: gm.buckets.clone(),
                    created: old.as_ref().map_or_else(Instant::now, |o| o.created),
                    counter: old
                        .as_ref()
                        .map_or_else(Default::default, |o| Arc::clone(&o.counter)),
                    bucket_counters: gm.buckets.iter().map(|_| Counter::default()).collect(),
                };
                next.insert(gm.group_id, Arc::new(group));
                Vec::new()
            }
            command::DELETE => {
                let victims: Vec<u32> = if gm.group_id == OFPG_ALL {
                    next.keys().copied().collect()
                } else if next.contains_key(&gm.group_id) {
                    vec![gm.group_id]
                } else {
                    Vec::new()
                };
                // Groups that chain to a deleted group go with it (their
                // buckets would point nowhere), transitively.
                let mut gone = victims;
                loop {
                    let more: Vec<u32> = next
                        .values()
                        .filter(|g| !gone.contains(&g.id))
                        .filter(|g| chained(&g.buckets).any(|c| gone.contains(&c)))
                        .map(|g| g.id)
                        .collect();
                    if more.is_empty() {
                        break;
                    }
                    gone.extend(more);
                }
                for id in &gone {
                    next.remove(id);
                }
                gone
            }
            _ => return Err(ErrorKind::BadGroupModCommand),
        };
        self.map.store(Arc::new(next));
        Ok(deleted)
    }

    /// `OFPMP_GROUP` entries: `OFPG_ALL` or one group; `ref_count(id)`
    /// counts the flows and groups that forward to a group.
    pub fn stats(&self, group_id: u32, ref_count: impl Fn(u32) -> u32) -> Vec<GroupStats> {
        let map = self.map.load();
        map.values()
            .filter(|g| group_id == OFPG_ALL || g.id == group_id)
            .map(|g| {
                let age = g.created.elapsed();
                let chained_refs = map
                    .values()
                    .filter(|o| chained(&o.buckets).any(|c| c == g.id))
                    .count() as u32;
                GroupStats {
                    group_id: g.id,
                    ref_count: ref_count(g.id) + chained_refs,
                    packet_count: g.counter.packets.load(Ordering::Relaxed),
                    byte_count: g.counter.bytes.load(Ordering::Relaxed),
                    duration_sec: u32::try_from(age.as_secs()).unwrap_or(u32::MAX),
                    duration_nsec: age.subsec_nanos(),
                    bucket_stats: g.bucket_counters.iter().map(Counter::to_wire).collect(),
                }
            })
            .collect()
    }

    /// `OFPMP_GROUP_DESC` entries.
    pub fn desc(&self) -> Vec<GroupDesc> {
        self.map
            .load()
            .values()
            .map(|g| GroupDesc {
                group_type: g.group_type.wire(),
                group_id: g.id,
                buckets: g.buckets.clone(),
            })
            .collect()
    }

    /// `OFPMP_GROUP_FEATURES`: every type, weights, liveness and chaining.
    pub fn features() -> GroupFeatures {
        // OFPGFC_SELECT_WEIGHT | SELECT_LIVENESS | CHAINING | CHAINING_CHECKS.
        let capabilities = 0b1111;
        let actions = (1u32 << 28) - 1;
        GroupFeatures {
            types: 0b1111,
            capabilities,
            max_groups: [MAX_GROUPS as u32; 4],
            actions: [actions; 4],
        }
    }
}

/// Whether following chains from group `from` reaches group `to`.
fn reaches(map: &BTreeMap<u32, Arc<Group>>, from: u32, to: u32) -> bool {
    let mut stack = vec![from];
    let mut seen = Vec::new();
    while let Some(g) = stack.pop() {
        if g == to {
            return true;
        }
        if seen.contains(&g) {
            continue;
        }
        seen.push(g);
        if let Some(group) = map.get(&g) {
            stack.extend(chained(&group.buckets));
        }
    }
    false
}

fn check_buckets(group_type: GroupType, buckets: &[Bucket]) -> Result<(), ErrorKind> {
    if buckets.len() > MAX_BUCKETS {
        return Err(ErrorKind::BadBucket);
    }
    if group_type == GroupType::Indirect && buckets.len() != 1 {
        return Err(ErrorKind::InvalidGroup);
    }
    for b in buckets {
        if group_type == GroupType::FastFailover
            && b.watch_port == OFPP_ANY
            && b.watch_group == OFPG_ANY
        {
            return Err(ErrorKind::BadWatch);
        }
        for a in &b.actions {
            match a {
                Action::Output { port, .. } | Action::Enqueue { port, .. }
                    if *port == 0 || *port == OFPP_ANY || *port == OFPP_TABLE =>
                {
                    return Err(ErrorKind::BadOutPort);
                }
                Action::Experimenter { .. } => return Err(ErrorKind::BadActionExperimenter),
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gm(command: u16, group_type: GroupType, group_id: u32, buckets: Vec<Bucket>) -> GroupMod {
        GroupMod {
            command,
            group_type,
            group_id,
            buckets,
        }
    }

    fn bucket(actions: Vec<Action>) -> Bucket {
        Bucket {
            weight: 1,
            watch_port: OFPP_ANY,
            watch_group: OFPG_ANY,
            actions,
        }
    }

    fn out(port: u32) -> Action {
        Action::Output { port, max_len: 0 }
    }

    #[test]
    fn add_modify_delete_and_errors() {
        let g = Groups::default();
        g.group_mod(&gm(
            command::ADD,
            GroupType::All,
            1,
            vec![bucket(vec![out(1)])],
        ))
        .unwrap();
        assert_eq!(
            g.group_mod(&gm(command::ADD, GroupType::All, 1, vec![])),
            Err(ErrorKind::GroupExists)
        );
        assert_eq!(
            g.group_mod(&gm(command::MODIFY, GroupType::All, 2, vec![])),
            Err(ErrorKind::UnknownGroup)
        );
        assert_eq!(
            g.group_mod(&gm(command::ADD, GroupType::Indirect, 3, vec![])),
            Err(ErrorKind::InvalidGroup)
        );
        assert_eq!(
            g.group_mod(&gm(command::ADD, GroupType::All, OFPG_ALL, vec![])),
            Err(ErrorKind::InvalidGroup)
        );
        assert_eq!(
            g.group_mod(&gm(
                command::ADD,
                GroupType::FastFailover,
                4,
                vec![bucket(vec![out(1)])]
            )),
            Err(ErrorKind::BadWatch)
        );
        g.get(1).unwrap().counter.hit(60);
        g.group_mod(&gm(
            command::MODIFY,
            GroupType::Select,
            1,
            vec![bucket(vec![out(2)])],
        ))
        .unwrap();
        let one = g.get(1).unwrap();
        assert_eq!(one.group_type, GroupType::Select);
        assert_eq!(
            one.counter.packets.load(Ordering::Relaxed),
            1,
            "modify keeps counters"
        );
        assert_eq!(
            g.group_mod(&gm(command::DELETE, GroupType::All, 1, vec![])),
            Ok(vec![1])
        );
        assert!(g.is_empty());
        assert_eq!(
            g.group_mod(&gm(command::DELETE, GroupType::All, 9, vec![])),
            Ok(vec![])
        );
    }

    #[test]
    fn chains_must_exist_and_never_loop() {
        let g = Groups::default();
        assert_eq!(
            g.group_mod(&gm(
                command::ADD,
                GroupType::All,
                1,
                vec![bucket(vec![Action::Group(2)])]
            )),
            Err(ErrorKind::UnknownGroup)
        );
        g.group_mod(&gm(
            command::ADD,
            GroupType::All,
            2,
            vec![bucket(vec![out(1)])],
        ))
        .unwrap();
        g.group_mod(&gm(
            command::ADD,
            GroupType::All,
            1,
            vec![bucket(vec![Action::Group(2)])],
        ))
        .unwrap();
        // 2 -> 1 -> 2 would loop; so would 1 -> 1.
        assert_eq!(
            g.group_mod(&gm(
                command::MODIFY,
                GroupType::All,
                2,
                vec![bucket(vec![Action::Group(1)])]
            )),
            Err(ErrorKind::GroupLoop)
        );
        assert_eq!(
            g.group_mod(&gm(
                command::MODIFY,
                GroupType::All,
                1,
                vec![bucket(vec![Action::Group(1)])]
            )),
            Err(ErrorKind::GroupLoop)
        );
        // Deleting 2 takes 1, which chains to it, along.
        let mut gone = g
            .group_mod(&gm(command::DELETE, GroupType::All, 2, vec![]))
            .unwrap();
        gone.sort();
        assert_eq!(gone, vec![1, 2]);
        let stats = g.stats(OFPG_ALL, |_| 0);
        assert!(stats.is_empty());
    }
}
