//! The engine held to closed forms, and its reproducibility guarantees.

use std::collections::BTreeMap;

use attain::simulate::attainment::{closed_form_level, normal_cdf};
use attain::simulate::engine::{Engine, RunOptions, simulate};
use attain::simulate::model::{Ar1, GrowthModel, LogNormal, ModelSpec, Start};
use attain::simulate::scenario::{CorrelationSpec, Sampling, Scenario, Shock};
use attain::{Attribute, Direction, Indicator, Plan, Target};

mod common;
use common::assert_close;

fn indicator(id: &str, base: f64, target: Target, binding: bool) -> Indicator {
    Indicator {
        id: id.to_string(),
        no: None,
        name: id.to_string(),
        name_zh: String::new(),
        unit: String::new(),
        category: String::new(),
        attribute: if binding {
            Attribute::Binding
        } else {
            Attribute::Expected
        },
        base: Some(base),
        stated_growth: None,
        target,
        extra_targets: Vec::new(),
        note: None,
    }
}

fn plan(indicators: Vec<Indicator>) -> Plan {
    Plan {
        name: "test".into(),
        source: None,
        base_year: 2020,
        target_year: 2025,
        indicators,
        series: Vec::new(),
    }
}

fn level(value: f64) -> Target {
    Target::Level {
        value,
        direction: Direction::AtLeast,
    }
}

fn scenario(paths: u64, seed: u64, models: &[(&str, ModelSpec)]) -> Scenario {
    let mut s = Scenario::named("test");
    s.paths = paths;
    s.seed = seed;
    s.models = models
        .iter()
        .map(|(id, m)| (id.to_string(), m.clone()))
        .collect::<BTreeMap<_, _>>();
    s
}

#[test]
fn log_normal_level_and_growth_match_closed_form() {
    let model = LogNormal::new(8.0, 0.05).unwrap();
    let p = plan(vec![
        indicator("a", 100.0, level(150.0), true),
        indicator("b", 100.0, Target::growth(7.0), false),
    ]);
    let s = scenario(
        40_000,
        1,
        &[
            ("a", ModelSpec::LogNormal(model.clone())),
            ("b", ModelSpec::LogNormal(model.clone())),
        ],
    );
    let r = simulate(&p, &s).unwrap();
    let start = Start::at(100.0);
    let exact_a = closed_form_level(&model, start, 5, 150.0, Direction::AtLeast).unwrap();
    // By hand: ln(1.08) = 0.076961, 5 * that = 0.384805; ln 1.5 = 0.405465;
    // sd = 0.05 sqrt 5 = 0.111803; z = -0.184791; Phi(z) = 0.426697.
    assert!((exact_a - 0.426_697).abs() < 1e-5, "{exact_a}");
    let a = r.target("a", 0).unwrap().attain.unwrap();
    assert_close(a.p, a.se, exact_a, "level");
    let exact_b = closed_form_level(
        &model,
        start,
        5,
        100.0 * 1.07f64.powi(5),
        Direction::AtLeast,
    )
    .unwrap();
    let b = r.target("b", 0).unwrap().attain.unwrap();
    assert_close(b.p, b.se, exact_b, "growth");
    assert!(a.low <= a.p && a.p <= a.high);
}

#[test]
fn ar1_matches_peer_closed_form() {
    // Peer README: indicator 0, growth 12 planned, AR(1) at 11, phi 0.3, sd 0.04.
    let model = Ar1::new(11.0, 0.3, 0.04).unwrap();
    let exact = closed_form_level(
        &model,
        Start::at(100.0),
        5,
        100.0 * 1.12f64.powi(5),
        Direction::AtLeast,
    )
    .unwrap();
    assert!((exact - 0.3516).abs() < 5e-5, "{exact}");
    let p = plan(vec![indicator(
        "x",
        100.0,
        level(100.0 * 1.12f64.powi(5)),
        false,
    )]);
    let r = simulate(&p, &scenario(50_000, 9, &[("x", ModelSpec::Ar1(model))])).unwrap();
    let a = r.target("x", 0).unwrap().attain.unwrap();
    assert_close(a.p, a.se, exact, "ar1 level");
}

