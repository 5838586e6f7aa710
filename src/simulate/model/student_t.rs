//! Fat tails: Student-t annual shocks to log growth.

use statrs::function::{
    beta::{checked_beta_reg, inv_beta_reg, ln_beta},
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

/// Above this many degrees of freedom, and for `|z| <= SERIES_Z`, the
/// quantile comes from the Cornish-Fisher expansion (Abramowitz and Stegun
/// 26.7.5, terms to `df^-4`): its relative error there is below 1e-10,
/// while statrs' inverse beta drifts to 1e-9 at 1000 degrees of freedom,
/// 1e-7 at 1e4 and 2.5e-3 at 1e6 (all measured against mpmath). Beyond
/// `SERIES_Z` the expansion's terms grow like `z^9 / df^4`: the inversion of
/// the incomplete beta ([`inv_beta`]) takes over.
const SERIES_DF: f64 = 1e3;

/// See [`SERIES_DF`].
const SERIES_Z: f64 = 8.0;

/// Up to this many degrees of freedom, and for `|z| <= SERIES_Z`, statrs'
/// inverse beta is kept: there it agrees with [`inv_beta`] within 2.3e-12
/// relative (measured on a grid of `z` in steps of 0.05), and the values
/// earlier versions drew stay the same to the bit. Beyond, its error grows
/// (6e-11 at df 200, 2.3e-9 at 999) and far tails make it hang or panic.
const STATRS_DF: f64 = 100.0;

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

    /// `F_df^{-1}(Phi(z))`: total (a number for every finite `z`, no hang,
    /// no panic), odd, and within 1e-9 relative of the exact quantile for
    /// `|z| <= 37.5`. Beyond, where `Phi(-|z|)` is below the smallest double
    /// (a shock no run draws), it rests on the leading terms of the tail of
    /// `I_y(df/2, 1/2)`: exact in the limit for small `df`, only an order of
    /// magnitude for large `df`.
    fn at(&self, z: f64) -> f64 {
        let az = z.abs();
        let t = if az < CENTRE_Z || az.is_nan() {
            // NaN passes through here.
            let v = 0.5 * erf::erf(az * std::f64::consts::FRAC_1_SQRT_2) * self.inv_f0;
            let v2 = v * v;
            v * (1.0 + v2 * (self.a3 + v2 * self.a5))
        } else if self.df > SERIES_DF && az <= SERIES_Z {
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
                // I_y(a, 1/2) = y^a (1 + y a / (2 (a + 1)) + O(y^2)) / (a B(a, 1/2)),
                // in logarithms: y underflows before t overflows (df = 1).
                let ln_y0 = (self.ln_ab + ln_two_tail(az)) / a;
                if ln_y0 < TAIL_Y.ln() || two_q == 0.0 {
                    // Also where Phi(-|z|) underflows (|z| > 37.5): the
                    // leading terms are all there is to go on (see `at`).
                    let y0 = ln_y0.exp();
                    let ln_y = ln_y0 + (-y0 / (2.0 * (a + 1.0))).ln_1p();
                    (self.df * (-ln_y.exp()).ln_1p().exp()).sqrt() * (-0.5 * ln_y).exp()
                } else {
                    let y = if self.df <= STATRS_DF && az <= SERIES_Z {
                        inv_beta_reg(a, 0.5, two_q)
                    } else {
                        inv_beta(a, 0.5, two_q, ln_y0.exp().min(0.5))
                    };
                    (self.df * (1.0 - y) / y).sqrt()
                }
            } else {
                // Near the median solve for w = t^2/(df+t^2) = 1 - y directly:
                // I_w(1/2, df/2) = 1 - 2q, with 1 - 2q exact here.
                let w = if self.df <= STATRS_DF {
                    inv_beta_reg(0.5, a, 1.0 - two_q)
                } else {
                    inv_beta(0.5, a, 1.0 - two_q, 0.5)
                };
                (self.df * w / (1.0 - w)).sqrt()
            }
        };
        t.copysign(z)
    }
}

/// `ln(2 Phi(-x))` for `x >= 0`, also where `Phi(-x)` underflows (`x > 37.5`):
/// there from the asymptotic series `phi(x)/x (1 - 1/x^2 + 3/x^4 - 15/x^6 +
/// 105/x^8)`, whose relative error at `x = 37` is below 1e-12.
fn ln_two_tail(x: f64) -> f64 {
    if x < 37.0 {
        (2.0 * normal_cdf(-x)).ln()
    } else {
        let r = 1.0 / (x * x);
        let series = 1.0 - r * (1.0 - r * (3.0 - r * (15.0 - 105.0 * r)));
        std::f64::consts::LN_2 - 0.5 * x * x - x.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
            + series.ln()
    }
}

