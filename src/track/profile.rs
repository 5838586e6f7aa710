//! The seasonal profile: the share of a year's value reached by each month,
//! learned from past complete years or stated by the user.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::track::monthly::Monthly;

/// Past complete years a profile averages over by default: the latest six,
/// so that a seasonal pattern that drifts is followed (the same window as
/// the simple rule it is compared with).
pub const DEFAULT_WINDOW: usize = 6;

/// What one month's share rests on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MonthShare {
    /// Mean share of the year's value reached by the end of the month
    /// (year-to-date / year's total for a flow; level / December's level for
    /// a stock).
    pub mean: f64,
    /// Standard deviation of that share over the years (0 when stated
    /// without spread or from one year).
    pub sd: f64,
    /// Mean of the log share: the model's centre.
    pub log_mean: f64,
    /// Standard deviation of the log share.
    pub log_sd: f64,
    /// Years it rests on; `None` for a stated profile (its spread is taken
    /// as known).
    pub years: Option<usize>,
    /// Past years in the window with nothing done by this month (a zero
    /// year-to-date has no log share): left out of the share, and warned
    /// about by [`crate::track::track_plan`].
    #[serde(default)]
    pub zeros: usize,
}

/// Shares by month (index `m - 1`), `None` where no year tells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Per month.
    pub months: [Option<MonthShare>; 12],
    /// The years it was learned from (empty for a stated profile).
    pub from_years: Vec<i32>,
}

impl Profile {
    /// The profile of `series` from its latest `window` complete years
    /// before `year` (each month from the years that report it).
    pub fn learn(series: &Monthly, year: i32, window: usize) -> Result<Profile> {
        if window < 2 {
            return Err(Error::parameter(
                "window",
                Problem::out_of_range(window, ">= 2 (a spread needs two years)"),
            ));
        }
        let mut years: Vec<i32> = series
            .complete_years()
            .filter(|&y| y < year && series.total(y).is_some_and(|t| t > 0.0))
            .collect();
        let first = years.len().saturating_sub(window);
        years.drain(..first);
        let mut months = [None; 12];
        for (k, slot) in months.iter_mut().enumerate() {
            let known: Vec<f64> = years
                .iter()
                .filter_map(|&y| Some(series.at(y, k as u32 + 1)? / series.total(y)?))
                .collect();
            let shares: Vec<f64> = known.iter().copied().filter(|&s| s > 0.0).collect();
            let zeros = known.len() - shares.len();
            if shares.is_empty() {
                continue;
            }
            let logs: Vec<f64> = shares.iter().map(|s| s.ln()).collect();
            let (mean, sd) = mean_sd(&shares);
            let (log_mean, log_sd) = mean_sd(&logs);
            *slot = Some(MonthShare {
                mean,
                sd,
                log_mean,
                log_sd,
                years: Some(shares.len()),
                zeros,
            });
        }
        Ok(Profile {
            months,
            from_years: years,
        })
    }

    /// A profile the user states: the share reached by each month and its
    /// standard deviation (0: known exactly). Shares must be finite and
    /// `> 0`, December's 1 (the year's value is December's); spreads finite
    /// and `>= 0`.
    pub fn stated(share: [f64; 12], sd: [f64; 12]) -> Result<Profile> {
        let mut months = [None; 12];
        for k in 0..12 {
            let field = format!("profile month {}", k + 1);
            let (s, d) = (share[k], sd[k]);
            if !(s.is_finite() && s > 0.0) {
                return Err(Error::parameter(&field, Problem::out_of_range(s, "> 0")));
            }
            if !(d.is_finite() && d >= 0.0) {
                return Err(Error::parameter(
                    &format!("{field} sd"),
                    Problem::out_of_range(d, "finite and >= 0"),
                ));
            }
            months[k] = Some(MonthShare {
                mean: s,
                sd: d,
                log_mean: s.ln(),
                // The delta method: sd(log s) = sd(s) / s.
                log_sd: d / s,
                years: None,
                zeros: 0,
            });
        }
        if share[11] != 1.0 {
            return Err(Error::parameter(
                "profile month 12",
                Problem::out_of_range(share[11], "1 (December is the year's value)"),
            ));
        }
        Ok(Profile {
            months,
            from_years: Vec::new(),
        })
    }

