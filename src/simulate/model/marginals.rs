//! Given marginals by horizon: a model whose log change over `h` years has
//! exactly a stated distribution at every horizon, joined into coherent paths
//! by a random-walk copula.
//!
//! See [`Marginals`].

use std::sync::{Arc, OnceLock};

use super::ar1::check_growth;
use super::{GrowthModel, SimRng, Start};
use crate::error::{Error, Problem, Result};
use crate::forecast::Component;

/// Points of the normal-score grid the quantiles are tabulated on.
const GRID: usize = 2049;

/// Largest normal score of the grid (`Phi(-8.5)` is about 1e-17).
const SCORE_MAX: f64 = 8.5;

/// Most horizons one model may state.
const MAX_HORIZONS: usize = 200;

/// Most components one horizon's mixture may have.
const MAX_COMPONENTS: usize = 256;

/// Grid spacing in normal score.
const STEP: f64 = 2.0 * SCORE_MAX / (GRID - 1) as f64;

/// Index of score 0 on the grid.
const MID: usize = (GRID - 1) / 2;

/// Annual log growth from given marginals of the log change by horizon.
///
/// A calibrated forecast (or a reference class) says how far a series may
/// move in one, two, ... `H` years, as a log-normal mixture for each horizon.
/// This model simulates paths with exactly those marginals: with the path's
/// standard normal shocks `z_1, z_2, ...` (correlated across series by the
/// path simulator), `W_h = z_1 + ... + z_h` is a random walk and
/// `W_h / sqrt(h)` is standard normal, so
///
/// `ln x_h = ln x_0 + h ln(1 + growth_pct/100) + Q_h(Phi(W_h / sqrt(h)))`
///
/// has the stated marginal at every horizon (`Q_h` the quantile of horizon
/// `h`'s mixture). A good year raises every later year, as in a random walk,
/// and series whose shocks co-move keep co-moving.
///
/// `Q_h(Phi(s))` is tabulated once per model, on the first simulation, on
/// [`GRID`](Marginals::GRID) points of the normal score `s` over `[-SCORE_MAX, SCORE_MAX]` ([`SCORE_MAX`](Marginals::SCORE_MAX)), and
/// interpolated linearly (scores beyond the grid take its ends: odds below
/// 1e-17). Building the table is left to the first simulation so that
/// writing many models (a calibrated scenario of a thousand series) does not
/// pay for tables nothing reads.
///
/// **Past the last horizon `H`**, horizon `h > H` is horizon `H` moved and
/// widened: its median moves on by the median's last yearly step
/// (`m_H - m_(H-1)`, or `m_1` with one horizon) and its spread about the
/// median grows as `(h / H)^e`, `e` the elasticity of the central 68%
/// interval's width between horizons `H - 1` and `H`, clamped to
/// `[1/2, 1]` (between a random walk's `sqrt(h)` and an uncertain drift's
/// `h`; `1/2` with one horizon).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "MarginalsRaw")]
pub struct Marginals {
    /// Median annual growth added to every horizon, percent: horizon `h`'s
    /// log change is `h ln(1 + growth_pct/100)` plus a draw of its mixture.
    growth_pct: f64,
    /// Per horizon `1..=H`, the mixture of the log change `ln(x_h / x_0)`
    /// before the growth: with probability `weight`, `N(mu, sigma^2)`.
    horizons: Vec<Vec<Component>>,
    /// The tabulated quantiles, built on first use.
    #[serde(skip)]
    table: OnceLock<Arc<Table>>,
}

/// The file form of [`Marginals`]: loading checks it through [`Marginals::new`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MarginalsRaw {
    growth_pct: f64,
    horizons: Vec<Vec<Component>>,
}

impl TryFrom<MarginalsRaw> for Marginals {
    type Error = Error;
    fn try_from(r: MarginalsRaw) -> Result<Self> {
        Marginals::new(r.growth_pct, r.horizons)
    }
}

