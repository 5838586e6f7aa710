//! The flagship example: the main-indicator table of the Hunan 14th Five-Year
//! Plan for commerce and the open economy, as the plan prints it, plus what
//! its authors could not print: the growth each row implies, what the stated
//! growth would reach, a consistency mark, and the probability that each
//! target is met, and what that probability rests on.
//!
//! ```text
//! cargo run --release --example hunan_14th_fyp                  # table
//! cargo run --release --example hunan_14th_fyp -- --csv         # CSV
//! cargo run --release --example hunan_14th_fyp -- --plan-only   # the plan-consistent baseline alone
//! cargo run --release --example hunan_14th_fyp -- --history FILE
//! ```
//!
//! By default the scenario is calibrated on `data/hunan_history.csv` with
//! the values up to the base year, as `attain simulate --history` does;
//! series without enough history (and every series, with `--plan-only`)
//! get the plan-consistent baseline: the stated rate as the median path,
//! the spread of the stored reference class.

use attain::plan::consistency::{RowCheck, check_plan};
use std::path::PathBuf;

use attain::simulate::attainment::{Attainment, Probability};
use attain::simulate::engine::simulate;
use attain::{Indicator, Plan, Target};
use unicode_width::UnicodeWidthStr;

#[path = "common/history.rs"]
mod history;

const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/hunan_14th_fyp_commerce.toml"
);

const HISTORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/hunan_history.csv");

/// One row of the report: what the plan prints and what we add. Numbers stay
/// numbers here; the table and the CSV format them each their own way. A new
/// column is a field here, a line in `row` and a cell in each printer.
struct Row<'a> {
    ind: &'a Indicator,
    check: &'a RowCheck,
    /// The threshold the target resolves to (the sum for a cumulative row,
    /// the summed components for an aggregate without a printed value).
    target: Option<f64>,
    /// What the plan prints in the 2025 column.
    target_printed: String,
    p: Option<Probability>,
}

fn row<'a>(ind: &'a Indicator, check: &'a RowCheck, sim: &Attainment) -> Row<'a> {
    let target = match &ind.target {
        Target::Level { value, .. }
        | Target::Approximately { value, .. }
        | Target::Ratio { value, .. }
        | Target::EveryYear { value, .. } => Some(*value),
        Target::Cumulative { total, .. } => Some(*total),
        // Printed or the sum of the components' targets.
        Target::Aggregate { .. } => check.threshold,
        Target::Multiple {
            factor, of_value, ..
        } => of_value.or(ind.base).map(|b| b * factor),
        // Met at the low end.
        Target::Range { low, .. } => Some(*low),
        // A growth row has no level; a milestone path no single threshold.
        Target::Growth { .. } | Target::Milestones { .. } | Target::RelativeGrowth { .. } => None,
    };
    Row {
        ind,
        check,
        target,
        target_printed: target_printed(ind),
        p: sim.target(&ind.id, 0).and_then(|t| t.attain),
    }
}

/// The 2025 cell as printed: the number, or the text of a non-numeric cell.
fn target_printed(ind: &Indicator) -> String {
    match &ind.target {
        Target::Level { value, .. }
        | Target::Approximately { value, .. }
        | Target::Ratio { value, .. } => num(*value),
        Target::Aggregate { value: Some(v), .. } => num(*v),
        Target::Growth { .. } | Target::Aggregate { value: None, .. } => "—".into(),
        _ => ind.note.clone().unwrap_or_default(),
    }
}

/// Shortest decimal form (8400, 283.1, 22.53): the figures as printed.
fn num(v: f64) -> String {
    format!("{v}")
}

fn fixed(v: Option<f64>, digits: usize) -> String {
    v.map_or(String::new(), |v| format!("{v:.digits$}"))
}

fn stated_pct(r: &Row) -> Option<f64> {
    r.ind.stated_growth.as_ref().map(|g| g.pct)
}

/// Pads to a display width (CJK characters take two columns).
fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