fn two_correlated(rho: f64, paths: u64, seed: u64) -> (Plan, Scenario) {
    let m = LogNormal::new(10.0, 0.06).unwrap();
    // Thresholds at the medians: P(both) = 1/4 + asin(rho) / (2 pi).
    let median = 100.0 * 1.1f64.powi(5);
    let p = plan(vec![
        indicator("a", 100.0, level(median), true),
        indicator("b", 100.0, level(median), true),
    ]);
    let mut s = scenario(
        paths,
        seed,
        &[
            ("a", ModelSpec::LogNormal(m.clone())),
            ("b", ModelSpec::LogNormal(m)),
        ],
    );
    s.correlation = Some(CorrelationSpec {
        ids: vec!["a".into(), "b".into()],
        rows: vec![vec![1.0, rho], vec![rho, 1.0]],
        repair: false,
    });
    (p, s)
}

#[test]
fn correlated_joint_probability_matches_orthant_formula() {
    for rho in [0.0, 0.3, 0.8, -0.5] {
        let (p, s) = two_correlated(rho, 40_000, 3);
        let r = simulate(&p, &s).unwrap();
        let joint = r.joint_binding.unwrap();
        let exact = 0.25 + rho.asin() / (2.0 * std::f64::consts::PI);
        assert_close(joint.p, joint.se, exact, &format!("rho {rho}"));
    }
}

#[test]
fn thread_count_does_not_change_a_bit() {
    let (p, mut s) = two_correlated(0.4, 70_001, 11);
    s.shocks.push(Shock {
        name: "slump".into(),
        year: 2023,
        probability: 0.3,
        impact_pct: -8.0,
        impacts_pct: BTreeMap::new(),
    });
    let run = |threads| {
        let options = RunOptions {
            threads: Some(threads),
            ..RunOptions::default()
        };
        Engine::new(&p, &s, options).unwrap().run().unwrap()
    };
    let one = run(1);
    assert_eq!(one.paths, 70_001);
    for t in [2, 3, 16] {
        assert_eq!(one, run(t), "{t} threads");
    }
    // And the same seed twice gives the same result; another seed does not.
    assert_eq!(one, run(1));
    let mut other = s.clone();
    other.seed = 12;
    let o = simulate(&p, &other).unwrap();
    assert_ne!(one.targets[0].attain, o.targets[0].attain);
}

#[test]
fn certain_shock_year_matches_shifted_closed_form() {
    let model = LogNormal::new(9.0, 0.05).unwrap();
    let p = plan(vec![indicator("a", 100.0, level(150.0), false)]);
    let mut s = scenario(40_000, 5, &[("a", ModelSpec::LogNormal(model.clone()))]);
    s.shocks.push(Shock {
        name: String::new(),
        year: 2023,
        probability: 1.0,
        impact_pct: -10.0,
        impacts_pct: BTreeMap::new(),
    });
    let r = simulate(&p, &s).unwrap();
    let (mean, sd) = model.log_level_normal(Start::at(100.0), 5).unwrap();
    let exact = normal_cdf((mean + 0.9f64.ln() - 150.0f64.ln()) / sd);
    let a = r.target("a", 0).unwrap().attain.unwrap();
    assert_close(a.p, a.se, exact, "shocked level");
    let plain = simulate(
        &p,
        &scenario(40_000, 5, &[("a", ModelSpec::LogNormal(model))]),
    )
    .unwrap();
    assert!(plain.targets[0].attain.unwrap().p > a.p + 0.1);
}

