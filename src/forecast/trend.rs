//! A log-linear trend by least squares.

use nalgebra::{DMatrix, DVector, Vector2};

use super::{Fitted, Forecast, Method, check_history, check_horizon, log_normal_forecast};
use crate::error::{Error, Result};

/// `ln x_t = a + b t + e_t`, `e_t` i.i.d. normal, by ordinary least squares.
/// The log level `h` years past the last is normal with the regression's
/// prediction variance `s^2 (1 + x0' (X'X)^-1 x0)`, `s^2 = RSS / (n - 2)`.
/// Time is centred on the history's mean year so that `X'X` is diagonal and
/// well conditioned.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogLinearTrend;

#[derive(Debug, Clone)]
struct Fit {
    beta: Vector2<f64>,
    /// `(X'X)^-1`.
    inv: nalgebra::Matrix2<f64>,
    s: f64,
    /// Centred time of the last value.
    t_last: f64,
}

impl Fitted for Fit {
    fn forecast(&self, horizon: usize) -> Result<Forecast> {
        let h = check_horizon(horizon)?;
        let x0 = Vector2::new(1.0, self.t_last + h);
        let var = 1.0 + (x0.transpose() * self.inv * x0)[0];
        log_normal_forecast(horizon, self.beta.dot(&x0), self.s * var.sqrt())
    }
}

impl Method for LogLinearTrend {
    fn name(&self) -> String {
        "log_linear_trend".into()
    }

    fn min_history(&self) -> usize {
        3
    }

    fn fit(&self, history: &[f64]) -> Result<Box<dyn Fitted>> {
        check_history("log_linear_trend", history, self.min_history(), true)?;
        let n = history.len();
        let t_mean = (n as f64 - 1.0) / 2.0;
        let x = DMatrix::from_fn(n, 2, |r, c| if c == 0 { 1.0 } else { r as f64 - t_mean });
        let y = DVector::from_iterator(n, history.iter().map(|v| v.ln()));
        let xtx = x.tr_mul(&x);
        let xtx = nalgebra::Matrix2::new(xtx[(0, 0)], xtx[(0, 1)], xtx[(1, 0)], xtx[(1, 1)]);
        let inv = xtx
            .try_inverse()
            .ok_or_else(|| Error::NoSolution("the trend regression's design is singular".into()))?;
        let xty = x.tr_mul(&y);
        let beta = inv * Vector2::new(xty[0], xty[1]);
        let resid = &y - &x * DVector::from_column_slice(beta.as_slice());
        let s = (resid.norm_squared() / (n as f64 - 2.0)).sqrt();
        Ok(Box::new(Fit {
            beta,
            inv,
            s,
            t_last: n as f64 - 1.0 - t_mean,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::Predictive;

    #[test]
    fn line_through_the_logs() {
        // ln y = 0, 1, 3 at t = 0, 1, 2 (numpy.polyfit): slope 1.5,
        // intercept -1/6 (at t = 0); residuals 1/6, -1/3, 1/6: RSS = 1/6,
        // s^2 = 1/6. At t = 3: mean -1/6 + 4.5 = 13/3; centred x0 = (1, 2),
        // (X'X)^-1 = diag(1/3, 1/2): 1 + 1/3 + 2 = 10/3; var = 10/18 = 5/9.
        let h: Vec<f64> = [0.0f64, 1.0, 3.0].iter().map(|v| v.exp()).collect();
        let fc = LogLinearTrend.fit(&h).unwrap().forecast(1).unwrap();
        match fc.predictive {
            Predictive::LogNormal { mu, sigma } => {
                assert!((mu - 13.0 / 3.0).abs() < 1e-12, "{mu}");
                assert!((sigma - (5.0f64 / 9.0).sqrt()).abs() < 1e-12, "{sigma}");
            }
            other => panic!("{other:?}"),
        }
        assert!((fc.point - (13.0f64 / 3.0).exp()).abs() < 1e-9);
        assert!(LogLinearTrend.fit(&[1.0, 2.0]).is_err());
        assert!(LogLinearTrend.fit(&[1.0, 2.0, -1.0]).is_err());
    }
}
