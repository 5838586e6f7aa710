//! `attain backtest`: rolling-origin backtests of the forecast methods on
//! `id,year,value` data, the leaderboard, and the target probabilities'
//! Brier score and reliability.

use attain::calibration::ModelChoice;
use attain::forecast::backtest::{
    Config, Metric, Row, Score, SeriesData, TargetCalibration, backtest_with, leaderboard,
    target_calibration,
};
use attain::forecast::history::{Gaps, yearly_series};
use attain::forecast::{Method, MethodKind, PlanPath, Simulated};
use attain::plan::actuals::Actuals;
use serde_json::json;

use super::{check_interrupt, emit};
use crate::args::BacktestArgs;
use crate::chart::{self, Chart, Reliability};
use crate::error::CliError;
use crate::output::{Cell, Output, Table, col, hidden, json_head, to_value};
use crate::progress;

/// Runs `attain backtest`.
pub fn run(a: &BacktestArgs) -> Result<(), CliError> {
    let metric = parse_metric(&a.metric)?;
    // The library's reader and grouping: an `id,year,value` file without a
    // plan, one series per id, gaps refused or filled as asked.
    let actuals = Actuals::read(&a.data)?;
    let gaps = if a.fill_gaps {
        Gaps::Geometric
    } else {
        Gaps::Refuse
    };
    let yearly = yearly_series(&actuals, gaps).map_err(|e| match &e {
        // The library cannot name the program's flag; the program can.
        attain::Error::Indicator { field, .. } if field == "year" && !a.fill_gaps => {
            CliError::Input(format!(
                "{}: {e}; run with --fill-gaps to fill them",
                a.data.display()
            ))
        }
        _ => e.in_file(&a.data).into(),
    })?;
    let mut series: Vec<SeriesData> = yearly.iter().map(|y| y.data.clone()).collect();
    if let Some(g) = a.target_growth
        && !(g.is_finite() && g > -100.0)
    {
        return Err(CliError::Input(format!(
            "--target-growth: must be finite and > -100, got {g}"
        )));
    }
    for s in &mut series {
        s.target_growth_pct = a.target_growth.or_else(|| average_growth_pct(&s.values));
    }
    let config = Config::new(a.horizon, a.min_train)
        .map_err(|e| CliError::Input(format!("command line: {e}")))?;
    let methods = methods(a)?;
    let monitor = progress::monitor();
    let bar = progress::Bar::start(
        &monitor,
        series.len() as u64,
        "backtesting",
        "series",
        a.quiet,
    );
    let rows = backtest_with(&methods, &series, &config, Some(&monitor));
    drop(bar);
    let rows = rows?;
    check_interrupt()?;
    let board = leaderboard(&rows);
    let calibration = target_calibration(&rows);
    let mut out = output(a, &series, &rows, &board, &calibration, metric)?;
    out.json.insert(
        "filled_years".into(),
        json!(
            yearly
                .iter()
                .filter(|y| !y.filled.is_empty())
                .map(|y| json!({"id": y.data.id, "years": y.filled}))
                .collect::<Vec<_>>()
        ),
    );
    emit(&out, &a.output)?;
    if let Some(dir) = &a.chart {
        let charts = charts(&board, &calibration, metric, a.horizon)?;
        chart::write_all(dir, &charts)?;
    }
    Ok(())
}

/// Average annual growth over a whole series, percent (the default target:
/// "grows at least as fast as it did on average"); `None` where it has no
/// growth (fewer than two values, values not positive).
fn average_growth_pct(values: &[f64]) -> Option<f64> {
    let (first, last) = (*values.first()?, *values.last()?);
    let years = values.len().checked_sub(1).filter(|&n| n > 0)? as f64;
    let g = 100.0 * ((last / first).powf(1.0 / years) - 1.0);
    (first > 0.0 && last > 0.0 && g.is_finite()).then_some(g)
}

