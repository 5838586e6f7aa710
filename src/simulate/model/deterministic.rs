//! Deterministic growth: the plan path itself.

use super::ar1::check_growth;
use super::{GrowthModel, SimRng, Start};
use crate::error::Result;

/// Every path grows at exactly `growth_pct` a year: year `t` (0 = the first
/// simulated year) is `level (1 + growth_pct/100)^(t+1)`. The shocks `z` are
/// ignored, so the model pins an indicator to its plan path in a scenario.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "DeterministicRaw")]
pub struct Deterministic {
    /// Annual growth, percent.
    growth_pct: f64,
}

/// The file form of [`Deterministic`]: loading checks it through [`Deterministic::new`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DeterministicRaw {
    growth_pct: f64,
}

impl TryFrom<DeterministicRaw> for Deterministic {
    type Error = crate::error::Error;
    fn try_from(r: DeterministicRaw) -> Result<Self> {
        Deterministic::new(r.growth_pct)
    }
}

impl Deterministic {
    /// Checked constructor.
    pub fn new(growth_pct: f64) -> Result<Self> {
        let m = Deterministic { growth_pct };
        m.check()?;
        Ok(m)
    }
}

impl Deterministic {
    /// Checks the parameters, naming the offending one.
    fn check(&self) -> Result<()> {
        check_growth(self.growth_pct)
    }
}

impl GrowthModel for Deterministic {
    fn simulate(&self, start: Start, _z: &[f64], paths: usize, _rng: &mut SimRng, out: &mut [f64]) {
        if paths == 0 {
            return;
        }
        let mu = (self.growth_pct / 100.0).ln_1p();
        for (t, ot) in out.chunks_exact_mut(paths).enumerate() {
            // exp of the summed log growth: no drift from repeated multiplication.
            ot.fill(start.level * (mu * (t + 1) as f64).exp());
        }
    }

    fn log_level_normal(&self, start: Start, years: usize) -> Option<(f64, f64)> {
        if start.level.is_nan() || start.level <= 0.0 {
            return None;
        }
        let mu = (self.growth_pct / 100.0).ln_1p();
        Some((start.level.ln() + years as f64 * mu, 0.0))
    }

    super::median_growth_moves!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn follows_the_plan_path() {
        let m = Deterministic::new(6.5).unwrap();
        let (paths, years) = (3, 5);
        let z = vec![1.7; paths * years];
        let mut out = vec![0.0; paths * years];
        m.simulate(
            Start::at(200.0),
            &z,
            paths,
            &mut SimRng::seed_from_u64(1),
            &mut out,
        );
        // python3: 200*1.065**5 = 274.0173326831249
        for (t, row) in out.chunks_exact(paths).enumerate() {
            let want = 200.0 * 1.065f64.powi(t as i32 + 1);
            for &v in row {
                assert!((v - want).abs() < 1e-10 * want, "year {t}: {v} vs {want}");
            }
        }
        assert!(
            (out[4 * paths] - 274.017_332_683_1).abs() < 1e-6,
            "{}",
            out[4 * paths]
        );
        let (mean, sd) = m.log_level_normal(Start::at(200.0), 5).unwrap();
        assert!((mean - 274.017_332_683_1f64.ln()).abs() < 1e-12 && sd == 0.0);
    }

    #[test]
    fn shift_and_reject() {
        let mut m = Deterministic::new(5.0).unwrap();
        assert!(m.shift_growth(0.01));
        // python3: 100*(exp(log(1.05)+0.01)-1) = 6.05526754383765
        assert!(
            (m.growth_pct - 6.055_267_543_8).abs() < 1e-8,
            "{}",
            m.growth_pct
        );
        assert!(!m.scale_volatility(2.0));
        let e = Deterministic::new(-100.0).unwrap_err().to_string();
        assert!(e.contains("growth_pct"), "{e}");
        assert!(Deterministic::new(f64::NAN).is_err());
    }
}