    /// A flow spread evenly over the year: month `m` has `m / 12` done, with
    /// spread `sd` at every month before December.
    pub fn even(sd: f64) -> Result<Profile> {
        let share = std::array::from_fn(|k| (k + 1) as f64 / 12.0);
        let mut sds = [sd; 12];
        sds[11] = 0.0;
        Profile::stated(share, sds)
    }

    /// The share of month `month` (1-12).
    pub fn month(&self, month: u32) -> Option<&MonthShare> {
        let k = usize::try_from(month).ok()?.checked_sub(1)?;
        self.months.get(k)?.as_ref()
    }
}

/// Mean and sample standard deviation (0 for one value).
pub(crate) fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    if x.len() < 2 {
        return (mean, 0.0);
    }
    let ss: f64 = x.iter().map(|v| (v - mean).powi(2)).sum();
    (mean, (ss / (n - 1.0)).sqrt())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::track::monthly::Measure;

    /// Year-to-date of a flow whose months are `v`.
    fn ytd(v: [f64; 12]) -> [Option<f64>; 12] {
        let mut acc = 0.0;
        v.map(|x| {
            acc += x;
            Some(acc)
        })
    }

    #[test]
    fn shares_are_year_to_date_over_the_year() {
        // 2020: 1 a month (total 12); 2021: 2 a month in H1, 4 in H2 (total 36).
        let s = Monthly::new(
            Measure::Flow,
            BTreeMap::from([
                (2019, ytd([3.0; 12])),
                (2020, ytd([1.0; 12])),
                (2021, ytd([2., 2., 2., 2., 2., 2., 4., 4., 4., 4., 4., 4.])),
            ]),
        )
        .unwrap();
        // A window of two keeps the latest two years.
        let p = Profile::learn(&s, 2022, 2).unwrap();
        assert_eq!(p.from_years, vec![2020, 2021]);
        let june = p.month(6).unwrap();
        // 6/12 = 0.5 and 12/36 = 1/3: mean 5/12, sd |0.5 - 1/3| / sqrt 2.
        assert!((june.mean - 5.0 / 12.0).abs() < 1e-15);
        assert!((june.sd - (1.0 / 6.0) / 2f64.sqrt()).abs() < 1e-15);
        let lm = (0.5f64.ln() + (1.0f64 / 3.0).ln()) / 2.0;
        assert!((june.log_mean - lm).abs() < 1e-15);
        assert_eq!(june.years, Some(2));
        let dec = p.month(12).unwrap();
        assert_eq!((dec.mean, dec.sd), (1.0, 0.0));
        let all = Profile::learn(&s, 2022, 6).unwrap();
        assert_eq!(all.from_years, vec![2019, 2020, 2021]);
        // Before 2021 only the even years: share 1/2 exactly.
        let before = Profile::learn(&s, 2021, 6).unwrap();
        assert_eq!(before.from_years, vec![2019, 2020]);
        assert_eq!(before.month(6).unwrap().mean, 0.5);
        assert_eq!(before.month(6).unwrap().sd, 0.0);
        assert!(Profile::learn(&s, 2022, 1).is_err());
    }

    #[test]
    fn years_with_nothing_done_are_counted_not_averaged() {
        let mut late = [0.0; 12];
        late[11] = 12.0;
        let s = Monthly::new(
            Measure::Flow,
            BTreeMap::from([
                (2019, ytd(late)),
                (2020, ytd([1.0; 12])),
                (2021, ytd([2.0; 12])),
            ]),
        )
        .unwrap();
        let p = Profile::learn(&s, 2022, 6).unwrap();
        let jan = p.month(1).unwrap();
        assert_eq!((jan.years, jan.zeros), (Some(2), 1));
        assert!((jan.mean - 1.0 / 12.0).abs() < 1e-15);
        assert_eq!(p.month(12).unwrap().zeros, 0);
    }

    #[test]
    fn a_stated_profile_is_checked() {
        let p = Profile::even(0.0).unwrap();
        assert!((p.month(6).unwrap().mean - 0.5).abs() < 1e-15);
        assert!(Profile::stated([0.5; 12], [0.0; 12]).is_err());
        let mut bad = [1.0; 12];
        bad[3] = 0.0;
        assert!(Profile::stated(bad, [0.0; 12]).is_err());
        assert!(Profile::stated([1.0; 12], [f64::NAN; 12]).is_err());
        let q = Profile::stated([1.0; 12], [0.1; 12]).unwrap();
        assert!((q.month(1).unwrap().log_sd - 0.1).abs() < 1e-15);
    }
}
