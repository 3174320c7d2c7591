//! The suite's command line, spoken by the xtask: runs cases or a script and prints JSON.
//!
//! ```text
//! suite cases DIR [--timeout SECS]    JSON array of case results on stdout
//! suite script FILE [--timeout SECS]  JSON outcome on stdout
//! suite lso full|window               JSON report of the exhaustive emit_lso check
//! suite capture FILE --out OUT [--name CHUNK] [--timeout SECS]
//!                                     runs FILE, writes its traces to OUT (see suite::capture),
//!                                     JSON outcome of FILE on stdout
//! suite compare DIR [--timeout SECS] [--jit-limit FACTOR,FLOOR,CEILING] [--cold] [--reference FILE]
//!                                     JSON array: every program in DIR with the JIT off, then on;
//!                                     --timeout is the interpreter's limit, and the JIT's unless
//!                                     --jit-limit derives it from the interpreter's time
//!                                     (see contract::limits); each program's child is forked
//!                                     from a warmed-up runner unless --cold (see suite::warm);
//!                                     a program FILE (a JSON object of interpreted outcomes by
//!                                     program name) holds is not run with the JIT off
//! ```
//! Progress goes to stderr. Exit status 0 when the run happened (whatever its
//! verdict), 2 when it could not.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use suite::case::Case;
use suite::limits::{JitLimit, Limits};
use suite::outcome::Outcome;
use suite::warm::{self, Side};

const USAGE: &str = "usage: suite cases DIR [--timeout SECS] | suite script FILE [--timeout SECS] | suite lso full|window | suite compare DIR [--timeout SECS] [--jit-limit FACTOR,FLOOR,CEILING] [--cold] [--reference FILE] | suite capture FILE --out OUT [--name CHUNK] [--timeout SECS]";

fn main() -> ExitCode {
    match Args::parse(std::env::args().skip(1)).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("suite: {error}");
            ExitCode::from(2)
        }
    }
}

/// The command line: a command, its one positional argument and options.
struct Args {
    command: String,
    path: PathBuf,
    timeout: Duration,
    /// `compare`'s JIT limit, when it follows from the interpreter's time.
    jit_limit: Option<JitLimit>,
    /// `compare` without the warm start (see suite::warm).
    cold: bool,
    /// `compare`'s interpreted outcomes, by program, from another build.
    reference: Option<PathBuf>,
    out: Option<PathBuf>,
    name: Option<String>,
}

impl Args {
    fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
        let mut positional = Vec::new();
        let (mut timeout, mut out, mut name) = (Duration::from_secs(60), None, None);
        let (mut jit_limit, mut cold, mut reference) = (None, false, None);
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
            };
            match arg.as_str() {
                "--timeout" => {
                    let value = value()?;
                    let secs: f64 = value
                        .parse()
                        .map_err(|_| format!("--timeout {value}: not a number of seconds"))?;
                    timeout = Duration::from_secs_f64(secs);
                }
                "--jit-limit" => {
                    let value = value()?;
                    jit_limit = Some(value.parse().map_err(|e| format!("--jit-limit {e}"))?);
                }
                "--cold" => cold = true,
                "--reference" => reference = Some(PathBuf::from(value()?)),
                "--out" => out = Some(PathBuf::from(value()?)),
                "--name" => name = Some(value()?),
                _ => positional.push(arg),
            }
        }
        let [command, path]: [String; 2] = positional.try_into().map_err(|_| USAGE.to_owned())?;
        Ok(Args {
            command,
            path: PathBuf::from(path),
            timeout,
            jit_limit,
            cold,
            reference,
            out,
            name,
        })
    }
}

fn run(args: Args) -> Result<(), String> {
    let Args {
        command,
        path,
        timeout,
        ..
    } = &args;
    let timeout = *timeout;
    match command.as_str() {
        "cases" => {
            let cases = Case::load_dir(path)?;
            let mut results = Vec::new();
            for case in &cases {
                let result =
                    suite::run_case(case, timeout).map_err(|e| format!("{}: {e}", case.name))?;
                eprintln!("  {:<40} {}", case.name, result.outcome.summary());
                results.push(result);
            }
            println!("{}", json(&results)?);
        }
        "script" => {
            let source =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let outcome = suite::run_chunk(&source, &path.display().to_string(), timeout)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            println!("{}", json(&outcome)?);
        }
        "compare" => {
            let limits = Limits {
                interpreter: timeout,
                jit: args.jit_limit.unwrap_or(JitLimit::fixed(timeout)),
            };
            let reference: BTreeMap<String, Outcome> = match &args.reference {
                None => BTreeMap::new(),
                Some(file) => {
                    let text = std::fs::read_to_string(file)
                        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                    serde_json::from_str(&text).map_err(|e| {
                        format!(
                            "{} is not a JSON object of outcomes by program name: {e}",
                            file.display()
                        )
                    })?
                }
            };
            let compare = || -> Result<(), String> {
                println!("{}", json(&suite::compare_dir(path, limits, &reference)?)?);
                Ok(())
            };
            if args.cold {
                return compare();
            }
            match warm::fork_warmed()
                .map_err(|e| format!("cannot start the batch's runner: {e}"))?
            {
                Side::Runner => {
                    let code = match compare() {
                        Ok(()) => 0,
                        Err(error) => {
                            eprintln!("suite: {error}");
                            2
                        }
                    };
                    // Flush what was printed, and leave without unwinding
                    // into the caller's code a second time.
                    use std::io::Write as _;
                    let _ = std::io::stdout().flush();
                    std::process::exit(code)
                }
                Side::Started(0) => {}
                Side::Started(code) => {
                    return Err(format!("the batch's runner exited with status {code}"));
                }
                Side::Cold(why) => {
                    eprintln!("suite: the batch's runner {why}; running the batch cold");
                    compare()?
                }
            }
        }
        "lso" => println!("{}", json(&lso(path)?)?),
        "capture" => {
            let out = args
                .out
                .as_ref()
                .ok_or_else(|| format!("capture needs --out OUT\n{USAGE}"))?;
            let source =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let name = args
                .name
                .clone()
                .unwrap_or_else(|| path.display().to_string());
            let outcome = suite::capture::capture(&source, &name, out, timeout)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            println!("{}", json(&outcome)?);
        }
        other => return Err(format!("unknown command `{other}`\n{USAGE}")),
    }
    Ok(())
}

fn json(value: &impl serde::Serialize) -> Result<String, String> {
    serde_json::to_string(value).map_err(|e| e.to_string())
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
