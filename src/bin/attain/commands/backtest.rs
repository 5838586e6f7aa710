//! `attain backtest`: rolling-origin backtests of the forecast methods on
//! `id,year,value` data, the leaderboard, the target probabilities' Brier
//! score, reliability and skill against the climatology, and the PIT
//! histograms.

use attain::calibration::ModelChoice;
use attain::forecast::backtest::{
    Config, Metric, PitHistogram, Score, SeriesData, TargetCalibration, evaluate_with,
    write_pit_csv,
};
use attain::forecast::history::{Gaps, yearly_series};
use attain::forecast::{Method, MethodKind, PlanPath, Simulated};
use attain::plan::actuals::Actuals;
use serde_json::json;

use super::{check_interrupt, emit, refuse_overwrite};
use crate::args::BacktestArgs;
use crate::chart::{self, Chart, PitPanel, Reliability};
use crate::error::{CliError, write_file};
use crate::output::{Cell, Output, Table, col, hidden, json_head, to_value};
use crate::progress;

/// Runs `attain backtest`.
pub fn run(a: &BacktestArgs) -> Result<(), CliError> {
    refuse_overwrite(
        &[
            ("--out", a.output.out.as_deref()),
            ("--pit-csv", a.pit_csv.as_deref()),
        ],
        &[Some(&a.data)],
    )?;
    let metric = RankBy::parse(&a.metric)?;
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
    drop(actuals);
    let filled_years = json!(
        yearly
            .iter()
            .filter(|y| !y.filled.is_empty())
            .map(|y| json!({"id": y.data.id, "years": y.filled}))
            .collect::<Vec<_>>()
    );
    // Moved, not copied: the data are held once.
    let mut series: Vec<SeriesData> = yearly.into_iter().map(|y| y.data).collect();
    if let Some(g) = a.target_growth
        && !(g.is_finite() && g > -100.0)
    {
        return Err(CliError::Input(format!(
            "--target-growth: must be finite and > -100, got {g}"
        )));
    }
    for s in &mut series {
        s.target_growth_pct = a.target_growth.or_else(|| s.average_growth_pct());
    }
    let config = Config::new(a.horizon, a.min_train)
        .and_then(|c| c.with_max_origins(a.max_origins))
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
    // Streamed: the sums of every forecast, not the forecasts, so memory
    // does not grow with the number of series beyond the data's own.
    let summary = evaluate_with(&methods, &series, &config, Some(&monitor));
    drop(bar);
    let summary = summary?;
    check_interrupt()?;
    let report = Report {
        board: &summary.scores,
        calibration: &summary.calibration,
        pit: &summary.pit,
    };
    let problems: usize = summary.problems.iter().map(|p| p.rows).sum();
    let mut out = output(a, &series, problems, &report, metric)?;
    out.json.insert("filled_years".into(), filled_years);
    emit(&out, &a.output)?;
    let pit = &summary.pit;
    if let Some(path) = &a.pit_csv {
        let mut buf = Vec::new();
        write_pit_csv(pit, &mut buf).map_err(|e| CliError::Failure(e.to_string()))?;
        write_file(path, &String::from_utf8_lossy(&buf))?;
    }
    if let Some(dir) = &a.chart {
        let charts = charts(&report, metric, a.horizon)?;
        chart::write_all(dir, &charts)?;
    }
    Ok(())
}

/// What a backtest reports, for the table, JSON and charts.
pub struct Report<'a> {
    /// The leaderboard.
    pub board: &'a [Score],
    /// Target-probability calibration.
    pub calibration: &'a [TargetCalibration],
    /// PIT histograms.
    pub pit: &'a [PitHistogram],
}

