//! Tests of the calibration estimators against numpy and hand values.

use super::student_t::{t_em, t_loglik, trigamma};
use super::*;
use crate::simulate::model::{GrowthModel, SimRng};
use crate::simulate::normal::NormalStream;
use rand::{RngExt, SeedableRng};

fn normals(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = SimRng::seed_from_u64(seed);
    let mut z = vec![0.0; n];
    NormalStream::new(&mut rng).fill(&mut rng, &mut z);
    z
}

/// Levels from 100 with i.i.d. normal log growth.
fn log_normal_levels(seed: u64, n: usize, mu: f64, sd: f64) -> Vec<f64> {
    let mut x = 100.0f64;
    let mut out = vec![x];
    for z in normals(seed, n) {
        x *= (mu + sd * z).exp();
        out.push(x);
    }
    out
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

// The small history used for exact values, with numpy's results:
// g = diff(log([100, 108, 115, 125, 130, 141])).
const LEVELS: [f64; 6] = [100.0, 108.0, 115.0, 125.0, 130.0, 141.0];

#[test]
fn log_growth_fit_matches_numpy() {
    // numpy: mean 0.06871794087801533, sd (ddof 1) 0.018333761184994635,
    // se 0.00819910725857902, sd_se 0.006481963429282209.
    let g = log_growth_of_levels("gdp", &LEVELS).unwrap();
    assert!(close(g[0], 0.076_961_041_136_128_12, 1e-15));
    let f = LogGrowthFit::estimate("gdp", &g).unwrap();
    assert_eq!(f.n, 5);
    assert!(close(f.mean, 0.068_717_940_878_015_33, 1e-15), "{}", f.mean);
    assert!(close(f.sd, 0.018_333_761_184_994_635, 1e-15), "{}", f.sd);
    assert!(close(f.mean_se, 0.008_199_107_258_579_02, 1e-15));
    assert!(close(f.sd_se, 0.006_481_963_429_282_209, 1e-15));
    let m = f.to_log_normal().unwrap();
    // 100 (exp(0.068717940878) - 1) = 7.113394...
    assert!(close(
        m.growth_pct().unwrap(),
        100.0 * 0.068_717_940_878_015_33f64.exp_m1(),
        1e-12
    ));
    assert!(
        close(m.growth_pct().unwrap(), 7.113_4, 1e-4),
        "{}",
        m.growth_pct().unwrap()
    );
    let u = f.to_uncertain_mean().unwrap();
    assert_eq!(
        (u.growth_pct().unwrap(), u.sd(), u.mean_se()),
        (m.growth_pct().unwrap(), f.sd, f.mean_se)
    );
    // Rates give the same log growth.
    let rates: Vec<f64> = g.iter().map(|v| v.exp_m1()).collect();
    let h = log_growth_of_rates("gdp", &rates).unwrap();
    assert!(h.iter().zip(&g).all(|(a, b)| close(*a, *b, 1e-15)));
}

#[test]
fn ar1_matches_numpy() {
    // numpy.polyfit(g[:-1], g[1:], 1): phi -0.8379658701988008,
    // residual sd (divisor 2) 0.01504637126679312, phi se 0.4438939908868277,
    // mean se s / ((1 - phi) sqrt 5) = 0.00366108092786401.
    let g = log_growth_of_levels("gdp", &LEVELS).unwrap();
    let f = Ar1Fit::estimate("gdp", &g).unwrap();
    assert!(close(f.phi, -0.837_965_870_198_800_8, 1e-12), "{}", f.phi);
    assert!(!f.clamped && f.phi == f.phi_ols);
    assert!(close(f.sd, 0.015_046_371_266_793_12, 1e-12), "{}", f.sd);
    assert!(
        close(f.phi_se, 0.443_893_990_886_827_7, 1e-12),
        "{}",
        f.phi_se
    );
    assert!(close(f.mean_se, 0.003_661_080_927_864_01, 1e-12));
    assert!(close(f.mean, 0.068_717_940_878_015_33, 1e-15));
    assert_eq!((f.pairs, f.n), (4, 5));
    let m = f.to_ar1().unwrap();
    assert_eq!(m.phi(), f.phi);
}

#[test]
fn ar1_clamps_an_explosive_slope() {
    // Doubling growth: slope 2 exactly on the pairs.
    let g = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32];
    let f = Ar1Fit::estimate("x", &g).unwrap();
    assert!(close(f.phi_ols, 2.0, 1e-12), "{}", f.phi_ols);
    assert!(f.clamped && f.phi == PHI_MAX);
    assert!(f.to_ar1().is_ok());
}

