//! The audit on lockfiles the project wrote (tests/fixtures/audit/),
//! answered from the data `cargo xtask test` audits with: the committed
//! sweep data, or the sample sweep kept as a fixture until it is there.

use std::path::PathBuf;

use super::*;
use crate::pipeline::project_root;

fn audit_fixture(lockfile: &str) -> Result<Audit> {
    let root = project_root();
    audit(&Options {
        lockfile: root.join("tests/fixtures/audit").join(lockfile),
        data: crate::test::audit::data(&root),
    })
}

fn issues(entry: &Entry) -> Vec<&str> {
    entry
        .defects
        .iter()
        .map(|c| c.defect.issue.as_str())
        .collect()
}

#[test]
fn a_pinned_tree_with_known_defects_is_affected_and_each_is_named_with_its_fix() {
    for (lockfile, named) in [
        (
            "luajit-src-210.7.2.lock",
            &[
                "LuaJIT#1480",
                "arm64-verify#fused-kint64-shift",
                "arm64-verify#phi-copyspill-pair",
            ][..],
        ),
        (
            "luajit-src-210.4.8.lock",
            &["LuaJIT#1056", "LuaJIT#1057", "LuaJIT#1075"][..],
        ),
    ] {
        let result = audit_fixture(lockfile).unwrap();
        assert_eq!(result.entries.len(), 1, "{lockfile}");
        let entry = &result.entries[0];
        assert_eq!(entry.answer, Answer::Affected, "{lockfile}");
        for issue in named {
            assert!(
                issues(entry).contains(issue),
                "{lockfile}: {:?}",
                issues(entry)
            );
        }
        for carried in &entry.defects {
            let defect = &carried.defect;
            assert!(!defect.title.is_empty(), "{defect:?}");
            assert!(!defect.fixes.is_empty(), "{defect:?}");
            assert_eq!(
                carried.fix_links.is_empty(),
                !defect.fixed_upstream(),
                "{defect:?}"
            );
        }
        let text = render::text(&result);
        assert!(text.contains("AFFECTED"), "{text}");
    }
}

#[test]
fn a_lockfile_without_luajit_src_has_nothing_to_answer() {
    let result = audit_fixture("no-luajit-src.lock").unwrap();
    assert!(result.entries.is_empty());
    assert!(render::text(&result).contains("has no luajit-src"));
}

#[test]
fn a_version_the_data_lacks_names_the_sweep_that_would_judge_it() {
    let result = audit_fixture("luajit-src-unpublished.lock").unwrap();
    let entry = &result.entries[0];
    assert_eq!(entry.answer, Answer::CouldNotTell);
    assert_eq!(
        entry.sweep_command.as_deref(),
        Some("cargo xtask sweep --luajit-src 210.99.0+0000000")
    );
}

#[test]
fn a_file_that_is_no_lockfile_is_refused_with_the_reason() {
    let error = format!("{:#}", audit_fixture("not-a-lockfile.toml").unwrap_err());
    assert!(error.contains("is not a Cargo.lock"), "{error}");
    let missing = format!("{:#}", audit_fixture("no-such.lock").unwrap_err());
    assert!(missing.contains("cannot read the lockfile"), "{missing}");
}

#[test]
fn a_luajit_src_from_git_is_not_the_published_crate() {
    let dir = tempfile::tempdir().unwrap();
    let lockfile = dir.path().join("Cargo.lock");
    std::fs::write(
        &lockfile,
        "version = 4\n\n[[package]]\nname = \"luajit-src\"\nversion = \"210.7.2+b925b3e\"\nsource = \"git+https://example.org/luajit-src?branch=x#0123456789abcdef0123456789abcdef01234567\"\n",
    )
    .unwrap();
    let result = audit(&Options {
        lockfile,
        data: crate::test::audit::data(&project_root()),
    })
    .unwrap();
    let entry = &result.entries[0];
    assert_eq!(entry.answer, Answer::CouldNotTell);
    assert!(
        entry
            .reason
            .as_deref()
            .unwrap()
            .contains("not the published crate")
    );
    assert!(
        entry
            .sweep_command
            .as_deref()
            .unwrap()
            .contains("--luajit-dir")
    );
}

#[test]
fn data_without_a_catalogue_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut old: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::test::audit::data(&project_root())).unwrap(),
    )
    .unwrap();
    old.as_object_mut().unwrap().remove("catalogue");
    let data: PathBuf = dir.path().join("sweep.json");
    std::fs::write(&data, old.to_string()).unwrap();
    let error = read_data(&data).unwrap_err().to_string();
    assert!(error.contains("no catalogue"), "{error}");
    assert!(read_data(&dir.path().join("absent.json")).is_err());
}
