//! What was decided about generated mutants that survive
//! (`tests/mutants_triage.txt`): equivalent (no program can tell it from
//! the tree), unreachable (no program can bring about the state in which
//! it behaves differently) or a gap in the tests (with the script that
//! kills it). An entry names its
//! mutant by file, function, line text and replacement, never by line
//! number, so it still matches when the tree or the tool moves lines.
//!
//! The format, in the style of `tests/backend_mutants.txt`:
//!
//! ```text
//! ## equivalent: why no program can tell it apart
//! @ src/lj_asm_arm64.h asm_fuseopm
//! -      the line as it is
//! +      the line as the mutant has it
//!
//! ## gap: what the tests miss
//! @ src/lj_emit_arm64.h emit_isk12
//! -...
//! +...
//! = tests/mutant_kills/NAME.lua
//! ```
//!
//! The function is as `function::enclosing` names it (`#define NAME` for
//! a macro, nothing at file scope); lines match with their leading and
//! trailing blanks ignored.

use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use super::{BACKEND_FILES, Edit};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// No program can tell it from the tree: left out of the score.
    Equivalent,
    /// No program can bring about the state in which it behaves
    /// differently: left out of the score.
    Unreachable,
    /// A real gap of the tests: counted, with the script that kills it.
    Gap,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Equivalent => "equivalent",
            Kind::Unreachable => "unreachable",
            Kind::Gap => "gap",
        }
    }

    /// Whether the score leaves such mutants out.
    pub fn left_out(self) -> bool {
        matches!(self, Kind::Equivalent | Kind::Unreachable)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: Kind,
    pub reason: String,
    pub file: String,
    /// The enclosing function; None at file scope.
    pub function: Option<String>,
    pub original: String,
    pub replacement: String,
    /// For a gap: the script (a path under tests/) that kills the mutant.
    pub script: Option<String>,
    /// Which of the lines with the `-` text in the function it is, counted
    /// from the top, and how many there are (`@ FILE FUNCTION (K of N)`):
    /// what the gap check builds when the text is there more than once.
    #[serde(default)]
    pub occurrence: Option<(usize, usize)>,
}

impl Entry {
    /// Whether this entry is about `edit`, in `function`.
    pub fn matches(&self, edit: &Edit, function: Option<&str>) -> bool {
        self.file == edit.file
            && self.function.as_deref() == function
            && self.original.trim() == edit.original.trim()
            && self.replacement.trim() == edit.replacement.trim()
    }
}

/// The triage file; every gap's script must exist under `root`.
pub fn load(path: &Path, root: &Path) -> Result<Vec<Entry>> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let entries = parse(&text).with_context(|| format!("in {}", path.display()))?;
    for entry in &entries {
        if let Some(script) = &entry.script
            && !root.join(script).is_file()
        {
            bail!(
                "in {}: the gap `{}` names {script}, which does not exist",
                path.display(),
                entry.reason
            );
        }
    }
    Ok(entries)
}

