//! The patch series: `patches/series` lists `git format-patch` files in
//! order. Applying checks every path first and maps a failing hunk back to
//! its header, so a bad series is an error that names patch, file and hunk.
//! One series serves trees that already carry some of its fixes: each
//! patch's state on a tree (already in, or to apply) is decided on its own.

use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use sha2::{Digest, Sha256};
use xshell::{Shell, cmd};

use super::label::Label;

#[derive(Clone)]
pub struct Patch {
    /// File name inside the series folder.
    pub name: String,
    /// Position in the series file, from 1; names the step after it even
    /// when patches before it are skipped.
    pub number: usize,
    pub path: PathBuf,
    pub subject: String,
    pub sha256: String,
    /// Upstream issues named by `Fixes:` trailers, as `LuaJIT#NNNN`.
    pub fixes: Vec<String>,
    /// The upstream commit named by an `Upstream:` trailer.
    pub upstream: Option<String>,
    /// What the patch changes in machine code, from a `Machine-code:` trailer.
    pub machine_code: Option<MachineCode>,
    pub files: Vec<FilePatch>,
}

/// What a patch says it changes in the machine code of a trace, so that the
/// machine-code diff can tell an expected difference from an unexplained one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MachineCode {
    /// `Machine-code: ldp-stp-fusion`: only how loads and stores are fused
    /// into LDP/STP (and where), as the diff's fusion classes tell.
    LdpStpFusion,
    /// `Machine-code: changes MNEMONIC...`: instructions of these kinds
    /// (their operands, their number), and nothing else.
    Changes(Vec<String>),
}

impl MachineCode {
    fn parse(name: &str, value: &str) -> Result<MachineCode> {
        let mut words = value.split_whitespace();
        match words.next() {
            Some("ldp-stp-fusion") if words.next().is_none() => Ok(MachineCode::LdpStpFusion),
            Some("changes") => {
                let mnemonics: Vec<String> = words.map(|w| w.to_ascii_lowercase()).collect();
                if mnemonics.is_empty() {
                    bail!(
                        "{name}: `Machine-code: changes` names no instruction; write e.g. `Machine-code: changes lsl lsr ubfx`"
                    );
                }
                Ok(MachineCode::Changes(mnemonics))
            }
            _ => bail!(
                "{name}: `Machine-code: {}` is neither `ldp-stp-fusion` nor `changes MNEMONIC...`",
                value.trim()
            ),
        }
    }

    /// One phrase for reports.
    pub fn describe(&self) -> String {
        match self {
            MachineCode::LdpStpFusion => "LDP/STP fusion only".to_owned(),
            MachineCode::Changes(mnemonics) => format!("changes {}", mnemonics.join(" ")),
        }
    }
}

/// What a patch is to a given tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum PatchState {
    /// The tree has the change already: the patch applies in reverse.
    AlreadyIn,
    /// The tree lacks the change and the patch applies.
    Applies,
    /// Neither: the tree differs where the patch changes it.
    Neither,
}

impl Label for PatchState {
    const ALL: &'static [PatchState] = &[
        PatchState::AlreadyIn,
        PatchState::Applies,
        PatchState::Neither,
    ];

    /// `already in`, `applies` or `neither`.
    fn label(self) -> &'static str {
        match self {
            PatchState::AlreadyIn => "already in",
            PatchState::Applies => "applies",
            PatchState::Neither => "neither",
        }
    }
}

#[derive(Clone)]
pub struct FilePatch {
    pub path: String,
    /// Each hunk's `@@ -a,b +c,d @@` header with its old and new start lines.
    pub hunks: Vec<(String, u32, u32)>,
}

#[derive(Clone)]
pub struct Series {
    pub dir: PathBuf,
    pub patches: Vec<Patch>,
}

