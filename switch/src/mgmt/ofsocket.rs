//! OpenFlow sockets of a bridge: the management socket
//! `punix:<rundir>/<bridge>.mgmt` (what `ovs-ofctl dump-ports br0` opens
//! with `OVS_RUNDIR=<rundir>`), and the bridge's controllers: active
//! `tcp:IP:PORT` and `unix:PATH` connections that reconnect with
//! exponential backoff up to `max_backoff`, and passive `ptcp:PORT[:IP]`
//! and `punix:PATH` listeners.
//!
//! Each connection is a tokio task that moves bytes between the socket and
//! the sans-IO [`Connection`] core (hello and version negotiation from the
//! bridge's `protocols`, echo, framing errors), and hands every decoded
//! request to the bridge's [`Ofproto`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openflow::connection::{Connection, ConnectionConfig, Event};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::mpsc;

use crate::ofproto::conn::{ConnId, ConnKind, ASYNC_QUEUE_LEN};
use crate::ofproto::dump::{FlowDump, DUMP_CHUNK};
use crate::ofproto::{lock, Ofproto};

/// The management socket path of `bridge`.
pub fn mgmt_path(rundir: &Path, bridge: &str) -> PathBuf {
    rundir.join(format!("{bridge}.mgmt"))
}

/// Binds the management socket of a bridge (replacing a stale file).
pub fn bind_mgmt(rundir: &Path, bridge: &str) -> std::io::Result<UnixListener> {
    let path = mgmt_path(rundir, bridge);
    let _ = std::fs::remove_file(&path);
    UnixListener::bind(&path)
}

/// Accepts connections on `listener` for `ofproto` until dropped
/// (management sockets and `punix:` controllers: no keepalive probes, as
/// their clients are local and often short-lived).
pub async fn serve_unix(listener: UnixListener, ofproto: Arc<Mutex<Ofproto>>, kind: ConnKind) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let ofproto = Arc::clone(&ofproto);
                let kind = kind.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve_connection(stream, ofproto, None, kind).await {
                        tracing::debug!("OpenFlow unix connection: {e}");
                    }
                });
            }
            Err(e) => {
                tracing::warn!("OpenFlow unix socket accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Accepts `ptcp:` connections for `ofproto` until dropped.
pub async fn serve_tcp(
    listener: TcpListener,
    ofproto: Arc<Mutex<Ofproto>>,
    probe: Option<Duration>,
    kind: ConnKind,
) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                bound_send_buffer(&stream);
                let ofproto = Arc::clone(&ofproto);
                let kind = kind.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve_connection(stream, ofproto, probe, kind).await {
                        tracing::debug!(%peer, "OpenFlow tcp connection: {e}");
                    }
                });
            }
            Err(e) => {
                tracing::warn!("OpenFlow tcp accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// A controller target of the `Controller` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `tcp:IP:PORT` (port defaults to 6653).
    Tcp(String),
    /// `unix:PATH`.
    Unix(PathBuf),
    /// `ptcp:PORT[:IP]`.
    PTcp(String),
    /// `punix:PATH`.
    PUnix(PathBuf),
}

impl Target {
    /// Parses a target; the error names it and the accepted forms.
    pub fn parse(target: &str) -> Result<Target, String> {
        let bad = || {
            format!(
                "controller target \"{target}\" is not tcp:IP[:PORT], unix:PATH, ptcp:PORT[:IP] \
                 or punix:PATH"
            )
        };
        let (kind, rest) = target.split_once(':').ok_or_else(bad)?;
        if rest.is_empty() {
            return Err(bad());
        }
        match kind {
            "tcp" => {
                let addr = if rest.parse::<std::net::SocketAddr>().is_ok() {
                    rest.to_owned()
                } else if rest.parse::<std::net::IpAddr>().is_ok() {
                    format!("{rest}:6653")
                } else {
                    return Err(bad());
                };
                Ok(Target::Tcp(addr))
            }
            "unix" => Ok(Target::Unix(PathBuf::from(rest))),
            "ptcp" => {
                let (port, ip) = rest.split_once(':').unwrap_or((rest, "0.0.0.0"));
                let port: u16 = port.parse().map_err(|_| bad())?;
                let ip: std::net::IpAddr = ip.parse().map_err(|_| bad())?;
                Ok(Target::PTcp(
                    std::net::SocketAddr::new(ip, port).to_string(),
                ))
            }
            "punix" => Ok(Target::PUnix(PathBuf::from(rest))),
            "ssl" | "pssl" => Err(format!(
                "controller target \"{target}\": SSL controllers are not supported yet (use tcp:)"
            )),
            _ => Err(bad()),
        }
    }
}

/// Keeps an active controller connection up: connects, serves it, and
/// after it ends reconnects with exponential backoff (1 s doubling up to
/// `max_backoff`).
pub async fn run_active(
    target: Target,
    ofproto: Arc<Mutex<Ofproto>>,
    probe: Option<Duration>,
    max_backoff: Duration,
    kind: ConnKind,
) {
    let first = Duration::from_secs(1).min(max_backoff);
    let mut backoff = first;
    loop {
        let started = Instant::now();
        let result = match &target {
            Target::Tcp(addr) => match tokio::net::TcpStream::connect(addr).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    bound_send_buffer(&s);
                    tracing::info!(%addr, "connected to controller");
                    serve_connection(s, Arc::clone(&ofproto), probe, kind.clone()).await
                }
                Err(e) => Err(e),
            },
            Target::Unix(path) => match tokio::net::UnixStream::connect(path).await {
                Ok(s) => {
                    tracing::info!(path = %path.display(), "connected to controller");
                    serve_connection(s, Arc::clone(&ofproto), probe, kind.clone()).await
                }
                Err(e) => Err(e),
            },
            Target::PTcp(_) | Target::PUnix(_) => return,
        };
        match result {
            Ok(()) => tracing::info!(?target, "controller connection closed"),
            Err(e) => tracing::debug!(?target, "controller connection: {e}"),
        }
        // A connection that lasted resets the backoff.
        if started.elapsed() > max_backoff {
            backoff = first;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(max_backoff);
    }
}

