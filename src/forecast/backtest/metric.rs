//! The scores a backtest reports, and how each ranks methods.

use serde::{Deserialize, Serialize};

/// The scores a leaderboard reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Mean absolute error.
    Mae,
    /// Root mean squared error.
    Rmse,
    /// Mean absolute percentage error (fraction).
    Mape,
    /// Symmetric MAPE (fraction, M4).
    Smape,
    /// Mean absolute scaled error.
    Mase,
    /// Continuous ranked probability score.
    Crps,
    /// CRPS divided by the MASE scale of the training window: the
    /// probabilistic counterpart of MASE, comparable across series of
    /// different units and sizes.
    CrpsScaled,
    /// Share of actuals inside the central 80% interval.
    Coverage80,
    /// Share of actuals inside the central 95% interval.
    Coverage95,
    /// Interval (Winkler) score of the 80% interval.
    Winkler80,
    /// Interval (Winkler) score of the 95% interval.
    Winkler95,
    /// Pinball loss at 0.05.
    Pinball05,
    /// Pinball loss at 0.25.
    Pinball25,
    /// Pinball loss at 0.5.
    Pinball50,
    /// Pinball loss at 0.75.
    Pinball75,
    /// Pinball loss at 0.95.
    Pinball95,
    /// Brier score of the target probabilities.
    Brier,
    /// Share of actuals inside the central 50% interval (after the others
    /// in [`Metric::ALL`], so existing leaderboard columns keep their place).
    Coverage50,
    /// Brier score of the climatology ([`Row::p_climate`](super::Row::p_climate):
    /// the share of target outcomes met in the years before the origin), on
    /// the rows where the method gave a target probability and a
    /// climatology exists: the reference of [`Metric::BrierSkill`].
    BrierClimate,
    /// Brier skill against the climatology, `1 - Brier / Brier_climate`
    /// over the rows where both exist (1 is perfect, 0 no better than the
    /// base rate of past outcomes, below 0 worse). Its term is the method's
    /// Brier term on those rows; the score is 1 minus the mean of the terms
    /// over the mean of [`Metric::BrierClimate`]'s, not a mean of terms.
    BrierSkill,
}

impl Metric {
    /// Every metric, in leaderboard order.
    pub const ALL: [Metric; 20] = [
        Metric::Mae,
        Metric::Rmse,
        Metric::Mape,
        Metric::Smape,
        Metric::Mase,
        Metric::Crps,
        Metric::CrpsScaled,
        Metric::Coverage80,
        Metric::Coverage95,
        Metric::Winkler80,
        Metric::Winkler95,
        Metric::Pinball05,
        Metric::Pinball25,
        Metric::Pinball50,
        Metric::Pinball75,
        Metric::Pinball95,
        Metric::Brier,
        Metric::Coverage50,
        Metric::BrierClimate,
        Metric::BrierSkill,
    ];

    /// The metric's name as in CSV and JSON (`"mae"`, `"coverage80"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Metric::Mae => "mae",
            Metric::Rmse => "rmse",
            Metric::Mape => "mape",
            Metric::Smape => "smape",
            Metric::Mase => "mase",
            Metric::Crps => "crps",
            Metric::CrpsScaled => "crps_scaled",
            Metric::Coverage80 => "coverage80",
            Metric::Coverage95 => "coverage95",
            Metric::Winkler80 => "winkler80",
            Metric::Winkler95 => "winkler95",
            Metric::Pinball05 => "pinball05",
            Metric::Pinball25 => "pinball25",
            Metric::Pinball50 => "pinball50",
            Metric::Pinball75 => "pinball75",
            Metric::Pinball95 => "pinball95",
            Metric::Brier => "brier",
            Metric::Coverage50 => "coverage50",
            Metric::BrierClimate => "brier_climate",
            Metric::BrierSkill => "brier_skill",
        }
    }

    /// The metrics a leaderboard shows first (the others stay in its CSV and
    /// JSON): errors in units and in percent, MASE, CRPS, the three
    /// coverages, the Brier score and its skill against the climatology.
    pub const HEADLINE: [Metric; 9] = [
        Metric::Mae,
        Metric::Mape,
        Metric::Mase,
        Metric::Crps,
        Metric::Coverage80,
        Metric::Coverage95,
        Metric::Brier,
        Metric::Coverage50,
        Metric::BrierSkill,
    ];

    /// The metric of this name ([`Metric::name`]), if any.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The nominal rate of a coverage metric (its best value); `None` for the
    /// others, which are best at their lowest.
    pub fn nominal(self) -> Option<f64> {
        match self {
            Metric::Coverage50 => Some(0.5),
            Metric::Coverage80 => Some(0.8),
            Metric::Coverage95 => Some(0.95),
            _ => None,
        }
    }

    /// Whether a lower value is better (false for coverage, where the
    /// nominal level is best, and for the Brier skill, best at 1).
    pub fn lower_is_better(self) -> bool {
        self.nominal().is_none() && self != Metric::BrierSkill
    }

    /// How far `value` is from the best: the distance from the nominal rate
    /// for coverage, `1 - value` for the Brier skill, the value itself
    /// otherwise. Ranks methods, lowest first.
    pub fn badness(self, value: f64) -> f64 {
        match (self, self.nominal()) {
            (_, Some(n)) => (value - n).abs(),
            (Metric::BrierSkill, None) => 1.0 - value,
            _ => value,
        }
    }

    /// Position in [`Metric::ALL`].
    pub(super) fn index(self) -> usize {
        self as usize
    }
}
