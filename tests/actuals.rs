//! Actuals files: the shipped one, round trips, and every class of bad input.

use attain::Plan;
use attain::plan::actuals::Actuals;
use proptest::prelude::*;

mod common;
use common::mutate;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data");

fn plan() -> Plan {
    Plan::load(format!("{DATA}/hunan_14th_fyp_commerce.toml")).unwrap()
}

#[test]
fn shipped_actuals_load_with_their_sources() {
    let p = plan();
    let a = Actuals::load(format!("{DATA}/hunan_actuals.csv"), &p).unwrap();
    assert_eq!(a.observations.len(), 12);
    assert_eq!(a.value("trade_total", 2021), Some(5988.5));
    assert_eq!(a.value("gdp", 2022), Some(48670.4));
    assert_eq!(a.value("fdi", 2021), Some(24.1));
    assert_eq!(a.latest("trade_total"), Some((2022, 7058.2)));
    assert_eq!(a.years(), [2020, 2021, 2022]);
    let trade = a.trajectory("trade_total", &p);
    assert_eq!(
        trade,
        [Some(4874.5), Some(5988.5), Some(7058.2), None, None, None]
    );
    // Where the actuals omit the base year, the plan's base stands in.
    assert_eq!(a.trajectory("fdi", &p)[..2], [Some(14.0), Some(24.1)]);
    let unverified = a
        .observations
        .iter()
        .filter(|o| o.verified == Some(false))
        .count();
    assert_eq!(unverified, 8);
    assert!(a.observations.iter().all(|o| o.source.is_some()));
}

