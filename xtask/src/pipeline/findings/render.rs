//! The store as a table and as JSON.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use serde_json::json;

use super::{Entry, Match, SCHEMA_VERSION};

/// One line per entry, new ones first, and where their files are.
pub fn table(store: &Path, entries: &[Entry]) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        outln!(
            out,
            "The findings store {} is empty: `cargo xtask stress` and `report` add to it.",
            store.display()
        );
        return out;
    }
    let new = entries.iter().filter(|e| e.is_open_new()).count();
    outln!(
        out,
        "{} findings in {} ({new} new, {} known, not checked or dismissed)\n",
        entries.len(),
        store.display(),
        entries.len() - new
    );
    let rows: Vec<[String; 8]> = entries
        .iter()
        .map(|e| {
            [
                e.id.clone(),
                e.label(),
                e.kind.clone(),
                e.count.to_string(),
                e.runs.len().to_string(),
                trees(e),
                e.shrunk_lines.map_or_else(
                    || format!("{} lines", e.program_lines),
                    |n| format!("{n} lines"),
                ),
                e.last_seen.strftime("%Y-%m-%d %H:%M").to_string(),
            ]
        })
        .collect();
    let header = [
        "id",
        "match",
        "kind",
        "programs",
        "runs",
        "trees",
        "reproducer",
        "last seen",
    ];
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[&str]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    outln!(out, "{}", line(&header));
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        outln!(out, "{}", line(&cells));
    }
    outln!(out);
    for entry in entries {
        outln!(out, "{}: {}", entry.id, entry.signature);
        outln!(out, "    {}", entry.difference);
        if let Match::New { checked } = &entry.matched
            && !checked.is_empty()
        {
            outln!(out, "    checked against: {}", checked.join(", "));
        }
        if let Some(why) = &entry.dismissed {
            outln!(out, "    dismissed: {why}");
        }
        if let Some(draft) = &entry.draft {
            outln!(out, "    draft: {}", draft.display());
        }
    }
    outln!(
        out,
        "\nEach entry's folder holds program.lua and, where one was made, shrunk.lua; `cargo xtask report {}/ID/shrunk.lua --luajit-src V` drafts an upstream issue from it.",
        store.display()
    );
    out
}

/// The trees an entry was seen on, in a cell of at most `TREES_WIDTH`
/// characters (a probed binary is named by its path); `--json` has them all.
fn trees(entry: &Entry) -> String {
    const TREES_WIDTH: usize = 48;
    let names: Vec<&str> = entry
        .trees
        .iter()
        .map(|t| t.tree.strip_prefix("luajit-src ").unwrap_or(&t.tree))
        .collect();
    let Some(first) = names.first() else {
        return String::new();
    };
    let more = match names.len() {
        1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    let room = TREES_WIDTH.saturating_sub(more.len());
    let first: String = match first.chars().count() > room {
        true => {
            let tail: String = first.chars().rev().take(room.saturating_sub(1)).collect();
            format!("…{}", tail.chars().rev().collect::<String>())
        }
        false => (*first).to_owned(),
    };
    format!("{first}{more}")
}

/// The store as one JSON document: each entry with the paths of its files.
pub fn json(store: &Path, entries: &[Entry]) -> Result<String> {
    let entries: Vec<serde_json::Value> = entries
        .iter()
        .map(|entry| {
            let home = store.join(&entry.id);
            let mut value = serde_json::to_value(entry).expect("an entry serialises");
            let shrunk = home.join("shrunk.lua");
            value["program_path"] = json!(home.join("program.lua"));
            value["shrunk_path"] = json!(shrunk.is_file().then_some(shrunk));
            value["matches"] = json!(entry.matched.issues());
            value
        })
        .collect();
    Ok(serde_json::to_string_pretty(&json!({
        "schema_version": SCHEMA_VERSION,
        "store": store,
        "entries": entries,
    }))?)
}
