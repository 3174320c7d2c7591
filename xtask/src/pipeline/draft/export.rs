//! A series exported for upstream: each patch as `git format-patch` makes
//! it from a commit on the tree it applies to, so its hunks carry the
//! function context git gives C (`@@ ... @@ static void asm_loop(ASMState
//! *as)`), its subject is kept and its message loses the project's
//! trailers (`Fixes:`, `Machine-code:`, `Upstream:`), which mean nothing
//! upstream.
//!
//! The diff is regenerated, not edited: the files the series touches are
//! copied from the tree into a scratch git repository and committed, then
//! each patch is applied and committed with its author, date and message,
//! and `git format-patch -1` writes it out. Git runs without the user's or
//! the system's configuration, so the output depends only on the tree and
//! the series.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use crate::pipeline::patch::{Patch, Series};

/// Trailers only the project reads: dropped from an exported message.
pub const PROJECT_TRAILERS: [&str; 3] = ["Fixes:", "Machine-code:", "Upstream:"];

/// Who commits the scratch commits; `git format-patch` shows the author
/// only.
const COMMITTER: [&str; 4] = [
    "-c",
    "user.name=luajit-arm64-verify",
    "-c",
    "user.email=luajit-arm64-verify@users.noreply.github.com",
];

/// One exported patch.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The file name `git format-patch` gives it (`0001-ARM64-....patch`).
    pub name: String,
    /// The `git format-patch` text.
    pub text: String,
    /// The files it changes, relative to the tree.
    pub files: Vec<String>,
}

/// The author, date and message (subject, blank line, body without the
/// project's trailers) of a `git format-patch` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub author: String,
    pub date: String,
    pub text: String,
}

impl Message {
    pub fn of(patch: &Patch) -> Result<Message> {
        let text = fs::read_to_string(&patch.path)
            .with_context(|| format!("cannot read {}", patch.path.display()))?;
        Message::parse(&patch.name, &patch.subject, &text)
    }

    /// `subject` is the patch's unfolded subject without `[PATCH]`.
    fn parse(name: &str, subject: &str, text: &str) -> Result<Message> {
        let (headers, rest) = text
            .split_once("\n\n")
            .with_context(|| format!("{name}: no blank line after the mail headers"))?;
        let header = |key: &str| {
            headers
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_owned())
        };
        let author = header("From: ").with_context(|| format!("{name}: no `From:` header"))?;
        let date = header("Date: ").with_context(|| format!("{name}: no `Date:` header"))?;
        let body: Vec<&str> = rest
            .lines()
            .take_while(|l| *l != "---")
            .filter(|l| !PROJECT_TRAILERS.iter().any(|t| l.starts_with(t)))
            .collect();
        let body = body.join("\n");
        let body = body.trim();
        let text = match body.is_empty() {
            true => format!("{subject}\n"),
            false => format!("{subject}\n\n{body}\n"),
        };
        Ok(Message { author, date, text })
    }
}

/// Exports every patch of `series`, in order, against `tree` (the folder
/// holding `src/`, to which the series applies). `scratch` is emptied and
/// holds the git repository afterwards.
pub fn export_series(
    sh: &Shell,
    series: &Series,
    tree: &Path,
    scratch: &Path,
) -> Result<Vec<Exported>> {
    let repo = scratch.join("repo");
    let out = scratch.join("out");
    if scratch.exists() {
        fs::remove_dir_all(scratch)
            .with_context(|| format!("cannot empty {}", scratch.display()))?;
    }
    fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    copy_touched(&touched(series.patches.iter()), tree, &repo)?;
    let _dir = sh.push_dir(&repo);
    let _env = git_env(sh, scratch);
    cmd!(sh, "git init -q").quiet().run()?;
    cmd!(sh, "git add -A").quiet().run()?;
    cmd!(sh, "git {COMMITTER...} commit -q --allow-empty -m base")
        .env("GIT_AUTHOR_DATE", "2000-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2000-01-01T00:00:00Z")
        .quiet()
        .run()?;
    let mut exported = Vec::new();
    for patch in &series.patches {
        let message = Message::of(patch)?;
        let path = &patch.path;
        let applied = cmd!(sh, "git apply --index {path}")
            .quiet()
            .ignore_status()
            .output()?;
        if !applied.status.success() {
            bail!(
                "{} does not apply to {} after the patches before it: {}",
                patch.name,
                tree.display(),
                String::from_utf8_lossy(&applied.stderr).trim()
            );
        }
        let message_file = scratch.join("message");
        fs::write(&message_file, &message.text)?;
        let author = &message.author;
        cmd!(
            sh,
            "git {COMMITTER...} commit -q --allow-empty --author={author} -F {message_file}"
        )
        .env("GIT_AUTHOR_DATE", &message.date)
        .env("GIT_COMMITTER_DATE", &message.date)
        .quiet()
        .run()?;
        let number = patch.number.to_string();
        let written = cmd!(
            sh,
            "git format-patch -1 --zero-commit --no-signature --start-number {number} -o {out}"
        )
        .quiet()
        .read()?;
        let file = PathBuf::from(written.trim());
        let text =
            fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        fs::remove_file(&file)?;
        exported.push(Exported {
            name: file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            text,
            files: patch.files.iter().map(|f| f.path.clone()).collect(),
        });
    }
    Ok(exported)
}

