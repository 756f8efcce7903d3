//! Build script of `dpdk-sys`: finds the system DPDK with pkg-config,
//! generates bindings with bindgen and compiles the C shim of static-inline
//! fast-path functions.

use std::env;
use std::path::PathBuf;
use std::process::{exit, Command};

/// Lowest DPDK release whose ABI these bindings are written for.
const MIN_DPDK_VERSION: &str = "22.11";

fn fail(msg: &str) -> ! {
    eprintln!("error: dpdk-sys: {msg}");
    println!("cargo:warning=dpdk-sys: {msg}");
    exit(1);
}

fn pkg_config(args: &[&str]) -> String {
    let bin = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let out = match Command::new(&bin).args(args).output() {
        Ok(out) => out,
        Err(e) => fail(&format!(
            "cannot run `{bin}` ({e}): install the Debian package `pkg-config` (apt-get install pkg-config)"
        )),
    };
    if !out.status.success() {
        fail(&format!(
            "`{bin} {}` failed: {}DPDK {MIN_DPDK_VERSION} or newer was not found: install the Debian \
             package `libdpdk-dev` (apt-get install libdpdk-dev) or set PKG_CONFIG_PATH to the \
             directory of libdpdk.pc",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Splits pkg-config output into words (the .pc files of DPDK use no quoting).
fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/wrapper.h");
    println!("cargo:rerun-if-changed=src/shim.c");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");

    let version = pkg_config(&["--modversion", "libdpdk"]);
    pkg_config(&[&format!("--atleast-version={MIN_DPDK_VERSION}"), "libdpdk"]);
    println!("cargo:version={version}");

    let cflags = words(&pkg_config(&["--cflags", "libdpdk"]));
    let libs = words(&pkg_config(&["--libs", "libdpdk"]));

    // Link flags. Debian ships shared libraries; `-l:` and `--whole-archive`
    // forms (static .pc variants) are passed to the linker verbatim.
    for word in &libs {
        if let Some(dir) = word.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if word.starts_with("-l:") {
            println!("cargo:rustc-link-arg={word}");
        } else if let Some(lib) = word.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={lib}");
        } else if word.starts_with("-Wl,--as-needed") {
            // rustc already links with --as-needed; the net PMDs are not
            // linked but loaded by EAL from its plugin directory.
        } else if word.starts_with("-Wl,") || word.starts_with("-pthread") {
            println!("cargo:rustc-link-arg={word}");
        }
    }

    // C shim of the static-inline functions.
    let mut build = cc::Build::new();
    build.file("src/shim.c").opt_level(3).warnings(true);
    let mut i = 0;
    while i < cflags.len() {
        let flag = &cflags[i];
        if flag == "-include" && i + 1 < cflags.len() {
            build.flag(flag).flag(&cflags[i + 1]);
            i += 2;
            continue;
        }
        if let Some(dir) = flag.strip_prefix("-I") {
            build.include(dir);
        } else {
            build.flag(flag);
        }
        i += 1;
    }
    build.compile("ferrovs_dpdk_shim");

    // Bindings.
    let mut builder = bindgen::Builder::default()
        .header("src/wrapper.h")
        .clang_args(cflags.iter())
        .allowlist_function(
            "rte_(eal|eth|dev|devargs|bus|pktmbuf|mbuf|mempool|ring|lcore|thread|strerror|log|vlog|socket|get_main_lcore|exit)_?.*",
        )
        .allowlist_function("rte_strerror|rte_exit|rte_socket_id|rte_log|rte_openlog_stream")
        .allowlist_type("rte_(eth|mbuf|mempool|ring|dev|eal|lcore|thread|log|ether).*")
        .allowlist_var("RTE_(ETH|MBUF|PKTMBUF|MAX|MEMPOOL|RING|LOG|ETHER|LCORE|EAL|DEV|PTYPE)_.*")
        .allowlist_var("RTE_(MAX_ETHPORTS|MAX_LCORE|MAX_NUMA_NODES|CACHE_LINE_SIZE|PKTMBUF_HEADROOM)")
        .allowlist_var("RTE_EAL_PMD_PATH|RTE_ETH_NAME_MAX_LEN|RTE_DEV_NAME_MAX_LEN|LCORE_ID_ANY|SOCKET_ID_ANY")
        .allowlist_var("rte_mbuf_dynfield.*|rte_mbuf_dynflag.*")
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .derive_default(true)
        .derive_debug(true)
        .impl_debug(false)
        .layout_tests(true)
        .wrap_unsafe_ops(true)
        .generate_comments(true)
        .size_t_is_usize(true)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    builder = builder.blocklist_type("max_align_t");

    let generated =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || builder.generate()));
    let bindings = match generated {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => fail(&format!(
            "bindgen could not parse the DPDK headers ({e}): install the Debian packages \
             `libdpdk-dev`, `clang` and `libclang-dev`"
        )),
        Err(_) => fail(
            "bindgen could not load libclang: install the Debian packages `clang` and \
             `libclang-dev` (or set LIBCLANG_PATH)",
        ),
    };
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    bindings
        .write_to_file(out.join("bindings.rs"))
        .unwrap_or_else(|e| fail(&format!("cannot write bindings.rs: {e}")));
}
