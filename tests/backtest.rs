//! The backtest harness end to end: target-probability scores by hand, the
//! streaming summary against the rows, thread-count invariance, the true
//! process's method winning on synthetic data, CSV output and bad requests.

use attain::forecast::backtest::{
    Config, Metric, Row, Score, SeriesData, backtest, evaluate, leaderboard, target_calibration,
    write_rows_csv, write_scores_csv,
};
use attain::forecast::score::brier_decomposition;
use attain::forecast::synthetic::{Process, generate};
use attain::forecast::{Ar1Growth, Method, Naive, RandomWalkDrift};

fn get<'a>(board: &'a [Score], method: &str, h: Option<usize>, metric: Metric) -> &'a Score {
    board
        .iter()
        .find(|s| s.method == method && s.horizon == h && s.metric == metric)
        .unwrap_or_else(|| panic!("no {method} {h:?} {metric:?}"))
}

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() <= tol, "{a} vs {b}");
}

#[test]
fn target_probabilities_by_hand() {
    // 1, 2, 3, 5 with a 50% target growth, naive, min_train 2, H 2.
    // Origin 2: N(2, 1) at h1 against 2 * 1.5 = 3 (met by 3):
    // p = 1 - Phi(1) = 0.158655; N(2, 2) at h2 against 4.5 (met by 5):
    // p = 1 - Phi(2.5 / sqrt 2) = 0.0385499. Origin 3: N(3, 1) against 4.5
    // (met by 5): p = 1 - Phi(1.5) = 0.0668072 (python's math.erfc).
    let mut s = SeriesData::new("x", vec![1.0, 2.0, 3.0, 5.0]);
    s.target_growth_pct = Some(50.0);
    let methods: Vec<Box<dyn Method>> = vec![Box::new(Naive)];
    let rows = backtest(&methods, &[s], &Config::new(2, 2).unwrap()).unwrap();
    let p: Vec<f64> = rows.iter().map(|r| r.p_target.unwrap()).collect();
    close(p[0], 0.15865525393145707, 1e-10);
    close(p[1], 0.03854993587177092, 1e-10);
    close(p[2], 0.06680720126885809, 1e-10);
    assert_eq!(rows[0].threshold, Some(3.0));
    assert_eq!(rows[1].threshold, Some(4.5));
    assert!(rows.iter().all(|r| r.met == Some(true)));
    // Scaled CRPS divides by the window's naive error: origin 2's is |2 - 1|.
    let mut r = rows[0].clone();
    assert_eq!(r.scale, Some(1.0));
    r.scale = Some(4.0);
    assert_eq!(r.term(Metric::CrpsScaled), Some(r.crps.unwrap() / 4.0));
    r.scale = None;
    assert_eq!(r.term(Metric::CrpsScaled), None);
    let b = leaderboard(&rows);
    close(
        get(&b, "naive", Some(1), Metric::Brier).value.unwrap(),
        0.7893548906704013,
        1e-10,
    );
    close(
        get(&b, "naive", Some(2), Metric::Brier).value.unwrap(),
        0.9243862258121758,
        1e-10,
    );
    close(
        get(&b, "naive", None, Metric::Brier).value.unwrap(),
        0.8343653357176595,
        1e-10,
    );
    // The calibration over all horizons is the decomposition of the three.
    let cal = target_calibration(&rows);
    let all = cal.iter().find(|c| c.horizon.is_none()).unwrap();
    let direct = brier_decomposition(&p, &[true; 3], 10).unwrap();
    close(all.decomposition.brier, direct.brier, 1e-15);
    close(all.decomposition.reliability, direct.reliability, 1e-15);
    close(all.decomposition.resolution, direct.resolution, 1e-15);
    assert_eq!(all.decomposition.table, direct.table);
    // Without a target there is no Brier term and no calibration.
    let plain = [SeriesData::new("y", vec![1.0, 2.0, 3.0, 5.0])];
    let rows = backtest(&methods, &plain, &Config::new(2, 2).unwrap()).unwrap();
    let b = leaderboard(&rows);
    assert_eq!(get(&b, "naive", None, Metric::Brier).value, None);
    assert!(target_calibration(&rows).is_empty());
}

