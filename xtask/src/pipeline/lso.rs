//! The exhaustive emit_lso check of one build: natively, through the
//! tree's ARM64 backend compiled for this host as a shared library, or in
//! the suite under QEMU (on aarch64 both run natively); results cached by
//! content. Also its terminal output and what each variant is expected to show.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result, anyhow, bail};
use lso_check::{Domain, Harness};
use sha2::{Digest, Sha256};

use super::build::{Built, DETERMINISM_FLAGS};
use super::cache::{Key, cached};
use super::suite::outcome::{LsoClass, LsoReport};
use super::variants::Variant;
use super::{Context, suite};

/// Where the check runs (`--engine` of `cargo xtask lso`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// Natively when the harness compiles for this host, else in the suite.
    Auto,
    /// The tree's ARM64 backend compiled for this host: emit_lso only
    /// writes instruction words, which are data.
    Native,
    /// In the suite binary, under QEMU on other hosts than aarch64.
    Qemu,
}

/// Checks emit_lso of `built` over `domain`. `suite` is the variant's suite
/// binary when there is one; the QEMU engine builds it otherwise.
pub fn check(
    cx: &mut Context,
    name: &str,
    built: &Built,
    suite: Option<&Path>,
    domain: Domain,
    engine: Engine,
) -> Result<LsoReport> {
    if engine != Engine::Qemu {
        match native(cx, name, built, domain) {
            Ok(report) => return Ok(report),
            Err(error) if engine == Engine::Auto => {
                eprintln!("    {name}: no native emit_lso check ({error:#}); running it under QEMU")
            }
            Err(error) => return Err(error),
        }
    }
    let suite = match suite {
        Some(suite) => suite.to_owned(),
        None => suite::build_suite(cx, built)?,
    };
    in_suite(cx, name, &suite, domain)
}

/// The whole domain, natively when possible: what verify, check and test run.
pub fn check_variant(cx: &mut Context, name: &str, variant: &Variant) -> Result<LsoReport> {
    check(
        cx,
        name,
        &variant.built,
        Some(&variant.suite),
        Domain::Full,
        Engine::Auto,
    )
}

fn in_suite(cx: &mut Context, name: &str, suite: &Path, domain: Domain) -> Result<LsoReport> {
    let key = Key::new("lso")
        .text("suite", cx.cache.suite_hash(suite)?)
        .text("domain", domain);
    let what = format!("{name}: emit_lso over the {domain} input domain (suite)");
    cached(cx, &what, key, |cx| {
        eprintln!("==> {name}: checking emit_lso over the {domain} input domain in the suite");
        suite::run_lso(cx, suite, domain)
    })
}

fn native(cx: &mut Context, name: &str, built: &Built, domain: Domain) -> Result<LsoReport> {
    let harness_c = cx.root.join("tests/lso/harness.c");
    let mut library_key = Key::new("lso-native library")
        .text("build", &built.fingerprint)
        .text("compiler", compiler_version()?)
        .text("flags", HARNESS_FLAGS.join(" "))
        .text("determinism", DETERMINISM_FLAGS);
    for source in lso_check::SOURCES {
        library_key = library_key.text("checker", source);
    }
    let library = cx
        .target_dir()
        .join("lso-native")
        .join(format!("harness-{}.so", &library_key.hex()[..16]));
    if !library.is_file() || !super::cache::enabled() {
        compile_harness(cx, &built.dir.join("src"), &harness_c, &library)?;
    }
    // The library keeps only what the harness reaches (emit_lso and what it
    // calls), so trees whose emit_lso compiles the same give the same bytes
    // and the same result: the check is keyed by the bytes, not the tree.
    let bytes =
        std::fs::read(&library).with_context(|| format!("cannot read {}", library.display()))?;
    let mut key = Key::new("lso-native")
        .text("library", format!("{:x}", Sha256::digest(&bytes)))
        .text("domain", domain);
    for source in lso_check::SOURCES {
        key = key.text("checker", source);
    }
    let what = format!("{name}: emit_lso over the {domain} input domain (native)");
    cached(cx, &what, key, |_| {
        eprintln!("==> {name}: checking emit_lso over the {domain} input domain natively");
        let harness = Harness::load(&library).map_err(|e| {
            // Compiled again on the next run rather than failing for ever.
            let _ = std::fs::remove_file(&library);
            anyhow!(e)
        })?;
        lso_check::check(&harness, domain, |_| {}).map_err(|e| anyhow!(e))
    })
}

