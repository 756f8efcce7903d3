//! A private Open vSwitch for tests that compare ferrovs with the real
//! thing: its own `ovsdb-server` and `ovs-vswitchd` in a temporary rundir
//! (`OVS_RUNDIR`, `OVS_DBDIR`, `OVS_LOGDIR` all pointing there), and a
//! bridge `br0` with `datapath_type=netdev`, reached at
//! `unix:<rundir>/br0.mgmt`. Both daemons stop (exit command, then
//! SIGKILL) on drop and die with the test process.
//!
//! Only one Open vSwitch userspace datapath can run on a host at a time
//! (each creates the `ovs-netdev` tap device): tests using this helper
//! must not run beside an OVS benchmark or conformance run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The Open_vSwitch schema of the Debian package.
const SCHEMA: &str = "/usr/share/openvswitch/vswitch.ovsschema";

/// Whether Open vSwitch's daemons and tools are installed.
pub fn ovs_installed() -> bool {
    ["ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovsdb-tool"]
        .iter()
        .all(|tool| {
            Command::new(tool)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// A private `ovsdb-server` + `ovs-vswitchd` with bridge `br0`.
pub struct Ovs {
    /// Rundir, dbdir and logdir of both daemons.
    pub rundir: PathBuf,
    ovsdb: Option<Child>,
    vswitchd: Option<Child>,
    _dir: tempfile::TempDir,
}

fn spawn_dying_with_us(cmd: &mut Command) -> std::io::Result<Child> {
    // SAFETY: prctl is async-signal-safe and touches no memory of the
    // parent; it runs in the child between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(cmd, || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn()
}

fn wait_for(what: &str, log: &Path, mut ready: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        if Instant::now() > deadline {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("{what} did not become ready:\n{text}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

impl Ovs {
    /// Starts both daemons and creates `br0` (netdev datapath) with
    /// `bridge_settings` (`ovs-vsctl set bridge br0 ...` words, e.g.
    /// `protocols=OpenFlow13,OpenFlow14`).
    pub fn start(bridge_settings: &[&str]) -> Result<Ovs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let rundir = dir.path().to_path_buf();
        let mut ovs = Ovs {
            rundir: rundir.clone(),
            ovsdb: None,
            vswitchd: None,
            _dir: dir,
        };
        let conf = rundir.join("conf.db");
        let out = Command::new("ovsdb-tool")
            .arg("create")
            .arg(&conf)
            .arg(SCHEMA)
            .output()
            .map_err(|e| format!("ovsdb-tool: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "ovsdb-tool create: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let db = rundir.join("db.sock");
        let dblog = rundir.join("ovsdb-server.log");
        let mut cmd = ovs.command("ovsdb-server");
        cmd.arg(&conf)
            .arg(format!("--remote=punix:{}", db.display()))
            .arg(format!(
                "--pidfile={}",
                rundir.join("ovsdb-server.pid").display()
            ))
            .arg(format!(
                "--unixctl={}",
                rundir.join("ovsdb-server.ctl").display()
            ))
            .arg(format!("--log-file={}", dblog.display()))
            .arg("-vconsole:off");
        ovs.ovsdb = Some(spawn_dying_with_us(&mut cmd).map_err(|e| format!("ovsdb-server: {e}"))?);
        wait_for("ovsdb-server", &dblog, || db.exists())?;
        ovs.vsctl_ok(&["--no-wait", "init"])?;
        let log = rundir.join("ovs-vswitchd.log");
        let mut cmd = ovs.command("ovs-vswitchd");
        cmd.arg(format!("unix:{}", db.display()))
            .arg(format!(
                "--pidfile={}",
                rundir.join("ovs-vswitchd.pid").display()
            ))
            .arg(format!(
                "--unixctl={}",
                rundir.join("ovs-vswitchd.ctl").display()
            ))
            .arg(format!("--log-file={}", log.display()))
            .arg("-vconsole:off");
        ovs.vswitchd =
            Some(spawn_dying_with_us(&mut cmd).map_err(|e| format!("ovs-vswitchd: {e}"))?);
        let ctl = rundir.join("ovs-vswitchd.ctl");
        wait_for("ovs-vswitchd", &log, || ctl.exists())?;
        let mut args = vec![
            "add-br",
            "br0",
            "--",
            "set",
            "bridge",
            "br0",
            "datapath_type=netdev",
        ];
        args.extend_from_slice(bridge_settings);
        ovs.vsctl_ok(&args)?;
        let mgmt = ovs.mgmt();
        wait_for("br0.mgmt", &log, || mgmt.exists())?;
        Ok(ovs)
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        for var in ["OVS_RUNDIR", "OVS_DBDIR", "OVS_LOGDIR", "OVS_SYSCONFDIR"] {
            cmd.env(var, &self.rundir);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    /// The management socket of `br0`.
    pub fn mgmt(&self) -> PathBuf {
        self.rundir.join("br0.mgmt")
    }

    /// `ovs-vswitchd`'s log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.rundir.join("ovs-vswitchd.log")).unwrap_or_default()
    }

    /// Runs `ovs-vsctl` against this instance's database.
    pub fn vsctl(&self, args: &[&str]) -> Output {
        let db = format!("--db=unix:{}", self.rundir.join("db.sock").display());
        let mut cmd = self.command("ovs-vsctl");
        cmd.arg(db)
            .arg("--timeout=60")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.output().expect("run ovs-vsctl")
    }

    fn vsctl_ok(&self, args: &[&str]) -> Result<String, String> {
        let out = self.vsctl(args);
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "ovs-vsctl {args:?}: {}\n{}",
                String::from_utf8_lossy(&out.stderr),
                self.log()
            ))
        }
    }

    /// Runs `ovs-ofctl` against this instance (so `br0` names its bridge).
    pub fn ofctl(&self, args: &[&str]) -> Output {
        let mut cmd = self.command("ovs-ofctl");
        cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.output().expect("run ovs-ofctl")
    }

    fn stop(&mut self, which: &str) {
        let ctl = self.rundir.join(format!("{which}.ctl"));
        let child = match which {
            "ovs-vswitchd" => self.vswitchd.take(),
            _ => self.ovsdb.take(),
        };
        let Some(mut child) = child else { return };
        if let Ok(None) = child.try_wait() {
            let _ = self
                .command("ovs-appctl")
                .arg("-t")
                .arg(&ctl)
                .arg("exit")
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
        }
        let _ = child.wait();
    }
}

impl Drop for Ovs {
    fn drop(&mut self) {
        self.stop("ovs-vswitchd");
        self.stop("ovsdb-server");
    }
}
