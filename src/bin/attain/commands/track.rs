//! `attain track`: in-year actuals against the annual targets of a plan.

use attain::Plan;
use attain::plan::in_year::InYear;
use attain::track::{PastYear, PlanTracking, TrackOptions, TrackedTarget, track_plan};
use serde_json::json;

use super::simulate::plan_input;
use super::{emit, load_plan, read_input};
use crate::args::{Lang, TrackArgs};
use crate::chart::{self, Chart, InYearInput};
use crate::error::{CliError, write_file};
use crate::output::{Cell, Field, Output, Table, field, hidden_field, json_head, to_value};
use crate::report::{self, Input, Report};

/// Runs `attain track`.
pub fn run(a: &TrackArgs) -> Result<(), CliError> {
    super::refuse_overwrite(
        &[
            ("--out", a.output.out.as_deref()),
            ("--report", a.report.as_deref()),
        ],
        &[Some(&a.plan), Some(&a.in_year)],
    )?;
    let plan = load_plan(&a.plan)?;
    let data = InYear::load_for(&a.in_year, &plan)?;
    let (year, month) = match &a.as_of {
        Some(text) => parse_as_of(text)?,
        None => default_as_of(&plan, &data)?,
    };
    if year <= plan.base_year || year > plan.target_year {
        return Err(CliError::Input(format!(
            "--as-of {year}-{month:02}: outside the plan years {}-{} (the plan's base year is {})",
            plan.base_year + 1,
            plan.target_year,
            plan.base_year
        )));
    }
    if a.window < 2 {
        return Err(CliError::Input(format!(
            "--window: must be at least 2 (a spread needs two years), got {}",
            a.window
        )));
    }
    let options = TrackOptions {
        window: a.window,
        ..TrackOptions::default()
    };
    let result = track_plan(&plan, &data.series, year, month, &options)?;
    let mut warnings = data.warnings.clone();
    warnings.extend(result.warnings.iter().cloned());
    let table = table(&plan, &data, &result, a.lang);
    let mut json = json_head("track");
    json.insert("plan_file".into(), json!(a.plan.display().to_string()));
    json.insert("plan_name".into(), json!(plan.name));
    json.insert(
        "in_year_file".into(),
        json!(a.in_year.display().to_string()),
    );
    json.insert("in_year_kind".into(), json!(data.kind.as_str()));
    json.insert("as_of".into(), json!(format!("{year}-{month:02}")));
    json.insert("window".into(), json!(a.window));
    json.insert("tracking".into(), to_value(&result)?);
    // Listed under the table, in JSON's `warnings` and on standard error
    // in CSV mode, as every command does.
    let mut out = Output::new(table, Vec::new(), json);
    out.warn(warnings);
    let charts = if a.chart.is_some() || a.report.is_some() {
        charts(&plan, &data, &result)?
    } else {
        Vec::new()
    };
    emit(&out, &a.output)?;
    if let Some(dir) = &a.chart {
        chart::write_all(dir, &charts)?;
    }
    if let Some(file) = &a.report {
        let facts = vec![
            ("plan".to_string(), plan.name.clone()),
            ("as of".to_string(), format!("{year}-{month:02}")),
            ("in-year file".to_string(), a.in_year.display().to_string()),
            ("values are".to_string(), data.kind.as_str().to_string()),
            ("profile window (years)".to_string(), a.window.to_string()),
            (
                "attain version".to_string(),
                env!("CARGO_PKG_VERSION").to_string(),
            ),
        ];
        let html = report::html(&Report {
            title: format!("In-year tracking as of {year}-{month:02}: {}", plan.name),
            facts,
            tables: vec![&out.table],
            charts: &charts,
            inputs: vec![
                plan_input(&a.plan)?,
                Input {
                    title: format!("In-year actuals {}", a.in_year.display()),
                    save_as: "in_year.csv".into(),
                    text: read_input(&a.in_year)?,
                },
            ],
            command: format!(
                "attain track plan.toml --in-year in_year.csv --as-of {year}-{month:02} --window {}   # attain {}",
                a.window,
                env!("CARGO_PKG_VERSION")
            ),
        });
        write_file(file, &html)?;
    }
    Ok(())
}

/// `YYYY-MM` as (year, month).
fn parse_as_of(text: &str) -> Result<(i32, u32), CliError> {
    let bad = || {
        CliError::Input(format!(
            "--as-of: must be a month YYYY-MM such as 2022-06, got \"{text}\""
        ))
    };
    let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u32 = m.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) {
        return Err(bad());
    }
    Ok((year, month))
}

/// The latest month any plan indicator reports within the plan years.
fn default_as_of(plan: &Plan, data: &InYear) -> Result<(i32, u32), CliError> {
    data.series
        .iter()
        .filter(|(id, _)| plan.indicator(id).is_some())
        .flat_map(|(_, s)| {
            s.years.iter().filter_map(|(y, months)| {
                let m = months.iter().rposition(Option::is_some)?;
                Some((*y, m as u32 + 1))
            })
        })
        .filter(|(y, _)| *y > plan.base_year && *y <= plan.target_year)
        .max()
        .ok_or_else(|| {
            CliError::Input(format!(
                "in-year file: no value within the plan years {}-{}; nothing to track (give --as-of)",
                plan.base_year + 1,
                plan.target_year
            ))
        })
}

