//! target/evidence/summary.md, the pull-request body: per upstream issue the
//! case that shows it, its outcome before and after and the decisive trace's
//! machine code; what each patch closes; the tree's identity. Kept under
//! GitHub's limits whatever the number of findings.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::fetch::Source;
use super::report::Report;
use super::stress::Bucket;
use super::suite::outcome::{CaseResult, Status};
use crate::pipeline::mcode::{McodeDiff, SiteClass};

/// The most summary.md may hold. GitHub refuses a body over 65,536
/// characters; a reviewer reads one screen, so the limit is far below.
pub const SUMMARY_LIMIT: usize = 10_000;
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
    /// The trace whose machine code shows the corrected mis-fusion.
    pub trace: Option<String>,
    /// Its diff, `-` baseline and `+` patched lines.
    pub diff: Vec<String>,
    /// Why there is no diff, when there is none.
    pub no_diff: Option<String>,
}

/// `LuaJIT#1075` (or a URL ending in the number) as GitHub links it from
/// another repository: `LuaJIT/LuaJIT#1075`.
pub fn github_issue(issue: &str) -> String {
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
/// machine-code diff has a corrected mis-fusion, then one without the FFI
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
        before: scrub(&before.outcome.summary()),
        after: scrub(&after.outcome.summary()),
        trace: None,
        diff: Vec::new(),
        no_diff: None,
    };
    let Some(script) = script else {
        shown.no_diff = Some("its machine code was not captured".to_owned());
        return shown;
    };
    let decisive = script.traces.iter().find(|t| {
        t.sites
            .iter()
            .any(|s| s.class == SiteClass::MisfusionCorrected)
    });
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
            "no trace of it shows a corrected mis-fusion (the defect is outside emit_lso's pairs)"
                .to_owned(),
        ),
    }
    shown
}

