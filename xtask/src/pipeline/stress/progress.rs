//! How far a stress run has got: a progress bar on a terminal, and where
//! stderr is not one (CI logs) an occasional plain line instead of a bar.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The longest a log goes without a progress line while programs finish.
const LINE_AT_LEAST_EVERY: Duration = Duration::from_secs(60);
/// The shortest time between two lines, so that a short run (a sweep's 40
/// programs per tree) does not print ten lines for its ten percent steps.
const LINE_AT_MOST_EVERY: Duration = Duration::from_secs(15);

pub struct Progress {
    variant: String,
    total: usize,
    /// Finished by earlier sessions of the run: not part of this session's rate.
    resumed: usize,
    done: usize,
    findings: usize,
    started: Instant,
    /// None where stderr is not a terminal: plain lines are printed instead.
    bar: Option<ProgressBar>,
    /// The programs done and the time at the last plain line (or the start).
    last_line: (usize, Instant),
    printed_a_line: bool,
}

impl Progress {
    /// Progress of `variant`'s run of `total` programs, `resumed` of them
    /// (with `findings` among them) already run by an earlier session.
    pub fn start(variant: &str, total: usize, resumed: usize, findings: usize) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        let bar = (!bar.is_hidden()).then(|| {
            // `wide_msg` cuts the line at the terminal's width: a wrapped
            // bar is redrawn a line lower each time.
            bar.set_style(
                ProgressStyle::with_template("{prefix} [{bar:24}] {wide_msg}")
                    .expect("the template is valid")
                    .progress_chars("=> "),
            );
            bar.set_prefix(format!("stress: {variant}:"));
            // Batches finish seconds apart; the tick redraws what a
            // rate-limited update left half drawn.
            bar.enable_steady_tick(Duration::from_secs(1));
            bar
        });
        let started = Instant::now();
        let progress = Progress {
            variant: variant.to_owned(),
            total,
            resumed,
            done: resumed,
            findings,
            started,
            bar,
            last_line: (resumed, started),
            printed_a_line: false,
        };
        progress.draw();
        progress
    }

    /// Records `programs` more finished, `findings` of them differing.
    pub fn advance(&mut self, programs: usize, findings: usize) {
        self.done += programs;
        self.findings += findings;
        self.draw();
        let now = Instant::now();
        let (last_done, last_time) = self.last_line;
        if self.bar.is_none()
            && line_due(
                last_done,
                self.done,
                self.total,
                now - last_time,
                self.printed_a_line,
            )
        {
            eprintln!("stress: {}: {}", self.variant, self.status());
            self.last_line = (self.done, now);
            self.printed_a_line = true;
        }
    }

    /// Puts a plain line where the bar was, with the time the session took:
    /// the lines after it then start on a line of their own.
    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            eprintln!("stress: {}: {}", self.variant, self.status());
        }
    }

    fn draw(&self) {
        if let Some(bar) = &self.bar {
            bar.set_message(self.status());
            bar.set_position(self.done as u64);
        }
    }

    /// Where the run is, or once it is done, what this session took.
    fn status(&self) -> String {
        if self.done == self.total {
            return format!(
                "{}, took {}",
                counts(self.done, self.total, self.findings),
                duration_text(self.started.elapsed())
            );
        }
        let eta = eta(
            self.done - self.resumed,
            self.total - self.done,
            self.started.elapsed(),
        );
        status_text(self.done, self.total, self.findings, eta)
    }
}

/// What is left to wait, at this session's rate: none before this session
/// has finished anything, as there is no rate yet.
pub fn eta(done_now: usize, left: usize, elapsed: Duration) -> Option<Duration> {
    (done_now > 0).then(|| elapsed.mul_f64(left as f64 / done_now as f64))
}

/// `1200/20000 programs, 0 findings, ETA 41 min`.
pub fn status_text(done: usize, total: usize, findings: usize, eta: Option<Duration>) -> String {
    let eta = eta.map_or_else(|| "unknown".to_owned(), duration_text);
    format!("{}, ETA {eta}", counts(done, total, findings))
}

