//! Reach as coverage of the backend's own source: a workload (the cases and
//! a stress plan) runs on the gcov-instrumented twin of a build, and gcov
//! tells which lines of `src/lj_asm_arm64.h` and `src/lj_emit_arm64.h` ran,
//! per function, with the functions and lines never reached. Lines in
//! preprocessor branches that are not compiled for Linux/GC64 (Windows,
//! macOS, 32-bit) have no code and are listed apart by their condition.
//!
//! Beside the lines, decision reach: gcov's branch counters (`-b`) give,
//! per line, the outcomes (arcs) of each compiled conditional, and a
//! decision that ran but saw one outcome only is listed by its line. This
//! is where the backend picks an encoding (a constant fits an immediate
//! or not, an offset is in range or not, fuse or not). With the stress
//! run's programs run once more, the guard tally (`guard_tally`) says
//! which exits of the compiled traces were taken.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use super::build::{Built, coverage_build, coverage_strip};
use super::cache::{Key, cached};
use super::guard_tally::{self, GuardTally};
use super::stress::{self, Plan};
use super::{Context, step, suite};

/// The backend's files, as gcov names them (they are included by lj_asm.c).
pub const BACKEND_FILES: [&str; 2] = ["lj_asm_arm64.h", "lj_emit_arm64.h"];

/// What gcov's lines without a function belong to: small static functions
/// (`emit_dnm`, ...) inlined into every caller before the counters were
/// placed, with no copy of their own. Such a line sums its copies, and its
/// arcs are those of all copies: an arc never taken may be one caller's.
const INLINED: &str = "(inlined copies)";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Coverage {
    /// The build measured (its uninstrumented name).
    pub build: String,
    /// What ran, e.g. `the cases and stress seed-0x1-count-300`.
    pub workload: String,
    pub files: Vec<FileCoverage>,
    /// The exits the run's programs took in the traces they compiled (a
    /// document written before the tally has none).
    #[serde(default)]
    pub guards: Option<GuardTally>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileCoverage {
    /// `src/lj_asm_arm64.h`.
    pub file: String,
    /// Lines with code, and those of them that ran.
    pub lines: usize,
    pub reached: usize,
    /// Outcomes of the compiled conditionals, and those taken at least once
    /// (the sums of the functions' decisions).
    #[serde(default)]
    pub branches: usize,
    #[serde(default)]
    pub branches_taken: usize,
    pub functions: Vec<FunctionCoverage>,
    /// Preprocessor branches with code that is not compiled on this target.
    pub not_compiled: Vec<Branch>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunctionCoverage {
    pub name: String,
    pub start_line: u32,
    pub lines: usize,
    pub reached: usize,
    /// Lines with code that never ran, as ranges of line numbers.
    pub unreached: Vec<(u32, u32)>,
    /// Every line holding a compiled conditional, with its outcomes.
    #[serde(default)]
    pub decisions: Vec<Decision>,
}

/// The compiled conditionals of one source line, as gcov's branch counters
/// see them: one arc per outcome of each conditional jump the line
/// compiled to. A line may hold several (`a && b`, a macro, an inlined
/// call), and the compiler may have folded a source condition away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub line: u32,
    /// The source line, trimmed, for the report.
    pub text: String,
    /// Whether the line itself ran.
    pub ran: bool,
    pub arcs: Vec<Arc>,
}

/// One outcome of a compiled conditional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arc {
    /// gcov's fallthrough arc: the code laid out after the jump, as a rule
    /// the then-side of an `if`; the other arc is the jump.
    pub fallthrough: bool,
    pub taken: bool,
}

impl Decision {
    fn taken(&self) -> usize {
        self.arcs.iter().filter(|a| a.taken).count()
    }

    /// A line that ran and has an outcome never taken: the values that
    /// reached it all went one way.
    pub fn one_sided(&self) -> bool {
        self.ran && self.taken() < self.arcs.len()
    }

