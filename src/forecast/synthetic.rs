//! Synthetic series from known processes, so that a backtest can be checked
//! against the truth: the method that matches the process should win on
//! average, and its intervals should cover at their nominal rates.

use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::backtest::SeriesData;
use crate::error::{Error, Problem, Result, finite};
use crate::simulate::model::SimRng;

/// A process of annual log growth `g_t = ln(x_t / x_{t-1})`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "process", rename_all = "snake_case")]
pub enum Process {
    /// I.i.d. normal log growth: a log random walk with drift (the process
    /// [`RandomWalkDrift`](super::RandomWalkDrift) assumes).
    IidLogGrowth {
        /// Mean log growth.
        mean: f64,
        /// Standard deviation of log growth, `>= 0`.
        sd: f64,
    },
    /// AR(1) log growth `g_t = mean + phi (g_{t-1} - mean) + sd e_t`, started
    /// from its stationary distribution (the process
    /// [`Ar1Growth`](super::Ar1Growth) assumes).
    Ar1Growth {
        /// Long-run mean log growth.
        mean: f64,
        /// Persistence, `|phi| < 1`.
        phi: f64,
        /// Innovation standard deviation, `>= 0`.
        sd: f64,
    },
    /// I.i.d. normal log growth plus, with probability `probability` each
    /// year, a shock that adds `impact` to that year's log growth.
    ShockMixture {
        /// Mean log growth in a normal year.
        mean: f64,
        /// Standard deviation of log growth, `>= 0`.
        sd: f64,
        /// Probability of a shock year, in `[0, 1]`.
        probability: f64,
        /// Log growth a shock adds (negative for a bad year).
        impact: f64,
    },
    /// Drift breaks: log growth is `d_t + sd e_t`, and with probability
    /// `probability` each year the drift `d_t` moves for good by a normal
    /// step of standard deviation `break_sd` (from `mean` at the start): the
    /// growth regime changes that five-year plans live through.
    DriftBreaks {
        /// Drift of the first year.
        mean: f64,
        /// Standard deviation of log growth about the drift, `>= 0`.
        sd: f64,
        /// Probability of a break each year, in `[0, 1]`.
        probability: f64,
        /// Standard deviation of a break, `>= 0`.
        break_sd: f64,
    },
}

impl Process {
    /// The mix the `benchmark_methods` example and the backtest bench draw
    /// from: i.i.d. growth (6%, sd 4%), AR(1) growth (6%, persistence 0.7,
    /// sd 3%), and a shock mixture (7%, sd 3%, a 10% chance a year of a
    /// 15% fall in log terms).
    pub const STANDARD_MIX: [Process; 3] = [
        Process::IidLogGrowth {
            mean: 0.06,
            sd: 0.04,
        },
        Process::Ar1Growth {
            mean: 0.06,
            phi: 0.7,
            sd: 0.03,
        },
        Process::ShockMixture {
            mean: 0.07,
            sd: 0.03,
            probability: 0.1,
            impact: -0.15,
        },
    ];

