//! A scenario calibrated on a panel of histories by the `calibrated`
//! forecasting model: what `attain calibrate` writes and `--history`
//! simulates.
//!
//! [`calibrated_scenario`] fits [`Calibrated::default`] to every series of
//! the history (series the plan lacks are peers in the pool), using only
//! values dated at or before the as-of year. Values filled into a gap are
//! marked ([`SeriesData::filled`]): the model learns a drift from them (a
//! gap's total change is real) but no volatility, persistence or shock, so
//! a geometric fill's constant growth does not pass for a calm series. Each plan series with enough
//! history gets a [`Marginals`] model: its predictive at its last origin,
//! `h = 1, 2, ...` years ahead, as the forecast gives it, moved to start at
//! 0 (the engine starts it from the plan's base, or the latest actual). The
//! model's `growth_pct` is the pooled drift; its mixtures hold the rest (the
//! decaying last deviation, the spread). A series whose history ends
//! before the simulation starts (FDI's last value 2019 for a 2020 base)
//! keeps the predictive of that last origin, counted from the start: the
//! start's level is known (the base or an actual), so the spread starts
//! there, and the parameters are those its history supported by its last
//! year. The correlation is the shrunk
//! correlation of the modelled series' observed log growths: a growth that
//! touches a filled year is not an observation and feeds no correlation.
//!
//! Plan series without enough history keep the plan-only default; the
//! result lists them with the reason.

use serde::Serialize;

use super::{CorrelationFit, History, HistoryMeasure, correlation};
use crate::error::{Error, Result};
use crate::forecast::backtest::SeriesData;
use crate::forecast::calibrated::{Calibrated, MIN_VALUES, SeriesParams};
use crate::forecast::history::YearlySeries;
use crate::plan::Plan;
use crate::simulate::correlation::CorrelationRows;
use crate::simulate::model::{Marginals, ModelSpec};
use crate::simulate::scenario::{CorrelationSpec, Scenario};
use crate::simulate::source::Source;

/// Horizons a scenario states without a plan to say how many it needs.
pub const DEFAULT_HORIZONS: usize = 10;

/// The values of a history that a calibration used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PanelUse {
    /// Series in the panel (peers included).
    pub series: usize,
    /// First calendar year of the values used.
    pub first_year: i32,
    /// Last calendar year of the values used (at most the as-of year).
    pub last_year: i32,
}

/// One series modelled from history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesCalibration {
    /// Series id.
    pub id: String,
    /// The fitted parameters at the series' last origin.
    pub params: SeriesParams,
    /// Of the values used, those filled into gaps (not observed).
    pub filled: usize,
    /// The model the scenario holds for it.
    pub model: Marginals,
}

/// A plan series left with the plan-only default, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uncalibrated {
    /// Series id.
    pub id: String,
    /// Why it has no calibrated model.
    pub reason: String,
}

impl std::fmt::Display for Uncalibrated {
    /// `id (reason)`, as the outputs list them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.id, self.reason)
    }
}

/// A scenario calibrated on history, with everything that went into it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryScenario {
    /// The scenario: a model per calibrated series and their correlation
    /// (its [`Scenario::source`] is for the caller to set, with the file:
    /// [`HistoryScenario::source`]).
    pub scenario: Scenario,
    /// The last year whose values were used.
    pub as_of: i32,
    /// The values used.
    pub panel: PanelUse,
    /// The modelled series, in the plan's order (the history's without one).
    pub series: Vec<SeriesCalibration>,
    /// History series the plan lacks: peers in the pool only.
    pub peers: Vec<String>,
    /// Plan series simulated with the plan-only default instead.
    pub uncalibrated: Vec<Uncalibrated>,
    /// The correlation of the modelled series' observed log growths, when
    /// there are two or more.
    pub correlation: Option<CorrelationFit>,
    /// Horizons the recalibration learned (longer ones use its last).
    pub horizons: usize,
}

impl HistoryScenario {
    /// What the scenario rests on, for a history read from `file`.
    pub fn source(&self, file: &str) -> Source {
        Source::History {
            file: file.to_string(),
            series: self.panel.series,
            first_year: self.panel.first_year,
            last_year: self.panel.last_year,
        }
    }
}

