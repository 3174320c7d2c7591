//! The files the sweep's write step produces, all under `docs/`: the short
//! table a user reads (between the sweep markers of
//! `docs/affected-versions.md`), the evidence behind each row
//! (`docs/sweep-evidence.md`), the data (`docs/sweep/sweep.json`, the
//! sweep as `--json` prints it, which `audit` answers from) and one OSV
//! record per known defect (`docs/osv/ID.json`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use super::osv::{self, ID_PREFIX};
use super::{Sweep, render};
use crate::pipeline::stress::Shard;
use crate::pipeline::write_marked_block;

/// Where each file goes, relative to the project root.
pub const AFFECTED_VERSIONS: &str = "docs/affected-versions.md";
pub const EVIDENCE: &str = "docs/sweep-evidence.md";
pub const DATA: &str = "docs/sweep/sweep.json";
pub const OSV_DIR: &str = "docs/osv";

/// Writes every file from `sweep`, under `root`, and returns their paths.
/// A shard is not the whole sweep, and a document without a catalogue
/// cannot answer `audit`: both are refused before anything is written.
pub fn write(root: &Path, sweep: &Sweep) -> Result<Vec<PathBuf>> {
    if sweep.shard != Shard::WHOLE {
        bail!(
            "this is shard {}/{} of a sweep, not the whole of it; combine the shards with `cargo xtask sweep --merge FILE... --write-docs`",
            sweep.shard.index,
            sweep.shard.of
        );
    }
    // The records check the data (a catalogue, a date) before a file changes.
    let records = osv::records(sweep)?;
    let mut written = Vec::new();

    let table = root.join(AFFECTED_VERSIONS);
    write_marked_block(
        &table,
        "sweep",
        "the table",
        &render::affected_versions_block(sweep),
    )?;
    written.push(table);

    let evidence = root.join(EVIDENCE);
    write_file(&evidence, &render::evidence(sweep))?;
    written.push(evidence);

    let data = root.join(DATA);
    write_file(&data, &(serde_json::to_string_pretty(sweep)? + "\n"))?;
    written.push(data);

    let osv_dir = root.join(OSV_DIR);
    fs::create_dir_all(&osv_dir).with_context(|| format!("cannot create {}", osv_dir.display()))?;
    let names: Vec<String> = records.iter().map(|r| format!("{}.json", r.id)).collect();
    // A defect that left the catalogue takes its record with it.
    for entry in
        fs::read_dir(&osv_dir).with_context(|| format!("cannot read {}", osv_dir.display()))?
    {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let ours = name.starts_with(&format!("{ID_PREFIX}-")) && name.ends_with(".json");
        if ours && !names.iter().any(|n| n == name) {
            fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    for (record, name) in records.iter().zip(&names) {
        let path = osv_dir.join(name);
        write_file(&path, &(serde_json::to_string_pretty(record)? + "\n"))?;
        written.push(path);
    }
    Ok(written)
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::catalogue::Fix;
    use crate::pipeline::sweep::{Defect, Row, SCHEMA_VERSION, read};

    fn sweep() -> Sweep {
        Sweep {
            schema_version: SCHEMA_VERSION,
            shard: Shard::WHOLE,
            trees: 1,
            all_published: false,
            stress_seed: 1,
            stress_count: 40,
            rows: vec![Row::judged(
                "luajit-src 210.7.2+b925b3e",
                &["LuaJIT#1480"],
                &[],
            )],
            seconds: 1.0,
            catalogue: vec![Defect {
                issue: "LuaJIT#1480".to_owned(),
                title: "a defect".to_owned(),
                fixes: vec![Fix::Upstream("acb22349".to_owned())],
                cases: vec!["lj1480_const_shift64".to_owned()],
                fails_on: contract::case::Tree {
                    version: "210.7.2+b925b3e".to_owned(),
                    series: None,
                },
                passes_on: contract::case::Tree {
                    version: "210.7.3+1ee778a".to_owned(),
                    series: None,
                },
                in_vm: false,
            }],
            swept_on: Some(jiff::civil::date(2026, 12, 7)),
            source: None,
        }
    }

    #[test]
    fn the_write_step_writes_the_table_the_evidence_the_data_and_the_records() {
        let root = tempfile::tempdir().unwrap();
        let docs = root.path().join("docs");
        fs::create_dir_all(docs.join("osv")).unwrap();
        fs::write(
            root.path().join(AFFECTED_VERSIONS),
            "# Affected\n\n<!-- sweep:start -->\nold\n<!-- sweep:end -->\n\nAfter.\n",
        )
        .unwrap();
        let stale = docs.join("osv").join(format!("{ID_PREFIX}-GONE.json"));
        let foreign = docs.join("osv").join("README.md");
        fs::write(&stale, "{}").unwrap();
        fs::write(&foreign, "kept").unwrap();

        let written = write(root.path(), &sweep()).unwrap();
        assert_eq!(written.len(), 4);
        let table = fs::read_to_string(root.path().join(AFFECTED_VERSIONS)).unwrap();
        assert!(table.starts_with("# Affected\n\n<!-- sweep:start -->\nSwept 2026-12-07"));
        assert!(
            table.contains(
                "| 210.7.2+b925b3e | LuaJIT#1480 | yes |\n<!-- sweep:end -->\n\nAfter.\n"
            )
        );
        let data = read(&root.path().join(DATA)).unwrap();
        assert_eq!(data.rows, sweep().rows);
        assert_eq!(data.catalogue, sweep().catalogue);
        assert!(root.path().join(EVIDENCE).is_file());
        assert!(
            docs.join("osv/LUAJIT-ARM64-VERIFY-LUAJIT-1480.json")
                .is_file()
        );
        assert!(!stale.exists() && foreign.exists());
    }

    #[test]
    fn a_shard_or_a_sweep_without_a_catalogue_writes_nothing() {
        let root = tempfile::tempdir().unwrap();
        let mut shard = sweep();
        shard.shard = Shard { index: 1, of: 2 };
        assert!(write(root.path(), &shard).is_err());
        let mut old = sweep();
        old.catalogue.clear();
        assert!(write(root.path(), &old).is_err());
        assert!(!root.path().join("docs").exists());
    }
}
