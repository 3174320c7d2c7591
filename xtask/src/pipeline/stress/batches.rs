//! Running a stress run's programs in small batches, one suite process per
//! core at a time, each batch journaled as it finishes: progress can be
//! shown, and a rerun of an interrupted run skips what it finished.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use super::journal::{self, Finished, Journal};
use super::progress::Progress;
use super::{Written, difference_kind, reset_dir};
use crate::pipeline::Context;
use crate::pipeline::cache;
use crate::pipeline::suite::limits::Limits;
use crate::pipeline::suite::outcome::{Comparison, Status};
use crate::pipeline::suite::{compare_limits, read_comparisons, reference_args, shown};

/// The most programs one suite process runs before it reports: small enough
/// that the progress moves and an interrupt loses little, large enough that
/// starting a process (0.1 s under QEMU) stays a small part of a batch.
const MOST_PER_BATCH: usize = 8;

/// A program whose JIT run ran out of time is run again, interpreter and
/// all, with this many times the JIT's limit, before its hang counts: a
/// machine busy with other work can slow one run more than the
/// interpreter's run just before it, and a slow program is not a hang.
/// With `RUN_LIMITS` that is 20 times the interpreter's time, two and a
/// half times the largest ratio a clean program was seen to take; every
/// hang pays it, so it is no larger.
pub(super) const RERUN_LIMIT_FACTOR: f64 = 2.0;

/// How many of the programs that ran out of time are tried again first,
/// per core. When every one of them runs out again, the first pass's
/// timeouts were hangs and not a busy machine, and the others count as
/// hangs without their second try: a defect that hangs programs by the
/// dozen then costs a few seconds more, not a second try each. When one
/// of them finishes, the machine was slow, and every other one is tried
/// again.
pub(crate) const CONFIRMING_PER_CORE: usize = 2;

/// Where a run keeps its journal, in the run's own folder.
pub fn journal_path(home: &Path) -> PathBuf {
    home.join("journal.jsonl")
}

/// The programs' comparisons in the order given, and the seconds spent
/// running programs over every session of the run.
pub struct Ran {
    pub comparisons: Vec<Comparison>,
    pub run_seconds: f64,
    /// Of those, what earlier sessions spent.
    pub resumed_seconds: f64,
}

/// A batch of programs in its own folder of links, as its suite process sees it.
struct Batch {
    dir: PathBuf,
    /// Each program's place in the run, by the name the suite reports it under.
    places: BTreeMap<String, usize>,
}

/// Runs `programs` (written under `home`) with the JIT off and on under
/// `limits`, those an earlier session of the run named `key` journaled
/// excepted; then those whose JIT run ran out of time once more, with
/// `RERUN_LIMIT_FACTOR` times the JIT's limit, spread over the cores as
/// the first pass is.
pub fn run(
    cx: &mut Context,
    variant: &str,
    suite: Runner,
    home: &Path,
    programs: &[Written],
    key: &str,
    limits: Limits,
) -> Result<Ran> {
    let journal_file = journal_path(home);
    let resumed = resume(&journal_file, key, programs);
    let mut journal = Journal::create(&journal_file, key, &resumed)?;
    let left: Vec<&Written> = programs
        .iter()
        .filter(|w| !resumed.finished.contains_key(&w.index))
        .collect();
    let resumed_findings = resumed
        .finished
        .values()
        .filter(|c| difference_kind(c).is_some())
        .count();
    let mut progress = Progress::start(
        variant,
        programs.len(),
        resumed.finished.len(),
        resumed_findings,
    );
    let started = Instant::now();
    let resumed_seconds = resumed.run_seconds;
    let run_seconds = || resumed_seconds + started.elapsed().as_secs_f64();
    let mut finished = resumed.finished;
    let batches_dir = home.join("batches");
    reset_dir(&batches_dir)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let first = cut_batches(&batches_dir.join("first"), groups(&left, cores))?;
    run_batches(cx, suite, first, limits, cores, |done| {
        let findings = done
            .iter()
            .filter(|f| difference_kind(&f.comparison).is_some())
            .count();
        progress.advance(done.len(), findings);
        journal.append(run_seconds(), done.clone())?;
        finished.extend(done.into_iter().map(|f| (f.index, f.comparison)));
        Ok(())
    })?;
    progress.finish();
    let slow = ran_out(programs, &finished);
    if !slow.is_empty() {
        let rerun_limits = limits.rerun(RERUN_LIMIT_FACTOR);
        eprintln!(
            "stress: {} programs ran out of the JIT's limit; running them again with {RERUN_LIMIT_FACTOR} times it, spread over the cores",
            slow.len()
        );
        let (confirming, rest) = confirming_first(&slow, cores);
        // Runs `tries` a second time; how many of them finished.
        let mut second_tries = |cx: &mut Context, tries: &[&Written], folder: &str| {
            let mut recovered = 0;
            let queue = cut_batches(&batches_dir.join(folder), groups(tries, cores))?;
            run_batches(cx, suite, queue, rerun_limits, cores, |done| {
                for f in &done {
                    let first = &finished[&f.index];
                    eprintln!("stress: {}", second_try_text(first, &f.comparison));
                    recovered += usize::from(!jit_ran_out(&f.comparison));
                }
                journal.append(run_seconds(), done.clone())?;
                finished.extend(done.into_iter().map(|f| (f.index, f.comparison)));
                Ok(())
            })?;
            anyhow::Ok(recovered)
        };
        let recovered = second_tries(cx, confirming, "again")?;
        if !rest.is_empty() {
            if recovered > 0 {
                second_tries(cx, rest, "again-rest")?;
            } else {
                eprintln!(
                    "stress: the {} programs tried again all ran out again: the first pass's timeouts are hangs, so the other {} count as hangs without a second try",
                    confirming.len(),
                    rest.len()
                );
            }
        }
    }
    let _ = fs::remove_dir_all(&batches_dir);
    let comparisons = programs
        .iter()
        .map(|w| {
            finished
                .remove(&w.index)
                .with_context(|| format!("program {} was not run", w.index))
        })
        .collect::<Result<_>>()?;
    Ok(Ran {
        comparisons,
        run_seconds: run_seconds(),
        resumed_seconds,
    })
}

