//! `cargo xtask test`: the project's own tests. Unit tests on the host, the
//! suite's own tests on aarch64, then every regression case on both variants
//! against what it should do there (see `pipeline::expect`).

use anyhow::{Context as _, Result};
use xshell::cmd;

use crate::Verdict;
use crate::flags;
use crate::pipeline::expect;
use crate::pipeline::variants::{BASELINE, PATCHED, prepare_pair};
use crate::pipeline::{Context, TARGET, cargo, step, suite};

pub fn run(_args: flags::Test) -> Result<Verdict> {
    let mut cx = Context::new()?;
    let cargo = cargo();

    let timer = step("unit tests of the xtask (host)");
    cmd!(cx.sh, "{cargo} test --package xtask").run().context("the xtask's unit tests failed")?;
    timer.done();

    let pair = prepare_pair(&mut cx)?;

    let timer = step(format!("unit tests of the suite ({TARGET}, linked against the patched build)"));
    let runner_var = format!("CARGO_TARGET_{}_RUNNER", TARGET.to_uppercase().replace('-', "_"));
    cmd!(cx.sh, "{cargo} test --package suite --target {TARGET}")
        .env("LUAJIT_SYS_DIR", &pair.patched.built.dir)
        .env(runner_var, cx.toolchain.cargo_runner())
        .run()
        .context("the suite's unit tests failed")?;
    timer.done();

    let cases_dir = cx.cases_dir();
    let baseline = suite::run_cases(&mut cx, BASELINE, &pair.baseline.suite, &cases_dir)?;
    let patched = suite::run_cases(&mut cx, PATCHED, &pair.patched.suite, &cases_dir)?;
    let mut checks = expect::baseline_checks(&baseline, &pair.carried, BASELINE);
    checks.extend(expect::patched_checks(&patched, PATCHED));

    println!("\nregression cases against their expectations (baseline carries {}):", pair.carried.join(", "));
    for check in &checks {
        let mark = if check.held { "ok" } else { "FAILED" };
        println!("  {mark:<6} {} on {}: expected {}", check.case, check.variant, check.expected);
        if !check.held {
            println!("         got {}", check.observed);
        }
    }
    let failed = checks.iter().filter(|c| !c.held).count();
    println!("\n{} passed, {} failed", checks.len() - failed, failed);
    Ok(if failed == 0 { Verdict::Sound } else { Verdict::Defects })
}
