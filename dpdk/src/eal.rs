//! EAL initialisation.
//!
//! `rte_eal_init` runs once per process. [`EalBuilder`] decides the EAL
//! argument vector (file prefix, lcores, memory, hugepages) and
//! [`EalBuilder::init`] returns an [`Eal`] token; every [`crate::Mempool`]
//! and [`crate::Port`] holds a clone so that EAL outlives them. EAL itself is
//! never torn down (`rte_eal_cleanup` is not called): mbufs may outlive every
//! token, and EAL cannot be initialised a second time anyway.
//!
//! Drivers: Debian builds DPDK as shared libraries with `RTE_EAL_PMD_PATH`
//! set (`dpdk_sys::pmd_plugin_dir()`, `/usr/lib/x86_64-linux-gnu/dpdk/
//! pmds-23.0`), and a shared EAL loads every driver of that directory at
//! init by itself: `net_pcap`, `net_null`, `net_tap`, `net_vhost`, ... need
//! no `-d`. [`EalBuilder::plugin_dir`] adds `-d` for drivers elsewhere.
//!
//! Hugepages: [`HugepageMode::Auto`] uses hugepages when a hugetlbfs is
//! mounted and has enough free pages for the requested memory, and falls
//! back to `--no-huge` (with a warning) otherwise. Hugepage files are
//! unlinked once mapped (`--huge-unlink`) unless [`EalBuilder::huge_unlink`]
//! says otherwise, so that per-process file prefixes do not leak pages;
//! runtime directories and hugepage files of exited processes with such
//! prefixes are removed at the next init ([`remove_stale_dpdk_files`]).

use std::ffi::{c_char, c_int, CString};
use std::fs;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

/// How EAL gets its memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HugepageMode {
    /// Hugepages if a hugetlbfs is mounted with enough free pages, else
    /// `--no-huge` with a warning.
    #[default]
    Auto,
    /// Hugepages or an error.
    Require,
    /// Always `--no-huge` (anonymous memory; slower, fine for tests).
    Disabled,
}

/// Free hugepage memory of the mounted hugetlbfs page sizes, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HugepageStatus {
    /// A hugetlbfs file system is mounted somewhere.
    pub mounted: bool,
    /// Bytes in free hugepages of the page sizes that have a mount.
    pub free_bytes: u64,
}

/// Reads `/proc/mounts` and `/sys/kernel/mm/hugepages` to tell whether EAL
/// can use hugepages.
pub fn hugepage_status() -> HugepageStatus {
    let mounts = fs::read_to_string("/proc/mounts").unwrap_or_default();
    let default_size = default_hugepage_kb();
    let mut sizes_kb: Vec<u64> = Vec::new();
    for line in mounts.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 4 || fields[2] != "hugetlbfs" {
            continue;
        }
        let size = fields[3]
            .split(',')
            .find_map(|o| o.strip_prefix("pagesize="))
            .and_then(parse_size_kb)
            .or(default_size);
        if let Some(size) = size {
            if !sizes_kb.contains(&size) {
                sizes_kb.push(size);
            }
        }
    }
    let free_bytes = sizes_kb
        .iter()
        .map(|kb| {
            let path = format!("/sys/kernel/mm/hugepages/hugepages-{kb}kB/free_hugepages");
            let free: u64 = fs::read_to_string(path)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0);
            free * kb * 1024
        })
        .sum();
    HugepageStatus {
        mounted: !sizes_kb.is_empty(),
        free_bytes,
    }
}

fn default_hugepage_kb() -> Option<u64> {
    let meminfo = fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("Hugepagesize:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Parses a mount option size such as `2M`, `1G`, `2048k`, into KiB.
fn parse_size_kb(s: &str) -> Option<u64> {
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1),
        'm' | 'M' => (&s[..s.len() - 1], 1024),
        'g' | 'G' => (&s[..s.len() - 1], 1024 * 1024),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

/// Sum of a `--socket-mem` list such as `"256,0"`, in MiB.
fn socket_mem_total(spec: &str) -> Option<u64> {
    spec.split(',')
        .map(|p| p.trim().parse::<u64>().ok())
        .sum::<Option<u64>>()
}

/// Directory under which EAL creates one runtime directory per file prefix.
fn runtime_base_dir() -> std::path::PathBuf {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } == 0 {
        return "/var/run/dpdk".into();
    }
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) => std::path::Path::new(&dir).join("dpdk"),
        None => "/tmp/dpdk".into(),
    }
}

