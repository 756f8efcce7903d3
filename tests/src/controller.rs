//! A controller end for tests: a TCP socket the switch connects to and the
//! `openflow` crate's sans-IO connection core.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use openflow::connection::{Connection, ConnectionConfig, Event};
use openflow::{Message, Version};

/// One controller end: a socket and a connection core.
pub struct Ctl {
    /// The socket.
    pub stream: TcpStream,
    /// The connection core.
    pub conn: Connection,
    /// Bytes received (the caller resets it to measure a span).
    pub rx_bytes: usize,
}

impl Ctl {
    /// Accepts the switch's connection on `listener` within `timeout`.
    pub fn accept(listener: &TcpListener, timeout: Duration) -> Ctl {
        listener.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + timeout;
        let stream = loop {
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    assert!(Instant::now() < deadline, "the switch did not connect");
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("accept: {e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let conn = Connection::new(
            ConnectionConfig {
                versions: vec![Version::V1_3, Version::V1_4],
                probe_interval: None,
                ..ConnectionConfig::default()
            },
            Instant::now(),
        );
        Ctl {
            stream,
            conn,
            rx_bytes: 0,
        }
    }

    /// Sends what the core queued.
    pub fn flush(&mut self) {
        while let Some(bytes) = self.conn.poll_transmit() {
            self.stream.write_all(&bytes).unwrap();
        }
    }

    /// The next event within `timeout`.
    pub fn event(&mut self, timeout: Duration) -> Option<Event> {
        let deadline = Instant::now() + timeout;
        loop {
            self.flush();
            if let Some(ev) = self.conn.poll_event() {
                return Some(ev);
            }
            if Instant::now() > deadline {
                return None;
            }
            let mut buf = [0u8; 65536];
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    return Some(Event::Disconnected(
                        openflow::connection::DisconnectReason::Closed,
                    ))
                }
                Ok(n) => {
                    self.rx_bytes += n;
                    self.conn.handle_input(&buf[..n], Instant::now());
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    /// Waits for the hello exchange; returns the negotiated version.
    pub fn connected(&mut self) -> Version {
        match self.event(Duration::from_secs(10)) {
            Some(Event::Connected { version }) => version,
            other => panic!("expected the hello exchange, got {other:?}"),
        }
    }

    /// Sends `msg` and returns the first message answering it.
    pub fn request(&mut self, msg: &Message) -> Message {
        let xid = self.conn.send(msg).unwrap();
        loop {
            match self.event(Duration::from_secs(10)) {
                Some(Event::Message { header, message }) if header.xid == xid => return message,
                Some(Event::Message { .. }) => continue,
                other => panic!("no answer to {msg:?}: {other:?}"),
            }
        }
    }
}
