//! The default stress run: on the baseline it finds a difference for every
//! carried defect, traced to the patch that fixes it; on the patched build
//! none; runs are repeatable, compile enough traces, shrink, and two merged
//! shards give the whole run.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::Result;

use super::{Held, Trial, expect};
use crate::pipeline::program::generate;
use crate::pipeline::stress::{
    self, DEFAULT_SEED, Plan, RUN_LIMITS, Shard, StressReport, Written, batches, write_programs,
};
use crate::pipeline::suite;
use crate::pipeline::suite::limits::{JitLimit, Limits};
use crate::pipeline::suite::outcome::{Outcome, Status};
use crate::pipeline::variants::BASELINE;
use crate::pipeline::{Context, interpreter};

pub fn checks() -> Vec<Trial> {
    let mut trials = finding_checks();
    trials.extend(shrink_and_run_checks());
    trials
}

/// The checks of what the default run finds on both builds.
fn finding_checks() -> Vec<Trial> {
    vec![
        Trial::new(
            "stress/baseline-carried",
            "baseline: for every carried defect, a difference the patch naming it fixes",
            |fx| {
                let (baseline, _, pair) = fx.stress()?;
                let missing: Vec<String> = stress::carried_found(baseline, &pair.carried)
                    .into_iter()
                    .filter(|(_, found)| !found)
                    .map(|(issue, _)| issue)
                    .collect();
                Ok(expect(missing.is_empty(), || {
                    format!(
                        "nothing fixed by the patch for {} among {} findings",
                        missing.join(", "),
                        baseline.findings.len()
                    )
                }))
            },
        ),
        Trial::new(
            "stress/traces",
            "both builds compile at least 2000 traces",
            |fx| {
                let (baseline, patched, _) = fx.stress()?;
                Ok(expect(
                    baseline.traces >= 2000 && patched.traces >= 2000,
                    || {
                        format!(
                            "baseline {} traces, patched {}",
                            baseline.traces, patched.traces
                        )
                    },
                ))
            },
        ),
        Trial::new(
            "stress/reach",
            "every IR opcode that loads or stores through emit_lso is in some trace of the two runs",
            |fx| {
                let (baseline, patched, _) = fx.stress()?;
                let missed: Vec<&String> = baseline
                    .unreached
                    .iter()
                    .filter(|op| patched.unreached.contains(op))
                    .collect();
                Ok(expect(missed.is_empty(), || {
                    format!("not reached: {missed:?}")
                }))
            },
        ),
        Trial::new(
            "stress/patched-introduces-nothing",
            "patched: every program that differs there differs on the baseline too (the series introduces no difference)",
            |fx| {
                let (baseline, patched, _) = fx.stress()?;
                let introduced: Vec<String> = patched
                    .findings
                    .iter()
                    .filter(|f| {
                        !baseline
                            .findings
                            .iter()
                            .any(|b| b.program_seed == f.program_seed)
                    })
                    .map(|f| format!("{:#x}: {}", f.program_seed, f.difference))
                    .collect();
                Ok(expect(introduced.is_empty(), || introduced.join("\n")))
            },
        ),
        Trial::new(
            "stress/interpreted-runs-shared",
            "the patched build's objects differ from the baseline's only where the JIT alone runs, so its run takes the baseline's interpreted runs; the patched build's own interpreted runs of the first 16 programs give the same outcomes",
            |fx| {
                let (baseline, _, pair) = fx.stress()?;
                let (baseline, baseline_suite, patched_suite) = (
                    baseline.clone(),
                    pair.baseline.suite.clone(),
                    pair.patched.suite.clone(),
                );
                interpreted_runs_shared(&mut fx.cx, &baseline, &baseline_suite, &patched_suite)
            },
        ),
        Trial::new(
            "stress/preexisting-shrunk",
            "patched: every bucket of differences present on both builds has a shrunk reproducer",
            |fx| {
                let (_, patched, _) = fx.stress()?;
                let unshrunk: Vec<String> = stress::buckets(&patched.findings)
                    .iter()
                    .filter(|b| b.shrunk.is_none())
                    .map(|b| b.signature.clone())
                    .collect();
                Ok(expect(unshrunk.is_empty(), || unshrunk.join("\n")))
            },
        ),
    ]
}

