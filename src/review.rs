//! The mid-term review: as of a year with actuals, where does each target
//! stand, what growth is still required, what would the international
//! trackers call it, and how likely is it now?

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::plan::growth;
use crate::plan::progress::{self, Progress};
use crate::plan::series_index::SeriesIndex;
use crate::plan::target::{Direction, Target};
use crate::plan::{Indicator, Plan};
use crate::simulate::attainment::Probability;
use crate::simulate::engine::{Conditioning, Engine, RunOptions};
use crate::simulate::scenario::Scenario;
use crate::warning::{Warning, WarningCode};

/// Known values per series id, one slot per plan year (base year first).
pub type Known = BTreeMap<String, Vec<Option<f64>>>;

/// The UNSD SDG Progress Chart's label: the ratio of the progress expected by
/// the target year (current CAGR extrapolated) to the progress required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsdLabel {
    /// Ratio >= 0.95.
    OnTrack,
    /// 0.10 <= ratio < 0.95.
    AccelerationNeeded,
    /// Ratio < 0.10.
    StagnationOrRegress,
}

impl UnsdLabel {
    /// The label in Chinese, as a planning office's report prints it.
    pub fn zh(self) -> &'static str {
        match self {
            UnsdLabel::OnTrack => "进展顺利",
            UnsdLabel::AccelerationNeeded => "需要加快",
            UnsdLabel::StagnationOrRegress => "停滞或倒退",
        }
    }
}

/// Open SDG's progress measure: observed over required CAGR, in the good
/// direction; "target achieved" overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenSdgLabel {
    /// The latest value already meets the target.
    TargetAchieved,
    /// Ratio >= 0.95.
    Substantial,
    /// 0.6 <= ratio < 0.95.
    Moderate,
    /// 0 <= ratio < 0.6.
    Limited,
    /// Ratio < 0: moving away from the target.
    Deterioration,
}

impl OpenSdgLabel {
    /// The label in Chinese, as a planning office's report prints it.
    pub fn zh(self) -> &'static str {
        match self {
            OpenSdgLabel::TargetAchieved => "已实现目标",
            OpenSdgLabel::Substantial => "进展显著",
            OpenSdgLabel::Moderate => "进展一般",
            OpenSdgLabel::Limited => "进展有限",
            OpenSdgLabel::Deterioration => "趋于恶化",
        }
    }
}

/// UNSD label and ratio for a series at `x0` (base) and `xt` after `t` years,
/// with `target` due after `n` years.
pub fn unsd(x0: f64, xt: f64, t: f64, n: f64, target: f64) -> Option<(UnsdLabel, f64)> {
    if !(x0 > 0.0 && xt > 0.0 && t > 0.0 && n >= t) || target == x0 {
        return None;
    }
    let cagr = (xt / x0).powf(1.0 / t);
    let expected = xt * cagr.powf(n - t);
    let ratio = (expected - x0) / (target - x0);
    let label = if ratio >= 0.95 {
        UnsdLabel::OnTrack
    } else if ratio >= 0.10 {
        UnsdLabel::AccelerationNeeded
    } else {
        UnsdLabel::StagnationOrRegress
    };
    Some((label, ratio))
}

/// Open SDG label and ratio (observed CAGR over the CAGR the target requires
/// from the base), `direction` saying which way is good. A target already
/// achieved has no ratio: Open SDG computes none then.
pub fn open_sdg(
    x0: f64,
    xt: f64,
    t: f64,
    n: f64,
    target: f64,
    direction: Direction,
) -> Option<(OpenSdgLabel, Option<f64>)> {
    if !(x0 > 0.0 && xt > 0.0 && target > 0.0 && t > 0.0 && n > 0.0) {
        return None;
    }
    if direction.holds(xt, target) {
        return Some((OpenSdgLabel::TargetAchieved, None));
    }
    let observed = (xt / x0).powf(1.0 / t) - 1.0;
    let required = (target / x0).powf(1.0 / n) - 1.0;
    if required == 0.0 {
        return None;
    }
    let ratio = observed / required;
    let label = if ratio >= 0.95 {
        OpenSdgLabel::Substantial
    } else if ratio >= 0.6 {
        OpenSdgLabel::Moderate
    } else if ratio >= 0.0 {
        OpenSdgLabel::Limited
    } else {
        OpenSdgLabel::Deterioration
    };
    Some((label, Some(ratio)))
}

/// One row of the review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRow {
    /// Indicator id.
    pub id: String,
    /// Row number.
    pub no: Option<u32>,
    /// Which target of the indicator (0 = the main one).
    pub target_index: usize,
    /// Target kind.
    pub kind: String,
    /// The latest known value not after the review year, and its year.
    pub latest: Option<(i32, f64)>,
    /// Progress measures (completion, elapsed and covered shares, required
    /// growth) where the target has a level or a total to measure against.
    pub progress: Option<Progress>,
    /// Growth the plan states, percent.
    pub stated_growth_pct: Option<f64>,
    /// Average growth achieved from the base to the latest value, percent.
    pub achieved_growth_pct: Option<f64>,
    /// UNSD SDG Progress Chart label and ratio.
    pub unsd: Option<(UnsdLabel, f64)>,
    /// Open SDG progress label and ratio (no ratio once the target is met).
    pub open_sdg: Option<(OpenSdgLabel, Option<f64>)>,
    /// Probability of attainment before the plan started.
    pub p_before: Option<Probability>,
    /// Probability of attainment now, given the actuals.
    pub p_now: Option<Probability>,
}

