//! The aarch64 root the probe's programs run against: under QEMU its `-L`
//! folder, the cross toolchain's C library by default or a newer
//! distribution's given with `--sysroot`; natively, the system itself.
//! Before anything runs, the binaries are checked against it (the program
//! interpreter they name, the glibc symbol versions they ask for), so that
//! a binary built against a newer glibc gets a plain answer naming the flag
//! instead of the dynamic loader's error.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::elf;

/// Where Debian's cross toolchain keeps the aarch64 C library: the root
/// QEMU runs programs against unless `--sysroot` names another.
pub const CROSS_SYSROOT: &str = "/usr/aarch64-linux-gnu";

/// Where in an aarch64 root the dynamic loader finds the C library: the
/// cross toolchain's layout, Debian's multiarch one and the merged /usr.
const LIBRARY_DIRS: [&str; 5] = [
    "lib",
    "lib/aarch64-linux-gnu",
    "lib64",
    "usr/lib/aarch64-linux-gnu",
    "usr/lib",
];

/// Where the guest's programs find their C library.
#[derive(Debug, Clone)]
pub struct Sysroot {
    pub dir: PathBuf,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The cross toolchain's, under QEMU.
    Cross,
    /// Given with --sysroot, under QEMU.
    Given,
    /// The running system's own: no QEMU.
    Native,
}

impl Sysroot {
    /// The root for this host: `given` (which must be a folder), else the
    /// cross toolchain's under QEMU, else the system's.
    pub fn choose(given: Option<&Path>, emulated: bool) -> Result<Sysroot> {
        match given {
            Some(dir) => {
                if !dir.is_dir() {
                    bail!(
                        "--sysroot {}: not a folder; give the folder a Debian libc6:arm64 (and libgcc-s1:arm64) was unpacked into with dpkg-deb -x (docs/probe.md)",
                        dir.display()
                    );
                }
                Ok(Sysroot {
                    dir: std::path::absolute(dir)?,
                    origin: Origin::Given,
                })
            }
            None if emulated => Ok(Sysroot {
                dir: PathBuf::from(CROSS_SYSROOT),
                origin: Origin::Cross,
            }),
            None => Ok(Sysroot {
                dir: PathBuf::from("/"),
                origin: Origin::Native,
            }),
        }
    }

    fn describe(&self) -> String {
        match self.origin {
            Origin::Cross => format!(
                "the aarch64 root it runs in under QEMU, {} (the cross toolchain's)",
                self.dir.display()
            ),
            Origin::Given => format!(
                "the aarch64 root given with --sysroot, {}",
                self.dir.display()
            ),
            Origin::Native => "this system".to_owned(),
        }
    }

    /// The file `name` (e.g. `libc.so.6`) in the root's library folders.
    fn library(&self, name: &str) -> Option<PathBuf> {
        LIBRARY_DIRS
            .iter()
            .map(|dir| self.dir.join(dir).join(name))
            .find(|path| path.is_file())
    }

