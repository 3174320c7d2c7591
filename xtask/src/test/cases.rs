//! The regression cases against their headers: each fails on the baseline
//! as it says when the series fixes what it pins, and passes on the patched
//! build; and each fix outside `emit_lso`'s file, taken out of the patched
//! tree alone, makes the cases pinning its issue fail and only those.

use std::path::Path;

use anyhow::{Result, bail};

use super::{Held, Trial, expect};
use crate::pipeline::expect::{self, Expectation};
use crate::pipeline::lua_files;
use crate::pipeline::patch::Series;
use crate::pipeline::suite::{self, outcome::CaseResult};
use crate::pipeline::variants::{BASELINE, LSO_FILE, PATCHED, without};

pub fn checks(root: &Path) -> Result<Vec<Trial>> {
    let mut checks = Vec::new();
    for case in lua_files(&root.join("tests/cases"))? {
        let name = case
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let wanted = name.clone();
        checks.push(Trial::new(
            format!("cases/{name}"),
            "fails as its header says on the baseline when the series fixes what it pins and then passes on the patched build; otherwise ends the same on both",
            move |fx| {
                let (cx, pair) = fx.pair()?;
                let cases_dir = cx.cases_dir();
                let baseline = suite::run_cases(cx, BASELINE, &pair.baseline.suite, &cases_dir)?;
                let patched = suite::run_cases(cx, PATCHED, &pair.patched.suite, &cases_dir)?;
                let (on_baseline, on_patched) = (one(&baseline, &wanted)?, one(&patched, &wanted)?);
                let mut seen = expect::baseline_checks(&on_baseline, &on_patched, &pair.carried, BASELINE);
                seen.extend(expect::patched_checks(&on_patched, &on_baseline, &pair.carried, PATCHED));
                Ok(all_held(&seen))
            },
        ));
    }
    let series = Series::load(&root.join("patches"))?;
    for patch in series.patches.iter().filter(|p| !p.only_touches(LSO_FILE)) {
        let number = patch.number;
        checks.push(Trial::new(
            format!("cases/without-{number:04}"),
            format!(
                "the patched tree without {} (a fix outside emit_lso) fails the cases pinning {} and ends the rest as the patched tree does",
                patch.name,
                patch.fixes.join(", ")
            ),
            move |fx| {
                let (cx, pair) = fx.pair()?;
                let Some(patch) = pair.series.patches.iter().find(|p| p.number == number) else {
                    bail!("patch {number:04} is not applied on the default tree");
                };
                let cases_dir = cx.cases_dir();
                let variant = without(cx, pair, patch)?;
                let name = format!("without-{number:04}");
                let results = suite::run_cases(cx, &name, &variant.suite, &cases_dir)?;
                if !results.iter().any(|r| r.pins.iter().any(|p| patch.fixes.contains(p))) {
                    return Ok(Err(format!(
                        "no case pins {}, so nothing would notice the fix missing",
                        patch.fixes.join(", ")
                    )));
                }
                let patched = suite::run_cases(cx, PATCHED, &pair.patched.suite, &cases_dir)?;
                Ok(all_held(&expect::baseline_checks(&results, &patched, &patch.fixes, &name)))
            },
        ));
    }
    Ok(checks)
}

fn one(results: &[CaseResult], name: &str) -> Result<Vec<CaseResult>> {
    match results.iter().find(|r| r.name == name) {
        Some(result) => Ok(vec![result.clone()]),
        None => bail!("the suite ran no case named {name}"),
    }
}

fn all_held(seen: &[Expectation]) -> Held {
    let failed: Vec<String> = seen
        .iter()
        .filter(|e| !e.held)
        .map(|e| {
            format!(
                "{} on {}: expected {}, got {}",
                e.case, e.variant, e.expected, e.observed
            )
        })
        .collect();
    expect(failed.is_empty(), || failed.join("\n"))
}
