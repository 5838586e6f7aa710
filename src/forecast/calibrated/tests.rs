use super::*;
use crate::forecast::backtest::{Config, Row, backtest};
use crate::forecast::synthetic::{Process, generate};

fn panel(process: &Process, count: usize, len: usize, seed: u64) -> Vec<SeriesData> {
    generate(process, count, len, 100.0, seed).unwrap()
}

/// Coverage of the central `level` interval over `rows` at horizon `h`.
fn coverage(rows: &[Row], h: usize, level: f64) -> (f64, usize) {
    let sel: Vec<&Row> = rows
        .iter()
        .filter(|r| r.horizon == h && r.crps.is_some())
        .collect();
    let inside = sel
        .iter()
        .filter(|r| {
            let (l, u) = if level == 0.8 {
                (r.q10.unwrap(), r.q90.unwrap())
            } else {
                (r.q025.unwrap(), r.q975.unwrap())
            };
            let a = r.actual.unwrap();
            l <= a && a <= u
        })
        .count();
    (inside as f64 / sel.len() as f64, sel.len())
}

#[test]
fn coverage_is_nominal_on_every_synthetic_process() {
    // 300 series of 26 values; one scored origin per series and horizon
    // (20 values to train), so that the forecasts are independent given the
    // panel's pooled parts. Tolerance: 4.5 binomial standard errors.
    let mut processes = Process::STANDARD_MIX.to_vec();
    processes.push(Process::IidLogGrowth {
        mean: 0.02,
        sd: 0.1,
    });
    // A break in the drift every ten years on average.
    processes.push(Process::DriftBreaks {
        mean: 0.06,
        sd: 0.03,
        probability: 0.1,
        break_sd: 0.03,
    });
    for (k, p) in processes.iter().enumerate() {
        let s = panel(p, 300, 26, 40 + k as u64);
        let rows = backtest(
            &[Box::new(Calibrated::default()) as Box<dyn Method>],
            &s,
            &Config::new(5, 20).unwrap(),
        )
        .unwrap();
        let first: Vec<Row> = rows.into_iter().filter(|r| r.origin == 20).collect();
        for h in [1, 3, 5] {
            for level in [0.8, 0.95] {
                let (c, n) = coverage(&first, h, level);
                assert_eq!(n, 300);
                let tol = 4.5 * (level * (1.0 - level) / n as f64).sqrt();
                assert!((c - level).abs() < tol, "{p:?} h{h} {level}: {c}");
            }
        }
    }
}

#[test]
fn same_numbers_on_any_number_of_threads() {
    let s = panel(&Process::STANDARD_MIX[2], 80, 18, 9);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                backtest(
                    &[Box::new(Calibrated::default()) as Box<dyn Method>],
                    &s,
                    &Config::new(4, 6).unwrap(),
                )
                .unwrap()
            })
    };
    let one = run(1);
    assert!(one.iter().all(|r| r.problem.is_none()));
    for t in [2, 3, 16] {
        let other = run(t);
        assert_eq!(one.len(), other.len());
        for (a, b) in one.iter().zip(&other) {
            assert_eq!(a.q50.map(f64::to_bits), b.q50.map(f64::to_bits));
            assert_eq!(a.crps.map(f64::to_bits), b.crps.map(f64::to_bits));
        }
    }
}

#[test]
fn a_single_history_fits_unpooled() {
    // Steady 5% growth with alternating +-1% noise: the median one year on
    // lies near 1.05 times the last value, the interval brackets it.
    let mut h = vec![100.0f64];
    for t in 0..15 {
        let g = 0.05 + if t % 2 == 0 { 0.01 } else { -0.01 };
        h.push(h.last().unwrap() * f64::exp(g));
    }
    let f = Calibrated::default().fit(&h).unwrap();
    let fc = f.forecast(1).unwrap();
    let last = *h.last().unwrap();
    assert!((fc.point / last - 1.05).abs() < 0.02, "{}", fc.point / last);
    let q = fc.predictive.quantiles(&[0.1, 0.9]).unwrap();
    assert!(q[0] < fc.point && fc.point < q[1]);
    // Spread grows with the horizon.
    let q5 = f
        .forecast(5)
        .unwrap()
        .predictive
        .quantiles(&[0.1, 0.9])
        .unwrap();
    assert!(q5[1] / q5[0] > q[1] / q[0]);
    assert!(Calibrated::default().fit(&h[..2]).is_err());
    let mut bad = h.clone();
    bad[3] = 0.0;
    assert!(Calibrated::default().fit(&bad).is_err());
}

