//! Simulation: a [`Scenario`] says how the future may unfold, the
//! [`Engine`] draws many futures of a plan under it and judges every target
//! on each, and [`Attainment`] holds what it found.
//!
//! Inside, the flow is one way: [`scenario`] and [`model`] (with
//! [`correlation`]) describe the paths; the path simulator (`paths`, private)
//! draws them in chunks from their own random streams (`rng`) through the
//! vectorised `kernel`, `normal` and `quantile` numerics; the judge (`judge`,
//! private) applies the plan's compiled [`crate::Rule`]s to each block and
//! keeps tallies; [`engine`] composes the two and [`attainment`] is the
//! result. [`goal`] asks the engine backwards: what growth meets a target
//! with a given probability.

pub mod attainment;
pub mod correlation;
pub mod engine;
pub mod goal;
pub(crate) mod judge;
pub(crate) mod kernel;
pub mod model;
pub(crate) mod normal;
pub(crate) mod paths;
pub(crate) mod quantile;
pub mod reference_class;
pub(crate) mod rng;
pub mod scenario;
pub mod source;

pub use attainment::Attainment;
pub use engine::{Engine, RunOptions};
pub use reference_class::ReferenceClass;
pub use scenario::Scenario;
pub use source::Source;
