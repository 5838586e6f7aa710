//! The mid-term review of the Hunan plan: as of each year with actuals, where
//! every target stands (completion, time elapsed versus distance covered,
//! growth still required), what the UNSD and Open SDG trackers would call it,
//! and the probability of attainment before the plan started and now.
//!
//! ```text
//! cargo run --release --example midterm_review                     # shipped actuals
//! cargo run --release --example midterm_review -- --actuals FILE   # your own (id,year,value CSV, TOML or JSON)
//! cargo run --release --example midterm_review -- --csv
//! cargo run --release --example midterm_review -- --plan-only      # the plan-consistent baseline alone
//! cargo run --release --example midterm_review -- --history FILE
//! ```
//! By default the scenario of each review year is calibrated on
//! `data/hunan_history.csv` with the values up to that year, as `attain
//! review --history` does; series without enough history (and every series,
//! with `--plan-only`) get the plan-consistent baseline.
//! Values marked unverified in the shipped file come from statistical
//! communiques without a second check (see data/README.md).

use std::path::PathBuf;

use attain::Plan;
use attain::plan::actuals::Actuals;
use attain::review::{Known, ReviewRow, review};
use attain::simulate::Source;

#[path = "common/history.rs"]
mod history;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data");

fn pct(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{:.1}", 100.0 * v))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut csv = false;
    let mut file = PathBuf::from(DATA).join("hunan_actuals.csv");
    let mut history_file = Some(PathBuf::from(DATA).join("hunan_history.csv"));
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--csv" => csv = true,
            "--plan-only" => history_file = None,
            "--history" => history_file = Some(args.next().ok_or("--history needs a file")?.into()),
            "--actuals" => file = args.next().ok_or("--actuals needs a file")?.into(),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let plan = Plan::load(PathBuf::from(DATA).join("hunan_14th_fyp_commerce.toml"))?;
    let actuals = Actuals::load(&file, &plan)?;
    let known: Known = plan
        .series_ids()
        .map(|id| (id.to_string(), actuals.trajectory(id, &plan)))
        .collect();
    let years: Vec<i32> = actuals
        .years()
        .into_iter()
        .filter(|&y| y > plan.base_year)
        .collect();
    if csv {
        println!(
            "as_of,no,id,latest,completion_pct,elapsed_pct,progress_pct,required_growth_pct,p_attain,p_low,p_high,latest_year,verified,unsd,open_sdg,p_before,target_index,kind,scenario_source"
        );
    }
    for &year in &years {
        // Only history up to the review year.
        let (mut scenario, notes) = history::scenario(&plan, history_file.as_deref(), year)?;
        scenario.seed = 2021;
        scenario.paths = 50_000;
        let rows = review(&plan, &scenario, &known, year)?;
        if csv {
            for r in &rows {
                print_csv(year, r, &actuals, &scenario.source);
            }
            for n in &notes {
                eprintln!("warning ({year}): {n}");
            }
        } else {
            print_table(&plan, year, &rows, &file, &actuals, &scenario.source);
            for n in &notes {
                println!("{n}");
            }
        }
    }
    Ok(())
}

/// How far a latest value can be trusted: `yes`/`no` as the file says,
/// `derived` for a ratio or aggregate computed from its components.
fn verified(actuals: &Actuals, r: &ReviewRow) -> &'static str {
    let Some((year, _)) = r.latest else { return "" };
    match actuals
        .observations
        .iter()
        .find(|o| o.id == r.id && o.year == year)
    {
        Some(o) => match o.verified {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        },
        None => "derived",
    }
}

fn print_csv(year: i32, r: &ReviewRow, actuals: &Actuals, source: &Source) {
    let p = r.progress.as_ref();
    let (pa, lo, hi) = r
        .p_now
        .map_or((String::new(), String::new(), String::new()), |p| {
            (
                format!("{:.4}", p.p),
                format!("{:.4}", p.low),
                format!("{:.4}", p.high),
            )
        });
    println!(
        "{year},{},{},{},{},{},{},{},{pa},{lo},{hi},{},{},{},{},{},{},{},{}",
        r.no.map_or(String::new(), |n| n.to_string()),
        r.id,
        r.latest.map_or(String::new(), |(_, v)| format!("{v}")),
        pct(p.map(|p| p.completion)),
        pct(p.map(|p| p.elapsed_share)),
        pct(p.map(|p| p.progress_share)),
        pct(p.and_then(|p| p.required_growth)),
        r.latest.map_or(String::new(), |(y, _)| y.to_string()),
        verified(actuals, r),
        r.unsd.map_or(String::new(), |(l, _)| format!("{l:?}")),
        r.open_sdg.map_or(String::new(), |(l, _)| format!("{l:?}")),
        r.p_before.map_or(String::new(), |p| format!("{:.4}", p.p)),
        r.target_index,
        r.kind,
        csv_field(&source.to_string()),
    );
}

/// A CSV field, quoted where it holds a comma or a quote.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
fn print_table(
    plan: &Plan,
    year: i32,
    rows: &[ReviewRow],
    file: &std::path::Path,
    actuals: &Actuals,
    source: &Source,
) {
    println!(
        "\nMid-term review as of {year} ({}; actuals from {})",
        plan.name,
        file.display()
    );
    println!("P rests on {}", history::rests_on(source));
    println!(
        "{:<4}{:<22}{:>10}{:>6} {:>7}{:>8}{:>8}{:>9}{:>8}{:>8}  {:<22}{:<14}{:>8}{:>8}",
        "no",
        "id",
        "latest",
        "year",
        "done%",
        "time%",
        "dist%",
        "need%/y",
        "plan%/y",
        "got%/y",
        "UNSD",
        "Open SDG",
        "P before",
        "P now"
    );
    for r in rows {
        let p = r.progress.as_ref();
        let mark = match verified(actuals, r) {
            "no" => "*",
            "derived" => "d",
            _ => "",
        };
        let (latest, ly) = r.latest.map_or((String::new(), String::new()), |(y, v)| {
            (format!("{v:.1}{mark}"), y.to_string())
        });
        println!(
            "{:<4}{:<22}{:>10}{:>6} {:>7}{:>8}{:>8}{:>9}{:>8}{:>8}  {:<22}{:<14}{:>8}{:>8}",
            r.no.map_or(String::new(), |n| n.to_string()),
            r.id,
            latest,
            ly,
            pct(p.map(|p| p.completion)),
            pct(p.map(|p| p.elapsed_share)),
            pct(p.map(|p| p.progress_share)),
            pct(p.and_then(|p| p.required_growth)),
            r.stated_growth_pct
                .map_or(String::new(), |g| format!("{g}")),
            r.achieved_growth_pct
                .map_or(String::new(), |g| format!("{g:.1}")),
            r.unsd
                .map_or(String::new(), |(l, x)| format!("{l:?} ({x:.2})")),
            r.open_sdg.map_or(String::new(), |(l, _)| format!("{l:?}")),
            r.p_before.map_or(String::new(), |p| format!("{:.3}", p.p)),
            r.p_now.map_or(String::new(), |p| format!("{:.3}", p.p)),
        );
    }
    println!(
        "done%: completion (actual / target); time%: share of the period elapsed; dist%: share of the distance covered (log);"
    );
    println!(
        "need%/y: growth still required a year; plan%/y: stated; got%/y: achieved so far; P before / now: probability of attainment at the start and given the actuals."
    );
}
