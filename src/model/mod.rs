//! Growth models: how an indicator's yearly values evolve from a start.
//!
//! Like `rand_distr`'s distributions, each model is one small type in its own
//! file behind one trait, [`GrowthModel`]. A model turns standard normal shocks
//! `z` (one per path and year, already correlated across indicators by the
//! engine) into yearly values, so correlation reaches every model the same way:
//! non-normal models map `z` through their quantile function (a Gaussian copula).
//! Randomness a model needs beyond `z` (shock occurrences, say) comes from the
//! chunk's own RNG stream, so results stay reproducible.
//!
//! Models are plain serde structs with checked constructors; [`ModelSpec`] is
//! the closed set a scenario file can name.

use std::fmt::Debug;

use crate::error::Result;

/// The random number generator each chunk of paths owns. Xoshiro256++ is a
/// fixed, documented algorithm, so the same seed gives the same numbers on every
/// platform and crate version.
pub type SimRng = rand::rngs::Xoshiro256PlusPlus;

/// Where a path starts: the level in the start year and, for persistent models,
/// the log growth of the year that ended there.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Start {
    /// Level in the start year (the base year, or the year of the latest actual).
    pub level: f64,
    /// Log growth of the start year itself (`ln(x_0 / x_{-1})`), when known.
    pub last_log_growth: Option<f64>,
}

impl Start {
    /// A start at `level` with no growth history.
    pub fn at(level: f64) -> Self {
        Start {
            level,
            last_log_growth: None,
        }
    }
}

/// A model of one indicator's yearly values.
pub trait GrowthModel: Debug + Send + Sync {
    /// Checks the parameters, naming the offending one.
    fn validate(&self) -> Result<()>;

    /// Simulates `paths` paths of `years` years from `start`.
    ///
    /// `z` and `out` are laid out `[year][path]` (`years * paths` values, year
    /// index 0 being the first simulated year). `z` holds standard normal shocks;
    /// `out` receives the simulated values.
    fn simulate(&self, start: Start, z: &[f64], paths: usize, rng: &mut SimRng, out: &mut [f64]);

    /// Mean and standard deviation of the log level after `years` years, where
    /// the log level is exactly normal (log-normal and Gaussian AR(1) models).
    fn log_level_normal(&self, _start: Start, _years: usize) -> Option<(f64, f64)> {
        None
    }

    /// The model's central (median) annual growth in percent, where it has one.
    fn growth_pct(&self) -> Option<f64> {
        None
    }

    /// Shifts the model's central annual log growth by `delta` (for goal seek).
    /// Returns false when the model has no such parameter.
    fn shift_growth(&mut self, _delta: f64) -> bool {
        false
    }

    /// Multiplies the model's volatility by `factor` (for goal seek and stress).
    /// Returns false when the model has no such parameter.
    fn scale_volatility(&mut self, _factor: f64) -> bool {
        false
    }
}

mod ar1;
mod deterministic;
mod log_normal;
pub use ar1::Ar1;
pub use deterministic::Deterministic;
pub use log_normal::LogNormal;

/// The closed set of models a scenario file can name.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum ModelSpec {
    /// The plan path itself, without randomness.
    Deterministic(Deterministic),
    /// I.i.d. normal annual log growth.
    LogNormal(LogNormal),
    /// AR(1) annual log growth.
    Ar1(Ar1),
}

impl ModelSpec {
    fn inner(&self) -> &dyn GrowthModel {
        match self {
            ModelSpec::Deterministic(m) => m,
            ModelSpec::LogNormal(m) => m,
            ModelSpec::Ar1(m) => m,
        }
    }
    fn inner_mut(&mut self) -> &mut dyn GrowthModel {
        match self {
            ModelSpec::Deterministic(m) => m,
            ModelSpec::LogNormal(m) => m,
            ModelSpec::Ar1(m) => m,
        }
    }
    /// Whether the model simulates yearly flows that need no start level.
    pub fn is_flow(&self) -> bool {
        false
    }
}

impl GrowthModel for ModelSpec {
    fn validate(&self) -> Result<()> {
        self.inner().validate()
    }
    fn simulate(&self, start: Start, z: &[f64], paths: usize, rng: &mut SimRng, out: &mut [f64]) {
        self.inner().simulate(start, z, paths, rng, out)
    }
    fn log_level_normal(&self, start: Start, years: usize) -> Option<(f64, f64)> {
        self.inner().log_level_normal(start, years)
    }
    fn growth_pct(&self) -> Option<f64> {
        self.inner().growth_pct()
    }
    fn shift_growth(&mut self, delta: f64) -> bool {
        self.inner_mut().shift_growth(delta)
    }
    fn scale_volatility(&mut self, factor: f64) -> bool {
        self.inner_mut().scale_volatility(factor)
    }
}
