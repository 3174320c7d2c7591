//! Plain-text tables for the terminal: the case × variant table `check`
//! and `verify` print, and the column layout every terminal table shares.

use serde::Serialize;

use crate::pipeline::suite::outcome::{CaseResult, Outcome};

#[derive(Serialize)]
pub struct CaseRow {
    pub name: String,
    pub pins: Vec<String>,
    pub outcomes: Vec<VariantOutcome>,
}

#[derive(Serialize)]
pub struct VariantOutcome {
    pub variant: String,
    pub outcome: Outcome,
}

/// Rows of case × variant from per-variant results (same cases, same order).
pub fn case_rows(variants: &[(&str, &[CaseResult])]) -> Vec<CaseRow> {
    let Some((_, first)) = variants.first() else {
        return Vec::new();
    };
    first
        .iter()
        .map(|case| CaseRow {
            name: case.name.clone(),
            pins: case.pins.clone(),
            outcomes: variants
                .iter()
                .filter_map(|(variant, results)| {
                    results
                        .iter()
                        .find(|r| r.name == case.name)
                        .map(|r| VariantOutcome {
                            variant: variant.to_string(),
                            outcome: r.outcome.clone(),
                        })
                })
                .collect(),
        })
        .collect()
}

/// The case × variant table for the terminal.
pub fn case_table(rows: &[CaseRow]) -> String {
    let Some(first) = rows.first() else {
        return String::new();
    };
    let mut lines: Vec<Vec<String>> = vec![
        std::iter::once("case".to_owned())
            .chain(first.outcomes.iter().map(|o| o.variant.clone()))
            .collect(),
    ];
    for row in rows {
        lines.push(
            std::iter::once(row.name.clone())
                .chain(row.outcomes.iter().map(|o| o.outcome.summary()))
                .collect(),
        );
    }
    columns(&lines)
}

/// Rows of cells as left-aligned columns two spaces apart, each line's
/// trailing space trimmed; a column is as wide as its widest cell in
/// characters.
pub fn columns(lines: &[Vec<String>]) -> String {
    let columns = lines.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            lines
                .iter()
                .map(|l| l.get(c).map_or(0, |cell| cell.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for line in lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}
