//! Parameter uncertainty: log-normal growth whose mean is itself uncertain.
//!
//! A mean estimated from a short history is known only to within its standard
//! error. Fixing it at the estimate makes the simulated spread too narrow;
//! drawing it once per path from its sampling distribution widens the
//! intervals honestly (a plug-in approximation of the predictive distribution).

use super::ar1::{check_growth, check_sd};
use super::{GrowthModel, SimRng, Start};
use crate::error::Result;
use crate::simulate::kernel;
use crate::simulate::normal::NormalStream;

/// Annual log growth `m_p + sd z_t`, i.i.d. over years, where each path's mean
/// `m_p` is drawn once from `N(mu, mean_se^2)` with `mu = ln(1 + growth_pct/100)`.
///
/// The draw of `m_p` uses an extra standard normal per path taken from the
/// chunk's own stream (not from the engine's correlated `z`), so it is
/// independent across indicators and reproducible from the seed. The log level
/// after `n` years is exactly normal with mean `ln(start) + n mu` and variance
/// `n sd^2 + n^2 mean_se^2`: the uncertain mean adds a variance that grows with
/// the square of the horizon.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "UncertainMeanRaw")]
pub struct UncertainMean {
    /// Median annual growth at the centre of the mean's distribution, percent.
    growth_pct: f64,
    /// Standard deviation of annual log growth around the path's mean.
    sd: f64,
    /// Standard error of the mean annual log growth (0: the log-normal model).
    mean_se: f64,
}

/// The file form of [`UncertainMean`]: loading checks it through [`UncertainMean::new`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UncertainMeanRaw {
    growth_pct: f64,
    sd: f64,
    mean_se: f64,
}

impl TryFrom<UncertainMeanRaw> for UncertainMean {
    type Error = crate::error::Error;
    fn try_from(r: UncertainMeanRaw) -> Result<Self> {
        UncertainMean::new(r.growth_pct, r.sd, r.mean_se)
    }
}

impl UncertainMean {
    /// Checked constructor.
    pub fn new(growth_pct: f64, sd: f64, mean_se: f64) -> Result<Self> {
        let m = UncertainMean {
            growth_pct,
            sd,
            mean_se,
        };
        m.check()?;
        Ok(m)
    }

    /// Centre of the mean annual log growth.
    pub fn mu(&self) -> f64 {
        (self.growth_pct / 100.0).ln_1p()
    }
}

impl UncertainMean {
    /// Standard deviation of annual log growth around the path's mean.
    pub fn sd(&self) -> f64 {
        self.sd
    }

    /// Standard error of the mean annual log growth (0: the log-normal model).
    pub fn mean_se(&self) -> f64 {
        self.mean_se
    }

    /// Checks the parameters, naming the offending one.
    fn check(&self) -> Result<()> {
        check_growth(self.growth_pct)?;
        check_sd("sd", self.sd)?;
        check_sd("mean_se", self.mean_se)
    }
}

impl GrowthModel for UncertainMean {
    fn simulate(&self, start: Start, z: &[f64], paths: usize, rng: &mut SimRng, out: &mut [f64]) {
        if paths == 0 {
            return;
        }
        let mu = self.mu();
        // One mean per path; the i.i.d. step with phi = 0 ignores `g`'s old
        // value, so the per-path mean enters through the shock term.
        let mut means = vec![0.0; paths];
        NormalStream::new(rng).fill(rng, &mut means);
        for m in means.iter_mut() {
            *m *= self.mean_se;
        }
        let mut g = vec![mu; paths];
        let mut lx = vec![0.0; paths];
        let mut shock = vec![0.0; paths];
        let ar = kernel::LogAr1 {
            mu,
            phi: 0.0,
            sd: 1.0,
            scale: start.level,
        };
        for (zt, ot) in z.chunks_exact(paths).zip(out.chunks_exact_mut(paths)) {
            for ((s, &zi), &mi) in shock.iter_mut().zip(zt).zip(&means) {
                *s = self.sd * zi + mi;
            }
            kernel::ar1_step(ar, &shock, &mut g, &mut lx, ot);
        }
    }

    fn log_level_normal(&self, start: Start, years: usize) -> Option<(f64, f64)> {
        if start.level.is_nan() || start.level <= 0.0 {
            return None;
        }
        let n = years as f64;
        let mean = start.level.ln() + n * self.mu();
        let var = n * self.sd * self.sd + n * n * self.mean_se * self.mean_se;
        Some((mean, var.sqrt()))
    }

    // The volatility is the year-to-year `sd` only: `mean_se` is what the
    // history says about the mean, not volatility.
    super::median_growth_moves!(sd);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn rejects_bad_parameters() {
        let e = UncertainMean::new(5.0, 0.05, -0.01).unwrap_err();
        assert!(e.to_string().contains("mean_se"), "{e}");
        assert!(UncertainMean::new(5.0, f64::NAN, 0.01).is_err());
        assert!(UncertainMean::new(-100.0, 0.05, 0.01).is_err());
    }

    #[test]
    fn closed_form_values() {
        // mean = ln 100 + 5 ln 1.06; sd = sqrt(5 * 0.04^2 + 25 * 0.02^2)
        // python: math.log(100)+5*math.log(1.06) = 4.896514726607971, sqrt(0.018) = 0.134164...
        let m = UncertainMean::new(6.0, 0.04, 0.02).unwrap();
        let (mean, sd) = m.log_level_normal(Start::at(100.0), 5).unwrap();
        assert!((mean - 4.896_514_726_6).abs() < 1e-9, "{mean}");
        assert!((sd - 0.134_164_078_6).abs() < 1e-9, "{sd}");
        assert!(m.log_level_normal(Start::at(0.0), 5).is_none());
    }

    #[test]
    fn closed_form_matches_simulation() {
        let m = UncertainMean::new(6.0, 0.04, 0.03).unwrap();
        // A last growth must not carry over: the model has no persistence.
        let start = Start {
            level: 50.0,
            last_log_growth: Some(0.3),
        };
        let (paths, years) = (20_000, 6);
        let mut rng = SimRng::seed_from_u64(11);
        let mut z = vec![0.0; paths * years];
        NormalStream::new(&mut rng).fill(&mut rng, &mut z);
        let mut out = vec![0.0; paths * years];
        m.simulate(start, &z, paths, &mut rng, &mut out);
        let n = paths as f64;
        for year in [1, years] {
            let logs: Vec<f64> = out[(year - 1) * paths..year * paths]
                .iter()
                .map(|v| v.ln())
                .collect();
            let mean = logs.iter().sum::<f64>() / n;
            let sd = (logs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            let (m_exact, sd_exact) = m.log_level_normal(start, year).unwrap();
            assert!(
                (mean - m_exact).abs() < 4.5 * sd_exact / n.sqrt(),
                "year {year}: {mean} vs {m_exact}"
            );
            assert!(
                (sd - sd_exact).abs() < 4.5 * sd_exact / (2.0 * n).sqrt(),
                "year {year}: {sd} vs {sd_exact}"
            );
        }
        // The spread after 6 years is wider than without the uncertain mean:
        // sqrt(6*0.04^2 + 36*0.03^2) = 0.2049 against sqrt(6)*0.04 = 0.098.
        let (_, sd6) = m.log_level_normal(start, years).unwrap();
        assert!((sd6 - 0.204_939_015_3).abs() < 1e-8, "{sd6}");
    }
}
