//! How far a stress run reaches into the backend: which IR opcodes the ARM64
//! assembler turns into loads and stores through `emit_lso`, read off the
//! tree's own source, against the opcodes the run's traces hold.
//!
//! The needed opcodes are those whose case in `asm_ir` (lj_asm.c) calls an
//! `asm_*` function that reaches `emit_lso` through other `asm_*`/`emit_*`
//! functions of lj_asm.c, lj_asm_arm64.h and lj_emit_arm64.h. The register
//! allocator's spills and constant loads are left out of the walk: every
//! opcode can meet those, and they are not the opcode's own accesses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

/// Opcodes that reach `emit_lso` but that no stress program can make the
/// JIT emit, and why.
pub const UNREACHABLE: [(&str, &str); 1] = [(
    "PROF",
    "only emitted while the sampling profiler (jit.profile) runs, whose timer makes runs differ",
)];

/// Functions the walk does not enter: the dispatcher and trace assembly as a
/// whole (they reach everything), and constant materialisation.
fn not_walked(name: &str) -> bool {
    name.starts_with("emit_loadk")
        || matches!(
            name,
            "asm_ir"
                | "asm_trace"
                | "asm_head_root"
                | "asm_head_side"
                | "asm_tail_link"
                | "asm_snap_prep"
                | "asm_setup_regsp"
                | "asm_gencall"
        )
}

/// One opcode of the reach table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reach {
    pub opcode: String,
    /// Traces of the run that hold it.
    pub traces: u64,
}

/// The opcodes of `tree_src` (a LuaJIT `src/` folder) whose assembly emits a
/// load or store through `emit_lso`, sorted by name.
pub fn lso_opcodes(tree_src: &Path) -> Result<Vec<String>> {
    let mut source = String::new();
    for file in ["lj_asm.c", "lj_asm_arm64.h", "lj_emit_arm64.h"] {
        let path = tree_src.join(file);
        source.push_str(
            &std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        );
        source.push('\n');
    }
    let bodies = function_bodies(&source);
    let calls: BTreeMap<&str, BTreeSet<&str>> = bodies
        .iter()
        .map(|(name, body)| (name.as_str(), called(body)))
        .collect();
    let mut reaches: BTreeSet<&str> = BTreeSet::from(["emit_lso"]);
    loop {
        let before = reaches.len();
        for (name, callees) in &calls {
            if !not_walked(name) && callees.iter().any(|c| reaches.contains(c)) {
                reaches.insert(name);
            }
        }
        if reaches.len() == before {
            break;
        }
    }
    let Some(dispatch) = bodies.get("asm_ir") else {
        bail!(
            "{} has no asm_ir dispatcher in lj_asm.c; is this LuaJIT 2.1?",
            tree_src.display()
        );
    };
    let mut opcodes = BTreeSet::new();
    // Each `break;` ends one group of `case IR_X:` labels and their call.
    for group in dispatch.split("break;") {
        if called(group).iter().any(|c| reaches.contains(c)) {
            opcodes.extend(case_labels(group));
        }
    }
    Ok(opcodes.into_iter().collect())
}

/// `static ... asm_x(...) { body }` and `emit_x` likewise: name → body
/// (a name defined twice under different `#if` branches gets both bodies).
fn function_bodies(source: &str) -> BTreeMap<String, String> {
    let mut bodies: BTreeMap<String, String> = BTreeMap::new();
    let mut rest = source;
    while let Some(at) = rest.find("\nstatic ") {
        rest = &rest[at + 1..];
        let Some(brace) = rest.find(['{', ';']) else {
            break;
        };
        let head = &rest[..brace];
        if rest.as_bytes()[brace] == b';' || !head.contains('(') {
            rest = &rest[brace + 1..];
            continue;
        }
        let name = head[..head.find('(').expect("checked")]
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .rfind(|w| !w.is_empty())
            .unwrap_or_default()
            .to_owned();
        let mut depth = 0usize;
        let mut end = brace;
        for (offset, c) in rest[brace..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = brace + offset + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        if name.starts_with("asm_") || name.starts_with("emit_") {
            bodies.entry(name).or_default().push_str(&rest[brace..end]);
        }
        rest = &rest[end..];
    }
    bodies
}

/// The `asm_*`/`emit_*` functions a piece of C calls.
fn called(code: &str) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices('(') {
        let before = &code[..at];
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let name = &before[start..];
        if name.starts_with("asm_") || name.starts_with("emit_") {
            names.insert(name);
        }
    }
    names
}

fn case_labels(code: &str) -> Vec<String> {
    code.match_indices("case IR_")
        .filter_map(|(at, _)| {
            let name: String = code[at + 8..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            code[at + 8 + name.len()..]
                .trim_start()
                .starts_with(':')
                .then_some(name)
        })
        .collect()
}

/// The reach table of a run: every needed opcode with the traces holding
/// it, then what else the traces hold.
pub fn table(needed: &[String], held: &BTreeMap<String, u64>) -> Vec<Reach> {
    needed
        .iter()
        .map(|opcode| Reach {
            opcode: opcode.clone(),
            traces: held.get(opcode).copied().unwrap_or(0),
        })
        .collect()
}

/// The needed opcodes no trace of the run holds, without those no program
/// can reach.
pub fn missed(reach: &[Reach]) -> Vec<String> {
    reach
        .iter()
        .filter(|r| r.traces == 0 && !UNREACHABLE.iter().any(|(op, _)| *op == r.opcode))
        .map(|r| r.opcode.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASM: &str = r#"
static void emit_lso(ASMState *as, A64Ins ai, Reg rd, Reg rn, int64_t ofs)
{
  if (x) { *--as->mcp = ai; }
}
static void emit_loadk64(ASMState *as, Reg r, IRIns *ir)
{
  emit_lso(as, 0, r, 0, 0);
}
static void asm_fusexref(ASMState *as)
{
  emit_lso(as, 0, 0, 0, 0);
}
static void asm_xload(ASMState *as, IRIns *ir)
{
  asm_fusexref(as);
}
static void asm_add(ASMState *as, IRIns *ir)
{
  Reg r = ra_alloc1(as, ir->op1, RSET_GPR);
  emit_loadk64(as, r, ir);
}
static void asm_ir(ASMState *as, IRIns *ir)
{
  switch ((IROp)ir->o) {
  case IR_ADD: asm_add(as, ir); break;
  case IR_XLOAD: case IR_VLOAD:
    asm_xload(as, ir); break;
  }
}
"#;

    #[test]
    fn opcodes_whose_cases_reach_emit_lso() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        std::fs::write(dir.join("lj_asm.c"), ASM).unwrap();
        std::fs::write(dir.join("lj_asm_arm64.h"), "").unwrap();
        std::fs::write(dir.join("lj_emit_arm64.h"), "").unwrap();
        // ADD only meets emit_lso through a constant load, which is not its own access.
        assert_eq!(lso_opcodes(dir).unwrap(), ["VLOAD", "XLOAD"]);
    }

    #[test]
    fn missed_leaves_out_what_no_program_reaches() {
        let held = BTreeMap::from([("XLOAD".to_owned(), 3)]);
        let needed = ["PROF", "TBAR", "XLOAD"].map(String::from);
        let reach = table(&needed, &held);
        assert_eq!(missed(&reach), ["TBAR"]);
        assert_eq!(reach[2].traces, 3);
    }
}
