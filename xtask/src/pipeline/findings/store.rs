//! The store on disk: `target/findings/ID/` holds `entry.json`, the first
//! program that showed the defect (`program.lua`) and the smallest
//! reproducer seen (`shrunk.lua`). Writes go through a temporary file and
//! a rename, so an interrupted run leaves every entry whole.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use jiff::Timestamp;

use super::{Entry, RunSeen, SCHEMA_VERSION, Sighting, TreeSeen, entry_id, signature};

pub struct Store {
    pub dir: PathBuf,
}

/// Names a store other than `target/findings` for every command: a
/// campaign keeps its own, apart from what other runs add.
pub const STORE_VARIABLE: &str = "LUAJIT_ARM64_VERIFY_FINDINGS";

impl Store {
    /// The store under `target_dir` (`target/findings`), created if absent.
    pub fn open(target_dir: &Path) -> Result<Store> {
        Store::at(&target_dir.join("findings"))
    }

    /// The store the commands use: the folder `LUAJIT_ARM64_VERIFY_FINDINGS`
    /// names, or `target/findings`.
    pub fn project(target_dir: &Path) -> Result<Store> {
        match std::env::var_os(STORE_VARIABLE) {
            Some(dir) if !dir.is_empty() => Store::at(Path::new(&dir)),
            _ => Store::open(target_dir),
        }
    }

    /// The store in `dir`, created if absent.
    pub fn at(dir: &Path) -> Result<Store> {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the findings store {}", dir.display()))?;
        Ok(Store {
            dir: dir.to_owned(),
        })
    }

    /// Folds a sighting into its entry (opened if new); returns the entry.
    pub fn record(&self, sighting: &Sighting) -> Result<Entry> {
        let signature = signature(sighting);
        let id = entry_id(&signature);
        let home = self.dir.join(&id);
        // Held until the entry is written: two runs side by side (`sweep
        // --jobs`) that see one defect must not each fold into the old entry.
        let _held = self.lock()?;
        let old = read_entry(&home)?;
        let entry = fold(old, sighting, &signature, &id, Timestamp::now());
        fs::create_dir_all(&home).with_context(|| format!("cannot create {}", home.display()))?;
        if !home.join("program.lua").is_file() {
            write_atomic(&home.join("program.lua"), &sighting.program)?;
        }
        if let Some(shrunk) = &sighting.shrunk
            && entry.shrunk_lines == Some(shrunk.lines().count())
        {
            write_atomic(&home.join("shrunk.lua"), shrunk)?;
        }
        write_entry(&home, &entry)?;
        Ok(entry)
    }

    /// The store's lock, held while the returned file is open.
    fn lock(&self) -> Result<fs::File> {
        let path = self.dir.join(".lock");
        let file =
            fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(file)
    }

    /// Every entry: new ones first, then by when they were last seen.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        entries_in(&self.dir)
    }

    /// Folds every entry of another store (another machine's or shard's
    /// `target/findings`) into this one; returns how many entries it had.
    pub fn merge_from(&self, other: &Path) -> Result<usize> {
        if !other.is_dir() {
            bail!(
                "{}: no such folder; pass the target/findings folder of another machine's run",
                other.display()
            );
        }
        if other.canonicalize()? == self.dir.canonicalize()? {
            bail!("{}: this is the store itself", other.display());
        }
        let theirs = entries_in(other)?;
        for their in &theirs {
            let home = self.dir.join(&their.id);
            let entry = match read_entry(&home)? {
                Some(ours) => merge(ours, their.clone()),
                None => their.clone(),
            };
            fs::create_dir_all(&home)?;
            let their_home = other.join(&their.id);
            if !home.join("program.lua").is_file() {
                copy_if_present(&their_home.join("program.lua"), &home.join("program.lua"))?;
            }
            if entry.shrunk_lines == their.shrunk_lines {
                copy_if_present(&their_home.join("shrunk.lua"), &home.join("shrunk.lua"))?;
            }
            write_entry(&home, &entry)?;
        }
        Ok(theirs.len())
    }

    /// Marks an entry as judged not to be LuaJIT's defect, and why.
    pub fn dismiss(&self, id: &str, why: &str) -> Result<Entry> {
        let home = self.dir.join(id);
        let Some(mut entry) = read_entry(&home)? else {
            bail!(
                "{id}: no such entry in {}; `cargo xtask findings` lists their ids",
                self.dir.display()
            );
        };
        if why.trim().is_empty() {
            bail!("--why: say why {id} is not LuaJIT's defect");
        }
        entry.dismissed = Some(why.trim().to_owned());
        write_entry(&home, &entry)?;
        Ok(entry)
    }

    /// Notes on the entry in `entry_dir` the draft `report` wrote from it.
    pub fn note_draft(entry_dir: &Path, draft: &Path) -> Result<()> {
        if let Some(mut entry) = read_entry(entry_dir)? {
            entry.draft = Some(draft.to_owned());
            write_entry(entry_dir, &entry)?;
        }
        Ok(())
    }

    /// The folder of one entry.
    #[cfg(test)]
    pub fn home(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }
}

