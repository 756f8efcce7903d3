//! Packet-ins: from PMDs to controllers.
//!
//! A PMD that sends a packet to the controller copies the bytes the
//! controller gets into a [`PacketInEvent`] and pushes it onto the bridge's
//! bounded [`PacketInQueue`] (lock-free); when the queue is full the event
//! is dropped and counted. The control thread drains the queue and hands
//! each event to every connection that wants it (role, async config,
//! version: a table miss without a table-miss rule goes to OpenFlow 1.0–1.2
//! connections only, as in Open vSwitch), through a per-controller token
//! bucket (`controller_rate_limit`, `controller_burst_limit`; as in Open
//! vSwitch, none when the rate is not set) whose drops are counted too.

use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::time::Instant;

use crossbeam::queue::ArrayQueue;
use tokio::sync::Notify;

/// Events the queue holds before it drops.
pub const PACKET_IN_QUEUE_LEN: usize = 4096;

/// `OFPR_*` reasons, in OpenFlow 1.4 numbering (1.0–1.3 connections get
/// 3–5 as `OFPR_ACTION`).
pub mod reason {
    /// No matching flow (1.4: `OFPR_TABLE_MISS`).
    pub const NO_MATCH: u8 = 0;
    /// An output to CONTROLLER in apply-actions (1.4: `APPLY_ACTION`).
    pub const ACTION: u8 = 1;
    /// A TTL decrement reached zero.
    pub const INVALID_TTL: u8 = 2;
    /// An output to CONTROLLER in the action set (1.4).
    pub const ACTION_SET: u8 = 3;
    /// An output to CONTROLLER in a group bucket (1.4).
    pub const GROUP: u8 = 4;
    /// An output to CONTROLLER in a packet-out (1.4).
    pub const PACKET_OUT: u8 = 5;
}

/// One packet for the controllers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketInEvent {
    /// Ingress OpenFlow port.
    pub in_port: u32,
    /// Metadata when the packet left the pipeline.
    pub metadata: u64,
    /// `OFPR_*` reason (1.4 numbering).
    pub reason: u8,
    /// Table of the rule (or of the miss).
    pub table_id: u8,
    /// Cookie of the rule (all ones for a miss without a rule).
    pub cookie: u64,
    /// A miss without a table-miss rule (OpenFlow 1.0–1.2 semantics).
    pub miss: bool,
    /// Length of the whole frame.
    pub total_len: u16,
    /// The bytes sent (the first `max_len` of the frame).
    pub data: Vec<u8>,
}

/// The bounded queue from a bridge's PMDs to its control thread.
#[derive(Debug)]
pub struct PacketInQueue {
    queue: ArrayQueue<PacketInEvent>,
    /// Wakes the control thread.
    pub notify: Notify,
    /// Events dropped because the queue was full.
    pub queue_drops: AtomicU64,
    /// Events queued.
    pub queued: AtomicU64,
    /// The switch config's `miss_send_len` (bytes of a missed packet).
    pub miss_send_len: AtomicU16,
    /// Whether the control thread was woken and has not started draining
    /// yet (one wake-up per drain, not per packet).
    woken: AtomicBool,
}

impl Default for PacketInQueue {
    fn default() -> Self {
        PacketInQueue::new(PACKET_IN_QUEUE_LEN)
    }
}

impl PacketInQueue {
    /// A queue of `capacity` events.
    pub fn new(capacity: usize) -> Self {
        PacketInQueue {
            queue: ArrayQueue::new(capacity.max(1)),
            notify: Notify::new(),
            queue_drops: AtomicU64::new(0),
            queued: AtomicU64::new(0),
            miss_send_len: AtomicU16::new(128),
            woken: AtomicBool::new(false),
        }
    }

    /// Queues an event (PMD side); a full queue drops it, counted.
    pub fn push(&self, ev: PacketInEvent) {
        self.push_with(|| ev)
    }

    /// Queues the event `ev` builds; a full queue drops it, counted,
    /// without building it. The control thread is woken once per drain:
    /// a flood of packet-ins costs no system call per packet.
    pub fn push_with(&self, ev: impl FnOnce() -> PacketInEvent) {
        if self.queue.is_full() || self.queue.push(ev()).is_err() {
            self.queue_drops.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.queued.fetch_add(1, Ordering::Relaxed);
        if !self.woken.swap(true, Ordering::SeqCst) {
            self.notify.notify_one();
        }
    }

    /// Starts a drain (control side): events pushed from now on wake the
    /// control thread again, so none waits past the drain that follows.
    pub fn begin_drain(&self) {
        self.woken.store(false, Ordering::SeqCst);
    }

    /// Takes the next event (control side).
    pub fn pop(&self) -> Option<PacketInEvent> {
        self.queue.pop()
    }
}

/// A token bucket in packets per second.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// `rate` packets/s with `burst` packets of credit (full at start).
    pub fn new(rate: u64, burst: u64, now: Instant) -> Self {
        let burst = burst.max(1) as f64;
        TokenBucket {
            rate: rate.max(1) as f64,
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A one-byte packet-in (reason ACTION, port 1, table 0) carrying `n`,
/// for tests.
#[cfg(test)]
pub(crate) fn test_event(n: u8) -> PacketInEvent {
    PacketInEvent {
        in_port: 1,
        metadata: 0,
        reason: reason::ACTION,
        table_id: 0,
        cookie: 0,
        miss: false,
        total_len: 1,
        data: vec![n],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use super::test_event as ev;

    #[test]
    fn a_full_queue_drops_and_counts() {
        let q = PacketInQueue::new(2);
        q.push(ev(1));
        q.push(ev(2));
        q.push(ev(3));
        assert_eq!(q.queue_drops.load(Ordering::Relaxed), 1);
        assert_eq!(q.pop().unwrap().data, vec![1]);
        assert_eq!(q.pop().unwrap().data, vec![2]);
        assert!(q.pop().is_none());
    }

    #[test]
    fn token_bucket_rate_and_burst() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(100, 10, t0);
        let burst = (0..50).filter(|_| b.take(t0)).count();
        assert_eq!(burst, 10);
        // 0.5 s later: 50 more tokens, capped by the burst of 10.
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!((0..50).filter(|_| b.take(t1)).count(), 10);
        // Over one simulated second at 1 kHz polling: about 100 pass.
        let mut passed = 0;
        for ms in 1..=1000 {
            if b.take(t1 + Duration::from_millis(ms)) {
                passed += 1;
            }
        }
        assert!((99..=101).contains(&passed), "{passed}");
    }
}
