//! Delta debugging of a stress finding: drop blocks, statements, settings,
//! rounds and loop lengths, one at a time, while the program still shows
//! the same kind of difference.

use anyhow::Result;

use super::carried::CarriedBlock;
use super::generate::{Block, Program, Stmt};

/// Smallest program found that `still_fails` accepts. `still_fails` gets a
/// batch of candidates (run together to spare process starts) and says,
/// for each, whether it still shows the difference.
pub fn shrink(
    program: &Program,
    mut still_fails: impl FnMut(&[Program]) -> Result<Vec<bool>>,
) -> Result<Program> {
    let mut current = program.clone();
    // Each step removes something, so this bounds nothing a real program
    // reaches; the caller's time budget is what ends a long shrink.
    for _ in 0..512 {
        let candidates = smaller(&current);
        if candidates.is_empty() {
            break;
        }
        let verdicts = still_fails(&candidates)?;
        match candidates
            .into_iter()
            .zip(verdicts)
            .find(|(_, fails)| *fails)
        {
            Some((candidate, _)) => current = candidate,
            None => break,
        }
    }
    Ok(current)
}

/// Every program one step smaller than `program`.
pub fn smaller(program: &Program) -> Vec<Program> {
    let mut out = Vec::new();
    let with = |change: &dyn Fn(&mut Program)| {
        let mut next = program.clone();
        change(&mut next);
        next
    };
    let blocks = program.blocks.len();
    if blocks > 1 {
        // Big steps first: one block alone, then either half, then one block less.
        for keep in 0..blocks {
            out.push(with(&|p| p.blocks = vec![p.blocks[keep].clone()]));
        }
        if blocks > 3 {
            out.push(with(&|p| p.blocks.truncate(blocks / 2)));
            out.push(with(&|p| {
                p.blocks.drain(..blocks / 2);
            }));
        }
        for index in 0..blocks {
            out.push(with(&|p| {
                p.blocks.remove(index);
            }));
        }
    }
    for (index, block) in program.blocks.iter().enumerate() {
        out.extend(block_candidates(program, index, block));
    }
    for setting in 0..program.settings.len() {
        if !program.settings[setting].starts_with("hotloop") {
            out.push(with(&|p| {
                p.settings.remove(setting);
            }));
        }
    }
    for rounds in [1, 2, program.rounds / 2] {
        if rounds >= 1 && rounds < program.rounds {
            out.push(with(&|p| p.rounds = rounds));
        }
    }
    out
}

/// The candidates that shrink one block of `program`: a statement less,
/// fewer iterations, simpler statements.
fn block_candidates(program: &Program, index: usize, block: &Block) -> Vec<Program> {
    let mut out = Vec::new();
    let with = |change: &dyn Fn(&mut Program)| {
        let mut next = program.clone();
        change(&mut next);
        next
    };
    // The program with this block replaced by a smaller one.
    let replaced = |smaller: Block| {
        let mut next = program.clone();
        next.blocks[index] = smaller;
        next
    };
    match block {
        Block::Loop { body, items, .. } => {
            for stmt in 0..body.len() {
                out.push(with(&|p| {
                    if let Block::Loop { body, .. } = &mut p.blocks[index] {
                        body.remove(stmt);
                    }
                }));
            }
            for fewer in [1, items / 2] {
                if fewer >= 1 && fewer < *items {
                    out.push(with(&|p| {
                        if let Block::Loop { items, .. } = &mut p.blocks[index] {
                            *items = fewer;
                        }
                    }));
                }
            }
            // A stitch can stand in for a side exit or a nested loop.
            for (stmt, kind) in body.iter().enumerate() {
                if matches!(kind, Stmt::SideExit(_) | Stmt::Inner | Stmt::Vararg) {
                    out.push(with(&|p| {
                        if let Block::Loop { body, .. } = &mut p.blocks[index] {
                            body[stmt] = Stmt::AddIndex;
                        }
                    }));
                }
            }
        }
        Block::Expr(block) => {
            for stmt in 0..block.stmts.len() {
                out.push(with(&|p| {
                    if let Block::Expr(block) = &mut p.blocks[index] {
                        block.stmts.remove(stmt);
                    }
                }));
            }
            if block.keep_live {
                out.push(with(&|p| {
                    if let Block::Expr(block) = &mut p.blocks[index] {
                        block.keep_live = false;
                    }
                }));
            }
            for fewer in [1, block.items / 2] {
                if fewer >= 1 && fewer < block.items {
                    out.push(with(&|p| {
                        if let Block::Expr(block) = &mut p.blocks[index] {
                            block.items = fewer;
                        }
                    }));
                }
            }
        }
        Block::Tables(block) => out.extend(
            smaller_loops(block, |b| &mut b.stmts, |b| &mut b.items)
                .into_iter()
                .map(|smaller| replaced(Block::Tables(smaller))),
        ),
        Block::Forms(block) => out.extend(
            smaller_loops(block, |b| &mut b.stmts, |b| &mut b.items)
                .into_iter()
                .map(|smaller| replaced(Block::Forms(smaller))),
        ),
        Block::Carried(block) => {
            if block.exit_every.is_some() {
                let exit_every = None;
                out.push(replaced(Block::Carried(CarriedBlock {
                    exit_every,
                    ..block.clone()
                })));
            }
            // Only the last local, not each: a block has dozens, and every
            // candidate is a run.
            if block.locals.len() > 1 {
                out.push(replaced(Block::Carried(
                    block.without(block.locals.len() - 1),
                )));
            }
            if block.items > 1 {
                let items = block.items / 2;
                out.push(replaced(Block::Carried(CarriedBlock {
                    items,
                    ..block.clone()
                })));
            }
        }
        Block::Indexed(block) => out.extend(
            smaller_loops(block, |b| &mut b.accesses, |b| &mut b.items)
                .into_iter()
                .map(|smaller| replaced(Block::Indexed(smaller))),
        ),
        Block::Unfused(block) => out.extend(
            smaller_loops(block, |b| &mut b.refs, |b| &mut b.items)
                .into_iter()
                .map(|smaller| replaced(Block::Unfused(smaller))),
        ),
        Block::Calls(block) => out.extend(
            smaller_loops(block, |b| &mut b.calls, |b| &mut b.items)
                .into_iter()
                .map(|smaller| replaced(Block::Calls(smaller))),
        ),
        Block::Lookups(block) => out.extend(
            smaller_loops(block, |b| &mut b.lookups, |b| &mut b.items)
                .into_iter()
                .map(|smaller| replaced(Block::Lookups(smaller))),
        ),
        Block::Shapes(block) => out.extend(
            smaller_loops(block, |b| &mut b.stmts, |b| &mut b.items)
                .into_iter()
                .map(|smaller| replaced(Block::Shapes(smaller))),
        ),
        Block::TailCall { values, .. } if *values > 1 => out.push(with(&|p| {
            if let Block::TailCall { values, .. } = &mut p.blocks[index] {
                *values -= 1;
            }
        })),
        _ => {}
    }
    out
}

