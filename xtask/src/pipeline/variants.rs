//! The variants every comparison needs: the tree without the series
//! (baseline) and with it (patched), each with its suite binary. Normally
//! the baseline is the tree as given and the patched variant has the series
//! applied; when the tree already has the series (it applies in reverse),
//! the check runs the other way round: revert-check mode.

use std::path::PathBuf;

use anyhow::{Result, bail};

use super::build::{Built, VariantSpec, prepare_and_build};
use super::fetch::{self, Source};
use super::patch::Series;
use super::{Context, step, suite};
use crate::flags::PairArgs;

pub const BASELINE: &str = "baseline";
pub const PATCHED: &str = "patched";

pub struct Variant {
    pub built: Built,
    pub suite: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The series applies to the tree: baseline = tree, patched = tree + series.
    Apply,
    /// The tree has the series already: baseline = tree − series, patched = tree.
    Revert,
}

pub struct Pair {
    pub source: Source,
    pub series: Series,
    pub mode: Mode,
    pub baseline: Variant,
    pub patched: Variant,
    /// Upstream defects the baseline carries: those the series fixes.
    pub carried: Vec<String>,
    pub timings: Vec<(String, f64)>,
}

impl Pair {
    /// One sentence on how the two variants were made, for reports.
    pub fn describe(&self) -> String {
        match self.mode {
            Mode::Apply => format!(
                "baseline: {} as published; patched: with the series applied",
                self.source.label
            ),
            Mode::Revert => format!(
                "revert-check mode: {} already contains the series, so the baseline is the tree with the series reversed and the patched variant is the tree as given",
                self.source.label
            ),
        }
    }
}

pub fn prepare_pair(cx: &mut Context, args: &PairArgs) -> Result<Pair> {
    let mut timings = Vec::new();
    let timer = step("finding the LuaJIT tree and the patch series");
    let source = fetch::select(cx, &args.tree)?;
    let series = Series::load(args.patches.as_deref().unwrap_or(&cx.patches_dir()))?;
    let mode = decide_mode(cx, &source, &series)?;
    timings.push(("fetch".to_owned(), timer.done()));
    if mode == Mode::Revert {
        eprintln!(
            "==> the series is already in {}: revert-check mode",
            source.label
        );
    }

    let (baseline, patched) = match mode {
        Mode::Apply => (
            build_variant(cx, BASELINE, &source, None, false, &mut timings)?,
            build_variant(cx, PATCHED, &source, Some(&series), false, &mut timings)?,
        ),
        Mode::Revert => (
            build_variant(cx, BASELINE, &source, Some(&series), true, &mut timings)?,
            build_variant(cx, PATCHED, &source, None, false, &mut timings)?,
        ),
    };
    // Either way the baseline lacks every fix in the series.
    let carried = series.fixes();
    Ok(Pair {
        source,
        series,
        mode,
        baseline,
        patched,
        carried,
        timings,
    })
}

/// Apply when the series applies, revert when it reverses, an error otherwise.
fn decide_mode(cx: &Context, source: &Source, series: &Series) -> Result<Mode> {
    let scratch = cx.target_dir().join("luajit").join("series-check");
    let forward = series.check(&cx.sh, &source.dir, &scratch, false);
    if forward.is_ok() {
        return Ok(Mode::Apply);
    }
    let reverse = series.check(&cx.sh, &source.dir, &scratch, true);
    if reverse.is_ok() {
        return Ok(Mode::Revert);
    }
    bail!(
        "the series in {} neither applies to {} nor reverses from it\n  applying: {:#}\n  reversing: {:#}",
        series.dir.display(),
        source.label,
        forward.unwrap_err(),
        reverse.unwrap_err()
    )
}

/// The tree after each patch but the last, in series order, named
/// `after-NNNN` by the patch's number: with the baseline and the patched
/// variant they show what each patch changes.
pub fn build_steps(
    cx: &mut Context,
    pair: &Pair,
    timings: &mut Vec<(String, f64)>,
) -> Result<Vec<(String, Variant)>> {
    let mut steps = Vec::new();
    let count = pair.series.patches.len();
    for applied in 1..count {
        let name = format!("after-{applied:04}");
        let variant = match pair.mode {
            Mode::Apply => build_variant(
                cx,
                &name,
                &pair.source,
                Some(&pair.series.prefix(applied)),
                false,
                timings,
            )?,
            Mode::Revert => build_variant(
                cx,
                &name,
                &pair.source,
                Some(&pair.series.suffix(applied)),
                true,
                timings,
            )?,
        };
        steps.push((name, variant));
    }
    Ok(steps)
}

pub fn build_variant(
    cx: &mut Context,
    name: &str,
    source: &Source,
    series: Option<&Series>,
    reverse: bool,
    timings: &mut Vec<(String, f64)>,
) -> Result<Variant> {
    let spec = VariantSpec {
        name: name.to_owned(),
        source,
        series,
        reverse,
    };
    let built = prepare_and_build(cx, &spec)?;
    timings.push((format!("build LuaJIT ({name})"), built.seconds));
    let timer = step(format!("{name}: building the suite against it"));
    let suite = suite::build_suite(cx, &built)?;
    timings.push((format!("build suite ({name})"), timer.done()));
    Ok(Variant { built, suite })
}

/// One tree as it is, for the commands that check a single tree. The
/// default tree is built as the baseline, so it is shared with `verify`.
pub fn single(
    cx: &mut Context,
    tree: &crate::flags::TreeArgs,
) -> Result<(Source, String, Variant)> {
    let source = fetch::select(cx, tree)?;
    let name = if source.tag.is_empty() {
        BASELINE
    } else {
        "tree"
    }
    .to_owned();
    let variant = build_variant(cx, &name, &source, None, false, &mut Vec::new())?;
    Ok((source, name, variant))
}
