//! Skewed risk: the two-piece normal of central banks' fan charts.

use statrs::distribution::{ContinuousCDF, Normal};

use super::ar1::{check_growth, check_sd};
use super::{GrowthModel, SimRng, Start};
use crate::error::{Error, Problem, Result};
use crate::simulate::normal::normal_cdf;

/// Annual log growth i.i.d. two-piece normal (Bank of England fan charts):
/// density `A exp(-(x - m)^2 / (2 sd_lower^2))` below the mode
/// `m = ln(1 + mode_pct/100)` and `A exp(-(x - m)^2 / (2 sd_upper^2))` above,
/// `A = sqrt(2/pi) / (sd_lower + sd_upper)`. `sd_upper > sd_lower` puts more
/// risk on the upside.
///
/// The draw is the closed-form quantile at `u = Phi(z)` (a Gaussian copula).
/// Its median, not its mode, is the model's [`GrowthModel::growth_pct`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "TwoPieceRaw")]
pub struct TwoPiece {
    /// Modal annual growth, percent.
    mode_pct: f64,
    /// Standard deviation of the half below the mode.
    sd_lower: f64,
    /// Standard deviation of the half above the mode.
    sd_upper: f64,
}

/// The file form of [`TwoPiece`]: loading checks it through [`TwoPiece::new`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TwoPieceRaw {
    mode_pct: f64,
    sd_lower: f64,
    sd_upper: f64,
}

impl TryFrom<TwoPieceRaw> for TwoPiece {
    type Error = crate::error::Error;
    fn try_from(r: TwoPieceRaw) -> Result<Self> {
        TwoPiece::new(r.mode_pct, r.sd_lower, r.sd_upper)
    }
}

impl TwoPiece {
    /// Checked constructor.
    pub fn new(mode_pct: f64, sd_lower: f64, sd_upper: f64) -> Result<Self> {
        let m = TwoPiece {
            mode_pct,
            sd_lower,
            sd_upper,
        };
        m.check()?;
        Ok(m)
    }

    /// The Bank of England's parametrisation (Britton, Fisher and Whitley,
    /// 1998): an overall `spread` (sigma) and a `skew` gamma in (-1, 1), with
    /// `sd_lower = sigma / sqrt(1 + gamma)` and `sd_upper = sigma / sqrt(1 - gamma)`.
    /// `skew > 0` is upside risk; `skew = 0` is the normal with sd `spread`.
    pub fn from_skew(mode_pct: f64, spread: f64, skew: f64) -> Result<Self> {
        check_sd("spread", spread)?;
        if skew.is_nan() || skew.abs() >= 1.0 {
            return Err(Error::parameter(
                "skew",
                Problem::out_of_range(skew, "in (-1, 1)"),
            ));
        }
        TwoPiece::new(
            mode_pct,
            spread / (1.0 + skew).sqrt(),
            spread / (1.0 - skew).sqrt(),
        )
    }

    /// From the three numbers the Bank of England publishes with its fan
    /// charts: the mode, the `uncertainty` sigma and the skew given as the
    /// mean minus the mode (in annual log growth, like the sds). The BoE's
    /// parameter files give the skew in this form, not as `gamma`: a BoE
    /// "skew" passed to [`TwoPiece::from_skew`] would be read as `gamma`.
    ///
    /// The halves are those of [`TwoPiece::from_skew`] with the `gamma` in
    /// (-1, 1) that gives the mean: `mean - mode = sqrt(2/pi) sigma
    /// (1/sqrt(1 - gamma) - 1/sqrt(1 + gamma))` rises strictly from `-inf` to
    /// `inf`, so every finite skew has one, found by bisection.
    pub fn from_boe(mode_pct: f64, uncertainty: f64, mean_minus_mode: f64) -> Result<Self> {
        // The mode is checked by `new`, by its own name.
        check_sd("uncertainty", uncertainty)?;
        crate::error::finite("mean_minus_mode", mean_minus_mode)?;
        if uncertainty == 0.0 {
            if mean_minus_mode != 0.0 {
                return Err(Error::parameter(
                    "mean_minus_mode",
                    Problem::out_of_range(mean_minus_mode, "0 when the uncertainty is 0"),
                ));
            }
            return TwoPiece::new(mode_pct, 0.0, 0.0);
        }
        let gap = |g: f64| {
            (2.0 / std::f64::consts::PI).sqrt()
                * uncertainty
                * (1.0 / (1.0 - g).sqrt() - 1.0 / (1.0 + g).sqrt())
        };
        let Ok((lo, hi)) = crate::solve::bisect::<std::convert::Infallible>(
            -1.0,
            1.0,
            200,
            |mid| Ok(gap(mid) < mean_minus_mode),
            |_, _, _| false,
        );
        let g = 0.5 * (lo + hi);
        TwoPiece::new(
            mode_pct,
            uncertainty / (1.0 + g).sqrt(),
            uncertainty / (1.0 - g).sqrt(),
        )
    }

    /// Mode of annual log growth.
    pub fn mode(&self) -> f64 {
        (self.mode_pct / 100.0).ln_1p()
    }

