//! The evidence: a case × variant table for the terminal, and
//! target/evidence/report.md and report.json for an upstream pull request.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Serialize;

pub use super::evidence::{Identity, IssueEvidence};
use super::expect::Expectation;
use super::fetch::Source;
use super::stress::{Bucket, StressReport, seed_text};
use super::suite::outcome::{CaseResult, LsoReport, Outcome};
use super::variants::{BASELINE, PATCHED};

/// The layout of report.json; raised whenever a field changes meaning,
/// moves or goes (README.md, "report.json").
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub verdict: Verdict,
    /// What pins down the tree and the tools.
    pub identity: Identity,
    pub tree: Source,
    /// How the baseline and the patched variant were made from the tree.
    pub mode: String,
    pub patches: Vec<PatchInfo>,
    /// Per upstream issue the series fixes, the case that shows it.
    pub issues: Vec<IssueEvidence>,
    pub toolchain: Vec<NameValue>,
    pub variants: Vec<VariantInfo>,
    pub cases: Vec<CaseRow>,
    /// The exhaustive emit_lso check, per variant.
    pub lso: Vec<VariantLso>,
    /// The stress runs, per variant.
    pub stress: Vec<StressReport>,
    /// Each run's findings grouped by signature and fixing patch.
    pub stress_buckets: Vec<VariantBuckets>,
    /// The machine-code diff of the default workload.
    pub mcode: Option<crate::pipeline::mcode::McodeDiff>,
    /// The checks after each patch of the series in turn.
    pub attribution: Option<super::attribution::Attribution>,
    /// What the exhaustive check cannot see and which check covers it.
    pub lso_limits: String,
    pub checks: Vec<Expectation>,
    pub timings: Vec<Timing>,
    /// Steps whose results were reused from an earlier run with the same
    /// inputs, with the time they took then.
    pub reused: Vec<super::cache::Reused>,
    /// The xtask command that redoes each part of the report on its own.
    pub reproduce: Vec<Redo>,
    pub commands: Vec<String>,
    /// The project root, taken out of every path written.
    #[serde(skip)]
    pub root: PathBuf,
}

#[derive(Serialize)]
pub struct Verdict {
    pub ok: bool,
    /// One sentence, scoped to what was checked: summary.md opens with it.
    pub headline: String,
    pub summary: String,
}

#[derive(Serialize)]
pub struct NameValue {
    pub name: String,
    pub value: String,
}

#[derive(Serialize)]
pub struct VariantLso {
    pub variant: String,
    pub report: LsoReport,
}

#[derive(Serialize)]
pub struct VariantBuckets {
    pub variant: String,
    pub buckets: Vec<Bucket>,
}

#[derive(Serialize)]
pub struct Timing {
    pub step: String,
    pub seconds: f64,
}

#[derive(Serialize)]
pub struct Redo {
    pub what: String,
    pub command: String,
}

#[derive(Serialize)]
pub struct PatchInfo {
    pub name: String,
    pub subject: String,
    pub sha256: String,
    pub fixes: Vec<String>,
    /// The upstream commit of the same fix, from the `Upstream:` trailer.
    pub upstream: Option<String>,
    /// Applied, already in and skipped, or reversed for the baseline.
    pub state: String,
}

#[derive(Serialize)]
pub struct VariantInfo {
    pub name: String,
    pub dir: PathBuf,
    pub rebuilt: bool,
    pub build_seconds: f64,
}

#[derive(Serialize)]
pub struct CaseRow {
    pub name: String,
    pub pins: Vec<String>,
    pub outcomes: Vec<VariantOutcome>,
}

#[derive(Serialize)]
pub struct VariantOutcome {
    pub variant: String,
    pub outcome: Outcome,
}

/// Rows of case × variant from per-variant results (same cases, same order).
pub fn case_rows(variants: &[(&str, &[CaseResult])]) -> Vec<CaseRow> {
    let Some((_, first)) = variants.first() else {
        return Vec::new();
    };
    first
        .iter()
        .map(|case| CaseRow {
            name: case.name.clone(),
            pins: case.pins.clone(),
            outcomes: variants
                .iter()
                .filter_map(|(variant, results)| {
                    results
                        .iter()
                        .find(|r| r.name == case.name)
                        .map(|r| VariantOutcome {
                            variant: variant.to_string(),
                            outcome: r.outcome.clone(),
                        })
                })
                .collect(),
        })
        .collect()
}

