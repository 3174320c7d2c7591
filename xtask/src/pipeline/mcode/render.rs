//! The machine-code diff for the terminal: per script, per trace, then the
//! totals and every unexplained item.

use std::fmt::Write as _;

use super::{McodeDiff, ScriptDiff, Site, SiteClass, Totals, TraceResult, TraceStatus};
use crate::pipeline::variants::{BASELINE, PATCHED};

/// ANSI styles, or nothing when the output is not a terminal.
struct Style {
    colour: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn diff_line(&self, line: &str) -> String {
        match line.as_bytes().first() {
            Some(b'-') if !line.starts_with("---") => self.paint("31", line),
            Some(b'+') if !line.starts_with("+++") => self.paint("32", line),
            Some(b'@') => self.paint("36", line),
            _ => line.to_owned(),
        }
    }

    fn verdict(&self, explained: bool) -> String {
        if explained {
            self.paint("32", "explained")
        } else {
            self.paint("1;31", "UNEXPLAINED")
        }
    }

    fn class(&self, class: SiteClass) -> String {
        match class {
            SiteClass::MisfusionCorrected => self.paint("32", class.label()),
            SiteClass::FusionGivenUp => self.paint("33", class.label()),
            SiteClass::FusionAcrossLabelCorrected => self.paint("32", class.label()),
            SiteClass::Reordered => self.paint("36", class.label()),
            SiteClass::ExpectedChange => self.paint("32", class.label()),
            SiteClass::Unexplained => self.paint("1;31", class.label()),
        }
    }
}

/// What the totals list item by item, gathered while the scripts are written.
#[derive(Default)]
struct Lists {
    unexplained: Vec<String>,
    given_up: Vec<String>,
    ir_different: Vec<String>,
}

/// The report: per script, per trace, then the totals and every unexplained item.
pub fn render(diff: &McodeDiff, colour: bool) -> String {
    let style = Style { colour };
    let mut out = String::new();
    let mut lists = Lists::default();
    for script in &diff.scripts {
        render_script(&mut out, &style, script, &mut lists);
    }
    render_totals(&mut out, &style, &diff.totals, &lists);
    out
}

fn render_script(out: &mut String, style: &Style, script: &ScriptDiff, lists: &mut Lists) {
    let _ = writeln!(
        out,
        "{}",
        style.paint("1", &format!("== {}", script.script))
    );
    let _ = writeln!(out, "   baseline: {}", script.baseline);
    let _ = writeln!(out, "   patched:  {}", script.patched);
    for why in &script.not_captured {
        if script.baseline_lost {
            let _ = writeln!(
                out,
                "   not compared, {why}; the patched build ran to the end, so the runs diverged"
            );
            continue;
        }
        let _ = writeln!(out, "   {}: {why}", style.verdict(false));
        lists.unexplained.push(format!("{}: {why}", script.script));
    }
    for trace in &script.traces {
        render_trace(out, style, &script.script, trace, lists);
    }
    for (name, found) in [
        (BASELINE, &script.equal_ldps_baseline),
        (PATCHED, &script.equal_ldps_patched),
    ] {
        for trace in found {
            let _ = writeln!(
                out,
                "   {name} {}: LDP with two equal destinations (CONSTRAINED UNPREDICTABLE): {}",
                trace.heading,
                trace.lines.join("; ")
            );
        }
    }
    out.push('\n');
}

