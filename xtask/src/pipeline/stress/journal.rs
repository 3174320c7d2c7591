//! The journal of a stress run in progress: every batch of finished
//! programs is appended as it finishes, so that a run interrupted after
//! hours resumes where it stopped instead of starting over.
//!
//! The file is JSON lines: a header naming the run by its cache key, then
//! one line per batch. A run killed while writing leaves at most one torn
//! last line, which reading drops (its programs are run again).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::pipeline::suite::outcome::Comparison;

/// Raised when the lines' shape changes, so an older journal is not misread.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Header {
    journal: u32,
    /// The run's cache key: the suite, the variant, the plan, the generator.
    key: String,
}

#[derive(Serialize, Deserialize)]
struct Batch {
    /// Seconds spent running programs over every session of the run, up to
    /// and including this batch: a resumed run reports the whole run's time.
    run_seconds: f64,
    programs: Vec<Finished>,
}

/// A program of the run that has been run, by its place in the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finished {
    pub index: usize,
    pub comparison: Comparison,
}

/// What earlier sessions of a run left: its finished programs by place.
#[derive(Debug, Default, PartialEq)]
pub struct Resumed {
    pub finished: BTreeMap<usize, Comparison>,
    pub run_seconds: f64,
}

/// A journal open for appending.
pub struct Journal {
    path: PathBuf,
    file: fs::File,
}

/// What the journal at `path` holds for the run named `key`: nothing when
/// it is missing, unreadable or another run's (another suite build, seed,
/// count, shard or generator); up to its first unreadable line otherwise.
pub fn read(path: &Path, key: &str) -> Resumed {
    let mut resumed = Resumed::default();
    let Ok(text) = fs::read_to_string(path) else {
        return resumed;
    };
    if !header(&text).is_some_and(|h| h.journal == FORMAT && h.key == key) {
        return resumed;
    }
    for line in text.lines().skip(1) {
        // A torn line can only be the last one written; nothing after it counts.
        let Ok(batch) = serde_json::from_str::<Batch>(line) else {
            break;
        };
        resumed.run_seconds = batch.run_seconds;
        for program in batch.programs {
            resumed.finished.insert(program.index, program.comparison);
        }
    }
    resumed
}

/// The header of a journal's text, when its first line is one.
fn header(text: &str) -> Option<Header> {
    text.lines()
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
}

/// Moves the journal at `path` aside when it is another run's (the suite
/// was rebuilt or the generator changed since it was written), so that
/// starting afresh does not overwrite hours of results: they stay readable
/// under a name of their own, which is returned.
pub fn set_aside_other_run(path: &Path, key: &str) -> Result<Option<PathBuf>> {
    let Ok(text) = fs::read_to_string(path) else {
        return Ok(None);
    };
    let other_key = match header(&text) {
        Some(h) if h.journal == FORMAT && h.key == key => return Ok(None),
        Some(h) => h.key,
        None => "unreadable".to_owned(),
    };
    // Only a journal with programs in it is worth keeping.
    if text.lines().nth(1).is_none() {
        return Ok(None);
    }
    let short: String = other_key.chars().take(12).collect();
    let aside = path.with_file_name(format!("journal-{short}.jsonl"));
    fs::rename(path, &aside)
        .with_context(|| format!("cannot move {} to {}", path.display(), aside.display()))?;
    Ok(Some(aside))
}

impl Journal {
    /// Starts the journal at `path` for the run named `key` afresh, holding
    /// what `resumed` has: rewritten whole, so that a torn line of an
    /// earlier session is gone before anything is appended after it.
    pub fn create(path: &Path, key: &str, resumed: &Resumed) -> Result<Journal> {
        let dir = path.parent().context("a journal lives in a folder")?;
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let header = Header {
            journal: FORMAT,
            key: key.to_owned(),
        };
        let mut text = serde_json::to_string(&header)? + "\n";
        if !resumed.finished.is_empty() {
            let earlier = Batch {
                run_seconds: resumed.run_seconds,
                programs: resumed
                    .finished
                    .iter()
                    .map(|(&index, comparison)| Finished {
                        index,
                        comparison: comparison.clone(),
                    })
                    .collect(),
            };
            text += &(serde_json::to_string(&earlier)? + "\n");
        }
        let staging = path.with_extension("jsonl.new");
        fs::write(&staging, text).with_context(|| format!("cannot write {}", staging.display()))?;
        fs::rename(&staging, path)
            .with_context(|| format!("cannot move {} into place", path.display()))?;
        let file = fs::OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {} to append", path.display()))?;
        Ok(Journal {
            path: path.to_owned(),
            file,
        })
    }

