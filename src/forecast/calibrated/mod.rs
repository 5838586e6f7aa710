//! `calibrated`: a predictive model for plan horizons that learns from the
//! whole panel and from its own past errors.
//!
//! At each forecast origin (a calendar year `T`) the model uses only values
//! dated at or before `T`, of every series:
//!
//! 1. **Partial pooling** ([`pool`]): each series' mean log growth and log
//!    variance are shrunk toward the cross-section by empirical Bayes, with
//!    between-series variances estimated from the data.
//! 2. **Parameter uncertainty**: the drift's posterior variance `V` enters
//!    the spread `h` years ahead as `h^2 V`, and the growth variance is the
//!    volatility's posterior mean `exp(m + v / 2)` (`m`, `v`: the posterior
//!    mean and variance of the log variance), so a series with two or three
//!    growths is wider than a long one with the same estimate.
//! 3. **Drift that can change, where the data say so**: growth is AR(1)
//!    around the series' drift, with one persistence `phi` pooled over the
//!    panel (bias-corrected, clamped to [0, 0.9]); the last growth's
//!    deviation decays as `phi^j`, and a growth shock moves `h - j + 1` years
//!    of levels. A gate keeps `phi` at an origin only where the raw
//!    model's past forecasts with the estimated persistence scored better
//!    (normal log score, decayed, outcomes at or before the origin) than
//!    those without it; otherwise, and before any forecast is scored,
//!    growth is a random walk's (`phi = 0`).
//! 4. **A drift that wanders, where the panel's likelihood says so**:
//!    growth is a local level, `g_t = d_t + e_t` with `d_t = d_(t-1) + w_t`
//!    and `var w = r var e`. Each series is filtered (Kalman, diffuse at its
//!    first growth) for every `r` in [`WANDER_GRID`]; the `r` of largest
//!    likelihood summed over the panel's series (`var e` concentrated out
//!    per series) is kept where it beats the fixed drift (`r = 0`) by more
//!    than BIC's `ln(innovations) / 2`. It needs no past forecasts, so it
//!    serves the first origins too, where the recalibration has no errors
//!    yet. The filtered drift (worth `1 / P` growths) is then pooled like a
//!    mean, the filter's `var e` like a sample variance, and the spread `h`
//!    years ahead gains `r var e h (h + 1) (2h + 1) / 6`. It replaces the
//!    AR(1) persistence in the years it is kept.
//! 5. **Shocks** ([`shock`]): where the pooled residuals support it (BIC), a
//!    two-component scale mixture (calm years and shock years).
//! 6. **Spread skill without lookahead** ([`spread_skill`]): are the raw
//!    model's errors larger where it predicts a larger variance, in
//!    proportion? A ridge regression of `ln z^2` on the raw log variance,
//!    over past errors (outcome year at or before `T`, decayed like the
//!    recalibration's), gives a slope per horizon; the raw variance `v` is
//!    then taken as `v (v / ref)^slope`. On real panels the slope is
//!    negative: the raw variances are too dispersed across series.
//! 7. **Recalibration without lookahead**: the model's own out-of-sample
//!    errors `z = Phi^-1(F(actual))` at each horizon (of the raw model
//!    with its spread-skill correction), over every series,
//!    whose outcome year is at or before `T` and whose outcome was observed
//!    (not filled), from windows of at least 4 values, weighted by
//!    `decay^(T - year)`, a year's errors counting as at most `year_weight`
//!    (they share that year's shocks),
//!    and capped at `z^2 <= cap` times the squared scale learned by their
//!    origin, update a conjugate inverse-gamma prior
//!    `IG(prior_dof/2, (prior_dof/2 - 1) m_h)` on the squared scale of
//!    the errors. Its mean `m_h` chains the horizons: 1 at horizon 1, and at
//!    each later one the posterior mean at `h - 1` times `(h / (h - 1))^b`
//!    (`b`: `horizon_power`), so that a horizon whose errors have no outcome
//!    yet (the first `h` origins of a panel) starts from what the shorter
//!    horizons learned, grown as the raw model's misses grow with the
//!    horizon, not from the raw spread. The predictive mixes the model over
//!    a `nodes`-point Gauss-Laguerre quadrature of that posterior (a discretised Student-t
//!    with a finite mean, so the CRPS exists), each node split into a narrow
//!    and a wide part matched to the past errors' kurtosis (shrunk toward
//!    3). Its fallback: with no past errors at all the prior keeps the raw
//!    model's spread at horizon 1 and `h^b` times its variance at horizon
//!    `h`, with t-like tails; with few errors, the prior outweighs them.
//!
//! The predictive is a [`Predictive::LogNormalMixture`]; its median is the
//! point. [`Calibrated::without`] drops one component, for ablations.

use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::backtest::SeriesData;
use super::mixture::{self, Component};
use super::{
    Fitted, Forecast, Method, PanelFits, Predictive, check_history, check_horizon,
    std_normal_quantile,
};
use crate::error::{Error, Result};
use spread_skill::SkillSums;

mod params;
pub mod pool;
pub mod shock;
pub mod spread_skill;

pub use params::SeriesParams;
pub use pool::{GrowthStats, Pool, Pooled};
pub use shock::Shocks;
pub use spread_skill::SpreadSkill;

/// A part of the model, for ablations ([`Calibrated::without`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Partial pooling across series.
    Pooling,
    /// The drift's and the volatility's estimation error in the spread.
    ParameterUncertainty,
    /// AR(1) growth (persistent growth shocks), with its data gate.
    ChangingDrift,
    /// A drift that wanders (a local level of growth), chosen by likelihood.
    WanderingDrift,
    /// The shock component.
    Shocks,
    /// The recalibration from past errors.
    Recalibration,
    /// The spread-skill correction of the raw variances ([`spread_skill`]).
    SpreadSkill,
}

impl Part {
    /// Every part.
    pub const ALL: [Part; 7] = [
        Part::Pooling,
        Part::ParameterUncertainty,
        Part::ChangingDrift,
        Part::WanderingDrift,
        Part::Shocks,
        Part::Recalibration,
        Part::SpreadSkill,
    ];

    /// Short name (`pooling`, ...), used in the ablated method's name.
    pub fn name(self) -> &'static str {
        match self {
            Part::Pooling => "pooling",
            Part::ParameterUncertainty => "parameter_uncertainty",
            Part::ChangingDrift => "changing_drift",
            Part::WanderingDrift => "wandering_drift",
            Part::Shocks => "shocks",
            Part::Recalibration => "recalibration",
            Part::SpreadSkill => "spread_skill",
        }
    }
}

