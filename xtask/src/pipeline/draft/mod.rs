//! Upstream drafts: a finding turned into an issue upstream can act on, in
//! its own terms (a standalone script, -jdump, commits, a patch).
//!
//! `draft` runs a case or any script as a stock `luajit` of the tree runs
//! it, with the JIT and with `-joff`, matches what it shows against the
//! catalogue as the findings store does (and records it there), and, given
//! a fix series, builds the fixed tree to show the machine code the fix
//! changes, exports the series in upstream's style and checks it.

pub mod export;
mod issue;
mod jdump;
pub mod script;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde::Serialize;

use super::expect::fails_as_pinned;
use super::fetch::{Source, Tree};
use super::findings::matching::{self, Candidate, Judge};
use super::findings::{Match, Sighting, Store};
use super::patch::{PatchState, Series};
use super::stress::{self, Kind, Plan};
use super::suite::outcome::{CaseResult, Outcome, Status};
use super::variants::{Variant, build_variant, single};
use super::{Context, Timings, suite};
use contract::case::Case;

/// Characters a draft may take: an issue a maintainer reads in one go.
pub const MAX_CHARS: usize = 6000;

/// What to draft.
pub struct Options {
    /// A case (path or name under tests/cases) or any Lua script.
    pub script: PathBuf,
    pub tree: Tree,
    /// A fix series to show, export and check.
    pub patches: Option<PathBuf>,
    /// The regression range, as `bisect` rendered it for the draft.
    pub range: Option<String>,
}

/// What a draft found and where it is.
#[derive(Debug, Serialize)]
pub struct Drafted {
    pub name: String,
    pub tree: String,
    /// The issues the script's behaviour matches; empty when it is new.
    pub matches: Vec<String>,
    #[serde(rename = "match")]
    pub matched: Match,
    /// Whether the JIT and `-joff` disagree on the tree.
    pub differs: bool,
    pub jit: String,
    pub joff: String,
    pub issue_md: PathBuf,
    pub script: PathBuf,
    pub patches: Vec<PathBuf>,
    /// With a series: whether the fixed tree agrees on the script.
    pub fixed_agrees: Option<bool>,
}

/// A script to draft from, resolved: its path, source and case header.
pub struct Subject {
    pub name: String,
    pub path: PathBuf,
    pub source: String,
    pub case: Option<Case>,
}

/// Finds the script: a path, or the name of a case under `cases_dir`.
pub fn subject(cases_dir: &Path, script: &Path) -> Result<Subject> {
    let path = if script.is_file() {
        script.to_owned()
    } else {
        let named = cases_dir.join(script).with_extension("lua");
        if !named.is_file() {
            bail!(
                "{}: no such file, and no case of that name in {}; pass a Lua script or a case name",
                script.display(),
                cases_dir.display()
            );
        }
        named
    };
    let path = path.canonicalize()?;
    let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let source = String::from_utf8(bytes.clone())
        .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
    let case = Case::parse(&path, bytes).ok();
    let name = path
        .file_stem()
        .map_or_else(|| "script".to_owned(), |s| s.to_string_lossy().into_owned());
    Ok(Subject {
        name,
        path,
        source,
        case,
    })
}

