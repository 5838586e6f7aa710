//! Each class of bad input gets its own typed error, naming the indicator, the
//! field and the offending value; a bad file loads nothing.

use std::path::PathBuf;

use attain::{Error, Plan};

const HEAD: &str = r#"
name = "test plan"
base_year = 2020
target_year = 2025
"#;

/// One indicator table with the given extra lines (base, target, ...).
fn indicator(id: &str, lines: &str) -> String {
    format!(
        r#"
[[indicator]]
id = "{id}"
name = "{id}"
name_zh = "{id}"
unit = "u"
attribute = "expected"
{lines}
"#
    )
}

/// One auxiliary series.
fn series(id: &str, base: &str) -> String {
    format!(
        r#"
[[series]]
id = "{id}"
name = "{id}"
unit = "u"
base = {base}
"#
    )
}

fn plan(rows: &[String]) -> String {
    let mut text = HEAD.to_string();
    for r in rows {
        text.push_str(r);
    }
    text
}

const LEVEL: &str = "base = 100.0\ntarget = { kind = \"level\", value = 150.0 }";

/// Parses `text`, expects an indicator error and checks every part of it and
/// the Display text `indicator "id": field problem`.
fn expect_indicator_error(text: &str, id: &str, field: &str, problem: &str) {
    let e = Plan::from_toml_str(text).unwrap_err();
    match &e {
        Error::Indicator {
            id: i,
            field: f,
            problem: p,
        } => {
            assert_eq!(
                (i.as_str(), f.as_str(), p.to_string().as_str()),
                (id, field, problem)
            );
        }
        other => panic!("expected an indicator error, got {other:?}"),
    }
    assert_eq!(
        e.to_string(),
        format!("indicator \"{id}\": {field} {problem}")
    );
}

/// A unique file under the temp directory.
fn temp_file(name: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "attain-validation-{}-{n}-{name}",
        std::process::id()
    ))
}

#[test]
fn the_baseline_plans_are_valid() {
    // The bad plans below differ from these in one place each.
    let text = plan(&[
        indicator("trade", LEVEL),
        indicator(
            "dep",
            r#"target = { kind = "ratio", numerator = "trade", denominator = "gdp", value = 15.0 }"#,
        ),
        indicator(
            "fdi",
            "base = 10.0\ntarget = { kind = \"level\", value = 14.0 }",
        ),
        indicator(
            "reinvest",
            "base = 100.0\ntarget = { kind = \"level\", value = 196.0 }",
        ),
        indicator(
            "fdi_all",
            r#"target = { kind = "aggregate", components = ["fdi", "reinvest"] }"#,
        ),
        indicator(
            "steps",
            r#"target = { kind = "milestones", points = [{ year = 2021, value = 70.0 }, { year = 2023, value = 100.0 }] }"#,
        ),
        indicator(
            "about",
            "base = 5.0\nstated_growth = \"7左右\"\ntarget = { kind = \"approximately\", value = 7.0, tolerance_pct = 0.0 }",
        ),
        indicator(
            "double",
            "base = 5.0\ntarget = { kind = \"multiple\", factor = 2.0 }",
        ),
        series("gdp", "41781.49"),
    ]);
    let p = Plan::from_toml_str(&text).unwrap();
    assert_eq!(p.indicators.len(), 8);
    assert_eq!(p.series.len(), 1);
    assert_eq!(p.indicators[6].stated_growth.as_ref().unwrap().pct, 7.0);
}

#[test]
fn non_positive_or_non_finite_base() {
    let level = |base: &str| {
        plan(&[indicator(
            "x",
            &format!("base = {base}\ntarget = {{ kind = \"level\", value = 150.0 }}"),
        )])
    };
    expect_indicator_error(
        &level("-3.0"),
        "x",
        "base",
        "must be >= 0 for a level target, got -3",
    );
    // A zero base is a count from nothing: a level of it is fine, a growth
    // of it is not.
    assert!(Plan::from_toml_str(&level("0.0")).is_ok());
    expect_indicator_error(
        &plan(&[indicator(
            "x",
            "base = 0.0\ntarget = { kind = \"growth\", pct = 5.0 }",
        )]),
        "x",
        "base",
        "must be > 0 for a growth target (a growth or multiple of zero is undefined; \
         a count from nothing takes a level or cumulative target), got 0",
    );
    expect_indicator_error(
        &level("nan"),
        "x",
        "base",
        "must be >= 0 for a level target, got NaN",
    );
    expect_indicator_error(
        &level("inf"),
        "x",
        "base",
        "must be >= 0 for a level target, got inf",
    );
    // Auxiliary series need a positive base too.
    let text = plan(&[indicator("x", LEVEL), series("gdp", "-1.5")]);
    expect_indicator_error(&text, "gdp", "base", "must be > 0 for a series, got -1.5");
}

