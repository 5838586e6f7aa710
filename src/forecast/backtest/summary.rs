//! Leaderboards and the streaming summary: per-forecast terms averaged by
//! method, horizon and metric, target calibration, and CSV output.

use std::io::Write;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    Config, Metric, RELIABILITY_BINS, Row, SERIES_CHUNK, SeriesData, check_request,
    forecast_series, panel_fits, stopped,
};
use crate::error::{Error, Result};
use crate::forecast::Method;
use crate::forecast::score::{BrierDecomposition, ReliabilityBin};
use crate::monitor::Monitor;

/// One cell of a leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Method name.
    pub method: String,
    /// Horizon; `None` for all horizons together.
    pub horizon: Option<usize>,
    /// Metric.
    pub metric: Metric,
    /// Mean of the terms (root mean for RMSE); `None` when there are none.
    pub value: Option<f64>,
    /// Forecasts that entered the mean.
    pub count: usize,
    /// Rows without a term (problems, undefined terms).
    pub missing: usize,
}

/// How well one method's target probabilities matched the outcomes, at one
/// horizon or all together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetCalibration {
    /// Method name.
    pub method: String,
    /// Horizon; `None` for all horizons together.
    pub horizon: Option<usize>,
    /// Brier score, its Murphy decomposition and the reliability table over
    /// [`RELIABILITY_BINS`] bins.
    pub decomposition: BrierDecomposition,
}

/// Forecasts that could not be made, per method and series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Method name.
    pub method: String,
    /// Series id.
    pub series: String,
    /// Rows with this problem or another for this method and series.
    pub rows: usize,
    /// The first problem's message.
    pub first: String,
}

/// What [`evaluate`] returns: the leaderboard, the target-probability
/// calibration, and the problems, without the rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Scores by method, horizon (each, then all) and metric.
    pub scores: Vec<Score>,
    /// Target-probability calibration by method and horizon (only where some
    /// series had a target).
    pub calibration: Vec<TargetCalibration>,
    /// Forecasts not made, per method and series, in series then method order.
    pub problems: Vec<Problem>,
    /// Series evaluated.
    pub series: usize,
}

/// Sum, count and missing count of one leaderboard cell.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Cell {
    sum: f64,
    count: usize,
    missing: usize,
}

/// Count, sum of probabilities and of outcomes in one reliability bin.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Bin {
    count: usize,
    p: f64,
    met: f64,
}

/// Running sums of a leaderboard: one cell per method, horizon slot
/// (`0..H` for horizons `1..=H`, `H` for all) and metric, and one reliability
/// table per method and horizon slot. Dense, so adding a row does no lookup.
#[derive(Debug, Clone)]
struct Board {
    methods: Vec<String>,
    horizons: usize,
    cells: Vec<Cell>,
    bins: Vec<[Bin; RELIABILITY_BINS]>,
}

impl Board {
    fn new(methods: Vec<String>, horizons: usize) -> Self {
        let slots = methods.len() * (horizons + 1);
        Board {
            methods,
            horizons,
            cells: vec![Cell::default(); slots * Metric::ALL.len()],
            bins: vec![[Bin::default(); RELIABILITY_BINS]; slots],
        }
    }

    fn add(&mut self, mi: usize, row: &Row) {
        let all = mi * (self.horizons + 1) + self.horizons;
        let one = (1..=self.horizons)
            .contains(&row.horizon)
            .then(|| mi * (self.horizons + 1) + row.horizon - 1);
        for metric in Metric::ALL {
            let term = row.term(metric);
            for slot in [Some(all), one].into_iter().flatten() {
                let c = &mut self.cells[slot * Metric::ALL.len() + metric.index()];
                match term {
                    Some(t) => {
                        c.sum += t;
                        c.count += 1;
                    }
                    None => c.missing += 1,
                }
            }
        }
        if let (Some(p), Some(met), Some(_)) = (row.p_target, row.met, row.actual) {
            let k = ((p * RELIABILITY_BINS as f64) as usize).min(RELIABILITY_BINS - 1);
            for slot in [Some(all), one].into_iter().flatten() {
                let b = &mut self.bins[slot][k];
                b.count += 1;
                b.p += p;
                b.met += if met { 1.0 } else { 0.0 };
            }
        }
    }

