//! Fat tails: Student-t annual shocks to log growth.

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::ar1::{check_growth, check_sd};
use super::{GrowthModel, SimRng, Start};
use crate::attainment::normal_cdf;
use crate::error::{Error, Result};

/// Annual log growth `mu + scale t`, i.i.d., with `mu = ln(1 + growth_pct/100)`
/// and `t` a standard Student-t with `df` degrees of freedom. The median path
/// grows at `growth_pct` a year; the variance of annual log growth is
/// `scale^2 df / (df - 2)` for `df > 2` (infinite otherwise).
///
/// `t = F_df^{-1}(Phi(z))` (a Gaussian copula), so the engine's correlation
/// across indicators reaches the t marginals.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudentT {
    /// Median annual growth, percent.
    pub growth_pct: f64,
    /// Scale of the annual t shock to log growth.
    pub scale: f64,
    /// Degrees of freedom, finite and > 0 (small = fat tails).
    pub df: f64,
}

impl StudentT {
    /// Checked constructor.
    pub fn new(growth_pct: f64, scale: f64, df: f64) -> Result<Self> {
        let m = StudentT {
            growth_pct,
            scale,
            df,
        };
        m.validate()?;
        Ok(m)
    }

    /// Mean annual log growth (also its median).
    pub fn mu(&self) -> f64 {
        (self.growth_pct / 100.0).ln_1p()
    }

    /// Variance of annual log growth: `scale^2 df / (df - 2)`, infinite for
    /// `df <= 2`.
    pub fn log_growth_variance(&self) -> f64 {
        if self.df > 2.0 {
            self.scale * self.scale * self.df / (self.df - 2.0)
        } else {
            f64::INFINITY
        }
    }
}

/// The standard t quantile at `Phi(z)`. The quantile is taken of the smaller
/// tail `Phi(-|z|)` and reflected, since `1 - Phi(z)` loses the upper tail to
/// rounding.
fn t_of_z(t: &StudentsT, z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    // In [0, 0.5]: inverse_cdf's domain check cannot fire.
    let q = t.inverse_cdf(normal_cdf(-z.abs()));
    if z < 0.0 { q } else { -q }
}

impl GrowthModel for StudentT {
    fn validate(&self) -> Result<()> {
        check_growth(self.growth_pct)?;
        check_sd("scale", self.scale)?;
        if self.df.is_finite() && self.df > 0.0 {
            Ok(())
        } else {
            Err(Error::parameter(
                "df",
                format!("must be finite and > 0, got {}", self.df),
            ))
        }
    }

    fn simulate(&self, start: Start, z: &[f64], paths: usize, _rng: &mut SimRng, out: &mut [f64]) {
        if paths == 0 {
            return;
        }
        let Ok(t) = StudentsT::new(0.0, 1.0, self.df) else {
            // Unvalidated parameters: no panic, no numbers.
            out.fill(f64::NAN);
            return;
        };
        let mu = self.mu();
        let mut lx = vec![0.0; paths];
        for (zt, ot) in z.chunks_exact(paths).zip(out.chunks_exact_mut(paths)) {
            for ((l, o), &zi) in lx.iter_mut().zip(ot.iter_mut()).zip(zt) {
                *l += mu + self.scale * t_of_z(&t, zi);
                *o = start.level * l.exp();
            }
        }
    }

    fn growth_pct(&self) -> Option<f64> {
        Some(self.growth_pct)
    }

    fn shift_growth(&mut self, delta: f64) -> bool {
        self.growth_pct = 100.0 * (self.mu() + delta).exp_m1();
        true
    }

    fn scale_volatility(&mut self, factor: f64) -> bool {
        self.scale *= factor;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_moments, log_growths};
    use super::*;

    #[test]
    fn quantile_of_z_matches_reference() {
        let t5 = StudentsT::new(0.0, 1.0, 5.0).unwrap();
        // mpmath (40 digits), t_5 quantile at Phi(z):
        // z = 1.959963984540054 -> 2.5705818356363152; z = 3 -> 5.5070797124692919;
        // z = 8 -> 1724.5785118577528; z = -0.5 -> -0.53267034755669061.
        for (z, want) in [
            (1.959963984540054, 2.570_581_835_636_315),
            (3.0, 5.507_079_712_469_292),
            (8.0, 1_724.578_511_857_752_8),
            (-0.5, -0.532_670_347_556_690_6),
            (-8.0, -1_724.578_511_857_752_8),
        ] {
            let got = t_of_z(&t5, z);
            assert!(
                (got - want).abs() < 1e-9 * want.abs(),
                "z {z}: {got} vs {want}"
            );
        }
        assert_eq!(t_of_z(&t5, 0.0), 0.0);
        assert!(t_of_z(&t5, f64::NAN).is_nan());
    }

    #[test]
    fn moments_match_closed_form() {
        let m = StudentT::new(7.0, 0.03, 10.0).unwrap();
        let g = log_growths(&m, 11, 10_000, 3);
        // mean ln(1.07); variance 0.03^2 * 10/8 = 0.001125.
        assert!((m.log_growth_variance() - 0.001_125).abs() < 1e-15);
        assert_moments(&g, 1.07f64.ln(), 0.001_125);
    }

    #[test]
    fn marginal_is_student_t() {
        let m = StudentT::new(3.0, 0.02, 3.0).unwrap();
        let g = log_growths(&m, 12, 10_000, 2);
        let t3 = StudentsT::new(0.0, 1.0, 3.0).unwrap();
        let n = g.len() as f64;
        let mu = 1.03f64.ln();
        for x in [-6.0, -2.0, -0.7, 0.0, 0.4, 1.5, 4.0, 10.0] {
            let p = t3.cdf(x);
            let freq = g.iter().filter(|&&v| (v - mu) / 0.02 <= x).count() as f64 / n;
            let se = (p * (1.0 - p) / n).sqrt();
            assert!((freq - p).abs() < 4.5 * se, "x {x}: {freq} vs {p}");
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        for (m, name) in [
            (StudentT::new(5.0, 0.02, 0.0), "df"),
            (StudentT::new(5.0, 0.02, f64::NAN), "df"),
            (StudentT::new(5.0, 0.02, f64::INFINITY), "df"),
            (StudentT::new(5.0, -0.02, 4.0), "scale"),
            (StudentT::new(-101.0, 0.02, 4.0), "growth_pct"),
        ] {
            let e = m.unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
        let mut m = StudentT::new(5.0, 0.02, 4.0).unwrap();
        assert!(m.scale_volatility(2.0) && m.scale == 0.04);
    }
}
