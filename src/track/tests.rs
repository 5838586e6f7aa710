use std::collections::BTreeMap;

use super::*;

/// Year-to-date of a flow whose months are `v`.
fn ytd(v: [f64; 12]) -> [Option<f64>; 12] {
    let mut acc = 0.0;
    v.map(|x| {
        acc += x;
        Some(acc)
    })
}

/// Year-to-date known to `month` only.
fn ytd_to(v: [f64; 12], month: usize) -> [Option<f64>; 12] {
    let mut y = ytd(v);
    for slot in y.iter_mut().skip(month) {
        *slot = None;
    }
    y
}

/// Student-t CDF with 2 degrees of freedom, closed form.
fn t2_cdf(t: f64) -> f64 {
    0.5 + t / (2.0 * (2.0 + t * t).sqrt())
}

fn profile_only() -> TrackOptions {
    TrackOptions {
        trend: false,
        ..TrackOptions::default()
    }
}

#[test]
fn a_deterministic_profile_gives_p_zero_or_one_where_the_projection_says() {
    let opts = TrackOptions {
        profile: Some(Profile::even(0.0).unwrap()),
        trend: false,
        ..TrackOptions::default()
    };
    for (june, p, status) in [
        (55.0, 1.0, Status::Ahead),
        (50.0, 1.0, Status::OnSchedule),
        (49.9, 0.0, Status::Behind),
    ] {
        let mut m = [None; 12];
        m[5] = Some(june);
        let s = Monthly::new(Measure::Flow, BTreeMap::from([(2022, m)])).unwrap();
        let t = track(&s, 2022, 6, 100.0, Direction::AtLeast, &opts).unwrap();
        // ytd / (6/12) is the projection, exactly.
        assert!((t.projected.unwrap() - 2.0 * june).abs() < 1e-12);
        let a = t.attain.unwrap();
        assert_eq!((a.p, a.low, a.high), (p, p, p), "June {june}");
        assert_eq!(t.status, Some(status));
        assert!((t.done - june / 100.0).abs() < 1e-15);
        assert_eq!(t.elapsed, 0.5);
        assert_eq!(t.expected_done, Some(0.5));
        // A ceiling is met on the other side.
        let c = track(&s, 2022, 6, 100.0, Direction::AtMost, &opts).unwrap();
        let q = c.attain.unwrap().p;
        assert_eq!(q, if june == 50.0 { 1.0 } else { 1.0 - p });
    }
}

#[test]
fn the_profile_alone_gives_the_closed_form_t_probability() {
    // Three past years whose June shares are 0.4, 0.5 and 0.6: what came
    // after June was 1.5, 1 and 2/3 times what came before.
    let flat = |h1: f64, h2: f64| {
        let mut v = [h1 / 6.0; 12];
        for x in v.iter_mut().skip(6) {
            *x = h2 / 6.0;
        }
        v
    };
    let years = BTreeMap::from([
        (2019, ytd(flat(40.0, 60.0))),
        (2020, ytd(flat(50.0, 50.0))),
        (2021, ytd(flat(60.0, 40.0))),
        (2022, ytd_to(flat(60.0, 60.0), 6)),
    ]);
    let s = Monthly::new(Measure::Flow, years).unwrap();
    let t = track(&s, 2022, 6, 130.0, Direction::AtLeast, &profile_only()).unwrap();
    // log(R/C): ln 1.5, 0, -ln 1.5; mean 0, sd ln 1.5. The rest of the year
    // is 60 at the median, t with 2 degrees of freedom on the log scale.
    let sd = 1.5f64.ln();
    let scale = sd * (1.0 + 1.0 / 3.0f64).sqrt();
    let centre = 60f64.ln();
    let p = t2_cdf((centre - 70f64.ln()) / scale);
    let a = t.attain.unwrap();
    assert!((a.p - p).abs() < 1e-10, "{} vs {p}", a.p);
    assert!((t.projected.unwrap() - 120.0).abs() < 1e-9);
    let pr = t.projection.unwrap();
    assert_eq!(pr.known, 60.0);
    assert!(a.low < a.p && a.p < a.high);
    // The interval: the centre moved by t(2, 0.975) = 4.3027 standard errors of its mean.
    let q = 4.302652729911275;
    let se = sd / 3f64.sqrt();
    assert!((a.low - t2_cdf((centre - q * se - 70f64.ln()) / scale)).abs() < 1e-8);
    assert!((a.high - t2_cdf((centre + q * se - 70f64.ln()) / scale)).abs() < 1e-8);
    // The 97.5% quantile of the year: 60 + 60 exp(t(2, 0.975) x scale).
    let high = 60.0 + 60.0 * (q * scale).exp();
    assert!(
        (t.projected_high.unwrap() / high - 1.0).abs() < 1e-6,
        "{high}"
    );
    // Mean share 0.5, sd 0.1: done 60/130 = 0.46 is on schedule.
    assert!((t.expected_done.unwrap() - 0.5).abs() < 1e-12);
    assert!((t.expected_done_sd.unwrap() - 0.1).abs() < 1e-12);
    assert_eq!(t.status, Some(Status::OnSchedule));
    // Year on year: 60 against 2021's 60 by June.
    assert!(t.yoy.unwrap().abs() < 1e-12);
    assert_eq!((t.profile_years, t.trend_years), (Some(3), 0));
    // A target no more than the year-to-date is met whatever comes.
    let t = track(&s, 2022, 6, 60.0, Direction::AtLeast, &profile_only()).unwrap();
    assert_eq!(t.attain.unwrap().p, 1.0);
    let t = track(&s, 2022, 6, 60.0, Direction::AtMost, &profile_only()).unwrap();
    assert_eq!(t.attain.unwrap().p, 0.0);
}