    /// Adds `other`'s sums (same methods and horizons) after this board's.
    fn merge(&mut self, other: &Board) {
        for (a, b) in self.cells.iter_mut().zip(&other.cells) {
            a.sum += b.sum;
            a.count += b.count;
            a.missing += b.missing;
        }
        for (a, b) in self.bins.iter_mut().zip(&other.bins) {
            for (x, y) in a.iter_mut().zip(b) {
                x.count += y.count;
                x.p += y.p;
                x.met += y.met;
            }
        }
    }

    /// Horizon of slot `h` (`None` for all).
    fn horizon(&self, h: usize) -> Option<usize> {
        (h < self.horizons).then_some(h + 1)
    }

    fn scores(&self) -> Vec<Score> {
        let mut out = Vec::with_capacity(self.cells.len());
        for (mi, method) in self.methods.iter().enumerate() {
            for h in 0..=self.horizons {
                let slot = mi * (self.horizons + 1) + h;
                if self.cells[slot * Metric::ALL.len()..][..Metric::ALL.len()]
                    .iter()
                    .all(|c| c.count + c.missing == 0)
                {
                    continue;
                }
                for metric in Metric::ALL {
                    let c = self.cells[slot * Metric::ALL.len() + metric.index()];
                    let mean = (c.count > 0).then(|| c.sum / c.count as f64);
                    out.push(Score {
                        method: method.clone(),
                        horizon: self.horizon(h),
                        metric,
                        value: if metric == Metric::Rmse {
                            mean.map(f64::sqrt)
                        } else {
                            mean
                        },
                        count: c.count,
                        missing: c.missing,
                    });
                }
            }
        }
        out
    }

    fn calibration(&self) -> Vec<TargetCalibration> {
        let mut out = Vec::new();
        for (mi, method) in self.methods.iter().enumerate() {
            for h in 0..=self.horizons {
                let slot = mi * (self.horizons + 1) + h;
                let bins = &self.bins[slot];
                if bins.iter().all(|b| b.count == 0) {
                    continue;
                }
                let brier = self.cells[slot * Metric::ALL.len() + Metric::Brier.index()];
                let table = bins
                    .iter()
                    .enumerate()
                    .map(|(k, b)| {
                        let n = b.count as f64;
                        ReliabilityBin {
                            lower: k as f64 / RELIABILITY_BINS as f64,
                            upper: (k + 1) as f64 / RELIABILITY_BINS as f64,
                            count: b.count,
                            mean_forecast: (b.count > 0).then(|| b.p / n),
                            observed: (b.count > 0).then(|| b.met / n),
                        }
                    })
                    .collect();
                // The table is non-empty, so the decomposition exists.
                if let Ok(decomposition) =
                    BrierDecomposition::from_table(brier.sum / brier.count.max(1) as f64, table)
                {
                    out.push(TargetCalibration {
                        method: method.clone(),
                        horizon: self.horizon(h),
                        decomposition,
                    });
                }
            }
        }
        out
    }
}

/// The board of `rows`: methods in order of first appearance, horizons up to
/// the largest.
fn board_of(rows: &[Row]) -> Board {
    let mut methods: Vec<String> = Vec::new();
    let mut index = Vec::with_capacity(rows.len());
    for r in rows {
        let mi = match methods.iter().position(|m| *m == r.method) {
            Some(i) => i,
            None => {
                methods.push(r.method.clone());
                methods.len() - 1
            }
        };
        index.push(mi);
    }
    let horizons = rows.iter().map(|r| r.horizon).max().unwrap_or(0);
    let mut board = Board::new(methods, horizons);
    for (r, mi) in rows.iter().zip(index) {
        board.add(mi, r);
    }
    board
}