#[test]
fn fan_chart_and_shortfall_match_log_normal_moments() {
    let model = LogNormal::new(8.0, 0.05).unwrap();
    let p = plan(vec![indicator("a", 100.0, level(150.0), false)]);
    let r = simulate(
        &p,
        &scenario(60_000, 2, &[("a", ModelSpec::LogNormal(model))]),
    )
    .unwrap();
    let fan = &r.fan[0];
    let last = fan.years[5];
    assert_eq!(last.year, 2025);
    let (m, s) = (5.0 * 1.08f64.ln() + 100f64.ln(), 0.05 * 5f64.sqrt());
    // Median e^m; mean e^(m + s^2/2) with SE sd/sqrt(n).
    let median = m.exp();
    let sd_level = ((s * s).exp_m1() * (2.0 * m + s * s).exp()).sqrt();
    assert!((last.quantiles[2] - median).abs() < 4.5 * 1.25 * sd_level / (60_000f64).sqrt() + 0.1);
    let mean = (m + s * s / 2.0).exp();
    assert!((last.mean - mean).abs() < 4.5 * sd_level / (60_000f64).sqrt());
    // 5% and 95% quantiles: e^(m -+ 1.6449 s).
    assert!((last.quantiles[0] / (m - 1.644_854 * s).exp() - 1.0).abs() < 0.01);
    assert!((last.quantiles[4] / (m + 1.644_854 * s).exp() - 1.0).abs() < 0.01);
    // Expected shortfall below k = 150: k - E[X | X < k], with
    // E[X; X < k] = e^(m + s^2/2) Phi((ln k - m - s^2) / s).
    let k: f64 = 150.0;
    let miss = normal_cdf((k.ln() - m) / s);
    let partial = mean * normal_cdf((k.ln() - m - s * s) / s);
    let exact_es = k - partial / miss;
    let es = r.targets[0].expected_shortfall.unwrap();
    assert!(
        (es - exact_es).abs() < 0.03 * exact_es,
        "{es} vs {exact_es}"
    );
    // Realised growth: median 8%.
    assert!((fan.growth_quantiles_pct[2] - 8.0).abs() < 0.1);
}

#[test]
fn fan_medians_of_tiny_levels_are_the_paths_medians() {
    // A base of 1e-300 (and 1e-306, near the smallest normal double): each
    // year's fan median against the exact median of the kept paths, within
    // one bin of the summary (a 1.3 times wider range than the values'
    // spread of about 0.2 here, over 1024 bins: under 0.05%) or the log
    // buckets' 0.5%; the base year's is the base itself.
    for base in [1e-300, 1e-306] {
        let model = LogNormal::new(5.0, 0.05).unwrap();
        let p = plan(vec![indicator("a", base, level(base * 1.2), false)]);
        let options = RunOptions {
            keep_paths: true,
            ..RunOptions::default()
        };
        let r = Engine::new(
            &p,
            &scenario(20_000, 3, &[("a", ModelSpec::LogNormal(model))]),
            options,
        )
        .unwrap()
        .run()
        .unwrap();
        let fan = &r.fan[0];
        assert_eq!(fan.years[0].quantiles[2], base);
        for (t, year) in fan.years.iter().enumerate().skip(1) {
            let mut values: Vec<f64> = r
                .kept_paths
                .iter()
                .flat_map(|b| b.get(0, t).unwrap().to_vec())
                .collect();
            assert_eq!(values.len(), 20_000);
            values.sort_by(f64::total_cmp);
            let exact = values[10_000 - 1];
            let got = year.quantiles[2];
            assert!(
                (got / exact - 1.0).abs() < 5e-3,
                "base {base}, year {}: {got} vs {exact}",
                year.year
            );
        }
    }
}

#[test]
fn variance_reduction_lowers_the_standard_error_without_bias() {
    let model = LogNormal::new(8.0, 0.05).unwrap();
    let p = plan(vec![indicator("a", 100.0, level(140.0), false)]);
    let exact = closed_form_level(&model, Start::at(100.0), 5, 140.0, Direction::AtLeast).unwrap();
    let mut ses = Vec::new();
    for sampling in [
        Sampling::Plain,
        Sampling::Antithetic,
        Sampling::LatinHypercube,
    ] {
        let mut s = scenario(64 * 512, 4, &[("a", ModelSpec::LogNormal(model.clone()))]);
        s.sampling = sampling;
        let a = simulate(&p, &s).unwrap().targets[0].attain.unwrap();
        assert_close(a.p, a.se, exact, &format!("{sampling:?}"));
        ses.push(a.se);
    }
    assert!(ses[1] < ses[0], "antithetic {} vs plain {}", ses[1], ses[0]);
    assert!(ses[2] < 0.8 * ses[0], "lhs {} vs plain {}", ses[2], ses[0]);
}

#[test]
fn run_to_a_standard_error_stops_early_and_deterministically() {
    let model = LogNormal::new(8.0, 0.05).unwrap();
    let p = plan(vec![indicator("a", 100.0, level(140.0), false)]);
    let mut s = scenario(10_000_000, 4, &[("a", ModelSpec::LogNormal(model))]);
    s.target_se = Some(0.002);
    let r = simulate(&p, &s).unwrap();
    let a = r.targets[0].attain.unwrap();
    assert!(a.se < 0.002, "{}", a.se);
    assert!(r.paths < 200_000, "{}", r.paths);
    assert_eq!(r, simulate(&p, &s).unwrap());
    // It stops after the same chunk, with the same numbers, on any number of
    // threads (fixed-size runs take larger waves on more threads; these do not).
    for threads in [1, 2, 16] {
        let options = RunOptions {
            threads: Some(threads),
            ..RunOptions::default()
        };
        let t = Engine::new(&p, &s, options).unwrap().run().unwrap();
        assert_eq!(t, r, "{threads} threads");
    }
}

