//! The mean and standard deviation of annual log growth.

use serde::{Deserialize, Serialize};

use super::{LogNormal, MIN_YEARS, UncertainMean, check_finite, mean, pct, sample_sd, too_short};
use crate::error::Result;

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
