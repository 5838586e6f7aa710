//! Persistence: AR(1) annual log growth around its mean.

use super::{GrowthModel, SimRng, Start};
use crate::error::{Error, Problem, Result};
use crate::simulate::kernel;

/// Annual log growth `x_t = mu + phi (x_{t-1} - mu) + sd z_t`, with
/// `mu = ln(1 + growth_pct / 100)` and `x_0` the start's last log growth (or
/// `mu` when unknown). `phi = 0` is the i.i.d. log-normal model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Ar1Raw")]
pub struct Ar1 {
    /// Median annual growth, percent.
    pub(super) growth_pct: f64,
    /// Persistence, in (-1, 1).
    pub(super) phi: f64,
    /// Standard deviation of the annual shock to log growth.
    pub(super) sd: f64,
}

/// The file form of [`Ar1`]: loading checks it through [`Ar1::new`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Ar1Raw {
    growth_pct: f64,
    phi: f64,
    sd: f64,
}

impl TryFrom<Ar1Raw> for Ar1 {
    type Error = crate::error::Error;
    fn try_from(r: Ar1Raw) -> Result<Self> {
        Ar1::new(r.growth_pct, r.phi, r.sd)
    }
}

impl Ar1 {
    /// Checked constructor.
    pub fn new(growth_pct: f64, phi: f64, sd: f64) -> Result<Self> {
        let m = Ar1 {
            growth_pct,
            phi,
            sd,
        };
        m.check()?;
        Ok(m)
    }

    /// Mean annual log growth.
    pub fn mu(&self) -> f64 {
        (self.growth_pct / 100.0).ln_1p()
    }
}

/// Checks a median growth in percent.
pub(crate) fn check_growth(growth_pct: f64) -> Result<()> {
    if growth_pct.is_finite() && growth_pct > -100.0 {
        Ok(())
    } else {
        Err(Error::parameter(
            "growth_pct",
            Problem::out_of_range(growth_pct, "finite and > -100"),
        ))
    }
}

/// Checks a standard deviation.
pub(crate) fn check_sd(name: &str, sd: f64) -> Result<()> {
    if sd.is_finite() && sd >= 0.0 {
        Ok(())
    } else {
        Err(Error::parameter(
            name,
            Problem::out_of_range(sd, "finite and >= 0"),
        ))
    }
}

impl Ar1 {
    /// Persistence, in (-1, 1).
    pub fn phi(&self) -> f64 {
        self.phi
    }

    /// Standard deviation of the annual shock to log growth.
    pub fn sd(&self) -> f64 {
        self.sd
    }

    /// Checks the parameters, naming the offending one.
    fn check(&self) -> Result<()> {
        check_growth(self.growth_pct)?;
        if self.phi.is_nan() || self.phi.abs() >= 1.0 {
            return Err(Error::parameter(
                "phi",
                Problem::out_of_range(self.phi, "in (-1, 1)"),
            ));
        }
        check_sd("sd", self.sd)
    }
}

impl GrowthModel for Ar1 {
    fn simulate(&self, start: Start, z: &[f64], paths: usize, _rng: &mut SimRng, out: &mut [f64]) {
        // The kernel simulates the years that both `z` and `out` hold in full.
        let mu = self.mu();
        let x0 = start.last_log_growth.unwrap_or(mu);
        let ar = kernel::LogAr1 {
            mu,
            phi: self.phi,
            sd: self.sd,
            scale: start.level,
        };
        kernel::ar1_paths(ar, x0, paths, z, out);
    }

    fn log_level_normal(&self, start: Start, years: usize) -> Option<(f64, f64)> {
        if start.level.is_nan() || start.level <= 0.0 {
            return None;
        }
        let (mu, phi) = (self.mu(), self.phi);
        let x0 = start.last_log_growth.unwrap_or(mu);
        // x_t - mu = phi^t (x0 - mu) + sum_{s<=t} phi^(t-s) sd z_s; summing over
        // t, shock s carries weight (1 - phi^(n-s+1)) / (1 - phi).
        let carry: f64 = (1..=years).map(|t| phi.powi(t as i32)).sum();
        let mean = start.level.ln() + years as f64 * mu + (x0 - mu) * carry;
        let var: f64 = (1..=years)
            .map(|s| ((1.0 - phi.powi((years - s + 1) as i32)) / (1.0 - phi)).powi(2))
            .sum();
        Some((mean, self.sd * var.sqrt()))
    }

    super::median_growth_moves!(sd);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::normal::NormalStream;
    use rand::SeedableRng;

