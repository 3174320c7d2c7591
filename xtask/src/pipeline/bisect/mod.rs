//! Bisection of a defect over LuaJIT trees: a catalogue case or a script,
//! judged on the published luajit-src trees in version order to find the
//! last good and the first bad tree (and the fix, when the newest is good),
//! then, with an upstream git directory, on the first-parent commits
//! between them to find the commit. `search` holds the search, `git` the
//! upstream side, `render` the text; this file judges trees.

pub mod git;
pub mod render;
pub mod search;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use contract::case::Case;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::build::make_args;
use super::cache::Key;
use super::expect::fails_as_pinned;
use super::fetch::{self, Tree, hash_tree};
use super::findings::matching;
use super::suite::outcome::Status;
use super::{Context, stress, suite, variants};
use git::{Commit, Origin, TreeCommit, Upstream};
use search::{Found, Transition, Verdict};

pub use render::{text, upstream_terms};

/// Version of the `--json` document, raised when its shape changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Raised when the way a tree is judged changes, so stored verdicts of
/// the old way are not reused.
const JUDGE_REVISION: u32 = 2;

/// What to bisect.
pub struct Options {
    /// A case file, a case's name, or a script's path, as given.
    pub script: PathBuf,
    /// An upstream LuaJIT git directory for the second stage.
    pub luajit_git: Option<PathBuf>,
}

/// What makes a tree bad.
#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    pub path: PathBuf,
    /// `case` or `script`.
    pub kind: &'static str,
    /// The case's name, or the script's file name.
    pub name: String,
    /// How a tree is judged, in one phrase.
    pub bad_when: String,
    /// The published tree the case's header says it fails on, tried when
    /// both ends are good.
    pub fails_on: Option<String>,
    #[serde(skip)]
    case: Option<Case>,
}

impl Subject {
    /// A case in tests/cases (by path or bare name) or any other script.
    pub fn resolve(given: &Path, cases_dir: &Path) -> Result<Subject> {
        let path = script_path(given, cases_dir)?;
        let in_catalogue = cases_dir
            .canonicalize()
            .is_ok_and(|dir| path.parent() == Some(dir.as_path()));
        let source = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let case = in_catalogue
            .then(|| Case::parse(&path, source))
            .and_then(Result::ok);
        let file_name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        Ok(match case {
            Some(case) => Subject {
                kind: "case",
                name: case.name.clone(),
                bad_when: match &case.fails_with {
                    Some(text) => format!(
                        "a tree is bad where the case fails with \"{text}\" (its header; pins {})",
                        case.pins.join(", ")
                    ),
                    None => format!(
                        "a tree is bad where the case fails (its header names no text; pins {})",
                        case.pins.join(", ")
                    ),
                },
                fails_on: case
                    .fails_on
                    .as_ref()
                    .filter(|t| t.series.is_none())
                    .map(|t| t.version.clone()),
                path,
                case: Some(case),
            },
            None => Subject {
                kind: "script",
                name: file_name,
                bad_when: "a tree is bad where the script's run with the JIT differs from its run with -joff".to_owned(),
                fails_on: None,
                path,
                case: None,
            },
        })
    }
}

/// The script `given` names: a file, or a case of the catalogue by its bare
/// name (NAME or NAME.lua in `cases_dir`), canonical.
pub fn script_path(given: &Path, cases_dir: &Path) -> Result<PathBuf> {
    let path = if given.is_file() {
        given.to_owned()
    } else {
        // A bare name is a case's: NAME or NAME.lua in the catalogue.
        let bare = given.components().count() == 1;
        let by_name = cases_dir.join(given).with_extension("lua");
        if !bare {
            bail!(
                "{}: no such file; pass a Lua script's path or a case's name (a file of {} without .lua)",
                given.display(),
                cases_dir.display()
            );
        }
        if !by_name.is_file() {
            bail!(
                "{}: no such file here, and no case {} in the catalogue; pass a Lua script's path or a case's name (a file of {} without .lua)",
                given.display(),
                by_name.display(),
                cases_dir.display()
            );
        }
        by_name
    };
    path.canonicalize()
        .with_context(|| format!("cannot resolve {}", path.display()))
}

/// One tree or commit judged.
#[derive(Debug, Clone, Serialize)]
pub struct Judgement {
    /// The version (`210.6.5+7152e15`) or the commit's short hash.
    pub tree: String,
    #[serde(with = "super::label")]
    pub verdict: Verdict,
    /// What the run showed, or why it could not be judged.
    pub detail: String,
    /// The verdict came from an earlier run (no build, no run).
    pub reused: bool,
    pub seconds: f64,
}

