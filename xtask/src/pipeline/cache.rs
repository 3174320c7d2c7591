//! Results of the deterministic steps, kept under `target/cache/` by a hash
//! of everything that decides them, so that a run whose inputs did not
//! change reuses them instead of redoing minutes of emulated work.
//!
//! A step's key names what decides its result: the suite binary (which links
//! the LuaJIT build statically, so its hash covers the build's fingerprint
//! and the suite's own code), the step's inputs (case files, seeds, counts,
//! the generator's source, the domain) and a label. A result is reused only
//! when the key matches exactly; `--no-cache` recomputes everything.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

use anyhow::{Context as _, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

static DISABLED: AtomicBool = AtomicBool::new(false);

/// Recompute every step in this process (`--no-cache`); results are still stored.
pub fn disable() {
    DISABLED.store(true, Ordering::Relaxed);
}

/// Whether stored results may be used in this process (no `--no-cache`).
pub fn enabled() -> bool {
    !DISABLED.load(Ordering::Relaxed)
}

/// What decides a step's result, hashed as it is built.
#[derive(Clone)]
pub struct Key {
    hasher: Sha256,
}

impl Key {
    pub fn new(step: &str) -> Key {
        let mut key = Key {
            hasher: Sha256::new(),
        };
        key.part("step", step.as_bytes());
        key
    }

    fn part(&mut self, label: &str, bytes: &[u8]) {
        // Lengths first, so that no two sequences of parts hash alike.
        for piece in [label.as_bytes(), bytes] {
            self.hasher.update((piece.len() as u64).to_le_bytes());
            self.hasher.update(piece);
        }
    }

    pub fn text(mut self, label: &str, value: impl std::fmt::Display) -> Key {
        self.part(label, value.to_string().as_bytes());
        self
    }

    /// A file's name (relative to nothing: only its file name) and content.
    pub fn file(mut self, label: &str, path: &Path) -> Result<Key> {
        let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        self.part(label, name.as_bytes());
        self.part(label, &bytes);
        Ok(self)
    }

    pub fn files(mut self, label: &str, paths: &[PathBuf]) -> Result<Key> {
        self = self.text(label, paths.len());
        for path in paths {
            self = self.file(label, path)?;
        }
        Ok(self)
    }

    pub fn hex(&self) -> String {
        format!("{:x}", self.hasher.clone().finalize())
    }
}

/// A step's result as stored: with the time it took when it was computed.
#[derive(Serialize, Deserialize)]
struct Entry<T> {
    seconds: f64,
    value: T,
}

/// A step whose stored result was used instead of running it.
#[derive(Debug, Clone, Serialize)]
pub struct Reused {
    pub what: String,
    /// What the step took when its result was computed.
    pub seconds: f64,
}

/// The cache of one xtask run: where results live, the suite hashes already
/// computed, and the steps reused so far (for the report).
pub struct Cache {
    dir: PathBuf,
    suite_hashes: HashMap<PathBuf, (SystemTime, String)>,
    pub reused: Vec<Reused>,
}

impl Cache {
    pub fn new(target_dir: &Path) -> Cache {
        Cache {
            dir: target_dir.join("cache"),
            suite_hashes: HashMap::new(),
            reused: Vec::new(),
        }
    }

    /// The SHA-256 of a suite binary, computed once per file version.
    pub fn suite_hash(&mut self, suite: &Path) -> Result<String> {
        let modified = fs::metadata(suite)
            .and_then(|m| m.modified())
            .with_context(|| format!("cannot read {}", suite.display()))?;
        if let Some((when, hash)) = self.suite_hashes.get(suite)
            && *when == modified
        {
            return Ok(hash.clone());
        }
        let bytes = fs::read(suite).with_context(|| format!("cannot read {}", suite.display()))?;
        let hash = format!("{:x}", Sha256::digest(&bytes));
        self.suite_hashes
            .insert(suite.to_owned(), (modified, hash.clone()));
        Ok(hash)
    }

    fn path(&self, key: &Key) -> PathBuf {
        let hex = key.hex();
        self.dir.join(&hex[..2]).join(format!("{hex}.json"))
    }

    /// The stored result for `key`, if there is one, it parses, and `valid`
    /// accepts it (a result may point at files that have since gone).
    pub fn lookup<T: DeserializeOwned>(
        &mut self,
        what: &str,
        key: &Key,
        valid: impl FnOnce(&T) -> bool,
    ) -> Option<T> {
        if !enabled() {
            return None;
        }
        let text = fs::read_to_string(self.path(key)).ok()?;
        let entry: Entry<T> = serde_json::from_str(&text).ok()?;
        if !valid(&entry.value) {
            return None;
        }
        eprintln!(
            "==> {what}: reused (same inputs; computed in {:.1} s)",
            entry.seconds
        );
        self.reused.push(Reused {
            what: what.to_owned(),
            seconds: entry.seconds,
        });
        Some(entry.value)
    }

    /// The stored result for `key` and the seconds it took, if there is
    /// one and it parses, without a line on the terminal or a note in the
    /// report: for small steps taken by the hundred, whose reuse says
    /// nothing worth a line.
    pub fn peek<T: DeserializeOwned>(&self, key: &Key) -> Option<(T, f64)> {
        if !enabled() {
            return None;
        }
        let text = fs::read_to_string(self.path(key)).ok()?;
        serde_json::from_str::<Entry<T>>(&text)
            .ok()
            .map(|entry| (entry.value, entry.seconds))
    }

    /// Stores `value` under `key`, through a temporary file so that an
    /// interrupted run never leaves half a result to be reused.
    pub fn store<T: Serialize>(&self, key: &Key, value: &T, seconds: f64) -> Result<()> {
        let path = self.path(key);
        let dir = path.parent().expect("cache paths have a folder");
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        // A staging file of this process's own: two sweeps side by side
        // (`sweep --jobs`) may store the same step at once.
        let staging = path.with_extension(format!("json.{}.new", std::process::id()));
        let text = serde_json::to_string(&Entry { seconds, value })?;
        fs::write(&staging, text).with_context(|| format!("cannot write {}", staging.display()))?;
        fs::rename(&staging, &path)
            .with_context(|| format!("cannot move {} into place", path.display()))
    }
}

/// The result of `compute` for `key`: the stored one when there is one,
/// otherwise computed (given the context back) and stored.
pub fn cached<T: Serialize + DeserializeOwned>(
    cx: &mut super::Context,
    what: &str,
    key: Key,
    compute: impl FnOnce(&mut super::Context) -> Result<T>,
) -> Result<T> {
    cached_if(cx, what, key, |_| true, compute)
}

/// As `cached`, with a check that a stored result is still usable.
pub fn cached_if<T: Serialize + DeserializeOwned>(
    cx: &mut super::Context,
    what: &str,
    key: Key,
    valid: impl FnOnce(&T) -> bool,
    compute: impl FnOnce(&mut super::Context) -> Result<T>,
) -> Result<T> {
    if let Some(value) = cx.cache.lookup(what, &key, valid) {
        return Ok(value);
    }
    let started = Instant::now();
    let value = compute(cx)?;
    cx.cache
        .store(&key, &value, started.elapsed().as_secs_f64())?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("xtask-cache-{name}-"))
            .tempdir()
            .unwrap()
    }

    #[test]
    fn every_part_of_a_key_changes_it() {
        let scratch_dir = scratch("key");
        let dir = scratch_dir.path();
        fs::write(dir.join("a.lua"), "return 1").unwrap();
        let base = || {
            Key::new("cases")
                .text("suite", "abc")
                .text("seed", 1)
                .file("case", &dir.join("a.lua"))
                .unwrap()
        };
        let same = base().hex();
        assert_eq!(same, base().hex());
        assert_ne!(
            same,
            Key::new("lso").text("suite", "abc").text("seed", 1).hex()
        );
        let others = [
            Key::new("cases").text("suite", "abd").text("seed", 1),
            Key::new("cases").text("suite", "abc").text("seed", 2),
            Key::new("cases").text("suite", "ab").text("cseed", 1),
        ];
        for other in others {
            assert_ne!(same, other.file("case", &dir.join("a.lua")).unwrap().hex());
        }
        fs::write(dir.join("a.lua"), "return 2").unwrap();
        assert_ne!(
            same,
            base().hex(),
            "a changed input file must change the key"
        );
    }

    #[test]
    fn a_peek_finds_the_stored_result_and_its_time() {
        let scratch_dir = scratch("peek");
        let cache = Cache::new(scratch_dir.path());
        let key = Key::new("tce").text("edit", "a");
        assert_eq!(cache.peek::<u32>(&key), None);
        cache.store(&key, &7u32, 2.5).unwrap();
        assert_eq!(cache.peek::<u32>(&key), Some((7, 2.5)));
        assert_eq!(cache.peek::<u32>(&Key::new("tce").text("edit", "b")), None);
    }

    #[test]
    fn a_stored_result_is_found_only_under_its_key() {
        let scratch_dir = scratch("store");
        let dir = scratch_dir.path();
        let mut cache = Cache::new(dir);
        let key = Key::new("lso").text("domain", "full");
        cache.store(&key, &vec![1u32, 2, 3], 12.5).unwrap();
        let found: Option<Vec<u32>> = cache.lookup("lso", &key, |_| true);
        assert_eq!(found, Some(vec![1, 2, 3]));
        assert_eq!(cache.reused.len(), 1);
        assert_eq!(cache.reused[0].seconds, 12.5);
        let other = Key::new("lso").text("domain", "window");
        assert_eq!(cache.lookup::<Vec<u32>>("lso", &other, |_| true), None);
        assert_eq!(
            cache.lookup::<Vec<u32>>("lso", &key, |v| v.len() == 4),
            None,
            "a result its check rejects is not reused"
        );
    }

    #[test]
    fn a_rebuilt_suite_gets_a_new_hash() {
        let scratch_dir = scratch("suite");
        let dir = scratch_dir.path();
        let suite = dir.join("suite");
        fs::write(&suite, b"one").unwrap();
        let mut cache = Cache::new(dir);
        let first = cache.suite_hash(&suite).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(&suite, b"two").unwrap();
        assert_ne!(first, cache.suite_hash(&suite).unwrap());
    }
}