/// Runs one OpenFlow connection over `stream` until either side ends it;
/// `probe` is the inactivity probe interval (`None`: no keepalive),
/// `kind` says whether it serves a controller or a management client.
pub async fn serve_connection<S>(
    mut stream: S,
    ofproto: Arc<Mutex<Ofproto>>,
    probe: Option<Duration>,
    kind: ConnKind,
) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let versions = lock(&ofproto).versions.clone();
    let config = ConnectionConfig {
        versions,
        probe_interval: probe,
        ..ConnectionConfig::default()
    };
    let mut conn = Connection::new(config, Instant::now());
    let mut session = Session { ofproto, id: None };
    let (async_tx, mut async_rx) = mpsc::channel(ASYNC_QUEUE_LEN);
    let mut async_tx = Some(async_tx);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Connected { version } => {
                    if let Some(tx) = async_tx.take() {
                        session.id =
                            Some(lock(&session.ofproto).connect(version, tx, kind.clone()));
                    }
                }
                Event::Message { header, message } => {
                    let Some(id) = session.id else { continue };
                    let (dump, replies) = {
                        let mut of = lock(&session.ofproto);
                        match of.flow_dump(id, &header, &message) {
                            Some(Ok(dump)) => (Some(dump), Vec::new()),
                            Some(Err(error)) => (None, vec![error]),
                            None => (None, of.handle_owned(id, &header, message)),
                        }
                    };
                    // What the request made the switch send this connection
                    // (flow-removed, monitor updates) precedes its replies,
                    // so a barrier reply follows everything before it.
                    while let Ok(msg) = async_rx.try_recv() {
                        send_async(&mut conn, &msg);
                    }
                    for reply in replies {
                        if let Err(e) = conn.send_with_xid(header.xid, &reply) {
                            tracing::warn!("cannot encode a reply: {e}");
                        }
                    }
                    if let Some(dump) = dump {
                        flush(&mut stream, &mut conn).await?;
                        send_dump(&mut stream, dump).await?;
                    }
                }
                Event::DecodeFailed { header, error } => {
                    tracing::debug!(xid = header.xid, "undecodable request: {error}");
                }
                // Not configured: every message is decoded.
                Event::Undecoded { .. } => {}
                Event::Disconnected(reason) => {
                    flush(&mut stream, &mut conn).await?;
                    tracing::debug!("OpenFlow connection closed: {reason:?}");
                    return Ok(());
                }
            }
        }
        // The batch of messages read together is done: publish its changes.
        lock(&session.ofproto).commit();
        flush(&mut stream, &mut conn).await?;
        let deadline = conn.poll_timeout();
        tokio::select! {
            read = stream.read(&mut buf) => {
                let n = read?;
                if n == 0 {
                    return Ok(());
                }
                conn.handle_input(&buf[..n], Instant::now());
            }
            Some(msg) = async_rx.recv() => {
                send_async(&mut conn, &msg);
                while let Ok(msg) = async_rx.try_recv() {
                    send_async(&mut conn, &msg);
                }
            }
            _ = sleep_until(deadline) => conn.handle_timeout(Instant::now()),
        }
    }
}

/// Bytes the kernel may hold for an OpenFlow TCP connection before the
/// switch's own queue fills (the kernel doubles it for its bookkeeping).
const TCP_SEND_BUFFER: libc::c_int = 128 * 1024;

