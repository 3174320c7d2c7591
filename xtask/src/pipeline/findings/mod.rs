//! The findings store: every difference any run found, one entry per
//! defect, kept across runs and machines, each matched to a known defect.
