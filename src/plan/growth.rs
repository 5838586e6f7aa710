//! The compound-growth toolkit: implied rates, projections, required growth,
//! cumulative targets and ratio targets.
//!
//! Rates are fractions (0.12 for 12%) throughout; plan files and reports speak
//! percent. Every function checks its inputs and returns a typed error rather
//! than a NaN.

use crate::error::{Error, Problem, Result, finite, positive};

/// Average annual growth that carries `base` to `target` in `years` years:
/// `(target / base)^(1 / years) - 1`.
pub fn implied_growth(base: f64, target: f64, years: f64) -> Result<f64> {
    positive("base", base)?;
    positive("target", target)?;
    positive("years", years)?;
    representable("implied growth", (log_ratio(target, base) / years).exp_m1())
}

/// Value reached from `base` after `years` years of growth `rate`.
pub fn project(base: f64, rate: f64, years: f64) -> Result<f64> {
    finite("base", base)?;
    rate_ok(rate)?;
    finite("years", years)?;
    if base == 0.0 {
        // Zero stays zero; without this, 0 * inf would be NaN.
        return Ok(base);
    }
    representable("projected value", base * (years * rate.ln_1p()).exp())
}

/// Average annual growth still required from the `latest` value to reach
/// `target` in the `years_left` remaining years.
pub fn required_growth(latest: f64, target: f64, years_left: f64) -> Result<f64> {
    positive("latest", latest)?;
    positive("target", target)?;
    positive("years_left", years_left)?;
    representable(
        "required growth",
        (log_ratio(target, latest) / years_left).exp_m1(),
    )
}

/// Sum of the yearly values over `years` years when the value grows from `base`
/// at `rate`: `sum_{t=1..years} base (1 + rate)^t`.
pub fn cumulative_sum(base: f64, rate: f64, years: u32) -> Result<f64> {
    finite("base", base)?;
    rate_ok(rate)?;
    if base == 0.0 || years == 0 {
        return Ok(0.0);
    }
    representable("cumulative sum", sum_of_powers(rate.ln_1p(), years) * base)
}

/// Up to this many years sums are accumulated term by term; beyond, the closed
/// form keeps the cost constant (a loop over `u32::MAX` years would hang).
const LOOP_YEARS: u32 = 64;

/// `sum_{t=1..n} exp(t u)`: accumulated in order for small n (exact there),
/// else the geometric closed form `e^u (e^{nu} - 1) / (e^u - 1)`.
fn sum_of_powers(u: f64, n: u32) -> f64 {
    if n <= LOOP_YEARS {
        (1..=n).map(|t| (t as f64 * u).exp()).sum()
    } else if u == 0.0 {
        n as f64
    } else {
        u.exp() * (n as f64 * u).exp_m1() / u.exp_m1()
    }
}

/// `ln(x / y)` for positive finite `x`, `y`; finite even when the quotient
/// overflows or underflows.
pub(crate) fn log_ratio(x: f64, y: f64) -> f64 {
    let r = x / y;
    if r.is_normal() {
        r.ln()
    } else {
        x.ln() - y.ln()
    }
}

/// A result that overflowed (or became NaN) is an error, never a value.
fn representable(what: &str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NoSolution(format!(
            "the {what} is not a finite number (got {value})"
        )))
    }
}

/// The constant growth rate `g` with `sum_{t=1..years} base (1+g)^t = total`:
/// the growth a cumulative target ("累计完成100亿美元") implies.
///
/// The sum rises strictly with `g` from 0 (as `g -> -1`) to infinity, so a
/// positive total has exactly one root; it is found by bisection on `ln(1+g)`
/// (robust for any scale), then polished by Newton steps.
pub fn cumulative_implied_growth(base: f64, total: f64, years: u32) -> Result<f64> {
    positive("base", base)?;
    finite("total", total)?;
    if years == 0 {
        return Err(Error::parameter("years", "must be at least 1, got 0"));
    }
    if total <= 0.0 {
        return Err(Error::NoSolution(format!(
            "no growth rate makes a positive series of base {base} sum to {total} over {years} years"
        )));
    }
    let goal = total / base;
    let f = |u: f64| sum_of_powers(u, years) - goal;
    // ln(1+g) from -40 (g = -100% to f64 precision) up to where the last term
    // reaches e^700 (near f64's limit): every total/base in about [4e-18, 1e304]
    // has its root inside. A bound of 40/years, as before, refused ordinary
    // rates on long horizons (15% over 282 years).
    let (lo, hi) = (-40.0_f64, 700.0_f64 / years as f64);
    if f(lo) > 0.0 || f(hi) < 0.0 {
        return Err(Error::NoSolution(format!(
            "no growth rate sums base {base} to {total} over {years} years \
             (total / base must lie within about [4e-18, 1e304])"
        )));
    }
    let Ok((lo, hi)) = crate::solve::bisect::<std::convert::Infallible>(
        lo,
        hi,
        200,
        |mid| Ok(f(mid) < 0.0),
        |lo, hi, mid| hi - lo <= 1e-15 * (1.0 + mid.abs()),
    );
    let mut u = 0.5 * (lo + hi);
    // Newton polish needs the derivative term by term; for long horizons the
    // bisection result (relative 1e-15 in ln(1+g)) stands.
    let polish = if years <= LOOP_YEARS { 3 } else { 0 };
    for _ in 0..polish {
        let d: f64 = (1..=years).map(|t| t as f64 * (t as f64 * u).exp()).sum();
        let step = f(u) / d;
        if !step.is_finite() {
            break;
        }
        u -= step;
    }
    representable("cumulative implied growth", u.exp_m1())
}

