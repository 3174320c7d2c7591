//! Finds the LuaJIT tree to work on: the one vendored by the pinned
//! `luajit-src` crate (through `cargo metadata`), or a local directory.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use sha2::{Digest, Sha256};
use xshell::cmd;

use super::Context;

/// A pristine LuaJIT tree (the folder holding `src/` and `Makefile`).
#[derive(Clone, serde::Serialize)]
pub struct Source {
    /// Human-readable origin, e.g. `luajit-src 210.4.8+resty107baaf`.
    pub label: String,
    /// The crate version, when the tree comes from `luajit-src`.
    pub crate_version: Option<String>,
    /// The git commit of a local checkout, when there is one.
    pub git_commit: Option<String>,
    pub dir: PathBuf,
    /// Empty for the default tree; otherwise names its build folders.
    pub tag: String,
}

/// Which LuaJIT tree to work on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Tree {
    /// The tree of the luajit-src version luajit-sys pins.
    #[default]
    Pinned,
    /// A local tree (the folder holding src/ and Makefile).
    Dir(PathBuf),
    /// A published luajit-src version, e.g. 210.7.4+c6ffc14.
    Published(String),
}

impl Tree {
    /// The tree's name before it is fetched (and when it cannot be).
    pub fn name(&self) -> String {
        match self {
            Tree::Pinned => "the pinned luajit-src".to_owned(),
            Tree::Published(version) => format!("luajit-src {version}"),
            Tree::Dir(dir) => format!("directory {}", dir.display()),
        }
    }
}

/// Finds the tree and checks that it is LuaJIT.
pub fn select(cx: &mut Context, tree: &Tree) -> Result<Source> {
    match tree {
        Tree::Dir(dir) => local(dir),
        Tree::Published(version) => published(cx, version),
        Tree::Pinned => vendored(cx),
    }
}

/// Any published version of `luajit-src`, fetched through cargo into a
/// scratch package under target/.
pub fn published(cx: &mut Context, version: &str) -> Result<Source> {
    let (number, metadata) = version
        .split_once('+')
        .map_or((version, None), |(n, m)| (n, Some(m)));
    if number.split('.').count() != 3 || !number.split('.').all(|part| part.parse::<u64>().is_ok())
    {
        bail!(
            "--luajit-src {version}: not a crate version (expected e.g. 210.7.4 or 210.7.4+c6ffc14)"
        );
    }
    let scratch = cx
        .target_dir()
        .join("luajit-src")
        .join(version.replace('+', "_"));
    fs::create_dir_all(scratch.join("src"))
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    fs::write(
        scratch.join("Cargo.toml"),
        format!(
            "[package]\nname = \"fetch-luajit-src\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\nluajit-src = \"={number}\"\n\n[workspace]\n"
        ),
    )?;
    fs::write(scratch.join("src/lib.rs"), "")?;
    let cargo = super::cargo();
    let manifest = scratch.join("Cargo.toml");
    cx.record(format!(
        "{cargo} metadata --format-version 1 --manifest-path {}  # luajit-src ={number}",
        manifest.display()
    ));
    let output = cmd!(
        cx.sh,
        "{cargo} metadata --format-version 1 --manifest-path {manifest}"
    )
    .quiet()
    .ignore_status()
    .output()?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let why = stderr
            .lines()
            .find(|l| l.contains("error"))
            .unwrap_or("cargo could not resolve it")
            .trim()
            .to_owned();
        bail!(
            "--luajit-src {version}: cargo cannot fetch luajit-src ={number} ({why}); see `cargo info luajit-src` for published versions"
        );
    }
    let metadata_json: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("cannot parse `cargo metadata` output")?;
    let (resolved, dir) = luajit_src_package(&metadata_json)?;
    if let Some(wanted) = metadata
        && !resolved.ends_with(&format!("+{wanted}"))
    {
        bail!("--luajit-src {version}: crates.io has luajit-src {resolved}, not +{wanted}");
    }
    if !dir.is_dir() {
        bail!("luajit-src {resolved} vendors no LuaJIT tree (neither luajit2/ nor luajit/)");
    }
    check_is_luajit(&dir).with_context(|| {
        format!("luajit-src {resolved} has no usable luajit2/ (or luajit/) folder")
    })?;
    Ok(Source {
        label: format!("luajit-src {resolved}"),
        crate_version: Some(resolved.clone()),
        git_commit: None,
        dir,
        tag: resolved,
    })
}

