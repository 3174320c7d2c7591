//! target/evidence/summary.md, the pull-request body: per upstream issue the
//! case that shows it, its outcome before and after and the decisive trace's
//! machine code; what each patch closes; the tree's identity. Kept under
//! GitHub's limits whatever the number of findings.

use std::fmt::Write as _;

use super::evidence::github_issue;
use super::report::Report;
use super::stress::Bucket;

/// The most summary.md may hold. GitHub refuses a body over 65,536
/// characters; a reviewer reads one screen, so the limit is far below.
pub const SUMMARY_LIMIT: usize = 10_000;

/// summary.md of `report`. When the full form does not fit, the case
/// sources give way to their paths, then the diffs to their traces' names.
pub fn render(report: &Report) -> String {
    report.relative(&fitted(report))
}

fn fitted(report: &Report) -> String {
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