#[test]
fn a_series_with_a_non_positive_value_is_used_up_to_it() {
    let mut s = panel(&Process::STANDARD_MIX[0], 5, 14, 2);
    s[1].values[9] = -1.0;
    let fits = Calibrated::default().fit_panel(&s, 3).unwrap();
    assert!(fits.fit(1, 9).is_ok());
    let e = fits.fit(1, 10).unwrap_err().to_string();
    assert!(e.contains("history[9]") && e.contains("> 0"), "{e}");
    assert!(fits.fit(0, 14).is_ok());
    assert!(fits.fit(9, 5).is_err());
    assert!(fits.fit(0, 2).is_err());
}

#[test]
fn a_horizon_without_errors_starts_from_the_one_before() {
    // Origins are the years 2.. (3 values); the first error (4 values, year
    // 3) has its outcome in year 4 at horizon 1. Before it every horizon
    // holds its prior: mean h^b.
    let s = panel(&Process::STANDARD_MIX[0], 50, 12, 3);
    let cfg = Calibrated::default();
    let fits = cfg.fit_panel(&s, 3).unwrap();
    let mean = |(a, b): (f64, f64)| b / (a - 1.0);
    let y3 = &fits.year(3).unwrap().recalibration;
    for (h, r) in y3.iter().enumerate() {
        let want = ((h + 1) as f64).powf(cfg.horizon_power);
        assert!((mean(*r) - want).abs() < 1e-12, "h{} {r:?}", h + 1);
        assert_eq!(r.0, 0.5 * cfg.prior_dof);
    }
    // In year 5 horizons 1 and 2 have errors, horizon 3 none yet: its prior
    // is horizon 2's posterior mean times (3/2)^b, untouched.
    let y5 = &fits.year(5).unwrap().recalibration;
    assert!(y5[1].0 > 0.5 * cfg.prior_dof && y5[2].0 == 0.5 * cfg.prior_dof);
    let step = 1.5f64.powf(cfg.horizon_power);
    let want = mean(y5[1]) * step;
    assert!((mean(y5[2]) - want).abs() < 1e-12 * want, "{y5:?}");
    // Past errors move a horizon's posterior off its prior.
    assert!((mean(y5[1]) - mean(y5[0]) * 2f64.powf(cfg.horizon_power)).abs() > 1e-6);
}

#[test]
fn the_panel_reports_what_it_learned() {
    // AR(1) growth with persistence 0.7: the pooled, bias-corrected
    // persistence is near it (the wandering drift, which would take its
    // place, left out); i.i.d. growth gives a small one.
    let ar = panel(&Process::STANDARD_MIX[1], 200, 30, 5);
    let fits = Calibrated::without(Part::WanderingDrift)
        .fit_panel(&ar, 3)
        .unwrap();
    let last = fits.year(29).unwrap();
    assert!((last.phi - 0.7).abs() < 0.1, "{}", last.phi);
    assert!(last.pool.is_some());
    // With it, the persistence is carried by one of the two.
    let with = Calibrated::default().fit_panel(&ar, 3).unwrap();
    let y = with.year(29).unwrap();
    assert!((y.phi > 0.5) != (y.wander > 0.0), "{y:?}");
    let iid = panel(&Process::STANDARD_MIX[0], 200, 30, 6);
    let fits = Calibrated::default().fit_panel(&iid, 3).unwrap();
    assert!(fits.year(29).unwrap().phi < 0.1);
    // Past errors have entered the recalibration by the last year: 200 a
    // year, each year counting as `year_weight` errors, decayed by `d` a
    // year over some 25 years: shape 2 + w (1 - d^25) / (1 - d) with `w`
    // half the year weight, below the limit 2 + w / (1 - d).
    let cfg = Calibrated::default();
    let (w, d) = (0.5 * cfg.year_weight, cfg.decay);
    let (shape, _) = fits.year(29).unwrap().recalibration[0];
    let (low, high) = (
        2.0 + w * (1.0 - d.powi(20)) / (1.0 - d),
        2.0 + w / (1.0 - d),
    );
    assert!(shape > low && shape < high, "{shape} {low} {high}");
    // Counting every error, each year weighs 200 / 5 = 40 times as much.
    let all = Calibrated {
        year_weight: f64::INFINITY,
        ..Calibrated::default()
    };
    let (every, _) = all
        .fit_panel(&iid, 3)
        .unwrap()
        .year(29)
        .unwrap()
        .recalibration[0];
    assert!(
        ((every - 2.0) / (shape - 2.0) - 40.0).abs() < 1e-9,
        "{every} {shape}"
    );
    assert_eq!(fits.horizons(), 3);
}

