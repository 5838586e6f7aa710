//! Results of a simulation: attainment probabilities with their uncertainty,
//! fan-chart quantiles, realised growth and shortfalls; and the closed forms
//! the engine is held to.

use serde::{Deserialize, Serialize};

use crate::plan::path_block::PathBlock;
use crate::plan::target::Direction;
use crate::simulate::model::{GrowthModel, Start};
use crate::simulate::source::Source;
use crate::warning::Warning;

/// Two-sided 95% standard normal quantile.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A probability estimated from simulated paths.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Probability {
    /// The estimate.
    pub p: f64,
    /// Its Monte Carlo standard error.
    pub se: f64,
    /// Lower end of the 95% Wilson interval.
    pub low: f64,
    /// Upper end of the 95% Wilson interval.
    pub high: f64,
    /// Paths the estimate rests on.
    pub paths: u64,
}

impl Probability {
    /// An estimate `p` from `paths` paths with standard error `se`. The Wilson
    /// interval uses the effective sample size `p(1-p)/se^2`, which is `paths`
    /// for independent draws and larger under variance reduction.
    pub fn new(p: f64, se: f64, paths: u64) -> Self {
        let n = if se > 0.0 && p > 0.0 && p < 1.0 {
            p * (1.0 - p) / (se * se)
        } else {
            paths as f64
        };
        let (low, high) = wilson(p, n);
        Probability {
            p,
            se,
            low,
            high,
            paths,
        }
    }
}

/// The 95% Wilson score interval for a proportion `p` observed on `n` trials.
pub fn wilson(p: f64, n: f64) -> (f64, f64) {
    if n.is_nan() || n <= 0.0 {
        return (0.0, 1.0);
    }
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The result for one target of one indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetResult {
    /// Indicator id.
    pub id: String,
    /// Row number in the plan table.
    pub no: Option<u32>,
    /// Which target of the indicator (0 = the main one).
    pub target_index: usize,
    /// Target kind (`level`, `cumulative`, ...).
    pub kind: String,
    /// Whether the indicator is binding (约束性).
    pub binding: bool,
    /// Probability that the target is met; `None` when the scenario does not
    /// simulate every series the target reads.
    pub attain: Option<Probability>,
    /// Threshold of the resolved rule, in the measure's units (`None` when the
    /// target does not resolve: not simulated).
    pub threshold: Option<f64>,
    /// Mean shortfall of the measure when the target is missed.
    pub expected_shortfall: Option<f64>,
    /// The same, percent of the threshold's magnitude.
    pub expected_shortfall_pct: Option<f64>,
}

/// Mean and quantiles of one series in one year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct YearBand {
    /// Calendar year.
    pub year: i32,
    /// Mean over paths.
    pub mean: f64,
    /// 5%, 25%, 50%, 75% and 95% quantiles.
    pub quantiles: [f64; 5],
}

/// The quantile levels of [`YearBand::quantiles`].
pub const FAN_LEVELS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Fan-chart data and realised growth of one simulated series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesFan {
    /// Series id.
    pub id: String,
    /// One band per year, base year first.
    pub years: Vec<YearBand>,
    /// Mean realised average annual growth over the plan, percent.
    pub growth_mean_pct: f64,
    /// Quantiles ([`FAN_LEVELS`]) of the realised average annual growth, percent.
    pub growth_quantiles_pct: [f64; 5],
}

/// Everything one run of the engine reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attainment {
    /// Scenario name.
    pub scenario: String,
    /// What the probabilities rest on: the scenario's source (history, a
    /// scenario file, or the plan alone: a plan-consistent baseline).
    #[serde(default)]
    pub source: Source,
    /// Seed used.
    pub seed: u64,
    /// Paths simulated.
    pub paths: u64,
    /// One result per target, in plan order.
    pub targets: Vec<TargetResult>,
    /// Probability that every simulated binding target is met.
    pub joint_binding: Option<Probability>,
    /// Probability that every simulated target is met.
    pub joint_all: Option<Probability>,
    /// Custom joint probabilities requested in the options, by name.
    pub joints: Vec<(String, Probability)>,
    /// Expected number of simulated targets met.
    pub expected_met: f64,
    /// Number of simulated targets.
    pub simulated_targets: usize,
    /// Fan-chart data per simulated series (empty when switched off).
    pub fan: Vec<SeriesFan>,
    /// Description of any repair made to the correlation matrix.
    pub correlation_repair: Option<String>,
    /// What is doubtful about the inputs or this result (rows not
    /// simulated and why, an unmet precision, a repaired correlation, the
    /// plan-only baseline, ...), for every output to list.
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// Whole paths, chunk by chunk in order, when the options asked for them.
    #[serde(skip)]
    pub kept_paths: Vec<PathBlock>,
}

impl Attainment {
    /// The result for indicator `id`'s target number `index`.
    pub fn target(&self, id: &str, index: usize) -> Option<&TargetResult> {
        self.targets
            .iter()
            .find(|t| t.id == id && t.target_index == index)
    }
}

pub use crate::simulate::normal::normal_cdf;

/// Exact probability that a level target is met after `years` years, for
/// models whose log level is normal (log-normal, Gaussian AR(1)); `None` for
/// the others. A growth target `g` is the level target `start (1+g)^years`.
pub fn closed_form_level(
    model: &dyn GrowthModel,
    start: Start,
    years: usize,
    threshold: f64,
    direction: Direction,
) -> Option<f64> {
    let (mean, sd) = model.log_level_normal(start, years)?;
    if threshold.is_nan() || threshold <= 0.0 {
        return Some(match direction {
            Direction::AtLeast => 1.0,
            Direction::AtMost => 0.0,
        });
    }
    let x = threshold.ln();
    let above = if sd > 0.0 {
        normal_cdf((mean - x) / sd)
    } else if mean >= x {
        1.0
    } else {
        0.0
    };
    Some(match direction {
        Direction::AtLeast => above,
        Direction::AtMost => 1.0 - above,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_textbook() {
        // p = 0.5, n = 100: centre 0.5, half = 1.96/(1+0.0384) * sqrt(0.0025 + 0.000096)
        let (lo, hi) = wilson(0.5, 100.0);
        assert!((lo - 0.403_831_53).abs() < 1e-8, "{lo}");
        assert!((hi - 0.596_168_47).abs() < 1e-8, "{hi}");
        // p = 0 keeps a positive upper end (python: same formula).
        let (lo, hi) = wilson(0.0, 100.0);
        assert!(lo.abs() < 1e-15);
        assert!((hi - 0.036_993_50).abs() < 1e-8, "{hi}");
    }
}
