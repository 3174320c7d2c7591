//! The findings store: every difference any run found, one entry per
//! defect, kept across runs and machines, each matched to a known defect.
//!
//! A run hands over sightings (a program, its reproducer, the JIT and
//! `-joff` outcomes, the tree, the match); the store folds each into the
//! entry of its signature, or opens a new one. Nothing is ever taken out:
//! runs and merges only add trees, runs and counts, and a smaller
//! reproducer replaces a larger one.

pub mod matching;
mod render;
pub mod runs;
mod store;

use serde::{Deserialize, Serialize};

pub use render::{json, table};
pub use store::Store;

/// Version of an entry's JSON, raised when its shape changes.
pub const SCHEMA_VERSION: u32 = 1;

/// What a finding was matched to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Match {
    /// A catalogued defect: a fix series makes the program agree, or a case
    /// of it fails the same way on the tree.
    Known { issues: Vec<String>, by: String },
    /// Checked against every fix series that applies to the tree and every
    /// case, and none accounts for it.
    New { checked: Vec<String> },
    /// Not checked: the run could not patch the tree (a deployed binary).
    Unchecked { why: String },
}

impl Match {
    /// The issue names, empty unless known.
    pub fn issues(&self) -> &[String] {
        match self {
            Match::Known { issues, .. } => issues,
            _ => &[],
        }
    }

    pub fn label(&self) -> String {
        match self {
            Match::Known { issues, .. } => issues.join(", "),
            Match::New { .. } => "new".to_owned(),
            Match::Unchecked { .. } => "not checked".to_owned(),
        }
    }

    /// Of two matches of one entry (two machines, two runs), the one that
    /// says more: known over new over unchecked; two known ones joined.
    fn join(self, other: Match) -> Match {
        match (self, other) {
            (Match::Known { issues: mut a, by }, Match::Known { issues: b, .. }) => {
                a.extend(b);
                a.sort();
                a.dedup();
                Match::Known { issues: a, by }
            }
            (known @ Match::Known { .. }, _) | (_, known @ Match::Known { .. }) => known,
            (new @ Match::New { .. }, _) | (_, new @ Match::New { .. }) => new,
            (unchecked, _) => unchecked,
        }
    }
}

/// One finding as a run saw it, before the store folds it in.
#[derive(Debug, Clone)]
pub struct Sighting {
    /// `crash`, `timeout`, `error`, `mismatch` (as stress kinds are named).
    pub kind: String,
    /// The difference as the run described it.
    pub difference: String,
    /// The program that showed it.
    pub program: String,
    /// The smallest program known to show it, if one was made.
    pub shrunk: Option<String>,
    /// The JIT run and the `-joff` run, one line each.
    pub jit: String,
    pub interpreter: String,
    /// Which blocks the (shrunk) program is made of, for the signature of
    /// a new finding: two new defects of one kind stay apart when their
    /// reproducers exercise different parts of the backend.
    pub families: Vec<String>,
    pub tree: String,
    /// Which run saw it: `stress seed 0x1 count 300`, `report FILE`, ...
    pub run: String,
    /// How many of the run's programs showed it.
    pub count: u64,
    pub matched: Match,
}

/// One defect in the store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub schema_version: u32,
    pub id: String,
    pub signature: String,
    pub kind: String,
    /// The first difference seen.
    pub difference: String,
    #[serde(rename = "match")]
    pub matched: Match,
    pub jit: String,
    pub interpreter: String,
    /// Lines of the program kept (`program.lua` beside the entry).
    pub program_lines: usize,
    /// Lines of the reproducer kept (`shrunk.lua`), if any.
    pub shrunk_lines: Option<usize>,
    pub first_seen: jiff::Timestamp,
    pub last_seen: jiff::Timestamp,
    /// Programs that showed it, over every run.
    pub count: u64,
    pub trees: Vec<TreeSeen>,
    pub runs: Vec<RunSeen>,
    /// Why a person judged it not to be LuaJIT's defect (the generator's
    /// fault, say); set by `findings --dismiss`, kept by later sightings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dismissed: Option<String>,
    /// The upstream draft `report` wrote from the entry's reproducer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<std::path::PathBuf>,
}

