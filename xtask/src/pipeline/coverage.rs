//! Reach as coverage of the backend's own source: a workload (the cases and
//! a stress plan) runs on the gcov-instrumented twin of a build, and gcov
//! tells which lines of `src/lj_asm_arm64.h` and `src/lj_emit_arm64.h` ran,
//! per function, with the functions and lines never reached. Lines in
//! preprocessor branches that are not compiled for Linux/GC64 (Windows,
//! macOS, 32-bit) have no code and are listed apart by their condition.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use super::build::{Built, coverage_build, coverage_strip};
use super::cache::{Key, cached};
use super::stress::{self, Plan};
use super::{Context, step, suite};

/// The backend's files, as gcov names them (they are included by lj_asm.c).
pub const BACKEND_FILES: [&str; 2] = ["lj_asm_arm64.h", "lj_emit_arm64.h"];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Coverage {
    /// The build measured (its uninstrumented name).
    pub build: String,
    /// What ran, e.g. `the cases and stress seed-0x1-count-300`.
    pub workload: String,
    pub files: Vec<FileCoverage>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileCoverage {
    /// `src/lj_asm_arm64.h`.
    pub file: String,
    /// Lines with code, and those of them that ran.
    pub lines: usize,
    pub reached: usize,
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
}

impl FunctionCoverage {
    pub fn percent(&self) -> f64 {
        percent(self.reached, self.lines)
    }
}

impl Coverage {
    /// Lines reached and lines with code over both backend files.
    pub fn total(&self) -> (usize, usize) {
        self.files
            .iter()
            .fold((0, 0), |(r, l), f| (r + f.reached, l + f.lines))
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
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// Runs the cases in `cases_dir` and the stress programs of `plan` on the
/// instrumented twin of `base` and reads the backend's coverage. Cached by
/// the instrumented suite, the plan, the cases and the generator.
pub fn measure(cx: &mut Context, base: &Built, cases_dir: &Path, plan: Plan) -> Result<Coverage> {
    let built = coverage_build(cx, base)?;
    let suite_bin = suite::build_suite(cx, &built)?;
    let key = Key::new("coverage")
        .text("suite", cx.cache.suite_hash(&suite_bin)?)
        .text("plan", plan.label())
        .text("generator", stress::generator_key())
        .files("case", &super::lua_files(cases_dir)?)?;
    let base_name = base
        .dir
        .parent()
        .and_then(|home| home.file_name())
        .map_or_else(|| base.name.clone(), |n| n.to_string_lossy().into_owned());
    cached(
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
    )
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
        .args(["--json-format", "--stdout", "--object-directory"])
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
    })
}

/// One file's coverage from its entry in gcov's JSON and its source.
fn file_coverage(name: &str, entry: &serde_json::Value, source: &str) -> FileCoverage {
    // Line number to (count, function); a line inlined into several
    // functions counts as reached when any copy ran.
    let mut lines: BTreeMap<u32, (u64, String)> = BTreeMap::new();
    for line in entry["lines"].as_array().into_iter().flatten() {
        let number = line["line_number"].as_u64().unwrap_or(0) as u32;
        let count = line["count"].as_u64().unwrap_or(0);
        let function = line["function_name"].as_str().unwrap_or("?").to_owned();
        let slot = lines.entry(number).or_insert((0, function));
        slot.0 += count;
    }
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
            });
        f.start_line = f.start_line.min(number);
        f.lines += 1;
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
    FileCoverage {
        file: format!("src/{name}"),
        lines: lines.len(),
        reached: lines.values().filter(|(count, _)| *count > 0).count(),
        functions,
        not_compiled: not_compiled(source, &lines),
    }
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
}

impl Coverage {
    /// The terminal's view: the summary, the functions never reached and the
    /// branches not compiled here.
    pub fn render(&self) -> String {
        let mut out = self.summary();
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
        let mut md = format!("{}\n", self.summary());
        for file in &self.files {
            md.push_str(&format!(
                "\n### {}: {}/{} lines ({:.1}%)\n\n| function | line | reached | lines never reached |\n|---|---|---|---|\n",
                file.file,
                file.reached,
                file.lines,
                file.percent()
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
                md.push_str(&format!(
                    "| `{}` | {} | {}/{} ({:.0}%) | {} |\n",
                    f.name,
                    f.start_line,
                    f.reached,
                    f.lines,
                    f.percent(),
                    ranges.join(", ")
                ));
            }
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
            }
            file.reached = file.functions.iter().map(|f| f.reached).sum();
        }
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
                functions: vec![FunctionCoverage {
                    name: "f".to_owned(),
                    start_line: 1,
                    lines: 10,
                    reached,
                    unreached,
                }],
                not_compiled: Vec::new(),
            }],
        }
    }

    #[test]
    fn merged_shards_reach_what_either_reached() {
        let merged = one(vec![(3, 6), (9, 9)]).merge(&one(vec![(5, 9)]));
        let f = &merged.files[0].functions[0];
        assert_eq!(f.unreached, [(5, 6), (9, 9)]);
        assert_eq!((f.reached, merged.files[0].reached), (7, 7));
    }
}
