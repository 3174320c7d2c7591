//! report.md: the verdict, the per-issue evidence and a section per check
//! (the exhaustive emit_lso check, the attribution, the machine-code diff,
//! stress), then how the report was made.

use super::*;
use crate::pipeline::lso::ClassChange;

impl Report {
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let mark = if self.verdict.ok { "✅" } else { "❌" };
        md.push_str(&format!(
            "# LuaJIT ARM64 patch verification\n\n{mark} **{}**\n\n",
            self.verdict.summary
        ));

        md.push_str(&self.cases_markdown());
        md.push_str(&self.attribution_markdown());
        md.push_str(&self.lso_markdown());
        md.push_str(&self.stress_markdown());
        md.push_str(&self.mcode_markdown());
        md.push_str(&self.verified_markdown());
        md.push_str(&self.provenance_markdown());
        self.relative(&md)
    }

    /// The case × variant table and the expectations that did not hold.
    fn cases_markdown(&self) -> String {
        let mut md = String::new();
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
        md
    }

    /// What was verified: the tree, the toolchain, the patches, the steps'
    /// times and the commands that redo each part.
    fn verified_markdown(&self) -> String {
        let mut md = String::new();
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
                    .map(|f| crate::pipeline::evidence::github_issue(f))
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
        md
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
pub(super) fn group_commands(commands: &[String]) -> Vec<(&str, usize)> {
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
        md.push_str(&self.lso_table());
        md.push_str(&self.lso_changes());
        md.push_str(&self.lso_counterexamples());
        md.push_str(&self.lso_hazard_note());
        md
    }

    /// The check's figures, a column per variant, a row per class.
    fn lso_table(&self) -> String {
        let mut md = String::new();
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
                Some(issue) => format!(
                    "{kind}: {name} ({})",
                    crate::pipeline::evidence::github_issue(issue)
                ),
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
        md
    }

    /// The defect classes by what the series did to them, as the verdict
    /// tells them: fixed, pre-existing (the same inputs on both trees),
    /// introduced (added, or with other inputs than the baseline's).
    fn lso_changes(&self) -> String {
        let [baseline, patched] = &self.lso[..] else {
            return String::new();
        };
        let changes = crate::pipeline::lso::class_changes(&baseline.report, &patched.report);
        let mut md = String::new();
        for (change, label) in [
            (ClassChange::Fixed, "fixed (on the baseline only)"),
            (
                ClassChange::PreExisting,
                "pre-existing (the same inputs on both trees)",
            ),
            (
                ClassChange::Introduced,
                "introduced (added by the series, or with other inputs than on the baseline)",
            ),
        ] {
            let classes: Vec<String> = changes
                .iter()
                .filter(|(_, c)| *c == change)
                .map(|(class, _)| crate::pipeline::lso::class_phrase(class, &baseline.report))
                .collect();
            if !classes.is_empty() {
                md.push_str(&format!("- {label}: {}\n", classes.join("; ")));
            }
        }
        if md.is_empty() {
            return md;
        }
        format!("\nDefect classes against the baseline:\n\n{md}")
    }

    /// Each variant's counterexamples, in a fold.
    fn lso_counterexamples(&self) -> String {
        let mut md = String::new();
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
        md
    }

    /// What a hazard is, and how often the captured traces hold one.
    fn lso_hazard_note(&self) -> String {
        let mut md = String::new();
        let traces = self.mcode.as_ref().map(|m| &m.totals);
        md.push_str(&format!(
            "\nA *hazard* is a result the architecture leaves CONSTRAINED UNPREDICTABLE: an LDP whose two destinations \
             are equal (a real core may return either value, raise UNDEF or do nothing; QEMU picks one behaviour). \
             `emit_lso` makes one only from two loads into one register, the first of them dead. {}\n",
            match traces {
                Some(t) => format!(
                    "Measured in captured traces: {}.",
                    t.equal_ldps(" such LDPs")
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
             {}.\n",
            t.equal_ldps("")
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
                md.push_str(&bucket_row(report, bucket));
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
            inline(&crate::pipeline::without_heap_addresses(&script.baseline)),
            inline(&crate::pipeline::without_heap_addresses(&script.patched))
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
    crate::pipeline::without_heap_addresses(text)
        .replace('|', "\\|")
        .replace(['\n', '\t'], " ")
}

/// Short text as inline code.
fn inline(text: &str) -> String {
    format!("`{}`", text.replace('`', "'").replace('\n', " "))
}

/// One bucket's row: its signature, findings, seeds, patch and outcomes.
fn bucket_row(report: &StressReport, bucket: &Bucket) -> String {
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
    format!(
        "| `{}` | {} | {seeds} | {fixed} | {original} | {shrunk} |\n",
        cell(&bucket.signature),
        bucket.findings.len()
    )
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
    for (opcode, why) in crate::pipeline::stress::reach::UNREACHABLE {
        if first.reach.iter().any(|r| r.opcode == opcode) {
            md.push_str(&format!("\n`{opcode}` is not expected: {why}.\n"));
        }
    }
    md
}
