//! Forecast scores: point errors, probabilistic scores of predictive
//! distributions, and scores of target probabilities.
//!
//! Conventions follow the M4/M5 competitions and fable's `accuracy()`:
//! errors are `actual - forecast`; MAPE and sMAPE are fractions (0.05 for 5%,
//! reports multiply by 100); MASE divides by the in-sample mean absolute
//! one-step naive error. Lower is better for every score except coverage,
//! which should be near its nominal level. Every function checks its input and
//! returns a typed error rather than a NaN.

use serde::{Deserialize, Serialize};

use super::{Predictive, std_normal_cdf};
use crate::error::{Error, Problem, Result, finite};

/// Quantiles at which pinball losses are reported (the engine's quantiles).
pub const PINBALL_QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Central interval levels whose coverage and interval scores are reported.
pub const INTERVAL_LEVELS: [f64; 2] = [0.8, 0.95];

/// Checks paired actuals and forecasts: same non-zero length, all finite.
fn pairs(actual: &[f64], forecast: &[f64]) -> Result<()> {
    if actual.is_empty() {
        return Err(Error::parameter("actual", Problem::Empty));
    }
    if actual.len() != forecast.len() {
        return Err(Error::parameter(
            "forecast",
            Problem::length_mismatch(forecast.len(), "values", actual.len(), "actuals"),
        ));
    }
    all_finite("actual", actual)?;
    all_finite("forecast", forecast)
}

fn all_finite(name: &str, xs: &[f64]) -> Result<()> {
    match xs.iter().position(|v| !v.is_finite()) {
        Some(k) => Err(Error::parameter(
            &format!("{name}[{k}]"),
            Problem::not_finite(xs[k]),
        )),
        None => Ok(()),
    }
}

fn mean_of(xs: impl Iterator<Item = f64>, n: usize) -> f64 {
    xs.sum::<f64>() / n as f64
}

/// Mean absolute error.
pub fn mae(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    pairs(actual, forecast)?;
    Ok(mean_of(
        actual.iter().zip(forecast).map(|(a, f)| (a - f).abs()),
        actual.len(),
    ))
}

/// Root mean squared error.
pub fn rmse(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    pairs(actual, forecast)?;
    Ok(mean_of(
        actual.iter().zip(forecast).map(|(a, f)| (a - f).powi(2)),
        actual.len(),
    )
    .sqrt())
}

/// Mean absolute percentage error `mean |a - f| / |a|`, a fraction; an actual
/// of 0 is an error (the ratio is undefined).
pub fn mape(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    pairs(actual, forecast)?;
    if let Some(k) = actual.iter().position(|&a| a == 0.0) {
        return Err(Error::parameter(
            &format!("actual[{k}]"),
            "is 0: the percentage error is undefined",
        ));
    }
    Ok(mean_of(
        actual
            .iter()
            .zip(forecast)
            .map(|(a, f)| ((a - f) / a).abs()),
        actual.len(),
    ))
}

/// Symmetric MAPE as in M4, `mean 2 |a - f| / (|a| + |f|)`, a fraction in
/// [0, 2]; a pair with `a = f = 0` contributes 0.
pub fn smape(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    pairs(actual, forecast)?;
    Ok(mean_of(
        actual.iter().zip(forecast).map(|(&a, &f)| sape(a, f)),
        actual.len(),
    ))
}

/// One term of sMAPE.
pub(crate) fn sape(a: f64, f: f64) -> f64 {
    let d = a.abs() + f.abs();
    if d == 0.0 {
        0.0
    } else {
        2.0 * (a - f).abs() / d
    }
}