/// The review of every target of every indicator as of `as_of`, in plan
/// order (an indicator's main target first).
pub fn review(
    plan: &Plan,
    scenario: &Scenario,
    known: &Known,
    as_of: i32,
) -> Result<Vec<ReviewRow>> {
    review_with(plan, scenario, known, as_of, RunOptions::default())
}

/// [`review`] with run options for both simulations (threads, a
/// [`crate::monitor::Monitor`] for progress and stopping). The review sets
/// `fan` and `conditioning` itself; whatever `options` says of them is
/// replaced.
pub fn review_with(
    plan: &Plan,
    scenario: &Scenario,
    known: &Known,
    as_of: i32,
    options: RunOptions,
) -> Result<Vec<ReviewRow>> {
    review_report(plan, scenario, known, as_of, options).map(|r| r.rows)
}

/// A mid-term review: its rows and what is doubtful about them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// One row per target, as [`review`] gives them.
    pub rows: Vec<ReviewRow>,
    /// The simulations' warnings (each once) and the actuals' own:
    /// contradictions with the plan's base or between a ratio or aggregate
    /// and its parts.
    pub warnings: Vec<Warning>,
}

/// [`review_with`], with the warnings: every output lists them.
pub fn review_report(
    plan: &Plan,
    scenario: &Scenario,
    known: &Known,
    as_of: i32,
    options: RunOptions,
) -> Result<Review> {
    review_between(plan, scenario, scenario, known, as_of, options)
}

