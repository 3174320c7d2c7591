//! The script a draft shows: the case or program as a maintainer runs it
//! with a stock `luajit`, with no header, harness or project names, and
//! printing what it computed. Also what a case's header says about the
//! defect's cause.

/// `source` as a standalone script: comment lines and blank runs out, a
/// chunk-level `return EXPR` (how stress programs hand their checksum to
/// the harness) turned into `print(EXPR)`.
pub fn standalone(source: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in source.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("--") && !trimmed.starts_with("--[") {
            continue;
        }
        if trimmed.is_empty() && lines.last().is_none_or(|l| l.trim().is_empty()) {
            continue;
        }
        lines.push(line.trim_end().to_owned());
    }
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    if let Some(last) = lines.last_mut()
        && let Some(value) = last.strip_prefix("return ")
    {
        *last = format!("print({})", value.trim_end_matches(';'));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// The `-- title:` line of a case's header: the defect in a few words.
pub fn title(source: &str) -> Option<String> {
    source
        .lines()
        .take_while(|l| l.starts_with("--"))
        .find_map(|l| l.trim_start_matches('-').trim().strip_prefix("title:"))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The `-- Prose:` paragraph of a case's header (the defect's cause),
/// joined into one line; None when the header has none.
pub fn prose(source: &str) -> Option<String> {
    paragraph(source, "Prose:")
}

/// The `-- Also:` paragraph of a case's header: what was seen beyond the
/// tree the case runs on (another target, another build).
pub fn also(source: &str) -> Option<String> {
    paragraph(source, "Also:")
}

/// The header paragraph that starts with `key`, up to the next one or the
/// header's end.
fn paragraph(source: &str, key: &str) -> Option<String> {
    let mut text = String::new();
    let mut inside = false;
    for line in source.lines().take_while(|l| l.starts_with("--")) {
        let line = line.trim_start_matches('-').trim();
        if let Some(first) = line.strip_prefix(key) {
            inside = true;
            text.push_str(first.trim());
            continue;
        }
        let starts_another = ["Also:", "Prose:"].iter().any(|k| line.starts_with(k));
        if inside && starts_another {
            break;
        }
        if inside {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(line);
        }
    }
    let text = text.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_leave_and_a_returned_checksum_is_printed() {
        let source = "-- pins: arm64-verify#x\n-- Prose: why.\nlocal a = 1\n\n\n-- inner note\nlocal b = 2 -- kept\nreturn a + b\n";
        assert_eq!(
            standalone(source),
            "local a = 1\n\nlocal b = 2 -- kept\nprint(a + b)\n"
        );
        assert_eq!(standalone("error('x')\n"), "error('x')\n");
    }

    #[test]
    fn prose_runs_to_the_end_of_the_header() {
        let source =
            "-- pins: A\n-- Prose: the first line\n-- and the second.\nlocal x\n-- not header\n";
        assert_eq!(
            prose(source).as_deref(),
            Some("the first line and the second.")
        );
        assert_eq!(prose("-- pins: A\nlocal x\n"), None);
        assert_eq!(
            title("-- pins: A\n-- title: a defect\nlocal x\n").as_deref(),
            Some("a defect")
        );
        let both = "-- Prose: cause\n-- more.\n-- Also: x86_64 too.\nlocal x\n";
        assert_eq!(prose(both).as_deref(), Some("cause more."));
        assert_eq!(also(both).as_deref(), Some("x86_64 too."));
    }
}