#[test]
fn default_scenario_runs_any_plan() {
    let p = plan(vec![
        indicator("a", 100.0, level(160.0), true),
        indicator(
            "c",
            10.0,
            Target::Cumulative {
                total: 70.0,
                direction: Direction::AtLeast,
            },
            false,
        ),
    ]);
    let mut s = Scenario::named("baseline");
    s.paths = 20_000;
    let r = simulate(&p, &s).unwrap();
    // Default for "a": log-normal at its implied growth, so P is about one half
    // (the median path ends exactly on the target).
    let a = r.targets[0].attain.unwrap();
    assert_close(a.p, a.se, 0.5, "implied-growth default");
    assert_eq!(r.simulated_targets, 2);
    assert!(r.joint_all.unwrap().p <= a.p);
}

#[test]
fn scenario_files_load_validate_and_repair() {
    let p = plan(vec![
        indicator("a", 100.0, level(150.0), true),
        indicator("b", 100.0, level(150.0), true),
        indicator("c", 100.0, level(150.0), false),
    ]);
    let text = r#"
        name = "stress"
        paths = 20000
        seed = 3
        sampling = "antithetic"
        [models.a]
        model = "ar1"
        growth_pct = 9
        phi = 0.4
        sd = 0.05
        [correlation]
        ids = ["a", "b", "c"]
        rows = [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]
        repair = true
        [[shocks]]
        year = 2023
        probability = 0.2
        impact_pct = -5
    "#;
    let s = Scenario::from_toml_str(text, &p).unwrap();
    assert_eq!(s.sampling, Sampling::Antithetic);
    let r = simulate(&p, &s).unwrap();
    let repair = r.correlation_repair.as_deref().unwrap();
    assert!(repair.contains("nearest correlation matrix"), "{repair}");
    // Without repair the same matrix is refused, naming the problem.
    let strict = text.replace("repair = true", "repair = false");
    let s = Scenario::from_toml_str(&strict, &p).unwrap();
    let e = Engine::new(&p, &s, RunOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("positive semi-definite"), "{e}");
    // Bad parameters and unknown series are typed errors naming them.
    // A model its constructor refuses is that series' `model` field, as a
    // check after parsing reports it, in TOML and JSON alike.
    let e = Scenario::from_toml_str(&text.replace("phi = 0.4", "phi = 1.5"), &p).unwrap_err();
    assert!(
        matches!(&e, attain::Error::Indicator { id, field, .. } if id == "a" && field == "model"),
        "{e:?}"
    );
    assert!(e.to_string().starts_with("indicator \"a\": model "), "{e}");
    assert!(e.to_string().contains("phi"), "{e}");
    let json = r#"{"name": "j", "models": {"a": {"model": "ar1", "growth_pct": 9, "phi": 1.5, "sd": 0.05}}}"#;
    let j = Scenario::from_json_str(json, &p).unwrap_err();
    assert_eq!(j.to_string(), e.to_string());
    // A model for a series the plan lacks is named as such, before its
    // parameters are looked at.
    let bad_and_unknown = text
        .replace("[models.a]", "[models.zz]")
        .replace("phi = 0.4", "phi = 1.5");
    let e = Scenario::from_toml_str(&bad_and_unknown, &p).unwrap_err();
    assert_eq!(
        e.to_string(),
        "indicator \"zz\": models names a series the plan does not have"
    );
    let e = Scenario::from_toml_str(&text.replace("[models.a]", "[models.zz]"), &p)
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"zz\""), "{e}");
    let e = Scenario::from_toml_str(&text.replace("probability = 0.2", "probability = 1.2"), &p)
        .unwrap_err()
        .to_string();
    assert!(e.contains("shocks[0].probability"), "{e}");
}

#[test]
fn results_round_trip_through_json() {
    let p = plan(vec![indicator("a", 100.0, level(150.0), true)]);
    let r = simulate(&p, &scenario(5_000, 1, &[])).unwrap();
    let back: attain::simulate::attainment::Attainment =
        serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}

