//! The historical compound average growth rate, extrapolated.

use super::plan_path::LogPath;
use super::{Fitted, Method, check_history, log_growth, sample_sd};
use crate::error::{Error, Problem, Result};

/// The compound average growth over the last `years` years (or the whole
/// history), `(x_n / x_{n-years})^(1/years) - 1`, carried forward from the
/// latest value. The spread is the window's: log level normal with standard
/// deviation `s sqrt(h)`, `s` the sample standard deviation of the window's
/// log growth. Over the whole history its median path is the random walk with
/// drift's; unlike that method it takes the rate as known.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cagr {
    /// Years of growth in the window; `None` uses the whole history.
    pub years: Option<usize>,
}

impl Cagr {
    /// Over the whole history.
    pub fn whole() -> Self {
        Cagr { years: None }
    }

    /// Over the last `years` years, `years >= 2` (a spread needs two).
    pub fn window(years: usize) -> Result<Self> {
        if years < 2 {
            return Err(Error::parameter(
                "years",
                Problem::out_of_range(years, "at least 2"),
            ));
        }
        Ok(Cagr { years: Some(years) })
    }
}

impl Method for Cagr {
    fn name(&self) -> String {
        match self.years {
            None => "cagr".into(),
            Some(y) => format!("cagr_{y}"),
        }
    }

    fn min_history(&self) -> usize {
        self.years.map_or(3, |y| y.max(2).saturating_add(1))
    }

    fn fit(&self, history: &[f64]) -> Result<Box<dyn Fitted>> {
        if let Some(y) = self.years {
            Cagr::window(y)?;
        }
        let name = self.name();
        check_history(&name, history, self.min_history(), true)?;
        let n = history.len();
        // check_history made n >= years + 1, so the start is in range.
        let window = &history[n - self.years.map_or(n, |y| y.saturating_add(1).min(n))..];
        let g = log_growth(window);
        let years = g.len() as f64;
        Ok(Box::new(LogPath {
            log_last: history[n - 1].ln(),
            drift: crate::plan::growth::log_ratio(window[window.len() - 1], window[0]) / years,
            s: sample_sd(&g),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_window_is_an_error_not_a_panic() {
        let m = Cagr::window(usize::MAX).unwrap();
        assert!(m.fit(&[1.0, 2.0, 3.0]).is_err());
    }

    #[test]
    fn window_rate() {
        // Last 2 years of 5, 1, 2, 8: from 1 to 8 in 2 years, rate 8^(1/2) - 1;
        // point 2 years ahead: 8 * 8 = 64.
        let f = Cagr::window(2).unwrap().fit(&[5.0, 1.0, 2.0, 8.0]).unwrap();
        assert!((f.forecast(2).unwrap().point - 64.0).abs() < 1e-10);
        // Whole history: 5 -> 8 in 3 years; 1 year ahead 8 (8/5)^(1/3).
        let f = Cagr::whole().fit(&[5.0, 1.0, 2.0, 8.0]).unwrap();
        let want = 8.0 * 1.6f64.powf(1.0 / 3.0);
        assert!((f.forecast(1).unwrap().point - want).abs() < 1e-12);
        assert!(Cagr::window(1).is_err());
        assert!(Cagr::window(3).unwrap().fit(&[1.0, 2.0, 3.0]).is_err());
    }
}
