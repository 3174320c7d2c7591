//! One OSV record (https://ossf.github.io/osv-schema/) per known defect of
//! the sweep's catalogue, for the crates.io package `luajit-src`: the
//! versions the sweep found it on, ranges where the sweep covered every
//! published version, the fix and the upstream issue. The records carry
//! the project's own id prefix; `cargo xtask test osv/schema` checks them
//! against OSV's JSON schema.

use std::cmp::Ordering;

use anyhow::{Result, bail};
use cargo_lock::Version;
use serde::{Deserialize, Serialize};

use super::{Defect, Row, Sweep};

/// The OSV schema version the records follow.
pub const OSV_SCHEMA_VERSION: &str = "1.7.3";

/// The project's own id prefix: its records are no other database's.
pub const ID_PREFIX: &str = "LUAJIT-ARM64-VERIFY";

const ECOSYSTEM: &str = "crates.io";
const PACKAGE: &str = "luajit-src";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub schema_version: String,
    pub id: String,
    pub modified: String,
    pub summary: String,
    pub details: String,
    pub affected: Vec<Affected>,
    pub references: Vec<Reference>,
    pub database_specific: RecordSpecific,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    pub package: Package,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    /// Every swept version the defect was found on.
    pub versions: Vec<String>,
    pub database_specific: AffectedSpecific,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Package {
    pub ecosystem: String,
    pub name: String,
    pub purl: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: String,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffectedSpecific {
    /// Swept versions on which the defect could not be told (a tree that
    /// did not build, a case that failed another way): neither listed as
    /// affected nor inside a range.
    pub could_not_tell: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(rename = "type")]
    pub kind: ReferenceKind,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReferenceKind {
    Report,
    Fix,
    Package,
}

/// The catalogue's entry and where the verdicts come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordSpecific {
    pub defect: Defect,
    pub swept_on: String,
    pub source: Option<String>,
    pub trees: usize,
    pub all_published: bool,
}

/// A defect's record id: the prefix and the issue id in capitals, e.g.
/// `LuaJIT#1075` is LUAJIT-ARM64-VERIFY-LUAJIT-1075.
pub fn record_id(issue: &str) -> String {
    let mut slug = String::new();
    for c in issue.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            slug.push(c.to_ascii_uppercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    format!("{ID_PREFIX}-{}", slug.trim_matches('-'))
}

/// What a row says of one defect.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Found {
    Affected,
    NotAffected,
    Unknown,
}

fn found(row: &Row, issue: &str) -> Found {
    let has = |list: &[String]| list.iter().any(|i| i == issue);
    if row.error.is_some() {
        Found::Unknown
    } else if has(&row.affected) {
        Found::Affected
    } else if has(&row.not_affected) {
        Found::NotAffected
    } else {
        Found::Unknown
    }
}

/// The published versions the sweep judged, in semver order, with their
/// rows; trees from folders are no crates.io version and are left out.
fn published(sweep: &Sweep) -> Vec<(Version, &Row)> {
    let mut versions: Vec<(Version, &Row)> = sweep
        .rows
        .iter()
        .filter_map(|row| {
            let version = row.tree.strip_prefix("luajit-src ")?;
            Some((Version::parse(version).ok()?, row))
        })
        .collect();
    versions.sort_by(|a, b| a.0.cmp_precedence(&b.0).then_with(|| a.0.cmp(&b.0)));
    versions
}

/// Ranges stand only where the sweep covered every published version, so
/// that no version between two it judged went unjudged, and where no two
/// versions differ by build metadata alone (semver gives them one place).
/// A run of affected versions ends with `fixed` at the next version when
/// that one was judged not affected, else with `last_affected`: nothing is
/// claimed of a version the sweep did not judge.
fn ranges(sweep: &Sweep, versions: &[(Version, &Row)], issue: &str) -> Vec<Range> {
    let distinct = versions
        .windows(2)
        .all(|w| w[0].0.cmp_precedence(&w[1].0) == Ordering::Less);
    if !sweep.all_published || !distinct {
        return Vec::new();
    }
    let mut ranges = Vec::new();
    let mut place = 0;
    while place < versions.len() {
        if found(versions[place].1, issue) != Found::Affected {
            place += 1;
            continue;
        }
        let start = place;
        while place + 1 < versions.len() && found(versions[place + 1].1, issue) == Found::Affected {
            place += 1;
        }
        let end = match versions.get(place + 1) {
            Some((next, row)) if found(row, issue) == Found::NotAffected => {
                Event::Fixed(next.to_string())
            }
            _ => Event::LastAffected(versions[place].0.to_string()),
        };
        ranges.push(Range {
            kind: "SEMVER".to_owned(),
            events: vec![Event::Introduced(versions[start].0.to_string()), end],
        });
        place += 1;
    }
    ranges
}

