//! `ferrovs-controller-sim`: runs one mode of the controller simulator
//! against switches it connects to or that connect to it. See the
//! `controller_sim` library for the modes.
//!
//! Exit status: 0 when the run completed, 1 when a switch could not be
//! reached or failed, 2 when a load completed but the switch answered with
//! errors, 130 when interrupted before a load completed.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use clap::Parser;
use controller_sim::cli::{Cli, Common, LearningArgs, LoadArgs, Mode};
use controller_sim::learning::{Learning, LearningStats};
use controller_sim::load::{Load, LoadResult};
use controller_sim::report;
use controller_sim::runner::{interrupted, session_config};
use controller_sim::session::{self, Ctx, Handler, SessionError};
use openflow::{EncodeError, Header, Message};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One thread: the simulator should leave the cores to the switch it
    // measures; sessions interleave on it.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ferrovs-controller-sim: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.mode {
            Mode::Load(args) => run_load(args).await,
            Mode::Learning(args) => run_learning(args).await,
            Mode::Onos(args) => run_onos(args).await,
            Mode::Script(args) => run_script(args).await,
            Mode::PacketIn(args) => run_packet_in(args).await,
            Mode::Poll(args) => run_poll(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ferrovs-controller-sim: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// What a finished switch task gave, or `None` after printing why it
/// failed (on a line of its own when a progress line is showing).
fn session_outcome<T>(
    joined: Result<Result<T, SessionError>, tokio::task::JoinError>,
    progress_shown: bool,
) -> Option<T> {
    match joined {
        Ok(Ok(value)) => Some(value),
        Ok(Err(e)) => {
            eprintln!("{}{e}", if progress_shown { "\n" } else { "" });
            None
        }
        Err(e) => {
            eprintln!("a switch session ended abnormally: {e}");
            None
        }
    }
}

/// Progress of a load, shared with the progress printer.
#[derive(Default)]
struct LoadProgress {
    sent: AtomicU64,
    confirmed: AtomicU64,
}

/// A [`Load`] that publishes its progress.
struct TrackedLoad {
    load: Load,
    progress: Arc<LoadProgress>,
    last_sent: u32,
    last_confirmed: u32,
}

impl TrackedLoad {
    fn publish(&mut self) {
        let (s, c) = (self.load.sent(), self.load.confirmed());
        let p = &self.progress;
        p.sent
            .fetch_add(u64::from(s - self.last_sent), Ordering::Relaxed);
        p.confirmed
            .fetch_add(u64::from(c - self.last_confirmed), Ordering::Relaxed);
        (self.last_sent, self.last_confirmed) = (s, c);
    }
}

impl Handler for TrackedLoad {
    fn connected(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        self.load.connected(ctx)
    }

    fn message(
        &mut self,
        ctx: &mut Ctx<'_>,
        header: &Header,
        message: Message,
    ) -> Result<(), EncodeError> {
        self.load.message(ctx, header, message)?;
        self.publish();
        Ok(())
    }

    fn wants_to_send(&self) -> bool {
        self.load.wants_to_send()
    }

    fn fill(&mut self, ctx: &mut Ctx<'_>) -> Result<(), EncodeError> {
        self.load.fill(ctx)?;
        self.publish();
        Ok(())
    }

    fn finished(&self) -> bool {
        self.load.finished()
    }
}

/// Prints `done/total` on stderr twice a second, when stderr is a terminal.
fn spawn_progress(progress: Arc<LoadProgress>, total: u64) -> Option<tokio::task::JoinHandle<()>> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(tokio::spawn(async move {
        let start = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            let confirmed = progress.confirmed.load(Ordering::Relaxed);
            let sent = progress.sent.load(Ordering::Relaxed);
            let (secs, rate) = report::seconds_and_rate(confirmed, start.elapsed());
            eprint!(
                "\r{confirmed}/{total} flows confirmed ({sent} sent), {secs} s, {rate} flows/s   "
            );
        }
    }))
}