impl Report<'_> {
    /// The score of `method` at horizon `h` (`None`: all) in `metric`.
    fn score(&self, method: &str, h: Option<usize>, metric: Metric) -> Option<&Score> {
        self.board
            .iter()
            .find(|s| s.method == method && s.horizon == h && s.metric == metric)
    }

    /// The PIT histogram of `method` at `h`.
    fn pit(&self, method: &str, h: Option<usize>) -> Option<&PitHistogram> {
        self.pit
            .iter()
            .find(|p| p.method == method && p.horizon == h)
    }

    /// Mean distance of the 50, 80 and 95% coverages from their nominal
    /// rates; `None` unless all three exist.
    fn coverage_error(&self, method: &str, h: Option<usize>) -> Option<f64> {
        let ms = [Metric::Coverage50, Metric::Coverage80, Metric::Coverage95];
        let mut sum = 0.0;
        for m in ms {
            sum += m.badness(self.score(method, h, m)?.value?);
        }
        Some(sum / ms.len() as f64)
    }
}

/// What ranks the methods: a metric, or a calibration summary that is not
/// a mean of per-forecast terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankBy {
    /// A leaderboard metric, by [`Metric::badness`].
    Metric(Metric),
    /// The PIT histogram's calibration error (mean absolute deviation of
    /// the bin shares from uniform), lowest first.
    Pit,
    /// The mean distance of the 50, 80 and 95% coverages from nominal,
    /// lowest first.
    Coverage,
}

impl RankBy {
    /// `--metric`'s value: a metric name, `pit` or `coverage`.
    pub fn parse(s: &str) -> Result<RankBy, CliError> {
        match s {
            "pit" => Ok(RankBy::Pit),
            "coverage" => Ok(RankBy::Coverage),
            _ => Metric::from_name(s).map(RankBy::Metric).ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.into_iter().map(Metric::name).collect();
                CliError::Input(format!(
                    "--metric: unknown metric \"{s}\" (one of {}, or pit, coverage)",
                    names.join(", ")
                ))
            }),
        }
    }

    /// The name as `--metric` takes it.
    pub fn name(self) -> &'static str {
        match self {
            RankBy::Metric(m) => m.name(),
            RankBy::Pit => "pit",
            RankBy::Coverage => "coverage",
        }
    }

    /// What the chart shows: the metric's value or the calibration error.
    fn value(self, report: &Report, method: &str, h: Option<usize>) -> Option<f64> {
        match self {
            RankBy::Metric(m) => report.score(method, h, m)?.value,
            RankBy::Pit => report.pit(method, h)?.calibration_error,
            RankBy::Coverage => report.coverage_error(method, h),
        }
    }

    /// How far `value` is from the best, lowest first.
    fn badness(self, value: f64) -> f64 {
        match self {
            RankBy::Metric(m) => m.badness(value),
            RankBy::Pit | RankBy::Coverage => value,
        }
    }
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

/// Metrics of the first CSV layout, before `forecasts, problems`; later
/// metrics follow those two, so that columns are only ever added at the end.
const FIRST_LAYOUT_METRICS: usize = 17;

