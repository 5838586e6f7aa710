//! Random walk with drift in logs.

use super::{
    Fitted, Forecast, Method, check_history, check_horizon, log_growth, log_normal_forecast, mean,
    sample_sd,
};
use crate::error::Result;

/// Log level a random walk with drift: annual log growth i.i.d.
/// `N(c, s^2)`, `c` and `s` their sample mean and standard deviation. The log
/// level `h` years ahead is normal with mean `ln x_n + h c` and variance
/// `s^2 (h + h^2 / m)` over `m` years of growth: the second term is the
/// uncertainty of the estimated drift (Hyndman and Athanasopoulos, FPP 5.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RandomWalkDrift;

#[derive(Debug, Clone)]
struct Fit {
    log_last: f64,
    c: f64,
    s: f64,
    m: f64,
}

impl Fitted for Fit {
    fn forecast(&self, horizon: usize) -> Result<Forecast> {
        let h = check_horizon(horizon)?;
        log_normal_forecast(
            horizon,
            self.log_last + h * self.c,
            self.s * (h + h * h / self.m).sqrt(),
        )
    }
}

impl Method for RandomWalkDrift {
    fn name(&self) -> String {
        "rw_drift".into()
    }

    fn min_history(&self) -> usize {
        3
    }

    fn fit(&self, history: &[f64]) -> Result<Box<dyn Fitted>> {
        check_history("rw_drift", history, self.min_history(), true)?;
        let g = log_growth(history);
        Ok(Box::new(Fit {
            log_last: history[history.len() - 1].ln(),
            c: mean(&g),
            s: sample_sd(&g),
            m: g.len() as f64,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::Predictive;

    #[test]
    fn drift_and_spread() {
        // log growth ln 2, ln 2, 0 (levels 1, 2, 4, 4): mean 2 ln2 / 3,
        // sd: deviations ln2/3, ln2/3, -2ln2/3 -> ss = 6 (ln2)^2 / 9, / 2 ->
        // s = ln2 / sqrt 3 = 0.4001887.
        let f = RandomWalkDrift.fit(&[1.0, 2.0, 4.0, 4.0]).unwrap();
        let fc = f.forecast(3).unwrap();
        let l2 = 2f64.ln();
        // point: 4 exp(3 * 2 ln2 / 3) = 4 * 4 = 16.
        assert!((fc.point - 16.0).abs() < 1e-12);
        // sigma = s sqrt(3 + 9/3) = ln2/sqrt3 * sqrt6 = ln2 sqrt2.
        match fc.predictive {
            Predictive::LogNormal { mu, sigma } => {
                assert!((mu - 16f64.ln()).abs() < 1e-12);
                assert!((sigma - l2 * 2f64.sqrt()).abs() < 1e-12);
            }
            other => panic!("{other:?}"),
        }
        assert!(RandomWalkDrift.fit(&[1.0, -2.0, 3.0]).is_err());
        assert!(RandomWalkDrift.fit(&[]).is_err());
    }
}
