//! Target kinds and their meaning.
//!
//! A [`Target`] is what a plan row promises, as data, and owns what that
//! promise means: the level due in the target year ([`Target::level_due`]),
//! the growth it implies ([`Target::implied_growth_pct`]), the series it
//! derives its own from ([`Target::derivation`], combined by [`Combine`]) and
//! the side that meets it ([`Target::direction`]). [`Target::rule`] resolves
//! it against a [`SeriesIndex`] into a [`Rule`]: a scalar *measure* of a
//! trajectory (the level in the target year, the sum over the plan years, the
//! smallest yearly flow, ...) compared with a threshold. The same rule judges
//! a simulated path and a series of actuals, so the engine and a mid-term
//! review can never disagree on what "met" means.
//!
//! A new target kind touches three files, each through a `match` without a
//! catch-all arm, so the compiler lists every place: this one (the variant,
//! its methods and its rule), `consistency.rs` (what the consistency check
//! reports for it) and the CLI's `chart.rs` (how it is drawn); `rule.rs`
//! only when it needs a new kind of [`Measure`]. The engine,
//! the review and the scenario's default growth read it only through the
//! methods here.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::plan::growth;
use crate::plan::rule::{Measure, Rule};
use crate::plan::series_index::SeriesIndex;

/// Which side of the threshold meets the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Met when the measure is at least the threshold (growth, volumes).
    #[default]
    AtLeast,
    /// Met when the measure is at most the threshold (costs, clearance times).
    AtMost,
}

impl Direction {
    /// Whether `measure` meets `threshold` in this direction.
    #[inline]
    pub fn holds(self, measure: f64, threshold: f64) -> bool {
        match self {
            Direction::AtLeast => measure >= threshold,
            Direction::AtMost => measure <= threshold,
        }
    }

    /// How far `measure` falls short of `threshold` (0 when met).
    #[inline]
    pub fn shortfall(self, measure: f64, threshold: f64) -> f64 {
        match self {
            Direction::AtLeast => (threshold - measure).max(0.0),
            Direction::AtMost => (measure - threshold).max(0.0),
        }
    }

    /// The binding one of two values: the smaller for at-least, the larger for
    /// at-most. NaN propagates: `f64::min`/`max` drop a NaN, which would let a
    /// path with a NaN year meet an every-year or milestone target.
    #[inline]
    pub(crate) fn binding(self, a: f64, b: f64) -> f64 {
        if a.is_nan() || b.is_nan() {
            return f64::NAN;
        }
        match self {
            Direction::AtLeast => a.min(b),
            Direction::AtMost => a.max(b),
        }
    }

    fn is_at_least(&self) -> bool {
        *self == Direction::AtLeast
    }
}

/// One dated step of a milestone path (row 17: 70% by the end of 2021).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    /// Calendar year the value is due.
    pub year: i32,
    /// Value due by the end of that year.
    pub value: f64,
}

