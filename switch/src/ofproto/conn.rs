//! Per-connection OpenFlow state: controller role and asynchronous message
//! configuration.
//!
//! Roles follow OpenFlow 1.2–1.4: a connection starts EQUAL; a role request
//! for MASTER or SLAVE carries a generation id that must not be older than
//! the last one seen (else `OFPRRFC_STALE`); a new MASTER turns the previous
//! master into a SLAVE, which in OpenFlow 1.4 is told so by a role-status
//! message. A SLAVE may not modify the switch (`OFPBRC_IS_SLAVE`).
//!
//! Asynchronous messages (packet-in, port-status, flow-removed, role-status,
//! table-status, requestforward) go to a connection only when its async
//! configuration enables that reason for its role side; the defaults are
//! Open vSwitch's. Each connection has a bounded queue of asynchronous
//! messages: when a slow controller lets it fill, further messages to it are
//! dropped and counted, never buffered without bound.

use openflow::config::{async_prop, AsyncConfig, AsyncProp};
use openflow::Version;

use super::packet_in::TokenBucket;
use tokio::sync::mpsc;

use openflow::Message;

/// Identifies a connection of a bridge.
pub type ConnId = u64;

/// Asynchronous messages a connection may queue before further ones are
/// dropped (and counted).
pub const ASYNC_QUEUE_LEN: usize = 1024;
/// Messages a connection may have queued for a packet-in to join them:
/// beyond, the packet-in is dropped (and counted) before it is built, so a
/// flood neither spends the control thread on messages that cannot be sent
/// nor makes a controller's replies (a barrier's) wait behind a full queue.
pub const PACKET_IN_BACKLOG: usize = 64;

/// A controller's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Full access, receives asynchronous messages (the default).
    Equal,
    /// Full access; at most one master per bridge.
    Master,
    /// Read-only; receives port-status only by default.
    Slave,
}

impl Role {
    /// `OFPCR_ROLE_*` wire value.
    pub fn wire(self) -> u32 {
        match self {
            Role::Equal => 1,
            Role::Master => 2,
            Role::Slave => 3,
        }
    }

    /// The role of a wire value: `Some(None)` is `OFPCR_ROLE_NOCHANGE`,
    /// `None` an unknown value.
    pub fn from_wire(v: u32) -> Option<Option<Role>> {
        match v {
            0 => Some(None),
            1 => Some(Some(Role::Equal)),
            2 => Some(Some(Role::Master)),
            3 => Some(Some(Role::Slave)),
            _ => None,
        }
    }
}

/// Kinds of asynchronous messages, in `OFPACPT_*` order (the property type
/// of the slave side is `2 * kind`, of the master side `2 * kind + 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsyncKind {
    /// `OFPT_PACKET_IN`.
    PacketIn = 0,
    /// `OFPT_PORT_STATUS`.
    PortStatus = 1,
    /// `OFPT_FLOW_REMOVED`.
    FlowRemoved = 2,
    /// `OFPT_ROLE_STATUS` (1.4).
    RoleStatus = 3,
    /// `OFPT_TABLE_STATUS` (1.4).
    TableStatus = 4,
    /// `OFPT_REQUESTFORWARD` (1.4).
    RequestForward = 5,
}

/// Number of async-config masks (slave and master side of six kinds).
const N_MASKS: usize = 12;

/// Open vSwitch's default async configuration for `version`: masks indexed
/// by `OFPACPT_*` property type.
pub fn default_masks(version: Version) -> [u32; N_MASKS] {
    let mut m = [0u32; N_MASKS];
    let master = |k: AsyncKind| 2 * k as usize + 1;
    let slave = |k: AsyncKind| 2 * k as usize;
    // Packet-in: every reason but INVALID_TTL (bit 2).
    m[master(AsyncKind::PacketIn)] = if version >= Version::V1_4 {
        0b11_1011
    } else {
        0b011
    };
    m[master(AsyncKind::PortStatus)] = 0b111;
    m[slave(AsyncKind::PortStatus)] = 0b111;
    m[master(AsyncKind::FlowRemoved)] = match version {
        Version::V1_4 => 0b11_1111,
        Version::V1_3 => 0b1111,
        _ => 0b111,
    };
    m[master(AsyncKind::RoleStatus)] = 0b111;
    m[slave(AsyncKind::RoleStatus)] = 0b111;
    m[master(AsyncKind::TableStatus)] = 0b11 << 3;
    m[slave(AsyncKind::TableStatus)] = 0b11 << 3;
    m[master(AsyncKind::RequestForward)] = 0b11;
    m
}