async fn run_load(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let config = args.config().map_err(|e| anyhow!(e))?;
    let session = session_config(&args.common);
    let progress = Arc::new(LoadProgress::default());
    let mut tasks: JoinSet<Result<LoadResult, SessionError>> = JoinSet::new();
    let new_load = |progress: &Arc<LoadProgress>| TrackedLoad {
        load: Load::new(config.clone()),
        progress: progress.clone(),
        last_sent: 0,
        last_confirmed: 0,
    };
    let switches;
    if let Some(listen) = args.common.listen {
        let listener = TcpListener::bind(listen.0)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let bound = listener.local_addr().map_or(listen.0, |a| a);
        eprintln!("listening on tcp:{bound} for {} switch(es)", args.switches);
        switches = args.switches;
        for _ in 0..args.switches {
            let (stream, addr) = tokio::select! {
                r = listener.accept() => r.with_context(|| format!("accept on {listen}"))?,
                () = interrupted() => return Ok(ExitCode::from(130)),
            };
            let _ = stream.set_nodelay(true);
            let mut handler = new_load(&progress);
            let session = session.clone();
            tasks.spawn(async move {
                let peer = format!("tcp:{addr}");
                session::run(stream, &peer, &session, &mut handler).await?;
                Ok(handler.load.result().expect("a finished load has a result"))
            });
        }
    } else {
        switches = args.common.connect.len();
        for target in args.common.connect.clone() {
            let mut handler = new_load(&progress);
            let session = session.clone();
            tasks.spawn(async move {
                let stream = session::connect(&target).await?;
                session::run(stream, &target.to_string(), &session, &mut handler).await?;
                Ok(handler.load.result().expect("a finished load has a result"))
            });
        }
    }
    let ticker = spawn_progress(progress, u64::from(config.flows) * switches as u64);
    let mut results = Vec::new();
    let mut failed = false;
    let interrupt = interrupted();
    tokio::pin!(interrupt);
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                None => break,
                Some(joined) => match session_outcome(joined, ticker.is_some()) {
                    Some(r) => results.push(r),
                    None => failed = true,
                },
            },
            () = &mut interrupt => {
                eprintln!("\ninterrupted before every flow was confirmed");
                return Ok(ExitCode::from(130));
            }
        }
    }
    if let Some(t) = ticker {
        t.abort();
        eprintln!();
    }
    if failed {
        return Ok(ExitCode::FAILURE);
    }
    let flows: u64 = results.iter().map(|r| u64::from(r.flows)).sum();
    let errors: u64 = results.iter().map(|r| r.errors).sum();
    let span = results.iter().map(|r| r.elapsed).max().unwrap_or_default();
    let (seconds, rate) = report::seconds_and_rate(flows, span);
    let mut line =
        format!("RESULT load flows={flows} seconds={seconds} rate={rate} errors={errors}");
    if results.len() > 1 {
        line.push_str(&format!(" switches={}", results.len()));
    }
    println!("{line}");
    Ok(if errors > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

async fn run_learning(args: LearningArgs) -> anyhow::Result<ExitCode> {
    let config = args.config().map_err(|e| anyhow!(e))?;
    let session = session_config(&args.common);
    let stats = Arc::new(LearningStats::default());
    let mut tasks: JoinSet<Result<(), SessionError>> = JoinSet::new();
    let listening = args.common.listen.is_some();
    if let Some(listen) = args.common.listen {
        let listener = TcpListener::bind(listen.0)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let bound = listener.local_addr().map_or(listen.0, |a| a);
        eprintln!("listening on tcp:{bound}");
        let (config, stats, session) = (config.clone(), stats.clone(), session.clone());
        tokio::spawn(async move {
            loop {
                let (stream, addr) = match listener.accept().await {
                    Ok(a) => a,
                    Err(e) => {
                        eprintln!("accept on {listen}: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let mut handler = Learning::new(config.clone(), stats.clone());
                let session = session.clone();
                tokio::spawn(async move {
                    let peer = format!("tcp:{addr}");
                    if let Err(e) = session::run(stream, &peer, &session, &mut handler).await {
                        eprintln!("{e}");
                    }
                });
            }
        });
    } else {
        for target in args.common.connect.clone() {
            let mut handler = Learning::new(config.clone(), stats.clone());
            let session = session.clone();
            tasks.spawn(async move {
                let stream = session::connect(&target).await?;
                session::run(stream, &target.to_string(), &session, &mut handler).await
            });
        }
    }
    let ticker = std::io::stderr().is_terminal().then(|| {
        let stats = stats.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                eprint!(
                    "\r{} packet-ins, {} flows, {} packet-outs   ",
                    stats.packet_ins.load(Ordering::Relaxed),
                    stats.flows.load(Ordering::Relaxed),
                    stats.packet_outs.load(Ordering::Relaxed)
                );
            }
        })
    });
    let mut failed = false;
    let interrupt = interrupted();
    tokio::pin!(interrupt);
    loop {
        tokio::select! {
            joined = tasks.join_next(), if !listening => match joined {
                // Every switch we connected to is gone.
                None => break,
                Some(joined) => failed |= session_outcome(joined, ticker.is_some()).is_none(),
            },
            () = &mut interrupt => break,
        }
    }
    if let Some(t) = ticker {
        t.abort();
        eprintln!();
    }
    let shed = stats.shed.load(Ordering::Relaxed);
    if shed > 0 {
        eprintln!("{shed} packet-ins shed: the switch did not read our replies fast enough");
    }
    println!("{}", stats.result_line());
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn run_onos(args: controller_sim::onos::OnosArgs) -> anyhow::Result<ExitCode> {
    use controller_sim::onos::{Onos, OnosResult};
    use controller_sim::runner::{self, Outcome};
    let config = args.config().map_err(|e| anyhow!(e))?;
    let make = || Onos::new(config.clone());
    let results = match runner::run_each(&args.common, args.switches, make, |onos: &Onos| {
        Some(onos.result())
    })
    .await?
    {
        Outcome::Interrupted => {
            eprintln!("interrupted before the replay ended");
            return Ok(ExitCode::from(130));
        }
        Outcome::Done { results, failed } => {
            if failed > 0 {
                return Ok(ExitCode::FAILURE);
            }
            results
        }
    };
    let mut total = OnosResult {
        master: true,
        ..OnosResult::default()
    };
    for (peer, r) in &results {
        eprint!(
            "switch {peer}: onos replay, {}:\n{}",
            if r.master { "master" } else { "not master" },
            r.summary()
        );
        for note in &r.notes {
            eprintln!("switch {peer}: {note}");
        }
        for (xid, kind) in &r.unanswered {
            eprintln!("switch {peer}: no reply to {kind} xid {xid}");
        }
        total.merge(r);
    }
    println!("{}", total.result_line());
    Ok(if !total.rejected.is_empty() {
        ExitCode::from(2)
    } else if !total.unanswered.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn run_script(args: controller_sim::script::ScriptArgs) -> anyhow::Result<ExitCode> {
    use controller_sim::runner::{self, Outcome};
    use controller_sim::script::{result_line, ScriptRun};
    let scenario = args.load().map_err(|e| anyhow!(e))?;
    if let Some(name) = &scenario.name {
        eprintln!("scenario: {name}");
    }
    let new_run = || {
        let mut run = ScriptRun::new(scenario.clone());
        run.verbose = true;
        run
    };
    let outcomes =
        match runner::run_each(&args.common, args.switches, new_run, |run: &ScriptRun| {
            Some(run.outcomes().to_vec())
        })
        .await?
        {
            Outcome::Interrupted => {
                eprintln!("interrupted before the scenario ended");
                return Ok(ExitCode::from(130));
            }
            Outcome::Done { failed, .. } if failed > 0 => return Ok(ExitCode::FAILURE),
            Outcome::Done { results, .. } => {
                results.into_iter().flat_map(|(_, o)| o).collect::<Vec<_>>()
            }
        };
    for o in &outcomes {
        if let Some(why) = &o.failure {
            eprintln!("failed: step {}: {why}", o.label);
        }
    }
    println!("{}", result_line(&outcomes));
    Ok(if outcomes.iter().any(|o| o.failure.is_some()) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

async fn run_packet_in(args: controller_sim::packet_in::PacketInArgs) -> anyhow::Result<ExitCode> {
    use controller_sim::packet_in::{self, PacketInRun};
    let config = args.config().map_err(|e| anyhow!(e))?;
    let make = || PacketInRun::new(config.clone());
    run_timed(
        &args.common,
        args.switches,
        make,
        PacketInRun::result,
        packet_in::result_line,
    )
    .await
}

async fn run_poll(args: controller_sim::poll::PollArgs) -> anyhow::Result<ExitCode> {
    use controller_sim::poll::{self, Poll};
    let config = args.config().map_err(|e| anyhow!(e))?;
    let make = || Poll::new(config.clone());
    run_timed(
        &args.common,
        args.switches,
        make,
        Poll::result,
        poll::result_line,
    )
    .await
}

/// A timed mode: a handler made by `make` on each switch, then the RESULT
/// line `line` makes of what the handlers gave.
async fn run_timed<H, R>(
    common: &Common,
    switches: usize,
    make: impl Fn() -> H,
    result: fn(&H) -> Option<R>,
    line: fn(&[R]) -> String,
) -> anyhow::Result<ExitCode>
where
    H: Handler + Send + 'static,
    R: Send + 'static,
{
    use controller_sim::runner::{self, Outcome};
    match runner::run_each(common, switches, make, result).await? {
        Outcome::Interrupted => Ok(ExitCode::from(130)),
        Outcome::Done { results, failed } => {
            let results: Vec<R> = results.into_iter().map(|(_, r)| r).collect();
            if !results.is_empty() {
                println!("{}", line(&results));
            }
            Ok(if failed > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
