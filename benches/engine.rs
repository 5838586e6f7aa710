//! Engine benchmarks on the peer workloads (../shared/peers/README.md):
//! W1 (independent) and W2 (equicorrelated 0.3), 21 indicators x 5 years,
//! against the raw cost of drawing the same standard normals.
//!
//! `cargo bench --bench engine`; `ATTAIN_BENCH_PATHS` sets the paths per
//! iteration (default 1,000,000).

use attain::bench::draw_normals_baseline;
use attain::simulate::engine::{Engine, RunOptions};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "../examples/common/peer.rs"]
mod peer;

fn bench(c: &mut Criterion) {
    let paths: u64 = std::env::var("ATTAIN_BENCH_PATHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut group = c.benchmark_group("peer");
    group.sample_size(10);
    group.throughput(Throughput::Elements(paths * 5 * 21));
    group.bench_function("normals_only", |b| {
        b.iter(|| draw_normals_baseline(paths, 21, 5, 7))
    });
    for (name, correlated) in [("W1", false), ("W2", true)] {
        let (plan, scenario) = peer::workload(paths, 7, correlated).unwrap();
        for (label, fan) in [("probabilities", false), ("with_fan", true)] {
            let options = RunOptions {
                fan,
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
