//! The mid-term review: conditioning on actuals, progress and tracker labels.

use std::collections::BTreeMap;

use attain::review::{OpenSdgLabel, UnsdLabel, open_sdg, review, unsd};
use attain::simulate::attainment::normal_cdf;
use attain::simulate::model::{Ar1, GrowthModel, LogNormal, ModelSpec, Start};
use attain::simulate::scenario::Scenario;
use attain::{Attribute, Direction, Indicator, Plan, Target};

fn indicator(id: &str, base: f64, target: Target) -> Indicator {
    Indicator {
        id: id.into(),
        no: None,
        name: id.into(),
        name_zh: String::new(),
        unit: String::new(),
        category: String::new(),
        attribute: Attribute::Binding,
        base: Some(base),
        stated_growth: Some("8".parse().unwrap()),
        target,
        extra_targets: Vec::new(),
        note: None,
    }
}

fn plan(indicators: Vec<Indicator>) -> Plan {
    Plan {
        name: "t".into(),
        source: None,
        base_year: 2020,
        target_year: 2025,
        indicators,
        series: Vec::new(),
    }
}

fn known(pairs: &[(&str, &[(usize, f64)])]) -> BTreeMap<String, Vec<Option<f64>>> {
    pairs
        .iter()
        .map(|(id, vals)| {
            let mut v = vec![None; 6];
            for &(t, x) in vals.iter() {
                v[t] = Some(x);
            }
            (id.to_string(), v)
        })
        .collect()
}

fn scenario(models: &[(&str, ModelSpec)]) -> Scenario {
    let mut s = Scenario::named("t");
    s.paths = 40_000;
    s.seed = 17;
    for (id, m) in models {
        s.models.insert(id.to_string(), m.clone());
    }
    s
}

#[test]
fn on_the_plan_path_the_required_growth_is_the_stated_growth() {
    let target = 100.0 * 1.08f64.powi(5);
    let p = plan(vec![indicator(
        "a",
        100.0,
        Target::Level {
            value: target,
            direction: Direction::AtLeast,
        },
    )]);
    let k = known(&[("a", &[(1, 108.0), (2, 116.64)])]);
    let rows = review(&p, &scenario(&[]), &k, 2022).unwrap();
    let r = &rows[0];
    assert_eq!(r.latest, Some((2022, 116.64)));
    let pr = r.progress.unwrap();
    assert!((pr.required_growth.unwrap() - 0.08).abs() < 1e-12);
    assert!((pr.elapsed_share - 0.4).abs() < 1e-12);
    assert!((pr.progress_share - 0.4).abs() < 1e-12);
    assert!((r.achieved_growth_pct.unwrap() - 8.0).abs() < 1e-9);
    assert_eq!(r.unsd.unwrap().0, UnsdLabel::OnTrack);
}

#[test]
fn conditional_probability_matches_the_log_normal_closed_form() {
    let m = LogNormal::new(8.0, 0.05).unwrap();
    let p = plan(vec![indicator(
        "a",
        100.0,
        Target::Level {
            value: 150.0,
            direction: Direction::AtLeast,
        },
    )]);
    let k = known(&[("a", &[(1, 104.0), (2, 112.0)])]);
    let rows = review(
        &p,
        &scenario(&[("a", ModelSpec::LogNormal(m.clone()))]),
        &k,
        2022,
    )
    .unwrap();
    let now = rows[0].p_now.unwrap();
    // Three years left from 112: ln(112) + 3 ln(1.08), sd 0.05 sqrt(3).
    let exact = normal_cdf((112f64.ln() + 3.0 * 1.08f64.ln() - 150f64.ln()) / (0.05 * 3f64.sqrt()));
    assert!((now.p - exact).abs() < 4.5 * now.se, "{} vs {exact}", now.p);
    let before = rows[0].p_before.unwrap();
    let exact_before = normal_cdf((5.0 * 1.08f64.ln() - 1.5f64.ln()) / (0.05 * 5f64.sqrt()));
    assert!((before.p - exact_before).abs() < 4.5 * before.se);
    assert!(now.p < before.p, "a slow start lowers the odds");
}

#[test]
fn persistent_models_start_from_the_latest_growth() {
    let m = Ar1::new(8.0, 0.6, 0.04).unwrap();
    let p = plan(vec![indicator(
        "a",
        100.0,
        Target::Level {
            value: 150.0,
            direction: Direction::AtLeast,
        },
    )]);
    let k = known(&[("a", &[(1, 110.0), (2, 125.0)])]);
    let rows = review(&p, &scenario(&[("a", ModelSpec::Ar1(m.clone()))]), &k, 2022).unwrap();
    let start = Start {
        level: 125.0,
        last_log_growth: Some((125.0f64 / 110.0).ln()),
    };
    let (mean, sd) = m.log_level_normal(start, 3).unwrap();
    let exact = normal_cdf((mean - 150f64.ln()) / sd);
    let now = rows[0].p_now.unwrap();
    assert!((now.p - exact).abs() < 4.5 * now.se, "{} vs {exact}", now.p);
}