/// The checks of the shrinker and of the run itself: repeatable, shardable.
fn shrink_and_run_checks() -> Vec<Trial> {
    vec![
        Trial::new(
            "stress/shrinks",
            "baseline: a finding shrinks to at most 40 lines",
            |fx| {
                let (baseline, _, _) = fx.stress()?;
                let short = baseline
                    .findings
                    .iter()
                    .filter_map(|f| f.shrunk.as_ref())
                    .any(|s| s.lines <= 40);
                Ok(expect(short, || {
                    "no shrunk reproducer that short".to_owned()
                }))
            },
        ),
        Trial::new(
            "stress/buckets-shrunk",
            "baseline: every bucket of findings (signature and fixing patch) has a shrunk reproducer",
            |fx| {
                let (baseline, _, _) = fx.stress()?;
                let unshrunk = unshrunk_buckets(&baseline.findings);
                Ok(expect(unshrunk.is_empty(), || {
                    format!("buckets without one: {}", unshrunk.join("; "))
                }))
            },
        ),
        Trial::new(
            "stress/repeatable",
            "the same seed gives the same programs and results, run after run",
            |fx| {
                let (cx, pair) = fx.pair()?;
                let suite = pair.baseline.suite.clone();
                Ok(expect(deterministic(cx, &suite, 40)?, || {
                    "two runs of 40 programs differ".to_owned()
                }))
            },
        ),
        Trial::new(
            "stress/timeout-rerun",
            "a program whose JIT run runs out of time is run again with a longer limit: a slow one gets its result, a hang stays one; one that hangs without the JIT too is not run again",
            |fx| {
                let (cx, pair) = fx.pair()?;
                let suite = pair.baseline.suite.clone();
                timeouts_rerun(cx, &suite)
            },
        ),
        Trial::new(
            "stress/hangs-confirmed-by-a-few",
            "when a dozen programs run out of time, the first few tried again decide: all hanging again, the rest count as hangs without a second try; one finishing, every other one is tried again",
            |fx| {
                let (cx, pair) = fx.pair()?;
                let suite = pair.baseline.suite.clone();
                hangs_confirmed_by_a_few(cx, &suite)
            },
        ),
        Trial::new(
            "stress/shards-merge",
            "two shards of a run, merged, give the whole run's findings, traces and reach",
            |fx| {
                let (cx, pair) = fx.pair()?;
                let suite = pair.baseline.suite.clone();
                shards_merge_to_whole(cx, &suite)
            },
        ),
    ]
}

/// The claim `stress::run_unshrunk_beside` rests on, tried: the two
/// builds' interpreters are one by their objects, and the patched build,
/// running programs with the JIT off itself, gets what the baseline's run
/// kept (timing aside).
fn interpreted_runs_shared(
    cx: &mut Context,
    baseline: &StressReport,
    baseline_suite: &Path,
    patched_suite: &Path,
) -> Result<Held> {
    let verdict = interpreter::compare(
        &stress::tree_src(baseline_suite),
        &stress::tree_src(patched_suite),
    )?;
    if !matches!(verdict, interpreter::Interpreters::Same { .. }) {
        return Ok(expect(false, || {
            format!("the interpreters differ: {verdict:?}")
        }));
    }
    let reference_file = stress::interpreted_file(baseline);
    let text = std::fs::read_to_string(&reference_file)?;
    let reference: BTreeMap<String, Outcome> = serde_json::from_str(&text)?;
    let dir = cx.target_dir().join("stress").join("interpreted-shared");
    write_programs(&dir, Plan::whole(DEFAULT_SEED, 16))?;
    let mut differing = Vec::new();
    for comparison in suite::run_compare(cx, patched_suite, &dir, RUN_LIMITS)? {
        let own = &comparison.interpreter;
        let same = reference.get(&comparison.name).is_some_and(|kept| {
            (
                &kept.status,
                kept.exit_code,
                kept.signal,
                &kept.error,
                &kept.output,
                &kept.value,
            ) == (
                &own.status,
                own.exit_code,
                own.signal,
                &own.error,
                &own.output,
                &own.value,
            )
        });
        if !same {
            let shown = |o: &Outcome| format!("{} {:?} {:?}", o.summary(), o.value, o.output);
            differing.push(format!(
                "{}: its own run {}, the baseline's kept {}",
                comparison.name,
                shown(own),
                reference
                    .get(&comparison.name)
                    .map_or("nothing".to_owned(), shown)
            ));
        }
    }
    Ok(expect(differing.is_empty(), || differing.join("\n")))
}