    /// Mean of annual log growth: `m + sqrt(2/pi) (sd_upper - sd_lower)`.
    pub fn mean(&self) -> f64 {
        self.mode() + (2.0 / std::f64::consts::PI).sqrt() * (self.sd_upper - self.sd_lower)
    }

    /// Variance of annual log growth:
    /// `(1 - 2/pi) (sd_upper - sd_lower)^2 + sd_lower sd_upper`.
    pub fn variance(&self) -> f64 {
        let d = self.sd_upper - self.sd_lower;
        (1.0 - 2.0 / std::f64::consts::PI) * d * d + self.sd_lower * self.sd_upper
    }

    /// Distribution function of annual log growth.
    pub fn cdf(&self, x: f64) -> f64 {
        let (s1, s2) = (self.sd_lower, self.sd_upper);
        let m = self.mode();
        if x < m {
            if s1 == 0.0 {
                0.0
            } else {
                2.0 * s1 / (s1 + s2) * normal_cdf((x - m) / s1)
            }
        } else if s2 == 0.0 {
            1.0
        } else {
            1.0 - 2.0 * s2 / (s1 + s2) * normal_cdf((m - x) / s2)
        }
    }

    /// Quantile of annual log growth at `u` in [0, 1] (NaN outside).
    pub fn quantile(&self, u: f64) -> f64 {
        if !(0.0..=1.0).contains(&u) {
            return f64::NAN;
        }
        self.quantile_tails(u, 1.0 - u)
    }

    /// Quantile given both `u` and `1 - u`, each accurate where it is small.
    fn quantile_tails(&self, low: f64, high: f64) -> f64 {
        let (s1, s2) = (self.sd_lower, self.sd_upper);
        let m = self.mode();
        let total = s1 + s2;
        if total == 0.0 {
            return m;
        }
        let std = Normal::standard();
        // Below the mode carries probability s1 / (s1 + s2).
        if low * total <= s1 {
            // Argument in [0, 1/2]: inverse_cdf's domain check cannot fire.
            m + s1 * std.inverse_cdf((low * total / (2.0 * s1)).min(0.5))
        } else {
            m - s2 * std.inverse_cdf((high * total / (2.0 * s2)).min(0.5))
        }
    }

    /// The draw for shock `z`: the quantile at `Phi(z)`.
    fn of_z(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        let tail = normal_cdf(-z.abs());
        if z <= 0.0 {
            self.quantile_tails(tail, 1.0 - tail)
        } else {
            self.quantile_tails(1.0 - tail, tail)
        }
    }
}

impl TwoPiece {
    /// Modal annual growth, percent.
    pub fn mode_pct(&self) -> f64 {
        self.mode_pct
    }

    /// Standard deviation of the half below the mode.
    pub fn sd_lower(&self) -> f64 {
        self.sd_lower
    }

    /// Standard deviation of the half above the mode.
    pub fn sd_upper(&self) -> f64 {
        self.sd_upper
    }

    /// Checks the parameters, naming the offending one.
    fn check(&self) -> Result<()> {
        check_growth(self.mode_pct).map_err(|_| {
            Error::parameter(
                "mode_pct",
                Problem::out_of_range(self.mode_pct, "finite and > -100"),
            )
        })?;
        check_sd("sd_lower", self.sd_lower)?;
        check_sd("sd_upper", self.sd_upper)
    }
}

impl GrowthModel for TwoPiece {
    fn simulate(&self, start: Start, z: &[f64], paths: usize, _rng: &mut SimRng, out: &mut [f64]) {
        if paths == 0 {
            return;
        }
        let mut lx = vec![0.0; paths];
        for (zt, ot) in z.chunks_exact(paths).zip(out.chunks_exact_mut(paths)) {
            for ((l, o), &zi) in lx.iter_mut().zip(ot.iter_mut()).zip(zt) {
                *l += self.of_z(zi);
                *o = start.level * l.exp();
            }
        }
    }

    fn growth_pct(&self) -> Option<f64> {
        Some(100.0 * self.quantile(0.5).exp_m1())
    }

    fn shift_growth(&mut self, delta: f64) -> bool {
        let before = self.clone();
        self.mode_pct = 100.0 * (self.mode() + delta).exp_m1();
        super::keep_if_valid(self, before, Self::check)
    }

    fn scale_volatility(&mut self, factor: f64) -> bool {
        let before = self.clone();
        self.sd_lower *= factor;
        self.sd_upper *= factor;
        super::keep_if_valid(self, before, Self::check)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_moments, log_growths};
    use super::*;