/// Checks that the exported patches apply to `tree` in order, each with
/// `git apply --check` on a copy of the files they touch (in `scratch`,
/// which is emptied) that has the patches before it.
pub fn check_applies(sh: &Shell, exported: &[Exported], tree: &Path, scratch: &Path) -> Result<()> {
    if scratch.exists() {
        fs::remove_dir_all(scratch)
            .with_context(|| format!("cannot empty {}", scratch.display()))?;
    }
    let copy = scratch.join("tree");
    let files: Vec<String> = exported.iter().flat_map(|e| e.files.clone()).collect();
    copy_touched(&files, tree, &copy)?;
    let _dir = sh.push_dir(&copy);
    let _env = git_env(sh, scratch);
    for patch in exported {
        let file = scratch.join(&patch.name);
        fs::write(&file, &patch.text)?;
        let checked = cmd!(sh, "git apply --check {file}")
            .quiet()
            .ignore_status()
            .output()?;
        if !checked.status.success() {
            bail!(
                "the exported {} does not apply to {}: {}",
                patch.name,
                tree.display(),
                String::from_utf8_lossy(&checked.stderr).trim()
            );
        }
        cmd!(sh, "git apply {file}").quiet().run()?;
    }
    Ok(())
}

/// Git without the user's and the system's configuration, kept from any
/// repository around `scratch` (such as this project's own).
fn git_env<'a>(sh: &'a Shell, scratch: &Path) -> [xshell::PushEnv<'a>; 3] {
    [
        sh.push_env("GIT_CONFIG_GLOBAL", "/dev/null"),
        sh.push_env("GIT_CONFIG_NOSYSTEM", "1"),
        sh.push_env("GIT_CEILING_DIRECTORIES", scratch),
    ]
}

/// Every file the patches change, once, in order.
fn touched<'a>(patches: impl Iterator<Item = &'a Patch>) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for file in patches.flat_map(|p| &p.files) {
        if !files.contains(&file.path) {
            files.push(file.path.clone());
        }
    }
    files
}

