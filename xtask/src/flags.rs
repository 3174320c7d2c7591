//! The command line, in one place; doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::pipeline::fetch::Tree;
use crate::pipeline::lso::Engine;
use crate::pipeline::variants::PairChoice;

/// Turn a LuaJIT ARM64 backend patch into evidence: build LuaJIT as published
/// and with a patch series (patches/ by default) applied, run the suite on
/// both (natively on aarch64, under QEMU elsewhere) and report.
///
/// Exit status: 0 all good, 1 defects found (or the verdict failed), 2 the
/// tool could not do its job.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
pub struct Xtask {
    #[command(subcommand)]
    pub command: Command,
    /// Recompute every step instead of reusing the results of an earlier run
    /// with the same inputs (kept under target/cache/).
    #[arg(long, global = true)]
    pub no_cache: bool,
}

#[derive(Subcommand)]
pub enum Command {
    /// Build the baseline and the patched variant; run the cases, the
    /// exhaustive emit_lso check and a stress run on both (the first two
    /// also after each patch in turn) and diff their machine code; write
    /// target/evidence/summary.md, report.md and report.json.
    Verify(Verify),
    /// Build one LuaJIT tree as it is, run the cases, the exhaustive
    /// emit_lso check and a default stress run on it and list what failed.
    Check(Check),
    /// Run a Lua script on both variants and show the outcomes side by side;
    /// exit 0 only when both pass.
    Run(Run),
    /// Check emit_lso (the LDR/STR to LDP/STP fusion) of one LuaJIT tree over
    /// its whole input domain; exit 1 when a defect class shows.
    Lso(Lso),
    /// Build the baseline and the patched variant and print their folders
    /// (values for LUAJIT_SYS_DIR).
    Prepare(Prepare),
    /// Diff the machine code of every trace a workload leaves on the baseline
    /// and on the patched build; exit 1 when the series states what it
    /// changes (its Machine-code: trailers) and a difference is neither that
    /// nor one of the fusion classes.
    McodeDiff(McodeDiff),
    /// Run seeded programs with the JIT on and off, on the baseline and the
    /// patched variant (or on one tree); record every difference in the
    /// findings store and shrink one per bucket to a small reproducer.
    Stress(Stress),
    /// Is a deployed LuaJIT affected? Run the cases and a stress sample on an
    /// aarch64 `luajit` executable or libluajit-5.1.so and say, for every
    /// catalogued defect (the issues the series fixes and every other known
    /// defect a case pins), affected, not affected or could not tell.
    /// Exit 1 when one is affected, 0 when none is, 2 when it could not tell
    /// or could not run.
    Probe(Probe),
    /// For each of many LuaJIT trees: which of the series' issues and which
    /// other known defects it carries (judged by the cases, the exhaustive
    /// emit_lso check and a short stress run), what each patch of the series
    /// is to it, and whether the patched tree verifies. Exit 1 when a tree is
    /// affected (or its patched tree does not verify), 0 when none is, 2 when
    /// a tree could not be judged.
    Sweep(Sweep),
    /// The project's own tests, as named checks: unit tests, builds, the
    /// cases on both variants, the catalogue, the exhaustive check and its
    /// mutants, stress, findings, machine code, probe, sweep, the workflows
    /// and the docs' links. `LUAJIT_ARM64_VERIFY_BLESS=1` rewrites the
    /// expectations kept as files.
    Test(Test),
    /// Time cold and warm verify, a stress run and a sweep row in fresh
    /// clones, and the exhaustive check (natively and under QEMU) and run in
    /// this checkout; print minimum and median.
    Bench(Bench),
    /// The stress run's power on history: for every catalogued defect with
    /// an upstream fix, the default stress run (no cases) on the tree its
    /// cases fail on, and whether a finding there agrees once upstream's
    /// fix alone is applied. Prints the table; `--write-docs` writes it
    /// into docs/rediscovery.md and its data beside it.
    Rediscover(Rediscover),
    /// The findings store (target/findings/, or the folder the environment
    /// variable LUAJIT_ARM64_VERIFY_FINDINGS names): every difference a run
    /// found, one entry per defect, with its reproducer, the trees it was
    /// seen on and the known defect it matches, or none (new).
    Findings(Findings),
    /// When did a defect come in, and when was it fixed? Binary-search the
    /// published luajit-src trees for the last good and the first bad one
    /// (and the first fixed), then, with --luajit-git, upstream's commits.
    ///
    /// Exit status: 0 when the bisection has an answer (a range of trees,
    /// or bad on every tree; with --luajit-git, also the commits of each
    /// range); 1 when no tree was found bad (nothing to bisect); 2 when the
    /// trees, or with --luajit-git the commits, could not be judged or
    /// searched, and on bad input.
    Bisect(Bisect),
    /// Does the LuaJIT a Cargo.lock pins carry known defects? Looks every
    /// luajit-src of the lockfile up in the sweep's data
    /// (docs/sweep/sweep.json; no build, no network) and names each known
    /// defect with its title, fix and links.
    ///
    /// Exit status: 1 when a luajit-src is affected; 0 when none is, or the
    /// lockfile has no luajit-src; 2 when the data lacks a version (the
    /// sweep command that would judge it is named), the sweep could not
    /// judge it, or the file is not a Cargo.lock.
    Audit(Audit),
    /// Mutation testing of the ARM64 backend: generate every one-line
    /// mutant of lj_asm_arm64.h and lj_emit_arm64.h (universalmutator, on
    /// luajit-src 210.7.4+c6ffc14 with patches/extra/all-fixes), drop those
    /// that compile to the same lj_asm.o or do not compile, judge a seeded
    /// sample with the cases and the default stress run, and report the
    /// score with its 95% interval and every survivor (also written to
    /// target/mutants/SEED/). Exit 1 when a survivor is not in
    /// tests/mutants_triage.txt, 0 when none is, 2 when it could not run
    /// or could not judge a sampled mutant.
    Mutants(Mutants),
    /// Draft an upstream issue for a case or a script: a standalone script,
    /// the JIT and -joff outputs, the machine code, the regression range
    /// and, with --patches, the fix in upstream's style; name the known
    /// defect it shows. Written to target/reports/NAME/.
    Report(Report),
}

