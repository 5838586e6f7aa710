//! Issue 14, "never bend input silently": every bad input of README's table
//! "Bad input: what attain does" is run through the `attain` program here,
//! with its exit status and the message it must print. The README table is
//! checked against this list, so neither can drift.

use std::path::PathBuf;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The plan most cases start from: a level row, a ratio of it to an
/// auxiliary series, an aggregate, a share for the logit model.
const PLAN: &str = r#"
name = "bad input"
base_year = 2020
target_year = 2025

[[indicator]]
id = "trade"
name = "Trade"
name_zh = "进出口"
unit = "亿元"
attribute = "binding"
base = 100
stated_growth = "5"
target = { kind = "level", value = 127 }

[[indicator]]
id = "fdi"
name = "FDI"
name_zh = "外资"
unit = "亿美元"
attribute = "expected"
base = 10
stated_growth = "4"
target = { kind = "level", value = 12 }

[[indicator]]
id = "openness"
name = "Trade / GDP"
name_zh = "外贸依存度"
unit = "%"
attribute = "expected"
base = 10
target = { kind = "ratio", numerator = "trade", denominator = "gdp", value = 12 }

[[indicator]]
id = "inflow"
name = "Trade + FDI"
name_zh = "合计"
unit = "亿元"
attribute = "expected"
base = 110
target = { kind = "aggregate", components = ["trade", "fdi"], value = 140 }

[[indicator]]
id = "coverage"
name = "Coverage"
name_zh = "覆盖率"
unit = "%"
attribute = "expected"
target = { kind = "level", value = 80 }

[[indicator]]
id = "projects"
name = "Projects a year"
name_zh = "项目"
unit = "个"
attribute = "expected"
base = 40
target = { kind = "every_year", value = 30 }

[[series]]
id = "gdp"
name = "GDP"
unit = "亿元"
base = 1000
assumed_growth_pct = 5
"#;

/// One row of the table: the files it writes, the arguments (`{dir}` is the
/// scratch directory), the exit status and a part of the message.
struct Case {
    /// The row's name in README's table.
    name: &'static str,
    /// Files written first: name, text (`PLAN` when `None`).
    files: &'static [(&'static str, Option<&'static str>)],
    /// A replacement made in `PLAN` (from, to) for this case.
    plan_edit: Option<(&'static str, &'static str)>,
    args: &'static [&'static str],
    code: i32,
    /// Printed on standard error (exit 2) or in the output (exit 0).
    message: &'static str,
}

const P: (&str, Option<&str>) = ("plan.toml", None);

