//! Carried blocks: loops whose loop-carried locals outnumber the registers,
//! so that the register allocator keeps some PHIs in spill slots. The loop
//! head then copies between spill slots (`asm_phi_copyspill`), the loop
//! entry jumps past those copies, values that rotate through the locals
//! make PHI registers swap in cycles (`asm_phi_shuffle`), and a side exit
//! restores spilled values from its snapshot. Each local is another one
//! plus a constant, integral or not (GPR and FP PHIs), so a wrong value in
//! any iteration changes the checksum.

use std::fmt::Write as _;

use super::rng::Rng;

#[derive(Debug, Clone, PartialEq)]
pub struct CarriedBlock {
    /// Iterations of the loop.
    pub items: u32,
    /// The carried locals in the order the loop body assigns them.
    pub locals: Vec<Carried>,
    /// A side exit every this many iterations, which bumps one local.
    pub exit_every: Option<u32>,
}

/// `c{k} = c{source} + step`, for the local `k` (1-based) of the block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Carried {
    /// The local the new value comes from, 1-based.
    pub source: usize,
    pub step: i32,
    /// Whether the local starts and steps by a non-integral amount, which
    /// makes it a number the JIT keeps in an FP register.
    pub fractional: bool,
}

/// One carried block: between 12 and 44 locals, so that about half the
/// blocks carry more than the registers hold.
pub fn block(rng: &mut Rng) -> CarriedBlock {
    let count = rng.range(12, 44) as usize;
    let rotate = rng.chance(50);
    let fractional_share = *rng.pick(&[0, 0, 10, 50]);
    let locals = (1..=count)
        .map(|k| Carried {
            // Rotation makes every local a PHI read by the one before it (the
            // last reads the first's new value); other sources read values
            // assigned earlier in the same iteration as well.
            source: match rotate {
                true => k % count + 1,
                false => rng.range(1, count as i64) as usize,
            },
            step: rng.range(-3, 40) as i32,
            fractional: rng.chance(fractional_share),
        })
        .collect();
    CarriedBlock {
        items: rng.range(20, 120) as u32,
        locals,
        exit_every: rng.chance(30).then(|| rng.range(3, 17) as u32),
    }
}

impl CarriedBlock {
    pub fn render(&self, index: usize, lua: &mut String) {
        let names: Vec<String> = (1..=self.locals.len()).map(|k| format!("c{k}")).collect();
        let starts: Vec<String> = self
            .locals
            .iter()
            .enumerate()
            .map(|(k, local)| match local.fractional {
                true => format!("n + {}.25", k + 1),
                false => format!("n + {}", k + 1),
            })
            .collect();
        let _ = writeln!(lua, "local function b{index}(n)");
        let _ = writeln!(
            lua,
            "  local {} =\n    {}",
            names.join(", "),
            starts.join(", ")
        );
        let _ = writeln!(lua, "  for i = 1, {} do", self.items);
        for (k, local) in self.locals.iter().enumerate() {
            let half = if local.fractional { ".5" } else { "" };
            let _ = writeln!(
                lua,
                "    c{} = c{} + {}{half}",
                k + 1,
                local.source,
                local.step
            );
        }
        if let Some(every) = self.exit_every {
            let bumped = (every as usize) % self.locals.len() + 1;
            let _ = writeln!(
                lua,
                "    if i % {every} == 0 then c{bumped} = c{bumped} + 1 end"
            );
        }
        let _ = writeln!(lua, "  end");
        // Weighted, so that two wrong values are unlikely to cancel out.
        let terms: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(k, name)| format!("{name} * {}", k + 1))
            .collect();
        let _ = writeln!(lua, "  return ({}) % 4294967291\nend", terms.join(" + "));
    }

    /// The block without local `k` (0-based): what read it reads its source.
    pub fn without(&self, k: usize) -> CarriedBlock {
        let removed = self.locals[k];
        let mut locals = self.locals.clone();
        locals.remove(k);
        let count = locals.len();
        for local in &mut locals {
            let mut source = local.source;
            if source == k + 1 {
                source = removed.source;
            }
            if source == k + 1 {
                // The removed local read itself: read the next one instead.
                source = k + 2;
            }
            if source > k + 1 {
                source -= 1;
            }
            local.source = source.clamp(1, count.max(1));
        }
        CarriedBlock {
            locals,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_blocks_carry_more_locals_than_the_registers_hold() {
        let mut rng = Rng::new(3);
        let blocks: Vec<CarriedBlock> = (0..100).map(|_| block(&mut rng)).collect();
        let spilling = blocks.iter().filter(|b| b.locals.len() > 28).count();
        assert!((30..=80).contains(&spilling), "{spilling} of 100");
        assert!(blocks.iter().any(|b| b.locals.iter().any(|l| l.fractional)));
        assert!(blocks.iter().any(|b| b.exit_every.is_some()));
    }

    #[test]
    fn a_rendered_block_assigns_every_local_from_a_local() {
        let block = CarriedBlock {
            items: 5,
            locals: vec![
                Carried {
                    source: 2,
                    step: 1,
                    fractional: false,
                },
                Carried {
                    source: 3,
                    step: -2,
                    fractional: true,
                },
                Carried {
                    source: 1,
                    step: 0,
                    fractional: false,
                },
            ],
            exit_every: Some(4),
        };
        let mut lua = String::new();
        block.render(7, &mut lua);
        assert_eq!(
            lua,
            "local function b7(n)\n  local c1, c2, c3 =\n    n + 1, n + 2.25, n + 3\n  for i = 1, 5 do\n    c1 = c2 + 1\n    c2 = c3 + -2.5\n    c3 = c1 + 0\n    if i % 4 == 0 then c2 = c2 + 1 end\n  end\n  return (c1 * 1 + c2 * 2 + c3 * 3) % 4294967291\nend\n"
        );
    }

    #[test]
    fn a_local_removed_leaves_every_source_in_range() {
        let mut rng = Rng::new(11);
        for _ in 0..50 {
            let mut block = block(&mut rng);
            while block.locals.len() > 1 {
                let k = block.locals.len() / 2;
                block = block.without(k);
                let count = block.locals.len();
                assert!(block.locals.iter().all(|l| (1..=count).contains(&l.source)));
            }
        }
    }
}
