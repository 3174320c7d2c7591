//! The guard tally: which exits of the compiled traces a stress run's
//! programs took. Line and decision reach say which code of the backend
//! assembled a guard; this says whether the guard's other outcome (its
//! exit) ever happened in the machine code, where a wrongly encoded guard
//! shows.
//!
//! The run's programs run once more, JIT on only, each inside
//! `guard_tally.lua`, which attaches handlers to the JIT's `trace` and
//! `texit` events, and returns the tally as its value. It is a pass of its
//! own: the handlers never run in the compared runs of the real stress run.
//! A failing guard leaves through the exit of the snapshot in force, and
//! several guards share a snapshot, so the tally is per snapshot: an exit
//! counts for every guard opcode of its snapshot.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use super::cache::{Key, cached};
use super::stress::{self, Plan};
use super::suite::limits::{JitLimit, Limits};
use super::suite::outcome::Status;
use super::{Context, step, suite};

const TALLY_LUA: &str = include_str!("guard_tally.lua");
/// The first line of a tally, so that a program's own value is never read
/// as one.
const HEADER: &str = "guard-tally";

/// The tally's pass skips the interpreter's run (the wrapper returns at
/// once with the JIT off), so the JIT's limit cannot follow from it: every
/// program gets the stress run's ceiling.
const TALLY_LIMITS: Limits = Limits {
    interpreter: stress::RUN_LIMITS.interpreter,
    jit: JitLimit::fixed(stress::RUN_LIMITS.jit.ceiling),
};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardTally {
    /// Programs whose tally was read, and those that gave none (a hang or
    /// a crash in the tally's pass).
    pub programs: u64,
    pub without_tally: u64,
    /// Programs that raised an error (their tally counts all the same).
    pub errors: u64,
    /// Compiled traces, and those of them with an exit taken.
    pub traces: u64,
    pub traces_exited: u64,
    /// Snapshots (exits) of those traces, and those taken at least once.
    pub exits: u64,
    pub exits_taken: u64,
    /// Snapshots in force at one guard or more, and those taken.
    pub guarded: u64,
    pub guarded_taken: u64,
    /// By guard opcode: the snapshots in force at such a guard, and those
    /// taken.
    pub ops: BTreeMap<String, OpTally>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpTally {
    pub snapshots: u64,
    pub taken: u64,
}

impl GuardTally {
    /// One program's tally from the text `guard_tally.lua` returns.
    pub fn parse(text: &str) -> Result<GuardTally> {
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            bail!("not a guard tally: {text:?}");
        }
        let mut tally = GuardTally {
            programs: 1,
            ..GuardTally::default()
        };
        let pair = |fields: &[&str]| -> Result<(u64, u64)> {
            match fields {
                [all, taken] => {
                    let all: u64 = all.parse().context("a count")?;
                    let taken: u64 = taken.parse().context("a count")?;
                    if taken > all {
                        bail!("{taken} taken of {all}");
                    }
                    Ok((all, taken))
                }
                _ => bail!("two counts expected, got {fields:?}"),
            }
        };
        for line in lines {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let read = match fields.as_slice() {
                ["ran", "ok"] => Ok(()),
                ["ran", "error"] => {
                    tally.errors = 1;
                    Ok(())
                }
                ["traces", rest @ ..] => {
                    pair(rest).map(|(a, t)| (tally.traces, tally.traces_exited) = (a, t))
                }
                ["exits", rest @ ..] => {
                    pair(rest).map(|(a, t)| (tally.exits, tally.exits_taken) = (a, t))
                }
                ["guarded", rest @ ..] => {
                    pair(rest).map(|(a, t)| (tally.guarded, tally.guarded_taken) = (a, t))
                }
                ["op", name, rest @ ..] => pair(rest).map(|(snapshots, taken)| {
                    tally
                        .ops
                        .insert((*name).to_owned(), OpTally { snapshots, taken });
                }),
                _ => Err(anyhow::anyhow!("unknown line")),
            };
            read.with_context(|| format!("guard tally line {line:?}"))?;
        }
        if tally.guarded > tally.exits || tally.exits_taken < tally.guarded_taken {
            bail!("a guard tally with more guarded snapshots than snapshots: {text:?}");
        }
        Ok(tally)
    }

    /// The tally of two sets of programs together.
    pub fn add(mut self, other: &GuardTally) -> GuardTally {
        self.programs += other.programs;
        self.without_tally += other.without_tally;
        self.errors += other.errors;
        self.traces += other.traces;
        self.traces_exited += other.traces_exited;
        self.exits += other.exits;
        self.exits_taken += other.exits_taken;
        self.guarded += other.guarded;
        self.guarded_taken += other.guarded_taken;
        for (name, theirs) in &other.ops {
            let ours = self.ops.entry(name.clone()).or_default();
            ours.snapshots += theirs.snapshots;
            ours.taken += theirs.taken;
        }
        self
    }

    /// One line for the terminal and reports.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "guard tally (per snapshot) of {} programs: {} traces, {} with an exit taken; {}/{} exits taken at least once ({:.1}%), {}/{} of the snapshots holding a guard ({:.1}%)",
            self.programs,
            self.traces,
            self.traces_exited,
            self.exits_taken,
            self.exits,
            percent(self.exits_taken, self.exits),
            self.guarded_taken,
            self.guarded,
            percent(self.guarded_taken, self.guarded)
        );
        if self.without_tally > 0 {
            line.push_str(&format!(
                "; {} programs gave no tally (hang or crash)",
                self.without_tally
            ));
        }
        line
    }

    /// The summary and the table by guard opcode, most snapshots first.
    pub fn markdown(&self) -> String {
        let mut md = format!(
            "{}\n\nBy guard opcode (a snapshot counts for each opcode among its guards; an exit says that one of them failed, not which):\n\n| guard | snapshots | exited at least once |\n|---|---|---|\n",
            self.summary()
        );
        let mut ops: Vec<(&String, &OpTally)> = self.ops.iter().collect();
        ops.sort_by(|a, b| b.1.snapshots.cmp(&a.1.snapshots).then(a.0.cmp(b.0)));
        for (name, op) in ops {
            md.push_str(&format!(
                "| {name} | {} | {} ({:.1}%) |\n",
                op.snapshots,
                op.taken,
                percent(op.taken, op.snapshots)
            ));
        }
        md
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// The script that runs `program` (named `chunk` as the stress run names
/// it) under the tally, with the IR's names from the tree's `src`.
fn wrapper(program: &Path, chunk: &str, src: &Path) -> Result<String> {
    let quoted = |text: &str| -> Result<String> {
        if text.chars().any(|c| c.is_control()) {
            bail!("{text:?} cannot be a Lua string here");
        }
        Ok(format!(
            "\"{}\"",
            text.replace('\\', "\\\\").replace('"', "\\\"")
        ))
    };
    Ok(format!(
        "if not jit.status() then return \"{HEADER}\\nskipped\" end\nlocal PROGRAM, CHUNK, SRC = {}, {}, {}\n{TALLY_LUA}",
        quoted(&program.display().to_string())?,
        quoted(chunk)?,
        quoted(&src.display().to_string())?
    ))
}

/// Runs the programs of `plan` under the tally on `suite` (linked against
/// the tree `tree`) and sums their tallies. Cached by the suite, the plan,
/// the generator and the tally's script.
pub fn measure(cx: &mut Context, suite_bin: &Path, tree: &Path, plan: Plan) -> Result<GuardTally> {
    let key = Key::new("guard-tally")
        .text("suite", cx.cache.suite_hash(suite_bin)?)
        .text("plan", plan.label())
        .text("generator", stress::generator_key())
        .text("tally", TALLY_LUA);
    // The build's name, as the other steps print it: its tree's folder.
    let name = tree.parent().and_then(|home| home.file_name()).map_or_else(
        || tree.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    cached(cx, &format!("{name}: guard tally"), key, |cx| {
        let timer = step(format!(
            "{name}: running {} once more with the guard tally",
            plan.label()
        ));
        let home = tree.with_file_name("guard-tally");
        let programs = home.join("programs");
        let wrappers = home.join("wrappers");
        let written = stress::write_programs(&programs, plan)?;
        if wrappers.exists() {
            fs::remove_dir_all(&wrappers)
                .with_context(|| format!("cannot clear {}", wrappers.display()))?;
        }
        fs::create_dir_all(&wrappers)
            .with_context(|| format!("cannot create {}", wrappers.display()))?;
        let src = tree.join("src").canonicalize()?;
        for program in &written {
            let name = program.path.file_name().expect("a program file");
            let chunk = format!("@{}", name.to_string_lossy());
            let script = wrapper(&program.path.canonicalize()?, &chunk, &src)?;
            fs::write(wrappers.join(name), script)?;
        }
        let comparisons = suite::run_compare(cx, suite_bin, &wrappers, TALLY_LIMITS)?;
        let tally = sum(comparisons.iter().map(|c| {
            (c.jit.status == Status::Pass)
                .then_some(c.jit.value.as_deref())
                .flatten()
        }))?;
        timer.done();
        Ok(tally)
    })
}

/// The tallies of the programs' JIT runs together; a run without one (a
/// hang, a crash) counts apart.
fn sum<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> Result<GuardTally> {
    let mut total = GuardTally::default();
    for value in values {
        match value {
            Some(text) if text.starts_with(HEADER) => total = total.add(&GuardTally::parse(text)?),
            _ => total.without_tally += 1,
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = "guard-tally\nran ok\ntraces 4 3\nexits 18 5\nguarded 16 5\nop ABC 3 1\nop LE 6 2\nop SLOAD 4 0";

    #[test]
    fn a_programs_tally_is_read_line_by_line() {
        let tally = GuardTally::parse(ONE).unwrap();
        assert_eq!((tally.programs, tally.errors), (1, 0));
        assert_eq!((tally.traces, tally.traces_exited), (4, 3));
        assert_eq!((tally.exits, tally.exits_taken), (18, 5));
        assert_eq!((tally.guarded, tally.guarded_taken), (16, 5));
        assert_eq!(
            tally.ops["LE"],
            OpTally {
                snapshots: 6,
                taken: 2
            }
        );
        assert_eq!(tally.ops.len(), 3);
    }

    #[test]
    fn tallies_add_up_and_a_run_without_one_counts_apart() {
        let other = "guard-tally\nran error\ntraces 1 0\nexits 2 0\nguarded 1 0\nop LE 1 0";
        let total = sum([Some(ONE), None, Some(other), Some("42")]).unwrap();
        assert_eq!(
            (total.programs, total.without_tally, total.errors),
            (2, 2, 1)
        );
        assert_eq!((total.exits, total.exits_taken), (20, 5));
        assert_eq!((total.traces, total.traces_exited), (5, 3));
        assert_eq!(total.ops["LE"].snapshots, 7);
        assert_eq!(total.ops["ABC"].snapshots, 3);
    }

    #[test]
    fn a_malformed_tally_is_an_error() {
        assert!(GuardTally::parse("guard-tally\nexits 2 3").is_err());
        assert!(GuardTally::parse("guard-tally\nexits 2").is_err());
        assert!(GuardTally::parse("guard-tally\nwhat 1 1").is_err());
        assert!(GuardTally::parse("traces 1 1").is_err());
    }

    #[test]
    fn the_wrapper_skips_the_interpreters_run_and_quotes_paths() {
        let script = wrapper(Path::new("/t/p\"1.lua"), "@p1.lua", Path::new("/tree/src")).unwrap();
        assert!(script.starts_with("if not jit.status() then return"));
        assert!(
            script.contains(r#"local PROGRAM, CHUNK, SRC = "/t/p\"1.lua", "@p1.lua", "/tree/src""#)
        );
        assert!(wrapper(Path::new("/t/a\nb"), "@x", Path::new("/s")).is_err());
    }
}
