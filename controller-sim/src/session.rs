//! One switch connection: the tokio layer that moves bytes between a socket
//! and the sans-IO [`Connection`], and the [`Handler`] trait a mode
//! implements on top of it.
//!
//! The session reads, writes and runs the connection's timers
//! concurrently (one `select!`), so a switch that answers while we are
//! still writing never deadlocks against us. A handler queues requests only
//! when the bytes already queued are below [`FILL_BELOW`], so a mode that
//! could send forever (`load`) keeps memory bounded; the read buffer is a
//! fixed size and messages are framed by the connection's own bounded
//! framer.
//!
//! Errors name the switch (`unix:/run/br0.mgmt`) and the reason: a refused
//! connection, no common OpenFlow version (with the versions each side
//! offered), a silent peer, a closed socket. `OFPT_ERROR` messages from the
//! switch are printed on stderr as they come (the first
//! [`MAX_PRINTED_ERRORS`] of a connection) and handed to the handler, which
//! counts them.
//!
//! A handler with periodic work (polling, a run of fixed duration) names
//! its next deadline in [`Handler::deadline`]; the session sleeps until
//! the earlier of that and the connection's own timers.

use std::fmt;
use std::io;
use std::time::{Duration, Instant};

use openflow::connection::{Connection, ConnectionConfig, DisconnectReason, Event};
use openflow::hello::Hello;
use openflow::{EncodeError, Framer, Header, Message, Version};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::endpoint::Target;
use crate::report;

/// A handler queues more requests only while fewer bytes than this wait to
/// be written.
pub const FILL_BELOW: usize = 256 * 1024;
/// Size of the one read buffer of a session.
const READ_BUF: usize = 64 * 1024;
/// Switch errors printed per connection; later ones are only counted.
pub const MAX_PRINTED_ERRORS: usize = 10;
/// Time allowed to connect to a switch.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed to flush the last bytes (an error reply) before closing.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

/// What a handler sees of the connection when it is called.
pub struct Ctx<'a> {
    /// The connection: `send` queues a request and returns its xid.
    pub conn: &'a mut Connection,
    /// The time of the event being handled.
    pub now: Instant,
    /// Bytes queued for the switch and not yet written (a handler may shed
    /// work, e.g. packet-ins, when the switch does not keep up).
    pub backlog: usize,
}