pub fn parse(text: &str) -> Result<Vec<Entry>> {
    let mut entries: Vec<Entry> = Vec::new();
    // Which of an entry's lines were given, to refuse a second one.
    let mut seen = String::new();
    for (number, line) in text.lines().enumerate() {
        let at = || format!("line {}", number + 1);
        if let Some(header) = line.strip_prefix("## ") {
            let (kind, reason) = header
                .split_once(':')
                .with_context(|| format!("{}: expected `## KIND: reason`", at()))?;
            let kind = match kind.trim() {
                "equivalent" => Kind::Equivalent,
                "unreachable" => Kind::Unreachable,
                "gap" => Kind::Gap,
                other => bail!(
                    "{}: `{other}` is no kind: equivalent, unreachable or gap",
                    at()
                ),
            };
            if reason.trim().is_empty() {
                bail!("{}: a {} entry needs a reason", at(), kind.name());
            }
            entries.push(Entry {
                kind,
                reason: reason.trim().to_owned(),
                file: String::new(),
                function: None,
                original: String::new(),
                replacement: String::new(),
                script: None,
                occurrence: None,
            });
            seen.clear();
        } else if line.starts_with('#') || line.trim().is_empty() {
            continue;
        } else {
            let entry = entries
                .last_mut()
                .with_context(|| format!("{}: `{line}` before any `##` header", at()))?;
            let (mark, value) = line.split_at(1);
            if seen.contains(mark) {
                bail!("{}: a second `{mark}` line in one entry", at());
            }
            match mark {
                "@" => {
                    let value = value.trim();
                    let (file, function) = value.split_once(' ').unwrap_or((value, ""));
                    entry.file = file.to_owned();
                    let (function, occurrence) = split_occurrence(function.trim())
                        .with_context(|| format!("{}: `{line}`", at()))?;
                    entry.occurrence = occurrence;
                    entry.function = (!function.is_empty()).then(|| function.to_owned());
                }
                "-" => entry.original = value.to_owned(),
                "+" => entry.replacement = value.to_owned(),
                "=" => entry.script = Some(value.trim().to_owned()),
                _ => bail!(
                    "{}: expected `@ FILE FUNCTION`, `-LINE`, `+LINE` or `= SCRIPT`, not `{line}`",
                    at()
                ),
            }
            seen.push_str(mark);
        }
    }
    for (index, entry) in entries.iter().enumerate() {
        let name = format!(
            "entry {} ({}: {})",
            index + 1,
            entry.kind.name(),
            entry.reason
        );
        if !BACKEND_FILES.contains(&entry.file.as_str()) {
            bail!(
                "{name}: `@` names `{}`, not one of {}",
                entry.file,
                BACKEND_FILES.join(", ")
            );
        }
        if entry.original.trim().is_empty() || entry.original.trim() == entry.replacement.trim() {
            bail!("{name}: needs a `-` line and a different `+` line");
        }
        match (&entry.kind, &entry.script) {
            (Kind::Gap, None) => bail!("{name}: a gap needs `= tests/...` naming its script"),
            (Kind::Gap, Some(script)) if !script.starts_with("tests/") => {
                bail!("{name}: the script {script} is not under tests/")
            }
            (Kind::Equivalent | Kind::Unreachable, Some(_)) => {
                bail!("{name}: only a gap names a script")
            }
            _ => {}
        }
        if let Some(other) = entries[..index].iter().position(|e| {
            e.file == entry.file
                && e.function == entry.function
                && e.original.trim() == entry.original.trim()
                && e.replacement.trim() == entry.replacement.trim()
        }) {
            bail!("{name}: the same mutant as entry {}", other + 1);
        }
    }
    Ok(entries)
}

/// A function name and the `(K of N)` after it, if there is one.
fn split_occurrence(text: &str) -> Result<(&str, Option<(usize, usize)>)> {
    let Some(open) = text.strip_suffix(')').and_then(|t| t.rfind('(')) else {
        return Ok((text, None));
    };
    let inner = &text[open + 1..text.len() - 1];
    let parsed = inner
        .split_once(" of ")
        .and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((k, n)) if 1 <= k && k <= n && n >= 2 => Ok((text[..open].trim_end(), Some((k, n)))),
        _ => bail!("`({inner})` after the function: write `(K of N)`, 1 <= K <= N, N >= 2"),
    }
}

/// The entry about `edit` (in `function`), if there is one.
pub fn find<'a>(entries: &'a [Entry], edit: &Edit, function: Option<&str>) -> Option<&'a Entry> {
    entries.iter().find(|e| e.matches(edit, function))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# Notes.

## equivalent: the shift is masked to six bits anyway
@ src/lj_asm_arm64.h asm_fuseopm
-      return A64F_M(m) | A64F_SH(sh, shift);
+      return A64F_M(m) | A64F_SH(sh, shift & 63);

## unreachable: only a 32-bit host takes this path
@ src/lj_emit_arm64.h #define emit_spsub
-#define emit_spsub(as, ofs)\temit_addptr(as, RID_SP, -(ofs))
+/*#define emit_spsub(as, ofs)\temit_addptr(as, RID_SP, -(ofs))*/

