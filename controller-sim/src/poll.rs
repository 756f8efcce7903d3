//! Mode `poll`: polls flow, aggregate, port, table, group and meter
//! statistics at a fixed rate and reports the reply latency of each kind.
//!
//! Each kind has its own schedule of `rate` requests a second, the kinds'
//! schedules staggered evenly (kind `k` of `n` starts `k / (rate × n)` s
//! in). At most `window` requests are outstanding (1 by default: a request
//! waits for the previous reply). A due request that finds the window full
//! waits for a free slot (the longest-waiting kind goes first, so a slow
//! flow dump does not starve the other kinds); while it waits, further
//! requests of its kind fall due and are skipped, counted, never queued,
//! so a slow switch gets fewer requests rather than a growing backlog.
//!
//! The latency of a request runs from sending it to the reply without
//! `OFPMPF_REPLY_MORE` (a flow dump of a million rules comes in many
//! parts; the last one counts). Flow-stats parts are counted, not
//! decoded: their entries are walked by length, which must fill each part
//! exactly, so the latency is the switch's rather than the time spent
//! decoding a million entries here. After `duration` no more requests go; the
//! run ends when every outstanding one is answered, or `drain` later (the
//! rest are reported unanswered). An `OFPT_ERROR` to a request answers it
//! (counted as an error, not timed).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use clap::Args;
use openflow::group::OFPG_ALL;
use openflow::meter::OFPM_ALL;
use openflow::multipart::{
    count_flow_stats, FlowStatsRequest, GroupStatsRequest, MeterRequest, MultipartReplyBody,
    MultipartRequest, MultipartRequestBody, PortStatsRequest, OFPMPF_REPLY_MORE, OFPMP_FLOW,
};
use openflow::port::OFPP_ANY;
use openflow::{EncodeError, Header, Message, MsgType, Version};

use crate::cli::Common;
use crate::latency::Latencies;
use crate::session::{Ctx, Handler};

/// Percentiles every `RESULT poll` line reports (100: the maximum).
pub const REPORTED: [u8; 4] = [50, 90, 99, 100];

/// A kind of statistics request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum StatsKind {
    /// Every flow of every table (`OFPMP_FLOW`, empty match).
    Flow,
    /// The aggregate of every flow (`OFPMP_AGGREGATE`).
    Aggregate,
    /// Every port (`OFPMP_PORT_STATS`, `OFPP_ANY`).
    Port,
    /// Every table (`OFPMP_TABLE`).
    Table,
    /// Every group (`OFPMP_GROUP`, `OFPG_ALL`; OpenFlow 1.1+).
    Group,
    /// Every meter (`OFPMP_METER`, `OFPM_ALL`; OpenFlow 1.3+).
    Meter,
}

impl StatsKind {
    /// The name used on the command line and in `RESULT` fields.
    pub fn name(self) -> &'static str {
        match self {
            StatsKind::Flow => "flow",
            StatsKind::Aggregate => "aggregate",
            StatsKind::Port => "port",
            StatsKind::Table => "table",
            StatsKind::Group => "group",
            StatsKind::Meter => "meter",
        }
    }

    /// The oldest OpenFlow version with this request.
    pub fn min_version(self) -> Version {
        match self {
            StatsKind::Group => Version::V1_1,
            StatsKind::Meter => Version::V1_3,
            _ => Version::V1_0,
        }
    }

    /// The request.
    pub fn request(self) -> MultipartRequest {
        let body = match self {
            StatsKind::Flow => MultipartRequestBody::Flow(FlowStatsRequest::all()),
            StatsKind::Aggregate => MultipartRequestBody::Aggregate(FlowStatsRequest::all()),
            StatsKind::Port => {
                MultipartRequestBody::PortStats(PortStatsRequest { port_no: OFPP_ANY })
            }
            StatsKind::Table => MultipartRequestBody::Table,
            StatsKind::Group => {
                MultipartRequestBody::Group(GroupStatsRequest { group_id: OFPG_ALL })
            }
            StatsKind::Meter => MultipartRequestBody::Meter(MeterRequest { meter_id: OFPM_ALL }),
        };
        MultipartRequest { flags: 0, body }
    }
}