/// A transition between two published trees.
#[derive(Debug, Clone, Serialize)]
pub struct TreeRange {
    /// The last tree with the earlier verdict (good for an introduction,
    /// bad for a fix) and the first with the later one.
    pub last_before: String,
    pub first_after: String,
    /// Trees between them that could not be judged.
    pub skipped_between: Vec<String>,
    /// The commits the two trees carry, with whose they are.
    pub before_commit: Option<TreeCommit>,
    pub after_commit: Option<TreeCommit>,
}

/// The second stage for one transition: its commits.
#[derive(Debug, Clone, Serialize)]
pub struct CommitSearch {
    /// `introduced` or `fixed`.
    pub transition: &'static str,
    /// Why the commits could not be searched, when they could not.
    pub not_searched: Option<String>,
    /// The first-parent commits touching src/ after the earlier tree's
    /// commit up to the later tree's.
    pub commits_in_range: usize,
    pub judged: Vec<Judgement>,
    /// The last commit with the earlier verdict and the first with the later.
    pub last_before: Option<Commit>,
    pub first_after: Option<Commit>,
    /// Commits between them that could not be judged.
    pub skipped_between: Vec<Commit>,
}

/// What `bisect` found, and how.
#[derive(Debug, Clone, Serialize)]
pub struct Bisection {
    pub schema_version: u32,
    pub subject: Subject,
    /// Every published tree the search ran over, oldest first.
    pub trees: Vec<String>,
    pub judged: Vec<Judgement>,
    pub found: Found,
    pub introduced: Option<TreeRange>,
    pub fixed: Option<TreeRange>,
    pub commits: Vec<CommitSearch>,
    /// Trees and commits judged by building and running (not reused).
    pub builds: usize,
    pub seconds: f64,
}

impl Bisection {
    /// A range of trees was found (or every tree is bad), and the commit
    /// stage, when asked for, ran for each range.
    pub fn answered(&self) -> bool {
        matches!(self.found, Found::Range { .. } | Found::EveryPlaceBad)
            && self.commits.iter().all(|c| c.not_searched.is_none())
    }
}

