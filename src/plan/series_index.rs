//! The series of a plan as targets resolve against them: ids by position,
//! the plan years and each series' own level target. Targets need only this,
//! not the whole plan, so the target module does not depend on the plan's.

use crate::error::{Error, Problem, Result};

/// Number of plan years from `base_year` to `target_year`, checked to be
/// positive.
pub fn horizon(base_year: i32, target_year: i32) -> Result<usize> {
    // i64: the i32 difference of extreme years would overflow (a panic in debug).
    let span = i64::from(target_year) - i64::from(base_year);
    if span <= 0 {
        return Err(Error::plan(
            "target_year",
            Problem::out_of_range(target_year, format!("after base_year {base_year}")),
        ));
    }
    Ok(span as usize)
}

/// Ids of a plan's series in index order (indicators first, then auxiliary
/// series), with the plan years and the level each series' main target sets.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesIndex {
    base_year: i32,
    target_year: i32,
    ids: Vec<String>,
    levels: Vec<Option<f64>>,
}

impl SeriesIndex {
    /// An index of `series` in order: each id with the level its main
    /// target sets for the target year (`None` when it sets none).
    pub fn new(base_year: i32, target_year: i32, series: Vec<(String, Option<f64>)>) -> Self {
        let (ids, levels) = series.into_iter().unzip();
        SeriesIndex {
            base_year,
            target_year,
            ids,
            levels,
        }
    }

    /// The base year.
    pub fn base_year(&self) -> i32 {
        self.base_year
    }

    /// The target year.
    pub fn target_year(&self) -> i32 {
        self.target_year
    }

    /// Number of plan years, checked to be positive.
    pub fn horizon(&self) -> Result<usize> {
        horizon(self.base_year, self.target_year)
    }

    /// Ids in index order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Index of series `id`.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|s| s == id)
    }

    /// The level series `id`'s main target sets, if it sets one.
    pub fn level_target(&self, id: &str) -> Option<f64> {
        self.position(id).and_then(|i| self.levels[i])
    }
}