    /// Which arcs were never taken, e.g. `arc 2 of 4 (jump)`.
    pub fn untaken(&self) -> String {
        let n = self.arcs.len();
        self.arcs
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.taken)
            .map(|(i, a)| {
                let side = if a.fallthrough { "fallthrough" } else { "jump" };
                format!("arc {} of {n} ({side})", i + 1)
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Branch {
    /// The `#if`/`#elif`/`#else` line that opens it.
    pub condition: String,
    pub first_line: u32,
    /// Its lines of code (statements).
    pub lines: usize,
}

impl FileCoverage {
    pub fn percent(&self) -> f64 {
        percent(self.reached, self.lines)
    }

    pub fn branch_percent(&self) -> f64 {
        percent(self.branches_taken, self.branches)
    }

    /// The branch sums again from the functions' decisions.
    fn count_branches(&mut self) {
        (self.branches, self.branches_taken) = self
            .functions
            .iter()
            .map(FunctionCoverage::branches)
            .fold((0, 0), |(n, t), (fn_, ft)| (n + fn_, t + ft));
    }
}

impl FunctionCoverage {
    pub fn percent(&self) -> f64 {
        percent(self.reached, self.lines)
    }

    /// Outcomes of its compiled conditionals, and those taken at least once.
    pub fn branches(&self) -> (usize, usize) {
        self.decisions
            .iter()
            .fold((0, 0), |(n, t), d| (n + d.arcs.len(), t + d.taken()))
    }
}

impl Coverage {
    /// Lines reached and lines with code over both backend files.
    pub fn total(&self) -> (usize, usize) {
        self.files
            .iter()
            .fold((0, 0), |(r, l), f| (r + f.reached, l + f.lines))
    }

    /// Branch outcomes taken at least once and all outcomes over both files.
    pub fn branch_total(&self) -> (usize, usize) {
        self.files
            .iter()
            .fold((0, 0), |(t, n), f| (t + f.branches_taken, n + f.branches))
    }

    /// Decisions that ran and saw one outcome only, over both files.
    pub fn one_sided(&self) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.functions)
            .flat_map(|f| &f.decisions)
            .filter(|d| d.one_sided())
            .count()
    }

    /// One line for the terminal and reports.
    pub fn summary(&self) -> String {
        let (reached, lines) = self.total();
        let files: Vec<String> = self
            .files
            .iter()
            .map(|f| format!("{} {}/{} ({:.1}%)", f.file, f.reached, f.lines, f.percent()))
            .collect();
        let never: usize = self
            .files
            .iter()
            .flat_map(|f| &f.functions)
            .filter(|f| f.reached == 0)
            .count();
        format!(
            "backend line coverage of {} ({}): {reached}/{lines} lines ({:.1}%): {}; {never} functions never reached",
            self.build,
            self.workload,
            percent(reached, lines),
            files.join(", ")
        )
    }

    /// The decision reach in one line, beside `summary`.
    pub fn branch_summary(&self) -> String {
        let (taken, branches) = self.branch_total();
        let files: Vec<String> = self
            .files
            .iter()
            .map(|f| {
                format!(
                    "{} {}/{} ({:.1}%)",
                    f.file,
                    f.branches_taken,
                    f.branches,
                    f.branch_percent()
                )
            })
            .collect();
        format!(
            "backend decision reach: {taken}/{branches} branch outcomes taken at least once ({:.1}%): {}; {} lines that ran saw one outcome only",
            percent(taken, branches),
            files.join(", "),
            self.one_sided()
        )
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// Runs the cases in `cases_dir` and the stress programs of `plan` on the
/// instrumented twin of `base` and reads the backend's coverage, lines and
/// decisions; then the guard tally of the programs on `base_suite` (the
/// suite linked against `base` itself). Cached by the instrumented suite,
/// the plan, the cases and the generator (the tally by its own key).
pub fn measure(
    cx: &mut Context,
    base: &Built,
    base_suite: &Path,
    cases_dir: &Path,
    plan: Plan,
) -> Result<Coverage> {
    let built = coverage_build(cx, base)?;
    let suite_bin = suite::build_suite(cx, &built)?;
    let key = Key::new("coverage")
        .text("suite", cx.cache.suite_hash(&suite_bin)?)
        .text("measures", "lines and branches")
        .text("plan", plan.label())
        .text("generator", stress::generator_key())
        .files("case", &super::lua_files(cases_dir)?)?;
    let base_name = base
        .dir
        .parent()
        .and_then(|home| home.file_name())
        .map_or_else(|| base.name.clone(), |n| n.to_string_lossy().into_owned());
    let mut coverage = cached(
        cx,
        &format!("{}: backend coverage", built.name),
        key,
        |cx| {
            let timer = step(format!(
                "{}: running the cases and {} on the instrumented backend",
                built.name,
                plan.label()
            ));
            let out = built.dir.with_file_name("counters");
            if out.exists() {
                fs::remove_dir_all(&out)
                    .with_context(|| format!("cannot clear {}", out.display()))?;
            }
            fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            cx.toolchain.env = vec![
                ("GCOV_PREFIX".to_owned(), out.display().to_string()),
                (
                    "GCOV_PREFIX_STRIP".to_owned(),
                    coverage_strip(&built).to_string(),
                ),
            ];
            let ran = run_workload(cx, &suite_bin, cases_dir, plan, &out);
            cx.toolchain.env.clear();
            ran?;
            let coverage = read(cx, &built, &out, &base_name, &plan)?;
            timer.done();
            Ok(coverage)
        },
    )?;
    coverage.guards = Some(guard_tally::measure(cx, base_suite, &base.dir, plan)?);
    Ok(coverage)
}

fn run_workload(
    cx: &mut Context,
    suite_bin: &Path,
    cases_dir: &Path,
    plan: Plan,
    out: &Path,
) -> Result<()> {
    suite::run_suite(cx, suite_bin, &["cases".as_ref(), cases_dir.as_os_str()])?;
    let programs = out.join("programs");
    stress::write_programs(&programs, plan)?;
    suite::run_compare_cold(cx, suite_bin, &programs, stress::RUN_LIMITS)?;
    Ok(())
}

/// gcov's JSON for `lj_asm.c`, read into per-function coverage.
fn read(cx: &Context, built: &Built, out: &Path, base: &str, plan: &Plan) -> Result<Coverage> {
    let src = built.dir.join("src");
    if !out.join("lj_asm.gcda").is_file() {
        bail!(
            "the instrumented build wrote no counters into {}; is the suite linked against {}?",
            out.display(),
            built.dir.display()
        );
    }
    fs::copy(src.join("lj_asm.gcno"), out.join("lj_asm.gcno"))?;
    let gcov = format!("{}gcov", cx.toolchain.cross_prefix);
    let output = Command::new(&gcov)
        // -b adds each line's branch counters to the JSON.
        .args([
            "--json-format",
            "--branch-probabilities",
            "--stdout",
            "--object-directory",
        ])
        .arg(out)
        .arg("lj_asm.c")
        .current_dir(&src)
        .output()
        .with_context(|| format!("cannot run {gcov}"))?;
    if !output.status.success() {
        bail!(
            "{gcov} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("{gcov} printed something that is not its JSON format"))?;
    let mut files = Vec::new();
    for name in BACKEND_FILES {
        let entry = json["files"]
            .as_array()
            .and_then(|files| {
                files
                    .iter()
                    .find(|f| f["file"].as_str().is_some_and(|p| p.ends_with(name)))
            })
            .with_context(|| format!("gcov's report has no {name}"))?;
        let source = fs::read_to_string(src.join(name))
            .with_context(|| format!("cannot read {}", src.join(name).display()))?;
        files.push(file_coverage(name, entry, &source));
    }
    Ok(Coverage {
        build: base.to_owned(),
        workload: format!("the cases and stress {}", plan.label()),
        files,
        guards: None,
    })
}

/// One file's coverage from its entry in gcov's JSON and its source.
fn file_coverage(name: &str, entry: &serde_json::Value, source: &str) -> FileCoverage {
    // Line number to (count, function); a line inlined into several
    // functions counts as reached when any copy ran.
    let mut lines: BTreeMap<u32, (u64, String)> = BTreeMap::new();
    // Line number to its arcs; copies of one line have the same arcs, and
    // an arc counts as taken when any copy took it.
    let mut arcs: BTreeMap<u32, Vec<Arc>> = BTreeMap::new();
    for line in entry["lines"].as_array().into_iter().flatten() {
        let number = line["line_number"].as_u64().unwrap_or(0) as u32;
        let count = line["count"].as_u64().unwrap_or(0);
        let function = line["function_name"].as_str().unwrap_or(INLINED).to_owned();
        let slot = lines.entry(number).or_insert((0, function));
        slot.0 += count;
        let these: Vec<Arc> = line["branches"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|arc| Arc {
                fallthrough: arc["fallthrough"].as_bool().unwrap_or(false),
                taken: arc["count"].as_u64().unwrap_or(0) > 0,
            })
            .collect();
        if these.is_empty() {
            continue;
        }
        match arcs.get_mut(&number) {
            Some(seen) if seen.len() == these.len() => {
                for (seen, arc) in seen.iter_mut().zip(&these) {
                    seen.taken |= arc.taken;
                }
            }
            Some(seen) => seen.extend(these),
            None => {
                arcs.insert(number, these);
            }
        }
    }
    let text: Vec<&str> = source.lines().collect();
    let mut functions: BTreeMap<String, FunctionCoverage> = BTreeMap::new();
    for (&number, (count, function)) in &lines {
        let f = functions
            .entry(function.clone())
            .or_insert_with(|| FunctionCoverage {
                name: function.clone(),
                start_line: number,
                lines: 0,
                reached: 0,
                unreached: Vec::new(),
                decisions: Vec::new(),
            });
        f.start_line = f.start_line.min(number);
        f.lines += 1;
        if let Some(arcs) = arcs.get(&number) {
            f.decisions.push(Decision {
                line: number,
                text: (number as usize)
                    .checked_sub(1)
                    .and_then(|index| text.get(index))
                    .map_or_else(String::new, |t| t.trim().to_owned()),
                ran: *count > 0,
                arcs: arcs.clone(),
            });
        }
        if *count > 0 {
            f.reached += 1;
        } else {
            match f.unreached.last_mut() {
                Some((_, end)) if lines.range(*end + 1..number).next().is_none() => *end = number,
                _ => f.unreached.push((number, number)),
            }
        }
    }
    let mut functions: Vec<FunctionCoverage> = functions.into_values().collect();
    functions.sort_by_key(|f| f.start_line);
    let mut file = FileCoverage {
        file: format!("src/{name}"),
        lines: lines.len(),
        reached: lines.values().filter(|(count, _)| *count > 0).count(),
        branches: 0,
        branches_taken: 0,
        functions,
        not_compiled: not_compiled(source, &lines),
    };
    file.count_branches();
    file
}

/// Preprocessor branches holding statements of which none has code in
/// gcov's report: not compiled for this target.
fn not_compiled<T>(source: &str, lines: &BTreeMap<u32, T>) -> Vec<Branch> {
    struct Open {
        condition: String,
        first_line: u32,
        statements: usize,
        with_code: bool,
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut branches = Vec::new();
    let close = |open: Open, branches: &mut Vec<Branch>| {
        if open.statements > 0 && !open.with_code {
            branches.push(Branch {
                condition: open.condition,
                first_line: open.first_line,
                lines: open.statements,
            });
        }
    };
    for (index, text) in source.lines().enumerate() {
        let number = index as u32 + 1;
        let directive = text.trim_start();
        let word = directive
            .strip_prefix('#')
            .map(|d| d.split_whitespace().next().unwrap_or(""));
        match word {
            Some("if" | "ifdef" | "ifndef") => stack.push(Open {
                condition: directive.to_owned(),
                first_line: number,
                statements: 0,
                with_code: false,
            }),
            Some("elif" | "else") => {
                if let Some(open) = stack.pop() {
                    close(open, &mut branches);
                }
                stack.push(Open {
                    condition: directive.to_owned(),
                    first_line: number,
                    statements: 0,
                    with_code: false,
                });
            }
            Some("endif") => {
                if let Some(open) = stack.pop() {
                    close(open, &mut branches);
                }
            }
            Some(_) => {}
            None => {
                if let Some(open) = stack.last_mut() {
                    if lines.contains_key(&number) {
                        open.with_code = true;
                    } else if text.contains(';') {
                        open.statements += 1;
                    }
                }
            }
        }
    }
    branches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_branch_without_code_is_not_compiled_and_one_with_code_is() {
        let source = "int a;\n#if LJ_TARGET_OSX\n  x = 1;\n  y = 2;\n#else\n  z = 3;\n#endif\n";
        let mut lines = BTreeMap::new();
        lines.insert(6u32, ());
        let branches = not_compiled(source, &lines);
        assert_eq!(branches.len(), 1);
        assert_eq!(branches[0].condition, "#if LJ_TARGET_OSX");
        assert_eq!((branches[0].first_line, branches[0].lines), (2, 2));
    }

    #[test]
    fn unreached_lines_are_ranges_of_adjacent_lines_with_code() {
        let entry = serde_json::json!({"lines": [
            {"line_number": 10, "count": 1, "function_name": "f"},
            {"line_number": 11, "count": 0, "function_name": "f"},
            {"line_number": 13, "count": 0, "function_name": "f"},
            {"line_number": 20, "count": 2, "function_name": "f"},
            {"line_number": 21, "count": 0, "function_name": "f"},
            {"line_number": 30, "count": 0, "function_name": "g"}
        ]});
        let coverage = file_coverage("lj_emit_arm64.h", &entry, "");
        assert_eq!((coverage.lines, coverage.reached), (6, 2));
        let f = &coverage.functions[0];
        assert_eq!(f.unreached, [(11, 13), (21, 21)]);
        assert_eq!(coverage.functions[1].reached, 0);
    }

    /// A line of gcov's JSON with its branch arcs as (count, fallthrough).
    fn line(number: u32, count: u64, function: &str, arcs: &[(u64, bool)]) -> serde_json::Value {
        let branches: Vec<serde_json::Value> = arcs
            .iter()
            .map(|&(count, fallthrough)| {
                serde_json::json!({"count": count, "fallthrough": fallthrough, "throw": false})
            })
            .collect();
        serde_json::json!({"line_number": number, "count": count,
            "function_name": function, "branches": branches})
    }

    #[test]
    fn branch_outcomes_are_counted_and_one_sided_decisions_named() {
        let entry = serde_json::json!({"lines": [
            line(1, 5, "f", &[(5, true), (0, false)]),
            line(2, 0, "f", &[(0, true), (0, false)]),
            line(3, 3, "f", &[(1, true), (2, false), (3, true), (0, false)]),
            line(4, 3, "f", &[]),
            line(5, 2, "g", &[(1, false), (1, true)])
        ]});
        let source = "if (checki12(k))\nif (x)\n  if (a && b)\n  y = 1;\nif (z)\n";
        let coverage = file_coverage("lj_asm_arm64.h", &entry, source);
        assert_eq!((coverage.branches, coverage.branches_taken), (10, 6));
        let f = &coverage.functions[0];
        assert_eq!(f.branches(), (8, 4));
        let one_sided: Vec<(u32, String)> = f
            .decisions
            .iter()
            .filter(|d| d.one_sided())
            .map(|d| (d.line, d.untaken()))
            .collect();
        // Line 2 never ran: an unreached line, not a one-sided decision.
        assert_eq!(
            one_sided,
            [
                (1, "arc 2 of 2 (jump)".to_owned()),
                (3, "arc 4 of 4 (jump)".to_owned())
            ]
        );
        assert_eq!(f.decisions[0].text, "if (checki12(k))");
        assert_eq!(coverage.functions[1].branches(), (2, 2));
        let md = one_sided_markdown(&coverage);
        assert!(
            md.contains("  - line 1: `if (checki12(k))`: arc 2 of 2 (jump) never taken\n"),
            "{md}"
        );
        assert!(!md.contains("`g`"), "{md}");
    }

    #[test]
    fn copies_of_a_line_take_an_arc_when_any_copy_took_it() {
        let entry = serde_json::json!({"lines": [
            line(7, 1, "f", &[(1, true), (0, false)]),
            line(7, 1, "f", &[(0, true), (4, false)])
        ]});
        let coverage = file_coverage("lj_emit_arm64.h", &entry, "");
        assert_eq!((coverage.branches, coverage.branches_taken), (2, 2));
    }
}

impl Coverage {
    /// The terminal's view: the summary, the functions never reached and the
    /// branches not compiled here.
    pub fn render(&self) -> String {
        let mut out = self.summary();
        out.push('\n');
        out.push_str(&self.branch_summary());
        if let Some(guards) = &self.guards {
            out.push('\n');
            out.push_str(&guards.summary());
        }
        for file in &self.files {
            let never: Vec<&str> = file
                .functions
                .iter()
                .filter(|f| f.reached == 0)
                .map(|f| f.name.as_str())
                .collect();
            if !never.is_empty() {
                out.push_str(&format!(
                    "\n  {}: never reached: {}",
                    file.file,
                    never.join(", ")
                ));
            }
            let apart: usize = file.not_compiled.iter().map(|b| b.lines).sum();
            if apart > 0 {
                out.push_str(&format!(
                    "\n  {}: {apart} lines in {} branches not compiled for Linux/GC64, not counted",
                    file.file,
                    file.not_compiled.len()
                ));
            }
        }
        out
    }

    /// Per function, with the lines never reached, and the branches apart.
    pub fn markdown(&self) -> String {
        let mut md = format!("{}\n\n{}\n", self.summary(), self.branch_summary());
        if let Some(guards) = &self.guards {
            md.push_str(&format!("\n{}", guards.markdown()));
        }
        for file in &self.files {
            md.push_str(&format!(
                "\n### {}: {}/{} lines ({:.1}%), {}/{} branch outcomes ({:.1}%)\n\n| function | line | reached | branch outcomes taken | lines never reached |\n|---|---|---|---|---|\n",
                file.file,
                file.reached,
                file.lines,
                file.percent(),
                file.branches_taken,
                file.branches,
                file.branch_percent()
            ));
            for f in &file.functions {
                let ranges: Vec<String> = f
                    .unreached
                    .iter()
                    .map(|&(a, b)| {
                        if a == b {
                            a.to_string()
                        } else {
                            format!("{a}-{b}")
                        }
                    })
                    .collect();
                let (branches, taken) = f.branches();
                let outcomes = match branches {
                    0 => "-".to_owned(),
                    _ => format!("{taken}/{branches} ({:.0}%)", percent(taken, branches)),
                };
                md.push_str(&format!(
                    "| `{}` | {} | {}/{} ({:.0}%) | {outcomes} | {} |\n",
                    f.name,
                    f.start_line,
                    f.reached,
                    f.lines,
                    f.percent(),
                    ranges.join(", ")
                ));
            }
            md.push_str(&one_sided_markdown(file));
            if !file.not_compiled.is_empty() {
                md.push_str("\nNot compiled for Linux/GC64 (not counted):\n\n");
                for b in &file.not_compiled {
                    md.push_str(&format!(
                        "- line {}: `{}` ({} lines)\n",
                        b.first_line, b.condition, b.lines
                    ));
                }
            }
        }
        md
    }

    /// Writes `markdown()` and the JSON under `dir`, named after the build.
    pub fn write(&self, dir: &Path) -> Result<std::path::PathBuf> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let md = dir.join(format!("{}.md", self.build));
        fs::write(&md, self.markdown())?;
        fs::write(
            dir.join(format!("{}.json", self.build)),
            serde_json::to_string_pretty(self)?,
        )?;
        Ok(md)
    }
}

impl Coverage {
    /// The coverage of two runs of the same build together (shards of one
    /// run): a line counts as reached when either reached it.
    pub fn merge(mut self, other: &Coverage) -> Coverage {
        for file in &mut self.files {
            let Some(theirs) = other.files.iter().find(|f| f.file == file.file) else {
                continue;
            };
            for function in &mut file.functions {
                let Some(their) = theirs.functions.iter().find(|f| f.name == function.name) else {
                    continue;
                };
                let expand = |ranges: &[(u32, u32)]| -> Vec<u32> {
                    ranges.iter().flat_map(|&(a, b)| a..=b).collect()
                };
                let still: Vec<u32> = expand(&function.unreached)
                    .into_iter()
                    .filter(|line| expand(&their.unreached).contains(line))
                    .collect();
                function.reached = function.lines - still.len();
                function.unreached = ranges(&still);
                for decision in &mut function.decisions {
                    let Some(their) = their.decisions.iter().find(|d| d.line == decision.line)
                    else {
                        continue;
                    };
                    decision.ran |= their.ran;
                    if their.arcs.len() == decision.arcs.len() {
                        for (arc, theirs) in decision.arcs.iter_mut().zip(&their.arcs) {
                            arc.taken |= theirs.taken;
                        }
                    }
                }
            }
            file.reached = file.functions.iter().map(|f| f.reached).sum();
            file.count_branches();
        }
        self.guards = match (self.guards.take(), &other.guards) {
            (Some(ours), Some(theirs)) => Some(ours.add(theirs)),
            (ours, theirs) => ours.or_else(|| theirs.clone()),
        };
        if !other.workload.is_empty() && other.workload != self.workload {
            self.workload = format!("{} + {}", self.workload, other.workload);
        }
        self
    }
}

/// The coverage of every shard of one run together, from their `--json`
/// documents; None when none has any.
pub fn merge_shards(documents: Vec<serde_json::Value>) -> Result<Option<Coverage>> {
    let mut merged: Option<Coverage> = None;
    for document in documents {
        let theirs: Coverage = serde_json::from_value(document)
            .context("a shard's coverage is not what `stress --coverage --json` writes")?;
        merged = Some(match merged {
            Some(ours) => ours.merge(&theirs),
            None => theirs,
        });
    }
    Ok(merged)
}

/// The decisions of `file` that ran and saw one outcome only, by function:
/// where the values that reached a line all went one way.
fn one_sided_markdown(file: &FileCoverage) -> String {
    let mut md = String::new();
    for f in &file.functions {
        let one_sided: Vec<&Decision> = f.decisions.iter().filter(|d| d.one_sided()).collect();
        if one_sided.is_empty() {
            continue;
        }
        if md.is_empty() {
            md.push_str(
                "\nDecisions that ran but saw one outcome only (the arcs never taken; an arc \
                 is an outcome of a compiled conditional, a line may hold several):\n\n",
            );
        }
        match f.name.as_str() {
            INLINED => md.push_str(&format!(
                "- {INLINED}, lines of functions gcov names no copy of (arcs of all callers' copies):\n"
            )),
            name => md.push_str(&format!("- `{name}`:\n")),
        }
        for d in one_sided {
            md.push_str(&format!(
                "  - line {}: `{}`: {} never taken\n",
                d.line,
                d.text.replace('`', "'"),
                d.untaken()
            ));
        }
    }
    md
}

/// Sorted line numbers as ranges of consecutive numbers.
fn ranges(lines: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &line in lines {
        match out.last_mut() {
            Some((_, end)) if *end + 1 == line => *end = line,
            _ => out.push((line, line)),
        }
    }
    out
}

#[cfg(test)]
mod merge_tests {
    use super::*;

    fn one(unreached: Vec<(u32, u32)>) -> Coverage {
        let reached = 10
            - unreached
                .iter()
                .map(|(a, b)| (b - a + 1) as usize)
                .sum::<usize>();
        Coverage {
            build: "b".to_owned(),
            workload: "w".to_owned(),
            files: vec![FileCoverage {
                file: "src/lj_asm_arm64.h".to_owned(),
                lines: 10,
                reached,
                branches: 0,
                branches_taken: 0,
                functions: vec![FunctionCoverage {
                    name: "f".to_owned(),
                    start_line: 1,
                    lines: 10,
                    reached,
                    unreached,
                    decisions: Vec::new(),
                }],
                not_compiled: Vec::new(),
            }],
            guards: None,
        }
    }

    /// `one` with a decision at line 2 whose arcs were taken as `taken` says.
    fn with_decision(taken: [bool; 2], guards: Option<GuardTally>) -> Coverage {
        let mut coverage = one(Vec::new());
        coverage.files[0].functions[0].decisions = vec![Decision {
            line: 2,
            text: "if (x)".to_owned(),
            ran: true,
            arcs: taken
                .iter()
                .map(|&taken| Arc {
                    fallthrough: false,
                    taken,
                })
                .collect(),
        }];
        coverage.files[0].count_branches();
        coverage.guards = guards;
        coverage
    }

    #[test]
    fn merged_shards_take_an_arc_either_took_and_add_their_tallies() {
        let tally = GuardTally {
            programs: 1,
            exits: 4,
            exits_taken: 1,
            ..GuardTally::default()
        };
        let ours = with_decision([true, false], Some(tally.clone()));
        assert_eq!(ours.branch_total(), (1, 2));
        assert_eq!(ours.one_sided(), 1);
        let merged = ours.merge(&with_decision([false, true], Some(tally)));
        assert_eq!(merged.branch_total(), (2, 2));
        assert_eq!(merged.one_sided(), 0);
        let guards = merged.guards.unwrap();
        assert_eq!(
            (guards.programs, guards.exits, guards.exits_taken),
            (2, 8, 2)
        );
    }

    #[test]
    fn merged_shards_reach_what_either_reached() {
        let merged = one(vec![(3, 6), (9, 9)]).merge(&one(vec![(5, 9)]));
        let f = &merged.files[0].functions[0];
        assert_eq!(f.unreached, [(5, 6), (9, 9)]);
        assert_eq!((f.reached, merged.files[0].reached), (7, 7));
    }
}
