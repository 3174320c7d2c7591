//! The upstream side of a bisection: which commit a published tree carries
//! (the `+hash` of its version), the first-parent commits between two of
//! them in an upstream LuaJIT git directory, and each commit's tree
//! exported for a build.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use serde::Serialize;

/// Where a published luajit-src tree comes from (see the facts file: the
/// crate vendored upstream in 210.0.0, OpenResty's luajit2 from 210.1.0 to
/// 210.4.8, upstream's v2.1 again from 210.5.0 on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Origin {
    #[serde(rename = "upstream")]
    Upstream,
    #[serde(rename = "openresty")]
    OpenResty,
}

/// The commit a published tree carries, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeCommit {
    pub origin: Origin,
    /// As the version abbreviates it.
    pub hash: String,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Origin::Upstream => "upstream LuaJIT",
            Origin::OpenResty => "OpenResty luajit2",
        }
    }
}

/// The commit a published version names after its `+`, and whose it is:
/// `210.6.5+7152e15` is upstream's 7152e15, `210.4.8+resty107baaf`
/// OpenResty's 107baaf.
pub fn tree_commit(version: &str) -> Option<TreeCommit> {
    let (_, metadata) = version.split_once('+')?;
    let (origin, hash) = match metadata.strip_prefix("resty") {
        Some(hash) => (Origin::OpenResty, hash),
        None => (Origin::Upstream, metadata),
    };
    Some(TreeCommit {
        origin,
        hash: hash.to_owned(),
    })
}

/// One upstream commit, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commit {
    pub hash: String,
    pub subject: String,
    /// Committer date, YYYY-MM-DD.
    pub date: String,
}

impl Commit {
    pub fn short(&self) -> &str {
        &self.hash[..self.hash.len().min(8)]
    }
}

/// An upstream LuaJIT git directory (a checkout or a bare clone).
pub struct Upstream {
    pub dir: PathBuf,
}

impl Upstream {
    /// Checks that `dir` is a git directory git can read.
    pub fn open(dir: &Path) -> Result<Upstream> {
        if !dir.is_dir() {
            bail!(
                "--luajit-git {}: no such directory; pass an upstream LuaJIT git checkout or bare clone",
                dir.display()
            );
        }
        let upstream = Upstream {
            dir: dir.to_owned(),
        };
        upstream.git(&["rev-parse", "--git-dir"]).with_context(|| {
            format!(
                "--luajit-git {}: not a git repository; pass an upstream LuaJIT checkout or bare clone",
                dir.display()
            )
        })?;
        Ok(upstream)
    }

    fn git(&self, args: &[&str]) -> Result<String> {
        let output = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .output()
            .context("cannot run git")?;
        if !output.status.success() {
            bail!(
                "`git -C {} {}` failed: {}",
                self.dir.display(),
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// The full hash of `commit` (an abbreviation), or why there is none.
    pub fn resolve(&self, commit: &str) -> Result<String> {
        self.git(&["rev-parse", "--verify", "--quiet", &format!("{commit}^{{commit}}")])
            .ok()
            .filter(|h| !h.is_empty())
            .with_context(|| {
                format!(
                    "commit {commit} is not in {} (is it an upstream LuaJIT clone, fetched recently enough?)",
                    self.dir.display()
                )
            })
    }

    pub fn is_ancestor(&self, older: &str, newer: &str) -> bool {
        self.git(&["merge-base", "--is-ancestor", older, newer])
            .is_ok()
    }

    pub fn describe(&self, hash: &str) -> Result<Commit> {
        let line = self.git(&["show", "-s", "--format=%H%x00%cs%x00%s", hash])?;
        let mut parts = line.splitn(3, '\0');
        Ok(Commit {
            hash: parts.next().unwrap_or(hash).to_owned(),
            date: parts.next().unwrap_or("").to_owned(),
            subject: parts.next().unwrap_or("").to_owned(),
        })
    }

    /// The first-parent commits after `good` up to `bad` that change src/,
    /// oldest first. Only src/ is built (`make -C src`), so a commit that
    /// leaves it alone has its parent's verdict and needs no build.
    pub fn commits_touching_src(&self, good: &str, bad: &str) -> Result<Vec<String>> {
        let range = format!("{good}..{bad}");
        let list = self.git(&[
            "rev-list",
            "--first-parent",
            "--reverse",
            &range,
            "--",
            "src",
        ])?;
        Ok(list.lines().map(str::to_owned).collect())
    }

    /// The commit's change to src/ as a mailbox patch (`git format-patch`),
    /// to be applied alone to a tree that lacks it.
    pub fn src_patch(&self, hash: &str) -> Result<String> {
        let patch = self.git(&[
            "format-patch",
            "-1",
            "--stdout",
            "--no-signature",
            hash,
            "--",
            "src",
        ])?;
        if !patch.contains("\ndiff --git ") {
            bail!("commit {hash} does not change src/");
        }
        // `git` trims the output; a patch ends with a newline.
        Ok(patch + "\n")
    }

    /// The commit's change to src/ undone, as a mailbox patch: to take a fix
    /// out of a tree that has it.
    pub fn src_revert_patch(&self, hash: &str) -> Result<String> {
        let diff = self.git(&["diff", hash, &format!("{hash}^"), "--", "src"])?;
        if diff.is_empty() {
            bail!("commit {hash} does not change src/");
        }
        let subject = self.git(&["show", "-s", "--format=%s", hash])?;
        Ok(format!(
            "From: rediscovery\nSubject: [PATCH] Revert \"{subject}\"\n\nThis reverts commit {hash} in src/.\n---\n{diff}\n"
        ))
    }

    /// What names the commit's src/ for the judgement cache: its git tree
    /// hash, so that commits with the same src/ share a verdict.
    pub fn src_tree(&self, hash: &str) -> Result<String> {
        self.git(&["rev-parse", &format!("{hash}:src")])
    }

    /// The commit's tree in `commits_dir/HASH` (made once, by `git archive`,
    /// which also fills in `.relver`, the rolling release's version).
    pub fn export(&self, hash: &str, commits_dir: &Path) -> Result<PathBuf> {
        let dir = commits_dir.join(hash);
        let done = dir.join(".exported");
        if done.is_file() {
            return Ok(dir);
        }
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let tar = commits_dir.join(format!("{hash}.tar"));
        self.git(&[
            "archive",
            "--format=tar",
            "-o",
            &tar.to_string_lossy(),
            hash,
        ])?;
        let untar = Command::new("tar")
            .arg("-xf")
            .arg(&tar)
            .arg("-C")
            .arg(&dir)
            .output()
            .context("cannot run tar")?;
        let _ = fs::remove_file(&tar);
        if !untar.status.success() {
            bail!(
                "cannot unpack the tree of {hash}: {}",
                String::from_utf8_lossy(&untar.stderr).trim()
            );
        }
        fs::write(&done, hash)?;
        Ok(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_name_their_commit_and_its_origin() {
        assert_eq!(
            tree_commit("210.6.5+7152e15"),
            Some(TreeCommit {
                origin: Origin::Upstream,
                hash: "7152e15".to_owned()
            })
        );
        assert_eq!(
            tree_commit("210.4.8+resty107baaf"),
            Some(TreeCommit {
                origin: Origin::OpenResty,
                hash: "107baaf".to_owned()
            })
        );
        assert_eq!(tree_commit("210.4.8"), None);
    }
}
