//! Properties of the compound-growth toolkit (src/growth.rs) and the progress
//! measures (src/progress.rs): inverses invert, monotone things are monotone,
//! and no input whatsoever makes a function panic or return a non-finite value.

use attain::plan::growth::{
    check_cumulative, check_level, cumulative_implied_growth, cumulative_sum, implied_growth,
    project, ratio_denominator_growth, required_cumulative_growth, required_growth,
};
use attain::plan::progress::{progress, progress_cumulative, progress_growth};
use proptest::prelude::*;

/// Relative closeness.
fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(f64::MIN_POSITIVE)
}

/// Any f64 at all, weighted towards the cases that break code: NaN, the
/// infinities, zero, -1 (a rate of -100%), the extremes of magnitude, and
/// ordinary magnitudes.
fn wild() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => prop::num::f64::ANY,
        3 => -2.0f64..2.0,
        2 => -1e6f64..1e6,
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => Just(-1.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN_POSITIVE),
        // The smallest subnormal: quotients by it overflow.
        1 => Just(f64::from_bits(1)),
    ]
}

/// Any u32, weighted towards small horizons and the extremes.
fn wild_years() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..=70, any::<u32>(), Just(u32::MAX)]
}

/// Ok with a finite value, or Err: never NaN or inf inside Ok.
fn finite_or_err(r: attain::Result<f64>) -> bool {
    r.map_or(true, f64::is_finite)
}

