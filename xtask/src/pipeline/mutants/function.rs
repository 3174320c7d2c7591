//! Which C function a line of the backend is in, found the way a reader
//! would: scanning back for the function's header. LuaJIT writes every
//! definition with its header at column 0 (`static void asm_aref(ASMState
//! *as, IRIns *ir)`) and its closing brace at column 0, and nothing else
//! there but preprocessor lines, labels, declarations and tables.

/// The name of the function line `line` (counted from 1) of `source` is
/// in, `#define NAME` for a macro's first line, or None at file scope.
pub fn enclosing(source: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = source.lines().collect();
    let target = line.checked_sub(1)?;
    let own = lines.get(target)?;
    if let Some(name) = own.strip_prefix("#define ") {
        return Some(format!("#define {}", identifier(name.trim_start())?));
    }
    for (index, text) in lines[..=target].iter().enumerate().rev() {
        let column0 = text.chars().next();
        // A closing brace above the line ends an earlier definition: the
        // line is at file scope (the line's own brace closes its function).
        if column0 == Some('}') && index < target {
            return None;
        }
        if !column0.is_some_and(|c| c.is_ascii_alphabetic() || c == '_') {
            continue;
        }
        let Some(open) = text.find('(') else {
            continue;
        };
        // A prototype or a declaration ends with `;`: file scope.
        if text.trim_end().ends_with(';') {
            return None;
        }
        let name = text[..open].trim_end();
        let start = name
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |at| at + 1);
        return identifier(&name[start..]);
    }
    None
}

/// The identifier `text` starts with, if it starts with one.
fn identifier(text: &str) -> Option<String> {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    let name = &text[..end];
    (!name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit())).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "\
/* Header comment. */
#define emit_spsub(as, ofs)\temit_addptr(as, RID_SP, -(ofs))

static Reg asm_fuseahuref(ASMState *as, IRRef ref, int32_t *ofsp, RegSet allow,
\t\t\t  A64Ins ins)
{
  if (ra_noreg(ir->r)) {
#if LJ_HASFFI
    x = 1;
#endif
  }
dotypecheck:
  return RID_NONE;
}

static Reg ra_allock(ASMState *as, intptr_t k, RegSet allow);

static const uint8_t asm_fxloadins[] = {
  1, 2
};
static LJ_AINLINE uint32_t emit_lso_pair_candidate(A64Ins ai, int ofs, int sc)
{
  return 0;
}
";

    fn at(line: usize) -> Option<String> {
        enclosing(SOURCE, line)
    }

    #[test]
    fn a_line_is_named_by_the_function_whose_header_is_above_it() {
        let fused = Some("asm_fuseahuref".to_owned());
        for line in 4..=14 {
            assert_eq!(at(line), fused, "line {line}");
        }
        assert_eq!(at(23), Some("emit_lso_pair_candidate".to_owned()));
    }

    #[test]
    fn file_scope_and_macros_are_told_apart() {
        assert_eq!(at(1), None);
        assert_eq!(at(2), Some("#define emit_spsub".to_owned()));
        assert_eq!(at(3), None);
        assert_eq!(at(16), None, "a prototype");
        assert_eq!(at(19), None, "a table after a function");
        assert_eq!(at(0), None);
        assert_eq!(at(100), None);
    }
}
