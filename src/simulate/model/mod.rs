//! Growth models: how an indicator's yearly values evolve from a start.
//!
//! Like `rand_distr`'s distributions, each model is one small type in its own
//! file behind one trait, [`GrowthModel`]. A model turns standard normal shocks
//! `z` (one per path and year, already correlated across indicators by the
//! path simulator) into yearly values, so correlation reaches every model the same way:
//! non-normal models map `z` through their quantile function (a Gaussian copula).
//! Randomness a model needs beyond `z` (shock occurrences, say) comes from the
//! chunk's own RNG stream, so results stay reproducible.
//!
//! Models have private fields, checked constructors and getters, and load
//! through their constructor (`serde(try_from)`), so every value is valid;
//! [`ModelSpec`] is the closed set a scenario file can name.

use std::fmt::Debug;

/// Mean annual log growth of a median growth in percent: `ln(1 + pct/100)`.
pub fn log_mean(growth_pct: f64) -> f64 {
    (growth_pct / 100.0).ln_1p()
}

/// A median growth in percent moved by `delta` in log terms (goal seek).
pub(crate) fn shifted_pct(growth_pct: f64, delta: f64) -> f64 {
    100.0 * (log_mean(growth_pct) + delta).exp_m1()
}

pub use crate::simulate::rng::SimRng;

/// Keeps a moved model only if `check` still passes, else restores `before`:
/// goal seek and stress move parameters, and must not leave an invalid model.
fn keep_if_valid<M>(m: &mut M, before: M, check: fn(&M) -> crate::error::Result<()>) -> bool {
    if check(m).is_ok() {
        true
    } else {
        *m = before;
        false
    }
}

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
    /// Returns false, leaving the model as it was, when the model has no such
    /// parameter or the moved one would be invalid.
    fn shift_growth(&mut self, _delta: f64) -> bool {
        false
    }

    /// Multiplies the model's volatility by `factor` (for goal seek and stress).
    /// Returns false, leaving the model as it was, when the model has no such
    /// parameter or the moved one would be invalid.
    fn scale_volatility(&mut self, _factor: f64) -> bool {
        false
    }
}

/// The goal-seek methods of a model with a median growth `growth_pct` and
/// volatility fields `$vol` (each scaled by the factor; none: the model has
/// no volatility to scale), written once: the
/// median growth, its shift in log terms and the volatility's scaling, each
/// move refused and undone when the model's `check` fails.
macro_rules! median_growth_moves {
    () => {
        fn growth_pct(&self) -> Option<f64> {
            Some(self.growth_pct)
        }

        fn shift_growth(&mut self, delta: f64) -> bool {
            let before = self.clone();
            self.growth_pct = super::shifted_pct(self.growth_pct, delta);
            super::keep_if_valid(self, before, Self::check)
        }
    };
    ($($vol:ident),+) => {
        super::median_growth_moves!();

        fn scale_volatility(&mut self, factor: f64) -> bool {
            let before = self.clone();
            $(self.$vol *= factor;)+
            super::keep_if_valid(self, before, Self::check)
        }
    };
}
use median_growth_moves;

mod ar1;
mod bootstrap;
mod counts;
mod deterministic;
mod log_normal;
mod logit;
mod marginals;
mod shock;
mod student_t;
mod two_piece;
mod uncertain;
pub use ar1::Ar1;
pub use bootstrap::Bootstrap;
pub use counts::{NegativeBinomial, Poisson};
pub use deterministic::Deterministic;
pub use log_normal::LogNormal;
pub use logit::{Logit, drift_to_reach};
pub use marginals::Marginals;
pub use shock::ShockMixture;
pub use student_t::StudentT;
pub use two_piece::TwoPiece;
pub use uncertain::UncertainMean;

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
    /// I.i.d. Student-t annual log growth (fat tails).
    StudentT(StudentT),
    /// I.i.d. two-piece normal annual log growth (skewed risk).
    TwoPiece(TwoPiece),
    /// Resampled observed annual growth (i.i.d. or moving blocks).
    Bootstrap(Bootstrap),
    /// Normal annual log growth plus occasional shock years.
    ShockMixture(ShockMixture),
    /// A share or rate in (0, upper) as a random walk of its logit.
    Logit(Logit),
    /// Poisson yearly counts (a flow).
    Poisson(Poisson),
    /// Negative binomial yearly counts (a flow).
    NegativeBinomial(NegativeBinomial),
    /// Log-normal growth whose mean is drawn once per path (parameter uncertainty).
    UncertainMean(UncertainMean),
    /// Given distributions of the log change at each horizon (a calibrated
    /// forecast, a reference class), joined by a random-walk copula.
    Marginals(Marginals),
}