/// What a mode does on one switch connection. Every method is called with
/// the connection established (after the hello exchange).
pub trait Handler {
    /// The hello exchange finished; the negotiated version is
    /// `ctx.conn.version()`.
    fn connected(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError>;

    /// A message from the switch (echo and hello are answered by the
    /// connection and not passed on; `OFPT_ERROR` is, after it has been
    /// printed).
    fn message(
        &mut self,
        ctx: &mut Ctx<'_>,
        header: &Header,
        message: Message,
    ) -> Result<(), EncodeError>;

    /// Whether [`Handler::fill`] would queue more requests now.
    fn wants_to_send(&self) -> bool {
        false
    }

    /// Queues some more requests (a bounded batch: the session calls again
    /// once they are written).
    fn fill(&mut self, _ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        Ok(())
    }

    /// The work on this switch is done: the session flushes and closes.
    fn finished(&self) -> bool {
        false
    }

    /// When the handler wants [`Handler::wake`] called even if the switch
    /// says nothing (a sampling tick, the end of a timed run); `None`:
    /// never.
    fn deadline(&self) -> Option<Instant> {
        None
    }

    /// [`Handler::deadline`] has come (`ctx.now` is at or past it).
    fn wake(&mut self, _ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        Ok(())
    }

    /// Whether echo replies to the handler's own echo requests are passed
    /// to [`Handler::message`] (otherwise the connection consumes them).
    fn echo_replies(&self) -> bool {
        false
    }

    /// Which messages reach the handler undecoded, through
    /// [`Handler::undecoded_message`] (see
    /// [`ConnectionConfig::undecoded`]); `None`: none.
    fn undecoded(&self) -> Option<fn(&Header, &[u8]) -> bool> {
        None
    }

    /// A message [`Handler::undecoded`] selected: `bytes` is the whole
    /// message, its header checked, its body not.
    fn undecoded_message(
        &mut self,
        _ctx: &mut Ctx<'_>,
        _header: &Header,
        _bytes: &[u8],
    ) -> Result<(), EncodeError> {
        Ok(())
    }
}

/// How a session ended badly.
#[derive(Debug)]
pub enum SessionError {
    /// The switch could not be reached.
    Connect {
        /// The switch.
        peer: String,
        /// Why.
        error: io::Error,
    },
    /// Reading or writing the socket failed.
    Io {
        /// The switch.
        peer: String,
        /// Why.
        error: io::Error,
    },
    /// The two ends share no OpenFlow version.
    Incompatible {
        /// The switch.
        peer: String,
        /// What we offered.
        ours: Vec<Version>,
        /// What the switch's hello offered, when it sent one.
        theirs: Option<String>,
        /// The text of the switch's HELLO_FAILED error, if it sent one.
        text: Option<String>,
    },
    /// The connection core ended the connection for another reason (hello
    /// timeout, probe timeout, framing, protocol violation).
    Disconnected {
        /// The switch.
        peer: String,
        /// Why.
        reason: DisconnectReason,
    },
    /// The switch closed the connection before the mode was done.
    PeerClosed {
        /// The switch.
        peer: String,
        /// The version in use, if the hello exchange had finished.
        version: Option<Version>,
    },
    /// A request could not be encoded in the negotiated version.
    Encode {
        /// The switch.
        peer: String,
        /// Why.
        error: EncodeError,
    },
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Connect { peer, error } => {
                write!(f, "switch {peer}: cannot connect: {error}")?;
                match error.kind() {
                    io::ErrorKind::ConnectionRefused => {
                        write!(f, " (is the switch running and listening there?)")
                    }
                    io::ErrorKind::NotFound => write!(
                        f,
                        " (no such socket: is the switch running and the bridge created?)"
                    ),
                    _ => Ok(()),
                }
            }
            SessionError::Io { peer, error } => write!(f, "switch {peer}: {error}"),
            SessionError::Incompatible {
                peer,
                ours,
                theirs,
                text,
            } => {
                write!(
                    f,
                    "switch {peer}: no common OpenFlow version: we offer {}",
                    report::version_names(ours)
                )?;
                if let Some(t) = theirs {
                    write!(f, ", the switch offers {t}")?;
                }
                if let Some(t) = text {
                    write!(f, " (switch says: {t})")?;
                }
                write!(f, "; choose a version both speak with -O")
            }
            SessionError::Disconnected { peer, reason } => {
                write!(f, "switch {peer}: ")?;
                match reason {
                    DisconnectReason::HelloTimeout => write!(f, "no hello from the switch in time"),
                    DisconnectReason::ProbeTimeout => {
                        write!(f, "the switch stopped answering (echo request unanswered)")
                    }
                    DisconnectReason::Framing(e) => write!(f, "unreadable byte stream: {e}"),
                    DisconnectReason::Protocol(what) => write!(f, "protocol error: {what}"),
                    DisconnectReason::Incompatible => write!(f, "no common OpenFlow version"),
                    DisconnectReason::Closed => write!(f, "connection closed"),
                }
            }
            SessionError::PeerClosed { peer, version } => match version {
                Some(v) => write!(f, "switch {peer}: closed the {v} connection"),
                None => write!(
                    f,
                    "switch {peer}: closed the connection during the hello exchange"
                ),
            },
            SessionError::Encode { peer, error } => {
                write!(f, "switch {peer}: cannot encode a request: {error}")
            }
        }
    }
}

impl std::error::Error for SessionError {}