/// A plain-text table for the terminal.
pub fn print_table(rows: &[CaseRow]) {
    let Some(first) = rows.first() else { return };
    let mut lines: Vec<Vec<String>> = vec![
        std::iter::once("case".to_owned())
            .chain(first.outcomes.iter().map(|o| o.variant.clone()))
            .collect(),
    ];
    for row in rows {
        lines.push(
            std::iter::once(row.name.clone())
                .chain(row.outcomes.iter().map(|o| o.outcome.summary()))
                .collect(),
        );
    }
    let columns = lines[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            lines
                .iter()
                .map(|l| l.get(c).map_or(0, String::len))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for line in &lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
}

impl Report {
    /// Writes summary.md, report.md and report.json into `dir`, each through
    /// a temporary file and a rename so an interrupted run keeps the
    /// previous report.
    pub fn write(&self, dir: &Path, summary: &str) -> Result<Written> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let written = Written {
            summary: dir.join("summary.md"),
            markdown: dir.join("report.md"),
            json: dir.join("report.json"),
        };
        let markdown = self.markdown();
        write_atomically(&written.summary, summary.as_bytes())?;
        write_atomically(&written.markdown, markdown.as_bytes())?;
        let json = serde_json::to_string_pretty(&self.json()?)?;
        write_atomically(&written.json, json.as_bytes())?;
        Ok(written)
    }

    /// report.json as written: every duration in seconds, every path under
    /// the project root relative to it.
    pub fn json(&self) -> Result<serde_json::Value> {
        let mut value = serde_json::to_value(self)?;
        normalise_json(&mut value, &|text| self.relative(text));
        Ok(value)
    }

    /// `text` with the project root taken out of every path in it, and
    /// Cargo's and rustup's homes named by their variables: both differ
    /// from machine to machine.
    pub fn relative(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (variable, default) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
            let home = std::env::var(variable).ok().or_else(|| {
                std::env::var("HOME")
                    .ok()
                    .map(|h| format!("{}/{default}", h.trim_end_matches('/')))
            });
            if let Some(home) = home.filter(|h| h.len() > 1) {
                text = text.replace(&home, &format!("${variable}"));
            }
        }
        let root = self.root.display().to_string();
        if root.is_empty() || root == "/" {
            return text;
        }
        text.replace(&format!("{root}/"), "").replace(&root, ".")
    }

    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let mark = if self.verdict.ok { "✅" } else { "❌" };
        md.push_str(&format!(
            "# LuaJIT ARM64 patch verification\n\n{mark} **{}**\n\n",
            self.verdict.summary
        ));

        md.push_str("## Regression cases\n\n");
        let variants: Vec<&str> = self
            .cases
            .first()
            .map(|r| r.outcomes.iter().map(|o| o.variant.as_str()).collect())
            .unwrap_or_default();
        md.push_str(&format!("| case | pins | {} |\n", variants.join(" | ")));
        md.push_str(&format!("|---|---|{}\n", "---|".repeat(variants.len())));
        for row in &self.cases {
            let cells: Vec<String> = row
                .outcomes
                .iter()
                .map(|o| markdown_cell(&o.outcome))
                .collect();
            md.push_str(&format!(
                "| `{}` | {} | {} |\n",
                row.name,
                row.pins.join(", "),
                cells.join(" | ")
            ));
        }
        let failed: Vec<&Expectation> = self.checks.iter().filter(|c| !c.held).collect();
        if failed.is_empty() {
            md.push_str(&format!("\nAll {} expectations held.\n", self.checks.len()));
        } else {
            md.push_str(&format!(
                "\n{} of {} expectations did not hold:\n\n",
                failed.len(),
                self.checks.len()
            ));
            for check in failed {
                md.push_str(&format!(
                    "- `{}` on {}: expected {}, got {}\n",
                    check.case,
                    check.variant,
                    cell(&check.expected),
                    cell(&check.observed)
                ));
            }
        }

        md.push_str(&self.attribution_markdown());
        md.push_str(&self.lso_markdown());
        md.push_str(&self.stress_markdown());
        md.push_str(&self.mcode_markdown());
        md.push_str("\n## What was verified\n\n");
        md.push_str("- reproduce: `cargo xtask verify` in a clone of luajit-arm64-verify; the exact steps are under *How this report was made*\n");
        let id = &self.identity;
        md.push_str(&format!("- LuaJIT tree: {}\n", self.tree.label));
        md.push_str(&format!(
            "- tree commit: {}\n",
            id.tree_commit
                .as_ref()
                .map_or("unknown".to_owned(), |c| format!(
                    "{c} ({})",
                    id.tree_commit_origin
                ))
        ));
        md.push_str(&format!("- variants: {}\n", self.mode));
        md.push_str(&format!("- build flags: `{}`\n", id.build_flags));
        for entry in &self.toolchain {
            md.push_str(&format!("- {}: {}\n", entry.name, entry.value));
        }
        md.push_str(&format!("- disassembler: {}\n", id.disassembler));
        md.push_str(&format!("- toolkit commit: {}\n", id.toolkit_commit));
        md.push_str(
            "\n| patch | fixes | upstream | on this tree | sha256 |\n|---|---|---|---|---|\n",
        );
        for patch in &self.patches {
            md.push_str(&format!(
                "| {} (`{}`) | {} | {} | {} | `{}` |\n",
                cell(&patch.subject),
                patch.name,
                patch
                    .fixes
                    .iter()
                    .map(|f| super::evidence::github_issue(f))
                    .collect::<Vec<_>>()
                    .join(", "),
                patch
                    .upstream
                    .as_ref()
                    .map_or("-".to_owned(), |c| format!("LuaJIT/LuaJIT@{c}")),
                patch.state,
                patch.sha256
            ));
        }
        md.push_str("\n| step | seconds |\n|---|---|\n");
        for timing in &self.timings {
            let shown = if timing.seconds == 0.0 {
                "up to date".to_owned()
            } else {
                format!("{:.1}", timing.seconds)
            };
            md.push_str(&format!("| {} | {shown} |\n", timing.step));
        }
        md.push_str("\n| to redo | run |\n|---|---|\n");
        for redo in &self.reproduce {
            md.push_str(&format!("| {} | `{}` |\n", redo.what, redo.command));
        }
        md.push_str(&self.provenance_markdown());
        self.relative(&md)
    }

    /// Everything about how the report was made, in one fold: results
    /// reused from earlier runs and the commands run, repeats counted.
    fn provenance_markdown(&self) -> String {
        let mut md = String::from(
            "\n<details><summary>How this report was made: commands run and results reused</summary>\n\n",
        );
        if !self.reused.is_empty() {
            md.push_str(&format!(
                "{} results were reused from an earlier run with the same inputs (`--no-cache` recomputes them):\n\n| step | seconds when computed |\n|---|---|\n",
                self.reused.len()
            ));
            // One row per form (e.g. every finding's attribution), seconds summed.
            let mut rows: Vec<(String, &str, usize, f64)> = Vec::new();
            for reused in &self.reused {
                let form = command_form(&reused.what);
                match rows.iter_mut().find(|(f, _, _, _)| *f == form) {
                    Some((_, _, count, seconds)) => {
                        *count += 1;
                        *seconds += reused.seconds;
                    }
                    None => rows.push((form, &reused.what, 1, reused.seconds)),
                }
            }
            for (_, first, count, seconds) in rows {
                let more = if count > 1 {
                    format!(" and {} more of this form", count - 1)
                } else {
                    String::new()
                };
                md.push_str(&format!("| {}{more} | {seconds:.1} |\n", cell(first)));
            }
            md.push('\n');
        }
        md.push_str("```sh\n");
        for (command, count) in group_commands(&self.commands) {
            md.push_str(command.trim_end());
            if count > 1 {
                md.push_str(&format!("   # and {} more of this form", count - 1));
            }
            md.push('\n');
        }
        md.push_str("```\n\n</details>\n");
        md
    }
}

/// Commands of one form (the same but for seeds, numbers and round or
/// shard folders, as when every finding is shrunk and attributed) as the
/// first of them and a count, in order of first appearance.
fn group_commands(commands: &[String]) -> Vec<(&str, usize)> {
    let mut grouped: Vec<(String, &str, usize)> = Vec::new();
    for command in commands {
        let shape = command_form(command);
        match grouped.iter_mut().find(|(s, _, _)| *s == shape) {
            Some((_, _, count)) => *count += 1,
            None => grouped.push((shape, command, 1)),
        }
    }
    grouped
        .into_iter()
        .map(|(_, first, count)| (first, count))
        .collect()
}

