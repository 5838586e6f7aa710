//! AR(1) on annual log growth.

use super::{
    Fitted, Forecast, Method, check_history, check_horizon, log_growth, log_normal_forecast,
};
use crate::calibration::Ar1Fit;
use crate::error::Result;
use crate::simulate::model::{Ar1, GrowthModel, Start};

/// Annual log growth follows an AR(1) around its mean, fitted by least squares
/// ([`Ar1Fit`], persistence clamped inside (-1, 1)); the log level `h` years
/// ahead is normal from the last observed growth ([`Ar1`]'s closed form). The
/// parameters are taken as known: the spread omits their estimation error.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ar1Growth;

#[derive(Debug, Clone)]
struct Fit {
    model: Ar1,
    start: Start,
}

impl Fitted for Fit {
    fn forecast(&self, horizon: usize) -> Result<Forecast> {
        check_horizon(horizon)?;
        // A checked positive start always has the closed form.
        let (mu, sigma) = self
            .model
            .log_level_normal(self.start, horizon)
            .unwrap_or((f64::NAN, f64::NAN));
        log_normal_forecast(horizon, mu, sigma)
    }
}

impl Method for Ar1Growth {
    fn name(&self) -> String {
        "ar1_growth".into()
    }

    fn min_history(&self) -> usize {
        crate::calibration::MIN_AR1_YEARS + 1
    }

    fn fit(&self, history: &[f64]) -> Result<Box<dyn Fitted>> {
        check_history("ar1_growth", history, self.min_history(), true)?;
        let g = log_growth(history);
        let model = Ar1Fit::estimate("history", &g)?.to_ar1()?;
        Ok(Box::new(Fit {
            model,
            start: Start {
                level: history[history.len() - 1],
                last_log_growth: g.last().copied(),
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::Predictive;

    #[test]
    fn one_step_is_the_regression() {
        // log growth 0.1, 0.3, 0.2, 0.4: pairs (0.1,0.3), (0.3,0.2), (0.2,0.4);
        // xm = 0.2, ym = 0.3, sxx = 0.02, sxy = 0*... = (-0.1)(0) + (0.1)(-0.1)
        // + 0 = -0.01: phi = -0.5. The mean is over all years: 0.25. One step:
        // 0.25 - 0.5 (0.4 - 0.25) = 0.175. Residuals with a = 0.4: 0.3-0.35,
        // 0.2-0.25, 0.4-0.3 -> -0.05, -0.05, 0.1: RSS 0.015 / 1 -> sd 0.1224745.
        let g = [0.1f64, 0.3, 0.2, 0.4];
        let mut h = vec![10.0f64];
        for v in g {
            h.push(h.last().unwrap() * v.exp());
        }
        let fc = Ar1Growth.fit(&h).unwrap().forecast(1).unwrap();
        match fc.predictive {
            Predictive::LogNormal { mu, sigma } => {
                assert!((mu - (h[4].ln() + 0.175)).abs() < 1e-12, "{mu}");
                assert!((sigma - 0.015f64.sqrt()).abs() < 1e-12, "{sigma}");
            }
            other => panic!("{other:?}"),
        }
        assert!(Ar1Growth.fit(&h[..4]).is_err());
        // Exponential growth: constant log growth, no AR(1) coefficient.
        assert!(Ar1Growth.fit(&[1.0, 2.0, 4.0, 8.0, 16.0]).is_err());
    }
}
