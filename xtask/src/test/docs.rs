//! `docs/links`: every relative link in README.md and docs/**/*.md resolves
//! as GitHub resolves it: the file it names exists inside the repository,
//! and its `#anchor`, if any, is the slug of a heading of that file.

use std::collections::HashMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, Result};
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

use super::{Trial, expect};

pub fn checks() -> Vec<Trial> {
    vec![Trial::new(
        "docs/links",
        "every relative link in README.md and docs/ names a file that exists and, with #anchor, one of its headings",
        |fx| {
            let broken = broken_links(&fx.cx.root)?;
            Ok(expect(broken.is_empty(), || {
                broken
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            }))
        },
    )]
}

/// A link that does not resolve: where it is, what it points at and why it
/// does not get there.
#[derive(Debug, PartialEq)]
pub struct BrokenLink {
    /// The Markdown file holding the link, relative to the repository.
    pub file: PathBuf,
    pub line: usize,
    pub target: String,
    pub why: String,
}

impl fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.target,
            self.why
        )
    }
}

/// The broken relative links of README.md and of every Markdown file under
/// docs/, in file order.
pub fn broken_links(root: &Path) -> Result<Vec<BrokenLink>> {
    let mut documents = vec![root.join("README.md")];
    markdown_files(&root.join("docs"), &mut documents)?;
    let mut headings = Headings::default();
    let mut broken = Vec::new();
    for document in &documents {
        let text = std::fs::read_to_string(document)
            .with_context(|| format!("cannot read {}", document.display()))?;
        for link in links(&text) {
            if let Some(why) = resolve(root, document, &link.target, &mut headings)? {
                broken.push(BrokenLink {
                    file: document.strip_prefix(root).unwrap_or(document).to_owned(),
                    line: link.line,
                    target: link.target,
                    why,
                });
            }
        }
    }
    Ok(broken)
}

/// Every `*.md` under `dir`, sorted within each folder; none when `dir`
/// does not exist.
fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", dir.display())),
    };
    let mut paths = entries
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    paths.sort();
    for path in paths {
        if path.is_dir() {
            markdown_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
    Ok(())
}

/// A link's destination as written, and the line it starts on.
struct Link {
    target: String,
    line: usize,
}

fn parser(markdown: &str) -> Parser<'_> {
    Parser::new_ext(markdown, Options::ENABLE_TABLES)
}

/// The destinations of the links and images of `markdown` that lead to
/// another place in the repository: not a URL with a scheme, not an email
/// autolink. Code spans and blocks hold none, as GitHub renders them.
fn links(markdown: &str) -> Vec<Link> {
    let mut found = Vec::new();
    for (event, range) in parser(markdown).into_offset_iter() {
        let (Event::Start(Tag::Link {
            link_type,
            dest_url,
            ..
        })
        | Event::Start(Tag::Image {
            link_type,
            dest_url,
            ..
        })) = event
        else {
            continue;
        };
        if link_type == LinkType::Email || has_scheme(&dest_url) || dest_url.starts_with("//") {
            continue;
        }
        found.push(Link {
            target: dest_url.into_string(),
            line: markdown[..range.start].matches('\n').count() + 1,
        });
    }
    found
}

