//! The sweep: many LuaJIT trees, one row each, saying which upstream issues
//! the tree carries (by what the cases, the exhaustive emit_lso check and a
//! short stress run show on it, not by its version number), what each patch
//! of the series is to it, and whether the tree with the series verifies.
//! A tree that cannot be fetched or built is a row with the reason. This
//! file runs and judges the trees and merges shards; `jobs` runs shards
//! side by side; `render` writes the tables, `osv` the advisories and
//! `docs` the files the write step produces; the data carries the
//! catalogue (`pipeline::catalogue`).

pub mod docs;
pub mod jobs;
pub mod osv;
pub mod render;

use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use super::fetch::{self, Source, Tree};
use super::patch::{PatchState, Series};
use super::stress::{self, Plan, Shard, StressReport};
use super::suite::outcome::{CaseResult, LsoReport, Status};
use super::variants::{Variant, build_variant};
use super::verdict::{self, Answer, Ground, Group, SeriesChecks, TreeChecks};
use super::{Context, Timings, expect, findings, lso, suite};

/// Stress programs per tree: a short run, since the cases and the
/// exhaustive check carry most of the verdict; under QEMU on two cores it
/// keeps a tree to about a minute or two.
pub const DEFAULT_STRESS_COUNT: u32 = 40;

/// Version of the `--json` document, raised when its shape changes.
pub const SCHEMA_VERSION: u32 = 1;

pub use super::catalogue::Defect;
pub use render::{summary, table};

/// What the sweep of one tree found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The tree's place in the whole sweep: shards keep it, so a merge
    /// restores the order of the unsharded sweep.
    pub place: usize,
    pub tree: String,
    /// Why the tree could not be judged (not fetched, not LuaJIT, did not
    /// build); the lists below are empty then.
    pub error: Option<String>,
    pub affected: Vec<String>,
    pub not_affected: Vec<String>,
    pub could_not_tell: Vec<String>,
    /// Per upstream issue the series fixes: the verdict and its evidence.
    pub issues: Vec<IssueVerdict>,
    /// Per patch of the series: already in, applies, or neither.
    pub patches: Vec<PatchRow>,
    /// The tree with every patch that applies (the tree itself when none
    /// does): every case passes, emit_lso has no defect, the stress run
    /// finds no difference.
    pub patched_verifies: bool,
    /// What the patched tree showed, in one line.
    pub patched: String,
    /// The stress run on the tree as given.
    pub stress: Option<StressSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueVerdict {
    pub issue: String,
    /// The series' own issue, or another known defect its cases pin.
    #[serde(default)]
    pub group: Group,
    /// `affected`, `not affected` or `could not tell`.
    #[serde(with = "super::label")]
    pub verdict: Answer,
    /// What shows it: failing cases, emit_lso classes, attributed stress
    /// findings; or why there is no answer.
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchRow {
    pub patch: String,
    pub fixes: Vec<String>,
    /// `already in`, `applies` or `neither`.
    #[serde(with = "super::label")]
    pub state: PatchState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StressSummary {
    pub seed: u64,
    pub programs: u32,
    pub traces: u64,
    /// Each difference between the JIT and the interpreter, with what the
    /// patched tree made of it.
    pub findings: Vec<String>,
}

/// What `--json` prints and `--merge` reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sweep {
    pub schema_version: u32,
    /// Which share of the trees this is.
    pub shard: Shard,
    /// Trees in the whole sweep, over every shard.
    pub trees: usize,
    /// Whether the trees are every version cargo's registry index listed.
    #[serde(default)]
    pub all_published: bool,
    /// The stress run each tree got.
    pub stress_seed: u64,
    pub stress_count: u32,
    pub rows: Vec<Row>,
    /// Wall time of this sweep (the sum of the shards' after a merge).
    pub seconds: f64,
    /// Every known defect the trees were judged on, with its title, its
    /// fix and where it is reported: what `audit` and the OSV records
    /// answer with. Empty in documents written before it was kept.
    #[serde(default)]
    pub catalogue: Vec<Defect>,
    /// The day (UTC) the sweep ran; the latest shard's after a merge.
    #[serde(default)]
    pub swept_on: Option<jiff::civil::Date>,
    /// The project's code that judged the trees, `commit ABC` (with ` with
    /// local changes` when the checkout differed from it).
    #[serde(default)]
    pub source: Option<String>,
}

/// How each tree is swept.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub stress_count: u32,
    pub shard: Shard,
    /// The trees are every published version (said in the README's table).
    pub all_published: bool,
}

