//! `attain backtest`: rolling-origin backtests of the forecast methods on
//! `id,year,value` data, the leaderboard, and the target probabilities'
//! Brier score and reliability.

use std::collections::BTreeMap;

use attain::forecast::backtest::{Config, Metric, Row, Score, SeriesData, backtest, leaderboard};
use attain::forecast::score::{brier, reliability_table};
use attain::forecast::{
    Ar1Growth, Cagr, DampedHolt, LogLinearTrend, Method, Naive, PlanPath, RandomWalkDrift,
};
use serde::Serialize;
use serde_json::json;

use super::{check_interrupt, emit};
use crate::args::BacktestArgs;
use crate::chart::{self, Chart, Reliability};
use crate::error::CliError;
use crate::output::{Cell, Output, Table, col, hidden, json_head, to_value};

/// Bins of the reliability table.
const BINS: usize = 10;

/// Runs `attain backtest`.
pub fn run(a: &BacktestArgs) -> Result<(), CliError> {
    let metric = parse_metric(&a.metric)?;
    let text = std::fs::read_to_string(&a.data)
        .map_err(|e| CliError::Input(format!("{}: {e}", a.data.display())))?;
    let series =
        read_series(&text).map_err(|e| CliError::Input(format!("{}: {e}", a.data.display())))?;
    let config = Config::new(a.horizon, a.min_train)
        .map_err(|e| CliError::Input(format!("command line: {e}")))?;
    if let Some(g) = a.target_growth
        && !(g.is_finite() && g > -100.0)
    {
        return Err(CliError::Input(format!(
            "--target-growth: must be finite and > -100, got {g}"
        )));
    }
    let methods = methods(a.plan_growth)?;
    let rows = backtest(&methods, &series, &config)?;
    let board = leaderboard(&rows);
    let probs = target_probabilities(&methods, &series, &config, a.target_growth);
    check_interrupt()?;
    let reliability = reliability(&methods, &probs)?;
    let out = output(a, &series, &rows, &board, &probs, &reliability, metric)?;
    emit(&out, &a.output)?;
    if let Some(dir) = &a.chart {
        let charts = charts(&board, &probs, &reliability, metric, a.horizon)?;
        chart::write_all(dir, &charts)?;
    }
    Ok(())
}

/// A leaderboard metric, or the Brier score of the target probabilities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RankBy {
    /// One of the library's metrics.
    Metric(Metric),
    /// The Brier score.
    Brier,
}

impl RankBy {
    fn name(self) -> String {
        match self {
            RankBy::Metric(m) => metric_name(m),
            RankBy::Brier => "brier".into(),
        }
    }

    /// Distance from the best value (coverage is best at its nominal rate,
    /// everything else at 0).
    fn badness(self, v: f64) -> f64 {
        match self {
            RankBy::Metric(Metric::Coverage80) => (v - 0.8).abs(),
            RankBy::Metric(Metric::Coverage95) => (v - 0.95).abs(),
            _ => v,
        }
    }
}