#[test]
fn ar1_uses_only_consecutive_pairs() {
    // A gap between 2003 and 2005 removes the (2003, 2005) pair.
    let g = [
        (2000, 0.05),
        (2001, 0.06),
        (2002, 0.04),
        (2003, 0.07),
        (2005, 0.02),
        (2006, 0.05),
    ];
    let f = Ar1Fit::estimate_dated("x", &g).unwrap();
    assert_eq!((f.pairs, f.n), (4, 6));
}

#[test]
fn recovers_log_normal_parameters() {
    let (mu, sd) = (0.07, 0.05);
    let levels = log_normal_levels(3, 3_000, mu, sd);
    let f = LogGrowthFit::estimate("x", &log_growth_of_levels("x", &levels).unwrap()).unwrap();
    assert!(
        (f.mean - mu).abs() < 4.5 * f.mean_se,
        "{} ± {}",
        f.mean,
        f.mean_se
    );
    assert!((f.sd - sd).abs() < 4.5 * f.sd_se, "{} ± {}", f.sd, f.sd_se);
    assert!(f.mean_se < 0.001);
}

#[test]
fn recovers_ar1_parameters() {
    // Simulate with the crate's own model: 4000 years of one path.
    let truth = Ar1::new(5.0, 0.6, 0.03).unwrap();
    let years = 4_000;
    let z = normals(5, years);
    let mut rng = SimRng::seed_from_u64(6);
    let mut out = vec![0.0; years];
    truth.simulate(
        crate::simulate::model::Start::at(1.0),
        &z,
        1,
        &mut rng,
        &mut out,
    );
    let mut levels = vec![1.0];
    levels.extend(out);
    let c = Calibration::from_levels("x", &levels).unwrap();
    let f = c.ar1.as_ref().unwrap();
    assert!(
        (f.phi - 0.6).abs() < 4.5 * f.phi_se,
        "{} ± {}",
        f.phi,
        f.phi_se
    );
    assert!(f.phi_se < 0.02);
    assert!(
        (f.mean - truth.mu()).abs() < 4.5 * f.mean_se,
        "{} ± {}",
        f.mean,
        f.mean_se
    );
    // Innovation sd: se about sd / sqrt(2 n).
    assert!(
        (f.sd - 0.03).abs() < 4.5 * 0.03 / (2.0 * years as f64).sqrt(),
        "{}",
        f.sd
    );
    let m = c.to_ar1().unwrap();
    assert!(
        (m.growth_pct().unwrap() - truth.growth_pct().unwrap()).abs()
            < 4.5 * 100.0 * f.mean_se * 1.1
    );
}

#[test]
fn t_log_likelihood_and_trigamma() {
    // python: sum of log t densities, loc 0.07, scale 0.02, df 4 = 12.884308103399936.
    let g = log_growth_of_levels("gdp", &LEVELS).unwrap();
    assert!(close(
        t_loglik(&g, 0.07, 0.02, 4.0),
        12.884_308_103_399_936,
        1e-10
    ));
    // trigamma(1) = pi^2/6, trigamma(1/2) = pi^2/2.
    let pi2 = std::f64::consts::PI.powi(2);
    assert!(close(trigamma(1.0), pi2 / 6.0, 1e-9));
    assert!(close(trigamma(0.5), pi2 / 2.0, 1e-9));
}