/// Every kind of target that appears in the plan tables.
///
/// Years are those of the plan: the base year carries the base value, the plan
/// years run from `base_year + 1` to `target_year`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// Level in the target year (8400 by 2025; at most for reductions).
    Level {
        /// Threshold level.
        value: f64,
        /// At least (default) or at most.
        #[serde(default, skip_serializing_if = "Direction::is_at_least")]
        direction: Direction,
    },
    /// Growth over the plan (rows 18-21): the average annual growth at least
    /// `pct` percent ("6.5%以上"), at most it for a ceiling ("<5.5"), or
    /// within `tolerance_pp` points of it when `about` ("6.5左右"). With
    /// `over_plan`, `pct` is the change over the whole plan instead, as the
    /// national plans print a five-year total ("单位GDP能耗降低〔13.5〕":
    /// `pct = -13.5`, at most): the level in the target year against the
    /// base year's, so no base value is needed either way.
    Growth {
        /// Average annual growth, percent (with `over_plan`: the change over
        /// the plan, percent).
        pct: f64,
        /// At least (default) or at most; an `about` growth has none.
        #[serde(default, skip_serializing_if = "Direction::is_at_least")]
        direction: Direction,
        /// About `pct` (within `tolerance_pp`) rather than bounded by it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        about: bool,
        /// For `about`: the largest gap allowed, percentage points a year
        /// (absent: [`crate::plan::ABOUT_BAND_PP`], as for a relative growth).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tolerance_pp: Option<f64>,
        /// `pct` is the change over the whole plan, not a yearly average.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        over_plan: bool,
    },
    /// Sum of the yearly values over the plan years (row 9: 累计完成100亿美元).
    Cumulative {
        /// Threshold for the sum over years `base_year+1 ..= target_year`.
        total: f64,
        /// At least (default) or at most.
        #[serde(default, skip_serializing_if = "Direction::is_at_least")]
        direction: Direction,
    },
    /// Ratio of two series in the target year (row 4: trade / GDP >= 15%).
    Ratio {
        /// Id of the numerator series.
        numerator: String,
        /// Id of the denominator series.
        denominator: String,
        /// Threshold for `scale * numerator / denominator`.
        value: f64,
        /// Multiplier of the ratio: 100 for percent (default).
        #[serde(default = "hundred")]
        scale: f64,
        /// At least (default) or at most.
        #[serde(default, skip_serializing_if = "Direction::is_at_least")]
        direction: Direction,
    },
    /// Sum of component series in the target year (利用外资 = FDI + reinvestment).
    /// Without a `value`, the threshold is the sum of the components' level targets.
    Aggregate {
        /// Ids of the component indicators.
        components: Vec<String>,
        /// Threshold for the sum; `None` when the plan prints none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<f64>,
        /// At least (default) or at most.
        #[serde(default, skip_serializing_if = "Direction::is_at_least")]
        direction: Direction,
    },
    /// A yearly flow of at least `value` in every plan year (row 8: 100 projects a year).
    EveryYear {
        /// Threshold each year.
        value: f64,
        /// At least (default) or at most.
        #[serde(default, skip_serializing_if = "Direction::is_at_least")]
        direction: Direction,
    },
    /// Dated steps (row 17: 70% by 2021, 90% by 2022, 100% by 2023).
    Milestones {
        /// Steps in strictly increasing year order.
        points: Vec<Milestone>,
        /// At least (default) or at most.
        #[serde(default, skip_serializing_if = "Direction::is_at_least")]
        direction: Direction,
    },
    /// About `value` in the target year, within `tolerance_pct` percent either side
    /// (row 11, "7左右").
    Approximately {
        /// Central level.
        value: f64,
        /// Allowed relative deviation, percent.
        tolerance_pct: f64,
    },
    /// A multiple of the base level in the target year (倍增: factor 2; a cut by
    /// half: factor 0.5 at most), or of another year's level given with
    /// `of_year` and `of_value` (是挂牌前的6.52倍: 6.52 times the level of the
    /// year before listing).
    Multiple {
        /// Factor applied to the base (or to `of_value`).
        factor: f64,
        /// At least (default) or at most.
        #[serde(default, skip_serializing_if = "Direction::is_at_least")]
        direction: Direction,
        /// The reference year, where it is not the base year; with `of_value`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        of_year: Option<i32>,
        /// The level in `of_year` the factor multiplies; with `of_year`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        of_value: Option<f64>,
    },
    /// A range in the target year ("引进5-10家"): met at `low`, the stretch at
    /// `high`. Its rule is the level at least `low`; P(>= `high`) is a second
    /// target, a level of `high` in `extra_targets`, which `attain import`
    /// adds with every range so that both probabilities are reported.
    Range {
        /// Where the target is met.
        low: f64,
        /// The stretch, above `low`.
        high: f64,
    },
    /// Average annual growth relative to another series' ("高于GDP增长": at
    /// least its growth; "与GDP增长基本同步": within `tolerance_pp` points of
    /// it). Simulated with the series it names, which must be in the plan.
    RelativeGrowth {
        /// Id of the series compared with.
        series: String,
        /// About equal (within `tolerance_pp`) rather than at least.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        about: bool,
        /// For `about`: the largest gap allowed, percentage points a year
        /// (default [`crate::plan::ABOUT_BAND_PP`], the band of an "about"
        /// growth rate).
        #[serde(default = "about_band")]
        tolerance_pp: f64,
    },
}

