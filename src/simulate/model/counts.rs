//! Counts: yearly flows such as new projects per year (Poisson and negative
//! binomial).

use statrs::function::{beta::checked_beta_reg, gamma};

use super::ar1::check_growth;
use super::{GrowthModel, SimRng, Start};
use crate::error::{Error, Problem, Result};
use crate::simulate::normal::normal_cdf;

/// Yearly counts, independent across years given their means: Poisson with
/// mean `mean (1 + growth_pct/100)^(t+1)` in simulated year `t` (0 = the first
/// simulated year). The count is `F^{-1}(Phi(z))` (a Gaussian copula), so the
/// engine's correlation reaches it. A flow: the start level is not used.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "PoissonRaw")]
pub struct Poisson {
    /// Mean count in the start year (the base year's flow), > 0.
    mean: f64,
    /// Annual growth of the mean, percent.
    growth_pct: f64,
}

/// The file form of [`Poisson`]: loading checks it through [`Poisson::new`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PoissonRaw {
    mean: f64,
    #[serde(default)]
    growth_pct: f64,
}

impl TryFrom<PoissonRaw> for Poisson {
    type Error = crate::error::Error;
    fn try_from(r: PoissonRaw) -> Result<Self> {
        Poisson::new(r.mean, r.growth_pct)
    }
}

/// Yearly counts with extra-Poisson variation: negative binomial with mean
/// `mean_t` as for [`Poisson`] and variance `mean_t + mean_t^2 / r` (`r` large
/// tends to Poisson). Drawn as `F^{-1}(Phi(z))`; a flow like [`Poisson`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "NegativeBinomialRaw")]
pub struct NegativeBinomial {
    /// Mean count in the start year (the base year's flow), > 0.
    mean: f64,
    /// Annual growth of the mean, percent.
    growth_pct: f64,
    /// Dispersion ("size"), > 0: variance is `mean + mean^2 / r`.
    r: f64,
}

/// The file form of [`NegativeBinomial`]: loading checks it through [`NegativeBinomial::new`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NegativeBinomialRaw {
    mean: f64,
    #[serde(default)]
    growth_pct: f64,
    r: f64,
}

impl TryFrom<NegativeBinomialRaw> for NegativeBinomial {
    type Error = crate::error::Error;
    fn try_from(r: NegativeBinomialRaw) -> Result<Self> {
        NegativeBinomial::new(r.mean, r.growth_pct, r.r)
    }
}

impl Poisson {
    /// Checked constructor.
    pub fn new(mean: f64, growth_pct: f64) -> Result<Self> {
        let m = Poisson { mean, growth_pct };
        m.check()?;
        Ok(m)
    }

    /// Mean (also the variance) of the count in simulated year `t`.
    pub fn mean_in(&self, t: usize) -> f64 {
        mean_in(self.mean, self.growth_pct, t)
    }
}

impl NegativeBinomial {
    /// Checked constructor.
    pub fn new(mean: f64, growth_pct: f64, r: f64) -> Result<Self> {
        let m = NegativeBinomial {
            mean,
            growth_pct,
            r,
        };
        m.check()?;
        Ok(m)
    }

    /// Mean of the count in simulated year `t`.
    pub fn mean_in(&self, t: usize) -> f64 {
        mean_in(self.mean, self.growth_pct, t)
    }

    /// Variance of the count in simulated year `t`: `mean_t + mean_t^2 / r`.
    pub fn variance_in(&self, t: usize) -> f64 {
        let m = self.mean_in(t);
        m + m * m / self.r
    }
}

fn mean_in(mean: f64, growth_pct: f64, t: usize) -> f64 {
    mean * ((t + 1) as f64 * (growth_pct / 100.0).ln_1p()).exp()
}

fn check_mean(mean: f64) -> Result<()> {
    if mean.is_finite() && mean > 0.0 {
        Ok(())
    } else {
        Err(Error::parameter(
            "mean",
            Problem::out_of_range(mean, "finite and > 0"),
        ))
    }
}

/// Beyond any count a model can mean: the search gives up here.
const MAX_COUNT: u64 = 1 << 53;

/// From this Poisson mean on, [`count_quantile`] takes the Cornish-Fisher
/// expansion instead of inverting the incomplete gamma function, whose cost
/// grows with the square root of the mean (0.1 ms a draw at 1e8, hours for
/// a run at 1e12). Here the expansion's error, of order `z^4 / mean` counts,
/// is below 0.001 counts for |z| <= 8: the count is exact but when the exact
/// quantile lies that close to a whole number (then it is one count off, a
/// relative error below 1e-6).
pub const POISSON_ASYMPTOTIC_MEAN: f64 = 1e7;

