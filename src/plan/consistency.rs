//! Is a plan table consistent? For every row: the growth its base and target
//! imply, what the stated growth would reach, and whether the two agree at the
//! precision the rate is printed.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::plan::growth;
use crate::plan::series_index::SeriesIndex;
use crate::plan::target::Target;
use crate::plan::{Indicator, Plan};
use crate::warning::{Warning, WarningCode};

/// The consistency findings for one row of a plan table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowCheck {
    /// Indicator id.
    pub id: String,
    /// Row number as printed.
    pub no: Option<u32>,
    /// Target kind.
    pub kind: String,
    /// Growth the row implies, percent a year: base to target for levels and
    /// approximate targets, the constant growth that sums to a cumulative
    /// target, the growth of the ratio for ratio targets, the growth to the
    /// summed components for aggregates, the stated rate for growth targets.
    pub implied_growth_pct: Option<f64>,
    /// Value the stated growth reaches in the target year (the sum over the
    /// plan years for cumulative targets).
    pub reached: Option<f64>,
    /// `reached / target - 1`, percent.
    pub gap_pct: Option<f64>,
    /// Whether the implied growth prints as the stated one; `None` where the
    /// row states no growth or the check does not apply.
    pub consistent: Option<bool>,
    /// For ratio rows: the fastest average growth of the denominator that
    /// still lets the ratio hold if the numerator meets its own level target.
    pub max_denominator_growth_pct: Option<f64>,
    /// For aggregate rows: whether the base equals the sum of the components'
    /// bases to the precision printed.
    pub components_add_up: Option<bool>,
    /// The threshold of the rule the row's target resolves to, in the rule's
    /// own measure: the level for level and ratio rows, the sum for cumulative
    /// ones, the summed components' targets for an aggregate without a printed
    /// value, the yearly value for every-year rows; but the growth fraction for
    /// growth rows, the factor for multiples, the tolerance in percent for
    /// approximate rows and 0 (a margin) for milestones.
    pub threshold: Option<f64>,
}

/// Checks every indicator of `plan`, in table order.
pub fn check_plan(plan: &Plan) -> Result<Vec<RowCheck>> {
    plan.validate()?;
    // One index for every row: building it clones every id.
    let index = plan.index();
    plan.indicators
        .iter()
        .map(|i| check_row_in(plan, &index, i))
        .collect()
}

/// Checks one indicator of `plan`.
pub fn check_row(plan: &Plan, ind: &Indicator) -> Result<RowCheck> {
    check_row_in(plan, &plan.index(), ind)
}

