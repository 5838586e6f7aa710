//! AR(1) persistence of annual log growth by least squares.

use serde::{Deserialize, Serialize};

use super::{Ar1, MIN_AR1_YEARS, PHI_MAX, check_finite, is_constant, mean, pct, too_short, values};
use crate::error::{Error, Result};

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