/// Checks that `series`, named in `field` of indicator `id`'s target, is
/// a known series other than `id` (`itself` says why not `id`).
fn another_series(
    id: &str,
    field: &str,
    series: &str,
    index: &SeriesIndex,
    itself: &str,
) -> Result<()> {
    if series == id {
        return Err(Error::indicator(id, field, itself));
    }
    if index.position(series).is_none() {
        return Err(Error::indicator(id, field, Problem::unknown_series(series)));
    }
    Ok(())
}

fn about_band() -> f64 {
    crate::plan::ABOUT_BAND_PP
}

fn hundred() -> f64 {
    100.0
}

impl Target {
    /// Average annual growth of at least `pct` percent: the plain growth
    /// target ("年均增长7%").
    pub fn growth(pct: f64) -> Target {
        Target::Growth {
            pct,
            direction: Direction::AtLeast,
            about: false,
            tolerance_pp: None,
            over_plan: false,
        }
    }

    /// Short name of the kind, as in plan files (`level`, `cumulative`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Level { .. } => "level",
            Target::Growth { .. } => "growth",
            Target::Cumulative { .. } => "cumulative",
            Target::Ratio { .. } => "ratio",
            Target::Aggregate { .. } => "aggregate",
            Target::EveryYear { .. } => "every_year",
            Target::Milestones { .. } => "milestones",
            Target::Approximately { .. } => "approximately",
            Target::Multiple { .. } => "multiple",
            Target::Range { .. } => "range",
            Target::RelativeGrowth { .. } => "relative_growth",
        }
    }

    /// Whether meeting this target depends on the indicator's own base level.
    pub fn needs_base(&self) -> bool {
        matches!(self, Target::Multiple { of_value: None, .. })
    }

    /// Whether the target counts a yearly flow (projects a year), whose values
    /// may be zero, rather than a level, which must be positive.
    pub fn is_flow(&self) -> bool {
        match self {
            Target::EveryYear { .. } => true,
            Target::Level { .. }
            | Target::Growth { .. }
            | Target::Cumulative { .. }
            | Target::Ratio { .. }
            | Target::Aggregate { .. }
            | Target::Milestones { .. }
            | Target::Approximately { .. }
            | Target::Multiple { .. }
            | Target::Range { .. }
            | Target::RelativeGrowth { .. } => false,
        }
    }

    /// The total due over the plan years, for a target that sums them.
    pub fn cumulative_total(&self) -> Option<f64> {
        match self {
            Target::Cumulative { total, .. } => Some(*total),
            Target::Level { .. }
            | Target::Growth { .. }
            | Target::Ratio { .. }
            | Target::Aggregate { .. }
            | Target::EveryYear { .. }
            | Target::Milestones { .. }
            | Target::Approximately { .. }
            | Target::Multiple { .. }
            | Target::Range { .. }
            | Target::RelativeGrowth { .. } => None,
        }
    }

    /// The target as a reader states it, in the row's unit: the level due (the
    /// total for a cumulative row, `threshold` — the resolved rule's — for an
    /// aggregate without a value, `base` times factor for a multiple), the
    /// growth for a growth row, the floor of an every-year row, the last
    /// milestone.
    pub fn stated_value(&self, base: Option<f64>, threshold: Option<f64>) -> Option<f64> {
        match self {
            Target::Level { value, .. }
            | Target::Approximately { value, .. }
            | Target::Ratio { value, .. }
            | Target::EveryYear { value, .. } => Some(*value),
            Target::Cumulative { total, .. } => Some(*total),
            Target::Aggregate { value, .. } => value.or(threshold),
            Target::Multiple {
                factor, of_value, ..
            } => of_value.or(base).map(|b| b * factor),
            Target::Growth { pct, .. } => Some(*pct),
            Target::Milestones { points, .. } => points.last().map(|m| m.value),
            Target::Range { low, .. } => Some(*low),
            Target::RelativeGrowth { .. } => None,
        }
    }

    /// The level this target sets for its own series in the target year, when it
    /// sets one (used by aggregates and the consistency check).
    pub fn target_level(&self) -> Option<f64> {
        match self {
            Target::Level { value, .. } | Target::Approximately { value, .. } => Some(*value),
            Target::Range { low, .. } => Some(*low),
            Target::RelativeGrowth { .. }
            | Target::Growth { .. }
            | Target::Cumulative { .. }
            | Target::Ratio { .. }
            | Target::Aggregate { .. }
            | Target::EveryYear { .. }
            | Target::Milestones { .. }
            | Target::Multiple { .. } => None,
        }
    }

    /// Which side of its threshold meets the target, as its [`Rule`] judges
    /// it: a growth target is met from above, an approximate level by a
    /// small enough deviation.
    pub fn direction(&self) -> Direction {
        match self {
            Target::Range { .. } => Direction::AtLeast,
            Target::Growth {
                direction, about, ..
            } => {
                if *about {
                    Direction::AtMost
                } else {
                    *direction
                }
            }
            Target::Approximately { .. } => Direction::AtMost,
            Target::RelativeGrowth { about, .. } => {
                if *about {
                    Direction::AtMost
                } else {
                    Direction::AtLeast
                }
            }
            Target::Level { direction, .. }
            | Target::Cumulative { direction, .. }
            | Target::Ratio { direction, .. }
            | Target::Aggregate { direction, .. }
            | Target::EveryYear { direction, .. }
            | Target::Milestones { direction, .. }
            | Target::Multiple { direction, .. } => *direction,
        }
    }

    /// Whether meeting this target depends only on growth, not on the level,
    /// so that a path without a known level may start at 1.
    pub fn is_level_free(&self) -> bool {
        match self {
            Target::Growth { .. } | Target::RelativeGrowth { .. } => true,
            Target::Range { .. }
            | Target::Level { .. }
            | Target::Cumulative { .. }
            | Target::Ratio { .. }
            | Target::Aggregate { .. }
            | Target::EveryYear { .. }
            | Target::Milestones { .. }
            | Target::Approximately { .. }
            | Target::Multiple { .. } => false,
        }
    }

    /// The level due in the target year for series `own` of `index`, from
    /// `base` (its level in the base year), and the side that meets it: what
    /// progress towards the target is measured against. An approximate level
    /// is approached from below. `None` for kinds that set no single level
    /// (cumulative, every-year, milestones) or when the base it needs is
    /// missing.
    pub fn level_due(
        &self,
        own: &str,
        base: Option<f64>,
        index: &SeriesIndex,
    ) -> Option<(f64, Direction)> {
        match self {
            Target::Level { value, direction }
            | Target::Ratio {
                value, direction, ..
            } => Some((*value, *direction)),
            Target::Approximately { value, .. } => Some((*value, Direction::AtLeast)),
            Target::Range { low, .. } => Some((*low, Direction::AtLeast)),
            Target::Aggregate {
                components,
                value,
                direction,
            } => {
                let v = match value {
                    Some(v) => *v,
                    None => aggregate_threshold(own, components, index).ok()?,
                };
                Some((v, *direction))
            }
            Target::Multiple {
                factor,
                direction,
                of_value,
                ..
            } => Some((factor * of_value.or(base)?, *direction)),
            Target::Growth {
                direction, about, ..
            } => {
                // An about growth is approached from below, as an
                // approximate level is.
                let n = index.horizon().ok()?;
                let g = self.implied_growth_pct(base, n)? / 100.0;
                let v = growth::project(base?, g, n as f64).ok()?;
                Some((
                    v,
                    if *about {
                        Direction::AtLeast
                    } else {
                        *direction
                    },
                ))
            }
            Target::Cumulative { .. }
            | Target::EveryYear { .. }
            | Target::Milestones { .. }
            | Target::RelativeGrowth { .. } => None,
        }
    }

    /// The average annual growth (percent) this target implies over `years`
    /// years from `base`, where its kind implies one: the growth itself, or
    /// the growth that reaches its level, multiple or cumulative total.
    pub fn implied_growth_pct(&self, base: Option<f64>, years: usize) -> Option<f64> {
        let n = years as f64;
        let implied = match self {
            Target::Growth { pct, over_plan, .. } => {
                if !*over_plan {
                    return Some(*pct);
                }
                (1.0 + pct / 100.0).powf(1.0 / n) - 1.0
            }
            Target::Level { value, .. }
            | Target::Approximately { value, .. }
            | Target::Range { low: value, .. } => growth::implied_growth(base?, *value, n).ok()?,
            Target::Cumulative { total, .. } => {
                growth::cumulative_implied_growth(base?, *total, u32::try_from(years).ok()?).ok()?
            }
            Target::Multiple {
                factor,
                of_value: Some(of),
                ..
            } => growth::implied_growth(base?, factor * of, n).ok()?,
            Target::Multiple { factor, .. } => factor.powf(1.0 / n) - 1.0,
            Target::Ratio { .. }
            | Target::Aggregate { .. }
            | Target::EveryYear { .. }
            | Target::Milestones { .. }
            | Target::RelativeGrowth { .. } => return None,
        };
        Some(100.0 * implied)
    }

    /// How series `own` follows from other series when this target defines
    /// it as their ratio or sum; `None` for a series of its own.
    pub fn derivation(&self, own: &str) -> Option<Derivation<'_>> {
        match self {
            Target::Ratio {
                numerator,
                denominator,
                scale,
                ..
            } if numerator != own && denominator != own => Some(Derivation {
                parts: vec![numerator.as_str(), denominator.as_str()],
                combine: Combine::Ratio { scale: *scale },
            }),
            Target::Aggregate { components, .. } => Some(Derivation {
                parts: components.iter().map(String::as_str).collect(),
                combine: Combine::Sum,
            }),
            Target::Ratio { .. }
            | Target::Level { .. }
            | Target::Growth { .. }
            | Target::Cumulative { .. }
            | Target::EveryYear { .. }
            | Target::Milestones { .. }
            | Target::Approximately { .. }
            | Target::Multiple { .. }
            | Target::Range { .. }
            | Target::RelativeGrowth { .. } => None,
        }
    }

    /// Checks the target's own fields; `id` names the indicator in errors.
    pub fn validate(&self, id: &str, index: &SeriesIndex) -> Result<()> {
        let finite = |field: &str, v: f64| -> Result<()> {
            if v.is_finite() {
                Ok(())
            } else {
                Err(Error::indicator(id, field, Problem::not_finite(v)))
            }
        };
        match self {
            Target::Level { value, .. } | Target::EveryYear { value, .. } => {
                finite("target.value", *value)
            }
            Target::Growth {
                pct,
                direction,
                about,
                tolerance_pp,
                over_plan,
            } => {
                finite("target.pct", *pct)?;
                if *pct <= -100.0 {
                    return Err(Error::indicator(
                        id,
                        "target.pct",
                        Problem::out_of_range(pct, "> -100"),
                    ));
                }
                if *about && *direction == Direction::AtMost {
                    return Err(Error::indicator(
                        id,
                        "target.direction",
                        "must be absent for an about growth, which is met on either side",
                    ));
                }
                if *about && *over_plan {
                    return Err(Error::indicator(
                        id,
                        "target.about",
                        "applies to a yearly growth, not to a change over the plan",
                    ));
                }
                if let Some(tol) = tolerance_pp {
                    if !*about {
                        return Err(Error::indicator(
                            id,
                            "target.tolerance_pp",
                            "applies to an about growth only (about = true)",
                        ));
                    }
                    if !(tol.is_finite() && *tol >= 0.0) {
                        return Err(Error::indicator(
                            id,
                            "target.tolerance_pp",
                            Problem::out_of_range(*tol, "finite and >= 0"),
                        ));
                    }
                }
                Ok(())
            }
            Target::Cumulative { total, .. } => finite("target.total", *total),
            Target::Ratio {
                numerator,
                denominator,
                value,
                scale,
                ..
            } => {
                finite("target.value", *value)?;
                if !(scale.is_finite() && *scale > 0.0) {
                    return Err(Error::indicator(
                        id,
                        "target.scale",
                        Problem::out_of_range(scale, "> 0"),
                    ));
                }
                for (field, series) in [
                    ("target.numerator", numerator),
                    ("target.denominator", denominator),
                ] {
                    if index.position(series).is_none() {
                        return Err(Error::indicator(id, field, Problem::unknown_series(series)));
                    }
                }
                Ok(())
            }
            Target::Aggregate {
                components, value, ..
            } => {
                if components.is_empty() {
                    return Err(Error::indicator(id, "target.components", Problem::Empty));
                }
                for c in components {
                    another_series(
                        id,
                        "target.components",
                        c,
                        index,
                        "must not include the aggregate itself",
                    )?;
                }
                match value {
                    Some(v) => finite("target.value", *v),
                    None => aggregate_threshold(id, components, index).map(|_| ()),
                }
            }
            Target::Milestones { points, .. } => {
                if points.is_empty() {
                    return Err(Error::indicator(id, "target.points", Problem::Empty));
                }
                let mut last = index.base_year();
                for (i, m) in points.iter().enumerate() {
                    let field = format!("target.points[{i}]");
                    if m.year <= last {
                        let problem = if i == 0 {
                            format!(
                                "year {} must be after the base year {}",
                                m.year,
                                index.base_year()
                            )
                        } else {
                            format!("year {} is out of order (after {last})", m.year)
                        };
                        return Err(Error::indicator(id, &field, problem));
                    }
                    if m.year > index.target_year() {
                        return Err(Error::indicator(
                            id,
                            &field,
                            format!(
                                "year {} is beyond the target year {}",
                                m.year,
                                index.target_year()
                            ),
                        ));
                    }
                    finite(&format!("{field}.value"), m.value)?;
                    last = m.year;
                }
                Ok(())
            }
            Target::Approximately {
                value,
                tolerance_pct,
            } => {
                finite("target.value", *value)?;
                if !(tolerance_pct.is_finite() && *tolerance_pct >= 0.0) {
                    return Err(Error::indicator(
                        id,
                        "target.tolerance_pct",
                        Problem::out_of_range(tolerance_pct, ">= 0"),
                    ));
                }
                if *value == 0.0 {
                    return Err(Error::indicator(
                        id,
                        "target.value",
                        "must not be 0 for a relative tolerance",
                    ));
                }
                Ok(())
            }
            Target::Multiple {
                factor,
                of_year,
                of_value,
                ..
            } => {
                if !(factor.is_finite() && *factor > 0.0) {
                    return Err(Error::indicator(
                        id,
                        "target.factor",
                        Problem::out_of_range(factor, "> 0"),
                    ));
                }
                match (of_year, of_value) {
                    (None, None) => {}
                    (Some(_), None) => {
                        return Err(Error::indicator(
                            id,
                            "target.of_value",
                            "is required with of_year (the level the factor multiplies)",
                        ));
                    }
                    (None, Some(_)) => {
                        return Err(Error::indicator(
                            id,
                            "target.of_year",
                            "is required with of_value (the year whose level it is)",
                        ));
                    }
                    (Some(year), Some(value)) => {
                        if !(value.is_finite() && *value > 0.0) {
                            return Err(Error::indicator(
                                id,
                                "target.of_value",
                                Problem::out_of_range(value, "> 0"),
                            ));
                        }
                        let target_year = i64::from(index.base_year())
                            + i64::try_from(index.horizon()?).unwrap_or(i64::MAX);
                        if i64::from(*year) >= target_year {
                            return Err(Error::indicator(
                                id,
                                "target.of_year",
                                Problem::out_of_range(
                                    year,
                                    format!("before the target year {target_year}"),
                                ),
                            ));
                        }
                    }
                }
                Ok(())
            }
            Target::Range { low, high } => {
                finite("target.low", *low)?;
                finite("target.high", *high)?;
                if high <= low {
                    return Err(Error::indicator(
                        id,
                        "target.high",
                        Problem::out_of_range(*high, format!("> low ({low})")),
                    ));
                }
                Ok(())
            }
            Target::RelativeGrowth {
                series,
                tolerance_pp,
                ..
            } => {
                another_series(
                    id,
                    "target.series",
                    series,
                    index,
                    "must name another series, not the row itself",
                )?;
                if !(tolerance_pp.is_finite() && *tolerance_pp >= 0.0) {
                    return Err(Error::indicator(
                        id,
                        "target.tolerance_pp",
                        Problem::out_of_range(*tolerance_pp, "finite and >= 0"),
                    ));
                }
                Ok(())
            }
        }
    }

    /// Resolves this target, set on series `own` of `index`, into a [`Rule`].
    pub fn rule(&self, own: &str, index: &SeriesIndex) -> Result<Rule> {
        self.validate(own, index)?;
        let n = index.horizon()?;
        let idx = |s: &str| {
            index
                .position(s)
                .ok_or_else(|| Error::indicator(own, "id", format!("unknown series \"{s}\"")))
        };
        let me = idx(own)?;
        let (measure, threshold, direction) = match self {
            Target::Level { value, direction } => (
                Measure::Level {
                    series: me,
                    year: n,
                },
                *value,
                *direction,
            ),
            Target::Growth {
                pct,
                direction,
                about,
                tolerance_pp,
                over_plan,
            } => {
                if *over_plan {
                    // The level over the base's: (1 + g)^n against 1 + pct/100.
                    (
                        Measure::Multiple {
                            series: me,
                            year: n,
                        },
                        1.0 + pct / 100.0,
                        *direction,
                    )
                } else if *about {
                    (
                        Measure::GrowthDeviation {
                            series: me,
                            years: n,
                            centre: pct / 100.0,
                        },
                        tolerance_pp.unwrap_or(crate::plan::ABOUT_BAND_PP) / 100.0,
                        Direction::AtMost,
                    )
                } else {
                    (
                        Measure::Growth {
                            series: me,
                            years: n,
                        },
                        pct / 100.0,
                        *direction,
                    )
                }
            }
            Target::Cumulative { total, direction } => (
                Measure::Sum {
                    series: me,
                    years: n,
                },
                *total,
                *direction,
            ),
            Target::Ratio {
                numerator,
                denominator,
                value,
                scale,
                direction,
            } => (
                Measure::Ratio {
                    numerator: idx(numerator)?,
                    denominator: idx(denominator)?,
                    year: n,
                    scale: *scale,
                },
                *value,
                *direction,
            ),
            Target::Aggregate {
                components,
                value,
                direction,
            } => {
                let threshold = match value {
                    Some(v) => *v,
                    None => aggregate_threshold(own, components, index)?,
                };
                let series = components
                    .iter()
                    .map(|c| idx(c))
                    .collect::<Result<Vec<_>>>()?;
                (Measure::SumOf { series, year: n }, threshold, *direction)
            }
            Target::EveryYear { value, direction } => (
                Measure::Extreme {
                    series: me,
                    years: n,
                    direction: *direction,
                },
                *value,
                *direction,
            ),
            Target::Milestones { points, direction } => (
                Measure::Milestones {
                    series: me,
                    points: points
                        .iter()
                        .map(|m| {
                            // Validated: base_year < m.year; i64 so the difference cannot overflow.
                            let t = i64::from(m.year) - i64::from(index.base_year());
                            (t as usize, m.value)
                        })
                        .collect(),
                    direction: *direction,
                },
                0.0,
                *direction,
            ),
            Target::Approximately {
                value,
                tolerance_pct,
            } => (
                Measure::Deviation {
                    series: me,
                    year: n,
                    centre: *value,
                },
                *tolerance_pct,
                Direction::AtMost,
            ),
            // Of another year's stated level: a level target.
            Target::Multiple {
                factor,
                direction,
                of_value: Some(of),
                ..
            } => (
                Measure::Level {
                    series: me,
                    year: n,
                },
                factor * of,
                *direction,
            ),
            Target::Multiple {
                factor, direction, ..
            } => (
                Measure::Multiple {
                    series: me,
                    year: n,
                },
                *factor,
                *direction,
            ),
            Target::Range { low, .. } => (
                Measure::Level {
                    series: me,
                    year: n,
                },
                *low,
                Direction::AtLeast,
            ),
            Target::RelativeGrowth {
                series,
                about,
                tolerance_pp,
            } => {
                let measure = Measure::GrowthGap {
                    series: me,
                    other: idx(series)?,
                    years: n,
                    absolute: *about,
                };
                if *about {
                    (measure, tolerance_pp / 100.0, Direction::AtMost)
                } else {
                    (measure, 0.0, Direction::AtLeast)
                }
            }
        };
        Ok(Rule {
            measure,
            threshold,
            direction,
        })
    }
}

