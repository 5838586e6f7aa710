//! In-year tracking of the seed documents' cases (时间过半任务过半):
//!
//! 1. 001, the Changsha airport free-trade zone's 2022 work summary: seven
//!    indicators with their completion rates (完成率), from the year's values
//!    and the targets the rates imply (trade 621.5 at 105%: a target of 591.9).
//! 2. 003, a Henan free-trade-zone area at mid-year: "1-6月" 11 of 20
//!    institutional innovations and 375 of 400 high-tech firms, on a monthly
//!    profile stated here (there is no monthly history).
//! 3. Hunan's total trade: the annual targets of 2021 and 2022 from the
//!    five-year plan's path (4875 in 2020 to 8400 in 2025), tracked with a
//!    year-to-date file (December = the year, from the communiques).
//!
//! ```text
//! cargo run --release --example in_year
//! ```

use std::collections::BTreeMap;

use attain::plan::in_year::InYear;
use attain::track::{Measure, Monthly, Profile, TrackOptions, annual_target, track, track_plan};
use attain::{Direction, Plan};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data");

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:.1}", 100.0 * v))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    changsha()?;
    henan_half_year()?;
    hunan_path()?;
    Ok(())
}

/// 001: the completion rates from the year's values and the derived targets.
fn changsha() -> Result<(), Box<dyn std::error::Error>> {
    let plan = Plan::load(format!("{DATA}/in_year/changsha_airport_2022.toml"))?;
    let data = InYear::load_for(format!("{DATA}/in_year/changsha_airport_2022.csv"), &plan)?;
    let r = track_plan(&plan, &data.series, 2022, 12, &TrackOptions::default())?;
    println!("001 Changsha airport FTZ, 2022: 完成率 = actual / target");
    println!(
        "{:<26} {:>9} {:>9} {:>8} {:>8}",
        "indicator", "actual", "target", "完成率%", "printed"
    );
    // The rates as the document prints them.
    let printed = [105, 107, 111, 118, 250, 100, 142];
    for (x, printed) in r.rows.iter().zip(printed) {
        let rate = x.tracking.done;
        let name = plan.indicator(&x.id).map_or("", |i| i.name_zh.as_str());
        println!(
            "{:<26} {:>9.2} {:>9.2} {:>8.1} {:>8}{}",
            name,
            x.tracking.ytd,
            x.target.value,
            100.0 * rate,
            printed,
            if data.is_lower_bound(&x.id, 2022, 12) {
                "  (a lower bound: 超30%)"
            } else {
                ""
            }
        );
        // The derived targets give back the printed rates.
        assert_eq!((100.0 * rate).round() as i64, printed, "{}", x.id);
        assert_eq!(x.tracking.attain.map(|a| a.p), Some(1.0));
    }
    for w in &data.warnings {
        println!("  {w}");
    }
    println!();
    Ok(())
}