/// The trees to sweep: every published version when `all_published`, then
/// those `given`, each once, in that order.
pub fn trees(cx: &mut Context, all_published: bool, given: Vec<Tree>) -> Result<Vec<Tree>> {
    let mut trees: Vec<Tree> = Vec::new();
    if all_published {
        trees.extend(
            fetch::published_versions(cx)?
                .into_iter()
                .map(Tree::Published),
        );
    }
    trees.extend(given);
    if trees.is_empty() {
        bail!("no tree to sweep: give --luajit-src VERSION, --luajit-dir DIR or --all-published");
    }
    let mut seen = Vec::new();
    trees.retain(|t| {
        let fresh = !seen.contains(t);
        seen.push(t.clone());
        fresh
    });
    Ok(trees)
}

/// Sweeps this shard's share of `trees`, one row per tree.
pub fn sweep(cx: &mut Context, trees: &[Tree], options: Options) -> Result<Sweep> {
    let started = Instant::now();
    // The code the trees are judged by, before the checkout can move on.
    let source = render::source_stamp(&cx.root);
    let swept_on = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let series = Series::load(&cx.patches_dir())?;
    let cases = contract::case::Case::load_dir(&cx.cases_dir()).map_err(anyhow::Error::msg)?;
    let catalogue = super::catalogue::defects(&cx.root, &cases)?;
    let mut rows = Vec::new();
    let share: Vec<(usize, &Tree)> = trees
        .iter()
        .enumerate()
        .filter(|(place, _)| options.shard.takes(*place))
        .collect();
    for (done, (place, tree)) in share.iter().enumerate() {
        let tree_started = Instant::now();
        eprintln!("==> sweep {}/{}: {}", done + 1, share.len(), tree.name());
        let row = match sweep_tree(cx, tree, &series, options.stress_count) {
            Ok(mut row) => {
                row.place = *place;
                row
            }
            Err(error) => error_row(*place, tree.name(), &series, format!("{error:#}")),
        };
        eprintln!(
            "    sweep: {} done in {:.1} s: {}",
            row.tree,
            tree_started.elapsed().as_secs_f64(),
            summary(&row)
        );
        rows.push(row);
    }
    Ok(Sweep {
        schema_version: SCHEMA_VERSION,
        shard: options.shard,
        trees: trees.len(),
        all_published: options.all_published,
        stress_seed: stress::DEFAULT_SEED,
        stress_count: options.stress_count,
        rows,
        seconds: started.elapsed().as_secs_f64(),
        catalogue,
        swept_on: Some(swept_on),
        source: Some(source),
    })
}

fn error_row(place: usize, tree: String, series: &Series, error: String) -> Row {
    Row {
        place,
        tree,
        error: Some(error),
        affected: Vec::new(),
        not_affected: Vec::new(),
        could_not_tell: series.fixes(),
        issues: Vec::new(),
        patches: Vec::new(),
        patched_verifies: false,
        patched: "not built".to_owned(),
        stress: None,
    }
}

pub(super) fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

