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

use std::collections::{BTreeMap, BTreeSet};

use nalgebra::{DMatrix, Matrix2};
use serde::{Deserialize, Serialize};
use statrs::function::gamma::ln_gamma;

use crate::correlation::{Correlation, CorrelationRows, Repair};
use crate::error::{Error, Result};
use crate::model::{Ar1, LogNormal, ModelSpec, ShockMixture, StudentT, UncertainMean};
use crate::scenario::{CorrelationSpec, Scenario, Shock};

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
/// Fewest aligned years for the Ledoit-Wolf intensity; with fewer the
/// fixed-weight rule applies (the variance of each sample correlation cannot
/// be estimated from three or four products).
pub const MIN_LW_YEARS: usize = 5;

/// What a history's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Levels, positive (GDP in 亿元).
    Levels,
    /// Annual growth rates as fractions (0.07 for 7%), each > -1.
    GrowthRates,
}

/// One series' yearly history: a value per listed year, possibly with gaps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Series id (names the series in errors).
    pub id: String,
    /// What the values are.
    pub measure: Measure,
    /// Years, strictly increasing.
    pub years: Vec<i32>,
    /// One value per year.
    pub values: Vec<f64>,
}

impl History {
    /// Levels for consecutive years from `first_year`.
    pub fn levels(id: &str, first_year: i32, levels: &[f64]) -> Self {
        Self::consecutive(id, Measure::Levels, first_year, levels)
    }

    /// Growth rates (fractions) for consecutive years from `first_year`.
    pub fn growth_rates(id: &str, first_year: i32, rates: &[f64]) -> Self {
        Self::consecutive(id, Measure::GrowthRates, first_year, rates)
    }

    fn consecutive(id: &str, measure: Measure, first_year: i32, values: &[f64]) -> Self {
        History {
            id: id.to_string(),
            measure,
            years: (0..values.len()).map(|k| first_year + k as i32).collect(),
            values: values.to_vec(),
        }
    }

    /// Annual log growth by year. For levels, year `y` has growth only when
    /// year `y - 1` has a level too: a gap drops the growth of the year after
    /// it rather than spreading a multi-year change over the missing years.
    pub fn log_growth(&self) -> Result<Vec<(i32, f64)>> {
        let id = &self.id;
        if self.years.len() != self.values.len() {
            return Err(Error::indicator(
                id,
                "history",
                format!(
                    "has {} years but {} values",
                    self.years.len(),
                    self.values.len()
                ),
            ));
        }
        for w in self.years.windows(2) {
            if w[1] <= w[0] {
                return Err(Error::indicator(
                    id,
                    "history.years",
                    format!("must be strictly increasing, got {} after {}", w[1], w[0]),
                ));
            }
        }
        for (&y, &v) in self.years.iter().zip(&self.values) {
            let ok = match self.measure {
                Measure::Levels => v.is_finite() && v > 0.0,
                Measure::GrowthRates => v.is_finite() && v > -1.0,
            };
            if !ok {
                let (what, rule) = match self.measure {
                    Measure::Levels => ("level", "> 0"),
                    Measure::GrowthRates => ("growth rate", "finite and > -1"),
                };
                return Err(Error::indicator(
                    id,
                    &format!("history[{y}]"),
                    format!("{what} must be {rule}, got {v}"),
                ));
            }
        }
        Ok(match self.measure {
            Measure::Levels => self
                .years
                .windows(2)
                .zip(self.values.windows(2))
                .filter(|(y, _)| y[1] == y[0] + 1)
                .map(|(y, v)| (y[1], (v[1] / v[0]).ln()))
                .collect(),
            Measure::GrowthRates => self
                .years
                .iter()
                .zip(&self.values)
                .map(|(&y, &r)| (y, r.ln_1p()))
                .collect(),
        })
    }
}

/// Annual log growth of consecutive yearly levels (each > 0).
pub fn log_growth_of_levels(id: &str, levels: &[f64]) -> Result<Vec<f64>> {
    Ok(values(&History::levels(id, 0, levels).log_growth()?))
}

/// Annual log growth `ln(1 + r)` of growth rates given as fractions (each > -1).
pub fn log_growth_of_rates(id: &str, rates: &[f64]) -> Result<Vec<f64>> {
    Ok(values(&History::growth_rates(id, 0, rates).log_growth()?))
}

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
            format!("must be finite, got {}", g[k]),
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

/// Mean and standard deviation of annual log growth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogGrowthFit {
    /// Mean annual log growth.
    pub mean: f64,
    /// Its standard error, `sd / sqrt(n)` (i.i.d. years).
    pub mean_se: f64,
    /// Sample standard deviation (divisor `n - 1`).
    pub sd: f64,
    /// Its approximate standard error under normality, `sd / sqrt(2 (n - 1))`.
    pub sd_se: f64,
    /// Years of log growth used.
    pub n: usize,
}

impl LogGrowthFit {
    /// Estimates from annual log growth `g` of series `id`.
    pub fn estimate(id: &str, g: &[f64]) -> Result<Self> {
        check_finite(id, g)?;
        if g.len() < MIN_YEARS {
            return Err(too_short(id, "a mean and sd", MIN_YEARS, g.len()));
        }
        let n = g.len();
        let sd = sample_sd(g);
        Ok(LogGrowthFit {
            mean: mean(g),
            mean_se: sd / (n as f64).sqrt(),
            sd,
            sd_se: sd / (2.0 * (n as f64 - 1.0)).sqrt(),
            n,
        })
    }

    /// Median annual growth in percent, `100 (exp(mean) - 1)`.
    pub fn growth_pct(&self) -> f64 {
        pct(self.mean)
    }

    /// The log-normal model at the estimates.
    pub fn to_log_normal(&self) -> Result<LogNormal> {
        LogNormal::new(self.growth_pct(), self.sd)
    }

    /// The log-normal model with the mean drawn per path from its sampling
    /// distribution `N(mean, mean_se^2)`.
    pub fn to_uncertain_mean(&self) -> Result<UncertainMean> {
        UncertainMean::new(self.growth_pct(), self.sd, self.mean_se)
    }
}

/// AR(1) fit of annual log growth: `g_t = a + phi g_{t-1} + e_t`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ar1Fit {
    /// Mean annual log growth: the sample mean of all years (more stable than
    /// `a / (1 - phi)` when `phi` is near 1).
    pub mean: f64,
    /// Its standard error allowing for persistence, `sd / ((1 - phi) sqrt(n))`
    /// (the long-run standard deviation over `sqrt(n)`, with the clamped `phi`).
    pub mean_se: f64,
    /// Persistence, clamped into `[-PHI_MAX, PHI_MAX]`.
    pub phi: f64,
    /// Standard error of the least-squares slope.
    pub phi_se: f64,
    /// The least-squares slope before clamping.
    pub phi_ols: f64,
    /// Whether the slope was clamped.
    pub clamped: bool,
    /// Standard deviation of the innovations (residual divisor `pairs - 2`).
    pub sd: f64,
    /// Lagged pairs in the regression.
    pub pairs: usize,
    /// Years of log growth.
    pub n: usize,
}