#[test]
fn bad_settings_are_errors() {
    let s = panel(&Process::STANDARD_MIX[0], 3, 10, 1);
    for c in [
        Calibrated {
            decay: 0.0,
            ..Calibrated::default()
        },
        Calibrated {
            nodes: 0,
            ..Calibrated::default()
        },
        Calibrated {
            prior_dof: f64::NAN,
            ..Calibrated::default()
        },
        Calibrated {
            cap: -1.0,
            ..Calibrated::default()
        },
        Calibrated {
            horizon_power: f64::NAN,
            ..Calibrated::default()
        },
        Calibrated {
            year_weight: 0.0,
            ..Calibrated::default()
        },
        Calibrated {
            year_weight: f64::NAN,
            ..Calibrated::default()
        },
    ] {
        assert!(c.fit_panel(&s, 2).is_err(), "{c:?}");
    }
    assert_eq!(
        Calibrated::without(Part::Shocks).name(),
        "calibrated-no_shocks"
    );
}

#[test]
fn a_panel_over_absurdly_many_years_is_an_error() {
    let mut s = panel(&Process::STANDARD_MIX[0], 2, 10, 1);
    s[0].first_year = Some(-1_000_000_000);
    s[1].first_year = Some(1_000_000_000);
    let e = Calibrated::default()
        .fit_panel(&s, 2)
        .unwrap_err()
        .to_string();
    assert!(e.contains("at most 10000 years"), "{e}");
}

#[test]
fn the_quadrature_integrates_the_recalibration_posterior() {
    use statrs::distribution::{ContinuousCDF, Gamma, StudentsT};
    // N(0, c) with c ~ IG(a, b) is Student's t with 2a degrees of freedom
    // and scale sqrt(b / a): the predictive the nodes discretise. Worst CDF
    // error of n Gauss-Laguerre points, against n equal-probability
    // quantiles (the earlier scheme) once the posterior holds a few errors
    // (a >= 3), and against a bound (the prior alone, a = 2, is the
    // hardest: its t4 tails).
    let cdf = |nodes: &[(f64, f64)], x: f64| -> f64 {
        nodes
            .iter()
            .map(|(w, c)| w * 0.5 * libm::erfc(-x / (2.0 * c).sqrt()))
            .sum()
    };
    let cases: [(f64, f64, f64); 4] = [
        (2.0, 1.0, 0.015),
        (3.0, 2.0, 0.008),
        (6.0, 3.5, 0.0025),
        (40.0, 30.0, 1e-4),
    ];
    for (a, b, bound) in cases {
        let t = StudentsT::new(0.0, (b / a).sqrt(), 2.0 * a).unwrap();
        let g = Gamma::new(a, b).unwrap();
        for n in [2usize, 4] {
            let gauss = super::ig_nodes(a, b, n);
            assert_eq!(gauss.len(), n);
            assert!((gauss.iter().map(|n| n.0).sum::<f64>() - 1.0).abs() < 1e-12);
            let w = 1.0 / n as f64;
            let equal: Vec<(f64, f64)> = (0..n)
                .map(|k| (w, 1.0 / g.inverse_cdf((k as f64 + 0.5) * w)))
                .collect();
            let (mut worst_gauss, mut worst_equal) = (0.0f64, 0.0f64);
            for x in [0.3, 0.8, 1.3, 2.0, 3.0, 4.0] {
                worst_gauss = worst_gauss.max((cdf(&gauss, x) - t.cdf(x)).abs());
                worst_equal = worst_equal.max((cdf(&equal, x) - t.cdf(x)).abs());
            }
            assert!(worst_gauss < bound, "{a} {b} {n}: {worst_gauss}");
            assert!(
                a < 3.0 || worst_gauss < worst_equal,
                "{a} {b} {n}: {worst_gauss} {worst_equal}"
            );
        }
    }
}

