//! No panic on any plan or scenario file: arbitrary and mutated files either
//! fail to load with a typed error, or load and go through the consistency
//! check and the engine; whatever loads writes back and loads to the same
//! value (TOML and JSON).

use attain::Plan;
use attain::plan::consistency::check_plan;
use attain::simulate::engine::simulate;
use attain::simulate::scenario::Scenario;
use proptest::prelude::*;

mod common;
use common::mutate;

const PLAN: &str = include_str!("../data/hunan_14th_fyp_commerce.toml");
/// The example `attain init` writes: every target kind, commented.
const EXAMPLE: &str = include_str!("../data/example_plan.toml");
const SCENARIO: &str = include_str!("../data/example_scenario.toml");

/// Edits biased towards what breaks TOML and numbers.
fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    proptest::collection::vec(
        (
            0usize..8000,
            0u8..3,
            prop_oneof![
                Just(b'"'),
                Just(b'='),
                Just(b'['),
                Just(b']'),
                Just(b'{'),
                Just(b'}'),
                Just(b','),
                Just(b'\n'),
                Just(b'-'),
                Just(b'.'),
                Just(b'0'),
                Just(b'9'),
                Just(b'e'),
                Just(b'#'),
                any::<u8>()
            ],
        ),
        1..5,
    )
}

/// A plan that loaded writes back (TOML and JSON) and loads to itself.
fn round_trips(plan: &Plan) -> Result<(), TestCaseError> {
    let toml = plan
        .to_toml_string()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&Plan::from_toml_str(&toml).unwrap(), plan, "{}", toml);
    let json = plan
        .to_json_string()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&Plan::from_json_str(&json).unwrap(), plan, "{}", json);
    Ok(())
}

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
            round_trips(&plan)?;
            let _ = check_plan(&plan);
            let mut s = Scenario::named("fuzz");
            s.paths = 600;
            let _ = simulate(&plan, &s);
        }
    }

    #[test]
    fn arbitrary_text_is_a_plan_or_an_error(text in "\\PC{0,300}") {
        for plan in [Plan::from_toml_str(&text), Plan::from_json_str(&text)].into_iter().flatten() {
            prop_assert!(plan.validate().is_ok());
            round_trips(&plan)?;
        }
    }

    #[test]
    fn byte_mutated_plans_load_or_fail_cleanly(which in 0usize..2, edits in edits()) {
        let text = mutate([PLAN, EXAMPLE][which], &edits);
        if let Ok(plan) = Plan::from_toml_str(&text) {
            prop_assert!(plan.validate().is_ok());
            round_trips(&plan)?;
            let _ = check_plan(&plan);
        }
        // The same plan as JSON, mutated.
        let json = Plan::from_toml_str([PLAN, EXAMPLE][which]).unwrap().to_json_string().unwrap();
        if let Ok(plan) = Plan::from_json_str(&mutate(&json, &edits)) {
            round_trips(&plan)?;
        }
    }

    #[test]
    fn scenarios_load_or_fail_cleanly(edits in edits(), text in "\\PC{0,200}") {
        let plan = Plan::from_toml_str(EXAMPLE).unwrap();
        let mutated = mutate(SCENARIO, &edits);
        let json = Scenario::from_toml_str(SCENARIO, &plan).unwrap();
        let json = serde_json::to_string(&json).unwrap();
        for loaded in [
            Scenario::from_toml_str(&mutated, &plan),
            Scenario::from_toml_str(&text, &plan),
            Scenario::from_json_str(&text, &plan),
            Scenario::from_json_str(&mutate(&json, &edits), &plan),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(loaded.validate(&plan).is_ok());
            let toml = loaded.to_toml_string().unwrap();
            prop_assert_eq!(&Scenario::from_toml_str(&toml, &plan).unwrap(), &loaded, "{}", toml);
            let json = serde_json::to_string(&loaded).unwrap();
            prop_assert_eq!(&Scenario::from_json_str(&json, &plan).unwrap(), &loaded);
            // A loaded scenario compiles or is refused with a typed error.
            let mut small = loaded.clone();
            small.paths = small.paths.min(600);
            let _ = simulate(&plan, &small);
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
