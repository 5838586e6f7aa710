//! `attain review`: the mid-term review as of a year with actuals.

use attain::Plan;
use attain::plan::actuals::Actuals;
use attain::review::{Known, ReviewRow, review_between};
use attain::simulate::engine::{Conditioning, Engine, RunOptions};
use attain::simulate::scenario::Scenario;
use attain::simulate::source::Source;
use serde_json::json;

use super::simulate::{charts, command, facts, plan_input, scenario_input};
use super::{
    check_interrupt, emit, load_plan, load_scenario, read_input, refuse_overwrite, run_options,
    simulate_with_bar,
};
use crate::args::{Lang, ReviewArgs, RunArgs};
use crate::chart;
use crate::error::{CliError, write_file};
use crate::output::{
    Cell, Field, Output, Table, field, hidden_field, json_head, source_lines, to_value,
};
use crate::progress;
use crate::report::{self, Input, Report};

/// Runs `attain review`.
pub fn run(a: &ReviewArgs) -> Result<(), CliError> {
    refuse_overwrite(
        &[
            ("--out", a.output.out.as_deref()),
            ("--report", a.run.report.as_deref()),
        ],
        &[
            Some(&a.plan),
            Some(&a.actuals),
            a.run.scenario.as_deref(),
            a.run.history.as_deref(),
        ],
    )?;
    let plan = load_plan(&a.plan)?;
    let actuals = Actuals::load(&a.actuals, &plan)?;
    let as_of = match a.as_of {
        Some(y) => y,
        None => default_as_of(&plan, &actuals)?,
    };
    let loaded = load_scenario(&a.run, &plan, as_of)?;
    let scenario = loaded.scenario;
    // "P before" must not know what happened after the base year: with
    // `--history` it rests on the values dated by then.
    let before = match &a.run.history {
        Some(_) if as_of > plan.base_year => {
            let quiet = RunArgs {
                quiet: true,
                ..a.run.clone()
            };
            Some(load_scenario(&quiet, &plan, plan.base_year)?)
        }
        _ => None,
    };
    // Actuals are laid out one slot per plan year: a plan the engine cannot
    // hold is refused before that allocation, with the engine's own error.
    if plan
        .series_ids()
        .count()
        .saturating_mul(plan.horizon()?.saturating_add(1))
        > attain::simulate::engine::MAX_CELLS
    {
        Engine::new(&plan, &scenario, RunOptions::default())
            .map_err(|e| super::in_input_file(e, &a.plan, &scenario))?;
    }
    let known: Known = plan
        .series_ids()
        .map(|id| (id.to_string(), actuals.trajectory(id, &plan)))
        .collect();
    let options = run_options(&a.run)?;
    let review = {
        // Two simulations (before the plan, given the actuals) on one bar.
        let bar = options.monitor.as_ref().and_then(|m| {
            let done = m.done.load(std::sync::atomic::Ordering::Relaxed);
            progress::Bar::start(
                m,
                done + 2 * scenario.paths,
                "reviewing",
                "paths",
                a.run.quiet,
            )
        });
        let review = review_between(
            &plan,
            before.as_ref().map_or(&scenario, |b| &b.scenario),
            &scenario,
            &known,
            as_of,
            options.clone(),
        );
        drop(bar);
        review.map_err(|e| super::in_input_file(e, &a.plan, &scenario))?
    };
    let rows = review.rows;
    let mut out = output(
        &plan,
        a,
        Scenarios {
            now: &scenario,
            before: before.as_ref().map(|b| &b.scenario),
        },
        &actuals,
        as_of,
        &rows,
    )?;
    out.warn(review.warnings);
    out.warn(actuals.warnings());
    if let Some(b) = &before {
        out.table.notes.push(format!(
            "P before rests on {} (values dated by the base year {}); P now on the values dated by {as_of}.",
            b.scenario.source, plan.base_year
        ));
    }
    if a.run.chart.is_none() && a.run.report.is_none() {
        return emit(&out, &a.output);
    }
    // The fan given the actuals: the review's "now" run, with quantiles
    // (same seed and draws, so its probabilities are the review's P now).
    let now = simulate_with_bar(
        &plan,
        &a.plan,
        &scenario,
        RunOptions {
            conditioning: Some(Conditioning {
                as_of,
                values: known,
            }),
            ..options
        },
        a.run.quiet,
    )?;
    let charts = charts(
        &plan,
        &now,
        Some(&actuals),
        &format!("P(attain | actuals to {as_of})"),
    )?;
    check_interrupt()?;
    emit(&out, &a.output)?;
    if let Some(dir) = &a.run.chart {
        chart::write_all(dir, &charts)?;
    }
    if let Some(file) = &a.run.report {
        let mut facts = facts(&plan, &scenario, &now);
        facts.insert(2, ("review as of".into(), as_of.to_string()));
        facts.insert(3, ("actuals".into(), a.actuals.display().to_string()));
        let actuals_text = actuals
            .to_csv_string()
            .or_else(|_| read_input(&a.actuals))?;
        let html = report::html(&Report {
            title: format!("Mid-term review as of {as_of}: {}", plan.name),
            facts,
            tables: vec![&out.table],
            charts: &charts,
            inputs: vec![
                plan_input(&a.plan)?,
                Input {
                    title: format!("Actuals {}", a.actuals.display()),
                    save_as: "actuals.csv".into(),
                    text: actuals_text,
                },
                scenario_input(&scenario),
            ],
            command: command(
                "review",
                &format!(" --actuals actuals.csv --as-of {as_of}"),
                &scenario,
            ),
        });
        write_file(file, &html)?;
    }
    Ok(())
}

