//! Per-patch replay: a finding's program run on every step from the
//! baseline to the patched variant, so the first step where the JIT agrees
//! with the interpreter names the patch that fixes it.

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::*;

/// Which patch of the series makes a reproducer pass: it is run on every
/// step from the baseline to the patched variant, and the first step where
/// the JIT agrees with the interpreter names the patch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Replay {
    /// Outcome per variant, in series order.
    pub steps: Vec<StepOutcome>,
    /// The patch (file name) after which it passes, if any.
    pub fixed_by: Option<String>,
    /// The upstream issues that patch names.
    pub fixes: Vec<String>,
}

/// A program's outcome on one step of the series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOutcome {
    pub variant: String,
    /// The difference between the JIT and the interpreter; None when they agree.
    pub difference: Option<String>,
}

/// One variant of a series' chain, from the baseline to the patched tree.
pub struct ChainStep<'a> {
    pub name: String,
    pub suite: &'a Path,
    /// The variant's stress run, when it ran the same plan: its outcomes
    /// for the programs of that plan are known without running them again.
    pub run: Option<&'a StressReport>,
}

/// Attributes every finding of `report` along `chain` (the baseline, each
/// step, the patched variant): the original program, which decides the
/// finding's bucket, and the shrunk program where there is one, so the
/// report can show that shrinking kept the defect. What is attributed
/// already is left as it is. The original programs, and then the shrunk
/// ones, are run as one batch per step, spread over the cores.
pub fn attribute_all(
    cx: &mut Context,
    report: &mut StressReport,
    chain: &[ChainStep],
    patches: &[(String, Vec<String>)],
) -> Result<()> {
    let originals: Vec<usize> = (0..report.findings.len())
        .filter(|&i| report.findings[i].attribution.is_none())
        .collect();
    let programs: Vec<Reproducer> = originals
        .iter()
        .map(|&i| {
            let finding = &report.findings[i];
            Reproducer {
                source: generate::program(finding.program_seed).render(),
                known: chain
                    .iter()
                    .map(|step| known_outcome(step, report.plan, finding.program_seed))
                    .collect(),
            }
        })
        .collect();
    let replays = trace(
        cx,
        report,
        "findings",
        "attribution",
        &programs,
        chain,
        patches,
    )?;
    for (&i, replay) in originals.iter().zip(replays) {
        report.findings[i].attribution = Some(replay);
    }
    let shrunk: Vec<usize> = (0..report.findings.len())
        .filter(|&i| {
            report.findings[i]
                .shrunk
                .as_ref()
                .is_some_and(|s| s.attribution.is_none())
        })
        .collect();
    let shrunk_of = |i: usize| report.findings[i].shrunk.as_ref().expect("filtered");
    let programs: Vec<Reproducer> = shrunk
        .iter()
        .map(|&i| Reproducer {
            source: shrunk_of(i).source.clone(),
            known: vec![None; chain.len()],
        })
        .collect();
    let replays = trace(
        cx,
        report,
        "shrunk reproducers",
        "attribution-shrunk",
        &programs,
        chain,
        patches,
    )?;
    for (&i, replay) in shrunk.iter().zip(replays) {
        report.findings[i]
            .shrunk
            .as_mut()
            .expect("filtered")
            .attribution = Some(replay);
    }
    Ok(())
}

/// Traces `programs` of `report` (its `noun`) through `chain`, in a scratch
/// folder named `folder` beside the run's programs; nothing when there are none.
fn trace(
    cx: &mut Context,
    report: &StressReport,
    noun: &str,
    folder: &str,
    programs: &[Reproducer],
    chain: &[ChainStep],
    patches: &[(String, Vec<String>)],
) -> Result<Vec<Replay>> {
    if programs.is_empty() {
        return Ok(Vec::new());
    }
    let what = format!(
        "{}: {} {noun} traced through the series",
        report.variant,
        programs.len()
    );
    let work = report.programs_dir.with_file_name(folder);
    attribute_cached(cx, &what, programs, chain, patches, &work)
}

/// A program to trace through the chain, with the outcomes already known
/// (one per step; `Some(difference)` where the step's run had it).
struct Reproducer {
    source: String,
    known: Vec<Option<Option<String>>>,
}

