//! `attain check`: the consistency table.

use std::path::Path;

use attain::plan::consistency::{RowCheck, check_plan};
use attain::{Indicator, Plan};
use serde_json::json;

use super::{emit, load_plan, refuse_overwrite};
use crate::args::CheckArgs;
use crate::error::CliError;
use crate::output::{Cell, Field, Output, Table, field, hidden_field, json_head, to_value};

/// Runs `attain check`.
pub fn run(a: &CheckArgs) -> Result<(), CliError> {
    refuse_overwrite(&[("--out", a.output.out.as_deref())], &[Some(&a.plan)])?;
    let plan = load_plan(&a.plan)?;
    let checks = check_plan(&plan).map_err(|e| e.in_file(&a.plan))?;
    emit(&output(&plan, &a.plan, &checks)?, &a.output)
}

/// A row of the consistency table: an indicator and its check.
struct Row<'a> {
    ind: &'a Indicator,
    c: &'a RowCheck,
}

/// The consistency table's columns, each with its cell.
fn fields<'a>() -> [Field<Row<'a>>; 18] {
    [
        field("no", "no", 0, |r| Cell::int(r.ind.no)),
        field("id", "id", 0, |r| Cell::Text(r.ind.id.clone())),
        field("indicator", "指标 indicator", 0, |r| {
            Cell::Text(r.ind.name_zh.clone())
        }),
        hidden_field("name", |r| Cell::Text(r.ind.name.clone())),
        field("unit", "unit", 0, |r| Cell::Text(r.ind.unit.clone())),
        field("kind", "kind", 0, |r| Cell::Text(r.c.kind.clone())),
        field("attribute", "属性", 0, |r| {
            Cell::Text(r.ind.attribute.en().to_string())
        }),
        field("base", "base", 2, |r| Cell::num(r.ind.base)),
        field("target", "target", 2, |r| {
            Cell::num(r.ind.target.stated_value(r.ind.base, r.c.threshold))
        }),
        hidden_field("threshold", |r| Cell::num(r.c.threshold)),
        field("stated_growth", "stated%", 0, |r| {
            Cell::text(r.ind.stated_growth.as_ref().map(|g| g.text.clone()))
        }),
        hidden_field("stated_growth_pct", |r| {
            Cell::num(r.ind.stated_growth.as_ref().map(|g| g.pct))
        }),
        field("implied_growth_pct", "implied%", 3, |r| {
            Cell::num(r.c.implied_growth_pct)
        }),
        field("reached", "stated->", 1, |r| Cell::num(r.c.reached)),
        field("gap_pct", "gap%", 2, |r| Cell::num(r.c.gap_pct)),
        field("consistent", "ok", 0, |r| Cell::bool(r.c.consistent)),
        hidden_field("max_denominator_growth_pct", |r| {
            Cell::num(r.c.max_denominator_growth_pct)
        }),
        hidden_field("components_add_up", |r| Cell::bool(r.c.components_add_up)),
    ]
}

/// The consistency table, one row per indicator.
pub fn table(plan: &Plan, checks: &[RowCheck]) -> Table {
    let fields = fields();
    let mut t = Table::of_fields(
        format!(
            "Consistency of {} ({} -> {})",
            plan.name, plan.base_year, plan.target_year
        ),
        &fields,
    );
    for (ind, c) in plan.indicators.iter().zip(checks) {
        t.push_fields(&fields, &Row { ind, c });
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

/// The whole output: the table, and in JSON the library's checks.
pub fn output(plan: &Plan, path: &Path, checks: &[RowCheck]) -> Result<Output, CliError> {
    let mut json = json_head("check");
    json.insert("plan_file".into(), json!(path.display().to_string()));
    json.insert("plan_name".into(), json!(plan.name));
    json.insert("base_year".into(), json!(plan.base_year));
    json.insert("target_year".into(), json!(plan.target_year));
    json.insert("checks".into(), to_value(&checks)?);
    let mut out = Output::new(table(plan, checks), Vec::new(), json);
    out.warn(attain::plan::consistency::plan_warnings(plan));
    Ok(out)
}
