//! The sweep as tables: plain text for the terminal, Markdown for the
//! README and the job summary, and the evidence behind each row.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use super::{Row, Sweep, first_line};
use crate::pipeline::label::Label as _;
use crate::pipeline::patch::PatchState;
use crate::pipeline::report::table::columns;
use crate::pipeline::verdict::{Answer, Group};

/// One line on a row, for progress and the table's notes.
pub fn summary(row: &Row) -> String {
    if let Some(error) = &row.error {
        return format!("could not sweep it: {}", first_line(error));
    }
    let affected = if row.affected.is_empty() {
        "none affected".to_owned()
    } else {
        format!("affected: {}", row.affected.join(", "))
    };
    format!(
        "{affected}; patched tree {}",
        if row.patched_verifies {
            "verifies"
        } else {
            "does not verify"
        }
    )
}

/// The series' issues that appear in the rows, in the series' order: one
/// column each.
fn issue_columns(rows: &[Row]) -> Vec<String> {
    let mut issues: Vec<String> = Vec::new();
    for row in rows {
        let series = row
            .issues
            .iter()
            .filter(|i| i.group == Group::Series)
            .map(|i| &i.issue);
        let unjudged = row
            .could_not_tell
            .iter()
            .filter(|i| row.issues.is_empty() && !i.is_empty());
        for issue in series.chain(unjudged) {
            if !issues.contains(issue) {
                issues.push(issue.clone());
            }
        }
    }
    issues
}

/// The other known defects (fixed by no patch of the series) the tree is
/// affected by, and those it could not be told of.
fn others_cell(row: &Row, bold: bool) -> String {
    if row.error.is_some() {
        return "-".to_owned();
    }
    let of = |verdict: Answer| -> Vec<&str> {
        row.issues
            .iter()
            .filter(|i| i.group == Group::OtherKnown && i.verdict == verdict)
            .map(|i| i.issue.as_str())
            .collect()
    };
    let affected = of(Answer::Affected);
    let unknown = of(Answer::CouldNotTell);
    let mut cell = if affected.is_empty() {
        "none".to_owned()
    } else if bold {
        format!("**{}**", affected.join(", "))
    } else {
        affected.join(", ")
    };
    if !unknown.is_empty() {
        cell.push_str(&format!(" (? {})", unknown.join(", ")));
    }
    cell
}

fn cell(row: &Row, issue: &str) -> &'static str {
    if row.affected.iter().any(|i| i == issue) {
        "affected"
    } else if row.not_affected.iter().any(|i| i == issue) {
        "no"
    } else {
        "?"
    }
}

