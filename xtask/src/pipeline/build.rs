//! Prepares a variant (copy the pristine tree, apply patches) and builds it
//! for aarch64 with LuaJIT's own Makefile. A variant is rebuilt only when
//! its source, its patches or the build settings change.

use std::fs;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};
use sha2::{Digest, Sha256};

use super::fetch::{Source, hash_tree};
use super::patch::{Series, copy_keeping_times, copy_tree};
use super::{Context, neighbour, step};

/// The security macros that randomise machine code and addresses. With them
/// off, two runs of one script give the same traces and the same bytes.
pub const DETERMINISM_FLAGS: &str = "-DLUAJIT_SECURITY_PRNG=0 -DLUAJIT_SECURITY_STRHASH=0 -DLUAJIT_SECURITY_STRID=0 -DLUAJIT_SECURITY_MCODE=0";

/// The build folder as `.` in debug information and `__FILE__`: LuaJIT's
/// Makefile compiles with `-g`, and an object compiled in another variant's
/// folder (kept by an incremental build) must equal one compiled here. make
/// expands `$(CURDIR)`, so the flag itself names no folder.
pub const REPRODUCIBLE_PATHS: &str = "-ffile-prefix-map=$(CURDIR)=.";

/// The names of the tree as given and of the tree with the series: their
/// folders under target/luajit, and how reports name them.
pub const BASELINE: &str = "baseline";
pub const PATCHED: &str = "patched";

/// A variant to build: a tree and the patches applied on top of it.
pub struct VariantSpec<'a> {
    pub name: String,
    pub source: &'a Source,
    /// The series to apply, if any.
    pub series: Option<&'a Series>,
    /// Apply the series in reverse (last patch first): take it out of a tree that has it.
    pub reverse: bool,
}

impl VariantSpec<'_> {
    /// The folder under target/luajit: the name, plus the tree's tag when it
    /// is not the default tree and the series' tag when it is not the
    /// project's, so builds of different trees or series do not evict each other.
    pub fn dir_name(&self, default_series: &Path) -> String {
        let mut name = self.name.clone();
        if !self.source.tag.is_empty() {
            name = format!("{name}-{}", self.source.tag);
        }
        if let Some(series) = self.series.filter(|s| s.dir != default_series) {
            name = format!("{name}-{}", series.tag());
        }
        name
    }
}

/// A built variant: `dir` is a LuaJIT tree with `src/libluajit.a` and `src/luajit`.
pub struct Built {
    pub name: String,
    pub dir: PathBuf,
    /// The hash of everything the build depends on (tree, patches, settings).
    pub fingerprint: String,
    pub rebuilt: bool,
    pub seconds: f64,
}

pub fn prepare_and_build(cx: &mut Context, spec: &VariantSpec) -> Result<Built> {
    let home = cx.variant_dir(&spec.dir_name(&cx.patches_dir()));
    let tree = home.join("tree");
    let stamp_file = home.join("stamp");
    let stamp = fingerprint(cx, spec)?;
    if fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp)
        && tree.join("src/libluajit.a").is_file()
    {
        eprintln!("==> {}: up to date ({})", spec.name, tree.display());
        record_build(
            cx,
            spec,
            &Start::Pristine,
            &tree,
            "  # up to date, not rerun",
        );
        return Ok(Built {
            name: spec.name.clone(),
            dir: tree,
            fingerprint: stamp,
            rebuilt: false,
            seconds: 0.0,
        });
    }

    // A patched variant starts from a copy of the tree's own build, times
    // kept, so that make rebuilds only what the patches touch.
    // An unpatched build made under another name (the baseline, `tree`)
    // is the same build: copied, make has nothing to do. A tree with no
    // build starts from its nearest neighbour's.
    let base = match spec.series {
        Some(_) => Some(built_base(cx, spec.source)?),
        None => existing_base(cx, spec.source)?,
    };
    let neighbour = match base {
        Some(_) => None,
        None => neighbour::nearest(&cx.target_dir().join("luajit"), &spec.source.dir)?,
    };
    let start = match (&base, &neighbour) {
        (Some(base), _) => Start::Build(&base.dir),
        (None, Some((tree, _))) => Start::Neighbour(tree),
        (None, None) => Start::Pristine,
    };
    let timer = step(format!(
        "{}: preparing {} from {}{}",
        spec.name,
        tree.display(),
        spec.source.label,
        match &start {
            Start::Build(_) => " (its build, copied)".to_owned(),
            Start::Neighbour(from) => format!(
                " (the build of {}, {} files differing)",
                from.parent().unwrap_or(from).display(),
                neighbour.as_ref().map_or(0, |(_, n)| *n)
            ),
            Start::Pristine => String::new(),
        }
    ));
    let staging = home.join("tree.staging");
    let _ = fs::remove_file(&stamp_file);
    record_build(cx, spec, &start, &tree, "");
    if let Err(error) = assemble(cx, spec, &start, &staging, &home.join("build.log")) {
        let _ = fs::remove_dir_all(&staging);
        return Err(error);
    }
    if tree.exists() {
        fs::remove_dir_all(&tree)
            .with_context(|| format!("cannot remove the old {}", tree.display()))?;
    }
    fs::rename(&staging, &tree)?;
    fs::write(&stamp_file, &stamp)?;
    let seconds = timer.done();
    Ok(Built {
        name: spec.name.clone(),
        dir: tree,
        fingerprint: stamp,
        rebuilt: true,
        seconds,
    })
}

