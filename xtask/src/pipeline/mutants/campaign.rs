//! A run of generated mutants (`cargo xtask mutants`): generate every
//! mutant of the backend, walk them in the seed's order dropping trivially
//! equivalent and non-compiling ones until the sample is full, leave out
//! the sampled mutants triaged equivalent or unreachable, judge the rest
//! (this shard's share of them) and score. Shards of one run walk the same
//! order and so draw the same sample; `merge` puts their rows together.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use super::judge::{self, Base, Verdict};
use super::score::Score;
use super::tce::{Compiler, Tce};
use super::triage::{self, Kind};
use super::{Edit, function, generate, sample};
use crate::pipeline::Context;
use crate::pipeline::stress::Shard;
use crate::pipeline::toolchain::mutator;

/// The committed triage of survivors, relative to the project root.
pub const TRIAGE_FILE: &str = "tests/mutants_triage.txt";

/// What a run is asked for.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// How many mutants that survive trivial compiler equivalence to draw.
    pub sample: usize,
    pub seed: u64,
    pub shard: Shard,
}

/// A run, or the merge of a run's shards: what `--json` prints and
/// `--merge` reads.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Campaign {
    /// The generator and its version.
    pub tool: String,
    /// The tree the mutants edit.
    pub base: String,
    pub seed: u64,
    /// The sample size asked for.
    pub sample: usize,
    /// The shards whose rows this holds, e.g. `["1/4", "3/4"]`; `["1/1"]`
    /// for a whole run.
    pub shards: Vec<String>,
    /// Mutants the tool made, by file.
    pub generated: BTreeMap<String, usize>,
    pub tce: TceCount,
    /// Cases and stress programs that fail on the unmutated tree: they
    /// kill nothing.
    pub base_failures: Vec<String>,
    /// One row per sampled mutant of these shards, in sample order.
    pub rows: Vec<Row>,
    /// The wall-clock time of the run, each part: the base (build, cases,
    /// stress), generating, the compiler-equivalence walk, judging.
    pub timing: Timing,
}

/// The walk through the seed's order until the sample was full.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TceCount {
    /// Mutants compiled (or found in the cache) before the sample was full.
    pub examined: usize,
    /// Of those, byte-identical `lj_asm.o`: dropped.
    pub equivalent: usize,
    /// Of those, rejected by the compiler: dropped.
    pub does_not_compile: usize,
    /// Of those, kept: the sample (fewer than asked when the tool made too few).
    pub kept: usize,
}

/// Seconds of wall-clock time; a part an older run did not record reads as 0.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Timing {
    pub base_seconds: f64,
    pub generate_seconds: f64,
    pub tce_seconds: f64,
    /// Compiling the examined mutants, each as long as its first compile
    /// took (a cached decision costs nothing now).
    pub tce_compile_seconds: f64,
    pub judge_seconds: f64,
    pub total_seconds: f64,
}

/// One sampled mutant.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Row {
    /// Its place in the sample, from 0.
    pub place: usize,
    pub edit: Edit,
    /// The C function it is in (`#define NAME` for a macro); None at file scope.
    pub function: Option<String>,
    /// What `tests/mutants_triage.txt` says of it, if anything.
    pub triage: Option<Triaged>,
    /// None when triage leaves it out (equivalent, unreachable): not
    /// judged; or when the judge failed.
    pub verdict: Option<Verdict>,
    /// Why the judge could not build or run it: left out of the score,
    /// and the command fails.
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Triaged {
    pub kind: Kind,
    pub reason: String,
    pub script: Option<String>,
}

impl Row {
    /// Judged and nothing told it apart.
    pub fn survived(&self) -> bool {
        self.verdict.as_ref().is_some_and(|v| v.killed_by.is_none())
    }

    /// A survivor nobody has triaged yet.
    pub fn untriaged_survivor(&self) -> bool {
        self.survived() && self.triage.is_none()
    }

    /// The line change, as a diff shows it.
    pub fn diff(&self) -> String {
        format!("-{}\n+{}", self.edit.original, self.edit.replacement)
    }
}