    #[test]
    fn closed_forms_match_reference() {
        let m = TwoPiece::new(5.0, 0.01, 0.03).unwrap();
        let mo = 1.05f64.ln();
        // python3: m + sqrt(2/pi)*0.02 = mo + 0.015957691216057308;
        // (1-2/pi)*0.02**2 + 0.0003 = 0.00044535209105296745
        assert!((m.mean() - (mo + 0.015_957_691_216_057_308)).abs() < 1e-15);
        assert!((m.variance() - 0.000_445_352_091_052_967_45).abs() < 1e-15);
        // P(below mode) = 0.01/0.04 = 0.25; median = mo + 0.03*Phi^-1(1 - 0.5*0.04/0.06)
        // = mo + 0.03*Phi^-1(2/3) = mo + 0.03*0.4307272992954576
        assert!((m.cdf(mo) - 0.25).abs() < 1e-15);
        let med = mo + 0.03 * 0.430_727_299_295_457_6;
        assert!((m.quantile(0.5) - med).abs() < 1e-12);
        assert!((m.growth_pct().unwrap() - 100.0 * med.exp_m1()).abs() < 1e-9);
        // Quantile inverts the CDF on both sides, and deep in the tails via z.
        for u in [1e-12, 0.01, 0.2, 0.25, 0.3, 0.9, 1.0 - 1e-9] {
            let back = m.cdf(m.quantile(u));
            assert!((back - u).abs() < 1e-10 * u.min(1.0 - u), "u {u}: {back}");
        }
        // z = 8: 1 - u = Phi(-8) = 6.220960574271784e-16, upper branch:
        // mo + 0.03 * 8.02...; check via the CDF's upper tail instead.
        let x = m.of_z(8.0);
        let tail = 2.0 * 0.03 / 0.04 * normal_cdf((mo - x) / 0.03);
        assert!(
            (tail - 6.220_960_574_271_784e-16).abs() < 1e-9 * 6.22e-16,
            "{tail}"
        );
    }

    #[test]
    fn moments_match_closed_form() {
        let m = TwoPiece::from_skew(6.0, 0.02, 0.6).unwrap();
        let g = log_growths(&m, 21, 10_000, 3);
        assert_moments(&g, m.mean(), m.variance());
        // Skewed: the mean lies above the mode (upside risk).
        assert!(m.mean() > m.mode() + 0.005);
    }

    #[test]
    fn skew_parametrisation() {
        // sigma 0.02, gamma 0.6: 0.02/sqrt(1.6) = 0.015811388300841896,
        // 0.02/sqrt(0.4) = 0.031622776601683791.
        let m = TwoPiece::from_skew(6.0, 0.02, 0.6).unwrap();
        assert!((m.sd_lower - 0.015_811_388_300_841_896).abs() < 1e-15);
        assert!((m.sd_upper - 0.031_622_776_601_683_79).abs() < 1e-15);
        let sym = TwoPiece::from_skew(6.0, 0.02, 0.0).unwrap();
        assert_eq!((sym.sd_lower, sym.sd_upper), (0.02, 0.02));
    }

    #[test]
    fn boe_published_parameters() {
        // mpmath: sigma 0.02, mean - mode -0.005 -> gamma -0.29592471069464761,
        // sd_lower 0.023835290232228110, sd_upper 0.017568719545650608.
        let m = TwoPiece::from_boe(2.0, 0.02, -0.005).unwrap();
        assert!(
            (m.sd_lower - 0.023_835_290_232_228_11).abs() < 1e-15,
            "{m:?}"
        );
        assert!(
            (m.sd_upper - 0.017_568_719_545_650_608).abs() < 1e-15,
            "{m:?}"
        );
        assert!((m.mean() - m.mode() + 0.005).abs() < 1e-15);
        let sym = TwoPiece::from_boe(2.0, 0.02, 0.0).unwrap();
        assert_eq!((sym.sd_lower, sym.sd_upper), (0.02, 0.02));
        let wild = TwoPiece::from_boe(2.0, 0.02, 0.5).unwrap();
        assert!((wild.mean() - wild.mode() - 0.5).abs() < 1e-9, "{wild:?}");
        for (m, name) in [
            (TwoPiece::from_boe(2.0, -0.02, 0.0), "uncertainty"),
            (TwoPiece::from_boe(2.0, 0.0, 0.1), "mean_minus_mode"),
            (TwoPiece::from_boe(2.0, 0.02, f64::NAN), "mean_minus_mode"),
            (TwoPiece::from_boe(-100.0, 0.02, 0.0), "mode_pct"),
        ] {
            let e = m.unwrap_err();
            assert!(
                matches!(&e, Error::Parameter { name: n, .. } if n == name),
                "{e}"
            );
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        for (m, name) in [
            (TwoPiece::new(5.0, -0.01, 0.02), "sd_lower"),
            (TwoPiece::new(5.0, 0.01, f64::NAN), "sd_upper"),
            (TwoPiece::new(-100.0, 0.01, 0.02), "mode_pct"),
            (TwoPiece::from_skew(5.0, 0.02, 1.0), "skew"),
            (TwoPiece::from_skew(5.0, 0.02, f64::NAN), "skew"),
            (TwoPiece::from_skew(5.0, -0.02, 0.1), "spread"),
        ] {
            let e = m.unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
        let flat = TwoPiece::new(5.0, 0.0, 0.0).unwrap();
        assert_eq!(flat.quantile(0.3), flat.mode());
    }
}
