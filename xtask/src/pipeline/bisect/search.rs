//! The search itself, over places 0..count of an ordered list (oldest
//! first) and a judge that says whether the thing at a place is good, bad
//! or cannot be judged (skipped, as `git bisect skip`). Pure: it knows
//! nothing of trees or builds, so it is tested against fake judges.
//!
//! It assumes what the bisection of a defect may assume: at most one
//! introduction and at most one fix, so the bad places form one run.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::pipeline::label::Label;

/// What a judge says of one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Good,
    Bad,
    /// Could not be judged (did not build, failed some other way): neither.
    Skipped,
}

impl Label for Verdict {
    const ALL: &'static [Verdict] = &[Verdict::Good, Verdict::Bad, Verdict::Skipped];

    fn label(self) -> &'static str {
        match self {
            Verdict::Good => "good",
            Verdict::Bad => "bad",
            Verdict::Skipped => "skipped",
        }
    }
}

/// Where the verdict changes: `last_before` has the earlier verdict,
/// `first_after` the later one, and every place between them was skipped
/// (none when the transition is exact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub last_before: usize,
    pub first_after: usize,
    pub skipped_between: Vec<usize>,
}

/// What the search found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "shape")]
pub enum Found {
    /// Bad at the oldest and at the newest judged place: with one
    /// introduction and one fix at most, bad everywhere.
    EveryPlaceBad,
    /// Good at both ends (and at the hinted place, when one was given): no
    /// bad place found. A defect introduced and fixed in between, with no
    /// hint, is not searched for.
    NoBadPlace { hint_tried: Option<usize> },
    /// Every place was skipped, or all but one.
    Unjudged,
    /// A bad run: introduced after a good place (None when the oldest is
    /// bad) and fixed before a good one (None when the newest is bad).
    Range {
        introduced: Option<Transition>,
        fixed: Option<Transition>,
    },
}

/// The search's answer with every verdict it asked for, in asking order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub found: Found,
    pub asked: Vec<(usize, Verdict)>,
}

/// Remembers verdicts, so no place is judged twice, and the order asked.
struct Probe<'a> {
    verdicts: Vec<Option<Verdict>>,
    asked: Vec<(usize, Verdict)>,
    judge: &'a mut dyn FnMut(usize) -> Result<Verdict>,
}

impl Probe<'_> {
    fn verdict(&mut self, place: usize) -> Result<Verdict> {
        if let Some(known) = self.verdicts[place] {
            return Ok(known);
        }
        let verdict = (self.judge)(place)?;
        self.verdicts[place] = Some(verdict);
        self.asked.push((place, verdict));
        Ok(verdict)
    }

    /// The first place of `places` that is not skipped, with its verdict.
    fn first_judged(
        &mut self,
        places: impl Iterator<Item = usize>,
    ) -> Result<Option<(usize, Verdict)>> {
        for place in places {
            let verdict = self.verdict(place)?;
            if verdict != Verdict::Skipped {
                return Ok(Some((place, verdict)));
            }
        }
        Ok(None)
    }

    /// Binary search between `low` and `high`, whose verdicts are known and
    /// differ: a skipped place is stepped around by asking the untried
    /// place nearest the middle instead.
    fn transition(&mut self, mut low: usize, mut high: usize) -> Result<Transition> {
        let low_verdict = self.verdicts[low].expect("the lower side is judged");
        loop {
            let middle = (low + high) / 2;
            let untried = (low + 1..high)
                .filter(|&p| self.verdicts[p] != Some(Verdict::Skipped))
                .min_by_key(|&p| (p.abs_diff(middle), p));
            let Some(place) = untried else {
                return Ok(Transition {
                    last_before: low,
                    first_after: high,
                    skipped_between: (low + 1..high).collect(),
                });
            };
            match self.verdict(place)? {
                Verdict::Skipped => {}
                verdict if verdict == low_verdict => low = place,
                _ => high = place,
            }
        }
    }
}

/// Searches places 0..count: the newest and the oldest first (stepping
/// inwards past skipped ones), then the transitions between them. When
/// both ends are good, `hint` (a place believed bad) is judged and, if
/// bad, splits the range into an introduction and a fix.
pub fn search(
    count: usize,
    hint: Option<usize>,
    judge: &mut dyn FnMut(usize) -> Result<Verdict>,
) -> Result<Search> {
    let mut probe = Probe {
        verdicts: vec![None; count],
        asked: Vec::new(),
        judge,
    };
    let found = search_in(&mut probe, count, hint)?;
    Ok(Search {
        found,
        asked: probe.asked,
    })
}