/// The calibrated method and its settings; [`Calibrated::default`] is the
/// documented model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibrated {
    /// The part left out, if any (an ablation).
    pub without: Option<Part>,
    /// Yearly decay of the weight of past errors in the recalibration (and
    /// of the persistence gate's past scores). The default 0.85: with
    /// [`Calibrated::year_weight`] 5, decays of 0.75, 0.8, 0.85, 0.9 and
    /// 0.95 pass 42, 42, 43, 41 and 36 of the 55 calibration cells of
    /// eleven real panels (README), 15, 15, 17, 17 and 14 of the 20
    /// shipped ones.
    pub decay: f64,
    /// Prior degrees of freedom of the recalibration (its weight in errors),
    /// `> 2`; the prior's mean squared scale is 1.
    pub prior_dof: f64,
    /// Cap on a squared past error, in units of the squared scale the
    /// recalibration had learned at its origin, so one catastrophe does not
    /// set the spread for decades.
    pub cap: f64,
    /// Growth of the recalibration's prior across horizons: the prior mean
    /// of horizon `h`'s squared error scale is the posterior mean at `h - 1`
    /// times `(h / (h - 1))^horizon_power`, so with no errors at all it is
    /// `h^horizon_power`. How much wider than the raw model a horizon is
    /// presumed, until its own errors say otherwise.
    #[serde(default = "default_horizon_power")]
    pub horizon_power: f64,
    /// Most errors one outcome year counts as in the recalibration. The
    /// errors of a year share its shocks (a panel's series move together),
    /// so however many series a panel has, a year tells the scale about as
    /// much as a few independent errors: with more, a year's errors are
    /// scaled down to this many, their mean kept. `f64::INFINITY` counts
    /// every error.
    #[serde(default = "default_year_weight")]
    pub year_weight: f64,
    /// Quadrature nodes of the recalibration posterior in the predictive.
    pub nodes: usize,
    /// Probability of the wide part of the recalibration's shape: past
    /// errors with a kurtosis above the normal's split each node into a
    /// narrow part and this wide one.
    pub wide_prob: f64,
}

/// The default [`Calibrated::horizon_power`]. Before their first outcome
/// the long horizons' errors are far larger than the raw model's spread
/// (80% coverage 0.1-0.3 at horizon 5 in the first five origins of
/// fertility and SumHes population), more so than the factors learned
/// later (`h^0.4` to `h^1`). Over the 55 calibration cells of eleven real
/// panels (README) powers of 1.0, 1.3 and 1.6 pass 38, 39 and 38; 0 (each
/// horizon starts from the one before) 23, 0.7 32, 2 35.
fn default_horizon_power() -> f64 {
    1.3
}

/// The default [`Calibrated::year_weight`]: a year's errors count as at
/// most 5, as if they were correlated by 0.2. Over the 55 calibration cells
/// of eleven real panels (README) weights of 1, 2, 3, 5, 7, 10, 20 and
/// every error pass 38, 41, 41, 41, 40, 40, 40 and 39 (1 and 2 with more
/// shipped failures); on twins of those panels that meet the model's
/// assumptions (a common shock each year), 5 brings the 95% coverage at
/// h2-h5 from 0.94 to 0.95 (all with the decay then used, 0.9).
fn default_year_weight() -> f64 {
    5.0
}

impl Default for Calibrated {
    fn default() -> Self {
        Calibrated {
            without: None,
            decay: 0.85,
            prior_dof: 4.0,
            cap: 9.0,
            horizon_power: default_horizon_power(),
            year_weight: default_year_weight(),
            wide_prob: 0.1,
            nodes: 2,
        }
    }
}

/// Fewest values a series needs: two growths for a variance.
pub const MIN_VALUES: usize = 3;

/// Fewest growths for a series' residuals to enter the shock fit (shorter
/// ones are standardized by too noisy a variance).
const MIN_SHOCK_GROWTHS: usize = 5;

/// Most residuals the shock fit uses per origin year: a deterministic,
/// evenly strided subset beyond that (its two parameters need no more).
const MAX_SHOCK_RESIDUALS: usize = 4000;

/// Fewest values behind a forecast whose error enters the recalibration.
/// The errors of the first two windows mostly measure the noise of
/// estimating from two growths, which later forecasts no longer carry (a
/// cut at 3 values passed 25 of 55 calibration cells). A later cut starves
/// the short panels, whose long horizons then wait years for a first error:
/// at 8 values grunfeld's 20 years had a 95% coverage of 0.99 at every
/// horizon; 5 passed 32 of 55 cells and 4 passes 33.
const MIN_RECAL_VALUES: usize = 4;

/// Most calendar years one panel may span.
pub const MAX_YEARS: usize = 10_000;

/// Horizons the recalibration learns when a single history is fitted
/// without a backtest's horizon; longer ones use the last.
const FIT_HORIZONS: usize = 10;

impl Calibrated {
    /// The model without `part`.
    pub fn without(part: Part) -> Self {
        Calibrated {
            without: Some(part),
            ..Calibrated::default()
        }
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if !(self.decay > 0.0 && self.decay <= 1.0) {
            return Err(Error::parameter(
                "decay",
                format!("must be in (0, 1], got {}", self.decay),
            ));
        }
        if !(self.prior_dof.is_finite() && self.prior_dof > 2.0) {
            return Err(Error::parameter(
                "prior_dof",
                format!("must be finite and > 2, got {}", self.prior_dof),
            ));
        }
        if !(self.wide_prob > 0.0 && self.wide_prob <= 0.5) {
            return Err(Error::parameter(
                "wide_prob",
                format!("must be in (0, 0.5], got {}", self.wide_prob),
            ));
        }
        if !self.horizon_power.is_finite() {
            return Err(Error::parameter(
                "horizon_power",
                format!("must be finite, got {}", self.horizon_power),
            ));
        }
        if self.year_weight.is_nan() || self.year_weight <= 0.0 {
            return Err(Error::parameter(
                "year_weight",
                format!("must be > 0, got {}", self.year_weight),
            ));
        }
        if self.cap.is_nan() || self.cap <= 0.0 {
            return Err(Error::parameter(
                "cap",
                format!("must be > 0, got {}", self.cap),
            ));
        }
        if self.nodes == 0 || self.nodes > 64 {
            return Err(Error::parameter(
                "nodes",
                format!("must be between 1 and 64, got {}", self.nodes),
            ));
        }
        Ok(())
    }