/// One row of the table: a tracked target, or a past year's completion.
enum Row<'a> {
    Now(&'a TrackedTarget, bool),
    Past(&'a PastYear),
}

struct Line<'a> {
    plan: &'a Plan,
    row: Row<'a>,
    lang: Lang,
}

fn pct(v: Option<f64>) -> Cell {
    Cell::num(v.map(|v| 100.0 * v))
}

impl Line<'_> {
    fn id(&self) -> &str {
        match self.row {
            Row::Now(t, _) => &t.id,
            Row::Past(p) => &p.id,
        }
    }
    fn now(&self) -> Option<&TrackedTarget> {
        match self.row {
            Row::Now(t, _) => Some(t),
            Row::Past(_) => None,
        }
    }
}

/// The columns (stable; new ones only at the end).
fn fields<'a>() -> [Field<Line<'a>>; 25] {
    [
        field("id", "id", 0, |x| Cell::Text(x.id().to_string())),
        field("indicator", "指标 indicator", 0, |x| {
            Cell::text(x.plan.indicator(x.id()).map(|i| i.name_zh.clone()))
        }),
        field("year", "year", 0, |x| match x.row {
            Row::Now(t, _) => Cell::Int(i64::from(t.tracking.year)),
            Row::Past(p) => Cell::Int(i64::from(p.year)),
        }),
        field("month", "mon", 0, |x| match x.row {
            Row::Now(t, _) => Cell::Int(i64::from(t.tracking.month)),
            Row::Past(_) => Cell::Int(12),
        }),
        field("ytd", "ytd", 1, |x| match x.row {
            Row::Now(t, _) => Cell::Num(t.tracking.ytd),
            Row::Past(p) => Cell::Num(p.actual),
        }),
        field("target", "target", 1, |x| match x.row {
            Row::Now(t, _) => Cell::Num(t.target.value),
            Row::Past(p) => Cell::Num(p.target.value),
        }),
        field("done_pct", "done%", 1, |x| match x.row {
            Row::Now(t, _) => pct(Some(t.tracking.done)),
            Row::Past(p) => pct(Some(p.completion)),
        }),
        field("elapsed_pct", "time%", 1, |x| match x.row {
            Row::Now(t, _) => pct(Some(t.tracking.elapsed)),
            Row::Past(_) => pct(Some(1.0)),
        }),
        field("expected_done_pct", "expect%", 1, |x| {
            pct(x.now().and_then(|t| t.tracking.expected_done))
        }),
        field("expected_done_sd_pct", "±sd", 1, |x| {
            pct(x.now().and_then(|t| t.tracking.expected_done_sd))
        }),
        field("projected", "projected", 1, |x| {
            Cell::num(x.now().and_then(|t| t.tracking.projected))
        }),
        field("p_attain", "P", 3, |x| match x.row {
            Row::Now(t, _) => Cell::num(t.tracking.attain.map(|a| a.p)),
            Row::Past(p) => Cell::Num(if p.target.direction.holds(p.actual, p.target.value) {
                1.0
            } else {
                0.0
            }),
        }),
        field("p_low", "95% low", 3, |x| {
            Cell::num(x.now().and_then(|t| t.tracking.attain.map(|a| a.low)))
        }),
        field("p_high", "95% high", 3, |x| {
            Cell::num(x.now().and_then(|t| t.tracking.attain.map(|a| a.high)))
        }),
        field("status", "status", 0, |x| match x.row {
            Row::Now(t, _) => {
                Cell::text(t.tracking.status.map(|s| x.lang.pick(s.as_str(), s.zh())))
            }
            Row::Past(p) => Cell::Text(
                if p.target.direction.holds(p.actual, p.target.value) {
                    "met"
                } else {
                    "missed"
                }
                .into(),
            ),
        }),
        field("yoy_pct", "yoy%", 1, |x| {
            pct(x.now().and_then(|t| t.tracking.yoy))
        }),
        hidden_field("completion_pct", |x| match x.row {
            Row::Now(t, _) => pct((t.tracking.month == 12).then_some(t.tracking.done)),
            Row::Past(p) => pct(Some(p.completion)),
        }),
        hidden_field("projected_low", |x| {
            Cell::num(x.now().and_then(|t| t.tracking.projected_low))
        }),
        hidden_field("projected_high", |x| {
            Cell::num(x.now().and_then(|t| t.tracking.projected_high))
        }),
        hidden_field("profile_weight", |x| {
            Cell::num(
                x.now()
                    .and_then(|t| t.tracking.projection.map(|p| p.profile_weight)),
            )
        }),
        hidden_field("profile_years", |x| {
            Cell::int(
                x.now()
                    .and_then(|t| t.tracking.profile_years.map(|n| n as i64)),
            )
        }),
        hidden_field("trend_years", |x| {
            Cell::int(x.now().map(|t| t.tracking.trend_years as i64))
        }),
        hidden_field("target_from", |x| {
            let from = match x.row {
                Row::Now(t, _) => t.target.from,
                Row::Past(p) => p.target.from,
            };
            Cell::Text(
                match from {
                    attain::track::TargetFrom::TargetYear => "target_year",
                    attain::track::TargetFrom::Path { .. } => "path",
                    attain::track::TargetFrom::EveryYear => "every_year",
                }
                .into(),
            )
        }),
        hidden_field("direction", |x| {
            let d = match x.row {
                Row::Now(t, _) => t.target.direction,
                Row::Past(p) => p.target.direction,
            };
            Cell::Text(
                match d {
                    attain::Direction::AtLeast => "at_least",
                    attain::Direction::AtMost => "at_most",
                }
                .into(),
            )
        }),
        hidden_field("lower_bound", |x| match x.row {
            Row::Now(_, b) => Cell::Bool(b),
            Row::Past(_) => Cell::Empty,
        }),
    ]
}