/// The `x` in (0, 1) with `I_x(a, b) = target` (`0 < target < 1`): Newton's
/// method on `ln I_x - ln target` in `ln x`, which is nearly linear in the
/// tails, kept inside a bracket that each step narrows (a step that leaves it
/// bisects instead). It always ends: after at most 200 steps, or when a step
/// no longer moves `x` by 1e-15 of itself. statrs' `inv_beta_reg` does not:
/// it hangs (df 999, z = 22) or panics (z = 28, df >= 50) in far tails, and
/// misses 1e-9 relative accuracy near the centre (4.8e-9 at df 999).
fn inv_beta(a: f64, b: f64, target: f64, start: f64) -> f64 {
    let ln_target = target.ln();
    let ln_b = ln_beta(a, b);
    // g(x) = ln I_x - ln target, negative below the root.
    let g = |x: f64| match checked_beta_reg(a, b, x) {
        Ok(i) if i > 0.0 => (i.ln() - ln_target, i),
        _ => (f64::NEG_INFINITY, 0.0),
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut x = if start > 0.0 && start < 1.0 {
        start
    } else {
        0.5
    };
    for _ in 0..200 {
        let (gx, i) = g(x);
        if gx == 0.0 {
            return x;
        }
        if gx < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        // d ln I / d ln x = x f(x) / I with f the beta density.
        let ln_slope = a * x.ln() + (b - 1.0) * (-x).ln_1p() - ln_b - i.ln();
        let step = gx / ln_slope.exp();
        let mut next = x * (-step).exp();
        if !(next > lo && next < hi && next.is_finite()) {
            // Bisect: geometrically while the bracket spans decades.
            next = if lo > 0.0 && hi / lo > 4.0 {
                (lo * hi).sqrt()
            } else if lo == 0.0 {
                hi * 1e-3
            } else {
                0.5 * (lo + hi)
            };
        }
        if (next - x).abs() <= 1e-15 * x {
            return next;
        }
        x = next;
    }
    x
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
        // Beyond the underflow of Phi(-40): still a number, past t(37).
        assert!(t5.at(40.0).is_finite() && t5.at(40.0) > t5.at(37.0));
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
    fn quantile_is_total_and_accurate_in_far_tails_and_large_df() {
        // mpmath (60 digits, bisection on ln t of the CDF via betainc;
        // tests/data/student_t_reference.py). statrs' inverse beta hung on the
        // second and panicked on the third and fourth.
        let cases = [
            (999.0, -0.8157, -0.816_040_084_848_699_9),
            (999.0, 22.0, 24.961_813_120_086_563),
            (50.0, 28.0, 18_461.831_671_707_786),
            (1e4, 28.0, 28.558_607_519_168_825),
            (5.0, 28.0, 4.106_787_068_728_426e34),
            // df = 1: -cot(pi Phi(-30)).
            (1.0, 30.0, 6.487_231_391_718_701e196),
            (999.0, 8.5, 8.658_258_059_373_336),
            (2000.0, 12.0, 12.220_848_931_657_645),
        ];
        for (df, z, want) in cases {
            let got = TQuantile::new(df).at(z);
            assert!(
                ((got - want) / want).abs() < 1e-9,
                "df {df}, z {z}: {got} vs {want}"
            );
        }
        // Every finite z, every df: a number, odd, monotone in z up to
        // 37.5, and beyond no smaller than there.
        for df in [0.3, 1.0, 2.0, 7.0, 50.0, 999.0, 1000.5, 1e4, 1e6, 1e9] {
            let q = TQuantile::new(df);
            let mut last = 0.0;
            for k in 1..=375 {
                let z = 0.1 * k as f64;
                let t = q.at(z);
                assert!(!t.is_nan() && t >= last, "df {df}, z {z}: {t} after {last}");
                assert_eq!(q.at(-z), -t);
                last = t;
            }
            for z in [37.6, 40.0, 1e3, 1e150, f64::MAX] {
                let t = q.at(z);
                assert!(
                    !t.is_nan() && t >= 0.99 * last,
                    "df {df}, z {z}: {t} after {last}"
                );
                assert_eq!(q.at(-z), -t);
            }
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
