//! Regression ranges: which published tree (and upstream commit) brought a
//! defect in, and which took it out.
