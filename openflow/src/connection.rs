//! Sans-IO OpenFlow connection core.
//!
//! [`Connection`] holds the protocol state of one OpenFlow channel: the hello
//! exchange and version negotiation, echo request/reply, xid allocation, and
//! the inactivity probe and disconnect timers. It does no I/O and reads no
//! clock: bytes from the socket go in through [`Connection::handle_input`],
//! bytes to write come out of [`Connection::poll_transmit`], decoded messages
//! and state changes come out of [`Connection::poll_event`], and time is
//! given as `now` to every call; [`Connection::poll_timeout`] says when
//! [`Connection::handle_timeout`] must next be called. The same core serves a
//! switch's controller connections and a controller's switch connections.
//!
//! Timers (as Open vSwitch's rconn does): with no bytes received for
//! `probe_interval`, an echo request is sent; with still nothing received
//! for another `probe_interval`, the connection is declared dead. The hello
//! exchange must finish within `hello_timeout`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::error::{DecodeError, ErrorKind};
use crate::error_msg::ErrorMsg;
use crate::header::{Framer, Header, MAX_MESSAGE_LEN};
use crate::hello::{negotiate, Hello};
use crate::message::{decode, Message};
use crate::{EncodeError, Version};

/// Settings of one connection.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Versions we accept (the hello advertises them all in a bitmap when
    /// the highest is 1.3 or later).
    pub versions: Vec<Version>,
    /// Idle time before an echo request is sent, and again before the
    /// connection is declared dead. `None` disables probing.
    pub probe_interval: Option<Duration>,
    /// Time allowed for the hello exchange.
    pub hello_timeout: Duration,
    /// Largest message accepted from the peer.
    pub max_message_len: usize,
    /// Report echo replies as [`Event::Message`] (a controller that sends
    /// and counts its own echo requests); by default they only refresh the
    /// liveness timer.
    pub report_echo_replies: bool,
    /// Messages (after the hello exchange) for which this returns true are
    /// reported undecoded, as [`Event::Undecoded`]: for a peer that only
    /// counts or forwards some big messages (a flow dump's parts).
    pub undecoded: Option<fn(&Header, &[u8]) -> bool>,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            versions: Version::ALL.to_vec(),
            probe_interval: Some(Duration::from_secs(5)),
            hello_timeout: Duration::from_secs(10),
            max_message_len: MAX_MESSAGE_LEN,
            report_echo_replies: false,
            undecoded: None,
        }
    }
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// No common version (HELLO_FAILED/INCOMPATIBLE was sent or received).
    Incompatible,
    /// The hello exchange did not finish in time.
    HelloTimeout,
    /// Nothing received for two probe intervals.
    ProbeTimeout,
    /// The byte stream cannot be framed (length below 8 or above the
    /// maximum).
    Framing(DecodeError),
    /// The peer broke the protocol (e.g. a first message that is not a
    /// hello).
    Protocol(&'static str),
    /// [`Connection::close`] was called.
    Closed,
}

/// Something the application must know about.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The hello exchange finished: the connection speaks `version`.
    Connected {
        /// The negotiated version.
        version: Version,
    },
    /// A message from the peer (hello and echo requests are handled here
    /// and not reported, nor are echo replies unless
    /// [`ConnectionConfig::report_echo_replies`]).
    Message {
        /// Its header (xid for the reply).
        header: Header,
        /// The message.
        message: Message,
    },
    /// A message [`ConnectionConfig::undecoded`] selected, as it came (its
    /// header checked, its body not).
    Undecoded {
        /// Its header.
        header: Header,
        /// The whole message, header included.
        bytes: Vec<u8>,
    },
    /// A message could not be decoded; an error message carrying its first
    /// 64 bytes has already been queued for the peer.
    DecodeFailed {
        /// Its header.
        header: Header,
        /// Why.
        error: DecodeError,
    },
    /// The connection is over: close the socket after flushing
    /// [`Connection::poll_transmit`].
    Disconnected(DisconnectReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    AwaitHello,
    Connected(Version),
    Closed,
}

