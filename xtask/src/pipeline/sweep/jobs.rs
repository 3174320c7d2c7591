//! A sweep run as N processes at once: each sweeps shard K of N (this
//! toolkit again, with `--shard K/N --json`), and the shards are merged.
//!
//! A row runs on about one and a half of two cores (make's serial steps,
//! the links, the cases one at a time), and rows are independent, so two
//! shards side by side fill the gaps. The processes share `target/`: the
//! cache writes through files of their own, and the suite's link holds a
//! lock (`suite::build_suite`), so no process copies a suite the other
//! linked.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use super::Sweep;
use crate::pipeline::fetch::Tree;
use crate::pipeline::stress::Shard;

/// Runs `arguments` (`sweep_arguments`) as `jobs` shards at once, each
/// shard's JSON kept in `dir`, and merges them. A shard that fails is an
/// error naming it, with the end of what it printed.
pub fn sweep_in_processes(arguments: &[String], jobs: u32, dir: &Path) -> Result<Sweep> {
    let started = Instant::now();
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let toolkit = std::env::current_exe().context("cannot find this toolkit's binary")?;
    eprintln!(
        "==> sweep: {jobs} shards at once, each line of theirs marked [K/{jobs}]; their JSON goes to {}",
        dir.display()
    );
    let outputs: Vec<Result<PathBuf>> = thread::scope(|scope| {
        let running: Vec<_> = (1..=jobs)
            .map(|index| {
                let shard = Shard { index, of: jobs };
                let toolkit = &toolkit;
                scope.spawn(move || run_shard(toolkit, arguments, shard, dir))
            })
            .collect();
        running
            .into_iter()
            .map(|handle| handle.join().expect("a shard's thread panicked"))
            .collect()
    });
    let mut shards = Vec::new();
    for output in outputs {
        shards.push(super::read(&output?)?);
    }
    let mut whole = super::merge(shards)?;
    // The merge adds the shards' seconds; side by side, the wall time is the figure.
    whole.seconds = started.elapsed().as_secs_f64();
    Ok(whole)
}

/// What each shard is given to sweep: every published tree when
/// `all_published`, the trees `given`, the stress count, and `--no-cache`
/// when this process has it.
pub fn sweep_arguments(all_published: bool, given: &[Tree], stress_count: u32) -> Vec<String> {
    let mut arguments = Vec::new();
    if all_published {
        arguments.push("--all-published".to_owned());
    }
    for tree in given {
        match tree {
            Tree::Published(version) => {
                arguments.extend(["--luajit-src".to_owned(), version.clone()]);
            }
            Tree::Dir(dir) => {
                arguments.extend(["--luajit-dir".to_owned(), dir.display().to_string()]);
            }
            // A sweep names its trees; the pinned one is a published version.
            Tree::Pinned => {}
        }
    }
    arguments.extend(["--stress-count".to_owned(), stress_count.to_string()]);
    if !crate::pipeline::cache::enabled() {
        arguments.push("--no-cache".to_owned());
    }
    arguments
}

/// The arguments of shard `shard` of a sweep given `arguments`.
fn shard_arguments(arguments: &[String], shard: Shard) -> Vec<String> {
    let mut all = vec!["sweep".to_owned()];
    all.extend(arguments.iter().cloned());
    all.extend([
        "--shard".to_owned(),
        format!("{}/{}", shard.index, shard.of),
        "--json".to_owned(),
    ]);
    all
}

/// Runs one shard, its stderr passed on line by line with its mark, its
/// JSON written to `dir`; the file, when the shard wrote its rows (it exits
/// 1 when a tree is affected, 2 when one could not be judged: the merged
/// sweep says so again).
fn run_shard(toolkit: &Path, arguments: &[String], shard: Shard, dir: &Path) -> Result<PathBuf> {
    let mark = format!("[{}/{}]", shard.index, shard.of);
    let output = dir.join(format!("shard-{}-of-{}.json", shard.index, shard.of));
    let stdout =
        fs::File::create(&output).with_context(|| format!("cannot create {}", output.display()))?;
    let mut child = Command::new(toolkit)
        .args(shard_arguments(arguments, shard))
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start shard {mark} ({})", toolkit.display()))?;
    let mut tail: Vec<String> = Vec::new();
    let stderr = child.stderr.take().expect("stderr is piped");
    for line in BufReader::new(stderr).lines() {
        let line = line.with_context(|| format!("cannot read the output of shard {mark}"))?;
        let _ = writeln!(std::io::stderr().lock(), "{mark} {line}");
        tail.push(line);
        if tail.len() > 20 {
            tail.remove(0);
        }
    }
    let status = child
        .wait()
        .with_context(|| format!("shard {mark} went away"))?;
    if status.code().is_some_and(|code| code <= 2) && super::read(&output).is_ok() {
        return Ok(output);
    }
    bail!(
        "shard {mark} of the sweep failed ({status}) without writing its rows; the end of what it printed:\n{}\nrerun it alone: cargo xtask {}",
        tail.join("\n"),
        shard_arguments(arguments, shard).join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_runs_the_same_sweep_with_its_share_as_json() {
        let given = [
            Tree::Published("210.7.4".to_owned()),
            Tree::Dir(PathBuf::from("/src/luajit")),
        ];
        assert_eq!(
            shard_arguments(
                &sweep_arguments(true, &given, 40),
                Shard { index: 2, of: 3 }
            ),
            [
                "sweep",
                "--all-published",
                "--luajit-src",
                "210.7.4",
                "--luajit-dir",
                "/src/luajit",
                "--stress-count",
                "40",
                "--shard",
                "2/3",
                "--json"
            ]
        );
    }
}