#[test]
fn recovers_student_t_degrees_of_freedom() {
    let (loc, scale, df) = (0.06, 0.03, 5.0);
    let mut rng = SimRng::seed_from_u64(21);
    let t = rand_distr::StudentT::new(df).unwrap();
    let g: Vec<f64> = (0..5_000).map(|_| loc + scale * rng.sample(t)).collect();
    let f = StudentTFit::estimate("x", &g).unwrap();
    let df_se = f.df_se.unwrap();
    assert!(f.bound.is_none());
    assert!((f.df - df).abs() < 4.5 * df_se, "{} ± {df_se}", f.df);
    // Sensible precision at n = 5000: df se about 0.4 (expected information).
    assert!(df_se < 0.6 && (f.df - df).abs() < 1.5, "{} ± {df_se}", f.df);
    assert!((f.location - loc).abs() < 4.5 * f.location_se);
    let m = f.to_student_t().unwrap();
    assert_eq!((m.scale(), m.df()), (f.scale, f.df));
    assert!(close(m.mu(), f.location, 1e-12));
    assert!((f.scale - scale).abs() < 4.5 * f.scale_se);
    // The maximum beats nearby df values.
    for d in [f.df * 0.9, f.df * 1.1] {
        let (l, s) = t_em(&g, d, f.location, f.scale);
        assert!(t_loglik(&g, l, s, d) <= f.log_likelihood + 1e-9);
    }
}

#[test]
fn student_t_on_normal_data_goes_to_high_df() {
    let g: Vec<f64> = normals(8, 2_000).iter().map(|z| 0.05 + 0.02 * z).collect();
    let f = StudentTFit::estimate("x", &g).unwrap();
    assert!(f.df > 30.0, "{}", f.df);
    assert!(f.df <= DF_MAX);
    if f.bound == Some(DfBound::Cap) {
        assert!(f.df_se.is_none() && f.df == DF_MAX);
    }
    assert!((f.sd() - 0.02).abs() < 0.002);
}

#[test]
fn student_t_floors_very_heavy_tails() {
    // Cauchy-like sample (t with 1 df): the likelihood wants df < 2.1.
    let mut rng = SimRng::seed_from_u64(4);
    let t = rand_distr::StudentT::new(1.0).unwrap();
    let g: Vec<f64> = (0..2_000).map(|_| 0.05 + 0.02 * rng.sample(t)).collect();
    let f = StudentTFit::estimate("x", &g).unwrap();
    assert_eq!(f.bound, Some(DfBound::Floor));
    assert_eq!(f.df, DF_MIN);
    assert!(f.df_se.is_none() && f.scale_se > 0.0);
}