    /// Checks that `binary` (named `what` in messages) can start in this
    /// root: its program interpreter is there (QEMU looks for it under
    /// `-L`), and every glibc symbol version it asks of a library the root
    /// has is defined there.
    pub fn check(&self, binary: &Path, what: &str) -> Result<()> {
        let bytes = std::fs::read(binary)?;
        if self.origin != Origin::Native
            && let Some(interp) = elf::interpreter(&bytes)
        {
            let relative = interp.trim_start_matches('/');
            if !self.dir.join(relative).exists() {
                let merged = self.dir.join("usr").join(relative);
                let hint = if merged.exists() {
                    format!(
                        "; it is in usr/{relative}: a package unpacked with dpkg-deb -x keeps Debian's merged /usr layout, so add the link /lib has on a Debian system: ln -s usr/lib {}/lib",
                        self.dir.display()
                    )
                } else {
                    "; unpack Debian's libc6:arm64 there (docs/probe.md)".to_owned()
                };
                bail!(
                    "{what} cannot start: its program interpreter {interp} is not in {}{hint}",
                    self.describe()
                );
            }
        }
        let needs = elf::version_needs(&bytes)?;
        let mut missing = Vec::new();
        let mut provided = BTreeSet::new();
        for need in needs.iter().filter(|n| glibc_version(&n.version).is_some()) {
            // A library the root lacks is the dynamic loader's to report
            // (it may come from --library-path).
            let Some(library) = self.library(&need.library) else {
                continue;
            };
            let defined = elf::version_defs(&std::fs::read(&library)?)?;
            if !defined.contains(&need.version) {
                missing.push(need.clone());
                provided.extend(defined.into_iter().filter(|d| glibc_version(d).is_some()));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let newest_needed = newest(missing.iter().map(|n| n.version.as_str()))
            .expect("missing versions are glibc versions");
        let libraries: BTreeSet<&str> = missing.iter().map(|n| n.library.as_str()).collect();
        let newest_there = match newest(provided.iter().map(String::as_str)) {
            Some(version) => format!("has a C library that defines versions up to {version}"),
            None => "has a C library that defines no GLIBC_ version".to_owned(),
        };
        let wanted = newest_needed.trim_start_matches("GLIBC_");
        let remedy = match self.origin {
            Origin::Native => format!(
                "probe it on a system with glibc {wanted} or newer (--sysroot, a newer C library beside the system's, works only under QEMU)"
            ),
            _ => format!(
                "give an aarch64 root with glibc {wanted} or newer with --sysroot DIR, e.g. Debian 13's libc6:arm64 unpacked with dpkg-deb -x (docs/probe.md, \"Debian 13 and newer: a newer sysroot\")"
            ),
        };
        bail!(
            "{what} needs glibc {wanted} ({newest_needed} of {}), and {} {newest_there}: it cannot run there; {remedy}",
            libraries.into_iter().collect::<Vec<_>>().join(", "),
            self.describe()
        )
    }

    /// A plain answer for output in which the dynamic loader says a glibc
    /// version is missing (e.g. a library found through --library-path
    /// needs it), or None when it says nothing of the kind.
    pub fn explain_missing_version(&self, output: &str) -> Option<String> {
        let (version, required_by) = missing_version(output)?;
        let wanted = version.trim_start_matches("GLIBC_");
        let remedy = match self.origin {
            Origin::Native => format!("probe it on a system with glibc {wanted} or newer"),
            _ => format!(
                "give an aarch64 root with glibc {wanted} or newer with --sysroot DIR (docs/probe.md, \"Debian 13 and newer: a newer sysroot\")"
            ),
        };
        Some(format!(
            "{required_by} needs {version}, which the C library of {} lacks (the dynamic loader says: version `{version}' not found); {remedy}",
            self.describe()
        ))
    }

    /// What to do when the dynamic loader (or dlopen) could not find a
    /// library, or None when the output says nothing of the kind.
    pub fn missing_library_hint(&self, output: &str) -> Option<String> {
        if !output.contains("cannot open shared object file") {
            return None;
        }
        Some(match self.origin {
            Origin::Given => format!(
                "give the folder that holds the missing library with --library-path DIR, or unpack the Debian package that holds it into {} with dpkg-deb -x (libgcc-s1:arm64 holds libgcc_s.so.1)",
                self.dir.display()
            ),
            _ => {
                "give the folder that holds the missing library with --library-path DIR".to_owned()
            }
        })
    }
}

/// The numbers of a glibc symbol version, `GLIBC_2.38` -> [2, 38]; None for
/// another name (`GLIBC_PRIVATE`, `GCC_3.0`).
fn glibc_version(name: &str) -> Option<Vec<u32>> {
    name.strip_prefix("GLIBC_")?
        .split('.')
        .map(|part| part.parse().ok())
        .collect()
}

/// The newest glibc version among `names`.
fn newest<'a>(names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    names
        .filter_map(|name| Some((glibc_version(name)?, name)))
        .max()
        .map(|(_, name)| name)
}

/// The version and the file named by the dynamic loader's "version
/// `GLIBC_2.38' not found (required by FILE)".
fn missing_version(output: &str) -> Option<(String, String)> {
    let line = output
        .lines()
        .find(|line| line.contains("version `GLIBC_") && line.contains("' not found"))?;
    let start = line.find("version `")? + "version `".len();
    let version = &line[start..start + line[start..].find('\'')?];
    let required_by = line
        .split("(required by ")
        .nth(1)
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or("the binary");
    Some((version.to_owned(), required_by.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::probe::elf::fake::versioned;

    const INTERP: &str = "/lib/ld-linux-aarch64.so.1";

    /// A root whose libc.so.6 defines `defines`, with the interpreter at
    /// `interp_at` (relative to the root).
    fn root(defines: &[&str], interp_at: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("usr/lib/aarch64-linux-gnu");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(lib.join("libc.so.6"), versioned(INTERP, &[], defines)).unwrap();
        let interp = dir.path().join(interp_at);
        std::fs::create_dir_all(interp.parent().unwrap()).unwrap();
        std::fs::write(interp, b"").unwrap();
        dir
    }

    fn binary(dir: &Path, needs: &[&str]) -> PathBuf {
        let path = dir.join("luajit");
        std::fs::write(&path, versioned(INTERP, &[("libc.so.6", needs)], &[])).unwrap();
        path
    }

    fn given(dir: &Path) -> Sysroot {
        Sysroot::choose(Some(dir), true).unwrap()
    }

    #[test]
    fn a_binary_needing_a_newer_glibc_than_the_root_is_refused_naming_the_flag() {
        let old = root(
            &["GLIBC_2.17", "GLIBC_2.34", "GLIBC_2.36"],
            "lib/ld-linux-aarch64.so.1",
        );
        let scratch = tempfile::tempdir().unwrap();
        let newer = binary(scratch.path(), &["GLIBC_2.17", "GLIBC_2.38", "GLIBC_2.34"]);
        let error = given(old.path())
            .check(&newer, "luajit")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("needs glibc 2.38 (GLIBC_2.38 of libc.so.6)")
                && error.contains("has a C library that defines versions up to GLIBC_2.36")
                && error.contains("--sysroot DIR"),
            "{error}"
        );
        let older = binary(scratch.path(), &["GLIBC_2.17", "GLIBC_2.34"]);
        given(old.path()).check(&older, "luajit").unwrap();
    }

    #[test]
    fn a_root_unpacked_with_dpkg_deb_gets_told_to_link_lib() {
        let merged = root(
            &["GLIBC_2.38", "GLIBC_2.41"],
            "usr/lib/ld-linux-aarch64.so.1",
        );
        let scratch = tempfile::tempdir().unwrap();
        let bin = binary(scratch.path(), &["GLIBC_2.38"]);
        let error = given(merged.path())
            .check(&bin, "luajit")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("program interpreter /lib/ld-linux-aarch64.so.1")
                && error.contains("ln -s usr/lib"),
            "{error}"
        );
        std::os::unix::fs::symlink("usr/lib", merged.path().join("lib")).unwrap();
        given(merged.path()).check(&bin, "luajit").unwrap();
    }

    #[test]
    fn a_missing_library_gets_a_hint_naming_the_flags() {
        let output = "/x/luajit: error while loading shared libraries: libgcc_s.so.1: cannot open shared object file: No such file or directory\n";
        let cross = Sysroot::choose(None, true).unwrap();
        let hint = cross.missing_library_hint(output).unwrap();
        assert!(hint.contains("--library-path DIR"), "{hint}");
        let dir = tempfile::tempdir().unwrap();
        let hint = given(dir.path()).missing_library_hint(output).unwrap();
        assert!(
            hint.contains("libgcc-s1:arm64") && hint.contains("dpkg-deb -x"),
            "{hint}"
        );
        assert_eq!(cross.missing_library_hint("luajit: x.lua:1: boom"), None);
    }

    #[test]
    fn a_sysroot_that_is_not_a_folder_is_refused_and_natively_there_is_none() {
        let error = Sysroot::choose(Some(Path::new("/nonexistent/root")), true).unwrap_err();
        assert!(error.to_string().contains("not a folder"), "{error}");
        assert_eq!(Sysroot::choose(None, false).unwrap().origin, Origin::Native);
        assert_eq!(
            Sysroot::choose(None, true).unwrap().dir,
            Path::new(CROSS_SYSROOT)
        );
    }

    #[test]
    fn glibc_versions_compare_by_number_not_text() {
        assert_eq!(glibc_version("GLIBC_2.38"), Some(vec![2, 38]));
        assert_eq!(glibc_version("GLIBC_PRIVATE"), None);
        assert_eq!(glibc_version("GCC_3.0"), None);
        let names = ["GLIBC_2.9", "GLIBC_2.38", "GLIBC_PRIVATE", "GLIBC_2.17"];
        assert_eq!(newest(names.into_iter()), Some("GLIBC_2.38"));
        assert_eq!(newest(["GCC_3.3"].into_iter()), None);
    }

    #[test]
    fn the_loaders_missing_version_error_is_recognised() {
        let output = "probe-loader: cannot load /x/libluajit-5.1.so.2: /lib/libm.so.6: version `GLIBC_2.38' not found (required by /x/libluajit-5.1.so.2)\n";
        assert_eq!(
            missing_version(output),
            Some(("GLIBC_2.38".to_owned(), "/x/libluajit-5.1.so.2".to_owned()))
        );
        assert_eq!(
            missing_version(
                "luajit: error while loading shared libraries: libluajit-5.1.so.2: cannot open shared object file"
            ),
            None
        );
        let sysroot = Sysroot {
            dir: PathBuf::from(CROSS_SYSROOT),
            origin: Origin::Cross,
        };
        let said = sysroot.explain_missing_version(output).unwrap();
        assert!(
            said.contains("--sysroot DIR") && said.contains("glibc 2.38 or newer"),
            "{said}"
        );
    }
}
