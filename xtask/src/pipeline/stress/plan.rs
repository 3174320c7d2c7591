//! Which programs a run takes: the plan
//! of a run and its shards, the programs written for it, and the merge of
//! a sharded run back into the whole.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use super::{StressReport, reach, reset_dir};
use crate::pipeline::program::generate::{self, Program, Rng};
pub use crate::pipeline::program::seed::{hex_seed, parse_seed, seed_text};

/// The seeds of a run's programs, drawn from the run's seed.
pub fn program_seeds(seed: u64, count: u32) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..count).map(|_| rng.next()).collect()
}

/// Which programs a run takes: the first `count` of `seed`, all of them or
/// one shard's share, so that runs can be split over machines and merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    #[serde(with = "hex_seed")]
    pub seed: u64,
    pub count: u32,
    pub shard: Shard,
}

/// Shard `index` of `of` (1-based) takes every program whose place in the
/// run is `index - 1` modulo `of`: a deterministic share, the same on every
/// machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub of: u32,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 1, of: 1 };

    pub fn takes(self, place: usize) -> bool {
        place % self.of as usize == (self.index - 1) as usize
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Shard, String> {
        let bad = || format!("--shard {text}: give K/N with 1 <= K <= N, e.g. 2/4");
        let (index, of) = text.split_once('/').ok_or_else(bad)?;
        let (index, of): (u32, u32) = (
            index.trim().parse().map_err(|_| bad())?,
            of.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || of == 0 || index > of {
            return Err(bad());
        }
        Ok(Shard { index, of })
    }
}

impl Plan {
    pub fn whole(seed: u64, count: u32) -> Plan {
        Plan {
            seed,
            count,
            shard: Shard::WHOLE,
        }
    }

    /// The folder name of the run: `seed-0xS-count-N`, plus `-shard-K-of-M`.
    pub fn label(&self) -> String {
        let mut label = format!("seed-{}-count-{}", seed_text(self.seed), self.count);
        if self.shard != Shard::WHOLE {
            label.push_str(&format!("-shard-{}-of-{}", self.shard.index, self.shard.of));
        }
        label
    }
}

/// A program written for a run.
pub struct Written {
    /// Its place in the whole run.
    pub index: usize,
    pub path: PathBuf,
    pub program: Program,
}

/// Writes the programs of `plan` into a fresh `dir`, named by their place in
/// the whole run (`p00000.lua`, ...).
pub fn write_programs(dir: &Path, plan: Plan) -> Result<Vec<Written>> {
    reset_dir(dir)?;
    let mut written = Vec::new();
    for (index, program_seed) in program_seeds(plan.seed, plan.count).into_iter().enumerate() {
        if !plan.shard.takes(index) {
            continue;
        }
        let program = generate::program(program_seed);
        let path = dir.join(format!("p{index:05}.lua"));
        fs::write(&path, program.render())
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(Written {
            index,
            path,
            program,
        });
    }
    Ok(written)
}

/// Combines the runs of the shards of one plan on one variant into the
/// run the whole plan gives: its findings in run order, its traces and
/// reach summed. Every shard must be there once.
pub fn merge(mut shards: Vec<StressReport>) -> Result<StressReport> {
    let Some(first) = shards.first() else {
        anyhow::bail!("nothing to merge");
    };
    let (variant, seed, count, of) = (
        first.variant.clone(),
        first.plan.seed,
        first.plan.count,
        first.plan.shard.of,
    );
    for shard in &shards {
        if shard.variant != variant || shard.plan.seed != seed || shard.plan.count != count {
            anyhow::bail!(
                "cannot merge {} ({}) with {variant} (seed-{seed}-count-{count}): another variant or plan",
                shard.variant,
                shard.plan.label()
            );
        }
    }
    shards.sort_by_key(|s| s.plan.shard.index);
    let indices: Vec<u32> = shards.iter().map(|s| s.plan.shard.index).collect();
    if shards.iter().any(|s| s.plan.shard.of != of) || indices != (1..=of).collect::<Vec<_>>() {
        anyhow::bail!(
            "{variant}: the shards given are {indices:?} of {of}; give each of 1..={of} once"
        );
    }
    let mut merged = shards[0].clone();
    merged.plan = Plan::whole(seed, count);
    merged.first_finding_seconds = None;
    let mut held: std::collections::BTreeMap<String, u64> = merged
        .reach
        .iter()
        .map(|r| (r.opcode.clone(), r.traces))
        .collect();
    for shard in &shards[1..] {
        merged.programs += shard.programs;
        merged.traces += shard.traces;
        merged.run_seconds += shard.run_seconds;
        merged.seconds += shard.seconds;
        merged.findings.extend(shard.findings.iter().cloned());
        for reach in &shard.reach {
            *held.entry(reach.opcode.clone()).or_default() += reach.traces;
        }
    }
    let needed: Vec<String> = merged.reach.iter().map(|r| r.opcode.clone()).collect();
    merged.reach = reach::table(&needed, &held);
    merged.unreached = reach::missed(&merged.reach);
    merged.findings.sort_by_key(|f| f.index);
    Ok(merged)
}

/// Version of the `--json` document, raised when its shape changes.
pub const JSON_VERSION: u32 = 1;

/// What `cargo xtask stress --json` prints and `--merge` reads.
#[derive(Serialize, Deserialize)]
pub struct Runs {
    pub schema_version: u32,
    pub runs: Vec<StressReport>,
    /// The backend's coverage, with `--coverage` (a `coverage::Coverage`,
    /// which the stress run itself does not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<serde_json::Value>,
}

impl Runs {
    pub fn new(runs: Vec<StressReport>) -> Runs {
        Runs {
            schema_version: JSON_VERSION,
            runs,
            coverage: None,
        }
    }

    /// The document as `--json` prints it.
    pub fn json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// Reads a `--json` output, refusing other documents and other schema versions.
    pub fn read(file: &Path) -> Result<Runs> {
        let text =
            fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        let runs: Runs = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not the output of `cargo xtask stress --json`",
                file.display()
            )
        })?;
        if runs.schema_version != JSON_VERSION {
            anyhow::bail!(
                "{} has schema_version {}, this toolkit reads {JSON_VERSION}",
                file.display(),
                runs.schema_version
            );
        }
        Ok(runs)
    }
}

/// The shards' `--json` files merged: runs grouped by variant (in order of
/// first appearance), each group merged; and each shard's coverage, when it
/// has one, for the caller to merge.
pub fn merge_documents(files: &[PathBuf]) -> Result<(Vec<StressReport>, Vec<serde_json::Value>)> {
    let mut by_variant: Vec<(String, Vec<StressReport>)> = Vec::new();
    let mut coverage = Vec::new();
    for file in files {
        let document = Runs::read(file)?;
        coverage.extend(document.coverage);
        for run in document.runs {
            match by_variant.iter_mut().find(|(v, _)| *v == run.variant) {
                Some((_, group)) => group.push(run),
                None => by_variant.push((run.variant.clone(), vec![run])),
            }
        }
    }
    let runs = by_variant
        .into_iter()
        .map(|(_, group)| merge(group))
        .collect::<Result<Vec<_>>>()?;
    Ok((runs, coverage))
}
