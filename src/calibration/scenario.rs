//! A scenario built from calibrations, with what went into it.

use serde::{Deserialize, Serialize};

use super::{Calibration, CorrelationFit, CorrelationRows, CorrelationSpec, ModelSpec, Scenario};
use crate::error::{Error, Result};

/// Which model a scenario built from calibrations uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelChoice {
    /// [`LogNormal`](crate::simulate::model::LogNormal) at the mean and sd of log growth.
    LogNormal,
    /// [`Ar1`](crate::simulate::model::Ar1); series too short for the fit fall back to [`LogNormal`](crate::simulate::model::LogNormal).
    Ar1,
    /// [`UncertainMean`](crate::simulate::model::UncertainMean): log-normal with the mean drawn per path.
    UncertainMean,
    /// [`StudentT`](crate::simulate::model::StudentT); series too short for the fit fall back to [`LogNormal`](crate::simulate::model::LogNormal).
    StudentT,
    /// [`ShockMixture`](crate::simulate::model::ShockMixture); series without flagged shock years fall back to
    /// [`LogNormal`](crate::simulate::model::LogNormal).
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
/// turned into scenario shocks, which need a plan year ([`ShockFit::to_shock`](super::ShockFit::to_shock)).
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
