//! The backtest harness on 10,000 synthetic series of 20 years (a third each
//! i.i.d., AR(1) and shock-mixture growth), every closed-form method,
//! horizons 1-5 from a 10-year minimum window: 9 origins x up to 5 horizons
//! x 8 methods per series; then `ar1_growth` and `calibrated` alone. The engine's simulation method runs on a tenth
//! of the series (its cost is Monte Carlo paths, measured by the engine bench).
//!
//! `cargo bench --bench backtest`; `ATTAIN_BENCH_SERIES` sets the number of
//! series (default 10,000).

use attain::calibration::ModelChoice;
use attain::forecast::backtest::{Config, SeriesData, evaluate};
use attain::forecast::synthetic::{Process, generate};
use attain::forecast::{Ar1Growth, Calibrated, Method, Simulated, standard_methods};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// `n` series split over the standard mix of processes.
fn series(n: usize) -> Vec<SeriesData> {
    Process::STANDARD_MIX
        .iter()
        .enumerate()
        .flat_map(|(k, p)| {
            let count = n / 3 + usize::from(k < n % 3);
            generate(p, count, 20, 100.0, k as u64).unwrap()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("ATTAIN_BENCH_SERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let data = series(n);
    let config = Config::new(5, 10).unwrap();
    let closed = standard_methods();
    let mut group = c.benchmark_group("backtest");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("closed_form_methods", |b| {
        b.iter(|| evaluate(&closed, &data, &config).unwrap())
    });
    // The goal: calibrated at most 3x ar1_growth on the same series.
    let ar1: Vec<Box<dyn Method>> = vec![Box::new(Ar1Growth)];
    group.bench_function("ar1_growth", |b| {
        b.iter(|| evaluate(&ar1, &data, &config).unwrap())
    });
    let calibrated: Vec<Box<dyn Method>> = vec![Box::new(Calibrated::default())];
    group.bench_function("calibrated", |b| {
        b.iter(|| evaluate(&calibrated, &data, &config).unwrap())
    });
    let engine: Vec<Box<dyn Method>> = vec![Box::new(
        Simulated::new(ModelChoice::LogNormal, 1000, 1, 5).unwrap(),
    )];
    let tenth = &data[..n / 10];
    group.throughput(Throughput::Elements(tenth.len() as u64));
    group.bench_function("engine_log_normal_1000_paths", |b| {
        b.iter(|| evaluate(&engine, tenth, &config).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
