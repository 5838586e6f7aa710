//! I.i.d. normal annual log growth: the level is log-normal.

use super::ar1::{Ar1, check_growth, check_sd};
use super::{GrowthModel, SimRng, Start};
use crate::error::Result;

/// Annual log growth `mu + sd z_t`, i.i.d., with `mu = ln(1 + growth_pct/100)`:
/// the median path grows at `growth_pct` a year.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "LogNormalRaw")]
pub struct LogNormal {
    /// Median annual growth, percent.
    growth_pct: f64,
    /// Standard deviation of annual log growth.
    sd: f64,
}

/// The file form of [`LogNormal`]: loading checks it through [`LogNormal::new`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LogNormalRaw {
    growth_pct: f64,
    sd: f64,
}

impl TryFrom<LogNormalRaw> for LogNormal {
    type Error = crate::error::Error;
    fn try_from(r: LogNormalRaw) -> Result<Self> {
        LogNormal::new(r.growth_pct, r.sd)
    }
}

impl LogNormal {
    /// Checked constructor.
    pub fn new(growth_pct: f64, sd: f64) -> Result<Self> {
        let m = LogNormal { growth_pct, sd };
        m.check()?;
        Ok(m)
    }

    /// The same process as an AR(1) without persistence (one code path).
    fn as_ar1(&self) -> Ar1 {
        Ar1 {
            growth_pct: self.growth_pct,
            phi: 0.0,
            sd: self.sd,
        }
    }
}

impl LogNormal {
    /// Standard deviation of annual log growth.
    pub fn sd(&self) -> f64 {
        self.sd
    }

    /// Checks the parameters, naming the offending one.
    fn check(&self) -> Result<()> {
        check_growth(self.growth_pct)?;
        check_sd("sd", self.sd)
    }
}

impl GrowthModel for LogNormal {
    fn simulate(&self, start: Start, z: &[f64], paths: usize, rng: &mut SimRng, out: &mut [f64]) {
        // No persistence: the start's last growth must not carry over.
        let start = Start::at(start.level);
        self.as_ar1().simulate(start, z, paths, rng, out)
    }

    fn log_level_normal(&self, start: Start, years: usize) -> Option<(f64, f64)> {
        self.as_ar1()
            .log_level_normal(Start::at(start.level), years)
    }

    super::median_growth_moves!(sd);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_log_level() {
        let m = LogNormal::new(8.0, 0.05).unwrap();
        let (mean, sd) = m.log_level_normal(Start::at(100.0), 5).unwrap();
        assert!((mean - (100f64.ln() + 5.0 * 1.08f64.ln())).abs() < 1e-12);
        assert!((sd - 0.05 * 5f64.sqrt()).abs() < 1e-12);
        assert!(LogNormal::new(8.0, f64::INFINITY).is_err());
    }
}
