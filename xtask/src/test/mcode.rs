//! The machine-code diff: two captures of one build diff empty; the stitch
//! case shows the baseline's STP split into STR and STUR, also when the
//! script ends in os.exit; and each regression case's normalised diff
//! matches its expectation beside it (tests/cases/NAME.mcode).

use std::path::Path;

use anyhow::Result;

use super::{Trial, expect, golden};
use crate::pipeline::lua_files;
use crate::pipeline::mcode::{self, ScriptDiff, SiteClass};

pub fn checks(root: &Path) -> Result<Vec<Trial>> {
    let mut checks = vec![
        Trial::new(
            "mcode/self-check",
            "two captures of one build diff empty",
            |fx| {
                let (cx, pair) = fx.pair()?;
                Ok(expect(mcode::self_check(cx, pair)?, || {
                    "the self-check found differences".to_owned()
                }))
            },
        ),
        Trial::new(
            "mcode/stitch",
            "the stitch case: one site, a baseline mis-fusion corrected, nothing unexplained",
            |fx| {
                let (cx, pair) = fx.pair()?;
                let case = cx.cases_dir().join("lj1075_stitch_ipairs_slot62.lua");
                let diff = mcode::diff_workload(cx, pair, &[case])?;
                let t = &diff.totals;
                Ok(expect(
                    t.sites == 1 && t.misfusions_corrected == 1 && t.unexplained == 0,
                    || diff.text.clone(),
                ))
            },
        ),
        Trial::new(
            "mcode/exit-status",
            "the stitch case ending in os.exit(1) / os.exit(0): captured on both builds, the STP split into STR and STUR",
            |fx| {
                let (cx, pair) = fx.pair()?;
                let script = cx.root.join("tests/mcode/lj1075_stitch_exit_status.lua");
                let diff = mcode::diff_workload(cx, pair, &[script])?;
                let script = diff.scripts.first();
                let ended = script.map(|s| (s.baseline.as_str(), s.patched.as_str()));
                Ok(expect(
                    ended == Some(("fail: exit status 1", "pass"))
                        && diff.totals.not_captured == 0
                        && diff.totals.unexplained == 0
                        && script.is_some_and(shows_stp_split_into_stur),
                    || diff.text.clone(),
                ))
            },
        ),
    ];
    for case in lua_files(&root.join("tests/cases"))? {
        let name = case
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let expected = case.with_extension("mcode");
        checks.push(Trial::new(
            format!("mcode/case-{name}"),
            format!("the normalised machine-code diff of {name} is as in {name}.mcode"),
            move |fx| {
                let (cx, pair) = fx.pair()?;
                let diff = mcode::diff_workload(cx, pair, std::slice::from_ref(&case))?;
                golden::compare(&expected, &mcode::render(&diff, false))
            },
        ));
    }
    Ok(checks)
}

/// A corrected mis-fusion whose baseline side is an STP and whose patched
/// side holds an STUR: the LuaJIT#1075 stitch site.
fn shows_stp_split_into_stur(script: &ScriptDiff) -> bool {
    script.traces.iter().flat_map(|t| &t.sites).any(|site| {
        site.class == SiteClass::MisfusionCorrected
            && site.baseline.iter().any(|line| line.starts_with("stp "))
            && site.patched.iter().any(|line| line.starts_with("stur "))
    })
}