/// The tracking table: per indicator its past years' completion, then the
/// year tracked.
fn table(plan: &Plan, data: &InYear, r: &PlanTracking, lang: Lang) -> Table {
    let fields = fields();
    let mut t = Table::of_fields(
        format!(
            "In-year tracking of {} as of {}-{:02}",
            plan.name, r.year, r.month
        ),
        &fields,
    );
    for ind in &plan.indicators {
        for p in r.past.iter().filter(|p| p.id == ind.id) {
            t.push_fields(
                &fields,
                &Line {
                    plan,
                    row: Row::Past(p),
                    lang,
                },
            );
        }
        for x in r.rows.iter().filter(|x| x.id == ind.id) {
            let bound = data.is_lower_bound(&x.id, x.tracking.year, x.tracking.month);
            t.push_fields(
                &fields,
                &Line {
                    plan,
                    row: Row::Now(x, bound),
                    lang,
                },
            );
        }
    }
    t.notes = vec![
        "done%: year-to-date / target (past years: 完成率); time%: month / 12; expect%: share of the year past years had reached by this month, ±sd its spread;".into(),
        "status: ahead / on_schedule / behind against expect% ± sd; projected: the year's median; P: P(annual target met) with its 95% interval; yoy%: year-to-date against the same months of last year.".into(),
    ];
    t
}

/// One chart per tracked indicator.
fn charts(plan: &Plan, data: &InYear, r: &PlanTracking) -> Result<Vec<Chart>, CliError> {
    let ids: Vec<&str> = r.rows.iter().map(|x| x.id.as_str()).collect();
    let names = chart::file_names("in_year_", &ids);
    let mut out = Vec::new();
    for (x, file) in r.rows.iter().zip(names) {
        let Some(series) = data.series.get(&x.id) else {
            continue;
        };
        let ind = plan.indicator(&x.id);
        let path = |y: i32| -> Vec<(f64, f64)> {
            (1..=12u32)
                .filter_map(|m| series.at(y, m).map(|v| (f64::from(m), v)))
                .collect()
        };
        let t = x.target.value;
        let seasonal = (1..=12u32)
            .filter_map(|m| x.profile.month(m).map(|s| (f64::from(m), t * s.mean)))
            .collect();
        let band = (1..=12u32)
            .filter_map(|m| {
                x.profile
                    .month(m)
                    .map(|s| (f64::from(m), t * (s.mean - s.sd), t * (s.mean + s.sd)))
            })
            .collect();
        let p = x.tracking.attain.map_or("P —".to_string(), |a| {
            format!("P {:.3} [{:.3}, {:.3}]", a.p, a.low, a.high)
        });
        let title = format!(
            "{} {} {}-{:02}: target {:.1}, {p}",
            ind.map_or("", |i| i.name_zh.as_str()),
            ind.map_or(x.id.as_str(), |i| i.name.as_str()),
            x.tracking.year,
            x.tracking.month,
            t
        );
        let projected = match (
            x.tracking.projected,
            x.tracking.projected_low,
            x.tracking.projected_high,
        ) {
            (Some(a), Some(b), Some(c)) if x.tracking.month < 12 => Some((a, b, c)),
            _ => None,
        };
        let svg = chart::in_year_chart(&InYearInput {
            title,
            this_year: path(x.tracking.year),
            seasonal,
            band,
            past: x.profile.from_years.iter().map(|&y| path(y)).collect(),
            target: t,
            projected,
            unit: ind.map_or("", |i| i.unit.as_str()),
        })?;
        out.push(Chart {
            file,
            caption: format!(
                "{}: this year against the seasonal path to the target",
                x.id
            ),
            svg,
        });
    }
    Ok(out)
}
