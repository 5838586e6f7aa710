//! Growth targets with a direction, an "about" band or over the whole plan:
//! what they read as, what they mean, and P(met) against closed forms.

use std::collections::BTreeMap;

use attain::plan::consistency::check_plan;
use attain::simulate::attainment::normal_cdf;
use attain::simulate::engine::simulate;
use attain::simulate::model::{Deterministic, LogNormal, ModelSpec};
use attain::{Attribute, Direction, Error, Indicator, Plan, Scenario, Target};

mod common;
use common::assert_close;

fn growth(pct: f64, direction: Direction, about: bool, over_plan: bool) -> Target {
    Target::Growth {
        pct,
        direction,
        about,
        tolerance_pp: None,
        over_plan,
    }
}

fn row(id: &str, base: Option<f64>, target: Target) -> Indicator {
    Indicator {
        id: id.into(),
        no: None,
        name: id.into(),
        name_zh: String::new(),
        unit: "%".into(),
        category: String::new(),
        attribute: Attribute::Expected,
        base,
        stated_growth: None,
        target,
        extra_targets: Vec::new(),
        note: None,
    }
}

fn plan(rows: Vec<Indicator>) -> Plan {
    Plan {
        name: "t".into(),
        source: None,
        base_year: 2020,
        target_year: 2025,
        indicators: rows,
        series: Vec::new(),
    }
}

fn scenario(paths: u64, seed: u64, models: &[(&str, ModelSpec)]) -> Scenario {
    let mut s = Scenario::named("t");
    s.paths = paths;
    s.seed = seed;
    s.models = models
        .iter()
        .map(|(id, m)| (id.to_string(), m.clone()))
        .collect::<BTreeMap<_, _>>();
    s
}

const PLAN_HEAD: &str = "name = \"t\"\nbase_year = 2020\ntarget_year = 2025\n\
    [[indicator]]\nid = \"g\"\nattribute = \"expected\"\n";

#[test]
fn an_old_growth_target_reads_unchanged_and_writes_as_before() {
    let p = Plan::from_toml_str(&format!(
        "{PLAN_HEAD}target = {{ kind = \"growth\", pct = 7 }}\n"
    ))
    .unwrap();
    assert_eq!(p.indicators[0].target, Target::growth(7.0));
    let text = p.to_toml_string().unwrap();
    assert!(text.contains("kind = \"growth\""), "{text}");
    for field in ["direction", "about", "tolerance_pp", "over_plan"] {
        assert!(
            !text.contains(field),
            "{field} written for a plain growth: {text}"
        );
    }
}

#[test]
fn ceilings_about_and_changes_over_the_plan_round_trip() {
    for (toml, want) in [
        (
            "{ kind = \"growth\", pct = 5.5, direction = \"at_most\" }",
            growth(5.5, Direction::AtMost, false, false),
        ),
        (
            "{ kind = \"growth\", pct = 6.5, about = true, tolerance_pp = 0.5 }",
            Target::Growth {
                pct: 6.5,
                direction: Direction::AtLeast,
                about: true,
                tolerance_pp: Some(0.5),
                over_plan: false,
            },
        ),
        (
            "{ kind = \"growth\", pct = -13.5, direction = \"at_most\", over_plan = true }",
            growth(-13.5, Direction::AtMost, false, true),
        ),
    ] {
        let p = Plan::from_toml_str(&format!("{PLAN_HEAD}target = {toml}\n")).unwrap();
        assert_eq!(p.indicators[0].target, want, "{toml}");
        let back = Plan::from_toml_str(&p.to_toml_string().unwrap()).unwrap();
        assert_eq!(back, p, "{toml}");
    }
}

#[test]
fn contradictory_growth_fields_are_errors_naming_the_field() {
    let bad = |t: Target, field: &str| {
        let e = plan(vec![row("g", Some(100.0), t)]).validate().unwrap_err();
        assert!(
            matches!(&e, Error::Indicator { id, field: f, .. } if id == "g" && f == field),
            "{e}"
        );
    };
    bad(
        growth(6.5, Direction::AtMost, true, false),
        "target.direction",
    );
    bad(growth(6.5, Direction::AtLeast, true, true), "target.about");
    bad(
        Target::Growth {
            pct: 6.5,
            direction: Direction::AtLeast,
            about: false,
            tolerance_pp: Some(1.0),
            over_plan: false,
        },
        "target.tolerance_pp",
    );
    bad(
        Target::Growth {
            pct: 6.5,
            direction: Direction::AtLeast,
            about: true,
            tolerance_pp: Some(-1.0),
            over_plan: false,
        },
        "target.tolerance_pp",
    );
    bad(growth(-100.0, Direction::AtMost, false, true), "target.pct");
}

