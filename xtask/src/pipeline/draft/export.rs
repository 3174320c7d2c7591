//! A series exported for upstream: `git format-patch` text regenerated in
//! a scratch repository of the tree, without the project's trailers.

use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result};
use xshell::{Shell, cmd};

use crate::pipeline::patch::{Series, copy_tree};

/// Trailers the project's verdict reads and upstream has no use for.
const PROJECT_TRAILERS: [&str; 3] = ["Fixes: arm64-verify#", "Machine-code:", "Fixes: LuaJIT#"];

/// Each patch of `series` (in order) as upstream would receive it: file
/// name and text. Hunk headers carry the function they are in, as git
/// writes them for C.
pub fn export_series(
    sh: &Shell,
    tree: &Path,
    series: &Series,
    scratch: &Path,
) -> Result<Vec<(String, String)>> {
    let _ = fs::remove_dir_all(scratch);
    copy_tree(tree, scratch)?;
    let _dir = sh.push_dir(scratch);
    let quiet = [
        "-c",
        "user.name=export",
        "-c",
        "user.email=export@localhost",
    ];
    cmd!(sh, "git init -q").run()?;
    cmd!(sh, "git add -A").run()?;
    cmd!(sh, "git {quiet...} commit -q -m tree").run()?;
    let mut exported = Vec::new();
    for (index, patch) in series.patches.iter().enumerate() {
        let path = &patch.path;
        cmd!(sh, "git apply {path}")
            .run()
            .with_context(|| format!("{} does not apply to the tree", patch.name))?;
        let text = fs::read_to_string(path)?;
        let message = message_without_trailers(&text);
        let (author, date) = header(&text);
        cmd!(sh, "git add -A").run()?;
        cmd!(
            sh,
            "git {quiet...} commit -q --author {author} --date {date} -m {message}"
        )
        .run()?;
        let number = format!("{}", index + 1);
        let out = cmd!(
            sh,
            "git format-patch -1 --stdout --start-number {number} --no-signature"
        )
        .read()?;
        exported.push((patch.name.clone(), out + "\n"));
    }
    drop(_dir);
    let _ = fs::remove_dir_all(scratch);
    Ok(exported)
}

/// Whether `text` applies to `tree` with `git apply --check`.
pub fn check_applies(sh: &Shell, tree: &Path, text: &str, scratch: &Path) -> Result<()> {
    fs::create_dir_all(scratch)?;
    let file = scratch.join("exported.patch");
    fs::write(&file, text)?;
    let _dir = sh.push_dir(tree);
    let result = cmd!(sh, "git apply --check {file}").quiet().run();
    drop(_dir);
    let _ = fs::remove_dir_all(scratch);
    Ok(result?)
}

fn header(text: &str) -> (String, String) {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    (field("From: "), field("Date: "))
}

/// The subject and body, without the project's trailers.
fn message_without_trailers(text: &str) -> String {
    let subject = text
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or("")
        .trim_start_matches("[PATCH] ")
        .to_owned();
    let body_start = text.find("\n\n").map_or(text.len(), |i| i + 2);
    let body_end = text.find("\n---\n").unwrap_or(text.len());
    let body: Vec<&str> = text[body_start..body_end.max(body_start)]
        .lines()
        .filter(|l| !PROJECT_TRAILERS.iter().any(|t| l.starts_with(t)))
        .collect();
    format!("{subject}\n\n{}", body.join("\n").trim_end())
}
