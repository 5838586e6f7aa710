//! The root finders and optimisers the crate needs, written once: bisection
//! (on reals and on counts), golden-section search and Nelder-Mead.
//!
//! Each keeps the exact sequence of iterates its callers had inline, since
//! results are pinned to the bit (tests/value_stability.rs): a caller picks the
//! stopping rule, the solver never reorders the arithmetic.

/// Bisection of `[lo, hi]` on a monotone test: `below(mid)` says whether the
/// solution lies above `mid` (then `lo = mid`, else `hi = mid`). Stops after
/// `max_iter` halvings, when the midpoint is no longer strictly inside (the
/// bracket is two adjacent floats), or when `done(lo, hi, mid)` holds after
/// an update. Returns the final bracket; an error of `below` ends it at once.
pub(crate) fn bisect<E>(
    mut lo: f64,
    mut hi: f64,
    max_iter: usize,
    mut below: impl FnMut(f64) -> Result<bool, E>,
    done: impl Fn(f64, f64, f64) -> bool,
) -> Result<(f64, f64), E> {
    for _ in 0..max_iter {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if below(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
        if done(lo, hi, mid) {
            break;
        }
    }
    Ok((lo, hi))
}

/// The smallest count in `(lo, hi]` at which the monotone `ok` holds, given
/// that it fails at `lo` and holds at `hi` (`lo < hi`).
pub(crate) fn bisect_count(mut lo: u64, mut hi: u64, ok: impl Fn(u64) -> bool) -> u64 {
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Golden-section search for the maximum of a unimodal `f` on `[a, b]`,
/// until the bracket is at most `tol` wide; returns its midpoint. The ends
/// themselves are never evaluated (a caller that wants them checks them).
pub(crate) fn golden_max(mut f: impl FnMut(f64) -> f64, mut a: f64, mut b: f64, tol: f64) -> f64 {
    let r = 0.5 * (5f64.sqrt() - 1.0);
    let (mut c, mut d) = (b - r * (b - a), a + r * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    while b - a > tol {
        if fc >= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - r * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + r * (b - a);
            fd = f(d);
        }
    }
    0.5 * (a + b)
}

/// Compact Nelder-Mead minimisation of `f` over `N` parameters (reflection 1,
/// expansion 2, contraction and shrink 1/2), deterministic: the start simplex
/// is `start` and `start + step e_i`; it stops after `iters` iterations or
/// when the simplex's values agree to `1e-14` relative. Returns the best vertex.
pub(crate) fn nelder_mead<const N: usize>(
    f: impl Fn(&[f64; N]) -> f64,
    start: [f64; N],
    step: f64,
    iters: usize,
) -> [f64; N] {
    let mut s: Vec<([f64; N], f64)> = (0..=N)
        .map(|i| {
            let mut x = start;
            if i > 0 {
                x[i - 1] += step;
            }
            (x, f(&x))
        })
        .collect();
    let comb = |a: &[f64; N], b: &[f64; N], t: f64| -> [f64; N] {
        std::array::from_fn(|i| a[i] + t * (b[i] - a[i]))
    };
    for _ in 0..iters {
        s.sort_by(|a, b| a.1.total_cmp(&b.1));
        if s[N].1 - s[0].1 <= 1e-14 * (1e-300 + s[0].1.abs()) {
            break;
        }
        // Summed in vertex order, then divided: the iterates of the inline
        // three-parameter version it replaced.
        let c: [f64; N] = std::array::from_fn(|i| {
            let mut sum = s[0].0[i];
            for v in &s[1..N] {
                sum += v.0[i];
            }
            sum / N as f64
        });
        let worst = s[N].0;
        let r = comb(&c, &worst, -1.0);
        let fr = f(&r);
        if fr < s[0].1 {
            let e = comb(&c, &worst, -2.0);
            let fe = f(&e);
            s[N] = if fe < fr { (e, fe) } else { (r, fr) };
        } else if fr < s[N - 1].1 {
            s[N] = (r, fr);
        } else {
            let k = comb(&c, &worst, 0.5);
            let fk = f(&k);
            if fk < s[N].1 {
                s[N] = (k, fk);
            } else {
                let best = s[0].0;
                for v in s.iter_mut().skip(1) {
                    let x = comb(&best, &v.0, 0.5);
                    *v = (x, f(&x));
                }
            }
        }
    }
    s.sort_by(|a, b| a.1.total_cmp(&b.1));
    s[0].0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    #[test]
    fn bisect_finds_sqrt_two() {
        let Ok((lo, hi)) = bisect::<Infallible>(
            0.0,
            2.0,
            200,
            |x| Ok(x * x < 2.0),
            |lo, hi, _| hi - lo < 1e-14,
        );
        assert!(lo <= std::f64::consts::SQRT_2 && std::f64::consts::SQRT_2 <= hi);
        assert!(hi - lo < 1e-14);
        // Without a tolerance it runs to adjacent floats.
        let Ok((lo, hi)) =
            bisect::<Infallible>(1.0, 2.0, 200, |x| Ok(x * x < 2.0), |_, _, _| false);
        assert_eq!(hi, lo.next_up());
        // An error stops it.
        let e = bisect(0.0, 1.0, 10, |_| Err("no"), |_, _, _| false);
        assert_eq!(e, Err("no"));
    }

    #[test]
    fn bisect_count_finds_the_first_count() {
        // Smallest k with k^2 >= 50 is 8; with k^3 >= 10^15, 100000.
        assert_eq!(bisect_count(0, 100, |k| k * k >= 50), 8);
        assert_eq!(
            bisect_count(1, 1 << 20, |k| k * k * k >= 1_000_000_000_000_000),
            100_000
        );
        assert_eq!(bisect_count(4, 5, |_| true), 5);
    }

    #[test]
    fn golden_max_finds_the_peak() {
        let x = golden_max(|x| -(x - 1.3) * (x - 1.3), -4.0, 5.0, 1e-9);
        assert!((x - 1.3).abs() < 1e-8, "{x}");
        // ln x - x peaks at x = 1.
        let x = golden_max(|x| x.ln() - x, 0.1, 3.0, 1e-10);
        assert!((x - 1.0).abs() < 1e-6, "{x}");
    }

    #[test]
    fn nelder_mead_finds_the_minimum() {
        // A convex quadratic with minimum at (1, -2, 0.5).
        let q = |p: &[f64; 3]| {
            (p[0] - 1.0).powi(2) + 3.0 * (p[1] + 2.0).powi(2) + 2.0 * (p[2] - 0.5).powi(2)
        };
        let p = nelder_mead(q, [0.0, 0.0, 0.0], 0.5, 2000);
        for (got, want) in p.iter().zip([1.0, -2.0, 0.5]) {
            assert!((got - want).abs() < 1e-6, "{p:?}");
        }
        // Rosenbrock in two dimensions: minimum at (1, 1).
        let rosen = |p: &[f64; 2]| 100.0 * (p[1] - p[0] * p[0]).powi(2) + (1.0 - p[0]).powi(2);
        let p = nelder_mead(rosen, [-1.2, 1.0], 0.1, 5000);
        assert!(
            (p[0] - 1.0).abs() < 1e-5 && (p[1] - 1.0).abs() < 1e-5,
            "{p:?}"
        );
    }
}
