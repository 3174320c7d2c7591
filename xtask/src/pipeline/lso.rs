//! Presents the exhaustive emit_lso check: terminal output and what each
//! variant is expected to show.

use super::suite::outcome::{LsoClass, LsoReport};

pub fn print(name: &str, report: &LsoReport) {
    println!(
        "\nemit_lso on {name}: {} inputs checked in {:.1} s, {} fused correctly",
        report.cases,
        report.millis as f64 / 1000.0,
        report.fused
    );
    if report.defects.is_empty() {
        println!("  no defects");
    }
    for class in &report.defects {
        print_class("defect", class);
    }
    for class in &report.hazards {
        print_class("hazard", class);
    }
    if report.missed_fusions.count > 0 {
        print_class("info", &report.missed_fusions);
    }
}

fn print_class(label: &str, class: &LsoClass) {
    let upstream = class
        .upstream
        .as_deref()
        .map(|u| format!(" ({u})"))
        .unwrap_or_default();
    println!(
        "  {label}: {}{upstream}: {} inputs",
        class.class, class.count
    );
    for example in &class.examples {
        println!("      {example}");
    }
}

/// For each upstream defect a tree carries, whether the check reported a
/// defect class tied to that issue (the checker tags classes with the
/// upstream issue whose defect they are).
pub fn carried_shown(report: &LsoReport, carried: &[String]) -> Vec<(String, bool)> {
    carried
        .iter()
        .map(|issue| {
            (
                issue.clone(),
                report
                    .defects
                    .iter()
                    .any(|c| c.upstream.as_deref() == Some(issue) && c.count > 0),
            )
        })
        .collect()
}
