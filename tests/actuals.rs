//! Actuals files: the shipped one, round trips, and every class of bad input.

use attain::Plan;
use attain::actuals::Actuals;
use proptest::prelude::*;

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
fn each_bad_input_names_its_row_and_field() {
    let head = "id,year,value\n";
    assert_eq!(
        err(&format!("{head}trade_total,2021,5988.5\nnope,2021,1\n")),
        "indicator \"nope\": row 2: id is not a series of the plan"
    );
    assert_eq!(
        err(&format!("{head}trade_total,2019,1\n")),
        "indicator \"trade_total\": row 1: year must be within the plan years 2020..=2025, got 2019"
    );
    assert_eq!(
        err(&format!("{head}trade_total,2021,-3\n")),
        "indicator \"trade_total\": row 1: value must be finite and > 0, got -3"
    );
    assert!(err(&format!("{head}trade_total,2021,NaN\n")).contains("finite"));
    assert_eq!(
        err(&format!("{head}gdp,2021,1\ngdp,2021,2\n")),
        "indicator \"gdp\": row 2: year 2021 is reported twice"
    );
    // A flow may be zero, a level may not.
    assert!(Actuals::from_csv_str(&format!("{head}fortune500_projects,2021,0\n"), &plan()).is_ok());
    assert!(err(&format!("{head}trade_total,2021,abc\n")).contains("line 2"));
    assert!(err("id,year,value,verified\ngdp,2021,1,maybe\n").contains("verified"));
    // Loading a bad file names it and returns nothing else.
    let path = std::env::temp_dir().join(format!("attain-bad-actuals-{}.csv", std::process::id()));
    std::fs::write(
        &path,
        format!("{head}trade_total,2021,5988.5\ntrade_total,2030,1\n"),
    )
    .unwrap();
    let e = Actuals::load(&path, &plan()).unwrap_err().to_string();
    assert!(
        e.starts_with(&path.display().to_string()) && e.contains("2030"),
        "{e}"
    );
    std::fs::remove_file(&path).ok();
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
    fn mutated_csv_never_panics(cut in 0usize..400, byte in any::<u8>()) {
        let p = plan();
        let mut bytes = std::fs::read(format!("{DATA}/hunan_actuals.csv")).unwrap();
        let at = cut % bytes.len();
        bytes[at] = byte;
        if let Ok(text) = String::from_utf8(bytes)
            && let Ok(a) = Actuals::from_csv_str(&text, &p)
        {
            prop_assert!(a.validate(&p).is_ok());
        }
    }
}