/// Averages the rows' terms by method (in order of first appearance), horizon
/// (each, then all together) and metric.
pub fn leaderboard(rows: &[Row]) -> Vec<Score> {
    board_of(rows).scores()
}

/// The Brier score of the rows' target probabilities with its decomposition
/// and reliability table, by method and horizon (each, then all together);
/// methods without target probabilities are left out.
pub fn target_calibration(rows: &[Row]) -> Vec<TargetCalibration> {
    board_of(rows).calibration()
}

/// Backtests every method on every series like [`backtest`](super::backtest) but keeps only
/// the sums the leaderboard and the calibration need, so memory does not grow
/// with the number of series. Errors as [`backtest`](super::backtest) does.
pub fn evaluate(
    methods: &[Box<dyn Method>],
    series: &[SeriesData],
    config: &Config,
) -> Result<Summary> {
    evaluate_with(methods, series, config, None)
}

/// [`evaluate`] watched by a [`Monitor`], as [`backtest_with`](super::backtest_with) is.
pub fn evaluate_with(
    methods: &[Box<dyn Method>],
    series: &[SeriesData],
    config: &Config,
    monitor: Option<&Monitor>,
) -> Result<Summary> {
    let config = check_request(methods, series, config)?;
    let names: Vec<String> = methods.iter().map(|m| m.name()).collect();
    let panel = panel_fits(methods, series, &config);
    let parts: Vec<(Board, Vec<Problem>)> = series
        .par_chunks(SERIES_CHUNK)
        .enumerate()
        .map(|(ci, chunk)| {
            let mut board = Board::new(names.clone(), config.horizons);
            let mut problems: Vec<Problem> = Vec::new();
            for (k, s) in chunk.iter().enumerate() {
                if monitor.is_some_and(Monitor::cancelled) {
                    break;
                }
                let start = problems.len();
                forecast_series(
                    methods,
                    &panel,
                    ci * SERIES_CHUNK + k,
                    s,
                    &config,
                    |mi, row| {
                        if let Some(why) = &row.problem {
                            match problems[start..].iter_mut().find(|p| p.method == names[mi]) {
                                Some(p) => p.rows += 1,
                                None => problems.push(Problem {
                                    method: names[mi].clone(),
                                    series: s.id.clone(),
                                    rows: 1,
                                    first: why.clone(),
                                }),
                            }
                        }
                        board.add(mi, &row);
                    },
                );
                if let Some(m) = monitor {
                    m.advance(1);
                }
            }
            (board, problems)
        })
        .collect();
    stopped(monitor)?;
    let mut board = Board::new(names, config.horizons);
    let mut problems = Vec::new();
    for (b, p) in parts {
        board.merge(&b);
        problems.extend(p);
    }
    Ok(Summary {
        scores: board.scores(),
        calibration: board.calibration(),
        problems,
        series: series.len(),
    })
}

/// Writes `items` as CSV with a header row (serde field names as columns;
/// `None` as an empty cell).
fn write_csv<T: Serialize>(items: &[T], out: impl Write, what: &str) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    for item in items {
        w.serialize(item)
            .map_err(|e| Error::codec_at(format!("writing {what} as CSV"), e))?;
    }
    w.flush()
        .map_err(|e| Error::codec_at(format!("writing {what} as CSV"), e))
}

/// Writes backtest rows as CSV: one line per forecast with the columns of
/// [`Row`] (`method, series, origin, horizon, actual, point, scale, crps,
/// q025 ... q975, threshold, p_target, met, year, pit, problem`).
pub fn write_rows_csv(rows: &[Row], out: impl Write) -> Result<()> {
    write_csv(rows, out, "backtest rows")
}

/// Writes a leaderboard as tidy CSV: `method, horizon, metric, value, count,
/// missing`, horizon empty for all horizons together.
pub fn write_scores_csv(scores: &[Score], out: impl Write) -> Result<()> {
    write_csv(scores, out, "leaderboard")
}