    /// Records a batch of finished programs, `run_seconds` being the run's
    /// time spent running programs so far, over every session.
    pub fn append(&mut self, run_seconds: f64, programs: Vec<Finished>) -> Result<()> {
        let line = serde_json::to_string(&Batch {
            run_seconds,
            programs,
        })? + "\n";
        // One write per line, so an interrupt tears at most the last line.
        self.file
            .write_all(line.as_bytes())
            .with_context(|| format!("cannot append to {}", self.path.display()))
    }
}

/// Drops the journal of a run whose result is stored in the cache, where
/// it is kept from then on.
pub fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(error).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::suite::outcome::{Outcome, Status};

    fn comparison(index: usize) -> Comparison {
        let outcome = |millis| Outcome {
            status: Status::Pass,
            exit_code: Some(0),
            signal: None,
            error: None,
            output: String::new(),
            millis,
            limit_millis: None,
            value: Some(format!("{index}")),
            traces: Some(3),
            ir_ops: [("ADD".to_owned(), 2)].into(),
        };
        Comparison {
            name: format!("p{index:05}"),
            jit: outcome(10),
            interpreter: outcome(12),
        }
    }

    fn finished(indices: &[usize]) -> Vec<Finished> {
        indices
            .iter()
            .map(|&index| Finished {
                index,
                comparison: comparison(index),
            })
            .collect()
    }

    fn scratch() -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix("xtask-journal-")
            .tempdir()
            .unwrap()
    }

    #[test]
    fn a_partial_run_reads_back_as_its_finished_programs() {
        let dir = scratch();
        let path = dir.path().join("run/journal.jsonl");
        let mut journal = Journal::create(&path, "key-a", &Resumed::default()).unwrap();
        journal.append(1.5, finished(&[0, 2])).unwrap();
        journal.append(3.0, finished(&[1, 5])).unwrap();
        let resumed = read(&path, "key-a");
        assert_eq!(
            resumed.finished.keys().copied().collect::<Vec<_>>(),
            [0, 1, 2, 5]
        );
        assert_eq!(resumed.finished[&5], comparison(5));
        assert_eq!(resumed.run_seconds, 3.0);
    }

    #[test]
    fn another_runs_journal_is_ignored() {
        let dir = scratch();
        let path = dir.path().join("journal.jsonl");
        let mut journal = Journal::create(&path, "key-a", &Resumed::default()).unwrap();
        journal.append(1.0, finished(&[0])).unwrap();
        assert_eq!(read(&path, "key-b"), Resumed::default());
        assert_eq!(
            read(&dir.path().join("missing.jsonl"), "key-a"),
            Resumed::default()
        );
    }

    #[test]
    fn another_runs_journal_is_set_aside_and_this_runs_is_kept() {
        let dir = scratch();
        let path = dir.path().join("journal.jsonl");
        let mut journal = Journal::create(&path, "key-a", &Resumed::default()).unwrap();
        journal.append(1.0, finished(&[0])).unwrap();
        assert_eq!(set_aside_other_run(&path, "key-a").unwrap(), None);
        assert!(path.exists());
        let aside = set_aside_other_run(&path, "key-b").unwrap().unwrap();
        assert!(!path.exists());
        assert_eq!(read(&aside, "key-a").finished.len(), 1);
        assert_eq!(set_aside_other_run(&path, "key-b").unwrap(), None);
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_gone_once_resumed() {
        let dir = scratch();
        let path = dir.path().join("journal.jsonl");
        let mut journal = Journal::create(&path, "key-a", &Resumed::default()).unwrap();
        journal.append(1.0, finished(&[0, 1])).unwrap();
        let whole = serde_json::to_string(&Batch {
            run_seconds: 2.0,
            programs: finished(&[2]),
        })
        .unwrap();
        // As a kill in the middle of a write leaves it.
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(&whole.as_bytes()[..whole.len() / 2])
            .unwrap();
        let resumed = read(&path, "key-a");
        assert_eq!(resumed.finished.keys().copied().collect::<Vec<_>>(), [0, 1]);
        assert_eq!(resumed.run_seconds, 1.0);

        let mut journal = Journal::create(&path, "key-a", &resumed).unwrap();
        journal.append(4.0, finished(&[2, 3])).unwrap();
        let again = read(&path, "key-a");
        assert_eq!(
            again.finished.keys().copied().collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        assert_eq!(again.run_seconds, 4.0);
    }

    #[test]
    fn a_removed_journal_resumes_nothing() {
        let dir = scratch();
        let path = dir.path().join("journal.jsonl");
        Journal::create(&path, "key-a", &Resumed::default())
            .unwrap()
            .append(1.0, finished(&[0]))
            .unwrap();
        remove(&path).unwrap();
        remove(&path).unwrap();
        assert_eq!(read(&path, "key-a"), Resumed::default());
    }
}