impl PartialEq for Marginals {
    fn eq(&self, other: &Self) -> bool {
        self.growth_pct == other.growth_pct && self.horizons == other.horizons
    }
}

impl std::fmt::Debug for Marginals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Marginals")
            .field("growth_pct", &self.growth_pct)
            .field("horizons", &self.horizons)
            .finish()
    }
}

/// `Q_h(Phi(s))` on the grid, horizon by horizon (`GRID` values each), and
/// what horizons past the last need.
#[derive(Debug)]
struct Table {
    values: Vec<f64>,
    /// Median of the last horizon.
    last_median: f64,
    /// The median's last yearly step.
    median_step: f64,
    /// Elasticity of the spread with the horizon past the last.
    elasticity: f64,
}

impl Table {
    fn row(&self, h: usize) -> &[f64] {
        &self.values[h * GRID..(h + 1) * GRID]
    }
}

/// Linear interpolation of a grid row at normal score `s`.
fn interpolate(row: &[f64], s: f64) -> f64 {
    let pos = ((s + SCORE_MAX) / STEP).clamp(0.0, (GRID - 1) as f64);
    // `pos` lies in [0, GRID - 1] (NaN clamps to NaN and casts to 0).
    let i = (pos as usize).min(GRID - 2);
    let frac = pos - i as f64;
    row[i] + frac * (row[i + 1] - row[i])
}

/// `P(X <= x)` of a mixture of normals (the log change), `lower`; or
/// `P(X > x)` (`!lower`), each accurate where it is small.
fn tail(cs: &[Component], x: f64, lower: bool) -> f64 {
    cs.iter()
        .map(|c| {
            let t = (x - c.mu) / (c.sigma * std::f64::consts::SQRT_2);
            c.weight * 0.5 * libm::erfc(if lower { -t } else { t })
        })
        .sum()
}

/// Density of a mixture of normals at `x`.
fn density(cs: &[Component], x: f64) -> f64 {
    let k = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
    cs.iter()
        .map(|c| {
            let t = (x - c.mu) / c.sigma;
            c.weight * k * (-0.5 * t * t).exp() / c.sigma
        })
        .sum()
}

/// `Phi(-|s|)`, accurate in the tails.
fn normal_tail(s: f64) -> f64 {
    0.5 * libm::erfc(s.abs() * std::f64::consts::FRAC_1_SQRT_2)
}

/// The quantile of a checked mixture (every `sigma > 0`) at probability
/// `Phi(s)`: Newton's method from `guess`, kept inside the bracket of the
/// components' own quantiles (the mixture's lies between them), bisecting
/// where a step would leave it. Below the median it solves `F(x) = Phi(s)`,
/// above it `S(x) = Phi(-s)`, so both tails keep their precision.
fn quantile_at_score(cs: &[Component], s: f64, guess: Option<f64>) -> f64 {
    let (mut lo, mut hi) = cs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), c| {
            let q = c.mu + c.sigma * s;
            (a.min(q), b.max(q))
        });
    if hi - lo <= 0.0 {
        return lo;
    }
    let p = normal_tail(s);
    let lower = s <= 0.0;
    // Increasing in x, zero at the quantile.
    let g = |x: f64| {
        if lower {
            tail(cs, x, true) - p
        } else {
            p - tail(cs, x, false)
        }
    };
    let mut x = guess
        .filter(|x| *x > lo && *x < hi)
        .unwrap_or(0.5 * (lo + hi));
    for _ in 0..200 {
        let gx = g(x);
        if gx == 0.0 {
            return x;
        }
        if gx < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let d = density(cs, x);
        let newton = x - gx / d;
        let next = if d > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        let tol = 4.0 * f64::EPSILON * (1.0 + next.abs());
        if (next - x).abs() <= tol || hi - lo <= tol {
            return next;
        }
        x = next;
    }
    x
}

