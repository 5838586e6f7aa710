//! Progress towards a target at any year of the plan: the completion rate
//! (完成率, actual / target), the share of the plan period elapsed, the share
//! of the distance covered, and the mid-term test "时间过半、任务过半" (half the
//! time gone, half the task done).
//!
//! Level and growth targets measure distance in log terms: the share covered is
//! `ln(actual / base) / ln(target / base)`, so a series growing at the constant
//! rate that carries the base to the target covers exactly the elapsed share of
//! the period. Reductions (at-most targets, `target < base`) work the same way:
//! both logs are negative, and a cut of half the planned log distance gives a
//! share of 0.5. Cumulative targets measure distance linearly: the share
//! covered is the sum achieved so far over the total.
//!
//! Shares are not clamped: a series that fell below its base has a negative
//! share, one past its target a share above 1.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result, finite, positive};
use crate::plan::growth::{self, log_ratio};

/// Slack for the on-track comparison, so a series exactly on its planned path
/// is judged on track despite rounding in the logs.
const ON_TRACK_SLACK: f64 = 1e-9;

/// Where a target stands in one year of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The year the actual belongs to.
    pub year: i32,
    /// Years left until the target year (0 in the target year).
    pub years_left: u32,
    /// Completion rate (完成率), a fraction: actual / target for level and
    /// growth targets, achieved sum / total for cumulative ones. For an at-most
    /// target a value above 1 means the actual is still above the ceiling.
    pub completion: f64,
    /// Share of the plan period elapsed: `(year - base_year) / (target_year - base_year)`.
    pub elapsed_share: f64,
    /// Share of the distance from base to target covered (log terms for level
    /// and growth targets, linear for cumulative ones); not clamped to [0, 1].
    pub progress_share: f64,
    /// 时间过半、任务过半: whether `progress_share >= elapsed_share`.
    pub on_track: bool,
    /// Average annual growth (a fraction) still required from the actual to
    /// reach the target in the years left; `None` in the target year, and for
    /// a cumulative target also when the total is already reached.
    pub required_growth: Option<f64>,
}

/// Checks the years and returns `(elapsed_share, years_left)`.
fn period(base_year: i32, target_year: i32, year: i32) -> Result<(f64, u32)> {
    // i64 so that extreme years cannot overflow the subtraction.
    let span = i64::from(target_year) - i64::from(base_year);
    if span <= 0 {
        return Err(Error::parameter(
            "target_year",
            Problem::out_of_range(target_year, format!("after base_year {base_year}")),
        ));
    }
    if year < base_year || year > target_year {
        return Err(Error::parameter(
            "year",
            Problem::out_of_range(year, format!("in [{base_year}, {target_year}]")),
        ));
    }
    let elapsed = i64::from(year) - i64::from(base_year);
    let left = i64::from(target_year) - i64::from(year);
    // `left` is at most `span` < 2^32, so it fits in u32.
    Ok((elapsed as f64 / span as f64, left as u32))
}

/// `num / den` as a completion rate, refusing a quotient that overflows.
fn completion(name: &str, num: f64, den: f64) -> Result<f64> {
    let r = num / den;
    if r.is_finite() {
        Ok(r)
    } else {
        Err(Error::parameter(
            name,
            format!("{num:e} over {den:e} overflows as a completion rate"),
        ))
    }
}

fn on_track(progress_share: f64, elapsed_share: f64) -> bool {
    progress_share >= elapsed_share - ON_TRACK_SLACK
}