fn mixed_series() -> Vec<SeriesData> {
    let mut s = generate(
        &Process::Ar1Growth {
            mean: 0.06,
            phi: 0.6,
            sd: 0.03,
        },
        70,
        16,
        100.0,
        11,
    )
    .unwrap();
    s.push(SeriesData::new("short", vec![1.0, 2.0]));
    s.push(SeriesData::new(
        "negative",
        vec![5.0, 6.0, -1.0, 7.0, 8.0, 9.0, 10.0],
    ));
    s
}

#[test]
fn streaming_summary_matches_the_rows_on_any_thread_count() {
    let series = mixed_series();
    let methods: Vec<Box<dyn Method>> = vec![
        Box::new(Naive),
        Box::new(RandomWalkDrift),
        Box::new(Ar1Growth),
    ];
    let config = Config::new(3, 6).unwrap();
    let rows = backtest(&methods, &series, &config).unwrap();
    let board = leaderboard(&rows);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| evaluate(&methods, &series, &config).unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(7));
    let rows_on = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| backtest(&methods, &series, &config).unwrap())
    };
    assert_eq!(rows, rows_on(1));
    assert_eq!(rows, rows_on(3));
    assert_eq!(one.series, series.len());
    assert_eq!(one.scores.len(), board.len());
    for (a, b) in one.scores.iter().zip(&board) {
        assert_eq!(
            (&a.method, a.horizon, a.metric, a.count, a.missing),
            (&b.method, b.horizon, b.metric, b.count, b.missing)
        );
        match (a.value, b.value) {
            (Some(x), Some(y)) => close(x, y, 1e-12 * y.abs().max(1.0)),
            (x, y) => assert_eq!(x, y),
        }
    }
    let cal = target_calibration(&rows);
    assert_eq!(one.calibration.len(), cal.len());
    for (a, b) in one.calibration.iter().zip(&cal) {
        assert_eq!(a.decomposition.table.len(), b.decomposition.table.len());
        close(a.decomposition.brier, b.decomposition.brier, 1e-10);
        close(
            a.decomposition.resolution,
            b.decomposition.resolution,
            1e-10,
        );
    }
    // Problems are reported per method and series, not skipped.
    let short: Vec<_> = one
        .problems
        .iter()
        .filter(|p| p.series == "short")
        .collect();
    assert_eq!(short.len(), 3);
    assert!(short[0].first.contains("too short"));
    let neg: Vec<_> = one
        .problems
        .iter()
        .filter(|p| p.series == "negative")
        .collect();
    // Naive works on any finite values; the log methods refuse -1.
    assert_eq!(
        neg.iter().map(|p| p.method.as_str()).collect::<Vec<_>>(),
        ["rw_drift", "ar1_growth"]
    );
    assert!(neg[0].first.contains("must be > 0"), "{}", neg[0].first);
}

/// Mean CRPS at horizon `h` of each method on `series`.
fn crps_by_method(methods: &[Box<dyn Method>], series: &[SeriesData], h: usize) -> Vec<f64> {
    let summary = evaluate(methods, series, &Config::new(h, 12).unwrap()).unwrap();
    methods
        .iter()
        .map(|m| {
            get(&summary.scores, &m.name(), Some(h), Metric::Crps)
                .value
                .unwrap()
        })
        .collect()
}