fn luajit_src_package(metadata: &serde_json::Value) -> Result<(String, PathBuf)> {
    let package = metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == "luajit-src"))
        .context("luajit-src is not in the dependency graph")?;
    let version = package["version"].as_str().unwrap_or("?").to_owned();
    let manifest_path = PathBuf::from(
        package["manifest_path"]
            .as_str()
            .context("luajit-src has no manifest_path")?,
    );
    let package_dir = manifest_path
        .parent()
        .context("manifest_path has no parent")?;
    // 210.1.0 on vendor OpenResty's luajit2 in luajit2/; 210.0.0 vendored
    // upstream LuaJIT in luajit/.
    let dir = ["luajit2", "luajit"]
        .iter()
        .map(|name| package_dir.join(name))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| package_dir.join("luajit2"));
    Ok((version, dir))
}

/// The tree of the `luajit-src` version luajit-sys pins.
pub fn vendored(cx: &mut Context) -> Result<Source> {
    let cargo = super::cargo();
    let manifest = cx.root.join("Cargo.toml");
    cx.record(format!(
        "{cargo} metadata --format-version 1 --manifest-path Cargo.toml"
    ));
    let json = cmd!(
        cx.sh,
        "{cargo} metadata --format-version 1 --manifest-path {manifest}"
    )
    .quiet()
    .read()
    .context("`cargo metadata` failed; is the network to crates.io reachable?")?;
    let metadata: serde_json::Value =
        serde_json::from_str(&json).context("cannot parse `cargo metadata` output")?;
    let (version, dir) =
        luajit_src_package(&metadata).context("luajit-sys should depend on luajit-src")?;
    check_is_luajit(&dir).with_context(|| {
        format!("luajit-src {version} has no usable luajit2/ (or luajit/) folder")
    })?;
    Ok(Source {
        label: format!("luajit-src {version}"),
        crate_version: Some(version),
        git_commit: None,
        dir,
        tag: String::new(),
    })
}

/// A local tree given by the user.
pub fn local(dir: &Path) -> Result<Source> {
    if !dir.is_dir() {
        bail!("--luajit-dir {}: no such directory", dir.display());
    }
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))?;
    check_is_luajit(&dir)?;
    let git_commit = std::process::Command::new("git")
        .args(["-C"])
        .arg(&dir)
        .args(["rev-parse", "HEAD"])
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap_or(&dir))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    // Named after the content, not the path: another tree at the same path
    // (or the same tree edited) gets its own build and stress folders.
    let mut hasher = Sha256::new();
    hash_tree(&dir, &dir, &mut hasher).with_context(|| format!("cannot read {}", dir.display()))?;
    let hash = format!("{:x}", hasher.finalize());
    let label = match &git_commit {
        Some(commit) => format!("directory {} (git commit {commit})", dir.display()),
        None => format!("directory {}", dir.display()),
    };
    Ok(Source {
        label,
        crate_version: None,
        git_commit,
        dir,
        tag: format!("dir-{}", &hash[..12]),
    })
}