/// A command (or a step's name) with its seeds and numbers taken out.
fn command_form(command: &str) -> String {
    let form = |command: &str| {
        let mut out = String::new();
        let mut chars = command.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '0' && chars.peek() == Some(&'x') {
                chars.next();
                while chars.peek().is_some_and(char::is_ascii_hexdigit) {
                    chars.next();
                }
                out.push_str("0xS");
            } else if c.is_ascii_digit() {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                out.push('N');
            } else {
                out.push(c);
            }
        }
        out
    };
    form(command)
}

/// The paths written
pub struct Written {
    pub summary: PathBuf,
    pub markdown: PathBuf,
    pub json: PathBuf,
}

/// Makes report.json self-consistent for readers: a duration is in
/// seconds wherever it is (the suite's own records count milliseconds:
/// `millis` becomes `seconds`, `took_millis` `took_seconds`), and `text`
/// rewrites every string (paths relative to the project).
fn normalise_json(value: &mut serde_json::Value, text: &dyn Fn(&str) -> String) {
    use serde_json::Value;
    match value {
        Value::String(s) => *s = text(s),
        Value::Array(items) => items.iter_mut().for_each(|v| normalise_json(v, text)),
        Value::Object(map) => {
            // Rebuilt in order: fields stay where the types declare them.
            let mut out = serde_json::Map::new();
            for (key, mut entry) in std::mem::take(map) {
                if let Some(stem) = key.strip_suffix("millis")
                    && let Some(ms) = entry.as_f64()
                {
                    out.insert(format!("{stem}seconds"), serde_json::json!(ms / 1000.0));
                    continue;
                }
                normalise_json(&mut entry, text);
                out.insert(key, entry);
            }
            *map = out;
        }
        _ => {}
    }
}

impl Report {
    fn lso_markdown(&self) -> String {
        let mut md = String::from("\n## Exhaustive check of `emit_lso`\n\n");
        md.push_str(
            "Every input that decides what `emit_lso` emits (12 load/store kinds, every offset they accept, \
             every same-kind access at every encodable offset as the previous word, another base, an unrelated \
             word, three register relations, with and without the loop label), run through the tree's own \
             function and judged by decoding the words with yaxpeax-arm.\n\n",
        );
        if !self.lso_limits.is_empty() {
            md.push_str(&format!("**What it cannot see.** {}\n\n", self.lso_limits));
        }
        let variants: Vec<&str> = self.lso.iter().map(|v| v.variant.as_str()).collect();
        md.push_str(&format!(
            "| | {} |\n|---|{}\n",
            variants.join(" | "),
            "---|".repeat(variants.len())
        ));
        let row = |label: &str, value: &dyn Fn(&LsoReport) -> String| {
            format!(
                "| {label} | {} |\n",
                self.lso
                    .iter()
                    .map(|v| value(&v.report))
                    .collect::<Vec<_>>()
                    .join(" | ")
            )
        };
        md.push_str(&row("inputs checked", &|r| r.cases.to_string()));
        md.push_str(&row("fused correctly", &|r| r.fused.to_string()));
        let mut classes: Vec<(String, Option<String>, &str)> = Vec::new();
        for variant in &self.lso {
            for (class, kind) in variant
                .report
                .defects
                .iter()
                .map(|c| (c, "defect"))
                .chain(variant.report.hazards.iter().map(|c| (c, "hazard")))
            {
                if !classes.iter().any(|(name, _, _)| *name == class.class) {
                    classes.push((class.class.clone(), class.upstream.clone(), kind));
                }
            }
        }
        for (name, upstream, kind) in &classes {
            let label = match upstream {
                Some(issue) => format!("{kind}: {name} ({})", super::evidence::github_issue(issue)),
                None => format!("{kind}: {name}"),
            };
            md.push_str(&row(&label, &|r| {
                r.defects
                    .iter()
                    .chain(&r.hazards)
                    .find(|c| &c.class == name)
                    .map_or("0".to_owned(), |c| c.count.to_string())
            }));
        }
        md.push_str(&row("missed fusions (information)", &|r| {
            r.missed_fusions.count.to_string()
        }));
        md.push_str(&row(
            "legal pairs no caller gives: fused / not (information)",
            &|r| format!("{} / {}", r.never_given.fused, r.never_given.unfused),
        ));
        md.push_str(&row("seconds", &|r| {
            format!("{:.1}", r.millis as f64 / 1000.0)
        }));
        md.push_str(
            "\n*Legal pairs no caller gives*: the neighbour is in the LDUR/STUR form at an aligned, non-negative \
             offset, which `emit_lso` always writes in the LDR/STR form, so no trace holds such a pair. A tree that \
             stops fusing them loses no fusion a program could have; they are counted here, apart from the fused \
             pairs and the missed fusions.\n",
        );
        for variant in &self.lso {
            let shown: Vec<_> = variant
                .report
                .defects
                .iter()
                .chain(&variant.report.hazards)
                .filter(|c| !c.examples.is_empty())
                .collect();
            if shown.is_empty() {
                continue;
            }
            md.push_str(&format!(
                "\n<details><summary>Counterexamples on {}</summary>\n\n",
                variant.variant
            ));
            for class in shown {
                md.push_str(&format!(
                    "**{}** ({} inputs)\n\n```text\n{}\n```\n\n",
                    class.class,
                    class.count,
                    class.examples.join("\n")
                ));
            }
            md.push_str("</details>\n");
        }
        let traces = self.mcode.as_ref().map(|m| &m.totals);
        md.push_str(&format!(
            "\nA *hazard* is a result the architecture leaves CONSTRAINED UNPREDICTABLE: an LDP whose two destinations \
             are equal (a real core may return either value, raise UNDEF or do nothing; QEMU picks one behaviour). \
             `emit_lso` makes one only from two loads into one register, the first of them dead. {}\n",
            match traces {
                Some(t) => format!(
                    "Measured in captured traces: {} such LDPs in {} of {} baseline traces, {} in {} of {} patched traces.",
                    t.equal_ldps_baseline,
                    t.equal_ldp_traces_baseline,
                    t.baseline_traces,
                    t.equal_ldps_patched,
                    t.equal_ldp_traces_patched,
                    t.patched_traces
                ),
                None => "No traces were captured to measure how often it occurs.".to_owned(),
            }
        ));
        md
    }
}