fn metric_name(m: Metric) -> String {
    serde_json::to_value(m)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn parse_metric(s: &str) -> Result<RankBy, CliError> {
    if s == "brier" {
        return Ok(RankBy::Brier);
    }
    Metric::ALL
        .into_iter()
        .find(|&m| metric_name(m) == s)
        .map(RankBy::Metric)
        .ok_or_else(|| {
            let names: Vec<String> = Metric::ALL.into_iter().map(metric_name).collect();
            CliError::Input(format!(
                "--metric: unknown metric \"{s}\" (one of {}, brier)",
                names.join(", ")
            ))
        })
}

/// The methods compared: all of the library's, the plan path only when a
/// plan growth is given.
fn methods(plan_growth: Option<f64>) -> Result<Vec<Box<dyn Method>>, CliError> {
    let mut m: Vec<Box<dyn Method>> = Vec::new();
    if let Some(g) = plan_growth {
        m.push(Box::new(
            PlanPath::new(g).map_err(|e| CliError::Input(format!("--plan-growth: {e}")))?,
        ));
    }
    m.push(Box::new(Naive));
    m.push(Box::new(RandomWalkDrift));
    m.push(Box::new(Cagr::whole()));
    m.push(Box::new(LogLinearTrend));
    m.push(Box::new(Ar1Growth));
    m.push(Box::new(DampedHolt));
    Ok(m)
}

/// Reads `id,year,value` CSV (header required, columns in any order, a
/// byte-order mark allowed) into one series per id in order of first
/// appearance; each id's years must be consecutive once sorted.
pub fn read_series(text: &str) -> Result<Vec<SeriesData>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| format!("header: {e}"))?
        .clone();
    let at = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| format!("line 1: missing column \"{name}\" (expected id,year,value)"))
    };
    let (id_at, year_at, value_at) = (at("id")?, at("year")?, at("value")?);
    let mut order: Vec<String> = Vec::new();
    let mut points: BTreeMap<String, Vec<(i32, f64, u64)>> = BTreeMap::new();
    for record in reader.records() {
        let r = record.map_err(|e| match e.position() {
            Some(p) => format!("line {}: {e}", p.line()),
            None => e.to_string(),
        })?;
        let line = r.position().map_or(0, csv::Position::line);
        let field = |j: usize| r.get(j).unwrap_or("").trim();
        let id = field(id_at);
        if id.is_empty() {
            return Err(format!("line {line}: id: must not be empty"));
        }
        let year: i32 = field(year_at).parse().map_err(|_| {
            format!(
                "line {line}: series \"{id}\": year must be a whole year, got \"{}\"",
                field(year_at)
            )
        })?;
        let value: f64 = field(value_at)
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| {
                format!(
                    "line {line}: series \"{id}\": value must be a finite number, got \"{}\"",
                    field(value_at)
                )
            })?;
        if !points.contains_key(id) {
            order.push(id.to_string());
        }
        points
            .entry(id.to_string())
            .or_default()
            .push((year, value, line));
    }
    if order.is_empty() {
        return Err("no data rows".to_string());
    }
    order
        .into_iter()
        .map(|id| {
            let mut p = points.remove(&id).unwrap_or_default();
            p.sort_by_key(|x| x.0);
            for w in p.windows(2) {
                let ((y0, _, _), (y1, _, line)) = (w[0], w[1]);
                if y1 == y0 {
                    return Err(format!("line {line}: series \"{id}\": year {y1} appears twice"));
                }
                if i64::from(y1) - i64::from(y0) != 1 {
                    return Err(format!(
                        "line {line}: series \"{id}\": years must be consecutive, {y0} is followed by {y1}"
                    ));
                }
            }
            Ok(SeriesData {
                id,
                values: p.into_iter().map(|x| x.1).collect(),
            })
        })
        .collect()
}

/// One forecast probability that a target would be met, and the outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetForecast {
    /// Method name.
    pub method: String,
    /// Series id.
    pub series: String,
    /// Values in the training window.
    pub origin: usize,
    /// Years ahead.
    pub horizon: usize,
    /// The level the target asks for.
    pub threshold: f64,
    /// Forecast probability that the level is at least the threshold.
    pub p: f64,
    /// Whether it was.
    pub met: bool,
}

/// For each method, series, origin and horizon of the backtest: the
/// probability the method gave to "the level `h` years ahead is at least the
/// last training value grown at `target_growth` (default: the training
/// window's own average growth) a year", and whether it was. Forecasts that
/// fail (too short a window, values a method cannot take) are left out:
/// the leaderboard reports them.
pub fn target_probabilities(
    methods: &[Box<dyn Method>],
    series: &[SeriesData],
    config: &Config,
    target_growth: Option<f64>,
) -> Vec<TargetForecast> {
    let mut out = Vec::new();
    for s in series {
        let n = s.values.len();
        for m in methods {
            for origin in config.min_train..n {
                let train = &s.values[..origin];
                let (first, last) = (train[0], train[origin - 1]);
                let g = match target_growth {
                    Some(pct) => pct / 100.0,
                    None => (last / first).powf(1.0 / (origin - 1) as f64) - 1.0,
                };
                let Ok(fitted) = m.fit(train) else { continue };
                for h in 1..=config.horizons.min(n - origin) {
                    let threshold = last * (1.0 + g).powi(h as i32);
                    if !threshold.is_finite() {
                        continue;
                    }
                    let Ok(p) = fitted
                        .forecast(h)
                        .and_then(|f| f.predictive.prob_at_least(threshold))
                    else {
                        continue;
                    };
                    if !(0.0..=1.0).contains(&p) {
                        continue;
                    }
                    out.push(TargetForecast {
                        method: m.name(),
                        series: s.id.clone(),
                        origin,
                        horizon: h,
                        threshold,
                        p,
                        met: s.values[origin + h - 1] >= threshold,
                    });
                }
            }
        }
    }
    out
}

/// Brier score (`None` without forecasts) of the forecasts selected.
fn brier_of<'a>(f: impl Iterator<Item = &'a TargetForecast>) -> (Option<f64>, usize) {
    let (p, o): (Vec<f64>, Vec<bool>) = f.map(|t| (t.p, t.met)).unzip();
    (brier(&p, &o).ok().filter(|_| !p.is_empty()), p.len())
}