/// Which LuaJIT tree to work on.
#[derive(Args, Clone, Default)]
pub struct TreeArgs {
    /// A local LuaJIT tree (the folder holding src/ and Makefile), e.g. an
    /// upstream git checkout; default: the tree of the pinned luajit-src.
    #[arg(long, value_name = "DIR", conflicts_with = "luajit_src")]
    pub luajit_dir: Option<PathBuf>,
    /// A published luajit-src version (fetched through cargo), e.g. 210.7.4+c6ffc14.
    #[arg(long, value_name = "VERSION")]
    pub luajit_src: Option<String>,
}

/// A tree and the patch series to verify on it.
#[derive(Args, Clone, Default)]
pub struct PairArgs {
    #[command(flatten)]
    pub tree: TreeArgs,
    /// The patch series: a folder with `git format-patch` files and a
    /// `series` file listing them in order; default: patches/.
    #[arg(long, value_name = "DIR")]
    pub patches: Option<PathBuf>,
}

impl TreeArgs {
    /// The tree as the pipeline names it.
    pub fn tree(&self) -> Tree {
        match (&self.luajit_dir, &self.luajit_src) {
            (Some(dir), _) => Tree::Dir(dir.clone()),
            (None, Some(version)) => Tree::Published(version.clone()),
            (None, None) => Tree::Pinned,
        }
    }

    /// Whether a tree other than the pinned one was named.
    pub fn named(&self) -> bool {
        self.tree() != Tree::Pinned
    }
}

impl PairArgs {
    /// The tree and series as the pipeline names them.
    pub fn choice(&self) -> PairChoice {
        PairChoice {
            tree: self.tree.tree(),
            patches: self.patches.clone(),
        }
    }
}

#[derive(Args)]
pub struct Verify {
    #[command(flatten)]
    pub pair: PairArgs,
    /// Stress programs to run on each variant.
    #[arg(long, value_name = "N", default_value_t = crate::pipeline::stress::DEFAULT_COUNT)]
    pub stress_count: u32,
    /// Seed of the stress run, in hex (0x1) or decimal: the same seed gives
    /// the same programs.
    #[arg(long, value_name = "S", default_value = "0x1", value_parser = crate::pipeline::stress::parse_seed)]
    pub stress_seed: u64,
}

#[derive(Args)]
pub struct Prepare {
    #[command(flatten)]
    pub pair: PairArgs,
}

#[derive(Args)]
pub struct Check {
    #[command(flatten)]
    pub tree: TreeArgs,
}