#[test]
fn goal_seek_finds_the_closed_form_growth() {
    use attain::simulate::engine::TargetRef;
    use attain::simulate::goal::{Goal, growth_for, volatility_for};
    let goal = |p: f64| Goal {
        series: "a".into(),
        target: TargetRef {
            id: "a".into(),
            index: 0,
        },
        p,
    };
    let model = LogNormal::new(8.0, 0.05).unwrap();
    let p = plan(vec![indicator("a", 100.0, level(150.0), false)]);
    let s = scenario(20_000, 6, &[("a", ModelSpec::LogNormal(model))]);
    let g = growth_for(&p, &s, &goal(0.9)).unwrap();
    // Exact: 5 (ln 1.08 + d) = ln 1.5 + 1.281552 * 0.05 sqrt 5.
    let sd = 0.05 * 5f64.sqrt();
    let exact = ((1.5f64.ln() + 1.281_552 * sd) / 5.0) - 1.08f64.ln();
    // dP/dd = phi(1.2816) * 5 / sd; SE of P at N = 20000 is sqrt(0.09/N).
    let tol = 4.5 * (0.09f64 / 20_000.0).sqrt() / (0.175_5 * 5.0 / sd);
    assert!((g.value - exact).abs() < tol, "{} vs {exact}", g.value);
    assert!(g.p >= 0.9 && g.p < 0.905);
    let implied = 100.0 * (1.08 * exact.exp() - 1.0);
    assert!((g.growth_pct.unwrap() - implied).abs() < 0.1);
    // The target is above the median path: more volatility helps.
    let v = volatility_for(&p, &s, &goal(0.45)).unwrap();
    assert!(v.value > 1.0 && v.p >= 0.45);
    assert!(growth_for(&p, &s, &goal(1.5)).is_err());
    // A model without a volatility says so, naming the series and the move.
    let fixed = attain::simulate::model::Deterministic::new(8.0).unwrap();
    let s = scenario(2_000, 6, &[("a", ModelSpec::Deterministic(fixed))]);
    let e = volatility_for(&p, &s, &goal(0.5)).unwrap_err().to_string();
    assert_eq!(
        e,
        "indicator \"a\": model cannot move its volatility by a factor to 0: it has no such \
         parameter, or the move would leave it invalid"
    );
}

