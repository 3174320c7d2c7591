//! What the checks share, prepared once on first use: the context (with the
//! toolchain checked), the baseline and the patched variant, the steps
//! between them, and the default stress runs.

use anyhow::Result;

use crate::pipeline::stress::{self, Plan, StressReport};
use crate::pipeline::toolchain::linters::{self, Linters};
use crate::pipeline::variants::{Pair, PairChoice, Step, build_steps, prepare_pair};
use crate::pipeline::{Context, Timings};

/// The context, the pair and the steps between its variants.
type Steps<'a> = (&'a mut Context, &'a Pair, &'a [Step]);

pub struct Fixture {
    pub cx: Context,
    pair: Option<Pair>,
    steps: Option<Vec<Step>>,
    stress: Option<(StressReport, StressReport)>,
    linters: Option<Linters>,
}

impl Fixture {
    pub fn new() -> Result<Fixture> {
        Ok(Fixture {
            cx: Context::new()?,
            pair: None,
            steps: None,
            stress: None,
            linters: None,
        })
    }

    /// The workflow linters, installed into target/tools when PATH lacks them.
    pub fn linters(&mut self) -> Result<&Linters> {
        if self.linters.is_none() {
            self.linters = Some(linters::ensure(&self.cx.target_dir())?);
        }
        Ok(self.linters.as_ref().expect("found above"))
    }

    /// The context and the default tree's baseline and patched variant.
    pub fn pair(&mut self) -> Result<(&mut Context, &Pair)> {
        if self.pair.is_none() {
            self.pair = Some(prepare_pair(&mut self.cx, &PairChoice::default())?);
        }
        Ok((&mut self.cx, self.pair.as_ref().expect("prepared above")))
    }

    /// The trees after each patch but the last.
    pub fn steps(&mut self) -> Result<Steps<'_>> {
        self.pair()?;
        let pair = self.pair.as_ref().expect("prepared above");
        if self.steps.is_none() {
            self.steps = Some(build_steps(&mut self.cx, pair, &mut Timings::default())?);
        }
        Ok((
            &mut self.cx,
            pair,
            self.steps.as_deref().expect("built above"),
        ))
    }

    /// The default stress run on the baseline (attributed) and the patched variant.
    pub fn stress(&mut self) -> Result<(&StressReport, &StressReport, &Pair)> {
        if self.stress.is_none() {
            let (cx, pair, steps) = self.steps()?;
            let plan = Plan::whole(stress::DEFAULT_SEED, stress::DEFAULT_COUNT);
            let runs = stress::run_pair(cx, pair, steps, plan)?;
            print!("{}", stress::render(&runs.0));
            print!("{}", stress::render(&runs.1));
            self.stress = Some(runs);
        }
        let (baseline, patched) = self.stress.as_ref().expect("run above");
        Ok((
            baseline,
            patched,
            self.pair.as_ref().expect("prepared above"),
        ))
    }
}
