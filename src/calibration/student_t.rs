//! Student-t location, scale and degrees of freedom by maximum likelihood.

use serde::{Deserialize, Serialize};

use super::{
    DF_MAX, DF_MIN, MIN_T_YEARS, Matrix2, StudentT, check_finite, is_constant, ln_gamma, mean, pct,
    sample_sd, too_short,
};
use crate::error::{Error, Result};

/// Which bound of the degrees of freedom the likelihood ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DfBound {
    /// [`DF_MIN`]: tails at least this heavy.
    Floor,
    /// [`DF_MAX`]: no evidence of heavy tails; effectively normal.
    Cap,
}

/// Student-t fit of annual log growth by maximum likelihood:
/// `g = location + scale T_df`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentTFit {
    /// Location (the median of annual log growth).
    pub location: f64,
    /// Its standard error.
    pub location_se: f64,
    /// Scale (the standard deviation is `scale sqrt(df / (df - 2))`).
    pub scale: f64,
    /// Its standard error.
    pub scale_se: f64,
    /// Degrees of freedom, in `[DF_MIN, DF_MAX]`.
    pub df: f64,
    /// Its standard error; `None` when the estimate sits on a bound.
    pub df_se: Option<f64>,
    /// The bound the estimate sits on, if any.
    pub bound: Option<DfBound>,
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// Years of log growth used.
    pub n: usize,
}

/// Log-likelihood of a Student-t sample.
pub(super) fn t_loglik(g: &[f64], loc: f64, scale: f64, df: f64) -> f64 {
    let n = g.len() as f64;
    let c = ln_gamma(0.5 * (df + 1.0))
        - ln_gamma(0.5 * df)
        - 0.5 * (df * std::f64::consts::PI).ln()
        - scale.ln();
    let s: f64 = g
        .iter()
        .map(|x| ((x - loc) / scale).powi(2) / df)
        .map(f64::ln_1p)
        .sum();
    n * c - 0.5 * (df + 1.0) * s
}

/// Location and scale maximising the likelihood at fixed `df`, by the EM
/// iteration (reweighted mean and variance); it increases the likelihood at
/// every step, so it cannot diverge. Starts from `(loc, scale)`.
pub(super) fn t_em(g: &[f64], df: f64, mut loc: f64, mut scale: f64) -> (f64, f64) {
    let n = g.len() as f64;
    for _ in 0..2_000 {
        let (mut sw, mut swx) = (0.0, 0.0);
        let ws: Vec<f64> = g
            .iter()
            .map(|x| (df + 1.0) / (df + ((x - loc) / scale).powi(2)))
            .collect();
        for (w, x) in ws.iter().zip(g) {
            sw += w;
            swx += w * x;
        }
        let new_loc = swx / sw;
        let var: f64 = ws
            .iter()
            .zip(g)
            .map(|(w, x)| w * (x - new_loc).powi(2))
            .sum::<f64>()
            / n;
        let new_scale = var.sqrt();
        if !(new_scale > 0.0 && new_loc.is_finite()) {
            break;
        }
        let done =
            (new_loc - loc).abs() <= 1e-13 * scale && (new_scale / scale - 1.0).abs() < 1e-12;
        loc = new_loc;
        scale = new_scale;
        if done {
            break;
        }
    }
    (loc, scale)
}

/// Trigamma function, by the recurrence up to 6 and the asymptotic series
/// (absolute error below 1e-9).
pub(crate) fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 6.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    acc + 1.0 / x
        + 0.5 * x2
        + x2 / x * (1.0 / 6.0 - x2 * (1.0 / 30.0 - x2 * (1.0 / 42.0 - x2 / 30.0)))
}