fn check_is_luajit(dir: &Path) -> Result<()> {
    let needed = [
        "Makefile",
        "src/Makefile",
        "src/lua.h",
        "src/lj_emit_arm64.h",
    ];
    let mut absent: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect();
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

/// Hashes every file under `dir` (but `.git`) by path relative to `root`
/// and content, in name order.
pub fn hash_tree(root: &Path, dir: &Path, hasher: &mut Sha256) -> Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if entry.file_name() == ".git" {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            hash_tree(root, &path, hasher)?;
        } else if kind.is_file() {
            hasher.update(
                path.strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .as_bytes(),
            );
            hasher.update(fs::read(&path)?);
        }
    }
    Ok(())
}

/// Every published version of `luajit-src`, in the order of cargo's
/// registry index (publication order), yanked ones left out (cargo cannot
/// fetch them by version). The index is refreshed first through
/// `cargo info`, so a version published since the last fetch is in it.
pub fn published_versions(cx: &mut Context) -> Result<Vec<String>> {
    let cargo = super::cargo();
    cx.record(format!(
        "{cargo} info luajit-src  # refreshes the registry index"
    ));
    // Outside the workspace, so the answer comes from the registry and
    // not from this project's lock file.
    let output = std::process::Command::new(&cargo)
        .args(["info", "luajit-src"])
        .current_dir(std::env::temp_dir())
        .output()
        .with_context(|| format!("cannot run {cargo} info luajit-src"))?;
    if !output.status.success() {
        bail!(
            "`cargo info luajit-src` failed, so the registry index cannot be refreshed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let file = index_file()?;
    let bytes = std::fs::read(&file)
        .with_context(|| format!("cannot read cargo's index file {}", file.display()))?;
    let versions = index_versions(&bytes);
    if versions.is_empty() {
        bail!(
            "cargo's index file {} lists no version of luajit-src (format changed?)",
            file.display()
        );
    }
    Ok(versions)
}

/// Where cargo keeps its copy of the registry's entry for `luajit-src`.
fn index_file() -> Result<PathBuf> {
    let home = match std::env::var_os("CARGO_HOME") {
        Some(home) => PathBuf::from(home),
        None => {
            PathBuf::from(std::env::var_os("HOME").context("neither CARGO_HOME nor HOME is set")?)
                .join(".cargo")
        }
    };
    let index = home.join("registry").join("index");
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&index) {
        for entry in entries.flatten() {
            // Sparse registries keep it under .cache, git ones under cache.
            for cache in [".cache", "cache"] {
                let file = entry.path().join(cache).join("lu/aj/luajit-src");
                if file.is_file() {
                    found.push(file);
                }
            }
        }
    }
    // The most recently written copy is the one `cargo info` just refreshed.
    found.sort_by_key(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok());
    found.pop().with_context(|| {
        format!(
            "no cached registry entry for luajit-src under {}/*/{{.cache,cache}}/lu/aj/ after `cargo info luajit-src`",
            index.display()
        )
    })
}

/// The versions in an index cache file: a binary header, then NUL-separated
/// pairs of a version and its JSON line.
fn index_versions(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|b| *b == 0)
        .filter(|part| part.first() == Some(&b'{'))
        .filter_map(|part| serde_json::from_slice::<serde_json::Value>(part).ok())
        .filter(|entry| entry["name"] == "luajit-src" && entry["yanked"] != true)
        .filter_map(|entry| entry["vers"].as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_versions_skip_yanked_and_other_crates() {
        let mut bytes = vec![3u8, 2, 0, 0, 0];
        bytes.extend_from_slice(b"etag\0");
        for (vers, yanked, name) in [
            ("1.0.0", false, "luajit-src"),
            ("1.0.1", true, "luajit-src"),
            ("9.9.9", false, "other"),
            ("1.1.0+abc", false, "luajit-src"),
        ] {
            bytes.extend_from_slice(vers.as_bytes());
            bytes.push(0);
            bytes.extend_from_slice(
                format!(r#"{{"name":"{name}","vers":"{vers}","yanked":{yanked}}}"#).as_bytes(),
            );
            bytes.push(0);
        }
        assert_eq!(index_versions(&bytes), ["1.0.0", "1.1.0+abc"]);
    }
}
