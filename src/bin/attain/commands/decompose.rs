//! `attain decompose`: a multi-year plan's targets broken down by year, or
//! by locality or department (`--parts`).

use attain::Plan;
use attain::track::TargetFrom;
use attain::track::decompose::{YearTarget, annual_plan, by_year};
use attain::track::parts::{PartTarget, Parts, PartsBy, split};
use serde_json::json;

use super::{emit, load_plan};
use crate::args::DecomposeArgs;
use crate::error::CliError;
use crate::output::{Cell, Field, Output, Table, field, hidden_field, json_head, to_value};

/// Runs `attain decompose`.
pub fn run(a: &DecomposeArgs) -> Result<(), CliError> {
    super::refuse_overwrite(
        &[
            ("--out", a.output.out.as_deref()),
            ("--write-plan", a.write_plan.as_deref()),
        ],
        &[Some(&a.plan)],
    )?;
    let plan = load_plan(&a.plan)?;
    if let Some(file) = &a.parts {
        return run_parts(a, &plan, file);
    }
    if a.write_plan.is_some() && a.year.is_none() {
        return Err(CliError::Input(
            "--write-plan needs --year (the annual plan to write) or --parts".into(),
        ));
    }
    let (targets, mut warnings) = by_year(&plan)?;
    if let (Some(year), Some(file)) = (a.year, &a.write_plan) {
        let (annual, w) = annual_plan(&plan, year)?;
        warnings = w;
        annual
            .save(file)
            .map_err(|e| CliError::Failure(e.to_string()))?;
    }
    let fields = fields();
    let mut table = Table::of_fields(format!("{} by year", plan.name), &fields);
    for t in &targets {
        table.push_fields(&fields, &Line { plan: &plan, t });
    }
    let mut doc = json_head("decompose");
    doc.insert("plan_file".into(), json!(a.plan.display().to_string()));
    doc.insert("plan_name".into(), json!(plan.name));
    if let (Some(year), Some(file)) = (a.year, &a.write_plan) {
        doc.insert(
            "annual_plan".into(),
            json!({"year": year, "file": file.display().to_string()}),
        );
    }
    doc.insert("targets".into(), to_value(&targets)?);
    let mut out = Output::new(table, Vec::new(), doc);
    out.warn(warnings);
    emit(&out, &a.output)
}

struct Line<'a> {
    plan: &'a Plan,
    t: &'a YearTarget,
}

fn fields<'a>() -> [Field<Line<'a>>; 8] {
    [
        field("id", "id", 0, |x| Cell::Text(x.t.id.clone())),
        field("indicator", "指标 indicator", 0, |x| {
            Cell::text(x.plan.indicator(&x.t.id).map(|i| i.name_zh.clone()))
        }),
        field("kind", "kind", 0, |x| {
            Cell::text(x.plan.indicator(&x.t.id).map(|i| i.target.kind()))
        }),
        field("year", "year", 0, |x| Cell::Int(i64::from(x.t.year))),
        field("base", "year before", 2, |x| Cell::num(x.t.base)),
        field("target", "target", 2, |x| Cell::Num(x.t.value)),
        field("growth_pct", "growth%", 3, |x| match x.t.from {
            TargetFrom::Path { growth_pct } => Cell::Num(growth_pct),
            TargetFrom::TargetYear => Cell::num(x.t.base.map(|b| 100.0 * (x.t.value / b - 1.0))),
            TargetFrom::EveryYear => Cell::Empty,
        }),
        hidden_field("from", |x| {
            Cell::Text(
                match x.t.from {
                    TargetFrom::TargetYear => "target_year",
                    TargetFrom::Path { .. } => "path",
                    TargetFrom::EveryYear => "every_year",
                }
                .into(),
            )
        }),
    ]
}

/// `attain decompose --parts FILE`: each part's share, base and target.
fn run_parts(a: &DecomposeArgs, plan: &Plan, file: &std::path::Path) -> Result<(), CliError> {
    let parts = Parts::load(file)?;
    let (targets, parts_plan, warnings) = split(plan, &parts)?;
    if let Some(out) = &a.write_plan {
        parts_plan
            .save(out)
            .map_err(|e| CliError::Failure(e.to_string()))?;
    }
    let fields = part_fields();
    let by = match parts.by {
        PartsBy::Base => "base share",
        PartsBy::Weight => "weight",
    };
    let mut table = Table::of_fields(format!("{} by part ({by})", plan.name), &fields);
    for t in &targets {
        table.push_fields(&fields, t);
    }
    let mut doc = json_head("decompose");
    doc.insert("plan_file".into(), json!(a.plan.display().to_string()));
    doc.insert("plan_name".into(), json!(plan.name));
    doc.insert("parts_file".into(), json!(file.display().to_string()));
    doc.insert("by".into(), to_value(&parts.by)?);
    if let Some(out) = &a.write_plan {
        doc.insert(
            "parts_plan".into(),
            json!({"file": out.display().to_string()}),
        );
    }
    doc.insert("parts".into(), to_value(&targets)?);
    let mut out = Output::new(table, Vec::new(), doc);
    out.warn(warnings);
    emit(&out, &a.output)
}

fn part_fields() -> [Field<PartTarget>; 8] {
    [
        field("id", "id", 0, |t: &PartTarget| Cell::Text(t.id.clone())),
        field("part", "part", 0, |t| Cell::Text(t.part.clone())),
        field("part_id", "part id", 0, |t| Cell::Text(t.part_id.clone())),
        field("share_pct", "share%", 2, |t| Cell::Num(100.0 * t.share)),
        field("base", "base", 2, |t| Cell::num(t.base)),
        field("target", "target", 2, |t| Cell::Num(t.value)),
        field("growth_pct", "growth%", 3, |t| Cell::num(t.growth_pct)),
        hidden_field("direction", |t| {
            Cell::Text(
                match t.direction {
                    attain::Direction::AtLeast => "at_least",
                    attain::Direction::AtMost => "at_most",
                }
                .into(),
            )
        }),
    ]
}