#[test]
fn every_target_kind_against_its_closed_form() {
    use attain::Milestone;
    use attain::simulate::model::{Logit, Poisson};
    use statrs::distribution::{Discrete, DiscreteCDF, Poisson as PoissonDist};
    let ln = LogNormal::new(8.0, 0.05).unwrap();
    let (m, s) = (5.0 * 1.08f64.ln(), 0.05 * 5f64.sqrt());
    let mut flows = indicator(
        "flows",
        100.0,
        Target::EveryYear {
            value: 100.0,
            direction: Direction::AtLeast,
        },
        false,
    );
    flows.base = None;
    let mut rate = indicator(
        "rate",
        60.0,
        Target::Milestones {
            points: vec![
                Milestone {
                    year: 2021,
                    value: 70.0,
                },
                Milestone {
                    year: 2023,
                    value: 90.0,
                },
            ],
            direction: Direction::AtLeast,
        },
        true,
    );
    rate.base = None;
    let mut met = rate.clone();
    met.id = "rate_met".into();
    met.target = Target::Milestones {
        points: vec![
            Milestone {
                year: 2021,
                value: 70.0,
            },
            Milestone {
                year: 2023,
                value: 85.0,
            },
        ],
        direction: Direction::AtLeast,
    };
    let p = plan(vec![
        indicator(
            "double",
            100.0,
            Target::Multiple {
                factor: 1.4,
                direction: Direction::AtLeast,
                of_year: None,
                of_value: None,
            },
            false,
        ),
        indicator(
            "about",
            100.0,
            Target::Approximately {
                value: 147.0,
                tolerance_pct: 5.0,
            },
            false,
        ),
        indicator(
            "half",
            100.0,
            Target::Multiple {
                factor: 1.3,
                direction: Direction::AtMost,
                of_year: None,
                of_value: None,
            },
            false,
        ),
        flows,
        rate,
        met,
    ]);
    let mut sc = scenario(
        60_000,
        21,
        &[
            ("double", ModelSpec::LogNormal(ln.clone())),
            ("about", ModelSpec::LogNormal(ln.clone())),
            ("half", ModelSpec::LogNormal(ln)),
            (
                "flows",
                ModelSpec::Poisson(Poisson::new(100.0, 0.0).unwrap()),
            ),
            // From 60%, a drift that reaches 95% by 2025 with no noise.
            (
                "rate",
                ModelSpec::Logit(
                    Logit::new(
                        attain::simulate::model::drift_to_reach(60.0, 95.0, 5.0, 100.0).unwrap(),
                        0.0,
                        100.0,
                    )
                    .unwrap(),
                ),
            ),
        ],
    );
    let logit = sc.models["rate"].clone();
    sc.models.insert("rate_met".into(), logit);
    sc.starts.insert("rate".into(), 60.0);
    sc.starts.insert("rate_met".into(), 60.0);
    let r = simulate(&p, &sc).unwrap();
    let get = |id: &str| r.target(id, 0).unwrap().attain.unwrap();
    // Multiple: P(ln X5/X0 >= ln 1.4).
    let double = get("double");
    assert_close(
        double.p,
        double.se,
        normal_cdf((m - 1.4f64.ln()) / s),
        "multiple",
    );
    let half = get("half");
    assert_close(
        half.p,
        half.se,
        1.0 - normal_cdf((m - 1.3f64.ln()) / s),
        "multiple at most",
    );
    // Approximately 147 within 5%: P(139.65 <= X5 <= 154.35).
    let about = get("about");
    let exact = normal_cdf((154.35f64.ln() - 100f64.ln() - m) / s)
        - normal_cdf((139.65f64.ln() - 100f64.ln() - m) / s);
    assert_close(about.p, about.se, exact, "approximately");
    // Every year at least 100 of Poisson(100), five independent years.
    let pois = PoissonDist::new(100.0).unwrap();
    let one = 1.0 - pois.cdf(99);
    assert!(pois.pmf(100) > 0.0);
    let flows = get("flows");
    assert_close(flows.p, flows.se, one.powi(5), "every year");
    // Milestones on a noiseless logit path: 60 -> 95 passes 70 in 2021? The
    // logit path rises by (logit .95 - logit .6) / 5 = 0.5078 a year:
    // 2021: 1/(1+e^-(0.4055+0.5078)) = 0.7137 >= 0.70; 2023: 0.8743 < 0.90.
    assert_eq!(get("rate").p, 0.0);
    assert_eq!(get("rate_met").p, 1.0);
}

#[test]
fn a_monitor_counts_paths_stops_runs_and_changes_no_result() {
    use attain::monitor::Monitor;
    use std::sync::atomic::Ordering;
    let plan = Plan::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/hunan_14th_fyp_commerce.toml"
    ))
    .unwrap();
    let mut s = Scenario::named("monitored");
    s.paths = 70_000; // three waves of 64 chunks of 512, the last short
    s.seed = 3;
    let plain = Engine::new(&plan, &s, RunOptions::default())
        .unwrap()
        .run()
        .unwrap();
    let monitor = Monitor::default();
    let watched = Engine::new(
        &plan,
        &s,
        RunOptions {
            threads: Some(2),
            monitor: Some(monitor.clone()),
            ..RunOptions::default()
        },
    )
    .unwrap()
    .run()
    .unwrap();
    assert_eq!(watched, plain);
    assert_eq!(monitor.done.load(Ordering::Relaxed), 70_000);
    // A set flag stops the run before any chunk, with a typed error.
    monitor.cancel.store(true, Ordering::Relaxed);
    let e = Engine::new(
        &plan,
        &s,
        RunOptions {
            monitor: Some(monitor.clone()),
            ..RunOptions::default()
        },
    )
    .unwrap()
    .run()
    .unwrap_err();
    assert_eq!(
        e,
        attain::Error::Cancelled {
            done: 0,
            unit: "paths"
        }
    );
    assert_eq!(e.to_string(), "cancelled after 0 paths");
    // Set during a run (as Ctrl-C does), it stops at the next wave boundary.
    let monitor = Monitor::default();
    s.paths = 5_000_000;
    let watcher = {
        let m = monitor.clone();
        std::thread::spawn(move || {
            while m.done.load(Ordering::Relaxed) == 0 {
                std::thread::yield_now();
            }
            m.cancel.store(true, Ordering::Relaxed);
        })
    };
    let e = Engine::new(
        &plan,
        &s,
        RunOptions {
            fan: false,
            monitor: Some(monitor.clone()),
            ..RunOptions::default()
        },
    )
    .unwrap()
    .run()
    .unwrap_err();
    watcher.join().unwrap();
    let attain::Error::Cancelled { done: paths, .. } = e else {
        panic!("{e}")
    };
    assert!(
        paths > 0 && paths < 5_000_000 && paths % 512 == 0,
        "{paths}"
    );
}

