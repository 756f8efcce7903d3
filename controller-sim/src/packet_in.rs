//! Mode `packet-in`: a table-miss-to-controller set-up under an external
//! traffic source (cbench turned around: the simulator is the controller
//! and drives a real switch, whose ports replay a pcap of distinct flows).
//! It reports the packet-ins received per second and the round-trip time
//! of a flow-mod while they pour in.
//!
//! At connect it asks for `max_len` bytes of each missed packet (switch
//! config `miss_send_len`, which also makes a management connection receive
//! packet-ins); on OpenFlow 1.3+ it turns packet-ins on in the async
//! config and installs the table-miss rule (priority 0, empty match,
//! `output:CONTROLLER` with `max_len`), since 1.3 switches drop misses
//! without one; on 1.0 the switch sends misses to the controller by itself.
//! With `forward` it also installs the established-traffic rule `in_port=A
//! actions=output:B` (priority [`FORWARD_PRIORITY`]). A barrier ends the
//! set-up.
//!
//! After the set-up's barrier reply and a warm-up, a window of `duration`
//! opens: packet-ins received in it are counted (per second too). During
//! the window, `flowmod_rate` times a second, it sends one flow-mod (an
//! add of a distinct rule that no packet of the flood matches:
//! [`sample_flow`]) followed by a barrier, and records the time from
//! sending them to the barrier reply. Samples follow a fixed schedule, not
//! the previous reply, so a slow switch has several outstanding rather
//! than fewer samples. When the window closes it deletes the sample rules
//! (one non-strict delete) and ends at the barrier reply that confirms it.

use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use clap::Args;
use openflow::action::Action;
use openflow::config::SwitchConfig;
use openflow::flow_match::Match;
use openflow::flow_mod::{command, FlowMod};
use openflow::instruction::Instruction;
use openflow::oxm::OxmField;
use openflow::{EncodeError, Header, Message, Version};

use crate::cli::Common;
use crate::latency::Latencies;
use crate::learning::{async_config, table_miss};
use crate::session::{Ctx, Handler};

/// Priority of the established-traffic rule.
pub const FORWARD_PRIORITY: u16 = 100;
/// Priority of the sample rules (above the table-miss rule).
pub const SAMPLE_PRIORITY: u16 = 1;
/// Cookie of the sample rules.
pub const SAMPLE_COOKIE: u64 = 0x5a4d_504c_0000_0000;
/// Time allowed for the switch to confirm the delete of the sample rules.
const CLEAN_UP_WAIT: Duration = Duration::from_secs(10);
/// Sample flow-mods outstanding at most; a tick with this many waiting
/// is skipped (and counted).
pub const MAX_OUTSTANDING: usize = 1024;
const ETH_TYPE_IPV4: u16 = 0x0800;
const IPPROTO_TCP: u8 = 6;
/// 198.18.0.0/15 (RFC 2544's benchmarking range): sample rules only.
const SAMPLE_NET: u32 = 0xc612_0000;
const SAMPLE_MASK: u32 = 0xfffe_0000;

/// Settings of a packet-in run on one switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketInConfig {
    /// Length of the counting window.
    pub duration: Duration,
    /// Time between the end of the set-up and the window.
    pub warmup: Duration,
    /// Bytes of each missed packet to send (`0xffff`: all of it).
    pub max_len: u16,
    /// The established-traffic rule: packets from port `.0` out of `.1`.
    pub forward: Option<(u32, u32)>,
    /// Flow-mod round-trip samples per second (0: none).
    pub flowmod_rate: u32,
}

/// The outcome of a packet-in run on one switch.
#[derive(Debug, Clone, PartialEq)]
pub struct PacketInResult {
    /// Packet-ins received in the window.
    pub packet_ins: u64,
    /// Packet-ins received in all (set-up and warm-up too).
    pub total_packet_ins: u64,
    /// Length of the window.
    pub elapsed: Duration,
    /// Packet-ins in each whole second of the window.
    pub per_second: Vec<u64>,
    /// Flow-mod round trips answered.
    pub rtt: Latencies,
    /// Sample flow-mods sent.
    pub flowmods: u64,
    /// Sample ticks skipped because [`MAX_OUTSTANDING`] were waiting.
    pub skipped: u64,
    /// Sample flow-mods still unanswered at the end.
    pub unanswered: u64,
    /// `OFPT_ERROR` messages received.
    pub errors: u64,
}

