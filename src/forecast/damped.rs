//! Damped-trend exponential smoothing (Holt's method with a damped trend).

use super::{Fitted, Forecast, Method, check_history, check_horizon, log_normal_forecast};
use crate::error::Result;

/// ETS(A,Ad,N) on the log level (the growth rate is smoothed and damped):
///
/// ```text
/// e_t = y_t - (l_{t-1} + phi b_{t-1})
/// l_t = l_{t-1} + phi b_{t-1} + alpha e_t
/// b_t = phi b_{t-1} + alpha beta e_t
/// ```
///
/// with `l = y_1`, `b = y_2 - y_1` after the second year. `alpha`, `beta`
/// (the trend's share of `alpha`, both in (0, 1)) and `phi` in [0.8, 0.98]
/// (fable's bounds) minimise the sum of squared one-step errors: a grid, then
/// Nelder-Mead from its best point. The log level `h` years ahead is normal
/// with mean `l_n + (phi + ... + phi^h) b_n` and variance
/// `s^2 (1 + sum_{j<h} (alpha + alpha beta (phi + ... + phi^j))^2)`
/// (Hyndman et al. 2008, class 1), `s^2` the mean squared one-step error.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DampedHolt;

/// Bounds of `(alpha, beta, phi)`.
const LO: [f64; 3] = [1e-4, 1e-4, 0.8];
const HI: [f64; 3] = [0.9999, 0.9999, 0.98];

/// Smoothing parameters and the states after the last year.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fit {
    alpha: f64,
    beta: f64,
    phi: f64,
    level: f64,
    trend: f64,
    s: f64,
}

/// Runs the recursions; returns (SSE, one-step errors, final level, trend).
fn run(y: &[f64], p: &[f64; 3]) -> (f64, usize, f64, f64) {
    let [alpha, beta, phi] = *p;
    let (mut l, mut b) = (y[1], y[1] - y[0]);
    let mut sse = 0.0;
    for &v in &y[2..] {
        let f = l + phi * b;
        let e = v - f;
        sse += e * e;
        l = f + alpha * e;
        b = phi * b + alpha * beta * e;
    }
    (sse, y.len() - 2, l, b)
}

fn clamp(p: &[f64; 3]) -> [f64; 3] {
    std::array::from_fn(|i| p[i].clamp(LO[i], HI[i]))
}

impl Fit {
    fn estimate(y: &[f64]) -> Fit {
        let sse = |p: &[f64; 3]| run(y, &clamp(p)).0;
        let mut best = ([0.5, 0.5, 0.9], f64::INFINITY);
        for a in 1..=9 {
            for b in 1..=9 {
                for phi in [0.8, 0.85, 0.9, 0.95, 0.98] {
                    let p = [a as f64 / 10.0, b as f64 / 10.0, phi];
                    let v = sse(&p);
                    // Strict: ties keep the first grid point, deterministically.
                    if v < best.1 {
                        best = (p, v);
                    }
                }
            }
        }
        let p = clamp(&crate::solve::nelder_mead(sse, best.0, 0.05, 200));
        let (sse, m, level, trend) = run(y, &p);
        Fit {
            alpha: p[0],
            beta: p[1],
            phi: p[2],
            level,
            trend,
            s: (sse / m as f64).sqrt(),
        }
    }
}

impl Fitted for Fit {
    fn forecast(&self, horizon: usize) -> Result<Forecast> {
        check_horizon(horizon)?;
        // phi_j = phi + ... + phi^j, accumulated; variance terms use j < h.
        let (mut phi_j, mut pow, mut var) = (0.0, 1.0, 1.0);
        for _ in 1..horizon {
            pow *= self.phi;
            phi_j += pow;
            var += (self.alpha + self.alpha * self.beta * phi_j).powi(2);
        }
        let phi_h = phi_j + pow * self.phi;
        log_normal_forecast(
            horizon,
            self.level + phi_h * self.trend,
            self.s * var.sqrt(),
        )
    }
}

impl Method for DampedHolt {
    fn name(&self) -> String {
        "damped_holt".into()
    }

    fn min_history(&self) -> usize {
        5
    }

    fn fit(&self, history: &[f64]) -> Result<Box<dyn Fitted>> {
        check_history("damped_holt", history, self.min_history(), true)?;
        let y: Vec<f64> = history.iter().map(|v| v.ln()).collect();
        Ok(Box::new(Fit::estimate(&y)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recursion_and_forecast_by_hand() {
        // y = 0, 1, 1.5, 2 with alpha 0.5, beta 0.5, phi 0.9:
        // l = 1, b = 1; t=2: f = 1.9, e = -0.4, l = 1.7, b = 0.9 - 0.1 = 0.8;
        // t=3: f = 1.7 + 0.72 = 2.42, e = -0.42, l = 2.21, b = 0.72 - 0.105
        // = 0.615. SSE = 0.16 + 0.1764 = 0.3364 over 2 errors.
        let (sse, m, l, b) = run(&[0.0, 1.0, 1.5, 2.0], &[0.5, 0.5, 0.9]);
        assert!((sse - 0.3364).abs() < 1e-12 && m == 2);
        assert!((l - 2.21).abs() < 1e-12 && (b - 0.615).abs() < 1e-12);
        let fit = Fit {
            alpha: 0.5,
            beta: 0.5,
            phi: 0.9,
            level: l,
            trend: b,
            s: (0.3364f64 / 2.0).sqrt(),
        };
        // h = 2: mean 2.21 + (0.9 + 0.81) 0.615 = 3.26165; variance
        // s^2 (1 + (0.5 + 0.25 * 0.9)^2) = 0.1682 * 1.525625 = 0.256610125.
        match fit.forecast(2).unwrap().predictive {
            crate::forecast::Predictive::LogNormal { mu, sigma } => {
                assert!((mu - 3.26165).abs() < 1e-12, "{mu}");
                assert!((sigma * sigma - 0.256610125).abs() < 1e-12);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn estimates_minimise_the_errors() {
        // A damped series: growth 0.1 shrinking by 0.9 a year, with noise.
        let noise = [
            0.01, -0.02, 0.015, 0.0, -0.01, 0.02, -0.015, 0.005, 0.0, 0.01,
        ];
        let (mut y, mut g) = (vec![0.0f64], 0.1);
        for e in noise {
            y.push(y.last().unwrap() + g + e);
            g *= 0.9;
        }
        let fit = Fit::estimate(&y);
        let best = run(&y, &[fit.alpha, fit.beta, fit.phi]).0;
        // No grid point does better than the optimum.
        for a in 1..=19 {
            for b in 1..=19 {
                for phi in [0.8, 0.84, 0.88, 0.92, 0.96, 0.98] {
                    let p = [a as f64 / 20.0, b as f64 / 20.0, phi];
                    assert!(run(&y, &p).0 >= best - 1e-12, "{p:?}");
                }
            }
        }
        assert!(DampedHolt.fit(&[1.0, 2.0, 3.0, 4.0]).is_err());
        assert!(DampedHolt.fit(&[1.0, 2.0, 3.0, 4.0, 5.0]).is_ok());
    }
}