fn sweep_tree(cx: &mut Context, tree: &Tree, series: &Series, stress_count: u32) -> Result<Row> {
    let source = fetch::select(cx, tree)?;
    let scratch = cx
        .target_dir()
        .join("luajit")
        .join(format!("sweep-states-{}", source.tag));
    let states = series
        .each_state(&cx.sh, &source.dir, &scratch)
        .with_context(|| format!("cannot tell what the series is to {}", source.label))?;
    let patches: Vec<PatchRow> = series
        .patches
        .iter()
        .zip(&states)
        .map(|(patch, state)| PatchRow {
            patch: patch.name.clone(),
            fixes: patch.fixes.clone(),
            state: *state,
        })
        .collect();
    let applies = series.only(&states, PatchState::Applies);

    let plan = Plan::whole(stress::DEFAULT_SEED, stress_count);
    let given = check_variant(cx, "tree", &source, None, plan, None)?;
    let patched = if applies.patches.is_empty() {
        None
    } else {
        Some(check_variant(
            cx,
            "patched",
            &source,
            Some(&applies),
            plan,
            Some(&given),
        )?)
    };

    // A finding on the tree that the patched tree does not show is the
    // series' doing; it names an issue when one patch stands between them.
    let mut given_stress = given.stress.clone();
    if let Some(patched) = &patched {
        let between = (
            applies
                .patches
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
                .join(" + "),
            applies.fixes(),
        );
        let chain = [
            stress::ChainStep {
                name: "tree".to_owned(),
                suite: &given.variant.suite,
                run: Some(&given.stress),
            },
            stress::ChainStep {
                name: "patched".to_owned(),
                suite: &patched.variant.suite,
                run: Some(&patched.stress),
            },
        ];
        stress::attribute_all(cx, &mut given_stress, &chain, &[between])?;
    }
    findings::runs::record_stress(
        cx,
        &findings::Store::project(&cx.target_dir())?,
        &given_stress,
        &source.label,
        findings::runs::MatchWith::Unchecked(
            "a sweep row tries only the project's series on the tree".to_owned(),
        ),
    )?;

    let mut issues: Vec<IssueVerdict> = verdict::catalogue(&series.fixes(), &given.cases)
        .into_iter()
        .map(|(issue, group)| IssueVerdict {
            group,
            ..judge(&issue, &given.cases, &given.lso, &given_stress)
        })
        .collect();
    doubt_unexplained(&mut issues, &given_stress);
    let by = |verdict: Answer| -> Vec<String> {
        issues
            .iter()
            .filter(|i| i.verdict == verdict)
            .map(|i| i.issue.clone())
            .collect()
    };
    let reference = patched.as_ref().unwrap_or(&given);
    let fixes = series.fixes();
    let against_series = SeriesChecks {
        baseline: given.checks(),
        patched: reference.checks(),
        fixes: &fixes,
    };
    let (patched_verifies, patched_line) = verifies(&against_series, patched.is_none());
    Ok(Row {
        place: 0,
        tree: source.label.clone(),
        error: None,
        affected: by(Answer::Affected),
        not_affected: by(Answer::NotAffected),
        could_not_tell: by(Answer::CouldNotTell),
        issues,
        patches,
        patched_verifies,
        patched: patched_line,
        stress: Some(StressSummary {
            seed: plan.seed,
            programs: given_stress.programs,
            traces: given_stress.traces,
            findings: given_stress.findings.iter().map(describe_finding).collect(),
        }),
    })
}

/// A tree built and checked: its cases, emit_lso and a stress run.
struct Checked {
    variant: Variant,
    cases: Vec<CaseResult>,
    lso: LsoReport,
    stress: StressReport,
}

impl Checked {
    fn checks(&self) -> TreeChecks<'_> {
        TreeChecks {
            cases: &self.cases,
            lso: &self.lso,
            stress: &self.stress,
        }
    }
}

