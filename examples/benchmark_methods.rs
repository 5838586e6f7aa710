//! Which forecast method would have predicted best? Rolling-origin backtests
//! of every method on the Hunan plan's own history and on synthetic series
//! from known processes, with a leaderboard by horizon.
//!
//! ```text
//! cargo run --release --example benchmark_methods                   # shipped history + 1,000 synthetic series
//! cargo run --release --example benchmark_methods -- --csv          # tidy CSV: dataset,method,horizon,metric,value,count,missing
//! cargo run --release --example benchmark_methods -- --data FILE    # your own id,year,value CSV (any number of series)
//! ```
//! Options: `--horizon H` (default 5; 2 on the short Hunan history; for
//! `--data`, what the longest series allows, up to 5), `--min-train N`
//! (default 10; 3 on the Hunan history; for `--data`, half the longest
//! series, 2 to 10), `--fill` (fill gaps
//! in `--data` geometrically instead of refusing them), `--target-growth PCT`
//! (score each method's probability that `--data` series grow at least PCT a
//! year), `--synthetic N` (default 1000), `--paths N` (the engine methods'
//! Monte Carlo paths, default 1000), `--seed S`, `--metric NAME` (the score
//! shown by horizon and ranked by: `crps_scaled` by default, or `mase`,
//! `coverage95`, `brier`, ... as in the CSV).
//!
//! The Hunan history fills 2016-2019 at the 13th plan's average growth (the
//! document prints only 2015 and 2020) and several of its values are derived
//! or unverified (data/README.md): its scores are indicative only.

use std::path::PathBuf;

use attain::Plan;
use attain::calibration::ModelChoice;
use attain::forecast::backtest::{Config, Metric, Score, SeriesData, Summary, evaluate};
use attain::forecast::history::{Gaps, yearly_series};
use attain::forecast::synthetic::{Process, generate};
use attain::forecast::{Method, Simulated, standard_methods};
use attain::plan::actuals::Actuals;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data");

/// The metrics of the all-horizons table.
const SUMMARY: [Metric; 6] = [
    Metric::Mase,
    Metric::Smape,
    Metric::Coverage80,
    Metric::Coverage95,
    Metric::Brier,
    Metric::CrpsScaled,
];

struct Options {
    csv: bool,
    data: Option<PathBuf>,
    fill: bool,
    target_growth: Option<f64>,
    horizon: Option<usize>,
    min_train: Option<usize>,
    synthetic: usize,
    paths: u64,
    seed: u64,
    metric: Metric,
}

