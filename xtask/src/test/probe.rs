//! `cargo xtask probe` on the default tree's builds: of the series' issues,
//! what the baseline carries comes out affected and none on the patched
//! build; every other known defect comes out affected exactly when the
//! suite's own run of its cases on that build fails as pinned; for the
//! executable, a shared library built from the tree, and the dynamically
//! linked executable found through --library-path; a program that is not
//! LuaJIT is refused.

use std::path::PathBuf;

use anyhow::Result;

use super::{Held, Trial, expect};
use crate::pipeline::Context;
use crate::pipeline::expect::fails_as_pinned;
use crate::pipeline::label::Label as _;
use crate::pipeline::probe::{self, ProbeReport};
use crate::pipeline::suite;
use crate::pipeline::variants::{BASELINE, PATCHED, Variant};
use crate::pipeline::verdict::Answer as Probed;
use crate::pipeline::verdict::Group;

/// How the build is given to the probe.
#[derive(Clone, Copy)]
enum Form {
    Executable,
    SharedLibrary,
    LinkedExecutable,
}

impl Form {
    fn describe(self) -> &'static str {
        match self {
            Form::Executable => "executable",
            Form::SharedLibrary => "shared library",
            Form::LinkedExecutable => {
                "executable linked to its library, found through --library-path"
            }
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Form::Executable => "executable",
            Form::SharedLibrary => "library",
            Form::LinkedExecutable => "linked",
        }
    }
}

pub fn checks() -> Vec<Trial> {
    let mut checks = Vec::new();
    for variant in [BASELINE, PATCHED] {
        for form in [
            Form::Executable,
            Form::SharedLibrary,
            Form::LinkedExecutable,
        ] {
            let expected = if variant == BASELINE {
                "of the series' issues what the baseline carries affected; other known defects as the suite's cases show them"
            } else {
                "none of the series' issues affected; other known defects as the suite's cases show them"
            };
            checks.push(Trial::new(
                format!("probe/{variant}-{}", form.slug()),
                format!("{variant} {}: {expected}", form.describe()),
                move |fx| {
                    let (cx, pair) = fx.pair()?;
                    let (built, carried) = if variant == BASELINE {
                        (&pair.baseline, pair.carried.clone())
                    } else {
                        (&pair.patched, Vec::new())
                    };
                    let cases_dir = cx.cases_dir();
                    let shown = suite::run_cases(cx, variant, &built.suite, &cases_dir)?
                        .into_iter()
                        .filter(fails_as_pinned)
                        .flat_map(|c| c.pins)
                        .filter(|pin| !pair.carried.contains(pin))
                        .collect::<Vec<_>>();
                    let report = probe_form(cx, built, form)?;
                    Ok(judged(&report, &carried, &shown))
                },
            ));
        }
    }
    checks.push(Trial::new(
        "probe/not-luajit",
        "an aarch64 program that is not LuaJIT (the suite binary) is refused",
        |fx| {
            let (cx, pair) = fx.pair()?;
            let suite = pair.patched.suite.clone();
            let refused = probe::probe(cx, &suite, &probe::Options::new(1));
            Ok(expect(
                refused.as_ref().is_err_and(|e| {
                    e.to_string()
                        .contains("does not run as a `luajit` executable")
                }),
                || match &refused {
                    Ok(report) => format!("probed it: {:?}", report.with_verdict(Probed::Affected)),
                    Err(error) => format!("error: {error:#}"),
                },
            ))
        },
    ));
    checks
}

fn probe_form(cx: &mut Context, variant: &Variant, form: Form) -> Result<ProbeReport> {
    let (path, library_path): (PathBuf, Vec<PathBuf>) = match form {
        Form::Executable => (variant.built.dir.join("src/luajit"), Vec::new()),
        Form::SharedLibrary => (probe::shared::build_shared(cx, &variant.built)?, Vec::new()),
        Form::LinkedExecutable => {
            // The dynamic build's `luajit` needs its library by soname,
            // which only --library-path can supply here.
            let library = probe::shared::build_shared(cx, &variant.built)?;
            let lib_dir = library.with_file_name("probe-lib");
            std::fs::create_dir_all(&lib_dir)?;
            let soname = lib_dir.join("libluajit-5.1.so.2");
            let _ = std::fs::remove_file(&soname);
            std::fs::copy(&library, &soname)?;
            (library.with_file_name("luajit"), vec![lib_dir])
        }
    };
    let options = probe::Options {
        library_path,
        ..probe::Options::new(probe::DEFAULT_COUNT)
    };
    probe::probe(cx, &path, &options)
}

/// Of the series' issues, the affected are exactly `carried` (with nothing
/// carried, every one is not affected); of the other known defects, the
/// affected are exactly those the suite's cases `shown`.
fn judged(report: &ProbeReport, carried: &[String], shown: &[String]) -> Held {
    let in_group = |group: Group, verdict: Probed| -> Vec<String> {
        report
            .issues
            .iter()
            .filter(|f| f.group == group && f.verdict == verdict)
            .map(|f| f.issue.clone())
            .collect()
    };
    let series = report
        .issues
        .iter()
        .filter(|f| f.group == Group::Series)
        .count();
    let affected = in_group(Group::Series, Probed::Affected);
    let series_held = if carried.is_empty() {
        affected.is_empty() && in_group(Group::Series, Probed::NotAffected).len() == series
    } else {
        affected == carried
    };
    let mut others = in_group(Group::OtherKnown, Probed::Affected);
    let mut expected: Vec<String> = shown.to_vec();
    others.sort();
    expected.sort();
    expected.dedup();
    let held = series_held && others == expected;
    expect(held, || {
        report
            .issues
            .iter()
            .map(|f| format!("{} {}: {}", f.issue, f.verdict.label(), f.why))
            .chain(std::iter::once(format!(
                "other known defects the suite's cases show: {}",
                shown.join(", ")
            )))
            .collect::<Vec<_>>()
            .join("\n")
    })
}
