//! Any panel, however wild its values, gives results or a typed error:
//! never a panic. The calibrated model fits it and forecasts from every
//! origin; a backtest of every standard method scores it, every score a
//! number or absent.

use attain::forecast::backtest::{Config, SeriesData, backtest, evaluate};
use attain::forecast::{Calibrated, PanelFits, standard_methods};
use proptest::prelude::*;

/// Values as real files give them, and worse: ordinary levels (with weight
/// `ordinary` against 1 for each of the others), tiny and huge ones,
/// zeros, negatives, and non-finite ones.
fn value(ordinary: u32) -> impl Strategy<Value = f64> {
    prop_oneof![
        ordinary => 50.0f64..150.0,
        1 => 1e-300f64..1e-250,
        1 => 1e250f64..1e300,
        1 => Just(0.0),
        1 => -10.0f64..0.0,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::from_bits(1)),
    ]
}

/// Series `s0, s1, ...` from `(values, first year after 2000, target)`.
fn panel(series: &[(Vec<f64>, i32, Option<f64>)]) -> Vec<SeriesData> {
    series
        .iter()
        .enumerate()
        .map(|(i, (values, start, target))| {
            let mut s = SeriesData::new(format!("s{i}"), values.clone());
            s.first_year = Some(2000 + start);
            s.target_growth_pct = *target;
            s
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn any_panel_fits_or_is_an_error_and_forecasts_are_finite_or_errors(
        series in proptest::collection::vec(
            (proptest::collection::vec(value(8), 0..14), 0i32..6, Just(None)), 1..6),
        horizons in 1usize..7,
    ) {
        let panel = panel(&series);
        let Ok(fits) = Calibrated::default().fit_panel(&panel, horizons) else {
            return Ok(());
        };
        for (i, s) in panel.iter().enumerate() {
            for origin in 0..=s.values.len() {
                // What a scenario writes down gives the same numbers,
                // without a panic either.
                if let Some(p) = fits.series_params(i, origin) {
                    for h in 0..=horizons + 2 {
                        prop_assert!(p.predictive(h).iter().all(|c| !c.sigma.is_nan()));
                    }
                }
                let Ok(fit) = fits.fit(i, origin) else { continue };
                for h in 1..=horizons + 2 {
                    if let Ok(f) = fit.forecast(h) {
                        // A level below the smallest double is 0 (a fall
                        // from 50 to 1e-300 forecasts e^-1000 next).
                        prop_assert!(f.point.is_finite() && f.point >= 0.0, "{f:?}");
                        for q in [0.025, 0.1, 0.5, 0.9, 0.975] {
                            if let Ok(x) = f.predictive.quantile(q) {
                                prop_assert!(!x.is_nan(), "quantile {q}: {x}");
                            }
                        }
                    }
                }
            }
        }
        for year in fits.year(2000).iter() {
            prop_assert!(year.spread_skill.iter().all(|k| k.slope.is_finite()));
        }
    }

    #[test]
    fn any_panel_backtests_without_a_panic(
        series in proptest::collection::vec(
            (
                proptest::collection::vec(value(60), 0..12),
                0i32..5,
                proptest::option::of(-50.0f64..50.0),
            ),
            1..5),
        horizons in 1usize..5,
        min_train in 1usize..5,
    ) {
        let panel = panel(&series);
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