/// What kind of peer a connection serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnKind {
    /// A controller (configured target or listener): receives packet-ins,
    /// at most `pin_limit` (packets/s, burst).
    Controller {
        /// Packet-in rate limit.
        pin_limit: Option<(u64, u64)>,
        /// The configured target (`tcp:...`, `ptcp:...`) it came from.
        target: Option<std::sync::Arc<str>>,
    },
    /// A management client (`ovs-ofctl` on `<bridge>.mgmt`): as in Open
    /// vSwitch's service connections, no packet-ins unless it asks for them
    /// with an async config.
    Service,
}

/// The state of one OpenFlow connection of a bridge.
#[derive(Debug)]
pub struct ConnState {
    /// Negotiated version.
    pub version: Version,
    /// Whether it serves a controller (not a management client).
    pub controller: bool,
    /// The controller target it came from.
    pub target: Option<std::sync::Arc<str>>,
    /// Current role.
    pub role: Role,
    /// Async-config masks, indexed by `OFPACPT_*` property type.
    pub masks: [u32; N_MASKS],
    /// Queue of asynchronous messages to the connection's task.
    pub tx: mpsc::Sender<Message>,
    /// Asynchronous messages dropped because the queue was full.
    pub async_dropped: u64,
    /// Packet-in rate limit (controllers; `None` for management clients).
    pub pin_limit: Option<TokenBucket>,
    /// Packet-ins sent.
    pub pin_sent: u64,
    /// Packet-ins dropped by the rate limit.
    pub pin_rate_drops: u64,
    /// Open bundles (OpenFlow 1.4), by id.
    pub bundles: std::collections::BTreeMap<u32, Bundle>,
    /// Flow monitors (OpenFlow 1.4).
    pub monitors: super::monitor::Monitors,
}

/// An open bundle: the messages it collects until commit or discard.
#[derive(Debug, Default)]
pub struct Bundle {
    /// `OFPBF_*` flags given at open.
    pub flags: u16,
    /// Closed: no more messages.
    pub closed: bool,
    /// The messages, with their headers, in order.
    pub msgs: Vec<(openflow::Header, Message)>,
    /// Bytes of the bundle-add messages that brought them, as received.
    pub bytes: usize,
}

/// Most bundles open at once on one connection.
pub const MAX_BUNDLES: usize = 16;
/// Most messages in one bundle.
pub const MAX_BUNDLE_MSGS: usize = 1 << 20;
/// Most bytes of bundle-add messages (as received) that one connection's
/// open bundles hold together. A million flow-mods of the simulator's shape
/// take about 120 MB (16 bytes of bundle-add around a 104-byte flow-mod); a
/// controller cannot make the switch hold more than this in bundles however
/// it spreads them (16 bundles of 2^20 messages of up to 64 KiB would be a
/// terabyte).
pub const MAX_BUNDLE_BYTES: usize = 1 << 30;

impl ConnState {
    /// A new EQUAL connection with the default async configuration of its
    /// kind.
    pub fn new(version: Version, tx: mpsc::Sender<Message>, kind: ConnKind) -> Self {
        let mut masks = default_masks(version);
        let pin_limit = match kind {
            ConnKind::Controller { pin_limit, .. } => pin_limit
                .map(|(rate, burst)| TokenBucket::new(rate, burst, std::time::Instant::now())),
            ConnKind::Service => {
                masks[2 * AsyncKind::PacketIn as usize] = 0;
                masks[2 * AsyncKind::PacketIn as usize + 1] = 0;
                None
            }
        };
        ConnState {
            version,
            controller: matches!(kind, ConnKind::Controller { .. }),
            target: match kind {
                ConnKind::Controller { target, .. } => target,
                ConnKind::Service => None,
            },
            role: Role::Equal,
            masks,
            tx,
            async_dropped: 0,
            pin_limit,
            pin_sent: 0,
            pin_rate_drops: 0,
            bundles: Default::default(),
            monitors: Default::default(),
        }
    }