/// The latest year with actuals after the base year, within the plan.
fn default_as_of(plan: &Plan, actuals: &Actuals) -> Result<i32, CliError> {
    actuals
        .years()
        .into_iter()
        .filter(|&y| y > plan.base_year && y <= plan.target_year)
        .max()
        .ok_or_else(|| {
            CliError::Input(format!(
                "actuals: no value after the base year {}; nothing to review (give --as-of to review anyway)",
                plan.base_year
            ))
        })
}

/// `yes`/`no` as the actuals file says, `derived` for a ratio or aggregate
/// computed from its components, empty when the file does not say.
fn verified(actuals: &Actuals, r: &ReviewRow) -> Option<&'static str> {
    let (year, _) = r.latest?;
    match actuals
        .observations
        .iter()
        .find(|o| o.id == r.id && o.year == year)
    {
        Some(o) => o.verified.map(|v| if v { "yes" } else { "no" }),
        None => Some("derived"),
    }
}

/// A label enum as its snake_case name (as in the JSON).
fn label(v: &impl serde::Serialize) -> Option<String> {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

/// A row of the review table: a target's review with what it is read against.
struct Row<'a> {
    plan: &'a Plan,
    source: &'a str,
    source_before: &'a str,
    lang: Lang,
    actuals: &'a Actuals,
    as_of: i32,
    r: &'a ReviewRow,
}

impl Row<'_> {
    /// A label in the run's language: its JSON code, or `zh`.
    fn localized(&self, code: &impl serde::Serialize, zh: &str) -> Option<String> {
        label(code).map(|en| self.lang.pick(&en, zh).to_string())
    }
}

/// A share as a percentage cell.
fn pct(v: Option<f64>) -> Cell {
    Cell::num(v.map(|v| 100.0 * v))
}

