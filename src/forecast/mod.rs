//! Forecast methods behind one trait, for benchmarking which method to trust
//! for an indicator before a probability is put next to its target.
//!
//! A [`Method`] fits on a history of yearly levels (oldest first) and returns a
//! [`Fitted`] model; the fitted model forecasts `h` years past the last value
//! as a point and as a [`Predictive`] distribution of the level. Methods are
//! small types in their own files, as the growth models are:
//!
//! - [`PlanPath`]: the declared growth from the latest value;
//! - [`Naive`]: the last value (a random walk in levels);
//! - [`RandomWalkDrift`]: a random walk with drift in logs;
//! - [`Cagr`]: the historical compound average growth extrapolated;
//! - [`LogLinearTrend`]: a straight line through the logs by least squares;
//! - [`Ar1Growth`]: AR(1) on annual log growth;
//! - [`DampedHolt`]: damped-trend exponential smoothing of the logs;
//! - [`Simulated`]: the engine's own Monte Carlo simulation of a scenario
//!   calibrated on the history;
//! - [`Calibrated`]: pooled across the panel, with parameter uncertainty,
//!   changing drift, shocks and recalibration from its own past errors.
//!
//! For methods that work in logs the point forecast is the predictive median
//! (the growth path itself), not the log-normal mean: a plan's stated rate is a
//! median rate, and the median is the point that absolute-error scores reward.
//!
//! [`score`] holds the point, probabilistic and probability scores;
//! [`backtest`] runs rolling-origin evaluations and builds leaderboards;
//! [`synthetic`] generates series from known processes to test them against;
//! [`history`] turns reported values into yearly series.

use std::fmt::Debug;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::{Error, Problem, Result};

pub mod backtest;
pub mod history;
pub mod score;
pub mod synthetic;

pub mod calibrated;

mod ar1;
mod cagr;
mod damped;
mod drift;
mod mixture;
mod naive;
mod plan_path;
mod simulated;
mod trend;

pub use ar1::Ar1Growth;
pub use cagr::Cagr;
pub use calibrated::Calibrated;
pub use damped::DampedHolt;
pub use drift::RandomWalkDrift;
pub use mixture::Component;
pub use naive::Naive;
pub use plan_path::PlanPath;
pub use simulated::Simulated;
pub use trend::LogLinearTrend;

/// The methods this module ships, in leaderboard order: the one list that
/// [`standard_methods`], the CLI, the examples and the tests read. A new
/// method is a file, its variant here and its arm in [`MethodKind::standard`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MethodKind {
    /// [`PlanPath`].
    PlanPath,
    /// [`Naive`].
    Naive,
    /// [`RandomWalkDrift`].
    RandomWalkDrift,
    /// [`Cagr`].
    Cagr,
    /// [`LogLinearTrend`].
    LogLinearTrend,
    /// [`Ar1Growth`].
    Ar1Growth,
    /// [`DampedHolt`].
    DampedHolt,
    /// [`Simulated`].
    Simulated,
    /// [`Calibrated`].
    Calibrated,
}

impl MethodKind {
    /// Every method, in leaderboard order.
    pub const ALL: [MethodKind; 9] = [
        MethodKind::PlanPath,
        MethodKind::Naive,
        MethodKind::RandomWalkDrift,
        MethodKind::Cagr,
        MethodKind::LogLinearTrend,
        MethodKind::Ar1Growth,
        MethodKind::DampedHolt,
        MethodKind::Simulated,
        MethodKind::Calibrated,
    ];

    /// The method with its usual settings: the plan path at each series'
    /// declared growth ([`PlanPath::declared`]), CAGR over the whole window.
    /// `None` for [`Simulated`], which needs a model, paths, a seed and a
    /// horizon (and costs Monte Carlo paths).
    pub fn standard(self) -> Option<Box<dyn Method>> {
        match self {
            MethodKind::PlanPath => Some(Box::new(PlanPath::declared())),
            MethodKind::Naive => Some(Box::new(Naive)),
            MethodKind::RandomWalkDrift => Some(Box::new(RandomWalkDrift)),
            MethodKind::Cagr => Some(Box::new(Cagr::whole())),
            MethodKind::LogLinearTrend => Some(Box::new(LogLinearTrend)),
            MethodKind::Ar1Growth => Some(Box::new(Ar1Growth)),
            MethodKind::DampedHolt => Some(Box::new(DampedHolt)),
            MethodKind::Simulated => None,
            MethodKind::Calibrated => Some(Box::new(Calibrated::default())),
        }
    }
}

