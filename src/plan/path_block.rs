//! Blocks of simulated trajectories: what the path simulator hands out and
//! the judge reads.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A block of trajectories: for each series, for each year index `0..years`, one
/// value per path. Layout `[series][year][path]`, so a whole block of paths is
/// judged with contiguous reads.
///
/// The shape always matches the data (the constructors check it), so every
/// read that stays within the shape succeeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawBlock")]
pub struct PathBlock {
    series: usize,
    years: usize,
    paths: usize,
    data: Vec<f64>,
}

/// The serialised form, checked on the way in.
#[derive(Deserialize)]
struct RawBlock {
    series: usize,
    years: usize,
    paths: usize,
    data: Vec<f64>,
}

impl TryFrom<RawBlock> for PathBlock {
    type Error = Error;
    fn try_from(r: RawBlock) -> Result<Self> {
        PathBlock::new(r.series, r.years, r.paths, r.data)
    }
}

impl PathBlock {
    /// A block from its values, `data[(s * years + t) * paths + p]`; errors
    /// when their number is not `series * years * paths`.
    pub fn new(series: usize, years: usize, paths: usize, data: Vec<f64>) -> Result<Self> {
        let cells = series.checked_mul(years).and_then(|n| n.checked_mul(paths));
        if cells != Some(data.len()) {
            return Err(Error::parameter(
                "block",
                format!(
                    "has {} values for {series} series x {years} years x {paths} paths",
                    data.len()
                ),
            ));
        }
        Ok(PathBlock {
            series,
            years,
            paths,
            data,
        })
    }

    /// A block of `paths` paths, filled with zeros (sizes the crate has
    /// bounded, see [`crate::simulate::engine::MAX_CELLS`]).
    pub(crate) fn zeros(series: usize, years: usize, paths: usize) -> Self {
        PathBlock {
            series,
            years,
            paths,
            data: vec![0.0; series * years * paths],
        }
    }

    /// One path per series: `rows[s][t]` is series `s` in year index `t`.
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Self> {
        let years = rows.first().map_or(0, Vec::len);
        if let Some((s, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != years) {
            return Err(Error::parameter(
                "rows",
                format!("series {s} has {} years, expected {years}", r.len()),
            ));
        }
        Ok(PathBlock {
            series: rows.len(),
            years,
            paths: 1,
            data: rows.iter().flatten().copied().collect(),
        })
    }

    /// Number of series.
    pub fn series(&self) -> usize {
        self.series
    }

    /// Number of year indices (horizon + 1: the base year is index 0).
    pub fn years(&self) -> usize {
        self.years
    }

    /// Number of paths.
    pub fn paths(&self) -> usize {
        self.paths
    }

    /// All values, `data[(s * years + t) * paths + p]`.
    pub fn data(&self) -> &[f64] {
        &self.data
    }

    /// The values of series `s` in year index `t`, one per path; `None`
    /// when the block has no such series or year.
    pub fn get(&self, s: usize, t: usize) -> Option<&[f64]> {
        (s < self.series && t < self.years).then(|| self.at(s, t))
    }

    /// [`PathBlock::get`] for indices the caller has checked (the rules check
    /// their reach once per block): the hot path, unchecked.
    #[inline]
    pub(crate) fn at(&self, s: usize, t: usize) -> &[f64] {
        let start = (s * self.years + t) * self.paths;
        &self.data[start..start + self.paths]
    }

    /// Mutable values of series `s` in year index `t` (checked indices only).
    #[inline]
    pub(crate) fn at_mut(&mut self, s: usize, t: usize) -> &mut [f64] {
        let start = (s * self.years + t) * self.paths;
        &mut self.data[start..start + self.paths]
    }

    /// Mutable values of series `s` from year index `t` to the last year, one
    /// run of `paths` values per year.
    #[inline]
    pub(crate) fn years_from_mut(&mut self, s: usize, t: usize) -> &mut [f64] {
        let (start, end) = (
            (s * self.years + t) * self.paths,
            (s + 1) * self.years * self.paths,
        );
        &mut self.data[start..end]
    }

    /// Reshapes to `paths` paths, keeping the capacity (the last chunk of a
    /// run is shorter); the values are left as they were, to be overwritten.
    pub(crate) fn set_paths(&mut self, paths: usize) {
        let n = self.series * self.years * paths;
        self.paths = paths;
        self.data.truncate(n);
        self.data.resize(n, 0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_is_checked() {
        let b = PathBlock::new(2, 3, 1, vec![0.0; 6]).unwrap();
        assert_eq!(
            (b.series(), b.years(), b.paths(), b.data().len()),
            (2, 3, 1, 6)
        );
        let e = PathBlock::new(2, 4, 2, vec![0.0; 15])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "parameter block: has 15 values for 2 series x 4 years x 2 paths"
        );
        assert!(PathBlock::new(usize::MAX, 2, 1, Vec::new()).is_err());
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(serde_json::from_str::<PathBlock>(&json).unwrap(), b);
        let bad = r#"{"series":1,"years":2,"paths":1,"data":[1.0]}"#;
        assert!(serde_json::from_str::<PathBlock>(bad).is_err());
        assert!(PathBlock::from_rows(&[vec![1.0, 2.0], vec![3.0]]).is_err());
    }
}