#[test]
fn shock_fit_matches_hand_values() {
    // numpy: flagged 2002 and 2004 of 2001..=2005: p 0.4, se 0.21908902300206645,
    // normal mean 0.08052269666592189, size -0.02951188946976642,
    // size sd 0.01667371089708776, size se 0.011940062275257315,
    // impact -2.9080666143495857 %.
    let dated = History::levels("trade", 2000, &LEVELS)
        .log_growth()
        .unwrap();
    let f = ShockFit::estimate("trade", &dated, &[2002, 2004]).unwrap();
    assert!(close(f.probability, 0.4, 1e-15));
    assert!(close(f.probability_se, 0.219_089_023_002_066_45, 1e-15));
    assert!(close(f.normal_mean, 0.080_522_696_665_921_89, 1e-15));
    assert!(close(f.size, -0.029_511_889_469_766_42, 1e-15));
    assert!(close(f.size_sd.unwrap(), 0.016_673_710_897_087_76, 1e-15));
    assert!(close(f.size_se.unwrap(), 0.011_940_062_275_257_315, 1e-15));
    assert!(close(f.impact_pct(), -2.908_066_614_349_585_7, 1e-12));
    let s = f.to_shock("trade", 2024);
    assert_eq!(s.probability, 0.4);
    assert!(close(s.impacts_pct["trade"], f.impact_pct(), 0.0));
    // The calibration's other fits use the normal years only.
    let c = Calibration::estimate(&History::levels("trade", 2000, &LEVELS), &[2002, 2004]).unwrap();
    assert_eq!(c.log_growth.n, 3);
    assert!(close(c.log_growth.mean, f.normal_mean, 1e-15));
    assert_eq!(c.years, (2001, 2005));
    assert!(c.ar1.is_none() && c.student_t.is_none() && c.skipped.len() == 2);
    let m = c.to_shock_mixture().unwrap();
    assert_eq!(
        (m.p(), m.shock_mean(), m.shock_sd()),
        (0.4, f.size, f.size_sd.unwrap())
    );
    assert!(close(
        m.growth_pct().unwrap(),
        100.0 * f.normal_mean.exp_m1(),
        1e-12
    ));
    assert!(
        c.to_student_t()
            .unwrap_err()
            .to_string()
            .contains("at least 10")
    );
    let s = scenario_from("s", &[c], ModelChoice::ShockMixture, None).unwrap();
    assert!(matches!(
        s.scenario.models["trade"],
        ModelSpec::ShockMixture(_)
    ));
}

#[test]
fn errors_name_the_series_and_the_problem() {
    // One level has no growth; the fits say so.
    assert!(log_growth_of_levels("gdp", &[100.0]).unwrap().is_empty());
    let e =
        LogGrowthFit::estimate("gdp", &log_growth_of_levels("gdp", &[100.0]).unwrap()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "indicator \"gdp\": history needs at least 2 years of log growth for a mean and sd, got 0"
    );
    let e = History::levels("gdp", 2000, &[100.0, 110.0, -5.0])
        .log_growth()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "indicator \"gdp\": history[2002] level must be > 0, got -5"
    );
    let e = log_growth_of_levels("gdp", &[100.0, 0.0]).unwrap_err();
    assert!(e.to_string().contains("must be > 0, got 0"), "{e}");
    let e = log_growth_of_rates("cpi", &[0.02, -1.0]).unwrap_err();
    assert!(
        e.to_string().contains("\"cpi\"") && e.to_string().contains("> -1"),
        "{e}"
    );
    let e = log_growth_of_levels("gdp", &[100.0, f64::NAN]).unwrap_err();
    assert!(e.to_string().contains("NaN"), "{e}");
    let bad_years = History {
        id: "gdp".into(),
        measure: HistoryMeasure::Levels,
        years: vec![2001, 2001],
        values: vec![1.0, 2.0],
    };
    assert!(
        bad_years
            .log_growth()
            .unwrap_err()
            .to_string()
            .contains("strictly increasing")
    );
    let e = Ar1Fit::estimate("gdp", &[0.1, 0.2, 0.3]).unwrap_err();
    assert!(e.to_string().contains("at least 4 years"), "{e}");
    let e = Ar1Fit::estimate("gdp", &[0.1; 6]).unwrap_err();
    assert!(e.to_string().contains("constant"), "{e}");
    let e = StudentTFit::estimate("gdp", &[0.1; 9]).unwrap_err();
    assert!(e.to_string().contains("at least 10 years"), "{e}");
    let e = StudentTFit::estimate("gdp", &[0.1; 12]).unwrap_err();
    assert!(e.to_string().contains("constant"), "{e}");
    let dated = History::levels("trade", 2000, &LEVELS)
        .log_growth()
        .unwrap();
    let e = ShockFit::estimate("trade", &dated, &[1999]).unwrap_err();
    assert!(e.to_string().contains("1999"), "{e}");
    let e = ShockFit::estimate("trade", &dated, &[2001, 2002, 2003, 2004, 2005]).unwrap_err();
    assert!(e.to_string().contains("every year"), "{e}");
    // A short calibration reports why AR(1) is missing.
    let c = Calibration::from_levels("gdp", &[100.0, 105.0, 111.0]).unwrap();
    let e = c.to_ar1().unwrap_err();
    assert!(
        e.to_string().contains("\"gdp\"") && e.to_string().contains("at least 4"),
        "{e}"
    );
}