#[test]
fn the_true_process_method_wins_on_average() {
    let methods: Vec<Box<dyn Method>> = vec![
        Box::new(Naive),
        Box::new(RandomWalkDrift),
        Box::new(Ar1Growth),
    ];
    // Persistent growth: AR(1) beats the random walks.
    let ar1 = generate(
        &Process::Ar1Growth {
            mean: 0.05,
            phi: 0.8,
            sd: 0.02,
        },
        400,
        30,
        100.0,
        1,
    )
    .unwrap();
    let c = crps_by_method(&methods, &ar1, 2);
    assert!(c[2] < c[1] && c[2] < c[0], "{c:?}");
    // I.i.d. growth: the drift random walk beats AR(1) (an extra parameter
    // with nothing to find) and naive (no drift).
    let iid = generate(
        &Process::IidLogGrowth {
            mean: 0.05,
            sd: 0.02,
        },
        400,
        30,
        100.0,
        6,
    )
    .unwrap();
    let c = crps_by_method(&methods, &iid, 2);
    assert!(c[1] < c[2] && c[1] < c[0], "{c:?}");
    // A shock mixture is still i.i.d. growth (normal years and shock years
    // drawn independently): the i.i.d. method wins against the persistent
    // and the driftless ones, though its normal predictive is not the
    // mixture's.
    let shock = generate(
        &Process::ShockMixture {
            mean: 0.07,
            sd: 0.02,
            probability: 0.1,
            impact: -0.2,
        },
        400,
        30,
        100.0,
        3,
    )
    .unwrap();
    let c = crps_by_method(&methods, &shock, 2);
    assert!(c[1] < c[2] && c[1] < c[0], "{c:?}");
}

#[test]
fn csv_output_parses_back() {
    let series = mixed_series();
    let methods: Vec<Box<dyn Method>> = vec![Box::new(Naive)];
    let config = Config::new(2, 6).unwrap();
    let rows = backtest(&methods, &series, &config).unwrap();
    let mut buf = Vec::new();
    write_rows_csv(&rows, &mut buf).unwrap();
    let mut r = csv::Reader::from_reader(buf.as_slice());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        &header[..6],
        ["method", "series", "origin", "horizon", "actual", "point"]
    );
    assert!(header.contains(&"p_target".to_string()));
    let records: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(records.len(), rows.len());
    let first: f64 = records[0][5].parse().unwrap();
    assert_eq!(first, rows[0].point.unwrap());
    let board = leaderboard(&rows);
    let mut buf = Vec::new();
    write_scores_csv(&board, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("method,horizon,metric,value,count,missing")
    );
    assert!(lines.next().unwrap().starts_with("naive,1,mae,"));
    assert!(text.lines().any(|l| l.starts_with("naive,,brier,")));
}

#[test]
fn bad_requests_are_typed_errors() {
    let methods: Vec<Box<dyn Method>> = vec![Box::new(Naive)];
    let s = [SeriesData::new("x", vec![1.0, 2.0, 3.0, 4.0, 5.0])];
    let e = backtest(&methods, &s, &Config::new(4, 2).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("horizons") && e.contains("at most 3"), "{e}");
    // Sizes that would overflow are refused, not wrapped.
    for (h, m) in [(usize::MAX, 2), (1, usize::MAX), (usize::MAX, usize::MAX)] {
        let c = Config {
            horizons: h,
            min_train: m,
        };
        assert!(backtest(&methods, &s, &c).is_err());
        assert!(evaluate(&methods, &s, &c).is_err());
    }
    assert!(evaluate(&methods, &[], &Config::new(1, 2).unwrap()).is_err());
    let mut bad = s[0].clone();
    bad.target_growth_pct = Some(-100.0);
    let e = evaluate(&methods, &[bad], &Config::new(1, 2).unwrap())
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "indicator \"x\": target_growth_pct must be finite and > -100, got -100"
    );
    assert!(evaluate(&[], &s, &Config::new(1, 2).unwrap()).is_err());
    // A value that is not a number is refused, naming the series and where.
    for v in [f64::NAN, f64::INFINITY] {
        let mut bad = s[0].clone();
        bad.values[3] = v;
        for e in [
            backtest(
                &methods,
                &[s[0].clone(), bad.clone()],
                &Config::new(1, 2).unwrap(),
            )
            .unwrap_err(),
            evaluate(&methods, &[bad], &Config::new(1, 2).unwrap()).unwrap_err(),
        ] {
            assert_eq!(
                e.to_string(),
                format!("indicator \"x\": values must be finite numbers, got {v} at position 3")
            );
        }
    }
    // An empty series among others is a row with a problem, not an error.
    let with_empty = [s[0].clone(), SeriesData::new("empty", vec![])];
    let summary = evaluate(&methods, &with_empty, &Config::new(1, 2).unwrap()).unwrap();
    assert_eq!(summary.problems.len(), 1);
    assert_eq!(summary.problems[0].series, "empty");
}