/// Whether `target` starts with a URL scheme (`https:`, `mailto:`).
fn has_scheme(target: &str) -> bool {
    let Some((scheme, _)) = target.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The anchors of the Markdown files read so far, by path.
#[derive(Default)]
struct Headings(HashMap<PathBuf, Vec<String>>);

impl Headings {
    fn of(&mut self, file: &Path) -> Result<&[String]> {
        if !self.0.contains_key(file) {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            self.0.insert(file.to_owned(), anchors(&text));
        }
        Ok(&self.0[file])
    }
}

/// Why `target`, written in `document`, does not resolve; `None` when it
/// does. A path is relative to the document's folder, or to the repository
/// with a leading `/`; an empty path is the document itself.
fn resolve(
    root: &Path,
    document: &Path,
    target: &str,
    headings: &mut Headings,
) -> Result<Option<String>> {
    let (path, fragment) = match target.split_once('#') {
        Some((path, fragment)) => (path, Some(percent_decoded(fragment))),
        None => (target, None),
    };
    let path = percent_decoded(path.split('?').next().unwrap_or(path));
    let file = match path.as_str() {
        "" => document.to_owned(),
        absolute if absolute.starts_with('/') => root.join(absolute.trim_start_matches('/')),
        relative => document
            .parent()
            .expect("a document is in a folder")
            .join(relative),
    };
    let file = normalised(&file);
    if !file.starts_with(root) {
        return Ok(Some("outside the repository".to_owned()));
    }
    if !file.exists() {
        return Ok(Some(format!(
            "no such file: {}",
            file.strip_prefix(root).unwrap_or(&file).display()
        )));
    }
    let Some(fragment) = fragment.filter(|f| !f.is_empty()) else {
        return Ok(None);
    };
    // GitHub shows a folder's README.md, with its headings.
    let markdown = match file.is_dir() {
        true => file.join("README.md"),
        false => file.clone(),
    };
    if markdown.extension().is_none_or(|e| e != "md") || !markdown.is_file() {
        // Anchors of other files (`#L10` of source) are GitHub's own.
        return Ok(None);
    }
    if headings.of(&markdown)?.contains(&fragment) {
        return Ok(None);
    }
    Ok(Some(format!(
        "no heading of {} has the anchor #{fragment}",
        markdown.strip_prefix(root).unwrap_or(&markdown).display()
    )))
}

/// `path` with `.` and `..` taken out, without touching the file system.
fn normalised(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `text` with its `%XX` escapes decoded (a link may escape a space or a
/// non-ASCII letter); an escape that is not one stays as written.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| text.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                at += 3;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The anchor GitHub gives each heading of `markdown`, in order: its slug,
/// and for the second heading with the same slug `slug-1`, then `slug-2`.
fn anchors(markdown: &str) -> Vec<String> {
    let mut anchors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut heading: Option<String> = None;
    for event in parser(markdown) {
        match (event, heading.as_mut()) {
            (Event::Start(Tag::Heading { .. }), _) => heading = Some(String::new()),
            (Event::Text(text) | Event::Code(text), Some(words)) => words.push_str(&text),
            (Event::End(TagEnd::Heading(_)), Some(words)) => {
                let slug = slug(words);
                let count = seen.entry(slug.clone()).or_insert(0);
                anchors.push(match *count {
                    0 => slug,
                    n => format!("{slug}-{n}"),
                });
                *count += 1;
                heading = None;
            }
            _ => {}
        }
    }
    anchors
}

/// GitHub's slug of a heading's text: lowercase, every character but
/// letters, digits, `-`, `_` and spaces dropped, spaces turned into `-`.
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_github() {
        assert_eq!(slug("What `verify` prints"), "what-verify-prints");
        assert_eq!(
            slug("Reach: coverage of the backend's source"),
            "reach-coverage-of-the-backends-source"
        );
        assert_eq!(slug("One series, every base"), "one-series-every-base");
        assert_eq!(slug("report.json"), "reportjson");
        assert_eq!(slug("snake_case and -dash"), "snake_case-and--dash");
    }

    #[test]
    fn a_repeated_heading_gets_a_number() {
        let text = "# Notes\n\n## Notes\n\n## *Notes*\n";
        assert_eq!(anchors(text), ["notes", "notes-1", "notes-2"]);
    }

    #[test]
    fn links_in_code_urls_and_emails_are_not_followed() {
        let text = "[a](a.md) `[b](b.md)` <https://x.org> [c](mailto:c@x.org) <d@x.org>\n\n\
                    ```md\n[e](e.md)\n```\n\n![f](img/f.png)\n";
        let targets: Vec<String> = links(text).into_iter().map(|l| l.target).collect();
        assert_eq!(targets, ["a.md", "img/f.png"]);
    }

    /// A repository whose README links to a missing file, to a heading a
    /// document lacks and out of the repository, beside links that hold.
    #[test]
    fn broken_links_are_named_and_good_ones_are_not() {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path();
        std::fs::create_dir_all(root.join("docs/sub")).unwrap();
        std::fs::write(
            root.join("README.md"),
            "# Top\n\n## Set up\n\n\
             [ok](docs/a.md) [ok](docs/a.md#what-a-says) [ok](#set-up)\n\
             [ok](docs/sub/) [ok](/docs/a.md#second-1)\n\
             [missing](docs/missing.md)\n\
             [no anchor](docs/a.md#nothing-here)\n\
             [outside](../elsewhere.md)\n",
        )
        .unwrap();
        std::fs::write(
            root.join("docs/a.md"),
            "# What `a` says\n\n## Second\n\n## Second\n\n[back](../README.md#top)\n[self](#gone)\n",
        )
        .unwrap();
        std::fs::write(root.join("docs/sub/README.md"), "# Sub\n").unwrap();

        let broken = broken_links(root).unwrap();
        let seen: Vec<(String, usize, &str)> = broken
            .iter()
            .map(|b| (b.file.display().to_string(), b.line, b.target.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("README.md".to_owned(), 7, "docs/missing.md"),
                ("README.md".to_owned(), 8, "docs/a.md#nothing-here"),
                ("README.md".to_owned(), 9, "../elsewhere.md"),
                ("docs/a.md".to_owned(), 8, "#gone"),
            ]
        );
        assert_eq!(broken[0].why, "no such file: docs/missing.md");
        assert_eq!(
            broken[1].why,
            "no heading of docs/a.md has the anchor #nothing-here"
        );
    }
}
