//! In-year tracking: a year's value against its annual target, month by
//! month (时间过半任务过半).
//!
//! As of month `m` of year `Y`, with the year-to-date `C` of a flow known,
//! what is uncertain is the rest of the year, `R = T - C`. It is estimated
//! twice:
//!
//! - from the **seasonal profile**: `log R = log C + log(R/C)`, where
//!   `log(R/C)`, the log ratio of what came after month `m` to what came
//!   before, has the mean and spread it had in past complete years (the
//!   profile's years);
//! - from the **trend**: `log R = log R(Y-1) + g`, where `g`, the log growth
//!   of the same remaining months from one year to the next, has the mean
//!   and spread it had in past years.
//!
//! The two are combined by their precisions (early in the year the profile
//! says little and the trend most; by October the profile nearly all), and
//! `log R` is Student-t, with the degrees of freedom of the shorter sample
//! and each variance widened by its mean's own uncertainty (`1 + 1/n`). The
//! trend speaks of the remaining months only, not of the whole year, so that
//! what is already done is never re-estimated: late in the year the
//! uncertainty shrinks with the part still to come. (Estimating the whole
//! year from the trend and pooling it with the profile's, as an earlier
//! version did, counted the known months as uncertain and lost to the simple
//! rule at month 10.)
//!
//! A stock (its year's value is December's level, which may fall below the
//! level now) and a flow whose past years leave nothing to come after month
//! `m` are estimated on the whole year instead: `log T = log C - log s` from
//! the log share `s` reached by month `m` ([`Profile`]) and
//! `log T = log T(Y-1) + g` from the growth of the year's value ([`Trend`]).
//!
//! P(target met) is the predictive distribution's tail; its 95% interval is
//! the range of P as the estimated centre moves by its own 95% interval.
//! Nothing is random: results are closed-form and the same on every machine.
//!
//! The math knows nothing of files: [`Monthly`] is filled by the loader
//! ([`crate::plan::in_year`]) and the CLI prints the result.

pub mod decompose;
pub mod monthly;
pub mod parts;
pub mod plan_year;
pub mod profile;
pub mod target;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::error::{Error, Problem, Result};
use crate::plan::target::Direction;
pub use monthly::{Measure, Monthly};
pub use plan_year::{PastYear, PlanTracking, TrackedTarget, track_plan};
pub use profile::{DEFAULT_WINDOW, MonthShare, Profile};
pub use target::{AnnualTarget, TargetFrom, annual_target};

/// Where the year stands against the seasonal path to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Done more than the profile expects by this month plus one standard
    /// deviation of that share (on the side that meets the target).
    Ahead,
    /// Within one standard deviation of what the profile expects.
    OnSchedule,
    /// Short of it by more than one standard deviation.
    Behind,
}

impl Status {
    /// The status in Chinese: 超前, 符合进度 (时间过半、任务过半), 滞后.
    pub fn zh(self) -> &'static str {
        match self {
            Status::Ahead => "超前",
            Status::OnSchedule => "符合进度",
            Status::Behind => "滞后",
        }
    }

    /// The status as written in every output (`snake_case`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ahead => "ahead",
            Status::OnSchedule => "on_schedule",
            Status::Behind => "behind",
        }
    }
}

/// The trend of a series' yearly values: mean and spread of its log growth
/// over past complete years.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// The last complete year's value, grown from.
    pub last: f64,
    /// Mean log growth a year.
    pub log_mean: f64,
    /// Standard deviation of the log growth.
    pub log_sd: f64,
    /// Growths it rests on.
    pub years: usize,
}

