//! The draft itself: an issue in the terms LuaJIT's tracker uses (a short
//! script, what it printed, where it ran, the machine code, the cause, the
//! range, the fix), within `MAX_CHARS`.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::super::fetch::Source;
use super::super::suite::outcome::{Outcome, Status};
use super::MAX_CHARS;

/// The fix a draft shows, when a series was given.
pub struct Fix {
    /// Whether the patched tree's JIT agrees with `-joff` on the script.
    pub agrees: bool,
    pub excerpt: Option<String>,
    /// Each patch as exported for upstream.
    pub patches: Vec<String>,
    pub paths: Vec<PathBuf>,
    pub verdict: Vec<String>,
}

pub struct Facts<'a> {
    /// Whether the JIT and `-joff` runs differ on the tree.
    pub differs: bool,
    /// What goes wrong, in the case's words (its `fails-with`).
    pub title: Option<&'a str>,
    pub script: &'a str,
    pub jit: &'a Outcome,
    pub joff: &'a Outcome,
    pub tree: &'a Source,
    pub execution: &'a str,
    pub excerpt_without_fix: Option<&'a str>,
    pub cause: Option<&'a str>,
    /// What was seen beyond this tree (another target).
    pub also: Option<&'a str>,
    pub range: Option<&'a str>,
    pub fix: Option<&'a Fix>,
}

/// How much of the draft to spell out; each level drops more so the
/// draft fits `MAX_CHARS`.
#[derive(Clone, Copy)]
struct Detail {
    patch_inline: bool,
    /// Lines of each run's output.
    output_lines: usize,
    excerpt_lines: usize,
}

pub fn render(facts: &Facts) -> String {
    let level = |patch_inline, output_lines, excerpt_lines| Detail {
        patch_inline,
        output_lines,
        excerpt_lines,
    };
    let levels = [
        level(true, 40, 40),
        level(false, 40, 40),
        level(false, 4, 40),
        level(false, 4, 14),
        level(false, 3, 6),
    ];
    let mut text = String::new();
    for detail in levels {
        text = render_at(facts, detail);
        if text.chars().count() <= MAX_CHARS {
            return text;
        }
    }
    let cut: String = text.chars().take(MAX_CHARS - 40).collect();
    format!("{cut}\n\n(cut to {MAX_CHARS} characters)\n")
}

fn render_at(facts: &Facts, detail: Detail) -> String {
    let mut out = String::new();
    outln!(out, "**{}**\n", title(facts));
    outln!(
        out,
        "The script below prints {} with the JIT and with `-joff` on {}, built for arm64 with `make HOST_CC=gcc CROSS=aarch64-linux-gnu- TARGET_SYS=Linux` and run {}.\n",
        if facts.differs {
            "different results"
        } else {
            "the same"
        },
        tree_words(facts.tree),
        run_words(facts.execution)
    );
    outln!(out, "```lua\n{}```\n", facts.script);
    let shown = |outcome: &Outcome| {
        let text = printed(outcome);
        let lines: Vec<&str> = text.lines().collect();
        match lines.len() > detail.output_lines {
            true => format!(
                "{}\n  ... ({} more lines)",
                lines[..detail.output_lines].join("\n"),
                lines.len() - detail.output_lines
            ),
            false => text,
        }
    };
    outln!(out, "With the JIT:\n```\n{}\n```", shown(facts.jit));
    outln!(out, "With `-joff`:\n```\n{}\n```\n", shown(facts.joff));
    let excerpt = facts
        .fix
        .and_then(|f| f.excerpt.as_deref())
        .or(facts.excerpt_without_fix);
    if let Some(excerpt) = excerpt {
        let lines: Vec<&str> = excerpt.lines().collect();
        let shown = lines.len().min(detail.excerpt_lines);
        outln!(out, "`-jdump=mr`:\n```");
        for line in &lines[..shown] {
            outln!(out, "{line}");
        }
        if shown < lines.len() {
            outln!(out, "  ... ({} more lines)", lines.len() - shown);
        }
        outln!(out, "```\n");
    }
    if let Some(cause) = facts.cause {
        outln!(out, "Cause: {cause}\n");
    }
    if let Some(also) = facts.also {
        outln!(out, "Also: {also}\n");
    }
    if let Some(range) = facts.range {
        outln!(out, "Regression range: {range}\n");
    }
    if let Some(fix) = facts.fix {
        match detail.patch_inline {
            true => {
                outln!(out, "A possible fix:\n");
                for patch in &fix.patches {
                    outln!(out, "```diff\n{}```\n", patch);
                }
            }
            false => {
                let names: Vec<String> = fix
                    .paths
                    .iter()
                    .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .collect();
                outln!(out, "A possible fix is attached: {}.\n", names.join(", "));
            }
        }
        outln!(out, "With the fix applied to the same tree:");
        for line in &fix.verdict {
            outln!(out, "- {line}");
        }
        outln!(out);
    }
    outln!(out, "{}", not_checked(facts));
    out
}