/// The Poisson quantile at mean `m` by the Cornish-Fisher expansion to order
/// `1/m` (all cumulants are `m`: skewness `m^-1/2`, excess kurtosis `1/m`),
/// with the continuity correction: the least `k` with `k + 1/2 >= m + sqrt(m)
/// w(z)`. Constant time, for large means.
fn poisson_quantile_asymptotic(m: f64, z: f64) -> f64 {
    let s = m.sqrt();
    let (z2, z3) = (z * z, z * z * z);
    let w = z + (z2 - 1.0) / (6.0 * s) + ((z3 - 3.0 * z) / 24.0 - (2.0 * z3 - 5.0 * z) / 36.0) / m;
    (m + s * w - 0.5).ceil().max(0.0)
}

/// `F^{-1}(Phi(z))` for a count with mean `m` and dispersion `r` (infinite for
/// Poisson). The condition is posed on the smaller tail (`F(k) >= Phi(z)` for
/// `z <= 0`, `P(X > k) <= Phi(-z)` for `z > 0`), evaluated by the regularized
/// incomplete gamma or beta functions, each in the branch that is accurate
/// there, so far tails are not lost to `1 - u`. The search starts at a
/// Cornish-Fisher guess and gallops, then bisects: a few evaluations a draw.
fn count_quantile(m: f64, r: f64, z: f64) -> f64 {
    if m == 0.0 {
        return 0.0;
    }
    if !(m.is_finite() && m > 0.0) || z.is_nan() || r.is_nan() || r <= 0.0 {
        return f64::NAN;
    }
    let poisson = r.is_infinite();
    if poisson && m >= POISSON_ASYMPTOTIC_MEAN {
        return poisson_quantile_asymptotic(m, z);
    }
    let tail = normal_cdf(-z.abs());
    // P(X <= k) and P(X > k); NaN (an error) reads as "not yet".
    let cdf = |k: u64| {
        let a = k as f64 + 1.0;
        if poisson {
            gamma::checked_gamma_ur(a, m).unwrap_or(f64::NAN)
        } else {
            checked_beta_reg(r, a, r / (r + m)).unwrap_or(f64::NAN)
        }
    };
    let sf = |k: u64| {
        let a = k as f64 + 1.0;
        if poisson {
            gamma::checked_gamma_lr(a, m).unwrap_or(f64::NAN)
        } else {
            checked_beta_reg(a, r, m / (r + m)).unwrap_or(f64::NAN)
        }
    };
    let ok = |k: u64| {
        if z <= 0.0 {
            cdf(k) >= tail
        } else {
            sf(k) <= tail
        }
    };
    // Cornish-Fisher: cumulants m + m^2/r and m + 3m^2/r + 2m^3/r^2.
    let inv_r = if poisson { 0.0 } else { 1.0 / r };
    let var = m + m * m * inv_r;
    let k3 = m + 3.0 * m * m * inv_r + 2.0 * m * m * m * inv_r * inv_r;
    let skew = k3 / var.powf(1.5);
    let guess = m + var.sqrt() * (z + skew * (z * z - 1.0) / 6.0);
    let guess = if guess.is_finite() {
        guess.clamp(0.0, MAX_COUNT as f64) as u64
    } else {
        0
    };
    // Bracket (lo, hi] with ok(hi) and not ok(lo), lo = None meaning -1.
    let (mut lo, mut hi): (Option<u64>, u64);
    if ok(guess) {
        hi = guess;
        lo = None;
        let mut step = 1u64;
        while hi > 0 {
            let c = hi.saturating_sub(step);
            if ok(c) {
                hi = c;
                step = step.saturating_mul(2);
            } else {
                lo = Some(c);
                break;
            }
        }
    } else {
        lo = Some(guess);
        hi = guess;
        let mut step = 1u64;
        loop {
            let c = hi.saturating_add(step).min(MAX_COUNT);
            if ok(c) || c == MAX_COUNT {
                hi = c;
                break;
            }
            lo = Some(c);
            hi = c;
            step = step.saturating_mul(2);
        }
    }
    if let Some(l) = lo {
        hi = crate::solve::bisect_count(l, hi, ok);
    }
    hi as f64
}

/// Fills `out` year by year with counts of mean `mean_in(t)`.
fn simulate_counts(mean: f64, growth_pct: f64, r: f64, z: &[f64], paths: usize, out: &mut [f64]) {
    if paths == 0 {
        return;
    }
    for (t, (zt, ot)) in z
        .chunks_exact(paths)
        .zip(out.chunks_exact_mut(paths))
        .enumerate()
    {
        let m = mean_in(mean, growth_pct, t);
        for (o, &zi) in ot.iter_mut().zip(zt) {
            *o = count_quantile(m, r, zi);
        }
    }
}

/// Shifts a growth in percent by `delta` in log growth.
fn shifted(growth_pct: f64, delta: f64) -> f64 {
    100.0 * ((growth_pct / 100.0).ln_1p() + delta).exp_m1()
}