fn print_table(plan: &Plan, rows: &[Row], sim: &Attainment) {
    println!("{}", plan.name);
    println!(
        "{} -> {}; P(attain) ({} paths, seed {}) rests on {}\n",
        plan.base_year,
        plan.target_year,
        sim.paths,
        sim.seed,
        history::rests_on(&sim.source)
    );
    let head = [
        "类别",
        "no",
        "indicator",
        "unit",
        "2020",
        "2025",
        "growth%",
        "属性",
        "implied%",
        "stated->",
        "ok",
        "P(attain) [95%]",
    ];
    const NAME: usize = 2;
    const TARGET: usize = 5;
    // A 2025 cell wider than this (row 17's milestone path) moves to the
    // second line of its row, so one long cell does not widen every row.
    const WIDE: usize = 18;
    let mut category = "";
    let mut body: Vec<[String; 12]> = rows
        .iter()
        .map(|r| {
            // The plan prints a category once, on the first row of its group.
            let cat = if r.ind.category == category {
                String::new()
            } else {
                r.ind.category.clone()
            };
            category = &r.ind.category;
            let dash = |s: Option<String>| s.unwrap_or_else(|| "—".to_string());
            [
                cat,
                r.ind.no.map_or(String::new(), |n| n.to_string()),
                r.ind.name_zh.clone(),
                r.ind.unit.clone(),
                dash(r.ind.base.map(num)),
                match (&r.ind.target, r.target) {
                    // Not printed, derived: the sum of the components' targets.
                    (Target::Aggregate { value: None, .. }, Some(t)) => format!("— ({})", num(t)),
                    _ => r.target_printed.clone(),
                },
                dash(r.ind.stated_growth.as_ref().map(|g| g.text.clone())),
                r.ind.attribute.zh().to_string(),
                fixed(r.check.implied_growth_pct, 2),
                fixed(r.check.reached, 1),
                match r.check.consistent {
                    Some(true) => "✓",
                    Some(false) => "✗",
                    None => "",
                }
                .to_string(),
                r.p.map_or(String::new(), |p| {
                    format!("{:.3} [{:.3},{:.3}]", p.p, p.low, p.high)
                }),
            ]
        })
        .collect();
    let moved: Vec<Option<String>> = body
        .iter_mut()
        .map(|cells| {
            (UnicodeWidthStr::width(cells[TARGET].as_str()) > WIDE)
                .then(|| std::mem::replace(&mut cells[TARGET], "↓".into()))
        })
        .collect();
    let widths: Vec<usize> = (0..head.len())
        .map(|k| {
            body.iter()
                .map(|cells| UnicodeWidthStr::width(cells[k].as_str()))
                .chain([UnicodeWidthStr::width(head[k])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[&str]| -> String {
        let s: String = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| pad(c, *w) + "  ")
            .collect();
        s.trim_end().to_string()
    };
    let header = line(&head);
    // The English name goes on a second line under the Chinese one, so the
    // numbers stay within a terminal's width.
    let indent = widths[..NAME].iter().map(|w| w + 2).sum::<usize>();
    println!("{header}");
    println!("{}", "-".repeat(UnicodeWidthStr::width(header.as_str())));
    for ((cells, r), moved) in body.iter().zip(rows).zip(&moved) {
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        println!("{}", line(&cells));
        let more = moved
            .as_ref()
            .map_or(String::new(), |t| format!("; {}: {t}", head[TARGET]));
        println!("{}{}{more}", " ".repeat(indent), r.ind.name);
    }
    if let Some(j) = sim.joint_binding {
        println!(
            "\nAll simulated binding targets together: {:.3} [{:.3}, {:.3}]",
            j.p, j.low, j.high
        );
    }
    println!(
        "\nimplied%: growth the base and target imply (cumulative rows: the constant growth that sums to the total;\n\
         ratio rows: growth of the ratio; the aggregate: growth to the sum of its components' targets, in brackets).\n\
         stated->: what the stated growth reaches. ok: the implied rate prints as the stated one\n\
         (within half a unit of the last printed digit; \"左右\": within 1 point)."
    );
    for r in rows {
        if let Some(g) = r.check.max_denominator_growth_pct {
            println!(
                "{}: holds with the numerator on target if the denominator grows at most {g:.2}% a year.",
                r.ind.id
            );
        }
        if r.check.components_add_up == Some(false) {
            println!(
                "{}: the base is not the sum of its components' bases.",
                r.ind.id
            );
        }
    }
}

fn print_csv(rows: &[Row], sim: &Attainment) -> Result<(), Box<dyn std::error::Error>> {
    let mut w = csv::Writer::from_writer(std::io::stdout());
    w.write_record([
        "no",
        "id",
        "indicator",
        "unit",
        "base",
        "target",
        "target_printed",
        "stated_growth_pct",
        "stated_growth_printed",
        "implied_growth_pct",
        "reached",
        "gap_pct",
        "consistent",
        "attribute",
        "p_attain",
        "p_low",
        "p_high",
        "scenario_source",
    ])?;
    let p4 = |p: Option<f64>| fixed(p, 4);
    for r in rows {
        w.write_record([
            r.ind.no.map_or(String::new(), |n| n.to_string()),
            r.ind.id.clone(),
            format!("{} {}", r.ind.name_zh, r.ind.name),
            r.ind.unit.clone(),
            r.ind.base.map_or(String::new(), num),
            r.target.map_or(String::new(), num),
            r.target_printed.clone(),
            stated_pct(r).map_or(String::new(), num),
            r.ind
                .stated_growth
                .as_ref()
                .map_or(String::new(), |g| g.text.clone()),
            fixed(r.check.implied_growth_pct, 6),
            fixed(r.check.reached, 6),
            fixed(r.check.gap_pct, 6),
            r.check.consistent.map_or(String::new(), |b| b.to_string()),
            r.ind.attribute.en().to_string(),
            p4(r.p.map(|p| p.p)),
            p4(r.p.map(|p| p.low)),
            p4(r.p.map(|p| p.high)),
            sim.source.to_string(),
        ])?;
    }
    if let Some(j) = sim.joint_binding {
        let mut rec = vec![String::new(); 18];
        rec[1] = "joint_binding".into();
        rec[2] = "all simulated binding targets".into();
        rec[13] = "binding".into();
        rec[14] = format!("{:.4}", j.p);
        rec[15] = format!("{:.4}", j.low);
        rec[16] = format!("{:.4}", j.high);
        rec[17] = sim.source.to_string();
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut csv = false;
    let mut file = Some(PathBuf::from(HISTORY));
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--csv" => csv = true,
            "--plan-only" => file = None,
            "--history" => file = Some(args.next().ok_or("--history needs a file")?.into()),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let plan = Plan::load(PLAN)?;
    let checks = check_plan(&plan)?;
    let (mut scenario, notes) = history::scenario(&plan, file.as_deref(), plan.base_year)?;
    for n in &notes {
        eprintln!("warning: {n}");
    }
    scenario.seed = 2021;
    let sim = simulate(&plan, &scenario)?;
    let rows: Vec<Row> = plan
        .indicators
        .iter()
        .zip(&checks)
        .map(|(ind, c)| row(ind, c, &sim))
        .collect();
    if csv {
        print_csv(&rows, &sim)
    } else {
        print_table(&plan, &rows, &sim);
        Ok(())
    }
}
