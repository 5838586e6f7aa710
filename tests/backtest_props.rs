//! A backtest of every standard method on any panel, however wild its
//! values, returns rows or a typed error: never a panic, and every score it
//! gives is a number or absent.

use attain::forecast::backtest::{Config, SeriesData, backtest, evaluate};
use attain::forecast::standard_methods;
use proptest::prelude::*;

/// Values as real files give them, and worse: ordinary levels, tiny and
/// huge ones, zeros, negatives, and non-finite ones.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        60 => 50.0f64..150.0,
        1 => 1e-300f64..1e-250,
        1 => 1e250f64..1e300,
        1 => Just(0.0),
        1 => -10.0f64..0.0,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::from_bits(1)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn any_panel_backtests_without_a_panic(
        series in proptest::collection::vec(
            (proptest::collection::vec(value(), 0..12), 0i32..5, proptest::option::of(-50.0f64..50.0)),
            1..5),
        horizons in 1usize..5,
        min_train in 1usize..5,
    ) {
        let panel: Vec<SeriesData> = series
            .iter()
            .enumerate()
            .map(|(i, (values, start, target))| {
                let mut s = SeriesData::new(format!("s{i}"), values.clone());
                s.first_year = Some(2000 + start);
                s.target_growth_pct = *target;
                s
            })
            .collect();
        let Ok(config) = Config::new(horizons, min_train) else {
            return Ok(());
        };
        let methods = standard_methods();
        if let Ok(rows) = backtest(&methods, &panel, &config) {
            for r in &rows {
                prop_assert!(r.crps.is_none_or(|c| !c.is_nan()), "{r:?}");
                prop_assert!(r.p_target.is_none_or(|p| (0.0..=1.0).contains(&p)), "{r:?}");
            }
        }
        // The streaming summary of the same panel.
        let _ = evaluate(&methods, &panel, &config);
    }
}