/// How the harness is compiled for this host, the tree's ARM64 backend
/// selected. Only the harness's entry points stay visible, so the linker
/// drops the rest of the assembler and nothing needs a LuaJIT library.
const HARNESS_FLAGS: [&str; 12] = [
    "-O2",
    "-fPIC",
    "-shared",
    "-w",
    "-fvisibility=hidden",
    "-ffunction-sections",
    "-fdata-sections",
    "-Wl,--gc-sections",
    "-Wl,-z,defs",
    "-DLUAJIT_TARGET=LUAJIT_ARCH_arm64",
    "-DLJ_ARCH_HASFPU=1",
    "-DLJ_ABI_SOFTFP=0",
];

/// Compiles harness.c against a built tree's src/ for this host, with the
/// tree's ARM64 backend selected, into a shared library at `out`.
fn compile_harness(cx: &mut Context, tree_src: &Path, harness_c: &Path, out: &Path) -> Result<()> {
    let dir = out.parent().expect("the library lives in a folder");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // Another xtask run may be compiling the same library.
    let staging = out.with_extension(format!("so.new-{}", std::process::id()));
    let mut command = Command::new("cc");
    command
        .args(HARNESS_FLAGS)
        .args(DETERMINISM_FLAGS.split_whitespace())
        .arg("-I")
        .arg(tree_src)
        .arg(harness_c)
        .arg("-o")
        .arg(&staging);
    cx.record(format!("{command:?}").replace('"', ""));
    let output = command.output().context("cannot run cc")?;
    if !output.status.success() {
        bail!(
            "cc could not build the harness for this host against {}: {}",
            tree_src.display(),
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .take(5)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    std::fs::rename(&staging, out)
        .with_context(|| format!("cannot move {} into place", out.display()))
}

fn compiler_version() -> Result<String> {
    let output = Command::new("cc")
        .arg("--version")
        .output()
        .context("cannot run cc, the host C compiler")?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether two reports found the same: the same number of inputs, fused
/// pairs, and classes with the same counts and examples (not the same time).
pub fn same_findings(a: &LsoReport, b: &LsoReport) -> bool {
    a.cases == b.cases
        && a.fused == b.fused
        && a.defects == b.defects
        && a.hazards == b.hazards
        && a.missed_fusions == b.missed_fusions
        && a.never_given == b.never_given
}

/// What a series did to one defect class of `emit_lso`, told as cases and
/// stress are told: by the patched tree's check against the baseline's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassChange {
    /// The baseline has the class, the patched tree does not.
    Fixed,
    /// Both trees have it with the same inputs: the same count and the same
    /// examples (the first inputs the check met, and the pinned ones).
    PreExisting,
    /// Only the patched tree has it, or with other inputs than the
    /// baseline's: more of them, or ones the baseline's examples do not
    /// hold. Fewer inputs that the examples cannot show to be the
    /// baseline's count here too: the report keeps no more to tell.
    Introduced,
}

/// Every defect class of either tree with what the series did to it: the
/// patched tree's classes in its order, then those only the baseline has.
pub fn class_changes<'a>(
    baseline: &'a LsoReport,
    patched: &'a LsoReport,
) -> Vec<(&'a LsoClass, ClassChange)> {
    let on_baseline = |name: &str| baseline.defects.iter().find(|c| c.class == name);
    let on_patched = |name: &str| patched.defects.iter().any(|c| c.class == name);
    let kept = patched.defects.iter().map(|class| {
        let change = match on_baseline(&class.class) {
            Some(before) if before == class => ClassChange::PreExisting,
            _ => ClassChange::Introduced,
        };
        (class, change)
    });
    let fixed = baseline
        .defects
        .iter()
        .filter(|c| !on_patched(&c.class))
        .map(|c| (c, ClassChange::Fixed));
    kept.chain(fixed).collect()
}

/// A class as the verdict names it: `offset alias (LuaJIT#1075): 810
/// inputs`, with the baseline's count when the patched tree's differs.
pub fn class_phrase(class: &LsoClass, baseline: &LsoReport) -> String {
    let upstream = class
        .upstream
        .as_deref()
        .map(|u| format!(" ({u})"))
        .unwrap_or_default();
    let before = match baseline.defects.iter().find(|c| c.class == class.class) {
        Some(before) if before == class => String::new(),
        Some(before) if before.count == class.count => {
            ", other inputs than the baseline's".to_owned()
        }
        Some(before) => format!(", {} on the baseline", before.count),
        None => ", none on the baseline".to_owned(),
    };
    format!("{}{upstream}: {} inputs{before}", class.class, class.count)
}

pub fn render(name: &str, report: &LsoReport) -> String {
    let mut out = String::new();
    outln!(
        out,
        "\nemit_lso on {name}: {} inputs checked in {:.1} s, {} fused correctly",
        report.cases,
        report.millis as f64 / 1000.0,
        report.fused
    );
    if report.defects.is_empty() {
        outln!(out, "  no defects");
    }
    for class in &report.defects {
        class_lines(&mut out, "defect", class);
    }
    for class in &report.hazards {
        class_lines(&mut out, "hazard", class);
    }
    if report.missed_fusions.count > 0 {
        class_lines(&mut out, "info", &report.missed_fusions);
    }
    let never = &report.never_given;
    if never.fused + never.unfused > 0 {
        outln!(
            out,
            "  info: {} legal pairs no caller gives (neighbour in LDUR/STUR form at an aligned, non-negative offset): {} fused, {} not",
            never.fused + never.unfused,
            never.fused,
            never.unfused
        );
    }
    out
}

fn class_lines(out: &mut String, label: &str, class: &LsoClass) {
    let upstream = class
        .upstream
        .as_deref()
        .map(|u| format!(" ({u})"))
        .unwrap_or_default();
    outln!(
        out,
        "  {label}: {}{upstream}: {} inputs",
        class.class,
        class.count
    );
    for example in &class.examples {
        outln!(out, "      {example}");
    }
}

/// For each upstream defect a tree carries, whether the check reported a
/// defect class tied to that issue (the checker tags classes with the
/// upstream issue whose defect they are).
pub fn carried_shown(report: &LsoReport, carried: &[String]) -> Vec<(String, bool)> {
    carried
        .iter()
        .map(|issue| {
            (
                issue.clone(),
                report
                    .defects
                    .iter()
                    .any(|c| c.upstream.as_deref() == Some(issue) && c.count > 0),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::testing::lso_report;

    fn class(name: &str, count: u64, examples: &[&str]) -> LsoClass {
        LsoClass {
            class: name.to_owned(),
            upstream: Some("LuaJIT#1075".to_owned()),
            count,
            examples: examples.iter().map(|e| e.to_string()).collect(),
        }
    }

    fn changes(baseline: &LsoReport, patched: &LsoReport) -> Vec<(String, ClassChange)> {
        class_changes(baseline, patched)
            .into_iter()
            .map(|(c, change)| (c.class.clone(), change))
            .collect()
    }

    #[test]
    fn a_class_with_the_same_inputs_on_both_trees_is_pre_existing() {
        let both = lso_report(vec![class("offset alias", 810, &["a", "b"])]);
        assert_eq!(
            changes(&both, &both.clone()),
            [("offset alias".to_owned(), ClassChange::PreExisting)]
        );
    }

    #[test]
    fn a_class_only_the_patched_tree_has_is_introduced() {
        let baseline = lso_report(vec![]);
        let patched = lso_report(vec![class("offset alias", 810, &["a"])]);
        assert_eq!(
            changes(&baseline, &patched),
            [("offset alias".to_owned(), ClassChange::Introduced)]
        );
        assert_eq!(
            class_phrase(&patched.defects[0], &baseline),
            "offset alias (LuaJIT#1075): 810 inputs, none on the baseline"
        );
    }

    #[test]
    fn a_class_with_more_or_other_inputs_is_introduced() {
        let baseline = lso_report(vec![class("offset alias", 810, &["a", "b"])]);
        let more = lso_report(vec![class("offset alias", 900, &["a", "b"])]);
        let other = lso_report(vec![class("offset alias", 810, &["a", "c"])]);
        // Fewer inputs: nothing kept shows that they are the baseline's.
        let fewer = lso_report(vec![class("offset alias", 800, &["a", "c"])]);
        for patched in [&more, &other, &fewer] {
            assert_eq!(
                changes(&baseline, patched),
                [("offset alias".to_owned(), ClassChange::Introduced)]
            );
        }
        assert_eq!(
            class_phrase(&more.defects[0], &baseline),
            "offset alias (LuaJIT#1075): 900 inputs, 810 on the baseline"
        );
        assert_eq!(
            class_phrase(&other.defects[0], &baseline),
            "offset alias (LuaJIT#1075): 810 inputs, other inputs than the baseline's"
        );
    }

    #[test]
    fn a_class_only_the_baseline_has_is_fixed() {
        let baseline = lso_report(vec![
            class("misaligned pair", 24730, &["m"]),
            class("offset alias", 810, &["a"]),
        ]);
        let patched = lso_report(vec![class("offset alias", 810, &["a"])]);
        assert_eq!(
            changes(&baseline, &patched),
            [
                ("offset alias".to_owned(), ClassChange::PreExisting),
                ("misaligned pair".to_owned(), ClassChange::Fixed),
            ]
        );
        assert_eq!(
            class_phrase(&patched.defects[0], &baseline),
            "offset alias (LuaJIT#1075): 810 inputs"
        );
    }

    #[test]
    fn no_class_on_either_tree_is_no_change() {
        let clean = lso_report(vec![]);
        assert!(class_changes(&clean, &clean).is_empty());
    }
}
