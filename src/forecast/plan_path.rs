//! The plan path: the declared growth rate carried on from the latest value.

use super::{
    Fitted, Forecast, Method, check_history, check_horizon, log_growth, log_normal_forecast,
    sample_sd,
};
use crate::error::{Error, Problem, Result};

/// Declared annual growth from the latest value: the median path is
/// `x_n (1 + g)^h`. Its spread is the history's: log level normal with standard
/// deviation `s sqrt(h)`, `s` the sample standard deviation of annual log
/// growth, so the plan is scored as a forecast with honest uncertainty.
///
/// Built with [`PlanPath::declared`], it takes each backtest series' own
/// declared growth ([`SeriesData::target_growth_pct`](super::backtest::SeriesData));
/// a series without one is an error ("no declared growth"), not a silent 0%.
/// Built with [`PlanPath::new`], it keeps its rate on every series.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlanPath {
    /// Declared annual growth, percent; `None`: taken from each series.
    pub growth_pct: Option<f64>,
}

impl PlanPath {
    /// Checked constructor: `growth_pct` finite and `> -100`.
    pub fn new(growth_pct: f64) -> Result<Self> {
        if growth_pct.is_finite() && growth_pct > -100.0 {
            Ok(PlanPath {
                growth_pct: Some(growth_pct),
            })
        } else {
            Err(Error::parameter(
                "growth_pct",
                Problem::out_of_range(growth_pct, "finite and > -100"),
            ))
        }
    }

    /// The plan path at each backtest series' declared growth.
    pub fn declared() -> Self {
        PlanPath { growth_pct: None }
    }
}

/// A fitted log-normal path: log level `log_last + h drift`, spread `s sqrt(h)`.
#[derive(Debug, Clone)]
pub(crate) struct LogPath {
    pub log_last: f64,
    pub drift: f64,
    pub s: f64,
}

impl Fitted for LogPath {
    fn forecast(&self, horizon: usize) -> Result<Forecast> {
        let h = check_horizon(horizon)?;
        log_normal_forecast(horizon, self.log_last + h * self.drift, self.s * h.sqrt())
    }
}

impl Method for PlanPath {
    fn name(&self) -> String {
        "plan_path".into()
    }

    fn min_history(&self) -> usize {
        3
    }

    fn for_declared_growth(&self, growth_pct: f64) -> Option<Box<dyn Method>> {
        // A rate given explicitly wins over the series'.
        if self.growth_pct.is_some() {
            return None;
        }
        PlanPath::new(growth_pct)
            .ok()
            .map(|m| Box::new(m) as Box<dyn Method>)
    }

    fn fit(&self, history: &[f64]) -> Result<Box<dyn Fitted>> {
        let Some(growth_pct) = self.growth_pct else {
            return Err(Error::parameter(
                "growth_pct",
                "plan_path has no declared growth for this series",
            ));
        };
        // The constructor's check again: the field is public.
        PlanPath::new(growth_pct)?;
        check_history("plan_path", history, self.min_history(), true)?;
        Ok(Box::new(LogPath {
            log_last: history[history.len() - 1].ln(),
            drift: (growth_pct / 100.0).ln_1p(),
            s: sample_sd(&log_growth(history)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::Predictive;

    #[test]
    fn follows_the_declared_rate() {
        let f = PlanPath::new(10.0)
            .unwrap()
            .fit(&[100.0, 110.0, 99.0])
            .unwrap();
        let fc = f.forecast(2).unwrap();
        // 99 * 1.1^2 = 119.79
        assert!((fc.point - 119.79).abs() < 1e-10);
        // log growth ln(1.1) = 0.0953102, ln(0.9) = -0.1053605; sd (n-1) =
        // |difference| / sqrt 2 = 0.2006707 / 1.4142136 = 0.1418960; times sqrt 2
        // for h = 2: 0.2006707.
        match fc.predictive {
            Predictive::LogNormal { mu, sigma } => {
                assert!((mu - (99.0f64.ln() + 2.0 * 1.1f64.ln())).abs() < 1e-12);
                assert!((sigma - 0.2006706954621511).abs() < 1e-12, "{sigma}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_input() {
        assert!(PlanPath::new(-100.0).is_err());
        let e = PlanPath::declared().fit(&[1.0, 2.0, 3.0]).unwrap_err();
        assert!(e.to_string().contains("no declared growth"), "{e}");
        let m = PlanPath::new(5.0).unwrap();
        let e = m.fit(&[1.0, 2.0]).unwrap_err().to_string();
        assert_eq!(
            e,
            "parameter history: plan_path needs at least 3 values, got 2"
        );
        let e = m.fit(&[1.0, 0.0, 2.0]).unwrap_err().to_string();
        assert_eq!(
            e,
            "parameter history[1]: must be > 0 for plan_path (it works in logs), got 0"
        );
        assert!(m.fit(&[1.0, 2.0, 3.0]).unwrap().forecast(0).is_err());
    }
}
