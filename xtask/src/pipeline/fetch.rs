//! Finds the LuaJIT tree to work on: the one vendored by the pinned
//! `luajit-src` crate (through `cargo metadata`), or a local directory.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use xshell::cmd;

use super::Context;

/// A pristine LuaJIT tree (the folder holding `src/` and `Makefile`).
#[derive(Clone)]
pub struct Source {
    /// Human-readable origin, e.g. `luajit-src 210.4.8+resty107baaf`.
    pub label: String,
    /// The crate version, when the tree comes from `luajit-src`.
    pub crate_version: Option<String>,
    pub dir: PathBuf,
}

/// The tree of the `luajit-src` version luajit-sys pins.
pub fn vendored(cx: &mut Context) -> Result<Source> {
    let cargo = super::cargo();
    let manifest = cx.root.join("Cargo.toml");
    cx.record(format!("{cargo} metadata --format-version 1 --manifest-path Cargo.toml"));
    let json = cmd!(cx.sh, "{cargo} metadata --format-version 1 --manifest-path {manifest}")
        .quiet()
        .read()
        .context("`cargo metadata` failed; is the network to crates.io reachable?")?;
    let metadata: serde_json::Value = serde_json::from_str(&json).context("cannot parse `cargo metadata` output")?;
    let package = metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == "luajit-src"))
        .context("luajit-src is not in the dependency graph; luajit-sys should depend on it")?;
    let version = package["version"].as_str().unwrap_or("?").to_owned();
    let manifest_path = PathBuf::from(package["manifest_path"].as_str().context("luajit-src has no manifest_path")?);
    let dir = manifest_path.parent().context("manifest_path has no parent")?.join("luajit2");
    check_is_luajit(&dir).with_context(|| format!("luajit-src {version} has no usable luajit2/ folder"))?;
    Ok(Source { label: format!("luajit-src {version}"), crate_version: Some(version), dir })
}

/// A local tree given by the user.
pub fn local(dir: &Path) -> Result<Source> {
    if !dir.is_dir() {
        bail!("--luajit-dir {}: no such directory", dir.display());
    }
    let dir = dir.canonicalize().with_context(|| format!("cannot resolve {}", dir.display()))?;
    check_is_luajit(&dir)?;
    Ok(Source { label: format!("directory {}", dir.display()), crate_version: None, dir })
}

/// The build folder name for a local tree: one per tree, so checking two
/// trees in turn rebuilds neither.
pub fn checked_variant_name(source: &Source) -> String {
    use sha2::{Digest, Sha256};
    let tag = format!("{:x}", Sha256::digest(source.dir.to_string_lossy().as_bytes()));
    format!("checked-{}", &tag[..12])
}

fn check_is_luajit(dir: &Path) -> Result<()> {
    let needed = ["Makefile", "src/Makefile", "src/lua.h", "src/lj_emit_arm64.h"];
    let mut absent: Vec<&str> = needed.iter().copied().filter(|f| !dir.join(f).is_file()).collect();
    // Upstream's rolling releases generate luajit.h from luajit_rolling.h.
    if !dir.join("src/luajit.h").is_file() && !dir.join("src/luajit_rolling.h").is_file() {
        absent.push("src/luajit.h");
    }
    if !absent.is_empty() {
        bail!(
            "{} is not a LuaJIT 2.1 tree with an ARM64 backend (missing {}); pass the folder that holds src/ and Makefile",
            dir.display(),
            absent.join(", ")
        );
    }
    Ok(())
}