/// Whether a message is a flow-stats reply part: those are counted, not
/// decoded ([`count_flow_stats`] walks the entries' lengths), so that a
/// dump's latency is the switch's, not the time this simulator takes to
/// decode a million entries.
fn is_flow_stats_reply(header: &Header, bytes: &[u8]) -> bool {
    Version::from_wire(header.version).and_then(|v| MsgType::from_wire(v, header.msg_type))
        == Some(MsgType::MultipartReply)
        && bytes.get(8..10) == Some(&OFPMP_FLOW.to_be_bytes()[..])
}

/// Entries a reply part carries (for an aggregate: the flows it counts).
fn entries(body: &MultipartReplyBody) -> u64 {
    match body {
        MultipartReplyBody::Flow(v) => v.len() as u64,
        MultipartReplyBody::Aggregate(a) => u64::from(a.flow_count),
        MultipartReplyBody::PortStats(v) => v.len() as u64,
        MultipartReplyBody::Table(v) => v.len() as u64,
        MultipartReplyBody::Group(v) => v.len() as u64,
        MultipartReplyBody::Meter(v) => v.len() as u64,
        _ => 0,
    }
}

/// Settings of a poll run on one switch.
#[derive(Debug, Clone, PartialEq)]
pub struct PollConfig {
    /// Kinds polled, each at `rate`; not empty, no repeats.
    pub kinds: Vec<StatsKind>,
    /// Requests per second of each kind (> 0).
    pub rate: f64,
    /// Time during which requests are sent.
    pub duration: Duration,
    /// Requests outstanding at most (at least 1).
    pub window: usize,
    /// Time allowed after `duration` for the outstanding replies.
    pub drain: Duration,
}

/// What one kind of request gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KindStats {
    /// Requests sent.
    pub requests: u64,
    /// Complete replies (last parts) received.
    pub replies: u64,
    /// Reply parts received.
    pub parts: u64,
    /// Entries in the latest complete reply (flows, ports, ...; an
    /// aggregate's flow count).
    pub entries: u64,
    /// Ticks skipped (window full, or already past).
    pub skipped: u64,
    /// Requests answered with an error.
    pub errors: u64,
    /// Latency of each complete reply.
    pub latency: Latencies,
}

/// The outcome of a poll run on one switch.
#[derive(Debug, Clone, PartialEq)]
pub struct PollResult {
    /// Per kind, in the configured order.
    pub kinds: Vec<(StatsKind, KindStats)>,
    /// From the first request to the end of the run.
    pub elapsed: Duration,
    /// Requests never answered.
    pub unanswered: u64,
    /// `OFPT_ERROR` messages not tied to a request of ours.
    pub other_errors: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Sending requests until `end`.
    Polling { start: Instant, end: Instant },
    /// Waiting for outstanding replies until `until`.
    Draining { start: Instant, until: Instant },
    /// Over.
    Done { start: Instant, end: Instant },
}

/// The schedule of one kind.
#[derive(Debug, Clone, Copy, Default)]
struct Schedule {
    /// Index of the next request of the schedule.
    next: u64,
    /// A due request waiting for a free slot: when it fell due.
    waiting: Option<Instant>,
}

/// The poll state machine of one switch connection.
#[derive(Debug)]
pub struct Poll {
    config: PollConfig,
    phase: Option<Phase>,
    /// Time between two requests of one kind.
    period: Duration,
    schedules: Vec<Schedule>,
    /// xid -> (kind index, send time, entries so far).
    outstanding: HashMap<u32, (usize, Instant, u64)>,
    stats: Vec<KindStats>,
    other_errors: u64,
}

impl Poll {
    /// A run with `config` (window raised to at least 1, rate to a
    /// positive value).
    pub fn new(mut config: PollConfig) -> Poll {
        config.window = config.window.max(1);
        if config.rate.is_nan() || config.rate <= 0.0 {
            config.rate = 1.0;
        }
        Poll {
            stats: vec![KindStats::default(); config.kinds.len()],
            schedules: vec![Schedule::default(); config.kinds.len()],
            period: Duration::from_secs_f64(1.0 / config.rate),
            config,
            phase: None,
            outstanding: HashMap::new(),
            other_errors: 0,
        }
    }