#[test]
fn target_year_not_after_base_year() {
    for target_year in ["2020", "2019"] {
        let text = plan(&[indicator("x", LEVEL)]).replace(
            "target_year = 2025",
            &format!("target_year = {target_year}"),
        );
        let e = Plan::from_toml_str(&text).unwrap_err();
        match &e {
            Error::Plan { field, problem } => {
                assert_eq!(field, "target_year");
                assert_eq!(
                    problem.to_string(),
                    format!("must be after base_year 2020, got {target_year}")
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            e.to_string(),
            format!("plan: target_year must be after base_year 2020, got {target_year}")
        );
    }
}

#[test]
fn extreme_years_do_not_overflow() {
    // i32::MAX - i32::MIN overflowed the horizon (a panic in debug builds).
    let text = plan(&[indicator("x", LEVEL)])
        .replace("base_year = 2020", "base_year = -2147483648")
        .replace("target_year = 2025", "target_year = 2147483647");
    let p = Plan::from_toml_str(&text).unwrap();
    assert_eq!(p.horizon().unwrap(), u32::MAX as usize);
    let text = plan(&[indicator("x", LEVEL)])
        .replace("base_year = 2020", "base_year = 2147483647")
        .replace("target_year = 2025", "target_year = -2147483648");
    assert!(matches!(
        Plan::from_toml_str(&text),
        Err(Error::Plan { .. })
    ));
}

#[test]
fn duplicate_ids() {
    let text = plan(&[indicator("x", LEVEL), indicator("x", LEVEL)]);
    expect_indicator_error(&text, "x", "id", "is not unique in the plan");
    // An auxiliary series may not reuse an indicator's id.
    let text = plan(&[indicator("gdp", LEVEL), series("gdp", "100.0")]);
    expect_indicator_error(&text, "gdp", "id", "is not unique in the plan");
    // Nor may two series share one.
    let text = plan(&[
        indicator("x", LEVEL),
        series("gdp", "100.0"),
        series("gdp", "200.0"),
    ]);
    expect_indicator_error(&text, "gdp", "id", "is not unique in the plan");
}

#[test]
fn references_to_unknown_series() {
    let ratio = |num: &str, den: &str| {
        plan(&[
            indicator("trade", LEVEL),
            indicator(
                "dep",
                &format!(
                    r#"target = {{ kind = "ratio", numerator = "{num}", denominator = "{den}", value = 15.0 }}"#
                ),
            ),
            series("gdp", "41781.49"),
        ])
    };
    expect_indicator_error(
        &ratio("trad", "gdp"),
        "dep",
        "target.numerator",
        "refers to unknown series \"trad\"",
    );
    expect_indicator_error(
        &ratio("trade", "GDP"),
        "dep",
        "target.denominator",
        "refers to unknown series \"GDP\"",
    );
    let text = plan(&[
        indicator("fdi", LEVEL),
        indicator(
            "fdi_all",
            r#"target = { kind = "aggregate", components = ["fdi", "reinvest"], value = 210.0 }"#,
        ),
    ]);
    expect_indicator_error(
        &text,
        "fdi_all",
        "target.components",
        "refers to unknown series \"reinvest\"",
    );
}

#[test]
fn milestones_out_of_order_beyond_the_horizon_or_not_after_the_base_year() {
    let steps = |points: &str| {
        plan(&[indicator(
            "steps",
            &format!(r#"target = {{ kind = "milestones", points = [{points}] }}"#),
        )])
    };
    expect_indicator_error(
        &steps("{ year = 2022, value = 90.0 }, { year = 2021, value = 70.0 }"),
        "steps",
        "target.points[1]",
        "year 2021 is out of order (after 2022)",
    );
    // The same year twice is out of order too.
    expect_indicator_error(
        &steps("{ year = 2021, value = 70.0 }, { year = 2021, value = 90.0 }"),
        "steps",
        "target.points[1]",
        "year 2021 is out of order (after 2021)",
    );
    expect_indicator_error(
        &steps("{ year = 2021, value = 70.0 }, { year = 2026, value = 100.0 }"),
        "steps",
        "target.points[1]",
        "year 2026 is beyond the target year 2025",
    );
    expect_indicator_error(
        &steps("{ year = 2020, value = 70.0 }"),
        "steps",
        "target.points[0]",
        "year 2020 must be after the base year 2020",
    );
    expect_indicator_error(&steps(""), "steps", "target.points", "must not be empty");
}

#[test]
fn tolerance_below_zero() {
    let about = |tol: &str| {
        plan(&[indicator(
            "about",
            &format!(
                "base = 5.0\ntarget = {{ kind = \"approximately\", value = 7.0, tolerance_pct = {tol} }}"
            ),
        )])
    };
    expect_indicator_error(
        &about("-1.0"),
        "about",
        "target.tolerance_pct",
        "must be >= 0, got -1",
    );
    expect_indicator_error(
        &about("nan"),
        "about",
        "target.tolerance_pct",
        "must be >= 0, got NaN",
    );
}

#[test]
fn multiple_target_without_base() {
    let text = plan(&[indicator(
        "double",
        "target = { kind = \"multiple\", factor = 2.0 }",
    )]);
    expect_indicator_error(&text, "double", "base", "is required for a multiple target");
}

#[test]
fn bad_stated_growth_text() {
    for (text, why) in [
        ("abc", "\\\"abc\\\" is not a growth rate"),
        ("", "\\\"\\\" is not a growth rate"),
        ("nan", "must be finite and > -100, got \\\"nan\\\""),
        ("-100", "must be finite and > -100, got \\\"-100\\\""),
    ] {
        let toml = plan(&[indicator(
            "x",
            &format!("{LEVEL}\nstated_growth = \"{text}\""),
        )]);
        let e = Plan::from_toml_str(&toml).unwrap_err();
        let Error::Indicator { id, field, problem } = &e else {
            panic!("{e:?}");
        };
        let problem = problem.to_string();
        assert_eq!((id.as_str(), field.as_str()), ("x", "stated_growth"));
        // The problem quotes serde's message: the line, the value, the reason.
        let why = why.replace("\\\"", "\"");
        assert!(problem.starts_with("is rejected: "), "{problem}");
        assert!(
            problem.contains(&format!("stated_growth = \"{text}\"")),
            "{problem}"
        );
        assert!(problem.contains(&why), "{problem}");
        let shown = e.to_string();
        assert!(
            shown.starts_with("indicator \"x\": stated_growth is rejected: "),
            "{shown}"
        );
    }
    // The same from JSON.
    let json = r#"{"name": "p", "base_year": 2020, "target_year": 2025, "indicator": [
        {"id": "x", "name": "x", "name_zh": "x", "unit": "u", "attribute": "expected",
         "base": 100.0, "stated_growth": "12 percent", "target": {"kind": "level", "value": 150.0}}]}"#;
    let e = Plan::from_json_str(json).unwrap_err();
    let Error::Indicator { id, field, problem } = &e else {
        panic!("{e:?}");
    };
    let problem = problem.to_string();
    assert_eq!((id.as_str(), field.as_str()), ("x", "stated_growth"));
    assert!(
        problem.contains("\"12 percent\" is not a growth rate"),
        "{problem}"
    );
}

#[test]
fn unknown_field_in_a_toml_file() {
    // In an indicator.
    let text = plan(&[indicator("x", &format!("{LEVEL}\ncolour = 3"))]);
    let e = Plan::from_toml_str(&text).unwrap_err();
    let Error::Indicator { id, field, problem } = &e else {
        panic!("{e:?}");
    };
    let problem = problem.to_string();
    assert_eq!((id.as_str(), field.as_str()), ("x", "colour"));
    assert!(problem.contains("unknown field `colour`"), "{problem}");
    assert!(
        e.to_string()
            .starts_with("indicator \"x\": colour is rejected: ")
    );
    // Inside a target: the target field is at fault.
    let text = plan(&[indicator(
        "x",
        "base = 100.0\ntarget = { kind = \"level\", value = 150.0, colour = 3 }",
    )]);
    let e = Plan::from_toml_str(&text).unwrap_err();
    let Error::Indicator { id, field, problem } = &e else {
        panic!("{e:?}");
    };
    let problem = problem.to_string();
    assert_eq!((id.as_str(), field.as_str()), ("x", "target"));
    assert!(problem.contains("unknown field `colour`"), "{problem}");
    // In a series.
    let text = plan(&[indicator("x", LEVEL), series("gdp", "1.0\nsauce = true")]);
    let e = Plan::from_toml_str(&text).unwrap_err();
    let Error::Indicator { id, field, .. } = &e else {
        panic!("{e:?}");
    };
    assert_eq!((id.as_str(), field.as_str()), ("gdp", "sauce"));
    // At plan level.
    let text = format!("colour = 3\n{}", plan(&[indicator("x", LEVEL)]));
    let e = Plan::from_toml_str(&text).unwrap_err();
    let Error::Plan { field, problem } = &e else {
        panic!("{e:?}");
    };
    let problem = problem.to_string();
    assert_eq!(field, "colour");
    assert!(problem.contains("unknown field `colour`"), "{problem}");
    // A missing field is named too; a row without an id by its position.
    let text = plan(&[indicator("x", LEVEL), indicator("y", LEVEL)]).replace("id = \"y\"\n", "");
    let e = Plan::from_toml_str(&text).unwrap_err();
    let Error::Indicator { id, field, problem } = &e else {
        panic!("{e:?}");
    };
    let problem = problem.to_string();
    assert_eq!((id.as_str(), field.as_str()), ("indicator[1]", "id"));
    assert!(problem.contains("missing field `id`"), "{problem}");
    let text = plan(&[indicator("x", LEVEL)]).replace("base_year = 2020\n", "");
    let e = Plan::from_toml_str(&text).unwrap_err();
    assert!(
        matches!(&e, Error::Plan { field, .. } if field == "base_year"),
        "{e:?}"
    );
    // Broken TOML syntax has no row to name: a format error with the line,
    // the parser's own error as its source.
    let e = Plan::from_toml_str("name = \"p\"\nbase_year = = 2020\n").unwrap_err();
    let Error::Codec { source, .. } = &e else {
        panic!("{e:?}");
    };
    let message = e.to_string();
    assert!(message.starts_with("format: "), "{message}");
    assert!(message.contains("line 2"), "{message}");
    let toml = source
        .downcast_ref::<toml::de::Error>()
        .expect("a TOML error");
    assert!(toml.to_string().contains("line 2"), "{toml}");
}

#[test]
fn other_bad_target_fields() {
    let one = |lines: &str| plan(&[indicator("x", lines)]);
    expect_indicator_error(
        &one("base = 1.0\ntarget = { kind = \"level\", value = nan }"),
        "x",
        "target.value",
        "must be finite, got NaN",
    );
    expect_indicator_error(
        &one("target = { kind = \"growth\", pct = -100.0 }"),
        "x",
        "target.pct",
        "must be > -100, got -100",
    );
    expect_indicator_error(
        &one("base = 1.0\ntarget = { kind = \"multiple\", factor = 0.0 }"),
        "x",
        "target.factor",
        "must be > 0, got 0",
    );
    expect_indicator_error(
        &one("target = { kind = \"approximately\", value = 0.0, tolerance_pct = 5.0 }"),
        "x",
        "target.value",
        "must not be 0 for a relative tolerance",
    );
    // Extra targets are checked like the main one.
    expect_indicator_error(
        &one(&format!(
            "{LEVEL}\nextra_targets = [{{ kind = \"cumulative\", total = inf }}]"
        )),
        "x",
        "target.total",
        "must be finite, got inf",
    );
    // An aggregate without a value needs level targets on its components.
    let text = plan(&[
        indicator("a", "target = { kind = \"growth\", pct = 5.0 }"),
        indicator(
            "sum",
            r#"target = { kind = "aggregate", components = ["a"] }"#,
        ),
    ]);
    expect_indicator_error(
        &text,
        "sum",
        "target.value",
        "is absent and component \"a\" has no level target to sum",
    );
}

#[test]
fn loading_a_bad_file_names_the_file_and_loads_nothing() {
    // The first two rows are fine; only the last is bad. Nothing comes back.
    let text = plan(&[
        indicator("a", LEVEL),
        indicator("b", LEVEL),
        indicator(
            "c",
            "base = -3.0\ntarget = { kind = \"level\", value = 150.0 }",
        ),
    ]);
    let path = temp_file("bad.toml");
    std::fs::write(&path, &text).unwrap();
    let loaded = Plan::load(&path);
    let e = loaded.unwrap_err();
    let Error::File { path: p, source } = &e else {
        panic!("{e:?}");
    };
    let message = source.to_string();
    assert_eq!(p, &path);
    assert_eq!(
        message,
        "indicator \"c\": base must be >= 0 for a level target, got -3"
    );
    // The content's error is the file error's source, whole.
    let inner = source.downcast_ref::<Error>().expect("the plan's error");
    assert!(matches!(inner, Error::Indicator { field, .. } if field == "base"));
    assert_eq!(
        e.problem(),
        Some(&attain::Problem::OutOfRange {
            got: (-3.0).into(),
            need: ">= 0 for a level target".into()
        })
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: indicator \"c\": base must be >= 0 for a level target, got -3",
            path.display()
        )
    );
    // Loading changed nothing on disk.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);

    // A parse error in a file names the file, the indicator and the field.
    let bad = plan(&[indicator("x", &format!("{LEVEL}\nstated_growth = \"abc\""))]);
    std::fs::write(&path, &bad).unwrap();
    let e = Plan::load(&path).unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!(
            "{}: indicator \"x\": stated_growth is rejected: ",
            path.display()
        )),
        "{shown}"
    );
    assert!(shown.contains("\"abc\" is not a growth rate"), "{shown}");

    // The same plan, fixed, loads from the same path.
    std::fs::write(&path, plan(&[indicator("x", LEVEL)])).unwrap();
    assert_eq!(Plan::load(&path).unwrap().indicators.len(), 1);
    std::fs::remove_file(&path).unwrap();

    // JSON files are read as JSON, and their errors name the file as well.
    let json_path = temp_file("bad.json");
    let json = Plan::from_toml_str(&plan(&[indicator("x", LEVEL)]))
        .unwrap()
        .to_json_string()
        .unwrap()
        .replace("150.0", "\"150\"");
    std::fs::write(&json_path, &json).unwrap();
    let e = Plan::load(&json_path).unwrap_err();
    let Error::File { path: p, source } = &e else {
        panic!("{e:?}");
    };
    let message = source.to_string();
    assert_eq!(p, &json_path);
    assert!(
        message.starts_with("indicator \"x\": target is rejected: "),
        "{message}"
    );
    std::fs::remove_file(&json_path).unwrap();

    // A missing file is a file error too.
    let missing = temp_file("missing.toml");
    let e = Plan::load(&missing).unwrap_err();
    assert!(matches!(&e, Error::File { path, .. } if path == &missing));
    assert!(e.to_string().starts_with(&missing.display().to_string()));
}