impl Report {
    fn attribution_markdown(&self) -> String {
        let Some(a) = &self.attribution else {
            return String::new();
        };
        let mut md = String::from("\n## What each patch closes\n\n");
        for closes in &a.closes {
            let closed = closes.phrases();
            let what = if closed.is_empty() {
                "nothing the checks see".to_owned()
            } else {
                closed.join(", ")
            };
            md.push_str(&format!("- `{}` closes {what}\n", closes.patch));
        }
        let headers: Vec<String> = a
            .steps
            .iter()
            .map(|s| match &s.adds {
                None => s.variant.clone(),
                Some(added) => format!(
                    "{} (+{}{})",
                    s.variant,
                    added.patch.split('-').next().unwrap_or(&added.patch),
                    if added.fixes.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", added.fixes.join(", "))
                    }
                ),
            })
            .collect();
        md.push_str(&format!(
            "\n| check | {} |\n|---|{}\n",
            headers.join(" | "),
            "---|".repeat(headers.len())
        ));
        for row in &a.cases {
            md.push_str(&format!(
                "| case `{}` | {} |\n",
                row.case,
                row.outcomes.join(" | ")
            ));
        }
        for row in &a.lso {
            let cells: Vec<String> = row.counts.iter().map(|c| c.to_string()).collect();
            md.push_str(&format!(
                "| emit_lso: {} | {} |\n",
                row.class,
                cells.join(" | ")
            ));
        }
        // Stress findings by bucket: one row each, not one per finding.
        let baseline = self.stress.iter().find(|r| r.variant == BASELINE);
        for buckets in self.stress_buckets.iter().filter(|b| b.variant == BASELINE) {
            for bucket in &buckets.buckets {
                let Some(first) = bucket
                    .findings
                    .first()
                    .and_then(|&i| baseline.and_then(|r| r.findings.get(i)))
                else {
                    continue;
                };
                let Some(attribution) = &first.attribution else {
                    continue;
                };
                let cells: Vec<&str> = attribution
                    .steps
                    .iter()
                    .map(|s| {
                        if s.difference.is_some() {
                            "differs"
                        } else {
                            "agrees"
                        }
                    })
                    .collect();
                md.push_str(&format!(
                    "| stress bucket `{}` ({} findings) | {} |\n",
                    cell(&bucket.signature),
                    bucket.findings.len(),
                    cells.join(" | ")
                ));
            }
        }
        md
    }

    fn mcode_markdown(&self) -> String {
        let Some(diff) = &self.mcode else {
            return String::new();
        };
        let t = &diff.totals;
        let mut md = String::from("\n## Machine code with and without the patch\n\n");
        md.push_str(
            "Every trace of the regression cases and a stress sample, captured after the run on both builds, \
             decoded with yaxpeax-arm and normalised (offsets from the trace start, labels, exit numbers, symbolic \
             constants), matched by trace number and IR.\n\n",
        );
        md.push_str("| scripts | traces (baseline / patched) | compared | identical | different | IR differs | sites | mis-fusions corrected | legal fusions given up | unexplained |\n");
        md.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
        md.push_str(&format!(
            "| {} | {} / {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            t.scripts,
            t.baseline_traces,
            t.patched_traces,
            t.compared,
            t.identical,
            t.different,
            t.ir_different,
            t.sites,
            t.misfusions_corrected,
            t.fusions_given_up,
            t.unexplained
        ));
        md.push_str(&format!(
            "\nLDP with two equal destinations (CONSTRAINED UNPREDICTABLE on real cores; QEMU picks one behaviour): \
             {} in {} of {} baseline traces, {} in {} of {} patched traces.\n",
            t.equal_ldps_baseline,
            t.equal_ldp_traces_baseline,
            t.baseline_traces,
            t.equal_ldps_patched,
            t.equal_ldp_traces_patched,
            t.patched_traces
        ));
        md.push_str(&mcode_detail(diff));
        md
    }

    fn stress_markdown(&self) -> String {
        let mut md = String::from("\n## Stress: the JIT against the interpreter\n\n");
        md.push_str(
            "Seeded programs that put loop variables and call slots on every stack slot up to about 130, stitch, \
             tail-call and access memory through the FFI near the fusion hazards; each runs with the JIT on and off \
             in the same build, and any difference is a finding. Findings are grouped into buckets (the kind of \
             difference with numbers and addresses taken out, and the patch that makes the original program pass); \
             one finding per bucket is shrunk.\n\n| variant | seed | programs | traces | findings | buckets | seconds |\n|---|---|---|---|---|---|---|\n",
        );
        for report in &self.stress {
            let buckets = self
                .stress_buckets
                .iter()
                .find(|b| b.variant == report.variant)
                .map_or(0, |b| b.buckets.len());
            md.push_str(&format!(
                "| {} | `{}` | {} | {} | {} | {buckets} | {:.1} |\n",
                report.variant,
                seed_text(report.plan.seed),
                report.programs,
                report.traces,
                report.findings.len(),
                report.seconds
            ));
        }
        md.push_str(&reach_markdown(&self.stress));
        for report in self.stress.iter().filter(|r| !r.findings.is_empty()) {
            let Some(buckets) = self
                .stress_buckets
                .iter()
                .find(|b| b.variant == report.variant)
            else {
                continue;
            };
            md.push_str(&format!(
                "\nBuckets on {}:\n\n| bucket | findings | program seeds | fixed by | original outcome | shrunk outcome |\n|---|---|---|---|---|---|\n",
                report.variant
            ));
            for bucket in &buckets.buckets {
                let seeds: Vec<String> = bucket
                    .findings
                    .iter()
                    .take(4)
                    .filter_map(|&i| report.findings.get(i))
                    .map(|f| format!("`{}`", seed_text(f.program_seed)))
                    .collect();
                let more = bucket.findings.len().saturating_sub(4);
                let seeds = if more > 0 {
                    format!("{} and {more} more", seeds.join(", "))
                } else {
                    seeds.join(", ")
                };
                let fixed = match &bucket.fixed_by {
                    Some(patch) => format!(
                        "`{}` ({})",
                        patch.split('-').next().unwrap_or(patch),
                        bucket.fixes.join(", ")
                    ),
                    None => "no single patch".to_owned(),
                };
                let first = bucket
                    .findings
                    .first()
                    .and_then(|&i| report.findings.get(i));
                let original = first.map_or("-".to_owned(), |f| {
                    format!(
                        "`{}`: {}",
                        seed_text(f.program_seed),
                        cell(&format!("{}: {}", f.kind, f.difference))
                    )
                });
                let shrunk = bucket
                    .shrunk
                    .and_then(|i| report.findings.get(i))
                    .and_then(|f| f.shrunk.as_ref())
                    .map_or("not shrunk".to_owned(), |s| {
                        let fixed = s
                            .attribution
                            .as_ref()
                            .and_then(|a| a.fixed_by.as_ref())
                            .map_or(String::new(), |p| {
                                format!("; fixed by `{}`", p.split('-').next().unwrap_or(p))
                            });
                        format!(
                            "{} lines, {}{fixed}",
                            s.lines,
                            cell(&match s.kind {
                                Some(kind) => format!("{kind}: {}", s.difference),
                                None => format!("none: {}", s.difference),
                            })
                        )
                    });
                md.push_str(&format!(
                    "| `{}` | {} | {seeds} | {fixed} | {original} | {shrunk} |\n",
                    cell(&bucket.signature),
                    bucket.findings.len()
                ));
            }
            for bucket in &buckets.buckets {
                let Some(finding) = bucket.shrunk.and_then(|i| report.findings.get(i)) else {
                    continue;
                };
                let Some(shrunk) = &finding.shrunk else {
                    continue;
                };
                md.push_str(&format!(
                    "\n<details><summary>Shrunk reproducer of {} ({} lines)</summary>\n\n```lua\n{}\n```\n\n</details>\n",
                    seed_text(finding.program_seed),
                    shrunk.lines,
                    shrunk.source.trim_end()
                ));
            }
        }
        md
    }
}