/// Fixes the socket's send buffer at [`TCP_SEND_BUFFER`] instead of letting
/// it grow to megabytes: under a packet-in flood the bytes queued ahead of
/// a barrier reply are what a controller waits for; with the buffer full,
/// packet-ins past the connection's short backlog are dropped (counted)
/// instead of queued. Best effort: a refusal leaves the default.
fn bound_send_buffer(stream: &impl std::os::fd::AsRawFd) {
    let size = TCP_SEND_BUFFER;
    // SAFETY: the descriptor is the open socket `stream` owns for the
    // duration of the call; SO_SNDBUF reads a c_int from the pointer,
    // which points at `size` with the length given.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            std::ptr::from_ref(&size).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// Sends a message the switch originates (packet-in, port-status,
/// flow-removed, monitor updates...) with xid 0, as Open vSwitch does, so
/// it never takes the xid of a controller's pending request.
fn send_async(conn: &mut Connection, msg: &openflow::Message) {
    if let Err(e) = conn.send_with_xid(0, msg) {
        tracing::warn!("cannot encode an asynchronous message: {e}");
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await,
        None => std::future::pending().await,
    }
}

async fn flush<S: AsyncWrite + Unpin>(
    stream: &mut S,
    conn: &mut Connection,
) -> std::io::Result<()> {
    while let Some(bytes) = conn.poll_transmit() {
        stream.write_all(&bytes).await?;
        conn.recycle_transmit(bytes);
    }
    stream.flush().await
}

/// Writes a flow dump to the socket a chunk at a time, each chunk encoded
/// after the previous one was written (the bridge is not locked): the
/// reply's bytes pass through one buffer of about [`DUMP_CHUNK`] bytes.
/// The connection's next request is read once the whole reply is written.
async fn send_dump<S: AsyncWrite + Unpin>(
    stream: &mut S,
    mut dump: FlowDump,
) -> std::io::Result<()> {
    while let Some(bytes) = dump.next_chunk(DUMP_CHUNK) {
        stream.write_all(bytes).await?;
    }
    Ok(())
}

/// A connection registered with its bridge; unregistered when dropped,
/// whichever way the connection ends.
struct Session {
    ofproto: Arc<Mutex<Ofproto>>,
    id: Option<ConnId>,
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            lock(&self.ofproto).disconnect(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            Target::parse("tcp:127.0.0.1:6654"),
            Ok(Target::Tcp("127.0.0.1:6654".into()))
        );
        assert_eq!(
            Target::parse("tcp:127.0.0.1"),
            Ok(Target::Tcp("127.0.0.1:6653".into()))
        );
        assert_eq!(
            Target::parse("ptcp:6653"),
            Ok(Target::PTcp("0.0.0.0:6653".into()))
        );
        assert_eq!(
            Target::parse("ptcp:6653:127.0.0.1"),
            Ok(Target::PTcp("127.0.0.1:6653".into()))
        );
        assert_eq!(
            Target::parse("punix:/tmp/x"),
            Ok(Target::PUnix("/tmp/x".into()))
        );
        assert!(Target::parse("tcp:nowhere").unwrap_err().contains("tcp:IP"));
        assert!(Target::parse("ssl:1.2.3.4:6653")
            .unwrap_err()
            .contains("not supported yet"));
        assert!(Target::parse("tcp").is_err());
    }
    use openflow::{Message, Version};

    /// A controller-side core talking to the switch side over an in-memory
    /// stream: hello, features, barrier, and an unsupported request.
    #[tokio::test]
    async fn negotiates_and_answers_over_a_stream() {
        let (client, server) = tokio::io::duplex(1 << 16);
        let of = Arc::new(Mutex::new(Ofproto::new(
            "br0",
            42,
            vec![Version::V1_0, Version::V1_3],
        )));
        let task = tokio::spawn(serve_connection(
            server,
            Arc::clone(&of),
            None,
            ConnKind::Service,
        ));
        let mut client = client;
        let mut peer = Connection::new(
            ConnectionConfig {
                versions: vec![Version::V1_3, Version::V1_4],
                probe_interval: None,
                ..ConnectionConfig::default()
            },
            Instant::now(),
        );
        let mut got = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut sent = false;
        while got.len() < 2 {
            while let Some(bytes) = peer.poll_transmit() {
                client.write_all(&bytes).await.unwrap();
            }
            while let Some(ev) = peer.poll_event() {
                match ev {
                    Event::Connected { version } => {
                        assert_eq!(version, Version::V1_3);
                        peer.send_with_xid(10, &Message::FeaturesRequest).unwrap();
                        peer.send_with_xid(11, &Message::BarrierRequest).unwrap();
                        sent = true;
                    }
                    Event::Message { header, message } => got.push((header.xid, message)),
                    other => panic!("{other:?}"),
                }
            }
            if sent {
                while let Some(bytes) = peer.poll_transmit() {
                    client.write_all(&bytes).await.unwrap();
                }
            }
            if got.len() >= 2 {
                break;
            }
            let n = client.read(&mut buf).await.unwrap();
            assert!(n > 0, "switch side closed");
            peer.handle_input(&buf[..n], Instant::now());
        }
        match &got[0] {
            (10, Message::FeaturesReply(f)) => assert_eq!(f.datapath_id, 42),
            other => panic!("{other:?}"),
        }
        assert_eq!(got[1], (11, Message::BarrierReply));
        assert_eq!(lock(&of).conns.len(), 1, "registered while connected");
        drop(client);
        task.await.unwrap().unwrap();
        assert!(lock(&of).conns.is_empty(), "unregistered at the end");
    }
}
