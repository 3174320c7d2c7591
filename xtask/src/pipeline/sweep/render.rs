//! The sweep as tables: plain text for the terminal; in Markdown, the
//! short table a user reads (a version, the known defects it carries,
//! whether the series verifies on it) and the evidence behind each row.

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

/// Where the sweep came from, in one paragraph: when, at which commit of
/// the project, over which trees, with what, and how long it took.
pub fn provenance(sweep: &Sweep) -> String {
    let date = sweep
        .swept_on
        .map_or("on a day not recorded".to_owned(), |d| d.to_string());
    let source = sweep.source.as_deref().unwrap_or("a commit not recorded");
    let trees = if sweep.all_published {
        format!(
            "every luajit-src version cargo's registry index listed ({})",
            sweep.rows.len()
        )
    } else {
        format!(
            "{} trees, NOT every published version (`--all-published` sweeps them all)",
            sweep.rows.len()
        )
    };
    let took = if sweep.seconds >= 120.0 {
        format!("{:.0} min", sweep.seconds / 60.0)
    } else {
        format!("{:.0} s", sweep.seconds)
    };
    format!(
        "Swept {date} by `cargo xtask sweep` at {source}: {trees}, each with the cases, \
         the exhaustive emit_lso check and {} stress programs (seed {}); the run took {took} \
         ({:.0} s per tree; steps already in target/ were reused).",
        sweep.stress_count,
        sweep.stress_seed,
        sweep.seconds / sweep.rows.len().max(1) as f64
    )
}

/// A tree's name in the short table: the version of a published tree.
fn version_cell(row: &Row) -> &str {
    row.tree.strip_prefix("luajit-src ").unwrap_or(&row.tree)
}

/// The known defects a row carries, in the catalogue's order, and those it
/// could not be told of.
fn defects_cell(row: &Row) -> String {
    if let Some(error) = &row.error {
        return format!("could not be swept: {}", escape(first_line(error)));
    }
    let mut cell = if row.affected.is_empty() {
        "none".to_owned()
    } else {
        row.affected.join(", ")
    };
    if !row.could_not_tell.is_empty() {
        cell.push_str(&format!(
            " (could not tell: {})",
            row.could_not_tell.join(", ")
        ));
    }
    cell
}

/// The table a user reads: one short row a version, with the known
/// defects it carries and whether the series verifies on it.
pub fn short_table(sweep: &Sweep) -> String {
    let mut text =
        "| luajit-src | known defects it carries | the series verifies on it |\n|---|---|---|\n"
            .to_owned();
    for row in &sweep.rows {
        let verifies = match verifies_cell(row) {
            "NO" => "**NO**",
            other => other,
        };
        outln!(
            text,
            "| {} | {} | {verifies} |",
            version_cell(row),
            defects_cell(row)
        );
    }
    text
}

/// Markdown-escapes text the sweep quotes (case outputs, stress findings),
/// so that brackets, stars and angle brackets show as they are.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*[]<>|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The evidence behind every row, tree by tree, as a Markdown document.
pub fn evidence(sweep: &Sweep) -> String {
    let mut out = String::new();
    outln!(out, "# What the sweep's verdicts rest on\n");
    outln!(
        out,
        "<!-- Written by `cargo xtask sweep --write-docs` from docs/sweep/sweep.json; do not edit. -->\n"
    );
    outln!(out, "{}\n", provenance(sweep));
    outln!(
        out,
        "The short table is in [affected-versions.md](affected-versions.md), the data in \
         [sweep/sweep.json](sweep/sweep.json), one OSV record per known defect in [osv/](osv/)."
    );
    for row in &sweep.rows {
        outln!(out, "\n## {}\n", row.tree);
        if let Some(error) = &row.error {
            outln!(out, "Could not be swept: {}", escape(error));
            continue;
        }
        let list = |issues: &[String]| {
            if issues.is_empty() {
                "none".to_owned()
            } else {
                issues.join(", ")
            }
        };
        outln!(
            out,
            "Affected: {}. Not affected: {}. Could not tell: {}.\n",
            list(&row.affected),
            list(&row.not_affected),
            list(&row.could_not_tell)
        );
        if !row.patches.is_empty() {
            let states: Vec<String> = row
                .patches
                .iter()
                .map(|p| {
                    format!(
                        "`{}` ({}): {}",
                        p.patch,
                        p.fixes.join(", "),
                        p.state.label()
                    )
                })
                .collect();
            outln!(out, "The series: {}.\n", states.join("; "));
        }
        for issue in &row.issues {
            let group = match issue.group {
                Group::Series => "the series' issue",
                Group::OtherKnown => "another known defect",
            };
            outln!(
                out,
                "- {} ({group}): {}",
                issue.issue,
                issue.verdict.label()
            );
            for line in &issue.evidence {
                outln!(out, "  - {}", escape(line));
            }
        }
        if let Some(stress) = &row.stress {
            outln!(
                out,
                "\nStress: {} programs (seed {}), {} traces, {} differ between the JIT and the interpreter.",
                stress.programs,
                stress.seed,
                stress.traces,
                stress.findings.len()
            );
            for finding in &stress.findings {
                outln!(out, "- {}", escape(finding));
            }
        }
        outln!(
            out,
            "\nThe tree with the series {}: {}",
            if row.patched_verifies {
                "verifies"
            } else {
                "does NOT verify"
            },
            escape(&row.patched)
        );
    }
    out
}