/// The protocol state of one OpenFlow connection.
#[derive(Debug)]
pub struct Connection {
    config: ConnectionConfig,
    framer: Framer,
    state: State,
    next_xid: u32,
    transmit: Vec<u8>,
    events: VecDeque<Event>,
    started: Instant,
    last_rx: Instant,
    probe_sent: Option<Instant>,
}

impl Connection {
    /// A new connection at time `now`; our hello is queued for transmit.
    pub fn new(config: ConnectionConfig, now: Instant) -> Connection {
        let mut c = Connection {
            framer: Framer::new(config.max_message_len),
            config,
            state: State::AwaitHello,
            next_xid: 1,
            transmit: Vec::new(),
            events: VecDeque::new(),
            started: now,
            last_rx: now,
            probe_sent: None,
        };
        let max = c
            .config
            .versions
            .iter()
            .copied()
            .max()
            .unwrap_or(Version::V1_0);
        let hello = if max >= Version::V1_3 {
            Hello::with_versions(&c.config.versions)
        } else {
            Hello::default()
        };
        let xid = c.alloc_xid();
        c.queue(max, xid, &Message::Hello(hello));
        c
    }

    /// The negotiated version, once connected.
    pub fn version(&self) -> Option<Version> {
        match self.state {
            State::Connected(v) => Some(v),
            _ => None,
        }
    }