/// `s` cut to its values dated at or before `as_of`, its filled values
/// marked, and the reported (year, value) pairs among them.
fn up_to(s: &YearlySeries, as_of: i32) -> (SeriesData, Vec<(i32, f64)>) {
    let keep = usize::try_from(i64::from(as_of) - i64::from(s.first_year) + 1)
        .unwrap_or(0)
        .min(s.data.values.len());
    let mut data = s.data.clone();
    data.values.truncate(keep);
    data.first_year = Some(s.first_year);
    data.filled.retain(|&k| k < keep);
    let reported = (0..keep)
        .filter(|k| !data.filled.contains(k))
        .map(|k| (s.first_year + k as i32, data.values[k]))
        .collect();
    (data, reported)
}

/// The model of one series from its parameters: the predictive `1..=h`
/// years ahead, moved to start at 0 and with the drift as the growth.
fn model_of(params: &SeriesParams, horizons: usize) -> Result<Marginals> {
    let growth_pct = 100.0 * params.pooled.drift.exp_m1();
    let g = (growth_pct / 100.0).ln_1p();
    let by_horizon = (1..=horizons)
        .map(|h| {
            let shift = params.log_level + h as f64 * g;
            params
                .predictive(h)
                .into_iter()
                .map(|c| crate::forecast::Component {
                    mu: c.mu - shift,
                    ..c
                })
                .collect()
        })
        .collect();
    Marginals::new(growth_pct, by_horizon)
        .map_err(|e| Error::indicator(&params.id, "model", e.to_string()))
}

/// Whether plan series `index` is simulated by a model that history can
/// replace: not a ratio or aggregate computed from its parts, and with a
/// start (a base, or a target that needs no level).
fn modelable(plan: &Plan, index: usize, id: &str) -> bool {
    match plan.indicators.get(index) {
        Some(ind) => {
            ind.target.derivation(id).is_none()
                && (ind.base.is_some() || ind.target.is_level_free())
        }
        None => true,
    }
}

