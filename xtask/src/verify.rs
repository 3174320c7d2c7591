//! `cargo xtask verify`: the main job. Baseline and patched variant, the
//! suite on both, a verdict and the report.

use anyhow::Result;

use crate::flags;
use crate::pipeline::report;
use crate::pipeline::verdict::Conclusion;
use crate::pipeline::verify::{self, Options};
use crate::pipeline::{Context, stress, summary};

pub fn run(args: flags::Verify) -> Result<Conclusion> {
    let mut cx = Context::new()?;
    let options = Options {
        pair: args.pair.choice(),
        stress: stress::Plan::whole(args.stress_seed, args.stress_count),
        reproduce: reproduce(&args.pair, args.stress_seed, args.stress_count),
    };
    let report = verify::verify(&mut cx, options)?;
    print!("{}", verify::render(&report));
    let written = report.write(&cx.target_dir().join("evidence"), &summary::render(&report))?;
    println!(
        "\n{}\nsummary: {}\nreport:  {}\n         {}",
        report.verdict.summary,
        written.summary.display(),
        written.markdown.display(),
        written.json.display()
    );
    Ok(if report.verdict.ok {
        Conclusion::Sound
    } else {
        Conclusion::Defects
    })
}

/// The commands that redo each part of the report, with the same tree and series.
fn reproduce(args: &flags::PairArgs, seed: u64, count: u32) -> Vec<report::Redo> {
    let mut tree = String::new();
    if let Some(dir) = &args.tree.luajit_dir {
        tree.push_str(&format!(" --luajit-dir {}", dir.display()));
    }
    if let Some(version) = &args.tree.luajit_src {
        tree.push_str(&format!(" --luajit-src {version}"));
    }
    let mut pair = tree.clone();
    if let Some(patches) = &args.patches {
        pair.push_str(&format!(" --patches {}", patches.display()));
    }
    let mut stress_flags = String::new();
    if (seed, count) != (stress::DEFAULT_SEED, stress::DEFAULT_COUNT) {
        stress_flags = format!(
            " --stress-count {count} --stress-seed {}",
            stress::seed_text(seed)
        );
    }
    let redo = vec![
        (
            "everything".to_owned(),
            format!("cargo xtask verify{pair}{stress_flags}"),
        ),
        (
            "one case on both variants".to_owned(),
            format!("cargo xtask run tests/cases/CASE.lua{pair}"),
        ),
        (
            "the exhaustive check of the baseline's tree".to_owned(),
            format!("cargo xtask lso{tree}"),
        ),
        (
            "the exhaustive check of a variant".to_owned(),
            "cargo xtask lso --luajit-dir target/luajit/VARIANT/tree".to_owned(),
        ),
        (
            "the stress run of a variant".to_owned(),
            format!(
                "cargo xtask stress --seed {} --count {count} --luajit-dir target/luajit/VARIANT/tree",
                stress::seed_text(seed)
            ),
        ),
        (
            "the machine-code diff".to_owned(),
            format!("cargo xtask mcode-diff{pair}"),
        ),
    ];
    redo.into_iter()
        .map(|(what, command)| report::Redo { what, command })
        .collect()
}