    /// Whether asynchronous messages of `kind` with `reason` go to this
    /// connection in its role.
    pub fn wants(&self, kind: AsyncKind, reason: u8) -> bool {
        let idx = 2 * kind as usize + usize::from(self.role != Role::Slave);
        reason < 32 && self.masks[idx] & (1 << reason) != 0
    }

    /// Queues an asynchronous message if the connection wants it; a full
    /// queue drops it and counts the drop. Returns whether it was queued.
    pub fn deliver(&mut self, kind: AsyncKind, reason: u8, msg: &Message) -> bool {
        self.wants(kind, reason) && self.send(msg.clone())
    }

    /// Whether a packet-in may join the connection's queue now (see
    /// [`PACKET_IN_BACKLOG`]); when not, the drop is counted.
    pub fn packet_in_room(&mut self) -> bool {
        let queued = self.tx.max_capacity() - self.tx.capacity();
        let room = queued < PACKET_IN_BACKLOG;
        if !room {
            self.async_dropped += 1;
        }
        room
    }

    /// Queues a message the connection asked for (flow monitor updates);
    /// a full queue drops it and counts the drop.
    pub fn send(&mut self, msg: Message) -> bool {
        let queued = self.tx.try_send(msg).is_ok();
        if !queued {
            self.async_dropped += 1;
        }
        queued
    }

    /// Bytes the connection's open bundles hold ([`Bundle::bytes`]).
    pub fn bundle_bytes(&self) -> usize {
        self.bundles.values().map(|b| b.bytes).sum()
    }

    /// Opens bundle `id` with `flags` (the caller checked it is not open);
    /// `OFPBFC_OUT_OF_BUNDLES` when [`MAX_BUNDLES`] are open.
    pub fn open_bundle(&mut self, id: u32, flags: u16) -> Result<(), openflow::ErrorKind> {
        if self.bundles.len() >= MAX_BUNDLES {
            return Err(openflow::ErrorKind::OutOfBundles);
        }
        self.bundles.insert(
            id,
            Bundle {
                flags,
                ..Bundle::default()
            },
        );
        Ok(())
    }

    /// Applies `OFPT_SET_ASYNC`: properties present replace their masks.
    pub fn set_async(&mut self, cfg: &AsyncConfig) {
        for p in &cfg.properties {
            if let AsyncProp::Reasons { prop_type, mask } = p {
                if let Some(slot) = self.masks.get_mut(usize::from(*prop_type)) {
                    *slot = *mask;
                }
            }
        }
    }

    /// The `OFPT_GET_ASYNC_REPLY` body: the six masks of 1.3, or all twelve
    /// in 1.4.
    pub fn get_async(&self) -> AsyncConfig {
        let n = if self.version >= Version::V1_4 {
            N_MASKS
        } else {
            6
        };
        AsyncConfig {
            properties: (0..n)
                .map(|t| AsyncProp::Reasons {
                    prop_type: t as u16,
                    mask: self.masks[t],
                })
                .collect(),
        }
    }
}

/// `OFPCRR_MASTER_REQUEST`: another controller asked to be master.
pub const ROLE_REASON_MASTER_REQUEST: u8 = 0;