#[test]
fn synthetic_correctly_specified_intervals_cover_at_nominal_rates() {
    // One origin per series (60 values to train, the 61st scored), so the
    // 2000 forecasts are independent; with the sd estimated from 59 growths
    // the exact coverage is Student-t(58)'s, within 0.005 of nominal. The
    // tolerance is 4.5 binomial standard errors.
    let n = 2000;
    let series = generate(
        &Process::IidLogGrowth {
            mean: 0.04,
            sd: 0.05,
        },
        n,
        61,
        10.0,
        23,
    )
    .unwrap();
    let methods: Vec<Box<dyn Method>> = vec![Box::new(RandomWalkDrift)];
    let summary = evaluate(&methods, &series, &Config::new(1, 60).unwrap()).unwrap();
    for (metric, nominal) in [(Metric::Coverage95, 0.95), (Metric::Coverage80, 0.8)] {
        let s = get(&summary.scores, "rw_drift", Some(1), metric);
        assert_eq!(s.count, n);
        let tol = 4.5 * (nominal * (1.0 - nominal) / n as f64).sqrt();
        assert!(
            (s.value.unwrap() - nominal).abs() < tol,
            "{metric:?}: {s:?}"
        );
    }
    // The target (the median growth) is met about half the time, and the
    // probabilities are calibrated: reliability small against uncertainty.
    let cal = &summary.calibration[0].decomposition;
    assert!((cal.uncertainty - 0.25).abs() < 0.01, "{cal:?}");
    assert!(cal.reliability < 0.01, "{cal:?}");
}

#[test]
fn the_plan_path_follows_each_series_declared_growth() {
    use attain::forecast::PlanPath;
    // Exactly 10% a year: the declared plan path at the series' 10% is
    // exact; one built with its own rate keeps it.
    let values: Vec<f64> = (0..8).map(|t| 100.0 * 1.1f64.powi(t)).collect();
    let mut s = SeriesData::new("x", values.clone());
    s.target_growth_pct = Some(10.0);
    let config = Config::new(2, 4).unwrap();
    let mae = |methods: &[Box<dyn Method>], s: &SeriesData| {
        let b = evaluate(methods, std::slice::from_ref(s), &config).unwrap();
        get(&b.scores, "plan_path", None, Metric::Mae).value
    };
    let declared: Vec<Box<dyn Method>> = vec![Box::new(PlanPath::declared())];
    assert!(mae(&declared, &s).unwrap() < 1e-9);
    let own: Vec<Box<dyn Method>> = vec![Box::new(PlanPath::new(0.0).unwrap())];
    assert!(mae(&own, &s).unwrap() > 10.0);
    // With no rate of its own and none declared, every forecast is a problem.
    let plain = SeriesData::new("x", values);
    assert_eq!(mae(&declared, &plain), None);
    let b = evaluate(&declared, &[plain], &config).unwrap();
    assert_eq!(b.problems.len(), 1);
    assert!(b.problems[0].first.contains("no declared growth"));
}