/// Runs the first `count` programs of the default seed twice on one build
/// and tells whether both runs agree in everything but timing: statuses,
/// values, errors and traces compiled. Not cached: it is the cache's premise.
fn deterministic(cx: &mut Context, suite_bin: &Path, count: u32) -> Result<bool> {
    let dir = cx.target_dir().join("stress").join("determinism");
    write_programs(&dir, Plan::whole(DEFAULT_SEED, count))?;
    let mut runs = Vec::new();
    for _ in 0..2 {
        let mut comparisons = suite::run_compare(cx, suite_bin, &dir, RUN_LIMITS)?;
        for comparison in &mut comparisons {
            comparison.jit.millis = 0;
            comparison.interpreter.millis = 0;
            // The JIT's limit follows from the interpreter's time: timing too.
            comparison.jit.limit_millis = None;
        }
        runs.push(comparisons);
    }
    Ok(runs[0] == runs[1])
}

/// Three hand-written programs, under limits of 2 s for the interpreter
/// and 1-2 s for the JIT: one hangs with the JIT only the first time it
/// runs (a marker file tells it apart), as a program slowed by a busy
/// machine would; one always hangs with the JIT, and one without it too.
/// The first must end as a pass on both sides, the second as a JIT hang
/// and the third as a hang of both (the program's own, not run again).
fn timeouts_rerun(cx: &mut Context, suite: &Path) -> Result<Held> {
    let home = cx.target_dir().join("stress").join("timeout-rerun");
    if home.exists() {
        std::fs::remove_dir_all(&home)?;
    }
    let dir = home.join("programs");
    let slow_once = slow_once(&home.join("ran-once"));
    let sources = [slow_once.as_str(), JIT_HANG, "while true do end\n"];
    let programs = write_sources(&dir, &sources)?;
    let ran = batches::run(
        cx,
        BASELINE,
        batches::Runner {
            bin: suite,
            reference: None,
        },
        &home,
        &programs,
        "timeout-rerun",
        SHORT_LIMITS,
    )?;
    let statuses: Vec<(Status, Status)> = ran
        .comparisons
        .iter()
        .map(|c| (c.jit.status, c.interpreter.status))
        .collect();
    Ok(expect(
        statuses
            == [
                (Status::Pass, Status::Pass),
                (Status::Timeout, Status::Pass),
                (Status::Timeout, Status::Timeout),
            ],
        || format!("JIT and interpreter statuses: {statuses:?}"),
    ))
}

/// A program that hangs with the JIT, and not without it.
const JIT_HANG: &str = "if jit.status() then while true do end end\nreturn 1\n";

/// Limits of 2 s for the interpreter and 1-2 s for the JIT (a second try 2-4 s).
const SHORT_LIMITS: Limits = Limits {
    interpreter: Duration::from_secs(2),
    jit: JitLimit {
        factor: 10.0,
        floor: Duration::from_secs(1),
        ceiling: Duration::from_secs(2),
    },
};

/// A program that hangs with the JIT the first time it runs only (`marker`
/// tells the runs apart), as a program slowed by a busy machine would.
fn slow_once(marker: &Path) -> String {
    format!(
        "if jit.status() then\n\
         local marker = {:?}\n\
         local seen = io.open(marker, \"r\")\n\
         if seen then seen:close() return 1 end\n\
         io.open(marker, \"w\"):close()\n\
         while true do end\n\
         end\n\
         return 1\n",
        marker.to_string_lossy()
    )
}

/// `sources` as the programs of a run, written into `dir`.
fn write_sources(dir: &Path, sources: &[&str]) -> Result<Vec<Written>> {
    std::fs::create_dir_all(dir)?;
    let mut programs = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        let path = dir.join(format!("p{index:05}.lua"));
        std::fs::write(&path, source)?;
        programs.push(Written {
            index,
            path,
            program: generate::program(index as u64),
        });
    }
    Ok(programs)
}