    fn has(&self, part: Part) -> bool {
        self.without != Some(part)
    }

    /// Fits the whole panel: every origin of every series.
    pub fn fit_panel(&self, panel: &[SeriesData], horizons: usize) -> Result<CalibratedPanel> {
        self.validate()?;
        check_horizon(horizons)?;
        walk(self, panel, horizons)
    }
}

impl Method for Calibrated {
    fn name(&self) -> String {
        match self.without {
            None => "calibrated".into(),
            Some(p) => format!("calibrated-no_{}", p.name()),
        }
    }

    fn min_history(&self) -> usize {
        MIN_VALUES
    }

    /// A single history is a panel of one series: no pooling, its own
    /// persistence, and recalibration on its own past errors.
    fn fit(&self, history: &[f64]) -> Result<Box<dyn Fitted>> {
        check_history("calibrated", history, MIN_VALUES, true)?;
        let panel = [SeriesData::new("history", history.to_vec())];
        self.fit_panel(&panel, FIT_HORIZONS)?.fit(0, history.len())
    }

    fn for_panel(
        &self,
        panel: &[SeriesData],
        horizons: usize,
    ) -> Option<Result<Box<dyn PanelFits>>> {
        Some(
            self.fit_panel(panel, horizons)
                .map(|p| Box::new(p) as Box<dyn PanelFits>),
        )
    }
}

/// What the model learned across the panel at one origin year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearModel {
    /// The origin year.
    pub year: i64,
    /// The pool, when at least [`pool::MIN_POOL`] series had history.
    pub pool: Option<Pool>,
    /// Pooled AR(1) persistence of growth in use: the estimate where the
    /// data gate keeps it, else 0 (and 0 without changing drift).
    pub phi: f64,
    /// The pooled persistence estimated from the values of this year,
    /// whether or not the gate keeps it.
    pub phi_fit: f64,
    /// The drift's wander in use: the variance of its yearly step over the
    /// growth variance, chosen on [`WANDER_GRID`] by the panel's likelihood
    /// (0: a fixed drift).
    pub wander: f64,
    /// The shock component, where supported.
    pub shocks: Option<Shocks>,
    /// Recalibration posterior `IG(shape, scale)` of the squared error scale,
    /// per horizon `1..=H`: `(shape, scale)`.
    pub recalibration: Vec<(f64, f64)>,
    /// Kurtosis of the past errors by horizon, shrunk toward the normal's 3
    /// with the prior's weight.
    pub kurtosis: Vec<f64>,
    /// The spread-skill correction of the raw variances by horizon.
    #[serde(default)]
    pub spread_skill: Vec<SpreadSkill>,
    /// Its quadrature nodes `(weight, squared scale multiplier)`, per
    /// horizon, each split by the shape.
    #[serde(skip)]
    nodes: Vec<Vec<(f64, f64)>>,
}

/// One series' model at one origin, before the panel's parts are applied.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Raw {
    /// Index of the origin year in the panel's years.
    year: usize,
    /// Log of the last value.
    log_level: f64,
    /// Pooled estimates.
    pooled: Pooled,
    /// Last growth minus the drift.
    deviation: f64,
    /// Variance of the drift's yearly wander over the growth variance (0: a
    /// fixed drift).
    wander: f64,
}

impl Raw {
    fn new(year: usize, log_level: f64, pooled: Pooled, deviation: f64, wander: f64) -> Raw {
        Raw {
            year,
            log_level,
            pooled,
            deviation,
            wander,
        }
    }
}

/// The calibrated model fitted on a panel: every origin of every series.
#[derive(Debug, Clone)]
pub struct CalibratedPanel {
    first_year: i64,
    years: Vec<Arc<YearModel>>,
    /// Per series: positive prefix length, and the raw fit at each origin
    /// `MIN_VALUES..=len`.
    series: Vec<(usize, Vec<Option<Raw>>)>,
    horizons: usize,
    ids: Vec<String>,
}

impl CalibratedPanel {
    /// The panel's learned parts at origin year `year`, if it lies in the
    /// panel's years.
    pub fn year(&self, year: i64) -> Option<&YearModel> {
        usize::try_from(year - self.first_year)
            .ok()
            .and_then(|k| self.years.get(k))
            .map(|y| y.as_ref())
    }

    /// The largest horizon the recalibration learned; longer ones use its
    /// factors.
    pub fn horizons(&self) -> usize {
        self.horizons
    }

    /// Series `series`'s pooled estimates at origin `origin` (values).
    pub fn pooled(&self, series: usize, origin: usize) -> Option<Pooled> {
        let (_, raws) = self.series.get(series)?;
        raws.get(origin.checked_sub(MIN_VALUES)?)
            .and_then(|r| r.map(|r| r.pooled))
    }
}

impl PanelFits for CalibratedPanel {
    fn fit(&self, series: usize, origin: usize) -> Result<Box<dyn Fitted>> {
        let Some((valid, raws)) = self.series.get(series) else {
            return Err(Error::parameter(
                "series",
                format!("index {series} is not in the panel"),
            ));
        };
        if origin < MIN_VALUES {
            return Err(Error::parameter(
                "history",
                format!("calibrated needs at least {MIN_VALUES} values, got {origin}"),
            ));
        }
        if origin > *valid {
            return Err(Error::indicator(
                &self.ids[series],
                &format!("history[{valid}]"),
                "must be > 0 for calibrated (it works in logs)",
            ));
        }
        let Some(raw) = raws[origin - MIN_VALUES] else {
            return Err(Error::indicator(
                &self.ids[series],
                "history",
                format!(
                    "calibrated needs at least 2 observed year-on-year growths in the first \
                     {origin} values (filled values are not observations)"
                ),
            ));
        };
        Ok(Box::new(Fit {
            raw,
            year: Arc::clone(&self.years[raw.year]),
        }))
    }
}

/// A fitted series at one origin.
#[derive(Debug, Clone)]
struct Fit {
    raw: Raw,
    year: Arc<YearModel>,
}