/// [`review_report`] with one scenario for "before" and another for "now":
/// a scenario calibrated on history must know, before the plan, only the
/// values dated by its base year, and now those dated by the review year.
/// The same scenario twice is [`review_report`].
pub fn review_between(
    plan: &Plan,
    before: &Scenario,
    now: &Scenario,
    known: &Known,
    as_of: i32,
    options: RunOptions,
) -> Result<Review> {
    plan.validate()?;
    let n = plan.horizon()?;
    if as_of < plan.base_year || as_of > plan.target_year {
        return Err(Error::parameter(
            "as_of",
            format!(
                "must be within {}..={}, got {as_of}",
                plan.base_year, plan.target_year
            ),
        ));
    }
    let filled = fill_known(plan, known, as_of)?;
    let options = RunOptions {
        fan: false,
        conditioning: None,
        ..options
    };
    let before = Engine::new(plan, before, options.clone())?.run()?;
    let now = Engine::new(
        plan,
        now,
        RunOptions {
            conditioning: Some(Conditioning {
                as_of,
                values: known.clone(),
            }),
            ..options
        },
    )?
    .run()?;
    let mut rows = Vec::new();
    let index = plan.index();
    for ind in &plan.indicators {
        let series = filled.get(&ind.id).map(Vec::as_slice).unwrap_or(&[]);
        for (k, target) in ind.targets().enumerate() {
            let mut row = review_row(plan, &index, ind, target, series, n)?;
            row.target_index = k;
            row.p_before = before.target(&ind.id, k).and_then(|t| t.attain);
            row.p_now = now.target(&ind.id, k).and_then(|t| t.attain);
            rows.push(row);
        }
    }
    let mut warnings = Vec::new();
    for w in before.warnings.into_iter().chain(now.warnings) {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    warnings.extend(contradictions(plan, known, &filled, as_of));
    Ok(Review { rows, warnings })
}

/// Actuals that contradict the plan or each other beyond the precision they
/// are printed at: a base-year actual that is not the plan's base, and a
/// ratio or aggregate reported alongside parts it is not made of.
fn contradictions(
    plan: &Plan,
    known: &Known,
    filled: &BTreeMap<String, Vec<Option<f64>>>,
    as_of: i32,
) -> Vec<Warning> {
    use crate::plan::consistency::{printed_precision, ratio_agrees, sum_agrees};
    use crate::plan::target::Combine;
    let mut out = Vec::new();
    for (i, id) in plan.series_ids().enumerate() {
        let (Some(base), Some(Some(actual))) =
            (plan.series_base(i), known.get(id).and_then(|v| v.first()))
        else {
            continue;
        };
        if (actual - base).abs() > printed_precision(*actual) + printed_precision(base) {
            out.push(Warning::about(
                WarningCode::ContradictoryActual,
                id,
                format!(
                    "the base-year ({}) actual {actual} is not the plan's base {base} at the \
                     precision printed; the review conditions on the actual",
                    plan.base_year
                ),
            ));
        }
    }
    let last = usize::try_from(i64::from(as_of) - i64::from(plan.base_year)).unwrap_or(0);
    for ind in &plan.indicators {
        let Some(d) = ind.target.derivation(&ind.id) else {
            continue;
        };
        let Some(reported) = known.get(&ind.id) else {
            continue;
        };
        for (t, v) in reported.iter().enumerate().take(last + 1) {
            let Some(v) = *v else { continue };
            let parts: Option<Vec<f64>> = d
                .parts
                .iter()
                .map(|p| filled.get(*p).and_then(|s| s.get(t).copied().flatten()))
                .collect();
            let Some(parts) = parts else { continue };
            let agrees = match d.combine {
                Combine::Ratio { scale } => ratio_agrees(v, parts[0], parts[1], scale),
                Combine::Sum => sum_agrees(v, &parts),
            };
            if !agrees {
                out.push(Warning::about(
                    WarningCode::ContradictoryActual,
                    &ind.id,
                    format!(
                        "the {} actual {v} is not what its parts give ({}: {}) at the precision \
                         printed",
                        plan.base_year as i64 + t as i64,
                        d.parts.join(", "),
                        crate::number::Short(d.combine.value(&parts))
                    ),
                ));
            }
        }
    }
    out
}

/// Known values up to `as_of` for every indicator, derived rows (ratios,
/// aggregates) computed from their components where not reported, the base
/// year from the plan where the actuals omit it.
fn fill_known(
    plan: &Plan,
    known: &Known,
    as_of: i32,
) -> Result<BTreeMap<String, Vec<Option<f64>>>> {
    let n = plan.horizon()?;
    let last = (as_of - plan.base_year) as usize;
    for (id, values) in known {
        if plan.series_index(id).is_none() {
            return Err(Error::indicator(
                id,
                "actuals",
                "names a series the plan does not have",
            ));
        }
        if values.len() != n + 1 {
            return Err(Error::indicator(
                id,
                "actuals",
                format!("must have {} yearly slots, got {}", n + 1, values.len()),
            ));
        }
    }
    let own = |id: &str, base: Option<f64>| -> Vec<Option<f64>> {
        let mut v = known.get(id).cloned().unwrap_or_else(|| vec![None; n + 1]);
        v.truncate(last + 1);
        if v[0].is_none() {
            v[0] = base;
        }
        v
    };
    let mut out = BTreeMap::new();
    for (i, id) in plan.series_ids().enumerate() {
        out.insert(id.to_string(), own(id, plan.series_base(i)));
    }
    for ind in &plan.indicators {
        // Ratio and aggregate rows follow from their components when the
        // actuals do not report them.
        let Some(derivation) = ind.target.derivation(&ind.id) else {
            continue;
        };
        let comps: Vec<Vec<Option<f64>>> = derivation
            .parts
            .iter()
            .filter(|c| plan.series_index(c).is_some())
            .map(|c| out[*c].clone())
            .collect();
        let mine = out.get_mut(&ind.id).expect("every indicator is in the map");
        for t in 0..=last {
            if mine[t].is_none() {
                let vals: Option<Vec<f64>> = comps.iter().map(|c| c[t]).collect();
                mine[t] = vals.map(|v| derivation.combine.value(&v));
            }
        }
    }
    Ok(out)
}

fn review_row(
    plan: &Plan,
    index: &SeriesIndex,
    ind: &Indicator,
    target: &Target,
    series: &[Option<f64>],
    n: usize,
) -> Result<ReviewRow> {
    let latest = series
        .iter()
        .enumerate()
        .skip(1)
        .rev()
        .find_map(|(t, v)| v.map(|v| (t, v)));
    let x0 = series.first().copied().flatten();
    let mut row = ReviewRow {
        id: ind.id.clone(),
        no: ind.no,
        target_index: 0,
        kind: target.kind().to_string(),
        latest: latest.map(|(t, v)| (plan.base_year + t as i32, v)),
        progress: None,
        stated_growth_pct: ind.stated_growth.as_ref().map(|g| g.pct),
        achieved_growth_pct: None,
        unsd: None,
        open_sdg: None,
        p_before: None,
        p_now: None,
    };
    let (Some((t, xt)), Some(x0)) = (latest, x0) else {
        return Ok(row);
    };
    let year = plan.base_year + t as i32;
    row.achieved_growth_pct = growth::implied_growth(x0, xt, t as f64)
        .ok()
        .map(|g| 100.0 * g);
    let level_target = target.level_due(&ind.id, Some(x0), index);
    if let Some((target, direction)) = level_target {
        row.progress =
            progress::progress(x0, target, xt, plan.base_year, plan.target_year, year).ok();
        row.unsd = unsd(x0, xt, t as f64, n as f64, target);
        row.open_sdg = open_sdg(x0, xt, t as f64, n as f64, target, direction);
    }
    if let Some(total) = target.cumulative_total() {
        // Every plan year up to the latest must be known (or interpolated).
        let years: Option<Vec<f64>> = series[1..=t].iter().copied().collect();
        if let Some(years) = years {
            let achieved: f64 = years.iter().sum();
            row.progress = progress::progress_cumulative(
                total,
                achieved,
                xt,
                plan.base_year,
                plan.target_year,
                year,
            )
            .ok();
        }
    }
    Ok(row)
}