/// Builds `source` (with `series`) and runs the cases, the exhaustive check
/// and the stress run on it; beside the tree as given (`beside`), the
/// stress run takes that tree's interpreted runs when the interpreters are
/// one.
fn check_variant(
    cx: &mut Context,
    name: &str,
    source: &Source,
    series: Option<&Series>,
    plan: Plan,
    beside: Option<&Checked>,
) -> Result<Checked> {
    let variant = build_variant(cx, name, source, series, false, &mut Timings::default())?;
    let label = format!("{name} {}", source.tag);
    let cases = suite::run_cases(cx, &label, &variant.suite, &cx.cases_dir())?;
    let lso = lso::check_variant(cx, &label, &variant)?;
    let stress = match beside {
        Some(given) => stress::run_unshrunk_beside(
            cx,
            &label,
            &variant.suite,
            plan,
            &given.stress,
            &given.variant.suite,
        )?,
        None => stress::run_unshrunk(cx, &label, &variant.suite, plan)?,
    };
    Ok(Checked {
        variant,
        cases,
        lso,
        stress,
    })
}

/// An issue's verdict from the evidence on the tree as given: a case pinning
/// it that fails the way its header names, an emit_lso defect class tagged
/// with it, or a stress finding that only its patch stands between.
fn judge(
    issue: &str,
    cases: &[CaseResult],
    lso_report: &LsoReport,
    stress_report: &StressReport,
) -> IssueVerdict {
    let mut beside: Vec<String> = lso_report
        .defects
        .iter()
        .filter(|c| c.upstream.as_deref() == Some(issue) && c.count > 0)
        .map(|c| format!("emit_lso: {} ({} inputs)", c.class, c.count))
        .collect();
    beside.extend(
        stress_report
            .findings
            .iter()
            .filter(|f| {
                f.attribution
                    .as_ref()
                    .is_some_and(|a| a.fixed_by.is_some() && a.fixes == [issue])
            })
            .map(|f| {
                format!(
                    "stress program {:#x}: {}",
                    f.program_seed,
                    first_line(&f.difference)
                )
            }),
    );
    // Every tree is built with the JIT on.
    let judged = verdict::judge(issue, cases, !beside.is_empty(), true);
    let evidence = match judged.ground {
        Ground::Shown => {
            let mut evidence: Vec<String> = judged
                .pinning
                .iter()
                .filter(|c| expect::fails_as_pinned(c))
                .map(|c| format!("case {}: {}", c.name, c.outcome.summary()))
                .collect();
            evidence.extend(beside);
            evidence
        }
        Ground::NoCase => vec!["no regression case in tests/cases pins it".to_owned()],
        Ground::OtherFailure => judged
            .pinning
            .iter()
            .filter(|c| c.outcome.status != Status::Pass)
            .map(|c| {
                format!(
                    "case {} failed, but not as it pins: {}",
                    c.name,
                    c.outcome.summary()
                )
            })
            .collect(),
        Ground::CasesPass | Ground::JitOff => vec![format!(
            "{} pinning case(s) pass, no emit_lso class of it, no stress finding attributed to it",
            judged.pinning.len()
        )],
    };
    IssueVerdict {
        issue: issue.to_owned(),
        group: Group::Series,
        verdict: judged.answer,
        evidence,
    }
}

/// Stress findings on the tree that no issue explains (no issue is affected)
/// might be any issue's: the issues judged not affected become could not tell.
fn doubt_unexplained(issues: &mut [IssueVerdict], report: &StressReport) {
    verdict::doubt_unexplained(
        issues,
        !report.findings.is_empty(),
        |i| &mut i.verdict,
        |issue| {
            issue.evidence.push(format!(
                "but {} stress programs differ between the JIT and the interpreter and none is attributed",
                report.findings.len()
            ))
        },
    );
}

fn describe_finding(finding: &stress::Finding) -> String {
    let fate = match &finding.attribution {
        Some(a) if a.fixed_by.is_some() => {
            format!("agrees on the patched tree ({})", a.fixes.join(", "))
        }
        Some(_) => "differs on the patched tree too".to_owned(),
        None => "no patched tree to compare with".to_owned(),
    };
    format!(
        "program {:#x}, {}: {}; {fate}",
        finding.program_seed,
        finding.kind,
        first_line(&finding.difference)
    )
}