fn entries_in(dir: &Path) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let listing = fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for item in listing {
        let home = item?.path();
        if let Some(entry) = read_entry(&home)? {
            entries.push(entry);
        }
    }
    entries.sort_by(|a, b| {
        let new = |e: &Entry| !e.is_open_new();
        (new(a), std::cmp::Reverse(a.last_seen), &a.id).cmp(&(
            new(b),
            std::cmp::Reverse(b.last_seen),
            &b.id,
        ))
    });
    Ok(entries)
}

fn read_entry(home: &Path) -> Result<Option<Entry>> {
    let file = home.join("entry.json");
    if !file.is_file() {
        return Ok(None);
    }
    let text =
        fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let entry: Entry = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a findings entry (schema {SCHEMA_VERSION}); move it away or fix it",
            file.display()
        )
    })?;
    Ok(Some(entry))
}

fn write_entry(home: &Path, entry: &Entry) -> Result<()> {
    write_atomic(
        &home.join("entry.json"),
        &serde_json::to_string_pretty(entry)?,
    )
}

fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let staging = path.with_extension(format!("{}.staging", std::process::id()));
    fs::write(&staging, text).with_context(|| format!("cannot write {}", staging.display()))?;
    fs::rename(&staging, path).with_context(|| format!("cannot write {}", path.display()))
}

fn copy_if_present(from: &Path, to: &Path) -> Result<()> {
    if from.is_file() {
        let text = fs::read_to_string(from)?;
        write_atomic(to, &text)?;
    }
    Ok(())
}

/// The entry after one more sighting.
fn fold(
    old: Option<Entry>,
    sighting: &Sighting,
    signature: &str,
    id: &str,
    now: Timestamp,
) -> Entry {
    let shrunk_lines = sighting.shrunk.as_ref().map(|s| s.lines().count());
    let seen = Entry {
        schema_version: SCHEMA_VERSION,
        id: id.to_owned(),
        signature: signature.to_owned(),
        kind: sighting.kind.clone(),
        difference: sighting.difference.clone(),
        matched: sighting.matched.clone(),
        jit: sighting.jit.clone(),
        interpreter: sighting.interpreter.clone(),
        program_lines: sighting.program.lines().count(),
        shrunk_lines,
        first_seen: now,
        last_seen: now,
        count: sighting.count,
        dismissed: None,
        draft: None,
        trees: vec![TreeSeen {
            tree: sighting.tree.clone(),
            first_seen: now,
            last_seen: now,
            count: sighting.count,
        }],
        runs: vec![RunSeen {
            run: sighting.run.clone(),
            tree: sighting.tree.clone(),
            at: now,
            count: sighting.count,
        }],
    };
    match old {
        Some(old) => merge(old, seen),
        None => seen,
    }
}

/// One entry seen by two runs or stores: the earlier's first words, the
/// union of trees and runs, the smaller reproducer. A run is its label and
/// tree: the same run folded in again (a cached run recorded twice, a store
/// merged twice) moves `last_seen` but counts once.
fn merge(ours: Entry, theirs: Entry) -> Entry {
    let mut trees = ours.trees;
    for their in &theirs.trees {
        match trees.iter_mut().find(|t| t.tree == their.tree) {
            Some(tree) => {
                tree.first_seen = tree.first_seen.min(their.first_seen);
                tree.last_seen = tree.last_seen.max(their.last_seen);
            }
            None => trees.push(TreeSeen {
                count: 0,
                ..their.clone()
            }),
        }
    }
    let mut runs = ours.runs;
    let mut count = ours.count;
    for their in theirs.runs {
        match runs
            .iter_mut()
            .find(|r| r.run == their.run && r.tree == their.tree)
        {
            Some(run) => run.at = run.at.max(their.at),
            None => {
                count += their.count;
                if let Some(tree) = trees.iter_mut().find(|t| t.tree == their.tree) {
                    tree.count += their.count;
                }
                runs.push(their);
            }
        }
    }
    runs.sort_by_key(|r| r.at);
    let shrunk_lines = match (ours.shrunk_lines, theirs.shrunk_lines) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Entry {
        dismissed: ours.dismissed.clone().or(theirs.dismissed),
        draft: ours.draft.clone().or(theirs.draft),
        matched: ours.matched.join(theirs.matched),
        first_seen: ours.first_seen.min(theirs.first_seen),
        last_seen: ours.last_seen.max(theirs.last_seen),
        shrunk_lines,
        count,
        trees,
        runs,
        ..ours
    }
}