/// The closed-form methods with their usual settings, in leaderboard order
/// ([`MethodKind::standard`]). Add [`Simulated`] for the engine's own
/// simulation (its cost is Monte Carlo paths).
pub fn standard_methods() -> Vec<Box<dyn Method>> {
    MethodKind::ALL
        .into_iter()
        .filter_map(MethodKind::standard)
        .collect()
}

/// Predictive distribution of the level `h` years ahead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Predictive {
    /// Normal with this mean and standard deviation (`sd = 0` is a point mass).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation, `>= 0`.
        sd: f64,
    },
    /// Log-normal: `ln X ~ N(mu, sigma^2)` (`sigma = 0` is a point mass).
    LogNormal {
        /// Mean of the log level.
        mu: f64,
        /// Standard deviation of the log level, `>= 0`.
        sigma: f64,
    },
    /// Draws from the distribution (Monte Carlo), in any order.
    Samples(Vec<f64>),
    /// A finite mixture of log-normals (a scale mixture in logs: shock
    /// regimes, an uncertain spread), with a finite mean.
    LogNormalMixture(Vec<Component>),
}

/// Standard normal quantile of `p` in [0, 1]; NaN for any other `p`
/// (statrs panics there, and a NaN probability must not).
pub(crate) fn std_normal_quantile(p: f64) -> f64 {
    if (0.0..=1.0).contains(&p) {
        Normal::standard().inverse_cdf(p)
    } else {
        f64::NAN
    }
}

/// Standard normal CDF.
pub(crate) fn std_normal_cdf(x: f64) -> f64 {
    Normal::standard().cdf(x)
}

impl Predictive {
    /// Checks the parameters (finite, scale `>= 0`, at least one finite draw).
    pub fn validate(&self) -> Result<()> {
        let scale_ok = |name: &str, loc: f64, s: f64| {
            if !loc.is_finite() {
                Err(Error::parameter(
                    "predictive",
                    format!("location must be finite, got {loc}"),
                ))
            } else if !(s.is_finite() && s >= 0.0) {
                Err(Error::parameter(
                    "predictive",
                    format!("{name} must be finite and >= 0, got {s}"),
                ))
            } else {
                Ok(())
            }
        };
        match self {
            Predictive::Normal { mean, sd } => scale_ok("sd", *mean, *sd),
            Predictive::LogNormal { mu, sigma } => scale_ok("sigma", *mu, *sigma),
            Predictive::LogNormalMixture(cs) => mixture::validate(cs),
            Predictive::Samples(xs) => {
                if xs.is_empty() {
                    return Err(Error::parameter("predictive", "has no samples"));
                }
                match xs.iter().position(|v| !v.is_finite()) {
                    Some(k) => Err(Error::parameter(
                        "predictive",
                        format!("sample[{k}] must be finite, got {}", xs[k]),
                    )),
                    None => Ok(()),
                }
            }
        }
    }

    /// The `p`-quantile, `p` in (0, 1). Samples use linear interpolation
    /// between order statistics (R's type 7, NumPy's default).
    pub fn quantile(&self, p: f64) -> Result<f64> {
        if !(p > 0.0 && p < 1.0) {
            return Err(Error::parameter("p", Problem::out_of_range(p, "in (0, 1)")));
        }
        self.validate()?;
        Ok(match self {
            Predictive::Normal { mean, sd } => mean + sd * std_normal_quantile(p),
            Predictive::LogNormal { mu, sigma } => (mu + sigma * std_normal_quantile(p)).exp(),
            Predictive::LogNormalMixture(cs) => mixture::quantile(cs, p),
            Predictive::Samples(xs) => {
                let mut s = xs.clone();
                s.sort_by(f64::total_cmp);
                sorted_quantile(&s, p)
            }
        })
    }

