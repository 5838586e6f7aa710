//! Partial pooling of mean growth and log-volatility across the series of a
//! panel: empirical Bayes with normal-normal shrinkage, the between-series
//! variances estimated by moments (DerSimonian and Laird 1986).
//!
//! Each series' log sample variance is first made unbiased for `ln sigma^2`
//! (`E ln s^2 = ln sigma^2 + psi(k/2) - ln(k/2)` for `k = n - 1` degrees of
//! freedom, with sampling variance `psi'(k/2)`), then shrunk toward the
//! precision-weighted cross-section mean; the drift is shrunk the same way,
//! its sampling variance being the shrunk variance over `n`.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::function::gamma::digamma;

use crate::calibration::student_t::trigamma;

/// One series' growth statistics at an origin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GrowthStats {
    /// Annual log growths spanned (`>= 2`), filled years included.
    pub n: usize,
    /// Growths' worth of information in the drift estimate: `n` for a
    /// fixed drift, fewer when it wanders.
    pub n_eff: f64,
    /// Their mean (the gap's total change counts: the drift's estimate).
    pub mean: f64,
    /// The sample variance of the observed growths (divisor `var_n - 1`),
    /// `> 0`.
    pub var: f64,
    /// Observed growths behind `var` (`2..=n`): none touches a filled value.
    pub var_n: usize,
}

/// The cross-section the series are shrunk toward, and how strongly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pool {
    /// Series pooled.
    pub series: usize,
    /// Cross-section mean of the (bias-corrected) log variances.
    pub log_var_mean: f64,
    /// Between-series variance of the log variances (`>= 0`; 0 pools fully).
    pub log_var_tau2: f64,
    /// Cross-section mean drift (log growth a year).
    pub drift_mean: f64,
    /// Between-series variance of the drifts (`>= 0`).
    pub drift_tau2: f64,
}

/// One series' pooled estimates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pooled {
    /// Posterior mean drift.
    pub drift: f64,
    /// Posterior variance of the drift (its estimation error).
    pub drift_var: f64,
    /// Shrunk variance of annual log growth (the posterior median: the
    /// exponential of the log variance's posterior mean).
    pub var: f64,
    /// Posterior variance of the log variance: how little the volatility
    /// is known (large for a series with two or three growths).
    pub log_var_var: f64,
    /// Weight of the series' own drift in its posterior mean (1 = no
    /// pooling, 0 = the cross-section mean alone).
    pub drift_weight: f64,
    /// Weight of its own log variance.
    pub var_weight: f64,
}

/// Fewest series for pooling: the between-series variance needs a spread.
pub const MIN_POOL: usize = 3;

/// Floor on a sample variance, so that a series of constant growth has a
/// finite log variance (it is then pooled toward its peers).
pub(crate) const VAR_FLOOR: f64 = 1e-10;

/// Bias of `ln s^2` for `k` degrees of freedom and its sampling variance.
fn log_var_moments(k: f64) -> (f64, f64) {
    let half = 0.5 * k;
    (digamma(half) - half.ln(), trigamma(half))
}

/// Precision-weighted mean and moment estimate of the between variance of
/// `x` with sampling variances `s` (DerSimonian-Laird); `(mean, tau2)`.
fn random_effects(x: &[f64], s: &[f64]) -> (f64, f64) {
    let w: Vec<f64> = s.iter().map(|v| 1.0 / v).collect();
    let sw: f64 = w.iter().sum();
    let fixed = x.iter().zip(&w).map(|(x, w)| x * w).sum::<f64>() / sw;
    let q: f64 = x.iter().zip(&w).map(|(x, w)| w * (x - fixed).powi(2)).sum();
    let c = sw - w.iter().map(|w| w * w).sum::<f64>() / sw;
    let k = x.len() as f64;
    let tau2 = if c > 0.0 {
        ((q - (k - 1.0)) / c).max(0.0)
    } else {
        0.0
    };
    let wr: Vec<f64> = s.iter().map(|v| 1.0 / (v + tau2)).collect();
    let swr: f64 = wr.iter().sum();
    let mean = x.iter().zip(&wr).map(|(x, w)| x * w).sum::<f64>() / swr;
    (mean, tau2)
}

/// Shrinks `x` (sampling variance `s`) toward `mean` with between variance
/// `tau2`: the posterior mean, its variance and the weight on `x`. With
/// `tau2 = 0` it is the mean, with the mean's own uncertainty `mean_var`.
fn shrink(x: f64, s: f64, mean: f64, tau2: f64, mean_var: f64) -> (f64, f64, f64) {
    if tau2 <= 0.0 {
        return (mean, mean_var, 0.0);
    }
    let b = tau2 / (tau2 + s);
    (
        b * x + (1.0 - b) * mean,
        b * s + (1.0 - b).powi(2) * mean_var,
        b,
    )
}

/// `(1 + phi) / (1 - phi)`: how much persistent growth (AR(1) with `phi`)
/// inflates the variance of a mean over what independent years give.
fn long_run(phi: f64) -> f64 {
    (1.0 + phi) / (1.0 - phi)
}

/// A sample variance of `n` persistent growths made unbiased for their
/// marginal variance (to first order: `E s^2 ~ sigma^2 (1 - (k - 1) / (n - 1))`
/// for long-run factor `k`), its correction capped at 2.
fn marginal_var(s: &GrowthStats, phi: f64) -> f64 {
    let shrink = 1.0 - (long_run(phi) - 1.0) / (s.var_n as f64 - 1.0);
    s.var.max(VAR_FLOOR) / shrink.max(0.5)
}

