//! A series' yearly history and its annual log growth.

use serde::{Deserialize, Serialize};

use super::values;
use crate::error::{Error, Result};

/// What a history's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryMeasure {
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
    pub measure: HistoryMeasure,
    /// Years, strictly increasing.
    pub years: Vec<i32>,
    /// One value per year.
    pub values: Vec<f64>,
}

impl History {
    /// Levels for consecutive years from `first_year`.
    pub fn levels(id: &str, first_year: i32, levels: &[f64]) -> Self {
        Self::consecutive(id, HistoryMeasure::Levels, first_year, levels)
    }

    /// Growth rates (fractions) for consecutive years from `first_year`.
    pub fn growth_rates(id: &str, first_year: i32, rates: &[f64]) -> Self {
        Self::consecutive(id, HistoryMeasure::GrowthRates, first_year, rates)
    }

    fn consecutive(id: &str, measure: HistoryMeasure, first_year: i32, values: &[f64]) -> Self {
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
                HistoryMeasure::Levels => v.is_finite() && v > 0.0,
                HistoryMeasure::GrowthRates => v.is_finite() && v > -1.0,
            };
            if !ok {
                let (what, rule) = match self.measure {
                    HistoryMeasure::Levels => ("level", "> 0"),
                    HistoryMeasure::GrowthRates => ("growth rate", "finite and > -1"),
                };
                return Err(Error::indicator(
                    id,
                    &format!("history[{y}]"),
                    format!("{what} must be {rule}, got {v}"),
                ));
            }
        }
        Ok(match self.measure {
            HistoryMeasure::Levels => self
                .years
                .windows(2)
                .zip(self.values.windows(2))
                .filter(|(y, _)| y[1] == y[0] + 1)
                .map(|(y, v)| (y[1], (v[1] / v[0]).ln()))
                .collect(),
            HistoryMeasure::GrowthRates => self
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