#[derive(Args)]
pub struct Run {
    /// The Lua script to run.
    pub script: PathBuf,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Seconds a run may take before it is killed and reported as a timeout.
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    pub timeout: f64,
    #[command(flatten)]
    pub pair: PairArgs,
}

#[derive(Args)]
pub struct Lso {
    #[command(flatten)]
    pub tree: TreeArgs,
    /// Only offsets in [-264, 520], where every known defect shows: seconds
    /// instead of half a minute.
    #[arg(long)]
    pub window: bool,
    /// Where the check runs.
    #[arg(long, value_enum, default_value_t = Engine::Auto)]
    pub engine: Engine,
}

#[derive(Args)]
pub struct McodeDiff {
    /// Lua scripts to run as the workload; default: every case in tests/cases/.
    #[arg(value_name = "SCRIPT.lua")]
    pub scripts: Vec<PathBuf>,
    /// Print one JSON object (totals, every trace, the text) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Diff the captures an earlier run left in target/mcode/ again, without
    /// building or running anything.
    #[arg(long)]
    pub no_run: bool,
    /// Only check the tool: capture one case twice on the baseline and
    /// require an empty diff.
    #[arg(long, conflicts_with_all = ["scripts", "no_run", "json"])]
    pub self_check: bool,
    #[command(flatten)]
    pub pair: PairArgs,
}

#[derive(Args)]
pub struct Stress {
    /// Seed of the run, in hex (0x1) or decimal: the same seed gives the
    /// same programs.
    #[arg(long, default_value = "0x1", value_parser = crate::pipeline::stress::parse_seed)]
    pub seed: u64,
    /// Number of programs. The same command run again after an interrupt
    /// resumes the run, skipping the programs it finished.
    #[arg(long, default_value_t = crate::pipeline::stress::DEFAULT_COUNT)]
    pub count: u32,
    /// With --luajit-dir or --luajit-src: run on that tree only, instead of
    /// the baseline and the patched variant.
    #[command(flatten)]
    pub tree: TreeArgs,
    /// With --luajit-dir or --luajit-src: run on that tree with this series
    /// applied (e.g. patches/extra/all-fixes, so that what a campaign finds
    /// is not a known defect).
    #[arg(long, value_name = "DIR")]
    pub patches: Option<PathBuf>,
    /// Also time raw `luajit` (under QEMU when emulated) on the same programs.
    #[arg(long)]
    pub time_raw: bool,
    /// Run only shard K of N: every program whose place in the run is K-1
    /// modulo N, e.g. 2/4. `--merge` combines the shards' `--json` outputs.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::pipeline::stress::Shard>,
    /// Print the runs as JSON (what `--merge` reads).
    #[arg(long)]
    pub json: bool,
    /// Also measure the backend's line coverage (lj_asm_arm64.h,
    /// lj_emit_arm64.h) that the cases and these programs reach, on a
    /// gcov-instrumented twin of the tree (the patched variant's, for a pair),
    /// with its decision reach (branch outcomes taken), and the guard tally
    /// of the programs (the exits of their traces taken).
    #[arg(long)]
    pub coverage: bool,
    /// Combine the `--json` outputs of every shard of one run into the
    /// result of the whole run, without running anything.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["shard", "time_raw"])]
    pub merge: Vec<std::path::PathBuf>,
}

#[derive(Args)]
pub struct Probe {
    /// An aarch64 `luajit` executable or LuaJIT shared library
    /// (libluajit-5.1.so*), as installed or extracted from a package.
    pub path: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// A folder to search for the libraries PATH needs, before the system's
    /// (under QEMU: the cross sysroot's); may be given more than once.
    #[arg(long, value_name = "DIR")]
    pub library_path: Vec<PathBuf>,
    /// Under QEMU, the aarch64 root PATH runs in (`qemu-aarch64 -L DIR`)
    /// instead of the cross toolchain's /usr/aarch64-linux-gnu: for a
    /// binary built against a newer glibc, e.g. Debian 13's libc6:arm64
    /// unpacked with `dpkg-deb -x` (see docs/probe.md).
    #[arg(long, value_name = "DIR")]
    pub sysroot: Option<PathBuf>,
    /// Stress programs to run with the JIT on and off (seed 1, as `stress`).
    #[arg(long, default_value_t = crate::pipeline::probe::DEFAULT_COUNT)]
    pub count: u32,
}

