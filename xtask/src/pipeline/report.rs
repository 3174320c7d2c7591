//! The evidence: a case × variant table for the terminal, and
//! target/evidence/report.md and report.json for an upstream pull request.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::expect::Expectation;
use super::fetch::Source;
use super::stress::StressReport;
use super::suite::outcome::{CaseResult, LsoReport, Outcome};

#[derive(Serialize)]
pub struct Report {
    pub verdict: Verdict,
    pub tree: Source,
    /// How the baseline and the patched variant were made from the tree.
    pub mode: String,
    pub patches: Vec<PatchInfo>,
    pub toolchain: Vec<(String, String)>,
    pub variants: Vec<VariantInfo>,
    pub cases: Vec<CaseRow>,
    /// The exhaustive emit_lso check, per variant.
    pub lso: Vec<(String, LsoReport)>,
    /// The stress runs, per variant.
    pub stress: Vec<StressReport>,
    /// The machine-code diff of the default workload.
    pub mcode: Option<crate::pipeline::mcode::McodeDiff>,
    /// The checks after each patch of the series in turn.
    pub attribution: Option<super::attribution::Attribution>,
    /// What the exhaustive check cannot see and which check covers it.
    pub lso_limits: String,
    pub checks: Vec<Expectation>,
    pub timings: Vec<(String, f64)>,
    /// Steps whose results were reused from an earlier run with the same
    /// inputs, with the time they took then.
    pub reused: Vec<super::cache::Reused>,
    /// The xtask command that redoes each part of the report on its own.
    pub reproduce: Vec<(String, String)>,
    pub commands: Vec<String>,
}

