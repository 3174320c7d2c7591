//! What the exhaustive check reports and over which domain: the contract
//! between the checker and everything that runs it or reads its results.

use serde::{Deserialize, Serialize};

/// Which offsets to cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    /// Every offset every kind accepts.
    Full,
    /// Offsets in [-264, 520]: every S9 offset, both ends of the positive
    /// imm7 range, and the pairs that alias across 512 bytes. For quick runs
    /// and for testing the checker itself.
    Window,
}

impl Domain {
    pub(crate) fn covers(self, offset: i64) -> bool {
        match self {
            Domain::Full => true,
            Domain::Window => (-264..=520).contains(&offset),
        }
    }

    /// The name on command lines and in reports: `full` or `window`.
    pub fn name(self) -> &'static str {
        match self {
            Domain::Full => "full",
            Domain::Window => "window",
        }
    }
}

impl std::str::FromStr for Domain {
    type Err = String;

    fn from_str(text: &str) -> Result<Domain, String> {
        match text {
            "full" => Ok(Domain::Full),
            "window" => Ok(Domain::Window),
            other => Err(format!("the domain is `full` or `window`, not `{other}`")),
        }
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The exhaustive check of emit_lso on one build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LsoReport {
    /// Calls of emit_lso made, one per input.
    pub cases: u64,
    /// Inputs that were fused into one LDP/STP with the right effect,
    /// not counting those in `never_given`.
    pub fused: u64,
    /// Wrong results, by class. Empty when the emitter is right everywhere.
    pub defects: Vec<LsoClass>,
    /// Results the architecture leaves CONSTRAINED UNPREDICTABLE for inputs
    /// whose first access is dead (two loads into one register): kept apart
    /// from the defects because they need such a caller to matter.
    pub hazards: Vec<LsoClass>,
    /// Legal pairs left as two instructions: information, not a defect.
    /// Pairs whose neighbour no caller gives are in `never_given` instead.
    pub missed_fusions: LsoClass,
    /// Legal pairs whose neighbour is in the LDUR/STUR form at an aligned,
    /// non-negative offset: emit_lso writes such an access in the LDR/STR
    /// form, so it never sees this word as its neighbour. Counted apart so
    /// that a tree that stops fusing them does not read as losing fusions.
    #[serde(default)]
    pub never_given: NeverGiven,
    pub millis: u64,
}

/// The legal pairs of inputs no caller gives emit_lso, by what it did with them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NeverGiven {
    /// Fused into one LDP/STP with the right effect.
    pub fused: u64,
    /// Left as two instructions.
    pub unfused: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LsoClass {
    pub class: String,
    /// The upstream issue whose defect falls in this class, if any.
    pub upstream: Option<String>,
    pub count: u64,
    /// Up to three decoded counterexamples.
    pub examples: Vec<String>,
}