#[derive(Args)]
pub struct Sweep {
    /// A published luajit-src version to sweep; may be given more than once.
    #[arg(long, value_name = "VERSION")]
    pub luajit_src: Vec<String>,
    /// Every published luajit-src version, as cargo's registry index lists them.
    #[arg(long)]
    pub all_published: bool,
    /// A local LuaJIT tree to sweep; may be given more than once.
    #[arg(long, value_name = "DIR")]
    pub luajit_dir: Vec<PathBuf>,
    /// Sweep only shard K of N: every tree whose place in the sweep is K-1
    /// modulo N. `--merge` combines the shards' `--json` outputs.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::pipeline::stress::Shard>,
    /// Print the rows as JSON (what `--merge` reads).
    #[arg(long)]
    pub json: bool,
    /// Sweep in N processes at once, each a shard (`--shard K/N`), merged at
    /// the end: a row keeps about one and a half of two cores busy, so two
    /// fill the machine.
    #[arg(long, value_name = "N", default_value_t = 1, conflicts_with = "shard")]
    pub jobs: u32,
    /// Stress programs per tree, run with the JIT on and off (seed 1).
    #[arg(long, value_name = "N", default_value_t = crate::pipeline::sweep::DEFAULT_STRESS_COUNT)]
    pub stress_count: u32,
    /// Also write, under docs/: the short table between the sweep markers
    /// of affected-versions.md, the evidence behind each row
    /// (sweep-evidence.md), the data `audit` answers from (sweep/sweep.json,
    /// as --json prints it) and one OSV record per known defect (osv/).
    /// With --merge, from saved --json outputs, without sweeping again.
    #[arg(long)]
    pub write_docs: bool,
    /// Write the short table and the evidence, in Markdown, to this file
    /// too (e.g. a job summary).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Combine the `--json` outputs of every shard of one sweep (or the
    /// one output of a whole sweep) into the whole sweep's table, without
    /// running anything.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["luajit_src", "all_published", "luajit_dir", "shard", "stress_count", "jobs"])]
    pub merge: Vec<PathBuf>,
}

#[derive(Args)]
pub struct Rediscover {
    /// An upstream LuaJIT git checkout or bare clone: the fixes are its
    /// commits, applied alone to each tree.
    #[arg(long, value_name = "DIR")]
    pub luajit_git: PathBuf,
    /// Seed of the stress run, in hex (0x1) or decimal.
    #[arg(long, value_name = "S", default_value = "1", value_parser = crate::pipeline::stress::parse_seed)]
    pub seed: u64,
    /// Programs per tree.
    #[arg(long, value_name = "N", default_value_t = crate::pipeline::stress::DEFAULT_COUNT)]
    pub count: u32,
    /// Only these defects (as the catalogue names them, e.g. LuaJIT#1075);
    /// repeatable. With --write-docs, their rows replace those of the
    /// committed run.
    #[arg(long, value_name = "ISSUE")]
    pub only: Vec<String>,
    /// Print the run as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write the table into docs/rediscovery.md and the run into
    /// docs/rediscovery/rediscovery.json.
    #[arg(long)]
    pub write_docs: bool,
}