#[test]
fn the_shape_keeps_the_scale_and_matches_the_kurtosis() {
    let nodes = vec![(0.25, 0.8), (0.75, 1.1)];
    // A normal's kurtosis (or less) leaves the nodes alone.
    assert_eq!(super::with_shape(nodes.clone(), 3.0, 0.1), nodes);
    assert_eq!(super::with_shape(nodes.clone(), 2.5, 0.1), nodes);
    // Kurtosis 4.5 with p = 0.1: a^2 = 0.5 * 0.1 / 0.9.
    let split = super::with_shape(vec![(1.0, 1.0)], 4.5, 0.1);
    let m2: f64 = split.iter().map(|(w, c)| w * c).sum();
    let m4: f64 = split.iter().map(|(w, c)| 3.0 * w * c * c).sum();
    assert!((m2 - 1.0).abs() < 1e-12, "{m2}");
    assert!((m4 / (m2 * m2) - 4.5).abs() < 1e-12, "{m4}");
    let two = super::with_shape(nodes.clone(), 4.5, 0.1);
    assert_eq!(two.len(), 4);
    assert!((two.iter().map(|n| n.0).sum::<f64>() - 1.0).abs() < 1e-12);
    // Shrinkage toward 3 with the prior's weight: 10 errors of kurtosis 6
    // and a prior of 4 give (60 + 12) / 14.
    let k = super::shrunk_kurtosis((10.0, 10.0), 60.0, 4.0);
    assert!((k - 72.0 / 14.0).abs() < 1e-12, "{k}");
    assert_eq!(super::shrunk_kurtosis((0.0, 0.0), 0.0, 4.0), 3.0);
}

#[test]
fn filled_values_feed_the_drift_not_the_volatility() {
    // 13 values; 5-8 filled at the constant growth joining 4 and 9.
    let mut v = vec![100.0, 110.0, 104.0, 120.0, 118.0];
    let step = (150.0f64 / 118.0).ln() / 5.0;
    v.extend((1..5).map(|k| 118.0 * (step * k as f64).exp()));
    v.extend([150.0, 141.0, 160.0, 171.0]);
    let mut s = SeriesData::new("a", v.clone());
    s.filled = vec![5, 6, 7, 8];
    // One series: its own estimates; without changing drift, phi = 0.
    let m = Calibrated::without(Part::ChangingDrift);
    let fit = m.fit_panel(std::slice::from_ref(&s), 1).unwrap();
    let p = fit.pooled(0, 13).unwrap();
    let g: Vec<f64> = v.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let seen: Vec<f64> = [0, 1, 2, 3, 9, 10, 11].iter().map(|&t| g[t]).collect();
    let mean = seen.iter().sum::<f64>() / 7.0;
    let var = seen.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 6.0;
    assert!((p.var / var - 1.0).abs() < 1e-12, "{} {var}", p.var);
    assert!((p.drift - (171.0f64 / 100.0).ln() / 12.0).abs() < 1e-14);
    // Unmarked, the smooth fill would have shrunk the volatility.
    let plain = m
        .fit_panel(&[SeriesData::new("a", v)], 1)
        .unwrap()
        .pooled(0, 13)
        .unwrap();
    assert!(plain.var < 0.8 * p.var, "{} {}", plain.var, p.var);
    // Too few observed growths at an origin: a typed error naming the series.
    let mut short = SeriesData::new("b", vec![100.0, 105.0, 110.0, 116.0, 120.0]);
    short.filled = vec![1, 2, 3];
    let e = m
        .fit_panel(&[short], 1)
        .unwrap()
        .fit(0, 5)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("\"b\"") && e.contains("filled values"), "{e}");
}

#[test]
fn filled_outcomes_teach_the_recalibration_nothing() {
    let v = vec![
        100.0, 104.0, 111.0, 113.0, 121.0, 125.0, 128.0, 137.0, 141.0, 150.0, 152.0, 160.0,
    ];
    let plain = Calibrated::default()
        .fit_panel(&[SeriesData::new("a", v.clone())], 1)
        .unwrap();
    let mut s = SeriesData::new("a", v);
    s.filled = vec![8];
    let marked = Calibrated::default()
        .fit_panel(std::slice::from_ref(&s), 1)
        .unwrap();
    // Until value 8's year nothing differs; then the one-year-ahead error
    // whose outcome is value 8 is missing: half a unit of IG shape.
    let y = s.year(8);
    assert_eq!(
        plain.year(y - 1).unwrap().recalibration,
        marked.year(y - 1).unwrap().recalibration
    );
    let (a0, _) = plain.year(y).unwrap().recalibration[0];
    let (a1, _) = marked.year(y).unwrap().recalibration[0];
    assert!((a0 - a1 - 0.5).abs() < 1e-12, "{a0} {a1}");
}

