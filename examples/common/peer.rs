//! The NumPy peer's workload (../shared/peers/README.md) as a plan and a
//! scenario, shared by the `peer_workload` example and the engine bench.

use attain::simulate::model::{Ar1, ModelSpec};
use attain::simulate::scenario::{CorrelationSpec, Scenario};
use attain::{Attribute, Indicator, Plan, Target};

/// Planned annual growth of the 21 indicators, percent.
pub const GROWTH: [f64; 21] = [
    12.0, 12.0, 16.0, 6.0, 32.0, 15.0, 10.0, 8.0, 10.0, 7.0, 10.0, 15.0, 10.0, 17.0, 12.0, 9.0,
    15.0, 10.0, 12.0, 20.0, 5.0,
];
/// Plan horizon in years.
pub const YEARS: i32 = 5;

/// The peer workload as a plan and a scenario.
pub fn workload(paths: u64, seed: u64, correlated: bool) -> attain::Result<(Plan, Scenario)> {
    let mut indicators = Vec::new();
    let mut scenario = Scenario::named(if correlated { "W2" } else { "W1" });
    scenario.paths = paths;
    scenario.seed = seed;
    for (i, g) in GROWTH.iter().enumerate() {
        let id = format!("x{i:02}");
        let planned = |t: i32| 100.0 * (1.0 + g / 100.0).powi(t);
        indicators.push(Indicator {
            id: id.clone(),
            no: Some(i as u32 + 1),
            name: format!("indicator {i}"),
            name_zh: String::new(),
            unit: String::new(),
            category: String::new(),
            attribute: Attribute::Expected,
            base: Some(100.0),
            stated_growth: Some(g.to_string().parse()?),
            target: Target::Level {
                value: planned(YEARS),
                direction: Default::default(),
            },
            extra_targets: vec![Target::Cumulative {
                total: (1..=YEARS).map(planned).sum(),
                direction: Default::default(),
            }],
            note: None,
        });
        // Expected growth one point below plan; sigma_i = 0.04 + 0.002 i.
        let model = Ar1::new(g - 1.0, 0.3, 0.04 + 0.002 * i as f64)?;
        scenario.models.insert(id, ModelSpec::Ar1(model));
    }
    if correlated {
        let ids: Vec<String> = indicators.iter().map(|i| i.id.clone()).collect();
        let n = ids.len();
        scenario.correlation = Some(CorrelationSpec {
            rows: (0..n)
                .map(|r| (0..n).map(|c| if r == c { 1.0 } else { 0.3 }).collect())
                .collect(),
            ids,
            repair: false,
        });
    }
    let plan = Plan {
        name: "peer workload".to_string(),
        source: Some("../shared/peers/README.md".to_string()),
        base_year: 0,
        target_year: YEARS,
        indicators,
        series: Vec::new(),
    };
    plan.validate()?;
    Ok((plan, scenario))
}