    /// True once the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Allocates a fresh transaction id (never 0).
    pub fn alloc_xid(&mut self) -> u32 {
        let xid = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1).max(1);
        xid
    }

    /// Queues `message` with a fresh xid, returned. Fails before the hello
    /// exchange is over, or when the negotiated version cannot express the
    /// message.
    pub fn send(&mut self, message: &Message) -> Result<u32, EncodeError> {
        let xid = self.alloc_xid();
        self.send_with_xid(xid, message)?;
        Ok(xid)
    }

    /// Queues `message` with the given `xid` (a reply uses its request's).
    pub fn send_with_xid(&mut self, xid: u32, message: &Message) -> Result<(), EncodeError> {
        let State::Connected(version) = self.state else {
            return Err(EncodeError::unsupported(
                self.config
                    .versions
                    .iter()
                    .copied()
                    .max()
                    .unwrap_or(Version::V1_0),
                "message before the hello exchange",
            ));
        };
        message.encode_into(version, xid, &mut self.transmit)
    }

    /// Ends the connection.
    pub fn close(&mut self) {
        self.disconnect(DisconnectReason::Closed);
    }

    /// Takes the bytes to write to the socket, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.transmit.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.transmit))
        }
    }

    /// Gives back a buffer that [`Connection::poll_transmit`] returned,
    /// once written: its allocation holds the next messages, so a big
    /// reply's pages are not allocated and faulted in again for the next
    /// one. (The largest buffer is kept, emptied.)
    pub fn recycle_transmit(&mut self, mut written: Vec<u8>) {
        if self.transmit.is_empty() && written.capacity() > self.transmit.capacity() {
            written.clear();
            self.transmit = written;
        }
    }

    /// Takes the next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Connection::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Closed => None,
            State::AwaitHello => Some(self.started + self.config.hello_timeout),
            State::Connected(_) => {
                let interval = self.config.probe_interval?;
                Some(match self.probe_sent {
                    Some(sent) => sent + interval,
                    None => self.last_rx + interval,
                })
            }
        }
    }

    /// Runs the timers at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            State::Closed => {}
            State::AwaitHello => {
                if now >= self.started + self.config.hello_timeout {
                    self.disconnect(DisconnectReason::HelloTimeout);
                }
            }
            State::Connected(version) => {
                let Some(interval) = self.config.probe_interval else {
                    return;
                };
                match self.probe_sent {
                    Some(sent) if now >= sent + interval => {
                        self.disconnect(DisconnectReason::ProbeTimeout)
                    }
                    Some(_) => {}
                    None if now >= self.last_rx + interval => {
                        let xid = self.alloc_xid();
                        self.queue(version, xid, &Message::EchoRequest(Vec::new()));
                        self.probe_sent = Some(now);
                    }
                    None => {}
                }
            }
        }
    }

    /// Feeds bytes read from the socket at `now`.
    pub fn handle_input(&mut self, bytes: &[u8], now: Instant) {
        if self.state == State::Closed {
            return;
        }
        if !bytes.is_empty() {
            self.last_rx = now;
            self.probe_sent = None;
        }
        self.framer.push(bytes);
        loop {
            if self.state == State::Closed {
                return;
            }
            match self.framer.next_message() {
                Ok(Some(msg)) => self.handle_message(&msg),
                Ok(None) => return,
                Err(e) => {
                    self.disconnect(DisconnectReason::Framing(e));
                    return;
                }
            }
        }
    }

    fn handle_message(&mut self, bytes: &[u8]) {
        match self.state {
            State::Closed => {}
            State::AwaitHello => match decode(bytes) {
                Ok((header, Message::Hello(hello))) => self.handle_hello(header, &hello),
                Err(_) if bytes.get(1) == Some(&0) => {
                    // A hello whose elements we cannot parse: negotiate on
                    // the header version alone.
                    let header = Header::parse(bytes).ok();
                    if let Some(header) = header {
                        self.handle_hello(header, &Hello::default());
                    }
                }
                Ok((header, Message::Error(e)))
                    if Version::from_wire(header.version).is_some() && e.err_type == 0 =>
                {
                    self.disconnect(DisconnectReason::Incompatible)
                }
                _ => self.disconnect(DisconnectReason::Protocol("first message is not a hello")),
            },
            State::Connected(version) => {
                let header = match Header::parse(bytes) {
                    Ok(h) => h,
                    Err(e) => {
                        self.disconnect(DisconnectReason::Framing(e));
                        return;
                    }
                };
                if header.version != version.wire() {
                    self.reply_error(version, ErrorKind::BadVersion, header, bytes);
                    self.events.push_back(Event::DecodeFailed {
                        header,
                        error: DecodeError::new(
                            ErrorKind::BadVersion,
                            "version differs from the negotiated one",
                        ),
                    });
                    return;
                }
                if self.config.undecoded.is_some_and(|f| f(&header, bytes)) {
                    self.events.push_back(Event::Undecoded {
                        header,
                        bytes: bytes.to_vec(),
                    });
                    return;
                }
                match decode(bytes) {
                    Ok((header, Message::EchoRequest(data))) => {
                        self.queue(version, header.xid, &Message::EchoReply(data));
                    }
                    Ok((header, message @ Message::EchoReply(_)))
                        if self.config.report_echo_replies =>
                    {
                        self.events.push_back(Event::Message { header, message })
                    }
                    Ok((_, Message::EchoReply(_))) | Ok((_, Message::Hello(_))) => {}
                    Ok((header, message)) => {
                        self.events.push_back(Event::Message { header, message })
                    }
                    Err(error) => {
                        self.reply_error(version, error.kind, header, bytes);
                        self.events.push_back(Event::DecodeFailed { header, error });
                    }
                }
            }
        }
    }

    fn handle_hello(&mut self, header: Header, hello: &Hello) {
        match negotiate(&self.config.versions, header.version, hello) {
            Some(v) => {
                self.state = State::Connected(v);
                self.events.push_back(Event::Connected { version: v });
            }
            None => {
                let version = Version::from_wire(header.version).unwrap_or_else(|| {
                    self.config
                        .versions
                        .iter()
                        .copied()
                        .max()
                        .unwrap_or(Version::V1_0)
                });
                let text = format!(
                    "no common version with peer offering 0x{:02x}",
                    header.version
                );
                let err = ErrorMsg {
                    err_type: 0,
                    code: 0,
                    experimenter: 0,
                    data: text.into_bytes(),
                };
                let xid = header.xid;
                self.queue(version, xid, &Message::Error(err));
                self.disconnect(DisconnectReason::Incompatible);
            }
        }
    }

    fn reply_error(&mut self, version: Version, kind: ErrorKind, header: Header, request: &[u8]) {
        let err = ErrorMsg::for_request(kind, version, request);
        self.queue(version, header.xid, &Message::Error(err));
    }

    fn queue(&mut self, version: Version, xid: u32, message: &Message) {
        // Messages built here (hello, echo, error) always fit every version.
        let _ = message.encode_into(version, xid, &mut self.transmit);
    }

    fn disconnect(&mut self, reason: DisconnectReason) {
        if self.state != State::Closed {
            self.state = State::Closed;
            self.events.push_back(Event::Disconnected(reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Version::*;

    fn cfg(versions: &[Version]) -> ConnectionConfig {
        ConnectionConfig {
            versions: versions.to_vec(),
            ..ConnectionConfig::default()
        }
    }

    /// Moves every pending byte between the two ends until both are quiet.
    fn pump(a: &mut Connection, b: &mut Connection, now: Instant) {
        loop {
            let mut moved = false;
            if let Some(bytes) = a.poll_transmit() {
                b.handle_input(&bytes, now);
                moved = true;
            }
            if let Some(bytes) = b.poll_transmit() {
                a.handle_input(&bytes, now);
                moved = true;
            }
            if !moved {
                return;
            }
        }
    }

    fn events(c: &mut Connection) -> Vec<Event> {
        std::iter::from_fn(|| c.poll_event()).collect()
    }

    #[test]
    fn bitmap_negotiation_picks_highest_common() {
        let t0 = Instant::now();
        let mut sw = Connection::new(cfg(&[V1_0, V1_3, V1_4]), t0);
        let mut ctl = Connection::new(cfg(&[V1_0, V1_3]), t0);
        pump(&mut sw, &mut ctl, t0);
        assert_eq!(events(&mut sw), vec![Event::Connected { version: V1_3 }]);
        assert_eq!(events(&mut ctl), vec![Event::Connected { version: V1_3 }]);
        assert_eq!(sw.version(), Some(V1_3));
    }

    #[test]
    fn header_negotiation_without_bitmap() {
        let t0 = Instant::now();
        // A 1.2 hello without bitmap stands for 1.0-1.2.
        let mut sw = Connection::new(cfg(&[V1_0, V1_1, V1_2]), t0);
        let mut ctl = Connection::new(cfg(&[V1_0, V1_3, V1_4]), t0);
        pump(&mut sw, &mut ctl, t0);
        assert_eq!(sw.version(), Some(V1_0));
        assert_eq!(ctl.version(), Some(V1_0));

        let mut sw = Connection::new(cfg(&[V1_4]), t0);
        let mut ctl = Connection::new(cfg(&[V1_0, V1_3]), t0);
        pump(&mut sw, &mut ctl, t0);
        assert!(ctl.is_closed() && sw.is_closed());
        assert_eq!(
            events(&mut ctl),
            vec![Event::Disconnected(DisconnectReason::Incompatible)]
        );
        assert_eq!(
            events(&mut sw),
            vec![Event::Disconnected(DisconnectReason::Incompatible)]
        );

        let mut sw = Connection::new(cfg(&[V1_0]), t0);
        let mut ctl = Connection::new(cfg(&[V1_0, V1_3]), t0);
        pump(&mut sw, &mut ctl, t0);
        assert_eq!(sw.version(), Some(V1_0));
        assert_eq!(ctl.version(), Some(V1_0));
    }

    #[test]
    fn messages_flow_and_xids_advance() {
        let t0 = Instant::now();
        let mut sw = Connection::new(cfg(&[V1_3]), t0);
        let mut ctl = Connection::new(cfg(&[V1_3]), t0);
        assert!(ctl.send(&Message::BarrierRequest).is_err());
        pump(&mut sw, &mut ctl, t0);
        events(&mut sw);
        events(&mut ctl);
        let x1 = ctl.send(&Message::BarrierRequest).unwrap();
        let x2 = ctl.send(&Message::FeaturesRequest).unwrap();
        assert_ne!(x1, x2);
        pump(&mut sw, &mut ctl, t0);
        let got = events(&mut sw);
        assert_eq!(got.len(), 2);
        let Event::Message { header, message } = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!((header.xid, message), (x1, &Message::BarrierRequest));
        sw.send_with_xid(x1, &Message::BarrierReply).unwrap();
        pump(&mut sw, &mut ctl, t0);
        let got = events(&mut ctl);
        assert!(
            matches!(&got[..], [Event::Message { header, message: Message::BarrierReply }] if header.xid == x1)
        );
    }

    #[test]
    fn bad_message_gets_an_error_with_its_first_bytes() {
        let t0 = Instant::now();
        let mut sw = Connection::new(cfg(&[V1_3]), t0);
        let mut ctl = Connection::new(cfg(&[V1_3]), t0);
        pump(&mut sw, &mut ctl, t0);
        events(&mut sw);
        events(&mut ctl);
        // A message of unknown type 99.
        let bad = [4u8, 99, 0, 8, 0, 0, 0, 42];
        sw.handle_input(&bad, t0);
        let got = events(&mut sw);
        assert!(
            matches!(&got[..], [Event::DecodeFailed { error, .. }] if error.kind == ErrorKind::BadType)
        );
        let out = sw.poll_transmit().unwrap();
        let (h, m) = decode(&out).unwrap();
        assert_eq!(h.xid, 42);
        assert_eq!(
            m,
            Message::Error(ErrorMsg {
                err_type: 1,
                code: 1,
                experimenter: 0,
                data: bad.to_vec()
            })
        );
    }

    #[test]
    fn echo_replies_are_reported_only_when_asked_for() {
        let t0 = Instant::now();
        for report in [false, true] {
            let mut sw = Connection::new(cfg(&[V1_3]), t0);
            let mut ctl = Connection::new(
                ConnectionConfig {
                    report_echo_replies: report,
                    ..cfg(&[V1_3])
                },
                t0,
            );
            pump(&mut sw, &mut ctl, t0);
            events(&mut sw);
            events(&mut ctl);
            let xid = ctl.send(&Message::EchoRequest(vec![7])).unwrap();
            pump(&mut sw, &mut ctl, t0);
            // The switch answers by itself; only the controller may see it.
            assert!(events(&mut sw).is_empty());
            let got = events(&mut ctl);
            if report {
                assert!(
                    matches!(&got[..], [Event::Message { header, message: Message::EchoReply(d) }]
                        if header.xid == xid && d == &[7]),
                    "{got:?}"
                );
            } else {
                assert!(got.is_empty(), "{got:?}");
            }
        }
    }

    #[test]
    fn a_recycled_buffer_holds_the_next_messages() {
        let t0 = Instant::now();
        let mut sw = Connection::new(cfg(&[V1_4]), t0);
        let mut ctl = Connection::new(cfg(&[V1_4]), t0);
        pump(&mut sw, &mut ctl, t0);
        for _ in 0..10_000 {
            sw.send(&Message::BarrierRequest).unwrap();
        }
        let big = sw.poll_transmit().unwrap();
        assert_eq!(big.len(), 80_000);
        let capacity = big.capacity();
        sw.recycle_transmit(big);
        assert!(sw.poll_transmit().is_none(), "emptied");
        sw.send(&Message::BarrierRequest).unwrap();
        let next = sw.poll_transmit().unwrap();
        assert_eq!(next.len(), 8);
        assert_eq!(next.capacity(), capacity);
        // Queued bytes are never replaced by a recycled buffer.
        sw.send(&Message::BarrierRequest).unwrap();
        sw.recycle_transmit(next);
        assert_eq!(sw.poll_transmit().unwrap().len(), 8);
    }

    #[test]
    fn echo_probe_and_timeout_in_virtual_time() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut sw = Connection::new(cfg(&[V1_4]), t0);
        let mut ctl = Connection::new(cfg(&[V1_4]), t0);
        pump(&mut sw, &mut ctl, t0);
        events(&mut sw);
        events(&mut ctl);
        assert_eq!(sw.poll_timeout(), Some(t0 + 5 * s));
        sw.handle_timeout(t0 + 4 * s);
        assert!(sw.poll_transmit().is_none());
        // Idle for 5 s: the switch probes, the controller answers.
        sw.handle_timeout(t0 + 5 * s);
        let probe = sw.poll_transmit().unwrap();
        assert!(matches!(decode(&probe).unwrap().1, Message::EchoRequest(_)));
        ctl.handle_input(&probe, t0 + 5 * s);
        let reply = ctl.poll_transmit().unwrap();
        assert!(matches!(decode(&reply).unwrap().1, Message::EchoReply(_)));
        sw.handle_input(&reply, t0 + 6 * s);
        assert_eq!(sw.poll_timeout(), Some(t0 + 11 * s));
        assert!(events(&mut sw).is_empty());
        // Now the controller goes silent: probe at 11 s, dead at 16 s.
        sw.handle_timeout(t0 + 11 * s);
        assert!(sw.poll_transmit().is_some());
        sw.handle_timeout(t0 + 15 * s);
        assert!(!sw.is_closed());
        sw.handle_timeout(t0 + 16 * s);
        assert!(sw.is_closed());
        assert_eq!(
            events(&mut sw),
            vec![Event::Disconnected(DisconnectReason::ProbeTimeout)]
        );
        assert_eq!(sw.poll_timeout(), None);
    }

    #[test]
    fn hello_timeout_and_non_hello_first() {
        let t0 = Instant::now();
        let mut sw = Connection::new(cfg(&[V1_3]), t0);
        sw.handle_timeout(t0 + Duration::from_secs(9));
        assert!(!sw.is_closed());
        sw.handle_timeout(t0 + Duration::from_secs(10));
        assert_eq!(
            events(&mut sw),
            vec![Event::Disconnected(DisconnectReason::HelloTimeout)]
        );

        let mut sw = Connection::new(cfg(&[V1_3]), t0);
        sw.handle_input(&Message::BarrierRequest.encode(V1_3, 1).unwrap(), t0);
        assert!(matches!(
            events(&mut sw)[..],
            [Event::Disconnected(DisconnectReason::Protocol(_))]
        ));
    }

    #[test]
    fn byte_at_a_time_and_many_per_read() {
        let t0 = Instant::now();
        let mut sw = Connection::new(cfg(&[V1_3]), t0);
        let mut ctl = Connection::new(cfg(&[V1_3]), t0);
        let mut stream = ctl.poll_transmit().unwrap();
        // The controller's hello, then three requests, delivered one byte
        // per read.
        for (xid, m) in [
            (7, Message::BarrierRequest),
            (8, Message::FeaturesRequest),
            (9, Message::EchoRequest(vec![5])),
        ] {
            stream.extend(m.encode(V1_3, xid).unwrap());
        }
        for b in &stream {
            sw.handle_input(std::slice::from_ref(b), t0);
        }
        let got = events(&mut sw);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], Event::Connected { version: V1_3 });
        assert!(
            matches!(&got[1], Event::Message { header, message: Message::BarrierRequest } if header.xid == 7)
        );
        assert!(
            matches!(&got[2], Event::Message { header, message: Message::FeaturesRequest } if header.xid == 8)
        );
        // Hello, then the echo reply to xid 9, in one write.
        let out = sw.poll_transmit().unwrap();
        let mut f = Framer::default();
        f.push(&out);
        let hello = f.next_message().unwrap().unwrap();
        assert!(matches!(decode(&hello).unwrap().1, Message::Hello(_)));
        let echo = f.next_message().unwrap().unwrap();
        let (h, m) = decode(&echo).unwrap();
        assert_eq!((h.xid, m), (9, Message::EchoReply(vec![5])));
        assert_eq!(f.next_message().unwrap(), None);
    }

    #[test]
    fn framing_error_disconnects() {
        let t0 = Instant::now();
        let mut sw = Connection::new(cfg(&[V1_3]), t0);
        sw.handle_input(&[4, 0, 0, 2, 0, 0, 0, 0], t0);
        assert!(matches!(
            events(&mut sw)[..],
            [Event::Disconnected(DisconnectReason::Framing(_))]
        ));
    }
}