/// MASE's scale: the mean absolute one-step change of the history (the
/// in-sample error of the naive method). Needs two values and a history that
/// changes.
pub fn mase_scale(history: &[f64]) -> Result<f64> {
    if history.len() < 2 {
        return Err(Error::parameter(
            "history",
            Problem::too_short(2, history.len(), "values for the MASE scale"),
        ));
    }
    all_finite("history", history)?;
    let s = mean_of(
        history.windows(2).map(|w| (w[1] - w[0]).abs()),
        history.len() - 1,
    );
    if s > 0.0 && s.is_finite() {
        Ok(s)
    } else {
        Err(Error::parameter(
            "history",
            format!("is constant: the MASE scale is {s}"),
        ))
    }
}

/// Mean absolute scaled error: [`mae`] over `scale` (from [`mase_scale`]).
pub fn mase(actual: &[f64], forecast: &[f64], scale: f64) -> Result<f64> {
    if !(scale > 0.0 && scale.is_finite()) {
        return Err(Error::parameter(
            "scale",
            Problem::out_of_range(scale, "finite and > 0"),
        ));
    }
    Ok(mae(actual, forecast)? / scale)
}

/// CRPS of a normal predictive, closed form (Gneiting et al. 2005):
/// `sd [z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)]`, `z = (y - mean) / sd`;
/// `|y - mean|` for `sd = 0`.
pub fn crps_normal(mean: f64, sd: f64, y: f64) -> Result<f64> {
    Predictive::Normal { mean, sd }.validate()?;
    finite("y", y)?;
    let v = if sd == 0.0 {
        (y - mean).abs()
    } else {
        let z = (y - mean) / sd;
        sd * (z * (2.0 * std_normal_cdf(z) - 1.0) + 2.0 * std_pdf(z) - FRAC_1_SQRT_PI)
    };
    finite("crps", v)
}

const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;

fn std_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// CRPS of a log-normal predictive, closed form (Baran and Lerch 2015):
/// `y [2 Phi(w) - 1] - 2 e^(mu + sigma^2/2) [Phi(w - sigma) + Phi(sigma/sqrt 2) - 1]`,
/// `w = (ln y - mu) / sigma`, for `y > 0`; for `y <= 0` it is
/// `E X - y - E|X - X'| / 2 = 2 e^(mu + sigma^2/2) [1 - Phi(sigma/sqrt 2)] - y`.
pub fn crps_log_normal(mu: f64, sigma: f64, y: f64) -> Result<f64> {
    Predictive::LogNormal { mu, sigma }.validate()?;
    finite("y", y)?;
    if sigma == 0.0 {
        return Ok((y - mu.exp()).abs());
    }
    let m = (mu + 0.5 * sigma * sigma).exp();
    let half = std_normal_cdf(sigma * std::f64::consts::FRAC_1_SQRT_2);
    let v = if y <= 0.0 {
        2.0 * m * (1.0 - half) - y
    } else {
        let w = (y.ln() - mu) / sigma;
        y * (2.0 * std_normal_cdf(w) - 1.0) - 2.0 * m * (std_normal_cdf(w - sigma) + half - 1.0)
    };
    finite("crps", v)
}

/// CRPS of the empirical distribution of `samples`:
/// `E|X - y| - E|X - X'| / 2` over the samples (divisor `n^2` in the second
/// term), in O(n log n): sorted, `sum_{i<j} (x_j - x_i) = sum_i (2i - n + 1) x_(i)`
/// with 0-based ranks.
pub fn crps_samples(samples: &[f64], y: f64) -> Result<f64> {
    let p = Predictive::Samples(samples.to_vec());
    p.validate()?;
    finite("y", y)?;
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    // Finite samples can still overflow the sums (1e308 and -1e308).
    finite("crps", crps_sorted(&s, y))
}

/// [`crps_samples`] on sorted, checked samples.
fn crps_sorted(s: &[f64], y: f64) -> f64 {
    let n = s.len() as f64;
    let abs_y = s.iter().map(|x| (x - y).abs()).sum::<f64>() / n;
    let pairs: f64 = s
        .iter()
        .enumerate()
        .map(|(i, x)| (2.0 * i as f64 - n + 1.0) * x)
        .sum();
    // E|X - X'| = 2 sum_{i<j} (x_j - x_i) / n^2.
    abs_y - pairs / (n * n)
}