#[test]
fn what_each_growth_target_implies_and_states() {
    // A cut of 13.5% over five years: 0.865^(1/5) - 1 = -2.858854% a year.
    let cut = growth(-13.5, Direction::AtMost, false, true);
    let g = cut.implied_growth_pct(None, 5).unwrap();
    assert!((g - -2.858_854_26).abs() < 1e-8, "{g}");
    assert_eq!(cut.direction(), Direction::AtMost);
    assert!(cut.is_level_free());
    assert_eq!(
        growth(5.5, Direction::AtMost, false, false).implied_growth_pct(None, 5),
        Some(5.5)
    );
    let p = plan(vec![
        row("cut", None, cut.clone()),
        row("cut_b", Some(200.0), cut),
        row(
            "ceiling",
            Some(100.0),
            growth(5.5, Direction::AtMost, false, false),
        ),
        row(
            "about",
            Some(100.0),
            growth(6.5, Direction::AtLeast, true, false),
        ),
    ]);
    let checks = check_plan(&p).unwrap();
    let by = |id: &str| checks.iter().find(|c| c.id == id).unwrap();
    assert!((by("cut").implied_growth_pct.unwrap() - g).abs() < 1e-12);
    // The rule: the level over the base's at most 0.865; the ceiling's
    // growth at most 0.055; the about rate's distance at most 1 point.
    assert!((by("cut").threshold.unwrap() - 0.865).abs() < 1e-15);
    assert_eq!(by("ceiling").threshold, Some(0.055));
    assert_eq!(by("about").threshold, Some(0.01));
    // The level due: 200 * 0.865 = 173, at most; 100 * 1.065^5, from below.
    let index = p.index();
    let (due, side) = p.indicators[1]
        .target
        .level_due("cut_b", Some(200.0), &index)
        .unwrap();
    assert!((due - 173.0).abs() < 1e-9, "{due}");
    assert_eq!(side, Direction::AtMost);
    let (due, side) = p.indicators[3]
        .target
        .level_due("about", Some(100.0), &index)
        .unwrap();
    assert!((due - 100.0 * 1.065f64.powi(5)).abs() < 1e-9, "{due}");
    assert_eq!(side, Direction::AtLeast);
}

#[test]
fn a_deterministic_path_meets_or_misses_each_growth_target() {
    // 6% a year for five years: 1.06^5 = 1.338226, a change of +33.82%.
    let cases = [
        (growth(6.5, Direction::AtLeast, true, false), 1.0),
        (growth(7.5, Direction::AtLeast, true, false), 0.0),
        (growth(5.5, Direction::AtMost, false, false), 0.0),
        (growth(6.5, Direction::AtMost, false, false), 1.0),
        (growth(30.0, Direction::AtLeast, false, true), 1.0),
        (growth(35.0, Direction::AtLeast, false, true), 0.0),
        (growth(35.0, Direction::AtMost, false, true), 1.0),
    ];
    let rows: Vec<Indicator> = cases
        .iter()
        .enumerate()
        .map(|(k, (t, _))| row(&format!("r{k}"), None, t.clone()))
        .collect();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let model = ModelSpec::Deterministic(Deterministic::new(6.0).unwrap());
    let models: Vec<(&str, ModelSpec)> = ids.iter().map(|i| (i.as_str(), model.clone())).collect();
    let r = simulate(&plan(rows), &scenario(64, 1, &models)).unwrap();
    for (k, (t, want)) in cases.iter().enumerate() {
        let p = r.target(&format!("r{k}"), 0).unwrap().attain.unwrap().p;
        assert_eq!(p, *want, "{t:?}");
    }
}

#[test]
fn growth_targets_match_the_log_normal_closed_form() {
    // Log-normal growth, median 6%, sd 0.03: the average log growth over
    // five years is N(ln 1.06, 0.03^2 / 5).
    let (mu, s) = (1.06f64.ln(), 0.03 / 5f64.sqrt());
    let phi = |g: f64| normal_cdf(((1.0 + g).ln() - mu) / s);
    // About 6.5 +- 1 point: Phi(z(7.5%)) - Phi(z(5.5%)) = 0.490269.
    let about = phi(0.075) - phi(0.055);
    assert!((about - 0.490_269).abs() < 1e-5, "{about}");
    // At most 5.5%: Phi(-0.352412) = 0.362264.
    let ceiling = phi(0.055);
    assert!((ceiling - 0.362_264).abs() < 1e-5, "{ceiling}");
    // A cut of at least 13.5% over the plan with median -3% a year, sd 0.02:
    // ln(x5/x0) ~ N(5 ln 0.97, 0.02^2 * 5): Phi(0.162562) = 0.564571.
    let cut = normal_cdf((0.865f64.ln() - 5.0 * 0.97f64.ln()) / (0.02 * 5f64.sqrt()));
    assert!((cut - 0.564_571).abs() < 1e-5, "{cut}");
    let p = plan(vec![
        row(
            "about",
            Some(100.0),
            growth(6.5, Direction::AtLeast, true, false),
        ),
        row(
            "ceiling",
            None,
            growth(5.5, Direction::AtMost, false, false),
        ),
        row("cut", None, growth(-13.5, Direction::AtMost, false, true)),
    ]);
    let up = ModelSpec::LogNormal(LogNormal::new(6.0, 0.03).unwrap());
    let down = ModelSpec::LogNormal(LogNormal::new(-3.0, 0.02).unwrap());
    let sc = scenario(
        40_000,
        11,
        &[("about", up.clone()), ("ceiling", up), ("cut", down)],
    );
    let r = simulate(&p, &sc).unwrap();
    for (id, exact) in [("about", about), ("ceiling", ceiling), ("cut", cut)] {
        let a = r.target(id, 0).unwrap().attain.unwrap();
        assert_close(a.p, a.se, exact, id);
    }
}
