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
use crate::pipeline::suite::outcome::{Comparison, Status};
use crate::pipeline::suite::{read_comparisons, shown};

/// The most programs one suite process runs before it reports: small enough
/// that the progress moves and an interrupt loses little, large enough that
/// starting a process (0.1 s under QEMU) stays a small part of a batch.
const MOST_PER_BATCH: usize = 8;

/// A program that ran out of time is run again alone, with this many times
/// the limit, before its timeout counts: a machine busy with other work
/// slows every emulated process, and a slow program is not a hang.
pub(super) const RERUN_LIMIT_FACTOR: f64 = 3.0;

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

/// Runs `programs` (written under `home`) with the JIT on and off, each
/// with `limit_secs` to finish, those an earlier session of the run named
/// `key` journaled excepted.
pub fn run(
    cx: &mut Context,
    variant: &str,
    suite_bin: &Path,
    home: &Path,
    programs: &[Written],
    key: &str,
    limit_secs: f64,
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
    let mut finished = resumed.finished;
    let batches_dir = home.join("batches");
    reset_dir(&batches_dir)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut queue = cut_batches(&batches_dir, &left, cores)?;
    let (sender, receiver) = mpsc::channel();
    let mut running = 0;
    while running > 0 || !queue.is_empty() {
        while running < cores
            && let Some(batch) = queue.pop_front()
        {
            start_batch(cx, suite_bin, batch, limit_secs, sender.clone())?;
            running += 1;
        }
        let (batch, comparisons) = receiver.recv().context("a batch's runner went away")?;
        running -= 1;
        let done = place_comparisons(&batch, comparisons?)?;
        let _ = fs::remove_dir_all(&batch.dir);
        let findings = done
            .iter()
            .filter(|f| difference_kind(&f.comparison).is_some())
            .count();
        progress.advance(done.len(), findings);
        journal.append(
            resumed.run_seconds + started.elapsed().as_secs_f64(),
            done.clone(),
        )?;
        finished.extend(done.into_iter().map(|f| (f.index, f.comparison)));
    }
    progress.finish();
    let reruns = rerun_timeouts(cx, suite_bin, &batches_dir, programs, &finished, limit_secs)?;
    if !reruns.is_empty() {
        journal.append(
            resumed.run_seconds + started.elapsed().as_secs_f64(),
            reruns.clone(),
        )?;
        finished.extend(reruns.into_iter().map(|f| (f.index, f.comparison)));
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
        run_seconds: resumed.run_seconds + started.elapsed().as_secs_f64(),
        resumed_seconds: resumed.run_seconds,
    })
}

/// Runs every program of `finished` that timed out again, one at a time
/// with `RERUN_LIMIT_FACTOR` times `limit_secs`; what the rerun ends in is
/// the program's result (a hang again, or what it computes).
fn rerun_timeouts(
    cx: &mut Context,
    suite_bin: &Path,
    batches_dir: &Path,
    programs: &[Written],
    finished: &BTreeMap<usize, Comparison>,
    limit_secs: f64,
) -> Result<Vec<Finished>> {
    let slow: Vec<&Written> = programs
        .iter()
        .filter(|w| finished.get(&w.index).is_some_and(timed_out))
        .collect();
    let limit = limit_secs * RERUN_LIMIT_FACTOR;
    let mut reruns = Vec::new();
    for (number, written) in slow.into_iter().enumerate() {
        let batch = link_batch(&batches_dir.join(format!("rerun{number:05}")), &[written])?;
        let (sender, receiver) = mpsc::channel();
        start_batch(cx, suite_bin, batch, limit, sender)?;
        let (batch, comparisons) = receiver.recv().context("a batch's runner went away")?;
        let done = place_comparisons(&batch, comparisons?)?;
        let _ = fs::remove_dir_all(&batch.dir);
        for f in &done {
            eprintln!(
                "stress: {} ran out of its {limit_secs} s; run again alone with {limit} s, it {}",
                f.comparison.name,
                match timed_out(&f.comparison) {
                    true => "ran out of time again: a hang".to_owned(),
                    false => format!(
                        "finished ({})",
                        f.comparison
                            .difference()
                            .unwrap_or_else(|| "JIT and interpreter agree".to_owned())
                    ),
                }
            );
        }
        reruns.extend(done);
    }
    Ok(reruns)
}

pub(super) fn timed_out(comparison: &Comparison) -> bool {
    [&comparison.jit, &comparison.interpreter]
        .iter()
        .any(|o| o.status == Status::Timeout)
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

/// `programs` cut into batches for `cores` processes, each linked into a
/// folder of its own under `dir`.
fn cut_batches(dir: &Path, programs: &[&Written], cores: usize) -> Result<VecDeque<Batch>> {
    let mut from = 0;
    let mut batches = VecDeque::new();
    for (number, size) in batch_sizes(programs.len(), cores).enumerate() {
        let batch_dir = dir.join(format!("b{number:05}"));
        batches.push_back(link_batch(&batch_dir, &programs[from..from + size])?);
        from += size;
    }
    Ok(batches)
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

/// Starts the suite on `batch`; what it reports is sent on `results` when
/// it is done, from a thread of its own that drains its output.
fn start_batch(
    cx: &mut Context,
    suite_bin: &Path,
    batch: Batch,
    limit_secs: f64,
    results: mpsc::Sender<BatchResult>,
) -> Result<()> {
    let mut command = cx.toolchain.command(suite_bin);
    command
        .arg("compare")
        .arg(&batch.dir)
        .args(["--timeout", &limit_secs.to_string()])
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
}
