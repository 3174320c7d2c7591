//! The decisive `-jdump=mr` excerpt: where a fix is at hand, the machine
//! code lines it changes (before and after), with any branch that lands on
//! a changed line; otherwise the end of the last trace's machine code.

use similar::{ChangeTag, TextDiff};

/// At most this many lines of an excerpt.
const EXCERPT_LINES: usize = 24;

/// One machine-code line of a dump: its address and its text.
struct Line<'a> {
    address: Option<&'a str>,
    text: &'a str,
}

fn parse(dump: &str) -> Vec<Line<'_>> {
    dump.lines()
        .map(|text| {
            let first = text.split_whitespace().next().unwrap_or("");
            let address =
                (first.len() >= 8 && first.chars().all(|c| c.is_ascii_hexdigit())).then_some(first);
            Line { address, text }
        })
        .collect()
}

/// The number of the last trace a dump starts.
fn last_trace_number(dump: &str) -> u32 {
    dump.lines()
        .filter_map(|l| l.strip_prefix("---- TRACE "))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .max()
        .unwrap_or(0)
}

/// The trace headers and machine-code lines of traces up to `last`.
fn machine_code(lines: Vec<Line<'_>>, last: u32) -> Vec<Line<'_>> {
    let mut inside = true;
    lines
        .into_iter()
        .filter(|line| {
            if let Some(rest) = line.text.strip_prefix("---- TRACE ") {
                let number: u32 = rest
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(u32::MAX);
                inside = number <= last;
                return inside && rest.contains(" mcode ");
            }
            inside && line.address.is_some()
        })
        .collect()
}

/// Lines of one trace: its `mcode` header and its machine code.
type Trace<'a> = Vec<Line<'a>>;

/// The machine-code lines split into traces, by trace number.
fn traces(lines: Vec<Line<'_>>) -> std::collections::BTreeMap<u32, Trace<'_>> {
    let mut traces = std::collections::BTreeMap::new();
    let mut current = None;
    for line in lines {
        if let Some(rest) = line.text.strip_prefix("---- TRACE ") {
            current = rest
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u32>().ok());
        }
        if let Some(number) = current {
            traces.entry(number).or_insert_with(Vec::new).push(line);
        }
    }
    traces
}

/// Of the traces both dumps have, those alike enough to compare (at least
/// four in five machine-code lines the same, addresses aside), joined.
fn alike<'a>(
    bad: std::collections::BTreeMap<u32, Trace<'a>>,
    mut fixed: std::collections::BTreeMap<u32, Trace<'a>>,
) -> (Vec<Line<'a>>, Vec<Line<'a>>) {
    let code =
        |lines: &[Line]| -> String { lines.iter().map(|l| normalised(l.text) + "\n").collect() };
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for (number, trace) in bad {
        let Some(other) = fixed.remove(&number) else {
            continue;
        };
        let ratio = TextDiff::from_lines(&code(&trace), &code(&other)).ratio();
        if ratio >= 0.8 {
            left.extend(trace);
            right.extend(other);
        }
    }
    (left, right)
}