#[test]
fn a_horizon_too_long_to_hold_is_an_error_not_an_abort() {
    let text = r#"
        name = "x"
        base_year = 2000
        target_year = 2000000000
        [[indicator]]
        id = "a"
        name = "a"
        name_zh = ""
        unit = ""
        attribute = "binding"
        base = 1
        target = { kind = "level", value = 2 }
    "#;
    let plan = Plan::from_toml_str(text).unwrap();
    let e = Engine::new(&plan, &Scenario::named("x"), RunOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("plan: target_year gives 1999998000 plan years for 1 series"),
        "{e}"
    );
}

#[test]
fn a_growth_that_overflows_the_median_path_is_an_error() {
    let p = plan(vec![indicator("a", 900.0, level(1200.0), false)]);
    let huge = LogNormal::new(1e300, 0.05).unwrap();
    let s = scenario(1000, 1, &[("a", ModelSpec::LogNormal(huge))]);
    let e = Engine::new(&p, &s, RunOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "indicator \"a\": growth_pct of 1e300% a year carries 900 past the largest finite \
         number within 5 years"
    );
    // Fast growth that stays finite still runs.
    let fast = LogNormal::new(1e4, 0.05).unwrap();
    let s = scenario(1000, 1, &[("a", ModelSpec::LogNormal(fast))]);
    let r = simulate(&p, &s).unwrap();
    assert_eq!(r.targets[0].attain.unwrap().p, 1.0);
}

#[test]
fn given_marginals_hold_in_the_engine_with_their_correlation() {
    // Two series with the same skewed mixtures by horizon, read from a
    // scenario file; a level target at each median: P = 1/2 each, and the
    // normal scores W_5 / sqrt 5 correlate as the shocks do, so
    // P(both) = 1/4 + asin(rho) / (2 pi).
    let horizons: Vec<String> = (1..=5)
        .map(|h| {
            let hf = h as f64;
            format!(
                "[{{ weight = 0.8, mu = {}, sigma = {} }}, {{ weight = 0.2, mu = {}, sigma = {} }}]",
                0.01 * hf,
                0.04 * hf.sqrt(),
                -0.05 * hf,
                0.12 * hf.powf(0.7)
            )
        })
        .collect();
    let model = format!(
        "model = \"marginals\"\ngrowth_pct = 3.0\nhorizons = [{}]\n",
        horizons.join(", ")
    );
    let text = format!(
        "name = \"m\"\npaths = 60000\nseed = 3\n[models.a]\n{model}[models.b]\n{model}\
         [correlation]\nids = [\"a\", \"b\"]\nrows = [[1.0, 0.6], [0.6, 1.0]]\n"
    );
    let ModelSpec::Marginals(m) = toml::from_str::<ModelSpec>(&model).unwrap() else {
        panic!("not a marginals model")
    };
    let median = 100.0 * m.log_change_quantile(5, 0.5).exp();
    let low = 100.0 * m.log_change_quantile(5, 0.2).exp();
    let p = plan(vec![
        indicator("a", 100.0, level(median), true),
        indicator("b", 100.0, level(low), true),
    ]);
    let s = Scenario::from_toml_str(&text, &p).unwrap();
    let run = |threads| {
        let options = RunOptions {
            threads: Some(threads),
            ..RunOptions::default()
        };
        Engine::new(&p, &s, options).unwrap().run().unwrap()
    };
    let r = run(1);
    let a = r.target("a", 0).unwrap().attain.unwrap();
    assert_close(a.p, a.se, 0.5, "median target");
    let b = r.target("b", 0).unwrap().attain.unwrap();
    assert_close(b.p, b.se, 0.8, "20% quantile target");
    for t in [2, 16] {
        assert_eq!(r, run(t), "{t} threads");
    }
    let pm = plan(vec![
        indicator("a", 100.0, level(median), true),
        indicator("b", 100.0, level(median), true),
    ]);
    let rm = simulate(&pm, &Scenario::from_toml_str(&text, &pm).unwrap()).unwrap();
    let jm = rm.joint_binding.unwrap();
    let exact = 0.25 + 0.6f64.asin() / (2.0 * std::f64::consts::PI);
    assert_close(jm.p, jm.se, exact, "joint at the medians");
}