/// A byte stream to a switch: TCP or Unix.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Connects to `target`.
pub async fn connect(target: &Target) -> Result<Box<dyn Stream>, SessionError> {
    let err = |error| SessionError::Connect {
        peer: target.to_string(),
        error,
    };
    let timed_out = || io::Error::new(io::ErrorKind::TimedOut, "connect timed out");
    match target {
        Target::Unix(path) => {
            let s = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::UnixStream::connect(path))
                .await
                .map_err(|_| err(timed_out()))?
                .map_err(err)?;
            Ok(Box::new(s))
        }
        Target::Tcp(addr) => {
            let s = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr))
                .await
                .map_err(|_| err(timed_out()))?
                .map_err(err)?;
            // Requests are pipelined and written in large batches; small
            // replies (barriers, packet-outs) must not wait for Nagle.
            let _ = s.set_nodelay(true);
            Ok(Box::new(s))
        }
    }
}

/// Settings of a session.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Versions offered in our hello.
    pub versions: Vec<Version>,
    /// Idle time before an echo request, and again before the switch is
    /// declared dead.
    pub probe_interval: Option<Duration>,
}

/// What the session saw of the switch before the hello exchange finished:
/// enough to say why negotiation failed.
#[derive(Default)]
struct PeerHello {
    framer: Option<Framer>,
    offered: Option<String>,
    hello_failed: Option<String>,
}

impl PeerHello {
    fn new() -> PeerHello {
        PeerHello {
            framer: Some(Framer::default()),
            ..PeerHello::default()
        }
    }

    /// Looks at bytes received before the connection is established.
    fn observe(&mut self, bytes: &[u8]) {
        let Some(framer) = self.framer.as_mut() else {
            return;
        };
        framer.push(bytes);
        while let Ok(Some(msg)) = framer.next_message() {
            let Ok(header) = Header::parse(&msg) else {
                break;
            };
            match openflow::decode(&msg) {
                Ok((_, Message::Hello(h))) => {
                    self.offered = Some(report::offered_versions(
                        header.version,
                        h.bitmap_versions().as_deref(),
                    ));
                }
                Ok((_, Message::Error(e))) if e.err_type == 0 => {
                    let text = String::from_utf8_lossy(&e.data);
                    let text: String = text.chars().take(200).collect();
                    self.hello_failed = Some(text.trim_end_matches('\0').trim().to_owned());
                }
                Err(_) if header.msg_type == 0 => {
                    self.offered = Some(report::offered_versions(
                        header.version,
                        Hello::decode(msg.get(8..).unwrap_or_default())
                            .ok()
                            .and_then(|h| h.bitmap_versions())
                            .as_deref(),
                    ));
                }
                _ => {}
            }
        }
    }

    /// Stops looking (the connection is established).
    fn done(&mut self) {
        self.framer = None;
    }
}