/// A machine-code line without what differs between builds and shifts
/// when code is inserted: its leading address, every long hex number
/// (branch targets, embedded pointers), a trace header's size.
fn normalised(line: &str) -> String {
    if line.starts_with("---- TRACE ") && line.contains(" mcode ") {
        return "---- TRACE mcode".to_owned();
    }
    let mut out = String::new();
    for (index, word) in line.split_whitespace().enumerate() {
        let bare = word.trim_end_matches(',');
        let hex = bare.strip_prefix("0x").unwrap_or(bare);
        let long_hex = hex.len() >= 8 && hex.chars().all(|c| c.is_ascii_hexdigit());
        if index == 0 && long_hex {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(if long_hex { "ADDR" } else { word });
    }
    out
}

/// The lines of `bad` (the tree as published) that `fixed` (the tree with
/// the fix) changes, with a line of context each side, and each branch of
/// `bad` whose target is a changed line, marked. None when the two dumps'
/// machine code is the same.
pub fn fix_excerpt(bad: &str, fixed: &str) -> Option<String> {
    // Only traces both runs compiled alike: a run that fails stops
    // compiling where the fixed one goes on, and a trace of a path the
    // fixed program takes otherwise differs throughout.
    let common = last_trace_number(bad).min(last_trace_number(fixed));
    let (bad_lines, fixed_lines) = alike(
        traces(machine_code(parse(bad), common)),
        traces(machine_code(parse(fixed), common)),
    );
    let code =
        |lines: &[Line]| -> String { lines.iter().map(|l| normalised(l.text) + "\n").collect() };
    let (left, right) = (code(&bad_lines), code(&fixed_lines));
    let diff = TextDiff::from_lines(&left, &right);
    // Groups of changes, the decisive first: a change of instruction or of
    // operand shape outweighs a moved constant's address (adrp/add/mov).
    let mut groups: Vec<(usize, usize, Vec<String>, Vec<&str>)> = Vec::new();
    for (order, group) in diff.grouped_ops(1).into_iter().enumerate() {
        let mut lines = Vec::new();
        let mut deleted = Vec::new();
        let mut inserted = Vec::new();
        let mut addresses = Vec::new();
        for op in group {
            for change in diff.iter_changes(&op) {
                let (mark, line) = match change.tag() {
                    ChangeTag::Equal => (' ', &bad_lines[change.old_index().expect("old")]),
                    ChangeTag::Delete => {
                        let line = &bad_lines[change.old_index().expect("old")];
                        addresses.extend(line.address);
                        deleted.push(line.text);
                        ('-', line)
                    }
                    ChangeTag::Insert => {
                        let line = &fixed_lines[change.new_index().expect("new")];
                        inserted.push(line.text);
                        ('+', line)
                    }
                };
                lines.push(format!("{mark} {}", line.text.trim_end()));
            }
        }
        let moved = moved_constants(&deleted, &inserted);
        lines.retain(|line| !moved.iter().any(|m| line.ends_with(m.trim_end())));
        groups.push((weight(&deleted, &inserted), order, lines, addresses));
    }
    let best = groups.iter().map(|g| g.0).max().unwrap_or(0);
    groups.retain(|g| g.0 > 0 || best == 0);
    groups.sort_by_key(|g| (std::cmp::Reverse(g.0), g.1));
    let mut out: Vec<String> = Vec::new();
    let mut changed_addresses: Vec<&str> = Vec::new();
    for (_, _, lines, addresses) in groups {
        if out.len() >= EXCERPT_LINES {
            break;
        }
        if !out.is_empty() {
            out.push("  ...".to_owned());
        }
        out.extend(lines);
        changed_addresses.extend(addresses);
    }
    if out.is_empty() {
        return None;
    }
    out.truncate(EXCERPT_LINES);
    let landing: Vec<String> = bad_lines
        .iter()
        .filter(|line| {
            let words: Vec<&str> = line.text.split_whitespace().collect();
            words.len() >= 3
                && words[1].starts_with('b')
                && words.last().is_some_and(|target| {
                    let target = target.trim_start_matches("0x").trim_start_matches('0');
                    changed_addresses
                        .iter()
                        .any(|a| a.trim_start_matches('0') == target)
                })
        })
        .map(|line| {
            format!(
                "  {}   <- lands on a line the fix changes",
                line.text.trim_end()
            )
        })
        .collect();
    let mut text = String::new();
    if !landing.is_empty() {
        text.push_str("A branch of the trace as published:\n");
        for line in &landing {
            text.push_str(line);
            text.push('\n');
        }
        text.push('\n');
    }
    text.push_str("The machine code the fix changes (- as published, + with the fix):\n");
    for line in out {
        text.push_str(&line);
        text.push('\n');
    }
    Some(text)
}

/// Instructions whose change is most often a constant's address moving.
const ADDRESSING: [&str; 6] = ["adrp", "add", "mov", "movz", "movk", "ldr"];

/// The changed lines that only move a constant's address: an address
/// computation whose shape, numbers aside, the other side has too.
fn moved_constants<'a>(deleted: &[&'a str], inserted: &[&'a str]) -> Vec<&'a str> {
    let moved = |side: &[&'a str], other: &[&'a str]| -> Vec<&'a str> {
        side.iter()
            .copied()
            .filter(|l| ADDRESSING.contains(&mnemonic(l).as_str()))
            .filter(|l| other.iter().any(|o| shape(o) == shape(l)))
            .collect()
    };
    let mut all = moved(deleted, inserted);
    all.extend(moved(inserted, deleted));
    all
}

/// A machine-code line's instruction and operands with every number `N`.
fn shape(line: &str) -> String {
    let mut out = String::new();
    for c in normalised(line).chars() {
        match c.is_ascii_digit() {
            true if out.ends_with('N') => {}
            true => out.push('N'),
            false => out.push(c),
        }
    }
    out
}

fn mnemonic(line: &str) -> String {
    normalised(line)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_owned()
}

/// How decisive a group of changed lines is: each changed line whose
/// instruction, numbers aside, has no counterpart on the other side, and
/// each changed line that is not an address computation.
fn weight(deleted: &[&str], inserted: &[&str]) -> usize {
    let unmatched = |side: &[&str], other: &[&str]| {
        side.iter()
            .filter(|l| !other.iter().any(|o| shape(o) == shape(l)))
            .count()
    };
    let not_addressing = deleted
        .iter()
        .chain(inserted)
        .filter(|l| !ADDRESSING.contains(&mnemonic(l).as_str()))
        .count();
    unmatched(deleted, inserted) + unmatched(inserted, deleted) + not_addressing
}

