//! The unit tests of both crates: the xtask's on the host, the suite's on
//! aarch64, linked against the patched build.

use xshell::cmd;

use super::{Held, Trial};
use crate::pipeline::{TARGET, cargo};

pub fn checks() -> Vec<Trial> {
    vec![
        Trial::new("unit/xtask", "the xtask's unit tests pass (host)", |fx| {
            let cargo = cargo();
            Ok(held(
                cmd!(
                    fx.cx.sh,
                    "{cargo} test --package xtask --package lso-check --package suite-contract"
                )
                .run(),
            ))
        }),
        Trial::new(
            "unit/suite",
            format!("the suite's unit tests pass ({TARGET}, linked against the patched build)"),
            |fx| {
                let (cx, pair) = fx.pair()?;
                let cargo = cargo();
                let run = cmd!(cx.sh, "{cargo} test --package suite --target {TARGET}")
                    .env("LUAJIT_SYS_DIR", &pair.patched.built.dir)
                    .run();
                Ok(held(run))
            },
        ),
    ]
}

fn held(run: xshell::Result<()>) -> Held {
    run.map_err(|error| error.to_string())
}
