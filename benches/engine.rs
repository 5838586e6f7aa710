//! Engine benchmarks on the peer workloads (../shared/peers/README.md):
//! W1 (independent) and W2 (equicorrelated 0.3), 21 indicators x 5 years,
//! against the raw cost of drawing the same standard normals.
//!
//! `cargo bench --bench engine`; `ATTAIN_BENCH_PATHS` sets the paths per
//! iteration (default 1,000,000).

use attain::engine::{Engine, RunOptions, draw_normals_baseline};
use attain::model::{Ar1, ModelSpec};
use attain::scenario::{CorrelationSpec, Scenario};
use attain::{Attribute, Indicator, Plan, Target};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const GROWTH: [f64; 21] = [
    12.0, 12.0, 16.0, 6.0, 32.0, 15.0, 10.0, 8.0, 10.0, 7.0, 10.0, 15.0, 10.0, 17.0, 12.0, 9.0,
    15.0, 10.0, 12.0, 20.0, 5.0,
];

fn workload(paths: u64, correlated: bool) -> (Plan, Scenario) {
    let mut scenario = Scenario::named("bench");
    scenario.paths = paths;
    scenario.seed = 7;
    let mut indicators = Vec::new();
    for (i, g) in GROWTH.iter().enumerate() {
        let id = format!("x{i:02}");
        let planned = |t: i32| 100.0 * (1.0 + g / 100.0).powi(t);
        indicators.push(Indicator {
            id: id.clone(),
            no: None,
            name: id.clone(),
            name_zh: String::new(),
            unit: String::new(),
            category: String::new(),
            attribute: Attribute::Expected,
            base: Some(100.0),
            stated_growth: None,
            target: Target::Level {
                value: planned(5),
                direction: Default::default(),
            },
            extra_targets: vec![Target::Cumulative {
                total: (1..=5).map(planned).sum(),
                direction: Default::default(),
            }],
            note: None,
        });
        let model = Ar1::new(g - 1.0, 0.3, 0.04 + 0.002 * i as f64).unwrap();
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
        name: "peer".into(),
        source: None,
        base_year: 0,
        target_year: 5,
        indicators,
        series: Vec::new(),
    };
    (plan, scenario)
}

fn bench(c: &mut Criterion) {
    let paths: u64 = std::env::var("ATTAIN_BENCH_PATHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut group = c.benchmark_group("peer");
    group.sample_size(10);
    group.throughput(Throughput::Elements(paths * 5 * 21));
    group.bench_function("normals_only", |b| {
        b.iter(|| draw_normals_baseline(paths, 21 * 5, 7))
    });
    for (name, correlated) in [("W1", false), ("W2", true)] {
        let (plan, scenario) = workload(paths, correlated);
        for (label, no_fan) in [("probabilities", true), ("with_fan", false)] {
            let options = RunOptions {
                no_fan,
                ..RunOptions::default()
            };
            let engine = Engine::new(&plan, &scenario, options).unwrap();
            group.bench_function(format!("{name}_{label}"), |b| {
                b.iter(|| engine.run().unwrap())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
