//! Issue 15, section 4: a zero base for count indicators (new projects, firms
//! attracted) and a multiple of a reference year that is not the base year
//! (是挂牌前的6.52倍), through check, simulate, review and track, against
//! closed forms.

use std::collections::BTreeMap;

use attain::Direction;
use attain::plan::consistency::check_row;
use attain::plan::in_year::InYear;
use attain::review::{Known, review};
use attain::simulate::engine::simulate;
use attain::simulate::scenario::Scenario;
use attain::track::{TrackOptions, annual_target, track_plan};
use attain::{Plan, Target};
use statrs::distribution::{DiscreteCDF, Poisson};

/// An annual plan (2024 -> 2025): 5 firms attracted from none, and revenue
/// 6.52 times its 2019 level of 1.2 (base 7 in 2024).
const ANNUAL: &str = r#"
name = "annual 2025"
base_year = 2024
target_year = 2025
[[indicator]]
id = "firms"
name = "Firms attracted"
name_zh = "引进企业"
unit = "家"
attribute = "expected"
base = 0
target = { kind = "level", value = 5 }
[[indicator]]
id = "revenue"
name = "Revenue of listed firms"
name_zh = "挂牌企业营收"
unit = "亿元"
attribute = "expected"
base = 7.0
target = { kind = "multiple", factor = 6.52, of_year = 2019, of_value = 1.2 }
"#;

/// A five-year plan: 25 new projects in total over 2021-2025, from none.
const FIVE_YEAR: &str = r#"
name = "five years"
base_year = 2020
target_year = 2025
[[indicator]]
id = "projects"
name = "New projects"
name_zh = "新项目"
unit = "个"
attribute = "expected"
base = 0
target = { kind = "cumulative", total = 25 }
"#;

fn poisson_at_least(mean: f64, k: u64) -> f64 {
    1.0 - Poisson::new(mean).unwrap().cdf(k - 1)
}

/// `|p - exact| <= 4.5 standard errors` of a Monte Carlo P.
fn close(p: &attain::simulate::attainment::Probability, exact: f64) {
    assert!(
        (p.p - exact).abs() <= 4.5 * p.se.max(1e-12),
        "P {} (se {}) against the closed form {exact}",
        p.p,
        p.se
    );
}

#[test]
fn a_count_from_zero_is_checked_simulated_and_reviewed() {
    let plan = Plan::from_toml_str(ANNUAL).unwrap();
    let c = check_row(&plan, plan.indicator("firms").unwrap()).unwrap();
    // No growth is implied by a zero base; the threshold is the level.
    assert_eq!(c.implied_growth_pct, None);
    assert_eq!(c.threshold, Some(5.0));
    // Six firms a year on average, Poisson: P(N >= 5) = 1 - e^-6 (1 + 6 + 18 + 36 + 54).
    let exact = 1.0 - 115.0 * (-6.0f64).exp();
    assert!((exact - poisson_at_least(6.0, 5)).abs() < 1e-12);
    let scenario = Scenario::from_toml_str(
        "name = \"counts\"\npaths = 100000\nseed = 7\ndefault_sd = 0.05\n\
         [models.firms]\nmodel = \"poisson\"\nmean = 6\n",
        &plan,
    )
    .unwrap();
    let a = simulate(&plan, &scenario).unwrap();
    let firms = a.targets.iter().find(|t| t.id == "firms").unwrap();
    close(firms.attain.as_ref().unwrap(), exact);

    // Five years of Poisson(6): the total is Poisson(30).
    let plan = Plan::from_toml_str(FIVE_YEAR).unwrap();
    let scenario = Scenario::from_toml_str(
        "name = \"counts\"\npaths = 100000\nseed = 3\n\
         [models.projects]\nmodel = \"poisson\"\nmean = 6\n",
        &plan,
    )
    .unwrap();
    let a = simulate(&plan, &scenario).unwrap();
    close(
        a.targets[0].attain.as_ref().unwrap(),
        poisson_at_least(30.0, 25),
    );
    // Reviewed in 2022 after 3 and 4: 18 more are due in three years of
    // Poisson(6), Poisson(18); the zero base year is a value to condition on.
    let known: Known = BTreeMap::from([(
        "projects".to_string(),
        vec![Some(0.0), Some(3.0), Some(4.0), None, None, None],
    )]);
    let rows = review(&plan, &scenario, &known, 2022).unwrap();
    close(rows[0].p_now.as_ref().unwrap(), poisson_at_least(18.0, 18));
    // Completion: 7 of 25.
    let progress = rows[0].progress.as_ref().unwrap();
    assert!((progress.completion - 7.0 / 25.0).abs() < 1e-12);
}

