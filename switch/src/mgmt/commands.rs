//! The runtime commands of the daemon, under Open vSwitch's names.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::unixctl::Commands;
use crate::bridge::Switch;

/// Parses the `[-pmd CORE] [DP]` arguments of the `dpif-netdev/pmd-*`
/// commands into a core filter.
fn pmd_filter(args: &[String]) -> Result<Option<u32>, String> {
    let mut core = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-pmd" => {
                let v = it.next().ok_or("-pmd needs a core id")?;
                core = Some(
                    v.parse::<u32>()
                        .map_err(|_| format!("-pmd: \"{v}\" is not a core id"))?,
                );
            }
            "netdev@ovs-netdev" | "ovs-netdev" => {}
            other => return Err(format!("unknown argument \"{other}\"")),
        }
    }
    Ok(core)
}

/// Keeps only the `pmd thread ... core_id N:` sections of `text` for `core`.
fn only_core(text: String, core: Option<u32>) -> String {
    let Some(core) = core else { return text };
    let header = format!("core_id {core}:");
    let mut out = String::new();
    let mut keep = false;
    for line in text.lines() {
        if line.starts_with("pmd thread") {
            keep = line.ends_with(&header);
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Registers every command of `switch`; `exit` sends on `exit_tx`.
pub fn register(cmds: &Commands, switch: &Arc<Switch>, exit_tx: mpsc::UnboundedSender<()>) {
    let sw = Arc::clone(switch);
    cmds.register(
        "dpif-netdev/pmd-stats-show",
        "[-pmd core] [dp]",
        0,
        3,
        move |a| Ok(only_core(sw.pmd_stats_show(), pmd_filter(a)?)),
    );
    let sw = Arc::clone(switch);
    cmds.register(
        "dpif-netdev/pmd-rxq-show",
        "[-pmd core] [dp]",
        0,
        3,
        move |a| Ok(only_core(sw.pmd_rxq_show(), pmd_filter(a)?)),
    );
    let sw = Arc::clone(switch);
    cmds.register(
        "dpif-netdev/pmd-stats-clear",
        "[-pmd core] [dp]",
        0,
        3,
        move |a| {
            sw.pmd_stats_clear(pmd_filter(a)?);
            Ok(String::new())
        },
    );
    let sw = Arc::clone(switch);
    cmds.register("show", "", 0, 0, move |_| Ok(sw.show()));
    let sw = Arc::clone(switch);
    cmds.register("fdb/show", "bridge", 1, 1, move |a| sw.fdb_show(&a[0]));
    cmds.register("exit", "[--cleanup]", 0, 1, move |_| {
        // The receiver only disappears while the daemon is already exiting.
        let _ = exit_tx.send(());
        Ok(String::new())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pmd_arguments() {
        assert_eq!(pmd_filter(&[]), Ok(None));
        assert_eq!(pmd_filter(&["-pmd".into(), "3".into()]), Ok(Some(3)));
        assert!(pmd_filter(&["-pmd".into()]).is_err());
        assert!(pmd_filter(&["-pmd".into(), "x".into()]).is_err());
        assert!(pmd_filter(&["bogus".into()]).is_err());
    }

    #[test]
    fn filters_sections_by_core() {
        let text =
            "pmd thread numa_id 0 core_id 1:\n  a: 1\npmd thread numa_id 0 core_id 12:\n  a: 2\n";
        assert_eq!(
            only_core(text.into(), Some(12)),
            "pmd thread numa_id 0 core_id 12:\n  a: 2\n"
        );
        assert_eq!(only_core(text.into(), None), text);
    }
}
