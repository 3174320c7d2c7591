//! `cargo xtask test`: the project's own tests, as a list of named checks.
//! Each kind of check is defined in its own file here, beside the others of
//! its kind; `--list` prints every name, `cargo xtask test FILTER` runs the
//! checks whose names contain FILTER. What the checks share (the toolchain,
//! the baseline and the patched variant) is prepared once, on first use,
//! and every deterministic result comes through the cache, so a check run
//! on its own does only the work it needs.

pub(crate) mod audit;
mod backend_mutants;
mod builds;
mod cases;
mod catalogue;
mod docs;
mod findings;
mod fixture;
mod fresh_clone;
mod generated_mutants;
pub(crate) mod golden;
mod lso;
mod mcode;
mod mutants;
mod osv;
mod probe;
mod rediscovery;
mod stress;
mod sweep;
mod unit;
mod workflows;

use anyhow::Result;

use crate::flags;
use crate::pipeline::project_root;
use crate::pipeline::verdict::Conclusion;
use fixture::Fixture;

/// What a check found: `Ok(())` when it held, otherwise what was seen.
pub type Held = std::result::Result<(), String>;

type Run = Box<dyn Fn(&mut Fixture) -> Result<Held>>;

/// One named check: what it asserts, and how to find out.
pub struct Trial {
    /// `kind/what`, e.g. `cases/lj1075_stitch_ipairs_slot62`.
    pub name: String,
    pub asserts: String,
    /// Runs only with `--slow`.
    pub slow: bool,
    run: Run,
}

impl Trial {
    pub fn new(
        name: impl Into<String>,
        asserts: impl Into<String>,
        run: impl Fn(&mut Fixture) -> Result<Held> + 'static,
    ) -> Trial {
        Trial {
            name: name.into(),
            asserts: asserts.into(),
            slow: false,
            run: Box::new(run),
        }
    }

    /// A check that takes minutes, run only with `--slow`.
    pub fn slow(
        name: impl Into<String>,
        asserts: impl Into<String>,
        run: impl Fn(&mut Fixture) -> Result<Held> + 'static,
    ) -> Trial {
        Trial {
            slow: true,
            ..Trial::new(name, asserts, run)
        }
    }
}

/// Every check, in the order they run.
fn all() -> Result<Vec<Trial>> {
    let root = project_root();
    let mut checks = unit::checks();
    checks.extend(builds::checks());
    checks.extend(cases::checks(&root)?);
    checks.extend(catalogue::checks(&root)?);
    checks.extend(lso::checks(&root)?);
    checks.extend(mutants::checks(&root)?);
    checks.extend(backend_mutants::checks(&root)?);
    checks.extend(generated_mutants::checks(&root)?);
    checks.extend(stress::checks());
    checks.extend(findings::checks());
    checks.extend(mcode::checks(&root)?);
    checks.extend(probe::checks());
    checks.extend(sweep::checks());
    checks.extend(audit::checks());
    checks.extend(osv::checks());
    checks.extend(rediscovery::checks(&root));
    checks.extend(workflows::checks());
    checks.extend(docs::checks());
    checks.extend(fresh_clone::checks());
    Ok(checks)
}

pub fn run(args: flags::Test) -> Result<Conclusion> {
    let checks: Vec<Trial> = all()?
        .into_iter()
        .filter(|c| args.slow || !c.slow)
        .filter(|c| args.filter.as_deref().is_none_or(|f| c.name.contains(f)))
        .collect();
    if args.list {
        for check in &checks {
            println!("{}", check.name);
        }
        return Ok(Conclusion::Sound);
    }
    if checks.is_empty() {
        anyhow::bail!(
            "no check's name contains `{}`; `cargo xtask test --list` lists them",
            args.filter.unwrap_or_default()
        );
    }
    let mut fixture = Fixture::new()?;
    // Like the toolchain, tools the checks need are there (or the run stops
    // with the command that installs them) before any check runs.
    if checks.iter().any(|c| c.name.starts_with("workflows/")) {
        fixture.linters()?;
    }
    let mut outcomes = Vec::new();
    for check in &checks {
        let held =
            (check.run)(&mut fixture).unwrap_or_else(|error| Err(format!("error: {error:#}")));
        outcomes.push((check, held));
    }
    println!();
    let (mut passed, mut failed) = (0, 0);
    for (check, held) in &outcomes {
        match held {
            Ok(()) => {
                passed += 1;
                println!("  ok     {}: {}", check.name, check.asserts);
            }
            Err(detail) => {
                failed += 1;
                println!("  FAILED {}: {}", check.name, check.asserts);
                println!("         {}", detail.replace('\n', "\n         "));
            }
        }
    }
    println!("\n{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        Conclusion::Sound
    } else {
        Conclusion::Defects
    })
}

/// `Ok(())` when `held`, otherwise `detail`.
pub fn expect(held: bool, detail: impl FnOnce() -> String) -> Held {
    if held { Ok(()) } else { Err(detail()) }
}
