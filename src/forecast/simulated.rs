//! The engine's own simulation as a forecast method.

use super::{Fitted, Forecast, Method, Predictive, check_history, check_horizon};
use crate::calibration::{Calibration, ModelChoice, scenario_from};
use crate::error::{Error, Problem, Result};
use crate::simulate::paths::{PathSimulator, Source};

/// Forecasts by what a mid-term review would run: the history is calibrated
/// into a scenario ([`scenario_from`] with the chosen model), and the path
/// simulator runs `paths` paths `horizons` years on from the history, which
/// stays fixed in every path. The predictive distribution is the simulated
/// sample (scored with the sample CRPS); the point is its median. The same
/// `seed` at every origin gives common random numbers.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawSimulated")]
pub struct Simulated {
    model: ModelChoice,
    paths: u64,
    seed: u64,
    horizons: usize,
}

/// The serialised form, checked on the way in.
#[derive(serde::Deserialize)]
struct RawSimulated {
    model: ModelChoice,
    paths: u64,
    seed: u64,
    horizons: usize,
}

impl TryFrom<RawSimulated> for Simulated {
    type Error = Error;
    fn try_from(r: RawSimulated) -> Result<Self> {
        Simulated::new(r.model, r.paths, r.seed, r.horizons)
    }
}

impl Simulated {
    /// Checked constructor: at least 100 paths (so the 2.5% and 97.5%
    /// quantiles rest on a few draws), at most 10,000,000 (they are kept whole),
    /// and 1 to 100 horizons.
    pub fn new(model: ModelChoice, paths: u64, seed: u64, horizons: usize) -> Result<Self> {
        // The paths are kept whole, so their number is bounded by memory.
        if !(100..=10_000_000).contains(&paths) {
            return Err(Error::parameter(
                "paths",
                Problem::out_of_range(paths, "between 100 and 10000000"),
            ));
        }
        if !(1..=MAX_HORIZONS).contains(&horizons) {
            return Err(Error::parameter(
                "horizons",
                format!("must be between 1 and {MAX_HORIZONS}, got {horizons}"),
            ));
        }
        Ok(Simulated {
            model,
            paths,
            seed,
            horizons,
        })
    }

    /// The model calibrated on each training window.
    pub fn model(&self) -> ModelChoice {
        self.model
    }

    /// Paths per forecast.
    pub fn paths(&self) -> u64 {
        self.paths
    }

    /// Seed of the simulator's streams.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Years simulated past the history (the largest horizon it forecasts).
    pub fn horizons(&self) -> usize {
        self.horizons
    }
}

/// Most years [`Simulated`] forecasts ahead.
const MAX_HORIZONS: usize = 100;

/// Simulated levels per horizon (`samples[h - 1]`).
#[derive(Debug, Clone)]
struct Fit {
    samples: Vec<Vec<f64>>,
}

impl Fitted for Fit {
    fn forecast(&self, horizon: usize) -> Result<Forecast> {
        check_horizon(horizon)?;
        let s = self.samples.get(horizon - 1).ok_or_else(|| {
            Error::parameter(
                "horizon",
                format!(
                    "the simulation ran {} years ahead, asked for {horizon}",
                    self.samples.len()
                ),
            )
        })?;
        let predictive = Predictive::Samples(s.clone());
        let point = predictive.quantile(0.5)?;
        Ok(Forecast {
            horizon,
            point,
            predictive,
        })
    }
}

/// Id of the one series the method simulates.
const ID: &str = "series";

impl Method for Simulated {
    fn name(&self) -> String {
        let m = match self.model {
            ModelChoice::LogNormal => "log_normal",
            ModelChoice::Ar1 => "ar1",
            ModelChoice::UncertainMean => "uncertain_mean",
            ModelChoice::StudentT => "student_t",
            ModelChoice::ShockMixture => "shock_mixture",
        };
        format!("engine_{m}")
    }

    fn min_history(&self) -> usize {
        // Two growths for a standard deviation.
        3
    }

