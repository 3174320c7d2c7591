//! `cargo xtask findings`: the findings store, as a table or JSON, after
//! folding in the stores of other machines.

use anyhow::Result;

use crate::flags;
use crate::pipeline::findings::{self, Store};
use crate::pipeline::project_root;
use crate::pipeline::verdict::Conclusion;

pub fn run(args: flags::Findings) -> Result<Conclusion> {
    let store = Store::project(&project_root().join("target"))?;
    for other in &args.merge {
        let count = store.merge_from(other)?;
        eprintln!("==> merged {count} entries from {}", other.display());
    }
    if let (Some(id), Some(why)) = (&args.dismiss, &args.why) {
        store.dismiss(id, why)?;
        eprintln!("==> {id} dismissed: {why}");
    }
    let entries = store.entries()?;
    match args.json {
        true => println!("{}", findings::json(&store.dir, &entries)?),
        false => print!("{}", findings::table(&store.dir, &entries)),
    }
    Ok(Conclusion::Sound)
}