/// Runs the batches of `queue`, one suite process per core at a time,
/// handing each batch's programs to `done` as the batch finishes.
fn run_batches(
    cx: &mut Context,
    suite: Runner,
    mut queue: VecDeque<Batch>,
    limits: Limits,
    cores: usize,
    mut done: impl FnMut(Vec<Finished>) -> Result<()>,
) -> Result<()> {
    let (sender, receiver) = mpsc::channel();
    let mut running = 0;
    while running > 0 || !queue.is_empty() {
        while running < cores
            && let Some(batch) = queue.pop_front()
        {
            start_batch(cx, suite, batch, limits, sender.clone())?;
            running += 1;
        }
        let (batch, comparisons) = receiver.recv().context("a batch's runner went away")?;
        running -= 1;
        let finished = place_comparisons(&batch, comparisons?)?;
        let _ = fs::remove_dir_all(&batch.dir);
        done(finished)?;
    }
    Ok(())
}

/// The programs of `finished` to run a second time (`jit_ran_out`), in
/// run order.
fn ran_out<'a>(
    programs: &'a [Written],
    finished: &BTreeMap<usize, Comparison>,
) -> Vec<&'a Written> {
    programs
        .iter()
        .filter(|w| finished.get(&w.index).is_some_and(jit_ran_out))
        .collect()
}

/// The programs that ran out of time split into those tried again first
/// and the rest, which waits on how they end (`CONFIRMING_PER_CORE`). A
/// handful of timeouts are all tried again at once: waiting would save
/// little.
fn confirming_first<'s, 'a>(
    slow: &'s [&'a Written],
    cores: usize,
) -> (&'s [&'a Written], &'s [&'a Written]) {
    let first = CONFIRMING_PER_CORE * cores;
    if slow.len() <= 2 * first {
        (slow, &[])
    } else {
        slow.split_at(first)
    }
}

/// Whether the JIT run ran out of its time while the interpreter's run
/// finished: a hang to make sure of. An interpreter that runs out of its
/// generous fixed limit is the program's own fault, and trying again
/// would not change that.
pub(super) fn jit_ran_out(comparison: &Comparison) -> bool {
    comparison.jit.status == Status::Timeout && comparison.interpreter.status == Status::Pass
}

/// What a program's second try ended in, after `first`, on one line.
fn second_try_text(first: &Comparison, second: &Comparison) -> String {
    let limit = |c: &Comparison| {
        c.jit.limit_millis.map_or("its".to_owned(), |ms| {
            format!("{:.1} s", ms as f64 / 1000.0)
        })
    };
    let ended = if jit_ran_out(second) {
        "ran out of it again: a hang".to_owned()
    } else {
        format!(
            "finished ({})",
            second
                .difference()
                .unwrap_or_else(|| "JIT and interpreter agree".to_owned())
        )
    };
    format!(
        "{} ran out of its JIT limit of {}; tried again with {}, it {ended}",
        second.name,
        limit(first),
        limit(second)
    )
}

