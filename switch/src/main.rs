//! `ferrovs-switchd`: the ferrovs daemon.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use tokio::net::UnixListener;
use tokio::sync::mpsc;

use switch::bridge::{StartOptions, Switch};
use switch::config::Config;
use switch::metrics::{self, SwitchCollector};
use switch::mgmt::{commands, ofsocket, unixctl};
use switch::ofproto::conn::ConnKind;
use switch::ofproto::{dump, lock, Drained};

/// ferrovs switch daemon: OpenFlow switch with a DPDK userspace datapath.
#[derive(Parser, Debug)]
#[command(name = "ferrovs-switchd", version)]
struct Args {
    /// TOML configuration (Open vSwitch vocabulary; see examples/).
    #[arg(long)]
    config: PathBuf,
    /// Directory of the control socket and pidfile.
    #[arg(long, env = "OVS_RUNDIR", default_value = "/var/run/openvswitch")]
    rundir: PathBuf,
    /// Serve Prometheus metrics on ADDR:PORT (path /metrics).
    #[arg(long, value_name = "ADDR:PORT")]
    metrics: Option<String>,
    /// EAL --file-prefix (default ferrovs-<pid>).
    #[arg(long)]
    file_prefix: Option<String>,
    /// Run EAL without hugepages (--no-huge), even when hugepages are mounted.
    #[arg(long)]
    no_huge: bool,
    /// Refuse to start without hugepages.
    #[arg(long, conflicts_with = "no_huge")]
    require_huge: bool,
}

/// See [`switch::heap`].
#[global_allocator]
static HEAP: switch::heap::Heap = switch::heap::Heap {};

fn main() -> ExitCode {
    switch::heap::configure();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrovs-switchd: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read configuration {}: {e}", path.display()))?;
    Config::parse(&text, &path.display().to_string()).map_err(|e| e.to_string())
}

/// Refuses to start over the pidfile of a running daemon.
fn check_pidfile(pidfile: &Path) -> Result<(), String> {
    let Ok(text) = std::fs::read_to_string(pidfile) else {
        return Ok(());
    };
    let Ok(pid) = text.trim().parse::<i32>() else {
        return Ok(());
    };
    // SAFETY: kill with signal 0 only checks that the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    if alive && pid as u32 != std::process::id() {
        return Err(format!(
            "another daemon (pid {pid}) owns {}: stop it or use another --rundir",
            pidfile.display()
        ));
    }
    Ok(())
}

/// Writes the pidfile and holds an fcntl write lock on it for as long as
/// the returned file lives: `ovs-appctl -t ovs-vswitchd` (and other Open
/// vSwitch tools) believe a pidfile only while its owner holds that lock.
fn write_locked_pidfile(path: &Path, pid: u32) -> Result<std::fs::File, String> {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let fail = |e: std::io::Error| format!("pidfile {}: {e}", path.display());
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .read(true)
        .open(path)
        .map_err(fail)?;
    // SAFETY: flock is plain data; zeroed then filled is a valid request.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_WRLCK as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    // SAFETY: the descriptor is open for writing and `lock` outlives the call.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &lock) } != 0 {
        return Err(fail(std::io::Error::last_os_error()));
    }
    file.write_all(format!("{pid}\n").as_bytes())
        .map_err(fail)?;
    file.flush().map_err(fail)?;
    Ok(file)
}

