//! How honest are the predictive distributions at plan horizons? Rolling
//! origin backtests of `rw_drift`, `ar1_growth` and `calibrated` (and
//! `calibrated` with each of its parts removed, an ablation) on real annual
//! panels, with coverage at 50, 80 and 95%, CRPS and the Brier score of the
//! target probabilities by horizon.
//!
//! ```text
//! cargo run --release --example calibration                    # the panels in data/panels
//! cargo run --release --example calibration -- FILE...         # your own id,year,value files
//! cargo run --release --example calibration -- --csv           # tidy CSV: file,method,horizon,forecasts,coverage50,...
//! ```
//! Options: `--horizon H` (default 5), `--min-train N` (default 5, as
//! `attain backtest`), `--no-ablation` (only the three methods), `--twins
//! K` (default 0; below).
//!
//! Each coverage comes with its standard error: a moving-block bootstrap
//! over origin years (blocks of `max(h, 2)` years, 1,000 draws, a fixed
//! seed). The forecasts of one origin year share its shocks and those of
//! neighbouring origins overlap, so the binomial error of the forecast count
//! would be far too small. The table ends with what that spread implies:
//! how many cells would meet both coverage bands of issue 13 (80% within
//! [0.74, 0.86], 95% within [0.90, 0.98]) for a forecaster whose coverage is
//! nominal in every cell (each draw's deviations from the cell's coverages,
//! added to the nominal ones), and, per file, the chance that such a
//! forecaster meets the bands at every horizon at once (the same origin
//! years drawn for every horizon). The Brier score's difference from
//! `rw_drift`'s and the CRPS's ratio to it get standard errors from the
//! same bootstrap, paired: the same origin years drawn for both methods
//! (its own seed, so the coverages' errors do not move).
//!
//! With `--twins K` each file also gets `K` synthetic twins: panels of the
//! same series and years drawn from a process that meets the model's
//! assumptions, a Gaussian random walk with drift per series plus a common
//! shock each year (`g_it = d_i + f_t + s_i e_it`), its drifts, volatilities
//! and the common shock's spread estimated from the file. `calibrated` is
//! backtested on each twin in the same way, which shows how often the bands
//! are met where nothing the model cannot know happens (no breaks, no
//! changes of volatility), and whether the bootstrap's standard errors match
//! the coverages' spread across twins.
//!
//! The target of each series is growth at its average rate over the whole
//! file, as `attain backtest` scores by default.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

use attain::forecast::backtest::{Config, Row, SeriesData, backtest};
use attain::forecast::calibrated::{Calibrated, Part};
use attain::forecast::history::{Gaps, yearly_series};
use attain::forecast::{Ar1Growth, Method, RandomWalkDrift};
use attain::plan::actuals::Actuals;

const PANELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/panels");

struct Options {
    files: Vec<PathBuf>,
    csv: bool,
    horizon: usize,
    min_train: usize,
    ablation: bool,
    twins: usize,
}

fn parse() -> Result<Options, Box<dyn std::error::Error>> {
    let mut o = Options {
        files: Vec::new(),
        csv: false,
        horizon: 5,
        min_train: 5,
        ablation: true,
        twins: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--csv" => o.csv = true,
            "--no-ablation" => o.ablation = false,
            "--horizon" => o.horizon = args.next().ok_or("--horizon needs a value")?.parse()?,
            "--twins" => o.twins = args.next().ok_or("--twins needs a value")?.parse()?,
            "--min-train" => {
                o.min_train = args.next().ok_or("--min-train needs a value")?.parse()?
            }
            f if !f.starts_with("--") => o.files.push(f.into()),
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    if o.files.is_empty() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(PANELS)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        files.sort();
        o.files = files;
    }
    Ok(o)
}

/// Per method and horizon: forecasts, coverage 50/80/95, CRPS, Brier.
#[derive(Default, Clone, Copy)]
struct Tally {
    n: usize,
    c50: usize,
    c80: usize,
    c95: usize,
    crps: f64,
    brier: f64,
    targets: usize,
}

