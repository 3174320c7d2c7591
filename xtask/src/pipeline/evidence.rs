//! The evidence for the pull-request body, gathered from a run: the tree's
//! identity, and for each upstream issue the case that shows it best, with
//! its outcomes and the decisive trace's machine code.

use std::path::Path;

use serde::Serialize;

use super::fetch::Source;
use super::mcode::{McodeDiff, SiteClass};
use super::suite::outcome::{CaseResult, Status};
use super::without_heap_addresses;

/// Lines of the decisive trace's diff shown; the full diff is in report.md.
const DIFF_LINES: usize = 24;

/// What pins down the tree and the tools that made the evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    pub tree: String,
    pub crate_version: Option<String>,
    /// The tree's commit, when it can be told, and where it comes from.
    pub tree_commit: Option<String>,
    pub tree_commit_origin: String,
    pub build_flags: String,
    /// QEMU's version, or the native CPU.
    pub execution: String,
    pub disassembler: String,
    /// `git rev-parse HEAD` of this toolkit, `-dirty` when the tree has changes.
    pub toolkit_commit: String,
}

/// The evidence for one upstream issue the series fixes.
#[derive(Debug, Clone, Serialize)]
pub struct IssueEvidence {
    /// As the patch's `Fixes:` trailer names it, e.g. `LuaJIT#1075`.
    pub issue: String,
    pub patch: Option<String>,
    pub upstream_commit: Option<String>,
    pub case: Option<ShownCase>,
}

/// A regression case shown inline.
#[derive(Debug, Clone, Serialize)]
pub struct ShownCase {
    pub name: String,
    /// Relative to the project root.
    pub path: String,
    pub source: String,
    pub before: String,
    pub after: String,
    /// The trace whose machine code shows the fix: a corrected fusion, or a
    /// change the series states.
    pub trace: Option<String>,
    /// Its diff, `-` baseline and `+` patched lines.
    pub diff: Vec<String>,
    /// Why there is no diff, when there is none.
    pub no_diff: Option<String>,
}

/// `LuaJIT#1075` (or a URL ending in the number) as GitHub links it from
/// another repository: `LuaJIT/LuaJIT#1075`.
pub fn github_issue(issue: &str) -> String {
    // A defect not reported upstream goes by a name of its own.
    if issue
        .split_once('#')
        .is_some_and(|(project, _)| !project.eq_ignore_ascii_case("LuaJIT"))
    {
        return issue.to_owned();
    }
    let number: String = issue
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if number.is_empty() {
        issue.to_owned()
    } else {
        format!("LuaJIT/LuaJIT#{number}")
    }
}

/// The tree's commit and where it was read: a git checkout's HEAD, or the
/// build metadata of a luajit-src version (`+resty107baaf` is OpenResty
/// luajit2's commit 107baaf, `+becf5cc` upstream LuaJIT's).
pub fn tree_commit(source: &Source) -> (Option<String>, String) {
    if let Some(commit) = &source.git_commit {
        return (Some(commit.clone()), "git checkout".to_owned());
    }
    let metadata = source
        .crate_version
        .as_deref()
        .and_then(|v| v.split_once('+'))
        .map(|(_, m)| m);
    match metadata {
        Some(m) if m.starts_with("resty") && m.len() > 5 => (
            Some(m[5..].to_owned()),
            "OpenResty luajit2, from the luajit-src version".to_owned(),
        ),
        Some(m) if m.chars().all(|c| c.is_ascii_hexdigit()) && !m.is_empty() => (
            Some(m.to_owned()),
            "upstream LuaJIT, from the luajit-src version".to_owned(),
        ),
        _ => (None, "unknown".to_owned()),
    }
}

/// The version of `name` that Cargo.lock pins.
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"") {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_owned);
        }
    }
    None
}

/// This toolkit's commit, with `-dirty` when tracked or new files differ.
pub fn toolkit_commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "HEAD"]) {
        Some(head) => match git(&["status", "--porcelain"]) {
            Some(changes) if changes.is_empty() => head,
            _ => format!("{head}-dirty"),
        },
        None => "unknown (not a git checkout)".to_owned(),
    }
}

