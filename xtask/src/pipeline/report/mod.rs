//! The evidence: a case × variant table for the terminal, and
//! target/evidence/report.md and report.json for an upstream pull request.
//! This file holds report.json's types and writes the files; `markdown`
//! renders report.md, `table` the terminal tables.

mod markdown;
pub mod table;
#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Serialize;

pub use super::Timing;
pub use super::evidence::{Identity, IssueEvidence};
use super::expect::Expectation;
use super::fetch::Source;
use super::stress::{Bucket, StressReport, seed_text};
use super::suite::outcome::{LsoReport, Outcome};
use super::variants::{BASELINE, PATCHED};

/// The layout of report.json; raised whenever a field changes meaning,
/// moves or goes (docs/report.md, "report.json").
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub verdict: Verdict,
    /// What pins down the tree and the tools.
    pub identity: Identity,
    pub tree: Source,
    /// How the baseline and the patched variant were made from the tree.
    pub mode: String,
    pub patches: Vec<PatchInfo>,
    /// Per upstream issue the series fixes, the case that shows it.
    pub issues: Vec<IssueEvidence>,
    pub toolchain: Vec<NameValue>,
    pub variants: Vec<VariantInfo>,
    pub cases: Vec<CaseRow>,
    /// The exhaustive emit_lso check, per variant.
    pub lso: Vec<VariantLso>,
    /// The stress runs, per variant.
    pub stress: Vec<StressReport>,
    /// Each run's findings grouped by signature and fixing patch.
    pub stress_buckets: Vec<VariantBuckets>,
    /// The machine-code diff of the default workload.
    pub mcode: Option<crate::pipeline::mcode::McodeDiff>,
    /// The checks after each patch of the series in turn.
    pub attribution: Option<super::attribution::Attribution>,
    /// What the exhaustive check cannot see and which check covers it.
    pub lso_limits: String,
    pub checks: Vec<Expectation>,
    pub timings: Vec<Timing>,
    /// Steps whose results were reused from an earlier run with the same
    /// inputs, with the time they took then.
    pub reused: Vec<super::cache::Reused>,
    /// The xtask command that redoes each part of the report on its own.
    pub reproduce: Vec<Redo>,
    pub commands: Vec<String>,
    /// The project root, taken out of every path written.
    #[serde(skip)]
    pub root: PathBuf,
}

#[derive(Serialize)]
pub struct Verdict {
    pub ok: bool,
    /// One sentence, scoped to what was checked: summary.md opens with it.
    pub headline: String,
    pub summary: String,
}

#[derive(Serialize)]
pub struct NameValue {
    pub name: String,
    pub value: String,
}

#[derive(Serialize)]
pub struct VariantLso {
    pub variant: String,
    pub report: LsoReport,
}

#[derive(Serialize)]
pub struct VariantBuckets {
    pub variant: String,
    pub buckets: Vec<Bucket>,
}

#[derive(Serialize)]
pub struct Redo {
    pub what: String,
    pub command: String,
}

#[derive(Serialize)]
pub struct PatchInfo {
    pub name: String,
    pub subject: String,
    pub sha256: String,
    pub fixes: Vec<String>,
    /// The upstream commit of the same fix, from the `Upstream:` trailer.
    pub upstream: Option<String>,
    /// Applied, already in and skipped, or reversed for the baseline.
    pub state: String,
}

#[derive(Serialize)]
pub struct VariantInfo {
    pub name: String,
    pub dir: PathBuf,
    pub rebuilt: bool,
    pub build_seconds: f64,
}

impl Report {
    /// Writes summary.md, report.md and report.json into `dir`, each through
    /// a temporary file and a rename so an interrupted run keeps the
    /// previous report.
    pub fn write(&self, dir: &Path, summary: &str) -> Result<Written> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let written = Written {
            summary: dir.join("summary.md"),
            markdown: dir.join("report.md"),
            json: dir.join("report.json"),
        };
        let markdown = self.markdown();
        write_atomically(&written.summary, summary.as_bytes())?;
        write_atomically(&written.markdown, markdown.as_bytes())?;
        let json = serde_json::to_string_pretty(&self.json()?)?;
        write_atomically(&written.json, json.as_bytes())?;
        Ok(written)
    }

    /// report.json as written: every duration in seconds, every path under
    /// the project root relative to it.
    pub fn json(&self) -> Result<serde_json::Value> {
        let mut value = serde_json::to_value(self)?;
        normalise_json(&mut value, &|text| self.relative(text));
        Ok(value)
    }

    /// `text` with the project root taken out of every path in it, and
    /// Cargo's and rustup's homes named by their variables: both differ
    /// from machine to machine.
    pub fn relative(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (variable, default) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
            let home = std::env::var(variable).ok().or_else(|| {
                std::env::var("HOME")
                    .ok()
                    .map(|h| format!("{}/{default}", h.trim_end_matches('/')))
            });
            if let Some(home) = home.filter(|h| h.len() > 1) {
                text = text.replace(&home, &format!("${variable}"));
            }
        }
        let root = self.root.display().to_string();
        if root.is_empty() || root == "/" {
            return text;
        }
        text.replace(&format!("{root}/"), "").replace(&root, ".")
    }
}

/// The paths written
pub struct Written {
    pub summary: PathBuf,
    pub markdown: PathBuf,
    pub json: PathBuf,
}

/// Makes report.json self-consistent for readers: a duration is in
/// seconds wherever it is (the suite's own records count milliseconds:
/// `millis` becomes `seconds`, `took_millis` `took_seconds`), and `text`
/// rewrites every string (paths relative to the project).
fn normalise_json(value: &mut serde_json::Value, text: &dyn Fn(&str) -> String) {
    use serde_json::Value;
    match value {
        Value::String(s) => *s = text(s),
        Value::Array(items) => items.iter_mut().for_each(|v| normalise_json(v, text)),
        Value::Object(map) => {
            // Rebuilt in order: fields stay where the types declare them.
            let mut out = serde_json::Map::new();
            for (key, mut entry) in std::mem::take(map) {
                if let Some(stem) = key.strip_suffix("millis")
                    && let Some(ms) = entry.as_f64()
                {
                    out.insert(format!("{stem}seconds"), serde_json::json!(ms / 1000.0));
                    continue;
                }
                normalise_json(&mut entry, text);
                out.insert(key, entry);
            }
            *map = out;
        }
        _ => {}
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("cannot move {} into place", tmp.display()))
}

pub use table::{CaseRow, case_rows, case_table};