    /// The outcome, once the run is over.
    pub fn result(&self) -> Option<PollResult> {
        let Some(Phase::Done { start, end }) = self.phase else {
            return None;
        };
        Some(PollResult {
            kinds: self
                .config
                .kinds
                .iter()
                .copied()
                .zip(self.stats.iter().cloned())
                .collect(),
            elapsed: end.saturating_duration_since(start),
            unanswered: self.outstanding.len() as u64,
            other_errors: self.other_errors,
        })
    }

    /// When request `i` of kind `k` falls due.
    fn due(&self, start: Instant, k: usize, i: u64) -> Instant {
        let n = self.config.kinds.len() as f64;
        start + self.period.mul_f64(i as f64 + k as f64 / n)
    }

    /// Sends waiting requests, longest-waiting first, while the window
    /// has room.
    fn send_waiting(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        while self.outstanding.len() < self.config.window {
            let Some(k) = (0..self.schedules.len())
                .filter(|&k| self.schedules[k].waiting.is_some())
                .min_by_key(|&k| self.schedules[k].waiting)
            else {
                break;
            };
            let request = Message::MultipartRequest(self.config.kinds[k].request());
            let xid = ctx.conn.send(&request)?;
            self.outstanding.insert(xid, (k, ctx.now, 0));
            self.stats[k].requests += 1;
            self.schedules[k].waiting = None;
        }
        Ok(())
    }

    /// A reply part to request `xid` with `count` entries.
    fn part(&mut self, xid: u32, flags: u16, count: u64, now: Instant) {
        let Some(entry) = self.outstanding.get_mut(&xid) else {
            return;
        };
        let (k, sent, so_far) = *entry;
        let stats = &mut self.stats[k];
        stats.parts += 1;
        let total = so_far + count;
        if flags & OFPMPF_REPLY_MORE != 0 {
            entry.2 = total;
            return;
        }
        self.outstanding.remove(&xid);
        stats.replies += 1;
        stats.entries = total;
        stats.latency.record(now.saturating_duration_since(sent));
    }

    /// An error reply to `xid` (or to none of our requests), or a reply
    /// part that is not well formed.
    fn error(&mut self, xid: u32) {
        match self.outstanding.remove(&xid) {
            Some((k, _, _)) => self.stats[k].errors += 1,
            None => self.other_errors += 1,
        }
    }

    /// After a reply: sends what waits for the freed slot.
    fn answered(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        if matches!(self.phase, Some(Phase::Polling { .. })) {
            self.send_waiting(ctx)?;
        }
        self.end_if_drained(ctx.now);
        Ok(())
    }

    fn end_if_drained(&mut self, now: Instant) {
        if let Some(Phase::Draining { start, .. }) = self.phase {
            if self.outstanding.is_empty() {
                self.phase = Some(Phase::Done { start, end: now });
            }
        }
    }
}

impl Handler for Poll {
    fn connected(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        let version = ctx.conn.version().unwrap_or(Version::V1_0);
        if let Some(k) = self.config.kinds.iter().find(|k| k.min_version() > version) {
            // The command line checks this against the versions offered;
            // a switch can still pick an older one of them.
            return Err(EncodeError::unsupported(
                version,
                match k {
                    StatsKind::Group => "group statistics (OpenFlow 1.1+)",
                    _ => "meter statistics (OpenFlow 1.3+)",
                },
            ));
        }
        self.phase = Some(Phase::Polling {
            start: ctx.now,
            end: ctx.now + self.config.duration,
        });
        Ok(())
    }

    fn message(
        &mut self,
        ctx: &mut Ctx<'_>,
        header: &Header,
        message: Message,
    ) -> Result<(), EncodeError> {
        match message {
            Message::MultipartReply(reply) => {
                self.part(header.xid, reply.flags, entries(&reply.body), ctx.now)
            }
            Message::Error(_) => self.error(header.xid),
            _ => return Ok(()),
        }
        self.answered(ctx)
    }

