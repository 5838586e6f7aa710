//! The NumPy peer's attainment workload (../shared/peers/README.md) through the
//! public API: 21 indicators, 5 years, AR(1) log growth one point below plan,
//! a level and a cumulative target per indicator.
//!
//! ```text
//! cargo run --release --example peer_workload -- --paths 1000000 [--correlated] [--seed 7] [--threads T] [--fan]
//! ```
//! `--normals-only` times drawing the same number of standard normals alone.
//! `--fan` also keeps the fan-chart quantiles and realised-growth summaries
//! (work the NumPy peer does not do).
//! prints one JSON line with the keys of numpy_mc.py; `wall_s` times the
//! simulation only (compiling the plan and scenario is excluded).

use std::time::Instant;

use attain::simulate::engine::{Engine, Joint, RunOptions, TargetRef};

#[path = "common/peer.rs"]
mod peer;
use peer::{GROWTH, YEARS, workload};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut paths: u64 = 1_000_000;
    let mut seed: u64 = 7;
    let mut correlated = false;
    let mut threads: Option<usize> = None;
    let mut fan = false;
    let mut normals_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--paths" => paths = args.next().ok_or("--paths needs a value")?.parse()?,
            "--seed" => seed = args.next().ok_or("--seed needs a value")?.parse()?,
            "--threads" => threads = Some(args.next().ok_or("--threads needs a value")?.parse()?),
            "--correlated" => correlated = true,
            "--fan" => fan = true,
            "--normals-only" => normals_only = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if normals_only {
        // The floor: the same number of standard normals, drawn as a run draws them.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or_else(rayon::current_num_threads))
            .build()?;
        let t0 = Instant::now();
        let sum = pool.install(|| {
            attain::bench::draw_normals_baseline(paths, GROWTH.len(), YEARS as usize, seed)
        });
        let wall = t0.elapsed().as_secs_f64();
        let json = serde_json::json!({
            "workload": "normals",
            "paths": paths,
            "wall_s": (wall * 1e4).round() / 1e4,
            "checksum": sum,
        });
        println!("{json}");
        return Ok(());
    }
    let (plan, scenario) = workload(paths, seed, correlated)?;
    let options = RunOptions {
        threads,
        fan,
        joints: vec![Joint {
            name: "level".to_string(),
            members: plan
                .indicators
                .iter()
                .map(|i| TargetRef {
                    id: i.id.clone(),
                    index: 0,
                })
                .collect(),
        }],
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