    /// Several quantiles at once (samples are sorted once).
    pub fn quantiles(&self, ps: &[f64]) -> Result<Vec<f64>> {
        if let Predictive::Samples(xs) = self {
            self.validate()?;
            let mut s = xs.clone();
            s.sort_by(f64::total_cmp);
            ps.iter()
                .map(|&p| {
                    if p > 0.0 && p < 1.0 {
                        Ok(sorted_quantile(&s, p))
                    } else {
                        Err(Error::parameter("p", Problem::out_of_range(p, "in (0, 1)")))
                    }
                })
                .collect()
        } else if let Predictive::LogNormalMixture(cs) = self {
            self.validate()?;
            if let Some(&p) = ps.iter().find(|p| !(**p > 0.0 && **p < 1.0)) {
                return Err(Error::parameter("p", Problem::out_of_range(p, "in (0, 1)")));
            }
            Ok(mixture::quantiles(cs, ps))
        } else {
            ps.iter().map(|&p| self.quantile(p)).collect()
        }
    }

    /// `P(X <= x)` (the empirical CDF for samples).
    pub fn cdf(&self, x: f64) -> Result<f64> {
        self.validate()?;
        Ok(match self {
            Predictive::Normal { mean, sd } => {
                point_or(*sd, x >= *mean, || std_normal_cdf((x - mean) / sd))
            }
            Predictive::LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    0.0
                } else {
                    point_or(*sigma, x.ln() >= *mu, || {
                        std_normal_cdf((x.ln() - mu) / sigma)
                    })
                }
            }
            Predictive::LogNormalMixture(cs) => mixture::cdf(cs, x),
            Predictive::Samples(xs) => {
                xs.iter().filter(|&&v| v <= x).count() as f64 / xs.len() as f64
            }
        })
    }

    /// Probability that the level is at least `threshold` (a level target
    /// met), `1 - P(X < threshold)`; continuous forms ignore the boundary.
    pub fn prob_at_least(&self, threshold: f64) -> Result<f64> {
        if threshold.is_nan() {
            return Err(Error::parameter("threshold", "must not be NaN"));
        }
        self.validate()?;
        let at_least = |v: f64| if v >= threshold { 1.0 } else { 0.0 };
        Ok(match self {
            Predictive::Samples(xs) => {
                xs.iter().map(|&v| at_least(v)).sum::<f64>() / xs.len() as f64
            }
            // A point mass at the threshold meets it.
            Predictive::Normal { mean, sd: 0.0 } => at_least(*mean),
            Predictive::LogNormal { mu, sigma: 0.0 } => at_least(mu.exp()),
            _ => 1.0 - self.cdf(threshold)?,
        })
    }
}

/// A point mass's CDF when `scale` is 0, else the continuous one.
fn point_or(scale: f64, at_or_above: bool, f: impl FnOnce() -> f64) -> f64 {
    if scale == 0.0 {
        if at_or_above { 1.0 } else { 0.0 }
    } else {
        f()
    }
}

/// Type-7 quantile of sorted, non-empty `s`, `p` in (0, 1).
pub(crate) fn sorted_quantile(s: &[f64], p: f64) -> f64 {
    let h = (s.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(s.len() - 1);
    s[lo] + (h - lo as f64) * (s[hi] - s[lo])
}

/// One forecast: a point and the predictive distribution of the level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// Years past the last value of the history (1 = next year).
    pub horizon: usize,
    /// Point forecast of the level.
    pub point: f64,
    /// Predictive distribution of the level.
    pub predictive: Predictive,
}

/// A forecast method: fits on a history of yearly levels, oldest first.
pub trait Method: Debug + Send + Sync {
    /// Short stable name for tables (`"naive"`, `"rw_drift"`, ...).
    fn name(&self) -> String;

    /// Fewest values of history the method can fit on.
    fn min_history(&self) -> usize;

    /// Fits on `history`; a typed error when it is too short, not finite, or
    /// not positive where the method works in logs.
    fn fit(&self, history: &[f64]) -> Result<Box<dyn Fitted>>;