/// Lua prints objects with their heap address (`function: 0x5502c3bbb8`),
/// which changes from run to run; the address is replaced by `ADDR`.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(": 0x") {
        let (head, tail) = rest.split_at(at + 4);
        let digits = tail.chars().take_while(char::is_ascii_hexdigit).count();
        let object = ["function", "table", "userdata", "thread", ">", "builtin"]
            .iter()
            .any(|o| head[..at].ends_with(o));
        if object && digits >= 6 {
            out.push_str(&head[..at]);
            out.push_str(": ADDR");
        } else {
            out.push_str(head);
            out.push_str(&tail[..digits]);
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// summary.md of `report`. When the full form does not fit, the case
/// sources give way to their paths, then the diffs to their traces' names.
pub fn render(report: &Report) -> String {
    let full = render_with(report, true, true);
    if full.chars().count() <= SUMMARY_LIMIT {
        return full;
    }
    let shorter = render_with(report, false, true);
    if shorter.chars().count() <= SUMMARY_LIMIT {
        return shorter;
    }
    let shortest = render_with(report, false, false);
    if shortest.chars().count() <= SUMMARY_LIMIT {
        return shortest;
    }
    let mut cut: String = shortest.chars().take(SUMMARY_LIMIT - 200).collect();
    cut.push_str("\n\n(cut at the size limit; the full record is report.md)\n");
    cut
}

fn render_with(report: &Report, sources: bool, diffs: bool) -> String {
    let mut md = String::new();
    let mark = if report.verdict.ok { "✅" } else { "❌" };
    let _ = writeln!(md, "{mark} {}\n", report.verdict.headline);
    for evidence in &report.issues {
        let _ = write!(md, "### {}", github_issue(&evidence.issue));
        if let Some(commit) = &evidence.upstream_commit {
            let _ = write!(md, ", fixed upstream by LuaJIT/LuaJIT@{commit}");
        }
        md.push_str("\n\n");
        let Some(case) = &evidence.case else {
            md.push_str(
                "No regression case pinning it fails on the baseline and passes patched.\n\n",
            );
            continue;
        };
        let file = case.path.rsplit('/').next().unwrap_or(&case.path);
        if sources {
            let _ = writeln!(
                md,
                "`{}`, runnable as `luajit {file}` on aarch64:\n\n```lua\n{}\n```\n",
                case.path,
                case.source.trim_end()
            );
        } else {
            let _ = writeln!(
                md,
                "`{}` ({} lines; run as `luajit {file}` on aarch64).\n",
                case.path,
                case.source.lines().count()
            );
        }
        let _ = writeln!(
            md,
            "- before: {}\n- after: {}\n",
            inline_code(&case.before),
            inline_code(&case.after)
        );
        match (&case.trace, &case.no_diff) {
            (Some(trace), _) if diffs => {
                let _ = writeln!(
                    md,
                    "{}, machine code (`-` baseline, `+` patched):\n\n```diff\n{}\n```\n",
                    capitalised(trace),
                    case.diff.join("\n")
                );
            }
            (Some(trace), _) => {
                let _ = writeln!(md, "Its machine-code diff ({trace}) is in report.md.\n");
            }
            (None, Some(why)) => {
                let _ = writeln!(md, "{}.\n", capitalised(why));
            }
            (None, None) => {}
        }
    }
    md.push_str(&closes_table(report));
    md.push_str(&identity(report));
    md.push_str(
        "\nThe full record (every case, the exhaustive `emit_lso` check, stress findings by bucket, the whole machine-code diff, commands) is `target/evidence/report.md`, uploaded with report.json as the run's artifact.\n",
    );
    md
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Text as inline code, with a fence long enough for backticks inside it.
fn inline_code(text: &str) -> String {
    let text = text.replace('\n', " ");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// patch → issue → upstream commit → what it closes.
fn closes_table(report: &Report) -> String {
    let mut md = String::from(
        "| patch | issue | upstream commit | on this tree | closes |\n|---|---|---|---|---|\n",
    );
    let buckets: Vec<&Bucket> = report
        .stress_buckets
        .iter()
        .filter(|b| b.variant == super::variants::BASELINE)
        .flat_map(|b| &b.buckets)
        .collect();
    for patch in &report.patches {
        let number = patch.name.split('-').next().unwrap_or(&patch.name);
        let issues: Vec<String> = patch.fixes.iter().map(|f| github_issue(f)).collect();
        let upstream = patch
            .upstream
            .as_ref()
            .map_or("-".to_owned(), |c| format!("LuaJIT/LuaJIT@{c}"));
        let mut closed: Vec<String> = Vec::new();
        if let Some(closes) = report
            .attribution
            .as_ref()
            .and_then(|a| a.closes.iter().find(|c| c.patch == patch.name))
        {
            if !closes.cases.is_empty() {
                closed.push(format!(
                    "{} case{}",
                    closes.cases.len(),
                    if closes.cases.len() == 1 { "" } else { "s" }
                ));
            }
            for class in &closes.lso_classes {
                closed.push(format!(
                    "`emit_lso` {}: {} inputs → 0",
                    class.class, class.inputs
                ));
            }
        }
        let fixed: Vec<&&Bucket> = buckets
            .iter()
            .filter(|b| b.fixed_by.as_deref() == Some(patch.name.as_str()))
            .collect();
        if !fixed.is_empty() {
            let findings: usize = fixed.iter().map(|b| b.findings.len()).sum();
            closed.push(format!(
                "stress: {} bucket{} ({findings} finding{})",
                fixed.len(),
                if fixed.len() == 1 { "" } else { "s" },
                if findings == 1 { "" } else { "s" }
            ));
        }
        let closed = if closed.is_empty() {
            "-".to_owned()
        } else {
            closed.join("; ")
        };
        let _ = writeln!(
            md,
            "| `{number}` | {} | {upstream} | {} | {} |",
            if issues.is_empty() {
                "-".to_owned()
            } else {
                issues.join(", ")
            },
            patch.state,
            closed.replace('|', "\\|")
        );
    }
    let open: usize = buckets
        .iter()
        .filter(|b| b.fixed_by.is_none())
        .map(|b| b.findings.len())
        .sum();
    if open > 0 {
        let _ = writeln!(
            md,
            "\n{open} baseline stress findings are fixed by no single patch of the series (see report.md)."
        );
    }
    md
}

fn identity(report: &Report) -> String {
    let id = &report.identity;
    let mut md = String::from("\n**Tree and tools**\n\n");
    let commit = match &id.tree_commit {
        Some(commit) => format!("{commit} ({})", id.tree_commit_origin),
        None => "unknown".to_owned(),
    };
    let _ = writeln!(md, "- tree: {}; commit {commit}", id.tree);
    let _ = writeln!(md, "- variants: {}", report.mode);
    let _ = writeln!(md, "- build flags: `{}`", id.build_flags);
    for entry in &report.toolchain {
        if entry.name != "execution" {
            let _ = writeln!(md, "- {}: {}", entry.name, entry.value);
        }
    }
    let _ = writeln!(md, "- execution: {}", id.execution);
    let _ = writeln!(md, "- disassembler: {}", id.disassembler);
    let _ = writeln!(md, "- toolkit: luajit-arm64-verify {}", id.toolkit_commit);
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_autolink_from_another_repository() {
        assert_eq!(github_issue("LuaJIT#1075"), "LuaJIT/LuaJIT#1075");
        assert_eq!(
            github_issue("https://github.com/LuaJIT/LuaJIT/issues/1056"),
            "LuaJIT/LuaJIT#1056"
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

    #[test]
    fn heap_addresses_are_scrubbed_and_seeds_kept() {
        assert_eq!(
            scrub("returned a function (function: 0x5502c4bbb8) as its second value"),
            "returned a function (function: ADDR) as its second value"
        );
        assert_eq!(
            scrub("program seed: 0x910a2dec89025cc1"),
            "program seed: 0x910a2dec89025cc1"
        );
    }
}
