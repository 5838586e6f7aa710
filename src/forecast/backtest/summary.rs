//! Leaderboards and the streaming summary: per-forecast terms averaged by
//! method, horizon and metric, target calibration, PIT histograms, and CSV
//! output.

use std::io::Write;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::{
    Climatology, Config, Metric, PIT_BINS, RELIABILITY_BINS, Row, SERIES_BATCH, SeriesData,
    check_request, forecast_series, panel_fits, stopped,
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
    /// Mean Brier score of the climatology ([`Metric::BrierClimate`]) on the
    /// forecasts that have one; `None` when none has.
    #[serde(default)]
    pub brier_climate: Option<f64>,
    /// Brier skill against the climatology, `1 - Brier / Brier_climate` on
    /// those forecasts ([`Metric::BrierSkill`]); `None` without any, or when
    /// the climatology's score is 0.
    #[serde(default)]
    pub brier_skill: Option<f64>,
    /// Forecasts in the skill: those with a target probability and a
    /// climatology (early origins have no past outcome to learn from).
    #[serde(default)]
    pub skill_count: usize,
}

/// The histogram of one method's probability integral transforms (PIT, the
/// predictive CDF at the actual) at one horizon or all together, and how far
/// it is from uniform, which it is for a calibrated method: a U shape says
/// the intervals are too narrow, a hump too wide, a slope biased.
///
/// The chi-square p-value is nominal: it assumes independent PITs, but
/// forecasts from overlapping origins of one series (and at several horizons)
/// share actuals and errors, so the effective sample is smaller than
/// `count` and the p-value too small. Compare methods by
/// [`calibration_error`](Self::calibration_error), which does not depend on
/// the sample size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PitHistogram {
    /// Method name.
    pub method: String,
    /// Horizon; `None` for all horizons together.
    pub horizon: Option<usize>,
    /// PITs in each of [`PIT_BINS`] equal bins of [0, 1] (bin `k` holds
    /// `[k/10, (k+1)/10)`, the last also 1).
    pub counts: Vec<usize>,
    /// PITs counted.
    pub count: usize,
    /// Rows without a PIT (problems).
    pub missing: usize,
    /// Pearson's chi-square statistic against the uniform:
    /// `sum (O_k - n/10)^2 / (n/10)`, 9 degrees of freedom; `None` when
    /// `count` is 0.
    pub chi2: Option<f64>,
    /// Its upper-tail probability under the chi-square with 9 degrees of
    /// freedom (nominal; see above).
    pub p_value: Option<f64>,
    /// Mean absolute deviation of the bin shares from the uniform's 0.1:
    /// 0 for a flat histogram, at most 0.18 (everything in one bin).
    pub calibration_error: Option<f64>,
}

impl PitHistogram {
    /// The histogram of these bin counts (any length; the test has one
    /// degree of freedom fewer than the bins) with its statistics.
    pub fn from_counts(
        method: impl Into<String>,
        horizon: Option<usize>,
        counts: Vec<usize>,
        missing: usize,
    ) -> PitHistogram {
        let count: usize = counts.iter().sum();
        let bins = counts.len();
        let (chi2, p_value, calibration_error) = if count > 0 && bins > 0 {
            let n = count as f64;
            let expected = n / bins as f64;
            let chi2: f64 = counts
                .iter()
                .map(|&o| (o as f64 - expected).powi(2) / expected)
                .sum();
            let p = (bins > 1)
                .then(|| ChiSquared::new((bins - 1) as f64).ok())
                .flatten()
                .map(|d| d.sf(chi2));
            let error = counts
                .iter()
                .map(|&o| (o as f64 / n - 1.0 / bins as f64).abs())
                .sum::<f64>()
                / bins as f64;
            (Some(chi2), p, Some(error))
        } else {
            (None, None, None)
        };
        PitHistogram {
            method: method.into(),
            horizon,
            counts,
            count,
            missing,
            chi2,
            p_value,
            calibration_error,
        }
    }
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
/// calibration, the PIT histograms, and the problems, without the rows.
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
    /// PIT histograms by method and horizon (each, then all).
    #[serde(default)]
    pub pit: Vec<PitHistogram>,
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

/// PIT counts of one method and horizon slot.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Pit {
    counts: [usize; PIT_BINS],
    missing: usize,
}

/// What one row adds to a [`Board`]: its method's index, horizon, every
/// metric's term, target probability and outcome, and PIT bin.
#[derive(Debug, Clone)]
struct Scored {
    method: usize,
    horizon: usize,
    terms: [Option<f64>; Metric::ALL.len()],
    target: Option<(f64, bool)>,
    pit_bin: Option<usize>,
}