#[derive(Args)]
pub struct Audit {
    /// The Cargo.lock to audit (default: the one in the folder the command
    /// runs in).
    #[arg(value_name = "LOCKFILE", default_value = "Cargo.lock")]
    pub lockfile: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// The sweep's data to answer from (what `sweep --write-docs` writes);
    /// default: docs/sweep/sweep.json of this project.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

#[derive(Args)]
pub struct Test {
    /// Run only the checks whose names contain this text.
    pub filter: Option<String>,
    /// Print the checks' names, one a line, and run nothing.
    #[arg(long)]
    pub list: bool,
    /// Also run the slow checks (minutes each): the README's commands in a
    /// fresh clone, and the backend mutants' score.
    #[arg(long)]
    pub slow: bool,
}

#[derive(Args)]
pub struct Bench {
    /// Timed runs of each warm figure.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Timed runs of cold verify, each in a fresh clone (minutes each).
    #[arg(long, default_value_t = 1)]
    pub cold_runs: usize,
    /// Leave out the fresh-clone figures (cold verify, the sweep row, the
    /// whole sweep).
    #[arg(long)]
    pub no_cold: bool,
    /// Also time the fresh-clone figures on this commit (or tag, or branch)
    /// of the project, in the same run: the table gets a column before and
    /// one after.
    #[arg(long, value_name = "REV")]
    pub before: Option<String>,
    /// Also time `sweep --all-published` in each fresh clone, after its
    /// verify (tens of minutes each).
    #[arg(long)]
    pub sweep_all: bool,
    /// Also measure time to find: for each of five known defects, the
    /// program-run seconds until the stress run meets it, median over
    /// --seeds seeds (in this checkout, and with --before in the clone).
    #[arg(long)]
    pub time_to_find: bool,
    /// Seeds per defect for --time-to-find (1, 2, ...).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub seeds: u64,
    /// Print only the time-to-find searches, as JSON: what --before reads
    /// from the clone of the earlier commit.
    #[arg(long, hide = true)]
    pub only_time_to_find: bool,
    /// Write the table into docs/benchmarks.md between its bench markers
    /// (not with --no-cold: the table would lose the fresh-clone figures),
    /// and the time-to-find table between its own.
    #[arg(long, alias = "write-readme")]
    pub write_docs: bool,
}

#[derive(Args)]
pub struct Findings {
    /// Print the store as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Fold other stores (target/findings folders of other machines or
    /// shards) into this one before listing it.
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub merge: Vec<PathBuf>,
    /// Mark the entry ID as judged not to be LuaJIT's defect (with --why);
    /// it then lists after the new ones, and later sightings keep the mark.
    #[arg(long, value_name = "ID", requires = "why")]
    pub dismiss: Option<String>,
    /// Why the entry --dismiss names is not LuaJIT's defect.
    #[arg(long, value_name = "TEXT", requires = "dismiss")]
    pub why: Option<String>,
}

#[derive(Args)]
pub struct Bisect {
    /// A catalogue case (tests/cases/NAME.lua, or its NAME) or any Lua
    /// script. A case is bad where it fails as its header says; a script is
    /// bad where the JIT and the interpreter (-joff) disagree on it.
    pub script: PathBuf,
    /// An upstream LuaJIT git checkout (or bare clone): bisect on from the
    /// published trees' commits to the commit that brought the defect (and
    /// the one that fixed it).
    #[arg(long, value_name = "DIR")]
    pub luajit_git: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct Report {
    /// A catalogue case (tests/cases/NAME.lua, or its NAME) or any Lua script.
    pub script: PathBuf,
    #[command(flatten)]
    pub pair: PairArgs,
    /// Print one JSON object (matches, the draft's path) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Leave out the regression range (no bisection: no tree builds beyond
    /// the one named).
    #[arg(long, conflicts_with = "luajit_git")]
    pub no_bisect: bool,
    /// Where the draft's folder (NAME/) goes; default: target/reports.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// An upstream LuaJIT git checkout: the range goes on from published
    /// trees to upstream commits (as `bisect --luajit-git`).
    #[arg(long, value_name = "DIR")]
    pub luajit_git: Option<PathBuf>,
}

#[derive(Args)]
pub struct Mutants {
    /// How many mutants to judge, drawn at random from those that survive
    /// trivial compiler equivalence.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub sample: usize,
    /// Seed of the draw, in hex (0x1) or decimal: the same seed gives the
    /// same sample, a new seed a new one.
    #[arg(long, value_name = "S", default_value = "1", value_parser = crate::pipeline::stress::parse_seed)]
    pub seed: u64,
    /// Judge only shard K of N of the sample: every mutant whose place in
    /// it is K-1 modulo N, e.g. 2/4. `--merge` combines the shards' `--json`
    /// outputs.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::pipeline::stress::Shard>,
    /// Print the run as JSON (what `--merge` reads).
    #[arg(long)]
    pub json: bool,
    /// Combine the `--json` outputs of every shard of one run into the
    /// whole run's report, without running anything.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["sample", "seed", "shard"])]
    pub merge: Vec<PathBuf>,
    /// With --merge: score the shards given even when some of the sample's
    /// are missing (a campaign still under way); the report says how many
    /// mutants of the sample it holds.
    #[arg(long, requires = "merge")]
    pub partial: bool,
    /// Judge the mutant of every gap of the triage (tests/mutants_triage.txt)
    /// again with today's cases and default stress run, instead of a
    /// sample: which gaps the generator or a case has closed since.
    #[arg(long, conflicts_with_all = ["sample", "seed", "shard", "merge"])]
    pub gaps: bool,
}
