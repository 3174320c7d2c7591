//! The suite's command line, spoken by the xtask: runs cases or a script and prints JSON.
//!
//! ```text
//! suite cases DIR [--timeout SECS]    JSON array of case results on stdout
//! suite script FILE [--timeout SECS]  JSON outcome on stdout
//! suite lso full|window               JSON report of the exhaustive emit_lso check
//! suite capture FILE --out OUT [--name CHUNK] [--timeout SECS]
//!                                     runs FILE, writes its traces to OUT (see suite::capture),
//!                                     JSON outcome of FILE on stdout
//! suite compare DIR [--timeout SECS]  JSON array: every program in DIR with the JIT on and off
//! ```
//! Progress goes to stderr. Exit status 0 when the run happened (whatever its
//! verdict), 2 when it could not.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use suite::case::Case;

const USAGE: &str = "usage: suite cases DIR [--timeout SECS] | suite script FILE [--timeout SECS] | suite lso full|window | suite compare DIR [--timeout SECS] | suite capture FILE --out OUT [--name CHUNK] [--timeout SECS]";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("suite: {error}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    if args.first().is_some_and(|command| command == "capture") {
        return capture(&args[1..]);
    }
    let (command, path, timeout) = parse(&args)?;
    match command.as_str() {
        "cases" => {
            let cases = Case::load_dir(&path)?;
            let mut results = Vec::new();
            for case in &cases {
                let result =
                    suite::run_case(case, timeout).map_err(|e| format!("{}: {e}", case.name))?;
                eprintln!("  {:<40} {}", case.name, result.outcome.summary());
                results.push(result);
            }
            println!(
                "{}",
                serde_json::to_string(&results).map_err(|e| e.to_string())?
            );
        }
        "script" => {
            let source =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let outcome = suite::run_chunk(&source, &path.display().to_string(), timeout)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            println!(
                "{}",
                serde_json::to_string(&outcome).map_err(|e| e.to_string())?
            );
        }
        "compare" => {
            let comparisons = suite::compare_dir(&path, timeout)?;
            println!(
                "{}",
                serde_json::to_string(&comparisons).map_err(|e| e.to_string())?
            );
        }
        "lso" => println!(
            "{}",
            serde_json::to_string(&lso(&path)?).map_err(|e| e.to_string())?
        ),
        other => return Err(format!("unknown command `{other}`\n{USAGE}")),
    }
    Ok(())
}

fn parse(args: &[String]) -> Result<(String, PathBuf, Duration), String> {
    let mut positional = Vec::new();
    let mut timeout = Duration::from_secs(60);
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--timeout" {
            let value = iter
                .next()
                .ok_or_else(|| format!("--timeout needs a value\n{USAGE}"))?;
            let secs: f64 = value
                .parse()
                .map_err(|_| format!("--timeout {value}: not a number of seconds"))?;
            timeout = Duration::from_secs_f64(secs);
        } else {
            positional.push(arg.clone());
        }
    }
    match positional.as_slice() {
        [command, path] => Ok((command.clone(), PathBuf::from(path), timeout)),
        _ => Err(USAGE.to_owned()),
    }
}

#[cfg(lso_harness)]
fn lso(domain: &std::path::Path) -> Result<suite::outcome::LsoReport, String> {
    let domain: lso_check::Domain = domain
        .to_str()
        .unwrap_or_default()
        .parse()
        .map_err(|e| format!("lso: {e}"))?;
    lso_check::check(&suite::lso_linked::harness(), domain, |kind| {
        eprintln!("  emit_lso: {kind}")
    })
}

#[cfg(not(lso_harness))]
fn lso(_: &std::path::Path) -> Result<suite::outcome::LsoReport, String> {
    Err("the emit_lso harness is only built for aarch64 targets".to_owned())
}

const CAPTURE_USAGE: &str = "usage: suite capture FILE --out OUT [--name CHUNK] [--timeout SECS]";

/// `suite capture`: the workload's outcome on stdout, its traces in OUT.
fn capture(args: &[String]) -> Result<(), String> {
    let mut script = None;
    let mut out = None;
    let mut name = None;
    let mut timeout = Duration::from_secs(60);
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = || {
            iter.next()
                .ok_or_else(|| format!("{arg} needs a value\n{CAPTURE_USAGE}"))
        };
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--name" => name = Some(value()?.clone()),
            "--timeout" => {
                let value = value()?;
                let secs: f64 = value
                    .parse()
                    .map_err(|_| format!("--timeout {value}: not a number of seconds"))?;
                timeout = Duration::from_secs_f64(secs);
            }
            _ if script.is_none() => script = Some(PathBuf::from(arg)),
            _ => return Err(CAPTURE_USAGE.to_owned()),
        }
    }
    let (Some(script), Some(out)) = (script, out) else {
        return Err(CAPTURE_USAGE.to_owned());
    };
    let source =
        std::fs::read(&script).map_err(|e| format!("cannot read {}: {e}", script.display()))?;
    let name = name.unwrap_or_else(|| script.display().to_string());
    let outcome = suite::capture::capture(&source, &name, &out, timeout)
        .map_err(|e| format!("{}: {e}", script.display()))?;
    println!(
        "{}",
        serde_json::to_string(&outcome).map_err(|e| e.to_string())?
    );
    Ok(())
}