/// What `step` gave for the program of `seed` in its stress run of `plan`:
/// the difference of its finding, or agreement when the run has none for
/// it. Unknown (None) when the step has no run of that plan.
fn known_outcome(step: &ChainStep, plan: Plan, seed: u64) -> Option<Option<String>> {
    let run = step.run.filter(|run| run.plan == plan)?;
    Some(
        run.findings
            .iter()
            .find(|f| f.program_seed == seed)
            .map(|f| f.difference.clone()),
    )
}

fn attribute_cached(
    cx: &mut Context,
    what: &str,
    programs: &[Reproducer],
    chain: &[ChainStep],
    patches: &[(String, Vec<String>)],
    work: &Path,
) -> Result<Vec<Replay>> {
    let mut key = Key::new("attribution");
    for source in GENERATOR_SOURCES {
        key = key.text("rules", source);
    }
    for program in programs {
        key = key.text("reproducer", &program.source);
    }
    for step in chain {
        key = key
            .text("step", &step.name)
            .text("suite", cx.cache.suite_hash(step.suite)?);
    }
    for (name, fixes) in patches {
        key = key.text("patch", name).text("fixes", fixes.join(","));
    }
    cached_if(
        cx,
        what,
        key,
        |replays: &Vec<Replay>| replays.len() == programs.len(),
        |cx| {
            let timer = crate::pipeline::step(what);
            let replays = attribute(cx, programs, chain, patches, work)?;
            timer.done();
            Ok(replays)
        },
    )
}

fn attribute(
    cx: &mut Context,
    programs: &[Reproducer],
    chain: &[ChainStep],
    patches: &[(String, Vec<String>)],
    work: &Path,
) -> Result<Vec<Replay>> {
    // outcomes[p][k]: program p on step k.
    let mut outcomes: Vec<Vec<Option<String>>> = vec![Vec::new(); programs.len()];
    for (k, step) in chain.iter().enumerate() {
        let unknown: Vec<usize> = (0..programs.len())
            .filter(|&p| programs[p].known[k].is_none())
            .collect();
        let mut ran = vec![None; programs.len()];
        if !unknown.is_empty() {
            eprintln!("    {}: running {} of them", step.name, unknown.len());
            let sources: Vec<&str> = unknown
                .iter()
                .map(|&p| programs[p].source.as_str())
                .collect();
            let results = run_sources(cx, step.suite, work, &sources)?;
            for (&p, result) in unknown.iter().zip(&results) {
                ran[p] = Some(result.difference());
            }
        }
        for (p, program) in programs.iter().enumerate() {
            let outcome = match &program.known[k] {
                Some(known) => known.clone(),
                None => ran[p].take().expect("every unknown outcome was run"),
            };
            outcomes[p].push(outcome);
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|differences| replay(chain, differences, patches))
        .collect())
}

/// The replay of one program from its outcome on every step.
fn replay(
    chain: &[ChainStep],
    differences: Vec<Option<String>>,
    patches: &[(String, Vec<String>)],
) -> Replay {
    let steps: Vec<StepOutcome> = chain
        .iter()
        .zip(differences)
        .map(|(step, difference)| StepOutcome {
            variant: step.name.clone(),
            difference,
        })
        .collect();
    // Step k (k >= 1) is the tree after patch k.
    let fixed_at = steps
        .iter()
        .position(|step| step.difference.is_none())
        .filter(|&k| k > 0);
    let (fixed_by, fixes) = match fixed_at.and_then(|k| patches.get(k - 1)) {
        Some((name, fixes)) => (Some(name.clone()), fixes.clone()),
        None => (None, Vec::new()),
    };
    Replay {
        steps,
        fixed_by,
        fixes,
    }
}

