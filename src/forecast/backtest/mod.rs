//! Rolling-origin backtests with an expanding window, and leaderboards.
//!
//! At each origin `o` (from the minimum training length to one before the
//! series' end) every method is fitted on the first `o` values and forecasts
//! horizons `1..=H` whose actual lies in the series (tsCV's and fable's
//! `stretch_tsibble` convention: late origins have fewer horizons). All
//! methods share the origins, so a method that needs a longer history than
//! the minimum training length reports those origins as rows with a problem
//! instead of starting later on easier ground; nothing is skipped silently.
//!
//! A [`Row`] holds the raw material of one forecast (actual, point, MASE scale,
//! CRPS, the predictive quantiles and, for a series with a target growth, the
//! probability the method gave that the target would be met and whether it
//! was); [`Row::term`] turns it into each [`Metric`]'s per-forecast term and
//! [`leaderboard`] averages the terms by method, horizon and metric.
//!
//! Calibration is reported three ways: coverage of the 50%, 80% and 95%
//! intervals (metrics), the histogram of the probability integral transform
//! with a chi-square test of uniformity ([`pit_histograms`]), and for target
//! probabilities the Brier score, its decomposition and its skill against a
//! [`Climatology`] of past outcomes ([`target_calibration`]).
//!
//! [`backtest`] returns every row (small data sets, CSV output); [`evaluate`]
//! streams the same forecasts into a [`Summary`] without keeping them, for
//! thousands of series. Both run series in parallel (rayon) and give the same
//! result on any number of threads: rows come back (and [`evaluate`] adds
//! them to its sums) in the order of the series, then methods, origins and
//! horizons, so the summary is that of the rows, bit for bit.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::score::{crps, interval_score, mase_scale, pinball, sape};
use super::{Method, PanelFits};
use crate::error::{self, Error, Result};
use crate::monitor::Monitor;

mod climate;
mod metric;
mod summary;

pub use climate::Climatology;
pub use metric::Metric;
pub use summary::{
    PitHistogram, Problem, Score, Summary, TargetCalibration, evaluate, evaluate_with, leaderboard,
    pit_histograms, target_calibration, write_pit_csv, write_rows_csv, write_scores_csv,
};

/// Quantiles kept per forecast: the 95% and 80% interval ends and the pinball
/// quantiles.
pub const QUANTILES: [f64; 9] = [0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975];

/// Bins of the reliability tables of target probabilities.
pub const RELIABILITY_BINS: usize = 10;

/// Equal bins of the PIT histograms on [0, 1].
pub const PIT_BINS: usize = 10;

/// Series [`evaluate`] forecasts (in parallel) before adding their rows to
/// its sums (in order): it holds the rows of two batches, about 190 KB per
/// series of 20 years at 5 horizons and 7 methods, so a batch bounds its
/// memory whatever the number of series.
const SERIES_BATCH: usize = 64;

/// How a backtest runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Largest horizon `H`, years.
    pub horizons: usize,
    /// Fewest values in the first training window (the first origin); at
    /// least 2 so that MASE has a scale.
    pub min_train: usize,
    /// At most this many origins per series, the most recent (`None`: every
    /// origin from `min_train` on). Each origin refits every method on its
    /// window, so a series of `n` values costs `n` times `origins`: capped,
    /// a very long series costs time in proportion to its length.
    pub max_origins: Option<usize>,
}

impl Config {
    /// Checked constructor: `horizons >= 1`, `min_train >= 2`.
    pub fn new(horizons: usize, min_train: usize) -> Result<Self> {
        if horizons == 0 {
            return Err(Error::parameter(
                "horizons",
                error::Problem::out_of_range(horizons, "at least 1"),
            ));
        }
        if min_train < 2 {
            return Err(Error::parameter(
                "min_train",
                error::Problem::out_of_range(min_train, "at least 2"),
            ));
        }
        Ok(Config {
            horizons,
            min_train,
            max_origins: None,
        })
    }