const CASES: &[Case] = &[
    Case {
        name: "a ratio that references itself",
        files: &[(
            "self.toml",
            Some(
                r#"name = "t"
base_year = 2020
target_year = 2025
[[indicator]]
id = "r"
name = "R"
name_zh = "R"
unit = "%"
attribute = "expected"
base = 50
target = { kind = "ratio", numerator = "r", denominator = "g", value = 60 }
[[series]]
id = "g"
name = "G"
unit = "x"
base = 100
"#,
            ),
        )],
        args: &["simulate", "{dir}/self.toml"],
        code: 2,
        plan_edit: None,
        message: "self.toml: indicator \"r\": target.numerator must not be the row itself",
    },
    Case {
        name: "a cycle of ratios or aggregates",
        files: &[(
            "cycle.toml",
            Some(
                r#"name = "t"
base_year = 2020
target_year = 2025
[[indicator]]
id = "a"
name = "A"
name_zh = "A"
unit = "%"
attribute = "expected"
base = 50
target = { kind = "ratio", numerator = "b", denominator = "g", value = 60 }
[[indicator]]
id = "b"
name = "B"
name_zh = "B"
unit = "x"
attribute = "expected"
base = 50
target = { kind = "aggregate", components = ["a", "g"], value = 60 }
[[series]]
id = "g"
name = "G"
unit = "x"
base = 100
"#,
            ),
        )],
        args: &["check", "{dir}/cycle.toml"],
        code: 2,
        plan_edit: None,
        message: "cycle.toml: indicator \"a\": target derives from itself: a -> b -> a",
    },
    Case {
        name: "duplicate ids in a scenario's correlation",
        files: &[
            P,
            (
                "s.toml",
                Some(
                    "name = \"s\"\n[correlation]\nids = [\"trade\", \"trade\"]\nrows = [[1, 0.5], [0.5, 1]]\n",
                ),
            ),
        ],
        args: &["simulate", "{dir}/plan.toml", "--scenario", "{dir}/s.toml"],
        code: 2,
        plan_edit: None,
        message: "s.toml: indicator \"trade\": correlation.ids lists the series twice",
    },
    Case {
        name: "a model given for a ratio or aggregate row",
        files: &[
            P,
            (
                "s.toml",
                Some(
                    "name = \"s\"\n[models.openness]\nmodel = \"log_normal\"\ngrowth_pct = 5\nsd = 0.1\n",
                ),
            ),
        ],
        args: &["simulate", "{dir}/plan.toml", "--scenario", "{dir}/s.toml"],
        code: 2,
        plan_edit: None,
        message: "s.toml: indicator \"openness\": models must not name a row computed from its parts (trade, gdp, as its ratio target says)",
    },
    Case {
        name: "a logit start above its upper bound",
        files: &[
            P,
            (
                "s.toml",
                Some(
                    "name = \"s\"\n[starts]\ncoverage = 120\n[models.coverage]\nmodel = \"logit\"\ndrift = 0.1\nsd = 0.1\nupper = 100\n",
                ),
            ),
        ],
        args: &["simulate", "{dir}/plan.toml", "--scenario", "{dir}/s.toml"],
        code: 2,
        plan_edit: None,
        message: "s.toml: indicator \"coverage\": start must be in (0, 100) for its logit model's upper bound, got 120",
    },
    Case {
        name: "growth_shift_pp of -100 or less",
        files: &[
            P,
            ("s.toml", Some("name = \"s\"\ngrowth_shift_pp = -100\n")),
        ],
        args: &["simulate", "{dir}/plan.toml", "--scenario", "{dir}/s.toml"],
        code: 2,
        plan_edit: None,
        message: "s.toml: parameter growth_shift_pp: must be finite and > -100, got -100",
    },
    Case {
        name: "--out naming an input file",
        files: &[P],
        args: &["simulate", "{dir}/plan.toml", "--out", "{dir}/plan.toml"],
        code: 2,
        plan_edit: None,
        message: "plan.toml: is the input file",
    },
    Case {
        name: "the plan-only default scenario",
        files: &[P],
        args: &["simulate", "{dir}/plan.toml", "--paths", "1000", "--quiet"],
        code: 0,
        plan_edit: None,
        message: "warning[plan_only_baseline]: no scenario and no history: every series follows the plan-consistent baseline",
    },
    Case {
        name: "a row not simulated: no base and no model",
        files: &[P],
        args: &["simulate", "{dir}/plan.toml", "--paths", "1000", "--quiet"],
        code: 0,
        plan_edit: None,
        message: "warning[not_simulated] indicator \"coverage\": target 0 (level) is not simulated: series \"coverage\" has no model and no start",
    },
    Case {
        name: "a row not simulated: an every_year target with a base but no model",
        files: &[P],
        args: &[
            "simulate",
            "{dir}/plan.toml",
            "--paths",
            "1000",
            "--format",
            "csv",
            "--quiet",
        ],
        code: 0,
        plan_edit: None,
        message: "warning[not_simulated] indicator \"projects\": target 0 (every_year) is not simulated: series \"projects\" has no model: the plan states no growth for it and its target implies none",
    },
    Case {
        name: "an unmet --se (--paths is the cap)",
        files: &[P],
        args: &[
            "simulate",
            "{dir}/plan.toml",
            "--se",
            "0.0001",
            "--paths",
            "1000",
            "--format",
            "csv",
            "--quiet",
        ],
        code: 0,
        plan_edit: None,
        message: "warning[unmet_precision]: standard error 1.58e-2 reached with 1000 paths (the cap), not the 0.0001 asked",
    },
    Case {
        name: "a correlation repaired (table mode too)",
        files: &[
            P,
            (
                "s.toml",
                Some(
                    "name = \"s\"\n[correlation]\nids = [\"trade\", \"fdi\", \"gdp\"]\nrows = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]\nrepair = true\n",
                ),
            ),
        ],
        args: &[
            "simulate",
            "{dir}/plan.toml",
            "--scenario",
            "{dir}/s.toml",
            "--paths",
            "1000",
            "--quiet",
        ],
        code: 0,
        plan_edit: None,
        message: "warning[correlation_repaired]: the correlation matrix was repaired",
    },
    Case {
        name: "a ratio's base inconsistent with its parts' bases",
        files: &[P],
        args: &["check", "{dir}/plan.toml"],
        code: 0,
        plan_edit: Some((
            "base = 10\ntarget = { kind = \"ratio\"",
            "base = 11\ntarget = { kind = \"ratio\"",
        )),
        message: "warning[inconsistent_ratio_base] indicator \"openness\": base 11 is not 100 * trade / gdp = 10",
    },
    Case {
        name: "a base-year actual that contradicts the plan's base",
        files: &[
            P,
            (
                "actuals.csv",
                Some("id,year,value\ntrade,2020,103\ntrade,2021,106\n"),
            ),
        ],
        args: &[
            "review",
            "{dir}/plan.toml",
            "--actuals",
            "{dir}/actuals.csv",
            "--paths",
            "1000",
            "--quiet",
        ],
        code: 0,
        plan_edit: None,
        message: "warning[contradictory_actual] indicator \"trade\": the base-year (2020) actual 103 is not the plan's base 100",
    },
    Case {
        name: "a ratio's actual inconsistent with its parts",
        files: &[
            P,
            (
                "actuals.csv",
                Some("id,year,value\ntrade,2021,106\ngdp,2021,1060\nopenness,2021,12\n"),
            ),
        ],
        args: &[
            "review",
            "{dir}/plan.toml",
            "--actuals",
            "{dir}/actuals.csv",
            "--paths",
            "1000",
            "--format",
            "json",
            "--quiet",
        ],
        code: 0,
        plan_edit: None,
        message: "the 2021 actual 12 is not what its parts give (trade, gdp: 10) at the precision printed",
    },
    Case {
        name: "a series a `--history` calibration cannot fit",
        files: &[
            P,
            (
                "history.csv",
                Some(
                    "id,year,value\ntrade,2014,70\ntrade,2015,74\ntrade,2016,79\ntrade,2017,83\ntrade,2018,88\ntrade,2019,95\ntrade,2020,100\nfdi,2020,10\n",
                ),
            ),
        ],
        args: &[
            "simulate",
            "{dir}/plan.toml",
            "--history",
            "{dir}/history.csv",
            "--paths",
            "1000",
            "--quiet",
        ],
        code: 0,
        plan_edit: None,
        message: "warning[not_calibrated] indicator \"fdi\": fdi (",
    },
    Case {
        name: "--se of zero or less",
        files: &[P],
        args: &["simulate", "{dir}/plan.toml", "--se", "-0.01"],
        code: 2,
        plan_edit: None,
        message: "--se: must be a positive standard error (0.005, say), got -0.01",
    },
    Case {
        name: "--paths beyond 1,000,000,000",
        files: &[P],
        args: &["simulate", "{dir}/plan.toml", "--paths", "2000000000"],
        code: 2,
        plan_edit: None,
        message: "command line: parameter paths: must be at most 1000000000, got 2000000000",
    },
    Case {
        name: "an actuals JSON of the wrong shape",
        files: &[P, ("actuals.json", Some("{\"trade\": 5}"))],
        args: &[
            "review",
            "{dir}/plan.toml",
            "--actuals",
            "{dir}/actuals.json",
        ],
        code: 2,
        plan_edit: None,
        message: "actuals.json: format: actuals JSON must be {\"observation\": [{\"id\": \"trade\", \"year\": 2021, \"value\": 5012.3}, ...]} (optional \"source\", \"verified\"), or use CSV id,year,value",
    },
    Case {
        name: "a correlation entry out of range",
        files: &[
            P,
            (
                "s.toml",
                Some(
                    "name = \"s\"\n[correlation]\nids = [\"trade\", \"fdi\"]\nrows = [[1, 2], [2, 1]]\n",
                ),
            ),
        ],
        args: &["simulate", "{dir}/plan.toml", "--scenario", "{dir}/s.toml"],
        code: 2,
        plan_edit: None,
        message: "s.toml: correlation[0][1] (trade, fdi): must be in [-1, 1], got 2",
    },
    Case {
        name: "a negative level target (check)",
        files: &[P],
        args: &["check", "{dir}/plan.toml"],
        code: 2,
        plan_edit: Some(("value = 127 }", "value = -5 }")),
        message: "plan.toml: indicator \"trade\": target must be > 0, got -5",
    },
    Case {
        name: "a growth target on a zero base",
        files: &[P],
        args: &["check", "{dir}/plan.toml"],
        code: 2,
        plan_edit: Some((
            "base = 10\nstated_growth = \"4\"\ntarget = { kind = \"level\", value = 12 }",
            "base = 0\ntarget = { kind = \"growth\", pct = 4 }",
        )),
        message: "plan.toml: indicator \"fdi\": base must be > 0 for a growth target (a growth or multiple of zero is undefined; a count from nothing takes a level or cumulative target), got 0",
    },
    Case {
        name: "a multiple of a reference year without its value",
        files: &[P],
        args: &["check", "{dir}/plan.toml"],
        code: 2,
        plan_edit: Some((
            "target = { kind = \"level\", value = 12 }",
            "target = { kind = \"multiple\", factor = 2, of_year = 2015 }",
        )),
        message: "plan.toml: indicator \"fdi\": target.of_value is required with of_year (the level the factor multiplies)",
    },
    Case {
        name: "a horizon of 2^31 years",
        files: &[P],
        args: &["simulate", "{dir}/plan.toml"],
        code: 2,
        plan_edit: Some(("target_year = 2025", "target_year = 2147483647")),
        message: "plan.toml: plan: target_year gives 2147481627 plan years for 7 series",
    },
    Case {
        name: "a gap in backtest data",
        files: &[(
            "data.csv",
            Some("id,year,value\na,2001,1\na,2003,2\na,2004,3\n"),
        )],
        args: &["backtest", "{dir}/data.csv"],
        code: 2,
        plan_edit: None,
        message: "data.csv: indicator \"a\": year 2002 is missing between 2001 and 2003: a backtest needs consecutive years (report them, or fill gaps geometrically); run with --fill-gaps to fill them",
    },
    Case {
        name: "a JSON plan with a byte-order mark",
        files: &[(
            "plan.json",
            Some(
                "\u{feff}{\"name\": \"p\", \"base_year\": 2020, \"target_year\": 2025, \"indicator\": [{\"id\": \"a\", \"name\": \"A\", \"name_zh\": \"甲\", \"unit\": \"u\", \"attribute\": \"expected\", \"base\": 100, \"stated_growth\": \"5\", \"target\": {\"kind\": \"level\", \"value\": 127}}]}",
            ),
        )],
        args: &["check", "{dir}/plan.json"],
        code: 0,
        plan_edit: None,
        message: "甲",
    },
];