#[test]
fn the_persistence_gate_keeps_what_forecasts_better() {
    // AR(1) growth, strong (0.7) or weak (0.15): once scored, the estimated
    // persistence is kept; before any forecast is scored it is not (the
    // wandering drift, which the likelihood would choose on the strong one,
    // left out).
    let weak = Process::Ar1Growth {
        mean: 0.05,
        phi: 0.15,
        sd: 0.04,
    };
    for (process, seed) in [(Process::STANDARD_MIX[1], 5), (weak, 9)] {
        let fits = Calibrated::without(Part::WanderingDrift)
            .fit_panel(&panel(&process, 200, 30, seed), 3)
            .unwrap();
        let first = (0..30)
            .find(|&y| fits.year(y).unwrap().phi_fit > 0.0)
            .unwrap();
        assert_eq!(fits.year(first).unwrap().phi, 0.0, "{process:?}");
        let last = fits.year(29).unwrap();
        assert!(
            last.phi > 0.1 && last.phi == last.phi_fit,
            "{process:?}: {last:?}"
        );
    }
    // US macro aggregates: growth is mildly persistent in sample, but its
    // forecasts were worse with it, so the gate leaves it out.
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/panels/us_macro_annual.csv"
    );
    let actuals = crate::plan::actuals::Actuals::read(std::path::Path::new(file)).unwrap();
    let us: Vec<SeriesData> =
        crate::forecast::history::yearly_series(&actuals, crate::forecast::history::Gaps::Refuse)
            .unwrap()
            .into_iter()
            .map(|y| y.data)
            .collect();
    let fits = Calibrated::default().fit_panel(&us, 5).unwrap();
    let last = us.iter().map(|s| s.year(s.values.len() - 1)).max().unwrap();
    let y = fits.year(last).unwrap();
    assert!(y.phi_fit > 0.05 && y.phi == 0.0, "{y:?}");
}

#[test]
fn a_short_history_is_wider_by_its_volatility_uncertainty() {
    // One series, unpooled, without shocks or recalibration: the predictive
    // variance h years ahead is h var exp(v / 2) + h^2 drift_var, with v the
    // sampling variance of ln s^2, trigamma((n - 1) / 2).
    let v = [100.0, 108.0, 111.0, 125.0, 128.0];
    let m = Calibrated::without(Part::Recalibration);
    let fit = m.fit_panel(&[SeriesData::new("a", v.to_vec())], 3).unwrap();
    let params = fit.series_params(0, 5).unwrap();
    let p = params.pooled;
    let g: Vec<f64> = v.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let mean = g.iter().sum::<f64>() / 4.0;
    let var = g.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0;
    let tri = crate::calibration::student_t::trigamma(1.5);
    assert!((p.var / var - 1.0).abs() < 1e-12 && (p.log_var_var - tri).abs() < 1e-12);
    assert_eq!(params.phi, 0.0);
    for h in [1usize, 3] {
        let cs = params.predictive(h);
        let total: f64 = cs.iter().map(|c| c.weight * c.sigma * c.sigma).sum();
        let hf = h as f64;
        let want = hf * var * (0.5 * tri).exp() + hf * hf * p.drift_var;
        assert!((total / want - 1.0).abs() < 1e-9, "h {h}: {total} {want}");
    }
}

/// The local-level filter of `g` at wander ratio `r`, every growth observed.
fn filter(g: &[f64], r: f64) -> Level {
    let mut l = Level::default();
    g.iter().for_each(|&x| l.push(x, true, r));
    l
}