/// [`check_row`] with the plan's series index built once by the caller.
fn check_row_in(plan: &Plan, index: &SeriesIndex, ind: &Indicator) -> Result<RowCheck> {
    let n = plan.horizon()?;
    let years = n as f64;
    let named = |e: Error| match e {
        Error::Parameter { name, problem } => Error::indicator(&ind.id, &name, problem),
        Error::NoSolution(s) => Error::indicator(&ind.id, "target", s),
        other => other,
    };
    let mut row = RowCheck {
        id: ind.id.clone(),
        no: ind.no,
        kind: ind.target.kind().to_string(),
        implied_growth_pct: None,
        reached: None,
        gap_pct: None,
        consistent: None,
        max_denominator_growth_pct: None,
        components_add_up: None,
        threshold: ind.target.rule(&ind.id, index).ok().map(|r| r.threshold),
    };
    let stated = ind.stated_growth.as_ref();
    let fill = |row: &mut RowCheck, c: growth::Consistency| {
        row.reached = Some(c.reached);
        row.gap_pct = Some(c.gap_pct);
        row.consistent = Some(c.consistent);
    };
    // A zero base (a count from nothing) implies no growth: as without one.
    match (&ind.target, ind.base.filter(|&b| b > 0.0)) {
        (
            Target::Level { value, .. }
            | Target::Approximately { value, .. }
            | Target::Range { low: value, .. },
            Some(base),
        ) => {
            row.implied_growth_pct =
                Some(100.0 * growth::implied_growth(base, *value, years).map_err(named)?);
            if let Some(s) = stated {
                fill(
                    &mut row,
                    growth::check_level(base, *value, years, s.pct, s.band_pct()).map_err(named)?,
                );
            }
        }
        (Target::Cumulative { total, .. }, Some(base)) => {
            row.implied_growth_pct = Some(
                100.0 * growth::cumulative_implied_growth(base, *total, n as u32).map_err(named)?,
            );
            if let Some(s) = stated {
                fill(
                    &mut row,
                    growth::check_cumulative(base, *total, n as u32, s.pct, s.band_pct())
                        .map_err(named)?,
                );
            }
        }
        (
            Target::Ratio {
                numerator,
                denominator,
                value,
                scale,
                ..
            },
            base,
        ) => {
            if let Some(base) = base {
                row.implied_growth_pct =
                    Some(100.0 * growth::implied_growth(base, *value, years).map_err(named)?);
            }
            let num_target = plan
                .indicator(numerator)
                .and_then(|i| i.target.target_level());
            let den_base = plan
                .series_index(denominator)
                .and_then(|k| plan.series_base(k));
            if let (Some(num), Some(den)) = (num_target, den_base) {
                row.max_denominator_growth_pct = Some(
                    100.0
                        * growth::ratio_denominator_growth(num, value / scale, den, years)
                            .map_err(named)?,
                );
            }
        }
        (Target::Aggregate { components, .. }, Some(base)) => {
            if let Some(threshold) = row.threshold {
                row.implied_growth_pct =
                    Some(100.0 * growth::implied_growth(base, threshold, years).map_err(named)?);
            }
            // The identity is about the base year: it holds or not whatever the
            // target says, and needs every component's base.
            let parts: Option<Vec<f64>> = components
                .iter()
                .map(|c| plan.series_index(c).and_then(|k| plan.series_base(k)))
                .collect();
            row.components_add_up = parts.map(|parts| {
                // Each printed figure may be off by half its last digit.
                let slack: f64 = printed_precision(base)
                    + parts.iter().map(|&p| printed_precision(p)).sum::<f64>();
                (parts.iter().sum::<f64>() - base).abs() <= slack
            });
        }
        (
            Target::Multiple {
                factor, of_value, ..
            },
            Some(base),
        ) => {
            // A multiple is a level target of base (or the reference year's
            // level) x factor.
            let level = factor * of_value.unwrap_or(base);
            row.implied_growth_pct = Some(match of_value {
                None => 100.0 * (factor.powf(1.0 / years) - 1.0),
                Some(_) => 100.0 * growth::implied_growth(base, level, years).map_err(named)?,
            });
            if let Some(s) = stated {
                fill(
                    &mut row,
                    growth::check_level(base, level, years, s.pct, s.band_pct()).map_err(named)?,
                );
            }
        }
        (Target::Growth { .. }, base) => {
            row.implied_growth_pct = ind.target.implied_growth_pct(base, n);
        }
        // Without a base nothing is implied; flows and milestones imply no
        // single growth.
        (
            Target::Level { .. }
            | Target::Approximately { .. }
            | Target::Cumulative { .. }
            | Target::Aggregate { .. }
            | Target::Multiple { .. }
            | Target::Range { .. },
            None,
        )
        | (
            Target::EveryYear { .. } | Target::Milestones { .. } | Target::RelativeGrowth { .. },
            _,
        ) => {}
    }
    Ok(row)
}

/// What is doubtful in the plan's own figures, though not wrong enough to
/// refuse: a ratio row whose base is not the ratio of its parts' bases at
/// the precision the three are printed.
pub fn plan_warnings(plan: &Plan) -> Vec<Warning> {
    let mut out = Vec::new();
    for ind in &plan.indicators {
        let Target::Ratio {
            numerator,
            denominator,
            scale,
            ..
        } = &ind.target
        else {
            continue;
        };
        let base_of = |id: &str| plan.series_index(id).and_then(|k| plan.series_base(k));
        let (Some(base), Some(num), Some(den)) =
            (ind.base, base_of(numerator), base_of(denominator))
        else {
            continue;
        };
        if !ratio_agrees(base, num, den, *scale) {
            out.push(Warning::about(
                WarningCode::InconsistentRatioBase,
                &ind.id,
                format!(
                    "base {base} is not {scale} * {numerator} / {denominator} = {} (bases {num} \
                     and {den}) at the precision printed; the simulation computes the ratio \
                     from its parts",
                    crate::number::Short(scale * num / den)
                ),
            ));
        }
    }
    out
}