/// The rule of sample `i`: `tcp,nw_src=198.18.x.y,nw_dst=198.19.x.y`
/// (distinct for `i < 2^32`), priority [`SAMPLE_PRIORITY`], cookie
/// [`SAMPLE_COOKIE`], no actions.
pub fn sample_flow(i: u32) -> FlowMod {
    let mut fm = FlowMod::new(
        command::ADD,
        0,
        SAMPLE_PRIORITY,
        Match::new(vec![
            OxmField::EthType(ETH_TYPE_IPV4),
            OxmField::IpProto(IPPROTO_TCP),
            OxmField::Ipv4Src {
                value: Ipv4Addr::from(SAMPLE_NET | (i & 0xffff)),
                mask: None,
            },
            OxmField::Ipv4Dst {
                value: Ipv4Addr::from(SAMPLE_NET | 0x1_0000 | (i >> 16)),
                mask: None,
            },
        ]),
        Vec::new(),
    );
    fm.cookie = SAMPLE_COOKIE;
    fm
}

/// The delete of every sample rule: by match, and from OpenFlow 1.1 on by
/// cookie too, in every table (1.0 has one table and no cookie mask).
pub fn delete_samples(version: Version) -> FlowMod {
    let mut fm = FlowMod::new(
        command::DELETE,
        0,
        0,
        Match::new(vec![
            OxmField::EthType(ETH_TYPE_IPV4),
            OxmField::IpProto(IPPROTO_TCP),
            OxmField::Ipv4Src {
                value: Ipv4Addr::from(SAMPLE_NET),
                mask: Some(Ipv4Addr::from(SAMPLE_MASK)),
            },
        ]),
        Vec::new(),
    );
    if version >= Version::V1_1 {
        fm.table_id = 0xff;
        fm.cookie = SAMPLE_COOKIE;
        fm.cookie_mask = u64::MAX;
    }
    fm
}