    /// The same with at most `k` origins per series, the most recent
    /// (`k >= 1`).
    pub fn with_max_origins(self, k: usize) -> Result<Self> {
        if k == 0 {
            return Err(Error::parameter(
                "max_origins",
                error::Problem::out_of_range(k, "at least 1"),
            ));
        }
        Ok(Config {
            max_origins: Some(k),
            ..self
        })
    }

    /// The origins of a series of `n` values: from `min_train` (or the
    /// `max_origins` most recent) to `n - 1`.
    fn origins(&self, n: usize) -> std::ops::Range<usize> {
        let first = match self.max_origins {
            Some(k) => n.saturating_sub(k).max(self.min_train),
            None => self.min_train,
        };
        first..n.max(first)
    }
}

/// One named series of yearly values, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesData {
    /// Series id.
    pub id: String,
    /// Yearly values.
    pub values: Vec<f64>,
    /// A growth target, percent a year: at each origin and horizon `h` the
    /// target is met when the value `h` years on is at least the origin's
    /// value grown at this rate (a plan's stated growth, say). Methods are
    /// then also scored on the probability they gave it (Brier), and
    /// [`PlanPath::declared`](super::PlanPath::declared) follows this rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_growth_pct: Option<f64>,
    /// Calendar year of the first value. Methods that learn across series
    /// line the series up by year, and use at an origin only values dated
    /// at or before its year; without years every series starts in year 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_year: Option<i32>,
    /// Indices of values filled into gaps, not observed (ascending). They
    /// carry a gap's total change, so drifts use them; no volatility or
    /// persistence is learned from a growth that touches one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filled: Vec<usize>,
}

impl SeriesData {
    /// A series without a target or calendar years.
    pub fn new(id: impl Into<String>, values: Vec<f64>) -> Self {
        SeriesData {
            id: id.into(),
            values,
            target_growth_pct: None,
            first_year: None,
            filled: Vec::new(),
        }
    }

    /// Average annual growth over the whole series, percent (the default
    /// target of `attain backtest`: "grows at least as fast as it did on
    /// average"); `None` where it has no growth (fewer than two values,
    /// first or last value not positive).
    pub fn average_growth_pct(&self) -> Option<f64> {
        let (first, last) = (*self.values.first()?, *self.values.last()?);
        let years = self.values.len().checked_sub(1).filter(|&n| n > 0)? as f64;
        let g = 100.0 * ((last / first).powf(1.0 / years) - 1.0);
        (first > 0.0 && last > 0.0 && g.is_finite()).then_some(g)
    }

    /// Calendar year of `values[k]` (year 0 is the first without
    /// [`first_year`](Self::first_year)); `i64`, so no series overflows it.
    pub fn year(&self, k: usize) -> i64 {
        i64::from(self.first_year.unwrap_or(0)) + k as i64
    }
}

/// One forecast of one method for one series at one origin and horizon, or
/// the problem that prevented it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Method name.
    pub method: String,
    /// Series id.
    pub series: String,
    /// Values in the training window (the origin).
    pub origin: usize,
    /// Years ahead; 0 on a row saying the series has no origin at all.
    pub horizon: usize,
    /// Actual value.
    pub actual: Option<f64>,
    /// Point forecast.
    pub point: Option<f64>,
    /// MASE scale of the training window (`None` for a constant window).
    pub scale: Option<f64>,
    /// CRPS of the predictive distribution.
    pub crps: Option<f64>,
    /// Predictive quantiles at [`QUANTILES`].
    pub q025: Option<f64>,
    /// 0.05-quantile.
    pub q05: Option<f64>,
    /// 0.1-quantile.
    pub q10: Option<f64>,
    /// 0.25-quantile.
    pub q25: Option<f64>,
    /// Median.
    pub q50: Option<f64>,
    /// 0.75-quantile.
    pub q75: Option<f64>,
    /// 0.9-quantile.
    pub q90: Option<f64>,
    /// 0.95-quantile.
    pub q95: Option<f64>,
    /// 0.975-quantile.
    pub q975: Option<f64>,
    /// The target level (the origin's value grown at the series' target
    /// growth), when the series has a target.
    pub threshold: Option<f64>,
    /// The probability the method gave that the target would be met.
    pub p_target: Option<f64>,
    /// Whether it was met.
    pub met: Option<bool>,
    /// Calendar year of the origin's last value ([`SeriesData::year`]); the
    /// outcome year is `year + horizon`.
    pub year: i64,
    /// Probability integral transform: the predictive CDF at the actual
    /// (uniform on [0, 1] for a calibrated method).
    pub pit: Option<f64>,
    /// The climatology's probability of the target ([`Climatology`]): the
    /// share met among all series' outcomes at this horizon known by the
    /// origin's year; `None` without a target or before any such outcome.
    /// The same for every method.
    #[serde(default)]
    pub p_climate: Option<f64>,
    /// Why there is no forecast (series too short, fit failed, ...).
    pub problem: Option<String>,
}