/// Checks one horizon's mixture, naming the offending entry.
fn check_mixture(h: usize, cs: &[Component]) -> Result<()> {
    let field = |k: usize, what: &str| format!("horizons[{h}][{k}].{what}");
    if cs.is_empty() {
        return Err(Error::parameter(&format!("horizons[{h}]"), Problem::Empty));
    }
    if cs.len() > MAX_COMPONENTS {
        return Err(Error::parameter(
            &format!("horizons[{h}]"),
            format!(
                "has {} components, at most {MAX_COMPONENTS} allowed",
                cs.len()
            ),
        ));
    }
    for (k, c) in cs.iter().enumerate() {
        if !c.mu.is_finite() {
            return Err(Error::parameter(&field(k, "mu"), Problem::not_finite(c.mu)));
        }
        if !(c.sigma.is_finite() && c.sigma > 0.0) {
            return Err(Error::parameter(
                &field(k, "sigma"),
                Problem::out_of_range(c.sigma, "finite and > 0"),
            ));
        }
        if !(c.weight.is_finite() && c.weight >= 0.0) {
            return Err(Error::parameter(
                &field(k, "weight"),
                Problem::out_of_range(c.weight, "finite and >= 0"),
            ));
        }
    }
    let total: f64 = cs.iter().map(|c| c.weight).sum();
    if (total - 1.0).abs() > 1e-9 {
        return Err(Error::parameter(
            &format!("horizons[{h}]"),
            format!("weights must sum to 1, got {total}"),
        ));
    }
    Ok(())
}

impl Marginals {
    /// Points of the normal-score grid the quantiles are tabulated on.
    pub const GRID: usize = GRID;
    /// Largest normal score of the grid (`Phi(-8.5)` is about 1e-17).
    pub const SCORE_MAX: f64 = SCORE_MAX;
    /// Most horizons one model may state.
    pub const MAX_HORIZONS: usize = MAX_HORIZONS;
    /// Most components one horizon's mixture may have.
    pub const MAX_COMPONENTS: usize = MAX_COMPONENTS;

    /// Checked constructor: `growth_pct` above -100, and for each horizon
    /// `1..=H` (`1 <= H <=` [`MAX_HORIZONS`](Self::MAX_HORIZONS)) a mixture of at most
    /// [`MAX_COMPONENTS`](Self::MAX_COMPONENTS) normals of the log change, each with a finite
    /// `mu`, a finite `sigma > 0` and a weight `>= 0`, the weights summing to
    /// 1 (within 1e-9).
    pub fn new(growth_pct: f64, horizons: Vec<Vec<Component>>) -> Result<Self> {
        let m = Marginals {
            growth_pct,
            horizons,
            table: OnceLock::new(),
        };
        m.check()?;
        Ok(m)
    }

    /// Checks the parameters, naming the offending one.
    fn check(&self) -> Result<()> {
        check_growth(self.growth_pct)?;
        if self.horizons.is_empty() {
            return Err(Error::parameter("horizons", Problem::Empty));
        }
        if self.horizons.len() > MAX_HORIZONS {
            return Err(Error::parameter(
                "horizons",
                format!(
                    "has {} horizons, at most {MAX_HORIZONS} allowed",
                    self.horizons.len()
                ),
            ));
        }
        for (h, cs) in self.horizons.iter().enumerate() {
            check_mixture(h, cs)?;
        }
        Ok(())
    }

    /// Median annual growth added to every horizon, percent.
    pub fn growth_pct(&self) -> f64 {
        self.growth_pct
    }

    /// The mixtures of the log change by horizon `1..=H` (index 0 is one
    /// year ahead), before the growth.
    pub fn horizons(&self) -> &[Vec<Component>] {
        &self.horizons
    }

    /// The same mixtures with median annual growth `growth_pct` (checked);
    /// the copy shares this model's quantile table once it is built.
    pub fn with_growth_pct(&self, growth_pct: f64) -> Result<Marginals> {
        check_growth(growth_pct)?;
        Ok(Marginals {
            growth_pct,
            ..self.clone()
        })
    }