impl Series {
    pub fn load(dir: &Path) -> Result<Series> {
        // Patches are applied from inside the tree, so a relative
        // `--patches` folder must not stay relative.
        let dir = &fs::canonicalize(dir)
            .with_context(|| format!("cannot find the series folder {}", dir.display()))?;
        let series_file = dir.join("series");
        let listing = fs::read_to_string(&series_file)
            .with_context(|| format!("cannot read {}; a series folder lists its patches, in order, in a file named `series`", series_file.display()))?;
        let mut patches = Vec::new();
        for name in listing
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let path = dir.join(name);
            let bytes = fs::read(&path).with_context(|| {
                format!(
                    "{} lists {name}, which cannot be read",
                    series_file.display()
                )
            })?;
            let text =
                String::from_utf8(bytes.clone()).with_context(|| format!("{name} is not UTF-8"))?;
            let mut patch = Patch::parse(name, &path, &text, &bytes)?;
            patch.number = patches.len() + 1;
            patches.push(patch);
        }
        if patches.is_empty() {
            bail!("{} lists no patches", series_file.display());
        }
        Ok(Series {
            dir: dir.to_owned(),
            patches,
        })
    }

    /// The first `count` patches, as a series of their own.
    pub fn prefix(&self, count: usize) -> Series {
        Series {
            dir: self.dir.clone(),
            patches: self.patches[..count.min(self.patches.len())].to_vec(),
        }
    }

    /// The patches after the first `count`: what reversing takes out of a
    /// tree that has the whole series to leave the first `count` in.
    pub fn suffix(&self, count: usize) -> Series {
        Series {
            dir: self.dir.clone(),
            patches: self.patches[count.min(self.patches.len())..].to_vec(),
        }
    }

    /// The patches whose state is `state`, as a series of their own.
    pub fn only(&self, states: &[PatchState], state: PatchState) -> Series {
        Series {
            dir: self.dir.clone(),
            patches: self
                .patches
                .iter()
                .zip(states)
                .filter(|(_, s)| **s == state)
                .map(|(p, _)| p.clone())
                .collect(),
        }
    }

    /// Each patch's state on `tree`, decided on scratch copies (the tree is
    /// not touched). Patches are taken out last first, each one that
    /// reverses being already in: a later fix may sit in the context of an
    /// earlier one, so an earlier patch reverses only once the later ones
    /// are out. The rest must then apply, in order, to the tree as given;
    /// the first that does not is the error, naming its patch and hunk.
    pub fn states(&self, sh: &Shell, tree: &Path, scratch: &Path) -> Result<Vec<PatchState>> {
        copy_tree(tree, scratch)?;
        let mut states = vec![PatchState::Applies; self.patches.len()];
        for (index, patch) in self.patches.iter().enumerate().rev() {
            if patch.apply(sh, scratch, true).is_ok() {
                states[index] = PatchState::AlreadyIn;
            }
        }
        copy_tree(tree, scratch)?;
        let result = self
            .only(&states, PatchState::Applies)
            .apply(sh, scratch, false);
        let _ = fs::remove_dir_all(scratch);
        result.map_err(|error| {
            anyhow::anyhow!(
                "{error:#}; it is not in the tree either (it does not apply in reverse)"
            )
        })?;
        Ok(states)
    }

    /// Each patch's state on `tree` like `states`, except that a patch that
    /// neither reverses nor applies (after the ones before it that apply) is
    /// `Neither` instead of an error: a sweep over many trees reports it as
    /// that tree's finding and goes on.
    pub fn each_state(&self, sh: &Shell, tree: &Path, scratch: &Path) -> Result<Vec<PatchState>> {
        copy_tree(tree, scratch)?;
        let mut states = vec![PatchState::Neither; self.patches.len()];
        for (index, patch) in self.patches.iter().enumerate().rev() {
            if patch.check_paths(scratch).is_ok() && patch.apply(sh, scratch, true).is_ok() {
                states[index] = PatchState::AlreadyIn;
            }
        }
        copy_tree(tree, scratch)?;
        for (index, patch) in self.patches.iter().enumerate() {
            if states[index] == PatchState::Neither
                && patch.check_paths(scratch).is_ok()
                && patch.apply(sh, scratch, false).is_ok()
            {
                states[index] = PatchState::Applies;
            }
        }
        let _ = fs::remove_dir_all(scratch);
        Ok(states)
    }

    /// A short name for the series' content, for the build folders of
    /// variants made with a series other than the project's own.
    pub fn tag(&self) -> String {
        let mut hasher = Sha256::new();
        for patch in &self.patches {
            hasher.update(patch.sha256.as_bytes());
        }
        format!("series-{}", &format!("{:x}", hasher.finalize())[..12])
    }

    /// Every upstream issue the series says it fixes.
    /// What the series says it changes in machine code: every patch's
    /// statement, or None when some patch says nothing (then the diff is
    /// shown and classified, and no difference is required to be explained).
    pub fn machine_code(&self) -> Option<Vec<MachineCode>> {
        self.patches
            .iter()
            .map(|p| p.machine_code.clone())
            .collect()
    }

    pub fn fixes(&self) -> Vec<String> {
        let mut all: Vec<String> = self.patches.iter().flat_map(|p| p.fixes.clone()).collect();
        all.sort();
        all.dedup();
        all
    }

    /// Applies every patch in order (last first when reversing). `git apply`
    /// checks a whole patch before writing, and callers apply to a staging
    /// copy, so a failure leaves nothing half applied.
    pub fn apply(&self, sh: &Shell, tree: &Path, reverse: bool) -> Result<()> {
        for patch in &self.patches {
            patch.check_paths(tree)?;
        }
        let ordered: Vec<&Patch> = if reverse {
            self.patches.iter().rev().collect()
        } else {
            self.patches.iter().collect()
        };
        for patch in ordered {
            patch.apply(sh, tree, reverse)?;
        }
        Ok(())
    }
}