/// The raw model's centre `h` years ahead and its two variances: of the
/// growth shocks (AR(1) accumulation, at the volatility's posterior mean)
/// and of the drift's estimation error.
fn raw_moments(raw: &Raw, phi: f64, h: usize) -> (f64, f64, f64) {
    let hf = h as f64;
    let p = &raw.pooled;
    let (carry, factor) = if phi > 0.0 {
        let ph = phi.powi(h as i32);
        let carry = phi * (1.0 - ph) / (1.0 - phi);
        let mut sum = 0.0;
        let mut pi = 1.0;
        for _ in 0..h {
            pi *= phi;
            sum += (1.0 - pi).powi(2);
        }
        (carry, sum * (1.0 - phi * phi) / (1.0 - phi).powi(2))
    } else {
        (0.0, hf)
    };
    let mu = raw.log_level + hf * p.drift + raw.deviation * carry;
    // A drift that wanders by w a year moves the level h - j + 1 years for
    // each year j's step: sum_j j^2 = h (h + 1) (2h + 1) / 6.
    let wander = raw.wander * hf * (hf + 1.0) * (2.0 * hf + 1.0) / 6.0;
    // The posterior mean of the volatility: its median times exp(v / 2).
    (
        mu,
        (factor + wander) * p.var * (0.5 * p.log_var_var).exp(),
        hf * hf * p.drift_var,
    )
}

/// Negative log density at `actual` of the normal with the raw model's
/// centre and variances `moments` ([`raw_moments`]): the persistence
/// gate's score.
fn gate_score((mu, growth_var, param_var): (f64, f64, f64), actual: f64) -> f64 {
    let var = (growth_var + param_var).max(1e-300);
    0.5 * ((std::f64::consts::TAU * var).ln() + (actual.ln() - mu).powi(2) / var)
}

/// The raw predictive of log level `h` years ahead from its centre and
/// variances ([`raw_moments`]): shock split and parameter uncertainty.
fn components_of(
    (mu, growth_var, param_var): (f64, f64, f64),
    shocks: Option<Shocks>,
    h: usize,
) -> Vec<Component> {
    // (weight, variance) of the calm years' part and of the rest, when a
    // shock can occur within h years.
    let split = shocks
        .map(|s| ((1.0 - s.prob).powi(h as i32), growth_var * s.calm))
        .filter(|(calm_w, _)| *calm_w < 1.0 - 1e-12);
    let parts = match split {
        Some((calm_w, calm_var)) => vec![
            (calm_w, calm_var),
            (
                1.0 - calm_w,
                ((growth_var - calm_w * calm_var) / (1.0 - calm_w)).max(calm_var),
            ),
        ],
        None => vec![(1.0, growth_var)],
    };
    parts
        .into_iter()
        .map(|(weight, var)| Component {
            weight,
            mu,
            sigma: (var + param_var).sqrt(),
        })
        .collect()
}

impl Fitted for Fit {
    fn forecast(&self, horizon: usize) -> Result<Forecast> {
        check_horizon(horizon)?;
        let y = &self.year;
        let cs = params::predictive_components(
            &self.raw,
            y.phi,
            y.shocks,
            &y.nodes,
            &y.spread_skill,
            horizon,
        );
        let predictive = Predictive::LogNormalMixture(cs);
        // Validates too.
        let point = predictive.quantile(0.5)?;
        if !point.is_finite() {
            return Err(Error::NoSolution(format!(
                "the forecast {horizon} years ahead overflows"
            )));
        }
        Ok(Forecast {
            horizon,
            point,
            predictive,
        })
    }
}

/// Prefix sums of one series' log growths, for its statistics at any origin
/// in O(1). A growth that touches a filled value is not observed: it counts
/// toward the drift (the gap's total change is real) but not toward the
/// variance, the persistence or the shocks.
struct Sums {
    first_year: i64,
    /// Values before the first that is not positive (or all).
    valid: usize,
    log_levels: Vec<f64>,
    /// Whether value `t` was filled into a gap (not observed).
    filled: Vec<bool>,
    /// Whether growth `t` (from value `t` to `t + 1`) was observed.
    observed: Vec<bool>,
    /// `s1[k]`: sum of the first `k` growths. Over the observed ones among
    /// them: `count`, `o1`, `o2` (their count, sum and sum of squares); over
    /// observed consecutive pairs: `p11` (`sum g_t g_(t-1)`), `pa`
    /// (`sum g_t + g_(t-1)`) and `pn` (their count).
    s1: Vec<f64>,
    count: Vec<usize>,
    o1: Vec<f64>,
    o2: Vec<f64>,
    p11: Vec<f64>,
    pa: Vec<f64>,
    pn: Vec<usize>,
}

/// Wander ratios the likelihood chooses among: the variance of the drift's
/// yearly step over the growth variance. 0 is the fixed drift.
///
/// The grid stops at 0.1. Ratios up to 10 were tried: the likelihood chose
/// 1 to 10 on fertility and population (smooth demographic trends) but also
/// 1 in China's famine years, where a spread growing as `h^3` gave 5-year
/// log spreads of 3 to 6 and multiplied the CRPS in levels by five.
pub const WANDER_GRID: [f64; 5] = [0.0, 0.003, 0.01, 0.03, 0.1];

/// One series' local-level filter of its growths (`g_t = d_t + e_t`, `d_t =
/// d_(t-1) + w_t`, `var w = r var e`), diffuse at the first growth, after
/// `growths` of them: the filtered drift, its variance `p` in units of `var
/// e`, and over the observed innovations (growths that touch no filled
/// value) the sums of `ln F_t` and `v_t^2 / F_t` and their count, which
/// give the likelihood with `var e` concentrated out. A filled growth still
/// moves the drift (the gap's change is real) but is no innovation. The
/// walk advances it a year at a time, so memory grows with the series, not
/// with their values.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Level {
    growths: usize,
    drift: f64,
    p: f64,
    ln_f: f64,
    v2f: f64,
    innovations: usize,
}

/// A filter per ratio of [`WANDER_GRID`].
type Levels = [Level; WANDER_GRID.len()];

impl Level {
    /// Filters growth `g` (`seen`: observed) at wander ratio `r`.
    fn push(&mut self, g: f64, seen: bool, r: f64) {
        if self.growths == 0 {
            self.drift = g;
            self.p = 1.0;
        } else {
            let pm = self.p + r;
            let f = pm + 1.0;
            let v = g - self.drift;
            self.drift += pm / f * v;
            self.p = pm / f;
            if seen {
                self.ln_f += f.ln();
                self.v2f += v * v / f;
                self.innovations += 1;
            }
        }
        self.growths += 1;
    }