    /// Builds the quantile table now rather than on the first simulation
    /// (copies made after share it).
    pub fn tabulated(&self) {
        self.table();
    }

    /// The tabulated quantiles, built on first use.
    fn table(&self) -> &Table {
        self.table.get_or_init(|| Arc::new(self.tabulate()))
    }

    fn tabulate(&self) -> Table {
        let n = self.horizons.len();
        let mut values = vec![0.0; n * GRID];
        for (cs, row) in self.horizons.iter().zip(values.chunks_exact_mut(GRID)) {
            // Outward from the median, each point starting from its
            // neighbour's quantile.
            row[MID] = quantile_at_score(cs, 0.0, None);
            for k in (0..MID).rev() {
                row[k] = quantile_at_score(cs, score(k), Some(row[k + 1]));
            }
            for k in MID + 1..GRID {
                row[k] = quantile_at_score(cs, score(k), Some(row[k - 1]));
            }
        }
        let median = |h: usize| values[h * GRID + MID];
        let width = |h: usize| {
            let row = &values[h * GRID..(h + 1) * GRID];
            interpolate(row, 1.0) - interpolate(row, -1.0)
        };
        let last = n - 1;
        let (median_step, elasticity) = if n >= 2 {
            let e = (width(last) / width(last - 1)).ln() / (n as f64 / (n - 1) as f64).ln();
            (
                median(last) - median(last - 1),
                if e.is_nan() { 0.5 } else { e.clamp(0.5, 1.0) },
            )
        } else {
            (median(0), 0.5)
        };
        Table {
            last_median: median(last),
            values,
            median_step,
            elasticity,
        }
    }

    /// How year `t >= 1` reads the table: its row and the log change
    /// `offset + factor * row(s)`, the growth included. Only years past the
    /// last horizon need the table (its medians and widths), so a stated
    /// horizon's CDF or quantile does not build it.
    fn year_map(&self, t: usize) -> (usize, f64, f64) {
        let n = self.horizons.len();
        let growth = t as f64 * super::log_mean(self.growth_pct);
        if t <= n {
            return (t - 1, growth, 1.0);
        }
        let table = self.table();
        let factor = (t as f64 / n as f64).powf(table.elasticity);
        let offset = table.last_median * (1.0 - factor) + (t - n) as f64 * table.median_step;
        (n - 1, growth + offset, factor)
    }

    /// `P(ln(x_h / x_0) <= x)` under the model, for any horizon `h >= 1`
    /// (past the last horizon as the type's documentation says); 0 for
    /// `h = 0` below 0, 1 at or above.
    pub fn log_change_cdf(&self, h: usize, x: f64) -> f64 {
        if h == 0 {
            return if x >= 0.0 { 1.0 } else { 0.0 };
        }
        let (row, offset, factor) = self.year_map(h);
        tail(&self.horizons[row], (x - offset) / factor, true)
    }

    /// The `u`-quantile of `ln(x_h / x_0)`, `u` in (0, 1), for any horizon
    /// `h >= 1`, from the exact mixture (not the table); NaN outside.
    pub fn log_change_quantile(&self, h: usize, u: f64) -> f64 {
        if h == 0 || !(u > 0.0 && u < 1.0) {
            return f64::NAN;
        }
        let s = crate::forecast::std_normal_quantile(u);
        let (row, offset, factor) = self.year_map(h);
        offset + factor * quantile_at_score(&self.horizons[row], s, None)
    }
}

/// Normal score of grid point `k`.
fn score(k: usize) -> f64 {
    -SCORE_MAX + k as f64 * STEP
}