impl Patch {
    /// Applies this patch alone; `git apply` writes nothing unless every
    /// hunk applies.
    fn apply(&self, sh: &Shell, tree: &Path, reverse: bool) -> Result<()> {
        let reverse_flag: &[&str] = if reverse { &["--reverse"] } else { &[] };
        let parent = tree.parent().unwrap_or(tree).to_owned();
        let _dir = sh.push_dir(tree);
        let path = &self.path;
        // The ceiling keeps git from treating an enclosing repository
        // (this project's own) as the tree to patch.
        let output = cmd!(sh, "git apply --verbose {reverse_flag...} {path}")
            .env("GIT_CEILING_DIRECTORIES", &parent)
            .quiet()
            .ignore_status()
            .output()?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            bail!("{}", self.explain_failure(&stderr, reverse));
        }
        Ok(())
    }

    /// Whether the patch changes `path` (relative to the tree) and nothing else.
    pub fn only_touches(&self, path: &str) -> bool {
        self.files.iter().all(|f| f.path == path)
    }

    fn parse(name: &str, path: &Path, text: &str, bytes: &[u8]) -> Result<Patch> {
        // A long subject is folded onto indented continuation lines.
        let subject = text
            .split("\n\n")
            .next()
            .and_then(|headers| {
                let start = headers.find("Subject: ")? + "Subject: ".len();
                let mut folded = headers[start..].lines();
                let mut subject = folded.next()?.to_owned();
                for line in folded.take_while(|l| l.starts_with([' ', '\t'])) {
                    subject.push(' ');
                    subject.push_str(line.trim());
                }
                Some(subject)
            })
            .map(|s| {
                s.trim_start_matches(|c| c != ']')
                    .trim_start_matches(']')
                    .trim()
                    .to_owned()
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| name.to_owned());
        // `Fixes: LuaJIT#1056` or `Fixes: https://github.com/LuaJIT/LuaJIT/issues/1056`;
        // a defect not reported upstream yet goes by a name of its own,
        // `Fixes: arm64-verify#fused-kint64-shift`.
        let fixes = text
            .lines()
            .filter_map(|l| l.strip_prefix("Fixes:"))
            .map(|value| fixed_issue(name, value.trim()))
            .collect::<Result<Vec<_>>>()?;
        let upstream = text
            .lines()
            .find_map(|l| l.strip_prefix("Upstream:"))
            .map(|c| c.trim().to_owned());
        let machine_code = text
            .lines()
            .find_map(|l| l.strip_prefix("Machine-code:"))
            .map(|value| MachineCode::parse(name, value))
            .transpose()?;
        let mut files: Vec<FilePatch> = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("+++ ") {
                let target = rest.split('\t').next().unwrap_or(rest);
                let target = target.strip_prefix("b/").unwrap_or(target);
                files.push(FilePatch {
                    path: target.to_owned(),
                    hunks: Vec::new(),
                });
            } else if line.starts_with("@@ ") {
                let file = files.last_mut().with_context(|| {
                    format!("{name}: hunk `{line}` comes before any `+++` file header")
                })?;
                let (old, new) = hunk_starts(line)
                    .with_context(|| format!("{name}: malformed hunk header `{line}`"))?;
                file.hunks.push((
                    line.split(" @@").next().unwrap_or(line).to_owned() + " @@",
                    old,
                    new,
                ));
            }
        }
        if files.is_empty() {
            bail!("{name} changes no file; is it a `git format-patch` file?");
        }
        let sha256 = format!("{:x}", Sha256::digest(bytes));
        Ok(Patch {
            name: name.to_owned(),
            number: 1,
            path: path.to_owned(),
            subject,
            sha256,
            fixes,
            upstream,
            machine_code,
            files,
        })
    }

    fn check_paths(&self, tree: &Path) -> Result<()> {
        for file in &self.files {
            let path = Path::new(&file.path);
            let escapes =
                path.is_absolute() || path.components().any(|c| matches!(c, Component::ParentDir));
            if escapes {
                bail!(
                    "{} touches {}, which is outside the LuaJIT tree; nothing was applied",
                    self.name,
                    file.path
                );
            }
            if file.path != "/dev/null" && !tree.join(path).exists() && !self.creates(&file.path) {
                bail!(
                    "{} changes {}, which the tree {} does not have; nothing was applied",
                    self.name,
                    file.path,
                    tree.display()
                );
            }
        }
        Ok(())
    }

    fn creates(&self, path: &str) -> bool {
        fs::read_to_string(&self.path)
            .map(|text| text.contains(&format!("--- /dev/null\n+++ b/{path}")))
            .unwrap_or(false)
    }

    /// Turns git's `error: patch failed: FILE:LINE` into the hunk it means.
    fn explain_failure(&self, stderr: &str, reverse: bool) -> String {
        let direction = if reverse { "in reverse " } else { "" };
        for line in stderr.lines() {
            let Some(place) = line.strip_prefix("error: patch failed: ") else {
                continue;
            };
            let Some((file, line_no)) = place.rsplit_once(':') else {
                continue;
            };
            let line_no: u32 = line_no.trim().parse().unwrap_or(0);
            if let Some(fp) = self.files.iter().find(|f| f.path == file) {
                let found = fp
                    .hunks
                    .iter()
                    .enumerate()
                    .find(|(_, (_, old, new))| (if reverse { *new } else { *old }) == line_no);
                if let Some((index, (header, _, _))) = found {
                    return format!(
                        "patch {} does not apply {direction}to {file}: hunk #{} `{header}` does not match the tree; nothing was applied",
                        self.name,
                        index + 1
                    );
                }
            }
            return format!(
                "patch {} does not apply {direction}to {file} at line {line_no}; nothing was applied",
                self.name
            );
        }
        format!(
            "patch {} does not apply {direction}: {}; nothing was applied",
            self.name,
            stderr.trim()
        )
    }
}