/// The block of `docs/affected-versions.md` between its sweep markers:
/// where the table came from, then the table.
pub fn affected_versions_block(sweep: &Sweep) -> String {
    format!(
        "{}\n\nThe evidence behind each row: [sweep-evidence.md](sweep-evidence.md).\n\n{}",
        provenance(sweep),
        short_table(sweep)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::stress::Shard;

    fn row(tree: &str, affected: &[&str], verifies: bool, error: Option<&str>) -> Row {
        Row {
            place: 0,
            tree: tree.to_owned(),
            error: error.map(str::to_owned),
            affected: affected.iter().map(|s| s.to_string()).collect(),
            not_affected: Vec::new(),
            could_not_tell: Vec::new(),
            issues: Vec::new(),
            patches: Vec::new(),
            patched_verifies: verifies,
            patched: "the patched tree: 18 of 20 cases pass | one [x19, #488]".to_owned(),
            stress: None,
        }
    }

    fn sweep(rows: Vec<Row>) -> Sweep {
        Sweep {
            schema_version: super::super::SCHEMA_VERSION,
            shard: Shard::WHOLE,
            trees: rows.len(),
            all_published: false,
            stress_seed: 1,
            stress_count: 40,
            rows,
            seconds: 90.0,
            catalogue: Vec::new(),
            swept_on: None,
            source: Some("commit abc".to_owned()),
        }
    }

    #[test]
    fn the_short_table_has_one_short_row_a_version() {
        let swept = sweep(vec![
            row(
                "luajit-src 0.0.0",
                &[],
                false,
                Some("vendors no LuaJIT tree\nmore"),
            ),
            row(
                "luajit-src 210.7.2+b925b3e",
                &["LuaJIT#1480", "arm64-verify#phi-copyspill-pair"],
                true,
                None,
            ),
            row(
                "luajit-src 210.4.8+resty107baaf",
                &["LuaJIT#1056"],
                false,
                None,
            ),
        ]);
        let table = short_table(&swept);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 2 + 3);
        assert_eq!(
            lines[2],
            "| 0.0.0 | could not be swept: vendors no LuaJIT tree | - |"
        );
        assert_eq!(
            lines[3],
            "| 210.7.2+b925b3e | LuaJIT#1480, arm64-verify#phi-copyspill-pair | yes |"
        );
        assert_eq!(lines[4], "| 210.4.8+resty107baaf | LuaJIT#1056 | **NO** |");
        let block = affected_versions_block(&swept);
        assert!(block.contains("NOT every published version"), "{block}");
        assert!(block.contains("at commit abc"), "{block}");
    }

    #[test]
    fn the_evidence_quotes_outputs_as_they_are() {
        let text = evidence(&sweep(vec![row("luajit-src 1", &[], true, None)]));
        assert!(
            text.contains(r"18 of 20 cases pass \| one \[x19, #488\]"),
            "{text}"
        );
        assert!(text.contains("## luajit-src 1\n"), "{text}");
    }
}
