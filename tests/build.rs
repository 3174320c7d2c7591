//! Compiles the emit_lso harness (lso/harness.c) and the trace-start
//! helper of the machine-code capture (src/capture.c) against the LuaJIT tree
//! luajit-sys links, whose src/ folder luajit-sys passes on as DEP_LUAJIT_SRC.
//! Only an aarch64 build has the ARM64 backend; elsewhere the harness is left
//! out and the `lso_harness` cfg stays unset.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(lso_harness)");
    println!("cargo::rerun-if-changed=lso/harness.c");
    // The trace-start helper of the machine-code capture reads LuaJIT's
    // internal structures, so it is compiled against the same tree.
    println!("cargo::rerun-if-changed=src/capture.c");
    println!("cargo::rerun-if-changed=src/coverage.c");
    let tree_src =
        PathBuf::from(env::var_os("DEP_LUAJIT_SRC").expect("luajit-sys passes DEP_LUAJIT_SRC"));
    // An instrumented tree: forked children write their gcov counters
    // before `_exit`, which skips the atexit handler that would.
    let coverage = env::var("DEP_LUAJIT_COVERAGE").as_deref() == Ok("1");
    if coverage {
        println!("suite: the LuaJIT build is instrumented; children dump gcov counters");
    }
    cc::Build::new()
        .file("src/capture.c")
        .file("src/coverage.c")
        .define("SUITE_COVERAGE", if coverage { "1" } else { "0" })
        .include(&tree_src)
        .warnings(false)
        .flag_if_supported("-w")
        .compile("capture_helper");
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("aarch64") {
        println!("suite: not an aarch64 target, the emit_lso harness is not built");
        return;
    }
    let src = tree_src;
    println!(
        "suite: compiling the emit_lso harness against {}",
        src.display()
    );
    for header in [
        "lj_emit_arm64.h",
        "lj_asm.c",
        "lj_asm_arm64.h",
        "lj_target_arm64.h",
    ] {
        println!("cargo::rerun-if-changed={}", src.join(header).display());
    }
    cc::Build::new()
        .file("lso/harness.c")
        .include(&src)
        .opt_level(2)
        .warnings(false)
        .flag_if_supported("-w")
        .compile("lso_harness");
    println!("cargo::rustc-cfg=lso_harness");
}