    /// Log likelihood of the innovations so far, `var e` concentrated out
    /// (constants dropped), and that estimate of `var e`; `None` with fewer
    /// than two innovations.
    fn likelihood(&self) -> Option<(f64, f64)> {
        if self.innovations < 2 {
            return None;
        }
        let m = self.innovations as f64;
        let var = (self.v2f / m).max(pool::VAR_FLOOR);
        Some((-0.5 * self.ln_f - 0.5 * m * var.ln(), var))
    }
}

/// Advances every series' filters to its growths dated `<= year`.
fn advance(levels: &mut [Levels], sums: &[Sums], year: i64) {
    levels.par_iter_mut().zip(sums).for_each(|(ls, s)| {
        let n = s.count_at(year).saturating_sub(1);
        for (l, &r) in ls.iter_mut().zip(&WANDER_GRID) {
            while l.growths < n {
                let t = l.growths;
                l.push(s.growth(t), s.observed[t], r);
            }
        }
    });
}

impl Sums {
    fn new(s: &SeriesData) -> Sums {
        let valid = s
            .values
            .iter()
            .position(|v| !(v.is_finite() && *v > 0.0))
            .unwrap_or(s.values.len());
        let log_levels: Vec<f64> = s.values[..valid].iter().map(|v| v.ln()).collect();
        let n = valid.saturating_sub(1);
        let mut filled = vec![false; valid];
        for &k in &s.filled {
            if let Some(f) = filled.get_mut(k) {
                *f = true;
            }
        }
        let observed: Vec<bool> = (0..n).map(|t| !filled[t] && !filled[t + 1]).collect();
        let zeros = || vec![0.0; n + 1];
        let (mut s1, mut o1, mut o2, mut p11, mut pa) =
            (zeros(), zeros(), zeros(), zeros(), zeros());
        let (mut count, mut pn) = (vec![0usize; n + 1], vec![0usize; n + 1]);
        for t in 0..n {
            let g = log_levels[t + 1] - log_levels[t];
            s1[t + 1] = s1[t] + g;
            let seen = observed[t];
            count[t + 1] = count[t] + usize::from(seen);
            o1[t + 1] = o1[t] + if seen { g } else { 0.0 };
            o2[t + 1] = o2[t] + if seen { g * g } else { 0.0 };
            let pair = seen && t > 0 && observed[t - 1];
            let before = if pair {
                log_levels[t] - log_levels[t - 1]
            } else {
                0.0
            };
            p11[t + 1] = p11[t] + g * before;
            pa[t + 1] = pa[t] + if pair { g + before } else { 0.0 };
            pn[t + 1] = pn[t] + usize::from(pair);
        }
        Sums {
            first_year: s.year(0),
            valid,
            log_levels,
            filled,
            observed,
            s1,
            count,
            o1,
            o2,
            p11,
            pa,
            pn,
        }
    }

    /// Values dated at or before `year` that the model can use.
    fn count_at(&self, year: i64) -> usize {
        usize::try_from(year - self.first_year + 1).map_or(0, |c| c.min(self.valid))
    }

    fn growth(&self, t: usize) -> f64 {
        self.log_levels[t + 1] - self.log_levels[t]
    }

    /// Statistics of the first `k` values (`k >= MIN_VALUES`), with the
    /// lag-one cross product and the sum of squares about the observed
    /// growths' mean; `None` with fewer than two observed growths. With a
    /// wandering drift's filter (`level`, advanced to these values) the
    /// mean is the filtered drift, worth `1 / P` growths, and the variance
    /// the filter's estimate of `var e`.
    fn stats(&self, k: usize, level: Option<&Level>) -> Option<(GrowthStats, f64, f64)> {
        let n = k - 1;
        let var_n = self.count[n];
        if var_n < 2 {
            return None;
        }
        let nv = var_n as f64;
        let m = self.o1[n] / nv;
        let ss = (self.o2[n] - nv * m * m).max(0.0);
        let (mean, n_eff, var) = match level.and_then(|l| l.likelihood().map(|(_, v)| (l, v))) {
            Some((l, v)) => (l.drift, 1.0 / l.p, v),
            _ => (
                self.s1[n] / n as f64,
                n as f64,
                (ss / (nv - 1.0)).max(pool::VAR_FLOOR),
            ),
        };
        // sum over observed pairs of (g_t - m)(g_(t-1) - m)
        let cross = self.p11[n] - m * self.pa[n] + self.pn[n] as f64 * m * m;
        Some((
            GrowthStats {
                n,
                n_eff,
                mean,
                var,
                var_n,
            },
            cross,
            ss,
        ))
    }
}