fn patch_cell(row: &Row) -> String {
    if row.patches.is_empty() {
        return "-".to_owned();
    }
    row.patches
        .iter()
        .map(|p| match p.state {
            PatchState::AlreadyIn => "in",
            PatchState::Applies => "applies",
            PatchState::Neither => "neither",
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn verifies_cell(row: &Row) -> &'static str {
    match (row.error.is_some(), row.patched_verifies) {
        (true, _) => "-",
        (false, true) => "yes",
        (false, false) => "NO",
    }
}

fn note(row: &Row) -> String {
    match &row.error {
        Some(error) => first_line(error).to_owned(),
        None => row.patched.clone(),
    }
}

/// The sweep as a plain-text table for the terminal.
pub fn table(sweep: &Sweep) -> String {
    let issues = issue_columns(&sweep.rows);
    let mut header = vec!["tree".to_owned()];
    header.extend(issues.iter().cloned());
    header.push("other known defects".to_owned());
    header.push(format!("series ({})", patch_numbers(&sweep.rows)));
    header.push("patched verifies".to_owned());
    header.push("note".to_owned());
    let mut lines: Vec<Vec<String>> = vec![header];
    for row in &sweep.rows {
        let mut line = vec![row.tree.clone()];
        line.extend(issues.iter().map(|i| cell(row, i).to_owned()));
        line.push(others_cell(row, false));
        line.push(patch_cell(row));
        line.push(verifies_cell(row).to_owned());
        line.push(note(row));
        lines.push(line);
    }
    columns(&lines)
}

/// The patches' numbers, for the series column's header.
fn patch_numbers(rows: &[Row]) -> String {
    rows.iter()
        .find(|r| !r.patches.is_empty())
        .map(|r| {
            r.patches
                .iter()
                .map(|p| p.patch.split('-').next().unwrap_or(&p.patch).to_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// The sweep as a Markdown table, for the README and the job summary.
pub fn markdown(sweep: &Sweep) -> String {
    let issues = issue_columns(&sweep.rows);
    let mut text = format!(
        "| tree | {} | other known defects | series ({}) | patched tree verifies | note |\n|---|",
        issues.join(" | "),
        patch_numbers(&sweep.rows)
    );
    text.push_str(&"---|".repeat(issues.len() + 4));
    text.push('\n');
    for row in &sweep.rows {
        let cells: Vec<String> = issues
            .iter()
            .map(|i| match cell(row, i) {
                "affected" => "**affected**".to_owned(),
                other => other.to_owned(),
            })
            .collect();
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.tree,
            cells.join(" | "),
            others_cell(row, true),
            patch_cell(row),
            verifies_cell(row),
            note(row).replace('|', "\\|")
        ));
    }
    text
}

/// Under the table, the evidence behind each verdict, tree by tree.
pub fn details(result: &Sweep) -> String {
    let mut out = String::new();
    for row in &result.rows {
        outln!(out, "\n{}", row.tree);
        if let Some(error) = &row.error {
            outln!(out, "  could not sweep it: {error}");
            continue;
        }
        for patch in &row.patches {
            outln!(
                out,
                "  {} ({}): {}",
                patch.patch,
                patch.fixes.join(", "),
                patch.state.label()
            );
        }
        for issue in &row.issues {
            outln!(out, "  {}: {}", issue.issue, issue.verdict.label());
            for line in &issue.evidence {
                outln!(out, "      {line}");
            }
        }
        if let Some(stress) = &row.stress {
            outln!(
                out,
                "  stress: {} programs (seed {}), {} traces, {} differ",
                stress.programs,
                stress.seed,
                stress.traces,
                stress.findings.len()
            );
            for finding in &stress.findings {
                outln!(out, "      {finding}");
            }
        }
        outln!(
            out,
            "  patched tree {}: {}",
            if row.patched_verifies {
                "verifies"
            } else {
                "does NOT verify"
            },
            row.patched
        );
    }
    outln!(
        out,
        "\n{} trees in {:.1} s ({:.1} s per tree)",
        result.rows.len(),
        result.seconds,
        result.seconds / result.rows.len().max(1) as f64
    );
    out
}

/// Which code a sweep runs: `commit ABC`, with ` with local changes` when
/// the checkout differs from it. Taken when the sweep starts, since the
/// checkout may move on while it runs.
pub fn source_stamp(root: &Path) -> String {
    let output = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(commit) = output(&["rev-parse", "--short=12", "HEAD"]) else {
        return "an unknown commit".to_owned();
    };
    match output(&["status", "--porcelain", "--untracked-files=no"]) {
        Some(status) if status.is_empty() => format!("commit {commit}"),
        _ => format!("commit {commit} with local changes"),
    }
}

/// The README's sweep block: where the table came from (`stamp`, from
/// `source_stamp` when the sweep started), then the table.
pub fn readme_block(result: &Sweep, markdown: &str, stamp: &str) -> String {
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let trees = if result.all_published {
        format!(
            "every luajit-src version cargo's registry index listed ({})",
            result.rows.len()
        )
    } else {
        format!(
            "{} trees (not every published version: run it with --all-published)",
            result.rows.len()
        )
    };
    format!(
        "Swept {date} by `cargo xtask sweep` at {stamp}: {trees}, \
         each with the cases, the exhaustive emit_lso check and {} stress programs (seed {}); \
         this run took {} ({:.0} s per tree; steps already in target/ were reused). \
         In the series column each patch of `patches/` is *in* (already in the tree), *applies* \
         or *neither*.\n\n{markdown}",
        result.stress_count,
        result.stress_seed,
        if result.seconds >= 120.0 {
            format!("{:.0} min", result.seconds / 60.0)
        } else {
            format!("{:.0} s", result.seconds)
        },
        result.seconds / result.rows.len().max(1) as f64
    )
}