/// The CPU a native run used, from /proc/cpuinfo, else `native aarch64`.
pub fn native_cpu() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    };
    match (field("CPU implementer"), field("CPU part")) {
        (Some(implementer), Some(part)) => {
            format!("native aarch64 (CPU implementer {implementer}, part {part})")
        }
        _ => "native aarch64".to_owned(),
    }
}

/// For each issue the series fixes, the case that shows it best: among the
/// cases pinning it that fail on the baseline and pass patched, one whose
/// machine-code diff shows the fix, then one without the FFI
/// (a stack-slot reproducer is what any Lua program can meet), then the
/// shortest.
pub fn issue_evidence(
    issues: &[(String, Option<String>, Option<String>)],
    cases_dir: &Path,
    root: &Path,
    baseline: &[CaseResult],
    patched: &[CaseResult],
    mcode: Option<&McodeDiff>,
) -> Vec<IssueEvidence> {
    issues
        .iter()
        .map(|(issue, patch, upstream)| {
            let mut candidates: Vec<(bool, bool, usize, ShownCase)> = baseline
                .iter()
                .filter(|case| case.pins.contains(issue) && case.outcome.status != Status::Pass)
                .filter_map(|case| {
                    let after = patched.iter().find(|p| p.name == case.name)?;
                    if after.outcome.status != Status::Pass {
                        return None;
                    }
                    let path = cases_dir.join(format!("{}.lua", case.name));
                    let source = std::fs::read_to_string(&path).ok()?;
                    let shown = show_case(case, after, &path, root, source, mcode);
                    Some((
                        shown.diff.is_empty(),
                        shown.source.contains("require(\"ffi\")")
                            || shown.source.contains("require 'ffi'")
                            || shown.source.contains("require('ffi')"),
                        shown.source.len(),
                        shown,
                    ))
                })
                .collect();
            candidates.sort_by_key(|c| (c.0, c.1, c.2));
            IssueEvidence {
                issue: issue.clone(),
                patch: patch.clone(),
                upstream_commit: upstream.clone(),
                case: candidates.into_iter().next().map(|(_, _, _, shown)| shown),
            }
        })
        .collect()
}

