//! Time to find: how long the stress run takes to meet a known defect, the
//! measure fuzzers of record report (FuzzBench, Magma) beside programs per
//! second. The programs of a seed run in order on the tree that has the
//! defect; each one whose JIT run differs from its interpreted run runs
//! again on the same tree with the defect's fix, and the first one the fix
//! makes agree is the find. Its time is the program-run seconds up to and
//! including it (the JIT and the interpreter runs of every program before
//! it, as a stress run reports "first finding after N s of program runs"),
//! not the wall time, so that building the trees and the load of the
//! machine's other cores do not count.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::pipeline::fetch::Tree;
use crate::pipeline::patch::Series;
use crate::pipeline::stress::{self, Plan, reset_dir, seed_text, write_programs};
use crate::pipeline::variants::{single, single_with};
use crate::pipeline::{Context, lua_files};

/// A known defect to find: the published tree that has it, the series that
/// the tree gets first (other defects' fixes, so that they do not hide it)
/// and the fix of the defect itself. Series folders or patch files,
/// relative to the project root.
pub struct Target {
    pub defect: &'static str,
    pub tree: &'static str,
    pub base: &'static [&'static str],
    pub fix: &'static [&'static str],
}

/// The benchmark's defects: one per kind the stress run has found.
pub const TARGETS: [Target; 5] = [
    Target {
        defect: "LuaJIT#1480",
        tree: "210.7.2+b925b3e",
        base: &[],
        fix: &["patches/extra/lj1480"],
    },
    Target {
        defect: "arm64-verify#fused-kint64-shift",
        tree: "210.7.4+c6ffc14",
        base: &[],
        fix: &["patches/extra/fused-kint64-shifts"],
    },
    Target {
        defect: "arm64-verify#phi-copyspill-pair",
        tree: "210.7.4+c6ffc14",
        base: &["patches/extra/fused-kint64-shifts"],
        fix: &["patches/extra/phi-copyspill-pair"],
    },
    Target {
        defect: "LuaJIT#1075",
        tree: "210.4.8+resty107baaf",
        base: &[
            "patches/0001-ARM64-Mask-the-offset-of-a-fused-LDP-STP-to-its-imm7.patch",
            "patches/0002-ARM64-Fix-LDP-STP-fusion-of-misaligned-accesses.patch",
            "patches/0003-ARM64-Keep-the-table-write-barrier-s-8-byte-store-of.patch",
        ],
        fix: &["patches/0004-ARM64-Fix-LDP-STP-fusion-of-accesses-512-bytes-apart.patch"],
    },
    Target {
        defect: "LuaJIT#1076",
        tree: "210.4.8+resty107baaf",
        base: &[],
        fix: &["patches/extra/lj1076"],
    },
];

/// Programs run at a time: enough to keep every core busy, few enough
/// that little runs past the find.
const BATCH: usize = 8;

/// The first program of a seed that exposes the defect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Found {
    /// Its place in the run, from 0.
    pub index: usize,
    pub program_seed: u64,
    /// Program-run seconds up to and including it.
    pub seconds: f64,
    /// How it differed on the tree with the defect.
    pub difference: String,
}

/// What one seed came to: the find, or the programs and seconds it ran
/// without one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Search {
    pub defect: String,
    pub seed: u64,
    pub found: Option<Found>,
    pub programs_run: usize,
    pub seconds_run: f64,
}