#[test]
fn the_local_level_without_wander_is_the_sample_mean_and_variance() {
    let g = [0.05, 0.02, 0.08, -0.01, 0.04, 0.06, 0.03];
    let n = g.len();
    let f = filter(&g, 0.0);
    let mean = g.iter().sum::<f64>() / n as f64;
    let ss: f64 = g.iter().map(|x| (x - mean).powi(2)).sum();
    assert!((f.drift - mean).abs() < 1e-15, "{}", f.drift);
    assert!((f.p - 1.0 / n as f64).abs() < 1e-15);
    // The recursive residuals' squares sum to the squares about the mean.
    let (_, var) = f.likelihood().unwrap();
    assert!((var - ss / (n - 1) as f64).abs() < 1e-15, "{var}");
    assert!(filter(&g[..2], 0.0).likelihood().is_none());
    // A filled growth moves the drift but is no innovation.
    let mut l = filter(&g[..3], 0.0);
    l.push(g[3], false, 0.0);
    assert_eq!(l.innovations, 2);
    assert!((l.drift - g[..4].iter().sum::<f64>() / 4.0).abs() < 1e-15);
}

#[test]
fn the_local_level_reaches_its_steady_state_and_follows_the_drift() {
    // P = (P + r) / (P + r + 1) at the steady state: P = (sqrt(r^2 + 4r) - r) / 2.
    let r = 0.1;
    let mut g = vec![0.02; 100];
    g.extend(vec![0.08; 100]);
    let f = filter(&g, r);
    let steady = ((r * r + 4.0 * r).sqrt() - r) / 2.0;
    assert!((f.p - steady).abs() < 1e-12, "{}", f.p);
    // A drift that moved is followed; the fixed drift stays at the mean.
    assert!((f.drift - 0.08).abs() < 1e-9, "{}", f.drift);
    assert!((filter(&g, 0.0).drift - 0.05).abs() < 1e-12);
}

#[test]
fn a_wandering_drift_widens_the_spread_as_the_sum_of_squares() {
    // Monte Carlo of the local level's h-year log change from a known drift:
    // its variance is var_e (h + r h (h + 1) (2h + 1) / 6), what the raw
    // moments add.
    let (r, sd, h, n) = (0.1f64, 0.02f64, 5usize, 40_000usize);
    let z = crate::simulate::model::testutil::normals(21, n * 2 * h);
    let sums: Vec<f64> = (0..n)
        .map(|p| {
            let (mut d, mut total) = (0.0, 0.0);
            for j in 0..h {
                d += r.sqrt() * sd * z[p * 2 * h + 2 * j];
                total += d + sd * z[p * 2 * h + 2 * j + 1];
            }
            total
        })
        .collect();
    let var = sums.iter().map(|x| x * x).sum::<f64>() / n as f64;
    let hf = h as f64;
    let expected = sd * sd * (hf + r * hf * (hf + 1.0) * (2.0 * hf + 1.0) / 6.0);
    // The sample variance's standard error: sqrt(2 / n) var for normals.
    assert!(
        (var - expected).abs() < 4.5 * (2.0 / n as f64).sqrt() * expected,
        "{var} {expected}"
    );
    let pooled = Pooled {
        drift: 0.0,
        drift_var: 0.0,
        var: sd * sd,
        log_var_var: 0.0,
        drift_weight: 1.0,
        var_weight: 1.0,
    };
    let (_, growth_var, _) = raw_moments(&Raw::new(0, 0.0, pooled, 0.0, r), 0.0, h);
    assert!((growth_var - expected).abs() < 1e-15, "{growth_var}");
}

#[test]
fn the_wander_is_kept_where_the_drift_moves_and_only_there() {
    // 120 series of 30 growths: a local level with r = 0.1, and the same
    // shocks around a fixed drift.
    let (k, n, sd, r) = (120usize, 30usize, 0.02f64, 0.1f64);
    let z = crate::simulate::model::testutil::normals(5, k * 2 * n);
    let make = |wander: bool| -> Vec<SeriesData> {
        (0..k)
            .map(|i| {
                let (mut d, mut level) = (0.03, 100.0f64);
                let mut v = vec![level];
                for t in 0..n {
                    if wander {
                        d += r.sqrt() * sd * z[(i * n + t) * 2];
                    }
                    level *= (d + sd * z[(i * n + t) * 2 + 1]).exp();
                    v.push(level);
                }
                SeriesData::new(format!("s{i}"), v)
            })
            .collect()
    };
    let wandering = Calibrated::default().fit_panel(&make(true), 5).unwrap();
    let last = |p: &CalibratedPanel| p.year(n as i64).unwrap().clone();
    let w = last(&wandering);
    assert!(w.wander >= 0.03, "{}", w.wander);
    assert_eq!(w.phi, 0.0);
    let fixed = Calibrated::default().fit_panel(&make(false), 5).unwrap();
    assert_eq!(last(&fixed).wander, 0.0);
    // Without the part, no wander.
    let off = Calibrated::without(Part::WanderingDrift)
        .fit_panel(&make(true), 5)
        .unwrap();
    assert_eq!(last(&off).wander, 0.0);
}