/// A fresh scratch directory for one case.
fn scratch(k: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("attain-bad-{}-{k}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_bad_input_gets_its_exit_status_and_message_and_changes_no_input() {
    for (k, case) in CASES.iter().enumerate() {
        let dir = scratch(k);
        let mut written = Vec::new();
        for (name, text) in case.files {
            let text = match (text, case.plan_edit) {
                (Some(t), _) => t.to_string(),
                (None, Some((from, to))) => {
                    assert!(PLAN.contains(from), "{}", case.name);
                    PLAN.replace(from, to)
                }
                (None, None) => PLAN.to_string(),
            };
            std::fs::write(dir.join(name), &text).unwrap();
            written.push((dir.join(name), text));
        }
        let d = dir.display().to_string();
        let args: Vec<String> = case.args.iter().map(|a| a.replace("{dir}", &d)).collect();
        let o = Command::new(env!("CARGO_BIN_EXE_attain"))
            .args(&args)
            .output()
            .unwrap();
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        assert_eq!(o.status.code(), Some(case.code), "{}: {err}", case.name);
        let shown = if case.code == 0 {
            format!("{out}{err}")
        } else {
            err.to_string()
        };
        assert!(
            shown.contains(case.message),
            "{}: expected {:?} in\n{shown}",
            case.name,
            case.message
        );
        // Loading a bad file changes nothing: every input is as written.
        for (file, text) in &written {
            assert_eq!(
                &std::fs::read_to_string(file).unwrap(),
                text,
                "{}",
                case.name
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn readme_lists_every_case_with_its_exit_status_and_message() {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    let table = readme
        .split_once("### Bad input: what attain does")
        .expect("README has the bad-input table")
        .1;
    for case in CASES {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", case.name)))
            .unwrap_or_else(|| panic!("README's table has no row \"{}\"", case.name));
        assert!(row.contains(&format!("| {} |", case.code)), "{row}");
        // Backquotes in README: the message as printed, quotes as `"`.
        assert!(
            row.contains(case.message),
            "{row}\nlacks {:?}",
            case.message
        );
    }
}

#[test]
fn the_library_fills_the_warnings_every_output_lists() {
    use attain::simulate::engine::simulate;
    use attain::{Plan, Scenario, WarningCode};
    let plan = Plan::from_toml_str(PLAN).unwrap();
    let mut s = Scenario::named("baseline");
    s.paths = 1000;
    s.target_se = Some(1e-4);
    let att = simulate(&plan, &s).unwrap();
    let codes: Vec<(WarningCode, Option<&str>)> = att
        .warnings
        .iter()
        .map(|w| (w.code, w.indicator.as_deref()))
        .collect();
    assert_eq!(
        codes,
        [
            (WarningCode::PlanOnlyBaseline, None),
            (WarningCode::NotSimulated, Some("coverage")),
            (WarningCode::NotSimulated, Some("projects")),
            (WarningCode::UnmetPrecision, None),
        ]
    );
    // A scenario with a model is not the plan-only baseline; reaching the
    // standard error asked raises no warning.
    s.models.insert(
        "projects".into(),
        toml::from_str("model = \"poisson\"\nmean = 40\n").unwrap(),
    );
    s.target_se = Some(0.5);
    let att = simulate(&plan, &s).unwrap();
    let codes: Vec<WarningCode> = att.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, [WarningCode::NotSimulated]);
}

/// One scenario model of every kind, with extreme parameters where the
/// issue found a hang (a Poisson or negative binomial mean of 1e12, a
/// Student-t of 1 degree of freedom, a log-normal sd of 50).
const EVERY_MODEL: &[&str] = &[
    "model = \"deterministic\"\ngrowth_pct = 5",
    "model = \"log_normal\"\ngrowth_pct = 5\nsd = 50",
    "model = \"ar1\"\ngrowth_pct = 5\nphi = 0.9\nsd = 0.1",
    "model = \"student_t\"\ngrowth_pct = 5\nscale = 0.05\ndf = 1",
    "model = \"two_piece\"\nmode_pct = 5\nsd_lower = 0.1\nsd_upper = 0.05",
    "model = \"bootstrap\"\nhistory_pct = [3, 5, -2, 8]\nblock = 2",
    "model = \"shock_mixture\"\ngrowth_pct = 5\nsd = 0.05\np = 0.1\nshock_mean = -0.1\nshock_sd = 0.05",
    "model = \"logit\"\ndrift = 0.1\nsd = 0.2",
    "model = \"poisson\"\nmean = 1e12\ngrowth_pct = 3",
    "model = \"negative_binomial\"\nmean = 1e12\ngrowth_pct = 3\nr = 5",
    "model = \"uncertain_mean\"\ngrowth_pct = 5\nsd = 0.05\nmean_se = 0.02",
    "model = \"marginals\"\ngrowth_pct = 5\nhorizons = [[{ weight = 1, mu = 0, sigma = 0.1 }]]",
];

#[test]
fn a_run_of_every_model_stops_within_a_second_of_a_stop_request() {
    use attain::monitor::Monitor;
    use attain::simulate::engine::{Engine, RunOptions};
    use attain::{Error, Plan, Scenario};
    let plan = Plan::from_toml_str(&PLAN.replace(
        "target = { kind = \"level\", value = 80 }",
        "base = 50\ntarget = { kind = \"level\", value = 80 }",
    ))
    .unwrap();
    for model in EVERY_MODEL {
        let mut s = Scenario::named("stop");
        s.paths = attain::simulate::scenario::MAX_PATHS;
        let id = if model.contains("logit") {
            "coverage"
        } else {
            "trade"
        };
        s.models.insert(id.into(), toml::from_str(model).unwrap());
        let monitor = Monitor::default();
        let options = RunOptions {
            threads: Some(2),
            monitor: Some(monitor.clone()),
            ..RunOptions::default()
        };
        let engine = Engine::new(&plan, &s, options).unwrap();
        let stop = std::thread::spawn({
            let cancel = monitor.cancel.clone();
            move || {
                std::thread::sleep(std::time::Duration::from_millis(150));
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                std::time::Instant::now()
            }
        });
        let result = engine.run();
        let stopped = std::time::Instant::now();
        let asked = stop.join().unwrap();
        assert!(matches!(result, Err(Error::Cancelled { .. })), "{model}");
        let late = stopped.duration_since(asked).as_secs_f64();
        assert!(late < 1.0, "{model}: stopped {late} s after the request");
    }
}

/// The backquoted spans of `text`.
fn ticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// What serde expects in a TOML model table that has an unknown key: the
/// model names (for an unknown `model`) or the field names.
fn expected(toml_text: &str) -> std::collections::BTreeSet<String> {
    let e = toml::from_str::<attain::simulate::model::ModelSpec>(toml_text)
        .expect_err(toml_text)
        .to_string();
    let after = e.split_once("expected").expect(&e).1;
    ticked(after.lines().next().unwrap_or(""))
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn every_scenario_model_is_documented_as_serde_reads_it() {
    use attain::simulate::model::ModelSpec;
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    let table = readme
        .split_once("### Scenario models")
        .unwrap()
        .1
        .split_once("\n\n|")
        .unwrap()
        .1;
    let init = include_str!("../data/example_scenario.toml");
    let mut documented = std::collections::BTreeSet::new();
    for row in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let model = ticked(cells[1])[0];
        let required: Vec<&str> = ticked(cells[2]);
        let optional: Vec<&str> = ticked(cells[3]);
        documented.insert(model.to_string());
        let toml_of = |items: &[&str]| {
            let mut t = format!("model = \"{model}\"\n");
            for i in items {
                t.push_str(i);
                t.push('\n');
            }
            t
        };
        // The examples load; the defaults stated are the defaults.
        let bare: ModelSpec =
            toml::from_str(&toml_of(&required)).unwrap_or_else(|e| panic!("{model}: {e}"));
        let all: Vec<&str> = required.iter().chain(&optional).copied().collect();
        let full: ModelSpec = toml::from_str(&toml_of(&all)).unwrap();
        assert_eq!(bare, full, "{model}: a stated default is not the default");
        // Each required field is required.
        for k in 0..required.len() {
            let mut less = required.clone();
            less.remove(k);
            assert!(
                toml::from_str::<ModelSpec>(&toml_of(&less)).is_err(),
                "{model}: {}",
                required[k]
            );
        }
        // The fields serde knows are exactly the documented ones.
        let names: std::collections::BTreeSet<String> = all
            .iter()
            .map(|i| i.split_once('=').unwrap().0.trim().to_string())
            .collect();
        let mut probe = all.clone();
        probe.push("not_a_field = 1");
        assert_eq!(expected(&toml_of(&probe)), names, "{model}");
        // `attain init`'s scenario lists the model with its parameters.
        let line = init
            .lines()
            .find(|l| l.starts_with(&format!("#   {model} ")))
            .unwrap_or_else(|| panic!("init's scenario does not list {model}"));
        for n in &names {
            assert!(
                line.contains(n.as_str())
                    || init.contains(&format!("{{ {n}"))
                    || init.contains(&format!(", {n}")),
                "{model}: {n}"
            );
        }
    }
    // Every model serde accepts has a row.
    assert_eq!(expected("model = \"not_a_model\""), documented);
}

#[test]
fn heavy_tailed_fan_quantiles_are_the_exact_ones_and_agree_with_p() {
    use attain::simulate::engine::{Engine, RunOptions};
    use attain::{Plan, Scenario};
    // Trade: base 100, 5% a year, level target 127 in 2025. Student-t with
    // one degree of freedom (Cauchy log growth) and log-normal with sd 50:
    // the fan chart's 5%, 50% and 95% of the target year against the exact
    // quantiles of the very paths (kept), on 1 and 3 threads alike.
    let plan = Plan::from_toml_str(PLAN).unwrap();
    let year = 5;
    for model in [
        "model = \"student_t\"\ngrowth_pct = 5\nscale = 0.05\ndf = 1",
        "model = \"log_normal\"\ngrowth_pct = 5\nsd = 50",
    ] {
        let mut s = Scenario::named("heavy");
        s.paths = 20_000;
        s.seed = 7;
        s.models
            .insert("trade".into(), toml::from_str(model).unwrap());
        let run = |threads| {
            let options = RunOptions {
                threads: Some(threads),
                keep_paths: true,
                ..RunOptions::default()
            };
            Engine::new(&plan, &s, options).unwrap().run().unwrap()
        };
        let att = run(1);
        let mut three = run(3);
        three.kept_paths.clear();
        let mut one = att.clone();
        one.kept_paths.clear();
        assert_eq!(one, three, "{model}: threads changed the result");
        let mut finals: Vec<f64> = att
            .kept_paths
            .iter()
            .flat_map(|b| b.get(0, year).unwrap().to_vec())
            .collect();
        finals.sort_by(f64::total_cmp);
        let n = finals.len();
        assert_eq!(n, 20_000);
        let fan = att.fan.iter().find(|f| f.id == "trade").unwrap();
        let band = &fan.years[year];
        for (k, q) in attain::simulate::attainment::FAN_LEVELS.iter().enumerate() {
            let exact = finals[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
            let got = band.quantiles[k];
            assert!(
                (got - exact).abs() <= 0.005 * exact.abs(),
                "{model} q{q}: {got} vs exact {exact}"
            );
        }
        // The level target's P is on the side of its median: met by more
        // than half the paths exactly when the median is above 127.
        let p = att.target("trade", 0).unwrap().attain.unwrap().p;
        let median = band.quantiles[2];
        let exact_p = finals.iter().filter(|&&v| v >= 127.0).count() as f64 / n as f64;
        assert_eq!(p, exact_p, "{model}");
        assert_eq!(p > 0.5, median > 127.0, "{model}: P {p}, median {median}");
    }
}

#[test]
fn a_run_beyond_the_memory_limit_is_refused_before_it_allocates() {
    use attain::simulate::engine::{CHUNK, Engine, MAX_RUN_BYTES, RunOptions};
    use attain::{Error, Plan, Scenario};
    // Seven series over five plan years: a kept chunk of 512 paths holds
    // 7 x 6 x 512 values of 8 bytes, 172,032 bytes; 10^8 paths are 195,313
    // chunks, 33.6 GB, beyond the 2 GiB limit.
    let plan = Plan::from_toml_str(PLAN).unwrap();
    let mut s = Scenario::named("kept");
    s.paths = 100_000_000;
    let keep = RunOptions {
        keep_paths: true,
        ..RunOptions::default()
    };
    let e = Engine::new(&plan, &s, keep.clone()).unwrap_err();
    let kept = 100_000_000u64.div_ceil(CHUNK as u64) * 7 * 6 * CHUNK as u64 * 8;
    match &e {
        Error::TooLarge { needed, limit, .. } => {
            assert_eq!(*limit, MAX_RUN_BYTES);
            assert!(*needed > kept && *needed < kept + (64 << 20), "{needed}");
        }
        other => panic!("not TooLarge: {other:?}"),
    }
    assert!(
        e.to_string().starts_with(
            "the simulation of 7 series over 5 plan years, keeping 100000000 paths needs about"
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .ends_with("more than the limit of 2048 MB: simulate fewer indicators or plan years, or keep fewer paths"),
        "{e}"
    );
    // The same run without kept paths needs no more than any other.
    assert!(Engine::new(&plan, &s, RunOptions::default()).is_ok());
    s.paths = 100_000;
    assert!(Engine::new(&plan, &s, keep).is_ok());
}