#[test]
fn the_shipped_history_loads_with_its_gaps_filled_and_reported() {
    use attain::forecast::history::{Gaps, yearly_series};
    use attain::plan::actuals::Actuals;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/hunan_history.csv");
    let a = Actuals::read(path).unwrap();
    let e = yearly_series(&a, Gaps::Refuse).unwrap_err().to_string();
    assert!(
        e.contains("trade_total") && e.contains("2016 to 2019"),
        "{e}"
    );
    let s = yearly_series(&a, Gaps::Geometric).unwrap();
    let trade = s.iter().find(|y| y.data.id == "trade_total").unwrap();
    assert_eq!(trade.first_year, 2015);
    assert_eq!(trade.filled, [2016, 2017, 2018, 2019]);
    assert_eq!(trade.data.values.len(), 8);
    assert_eq!(trade.data.values[5], 4874.5);
    // 1825.9 -> 4874.5 over five years: 21.7% a year, as the plan prints.
    let g = (trade.data.values[5] / trade.data.values[0]).powf(0.2) - 1.0;
    assert!((g - 0.217).abs() < 0.0005, "{g}");
    assert!((trade.data.values[1] / trade.data.values[0] - 1.0 - g).abs() < 1e-12);
    assert_eq!(trade.unverified, 3);
}

#[test]
fn a_monitor_counts_series_and_stops_the_backtest() {
    use attain::forecast::backtest::{backtest_with, evaluate_with};
    use attain::monitor::Monitor;
    use std::sync::atomic::Ordering;
    let series = mixed_series();
    let methods: Vec<Box<dyn Method>> = vec![Box::new(Naive)];
    let config = Config::new(2, 6).unwrap();
    let m = Monitor::default();
    let rows = backtest_with(&methods, &series, &config, Some(&m)).unwrap();
    assert_eq!(rows, backtest(&methods, &series, &config).unwrap());
    assert_eq!(m.done.load(Ordering::Relaxed), series.len() as u64);
    let m = Monitor::default();
    let summary = evaluate_with(&methods, &series, &config, Some(&m)).unwrap();
    assert_eq!(summary, evaluate(&methods, &series, &config).unwrap());
    assert_eq!(m.done.load(Ordering::Relaxed), series.len() as u64);
    // A stop flag set beforehand stops both before any series.
    m.done.store(0, Ordering::Relaxed);
    m.cancel.store(true, Ordering::Relaxed);
    let e = backtest_with(&methods, &series, &config, Some(&m)).unwrap_err();
    assert_eq!(e.to_string(), "cancelled after 0 series");
    let e = evaluate_with(&methods, &series, &config, Some(&m)).unwrap_err();
    assert_eq!(e.to_string(), "cancelled after 0 series");
}

#[test]
fn no_method_looks_ahead() {
    // Every method, pooled or not: change every value dated after the
    // origin year (in every series, with staggered calendar years), and no
    // forecast made at or before that year may change.
    let mut series = generate(&Process::STANDARD_MIX[1], 12, 24, 100.0, 8).unwrap();
    for (i, s) in series.iter_mut().enumerate() {
        s.first_year = Some(1990 + (i % 4) as i32);
    }
    let mut methods = attain::forecast::standard_methods();
    methods.push(Box::new(attain::forecast::Calibrated::without(
        attain::forecast::calibrated::Part::Pooling,
    )));
    let config = Config::new(4, 5).unwrap();
    let before = backtest(&methods, &series, &config).unwrap();
    let cut = 2004i64;
    let mut changed = series.clone();
    for s in &mut changed {
        for k in 0..s.values.len() {
            if s.year(k) > cut {
                s.values[k] *= 1.0 + 0.5 * ((k % 3) as f64 - 1.0);
            }
        }
    }
    let after = backtest(&methods, &changed, &config).unwrap();
    assert_eq!(before.len(), after.len());
    let mut compared = 0;
    for (a, b) in before.iter().zip(&after) {
        if a.year <= cut && a.problem.is_none() {
            let q = |r: &Row| {
                [r.point, r.q025, r.q25, r.q50, r.q75, r.q975].map(|v| v.map(f64::to_bits))
            };
            assert_eq!(q(a), q(b), "{} {} origin {}", a.method, a.series, a.origin);
            compared += 1;
        }
    }
    assert!(compared > 1000, "{compared}");
    // And the change is seen after the cut.
    assert!(
        before
            .iter()
            .zip(&after)
            .any(|(a, b)| a.year > cut && a.q50 != b.q50)
    );
}
