//! The mutation score, killed over counted, and how sure a sample makes
//! it: the Wilson score interval, which (unlike the normal approximation)
//! stays inside [0, 1] and is sound for small samples and scores near 1.

use serde::{Deserialize, Serialize};

/// The quantile of the normal distribution for a two-sided 95% interval.
const Z_95: f64 = 1.959_963_984_540_054;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub killed: usize,
    pub counted: usize,
}

impl Score {
    /// Killed over counted; 0 when nothing was counted.
    pub fn ratio(&self) -> f64 {
        if self.counted == 0 {
            0.0
        } else {
            self.killed as f64 / self.counted as f64
        }
    }

    /// The 95% Wilson score interval of the share of mutants the tests
    /// kill, from this sample; [0, 1] when nothing was counted.
    pub fn interval_95(&self) -> (f64, f64) {
        wilson(self.killed, self.counted, Z_95)
    }
}

/// The Wilson score interval for `successes` out of `trials` at the normal
/// quantile `z`.
pub fn wilson(successes: usize, trials: usize, z: f64) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 5e-5 && (a.1 - b.1).abs() < 5e-5
    }

    #[test]
    fn the_wilson_interval_matches_published_values() {
        // Newcombe (1998), table I, method 3: 81/263 gives 0.2553-0.3662,
        // 15/148 0.0624-0.1605, 0/20 0.0000-0.1611, 1/29 0.0061-0.1718.
        for (k, n, expected) in [
            (81, 263, (0.2553, 0.3662)),
            (15, 148, (0.0624, 0.1605)),
            (0, 20, (0.0, 0.1611)),
            (1, 29, (0.0061, 0.1718)),
        ] {
            let got = wilson(k, n, Z_95);
            assert!(
                (got.0 - expected.0).abs() < 1e-4 && (got.1 - expected.1).abs() < 1e-4,
                "{k}/{n}: {got:?}, expected {expected:?}"
            );
        }
    }

    #[test]
    fn the_interval_holds_the_ratio_and_narrows_with_the_sample() {
        let small = Score {
            killed: 9,
            counted: 10,
        };
        let large = Score {
            killed: 90,
            counted: 100,
        };
        for score in [small, large] {
            let (low, high) = score.interval_95();
            assert!(low < score.ratio() && score.ratio() < high, "{score:?}");
        }
        let width = |s: Score| s.interval_95().1 - s.interval_95().0;
        assert!(width(large) < width(small));
        assert!(close(
            Score {
                killed: 10,
                counted: 10
            }
            .interval_95(),
            (0.7225, 1.0)
        ));
        assert_eq!(
            Score {
                killed: 0,
                counted: 0
            }
            .interval_95(),
            (0.0, 1.0)
        );
        assert_eq!(
            Score {
                killed: 0,
                counted: 0
            }
            .ratio(),
            0.0
        );
    }
}