/// Runs the programs of `seed` (at most `most`) on the target's tree until
/// one differs there and agrees with the fix.
pub fn search(cx: &mut Context, target: &Target, seed: u64, most: u32) -> Result<Search> {
    let home = cx
        .target_dir()
        .join("time-to-find")
        .join(target.defect.replace(['#', '/'], "-"));
    let with_defect = build(cx, target.tree, &home.join("base"), target.base)?;
    let fixed: Vec<&str> = target.base.iter().chain(target.fix).copied().collect();
    let with_fix = build(cx, target.tree, &home.join("fixed"), &fixed)?;

    let programs = write_programs(&home.join("programs"), Plan::whole(seed, most))?;
    let batch_dir = home.join("batch");
    let (mut programs_run, mut seconds_run) = (0, 0.0);
    for batch in programs.chunks(BATCH) {
        link_batch(&batch_dir, batch.iter().map(|w| w.path.as_path()))?;
        let comparisons = stress::compare_with_second_tries(cx, &with_defect, &batch_dir)?;
        let differing: Vec<usize> = comparisons
            .iter()
            .enumerate()
            .filter(|(_, c)| c.difference().is_some())
            .map(|(place, _)| place)
            .collect();
        let agreeing_with_fix = match differing.is_empty() {
            true => Vec::new(),
            false => {
                link_batch(
                    &batch_dir,
                    differing.iter().map(|&p| batch[p].path.as_path()),
                )?;
                stress::compare_with_second_tries(cx, &with_fix, &batch_dir)?
                    .into_iter()
                    .filter(|c| c.difference().is_none())
                    .map(|c| c.name)
                    .collect()
            }
        };
        // The comparisons come sorted by name, which is the run's order.
        for (comparison, written) in comparisons.iter().zip(batch) {
            programs_run += 1;
            seconds_run += (comparison.jit.millis + comparison.interpreter.millis) as f64 / 1000.0;
            if agreeing_with_fix.contains(&comparison.name) {
                return Ok(Search {
                    defect: target.defect.to_owned(),
                    seed,
                    found: Some(Found {
                        index: written.index,
                        program_seed: written.program.seed,
                        seconds: seconds_run,
                        difference: comparison.difference().unwrap_or_default(),
                    }),
                    programs_run,
                    seconds_run,
                });
            }
        }
    }
    Ok(Search {
        defect: target.defect.to_owned(),
        seed,
        found: None,
        programs_run,
        seconds_run,
    })
}

/// The tree with the patches of `entries` (series folders or patch files)
/// applied, built as `check` builds it; its suite.
pub(crate) fn build(
    cx: &mut Context,
    version: &str,
    dir: &Path,
    entries: &[&str],
) -> Result<PathBuf> {
    build_tree(cx, &Tree::Published(version.to_owned()), dir, entries)
}

/// As `build`, for any tree (a published one or a folder).
pub(crate) fn build_tree(
    cx: &mut Context,
    tree: &Tree,
    dir: &Path,
    entries: &[&str],
) -> Result<PathBuf> {
    if entries.is_empty() {
        let (_, _, variant) = single(cx, tree)?;
        return Ok(variant.suite);
    }
    write_series(&cx.root, dir, entries)?;
    let (_, _, variant, _) = single_with(cx, tree, dir)?;
    Ok(variant.suite)
}

/// A series folder at `dir` whose `series` file lists every patch of
/// `entries`, in order, by absolute path.
pub(crate) fn write_series(root: &Path, dir: &Path, entries: &[&str]) -> Result<()> {
    let mut listing = String::new();
    for entry in entries {
        let path = root.join(entry);
        let patches = match path.is_dir() {
            true => Series::load(&path)?
                .patches
                .into_iter()
                .map(|p| p.path)
                .collect(),
            false => vec![path],
        };
        for patch in patches {
            listing.push_str(&format!("{}\n", patch.display()));
        }
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    fs::write(dir.join("series"), listing)
        .with_context(|| format!("cannot write {}", dir.join("series").display()))
}

/// `dir` emptied and holding links to `programs`.
pub(crate) fn link_batch<'a>(dir: &Path, programs: impl Iterator<Item = &'a Path>) -> Result<()> {
    reset_dir(dir)?;
    for program in programs {
        let link = dir.join(program.file_name().expect("a program file"));
        fs::hard_link(program, &link)
            .or_else(|_| fs::copy(program, &link).map(|_| ()))
            .with_context(|| format!("cannot link {}", program.display()))?;
    }
    debug_assert!(lua_files(dir).is_ok());
    Ok(())
}

/// The median of the seeds' times, counting a seed without a find as
/// never (so the median is None when most seeds found nothing).
pub fn median_seconds(searches: &[Search]) -> Option<f64> {
    let mut times: Vec<f64> = searches
        .iter()
        .map(|s| s.found.as_ref().map_or(f64::INFINITY, |f| f.seconds))
        .collect();
    if times.is_empty() {
        return None;
    }
    times.sort_by(f64::total_cmp);
    let middle = times.len() / 2;
    let median = if times.len() % 2 == 1 {
        times[middle]
    } else {
        (times[middle - 1] + times[middle]) / 2.0
    };
    median.is_finite().then_some(median)
}

