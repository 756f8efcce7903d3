//! The unixctl control socket: Open vSwitch's JSON-RPC protocol, so that
//! `ovs-appctl -t <rundir>/ovs-vswitchd.<pid>.ctl <command>` works.
//!
//! A request is `{"id": ID, "method": NAME, "params": [ARGS...]}` (all
//! arguments strings); the reply is `{"id": ID, "result": TEXT, "error":
//! null}` or `{"id": ID, "result": null, "error": TEXT}`. Messages follow
//! each other on the stream with no delimiter. Commands are registered with
//! their usage and argument counts; `list-commands` and `version` are
//! built in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

/// A command handler: arguments in, reply text or error text out.
pub type Handler = Arc<dyn Fn(&[String]) -> Result<String, String> + Send + Sync>;

struct Command {
    usage: String,
    min_args: usize,
    max_args: usize,
    handler: Handler,
}

/// The table of commands.
#[derive(Clone, Default)]
pub struct Commands {
    table: Arc<RwLock<BTreeMap<String, Command>>>,
}

impl Commands {
    /// An empty table with the built-in `list-commands` and `version`.
    pub fn new() -> Self {
        let cmds = Commands::default();
        let table = Arc::clone(&cmds.table);
        cmds.register("list-commands", "", 0, 0, move |_| {
            let t = table.read().unwrap_or_else(|e| e.into_inner());
            let mut s = String::from("The available commands are:\n");
            for (name, c) in t.iter() {
                s.push_str(&format!("  {:<32}{}\n", name, c.usage));
            }
            Ok(s)
        });
        cmds.register("version", "", 0, 0, |_| {
            Ok(format!("ferrovs-switchd {}\n", env!("CARGO_PKG_VERSION")))
        });
        cmds
    }

    /// Registers `name`.
    pub fn register(
        &self,
        name: &str,
        usage: &str,
        min_args: usize,
        max_args: usize,
        handler: impl Fn(&[String]) -> Result<String, String> + Send + Sync + 'static,
    ) {
        self.table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                name.to_owned(),
                Command {
                    usage: usage.to_owned(),
                    min_args,
                    max_args,
                    handler: Arc::new(handler),
                },
            );
    }

    /// Runs `method` with `args`, with Open vSwitch's error texts.
    pub fn call(&self, method: &str, args: &[String]) -> Result<String, String> {
        let (handler, min, max) = {
            let t = self.table.read().unwrap_or_else(|e| e.into_inner());
            let Some(c) = t.get(method) else {
                return Err(format!(
                    "\"{method}\" is not a valid command (use \"list-commands\" to see a list of valid commands)"
                ));
            };
            (Arc::clone(&c.handler), c.min_args, c.max_args)
        };
        if args.len() < min {
            return Err(format!(
                "\"{method}\" command requires at least {min} arguments"
            ));
        }
        if args.len() > max {
            return Err(format!(
                "\"{method}\" command takes at most {max} arguments"
            ));
        }
        handler(args)
    }

    /// Answers one JSON-RPC request value.
    pub fn answer(&self, request: &Value) -> Value {
        let id = request.get("id").cloned().unwrap_or(Value::Null);
        let Some(method) = request.get("method").and_then(Value::as_str) else {
            return json!({"id": id, "result": null, "error": "request has no method"});
        };
        let args: Result<Vec<String>, String> = match request.get("params") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| "command arguments must be strings".to_owned())
                })
                .collect(),
            Some(_) => Err("params must be an array".to_owned()),
        };
        match args.and_then(|a| self.call(method, &a)) {
            Ok(text) => json!({"id": id, "result": text, "error": null}),
            Err(text) => json!({"id": id, "result": null, "error": text}),
        }
    }
}

/// Paths of the control socket and the pidfile in `rundir`.
pub fn socket_paths(rundir: &Path, pid: u32) -> (PathBuf, PathBuf) {
    (
        rundir.join(format!("ovs-vswitchd.{pid}.ctl")),
        rundir.join("ovs-vswitchd.pid"),
    )
}

/// Serves `commands` on `path` until the task is dropped.
pub async fn serve(listener: UnixListener, commands: Commands) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let commands = commands.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve_connection(stream, commands).await {
                        tracing::debug!("unixctl connection: {e}");
                    }
                });
            }
            Err(e) => {
                tracing::warn!("unixctl accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// Largest request accepted, in bytes.
const MAX_REQUEST: usize = 1 << 20;

async fn serve_connection(mut stream: UnixStream, commands: Commands) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        loop {
            let mut it = serde_json::Deserializer::from_slice(&buf).into_iter::<Value>();
            match it.next() {
                Some(Ok(request)) => {
                    let used = it.byte_offset();
                    buf.drain(..used);
                    // Commands may block briefly (stats reads); keep them off
                    // the reactor threads.
                    let cmds = commands.clone();
                    let reply = tokio::task::spawn_blocking(move || cmds.answer(&request))
                        .await
                        .unwrap_or_else(
                            |e| json!({"id": null, "result": null, "error": e.to_string()}),
                        );
                    let mut bytes = serde_json::to_vec(&reply)?;
                    bytes.push(b'\n');
                    stream.write_all(&bytes).await?;
                }
                Some(Err(e)) if e.is_eof() => break,
                Some(Err(e)) => {
                    let reply =
                        json!({"id": null, "result": null, "error": format!("bad request: {e}")});
                    stream.write_all(&serde_json::to_vec(&reply)?).await?;
                    return Ok(());
                }
                None => {
                    buf.clear();
                    break;
                }
            }
        }
        if buf.len() > MAX_REQUEST {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_errors() {
        let c = Commands::new();
        c.register("echo", "ARG...", 1, 2, |a| Ok(a.join(" ")));
        assert_eq!(c.call("echo", &["a".into()]), Ok("a".into()));
        assert!(c.call("echo", &[]).unwrap_err().contains("at least 1"));
        assert!(c
            .call("nope", &[])
            .unwrap_err()
            .contains("not a valid command"));
        let list = c.call("list-commands", &[]).unwrap();
        assert!(list.contains("echo") && list.contains("version"));
        let r = c.answer(&json!({"id": 7, "method": "echo", "params": ["x", "y"]}));
        assert_eq!(r, json!({"id": 7, "result": "x y", "error": null}));
        let r = c.answer(&json!({"id": 8, "method": "echo", "params": [1]}));
        assert_eq!(r["error"], "command arguments must be strings");
    }

    #[tokio::test]
    async fn serves_back_to_back_requests_on_one_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.ctl");
        let listener = UnixListener::bind(&path).unwrap();
        let c = Commands::new();
        c.register("echo", "", 0, 3, |a| Ok(a.join(",")));
        let server = tokio::spawn(serve(listener, c));
        let mut s = UnixStream::connect(&path).await.unwrap();
        s.write_all(br#"{"id":0,"method":"echo","params":["a"]}{"id":1,"method":"ec"#)
            .await
            .unwrap();
        s.write_all(br#"ho","params":["b","c"]}"#).await.unwrap();
        let mut got = Vec::new();
        let mut replies = Vec::new();
        while replies.len() < 2 {
            let mut chunk = [0u8; 256];
            let n = s.read(&mut chunk).await.unwrap();
            assert!(n > 0);
            got.extend_from_slice(&chunk[..n]);
            replies = serde_json::Deserializer::from_slice(&got)
                .into_iter::<Value>()
                .filter_map(Result::ok)
                .collect();
        }
        assert_eq!(replies[0]["result"], "a");
        assert_eq!(replies[1]["result"], "b,c");
        server.abort();
    }
}