#[test]
fn round_trips_lose_nothing() {
    let p = plan();
    let a = Actuals::load(format!("{DATA}/hunan_actuals.csv"), &p).unwrap();
    assert_eq!(
        Actuals::from_csv_str(&a.to_csv_string().unwrap(), &p).unwrap(),
        a
    );
    assert_eq!(
        Actuals::from_toml_str(&a.to_toml_string().unwrap(), &p).unwrap(),
        a
    );
    assert_eq!(
        Actuals::from_json_str(&a.to_json_string().unwrap(), &p).unwrap(),
        a
    );
    let dir = std::env::temp_dir().join(format!("attain-actuals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["a.csv", "a.toml", "a.json"] {
        a.save(dir.join(name)).unwrap();
        assert_eq!(Actuals::load(dir.join(name), &p).unwrap(), a, "{name}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn err(text: &str) -> String {
    Actuals::from_csv_str(text, &plan())
        .unwrap_err()
        .to_string()
}

#[test]
fn each_bad_input_names_its_line_and_field() {
    let head = "id,year,value\n";
    // Errors name the CSV line as an editor shows it: the header is line 1.
    assert_eq!(
        err(&format!("{head}trade_total,2021,5988.5\nnope,2021,1\n")),
        "indicator \"nope\": line 3: id is not a series of the plan"
    );
    assert_eq!(
        err(&format!("{head}trade_total,2019,1\n")),
        "indicator \"trade_total\": line 2: year must be within the plan years 2020..=2025, got 2019"
    );
    assert_eq!(
        err(&format!("{head}trade_total,2026,1\n")),
        "indicator \"trade_total\": line 2: year must be within the plan years 2020..=2025, got 2026"
    );
    assert_eq!(
        err(&format!("{head}trade_total,2021,-3\n")),
        "indicator \"trade_total\": line 2: value must be finite and > 0, got -3"
    );
    assert_eq!(
        err(&format!("{head}gdp,2021,0\n")),
        "indicator \"gdp\": line 2: value must be finite and > 0, got 0"
    );
    assert_eq!(
        err(&format!("{head}gdp,2021,NaN\n")),
        "indicator \"gdp\": line 2: value must be finite and > 0, got NaN"
    );
    assert_eq!(
        err(&format!("{head}gdp,2021,inf\n")),
        "indicator \"gdp\": line 2: value must be finite and > 0, got inf"
    );
    assert_eq!(
        err(&format!("{head}gdp,2021,1\ngdp,2021,2\n")),
        "indicator \"gdp\": line 3: year 2021 is reported twice"
    );
    // A flow may be zero (none that year), a level may not; neither negative.
    assert!(Actuals::from_csv_str(&format!("{head}fortune500_projects,2021,0\n"), &plan()).is_ok());
    assert_eq!(
        err(&format!("{head}fortune500_projects,2021,-1\n")),
        "indicator \"fortune500_projects\": line 2: value must be finite and >= 0, got -1"
    );
    assert_eq!(
        err(&format!("{head}trade_total,2021,abc\n")),
        "indicator \"trade_total\": line 2: value must be a number, got \"abc\""
    );
    assert_eq!(
        err(&format!("{head}trade_total,2021.5,1\n")),
        "indicator \"trade_total\": line 2: year must be a whole year, got \"2021.5\""
    );
    assert_eq!(
        err("id,year,value,verified\ngdp,2021,1,maybe\n"),
        "indicator \"gdp\": line 2: verified must be yes/no or true/false, got \"maybe\""
    );
    // A quoted field over two lines: the next record starts on line 4.
    assert_eq!(
        err("id,year,value,source\ngdp,2021,1,\"a\nb\"\ngdp,2030,1,\n"),
        "indicator \"gdp\": line 4: year must be within the plan years 2020..=2025, got 2030"
    );
    // Structure: columns missing, unknown or twice, rows of the wrong length.
    assert_eq!(
        err("id,value\ngdp,1\n"),
        "format: line 1: missing column \"year\""
    );
    assert_eq!(
        err("id,year,value,unit\ngdp,2021,1,亿元\n"),
        "format: line 1: unknown column \"unit\" (expected id,year,value,source,verified,at_least)"
    );
    assert_eq!(
        err("id,year,value,id\ngdp,2021,1,gdp\n"),
        "format: line 1: column \"id\" appears twice"
    );
    assert!(
        err(&format!("{head}gdp,2021,1\ngdp,2022\n")).starts_with("format: line 3: "),
        "{}",
        err(&format!("{head}gdp,2021,1\ngdp,2022\n"))
    );
}

#[test]
fn csv_reading_tolerates_what_spreadsheets_write() {
    let p = plan();
    // Byte-order mark, columns in another order, Yes/No in capitals.
    let a = Actuals::from_csv_str("\u{feff}year,id,verified,value\n2021,gdp,No,46063.09\n", &p)
        .unwrap();
    assert_eq!(a.value("gdp", 2021), Some(46063.09));
    assert_eq!(a.observations[0].verified, Some(false));
    assert_eq!(a.observations[0].source, None);
    // Empty actuals round-trip too (the header is always written).
    let empty = Actuals::default();
    assert_eq!(
        Actuals::from_csv_str(&empty.to_csv_string().unwrap(), &p).unwrap(),
        empty
    );
}

#[test]
fn toml_and_json_errors_name_the_observation() {
    let p = plan();
    let e = Actuals::from_toml_str(
        "[[observation]]\nid = \"gdp\"\nyear = 2021\nvalue = 1.0\n\n\
         [[observation]]\nid = \"gdp\"\nyear = 2022\nvalue = -1.0\n",
        &p,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "indicator \"gdp\": observation 2: value must be finite and > 0, got -1"
    );
    let e = Actuals::from_json_str(
        r#"{"observation":[{"id":"gdp","year":2019,"value":1.0}]}"#,
        &p,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "indicator \"gdp\": observation 1: year must be within the plan years 2020..=2025, got 2019"
    );
    // Unknown fields are refused, not dropped.
    assert!(matches!(
        Actuals::from_json_str(
            r#"{"observation":[{"id":"gdp","year":2021,"value":1.0,"unit":"x"}]}"#,
            &p
        ),
        Err(attain::Error::Codec { .. })
    ));
}

#[test]
fn a_bad_file_is_named_and_nothing_is_loaded() {
    let p = plan();
    let dir = std::env::temp_dir().join(format!("attain-bad-actuals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.csv");
    std::fs::write(
        &path,
        "id,year,value\ntrade_total,2021,5988.5\ntrade_total,2030,1\n",
    )
    .unwrap();
    let e = Actuals::load(&path, &p).unwrap_err();
    assert!(matches!(e, attain::Error::File { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: indicator \"trade_total\": line 3: year must be within the plan years 2020..=2025, got 2030",
            path.display()
        )
    );
    // Not UTF-8, and a missing file: still an error naming the file.
    let bin = dir.join("b.csv");
    std::fs::write(&bin, [0xff, 0xfe, 0x00, 0x80]).unwrap();
    let e = Actuals::load(&bin, &p).unwrap_err().to_string();
    assert!(e.starts_with(&bin.display().to_string()), "{e}");
    let gone = dir.join("missing.toml");
    let e = Actuals::load(&gone, &p).unwrap_err().to_string();
    assert!(e.starts_with(&gone.display().to_string()), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let p = plan();
        let _ = Actuals::from_csv_str(&text, &p);
        let _ = Actuals::from_toml_str(&text, &p);
        let _ = Actuals::from_json_str(&text, &p);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let p = plan();
        let text = String::from_utf8_lossy(&bytes);
        // Whatever parses is fully valid: nothing half-checked gets through.
        for a in [
            Actuals::from_csv_str(&text, &p),
            Actuals::from_toml_str(&text, &p),
            Actuals::from_json_str(&text, &p),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(a.validate(&p).is_ok());
        }
    }

    #[test]
    fn mutated_csv_never_panics(
        edits in proptest::collection::vec(
            (0usize..2000, 0u8..3, prop_oneof![
                Just(b','), Just(b'"'), Just(b'\n'), Just(b'\r'), Just(b'-'), Just(b'.'),
                Just(b'0'), Just(b'9'), Just(b' '), any::<u8>()
            ]),
            1..4,
        )
    ) {
        let p = plan();
        let original = std::fs::read_to_string(format!("{DATA}/hunan_actuals.csv")).unwrap();
        let text = mutate(&original, &edits);
        if let Ok(a) = Actuals::from_csv_str(&text, &p) {
            prop_assert!(a.validate(&p).is_ok());
            // What loads writes back and loads to the same value, in every format.
            let csv = a.to_csv_string().unwrap();
            prop_assert_eq!(&Actuals::from_csv_str(&csv, &p).unwrap(), &a);
            let toml = a.to_toml_string().unwrap();
            prop_assert_eq!(&Actuals::from_toml_str(&toml, &p).unwrap(), &a);
            let json = a.to_json_string().unwrap();
            prop_assert_eq!(&Actuals::from_json_str(&json, &p).unwrap(), &a);
        }
    }

    #[test]
    fn arbitrary_observations_round_trip(
        obs in proptest::collection::vec(
            (0usize..3, 2020i32..=2025, 1e-6f64..1e12, proptest::option::of("[ -~\\p{Han}]{0,12}"), proptest::option::of(any::<bool>())),
            0..12,
        )
    ) {
        let p = plan();
        let ids = ["trade_total", "gdp", "fdi"];
        let mut seen = std::collections::BTreeSet::new();
        let observations: Vec<_> = obs
            .into_iter()
            .filter(|(k, y, ..)| seen.insert((*k, *y)))
            .map(|(k, year, value, source, verified)| attain::plan::actuals::Observation {
                id: ids[k].to_string(),
                year,
                value,
                // An empty source reads back as none.
                source: source.filter(|s| !s.is_empty()),
                verified,
                at_least: false,
            })
            .collect();
        let a = Actuals { observations };
        prop_assert!(a.validate(&p).is_ok());
        for (text, back) in [
            (a.to_csv_string().unwrap(), Actuals::from_csv_str as fn(&str, &attain::Plan) -> attain::Result<Actuals>),
            (a.to_toml_string().unwrap(), Actuals::from_toml_str),
            (a.to_json_string().unwrap(), Actuals::from_json_str),
        ] {
            prop_assert_eq!(&back(&text, &p).unwrap(), &a, "{}", text);
        }
    }
}

#[test]
fn trajectory_of_a_plan_without_years_is_empty() {
    let mut p = plan();
    let a = Actuals::load(format!("{DATA}/hunan_actuals.csv"), &p).unwrap();
    p.base_year = i32::MAX;
    p.target_year = i32::MIN;
    assert!(a.trajectory("trade_total", &p).is_empty());
}

#[test]
fn a_lower_bound_is_counted_as_the_value_and_warned_about() {
    let p = plan();
    let a = Actuals::from_csv_str(
        "id,year,value,at_least\ntrade_total,2021,5988.5,\nservices_trade,2022,400,true\n",
        &p,
    )
    .unwrap();
    assert_eq!(a.value("services_trade", 2022), Some(400.0));
    assert_eq!(a.trajectory("services_trade", &p)[2], Some(400.0));
    let w = a.warnings();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].code, attain::WarningCode::LowerBound);
    assert_eq!(w[0].indicator.as_deref(), Some("services_trade"));
    // It round-trips; files without a lower bound are written as before.
    let csv = a.to_csv_string().unwrap();
    assert!(
        csv.starts_with("id,year,value,source,verified,at_least\n"),
        "{csv}"
    );
    assert_eq!(Actuals::from_csv_str(&csv, &p).unwrap(), a);
    let none = Actuals::from_csv_str("id,year,value\ntrade_total,2021,5988.5\n", &p).unwrap();
    assert!(none.warnings().is_empty());
    assert_eq!(
        none.to_csv_string().unwrap(),
        "id,year,value,source,verified\ntrade_total,2021,5988.5,,\n"
    );
    assert_eq!(
        Actuals::from_csv_str("id,year,value,at_least\ngdp,2021,1,maybe\n", &p)
            .unwrap_err()
            .to_string(),
        "indicator \"gdp\": line 2: at_least must be true or false, got \"maybe\""
    );
    let toml = Actuals::from_toml_str(&a.to_toml_string().unwrap(), &p).unwrap();
    assert_eq!(toml, a);
}