/// A panel of `count` random walks with drift 0.02 of `len` values whose
/// growth sd is series `i`'s `sd(i, year)`.
fn walks(count: usize, len: usize, seed: u64, sd: impl Fn(usize, usize) -> f64) -> Vec<SeriesData> {
    let z = crate::simulate::model::testutil::normals(seed, count * len);
    (0..count)
        .map(|i| {
            let mut x = 100.0f64;
            let values = (0..len)
                .map(|t| {
                    if t > 0 {
                        x *= (0.02 + sd(i, t) * z[i * len + t]).exp();
                    }
                    x
                })
                .collect();
            SeriesData::new(format!("s{i}"), values)
        })
        .collect()
}

#[test]
fn the_spread_skill_leaves_right_spreads_and_compresses_misleading_ones() {
    // Volatilities from 0.01 to 0.08, fixed: the raw variances are right
    // relative to each other (up to estimation noise), so the slope stays
    // near 0.
    let fixed = walks(60, 40, 3, |i, _| 0.01 * 8f64.powf(i as f64 / 59.0));
    let fit = Calibrated::default().fit_panel(&fixed, 5).unwrap();
    let skill = &fit.year(39).unwrap().spread_skill;
    for (h, k) in skill.iter().enumerate() {
        assert!(k.slope.abs() < 0.15, "fixed, h{}: {k:?}", h + 1);
    }
    // The reference is the errors' mean log variance: at horizon 1 about
    // the series' mean ln sd^2 = ln(0.01^2 * 8), growing with the horizon.
    assert!((skill[0].log_ref - (8e-4f64).ln()).abs() < 0.5, "{skill:?}");
    assert!(skill.windows(2).all(|w| w[1].log_ref > w[0].log_ref));
    // Each series' volatility is drawn afresh (0.01 or 0.08) every four
    // years: a series' past volatility says little of its next years, so
    // the raw variances are too dispersed and the slope is negative.
    let switching = walks(60, 40, 4, |i, t| {
        let regime = (i * 7 + (t / 4) * 13) % 5 < 2;
        if regime { 0.08 } else { 0.01 }
    });
    let fit = Calibrated::default().fit_panel(&switching, 5).unwrap();
    for (h, k) in fit.year(39).unwrap().spread_skill.iter().enumerate() {
        assert!(k.slope < -0.5, "switching, h{}: {k:?}", h + 1);
    }
    // Without the part there is none.
    let none = Calibrated::without(Part::SpreadSkill)
        .fit_panel(&switching, 5)
        .unwrap();
    assert!(
        none.year(39)
            .unwrap()
            .spread_skill
            .iter()
            .all(|k| *k == SpreadSkill::NONE)
    );
}

#[test]
fn wild_values_fit_and_forecast_without_a_panic() {
    // The two inputs the property test in tests/wild_panels.rs found. A
    // NaN outcome panicked in statrs' inverse CDF; it is no observation.
    let nan = [SeriesData::new(
        "s0",
        vec![50.0, 50.0, 50.0, 50.0, f64::NAN],
    )];
    let fits = Calibrated::default().fit_panel(&nan, 1).unwrap();
    let f = fits.fit(0, 4).unwrap().forecast(1).unwrap();
    assert!((f.point - 50.0).abs() < 1e-9, "{f:?}");
    // A fall from 50 to 1e-300 forecasts a level below the smallest double
    // next: 0, not a panic or a NaN.
    let fall = [SeriesData::new("s0", vec![50.0, 50.0, 1e-300])];
    let fits = Calibrated::default().fit_panel(&fall, 1).unwrap();
    let f = fits.fit(0, 3).unwrap().forecast(1).unwrap();
    assert_eq!(f.point, 0.0);
}