/// Copies of a block that loops over `items` iterations through a list of
/// parts: without each part in turn, then with half the iterations.
fn smaller_loops<B: Clone, T>(
    block: &B,
    parts: fn(&mut B) -> &mut Vec<T>,
    items: fn(&mut B) -> &mut u32,
) -> Vec<B> {
    let mut copies = Vec::new();
    let count = parts(&mut block.clone()).len();
    for part in 0..count {
        let mut smaller = block.clone();
        parts(&mut smaller).remove(part);
        copies.push(smaller);
    }
    let mut shorter = block.clone();
    let iterations = items(&mut shorter);
    if *iterations > 1 {
        *iterations /= 2;
        copies.push(shorter);
    }
    copies
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::program::forms::FormBlock;
    use crate::pipeline::program::generate::program;

    #[test]
    fn a_looping_block_loses_each_part_then_half_its_iterations() {
        let block = FormBlock {
            items: 5,
            stmts: vec!["a".to_owned(), "b".to_owned()],
        };
        let copies = smaller_loops(&block, |b| &mut b.stmts, |b| &mut b.items);
        let shapes: Vec<(u32, Vec<&str>)> = copies
            .iter()
            .map(|c| (c.items, c.stmts.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            shapes,
            [(5, vec!["b"]), (5, vec!["a"]), (2, vec!["a", "b"])]
        );
        let once = FormBlock { items: 1, ..block };
        assert_eq!(
            smaller_loops(&once, |b| &mut b.stmts, |b| &mut b.items).len(),
            2
        );
    }

    #[test]
    fn shrinks_to_the_block_that_matters() {
        // A stand-in oracle: "fails" while some loop block keeps a stitch.
        let start = (0..200).map(program).find(|p| {
            p.blocks.len() > 2
                && p.blocks
                    .iter()
                    .any(|b| matches!(b, Block::Loop { body, .. } if body.contains(&Stmt::Stitch)))
        });
        let start = start.expect("some seed has a stitching loop among several blocks");
        let has_stitch = |p: &Program| {
            p.blocks
                .iter()
                .any(|b| matches!(b, Block::Loop { body, .. } if body.contains(&Stmt::Stitch)))
        };
        let small = shrink(&start, |batch| Ok(batch.iter().map(has_stitch).collect())).unwrap();
        assert!(has_stitch(&small));
        assert_eq!(small.blocks.len(), 1);
        assert_eq!(small.rounds, 1);
        let Block::Loop { body, items, .. } = &small.blocks[0] else {
            panic!("kept a loop block")
        };
        assert_eq!((body.as_slice(), *items), (&[Stmt::Stitch][..], 1));
        assert!(small.render().lines().count() <= 40, "{}", small.render());
    }
}
