//! The triage's gaps held to their word: every `gap` entry of
//! `tests/mutants_triage.txt` names a script, and that script must kill its
//! mutant (its JIT run differs from its interpreted run on the mutant) while
//! the base runs it the same both ways. A gap whose script stops killing
//! (the tree moved, the script was edited) is a gap no longer shown.
//!
//! And the gaps judged again (`rejudge`): each gap's mutant meets today's
//! cases and default stress run, as a sampled mutant would. A gap they now
//! kill is one the generator or a case has closed since its triage.

use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result, bail};

use serde::Serialize;

use super::Edit;
use super::function;
use super::judge::{self, Base, Verdict};
use super::triage::{Entry, Kind};
use crate::pipeline::Context;
use crate::pipeline::stress;

/// The mutant an entry is about, as an edit of the base: the one line of
/// its file in its function whose text is the entry's `-` line (blanks at
/// either end ignored), or the K-th of N such lines when the entry says
/// `(K of N)`.
pub fn locate(entry: &Entry, source: &str) -> Result<Edit> {
    let places: Vec<(usize, &str)> = source
        .lines()
        .enumerate()
        .map(|(index, text)| (index + 1, text))
        .filter(|(line, text)| {
            text.trim() == entry.original.trim()
                && function::enclosing(source, *line).as_deref() == entry.function.as_deref()
        })
        .collect();
    let place = |function: &Option<String>| function.as_deref().unwrap_or("file scope").to_owned();
    let (line, text) = match (entry.occurrence, places.as_slice()) {
        (Some((k, n)), _) if places.len() == n => places[k - 1],
        (Some((_, n)), _) => bail!(
            "{} has the line `{}` {} times in {}, not the {n} its entry counts: the entry no longer matches the base",
            entry.file,
            entry.original.trim(),
            places.len(),
            place(&entry.function)
        ),
        (None, [one]) => *one,
        (None, []) => bail!(
            "{} has no line `{}` in {}: the entry no longer matches the base",
            entry.file,
            entry.original.trim(),
            place(&entry.function)
        ),
        (None, _) => bail!(
            "{} has the line `{}` {} times in {}: say which in the entry's `@` line, `(K of N)` after the function",
            entry.file,
            entry.original.trim(),
            places.len(),
            place(&entry.function)
        ),
    };
    Ok(Edit {
        file: entry.file.clone(),
        line,
        original: text.to_owned(),
        replacement: entry.replacement.clone(),
    })
}

/// What a gap's script did: how its JIT run differed from its interpreted
/// run on the base and on the mutant (None: they agreed).
pub struct ScriptRun {
    pub base: Option<String>,
    pub mutant: Option<String>,
}

impl ScriptRun {
    /// Whether the script kills the mutant: it differs there and not on the base.
    pub fn kills(&self) -> bool {
        self.base.is_none() && self.mutant.is_some()
    }
}

/// Runs `script` with the JIT on and off on the base and on the mutant of
/// `entry` (built here).
pub fn run(cx: &mut Context, base: &Base, entry: &Entry, script: &Path) -> Result<ScriptRun> {
    let edit = locate(entry, &base.source(&entry.file)?)?;
    let stem = script
        .file_stem()
        .and_then(|s| s.to_str())
        .with_context(|| format!("{} has no file name", script.display()))?
        .to_owned();
    let mutant = judge::build_mutant(cx, base, &format!("gap {stem}"), &edit)?;
    let dir = mutant.scratch.path().join("script");
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    fs::copy(script, dir.join(format!("{stem}.lua")))
        .with_context(|| format!("cannot copy {}", script.display()))?;
    let difference = |cx: &mut Context, suite: &Path| -> Result<Option<String>> {
        let comparisons = stress::compare_with_second_tries(cx, suite, &dir)?;
        let [comparison] = comparisons.as_slice() else {
            bail!("the suite compared {} scripts, not one", comparisons.len());
        };
        Ok(comparison.difference())
    };
    Ok(ScriptRun {
        base: difference(cx, &base.suite)?,
        mutant: difference(cx, &mutant.suite)?,
    })
}