    fn fit(&self, history: &[f64]) -> Result<Box<dyn Fitted>> {
        let name = self.name();
        check_history(&name, history, self.min_history(), true)?;
        let n = history.len();
        let calibration = Calibration::from_levels(ID, history)?;
        let mut scenario = scenario_from(&name, &[calibration], self.model, None)?.scenario;
        scenario.paths = self.paths;
        scenario.seed = self.seed;
        let model = scenario
            .models
            .get(ID)
            .cloned()
            .ok_or_else(|| Error::parameter("history", "calibrated into no model"))?;
        // The history is known in every path; the years after it are drawn.
        let years = (n - 1) + self.horizons;
        let source = Source::model(ID, model, history.to_vec(), years)?;
        let (sim, _) = PathSimulator::new(&scenario, 0, years, vec![ID.into()], vec![source])?;
        let blocks = sim.blocks(self.paths);
        let samples = (1..=self.horizons)
            .map(|h| {
                blocks
                    .iter()
                    .flat_map(|b| b.at(0, n - 1 + h).iter().copied())
                    .collect()
            })
            .collect();
        Ok(Box::new(Fit { samples }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::RandomWalkDrift;

    #[test]
    fn log_normal_simulation_matches_the_plug_in_distribution() {
        // Growths 0.04, 0.06, 0.05, 0.07, 0.03: mean 0.05, sd 0.0158. The
        // engine's log-normal model draws ln x_{n+h} ~ N(ln x_n + 0.05 h,
        // 0.0158^2 h); the median of 20,000 draws lies within 4.5 standard
        // errors (sqrt(pi/2) sigma / sqrt(n) in logs) of exp(ln x_n + 0.05 h).
        let g = [0.04, 0.06, 0.05, 0.07, 0.03];
        let mut history = vec![100.0];
        for x in g {
            history.push(history.last().unwrap() * f64::exp(x));
        }
        let m = Simulated::new(ModelChoice::LogNormal, 20_000, 7, 3).unwrap();
        assert_eq!(m.name(), "engine_log_normal");
        let f = m.fit(&history).unwrap();
        let sd = (g.iter().map(|x| (x - 0.05f64).powi(2)).sum::<f64>() / 4.0).sqrt();
        for h in 1..=3 {
            let fc = f.forecast(h).unwrap();
            let hf = h as f64;
            let median = (history[5].ln() + 0.05 * hf).exp();
            let se = (std::f64::consts::PI / 2.0).sqrt() * sd * hf.sqrt() / (20_000f64).sqrt();
            assert!((fc.point.ln() - median.ln()).abs() < 4.5 * se, "h={h}");
            // The spread of the log level is sd sqrt(h): the 2.5%-97.5% range
            // is 2 * 1.96 sd sqrt(h) within a few percent.
            let (lo, hi) = (
                fc.predictive.quantile(0.025).unwrap(),
                fc.predictive.quantile(0.975).unwrap(),
            );
            let width = (hi / lo).ln() / (2.0 * 1.959964 * sd * hf.sqrt());
            assert!((width - 1.0).abs() < 0.05, "h={h}: {width}");
        }
        assert!(f.forecast(4).is_err());
        assert!(f.forecast(0).is_err());
        // The plug-in log-normal has no drift uncertainty, so its intervals
        // are narrower than the random walk's, which adds it.
        let rw = RandomWalkDrift.fit(&history).unwrap().forecast(3).unwrap();
        let sim = f.forecast(3).unwrap();
        let w = |p: &Predictive| p.quantile(0.975).unwrap() / p.quantile(0.025).unwrap();
        assert!(w(&sim.predictive) < w(&rw.predictive));
    }

    #[test]
    fn same_seed_same_forecast_and_bad_input_is_an_error() {
        let history = [10.0, 11.0, 11.5, 12.8, 13.1, 14.0, 15.2];
        let m = Simulated::new(ModelChoice::Ar1, 500, 3, 2).unwrap();
        let a = m.fit(&history).unwrap().forecast(2).unwrap();
        let b = m.fit(&history).unwrap().forecast(2).unwrap();
        assert_eq!(a, b);
        assert!(m.fit(&[1.0, 2.0]).is_err());
        assert!(m.fit(&[1.0, -2.0, 3.0, 4.0]).is_err());
        assert!(Simulated::new(ModelChoice::LogNormal, 10, 0, 1).is_err());
        assert!(Simulated::new(ModelChoice::LogNormal, 1000, 0, 0).is_err());
        assert!(Simulated::new(ModelChoice::LogNormal, 1000, 0, usize::MAX).is_err());
        // The checks hold for a deserialised method too.
        let big = r#"{"model":"log_normal","paths":1000,"seed":0,"horizons":18446744073709551615}"#;
        assert!(serde_json::from_str::<Simulated>(big).is_err());
        let ok = r#"{"model":"log_normal","paths":1000,"seed":0,"horizons":1}"#;
        let m: Simulated = serde_json::from_str(ok).unwrap();
        assert_eq!((m.paths(), m.horizons()), (1000, 1));
    }
}