impl Tally {
    /// Mean Brier score of the forecasts with a target, if any.
    fn brier_mean(&self) -> Option<f64> {
        (self.targets > 0).then(|| self.brier / self.targets as f64)
    }

    /// Mean CRPS, if any forecast.
    fn crps_mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.crps / self.n as f64)
    }

    fn add(&mut self, o: &Tally) {
        self.n += o.n;
        self.c50 += o.c50;
        self.c80 += o.c80;
        self.c95 += o.c95;
        self.crps += o.crps;
        self.brier += o.brier;
        self.targets += o.targets;
    }
}

/// The sum of `tallies`.
fn total<'a>(tallies: impl IntoIterator<Item = &'a Tally>) -> Tally {
    tallies.into_iter().fold(Tally::default(), |mut a, t| {
        a.add(t);
        a
    })
}

/// The tallies of `cells` (each by origin year) on the union of their
/// origin years, in order: zero where a cell has no forecast that year.
fn aligned(cells: &[&BTreeMap<i64, Tally>]) -> Vec<Vec<Tally>> {
    let years: std::collections::BTreeSet<i64> =
        cells.iter().flat_map(|c| c.keys().copied()).collect();
    cells
        .iter()
        .map(|c| {
            years
                .iter()
                .map(|y| c.get(y).copied().unwrap_or_default())
                .collect()
        })
        .collect()
}

/// Sample standard deviation of `n` values from their sum and sum of
/// squares; NaN for fewer than two.
fn sample_sd(sum: f64, sum_sq: f64, n: usize) -> f64 {
    let n = n as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    ((sum_sq / n - (sum / n).powi(2)).max(0.0) * n / (n - 1.0)).sqrt()
}

/// One moving-block bootstrap draw of `k` origin years (indices into them,
/// in `idx`): blocks of `block` consecutive years from random starts.
fn draw_blocks(k: usize, block: usize, rng: &mut ChaCha8Rng, idx: &mut Vec<usize>) {
    idx.clear();
    while idx.len() < k {
        let start = rng.random_range(0..=k - block);
        idx.extend(start..start + block);
    }
    idx.truncate(k);
}

/// Fewest forecasts a cell (a method at a horizon of a file) needs for the
/// bands to be judged, as in issue 13.
const MIN_CELL: usize = 100;

/// The calendar year of a row's origin in `panel`.
fn origin_year(panel: &[SeriesData]) -> impl Fn(&Row) -> i64 + '_ {
    let first: BTreeMap<&str, i64> = panel.iter().map(|s| (s.id.as_str(), s.year(0))).collect();
    move |r: &Row| first.get(r.series.as_str()).copied().unwrap_or(0) + r.origin as i64 - 1
}

/// The tally of `method` at horizon `h`, by origin year (`year_of` gives a
/// row's), in year order.
fn tally_by_year(
    rows: &[Row],
    method: &str,
    h: usize,
    year_of: &impl Fn(&Row) -> i64,
) -> BTreeMap<i64, Tally> {
    let mut by: BTreeMap<i64, Tally> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.method == method && r.horizon == h) {
        if let Some(t) = tally(r) {
            by.entry(year_of(r)).or_default().add(&t);
        }
    }
    by
}