    /// The method as it applies to a series whose plan declares `growth_pct`
    /// a year (a backtest series' target growth), for methods that follow
    /// the declared growth ([`PlanPath`]); `None`, the default, for methods
    /// that ignore it.
    fn for_declared_growth(&self, _growth_pct: f64) -> Option<Box<dyn Method>> {
        None
    }

    /// The method fitted on a whole panel at once, for methods that learn
    /// across series or from their own past errors (a backtest calls it once
    /// and then asks the [`PanelFits`] for each series and origin);
    /// `horizons` is the largest horizon that will be asked for. `None`, the
    /// default, for methods that fit each series on its own with
    /// [`fit`](Self::fit).
    fn for_panel(
        &self,
        _panel: &[backtest::SeriesData],
        _horizons: usize,
    ) -> Option<Result<Box<dyn PanelFits>>> {
        None
    }
}

/// A method's fits on a panel ([`Method::for_panel`]).
pub trait PanelFits: Debug + Send + Sync {
    /// The fit for series `series` of the panel on its first `origin` values.
    /// It uses no value of any series dated after the year of that origin's
    /// last value ([`SeriesData::year`](backtest::SeriesData::year)): a
    /// backtest on it has no lookahead.
    fn fit(&self, series: usize, origin: usize) -> Result<Box<dyn Fitted>>;
}

/// A fitted method, ready to forecast.
pub trait Fitted: Debug + Send + Sync {
    /// Forecast `horizon` years past the last value (`horizon >= 1`).
    fn forecast(&self, horizon: usize) -> Result<Forecast>;

    /// Forecasts for horizons `1..=horizons`.
    fn forecasts(&self, horizons: usize) -> Result<Vec<Forecast>> {
        (1..=horizons).map(|h| self.forecast(h)).collect()
    }
}

/// The error for horizon 0.
pub(crate) fn check_horizon(horizon: usize) -> Result<f64> {
    // Some methods loop over the horizon: an absurd one is an error, not a hang.
    if horizon == 0 || horizon > MAX_HORIZON {
        Err(Error::parameter(
            "horizon",
            format!("must be between 1 and {MAX_HORIZON}, got {horizon}"),
        ))
    } else {
        Ok(horizon as f64)
    }
}

/// Most years ahead any method forecasts.
pub const MAX_HORIZON: usize = 1000;

/// Checks a history: at least `min` values, all finite, and all `> 0` when
/// `logs` (the method takes logarithms). Names the method and the value.
pub(crate) fn check_history(method: &str, history: &[f64], min: usize, logs: bool) -> Result<()> {
    if history.len() < min {
        return Err(Error::parameter(
            "history",
            format!(
                "{method} needs at least {min} values, got {}",
                history.len()
            ),
        ));
    }
    for (k, &v) in history.iter().enumerate() {
        if !v.is_finite() {
            return Err(Error::parameter(
                &format!("history[{k}]"),
                Problem::not_finite(v),
            ));
        }
        if logs && v <= 0.0 {
            return Err(Error::parameter(
                &format!("history[{k}]"),
                format!("must be > 0 for {method} (it works in logs), got {v}"),
            ));
        }
    }
    Ok(())
}

/// Annual log growth `ln(x_t / x_{t-1})` of a checked positive history.
pub(crate) fn log_growth(history: &[f64]) -> Vec<f64> {
    history
        .windows(2)
        .map(|w| crate::plan::growth::log_ratio(w[1], w[0]))
        .collect()
}

/// Mean of a non-empty slice.
pub(crate) fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample standard deviation (divisor `n - 1`), for `n >= 2`.
pub(crate) fn sample_sd(xs: &[f64]) -> f64 {
    let m = mean(xs);
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)).sqrt()
}