/// The traces that differ, each with its diff at column 0 in a `diff`
/// fence so GitHub colours it; identical traces are only counted.
fn mcode_detail(diff: &crate::pipeline::mcode::McodeDiff) -> String {
    use crate::pipeline::mcode::TraceStatus;
    let mut md = String::new();
    let mut quiet = (0, 0);
    for script in &diff.scripts {
        let differing: Vec<_> = script
            .traces
            .iter()
            .filter(|t| t.status != TraceStatus::Identical)
            .collect();
        let equal_ldps = script.equal_ldps_baseline.len() + script.equal_ldps_patched.len();
        if differing.is_empty() && script.not_captured.is_empty() && equal_ldps == 0 {
            quiet.0 += 1;
            quiet.1 += script.traces.len();
            continue;
        }
        md.push_str(&format!(
            "\n**`{}`** (baseline: {}; patched: {})\n\n",
            script.script,
            inline(&super::without_heap_addresses(&script.baseline)),
            inline(&super::without_heap_addresses(&script.patched))
        ));
        for why in &script.not_captured {
            let note = if script.baseline_lost {
                "not compared, the runs diverged"
            } else {
                "unexplained"
            };
            md.push_str(&format!("- {note}: {}\n", cell(why)));
        }
        let identical = script.traces.len() - differing.len();
        if identical > 0 {
            md.push_str(&format!("- {identical} identical traces\n"));
        }
        for trace in differing {
            let classes: Vec<&str> = trace.sites.iter().map(|s| s.class.label()).collect();
            md.push_str(&format!(
                "- {}: {:?}{}{}\n",
                trace.heading,
                trace.status,
                if classes.is_empty() {
                    String::new()
                } else {
                    format!(", sites: {}", classes.join(", "))
                },
                trace
                    .note
                    .as_ref()
                    .map_or(String::new(), |n| format!(" ({n})"))
            ));
            if !trace.diff.is_empty() {
                let lines: Vec<&str> = trace
                    .diff
                    .lines()
                    .filter(|l| !l.starts_with("---") && !l.starts_with("+++"))
                    .collect();
                md.push_str(&format!("\n```diff\n{}\n```\n\n", lines.join("\n")));
            }
        }
        for (name, found) in [
            (BASELINE, &script.equal_ldps_baseline),
            (PATCHED, &script.equal_ldps_patched),
        ] {
            for trace in found {
                md.push_str(&format!(
                    "- {name} {}: LDP with two equal destinations: `{}`\n",
                    trace.heading,
                    trace.lines.join("; ")
                ));
            }
        }
    }
    if quiet.0 > 0 {
        md.push_str(&format!(
            "\n{} scripts have only identical traces ({} traces), not listed.\n",
            quiet.0, quiet.1
        ));
    }
    md
}

fn markdown_cell(outcome: &Outcome) -> String {
    cell(&outcome.summary())
}

/// Text for a table cell: one line, pipes escaped, heap addresses scrubbed.
fn cell(text: &str) -> String {
    super::without_heap_addresses(text)
        .replace('|', "\\|")
        .replace(['\n', '\t'], " ")
}

/// Short text as inline code.
fn inline(text: &str) -> String {
    format!("`{}`", text.replace('`', "'").replace('\n', " "))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("cannot move {} into place", tmp.display()))
}

