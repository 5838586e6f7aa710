//! `attain check`: the consistency table.

use std::path::Path;

use attain::consistency::{RowCheck, check_plan};
use attain::{Indicator, Plan, Target};
use serde_json::json;

use super::{emit, load_plan};
use crate::args::CheckArgs;
use crate::error::CliError;
use crate::output::{Cell, Output, Table, col, hidden, json_head, to_value};

/// Runs `attain check`.
pub fn run(a: &CheckArgs) -> Result<(), CliError> {
    let plan = load_plan(&a.plan)?;
    let checks = check_plan(&plan)?;
    emit(&output(&plan, &a.plan, &checks)?, &a.output)
}

/// The consistency table, one row per indicator.
pub fn table(plan: &Plan, checks: &[RowCheck]) -> Table {
    let mut t = Table::new(
        format!(
            "Consistency of {} ({} -> {})",
            plan.name, plan.base_year, plan.target_year
        ),
        vec![
            col("no", "no", 0),
            col("id", "id", 0),
            col("indicator", "指标 indicator", 0),
            hidden("name"),
            col("unit", "unit", 0),
            col("kind", "kind", 0),
            col("attribute", "属性", 0),
            col("base", "base", 2),
            col("target", "target", 2),
            hidden("threshold"),
            col("stated_growth", "stated%", 0),
            hidden("stated_growth_pct"),
            col("implied_growth_pct", "implied%", 3),
            col("reached", "stated->", 1),
            col("gap_pct", "gap%", 2),
            col("consistent", "ok", 0),
            hidden("max_denominator_growth_pct"),
            hidden("components_add_up"),
        ],
    );
    for (ind, c) in plan.indicators.iter().zip(checks) {
        t.push(row(ind, c));
    }
    t.notes = vec![
        "implied%: growth the base and target imply (cumulative: the constant growth summing to the total).".into(),
        "stated->: what the stated growth reaches; gap%: that over the target, percent; ok: the implied rate prints as the stated one.".into(),
    ];
    for c in checks {
        if let Some(g) = c.max_denominator_growth_pct {
            t.notes.push(format!(
                "{}: holds with the numerator on target if the denominator grows at most {g:.2}% a year.",
                c.id
            ));
        }
        if c.components_add_up == Some(false) {
            t.notes.push(format!(
                "{}: the base is not the sum of its components' bases.",
                c.id
            ));
        }
    }
    t
}

fn row(ind: &Indicator, c: &RowCheck) -> Vec<Cell> {
    vec![
        Cell::int(ind.no),
        Cell::Text(ind.id.clone()),
        Cell::Text(ind.name_zh.clone()),
        Cell::Text(ind.name.clone()),
        Cell::Text(ind.unit.clone()),
        Cell::Text(c.kind.clone()),
        Cell::Text(ind.attribute.en().to_string()),
        Cell::num(ind.base),
        Cell::num(target_value(ind, &ind.target, c.threshold)),
        Cell::num(c.threshold),
        Cell::text(ind.stated_growth.as_ref().map(|g| g.text.clone())),
        Cell::num(ind.stated_growth.as_ref().map(|g| g.pct)),
        Cell::num(c.implied_growth_pct),
        Cell::num(c.reached),
        Cell::num(c.gap_pct),
        Cell::bool(c.consistent),
        Cell::num(c.max_denominator_growth_pct),
        Cell::bool(c.components_add_up),
    ]
}

/// The target as a reader states it, in the row's unit: the level due (the
/// total for a cumulative row, the summed components for an aggregate
/// without a value, base times factor for a multiple), the growth for a
/// growth row, the floor of an every-year row, the last milestone.
pub fn target_value(ind: &Indicator, target: &Target, threshold: Option<f64>) -> Option<f64> {
    match target {
        Target::Level { value, .. }
        | Target::Approximately { value, .. }
        | Target::Ratio { value, .. }
        | Target::EveryYear { value, .. } => Some(*value),
        Target::Cumulative { total, .. } => Some(*total),
        Target::Aggregate { value, .. } => value.or(threshold),
        Target::Multiple { factor, .. } => ind.base.map(|b| b * factor),
        Target::Growth { pct } => Some(*pct),
        Target::Milestones { points, .. } => points.last().map(|m| m.value),
    }
}

/// The whole output: the table, and in JSON the library's checks.
pub fn output(plan: &Plan, path: &Path, checks: &[RowCheck]) -> Result<Output, CliError> {
    let mut json = json_head("check");
    json.insert("plan_file".into(), json!(path.display().to_string()));
    json.insert("plan_name".into(), json!(plan.name));
    json.insert("base_year".into(), json!(plan.base_year));
    json.insert("target_year".into(), json!(plan.target_year));
    json.insert("checks".into(), to_value(&checks)?);
    Ok(Output {
        table: table(plan, checks),
        extra: Vec::new(),
        json,
    })
}