/// A `nodes`-point quadrature of `IG(shape, scale)`: `(weight, value)`
/// pairs whose weighted sums integrate smooth functions of the squared
/// scale. The precision `1 / c` is `Gamma(shape, rate = scale)`, so the
/// points are generalized Gauss-Laguerre (`alpha = shape - 1`), found by
/// Golub-Welsch: the eigenvalues of the Jacobi matrix, with the squared
/// first components of its eigenvectors as weights. Once the posterior
/// holds a few errors, n points integrate the predictive's CDF more
/// closely than n equal-probability quantiles (test); the default 2 keep
/// the cost per forecast down, as the shape doubles them.
fn ig_nodes(shape: f64, scale: f64, nodes: usize) -> Vec<(f64, f64)> {
    let alpha = shape - 1.0;
    if !(alpha > -1.0 && scale > 0.0 && scale.is_finite() && alpha.is_finite()) || nodes == 0 {
        return vec![(1.0, 1.0)];
    }
    let mut j = nalgebra::DMatrix::<f64>::zeros(nodes, nodes);
    for k in 0..nodes {
        let kf = k as f64;
        j[(k, k)] = 2.0 * kf + alpha + 1.0;
        if k + 1 < nodes {
            let off = ((kf + 1.0) * (kf + 1.0 + alpha)).sqrt();
            j[(k, k + 1)] = off;
            j[(k + 1, k)] = off;
        }
    }
    let eig = j.symmetric_eigen();
    let mut out: Vec<(f64, f64)> = (0..nodes)
        .filter_map(|k| {
            let x = eig.eigenvalues[k];
            let w = eig.eigenvectors[(0, k)].powi(2);
            (x > 0.0 && w > 0.0).then_some((w, scale / x))
        })
        .collect();
    let total: f64 = out.iter().map(|(w, _)| w).sum();
    if out.is_empty() || !total.is_finite() {
        return vec![(1.0, 1.0)];
    }
    out.iter_mut().for_each(|(w, _)| *w /= total);
    // Fixed order (largest scale first), whatever order the solver returns.
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// Kurtosis `E z^4 / (E z^2)^2` of the weighted past errors (`(count, sum
/// z^2)` and `sum z^4`), shrunk toward the normal's 3 with weight `prior`.
fn shrunk_kurtosis((n, q2): (f64, f64), q4: f64, prior: f64) -> f64 {
    if !(n > 0.0 && q2 > 0.0) {
        return 3.0;
    }
    let m2 = q2 / n;
    let k = (q4 / n) / (m2 * m2);
    (n * k + prior * 3.0) / (n + prior)
}

/// Splits each node `(w, c)` into a narrow part `(w (1 - p), c (1 - a))`
/// and a wide one `(w p, c (1 + a (1 - p) / p))`: the same mean squared
/// scale, and a kurtosis of `3 (1 + a^2 (1 - p) / p)`, matched to the past
/// errors' `kurtosis` (`a` capped at 0.95). A normal's kurtosis or less
/// leaves the nodes as they are.
fn with_shape(nodes: Vec<(f64, f64)>, kurtosis: f64, p: f64) -> Vec<(f64, f64)> {
    let excess = kurtosis / 3.0 - 1.0;
    if excess.is_nan() || excess <= 0.0 {
        return nodes;
    }
    let a = (excess * p / (1.0 - p)).sqrt().min(0.95);
    nodes
        .iter()
        .flat_map(|&(w, c)| {
            [
                (w * (1.0 - p), c * (1.0 - a)),
                (w * p, c * (1.0 + a * (1.0 - p) / p)),
            ]
        })
        .collect()
}

/// One past forecast's error, as the walk learns from it.
struct PastError {
    /// Its horizon.
    h: usize,
    /// The standardized error under the raw model with its spread skill.
    z: f64,
    /// The persistence gate's scores with the estimated persistence and
    /// without it.
    with: f64,
    without: f64,
    /// The raw model's variance and its spread-skill factor.
    var: f64,
    skill: f64,
}

/// The raw predictive `h` years ahead from its centre and variances
/// (`moments`, [`raw_moments`]) with the spread skill's correction `skill`
/// (none: as it is), the raw variance the correction was taken from, and
/// its factor on that variance: the one computation behind the forecasts
/// and the walk's past errors.
fn corrected_components(
    moments: (f64, f64, f64),
    shocks: Option<Shocks>,
    h: usize,
    skill: Option<&SpreadSkill>,
) -> (Vec<Component>, f64, f64) {
    let var = moments.1 + moments.2;
    let factor = skill.map_or(1.0, |k| k.factor(var));
    let mut cs = components_of(moments, shocks, h);
    if factor != 1.0 {
        let r = factor.sqrt();
        cs.iter_mut().for_each(|c| c.sigma *= r);
    }
    (cs, var, factor)
}

/// Standardized error of a raw forecast: `Phi^-1` of its CDF at the actual,
/// kept finite.
fn raw_z(cs: &[Component], actual: f64) -> f64 {
    let u = mixture::cdf(cs, actual).clamp(1e-12, 1.0 - 1e-12);
    std_normal_quantile(u)
}

/// Every series' statistics from its values dated `<= year`, for those
/// with enough of them (in series order whatever the threads).
/// With `wander` (the filters, advanced to `year`, and an index `w >= 1`
/// in [`WANDER_GRID`]), the drift and variance are that filter's.
fn active_at(
    sums: &[Sums],
    year: i64,
    wander: Option<(&[Levels], usize)>,
) -> Vec<(usize, (GrowthStats, f64, f64))> {
    sums.par_iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let k = s.count_at(year);
            if k < MIN_VALUES {
                return None;
            }
            let level = wander.and_then(|(levels, w)| levels.get(i)?.get(w));
            s.stats(k, level).map(|st| (i, st))
        })
        .collect()
}

/// The wander ratio (an index in [`WANDER_GRID`]) of largest pooled
/// likelihood over the `active` series' growths dated `<= year`, kept only
/// where it beats the fixed drift by more than BIC's penalty for its one
/// parameter, `ln(innovations) / 2`; else 0.
fn wander_at(levels: &[Levels], active: &[(usize, (GrowthStats, f64, f64))]) -> usize {
    let per_series: Vec<Option<(Vec<f64>, usize)>> = active
        .par_iter()
        .map(|(i, _)| {
            let ls = &levels[*i];
            ls.iter()
                .map(|l| l.likelihood().map(|(l, _)| l))
                .collect::<Option<Vec<f64>>>()
                .map(|l| (l, ls[0].innovations))
        })
        .collect();
    let mut total = vec![0.0; WANDER_GRID.len()];
    let mut innovations = 0usize;
    for (l, m) in per_series.iter().flatten() {
        innovations += m;
        for (t, v) in total.iter_mut().zip(l) {
            *t += v;
        }
    }
    let penalty = 0.5 * (innovations.max(1) as f64).ln();
    // The first of equal likelihoods: ties keep the smaller wander.
    let mut best = 0;
    for (w, l) in total.iter().enumerate().skip(1) {
        if *l > total[best] {
            best = w;
        }
    }
    if total[best] - total[0] > penalty {
        best
    } else {
        0
    }
}

/// The shock component fitted to the standardized residuals of the
/// `active` series (a strided subset of at most [`MAX_SHOCK_RESIDUALS`]).
fn shocks_at(sums: &[Sums], active: &[(usize, (GrowthStats, f64, f64))]) -> Option<Shocks> {
    let total: usize = active
        .iter()
        .filter(|(_, (g, _, _))| g.var_n >= MIN_SHOCK_GROWTHS)
        .map(|(_, (g, _, _))| g.var_n)
        .sum();
    let stride = total.div_ceil(MAX_SHOCK_RESIDUALS).max(1);
    let mut z = Vec::with_capacity(total / stride + 1);
    let mut k = 0usize;
    for (i, (g, _, _)) in active {
        if g.var_n < MIN_SHOCK_GROWTHS {
            continue;
        }
        let sd = g.var.sqrt();
        for t in (0..g.n).filter(|&t| sums[*i].observed[t]) {
            if k.is_multiple_of(stride) {
                z.push((sums[*i].growth(t) - g.mean) / sd);
            }
            k += 1;
        }
    }
    shock::fit(&z)
}

