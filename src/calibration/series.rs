//! Every fit of one series, and the fits it may skip (told by type).

use serde::{Deserialize, Serialize};

use super::{
    Ar1, Ar1Fit, History, LogGrowthFit, LogNormal, MIN_YEARS, ShockFit, ShockMixture, StudentT,
    StudentTFit, UncertainMean, too_short, values,
};
use crate::error::{Error, Result};

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
    /// The optional fits that are missing, and why.
    pub skipped: Vec<Skipped>,
}

/// A fit that [`Calibration::estimate`] tries but may skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionalFit {
    /// The AR(1) fit ([`Ar1Fit`]).
    Ar1,
    /// The Student-t fit ([`StudentTFit`]).
    StudentT,
}

impl std::fmt::Display for OptionalFit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OptionalFit::Ar1 => "ar1",
            OptionalFit::StudentT => "student_t",
        })
    }
}

/// An optional fit that was not estimated: which one (by type, so a caller
/// never parses a message) and the error that stopped it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// The fit.
    pub fit: OptionalFit,
    /// Why it was skipped (the estimator's error).
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.fit, self.reason)
    }
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
            .map_err(|e| {
                skipped.push(Skipped {
                    fit: OptionalFit::Ar1,
                    reason: e.to_string(),
                })
            })
            .ok();
        let student_t = StudentTFit::estimate(id, &g)
            .map_err(|e| {
                skipped.push(Skipped {
                    fit: OptionalFit::StudentT,
                    reason: e.to_string(),
                })
            })
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
            None => Err(self.missing(OptionalFit::Ar1)),
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
            None => Err(self.missing(OptionalFit::StudentT)),
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

    fn missing(&self, fit: OptionalFit) -> Error {
        let why = self
            .skipped
            .iter()
            .find(|s| s.fit == fit)
            .map_or(String::new(), Skipped::to_string);
        Error::indicator(
            &self.id,
            &fit.to_string(),
            format!("was not estimated: {why}"),
        )
    }
}
