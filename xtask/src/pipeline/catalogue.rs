//! The catalogue of known defects, read from the case headers: one entry per
//! defect, with its title, its fix, its cases and the trees it was seen on.
//!
//! The headers are the single source: the table in docs/catalogue.md is
//! rendered from them (`catalogue/table` checks it), and whatever else names
//! a defect's title, fix or link (audit, the OSV records) asks this module.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use contract::case::{Case, Tree};
use serde::{Deserialize, Serialize};

/// Where the rendered table lives, between `<!-- catalogue:start -->` and
/// `<!-- catalogue:end -->`.
pub const TABLE_DOC: &str = "docs/catalogue.md";
pub const TABLE_BLOCK: &str = "catalogue";

/// One known defect, as its cases describe it. The sweep's data carries
/// the catalogue in this form, for `audit` and the OSV records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Defect {
    /// `LuaJIT#1075`, `openresty/luajit2#94`, `arm64-verify#phi-copyspill-pair`.
    pub issue: String,
    pub title: String,
    pub fixes: Vec<Fix>,
    /// The names of the cases that pin it.
    pub cases: Vec<String>,
    /// Seen failing here (the first case's `fails-on`).
    pub fails_on: Tree,
    /// Seen passing here (the first case's `passes-on`).
    pub passes_on: Tree,
    /// The interpreter's defect (`defect-in: vm`), not the JIT's.
    pub in_vm: bool,
}

/// What fixes a defect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fix {
    /// An upstream LuaJIT commit (abbreviated hash).
    Upstream(String),
    /// A series of the project, where upstream has no fix yet.
    Series(PathBuf),
}

impl Fix {
    fn parse(root: &Path, case: &str, text: &str) -> Result<Fix> {
        let is_hash = (7..=40).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit());
        if is_hash {
            return Ok(Fix::Upstream(text.to_ascii_lowercase()));
        }
        if text.starts_with("patches/") && root.join(text).join("series").is_file() {
            return Ok(Fix::Series(PathBuf::from(text)));
        }
        bail!(
            "{case}: `fixed-by: {text}` is neither an upstream commit (7 to 40 hex digits) nor a series folder of the project (patches/..., holding a `series` file)"
        )
    }

    /// Where a reader sees the fix.
    pub fn url(&self) -> String {
        match self {
            Fix::Upstream(hash) => format!("https://github.com/LuaJIT/LuaJIT/commit/{hash}"),
            Fix::Series(dir) => dir.display().to_string(),
        }
    }
}

impl std::fmt::Display for Fix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fix::Upstream(hash) => f.write_str(hash),
            Fix::Series(dir) => write!(f, "{}", dir.display()),
        }
    }
}

impl Defect {
    /// The upstream report, where there is one: `LuaJIT#N` and `owner/repo#N`
    /// are GitHub issues; a name of the project's own (`arm64-verify#...`)
    /// or a fix without an issue (`LuaJIT-v2.1#...`) has none.
    pub fn issue_url(&self) -> Option<String> {
        issue_url(&self.issue)
    }

    /// Whether a published tree carries the fix (else only the project's
    /// series does).
    pub fn fixed_upstream(&self) -> bool {
        self.fixes.iter().any(|fix| matches!(fix, Fix::Upstream(_)))
    }

    /// Links to the upstream commits of the fix.
    pub fn fix_links(&self) -> Vec<String> {
        self.fixes
            .iter()
            .filter(|fix| matches!(fix, Fix::Upstream(_)))
            .map(Fix::url)
            .collect()
    }