#[test]
fn a_cumulative_target_already_met_is_certain() {
    let p = plan(vec![indicator(
        "c",
        10.0,
        Target::Cumulative {
            total: 30.0,
            direction: Direction::AtLeast,
        },
    )]);
    let k = known(&[("c", &[(1, 20.0), (2, 15.0)])]);
    let rows = review(&p, &scenario(&[]), &k, 2022).unwrap();
    assert_eq!(rows[0].p_now.unwrap().p, 1.0);
    let pr = rows[0].progress.unwrap();
    assert!((pr.completion - 35.0 / 30.0).abs() < 1e-12);
    assert_eq!(pr.required_growth, None);
}

#[test]
fn tracker_labels() {
    // 100 -> 121 in 2 of 5 years (10% a year), target 150: expected 121 * 1.1^3 = 161.05,
    // ratio (161.05 - 100) / 50 = 1.221.
    let (label, ratio) = unsd(100.0, 121.0, 2.0, 5.0, 150.0).unwrap();
    assert_eq!(label, UnsdLabel::OnTrack);
    assert!((ratio - 1.2210).abs() < 1e-4);
    // Flat: ratio 0 -> stagnation.
    assert_eq!(
        unsd(100.0, 100.0, 2.0, 5.0, 150.0).unwrap().0,
        UnsdLabel::StagnationOrRegress
    );
    // Open SDG: observed 10% vs required (1.5^(1/5) - 1) = 8.447%: ratio 1.184.
    let (label, ratio) = open_sdg(100.0, 121.0, 2.0, 5.0, 150.0, Direction::AtLeast).unwrap();
    assert_eq!(label, OpenSdgLabel::Substantial);
    assert!((ratio.unwrap() - 0.1 / (1.5f64.powf(0.2) - 1.0)).abs() < 1e-12);
    assert_eq!(
        open_sdg(100.0, 95.0, 2.0, 5.0, 150.0, Direction::AtLeast)
            .unwrap()
            .0,
        OpenSdgLabel::Deterioration
    );
    // Already met: the label, and no ratio (not NaN).
    assert_eq!(
        open_sdg(100.0, 160.0, 2.0, 5.0, 150.0, Direction::AtLeast),
        Some((OpenSdgLabel::TargetAchieved, None))
    );
    // A reduction target (at most 50 from 100): falling 10% a year against the
    // 12.94% a year required (0.5^(1/5) - 1) is moderate progress, ratio 0.7725.
    let (label, ratio) = open_sdg(100.0, 81.0, 2.0, 5.0, 50.0, Direction::AtMost).unwrap();
    assert_eq!(label, OpenSdgLabel::Moderate);
    assert!((ratio.unwrap() - (-0.1) / (0.5f64.powf(0.2) - 1.0)).abs() < 1e-12);
}

#[test]
fn bad_actuals_are_errors() {
    let p = plan(vec![indicator(
        "a",
        100.0,
        Target::Level {
            value: 150.0,
            direction: Direction::AtLeast,
        },
    )]);
    let e = review(&p, &scenario(&[]), &known(&[("zz", &[(1, 1.0)])]), 2022)
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"zz\""), "{e}");
    let e = review(&p, &scenario(&[]), &known(&[("a", &[(1, -5.0)])]), 2022)
        .unwrap_err()
        .to_string();
    assert!(e.contains("actual 2021") && e.contains("-5"), "{e}");
    assert!(review(&p, &scenario(&[]), &known(&[]), 2030).is_err());
}

#[test]
fn every_target_of_an_indicator_is_reviewed() {
    let mut ind = indicator(
        "a",
        10.0,
        Target::Level {
            value: 15.0,
            direction: Direction::AtLeast,
        },
    );
    ind.extra_targets.push(Target::Cumulative {
        total: 60.0,
        direction: Direction::AtLeast,
    });
    let p = plan(vec![ind]);
    let k = known(&[("a", &[(1, 11.0), (2, 12.0)])]);
    let rows = review(&p, &scenario(&[]), &k, 2022).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].target_index, rows[0].kind.as_str()), (0, "level"));
    assert_eq!(
        (rows[1].target_index, rows[1].kind.as_str()),
        (1, "cumulative")
    );
    // 11 + 12 = 23 of 60 achieved.
    let pr = rows[1].progress.unwrap();
    assert!((pr.completion - 23.0 / 60.0).abs() < 1e-12);
    assert!(rows[1].p_now.is_some() && rows[1].p_before.is_some());
}