impl Row {
    fn problem(method: &str, series: &str, origin: usize, horizon: usize, why: String) -> Row {
        Row {
            method: method.to_string(),
            series: series.to_string(),
            origin,
            horizon,
            actual: None,
            point: None,
            scale: None,
            crps: None,
            q025: None,
            q05: None,
            q10: None,
            q25: None,
            q50: None,
            q75: None,
            q90: None,
            q95: None,
            q975: None,
            threshold: None,
            p_target: None,
            met: None,
            year: 0,
            pit: None,
            p_climate: None,
            problem: Some(why),
        }
    }

    /// This forecast's term of `metric`: the leaderboard's score is the mean
    /// of the terms (for RMSE the squared error, then the root of the mean).
    /// `None` when the row has no forecast or the term is undefined (MAPE of
    /// an actual of 0, MASE of a constant training window, Brier of a series
    /// without a target, the climatology's Brier before any past outcome).
    pub fn term(&self, metric: Metric) -> Option<f64> {
        let (a, p) = (self.actual?, self.point?);
        let e = a - p;
        let within = |l: Option<f64>, u: Option<f64>| -> Option<f64> {
            let (l, u) = (l?, u?);
            Some(if l <= a && a <= u { 1.0 } else { 0.0 })
        };
        let winkler = |l: Option<f64>, u: Option<f64>, level| -> Option<f64> {
            interval_score(l?, u?, level, a).ok()
        };
        let pin = |q: Option<f64>, tau| pinball(q?, tau, a).ok();
        match metric {
            Metric::Mae => Some(e.abs()),
            Metric::Rmse => Some(e * e),
            Metric::Mape => (a != 0.0).then(|| (e / a).abs()),
            Metric::Smape => Some(sape(a, p)),
            Metric::Mase => self.scale.map(|s| e.abs() / s),
            Metric::Crps => self.crps,
            Metric::CrpsScaled => Some(self.crps? / self.scale?),
            Metric::Coverage50 => within(self.q25, self.q75),
            Metric::Coverage80 => within(self.q10, self.q90),
            Metric::Coverage95 => within(self.q025, self.q975),
            Metric::Winkler80 => winkler(self.q10, self.q90, 0.8),
            Metric::Winkler95 => winkler(self.q025, self.q975, 0.95),
            Metric::Pinball05 => pin(self.q05, 0.05),
            Metric::Pinball25 => pin(self.q25, 0.25),
            Metric::Pinball50 => pin(self.q50, 0.5),
            Metric::Pinball75 => pin(self.q75, 0.75),
            Metric::Pinball95 => pin(self.q95, 0.95),
            Metric::Brier => {
                let (pt, met) = (self.p_target?, self.met?);
                Some((pt - if met { 1.0 } else { 0.0 }).powi(2))
            }
            // Both on the same rows, so the skill compares like with like.
            Metric::BrierClimate => {
                let (_, pc, met) = (self.p_target?, self.p_climate?, self.met?);
                Some((pc - if met { 1.0 } else { 0.0 }).powi(2))
            }
            Metric::BrierSkill => {
                self.p_climate?;
                self.term(Metric::Brier)
            }
        }
    }
}

/// Backtests every method on every series and returns every row. Errors for
/// a bad `config`, no methods or series, or a horizon no series is long
/// enough for; problems with one series or a fit become rows.
pub fn backtest(
    methods: &[Box<dyn Method>],
    series: &[SeriesData],
    config: &Config,
) -> Result<Vec<Row>> {
    backtest_with(methods, series, config, None)
}