/// One search in a line.
pub fn describe(search: &Search) -> String {
    match &search.found {
        Some(found) => format!(
            "found at program {} of seed {} (program seed {}) after {:.1} s of program runs: {}",
            found.index + 1,
            search.seed,
            seed_text(found.program_seed),
            found.seconds,
            found.difference
        ),
        None => format!(
            "not found in {} programs of seed {} ({:.1} s of program runs)",
            search.programs_run, search.seed, search.seconds_run
        ),
    }
}

/// The table: per defect, each seed's find (program number and seconds)
/// and the median, after and, with `before`, before.
pub fn render(after: &[Search], before: Option<&[Search]>, rev: Option<&str>) -> String {
    let mut out = String::from(
        "Time to find: program-run seconds until the first stress program that differs on the tree and agrees with the defect's fix (seeds 1, 2, ...; a seed without a find counts as never).\n\n",
    );
    let side = |searches: &[Search], defect: &str| -> (String, String) {
        let of: Vec<Search> = searches
            .iter()
            .filter(|s| s.defect == defect)
            .cloned()
            .collect();
        let seeds = of
            .iter()
            .map(|s| match &s.found {
                Some(f) => format!("#{} {:.1} s", f.index + 1, f.seconds),
                None => format!("none in {}", s.programs_run),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let median = median_seconds(&of).map_or("never".to_owned(), |m| format!("{m:.1}"));
        (seeds, median)
    };
    match before {
        Some(before) => {
            out.push_str(&format!(
                "| defect | tree | before ({}): per seed | before median (s) | after: per seed | after median (s) |\n|---|---|---|---|---|---|\n",
                rev.unwrap_or("earlier")
            ));
            for target in &TARGETS {
                let (b_seeds, b_median) = side(before, target.defect);
                let (a_seeds, a_median) = side(after, target.defect);
                out.push_str(&format!(
                    "| {} | {} | {b_seeds} | {b_median} | {a_seeds} | {a_median} |\n",
                    target.defect,
                    tree_text(target)
                ));
            }
        }
        None => {
            out.push_str("| defect | tree | per seed | median (s) |\n|---|---|---|---|\n");
            for target in &TARGETS {
                let (seeds, median) = side(after, target.defect);
                out.push_str(&format!(
                    "| {} | {} | {seeds} | {median} |\n",
                    target.defect,
                    tree_text(target)
                ));
            }
        }
    }
    out
}

fn tree_text(target: &Target) -> String {
    match target.base {
        [] => target.tree.to_owned(),
        base => format!(
            "{} with {}",
            target.tree,
            base.iter()
                .map(|entry| {
                    // A series folder by its name, a patch file by its number.
                    let name = entry.rsplit('/').next().unwrap_or(entry);
                    match name.ends_with(".patch") {
                        true => name.split('-').next().unwrap_or(name),
                        false => name,
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(seconds: Option<f64>) -> Search {
        Search {
            defect: "LuaJIT#1".into(),
            seed: 1,
            found: seconds.map(|seconds| Found {
                index: 0,
                program_seed: 0,
                seconds,
                difference: String::new(),
            }),
            programs_run: 1,
            seconds_run: seconds.unwrap_or(9.0),
        }
    }

    #[test]
    fn a_seed_without_a_find_counts_as_never() {
        assert_eq!(
            median_seconds(&[search(Some(3.0)), search(None), search(Some(1.0))]),
            Some(3.0)
        );
        assert_eq!(
            median_seconds(&[search(None), search(None), search(Some(1.0))]),
            None
        );
        assert_eq!(median_seconds(&[]), None);
    }

    #[test]
    fn every_targets_series_and_patches_exist() {
        let root = crate::pipeline::project_root();
        for target in &TARGETS {
            for entry in target.base.iter().chain(target.fix) {
                assert!(root.join(entry).exists(), "{}: {entry}", target.defect);
            }
        }
    }

    #[test]
    fn a_series_lists_the_patches_of_folders_and_files_in_order() {
        let root = crate::pipeline::project_root();
        let dir = tempfile::tempdir().unwrap();
        write_series(&root, dir.path(), TARGETS[3].base).unwrap();
        let series = Series::load(dir.path()).unwrap();
        let names: Vec<&str> = series.patches.iter().map(|p| p.subject.as_str()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
        write_series(&root, dir.path(), &["patches/extra/all-fixes"]).unwrap();
        let listed = fs::read_to_string(root.join("patches/extra/all-fixes/series")).unwrap();
        let listed = listed
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .count();
        assert_eq!(Series::load(dir.path()).unwrap().patches.len(), listed);
    }
}