/// Reliability of each method's target probabilities.
fn reliability(
    methods: &[Box<dyn Method>],
    probs: &[TargetForecast],
) -> Result<Vec<Reliability>, CliError> {
    let mut out = Vec::new();
    for m in methods {
        let name = m.name();
        let (p, o): (Vec<f64>, Vec<bool>) = probs
            .iter()
            .filter(|t| t.method == name)
            .map(|t| (t.p, t.met))
            .unzip();
        if p.is_empty() {
            continue;
        }
        out.push(Reliability {
            method: name,
            brier: brier(&p, &o)?,
            count: p.len(),
            bins: reliability_table(&p, &o, BINS)?,
        });
    }
    Ok(out)
}

/// The leaderboard: one row per method and horizon (empty: all horizons),
/// every metric a column, ranked within each horizon by `rank_by`.
pub fn table(board: &[Score], probs: &[TargetForecast], rank_by: RankBy, horizons: usize) -> Table {
    let mut columns = vec![
        col("rank", "rank", 0),
        col("method", "method", 0),
        col("horizon", "h", 0),
    ];
    let shown = [
        Metric::Mae,
        Metric::Mape,
        Metric::Mase,
        Metric::Crps,
        Metric::Coverage80,
        Metric::Coverage95,
    ];
    // Column names must be 'static: the metric names leaked once per run
    // would do, but a fixed list keeps the CSV header greppable in source.
    const NAMES: [&str; 15] = [
        "mae",
        "rmse",
        "mape",
        "smape",
        "mase",
        "crps",
        "coverage80",
        "coverage95",
        "winkler80",
        "winkler95",
        "pinball05",
        "pinball25",
        "pinball50",
        "pinball75",
        "pinball95",
    ];
    for (m, name) in Metric::ALL.into_iter().zip(NAMES) {
        columns.push(if shown.contains(&m) {
            col(name, name, 3)
        } else {
            hidden(name)
        });
    }
    columns.extend([
        col("brier", "brier", 3),
        col("forecasts", "n", 0),
        col("problems", "problems", 0),
    ]);
    let mut t = Table::new(
        format!(
            "Forecast leaderboard, ranked by {} within each horizon",
            rank_by.name()
        ),
        columns,
    );
    let mut methods: Vec<&str> = Vec::new();
    for s in board {
        if !methods.contains(&s.method.as_str()) {
            methods.push(&s.method);
        }
    }
    let value = |method: &str, h: Option<usize>, metric: Metric| {
        board
            .iter()
            .find(|s| s.method == method && s.horizon == h && s.metric == metric)
    };
    let key = |method: &str, h: Option<usize>| -> Option<f64> {
        match rank_by {
            RankBy::Metric(m) => value(method, h, m).and_then(|s| s.value),
            RankBy::Brier => {
                brier_of(
                    probs
                        .iter()
                        .filter(|t| t.method == method && h.is_none_or(|h| t.horizon == h)),
                )
                .0
            }
        }
        .map(|v| rank_by.badness(v))
    };
    for h in std::iter::once(None).chain((1..=horizons).map(Some)) {
        let mut ranked: Vec<(&str, Option<f64>)> =
            methods.iter().map(|&m| (m, key(m, h))).collect();
        // Methods without a score go last, in their order.
        ranked.sort_by(|a, b| match (a.1, b.1) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        for (rank, (method, k)) in ranked.into_iter().enumerate() {
            if h.is_some() && value(method, h, Metric::Crps).is_none() {
                continue;
            }
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
            let crps = value(method, h, Metric::Crps);
            row.extend([
                Cell::num(
                    brier_of(
                        probs
                            .iter()
                            .filter(|t| t.method == method && h.is_none_or(|h| t.horizon == h)),
                    )
                    .0,
                ),
                Cell::int(crps.map(|s| s.count as i64)),
                Cell::int(crps.map(|s| s.missing as i64)),
            ]);
            t.push(row);
        }
    }
    t.notes = vec![
        "h empty: all horizons together. mape, coverage: fractions. brier: of the target probabilities \
         (level h years ahead at least the last training value grown at the target growth)."
            .into(),
        "n: forecasts scored; problems: forecasts a method could not make (series too short, failed fits)."
            .into(),
    ];
    t
}

/// The whole output of a backtest.
#[allow(clippy::too_many_arguments)]
fn output(
    a: &BacktestArgs,
    series: &[SeriesData],
    rows: &[Row],
    board: &[Score],
    probs: &[TargetForecast],
    reliability: &[Reliability],
    rank_by: RankBy,
) -> Result<Output, CliError> {
    let mut json = json_head("backtest");
    json.insert("data_file".into(), json!(a.data.display().to_string()));
    json.insert(
        "series".into(),
        json!(series.iter().map(|s| &s.id).collect::<Vec<_>>()),
    );
    json.insert("horizon".into(), json!(a.horizon));
    json.insert("min_train".into(), json!(a.min_train));
    json.insert("plan_growth_pct".into(), json!(a.plan_growth));
    json.insert("target_growth_pct".into(), json!(a.target_growth));
    json.insert("rank_by".into(), json!(rank_by.name()));
    json.insert("leaderboard".into(), to_value(&board)?);
    json.insert(
        "reliability".into(),
        serde_json::Value::Array(
            reliability
                .iter()
                .map(|r| {
                    Ok(json!({
                        "method": r.method,
                        "brier": r.brier,
                        "count": r.count,
                        "bins": to_value(&r.bins)?,
                    }))
                })
                .collect::<Result<_, CliError>>()?,
        ),
    );
    json.insert(
        "problems".into(),
        json!(rows.iter().filter(|r| r.problem.is_some()).count()),
    );
    Ok(Output {
        table: table(board, probs, rank_by, a.horizon),
        extra: Vec::new(),
        json,
    })
}

/// The reliability diagram and the score-by-horizon chart.
fn charts(
    board: &[Score],
    probs: &[TargetForecast],
    reliability: &[Reliability],
    rank_by: RankBy,
    horizons: usize,
) -> Result<Vec<Chart>, CliError> {
    let mut methods: Vec<&str> = Vec::new();
    for s in board {
        if !methods.contains(&s.method.as_str()) {
            methods.push(&s.method);
        }
    }
    let by_h: Vec<(String, Vec<(usize, f64)>)> = methods
        .iter()
        .map(|&m| {
            let pts = (1..=horizons)
                .filter_map(|h| {
                    let v = match rank_by {
                        RankBy::Metric(metric) => board
                            .iter()
                            .find(|s| s.method == m && s.horizon == Some(h) && s.metric == metric)
                            .and_then(|s| s.value),
                        RankBy::Brier => {
                            brier_of(probs.iter().filter(|t| t.method == m && t.horizon == h)).0
                        }
                    };
                    v.map(|v| (h, v))
                })
                .collect();
            (m.to_string(), pts)
        })
        .collect();
    let name = rank_by.name();
    Ok(vec![
        Chart {
            file: "reliability.svg".into(),
            caption: "Reliability of the target probabilities".into(),
            svg: chart::reliability_chart(
                "Reliability of the backtest's target probabilities",
                reliability,
            )?,
        },
        Chart {
            file: "score_by_horizon.svg".into(),
            caption: format!("{name} by horizon and method"),
            svg: chart::score_chart(&format!("{name} by horizon"), &name, &by_h)?,
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_read_grouped_and_checked() {
        let s = read_series("\u{feff}id,year,value\nb,2001,2\na,2000,1\nb,2000,1\n").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].id.as_str(), s[0].values.clone()),
            ("b", vec![1.0, 2.0])
        );
        assert_eq!((s[1].id.as_str(), s[1].values.clone()), ("a", vec![1.0]));
        let gap = read_series("id,year,value\na,2000,1\na,2002,1\n").unwrap_err();
        assert_eq!(
            gap,
            "line 3: series \"a\": years must be consecutive, 2000 is followed by 2002"
        );
        let twice = read_series("id,year,value\na,2000,1\na,2000,1\n").unwrap_err();
        assert!(twice.contains("year 2000 appears twice"), "{twice}");
        let bad = read_series("id,year,value\na,2000,x\n").unwrap_err();
        assert_eq!(
            bad,
            "line 2: series \"a\": value must be a finite number, got \"x\""
        );
        assert!(
            read_series("id,value\n")
                .unwrap_err()
                .contains("missing column \"year\"")
        );
        assert_eq!(read_series("id,year,value\n").unwrap_err(), "no data rows");
    }

    #[test]
    fn target_probabilities_by_hand() {
        // Naive on 1, 2, 4 (min_train 2): origin 2 trains on 1, 2; the
        // window grew 100%, so the target for h = 1 is 2 * 2 = 4; the actual
        // 4 meets it.
        let s = [SeriesData {
            id: "x".into(),
            values: vec![1.0, 2.0, 4.0],
        }];
        let methods: Vec<Box<dyn Method>> = vec![Box::new(Naive)];
        let t = target_probabilities(&methods, &s, &Config::new(1, 2).unwrap(), None);
        assert_eq!(t.len(), 1);
        assert_eq!(
            (t[0].origin, t[0].horizon, t[0].threshold, t[0].met),
            (2, 1, 4.0, true)
        );
        assert!((0.0..=1.0).contains(&t[0].p));
        // A 0% target: "at least the last value".
        let t = target_probabilities(&methods, &s, &Config::new(1, 2).unwrap(), Some(0.0));
        assert_eq!(t[0].threshold, 2.0);
    }
}
