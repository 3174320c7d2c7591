//! The rediscovery table, as docs/rediscovery.md shows it and the command
//! prints it: one row per defect, found or not, and for a miss the line on
//! what kind of program it would take.

use std::collections::BTreeMap;

use super::{Outcome, Pair, Rediscovery, Verdict};
use crate::pipeline::stress::seed_text;

/// The summary line and the table.
pub fn table(run: &Rediscovery, needs: &BTreeMap<String, String>) -> String {
    let outcomes: Vec<&Outcome> = run.outcomes().collect();
    let found = outcomes
        .iter()
        .filter(|o| matches!(o.verdict, Verdict::Found { .. }))
        .count();
    let not_built = outcomes
        .iter()
        .filter(|o| matches!(o.verdict, Verdict::FixNotBuilt { .. }))
        .count();
    let judged = outcomes.len() - not_built;
    let programs: usize = run.trees.iter().map(|t| t.programs_run).sum();
    let seconds: f64 = run.trees.iter().map(|t| t.seconds).sum();
    let mut out = format!(
        "The default stress run (seed {}, {} programs, no cases) found {found} of the {judged} defects it could be judged on again{}. {} trees, {programs} programs run, {:.0} min; measured {} with the generator {}.\n\n",
        seed_text(run.seed),
        run.count,
        match not_built {
            0 => String::new(),
            n => format!(" ({n} more could not be judged; their rows say why)"),
        },
        run.trees.len(),
        seconds / 60.0,
        run.date,
        &run.generator[..12.min(run.generator.len())],
    );
    let later: Vec<String> = run
        .trees
        .iter()
        .filter_map(|t| {
            let generator = t.generator.as_ref()?;
            Some(format!(
                "{} ({})",
                t.tree,
                &generator[..12.min(generator.len())]
            ))
        })
        .collect();
    if !later.is_empty() {
        out.push_str(&format!(
            "Rows judged later, with another generator: {}.\n\n",
            later.join(", ")
        ));
    }
    out.push_str("| defect | tree | upstream fix | found | first finding | what it would take |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for outcome in outcomes {
        let subject = &outcome.subject;
        let fixes = subject
            .fixes
            .iter()
            .map(|h| format!("[{h}](https://github.com/LuaJIT/LuaJIT/commit/{h})"))
            .collect::<Vec<_>>()
            .join(", ");
        let vm = if subject.in_vm { " (VM)" } else { "" };
        let (found, first, need) = match &outcome.verdict {
            Verdict::Found {
                index,
                program_seed,
                ..
            } => (
                "yes".to_owned(),
                format!("program {} (seed {})", index + 1, seed_text(*program_seed)),
                String::new(),
            ),
            Verdict::Missed => (
                "no".to_owned(),
                String::new(),
                needs
                    .get(&subject.issue)
                    .cloned()
                    .unwrap_or_else(|| "not explained yet".to_owned()),
            ),
            Verdict::FixNotBuilt { why } => (
                "not judged".to_owned(),
                String::new(),
                why.replace('|', "\\|"),
            ),
        };
        let tree = match outcome.pair {
            Pair::FixApplied => subject.tree.clone(),
            Pair::FixReverted => format!("{} without the fix", subject.fixed_tree),
            Pair::UpstreamCommits => format!("{}, the fix's parent", run_tree(run, outcome)),
        };
        out.push_str(&format!(
            "| {}{vm} | {tree} | {fixes} | {found} | {first} | {need} |\n",
            subject.issue
        ));
    }
    out
}

/// The tree of the run that judged `outcome`.
fn run_tree<'a>(run: &'a Rediscovery, outcome: &Outcome) -> &'a str {
    run.trees
        .iter()
        .find(|t| t.outcomes.contains(outcome))
        .map_or("", |t| t.tree.as_str())
}