/// One record per defect of the sweep's catalogue.
pub fn records(sweep: &Sweep) -> Result<Vec<Record>> {
    if sweep.catalogue.is_empty() {
        bail!(
            "the sweep data has no catalogue (it was written before the sweep kept one); sweep again to write the OSV records"
        );
    }
    let Some(swept_on) = sweep.swept_on else {
        bail!(
            "the sweep data records no date (it was written before the sweep kept one); sweep again to write the OSV records"
        );
    };
    let versions = published(sweep);
    Ok(sweep
        .catalogue
        .iter()
        .map(|defect| record(sweep, &swept_on.to_string(), &versions, defect))
        .collect())
}

fn record(sweep: &Sweep, swept_on: &str, versions: &[(Version, &Row)], defect: &Defect) -> Record {
    let of = |wanted: Found| -> Vec<String> {
        versions
            .iter()
            .filter(|(_, row)| found(row, &defect.issue) == wanted)
            .map(|(version, _)| version.to_string())
            .collect()
    };
    let affected_versions = of(Found::Affected);
    let mut references: Vec<Reference> = defect
        .issue_url()
        .into_iter()
        .map(|url| Reference {
            kind: ReferenceKind::Report,
            url,
        })
        .collect();
    references.extend(defect.fix_links().into_iter().map(|url| Reference {
        kind: ReferenceKind::Fix,
        url,
    }));
    references.push(Reference {
        kind: ReferenceKind::Package,
        url: format!("https://crates.io/crates/{PACKAGE}"),
    });
    Record {
        schema_version: OSV_SCHEMA_VERSION.to_owned(),
        id: record_id(&defect.issue),
        modified: format!("{swept_on}T00:00:00Z"),
        summary: defect.title.clone(),
        details: details(sweep, defect, affected_versions.len()),
        affected: vec![Affected {
            package: Package {
                ecosystem: ECOSYSTEM.to_owned(),
                name: PACKAGE.to_owned(),
                purl: format!("pkg:cargo/{PACKAGE}"),
            },
            ranges: ranges(sweep, versions, &defect.issue),
            versions: affected_versions,
            database_specific: AffectedSpecific {
                could_not_tell: of(Found::Unknown),
            },
        }],
        references,
        database_specific: RecordSpecific {
            defect: defect.clone(),
            swept_on: swept_on.to_owned(),
            source: sweep.source.clone(),
            trees: sweep.rows.len(),
            all_published: sweep.all_published,
        },
    }
}