#[test]
fn the_result_carries_what_it_rests_on() {
    use attain::simulate::Source;
    let p = plan(vec![indicator("a", 100.0, level(150.0), true)]);
    let mut s = scenario(1_000, 1, &[]);
    assert_eq!(simulate(&p, &s).unwrap().source, Source::PlanOnly);
    s.source = Source::History {
        file: "h.csv".into(),
        series: 3,
        first_year: 2001,
        last_year: 2019,
    };
    let r = simulate(&p, &s).unwrap();
    assert_eq!(r.source, s.source);
    assert_eq!(
        r.source.to_string(),
        "history h.csv (3 series, years 2001-2019)"
    );
    // The source does not move a number.
    // (The plan-only run says so in a warning, the other does not.)
    let mut plain = simulate(&p, &scenario(1_000, 1, &[])).unwrap();
    plain.source = r.source.clone();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(
        plain.warnings.iter().map(|w| w.code).collect::<Vec<_>>(),
        [attain::WarningCode::PlanOnlyBaseline]
    );
    plain.warnings.clear();
    assert_eq!(plain, r);
}

/// The plan with every target kind, with `fill` level targets before each
/// of its rows: its series then lie in different groups of a chunk (the
/// engine simulates a chunk in groups of 42 series over 5 years where that
/// draws the same numbers), its ratios, aggregates and relative growth
/// read across them.
fn every_kind_widened(fill: usize) -> Plan {
    let text = include_str!("data/every_kind.toml");
    let mut parts = text.split("\n[[indicator]]");
    let mut out = String::from(parts.next().unwrap());
    for (i, part) in parts.enumerate() {
        for k in 0..fill {
            out.push_str(&format!(
                "\n[[indicator]]\nid = \"fill{i}_{k}\"\nname = \"F\"\nunit = \"u\"\n\
                 attribute = \"expected\"\nbase = {}\nstated_growth = \"5\"\n\
                 target = {{ kind = \"level\", value = 125 }}\n",
                90 + k
            ));
        }
        out.push_str("\n[[indicator]]");
        out.push_str(part);
    }
    Plan::from_toml_str(&out).unwrap()
}

#[test]
fn chunks_in_groups_give_the_numbers_of_whole_chunks() {
    // Kept paths need whole blocks: the same run keeping them is the
    // reference. Every sampling, a conditioned run, 1 and 2 threads; 3,000
    // paths end on a short chunk.
    let plan = every_kind_widened(20);
    let text = include_str!("data/every_kind_scenario.toml");
    let mut conditioning = attain::simulate::engine::Conditioning {
        as_of: 2022,
        values: BTreeMap::new(),
    };
    conditioning
        .values
        .insert("output".into(), vec![Some(1000.0), Some(1075.0), None]);
    for (sampling, cond) in [
        (Sampling::Plain, None),
        (Sampling::Antithetic, None),
        (Sampling::LatinHypercube, None),
        (Sampling::Plain, Some(conditioning)),
    ] {
        let mut s = Scenario::from_toml_str(text, &plan).unwrap();
        s.paths = 3000;
        s.sampling = sampling;
        let run = |keep_paths: bool, threads: usize| {
            let options = RunOptions {
                keep_paths,
                threads: Some(threads),
                conditioning: cond.clone(),
                ..RunOptions::default()
            };
            let mut a = Engine::new(&plan, &s, options).unwrap().run().unwrap();
            assert_eq!(a.kept_paths.len(), if keep_paths { 6 } else { 0 });
            a.kept_paths.clear();
            serde_json::to_string(&a).unwrap()
        };
        let whole = run(true, 2);
        assert!(whole.contains("\"relative_growth\""), "{sampling:?}");
        assert_eq!(run(false, 1), whole, "{sampling:?}");
        assert_eq!(run(false, 2), whole, "{sampling:?}");
    }
}