impl Scored {
    fn of(method: usize, row: &Row) -> Scored {
        let target = match (row.p_target, row.met, row.actual) {
            (Some(p), Some(met), Some(_)) => Some((p, met)),
            _ => None,
        };
        // A CDF is in [0, 1]; rounding may step just outside it.
        let pit_bin = row
            .pit
            .filter(|p| !p.is_nan())
            .map(|p| ((p.clamp(0.0, 1.0) * PIT_BINS as f64) as usize).min(PIT_BINS - 1));
        Scored {
            method,
            horizon: row.horizon,
            terms: Metric::ALL.map(|m| row.term(m)),
            target,
            pit_bin,
        }
    }
}

/// Running sums of a leaderboard: one cell per method, horizon slot
/// (`0..H` for horizons `1..=H`, `H` for all) and metric, and one reliability
/// table and PIT histogram per method and horizon slot. Dense, so adding a
/// row does no lookup.
#[derive(Debug, Clone)]
struct Board {
    methods: Vec<String>,
    horizons: usize,
    cells: Vec<Cell>,
    bins: Vec<[Bin; RELIABILITY_BINS]>,
    pits: Vec<Pit>,
}

impl Board {
    fn new(methods: Vec<String>, horizons: usize) -> Self {
        let slots = methods.len() * (horizons + 1);
        Board {
            methods,
            horizons,
            cells: vec![Cell::default(); slots * Metric::ALL.len()],
            bins: vec![[Bin::default(); RELIABILITY_BINS]; slots],
            pits: vec![Pit::default(); slots],
        }
    }

    fn add(&mut self, mi: usize, row: &Row) {
        self.add_scored(&Scored::of(mi, row));
    }