/// CRPS of any predictive: closed form for the normal and log-normal, the
/// sample estimator otherwise.
pub fn crps(predictive: &Predictive, y: f64) -> Result<f64> {
    match predictive {
        Predictive::Normal { mean, sd } => crps_normal(*mean, *sd, y),
        Predictive::LogNormal { mu, sigma } => crps_log_normal(*mu, *sigma, y),
        Predictive::Samples(xs) => crps_samples(xs, y),
        Predictive::LogNormalMixture(cs) => {
            predictive.validate()?;
            finite("y", y)?;
            finite("crps", super::mixture::crps(cs, y))
        }
    }
}

/// Pinball (quantile) loss of the `tau`-quantile forecast `q`:
/// `(1{y < q} - tau)(q - y)`.
pub fn pinball(q: f64, tau: f64, y: f64) -> Result<f64> {
    finite("q", q)?;
    finite("y", y)?;
    if !(tau > 0.0 && tau < 1.0) {
        return Err(Error::parameter(
            "tau",
            Problem::out_of_range(tau, "in (0, 1)"),
        ));
    }
    Ok(if y < q {
        (1.0 - tau) * (q - y)
    } else {
        tau * (y - q)
    })
}

/// Interval (Winkler) score of the central `level` interval `[lower, upper]`
/// (Gneiting and Raftery 2007), `alpha = 1 - level`:
/// `(upper - lower) + (2/alpha)(lower - y) 1{y < lower} + (2/alpha)(y - upper) 1{y > upper}`.
pub fn interval_score(lower: f64, upper: f64, level: f64, y: f64) -> Result<f64> {
    finite("lower", lower)?;
    finite("upper", upper)?;
    finite("y", y)?;
    check_level(level)?;
    if lower > upper {
        return Err(Error::parameter(
            "lower",
            Problem::out_of_range(lower, format!("<= upper ({upper})")),
        ));
    }
    let k = 2.0 / (1.0 - level);
    Ok((upper - lower) + k * (lower - y).max(0.0) + k * (y - upper).max(0.0))
}

fn check_level(level: f64) -> Result<()> {
    if level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(Error::parameter(
            "level",
            Problem::out_of_range(level, "in (0, 1)"),
        ))
    }
}

/// Central `level` interval of a predictive: its `(1 - level)/2` and
/// `(1 + level)/2` quantiles.
pub fn interval(predictive: &Predictive, level: f64) -> Result<(f64, f64)> {
    check_level(level)?;
    let q = predictive.quantiles(&[0.5 * (1.0 - level), 0.5 * (1.0 + level)])?;
    Ok((q[0], q[1]))
}

/// Share of actuals inside their intervals `[lower, upper]` (bounds included).
pub fn coverage(lower: &[f64], upper: &[f64], actual: &[f64]) -> Result<f64> {
    pairs(actual, lower)?;
    pairs(actual, upper)?;
    let inside = actual
        .iter()
        .zip(lower.iter().zip(upper))
        .filter(|(y, (l, u))| *l <= *y && *y <= *u)
        .count();
    Ok(inside as f64 / actual.len() as f64)
}

/// Checks probabilities against outcomes: same non-zero length, each in [0, 1].
fn probabilities(p: &[f64], outcome: &[bool]) -> Result<()> {
    if p.is_empty() {
        return Err(Error::parameter("probability", Problem::Empty));
    }
    if p.len() != outcome.len() {
        return Err(Error::parameter(
            "outcome",
            Problem::length_mismatch(outcome.len(), "values", p.len(), "probabilities"),
        ));
    }
    match p.iter().position(|v| !(0.0..=1.0).contains(v)) {
        Some(k) => Err(Error::parameter(
            &format!("probability[{k}]"),
            Problem::out_of_range(p[k], "in [0, 1]"),
        )),
        None => Ok(()),
    }
}

fn hit(o: bool) -> f64 {
    if o { 1.0 } else { 0.0 }
}