#[test]
fn a_level_count_from_zero_is_reviewed_linearly() {
    let plan = Plan::from_toml_str(ANNUAL).unwrap();
    let scenario = Scenario::from_toml_str(
        "name = \"counts\"\npaths = 20000\nseed = 1\n[models.firms]\nmodel = \"poisson\"\nmean = 6\n",
        &plan,
    )
    .unwrap();
    let known: Known = BTreeMap::from([
        ("firms".to_string(), vec![Some(0.0), Some(3.0)]),
        ("revenue".to_string(), vec![Some(7.0), None]),
    ]);
    let rows = review(&plan, &scenario, &known, 2025).unwrap();
    let firms = rows.iter().find(|r| r.id == "firms").unwrap();
    let p = firms.progress.as_ref().unwrap();
    // From none to 3 of 5: 60% done and 60% of the distance (linear).
    assert!((p.completion - 0.6).abs() < 1e-12);
    assert!((p.progress_share - 0.6).abs() < 1e-12);
    assert_eq!(p.required_growth, None);
    assert_eq!(firms.p_now.as_ref().unwrap().p, 0.0);
}

#[test]
fn a_growth_or_multiple_of_zero_is_a_typed_error() {
    for (target, field) in [
        ("{ kind = \"growth\", pct = 10 }", "base"),
        ("{ kind = \"multiple\", factor = 2 }", "base"),
    ] {
        let text = format!(
            "name = \"x\"\nbase_year = 2024\ntarget_year = 2025\n[[indicator]]\nid = \"firms\"\n\
             name = \"F\"\nname_zh = \"企\"\nunit = \"家\"\nattribute = \"expected\"\nbase = 0\n\
             target = {target}\n"
        );
        let e = Plan::from_toml_str(&text).unwrap_err().to_string();
        assert!(e.contains("firms") && e.contains(field), "{e}");
    }
    let e = Plan::from_toml_str(&ANNUAL.replace("base = 0\n", "base = -1\n"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("firms") && e.contains(">= 0"), "{e}");
    // A multiple of a stated reference year needs no base at all.
    let plan = Plan::from_toml_str(ANNUAL).unwrap();
    assert!(!plan.indicator("revenue").unwrap().target.needs_base());
}

#[test]
fn a_count_from_zero_is_tracked_in_year() {
    let plan = Plan::from_toml_str(ANNUAL).unwrap();
    // Three past years of one firm every other month (6 a year, half by
    // June exactly); this year 1 in each of January to March.
    let mut csv = String::from("id,year,month,value\n");
    for year in 2021..=2024 {
        for m in 1..=12 {
            csv.push_str(&format!("firms,{year},{m},{}\n", m % 2));
        }
    }
    for m in 1..=3 {
        csv.push_str(&format!("firms,2025,{m},1\n"));
    }
    let data = InYear::from_csv_str(&csv).unwrap();
    let t = track_plan(&plan, &data.series, 2025, 3, &TrackOptions::default()).unwrap();
    let row = t.rows.iter().find(|r| r.id == "firms").unwrap();
    assert_eq!(row.target.value, 5.0);
    let tr = &row.tracking;
    assert_eq!(tr.ytd, 3.0);
    // By March 2 of 6 were done every year: 3 + 3 x 2 = 9 projected, the
    // profile exact (no spread) and winning: P = 1.
    assert!((tr.expected_done.unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert!((tr.projected.unwrap() - 9.0).abs() < 1e-9);
    assert_eq!(tr.attain.unwrap().p, 1.0);
}

#[test]
fn a_multiple_of_a_reference_year_is_judged_on_its_level() {
    let plan = Plan::from_toml_str(ANNUAL).unwrap();
    let ind = plan.indicator("revenue").unwrap();
    let due = 6.52 * 1.2;
    assert_eq!(
        ind.target.level_due("revenue", ind.base, &plan.index()),
        Some((due, Direction::AtLeast))
    );
    assert_eq!(ind.target.stated_value(ind.base, None), Some(due));
    let c = check_row(&plan, ind).unwrap();
    assert_eq!(c.threshold, Some(due));
    // One year from 7: (7.824 / 7 - 1) = 11.77%.
    assert!((c.implied_growth_pct.unwrap() - 100.0 * (due / 7.0 - 1.0)).abs() < 1e-9);
    // Deterministic growth of 11% misses 7.824 (7.77), 12% meets it (7.84).
    for (g, p) in [(11.0, 0.0), (12.0, 1.0)] {
        let scenario = Scenario::from_toml_str(
            &format!(
                "name = \"d\"\npaths = 1000\nseed = 1\n[models.firms]\nmodel = \"poisson\"\nmean = 6\n\
                 [models.revenue]\nmodel = \"deterministic\"\ngrowth_pct = {g}\n"
            ),
            &plan,
        )
        .unwrap();
        let a = simulate(&plan, &scenario).unwrap();
        let r = a.targets.iter().find(|t| t.id == "revenue").unwrap();
        assert_eq!(r.threshold, Some(due));
        assert_eq!(r.attain.as_ref().unwrap().p, p, "growth {g}%");
    }
    // Tracked against the same level.
    let t = annual_target(&plan, "revenue", 2025).unwrap().unwrap();
    assert_eq!(t.value, due);
}

#[test]
fn a_reference_multiple_reads_old_plans_unchanged_and_is_checked() {
    // A plain multiple reads and writes as before: no new fields appear.
    let old: Target = toml::from_str("kind = \"multiple\"\nfactor = 2.0\n").unwrap();
    assert_eq!(
        old,
        Target::Multiple {
            factor: 2.0,
            direction: Direction::AtLeast,
            of_year: None,
            of_value: None,
        }
    );
    let text = toml::to_string(&old).unwrap();
    assert!(!text.contains("of_"), "{text}");
    let new: Target = toml::from_str(
        &toml::to_string(&Target::Multiple {
            factor: 6.52,
            direction: Direction::AtLeast,
            of_year: Some(2019),
            of_value: Some(1.2),
        })
        .unwrap(),
    )
    .unwrap();
    assert!(matches!(
        new,
        Target::Multiple {
            of_year: Some(2019),
            ..
        }
    ));
    for (from, to, field) in [
        (
            "of_year = 2019, of_value = 1.2",
            "of_year = 2019",
            "of_value",
        ),
        (
            "of_year = 2019, of_value = 1.2",
            "of_value = 1.2",
            "of_year",
        ),
        ("of_value = 1.2", "of_value = 0", "of_value"),
        ("of_year = 2019", "of_year = 2025", "of_year"),
    ] {
        let text = ANNUAL.replace(from, to);
        assert_ne!(text, ANNUAL);
        let e = Plan::from_toml_str(&text).unwrap_err().to_string();
        assert!(e.contains("revenue") && e.contains(field), "{to}: {e}");
    }
}

#[test]
fn a_count_from_zero_has_no_growth_path_in_earlier_years() {
    let text = FIVE_YEAR.replace(
        "target = { kind = \"cumulative\", total = 25 }",
        "target = { kind = \"level\", value = 8 }",
    );
    let plan = Plan::from_toml_str(&text).unwrap();
    assert_eq!(annual_target(&plan, "projects", 2023).unwrap(), None);
    assert_eq!(
        annual_target(&plan, "projects", 2025)
            .unwrap()
            .unwrap()
            .value,
        8.0
    );
    let plan = Plan::from_toml_str(FIVE_YEAR).unwrap();
    assert_eq!(annual_target(&plan, "projects", 2023).unwrap(), None);
}
