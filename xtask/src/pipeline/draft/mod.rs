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
use super::probe::exec::Runner;
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
    /// The findings store the script's difference is recorded in.
    pub store: PathBuf,
    /// Where the draft goes: `target/reports` by default.
    pub reports: PathBuf,
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
    let path = super::bisect::script_path(script, cases_dir)?;
    let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let source = String::from_utf8(bytes.clone())
        .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
    let case = Case::parse(&path, bytes).ok();
    // A reproducer in the findings store is named after its entry, whose
    // files all share the names program.lua and shrunk.lua.
    let entry = path
        .parent()
        .filter(|dir| dir.join("entry.json").is_file())
        .and_then(Path::file_name);
    let name = match entry {
        Some(id) => format!("finding-{}", id.to_string_lossy()),
        None => path
            .file_stem()
            .map_or_else(|| "script".to_owned(), |s| s.to_string_lossy().into_owned()),
    };
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
    let home = options.reports.join(&subject.name);
    fs::create_dir_all(&home).with_context(|| format!("cannot create {}", home.display()))?;
    let standalone = script::standalone(&subject.source);
    let script_path = home.join(format!("{}.lua", subject.name));
    fs::write(&script_path, &standalone)?;

    eprintln!(
        "==> {}: running {} with the JIT and with -joff",
        source.label,
        script_path.display()
    );
    // Run from the draft's folder by file name, so that errors name the
    // script as the reader will: `luajit NAME.lua`.
    let script_name = PathBuf::from(format!("{}.lua", subject.name));
    let runner = matching::stock_runner_in(cx, &variant, &home);
    let (jit, joff) = runs_as_shown(&variant, matching::run_both(&runner, &script_name)?);
    let differs = matching::outcomes_differ(&jit, &joff);
    let matched = match_subject(cx, &subject, &source, &tree_name, &variant, &jit, differs)?;
    if differs {
        Store::at(&options.store)?.record(&Sighting {
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
    let dump = jdump(&runner, &variant, &script_name)?;
    let fix = match &options.patches {
        Some(dir) => Some(show_fix(
            cx,
            dir,
            &source,
            &variant,
            &home,
            &script_name,
            &dump,
        )?),
        None => None,
    };
    let excerpt_without_fix = fix
        .as_ref()
        .and_then(|f| f.excerpt.clone())
        .is_none()
        .then(|| jdump::last_trace(&dump))
        .flatten();
    let explaining = explaining_case(cx, &subject, &matched)?;
    let cause = explaining.as_deref().and_then(script::prose);
    let also = explaining.as_deref().and_then(script::also);
    let title = explaining.as_deref().and_then(script::title);
    let text = issue::render(&issue::Facts {
        differs,
        title: title.as_deref(),
        script: &standalone,
        jit: &jit,
        joff: &joff,
        tree: &source,
        execution: &execution(cx),
        excerpt_without_fix: excerpt_without_fix.as_deref(),
        cause: cause.as_deref(),
        also: also.as_deref(),
        range: options.range.as_deref(),
        fix: fix.as_ref(),
    });
    let issue_md = home.join("issue.md");
    fs::write(&issue_md, &text)?;
    if let Some(entry_dir) = subject
        .path
        .parent()
        .filter(|d| d.join("entry.json").is_file())
    {
        Store::note_draft(entry_dir, &issue_md)?;
    }
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

/// The script run by the tree's `luajit -jdump=mr`: traces, IR, machine code.
fn jdump(runner: &Runner, variant: &Variant, script_name: &Path) -> Result<String> {
    let limit = stress::RUN_LIMITS.jit.ceiling;
    // jit.dump lives in the tree's src/jit/, which the draft's folder is not.
    let path = format!(
        "package.path = '{}/?.lua;' .. package.path",
        variant.built.dir.join("src").display()
    );
    let args = [
        "-e".as_ref(),
        path.as_ref(),
        "-jdump=mr".as_ref(),
        script_name.as_os_str(),
    ];
    Ok(runner.run(&args, false, limit)?.output)
}

/// The fix a series makes: the tree built with it, the script run and
/// dumped there, the machine code it changes, the series exported for
/// upstream (and checked to apply), the verdict.
fn show_fix(
    cx: &mut Context,
    dir: &Path,
    source: &Source,
    variant: &Variant,
    home: &Path,
    script_name: &Path,
    dump: &str,
) -> Result<issue::Fix> {
    let series = Series::load(dir)?;
    let scratch = cx.target_dir().join("report-scratch");
    let states = series.each_state(&cx.sh, &source.dir, &scratch)?;
    let applies = series.only(&states, PatchState::Applies);
    if applies.patches.is_empty() {
        bail!(
            "no patch of {} applies to {} (each is already in the tree or does not fit); a draft needs the fix as a change to this tree",
            dir.display(),
            source.label
        );
    }
    let fixed = build_variant(
        cx,
        "report-fixed",
        source,
        Some(&applies),
        false,
        &mut Timings::default(),
    )?;
    let fixed_runner = matching::stock_runner_in(cx, &fixed, home);
    let (jit, joff) = runs_as_shown(&fixed, matching::run_both(&fixed_runner, script_name)?);
    let excerpt = jdump::fix_excerpt(dump, &jdump(&fixed_runner, &fixed, script_name)?);
    let exported = export::export_series(&cx.sh, &applies, &source.dir, &scratch)?;
    export::check_applies(&cx.sh, &exported, &source.dir, &scratch)
        .with_context(|| format!("the exported series does not apply to {}", source.label))?;
    let mut paths = Vec::new();
    for patch in &exported {
        let path = home.join(&patch.name);
        fs::write(&path, &patch.text)?;
        paths.push(path);
    }
    Ok(issue::Fix {
        agrees: !matching::outcomes_differ(&jit, &joff),
        verdict: verdict(cx, variant, &fixed, &jit, &joff)?,
        excerpt,
        patches: exported.into_iter().map(|e| e.text).collect(),
        paths,
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
        return Ok(Match::Unchecked {
            why: "the JIT and -joff agree on this tree: nothing to match".to_owned(),
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

/// The header of the case that explains the script: the script itself
/// when it is a case, or a case pinning what the script matched.
fn explaining_case(cx: &Context, subject: &Subject, matched: &Match) -> Result<Option<String>> {
    if subject.case.is_some() {
        return Ok(Some(subject.source.clone()));
    }
    if matched.issues().is_empty() {
        return Ok(None);
    }
    let cases = Case::load_dir(&cx.cases_dir()).map_err(anyhow::Error::msg)?;
    Ok(cases
        .iter()
        .filter(|c| c.pins.iter().any(|p| matched.issues().contains(p)))
        .map(|c| String::from_utf8_lossy(&c.source).into_owned())
        .find(|source| script::prose(source).is_some()))
}

/// The fixed tree judged in three lines: the script, the cases, and a
/// short stress run, each against the tree as published.
fn verdict(
    cx: &mut Context,
    tree: &Variant,
    fixed: &Variant,
    jit: &Outcome,
    joff: &Outcome,
) -> Result<Vec<String>> {
    let mut lines = vec![match matching::outcomes_differ(jit, joff) {
        false => "The script prints the same with and without `-joff`.".to_owned(),
        true => format!(
            "The script still differs: {} with the JIT, {} with `-joff`.",
            said(jit),
            said(joff)
        ),
    }];
    let cases_dir = cx.cases_dir();
    let before = suite::run_cases(cx, "tree", &tree.suite, &cases_dir)?;
    let after = suite::run_cases(cx, "report-fixed", &fixed.suite, &cases_dir)?;
    let passes = |r: &CaseResult| r.outcome.status == Status::Pass;
    let broken: Vec<&str> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| passes(b) && !passes(a))
        .map(|(b, _)| b.name.as_str())
        .collect();
    lines.push(format!(
        "Regression scripts: {} of {} pass ({} before){}.",
        after.iter().filter(|c| passes(c)).count(),
        after.len(),
        before.iter().filter(|c| passes(c)).count(),
        match broken.is_empty() {
            true => ", none that passed fails now".to_owned(),
            false => format!("; failing now: {}", broken.join(", ")),
        }
    ));
    let plan = Plan::whole(stress::DEFAULT_SEED, DRAFT_STRESS_COUNT);
    let published = stress::run_unshrunk(cx, "tree", &tree.suite, plan)?;
    let patched = stress::run_unshrunk(cx, "report-fixed", &fixed.suite, plan)?;
    let seeds = |r: &stress::StressReport| -> Vec<u64> {
        r.findings.iter().map(|f| f.program_seed).collect()
    };
    let new_ones = seeds(&patched)
        .into_iter()
        .filter(|s| !seeds(&published).contains(s))
        .count();
    lines.push(format!(
        "{} generated programs ({} traces) run with and without the JIT: {} differ ({} before), {new_ones} of them only with the fix.",
        patched.programs,
        patched.traces,
        patched.findings.len(),
        published.findings.len()
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

/// Two runs as a reader sees them: the binary named `luajit`, and the
/// error's traceback left out (it names only the script's lines).
fn runs_as_shown(variant: &Variant, (jit, joff): (Outcome, Outcome)) -> (Outcome, Outcome) {
    let binary = matching::stock_luajit(variant).display().to_string();
    let shown = |mut outcome: Outcome| {
        outcome.output = outcome.output.replace(&binary, "luajit");
        if let Some(at) = outcome.output.find("\nstack traceback:") {
            outcome.output.truncate(at);
        }
        outcome
    };
    (shown(jit), shown(joff))
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
