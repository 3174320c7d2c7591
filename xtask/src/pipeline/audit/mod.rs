//! The audit: which known defects the LuaJIT a Cargo.lock pins carries.
//! Every `luajit-src` package of the lockfile is looked up in the sweep's
//! data (`docs/sweep/sweep.json`, written by `cargo xtask sweep
//! --write-docs`): no build, no network. A version the data lacks, or a
//! `luajit-src` from elsewhere than crates.io, has no answer, and the
//! answer says which sweep would give one. `render` writes the text.

pub mod render;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use cargo_lock::Lockfile;
use serde::Serialize;

use super::sweep::{self, Defect, Row, Sweep};
use super::verdict::Answer;

/// The crate whose tree is LuaJIT.
const CRATE: &str = "luajit-src";

/// What to audit, with what.
pub struct Options {
    pub lockfile: PathBuf,
    /// The sweep's data: docs/sweep/sweep.json unless told otherwise.
    pub data: PathBuf,
}

/// The answer for every `luajit-src` of one lockfile.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub lockfile: PathBuf,
    pub data: PathBuf,
    /// When and by which code the data was swept, and over which trees.
    pub swept_on: Option<jiff::civil::Date>,
    pub source: Option<String>,
    pub all_published: bool,
    pub entries: Vec<Entry>,
}

/// One `luajit-src` package of the lockfile.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub version: String,
    /// Where cargo takes it from, as the lockfile says (`registry+https://...`).
    pub source: Option<String>,
    /// `affected`, `not affected` or `could not tell`.
    #[serde(with = "super::label")]
    pub answer: Answer,
    /// The known defects the sweep found on this version.
    pub defects: Vec<Carried>,
    /// The known defects the sweep could not tell of on this version.
    pub could_not_tell: Vec<String>,
    /// Why there is no full answer (the data lacks the version, the tree
    /// could not be swept, it is not the published crate).
    pub reason: Option<String>,
    /// The command that would judge this version.
    pub sweep_command: Option<String>,
}

/// A known defect a version carries, as the catalogue has it.
#[derive(Debug, Clone, Serialize)]
pub struct Carried {
    #[serde(flatten)]
    pub defect: Defect,
    /// Links to the upstream commits of the fix.
    pub fix_links: Vec<String>,
    /// The oldest swept version newer than this one that the sweep found
    /// free of it (an upgrade that leaves it behind), if any.
    pub first_swept_without: Option<String>,
}

/// Reads the lockfile and the sweep's data and answers for every
/// `luajit-src` the lockfile holds.
pub fn audit(options: &Options) -> Result<Audit> {
    let packages = locked(&options.lockfile)?;
    let data = read_data(&options.data)?;
    let entries = packages
        .iter()
        .map(|package| entry(&data, package))
        .collect::<Result<Vec<_>>>()?;
    Ok(Audit {
        lockfile: options.lockfile.clone(),
        data: options.data.clone(),
        swept_on: data.swept_on,
        source: data.source.clone(),
        all_published: data.all_published,
        entries,
    })
}

/// Every `luajit-src` package of a Cargo.lock; a file that is no lockfile
/// is an error saying what is wrong with it.
pub fn locked(lockfile: &Path) -> Result<Vec<cargo_lock::Package>> {
    let text = std::fs::read_to_string(lockfile).with_context(|| {
        format!(
            "cannot read the lockfile {} (run audit in a Rust project's folder, or give the lockfile's path)",
            lockfile.display()
        )
    })?;
    let parsed: Lockfile = text
        .parse()
        .map_err(|error: cargo_lock::Error| anyhow::anyhow!("{error}"))
        .with_context(|| {
            format!(
                "{} is not a Cargo.lock (give the Cargo.lock of a Rust project: cargo writes it beside Cargo.toml, `cargo generate-lockfile` makes one)",
                lockfile.display()
            )
        })?;
    Ok(parsed
        .packages
        .into_iter()
        .filter(|p| p.name.as_str() == CRATE)
        .collect())
}