impl Campaign {
    /// Killed over judged, triaged equivalent and unreachable ones left out.
    pub fn score(&self) -> Score {
        let judged = self.rows.iter().filter_map(|r| r.verdict.as_ref());
        Score {
            killed: judged.clone().filter(|v| v.killed_by.is_some()).count(),
            counted: judged.count(),
        }
    }

    /// How many sampled mutants triage left out, by kind.
    pub fn left_out(&self, kind: Kind) -> usize {
        self.rows
            .iter()
            .filter(|r| r.verdict.is_none() && r.triage.as_ref().is_some_and(|t| t.kind == kind))
            .count()
    }

    /// The sampled mutants the judge could not build or run.
    /// A merge of some of the shards (`--merge --partial`): the rows held
    /// are fewer than the sample's.
    pub fn partial(&self) -> bool {
        self.rows.len() < self.tce.kept.min(self.sample)
    }

    pub fn unjudged(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.error.is_some())
    }

    pub fn survivors(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.survived())
    }

    /// Brings the rows up to date with the triage as it is now (shards
    /// judged before an entry was written carry the triage of their day):
    /// each matching row takes its entry, and a survivor triage now calls
    /// equivalent or unreachable is left out of the score. A killed mutant
    /// an entry calls equivalent or unreachable is an error: the entry is
    /// wrong, and the judge says why.
    pub fn apply_triage(&mut self, entries: &[triage::Entry]) -> Result<()> {
        for row in &mut self.rows {
            let Some(entry) = triage::find(entries, &row.edit, row.function.as_deref()) else {
                continue;
            };
            if let Some(killed_by) = row.verdict.as_ref().and_then(|v| v.killed_by.as_ref())
                && entry.kind.left_out()
            {
                bail!(
                    "the triage calls {} ({}) {}, but it was killed: {killed_by}",
                    row.edit.place(),
                    row.function.as_deref().unwrap_or("file scope"),
                    entry.kind.name()
                );
            }
            if entry.kind.left_out() {
                row.verdict = None;
            }
            row.triage = Some(Triaged {
                kind: entry.kind,
                reason: entry.reason.clone(),
                script: entry.script.clone(),
            });
        }
        Ok(())
    }

    /// Where this run's files go: `target/mutants/SEED/`, and a folder per
    /// shard below it for one shard's run.
    pub fn dir(&self, target_dir: &Path) -> PathBuf {
        let dir = target_dir.join("mutants").join(self.seed.to_string());
        match self.shards.as_slice() {
            [one] if one != "1/1" => dir.join(format!("shard-{}", one.replace('/', "-of-"))),
            _ => dir,
        }
    }
}