/// What a variant's tree is made from. All three give the same bytes;
/// `cargo xtask test` checks it.
pub enum Start<'a> {
    /// The pristine tree, after `make clean`.
    Pristine,
    /// A build of the unpatched tree, copied with its times: make rebuilds
    /// only what the patches touch.
    Build(&'a Path),
    /// A build of another tree with the same src/Makefile, its differing files
    /// replaced by this tree's (see `neighbour`): make rebuilds what they touch.
    Neighbour(&'a Path),
}

/// Makes the variant's tree in `dir` from `start`, applies the series and builds it.
pub fn assemble(
    cx: &mut Context,
    spec: &VariantSpec,
    start: &Start,
    dir: &Path,
    log: &Path,
) -> Result<()> {
    match start {
        Start::Build(base) => copy_keeping_times(base, dir)?,
        Start::Neighbour(from) => {
            let written = neighbour::sync(from, &spec.source.dir, dir)?;
            eprintln!(
                "    {}: {written} files differ from {}",
                spec.name,
                from.display()
            );
        }
        Start::Pristine => copy_tree(&spec.source.dir, dir)?,
    }
    if let Some(series) = spec.series {
        let how = if spec.reverse {
            "reverting"
        } else {
            "applying"
        };
        for patch in &series.patches {
            eprintln!("    {how} {}", patch.name);
        }
        series.apply(&cx.sh, dir, spec.reverse)?;
    }
    make(cx, &spec.name, dir, log, !matches!(start, Start::Pristine))
}

/// The arguments of LuaJIT's make for aarch64, as every variant is built.
pub fn make_args(cx: &Context) -> Vec<String> {
    let jobs = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let mut args = vec![
        format!("-j{jobs}"),
        "BUILDMODE=static".to_owned(),
        "TARGET_SYS=Linux".to_owned(),
    ];
    if !cx.toolchain.cross_prefix.is_empty() {
        args.push("HOST_CC=gcc".to_owned());
        args.push(format!("CROSS={}", cx.toolchain.cross_prefix));
    }
    args.push(format!("XCFLAGS={DETERMINISM_FLAGS} {REPRODUCIBLE_PATHS}"));
    args
}

/// Runs make in `tree`, a copy (times kept) of a tree built here with a
/// source changed since: only what depends on the change recompiles.
pub fn rebuild_in_place(cx: &mut Context, name: &str, tree: &Path, log: &Path) -> Result<()> {
    make(cx, name, tree, log, true)
}

/// Runs make, showing progress and keeping the full output in `log`.
/// `incremental`: the tree is a copy of one built here, so its objects are
/// kept; otherwise `make clean` runs first.
fn make(cx: &mut Context, name: &str, tree: &Path, log: &Path, incremental: bool) -> Result<()> {
    let args = make_args(cx);
    if !incremental {
        clean(tree)?;
    }
    run_make(name, tree, &args, log)
}

/// `make clean`: a tree built in place elsewhere brings objects for another target.
fn clean(tree: &Path) -> Result<()> {
    let clean = Command::new("make")
        .arg("-C")
        .arg(tree.join("src"))
        .arg("clean")
        .output()
        .context("cannot start make")?;
    if !clean.status.success() {
        bail!(
            "`make clean` failed in {}: {}",
            tree.display(),
            String::from_utf8_lossy(&clean.stderr).trim()
        );
    }
    Ok(())
}

fn run_make(name: &str, tree: &Path, args: &[String], log: &Path) -> Result<()> {
    let mut child = Command::new("make")
        .arg("-C")
        .arg(tree.join("src"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start make")?;
    let stderr = child.stderr.take().expect("piped");
    let stderr_lines = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let mut log_text = String::new();
    let tty = std::io::stderr().is_terminal();
    let mut compiled = 0;
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line?;
        if line.trim_start().starts_with("CC ") || line.trim_start().starts_with("HOSTCC ") {
            compiled += 1;
            if tty {
                eprint!(
                    "\r    {name}: compiled {compiled} files, {:<40}",
                    line.split_whitespace().last().unwrap_or("")
                );
                let _ = std::io::stderr().flush();
            } else if compiled % 20 == 0 {
                eprintln!("    {name}: compiled {compiled} files");
            }
        }
        log_text.push_str(&line);
        log_text.push('\n');
    }
    if tty {
        eprintln!();
    }
    let status = child.wait()?;
    for line in stderr_lines.join().unwrap_or_default() {
        log_text.push_str(&line);
        log_text.push('\n');
    }
    fs::write(log, &log_text)?;
    if !status.success() {
        let tail: Vec<&str> = log_text
            .lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        bail!(
            "building {name} failed ({status}); the end of {}:\n{}",
            log.display(),
            tail.join("\n")
        );
    }
    Ok(())
}

/// Logs how the variant's tree is made, for the report.
fn record_build(cx: &mut Context, spec: &VariantSpec, start: &Start, tree: &Path, note: &str) {
    match start {
        Start::Build(base) => {
            cx.record(format!("cp -a {} {}{note}", base.display(), tree.display()))
        }
        // What the neighbour saves is time only: the commands that give
        // the same bytes are those of a clean build.
        Start::Neighbour(_) | Start::Pristine => cx.record(format!(
            "cp -r {} {}{note}",
            spec.source.dir.display(),
            tree.display()
        )),
    }
    if let Some(series) = spec.series {
        for patch in &series.patches {
            let flag = if spec.reverse { " --reverse" } else { "" };
            cx.record(format!(
                "git -C {} apply{flag} {}{note}",
                tree.display(),
                patch.path.display()
            ));
        }
    }
    let args: Vec<String> = make_args(cx).iter().map(|a| shell_quote(a)).collect();
    let src = tree.join("src");
    let clean = match start {
        Start::Build(_) => String::new(),
        Start::Neighbour(_) | Start::Pristine => format!("make -C {} clean && ", src.display()),
    };
    cx.record(format!(
        "{clean}make -C {} {}{note}",
        src.display(),
        args.join(" ")
    ));
}

/// A hash of everything the build's result depends on.
fn fingerprint(cx: &Context, spec: &VariantSpec) -> Result<String> {
    let mut hasher = Sha256::new();
    hash_tree(&spec.source.dir, &spec.source.dir, &mut hasher)?;
    if let Some(series) = spec.series {
        for patch in &series.patches {
            hasher.update(patch.name.as_bytes());
            hasher.update(patch.sha256.as_bytes());
        }
    }
    hasher.update(if spec.reverse {
        b"reverse".as_slice()
    } else {
        b"forward".as_slice()
    });
    hasher.update(make_args(cx).join(" ").as_bytes());
    Ok(format!("{:x}\n", hasher.finalize()))
}

fn shell_quote(arg: &str) -> String {
    if arg.contains(' ') {
        format!("'{arg}'")
    } else {
        arg.to_owned()
    }
}

/// The tree's own build without patches: the baseline, the patched variant
/// of revert-check mode, or the one `check` and the sweep build as `tree`,
/// which is built first when there is none.
fn built_base(cx: &mut Context, source: &Source) -> Result<Built> {
    if let Some(built) = existing_base(cx, source)? {
        return Ok(built);
    }
    prepare_and_build(
        cx,
        &VariantSpec {
            name: "tree".to_owned(),
            source,
            series: None,
            reverse: false,
        },
    )
}

/// An up-to-date build of `source` without patches, under any of the
/// names it is built as.
fn existing_base(cx: &Context, source: &Source) -> Result<Option<Built>> {
    for name in [BASELINE, PATCHED, "tree"] {
        let spec = VariantSpec {
            name: name.to_owned(),
            source,
            series: None,
            reverse: false,
        };
        let home = cx.variant_dir(&spec.dir_name(&cx.patches_dir()));
        let stamp = fingerprint(cx, &spec)?;
        if fs::read_to_string(home.join("stamp")).is_ok_and(|s| s == stamp)
            && home.join("tree/src/libluajit.a").is_file()
        {
            return Ok(Some(Built {
                name: spec.name,
                dir: home.join("tree"),
                fingerprint: stamp,
                rebuilt: false,
                seconds: 0.0,
            }));
        }
    }
    Ok(None)
}

/// The gcov-instrumented twin of `base`: its build copied, `lj_asm.o` (the
/// backend: `lj_asm_arm64.h` and `lj_emit_arm64.h` are included there)
/// recompiled with `--coverage`, and `luajit` relinked with libgcov. Only the
/// backend is instrumented, so the rest runs at full speed. Built in place,
/// in `NAME-coverage/tree`: the counters of `lj_asm.o` go to that folder
/// (or under `GCOV_PREFIX`, stripped of `coverage_strip` components).
pub fn coverage_build(cx: &mut Context, base: &Built) -> Result<Built> {
    let base_home = base
        .dir
        .parent()
        .context("a build's tree has a parent folder")?;
    let name = format!(
        "{}-coverage",
        base_home.file_name().unwrap_or_default().to_string_lossy()
    );
    let home = base_home.with_file_name(&name);
    let tree = home.join("tree");
    let stamp_file = home.join("stamp");
    let stamp = format!("{}coverage\n", base.fingerprint);
    if fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp)
        && tree.join("src/lj_asm.gcno").is_file()
    {
        eprintln!("==> {name}: up to date ({})", tree.display());
        return Ok(Built {
            name,
            dir: tree,
            fingerprint: stamp,
            rebuilt: false,
            seconds: 0.0,
        });
    }
    let timer = step(format!(
        "{name}: instrumenting the backend of {} for gcov",
        base.name
    ));
    let _ = fs::remove_file(&stamp_file);
    copy_keeping_times(&base.dir, &tree)?;
    let src = tree.join("src");
    for stale in ["lj_asm.o", "lj_asm.gcda"] {
        let _ = fs::remove_file(src.join(stale));
    }
    let args = make_args(cx);
    let instrumented: Vec<String> = args
        .iter()
        .map(|a| match a.strip_prefix("XCFLAGS=") {
            Some(flags) => format!("XCFLAGS={flags} --coverage"),
            None => a.clone(),
        })
        .chain(["lj_asm.o".to_owned()])
        .collect();
    let log = home.join("build.log");
    run_make(&name, &tree, &instrumented, &log)?;
    let mut relink = args;
    relink.push("TARGET_XLIBS=-lm -ldl -lgcov".to_owned());
    run_make(&name, &tree, &relink, &home.join("link.log"))?;
    fs::write(&stamp_file, &stamp)?;
    let seconds = timer.done();
    Ok(Built {
        name,
        dir: tree,
        fingerprint: stamp,
        rebuilt: true,
        seconds,
    })
}

/// `GCOV_PREFIX_STRIP` for a coverage build: the components of its `src/`.
pub fn coverage_strip(built: &Built) -> usize {
    built.dir.join("src").components().count() - 1
}
