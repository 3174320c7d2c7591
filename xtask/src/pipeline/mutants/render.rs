//! A run of generated mutants as text (the terminal), as Markdown (the
//! survivors' list, a job summary) and as the files of its folder.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::campaign::{Campaign, Row};
use super::gaps::Rejudged;
use super::judge::Verdict;
use super::triage::Kind;

/// The whole report: what was generated, dropped and left out, the score
/// with its interval, every survivor and the time taken.
pub fn text(run: &Campaign, files_dir: Option<&std::path::Path>) -> String {
    let mut out = String::new();
    outln!(
        out,
        "generated mutants of {}, by {} (seed {}, sample {}, shards {}):",
        run.base,
        run.tool,
        run.seed,
        run.sample,
        run.shards.join(" ")
    );
    if run.partial() {
        outln!(
            out,
            "  partial: {} of the sample's {} mutants, in the shards given; the score is theirs",
            run.rows.len(),
            run.tce.kept.min(run.sample)
        );
    }
    let generated: usize = run.generated.values().sum();
    let by_file: Vec<String> = run
        .generated
        .iter()
        .map(|(file, n)| format!("{file} {n}"))
        .collect();
    outln!(out, "  generated: {generated} ({})", by_file.join(", "));
    let tce = &run.tce;
    outln!(
        out,
        "  drawn in the seed's order: {} examined, {} dropped as TCE-equivalent (lj_asm.o byte-identical), {} did not compile, {} kept{}",
        tce.examined,
        tce.equivalent,
        tce.does_not_compile,
        tce.kept,
        if tce.kept < run.sample {
            " (every mutant examined)"
        } else {
            ""
        }
    );
    outln!(
        out,
        "  left out by triage (tests/mutants_triage.txt): {} equivalent, {} unreachable",
        run.left_out(Kind::Equivalent),
        run.left_out(Kind::Unreachable)
    );
    if !run.base_failures.is_empty() {
        outln!(
            out,
            "  not counted, they fail on the unmutated tree: {}",
            run.base_failures.join(", ")
        );
    }
    let unjudged: Vec<&Row> = run.unjudged().collect();
    if !unjudged.is_empty() {
        outln!(
            out,
            "  COULD NOT JUDGE {} (left out of the score):",
            unjudged.len()
        );
        for row in unjudged {
            outln!(
                out,
                "    {}: {}",
                row.edit.place(),
                row.error.as_deref().unwrap_or_default()
            );
        }
    }
    outln!(out, "  {}", score_line(run));
    let survivors: Vec<&Row> = run.survivors().collect();
    let untriaged = survivors.iter().filter(|r| r.triage.is_none()).count();
    outln!(
        out,
        "  survivors: {} ({untriaged} untriaged){}",
        survivors.len(),
        files_dir.map_or(String::new(), |dir| format!(
            "; listed in {}/survivors.md and survivors.json",
            dir.display()
        ))
    );
    for row in &survivors {
        outln!(out, "    {}", heading(row));
        for line in row.diff().lines() {
            outln!(out, "      {line}");
        }
    }
    outln!(out, "  {}", timing_line(run));
    out
}

/// `score: K of N killed (P%), 95% Wilson interval L%-H%`.
pub fn score_line(run: &Campaign) -> String {
    let score = run.score();
    let (low, high) = score.interval_95();
    format!(
        "score: {} of {} killed ({:.1}%), 95% Wilson interval {:.1}%-{:.1}%",
        score.killed,
        score.counted,
        100.0 * score.ratio(),
        100.0 * low,
        100.0 * high
    )
}

/// Where a survivor is and what triage says of it.
fn heading(row: &Row) -> String {
    let triage = match &row.triage {
        Some(t) => match &t.script {
            Some(script) => format!("{}: {} (killed by {script})", t.kind.name(), t.reason),
            None => format!("{}: {}", t.kind.name(), t.reason),
        },
        None => "untriaged".to_owned(),
    };
    format!(
        "{} in {} [{triage}]",
        row.edit.place(),
        row.function.as_deref().unwrap_or("file scope")
    )
}