/// Checks that the async property numbering used here matches the codec's.
const _: () = {
    assert!(async_prop::PACKET_IN_SLAVE == 0);
    assert!(async_prop::PACKET_IN_MASTER == 1);
    assert!(async_prop::REQUESTFORWARD_MASTER == 11);
};

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(version: Version) -> (ConnState, mpsc::Receiver<Message>) {
        let (tx, rx) = mpsc::channel(2);
        (
            ConnState::new(
                version,
                tx,
                ConnKind::Controller {
                    pin_limit: None,
                    target: None,
                },
            ),
            rx,
        )
    }

    #[test]
    fn service_connections_get_no_packet_ins_by_default() {
        let (tx, _rx) = mpsc::channel(2);
        let c = ConnState::new(Version::V1_0, tx, ConnKind::Service);
        assert!(!c.wants(AsyncKind::PacketIn, 0));
        assert!(c.wants(AsyncKind::PortStatus, 0));
    }

    #[test]
    fn defaults_by_role() {
        let (mut c, _rx) = conn(Version::V1_3);
        assert!(c.wants(AsyncKind::PacketIn, 0));
        assert!(c.wants(AsyncKind::PacketIn, 1));
        assert!(
            !c.wants(AsyncKind::PacketIn, 2),
            "INVALID_TTL is off by default"
        );
        assert!(c.wants(AsyncKind::FlowRemoved, 3));
        c.role = Role::Slave;
        assert!(!c.wants(AsyncKind::PacketIn, 0));
        assert!(c.wants(AsyncKind::PortStatus, 2));
        assert!(!c.wants(AsyncKind::FlowRemoved, 0));
    }

    #[test]
    fn set_and_get_async() {
        let (mut c, _rx) = conn(Version::V1_3);
        c.set_async(&AsyncConfig {
            properties: vec![
                AsyncProp::Reasons {
                    prop_type: async_prop::PACKET_IN_MASTER,
                    mask: 0b100,
                },
                AsyncProp::Reasons {
                    prop_type: async_prop::PORT_STATUS_SLAVE,
                    mask: 0,
                },
            ],
        });
        assert!(!c.wants(AsyncKind::PacketIn, 0));
        assert!(c.wants(AsyncKind::PacketIn, 2));
        let got = c.get_async();
        assert_eq!(got.properties.len(), 6);
        assert_eq!(got.mask(async_prop::PACKET_IN_MASTER), Some(0b100));
        assert_eq!(got.mask(async_prop::PORT_STATUS_SLAVE), Some(0));
        let (c14, _rx) = conn(Version::V1_4);
        assert_eq!(c14.get_async().properties.len(), 12);
    }

    #[test]
    fn packet_ins_wait_behind_a_short_backlog_only() {
        let (tx, mut rx) = mpsc::channel(ASYNC_QUEUE_LEN);
        let mut c = ConnState::new(
            Version::V1_3,
            tx,
            ConnKind::Controller {
                pin_limit: None,
                target: None,
            },
        );
        for _ in 0..PACKET_IN_BACKLOG {
            assert!(c.packet_in_room());
            assert!(c.send(Message::BarrierReply));
        }
        assert!(!c.packet_in_room(), "{PACKET_IN_BACKLOG} queued");
        assert_eq!(c.async_dropped, 1);
        assert!(c.send(Message::BarrierReply), "other messages still queue");
        rx.try_recv().unwrap();
        rx.try_recv().unwrap();
        assert!(c.packet_in_room());
        assert_eq!(c.async_dropped, 1);
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        let (mut c, mut rx) = conn(Version::V1_3);
        let m = Message::BarrierReply;
        assert!(c.deliver(AsyncKind::PortStatus, 0, &m));
        assert!(c.deliver(AsyncKind::PortStatus, 0, &m));
        assert!(!c.deliver(AsyncKind::PortStatus, 0, &m));
        assert_eq!(c.async_dropped, 1);
        assert!(rx.try_recv().is_ok());
        assert!(c.deliver(AsyncKind::PortStatus, 0, &m));
        // Unwanted messages are neither queued nor counted as drops.
        c.role = Role::Slave;
        assert!(!c.deliver(AsyncKind::FlowRemoved, 0, &m));
        assert_eq!(c.async_dropped, 1);
    }

    #[test]
    fn role_wire_values() {
        assert_eq!(Role::from_wire(0), Some(None));
        assert_eq!(Role::from_wire(2), Some(Some(Role::Master)));
        assert_eq!(Role::from_wire(9), None);
        for r in [Role::Equal, Role::Master, Role::Slave] {
            assert_eq!(Role::from_wire(r.wire()), Some(Some(r)));
        }
    }
}