pub fn draft(cx: &mut Context, options: &Options) -> Result<Drafted> {
    let subject = subject(&cx.cases_dir(), &options.script)?;
    let (source, tree_name, variant) = single(cx, &options.tree)?;
    let home = cx.target_dir().join("reports").join(&subject.name);
    fs::create_dir_all(&home).with_context(|| format!("cannot create {}", home.display()))?;
    let standalone = script::standalone(&subject.source);
    let script_path = home.join(format!("{}.lua", subject.name));
    fs::write(&script_path, &standalone)?;

    eprintln!("==> {}: running {} with the JIT and with -joff", source.label, script_path.display());
    let runner = matching::stock_runner(cx, &variant);
    let (jit, joff) = matching::run_both(&runner, &script_path)?;
    let differs = matching::outcomes_differ(&jit, &joff);
    let matched = match_subject(cx, &subject, &source, &tree_name, &variant, &jit, differs)?;
    if differs {
        Store::open(&cx.target_dir())?.record(&Sighting {
            kind: kind_of(&jit).label().to_owned(),
            difference: format!("with the JIT: {}; with -joff: {}", said(&jit), said(&joff)),
            program: subject.source.clone(),
            shrunk: Some(standalone.clone()),
            jit: said(&jit),
            interpreter: said(&joff),
            families: vec![format!("script {}", subject.name)],
            tree: source.label.clone(),
            run: format!("report {}", subject.name),
            count: 1,
            matched: matched.clone(),
        })?;
    }
    let jdump = |runner: &super::probe::exec::Runner| -> Result<String> {
        let limit = std::time::Duration::from_secs_f64(stress::RUN_TIMEOUT);
        let dump = runner.run(&["-jdump=mr".as_ref(), script_path.as_os_str()], false, limit)?;
        Ok(dump.output)
    };
    let dump = jdump(&runner)?;

    let mut fix = None;
    if let Some(dir) = &options.patches {
        let series = Series::load(dir)?;
        let states = series.each_state(&cx.sh, &source.dir, &cx.target_dir().join("report-scratch"))?;
        let applies = series.only(&states, PatchState::Applies);
        if applies.patches.is_empty() {
            bail!(
                "no patch of {} applies to {} (each is already in the tree or does not fit); a draft needs the fix as a change to this tree",
                dir.display(),
                source.label
            );
        }
        let fixed = build_variant(cx, "report-fixed", &source, Some(&applies), false, &mut Timings::default())?;
        let fixed_runner = matching::stock_runner(cx, &fixed);
        let (fixed_jit, fixed_joff) = matching::run_both(&fixed_runner, &script_path)?;
        let excerpt = jdump::fix_excerpt(&dump, &jdump(&fixed_runner)?);
        let exported = export::export_series(&cx.sh, &source.dir, &applies, &home.join("export-scratch"))?;
        let mut paths = Vec::new();
        for (file, text) in &exported {
            export::check_applies(&cx.sh, &source.dir, text, &home.join("apply-scratch"))
                .with_context(|| format!("the exported {file} does not apply to {}", source.label))?;
            let path = home.join(file);
            fs::write(&path, text)?;
            paths.push(path);
        }
        let verdict = verdict(cx, &variant, &fixed, &fixed_jit, &fixed_joff)?;
        fix = Some(issue::Fix {
            agrees: !matching::outcomes_differ(&fixed_jit, &fixed_joff),
            excerpt,
            patches: exported.into_iter().map(|(_, text)| text).collect(),
            paths,
            verdict,
        });
    }
    let excerpt_without_fix = fix
        .as_ref()
        .and_then(|f| f.excerpt.clone())
        .is_none()
        .then(|| jdump::last_trace(&dump))
        .flatten();
    let cause = cause(cx, &subject, &matched)?;
    let text = issue::render(&issue::Facts {
        script: &standalone,
        jit: &jit,
        joff: &joff,
        tree: &source,
        execution: &execution(cx),
        excerpt_without_fix: excerpt_without_fix.as_deref(),
        cause: cause.as_deref(),
        range: options.range.as_deref(),
        fix: fix.as_ref(),
    });
    let issue_md = home.join("issue.md");
    fs::write(&issue_md, &text)?;
    Ok(Drafted {
        name: subject.name,
        tree: source.label,
        matches: matched.issues().to_vec(),
        matched,
        differs,
        jit: said(&jit),
        joff: said(&joff),
        issue_md,
        script: script_path,
        patches: fix.as_ref().map(|f| f.paths.clone()).unwrap_or_default(),
        fixed_agrees: fix.as_ref().map(|f| f.agrees),
    })
}