/// The forecast of a log-normal level: the median is the point.
pub(crate) fn log_normal_forecast(horizon: usize, mu: f64, sigma: f64) -> Result<Forecast> {
    let predictive = Predictive::LogNormal { mu, sigma };
    predictive.validate()?;
    let point = mu.exp();
    if !point.is_finite() {
        return Err(Error::NoSolution(format!(
            "the forecast {horizon} years ahead overflows (log level {mu})"
        )));
    }
    Ok(Forecast {
        horizon,
        point,
        predictive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_cdf() {
        let n = Predictive::Normal { mean: 1.0, sd: 2.0 };
        // 1 + 2 * 1.6448536269514722 (scipy.stats.norm.ppf(0.95))
        assert!((n.quantile(0.95).unwrap() - 4.289707253902944).abs() < 1e-12);
        assert!((n.cdf(1.0).unwrap() - 0.5).abs() < 1e-15);
        let ln = Predictive::LogNormal {
            mu: 0.0,
            sigma: 1.0,
        };
        // exp(1.6448536269514722)
        assert!((ln.quantile(0.95).unwrap() - 5.180251602233015).abs() < 1e-11);
        assert_eq!(ln.cdf(-1.0).unwrap(), 0.0);
        // Type 7 on 1..=5: p = 0.3 -> h = 1.2 -> 2 + 0.2 = 2.2.
        let s = Predictive::Samples(vec![5.0, 3.0, 1.0, 2.0, 4.0]);
        assert!((s.quantile(0.3).unwrap() - 2.2).abs() < 1e-15);
        assert_eq!(s.quantiles(&[0.5, 0.75]).unwrap(), vec![3.0, 4.0]);
        assert_eq!(s.cdf(2.5).unwrap(), 0.4);
        assert_eq!(s.prob_at_least(4.0).unwrap(), 0.4);
        // Point masses.
        let p = Predictive::Normal { mean: 3.0, sd: 0.0 };
        assert_eq!(p.quantile(0.1).unwrap(), 3.0);
        assert_eq!(p.cdf(2.9).unwrap(), 0.0);
        assert_eq!(p.prob_at_least(3.0).unwrap(), 1.0);
    }

    /// Every closed-form method, for the shared checks; the plan path at a
    /// fixed 6% (a bare history declares none).
    pub(crate) fn all_methods() -> Vec<Box<dyn Method>> {
        let fixed = |k: MethodKind| -> Option<Box<dyn Method>> {
            match k {
                MethodKind::PlanPath => Some(Box::new(PlanPath::new(6.0).unwrap())),
                other => other.standard(),
            }
        };
        MethodKind::ALL.into_iter().filter_map(fixed).collect()
    }

    #[test]
    fn the_standard_methods_follow_the_list() {
        let names: Vec<String> = standard_methods().iter().map(|m| m.name()).collect();
        assert_eq!(names.len(), 8);
        assert_eq!(
            (names[0].as_str(), names[7].as_str()),
            ("plan_path", "calibrated")
        );
        assert!(MethodKind::Simulated.standard().is_none());
        assert_eq!(all_methods().len(), MethodKind::ALL.len() - 1);
    }

    #[test]
    fn every_method_checks_its_input() {
        let good = [100.0, 104.0, 109.0, 112.0, 118.0, 125.0];
        for m in all_methods() {
            let name = m.name();
            let f = m.fit(&good).unwrap();
            let fc = f.forecasts(3).unwrap();
            assert_eq!(fc.len(), 3);
            assert!(fc.iter().all(|f| f.point.is_finite()), "{name}");
            assert!(f.forecast(0).is_err(), "{name}");
            assert!(f.forecast(usize::MAX).is_err(), "{name}");
            assert!(m.fit(&[]).is_err(), "{name}");
            assert!(m.fit(&good[..m.min_history() - 1]).is_err(), "{name}");
            assert!(m.fit(&good[..m.min_history()]).is_ok(), "{name}");
            let mut bad = good;
            bad[2] = f64::NAN;
            assert!(m.fit(&bad).is_err(), "{name}");
            bad[2] = -1.0;
            assert_eq!(m.fit(&bad).is_err(), name != "naive", "{name}");
        }
    }

    #[test]
    fn bad_predictives_are_errors() {
        assert!(Predictive::Samples(vec![]).quantile(0.5).is_err());
        assert!(Predictive::Samples(vec![1.0, f64::NAN]).cdf(0.0).is_err());
        assert!(
            Predictive::Normal {
                mean: 0.0,
                sd: -1.0
            }
            .quantile(0.5)
            .is_err()
        );
        let e = Predictive::Normal { mean: 0.0, sd: 1.0 }
            .quantile(1.0)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "parameter p: must be in (0, 1), got 1");
    }
}
