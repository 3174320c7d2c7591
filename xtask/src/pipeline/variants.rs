//! The variants every comparison needs: the tree without the series
//! (baseline) and with it (patched), each with its suite binary. Normally
//! the baseline is the tree as given and the patched variant has the
//! patches applied that the tree lacks; patches already in the tree are
//! skipped. When the tree has every patch already, the check runs the other
//! way round: revert-check mode.

use std::path::PathBuf;

use anyhow::Result;

use super::build::{Built, VariantSpec, prepare_and_build};
use super::fetch::{self, Source};
use super::patch::{Patch, PatchState, Series};
use super::{Context, Timings, step, suite};

pub use super::build::{BASELINE, PATCHED};

pub struct Variant {
    pub built: Built,
    pub suite: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Some patches apply to the tree: baseline = tree, patched = tree +
    /// those patches (the others, already in, are skipped).
    Apply,
    /// The tree has every patch already: baseline = tree − series, patched = tree.
    Revert,
}

/// One tree between the baseline and the patched variant: the tree after
/// some of the series' patches, and its name (`after-NNNN`).
pub struct Step {
    pub name: String,
    pub variant: Variant,
}

pub struct Pair {
    pub source: Source,
    /// The patches between the baseline and the patched variant, in order:
    /// those that apply (or, in revert-check mode, all of them).
    pub series: Series,
    /// Patches the tree already has, skipped (empty in revert-check mode).
    pub already_in: Vec<Patch>,
    pub mode: Mode,
    pub baseline: Variant,
    pub patched: Variant,
    /// Upstream defects the baseline carries: those the series fixes.
    pub carried: Vec<String>,
    pub timings: Timings,
}

impl Pair {
    /// The baseline or the patched variant, by name.
    pub fn variant(&self, name: &str) -> &Variant {
        if name == BASELINE {
            &self.baseline
        } else {
            &self.patched
        }
    }

    /// One sentence on how the two variants were made, for reports.
    pub fn describe(&self) -> String {
        match self.mode {
            Mode::Apply if self.already_in.is_empty() => format!(
                "baseline: {} as given; patched: with the series applied",
                self.source.label
            ),
            Mode::Apply => format!(
                "baseline: {} as given; patched: with {} applied; skipped, already in the tree: {}",
                self.source.label,
                names(&self.series.patches),
                names(&self.already_in)
            ),
            Mode::Revert => format!(
                "revert-check mode: {} already contains the series, so the baseline is the tree with the series reversed and the patched variant is the tree as given",
                self.source.label
            ),
        }
    }
}

/// The file of `emit_lso`, the one function the exhaustive check runs.
pub const LSO_FILE: &str = "src/lj_emit_arm64.h";

impl Pair {
    /// The carried defects whose fix lies inside `emit_lso`'s file, and those
    /// whose fix lies elsewhere: the exhaustive check can show only the first.
    pub fn carried_by_place(&self) -> (Vec<String>, Vec<String>) {
        let mut inside = Vec::new();
        let mut outside = Vec::new();
        for patch in &self.series.patches {
            let side = if patch.only_touches(LSO_FILE) {
                &mut inside
            } else {
                &mut outside
            };
            side.extend(patch.fixes.iter().cloned());
        }
        (inside, outside)
    }

