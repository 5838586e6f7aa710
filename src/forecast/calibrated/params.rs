//! One series' fitted parameters at one origin, as plain data, and the
//! predictive they give: what a scenario built from the calibrated model
//! writes down and simulates.

use serde::Serialize;

use super::{CalibratedPanel, MIN_VALUES, Raw, YearModel, corrected_components, raw_moments};
use crate::forecast::Component;
use crate::forecast::calibrated::{Pool, Pooled, Shocks, SpreadSkill};

/// What the calibrated model holds for one series at one origin: its own
/// estimates after pooling, and the panel's parts at the origin year.
/// [`SeriesParams::predictive`] gives the same predictive as the method's
/// forecast at that origin, bit for bit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesParams {
    /// Series id.
    pub id: String,
    /// Calendar year of the origin (the last value used).
    pub year: i64,
    /// Values the fit used (the sample length; one more than its growths).
    pub values: usize,
    /// Log of the last value.
    pub log_level: f64,
    /// Pooled drift (posterior mean log growth a year), its posterior
    /// variance (`drift_var`, the square of its standard error), the shrunk
    /// variance of annual log growth and the weights of the series' own
    /// estimates in them.
    pub pooled: Pooled,
    /// The last growth minus the drift, which decays as `phi^j`.
    pub deviation: f64,
    /// Pooled AR(1) persistence of growth in use at the origin year (0 where
    /// the gate leaves it out).
    pub phi: f64,
    /// The persistence estimated at the origin year, kept or not.
    pub phi_fit: f64,
    /// The drift's wander at the origin year: the variance of its yearly
    /// step over the growth variance (0: a fixed drift).
    pub wander: f64,
    /// The shock component at the origin year, where supported.
    pub shocks: Option<Shocks>,
    /// The cross-section the series was pooled toward (`None`: too few
    /// series to pool).
    pub pool: Option<Pool>,
    /// Recalibration posterior `IG(shape, scale)` of the squared error
    /// scale by horizon `1..=H`: the mean factor on the variance is
    /// `scale / (shape - 1)`.
    pub recalibration: Vec<(f64, f64)>,
    /// Kurtosis of the past errors by horizon, shrunk toward 3.
    pub kurtosis: Vec<f64>,
    /// The spread-skill correction of the raw variance by horizon.
    pub spread_skill: Vec<SpreadSkill>,
    /// The recalibration's quadrature nodes by horizon.
    #[serde(skip)]
    nodes: Vec<Vec<(f64, f64)>>,
}

impl SeriesParams {
    /// Standard error of the drift.
    pub fn drift_se(&self) -> f64 {
        self.pooled.drift_var.sqrt()
    }

    /// The predictive of the log level `h` years ahead, as the method's
    /// forecast gives it (`h = 0`: a point mass at the last level; horizons
    /// past the recalibration's use its last factors).
    pub fn predictive(&self, h: usize) -> Vec<Component> {
        let raw = Raw::new(0, self.log_level, self.pooled, self.deviation, self.wander);
        predictive_components(
            &raw,
            self.phi,
            self.shocks,
            &self.nodes,
            &self.spread_skill,
            h,
        )
    }
}

/// The predictive components `h` years ahead: the raw model's, their
/// variance corrected by the spread skill of horizon `h`, each mixed over
/// the recalibration's nodes of horizon `h` (the last of each for longer
/// horizons). The one computation behind the method's forecasts and
/// [`SeriesParams::predictive`].
pub(super) fn predictive_components(
    raw: &Raw,
    phi: f64,
    shocks: Option<Shocks>,
    nodes: &[Vec<(f64, f64)>],
    skill: &[SpreadSkill],
    h: usize,
) -> Vec<Component> {
    let last = |n: usize| h.saturating_sub(1).min(n.saturating_sub(1));
    let (cs, _, _) = corrected_components(
        raw_moments(raw, phi, h),
        shocks,
        h,
        skill.get(last(skill.len())),
    );
    let Some(nodes) = nodes.get(last(nodes.len())) else {
        return cs;
    };
    nodes
        .iter()
        .flat_map(|&(w, c2)| {
            cs.iter().map(move |c| Component {
                weight: c.weight * w,
                mu: c.mu,
                sigma: c.sigma * c2.sqrt(),
            })
        })
        .collect()
}

impl CalibratedPanel {
    /// Series `series`'s parameters on its first `origin` values (as
    /// [`PanelFits::fit`](crate::forecast::PanelFits::fit) takes them);
    /// `None` where there is no such fit (an index out of the panel, fewer
    /// than [`MIN_VALUES`] values, past the series' positive values, or
    /// fewer than two observed growths: filled values are not observations).
    pub fn series_params(&self, series: usize, origin: usize) -> Option<SeriesParams> {
        let (valid, raws) = self.series.get(series)?;
        if origin > *valid {
            return None;
        }
        let raw = raws.get(origin.checked_sub(MIN_VALUES)?)?.as_ref()?;
        let year: &YearModel = self.years.get(raw.year)?;
        Some(SeriesParams {
            id: self.ids.get(series)?.clone(),
            year: year.year,
            values: origin,
            log_level: raw.log_level,
            pooled: raw.pooled,
            deviation: raw.deviation,
            phi: year.phi,
            phi_fit: year.phi_fit,
            wander: raw.wander,
            shocks: year.shocks,
            pool: year.pool,
            recalibration: year.recalibration.clone(),
            kurtosis: year.kurtosis.clone(),
            spread_skill: year.spread_skill.clone(),
            nodes: year.nodes.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::forecast::backtest::SeriesData;
    use crate::forecast::calibrated::Calibrated;
    use crate::forecast::synthetic::{Process, generate};
    use crate::forecast::{PanelFits, Predictive};

    #[test]
    fn the_params_give_the_methods_forecast_bit_for_bit() {
        let p = Process::ShockMixture {
            mean: 0.05,
            sd: 0.03,
            probability: 0.1,
            impact: -0.15,
        };
        let mut panel: Vec<SeriesData> = generate(&p, 12, 25, 100.0, 9).unwrap();
        // Staggered starts, so origins fall in different years.
        for (i, s) in panel.iter_mut().enumerate() {
            s.first_year = Some(1990 + (i % 4) as i32);
        }
        let fit = Calibrated::default().fit_panel(&panel, 5).unwrap();
        for series in [0, 5, 11] {
            for origin in [3, 10, 25] {
                let params = fit.series_params(series, origin).unwrap();
                assert_eq!(params.values, origin);
                assert_eq!(params.year, 1990 + (series % 4) as i64 + origin as i64 - 1);
                let fitted = fit.fit(series, origin).unwrap();
                for h in 1..=7 {
                    let Predictive::LogNormalMixture(cs) = fitted.forecast(h).unwrap().predictive
                    else {
                        panic!("not a mixture")
                    };
                    assert_eq!(
                        params.predictive(h),
                        cs,
                        "series {series} origin {origin} h {h}"
                    );
                }
            }
        }
        let params = fit.series_params(0, 25).unwrap();
        assert!(params.drift_se() > 0.0 && params.pool.is_some());
        assert_eq!(params.recalibration.len(), 5);
        assert!(fit.series_params(0, 2).is_none());
        assert!(fit.series_params(0, 26).is_none());
        assert!(fit.series_params(12, 10).is_none());
        // A point mass at the last level with no years ahead.
        assert!(params.predictive(0).iter().all(|c| c.sigma == 0.0));
    }
}