impl Entry {
    /// New and not dismissed: what a campaign's reader looks at first.
    pub fn is_open_new(&self) -> bool {
        matches!(self.matched, Match::New { .. }) && self.dismissed.is_none()
    }

    /// The match as the table shows it.
    pub fn label(&self) -> String {
        match &self.dismissed {
            Some(_) => format!("{} (dismissed)", self.matched.label()),
            None => self.matched.label(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeSeen {
    pub tree: String,
    pub first_seen: jiff::Timestamp,
    pub last_seen: jiff::Timestamp,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSeen {
    pub run: String,
    pub tree: String,
    pub at: jiff::Timestamp,
    pub count: u64,
}

/// What makes two sightings one entry. A known defect is its issues and
/// the kind of difference; anything else is the kind, the difference with
/// numbers and addresses taken out, and the program's block families.
pub fn signature(sighting: &Sighting) -> String {
    match &sighting.matched {
        Match::Known { issues, .. } => format!("{}: {}", issues.join(", "), sighting.kind),
        _ => {
            let mut text = format!(
                "{}: {}",
                sighting.kind,
                without_numbers(&sighting.difference)
            );
            if !sighting.families.is_empty() {
                text.push_str(&format!(" [{}]", sighting.families.join(", ")));
            }
            text
        }
    }
}

/// An entry's folder name: the start of its signature's hash.
pub fn entry_id(signature: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(signature.as_bytes()))[..12].to_owned()
}

/// `text` with every number (decimal, hex, with a sign or a fraction) as `N`.
pub fn without_numbers(text: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for c in text.chars() {
        let digit = c.is_ascii_digit();
        let continues = in_number && (c.is_ascii_hexdigit() || matches!(c, 'x' | '.' | 'L' | 'U'));
        if digit || continues {
            if !in_number {
                if out.ends_with('-') {
                    out.pop();
                }
                out.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn sighting(matched: Match, difference: &str) -> Sighting {
        Sighting {
            kind: "mismatch".to_owned(),
            difference: difference.to_owned(),
            program: "return 1\n".to_owned(),
            shrunk: None,
            jit: "returns 1".to_owned(),
            interpreter: "returns 2".to_owned(),
            families: vec!["expr".to_owned()],
            tree: "luajit-src 210.7.4+c6ffc14".to_owned(),
            run: "stress seed 0x1 count 300".to_owned(),
            count: 1,
            matched,
        }
    }

    #[test]
    fn numbers_and_addresses_leave_the_signature() {
        assert_eq!(
            without_numbers("returns -1LL, without it 0x7f12ab 3.5ULL"),
            "returns N, without it N N"
        );
        let known = Match::Known {
            issues: vec!["LuaJIT#1480".to_owned()],
            by: "patches/extra/lj1480".to_owned(),
        };
        let a = sighting(known.clone(), "with the JIT it returns 12, without it 7");
        let b = sighting(known, "with the JIT it returns 99, without it 3");
        assert_eq!(signature(&a), signature(&b));
        assert_eq!(signature(&a), "LuaJIT#1480: mismatch");
        let new = Match::New {
            checked: Vec::new(),
        };
        let mut c = sighting(new.clone(), "with the JIT it returns 12, without it 7");
        assert_eq!(
            signature(&c),
            "mismatch: with the JIT it returns N, without it N [expr]"
        );
        c.families = vec!["carried".to_owned()];
        assert_ne!(signature(&c), signature(&sighting(new, "x 1")));
    }

    #[test]
    fn a_join_keeps_what_says_more() {
        let known = |i: &str| Match::Known {
            issues: vec![i.to_owned()],
            by: String::new(),
        };
        let new = Match::New {
            checked: Vec::new(),
        };
        let unchecked = Match::Unchecked { why: String::new() };
        assert_eq!(new.clone().join(known("A")), known("A"));
        assert_eq!(unchecked.clone().join(new.clone()), new);
        assert_eq!(
            known("B").join(known("A")).issues(),
            ["A".to_owned(), "B".to_owned()]
        );
    }
}