/// What the script's run on the tree matches: the case itself when it is
/// one and fails as its header says; otherwise what the fix series and the
/// cases make of it, as the store matches stress findings.
fn match_subject(
    cx: &mut Context,
    subject: &Subject,
    source: &Source,
    tree_name: &str,
    variant: &Variant,
    jit: &Outcome,
    differs: bool,
) -> Result<Match> {
    if let Some(case) = &subject.case {
        let result = CaseResult {
            name: case.name.clone(),
            pins: case.pins.clone(),
            fails_with: case.fails_with.clone(),
            outcome: jit.clone(),
        };
        if fails_as_pinned(&result) {
            return Ok(matching::case_itself(&subject.path, &case.pins));
        }
    }
    if !differs {
        return Ok(Match::New {
            checked: vec!["nothing: the JIT and -joff agree on this tree".to_owned()],
        });
    }
    let tree = matching::Tree {
        name: tree_name,
        source,
        applied: None,
        variant,
    };
    let candidate = Candidate {
        source: script::standalone(&subject.source),
        kind: kind_of(jit),
        jit: jit.clone(),
    };
    let found = matching::match_programs(cx, &tree, &[candidate], Judge::Stock)?;
    Ok(found.into_iter().next().expect("one match per candidate"))
}

/// The cause paragraph: the case's own prose, or that of a case pinning
/// what the script matched.
fn cause(cx: &Context, subject: &Subject, matched: &Match) -> Result<Option<String>> {
    if subject.case.is_some()
        && let Some(prose) = script::prose(&subject.source)
    {
        return Ok(Some(prose));
    }
    if matched.issues().is_empty() {
        return Ok(None);
    }
    let cases = Case::load_dir(&cx.cases_dir()).map_err(anyhow::Error::msg)?;
    Ok(cases
        .iter()
        .filter(|c| c.pins.iter().any(|p| matched.issues().contains(p)))
        .find_map(|c| script::prose(&String::from_utf8_lossy(&c.source))))
}

/// The fixed tree judged in three lines: the script, the cases, a short
/// stress run.
fn verdict(
    cx: &mut Context,
    tree: &Variant,
    fixed: &Variant,
    jit: &Outcome,
    joff: &Outcome,
) -> Result<Vec<String>> {
    let mut lines = vec![match matching::outcomes_differ(jit, joff) {
        false => "The script prints the same with and without -joff on the patched tree.".to_owned(),
        true => format!("The script still differs on the patched tree: {} with the JIT, {} with -joff.", said(jit), said(joff)),
    }];
    let cases_dir = cx.cases_dir();
    let before = suite::run_cases(cx, "tree", &tree.suite, &cases_dir)?;
    let after = suite::run_cases(cx, "report-fixed", &fixed.suite, &cases_dir)?;
    let passing = |r: &[CaseResult]| r.iter().filter(|c| c.outcome.status == Status::Pass).count();
    lines.push(format!(
        "Regression scripts: {} of {} pass on the patched tree ({} before).",
        passing(&after),
        after.len(),
        passing(&before)
    ));
    let plan = Plan::whole(stress::DEFAULT_SEED, DRAFT_STRESS_COUNT);
    let run = stress::run_unshrunk(cx, "report-fixed", &fixed.suite, plan)?;
    lines.push(format!(
        "{} generated programs ({} traces): {} differ between the JIT and the interpreter.",
        run.programs,
        run.traces,
        run.findings.len()
    ));
    Ok(lines)
}

/// Generated programs run on the fixed tree for the draft's verdict: the
/// sweep's short run.
const DRAFT_STRESS_COUNT: u32 = 40;

fn kind_of(jit: &Outcome) -> Kind {
    match jit.status {
        Status::Crash => Kind::Crash,
        Status::Timeout => Kind::Timeout,
        Status::Fail => Kind::Error,
        Status::Pass => Kind::Mismatch,
    }
}

/// How a run ended and what it printed, on one line.
fn said(outcome: &Outcome) -> String {
    let printed = outcome.output.trim().replace('\n', " | ");
    match outcome.status {
        Status::Pass => format!("prints `{printed}`"),
        _ => outcome.summary(),
    }
}

/// Where the scripts ran: native, or which QEMU.
fn execution(cx: &Context) -> String {
    cx.toolchain
        .versions
        .iter()
        .find(|(what, _)| what == "execution")
        .map_or_else(|| "aarch64".to_owned(), |(_, how)| how.clone())
}