    fn undecoded(&self) -> Option<fn(&Header, &[u8]) -> bool> {
        Some(is_flow_stats_reply)
    }

    fn undecoded_message(
        &mut self,
        ctx: &mut Ctx<'_>,
        header: &Header,
        bytes: &[u8],
    ) -> Result<(), EncodeError> {
        let version = ctx.conn.version().unwrap_or(Version::V1_0);
        match count_flow_stats(version, &bytes[8..]) {
            Ok((flags, count)) => self.part(header.xid, flags, count as u64, ctx.now),
            Err(e) => {
                eprintln!("flow stats reply xid {}: {e}", header.xid);
                self.error(header.xid);
            }
        }
        self.answered(ctx)
    }

    fn deadline(&self) -> Option<Instant> {
        match self.phase? {
            Phase::Polling { start, end } => {
                let next = (0..self.schedules.len())
                    .filter(|&k| self.schedules[k].waiting.is_none())
                    .map(|k| self.due(start, k, self.schedules[k].next))
                    .min();
                Some(next.map_or(end, |n| n.min(end)))
            }
            Phase::Draining { until, .. } => Some(until),
            Phase::Done { .. } => None,
        }
    }

    fn wake(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        let now = ctx.now;
        match self.phase {
            Some(Phase::Polling { start, end }) => {
                for k in 0..self.schedules.len() {
                    loop {
                        let due = self.due(start, k, self.schedules[k].next);
                        if due > now || due >= end {
                            break;
                        }
                        let s = &mut self.schedules[k];
                        s.next += 1;
                        if s.waiting.is_some() {
                            self.stats[k].skipped += 1;
                        } else {
                            s.waiting = Some(due);
                        }
                    }
                }
                if now >= end {
                    // Requests still waiting for a slot are not sent.
                    for (k, s) in self.schedules.iter_mut().enumerate() {
                        if s.waiting.take().is_some() {
                            self.stats[k].skipped += 1;
                        }
                    }
                    self.phase = Some(Phase::Draining {
                        start,
                        until: now + self.config.drain,
                    });
                    self.end_if_drained(now);
                    return Ok(());
                }
                self.send_waiting(ctx)?;
            }
            Some(Phase::Draining { start, until }) if now >= until => {
                self.phase = Some(Phase::Done { start, end: now });
            }
            _ => {}
        }
        Ok(())
    }

    fn finished(&self) -> bool {
        matches!(self.phase, Some(Phase::Done { .. }))
    }
}

/// The `RESULT poll` line of one or more switches' results: totals, then
/// each kind (`flow_requests=.. flow_replies=.. flow_entries=..
/// flow_p50_us=..`).
pub fn result_line(results: &[PollResult]) -> String {
    let mut all = Latencies::new();
    let (mut requests, mut replies, mut errors, mut skipped) = (0u64, 0u64, 0u64, 0u64);
    let mut per_kind: Vec<(StatsKind, KindStats)> = Vec::new();
    let mut unanswered = 0;
    let mut elapsed = Duration::ZERO;
    for r in results {
        unanswered += r.unanswered;
        errors += r.other_errors;
        elapsed = elapsed.max(r.elapsed);
        for (kind, s) in &r.kinds {
            requests += s.requests;
            replies += s.replies;
            errors += s.errors;
            skipped += s.skipped;
            all.merge(&s.latency);
            match per_kind.iter_mut().find(|(k, _)| k == kind) {
                Some((_, acc)) => {
                    acc.requests += s.requests;
                    acc.replies += s.replies;
                    acc.parts += s.parts;
                    acc.entries = acc.entries.max(s.entries);
                    acc.skipped += s.skipped;
                    acc.errors += s.errors;
                    acc.latency.merge(&s.latency);
                }
                None => per_kind.push((*kind, s.clone())),
            }
        }
    }
    let mut line = format!(
        "RESULT poll requests={requests} replies={replies}{} errors={errors} skipped={skipped} \
         unanswered={unanswered} seconds={:.2}",
        all.fields("", &REPORTED),
        elapsed.as_secs_f64()
    );
    for (kind, mut s) in per_kind {
        let name = kind.name();
        line.push_str(&format!(
            " {name}_requests={} {name}_replies={} {name}_entries={}",
            s.requests, s.replies, s.entries
        ));
        line.push_str(&s.latency.fields(&format!("{name}_"), &REPORTED));
    }
    if results.len() > 1 {
        line.push_str(&format!(" switches={}", results.len()));
    }
    line
}