impl Trend {
    /// The trend of `series` from its complete years before `year`, if year
    /// `year - 1` is complete and at least two growths between consecutive
    /// complete years are known (a spread needs two).
    pub fn learn(series: &Monthly, year: i32) -> Option<Trend> {
        let last = series.total(year - 1).filter(|&v| v > 0.0)?;
        let growths: Vec<f64> = series
            .complete_years()
            .filter(|&y| y < year)
            .filter_map(|y| {
                let (now, before) = (series.total(y)?, series.total(y - 1)?);
                (now > 0.0 && before > 0.0).then(|| (now / before).ln())
            })
            .collect();
        if growths.len() < 2 {
            return None;
        }
        let (log_mean, log_sd) = profile::mean_sd(&growths);
        Some(Trend {
            last,
            log_mean,
            log_sd,
            years: growths.len(),
        })
    }
}

/// A probability with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Chance {
    /// The probability.
    pub p: f64,
    /// Lower end of its 95% interval.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// The predictive distribution of the year's value `T = known + X`, where
/// the part still to come `X` (the whole year when `known` is 0) has a
/// Student-t `log X`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// What is already done and counts as known: the year-to-date of a flow
    /// under the remaining-months model, 0 where the whole year is estimated.
    #[serde(default)]
    pub known: f64,
    /// Centre of `log X`.
    pub log_mean: f64,
    /// Scale of `log X` (0: known exactly).
    pub log_scale: f64,
    /// Degrees of freedom (`None`: normal).
    pub df: Option<f64>,
    /// Standard error of the centre itself, from which P's interval comes.
    pub centre_se: f64,
    /// Weight of the seasonal profile's estimate (1 - that of the trend).
    pub profile_weight: f64,
    /// The median of T, `known + exp(log_mean)`, but computed in levels
    /// where that is exact (December's value; the year-to-date over a stated
    /// share), so that a projection exactly on the target meets it.
    pub median: f64,
}

impl Projection {
    /// P(T meets `target` in `direction`).
    pub fn chance(&self, target: f64, direction: Direction) -> f64 {
        self.chance_at(self.log_mean, target, direction)
    }

    fn chance_at(&self, centre: f64, target: f64, direction: Direction) -> f64 {
        // What is still to come is > 0: a target no more than what is known
        // is met from below and missed from above.
        let rest = target - self.known;
        if self.known > 0.0 && rest <= 0.0 {
            return match direction {
                Direction::AtLeast => 1.0,
                Direction::AtMost => 0.0,
            };
        }
        // With no spread the centre is the median itself (moving it by its
        // standard error, 0 too, leaves it).
        let gap = if self.log_scale > 0.0 {
            centre - rest.ln()
        } else {
            self.median - target
        };
        let above = if self.log_scale > 0.0 {
            cdf(gap / self.log_scale, self.df)
        } else if gap >= 0.0 {
            1.0
        } else {
            0.0
        };
        match direction {
            Direction::AtLeast => above,
            // With no spread, exactly at the target meets both sides.
            Direction::AtMost if self.log_scale == 0.0 => {
                if gap <= 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Direction::AtMost => 1.0 - above,
        }
    }

    /// The quantile `q` of T.
    pub fn quantile(&self, q: f64) -> f64 {
        self.known + (self.log_mean + self.log_scale * inverse_cdf(q, self.df)).exp()
    }
}

fn cdf(x: f64, df: Option<f64>) -> f64 {
    match df {
        Some(df) => StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.cdf(x)),
        None => Normal::new(0.0, 1.0).map_or(f64::NAN, |n| n.cdf(x)),
    }
}

fn inverse_cdf(q: f64, df: Option<f64>) -> f64 {
    match df {
        Some(df) => StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(q)),
        None => Normal::new(0.0, 1.0).map_or(f64::NAN, |n| n.inverse_cdf(q)),
    }
}

/// How a year is tracked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackOptions {
    /// Past complete years the learned profile averages over (>= 2).
    pub window: usize,
    /// A profile to use instead of learning one (a stated monthly pattern).
    pub profile: Option<Profile>,
    /// Whether to use the trend of past years' growth at all (off: the
    /// profile alone, as when the years are not comparable).
    pub trend: bool,
}

impl Default for TrackOptions {
    fn default() -> Self {
        TrackOptions {
            window: DEFAULT_WINDOW,
            profile: None,
            trend: true,
        }
    }
}