impl Ar1Fit {
    /// Estimates from annual log growth `g` of consecutive years.
    pub fn estimate(id: &str, g: &[f64]) -> Result<Self> {
        let dated: Vec<(i32, f64)> = g.iter().enumerate().map(|(k, &v)| (k as i32, v)).collect();
        Self::estimate_dated(id, &dated)
    }

    /// Estimates from dated log growth; only pairs of consecutive years enter
    /// the regression (a gap breaks the lag), every year enters the mean.
    pub fn estimate_dated(id: &str, g: &[(i32, f64)]) -> Result<Self> {
        check_finite(id, &values(g))?;
        if g.len() < MIN_AR1_YEARS {
            return Err(too_short(id, "an AR(1) fit", MIN_AR1_YEARS, g.len()));
        }
        let (x, y): (Vec<f64>, Vec<f64>) = g
            .windows(2)
            .filter(|w| w[1].0 == w[0].0 + 1)
            .map(|w| (w[0].1, w[1].1))
            .unzip();
        let m = x.len();
        if m < MIN_AR1_YEARS - 1 {
            return Err(Error::indicator(
                id,
                "history",
                format!(
                    "needs at least {} pairs of consecutive years for an AR(1) fit, got {m}",
                    MIN_AR1_YEARS - 1
                ),
            ));
        }
        let (xm, ym) = (mean(&x), mean(&y));
        let sxx: f64 = x.iter().map(|v| (v - xm).powi(2)).sum();
        let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - xm) * (b - ym)).sum();
        if is_constant(&x) {
            return Err(Error::indicator(
                id,
                "history",
                "log growth is constant: the AR(1) coefficient is not identified",
            ));
        }
        let phi_ols = sxy / sxx;
        let a = ym - phi_ols * xm;
        let rss: f64 = x
            .iter()
            .zip(&y)
            .map(|(xi, yi)| (yi - a - phi_ols * xi).powi(2))
            .sum();
        let sd = (rss / (m as f64 - 2.0)).sqrt();
        let phi = phi_ols.clamp(-PHI_MAX, PHI_MAX);
        let n = g.len();
        Ok(Ar1Fit {
            mean: mean(&values(g)),
            mean_se: sd / ((1.0 - phi) * (n as f64).sqrt()),
            phi,
            phi_se: sd / sxx.sqrt(),
            phi_ols,
            clamped: phi != phi_ols,
            sd,
            pairs: m,
            n,
        })
    }

    /// Median annual growth in percent, `100 (exp(mean) - 1)`.
    pub fn growth_pct(&self) -> f64 {
        pct(self.mean)
    }

    /// The AR(1) model at the estimates.
    pub fn to_ar1(&self) -> Result<Ar1> {
        Ar1::new(self.growth_pct(), self.phi, self.sd)
    }
}

/// Which bound of the degrees of freedom the likelihood ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DfBound {
    /// [`DF_MIN`]: tails at least this heavy.
    Floor,
    /// [`DF_MAX`]: no evidence of heavy tails; effectively normal.
    Cap,
}

/// Student-t fit of annual log growth by maximum likelihood:
/// `g = location + scale T_df`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentTFit {
    /// Location (the median of annual log growth).
    pub location: f64,
    /// Its standard error.
    pub location_se: f64,
    /// Scale (the standard deviation is `scale sqrt(df / (df - 2))`).
    pub scale: f64,
    /// Its standard error.
    pub scale_se: f64,
    /// Degrees of freedom, in `[DF_MIN, DF_MAX]`.
    pub df: f64,
    /// Its standard error; `None` when the estimate sits on a bound.
    pub df_se: Option<f64>,
    /// The bound the estimate sits on, if any.
    pub bound: Option<DfBound>,
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// Years of log growth used.
    pub n: usize,
}

/// Log-likelihood of a Student-t sample.
fn t_loglik(g: &[f64], loc: f64, scale: f64, df: f64) -> f64 {
    let n = g.len() as f64;
    let c = ln_gamma(0.5 * (df + 1.0))
        - ln_gamma(0.5 * df)
        - 0.5 * (df * std::f64::consts::PI).ln()
        - scale.ln();
    let s: f64 = g
        .iter()
        .map(|x| ((x - loc) / scale).powi(2) / df)
        .map(f64::ln_1p)
        .sum();
    n * c - 0.5 * (df + 1.0) * s
}

/// Location and scale maximising the likelihood at fixed `df`, by the EM
/// iteration (reweighted mean and variance); it increases the likelihood at
/// every step, so it cannot diverge. Starts from `(loc, scale)`.
fn t_em(g: &[f64], df: f64, mut loc: f64, mut scale: f64) -> (f64, f64) {
    let n = g.len() as f64;
    for _ in 0..2_000 {
        let (mut sw, mut swx) = (0.0, 0.0);
        let ws: Vec<f64> = g
            .iter()
            .map(|x| (df + 1.0) / (df + ((x - loc) / scale).powi(2)))
            .collect();
        for (w, x) in ws.iter().zip(g) {
            sw += w;
            swx += w * x;
        }
        let new_loc = swx / sw;
        let var: f64 = ws
            .iter()
            .zip(g)
            .map(|(w, x)| w * (x - new_loc).powi(2))
            .sum::<f64>()
            / n;
        let new_scale = var.sqrt();
        if !(new_scale > 0.0 && new_loc.is_finite()) {
            break;
        }
        let done =
            (new_loc - loc).abs() <= 1e-13 * scale && (new_scale / scale - 1.0).abs() < 1e-12;
        loc = new_loc;
        scale = new_scale;
        if done {
            break;
        }
    }
    (loc, scale)
}

/// Trigamma function, by the recurrence up to 6 and the asymptotic series
/// (absolute error below 1e-9).
fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 6.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    acc + 1.0 / x
        + 0.5 * x2
        + x2 / x * (1.0 / 6.0 - x2 * (1.0 / 30.0 - x2 * (1.0 / 42.0 - x2 / 30.0)))
}