/// The last trace's machine code, at most `EXCERPT_LINES` lines from its
/// end: from its `mcode` header to the dump's next trace line (its `stop`
/// line, or whatever ended the run, a crash included, when there is none).
pub fn last_trace(dump: &str) -> Option<String> {
    let start = dump
        .match_indices("---- TRACE ")
        .map(|(at, _)| at)
        .filter(|&at| {
            dump[at..]
                .lines()
                .next()
                .is_some_and(|header| header.contains(" mcode "))
        })
        .last()?;
    let trace = &dump[start..];
    let end = trace[1..]
        .find("---- TRACE ")
        .map_or(trace.len(), |at| at + 1);
    let lines: Vec<&str> = trace[..end].lines().collect();
    let from = lines.len().saturating_sub(EXCERPT_LINES);
    let mut text = String::new();
    if from > 0 {
        text.push_str(lines[0]);
        text.push_str("\n  ...\n");
    }
    for line in &lines[from.max(usize::from(from > 0))..] {
        text.push_str(line);
        text.push('\n');
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trace of `body` at `base`, then a dozen lines both builds share.
    fn trace(number: u32, base: u64, body: &[&str]) -> String {
        let shared: Vec<String> = (0..12)
            .map(|i| format!("ldr   x2, [x19, #{}]", 8 * i))
            .collect();
        let mut text = format!("---- TRACE {number} start x.lua:1\n---- TRACE {number} mcode 99\n");
        let lines = body.iter().map(|l| l.replace("BASE", &format!("{base:x}")));
        for (i, line) in lines.chain(shared).enumerate() {
            text.push_str(&format!("{:x}  {line}\n", base + 4 * i as u64));
        }
        text
    }

    #[test]
    fn the_excerpt_shows_the_changed_lines_and_the_branch_landing_on_them() {
        // The entry's `b` lands on the third line (base + 8).
        let bad = trace(
            1,
            0x55a0001000,
            &[
                "b     0xBASE",
                "add   x1, x1, #1",
                "stp   w30, w1, [sp, #24]",
                "ret",
            ],
        );
        let bad = bad.replace(
            &format!("b     0x{:x}", 0x55a0001000u64),
            "b     0x55a0001008",
        );
        let fixed = trace(
            1,
            0x7f00002000,
            &[
                "b     0x7f0000200c",
                "add   x1, x1, #1",
                "str   w30, [sp, #24]",
                "str   w1, [sp, #28]",
                "ret",
            ],
        );
        let text = fix_excerpt(&bad, &fixed).unwrap();
        assert!(
            text.contains("- 55a0001008  stp   w30, w1, [sp, #24]"),
            "{text}"
        );
        assert!(
            text.contains("+ 7f00002008  str   w30, [sp, #24]"),
            "{text}"
        );
        assert!(text.contains("b     0x55a0001008   <- lands on"), "{text}");
        assert_eq!(fix_excerpt(&bad, &bad), None);

        // A moved constant's address yields to a changed instruction.
        let noisy_bad = trace(
            1,
            0x55a0001000,
            &[
                "adrp  x24, 0x55a0002000",
                "add   x24, x24, #232",
                "nop",
                "nop",
                "nop",
                "ubfx  x0, x3, #0, #8",
            ],
        );
        let noisy_fixed = trace(
            1,
            0x7f00002000,
            &[
                "adrp  x24, 0x7f00003000",
                "add   x24, x24, #3592",
                "nop",
                "nop",
                "nop",
                "ubfx  x0, x3, #31, #8",
            ],
        );
        let text = fix_excerpt(&noisy_bad, &noisy_fixed).unwrap();
        assert!(
            text.contains("#31, #8") && !text.contains("#3592"),
            "{text}"
        );

        // What follows the common traces (an error, more traces) is left
        // out, and so is a trace compiled otherwise throughout.
        let failed = format!("{bad}luajit: x.lua:3: wrong\n");
        let other: Vec<String> = (0..20).map(|i| format!("mov   x{i}, #{i}")).collect();
        let other: Vec<&str> = other.iter().map(String::as_str).collect();
        let longer = format!("{fixed}{}", trace(2, 0x7f00003000, &other));
        let text = fix_excerpt(
            &format!("{failed}{}", trace(2, 0x55a0003000, &["ret"])),
            &longer,
        )
        .unwrap();
        assert!(
            !text.contains("wrong") && !text.contains("mov   x7"),
            "{text}"
        );
    }

    #[test]
    fn the_last_trace_is_its_machine_code_not_its_stop_line() {
        let dump = format!(
            "{}---- TRACE 1 stop -> loop\n---- TRACE 2 IR\n0001 >  int SLOAD  #1    T\n{}---- TRACE 2 stop -> loop\n\ncrash\n",
            trace(1, 0x55a0001000, &["ret"]),
            trace(2, 0x55a0002000, &["ldr   w0, [x2]"]),
        );
        let text = last_trace(&dump).unwrap();
        assert!(text.starts_with("---- TRACE 2 mcode"), "{text}");
        assert!(text.contains("ldr   w0, [x2]"), "{text}");
        assert!(!text.contains("stop") && !text.contains("SLOAD"), "{text}");
        assert!(!text.contains("crash"), "{text}");
        assert_eq!(last_trace("no traces\n"), None);
    }

    #[test]
    fn addresses_do_not_count_as_changes() {
        assert_eq!(
            normalised("55a0001000  b     0x55a0001e44"),
            normalised("7f00002000  b     0x7f00002e44")
        );
    }
}
