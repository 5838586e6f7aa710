//! `attain simulate`: attainment probabilities, the joint probability of
//! the binding targets, fan-chart quantiles; charts and a report.

use std::path::Path;

use attain::Plan;
use attain::plan::actuals::Actuals;
use attain::simulate::attainment::{Attainment, FAN_LEVELS, Probability};
use attain::simulate::scenario::Scenario;
use serde_json::json;

use super::{
    check_interrupt, emit, load_plan, load_scenario, read_input, refuse_overwrite, run_options,
    scenario_text, simulate_with_bar,
};
use crate::args::SimulateArgs;
use crate::chart::{self, Bar, Chart, FanInput};
use crate::error::{CliError, write_file};
use crate::output::{Cell, Output, Table, col, hidden, json_head, source_lines, to_value};
use crate::report::{self, Input, Report};

/// Runs `attain simulate`.
pub fn run(a: &SimulateArgs) -> Result<(), CliError> {
    refuse_overwrite(
        &[
            ("--out", a.output.out.as_deref()),
            ("--report", a.run.report.as_deref()),
        ],
        &[
            Some(&a.plan),
            a.run.scenario.as_deref(),
            a.run.history.as_deref(),
        ],
    )?;
    let plan = load_plan(&a.plan)?;
    let loaded = load_scenario(&a.run, &plan, plan.base_year)?;
    let scenario = loaded.scenario;
    let options = run_options(&a.run)?;
    let threads = options.threads;
    let att = simulate_with_bar(&plan, &a.plan, &scenario, options, a.run.quiet)?;
    let mut out = output(&plan, &a.plan, &scenario, &att)?;
    out.json.insert("threads".into(), json!(threads));
    if a.fan {
        let targets = std::mem::replace(&mut out.table, fan_table(&plan, &att));
        out.extra = vec![targets];
    }
    if a.run.chart.is_none() && a.run.report.is_none() {
        return emit(&out, &a.output);
    }
    let charts = charts(&plan, &att, None, "P(attain)")?;
    check_interrupt()?;
    emit(&out, &a.output)?;
    if let Some(dir) = &a.run.chart {
        chart::write_all(dir, &charts)?;
    }
    if let Some(file) = &a.run.report {
        let targets = if a.fan { &out.extra[0] } else { &out.table };
        let html = report::html(&Report {
            title: format!("Attainment: {}", plan.name),
            facts: facts(&plan, &scenario, &att),
            tables: vec![targets],
            charts: &charts,
            inputs: vec![plan_input(&a.plan)?, scenario_input(&scenario)],
            command: command("simulate", "", &scenario),
        });
        write_file(file, &html)?;
    }
    Ok(())
}

/// The plan file as a report's input, under the name the reproduce command
/// uses.
pub fn plan_input(path: &Path) -> Result<Input, CliError> {
    Ok(Input {
        title: format!("Plan file {}", path.display()),
        save_as: "plan.toml".into(),
        text: plan_text(path)?,
    })
}

/// The scenario as a report's input, with the paths and seed used.
pub fn scenario_input(scenario: &Scenario) -> Input {
    Input {
        title: "Scenario, with the paths and seed used".into(),
        save_as: "scenario.toml".into(),
        text: scenario_text(scenario),
    }
}

/// The plan file's text, under the name the reproduce command uses.
pub fn plan_text(path: &Path) -> Result<String, CliError> {
    let text = read_input(path)?;
    // A JSON plan saved as plan.toml would not load: convert it.
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        let plan = Plan::from_json_str(&text)?;
        return Ok(plan.to_toml_string()?);
    }
    Ok(text)
}

/// The command that reproduces a run from the report's saved inputs;
/// `options` (a review's `--actuals` and `--as-of`) go before the comment.
pub fn command(sub: &str, options: &str, s: &Scenario) -> String {
    format!(
        "attain {sub} plan.toml --scenario scenario.toml{options}   # attain {}, scenario \"{}\", seed {}",
        env!("CARGO_PKG_VERSION"),
        s.name,
        s.seed
    )
}