    #[test]
    fn rejects_bad_parameters() {
        assert!(
            Ar1::new(5.0, 1.0, 0.1)
                .unwrap_err()
                .to_string()
                .contains("phi")
        );
        assert!(
            Ar1::new(5.0, 0.3, -0.1)
                .unwrap_err()
                .to_string()
                .contains("sd")
        );
        assert!(
            Ar1::new(-100.0, 0.3, 0.1)
                .unwrap_err()
                .to_string()
                .contains("growth_pct")
        );
        assert!(Ar1::new(f64::NAN, 0.3, 0.1).is_err());
    }

    #[test]
    fn loads_through_the_constructor_and_moves_stay_valid() {
        let e = toml::from_str::<Ar1>("growth_pct = 5.0\nphi = 1.2\nsd = 0.1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("phi") && e.contains("(-1, 1)"), "{e}");
        let text = "growth_pct = 5.0\nphi = 0.3\nsd = 0.1";
        let m: Ar1 = toml::from_str(text).unwrap();
        assert_eq!((m.phi(), m.sd(), m.growth_pct()), (0.3, 0.1, Some(5.0)));
        // Same file format both ways; unknown fields are still refused.
        assert_eq!(
            toml::from_str::<Ar1>(&toml::to_string(&m).unwrap()),
            Ok(m.clone())
        );
        assert!(toml::from_str::<Ar1>(&format!("{text}\nextra = 1")).is_err());
        // A move that would break a parameter is refused and undone.
        let mut moved = m.clone();
        assert!(!moved.scale_volatility(-1.0) && moved == m);
        assert!(!moved.shift_growth(f64::NAN) && moved == m);
        assert!(moved.scale_volatility(2.0) && moved.sd() == 0.2);
    }

    #[test]
    fn tiles_follow_the_recurrence() {
        // 300 paths: one full tile and a partial one.
        let m = Ar1::new(6.0, 0.5, 0.05).unwrap();
        let start = Start {
            level: 50.0,
            last_log_growth: Some(0.12),
        };
        let (paths, years) = (300, 3);
        let z = crate::simulate::model::testutil::normals(1, paths * years);
        let mut rng = SimRng::seed_from_u64(1);
        let mut out = vec![0.0; paths * years];
        m.simulate(start, &z, paths, &mut rng, &mut out);
        let mu = 1.06f64.ln();
        for p in 0..paths {
            let (mut g, mut lx) = (0.12, 0.0);
            for t in 0..years {
                g = mu + 0.5 * (g - mu) + 0.05 * z[t * paths + p];
                lx += g;
                let want = 50.0 * f64::exp(lx);
                let got = out[t * paths + p];
                assert!((got - want).abs() < 1e-12 * want, "path {p} year {t}");
            }
        }
    }

    #[test]
    fn closed_form_matches_simulation() {
        let m = Ar1::new(6.0, 0.5, 0.05).unwrap();
        let start = Start {
            level: 50.0,
            last_log_growth: Some(0.12),
        };
        let (paths, years) = (20_000, 4);
        let mut rng = SimRng::seed_from_u64(8);
        let mut z = vec![0.0; paths * years];
        NormalStream::new(&mut rng).fill(&mut rng, &mut z);
        let mut out = vec![0.0; paths * years];
        m.simulate(start, &z, paths, &mut rng, &mut out);
        let logs: Vec<f64> = out[(years - 1) * paths..].iter().map(|v| v.ln()).collect();
        let n = paths as f64;
        let mean = logs.iter().sum::<f64>() / n;
        let sd = (logs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        let (m_exact, sd_exact) = m.log_level_normal(start, years).unwrap();
        assert!(
            (mean - m_exact).abs() < 4.5 * sd_exact / n.sqrt(),
            "{mean} vs {m_exact}"
        );
        assert!(
            (sd - sd_exact).abs() < 4.5 * sd_exact / (2.0 * n).sqrt(),
            "{sd} vs {sd_exact}"
        );
    }

    #[test]
    fn peer_closed_form() {
        // ../shared/peers/README.md: P = 0.3516 for indicator 0.
        let m = Ar1::new(11.0, 0.3, 0.04).unwrap();
        let (mean, sd) = m.log_level_normal(Start::at(1.0), 5).unwrap();
        let p = crate::simulate::normal::normal_cdf((mean - 5.0 * 1.12f64.ln()) / sd);
        assert!((p - 0.3516).abs() < 5e-5, "{p}");
    }
}
