//! A plan's targets tracked for one year as of a month: every indicator with
//! in-year values and an annual target, and the completion rates (完成率) of
//! the past years the plan sets targets for.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::plan::Plan;
use crate::track::{
    AnnualTarget, Monthly, Profile, TrackOptions, Tracking, annual_target, completion_rate, track,
};
use crate::warning::{Warning, WarningCode};

/// One target tracked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackedTarget {
    /// Indicator id.
    pub id: String,
    /// What the year is tracked against.
    pub target: AnnualTarget,
    /// Where it stands.
    pub tracking: Tracking,
    /// The profile used (learned or stated).
    pub profile: Profile,
}

/// A past year's outcome against its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastYear {
    /// Indicator id.
    pub id: String,
    /// The year.
    pub year: i32,
    /// Its value (December's year-to-date or level).
    pub actual: f64,
    /// Its target.
    pub target: AnnualTarget,
    /// 完成率: actual / target.
    pub completion: f64,
}

/// The whole tracking of a plan for a year as of a month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanTracking {
    /// The year tracked.
    pub year: i32,
    /// The month as of which.
    pub month: u32,
    /// The targets tracked, in plan order.
    pub rows: Vec<TrackedTarget>,
    /// Past plan years with a complete value, in plan order then year.
    pub past: Vec<PastYear>,
    /// What could not be tracked, and why.
    pub warnings: Vec<Warning>,
}

/// Tracks every indicator of `plan` that `series` holds, for `year` as of
/// `month`. Indicators without in-year values, without an annual target
/// for the year, or without a value at that month are not tracked and say
/// so in a warning; so is a target without enough history for P.
pub fn track_plan(
    plan: &Plan,
    series: &BTreeMap<String, Monthly>,
    year: i32,
    month: u32,
    options: &TrackOptions,
) -> Result<PlanTracking> {
    let mut rows = Vec::new();
    let mut past = Vec::new();
    let mut warnings = Vec::new();
    let not = |id: &str, why: String| Warning::about(WarningCode::NotTracked, id, why);
    let mut absent = Vec::new();
    for ind in &plan.indicators {
        let id = ind.id.as_str();
        let Some(s) = series.get(id) else {
            absent.push(id);
            continue;
        };
        for y in s.complete_years().filter(|&y| y < year) {
            if let (Some(t), Some(actual)) = (annual_target(plan, id, y)?, s.total(y))
                && let Some(completion) = completion_rate(actual, t.value)
            {
                past.push(PastYear {
                    id: id.to_string(),
                    year: y,
                    actual,
                    target: t,
                    completion,
                });
            }
        }
        let Some(target) = annual_target(plan, id, year)? else {
            warnings.push(not(
                id,
                format!(
                    "its {} target sets no value of the series for {year} (plan years {}-{})",
                    ind.target.kind(),
                    plan.base_year + 1,
                    plan.target_year
                ),
            ));
            continue;
        };
        if s.at(year, month).is_none() {
            warnings.push(not(id, format!("no value for {year}-{month:02}")));
            continue;
        }
        let profile = match &options.profile {
            Some(p) => p.clone(),
            None => Profile::learn(s, year, options.window)?,
        };
        let opts = TrackOptions {
            profile: Some(profile.clone()),
            ..options.clone()
        };
        let tracking = track(s, year, month, target.value, target.direction, &opts)?;
        if let Some(z) = profile.month(month).map(|s| s.zeros).filter(|&z| z > 0) {
            warnings.push(Warning::about(
                WarningCode::ZeroShare,
                id,
                format!(
                    "{z} of the profile's past years had nothing done by month {month}; the share by then rests on the others"
                ),
            ));
        }
        if tracking.attain.is_none() {
            warnings.push(not(
                id,
                format!(
                    "no P for {year}-{month:02}: fewer than two past complete years for a profile or a trend, and no stated profile"
                ),
            ));
        }
        rows.push(TrackedTarget {
            id: id.to_string(),
            target,
            tracking,
            profile,
        });
    }
    if !absent.is_empty() {
        warnings.insert(
            0,
            Warning::general(
                WarningCode::NotTracked,
                format!("no in-year values for: {}", absent.join(", ")),
            ),
        );
    }
    Ok(PlanTracking {
        year,
        month,
        rows,
        past,
        warnings,
    })
}