/// The sweep's data, which must hold the catalogue `audit` answers with.
pub fn read_data(path: &Path) -> Result<Sweep> {
    if !path.exists() {
        bail!(
            "no sweep data at {}: `cargo xtask sweep --all-published --write-docs` writes it",
            path.display()
        );
    }
    let data = sweep::read(path)?;
    if data.catalogue.is_empty() {
        bail!(
            "{} has no catalogue of the known defects (written before the sweep kept one); write it again with `cargo xtask sweep --merge {} --write-docs` after sweeping again",
            path.display(),
            path.display()
        );
    }
    Ok(data)
}

fn entry(data: &Sweep, package: &cargo_lock::Package) -> Result<Entry> {
    let version = package.version.to_string();
    let source = package.source.as_ref().map(|s| s.to_string());
    let unanswered = |reason: String, command: String| Entry {
        version: version.clone(),
        source: source.clone(),
        answer: Answer::CouldNotTell,
        defects: Vec::new(),
        could_not_tell: Vec::new(),
        reason: Some(reason),
        sweep_command: Some(command),
    };
    if !package
        .source
        .as_ref()
        .is_some_and(|s| s.is_default_registry())
    {
        return Ok(unanswered(
            format!(
                "not the published crate: cargo takes it from {}, so its tree may be any LuaJIT",
                source.as_deref().unwrap_or("a local path")
            ),
            "cargo xtask sweep --luajit-dir DIR  # DIR: the luajit2/ folder of that luajit-src"
                .to_owned(),
        ));
    }
    let command = format!("cargo xtask sweep --luajit-src {version}");
    let Some(row) = data
        .rows
        .iter()
        .find(|r| r.tree == format!("{CRATE} {version}"))
    else {
        return Ok(unanswered(
            format!("the sweep's data has no row for {CRATE} {version}"),
            command,
        ));
    };
    if let Some(error) = &row.error {
        return Ok(unanswered(
            format!(
                "the sweep could not judge it: {}",
                error.lines().next().unwrap_or("")
            ),
            command,
        ));
    }
    let defects = row
        .affected
        .iter()
        .map(|issue| {
            let defect = data
                .catalogue
                .iter()
                .find(|d| &d.issue == issue)
                .with_context(|| {
                    format!("the sweep's data finds {issue} on {CRATE} {version}, but its catalogue lacks {issue}")
                })?;
            Ok(Carried {
                fix_links: defect.fix_links(),
                first_swept_without: first_without(data, &package.version, issue),
                defect: defect.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let answer = if !defects.is_empty() {
        Answer::Affected
    } else if !row.could_not_tell.is_empty() {
        Answer::CouldNotTell
    } else {
        Answer::NotAffected
    };
    Ok(Entry {
        reason: (answer == Answer::CouldNotTell).then(|| {
            "the sweep could not tell of some known defects on it (sweep-evidence.md says why)"
                .to_owned()
        }),
        sweep_command: (answer == Answer::CouldNotTell).then_some(command),
        version,
        source,
        answer,
        defects,
        could_not_tell: row.could_not_tell.clone(),
    })
}

/// The oldest swept published version above `version` on which the sweep
/// judged `issue` not affected.
fn first_without(data: &Sweep, version: &cargo_lock::Version, issue: &str) -> Option<String> {
    let free = |row: &Row| row.error.is_none() && row.not_affected.iter().any(|i| i == issue);
    data.rows
        .iter()
        .filter(|row| free(row))
        .filter_map(|row| {
            let swept = row.tree.strip_prefix(&format!("{CRATE} "))?;
            cargo_lock::Version::parse(swept).ok()
        })
        .filter(|swept| swept.cmp_precedence(version).is_gt())
        .min_by(|a, b| a.cmp_precedence(b))
        .map(|v| v.to_string())
}

impl Audit {
    /// The entries with this answer.
    pub fn with(&self, answer: Answer) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.answer == answer)
    }
}

#[cfg(test)]
mod tests;
