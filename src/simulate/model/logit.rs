//! Bounded shares and rates: a random walk in logit space.

use super::ar1::check_sd;
use super::{GrowthModel, SimRng, Start};
use crate::error::{Error, Result, finite, positive};

/// A share or rate `v` in `(0, upper)` (percent indicators: `upper = 100`)
/// whose logit `y = ln(v / (upper - v))` walks with `y_t = y_{t-1} + drift +
/// sd z_t`, so every simulated value stays in range. After `n` years `y` is
/// normal with mean `y_0 + n drift` and sd `sd sqrt(n)`; the median value is
/// `upper / (1 + exp(-(y_0 + n drift)))`. See [`drift_to_reach`] to aim the
/// median at a plan target.
///
/// A start outside `(0, upper)` simulates NaN (the engine validates starts).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "LogitRaw")]
pub struct Logit {
    /// Annual drift of the logit.
    drift: f64,
    /// Standard deviation of the logit's annual step.
    sd: f64,
    /// Upper bound of the values (100 for percent).
    upper: f64,
}

/// The file form of [`Logit`]: loading checks it through [`Logit::new`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LogitRaw {
    drift: f64,
    sd: f64,
    #[serde(default = "hundred")]
    upper: f64,
}

impl TryFrom<LogitRaw> for Logit {
    type Error = crate::error::Error;
    fn try_from(r: LogitRaw) -> Result<Self> {
        Logit::new(r.drift, r.sd, r.upper)
    }
}

fn hundred() -> f64 {
    100.0
}

/// `ln(v / (upper - v))`, NaN outside `(0, upper)`.
fn logit(v: f64, upper: f64) -> f64 {
    if v > 0.0 && v < upper {
        (v / (upper - v)).ln()
    } else {
        f64::NAN
    }
}

/// Checks that `v` is strictly inside `(0, upper)`.
fn check_inside(name: &str, v: f64, upper: f64) -> Result<f64> {
    if v > 0.0 && v < upper {
        Ok(v)
    } else {
        Err(Error::parameter(
            name,
            format!("must be in (0, {upper}), got {v}"),
        ))
    }
}

/// The annual logit drift that takes the median path from `start` to `target`
/// in `years` years, both in `(0, upper)`.
pub fn drift_to_reach(start: f64, target: f64, years: f64, upper: f64) -> Result<f64> {
    positive("upper", upper)?;
    positive("years", years)?;
    check_inside("start", start, upper)?;
    check_inside("target", target, upper)?;
    Ok((logit(target, upper) - logit(start, upper)) / years)
}

impl Logit {
    /// Checked constructor.
    pub fn new(drift: f64, sd: f64, upper: f64) -> Result<Self> {
        let m = Logit { drift, sd, upper };
        m.check()?;
        Ok(m)
    }

    /// Mean and standard deviation of the (normal) logit after `years` years
    /// from `start`; `None` for a start outside `(0, upper)`.
    pub fn logit_normal(&self, start: f64, years: usize) -> Option<(f64, f64)> {
        let y0 = logit(start, self.upper);
        (!y0.is_nan()).then(|| {
            (
                y0 + years as f64 * self.drift,
                self.sd * (years as f64).sqrt(),
            )
        })
    }
}

impl Logit {
    /// Annual drift of the logit.
    pub fn drift(&self) -> f64 {
        self.drift
    }

    /// Standard deviation of the logit's annual step.
    pub fn sd(&self) -> f64 {
        self.sd
    }

    /// Upper bound of the values (100 for percent).
    pub fn upper(&self) -> f64 {
        self.upper
    }

    /// Checks the parameters, naming the offending one.
    fn check(&self) -> Result<()> {
        finite("drift", self.drift)?;
        check_sd("sd", self.sd)?;
        positive("upper", self.upper).map(|_| ())
    }
}