fn hunk_starts(header: &str) -> Option<(u32, u32)> {
    let mut parts = header.split_whitespace().skip(1);
    let old = parts
        .next()?
        .strip_prefix('-')?
        .split(',')
        .next()?
        .parse()
        .ok()?;
    let new = parts
        .next()?
        .strip_prefix('+')?
        .split(',')
        .next()?
        .parse()
        .ok()?;
    Some((old, new))
}

/// The issue a `Fixes:` trailer names: `LuaJIT#N` for upstream's (by number
/// or URL), or `PROJECT#NAME` as written for one not reported upstream.
fn fixed_issue(patch: &str, value: &str) -> Result<String> {
    let number = value
        .rsplit(['/', '#'])
        .next()
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if let Some(number) = number {
        return Ok(format!("LuaJIT#{number}"));
    }
    let named = value.split_once('#').is_some_and(|(project, id)| {
        let word = |w: &str| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        };
        word(project) && word(id) && !project.eq_ignore_ascii_case("LuaJIT")
    });
    if named {
        return Ok(value.to_owned());
    }
    bail!(
        "{patch}: `Fixes: {value}` names no issue; write `Fixes: LuaJIT#NNNN`, or `Fixes: PROJECT#NAME` for a defect not reported upstream"
    )
}

/// Copies a LuaJIT tree, leaving out version control.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    copy_dir(from, to, false)
}

/// Copies a built tree with every file's modification time, so that make
/// sees its objects as up to date with their sources.
pub fn copy_keeping_times(from: &Path, to: &Path) -> Result<()> {
    copy_dir(from, to, true)
}