/// Whether the patched tree verifies, as `verify` judges a series: none of
/// the series' issues left, emit_lso clean, no stress difference the tree
/// as given does not show too; and one line on what it showed, with what
/// the series leaves as it was (known defects outside it).
fn verifies(series: &SeriesChecks, is_given: bool) -> (bool, String) {
    let checks = &series.patched;
    let mut line = format!(
        "{}{} of {} cases pass, emit_lso {}, {} of {} stress programs differ",
        if is_given {
            "nothing applies, so the tree itself: "
        } else {
            "the patched tree: "
        },
        checks.cases.len() - checks.failing().len(),
        checks.cases.len(),
        if checks.lso.defects.is_empty() {
            "clean".to_owned()
        } else {
            let classes: Vec<String> = checks
                .lso
                .defects
                .iter()
                .map(|c| format!("{} ({})", c.class, c.count))
                .collect();
            format!("defects: {}", classes.join(", "))
        },
        checks.stress.findings.len(),
        checks.stress.programs
    );
    let problems = series.problems();
    if !problems.is_empty() {
        line.push_str(&format!("; against the series: {}", problems.join("; ")));
    }
    let mut left: Vec<&str> = Vec::new();
    let lso_issues = series
        .preexisting_lso_classes()
        .into_iter()
        .filter_map(|c| c.upstream.as_ref());
    for issue in series
        .preexisting_cases()
        .iter()
        .flat_map(|c| &c.pins)
        .chain(lso_issues)
    {
        if !left.contains(&issue.as_str()) {
            left.push(issue);
        }
    }
    if !left.is_empty() {
        line.push_str(&format!("; left as they were: {}", left.join(", ")));
    }
    (series.clean(), line)
}

/// Combines the outputs of every shard of one sweep into the whole sweep.
pub fn merge(mut shards: Vec<Sweep>) -> Result<Sweep> {
    let Some(first) = shards.first() else {
        bail!("nothing to merge");
    };
    let (of, trees, seed, count, all_published) = (
        first.shard.of,
        first.trees,
        first.stress_seed,
        first.stress_count,
        first.all_published,
    );
    for shard in &shards {
        if shard.shard.of != of
            || shard.trees != trees
            || shard.all_published != all_published
            || shard.stress_seed != seed
            || shard.stress_count != count
        {
            bail!(
                "cannot merge shard {}/{} of a sweep of {} trees (stress seed {}, {} programs) with shard {}/{of} of {trees} trees (stress seed {seed}, {count} programs): another sweep",
                shard.shard.index,
                shard.shard.of,
                shard.trees,
                shard.stress_seed,
                shard.stress_count,
                first.shard.index
            );
        }
    }
    shards.sort_by_key(|s| s.shard.index);
    let indices: Vec<u32> = shards.iter().map(|s| s.shard.index).collect();
    if indices != (1..=of).collect::<Vec<_>>() {
        bail!("the shards given are {indices:?} of {of}; give each of 1..={of} once");
    }
    let mut rows: Vec<Row> = shards.iter().flat_map(|s| s.rows.clone()).collect();
    rows.sort_by_key(|r| r.place);
    let places: Vec<usize> = rows.iter().map(|r| r.place).collect();
    if places != (0..trees).collect::<Vec<_>>() {
        bail!("the shards hold the rows of places {places:?}, not each of 0..{trees} once");
    }
    let catalogue = shards[0].catalogue.clone();
    if let Some(other) = shards.iter().find(|s| s.catalogue != catalogue) {
        bail!(
            "shard {}/{of} was judged on another catalogue than shard {}/{of} (the cases or the series differ between their checkouts); sweep them from one commit",
            other.shard.index,
            shards[0].shard.index
        );
    }
    let mut sources: Vec<String> = shards.iter().filter_map(|s| s.source.clone()).collect();
    sources.dedup();
    Ok(Sweep {
        schema_version: SCHEMA_VERSION,
        shard: Shard::WHOLE,
        trees,
        all_published,
        stress_seed: seed,
        stress_count: count,
        rows,
        seconds: shards.iter().map(|s| s.seconds).sum(),
        catalogue,
        swept_on: shards.iter().filter_map(|s| s.swept_on).max(),
        source: (!sources.is_empty()).then(|| sources.join(", ")),
    })
}

