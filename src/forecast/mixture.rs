//! Finite mixtures of log-normals: the predictive of a level whose log is a
//! scale mixture of normals (a shock regime, an uncertain spread), with a
//! finite mean, so that the CRPS exists and has a closed form.

use serde::{Deserialize, Serialize};

use super::std_normal_quantile;
use crate::error::{Error, Result};

/// Standard normal CDF through musl's `erfc` (the `libm` crate): a mixture
/// evaluates it hundreds of times per forecast, and statrs' `erf` took two
/// thirds of the backtest's time (and is off by up to 1e-10 relative in
/// the tails, where musl is within 1e-14: test).
fn std_normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

/// One component: with probability `weight`, `ln X ~ N(mu, sigma^2)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// Mixing weight, `>= 0`; the weights sum to 1.
    pub weight: f64,
    /// Mean of the log level.
    pub mu: f64,
    /// Standard deviation of the log level, `>= 0` (0 is a point mass).
    pub sigma: f64,
}

/// Checks a mixture: non-empty, finite, scales `>= 0`, weights `>= 0`
/// summing to 1 (within 1e-9).
pub(crate) fn validate(cs: &[Component]) -> Result<()> {
    if cs.is_empty() {
        return Err(Error::parameter("predictive", "mixture has no components"));
    }
    for (k, c) in cs.iter().enumerate() {
        if !c.mu.is_finite() {
            return Err(Error::parameter(
                &format!("component[{k}].mu"),
                format!("must be finite, got {}", c.mu),
            ));
        }
        if !(c.sigma.is_finite() && c.sigma >= 0.0) {
            return Err(Error::parameter(
                &format!("component[{k}].sigma"),
                format!("must be finite and >= 0, got {}", c.sigma),
            ));
        }
        if !(c.weight.is_finite() && c.weight >= 0.0) {
            return Err(Error::parameter(
                &format!("component[{k}].weight"),
                format!("must be finite and >= 0, got {}", c.weight),
            ));
        }
    }
    let total: f64 = cs.iter().map(|c| c.weight).sum();
    if (total - 1.0).abs() > 1e-9 {
        return Err(Error::parameter(
            "predictive",
            format!("mixture weights must sum to 1, got {total}"),
        ));
    }
    Ok(())
}

/// `P(ln X <= l)` of one component.
fn component_cdf(c: &Component, l: f64) -> f64 {
    if c.sigma == 0.0 {
        if l >= c.mu { 1.0 } else { 0.0 }
    } else {
        std_normal_cdf((l - c.mu) / c.sigma)
    }
}

/// `P(X <= x)` of a checked mixture.
pub(crate) fn cdf(cs: &[Component], x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let l = x.ln();
    cs.iter().map(|c| c.weight * component_cdf(c, l)).sum()
}