/// Progress of a level target (or any target with a base and a target level)
/// in `year`, given the `actual` value of that year.
///
/// `base` is the value in `base_year`, `target` the level due in `target_year`.
/// Works for increases and for reductions (at-most targets, `target < base`).
///
/// Errors when `target_year <= base_year`, when `year` is outside
/// `[base_year, target_year]`, when `base`, `target` or `actual` is not finite
/// and > 0 (the logs need them positive; a zero `base`, a count from
/// nothing, is measured linearly instead, `actual / target`), and when
/// `target == base`: with no
/// distance to cover the share covered is undefined (0/0), so it is refused
/// rather than given an arbitrary value.
pub fn progress(
    base: f64,
    target: f64,
    actual: f64,
    base_year: i32,
    target_year: i32,
    year: i32,
) -> Result<Progress> {
    let (elapsed_share, years_left) = period(base_year, target_year, year)?;
    let progress_share = if base == 0.0 {
        share_from_zero(target, actual)?
    } else {
        log_share(base, target, actual)?
    };
    // From a zero actual no growth reaches the target.
    let required_growth = if years_left == 0 || actual == 0.0 {
        None
    } else {
        Some(growth::required_growth(
            actual,
            target,
            f64::from(years_left),
        )?)
    };
    Ok(Progress {
        year,
        years_left,
        completion: if base == 0.0 {
            progress_share
        } else {
            completion("actual", actual, target)?
        },
        elapsed_share,
        progress_share,
        on_track: on_track(progress_share, elapsed_share),
        required_growth,
    })
}

/// The share of the log distance from `base` to `target` that `actual`
/// covers, all three positive.
fn log_share(base: f64, target: f64, actual: f64) -> Result<f64> {
    positive("base", base)?;
    positive("target", target)?;
    positive("actual", actual)?;
    let distance = log_ratio(target, base);
    if distance == 0.0 {
        return Err(Error::parameter(
            "target",
            format!(
                "equals base {base} (got {target}): no distance to cover, the progress share is undefined"
            ),
        ));
    }
    Ok(log_ratio(actual, base) / distance)
}

/// The share covered by a count from a zero base (firms attracted, from
/// none): no log distance exists, so it is linear, `actual / target`, and
/// is also the completion rate.
fn share_from_zero(target: f64, actual: f64) -> Result<f64> {
    positive("target", target)?;
    if !(actual.is_finite() && actual >= 0.0) {
        return Err(Error::parameter(
            "actual",
            Problem::out_of_range(actual, "finite and >= 0 for a count from a zero base"),
        ));
    }
    // A subnormal target can make the quotient overflow.
    completion("actual", actual, target)
}

/// Progress of an average-growth target ("at least `rate` a year", a fraction)
/// in `year`: the target level is `base (1 + rate)^(target_year - base_year)`,
/// and the rest is [`progress`]. A zero rate leaves no distance and is an error.
pub fn progress_growth(
    base: f64,
    rate: f64,
    actual: f64,
    base_year: i32,
    target_year: i32,
    year: i32,
) -> Result<Progress> {
    period(base_year, target_year, year)?;
    positive("base", base)?;
    let years = (i64::from(target_year) - i64::from(base_year)) as f64;
    let target = growth::project(base, rate, years)?;
    progress(base, target, actual, base_year, target_year, year)
}