/// Runs `handler` on the connection over `stream` to switch `peer` until
/// the handler is finished (then `Ok`) or the connection fails.
pub async fn run<S, H>(
    stream: S,
    peer: &str,
    config: &SessionConfig,
    handler: &mut H,
) -> Result<(), SessionError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    H: Handler + ?Sized,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut conn = Connection::new(
        ConnectionConfig {
            versions: config.versions.clone(),
            probe_interval: config.probe_interval,
            report_echo_replies: handler.echo_replies(),
            undecoded: handler.undecoded(),
            ..ConnectionConfig::default()
        },
        Instant::now(),
    );
    let io_err = |error| SessionError::Io {
        peer: peer.to_owned(),
        error,
    };
    let encode_err = |error| SessionError::Encode {
        peer: peer.to_owned(),
        error,
    };
    let mut peer_hello = PeerHello::new();
    let mut buf = vec![0u8; READ_BUF];
    // Bytes to write: `out[pos..]`.
    let mut out: Vec<u8> = Vec::new();
    let mut pos = 0usize;
    let mut printed_errors = 0usize;
    let mut closing: Option<Result<(), SessionError>> = None;

    loop {
        // Events first: they may queue replies.
        while let Some(event) = conn.poll_event() {
            let now = Instant::now();
            let backlog = out.len() - pos;
            let mut ctx = Ctx {
                conn: &mut conn,
                now,
                backlog,
            };
            match event {
                Event::Connected { version } => {
                    peer_hello.done();
                    eprintln!("switch {peer}: connected, {version}");
                    handler.connected(&mut ctx).map_err(encode_err)?;
                }
                Event::Message { header, message } => {
                    if let Message::Error(e) = &message {
                        let version = ctx.conn.version().unwrap_or(Version::V1_0);
                        if printed_errors < MAX_PRINTED_ERRORS {
                            eprintln!(
                                "switch {peer}: {}",
                                report::switch_error(version, header.xid, e)
                            );
                        } else if printed_errors == MAX_PRINTED_ERRORS {
                            eprintln!("switch {peer}: more errors follow; counted, not printed");
                        }
                        printed_errors = printed_errors.saturating_add(1);
                    }
                    handler
                        .message(&mut ctx, &header, message)
                        .map_err(encode_err)?;
                }
                Event::Undecoded { header, bytes } => {
                    handler
                        .undecoded_message(&mut ctx, &header, &bytes)
                        .map_err(encode_err)?;
                }
                Event::DecodeFailed { header, error } => {
                    // The connection has already answered with an error.
                    eprintln!(
                        "switch {peer}: undecodable message type {} xid {}: {error}",
                        header.msg_type, header.xid
                    );
                }
                Event::Disconnected(reason) => {
                    let e = match reason {
                        DisconnectReason::Incompatible => SessionError::Incompatible {
                            peer: peer.to_owned(),
                            ours: config.versions.clone(),
                            theirs: peer_hello.offered.take(),
                            text: peer_hello.hello_failed.take(),
                        },
                        DisconnectReason::Closed if handler.finished() => {
                            closing.get_or_insert(Ok(()));
                            continue;
                        }
                        reason => SessionError::Disconnected {
                            peer: peer.to_owned(),
                            reason,
                        },
                    };
                    closing.get_or_insert(Err(e));
                }
            }
        }
        if closing.is_none() && handler.finished() {
            conn.close();
            closing = Some(Ok(()));
        }

        // Take what the connection queued; let the handler queue more.
        if let Some(bytes) = conn.poll_transmit() {
            if pos == out.len() {
                out = bytes;
                pos = 0;
            } else {
                out.drain(..pos);
                pos = 0;
                out.extend_from_slice(&bytes);
            }
        }
        if closing.is_none()
            && conn.version().is_some()
            && out.len() - pos < FILL_BELOW
            && handler.wants_to_send()
        {
            let backlog = out.len() - pos;
            let mut ctx = Ctx {
                conn: &mut conn,
                now: Instant::now(),
                backlog,
            };
            handler.fill(&mut ctx).map_err(encode_err)?;
            continue;
        }

        if let Some(result) = closing.take() {
            // Best effort: the last bytes may be an error reply that tells
            // the switch why we leave.
            let rest = &out[pos..];
            let _ = tokio::time::timeout(FLUSH_TIMEOUT, async {
                wr.write_all(rest).await?;
                wr.shutdown().await
            })
            .await;
            return result;
        }

        if closing.is_none() && conn.version().is_some() {
            if let Some(due) = handler.deadline() {
                let now = Instant::now();
                if due <= now {
                    let backlog = out.len() - pos;
                    let mut ctx = Ctx {
                        conn: &mut conn,
                        now,
                        backlog,
                    };
                    handler.wake(&mut ctx).map_err(encode_err)?;
                    continue;
                }
            }
        }
        let deadline = match (conn.poll_timeout(), handler.deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = rd.read(&mut buf) => {
                let n = r.map_err(io_err)?;
                if n == 0 {
                    if handler.finished() {
                        return Ok(());
                    }
                    return Err(SessionError::PeerClosed {
                        peer: peer.to_owned(),
                        version: conn.version(),
                    });
                }
                let bytes = &buf[..n];
                if conn.version().is_none() {
                    peer_hello.observe(bytes);
                }
                conn.handle_input(bytes, Instant::now());
            }
            w = wr.write(&out[pos..]), if pos < out.len() => {
                let n = w.map_err(io_err)?;
                if n == 0 {
                    return Err(io_err(io::ErrorKind::WriteZero.into()));
                }
                pos += n;
                if pos == out.len() {
                    out.clear();
                    pos = 0;
                }
            }
            // A connection timer or the handler's deadline: the connection
            // ignores a timer that is not yet due; the handler's is
            // checked at the top of the loop.
            () = sleep => conn.handle_timeout(Instant::now()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openflow::connection::{Connection, ConnectionConfig};

    /// A handler that sends one barrier and is done at its reply.
    struct OneBarrier {
        xid: Option<u32>,
        done: bool,
    }

    impl Handler for OneBarrier {
        fn connected(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
            self.xid = Some(ctx.conn.send(&Message::BarrierRequest)?);
            Ok(())
        }
        fn message(
            &mut self,
            _ctx: &mut Ctx<'_>,
            header: &Header,
            message: Message,
        ) -> Result<(), EncodeError> {
            if message == Message::BarrierReply && Some(header.xid) == self.xid {
                self.done = true;
            }
            Ok(())
        }
        fn finished(&self) -> bool {
            self.done
        }
    }

    /// A switch end answering barriers and bundle commits; returns the
    /// flow-mods it received (alone or in bundles).
    async fn fake_switch<S: AsyncRead + AsyncWrite>(stream: S, versions: Vec<Version>) -> usize {
        use openflow::bundle::{ctrl_type, BundleControl};
        let (mut rd, mut wr) = tokio::io::split(stream);
        let mut conn = Connection::new(
            ConnectionConfig {
                versions,
                ..ConnectionConfig::default()
            },
            Instant::now(),
        );
        let mut buf = [0u8; 4096];
        let mut flow_mods = 0;
        loop {
            while let Some(ev) = conn.poll_event() {
                let Event::Message { header, message } = ev else {
                    continue;
                };
                let reply = match message {
                    Message::BarrierRequest => Message::BarrierReply,
                    Message::BundleControl(bc) if bc.ctrl_type == ctrl_type::COMMIT_REQUEST => {
                        Message::BundleControl(BundleControl {
                            ctrl_type: ctrl_type::COMMIT_REPLY,
                            ..bc
                        })
                    }
                    Message::FlowMod(_) => {
                        flow_mods += 1;
                        continue;
                    }
                    Message::BundleAdd(ba) if matches!(*ba.message, Message::FlowMod(_)) => {
                        flow_mods += 1;
                        continue;
                    }
                    _ => continue,
                };
                conn.send_with_xid(header.xid, &reply).unwrap();
            }
            if let Some(bytes) = conn.poll_transmit() {
                if wr.write_all(&bytes).await.is_err() {
                    return flow_mods;
                }
            }
            if conn.is_closed() {
                return flow_mods;
            }
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => return flow_mods,
                Ok(n) => conn.handle_input(&buf[..n], Instant::now()),
            }
        }
    }

    fn config(versions: &[Version]) -> SessionConfig {
        SessionConfig {
            versions: versions.to_vec(),
            probe_interval: None,
        }
    }

    #[tokio::test]
    async fn runs_a_handler_to_its_end() {
        let (a, b) = tokio::io::duplex(1 << 16);
        tokio::spawn(fake_switch(b, vec![Version::V1_3, Version::V1_4]));
        let mut h = OneBarrier {
            xid: None,
            done: false,
        };
        run(a, "test:switch", &config(&[Version::V1_3]), &mut h)
            .await
            .unwrap();
        assert!(h.done);
    }

    /// A handler that sends a barrier from its timer, `delay` after the
    /// connection is up, and is done at its reply.
    struct TimedBarrier {
        at: Option<Instant>,
        delay: Duration,
        inner: OneBarrier,
        fired_at: Option<Instant>,
    }

    impl Handler for TimedBarrier {
        fn connected(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
            self.at = Some(ctx.now + self.delay);
            Ok(())
        }
        fn message(
            &mut self,
            ctx: &mut Ctx<'_>,
            header: &Header,
            message: Message,
        ) -> Result<(), EncodeError> {
            self.inner.message(ctx, header, message)
        }
        fn deadline(&self) -> Option<Instant> {
            self.at
        }
        fn wake(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
            assert!(self.at.is_some_and(|at| ctx.now >= at));
            self.at = None;
            self.fired_at = Some(ctx.now);
            self.inner.connected(ctx)
        }
        fn finished(&self) -> bool {
            self.inner.finished()
        }
    }

    #[tokio::test]
    async fn handler_timers_fire_after_their_deadline() {
        let (a, b) = tokio::io::duplex(1 << 16);
        tokio::spawn(fake_switch(b, vec![Version::V1_3]));
        let start = Instant::now();
        let mut h = TimedBarrier {
            at: None,
            delay: Duration::from_millis(100),
            inner: OneBarrier {
                xid: None,
                done: false,
            },
            fired_at: None,
        };
        run(a, "test:switch", &config(&[Version::V1_3]), &mut h)
            .await
            .unwrap();
        assert!(h.inner.done);
        let fired = h.fired_at.expect("the timer fired");
        assert!(fired >= start + Duration::from_millis(100));
    }

    #[tokio::test]
    async fn version_mismatch_names_both_sides() {
        let (a, b) = tokio::io::duplex(1 << 16);
        tokio::spawn(fake_switch(b, vec![Version::V1_0, Version::V1_4]));
        let mut h = OneBarrier {
            xid: None,
            done: false,
        };
        let e = run(a, "test:switch", &config(&[Version::V1_3]), &mut h)
            .await
            .unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, SessionError::Incompatible { .. }), "{text}");
        assert!(
            text.contains("we offer OpenFlow13, the switch offers OpenFlow10, OpenFlow14"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_closing_switch_is_an_error_naming_it() {
        let (a, b) = tokio::io::duplex(1 << 16);
        drop(b);
        let mut h = OneBarrier {
            xid: None,
            done: false,
        };
        let e = run(a, "unix:/nowhere", &config(&[Version::V1_3]), &mut h)
            .await
            .unwrap_err();
        assert!(e.to_string().starts_with("switch unix:/nowhere:"), "{e}");
    }

    #[tokio::test]
    async fn load_pipelines_over_a_socket_with_barriers_and_bundles() {
        use crate::flows::FlowShape;
        use crate::load::{Load, LoadConfig};
        for (bundle, version) in [(false, Version::V1_3), (true, Version::V1_4)] {
            let (a, b) = tokio::net::UnixStream::pair().unwrap();
            let switch = tokio::spawn(fake_switch(b, vec![version]));
            let mut load = Load::new(LoadConfig {
                flows: 20_000,
                batch: 1000,
                bundle,
                window: 8,
                table: 0,
                priority: 100,
                out_port: None,
                shape: FlowShape::Tcp,
            });
            run(a, "unix:pair", &config(&[version]), &mut load)
                .await
                .unwrap();
            let r = load.result().unwrap();
            assert_eq!((r.flows, r.errors), (20_000, 0), "bundle={bundle}");
            // The session closed its end: the switch saw every flow-mod.
            assert_eq!(switch.await.unwrap(), 20_000, "bundle={bundle}");
        }
    }

    /// A switch end that sends `packet_ins` once the controller's set-up
    /// barrier is answered, and returns everything the controller sent
    /// once `want` messages after the barrier have arrived.
    async fn packet_in_switch(
        stream: tokio::net::UnixStream,
        version: Version,
        packet_ins: Vec<Message>,
        want: usize,
    ) -> (Vec<Message>, Vec<Message>) {
        let (mut rd, mut wr) = tokio::io::split(stream);
        let mut conn = Connection::new(
            ConnectionConfig {
                versions: vec![version],
                ..ConnectionConfig::default()
            },
            Instant::now(),
        );
        let (mut setup, mut after) = (Vec::new(), Vec::new());
        let mut barrier_seen = false;
        let mut buf = [0u8; 4096];
        loop {
            while let Some(ev) = conn.poll_event() {
                let Event::Message { header, message } = ev else {
                    continue;
                };
                if barrier_seen {
                    after.push(message);
                } else if message == Message::BarrierRequest {
                    barrier_seen = true;
                    conn.send_with_xid(header.xid, &Message::BarrierReply)
                        .unwrap();
                    for pi in &packet_ins {
                        conn.send(pi).unwrap();
                    }
                } else {
                    setup.push(message);
                }
            }
            if let Some(bytes) = conn.poll_transmit() {
                wr.write_all(&bytes).await.unwrap();
            }
            if after.len() >= want {
                return (setup, after);
            }
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => return (setup, after),
                Ok(n) => conn.handle_input(&buf[..n], Instant::now()),
            }
        }
    }

    #[tokio::test]
    async fn learning_sets_up_and_answers_packet_ins() {
        use crate::learning::{Learning, LearningConfig, LearningStats};
        use openflow::flow_match::Match;
        use openflow::oxm::OxmField;
        use openflow::packet::PacketIn;
        use std::sync::atomic::Ordering;
        use std::sync::Arc;

        let pi = |in_port: u32, dst: u8, src: u8| {
            let mut data = vec![2, 0, 0, 0, 0, dst, 2, 0, 0, 0, 0, src, 8, 0];
            data.resize(60, 0);
            Message::PacketIn(PacketIn {
                buffer_id: u32::MAX,
                total_len: 60,
                reason: 0,
                table_id: 0,
                cookie: 0,
                match_: Match::new(vec![OxmField::InPort(in_port)]),
                data,
            })
        };
        for version in [Version::V1_0, Version::V1_3] {
            let (a, b) = tokio::net::UnixStream::pair().unwrap();
            // 1 -> 2 floods (a packet-out); 2 -> 1 is known (flow-mod and
            // packet-out).
            let sw = tokio::spawn(packet_in_switch(
                b,
                version,
                vec![pi(1, 2, 1), pi(2, 1, 2)],
                3,
            ));
            let stats = Arc::new(LearningStats::default());
            let mut l = Learning::new(
                LearningConfig {
                    idle_timeout: 5,
                    priority: 1,
                    max_macs: 16,
                },
                stats.clone(),
            );
            let e = run(a, "unix:pair", &config(&[version]), &mut l)
                .await
                .unwrap_err();
            assert!(matches!(e, SessionError::PeerClosed { .. }), "{e}");
            let (setup, after) = sw.await.unwrap();
            if version == Version::V1_3 {
                assert!(
                    matches!(&setup[..], [Message::SetAsync(_), Message::FlowMod(fm)]
                    if fm.priority == 0 && fm.match_.fields.is_empty()),
                    "{setup:?}"
                );
            } else {
                assert!(
                    matches!(&setup[..], [Message::SetConfig(c)] if c.miss_send_len == 0xffff),
                    "{setup:?}"
                );
            }
            assert!(
                matches!(&after[..], [Message::PacketOut(flood), Message::FlowMod(fm), Message::PacketOut(out)]
                    if flood.actions.len() == 1 && fm.idle_timeout == 5 && out.in_port == 2),
                "{version}: {after:?}"
            );
            assert_eq!(stats.packet_ins.load(Ordering::Relaxed), 2);
            assert_eq!(l.table().len(), 2);
        }
    }

    #[tokio::test]
    async fn refused_connection_says_so() {
        let dir = std::env::temp_dir().join(format!("csim-none-{}.sock", std::process::id()));
        let e = match connect(&Target::Unix(dir.clone())).await {
            Ok(_) => panic!("connected to nothing"),
            Err(e) => e,
        };
        let text = e.to_string();
        assert!(text.contains(&format!("unix:{}", dir.display())), "{text}");
        assert!(text.contains("cannot connect"), "{text}");
    }
}