/// The chance that a forecaster nominal in every one of a file's `cells`
/// (by horizon: the tallies by origin year) meets both bands in all of
/// them at once: a moving-block bootstrap that draws the same origin years
/// for every horizon (blocks of `block` years), each draw's deviations
/// from the cells' coverages added to the nominal ones.
fn nominal_meets_every(cells: &[BTreeMap<i64, Tally>], block: usize, rng: &mut ChaCha8Rng) -> f64 {
    const DRAWS: usize = 1000;
    let by_cell = aligned(&cells.iter().collect::<Vec<_>>());
    let k = by_cell.first().map_or(0, Vec::len);
    if k < 2 {
        return f64::NAN;
    }
    let block = block.min(k);
    // Per cell: the tally of each origin year (zero where it has none) and
    // the cell's coverages.
    let dense: Vec<(Vec<Tally>, f64, f64)> = by_cell
        .into_iter()
        .map(|by| {
            let t = total(&by);
            let n = t.n.max(1) as f64;
            (by, t.c80 as f64 / n, t.c95 as f64 / n)
        })
        .collect();
    let mut meets = 0usize;
    let mut idx = Vec::with_capacity(k + block);
    for _ in 0..DRAWS {
        draw_blocks(k, block, rng, &mut idx);
        let all = dense.iter().all(|(by, c80, c95)| {
            let t = total(idx.iter().map(|&i| &by[i]));
            let m = t.n.max(1) as f64;
            meets_bands(0.80 + t.c80 as f64 / m - c80, 0.95 + t.c95 as f64 / m - c95)
        });
        meets += usize::from(all);
    }
    meets as f64 / DRAWS as f64
}

/// What the bootstrap says of one cell's coverages.
struct Spread {
    /// Standard errors of the 80% and 95% coverages.
    se80: f64,
    se95: f64,
    /// Share of the draws whose deviations from the cell's coverages, added
    /// to the nominal 0.80 and 0.95, land in both bands: the chance that a
    /// forecaster nominal in this cell meets them (the two deviations'
    /// correlation included).
    nominal_meets: f64,
}

/// A moving-block bootstrap over the origin years (`years`, in order),
/// blocks of `block` years.
fn bootstrap(years: &[Tally], block: usize, rng: &mut ChaCha8Rng) -> Spread {
    const DRAWS: usize = 1000;
    let k = years.len();
    let block = block.min(k);
    let all = total(years);
    if k < 2 || all.n == 0 {
        return Spread {
            se80: f64::NAN,
            se95: f64::NAN,
            nominal_meets: f64::NAN,
        };
    }
    let n = all.n as f64;
    let (c80, c95) = (all.c80 as f64 / n, all.c95 as f64 / n);
    let (mut s80, mut s80sq, mut s95, mut s95sq) = (0.0, 0.0, 0.0, 0.0);
    let mut meets = 0usize;
    let mut idx = Vec::with_capacity(k + block);
    for _ in 0..DRAWS {
        draw_blocks(k, block, rng, &mut idx);
        let t = total(idx.iter().map(|&i| &years[i]));
        let m = t.n.max(1) as f64;
        let (b80, b95) = (t.c80 as f64 / m, t.c95 as f64 / m);
        s80 += b80;
        s80sq += b80 * b80;
        s95 += b95;
        s95sq += b95 * b95;
        meets += usize::from(meets_bands(0.80 + b80 - c80, 0.95 + b95 - c95));
    }
    Spread {
        se80: sample_sd(s80, s80sq, DRAWS),
        se95: sample_sd(s95, s95sq, DRAWS),
        nominal_meets: meets as f64 / DRAWS as f64,
    }
}

/// What the bootstrap says of a method against `rw_drift` in one cell: the
/// standard errors of its Brier score less `rw_drift`'s and of its CRPS
/// over `rw_drift`'s.
struct Paired {
    brier_diff_se: f64,
    crps_ratio_se: f64,
}