/// The leaderboard: one row per method and horizon (empty: all horizons),
/// every metric a column, then the PIT histogram's statistics and the mean
/// coverage error, ranked within each horizon by `rank_by`.
pub fn table(report: &Report, rank_by: RankBy, horizons: usize) -> Table {
    let mut columns = vec![
        col("rank", "rank", 0),
        col("method", "method", 0),
        col("horizon", "h", 0),
    ];
    let metric_col = |m: Metric| {
        if Metric::HEADLINE.contains(&m) {
            col(m.name(), m.name(), 3)
        } else {
            hidden(m.name())
        }
    };
    let (first, later) = Metric::ALL.split_at(FIRST_LAYOUT_METRICS.min(Metric::ALL.len()));
    columns.extend(first.iter().map(|&m| metric_col(m)));
    columns.extend([col("forecasts", "n", 0), col("problems", "problems", 0)]);
    columns.extend(later.iter().map(|&m| metric_col(m)));
    columns.extend([
        col("pit_error", "pit_error", 3),
        hidden("pit_chi2"),
        hidden("pit_p_value"),
        hidden("coverage_error"),
    ]);
    let mut t = Table::new(
        format!(
            "Forecast leaderboard, ranked by {} within each horizon",
            rank_by.name()
        ),
        columns,
    );
    let methods = method_names(report.board);
    let value = |method: &str, h: Option<usize>, metric: Metric| report.score(method, h, metric);
    for h in std::iter::once(None).chain((1..=horizons).map(Some)) {
        let mut ranked: Vec<(&str, Option<f64>)> = methods
            .iter()
            .map(|&m| {
                let v = rank_by.value(report, m, h);
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
            let metric_cell = |m: &Metric| Cell::num(value(method, h, *m).and_then(|s| s.value));
            row.extend(first.iter().map(metric_cell));
            row.extend([Cell::Int(crps.count as i64), Cell::Int(crps.missing as i64)]);
            row.extend(later.iter().map(metric_cell));
            let pit = report.pit(method, h);
            row.extend([
                Cell::num(pit.and_then(|p| p.calibration_error)),
                Cell::num(pit.and_then(|p| p.chi2)),
                Cell::num(pit.and_then(|p| p.p_value)),
                Cell::num(report.coverage_error(method, h)),
            ]);
            t.push(row);
        }
    }
    t.notes = vec![
        "h empty: all horizons together. mape, coverage: fractions. brier: of the probability each method \
         gave that the level h years on is at least the origin's value grown at the series' target growth."
            .into(),
        "n: forecasts scored; problems: forecasts a method could not make (series too short, failed fits)."
            .into(),
        "brier_skill: 1 - brier / brier of the climatology (the share of targets met in outcomes known at \
         each origin). pit_error: mean |share - 0.1| over the 10 bins of the PIT histogram (0: uniform, \
         calibrated)."
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
    problems: usize,
    report: &Report,
    rank_by: RankBy,
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
    json.insert("max_origins".into(), json!(a.max_origins));
    json.insert("plan_growth_pct".into(), json!(a.plan_growth));
    json.insert("rank_by".into(), json!(rank_by.name()));
    json.insert("leaderboard".into(), to_value(&report.board)?);
    json.insert("calibration".into(), to_value(&report.calibration)?);
    json.insert("pit".into(), to_value(&report.pit)?);
    json.insert("problems".into(), json!(problems));
    Ok(Output::new(
        table(report, rank_by, a.horizon),
        Vec::new(),
        json,
    ))
}

/// The reliability diagram, the score-by-horizon chart and the PIT
/// histograms (all horizons, then each).
fn charts(report: &Report, rank_by: RankBy, horizons: usize) -> Result<Vec<Chart>, CliError> {
    let by_h: Vec<(String, Vec<(usize, f64)>)> = method_names(report.board)
        .into_iter()
        .map(|m| {
            let pts = (1..=horizons)
                .filter_map(|h| rank_by.value(report, m, Some(h)).map(|v| (h, v)))
                .collect();
            (m.to_string(), pts)
        })
        .collect();
    let reliability: Vec<Reliability> = report
        .calibration
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
    let pit_chart = |h: Option<usize>| -> Result<Chart, CliError> {
        let panels: Vec<PitPanel> = report
            .pit
            .iter()
            .filter(|p| p.horizon == h)
            .map(|p| PitPanel {
                method: p.method.clone(),
                counts: p.counts.clone(),
                calibration_error: p.calibration_error,
                p_value: p.p_value,
            })
            .collect();
        let (file, when) = match h {
            Some(h) => (format!("pit_h{h}.svg"), format!("{h} year(s) ahead")),
            None => ("pit.svg".to_string(), "all horizons".to_string()),
        };
        Ok(Chart {
            file,
            caption: format!("PIT histograms, {when}"),
            svg: chart::pit_chart(
                &format!(
                    "PIT histograms, {when} (dashed: uniform; p-values nominal, origins overlap)"
                ),
                &panels,
            )?,
        })
    };
    let mut pits = vec![pit_chart(None)?];
    for h in 1..=horizons {
        pits.push(pit_chart(Some(h))?);
    }
    let mut charts = vec![
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
    ];
    charts.extend(pits);
    Ok(charts)
}