/// [`backtest`] watched by a [`Monitor`]: its counter advances by one per
/// series done, and a set stop flag ends the backtest with
/// [`Error::Cancelled`] (series not yet started are skipped). The rows do not
/// depend on the monitor.
pub fn backtest_with(
    methods: &[Box<dyn Method>],
    series: &[SeriesData],
    config: &Config,
    monitor: Option<&Monitor>,
) -> Result<Vec<Row>> {
    let config = check_request(methods, series, config)?;
    let names: Vec<String> = methods.iter().map(|m| m.name()).collect();
    let panel = panel_fits(methods, series, &config);
    let climate = Climatology::new(series, &config);
    let per_series: Vec<Vec<Row>> = series
        .par_iter()
        .enumerate()
        .map(|(si, s)| {
            let mut rows = Vec::new();
            if monitor.is_some_and(Monitor::cancelled) {
                return rows;
            }
            forecast_series(methods, &panel, &climate, si, s, &config, |mi, mut r| {
                r.method.clone_from(&names[mi]);
                r.series.clone_from(&s.id);
                rows.push(r);
            });
            if let Some(m) = monitor {
                m.advance(1);
            }
            rows
        })
        .collect();
    stopped(monitor)?;
    Ok(per_series.into_iter().flatten().collect())
}

/// The cancellation error when the monitor's stop flag is set.
fn stopped(monitor: Option<&Monitor>) -> Result<()> {
    match monitor {
        Some(m) if m.cancelled() => Err(Error::Cancelled {
            done: m.done.load(std::sync::atomic::Ordering::Relaxed),
            unit: "series",
        }),
        _ => Ok(()),
    }
}

/// The checked config, or an error when there is nothing to backtest (no
/// methods, no series), a value is not a finite number, a target growth is
/// not a rate (`<= -100`, not finite), or no series is long enough for the
/// largest horizon (a request the data cannot answer, rather than a short
/// series among others, which becomes rows with a problem).
fn check_request(
    methods: &[Box<dyn Method>],
    series: &[SeriesData],
    config: &Config,
) -> Result<Config> {
    let mut checked = Config::new(config.horizons, config.min_train)?;
    if let Some(k) = config.max_origins {
        checked = checked.with_max_origins(k)?;
    }
    let config = checked;
    if methods.is_empty() {
        return Err(Error::parameter("methods", error::Problem::Empty));
    }
    if let Some((s, g)) = series.iter().find_map(|s| {
        s.target_growth_pct
            .filter(|g| !(g.is_finite() && *g > -100.0))
            .map(|g| (s, g))
    }) {
        return Err(Error::indicator(
            &s.id,
            "target_growth_pct",
            error::Problem::out_of_range(g, "finite and > -100"),
        ));
    }
    if let Some((s, i, v)) = series.iter().find_map(|s| {
        s.values
            .iter()
            .position(|v| !v.is_finite())
            .map(|i| (s, i, s.values[i]))
    }) {
        return Err(Error::indicator(
            &s.id,
            "values",
            format!("must be finite numbers, got {v} at position {i}"),
        ));
    }
    if let Some(s) = series
        .iter()
        .find(|s| i32::try_from(s.year(s.values.len()) + config.horizons as i64).is_err())
    {
        return Err(Error::indicator(
            &s.id,
            "first_year",
            format!(
                "{} with {} values and horizons up to {} runs past year {}",
                s.first_year.unwrap_or(0),
                s.values.len(),
                config.horizons,
                i32::MAX
            ),
        ));
    }
    let Some(longest) = series.iter().max_by_key(|s| s.values.len()) else {
        return Err(Error::parameter("series", error::Problem::Empty));
    };
    let n = longest.values.len();
    if n < config.min_train.saturating_add(config.horizons) {
        return Err(Error::parameter(
            "horizons",
            format!(
                "is {} but the longest series (\"{}\", {n} values) allows at most {} \
                 after {} training values",
                config.horizons,
                longest.id,
                n.saturating_sub(config.min_train),
                config.min_train
            ),
        ));
    }
    Ok(config)
}