#[test]
fn shrunk_correlation_matches_numpy() {
    // numpy (Schäfer-Strimmer, standardized columns): r01 0.9088690684389623,
    // r02 -0.9402561526802474, r12 -0.9381640084230364, lambda 0.15002049871848153,
    // shrunk r01 0.7725200775219474.
    let rows = [
        [0.05, 0.02, 0.10],
        [0.07, 0.03, 0.08],
        [0.04, 0.01, 0.12],
        [0.09, 0.05, 0.07],
        [0.06, 0.02, 0.09],
        [0.08, 0.06, 0.06],
    ];
    let data = DMatrix::from_fn(6, 3, |t, i| rows[t][i]);
    let ids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let f = shrink_correlation(ids, &data).unwrap();
    assert_eq!(f.rule, ShrinkageRule::SchaferStrimmerD);
    assert!(close(f.sample.rows[0][1], 0.908_869_068_438_962_3, 1e-12));
    assert!(close(f.sample.rows[0][2], -0.940_256_152_680_247_4, 1e-12));
    assert!(
        close(f.intensity, 0.150_020_498_718_481_53, 1e-12),
        "{}",
        f.intensity
    );
    let m = f.correlation.matrix();
    assert!(close(m[(0, 1)], 0.772_520_077_521_947_4, 1e-12));
    assert!(close(m[(1, 2)], -0.797_420_175_999_682_7, 1e-12));
    assert!(f.repair.is_none());
}

#[test]
fn correlation_aligns_years_and_drops_gaps() {
    let a = History::levels(
        "a",
        2000,
        &[100.0, 105.0, 111.0, 115.0, 122.0, 130.0, 133.0],
    );
    // b misses 2003, which removes the growth of 2003 and 2004.
    let b = History {
        id: "b".into(),
        measure: HistoryMeasure::Levels,
        years: vec![2000, 2001, 2002, 2004, 2005, 2006],
        values: vec![50.0, 51.0, 53.0, 56.0, 59.0, 60.0],
    };
    let c = History::growth_rates("c", 2001, &[0.03, 0.02, 0.05, 0.01, 0.04, 0.02]);
    let f = correlation(&[a.clone(), b, c]).unwrap();
    assert_eq!(f.years, vec![2001, 2002, 2005, 2006]);
    assert_eq!(f.rule, ShrinkageRule::FixedWeight);
    // p / (p + T) = 3 / 7
    assert!(close(f.intensity, 3.0 / 7.0, 1e-15));
    let e = correlation(&[a.clone(), a]).unwrap_err();
    assert!(e.to_string().contains("twice"), "{e}");
    // One year of overlap: the identity.
    let x = History::levels("x", 2000, &[1.0, 2.0]);
    let y = History::levels("y", 2000, &[1.0, 3.0]);
    let f = correlation(&[x, y]).unwrap();
    assert_eq!(f.rule, ShrinkageRule::Identity);
    assert_eq!(*f.correlation.matrix(), DMatrix::identity(2, 2));
}