/// The walk through the panel's years: pool, persistence and shocks at each
/// year from the values dated then, raw fits for the series observed that
/// year, and the recalibration from the errors whose outcomes are known.
fn walk(cfg: &Calibrated, panel: &[SeriesData], horizons: usize) -> Result<CalibratedPanel> {
    let sums: Vec<Sums> = panel.par_iter().map(Sums::new).collect();
    let Some(first_year) = sums
        .iter()
        .filter(|s| s.valid > 0)
        .map(|s| s.first_year)
        .min()
    else {
        return Err(Error::parameter(
            "panel",
            "has no series with a positive first value",
        ));
    };
    let last_year = sums
        .iter()
        .filter(|s| s.valid > 0)
        .map(|s| s.first_year + s.valid as i64 - 1)
        .max()
        .unwrap_or(first_year);
    let span = usize::try_from(last_year - first_year + 1).unwrap_or(0);
    // The walk keeps a slot per year: a panel spread over more years than
    // any history is a typo, not a reason to allocate gigabytes.
    if span > MAX_YEARS {
        return Err(Error::parameter(
            "panel",
            format!("spans {first_year} to {last_year}: at most {MAX_YEARS} years for calibrated"),
        ));
    }
    // Past errors by horizon and outcome year: weight count and capped z^2.
    let mut errors = vec![vec![(0.0f64, 0.0f64); span + horizons + 1]; horizons];
    // And the sums of capped z^4, for the shape.
    let mut fourth = vec![vec![0.0f64; span + horizons + 1]; horizons];
    let mut running4 = vec![0.0f64; horizons];
    let mut running = vec![(0.0f64, 0.0f64); horizons];
    // The persistence gate: past scores (negative log density, summed over
    // horizons) of the raw model with the estimated persistence and without
    // it, by outcome year, and their decayed running totals.
    let mut gate = vec![(0.0f64, 0.0f64); span + horizons + 1];
    let mut gate_running = (0.0f64, 0.0f64);
    let mut years = Vec::with_capacity(span);
    // The spread-skill regression's sums by horizon and outcome year, and
    // their decayed totals. Every error counts, without the year weight of
    // the recalibration's scale: a year's common shock moves the level of
    // its errors more than their slope on the raw variance, and the ridge
    // holds a slope that few years support.
    let mut skill_year = vec![vec![SkillSums::default(); span + horizons + 1]; horizons];
    let mut skill_run = vec![SkillSums::default(); horizons];
    let mut levels: Vec<Levels> = vec![Levels::default(); sums.len()];
    let mut raws: Vec<Vec<Option<Raw>>> = sums
        .iter()
        .map(|s| Vec::with_capacity(s.valid.saturating_sub(MIN_VALUES - 1)))
        .collect();
    // IG(nu / 2, nu / 2 - 1): mean 1, so that without past errors the raw
    // model keeps its own spread on average, with t-like tails.
    let prior = 0.5 * cfg.prior_dof;
    let prior_scale = prior - 1.0;
    // The shocks depend on no earlier year's state: all years at once. The
    // loop below computes each year's statistics again rather than keeping
    // them: O(1) a series from the prefix sums, where keeping them would
    // hold every year's at once.
    let shocks: Vec<Option<Shocks>> = (0..span)
        .into_par_iter()
        .map(|yi| {
            cfg.has(Part::Shocks)
                .then(|| shocks_at(&sums, &active_at(&sums, first_year + yi as i64, None)))
                .flatten()
        })
        .collect();
    for yi in 0..span {
        let year = first_year + yi as i64;
        // 1. Recalibration from errors with outcome year <= year.
        let mut recalibration = Vec::with_capacity(horizons);
        let mut nodes = Vec::with_capacity(horizons);
        let mut kurtosis = Vec::with_capacity(horizons);
        // The prior mean of this horizon's squared scale (chained).
        let mut mean = 1.0;
        for h in 0..horizons {
            // A year's errors count as at most `year_weight`, their
            // moments kept.
            let (c, q) = errors[h][yi];
            let f = if c > cfg.year_weight {
                cfg.year_weight / c
            } else {
                1.0
            };
            let (c, q, q4) = (c * f, q * f, fourth[h][yi] * f);
            running[h] = (cfg.decay * running[h].0 + c, cfg.decay * running[h].1 + q);
            let (shape, scale) = (
                prior + 0.5 * running[h].0,
                prior_scale * mean + 0.5 * running[h].1,
            );
            let next = (h + 2) as f64 / (h + 1) as f64;
            mean = scale / (shape - 1.0) * next.powf(cfg.horizon_power);
            recalibration.push((shape, scale));
            running4[h] = cfg.decay * running4[h] + q4;
            let k = shrunk_kurtosis(running[h], running4[h], cfg.prior_dof);
            kurtosis.push(k);
            nodes.push(if cfg.has(Part::Recalibration) {
                with_shape(ig_nodes(shape, scale, cfg.nodes), k, cfg.wide_prob)
            } else {
                vec![(1.0, 1.0)]
            });
        }
        for (run, year_sums) in skill_run.iter_mut().zip(&skill_year) {
            *run = run.decayed_plus(cfg.decay, &year_sums[yi]);
        }
        let spread_skill = if cfg.has(Part::SpreadSkill) {
            spread_skill::fit(&skill_run)
        } else {
            vec![SpreadSkill::NONE; horizons]
        };
        gate_running = (
            cfg.decay * gate_running.0 + gate[yi].0,
            cfg.decay * gate_running.1 + gate[yi].1,
        );
        // 2. Every series' statistics from its values dated <= year.
        let active = active_at(&sums, year, None);
        // 3a. The drift's wander, from the growths' likelihood (no past
        // forecast needed, so it serves the first origins too).
        let w_fit = if cfg.has(Part::WanderingDrift) {
            advance(&mut levels, &sums, year);
            wander_at(&levels, &active)
        } else {
            0
        };
        // 3. Pooled persistence, bias-corrected (Kendall: E phi_hat ~ phi -
        // (1 + 3 phi) / n), kept only where its past forecasts scored better
        // than those without it: the data gate. Without past scores the
        // simpler model stands.
        let phi_fit = if cfg.has(Part::ChangingDrift) {
            let (cross, ss, n, series) = active
                .iter()
                .filter(|(_, (g, _, _))| g.var_n >= 3)
                .fold((0.0, 0.0, 0.0, 0usize), |(a, b, c, k), (_, (g, x, s))| {
                    (a + x, b + s, c + g.var_n as f64, k + 1)
                });
            if ss > 0.0 && series > 0 {
                let raw = cross / ss;
                let nbar = n / series as f64;
                (raw + (1.0 + 3.0 * raw) / nbar).clamp(0.0, 0.9)
            } else {
                0.0
            }
        } else {
            0.0
        };
        // A wandering drift, where the likelihood keeps one, carries the
        // growths' persistence: the AR(1) is then left out. Else the gate
        // weighs the persistence against the model without it, on the
        // scores of past years (against the wandering drift in the years
        // that kept one).
        let (phi, w) = if w_fit == 0 && phi_fit > 0.0 && gate_running.0 < gate_running.1 {
            (phi_fit, 0)
        } else {
            (0.0, w_fit)
        };
        let (wander, wander_fit) = (WANDER_GRID[w], WANDER_GRID[w_fit]);
        let active = if w > 0 {
            active_at(&sums, year, Some((&levels, w)))
        } else {
            active
        };
        let stats: Vec<GrowthStats> = active.iter().map(|(_, (g, _, _))| *g).collect();
        let (pool, pooled) = if cfg.has(Part::Pooling) {
            pool::pool(&stats, phi)
        } else {
            (
                None,
                stats.iter().map(|s| pool::unpooled(*s, phi)).collect(),
            )
        };
        let shocks = shocks[yi];
        let model = Arc::new(YearModel {
            year,
            pool,
            phi,
            phi_fit,
            wander,
            shocks,
            recalibration,
            kurtosis,
            spread_skill,
            nodes,
        });
        // 5. Raw fits of the series observed this year, and their errors at
        // later outcome years.
        // A series with stats `g` has `g.n + 1` values dated <= year.
        let observed: Vec<(usize, usize, Raw)> = active
            .iter()
            .zip(&pooled)
            .filter(|((i, (g, _, _)), _)| sums[*i].first_year + g.n as i64 == year)
            .map(|((i, (g, _, _)), p)| {
                let k = g.n + 1;
                let mut p = *p;
                if !cfg.has(Part::ParameterUncertainty) {
                    p.drift_var = 0.0;
                    p.log_var_var = 0.0;
                }
                // A filled last growth says nothing of the drift's drift.
                let deviation = if sums[*i].observed[g.n - 1] {
                    sums[*i].growth(g.n - 1) - p.drift
                } else {
                    0.0
                };
                let raw = Raw::new(yi, sums[*i].log_levels[k - 1], p, deviation, wander);
                (*i, k, raw)
            })
            .collect();
        let zs: Vec<Vec<PastError>> = observed
            .par_iter()
            .filter(|(_, k, _)| *k >= MIN_RECAL_VALUES)
            .map(|(i, k, raw)| {
                let values = &panel[*i].values;
                let filled = &sums[*i].filled;
                // A filled outcome is not an observation, nor is a NaN: no
                // error is learned from either.
                (1..=horizons)
                    .filter(|h| {
                        values.get(k + h - 1).is_some_and(|v| !v.is_nan())
                            && !filled.get(k + h - 1).copied().unwrap_or(false)
                    })
                    .map(|h| {
                        let actual = values[k + h - 1];
                        // The moments in use serve the gate's side they
                        // belong to; only the other side is computed again.
                        let used = raw_moments(raw, model.phi, h);
                        let (cs, var, skill) = corrected_components(
                            used,
                            model.shocks,
                            h,
                            model.spread_skill.get(h - 1),
                        );
                        let (with, without) = if phi_fit > 0.0 {
                            let used_score = gate_score(used, actual);
                            if model.phi > 0.0 {
                                let other = Raw {
                                    wander: wander_fit,
                                    ..*raw
                                };
                                (used_score, gate_score(raw_moments(&other, 0.0, h), actual))
                            } else {
                                let other = Raw {
                                    wander: 0.0,
                                    ..*raw
                                };
                                (
                                    gate_score(raw_moments(&other, phi_fit, h), actual),
                                    used_score,
                                )
                            }
                        } else {
                            (0.0, 0.0)
                        };
                        PastError {
                            h,
                            z: raw_z(&cs, actual),
                            with,
                            without,
                            var,
                            skill,
                        }
                    })
                    .collect()
            })
            .collect();
        for z in zs {
            for PastError {
                h,
                z,
                with,
                without,
                var,
                skill,
            } in z
            {
                // The regression is the raw model's: its error is the
                // corrected one times the factor's square root (exactly so
                // for a single normal).
                skill_year[h - 1][yi + h].push(var, z * skill.sqrt());
                let e = &mut errors[h - 1][yi + h];
                e.0 += 1.0;
                // The cap is relative to the spread the recalibration has
                // learned so far (known at this origin): a raw model too
                // narrow by half would otherwise see its every large error
                // truncated and never learn its own tails.
                let (shape, scale) = model.recalibration[h - 1];
                let z2 = (z * z).min(cfg.cap * scale / (shape - 1.0));
                e.1 += z2;
                fourth[h - 1][yi + h] += z2 * z2;
                // Finite scores only: a value beyond the positive ones has
                // no log.
                if with.is_finite() && without.is_finite() {
                    gate[yi + h].0 += with;
                    gate[yi + h].1 += without;
                }
            }
        }
        // Series with a value dated this year but too few observed growths
        // get no fit at this origin.
        let mut fitted = vec![false; sums.len()];
        for (i, k, raw) in observed {
            debug_assert_eq!(raws[i].len(), k - MIN_VALUES);
            raws[i].push(Some(raw));
            fitted[i] = true;
        }
        for (i, s) in sums.iter().enumerate() {
            let k = s.count_at(year);
            if !fitted[i] && k >= MIN_VALUES && s.first_year + k as i64 - 1 == year {
                raws[i].push(None);
            }
        }
        years.push(model);
    }
    Ok(CalibratedPanel {
        first_year,
        years,
        series: sums.iter().map(|s| s.valid).zip(raws).collect(),
        horizons,
        ids: panel.iter().map(|s| s.id.clone()).collect(),
    })
}

#[cfg(test)]
mod tests;
