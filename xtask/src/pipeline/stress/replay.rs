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

/// Attributes every finding of `report` along `chain` (the baseline, each
/// step, the patched variant): the original program, which decides the
/// finding's bucket, and the shrunk program where there is one, so the
/// report can show that shrinking kept the defect. What is attributed
/// already is left as it is.
pub fn attribute_all(
    cx: &mut Context,
    report: &mut StressReport,
    chain: &[(String, &Path)],
    patches: &[(String, Vec<String>)],
) -> Result<()> {
    for finding in &mut report.findings {
        let seed = seed_text(finding.program_seed);
        if finding.attribution.is_none() {
            let original = generate::program(finding.program_seed).render();
            finding.attribution = Some(attribute_cached(
                cx,
                &format!("attribution of stress program {seed}"),
                &original,
                chain,
                patches,
                &finding.dir.join("attribution"),
            )?);
        }
        if let Some(shrunk) = finding.shrunk.as_mut().filter(|s| s.attribution.is_none()) {
            shrunk.attribution = Some(attribute_cached(
                cx,
                &format!("attribution of the shrunk stress program {seed}"),
                &shrunk.source.clone(),
                chain,
                patches,
                &finding.dir.join("attribution-shrunk"),
            )?);
        }
    }
    Ok(())
}

fn attribute_cached(
    cx: &mut Context,
    what: &str,
    source: &str,
    chain: &[(String, &Path)],
    patches: &[(String, Vec<String>)],
    work: &Path,
) -> Result<Replay> {
    let mut key = Key::new("attribution").text("reproducer", source);
    for (name, suite_bin) in chain {
        key = key
            .text("step", name)
            .text("suite", cx.cache.suite_hash(suite_bin)?);
    }
    for (name, fixes) in patches {
        key = key.text("patch", name).text("fixes", fixes.join(","));
    }
    cached_if(
        cx,
        what,
        key,
        |_| true,
        |cx| attribute(cx, source, chain, patches, work),
    )
}

fn attribute(
    cx: &mut Context,
    source: &str,
    variants: &[(String, &Path)],
    patches: &[(String, Vec<String>)],
    work: &Path,
) -> Result<Replay> {
    reset_dir(work)?;
    fs::write(work.join("reproducer.lua"), source)?;
    let mut steps = Vec::new();
    for (name, suite_bin) in variants {
        let result = suite::run_compare(cx, suite_bin, work, RUN_TIMEOUT)?;
        steps.push(StepOutcome {
            variant: name.clone(),
            difference: result.first().and_then(Comparison::difference),
        });
    }
    let _ = fs::remove_dir_all(work);
    // Step k (k >= 1) is the tree after patch k.
    let fixed_at = steps
        .iter()
        .position(|step| step.difference.is_none())
        .filter(|&k| k > 0);
    let (fixed_by, fixes) = match fixed_at.and_then(|k| patches.get(k - 1)) {
        Some((name, fixes)) => (Some(name.clone()), fixes.clone()),
        None => (None, Vec::new()),
    };
    Ok(Replay {
        steps,
        fixed_by,
        fixes,
    })
}

/// A run on the baseline and the patched variant, with the baseline's
/// findings traced through `steps` to the patch that fixes them, then one
/// finding of each bucket (signature and patch) shrunk and traced again.
pub fn run_pair(
    cx: &mut Context,
    pair: &crate::pipeline::variants::Pair,
    steps: &[crate::pipeline::variants::Step],
    plan: Plan,
) -> Result<(StressReport, StressReport)> {
    let mut baseline = run_unshrunk(
        cx,
        crate::pipeline::variants::BASELINE,
        &pair.baseline.suite,
        plan,
    )?;
    let patched = run(
        cx,
        crate::pipeline::variants::PATCHED,
        &pair.patched.suite,
        plan,
    )?;
    let mut chain: Vec<(String, &Path)> = vec![(
        crate::pipeline::variants::BASELINE.to_owned(),
        pair.baseline.suite.as_path(),
    )];
    chain.extend(
        steps
            .iter()
            .map(|s| (s.name.clone(), s.variant.suite.as_path())),
    );
    chain.push((
        crate::pipeline::variants::PATCHED.to_owned(),
        pair.patched.suite.as_path(),
    ));
    let patches: Vec<(String, Vec<String>)> = pair
        .series
        .patches
        .iter()
        .map(|p| (p.name.clone(), p.fixes.clone()))
        .collect();
    attribute_all(cx, &mut baseline, &chain, &patches)?;
    shrink(cx, &pair.baseline.suite, &mut baseline)?;
    attribute_all(cx, &mut baseline, &chain, &patches)?;
    Ok((baseline, patched))
}