fn parse_metric(s: &str) -> Result<Metric, CliError> {
    Metric::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Metric::ALL.into_iter().map(Metric::name).collect();
        CliError::Input(format!(
            "--metric: unknown metric \"{s}\" (one of {})",
            names.join(", ")
        ))
    })
}

/// Most paths per forecast of `--engine-paths`.
const MAX_ENGINE_PATHS: u64 = 1_000_000;

/// The methods compared, in the library's order ([`MethodKind::ALL`]): each
/// with its usual settings, but the plan path only when a plan growth is
/// given (a data file declares none) and the engine's own simulation only
/// when asked for.
fn methods(a: &BacktestArgs) -> Result<Vec<Box<dyn Method>>, CliError> {
    let mut m: Vec<Box<dyn Method>> = Vec::new();
    for kind in MethodKind::ALL {
        let method: Option<Box<dyn Method>> = match kind {
            MethodKind::PlanPath => match a.plan_growth {
                Some(g) => {
                    Some(Box::new(PlanPath::new(g).map_err(|e| {
                        CliError::Input(format!("--plan-growth: {e}"))
                    })?))
                }
                None => None,
            },
            MethodKind::Simulated => match a.engine_paths {
                Some(paths) => Some(Box::new(simulated(paths, a.horizon)?)),
                None => None,
            },
            standard => standard.standard(),
        };
        m.extend(method);
    }
    Ok(m)
}

/// The engine's simulation with `paths` paths per forecast.
fn simulated(paths: u64, horizon: usize) -> Result<Simulated, CliError> {
    // Ctrl-C is seen between series, so one series' engine runs must stay short.
    if paths > MAX_ENGINE_PATHS {
        return Err(CliError::Input(format!(
            "--engine-paths: must be at most {MAX_ENGINE_PATHS}, got {paths}"
        )));
    }
    Simulated::new(ModelChoice::LogNormal, paths, 0, horizon)
        .map_err(|e| CliError::Input(format!("--engine-paths: {e}")))
}