#[test]
fn profile_and_trend_combine_by_precision() {
    // Totals doubling from 120, each spread evenly: after June as much came
    // as before (no spread), and the rest of the year doubled each year (no
    // spread). Both estimates are exact; the profile's wins: 600 + 600 =
    // 1200, not the trend's 600 + 960.
    let even = |total: f64| ytd([total / 12.0; 12]);
    let mut years = BTreeMap::from([
        (2018, even(120.0)),
        (2019, even(240.0)),
        (2020, even(480.0)),
        (2021, even(960.0)),
    ]);
    years.insert(2022, ytd_to([100.0; 12], 6));
    let s = Monthly::new(Measure::Flow, years.clone()).unwrap();
    let t = track(
        &s,
        2022,
        6,
        1300.0,
        Direction::AtLeast,
        &TrackOptions::default(),
    )
    .unwrap();
    assert!((t.projected.unwrap() - 1200.0).abs() < 1e-9);
    assert_eq!(t.attain.unwrap().p, 0.0);
    assert_eq!(t.trend_years, 3);
    // 2019 with 30 by June and 120 after: the profile has a spread, the
    // rest of the year still doubles exactly. The trend wins: 600 + 960.
    let mut h = [5.0; 12];
    for x in h.iter_mut().skip(6) {
        *x = 20.0;
    }
    years.insert(2019, ytd(h));
    let s = Monthly::new(Measure::Flow, years).unwrap();
    let t = track(
        &s,
        2022,
        6,
        1300.0,
        Direction::AtLeast,
        &TrackOptions::default(),
    )
    .unwrap();
    assert!((t.projected.unwrap() - 1560.0).abs() < 1e-9);
    assert_eq!(t.projection.unwrap().profile_weight, 0.0);
    assert_eq!(t.attain.unwrap().p, 1.0);

    // The rest of the year growing 10%, 20% and 10% (log) from 50, and
    // R/C of 1.5, 1 and 2/3 in the three years of the profile.
    let g = [0.1f64, 0.2, 0.1];
    let mut rest = vec![50.0f64];
    for x in g {
        rest.push(rest.last().unwrap() * x.exp());
    }
    let split = |c: f64, r: f64| {
        let mut v = [c / 6.0; 12];
        for x in v.iter_mut().skip(6) {
            *x = r / 6.0;
        }
        ytd(v)
    };
    let years = BTreeMap::from([
        (2018, split(rest[0], rest[0])),
        (2019, split(rest[1] / 1.5, rest[1])),
        (2020, split(rest[2], rest[2])),
        (2021, split(rest[3] * 1.5, rest[3])),
        (2022, ytd_to([12.0; 12], 6)),
    ]);
    let s = Monthly::new(Measure::Flow, years).unwrap();
    let opts = TrackOptions {
        window: 3,
        ..TrackOptions::default()
    };
    let t = track(&s, 2022, 6, 150.0, Direction::AtLeast, &opts).unwrap();
    let l = 1.5f64.ln();
    let v1 = l * l * (4.0 / 3.0);
    let gm = 0.4 / 3.0;
    let v2 = g.iter().map(|x| (x - gm).powi(2)).sum::<f64>() / 2.0 * (4.0 / 3.0);
    let m1 = 72f64.ln();
    let m2 = rest[3].ln() + gm;
    let w = v2 / (v1 + v2);
    let centre = w * m1 + (1.0 - w) * m2;
    let scale = (v1 * v2 / (v1 + v2)).sqrt();
    let p = t2_cdf((centre - 78f64.ln()) / scale);
    let pr = t.projection.unwrap();
    assert!((pr.profile_weight - w).abs() < 1e-12);
    assert!((pr.log_mean - centre).abs() < 1e-12);
    assert!((t.projected.unwrap() - (72.0 + centre.exp())).abs() < 1e-9);
    assert!((t.attain.unwrap().p - p).abs() < 1e-10);
    assert_eq!(pr.df, Some(2.0));
    assert_eq!(t.trend_years, 3);
}