/// Key facts of a run for the report.
pub fn facts(plan: &Plan, s: &Scenario, att: &Attainment) -> Vec<(String, String)> {
    let mut f = vec![
        ("plan".to_string(), plan.name.clone()),
        (
            "years".to_string(),
            format!("{} -> {}", plan.base_year, plan.target_year),
        ),
        ("scenario".to_string(), s.name.clone()),
        ("probabilities rest on".to_string(), s.source.to_string()),
        ("seed".to_string(), s.seed.to_string()),
        ("paths".to_string(), att.paths.to_string()),
        (
            "attain version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
    ];
    if let Some(se) = s.target_se {
        f.push(("target standard error".into(), se.to_string()));
    }
    if let Some(j) = att.joint_binding {
        f.push(("all binding targets jointly".into(), chart::p_text(&j)));
    }
    if let Some(j) = att.joint_all {
        f.push(("all targets jointly".into(), chart::p_text(&j)));
    }
    if let Some(r) = &att.correlation_repair {
        f.push(("correlation repaired".into(), r.clone()));
    }
    f
}

/// The targets table: one row per target, then the joint probabilities.
pub fn table(plan: &Plan, s: &Scenario, att: &Attainment) -> Table {
    let year = plan.target_year;
    let mut t = Table::new(
        format!(
            "P(attain) for {} under \"{}\" ({} paths, seed {})",
            plan.name, s.name, att.paths, s.seed
        ),
        vec![
            col("no", "no", 0),
            col("id", "id", 0),
            col("indicator", "指标 indicator", 0),
            hidden("name"),
            hidden("target_index"),
            col("kind", "kind", 0),
            col("attribute", "属性", 0),
            col("target", "target", 2),
            hidden("threshold"),
            col("p_attain", "P(attain)", 3),
            col("p_low", "95% low", 3),
            col("p_high", "95% high", 3),
            hidden("p_se"),
            hidden("paths"),
            hidden("expected_shortfall"),
            col("expected_shortfall_pct", "short%", 1),
            col("q05_final", "5%", 1),
            col("q50_final", "median", 1),
            col("q95_final", "95%", 1),
            hidden("scenario_source"),
        ],
    );
    t.lead = source_lines(&att.source);
    let source = att.source.to_string();
    for r in &att.targets {
        let ind = plan.indicator(&r.id);
        let fan = att
            .fan
            .iter()
            .find(|f| f.id == r.id)
            .and_then(|f| f.years.last());
        let q = |k: usize| Cell::num(fan.map(|b| b.quantiles[k]));
        let mut row = vec![
            Cell::int(r.no),
            Cell::Text(r.id.clone()),
            Cell::text(ind.map(|i| i.name_zh.clone())),
            Cell::text(ind.map(|i| i.name.clone())),
            Cell::Int(r.target_index as i64),
            Cell::Text(r.kind.clone()),
            Cell::Text(if r.binding { "binding" } else { "expected" }.into()),
            Cell::num(ind.and_then(|i| {
                let t = i.targets().nth(r.target_index)?;
                t.stated_value(i.base, r.threshold)
            })),
            Cell::num(r.threshold),
        ];
        row.extend(p_cells(r.attain));
        row.extend([
            Cell::num(r.expected_shortfall),
            Cell::num(r.expected_shortfall_pct),
            q(0),
            q(2),
            q(4),
            Cell::Text(source.clone()),
        ]);
        t.push(row);
    }
    for (id, zh, name, attribute, p) in [
        (
            "joint_binding",
            "全部约束性指标",
            "all simulated binding targets",
            "binding",
            att.joint_binding,
        ),
        (
            "joint_all",
            "全部指标",
            "all simulated targets",
            "",
            att.joint_all,
        ),
    ] {
        let Some(p) = p else { continue };
        let mut row = vec![
            Cell::Empty,
            Cell::Text(id.into()),
            Cell::Text(zh.into()),
            Cell::Text(name.into()),
            Cell::Empty,
            Cell::Text("joint".into()),
            Cell::Text(attribute.into()),
            Cell::Empty,
            Cell::Empty,
        ];
        row.extend(p_cells(Some(p)));
        row.extend([
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Text(source.clone()),
        ]);
        t.push(row);
    }
    t.notes = vec![
        format!(
            "95% low/high: Wilson interval of P(attain); short%: mean shortfall when missed, percent of the threshold; \
             5%/median/95%: the indicator's simulated level in {year} (an index from 1 for rows without a base)."
        ),
        format!(
            "Expected number of targets met: {:.2} of {} simulated.",
            att.expected_met, att.simulated_targets
        ),
    ];
    t
}

/// p, low, high, se, paths of a probability (empty when not simulated).
pub fn p_cells(p: Option<Probability>) -> [Cell; 5] {
    [
        Cell::num(p.map(|p| p.p)),
        Cell::num(p.map(|p| p.low)),
        Cell::num(p.map(|p| p.high)),
        Cell::num(p.map(|p| p.se)),
        Cell::int(p.map(|p| p.paths as i64)),
    ]
}

/// The fan-chart quantiles: one row per simulated series and year.
pub fn fan_table(plan: &Plan, att: &Attainment) -> Table {
    let mut t = Table::new(
        format!("Fan-chart quantiles ({} paths)", att.paths),
        vec![
            col("id", "id", 0),
            col("indicator", "指标 indicator", 0),
            col("year", "year", 0),
            col("mean", "mean", 2),
            col("q05", "5%", 2),
            col("q25", "25%", 2),
            col("q50", "50%", 2),
            col("q75", "75%", 2),
            col("q95", "95%", 2),
            hidden("scenario_source"),
        ],
    );
    t.lead = source_lines(&att.source);
    let source = att.source.to_string();
    for f in &att.fan {
        let name = plan
            .indicator(&f.id)
            .map(|i| i.name_zh.clone())
            .or_else(|| {
                plan.series
                    .iter()
                    .find(|s| s.id == f.id)
                    .map(|s| s.name_zh.clone())
            });
        for y in &f.years {
            let mut row = vec![
                Cell::Text(f.id.clone()),
                Cell::text(name.clone()),
                Cell::Int(i64::from(y.year)),
                Cell::num(Some(y.mean)),
            ];
            row.extend(y.quantiles.iter().map(|&q| Cell::num(Some(q))));
            row.push(Cell::Text(source.clone()));
            t.push(row);
        }
    }
    t.notes = vec![format!(
        "Quantile levels {FAN_LEVELS:?}, from fixed-size histograms (1024 bins per series and year, within one bin of exact) with log-scale tails (within 0.5% of exact, whatever the range)."
    )];
    t
}

/// The whole output of a simulation.
pub fn output(
    plan: &Plan,
    path: &Path,
    scenario: &Scenario,
    att: &Attainment,
) -> Result<Output, CliError> {
    let mut json = json_head("simulate");
    json.insert("plan_file".into(), json!(path.display().to_string()));
    json.insert("plan_name".into(), json!(plan.name));
    json.insert("scenario_source".into(), json!(att.source.to_string()));
    json.insert("source".into(), to_value(&att.source)?);
    json.insert("scenario".into(), to_value(scenario)?);
    json.insert("attainment".into(), to_value(att)?);
    let mut out = Output::new(table(plan, scenario, att), Vec::new(), json);
    out.warn(att.warnings.iter().cloned());
    Ok(out)
}

/// The fan chart of every simulated indicator (auxiliary series have no
/// targets and get none), then the probability chart.
pub fn charts(
    plan: &Plan,
    att: &Attainment,
    actuals: Option<&Actuals>,
    p_label: &str,
) -> Result<Vec<Chart>, CliError> {
    let fans: Vec<_> = att
        .fan
        .iter()
        .filter_map(|f| plan.indicator(&f.id).map(|i| (i, f)))
        .collect();
    let ids: Vec<&str> = fans.iter().map(|(i, _)| i.id.as_str()).collect();
    let names = chart::file_names("fan_", &ids);
    let mut charts = Vec::new();
    for ((ind, fan), file) in fans.into_iter().zip(names) {
        let probabilities = (0..ind.targets().count())
            .map(|k| att.target(&ind.id, k).and_then(|t| t.attain))
            .collect();
        let actuals = actuals.map_or(Vec::new(), |a| {
            let mut v: Vec<(i32, f64)> = a
                .observations
                .iter()
                .filter(|o| o.id == ind.id)
                .map(|o| (o.year, o.value))
                .collect();
            v.sort_by_key(|p| p.0);
            v
        });
        let svg = chart::fan_chart(&FanInput {
            plan,
            indicator: ind,
            fan,
            probabilities,
            actuals,
            p_label: p_label.to_string(),
        })?;
        charts.push(Chart {
            file,
            caption: format!("Fan chart: {} {} ({})", ind.name_zh, ind.name, ind.id),
            svg,
        });
    }
    let mut not_shown = 0;
    let bars = att
        .targets
        .iter()
        .filter_map(|r| {
            let Some(p) = r.attain else {
                not_shown += 1;
                return None;
            };
            let name = plan.indicator(&r.id).map_or(r.id.as_str(), |i| &i.name_zh);
            let no = r.no.map_or(String::new(), |n| format!("{n} "));
            let extra = if r.target_index > 0 {
                format!(" #{}", r.target_index + 1)
            } else {
                String::new()
            };
            Some(Bar {
                label: format!("{no}{name} ({}{extra})", r.kind),
                binding: r.binding,
                p,
            })
        })
        .collect();
    let svg = chart::probability_chart(
        &format!("{p_label} by target — {}", plan.name),
        bars,
        att.joint_binding
            .map(|p| ("all binding targets jointly", p)),
        not_shown,
    )?;
    charts.push(Chart {
        file: "probability.svg".into(),
        caption: "Probability of attainment by target, with 95% intervals".into(),
        svg,
    });
    Ok(charts)
}