/// One year tracked against its target as of a month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tracking {
    /// The year.
    pub year: i32,
    /// The month as of which (1-12).
    pub month: u32,
    /// Year-to-date (a flow) or the level (a stock) at that month.
    pub ytd: f64,
    /// The year's value due.
    pub target: f64,
    /// The side that meets it.
    pub direction: Direction,
    /// `ytd / target`.
    pub done: f64,
    /// `month / 12`.
    pub elapsed: f64,
    /// Share of the year's value past years had reached by this month.
    pub expected_done: Option<f64>,
    /// Its standard deviation over those years.
    pub expected_done_sd: Option<f64>,
    /// Ahead, on schedule or behind, after the seasonal adjustment.
    pub status: Option<Status>,
    /// Year-on-year change of the year-to-date (this year against the same
    /// months of last year), as a fraction.
    pub yoy: Option<f64>,
    /// The projected value of the year (the predictive median).
    pub projected: Option<f64>,
    /// 2.5% quantile of the year's value.
    pub projected_low: Option<f64>,
    /// 97.5% quantile of the year's value.
    pub projected_high: Option<f64>,
    /// P(target met), with its 95% interval.
    pub attain: Option<Chance>,
    /// The predictive distribution behind it.
    pub projection: Option<Projection>,
    /// Past years the profile's share for this month rests on (`None`:
    /// stated, or none).
    pub profile_years: Option<usize>,
    /// Growths the trend rests on (0: no trend).
    pub trend_years: usize,
}

/// Tracks `year` of `series` as of `month` against `target`: what is done,
/// what the seasonal profile expects by now, the status, the projected
/// value of the year and P(target met). In December the year is complete:
/// P is 1 or 0. Errors: a month outside 1-12, no value at that month, a
/// target that is not finite and `> 0`. Without a profile for the month
/// (fewer than two past years, no stated one) and without a trend, the
/// projection and P are `None`.
pub fn track(
    series: &Monthly,
    year: i32,
    month: u32,
    target: f64,
    direction: Direction,
    options: &TrackOptions,
) -> Result<Tracking> {
    if !(1..=12).contains(&month) {
        return Err(Error::parameter(
            "month",
            Problem::out_of_range(month, "in 1..=12"),
        ));
    }
    if !(target.is_finite() && target > 0.0) {
        return Err(Error::parameter(
            "target",
            Problem::out_of_range(target, "> 0"),
        ));
    }
    let Some(ytd) = series.at(year, month) else {
        return Err(Error::parameter(
            "as_of",
            Problem::Other(format!("no value for {year}-{month:02}")),
        ));
    };
    let learned;
    let profile = match &options.profile {
        Some(p) => p,
        None => {
            learned = Profile::learn(series, year, options.window)?;
            &learned
        }
    };
    // A learned share needs two years for a spread; December's share is
    // the whole year by definition.
    let share = if month == 12 {
        Some(MonthShare {
            mean: 1.0,
            sd: 0.0,
            log_mean: 0.0,
            log_sd: 0.0,
            years: None,
            zeros: 0,
        })
    } else {
        profile
            .month(month)
            .filter(|s| s.years.is_none_or(|n| n >= 2))
            .copied()
    };
    let trend = if options.trend {
        Trend::learn(series, year)
    } else {
        None
    };
    let yoy = series
        .at(year - 1, month)
        .filter(|&b| b > 0.0)
        .map(|b| ytd / b - 1.0);
    // Growths the trend of the estimate used rests on.
    let mut trend_years = trend.map_or(0, |t| t.years);
    let projection = if month == 12 {
        Some(Projection {
            known: 0.0,
            log_mean: ytd.ln(),
            log_scale: 0.0,
            df: None,
            centre_se: 0.0,
            profile_weight: 1.0,
            median: ytd,
        })
    } else {
        let rest = match series.measure {
            Measure::Flow => remaining(series, year, month, ytd, profile, share.as_ref(), options),
            Measure::Stock => None,
        };
        match rest {
            Some((p, n)) => {
                trend_years = n;
                Some(p)
            }
            None => combine(ytd, share.as_ref(), trend.as_ref()),
        }
    };
    let attain = projection.filter(|p| p.log_mean.is_finite()).map(|p| {
        let q = inverse_cdf(0.975, p.df);
        let a = p.chance_at(p.log_mean - q * p.centre_se, target, direction);
        let b = p.chance_at(p.log_mean + q * p.centre_se, target, direction);
        Chance {
            p: p.chance(target, direction),
            low: a.min(b),
            high: a.max(b),
        }
    });
    let done = ytd / target;
    let status = share.map(|s| {
        let (lo, hi) = (s.mean - s.sd, s.mean + s.sd);
        let (ahead, behind) = match direction {
            Direction::AtLeast => (done > hi, done < lo),
            Direction::AtMost => (done < lo, done > hi),
        };
        if ahead {
            Status::Ahead
        } else if behind {
            Status::Behind
        } else {
            Status::OnSchedule
        }
    });
    let finite = projection.filter(|p| p.log_mean.is_finite());
    Ok(Tracking {
        year,
        month,
        ytd,
        target,
        direction,
        done,
        elapsed: f64::from(month) / 12.0,
        expected_done: share.map(|s| s.mean),
        expected_done_sd: share.map(|s| s.sd),
        status,
        yoy,
        projected: finite.map(|p| p.median),
        projected_low: finite.map(|p| p.quantile(0.025)),
        projected_high: finite.map(|p| p.quantile(0.975)),
        attain,
        projection,
        profile_years: share.and_then(|s| s.years),
        trend_years,
    })
}

