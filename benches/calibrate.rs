//! The library call behind `attain calibrate` on a 1,000-series history of
//! 30 years (a third each i.i.d., AR(1) and shock-mixture growth): the
//! `calibrated` fit of the whole panel and a model for every series (no
//! plan: ten horizons each), with their correlation. The goal is
//! under 1 s. A second case models 20 of the series as a plan would (the
//! other 980 are peers in the pool).
//!
//! `cargo bench --bench calibrate`; `ATTAIN_BENCH_SERIES` sets the number of
//! series (default 1,000).

use attain::calibration::calibrated_scenario;
use attain::forecast::history::YearlySeries;
use attain::forecast::synthetic::{Process, generate};
use attain::{Attribute, Direction, Indicator, Plan, Target};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// `n` series of 30 years from 1990, split over the standard mix.
fn history(n: usize) -> Vec<YearlySeries> {
    Process::STANDARD_MIX
        .iter()
        .enumerate()
        .flat_map(|(k, p)| {
            let count = n / 3 + usize::from(k < n % 3);
            generate(p, count, 30, 100.0, k as u64).unwrap()
        })
        .enumerate()
        .map(|(i, mut data)| {
            data.id = format!("s{i}");
            data.first_year = Some(1990);
            YearlySeries {
                first_year: 1990,
                data,
                filled: Vec::new(),
                unverified: 0,
            }
        })
        .collect()
}

/// A plan of the first `k` series, 2019 to 2024.
fn plan(k: usize) -> Plan {
    let indicators = (0..k)
        .map(|i| Indicator {
            id: format!("s{i}"),
            no: None,
            name: format!("s{i}"),
            name_zh: String::new(),
            unit: String::new(),
            category: String::new(),
            attribute: Attribute::Expected,
            base: Some(100.0),
            stated_growth: None,
            target: Target::Level {
                value: 130.0,
                direction: Direction::AtLeast,
            },
            extra_targets: Vec::new(),
            note: None,
        })
        .collect();
    Plan {
        name: "bench".into(),
        source: None,
        base_year: 2019,
        target_year: 2024,
        indicators,
        series: Vec::new(),
    }
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("ATTAIN_BENCH_SERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let data = history(n);
    let mut group = c.benchmark_group("calibrate");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("every_series", |b| {
        b.iter(|| calibrated_scenario(&data, None, 2019).unwrap())
    });
    let p = plan(20.min(n));
    group.bench_function("plan_of_20", |b| {
        b.iter(|| calibrated_scenario(&data, Some(&p), 2019).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
