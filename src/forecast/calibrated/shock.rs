//! A shock component in growth: a two-component, zero-mean scale mixture of
//! normals fitted by EM to standardized growth residuals pooled over a
//! panel, kept only where the data support it (BIC).

use serde::{Deserialize, Serialize};

/// Growth innovations are `N(0, calm)` with probability `1 - prob` and
/// `N(0, shock)` with probability `prob`, in units of the series' variance
/// (`(1 - prob) calm + prob shock = 1`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Shocks {
    /// Probability of a shock year.
    pub prob: f64,
    /// Variance of a calm year, relative to the series' variance (`< 1`).
    pub calm: f64,
    /// Variance of a shock year, relative (`> 1`).
    pub shock: f64,
    /// Residuals it was fitted on.
    pub residuals: usize,
}

/// Fewest residuals to fit a shock component on.
pub const MIN_RESIDUALS: usize = 30;

const EM_STEPS: usize = 60;

/// Log density of `N(0, v)` at `z` (squared: `z2`).
fn log_normal_density(z2: f64, v: f64) -> f64 {
    -0.5 * (z2 / v + v.ln() + (2.0 * std::f64::consts::PI).ln())
}

/// Fits the mixture to standardized residuals `z`; `None` with fewer than
/// [`MIN_RESIDUALS`], or when the mixture does not beat one normal by the
/// BIC (two more parameters: `2 ln N`).
pub fn fit(z: &[f64]) -> Option<Shocks> {
    let n = z.len();
    if n < MIN_RESIDUALS {
        return None;
    }
    let z2: Vec<f64> = z.iter().map(|x| x * x).collect();
    let total = z2.iter().sum::<f64>() / n as f64;
    if !(total.is_finite() && total > 0.0) {
        return None;
    }
    let (mut p, mut v1, mut v2) = (0.1f64, 0.7 * total, 3.7 * total);
    let mut resp = vec![0.0; n];
    for _ in 0..EM_STEPS {
        let (mut sr, mut sr_z2, mut s1_z2) = (0.0, 0.0, 0.0);
        for (r, &q) in resp.iter_mut().zip(&z2) {
            let a = (1.0 - p).ln() + log_normal_density(q, v1);
            let b = p.ln() + log_normal_density(q, v2);
            *r = 1.0 / (1.0 + (a - b).exp());
            sr += *r;
            sr_z2 += *r * q;
            s1_z2 += (1.0 - *r) * q;
        }
        // Keep both components alive and ordered: a collapsed one is the
        // single normal, which the BIC then prefers.
        p = (sr / n as f64).clamp(1e-4, 0.5);
        v1 = (s1_z2 / (n as f64 - sr).max(1e-9)).max(1e-6 * total);
        v2 = (sr_z2 / sr.max(1e-9)).max(v1);
    }
    let ll_mix: f64 = z2
        .iter()
        .map(|&q| {
            let a = (1.0 - p).ln() + log_normal_density(q, v1);
            let b = p.ln() + log_normal_density(q, v2);
            a.max(b) + (-(a - b).abs()).exp().ln_1p()
        })
        .sum();
    let ll_one: f64 = z2.iter().map(|&q| log_normal_density(q, total)).sum();
    let gain = 2.0 * (ll_mix - ll_one);
    if gain.is_nan() || gain <= 2.0 * (n as f64).ln() || v2 <= v1 {
        return None;
    }
    let scale = (1.0 - p) * v1 + p * v2;
    Some(Shocks {
        prob: p,
        calm: v1 / scale,
        shock: v2 / scale,
        residuals: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::std_normal_cdf;
    use crate::simulate::model::testutil::normals;

    #[test]
    fn finds_a_known_mixture_and_not_a_normal() {
        // 20,000 draws, shock probability 0.1 with variance 9 against 1.
        let z = normals(3, 40_000);
        let mixed: Vec<f64> = (0..20_000)
            .map(|i| {
                let s = if std_normal_cdf(z[2 * i]) < 0.1 {
                    3.0
                } else {
                    1.0
                };
                s * z[2 * i + 1]
            })
            .collect();
        let s = fit(&mixed).unwrap();
        // Relative to the total variance 0.9 + 0.9 = 1.8.
        assert!((s.prob - 0.1).abs() < 0.02, "{s:?}");
        assert!((s.calm - 1.0 / 1.8).abs() < 0.05, "{s:?}");
        assert!((s.shock - 9.0 / 1.8).abs() < 0.5, "{s:?}");
        assert!(((1.0 - s.prob) * s.calm + s.prob * s.shock - 1.0).abs() < 1e-12);
        assert!(fit(&z[..5000]).is_none());
        assert!(fit(&z[..10]).is_none());
    }
}