    /// Every patch of the series, in order, with what it is to this tree.
    pub fn patch_states(&self) -> Vec<(&Patch, &'static str)> {
        let between = match self.mode {
            Mode::Apply => "applied",
            Mode::Revert => "already in; reversed for the baseline",
        };
        let mut all: Vec<(&Patch, &'static str)> = self
            .series
            .patches
            .iter()
            .map(|p| (p, between))
            .chain(self.already_in.iter().map(|p| (p, "already in; skipped")))
            .collect();
        all.sort_by_key(|(p, _)| p.number);
        all
    }
}

/// A tree and the patch series to verify on it.
#[derive(Debug, Clone, Default)]
pub struct PairChoice {
    pub tree: fetch::Tree,
    /// The series' folder; default: the project's patches/.
    pub patches: Option<PathBuf>,
}

pub fn prepare_pair(cx: &mut Context, args: &PairChoice) -> Result<Pair> {
    let mut timings = Timings::default();
    let timer = step("finding the LuaJIT tree and the patch series");
    let source = fetch::select(cx, &args.tree)?;
    let series = Series::load(args.patches.as_deref().unwrap_or(&cx.patches_dir()))?;
    let scratch = cx.target_dir().join("luajit").join("series-check");
    let states = series.states(&cx.sh, &source.dir, &scratch)?;
    timings.push("fetch", timer.done());
    let already_in = series.only(&states, PatchState::AlreadyIn).patches;
    let (mode, series, already_in) = if already_in.len() == series.patches.len() {
        eprintln!(
            "==> the series is already in {}: revert-check mode",
            source.label
        );
        (Mode::Revert, series, Vec::new())
    } else {
        if !already_in.is_empty() {
            eprintln!(
                "==> already in {}, skipped: {}",
                source.label,
                names(&already_in)
            );
        }
        (
            Mode::Apply,
            series.only(&states, PatchState::Applies),
            already_in,
        )
    };

    let (baseline, patched) = match mode {
        Mode::Apply => (
            build_variant(cx, BASELINE, &source, None, false, &mut timings)?,
            build_variant(cx, PATCHED, &source, Some(&series), false, &mut timings)?,
        ),
        Mode::Revert => {
            // The tree as given first: the baseline is made from its build.
            let patched = build_variant(cx, PATCHED, &source, None, false, &mut timings)?;
            let baseline = build_variant(cx, BASELINE, &source, Some(&series), true, &mut timings)?;
            (baseline, patched)
        }
    };
    // Either way the baseline lacks every fix in the series.
    let carried = series.fixes();
    Ok(Pair {
        source,
        series,
        already_in,
        mode,
        baseline,
        patched,
        carried,
        timings,
    })
}

/// Patch names with the issues they fix, for messages.
fn names(patches: &[Patch]) -> String {
    patches
        .iter()
        .map(|p| format!("{} ({})", p.name, p.fixes.join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The tree after each patch but the last, in series order, named
/// `after-NNNN` by the patch's number in the series file (skipped patches
/// keep their numbers): with the baseline and the patched variant they show
/// what each patch changes.
pub fn build_steps(cx: &mut Context, pair: &Pair, timings: &mut Timings) -> Result<Vec<Step>> {
    let mut steps = Vec::new();
    let count = pair.series.patches.len();
    for applied in 1..count {
        let name = format!("after-{:04}", pair.series.patches[applied - 1].number);
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
        steps.push(Step { name, variant });
    }
    Ok(steps)
}

pub fn build_variant(
    cx: &mut Context,
    name: &str,
    source: &Source,
    series: Option<&Series>,
    reverse: bool,
    timings: &mut Timings,
) -> Result<Variant> {
    let spec = VariantSpec {
        name: name.to_owned(),
        source,
        series,
        reverse,
    };
    let built = prepare_and_build(cx, &spec)?;
    timings.push(format!("build LuaJIT ({name})"), built.seconds);
    let timer = step(format!("{name}: building the suite against it"));
    let suite = suite::build_suite(cx, &built)?;
    timings.push(format!("build suite ({name})"), timer.done());
    Ok(Variant { built, suite })
}

/// The patched variant without one patch of the series: the tree whose only
/// defect of the family is the one that patch fixes. Named `without-NNNN`.
pub fn without(cx: &mut Context, pair: &Pair, patch: &Patch) -> Result<Variant> {
    let name = format!("without-{:04}", patch.number);
    let mut series = pair.series.clone();
    match pair.mode {
        Mode::Apply => {
            series.patches.retain(|p| p.number != patch.number);
            build_variant(
                cx,
                &name,
                &pair.source,
                Some(&series),
                false,
                &mut Timings::default(),
            )
        }
        Mode::Revert => {
            series.patches.retain(|p| p.number == patch.number);
            build_variant(
                cx,
                &name,
                &pair.source,
                Some(&series),
                true,
                &mut Timings::default(),
            )
        }
    }
}

/// One tree as it is, for the commands that check a single tree. The
/// default tree is built as the baseline, so it is shared with `verify`.
pub fn single(cx: &mut Context, tree: &fetch::Tree) -> Result<(Source, String, Variant)> {
    let source = fetch::select(cx, tree)?;
    let name = if source.tag.is_empty() {
        BASELINE
    } else {
        "tree"
    }
    .to_owned();
    let variant = build_variant(cx, &name, &source, None, false, &mut Timings::default())?;
    Ok((source, name, variant))
}

/// One tree with a series applied (its patches the tree already has are
/// skipped), checked as one tree: what a campaign runs on to find only
/// what the series leaves. Also returns the series as applied.
pub fn single_with(
    cx: &mut Context,
    tree: &fetch::Tree,
    dir: &std::path::Path,
) -> Result<(Source, String, Variant, Series)> {
    let source = fetch::select(cx, tree)?;
    let series = Series::load(dir)?;
    let states = series.each_state(&cx.sh, &source.dir, &cx.target_dir().join("series-states"))?;
    let applies = series.only(&states, super::patch::PatchState::Applies);
    let skipped: Vec<&str> = series
        .patches
        .iter()
        .zip(&states)
        .filter(|(_, s)| **s != super::patch::PatchState::Applies)
        .map(|(p, _)| p.name.as_str())
        .collect();
    if !skipped.is_empty() {
        eprintln!(
            "==> not applied to {} (already in it, or not fitting): {}",
            source.label,
            skipped.join(", ")
        );
    }
    let name = "tree-with".to_owned();
    let variant = build_variant(
        cx,
        &name,
        &source,
        Some(&applies),
        false,
        &mut Timings::default(),
    )?;
    Ok((source, name, variant, applies))
}