fn show_case(
    before: &CaseResult,
    after: &CaseResult,
    path: &Path,
    root: &Path,
    source: String,
    mcode: Option<&McodeDiff>,
) -> ShownCase {
    let relative = path
        .strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string();
    let script = mcode.and_then(|m| {
        m.scripts
            .iter()
            .find(|s| Path::new(&s.script).file_stem() == path.file_stem())
    });
    let mut shown = ShownCase {
        name: before.name.clone(),
        path: relative,
        source,
        before: without_heap_addresses(&before.outcome.summary()),
        after: without_heap_addresses(&after.outcome.summary()),
        trace: None,
        diff: Vec::new(),
        no_diff: None,
    };
    let Some(script) = script else {
        shown.no_diff = Some("its machine code was not captured".to_owned());
        return shown;
    };
    // The trace that shows the fix: a fusion the baseline got wrong, else
    // a change the series says it makes (which may be another patch's).
    let with_site = |classes: &[SiteClass]| {
        script
            .traces
            .iter()
            .find(|t| t.sites.iter().any(|s| classes.contains(&s.class)))
    };
    let decisive = with_site(&[
        SiteClass::MisfusionCorrected,
        SiteClass::FusionAcrossLabelCorrected,
    ])
    .or_else(|| with_site(&[SiteClass::ExpectedChange]));
    match decisive {
        Some(trace) => {
            shown.trace = Some(trace.heading.clone());
            shown.diff = trace
                .diff
                .lines()
                .filter(|l| !l.starts_with("---") && !l.starts_with("+++"))
                .take(DIFF_LINES)
                .map(str::to_owned)
                .collect();
        }
        None if !script.not_captured.is_empty() => {
            shown.no_diff = Some(format!(
                "no machine-code diff: {}",
                script.not_captured.join("; ")
            ))
        }
        None => shown.no_diff = Some(
            "no trace of it shows a corrected fusion or a change the series states (the defect is outside the machine code the diff compares)"
                .to_owned(),
        ),
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case with one differing trace per class, in order (trace 1, 2, ...),
    /// each with a site of that class, as `show_case` shows it.
    fn shown_with_sites(classes: &[&str]) -> ShownCase {
        let traces: Vec<serde_json::Value> = classes
            .iter()
            .enumerate()
            .map(|(i, class)| {
                serde_json::json!({
                    "trace": i + 1, "heading": format!("trace {}", i + 1), "status": "different",
                    "diff": format!("@@ -1,2 +1,3 @@\n+  str w30, [sp, #24]\n-  stp w30, w1, [sp, #24] // {class}\n"),
                    "sites": [{ "baseline": [], "patched": [], "class": class, "explained": true, "reason": "" }],
                    "explained": true, "note": null
                })
            })
            .collect();
        let script: super::super::mcode::ScriptDiff = serde_json::from_value(serde_json::json!({
            "script": "tests/cases/x.lua", "baseline": "fail", "patched": "pass",
            "diverged": true, "not_captured": [], "baseline_lost": false,
            "equal_ldps_baseline": [], "equal_ldps_patched": [], "traces": traces
        }))
        .unwrap();
        let mcode = McodeDiff {
            totals: Default::default(),
            scripts: vec![script],
            stated: None,
            text: String::new(),
        };
        let result = |status: &str| CaseResult {
            name: "x".to_owned(),
            pins: vec!["arm64-verify#x".to_owned()],
            fails_with: None,
            outcome: serde_json::from_value(serde_json::json!({
                "status": status, "exit_code": 0, "signal": null, "error": null,
                "output": "", "millis": 1
            }))
            .unwrap(),
        };
        show_case(
            &result("fail"),
            &result("pass"),
            Path::new("/p/tests/cases/x.lua"),
            Path::new("/p"),
            String::new(),
            Some(&mcode),
        )
    }

    #[test]
    fn the_decisive_trace_is_one_that_shows_the_fix_whatever_kind() {
        for class in [
            "misfusion-corrected",
            "fusion-across-label-corrected",
            "expected-change",
        ] {
            let shown = shown_with_sites(&["reordered", class]);
            assert_eq!(shown.trace.as_deref(), Some("trace 2"), "{class}");
            assert!(shown.diff.iter().any(|l| l.contains(class)), "{class}");
        }
        let shown = shown_with_sites(&["reordered"]);
        assert_eq!(shown.trace, None);
        assert!(
            shown
                .no_diff
                .is_some_and(|why| why.contains("no trace of it shows"))
        );
    }

    #[test]
    fn a_corrected_fusion_is_shown_before_a_stated_change() {
        let shown = shown_with_sites(&["expected-change", "fusion-across-label-corrected"]);
        assert_eq!(shown.trace.as_deref(), Some("trace 2"));
    }

    #[test]
    fn issues_autolink_from_another_repository() {
        assert_eq!(github_issue("LuaJIT#1075"), "LuaJIT/LuaJIT#1075");
        assert_eq!(
            github_issue("https://github.com/LuaJIT/LuaJIT/issues/1056"),
            "LuaJIT/LuaJIT#1056"
        );
        assert_eq!(
            github_issue("arm64-verify#fused-kint64-shift"),
            "arm64-verify#fused-kint64-shift"
        );
    }

    #[test]
    fn tree_commit_comes_from_the_crate_version() {
        let source = |version: &str| Source {
            label: String::new(),
            crate_version: Some(version.to_owned()),
            git_commit: None,
            dir: Default::default(),
            tag: String::new(),
        };
        let (commit, origin) = tree_commit(&source("210.4.8+resty107baaf"));
        assert_eq!(commit.as_deref(), Some("107baaf"));
        assert!(origin.starts_with("OpenResty"));
        let (commit, origin) = tree_commit(&source("210.5.0+becf5cc"));
        assert_eq!(commit.as_deref(), Some("becf5cc"));
        assert!(origin.starts_with("upstream"));
        assert_eq!(tree_commit(&source("210.0.0")).0, None);
    }

    #[test]
    fn the_lock_file_names_the_disassembler_version() {
        let lock = "[[package]]\nname = \"yaxpeax-arch\"\nversion = \"0.3.2\"\n\n[[package]]\nname = \"yaxpeax-arm\"\nversion = \"0.5.1\"\n";
        assert_eq!(
            locked_version(lock, "yaxpeax-arm").as_deref(),
            Some("0.5.1")
        );
        assert_eq!(locked_version(lock, "serde"), None);
    }
}