/// The `p`-quantile of a checked mixture, `p` in (0, 1): the root of the CDF
/// in logs, bracketed by the components' own `p`-quantiles (the mixture's
/// CDF is their weighted mean, so it crosses `p` between the smallest and
/// the largest), by the Illinois method, to a CDF within 1e-14 of `p`.
pub(crate) fn quantile(cs: &[Component], p: f64) -> f64 {
    if let Some(mu) = scale_mixture_centre(cs) {
        return scale_mixture_quantile(cs, mu, p);
    }
    let z = std_normal_quantile(p);
    let (mut lo, mut hi) = cs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), c| {
            let q = c.mu + c.sigma * z;
            (a.min(q), b.max(q))
        });
    if cs.len() == 1 || hi - lo <= 0.0 {
        return lo.exp();
    }
    let f = |l: f64| -> f64 { cs.iter().map(|c| c.weight * component_cdf(c, l)).sum() };
    // Regula falsi (Illinois) on the bracket: a few steps for smooth
    // mixtures; bisection bounds the count for point masses.
    let (mut flo, mut fhi) = (f(lo) - p, f(hi) - p);
    if flo >= 0.0 {
        return lo.exp();
    }
    if fhi <= 0.0 {
        return hi.exp();
    }
    let mut side = 0i8;
    for it in 0..200 {
        let mid = if it % 8 == 7 {
            0.5 * (lo + hi)
        } else {
            let m = (lo * fhi - hi * flo) / (fhi - flo);
            if m > lo && m < hi { m } else { 0.5 * (lo + hi) }
        };
        let fm = f(mid) - p;
        // A CDF within 1e-14 of p: the quantile is then exact to about
        // 1e-14 / density, far below any score's resolution.
        if fm.abs() <= 1e-14 || hi - lo <= 4.0 * f64::EPSILON * (1.0 + mid.abs()) {
            return mid.exp();
        }
        if fm < 0.0 {
            lo = mid;
            flo = fm;
            if side == -1 {
                fhi *= 0.5;
            }
            side = -1;
        } else {
            hi = mid;
            fhi = fm;
            if side == 1 {
                flo *= 0.5;
            }
            side = 1;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// The centre of a scale mixture (every component at one centre, none a
/// point mass), or `None` for any other mixture. Such a mixture is
/// symmetric in logs: its median is the centre, and `q(1 - p)` mirrors
/// `q(p)`. The calibrated predictive is one, and its quantiles dominated a
/// backtest's time.
fn scale_mixture_centre(cs: &[Component]) -> Option<f64> {
    let mu = cs.first()?.mu;
    (!cs.iter().any(|c| c.mu != mu || c.sigma <= 0.0)).then_some(mu)
}

/// The `p`-quantile of a scale mixture centred at `mu` ([`scale_mixture_centre`]).
fn scale_mixture_quantile(cs: &[Component], mu: f64, p: f64) -> f64 {
    if p == 0.5 {
        return mu.exp();
    }
    let (upper, sign) = if p > 0.5 { (p, 1.0) } else { (1.0 - p, -1.0) };
    (mu + sign * upper_offset(cs, upper)).exp()
}

/// The `upper`-quantile (`upper` in (0.5, 1)) of a scale mixture less its
/// centre, by Halley's method from the Cornish-Fisher start, kept inside
/// the bracket the components' own quantiles give (bisection when a step
/// leaves it).
fn upper_offset(cs: &[Component], upper: f64) -> f64 {
    let z = std_normal_quantile(upper);
    let (smin, smax, m2, m4) =
        cs.iter()
            .fold((f64::INFINITY, 0.0f64, 0.0, 0.0), |(a, b, v, q), c| {
                let s2 = c.sigma * c.sigma;
                (
                    a.min(c.sigma),
                    b.max(c.sigma),
                    v + c.weight * s2,
                    q + c.weight * s2 * s2,
                )
            });
    let (mut lo, mut hi) = (smin * z, smax * z);
    // Cornish-Fisher from the mixture's fourth cumulant (its third is 0):
    // an error of the order of its square, so that one or two steps reach
    // the root.
    let k4 = 3.0 * (m4 / (m2 * m2) - 1.0);
    let cf = z + k4 / 24.0 * (z * z * z - 3.0 * z);
    let mut t = (m2.sqrt() * cf).clamp(lo, hi);
    // P(T > t) rather than P(T <= t) - upper: the tail is where precision
    // is needed, and erfc keeps it there.
    let tail = 1.0 - upper;
    let ln_tail = tail.ln();
    for _ in 0..100 {
        // f = P(T > t), d = its density, d1 = the density's slope (/ phi(0)).
        let (mut f, mut d, mut d1) = (0.0, 0.0, 0.0);
        for c in cs {
            let inv = 1.0 / c.sigma;
            let x = t * inv;
            f += c.weight * 0.5 * libm::erfc(x * std::f64::consts::FRAC_1_SQRT_2);
            let e = c.weight * (-0.5 * x * x).exp() * inv;
            d += e;
            d1 -= e * x * inv;
        }
        // The tail falls with t: above `tail` means t is below the quantile.
        let g = f - tail;
        if g == 0.0 {
            break;
        }
        if g > 0.0 {
            lo = t;
        } else {
            hi = t;
        }
        // Halley on h = ln f - ln tail, nearly linear in t in the tails
        // where f itself is convex: h' = -density / f, h'' = -density' / f
        // - h'^2.
        const PHI0: f64 = 0.398_942_280_401_432_7;
        let h = f.ln() - ln_tail;
        let h1 = -d * PHI0 / f;
        let h2 = -d1 * PHI0 / f - h1 * h1;
        let step = t - 2.0 * h * h1 / (2.0 * h1 * h1 - h * h2);
        let next = if step > lo && step < hi {
            step
        } else {
            0.5 * (lo + hi)
        };
        // Cubic convergence: after a step of 1e-4 the error is near 1e-12
        // (the CDF within about 1e-12 of p, test), below any score.
        let done = (next - t).abs() <= 1e-4 * smax.max(t.abs()) || hi - lo <= f64::EPSILON * hi;
        t = next;
        if done {
            break;
        }
    }
    t
}

/// The quantiles of a checked mixture at `ps` (each in (0, 1)): as
/// [`quantile`], solving a scale mixture's mirrored pairs (0.1 and 0.9) once.
pub(crate) fn quantiles(cs: &[Component], ps: &[f64]) -> Vec<f64> {
    let Some(mu) = scale_mixture_centre(cs) else {
        return ps.iter().map(|&p| quantile(cs, p)).collect();
    };
    let mut solved: Vec<(f64, f64)> = Vec::with_capacity(ps.len());
    ps.iter()
        .map(|&p| {
            if p == 0.5 {
                return mu.exp();
            }
            let (upper, sign) = if p > 0.5 { (p, 1.0) } else { (1.0 - p, -1.0) };
            // 1 - 0.025 and 0.975 may differ in the last bit: one solve.
            let t = match solved
                .iter()
                .find(|(u, _)| (u - upper).abs() <= 4.0 * f64::EPSILON)
            {
                Some(&(_, t)) => t,
                None => {
                    let t = upper_offset(cs, upper);
                    solved.push((upper, t));
                    t
                }
            };
            (mu + sign * t).exp()
        })
        .collect()
}

/// `E|e^D - 1|` for `D ~ N(m, v)`.
fn abs_exp_minus_one(m: f64, v: f64) -> f64 {
    if v <= 0.0 {
        return (m.exp() - 1.0).abs();
    }
    let s = v.sqrt();
    (m + 0.5 * v).exp() * (2.0 * std_normal_cdf((m + v) / s) - 1.0)
        - (2.0 * std_normal_cdf(m / s) - 1.0)
}

/// CRPS of a checked mixture at `y`: `E|X - y| - E|X - X'| / 2`, every term
/// in closed form. For log-normal `X_k`, `E|X_k - y| = E X_k - y +
/// 2 [y Phi(w) - E X_k Phi(w - sigma_k)]`, `w = (ln y - mu_k) / sigma_k`; and
/// `E|X_j - X_k| = E X_k E|e^D - 1|` with `D ~ N(mu_j - mu_k - sigma_k^2,
/// sigma_j^2 + sigma_k^2)` (the expectation under `X_k`'s size-biased law).
pub(crate) fn crps(cs: &[Component], y: f64) -> f64 {
    let means: Vec<f64> = cs
        .iter()
        .map(|c| (c.mu + 0.5 * c.sigma * c.sigma).exp())
        .collect();
    let ln_y = if y > 0.0 { y.ln() } else { 0.0 };
    let mut to_y = 0.0;
    for (c, &m) in cs.iter().zip(&means) {
        let e = if y <= 0.0 {
            m - y
        } else if c.sigma == 0.0 {
            (m - y).abs()
        } else {
            let w = (ln_y - c.mu) / c.sigma;
            m - y + 2.0 * (y * std_normal_cdf(w) - m * std_normal_cdf(w - c.sigma))
        };
        to_y += c.weight * e;
    }
    let mut spread = 0.0;
    for (j, cj) in cs.iter().enumerate() {
        for (k, ck) in cs.iter().enumerate().skip(j) {
            let d = means[k]
                * abs_exp_minus_one(
                    cj.mu - ck.mu - ck.sigma * ck.sigma,
                    cj.sigma * cj.sigma + ck.sigma * ck.sigma,
                );
            let w = cj.weight * ck.weight;
            spread += if j == k { w * d } else { 2.0 * w * d };
        }
    }
    to_y - 0.5 * spread
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::score::{crps_log_normal, crps_samples};
    use crate::simulate::model::testutil::normals;

    fn two() -> Vec<Component> {
        vec![
            Component {
                weight: 0.7,
                mu: 4.6,
                sigma: 0.05,
            },
            Component {
                weight: 0.3,
                mu: 4.5,
                sigma: 0.2,
            },
        ]
    }

    #[test]
    fn one_component_is_the_log_normal() {
        let c = [Component {
            weight: 1.0,
            mu: 1.0,
            sigma: 0.3,
        }];
        for y in [0.5, 2.7, 4.0, -1.0] {
            let a = crps(&c, y);
            let b = crps_log_normal(1.0, 0.3, y).unwrap();
            // statrs' normal CDF, behind crps_log_normal, is off by up to
            // about 1e-10 relative (mpmath), musl's erfc by 1e-16.
            assert!((a - b).abs() < 1e-9 * b, "{y}: {a} {b}");
        }
        // exp(1 + 0.3 * 1.2815515655446004), scipy
        assert!((quantile(&c, 0.9) - 3.9926911197855035).abs() < 1e-12);
    }

    #[test]
    fn quantile_inverts_the_cdf() {
        let c = two();
        for p in [1e-6, 0.025, 0.1, 0.5, 0.9, 0.975, 1.0 - 1e-9] {
            let q = quantile(&c, p);
            assert!((cdf(&c, q) - p).abs() < 1e-12, "{p}");
        }
    }

    #[test]
    fn scale_mixture_quantiles_invert_the_cdf_and_mirror() {
        // A calibrated-like predictive: one centre, 16 scales.
        let cs: Vec<Component> = (0..16)
            .map(|k| Component {
                weight: 1.0 / 16.0,
                mu: 4.6,
                sigma: 0.02 * (1.0 + k as f64).powf(1.3),
            })
            .collect();
        assert_eq!(quantile(&cs, 0.5), 4.6f64.exp());
        for p in [1e-9, 1e-4, 0.025, 0.1, 0.25, 0.6, 0.9, 0.975, 1.0 - 1e-6] {
            let q = quantile(&cs, p);
            assert!((cdf(&cs, q) - p).abs() < 1e-11, "{p}: {}", cdf(&cs, q) - p);
            // The mirror image in logs.
            let m = quantile(&cs, 1.0 - p);
            assert!((q.ln() + m.ln() - 9.2).abs() < 1e-12, "{p}");
        }
        // The batch solves each mirrored pair once, to the same values.
        let ps = [0.025, 0.1, 0.5, 0.9, 0.975];
        let batch = quantiles(&cs, &ps);
        for (p, b) in ps.iter().zip(&batch) {
            assert!((b / quantile(&cs, *p) - 1.0).abs() < 1e-14, "{p}");
        }
    }

    #[test]
    fn crps_matches_monte_carlo() {
        // 400,000 draws: the sample CRPS converges at 1/sqrt(n) (its
        // standard error here is about 0.004); within 0.02 of the closed form.
        let c = two();
        let z = normals(5, 800_000);
        let draws: Vec<f64> = (0..400_000)
            .map(|i| {
                // Phi of a standard normal is uniform: component 0 with 0.7.
                let k = usize::from(std_normal_cdf(z[2 * i]) >= 0.7);
                (c[k].mu + c[k].sigma * z[2 * i + 1]).exp()
            })
            .collect();
        for y in [80.0, 99.0, 120.0] {
            let exact = crps(&c, y);
            let mc = crps_samples(&draws, y).unwrap();
            assert!(
                (exact - mc).abs() < 0.02 * exact.max(1.0),
                "{y}: {exact} {mc}"
            );
        }
    }

    #[test]
    fn the_normal_cdf_is_accurate() {
        // mpmath.ncdf at 30 digits; within 1e-14 relative (5e-15 at -8).
        for (x, want) in [
            (-8.0, 6.220960574271784e-16),
            (-4.4, 5.412543907703851e-06),
            (-1.5, 0.06680720126885807),
            (0.0, 0.5),
            (0.3, 0.6179114221889527),
            (2.0, 0.9772498680518208),
            (5.0, 0.9999997133484281),
        ] {
            let got = std_normal_cdf(x);
            assert!((got - want).abs() <= 1e-14 * want, "{x}: {got}");
        }
    }

    #[test]
    fn bad_mixtures_are_errors() {
        assert!(validate(&[]).is_err());
        let mut c = two();
        c[0].weight = 0.5;
        assert!(validate(&c).unwrap_err().to_string().contains("sum to 1"));
        let mut c = two();
        c[1].sigma = -1.0;
        assert!(validate(&c).unwrap_err().to_string().contains("sigma"));
    }
}