/// Runs the bisection: published trees, then (with `luajit_git`) commits.
pub fn bisect(cx: &mut Context, options: &Options) -> Result<Bisection> {
    let started = Instant::now();
    let subject = Subject::resolve(&options.script, &cx.cases_dir())?;
    let upstream = options
        .luajit_git
        .as_deref()
        .map(Upstream::open)
        .transpose()?;
    let trees = published_trees(cx)?;
    let hint = subject
        .fails_on
        .as_ref()
        .and_then(|v| trees.iter().position(|t| t == v));
    eprintln!(
        "==> bisect {} over {} published trees ({} .. {}); {}",
        subject.name,
        trees.len(),
        trees.first().map_or("", String::as_str),
        trees.last().map_or("", String::as_str),
        subject.bad_when
    );
    let runner = runner_key(cx)?;
    let mut judge = Judge {
        subject: &subject,
        runner,
        judged: Vec::new(),
        estimate: 2 + search::ceil_log2(trees.len().saturating_sub(1)) as usize,
    };
    let searched = search::search(trees.len(), hint, &mut |place| {
        judge.tree(cx, &trees[place], &Tree::Published(trees[place].clone()))
    })?;
    let tree_range = |t: &Transition| TreeRange {
        last_before: trees[t.last_before].clone(),
        first_after: trees[t.first_after].clone(),
        skipped_between: t
            .skipped_between
            .iter()
            .map(|&p| trees[p].clone())
            .collect(),
        before_commit: git::tree_commit(&trees[t.last_before]),
        after_commit: git::tree_commit(&trees[t.first_after]),
    };
    let (introduced, fixed) = match &searched.found {
        Found::Range { introduced, fixed } => (
            introduced.as_ref().map(tree_range),
            fixed.as_ref().map(tree_range),
        ),
        _ => (None, None),
    };
    let mut commits = Vec::new();
    if let Some(upstream) = &upstream {
        for (name, range, earlier) in [
            ("introduced", &introduced, Verdict::Good),
            ("fixed", &fixed, Verdict::Bad),
        ] {
            if let Some(range) = range {
                commits.push(search_commits(
                    cx, &mut judge, upstream, name, range, earlier,
                )?);
            }
        }
    }
    let builds = judge.judged.iter().filter(|j| !j.reused).count();
    let (tree_judgements, _) = judge.judged.split_at(searched.asked.len());
    Ok(Bisection {
        schema_version: SCHEMA_VERSION,
        judged: tree_judgements.to_vec(),
        subject,
        trees,
        found: searched.found,
        introduced,
        fixed,
        commits,
        builds,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Every published luajit-src version but 0.0.0 (an empty placeholder, no
/// LuaJIT tree), in version order (major, minor, patch: 210.5.10 after
/// 210.5.9), oldest first.
pub fn published_trees(cx: &mut Context) -> Result<Vec<String>> {
    Ok(in_version_order(fetch::published_versions(cx)?))
}

fn in_version_order(versions: Vec<String>) -> Vec<String> {
    let number = |v: &str| -> Option<(u64, u64, u64)> {
        let core = v.split_once('+').map_or(v, |(n, _)| n);
        let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
        Some((parts.next()??, parts.next()??, parts.next()??))
    };
    let mut numbered: Vec<((u64, u64, u64), String)> = versions
        .into_iter()
        .filter_map(|v| Some((number(&v)?, v)))
        .filter(|(n, _)| *n != (0, 0, 0))
        .collect();
    numbered.sort();
    numbered.into_iter().map(|(_, v)| v).collect()
}

/// What decides how a built tree runs a script: the suite's and luajit-sys's
/// sources, the lock file and the make flags. Part of every verdict's key.
fn runner_key(cx: &Context) -> Result<String> {
    let mut hasher = Sha256::new();
    for part in ["tests/src", "tests/contract", "luajit-sys"] {
        let dir = cx.root.join(part);
        hash_tree(&cx.root, &dir, &mut hasher)
            .with_context(|| format!("cannot read {}", dir.display()))?;
    }
    for file in ["tests/build.rs", "tests/Cargo.toml", "Cargo.lock"] {
        let path = cx.root.join(file);
        hasher.update(fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?);
    }
    hasher.update(make_args(cx).join(" ").as_bytes());
    Ok(format!("{:x}", hasher.finalize()))
}

/// Judges trees one by one, keeping every judgement and printing progress.
struct Judge<'a> {
    subject: &'a Subject,
    runner: String,
    judged: Vec<Judgement>,
    /// How many judgements the current stage should take, for "[3/8]".
    estimate: usize,
}

impl Judge<'_> {
    /// Judges `tree`, named `name`; the verdict is stored under `identity`
    /// (what the tree is), so a second bisection reuses it.
    fn judge(
        &mut self,
        cx: &mut Context,
        name: &str,
        identity: &str,
        tree: &Tree,
    ) -> Result<Verdict> {
        let started = Instant::now();
        let key = Key::new("bisect-verdict")
            .text("revision", JUDGE_REVISION)
            .text("tree", identity)
            .text("kind", self.subject.kind)
            .file("script", &self.subject.path)?
            .text("runner", &self.runner);
        let what = format!("bisect verdict of {} on {name}", self.subject.name);
        let stored: Option<(Verdict, String)> = cx.cache.lookup(&what, &key, |_| true);
        let (verdict, detail, reused) = match stored {
            Some((verdict, detail)) => (verdict, detail, true),
            None => {
                let (verdict, detail) = self.build_and_run(cx, name, tree)?;
                // A skip may be passing trouble (a fetch, a full disk): only
                // a good or bad verdict is kept.
                if verdict != Verdict::Skipped {
                    cx.cache.store(
                        &key,
                        &(verdict, detail.clone()),
                        started.elapsed().as_secs_f64(),
                    )?;
                }
                (verdict, detail, false)
            }
        };
        self.judged.push(Judgement {
            tree: name.to_owned(),
            verdict,
            detail: detail.clone(),
            reused,
            seconds: started.elapsed().as_secs_f64(),
        });
        let step = self.judged.len();
        self.estimate = self.estimate.max(step);
        eprintln!(
            "[{step}/{}] {name}: {} ({}){}",
            self.estimate,
            super::label::Label::label(verdict),
            shortened(&detail),
            if reused { " [reused]" } else { "" }
        );
        Ok(verdict)
    }

    fn tree(&mut self, cx: &mut Context, version: &str, tree: &Tree) -> Result<Verdict> {
        self.judge(cx, version, &format!("luajit-src {version}"), tree)
    }

    /// Builds the tree and runs the subject on it. Whatever goes wrong on
    /// the way is this tree's skip, with the reason, not the search's end.
    fn build_and_run(
        &self,
        cx: &mut Context,
        name: &str,
        tree: &Tree,
    ) -> Result<(Verdict, String)> {
        let variant = match variants::single(cx, tree) {
            Ok((_, _, variant)) => variant,
            Err(error) => {
                return Ok((
                    Verdict::Skipped,
                    format!(
                        "could not be fetched or built: {}",
                        first_line(&format!("{error:#}"))
                    ),
                ));
            }
        };
        let work = cx
            .target_dir()
            .join("bisect")
            .join(format!("{}-{}", self.subject.kind, self.subject.name));
        fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
        let copy = work.join(self.subject.path.file_name().expect("a file"));
        fs::copy(&self.subject.path, &copy).with_context(|| {
            format!(
                "cannot copy {} to {}",
                self.subject.path.display(),
                copy.display()
            )
        })?;
        let judged =
            match &self.subject.case {
                Some(_) => suite::run_cases(cx, name, &variant.suite, &work).map(|results| {
                    match results.first() {
                        None => (Verdict::Skipped, "the suite ran no case".to_owned()),
                        Some(result) if fails_as_pinned(result) => {
                            (Verdict::Bad, result.outcome.summary())
                        }
                        Some(result) if result.outcome.status == Status::Pass => {
                            (Verdict::Good, "passes".to_owned())
                        }
                        Some(result) => (
                            Verdict::Skipped,
                            format!(
                                "fails, but not as its header says: {}",
                                result.outcome.summary()
                            ),
                        ),
                    }
                }),
                None => suite::run_compare(cx, &variant.suite, &work, stress::RUN_LIMITS).map(
                    |comparisons| match comparisons.first() {
                        None => (Verdict::Skipped, "the suite ran nothing".to_owned()),
                        Some(c) if c.interpreter.status != Status::Pass => (
                            Verdict::Skipped,
                            format!("fails with -joff too: {}", c.interpreter.summary()),
                        ),
                        Some(c) => match c.difference() {
                            Some(difference) => (Verdict::Bad, difference),
                            None => (Verdict::Good, "the JIT and -joff agree".to_owned()),
                        },
                    },
                ),
            };
        // A script that prints what it computes (rather than returning it)
        // is judged as a stock `luajit` runs it too.
        let judged = match judged {
            Ok((Verdict::Good, detail)) if self.subject.case.is_none() => {
                let runner = matching::stock_runner(cx, &variant);
                matching::run_both(&runner, &copy).map(
                    |(jit, joff)| match matching::outcomes_differ(&jit, &joff) {
                        true => (
                            Verdict::Bad,
                            format!(
                                "with the JIT: {} `{}`; with -joff: {} `{}`",
                                jit.summary(),
                                jit.output.trim(),
                                joff.summary(),
                                joff.output.trim()
                            ),
                        ),
                        false => (Verdict::Good, detail),
                    },
                )
            }
            other => other,
        };
        Ok(judged.unwrap_or_else(|error| {
            (
                Verdict::Skipped,
                format!("could not be run: {}", first_line(&format!("{error:#}"))),
            )
        }))
    }
}

/// A verdict's detail cut for one line of progress or of the table: a
/// failing case lists every wrong result, which the JSON keeps in full.
pub fn shortened(detail: &str) -> String {
    const WIDTH: usize = 110;
    match detail.char_indices().nth(WIDTH) {
        Some((cut, _)) => format!("{}…", &detail[..cut]),
        None => detail.to_owned(),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// The second stage for one transition between published trees: the
/// upstream commits between their commits, binary-searched.
fn search_commits(
    cx: &mut Context,
    judge: &mut Judge,
    upstream: &Upstream,
    transition: &'static str,
    range: &TreeRange,
    earlier: Verdict,
) -> Result<CommitSearch> {
    let mut result = CommitSearch {
        transition,
        not_searched: None,
        commits_in_range: 0,
        judged: Vec::new(),
        last_before: None,
        first_after: None,
        skipped_between: Vec::new(),
    };
    let (before, after) = match commit_range(upstream, range) {
        Ok(ends) => ends,
        Err(why) => {
            eprintln!("==> commits of the {transition} range not searched: {why:#}");
            result.not_searched = Some(format!("{why:#}"));
            return Ok(result);
        }
    };
    let mut places = vec![before.clone()];
    places.extend(upstream.commits_touching_src(&before, &after)?);
    result.commits_in_range = places.len() - 1;
    if places.len() < 2 {
        let why = format!(
            "no first-parent commit between {} and {} changes src/, yet the trees differ: the published trees are not plain upstream trees there",
            &before[..8],
            &after[..8]
        );
        result.not_searched = Some(why);
        return Ok(result);
    }
    // The later tree's commit need not touch src/ itself: the last commit
    // that does has its src/, so its verdict is the later tree's.
    let later = match earlier {
        Verdict::Good => Verdict::Bad,
        _ => Verdict::Good,
    };
    eprintln!(
        "==> bisect {} over {} first-parent commits touching src/ from {} to {} ({transition})",
        judge.subject.name,
        result.commits_in_range,
        &before[..8],
        &after[..8]
    );
    let first_judgement = judge.judged.len();
    judge.estimate = first_judgement + search::ceil_log2(places.len() - 1) as usize;
    let commits_dir = cx.target_dir().join("bisect").join("commits");
    fs::create_dir_all(&commits_dir)
        .with_context(|| format!("cannot create {}", commits_dir.display()))?;
    let (found, _) = search::between(places.len(), earlier, later, &mut |place| {
        let hash = &places[place];
        let identity = format!("upstream src tree {}", upstream.src_tree(hash)?);
        let name = format!("commit {}", &hash[..8]);
        let dir = match upstream.export(hash, &commits_dir) {
            Ok(dir) => dir,
            Err(error) => {
                eprintln!("    {name}: cannot export it: {error:#}");
                return Ok(Verdict::Skipped);
            }
        };
        judge.judge(cx, &name, &identity, &Tree::Dir(dir))
    })?;
    result.judged = judge.judged.split_off(first_judgement);
    // Kept in the judge too, for the count of builds.
    judge.judged.extend(result.judged.iter().cloned());
    result.last_before = Some(upstream.describe(&places[found.last_before])?);
    result.first_after = Some(upstream.describe(&places[found.first_after])?);
    result.skipped_between = found
        .skipped_between
        .iter()
        .map(|&p| upstream.describe(&places[p]))
        .collect::<Result<_>>()?;
    Ok(result)
}

/// The full hashes of the two trees' upstream commits, or why there are none.
fn commit_range(upstream: &Upstream, range: &TreeRange) -> Result<(String, String)> {
    let mut ends = Vec::new();
    for (tree, commit) in [
        (&range.last_before, &range.before_commit),
        (&range.first_after, &range.after_commit),
    ] {
        match commit {
            None => bail!("luajit-src {tree} names no commit in its version"),
            Some(TreeCommit {
                origin: Origin::OpenResty,
                hash,
            }) => bail!(
                "luajit-src {tree} is an OpenResty luajit2 tree (commit {hash} of openresty/luajit2), not an upstream commit: the upstream history cannot be searched from it"
            ),
            Some(TreeCommit {
                origin: Origin::Upstream,
                hash,
            }) => ends.push(upstream.resolve(hash)?),
        }
    }
    let (before, after) = (ends[0].clone(), ends[1].clone());
    if !upstream.is_ancestor(&before, &after) {
        bail!(
            "{} (luajit-src {}) is not an ancestor of {} (luajit-src {}) in {}",
            &before[..8],
            range.last_before,
            &after[..8],
            range.first_after,
            upstream.dir.display()
        );
    }
    Ok((before, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_ordered_by_number_without_the_placeholder() {
        let given = [
            "0.0.0",
            "210.5.10+f725e44",
            "210.5.9+04dca79",
            "210.4.8+resty107baaf",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(
            in_version_order(given),
            [
                "210.4.8+resty107baaf",
                "210.5.9+04dca79",
                "210.5.10+f725e44"
            ]
        );
    }

    #[test]
    fn a_case_is_found_by_name_and_a_missing_one_is_named() {
        let root = crate::pipeline::project_root();
        let cases = root.join("tests/cases");
        let subject = Subject::resolve(Path::new("lj1480_const_shift64"), &cases).unwrap();
        assert_eq!(
            (subject.kind, subject.name.as_str()),
            ("case", "lj1480_const_shift64")
        );
        assert_eq!(subject.fails_on.as_deref(), Some("210.7.2+b925b3e"));
        let error = Subject::resolve(Path::new("no_such_case"), &cases).unwrap_err();
        assert!(format!("{error:#}").contains("no such file"), "{error:#}");
        // A Lua file outside the catalogue is a script, judged by JIT against -joff.
        let script = root.join("tests/src/live_traces.lua");
        assert_eq!(Subject::resolve(&script, &cases).unwrap().kind, "script");
    }
}