/// Copies `files` (relative to `tree`) into `to`; a file the tree lacks
/// (one a patch creates) is left out.
fn copy_touched(files: &[String], tree: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for file in files {
        let (from, dest) = (tree.join(file), to.join(file));
        if !from.is_file() {
            continue;
        }
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        fs::copy(&from, &dest).with_context(|| format!("cannot copy {}", from.display()))?;
        // Registry sources are read-only; the copy is patched.
        let mut perms = fs::metadata(&dest)?.permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(&dest, perms)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE_C: &str = "\
#include <stdint.h>

static int32_t asm_shift(int32_t x, int32_t k)
{
  int32_t y = x;
  y = y + 1;
  y = y + 2;
  y = y + 3;
  y = y << k;
  y = y + 4;
  y = y + 5;
  return y;
}

static int32_t asm_other(int32_t x)
{
  return x;
}
";

    /// The project's style: trailers, and a hunk header without function
    /// context (as a hand-edited patch has).
    const FIRST: &str = "\
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Some One <some@example.org>
Date: Tue, 1 Dec 2026 09:30:00 +0000
Subject: [PATCH] ARM64: Mask the shift count, a rather long subject that
 git folds.

The count was used unmasked.

Fixes: arm64-verify#shift
Machine-code: changes lsl
Upstream: 0123abcd
---
 src/a.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/src/a.c b/src/a.c
--- a/src/a.c
+++ b/src/a.c
@@ -7,3 +7,3 @@
   y = y + 3;
-  y = y << k;
+  y = y << (k & 31);
   y = y + 4;
";

    /// Depends on the first.
    const SECOND: &str = "\
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Some One <some@example.org>
Date: Tue, 1 Dec 2026 10:00:00 +0000
Subject: [PATCH] Use it once more.

Fixes: LuaJIT#1
---
diff --git a/src/a.c b/src/a.c
--- a/src/a.c
+++ b/src/a.c
@@ -8,3 +8,4 @@
-  y = y << (k & 31);
+  y = y << (k & 31);
+  y = y << (k & 31);
   y = y + 4;
   y = y + 5;
";

    fn fake(test: &str, patches: &[&str]) -> (tempfile::TempDir, Series) {
        let dir = tempfile::Builder::new()
            .prefix(&format!("xtask-export-{test}-"))
            .tempdir()
            .unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("tree/src")).unwrap();
        fs::create_dir_all(root.join("series")).unwrap();
        fs::write(root.join("tree/src/a.c"), TREE_C).unwrap();
        fs::write(root.join("tree/Makefile"), "all:\n").unwrap();
        let mut listing = String::new();
        for (i, text) in patches.iter().enumerate() {
            let name = format!("{:04}-p.patch", i + 1);
            fs::write(root.join("series").join(&name), text).unwrap();
            listing.push_str(&name);
            listing.push('\n');
        }
        fs::write(root.join("series/series"), listing).unwrap();
        let series = Series::load(&root.join("series")).unwrap();
        (dir, series)
    }

    #[test]
    fn export_drops_trailers_keeps_the_subject_and_adds_function_context() {
        let (dir, series) = fake("one", &[FIRST]);
        let root = dir.path();
        let sh = Shell::new().unwrap();
        let tree = root.join("tree");
        let exported = export_series(&sh, &series, &tree, &root.join("scratch")).unwrap();
        assert_eq!(exported.len(), 1);
        let text = &exported[0].text;
        for trailer in PROJECT_TRAILERS {
            assert!(!text.contains(trailer), "{trailer} left in:\n{text}");
        }
        // Git folds a long subject its own way: compare it unfolded.
        assert!(
            text.replace("\n ", " ").contains(
                "\nSubject: [PATCH] ARM64: Mask the shift count, a rather long subject that git folds.\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("\nFrom: Some One <some@example.org>\n"),
            "{text}"
        );
        assert!(
            text.contains("\nDate: Tue, 1 Dec 2026 09:30:00 +0000\n"),
            "{text}"
        );
        assert!(
            text.contains("\nThe count was used unmasked.\n---\n"),
            "{text}"
        );
        assert!(
            text.lines().any(|l| l.starts_with("@@ ")
                && l.ends_with(" @@ static int32_t asm_shift(int32_t x, int32_t k)")),
            "{text}"
        );
        assert!(
            exported[0]
                .name
                .starts_with("0001-ARM64-Mask-the-shift-count"),
            "{}",
            exported[0].name
        );
        check_applies(&sh, &exported, &tree, &root.join("check")).unwrap();
        // The tree itself is left as it was.
        assert_eq!(fs::read_to_string(tree.join("src/a.c")).unwrap(), TREE_C);
    }

    #[test]
    fn a_series_exports_in_order_and_applies_in_order() {
        let (dir, series) = fake("two", &[FIRST, SECOND]);
        let root = dir.path();
        let sh = Shell::new().unwrap();
        let tree = root.join("tree");
        let exported = export_series(&sh, &series, &tree, &root.join("scratch")).unwrap();
        assert_eq!(exported.len(), 2);
        assert!(
            exported[1].name.starts_with("0002-Use-it-once-more"),
            "{}",
            exported[1].name
        );
        assert!(
            exported[1]
                .text
                .contains("Subject: [PATCH] Use it once more.\n")
        );
        assert!(!exported[1].text.contains("Fixes:"));
        check_applies(&sh, &exported, &tree, &root.join("check")).unwrap();
        // The second alone does not apply to the tree.
        let error = check_applies(&sh, &exported[1..], &tree, &root.join("check"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("0002-Use-it-once-more"), "{error}");
    }

    #[test]
    fn a_patch_that_does_not_apply_is_named() {
        let (dir, series) = fake("bad", &[SECOND]);
        let root = dir.path();
        let sh = Shell::new().unwrap();
        let error = export_series(&sh, &series, &root.join("tree"), &root.join("scratch"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("0001-p.patch does not apply"), "{error}");
    }

    #[test]
    fn message_without_a_body_is_the_subject() {
        let text = "From: A <a@b>\nDate: Tue, 1 Dec 2026 09:30:00 +0000\nSubject: [PATCH] X: Y.\n\nFixes: LuaJIT#1\n---\n";
        let message = Message::parse("p", "X: Y.", text).unwrap();
        assert_eq!(message.text, "X: Y.\n");
        assert_eq!(message.author, "A <a@b>");
    }
}
