use super::markdown::group_commands;
use super::table::VariantOutcome;
use super::*;
use crate::pipeline::attribution::{
    Added, Attribution, CaseSteps, ClassClosed, ClassSteps, Closes, Step,
};
use crate::pipeline::evidence::ShownCase;
use crate::pipeline::stress::{Finding, Shrunk, StepOutcome};
use crate::pipeline::suite::outcome::{LsoClass, Status};
use crate::pipeline::summary::SUMMARY_LIMIT;
use crate::pipeline::testing;

const ROOT: &str = "/work/checkout";

fn outcome(status: Status, error: Option<&str>) -> Outcome {
    Outcome {
        millis: 5,
        ..testing::outcome(status, error)
    }
}

fn lso(defects: Vec<LsoClass>) -> LsoReport {
    LsoReport {
        cases: 1_497_961_080,
        fused: 3584,
        millis: 25_000,
        ..testing::lso_report(defects)
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
    let patch = if index.is_multiple_of(3) {
        "0002"
    } else {
        "0004"
    };
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
            families: Vec::new(),
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
        issues: sample_issues(kong),
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
        cases: sample_cases(kong),
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
        attribution: Some(sample_attribution()),
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

/// The sample's one case, failing on the baseline with Kong's error.
fn sample_cases(kong: &str) -> Vec<CaseRow> {
    vec![CaseRow {
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
    }]
}

/// The sample's evidence for two issues, one with a machine-code diff.
fn sample_issues(kong: &str) -> Vec<IssueEvidence> {
    vec![
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
    ]
}

/// The sample's attribution: one patch closes a case and a defect class.
fn sample_attribution() -> Attribution {
    Attribution {
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
        assert!(summary.contains("attempt to perform arithmetic on local 'i' (a function value)"));
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

/// docs/report.md documents every top-level field of report.json, in
/// order, and the schema version; a field added or renamed without the
/// documentation fails here.
#[test]
fn docs_document_the_report_json_schema() {
    let doc = include_str!("../../../../docs/report.md");
    let section = doc
        .split("\n## report.json\n")
        .nth(1)
        .expect("docs/report.md has a `## report.json` section")
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
        "docs/report.md names the current schema version"
    );
}

#[test]
fn report_names_each_emit_lso_class_by_what_the_series_did_to_it() {
    let mut report = sample(0);
    let fixed = "- fixed (on the baseline only): offset alias (LuaJIT#1075): 810 inputs\n";
    assert!(report.markdown().contains(fixed), "{}", report.markdown());
    let baseline = report.lso[0].report.clone();
    report.lso[1].report = baseline;
    let left =
        "- pre-existing (the same inputs on both trees): offset alias (LuaJIT#1075): 810 inputs\n";
    assert!(report.markdown().contains(left), "{}", report.markdown());
}