fn search_in(probe: &mut Probe, count: usize, hint: Option<usize>) -> Result<Found> {
    let Some((newest, newest_verdict)) = probe.first_judged((0..count).rev())? else {
        return Ok(Found::Unjudged);
    };
    let Some((oldest, oldest_verdict)) = probe.first_judged(0..newest)? else {
        return Ok(Found::Unjudged);
    };
    Ok(match (oldest_verdict, newest_verdict) {
        (Verdict::Bad, Verdict::Bad) => Found::EveryPlaceBad,
        (Verdict::Good, Verdict::Bad) => Found::Range {
            introduced: Some(probe.transition(oldest, newest)?),
            fixed: None,
        },
        (Verdict::Bad, Verdict::Good) => Found::Range {
            introduced: None,
            fixed: Some(probe.transition(oldest, newest)?),
        },
        _ => {
            let hint = hint.filter(|&h| oldest < h && h < newest);
            match hint {
                Some(bad) if probe.verdict(bad)? == Verdict::Bad => Found::Range {
                    introduced: Some(probe.transition(oldest, bad)?),
                    fixed: Some(probe.transition(bad, newest)?),
                },
                _ => Found::NoBadPlace { hint_tried: hint },
            }
        }
    })
}

/// The transition between place 0 and place `count - 1`, whose verdicts
/// are already known (`first`, `last`, different): the second stage, over
/// the commits between a good and a bad tree.
pub fn between(
    count: usize,
    first: Verdict,
    last: Verdict,
    judge: &mut dyn FnMut(usize) -> Result<Verdict>,
) -> Result<(Transition, Vec<(usize, Verdict)>)> {
    assert!(
        count >= 2 && first != last && first != Verdict::Skipped && last != Verdict::Skipped,
        "between() needs two judged ends with different verdicts"
    );
    let mut verdicts = vec![None; count];
    verdicts[0] = Some(first);
    verdicts[count - 1] = Some(last);
    let mut probe = Probe {
        verdicts,
        asked: Vec::new(),
        judge,
    };
    let transition = probe.transition(0, count - 1)?;
    Ok((transition, probe.asked))
}