#[test]
fn scenario_from_calibrations_reports_what_it_used() {
    let long = Calibration::from_levels("a", &log_normal_levels(1, 30, 0.06, 0.04)).unwrap();
    let short = Calibration::from_levels("b", &[100.0, 104.0, 109.0]).unwrap();
    let hist = |id: &str, seed| History::levels(id, 1990, &log_normal_levels(seed, 30, 0.06, 0.04));
    let corr = correlation(&[hist("a", 1), hist("b", 2)]).unwrap();
    let s = scenario_from(
        "calibrated",
        &[long.clone(), short],
        ModelChoice::Ar1,
        Some(corr),
    )
    .unwrap();
    assert!(matches!(s.scenario.models["a"], ModelSpec::Ar1(_)));
    assert!(matches!(s.scenario.models["b"], ModelSpec::LogNormal(_)));
    assert!(s.used[0].fallback.is_none());
    assert!(s.used[1].fallback.as_ref().unwrap().contains("AR(1)"));
    let spec = s.scenario.correlation.as_ref().unwrap();
    assert_eq!(spec.ids, vec!["a", "b"]);
    assert_eq!(spec.rows[0][0], 1.0);
    let u = scenario_from(
        "u",
        std::slice::from_ref(&long),
        ModelChoice::UncertainMean,
        None,
    )
    .unwrap();
    match &u.scenario.models["a"] {
        ModelSpec::UncertainMean(m) => assert_eq!(m.mean_se(), long.log_growth.mean_se),
        other => panic!("{other:?}"),
    }
    let t = scenario_from(
        "t",
        std::slice::from_ref(&long),
        ModelChoice::StudentT,
        None,
    )
    .unwrap();
    assert!(matches!(t.scenario.models["a"], ModelSpec::StudentT(_)));
    let x = scenario_from(
        "x",
        std::slice::from_ref(&long),
        ModelChoice::ShockMixture,
        None,
    )
    .unwrap();
    assert!(
        x.used[0]
            .fallback
            .as_ref()
            .unwrap()
            .contains("no shock years")
    );
    let e = scenario_from("d", &[long.clone(), long], ModelChoice::LogNormal, None).unwrap_err();
    assert!(e.to_string().contains("twice"), "{e}");
    // The report round-trips through JSON.
    let text = serde_json::to_string(&s).unwrap();
    let back: CalibratedScenario = serde_json::from_str(&text).unwrap();
    assert_eq!(back.used.len(), 2);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn shrunk_correlation_is_positive_definite(
            t in 0usize..12,
            p in 1usize..9,
            vals in proptest::collection::vec(
                prop_oneof![-1.0f64..1.0, Just(0.0), -1e300f64..1e300], 108),
            constant in 0usize..9,
        ) {
            let mut data = DMatrix::from_fn(t, p, |s, i| vals[(s * 9 + i) % vals.len()]);
            // One column may be constant.
            if constant < p {
                for s in 0..t {
                    data[(s, constant)] = 0.3;
                }
            }
            let ids: Vec<String> = (0..p).map(|i| format!("s{i}")).collect();
            let f = shrink_correlation(ids, &data).unwrap();
            let m = f.correlation.matrix();
            let min = m.clone().symmetric_eigen().eigenvalues.min();
            prop_assert!(min >= SHRINK_FLOOR - 1e-9, "min eigenvalue {min}");
            prop_assert!(f.intensity >= SHRINK_FLOOR && f.intensity <= 1.0);
            prop_assert!(m.clone().cholesky().is_some());
        }
    }
}

#[test]
fn skipped_fits_are_told_by_type_and_old_rule_names_load() {
    // Three years: too short for AR(1) (4) and Student-t (10).
    let c = Calibration::from_levels("gdp", &[100.0, 106.0, 111.0, 119.0]).unwrap();
    let fits: Vec<OptionalFit> = c.skipped.iter().map(|s| s.fit).collect();
    assert_eq!(fits, [OptionalFit::Ar1, OptionalFit::StudentT]);
    let e = c.to_ar1().unwrap_err().to_string();
    assert!(
        e.contains("ar1") && e.contains("was not estimated: ar1: "),
        "{e}"
    );
    let old: ShrinkageRule = serde_json::from_str("\"ledoit_wolf\"").unwrap();
    assert_eq!(old, ShrinkageRule::SchaferStrimmerD);
    assert_eq!(
        serde_json::to_string(&old).unwrap(),
        "\"schafer_strimmer_d\""
    );
}
