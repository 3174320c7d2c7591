//! The exhaustive check of `emit_lso` on the default tree: the baseline
//! shows a class for each carried defect fixed inside `emit_lso`'s file, the
//! patched build none; the native and the QEMU run agree; and the class
//! counts of each build match their expectations (tests/expect/lso/).

use std::path::Path;

use anyhow::Result;
use lso_check::Domain;

use super::{Trial, expect, golden};
use crate::pipeline::lso::{self, Engine};
use crate::pipeline::suite::outcome::LsoReport;
use crate::pipeline::variants::{BASELINE, PATCHED};

pub fn checks(root: &Path) -> Result<Vec<Trial>> {
    let mut checks = vec![
        Trial::new(
            "lso/baseline-carried",
            "baseline: a defect class of every carried issue fixed inside emit_lso's file is reported",
            |fx| {
                let (cx, pair) = fx.pair()?;
                let report = lso::check_variant(cx, BASELINE, &pair.baseline)?;
                // A fix outside emit_lso's file (LuaJIT#1057's, in asm_tbar)
                // changes what callers emit, which the check cannot see.
                let (inside, _) = pair.carried_by_place();
                let missing: Vec<String> = lso::carried_shown(&report, &inside)
                    .into_iter()
                    .filter(|(_, shown)| !shown)
                    .map(|(issue, _)| issue)
                    .collect();
                Ok(expect(missing.is_empty(), || {
                    format!(
                        "no class for {}; reported: {:?}",
                        missing.join(", "),
                        class_names(&report)
                    )
                }))
            },
        ),
        Trial::new("lso/patched-clean", "patched: no defects", |fx| {
            let (cx, pair) = fx.pair()?;
            let report = lso::check_variant(cx, PATCHED, &pair.patched)?;
            Ok(expect(report.defects.is_empty(), || {
                format!("reported: {:?}", class_names(&report))
            }))
        }),
    ];
    for variant in [BASELINE, PATCHED] {
        checks.push(Trial::new(
            format!("lso/engines-agree-{variant}"),
            format!("{variant}: the native and the QEMU check report the same inputs and classes"),
            move |fx| {
                let (cx, pair) = fx.pair()?;
                let built = if variant == BASELINE {
                    &pair.baseline
                } else {
                    &pair.patched
                };
                let mut runs = Vec::new();
                for engine in [Engine::Native, Engine::Qemu] {
                    runs.push(lso::check(
                        cx,
                        variant,
                        &built.built,
                        Some(&built.suite),
                        Domain::Full,
                        engine,
                    )?);
                }
                Ok(expect(lso::same_findings(&runs[0], &runs[1]), || {
                    format!(
                        "native: {:?}; QEMU: {:?}",
                        class_names(&runs[0]),
                        class_names(&runs[1])
                    )
                }))
            },
        ));
        let expected = root.join("tests/expect/lso").join(format!("{variant}.txt"));
        checks.push(Trial::new(
            format!("lso/counts-{variant}"),
            format!(
                "{variant}: inputs, fused pairs and class counts as in {}",
                expected.strip_prefix(root).unwrap_or(&expected).display()
            ),
            move |fx| {
                let (cx, pair) = fx.pair()?;
                let built = if variant == BASELINE {
                    &pair.baseline
                } else {
                    &pair.patched
                };
                let report = lso::check_variant(cx, variant, built)?;
                golden::compare(&expected, &counts(&report))
            },
        ));
    }
    Ok(checks)
}

/// What the check found, without timing or examples: one line per figure.
fn counts(report: &LsoReport) -> String {
    let mut text = format!(
        "inputs: {}\nfused correctly: {}\n",
        report.cases, report.fused
    );
    for (label, classes) in [("defect", &report.defects), ("hazard", &report.hazards)] {
        for class in classes {
            let upstream = class
                .upstream
                .as_deref()
                .map(|u| format!(" ({u})"))
                .unwrap_or_default();
            text.push_str(&format!(
                "{label}: {}{upstream}: {}\n",
                class.class, class.count
            ));
        }
    }
    text.push_str(&format!(
        "missed fusions: {}\nnever given by callers: {} fused, {} not\n",
        report.missed_fusions.count, report.never_given.fused, report.never_given.unfused
    ));
    text
}

pub fn class_names(report: &LsoReport) -> Vec<String> {
    report
        .defects
        .iter()
        .map(|c| format!("{} ({})", c.class, c.count))
        .collect()
}
