//! Fat tails: Student-t annual shocks to log growth.

use statrs::function::{
    beta::{inv_beta_reg, ln_beta},
    erf,
    gamma::ln_gamma,
};

use super::ar1::{check_growth, check_sd};
use super::{GrowthModel, SimRng, Start};
use crate::error::{Error, Problem, Result};
use crate::simulate::normal::normal_cdf;

/// Annual log growth `mu + scale t`, i.i.d., with `mu = ln(1 + growth_pct/100)`
/// and `t` a standard Student-t with `df` degrees of freedom. The median path
/// grows at `growth_pct` a year; the variance of annual log growth is
/// `scale^2 df / (df - 2)` for `df > 2` (infinite otherwise).
///
/// `t = F_df^{-1}(Phi(z))` (a Gaussian copula), so the engine's correlation
/// across indicators reaches the t marginals.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "StudentTRaw")]
pub struct StudentT {
    /// Median annual growth, percent.
    growth_pct: f64,
    /// Scale of the annual t shock to log growth.
    scale: f64,
    /// Degrees of freedom, finite and > 0 (small = fat tails).
    df: f64,
}

/// The file form of [`StudentT`]: loading checks it through [`StudentT::new`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StudentTRaw {
    growth_pct: f64,
    scale: f64,
    df: f64,
}

impl TryFrom<StudentTRaw> for StudentT {
    type Error = crate::error::Error;
    fn try_from(r: StudentTRaw) -> Result<Self> {
        StudentT::new(r.growth_pct, r.scale, r.df)
    }
}

impl StudentT {
    /// Checked constructor.
    pub fn new(growth_pct: f64, scale: f64, df: f64) -> Result<Self> {
        let m = StudentT {
            growth_pct,
            scale,
            df,
        };
        m.check()?;
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

/// Above this many degrees of freedom the quantile comes from the
/// Cornish-Fisher expansion (Abramowitz and Stegun 26.7.5, terms to `df^-4`):
/// its relative error there is below 1e-10 for `|z| <= 8`, while statrs'
/// inverse beta drifts to 1e-9 at 1000 degrees of freedom, 1e-7 at 1e4 and
/// 2.5e-3 at 1e6 (all measured against mpmath).
const SERIES_DF: f64 = 1e3;

/// Below this `|z|` the quantile comes from its power series about the
/// median: the inverse beta holds only absolute accuracy there (relative
/// error 1e-4 at `z = 1e-6`, df = 5).
const CENTRE_Z: f64 = 0.01;

/// Below this `y = df / (df + t^2)` the far tail comes from the leading terms
/// of `I_y(df/2, 1/2)`: the inverse beta stops at an absolute 1e-30 in `y`,
/// which small `df` reach (df = 1 at z = -8 needs y = 4e-30; statrs then
/// returns -9.2e7 for the true -5.1e14).
const TAIL_Y: f64 = 1e-8;

/// The standard t quantile at a normal shock, `F_df^{-1}(Phi(z))`, with its
/// constants computed once per call of `simulate`. Odd in `z`; each side is
/// computed from its own lower tail `Phi(-|z|)`, since `1 - Phi(z)` loses the
/// upper tail to rounding. Relative accuracy about 1e-9 over `|z| <= 8` and
/// every `df` (measured against mpmath; statrs' `erfc` alone carries 1e-10).
#[derive(Debug, Clone, Copy)]
struct TQuantile {
    df: f64,
    /// `1 / f(0)`, the reciprocal density at the median.
    inv_f0: f64,
    /// Series about the median: `t = v + a3 v^3 + a5 v^5`, `v = (u - 1/2) / f(0)`.
    a3: f64,
    a5: f64,
    /// `ln(a B(a, 1/2))` with `a = df/2`, for the far tail.
    ln_ab: f64,
}

impl TQuantile {
    /// Constants for `df` degrees of freedom (`df > 0`).
    fn new(df: f64) -> Self {
        let m = 0.5 * (df + 1.0);
        let a = 0.5 * df;
        // f(0) = Gamma((df+1)/2) / (sqrt(df pi) Gamma(df/2))
        let inv_f0 = (df * std::f64::consts::PI).sqrt() * (ln_gamma(a) - ln_gamma(m)).exp();
        // dt/dv = (1 + t^2/df)^m, solved as a power series in v.
        let a3 = m / (3.0 * df);
        let a5 = (2.0 * a3 * m / df + m * (m - 1.0) / (2.0 * df * df)) / 5.0;
        TQuantile {
            df,
            inv_f0,
            a3,
            a5,
            ln_ab: a.ln() + ln_beta(a, 0.5),
        }
    }

    /// `F_df^{-1}(Phi(z))`.
    fn at(&self, z: f64) -> f64 {
        let az = z.abs();
        let t = if az < CENTRE_Z || az.is_nan() {
            // NaN passes through here.
            let v = 0.5 * erf::erf(az * std::f64::consts::FRAC_1_SQRT_2) * self.inv_f0;
            let v2 = v * v;
            v * (1.0 + v2 * (self.a3 + v2 * self.a5))
        } else if self.df > SERIES_DF {
            let (n, x) = (self.df, az);
            let x2 = x * x;
            let g1 = (x2 + 1.0) * x / 4.0;
            let g2 = ((5.0 * x2 + 16.0) * x2 + 3.0) * x / 96.0;
            let g3 = (((3.0 * x2 + 19.0) * x2 + 17.0) * x2 - 15.0) * x / 384.0;
            let g4 =
                ((((79.0 * x2 + 776.0) * x2 + 1482.0) * x2 - 1920.0) * x2 - 945.0) * x / 92160.0;
            x + (g1 + (g2 + (g3 + g4 / n) / n) / n) / n
        } else {
            // P(T <= -t) = I_{df/(df+t^2)}(df/2, 1/2) / 2 = Phi(-|z|).
            let two_q = 2.0 * normal_cdf(-az);
            let a = 0.5 * self.df;
            if two_q < 0.5 {
                // I_y(a, 1/2) = y^a (1 + y a / (2 (a + 1)) + O(y^2)) / (a B(a, 1/2)).
                let y0 = ((self.ln_ab + two_q.ln()) / a).exp();
                let y = if y0 < TAIL_Y {
                    y0 * (1.0 - y0 / (2.0 * (a + 1.0)))
                } else {
                    inv_beta_reg(a, 0.5, two_q)
                };
                (self.df * (1.0 - y) / y).sqrt()
            } else {
                // Near the median solve for w = t^2/(df+t^2) = 1 - y directly:
                // I_w(1/2, df/2) = 1 - 2q, with 1 - 2q exact here.
                let w = inv_beta_reg(0.5, a, 1.0 - two_q);
                (self.df * w / (1.0 - w)).sqrt()
            }
        };
        t.copysign(z)
    }
}

impl StudentT {
    /// Scale of the annual t shock to log growth.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Degrees of freedom, finite and > 0 (small = fat tails).
    pub fn df(&self) -> f64 {
        self.df
    }

    /// Checks the parameters, naming the offending one.
    fn check(&self) -> Result<()> {
        check_growth(self.growth_pct)?;
        check_sd("scale", self.scale)?;
        if self.df.is_finite() && self.df > 0.0 {
            Ok(())
        } else {
            Err(Error::parameter(
                "df",
                Problem::out_of_range(self.df, "finite and > 0"),
            ))
        }
    }
}

impl GrowthModel for StudentT {
    fn simulate(&self, start: Start, z: &[f64], paths: usize, _rng: &mut SimRng, out: &mut [f64]) {
        if paths == 0 {
            return;
        }
        let t = TQuantile::new(self.df);
        let mu = self.mu();
        let mut lx = vec![0.0; paths];
        for (zt, ot) in z.chunks_exact(paths).zip(out.chunks_exact_mut(paths)) {
            for ((l, o), &zi) in lx.iter_mut().zip(ot.iter_mut()).zip(zt) {
                *l += mu + self.scale * t.at(zi);
                *o = start.level * l.exp();
            }
        }
    }

    super::median_growth_moves!(scale);
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_moments, log_growths};
    use super::*;
    use statrs::distribution::{ContinuousCDF, StudentsT};

    #[test]
    fn quantile_of_z_matches_reference() {
        let t5 = TQuantile::new(5.0);
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
            let got = t5.at(z);
            assert!(
                (got - want).abs() < 1e-9 * want.abs(),
                "z {z}: {got} vs {want}"
            );
        }
        assert_eq!(t5.at(0.0), 0.0);
        assert!(t5.at(f64::NAN).is_nan());
        for z in [1e-9, 0.3, 2.0, 7.5] {
            assert_eq!(t5.at(-z), -t5.at(z));
        }
        assert_eq!(t5.at(40.0), f64::INFINITY);
    }