/// What the journal of the run named `key` holds of `programs`, said on
/// one line when it holds any.
fn resume(journal_file: &Path, key: &str, programs: &[Written]) -> journal::Resumed {
    // `--no-cache` asks for everything to be computed anew, this run's programs too.
    match journal::set_aside_other_run(journal_file, key) {
        Ok(Some(aside)) => eprintln!(
            "stress: the journal of this seed and count was written by another suite build or generator, so the run starts afresh; its programs are kept in {}",
            aside.display()
        ),
        Ok(None) => {}
        Err(error) => eprintln!("stress: {error:#}; the run starts afresh"),
    }
    let mut resumed = match cache::enabled() {
        true => journal::read(journal_file, key),
        false => journal::Resumed::default(),
    };
    let wanted: BTreeSet<usize> = programs.iter().map(|w| w.index).collect();
    resumed.finished.retain(|index, _| wanted.contains(index));
    if !resumed.finished.is_empty() {
        eprintln!(
            "stress: resuming, {} of {} programs already run",
            resumed.finished.len(),
            programs.len()
        );
    }
    resumed
}

/// `programs` in run order, grouped into batches for `cores` processes
/// (see `batch_sizes`).
fn groups<'a>(programs: &[&'a Written], cores: usize) -> Vec<Vec<&'a Written>> {
    let mut from = 0;
    batch_sizes(programs.len(), cores)
        .map(|size| {
            from += size;
            programs[from - size..from].to_vec()
        })
        .collect()
}

/// `groups` as batches, each linked into a folder of its own under `dir`.
fn cut_batches(dir: &Path, groups: Vec<Vec<&Written>>) -> Result<VecDeque<Batch>> {
    groups
        .iter()
        .enumerate()
        .map(|(number, group)| link_batch(&dir.join(format!("b{number:05}")), group))
        .collect()
}

/// The sizes of the batches `programs` are cut into for `cores` processes:
/// at most `MOST_PER_BATCH`, and a short run in at least four batches per
/// core, so that no core idles long while the last batch runs.
fn batch_sizes(programs: usize, cores: usize) -> impl Iterator<Item = usize> {
    let size = programs.div_ceil(4 * cores.max(1)).clamp(1, MOST_PER_BATCH);
    (0..programs.div_ceil(size)).map(move |n| size.min(programs - n * size))
}

/// A folder holding links to `programs`, under the names they were written as.
fn link_batch(dir: &Path, programs: &[&Written]) -> Result<Batch> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut places = BTreeMap::new();
    for written in programs {
        let name = written
            .path
            .file_name()
            .context("a program has a file name")?;
        let link = dir.join(name);
        fs::hard_link(&written.path, &link)
            .or_else(|_| fs::copy(&written.path, &link).map(|_| ()))
            .with_context(|| format!("cannot link {} into a batch", written.path.display()))?;
        let stem = Path::new(name).file_stem().unwrap_or_default();
        places.insert(stem.to_string_lossy().into_owned(), written.index);
    }
    Ok(Batch {
        dir: dir.to_owned(),
        places,
    })
}

type BatchResult = (Batch, Result<Vec<Comparison>>);

/// The suite a run's programs go to, and the file of interpreted outcomes
/// it takes instead of running those programs with the JIT off (`suite
/// compare --reference`; see `pipeline::interpreter`).
#[derive(Clone, Copy)]
pub struct Runner<'a> {
    pub bin: &'a Path,
    pub reference: Option<&'a Path>,
}

/// Starts the suite on `batch`; what it reports is sent on `results` when
/// it is done, from a thread of its own that drains its output.
fn start_batch(
    cx: &mut Context,
    suite: Runner,
    batch: Batch,
    limits: Limits,
    results: mpsc::Sender<BatchResult>,
) -> Result<()> {
    let mut command = cx.toolchain.command(suite.bin);
    command
        .arg("compare")
        .arg(&batch.dir)
        .args(compare_limits(limits))
        .args(reference_args(suite.reference))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit());
    let shown = shown(&command);
    cx.record(&shown);
    let child = command
        .spawn()
        .with_context(|| format!("cannot start `{shown}`"))?;
    std::thread::spawn(move || {
        let comparisons = read_comparisons(&shown, child);
        // The receiver is gone only when the run already failed.
        let _ = results.send((batch, comparisons));
    });
    Ok(())
}

