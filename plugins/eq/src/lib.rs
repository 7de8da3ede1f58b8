//! Glasswork EQ (work in progress: parameters).
#![warn(missing_docs)]
pub mod params;