#[cfg(test)]
mod tests {
    use super::super::Match;
    use super::super::tests::sighting;
    use super::*;

    fn known() -> Match {
        Match::Known {
            issues: vec!["arm64-verify#fused-kint64-shift".to_owned()],
            by: "patches/extra/fused-kint64-shifts".to_owned(),
        }
    }

    #[test]
    fn runs_only_add_to_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut first = sighting(known(), "with the JIT it returns 255, without it 1");
        first.count = 3;
        first.shrunk = Some("a\nb\nc\n".to_owned());
        store.record(&first).unwrap();
        let mut second = sighting(known(), "with the JIT it returns 0, without it 7");
        second.run = "stress seed 0x2 count 300".to_owned();
        second.tree = "luajit-src 210.6.5+7152e15".to_owned();
        second.shrunk = Some("a\n".to_owned());
        store.record(&second).unwrap();
        store
            .record(&sighting(
                Match::New {
                    checked: Vec::new(),
                },
                "error: x",
            ))
            .unwrap();

        let entries = store.entries().unwrap();
        assert_eq!(entries.len(), 2);
        // New entries come first.
        assert_eq!(entries[0].matched.label(), "new");
        let entry = &entries[1];
        assert_eq!(entry.count, 4);
        assert_eq!(entry.runs.len(), 2);
        assert_eq!(entry.trees.len(), 2);
        assert_eq!(entry.shrunk_lines, Some(1));
        assert_eq!(
            fs::read_to_string(store.home(&entry.id).join("shrunk.lua")).unwrap(),
            "a\n"
        );
        // The first difference stays the entry's words.
        assert!(entry.difference.contains("255"));

        // A dismissed entry sorts with the rest and stays dismissed.
        let new_id = entries[0].id.clone();
        store.dismiss(&new_id, "the generator's fault").unwrap();
        store
            .record(&sighting(
                Match::New {
                    checked: Vec::new(),
                },
                "error: x",
            ))
            .unwrap();
        let entries = store.entries().unwrap();
        let dismissed = entries.iter().find(|e| e.id == new_id).unwrap();
        assert_eq!(
            dismissed.dismissed.as_deref(),
            Some("the generator's fault")
        );
        assert!(!dismissed.is_open_new());
        assert!(store.dismiss("nosuchid", "x").is_err());
    }

    #[test]
    fn a_merge_adds_other_stores_once() {
        let ours = tempfile::tempdir().unwrap();
        let theirs = tempfile::tempdir().unwrap();
        let store = Store::open(ours.path()).unwrap();
        let other = Store::open(theirs.path()).unwrap();
        store.record(&sighting(known(), "x 1")).unwrap();
        let mut shard = sighting(known(), "x 2");
        shard.run = "stress seed 0x9 shard 2/4".to_owned();
        other.record(&shard).unwrap();
        other
            .record(&sighting(
                Match::New {
                    checked: Vec::new(),
                },
                "crash 11",
            ))
            .unwrap();
        assert_eq!(store.merge_from(&other.dir).unwrap(), 2);
        assert_eq!(store.merge_from(&other.dir).unwrap(), 2);
        // The same run recorded again (a cached run) counts once too.
        store.record(&sighting(known(), "x 1")).unwrap();
        let entries = store.entries().unwrap();
        assert_eq!(entries.len(), 2);
        let known_entry = entries
            .iter()
            .find(|e| e.count > 0 && !e.matched.issues().is_empty())
            .unwrap();
        assert_eq!(known_entry.count, 2, "merged twice, counted once");
        assert!(store.home(&entries[0].id).join("program.lua").is_file());
        assert!(store.merge_from(Path::new("/no/such/store")).is_err());
    }
}