/// Growth still required for the remaining `years_left` years when `achieved`
/// has already been accumulated towards a cumulative `total` and the latest
/// yearly value is `latest`. Returns `Ok(None)` when the total is already met.
pub fn required_cumulative_growth(
    latest: f64,
    achieved: f64,
    total: f64,
    years_left: u32,
) -> Result<Option<f64>> {
    finite("achieved", achieved)?;
    finite("total", total)?;
    if achieved >= total {
        return Ok(None);
    }
    cumulative_implied_growth(latest, total - achieved, years_left).map(Some)
}

/// Largest average growth of the denominator that still lets a ratio target
/// hold: with the numerator at `numerator_target` in the target year and the
/// ratio required to be at least `ratio` (a fraction, 0.15 for 15%), the
/// denominator may grow from `denominator_base` to `numerator_target / ratio`.
pub fn ratio_denominator_growth(
    numerator_target: f64,
    ratio: f64,
    denominator_base: f64,
    years: f64,
) -> Result<f64> {
    positive("numerator_target", numerator_target)?;
    positive("ratio", ratio)?;
    implied_growth(denominator_base, numerator_target / ratio, years)
}

fn rate_ok(rate: f64) -> Result<f64> {
    if rate.is_finite() && rate > -1.0 {
        Ok(rate)
    } else {
        Err(Error::parameter(
            "rate",
            Problem::out_of_range(rate, "finite and > -1"),
        ))
    }
}

/// Does a stated growth rate carry the base to the target?
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Consistency {
    /// Growth the base and target imply, percent.
    pub implied_pct: f64,
    /// Value the stated rate reaches in the target year.
    pub reached: f64,
    /// `reached / target - 1`, percent: how far the stated rate over- or
    /// undershoots the target.
    pub gap_pct: f64,
    /// Rates (percent) that print as the stated text.
    pub band_pct: (f64, f64),
    /// Whether the implied rate prints as the stated one (lies in the band).
    pub consistent: bool,
}

/// Checks a stated rate (percent, with the band of rates that print as it)
/// against the growth a level target implies.
pub fn check_level(
    base: f64,
    target: f64,
    years: f64,
    stated_pct: f64,
    band_pct: (f64, f64),
) -> Result<Consistency> {
    let implied_pct = representable("implied rate", 100.0 * implied_growth(base, target, years)?)?;
    let reached = project(base, stated_pct / 100.0, years)?;
    Ok(Consistency {
        implied_pct,
        reached,
        gap_pct: representable("gap", 100.0 * (reached / target - 1.0))?,
        band_pct,
        consistent: band_pct.0 <= implied_pct && implied_pct < band_pct.1,
    })
}

