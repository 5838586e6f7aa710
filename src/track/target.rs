//! The annual target of a year, read from a plan: an annual plan's own
//! target, or one year of a multi-year plan's path.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::plan::Plan;
use crate::plan::target::{Direction, Target};

/// What a year's value is tracked against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnualTarget {
    /// The year's value due.
    pub value: f64,
    /// The side that meets it.
    pub direction: Direction,
    /// Where it comes from.
    pub from: TargetFrom,
}

/// How an annual target was read from the plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TargetFrom {
    /// The plan's target year: the target itself.
    TargetYear,
    /// An earlier plan year: the constant-growth path from the base to the
    /// target (for a cumulative target, the yearly amounts that sum to it),
    /// at this growth.
    Path {
        /// Growth of the path, percent a year.
        growth_pct: f64,
    },
    /// A yearly floor (or ceiling) that holds in every plan year.
    EveryYear,
}

/// The target of indicator `id` for `year` (a year after the plan's base year,
/// up to its target year): for a level (also a multiple of the base, a
/// growth, an "about" level, approached from below) the level due in the
/// target year, and in earlier years the constant-growth path from the base
/// that reaches it; for a cumulative target the yearly amounts of the
/// constant-growth path that sums to it; for an every-year target its floor.
/// `Ok(None)` where the kind sets no yearly value of the series itself
/// (ratios, aggregates, milestones, a growth relative to another series')
/// or the year is outside the plan. A range is tracked against its low end,
/// where it is met. A count from a zero base has its target year's level
/// only (no growth path leads from zero), and a cumulative one no yearly
/// values.
pub fn annual_target(plan: &Plan, id: &str, year: i32) -> Result<Option<AnnualTarget>> {
    let Some(ind) = plan.indicator(id) else {
        return Err(Error::indicator(id, "id", Problem::NotInPlan));
    };
    if year <= plan.base_year || year > plan.target_year {
        return Ok(None);
    }
    let years = plan.horizon()?;
    let t = f64::from(year - plan.base_year);
    let path = |growth_pct: f64, base: f64| AnnualTarget {
        value: base * (1.0 + growth_pct / 100.0).powf(t),
        direction: ind.target.direction(),
        from: TargetFrom::Path { growth_pct },
    };
    let target = &ind.target;
    Ok(match target {
        Target::EveryYear { value, direction } => Some(AnnualTarget {
            value: *value,
            direction: *direction,
            from: TargetFrom::EveryYear,
        }),
        Target::Cumulative { .. } => match (ind.base, target.implied_growth_pct(ind.base, years)) {
            (Some(base), Some(g)) => Some(path(g, base)),
            _ => None,
        },
        Target::Level { .. }
        | Target::Multiple { .. }
        | Target::Growth { .. }
        | Target::Approximately { .. }
        | Target::Range { .. } => {
            let Some((due, direction)) = target.level_due(id, ind.base, &plan.index()) else {
                return Ok(None);
            };
            if year == plan.target_year {
                Some(AnnualTarget {
                    value: due,
                    direction,
                    from: TargetFrom::TargetYear,
                })
            } else {
                // A count from a zero base has no growth path to its level.
                let Some(base) = ind.base.filter(|&b| b > 0.0) else {
                    return Ok(None);
                };
                let g = 100.0 * ((due / base).powf(1.0 / years as f64) - 1.0);
                Some(AnnualTarget {
                    direction,
                    ..path(g, base)
                })
            }
        }
        // A growth relative to another series' sets no value of its own.
        Target::Ratio { .. }
        | Target::Aggregate { .. }
        | Target::Milestones { .. }
        | Target::RelativeGrowth { .. } => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_five_year_level_becomes_its_path() {
        let plan = Plan::from_toml_str(
            r#"
            name = "t"
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
            id = "projects"
            name = "Projects"
            name_zh = "项目"
            unit = "个"
            attribute = "expected"
            target = { kind = "every_year", value = 100 }
            "#,
        )
        .unwrap();
        let y23 = annual_target(&plan, "trade", 2023).unwrap().unwrap();
        // 100 * 2^(3/5).
        assert!((y23.value - 100.0 * 2f64.powf(0.6)).abs() < 1e-9, "{y23:?}");
        let y25 = annual_target(&plan, "trade", 2025).unwrap().unwrap();
        assert_eq!(y25.value, 200.0);
        assert_eq!(y25.from, TargetFrom::TargetYear);
        assert_eq!(annual_target(&plan, "trade", 2020).unwrap(), None);
        assert_eq!(annual_target(&plan, "trade", 2026).unwrap(), None);
        let p = annual_target(&plan, "projects", 2022).unwrap().unwrap();
        assert_eq!((p.value, p.from), (100.0, TargetFrom::EveryYear));
        assert!(annual_target(&plan, "nope", 2022).is_err());
    }
}