proptest! {
    #[test]
    fn project_inverts_implied_growth(
        b in 1e-3f64..1e6,
        x in 1e-3f64..1e6,
        n in 1u32..=30,
    ) {
        let n = f64::from(n);
        let g = implied_growth(b, x, n).unwrap();
        let back = project(b, g, n).unwrap();
        prop_assert!(rel_close(back, x, 1e-9), "{back} vs {x}");
    }

    #[test]
    fn implied_growth_inverts_project(
        b in 1e-3f64..1e6,
        g in -0.5f64..1.0,
        n in 1u32..=30,
    ) {
        let n = f64::from(n);
        let x = project(b, g, n).unwrap();
        let back = implied_growth(b, x, n).unwrap();
        prop_assert!((back - g).abs() <= 1e-9 * (1.0 + g.abs()), "{back} vs {g}");
    }

    #[test]
    fn required_growth_rises_with_the_target_and_falls_with_progress(
        latest in 1e-3f64..1e6,
        target in 1e-3f64..1e6,
        step in 1e-6f64..10.0,
        left in 1u32..=30,
    ) {
        let left = f64::from(left);
        let base = required_growth(latest, target, left).unwrap();
        let higher_target = required_growth(latest, target * (1.0 + step), left).unwrap();
        prop_assert!(higher_target > base, "{higher_target} <= {base}");
        // A higher latest actual needs less growth for the same target.
        let ahead = required_growth(latest * (1.0 + step), target, left).unwrap();
        prop_assert!(ahead < base, "{ahead} >= {base}");
    }

    #[test]
    fn on_the_plan_path_the_required_growth_is_the_plan_rate(
        b in 1e-3f64..1e6,
        g in -0.5f64..1.0,
        (n, k) in (2u32..=30).prop_flat_map(|n| (Just(n), 1..n)),
    ) {
        let (n, k) = (f64::from(n), f64::from(k));
        let target = project(b, g, n).unwrap();
        let latest = project(b, g, k).unwrap();
        let r = required_growth(latest, target, n - k).unwrap();
        prop_assert!((r - g).abs() <= 1e-9 * (1.0 + g.abs()), "{r} vs {g}");
    }

    #[test]
    fn cumulative_solver_round_trips(
        b in 1e-3f64..1e6,
        g in -0.5f64..1.0,
        n in 1u32..=30,
    ) {
        let total = cumulative_sum(b, g, n).unwrap();
        let back = cumulative_implied_growth(b, total, n).unwrap();
        prop_assert!((back - g).abs() <= 1e-9, "{back} vs {g} (total {total})");
    }

    #[test]
    fn cumulative_solver_round_trips_on_long_horizons(
        b in 1e-3f64..1e6,
        g in -0.2f64..0.2,
        n in 65u32..=1000,
    ) {
        // Beyond 64 years the sum uses its closed form.
        let total = cumulative_sum(b, g, n).unwrap();
        prop_assume!(total.is_finite());
        let back = cumulative_implied_growth(b, total, n).unwrap();
        prop_assert!((back - g).abs() <= 1e-9, "{back} vs {g} (total {total})");
    }

    #[test]
    fn required_cumulative_growth_closes_the_gap(
        latest in 1e-3f64..1e6,
        total in 1e-3f64..1e7,
        done in 0.0f64..1.0,
        left in 1u32..=30,
    ) {
        let achieved = done * total;
        match required_cumulative_growth(latest, achieved, total, left) {
            Ok(Some(g)) => {
                let rest = cumulative_sum(latest, g, left).unwrap();
                prop_assert!(rel_close(achieved + rest, total, 1e-9), "{} vs {total}", achieved + rest);
                // Having achieved more needs no more growth.
                let more = achieved + 0.5 * (total - achieved);
                if let Ok(Some(g2)) = required_cumulative_growth(latest, more, total, left) {
                    prop_assert!(g2 <= g + 1e-12, "{g2} > {g}");
                }
            }
            Ok(None) => prop_assert!(achieved >= total),
            // Only rates beyond (-100%, e^40) have no solution.
            Err(e) => prop_assert!(matches!(e, attain::Error::NoSolution(_)), "{e}"),
        }
    }

    #[test]
    fn toolkit_never_panics_and_never_returns_non_finite(
        a in wild(),
        b in wild(),
        c in wild(),
        d in wild(),
        years in wild_years(),
    ) {
        prop_assert!(finite_or_err(implied_growth(a, b, c)));
        prop_assert!(implied_growth(a, b, c).map_or(true, |g| g >= -1.0));
        prop_assert!(finite_or_err(project(a, b, c)));
        prop_assert!(finite_or_err(required_growth(a, b, c)));
        prop_assert!(finite_or_err(cumulative_sum(a, b, years)));
        prop_assert!(finite_or_err(cumulative_implied_growth(a, b, years)));
        prop_assert!(required_cumulative_growth(a, b, c, years)
            .map_or(true, |g| g.is_none_or(f64::is_finite)));
        prop_assert!(finite_or_err(ratio_denominator_growth(a, b, c, d)));
        let checks = [
            check_level(a, b, c, d, (d - 0.5, d + 0.5)),
            check_cumulative(a, b, years, d, (d - 0.5, d + 0.5)),
        ];
        for k in checks.into_iter().flatten() {
            prop_assert!(k.implied_pct.is_finite());
            prop_assert!(k.reached.is_finite());
            prop_assert!(k.gap_pct.is_finite());
        }
    }

    #[test]
    fn progress_on_the_planned_path_is_on_track(
        b in 1e-3f64..1e6,
        g in -0.5f64..1.0,
        (n, k) in (1i32..=30).prop_flat_map(|n| (Just(n), 0..=n)),
        base_year in -3000i32..3000,
    ) {
        // Increases and reductions alike (g < 0 is an at-most target).
        prop_assume!(g.abs() > 1e-6);
        let target = project(b, g, f64::from(n)).unwrap();
        let actual = project(b, g, f64::from(k)).unwrap();
        let p = progress(b, target, actual, base_year, base_year + n, base_year + k).unwrap();
        let elapsed = f64::from(k) / f64::from(n);
        prop_assert!((p.elapsed_share - elapsed).abs() <= 1e-15);
        prop_assert!((p.progress_share - elapsed).abs() <= 1e-9, "{} vs {elapsed}", p.progress_share);
        prop_assert!(p.on_track);
        prop_assert_eq!(p.completion, actual / target);
        prop_assert_eq!(p.years_left, (n - k) as u32);
        match p.required_growth {
            Some(r) => prop_assert!((r - g).abs() <= 1e-9 * (1.0 + g.abs())),
            None => prop_assert_eq!(k, n),
        }
        let q = progress_growth(b, g, actual, base_year, base_year + n, base_year + k).unwrap();
        prop_assert!((q.progress_share - elapsed).abs() <= 1e-9);
    }

    #[test]
    fn progress_share_moves_with_the_actual(
        b in 1e-3f64..1e6,
        target in 1e-3f64..1e6,
        actual in 1e-3f64..1e6,
        step in 1e-6f64..1.0,
    ) {
        // More of the actual is more progress for an increase, less for a cut.
        prop_assume!(!rel_close(target, b, 1e-9));
        let p = progress(b, target, actual, 2020, 2025, 2023).unwrap();
        let q = progress(b, target, actual * (1.0 + step), 2020, 2025, 2023).unwrap();
        if target > b {
            prop_assert!(q.progress_share > p.progress_share);
        } else {
            prop_assert!(q.progress_share < p.progress_share);
        }
        // The growth still required carries the actual to the target.
        let r = p.required_growth.unwrap();
        prop_assert!(rel_close(project(actual, r, 2.0).unwrap(), target, 1e-9));
    }

    #[test]
    fn cumulative_progress_is_linear(
        total in 1e-3f64..1e7,
        done in 0.0f64..1.5,
        latest in 1e-3f64..1e6,
        (n, k) in (1i32..=30).prop_flat_map(|n| (Just(n), 0..=n)),
    ) {
        let achieved = done * total;
        let p = progress_cumulative(total, achieved, latest, 2020, 2020 + n, 2020 + k).unwrap();
        prop_assert_eq!(p.progress_share, achieved / total);
        prop_assert_eq!(p.completion, p.progress_share);
        prop_assert_eq!(p.on_track, p.progress_share >= p.elapsed_share - 1e-9);
        if let Some(g) = p.required_growth {
            let rest = cumulative_sum(latest, g, (n - k) as u32).unwrap();
            prop_assert!(rel_close(achieved + rest, total, 1e-9));
        } else {
            prop_assert!(k == n || achieved >= total);
        }
    }

    #[test]
    fn progress_never_panics_and_never_returns_non_finite(
        a in wild(),
        b in wild(),
        c in wild(),
        y0 in prop_oneof![any::<i32>(), 1990i32..2030],
        y1 in prop_oneof![any::<i32>(), 1990i32..2030],
        y in prop_oneof![any::<i32>(), 1990i32..2030],
    ) {
        let results = [
            progress(a, b, c, y0, y1, y),
            progress_growth(a, b, c, y0, y1, y),
            progress_cumulative(a, b, c, y0, y1, y),
        ];
        for p in results.into_iter().flatten() {
            prop_assert!(y0 < y1 && y0 <= y && y <= y1);
            prop_assert!((0.0..=1.0).contains(&p.elapsed_share));
            prop_assert!(p.completion.is_finite());
            prop_assert!(p.progress_share.is_finite());
            prop_assert!(p.required_growth.is_none_or(f64::is_finite));
        }
    }

    #[test]
    fn progress_rejects_years_outside_the_plan(
        y0 in -3000i32..3000,
        n in -5i32..30,
        y in -3100i32..3100,
    ) {
        let ok = progress(100.0, 150.0, 120.0, y0, y0 + n, y).is_ok();
        prop_assert_eq!(ok, n > 0 && y0 <= y && y <= y0 + n);
    }
}