/// Checks a stated rate against the growth a cumulative target implies.
pub fn check_cumulative(
    base: f64,
    total: f64,
    years: u32,
    stated_pct: f64,
    band_pct: (f64, f64),
) -> Result<Consistency> {
    let implied_pct = representable(
        "implied rate",
        100.0 * cumulative_implied_growth(base, total, years)?,
    )?;
    let reached = cumulative_sum(base, stated_pct / 100.0, years)?;
    Ok(Consistency {
        implied_pct,
        reached,
        gap_pct: representable("gap", 100.0 * (reached / total - 1.0))?,
        band_pct,
        consistent: band_pct.0 <= implied_pct && implied_pct < band_pct.1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunan_total_trade_row() {
        // 4875 -> 8400 over 5 years: (8400/4875)^0.2 - 1 = 0.1149642262 (python).
        let g = implied_growth(4875.0, 8400.0, 5.0).unwrap();
        assert!((g - 0.114_964_226).abs() < 1e-8, "{g}");
        let reached = project(4875.0, 0.12, 5.0).unwrap();
        // 1.12^5 = 1.7623416832
        assert!((reached - 4875.0 * 1.762_341_683_2).abs() < 1e-6);
        let c = check_level(4875.0, 8400.0, 5.0, 12.0, (11.5, 12.5)).unwrap();
        assert!(!c.consistent);
        assert!((c.gap_pct - 2.278_758_4).abs() < 1e-6, "{}", c.gap_pct);
    }

    #[test]
    fn cumulative_known_rate() {
        // 10 growing 10%: 11 + 12.1 + 13.31 = 36.41
        let s = cumulative_sum(10.0, 0.1, 3).unwrap();
        assert!((s - 36.41).abs() < 1e-12);
        let g = cumulative_implied_growth(10.0, 36.41, 3).unwrap();
        assert!((g - 0.1).abs() < 1e-12, "{g}");
        // Flat: 5 years of 20 sum to 100.
        let g = cumulative_implied_growth(20.0, 100.0, 5).unwrap();
        assert!(g.abs() < 1e-12, "{g}");
    }

    #[test]
    fn cumulative_no_solution() {
        assert!(matches!(
            cumulative_implied_growth(10.0, 0.0, 5),
            Err(Error::NoSolution(_))
        ));
        assert!(cumulative_implied_growth(-1.0, 10.0, 5).is_err());
        assert!(cumulative_implied_growth(1.0, 10.0, 0).is_err());
        assert!(cumulative_implied_growth(1.0, f64::NAN, 3).is_err());
    }

    #[test]
    fn required_growth_matches_plan_path() {
        let latest = project(100.0, 0.08, 2.0).unwrap();
        let g = required_growth(latest, project(100.0, 0.08, 5.0).unwrap(), 3.0).unwrap();
        assert!((g - 0.08).abs() < 1e-12);
        assert_eq!(
            required_cumulative_growth(10.0, 50.0, 40.0, 2).unwrap(),
            None
        );
    }

    #[test]
    fn ratio_denominator() {
        // trade 8400 at 15% allows GDP of 56000; from 41781.49 over 5 years.
        let g = ratio_denominator_growth(8400.0, 0.15, 41781.49, 5.0).unwrap();
        let expect = (56000.0f64 / 41781.49).powf(0.2) - 1.0;
        assert!((g - expect).abs() < 1e-12);
    }

    #[test]
    fn long_horizons_use_the_closed_form() {
        // Exact rational sums (python Fraction): sum 1.001**t, t=1..1000.
        let s = cumulative_sum(1.0, 0.001, 1000).unwrap();
        assert!((s / 1718.6408561681283 - 1.0).abs() < 1e-12, "{s}");
        // 3 * sum 0.95**t, t=1..100.
        let s = cumulative_sum(3.0, -0.05, 100).unwrap();
        assert!((s / 56.66252983444096 - 1.0).abs() < 1e-12, "{s}");
        let g = cumulative_implied_growth(1.0, 1718.6408561681283, 1000).unwrap();
        assert!((g - 0.001).abs() < 1e-12, "{g}");
        // 15% over 282 years from 0.001: sum 0.001*1.15**t, t=1..282 (exact
        // rational sum), once refused as "outside (-100%, e^40)".
        let g = cumulative_implied_growth(0.001, 1003223186493649.0, 282).unwrap();
        assert!((g - 0.15).abs() < 1e-12, "{g}");
        // u32::MAX years answers at once instead of looping for minutes.
        assert_eq!(
            cumulative_sum(2.0, 0.0, u32::MAX).unwrap(),
            2.0 * u32::MAX as f64
        );
        let g = cumulative_implied_growth(1.0, u32::MAX as f64, u32::MAX).unwrap();
        assert!(g.abs() < 1e-12, "{g}");
    }

    #[test]
    fn overflow_is_an_error_not_a_value() {
        assert!(matches!(
            implied_growth(1e-300, 1e300, 1.0),
            Err(Error::NoSolution(_))
        ));
        assert!(implied_growth(1.0, 2.0, 1e-300).is_err());
        assert!(required_growth(1e-300, 1e300, 1.0).is_err());
        assert!(project(1e300, 10.0, 1000.0).is_err());
        assert_eq!(project(0.0, 10.0, 1000.0).unwrap(), 0.0);
        assert!(cumulative_sum(1e300, 10.0, 1000).is_err());
        assert_eq!(cumulative_sum(0.0, 10.0, 1000).unwrap(), 0.0);
        assert!(check_level(1.0, 1e-306, 1.0, 1e6, (0.0, 1.0)).is_err());
        // A rate near f64::MAX is finite, its percent is not.
        assert!(
            check_level(
                4.2582744107707786e-200,
                f64::MAX,
                1.6524313740738499,
                0.0,
                (0.0, 1.0)
            )
            .is_err()
        );
        // A quotient that overflows still gives the right rate: 600 ln 10 over
        // 1000 years, exp(0.6 ln 10) - 1 = 10**0.6 - 1 = 2.9810717055349722.
        let g = implied_growth(1e-300, 1e300, 1000.0).unwrap();
        assert!((g - 2.981_071_705_534_972).abs() < 1e-12, "{g}");
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(implied_growth(0.0, 1.0, 5.0).is_err());
        assert!(implied_growth(1.0, -1.0, 5.0).is_err());
        assert!(implied_growth(1.0, 2.0, 0.0).is_err());
        assert!(project(1.0, -1.0, 5.0).is_err());
        assert!(project(1.0, f64::INFINITY, 5.0).is_err());
        let e = implied_growth(-3.0, 1.0, 5.0).unwrap_err().to_string();
        assert_eq!(e, "parameter base: must be > 0, got -3");
    }
}