/// The review table's columns, each with its cell.
fn fields<'a>() -> [Field<Row<'a>>; 27] {
    [
        hidden_field("as_of", |x| Cell::Int(i64::from(x.as_of))),
        field("no", "no", 0, |x| Cell::int(x.r.no)),
        field("id", "id", 0, |x| Cell::Text(x.r.id.clone())),
        field("indicator", "指标 indicator", 0, |x| {
            Cell::text(x.plan.indicator(&x.r.id).map(|i| i.name_zh.clone()))
        }),
        hidden_field("target_index", |x| Cell::Int(x.r.target_index as i64)),
        field("kind", "kind", 0, |x| Cell::Text(x.r.kind.clone())),
        field("latest_year", "year", 0, |x| {
            Cell::int(x.r.latest.map(|l| l.0))
        }),
        field("latest", "latest", 1, |x| {
            Cell::num(x.r.latest.map(|l| l.1))
        }),
        hidden_field("verified", |x| Cell::text(verified(x.actuals, x.r))),
        field("completion_pct", "done%", 1, |x| {
            pct(x.r.progress.as_ref().map(|p| p.completion))
        }),
        field("elapsed_pct", "time%", 1, |x| {
            pct(x.r.progress.as_ref().map(|p| p.elapsed_share))
        }),
        field("progress_pct", "dist%", 1, |x| {
            pct(x.r.progress.as_ref().map(|p| p.progress_share))
        }),
        field("required_growth_pct", "need%/y", 2, |x| {
            pct(x.r.progress.as_ref().and_then(|p| p.required_growth))
        }),
        field("stated_growth_pct", "plan%/y", 2, |x| {
            Cell::num(x.r.stated_growth_pct)
        }),
        field("achieved_growth_pct", "got%/y", 2, |x| {
            Cell::num(x.r.achieved_growth_pct)
        }),
        field("unsd", "UNSD", 0, |x| {
            Cell::text(x.r.unsd.and_then(|(l, _)| x.localized(&l, l.zh())))
        }),
        hidden_field("unsd_ratio", |x| Cell::num(x.r.unsd.map(|u| u.1))),
        field("open_sdg", "Open SDG", 0, |x| {
            Cell::text(x.r.open_sdg.and_then(|(l, _)| x.localized(&l, l.zh())))
        }),
        hidden_field("open_sdg_ratio", |x| {
            Cell::num(x.r.open_sdg.and_then(|u| u.1))
        }),
        field("p_before", "P before", 3, |x| {
            Cell::num(x.r.p_before.map(|p| p.p))
        }),
        field("p_now", "P now", 3, |x| Cell::num(x.r.p_now.map(|p| p.p))),
        field("p_now_low", "95% low", 3, |x| {
            Cell::num(x.r.p_now.map(|p| p.low))
        }),
        field("p_now_high", "95% high", 3, |x| {
            Cell::num(x.r.p_now.map(|p| p.high))
        }),
        hidden_field("p_now_se", |x| Cell::num(x.r.p_now.map(|p| p.se))),
        hidden_field("paths", |x| Cell::int(x.r.p_now.map(|p| p.paths as i64))),
        hidden_field("scenario_source", |x| Cell::Text(x.source.to_string())),
        hidden_field("scenario_source_before", |x| {
            Cell::Text(x.source_before.to_string())
        }),
    ]
}

/// The review table, one row per target, its probabilities resting on
/// `source` (P before on `before`).
pub fn table(
    plan: &Plan,
    actuals: &Actuals,
    as_of: i32,
    rows: &[ReviewRow],
    source: &Source,
    before: &Source,
    lang: Lang,
) -> Table {
    let fields = fields();
    let mut t = Table::of_fields(
        format!("Mid-term review of {} as of {as_of}", plan.name),
        &fields,
    );
    t.lead = source_lines(source);
    let source = source.to_string();
    let source_before = before.to_string();
    for r in rows {
        let row = Row {
            plan,
            source: &source,
            source_before: &source_before,
            lang,
            actuals,
            as_of,
            r,
        };
        t.push_fields(&fields, &row);
    }
    t.notes = vec![
        "done%: completion (latest / target); time%: share of the period elapsed; dist%: share of the distance covered (log);".into(),
        "need%/y: growth still required a year; plan%/y: stated; got%/y: achieved so far; P before / now: probability of attainment at the start and given the actuals.".into(),
    ];
    t
}

/// The scenarios of a review's two runs.
#[derive(Clone, Copy)]
pub struct Scenarios<'a> {
    /// Given the actuals.
    pub now: &'a Scenario,
    /// Before the plan, where it differs (history up to the base year).
    pub before: Option<&'a Scenario>,
}

/// The whole output of a review.
pub fn output(
    plan: &Plan,
    a: &ReviewArgs,
    scenarios: Scenarios,
    actuals: &Actuals,
    as_of: i32,
    rows: &[ReviewRow],
) -> Result<Output, CliError> {
    let scenario = scenarios.now;
    let before = scenarios.before.unwrap_or(scenario);
    let mut json = json_head("review");
    json.insert("plan_file".into(), json!(a.plan.display().to_string()));
    json.insert("plan_name".into(), json!(plan.name));
    json.insert(
        "actuals_file".into(),
        json!(a.actuals.display().to_string()),
    );
    json.insert("as_of".into(), json!(as_of));
    json.insert("scenario_source".into(), json!(scenario.source.to_string()));
    json.insert("source".into(), to_value(&scenario.source)?);
    json.insert(
        "scenario_source_before".into(),
        json!(before.source.to_string()),
    );
    json.insert("scenario".into(), to_value(scenario)?);
    json.insert("review".into(), to_value(&rows)?);
    Ok(Output::new(
        table(
            plan,
            actuals,
            as_of,
            rows,
            &scenario.source,
            &before.source,
            a.lang,
        ),
        Vec::new(),
        json,
    ))
}