/// The IR opcodes whose ARM64 assembly loads or stores through `emit_lso`,
/// with the traces holding each, per stress run: how far the run reaches.
fn reach_markdown(runs: &[StressReport]) -> String {
    let Some(first) = runs.first().filter(|r| !r.reach.is_empty()) else {
        return String::new();
    };
    let mut md = String::from(
        "\nIR opcodes whose ARM64 assembly loads or stores through `emit_lso` (read off the tree's \
         `asm_ir`), and how many traces of each run hold them:\n\n| opcode |",
    );
    for run in runs {
        md.push_str(&format!(" {} |", run.variant));
    }
    md.push_str(&format!("\n|---|{}\n", "---|".repeat(runs.len())));
    for (index, reach) in first.reach.iter().enumerate() {
        md.push_str(&format!("| {} |", reach.opcode));
        for run in runs {
            let traces = run.reach.get(index).map_or(0, |r| r.traces);
            md.push_str(&format!(" {traces} |"));
        }
        md.push('\n');
    }
    for (opcode, why) in super::stress::reach::UNREACHABLE {
        if first.reach.iter().any(|r| r.opcode == opcode) {
            md.push_str(&format!("\n`{opcode}` is not expected: {why}.\n"));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::attribution::{
        Added, Attribution, CaseSteps, ClassClosed, ClassSteps, Closes, Step,
    };
    use crate::pipeline::evidence::ShownCase;
    use crate::pipeline::stress::{Finding, Shrunk, StepOutcome};
    use crate::pipeline::suite::outcome::{LsoClass, Status};
    use crate::pipeline::summary::SUMMARY_LIMIT;

    const ROOT: &str = "/work/checkout";

    fn outcome(status: Status, error: Option<&str>) -> Outcome {
        Outcome {
            status,
            exit_code: Some(1),
            signal: None,
            error: error.map(str::to_owned),
            output: String::new(),
            millis: 5,
            value: None,
            traces: None,
            ir_ops: Default::default(),
        }
    }

    fn lso(defects: Vec<LsoClass>) -> LsoReport {
        let missed = LsoClass {
            class: "missed fusion".to_owned(),
            upstream: None,
            count: 0,
            examples: vec![],
        };
        LsoReport {
            cases: 1_497_961_080,
            fused: 3584,
            defects,
            hazards: vec![],
            missed_fusions: missed,
            never_given: Default::default(),
            millis: 25_000,
        }
    }

    fn patch(number: &str, issue: &str, upstream: &str) -> PatchInfo {
        PatchInfo {
            name: format!("{number}-ARM64-fix.patch"),
            subject: "ARM64: Fix it | really.".to_owned(),
            sha256: "ab".repeat(32),
            fixes: vec![issue.to_owned()],
            upstream: Some(upstream.to_owned()),
            state: "applied".to_owned(),
        }
    }

    /// A finding as a long stress run gives them: big seeds, Lua heap
    /// addresses and pipes in the difference, a shrunk program.
    fn finding(index: usize) -> Finding {
        let seed = 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(index as u64 + 1);
        let patch = if index % 3 == 0 { "0002" } else { "0004" };
        Finding {
            index,
            program_seed: seed,
            kind: crate::pipeline::stress::Kind::Mismatch,
            difference: format!(
                "with the JIT it returns {index}\tfunction: 0x55{index:08x}, without it 2\t0 | odd"
            ),
            jit_settings: vec!["hotloop=1".to_owned()],
            dir: PathBuf::from(format!("{ROOT}/target/stress/x/program-{seed:#x}")),
            took_millis: 40,
            shrunk: Some(Shrunk {
                path: PathBuf::from(format!("{ROOT}/target/stress/x/shrunk.lua")),
                lines: 3,
                kind: Some(crate::pipeline::stress::Kind::Mismatch),
                difference: "differs".to_owned(),
                source: "local x = 1\nreturn x\n".to_owned(),
                attribution: None,
            }),
            attribution: Some(crate::pipeline::stress::Replay {
                steps: vec![
                    StepOutcome {
                        variant: "baseline".to_owned(),
                        difference: Some("differs".to_owned()),
                    },
                    StepOutcome {
                        variant: "patched".to_owned(),
                        difference: None,
                    },
                ],
                fixed_by: Some(format!("{patch}-ARM64-fix.patch")),
                fixes: vec!["LuaJIT#1075".to_owned()],
            }),
        }
    }

    fn stress(variant: &str, findings: Vec<Finding>) -> StressReport {
        StressReport {
            variant: variant.to_owned(),
            programs_dir: PathBuf::from(format!("{ROOT}/target/stress/programs")),
            plan: crate::pipeline::stress::Plan::whole(1, 300),
            programs: 300,
            traces: 5300,
            reach: vec![crate::pipeline::stress::reach::Reach {
                opcode: "TBAR".to_owned(),
                traces: 12,
            }],
            unreached: Vec::new(),
            findings,
            run_seconds: 30.0,
            first_finding_seconds: None,
            seconds: 40.0,
        }
    }

    fn shown(name: &str, error: &str, diff: &[&str]) -> ShownCase {
        ShownCase {
            name: name.to_owned(),
            path: format!("tests/cases/{name}.lua"),
            source: "-- pins: LuaJIT#1075\njit.opt.start(\"hotloop=1\")\nlocal t = {}\nfor i = 1, 100 do t[i] = i end\n".repeat(4),
            before: format!("fail: {error}"),
            after: "pass".to_owned(),
            trace: (!diff.is_empty()).then(|| "trace 1 at x.lua:14, stitch".to_owned()),
            diff: diff.iter().map(|l| l.to_string()).collect(),
            no_diff: diff.is_empty().then(|| {
                "no machine-code diff: baseline: no capture: crash: SIGSEGV".to_owned()
            }),
        }
    }

    /// A report shaped like a real one with `findings` baseline findings,
    /// with the awkward characters real results contain (pipes, tabs,
    /// backticks, heap addresses, absolute paths).
    #[test]
    fn the_sample_report_s_summary_is_as_expected() {
        // tests/expect/summary.md; LUAJIT_ARM64_VERIFY_BLESS=1 rewrites it.
        let expected = crate::pipeline::project_root().join("tests/expect/summary.md");
        let held =
            crate::test::golden::compare(&expected, &crate::pipeline::summary::render(&sample(3)))
                .unwrap();
        assert_eq!(held, Ok(()), "{}", held.clone().unwrap_err());
    }

    fn sample(findings: usize) -> Report {
        let alias = LsoClass {
            class: "offset alias".to_owned(),
            upstream: Some("LuaJIT#1075".to_owned()),
            count: 810,
            examples: vec!["str x30, [x19, #488] ; stur x0, [x19, #-16]  ->  stp x30, x0, [x19, #488]  (second store lands at +496, expected -16)".to_owned()],
        };
        let findings: Vec<Finding> = (0..findings).map(finding).collect();
        let baseline = stress("baseline", findings);
        let kong = "cases/lj1075_stitch_ipairs_slot62.lua:16: attempt to perform arithmetic on local 'i' (a function value)";
        Report {
            schema_version: SCHEMA_VERSION,
            verdict: Verdict {
                ok: true,
                headline: "The series is verified.".to_owned(),
                summary: "The series is verified.".to_owned(),
            },
            identity: Identity {
                tree: "luajit-src 210.4.8+resty107baaf".to_owned(),
                crate_version: Some("210.4.8+resty107baaf".to_owned()),
                tree_commit: Some("107baaf".to_owned()),
                tree_commit_origin: "OpenResty luajit2".to_owned(),
                build_flags: "-DLUAJIT_SECURITY_PRNG=0".to_owned(),
                execution: "user-mode QEMU (qemu-aarch64 version 7.2.0)".to_owned(),
                disassembler: "yaxpeax-arm 0.5.1".to_owned(),
                toolkit_commit: "0123abc-dirty".to_owned(),
            },
            tree: Source {
                label: "luajit-src 210.4.8".to_owned(),
                crate_version: None,
                git_commit: None,
                dir: PathBuf::from(format!("{ROOT}/target/luajit/baseline/tree")),
                tag: String::new(),
            },
            mode: "baseline as published".to_owned(),
            patches: vec![
                patch("0002", "LuaJIT#1056", "0fa2f1cb"),
                patch("0003", "LuaJIT#1057", "7cc53f0b"),
                patch("0004", "LuaJIT#1075", "b8c6ccd5"),
            ],
            issues: vec![
                IssueEvidence {
                    issue: "LuaJIT#1057".to_owned(),
                    patch: Some("0003-ARM64-fix.patch".to_owned()),
                    upstream_commit: Some("7cc53f0b".to_owned()),
                    case: Some(shown("lj1057_tbar", "crash: SIGSEGV", &[])),
                },
                IssueEvidence {
                    issue: "LuaJIT#1075".to_owned(),
                    patch: Some("0004-ARM64-fix.patch".to_owned()),
                    upstream_commit: Some("b8c6ccd5".to_owned()),
                    case: Some(shown(
                        "lj1075_stitch",
                        kong,
                        &[
                            "@@ -10,3 +10,4 @@",
                            "   mov x0, x1",
                            "-  stp x1, x2, [x19, #496]",
                            "+  str x2, [x19, #504]",
                            "+  stur x1, [x19, #-16]",
                        ],
                    )),
                },
            ],
            toolchain: vec![NameValue {
                name: "host".to_owned(),
                value: "x86_64-linux".to_owned(),
            }],
            variants: vec![VariantInfo {
                name: "baseline".to_owned(),
                dir: PathBuf::from(format!("{ROOT}/target/luajit/baseline")),
                rebuilt: false,
                build_seconds: 0.0,
            }],
            cases: vec![CaseRow {
                name: "lj1075_stitch".to_owned(),
                pins: vec!["LuaJIT#1075".to_owned()],
                outcomes: vec![
                    VariantOutcome {
                        variant: "baseline".to_owned(),
                        outcome: outcome(
                            Status::Fail,
                            Some(&format!("{kong} | `q` function: 0x5502c4bbb8")),
                        ),
                    },
                    VariantOutcome {
                        variant: "patched".to_owned(),
                        outcome: outcome(Status::Pass, None),
                    },
                ],
            }],
            lso: vec![
                VariantLso {
                    variant: "baseline".to_owned(),
                    report: lso(vec![alias]),
                },
                VariantLso {
                    variant: "patched".to_owned(),
                    report: lso(vec![]),
                },
            ],
            stress_buckets: vec![VariantBuckets {
                variant: "baseline".to_owned(),
                buckets: crate::pipeline::stress::buckets(&baseline.findings),
            }],
            stress: vec![baseline, stress("patched", vec![])],
            mcode: None,
            lso_limits: "it knows only the loop label.".to_owned(),
            attribution: Some(Attribution {
                steps: vec![
                    Step {
                        variant: "baseline".to_owned(),
                        adds: None,
                    },
                    Step {
                        variant: "patched".to_owned(),
                        adds: Some(Added {
                            patch: "0004-ARM64-fix.patch".to_owned(),
                            fixes: vec!["LuaJIT#1075".to_owned()],
                        }),
                    },
                ],
                cases: vec![CaseSteps {
                    case: "lj1075_stitch".to_owned(),
                    outcomes: vec!["fail".to_owned(), "pass".to_owned()],
                }],
                lso: vec![ClassSteps {
                    class: "offset alias".to_owned(),
                    counts: vec![810, 0],
                }],
                stress: vec![],
                closes: vec![Closes {
                    patch: "0004-ARM64-fix.patch".to_owned(),
                    cases: vec!["lj1075_stitch".to_owned()],
                    lso_classes: vec![ClassClosed {
                        class: "offset alias".to_owned(),
                        inputs: 810,
                    }],
                    stress_findings: 0,
                }],
            }),
            checks: vec![],
            timings: vec![Timing {
                step: "fetch".to_owned(),
                seconds: 0.1,
            }],
            reused: vec![crate::pipeline::cache::Reused {
                what: "baseline: the regression cases".to_owned(),
                seconds: 3.2,
            }],
            reproduce: vec![Redo {
                what: "everything".to_owned(),
                command: "cargo xtask verify".to_owned(),
            }],
            commands: vec![
                format!("cd {ROOT} && make -j2"),
                format!("cd {ROOT} && make -j2"),
            ],
            root: PathBuf::from(ROOT),
        }
    }

    /// What GitHub would show wrong in `markdown`, if anything: a table row
    /// whose cells do not match its header (GitHub pads or drops cells
    /// silently), a table that did not render, an unclosed `<details>` or
    /// code fence.
    fn github_problems(markdown: &str) -> Vec<String> {
        use pulldown_cmark::{Options, Parser, html};
        let mut problems = Vec::new();
        let mut in_fence = false;
        let mut header_cells: Option<usize> = None;
        let mut tables = 0;
        for line in markdown.lines() {
            if line.starts_with("```") {
                in_fence = !in_fence;
                continue;
            }
            if in_fence {
                continue;
            }
            if line.starts_with('|') {
                let cells = cells(line);
                match header_cells {
                    None => header_cells = Some(cells),
                    Some(width) if cells != width => {
                        problems.push(format!("{cells} cells, header has {width}: {line}"))
                    }
                    Some(_) => {}
                }
                if line.starts_with("|---") {
                    tables += 1;
                }
            } else {
                header_cells = None;
            }
        }
        if in_fence {
            problems.push("a code fence is not closed".to_owned());
        }
        let (open, close) = (
            markdown.matches("<details>").count(),
            markdown.matches("</details>").count(),
        );
        if open != close {
            problems.push(format!("{open} <details> but {close} </details>"));
        }
        let mut rendered = String::new();
        html::push_html(
            &mut rendered,
            Parser::new_ext(markdown, Options::ENABLE_TABLES),
        );
        if rendered.matches("<table>").count() != tables {
            problems.push(format!(
                "{tables} tables written, {} rendered",
                rendered.matches("<table>").count()
            ));
        }
        problems
    }

    /// Cells of a table row as GitHub splits it: at every `|` not escaped,
    /// inside code spans too.
    fn cells(line: &str) -> usize {
        let mut count = 0;
        let mut escaped = false;
        for c in line
            .trim()
            .trim_start_matches('|')
            .trim_end_matches('|')
            .chars()
        {
            match c {
                '\\' if !escaped => escaped = true,
                '|' if !escaped => count += 1,
                _ => escaped = false,
            }
        }
        count + 1
    }

    #[test]
    fn commands_differing_only_in_seeds_and_numbers_are_one_form() {
        let commands: Vec<String> = [
            "suite compare findings/program-0x47a9/shrinking/round-01",
            "suite compare findings/program-0x8b6a/shrinking/round-12",
            "suite capture tests/cases/lj1075_a.lua",
            "suite capture tests/cases/lj1075_b.lua",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            group_commands(&commands),
            [
                (
                    "suite compare findings/program-0x47a9/shrinking/round-01",
                    2
                ),
                ("suite capture tests/cases/lj1075_a.lua", 1),
                ("suite capture tests/cases/lj1075_b.lua", 1)
            ]
        );
    }

    #[test]
    fn the_checker_sees_what_github_would_break() {
        assert!(github_problems("| a | b |\n|---|---|\n| 1 | 2 |\n").is_empty());
        assert!(!github_problems("| a | b |\n|---|---|\n| 1 | 2 | 3 |\n").is_empty());
        assert!(!github_problems("| a | b |\n|---|---|\n| `x|y` | 2 |\n").is_empty());
        assert!(!github_problems("<details><summary>x</summary>\n\ntext\n").is_empty());
        assert!(!github_problems("```lua\nreturn 1\n").is_empty());
    }

    #[test]
    fn report_renders_as_github_markdown() {
        let markdown = sample(50).markdown();
        assert_eq!(github_problems(&markdown), Vec::<String>::new());
        let first_line = markdown.lines().nth(2).unwrap_or_default();
        assert_eq!(first_line, "✅ **The series is verified.**");
        assert!(markdown.contains("<details><summary>How this report was made"));
        assert_eq!(
            markdown
                .matches("<details><summary>How this report was made")
                .count(),
            1,
            "commands and reuse share one fold"
        );
        assert!(markdown.contains("make -j2   # and 1 more of this form"));
        assert!(markdown.contains("<details><summary>Counterexamples on baseline</summary>"));
        assert!(markdown.contains("second store lands at +496, expected -16"));
        assert!(
            !markdown.contains("0x5502c4bbb8"),
            "heap addresses vary by run"
        );
        assert!(!markdown.contains(ROOT), "absolute paths vary by checkout");
        // 50 findings in 2 buckets: two rows and two reproducers, not 50.
        assert_eq!(markdown.matches("<summary>Shrunk reproducer").count(), 2);
    }

    #[test]
    fn summary_fits_and_shows_the_evidence() {
        for findings in [0, 50, 500] {
            let summary = crate::pipeline::summary::render(&sample(findings));
            assert!(
                summary.chars().count() <= SUMMARY_LIMIT,
                "{findings} findings: {} characters",
                summary.chars().count()
            );
            assert_eq!(github_problems(&summary), Vec::<String>::new());
            assert!(
                summary.contains("attempt to perform arithmetic on local 'i' (a function value)")
            );
            let diff = summary
                .split("```diff\n")
                .nth(1)
                .and_then(|rest| rest.split("\n```").next())
                .expect("a diff block");
            assert!(
                diff.lines()
                    .any(|l| l.starts_with('-') && l.contains("stp"))
            );
            assert!(
                diff.lines()
                    .any(|l| l.starts_with('+') && l.contains("stur"))
            );
            for (issue, commit) in [
                ("LuaJIT/LuaJIT#1056", "0fa2f1cb"),
                ("LuaJIT/LuaJIT#1057", "7cc53f0b"),
                ("LuaJIT/LuaJIT#1075", "b8c6ccd5"),
            ] {
                let row = summary
                    .lines()
                    .find(|l| l.starts_with('|') && l.contains(issue))
                    .unwrap_or_else(|| panic!("no table row for {issue}: {summary}"));
                assert!(row.contains(commit), "{row}");
            }
            assert!(summary.contains("no capture: crash: SIGSEGV"));
            assert!(summary.contains("yaxpeax-arm 0.5.1") && summary.contains("0123abc-dirty"));
        }
    }

    #[test]
    fn a_summary_over_the_limit_gives_up_sources_first() {
        let mut report = sample(50);
        for issue in &mut report.issues {
            if let Some(case) = &mut issue.case {
                case.source = "local x = 1\n".repeat(600);
            }
        }
        let summary = crate::pipeline::summary::render(&report);
        assert!(summary.chars().count() <= SUMMARY_LIMIT);
        assert!(summary.contains("```diff"), "the diff outlasts the sources");
        assert!(!summary.contains("local x = 1\nlocal x = 1"));
    }

    #[test]
    fn report_json_has_a_version_string_seeds_and_no_checkout_paths() {
        let json = sample(3).json().unwrap();
        assert_eq!(json["schema_version"], SCHEMA_VERSION);
        let text = serde_json::to_string(&json).unwrap();
        assert!(!text.contains(ROOT), "{text}");
        assert!(!text.contains("millis"), "durations are in seconds");
        let finding = &json["stress"][0]["findings"][0];
        assert!(finding["program_seed"].as_str().unwrap().starts_with("0x"));
        assert_eq!(json["stress"][0]["plan"]["seed"], "0x1");
        assert_eq!(finding["took_seconds"], 0.04);
        assert_eq!(json["tree"]["dir"], "target/luajit/baseline/tree");
    }

    /// README.md documents every top-level field of report.json, in order,
    /// and the schema version; a field added or renamed without the README
    /// fails here.
    #[test]
    fn readme_documents_the_report_json_schema() {
        let readme = include_str!("../../../README.md");
        let section = readme
            .split("### report.json")
            .nth(1)
            .expect("README.md has a `### report.json` section")
            .split("\n#")
            .next()
            .unwrap();
        let documented: Vec<&str> = section
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let json = sample(1).json().unwrap();
        let actual: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(documented, actual);
        assert!(
            section.contains(&format!("`schema_version` is {SCHEMA_VERSION}")),
            "the README names the current schema version"
        );
    }
}
