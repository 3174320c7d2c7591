//! `osv/schema`: the OSV records the sweep's write step produces hold to
//! OSV's JSON schema: those committed in docs/osv/, and those it writes
//! from the data the audit's tests answer from. A record broken on purpose
//! must fail, so the check shows it can.

use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result};
use serde_json::Value;

use super::{Trial, expect};
use crate::pipeline::sweep::{self, docs, osv};
use crate::pipeline::toolchain::osv_schema;

pub fn checks() -> Vec<Trial> {
    vec![Trial::new(
        "osv/schema",
        format!(
            "every OSV record of {} and every record the sweep writes from the audit's test data validates against OSV's JSON schema ({}, from PyPI; the project's own id prefix stands in for OSV's registered ones), and a broken record does not",
            docs::OSV_DIR,
            osv_schema::OSV_WHEEL
        ),
        |fx| {
            let root = fx.cx.root.clone();
            let schema = osv_schema::ensure(&fx.cx.target_dir())?;
            let validator = validator(&schema)?;
            let mut records = committed(&root)?;
            let data = sweep::read(&super::audit::data(&root))?;
            for record in osv::records(&data)? {
                records.push((
                    format!("{} (from the test data)", record.id),
                    serde_json::to_value(record)?,
                ));
            }
            let mut failed: Vec<String> = records
                .iter()
                .flat_map(|(name, record)| {
                    problems(&validator, record)
                        .into_iter()
                        .map(move |p| format!("{name}: {p}"))
                })
                .collect();
            let broken = records.first().map(|(_, r)| broken(r));
            if broken
                .as_ref()
                .is_none_or(|b| problems(&validator, b).is_empty())
            {
                failed.push("a record without a package ecosystem and with a date for a timestamp passed: the check cannot fail".to_owned());
            }
            Ok(expect(failed.is_empty(), || {
                format!("{} records checked\n{}", records.len(), failed.join("\n"))
            }))
        },
    )]
}

/// The records committed under docs/osv/, by file name.
fn committed(root: &Path) -> Result<Vec<(String, Value)>> {
    let dir = root.join(docs::OSV_DIR);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut records = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let record = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", path.display()))?;
            records.push((path.display().to_string(), record));
        }
    }
    records.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(records)
}

/// OSV's schema, compiled with formats checked, and with its list of
/// registered database prefixes replaced by the project's own prefix: OSV
/// has not registered it, and every other rule stands as OSV wrote it.
pub fn validator(schema: &Path) -> Result<jsonschema::Validator> {
    let text =
        fs::read_to_string(schema).with_context(|| format!("cannot read {}", schema.display()))?;
    let mut schema_value: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", schema.display()))?;
    let prefix = schema_value
        .pointer_mut("/$defs/prefix/pattern")
        .with_context(|| {
            format!(
                "{} has no $defs/prefix/pattern (the registered id prefixes): OSV's schema changed its layout",
                schema.display()
            )
        })?;
    *prefix = Value::String(format!("^{}-", osv::ID_PREFIX));
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema_value)
        .map_err(|e| anyhow::anyhow!("OSV's schema does not compile: {e}"))
}

/// What the schema finds wrong with a record, one line each.
pub fn problems(validator: &jsonschema::Validator, record: &Value) -> Vec<String> {
    validator
        .iter_errors(record)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect()
}

/// A copy of `record` with two faults OSV's schema forbids: the package
/// has no ecosystem, and `modified` is a date, not a timestamp.
fn broken(record: &Value) -> Value {
    let mut broken = record.clone();
    if let Some(package) = broken
        .pointer_mut("/affected/0/package")
        .and_then(Value::as_object_mut)
    {
        package.remove("ecosystem");
    }
    broken["modified"] = Value::String("2026-12-07".to_owned());
    broken
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::project_root;

    /// Fetches the schema (once, into target/tools) like the check does.
    #[test]
    fn a_broken_record_fails_and_the_records_pass() {
        let root = project_root();
        let schema = osv_schema::ensure(&root.join("target")).unwrap();
        let validator = validator(&schema).unwrap();
        let data = sweep::read(&crate::test::audit::data(&root)).unwrap();
        let records = osv::records(&data).unwrap();
        assert!(!records.is_empty());
        for record in &records {
            let value = serde_json::to_value(record).unwrap();
            assert_eq!(
                problems(&validator, &value),
                Vec::<String>::new(),
                "{}",
                record.id
            );
        }
        let good = serde_json::to_value(&records[0]).unwrap();
        let faults = problems(&validator, &broken(&good));
        assert!(faults.iter().any(|f| f.contains("/modified")), "{faults:?}");
        assert!(faults.iter().any(|f| f.contains("ecosystem")), "{faults:?}");
        // Another database's prefix is not the project's.
        let mut foreign = good.clone();
        foreign["id"] = Value::String("RUSTSEC-2026-0001".to_owned());
        assert!(!problems(&validator, &foreign).is_empty());
    }
}