/// A run on the baseline and the patched variant, with the baseline's
/// findings traced through `steps` to the patch that fixes them, then one
/// finding of each bucket (signature and patch) shrunk and traced again.
/// The patched variant's buckets take the baseline's shrunk program of the
/// same finding where it shows the same kind of difference there, and are
/// shrunk themselves otherwise.
pub fn run_pair(
    cx: &mut Context,
    pair: &crate::pipeline::variants::Pair,
    steps: &[crate::pipeline::variants::Step],
    plan: Plan,
) -> Result<(StressReport, StressReport)> {
    use crate::pipeline::variants::{BASELINE, PATCHED};
    let mut baseline = run_unshrunk(cx, BASELINE, &pair.baseline.suite, plan)?;
    let mut patched = run_unshrunk_beside(
        cx,
        PATCHED,
        &pair.patched.suite,
        plan,
        &baseline,
        &pair.baseline.suite,
    )?;
    let baseline_run = baseline.clone();
    let mut chain = vec![ChainStep {
        name: BASELINE.to_owned(),
        suite: &pair.baseline.suite,
        run: Some(&baseline_run),
    }];
    chain.extend(steps.iter().map(|s| ChainStep {
        name: s.name.clone(),
        suite: &s.variant.suite,
        run: None,
    }));
    let patched_run = patched.clone();
    chain.push(ChainStep {
        name: PATCHED.to_owned(),
        suite: &pair.patched.suite,
        run: Some(&patched_run),
    });
    let patches: Vec<(String, Vec<String>)> = pair
        .series
        .patches
        .iter()
        .map(|p| (p.name.clone(), p.fixes.clone()))
        .collect();
    attribute_all(cx, &mut baseline, &chain, &patches)?;
    shrink(cx, &pair.baseline.suite, &mut baseline)?;
    attribute_all(cx, &mut baseline, &chain, &patches)?;
    adopt_shrunk(cx, &pair.patched.suite, &mut patched, &baseline)?;
    shrink(cx, &pair.patched.suite, &mut patched)?;
    Ok((baseline, patched))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::testing::finding;

    fn run(count: u32, findings: Vec<Finding>) -> StressReport {
        StressReport {
            variant: "patched".to_owned(),
            programs_dir: PathBuf::from("programs"),
            plan: Plan::whole(1, count),
            programs: count,
            traces: 0,
            reach: Vec::new(),
            unreached: Vec::new(),
            findings,
            run_seconds: 0.0,
            first_finding_seconds: None,
            seconds: 0.0,
        }
    }

    #[test]
    fn a_steps_own_run_of_the_plan_answers_for_its_programs() {
        let other = run(10, vec![finding(3)]);
        let step = |run| ChainStep {
            name: "patched".to_owned(),
            suite: Path::new("suite"),
            run,
        };
        let plan = Plan::whole(1, 10);
        let seed_of = |index| finding(index).program_seed;
        // A finding there: its difference; none: the JIT agreed.
        assert_eq!(
            known_outcome(&step(Some(&other)), plan, seed_of(3)),
            Some(Some("differs 3".to_owned()))
        );
        assert_eq!(
            known_outcome(&step(Some(&other)), plan, seed_of(4)),
            Some(None)
        );
        // Another plan's run, or none, says nothing: the program is run.
        assert_eq!(
            known_outcome(&step(Some(&other)), Plan::whole(1, 20), seed_of(3)),
            None
        );
        assert_eq!(known_outcome(&step(None), plan, seed_of(3)), None);
    }

    #[test]
    fn the_first_step_that_agrees_names_its_patch() {
        let chain: Vec<ChainStep> = ["baseline", "after-0002", "patched"]
            .iter()
            .map(|name| ChainStep {
                name: name.to_string(),
                suite: Path::new("suite"),
                run: None,
            })
            .collect();
        let patches = vec![
            ("0002".to_owned(), vec!["LuaJIT#1056".to_owned()]),
            ("0003".to_owned(), vec!["LuaJIT#1057".to_owned()]),
        ];
        let d = || Some("differs".to_owned());
        let fixed = replay(&chain, vec![d(), d(), None], &patches);
        assert_eq!(fixed.fixed_by.as_deref(), Some("0003"));
        assert_eq!(fixed.fixes, ["LuaJIT#1057"]);
        let left = replay(&chain, vec![d(), d(), d()], &patches);
        assert_eq!(left.fixed_by, None);
        // A baseline that agrees is not a fix of the first patch.
        assert_eq!(
            replay(&chain, vec![None, None, None], &patches).fixed_by,
            None
        );
    }
}
