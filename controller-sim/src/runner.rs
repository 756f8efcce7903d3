//! Runs one handler per switch for the timed modes (`packet-in`, `poll`):
//! connects to every `--connect` target, or accepts `switches` connections
//! on `--listen`, drives each session to its end and collects what each
//! handler gave.

use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::cli::Common;
use crate::session::{self, Handler, SessionConfig, SessionError};

/// How a run over several switches ended.
#[derive(Debug)]
pub enum Outcome<R> {
    /// Every session ended; the results of those that ended well (a
    /// failed one was printed on stderr and counted in `failed`).
    Done {
        /// One per switch that completed, with the switch's name.
        results: Vec<(String, R)>,
        /// Sessions that failed.
        failed: usize,
    },
    /// SIGINT or SIGTERM came first.
    Interrupted,
}

/// `secs` seconds of option `what` as a duration, or why not.
pub fn seconds(what: &str, secs: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("{what} {secs}: expected a number of seconds, 0 or more"))
}

/// The session settings of `common`.
pub fn session_config(common: &Common) -> SessionConfig {
    SessionConfig {
        versions: common.versions.0.clone(),
        probe_interval: (common.probe_interval > 0)
            .then(|| Duration::from_secs(common.probe_interval)),
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn interrupted() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

/// Runs a handler made by `make` on each switch of `common` (each
/// `--connect` target, or `switches` connections accepted on `--listen`)
/// and returns what `result` gives of each finished handler, with the
/// switch it ran on.
pub async fn run_each<H, R>(
    common: &Common,
    switches: usize,
    make: impl Fn() -> H,
    result: fn(&H) -> Option<R>,
) -> anyhow::Result<Outcome<R>>
where
    H: Handler + Send + 'static,
    R: Send + 'static,
{
    let config = session_config(common);
    let mut tasks: JoinSet<Result<Option<(String, R)>, SessionError>> = JoinSet::new();
    if let Some(listen) = common.listen {
        let listener = TcpListener::bind(listen.0)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let bound = listener.local_addr().map_or(listen.0, |a| a);
        eprintln!("listening on tcp:{bound} for {switches} switch(es)");
        for _ in 0..switches {
            let (stream, addr) = tokio::select! {
                r = listener.accept() => r.with_context(|| format!("accept on {listen}"))?,
                () = interrupted() => return Ok(Outcome::Interrupted),
            };
            let _ = stream.set_nodelay(true);
            let mut handler = make();
            let config = config.clone();
            tasks.spawn(async move {
                let peer = format!("tcp:{addr}");
                session::run(stream, &peer, &config, &mut handler).await?;
                Ok(result(&handler).map(|r| (peer, r)))
            });
        }
    } else {
        for target in common.connect.clone() {
            let mut handler = make();
            let config = config.clone();
            tasks.spawn(async move {
                let peer = target.to_string();
                let stream = session::connect(&target).await?;
                session::run(stream, &peer, &config, &mut handler).await?;
                Ok(result(&handler).map(|r| (peer, r)))
            });
        }
    }
    let mut results = Vec::new();
    let mut failed = 0;
    let interrupt = interrupted();
    tokio::pin!(interrupt);
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                None => break,
                Some(Ok(Ok(Some(r)))) => results.push(r),
                Some(Ok(Ok(None))) => {
                    eprintln!("a switch session ended without a result");
                    failed += 1;
                }
                Some(Ok(Err(e))) => {
                    eprintln!("{e}");
                    failed += 1;
                }
                Some(Err(e)) => {
                    eprintln!("a switch session ended abnormally: {e}");
                    failed += 1;
                }
            },
            () = &mut interrupt => return Ok(Outcome::Interrupted),
        }
    }
    Ok(Outcome::Done { results, failed })
}