/// Brier score: mean `(p - o)^2` of the probabilities that a target would be
/// met against whether it was.
pub fn brier(p: &[f64], outcome: &[bool]) -> Result<f64> {
    probabilities(p, outcome)?;
    Ok(mean_of(
        p.iter().zip(outcome).map(|(p, &o)| (p - hit(o)).powi(2)),
        p.len(),
    ))
}

/// Most bins a reliability table may have (a table is allocated per call).
pub const MAX_BINS: usize = 10_000;

/// One bin of a reliability table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge of the bin's probabilities.
    pub lower: f64,
    /// Upper edge (the last bin includes 1).
    pub upper: f64,
    /// Forecasts in the bin.
    pub count: usize,
    /// Mean forecast probability in the bin; `None` when empty.
    pub mean_forecast: Option<f64>,
    /// Share of the bin's targets that were met; `None` when empty.
    pub observed: Option<f64>,
}

/// Reliability table: `bins` equal bins on [0, 1] (`p` in bin `floor(p bins)`,
/// 1 in the last); a reliable method's observed shares match its forecasts.
pub fn reliability_table(p: &[f64], outcome: &[bool], bins: usize) -> Result<Vec<ReliabilityBin>> {
    probabilities(p, outcome)?;
    if bins == 0 || bins > MAX_BINS {
        return Err(Error::parameter(
            "bins",
            Problem::out_of_range(bins, format!("between 1 and {MAX_BINS}")),
        ));
    }
    let mut sums = vec![(0usize, 0.0, 0.0); bins];
    for (&pi, &o) in p.iter().zip(outcome) {
        let k = ((pi * bins as f64) as usize).min(bins - 1);
        sums[k].0 += 1;
        sums[k].1 += pi;
        sums[k].2 += hit(o);
    }
    Ok(sums
        .into_iter()
        .enumerate()
        .map(|(k, (count, sp, so))| {
            let n = count as f64;
            ReliabilityBin {
                lower: k as f64 / bins as f64,
                upper: (k + 1) as f64 / bins as f64,
                count,
                mean_forecast: (count > 0).then(|| sp / n),
                observed: (count > 0).then(|| so / n),
            }
        })
        .collect())
}

/// Murphy's decomposition of the Brier score over probability bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrierDecomposition {
    /// Brier score.
    pub brier: f64,
    /// Reliability `sum_k n_k (pbar_k - obar_k)^2 / N` (lower is better).
    pub reliability: f64,
    /// Resolution `sum_k n_k (obar_k - obar)^2 / N` (higher is better).
    pub resolution: f64,
    /// Uncertainty `obar (1 - obar)`: the score of always forecasting the base rate.
    pub uncertainty: f64,
    /// `brier - (reliability - resolution + uncertainty)`: zero when the
    /// forecasts within each bin are equal, otherwise the within-bin terms
    /// (Stephenson et al. 2008).
    pub within_bin: f64,
    /// The reliability table the terms come from.
    pub table: Vec<ReliabilityBin>,
}

/// Brier score with its reliability, resolution and uncertainty over `bins`
/// equal probability bins.
pub fn brier_decomposition(p: &[f64], outcome: &[bool], bins: usize) -> Result<BrierDecomposition> {
    let table = reliability_table(p, outcome, bins)?;
    BrierDecomposition::from_table(brier(p, outcome)?, table)
}

