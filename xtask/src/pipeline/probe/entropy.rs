//! Pinning a deployed LuaJIT's randomness, so that probing the same binary
//! twice gives the same answer. LuaJIT seeds its PRNG from the kernel, and
//! the PRNG places the machine code of traces and seeds string hashing: a
//! program that crashes only at some placements would otherwise come and go
//! from probe to probe. probe-entropy (entropy.c), preloaded into every run,
//! answers those requests from a seed. QEMU's own address layout needs no
//! pinning: for an aarch64 guest on a 64-bit host it places the guest's
//! memory the same way every run, host ASLR or not.
//!
//! Every run starts under the first seed; a stress program that differs
//! between the JIT and the interpreter runs again under the others, which
//! tells a difference that holds from one that shows only at some
//! placements (flaky).

use std::fs;
use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use super::exec::Runner;
use crate::pipeline::suite::outcome::Status;

/// The variable probe-entropy reads its seed from.
pub const SEED_VAR: &str = "PROBE_ENTROPY_SEED";
/// The seeds a stress program that differs runs under, the first the one
/// every run starts with: five runs in all.
pub const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];
const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// How the probe dealt with the binary's randomness, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct Entropy {
    /// The seeds a differing program runs under, the first for every run.
    pub seeds: Vec<u64>,
    /// Whether two runs under one seed hashed strings and placed machine
    /// code alike. When not, the binary draws randomness probe-entropy does
    /// not answer, and a program may differ in one probe and not the next.
    pub pinned: bool,
}

/// Preloads `preload` (probe-entropy) into `runner`'s program with `seed`.
pub fn pin(runner: &mut Runner, preload: &Path, seed: u64) {
    runner.set_guest_env("LD_PRELOAD", preload);
    runner.set_guest_env(SEED_VAR, seed.to_string());
}

/// `runner` with its randomness drawn from `seed` instead.
pub fn with_seed(runner: &Runner, seed: u64) -> Runner {
    let mut other = runner.clone();
    other.set_guest_env(SEED_VAR, seed.to_string());
    other
}

/// What the binary's randomness decides, printed: the order `pairs` visits
/// string keys in (the string hash seed) and, with the JIT on, where the
/// first trace's machine code is.
const SHOW_RANDOMNESS: &str = r#"local keys = {}
for i = 1, 64 do keys["k" .. i] = true end
local order = {}
for key in pairs(keys) do order[#order + 1] = key end
io.write(table.concat(order, " "), "\n")
if jit.status() then
  jit.opt.start("hotloop=1")
  local sum = 0
  for i = 1, 100 do sum = sum + i end
  io.write(tostring(select(2, require("jit.util").tracemc(1))), "\n")
end
"#;

/// Runs a script that prints what the binary's randomness decides twice
/// under `runner`'s seed, and reports whether the two agree.
pub fn check(runner: &Runner, work: &Path) -> Result<Entropy> {
    let script = work.join("show-randomness.lua");
    fs::write(&script, SHOW_RANDOMNESS)?;
    let first = runner.run(&[script.as_os_str()], false, CHECK_TIMEOUT)?;
    let second = runner.run(&[script.as_os_str()], false, CHECK_TIMEOUT)?;
    Ok(Entropy {
        seeds: SEEDS.to_vec(),
        pinned: agree(&first, &second),
    })
}

fn agree(
    first: &crate::pipeline::suite::outcome::Outcome,
    second: &crate::pipeline::suite::outcome::Outcome,
) -> bool {
    first.status == Status::Pass && second.status == Status::Pass && first.output == second.output
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::testing;

    #[test]
    fn pinned_only_when_both_runs_pass_and_print_the_same() {
        let run = |status, output: &str| crate::pipeline::suite::outcome::Outcome {
            output: output.to_owned(),
            ..testing::outcome(status, None)
        };
        let same = run(Status::Pass, "k3 k1 k2\n365016121244\n");
        assert!(agree(&same, &same.clone()));
        let moved = run(Status::Pass, "k3 k1 k2\n365123862428\n");
        assert!(!agree(&same, &moved));
        let crashed = run(Status::Crash, "k3 k1 k2\n365016121244\n");
        assert!(!agree(&crashed, &crashed.clone()));
    }
}