/// One estimate of a log value: (centre, predictive variance, variance of
/// the centre, degrees of freedom; `None`: normal).
type Estimate = (f64, f64, f64, Option<f64>);

/// The estimate from `logs`, past years' values of the quantity added to
/// `base`: their mean, widened by its own uncertainty, t with `n - 1`
/// degrees of freedom. `None` below two values (no spread).
fn from_past(base: f64, logs: &[f64]) -> Option<Estimate> {
    if logs.len() < 2 {
        return None;
    }
    let n = logs.len() as f64;
    let (mean, sd) = profile::mean_sd(logs);
    let v = sd * sd;
    Some((base + mean, v * (1.0 + 1.0 / n), v / n, Some(n - 1.0)))
}

/// The remaining-months model of a flow (see the module doc): the profile's
/// and the trend's estimates of `log R`, `R = T - C`, and the growths the
/// trend rests on. `None` where the profile gives no estimate of `R` (no
/// share for the month, a stated share of 1, past years with nothing after
/// month `month`): the whole-year model is used then.
fn remaining(
    series: &Monthly,
    year: i32,
    month: u32,
    ytd: f64,
    profile: &Profile,
    share: Option<&MonthShare>,
    options: &TrackOptions,
) -> Option<(Projection, usize)> {
    let share = share?;
    let rest = |y: i32| -> Option<f64> {
        let r = series.total(y)? - series.at(y, month)?;
        (r > 0.0).then_some(r)
    };
    let from_profile = if ytd <= 0.0 {
        // Nothing done yet: the profile has nothing to scale.
        None
    } else {
        match share.years {
            // A stated share s: R/C = 1/s - 1, its sd by the delta method.
            None => {
                if share.mean >= 1.0 {
                    return None;
                }
                let s = share.mean;
                let sd = share.sd / (s * (1.0 - s));
                Some((ytd.ln() + (1.0 / s - 1.0).ln(), sd * sd, 0.0, None))
            }
            Some(_) => {
                let logs: Vec<f64> = profile
                    .from_years
                    .iter()
                    .filter_map(|&y| {
                        let c = series.at(y, month).filter(|&c| c > 0.0)?;
                        Some((rest(y)? / c).ln())
                    })
                    .collect();
                Some(from_past(ytd.ln(), &logs)?)
            }
        }
    };
    let from_trend = if options.trend {
        rest(year - 1).and_then(|last| {
            let growths: Vec<f64> = series
                .complete_years()
                .filter(|&y| y < year)
                .filter_map(|y| Some((rest(y)? / rest(y - 1)?).ln()))
                .collect();
            from_past(last.ln(), &growths).map(|e| (e, growths.len()))
        })
    } else {
        None
    };
    if from_profile.is_none() && from_trend.is_none() {
        return None;
    }
    let n = from_trend.map_or(0, |t| t.1);
    let mut p = pool(from_profile, from_trend.map(|t| t.0))?;
    p.known = ytd;
    // A stated share taken alone projects in levels, exactly.
    p.median = if p.profile_weight == 1.0 && share.years.is_none() {
        ytd / share.mean
    } else {
        ytd + p.log_mean.exp()
    };
    Some((p, n))
}