#[test]
fn a_stock_combines_whole_year_estimates_by_precision() {
    // Levels whose June is 0.4, 0.5, 0.6 of December's, December's growing
    // 10%, 20%, 10% (log): the year's level is estimated whole (a stock's
    // December may be below its June), from the log share and the growth.
    let g = [0.1f64, 0.2, 0.1];
    let mut tot = vec![100.0f64];
    for x in g {
        tot.push(tot.last().unwrap() * x.exp());
    }
    let split = |total: f64, h1: f64| {
        let mut v = [total * h1 / 6.0; 12];
        for x in v.iter_mut().skip(6) {
            *x = total * (1.0 - h1) / 6.0;
        }
        ytd(v)
    };
    let years = BTreeMap::from([
        (2018, split(tot[0], 0.5)),
        (2019, split(tot[1], 0.4)),
        (2020, split(tot[2], 0.5)),
        (2021, split(tot[3], 0.6)),
        (2022, ytd_to([12.0; 12], 6)),
    ]);
    let s = Monthly::new(Measure::Stock, years).unwrap();
    let opts = TrackOptions {
        window: 3,
        ..TrackOptions::default()
    };
    let t = track(&s, 2022, 6, 150.0, Direction::AtLeast, &opts).unwrap();
    let logs = [0.4f64.ln(), 0.5f64.ln(), 0.6f64.ln()];
    let lm = logs.iter().sum::<f64>() / 3.0;
    let v1 = logs.iter().map(|l| (l - lm).powi(2)).sum::<f64>() / 2.0 * (4.0 / 3.0);
    let gm = 0.4 / 3.0;
    let v2 = g.iter().map(|x| (x - gm).powi(2)).sum::<f64>() / 2.0 * (4.0 / 3.0);
    let m1 = 72f64.ln() - lm;
    let m2 = tot[3].ln() + gm;
    let w = v2 / (v1 + v2);
    let centre = w * m1 + (1.0 - w) * m2;
    let scale = (v1 * v2 / (v1 + v2)).sqrt();
    let p = t2_cdf((centre - 150f64.ln()) / scale);
    let pr = t.projection.unwrap();
    assert_eq!(pr.known, 0.0);
    assert!((pr.profile_weight - w).abs() < 1e-12);
    assert!((pr.log_mean - centre).abs() < 1e-12);
    assert!((t.attain.unwrap().p - p).abs() < 1e-10);
    assert_eq!(pr.df, Some(2.0));
}

#[test]
fn december_settles_the_year() {
    let s = Monthly::new(
        Measure::Flow,
        BTreeMap::from([(2021, ytd([1.0; 12])), (2022, ytd([2.0; 12]))]),
    )
    .unwrap();
    let t = track(
        &s,
        2022,
        12,
        24.0,
        Direction::AtLeast,
        &TrackOptions::default(),
    )
    .unwrap();
    assert_eq!(t.attain.unwrap().p, 1.0);
    assert_eq!(t.projected, Some(24.0));
    assert_eq!(
        (t.expected_done, t.status),
        (Some(1.0), Some(Status::OnSchedule))
    );
    let t = track(
        &s,
        2022,
        12,
        24.5,
        Direction::AtLeast,
        &TrackOptions::default(),
    )
    .unwrap();
    assert_eq!(t.attain.unwrap().p, 0.0);
    assert_eq!(t.status, Some(Status::Behind));
    assert_eq!(completion_rate(24.0, 24.5), Some(24.0 / 24.5));
    // One past year gives no spread: no profile, no trend, no P in June.
    let t = track(
        &s,
        2022,
        6,
        24.0,
        Direction::AtLeast,
        &TrackOptions::default(),
    )
    .unwrap();
    assert_eq!((t.attain, t.status, t.projected), (None, None, None));
    assert!((t.yoy.unwrap() - 1.0).abs() < 1e-12);
}

#[test]
fn bad_questions_are_errors() {
    let s = Monthly::new(
        Measure::Flow,
        BTreeMap::from([(2022, ytd_to([1.0; 12], 3))]),
    )
    .unwrap();
    let o = TrackOptions::default();
    assert!(track(&s, 2022, 0, 1.0, Direction::AtLeast, &o).is_err());
    assert!(track(&s, 2022, 13, 1.0, Direction::AtLeast, &o).is_err());
    assert!(track(&s, 2022, 4, 1.0, Direction::AtLeast, &o).is_err());
    assert!(track(&s, 2022, 3, 0.0, Direction::AtLeast, &o).is_err());
    assert!(track(&s, 2022, 3, f64::NAN, Direction::AtLeast, &o).is_err());
}

#[test]
fn a_stock_is_tracked_by_its_level() {
    // Firms: 300 in January rising to 400 in December in each past year
    // (January 0.75 of December); this year 375 in June.
    let rising = |end: f64| -> [Option<f64>; 12] {
        std::array::from_fn(|k| Some(end * (0.75 + 0.25 * k as f64 / 11.0)))
    };
    let mut years = BTreeMap::from([(2020, rising(380.0)), (2021, rising(400.0))]);
    let mut now = [None; 12];
    now[5] = Some(375.0);
    years.insert(2022, now);
    let s = Monthly::new(Measure::Stock, years).unwrap();
    let t = track(&s, 2022, 6, 400.0, Direction::AtLeast, &profile_only()).unwrap();
    let share = 0.75 + 0.25 * 5.0 / 11.0;
    // Both years have the same June share: no spread, an exact projection.
    assert!((t.projected.unwrap() - 375.0 / share).abs() < 1e-9);
    assert_eq!(t.attain.unwrap().p, 1.0);
}
