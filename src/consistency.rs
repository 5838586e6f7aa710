//! Is a plan table consistent? For every row: the growth its base and target
//! imply, what the stated growth would reach, and whether the two agree at the
//! precision the rate is printed.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::growth;
use crate::plan::{Indicator, Plan};
use crate::target::Target;

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
    /// The threshold the row's target resolves to (an aggregate without a
    /// printed value: the sum of its components' targets).
    pub threshold: Option<f64>,
}

/// Checks every indicator of `plan`, in table order.
pub fn check_plan(plan: &Plan) -> Result<Vec<RowCheck>> {
    plan.validate()?;
    plan.indicators.iter().map(|i| check_row(plan, i)).collect()
}

/// Checks one indicator of `plan`.
pub fn check_row(plan: &Plan, ind: &Indicator) -> Result<RowCheck> {
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
        threshold: ind.target.rule(&ind.id, plan).ok().map(|r| r.threshold),
    };
    let stated = ind.stated_growth.as_ref();
    let fill = |row: &mut RowCheck, c: growth::Consistency| {
        row.reached = Some(c.reached);
        row.gap_pct = Some(c.gap_pct);
        row.consistent = Some(c.consistent);
    };
    match (&ind.target, ind.base) {
        (Target::Level { value, .. } | Target::Approximately { value, .. }, Some(base)) => {
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
        (Target::Aggregate { components, .. }, base) => {
            if let (Some(base), Some(threshold)) = (base, row.threshold) {
                row.implied_growth_pct =
                    Some(100.0 * growth::implied_growth(base, threshold, years).map_err(named)?);
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
        }
        (Target::Multiple { factor, .. }, Some(_)) => {
            row.implied_growth_pct = Some(100.0 * (factor.powf(1.0 / years) - 1.0));
        }
        (Target::Growth { pct }, _) => row.implied_growth_pct = Some(*pct),
        _ => {}
    }
    Ok(row)
}

/// Half a unit of the last digit a value shows when printed shortest (210 ->
/// 0.5, 283.1 -> 0.05): the slack of a sum of rounded figures.
fn printed_precision(v: f64) -> f64 {
    let text = format!("{v}");
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len() as i32);
    0.5 * 10f64.powi(-decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_precision_of_rounded_figures() {
        assert_eq!(printed_precision(210.0), 0.5);
        assert!((printed_precision(283.1) - 0.05).abs() < 1e-15);
    }
}