/// Pools `stats` (each with `n >= 2`, `var > 0`) of growths with persistence
/// `phi` (`[0, 1)`; 0 for independent years): the cross-section and each
/// series' posterior. Persistence widens each drift's sampling variance by
/// `(1 + phi) / (1 - phi)` and corrects the sample variances' downward bias.
/// With fewer than [`MIN_POOL`] series each keeps its own estimates (weight
/// 1) and the pool is `None`.
pub fn pool(stats: &[GrowthStats], phi: f64) -> (Option<Pool>, Vec<Pooled>) {
    if stats.len() < MIN_POOL {
        return (None, stats.iter().map(|s| unpooled(*s, phi)).collect());
    }
    let k = long_run(phi);
    // Per series in parallel (digamma and trigamma per series are the
    // pool's cost); every sum below runs in series order.
    let (lv, ls): (Vec<f64>, Vec<f64>) = stats
        .par_iter()
        .map(|s| {
            let (bias, var) = log_var_moments(s.var_n as f64 - 1.0);
            (marginal_var(s, phi).ln() - bias, var)
        })
        .unzip();
    let (log_var_mean, log_var_tau2) = random_effects(&lv, &ls);
    let lv_mean_var = 1.0 / ls.iter().map(|s| 1.0 / (s + log_var_tau2)).sum::<f64>();
    let shrunk: Vec<(f64, f64, f64)> = lv
        .par_iter()
        .zip(&ls)
        .map(|(&l, &s)| {
            let (post, post_var, b) = shrink(l, s, log_var_mean, log_var_tau2, lv_mean_var);
            (post.exp(), b, post_var)
        })
        .collect();
    let means: Vec<f64> = stats.iter().map(|s| s.mean).collect();
    let sems: Vec<f64> = stats
        .iter()
        .zip(&shrunk)
        .map(|(s, (v, _, _))| k * v / s.n_eff)
        .collect();
    let (drift_mean, drift_tau2) = random_effects(&means, &sems);
    let mean_var = 1.0 / sems.iter().map(|s| 1.0 / (s + drift_tau2)).sum::<f64>();
    let pooled = means
        .iter()
        .zip(&sems)
        .zip(&shrunk)
        .map(|((&m, &s), &(var, var_weight, log_var_var))| {
            let (drift, drift_var, drift_weight) = shrink(m, s, drift_mean, drift_tau2, mean_var);
            Pooled {
                drift,
                drift_var,
                var,
                log_var_var,
                drift_weight,
                var_weight,
            }
        })
        .collect();
    (
        Some(Pool {
            series: stats.len(),
            log_var_mean,
            log_var_tau2,
            drift_mean,
            drift_tau2,
        }),
        pooled,
    )
}

/// A series' own estimates, unpooled (growths with persistence `phi`).
pub(crate) fn unpooled(s: GrowthStats, phi: f64) -> Pooled {
    let var = marginal_var(&s, phi);
    Pooled {
        drift: s.mean,
        drift_var: long_run(phi) * var / s.n_eff,
        var,
        log_var_var: log_var_moments(s.var_n as f64 - 1.0).1,
        drift_weight: 1.0,
        var_weight: 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::model::testutil::normals;

    #[test]
    fn recovers_a_known_hierarchy() {
        // 400 series of 12 growths: drift_i ~ N(0.04, 0.01^2), sigma 0.03
        // for all. The moment estimates of the drift mean and between
        // variance must land within 4.5 of their standard errors: the mean's
        // is sqrt((tau2 + s^2/n) / K) = 0.00058; the between variance's is
        // about sqrt(2/K) (tau2 + s^2/n) = 1.9e-5 (normal theory).
        let (k, n) = (400, 12);
        let z = normals(11, k * (n + 1));
        let stats: Vec<GrowthStats> = (0..k)
            .map(|i| {
                let drift = 0.04 + 0.01 * z[i * (n + 1)];
                let g: Vec<f64> = (0..n)
                    .map(|t| drift + 0.03 * z[i * (n + 1) + 1 + t])
                    .collect();
                let mean = g.iter().sum::<f64>() / n as f64;
                let var = g.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
                GrowthStats {
                    n,
                    n_eff: n as f64,
                    mean,
                    var,
                    var_n: n,
                }
            })
            .collect();
        let (p, post) = pool(&stats, 0.0);
        let p = p.unwrap();
        let sem2 = 0.03f64.powi(2) / n as f64;
        let se_mean = ((1e-4 + sem2) / k as f64).sqrt();
        assert!((p.drift_mean - 0.04).abs() < 4.5 * se_mean, "{p:?}");
        let se_tau = (2.0 / k as f64).sqrt() * (1e-4 + sem2);
        assert!((p.drift_tau2 - 1e-4).abs() < 4.5 * se_tau, "{p:?}");
        // Equal volatility: the log variances pool almost fully toward ln 0.03^2.
        assert!((p.log_var_mean - 0.0009f64.ln()).abs() < 0.05, "{p:?}");
        assert!(p.log_var_tau2 < 0.02, "{p:?}");
        // The drift weight is tau2 / (tau2 + s^2/n) = 1e-4 / 1.75e-4 = 0.571.
        let w = post.iter().map(|q| q.drift_weight).sum::<f64>() / k as f64;
        assert!((w - 1e-4 / (1e-4 + sem2)).abs() < 0.1, "{w}");
    }

    #[test]
    fn few_series_are_not_pooled() {
        let s = [
            GrowthStats {
                n: 5,
                n_eff: 5.0,
                mean: 0.1,
                var: 0.01,
                var_n: 5,
            },
            GrowthStats {
                n: 5,
                n_eff: 5.0,
                mean: 0.0,
                var: 0.04,
                var_n: 5,
            },
        ];
        let (p, post) = pool(&s, 0.0);
        assert!(p.is_none());
        assert_eq!(post[0].drift, 0.1);
        assert!((post[1].drift_var - 0.04 / 5.0).abs() < 1e-15);
    }
}