/// The profile's and the trend's estimates of `log T`, combined by their
/// precisions (the whole-year model).
fn combine(ytd: f64, share: Option<&MonthShare>, trend: Option<&Trend>) -> Option<Projection> {
    let from_profile = share.filter(|_| ytd > 0.0).map(|s| match s.years {
        Some(n) => {
            let n = n as f64;
            let v = s.log_sd * s.log_sd;
            (
                ytd.ln() - s.log_mean,
                v * (1.0 + 1.0 / n),
                v / n,
                Some(n - 1.0),
            )
        }
        None => (ytd.ln() - s.log_mean, s.log_sd * s.log_sd, 0.0, None),
    });
    let from_trend = trend.map(|t| {
        let n = t.years as f64;
        let v = t.log_sd * t.log_sd;
        (
            t.last.ln() + t.log_mean,
            v * (1.0 + 1.0 / n),
            v / n,
            Some(n - 1.0),
        )
    });
    let mut p = pool(from_profile, from_trend)?;
    // A stated share taken alone projects in levels, exactly.
    if let Some(s) = share
        && p.profile_weight == 1.0
        && s.years.is_none()
    {
        p.median = ytd / s.mean;
    }
    Some(p)
}

/// The profile's estimate `a` and the trend's `b` combined by their
/// precisions (the exact one wins outright); `known` 0 and the median
/// `exp(centre)`, for the caller to adjust.
fn pool(a: Option<Estimate>, b: Option<Estimate>) -> Option<Projection> {
    let (m, v, c, df, w) = match (a, b) {
        (Some(a), Some(b)) => {
            let w = if a.1 == 0.0 {
                1.0
            } else if b.1 == 0.0 {
                0.0
            } else {
                b.1 / (a.1 + b.1)
            };
            let df = if w == 1.0 {
                a.3
            } else if w == 0.0 {
                b.3
            } else {
                match (a.3, b.3) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                }
            };
            (
                w * a.0 + (1.0 - w) * b.0,
                if w == 1.0 || w == 0.0 {
                    w * a.1 + (1.0 - w) * b.1
                } else {
                    a.1 * b.1 / (a.1 + b.1)
                },
                w * w * a.2 + (1.0 - w) * (1.0 - w) * b.2,
                df,
                w,
            )
        }
        (Some(a), None) => (a.0, a.1, a.2, a.3, 1.0),
        (None, Some(b)) => (b.0, b.1, b.2, b.3, 0.0),
        (None, None) => return None,
    };
    Some(Projection {
        known: 0.0,
        log_mean: m,
        log_scale: v.sqrt(),
        df,
        centre_se: c.sqrt(),
        profile_weight: w,
        median: m.exp(),
    })
}

/// The completion rate of a year (完成率): its value over its target.
pub fn completion_rate(actual: f64, target: f64) -> Option<f64> {
    (target.is_finite() && target > 0.0 && actual.is_finite()).then(|| actual / target)
}

#[cfg(test)]
mod tests;