/// A gap of the triage judged again by today's cases and default stress
/// run: killed now, survived again, or not judged (with why).
#[derive(Debug, Serialize)]
pub struct Rejudged {
    pub entry: Entry,
    pub edit: Option<Edit>,
    pub verdict: Option<Verdict>,
    pub error: Option<String>,
}

impl Rejudged {
    /// How a person names it: the function and the script of the gap.
    pub fn name(&self) -> String {
        format!(
            "{} ({})",
            self.entry.function.as_deref().unwrap_or("file scope"),
            self.entry.script.as_deref().unwrap_or("no script")
        )
    }
}

/// Judges the mutant of every gap entry with the cases and the default
/// stress run (verdicts cached like a campaign's, keyed by the generator),
/// printing each as it goes. One that cannot be judged is reported and
/// does not stop the others.
pub fn rejudge(cx: &mut Context, entries: &[Entry]) -> Result<Vec<Rejudged>> {
    let base = judge::base(cx)?;
    let gaps: Vec<&Entry> = entries.iter().filter(|e| e.kind == Kind::Gap).collect();
    let mut out = Vec::new();
    for (done, entry) in gaps.iter().enumerate() {
        let mut rejudged = Rejudged {
            entry: (*entry).clone(),
            edit: None,
            verdict: None,
            error: None,
        };
        let name = rejudged.name();
        eprintln!("==> gap {}/{}: {name}", done + 1, gaps.len());
        let judged = base
            .source(&entry.file)
            .and_then(|source| locate(entry, &source))
            .and_then(|edit| {
                rejudged.edit = Some(edit.clone());
                judge::cached_verdict(cx, &base, &name, &edit)
            });
        match judged {
            Ok(verdict) => {
                eprintln!("    {}", verdict.summary());
                rejudged.verdict = Some(verdict);
            }
            Err(failure) => {
                eprintln!("    COULD NOT JUDGE: {failure:#}");
                rejudged.error = Some(format!("{failure:#}"));
            }
        }
        out.push(rejudged);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::mutants::triage::Kind;

    fn entry(function: Option<&str>, original: &str) -> Entry {
        Entry {
            kind: Kind::Gap,
            reason: "r".to_owned(),
            file: "src/lj_asm_arm64.h".to_owned(),
            function: function.map(str::to_owned),
            original: original.to_owned(),
            replacement: "  x = 2;".to_owned(),
            script: Some("tests/mutants/gaps/x.lua".to_owned()),
            occurrence: None,
        }
    }

    const SOURCE: &str = "\
static void asm_a(ASMState *as)
{
  x = 1;
}

static void asm_b(ASMState *as)
{
  x = 1;
  y = 1;
  y = 1;
}
";

    #[test]
    fn an_entry_is_found_by_its_text_inside_its_function() {
        let edit = locate(&entry(Some("asm_b"), "x = 1;"), SOURCE).unwrap();
        assert_eq!((edit.line, edit.original.as_str()), (8, "  x = 1;"));
        assert_eq!(edit.replacement, "  x = 2;");
        let edit = locate(&entry(Some("asm_a"), "  x = 1;  "), SOURCE).unwrap();
        assert_eq!(edit.line, 3);
    }

    #[test]
    fn an_entry_that_matches_no_line_or_two_is_an_error() {
        let none = locate(&entry(Some("asm_c"), "x = 1;"), SOURCE).unwrap_err();
        assert!(none.to_string().contains("no longer matches"), "{none}");
        let two = locate(&entry(Some("asm_b"), "y = 1;"), SOURCE).unwrap_err();
        assert!(two.to_string().contains("2 times"), "{two}");
    }

    #[test]
    fn an_entry_that_counts_its_line_picks_that_one() {
        let nth = |k, n| Entry {
            occurrence: Some((k, n)),
            ..entry(Some("asm_b"), "y = 1;")
        };
        assert_eq!(locate(&nth(1, 2), SOURCE).unwrap().line, 9);
        assert_eq!(locate(&nth(2, 2), SOURCE).unwrap().line, 10);
        let miscounted = locate(&nth(1, 3), SOURCE).unwrap_err();
        assert!(
            miscounted.to_string().contains("no longer matches"),
            "{miscounted}"
        );
    }
}