impl Poisson {
    /// Mean count in the start year (the base year's flow), > 0.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Checks the parameters, naming the offending one.
    fn check(&self) -> Result<()> {
        check_mean(self.mean)?;
        check_growth(self.growth_pct)
    }
}

impl GrowthModel for Poisson {
    fn simulate(&self, _start: Start, z: &[f64], paths: usize, _rng: &mut SimRng, out: &mut [f64]) {
        simulate_counts(self.mean, self.growth_pct, f64::INFINITY, z, paths, out)
    }

    fn growth_pct(&self) -> Option<f64> {
        Some(self.growth_pct)
    }

    fn shift_growth(&mut self, delta: f64) -> bool {
        let before = self.clone();
        self.growth_pct = shifted(self.growth_pct, delta);
        super::keep_if_valid(self, before, Self::check)
    }
}

impl NegativeBinomial {
    /// Mean count in the start year (the base year's flow), > 0.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Dispersion ("size"), > 0: variance is `mean + mean^2 / r`.
    pub fn r(&self) -> f64 {
        self.r
    }

    /// Checks the parameters, naming the offending one.
    fn check(&self) -> Result<()> {
        check_mean(self.mean)?;
        check_growth(self.growth_pct)?;
        if self.r.is_finite() && self.r > 0.0 {
            Ok(())
        } else {
            Err(Error::parameter(
                "r",
                Problem::out_of_range(self.r, "finite and > 0"),
            ))
        }
    }
}

impl GrowthModel for NegativeBinomial {
    fn simulate(&self, _start: Start, z: &[f64], paths: usize, _rng: &mut SimRng, out: &mut [f64]) {
        simulate_counts(self.mean, self.growth_pct, self.r, z, paths, out)
    }

    fn growth_pct(&self) -> Option<f64> {
        Some(self.growth_pct)
    }

    fn shift_growth(&mut self, delta: f64) -> bool {
        let before = self.clone();
        self.growth_pct = shifted(self.growth_pct, delta);
        super::keep_if_valid(self, before, Self::check)
    }