/// The defects the run missed that have no line on what they would take,
/// and the lines for defects that are not missed (stale).
pub fn unexplained_and_stale(
    run: &Rediscovery,
    needs: &BTreeMap<String, String>,
) -> (Vec<String>, Vec<String>) {
    let missed: Vec<&str> = run
        .outcomes()
        .filter(|o| o.verdict == Verdict::Missed)
        .map(|o| o.subject.issue.as_str())
        .collect();
    let unexplained = missed
        .iter()
        .filter(|issue| !needs.contains_key(**issue))
        .map(|issue| issue.to_string())
        .collect();
    // Only the run's own defects: a case may say `stress-finds: no` of a
    // defect of the project's fixing, which the run does not judge.
    let stale = run
        .outcomes()
        .filter(|o| matches!(o.verdict, Verdict::Found { .. }))
        .map(|o| o.subject.issue.clone())
        .filter(|issue| needs.contains_key(issue))
        .collect();
    (unexplained, stale)
}

#[cfg(test)]
mod tests {
    use super::super::{Subject, TreeRun};
    use super::*;

    fn outcome(issue: &str, verdict: Verdict) -> Outcome {
        Outcome {
            subject: Subject {
                issue: issue.to_owned(),
                title: "t".to_owned(),
                tree: "210.4.8+resty107baaf".to_owned(),
                tree_series: None,
                fixes: vec!["b8c6ccd5".to_owned()],
                fixed_tree: "210.5.0+becf5cc".to_owned(),
                in_vm: false,
            },
            pair: Pair::FixApplied,
            verdict,
        }
    }

    fn run(outcomes: Vec<Outcome>) -> Rediscovery {
        Rediscovery {
            seed: 1,
            count: 300,
            generator: "abcdef0123456789".to_owned(),
            date: "2026-12-07".to_owned(),
            trees: vec![TreeRun {
                tree: "210.4.8+resty107baaf".to_owned(),
                generator: None,
                programs_run: 300,
                differing: 9,
                outcomes,
                seconds: 120.0,
            }],
        }
    }

    #[test]
    fn the_table_counts_finds_and_explains_misses() {
        let run = run(vec![
            outcome(
                "LuaJIT#1075",
                Verdict::Found {
                    index: 4,
                    program_seed: 0x2a,
                    difference: "mismatch".to_owned(),
                },
            ),
            outcome("LuaJIT#1076", Verdict::Missed),
            outcome(
                "LuaJIT#1",
                Verdict::FixNotBuilt {
                    why: "does not apply".to_owned(),
                },
            ),
        ]);
        let needs = BTreeMap::from([(
            "LuaJIT#1076".to_owned(),
            "a sign-extended operand".to_owned(),
        )]);
        let text = table(&run, &needs);
        assert!(text.contains("found 1 of the 2 defects"), "{text}");
        assert!(
            text.contains("| LuaJIT#1075 | 210.4.8+resty107baaf |"),
            "{text}"
        );
        assert!(text.contains("| yes | program 5 (seed 0x2a) |"), "{text}");
        assert!(
            text.contains("| no |  | a sign-extended operand |"),
            "{text}"
        );
        assert_eq!(unexplained_and_stale(&run, &needs), (vec![], vec![]));
        let (unexplained, stale) = unexplained_and_stale(
            &run,
            &BTreeMap::from([("LuaJIT#1075".to_owned(), "x".to_owned())]),
        );
        assert_eq!(unexplained, vec!["LuaJIT#1076"]);
        assert_eq!(stale, vec!["LuaJIT#1075"]);
    }

    #[test]
    fn a_run_of_some_defects_replaces_only_their_rows() {
        let earlier = run(vec![
            outcome("LuaJIT#1075", Verdict::Missed),
            outcome("LuaJIT#1076", Verdict::Missed),
        ]);
        let mut newer = run(vec![outcome(
            "LuaJIT#1076",
            Verdict::Found {
                index: 0,
                program_seed: 1,
                difference: String::new(),
            },
        )]);
        newer.trees[0].tree = "upstream 0123abcd".to_owned();
        let merged = crate::pipeline::rediscovery::merge(earlier, newer);
        let rows: Vec<(&str, bool)> = merged
            .outcomes()
            .map(|o| (o.subject.issue.as_str(), o.verdict == Verdict::Missed))
            .collect();
        assert_eq!(rows, vec![("LuaJIT#1075", true), ("LuaJIT#1076", false)]);
        assert_eq!(merged.trees.len(), 2);
    }
}
