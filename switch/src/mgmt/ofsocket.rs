//! OpenFlow sockets of a bridge: the management socket
//! `punix:<rundir>/<bridge>.mgmt` (what `ovs-ofctl dump-ports br0` opens
//! with `OVS_RUNDIR=<rundir>`).
//!
//! Each connection is a tokio task that moves bytes between the socket and
//! the sans-IO [`Connection`] core (hello and version negotiation from the
//! bridge's `protocols`, echo, framing errors), and hands every decoded
//! request to the bridge's [`Ofproto`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openflow::connection::{Connection, ConnectionConfig, Event};
use openflow::Version;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::UnixListener;

use crate::ofproto::Ofproto;

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

/// Accepts connections on `listener` for `ofproto` until dropped.
pub async fn serve_unix(listener: UnixListener, ofproto: Arc<Mutex<Ofproto>>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let ofproto = Arc::clone(&ofproto);
                tokio::spawn(async move {
                    if let Err(e) = serve_connection(stream, ofproto).await {
                        tracing::debug!("OpenFlow management connection: {e}");
                    }
                });
            }
            Err(e) => {
                tracing::warn!("OpenFlow management socket accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Runs one OpenFlow connection over `stream` until either side ends it.
pub async fn serve_connection<S>(mut stream: S, ofproto: Arc<Mutex<Ofproto>>) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let versions = lock(&ofproto).versions.clone();
    let config = ConnectionConfig {
        versions,
        // Management clients (ovs-ofctl) are short-lived; no keepalive.
        probe_interval: None,
        ..ConnectionConfig::default()
    };
    let mut conn = Connection::new(config, Instant::now());
    let mut version: Option<Version> = None;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Connected { version: v } => version = Some(v),
                Event::Message { header, message } => {
                    let Some(v) = version else { continue };
                    let replies = lock(&ofproto).handle(v, &header, &message);
                    for reply in replies {
                        if let Err(e) = conn.send_with_xid(header.xid, &reply) {
                            tracing::warn!("cannot encode a reply in {v}: {e}");
                        }
                    }
                }
                Event::DecodeFailed { header, error } => {
                    tracing::debug!(xid = header.xid, "undecodable request: {error}");
                }
                Event::Disconnected(reason) => {
                    flush(&mut stream, &mut conn).await?;
                    tracing::debug!("OpenFlow connection closed: {reason:?}");
                    return Ok(());
                }
            }
        }
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
            _ = sleep_until(deadline) => conn.handle_timeout(Instant::now()),
        }
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
    }
    stream.flush().await
}

fn lock(of: &Mutex<Ofproto>) -> std::sync::MutexGuard<'_, Ofproto> {
    of.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openflow::Message;

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
        let task = tokio::spawn(serve_connection(server, of));
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
        drop(client);
        task.await.unwrap().unwrap();
    }
}
