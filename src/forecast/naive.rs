//! The naive method: next year's level is this year's.

use super::{Fitted, Forecast, Method, Predictive, check_history, check_horizon};
use crate::error::Result;

/// Random walk in levels without drift: the point is the last value; the
/// predictive is normal with standard deviation `s sqrt(h)`, `s` the root mean
/// square of the in-sample one-step changes (as fable's `NAIVE`). Works on any
/// finite values, zero and negative included.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Naive;

#[derive(Debug, Clone)]
struct Fit {
    last: f64,
    s: f64,
}

impl Fitted for Fit {
    fn forecast(&self, horizon: usize) -> Result<Forecast> {
        let h = check_horizon(horizon)?;
        let predictive = Predictive::Normal {
            mean: self.last,
            sd: self.s * h.sqrt(),
        };
        predictive.validate()?;
        Ok(Forecast {
            horizon,
            point: self.last,
            predictive,
        })
    }
}

impl Method for Naive {
    fn name(&self) -> String {
        "naive".into()
    }

    fn min_history(&self) -> usize {
        2
    }

    fn fit(&self, history: &[f64]) -> Result<Box<dyn Fitted>> {
        check_history("naive", history, self.min_history(), false)?;
        let m = (history.len() - 1) as f64;
        let ss: f64 = history.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
        Ok(Box::new(Fit {
            last: history[history.len() - 1],
            s: (ss / m).sqrt(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_value_and_spread() {
        let f = Naive.fit(&[1.0, 3.0, 2.0, -2.0]).unwrap();
        let fc = f.forecast(4).unwrap();
        assert_eq!(fc.point, -2.0);
        // changes 2, -1, -4: mean square 21/3 = 7; sd sqrt(7) * sqrt(4).
        assert_eq!(
            fc.predictive,
            Predictive::Normal {
                mean: -2.0,
                sd: 7f64.sqrt() * 2.0
            }
        );
        assert!(Naive.fit(&[1.0]).is_err());
        assert!(Naive.fit(&[1.0, f64::INFINITY]).is_err());
    }
}
