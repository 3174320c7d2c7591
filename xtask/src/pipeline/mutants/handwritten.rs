//! The hand-written mutant set, `tests/backend_mutants.txt`: each a defect
//! of a kind the backend has really had, given as a text to find (once) in
//! a backend file and what replaces it, and turned into a line `Edit`
//! against the tree it is applied to.

use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result, bail};

use super::{BACKEND_FILES, Edit};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mutant {
    /// Short name, unique in the file.
    pub name: String,
    pub description: String,
    /// The file it edits, relative to the tree.
    pub file: String,
    pub find: String,
    pub replace: String,
    /// Why no program can tell it from the tree, when it is equivalent: it
    /// is not run and not counted.
    pub equivalent: Option<String>,
}

impl Mutant {
    /// The mutant as a line edit of `source` (the text of its file in
    /// `tree`): an error naming it unless its text occurs exactly once.
    pub fn edit(&self, source: &str, tree: &str) -> Result<Edit> {
        let at = match source.match_indices(self.find.as_str()).collect::<Vec<_>>()[..] {
            [(at, _)] => at,
            ref found => bail!(
                "mutant `{}`: its `-` text occurs {} times in {} of {tree}, not once: `{}`",
                self.name,
                found.len(),
                self.file,
                self.find
            ),
        };
        let start = source[..at].rfind('\n').map_or(0, |n| n + 1);
        let end = source[at..].find('\n').map_or(source.len(), |n| at + n);
        let original = &source[start..end];
        Ok(Edit {
            file: self.file.clone(),
            line: source[..start].matches('\n').count() + 1,
            original: original.to_owned(),
            replacement: original.replacen(&self.find, &self.replace, 1),
        })
    }
}

pub fn load(path: &Path) -> Result<Vec<Mutant>> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text).with_context(|| format!("in {}", path.display()))
}

/// Reads the data file: `## NAME: description`, `@ FILE`, `-` the exact
/// text to replace (it must occur once), `+` what replaces it; a comment
/// `# equivalent: why` right above a header marks that mutant equivalent.
pub fn parse(text: &str) -> Result<Vec<Mutant>> {
    let mut mutants: Vec<Mutant> = Vec::new();
    let mut equivalent: Option<String> = None;
    for (number, line) in text.lines().enumerate() {
        let at = || format!("line {}", number + 1);
        if let Some(header) = line.strip_prefix("## ") {
            let (name, description) = header
                .split_once(": ")
                .with_context(|| format!("{}: expected `## NAME: description`", at()))?;
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                bail!("{}: a mutant's name is one word, not `{name}`", at());
            }
            if mutants.iter().any(|m| m.name == name) {
                bail!("{}: a second mutant named `{name}`", at());
            }
            mutants.push(Mutant {
                name: name.to_owned(),
                description: description.trim().to_owned(),
                file: String::new(),
                find: String::new(),
                replace: String::new(),
                equivalent: equivalent.take(),
            });
        } else if let Some(why) = line.strip_prefix("# equivalent:") {
            equivalent = Some(why.trim().to_owned());
        } else if line.starts_with('#') || line.trim().is_empty() {
            continue;
        } else {
            let mutant = mutants
                .last_mut()
                .with_context(|| format!("{}: `{line}` before any `##` header", at()))?;
            let (slot, value) = if let Some(file) = line.strip_prefix("@ ") {
                (&mut mutant.file, file.trim())
            } else if let Some(find) = line.strip_prefix('-') {
                (&mut mutant.find, find)
            } else if let Some(replace) = line.strip_prefix('+') {
                (&mut mutant.replace, replace)
            } else {
                bail!(
                    "{}: expected `@ FILE`, `-TEXT` or `+TEXT`, not `{line}`",
                    at()
                );
            };
            if !slot.is_empty() {
                bail!("{}: mutant `{}` has a second such line", at(), mutant.name);
            }
            *slot = value.to_owned();
        }
    }
    if equivalent.is_some() {
        bail!("a `# equivalent:` comment after the last mutant");
    }
    for mutant in &mutants {
        if mutant.file.is_empty() || mutant.find.trim().is_empty() || mutant.replace.is_empty() {
            bail!(
                "mutant `{}` needs one `@ FILE`, one `-` and one `+` line",
                mutant.name
            );
        }
        if !BACKEND_FILES.contains(&mutant.file.as_str()) {
            bail!(
                "mutant `{}` edits {}, not one of the backend's files ({})",
                mutant.name,
                mutant.file,
                BACKEND_FILES.join(", ")
            );
        }
        if mutant.find == mutant.replace {
            bail!("mutant `{}` replaces its text with itself", mutant.name);
        }
    }
    Ok(mutants)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# A comment.