fn render_trace(
    out: &mut String,
    style: &Style,
    script: &str,
    trace: &TraceResult,
    lists: &mut Lists,
) {
    let status = match trace.status {
        TraceStatus::Identical => "identical".to_owned(),
        TraceStatus::Different => {
            let plural = if trace.sites.len() == 1 { "" } else { "s" };
            format!("different, {} site{plural}", trace.sites.len())
        }
        TraceStatus::IrDifferent => "IR differs".to_owned(),
        TraceStatus::OnlyBaseline => "only on the baseline".to_owned(),
        TraceStatus::OnlyPatched => "only on the patched build".to_owned(),
    };
    if trace.status == TraceStatus::IrDifferent {
        lists
            .ir_different
            .push(format!("{script} {}", trace.heading));
    }
    let mut line = format!("   {}: {status}", trace.heading);
    if trace.status != TraceStatus::Identical {
        line.push_str(&format!(", {}", style.verdict(trace.explained)));
    }
    if let Some(note) = &trace.note {
        line.push_str(&format!(" ({note})"));
        if !trace.explained {
            lists
                .unexplained
                .push(format!("{script} {}: {note}", trace.heading));
        }
    }
    let _ = writeln!(out, "{line}");
    for diff_line in trace.diff.lines() {
        let _ = writeln!(out, "      {}", style.diff_line(diff_line));
    }
    for (index, site) in trace.sites.iter().enumerate() {
        let _ = writeln!(
            out,
            "      site {}, {}: {}",
            index + 1,
            style.class(site.class),
            site.reason
        );
        for line in &site_lines(site) {
            let _ = writeln!(out, "        {line}");
        }
        let listed = match site.class {
            SiteClass::FusionGivenUp => &mut lists.given_up,
            SiteClass::Unexplained => &mut lists.unexplained,
            SiteClass::MisfusionCorrected
            | SiteClass::FusionAcrossLabelCorrected
            | SiteClass::Reordered
            | SiteClass::ExpectedChange => continue,
        };
        listed.push(format!(
            "{script} trace {} site {}: {} | {}",
            trace.trace,
            index + 1,
            site.baseline.join("; "),
            site.patched.join("; ")
        ));
    }
}

fn render_totals(out: &mut String, style: &Style, t: &Totals, lists: &Lists) {
    let _ = writeln!(
        out,
        "{}",
        style.paint(
            "1",
            &format!(
                "summary: {} script{}, {} without a capture",
                t.scripts,
                if t.scripts == 1 { "" } else { "s" },
                t.not_captured
            )
        )
    );
    let _ = writeln!(
        out,
        "  traces: {} on the baseline, {} on the patched build",
        t.baseline_traces, t.patched_traces
    );
    let _ = writeln!(
        out,
        "  compared {}: {} identical, {} different, {} with different IR; {} only on the baseline, {} only on the patched build",
        t.compared, t.identical, t.different, t.ir_different, t.only_baseline, t.only_patched
    );
    let _ = writeln!(
        out,
        "  differing sites: {} ({} baseline mis-fusions corrected, {} legal fusions given up, {} same accesses reordered, {} unexplained)",
        t.sites, t.misfusions_corrected, t.fusions_given_up, t.reordered, t.unexplained_sites
    );
    let _ = writeln!(
        out,
        "  LDP with two equal destinations (CONSTRAINED UNPREDICTABLE): {}",
        t.equal_ldps("")
    );
    if !lists.given_up.is_empty() {
        let _ = writeln!(
            out,
            "legal fusions given up (the cost of the series): {}",
            lists.given_up.len()
        );
        for item in &lists.given_up {
            let _ = writeln!(out, "  {item}");
        }
    }
    if !lists.ir_different.is_empty() {
        let _ = writeln!(out, "IR differs (machine code not compared):");
        for item in &lists.ir_different {
            let _ = writeln!(out, "  {item}");
        }
    }
    if lists.unexplained.is_empty() {
        let _ = writeln!(out, "unexplained: none");
    } else {
        let _ = writeln!(
            out,
            "{}",
            style.paint("1;31", &format!("unexplained: {}", lists.unexplained.len()))
        );
        for item in &lists.unexplained {
            let _ = writeln!(out, "  {item}");
        }
    }
}

/// A site as two columns: `baseline: ...` then `patched:  ...`.
fn site_lines(site: &Site) -> Vec<String> {
    let mut lines = Vec::new();
    for (label, side) in [("baseline:", &site.baseline), ("patched: ", &site.patched)] {
        if side.is_empty() {
            lines.push(format!("{label} (nothing)"));
        }
        for (index, line) in side.iter().enumerate() {
            let label = if index == 0 { label } else { "         " };
            lines.push(format!("{label} {line}"));
        }
    }
    lines
}
