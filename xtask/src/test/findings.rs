//! Checks of the findings store and the drafts, on the default tree: a
//! stress run's findings land in a store matched as the series' replay
//! attributed them, and a script the project has not seen is recognised as
//! the known defect it shows.

use std::fs;

use super::{Held, Trial, expect};
use crate::pipeline::draft::{self, Options};
use crate::pipeline::fetch::Tree;
use crate::pipeline::findings::runs::{self, MatchWith};
use crate::pipeline::findings::{Match, Store};
use crate::pipeline::stress;

pub fn checks() -> Vec<Trial> {
    vec![
        Trial::new(
            "findings/stress-run-stored",
            "the baseline's default stress findings go into a store, one entry per bucket, each matched to the issues of the patch that fixes it; recording the same run again adds nothing",
            |fixture| {
                let (baseline, _, _) = fixture.stress()?;
                let baseline = baseline.clone();
                let dir = tempfile::tempdir()?;
                let store = Store::open(dir.path())?;
                let why = MatchWith::Unchecked("the check matches by the replay only".to_owned());
                let entries =
                    runs::record_stress(&mut fixture.cx, &store, &baseline, "baseline", why)?;
                let again = MatchWith::Unchecked(String::new());
                runs::record_stress(&mut fixture.cx, &store, &baseline, "baseline", again)?;
                let stored = store.entries()?;
                let buckets = stress::buckets(&baseline.findings);
                let attributed: Vec<&String> = baseline
                    .findings
                    .iter()
                    .filter_map(|f| f.attribution.as_ref())
                    .flat_map(|a| &a.fixes)
                    .collect();
                let known: Vec<&String> = stored.iter().flat_map(|e| e.matched.issues()).collect();
                let counted: u64 = stored.iter().map(|e| e.count).sum();
                Ok(expect(
                    !buckets.is_empty()
                        && !entries.is_empty()
                        && stored.len() <= buckets.len()
                        && counted == baseline.findings.len() as u64
                        && attributed.iter().all(|issue| known.contains(issue)),
                    || {
                        format!(
                            "{} findings in {} buckets gave {} entries counting {counted} programs; attributed to {attributed:?}, stored as known {known:?}",
                            baseline.findings.len(),
                            buckets.len(),
                            stored.len()
                        )
                    },
                ))
            },
        ),
        Trial::new(
            "findings/report-recognises-unseen-script",
            "report on a script that is no case (loop-carried locals generated here) names the known defect it shows on the default tree, and its draft is short and free of the project's names",
            unseen_script,
        ),
    ]
}

/// A loop whose locals each take the next one plus a constant: with more
/// loop-carried locals than registers, some PHIs are spilled.
fn rotating_locals(count: usize) -> String {
    let names: Vec<String> = (1..=count).map(|i| format!("v{i}")).collect();
    let steps: Vec<String> = (0..count)
        .map(|i| {
            format!(
                "    {} = {} + {}",
                names[i],
                names[(i + 1) % count],
                i % 5 + 1
            )
        })
        .collect();
    let starts: Vec<String> = (1..=count).map(|i| (i * 3).to_string()).collect();
    format!(
        "local function walk(steps)\n  local {names} = {starts}\n  for _ = 1, steps do\n{steps}\n  end\n  local s = 0\n  for _, v in ipairs({{{names}}}) do s = s * 3 % 1000003 + v end\n  return s\nend\nprint(walk(300), walk(300))\n",
        names = names.join(", "),
        starts = starts.join(", "),
        steps = steps.join("\n"),
    )
}

fn unseen_script(fixture: &mut super::Fixture) -> anyhow::Result<Held> {
    let dir = tempfile::tempdir()?;
    let script = dir.path().join("walk_locals.lua");
    fs::write(&script, rotating_locals(29))?;
    let options = Options {
        script,
        tree: Tree::Pinned,
        patches: None,
        range: None,
        store: Store::open(dir.path())?.dir,
        reports: dir.path().join("reports"),
    };
    let drafted = draft::draft(&mut fixture.cx, &options)?;
    let text = fs::read_to_string(&drafted.issue_md)?;
    let want = "arm64-verify#phi-copyspill-pair".to_owned();
    Ok(expect(
        drafted.differs
            && drafted.matches.contains(&want)
            && matches!(drafted.matched, Match::Known { .. })
            && text.chars().count() <= draft::MAX_CHARS
            && !text.contains("arm64-verify"),
        || {
            format!(
                "with the JIT {}, with -joff {}; matched {:?}; draft of {} characters at {}",
                drafted.jit,
                drafted.joff,
                drafted.matched,
                text.chars().count(),
                drafted.issue_md.display()
            )
        },
    ))
}