/// ceil(log2(n)), 0 for n <= 1.
pub fn ceil_log2(n: usize) -> u32 {
    if n <= 1 {
        0
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A judge over a fixed row of verdicts, written oldest first as
    /// `g` (good), `b` (bad) and `s` (skipped).
    fn row(pattern: &str) -> Vec<Verdict> {
        pattern
            .chars()
            .map(|c| match c {
                'g' => Verdict::Good,
                'b' => Verdict::Bad,
                _ => Verdict::Skipped,
            })
            .collect()
    }

    fn run(pattern: &str, hint: Option<usize>) -> Search {
        let verdicts = row(pattern);
        search(verdicts.len(), hint, &mut |place| Ok(verdicts[place])).unwrap()
    }

    fn exact(last_before: usize, first_after: usize) -> Transition {
        Transition {
            last_before,
            first_after,
            skipped_between: Vec::new(),
        }
    }

    #[test]
    fn finds_every_introduction_within_the_build_budget() {
        for count in 2..=64 {
            for first_bad in 1..count {
                let pattern: String = (0..count)
                    .map(|p| if p < first_bad { 'g' } else { 'b' })
                    .collect();
                let search = run(&pattern, None);
                assert_eq!(
                    search.found,
                    Found::Range {
                        introduced: Some(exact(first_bad - 1, first_bad)),
                        fixed: None
                    },
                    "{pattern}"
                );
                let budget = ceil_log2(count) as usize + 2;
                assert!(
                    search.asked.len() <= budget,
                    "{pattern}: {} judgements, budget {budget}",
                    search.asked.len()
                );
                let mut places: Vec<usize> = search.asked.iter().map(|(p, _)| *p).collect();
                places.sort();
                places.dedup();
                assert_eq!(places.len(), search.asked.len(), "a place judged twice");
            }
        }
    }

    #[test]
    fn the_ends_are_judged_first() {
        let search = run("ggggbbbb", None);
        let first_two: Vec<usize> = search.asked.iter().take(2).map(|(p, _)| *p).collect();
        assert_eq!(first_two, [7, 0]);
    }

    #[test]
    fn forty_six_trees_take_at_most_eight_builds() {
        let pattern = format!("{}{}", "g".repeat(39), "b".repeat(7));
        let search = run(&pattern, None);
        assert!(search.asked.len() <= 8, "{}", search.asked.len());
        assert_eq!(
            search.found,
            Found::Range {
                introduced: Some(exact(38, 39)),
                fixed: None
            }
        );
    }

    #[test]
    fn skipped_places_are_stepped_around() {
        // The transition is still exact when a skipped place is not next to it.
        let search = run("ggsgggbbsbbb", None);
        assert_eq!(
            search.found,
            Found::Range {
                introduced: Some(exact(5, 6)),
                fixed: None
            }
        );
        // A skipped place at the transition leaves a range with it inside.
        let search = run("gggsbb", None);
        assert_eq!(
            search.found,
            Found::Range {
                introduced: Some(Transition {
                    last_before: 2,
                    first_after: 4,
                    skipped_between: vec![3]
                }),
                fixed: None
            }
        );
        // Skipped ends: the search starts from the first judged place inwards.
        let search = run("sgggbbs", None);
        assert_eq!(
            search.found,
            Found::Range {
                introduced: Some(exact(3, 4)),
                fixed: None
            }
        );
        let skipped: Vec<usize> = search
            .asked
            .iter()
            .filter(|(_, v)| *v == Verdict::Skipped)
            .map(|(p, _)| *p)
            .collect();
        assert_eq!(skipped, [6, 0]);
    }

    #[test]
    fn all_bad_all_good_and_unjudged() {
        let all_bad = run("bbbbbbbb", None);
        assert_eq!(all_bad.found, Found::EveryPlaceBad);
        assert_eq!(all_bad.asked.len(), 2);
        let all_good = run("gggggggg", None);
        assert_eq!(all_good.found, Found::NoBadPlace { hint_tried: None });
        assert_eq!(all_good.asked.len(), 2);
        assert_eq!(run("ssss", None).found, Found::Unjudged);
        assert_eq!(run("sssg", None).found, Found::Unjudged);
        assert_eq!(run("", None).found, Found::Unjudged);
    }

    #[test]
    fn a_fix_is_found_when_the_oldest_is_bad() {
        let search = run("bbbbbggggggg", None);
        assert_eq!(
            search.found,
            Found::Range {
                introduced: None,
                fixed: Some(exact(4, 5))
            }
        );
        assert!(search.asked.len() <= ceil_log2(12) as usize + 2);
    }

    #[test]
    fn a_hinted_bad_place_splits_an_introduction_and_a_fix() {
        let pattern = "ggggggggbbbbbgggggg";
        let search = run(pattern, Some(10));
        assert_eq!(
            search.found,
            Found::Range {
                introduced: Some(exact(7, 8)),
                fixed: Some(exact(12, 13))
            }
        );
        let budget = 2 * ceil_log2(pattern.len()) as usize + 3;
        assert!(search.asked.len() <= budget, "{}", search.asked.len());
        // Without a hint, or with one that is good, nothing bad is found.
        assert_eq!(
            run(pattern, None).found,
            Found::NoBadPlace { hint_tried: None }
        );
        assert_eq!(
            run(pattern, Some(3)).found,
            Found::NoBadPlace {
                hint_tried: Some(3)
            }
        );
    }

    #[test]
    fn between_known_ends_judges_only_the_inside() {
        let verdicts = row("gggggbbbbbbbbbbbb");
        let mut judged = Vec::new();
        let (transition, asked) =
            between(verdicts.len(), Verdict::Good, Verdict::Bad, &mut |place| {
                judged.push(place);
                Ok(verdicts[place])
            })
            .unwrap();
        assert_eq!(transition, exact(4, 5));
        assert!(!judged.contains(&0) && !judged.contains(&(verdicts.len() - 1)));
        assert!(asked.len() <= ceil_log2(verdicts.len() - 1) as usize);
        // Ends next to each other: nothing to judge.
        let (transition, asked) =
            between(2, Verdict::Bad, Verdict::Good, &mut |_| unreachable!()).unwrap();
        assert_eq!((transition, asked.len()), (exact(0, 1), 0));
    }

    #[test]
    fn a_judge_error_stops_the_search() {
        let result = search(5, None, &mut |_| anyhow::bail!("disk full"));
        assert!(result.is_err());
    }

    #[test]
    fn ceil_log2_of_small_numbers() {
        let values: Vec<u32> = [0, 1, 2, 3, 4, 5, 8, 9, 45, 46].map(ceil_log2).to_vec();
        assert_eq!(values, [0, 0, 1, 2, 2, 3, 3, 4, 6, 6]);
    }
}
