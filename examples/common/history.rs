//! The examples' scenario: calibrated on the shipped history
//! (`data/hunan_history.csv`) unless `--plan-only` is given, as
//! `attain simulate --history` and `attain review --history` do.

use std::path::Path;

use attain::Plan;
use attain::calibration::calibrated_scenario;
use attain::forecast::history::{Gaps, yearly_series};
use attain::plan::actuals::Actuals;
use attain::simulate::Source;
use attain::simulate::scenario::Scenario;

/// The scenario for `plan` calibrated on `history` with values up to
/// `as_of` (`None`: the plan-only baseline), with warnings about the series
/// it left to the baseline. Where no series of the plan has enough history,
/// the baseline applies and its source says so.
pub fn scenario(
    plan: &Plan,
    history: Option<&Path>,
    as_of: i32,
) -> Result<(Scenario, Vec<String>), Box<dyn std::error::Error>> {
    let Some(file) = history else {
        return Ok((Scenario::named("default"), Vec::new()));
    };
    let data = yearly_series(&Actuals::read(file)?, Gaps::Geometric)?;
    let h = calibrated_scenario(&data, Some(plan), as_of)?;
    let shown = file
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(file)
        .display()
        .to_string()
        .trim_start_matches('/')
        .to_string();
    if h.series.is_empty() {
        return Ok((
            Scenario::named("default"),
            vec![format!(
                "no series of the plan has enough history (three values, two observed growths) up to {as_of} in \
                 {shown}: the plan-only baseline applies"
            )],
        ));
    }
    let mut notes = Vec::new();
    if !h.uncalibrated.is_empty() {
        let list: Vec<String> = h.uncalibrated.iter().map(ToString::to_string).collect();
        notes.push(format!(
            "plan-only baseline for the series without enough history: {}",
            list.join(", ")
        ));
    }
    let mut s = h.scenario.clone();
    s.name = "default".into();
    s.source = h.source(&shown);
    Ok((s, notes))
}

/// The line that says what the probabilities rest on.
pub fn rests_on(source: &Source) -> String {
    match source {
        Source::PlanOnly => {
            "plan only: a plan-consistent baseline (the stated rates as median paths, \
             the spread of the stored reference class), not a forecast; without --plan-only the \
             history is used where it suffices"
                .to_string()
        }
        s => format!("{s}: the calibrated model's predictive for each series with enough history"),
    }
}
