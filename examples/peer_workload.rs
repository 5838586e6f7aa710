//! The NumPy peer's attainment workload (../shared/peers/README.md) through the
//! public API: 21 indicators, 5 years, AR(1) log growth one point below plan,
//! a level and a cumulative target per indicator.
//!
//! ```text
//! cargo run --release --example peer_workload -- --paths 1000000 [--correlated] [--seed 7] [--threads T]
//! ```
//! prints one JSON line with the keys of numpy_mc.py; `wall_s` times the
//! simulation only (compiling the plan and scenario is excluded).

use std::time::Instant;

use attain::engine::{Engine, RunOptions};
use attain::model::{Ar1, ModelSpec};
use attain::scenario::{CorrelationSpec, Scenario};
use attain::{Attribute, Indicator, Plan, Target};

const GROWTH: [f64; 21] = [
    12.0, 12.0, 16.0, 6.0, 32.0, 15.0, 10.0, 8.0, 10.0, 7.0, 10.0, 15.0, 10.0, 17.0, 12.0, 9.0,
    15.0, 10.0, 12.0, 20.0, 5.0,
];
const YEARS: i32 = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut paths: u64 = 1_000_000;
    let mut seed: u64 = 7;
    let mut correlated = false;
    let mut threads: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--paths" => paths = args.next().ok_or("--paths needs a value")?.parse()?,
            "--seed" => seed = args.next().ok_or("--seed needs a value")?.parse()?,
            "--threads" => threads = Some(args.next().ok_or("--threads needs a value")?.parse()?),
            "--correlated" => correlated = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let (plan, scenario) = workload(paths, seed, correlated)?;
    let options = RunOptions {
        threads,
        no_fan: true,
        joints: vec![(
            "level".to_string(),
            plan.indicators.iter().map(|i| (i.id.clone(), 0)).collect(),
        )],
        ..RunOptions::default()
    };
    let engine = Engine::new(&plan, &scenario, options)?;
    let t0 = Instant::now();
    let result = engine.run()?;
    let wall = t0.elapsed().as_secs_f64();
    let p = |k: usize| -> Vec<f64> {
        plan.indicators
            .iter()
            .map(|i| {
                result
                    .target(&i.id, k)
                    .and_then(|t| t.attain)
                    .map_or(f64::NAN, |a| a.p)
            })
            .collect()
    };
    let json = serde_json::json!({
        "workload": if correlated { "W2" } else { "W1" },
        "paths": paths,
        "indicators": GROWTH.len(),
        "years": YEARS,
        "threads": threads.unwrap_or_else(rayon::current_num_threads),
        "wall_s": (wall * 1e4).round() / 1e4,
        "ns_per_path_year_indicator": wall * 1e9 / (paths as f64 * YEARS as f64 * GROWTH.len() as f64),
        "p_level": p(0),
        "p_cumulative": p(1),
        "p_joint_level": result.joints[0].1.p,
    });
    println!("{json}");
    Ok(())
}

/// The peer workload as a plan and a scenario.
fn workload(paths: u64, seed: u64, correlated: bool) -> attain::Result<(Plan, Scenario)> {
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
