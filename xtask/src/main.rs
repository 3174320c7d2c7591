//! `cargo xtask`: builds LuaJIT with and without the patch series, runs the
//! suite on both and reports. This file only dispatches; each subcommand has
//! its own module and the pipeline steps live in `pipeline/`.

mod audit;
mod bench;
mod bisect;
mod check;
mod findings;
mod flags;
mod lso;
mod mcode_diff;
mod mutants;
mod pipeline;
mod prepare;
mod probe;
mod rediscover;
mod report;
mod run;
mod stress;
mod sweep;
mod test;
mod verify;

use std::process::ExitCode;

use clap::Parser;

use pipeline::verdict::Conclusion;

fn main() -> ExitCode {
    let flags = flags::Xtask::parse();
    if flags.no_cache {
        pipeline::cache::disable();
    }
    let result = match flags.command {
        flags::Command::Verify(args) => verify::run(args),
        flags::Command::Check(args) => check::run(args),
        flags::Command::Run(args) => run::run(args),
        flags::Command::Lso(args) => lso::run(args),
        flags::Command::Prepare(args) => prepare::run(args),
        flags::Command::Probe(args) => probe::run(args),
        flags::Command::McodeDiff(args) => mcode_diff::run(args),
        flags::Command::Stress(args) => stress::run(args),
        flags::Command::Sweep(args) => sweep::run(args),
        flags::Command::Test(args) => test::run(args),
        flags::Command::Bench(args) => bench::run(args),
        flags::Command::Findings(args) => findings::run(args),
        flags::Command::Bisect(args) => bisect::run(args),
        flags::Command::Audit(args) => audit::run(args),
        flags::Command::Report(args) => report::run(args),
        flags::Command::Mutants(args) => mutants::run(args),
        flags::Command::Rediscover(args) => rediscover::run(args),
    };
    match result {
        Ok(Conclusion::Sound) => ExitCode::SUCCESS,
        Ok(Conclusion::Defects) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