/// A moving-block bootstrap over the origin years of both methods' tallies
/// (`a` and `b`, by origin year), blocks of `block` years: the same years
/// drawn for both, so what their forecasts share (a year's shock) cancels.
fn paired_bootstrap(
    a: &BTreeMap<i64, Tally>,
    b: &BTreeMap<i64, Tally>,
    block: usize,
    rng: &mut ChaCha8Rng,
) -> Paired {
    const DRAWS: usize = 1000;
    let by = aligned(&[a, b]);
    let (ya, yb) = (&by[0], &by[1]);
    let k = ya.len();
    if k < 2 {
        return Paired {
            brier_diff_se: f64::NAN,
            crps_ratio_se: f64::NAN,
        };
    }
    let block = block.min(k);
    let mut idx = Vec::with_capacity(k + block);
    let (mut d, mut dsq, mut r, mut rsq, mut nd, mut nr) = (0.0, 0.0, 0.0, 0.0, 0usize, 0usize);
    for _ in 0..DRAWS {
        draw_blocks(k, block, rng, &mut idx);
        let (ta, tb) = (
            total(idx.iter().map(|&i| &ya[i])),
            total(idx.iter().map(|&i| &yb[i])),
        );
        if let (Some(x), Some(y)) = (ta.brier_mean(), tb.brier_mean()) {
            d += x - y;
            dsq += (x - y) * (x - y);
            nd += 1;
        }
        if let (Some(x), Some(y)) = (ta.crps_mean(), tb.crps_mean().filter(|y| *y > 0.0)) {
            r += x / y;
            rsq += (x / y) * (x / y);
            nr += 1;
        }
    }
    Paired {
        brier_diff_se: sample_sd(d, dsq, nd),
        crps_ratio_se: sample_sd(r, rsq, nr),
    }
}

/// Issue 13's coverage bands: 80% within [0.74, 0.86], 95% within [0.90,
/// 0.98].
fn meets_bands(c80: f64, c95: f64) -> bool {
    (0.74..=0.86).contains(&c80) && (0.90..=0.98).contains(&c95)
}

/// The tally of one row: its coverages, CRPS and Brier; `None` without an
/// actual or a CRPS.
fn tally(r: &Row) -> Option<Tally> {
    let (Some(a), Some(crps)) = (r.actual, r.crps) else {
        return None;
    };
    let within = |l: Option<f64>, u: Option<f64>| match (l, u) {
        (Some(l), Some(u)) => usize::from(l <= a && a <= u),
        _ => 0,
    };
    let brier = r
        .p_target
        .zip(r.met)
        .map(|(p, met)| (p - f64::from(u8::from(met))).powi(2));
    Some(Tally {
        n: 1,
        c50: within(r.q25, r.q75),
        c80: within(r.q10, r.q90),
        c95: within(r.q025, r.q975),
        crps,
        brier: brier.unwrap_or(0.0),
        targets: usize::from(brier.is_some()),
    })
}

/// A file's process for its twins: per series its drift and the sd of its
/// own shocks, and the sd of the common shock of a year.
struct TwinProcess {
    drift: Vec<f64>,
    sd: Vec<f64>,
    common_sd: f64,
}

