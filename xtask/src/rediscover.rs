//! `cargo xtask rediscover --luajit-git DIR`: does the default stress run
//! find the catalogued defects again on the trees that had them? Turns the
//! flags into a run of `pipeline::rediscovery` and prints or writes it.

use anyhow::{Context as _, Result, bail};

use crate::flags;
use crate::pipeline::bisect::git::Upstream;
use crate::pipeline::rediscovery::{self, render};
use crate::pipeline::verdict::Conclusion;
use crate::pipeline::{Context, catalogue, write_marked_block};

pub fn run(args: flags::Rediscover) -> Result<Conclusion> {
    let upstream = Upstream::open(&args.luajit_git)?;
    let mut cx = Context::new()?;
    let cases = contract::case::Case::load_dir(&cx.cases_dir()).map_err(anyhow::Error::msg)?;
    let mut subjects = rediscovery::subjects(&catalogue::defects(&cx.root, &cases)?);
    if !args.only.is_empty() {
        let unknown: Vec<&String> = args
            .only
            .iter()
            .filter(|issue| !subjects.iter().any(|s| &s.issue == *issue))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "--only {}: no catalogued defect with an upstream fix has that name; they are: {}",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                subjects
                    .iter()
                    .map(|s| s.issue.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        subjects.retain(|s| args.only.contains(&s.issue));
    }
    let mut run = rediscovery::run(&mut cx, &upstream, &subjects, args.seed, args.count)?;
    let data = cx.root.join(rediscovery::DATA);
    if args.write_docs && !args.only.is_empty() && data.is_file() {
        let earlier: rediscovery::Rediscovery = serde_json::from_str(
            &std::fs::read_to_string(&data)
                .with_context(|| format!("cannot read {}", data.display()))?,
        )
        .with_context(|| format!("{} is not a rediscovery run", data.display()))?;
        if (earlier.seed, earlier.count) != (run.seed, run.count) {
            bail!(
                "{} holds a run of seed {} with {} programs; --only with --write-docs replaces its rows, so give the same --seed and --count",
                data.display(),
                earlier.seed,
                earlier.count
            );
        }
        run = rediscovery::merge(earlier, run);
    }
    let needs = rediscovery::needs(&cases);
    if args.write_docs {
        std::fs::create_dir_all(data.parent().expect("a folder"))?;
        std::fs::write(&data, serde_json::to_string_pretty(&run)? + "\n")
            .with_context(|| format!("cannot write {}", data.display()))?;
        write_marked_block(
            &cx.root.join(rediscovery::DOC),
            rediscovery::DOC_BLOCK,
            "the rediscovery table",
            &render::table(&run, &needs),
        )?;
        eprintln!("==> wrote {} and {}", rediscovery::DOC, rediscovery::DATA);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    } else {
        print!("{}", render::table(&run, &needs));
    }
    let (unexplained, _) = render::unexplained_and_stale(&run, &needs);
    if !unexplained.is_empty() {
        eprintln!(
            "note: these missed defects have no case saying `stress-finds: no, REASON` (what kind of program it would take): {}",
            unexplained.join(", ")
        );
    }
    Ok(Conclusion::Sound)
}
