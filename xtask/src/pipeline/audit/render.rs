//! The audit as text for the terminal: per `luajit-src` of the lockfile,
//! the answer and, for each known defect it carries, the title, the fix
//! and the links; then where the answers come from.

use std::fmt::Write as _;

use super::{Audit, Entry};
use crate::pipeline::catalogue::Fix;
use crate::pipeline::verdict::Answer;

pub fn text(audit: &Audit) -> String {
    let mut out = String::new();
    let lockfile = audit.lockfile.display();
    if audit.entries.is_empty() {
        outln!(
            out,
            "{lockfile} has no luajit-src: no vendored LuaJIT to audit."
        );
    }
    for entry in &audit.entries {
        entry_text(&mut out, &lockfile.to_string(), entry);
    }
    let trees = if audit.all_published {
        "every published version".to_owned()
    } else {
        "some trees, NOT every published version".to_owned()
    };
    outln!(
        out,
        "\nAnswered from {}: swept {} at {}, {trees}.",
        audit.data.display(),
        audit
            .swept_on
            .map_or("on a day not recorded".to_owned(), |d| d.to_string()),
        audit.source.as_deref().unwrap_or("a commit not recorded")
    );
    out
}

fn entry_text(out: &mut String, lockfile: &str, entry: &Entry) {
    let pinned = format!("{lockfile} pins luajit-src {}", entry.version);
    match entry.answer {
        Answer::NotAffected => {
            outln!(out, "{pinned}: carries none of the known defects.");
        }
        Answer::Affected => {
            outln!(
                out,
                "{pinned}: AFFECTED by {} known defect{}:",
                entry.defects.len(),
                if entry.defects.len() == 1 { "" } else { "s" }
            );
            for carried in &entry.defects {
                let defect = &carried.defect;
                outln!(out, "  {}: {}", defect.issue, defect.title);
                for fix in &defect.fixes {
                    match fix {
                        Fix::Upstream(hash) => {
                            outln!(out, "      fixed upstream by: {hash} ({})", fix.url());
                        }
                        Fix::Series(dir) => outln!(
                            out,
                            "      fixed by the project's series: {} (no upstream fix yet)",
                            dir.display()
                        ),
                    }
                }
                if let Some(link) = defect.issue_url() {
                    outln!(out, "      reported: {link}");
                }
                outln!(
                    out,
                    "      first swept version without it: {}",
                    carried
                        .first_swept_without
                        .as_deref()
                        .unwrap_or("none newer")
                );
            }
            if !entry.could_not_tell.is_empty() {
                outln!(
                    out,
                    "  and could not tell of: {}",
                    entry.could_not_tell.join(", ")
                );
            }
        }
        Answer::CouldNotTell => {
            outln!(
                out,
                "{pinned}: NO ANSWER: {}",
                entry.reason.as_deref().unwrap_or("could not tell")
            );
            if !entry.could_not_tell.is_empty() {
                outln!(
                    out,
                    "  could not tell of: {}",
                    entry.could_not_tell.join(", ")
                );
            }
            if let Some(command) = &entry.sweep_command {
                outln!(out, "  to judge it: {command}");
            }
        }
    }
}