## gap: no case stores a float constant through a fused offset
@ src/lj_asm_arm64.h
-  x = 1;
+  x = 0;
= tests/mutant_kills/x.lua
";

    fn edit(file: &str, line: usize, original: &str, replacement: &str) -> Edit {
        Edit {
            file: file.to_owned(),
            line,
            original: original.to_owned(),
            replacement: replacement.to_owned(),
        }
    }

    #[test]
    fn the_triage_file_reads_back() {
        let entries = parse(SAMPLE).unwrap();
        assert_eq!(
            entries.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [Kind::Equivalent, Kind::Unreachable, Kind::Gap]
        );
        assert_eq!(entries[0].function.as_deref(), Some("asm_fuseopm"));
        assert_eq!(entries[1].function.as_deref(), Some("#define emit_spsub"));
        assert_eq!(entries[2].function, None, "file scope");
        assert_eq!(
            entries[2].script.as_deref(),
            Some("tests/mutant_kills/x.lua")
        );
        assert!(entries[0].kind.left_out() && entries[1].kind.left_out());
        assert!(!entries[2].kind.left_out(), "a gap is counted");
    }

    #[test]
    fn an_entry_matches_by_text_and_function_not_by_line_number() {
        let entries = parse(SAMPLE).unwrap();
        let moved = edit(
            "src/lj_asm_arm64.h",
            999,
            "\treturn A64F_M(m) | A64F_SH(sh, shift);",
            "return A64F_M(m) | A64F_SH(sh, shift & 63);  ",
        );
        assert_eq!(
            find(&entries, &moved, Some("asm_fuseopm")).map(|e| e.kind),
            Some(Kind::Equivalent)
        );
        assert!(find(&entries, &moved, Some("asm_fusexref")).is_none());
        let other_replacement = Edit {
            replacement: "return A64F_M(m) | A64F_SH(sh, 0);".to_owned(),
            ..moved.clone()
        };
        assert!(find(&entries, &other_replacement, Some("asm_fuseopm")).is_none());
        let other_file = Edit {
            file: "src/lj_emit_arm64.h".to_owned(),
            ..moved
        };
        assert!(find(&entries, &other_file, Some("asm_fuseopm")).is_none());
    }

    #[test]
    fn the_committed_triage_file_reads() {
        let root = crate::pipeline::project_root();
        let path = root.join(crate::pipeline::mutants::campaign::TRIAGE_FILE);
        load(&path, &root).unwrap();
    }

    #[test]
    fn an_entry_may_count_which_of_its_lines_it_is() {
        let text =
            "## gap: g\n@ src/lj_asm_arm64.h asm_href (1 of 2)\n-  a;\n+  b;\n= tests/x.lua\n";
        let entry = &parse(text).unwrap()[0];
        assert_eq!(entry.function.as_deref(), Some("asm_href"));
        assert_eq!(entry.occurrence, Some((1, 2)));
        for bad in ["(3 of 2)", "(1 of 1)", "(one of 2)"] {
            let text = text.replace("(1 of 2)", bad);
            assert!(parse(&text).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_malformed_entry_is_an_error() {
        let bad = [
            (
                "## maybe: unsure\n@ src/lj_asm_arm64.h f\n-a\n+b\n",
                "no kind",
            ),
            (
                "## gap: no script\n@ src/lj_asm_arm64.h f\n-a\n+b\n",
                "needs `= tests/",
            ),
            (
                "## gap: elsewhere\n@ src/lj_asm_arm64.h f\n-a\n+b\n= x.lua\n",
                "not under tests/",
            ),
            (
                "## equivalent: x\n@ src/lj_asm_arm64.h f\n-a\n+b\n= tests/x.lua\n",
                "only a gap",
            ),
            (
                "## equivalent: x\n@ src/lj_record.c f\n-a\n+b\n",
                "lj_record.c",
            ),
            (
                "## equivalent: x\n@ src/lj_asm_arm64.h f\n-a\n+ a \n",
                "different",
            ),
            ("## equivalent:\n@ src/lj_asm_arm64.h f\n-a\n+b\n", "reason"),
            (
                "## equivalent: x\n@ src/lj_asm_arm64.h f\n-a\n-c\n+b\n",
                "second `-`",
            ),
            ("-a\n", "before any"),
            (
                "## equivalent: x\n@ src/lj_asm_arm64.h f\n-a\n+b\n## unreachable: y\n@ src/lj_asm_arm64.h f\n- a\n+b\n",
                "same mutant",
            ),
        ];
        for (text, expected) in bad {
            let error = format!("{:#}", parse(text).unwrap_err());
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }
}