/// `$body` with `$m` bound to the model inside any [`ModelSpec`]: the one
/// list of variants that dispatch reads.
macro_rules! each_model {
    ($spec:expr, $m:ident => $body:expr) => {
        match $spec {
            ModelSpec::Deterministic($m) => $body,
            ModelSpec::LogNormal($m) => $body,
            ModelSpec::Ar1($m) => $body,
            ModelSpec::StudentT($m) => $body,
            ModelSpec::TwoPiece($m) => $body,
            ModelSpec::Bootstrap($m) => $body,
            ModelSpec::ShockMixture($m) => $body,
            ModelSpec::Logit($m) => $body,
            ModelSpec::Poisson($m) => $body,
            ModelSpec::NegativeBinomial($m) => $body,
            ModelSpec::UncertainMean($m) => $body,
            ModelSpec::Marginals($m) => $body,
        }
    };
}

impl ModelSpec {
    fn inner(&self) -> &dyn GrowthModel {
        each_model!(self, m => m)
    }
    fn inner_mut(&mut self) -> &mut dyn GrowthModel {
        each_model!(self, m => m)
    }
    /// Whether the model simulates yearly flows that need no start level.
    pub fn is_flow(&self) -> bool {
        matches!(self, ModelSpec::Poisson(_) | ModelSpec::NegativeBinomial(_))
    }

    /// Whether simulating draws from the chunk's stream (besides the
    /// normals it is given): such draws come after every series' normals, so
    /// a chunk with such a model cannot be simulated in groups of series.
    pub(crate) fn draws_from_stream(&self) -> bool {
        matches!(
            self,
            ModelSpec::ShockMixture(_) | ModelSpec::UncertainMean(_)
        )
    }
}

impl GrowthModel for ModelSpec {
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

/// Helpers shared by the models' statistical tests.
#[cfg(test)]
pub(crate) mod testutil {
    use super::{GrowthModel, SimRng, Start};
    use crate::simulate::normal::NormalStream;
    use rand::SeedableRng;

    /// `n` standard normals from a fixed seed.
    pub fn normals(seed: u64, n: usize) -> Vec<f64> {
        let mut rng = SimRng::seed_from_u64(seed);
        let mut z = vec![0.0; n];
        NormalStream::new(&mut rng).fill(&mut rng, &mut z);
        z
    }

    /// Simulates `paths x years` from level 1 with shocks from `seed` and
    /// returns every path's annual log growths (`years * paths` values).
    pub fn log_growths(m: &dyn GrowthModel, seed: u64, paths: usize, years: usize) -> Vec<f64> {
        let z = normals(seed, paths * years);
        let mut rng = SimRng::seed_from_u64(seed ^ 0x5eed);
        let mut out = vec![0.0; paths * years];
        m.simulate(Start::at(1.0), &z, paths, &mut rng, &mut out);
        let mut g = Vec::with_capacity(out.len());
        for t in 0..years {
            for p in 0..paths {
                let prev = if t == 0 {
                    1.0
                } else {
                    out[(t - 1) * paths + p]
                };
                g.push((out[t * paths + p] / prev).ln());
            }
        }
        g
    }

    /// Sample mean, variance (divisor n) and fourth central moment.
    pub fn moments(xs: &[f64]) -> (f64, f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        let m4 = xs.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
        (mean, var, m4)
    }

    /// Asserts that the sample mean and variance of `xs` agree with `mean` and
    /// `var` within 4.5 standard errors (the variance's from the sample's
    /// fourth moment).
    pub fn assert_moments(xs: &[f64], mean: f64, var: f64) {
        let n = xs.len() as f64;
        let (m, v, m4) = moments(xs);
        let se_m = (var / n).sqrt();
        let se_v = ((m4 - v * v) / n).sqrt();
        assert!(
            (m - mean).abs() < 4.5 * se_m,
            "mean {m} vs {mean} (se {se_m})"
        );
        assert!(
            (v - var).abs() < 4.5 * se_v,
            "variance {v} vs {var} (se {se_v})"
        );
    }
}