impl StudentTFit {
    /// Estimates by maximum likelihood. The degrees of freedom are searched on
    /// a log grid over `[DF_MIN, DF_MAX]` and refined by golden section, with
    /// location and scale profiled out by EM at each trial value; standard
    /// errors come from the expected Fisher information (Lange, Little and
    /// Taylor 1989), with `df` held fixed when it sits on a bound.
    pub fn estimate(id: &str, g: &[f64]) -> Result<Self> {
        check_finite(id, g)?;
        let n = g.len();
        if n < MIN_T_YEARS {
            return Err(too_short(id, "a Student-t fit", MIN_T_YEARS, n));
        }
        let sd = sample_sd(g);
        if is_constant(g) {
            return Err(Error::indicator(
                id,
                "history",
                "log growth is constant: the Student-t scale is not identified",
            ));
        }
        let start = (mean(g), sd);
        let profile = |ln_df: f64| -> (f64, f64, f64) {
            let df = ln_df.exp();
            let (loc, scale) = t_em(g, df, start.0, start.1);
            (t_loglik(g, loc, scale, df), loc, scale)
        };
        let (lo, hi) = (DF_MIN.ln(), DF_MAX.ln());
        const GRID: usize = 24;
        let grid: Vec<f64> = (0..=GRID)
            .map(|k| lo + (hi - lo) * k as f64 / GRID as f64)
            .collect();
        let best = grid
            .iter()
            .map(|&x| profile(x).0)
            .enumerate()
            .fold(
                (0, f64::NEG_INFINITY),
                |b, (k, v)| if v > b.1 { (k, v) } else { b },
            )
            .0;
        // Golden section on the two grid cells around the best point.
        let (mut a, mut b) = (grid[best.saturating_sub(1)], grid[(best + 1).min(GRID)]);
        let r = 0.5 * (5f64.sqrt() - 1.0);
        let (mut c, mut d) = (b - r * (b - a), a + r * (b - a));
        let (mut fc, mut fd) = (profile(c).0, profile(d).0);
        while b - a > 1e-7 {
            if fc >= fd {
                b = d;
                d = c;
                fd = fc;
                c = b - r * (b - a);
                fc = profile(c).0;
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + r * (b - a);
                fd = profile(d).0;
            }
        }
        let mut ln_df = 0.5 * (a + b);
        // The ends of the range are candidates too (golden section never
        // evaluates them exactly).
        for end in [lo, hi] {
            if profile(end).0 >= profile(ln_df).0 {
                ln_df = end;
            }
        }
        let bound = if ln_df - lo < 1e-4 {
            ln_df = lo;
            Some(DfBound::Floor)
        } else if hi - ln_df < 1e-4 {
            ln_df = hi;
            Some(DfBound::Cap)
        } else {
            None
        };
        let df = match bound {
            Some(DfBound::Floor) => DF_MIN,
            Some(DfBound::Cap) => DF_MAX,
            None => ln_df.exp(),
        };
        let (log_likelihood, location, scale) = profile(df.ln());
        // Expected information per observation.
        let s2 = scale * scale;
        let i_ll = (df + 1.0) / ((df + 3.0) * s2);
        let i_ss = 2.0 * df / ((df + 3.0) * s2);
        let i_sd = -2.0 / ((df + 1.0) * (df + 3.0) * scale);
        let i_dd = 0.25 * (trigamma(0.5 * df) - trigamma(0.5 * (df + 1.0)))
            - (df + 5.0) / (2.0 * df * (df + 1.0) * (df + 3.0));
        let nf = n as f64;
        let location_se = (1.0 / (nf * i_ll)).sqrt();
        let (scale_se, df_se) = match bound {
            Some(_) => ((1.0 / (nf * i_ss)).sqrt(), None),
            None => {
                let info = Matrix2::new(i_ss, i_sd, i_sd, i_dd) * nf;
                match info.try_inverse() {
                    Some(inv) if inv[(0, 0)] > 0.0 && inv[(1, 1)] > 0.0 => {
                        (inv[(0, 0)].sqrt(), Some(inv[(1, 1)].sqrt()))
                    }
                    _ => ((1.0 / (nf * i_ss)).sqrt(), None),
                }
            }
        };
        Ok(StudentTFit {
            location,
            location_se,
            scale,
            scale_se,
            df,
            df_se,
            bound,
            log_likelihood,
            n,
        })
    }

    /// Standard deviation of annual log growth implied by the fit.
    pub fn sd(&self) -> f64 {
        self.scale * (self.df / (self.df - 2.0)).sqrt()
    }

    /// The Student-t model at the estimates (median growth from the location).
    pub fn to_student_t(&self) -> Result<StudentT> {
        StudentT::new(pct(self.location), self.scale, self.df)
    }
}

/// Shock probability and size from flagged years.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShockFit {
    /// Share of years flagged, `flagged / n`.
    pub probability: f64,
    /// Its binomial standard error, `sqrt(p (1 - p) / n)`.
    pub probability_se: f64,
    /// Mean log growth of the unflagged (normal) years.
    pub normal_mean: f64,
    /// Mean deviation of log growth in flagged years from `normal_mean`.
    pub size: f64,
    /// Standard error of `size`, `sqrt(sd_f^2 / k + sd_u^2 / (n - k))`;
    /// `None` with fewer than two flagged or two normal years.
    pub size_se: Option<f64>,
    /// Standard deviation of the deviations across flagged years; `None` with
    /// fewer than two.
    pub size_sd: Option<f64>,
    /// Flagged years found in the history.
    pub flagged: usize,
    /// Years of log growth.
    pub n: usize,
}

impl ShockFit {
    /// Estimates from dated log growth and the flagged years (each must be a
    /// year with log growth).
    pub fn estimate(id: &str, g: &[(i32, f64)], flagged_years: &[i32]) -> Result<Self> {
        check_finite(id, &values(g))?;
        let flagged: BTreeSet<i32> = flagged_years.iter().copied().collect();
        if let Some(y) = flagged.iter().find(|y| !g.iter().any(|p| p.0 == **y)) {
            return Err(Error::indicator(
                id,
                "shock_years",
                format!("names {y}, a year without log growth in the history"),
            ));
        }
        let hit: Vec<f64> = g
            .iter()
            .filter(|p| flagged.contains(&p.0))
            .map(|p| p.1)
            .collect();
        let normal: Vec<f64> = g
            .iter()
            .filter(|p| !flagged.contains(&p.0))
            .map(|p| p.1)
            .collect();
        let (k, n) = (hit.len(), g.len());
        if k == 0 {
            return Err(Error::indicator(id, "shock_years", "names no year"));
        }
        if normal.is_empty() {
            return Err(Error::indicator(
                id,
                "shock_years",
                "flags every year: there is no normal year to measure the shock against",
            ));
        }
        let normal_mean = mean(&normal);
        let dev: Vec<f64> = hit.iter().map(|v| v - normal_mean).collect();
        let size_sd = (k >= 2).then(|| sample_sd(&dev));
        let size_se = match size_sd {
            Some(sf) if normal.len() >= 2 => {
                let su = sample_sd(&normal);
                Some((sf * sf / k as f64 + su * su / normal.len() as f64).sqrt())
            }
            _ => None,
        };
        let p = k as f64 / n as f64;
        Ok(ShockFit {
            probability: p,
            probability_se: (p * (1.0 - p) / n as f64).sqrt(),
            normal_mean,
            size: mean(&dev),
            size_se,
            size_sd,
            flagged: k,
            n,
        })
    }

    /// The shock's impact on the level in percent, `100 (exp(size) - 1)`.
    pub fn impact_pct(&self) -> f64 {
        pct(self.size)
    }

    /// A scenario shock for series `id` hitting in `year` with the estimated
    /// probability and impact.
    pub fn to_shock(&self, id: &str, year: i32) -> Shock {
        Shock {
            name: format!("{id} shock ({:.0}% of years)", 100.0 * self.probability),
            year,
            probability: self.probability,
            impact_pct: 0.0,
            impacts_pct: BTreeMap::from([(id.to_string(), self.impact_pct())]),
        }
    }
}

/// Every fit of one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Series id.
    pub id: String,
    /// First and last year with log growth.
    pub years: (i32, i32),
    /// Mean and sd of log growth (normal years only when shocks are flagged).
    pub log_growth: LogGrowthFit,
    /// AR(1) fit, when the history is long enough.
    pub ar1: Option<Ar1Fit>,
    /// Student-t fit, when the history is long enough.
    pub student_t: Option<StudentTFit>,
    /// Shock fit, when shock years were flagged.
    pub shocks: Option<ShockFit>,
    /// Why an optional fit is missing.
    pub skipped: Vec<String>,
}