/// Generates, samples and judges this shard's share of the sample.
pub fn run(cx: &mut Context, options: Options) -> Result<Campaign> {
    if options.sample == 0 {
        bail!("--sample 0: the sample needs at least one mutant");
    }
    let started = Instant::now();
    let mut timing = Timing::default();
    let mutator = mutator::ensure(&cx.target_dir())?;
    let triage = triage::load(&cx.root.join(TRIAGE_FILE), &cx.root)?;

    let clock = Instant::now();
    let base = judge::base(cx)?;
    timing.base_seconds = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    let edits = generate::generate(cx, &mutator, &base)?;
    let mut generated = BTreeMap::new();
    for edit in &edits {
        *generated.entry(edit.file.clone()).or_insert(0) += 1;
    }
    timing.generate_seconds = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    let (chosen, tce, compile_seconds) = draw(cx, &base, &edits, options)?;
    timing.tce_seconds = clock.elapsed().as_secs_f64();
    timing.tce_compile_seconds = compile_seconds;

    let clock = Instant::now();
    let mut sources = BTreeMap::new();
    for file in super::BACKEND_FILES {
        sources.insert(file.to_owned(), base.source(file)?);
    }
    let mut rows = Vec::new();
    let share: Vec<(usize, &Edit)> = chosen
        .iter()
        .enumerate()
        .filter(|(place, _)| options.shard.takes(*place))
        .map(|(place, &index)| (place, &edits[index]))
        .collect();
    for (done, (place, edit)) in share.iter().enumerate() {
        let function = function::enclosing(&sources[&edit.file], edit.line);
        let triaged = triage::find(&triage, edit, function.as_deref()).map(|e| Triaged {
            kind: e.kind,
            reason: e.reason.clone(),
            script: e.script.clone(),
        });
        let name = format!(
            "{} ({})",
            edit.place(),
            function.as_deref().unwrap_or("file scope")
        );
        let mut error = None;
        let verdict = match &triaged {
            Some(t) if t.kind.left_out() => {
                eprintln!("==> mutant {name}: triaged {}, not judged", t.kind.name());
                None
            }
            _ => {
                eprintln!(
                    "==> mutant {}/{} (sample place {place}): {name}\n    -{}\n    +{}",
                    done + 1,
                    share.len(),
                    edit.original.trim(),
                    edit.replacement.trim()
                );
                // One mutant the judge cannot build or run does not stop
                // the others: it is reported, left out of the score, and
                // the command fails at the end.
                match judge::cached_verdict(cx, &base, &name, edit) {
                    Ok(verdict) => {
                        eprintln!("    {}", verdict.summary());
                        Some(verdict)
                    }
                    Err(failure) => {
                        eprintln!("    COULD NOT JUDGE: {failure:#}");
                        error = Some(format!("{failure:#}"));
                        None
                    }
                }
            }
        };
        rows.push(Row {
            place: *place,
            edit: (*edit).clone(),
            function,
            triage: triaged,
            verdict,
            error,
        });
    }
    timing.judge_seconds = clock.elapsed().as_secs_f64();
    timing.total_seconds = started.elapsed().as_secs_f64();

    Ok(Campaign {
        tool: mutator.version().to_owned(),
        base: base.label.clone(),
        seed: options.seed,
        sample: options.sample,
        shards: vec![shard_text(options.shard)],
        generated,
        tce,
        base_failures: base.not_counted(),
        rows,
        timing,
    })
}

fn shard_text(shard: Shard) -> String {
    format!("{}/{}", shard.index, shard.of)
}

/// The sample: the first `options.sample` mutants in the seed's order that
/// compile to an `lj_asm.o` other than the base's (indices into `edits`),
/// the count of the walk, and the seconds its compiles took.
fn draw(
    cx: &Context,
    base: &Base,
    edits: &[Edit],
    options: Options,
) -> Result<(Vec<usize>, TceCount, f64)> {
    eprintln!(
        "==> drawing {} of {} mutants (seed {}), dropping those whose lj_asm.o is the base's or that do not compile",
        options.sample,
        edits.len(),
        options.seed,
    );
    let compiler = Compiler::new(cx, base)?;
    let mut count = TceCount::default();
    let mut chosen = Vec::new();
    let mut compile_seconds = 0.0;
    for index in sample::order(edits.len(), options.seed) {
        if chosen.len() == options.sample {
            break;
        }
        count.examined += 1;
        let (tce, seconds) = compiler.decision(cx, base, &edits[index])?;
        compile_seconds += seconds;
        match tce {
            Tce::Kept => chosen.push(index),
            Tce::Equivalent => count.equivalent += 1,
            Tce::DoesNotCompile => count.does_not_compile += 1,
        }
        if count.examined % 25 == 0 {
            eprintln!(
                "    {} examined: {} kept, {} equivalent, {} do not compile",
                count.examined,
                chosen.len(),
                count.equivalent,
                count.does_not_compile
            );
        }
    }
    count.kept = chosen.len();
    Ok((chosen, count, compile_seconds))
}