/// The established-traffic rule `in_port=from,actions=output:to`.
pub fn forward_flow(from: u32, to: u32) -> FlowMod {
    FlowMod::new(
        command::ADD,
        0,
        FORWARD_PRIORITY,
        Match::new(vec![OxmField::InPort(from)]),
        vec![Instruction::ApplyActions(vec![Action::Output {
            port: to,
            max_len: 0,
        }])],
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the set-up's barrier reply (its xid).
    SetUp(u32),
    /// Set up; the window opens at this time.
    WarmUp(Instant),
    /// Counting from `start` until `end`.
    Window { start: Instant, end: Instant },
    /// The window `start..end` is over; the delete of the sample rules
    /// waits for barrier `xid` until `until`.
    CleanUp {
        start: Instant,
        end: Instant,
        xid: u32,
        until: Instant,
    },
    /// Over: the window was `start..end`.
    Done { start: Instant, end: Instant },
}

/// The packet-in state machine of one switch connection.
#[derive(Debug)]
pub struct PacketInRun {
    config: PacketInConfig,
    phase: Option<Phase>,
    packet_ins: u64,
    total_packet_ins: u64,
    per_second: Vec<u64>,
    /// Barrier xid and send time of each outstanding sample, oldest first.
    pending: VecDeque<(u32, Instant)>,
    next_sample: Option<Instant>,
    rtt: Latencies,
    flowmods: u64,
    skipped: u64,
    errors: u64,
}

impl PacketInRun {
    /// A run with `config`.
    pub fn new(config: PacketInConfig) -> PacketInRun {
        PacketInRun {
            config,
            phase: None,
            packet_ins: 0,
            total_packet_ins: 0,
            per_second: Vec::new(),
            pending: VecDeque::new(),
            next_sample: None,
            rtt: Latencies::new(),
            flowmods: 0,
            skipped: 0,
            errors: 0,
        }
    }

    /// Packet-ins received in the window so far.
    pub fn packet_ins(&self) -> u64 {
        self.packet_ins
    }

    /// Whether the counting window is open.
    pub fn counting(&self) -> bool {
        matches!(self.phase, Some(Phase::Window { .. }))
    }

    /// The outcome, once the run is over.
    pub fn result(&self) -> Option<PacketInResult> {
        let Some(Phase::Done { start, end }) = self.phase else {
            return None;
        };
        Some(PacketInResult {
            packet_ins: self.packet_ins,
            total_packet_ins: self.total_packet_ins,
            elapsed: end.saturating_duration_since(start),
            per_second: self.per_second.clone(),
            rtt: self.rtt.clone(),
            flowmods: self.flowmods,
            skipped: self.skipped,
            unanswered: self.pending.len() as u64,
            errors: self.errors,
        })
    }

    fn interval(&self) -> Option<Duration> {
        (self.config.flowmod_rate > 0)
            .then(|| Duration::from_secs_f64(1.0 / f64::from(self.config.flowmod_rate)))
    }

    fn open_window(&mut self, now: Instant) {
        self.phase = Some(Phase::Window {
            start: now,
            end: now + self.config.duration,
        });
        self.next_sample = self.interval().map(|_| now);
    }

    /// Sends sample `self.flowmods` and its barrier.
    fn send_sample(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        let i = self.flowmods as u32;
        ctx.conn.send(&Message::FlowMod(sample_flow(i)))?;
        let xid = ctx.conn.send(&Message::BarrierRequest)?;
        self.pending.push_back((xid, ctx.now));
        self.flowmods += 1;
        Ok(())
    }
}

impl Handler for PacketInRun {
    fn connected(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        let version = ctx.conn.version().unwrap_or(Version::V1_0);
        ctx.conn.send(&Message::SetConfig(SwitchConfig {
            flags: 0,
            miss_send_len: self.config.max_len,
        }))?;
        if version >= Version::V1_3 {
            ctx.conn.send(&Message::SetAsync(async_config()))?;
            ctx.conn
                .send(&Message::FlowMod(table_miss(self.config.max_len)))?;
        }
        if let Some((from, to)) = self.config.forward {
            ctx.conn.send(&Message::FlowMod(forward_flow(from, to)))?;
        }
        let xid = ctx.conn.send(&Message::BarrierRequest)?;
        self.phase = Some(Phase::SetUp(xid));
        Ok(())
    }

    fn message(
        &mut self,
        ctx: &mut Ctx<'_>,
        header: &Header,
        message: Message,
    ) -> Result<(), EncodeError> {
        let now = ctx.now;
        match message {
            Message::PacketIn(_) => {
                self.total_packet_ins += 1;
                if let Some(Phase::Window { start, end }) = self.phase {
                    if now < end {
                        self.packet_ins += 1;
                        let second = now.saturating_duration_since(start).as_secs() as usize;
                        if self.per_second.len() <= second {
                            self.per_second.resize(second + 1, 0);
                        }
                        self.per_second[second] += 1;
                    }
                }
            }
            Message::BarrierReply => match self.phase {
                Some(Phase::SetUp(xid)) if xid == header.xid => {
                    if self.config.warmup.is_zero() {
                        self.open_window(now);
                    } else {
                        self.phase = Some(Phase::WarmUp(now + self.config.warmup));
                    }
                }
                Some(Phase::CleanUp {
                    start, end, xid, ..
                }) if xid == header.xid => self.phase = Some(Phase::Done { start, end }),
                _ => {
                    if let Some(i) = self.pending.iter().position(|p| p.0 == header.xid) {
                        // Replies come in order: earlier ones were lost
                        // only if the switch broke the barrier rule.
                        let (_, sent) =
                            self.pending.drain(..=i).next_back().expect("i is in range");
                        self.rtt.record(now.saturating_duration_since(sent));
                    }
                }
            },
            Message::Error(_) => self.errors += 1,
            _ => {}
        }
        Ok(())
    }

    fn deadline(&self) -> Option<Instant> {
        match self.phase? {
            Phase::SetUp(_) | Phase::Done { .. } => None,
            Phase::WarmUp(at) => Some(at),
            Phase::CleanUp { until, .. } => Some(until),
            Phase::Window { end, .. } => Some(self.next_sample.map_or(end, |s| s.min(end))),
        }
    }

    fn wake(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        let now = ctx.now;
        match self.phase {
            Some(Phase::WarmUp(at)) if now >= at => self.open_window(now),
            Some(Phase::Window { start, end }) => {
                if now >= end {
                    self.phase = Some(Phase::Done { start, end: now });
                    if self.flowmods > 0 {
                        let version = ctx.conn.version().unwrap_or(Version::V1_0);
                        ctx.conn.send(&Message::FlowMod(delete_samples(version)))?;
                        let xid = ctx.conn.send(&Message::BarrierRequest)?;
                        self.phase = Some(Phase::CleanUp {
                            start,
                            end: now,
                            xid,
                            until: now + CLEAN_UP_WAIT,
                        });
                    }
                    return Ok(());
                }
                if let (Some(due), Some(interval)) = (self.next_sample, self.interval()) {
                    if now >= due {
                        if self.pending.len() < MAX_OUTSTANDING {
                            self.send_sample(ctx)?;
                        } else {
                            self.skipped += 1;
                        }
                        // A late tick is not made up for: the next one is
                        // the first of the schedule still ahead.
                        let mut next = due + interval;
                        while next <= now {
                            next += interval;
                            self.skipped += 1;
                        }
                        self.next_sample = Some(next);
                    }
                }
            }
            Some(Phase::CleanUp {
                start, end, until, ..
            }) if now >= until => self.phase = Some(Phase::Done { start, end }),
            _ => {}
        }
        Ok(())
    }

    fn finished(&self) -> bool {
        matches!(self.phase, Some(Phase::Done { .. }))
    }
}

/// The `RESULT packet-in` line of one or more switches' results:
/// `packet_ins=N seconds=S rate=R flowmod_rtt_p50_us=.. _p90_us=..
/// _p99_us=.. _max_us=.. flowmods=F unanswered=U skipped=K errors=E`, and
/// for one switch the least and most packet-ins of a whole second of the
/// window (`per_s_min=.. per_s_max=..`).
pub fn result_line(results: &[PacketInResult]) -> String {
    let packet_ins: u64 = results.iter().map(|r| r.packet_ins).sum();
    let span = results.iter().map(|r| r.elapsed).max().unwrap_or_default();
    let (seconds, rate) = crate::report::seconds_and_rate(packet_ins, span);
    let mut rtt = Latencies::new();
    for r in results {
        rtt.merge(&r.rtt);
    }
    let sum = |f: fn(&PacketInResult) -> u64| results.iter().map(f).sum::<u64>();
    let mut line = format!(
        "RESULT packet-in packet_ins={packet_ins} seconds={seconds} rate={rate}{} flowmods={} \
         unanswered={} skipped={} errors={}",
        rtt.fields("flowmod_rtt_", &[50, 90, 99, 100]),
        sum(|r| r.flowmods),
        sum(|r| r.unanswered),
        sum(|r| r.skipped),
        sum(|r| r.errors),
    );
    match results {
        [one] => {
            // Whole seconds only: the last one may be cut short.
            let whole = one.elapsed.as_secs() as usize;
            let mut secs: Vec<u64> = one.per_second.clone();
            secs.resize(whole.max(secs.len()), 0);
            secs.truncate(whole);
            if let (Some(min), Some(max)) = (secs.iter().min(), secs.iter().max()) {
                line.push_str(&format!(" per_s_min={min} per_s_max={max}"));
            }
        }
        _ => line.push_str(&format!(" switches={}", results.len())),
    }
    line
}

/// Options of `packet-in`.
#[derive(Args, Debug, Clone)]
pub struct PacketInArgs {
    /// Where the switches are.
    #[command(flatten)]
    pub common: Common,
    /// Seconds of the counting window.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds between the end of the set-up and the window.
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub warmup: f64,
    /// Bytes of each missed packet sent to the controller (miss_send_len
    /// and the table-miss rule's max_len; 65535: the whole packet).
    #[arg(long, value_name = "BYTES", default_value_t = 128)]
    pub max_len: u16,
    /// Also install the established-traffic rule in_port=IN,
    /// actions=output:OUT (priority 100).
    #[arg(long, value_name = "IN:OUT", value_parser = parse_forward)]
    pub forward: Option<(u32, u32)>,
    /// Flow-mod + barrier round trips sampled per second during the
    /// window (0: none).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub flowmod_rate: u32,
    /// With --listen: switches to serve before the run ends.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub switches: usize,
}

/// Parses `IN:OUT` port numbers.
pub fn parse_forward(s: &str) -> Result<(u32, u32), String> {
    let (a, b) = s
        .split_once(':')
        .ok_or_else(|| format!("--forward {s:?}: expected IN:OUT, e.g. 2:3"))?;
    let port = |p: &str| {
        p.trim()
            .parse::<u32>()
            .map_err(|_| format!("--forward {s:?}: {p:?} is not a port number"))
    };
    Ok((port(a)?, port(b)?))
}

impl PacketInArgs {
    /// The packet-in settings, or why these options cannot work.
    pub fn config(&self) -> Result<PacketInConfig, String> {
        let duration = crate::runner::seconds("--duration", self.duration)?;
        if duration.is_zero() {
            return Err("--duration must be more than 0 seconds".into());
        }
        if let Some((a, b)) = self.forward {
            let highest = self.common.versions.0.iter().copied().max();
            if highest == Some(Version::V1_0) && (a > 0xff00 || b > 0xff00) {
                return Err(format!(
                    "--forward {a}:{b}: beyond OpenFlow 1.0's 16-bit ports"
                ));
            }
        }
        if self.switches == 0 {
            return Err("--switches must be at least 1".into());
        }
        Ok(PacketInConfig {
            duration,
            warmup: crate::runner::seconds("--warmup", self.warmup)?,
            max_len: self.max_len,
            forward: self.forward,
            flowmod_rate: self.flowmod_rate,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use openflow::connection::{Connection, Event};
    use openflow::packet::PacketIn;

    use super::*;
    use crate::cli::{Cli, Mode};
    use clap::Parser;

    fn config(flowmod_rate: u32, forward: Option<(u32, u32)>) -> PacketInConfig {
        PacketInConfig {
            duration: Duration::from_secs(2),
            warmup: Duration::from_millis(500),
            max_len: 128,
            forward,
            flowmod_rate,
        }
    }

    /// Both ends of one connection in memory, with a clock the test moves.
    struct Pair {
        ctl: Connection,
        sw: Connection,
        now: Instant,
        /// Everything the switch received, in order, with its xid.
        received: Vec<(u32, Message)>,
        /// Barrier requests not yet answered.
        barriers: Vec<u32>,
    }

    impl Pair {
        fn new(version: Version) -> Pair {
            let (ctl, sw, now) = crate::testing::connection_pair(version);
            Pair {
                ctl,
                sw,
                now,
                received: Vec::new(),
                barriers: Vec::new(),
            }
        }

        /// Moves bytes both ways and hands the controller's events to
        /// `run`; the switch holds its barrier replies until `answer`.
        fn pump(&mut self, run: &mut PacketInRun) {
            for _ in 0..8 {
                if let Some(b) = self.ctl.poll_transmit() {
                    self.sw.handle_input(&b, self.now);
                }
                while let Some(ev) = self.sw.poll_event() {
                    if let Event::Message { header, message } = ev {
                        if message == Message::BarrierRequest {
                            self.barriers.push(header.xid);
                        }
                        self.received.push((header.xid, message));
                    }
                }
                if let Some(b) = self.sw.poll_transmit() {
                    self.ctl.handle_input(&b, self.now);
                }
                while let Some(ev) = self.ctl.poll_event() {
                    let mut ctx = Ctx {
                        conn: &mut self.ctl,
                        now: self.now,
                        backlog: 0,
                    };
                    match ev {
                        Event::Connected { .. } => run.connected(&mut ctx).unwrap(),
                        Event::Message { header, message } => {
                            run.message(&mut ctx, &header, message).unwrap()
                        }
                        other => panic!("{other:?}"),
                    }
                }
            }
        }

        /// Answers every barrier received so far.
        fn answer(&mut self, run: &mut PacketInRun) {
            for xid in std::mem::take(&mut self.barriers) {
                self.sw.send_with_xid(xid, &Message::BarrierReply).unwrap();
            }
            self.pump(run);
        }

        /// Advances the clock to `t`, waking the run at each deadline on
        /// the way as the session does.
        fn advance_to(&mut self, run: &mut PacketInRun, t: Instant) {
            while let Some(d) = run.deadline() {
                if d > t {
                    break;
                }
                self.now = self.now.max(d);
                let mut ctx = Ctx {
                    conn: &mut self.ctl,
                    now: self.now,
                    backlog: 0,
                };
                run.wake(&mut ctx).unwrap();
                self.pump(run);
            }
            self.now = t;
        }

        fn packet_ins(&mut self, run: &mut PacketInRun, n: usize) {
            for i in 0..n {
                let pi = PacketIn {
                    buffer_id: u32::MAX,
                    total_len: 60,
                    reason: 0,
                    table_id: 0,
                    cookie: 0,
                    match_: Match::new(vec![OxmField::InPort(1)]),
                    data: vec![i as u8; 60],
                };
                self.sw.send(&Message::PacketIn(pi)).unwrap();
            }
            self.pump(run);
        }
    }

    #[test]
    fn sets_up_counts_in_the_window_and_samples_flow_mods() {
        let mut run = PacketInRun::new(config(10, Some((2, 3))));
        let mut p = Pair::new(Version::V1_3);
        p.pump(&mut run);
        let setup: Vec<&Message> = p.received.iter().map(|(_, m)| m).collect();
        assert!(
            matches!(&setup[..], [Message::SetConfig(c), Message::SetAsync(_),
                Message::FlowMod(miss), Message::FlowMod(fwd), Message::BarrierRequest]
                if c.miss_send_len == 128 && miss.priority == 0 && miss.match_.fields.is_empty()
                && *miss == table_miss(128) && *fwd == forward_flow(2, 3)),
            "{setup:?}"
        );
        // Packet-ins before the set-up is confirmed and in the warm-up
        // are not counted.
        p.packet_ins(&mut run, 5);
        p.answer(&mut run);
        assert!(!run.counting());
        p.packet_ins(&mut run, 7);
        p.received.clear();
        let t0 = p.now;
        p.advance_to(&mut run, t0 + Duration::from_millis(500));
        assert!(run.counting());

        // 1.5 s into the window: 15 samples on schedule; the switch sits
        // on the barriers for 3 ms each.
        let start = p.now;
        p.packet_ins(&mut run, 40);
        for k in 0..15u32 {
            p.advance_to(&mut run, start + Duration::from_millis(100) * k);
            p.advance_to(&mut run, p.now + Duration::from_millis(3));
            p.answer(&mut run);
        }
        p.advance_to(&mut run, start + Duration::from_millis(1500));
        p.packet_ins(&mut run, 60);
        p.advance_to(&mut run, start + Duration::from_millis(2000));
        assert!(!run.counting());
        // Packet-ins after the window do not count.
        p.packet_ins(&mut run, 9);
        // The run ends when the delete of the sample rules is confirmed;
        // the last 5 samples are answered with it, 100..=500 ms late.
        assert!(!run.finished());
        p.answer(&mut run);
        assert!(run.finished());

        let r = run.result().unwrap();
        assert_eq!(r.packet_ins, 100);
        assert_eq!(r.total_packet_ins, 121);
        assert_eq!(r.per_second, vec![40, 60]);
        assert_eq!(r.elapsed, Duration::from_secs(2));
        assert_eq!((r.flowmods, r.unanswered, r.skipped), (20, 0, 0));
        let mut rtt = r.rtt.clone();
        assert_eq!(rtt.len(), 20);
        assert_eq!(rtt.percentile(50.0), Some(Duration::from_millis(3)));
        assert_eq!(rtt.max(), Some(Duration::from_millis(500)));

        // What the switch got in the window: flow-mod, barrier pairs of
        // distinct sample rules, then the delete of all of them and its
        // barrier.
        let msgs: Vec<&Message> = p.received.iter().map(|(_, m)| m).collect();
        assert_eq!(msgs.len(), 42, "{msgs:?}");
        assert_eq!(msgs[41], &Message::BarrierRequest);
        let mut seen = HashSet::new();
        for pair in msgs[..40].chunks(2) {
            let [Message::FlowMod(fm), Message::BarrierRequest] = pair else {
                panic!("{pair:?}");
            };
            assert_eq!(
                (fm.command, fm.priority, fm.cookie),
                (command::ADD, 1, SAMPLE_COOKIE)
            );
            assert!(seen.insert(fm.match_.clone()));
        }
        assert!(matches!(msgs[40], Message::FlowMod(d) if *d == delete_samples(Version::V1_3)));

        let line = result_line(&[r]);
        assert_eq!(
            line,
            "RESULT packet-in packet_ins=100 seconds=2.00 rate=50 flowmod_rtt_p50_us=3000 \
             flowmod_rtt_p90_us=300000 flowmod_rtt_p99_us=500000 flowmod_rtt_max_us=500000 \
             flowmods=20 unanswered=0 skipped=0 errors=0 per_s_min=40 per_s_max=60"
        );
    }

    #[test]
    fn openflow_10_relies_on_default_misses_and_late_ticks_are_skipped() {
        let mut cfg = config(1000, None);
        cfg.warmup = Duration::ZERO;
        let mut run = PacketInRun::new(cfg);
        let mut p = Pair::new(Version::V1_0);
        p.pump(&mut run);
        let setup: Vec<&Message> = p.received.iter().map(|(_, m)| m).collect();
        assert!(
            matches!(&setup[..], [Message::SetConfig(c), Message::BarrierRequest]
                if c.miss_send_len == 128),
            "{setup:?}"
        );
        p.answer(&mut run);
        assert!(run.counting(), "no warm-up: the window opens at the reply");
        let start = p.now;
        // The tick at 0 is sent; the next wake comes at 10.5 ms: the ticks
        // of 1..=10 ms were due, one sample goes and 9 are skipped.
        p.advance_to(&mut run, start);
        let mut ctx = Ctx {
            conn: &mut p.ctl,
            now: start + Duration::from_micros(10_500),
            backlog: 0,
        };
        run.wake(&mut ctx).unwrap();
        assert_eq!(run.deadline(), Some(start + Duration::from_millis(11)));
        p.now = start + Duration::from_micros(10_500);
        p.pump(&mut run);
        p.answer(&mut run);
        assert_eq!((run.flowmods, run.skipped), (2, 9));
        assert_eq!(run.rtt.len(), 2);
        assert_eq!(run.rtt.max(), Some(Duration::from_micros(10_500)));
        assert!(run.pending.is_empty());
        // A switch that never confirms the delete: the run ends 10 s after
        // the window, the unanswered samples counted.
        p.advance_to(&mut run, start + Duration::from_secs(2));
        assert!(!run.finished() && !run.counting());
        p.advance_to(&mut run, start + Duration::from_secs(12));
        assert!(run.finished());
        let r = run.result().unwrap();
        assert_eq!(r.elapsed, Duration::from_secs(2));
        assert_eq!(r.flowmods + r.skipped, 2000);
        assert_eq!(r.unanswered, r.flowmods - 2);
        // The sample rules encode in 1.0.
        for m in [sample_flow(70_000), delete_samples(Version::V1_0)] {
            Message::FlowMod(m).encode(Version::V1_0, 1).unwrap();
        }
    }

    #[test]
    fn errors_are_counted_and_sample_rules_stay_in_their_range() {
        let mut run = PacketInRun::new(config(0, None));
        let mut p = Pair::new(Version::V1_4);
        p.pump(&mut run);
        let e = openflow::error_msg::ErrorMsg {
            err_type: 5,
            code: 0,
            experimenter: 0,
            data: Vec::new(),
        };
        p.sw.send(&Message::Error(e)).unwrap();
        p.answer(&mut run);
        let t = p.now + Duration::from_secs(3);
        p.advance_to(&mut run, t);
        let r = run.result().unwrap();
        assert_eq!((r.errors, r.flowmods, r.packet_ins), (1, 0, 0));
        assert!(r.rtt.is_empty());
        // No samples: no delete either.
        assert!(!p
            .received
            .iter()
            .any(|(_, m)| matches!(m, Message::FlowMod(f) if f.command == command::DELETE)));
        // Sample addresses stay inside 198.18.0.0/15.
        for i in [0, 1, 65_535, 65_536, u32::MAX] {
            for f in &sample_flow(i).match_.fields {
                if let OxmField::Ipv4Src { value, .. } | OxmField::Ipv4Dst { value, .. } = f {
                    assert_eq!(u32::from(*value) & SAMPLE_MASK, SAMPLE_NET, "{i}");
                }
            }
        }
    }

    #[test]
    fn packet_in_options() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(
                std::iter::once("ferrovs-controller-sim").chain(args.iter().copied()),
            )
        };
        let Mode::PacketIn(a) = parse(&[
            "packet-in",
            "--listen",
            "ptcp:6653",
            "--duration",
            "5",
            "--forward",
            "2:3",
            "--max-len",
            "65535",
        ])
        .unwrap()
        .mode
        else {
            panic!()
        };
        let c = a.config().unwrap();
        assert_eq!(c.duration, Duration::from_secs(5));
        assert_eq!(
            (c.forward, c.max_len, c.flowmod_rate),
            (Some((2, 3)), 0xffff, 10)
        );
        assert_eq!(c.warmup, Duration::from_secs(1));
        assert!(parse(&["packet-in", "--connect", "unix:/x", "--forward", "2"]).is_err());
        let Mode::PacketIn(a) = parse(&["packet-in", "--connect", "unix:/x", "--duration", "0"])
            .unwrap()
            .mode
        else {
            panic!()
        };
        assert!(a.config().unwrap_err().contains("--duration"));
    }
}