impl Calibration {
    /// Fits a history. With `shock_years` flagged, the shock fit uses them and
    /// the other fits use only the normal years (so a scenario with both the
    /// model and the shock does not count the bad years twice); the AR(1)
    /// regression then uses only consecutive normal years.
    pub fn estimate(history: &History, shock_years: &[i32]) -> Result<Self> {
        let id = history.id.as_str();
        let dated = history.log_growth()?;
        let (first, last) = match (dated.first(), dated.last()) {
            (Some(a), Some(b)) => (a.0, b.0),
            _ => return Err(too_short(id, "a mean and sd", MIN_YEARS, 0)),
        };
        let shocks = if shock_years.is_empty() {
            None
        } else {
            Some(ShockFit::estimate(id, &dated, shock_years)?)
        };
        let normal: Vec<(i32, f64)> = dated
            .iter()
            .copied()
            .filter(|p| !shock_years.contains(&p.0))
            .collect();
        let g = values(&normal);
        let log_growth = LogGrowthFit::estimate(id, &g)?;
        let mut skipped = Vec::new();
        let ar1 = Ar1Fit::estimate_dated(id, &normal)
            .map_err(|e| skipped.push(format!("ar1: {e}")))
            .ok();
        let student_t = StudentTFit::estimate(id, &g)
            .map_err(|e| skipped.push(format!("student_t: {e}")))
            .ok();
        Ok(Calibration {
            id: id.to_string(),
            years: (first, last),
            log_growth,
            ar1,
            student_t,
            shocks,
            skipped,
        })
    }

    /// Fits consecutive yearly levels (no year labels, no shocks).
    pub fn from_levels(id: &str, levels: &[f64]) -> Result<Self> {
        Self::estimate(&History::levels(id, 0, levels), &[])
    }

    /// The log-normal model at the estimates.
    pub fn to_log_normal(&self) -> Result<LogNormal> {
        self.log_growth.to_log_normal()
    }

    /// The AR(1) model at the estimates; an error naming the series when the
    /// history was too short for the fit.
    pub fn to_ar1(&self) -> Result<Ar1> {
        match &self.ar1 {
            Some(f) => f.to_ar1(),
            None => Err(self.missing("ar1")),
        }
    }

    /// The log-normal model with the mean drawn per path from `N(mean, mean_se^2)`.
    pub fn to_uncertain_mean(&self) -> Result<UncertainMean> {
        self.log_growth.to_uncertain_mean()
    }

    /// The Student-t model at the estimates; an error naming the series when
    /// the history was too short for the fit.
    pub fn to_student_t(&self) -> Result<StudentT> {
        match &self.student_t {
            Some(f) => f.to_student_t(),
            None => Err(self.missing("student_t")),
        }
    }

    /// The shock-mixture model: normal years from the log-growth fit, shocks
    /// from the shock fit (`shock_sd` 0 with a single flagged year); an error
    /// when no shock years were flagged.
    pub fn to_shock_mixture(&self) -> Result<ShockMixture> {
        match &self.shocks {
            Some(f) => ShockMixture::new(
                self.log_growth.growth_pct(),
                self.log_growth.sd,
                f.probability,
                f.size,
                f.size_sd.unwrap_or(0.0),
            ),
            None => Err(Error::indicator(
                &self.id,
                "shocks",
                "were not estimated: no shock years were flagged",
            )),
        }
    }

    fn missing(&self, fit: &str) -> Error {
        let why = self
            .skipped
            .iter()
            .find(|s| s.starts_with(fit))
            .map_or("", |s| s.as_str());
        Error::indicator(&self.id, fit, format!("was not estimated: {why}"))
    }
}

/// How a shrunk correlation's intensity was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShrinkageRule {
    /// Ledoit-Wolf optimal intensity for the correlation matrix of standardized
    /// series (Schäfer and Strimmer 2005, target D), at least [`SHRINK_FLOOR`].
    LedoitWolf,
    /// Fewer than [`MIN_LW_YEARS`] years: fixed weight `p / (p + T)` on the
    /// identity for `p` series and `T` years, at least [`SHRINK_FLOOR`].
    FixedWeight,
    /// Fewer than two years: no correlation can be estimated; the identity.
    Identity,
}

/// A correlation of log growth estimated from co-moving histories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrelationFit {
    /// The shrunk correlation, always valid and positive definite.
    pub correlation: Correlation,
    /// The sample correlation before shrinkage (zero off the diagonal for a
    /// series that does not vary).
    pub sample: CorrelationRows,
    /// Aligned years used (empty when given a bare matrix).
    pub years: Vec<i32>,
    /// Number of aligned years.
    pub n_years: usize,
    /// Weight on the identity, in `[SHRINK_FLOOR, 1]`.
    pub intensity: f64,
    /// The Ledoit-Wolf optimal intensity before the floor, when computed.
    pub optimal_intensity: Option<f64>,
    /// How the intensity was chosen.
    pub rule: ShrinkageRule,
    /// A repair to the nearest correlation matrix, if rounding made one
    /// necessary (not expected).
    pub repair: Option<Repair>,
}

/// Correlation of log growth across histories, on the years where every series
/// has log growth (listwise: a year with a gap in any series is dropped, so the
/// sample matrix is a Gram matrix and positive semi-definite; pairwise deletion
/// would not guarantee that), shrunk toward the identity.
pub fn correlation(histories: &[History]) -> Result<CorrelationFit> {
    let mut seen = BTreeSet::new();
    for h in histories {
        if !seen.insert(h.id.as_str()) {
            return Err(Error::indicator(
                &h.id,
                "id",
                "appears twice among the histories",
            ));
        }
    }
    let growth: Vec<BTreeMap<i32, f64>> = histories
        .iter()
        .map(|h| h.log_growth().map(|g| g.into_iter().collect()))
        .collect::<Result<_>>()?;
    let years: Vec<i32> = match growth.first() {
        Some(first) => first
            .keys()
            .copied()
            .filter(|y| growth.iter().all(|g| g.contains_key(y)))
            .collect(),
        None => Vec::new(),
    };
    let data = DMatrix::from_fn(years.len(), growth.len(), |t, i| growth[i][&years[t]]);
    let ids = histories.iter().map(|h| h.id.clone()).collect();
    let mut fit = shrink_correlation(ids, &data)?;
    fit.years = years;
    Ok(fit)
}