impl GrowthModel for Logit {
    fn simulate(&self, start: Start, z: &[f64], paths: usize, _rng: &mut SimRng, out: &mut [f64]) {
        if paths == 0 {
            return;
        }
        let mut y = vec![logit(start.level, self.upper); paths];
        for (zt, ot) in z.chunks_exact(paths).zip(out.chunks_exact_mut(paths)) {
            for ((yi, o), &zi) in y.iter_mut().zip(ot.iter_mut()).zip(zt) {
                *yi += self.drift + self.sd * zi;
                *o = self.upper / (1.0 + (-*yi).exp());
            }
        }
    }

    /// Shifts the logit drift (raises every path, like a higher growth).
    fn shift_growth(&mut self, delta: f64) -> bool {
        let before = self.clone();
        self.drift += delta;
        super::keep_if_valid(self, before, Self::check)
    }

    fn scale_volatility(&mut self, factor: f64) -> bool {
        let before = self.clone();
        self.sd *= factor;
        super::keep_if_valid(self, before, Self::check)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_moments, normals};
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn logit_moments_and_range() {
        let m = Logit::new(0.1, 0.3, 100.0).unwrap();
        let (paths, years) = (10_000, 4);
        let z = normals(51, paths * years);
        let mut out = vec![0.0; paths * years];
        m.simulate(
            Start::at(60.0),
            &z,
            paths,
            &mut SimRng::seed_from_u64(1),
            &mut out,
        );
        assert!(out.iter().all(|&v| v > 0.0 && v < 100.0));
        let last: Vec<f64> = out[(years - 1) * paths..]
            .iter()
            .map(|&v| logit(v, 100.0))
            .collect();
        // python3: log(60/40) + 4*0.1 = 0.8054651081081644; sd 0.3*2 = 0.6
        let (mean, sd) = m.logit_normal(60.0, years).unwrap();
        assert!((mean - 0.805_465_108_108_164_4).abs() < 1e-12 && (sd - 0.6).abs() < 1e-15);
        assert_moments(&last, mean, sd * sd);
    }

    #[test]
    fn drift_reaches_target_on_the_median_path() {
        // Trade dependency from 12% to 15% in 5 years (percent):
        // python3: (log(15/85) - log(12/88)) / 5 = 0.05156582186041998
        let d = drift_to_reach(12.0, 15.0, 5.0, 100.0).unwrap();
        assert!((d - 0.051_565_821_860_419_98).abs() < 1e-12, "{d}");
        let m = Logit::new(d, 0.0, 100.0).unwrap();
        let mut out = [0.0; 5];
        m.simulate(
            Start::at(12.0),
            &[0.3; 5],
            1,
            &mut SimRng::seed_from_u64(1),
            &mut out,
        );
        assert!((out[4] - 15.0).abs() < 1e-12, "{out:?}");
        // A rate bounded by 1 (fractions) works the same.
        let d1 = drift_to_reach(0.12, 0.15, 5.0, 1.0).unwrap();
        assert!((d1 - d).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_parameters() {
        for (r, name) in [
            (Logit::new(f64::NAN, 0.1, 100.0).map(|_| 0.0), "drift"),
            (Logit::new(0.1, -0.1, 100.0).map(|_| 0.0), "sd"),
            (Logit::new(0.1, 0.1, 0.0).map(|_| 0.0), "upper"),
            (drift_to_reach(0.0, 15.0, 5.0, 100.0), "start"),
            (drift_to_reach(12.0, 100.0, 5.0, 100.0), "target"),
            (drift_to_reach(12.0, 15.0, 0.0, 100.0), "years"),
        ] {
            let e = r.unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
        let m = Logit::new(0.1, 0.1, 100.0).unwrap();
        let mut out = [0.0; 2];
        m.simulate(
            Start::at(120.0),
            &[0.0, 0.0],
            1,
            &mut SimRng::seed_from_u64(1),
            &mut out,
        );
        assert!(out.iter().all(|v| v.is_nan()));
        assert!(
            toml::from_str::<Logit>("drift = 0.1\nsd = 0.2")
                .unwrap()
                .upper
                == 100.0
        );
    }
}