/// Reads a `--json` output, refusing other documents and other schema versions.
pub fn read(path: &Path) -> Result<Sweep> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not JSON (the output of `cargo xtask sweep --json`)",
            path.display()
        )
    })?;
    let version = value["schema_version"].as_u64();
    if version != Some(SCHEMA_VERSION as u64) {
        bail!(
            "{} has schema_version {}, this toolkit reads {SCHEMA_VERSION}",
            path.display(),
            version.map_or("none".to_owned(), |v| v.to_string())
        );
    }
    serde_json::from_value(value).with_context(|| {
        format!(
            "{} is not the output of `cargo xtask sweep --json`",
            path.display()
        )
    })
}

/// A row of a tree judged without trouble, for the tests of the sweep's
/// renderings: place 0, the patched tree verifies, nothing else known.
#[cfg(test)]
impl Row {
    pub(crate) fn judged(tree: &str, affected: &[&str], not_affected: &[&str]) -> Row {
        let list = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Row {
            place: 0,
            tree: tree.to_owned(),
            error: None,
            affected: list(affected),
            not_affected: list(not_affected),
            could_not_tell: Vec::new(),
            issues: Vec::new(),
            patches: Vec::new(),
            patched_verifies: true,
            patched: String::new(),
            stress: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn row(place: usize, affected: &[&str]) -> Row {
        Row {
            place,
            ..Row::judged(&format!("tree {place}"), affected, &[])
        }
    }

    fn shard(index: u32, of: u32, rows: Vec<Row>) -> Sweep {
        Sweep {
            schema_version: SCHEMA_VERSION,
            shard: Shard { index, of },
            trees: 3,
            all_published: false,
            stress_seed: 1,
            stress_count: 10,
            rows,
            seconds: 1.0,
            catalogue: Vec::new(),
            swept_on: None,
            source: None,
        }
    }

    #[test]
    fn answers_and_patch_states_are_written_by_their_labels() {
        let mut row = row(0, &["LuaJIT#1"]);
        row.issues.push(IssueVerdict {
            issue: "LuaJIT#2".to_owned(),
            group: Group::Series,
            verdict: Answer::NotAffected,
            evidence: Vec::new(),
        });
        row.patches.push(PatchRow {
            patch: "0001-x.patch".to_owned(),
            fixes: vec!["LuaJIT#1".to_owned()],
            state: PatchState::AlreadyIn,
        });
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["issues"][0]["verdict"], "not affected");
        assert_eq!(json["patches"][0]["state"], "already in");
        assert_eq!(serde_json::from_value::<Row>(json).unwrap(), row);
        let mut wrong = serde_json::to_value(&row).unwrap();
        wrong["issues"][0]["verdict"] = "not_affected".into();
        assert!(serde_json::from_value::<Row>(wrong).is_err());
    }

    #[test]
    fn merged_shards_restore_the_order_and_refuse_gaps() {
        let merged = merge(vec![
            shard(2, 2, vec![row(1, &[])]),
            shard(1, 2, vec![row(0, &["LuaJIT#1"]), row(2, &[])]),
        ])
        .unwrap();
        let places: Vec<usize> = merged.rows.iter().map(|r| r.place).collect();
        assert_eq!(places, [0, 1, 2]);
        assert_eq!(merged.shard, Shard::WHOLE);
        assert!(merge(vec![shard(1, 2, vec![row(0, &[]), row(2, &[])])]).is_err());
        assert!(
            merge(vec![
                shard(1, 2, vec![row(0, &[])]),
                shard(2, 2, vec![row(1, &[])])
            ])
            .is_err()
        );
    }

    use crate::pipeline::stress::{Finding, Replay};
    use crate::pipeline::suite::outcome::LsoClass;
    use crate::pipeline::testing;

    fn case(name: &str, pin: &str, fails_with: Option<&str>, status: Status) -> CaseResult {
        let error = (status == Status::Fail).then_some("x.lua:1: wrong bytes");
        testing::case(name, &[pin], fails_with, status, error)
    }

    fn lso(tagged: &[&str]) -> LsoReport {
        testing::lso_report(
            tagged
                .iter()
                .map(|issue| LsoClass {
                    class: format!("class of {issue}"),
                    upstream: Some(issue.to_string()),
                    count: 3,
                    examples: Vec::new(),
                })
                .collect(),
        )
    }

    /// A stress run whose findings agree on the patched tree, each with the
    /// issues of the patches between the two trees.
    fn stress_run(fixed_by: &[&[&str]]) -> StressReport {
        StressReport {
            variant: "tree".to_owned(),
            programs_dir: PathBuf::from("programs"),
            plan: Plan::whole(1, 10),
            programs: 10,
            traces: 100,
            reach: Vec::new(),
            unreached: Vec::new(),
            findings: fixed_by
                .iter()
                .enumerate()
                .map(|(index, fixes)| Finding {
                    program_seed: index as u64,
                    kind: crate::pipeline::stress::Kind::Mismatch,
                    difference: "with the JIT it returns 1, without it 2".to_owned(),
                    took_millis: 1,
                    attribution: Some(Replay {
                        steps: Vec::new(),
                        fixed_by: Some("the series".to_owned()),
                        fixes: fixes.iter().map(|s| s.to_string()).collect(),
                    }),
                    ..testing::finding(index)
                })
                .collect(),
            run_seconds: 1.0,
            first_finding_seconds: None,
            seconds: 1.0,
        }
    }

    #[test]
    fn each_kind_of_evidence_makes_an_issue_affected() {
        let cases = [
            case("a", "LuaJIT#1", Some("wrong bytes"), Status::Fail),
            case("b", "LuaJIT#2", None, Status::Pass),
            case("c", "LuaJIT#3", None, Status::Pass),
            case("d", "LuaJIT#4", None, Status::Pass),
        ];
        let report = lso(&["LuaJIT#2"]);
        // Only a finding one issue's patch stands between is that issue's.
        let stress = stress_run(&[&["LuaJIT#3"], &["LuaJIT#4", "LuaJIT#1"]]);
        let verdicts: Vec<Answer> = ["LuaJIT#1", "LuaJIT#2", "LuaJIT#3", "LuaJIT#4"]
            .iter()
            .map(|issue| judge(issue, &cases, &report, &stress).verdict)
            .collect();
        assert_eq!(
            verdicts,
            [
                Answer::Affected,
                Answer::Affected,
                Answer::Affected,
                Answer::NotAffected
            ]
        );
        let by_lso = judge("LuaJIT#2", &cases, &report, &stress);
        assert!(by_lso.evidence[0].starts_with("emit_lso: class of LuaJIT#2"));
    }

    #[test]
    fn no_case_or_another_failure_cannot_tell() {
        let cases = [
            case("a", "LuaJIT#1", Some("a function value"), Status::Fail),
            case("b", "LuaJIT#2", None, Status::Pass),
        ];
        let (clean, quiet) = (lso(&[]), stress_run(&[]));
        assert_eq!(
            judge("LuaJIT#1", &cases, &clean, &quiet).verdict,
            Answer::CouldNotTell
        );
        assert_eq!(
            judge("LuaJIT#9", &cases, &clean, &quiet).verdict,
            Answer::CouldNotTell
        );
        let not = judge("LuaJIT#2", &cases, &clean, &quiet);
        assert_eq!(not.verdict, Answer::NotAffected);
        // Differences nothing explains put every "not affected" in doubt.
        let mut doubted = [not];
        doubt_unexplained(&mut doubted, &stress_run(&[&["LuaJIT#7", "LuaJIT#8"]]));
        assert_eq!(doubted[0].verdict, Answer::CouldNotTell);
    }
}
