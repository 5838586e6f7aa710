//! Warnings: what is doubtful about the input or a result, but not wrong
//! enough to refuse. `attain` never bends input silently: what cannot be
//! honoured is an [`Error`](crate::Error), and what is doubtful is a
//! [`Warning`], carried with the result so that every output format can list
//! it (a `warnings` list in JSON, a line under the table, standard error in
//! CSV mode).

use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of doubt a [`Warning`] reports: a closed set, so that programs
/// reading the JSON can act on the code rather than parse the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WarningCode {
    /// The probabilities rest on the plan alone: no history, no scenario.
    PlanOnlyBaseline,
    /// A series asked to be calibrated from history could not be, and kept
    /// the plan-only baseline.
    NotCalibrated,
    /// A row of the plan is not simulated, with the reason.
    NotSimulated,
    /// The correlation matrix given was repaired to a valid one.
    CorrelationRepaired,
    /// A requested Monte Carlo precision (`--se`) was not reached.
    UnmetPrecision,
    /// Reported actuals contradict the plan or each other.
    ContradictoryActual,
    /// A ratio's base disagrees with its parts' bases.
    InconsistentRatioBase,
    /// A cell of an imported table was kept as text, not read as a target.
    UnreadPhrase,
    /// A reported value is a lower bound ("超60%"), counted as the value.
    LowerBound,
    /// In-year periods that do not join up from January: the year-to-date
    /// is unknown after the gap.
    PartialYear,
    /// A target could not be tracked in-year, with the reason.
    NotTracked,
    /// Past years with nothing done by a month were left out of that
    /// month's seasonal share.
    ZeroShare,
    /// A plan's base disagrees with its parts' bases summed (`decompose
    /// --parts`).
    InconsistentPartsBase,
}

impl WarningCode {
    /// The code as written in every output (`snake_case`, as in JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::PlanOnlyBaseline => "plan_only_baseline",
            WarningCode::NotCalibrated => "not_calibrated",
            WarningCode::NotSimulated => "not_simulated",
            WarningCode::CorrelationRepaired => "correlation_repaired",
            WarningCode::UnmetPrecision => "unmet_precision",
            WarningCode::ContradictoryActual => "contradictory_actual",
            WarningCode::InconsistentRatioBase => "inconsistent_ratio_base",
            WarningCode::UnreadPhrase => "unread_phrase",
            WarningCode::LowerBound => "lower_bound",
            WarningCode::PartialYear => "partial_year",
            WarningCode::NotTracked => "not_tracked",
            WarningCode::ZeroShare => "zero_share",
            WarningCode::InconsistentPartsBase => "inconsistent_parts_base",
        }
    }
}

impl fmt::Display for WarningCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One doubtful thing: its code, the indicator it concerns (none for the
/// whole plan or run) and a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// What kind of doubt.
    pub code: WarningCode,
    /// The indicator concerned, if any.
    pub indicator: Option<String>,
    /// What is doubtful and what the user can do about it.
    pub message: String,
}

impl Warning {
    /// A warning about indicator `id`.
    pub fn about(code: WarningCode, id: impl Into<String>, message: impl Into<String>) -> Self {
        Warning {
            code,
            indicator: Some(id.into()),
            message: message.into(),
        }
    }

    /// A warning about the whole plan or run.
    pub fn general(code: WarningCode, message: impl Into<String>) -> Self {
        Warning {
            code,
            indicator: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    /// `warning[code] indicator "id": message`, the form of the table line and
    /// of standard error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "warning[{}]", self.code)?;
        if let Some(id) = &self.indicator {
            write!(f, " indicator \"{id}\"")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl From<&crate::calibration::Uncalibrated> for Warning {
    /// A series a calibration from history left to the plan-only baseline.
    fn from(u: &crate::calibration::Uncalibrated) -> Self {
        Warning::about(
            WarningCode::NotCalibrated,
            &u.id,
            format!("{u}: not calibrated from history, simulated with the plan-only baseline"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_displays_its_code_indicator_and_message() {
        let w = Warning::about(
            WarningCode::NotSimulated,
            "fdi",
            "no model for a base-year series",
        );
        assert_eq!(
            w.to_string(),
            "warning[not_simulated] indicator \"fdi\": no model for a base-year series"
        );
        let g = Warning::general(WarningCode::PlanOnlyBaseline, "plan only");
        assert_eq!(g.to_string(), "warning[plan_only_baseline]: plan only");
    }

    #[test]
    fn codes_serialise_as_they_display() {
        for code in [
            WarningCode::PlanOnlyBaseline,
            WarningCode::NotCalibrated,
            WarningCode::NotSimulated,
            WarningCode::CorrelationRepaired,
            WarningCode::UnmetPrecision,
            WarningCode::ContradictoryActual,
            WarningCode::InconsistentRatioBase,
            WarningCode::UnreadPhrase,
            WarningCode::LowerBound,
            WarningCode::PartialYear,
            WarningCode::NotTracked,
            WarningCode::ZeroShare,
            WarningCode::InconsistentPartsBase,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