/// The shards of one run as one: the same run (tool, tree, seed, sample,
/// generated mutants and walk), each place of the sample from one shard,
/// every shard there unless `partial`.
pub fn merge(shards: Vec<Campaign>, partial: bool) -> Result<Campaign> {
    let mut shards = shards.into_iter();
    let Some(mut merged) = shards.next() else {
        bail!("nothing to merge");
    };
    for shard in shards {
        let same = shard.tool == merged.tool
            && shard.base == merged.base
            && shard.seed == merged.seed
            && shard.sample == merged.sample
            && shard.generated == merged.generated
            && shard.tce == merged.tce;
        if !same {
            bail!(
                "shards {} and {} are not of one run (tool, tree, seed, sample or generated mutants differ)",
                merged.shards.join(", "),
                shard.shards.join(", ")
            );
        }
        for place in shard.rows.iter().map(|r| r.place) {
            if merged.rows.iter().any(|r| r.place == place) {
                bail!(
                    "sample place {place} is in shard {} and in {}",
                    shard.shards.join(", "),
                    merged.shards.join(", ")
                );
            }
        }
        merged.shards.extend(shard.shards);
        merged.rows.extend(shard.rows);
        for failure in shard.base_failures {
            if !merged.base_failures.contains(&failure) {
                merged.base_failures.push(failure);
            }
        }
        let (a, b) = (&mut merged.timing, &shard.timing);
        a.base_seconds += b.base_seconds;
        a.generate_seconds += b.generate_seconds;
        a.tce_seconds += b.tce_seconds;
        a.tce_compile_seconds += b.tce_compile_seconds;
        a.judge_seconds += b.judge_seconds;
        a.total_seconds += b.total_seconds;
    }
    merged.rows.sort_by_key(|r| r.place);
    merged.shards.sort();
    if merged.rows.len() < merged.tce.kept && !partial {
        bail!(
            "the shards {} hold {} of the sample's {} mutants: a shard is missing (--partial scores them as they are)",
            merged.shards.join(", "),
            merged.rows.len(),
            merged.tce.kept
        );
    }
    Ok(merged)
}

