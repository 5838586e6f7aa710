//! Calibration from history: model parameters, their standard errors and the
//! cross-indicator correlation, estimated from yearly series.
//!
//! Everything works on annual log growth `g_t = ln(x_t / x_{t-1})` (or
//! `ln(1 + r_t)` for a history of growth rates). Each estimate comes with its
//! standard error and its sample length, so a report can say how much the
//! history supports it. Plan histories are short (often 10 to 20 years), so the
//! estimators are the plain, robust ones:
//!
//! - mean and standard deviation of log growth ([`LogGrowthFit`]);
//! - AR(1) persistence by least squares ([`Ar1Fit`]), clamped inside (-1, 1);
//! - Student-t location, scale and degrees of freedom by maximum likelihood
//!   ([`StudentTFit`]), with the degrees of freedom bounded;
//! - shock probability and size from flagged years ([`ShockFit`]);
//! - the correlation of log growth across series, shrunk toward the identity
//!   ([`shrink_correlation`]), always a valid [`Correlation`].
//!
//! [`Calibration`] bundles the fits of one series and builds models from them;
//! [`scenario_from`] builds a [`Scenario`] and reports what it used.
//! [`calibrated_scenario`] builds one from a whole panel of histories with
//! the `calibrated` forecasting model (what `attain calibrate` and
//! `--history` run), and [`reference_class`] learns the plan-only
//! baseline's spread from real panels.
//!
//! One concept per file: `history` (the input series), `log_growth`, `ar1`,
//! `student_t` and `shock` (one estimator each), `series` (a series' bundle of
//! fits and the ones it skipped, told by [`OptionalFit`]), `shrinkage` (the
//! correlation) and `scenario` (models from the fits); `history_scenario`
//! (a scenario from the calibrated model) and `reference_class` (the
//! plan-only baseline's spread). A new estimator is a new file here plus its
//! field in [`Calibration`].

use std::collections::{BTreeMap, BTreeSet};

use nalgebra::{DMatrix, Matrix2};
use statrs::function::gamma::ln_gamma;

use crate::error::{Error, Problem, Result};
use crate::simulate::correlation::{Correlation, CorrelationRows, Repair};
use crate::simulate::model::{Ar1, LogNormal, ModelSpec, ShockMixture, StudentT, UncertainMean};
use crate::simulate::scenario::{CorrelationSpec, Scenario, Shock};

/// Fewest years of log growth for a mean and standard deviation.
pub const MIN_YEARS: usize = 2;
/// Fewest years of log growth for an AR(1) fit: three lagged pairs leave one
/// residual degree of freedom after the intercept and slope.
pub const MIN_AR1_YEARS: usize = 4;
/// Fewest years of log growth for a Student-t fit; with fewer the tail shape is
/// not identified at all.
pub const MIN_T_YEARS: usize = 10;
/// Largest persistence a fitted AR(1) gets: least squares on short samples can
/// land on or beyond +-1 (a unit root or an explosive process); the estimate is
/// clamped into `[-PHI_MAX, PHI_MAX]`, a margin of 0.02 inside (-1, 1).
pub const PHI_MAX: f64 = 0.98;
/// Floor on the Student-t degrees of freedom: above 2 the variance is finite.
pub const DF_MIN: f64 = 2.1;
/// Cap on the Student-t degrees of freedom: beyond 200 the t is a normal for
/// any sample a plan has, and the likelihood is flat.
pub const DF_MAX: f64 = 200.0;
/// Least shrinkage toward the identity: it keeps the smallest eigenvalue of
/// the estimated correlation at or above this, so the matrix is positive
/// definite even with fewer years than series.
pub const SHRINK_FLOOR: f64 = 0.02;
/// Fewest aligned years for the Schäfer-Strimmer intensity; with fewer the
/// fixed-weight rule applies (the variance of each sample correlation cannot
/// be estimated from three or four products).
pub const MIN_SHRINK_YEARS: usize = 5;

mod ar1;
mod history;
mod history_scenario;
mod log_growth;
pub mod reference_class;
mod scenario;
mod series;
mod shock;
mod shrinkage;
pub(crate) mod student_t;
#[cfg(test)]
mod tests;

pub use ar1::Ar1Fit;
pub use history::{History, HistoryMeasure, log_growth_of_levels, log_growth_of_rates};
pub use history_scenario::{
    DEFAULT_HORIZONS, HistoryScenario, PanelUse, SeriesCalibration, Uncalibrated,
    calibrated_scenario,
};
pub use log_growth::LogGrowthFit;
pub use scenario::{CalibratedScenario, ModelChoice, UsedModel, scenario_from};
pub use series::{Calibration, OptionalFit, Skipped};
pub use shock::ShockFit;
pub use shrinkage::{CorrelationFit, ShrinkageRule, correlation, shrink_correlation};
pub use student_t::{DfBound, StudentTFit};

fn values(g: &[(i32, f64)]) -> Vec<f64> {
    g.iter().map(|&(_, v)| v).collect()
}

fn too_short(id: &str, what: &str, need: usize, got: usize) -> Error {
    Error::indicator(
        id,
        "history",
        format!("needs at least {need} years of log growth for {what}, got {got}"),
    )
}

fn check_finite(id: &str, g: &[f64]) -> Result<()> {
    match g.iter().position(|v| !v.is_finite()) {
        Some(k) => Err(Error::indicator(
            id,
            &format!("log_growth[{k}]"),
            Problem::not_finite(g[k]),
        )),
        None => Ok(()),
    }
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample standard deviation (divisor `n - 1`); needs two values.
fn sample_sd(xs: &[f64]) -> f64 {
    let m = mean(xs);
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)).sqrt()
}

/// Whether `xs` (finite) do not vary beyond rounding: their spread is within
/// 1e-12 of their magnitude (a sum of equal values need not divide back exactly).
fn is_constant(xs: &[f64]) -> bool {
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    hi - lo <= 1e-12 * lo.abs().max(hi.abs())
}

/// Median annual growth in percent for a mean log growth.
fn pct(mu: f64) -> f64 {
    100.0 * mu.exp_m1()
}