## fused-shift-count: asm_fuseopm ignores the shift amount
@ src/lj_asm_arm64.h
-return A64F_M(m) | A64F_SH(sh, shift);
+return A64F_M(m) | A64F_SH(sh, 0);

# equivalent: nothing reaches it
## dead: a change nobody sees
@ src/lj_emit_arm64.h
-a
+b
";

    #[test]
    fn the_data_file_reads_back() {
        let mutants = parse(SAMPLE).unwrap();
        assert_eq!(mutants.len(), 2);
        assert_eq!(
            mutants[0],
            Mutant {
                name: "fused-shift-count".to_owned(),
                description: "asm_fuseopm ignores the shift amount".to_owned(),
                file: "src/lj_asm_arm64.h".to_owned(),
                find: "return A64F_M(m) | A64F_SH(sh, shift);".to_owned(),
                replace: "return A64F_M(m) | A64F_SH(sh, 0);".to_owned(),
                equivalent: None,
            }
        );
        assert_eq!(mutants[1].equivalent.as_deref(), Some("nothing reaches it"));
        assert_eq!(
            (mutants[1].find.as_str(), mutants[1].replace.as_str()),
            ("a", "b")
        );
    }

    #[test]
    fn a_malformed_mutant_is_an_error_naming_it() {
        let missing_file = "## m: no file\n-a\n+b\n";
        let error = format!("{:#}", parse(missing_file).unwrap_err());
        assert!(error.contains("`m`") && error.contains("@ FILE"), "{error}");
        let elsewhere = "## m: not the backend\n@ src/lj_record.c\n-a\n+b\n";
        assert!(format!("{:#}", parse(elsewhere).unwrap_err()).contains("lj_record.c"));
        let twice =
            "## m: one\n@ src/lj_asm_arm64.h\n-a\n+b\n## m: two\n@ src/lj_asm_arm64.h\n-c\n+d\n";
        assert!(format!("{:#}", parse(twice).unwrap_err()).contains("second mutant"));
        let stray = "-a\n";
        assert!(parse(stray).is_err());
    }

    #[test]
    fn a_mutant_becomes_the_edit_of_the_line_holding_its_text() {
        let mutant = parse(SAMPLE).unwrap().remove(0);
        let source = "x\n      return A64F_M(m) | A64F_SH(sh, shift);\ny\n";
        let edit = mutant.edit(source, "tree").unwrap();
        assert_eq!(
            edit,
            Edit {
                file: "src/lj_asm_arm64.h".to_owned(),
                line: 2,
                original: "      return A64F_M(m) | A64F_SH(sh, shift);".to_owned(),
                replacement: "      return A64F_M(m) | A64F_SH(sh, 0);".to_owned(),
            }
        );
        assert_eq!(
            edit.apply(source, "tree").unwrap(),
            "x\n      return A64F_M(m) | A64F_SH(sh, 0);\ny\n"
        );
        for (source, times) in [("nothing here", 0), (&*source.repeat(2), 2)] {
            let error = mutant.edit(source, "tree").unwrap_err().to_string();
            assert!(
                error.contains("fused-shift-count") && error.contains(&format!("{times} times")),
                "{error}"
            );
        }
    }
}