    /// Adds a row's terms, computed beforehand (in parallel, by
    /// [`evaluate`]): only the sums are left to do in order.
    fn add_scored(&mut self, row: &Scored) {
        let mi = row.method;
        let all = mi * (self.horizons + 1) + self.horizons;
        let one = (1..=self.horizons)
            .contains(&row.horizon)
            .then(|| mi * (self.horizons + 1) + row.horizon - 1);
        for metric in Metric::ALL {
            let term = row.terms[metric.index()];
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
        if let Some((p, met)) = row.target {
            let k = ((p * RELIABILITY_BINS as f64) as usize).min(RELIABILITY_BINS - 1);
            for slot in [Some(all), one].into_iter().flatten() {
                let b = &mut self.bins[slot][k];
                b.count += 1;
                b.p += p;
                b.met += if met { 1.0 } else { 0.0 };
            }
        }
        for slot in [Some(all), one].into_iter().flatten() {
            let pit = &mut self.pits[slot];
            match row.pit_bin {
                Some(k) => pit.counts[k] += 1,
                None => pit.missing += 1,
            }
        }
    }

    /// The cell of `metric` in `slot`.
    fn cell(&self, slot: usize, metric: Metric) -> Cell {
        self.cells[slot * Metric::ALL.len() + metric.index()]
    }

    /// Brier skill in `slot`: both sums run over the same rows, so the ratio
    /// of sums is the ratio of means. `None` without rows or when the
    /// climatology is perfect (nothing to improve on).
    fn skill(&self, slot: usize) -> Option<f64> {
        let (b, c) = (
            self.cell(slot, Metric::BrierSkill),
            self.cell(slot, Metric::BrierClimate),
        );
        (b.count > 0 && c.sum > 0.0).then(|| 1.0 - b.sum / c.sum)
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
                        value: match metric {
                            Metric::Rmse => mean.map(f64::sqrt),
                            Metric::BrierSkill => self.skill(slot),
                            _ => mean,
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
                    let climate = self.cell(slot, Metric::BrierClimate);
                    out.push(TargetCalibration {
                        method: method.clone(),
                        horizon: self.horizon(h),
                        decomposition,
                        brier_climate: (climate.count > 0)
                            .then(|| climate.sum / climate.count as f64),
                        brier_skill: self.skill(slot),
                        skill_count: climate.count,
                    });
                }
            }
        }
        out
    }

    fn pit_histograms(&self) -> Vec<PitHistogram> {
        let mut out = Vec::new();
        for (mi, method) in self.methods.iter().enumerate() {
            for h in 0..=self.horizons {
                let pit = self.pits[mi * (self.horizons + 1) + h];
                if pit.counts.iter().sum::<usize>() + pit.missing == 0 {
                    continue;
                }
                out.push(PitHistogram::from_counts(
                    method.clone(),
                    self.horizon(h),
                    pit.counts.to_vec(),
                    pit.missing,
                ));
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

/// The histograms of the rows' PITs by method (in order of first
/// appearance) and horizon (each, then all together), with their uniformity
/// statistics.
pub fn pit_histograms(rows: &[Row]) -> Vec<PitHistogram> {
    board_of(rows).pit_histograms()
}

/// Backtests every method on every series like [`backtest`](super::backtest) but keeps only
/// the sums the leaderboard and the calibration need, so memory does not grow
/// with the number of series (the climatology grows with the years and
/// horizons only; a panel method's fit, such as `calibrated`'s, holds a few
/// numbers per origin). The sums are those of [`leaderboard`],
/// [`target_calibration`] and [`pit_histograms`] on
/// [`backtest`](super::backtest)'s rows, bit for bit: rows are added in the
/// same order. Errors as [`backtest`](super::backtest) does.
pub fn evaluate(
    methods: &[Box<dyn Method>],
    series: &[SeriesData],
    config: &Config,
) -> Result<Summary> {
    evaluate_with(methods, series, config, None)
}

/// A batch's rows, scored: per series, each row's terms, with its problem
/// if any.
type BatchRows = Vec<Vec<(Scored, Option<String>)>>;

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
    let climate = Climatology::new(series, &config);
    let forecast_batch = |start: usize, batch: &[SeriesData]| -> BatchRows {
        batch
            .par_iter()
            .enumerate()
            .map(|(k, s)| {
                let mut rows = Vec::new();
                if monitor.is_some_and(Monitor::cancelled) {
                    return rows;
                }
                forecast_series(methods, &panel, &climate, start + k, s, &config, |mi, r| {
                    rows.push((Scored::of(mi, &r), r.problem));
                });
                if let Some(m) = monitor {
                    m.advance(1);
                }
                rows
            })
            .collect()
    };
    let mut board = Board::new(names.clone(), config.horizons);
    let mut problems: Vec<Problem> = Vec::new();
    // Rows are added in series order, so the sums are the rows' own; one
    // batch is added while the next is forecast.
    let mut add_batch = |start: usize, rows: BatchRows| {
        for (s, rows) in series[start..].iter().zip(rows) {
            let first = problems.len();
            for (row, problem) in rows {
                let mi = row.method;
                if let Some(why) = problem {
                    match problems[first..].iter_mut().find(|p| p.method == names[mi]) {
                        Some(p) => p.rows += 1,
                        None => problems.push(Problem {
                            method: names[mi].clone(),
                            series: s.id.clone(),
                            rows: 1,
                            first: why,
                        }),
                    }
                }
                board.add_scored(&row);
            }
        }
    };
    let mut pending: Option<(usize, BatchRows)> = None;
    for (bi, batch) in series.chunks(SERIES_BATCH).enumerate() {
        let start = bi * SERIES_BATCH;
        let (next, ()) = rayon::join(
            || forecast_batch(start, batch),
            || {
                if let Some((s, rows)) = pending.take() {
                    add_batch(s, rows);
                }
            },
        );
        pending = Some((start, next));
    }
    if let Some((s, rows)) = pending.take() {
        add_batch(s, rows);
    }
    stopped(monitor)?;
    Ok(Summary {
        scores: board.scores(),
        calibration: board.calibration(),
        problems,
        series: series.len(),
        pit: board.pit_histograms(),
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
/// q025 ... q975, threshold, p_target, met, year, pit, p_climate, problem`).
pub fn write_rows_csv(rows: &[Row], out: impl Write) -> Result<()> {
    write_csv(rows, out, "backtest rows")
}

/// Writes a leaderboard as tidy CSV: `method, horizon, metric, value, count,
/// missing`, horizon empty for all horizons together.
pub fn write_scores_csv(scores: &[Score], out: impl Write) -> Result<()> {
    write_csv(scores, out, "leaderboard")
}

/// One line of the PIT histograms' CSV.
#[derive(Serialize)]
struct PitLine<'a> {
    method: &'a str,
    horizon: Option<usize>,
    bin: usize,
    lower: f64,
    upper: f64,
    count: usize,
    share: Option<f64>,
    n: usize,
    missing: usize,
    chi2: Option<f64>,
    p_value: Option<f64>,
    calibration_error: Option<f64>,
}

/// Writes PIT histograms as tidy CSV, one line per bin: `method, horizon,
/// bin, lower, upper, count, share, n, missing, chi2, p_value,
/// calibration_error` (horizon empty for all horizons together; the
/// histogram's statistics repeat on each of its bins, so one file holds
/// everything).
pub fn write_pit_csv(histograms: &[PitHistogram], out: impl Write) -> Result<()> {
    let bins = histograms.iter().flat_map(|h| {
        let k = h.counts.len().max(1) as f64;
        h.counts
            .iter()
            .enumerate()
            .map(move |(bin, &count)| PitLine {
                method: &h.method,
                horizon: h.horizon,
                bin,
                lower: bin as f64 / k,
                upper: (bin + 1) as f64 / k,
                count,
                share: (h.count > 0).then(|| count as f64 / h.count as f64),
                n: h.count,
                missing: h.missing,
                chi2: h.chi2,
                p_value: h.p_value,
                calibration_error: h.calibration_error,
            })
    });
    write_csv(&bins.collect::<Vec<_>>(), out, "PIT histograms")
}