    /// Checks the parameters, naming the offending one.
    pub fn validate(&self) -> Result<()> {
        let scale_ok = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(Error::parameter(
                    name,
                    Problem::out_of_range(v, "finite and >= 0"),
                ))
            }
        };
        let sd_ok = |sd: f64| scale_ok("sd", sd);
        let probability_ok = |p: f64| {
            if (0.0..=1.0).contains(&p) {
                Ok(())
            } else {
                Err(Error::parameter(
                    "probability",
                    Problem::out_of_range(p, "in [0, 1]"),
                ))
            }
        };
        match *self {
            Process::IidLogGrowth { mean, sd } => {
                finite("mean", mean)?;
                sd_ok(sd)
            }
            Process::Ar1Growth { mean, phi, sd } => {
                finite("mean", mean)?;
                if phi.is_nan() || phi.abs() >= 1.0 {
                    return Err(Error::parameter(
                        "phi",
                        Problem::out_of_range(phi, "in (-1, 1)"),
                    ));
                }
                sd_ok(sd)
            }
            Process::ShockMixture {
                mean,
                sd,
                probability,
                impact,
            } => {
                finite("mean", mean)?;
                finite("impact", impact)?;
                probability_ok(probability)?;
                sd_ok(sd)
            }
            Process::DriftBreaks {
                mean,
                sd,
                probability,
                break_sd,
            } => {
                finite("mean", mean)?;
                probability_ok(probability)?;
                scale_ok("break_sd", break_sd)?;
                sd_ok(sd)
            }
        }
    }

    /// Short name for tables (`"iid"`, `"ar1"`, `"shock"`, `"breaks"`).
    pub fn name(&self) -> &'static str {
        match self {
            Process::IidLogGrowth { .. } => "iid",
            Process::Ar1Growth { .. } => "ar1",
            Process::ShockMixture { .. } => "shock",
            Process::DriftBreaks { .. } => "breaks",
        }
    }

    /// The median annual growth of a normal year, percent: a natural target
    /// rate, met about half the time.
    pub fn median_growth_pct(&self) -> f64 {
        let (Process::IidLogGrowth { mean, .. }
        | Process::Ar1Growth { mean, .. }
        | Process::ShockMixture { mean, .. }
        | Process::DriftBreaks { mean, .. }) = *self;
        100.0 * mean.exp_m1()
    }

    /// `len` log growths from `rng`.
    fn growths(&self, len: usize, rng: &mut SimRng) -> Vec<f64> {
        let mut z = || -> f64 { rng.sample(StandardNormal) };
        match *self {
            Process::IidLogGrowth { mean, sd } => (0..len).map(|_| mean + sd * z()).collect(),
            Process::Ar1Growth { mean, phi, sd } => {
                let mut g = mean + sd / (1.0 - phi * phi).sqrt() * z();
                (0..len)
                    .map(|_| {
                        g = mean + phi * (g - mean) + sd * z();
                        g
                    })
                    .collect()
            }
            Process::ShockMixture {
                mean,
                sd,
                probability,
                impact,
            } => (0..len)
                .map(|_| {
                    let g = mean + sd * rng.sample::<f64, _>(StandardNormal);
                    let u: f64 = rng.random();
                    if u < probability { g + impact } else { g }
                })
                .collect(),
            Process::DriftBreaks {
                mean,
                sd,
                probability,
                break_sd,
            } => {
                let mut drift = mean;
                (0..len)
                    .map(|_| {
                        let u: f64 = rng.random();
                        if u < probability {
                            drift += break_sd * rng.sample::<f64, _>(StandardNormal);
                        }
                        drift + sd * rng.sample::<f64, _>(StandardNormal)
                    })
                    .collect()
            }
        }
    }
}

/// Most values [`generate`] makes in one call (a memory bound, not a model one).
pub const MAX_VALUES: usize = 100_000_000;

