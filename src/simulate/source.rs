//! What a probability rests on: history, a scenario file, or the plan alone.
//!
//! Every output that prints a probability names its source, so a reader can
//! tell a probability learned from data from a plan-consistent baseline.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What the models behind a set of probabilities came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// Calibrated on the fly from a history file.
    History {
        /// The history file, as named.
        file: String,
        /// Series the calibration used (peers included).
        series: usize,
        /// First calendar year of the values used.
        first_year: i32,
        /// Last calendar year of the values used.
        last_year: i32,
    },
    /// A scenario file (written by hand or by `attain calibrate`).
    Scenario {
        /// The scenario file, as named.
        file: String,
    },
    /// No history and no scenario: the plan's stated rates, with a spread
    /// from the stored reference class.
    #[default]
    PlanOnly,
}

impl fmt::Display for Source {
    /// `history FILE (N series, years A-B)`, `scenario FILE` or `plan only`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::History {
                file,
                series,
                first_year,
                last_year,
            } => write!(
                f,
                "history {file} ({series} series, years {first_year}-{last_year})"
            ),
            Source::Scenario { file } => write!(f, "scenario {file}"),
            Source::PlanOnly => f.write_str("plan only"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_the_outputs_print_it() {
        let h = Source::History {
            file: "data/hunan_history.csv".into(),
            series: 6,
            first_year: 2015,
            last_year: 2022,
        };
        assert_eq!(
            h.to_string(),
            "history data/hunan_history.csv (6 series, years 2015-2022)"
        );
        assert_eq!(
            Source::Scenario {
                file: "s.toml".into()
            }
            .to_string(),
            "scenario s.toml"
        );
        assert_eq!(Source::PlanOnly.to_string(), "plan only");
        let json = serde_json::to_string(&Source::PlanOnly).unwrap();
        assert_eq!(json, r#"{"kind":"plan_only"}"#);
    }
}