/// 003: the half-year on a stated profile.
fn henan_half_year() -> Result<(), Box<dyn std::error::Error>> {
    println!("003 Henan FTZ area, 1-6月 2022, on stated monthly profiles");
    // Innovations (a flow): spread evenly over the year, so half is due by
    // June; the share reached by month m varies by 0.08 either way.
    let mut sd = [0.08; 12];
    sd[11] = 0.0;
    let even = Profile::stated(std::array::from_fn(|k| (k + 1) as f64 / 12.0), sd)?;
    // High-tech firms (a stock): the count rises evenly from 90% of
    // December's in January to December's; the share varies by 0.02.
    let mut sd = [0.02; 12];
    sd[11] = 0.0;
    let rising = Profile::stated(std::array::from_fn(|k| 0.9 + 0.1 * k as f64 / 11.0), sd)?;
    let cases = [
        ("制度创新成果 innovations", Measure::Flow, 11.0, 20.0, even),
        (
            "高新技术企业 high-tech firms",
            Measure::Stock,
            375.0,
            400.0,
            rising,
        ),
    ];
    println!(
        "{:<30} {:>6} {:>6} {:>6} {:>7} {:>12} {:>9} {:>7} {:>16}",
        "indicator", "1-6月", "target", "done%", "expect%", "status", "projected", "P", "95%"
    );
    for (name, measure, june, target, profile) in cases {
        let mut months = [None; 12];
        months[5] = Some(june);
        let s = Monthly::new(measure, BTreeMap::from([(2022, months)]))?;
        let opts = TrackOptions {
            profile: Some(profile.clone()),
            trend: false,
            ..TrackOptions::default()
        };
        let t = track(&s, 2022, 6, target, Direction::AtLeast, &opts)?;
        let a = t.attain.ok_or("no P")?;
        println!(
            "{:<30} {:>6} {:>6} {:>6} {:>7} {:>12} {:>9.1} {:>7.3} [{:.3}, {:.3}]",
            name,
            june,
            target,
            pct(Some(t.done)),
            pct(t.expected_done),
            t.status.map_or("—", |s| s.as_str()),
            t.projected.unwrap_or(f64::NAN),
            a.p,
            a.low,
            a.high
        );
        // Without spread the same profile decides outright: P is 0 or 1.
        let exact = Profile::stated(
            std::array::from_fn(|k| profile.months[k].map_or(1.0, |m| m.mean)),
            [0.0; 12],
        )?;
        let t0 = track(
            &s,
            2022,
            6,
            target,
            Direction::AtLeast,
            &TrackOptions {
                profile: Some(exact),
                ..opts
            },
        )?;
        let p0 = t0.attain.ok_or("no P")?.p;
        println!(
            "{:<30} without spread: projected {:.1}, P = {p0}",
            "",
            t0.projected.unwrap_or(f64::NAN)
        );
        assert!(p0 == 0.0 || p0 == 1.0);
    }
    println!(
        "  (11 of 20 by June is 55% done at 50% of the time: within the stated spread of 8 points, so"
    );
    println!(
        "   on schedule; 375 of 400 is 93.8% against the 94.5% the rising profile expects by June.\n   A stated profile is taken as known: P's interval has no width.)"
    );
    println!();
    Ok(())
}

/// Hunan: annual targets from the five-year path, tracked with a year-to-date file.
fn hunan_path() -> Result<(), Box<dyn std::error::Error>> {
    let plan = Plan::load(format!("{DATA}/hunan_14th_fyp_commerce.toml"))?;
    let data = InYear::load_for(format!("{DATA}/in_year/hunan_trade_ytd.csv"), &plan)?;
    println!(
        "Hunan total trade (进出口总额, 亿元): yearly targets on the path 4875 (2020) -> 8400 (2025)"
    );
    for year in 2021..=2025 {
        let t = annual_target(&plan, "trade_total", year)?.ok_or("no target")?;
        let s = &data.series["trade_total"];
        let actual = s.total(year);
        println!(
            "  {year}: target {:>7.1}{}",
            t.value,
            actual.map_or(String::new(), |v| format!(
                ", actual {v:.1}, 完成率 {:.1}%",
                100.0 * v / t.value
            ))
        );
    }
    let r = track_plan(&plan, &data.series, 2022, 12, &TrackOptions::default())?;
    let x = r.rows.first().ok_or("trade not tracked")?;
    println!(
        "  tracked as of 2022-12: done {}% of {:.1}, status {}",
        pct(Some(x.tracking.done)),
        x.target.value,
        x.tracking.status.map_or("—", |s| s.as_str())
    );
    // A what-if, not a published figure: had 1-6月 been 3300 亿元, on an even
    // profile whose June share varies by 0.03.
    let mut sd = [0.03; 12];
    sd[11] = 0.0;
    let even = Profile::stated(std::array::from_fn(|k| (k + 1) as f64 / 12.0), sd)?;
    let mut years = data.series["trade_total"].years.clone();
    let mut h1 = [None; 12];
    h1[5] = Some(3300.0);
    years.insert(2023, h1);
    let s = Monthly::new(Measure::Flow, years)?;
    let target = annual_target(&plan, "trade_total", 2023)?.ok_or("no target")?;
    let t = track(
        &s,
        2023,
        6,
        target.value,
        target.direction,
        &TrackOptions {
            profile: Some(even),
            ..TrackOptions::default()
        },
    )?;
    let a = t.attain.ok_or("no P")?;
    println!(
        "  what-if 2023 1-6月 = 3300 (not a published figure): target {:.1}, done {}%, projected {:.1}, P {:.3} [{:.3}, {:.3}]",
        target.value,
        pct(Some(t.done)),
        t.projected.unwrap_or(f64::NAN),
        a.p,
        a.low,
        a.high
    );
    Ok(())
}
