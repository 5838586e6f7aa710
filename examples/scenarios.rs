//! The Hunan plan under four scenarios side by side: baseline (growth at the
//! stated rates), optimistic (+2 points a year), pessimistic (-2 points) and a
//! shock year (every series 10% lower from 2023 on, the kind of fall Hunan's
//! trade saw in 2023).
//!
//! `cargo run --release --example scenarios [-- --csv]`

use attain::Plan;
use attain::simulate::engine::compare;
use attain::simulate::scenario::Scenario;

const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/hunan_14th_fyp_commerce.toml"
);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let csv = std::env::args().skip(1).any(|a| a == "--csv");
    let plan = Plan::load(PLAN)?;
    let mut scenarios = Scenario::standard_set(2023);
    for s in &mut scenarios {
        s.seed = 2021;
        s.paths = 50_000;
    }
    let results = compare(&plan, &scenarios)?;
    let cell = |r: &attain::simulate::attainment::Attainment, id: &str| {
        r.target(id, 0)
            .and_then(|t| t.attain)
            .map_or(String::new(), |a| format!("{:.3}", a.p))
    };
    if csv {
        print!("no,id");
        for s in &scenarios {
            print!(",p_{}", s.name);
        }
        println!();
    } else {
        print!("{:<4}{:<22}", "no", "indicator");
        for s in &scenarios {
            print!("{:>12}", s.name);
        }
        println!();
    }
    for ind in &plan.indicators {
        let no = ind.no.map_or(String::new(), |n| n.to_string());
        let cells: Vec<String> = results.iter().map(|r| cell(r, &ind.id)).collect();
        if csv {
            println!("{no},{},{}", ind.id, cells.join(","));
        } else {
            print!("{no:<4}{:<22}", ind.id);
            for c in cells {
                print!("{c:>12}");
            }
            println!();
        }
    }
    let joint: Vec<String> = results
        .iter()
        .map(|r| {
            r.joint_binding
                .map_or(String::new(), |p| format!("{:.3}", p.p))
        })
        .collect();
    if csv {
        println!(",joint_binding,{}", joint.join(","));
    } else {
        print!("{:<26}", "all binding targets");
        for j in joint {
            print!("{j:>12}");
        }
        println!();
    }
    Ok(())
}