fn title(facts: &Facts) -> String {
    if let Some(title) = facts.title {
        return title.to_owned();
    }
    let what = match (facts.jit.status, facts.title) {
        (Status::Crash, _) => format!("JIT-compiled code crashes ({})", facts.jit.summary()),
        (Status::Timeout, _) => "JIT-compiled code hangs".to_owned(),
        (_, Some(words)) => format!("wrong result with the JIT: {words}"),
        (Status::Fail, None) => {
            "JIT-compiled code raises an error the interpreter does not".to_owned()
        }
        (Status::Pass, None) => {
            "JIT-compiled code computes another result than the interpreter".to_owned()
        }
    };
    format!("ARM64: {what}")
}

/// The tree in upstream's terms: its commit, and whose tree it is.
fn tree_words(tree: &Source) -> String {
    match (&tree.crate_version, &tree.git_commit) {
        (_, Some(commit)) => format!("LuaJIT at commit {}", &commit[..commit.len().min(12)]),
        (Some(version), None) => {
            let commit = version.split_once('+').map_or("", |(_, c)| c);
            let minor: u32 = version
                .split('.')
                .nth(1)
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            match minor >= 5 && !commit.is_empty() {
                true => format!("LuaJIT v2.1 at {commit} (as packaged in luajit-src {version})"),
                false => format!("the LuaJIT tree of luajit-src {version}"),
            }
        }
        (None, None) => tree.label.clone(),
    }
}

fn run_words(execution: &str) -> String {
    match execution
        .strip_prefix("user-mode QEMU (")
        .and_then(|s| s.strip_suffix(')'))
    {
        Some(qemu) => format!("under user-mode QEMU ({qemu}) on x86_64"),
        None => format!("natively ({execution})"),
    }
}

/// What a run printed; an error that lists several wrong results (`; `
/// between them) one a line.
fn printed(outcome: &Outcome) -> String {
    let mut text = outcome.output.trim_end().to_owned();
    if outcome.status == Status::Fail && text.len() > 160 {
        text = text.replace("; ", "\n  ");
    }
    if outcome.status != Status::Pass && !text.contains(outcome.error.as_deref().unwrap_or("\u{0}"))
    {
        if !text.is_empty() {
            text.push('\n');
        }
        let _ = write!(text, "({})", outcome.summary());
    }
    if text.is_empty() {
        text = "(nothing)".to_owned();
    }
    text
}

/// What the draft does not claim: said plainly.
fn not_checked(facts: &Facts) -> String {
    let mut points = vec!["Seen under QEMU only, not on arm64 hardware".to_owned()];
    if !facts.execution.starts_with("user-mode QEMU") {
        points = vec![format!("Seen natively ({})", facts.execution)];
    }
    if facts.range.is_none() {
        points.push("no regression range was searched".to_owned());
    }
    if facts.cause.is_none() {
        points.push("the cause was not analysed".to_owned());
    }
    format!("{}.", points.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::testing::outcome;

    fn source() -> Source {
        Source {
            label: "luajit-src 210.7.4+c6ffc14".to_owned(),
            crate_version: Some("210.7.4+c6ffc14".to_owned()),
            git_commit: None,
            dir: PathBuf::from("/nowhere"),
            tag: String::new(),
        }
    }

    fn facts<'a>(
        tree: &'a Source,
        script: &'a str,
        jit: &'a Outcome,
        joff: &'a Outcome,
        fix: Option<&'a Fix>,
    ) -> Facts<'a> {
        Facts {
            differs: true,
            title: Some("ARM64: a defect"),
            script,
            jit,
            joff,
            tree,
            execution: "user-mode QEMU (qemu-aarch64 version 7.2.22)",
            excerpt_without_fix: None,
            cause: Some("asm_foo() reads the wrong field."),
            also: None,
            range: Some("Introduced between v2.1 at e17ee83 (good) and v2.1 at 7152e15 (bad)."),
            fix,
        }
    }

    #[test]
    fn a_draft_speaks_upstream_terms_and_fits_its_size() {
        let mut jit = outcome(Status::Pass, None);
        jit.output = "255ULL\n".to_owned();
        let mut joff = outcome(Status::Pass, None);
        joff.output = "1ULL\n".to_owned();
        let tree = source();
        let text = render(&facts(&tree, "print(1)\n", &jit, &joff, None));
        assert!(text.starts_with("**ARM64: a defect**"), "{text}");
        assert!(text.contains("LuaJIT v2.1 at c6ffc14"), "{text}");
        assert!(text.contains("255ULL") && text.contains("1ULL"), "{text}");
        assert!(
            text.contains("under user-mode QEMU (qemu-aarch64 version 7.2.22) on x86_64"),
            "{text}"
        );

        // Whatever the parts weigh, the draft stays within MAX_CHARS, the
        // inline patch going first.
        let long_script = "local x = 1\n".repeat(200);
        let patch = format!(
            "Subject: [PATCH] ARM64: Fix it.\n{}",
            "+ line\n".repeat(800)
        );
        let fix = Fix {
            agrees: true,
            excerpt: Some("- 55a0  stp x1, x2, [sp]\n".repeat(100)),
            patches: vec![patch],
            paths: vec![PathBuf::from("0001-ARM64-Fix-it.patch")],
            verdict: vec!["The script prints the same.".to_owned()],
        };
        let text = render(&facts(&tree, &long_script, &jit, &joff, Some(&fix)));
        assert!(
            text.chars().count() <= MAX_CHARS,
            "{} characters",
            text.chars().count()
        );
        assert!(
            !text.contains("+ line"),
            "the patch is attached, not inline"
        );
    }
}