impl GrowthModel for Marginals {
    fn simulate(&self, start: Start, z: &[f64], paths: usize, _rng: &mut SimRng, out: &mut [f64]) {
        if paths == 0 {
            return;
        }
        let table = self.table();
        let mut walk = vec![0.0; paths];
        for (t, (zt, ot)) in z
            .chunks_exact(paths)
            .zip(out.chunks_exact_mut(paths))
            .enumerate()
        {
            let year = t + 1;
            let (row, offset, factor) = self.year_map(year);
            let row = table.row(row);
            let scale = 1.0 / (year as f64).sqrt();
            for ((w, &zi), o) in walk.iter_mut().zip(zt).zip(ot.iter_mut()) {
                *w += zi;
                let y = offset + factor * interpolate(row, *w * scale);
                *o = start.level * y.exp();
            }
        }
    }

    super::median_growth_moves!();

    /// Scales every horizon's spread about its median by `factor` (a
    /// location-scale map of a mixture is a mixture: `mu` moves toward or
    /// away from the median, `sigma` scales); the medians stay.
    fn scale_volatility(&mut self, factor: f64) -> bool {
        if !(factor.is_finite() && factor > 0.0) {
            return false;
        }
        let before = self.clone();
        let medians: Vec<f64> = (0..self.horizons.len())
            .map(|h| self.table().row(h)[MID])
            .collect();
        for (cs, m) in self.horizons.iter_mut().zip(medians) {
            for c in cs.iter_mut() {
                c.mu = m + factor * (c.mu - m);
                c.sigma *= factor;
            }
        }
        self.table = OnceLock::new();
        super::keep_if_valid(self, before, Self::check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::model::testutil::normals;
    use rand::SeedableRng;

    fn c(weight: f64, mu: f64, sigma: f64) -> Component {
        Component { weight, mu, sigma }
    }

    /// Five horizons of a skewed two-component mixture whose spread grows.
    fn model() -> Marginals {
        let horizons = (1..=5)
            .map(|h| {
                let hf = h as f64;
                vec![
                    c(0.8, 0.01 * hf, 0.04 * hf.sqrt()),
                    c(0.2, -0.05 * hf, 0.12 * hf.powf(0.7)),
                ]
            })
            .collect();
        Marginals::new(3.0, horizons).unwrap()
    }

    #[test]
    fn rejects_bad_mixtures() {
        let e = Marginals::new(3.0, vec![]).unwrap_err();
        assert!(e.to_string().contains("horizons"), "{e}");
        let e = Marginals::new(3.0, vec![vec![c(0.5, 0.0, 0.1)]]).unwrap_err();
        assert!(e.to_string().contains("sum to 1"), "{e}");
        let e = Marginals::new(3.0, vec![vec![c(1.0, 0.0, 0.0)]]).unwrap_err();
        assert!(e.to_string().contains("horizons[0][0].sigma"), "{e}");
        let e = Marginals::new(3.0, vec![vec![c(1.0, f64::NAN, 0.1)]]).unwrap_err();
        assert!(e.to_string().contains("horizons[0][0].mu"), "{e}");
        assert!(Marginals::new(-100.0, vec![vec![c(1.0, 0.0, 0.1)]]).is_err());
        assert!(Marginals::new(3.0, vec![vec![]]).is_err());
        let toml = "growth_pct = 2.0\nhorizons = [[{ weight = 1.0, mu = 0.0, sigma = -1.0 }]]";
        assert!(toml::from_str::<Marginals>(toml).is_err());
    }

    #[test]
    fn table_matches_the_exact_quantiles() {
        let m = model();
        let table = m.table();
        for h in 0..5 {
            for s in [-7.93, -3.1, -0.4, 0.0, 0.77, 2.5, 6.01] {
                let exact = quantile_at_score(&m.horizons[h], s, None);
                let got = interpolate(table.row(h), s);
                // The interpolation error is about STEP^2 / 8 times the
                // curvature: far below 1e-5 of the spread.
                assert!((got - exact).abs() < 1e-5, "h {h} s {s}: {got} {exact}");
                let p = normal_tail(s);
                let lower = tail(&m.horizons[h], exact, s <= 0.0);
                assert!((lower - p).abs() <= 1e-12 * p, "h {h} s {s}: {lower} {p}");
            }
        }
    }

    #[test]
    fn one_normal_horizon_is_log_normal_growth() {
        // N(0, 0.05^2 h) at each horizon: the log-normal model's marginals,
        // and past the last one the spread grows as sqrt(h) (elasticity 1/2).
        let horizons = (1..=3)
            .map(|h| vec![c(1.0, 0.0, 0.05 * (h as f64).sqrt())])
            .collect();
        let m = Marginals::new(4.0, horizons).unwrap();
        let q = m.log_change_quantile(6, 0.9);
        let exact = 6.0 * 1.04f64.ln() + 0.05 * 6f64.sqrt() * 1.2815515655446004;
        assert!((q - exact).abs() < 1e-5, "{q} {exact}");
        assert!((m.log_change_cdf(2, 2.0 * 1.04f64.ln()) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn simulated_marginals_match_the_mixture() {
        let m = model();
        let (paths, years) = (40_000, 8);
        let z = normals(21, paths * years);
        let mut rng = SimRng::seed_from_u64(1);
        let mut out = vec![0.0; paths * years];
        let start = Start {
            level: 50.0,
            last_log_growth: Some(0.4),
        };
        m.simulate(start, &z, paths, &mut rng, &mut out);
        let n = paths as f64;
        // Horizons inside the table and past it (7 and 8 extend horizon 5).
        for h in [1, 3, 5, 7, 8] {
            let logs: Vec<f64> = out[(h - 1) * paths..h * paths]
                .iter()
                .map(|v| (v / 50.0).ln())
                .collect();
            for u in [0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.98] {
                let x = m.log_change_quantile(h, u);
                let p = m.log_change_cdf(h, x);
                assert!((p - u).abs() < 1e-6, "h {h} u {u}: {p}");
                let hit = logs.iter().filter(|&&l| l <= x).count() as f64 / n;
                let se = (u * (1.0 - u) / n).sqrt();
                assert!((hit - u).abs() < 4.5 * se, "h {h} u {u}: {hit} (se {se})");
            }
        }
        // The median path grows at 3% a year plus the mixture's median.
        let med1 = m.log_change_quantile(1, 0.5);
        assert!(med1 < 1.03f64.ln() + 0.01 && med1 > 1.03f64.ln() - 0.05);
        // Coherent paths: consecutive years are strongly correlated.
        let (a, b) = (&out[..paths], &out[paths..2 * paths]);
        let (la, lb): (Vec<f64>, Vec<f64>) = a.iter().zip(b).map(|(x, y)| (x.ln(), y.ln())).unzip();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
        let (ma, mb) = (mean(&la), mean(&lb));
        let cov = la
            .iter()
            .zip(&lb)
            .map(|(x, y)| (x - ma) * (y - mb))
            .sum::<f64>()
            / n;
        let var = |v: &[f64], m: f64| v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
        let r = cov / (var(&la, ma) * var(&lb, mb)).sqrt();
        assert!(r > 0.6, "{r}");
    }

    #[test]
    fn moves_keep_the_medians_or_shift_them() {
        let mut m = model();
        let med = m.log_change_quantile(3, 0.5);
        let q90 = m.log_change_quantile(3, 0.9);
        assert!(m.scale_volatility(2.0));
        assert!((m.log_change_quantile(3, 0.5) - med).abs() < 1e-12);
        assert!((m.log_change_quantile(3, 0.9) - med - 2.0 * (q90 - med)).abs() < 1e-9);
        assert!(!m.scale_volatility(f64::NAN));
        assert!(m.shift_growth(0.01));
        assert!((m.log_change_quantile(3, 0.5) - med - 0.03).abs() < 1e-12);
        assert!(!m.shift_growth(-1e9));
    }
}
