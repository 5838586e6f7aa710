//! `attain`: planning targets, compound growth and the probability that a plan's
//! targets are met.

pub mod attainment;
pub mod consistency;
pub mod correlation;
pub mod engine;
pub mod error;
pub mod goal;
pub mod growth;
pub mod kernel;
pub mod model;
pub mod normal;
pub mod plan;
pub mod progress;
pub mod quantile;
pub mod scenario;
pub mod target;

pub use error::{Error, Result};
pub use plan::{Attribute, Indicator, Plan, Series, StatedGrowth};
pub use progress::{Progress, progress, progress_cumulative, progress_growth};
pub use target::{Direction, Milestone, PathBlock, Rule, Target};