/// Two runs of a dozen programs that run out of the JIT's time. In the
/// first every one hangs: only the first `CONFIRMING_PER_CORE` per core
/// may get a second try (a longer limit), every one must end a hang. In
/// the second the first few are only slow (they finish when tried again):
/// then every program must get its second try.
fn hangs_confirmed_by_a_few(cx: &mut Context, suite: &Path) -> Result<Held> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let confirming = batches::CONFIRMING_PER_CORE * cores;
    let count = 3 * confirming;
    let first_limit = SHORT_LIMITS.jit.floor.as_millis() as u64;
    let home = cx.target_dir().join("stress").join("hangs-confirmed");
    if home.exists() {
        std::fs::remove_dir_all(&home)?;
    }
    let mut failed = Vec::new();
    for slow_first in [false, true] {
        let run_home = home.join(if slow_first { "slow-first" } else { "all-hang" });
        let markers: Vec<String> = (0..confirming)
            .map(|k| slow_once(&run_home.join(format!("ran-once-{k}"))))
            .collect();
        let sources: Vec<&str> = (0..count)
            .map(|k| match slow_first && k < confirming {
                true => markers[k].as_str(),
                false => JIT_HANG,
            })
            .collect();
        let programs = write_sources(&run_home.join("programs"), &sources)?;
        let ran = batches::run(
            cx,
            BASELINE,
            batches::Runner {
                bin: suite,
                reference: None,
            },
            &run_home,
            &programs,
            "hangs-confirmed",
            SHORT_LIMITS,
        )?;
        let tried_again = ran
            .comparisons
            .iter()
            .filter(|c| c.jit.limit_millis.is_some_and(|ms| ms > first_limit))
            .count();
        let hangs = ran
            .comparisons
            .iter()
            .filter(|c| c.jit.status == Status::Timeout)
            .count();
        let (want_tried, want_hangs) = match slow_first {
            false => (confirming, count),
            true => (count, count - confirming),
        };
        if (tried_again, hangs) != (want_tried, want_hangs) {
            failed.push(format!(
                "{}: {tried_again} of {count} tried again (expected {want_tried}), {hangs} hangs (expected {want_hangs})",
                if slow_first { "the first few only slow" } else { "all hang" }
            ));
        }
    }
    Ok(expect(failed.is_empty(), || failed.join("; ")))
}

/// Runs 40 programs on the baseline whole and as two shards, merges the
/// shards and compares.
fn shards_merge_to_whole(cx: &mut Context, suite: &Path) -> Result<Held> {
    let whole = Plan::whole(DEFAULT_SEED, 40);
    let all = stress::run_unshrunk(cx, BASELINE, suite, whole)?;
    let mut shards = Vec::new();
    for index in 1..=2 {
        let plan = Plan {
            shard: Shard { index, of: 2 },
            ..whole
        };
        shards.push(stress::run_unshrunk(cx, BASELINE, suite, plan)?);
    }
    let merged = stress::merge(shards)?;
    let key = |r: &StressReport| {
        let findings: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.index, f.program_seed, f.kind, f.difference.clone()))
            .collect();
        let reach: Vec<_> = r
            .reach
            .iter()
            .map(|x| (x.opcode.clone(), x.traces))
            .collect();
        (r.programs, r.traces, findings, reach)
    };
    Ok(expect(key(&all) == key(&merged), || {
        format!(
            "whole: {} programs, {} traces, {} findings; merged: {} programs, {} traces, {} findings",
            all.programs,
            all.traces,
            all.findings.len(),
            merged.programs,
            merged.traces,
            merged.findings.len()
        )
    }))
}

/// The buckets of `findings` (signature and fixing patch) that hold no
/// shrunk finding, leaving out those shrinking never takes (programs that
/// fail without the JIT).
fn unshrunk_buckets(findings: &[stress::Finding]) -> Vec<String> {
    stress::buckets(findings)
        .into_iter()
        .filter(|b| b.shrunk.is_none())
        .filter(|b| {
            b.findings
                .iter()
                .any(|&i| findings[i].kind != stress::Kind::FailsWithoutJit)
        })
        .map(|b| match b.fixed_by {
            Some(patch) => format!("{} (fixed by {patch})", b.signature),
            None => b.signature,
        })
        .collect()
}