fn counts(done: usize, total: usize, findings: usize) -> String {
    let noun = if findings == 1 { "finding" } else { "findings" };
    format!("{done}/{total} programs, {findings} {noun}")
}

/// A duration as a person reads an estimate: `45 s`, `41 min`, `3 h 05 min`.
pub fn duration_text(duration: Duration) -> String {
    let seconds = duration.as_secs_f64().round() as u64;
    match seconds {
        0..60 => format!("{seconds} s"),
        // Rounded up, so an estimate of 59.5 min does not read as 0 left.
        60..3600 => format!("{} min", seconds.div_ceil(60)),
        _ => {
            let minutes = seconds.div_ceil(60);
            format!("{} h {:02} min", minutes / 60, minutes % 60)
        }
    }
}

/// Whether a plain progress line is due: at each tenth of the run, but
/// not twice within `LINE_AT_MOST_EVERY`, and at least every
/// `LINE_AT_LEAST_EVERY`; the end only when some line came before, so a
/// run too short for any line prints none.
pub fn line_due(
    last_done: usize,
    done: usize,
    total: usize,
    since_last: Duration,
    printed_a_line: bool,
) -> bool {
    if total == 0 || done == last_done {
        return false;
    }
    if done == total {
        return printed_a_line;
    }
    let tenth_crossed = done * 10 / total > last_done * 10 / total;
    since_last >= LINE_AT_LEAST_EVERY || (tenth_crossed && since_last >= LINE_AT_MOST_EVERY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_read_as_seconds_minutes_or_hours() {
        let text = |seconds| duration_text(Duration::from_secs(seconds));
        assert_eq!(text(0), "0 s");
        assert_eq!(text(45), "45 s");
        assert_eq!(text(60), "1 min");
        assert_eq!(text(2430), "41 min");
        assert_eq!(text(3599), "60 min");
        assert_eq!(text(3600), "1 h 00 min");
        assert_eq!(text(3 * 3600 + 4 * 60 + 1), "3 h 05 min");
        assert_eq!(duration_text(Duration::from_millis(59_600)), "1 min");
    }

    #[test]
    fn the_estimate_is_this_sessions_rate_over_what_is_left() {
        assert_eq!(eta(0, 100, Duration::from_secs(30)), None);
        assert_eq!(
            eta(100, 300, Duration::from_secs(60)),
            Some(Duration::from_secs(180))
        );
        assert_eq!(eta(5, 0, Duration::from_secs(9)), Some(Duration::ZERO));
    }

    #[test]
    fn the_status_names_programs_findings_and_the_estimate() {
        assert_eq!(
            status_text(1200, 20000, 0, Some(Duration::from_secs(2430))),
            "1200/20000 programs, 0 findings, ETA 41 min"
        );
        assert_eq!(
            status_text(3, 60, 1, None),
            "3/60 programs, 1 finding, ETA unknown"
        );
    }

    #[test]
    fn plain_lines_come_at_tenths_and_minutes_but_not_in_floods() {
        let secs = Duration::from_secs;
        // A tenth crossed after a while.
        assert!(line_due(0, 2000, 20000, secs(20), false));
        // A tenth crossed too soon after the last line.
        assert!(!line_due(0, 2000, 20000, secs(5), false));
        // Within a tenth, only once a minute has gone by.
        assert!(!line_due(2000, 2100, 20000, secs(59), true));
        assert!(line_due(2000, 2100, 20000, secs(60), true));
        // Nothing new, nothing printed.
        assert!(!line_due(2100, 2100, 20000, secs(600), true));
        // The end of a run that printed lines, and of one too short to.
        assert!(line_due(19990, 20000, 20000, secs(1), true));
        assert!(!line_due(30, 40, 40, secs(1), false));
    }
}
