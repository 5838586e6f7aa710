//! No panic on any plan: mutated plan files either fail to load with an
//! error, or load and go through the consistency check and the engine.

use attain::Plan;
use attain::consistency::check_plan;
use attain::engine::simulate;
use attain::scenario::Scenario;
use proptest::prelude::*;

const PLAN: &str = include_str!("../data/hunan_14th_fyp_commerce.toml");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn mutated_plans_never_panic(at in 0usize..PLAN.len(), replacement in "[-0-9.eE ]{1,4}") {
        // Replace a few characters, mostly inside numbers, keeping valid UTF-8.
        let start = (0..=at).rev().find(|&i| PLAN.is_char_boundary(i)).unwrap_or(0);
        let end = (start + replacement.len()).min(PLAN.len());
        let end = (end..=PLAN.len()).find(|&i| PLAN.is_char_boundary(i)).unwrap_or(PLAN.len());
        let text = format!("{}{}{}", &PLAN[..start], replacement, &PLAN[end..]);
        if let Ok(plan) = Plan::from_toml_str(&text) {
            let _ = check_plan(&plan);
            let mut s = Scenario::named("fuzz");
            s.paths = 600;
            let _ = simulate(&plan, &s);
        }
    }

    #[test]
    fn extreme_numbers_never_panic(base in prop_oneof![Just(f64::MIN_POSITIVE), Just(1e-300), Just(1e300), 0.001f64..1e9],
                                   target in prop_oneof![Just(1e-300), Just(1e300), 0.001f64..1e9],
                                   years in 1i32..60) {
        let text = format!(
            "name = \"x\"\nbase_year = 2000\ntarget_year = {}\n[[indicator]]\nid = \"a\"\nname = \"a\"\nname_zh = \"\"\nunit = \"\"\nattribute = \"binding\"\nbase = {base:e}\ntarget = {{ kind = \"level\", value = {target:e} }}\n",
            2000 + years
        );
        let plan = Plan::from_toml_str(&text).unwrap();
        let _ = check_plan(&plan);
        let mut s = Scenario::named("fuzz");
        s.paths = 600;
        if let Ok(r) = simulate(&plan, &s) {
            for t in &r.targets {
                if let Some(a) = t.attain {
                    prop_assert!((0.0..=1.0).contains(&a.p));
                }
            }
        }
    }
}