/// The leaderboard: one row per method and horizon (empty: all horizons),
/// every metric a column, ranked within each horizon by `rank_by`.
pub fn table(board: &[Score], rank_by: Metric, horizons: usize) -> Table {
    let mut columns = vec![
        col("rank", "rank", 0),
        col("method", "method", 0),
        col("horizon", "h", 0),
    ];
    for m in Metric::ALL {
        columns.push(if Metric::HEADLINE.contains(&m) {
            col(m.name(), m.name(), 3)
        } else {
            hidden(m.name())
        });
    }
    columns.extend([col("forecasts", "n", 0), col("problems", "problems", 0)]);
    let mut t = Table::new(
        format!(
            "Forecast leaderboard, ranked by {} within each horizon",
            rank_by.name()
        ),
        columns,
    );
    let methods = method_names(board);
    let value = |method: &str, h: Option<usize>, metric: Metric| {
        board
            .iter()
            .find(|s| s.method == method && s.horizon == h && s.metric == metric)
    };
    for h in std::iter::once(None).chain((1..=horizons).map(Some)) {
        let mut ranked: Vec<(&str, Option<f64>)> = methods
            .iter()
            .map(|&m| {
                let v = value(m, h, rank_by).and_then(|s| s.value);
                (m, v.map(|v| rank_by.badness(v)))
            })
            .collect();
        // Methods without a score go last, in their order (a stable sort).
        ranked.sort_by(|a, b| match (a.1, b.1) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        for (rank, (method, k)) in ranked.into_iter().enumerate() {
            let Some(crps) = value(method, h, Metric::Crps) else {
                continue;
            };
            let mut row = vec![
                if k.is_some() {
                    Cell::Int(rank as i64 + 1)
                } else {
                    Cell::Empty
                },
                Cell::Text(method.to_string()),
                Cell::int(h.map(|h| h as i64)),
            ];
            for m in Metric::ALL {
                row.push(Cell::num(value(method, h, m).and_then(|s| s.value)));
            }
            row.extend([Cell::Int(crps.count as i64), Cell::Int(crps.missing as i64)]);
            t.push(row);
        }
    }
    t.notes = vec![
        "h empty: all horizons together. mape, coverage: fractions. brier: of the probability each method \
         gave that the level h years on is at least the origin's value grown at the series' target growth."
            .into(),
        "n: forecasts scored; problems: forecasts a method could not make (series too short, failed fits)."
            .into(),
    ];
    t
}

/// Method names in leaderboard order.
fn method_names(board: &[Score]) -> Vec<&str> {
    let mut methods: Vec<&str> = Vec::new();
    for s in board {
        if !methods.contains(&s.method.as_str()) {
            methods.push(&s.method);
        }
    }
    methods
}

/// The whole output of a backtest.
fn output(
    a: &BacktestArgs,
    series: &[SeriesData],
    rows: &[Row],
    board: &[Score],
    calibration: &[TargetCalibration],
    rank_by: Metric,
) -> Result<Output, CliError> {
    let mut json = json_head("backtest");
    json.insert("data_file".into(), json!(a.data.display().to_string()));
    json.insert(
        "series".into(),
        json!(
            series
                .iter()
                .map(|s| json!({"id": s.id, "values": s.values.len(), "target_growth_pct": s.target_growth_pct}))
                .collect::<Vec<_>>()
        ),
    );
    json.insert("horizon".into(), json!(a.horizon));
    json.insert("min_train".into(), json!(a.min_train));
    json.insert("plan_growth_pct".into(), json!(a.plan_growth));
    json.insert("rank_by".into(), json!(rank_by.name()));
    json.insert("leaderboard".into(), to_value(&board)?);
    json.insert("calibration".into(), to_value(&calibration)?);
    json.insert(
        "problems".into(),
        json!(rows.iter().filter(|r| r.problem.is_some()).count()),
    );
    Ok(Output {
        table: table(board, rank_by, a.horizon),
        extra: Vec::new(),
        json,
    })
}

/// The reliability diagram and the score-by-horizon chart.
fn charts(
    board: &[Score],
    calibration: &[TargetCalibration],
    rank_by: Metric,
    horizons: usize,
) -> Result<Vec<Chart>, CliError> {
    let by_h: Vec<(String, Vec<(usize, f64)>)> = method_names(board)
        .into_iter()
        .map(|m| {
            let pts = (1..=horizons)
                .filter_map(|h| {
                    board
                        .iter()
                        .find(|s| s.method == m && s.horizon == Some(h) && s.metric == rank_by)
                        .and_then(|s| s.value)
                        .map(|v| (h, v))
                })
                .collect();
            (m.to_string(), pts)
        })
        .collect();
    let reliability: Vec<Reliability> = calibration
        .iter()
        .filter(|c| c.horizon.is_none())
        .map(|c| Reliability {
            method: c.method.clone(),
            brier: c.decomposition.brier,
            count: c.decomposition.table.iter().map(|b| b.count).sum(),
            bins: c.decomposition.table.clone(),
        })
        .collect();
    let name = rank_by.name();
    Ok(vec![
        Chart {
            file: "reliability.svg".into(),
            caption: "Reliability of the target probabilities".into(),
            svg: chart::reliability_chart(
                "Reliability of the backtest's target probabilities",
                &reliability,
            )?,
        },
        Chart {
            file: "score_by_horizon.svg".into(),
            caption: format!("{name} by horizon and method"),
            svg: chart::score_chart(&format!("{name} by horizon"), name, &by_h)?,
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_target_is_the_average_growth() {
        let g = average_growth_pct(&[100.0, 110.0, 121.0]).unwrap();
        assert!((g - 10.0).abs() < 1e-12);
        assert_eq!(average_growth_pct(&[100.0]), None);
        assert_eq!(average_growth_pct(&[0.0, 1.0]), None);
    }
}