/// Options of `poll`.
#[derive(Args, Debug, Clone)]
pub struct PollArgs {
    /// Where the switches are.
    #[command(flatten)]
    pub common: Common,
    /// Kinds of statistics to poll, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "KINDS",
        default_value = "flow,port,table"
    )]
    pub kinds: Vec<StatsKind>,
    /// Requests per second of each kind.
    #[arg(long, value_name = "N", default_value_t = 1.0)]
    pub rate: f64,
    /// Seconds during which requests are sent.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub duration: f64,
    /// Requests outstanding at most (1: each waits for the previous reply).
    #[arg(long, value_name = "W", default_value_t = 1)]
    pub window: usize,
    /// Seconds allowed after --duration for the outstanding replies.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub drain: f64,
    /// With --listen: switches to serve before the run ends.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub switches: usize,
}

impl PollArgs {
    /// The poll settings, or why these options cannot work.
    pub fn config(&self) -> Result<PollConfig, String> {
        let mut kinds = Vec::new();
        for k in &self.kinds {
            if !kinds.contains(k) {
                kinds.push(*k);
            }
        }
        if kinds.is_empty() {
            return Err(
                "--kinds: name at least one of flow,aggregate,port,table,group,meter".into(),
            );
        }
        let oldest = self
            .common
            .versions
            .0
            .iter()
            .copied()
            .min()
            .unwrap_or(Version::V1_0);
        if let Some(k) = kinds.iter().find(|k| k.min_version() > oldest) {
            return Err(format!(
                "--kinds {}: needs {} or later; offer only such versions with -O (not -O {})",
                k.name(),
                k.min_version().ovs_name(),
                crate::report::version_names(&self.common.versions.0).replace(", ", ",")
            ));
        }
        if !(self.rate > 0.0 && self.rate.is_finite()) {
            return Err(format!("--rate {}: must be more than 0", self.rate));
        }
        if self.window == 0 {
            return Err("--window must be at least 1".into());
        }
        if self.switches == 0 {
            return Err("--switches must be at least 1".into());
        }
        Ok(PollConfig {
            kinds,
            rate: self.rate,
            duration: crate::runner::seconds("--duration", self.duration)?,
            window: self.window,
            drain: crate::runner::seconds("--drain", self.drain)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use openflow::connection::{Connection, Event};
    use openflow::multipart::{FlowStats, MultipartReply, PortStats, TableStats};

    use super::*;
    use crate::cli::{Cli, Mode};
    use clap::Parser;

    fn config(kinds: &[StatsKind], rate: f64, window: usize) -> PollConfig {
        PollConfig {
            kinds: kinds.to_vec(),
            rate,
            duration: Duration::from_secs(1),
            window,
            drain: Duration::from_secs(5),
        }
    }

    /// A switch end and a controller end in memory; the test plays the
    /// switch and moves the clock.
    struct Pair {
        ctl: Connection,
        sw: Connection,
        now: Instant,
        /// Requests the switch received and has not answered: (xid, request).
        requests: Vec<(u32, MultipartRequest)>,
    }

    impl Pair {
        fn new(version: Version) -> Pair {
            // The controller's end passes flow-stats parts on undecoded,
            // as a session running `Poll` does.
            let (ctl, sw, now) =
                crate::testing::connection_pair_undecoded(version, Some(is_flow_stats_reply));
            Pair {
                ctl,
                sw,
                now,
                requests: Vec::new(),
            }
        }

        fn pump(&mut self, poll: &mut Poll) {
            for _ in 0..4 {
                if let Some(b) = self.ctl.poll_transmit() {
                    self.sw.handle_input(&b, self.now);
                }
                while let Some(ev) = self.sw.poll_event() {
                    if let Event::Message {
                        header,
                        message: Message::MultipartRequest(r),
                    } = ev
                    {
                        self.requests.push((header.xid, r));
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
                        Event::Connected { .. } => poll.connected(&mut ctx).unwrap(),
                        Event::Message { header, message } => {
                            assert!(
                                !matches!(
                                    &message,
                                    Message::MultipartReply(r)
                                        if matches!(r.body, MultipartReplyBody::Flow(_))
                                ),
                                "flow stats come undecoded"
                            );
                            poll.message(&mut ctx, &header, message).unwrap()
                        }
                        Event::Undecoded { header, bytes } => {
                            poll.undecoded_message(&mut ctx, &header, &bytes).unwrap()
                        }
                        other => panic!("{other:?}"),
                    }
                }
            }
        }

        /// Wakes the poller at every deadline up to `t` (as the session
        /// does), then sets the clock to `t`.
        fn advance_to(&mut self, poll: &mut Poll, t: Instant) {
            while let Some(d) = poll.deadline() {
                if d > t {
                    break;
                }
                self.now = self.now.max(d);
                let mut ctx = Ctx {
                    conn: &mut self.ctl,
                    now: self.now,
                    backlog: 0,
                };
                poll.wake(&mut ctx).unwrap();
                self.pump(poll);
            }
            self.now = t;
        }

        /// Answers request `xid` with `bodies` (all but the last with
        /// REPLY_MORE), each part `gap` after the previous one.
        fn reply(
            &mut self,
            poll: &mut Poll,
            xid: u32,
            bodies: Vec<MultipartReplyBody>,
            gap: Duration,
        ) {
            let n = bodies.len();
            for (i, body) in bodies.into_iter().enumerate() {
                let flags = if i + 1 < n { OFPMPF_REPLY_MORE } else { 0 };
                self.sw
                    .send_with_xid(
                        xid,
                        &Message::MultipartReply(MultipartReply { flags, body }),
                    )
                    .unwrap();
                self.now += gap;
                self.pump(poll);
            }
        }
    }

    fn flows(n: usize) -> MultipartReplyBody {
        let flow = FlowStats {
            table_id: 0,
            duration_sec: 1,
            duration_nsec: 0,
            priority: 100,
            idle_timeout: 0,
            hard_timeout: 0,
            flags: 0,
            importance: 0,
            cookie: 0,
            packet_count: 0,
            byte_count: 0,
            match_: openflow::flow_match::Match::default(),
            instructions: Vec::new().into(),
        };
        MultipartReplyBody::Flow(vec![flow; n])
    }

    #[test]
    fn latency_runs_to_the_last_part_and_kinds_take_turns() {
        let mut poll = Poll::new(config(
            &[StatsKind::Flow, StatsKind::Port, StatsKind::Table],
            2.0,
            8,
        ));
        let mut p = Pair::new(Version::V1_3);
        p.pump(&mut poll);
        let start = p.now;
        // 2 of each kind a second: flow at 0, port at 1/6 s, table at 2/6 s.
        p.advance_to(&mut poll, start);
        assert_eq!(p.requests.len(), 1);
        let (xid, req) = p.requests.remove(0);
        assert_eq!(req, StatsKind::Flow.request());
        // Three parts 2 ms apart: latency 6 ms, to the last one.
        p.reply(
            &mut poll,
            xid,
            vec![flows(3), flows(3), flows(1)],
            Duration::from_millis(2),
        );
        p.advance_to(&mut poll, start + Duration::from_millis(340));
        let kinds: Vec<MultipartRequest> = p.requests.iter().map(|(_, r)| r.clone()).collect();
        assert_eq!(
            kinds,
            [StatsKind::Port.request(), StatsKind::Table.request()]
        );
        for (xid, r) in std::mem::take(&mut p.requests) {
            let body = match r.body {
                MultipartRequestBody::PortStats(_) => {
                    MultipartReplyBody::PortStats(vec![PortStats::default(); 2])
                }
                _ => MultipartReplyBody::Table(vec![TableStats::default(); 254]),
            };
            p.reply(&mut poll, xid, vec![body], Duration::from_millis(1));
        }
        // The rest of the second: 3 more requests, left unanswered until
        // the end, then answered 1 ms after it.
        let end = start + Duration::from_secs(1);
        p.advance_to(&mut poll, end);
        assert!(!poll.finished(), "replies outstanding");
        assert_eq!(p.requests.len(), 3);
        for (xid, _) in std::mem::take(&mut p.requests) {
            p.reply(&mut poll, xid, vec![flows(0)], Duration::from_millis(1));
        }
        // Wrong bodies for port and table do not matter to the timing.
        assert!(poll.finished());
        let r = poll.result().unwrap();
        let [(StatsKind::Flow, f), (StatsKind::Port, pt), (StatsKind::Table, t)] = &r.kinds[..]
        else {
            panic!("{:?}", r.kinds);
        };
        assert_eq!((f.requests, f.replies, f.parts, f.skipped), (2, 2, 4, 0));
        assert_eq!(
            (pt.requests, pt.replies, t.requests, t.replies),
            (2, 2, 2, 2)
        );
        assert_eq!(t.entries, 0, "latest table reply was the empty one");
        // The first flow dump took 6 ms; the second 501 ms (to the end).
        assert_eq!(
            f.latency.clone().percentile(50.0),
            Some(Duration::from_millis(6))
        );
        assert!(f.latency.max() > Some(Duration::from_millis(500)));
        assert_eq!(r.unanswered, 0);
        let line = result_line(&[r]);
        assert!(
            line.starts_with("RESULT poll requests=6 replies=6 p50_us="),
            "{line}"
        );
        assert!(
            line.contains(" flow_requests=2 flow_replies=2 flow_entries=0 flow_p50_us="),
            "{line}"
        );
        assert!(line.contains(" flow_p50_us=6000"), "{line}");
        assert!(line.contains(" errors=0 skipped=0 unanswered=0"), "{line}");
    }

    #[test]
    fn a_full_window_makes_requests_wait_and_a_silent_switch_is_drained() {
        // 5 of each kind a second (flow at 0, 200, ... ms; aggregate at
        // 100, 300, ... ms), one outstanding at most.
        let mut poll = Poll::new(config(&[StatsKind::Flow, StatsKind::Aggregate], 5.0, 1));
        let mut p = Pair::new(Version::V1_0);
        p.pump(&mut poll);
        let start = p.now;
        p.advance_to(&mut poll, start + Duration::from_millis(250));
        assert_eq!(p.requests.len(), 1);
        let (xid, r) = p.requests.remove(0);
        assert!(matches!(r.body, MultipartRequestBody::Flow(_)));
        // The dump ends at 250 ms: the aggregate due at 100 ms, which
        // waited longest, goes before the flow dump due at 200 ms.
        p.reply(&mut poll, xid, vec![flows(5)], Duration::ZERO);
        let (xid, r) = p.requests.remove(0);
        assert!(matches!(r.body, MultipartRequestBody::Aggregate(_)));
        assert!(p.requests.is_empty());
        let agg = |n| {
            MultipartReplyBody::Aggregate(openflow::multipart::AggregateStats {
                packet_count: 0,
                byte_count: 0,
                flow_count: n,
            })
        };
        p.reply(&mut poll, xid, vec![agg(1_000_000)], Duration::ZERO);
        let (_, r) = p.requests.remove(0);
        assert!(matches!(r.body, MultipartRequestBody::Flow(_)));
        // That one is never answered: everything due later waits or is
        // skipped, and the run ends 5 s after the second.
        p.advance_to(&mut poll, start + Duration::from_millis(5999));
        assert!(p.requests.is_empty());
        assert!(!poll.finished());
        p.advance_to(&mut poll, start + Duration::from_secs(7));
        assert!(poll.finished());
        let r = poll.result().unwrap();
        assert_eq!(r.unanswered, 1);
        let [(_, f), (_, a)] = &r.kinds[..] else {
            panic!()
        };
        assert_eq!((f.requests, f.replies, f.entries), (2, 1, 5));
        assert_eq!((a.requests, a.replies, a.entries), (1, 1, 1_000_000));
        // 10 due in the second: 3 sent, 7 skipped (the two still waiting
        // at the end among them).
        assert_eq!((f.skipped, a.skipped), (3, 4));
        assert_eq!(f.latency.max(), Some(Duration::from_millis(250)));
        assert_eq!(r.elapsed, Duration::from_secs(6));
    }

    #[test]
    fn errors_answer_requests_and_versions_are_checked() {
        let mut poll = Poll::new(config(&[StatsKind::Group, StatsKind::Meter], 1.0, 4));
        let mut p = Pair::new(Version::V1_4);
        p.pump(&mut poll);
        let start = p.now;
        p.advance_to(&mut poll, start + Duration::from_millis(600));
        assert_eq!(p.requests.len(), 2);
        let e = openflow::error_msg::ErrorMsg {
            err_type: 1,
            code: 2,
            experimenter: 0,
            data: Vec::new(),
        };
        for (xid, _) in std::mem::take(&mut p.requests) {
            p.sw.send_with_xid(xid, &Message::Error(e.clone())).unwrap();
        }
        p.sw.send_with_xid(999, &Message::Error(e)).unwrap();
        p.pump(&mut poll);
        p.advance_to(&mut poll, start + Duration::from_secs(1));
        assert!(poll.finished());
        let r = poll.result().unwrap();
        assert_eq!(r.other_errors, 1);
        assert!(r.kinds.iter().all(|(_, s)| s.errors == 1 && s.replies == 0));
        assert!(result_line(&[r]).contains(" p50_us=none"));

        // Meter statistics need 1.3: a 1.0 switch is refused at connect.
        let mut poll = Poll::new(config(&[StatsKind::Meter], 1.0, 1));
        let mut p = Pair::new(Version::V1_0);
        if let Some(b) = p.ctl.poll_transmit() {
            p.sw.handle_input(&b, p.now);
        }
        if let Some(b) = p.sw.poll_transmit() {
            p.ctl.handle_input(&b, p.now);
        }
        let Some(Event::Connected { .. }) = p.ctl.poll_event() else {
            panic!()
        };
        let mut ctx = Ctx {
            conn: &mut p.ctl,
            now: p.now,
            backlog: 0,
        };
        assert!(poll.connected(&mut ctx).is_err());
        // Every kind's request encodes in the versions that have it.
        for kind in [
            StatsKind::Flow,
            StatsKind::Aggregate,
            StatsKind::Port,
            StatsKind::Table,
            StatsKind::Group,
            StatsKind::Meter,
        ] {
            for v in Version::ALL
                .into_iter()
                .filter(|v| *v >= kind.min_version())
            {
                Message::MultipartRequest(kind.request())
                    .encode(v, 1)
                    .unwrap_or_else(|e| panic!("{kind:?} in {v}: {e}"));
            }
        }
    }

    #[test]
    fn poll_options() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(
                std::iter::once("ferrovs-controller-sim").chain(args.iter().copied()),
            )
        };
        let poll = |args: &[&str]| match parse(args).unwrap().mode {
            Mode::Poll(p) => p,
            m => panic!("{m:?}"),
        };
        let c = poll(&["poll", "--connect", "unix:/x"]).config().unwrap();
        assert_eq!(
            c.kinds,
            [StatsKind::Flow, StatsKind::Port, StatsKind::Table]
        );
        assert_eq!((c.rate, c.window), (1.0, 1));
        let c = poll(&[
            "poll",
            "--connect",
            "unix:/x",
            "--kinds",
            "meter,flow,meter",
            "--rate",
            "20",
            "--window",
            "4",
        ])
        .config()
        .unwrap();
        assert_eq!(c.kinds, [StatsKind::Meter, StatsKind::Flow]);
        assert_eq!((c.rate, c.window), (20.0, 4));
        let e = poll(&[
            "poll",
            "--connect",
            "unix:/x",
            "-O",
            "OpenFlow10,OpenFlow13",
            "--kinds",
            "group",
        ])
        .config()
        .unwrap_err();
        assert!(e.contains("group: needs OpenFlow11"), "{e}");
        assert!(parse(&["poll", "--connect", "unix:/x", "--kinds", "flows"]).is_err());
        assert!(poll(&["poll", "--connect", "unix:/x", "--rate", "0"])
            .config()
            .is_err());
    }
}