    /// Scales the extra-Poisson standard deviation `mean / sqrt(r)`.
    fn scale_volatility(&mut self, factor: f64) -> bool {
        let before = self.clone();
        self.r /= factor * factor;
        super::keep_if_valid(self, before, Self::check)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{moments, normals};
    use super::*;
    use rand::SeedableRng;

    const ZS: [f64; 7] = [-8.0, -3.0, -0.3, 0.0, 0.3, 3.0, 8.0];

    #[test]
    fn quantiles_match_reference() {
        // mpmath (50-60 digits; /tmp scripts in the report): min k with
        // F(k) >= Phi(z), via the smaller tail, for z in ZS. For mean = r = 1e4,
        // F(9999) = I_{1/2}(r, r) = 1/2 exactly, so z = 0 gives 9999 (the
        // reference's rounding put the sum a hair below 1/2).
        let cases: [(f64, f64, [u64; 7]); 7] = [
            (0.3, f64::INFINITY, [0, 0, 0, 0, 0, 3, 12]),
            (3.5, f64::INFINITY, [0, 0, 3, 3, 4, 10, 27]),
            (
                1e4,
                f64::INFINITY,
                [9211, 9701, 9970, 10000, 10030, 10301, 10810],
            ),
            (3.5, 0.5, [0, 0, 1, 1, 3, 38, 245]),
            (50.0, 5.0, [0, 6, 40, 47, 54, 149, 494]),
            (1e4, 2.0, [0, 263, 6626, 8392, 10452, 44505, 193492]),
            (1e4, 1e4, [8900, 9580, 9957, 9999, 10042, 10428, 11163]),
        ];
        for (m, r, want) in cases {
            for (z, w) in ZS.iter().zip(want) {
                let got = count_quantile(m, r, *z);
                assert_eq!(got, w as f64, "mean {m}, r {r}, z {z}");
            }
        }
        assert!(count_quantile(5.0, f64::INFINITY, f64::NAN).is_nan());
        assert_eq!(count_quantile(0.0, f64::INFINITY, 1.0), 0.0);
    }

    #[test]
    fn large_poisson_means_take_constant_time_and_agree_with_the_exact_inversion() {
        // Just below the switch the exact inversion runs; just above it the
        // expansion must give the same counts (shifted by the mean's change).
        // Mean 1e7 exactly, both ways, on a grid of z: at most one count
        // apart, and equal for nearly all.
        let m = POISSON_ASYMPTOTIC_MEAN;
        let mut differ = 0;
        let grid: Vec<f64> = (0..161).map(|i| -8.0 + 0.1 * i as f64).collect();
        for &z in &grid {
            let exact = count_quantile(m * (1.0 - 1e-16), f64::INFINITY, z);
            let approx = poisson_quantile_asymptotic(m, z);
            assert!((exact - approx).abs() <= 1.0, "z {z}: {exact} vs {approx}");
            differ += usize::from(exact != approx);
        }
        assert!(differ <= 2, "{differ} of {} differ", grid.len());
        // mpmath reference at mean 1e4 (above): the expansion is already
        // within a count there.
        for (z, want) in [(-3.0, 9701.0), (0.0, 10000.0), (3.0, 10301.0)] {
            assert!((poisson_quantile_asymptotic(1e4, z) - want).abs() <= 1.0);
        }
        // A mean of 1e12 costs what a mean of 1e7 does: 100,000 draws in
        // well under a second (the inversion took about 10 ms each).
        let t = std::time::Instant::now();
        let mut sum = 0.0;
        for i in 0..100_000 {
            sum += count_quantile(1e12, f64::INFINITY, -4.0 + 8e-5 * i as f64);
        }
        assert!(t.elapsed().as_secs_f64() < 1.0, "{:?}", t.elapsed());
        // The mean of the quantiles over a symmetric grid is the mean.
        assert!((sum / 1e5 / 1e12 - 1.0).abs() < 1e-5, "{}", sum / 1e5);
    }

    #[test]
    fn poisson_mean_and_variance_per_year() {
        // Row 8: 100 new projects a year, growing 5% a year.
        let m = Poisson::new(100.0, 5.0).unwrap();
        let (paths, years) = (10_000, 3);
        let z = normals(61, paths * years);
        let mut out = vec![0.0; paths * years];
        m.simulate(
            Start::at(f64::NAN),
            &z,
            paths,
            &mut SimRng::seed_from_u64(1),
            &mut out,
        );
        for t in 0..years {
            let mt = m.mean_in(t);
            // python3: 100*1.05**(t+1)
            assert!((mt - 100.0 * 1.05f64.powi(t as i32 + 1)).abs() < 1e-9);
            let (mean, var, m4) = moments(&out[t * paths..(t + 1) * paths]);
            let n = paths as f64;
            assert!(
                (mean - mt).abs() < 4.5 * (mt / n).sqrt(),
                "year {t}: {mean} vs {mt}"
            );
            let se_v = ((m4 - var * var) / n).sqrt();
            assert!((var - mt).abs() < 4.5 * se_v, "year {t}: var {var} vs {mt}");
            assert!(
                out[t * paths..(t + 1) * paths]
                    .iter()
                    .all(|v| v.fract() == 0.0 && *v >= 0.0)
            );
        }
    }

    #[test]
    fn negative_binomial_mean_and_variance() {
        let m = NegativeBinomial::new(40.0, 0.0, 4.0).unwrap();
        let paths = 20_000;
        let z = normals(62, paths);
        let mut out = vec![0.0; paths];
        m.simulate(
            Start::at(1.0),
            &z,
            paths,
            &mut SimRng::seed_from_u64(1),
            &mut out,
        );
        // variance 40 + 1600/4 = 440
        assert_eq!(m.variance_in(0), 440.0);
        let (mean, var, m4) = moments(&out);
        let n = paths as f64;
        assert!((mean - 40.0).abs() < 4.5 * (440.0 / n).sqrt(), "{mean}");
        let se_v = ((m4 - var * var) / n).sqrt();
        assert!((var - 440.0).abs() < 4.5 * se_v, "{var}");
    }

    #[test]
    fn rejects_bad_parameters_and_is_flow() {
        for (e, name) in [
            (Poisson::new(0.0, 5.0).unwrap_err(), "mean"),
            (Poisson::new(f64::INFINITY, 5.0).unwrap_err(), "mean"),
            (Poisson::new(10.0, -100.0).unwrap_err(), "growth_pct"),
            (NegativeBinomial::new(10.0, 5.0, 0.0).unwrap_err(), "r"),
            (NegativeBinomial::new(10.0, 5.0, f64::NAN).unwrap_err(), "r"),
            (NegativeBinomial::new(-1.0, 5.0, 2.0).unwrap_err(), "mean"),
        ] {
            assert!(e.to_string().contains(name), "{e}");
        }
        let p = super::super::ModelSpec::Poisson(Poisson::new(100.0, 0.0).unwrap());
        let nb = super::super::ModelSpec::NegativeBinomial(
            NegativeBinomial::new(100.0, 0.0, 3.0).unwrap(),
        );
        let ln =
            super::super::ModelSpec::LogNormal(super::super::LogNormal::new(5.0, 0.1).unwrap());
        assert!(p.is_flow() && nb.is_flow() && !ln.is_flow());
        let mut nb = NegativeBinomial::new(100.0, 0.0, 4.0).unwrap();
        assert!(nb.scale_volatility(2.0) && nb.r == 1.0);
    }
}