/// Each method's fits on the whole panel, for methods that learn across
/// series ([`Method::for_panel`]); `Err` holds why the panel fit failed, so
/// that every row of that method says so.
pub(crate) type PanelFitsOf = Vec<Option<std::result::Result<Box<dyn PanelFits>, String>>>;

/// Fits the methods that learn across series on `series` (in method order;
/// each uses every thread itself).
pub(crate) fn panel_fits(
    methods: &[Box<dyn Method>],
    series: &[SeriesData],
    config: &Config,
) -> PanelFitsOf {
    methods
        .iter()
        .map(|m| {
            m.for_panel(series, config.horizons)
                .map(|r| r.map_err(|e| e.to_string()))
        })
        .collect()
}

/// The target level `h` years after a last value of `last` at `growth_pct`
/// a year: one expression for the rows and the climatology, so both judge
/// an outcome alike.
fn target_level(last: f64, growth_pct: f64, h: usize) -> f64 {
    last * (1.0 + growth_pct / 100.0).powi(i32::try_from(h).unwrap_or(i32::MAX))
}

/// Runs every method over series `si` of the panel, handing each row (with
/// its method's index; names left empty) to `sink` in method, origin,
/// horizon order.
fn forecast_series(
    methods: &[Box<dyn Method>],
    panel: &PanelFitsOf,
    climate: &Climatology,
    si: usize,
    s: &SeriesData,
    config: &Config,
    mut sink: impl FnMut(usize, Row),
) {
    let n = s.values.len();
    if n <= config.min_train {
        for mi in 0..methods.len() {
            let mut r = Row::problem(
                "",
                "",
                n,
                0,
                format!(
                    "series of {n} values is too short: a backtest needs at least {} \
                     ({} to train, 1 to score)",
                    config.min_train + 1,
                    config.min_train
                ),
            );
            r.year = s.year(n.saturating_sub(1));
            sink(mi, r);
        }
        return;
    }
    let origins = config.origins(n);
    let scales: Vec<Option<f64>> = origins
        .clone()
        .map(|o| mase_scale(&s.values[..o]).ok())
        .collect();
    // A plan-following method follows this series' declared growth.
    let own: Vec<Option<Box<dyn Method>>> = methods
        .iter()
        .map(|m| s.target_growth_pct.and_then(|g| m.for_declared_growth(g)))
        .collect();
    // Fits are independent: run (method, origin) pairs in parallel too, so a
    // few long series use every thread; collect keeps their order.
    let fits: Vec<Vec<Row>> = (0..methods.len() * origins.len())
        .into_par_iter()
        .map(|k| {
            let (mi, origin) = (k / origins.len(), origins.start + k % origins.len());
            let m = own[mi].as_ref().unwrap_or(&methods[mi]);
            let train = &s.values[..origin];
            let last_h = config.horizons.min(n - origin);
            let fitted = match &panel[mi] {
                None => m.fit(train).map_err(|e| e.to_string()),
                Some(Ok(p)) => p.fit(si, origin).map_err(|e| e.to_string()),
                Some(Err(e)) => Err(e.clone()),
            };
            (1..=last_h)
                .map(|h| {
                    let actual = s.values[origin + h - 1];
                    let threshold = s
                        .target_growth_pct
                        .map(|g| target_level(train[origin - 1], g, h));
                    let mut r = match &fitted {
                        Err(e) => Row::problem("", "", origin, h, e.clone()),
                        Ok(f) => score_one(f.as_ref(), h, actual, threshold).map_or_else(
                            |e| Row::problem("", "", origin, h, e.to_string()),
                            |mut r| {
                                r.origin = origin;
                                r.scale = scales[origin - origins.start];
                                r
                            },
                        ),
                    };
                    r.year = s.year(origin - 1);
                    if r.met.is_some() {
                        r.p_climate = climate.probability(h, r.year);
                    }
                    r
                })
                .collect()
        })
        .collect();
    for (k, rows) in fits.into_iter().enumerate() {
        for row in rows {
            sink(k / origins.len(), row);
        }
    }
}

