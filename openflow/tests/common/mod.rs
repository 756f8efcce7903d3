//! Test support: os-ken 4.2.2's `tests/packet_data`, fetched at test time.
//!
//! The wheel is downloaded with `pip download --no-deps os-ken==4.2.2` and
//! its `os_ken/tests/packet_data/` extracted with Python's zipfile, once,
//! under the cargo target directory. `OSKEN_PACKET_DATA` may point at an
//! already extracted `packet_data` directory instead. Without pip or
//! network the tests fail with a message saying so: they never pass
//! silently.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The os-ken version whose golden files are used.
pub const OSKEN_VERSION: &str = "4.2.2";

/// The version directories checked and how many messages each holds.
pub const GOLDEN_DIRS: [(&str, usize); 4] =
    [("of10", 13), ("of12", 47), ("of13", 104), ("of14", 73)];

/// Directory of os-ken's `packet_data`, downloading it on first use.
pub fn packet_data_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("OSKEN_PACKET_DATA") {
        return PathBuf::from(dir);
    }
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("os-ken-{OSKEN_VERSION}"));
    let data = cache.join("os_ken/tests/packet_data");
    if data.join("of14").is_dir() {
        return data;
    }
    std::fs::create_dir_all(&cache).expect("create os-ken cache directory");
    let wheel_dir = cache.join("wheel");
    let spec = format!("os-ken=={OSKEN_VERSION}");
    let mut ok = false;
    let mut tried = Vec::new();
    for (prog, pre) in [
        ("pip", vec![]),
        ("pip3", vec![]),
        ("python3", vec!["-m", "pip"]),
    ] {
        let status = Command::new(prog)
            .args(&pre)
            .args([
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "-q",
                &spec,
                "-d",
            ])
            .arg(&wheel_dir)
            .status();
        tried.push(format!("{prog} {}: {status:?}", pre.join(" ")));
        if matches!(status, Ok(s) if s.success()) {
            ok = true;
            break;
        }
    }
    assert!(
        ok,
        "cannot download os-ken {OSKEN_VERSION} with pip (install python3-pip and allow access to PyPI, \
         or set OSKEN_PACKET_DATA to an extracted os_ken/tests/packet_data): {tried:?}"
    );
    let script = "import sys, zipfile, glob\n\
                  w = glob.glob(sys.argv[1] + '/os_ken-*.whl')[0]\n\
                  z = zipfile.ZipFile(w)\n\
                  z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith('os_ken/tests/packet_data/')])\n";
    let status = Command::new("python3")
        .args(["-c", script])
        .arg(&wheel_dir)
        .arg(&cache)
        .status()
        .expect("python3 is needed to unpack the os-ken wheel");
    assert!(status.success(), "unpacking the os-ken wheel failed");
    assert!(
        data.join("of14").is_dir(),
        "os-ken wheel has no tests/packet_data/of14"
    );
    data
}

/// Every golden `*.packet` file of `dir` (e.g. "of13"), sorted by name.
pub fn golden_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(packet_data_dir().join(dir))
        .unwrap_or_else(|e| panic!("read packet_data/{dir}: {e}"))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "packet"))
        .collect();
    files.sort();
    files
}

pub mod samples;

/// Splits a file's bytes into the messages it holds (by header length).
pub fn split_messages(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 8 {
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        if len < 8 || len > rest.len() {
            break;
        }
        out.push(&rest[..len]);
        rest = &rest[len..];
    }
    assert!(
        rest.is_empty(),
        "trailing {} bytes that are not a whole message",
        rest.len()
    );
    out
}