    /// The fix in a line: `upstream acb22349` or `the project's
    /// patches/extra/NAME (no upstream fix yet)`.
    pub fn fix_line(&self) -> String {
        self.fixes
            .iter()
            .map(|fix| match fix {
                Fix::Upstream(hash) => format!("upstream {hash}"),
                Fix::Series(dir) => {
                    format!("the project's {} (no upstream fix yet)", dir.display())
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The GitHub address of an issue id, when it names one.
pub fn issue_url(issue: &str) -> Option<String> {
    let (project, number) = issue.split_once('#')?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let repository = match project {
        "LuaJIT" => "LuaJIT/LuaJIT",
        other if other.contains('/') => other,
        _ => return None,
    };
    Some(format!("https://github.com/{repository}/issues/{number}"))
}

/// Every defect the cases pin, in the order its fix came (the tree it was
/// seen passing on), then by issue. A case must give every fact of the
/// catalogue (`title`, `fixed-by`, `fails-on`, `passes-on`), and the cases
/// of one defect must agree on its title and fix: the error names each case
/// that does not.
pub fn defects(root: &Path, cases: &[Case]) -> Result<Vec<Defect>> {
    let mut problems = Vec::new();
    let mut by_issue: BTreeMap<&str, Defect> = BTreeMap::new();
    for case in cases {
        let name = &case.name;
        let (Some(title), Some(fails_on), Some(passes_on)) =
            (&case.title, &case.fails_on, &case.passes_on)
        else {
            problems.push(format!(
                "{name}: the header lacks {} (every case gives `title:`, `fixed-by:`, `fails-on:` and `passes-on:`)",
                missing(case).join(", ")
            ));
            continue;
        };
        if case.fixed_by.is_empty() {
            problems.push(format!("{name}: the header lacks `fixed-by:`"));
            continue;
        }
        let fixes = match case
            .fixed_by
            .iter()
            .map(|text| Fix::parse(root, name, text))
            .collect::<Result<Vec<_>>>()
        {
            Ok(fixes) => fixes,
            Err(error) => {
                problems.push(error.to_string());
                continue;
            }
        };
        for issue in &case.pins {
            match by_issue.get_mut(issue.as_str()) {
                Some(defect) => {
                    if defect.title != *title || defect.fixes != fixes {
                        problems.push(format!(
                            "{name}: pins {issue} with title {title:?} and fix {} where {} says {:?} and {}",
                            joined(&fixes),
                            defect.cases[0],
                            defect.title,
                            joined(&defect.fixes)
                        ));
                    }
                    defect.cases.push(name.clone());
                }
                None => {
                    by_issue.insert(
                        issue,
                        Defect {
                            issue: issue.clone(),
                            title: title.clone(),
                            fixes: fixes.clone(),
                            cases: vec![name.clone()],
                            fails_on: fails_on.clone(),
                            passes_on: passes_on.clone(),
                            in_vm: case.vm_defect,
                        },
                    );
                }
            }
        }
    }
    if !problems.is_empty() {
        bail!(
            "the case headers do not make a catalogue:\n  {}",
            problems.join("\n  ")
        );
    }
    let mut defects: Vec<Defect> = by_issue.into_values().collect();
    defects.sort_by(|a, b| {
        order_key(a)
            .cmp(&order_key(b))
            .then_with(|| a.issue.cmp(&b.issue))
    });
    Ok(defects)
}

fn missing(case: &Case) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if case.title.is_none() {
        missing.push("`title:`");
    }
    if case.fixed_by.is_empty() {
        missing.push("`fixed-by:`");
    }
    if case.fails_on.is_none() {
        missing.push("`fails-on:`");
    }
    if case.passes_on.is_none() {
        missing.push("`passes-on:`");
    }
    missing
}

fn joined(fixes: &[Fix]) -> String {
    fixes
        .iter()
        .map(Fix::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Upstream fixes first, by the published tree that has the fix; the
/// project's own after them.
fn order_key(defect: &Defect) -> (bool, Vec<u64>) {
    (
        !defect.fixed_upstream(),
        version_numbers(&defect.passes_on.version),
    )
}

/// `210.5.10+f725e44` as [210, 5, 10], so that 210.5.10 sorts after 210.5.9.
fn version_numbers(version: &str) -> Vec<u64> {
    version
        .split('+')
        .next()
        .unwrap_or_default()
        .split('.')
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

/// The table docs/catalogue.md shows: one row per defect.
pub fn render_table(defects: &[Defect]) -> String {
    let mut out = String::from(
        "| issue | defect | in | fix | cases | fails on | passes on |\n|---|---|---|---|---|---|---|\n",
    );
    for defect in defects {
        let issue = match defect.issue_url() {
            Some(url) => format!("[{}]({url})", defect.issue),
            None => defect.issue.clone(),
        };
        let part = if defect.in_vm { "VM" } else { "JIT" };
        let fixes = defect
            .fixes
            .iter()
            .map(|fix| match fix {
                Fix::Upstream(hash) => format!("[{hash}]({})", fix.url()),
                Fix::Series(dir) => format!("[`{}`](../{})", dir.display(), dir.display()),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let cases = defect
            .cases
            .iter()
            .map(|name| format!("[`{name}`](../tests/cases/{name}.lua)"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!(
            "| {issue} | {} | {part} | {fixes} | {cases} | {} | {} |\n",
            defect.title.replace('|', "\\|"),
            short_tree(&defect.fails_on),
            short_tree(&defect.passes_on),
        ));
    }
    out
}

/// `210.4.8` or `210.7.4 with patches/extra/phi-copyspill-pair`.
fn short_tree(tree: &Tree) -> String {
    let version = tree.version.split('+').next().unwrap_or(&tree.version);
    match &tree.series {
        Some(series) => format!("{version} with `{}`", series.display()),
        None => version.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str, header: &str) -> Case {
        Case::parse(
            Path::new(&format!("{name}.lua")),
            header.as_bytes().to_vec(),
        )
        .unwrap()
    }

    const FULL: &str = "-- pins: LuaJIT#1076\n-- title: ARM64: a sign extension fused into a logical operand\n-- fixed-by: 90742d91\n-- fails-on: luajit-src 210.4.8+resty107baaf\n-- passes-on: luajit-src 210.5.0+becf5cc\n";

    #[test]
    fn a_complete_header_makes_a_row_with_its_links() {
        let defects = defects(Path::new("."), &[case("lj1076_sext", FULL)]).unwrap();
        let table = render_table(&defects);
        assert!(
            table.contains("| [LuaJIT#1076](https://github.com/LuaJIT/LuaJIT/issues/1076) | ARM64: a sign extension fused into a logical operand | JIT | [90742d91](https://github.com/LuaJIT/LuaJIT/commit/90742d91) | [`lj1076_sext`](../tests/cases/lj1076_sext.lua) | 210.4.8 | 210.5.0 |"),
            "{table}"
        );
    }

    #[test]
    fn a_header_without_title_or_trees_is_named_with_what_it_lacks() {
        let error = defects(Path::new("."), &[case("bare", "-- pins: LuaJIT#1\n")])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(
                "bare: the header lacks `title:`, `fixed-by:`, `fails-on:`, `passes-on:`"
            ),
            "{error}"
        );
    }

    #[test]
    fn cases_of_one_defect_must_agree_on_its_fix() {
        let other = FULL.replace("90742d91", "0705ef6c");
        let error = defects(Path::new("."), &[case("a", FULL), case("b", &other)])
            .unwrap_err()
            .to_string();
        assert!(error.contains("b: pins LuaJIT#1076"), "{error}");
    }

    #[test]
    fn a_fix_is_a_commit_or_a_series_folder() {
        let text = FULL.replace("90742d91", "upstream \"ARM64: Fix it.\"");
        let error = defects(Path::new("."), &[case("a", &text)])
            .unwrap_err()
            .to_string();
        assert!(error.contains("neither an upstream commit"), "{error}");
    }

    #[test]
    fn rows_follow_the_tree_with_the_fix_and_the_projects_own_come_last() {
        let later = FULL
            .replace("LuaJIT#1076", "LuaJIT#1480")
            .replace("210.5.0+becf5cc", "210.7.3+1ee778a");
        let earlier = FULL
            .replace("LuaJIT#1076", "LuaJIT#1085")
            .replace("210.5.0+becf5cc", "210.5.1+b94fbfb");
        let series = FULL.replace("LuaJIT#1076", "arm64-verify#x").replace(
            "fixed-by: 90742d91",
            "fixed-by: patches/extra/phi-copyspill-pair",
        );
        let root = crate::pipeline::project_root();
        let order: Vec<String> = defects(
            &root,
            &[
                case("d", &series),
                case("c", &later),
                case("b", &earlier),
                case("a", FULL),
            ],
        )
        .unwrap()
        .into_iter()
        .map(|d| d.issue)
        .collect();
        assert_eq!(
            order,
            [
                "LuaJIT#1076",
                "LuaJIT#1085",
                "LuaJIT#1480",
                "arm64-verify#x"
            ]
        );
    }

    #[test]
    fn issue_ids_link_to_their_repository_only_when_they_are_numbered() {
        assert_eq!(
            issue_url("openresty/luajit2#94").as_deref(),
            Some("https://github.com/openresty/luajit2/issues/94")
        );
        assert_eq!(issue_url("arm64-verify#phi-copyspill-pair"), None);
        assert_eq!(issue_url("LuaJIT-v2.1#href-pri-key"), None);
    }
}
