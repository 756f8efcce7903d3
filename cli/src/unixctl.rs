//! A unixctl (JSON-RPC over a Unix socket) client, as `ovs-appctl` is.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    /// The daemon answered with an error text.
    Command(String),
    /// The socket or the reply was unusable.
    Transport(String),
}

/// The control socket named by `<rundir>/ovs-vswitchd.pid`.
pub fn find_socket(rundir: &Path) -> Result<PathBuf, String> {
    let pidfile = rundir.join("ovs-vswitchd.pid");
    let text = std::fs::read_to_string(&pidfile).map_err(|e| {
        format!(
            "cannot read {}: {e} (is ferrovs-switchd running with --rundir {}?)",
            pidfile.display(),
            rundir.display()
        )
    })?;
    let pid: u32 = text
        .trim()
        .parse()
        .map_err(|_| format!("{}: \"{}\" is not a pid", pidfile.display(), text.trim()))?;
    Ok(rundir.join(format!("ovs-vswitchd.{pid}.ctl")))
}

/// Sends one request and waits for its reply.
pub fn call(socket: &Path, method: &str, args: &[String]) -> Result<String, CallError> {
    let t = |e: std::io::Error| CallError::Transport(e.to_string());
    let mut stream = UnixStream::connect(socket).map_err(t)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(t)?;
    let request = json!({"id": 0, "method": method, "params": args});
    stream
        .write_all(&serde_json::to_vec(&request).map_err(|e| CallError::Transport(e.to_string()))?)
        .map_err(t)?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream.read(&mut chunk).map_err(t)?;
        if n == 0 {
            return Err(CallError::Transport(
                "connection closed before a reply".to_owned(),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut it = serde_json::Deserializer::from_slice(&buf).into_iter::<Value>();
        match it.next() {
            Some(Ok(reply)) => return interpret(&reply),
            Some(Err(e)) if e.is_eof() => continue,
            Some(Err(e)) => return Err(CallError::Transport(format!("bad reply: {e}"))),
            None => continue,
        }
    }
}

fn interpret(reply: &Value) -> Result<String, CallError> {
    match reply.get("error") {
        Some(Value::Null) | None => Ok(reply
            .get("result")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()),
        Some(Value::String(e)) => Err(CallError::Command(e.clone())),
        Some(other) => Err(CallError::Command(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        assert_eq!(
            interpret(&json!({"id":0,"result":"ok\n","error":null})).unwrap(),
            "ok\n"
        );
        match interpret(&json!({"id":0,"result":null,"error":"bad"})) {
            Err(CallError::Command(e)) => assert_eq!(e, "bad"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn socket_from_pidfile() {
        let dir = tempfile::tempdir().unwrap();
        assert!(find_socket(dir.path())
            .unwrap_err()
            .contains("ovs-vswitchd.pid"));
        std::fs::write(dir.path().join("ovs-vswitchd.pid"), "1234\n").unwrap();
        assert_eq!(
            find_socket(dir.path()).unwrap(),
            dir.path().join("ovs-vswitchd.1234.ctl")
        );
    }
}
