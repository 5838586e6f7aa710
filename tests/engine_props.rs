//! Properties of the engine that hold for any parameters.

use attain::simulate::engine::{Engine, RunOptions, simulate};
use attain::simulate::model::{Ar1, ModelSpec};
use attain::simulate::scenario::Scenario;
use attain::{Attribute, Direction, Indicator, Plan, Target};
use proptest::prelude::*;

fn plan(target: f64, cumulative: f64) -> Plan {
    Plan {
        name: "p".into(),
        source: None,
        base_year: 2020,
        target_year: 2024,
        indicators: vec![Indicator {
            id: "a".into(),
            no: None,
            name: "a".into(),
            name_zh: String::new(),
            unit: String::new(),
            category: String::new(),
            attribute: Attribute::Binding,
            base: Some(100.0),
            stated_growth: None,
            target: Target::Level {
                value: target,
                direction: Direction::AtLeast,
            },
            extra_targets: vec![Target::Cumulative {
                total: cumulative,
                direction: Direction::AtLeast,
            }],
            note: None,
        }],
        series: Vec::new(),
    }
}

fn scenario(growth_pct: f64, phi: f64, sd: f64, seed: u64) -> Scenario {
    let mut s = Scenario::named("p");
    s.paths = 3_000;
    s.seed = seed;
    s.models.insert(
        "a".into(),
        ModelSpec::Ar1(Ar1::new(growth_pct, phi, sd).unwrap()),
    );
    s
}

fn p_met(plan: &Plan, s: &Scenario, k: usize) -> f64 {
    simulate(plan, s).unwrap().targets[k].attain.unwrap().p
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn probabilities_are_probabilities(
        g in -20.0f64..40.0, phi in -0.9f64..0.9, sd in 0.0f64..0.3,
        target in 50.0f64..300.0, seed in any::<u64>(),
    ) {
        let r = simulate(&plan(target, 5.0 * target), &scenario(g, phi, sd, seed)).unwrap();
        for t in &r.targets {
            let a = t.attain.unwrap();
            prop_assert!((0.0..=1.0).contains(&a.p));
            prop_assert!(a.low <= a.p && a.p <= a.high);
            prop_assert!(a.se >= 0.0);
        }
        let joint = r.joint_all.unwrap().p;
        prop_assert!(joint <= r.targets.iter().map(|t| t.attain.unwrap().p).fold(1.0, f64::min));
    }

    #[test]
    fn more_growth_never_lowers_attainment(
        g in -10.0f64..30.0, dg in 0.0f64..10.0, phi in -0.5f64..0.9, sd in 0.01f64..0.2,
        target in 80.0f64..250.0, seed in any::<u64>(),
    ) {
        // Same seed, so the same shocks: common random numbers.
        let p = plan(target, 4.5 * target);
        for k in 0..2 {
            let low = p_met(&p, &scenario(g, phi, sd, seed), k);
            let high = p_met(&p, &scenario(g + dg, phi, sd, seed), k);
            prop_assert!(high >= low, "target {k}: {high} < {low}");
        }
    }

    #[test]
    fn a_higher_target_never_raises_attainment(
        g in -10.0f64..30.0, phi in -0.5f64..0.9, sd in 0.01f64..0.2,
        target in 80.0f64..250.0, up in 0.0f64..50.0, seed in any::<u64>(),
    ) {
        let s = scenario(g, phi, sd, seed);
        let low = p_met(&plan(target, 4.5 * target), &s, 0);
        let high = p_met(&plan(target + up, 4.5 * target), &s, 0);
        prop_assert!(high <= low);
    }

    #[test]
    fn seed_reproduces_and_threads_do_not_matter(seed in any::<u64>(), threads in 1usize..5) {
        let p = plan(150.0, 700.0);
        let s = scenario(8.0, 0.3, 0.05, seed);
        let options = RunOptions { threads: Some(threads), ..RunOptions::default() };
        let a = Engine::new(&p, &s, options).unwrap().run().unwrap();
        prop_assert_eq!(a, simulate(&p, &s).unwrap());
    }
}