impl StudentTFit {
    /// Estimates by maximum likelihood. The degrees of freedom are searched on
    /// a log grid over `[DF_MIN, DF_MAX]` and refined by golden section, with
    /// location and scale profiled out by EM at each trial value; standard
    /// errors come from the expected Fisher information (Lange, Little and
    /// Taylor 1989), with `df` held fixed when it sits on a bound.
    pub fn estimate(id: &str, g: &[f64]) -> Result<Self> {
        check_finite(id, g)?;
        let n = g.len();
        if n < MIN_T_YEARS {
            return Err(too_short(id, "a Student-t fit", MIN_T_YEARS, n));
        }
        let sd = sample_sd(g);
        if is_constant(g) {
            return Err(Error::indicator(
                id,
                "history",
                "log growth is constant: the Student-t scale is not identified",
            ));
        }
        let start = (mean(g), sd);
        let profile = |ln_df: f64| -> (f64, f64, f64) {
            let df = ln_df.exp();
            let (loc, scale) = t_em(g, df, start.0, start.1);
            (t_loglik(g, loc, scale, df), loc, scale)
        };
        let (lo, hi) = (DF_MIN.ln(), DF_MAX.ln());
        const GRID: usize = 24;
        let grid: Vec<f64> = (0..=GRID)
            .map(|k| lo + (hi - lo) * k as f64 / GRID as f64)
            .collect();
        let best = grid
            .iter()
            .map(|&x| profile(x).0)
            .enumerate()
            .fold(
                (0, f64::NEG_INFINITY),
                |b, (k, v)| if v > b.1 { (k, v) } else { b },
            )
            .0;
        // Golden section on the two grid cells around the best point.
        let (a, b) = (grid[best.saturating_sub(1)], grid[(best + 1).min(GRID)]);
        let mut ln_df = crate::solve::golden_max(|x| profile(x).0, a, b, 1e-7);
        // The ends of the range are candidates too (golden section never
        // evaluates them exactly).
        for end in [lo, hi] {
            if profile(end).0 >= profile(ln_df).0 {
                ln_df = end;
            }
        }
        let bound = if ln_df - lo < 1e-4 {
            ln_df = lo;
            Some(DfBound::Floor)
        } else if hi - ln_df < 1e-4 {
            ln_df = hi;
            Some(DfBound::Cap)
        } else {
            None
        };
        let df = match bound {
            Some(DfBound::Floor) => DF_MIN,
            Some(DfBound::Cap) => DF_MAX,
            None => ln_df.exp(),
        };
        let (log_likelihood, location, scale) = profile(df.ln());
        // Expected information per observation.
        let s2 = scale * scale;
        let i_ll = (df + 1.0) / ((df + 3.0) * s2);
        let i_ss = 2.0 * df / ((df + 3.0) * s2);
        let i_sd = -2.0 / ((df + 1.0) * (df + 3.0) * scale);
        let i_dd = 0.25 * (trigamma(0.5 * df) - trigamma(0.5 * (df + 1.0)))
            - (df + 5.0) / (2.0 * df * (df + 1.0) * (df + 3.0));
        let nf = n as f64;
        let location_se = (1.0 / (nf * i_ll)).sqrt();
        let (scale_se, df_se) = match bound {
            Some(_) => ((1.0 / (nf * i_ss)).sqrt(), None),
            None => {
                let info = Matrix2::new(i_ss, i_sd, i_sd, i_dd) * nf;
                match info.try_inverse() {
                    Some(inv) if inv[(0, 0)] > 0.0 && inv[(1, 1)] > 0.0 => {
                        (inv[(0, 0)].sqrt(), Some(inv[(1, 1)].sqrt()))
                    }
                    _ => ((1.0 / (nf * i_ss)).sqrt(), None),
                }
            }
        };
        Ok(StudentTFit {
            location,
            location_se,
            scale,
            scale_se,
            df,
            df_se,
            bound,
            log_likelihood,
            n,
        })
    }

    /// Standard deviation of annual log growth implied by the fit.
    pub fn sd(&self) -> f64 {
        self.scale * (self.df / (self.df - 2.0)).sqrt()
    }

    /// The Student-t model at the estimates (median growth from the location).
    pub fn to_student_t(&self) -> Result<StudentT> {
        StudentT::new(pct(self.location), self.scale, self.df)
    }
}
