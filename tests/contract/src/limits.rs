//! How long each of a stress program's two runs may take: the interpreter's
//! run a fixed limit, the JIT run a limit that follows from how long the
//! interpreter took.
//!
//! A program runs with the JIT off first. Its JIT run is then judged
//! against that time: a clean JIT run of a stress program takes a few times
//! what the interpreter takes (docs/stress-hangs.md has the measured
//! ratios), so one that runs many times longer hangs. A limit fixed high
//! enough for the slowest clean program made every hang cost that limit;
//! this one costs a hang a few seconds, and a busy machine, which slows
//! the interpreter's run too, moves both times together.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The limit of a program's JIT run, from its interpreter run's time:
/// `factor` times that time, at least `floor`, at most `ceiling` (which
/// wins over the floor).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JitLimit {
    pub factor: f64,
    /// For programs the interpreter runs in a few milliseconds, whose JIT
    /// run is mostly recording and compiling traces.
    pub floor: Duration,
    pub ceiling: Duration,
}

impl JitLimit {
    /// The same limit whatever the interpreter took.
    pub const fn fixed(limit: Duration) -> JitLimit {
        JitLimit {
            factor: 0.0,
            floor: limit,
            ceiling: limit,
        }
    }

    /// The JIT run's limit after the interpreter's run took `interpreter_took`.
    pub fn after(&self, interpreter_took: Duration) -> Duration {
        interpreter_took
            .mul_f64(self.factor)
            .max(self.floor)
            .min(self.ceiling)
    }

    /// Every term `by` times as long: the limit of a second try.
    pub fn scaled(&self, by: f64) -> JitLimit {
        JitLimit {
            factor: self.factor * by,
            floor: self.floor.mul_f64(by),
            ceiling: self.ceiling.mul_f64(by),
        }
    }
}

/// `FACTOR,FLOOR,CEILING`, the two times in seconds: how the suite's
/// command line takes it.
impl fmt::Display for JitLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{}",
            self.factor,
            self.floor.as_secs_f64(),
            self.ceiling.as_secs_f64()
        )
    }
}

impl FromStr for JitLimit {
    type Err = String;

    fn from_str(text: &str) -> Result<JitLimit, String> {
        let bad = || format!("`{text}`: not FACTOR,FLOOR,CEILING (the times in seconds)");
        let parts: Vec<f64> = text
            .split(',')
            .map(|part| part.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        let [factor, floor, ceiling] = parts[..] else {
            return Err(bad());
        };
        // Duration panics on negative or unbounded seconds.
        let fits = |x: f64| x.is_finite() && (0.0..=1e6).contains(&x);
        if ![factor, floor, ceiling].into_iter().all(fits) {
            return Err(bad());
        }
        Ok(JitLimit {
            factor,
            floor: Duration::from_secs_f64(floor),
            ceiling: Duration::from_secs_f64(ceiling),
        })
    }
}

/// The limits of a program's run with the JIT off and then on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The interpreter's run: fixed and generous, for an interpreter that
    /// hangs is the program's fault, not the JIT's.
    pub interpreter: Duration,
    pub jit: JitLimit,
}

impl Limits {
    /// Both runs the same limit.
    pub const fn fixed(limit: Duration) -> Limits {
        Limits {
            interpreter: limit,
            jit: JitLimit::fixed(limit),
        }
    }

    /// A second try for programs whose JIT run ran out of time: the JIT's
    /// limit `by` times as long, the interpreter's as it was.
    pub fn rerun(&self, by: f64) -> Limits {
        Limits {
            interpreter: self.interpreter,
            jit: self.jit.scaled(by),
        }
    }
}

/// `interpreter S, JIT FACTOR x its time in [FLOOR, CEILING] s`: for cache keys and messages.
impl fmt::Display for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "interpreter {} s, JIT {} x its time in [{}, {}] s",
            self.interpreter.as_secs_f64(),
            self.jit.factor,
            self.jit.floor.as_secs_f64(),
            self.jit.ceiling.as_secs_f64()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: JitLimit = JitLimit {
        factor: 10.0,
        floor: Duration::from_secs(2),
        ceiling: Duration::from_secs(20),
    };

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    #[test]
    fn the_jit_limit_scales_with_the_interpreter_between_floor_and_ceiling() {
        // A fast program gets the floor, not ten times its few milliseconds.
        assert_eq!(RULE.after(ms(0)), ms(2000));
        assert_eq!(RULE.after(ms(150)), ms(2000));
        // Between floor and ceiling the limit follows the interpreter.
        assert_eq!(RULE.after(ms(300)), ms(3000));
        assert_eq!(RULE.after(ms(1234)), ms(12340));
        // An interpreter run that took long (or ran out of its own limit)
        // does not give the JIT more than the ceiling.
        assert_eq!(RULE.after(ms(5000)), ms(20000));
        assert_eq!(RULE.after(ms(60000)), ms(20000));
    }

    #[test]
    fn the_ceiling_wins_over_the_floor() {
        let tight = JitLimit {
            ceiling: ms(1500),
            ..RULE
        };
        assert_eq!(tight.after(ms(10)), ms(1500));
    }

    #[test]
    fn a_fixed_limit_ignores_the_interpreter() {
        let fixed = JitLimit::fixed(ms(7000));
        for took in [0, 10, 700, 60000] {
            assert_eq!(fixed.after(ms(took)), ms(7000), "{took} ms");
        }
    }

    #[test]
    fn a_rerun_scales_every_jit_term_and_keeps_the_interpreters() {
        let limits = Limits {
            interpreter: ms(60000),
            jit: RULE,
        };
        let rerun = limits.rerun(3.0);
        assert_eq!(rerun.interpreter, ms(60000));
        assert_eq!(rerun.jit.after(ms(10)), ms(6000));
        assert_eq!(rerun.jit.after(ms(400)), ms(12000));
        assert_eq!(rerun.jit.after(ms(5000)), ms(60000));
    }

    #[test]
    fn the_command_line_form_reads_back() {
        for rule in [RULE, RULE.scaled(3.0), JitLimit::fixed(ms(2500))] {
            assert_eq!(rule.to_string().parse::<JitLimit>(), Ok(rule), "{rule}");
        }
        assert_eq!(RULE.to_string(), "10,2,20");
        for bad in ["", "10,2", "10,2,20,1", "a,2,20", "10,-1,20", "inf,2,20"] {
            assert!(bad.parse::<JitLimit>().is_err(), "{bad}");
        }
    }
}