/// Whether `value` can be `scale * num / den` when each of the three may be
/// off by half its last printed digit.
pub fn ratio_agrees(value: f64, num: f64, den: f64, scale: f64) -> bool {
    let (pv, pn, pd) = (
        printed_precision(value),
        printed_precision(num),
        printed_precision(den),
    );
    let lo = scale * (num - pn) / (den + pd);
    let hi = if den > pd {
        scale * (num + pn) / (den - pd)
    } else {
        f64::INFINITY
    };
    // Either order: a negative scale or part would swap the ends.
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    value + pv >= lo && value - pv <= hi
}

/// Whether `value` can be the sum of `parts` when each figure may be off by
/// half its last printed digit.
pub fn sum_agrees(value: f64, parts: &[f64]) -> bool {
    let slack = printed_precision(value) + parts.iter().map(|&p| printed_precision(p)).sum::<f64>();
    (parts.iter().sum::<f64>() - value).abs() <= slack
}

/// Half a unit of the last digit a value shows when printed shortest (210 ->
/// 0.5, 283.1 -> 0.05): the slack of a sum of rounded figures.
pub(crate) fn printed_precision(v: f64) -> f64 {
    let text = format!("{v}");
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len() as i32);
    0.5 * 10f64.powi(-decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2020 -> 2025 plan from `[[indicator]]` tables, each given as the
    /// keys after `attribute` (id, name, unit and attribute are filled in).
    fn plan(rows: &[(&str, &str)], extra: &str) -> Plan {
        let mut text = String::from("name = \"t\"\nbase_year = 2020\ntarget_year = 2025\n");
        for (id, keys) in rows {
            text.push_str(&format!(
                "[[indicator]]\nid = \"{id}\"\nname = \"{id}\"\nname_zh = \"{id}\"\n\
                 unit = \"u\"\nattribute = \"expected\"\n{keys}\n"
            ));
        }
        text.push_str(extra);
        Plan::from_toml_str(&text).unwrap()
    }

    fn one(keys: &str) -> RowCheck {
        let p = plan(&[("x", keys)], "");
        check_row(&p, &p.indicators[0]).unwrap()
    }

    fn close(a: Option<f64>, b: f64, tol: f64) {
        let a = a.expect("a value");
        assert!((a - b).abs() <= tol, "{a} vs {b}");
    }

    #[test]
    fn printed_precision_of_rounded_figures() {
        assert_eq!(printed_precision(210.0), 0.5);
        assert!((printed_precision(283.1) - 0.05).abs() < 1e-15);
        assert!((printed_precision(22.53) - 0.005).abs() < 1e-15);
    }

    #[test]
    fn level_row_one_of_the_hunan_table_misses_its_band() {
        let c =
            one("base = 4875\nstated_growth = \"12\"\ntarget = { kind = \"level\", value = 8400 }");
        // python3: ((8400/4875)**0.2-1)*100 = 11.496422621; 4875*1.12**5 = 8591.4157056;
        // (4875*1.12**5/8400-1)*100 = 2.2787584
        close(c.implied_growth_pct, 11.496_422_621, 1e-8);
        close(c.reached, 8_591.415_705_6, 1e-6);
        close(c.gap_pct, 2.278_758_4, 1e-6);
        // 11.4964 < 11.5, the lowest rate that prints as "12".
        assert_eq!(c.consistent, Some(false));
        assert_eq!(c.kind, "level");
        assert_eq!(c.threshold, Some(8400.0));
    }

    #[test]
    fn level_band_follows_the_printed_decimals() {
        // python3: (1.43**0.2-1)*100 = 7.4155626; 100*1.075**5 = 143.5629326;
        // (100*1.075**5/143-1)*100 = 0.3936592
        let c =
            one("base = 100\nstated_growth = \"7.5\"\ntarget = { kind = \"level\", value = 143 }");
        close(c.implied_growth_pct, 7.415_562_6, 1e-6);
        close(c.reached, 143.562_932_6, 1e-6);
        close(c.gap_pct, 0.393_659_2, 1e-6);
        assert_eq!(c.consistent, Some(false)); // band [7.45, 7.55)
        let c =
            one("base = 100\nstated_growth = \"7.4\"\ntarget = { kind = \"level\", value = 143 }");
        assert_eq!(c.consistent, Some(true)); // band [7.35, 7.45)
        // No stated growth: the implied rate alone.
        let c = one("base = 100\ntarget = { kind = \"level\", value = 143 }");
        close(c.implied_growth_pct, 7.415_562_6, 1e-6);
        assert_eq!((c.reached, c.gap_pct, c.consistent), (None, None, None));
    }

    #[test]
    fn about_rates_get_the_about_band() {
        // "7左右" allows 6..8 %. python3: (1.46**0.2-1)*100 = 7.8625221,
        // (1.48**0.2-1)*100 = 8.1564298; 100*1.07**5 = 140.2551731
        let t = |v: f64| {
            one(&format!(
                "base = 100\nstated_growth = \"7左右\"\n\
                 target = {{ kind = \"approximately\", value = {v}, tolerance_pct = 5 }}"
            ))
        };
        let c = t(146.0);
        close(c.implied_growth_pct, 7.862_522_1, 1e-6);
        close(c.reached, 140.255_173_1, 1e-6);
        assert_eq!(c.consistent, Some(true));
        assert_eq!(c.kind, "approximately");
        let c = t(148.0);
        close(c.implied_growth_pct, 8.156_429_8, 1e-6);
        assert_eq!(c.consistent, Some(false));
    }

    #[test]
    fn cumulative_rows() {
        // Row 9: base 14.9, 100 over five years. Bisection in python3 on
        // sum(14.9*(1+g)**t for t in range(1,6)) = 100 gives g = 9.978424290 %;
        // sum(14.9*1.1**t for t in range(1,6)) = 100.062589.
        let c = one(
            "base = 14.9\nstated_growth = \"10\"\ntarget = { kind = \"cumulative\", total = 100 }",
        );
        close(c.implied_growth_pct, 9.978_424_29, 1e-7);
        close(c.reached, 100.062_589, 1e-9);
        close(c.gap_pct, 0.062_589, 1e-9);
        assert_eq!(c.consistent, Some(true));
        let c = one(
            "base = 14.9\nstated_growth = \"11\"\ntarget = { kind = \"cumulative\", total = 100 }",
        );
        assert_eq!(c.consistent, Some(false));
        // As printed in the plan: no stated rate, so no verdict.
        let c = one("base = 14.9\ntarget = { kind = \"cumulative\", total = 100 }");
        close(c.implied_growth_pct, 9.978_424_29, 1e-7);
        assert_eq!(c.consistent, None);
    }

    #[test]
    fn ratio_rows() {
        let gdp = "[[series]]\nid = \"gdp\"\nname = \"GDP\"\nunit = \"u\"\nbase = 41781.49\n";
        let p = plan(
            &[
                (
                    "trade",
                    "base = 4875\ntarget = { kind = \"level\", value = 8400 }",
                ),
                (
                    "dep",
                    "base = 11.7\ntarget = { kind = \"ratio\", numerator = \"trade\", \
                     denominator = \"gdp\", value = 15 }",
                ),
            ],
            gdp,
        );
        let c = check_row(&p, &p.indicators[1]).unwrap();
        // python3: ((15/11.7)**0.2-1)*100 = 5.094764045;
        // ((8400/0.15/41781.49)**0.2-1)*100 = 6.032944229
        close(c.implied_growth_pct, 5.094_764_045, 1e-8);
        close(c.max_denominator_growth_pct, 6.032_944_229, 1e-8);
        assert_eq!(c.consistent, None);
        // A numerator without a level target bounds no denominator.
        let p = plan(
            &[
                (
                    "trade",
                    "base = 4875\ntarget = { kind = \"growth\", pct = 12 }",
                ),
                (
                    "dep",
                    "base = 11.7\ntarget = { kind = \"ratio\", numerator = \"trade\", \
                     denominator = \"gdp\", value = 15 }",
                ),
            ],
            gdp,
        );
        let c = check_row(&p, &p.indicators[1]).unwrap();
        close(c.implied_growth_pct, 5.094_764_045, 1e-8);
        assert_eq!(c.max_denominator_growth_pct, None);
    }

    #[test]
    fn aggregate_rows() {
        let with = |base: f64, target: &str| {
            let p = plan(
                &[
                    (
                        "all",
                        &format!(
                            "base = {base}\ntarget = {{ kind = \"aggregate\", components = [\"a\", \"b\"]{target} }}"
                        ),
                    ),
                    ("a", "base = 14\ntarget = { kind = \"level\", value = 56 }"),
                    (
                        "b",
                        "base = 196\ntarget = { kind = \"level\", value = 396 }",
                    ),
                ],
                "",
            );
            check_row(&p, &p.indicators[0]).unwrap()
        };
        // 利用外资: 210 = 14 + 196; no printed target, so 56 + 396 = 452.
        // python3: ((452/210)**0.2-1)*100 = 16.569203233
        let c = with(210.0, "");
        assert_eq!(c.threshold, Some(452.0));
        close(c.implied_growth_pct, 16.569_203_233, 1e-8);
        assert_eq!(c.components_add_up, Some(true));
        assert_eq!(c.consistent, None);
        // A printed value wins: python3 ((420/210)**0.2-1)*100 = 14.869835500
        let c = with(210.0, ", value = 420");
        assert_eq!(c.threshold, Some(420.0));
        close(c.implied_growth_pct, 14.869_835_5, 1e-8);
        // Rounded integers: 14 + 196 lies in [209, 211), 211 in [210.5, 211.5):
        // they can agree; 212 cannot.
        assert_eq!(with(211.0, "").components_add_up, Some(true));
        assert_eq!(with(212.0, "").components_add_up, Some(false));
        assert_eq!(with(208.0, "").components_add_up, Some(false));
    }

    #[test]
    fn multiple_rows() {
        // Doubling in five years: python3 (2**0.2-1)*100 = 14.869835500;
        // 100*1.15**5 = 201.13571875; (201.13571875/200-1)*100 = 0.567859375
        let c =
            one("base = 100\nstated_growth = \"15\"\ntarget = { kind = \"multiple\", factor = 2 }");
        close(c.implied_growth_pct, 14.869_835_5, 1e-8);
        close(c.reached, 201.135_718_75, 1e-8);
        close(c.gap_pct, 0.567_859_375, 1e-8);
        assert_eq!(c.consistent, Some(true));
        // Halving: python3 (0.5**0.2-1)*100 = -12.944943670
        let c = one(
            "base = 100\ntarget = { kind = \"multiple\", factor = 0.5, direction = \"at_most\" }",
        );
        close(c.implied_growth_pct, -12.944_943_67, 1e-8);
        assert_eq!(c.consistent, None);
    }

    #[test]
    fn rows_without_a_growth_verdict() {
        // Growth-only rows carry their stated rate; the check does not apply.
        let c = one("stated_growth = \"15\"\ntarget = { kind = \"growth\", pct = 15 }");
        assert_eq!(c.implied_growth_pct, Some(15.0));
        assert_eq!((c.reached, c.gap_pct, c.consistent), (None, None, None));
        for keys in [
            "target = { kind = \"every_year\", value = 100 }",
            "target = { kind = \"milestones\", points = [{ year = 2021, value = 70 }, { year = 2023, value = 100 }] }",
        ] {
            let c = one(keys);
            assert_eq!(c.implied_growth_pct, None, "{keys}");
            assert_eq!((c.reached, c.gap_pct, c.consistent), (None, None, None));
            assert_eq!(c.max_denominator_growth_pct, None);
            assert_eq!(c.components_add_up, None);
        }
    }

    #[test]
    fn toolkit_errors_name_the_indicator() {
        let p = plan(
            &[("cut", "base = 5\ntarget = { kind = \"level\", value = 0 }")],
            "",
        );
        assert_eq!(
            check_plan(&p).unwrap_err().to_string(),
            "indicator \"cut\": target must be > 0, got 0"
        );
        let p = plan(
            &[(
                "odi",
                "base = 10\ntarget = { kind = \"cumulative\", total = -5 }",
            )],
            "",
        );
        let e = check_plan(&p).unwrap_err();
        assert!(
            matches!(&e, Error::Indicator { id, field, .. } if id == "odi" && field == "target"),
            "{e}"
        );
    }
}