fn copy_dir(from: &Path, to: &Path, keep_times: bool) -> Result<()> {
    if to.exists() {
        fs::remove_dir_all(to).with_context(|| format!("cannot remove {}", to.display()))?;
    }
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".git" {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            copy_dir(&src, &dst, keep_times)?;
        } else if entry.file_type()?.is_file() {
            fs::copy(&src, &dst).with_context(|| format!("cannot copy {}", src.display()))?;
            if keep_times {
                let modified = entry.metadata()?.modified()?;
                fs::File::options()
                    .write(true)
                    .open(&dst)
                    .and_then(|file| file.set_modified(modified))
                    .with_context(|| format!("cannot set the time of {}", dst.display()))?;
            }
            // Registry sources are read-only; the copy is patched and built in place.
            let mut perms = fs::metadata(&dst)?.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            fs::set_permissions(&dst, perms)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunk_header_gives_both_start_lines() {
        assert_eq!(
            hunk_starts("@@ -132,17 +135,15 @@ static void emit_lso("),
            Some((132, 135))
        );
        assert_eq!(hunk_starts("@@ -1 +1 @@"), Some((1, 1)));
        assert_eq!(hunk_starts("@@ nonsense"), None);
    }

    #[test]
    fn project_series_names_what_it_fixes() {
        let series = Series::load(&crate::pipeline::project_root().join("patches")).unwrap();
        // Upstream order: each patch's context is the tree after the ones before it.
        let named: Vec<(usize, Vec<String>, Option<String>)> = series
            .patches
            .iter()
            .map(|p| (p.number, p.fixes.clone(), p.upstream.clone()))
            .collect();
        let expected = [
            ("LuaJIT#1028", "9493acc1"),
            ("LuaJIT#1056", "0fa2f1cb"),
            ("LuaJIT#1057", "7cc53f0b"),
            ("LuaJIT#1075", "b8c6ccd5"),
        ];
        assert_eq!(named.len(), expected.len());
        for ((number, fixes, upstream), (index, (issue, commit))) in
            named.iter().zip(expected.iter().enumerate())
        {
            assert_eq!(*number, index + 1);
            assert_eq!(fixes, &[issue.to_string()]);
            assert_eq!(upstream.as_deref(), Some(*commit));
        }
        assert!(
            series
                .patches
                .iter()
                .all(|p| !p.subject.is_empty() && !p.subject.starts_with('['))
        );
    }

    #[test]
    fn folded_subject_and_both_fixes_forms_are_read() {
        let text = "Subject: [PATCH 1/4] ARM64: A long subject that git\n folds here.\n\nBody.\n\nFixes: LuaJIT#1028\nFixes: https://github.com/LuaJIT/LuaJIT/issues/1056\nUpstream: 9493acc1\n---\n--- a/src/a.c\n+++ b/src/a.c\n@@ -1 +1 @@\n-a\n+b\n";
        let patch = Patch::parse("p", Path::new("p"), text, text.as_bytes()).unwrap();
        assert_eq!(patch.subject, "ARM64: A long subject that git folds here.");
        assert_eq!(patch.fixes, ["LuaJIT#1028", "LuaJIT#1056"]);
        assert_eq!(patch.upstream.as_deref(), Some("9493acc1"));
        let bad = text.replace("Fixes: LuaJIT#1028", "Fixes: soon");
        let error = Patch::parse("p", Path::new("p"), &bad, bad.as_bytes())
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("`Fixes: soon` names no issue"), "{error}");
    }

    /// Two patches whose hunks share context, like #1028's and #1056's: the
    /// second changes the line just above the first's.
    const FIRST: &str = "Subject: [PATCH 1/2] First\n\nFixes: LuaJIT#1\n---\n--- a/src/a.c\n+++ b/src/a.c\n@@ -2,3 +2,3 @@\n two\n-three\n+THREE\n four\n";
    const SECOND: &str = "Subject: [PATCH 2/2] Second\n\nFixes: LuaJIT#2\n---\n--- a/src/a.c\n+++ b/src/a.c\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n THREE\n";

    fn two_patch_series(test: &str, tree_text: &str) -> (tempfile::TempDir, Series) {
        let dir = tempfile::Builder::new()
            .prefix(&format!("xtask-states-{test}-"))
            .tempdir()
            .unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("tree/src")).unwrap();
        fs::create_dir_all(root.join("series")).unwrap();
        fs::write(root.join("tree/src/a.c"), tree_text).unwrap();
        fs::write(root.join("series/0001-first.patch"), FIRST).unwrap();
        fs::write(root.join("series/0002-second.patch"), SECOND).unwrap();
        fs::write(
            root.join("series/series"),
            "0001-first.patch\n0002-second.patch\n",
        )
        .unwrap();
        let series = Series::load(&root.join("series")).unwrap();
        (dir, series)
    }

    #[test]
    fn each_patch_state_is_decided_on_its_own() {
        use PatchState::{AlreadyIn, Applies};
        let sh = Shell::new().unwrap();
        for (test, tree_text, expected) in [
            ("none", "one\ntwo\nthree\nfour\n", [Applies, Applies]),
            ("first", "one\ntwo\nTHREE\nfour\n", [AlreadyIn, Applies]),
            // The first reverses only after the second is taken out.
            ("both", "one\nTWO\nTHREE\nfour\n", [AlreadyIn, AlreadyIn]),
        ] {
            let (dir, series) = two_patch_series(test, tree_text);
            let root = dir.path();
            let tree = root.join("tree");
            let states = series.states(&sh, &tree, &root.join("scratch")).unwrap();
            assert_eq!(states, expected, "{test}");
            assert_eq!(fs::read_to_string(tree.join("src/a.c")).unwrap(), tree_text);
        }
    }

    #[test]
    fn a_patch_neither_in_nor_applying_is_named() {
        let sh = Shell::new().unwrap();
        let (dir, series) = two_patch_series("neither", "one\ntwo\n3\nfour\n");
        let root = dir.path();
        let error = series
            .states(&sh, &root.join("tree"), &root.join("scratch"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("0001-first.patch")
                && error.contains("hunk #1 `@@ -2,3 +2,3 @@`")
                && error.contains("not in the tree either"),
            "{error}"
        );
    }

    /// A scratch tree with one file, and a series folder holding `patch`.
    fn scratch(test: &str, patch: &str) -> (tempfile::TempDir, Series) {
        let dir = tempfile::Builder::new()
            .prefix(&format!("xtask-patch-{test}-"))
            .tempdir()
            .unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("tree/src")).unwrap();
        fs::create_dir_all(root.join("series")).unwrap();
        fs::write(
            root.join("tree/src/a.c"),
            "one\ntwo\nthree\nfour\nfive\nsix\nseven\n",
        )
        .unwrap();
        fs::write(root.join("series/0001-change.patch"), patch).unwrap();
        fs::write(root.join("series/series"), "0001-change.patch\n").unwrap();
        let series = Series::load(&root.join("series")).unwrap();
        (dir, series)
    }

    const GOOD: &str = "Subject: [PATCH] Change\n\nFixes: https://github.com/LuaJIT/LuaJIT/issues/42\n---\ndiff --git a/src/a.c b/src/a.c\n--- a/src/a.c\n+++ b/src/a.c\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n@@ -5,3 +5,3 @@\n five\n-six\n+SIX\n seven\n";

    #[test]
    fn good_patch_applies_and_reverses() {
        let (dir, series) = scratch("good", GOOD);
        let root = dir.path();
        let sh = Shell::new().unwrap();
        let tree = root.join("tree");
        series.apply(&sh, &tree, false).unwrap();
        assert_eq!(
            fs::read_to_string(tree.join("src/a.c")).unwrap(),
            "one\nTWO\nthree\nfour\nfive\nSIX\nseven\n"
        );
        series.apply(&sh, &tree, true).unwrap();
        assert_eq!(
            fs::read_to_string(tree.join("src/a.c")).unwrap(),
            "one\ntwo\nthree\nfour\nfive\nsix\nseven\n"
        );
        assert_eq!(series.fixes(), ["LuaJIT#42"]);
    }

    #[test]
    fn failing_hunk_is_named_and_nothing_is_applied() {
        let broken = GOOD.replace(" five\n-six", " FIVE\n-six");
        let (dir, series) = scratch("broken", &broken);
        let root = dir.path();
        let sh = Shell::new().unwrap();
        let error = series
            .apply(&sh, &root.join("tree"), false)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("0001-change.patch")
                && error.contains("src/a.c")
                && error.contains("hunk #2 `@@ -5,3 +5,3 @@`"),
            "{error}"
        );
        // The first hunk would have applied; git apply checks the whole patch first.
        assert_eq!(
            fs::read_to_string(root.join("tree/src/a.c")).unwrap(),
            "one\ntwo\nthree\nfour\nfive\nsix\nseven\n"
        );
    }

    #[test]
    fn path_outside_the_tree_is_refused() {
        let escaping = GOOD
            .replace("a/src/a.c", "a/../a.c")
            .replace("b/src/a.c", "b/../a.c");
        let (dir, series) = scratch("escape", &escaping);
        let root = dir.path();
        let sh = Shell::new().unwrap();
        let error = series
            .apply(&sh, &root.join("tree"), false)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("outside the LuaJIT tree") && error.contains("../a.c"),
            "{error}"
        );
    }
}