/// The batch's comparisons with their programs' places; every program of
/// the batch must have one.
fn place_comparisons(batch: &Batch, comparisons: Vec<Comparison>) -> Result<Vec<Finished>> {
    let finished: Vec<Finished> = comparisons
        .into_iter()
        .filter_map(|comparison| {
            let index = *batch.places.get(&comparison.name)?;
            Some(Finished { index, comparison })
        })
        .collect();
    if finished.len() != batch.places.len() {
        bail!(
            "the suite reported {} of the {} programs in {}",
            finished.len(),
            batch.places.len(),
            batch.dir.display()
        );
    }
    Ok(finished)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::program::generate;
    use crate::pipeline::testing::outcome;

    #[test]
    fn batches_cover_every_program_once_and_stay_small() {
        for (programs, cores) in [(0, 2), (1, 2), (7, 2), (60, 2), (20000, 2), (301, 16)] {
            let sizes: Vec<usize> = batch_sizes(programs, cores).collect();
            assert_eq!(
                sizes.iter().sum::<usize>(),
                programs,
                "{programs} on {cores}"
            );
            assert!(sizes.iter().all(|&s| (1..=MOST_PER_BATCH).contains(&s)));
        }
        // A short run still gives every core several batches.
        assert_eq!(batch_sizes(60, 2).count(), 8);
        assert_eq!(batch_sizes(20000, 2).count(), 2500);
    }

    fn comparison(jit: Status, interpreter: Status) -> Comparison {
        Comparison {
            name: String::new(),
            jit: outcome(jit, None),
            interpreter: outcome(interpreter, None),
        }
    }

    #[test]
    fn only_programs_whose_jit_alone_ran_out_are_tried_again() {
        assert!(jit_ran_out(&comparison(Status::Timeout, Status::Pass)));
        for (jit, interpreter) in [
            (Status::Pass, Status::Pass),
            (Status::Crash, Status::Pass),
            // A program that hangs without the JIT too is the program's fault.
            (Status::Timeout, Status::Timeout),
            (Status::Pass, Status::Timeout),
            (Status::Timeout, Status::Fail),
        ] {
            assert!(
                !jit_ran_out(&comparison(jit, interpreter)),
                "{jit:?} {interpreter:?}"
            );
        }
    }

    #[test]
    fn programs_that_hang_by_the_dozen_are_confirmed_by_a_few_on_every_core() {
        let programs: Vec<Written> = (0..300)
            .map(|index| Written {
                index,
                path: PathBuf::from(format!("p{index:05}.lua")),
                program: generate::program(index as u64),
            })
            .collect();
        // Every eleventh program hangs with the JIT; one more hangs without it.
        let hangs: Vec<usize> = (0..300).step_by(11).collect();
        let mut finished: BTreeMap<usize, Comparison> = (0..300)
            .map(|index| {
                let jit = match hangs.contains(&index) {
                    true => Status::Timeout,
                    false => Status::Pass,
                };
                (index, comparison(jit, Status::Pass))
            })
            .collect();
        finished.insert(7, comparison(Status::Timeout, Status::Timeout));
        let cores = 2;
        let slow = ran_out(&programs, &finished);
        let rerun: Vec<usize> = slow.iter().map(|w| w.index).collect();
        assert_eq!(rerun, hangs);
        // The first few are tried again, the rest waits on them.
        let (confirming, rest) = confirming_first(&slow, cores);
        assert_eq!(confirming.len(), CONFIRMING_PER_CORE * cores);
        assert_eq!(confirming.len() + rest.len(), hangs.len());
        assert_eq!(confirming[0].index, 0);
        // Enough batches to keep every core busy, none larger than a first pass's.
        let batches = groups(&slow, cores);
        assert!(batches.len() >= 2 * cores, "{} batches", batches.len());
        assert!(
            batches
                .iter()
                .all(|b| (1..=MOST_PER_BATCH).contains(&b.len()))
        );
        assert!(ran_out(&programs, &BTreeMap::new()).is_empty());
        // A handful is tried again at once.
        let (confirming, rest) = confirming_first(&slow[..5], cores);
        assert_eq!((confirming.len(), rest.len()), (5, 0));
    }
}
