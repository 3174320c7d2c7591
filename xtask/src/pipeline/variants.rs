//! The two variants every comparison needs: the vendored tree as published
//! (baseline) and with the series applied (patched), each with its suite binary.

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use super::build::{Built, VariantSpec, prepare_and_build};
use super::fetch::{self, Source};
use super::patch::Series;
use super::{Context, step, suite};

pub const BASELINE: &str = "baseline";
pub const PATCHED: &str = "patched";

pub struct Variant {
    pub built: Built,
    pub suite: PathBuf,
}

pub struct Pair {
    pub source: Source,
    pub series: Series,
    pub baseline: Variant,
    pub patched: Variant,
    /// Upstream defects the baseline carries: those the series fixes.
    pub carried: Vec<String>,
    pub timings: Vec<(String, f64)>,
}

pub fn prepare_pair(cx: &mut Context) -> Result<Pair> {
    let mut timings = Vec::new();
    let timer = step("finding the LuaJIT tree and the patch series");
    let source = fetch::vendored(cx)?;
    let series = Series::load(&cx.patches_dir())?;
    timings.push(("fetch".to_owned(), timer.done()));

    let baseline = build_variant(cx, BASELINE, &source, None, &mut timings)?;
    let patched = build_variant(cx, PATCHED, &source, Some(&series), &mut timings)
        .with_context(|| format!("the series in {} does not fit {}", series.dir.display(), source.label))?;
    // The series applied forward, so the baseline lacks every fix in it.
    let carried = series.fixes();
    Ok(Pair { source, series, baseline, patched, carried, timings })
}

/// The tree after each patch but the last, in series order, named
/// `after-NNNN` by the patch's number: with the baseline and the patched
/// variant they show what each patch changes.
pub fn build_steps(cx: &mut Context, pair: &Pair, timings: &mut Vec<(String, f64)>) -> Result<Vec<(String, Variant)>> {
    let mut steps = Vec::new();
    for count in 1..pair.series.patches.len() {
        let name = format!("after-{:04}", count);
        let series = pair.series.prefix(count);
        let variant = build_variant(cx, &name, &pair.source, Some(&series), timings)?;
        steps.push((name, variant));
    }
    Ok(steps)
}

pub fn build_variant(
    cx: &mut Context,
    name: &str,
    source: &Source,
    series: Option<&Series>,
    timings: &mut Vec<(String, f64)>,
) -> Result<Variant> {
    let spec = VariantSpec { name: name.to_owned(), source, series };
    let built = prepare_and_build(cx, &spec)?;
    timings.push((format!("build LuaJIT ({name})"), built.seconds));
    let timer = step(format!("{name}: building the suite against it"));
    let suite = suite::build_suite(cx, &built)?;
    timings.push((format!("build suite ({name})"), timer.done()));
    Ok(Variant { built, suite })
}