/// The time of each part of the run, and per judged mutant.
pub fn timing_line(run: &Campaign) -> String {
    let t = &run.timing;
    let judged: Vec<_> = run.rows.iter().filter_map(|r| r.verdict.as_ref()).collect();
    let mean = |f: &dyn Fn(&&super::judge::Verdict) -> f64, of: &[&super::judge::Verdict]| {
        if of.is_empty() {
            0.0
        } else {
            of.iter().map(f).sum::<f64>() / of.len() as f64
        }
    };
    let killed: Vec<_> = judged
        .iter()
        .copied()
        .filter(|v| v.killed_by.is_some())
        .collect();
    let survived: Vec<_> = judged
        .iter()
        .copied()
        .filter(|v| v.killed_by.is_none())
        .collect();
    format!(
        "time: {:.0} s in all: base {:.0} s, generating {:.0} s, compiler equivalence {:.0} s ({} mutants; compiling them took {:.0} s, {:.1} s each), judging {:.0} s ({} mutants; each, on average, build {:.0} s, cases {:.0} s, stress {:.0} s; a killed one {:.0} s, a survivor {:.0} s; times of cached verdicts are those of their first run)",
        t.total_seconds,
        t.base_seconds,
        t.generate_seconds,
        t.tce_seconds,
        run.tce.examined,
        t.tce_compile_seconds,
        t.tce_compile_seconds / run.tce.examined.max(1) as f64,
        t.judge_seconds,
        judged.len(),
        mean(&|v| v.build_seconds, &judged),
        mean(&|v| v.cases_seconds, &judged),
        mean(&|v| v.stress_seconds, &judged),
        mean(&|v| v.seconds, &killed),
        mean(&|v| v.seconds, &survived),
    )
}

/// The survivors' list: each with its place, function, triage and diff.
pub fn survivors_markdown(run: &Campaign) -> String {
    let mut out = String::new();
    outln!(out, "# Surviving mutants, seed {}", run.seed);
    outln!(out);
    outln!(
        out,
        "Generated by {} from {}; sample {} (shards {}). {}.",
        run.tool,
        run.base,
        run.sample,
        run.shards.join(" "),
        score_line(run)
    );
    outln!(out);
    let survivors: Vec<&Row> = run.survivors().collect();
    if survivors.is_empty() {
        outln!(out, "No mutant of the sample survived.");
    }
    for row in survivors {
        outln!(out, "## {}", heading(row));
        outln!(out);
        outln!(out, "```diff");
        outln!(out, "{}", row.diff());
        outln!(out, "```");
        outln!(out);
        if let Some(verdict) = &row.verdict {
            outln!(
                out,
                "The cases and {} stress programs ran ({:.0} s).",
                verdict.programs,
                verdict.seconds
            );
            outln!(out);
        }
    }
    out
}

