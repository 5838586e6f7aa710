//! The backtest harness end to end: target-probability scores by hand, the
//! streaming summary against the rows, thread-count invariance, the true
//! process's method winning on synthetic data, CSV output and bad requests.

use attain::forecast::backtest::{
    Climatology, Config, Metric, PitHistogram, Row, Score, SeriesData, backtest, evaluate,
    leaderboard, pit_histograms, target_calibration, write_pit_csv, write_rows_csv,
    write_scores_csv,
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
    // Rows are added in their order, so the sums are the rows' own, bit for
    // bit (72 series: more than one batch of the streaming summary).
    assert_eq!(one.scores, board);
    assert_eq!(one.calibration, target_calibration(&rows));
    assert_eq!(one.pit, pit_histograms(&rows));
    let problem_rows = rows.iter().filter(|r| r.problem.is_some()).count();
    assert_eq!(
        one.problems.iter().map(|p| p.rows).sum::<usize>(),
        problem_rows
    );
    assert!(problem_rows > 0);
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
            max_origins: None,
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
fn pit_histograms_by_hand() {
    // Naive on 1, 2, 3, 5 (min_train 2, H 2): origin 2 forecasts N(2, 1) at
    // h1 (actual 3, PIT Phi(1) = 0.841: bin 8) and N(2, 2) at h2 (actual 5,
    // PIT Phi(3 / sqrt 2) = 0.983: bin 9); origin 3 N(3, 1) (actual 5, PIT
    // Phi(2) = 0.977: bin 9).
    let s = [SeriesData::new("x", vec![1.0, 2.0, 3.0, 5.0])];
    let methods: Vec<Box<dyn Method>> = vec![Box::new(Naive)];
    let rows = backtest(&methods, &s, &Config::new(2, 2).unwrap()).unwrap();
    close(rows[0].pit.unwrap(), 0.8413447460685429, 1e-10);
    let pit = pit_histograms(&rows);
    let bins = |h: Option<usize>| pit.iter().find(|p| p.horizon == h).unwrap();
    assert_eq!(pit.len(), 3);
    assert_eq!(bins(Some(1)).counts, [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    assert_eq!(bins(Some(2)).counts, [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    let all = bins(None);
    assert_eq!(all.counts, [0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
    assert_eq!((all.count, all.missing), (3, 0));
    // Expected 0.3 a bin: 8 * 0.3 + 0.7^2 / 0.3 + 1.7^2 / 0.3 = 41/3; its
    // chi-square(9) upper tail from the regularized gamma Q(4.5, 41/6).
    close(all.chi2.unwrap(), 41.0 / 3.0, 1e-12);
    close(all.p_value.unwrap(), 0.1346863858048507, 1e-9);
    // Shares 0 (eight bins), 1/3, 2/3: (0.8 + 7/30 + 17/30) / 10 = 0.16.
    close(all.calibration_error.unwrap(), 0.16, 1e-15);
    // A flat histogram is uniform; chi2 = 9 (the mean) has p = 0.437.
    let flat = PitHistogram::from_counts("m", None, vec![5; 10], 2);
    assert_eq!(
        (flat.chi2, flat.p_value, flat.calibration_error, flat.count),
        (Some(0.0), Some(1.0), Some(0.0), 50)
    );
    // Expected 10 a bin, every bin 3 off: 10 * 3^2 / 10 = 9; shares 0.03
    // off 0.1.
    let nine = PitHistogram::from_counts("m", None, vec![13, 7, 13, 7, 13, 7, 13, 7, 13, 7], 0);
    close(nine.chi2.unwrap(), 9.0, 1e-12);
    close(nine.p_value.unwrap(), 0.43727418891386716, 1e-9);
    close(nine.calibration_error.unwrap(), 0.03, 1e-15);
    let empty = PitHistogram::from_counts("m", Some(1), vec![0; 10], 4);
    assert_eq!(
        (empty.chi2, empty.p_value, empty.calibration_error),
        (None, None, None)
    );
    // Tidy CSV: one line per bin.
    let mut buf = Vec::new();
    write_pit_csv(&pit, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "method,horizon,bin,lower,upper,count,share,n,missing,chi2,p_value,calibration_error"
    );
    assert_eq!(lines.len(), 1 + 3 * 10);
    // Horizon 1's bin 8: one of its two PITs; chi2 8 * 0.2 + 2 * 0.8^2 / 0.2
    // = 8 (p = Q(4.5, 4) = 0.534), error (0.8 + 2 * 0.4) / 10 = 0.16.
    let f: Vec<&str> = lines[9].split(',').collect();
    assert_eq!(
        f[..9],
        ["naive", "1", "8", "0.8", "0.9", "1", "0.5", "2", "0"]
    );
    let num = |k: usize| f[k].parse::<f64>().unwrap();
    close(num(9), 8.0, 1e-12);
    close(num(10), 0.5341462169096917, 1e-9);
    close(num(11), 0.16, 1e-15);
}

/// A panel with years and a 0% target (the value does not fall), for the
/// climatology by hand.
fn years_panel() -> Vec<SeriesData> {
    let mut a = SeriesData::new("a", vec![1.0, 2.0, 1.0, 3.0, 4.0]);
    a.first_year = Some(2000);
    a.target_growth_pct = Some(0.0);
    let mut b = SeriesData::new("b", vec![5.0, 4.0, 3.0]);
    b.first_year = Some(2001);
    b.target_growth_pct = Some(0.0);
    vec![a, b]
}

#[test]
fn climatology_and_brier_skill_by_hand() {
    // Outcomes (min_train 2, H 2), by origin year -> outcome year:
    //   a origin 2 (2001, value 2): h1 2002 = 1 no; h2 2003 = 3 yes
    //   a origin 3 (2002, 1): h1 2003 yes; h2 2004 yes
    //   a origin 4 (2003, 3): h1 2004 yes
    //   b origin 2 (2002, 4): h1 2003 = 3 no
    // Climatology at h1, origin year T: h1 outcomes dated <= T. T = 2001:
    // none; 2002: a's 2002 (no) -> 0; 2003: + a yes, b no -> 1/3. At h2 no
    // outcome is dated by 2002, the last origin year with an h2 forecast.
    let panel = years_panel();
    let methods: Vec<Box<dyn Method>> = vec![Box::new(Naive)];
    let config = Config::new(2, 2).unwrap();
    let rows = backtest(&methods, &panel, &config).unwrap();
    // (series, origin, horizon, origin year, met, p_climate)
    type Seen<'a> = (&'a str, usize, usize, i64, Option<bool>, Option<f64>);
    let got: Vec<Seen> = rows
        .iter()
        .map(|r| {
            (
                r.series.as_str(),
                r.origin,
                r.horizon,
                r.year,
                r.met,
                r.p_climate,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("a", 2, 1, 2001, Some(false), None),
            ("a", 2, 2, 2001, Some(true), None),
            ("a", 3, 1, 2002, Some(true), Some(0.0)),
            ("a", 3, 2, 2002, Some(true), None),
            ("a", 4, 1, 2003, Some(true), Some(1.0 / 3.0)),
            ("b", 2, 1, 2002, Some(false), Some(0.0)),
        ]
    );
    // Naive's predictive is symmetric about the last value, the target level
    // with 0% growth: every p_target is 1/2, every Brier term 1/4.
    assert!(rows.iter().all(|r| r.p_target == Some(0.5)));
    // Climatology terms on the three rows that have one: (0 - 1)^2,
    // (1/3 - 1)^2, (0 - 0)^2: mean 13/27. Skill 1 - (3/4) / (13/9) = 25/52.
    let b = leaderboard(&rows);
    let climate = get(&b, "naive", Some(1), Metric::BrierClimate);
    close(climate.value.unwrap(), 13.0 / 27.0, 1e-15);
    assert_eq!((climate.count, climate.missing), (3, 1));
    let skill = get(&b, "naive", Some(1), Metric::BrierSkill);
    close(skill.value.unwrap(), 25.0 / 52.0, 1e-15);
    assert_eq!((skill.count, skill.missing), (3, 1));
    assert_eq!(get(&b, "naive", Some(1), Metric::Brier).count, 4);
    // h2: no climatology yet; all horizons: the h1 rows again.
    let h2 = get(&b, "naive", Some(2), Metric::BrierSkill);
    assert_eq!((h2.value, h2.count, h2.missing), (None, 0, 2));
    let all = get(&b, "naive", None, Metric::BrierSkill);
    close(all.value.unwrap(), 25.0 / 52.0, 1e-15);
    assert_eq!((all.count, all.missing), (3, 3));
    // The calibration carries the same numbers, and the stream agrees.
    let cal = target_calibration(&rows);
    let c1 = cal.iter().find(|c| c.horizon == Some(1)).unwrap();
    close(c1.brier_climate.unwrap(), 13.0 / 27.0, 1e-15);
    close(c1.brier_skill.unwrap(), 25.0 / 52.0, 1e-15);
    assert_eq!(c1.skill_count, 3);
    let c2 = cal.iter().find(|c| c.horizon == Some(2)).unwrap();
    assert_eq!(
        (c2.brier_climate, c2.brier_skill, c2.skill_count),
        (None, None, 0)
    );
    let summary = evaluate(&methods, &panel, &config).unwrap();
    assert_eq!(summary.calibration, cal);
    assert_eq!(summary.pit, pit_histograms(&rows));
    // The climatology is the data's, not the method's: another method's
    // forecasts carry the same p_climate (its problem rows carry none).
    let drift: Vec<Box<dyn Method>> = vec![Box::new(RandomWalkDrift)];
    let other = backtest(&drift, &panel, &config).unwrap();
    let mut same = 0;
    for (a, b) in rows.iter().zip(&other) {
        if b.problem.is_none() {
            assert_eq!(a.p_climate, b.p_climate);
            same += usize::from(b.p_climate.is_some());
        }
    }
    assert_eq!(same, 2);
    // Climatology::probability is what the rows hold.
    let table = Climatology::new(&panel, &config);
    assert_eq!(table.probability(1, 2003), Some(1.0 / 3.0));
    assert_eq!(table.past_outcomes(1, 2003), (1, 3));
}

#[test]
fn climatology_does_not_look_ahead() {
    // Series with years and the average-growth target; then every value
    // dated after 2010 is changed. Forecasts made by 2010 keep their
    // climatology; later ones see the new outcomes.
    let mut series = generate(
        &Process::IidLogGrowth {
            mean: 0.05,
            sd: 0.04,
        },
        30,
        20,
        100.0,
        5,
    )
    .unwrap();
    for (k, s) in series.iter_mut().enumerate() {
        s.first_year = Some(1995 + (k % 4) as i32);
        s.target_growth_pct = Some(5.0);
    }
    let methods: Vec<Box<dyn Method>> = vec![Box::new(Naive)];
    let config = Config::new(3, 4).unwrap();
    let before = backtest(&methods, &series, &config).unwrap();
    let mut changed = series.clone();
    for s in &mut changed {
        for k in 0..s.values.len() {
            if s.year(k) > 2010 {
                s.values[k] *= if k % 2 == 0 { 0.5 } else { 1.7 };
            }
        }
    }
    let after = backtest(&methods, &changed, &config).unwrap();
    assert_eq!(before.len(), after.len());
    let (mut early, mut moved) = (0, 0);
    for (a, b) in before.iter().zip(&after) {
        assert_eq!((a.year, a.horizon), (b.year, b.horizon));
        if a.year <= 2010 {
            assert!(a.p_climate.is_some() || a.year < 2002, "{a:?}");
            assert_eq!(a.p_climate, b.p_climate, "{a:?}");
            early += 1;
        } else if a.p_climate != b.p_climate {
            moved += 1;
        }
    }
    // Both kinds exist, so the test can fail either way.
    assert!(early > 100 && moved > 100, "{early} {moved}");
    // And the table itself: look-ups up to 2010 are unchanged.
    let (t0, t1) = (
        Climatology::new(&series, &config),
        Climatology::new(&changed, &config),
    );
    for h in 1..=3 {
        for year in 1995..=2010 {
            assert_eq!(t0.past_outcomes(h, year), t1.past_outcomes(h, year));
        }
        assert_ne!(t0.past_outcomes(h, 2014), t1.past_outcomes(h, 2014));
    }
}

#[test]
fn calibration_report_is_the_same_on_any_thread_count() {
    // More series than one chunk of the stream, with years and targets, so
    // partial PIT counts and climatology sums merge.
    let mut series = mixed_series();
    for (k, s) in series.iter_mut().enumerate() {
        s.first_year = Some(2000 + (k % 5) as i32);
        s.target_growth_pct = Some(6.0);
    }
    let methods: Vec<Box<dyn Method>> = vec![Box::new(Naive), Box::new(RandomWalkDrift)];
    let config = Config::new(3, 6).unwrap();
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| evaluate(&methods, &series, &config).unwrap())
    };
    let one = run(1);
    for threads in [2, 5] {
        let other = run(threads);
        assert_eq!(one.pit, other.pit);
        for (a, b) in one.calibration.iter().zip(&other.calibration) {
            assert_eq!(
                a.brier_skill.map(f64::to_bits),
                b.brier_skill.map(f64::to_bits)
            );
            assert_eq!(
                a.brier_climate.map(f64::to_bits),
                b.brier_climate.map(f64::to_bits)
            );
        }
        assert_eq!(one, other);
    }
    // The stream's histograms are the rows' (integer counts: exactly).
    let rows = backtest(&methods, &series, &config).unwrap();
    assert_eq!(one.pit, pit_histograms(&rows));
    let skill = one
        .calibration
        .iter()
        .find(|c| c.method == "rw_drift" && c.horizon.is_none())
        .unwrap();
    assert!(skill.skill_count > 0 && skill.brier_skill.is_some());
    let b = leaderboard(&rows);
    close(
        get(&b, "rw_drift", None, Metric::BrierSkill).value.unwrap(),
        skill.brier_skill.unwrap(),
        1e-12,
    );
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

#[test]
fn max_origins_keeps_the_most_recent_origins_and_bounds_the_time() {
    // 1, 2, ..., 12: origins 3..=11 uncapped; capped at 4, origins 8..=11,
    // whose rows are exactly the uncapped run's rows at those origins.
    let s = SeriesData::new("x", (1..=12).map(f64::from).collect());
    let methods: Vec<Box<dyn Method>> = vec![Box::new(Naive), Box::new(RandomWalkDrift)];
    let all = backtest(
        &methods,
        std::slice::from_ref(&s),
        &Config::new(2, 3).unwrap(),
    )
    .unwrap();
    let capped_config = Config::new(2, 3).unwrap().with_max_origins(4).unwrap();
    let capped = backtest(&methods, std::slice::from_ref(&s), &capped_config).unwrap();
    let origins: std::collections::BTreeSet<usize> = capped.iter().map(|r| r.origin).collect();
    assert_eq!(origins.into_iter().collect::<Vec<_>>(), [8, 9, 10, 11]);
    let kept: Vec<&Row> = all.iter().filter(|r| r.origin >= 8).collect();
    assert_eq!(capped.iter().collect::<Vec<_>>(), kept);
    assert!(Config::new(2, 3).unwrap().with_max_origins(0).is_err());
    // A series of 200,000 years with the default cap of the program: time
    // in proportion to its length (uncapped it would be quadratic, hours).
    let long = SeriesData::new(
        "long",
        (0..200_000)
            .map(|t| 100.0 * (1.0 + 1e-6 * f64::from(t)))
            .collect(),
    );
    let t = std::time::Instant::now();
    let config = Config::new(3, 5).unwrap().with_max_origins(50).unwrap();
    let rows = backtest(&methods, &[long], &config).unwrap();
    // 50 origins, 3 horizons (2 and 1 for the last two), 2 methods.
    assert_eq!(rows.len(), 2 * (48 * 3 + 2 + 1));
    assert!(t.elapsed().as_secs_f64() < 10.0, "{:?}", t.elapsed());
}
