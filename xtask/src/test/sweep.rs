//! The sweep's check for `cargo xtask test`: three published trees and a
//! folder that is not LuaJIT, swept whole and as two merged shards.

use super::{Trial, expect};

pub fn checks() -> Vec<Trial> {
    vec![Trial::new(
        "sweep/published-trees",
        "cargo xtask sweep: luajit-src 210.3.0, 210.4.8 and 210.5.5 each affected by exactly the issues of the patches that apply to it, their patched trees verifying; a folder that is not LuaJIT a row with the reason; two merged shards equal to the whole sweep",
        |fx| {
            let results = crate::sweep::sweep_checks(&mut fx.cx)?;
            let failed: Vec<String> = results
                .iter()
                .filter(|(held, _, _)| !held)
                .map(|(_, line, detail)| format!("{line}\n{detail}"))
                .collect();
            Ok(expect(failed.is_empty(), || failed.join("\n")))
        },
    )]
}
