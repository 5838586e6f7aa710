//! Shocks: normal annual log growth plus, in some years, a shock.

use rand::RngExt;
use rand_distr::StandardNormal;

use super::ar1::{check_growth, check_sd};
use super::{GrowthModel, SimRng, Start};
use crate::error::{Error, Problem, Result};

/// Annual log growth `mu + sd z + B (shock_mean + shock_sd e)`, i.i.d. over
/// years, with `mu = ln(1 + growth_pct/100)`, `B` a Bernoulli(`p`) shock
/// occurrence and `e` standard normal. A pandemic year or a trade war is
/// `p = 0.1, shock_mean = -0.15, shock_sd = 0.05`, say.
///
/// `z` is the engine's (correlated) shock; `B` and `e` come from the chunk's
/// RNG stream, so shock years are independent across indicators (a common
/// shock year across indicators is the scenario's `shocks`, not this model).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "ShockMixtureRaw")]
pub struct ShockMixture {
    /// Median annual growth in a year without shock, percent.
    growth_pct: f64,
    /// Standard deviation of annual log growth without shock.
    sd: f64,
    /// Probability of a shock in any one year, in [0, 1].
    p: f64,
    /// Mean of the shock's log size (negative for a fall).
    shock_mean: f64,
    /// Standard deviation of the shock's log size.
    shock_sd: f64,
}

/// The file form of [`ShockMixture`]: loading checks it through [`ShockMixture::new`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ShockMixtureRaw {
    growth_pct: f64,
    sd: f64,
    p: f64,
    shock_mean: f64,
    shock_sd: f64,
}

impl TryFrom<ShockMixtureRaw> for ShockMixture {
    type Error = crate::error::Error;
    fn try_from(r: ShockMixtureRaw) -> Result<Self> {
        ShockMixture::new(r.growth_pct, r.sd, r.p, r.shock_mean, r.shock_sd)
    }
}

impl ShockMixture {
    /// Checked constructor.
    pub fn new(growth_pct: f64, sd: f64, p: f64, shock_mean: f64, shock_sd: f64) -> Result<Self> {
        let m = ShockMixture {
            growth_pct,
            sd,
            p,
            shock_mean,
            shock_sd,
        };
        m.check()?;
        Ok(m)
    }

    /// Log growth of a year without shock, at `z = 0`.
    pub fn mu(&self) -> f64 {
        (self.growth_pct / 100.0).ln_1p()
    }

    /// Mean of annual log growth: `mu + p shock_mean`.
    pub fn mean(&self) -> f64 {
        self.mu() + self.p * self.shock_mean
    }

    /// Variance of annual log growth:
    /// `sd^2 + p shock_sd^2 + p (1 - p) shock_mean^2`.
    pub fn variance(&self) -> f64 {
        self.sd * self.sd
            + self.p * self.shock_sd * self.shock_sd
            + self.p * (1.0 - self.p) * self.shock_mean * self.shock_mean
    }
}

impl ShockMixture {
    /// Standard deviation of annual log growth without shock.
    pub fn sd(&self) -> f64 {
        self.sd
    }

    /// Probability of a shock in any one year, in [0, 1].
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Mean of the shock's log size (negative for a fall).
    pub fn shock_mean(&self) -> f64 {
        self.shock_mean
    }

    /// Standard deviation of the shock's log size.
    pub fn shock_sd(&self) -> f64 {
        self.shock_sd
    }

    /// Checks the parameters, naming the offending one.
    fn check(&self) -> Result<()> {
        check_growth(self.growth_pct)?;
        check_sd("sd", self.sd)?;
        if !(0.0..=1.0).contains(&self.p) {
            return Err(Error::parameter(
                "p",
                Problem::out_of_range(self.p, "in [0, 1]"),
            ));
        }
        crate::error::finite("shock_mean", self.shock_mean)?;
        check_sd("shock_sd", self.shock_sd)
    }
}

impl GrowthModel for ShockMixture {
    fn simulate(&self, start: Start, z: &[f64], paths: usize, rng: &mut SimRng, out: &mut [f64]) {
        if paths == 0 {
            return;
        }
        let mu = self.mu();
        let mut lx = vec![0.0; paths];
        for (zt, ot) in z.chunks_exact(paths).zip(out.chunks_exact_mut(paths)) {
            for ((l, o), &zi) in lx.iter_mut().zip(ot.iter_mut()).zip(zt) {
                // Both draws every path-year, hit or not: the stream then does
                // not depend on `p` or on the draws, so under common random
                // numbers a larger `p` only adds shock years.
                let u: f64 = rng.random();
                let e: f64 = rng.sample(StandardNormal);
                let hit = f64::from(u8::from(u < self.p));
                let g = mu + self.sd * zi + hit * (self.shock_mean + self.shock_sd * e);
                *l += g;
                *o = start.level * l.exp();
            }
        }
    }