/// The pid ending a per-process prefix `ferrovs-...-<pid>`, if that process
/// is gone.
fn dead_prefix_pid(prefix: &str) -> Option<u32> {
    if !prefix.starts_with("ferrovs-") {
        return None;
    }
    let pid = prefix.rsplit('-').next()?.parse::<u32>().ok()?;
    let gone = pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists();
    gone.then_some(pid)
}

/// Mount points of hugetlbfs file systems.
fn hugetlbfs_mounts() -> Vec<String> {
    fs::read_to_string("/proc/mounts")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() > 2 && f[2] == "hugetlbfs").then(|| f[1].to_string())
        })
        .collect()
}

/// Removes what earlier processes that used this crate's per-process
/// prefixes (`ferrovs-...-<pid>`) left behind after they exited: runtime
/// directories (`/var/run/dpdk/<prefix>`) and hugepage files
/// (`<hugetlbfs>/<prefix>map_*`, left when `--huge-unlink` is not used),
/// which otherwise keep their hugepages. Returns how many entries were
/// removed. Nothing is removed while its pid exists or while a process
/// holds the lock DPDK takes on the file; prefixes not ending in a pid are
/// left alone.
pub fn remove_stale_dpdk_files() -> usize {
    let mut removed = 0;
    if let Ok(entries) = fs::read_dir(runtime_base_dir()) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if dead_prefix_pid(name).is_none() || config_locked(&entry.path().join("config")) {
                continue;
            }
            if fs::remove_dir_all(entry.path()).is_ok() {
                removed += 1;
            }
        }
    }
    for mount in hugetlbfs_mounts() {
        let Ok(entries) = fs::read_dir(&mount) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some((prefix, _)) = name.split_once("map_") else {
                continue;
            };
            if dead_prefix_pid(prefix).is_none() || hugepage_file_in_use(&entry.path()) {
                continue;
            }
            if fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

/// Whether a process holds DPDK's shared `flock` on a hugepage file (also
/// true when the file cannot be checked), as EAL's own cleanup tests it.
fn hugepage_file_in_use(path: &std::path::Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(file) = fs::File::open(path) else {
        return true;
    };
    // SAFETY: valid open descriptor; the lock is released when `file`
    // closes.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) != 0 }
}

/// Whether a live primary process holds the lock EAL takes on its runtime
/// `config` file (also true when the file cannot be checked).
fn config_locked(path: &std::path::Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(file) = fs::OpenOptions::new().read(true).write(true).open(path) else {
        return true;
    };
    // SAFETY: flock is plain data; zeroed then filled below.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_WRLCK as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    // SAFETY: valid open descriptor and a valid flock for F_GETLK.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETLK, &mut lock) };
    rc != 0 || lock.l_type != libc::F_UNLCK as libc::c_short
}

/// EAL arguments that `--huge-unlink` must not be added to (they choose
/// the file handling themselves or refuse the combination).
fn unlink_conflicts(arg: &str) -> bool {
    arg == "--single-file-segments" || arg == "--in-memory" || arg.starts_with("--huge-unlink")
}

/// Builder of the EAL argument vector; [`EalBuilder::init`] runs
/// `rte_eal_init` with it.
#[derive(Debug, Clone)]
pub struct EalBuilder {
    program_name: String,
    file_prefix: String,
    lcores: Option<String>,
    socket_mem: Option<String>,
    hugepages: HugepageMode,
    huge_unlink: bool,
    keep_main_affinity: bool,
    plugin_dirs: Vec<String>,
    extra: Vec<String>,
}

impl EalBuilder {
    /// A builder with `argv[0] = program_name`, file prefix
    /// `ferrovs-<pid>`, [`HugepageMode::Auto`] and no other arguments.
    pub fn new(program_name: &str) -> Self {
        EalBuilder {
            program_name: program_name.to_string(),
            file_prefix: format!("ferrovs-{}", std::process::id()),
            lcores: None,
            socket_mem: None,
            hugepages: HugepageMode::Auto,
            huge_unlink: true,
            keep_main_affinity: false,
            plugin_dirs: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// `--file-prefix`: names the runtime directory and hugepage files.
    pub fn file_prefix(mut self, prefix: &str) -> Self {
        self.file_prefix = prefix.to_string();
        self
    }

    /// `-l`: lcore list such as `"0"` or `"0-1"`; the first is the main
    /// lcore (the thread calling [`EalBuilder::init`]).
    pub fn lcores(mut self, spec: &str) -> Self {
        self.lcores = Some(spec.to_string());
        self
    }

    /// Memory in MiB per NUMA socket (`"256"` or `"256,0"`): `--socket-mem`
    /// with hugepages, `-m <sum>` with `--no-huge`.
    pub fn socket_mem(mut self, mb: &str) -> Self {
        self.socket_mem = Some(mb.to_string());
        self
    }

    /// How to get memory; see [`HugepageMode`].
    pub fn hugepages(mut self, mode: HugepageMode) -> Self {
        self.hugepages = mode;
        self
    }

    /// Whether to pass `--huge-unlink` (default `true`): hugepage files are
    /// removed once mapped, so their pages return to the system when the
    /// process exits whatever its file prefix. Pass `false` to let secondary
    /// processes (`dpdk-pdump`, `dpdk-proc-info`) attach. It is left out
    /// when the extra arguments contain `--single-file-segments` (which
    /// EAL refuses with it, and which `net_virtio_user` needs to share
    /// memory), `--in-memory` or their own `--huge-unlink`; the files then
    /// left are removed by [`remove_stale_dpdk_files`] at the next init.
    pub fn huge_unlink(mut self, on: bool) -> Self {
        self.huge_unlink = on;
        self
    }

    /// Whether the thread calling [`EalBuilder::init`] stays pinned to the
    /// main lcore's CPU as EAL leaves it (default `false`: its CPU affinity
    /// is restored after init, as Open vSwitch does, so that threads it
    /// spawns later are not all confined to that CPU).
    pub fn keep_main_affinity(mut self, keep: bool) -> Self {
        self.keep_main_affinity = keep;
        self
    }

    /// Adds `-d <dir>`: a driver plugin file or directory to load besides the
    /// default one EAL scans by itself.
    pub fn plugin_dir(mut self, dir: &str) -> Self {
        self.plugin_dirs.push(dir.to_string());
        self
    }

    /// More EAL arguments (already split), appended last (`dpdk-extra`).
    pub fn extra_args<I: IntoIterator<Item = String>>(mut self, args: I) -> Self {
        self.extra.extend(args);
        self
    }

    /// Whether the argument vector will use hugepages, deciding
    /// [`HugepageMode::Auto`] from the current system state.
    fn decide_hugepages(&self) -> bool {
        let explicit_no_huge = self.extra.iter().any(|a| a == "--no-huge");
        match self.hugepages {
            HugepageMode::Disabled => false,
            HugepageMode::Require => !explicit_no_huge,
            HugepageMode::Auto => {
                if explicit_no_huge {
                    return false;
                }
                let status = hugepage_status();
                let needed = self
                    .socket_mem
                    .as_deref()
                    .and_then(socket_mem_total)
                    .unwrap_or(0)
                    * 1024
                    * 1024;
                status.mounted && status.free_bytes > 0 && status.free_bytes >= needed
            }
        }
    }

    fn args_for(&self, huge: bool) -> Vec<String> {
        let mut args = vec![
            self.program_name.clone(),
            "--file-prefix".to_string(),
            self.file_prefix.clone(),
        ];
        if let Some(l) = &self.lcores {
            args.push("-l".to_string());
            args.push(l.clone());
        }
        if huge {
            if let Some(mem) = &self.socket_mem {
                args.push("--socket-mem".to_string());
                args.push(mem.clone());
            }
            if self.huge_unlink && !self.extra.iter().any(|a| unlink_conflicts(a)) {
                args.push("--huge-unlink".to_string());
            }
        } else {
            if !self.extra.iter().any(|a| a == "--no-huge") {
                args.push("--no-huge".to_string());
            }
            if let Some(total) = self.socket_mem.as_deref().and_then(socket_mem_total) {
                args.push("-m".to_string());
                args.push(total.to_string());
            }
        }
        for dir in &self.plugin_dirs {
            args.push("-d".to_string());
            args.push(dir.clone());
        }
        args.extend(self.extra.iter().cloned());
        args
    }

    /// The argument vector [`EalBuilder::init`] will pass (hugepage mode
    /// decided now), for logs and tests.
    pub fn args(&self) -> Vec<String> {
        self.args_for(self.decide_hugepages())
    }

    /// Runs `rte_eal_init`. A second call in the same process (after a
    /// successful one) returns an error.
    pub fn init(self) -> Result<Eal> {
        let mut done = EAL_DONE.lock().unwrap_or_else(|e| e.into_inner());
        if done.is_some() {
            return Err(Error::with_text(
                "rte_eal_init",
                format!("EAL (file prefix {})", self.file_prefix),
                libc::EALREADY,
                "EAL is already initialised in this process",
            )
            .hint("clone the existing Eal instead of initialising again"));
        }
        let huge = self.decide_hugepages();
        let object = format!("EAL (file prefix {})", self.file_prefix);
        if !huge {
            if self.hugepages == HugepageMode::Auto {
                tracing::warn!(
                    "no mounted hugetlbfs with enough free hugepages: running DPDK with \
                     --no-huge (slower; echo 512 > /proc/sys/vm/nr_hugepages and mount \
                     -t hugetlbfs nodev /dev/hugepages to use hugepages)"
                );
            }
        } else if self.hugepages == HugepageMode::Require {
            let status = hugepage_status();
            if !status.mounted || status.free_bytes == 0 {
                return Err(Error::with_text(
                    "rte_eal_init",
                    object,
                    libc::ENOMEM,
                    "hugepages required but no mounted hugetlbfs has free pages",
                )
                .hint(
                    "echo 512 > /proc/sys/vm/nr_hugepages; mount -t hugetlbfs nodev /dev/hugepages",
                ));
            }
        }
        let stale = remove_stale_dpdk_files();
        if stale > 0 {
            tracing::debug!(stale, "removed DPDK files of exited processes");
        }
        let args = self.args_for(huge);
        let mut c_args: Vec<*mut c_char> = Vec::with_capacity(args.len() + 1);
        for a in &args {
            let c = CString::new(a.as_str()).map_err(|_| {
                Error::with_text(
                    "rte_eal_init",
                    object.clone(),
                    libc::EINVAL,
                    format!("argument {a:?} contains a NUL byte"),
                )
            })?;
            // EAL may keep pointers into argv for the life of the process.
            c_args.push(c.into_raw());
        }
        c_args.push(std::ptr::null_mut());
        let argc = (c_args.len() - 1) as c_int;
        let argv = c_args.leak().as_mut_ptr();
        tracing::info!(args = ?args, "initialising DPDK EAL");
        let affinity = current_affinity();
        // SAFETY: argv is a NULL-terminated array of argc valid C strings,
        // leaked so EAL may keep and permute them; this is the only call of
        // rte_eal_init made by this crate once it has succeeded (EAL_DONE).
        let rc = unsafe { dpdk_sys::rte_eal_init(argc, argv) };
        if rc < 0 {
            return Err(Error::from_rte_errno("rte_eal_init", object));
        }
        if !self.keep_main_affinity {
            if let Some(set) = affinity {
                // SAFETY: pid 0 = calling thread; set is a valid cpu_set_t.
                let rc = unsafe {
                    libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
                };
                if rc != 0 {
                    tracing::warn!(
                        error = %std::io::Error::last_os_error(),
                        "cannot restore the CPU affinity of the thread that initialised EAL"
                    );
                }
            }
        }
        // SAFETY: EAL is initialised; plain getter.
        let main_lcore = unsafe { dpdk_sys::rte_get_main_lcore() };
        let eal = Eal {
            inner: Arc::new(EalInner {
                args,
                uses_hugepages: huge,
                main_lcore,
            }),
        };
        *done = Some(eal.clone());
        Ok(eal)
    }
}

/// CPU affinity of the calling thread, if it can be read.
fn current_affinity() -> Option<libc::cpu_set_t> {
    // SAFETY: cpu_set_t is plain data; zeroed is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: pid 0 = calling thread; set is writable and of the size passed.
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    (rc == 0).then_some(set)
}

/// The process's EAL once initialised.
static EAL_DONE: Mutex<Option<Eal>> = Mutex::new(None);

#[derive(Debug)]
struct EalInner {
    args: Vec<String>,
    uses_hugepages: bool,
    main_lcore: u32,
}

/// Proof that EAL is initialised; cheap to clone.
#[derive(Debug, Clone)]
pub struct Eal {
    inner: Arc<EalInner>,
}

impl Eal {
    /// The EAL of this process if [`EalBuilder::init`] succeeded.
    pub fn current() -> Option<Eal> {
        EAL_DONE.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether EAL runs on hugepages (false with `--no-huge`).
    pub fn uses_hugepages(&self) -> bool {
        self.inner.uses_hugepages
    }

    /// The argument vector EAL was initialised with.
    pub fn args(&self) -> &[String] {
        &self.inner.args
    }

    /// Id of the main lcore (the thread that initialised EAL).
    pub fn main_lcore(&self) -> u32 {
        self.inner.main_lcore
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_mem_sums() {
        assert_eq!(socket_mem_total("256"), Some(256));
        assert_eq!(socket_mem_total("256,0"), Some(256));
        assert_eq!(socket_mem_total("128, 64"), Some(192));
        assert_eq!(socket_mem_total("x"), None);
    }

    #[test]
    fn mount_sizes_parse() {
        assert_eq!(parse_size_kb("2M"), Some(2048));
        assert_eq!(parse_size_kb("1G"), Some(1024 * 1024));
        assert_eq!(parse_size_kb("2048k"), Some(2048));
    }

    #[test]
    fn no_huge_args_use_m_with_the_sum() {
        let b = EalBuilder::new("prog")
            .file_prefix("t1")
            .lcores("0-1")
            .socket_mem("128,64")
            .hugepages(HugepageMode::Disabled)
            .extra_args(["--no-pci".to_string()]);
        assert_eq!(
            b.args(),
            [
                "prog",
                "--file-prefix",
                "t1",
                "-l",
                "0-1",
                "--no-huge",
                "-m",
                "192",
                "--no-pci"
            ]
        );
    }

    #[test]
    fn hugepage_args_use_socket_mem_and_unlink() {
        let b = EalBuilder::new("prog")
            .file_prefix("t2")
            .socket_mem("256,0")
            .hugepages(HugepageMode::Require);
        assert_eq!(
            b.args(),
            [
                "prog",
                "--file-prefix",
                "t2",
                "--socket-mem",
                "256,0",
                "--huge-unlink"
            ]
        );
        let keep = b.huge_unlink(false).args();
        assert!(!keep.contains(&"--huge-unlink".to_string()));
    }

    #[test]
    fn default_prefix_names_the_process() {
        let args = EalBuilder::new("p")
            .hugepages(HugepageMode::Disabled)
            .args();
        assert_eq!(args[2], format!("ferrovs-{}", std::process::id()));
    }

    #[test]
    fn auto_follows_hugepage_status() {
        let status = hugepage_status();
        let args = EalBuilder::new("p").socket_mem("2").args();
        let huge = status.mounted && status.free_bytes >= 2 * 1024 * 1024;
        assert_eq!(!args.contains(&"--no-huge".to_string()), huge, "{status:?}");
    }

    #[test]
    fn huge_unlink_is_left_out_when_it_conflicts() {
        for extra in [
            "--single-file-segments",
            "--in-memory",
            "--huge-unlink=never",
        ] {
            let args = EalBuilder::new("p")
                .hugepages(HugepageMode::Require)
                .extra_args([extra.to_string()])
                .args();
            assert!(
                !args.contains(&"--huge-unlink".to_string()),
                "{extra}: {args:?}"
            );
        }
    }

    #[test]
    fn only_dead_pid_prefixes_are_stale() {
        assert_eq!(dead_prefix_pid("rte"), None);
        assert_eq!(dead_prefix_pid("ferrovs-br0"), None);
        let me = format!("ferrovs-{}", std::process::id());
        assert_eq!(dead_prefix_pid(&me), None);
        assert_eq!(dead_prefix_pid("ferrovs-1"), None, "pid 1 runs");
        // pid_max is at most 2^22 on Linux.
        assert_eq!(dead_prefix_pid("ferrovs-test-4999999"), Some(4_999_999));
    }

    #[test]
    fn explicit_no_huge_in_extra_is_not_duplicated() {
        let args = EalBuilder::new("p")
            .extra_args(["--no-huge".to_string()])
            .args();
        assert_eq!(args.iter().filter(|a| *a == "--no-huge").count(), 1);
    }
}