/// Reads a run's `--json` output (or `mutants.json`).
pub fn read(path: &Path) -> Result<Campaign> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not the output of `mutants --json`", path.display()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn row(place: usize, killed: Option<bool>, triage: Option<Kind>) -> Row {
        Row {
            place,
            edit: Edit {
                file: "src/lj_asm_arm64.h".to_owned(),
                line: 10 + place,
                original: "  a == b;".to_owned(),
                replacement: "  a <= b;".to_owned(),
            },
            function: Some("asm_x".to_owned()),
            triage: triage.map(|kind| Triaged {
                kind,
                reason: "why".to_owned(),
                script: (kind == Kind::Gap).then(|| "tests/x.lua".to_owned()),
            }),
            verdict: killed.map(|killed| Verdict {
                killed_by: killed.then(|| "case c: failed".to_owned()),
                programs: 0,
                seconds: 1.0,
                build_seconds: 0.5,
                cases_seconds: 0.5,
                stress_seconds: 0.0,
            }),
            error: None,
        }
    }

    pub(crate) fn campaign(shard: &str, rows: Vec<Row>, kept: usize) -> Campaign {
        Campaign {
            tool: "universalmutator==1.14.1".to_owned(),
            base: "tree".to_owned(),
            seed: 1,
            sample: kept,
            shards: vec![shard.to_owned()],
            generated: BTreeMap::from([("src/lj_asm_arm64.h".to_owned(), 100)]),
            tce: TceCount {
                examined: 10,
                equivalent: 3,
                does_not_compile: 2,
                kept,
            },
            base_failures: Vec::new(),
            rows,
            timing: Timing::default(),
        }
    }

    #[test]
    fn the_score_leaves_out_what_triage_leaves_out() {
        let run = campaign(
            "1/1",
            vec![
                row(0, Some(true), None),
                row(1, Some(false), None),
                row(2, None, Some(Kind::Equivalent)),
                row(3, None, Some(Kind::Unreachable)),
                row(4, Some(false), Some(Kind::Gap)),
                row(5, Some(true), None),
                Row {
                    error: Some("does not build".to_owned()),
                    ..row(6, None, None)
                },
            ],
            7,
        );
        assert_eq!(run.unjudged().map(|r| r.place).collect::<Vec<_>>(), [6]);
        assert_eq!(
            run.score(),
            Score {
                killed: 2,
                counted: 4
            }
        );
        assert_eq!(run.left_out(Kind::Equivalent), 1);
        assert_eq!(run.left_out(Kind::Unreachable), 1);
        assert_eq!(run.survivors().map(|r| r.place).collect::<Vec<_>>(), [1, 4]);
        assert_eq!(
            run.rows.iter().filter(|r| r.untriaged_survivor()).count(),
            1,
            "the gap is triaged"
        );
    }

    #[test]
    fn shards_merge_into_the_whole_sample() {
        let first = campaign(
            "1/2",
            vec![row(0, Some(true), None), row(2, Some(false), None)],
            3,
        );
        let second = campaign("2/2", vec![row(1, Some(true), None)], 3);
        let merged = merge(vec![second.clone(), first.clone()], false).unwrap();
        assert!(!merged.partial());
        assert_eq!(merged.shards, ["1/2", "2/2"]);
        assert_eq!(
            merged.rows.iter().map(|r| r.place).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(
            merged.score(),
            Score {
                killed: 2,
                counted: 3
            }
        );

        let missing = format!("{:#}", merge(vec![first.clone()], false).unwrap_err());
        assert!(missing.contains("a shard is missing"), "{missing}");
        let so_far = merge(vec![first.clone()], true).unwrap();
        assert!(so_far.partial());
        assert_eq!(
            so_far.score(),
            Score {
                killed: 1,
                counted: 2
            }
        );
        let twice = format!(
            "{:#}",
            merge(vec![first.clone(), first.clone()], true).unwrap_err()
        );
        assert!(twice.contains("place 0"), "{twice}");
        let other_seed = Campaign { seed: 2, ..second };
        assert!(merge(vec![first, other_seed], true).is_err());
    }

    #[test]
    fn a_merged_run_takes_the_triage_as_it_is_now() {
        let with_text = |row: Row, original: &str| Row {
            edit: Edit {
                original: original.to_owned(),
                ..row.edit
            },
            ..row
        };
        let entry = |row: &Row, kind: Kind| triage::Entry {
            kind,
            reason: "now".to_owned(),
            file: row.edit.file.clone(),
            function: row.function.clone(),
            original: row.edit.original.clone(),
            replacement: row.edit.replacement.clone(),
            script: (kind == Kind::Gap).then(|| "tests/x.lua".to_owned()),
            occurrence: None,
        };
        let killed = with_text(row(0, Some(true), None), "  a == b;");
        let survivor = with_text(row(1, Some(false), None), "  b == c;");
        let gap = with_text(row(2, Some(false), None), "  c == d;");
        let entries = [entry(&survivor, Kind::Equivalent), entry(&gap, Kind::Gap)];
        let mut run = campaign("1/1", vec![killed.clone(), survivor, gap], 3);
        assert_eq!(
            run.rows.iter().filter(|r| r.untriaged_survivor()).count(),
            2
        );
        run.apply_triage(&entries).unwrap();
        assert_eq!(
            run.score(),
            Score {
                killed: 1,
                counted: 2
            }
        );
        assert_eq!(run.left_out(Kind::Equivalent), 1);
        assert!(!run.rows.iter().any(|r| r.untriaged_survivor()));

        let mut run = campaign("1/1", vec![killed.clone()], 1);
        let error = run
            .apply_triage(&[entry(&killed, Kind::Equivalent)])
            .unwrap_err()
            .to_string();
        assert!(error.contains("but it was killed"), "{error}");
    }

    #[test]
    fn a_shard_writes_below_its_run() {
        let target = Path::new("target");
        let whole = campaign("1/1", Vec::new(), 0);
        assert_eq!(whole.dir(target), Path::new("target/mutants/1"));
        let shard = campaign("2/4", Vec::new(), 0);
        assert_eq!(
            shard.dir(target),
            Path::new("target/mutants/1/shard-2-of-4")
        );
    }
}