/// Writes `mutants.json` (the run), `survivors.json` and `survivors.md`
/// into the run's folder; returns the folder.
pub fn write(campaign: &Campaign, target_dir: &Path) -> Result<PathBuf> {
    let dir = campaign.dir(target_dir);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let survivors: Vec<&Row> = campaign.survivors().collect();
    for (name, text) in [
        ("mutants.json", serde_json::to_string_pretty(campaign)?),
        ("survivors.json", serde_json::to_string_pretty(&survivors)?),
        ("survivors.md", survivors_markdown(campaign)),
    ] {
        let path = dir.join(name);
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(dir)
}

/// The triage's gaps judged again: each one killed (by what) or not, and
/// how many today's cases and stress run close.
pub fn gaps_text(gaps: &[Rejudged]) -> String {
    let mut out = String::new();
    let verdicts: Vec<&Verdict> = gaps.iter().filter_map(|g| g.verdict.as_ref()).collect();
    let closed = verdicts.iter().filter(|v| v.killed_by.is_some()).count();
    let by_stress = verdicts.iter().filter(|v| v.killed_by_stress()).count();
    outln!(
        out,
        "the triage's gaps judged again by today's cases and default stress run: {closed} of {} killed ({} by a case, {by_stress} by a stress program), {} still survive",
        verdicts.len(),
        closed - by_stress,
        verdicts.len() - closed
    );
    for gap in gaps {
        let outcome = match (&gap.verdict, &gap.error) {
            (Some(verdict), _) => match &verdict.killed_by {
                Some(by) => format!("killed by {by}"),
                None => format!("survives {} programs", verdict.programs),
            },
            (None, Some(error)) => format!("NOT JUDGED: {error}"),
            (None, None) => "NOT JUDGED".to_owned(),
        };
        let line = gap
            .edit
            .as_ref()
            .map_or(String::new(), |e| format!(" line {}", e.line));
        outln!(out, "  {}{line}: {outcome}", gap.name());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::mutants::campaign::tests::{campaign, row};
    use crate::pipeline::mutants::triage::Entry;

    #[test]
    fn rejudged_gaps_are_counted_by_what_killed_them() {
        let gap = |function: &str, killed_by: Option<&str>, error: Option<&str>| Rejudged {
            entry: Entry {
                kind: Kind::Gap,
                reason: "r".to_owned(),
                file: "src/lj_asm_arm64.h".to_owned(),
                function: Some(function.to_owned()),
                original: "a".to_owned(),
                replacement: "b".to_owned(),
                script: Some(format!("tests/mutants/gaps/{function}.lua")),
                occurrence: None,
            },
            edit: None,
            verdict: error.is_none().then(|| Verdict {
                killed_by: killed_by.map(str::to_owned),
                programs: 300,
                seconds: 1.0,
                build_seconds: 0.0,
                cases_seconds: 0.0,
                stress_seconds: 1.0,
            }),
            error: error.map(str::to_owned),
        };
        let text = gaps_text(&[
            gap(
                "asm_href",
                Some("stress program-00007 (seed 0x7): wrong result: x"),
                None,
            ),
            gap("asm_hrefk", Some("case c: failed"), None),
            gap("asm_retf", None, None),
            gap("asm_uref", None, Some("does not build")),
        ]);
        assert!(
            text.starts_with("the triage's gaps judged again by today's cases and default stress run: 2 of 3 killed (1 by a case, 1 by a stress program), 1 still survive\n"),
            "{text}"
        );
        assert!(
            text.contains("  asm_retf (tests/mutants/gaps/asm_retf.lua): survives 300 programs\n")
        );
        assert!(text.contains(
            "  asm_uref (tests/mutants/gaps/asm_uref.lua): NOT JUDGED: does not build\n"
        ));
    }

    #[test]
    fn the_report_names_every_survivor_with_its_function_and_diff() {
        let run = campaign(
            "1/1",
            vec![
                row(0, Some(true), None),
                row(1, Some(false), None),
                row(2, None, Some(Kind::Equivalent)),
            ],
            3,
        );
        let text = text(&run, Some(std::path::Path::new("target/mutants/1")));
        assert!(
            text.contains("score: 1 of 2 killed (50.0%), 95% Wilson interval 9.5%-90.5%"),
            "{text}"
        );
        assert!(text.contains("3 dropped as TCE-equivalent"), "{text}");
        assert!(text.contains("2 did not compile"), "{text}");
        assert!(text.contains("1 equivalent, 0 unreachable"), "{text}");
        assert!(
            text.contains("src/lj_asm_arm64.h:11 in asm_x [untriaged]"),
            "{text}"
        );
        assert!(text.contains("-  a == b;\n      +  a <= b;"), "{text}");
        assert!(text.contains("target/mutants/1/survivors.md"), "{text}");
        let markdown = survivors_markdown(&run);
        assert!(
            markdown.contains("## src/lj_asm_arm64.h:11 in asm_x [untriaged]"),
            "{markdown}"
        );
        assert!(
            markdown.contains("```diff\n-  a == b;\n+  a <= b;\n```"),
            "{markdown}"
        );
        assert!(
            !markdown.contains(":10 "),
            "a killed mutant is no survivor: {markdown}"
        );
    }
}
