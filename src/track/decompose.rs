//! Breaking a multi-year plan's targets down by year (分解到年度): the yearly
//! targets along the path each target implies, and the annual plan of one
//! year, which `track`, `simulate` and `review` read like any plan.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::plan::target::{Direction, Target};
use crate::plan::{Indicator, Plan};
use crate::track::{TargetFrom, annual_target};
use crate::warning::{Warning, WarningCode};

/// One indicator's target for one year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearTarget {
    /// Indicator id.
    pub id: String,
    /// The year.
    pub year: i32,
    /// The year's value due.
    pub value: f64,
    /// The side that meets it.
    pub direction: Direction,
    /// The path's value the year before (the plan's base for the first
    /// year); `None` for an every-year floor.
    pub base: Option<f64>,
    /// How it was read from the plan.
    pub from: TargetFrom,
}

/// Every indicator's target for every plan year (base year + 1 to the target
/// year), in plan order then year, and a warning for each indicator whose
/// kind sets no yearly value (ratios, aggregates, milestones) or lacks the
/// base its path starts from. A cumulative target's years sum to its total;
/// a level's path ends at the level.
pub fn by_year(plan: &Plan) -> Result<(Vec<YearTarget>, Vec<Warning>)> {
    plan.horizon()?;
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for ind in &plan.indicators {
        let mut any = false;
        for year in plan.base_year + 1..=plan.target_year {
            let Some(t) = annual_target(plan, &ind.id, year)? else {
                continue;
            };
            any = true;
            let base = if t.from == TargetFrom::EveryYear {
                None
            } else if year - 1 == plan.base_year {
                ind.base
            } else {
                annual_target(plan, &ind.id, year - 1)?.map(|b| b.value)
            };
            out.push(YearTarget {
                id: ind.id.clone(),
                year,
                value: t.value,
                direction: t.direction,
                base,
                from: t.from,
            });
        }
        if !any {
            warnings.push(Warning::about(
                WarningCode::NotTracked,
                &ind.id,
                format!(
                    "its {} target sets no yearly value of the series (or lacks the base its path starts from): not broken down",
                    ind.target.kind()
                ),
            ));
        }
    }
    Ok((out, warnings))
}

/// The annual plan of `year`: base year `year - 1`, target year `year`, one
/// level target per indicator that [`by_year`] breaks down (its base the
/// path's value the year before), the others left out with a warning.
pub fn annual_plan(plan: &Plan, year: i32) -> Result<(Plan, Vec<Warning>)> {
    if year <= plan.base_year || year > plan.target_year {
        return Err(Error::parameter(
            "year",
            Problem::out_of_range(
                year,
                format!(
                    "within the plan years {}..={}",
                    plan.base_year + 1,
                    plan.target_year
                ),
            ),
        ));
    }
    let (targets, warnings) = by_year(plan)?;
    let indicators: Vec<Indicator> = plan
        .indicators
        .iter()
        .filter_map(|ind| {
            let t = targets.iter().find(|t| t.id == ind.id && t.year == year)?;
            let how = match t.from {
                TargetFrom::TargetYear => "the plan's own target".to_string(),
                TargetFrom::Path { growth_pct } => {
                    format!("the path at {growth_pct:.4}% a year")
                }
                TargetFrom::EveryYear => "the every-year floor".to_string(),
            };
            Some(Indicator {
                base: t.base,
                stated_growth: None,
                target: Target::Level {
                    value: t.value,
                    direction: t.direction,
                },
                extra_targets: Vec::new(),
                note: Some(format!(
                    "{year} of {} ({}): {how}",
                    plan.name,
                    ind.target.kind()
                )),
                ..ind.clone()
            })
        })
        .collect();
    if indicators.is_empty() {
        return Err(Error::plan(
            "indicator",
            Problem::Other(format!("no target of the plan breaks down to {year}")),
        ));
    }
    let annual = Plan {
        name: format!("{} — {year}", plan.name),
        source: Some(format!(
            "broken down by year from {}{}",
            plan.name,
            plan.source
                .as_ref()
                .map_or(String::new(), |s| format!(" ({s})"))
        )),
        base_year: year - 1,
        target_year: year,
        indicators,
        series: Vec::new(),
    };
    annual.validate()?;
    Ok((annual, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan::from_toml_str(
            r#"
            name = "five"
            base_year = 2020
            target_year = 2025
            [[indicator]]
            id = "trade"
            name = "Trade"
            name_zh = "进出口"
            unit = "亿元"
            attribute = "expected"
            base = 100
            target = { kind = "level", value = 200 }
            [[indicator]]
            id = "odi"
            name = "Outward investment"
            name_zh = "对外投资"
            unit = "亿美元"
            attribute = "expected"
            base = 10
            target = { kind = "cumulative", total = 100 }
            [[indicator]]
            id = "gdp_share"
            name = "Share"
            name_zh = "比重"
            unit = "%"
            attribute = "expected"
            base = 10
            target = { kind = "ratio", numerator = "trade", denominator = "gdp", value = 15 }
            [[series]]
            id = "gdp"
            name = "GDP"
            unit = "亿元"
            base = 1000
            "#,
        )
        .unwrap()
    }

    #[test]
    fn years_follow_the_path_and_a_cumulative_sums_to_its_total() {
        let (t, w) = by_year(&plan()).unwrap();
        let trade: Vec<&YearTarget> = t.iter().filter(|t| t.id == "trade").collect();
        assert_eq!(trade.len(), 5);
        // 100 * 2^(k/5), the last exactly the target.
        for (k, y) in trade.iter().enumerate() {
            let want = 100.0 * 2f64.powf((k + 1) as f64 / 5.0);
            assert!((y.value - want).abs() < 1e-9, "{y:?}");
        }
        assert_eq!(trade[4].value, 200.0);
        assert_eq!(trade[0].base, Some(100.0));
        assert!((trade[1].base.unwrap() - trade[0].value).abs() < 1e-12);
        let odi: f64 = t.iter().filter(|t| t.id == "odi").map(|t| t.value).sum();
        assert!((odi - 100.0).abs() < 1e-6, "{odi}");
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].indicator.as_deref(), Some("gdp_share"));
    }

    #[test]
    fn the_annual_plan_is_a_valid_plan_of_one_year() {
        let (a, _) = annual_plan(&plan(), 2023).unwrap();
        assert_eq!((a.base_year, a.target_year), (2022, 2023));
        assert_eq!(a.indicators.len(), 2);
        let trade = a.indicator("trade").unwrap();
        assert!((trade.base.unwrap() - 100.0 * 2f64.powf(0.4)).abs() < 1e-9);
        assert_eq!(
            trade
                .target
                .target_level()
                .map(|v| (v - 100.0 * 2f64.powf(0.6)).abs() < 1e-9),
            Some(true)
        );
        // It reads back and tracks as its own target year.
        let back = Plan::from_toml_str(&a.to_toml_string().unwrap()).unwrap();
        let t = annual_target(&back, "trade", 2023).unwrap().unwrap();
        assert_eq!(t.from, TargetFrom::TargetYear);
        assert!(annual_plan(&plan(), 2020).is_err());
        assert!(annual_plan(&plan(), 2026).is_err());
    }
}