    #[test]
    fn quantile_is_accurate_for_every_df() {
        // mpmath (40 digits): bisection on ln t of the t CDF written with
        // betainc; df = 1 also from -cot(pi Phi(z)); df = 1e5 from the
        // Cornish-Fisher series to df^-4. statrs' StudentsT::inverse_cdf
        // misses the first two by orders of magnitude, the fifth by 3%, the
        // centre ones by 1e-4 and df = 1e5 by 4e-8.
        let cases = [
            (1.0, -8.0, -5.116_732_092_793_428e14, 2e-9),
            (0.5, -5.0, -1.251_675_946_504_999e12, 2e-9),
            (0.5, 2.0, 198.715_192_712_761_3, 2e-9),
            (2.5, -8.0, -1_059_816.402_759_868, 2e-9),
            (1.5, -7.0, -44_278_759.950_035_16, 2e-9),
            (1.0, 3.0, 235.801_497_960_468_05, 2e-9),
            (2.5, -2.0, -3.731_987_645_663_434, 2e-9),
            (30.0, 4.0, 4.645_124_699_473_693, 2e-9),
            (999.0, 0.88, 8.803_909_276_862_618e-1, 2e-9),
            (1001.0, -8.0, -8.131_676_907_904_975, 2e-9),
            (1001.0, 3.0, 3.007_509_753_179_79, 2e-9),
            (1e5, -8.0, -8.001_300_179_243_03, 2e-9),
            (1e5, 2.5, 2.500_045_313_276_866, 2e-9),
            // The two series where they are used, with tolerances tight
            // enough to see their last terms: a5 v^5 is 8e-10 of t at df = 5,
            // z = 0.0099; the tail's correction 1.6e-9 at df = 1, z = -4.
            (5.0, -1e-6, -1.050_935_853_074_669e-6, 1e-13),
            (5.0, 0.0099, 1.040_432_024_170_028e-2, 1e-13),
            (60.0, 0.0099, 9.941_338_227_957_41e-3, 1e-13),
            (0.7, 0.005, 6.770_177_776_800_579e-3, 1e-13),
            (1.0, -4.0, -1.005_043_903_269_088e4, 5e-10),
        ];
        for (df, z, want, tol) in cases {
            let got = TQuantile::new(df).at(z);
            assert!(
                ((got - want) / want).abs() < tol,
                "df {df}, z {z}: {got} vs {want}"
            );
        }
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
