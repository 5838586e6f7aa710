//! The flagship example: the main-indicator table of the Hunan 14th Five-Year
//! Plan for commerce and the open economy, as the plan prints it, plus what
//! its authors could not print: the growth each row implies, what the stated
//! growth would reach, a consistency mark, and the probability that each
//! target is met under the default scenario.
//!
//! ```text
//! cargo run --release --example hunan_14th_fyp            # table
//! cargo run --release --example hunan_14th_fyp -- --csv   # CSV
//! ```

use attain::attainment::Attainment;
use attain::consistency::{RowCheck, check_plan};
use attain::engine::simulate;
use attain::scenario::Scenario;
use attain::{Indicator, Plan, Target};
use unicode_width::UnicodeWidthStr;

const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/hunan_14th_fyp_commerce.toml"
);

/// One printed row: the plan's columns and ours.
struct Row {
    category: String,
    no: String,
    id: String,
    name: String,
    unit: String,
    base: String,
    target: String,
    stated: String,
    implied: String,
    reached: String,
    consistent: String,
    attribute: String,
    p: Option<(f64, f64, f64)>,
}

fn fmt_num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or(String::new(), |v| format!("{v:.digits$}"))
}

/// What the plan prints in the 2025 column.
fn target_cell(ind: &Indicator, check: &RowCheck) -> String {
    match &ind.target {
        Target::Level { value, .. } | Target::Approximately { value, .. } => fmt_num(*value),
        Target::Ratio { value, .. } => fmt_num(*value),
        Target::Growth { .. } => "—".into(),
        Target::Aggregate { value: None, .. } => check
            .threshold
            .map_or("—".into(), |t| format!("({})", fmt_num(t))),
        _ => ind.note.clone().unwrap_or_default(),
    }
}

fn rows(plan: &Plan, checks: &[RowCheck], sim: &Attainment) -> Vec<Row> {
    plan.indicators
        .iter()
        .zip(checks)
        .map(|(ind, c)| {
            let p = sim
                .target(&ind.id, 0)
                .and_then(|t| t.attain)
                .map(|a| (a.p, a.low, a.high));
            Row {
                category: ind.category.clone(),
                no: ind.no.map_or(String::new(), |n| n.to_string()),
                id: ind.id.clone(),
                name: format!("{} {}", ind.name_zh, ind.name),
                unit: ind.unit.clone(),
                base: ind.base.map_or("—".into(), fmt_num),
                target: target_cell(ind, c),
                stated: ind
                    .stated_growth
                    .as_ref()
                    .map_or("—".into(), |g| g.text.clone()),
                implied: opt(c.implied_growth_pct, 2),
                reached: opt(c.reached, 1),
                consistent: c.consistent.map_or(String::new(), |b| b.to_string()),
                attribute: ind.attribute.en().to_string(),
                p,
            }
        })
        .collect()
}

/// Pads to a display width (CJK characters take two columns).
fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

fn truncate(s: &str, width: usize) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        let next = format!("{out}{ch}");
        if UnicodeWidthStr::width(next.as_str()) > width {
            break;
        }
        out = next;
    }
    out
}

fn print_table(plan: &Plan, rows: &[Row], sim: &Attainment) {
    println!("{}", plan.name);
    println!(
        "{} -> {}; P(attain) under the default scenario ({} paths, seed {}, log-normal growth at the stated rate, sd {:.0}%)\n",
        plan.base_year,
        plan.target_year,
        sim.paths,
        sim.seed,
        100.0 * attain::scenario::DEFAULT_SD
    );
    let head = [
        ("类别", 12),
        ("no", 3),
        ("indicator", 44),
        ("2020", 8),
        ("2025", 26),
        ("growth%", 8),
        ("attr", 9),
        ("implied%", 9),
        ("stated->", 9),
        ("ok", 3),
        ("P(attain) [95%]", 20),
    ];
    let line: String = head.iter().map(|(h, w)| pad(h, *w) + " ").collect();
    println!("{}", line.trim_end());
    println!("{}", "-".repeat(UnicodeWidthStr::width(line.trim_end())));
    for r in rows {
        let mark = match r.consistent.as_str() {
            "true" => "✓",
            "false" => "✗",
            _ => "",
        };
        let p = r.p.map_or(String::new(), |(p, lo, hi)| {
            format!("{p:.3} [{lo:.3},{hi:.3}]")
        });
        let cells = [
            truncate(&r.category, 12),
            r.no.clone(),
            truncate(&format!("{} ({})", r.name, r.unit), 44),
            r.base.clone(),
            truncate(&r.target, 26),
            r.stated.clone(),
            r.attribute.clone(),
            r.implied.clone(),
            r.reached.clone(),
            mark.to_string(),
            p,
        ];
        let line: String = cells
            .iter()
            .zip(head.iter())
            .map(|(c, (_, w))| pad(c, *w) + " ")
            .collect();
        println!("{}", line.trim_end());
    }
    if let Some(j) = sim.joint_binding {
        println!(
            "\nAll simulated binding targets together: {:.3} [{:.3}, {:.3}]",
            j.p, j.low, j.high
        );
    }
    println!(
        "implied%: growth the base and target imply (cumulative rows: the constant growth that sums to the total;\n\
         ratio rows: growth of the ratio). stated->: what the stated growth reaches. ok: the implied rate prints as the stated one."
    );
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
        "stated_growth_pct",
        "implied_growth_pct",
        "reached",
        "consistent",
        "attribute",
        "p_attain",
        "p_low",
        "p_high",
    ])?;
    for r in rows {
        let (p, lo, hi) = r.p.map_or(
            (String::new(), String::new(), String::new()),
            |(p, lo, hi)| (format!("{p:.4}"), format!("{lo:.4}"), format!("{hi:.4}")),
        );
        let base = if r.base == "—" {
            String::new()
        } else {
            r.base.clone()
        };
        let stated = if r.stated == "—" {
            String::new()
        } else {
            r.stated.clone()
        };
        w.write_record([
            &r.no,
            &r.id,
            &r.name,
            &r.unit,
            &base,
            &r.target,
            &stated,
            &r.implied,
            &r.reached,
            &r.consistent,
            &r.attribute,
            &p,
            &lo,
            &hi,
        ])?;
    }
    if let Some(j) = sim.joint_binding {
        let e = String::new();
        w.write_record([
            &e,
            &"joint_binding".to_string(),
            &"all simulated binding targets".to_string(),
            &e,
            &e,
            &e,
            &e,
            &e,
            &e,
            &e,
            &"binding".to_string(),
            &format!("{:.4}", j.p),
            &format!("{:.4}", j.low),
            &format!("{:.4}", j.high),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let csv = std::env::args().skip(1).any(|a| a == "--csv");
    let plan = Plan::load(PLAN)?;
    let checks = check_plan(&plan)?;
    let mut scenario = Scenario::named("default");
    scenario.seed = 2021;
    let sim = simulate(&plan, &scenario)?;
    let rows = rows(&plan, &checks, &sim);
    if csv {
        print_csv(&rows, &sim)
    } else {
        print_table(&plan, &rows, &sim);
        Ok(())
    }
}
