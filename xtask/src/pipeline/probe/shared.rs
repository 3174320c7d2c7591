//! A shared library built from a variant's tree, for probing the library
//! path on a build whose answer is known. The variants themselves are static
//! (the suite links them), and a static build leaves no position-independent
//! objects to link a .so from, so the tree is copied and built again with
//! `BUILDMODE=dynamic` and otherwise the same settings.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context as _, Result, bail};

use crate::pipeline::build::{Built, make_args};
use crate::pipeline::patch::copy_tree;
use crate::pipeline::{Context, step};

/// Builds (or finds up to date) `libluajit.so` from `built`'s tree, in
/// target/luajit/NAME/shared/tree/src.
pub fn build_shared(cx: &mut Context, built: &Built) -> Result<PathBuf> {
    let home = built
        .dir
        .parent()
        .context("a variant's tree has a parent folder")?
        .join("shared");
    let tree = home.join("tree");
    let library = tree.join("src/libluajit.so");
    let args: Vec<String> = make_args(cx)
        .into_iter()
        .map(|a| {
            if a.starts_with("BUILDMODE=") {
                "BUILDMODE=dynamic".to_owned()
            } else {
                a
            }
        })
        .collect();
    // The variant's stamp covers its tree, patches and settings; the make
    // arguments cover the change of build mode.
    let variant_stamp = fs::read_to_string(built.dir.with_file_name("stamp"))
        .with_context(|| format!("{} has no build stamp", built.dir.display()))?;
    let stamp = format!("{variant_stamp}{}\n", args.join(" "));
    let stamp_file = home.join("stamp");
    if library.is_file() && fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp) {
        eprintln!(
            "==> {}: shared library up to date ({})",
            built.name,
            library.display()
        );
        return Ok(library);
    }
    let timer = step(format!("{}: building a shared library", built.name));
    let _ = fs::remove_file(&stamp_file);
    copy_tree(&built.dir, &tree)?;
    let src = tree.join("src");
    let run = |extra: &[String]| -> Result<()> {
        let output = Command::new("make")
            .arg("-C")
            .arg(&src)
            .args(extra)
            .output()
            .context("cannot start make")?;
        fs::write(home.join("build.log"), &output.stdout)?;
        if !output.status.success() {
            bail!(
                "building the shared library of {} failed: {}",
                built.name,
                tail(&String::from_utf8_lossy(&output.stderr))
            );
        }
        Ok(())
    };
    run(&["clean".to_owned()])?;
    run(&args)?;
    if !library.is_file() {
        bail!("make left no {}", library.display());
    }
    cx.record(format!(
        "cp -r {} {} && make -C {} clean && make -C {} {}",
        built.dir.display(),
        tree.display(),
        src.display(),
        src.display(),
        args.join(" ")
    ));
    fs::write(&stamp_file, stamp)?;
    timer.done();
    Ok(library)
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
