//! Expectations kept as files beside their inputs and compared as text: a
//! difference fails with a unified diff of expected against actual, and
//! `LUAJIT_ARM64_VERIFY_BLESS=1 cargo xtask test` rewrites every
//! expectation with what was seen instead (review the change in git).

use std::path::Path;

use anyhow::{Context as _, Result};
use similar::TextDiff;

use super::Held;

pub const BLESS: &str = "LUAJIT_ARM64_VERIFY_BLESS";

fn blessing() -> bool {
    std::env::var_os(BLESS).is_some_and(|v| !v.is_empty() && v != "0")
}

/// `actual` against the expectation in `path` (relative paths are shown as
/// given), or `actual` written there when blessing.
pub(crate) fn compare(path: &Path, actual: &str) -> Result<Held> {
    compare_with(path, actual, blessing())
}

fn compare_with(path: &Path, actual: &str, bless: bool) -> Result<Held> {
    if bless {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(path, actual).with_context(|| format!("cannot write {}", path.display()))?;
        return Ok(Ok(()));
    }
    let expected = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Err(format!(
                "no expectation at {}; run with {BLESS}=1 to write it",
                path.display()
            )));
        }
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    };
    if expected == actual {
        return Ok(Ok(()));
    }
    let diff = TextDiff::from_lines(expected.as_str(), actual)
        .unified_diff()
        .context_radius(3)
        .header(&format!("expected: {}", path.display()), "actual")
        .to_string();
    Ok(Err(format!(
        "{}\n(if the change is intended: {BLESS}=1 cargo xtask test {})",
        diff.trim_end(),
        path.file_stem()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_expectation_fails_with_a_diff_and_passes_after_blessing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.expected");
        std::fs::write(&path, "stp x1, x2, [x19, #496]\n").unwrap();
        let actual = "str x2, [x19, #504]\nstur x1, [x19, #-16]\n";

        let failed = compare_with(&path, actual, false).unwrap().unwrap_err();
        assert!(failed.contains("-stp x1, x2, [x19, #496]"), "{failed}");
        assert!(failed.contains("+stur x1, [x19, #-16]"), "{failed}");

        assert_eq!(compare_with(&path, actual, true).unwrap(), Ok(()));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), actual);
        assert_eq!(compare_with(&path, actual, false).unwrap(), Ok(()));
    }

    #[test]
    fn a_missing_expectation_says_how_to_write_it() {
        let path = std::env::temp_dir().join("xtask-golden-missing/none.expected");
        let failed = compare_with(&path, "x", false).unwrap().unwrap_err();
        assert!(failed.contains(BLESS), "{failed}");
    }
}