/// Shrunk correlation of the columns of `data` (`T` years by `p` series,
/// aligned, finite): `(1 - w) R + w I` for the sample correlation `R` and the
/// intensity `w` of [`ShrinkageRule`]. Since `R` is positive semi-definite and
/// `w >= SHRINK_FLOOR`, the result's smallest eigenvalue is at least
/// `SHRINK_FLOOR`, whatever `T` and `p`.
pub fn shrink_correlation(ids: Vec<String>, data: &DMatrix<f64>) -> Result<CorrelationFit> {
    let (t, p) = (data.nrows(), data.ncols());
    if ids.len() != p {
        return Err(Error::parameter(
            "correlation",
            format!("{} ids for {p} series", ids.len()),
        ));
    }
    for i in 0..p {
        for s in 0..t {
            let v = data[(s, i)];
            if !v.is_finite() {
                return Err(Error::indicator(
                    &ids[i],
                    &format!("log_growth[{s}]"),
                    format!("must be finite, got {v}"),
                ));
            }
        }
    }
    // Standardize: centre, divide by the largest deviation first (no overflow
    // for any finite input), then by the root sum of squares. A column that
    // does not vary stays zero and correlates with nothing.
    let mut x = DMatrix::<f64>::zeros(t, p);
    for i in 0..p {
        let col = data.column(i);
        let m = col.mean();
        let dev: Vec<f64> = col.iter().map(|v| v - m).collect();
        let big = dev.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if big > 0.0 && t >= 2 {
            let ss: f64 = dev.iter().map(|v| (v / big).powi(2)).sum();
            // Unit variance with divisor t - 1.
            let scale = ((t as f64 - 1.0) / ss).sqrt() / big;
            for s in 0..t {
                x[(s, i)] = dev[s] * scale;
            }
        }
    }
    let tf = t as f64;
    let mut r = DMatrix::<f64>::identity(p, p);
    let (mut var_sum, mut r2_sum) = (0.0, 0.0);
    for i in 0..p {
        for j in i + 1..p {
            let w: Vec<f64> = (0..t).map(|s| x[(s, i)] * x[(s, j)]).collect();
            let wbar = if t > 0 {
                w.iter().sum::<f64>() / tf
            } else {
                0.0
            };
            let rij = if t >= 2 {
                (tf / (tf - 1.0) * wbar).clamp(-1.0, 1.0)
            } else {
                0.0
            };
            r[(i, j)] = rij;
            r[(j, i)] = rij;
            if t >= 2 {
                let v: f64 = w.iter().map(|wi| (wi - wbar).powi(2)).sum();
                var_sum += tf / (tf - 1.0).powi(3) * v;
            }
            r2_sum += rij * rij;
        }
    }
    let pf = p as f64;
    let (rule, optimal, intensity) = if t < 2 {
        (ShrinkageRule::Identity, None, 1.0)
    } else if t < MIN_LW_YEARS {
        (
            ShrinkageRule::FixedWeight,
            None,
            (pf / (pf + tf)).max(SHRINK_FLOOR),
        )
    } else {
        let opt = if r2_sum > 0.0 {
            (var_sum / r2_sum).clamp(0.0, 1.0)
        } else {
            1.0
        };
        (ShrinkageRule::LedoitWolf, Some(opt), opt.max(SHRINK_FLOOR))
    };
    let shrunk = DMatrix::from_fn(p, p, |i, j| {
        if i == j {
            1.0
        } else {
            (1.0 - intensity) * r[(i, j)]
        }
    });
    let (correlation, repair) = match Correlation::new(ids.clone(), shrunk.clone()) {
        Ok(c) => (c, None),
        Err(_) => {
            let (c, rep) = Correlation::nearest(ids.clone(), shrunk)?;
            (c, Some(rep))
        }
    };
    Ok(CorrelationFit {
        correlation,
        sample: CorrelationRows {
            ids,
            rows: (0..p)
                .map(|i| (0..p).map(|j| r[(i, j)]).collect())
                .collect(),
        },
        years: Vec::new(),
        n_years: t,
        intensity,
        optimal_intensity: optimal,
        rule,
        repair,
    })
}

/// Which model a scenario built from calibrations uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelChoice {
    /// [`LogNormal`] at the mean and sd of log growth.
    LogNormal,
    /// [`Ar1`]; series too short for the fit fall back to [`LogNormal`].
    Ar1,
    /// [`UncertainMean`]: log-normal with the mean drawn per path.
    UncertainMean,
    /// [`StudentT`]; series too short for the fit fall back to [`LogNormal`].
    StudentT,
    /// [`ShockMixture`]; series without flagged shock years fall back to
    /// [`LogNormal`].
    ShockMixture,
}

/// The model one series got in a scenario built from calibrations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsedModel {
    /// Series id.
    pub id: String,
    /// The model.
    pub model: ModelSpec,
    /// Why the requested model was replaced, if it was.
    pub fallback: Option<String>,
    /// The calibration it came from (estimates, standard errors, sample length).
    pub calibration: Calibration,
}

/// A scenario built from calibrations, with what went into it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibratedScenario {
    /// The scenario: a model per calibrated series and the correlation.
    pub scenario: Scenario,
    /// The model each series got.
    pub used: Vec<UsedModel>,
    /// The estimated correlation, if one was given.
    pub correlation: Option<CorrelationFit>,
}

/// The log-normal model in place of `wanted`, with the reason.
fn fallback(c: &Calibration, wanted: &str, e: Error) -> Result<(ModelSpec, Option<String>)> {
    Ok((
        ModelSpec::LogNormal(c.to_log_normal()?),
        Some(format!("log-normal instead of {wanted}: {e}")),
    ))
}