impl BrierDecomposition {
    /// The decomposition of a Brier score from its reliability table (what a
    /// streaming backtest keeps instead of every forecast).
    pub fn from_table(brier: f64, table: Vec<ReliabilityBin>) -> Result<Self> {
        let n: usize = table.iter().map(|b| b.count).sum();
        if n == 0 {
            return Err(Error::parameter("table", Problem::Empty));
        }
        let n = n as f64;
        let met: f64 = table
            .iter()
            .filter_map(|b| Some(b.observed? * b.count as f64))
            .sum();
        let obar = met / n;
        let (mut rel, mut res) = (0.0, 0.0);
        for b in &table {
            if let (Some(pf), Some(ob)) = (b.mean_forecast, b.observed) {
                rel += b.count as f64 * (pf - ob).powi(2);
                res += b.count as f64 * (ob - obar).powi(2);
            }
        }
        let (rel, res, unc) = (rel / n, res / n, obar * (1.0 - obar));
        Ok(BrierDecomposition {
            brier,
            reliability: rel,
            resolution: res,
            uncertainty: unc,
            within_bin: brier - (rel - res + unc),
            table,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b}");
    }

    #[test]
    fn point_scores_by_hand() {
        let (a, f) = ([100.0, 200.0], [110.0, 180.0]);
        // errors -10, 20
        close(mae(&a, &f).unwrap(), 15.0, 1e-12);
        close(rmse(&a, &f).unwrap(), 250f64.sqrt(), 1e-12); // (100 + 400) / 2
        close(mape(&a, &f).unwrap(), 0.1, 1e-15); // (10/100 + 20/200) / 2
        // (20/210 + 40/380) / 2 = (0.0952381 + 0.1052632) / 2
        close(smape(&a, &f).unwrap(), 0.10025062656641603, 1e-15);
        close(smape(&[0.0], &[0.0]).unwrap(), 0.0, 0.0);
        close(smape(&[0.0], &[1.0]).unwrap(), 2.0, 0.0);
    }

    #[test]
    fn mase_scales_by_the_naive_error() {
        // In-sample naive errors of 1, 3, 2, 5: 2, 1, 3 -> scale 2.
        let scale = mase_scale(&[1.0, 3.0, 2.0, 5.0]).unwrap();
        close(scale, 2.0, 0.0);
        // MAE of (7, 4) vs (6, 6) = 1.5; MASE 0.75.
        close(mase(&[7.0, 4.0], &[6.0, 6.0], scale).unwrap(), 0.75, 1e-15);
        // Scaling the series scales MAE and the scale alike: MASE unchanged.
        let s10 = mase_scale(&[10.0, 30.0, 20.0, 50.0]).unwrap();
        close(
            mase(&[70.0, 40.0], &[60.0, 60.0], s10).unwrap(),
            0.75,
            1e-15,
        );
        // The naive method's in-sample MASE is 1 by construction.
        let h = [3.0, 5.0, 4.0, 8.0, 7.0];
        let s = mase_scale(&h).unwrap();
        close(mase(&h[1..], &h[..4], s).unwrap(), 1.0, 1e-15);
    }

    #[test]
    fn crps_closed_forms_by_hand() {
        // N(0,1), y = 0: 2 phi(0) - 1/sqrt(pi) = 0.7978846 - 0.5641896.
        close(
            crps_normal(0.0, 1.0, 0.0).unwrap(),
            0.23369497725510913,
            1e-15,
        );
        // N(1, 2^2), y = 2.5: z = 0.75, 2 (0.75 (2 Phi(.75) - 1) + 2 phi(.75)
        // - 1/sqrt(pi)) (python math.erfc); the integral of (F - 1{x>=y})^2 by
        // the trapezoid rule gives 0.896288505.
        close(
            crps_normal(1.0, 2.0, 2.5).unwrap(),
            0.8962885043931006,
            1e-9, // statrs' normal CDF carries about 1e-10
        );
        // Log-normal mu 0.5, sigma 0.4: the trapezoid integral of
        // (F - 1{x>=y})^2 on (0, 60] with 2e5 steps: 0.225909459 at y = 2 and
        // 2.388283048 at y = -1.
        close(crps_log_normal(0.5, 0.4, 2.0).unwrap(), 0.22590945913, 1e-8);
        close(crps_log_normal(0.5, 0.4, -1.0).unwrap(), 2.388283048, 1e-8);
        // Point masses reduce to the absolute error.
        close(crps_normal(3.0, 0.0, 1.0).unwrap(), 2.0, 0.0);
        close(crps_log_normal(0.0, 0.0, 3.0).unwrap(), 2.0, 0.0);
    }

    #[test]
    fn overflowing_scores_are_errors() {
        // Finite inputs whose sums overflow: an error, not a NaN or inf.
        assert!(crps_samples(&[1e308, -1e308], 0.0).is_err());
        assert!(crps_normal(-1e308, 1.0, 1e308).is_err());
        assert!(reliability_table(&[0.5], &[true], MAX_BINS + 1).is_err());
        assert!(reliability_table(&[0.5], &[true], MAX_BINS).is_ok());
    }

    #[test]
    fn sample_crps_by_hand() {
        // {1, 2, 3}, y = 2: E|X - y| = 2/3; E|X - X'| = 8/9 (pairs 1,2,1,... of
        // the 9 ordered pairs); CRPS = 2/3 - 4/9 = 2/9.
        close(
            crps_samples(&[3.0, 1.0, 2.0], 2.0).unwrap(),
            2.0 / 9.0,
            1e-15,
        );
        // One sample: the absolute error.
        close(crps_samples(&[4.0], 1.0).unwrap(), 3.0, 0.0);
        assert!(crps_samples(&[], 1.0).is_err());
        assert!(crps_samples(&[1.0, f64::NAN], 1.0).is_err());
    }

    #[test]
    fn normal_crps_matches_the_sample_estimator() {
        // 1e5 draws of N(1, 2^2), y = 2.5. The estimator's standard error from
        // its influence function: d_i = |x_i - y| - E|x_i - X'|, where
        // E|x - X'| = sd [u (2 Phi(u) - 1) + 2 phi(u)], u = (x - mean) / sd.
        let (mean, sd, y) = (1.0, 2.0, 2.5);
        let z = crate::simulate::model::testutil::normals(11, 100_000);
        let x: Vec<f64> = z.iter().map(|z| mean + sd * z).collect();
        let est = crps_samples(&x, y).unwrap();
        let exact = crps_normal(mean, sd, y).unwrap();
        let d: Vec<f64> = z
            .iter()
            .zip(&x)
            .map(|(u, xi)| {
                (xi - y).abs() - sd * (u * (2.0 * std_normal_cdf(*u) - 1.0) + 2.0 * std_pdf(*u))
            })
            .collect();
        let n = d.len() as f64;
        let dm = d.iter().sum::<f64>() / n;
        let se = (d.iter().map(|v| (v - dm).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
        assert!(se > 0.0 && se < 0.01, "{se}");
        assert!((est - exact).abs() < 4.5 * se, "{est} vs {exact}, se {se}");
        // The log-normal closed form against the same draws exponentiated.
        let xl: Vec<f64> = x.iter().map(|v| (0.2 * v).exp()).collect();
        let est = crps_samples(&xl, 1.3).unwrap();
        let exact = crps_log_normal(0.2, 0.4, 1.3).unwrap();
        // Same estimator, a smaller scale: a loose 4.5 SE from 200 batches.
        let b: Vec<f64> = xl
            .chunks(500)
            .map(|c| crps_samples(c, 1.3).unwrap())
            .collect();
        let bm = b.iter().sum::<f64>() / 200.0;
        let bse = (b.iter().map(|v| (v - bm).powi(2)).sum::<f64>() / 199.0 / 200.0).sqrt();
        assert!(
            (est - exact).abs() < 4.5 * bse,
            "{est} vs {exact}, se {bse}"
        );
    }

    #[test]
    fn interval_and_quantile_scores_by_hand() {
        // [1, 3] at 80% (alpha 0.2, 2/alpha = 10): width 2, plus 10 per unit outside.
        close(interval_score(1.0, 3.0, 0.8, 2.0).unwrap(), 2.0, 0.0);
        close(interval_score(1.0, 3.0, 0.8, 4.0).unwrap(), 12.0, 1e-12);
        close(interval_score(1.0, 3.0, 0.8, 0.0).unwrap(), 12.0, 1e-12);
        // 95%: 2/0.05 = 40 per unit outside: 2 + 40 * 0.5.
        close(interval_score(1.0, 3.0, 0.95, 3.5).unwrap(), 22.0, 1e-9);
        assert!(interval_score(3.0, 1.0, 0.8, 2.0).is_err());
        assert!(interval_score(1.0, 3.0, 1.0, 2.0).is_err());
        // Pinball: q = 3, tau = 0.25: y = 5 -> 0.25 * 2; y = 1 -> 0.75 * 2.
        close(pinball(3.0, 0.25, 5.0).unwrap(), 0.5, 0.0);
        close(pinball(3.0, 0.25, 1.0).unwrap(), 1.5, 0.0);
        assert!(pinball(3.0, 0.0, 1.0).is_err());
        // Coverage: 2 of 3 inside (bounds count as inside).
        let c = coverage(&[0.0, 0.0, 0.0], &[1.0, 1.0, 1.0], &[0.5, 1.0, 1.5]).unwrap();
        close(c, 2.0 / 3.0, 1e-15);
        // The 80% interval of N(0, 1): +-1.2815515655446004.
        let (l, u) = interval(&Predictive::Normal { mean: 0.0, sd: 1.0 }, 0.8).unwrap();
        close(u, 1.2815515655446004, 1e-12);
        close(l, -u, 1e-12);
    }

    #[test]
    fn brier_and_its_decomposition_by_hand() {
        let p = [0.2, 0.2, 0.8, 0.8, 0.8];
        let o = [false, true, true, true, false];
        // (0.04 + 0.64 + 0.04 + 0.04 + 0.64) / 5 = 0.28.
        close(brier(&p, &o).unwrap(), 0.28, 1e-15);
        let d = brier_decomposition(&p, &o, 5).unwrap();
        // obar = 0.6, UNC = 0.24. Bin [0.2, 0.4): n 2, pbar 0.2, obar 0.5;
        // bin [0.8, 1]: n 3, pbar 0.8, obar 2/3.
        // REL = (2 * 0.09 + 3 * (2/15)^2) / 5 = (0.18 + 0.053333) / 5 = 0.0466667
        // RES = (2 * 0.01 + 3 * (1/15)^2) / 5 = (0.02 + 0.013333) / 5 = 0.0066667
        close(d.uncertainty, 0.24, 1e-15);
        close(d.reliability, 0.7 / 15.0, 1e-15);
        close(d.resolution, 0.1 / 15.0, 1e-15);
        // Forecasts are constant within bins: the identity is exact.
        close(d.within_bin, 0.0, 1e-15);
        assert_eq!(d.table[1].count, 2);
        assert_eq!(d.table[1].observed, Some(0.5));
        assert_eq!(d.table[4].count, 3);
        assert_eq!(d.table[0].mean_forecast, None);
        // p = 1 falls in the last bin.
        let t = reliability_table(&[1.0], &[true], 4).unwrap();
        assert_eq!(t[3].count, 1);
        assert!(brier(&[1.1], &[true]).is_err());
        assert!(brier(&[0.5], &[true, false]).is_err());
        assert!(reliability_table(&[0.5], &[true], 0).is_err());
    }

    #[test]
    fn bad_point_input() {
        assert!(mae(&[], &[]).is_err());
        let e = mae(&[1.0, 2.0], &[1.0]).unwrap_err().to_string();
        assert_eq!(e, "parameter forecast: has 1 values for 2 actuals");
        let e = rmse(&[1.0, f64::NAN], &[1.0, 1.0]).unwrap_err().to_string();
        assert_eq!(e, "parameter actual[1]: must be finite, got NaN");
        assert!(mape(&[0.0], &[1.0]).is_err());
        assert!(mase_scale(&[2.0, 2.0, 2.0]).is_err());
        assert!(mase_scale(&[2.0]).is_err());
        assert!(mase(&[1.0], &[1.0], 0.0).is_err());
    }
}