#[derive(Serialize)]
pub struct Verdict {
    pub ok: bool,
    pub summary: String,
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
    pub outcomes: Vec<(String, Outcome)>,
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
                        .map(|r| (variant.to_string(), r.outcome.clone()))
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
            .chain(first.outcomes.iter().map(|(v, _)| v.clone()))
            .collect(),
    ];
    for row in rows {
        lines.push(
            std::iter::once(row.name.clone())
                .chain(row.outcomes.iter().map(|(_, o)| o.summary()))
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
    /// Writes report.md and report.json into `dir`, each through a temporary
    /// file and a rename so an interrupted run keeps the previous report.
    pub fn write(&self, dir: &Path) -> Result<(PathBuf, PathBuf)> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let md = dir.join("report.md");
        let json = dir.join("report.json");
        write_atomically(&md, self.markdown().as_bytes())?;
        write_atomically(&json, serde_json::to_string_pretty(self)?.as_bytes())?;
        Ok((md, json))
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
            .map(|r| r.outcomes.iter().map(|(v, _)| v.as_str()).collect())
            .unwrap_or_default();
        md.push_str(&format!("| case | pins | {} |\n", variants.join(" | ")));
        md.push_str(&format!("|---|---|{}\n", "---|".repeat(variants.len())));
        for row in &self.cases {
            let cells: Vec<String> = row.outcomes.iter().map(|(_, o)| markdown_cell(o)).collect();
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
                    check.case, check.variant, check.expected, check.observed
                ));
            }
        }

        md.push_str(&self.attribution_markdown());
        md.push_str(&self.lso_markdown());
        md.push_str(&self.stress_markdown());
        md.push_str(&self.mcode_markdown());
        md.push_str("\n## What was verified\n\n");
        md.push_str("- reproduce: `cargo xtask verify` in a clone of luajit-arm64-verify; the exact steps are under *Commands run*\n");
        md.push_str(&format!("- LuaJIT tree: {}\n", self.tree.label));
        md.push_str(&format!("- variants: {}\n", self.mode));
        for (name, value) in &self.toolchain {
            md.push_str(&format!("- {name}: {value}\n"));
        }
        md.push_str(
            "\n| patch | fixes | upstream | on this tree | sha256 |\n|---|---|---|---|---|\n",
        );
        for patch in &self.patches {
            md.push_str(&format!(
                "| {} (`{}`) | {} | {} | {} | `{}` |\n",
                patch.subject,
                patch.name,
                patch.fixes.join(", "),
                patch.upstream.as_deref().unwrap_or("-"),
                patch.state,
                &patch.sha256[..16]
            ));
        }
        md.push_str("\n| step | seconds |\n|---|---|\n");
        for (step, secs) in &self.timings {
            let shown = if *secs == 0.0 {
                "up to date".to_owned()
            } else {
                format!("{secs:.1}")
            };
            md.push_str(&format!("| {step} | {shown} |\n"));
        }
        if !self.reused.is_empty() {
            md.push_str(&format!(
                "\n<details><summary>{} results reused from an earlier run with the same inputs \
                 (<code>--no-cache</code> recomputes them)</summary>\n\n| step | seconds when computed |\n|---|---|\n",
                self.reused.len()
            ));
            for reused in &self.reused {
                md.push_str(&format!("| {} | {:.1} |\n", reused.what, reused.seconds));
            }
            md.push_str("\n</details>\n");
        }
        md.push_str("\n| to redo | run |\n|---|---|\n");
        for (what, command) in &self.reproduce {
            md.push_str(&format!("| {what} | `{command}` |\n"));
        }
        md.push_str("\n<details><summary>Commands run</summary>\n\n```sh\n");
        for command in &self.commands {
            md.push_str(command);
            md.push('\n');
        }
        md.push_str("```\n\n</details>\n");
        md
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
        let variants: Vec<&str> = self.lso.iter().map(|(v, _)| v.as_str()).collect();
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
                    .map(|(_, r)| value(r))
                    .collect::<Vec<_>>()
                    .join(" | ")
            )
        };
        md.push_str(&row("inputs checked", &|r| r.cases.to_string()));
        md.push_str(&row("fused correctly", &|r| r.fused.to_string()));
        let mut classes: Vec<(String, Option<String>, &str)> = Vec::new();
        for (_, report) in &self.lso {
            for (class, kind) in report
                .defects
                .iter()
                .map(|c| (c, "defect"))
                .chain(report.hazards.iter().map(|c| (c, "hazard")))
            {
                if !classes.iter().any(|(name, _, _)| *name == class.class) {
                    classes.push((class.class.clone(), class.upstream.clone(), kind));
                }
            }
        }
        for (name, upstream, kind) in &classes {
            let label = match upstream {
                Some(issue) => format!("{kind}: {name} ({issue})"),
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
        md.push_str(&row("seconds", &|r| {
            format!("{:.1}", r.millis as f64 / 1000.0)
        }));
        for (variant, report) in &self.lso {
            let shown: Vec<_> = report
                .defects
                .iter()
                .chain(&report.hazards)
                .filter(|c| !c.examples.is_empty())
                .collect();
            if shown.is_empty() {
                continue;
            }
            md.push_str(&format!(
                "\n<details><summary>Counterexamples on {variant}</summary>\n\n"
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
        md.push_str(
            "\nA *hazard* is a result the architecture leaves CONSTRAINED UNPREDICTABLE (an LDP whose two destinations are \
             equal). It arises only when the first of two loads into one register is dead; whether any caller in LuaJIT \
             emits such a pair is not established here, so it is shown apart from the defects.\n",
        );
        md
    }
}

impl Report {
    fn attribution_markdown(&self) -> String {
        let Some(a) = &self.attribution else {
            return String::new();
        };
        let mut md = String::from("\n## What each patch closes\n\n");
        for (patch, closed) in &a.closes {
            let what = if closed.is_empty() {
                "nothing the checks see".to_owned()
            } else {
                closed.join(", ")
            };
            md.push_str(&format!("- `{patch}` closes {what}\n"));
        }
        let headers: Vec<String> = a
            .steps
            .iter()
            .map(|s| match &s.adds {
                None => s.variant.clone(),
                Some((patch, fixes)) => format!(
                    "{} (+{}{})",
                    s.variant,
                    patch.split('-').next().unwrap_or(patch),
                    if fixes.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", fixes.join(", "))
                    }
                ),
            })
            .collect();
        md.push_str(&format!(
            "\n| check | {} |\n|---|{}\n",
            headers.join(" | "),
            "---|".repeat(headers.len())
        ));
        for (case, cells) in &a.cases {
            md.push_str(&format!("| case `{case}` | {} |\n", cells.join(" | ")));
        }
        for (class, counts) in &a.lso {
            let cells: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
            md.push_str(&format!("| emit_lso: {class} | {} |\n", cells.join(" | ")));
        }
        for (finding, differs) in &a.stress {
            let cells: Vec<&str> = differs
                .iter()
                .map(|d| if *d { "differs" } else { "agrees" })
                .collect();
            md.push_str(&format!("| {finding} | {} |\n", cells.join(" | ")));
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
        md.push_str(&format!(
            "\n<details><summary>The diff</summary>\n\n```diff\n{}\n```\n\n</details>\n",
            diff.text.trim_end()
        ));
        md
    }

    fn stress_markdown(&self) -> String {
        let mut md = String::from("\n## Stress: the JIT against the interpreter\n\n");
        md.push_str(
            "Seeded programs that put loop variables and call slots on every stack slot up to about 130, stitch, \
             tail-call and access memory through the FFI near the fusion hazards; each runs with the JIT on and off \
             in the same build, and any difference is a finding, shrunk to a small reproducer and traced to the \
             patch that fixes it.\n\n| variant | seed | programs | traces | findings | seconds |\n|---|---|---|---|---|---|\n",
        );
        for report in &self.stress {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {:.1} |\n",
                report.variant,
                report.plan.seed,
                report.programs,
                report.traces,
                report.findings.len(),
                report.seconds
            ));
        }
        md.push_str(&reach_markdown(&self.stress));
        for report in self.stress.iter().filter(|r| !r.findings.is_empty()) {
            md.push_str(&format!(
                "\nFindings on {}:\n\n| program seed | difference | fixed by |\n|---|---|---|\n",
                report.variant
            ));
            for finding in &report.findings {
                let fixed = match finding.attribution.as_ref() {
                    Some(a) => a.fixed_by.as_ref().map_or("not fixed".to_owned(), |p| {
                        format!("`{p}` ({})", a.fixes.join(", "))
                    }),
                    None => "-".to_owned(),
                };
                md.push_str(&format!(
                    "| `{:#x}` | {} | {fixed} |\n",
                    finding.program_seed,
                    finding.difference.replace('|', "\\|").replace('\t', " ")
                ));
            }
            for finding in &report.findings {
                if let Some(shrunk) = &finding.shrunk {
                    md.push_str(&format!(
                        "\n<details><summary>Reproducer for {:#x} ({} lines): {}</summary>\n\n```lua\n{}```\n\n</details>\n",
                        finding.program_seed,
                        shrunk.lines,
                        shrunk.difference.replace('\t', " "),
                        shrunk.source
                    ));
                }
            }
        }
        md
    }
}

fn markdown_cell(outcome: &Outcome) -> String {
    outcome.summary().replace('|', "\\|").replace('\n', " ")
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
    use crate::pipeline::attribution::{Attribution, Step};
    use crate::pipeline::stress::{Finding, Shrunk};
    use crate::pipeline::suite::outcome::{LsoClass, Status};

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
            millis: 25_000,
        }
    }

    /// A report shaped like a real one, with the awkward characters real
    /// results contain (pipes, tabs, backticks in error messages).
    fn sample() -> Report {
        let alias = LsoClass {
            class: "offset alias".to_owned(),
            upstream: Some("LuaJIT#1075".to_owned()),
            count: 810,
            examples: vec!["str x30, [x19, #488] ; stur x0, [x19, #-16]  ->  stp x30, x0, [x19, #488]  (second store lands at +496, expected -16)".to_owned()],
        };
        let finding = Finding {
            index: 7,
            program_seed: 0x47a9,
            kind: "mismatch".to_owned(),
            difference: "with the JIT it returns 1\t0, without it 2\t0 | odd".to_owned(),
            jit_settings: vec!["hotloop=1".to_owned()],
            dir: PathBuf::from("target/stress/x"),
            took_millis: 40,
            shrunk: Some(Shrunk {
                path: PathBuf::from("shrunk.lua"),
                lines: 3,
                difference: "differs".to_owned(),
                source: "local x = 1\nreturn x\n".to_owned(),
            }),
            attribution: None,
        };
        let stress = |variant: &str, findings: Vec<Finding>| StressReport {
            variant: variant.to_owned(),
            programs_dir: PathBuf::from("target/stress/programs"),
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
        };
        Report {
            verdict: Verdict {
                ok: true,
                summary: "The series is verified.".to_owned(),
            },
            tree: Source {
                label: "luajit-src 210.4.8".to_owned(),
                crate_version: None,
                git_commit: None,
                dir: PathBuf::from("/x"),
                tag: String::new(),
            },
            mode: "baseline as published".to_owned(),
            patches: vec![PatchInfo {
                name: "0001-a.patch".to_owned(),
                subject: "ARM64: Fix it.".to_owned(),
                sha256: "ab".repeat(32),
                fixes: vec!["LuaJIT#1056".to_owned()],
                upstream: Some("0fa2f1cb".to_owned()),
                state: "applied".to_owned(),
            }],
            toolchain: vec![("host".to_owned(), "x86_64-linux".to_owned())],
            variants: vec![],
            cases: vec![CaseRow {
                name: "lj1075_stitch".to_owned(),
                pins: vec!["LuaJIT#1075".to_owned()],
                outcomes: vec![
                    (
                        "baseline".to_owned(),
                        outcome(
                            Status::Fail,
                            Some(
                                "x.lua:1: attempt to perform arithmetic on local 'i' (a function value) | `q`",
                            ),
                        ),
                    ),
                    ("patched".to_owned(), outcome(Status::Pass, None)),
                ],
            }],
            lso: vec![
                ("baseline".to_owned(), lso(vec![alias])),
                ("patched".to_owned(), lso(vec![])),
            ],
            stress: vec![stress("baseline", vec![finding]), stress("patched", vec![])],
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
                        adds: Some(("0001-a.patch".to_owned(), vec!["LuaJIT#1056".to_owned()])),
                    },
                ],
                cases: vec![(
                    "lj1075_stitch".to_owned(),
                    vec!["fail".to_owned(), "pass".to_owned()],
                )],
                lso: vec![("offset alias".to_owned(), vec![810, 0])],
                stress: vec![],
                closes: vec![(
                    "0001-a.patch".to_owned(),
                    vec!["case lj1075_stitch".to_owned()],
                )],
            }),
            checks: vec![],
            timings: vec![("fetch".to_owned(), 0.1)],
            reused: vec![crate::pipeline::cache::Reused {
                what: "baseline: the regression cases".to_owned(),
                seconds: 3.2,
            }],
            reproduce: vec![("everything".to_owned(), "cargo xtask verify".to_owned())],
            commands: vec!["cargo xtask verify".to_owned()],
        }
    }

    /// Renders the report as GitHub does (CommonMark with tables) and checks
    /// what a reader sees: the verdict first, every table intact, the long
    /// parts folded away.
    #[test]
    fn report_renders_as_github_markdown() {
        use pulldown_cmark::{Options, Parser, html};
        let markdown = sample().markdown();
        let mut rendered = String::new();
        html::push_html(
            &mut rendered,
            Parser::new_ext(&markdown, Options::ENABLE_TABLES),
        );

        let first_paragraph = rendered.find("<p>").expect("a verdict paragraph");
        assert!(
            first_paragraph < rendered.find("<table>").unwrap(),
            "the verdict comes before any table"
        );
        assert!(
            rendered[first_paragraph..]
                .starts_with("<p>✅ <strong>The series is verified.</strong></p>"),
            "{rendered}"
        );

        // Every markdown table became an HTML table whose rows all have the header's width.
        let tables = markdown.lines().filter(|l| l.starts_with("|---")).count();
        assert_eq!(rendered.matches("<table>").count(), tables);
        for table in rendered.split("<table>").skip(1) {
            let table = &table[..table.find("</table>").unwrap()];
            let width = table
                .split("</tr>")
                .next()
                .unwrap()
                .matches("</th>")
                .count();
            for row in table.split("<tr>").skip(2) {
                assert_eq!(
                    row.matches("</td>").count(),
                    width,
                    "a row lost or gained a cell: {row}"
                );
            }
        }
        assert!(
            rendered.contains("a function value) | `q`")
                || rendered.contains("a function value) | <code>q</code>"),
            "pipes in cells are escaped: {rendered}"
        );
        assert!(rendered.contains("<details><summary>Commands run</summary>"));
        assert!(rendered.contains("<details><summary>Counterexamples on baseline</summary>"));
        assert!(rendered.contains("<details><summary>Reproducer for 0x47a9"));
        assert!(rendered.contains("second store lands at +496, expected -16"));
    }
}