/// Forecast `h` ahead and the raw scores against `actual` (and the target
/// `threshold`, if any).
fn score_one(f: &dyn super::Fitted, h: usize, actual: f64, threshold: Option<f64>) -> Result<Row> {
    let fc = f.forecast(h)?;
    let q = fc.predictive.quantiles(&QUANTILES)?;
    let c = crps(&fc.predictive, actual)?;
    let mut r = Row::problem("", "", 0, h, String::new());
    r.problem = None;
    r.actual = Some(actual);
    r.point = Some(fc.point);
    r.crps = Some(c);
    r.pit = Some(fc.predictive.cdf(actual)?);
    [
        &mut r.q025,
        &mut r.q05,
        &mut r.q10,
        &mut r.q25,
        &mut r.q50,
        &mut r.q75,
        &mut r.q90,
        &mut r.q95,
        &mut r.q975,
    ]
    .into_iter()
    .zip(q)
    .for_each(|(slot, v)| *slot = Some(v));
    if let Some(t) = threshold.filter(|t| t.is_finite()) {
        r.threshold = Some(t);
        r.p_target = Some(fc.predictive.prob_at_least(t)?);
        r.met = Some(actual >= t);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::{DampedHolt, Naive, RandomWalkDrift};

    fn get<'a>(board: &'a [Score], method: &str, h: Option<usize>, metric: Metric) -> &'a Score {
        board
            .iter()
            .find(|s| s.method == method && s.horizon == h && s.metric == metric)
            .unwrap()
    }

    #[test]
    fn naive_leaderboard_by_hand() {
        // 1, 2, 3, 5 with min_train 2, H = 2. Origin 2 (train 1, 2): forecasts
        // 2 for actuals 3 (h1) and 5 (h2), errors 1 and 3. Origin 3 (train
        // 1, 2, 3): 3 for 5 (h1), error 2. Scales: |2-1| = 1; (1 + 1)/2 = 1.
        let s = [SeriesData::new("x", vec![1.0, 2.0, 3.0, 5.0])];
        let methods: Vec<Box<dyn Method>> = vec![Box::new(Naive)];
        let rows = backtest(&methods, &s, &Config::new(2, 2).unwrap()).unwrap();
        assert_eq!(rows.len(), 3);
        let b = leaderboard(&rows);
        assert_eq!(get(&b, "naive", Some(1), Metric::Mae).value, Some(1.5));
        assert_eq!(get(&b, "naive", Some(2), Metric::Mae).value, Some(3.0));
        assert_eq!(get(&b, "naive", None, Metric::Mae).value, Some(2.0));
        assert_eq!(get(&b, "naive", None, Metric::Mae).count, 3);
        // RMSE h1: sqrt((1 + 4) / 2).
        assert_eq!(
            get(&b, "naive", Some(1), Metric::Rmse).value,
            Some(2.5f64.sqrt())
        );
        assert_eq!(get(&b, "naive", None, Metric::Mase).value, Some(2.0));
        // 50% intervals: N(2, 1)'s is 2 -+ 0.674, missing 3 (h1); N(2, 2)'s
        // 2 -+ 0.954, missing 5; N(3, 1)'s 3 -+ 0.674, missing 5. Widened
        // to hold 3, the first row counts.
        assert_eq!(get(&b, "naive", None, Metric::Coverage50).value, Some(0.0));
        let mut wide = rows[0].clone();
        wide.q75 = Some(3.0);
        assert_eq!(wide.term(Metric::Coverage50), Some(1.0));
        wide.q25 = Some(3.5);
        assert_eq!(wide.term(Metric::Coverage50), Some(0.0));
        wide.q25 = None;
        assert_eq!(wide.term(Metric::Coverage50), None);
        // MAPE h1: (1/3 + 2/5) / 2 = 11/30.
        let mape = get(&b, "naive", Some(1), Metric::Mape).value.unwrap();
        assert!((mape - 11.0 / 30.0).abs() < 1e-15);
        // Leaderboard order: horizons 1, 2, then all; metrics in ALL order.
        assert_eq!(b.len(), 3 * Metric::ALL.len());
        assert_eq!(b[0].horizon, Some(1));
        assert_eq!(b[0].metric, Metric::Mae);
        assert_eq!(b.last().unwrap().horizon, None);
    }

    #[test]
    fn short_series_and_failed_fits_are_reported() {
        let s = [
            SeriesData::new("short", vec![1.0, 2.0]),
            SeriesData::new("ok", vec![1.0, 1.1, 1.3, 1.2, 1.4, 1.5]),
        ];
        let methods: Vec<Box<dyn Method>> = vec![Box::new(Naive), Box::new(DampedHolt)];
        let rows = backtest(&methods, &s, &Config::new(1, 3).unwrap()).unwrap();
        // "short": one row per method saying so.
        let short: Vec<&Row> = rows.iter().filter(|r| r.series == "short").collect();
        assert_eq!(short.len(), 2);
        assert!(short[0].problem.as_ref().unwrap().contains("too short"));
        assert_eq!(short[1].method, "damped_holt");
        // "ok": origins 3, 4, 5; damped_holt needs 5 values, so origins 3 and 4
        // are rows with the fit's error, origin 5 a forecast.
        let dh: Vec<&Row> = rows
            .iter()
            .filter(|r| r.series == "ok" && r.method == "damped_holt")
            .collect();
        assert_eq!(dh.len(), 3);
        assert!(
            dh[0]
                .problem
                .as_ref()
                .unwrap()
                .contains("at least 5 values")
        );
        assert!(dh[1].problem.is_some());
        assert!(dh[2].problem.is_none() && dh[2].crps.is_some());
        let b = leaderboard(&rows);
        let c = get(&b, "damped_holt", None, Metric::Crps);
        assert_eq!((c.count, c.missing), (1, 3));
        // Rows survive JSON.
        let json = serde_json::to_string(&rows).unwrap();
        let back: Vec<Row> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rows);
        assert!(Config::new(0, 3).is_err());
        assert!(
            backtest(
                &methods,
                &s,
                &Config {
                    horizons: 1,
                    min_train: 1,
                    max_origins: None,
                }
            )
            .is_err()
        );
    }

    /// Synthetic log random walks with drift: `n` series of `len` values.
    fn random_walks(seed: u64, n: usize, len: usize, drift: f64, sd: f64) -> Vec<SeriesData> {
        let z = crate::simulate::model::testutil::normals(seed, n * len);
        (0..n)
            .map(|i| {
                let mut l = 100f64.ln();
                let values = z[i * len..(i + 1) * len]
                    .iter()
                    .map(|z| {
                        let v = l.exp();
                        l += drift + sd * z;
                        v
                    })
                    .collect();
                SeriesData::new(format!("rw{i}"), values)
            })
            .collect()
    }

    #[test]
    fn deterministic_and_parallel_safe() {
        let s = random_walks(3, 40, 15, 0.05, 0.03);
        let methods = crate::forecast::tests::all_methods();
        let c = Config::new(3, 8).unwrap();
        let a = backtest(&methods, &s, &c).unwrap();
        let b = backtest(&methods, &s, &c).unwrap();
        assert_eq!(a, b);
        // Series order, then methods.
        assert_eq!(a[0].series, "rw0");
        assert_eq!(a.last().unwrap().series, "rw39");
        // Every row is a forecast or says why not.
        assert!(a.iter().all(|r| r.problem.is_some() != r.crps.is_some()));
    }

    #[test]
    fn correctly_specified_intervals_cover_at_nominal_rates() {
        // 2000 independent log random walks with drift 0.05, sd 0.03; one
        // origin each (60 values to train, the 61st to score), so the 2000
        // forecasts are independent. With s estimated from 59 growths the
        // exact coverage is that of Student's t(58): 0.9452 and 0.7949 (its
        // density integrated numerically), within 0.005 of nominal. The
        // tolerance is 4.5 binomial standard errors: 0.0219 (95%), 0.0402 (80%).
        let n = 2000;
        let s = random_walks(17, n, 61, 0.05, 0.03);
        let methods: Vec<Box<dyn Method>> = vec![Box::new(RandomWalkDrift)];
        let rows = backtest(&methods, &s, &Config::new(1, 60).unwrap()).unwrap();
        assert_eq!(rows.len(), n);
        let b = leaderboard(&rows);
        // The 50% interval: t(58)'s coverage is 0.4985; tolerance 0.0503.
        for (metric, nominal) in [
            (Metric::Coverage95, 0.95),
            (Metric::Coverage80, 0.8),
            (Metric::Coverage50, 0.5),
        ] {
            let cov = get(&b, "rw_drift", Some(1), metric).value.unwrap();
            let tol = 4.5 * (nominal * (1.0 - nominal) / n as f64).sqrt();
            assert!((cov - nominal).abs() < tol, "{metric:?}: {cov}");
        }
        // The forecasts are independent, so the PIT test's p-value is a real
        // one here: not small for the right model (this seed: 0.945), and
        // the histogram is close to flat.
        let pit = pit_histograms(&rows);
        let all = pit.iter().find(|p| p.horizon.is_none()).unwrap();
        assert_eq!(all.count, n);
        assert!(all.p_value.unwrap() > 0.01, "{all:?}");
        assert!(all.calibration_error.unwrap() < 0.02, "{all:?}");
        // Intervals half as wide fail it: the PITs pile up at both ends.
        // (The same actual under a predictive of half the spread sits at
        // twice the z-score.)
        use statrs::distribution::{ContinuousCDF, Normal};
        let std = Normal::standard();
        let mut narrow = rows.clone();
        for r in &mut narrow {
            r.pit = Some(std.cdf(2.0 * std.inverse_cdf(r.pit.unwrap())));
        }
        let bad = pit_histograms(&narrow);
        let bad = bad.iter().find(|p| p.horizon.is_none()).unwrap();
        assert!(bad.p_value.unwrap() < 1e-10, "{bad:?}");
        assert!(bad.counts[0] > 3 * n / 20 && bad.counts[9] > 3 * n / 20);
        // The median is the 0.5-quantile and the point.
        assert!(
            rows.iter()
                .all(|r| (r.q50.unwrap() - r.point.unwrap()).abs() < 1e-9 * r.point.unwrap())
        );
    }

    #[test]
    fn the_average_growth_is_the_whole_series_cagr() {
        let g = SeriesData::new("x", vec![100.0, 110.0, 121.0])
            .average_growth_pct()
            .unwrap();
        assert!((g - 10.0).abs() < 1e-12);
        assert_eq!(SeriesData::new("x", vec![100.0]).average_growth_pct(), None);
        assert_eq!(
            SeriesData::new("x", vec![0.0, 1.0]).average_growth_pct(),
            None
        );
    }

    #[test]
    fn metrics_by_name_and_distance_from_their_best() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
        assert_eq!(Metric::from_name("crps_scaled"), Some(Metric::CrpsScaled));
        assert_eq!(Metric::from_name("nope"), None);
        // Coverage: as bad 10 points under as over its nominal 80%.
        let (under, over) = (
            Metric::Coverage80.badness(0.7),
            Metric::Coverage80.badness(0.9),
        );
        assert!((under - 0.1).abs() < 1e-12 && (over - 0.1).abs() < 1e-12);
        assert!((Metric::Coverage95.badness(1.0) - 0.05).abs() < 1e-12);
        assert!((Metric::Coverage50.badness(0.3) - 0.2).abs() < 1e-12);
        assert_eq!(Metric::BrierSkill.badness(0.25), 0.75);
        assert!(!Metric::BrierSkill.lower_is_better() && Metric::BrierClimate.lower_is_better());
        assert_eq!(Metric::from_name("coverage50"), Some(Metric::Coverage50));
        // ALL is in declaration order (the dense board indexes by it).
        assert!(Metric::ALL.iter().enumerate().all(|(k, m)| m.index() == k));
        assert_eq!(Metric::Mae.badness(2.0), 2.0);
        assert!(!Metric::Coverage95.lower_is_better() && Metric::Brier.lower_is_better());
    }
}