/// Progress of a cumulative target ("累计完成100亿美元"): `achieved_sum` is the
/// sum of the yearly values from `base_year + 1` through `year`, `total` the sum
/// due over the plan years, `latest` the yearly value in `year` (the start of
/// the growth still required; in the base year, the base value).
///
/// Completion and progress share are both `achieved_sum / total`. Note that a
/// growing series accumulates most of its total late, so a cumulative target
/// on a rising path is naturally behind the elapsed share early on.
///
/// Errors when the years are invalid (as for [`progress`]), when `total` or
/// `latest` is not finite and > 0, or when `achieved_sum` is not finite.
pub fn progress_cumulative(
    total: f64,
    achieved_sum: f64,
    latest: f64,
    base_year: i32,
    target_year: i32,
    year: i32,
) -> Result<Progress> {
    let (elapsed_share, years_left) = period(base_year, target_year, year)?;
    positive("total", total)?;
    finite("achieved_sum", achieved_sum)?;
    positive("latest", latest)?;
    let progress_share = completion("achieved_sum", achieved_sum, total)?;
    let required_growth = if years_left == 0 {
        None
    } else {
        growth::required_cumulative_growth(latest, achieved_sum, total, years_left)?
    };
    Ok(Progress {
        year,
        years_left,
        completion: progress_share,
        elapsed_share,
        progress_share,
        on_track: on_track(progress_share, elapsed_share),
        required_growth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
    }

    #[test]
    fn trade_row_mid_term() {
        // 4875 (2020) -> 8400 (2025), 6000 in 2022.
        let p = progress(4875.0, 8400.0, 6000.0, 2020, 2025, 2022).unwrap();
        assert_eq!(p.years_left, 3);
        close(p.elapsed_share, 0.4);
        // log(6000/4875)/log(8400/4875)
        close(p.progress_share, 0.38161172127959625);
        // 6000/8400
        close(p.completion, 0.7142857142857143);
        assert!(!p.on_track);
        // (8400/6000)**(1/3)-1
        close(p.required_growth.unwrap(), 0.1186889420813968);

        // 5200 in 2023: log(5200/4875)/log(8400/4875), (8400/5200)**(1/2)-1
        let p = progress(4875.0, 8400.0, 5200.0, 2020, 2025, 2023).unwrap();
        close(p.elapsed_share, 0.6);
        close(p.progress_share, 0.11861265404299008);
        close(p.required_growth.unwrap(), 0.2709778186044851);
        assert!(!p.on_track);
    }

    #[test]
    fn annual_completion_rate_as_in_the_seed() {
        // Trade 621.5 against a yearly target of 592: 621.5/592 = 1.0498 (105%).
        // Base 462.77 (621.5 / 1.343): log(621.5/462.77)/log(592/462.77).
        let p = progress(462.77, 592.0, 621.5, 2021, 2022, 2022).unwrap();
        close(p.completion, 1.0498310810810811);
        close(p.progress_share, 1.197458072856476);
        close(p.elapsed_share, 1.0);
        assert!(p.on_track);
        assert_eq!(p.years_left, 0);
        assert_eq!(p.required_growth, None);
    }

    #[test]
    fn reduction_target() {
        // Clearance time 10 -> at most 5 (cut by half), 7 after 2 of 5 years.
        let p = progress(10.0, 5.0, 7.0, 2020, 2025, 2022).unwrap();
        // log(7/10)/log(5/10)
        close(p.progress_share, 0.5145731728297583);
        close(p.completion, 1.4);
        assert!(p.on_track);
        // (5/7)**(1/3)-1
        close(p.required_growth.unwrap(), -0.10609646490343239);
        // Rising instead of falling is negative progress.
        let p = progress(10.0, 5.0, 12.0, 2020, 2025, 2022).unwrap();
        assert!(p.progress_share < 0.0 && !p.on_track);
    }

    #[test]
    fn on_the_planned_path_is_on_track() {
        for year in 2020..=2025 {
            let t = f64::from(year - 2020);
            let actual = 4875.0 * (8400.0f64 / 4875.0).powf(t / 5.0);
            let p = progress(4875.0, 8400.0, actual, 2020, 2025, year).unwrap();
            close(p.progress_share, t / 5.0);
            assert!(p.on_track, "{year}");
        }
    }

    #[test]
    fn growth_target() {
        // 7% a year from 100 over 5 years; 100*1.08**3 after 3 years.
        let actual = 100.0 * 1.08f64.powi(3);
        let p = progress_growth(100.0, 0.07, actual, 2020, 2025, 2023).unwrap();
        // 3*log(1.08)/(5*log(1.07))
        close(p.progress_share, 0.6824940450820303);
        assert!(p.on_track);
        // (1.07**5*100/(100*1.08**3))**0.5-1
        close(p.required_growth.unwrap(), 0.055173342881774445);
        // 1.07**5*100 = 140.25517307000004
        close(p.completion, actual / 140.25517307000004);
        assert!(progress_growth(100.0, 0.0, 100.0, 2020, 2025, 2023).is_err());
    }

    #[test]
    fn cumulative_target() {
        // 100 due over 2021-2025; 55 achieved by 2023, latest yearly value 20.
        let p = progress_cumulative(100.0, 55.0, 20.0, 2020, 2025, 2023).unwrap();
        close(p.progress_share, 0.55);
        close(p.completion, 0.55);
        close(p.elapsed_share, 0.6);
        assert!(!p.on_track);
        // 20(1+g) + 20(1+g)^2 = 45: (sqrt(10)-1)/2-1
        close(p.required_growth.unwrap(), 0.08113883008418976);
        // Already met: no growth required.
        let p = progress_cumulative(100.0, 101.0, 20.0, 2020, 2025, 2023).unwrap();
        assert_eq!(p.required_growth, None);
        assert!(p.on_track);
        // Target year: none either.
        let p = progress_cumulative(100.0, 90.0, 20.0, 2020, 2025, 2025).unwrap();
        assert_eq!(p.required_growth, None);
        assert!(!p.on_track);
    }

    #[test]
    fn errors() {
        let e = progress(4875.0, 8400.0, 6000.0, 2020, 2025, 2026).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter year: must be in [2020, 2025], got 2026"
        );
        let e = progress(4875.0, 8400.0, 6000.0, 2020, 2025, 2019).unwrap_err();
        assert!(matches!(e, Error::Parameter { ref name, .. } if name == "year"));
        let e = progress(4875.0, 8400.0, 6000.0, 2020, 2020, 2020).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter target_year: must be after base_year 2020, got 2020"
        );
        let e = progress(-3.0, 8400.0, 6000.0, 2020, 2025, 2022).unwrap_err();
        assert_eq!(e.to_string(), "parameter base: must be > 0, got -3");
        let e = progress(4875.0, f64::NAN, 6000.0, 2020, 2025, 2022).unwrap_err();
        assert_eq!(e.to_string(), "parameter target: must be > 0, got NaN");
        let e = progress(4875.0, 8400.0, 0.0, 2020, 2025, 2022).unwrap_err();
        assert_eq!(e.to_string(), "parameter actual: must be > 0, got 0");
        let e = progress(100.0, 100.0, 110.0, 2020, 2025, 2022).unwrap_err();
        assert!(matches!(e, Error::Parameter { ref name, .. } if name == "target"));
        let e = progress_cumulative(0.0, 1.0, 1.0, 2020, 2025, 2022).unwrap_err();
        assert_eq!(e.to_string(), "parameter total: must be > 0, got 0");
        let e = progress_cumulative(10.0, f64::INFINITY, 1.0, 2020, 2025, 2022).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter achieved_sum: must be finite, got inf"
        );
        let e = progress_cumulative(10.0, 1.0, -1.0, 2020, 2025, 2022).unwrap_err();
        assert_eq!(e.to_string(), "parameter latest: must be > 0, got -1");
        let e = progress(1e-300, 1e-300 * 2.0, 1e300, 2020, 2025, 2022).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter actual: 1e300 over 2e-300 overflows as a completion rate"
        );
        let e = progress_cumulative(1e-300, 1e300, 1.0, 2020, 2025, 2022).unwrap_err();
        assert!(matches!(e, Error::Parameter { ref name, .. } if name == "achieved_sum"));
        // A count from zero towards a subnormal target (found by proptest in CI).
        let e = progress(-0.0, 7.8e-309, 176602.0, 0, 1996, 1990).unwrap_err();
        assert!(matches!(e, Error::Parameter { ref name, .. } if name == "actual"));
        // Extreme years do not overflow.
        let p = progress(1.0, 2.0, 1.5, i32::MIN, i32::MAX, 0).unwrap();
        assert!(p.elapsed_share > 0.49 && p.elapsed_share < 0.51);
    }

    #[test]
    fn extreme_values_stay_finite() {
        let p = progress(1e-300, 1e300, 1e200, 2020, 2025, 2022).unwrap();
        // log(1e200/1e-300)/log(1e300/1e-300) = 500/600
        close(p.progress_share, 500.0 / 600.0);
    }

    #[test]
    fn serde_round_trip() {
        let p = progress(4875.0, 8400.0, 6000.0, 2020, 2025, 2022).unwrap();
        let json = serde_json::to_string(&p).unwrap();
        let back: Progress = serde_json::from_str(&json).unwrap();
        assert_eq!(p, back);
    }
}