/// `count` series of `len` yearly values from `process`, each starting at
/// `start`, with ids `"{name}{i}"` (`iid0`, `iid1`, ...) and the process's
/// median growth as target growth. Series `i` draws from its own stream of
/// `(seed, i)`, so a series does not depend on how many are generated.
pub fn generate(
    process: &Process,
    count: usize,
    len: usize,
    start: f64,
    seed: u64,
) -> Result<Vec<SeriesData>> {
    process.validate()?;
    if !(start.is_finite() && start > 0.0) {
        return Err(Error::parameter(
            "start",
            Problem::out_of_range(start, "finite and > 0"),
        ));
    }
    if !(1..=MAX_VALUES).contains(&len) || count > MAX_VALUES / len {
        return Err(Error::parameter(
            "len",
            format!("{count} series of {len} values: need 1 to {MAX_VALUES} values in all"),
        ));
    }
    let target = process.median_growth_pct();
    (0..count)
        .into_par_iter()
        .map(|i| {
            let mut rng = SimRng::seed_from_u64(crate::simulate::rng::stream_seed(seed, i as u64));
            let mut level = start.ln();
            let mut values = Vec::with_capacity(len);
            values.push(start);
            for g in process.growths(len - 1, &mut rng) {
                level += g;
                values.push(level.exp());
            }
            if let Some(v) = values.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
                return Err(Error::NoSolution(format!(
                    "series {i} of process {} left the positive floats ({v}); \
                     lower its growth or length",
                    process.name()
                )));
            }
            Ok(SeriesData {
                id: format!("{}{i}", process.name()),
                values,
                target_growth_pct: Some(target),
                first_year: None,
                filled: Vec::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_growths(s: &SeriesData) -> Vec<f64> {
        s.values.windows(2).map(|w| (w[1] / w[0]).ln()).collect()
    }

    fn moments(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        (
            m,
            xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
        )
    }

    #[test]
    fn iid_moments_within_their_standard_errors() {
        let p = Process::IidLogGrowth {
            mean: 0.05,
            sd: 0.02,
        };
        let s = generate(&p, 200, 51, 100.0, 9).unwrap();
        assert_eq!(s.len(), 200);
        assert_eq!(s[3].id, "iid3");
        assert!(
            s.iter()
                .all(|x| x.values.len() == 51 && x.values[0] == 100.0)
        );
        let g: Vec<f64> = s.iter().flat_map(log_growths).collect();
        let (m, v) = moments(&g);
        let n = g.len() as f64;
        // SE of the mean sd/sqrt(n); of the variance sd^2 sqrt(2/(n-1)).
        assert!((m - 0.05).abs() < 4.5 * 0.02 / n.sqrt(), "{m}");
        assert!(
            (v - 4e-4).abs() < 4.5 * 4e-4 * (2.0 / (n - 1.0)).sqrt(),
            "{v}"
        );
        assert!((s[0].target_growth_pct.unwrap() - 100.0 * 0.05f64.exp_m1()).abs() < 1e-12);
    }

    #[test]
    fn ar1_lag_one_correlation_is_phi() {
        let p = Process::Ar1Growth {
            mean: 0.06,
            phi: 0.7,
            sd: 0.02,
        };
        let s = generate(&p, 400, 41, 50.0, 4).unwrap();
        // Pooled lag-1 autocorrelation about the true mean; its SE is about
        // sqrt((1 - phi^2) / n).
        let (mut num, mut den) = (0.0, 0.0);
        let mut n = 0.0f64;
        for x in &s {
            let g = log_growths(x);
            for w in g.windows(2) {
                num += (w[0] - 0.06) * (w[1] - 0.06);
                den += (w[0] - 0.06).powi(2);
                n += 1.0;
            }
        }
        let r = num / den;
        assert!((r - 0.7).abs() < 4.5 * ((1.0 - 0.49) / n).sqrt(), "{r}");
    }

    #[test]
    fn shock_years_arrive_at_their_rate() {
        // Shocks of -0.5 against sd 0.01 are unmistakable: count growths below -0.3.
        let p = Process::ShockMixture {
            mean: 0.05,
            sd: 0.01,
            probability: 0.1,
            impact: -0.5,
        };
        let s = generate(&p, 100, 31, 10.0, 2).unwrap();
        let g: Vec<f64> = s.iter().flat_map(log_growths).collect();
        let share = g.iter().filter(|&&x| x < -0.3).count() as f64 / g.len() as f64;
        assert!(
            (share - 0.1).abs() < 4.5 * (0.09 / g.len() as f64).sqrt(),
            "{share}"
        );
    }

    #[test]
    fn drift_breaks_arrive_at_their_rate_and_persist() {
        // Without noise about the drift, growth changes only at a break:
        // count the years whose growth differs from the year before.
        let p = Process::DriftBreaks {
            mean: 0.05,
            sd: 0.0,
            probability: 0.1,
            break_sd: 0.02,
        };
        let s = generate(&p, 100, 31, 10.0, 3).unwrap();
        let (mut breaks, mut pairs) = (0usize, 0usize);
        for x in &s {
            let g = log_growths(x);
            breaks += g.windows(2).filter(|w| (w[1] - w[0]).abs() > 1e-9).count();
            pairs += g.len() - 1;
        }
        let share = breaks as f64 / pairs as f64;
        assert!(
            (share - 0.1).abs() < 4.5 * (0.09 / pairs as f64).sqrt(),
            "{share}"
        );
        assert_eq!(p.name(), "breaks");
        assert!(
            Process::DriftBreaks {
                mean: 0.05,
                sd: 0.0,
                probability: 0.1,
                break_sd: -1.0,
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn streams_are_per_series_and_bad_parameters_are_errors() {
        let p = Process::IidLogGrowth {
            mean: 0.05,
            sd: 0.02,
        };
        let a = generate(&p, 5, 10, 1.0, 7).unwrap();
        let b = generate(&p, 50, 10, 1.0, 7).unwrap();
        assert_eq!(a[..], b[..5]);
        assert_ne!(a[0].values, a[1].values);
        let bad = Process::Ar1Growth {
            mean: 0.0,
            phi: 1.0,
            sd: 0.1,
        };
        assert!(
            generate(&bad, 1, 5, 1.0, 0)
                .unwrap_err()
                .to_string()
                .contains("phi")
        );
        assert!(generate(&p, 1, 5, -1.0, 0).is_err());
        assert!(generate(&p, 1, 0, 1.0, 0).is_err());
        let huge = Process::IidLogGrowth {
            mean: 100.0,
            sd: 0.0,
        };
        assert!(generate(&huge, 1, 20, 1.0, 0).is_err());
    }
}
