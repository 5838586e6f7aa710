//! Shock probability and size from flagged years.

use serde::{Deserialize, Serialize};

use super::{BTreeMap, BTreeSet, Shock, check_finite, mean, pct, sample_sd, values};
use crate::error::{Error, Result};

/// Shock probability and size from flagged years.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShockFit {
    /// Share of years flagged, `flagged / n`.
    pub probability: f64,
    /// Its binomial standard error, `sqrt(p (1 - p) / n)`.
    pub probability_se: f64,
    /// Mean log growth of the unflagged (normal) years.
    pub normal_mean: f64,
    /// Mean deviation of log growth in flagged years from `normal_mean`.
    pub size: f64,
    /// Standard error of `size`, `sqrt(sd_f^2 / k + sd_u^2 / (n - k))`;
    /// `None` with fewer than two flagged or two normal years.
    pub size_se: Option<f64>,
    /// Standard deviation of the deviations across flagged years; `None` with
    /// fewer than two.
    pub size_sd: Option<f64>,
    /// Flagged years found in the history.
    pub flagged: usize,
    /// Years of log growth.
    pub n: usize,
}

impl ShockFit {
    /// Estimates from dated log growth and the flagged years (each must be a
    /// year with log growth).
    pub fn estimate(id: &str, g: &[(i32, f64)], flagged_years: &[i32]) -> Result<Self> {
        check_finite(id, &values(g))?;
        let flagged: BTreeSet<i32> = flagged_years.iter().copied().collect();
        if let Some(y) = flagged.iter().find(|y| !g.iter().any(|p| p.0 == **y)) {
            return Err(Error::indicator(
                id,
                "shock_years",
                format!("names {y}, a year without log growth in the history"),
            ));
        }
        let hit: Vec<f64> = g
            .iter()
            .filter(|p| flagged.contains(&p.0))
            .map(|p| p.1)
            .collect();
        let normal: Vec<f64> = g
            .iter()
            .filter(|p| !flagged.contains(&p.0))
            .map(|p| p.1)
            .collect();
        let (k, n) = (hit.len(), g.len());
        if k == 0 {
            return Err(Error::indicator(id, "shock_years", "names no year"));
        }
        if normal.is_empty() {
            return Err(Error::indicator(
                id,
                "shock_years",
                "flags every year: there is no normal year to measure the shock against",
            ));
        }
        let normal_mean = mean(&normal);
        let dev: Vec<f64> = hit.iter().map(|v| v - normal_mean).collect();
        let size_sd = (k >= 2).then(|| sample_sd(&dev));
        let size_se = match size_sd {
            Some(sf) if normal.len() >= 2 => {
                let su = sample_sd(&normal);
                Some((sf * sf / k as f64 + su * su / normal.len() as f64).sqrt())
            }
            _ => None,
        };
        let p = k as f64 / n as f64;
        Ok(ShockFit {
            probability: p,
            probability_se: (p * (1.0 - p) / n as f64).sqrt(),
            normal_mean,
            size: mean(&dev),
            size_se,
            size_sd,
            flagged: k,
            n,
        })
    }

    /// The shock's impact on the level in percent, `100 (exp(size) - 1)`.
    pub fn impact_pct(&self) -> f64 {
        pct(self.size)
    }

    /// A scenario shock for series `id` hitting in `year` with the estimated
    /// probability and impact.
    pub fn to_shock(&self, id: &str, year: i32) -> Shock {
        Shock {
            name: format!("{id} shock ({:.0}% of years)", 100.0 * self.probability),
            year,
            probability: self.probability,
            impact_pct: 0.0,
            impacts_pct: BTreeMap::from([(id.to_string(), self.impact_pct())]),
        }
    }
}