fn details(sweep: &Sweep, defect: &Defect, found_on: usize) -> String {
    let reported = match defect.issue_url() {
        Some(link) => format!("Reported as {} ({link}).", defect.issue),
        None => format!("No upstream issue; the project names it {}.", defect.issue),
    };
    let coverage = if sweep.all_published {
        format!(
            "{found_on} of the {} published luajit-src versions",
            sweep.rows.len()
        )
    } else {
        format!(
            "{found_on} of the {} luajit-src trees it swept, not every published version",
            sweep.rows.len()
        )
    };
    format!(
        "{}.\n\n{reported} Fix: {}.\n\n`cargo xtask sweep` built each tree for aarch64 and \
         found the defect on {coverage}: there a regression case pinning it ({}) failed as its \
         header says, the exhaustive emit_lso check reported a defect class of it, or a stress \
         program differed until its patch alone was applied. Those versions are listed; a range \
         is given only when every published version was swept.",
        defect.title,
        defect.fix_line(),
        defect.cases.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::catalogue::Fix;
    use crate::pipeline::stress::Shard;

    fn tree(version: &str) -> contract::case::Tree {
        contract::case::Tree {
            version: version.to_owned(),
            series: None,
        }
    }

    fn row(version: &str, affected: &[&str], not_affected: &[&str]) -> Row {
        Row::judged(&format!("luajit-src {version}"), affected, not_affected)
    }

    fn defect(issue: &str) -> Defect {
        Defect {
            issue: issue.to_owned(),
            title: "ARM64: a defect".to_owned(),
            fixes: vec![Fix::Upstream("acb22349".to_owned())],
            cases: vec!["a".to_owned()],
            fails_on: tree("210.7.2+b925b3e"),
            passes_on: tree("210.7.3+1ee778a"),
            in_vm: false,
        }
    }

    fn sweep(rows: Vec<Row>, all_published: bool) -> Sweep {
        Sweep {
            schema_version: super::super::SCHEMA_VERSION,
            shard: Shard::WHOLE,
            trees: rows.len(),
            all_published,
            stress_seed: 1,
            stress_count: 40,
            rows,
            seconds: 1.0,
            catalogue: vec![defect("LuaJIT#1480")],
            swept_on: Some(jiff::civil::date(2026, 12, 7)),
            source: Some("commit abc".to_owned()),
        }
    }

    const X: &str = "LuaJIT#1480";

    fn rows() -> Vec<Row> {
        let mut broken = row("0.0.0", &[], &[]);
        broken.error = Some("vendors no LuaJIT tree".to_owned());
        vec![
            row("210.7.3+1ee778a", &[], &[X]),
            row("210.6.5+7152e15", &[X], &[]),
            broken,
            row("210.6.4+e17ee83", &[], &[X]),
            row("210.7.2+b925b3e", &[X], &[]),
            row("210.7.4+c6ffc14", &[X], &[]),
        ]
    }

    #[test]
    fn a_record_lists_the_affected_versions_and_links_the_fix() {
        let records = records(&sweep(rows(), false)).unwrap();
        let record = &records[0];
        assert_eq!(record.id, "LUAJIT-ARM64-VERIFY-LUAJIT-1480");
        assert_eq!(record.modified, "2026-12-07T00:00:00Z");
        let affected = &record.affected[0];
        assert_eq!(
            affected.versions,
            ["210.6.5+7152e15", "210.7.2+b925b3e", "210.7.4+c6ffc14"]
        );
        assert_eq!(affected.database_specific.could_not_tell, ["0.0.0"]);
        // Not every published version was swept: no range.
        assert!(affected.ranges.is_empty());
        let urls: Vec<&str> = record.references.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://github.com/LuaJIT/LuaJIT/issues/1480",
                "https://github.com/LuaJIT/LuaJIT/commit/acb22349",
                "https://crates.io/crates/luajit-src"
            ]
        );
        let json = serde_json::to_value(record).unwrap();
        assert_eq!(json["references"][0]["type"], "REPORT");
        assert_eq!(json["affected"][0]["package"]["ecosystem"], "crates.io");
    }

    #[test]
    fn ranges_end_fixed_at_a_version_judged_not_affected_and_claim_no_other() {
        let records = records(&sweep(rows(), true)).unwrap();
        let ranges = &records[0].affected[0].ranges;
        let events: Vec<&Vec<Event>> = ranges.iter().map(|r| &r.events).collect();
        assert_eq!(
            events,
            [
                &vec![
                    Event::Introduced("210.6.5+7152e15".to_owned()),
                    Event::Fixed("210.7.3+1ee778a".to_owned())
                ],
                &vec![
                    Event::Introduced("210.7.4+c6ffc14".to_owned()),
                    Event::LastAffected("210.7.4+c6ffc14".to_owned())
                ],
            ]
        );
        assert_eq!(
            serde_json::to_value(&ranges[0]).unwrap()["events"][1]["fixed"],
            "210.7.3+1ee778a"
        );
    }

    #[test]
    fn ids_are_the_prefix_and_the_issue() {
        assert_eq!(
            record_id("arm64-verify#phi-copyspill-pair"),
            "LUAJIT-ARM64-VERIFY-ARM64-VERIFY-PHI-COPYSPILL-PAIR"
        );
        assert_eq!(
            record_id("openresty/luajit2#94"),
            "LUAJIT-ARM64-VERIFY-OPENRESTY-LUAJIT2-94"
        );
        assert_eq!(
            record_id("LuaJIT-v2.1#href-pri-key"),
            "LUAJIT-ARM64-VERIFY-LUAJIT-V2.1-HREF-PRI-KEY"
        );
    }

    #[test]
    fn a_sweep_without_a_catalogue_or_a_date_writes_no_record() {
        let mut old = sweep(rows(), true);
        old.swept_on = None;
        assert!(records(&old).is_err());
        old.catalogue.clear();
        assert!(records(&old).is_err());
    }
}
