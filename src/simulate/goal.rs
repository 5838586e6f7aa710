//! Goal seek: the growth (or volatility) at which a target's probability of
//! attainment reaches a given level.
//!
//! Every evaluation reruns the engine with the same seed (common random
//! numbers), so the probability moves only through the parameter and is a
//! monotone step function of the growth shift; bisection then finds the
//! smallest shift that reaches the goal.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::plan::Plan;
use crate::simulate::engine::{Engine, RunOptions, TargetRef};
use crate::simulate::model::GrowthModel;
use crate::simulate::scenario::Scenario;

/// Which parameter a goal seek moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Knob {
    /// The central annual log growth, shifted by a constant.
    Growth,
    /// The volatility, scaled by a factor.
    Volatility,
}

/// The outcome of a goal seek.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalSeek {
    /// Parameter moved.
    pub knob: Knob,
    /// Shift of annual log growth (growth) or factor on the volatility.
    pub value: f64,
    /// For a growth seek, the central growth reached, percent a year: the
    /// model's median growth `(1 + g) e^shift - 1` when it reports one.
    pub growth_pct: Option<f64>,
    /// Probability at the solution.
    pub p: f64,
    /// Engine runs used.
    pub evaluations: usize,
}

/// What a goal seek aims at: series `series` is moved until `target` is met
/// with probability at least `p`.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    /// The series whose model is moved.
    pub series: String,
    /// The target whose probability is sought (of this or another series).
    pub target: TargetRef,
    /// The probability sought, in [0, 1].
    pub p: f64,
}

/// Smallest shift of the goal series' annual log growth at which its target
/// is met with the goal's probability (with the scenario's paths and seed).
pub fn growth_for(plan: &Plan, scenario: &Scenario, goal: &Goal) -> Result<GoalSeek> {
    seek(plan, scenario, goal, Knob::Growth)
}

/// Volatility factor on the goal series at which the target's probability
/// reaches the goal's. Raising volatility helps a target above the median
/// path and hurts one below it, so the seek runs in whichever direction the
/// bracket shows.
pub fn volatility_for(plan: &Plan, scenario: &Scenario, goal: &Goal) -> Result<GoalSeek> {
    seek(plan, scenario, goal, Knob::Volatility)
}

fn seek(plan: &Plan, scenario: &Scenario, goal: &Goal, knob: Knob) -> Result<GoalSeek> {
    let (id, target_id, target_index, p_goal) = (
        goal.series.as_str(),
        goal.target.id.as_str(),
        goal.target.index,
        goal.p,
    );
    if !(0.0..=1.0).contains(&p_goal) {
        return Err(Error::parameter(
            "goal.p",
            Problem::out_of_range(p_goal, "in [0, 1]"),
        ));
    }
    let options = RunOptions {
        fan: false,
        ..RunOptions::default()
    };
    let mut engine = Engine::new(plan, scenario, options)?;
    let (base, _) = engine
        .model(id)
        .ok_or_else(|| Error::indicator(id, "model", "is not simulated by a model"))?;
    let base = base.clone();
    let mut evaluations = 0;
    let mut p_at = |x: f64| -> Result<f64> {
        let mut m = base.clone();
        let moved = match knob {
            Knob::Growth => m.shift_growth(x),
            Knob::Volatility => m.scale_volatility(x),
        };
        if !moved {
            return Err(Error::indicator(
                id,
                "model",
                format!(
                    "cannot move its {} to {x}: it has no such parameter, or the move \
                     would leave it invalid",
                    match knob {
                        Knob::Growth => "growth by",
                        Knob::Volatility => "volatility by a factor",
                    }
                ),
            ));
        }
        engine.set_model(id, m)?;
        evaluations += 1;
        engine
            .run()?
            .target(target_id, target_index)
            .and_then(|t| t.attain)
            .map(|a| a.p)
            .ok_or_else(|| {
                Error::indicator(
                    target_id,
                    "target",
                    format!("target {target_index} is not simulated under this scenario"),
                )
            })
    };
    let (lo, hi) = match knob {
        Knob::Growth => (-1.0, 1.0),
        Knob::Volatility => (0.0, 10.0),
    };
    let (p_lo, p_hi) = (p_at(lo)?, p_at(hi)?);
    // Orient the bracket so that `hi` reaches the goal and `lo` does not.
    let rising = p_hi >= p_lo;
    let (reach_lo, reach_hi) = if rising {
        (p_lo >= p_goal, p_hi >= p_goal)
    } else {
        (p_hi >= p_goal, p_lo >= p_goal)
    };
    if !reach_hi || reach_lo {
        return Err(Error::NoSolution(format!(
            "P(target met) runs from {p_lo:.4} to {p_hi:.4} over the {knob:?} range [{lo}, {hi}]: {p_goal} is not crossed",
        )));
    }
    // Below the solution exactly when reaching the goal disagrees with the
    // bracket's orientation.
    let (lo, hi) = crate::solve::bisect(
        lo,
        hi,
        60,
        |mid| Ok((p_at(mid)? >= p_goal) != rising),
        |lo, hi, _| hi - lo < 1e-7,
    )?;
    let value = if rising { hi } else { lo };
    let p = p_at(value)?;
    let growth_pct = match knob {
        Knob::Growth => base
            .growth_pct()
            .map(|g| 100.0 * ((1.0 + g / 100.0) * value.exp() - 1.0)),
        Knob::Volatility => None,
    };
    Ok(GoalSeek {
        knob,
        value,
        growth_pct,
        p,
        evaluations,
    })
}