/// Calibrates a scenario on `history` (one yearly series per id, gaps
/// filled and marked, as [`yearly_series`](crate::forecast::history::yearly_series)
/// gives them) with values dated at or before `as_of`: see the module
/// documentation. With a `plan`, its series with history are modelled for
/// the years up to its target year and the others listed as uncalibrated;
/// without one every history series is modelled, [`DEFAULT_HORIZONS`]
/// years ahead. Errors when no value is dated at or before `as_of`, or when
/// the history cannot be fitted (named by series).
pub fn calibrated_scenario(
    history: &[YearlySeries],
    plan: Option<&Plan>,
    as_of: i32,
) -> Result<HistoryScenario> {
    let cut: Vec<(SeriesData, Vec<(i32, f64)>)> = history.iter().map(|s| up_to(s, as_of)).collect();
    let used: Vec<&(SeriesData, Vec<(i32, f64)>)> =
        cut.iter().filter(|(d, _)| !d.values.is_empty()).collect();
    let Some(first_year) = used.iter().map(|(d, _)| d.year(0)).min() else {
        return Err(Error::parameter(
            "history",
            format!("has no value dated at or before {as_of}"),
        ));
    };
    let last_year = used
        .iter()
        .map(|(d, _)| d.year(d.values.len() - 1))
        .max()
        .unwrap_or(first_year);
    let year = |y: i64| {
        i32::try_from(y)
            .map_err(|_| Error::parameter("history", format!("{y} is not a calendar year")))
    };
    let panel_use = PanelUse {
        series: used.len(),
        first_year: year(first_year)?,
        last_year: year(last_year)?,
    };
    // Which series to model, in order: the plan's, or the history's.
    let position = |id: &str| history.iter().position(|s| s.data.id == id);
    let wanted: Vec<(String, Option<usize>)> = match plan {
        Some(p) => p
            .series_ids()
            .enumerate()
            .filter(|(i, id)| modelable(p, *i, id))
            .map(|(_, id)| (id.to_string(), position(id)))
            .collect(),
        None => history
            .iter()
            .enumerate()
            .map(|(i, s)| (s.data.id.clone(), Some(i)))
            .collect(),
    };
    let horizons_for = |origin_year: i64| match plan {
        Some(p) => usize::try_from(i64::from(p.target_year) - origin_year)
            .unwrap_or(1)
            .clamp(1, Marginals::MAX_HORIZONS),
        None => DEFAULT_HORIZONS,
    };
    // Enough horizons for the earliest origin among the series to model.
    let earliest = wanted
        .iter()
        .filter_map(|(_, pos)| {
            let (d, _) = &cut[(*pos)?];
            (!d.values.is_empty()).then(|| d.year(d.values.len() - 1))
        })
        .min()
        .unwrap_or(i64::from(as_of));
    let fit_horizons = horizons_for(earliest);
    let panel: Vec<SeriesData> = cut.iter().map(|(d, _)| d.clone()).collect();
    let fit = Calibrated::default().fit_panel(&panel, fit_horizons)?;
    let mut scenario = Scenario::named("calibrated");
    let mut series = Vec::new();
    let mut uncalibrated = Vec::new();
    for (id, pos) in wanted {
        let Some(i) = pos else {
            uncalibrated.push(Uncalibrated {
                id,
                reason: "no history".into(),
            });
            continue;
        };
        let data = &cut[i].0;
        let origin = data.values.len();
        let Some(params) = fit.series_params(i, origin) else {
            let reason = if origin < MIN_VALUES {
                let values = if origin == 1 { "value" } else { "values" };
                format!("{origin} {values} up to {as_of}, {MIN_VALUES} needed")
            } else if data.values.iter().any(|v| v.is_nan() || *v <= 0.0) {
                "history has a value that is not positive".to_string()
            } else {
                format!(
                    "fewer than 2 observed growths up to {as_of}: filled values are not \
                     observations"
                )
            };
            uncalibrated.push(Uncalibrated { id, reason });
            continue;
        };
        let model = model_of(&params, horizons_for(params.year))?;
        scenario
            .models
            .insert(id.clone(), ModelSpec::Marginals(model.clone()));
        series.push(SeriesCalibration {
            id,
            params,
            filled: data.filled.len(),
            model,
        });
    }
    // Plan series without history only matter where the default simulates them.
    if let Some(p) = plan {
        uncalibrated.retain(|u| {
            p.series_index(&u.id)
                .is_some_and(|i| matches!(scenario.default_model(p, i), Ok(Some(_))))
        });
    }
    let peers = match plan {
        Some(p) => used
            .iter()
            .map(|(d, _)| d.id.clone())
            .filter(|id| p.series_index(id).is_none())
            .collect(),
        None => Vec::new(),
    };
    let correlation = if series.len() >= 2 {
        let histories: Vec<History> = series
            .iter()
            .filter_map(|s| position(&s.id))
            .map(|i| {
                let (data, reported) = &cut[i];
                let (years, values) = reported.iter().copied().unzip();
                History {
                    id: data.id.clone(),
                    measure: HistoryMeasure::Levels,
                    years,
                    values,
                }
            })
            .collect();
        let fit = correlation(&histories)?;
        let rows = CorrelationRows::from(fit.correlation.clone());
        scenario.correlation = Some(CorrelationSpec {
            ids: rows.ids,
            rows: rows.rows,
            repair: false,
        });
        Some(fit)
    } else {
        None
    };
    Ok(HistoryScenario {
        scenario,
        as_of,
        panel: panel_use,
        series,
        peers,
        uncalibrated,
        correlation,
        horizons: fit_horizons,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::synthetic::{Process, generate};
    use crate::{Attribute, Direction, Indicator, Target};

    fn indicator(id: &str, base: Option<f64>) -> Indicator {
        Indicator {
            id: id.to_string(),
            no: None,
            name: id.to_string(),
            name_zh: String::new(),
            unit: String::new(),
            category: String::new(),
            attribute: Attribute::Expected,
            base,
            stated_growth: None,
            target: Target::Level {
                value: 150.0,
                direction: Direction::AtLeast,
            },
            extra_targets: Vec::new(),
            note: None,
        }
    }

    fn plan() -> Plan {
        Plan {
            name: "test".into(),
            source: None,
            base_year: 2019,
            target_year: 2024,
            indicators: vec![
                indicator("s0", Some(100.0)),
                indicator("s1", Some(100.0)),
                indicator("s2", Some(100.0)),
                indicator("new", Some(100.0)),
            ],
            series: Vec::new(),
        }
    }

    /// Eight series 1990-2022 (s0..s2 in the plan, five peers); s1 lost
    /// 2000 to 2002, filled geometrically.
    fn history() -> Vec<YearlySeries> {
        let p = Process::IidLogGrowth {
            mean: 0.05,
            sd: 0.04,
        };
        generate(&p, 8, 33, 100.0, 3)
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(i, mut data)| {
                data.id = if i < 3 {
                    format!("s{i}")
                } else {
                    format!("peer{i}")
                };
                data.first_year = Some(1990);
                let mut filled = Vec::new();
                if i == 1 {
                    let (a, b) = (data.values[9], data.values[13]);
                    for k in 1..4 {
                        data.values[9 + k] = a * (b / a).powf(k as f64 / 4.0);
                        filled.push(1999 + k as i32);
                        data.filled.push(9 + k);
                    }
                }
                YearlySeries {
                    first_year: 1990,
                    data,
                    filled,
                    unverified: 0,
                }
            })
            .collect()
    }

    #[test]
    fn models_the_plan_series_from_their_predictive() {
        let (plan, history) = (plan(), history());
        let r = calibrated_scenario(&history, Some(&plan), 2019).unwrap();
        assert_eq!(r.panel.series, 8);
        assert_eq!((r.panel.first_year, r.panel.last_year), (1990, 2019));
        assert_eq!(r.series.len(), 3);
        assert_eq!(r.peers, ["peer3", "peer4", "peer5", "peer6", "peer7"]);
        assert_eq!(r.uncalibrated.len(), 1);
        assert_eq!(r.uncalibrated[0].id, "new");
        assert_eq!(r.horizons, 5);
        assert_eq!(r.series[1].filled, 3);
        for s in &r.series {
            assert_eq!(s.params.year, 2019);
            assert_eq!(s.params.values, 30);
            assert_eq!(s.model.horizons().len(), 5);
            // The model is the predictive, moved to start at 0.
            for h in [1, 3, 5] {
                let own = Marginals::new(0.0, vec![s.params.predictive(h)]).unwrap();
                for u in [0.05, 0.5, 0.9] {
                    let want = own.log_change_quantile(1, u) - s.params.log_level;
                    let got = s.model.log_change_quantile(h, u);
                    assert!(
                        (got - want).abs() < 1e-9,
                        "{} h {h} u {u}: {got} {want}",
                        s.id
                    );
                }
            }
            assert!(matches!(r.scenario.models[&s.id], ModelSpec::Marginals(_)));
        }
        // The correlation is of observed growths: the four years whose
        // growth touches s1's filled values (2000 to 2003) are left out.
        let c = r.correlation.as_ref().unwrap();
        assert_eq!(c.correlation.ids(), ["s0", "s1", "s2"]);
        for y in 2000..=2003 {
            assert!(!c.years.contains(&y), "{y}");
        }
        assert_eq!(c.years.len(), 29 - 4);
        r.scenario.validate(&plan).unwrap();
        assert_eq!(
            r.source("h.csv").to_string(),
            "history h.csv (8 series, years 1990-2019)"
        );
    }

    #[test]
    fn values_after_the_as_of_year_change_nothing() {
        let (plan, history) = (plan(), history());
        let a = calibrated_scenario(&history, Some(&plan), 2019).unwrap();
        let mut moved = history.clone();
        for s in &mut moved {
            for v in &mut s.data.values[30..] {
                *v *= 3.0;
            }
        }
        let b = calibrated_scenario(&moved, Some(&plan), 2019).unwrap();
        assert_eq!(a, b);
        // As of 2021 the origins move, and the horizons shrink to 3.
        let c = calibrated_scenario(&history, Some(&plan), 2021).unwrap();
        assert_eq!(c.series[0].params.year, 2021);
        assert_eq!(c.series[0].model.horizons().len(), 3);
        assert!(calibrated_scenario(&history, Some(&plan), 1980).is_err());
    }

    #[test]
    fn without_a_plan_every_series_is_modelled() {
        let r = calibrated_scenario(&history(), None, 2022).unwrap();
        assert_eq!(r.series.len(), 8);
        assert!(r.peers.is_empty() && r.uncalibrated.is_empty());
        assert_eq!(r.series[0].model.horizons().len(), DEFAULT_HORIZONS);
        assert_eq!(r.correlation.unwrap().correlation.ids().len(), 8);
    }
}