fn run(args: Args) -> Result<(), String> {
    let config = load_config(&args.config)?;
    std::fs::create_dir_all(&args.rundir)
        .map_err(|e| format!("cannot create rundir {}: {e}", args.rundir.display()))?;
    let pid = std::process::id();
    let (ctl_path, pidfile) = unixctl::socket_paths(&args.rundir, pid);
    check_pidfile(&pidfile)?;

    let opts = StartOptions {
        file_prefix: args.file_prefix.clone(),
        hugepages: if args.no_huge {
            Some(dpdk::HugepageMode::Disabled)
        } else if args.require_huge {
            Some(dpdk::HugepageMode::Require)
        } else {
            None
        },
    };
    if let Err(e) = dpdk::route_logs_to_tracing() {
        tracing::warn!("DPDK logs stay on stderr: {e}");
    }
    let switch = Arc::new(Switch::start(&config, &opts).map_err(|e| e.to_string())?);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("ctl")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the control runtime: {e}"))?;
    let result = runtime.block_on(async {
        let _ = std::fs::remove_file(&ctl_path);
        let listener = UnixListener::bind(&ctl_path)
            .map_err(|e| format!("cannot listen on {}: {e}", ctl_path.display()))?;
        let _pidfile_lock = write_locked_pidfile(&pidfile, pid)?;

        let (exit_tx, mut exit_rx) = mpsc::unbounded_channel();
        let cmds = unixctl::Commands::new();
        commands::register(&cmds, &switch, exit_tx);
        let server = tokio::spawn(unixctl::serve(listener, cmds));
        let mut mgmt_tasks = Vec::new();
        for (info, of) in switch.bridges.iter().zip(&switch.ofprotos) {
            let listener = ofsocket::bind_mgmt(&args.rundir, &info.name).map_err(|e| {
                format!(
                    "bridge {}: cannot listen on {}: {e}",
                    info.name,
                    ofsocket::mgmt_path(&args.rundir, &info.name).display()
                )
            })?;
            mgmt_tasks.push(tokio::spawn(ofsocket::serve_unix(
                listener,
                Arc::clone(of),
                ConnKind::Service,
            )));
        }
        for (bridge, of) in config.bridge.iter().zip(&switch.ofprotos) {
            for entry in &bridge.controller {
                let row = entry.to_row();
                let target = ofsocket::Target::parse(&row.target)
                    .map_err(|e| format!("bridge {}: {e}", bridge.name))?;
                // Open vSwitch's defaults: 5 s probe (0 disables), 8 s backoff.
                let probe = match row.inactivity_probe.unwrap_or(5000) {
                    0 => None,
                    ms => Some(Duration::from_millis(ms)),
                };
                let max_backoff = Duration::from_millis(row.max_backoff.unwrap_or(8000).max(1000));
                // As Open vSwitch (ovs-vswitchd.conf.db(5)): no limit unless
                // controller_rate_limit is set (at least 100/s); the burst
                // defaults to a quarter of the rate (at least 25).
                let pin_limit = row.controller_rate_limit.map(|rate| {
                    let rate = rate.max(100);
                    let burst = row.controller_burst_limit.unwrap_or(rate / 4).max(25);
                    (rate, burst)
                });
                let kind = ConnKind::Controller {
                    pin_limit,
                    target: Some(row.target.as_str().into()),
                };
                lock(of).add_controller_target(&row.target);
                let of = Arc::clone(of);
                let task = match target {
                    ofsocket::Target::PTcp(addr) => {
                        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| {
                            format!(
                                "bridge {}: cannot listen on {}: {e}",
                                bridge.name, row.target
                            )
                        })?;
                        tokio::spawn(ofsocket::serve_tcp(listener, of, probe, kind))
                    }
                    ofsocket::Target::PUnix(path) => {
                        let _ = std::fs::remove_file(&path);
                        let listener = UnixListener::bind(&path).map_err(|e| {
                            format!(
                                "bridge {}: cannot listen on {}: {e}",
                                bridge.name, row.target
                            )
                        })?;
                        tokio::spawn(ofsocket::serve_unix(listener, of, kind))
                    }
                    active => {
                        tokio::spawn(ofsocket::run_active(active, of, probe, max_backoff, kind))
                    }
                };
                mgmt_tasks.push(task);
            }
        }

        // Packet-ins from the datapath to the controllers.
        for of in &switch.ofprotos {
            let of = Arc::clone(of);
            let queue = Arc::clone(&lock(&of).packet_ins);
            mgmt_tasks.push(tokio::spawn(async move {
                // Batches of PIN_BATCH with the bridge released in between.
                const PIN_BATCH: usize = 256;
                loop {
                    queue.notify.notified().await;
                    loop {
                        let drained = lock(&of).drain_packet_ins(PIN_BATCH);
                        if drained != Drained::More {
                            break;
                        }
                        tokio::task::yield_now().await;
                    }
                }
            }));
        }

        // Flow timeouts, link changes as port-status messages, and the
        // unlinking of removed rules, in steps of GC_STEP rules with the
        // bridge released in between, paused while flow dumps are sent.
        let ofprotos: Vec<_> = switch.ofprotos.iter().map(Arc::clone).collect();
        mgmt_tasks.push(tokio::spawn(async move {
            const GC_STEP: usize = 4096;
            const GC_YIELD: Duration = Duration::from_secs(1);
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                for of in &ofprotos {
                    lock(of).tick(std::time::Instant::now());
                }
                let mut yielded = Duration::ZERO;
                loop {
                    let mut more = false;
                    for of in &ofprotos {
                        more |= lock(of).collect_garbage(GC_STEP);
                    }
                    if !more {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    // Flow dumps being sent go first (a controller waits
                    // for them; the unlinking and the freeing it brings
                    // can wait), for GC_YIELD in all each tick: a dump to
                    // a controller that stopped reading never holds the
                    // unlinking back for longer.
                    while dump::in_progress() > 0 && yielded < GC_YIELD {
                        let started = tokio::time::Instant::now();
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        yielded += started.elapsed();
                    }
                }
            }
        }));

        if let Some(addr) = &args.metrics {
            let registry = prometheus::Registry::new();
            registry
                .register(Box::new(SwitchCollector::new(Arc::clone(&switch))))
                .map_err(|e| format!("metrics registry: {e}"))?;
            let bound = metrics::serve(addr, registry)?;
            tracing::info!("metrics on http://{bound}/metrics");
        }
        tracing::info!("ready: control socket {} (pid {pid})", ctl_path.display());

        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| format!("signal handler: {e}"))?;
        tokio::select! {
            _ = exit_rx.recv() => tracing::info!("exit requested"),
            _ = term.recv() => tracing::info!("SIGTERM"),
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT"),
        }
        // Let the reply to `exit` reach the client.
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.abort();
        for t in mgmt_tasks {
            t.abort();
        }
        for info in &switch.bridges {
            let _ = std::fs::remove_file(ofsocket::mgmt_path(&args.rundir, &info.name));
        }
        Ok::<(), String>(())
    });
    let _ = std::fs::remove_file(&ctl_path);
    let _ = std::fs::remove_file(&pidfile);
    switch.shutdown();
    runtime.shutdown_background();
    result
}