/// Fits `g_it = d_i + f_t + s_i e_it` to the observed log growths of
/// `series` (both values positive): alternating means for the drifts and
/// the year effects, then the residuals' sds, and the common shock's sd
/// from the year effects' spread less the part their own estimation noise
/// explains.
fn fit_twin(series: &[SeriesData]) -> TwinProcess {
    // (series, year, growth)
    let mut g: Vec<(usize, i64, f64)> = Vec::new();
    for (i, s) in series.iter().enumerate() {
        for t in 1..s.values.len() {
            let (a, b) = (s.values[t - 1], s.values[t]);
            if a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite() {
                g.push((i, s.year(t), (b / a).ln()));
            }
        }
    }
    let n = series.len();
    let mut drift = vec![0.0; n];
    let mut year: BTreeMap<i64, f64> = g.iter().map(|&(_, y, _)| (y, 0.0)).collect();
    for _ in 0..20 {
        let mut sum = vec![(0.0, 0usize); n];
        for &(i, y, x) in &g {
            sum[i].0 += x - year[&y];
            sum[i].1 += 1;
        }
        for (d, (s, c)) in drift.iter_mut().zip(&sum) {
            *d = if *c > 0 { s / *c as f64 } else { 0.0 };
        }
        let mut by: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
        for &(i, y, x) in &g {
            let e = by.entry(y).or_default();
            e.0 += x - drift[i];
            e.1 += 1;
        }
        for (y, (s, c)) in by {
            year.insert(y, s / c as f64);
        }
    }
    let mut ss = vec![(0.0, 0usize); n];
    for &(i, y, x) in &g {
        ss[i].0 += (x - drift[i] - year[&y]).powi(2);
        ss[i].1 += 1;
    }
    let sd: Vec<f64> = ss
        .iter()
        .map(|(s, c)| (s / (c.saturating_sub(1)).max(1) as f64).max(1e-8).sqrt())
        .collect();
    // The year effects' variance, less the mean variance of their estimate.
    let mut noise: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
    for &(i, y, _) in &g {
        let e = noise.entry(y).or_default();
        e.0 += sd[i] * sd[i];
        e.1 += 1;
    }
    let k = year.len().max(2) as f64;
    let mean = year.values().sum::<f64>() / k;
    let var = year.values().map(|f| (f - mean).powi(2)).sum::<f64>() / (k - 1.0);
    let own = noise
        .values()
        .map(|(s, c)| s / (*c as f64).powi(2))
        .sum::<f64>()
        / k;
    TwinProcess {
        drift,
        sd,
        common_sd: (var - own).max(0.0).sqrt(),
    }
}

/// One twin of `series`: the same ids, years and first values, log growths
/// drawn from `p`, one common shock per calendar year.
fn twin(series: &[SeriesData], p: &TwinProcess, rng: &mut ChaCha8Rng) -> Vec<SeriesData> {
    let first = series.iter().map(|s| s.year(0)).min().unwrap_or(0);
    let last = series
        .iter()
        .map(|s| s.year(s.values.len().saturating_sub(1)))
        .max()
        .unwrap_or(first);
    let common: Vec<f64> = (first..=last)
        .map(|_| p.common_sd * rng.sample::<f64, _>(StandardNormal))
        .collect();
    series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let start = s
                .values
                .first()
                .copied()
                .filter(|v| *v > 0.0)
                .unwrap_or(1.0);
            let mut x = start.ln();
            let mut values = Vec::with_capacity(s.values.len());
            for t in 0..s.values.len() {
                if t > 0 {
                    let f = common[(s.year(t) - first) as usize];
                    x += p.drift[i] + f + p.sd[i] * rng.sample::<f64, _>(StandardNormal);
                }
                values.push(x.exp());
            }
            let mut d = SeriesData::new(s.id.clone(), values);
            d.first_year = s.first_year;
            d.target_growth_pct = d.average_growth_pct();
            d
        })
        .collect()
}

/// What `calibrated` did on a file's twins.
#[derive(Default)]
struct TwinTally {
    /// Cells ([`MIN_CELL`] forecasts or more) and those meeting both bands.
    cells: usize,
    met: usize,
    /// Twins with cells, and those meeting every band.
    twins: usize,
    twins_met: usize,
    /// Per horizon: the twins' 80% and 95% coverages and their bootstrap
    /// standard errors.
    by_h: BTreeMap<usize, Vec<(f64, f64, f64, f64)>>,
}

/// Backtests `calibrated` on `k` twins of `series`, drawn from `p`.
fn twins(
    series: &[SeriesData],
    p: &TwinProcess,
    k: usize,
    config: &Config,
    horizon: usize,
    rng: &mut ChaCha8Rng,
) -> Result<TwinTally, Box<dyn std::error::Error>> {
    let methods: Vec<Box<dyn Method>> = vec![Box::new(Calibrated::default())];
    let mut out = TwinTally::default();
    for _ in 0..k {
        let panel = twin(series, p, rng);
        let rows = backtest(&methods, &panel, config)?;
        let year_of = origin_year(&panel);
        let (mut any, mut all) = (false, true);
        for h in 1..=horizon {
            let years: Vec<Tally> = tally_by_year(&rows, "calibrated", h, &year_of)
                .into_values()
                .collect();
            let t = total(&years);
            if t.n < MIN_CELL {
                continue;
            }
            let n = t.n as f64;
            let (c80, c95) = (t.c80 as f64 / n, t.c95 as f64 / n);
            let spread = bootstrap(&years, h.max(2), rng);
            out.by_h
                .entry(h)
                .or_default()
                .push((c80, c95, spread.se80, spread.se95));
            let ok = meets_bands(c80, c95);
            out.cells += 1;
            out.met += usize::from(ok);
            any = true;
            all &= ok;
        }
        if any {
            out.twins += 1;
            out.twins_met += usize::from(all);
        }
    }
    Ok(out)
}