/// Builds scenario `name` with a `choice` model for every calibrated series and
/// the estimated correlation (which need not cover every series: the others
/// stay independent). Shock fits are reported in the calibrations but not
/// turned into scenario shocks, which need a plan year ([`ShockFit::to_shock`]).
pub fn scenario_from(
    name: &str,
    calibrations: &[Calibration],
    choice: ModelChoice,
    correlation: Option<CorrelationFit>,
) -> Result<CalibratedScenario> {
    let mut scenario = Scenario::named(name);
    let mut used = Vec::with_capacity(calibrations.len());
    for c in calibrations {
        if scenario.models.contains_key(&c.id) {
            return Err(Error::indicator(&c.id, "id", "is calibrated twice"));
        }
        let (model, fallback) = match choice {
            ModelChoice::LogNormal => (ModelSpec::LogNormal(c.to_log_normal()?), None),
            ModelChoice::UncertainMean => (ModelSpec::UncertainMean(c.to_uncertain_mean()?), None),
            ModelChoice::Ar1 => match c.to_ar1() {
                Ok(m) => (ModelSpec::Ar1(m), None),
                Err(e) => fallback(c, "AR(1)", e)?,
            },
            ModelChoice::StudentT => match c.to_student_t() {
                Ok(m) => (ModelSpec::StudentT(m), None),
                Err(e) => fallback(c, "Student-t", e)?,
            },
            ModelChoice::ShockMixture => match c.to_shock_mixture() {
                Ok(m) => (ModelSpec::ShockMixture(m), None),
                Err(e) => fallback(c, "shock mixture", e)?,
            },
        };
        scenario.models.insert(c.id.clone(), model.clone());
        used.push(UsedModel {
            id: c.id.clone(),
            model,
            fallback,
            calibration: c.clone(),
        });
    }
    if let Some(fit) = &correlation {
        let rows = CorrelationRows::from(fit.correlation.clone());
        scenario.correlation = Some(CorrelationSpec {
            ids: rows.ids,
            rows: rows.rows,
            repair: false,
        });
    }
    Ok(CalibratedScenario {
        scenario,
        used,
        correlation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GrowthModel, SimRng};
    use crate::normal::NormalStream;
    use rand::{RngExt, SeedableRng};

    fn normals(seed: u64, n: usize) -> Vec<f64> {
        let mut rng = SimRng::seed_from_u64(seed);
        let mut z = vec![0.0; n];
        NormalStream::new(&mut rng).fill(&mut rng, &mut z);
        z
    }

    /// Levels from 100 with i.i.d. normal log growth.
    fn log_normal_levels(seed: u64, n: usize, mu: f64, sd: f64) -> Vec<f64> {
        let mut x = 100.0f64;
        let mut out = vec![x];
        for z in normals(seed, n) {
            x *= (mu + sd * z).exp();
            out.push(x);
        }
        out
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    // The small history used for exact values, with numpy's results:
    // g = diff(log([100, 108, 115, 125, 130, 141])).
    const LEVELS: [f64; 6] = [100.0, 108.0, 115.0, 125.0, 130.0, 141.0];

    #[test]
    fn log_growth_fit_matches_numpy() {
        // numpy: mean 0.06871794087801533, sd (ddof 1) 0.018333761184994635,
        // se 0.00819910725857902, sd_se 0.006481963429282209.
        let g = log_growth_of_levels("gdp", &LEVELS).unwrap();
        assert!(close(g[0], 0.076_961_041_136_128_12, 1e-15));
        let f = LogGrowthFit::estimate("gdp", &g).unwrap();
        assert_eq!(f.n, 5);
        assert!(close(f.mean, 0.068_717_940_878_015_33, 1e-15), "{}", f.mean);
        assert!(close(f.sd, 0.018_333_761_184_994_635, 1e-15), "{}", f.sd);
        assert!(close(f.mean_se, 0.008_199_107_258_579_02, 1e-15));
        assert!(close(f.sd_se, 0.006_481_963_429_282_209, 1e-15));
        let m = f.to_log_normal().unwrap();
        // 100 (exp(0.068717940878) - 1) = 7.113394...
        assert!(close(
            m.growth_pct,
            100.0 * 0.068_717_940_878_015_33f64.exp_m1(),
            1e-12
        ));
        assert!(close(m.growth_pct, 7.113_4, 1e-4), "{}", m.growth_pct);
        let u = f.to_uncertain_mean().unwrap();
        assert_eq!(
            (u.growth_pct, u.sd, u.mean_se),
            (m.growth_pct, f.sd, f.mean_se)
        );
        // Rates give the same log growth.
        let rates: Vec<f64> = g.iter().map(|v| v.exp_m1()).collect();
        let h = log_growth_of_rates("gdp", &rates).unwrap();
        assert!(h.iter().zip(&g).all(|(a, b)| close(*a, *b, 1e-15)));
    }

    #[test]
    fn ar1_matches_numpy() {
        // numpy.polyfit(g[:-1], g[1:], 1): phi -0.8379658701988008,
        // residual sd (divisor 2) 0.01504637126679312, phi se 0.4438939908868277,
        // mean se s / ((1 - phi) sqrt 5) = 0.00366108092786401.
        let g = log_growth_of_levels("gdp", &LEVELS).unwrap();
        let f = Ar1Fit::estimate("gdp", &g).unwrap();
        assert!(close(f.phi, -0.837_965_870_198_800_8, 1e-12), "{}", f.phi);
        assert!(!f.clamped && f.phi == f.phi_ols);
        assert!(close(f.sd, 0.015_046_371_266_793_12, 1e-12), "{}", f.sd);
        assert!(
            close(f.phi_se, 0.443_893_990_886_827_7, 1e-12),
            "{}",
            f.phi_se
        );
        assert!(close(f.mean_se, 0.003_661_080_927_864_01, 1e-12));
        assert!(close(f.mean, 0.068_717_940_878_015_33, 1e-15));
        assert_eq!((f.pairs, f.n), (4, 5));
        let m = f.to_ar1().unwrap();
        assert_eq!(m.phi, f.phi);
    }

    #[test]
    fn ar1_clamps_an_explosive_slope() {
        // Doubling growth: slope 2 exactly on the pairs.
        let g = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32];
        let f = Ar1Fit::estimate("x", &g).unwrap();
        assert!(close(f.phi_ols, 2.0, 1e-12), "{}", f.phi_ols);
        assert!(f.clamped && f.phi == PHI_MAX);
        assert!(f.to_ar1().is_ok());
    }

    #[test]
    fn ar1_uses_only_consecutive_pairs() {
        // A gap between 2003 and 2005 removes the (2003, 2005) pair.
        let g = [
            (2000, 0.05),
            (2001, 0.06),
            (2002, 0.04),
            (2003, 0.07),
            (2005, 0.02),
            (2006, 0.05),
        ];
        let f = Ar1Fit::estimate_dated("x", &g).unwrap();
        assert_eq!((f.pairs, f.n), (4, 6));
    }

    #[test]
    fn recovers_log_normal_parameters() {
        let (mu, sd) = (0.07, 0.05);
        let levels = log_normal_levels(3, 3_000, mu, sd);
        let f = LogGrowthFit::estimate("x", &log_growth_of_levels("x", &levels).unwrap()).unwrap();
        assert!(
            (f.mean - mu).abs() < 4.5 * f.mean_se,
            "{} ± {}",
            f.mean,
            f.mean_se
        );
        assert!((f.sd - sd).abs() < 4.5 * f.sd_se, "{} ± {}", f.sd, f.sd_se);
        assert!(f.mean_se < 0.001);
    }

    #[test]
    fn recovers_ar1_parameters() {
        // Simulate with the crate's own model: 4000 years of one path.
        let truth = Ar1::new(5.0, 0.6, 0.03).unwrap();
        let years = 4_000;
        let z = normals(5, years);
        let mut rng = SimRng::seed_from_u64(6);
        let mut out = vec![0.0; years];
        truth.simulate(crate::model::Start::at(1.0), &z, 1, &mut rng, &mut out);
        let mut levels = vec![1.0];
        levels.extend(out);
        let c = Calibration::from_levels("x", &levels).unwrap();
        let f = c.ar1.as_ref().unwrap();
        assert!(
            (f.phi - 0.6).abs() < 4.5 * f.phi_se,
            "{} ± {}",
            f.phi,
            f.phi_se
        );
        assert!(f.phi_se < 0.02);
        assert!(
            (f.mean - truth.mu()).abs() < 4.5 * f.mean_se,
            "{} ± {}",
            f.mean,
            f.mean_se
        );
        // Innovation sd: se about sd / sqrt(2 n).
        assert!(
            (f.sd - 0.03).abs() < 4.5 * 0.03 / (2.0 * years as f64).sqrt(),
            "{}",
            f.sd
        );
        let m = c.to_ar1().unwrap();
        assert!((m.growth_pct - truth.growth_pct).abs() < 4.5 * 100.0 * f.mean_se * 1.1);
    }

    #[test]
    fn t_log_likelihood_and_trigamma() {
        // python: sum of log t densities, loc 0.07, scale 0.02, df 4 = 12.884308103399936.
        let g = log_growth_of_levels("gdp", &LEVELS).unwrap();
        assert!(close(
            t_loglik(&g, 0.07, 0.02, 4.0),
            12.884_308_103_399_936,
            1e-10
        ));
        // trigamma(1) = pi^2/6, trigamma(1/2) = pi^2/2.
        let pi2 = std::f64::consts::PI.powi(2);
        assert!(close(trigamma(1.0), pi2 / 6.0, 1e-9));
        assert!(close(trigamma(0.5), pi2 / 2.0, 1e-9));
    }

    #[test]
    fn recovers_student_t_degrees_of_freedom() {
        let (loc, scale, df) = (0.06, 0.03, 5.0);
        let mut rng = SimRng::seed_from_u64(21);
        let t = rand_distr::StudentT::new(df).unwrap();
        let g: Vec<f64> = (0..5_000).map(|_| loc + scale * rng.sample(t)).collect();
        let f = StudentTFit::estimate("x", &g).unwrap();
        let df_se = f.df_se.unwrap();
        assert!(f.bound.is_none());
        assert!((f.df - df).abs() < 4.5 * df_se, "{} ± {df_se}", f.df);
        // Sensible precision at n = 5000: df se about 0.4 (expected information).
        assert!(df_se < 0.6 && (f.df - df).abs() < 1.5, "{} ± {df_se}", f.df);
        assert!((f.location - loc).abs() < 4.5 * f.location_se);
        let m = f.to_student_t().unwrap();
        assert_eq!((m.scale, m.df), (f.scale, f.df));
        assert!(close(m.mu(), f.location, 1e-12));
        assert!((f.scale - scale).abs() < 4.5 * f.scale_se);
        // The maximum beats nearby df values.
        for d in [f.df * 0.9, f.df * 1.1] {
            let (l, s) = t_em(&g, d, f.location, f.scale);
            assert!(t_loglik(&g, l, s, d) <= f.log_likelihood + 1e-9);
        }
    }

    #[test]
    fn student_t_on_normal_data_goes_to_high_df() {
        let g: Vec<f64> = normals(8, 2_000).iter().map(|z| 0.05 + 0.02 * z).collect();
        let f = StudentTFit::estimate("x", &g).unwrap();
        assert!(f.df > 30.0, "{}", f.df);
        assert!(f.df <= DF_MAX);
        if f.bound == Some(DfBound::Cap) {
            assert!(f.df_se.is_none() && f.df == DF_MAX);
        }
        assert!((f.sd() - 0.02).abs() < 0.002);
    }

    #[test]
    fn student_t_floors_very_heavy_tails() {
        // Cauchy-like sample (t with 1 df): the likelihood wants df < 2.1.
        let mut rng = SimRng::seed_from_u64(4);
        let t = rand_distr::StudentT::new(1.0).unwrap();
        let g: Vec<f64> = (0..2_000).map(|_| 0.05 + 0.02 * rng.sample(t)).collect();
        let f = StudentTFit::estimate("x", &g).unwrap();
        assert_eq!(f.bound, Some(DfBound::Floor));
        assert_eq!(f.df, DF_MIN);
        assert!(f.df_se.is_none() && f.scale_se > 0.0);
    }

    #[test]
    fn shock_fit_matches_hand_values() {
        // numpy: flagged 2002 and 2004 of 2001..=2005: p 0.4, se 0.21908902300206645,
        // normal mean 0.08052269666592189, size -0.02951188946976642,
        // size sd 0.01667371089708776, size se 0.011940062275257315,
        // impact -2.9080666143495857 %.
        let dated = History::levels("trade", 2000, &LEVELS)
            .log_growth()
            .unwrap();
        let f = ShockFit::estimate("trade", &dated, &[2002, 2004]).unwrap();
        assert!(close(f.probability, 0.4, 1e-15));
        assert!(close(f.probability_se, 0.219_089_023_002_066_45, 1e-15));
        assert!(close(f.normal_mean, 0.080_522_696_665_921_89, 1e-15));
        assert!(close(f.size, -0.029_511_889_469_766_42, 1e-15));
        assert!(close(f.size_sd.unwrap(), 0.016_673_710_897_087_76, 1e-15));
        assert!(close(f.size_se.unwrap(), 0.011_940_062_275_257_315, 1e-15));
        assert!(close(f.impact_pct(), -2.908_066_614_349_585_7, 1e-12));
        let s = f.to_shock("trade", 2024);
        assert_eq!(s.probability, 0.4);
        assert!(close(s.impacts_pct["trade"], f.impact_pct(), 0.0));
        // The calibration's other fits use the normal years only.
        let c =
            Calibration::estimate(&History::levels("trade", 2000, &LEVELS), &[2002, 2004]).unwrap();
        assert_eq!(c.log_growth.n, 3);
        assert!(close(c.log_growth.mean, f.normal_mean, 1e-15));
        assert_eq!(c.years, (2001, 2005));
        assert!(c.ar1.is_none() && c.student_t.is_none() && c.skipped.len() == 2);
        let m = c.to_shock_mixture().unwrap();
        assert_eq!(
            (m.p, m.shock_mean, m.shock_sd),
            (0.4, f.size, f.size_sd.unwrap())
        );
        assert!(close(m.growth_pct, 100.0 * f.normal_mean.exp_m1(), 1e-12));
        assert!(
            c.to_student_t()
                .unwrap_err()
                .to_string()
                .contains("at least 10")
        );
        let s = scenario_from("s", &[c], ModelChoice::ShockMixture, None).unwrap();
        assert!(matches!(
            s.scenario.models["trade"],
            ModelSpec::ShockMixture(_)
        ));
    }

    #[test]
    fn errors_name_the_series_and_the_problem() {
        // One level has no growth; the fits say so.
        assert!(log_growth_of_levels("gdp", &[100.0]).unwrap().is_empty());
        let e = LogGrowthFit::estimate("gdp", &log_growth_of_levels("gdp", &[100.0]).unwrap())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "indicator \"gdp\": history needs at least 2 years of log growth for a mean and sd, got 0"
        );
        let e = History::levels("gdp", 2000, &[100.0, 110.0, -5.0])
            .log_growth()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "indicator \"gdp\": history[2002] level must be > 0, got -5"
        );
        let e = log_growth_of_levels("gdp", &[100.0, 0.0]).unwrap_err();
        assert!(e.to_string().contains("must be > 0, got 0"), "{e}");
        let e = log_growth_of_rates("cpi", &[0.02, -1.0]).unwrap_err();
        assert!(
            e.to_string().contains("\"cpi\"") && e.to_string().contains("> -1"),
            "{e}"
        );
        let e = log_growth_of_levels("gdp", &[100.0, f64::NAN]).unwrap_err();
        assert!(e.to_string().contains("NaN"), "{e}");
        let bad_years = History {
            id: "gdp".into(),
            measure: Measure::Levels,
            years: vec![2001, 2001],
            values: vec![1.0, 2.0],
        };
        assert!(
            bad_years
                .log_growth()
                .unwrap_err()
                .to_string()
                .contains("strictly increasing")
        );
        let e = Ar1Fit::estimate("gdp", &[0.1, 0.2, 0.3]).unwrap_err();
        assert!(e.to_string().contains("at least 4 years"), "{e}");
        let e = Ar1Fit::estimate("gdp", &[0.1; 6]).unwrap_err();
        assert!(e.to_string().contains("constant"), "{e}");
        let e = StudentTFit::estimate("gdp", &[0.1; 9]).unwrap_err();
        assert!(e.to_string().contains("at least 10 years"), "{e}");
        let e = StudentTFit::estimate("gdp", &[0.1; 12]).unwrap_err();
        assert!(e.to_string().contains("constant"), "{e}");
        let dated = History::levels("trade", 2000, &LEVELS)
            .log_growth()
            .unwrap();
        let e = ShockFit::estimate("trade", &dated, &[1999]).unwrap_err();
        assert!(e.to_string().contains("1999"), "{e}");
        let e = ShockFit::estimate("trade", &dated, &[2001, 2002, 2003, 2004, 2005]).unwrap_err();
        assert!(e.to_string().contains("every year"), "{e}");
        // A short calibration reports why AR(1) is missing.
        let c = Calibration::from_levels("gdp", &[100.0, 105.0, 111.0]).unwrap();
        let e = c.to_ar1().unwrap_err();
        assert!(
            e.to_string().contains("\"gdp\"") && e.to_string().contains("at least 4"),
            "{e}"
        );
    }

    #[test]
    fn shrunk_correlation_matches_numpy() {
        // numpy (Schäfer-Strimmer, standardized columns): r01 0.9088690684389623,
        // r02 -0.9402561526802474, r12 -0.9381640084230364, lambda 0.15002049871848153,
        // shrunk r01 0.7725200775219474.
        let rows = [
            [0.05, 0.02, 0.10],
            [0.07, 0.03, 0.08],
            [0.04, 0.01, 0.12],
            [0.09, 0.05, 0.07],
            [0.06, 0.02, 0.09],
            [0.08, 0.06, 0.06],
        ];
        let data = DMatrix::from_fn(6, 3, |t, i| rows[t][i]);
        let ids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let f = shrink_correlation(ids, &data).unwrap();
        assert_eq!(f.rule, ShrinkageRule::LedoitWolf);
        assert!(close(f.sample.rows[0][1], 0.908_869_068_438_962_3, 1e-12));
        assert!(close(f.sample.rows[0][2], -0.940_256_152_680_247_4, 1e-12));
        assert!(
            close(f.intensity, 0.150_020_498_718_481_53, 1e-12),
            "{}",
            f.intensity
        );
        let m = f.correlation.matrix();
        assert!(close(m[(0, 1)], 0.772_520_077_521_947_4, 1e-12));
        assert!(close(m[(1, 2)], -0.797_420_175_999_682_7, 1e-12));
        assert!(f.repair.is_none());
    }

    #[test]
    fn correlation_aligns_years_and_drops_gaps() {
        let a = History::levels(
            "a",
            2000,
            &[100.0, 105.0, 111.0, 115.0, 122.0, 130.0, 133.0],
        );
        // b misses 2003, which removes the growth of 2003 and 2004.
        let b = History {
            id: "b".into(),
            measure: Measure::Levels,
            years: vec![2000, 2001, 2002, 2004, 2005, 2006],
            values: vec![50.0, 51.0, 53.0, 56.0, 59.0, 60.0],
        };
        let c = History::growth_rates("c", 2001, &[0.03, 0.02, 0.05, 0.01, 0.04, 0.02]);
        let f = correlation(&[a.clone(), b, c]).unwrap();
        assert_eq!(f.years, vec![2001, 2002, 2005, 2006]);
        assert_eq!(f.rule, ShrinkageRule::FixedWeight);
        // p / (p + T) = 3 / 7
        assert!(close(f.intensity, 3.0 / 7.0, 1e-15));
        let e = correlation(&[a.clone(), a]).unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        // One year of overlap: the identity.
        let x = History::levels("x", 2000, &[1.0, 2.0]);
        let y = History::levels("y", 2000, &[1.0, 3.0]);
        let f = correlation(&[x, y]).unwrap();
        assert_eq!(f.rule, ShrinkageRule::Identity);
        assert_eq!(*f.correlation.matrix(), DMatrix::identity(2, 2));
    }

    #[test]
    fn scenario_from_calibrations_reports_what_it_used() {
        let long = Calibration::from_levels("a", &log_normal_levels(1, 30, 0.06, 0.04)).unwrap();
        let short = Calibration::from_levels("b", &[100.0, 104.0, 109.0]).unwrap();
        let hist =
            |id: &str, seed| History::levels(id, 1990, &log_normal_levels(seed, 30, 0.06, 0.04));
        let corr = correlation(&[hist("a", 1), hist("b", 2)]).unwrap();
        let s = scenario_from(
            "calibrated",
            &[long.clone(), short],
            ModelChoice::Ar1,
            Some(corr),
        )
        .unwrap();
        assert!(matches!(s.scenario.models["a"], ModelSpec::Ar1(_)));
        assert!(matches!(s.scenario.models["b"], ModelSpec::LogNormal(_)));
        assert!(s.used[0].fallback.is_none());
        assert!(s.used[1].fallback.as_ref().unwrap().contains("AR(1)"));
        let spec = s.scenario.correlation.as_ref().unwrap();
        assert_eq!(spec.ids, vec!["a", "b"]);
        assert_eq!(spec.rows[0][0], 1.0);
        let u = scenario_from(
            "u",
            std::slice::from_ref(&long),
            ModelChoice::UncertainMean,
            None,
        )
        .unwrap();
        match &u.scenario.models["a"] {
            ModelSpec::UncertainMean(m) => assert_eq!(m.mean_se, long.log_growth.mean_se),
            other => panic!("{other:?}"),
        }
        let t = scenario_from(
            "t",
            std::slice::from_ref(&long),
            ModelChoice::StudentT,
            None,
        )
        .unwrap();
        assert!(matches!(t.scenario.models["a"], ModelSpec::StudentT(_)));
        let x = scenario_from(
            "x",
            std::slice::from_ref(&long),
            ModelChoice::ShockMixture,
            None,
        )
        .unwrap();
        assert!(
            x.used[0]
                .fallback
                .as_ref()
                .unwrap()
                .contains("no shock years")
        );
        let e =
            scenario_from("d", &[long.clone(), long], ModelChoice::LogNormal, None).unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        // The report round-trips through JSON.
        let text = serde_json::to_string(&s).unwrap();
        let back: CalibratedScenario = serde_json::from_str(&text).unwrap();
        assert_eq!(back.used.len(), 2);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]
            #[test]
            fn shrunk_correlation_is_positive_definite(
                t in 0usize..12,
                p in 1usize..9,
                vals in proptest::collection::vec(
                    prop_oneof![-1.0f64..1.0, Just(0.0), -1e300f64..1e300], 108),
                constant in 0usize..9,
            ) {
                let mut data = DMatrix::from_fn(t, p, |s, i| vals[(s * 9 + i) % vals.len()]);
                // One column may be constant.
                if constant < p {
                    for s in 0..t {
                        data[(s, constant)] = 0.3;
                    }
                }
                let ids: Vec<String> = (0..p).map(|i| format!("s{i}")).collect();
                let f = shrink_correlation(ids, &data).unwrap();
                let m = f.correlation.matrix();
                let min = m.clone().symmetric_eigen().eigenvalues.min();
                prop_assert!(min >= SHRINK_FLOOR - 1e-9, "min eigenvalue {min}");
                prop_assert!(f.intensity >= SHRINK_FLOOR && f.intensity <= 1.0);
                prop_assert!(m.clone().cholesky().is_some());
            }
        }
    }
}
