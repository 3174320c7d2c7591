//! `cargo xtask check`: is this LuaJIT tree sound? Builds it as it is and
//! runs the whole suite on it.

use anyhow::Result;
use sha2::{Digest, Sha256};

use crate::Verdict;
use crate::flags;
use crate::pipeline::suite::outcome::Status;
use crate::pipeline::variants::{BASELINE, build_variant};
use crate::pipeline::{Context, fetch, report, suite};

pub fn run(args: flags::Check) -> Result<Verdict> {
    let mut cx = Context::new()?;
    let (source, name) = match &args.luajit_dir {
        Some(dir) => {
            let source = fetch::local(dir)?;
            // One build folder per checked tree, so checking two trees in turn rebuilds neither.
            let tag = format!("{:x}", Sha256::digest(source.dir.to_string_lossy().as_bytes()));
            (source, format!("checked-{}", &tag[..12]))
        }
        None => (fetch::vendored(&mut cx)?, BASELINE.to_owned()),
    };
    let mut timings = Vec::new();
    let variant = build_variant(&mut cx, &name, &source, None, &mut timings)?;
    let cases_dir = cx.cases_dir();
    let results = suite::run_cases(&mut cx, &name, &variant.suite, &cases_dir)?;
    println!();
    report::print_table(&report::case_rows(&[(name.as_str(), &results)]));

    let failed: Vec<_> = results.iter().filter(|r| r.outcome.status != Status::Pass).collect();
    println!();
    if failed.is_empty() {
        println!("{}: all {} cases pass", source.label, results.len());
        return Ok(Verdict::Sound);
    }
    println!("{}: {} of {} cases fail:", source.label, failed.len(), results.len());
    for result in failed {
        println!("  {} ({}): {}", result.name, result.pins.join(", "), result.outcome.summary());
    }
    Ok(Verdict::Defects)
}