fn parse() -> Result<Options, Box<dyn std::error::Error>> {
    let mut o = Options {
        csv: false,
        data: None,
        fill: false,
        target_growth: None,
        horizon: None,
        min_train: None,
        synthetic: 1000,
        paths: 1000,
        seed: 2021,
        metric: Metric::CrpsScaled,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--csv" => o.csv = true,
            "--fill" => o.fill = true,
            "--data" => o.data = Some(value("--data")?.into()),
            "--target-growth" => o.target_growth = Some(value("--target-growth")?.parse()?),
            "--horizon" => o.horizon = Some(value("--horizon")?.parse()?),
            "--min-train" => o.min_train = Some(value("--min-train")?.parse()?),
            "--synthetic" => o.synthetic = value("--synthetic")?.parse()?,
            "--paths" => o.paths = value("--paths")?.parse()?,
            "--seed" => o.seed = value("--seed")?.parse()?,
            "--metric" => {
                let name = value("--metric")?;
                o.metric =
                    Metric::from_name(&name).ok_or(format!("--metric: unknown metric {name}"))?;
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(o)
}

/// Every method; the plan path follows each series' declared growth, the
/// engine methods simulate `horizons` years.
fn methods(o: &Options, horizons: usize) -> attain::Result<Vec<Box<dyn Method>>> {
    let mut m = standard_methods();
    m.push(Box::new(Simulated::new(
        ModelChoice::LogNormal,
        o.paths,
        o.seed,
        horizons,
    )?));
    m.push(Box::new(Simulated::new(
        ModelChoice::Ar1,
        o.paths,
        o.seed,
        horizons,
    )?));
    Ok(m)
}

fn value(s: &Summary, method: &str, h: Option<usize>, metric: Metric) -> Option<f64> {
    s.scores
        .iter()
        .find(|c| c.method == method && c.horizon == h && c.metric == metric)
        .and_then(|c| c.value)
}

fn cell(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.3}"))
}

/// The leaderboard of one data set: `metric` by horizon, methods ranked by
/// it over all horizons (those that made every forecast first), then the
/// other scores over all horizons.
fn print_board(title: &str, s: &Summary, methods: &[String], horizons: usize, metric: Metric) {
    println!("\n## {title} ({} series)\n", s.series);
    let not_made = |m: &str| -> usize {
        s.problems
            .iter()
            .filter(|p| p.method == m)
            .map(|p| p.rows)
            .sum()
    };
    // Methods that made every forecast any method made come first: one
    // scored only on the later, longer windows is not on the same footing.
    let fewest = methods.iter().map(|m| not_made(m)).min().unwrap_or(0);
    let mut ranked: Vec<&String> = methods.iter().collect();
    // Coverage is best at its nominal level, every other metric at its lowest.
    let all = |m: &str| value(s, m, None, metric).map_or(f64::INFINITY, |v| metric.badness(v));
    ranked.sort_by(|a, b| {
        (not_made(a) > fewest)
            .cmp(&(not_made(b) > fewest))
            .then(all(a).total_cmp(&all(b)))
    });
    print!("{:<22}", format!("{} by horizon", metric.name()));
    for h in 1..=horizons {
        print!("{:>8}", format!("h{h}"));
    }
    println!("{:>8}", "all");
    for m in &ranked {
        print!("{m:<22}");
        for h in 1..=horizons {
            print!("{:>8}", cell(value(s, m, Some(h), metric)));
        }
        println!("{:>8}", cell(value(s, m, None, metric)));
    }
    print!("\n{:<22}", "all horizons");
    for m in SUMMARY {
        print!("{:>12}", m.name());
    }
    println!("{:>12}", "not made");
    for m in &ranked {
        print!("{m:<22}");
        for metric in SUMMARY {
            print!("{:>12}", cell(value(s, m, None, metric)));
        }
        println!("{:>12}", not_made(m));
    }
    for p in s.problems.iter().take(3) {
        println!(
            "  {} on {}: {} forecast(s) not made: {}",
            p.method, p.series, p.rows, p.first
        );
    }
    if s.problems.len() > 3 {
        println!("  ... ({} more)", s.problems.len() - 3);
    }
}

/// Writes the tidy CSV rows of one data set (the dataset name quoted as
/// CSV needs: a file path may hold a comma).
fn write_csv(
    w: &mut csv::Writer<std::io::Stdout>,
    dataset: &str,
    scores: &[Score],
) -> csv::Result<()> {
    for c in scores {
        w.write_record([
            dataset,
            &c.method,
            &c.horizon.map_or(String::new(), |h| h.to_string()),
            c.metric.name(),
            &c.value.map_or(String::new(), |v| v.to_string()),
            &c.count.to_string(),
            &c.missing.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// The Hunan history with each series' declared growth as its target.
fn hunan() -> Result<(Vec<SeriesData>, String), Box<dyn std::error::Error>> {
    let plan = Plan::load(PathBuf::from(DATA).join("hunan_14th_fyp_commerce.toml"))?;
    let actuals = Actuals::read(PathBuf::from(DATA).join("hunan_history.csv"))?;
    let mut note = String::new();
    let series = yearly_series(&actuals, Gaps::Geometric)?
        .into_iter()
        .map(|y| {
            let mut s = y.data;
            s.target_growth_pct = plan.growth_pct(&s.id);
            if !y.filled.is_empty() {
                note += &format!(
                    "{}: {}-{} filled; ",
                    s.id,
                    y.filled[0],
                    y.filled[y.filled.len() - 1]
                );
            }
            s
        })
        .collect();
    Ok((series, note))
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let o = parse()?;
    let mut sets: Vec<(String, Vec<SeriesData>, Config)> = Vec::new();
    if let Some(file) = &o.data {
        let gaps = if o.fill {
            Gaps::Geometric
        } else {
            Gaps::Refuse
        };
        let series: Vec<SeriesData> = yearly_series(&Actuals::read(file)?, gaps)
            .map_err(|e| e.in_file(file))?
            .into_iter()
            .map(|y| SeriesData {
                target_growth_pct: o.target_growth,
                ..y.data
            })
            .collect();
        // Unless told, fit on half the longest series (2 to 10 values) and
        // forecast what remains, up to 5 years: any length from 3 values works.
        let longest = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
        let min_train = o.min_train.unwrap_or((longest / 2).clamp(2, 10));
        let horizon = o
            .horizon
            .unwrap_or(longest.saturating_sub(min_train).clamp(1, 5));
        let config = Config::new(horizon, min_train)?;
        sets.push((file.display().to_string(), series, config));
    } else {
        let (series, note) = hunan()?;
        if !o.csv {
            println!("Hunan history: {note}scores indicative only (data/README.md).");
        }
        let config = Config::new(o.horizon.unwrap_or(2), o.min_train.unwrap_or(3))?;
        sets.push(("hunan".into(), series, config));
        let config = Config::new(o.horizon.unwrap_or(5), o.min_train.unwrap_or(10))?;
        for (k, p) in Process::STANDARD_MIX.iter().enumerate() {
            // Split N as evenly as possible, the first sets taking the remainder.
            let n = o.synthetic / 3 + usize::from(k < o.synthetic % 3);
            let series = generate(p, n, 20, 100.0, o.seed + k as u64)?;
            sets.push((format!("synthetic_{}", p.name()), series, config));
        }
    }
    let mut csv = o.csv.then(|| csv::Writer::from_writer(std::io::stdout()));
    if let Some(w) = &mut csv {
        w.write_record([
            "dataset", "method", "horizon", "metric", "value", "count", "missing",
        ])?;
    }
    for (name, series, config) in &sets {
        let methods = methods(&o, config.horizons)?;
        let names: Vec<String> = methods.iter().map(|m| m.name()).collect();
        let summary = evaluate(&methods, series, config)?;
        match &mut csv {
            Some(w) => write_csv(w, name, &summary.scores)?,
            None => print_board(name, &summary, &names, config.horizons, o.metric),
        }
    }
    Ok(())
}