/// Mean and sd of `xs`, and the root mean square of `ses`.
fn spread_of(xs: &[f64], ses: &[f64]) -> (f64, f64, f64) {
    let k = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / k;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0).max(1.0)).sqrt();
    let rms = (ses.iter().map(|s| s * s).sum::<f64>() / k).sqrt();
    (mean, sd, rms)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = parse()?;
    let mut methods: Vec<Box<dyn Method>> = vec![
        Box::new(RandomWalkDrift),
        Box::new(Ar1Growth),
        Box::new(Calibrated::default()),
    ];
    if o.ablation {
        for p in Part::ALL {
            methods.push(Box::new(Calibrated::without(p)));
        }
    }
    let config = Config::new(o.horizon, o.min_train)?;
    if o.csv {
        println!(
            "file,method,horizon,forecasts,coverage50,coverage80,coverage95,crps,brier,\
             coverage80_se,coverage95_se,brier_diff_se,crps_ratio_se"
        );
    }
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    // The comparisons with rw_drift draw from their own generator, so the
    // coverages' standard errors do not depend on them.
    let mut paired_rng = ChaCha8Rng::seed_from_u64(16);
    // Calibrated's cells: (meeting both bands, expected of a nominal
    // forecaster, cells).
    let (mut met, mut expected, mut cells) = (0usize, 0.0f64, 0usize);
    // Files where calibrated meets every band, of those with cells, and the
    // chance a nominal forecaster would meet every band of every file. Its
    // own generator, so the standard errors do not depend on it.
    let (mut files_met, mut files, mut p_every) = (0usize, 0usize, 1.0f64);
    let mut joint_rng = ChaCha8Rng::seed_from_u64(14);
    // The twins: their cells, those meeting both bands, twins, and twins
    // meeting every band.
    let (mut twin_cells, mut twin_met, mut twin_files, mut twin_files_met) = (0, 0, 0, 0);
    // The files' coverages less their twins' mean, over the twins' sd.
    let mut twin_z: Vec<f64> = Vec::new();
    for file in &o.files {
        let name = file.file_stem().map_or_else(
            || file.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        let mut series: Vec<SeriesData> = yearly_series(&Actuals::read(file)?, Gaps::Refuse)?
            .into_iter()
            .map(|y| y.data)
            .collect();
        for s in &mut series {
            // The target `attain backtest` scores by default.
            s.target_growth_pct = s.average_growth_pct();
        }
        let rows = backtest(&methods, &series, &config)?;
        let year_of = origin_year(&series);
        if !o.csv {
            // What the model learned from the whole file (its last year).
            let fit = Calibrated::default().fit_panel(&series, o.horizon)?;
            let last = series
                .iter()
                .map(|s| s.year(s.values.len() - 1))
                .max()
                .unwrap_or(0);
            if let Some(y) = fit.year(last) {
                let pool = y.pool.map_or("none".to_string(), |p| {
                    format!(
                        "drift {:.4} (between sd {:.4}), log variance {:.2} (between sd {:.2})",
                        p.drift_mean,
                        p.drift_tau2.sqrt(),
                        p.log_var_mean,
                        p.log_var_tau2.sqrt()
                    )
                });
                let shocks = y.shocks.map_or("none".to_string(), |s| {
                    format!(
                        "probability {:.3}, variance x{:.2} (calm x{:.2})",
                        s.prob, s.shock, s.calm
                    )
                });
                let recal: Vec<String> = y
                    .recalibration
                    .iter()
                    .map(|(a, b)| format!("{:.2}", b / (a - 1.0).max(1e-9)))
                    .collect();
                println!(
                    "\n{name}, learned by {last}: pool {pool}; persistence {:.2}; shocks {shocks}; \
                     recalibration (mean squared scale by horizon) {}",
                    y.phi,
                    recal.join(" ")
                );
            }
            println!(
                "{name}: {} series\n{:<38} {:>2} {:>5} {:>5} {:>5} {:>5} {:>10} {:>6} {:>5} {:>5} \
                 {:>13} {:>13}",
                series.len(),
                "method",
                "h",
                "n",
                "c50",
                "c80",
                "c95",
                "crps",
                "brier",
                "se80",
                "se95",
                "brier-rw ± se",
                "crps/rw ± se"
            );
        }
        // Calibrated's cells of this file, and whether it meets them all.
        let (mut file_cells, mut file_met) = (Vec::new(), true);
        // Its coverages by horizon, for the twins' comparison.
        let mut real: BTreeMap<usize, (f64, f64)> = BTreeMap::new();
        // rw_drift's tallies by horizon, for the paired comparisons.
        let rw: BTreeMap<usize, BTreeMap<i64, Tally>> = (1..=o.horizon)
            .map(|h| {
                (
                    h,
                    tally_by_year(&rows, &RandomWalkDrift.name(), h, &year_of),
                )
            })
            .collect();
        for m in &methods {
            for h in 1..=o.horizon {
                let by_year = tally_by_year(&rows, &m.name(), h, &year_of);
                let years: Vec<Tally> = by_year.values().copied().collect();
                let t = total(&years);
                if t.n == 0 {
                    continue;
                }
                let spread = bootstrap(&years, h.max(2), &mut rng);
                let (se80, se95) = (spread.se80, spread.se95);
                let n = t.n as f64;
                let (c50, c80, c95) = (t.c50 as f64 / n, t.c80 as f64 / n, t.c95 as f64 / n);
                let (crps, method) = (t.crps / n, m.name());
                let brier = t.brier_mean();
                let base = rw.get(&h).map(|y| total(y.values())).unwrap_or_default();
                let paired = match rw.get(&h) {
                    Some(y) if method != RandomWalkDrift.name() => {
                        paired_bootstrap(&by_year, y, h.max(2), &mut paired_rng)
                    }
                    _ => Paired {
                        brier_diff_se: 0.0,
                        crps_ratio_se: 0.0,
                    },
                };
                let (brier_diff_se, crps_ratio_se) = (paired.brier_diff_se, paired.crps_ratio_se);
                if method == "calibrated" && t.n >= MIN_CELL {
                    cells += 1;
                    met += usize::from(meets_bands(c80, c95));
                    expected += spread.nominal_meets;
                    file_met &= meets_bands(c80, c95);
                    file_cells.push(by_year);
                    real.insert(h, (c80, c95));
                }
                if o.csv {
                    let brier = brier.map_or(String::new(), |b| b.to_string());
                    println!(
                        "{name},{method},{h},{},{c50},{c80},{c95},{crps},{brier},{se80},{se95},\
                         {brier_diff_se},{crps_ratio_se}",
                        t.n
                    );
                } else {
                    let diff = brier.unwrap_or(f64::NAN) - base.brier_mean().unwrap_or(f64::NAN);
                    let ratio = crps / base.crps_mean().unwrap_or(f64::NAN);
                    let brier = brier.unwrap_or(f64::NAN);
                    println!(
                        "{method:<38} {h:>2} {:>5} {c50:>5.2} {c80:>5.2} {c95:>5.2} {crps:>10.4} \
                         {brier:>6.3} {se80:>5.3} {se95:>5.3} {diff:>+6.3} ± {brier_diff_se:.3} \
                         {ratio:>6.3} ± {crps_ratio_se:.3}",
                        t.n
                    );
                }
            }
        }
        if o.twins > 0 {
            // Each file's own generator, so its twins do not depend on the
            // other files.
            let mut twin_rng = ChaCha8Rng::seed_from_u64(15);
            let process = fit_twin(&series);
            let t = twins(
                &series,
                &process,
                o.twins,
                &config,
                o.horizon,
                &mut twin_rng,
            )?;
            twin_cells += t.cells;
            twin_met += t.met;
            twin_files += t.twins;
            twin_files_met += t.twins_met;
            if !o.csv {
                println!(
                    "{name}, {} twins (common shock sd {:.4}): calibrated meets both bands in \
                     {} of {} cells, every band of {} of {} twins",
                    o.twins, process.common_sd, t.met, t.cells, t.twins_met, t.twins
                );
                for (h, v) in &t.by_h {
                    let c80: Vec<f64> = v.iter().map(|x| x.0).collect();
                    let c95: Vec<f64> = v.iter().map(|x| x.1).collect();
                    let s80: Vec<f64> = v.iter().map(|x| x.2).collect();
                    let s95: Vec<f64> = v.iter().map(|x| x.3).collect();
                    let (m80, sd80, se80) = spread_of(&c80, &s80);
                    let (m95, sd95, se95) = spread_of(&c95, &s95);
                    // How far the file's own coverage lies from its twins'.
                    let mut z = |c: Option<f64>, m: f64, sd: f64| {
                        c.map_or(String::new(), |c| {
                            let z = (c - m) / sd;
                            if z.is_finite() {
                                twin_z.push(z);
                            }
                            format!(" (the file: {c:.3}, {z:+.1} sd)")
                        })
                    };
                    let (r80, r95) = real.get(h).map_or((None, None), |r| (Some(r.0), Some(r.1)));
                    let (z80, z95) = (z(r80, m80, sd80), z(r95, m95, sd95));
                    println!(
                        "  h{h}: 80% coverage mean {m80:.3}, sd over twins {sd80:.3}, rms \
                         bootstrap se {se80:.3}{z80}; 95% mean {m95:.3}, sd {sd95:.3}, se \
                         {se95:.3}{z95}"
                    );
                }
            }
        }
        if !file_cells.is_empty() {
            let p = nominal_meets_every(&file_cells, o.horizon.max(2), &mut joint_rng);
            files += 1;
            files_met += usize::from(file_met);
            p_every *= p;
            if !o.csv {
                println!(
                    "{name}: calibrated meets both coverage bands at every horizon: {}; a \
                     forecaster nominal at every horizon would, with probability {p:.3}",
                    if file_met { "yes" } else { "no" }
                );
            }
        }
    }
    if !o.csv && cells > 0 {
        println!(
            "\ncalibrated meets both coverage bands in {met} of {cells} cells (100 forecasts or \
             more); a forecaster nominal in every cell, given this bootstrap spread, would meet \
             them in about {expected:.1}.\nIt meets every band of {files_met} of {files} files; \
             a nominal forecaster would meet every band of all {files} with probability about \
             {p_every:.2e} (the files taken as independent)"
        );
        if o.twins > 0 {
            println!(
                "On their twins it meets both coverage bands in {twin_met} of {twin_cells} \
                 cells, and every band of {twin_files_met} of {twin_files} twins. The files' \
                 coverages lie a mean square of {:.2} twin sds from their twins' mean ({} of {} \
                 more than 2 sds)",
                twin_z.iter().map(|z| z * z).sum::<f64>() / twin_z.len().max(1) as f64,
                twin_z.iter().filter(|z| z.abs() > 2.0).count(),
                twin_z.len()
            );
        }
    }
    Ok(())
}