    // The volatility is the ordinary `sd` and the shock's spread, not its mean.
    super::median_growth_moves!(sd, shock_sd);
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_moments, log_growths};
    use super::*;

    #[test]
    fn closed_forms() {
        let m = ShockMixture::new(6.0, 0.02, 0.2, -0.15, 0.05).unwrap();
        // python3: log(1.06) - 0.03 = 0.028268908123975824;
        // 0.02**2 + 0.2*0.05**2 + 0.2*0.8*0.15**2 = 0.0045
        assert!((m.mean() - 0.028_268_908_123_975_824).abs() < 1e-15);
        assert!((m.variance() - 0.0045).abs() < 1e-15);
    }

    #[test]
    fn moments_match_closed_form() {
        let m = ShockMixture::new(6.0, 0.02, 0.2, -0.15, 0.05).unwrap();
        let g = log_growths(&m, 41, 10_000, 3);
        assert_moments(&g, m.mean(), m.variance());
        // Share of years more than 0.09 below mu.
        let n = g.len() as f64;
        let shocked = g.iter().filter(|&&v| v < m.mu() - 0.09).count() as f64 / n;
        // python3 (statistics.NormalDist): shocked and below,
        // 0.2 * Phi(0.06 / sqrt(0.02**2 + 0.05**2)) = 0.2 * 0.8673973037042462;
        // not shocked and below, 0.8 * Phi(-4.5) = 2.7181384997909677e-06.
        let want = 0.2 * 0.867_397_303_704_246_2 + 2.718_138_499_790_967_7e-6;
        let se = (want * (1.0 - want) / n).sqrt();
        assert!((shocked - want).abs() < 4.5 * se, "{shocked} vs {want}");
    }

    #[test]
    fn larger_p_only_adds_shocks() {
        // Same seed, p from 0 to 1: the shocked path-years (a fall of about 1
        // in log growth) only grow, from none to all.
        let shocked = |p: f64| -> Vec<bool> {
            let m = ShockMixture::new(5.0, 0.0, p, -1.0, 0.1).unwrap();
            log_growths(&m, 6, 1_000, 2)
                .iter()
                .map(|&g| g < 0.0)
                .collect()
        };
        let runs: Vec<Vec<bool>> = [0.0, 0.1, 0.3, 1.0].iter().map(|&p| shocked(p)).collect();
        for w in runs.windows(2) {
            assert!(w[0].iter().zip(&w[1]).all(|(&a, &b)| !a || b));
            let count = |v: &Vec<bool>| v.iter().filter(|&&x| x).count();
            assert!(count(&w[0]) < count(&w[1]));
        }
        assert!(runs[0].iter().all(|&s| !s) && runs[3].iter().all(|&s| s));
    }

    #[test]
    fn no_shock_is_log_normal() {
        let m = ShockMixture::new(6.0, 0.02, 0.0, -0.15, 0.05).unwrap();
        let g = log_growths(&m, 42, 100, 2);
        let z = super::super::testutil::normals(42, 200);
        for (gi, zi) in g.iter().zip(&z) {
            assert!((gi - (1.06f64.ln() + 0.02 * zi)).abs() < 1e-12);
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        for (m, name) in [
            (ShockMixture::new(6.0, 0.02, 1.5, -0.1, 0.0), "p"),
            (ShockMixture::new(6.0, 0.02, f64::NAN, -0.1, 0.0), "p"),
            (
                ShockMixture::new(6.0, 0.02, 0.1, f64::INFINITY, 0.0),
                "shock_mean",
            ),
            (ShockMixture::new(6.0, 0.02, 0.1, -0.1, -1.0), "shock_sd"),
            (ShockMixture::new(6.0, -0.02, 0.1, -0.1, 0.0), "sd"),
            (
                ShockMixture::new(-200.0, 0.02, 0.1, -0.1, 0.0),
                "growth_pct",
            ),
        ] {
            let e = m.unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
    }
}
