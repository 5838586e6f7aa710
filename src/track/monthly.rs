//! One series' in-year values, month by month: what a year's value is made
//! of, and the year-to-date (or end-of-month level) at each month.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};

/// How the months of a year make the year's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// A flow (trade, investment): the year's value is the sum of its months,
    /// and the year-to-date accumulates.
    Flow,
    /// A stock (firms registered, a share): the year's value is December's
    /// level, and a month's value is its level, not accumulated.
    Stock,
}

/// One series' months: per year, the year-to-date (a flow) or the level (a
/// stock) at the end of each month, `None` where not known. Month `m` is
/// index `m - 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Monthly {
    /// Flow or stock.
    pub measure: Measure,
    /// Per year, the value at the end of each month.
    pub years: BTreeMap<i32, [Option<f64>; 12]>,
}

impl Monthly {
    /// A checked series: every value finite; a flow's year-to-date `>= 0` and
    /// never falling within a year; a stock's level `> 0`.
    pub fn new(measure: Measure, years: BTreeMap<i32, [Option<f64>; 12]>) -> Result<Self> {
        for (year, months) in &years {
            let mut last: Option<f64> = None;
            for (k, v) in months.iter().enumerate() {
                let Some(v) = *v else { continue };
                let field = format!("{year}-{:02}", k + 1);
                let ok = match measure {
                    Measure::Flow => v.is_finite() && v >= 0.0,
                    Measure::Stock => v.is_finite() && v > 0.0,
                };
                if !ok {
                    let need = match measure {
                        Measure::Flow => "finite and >= 0 (a year-to-date flow)",
                        Measure::Stock => "finite and > 0 (a level)",
                    };
                    return Err(Error::parameter(&field, Problem::out_of_range(v, need)));
                }
                if measure == Measure::Flow
                    && let Some(before) = last
                    && v < before
                {
                    return Err(Error::parameter(
                        &field,
                        Problem::Other(format!(
                            "year-to-date {v} is below the {before} of an earlier month: a flow cannot fall"
                        )),
                    ));
                }
                last = Some(v);
            }
        }
        Ok(Monthly { measure, years })
    }

    /// The value at the end of month `month` (1-12) of `year`.
    pub fn at(&self, year: i32, month: u32) -> Option<f64> {
        let k = usize::try_from(month).ok()?.checked_sub(1)?;
        self.years.get(&year)?.get(k).copied().flatten()
    }

    /// The year's value (December's year-to-date or level), once complete.
    pub fn total(&self, year: i32) -> Option<f64> {
        self.at(year, 12)
    }

    /// The years whose December is known, ascending.
    pub fn complete_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years
            .iter()
            .filter(|(_, m)| m[11].is_some())
            .map(|(y, _)| *y)
    }

    /// The latest (year, month) with a value.
    pub fn latest(&self) -> Option<(i32, u32)> {
        self.years.iter().rev().find_map(|(y, m)| {
            m.iter()
                .rposition(Option::is_some)
                .map(|k| (*y, k as u32 + 1))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_cannot_fall_within_a_year() {
        let mut m = [None; 12];
        m[0] = Some(5.0);
        m[2] = Some(4.0);
        let e = Monthly::new(Measure::Flow, BTreeMap::from([(2022, m)])).unwrap_err();
        assert!(e.to_string().contains("2022-03"), "{e}");
        // The same numbers are fine as levels of a stock.
        let s = Monthly::new(Measure::Stock, BTreeMap::from([(2022, m)])).unwrap();
        assert_eq!(s.latest(), Some((2022, 3)));
        assert_eq!(s.at(2022, 2), None);
        assert_eq!(s.at(2022, 13), None);
        assert_eq!(s.at(2022, 0), None);
    }
}