/// A series defined by others: which it reads, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Derivation<'a> {
    /// Ids of the series it reads, in the order [`Combine`] takes them.
    pub parts: Vec<&'a str>,
    /// How their values make its value.
    pub combine: Combine,
}

/// How the values of a derived series' parts make its value: the one
/// definition the engine, the judge and a review all use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// `scale * parts[0] / parts[1]`.
    Ratio {
        /// Multiplier (100 for percent).
        scale: f64,
    },
    /// The sum of all parts, in order.
    Sum,
}

impl Combine {
    /// Writes the combined value of each path into `out`, reading part `k`
    /// as `part(k)` (one value per path, as long as `out`) for `k < parts`.
    #[inline]
    pub fn rows<'a>(self, parts: usize, part: impl Fn(usize) -> &'a [f64], out: &mut [f64]) {
        match self {
            Combine::Ratio { scale } => {
                for ((o, a), b) in out.iter_mut().zip(part(0)).zip(part(1)) {
                    *o = scale * a / b;
                }
            }
            Combine::Sum => {
                if parts == 0 {
                    out.fill(0.0);
                    return;
                }
                out.copy_from_slice(part(0));
                for k in 1..parts {
                    for (o, v) in out.iter_mut().zip(part(k)) {
                        *o += v;
                    }
                }
            }
        }
    }

    /// The combined value of one set of part values.
    pub fn value(self, parts: &[f64]) -> f64 {
        let mut out = [0.0];
        self.rows(parts.len(), |k| std::slice::from_ref(&parts[k]), &mut out);
        out[0]
    }
}

/// Threshold of an aggregate the plan prints no value for: the sum of the
/// components' own level targets.
fn aggregate_threshold(id: &str, components: &[String], index: &SeriesIndex) -> Result<f64> {
    components
        .iter()
        .map(|c| {
            index.level_target(c).ok_or_else(|| {
                Error::indicator(
                    id,
                    "target.value",
                    format!("is absent and component \"{c}\" has no level target to sum"),
                )
            })
        })
        .sum()
}
