//! `attain track` on 100 indicators with 10 past years of monthly values
//! and the current year to June: reading the in-year CSV (1,260 rows) and
//! tracking every indicator against its annual target (profile, trend, P).
//! The goal is under 1 s.
//!
//! `cargo bench --bench track`.

use attain::plan::in_year::InYear;
use attain::track::{TrackOptions, track_plan};
use attain::{Attribute, Indicator, Plan, Target};
use criterion::{Criterion, criterion_group, criterion_main};

const INDICATORS: usize = 100;
const YEARS: i32 = 10;

/// The plan: one annual level target per indicator for 2022.
fn plan() -> Plan {
    Plan {
        name: "bench".into(),
        source: None,
        base_year: 2021,
        target_year: 2022,
        indicators: (0..INDICATORS)
            .map(|i| Indicator {
                id: format!("s{i}"),
                no: None,
                name: format!("series {i}"),
                name_zh: String::new(),
                unit: String::new(),
                category: String::new(),
                attribute: Attribute::Expected,
                base: None,
                stated_growth: None,
                target: Target::Level {
                    value: 1300.0 + i as f64,
                    direction: Default::default(),
                },
                extra_targets: Vec::new(),
                note: None,
            })
            .collect(),
        series: Vec::new(),
    }
}

/// Monthly flows growing 5% a year with a seasonal wave and a fixed
/// pseudo-random wobble (no RNG needed: the numbers only have to vary).
fn csv() -> String {
    let mut s = String::from("id,year,month,value\n");
    for i in 0..INDICATORS {
        for y in 0..=YEARS {
            let year = 2022 - YEARS + y;
            let months = if year == 2022 { 6 } else { 12 };
            for m in 1..=months {
                let k = (i * 131 + y as usize * 17 + m * 7) % 97;
                let v = 100.0
                    * 1.05f64.powi(y)
                    * (1.0 + 0.2 * (m as f64 * 0.52).sin())
                    * (1.0 + 0.05 * (k as f64 / 97.0 - 0.5));
                s.push_str(&format!("s{i},{year},{m},{v}\n"));
            }
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let plan = plan();
    let text = csv();
    c.bench_function("track 100 indicators x 10 years monthly", |b| {
        b.iter(|| {
            let data = InYear::from_csv_str(&text).unwrap();
            data.validate(&plan).unwrap();
            let r = track_plan(&plan, &data.series, 2022, 6, &TrackOptions::default()).unwrap();
            assert_eq!(r.rows.len(), INDICATORS);
            r
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
