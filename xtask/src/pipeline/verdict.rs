//! The verdicts every command ends in, written once: what a command found
//! (for the exit status), whether a tree's checks are clean, and what each
//! upstream issue's evidence says.

/// What a command found, for the exit status.
pub enum Conclusion {
    /// Exit 0: everything held.
    Sound,
    /// Exit 1: the command ran and found defects (or the verdict did not hold).
    Defects,
}