#[test]
fn problems_are_typed_values() {
    use attain::Problem;
    use attain::error::Value;
    let level = |base: &str| {
        plan(&[indicator(
            "x",
            &format!("base = {base}\ntarget = {{ kind = \"level\", value = 150.0 }}"),
        )])
    };
    // A non-finite base is NotFinite, a finite one below the range OutOfRange;
    // both say what the base must be.
    let e = Plan::from_toml_str(&level("nan")).unwrap_err();
    match e.problem() {
        Some(Problem::NotFinite { got, need }) => {
            assert!(got.as_f64().is_nan());
            assert_eq!(need, ">= 0 for a level target");
        }
        other => panic!("{other:?}"),
    }
    let e = Plan::from_toml_str(&level("inf")).unwrap_err();
    assert!(
        matches!(e.problem(), Some(Problem::NotFinite { got, .. }) if got.as_f64() == f64::INFINITY)
    );
    let e = Plan::from_toml_str(&level("-3.0")).unwrap_err();
    assert_eq!(
        e.problem(),
        Some(&Problem::OutOfRange {
            got: Value::Real(-3.0),
            need: ">= 0 for a level target".into()
        })
    );
    // An error equals its clone, NaN and all.
    let nan = Plan::from_toml_str(&level("nan")).unwrap_err();
    assert_eq!(nan.clone(), nan);
    // Years are whole numbers, kept exact.
    let text = plan(&[indicator("x", LEVEL)]).replace("target_year = 2025", "target_year = 2019");
    let e = Plan::from_toml_str(&text).unwrap_err();
    assert_eq!(
        e.problem(),
        Some(&Problem::OutOfRange {
            got: Value::Whole(2019),
            need: "after base_year 2020".into()
        })
    );
    // Duplicates and empty ids.
    let text = plan(&[indicator("x", LEVEL), indicator("x", LEVEL)]);
    let e = Plan::from_toml_str(&text).unwrap_err();
    assert_eq!(e.problem(), Some(&Problem::NotUnique));
    let text = plan(&[indicator("", LEVEL)]);
    let e = Plan::from_toml_str(&text).unwrap_err();
    assert!(matches!(&e, Error::Plan { field, problem: Problem::Empty } if field == "id"));
    // Forecast scores: a non-finite value names its position.
    let e = attain::forecast::score::mae(&[1.0, 2.0], &[1.0, f64::NAN]).unwrap_err();
    assert!(
        matches!(&e, Error::Parameter { name, problem: Problem::NotFinite { .. } } if name == "forecast[1]"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "parameter forecast[1]: must be finite, got NaN"
    );
    let e = attain::forecast::score::mae(&[1.0, 2.0], &[1.0]).unwrap_err();
    assert_eq!(
        e.problem(),
        Some(&Problem::LengthMismatch {
            got: 1,
            what: "values".into(),
            other: 2,
            per: "actuals".into()
        })
    );
    let e = attain::forecast::score::mase_scale(&[1.0]).unwrap_err();
    assert!(matches!(
        e.problem(),
        Some(Problem::TooShort {
            need: 2,
            got: 1,
            ..
        })
    ));
    let e = attain::forecast::backtest::Config::new(0, 2).unwrap_err();
    assert!(matches!(
        e.problem(),
        Some(Problem::OutOfRange {
            got: Value::Whole(0),
            ..
        })
    ));
}

#[test]
fn file_and_format_errors_keep_their_source() {
    use std::error::Error as _;
    // io: a missing file.
    let missing = temp_file("missing-source.toml");
    let e = Plan::load(&missing).unwrap_err();
    let io = e
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .expect("an io error");
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    // toml: broken syntax.
    let e = Plan::from_toml_str("name = = 1\n").unwrap_err();
    assert!(
        e.source()
            .is_some_and(|s| s.downcast_ref::<toml::de::Error>().is_some()),
        "{e:?}"
    );
    // serde_json: broken JSON.
    let e = Plan::from_json_str("{").unwrap_err();
    assert!(
        e.source()
            .is_some_and(|s| s.downcast_ref::<serde_json::Error>().is_some()),
        "{e:?}"
    );
    // csv: a row of the wrong length, with its line.
    let e = attain::plan::actuals::Actuals::parse_csv("id,year,value\ngdp,2021,1\ngdp,2022\n")
        .unwrap_err();
    assert!(
        matches!(&e, Error::Codec { context: Some(at), .. } if at == "line 3"),
        "{e:?}"
    );
    assert!(
        e.source()
            .is_some_and(|s| s.downcast_ref::<csv::Error>().is_some()),
        "{e:?}"
    );
    // A file's content error is the file error's source, and its own source
    // (the parser's) is reachable from there.
    let path = temp_file("broken-source.json");
    std::fs::write(&path, "{").unwrap();
    let e = Plan::load(&path).unwrap_err();
    let inner = e.source().expect("the content's error");
    assert!(inner.downcast_ref::<Error>().is_some(), "{e:?}");
    assert!(
        inner
            .source()
            .is_some_and(|s| s.downcast_ref::<serde_json::Error>().is_some()),
        "{e:?}"
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn files_with_a_byte_order_mark_load_as_without() {
    // Editors on Windows save UTF-8 with a BOM: JSON and TOML files alike load.
    let shipped = Plan::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/hunan_14th_fyp_commerce.toml"
    ))
    .unwrap();
    for (name, text) in [
        ("plan.json", shipped.to_json_string().unwrap()),
        ("plan.toml", shipped.to_toml_string().unwrap()),
    ] {
        let path = temp_file(name);
        std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
        let loaded = Plan::load(&path);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(loaded.unwrap(), shipped, "{name}");
    }
}
