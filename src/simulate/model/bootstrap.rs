//! History resampling: bootstrap and moving-block bootstrap of observed
//! annual growth rates.

use super::{GrowthModel, SimRng, Start};
use crate::error::{Error, Problem, Result};
use crate::simulate::normal::normal_cdf;

/// Annual growth drawn from the observed rates `history_pct`. With `block = 1`
/// every year draws one observed year independently; with `block > 1` the path
/// is built from runs of `block` consecutive observed years (moving blocks,
/// starts `0..=n-block`), which keeps the history's persistence.
///
/// The draw is rank `floor(Phi(z) m)` among the `m = n - block + 1` possible
/// blocks ordered by their total log growth (for `block = 1`: the observed
/// years sorted, the empirical quantile function), taken at the block's first
/// year. This is a Gaussian copula, so correlation across indicators passes:
/// a high `z` draws a fast year (or block). Keep `history_pct` chronological,
/// as blocks are runs of consecutive entries.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "BootstrapRaw")]
pub struct Bootstrap {
    /// Observed annual growth rates, percent, in chronological order.
    history_pct: Vec<f64>,
    /// Block length in years: 1 is the i.i.d. bootstrap.
    block: usize,
}

/// The file form of [`Bootstrap`]: loading checks it through [`Bootstrap::new`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BootstrapRaw {
    history_pct: Vec<f64>,
    #[serde(default = "one")]
    block: usize,
}

impl TryFrom<BootstrapRaw> for Bootstrap {
    type Error = crate::error::Error;
    fn try_from(r: BootstrapRaw) -> Result<Self> {
        Bootstrap::new(r.history_pct, r.block)
    }
}

fn one() -> usize {
    1
}

impl Bootstrap {
    /// Checked constructor from observed annual growth rates in percent.
    pub fn new(history_pct: Vec<f64>, block: usize) -> Result<Self> {
        let m = Bootstrap { history_pct, block };
        m.check()?;
        Ok(m)
    }

    /// Checked constructor from observed yearly levels (at least two, all
    /// finite and > 0): the rates are the year-on-year growths.
    pub fn from_levels(levels: &[f64], block: usize) -> Result<Self> {
        if levels.len() < 2 {
            return Err(Error::parameter(
                "levels",
                Problem::too_short(2, levels.len(), "values"),
            ));
        }
        if let Some((i, v)) = levels
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v > 0.0))
        {
            return Err(Error::parameter(
                &format!("levels[{i}]"),
                Problem::out_of_range(v, "finite and > 0"),
            ));
        }
        let rates = levels
            .windows(2)
            .map(|w| 100.0 * (w[1] / w[0] - 1.0))
            .collect();
        Bootstrap::new(rates, block)
    }

    /// The observed annual log growths.
    pub fn log_growths(&self) -> impl Iterator<Item = f64> + '_ {
        self.history_pct.iter().map(|r| (r / 100.0).ln_1p())
    }

    /// Mean and variance (divisor n) of the observed annual log growths: the
    /// moments of every simulated year with `block = 1`.
    pub fn log_moments(&self) -> (f64, f64) {
        let n = self.history_pct.len() as f64;
        let mean = self.log_growths().sum::<f64>() / n;
        let var = self.log_growths().map(|g| (g - mean).powi(2)).sum::<f64>() / n;
        (mean, var)
    }

    /// Maps every observed log growth through `f` and back to percent.
    fn remap(&mut self, f: impl Fn(f64) -> f64) {
        for r in &mut self.history_pct {
            *r = 100.0 * f((*r / 100.0).ln_1p()).exp_m1();
        }
    }
}

/// `floor(Phi(z) m)`, clamped to `0..m` (`Phi(z) = 1` at large `z`).
fn pick(z: f64, m: usize) -> usize {
    // NaN casts to 0: no panic on bad shocks.
    ((normal_cdf(z) * m as f64) as usize).min(m - 1)
}

impl Bootstrap {
    /// Observed annual growth rates, percent, in chronological order.
    pub fn history_pct(&self) -> &[f64] {
        &self.history_pct
    }

    /// Block length in years: 1 is the i.i.d. bootstrap.
    pub fn block(&self) -> usize {
        self.block
    }

    /// Checks the parameters, naming the offending one.
    fn check(&self) -> Result<()> {
        let n = self.history_pct.len();
        if n == 0 {
            return Err(Error::parameter("history_pct", Problem::Empty));
        }
        if let Some((i, r)) = self
            .history_pct
            .iter()
            .enumerate()
            .find(|(_, r)| !(r.is_finite() && **r > -100.0))
        {
            return Err(Error::parameter(
                &format!("history_pct[{i}]"),
                Problem::out_of_range(r, "finite and > -100"),
            ));
        }
        if self.block == 0 || self.block > n {
            return Err(Error::parameter(
                "block",
                format!(
                    "must be between 1 and the {n} observed years, got {}",
                    self.block
                ),
            ));
        }
        Ok(())
    }
}

impl GrowthModel for Bootstrap {
    fn simulate(&self, start: Start, z: &[f64], paths: usize, _rng: &mut SimRng, out: &mut [f64]) {
        let n = self.history_pct.len();
        // The constructor checked `1 <= block <= n`.
        if paths == 0 {
            return;
        }
        let b = self.block;
        let starts = n - b + 1;
        let mut lx = vec![0.0; paths];
        // Block start per path (unused when b = 1).
        let mut first = vec![0usize; if b > 1 { paths } else { 0 }];
        let hist = &self.history_pct;
        // Block starts ranked by the block's total log growth (one small
        // per-call buffer); ties keep chronological order.
        let sums: Vec<f64> = (0..starts)
            .map(|s| hist[s..s + b].iter().map(|r| (r / 100.0).ln_1p()).sum())
            .collect();
        let mut order: Vec<usize> = (0..starts).collect();
        order.sort_by(|&i, &j| sums[i].total_cmp(&sums[j]));
        for (t, (zt, ot)) in z
            .chunks_exact(paths)
            .zip(out.chunks_exact_mut(paths))
            .enumerate()
        {
            let k = t % b;
            for p in 0..paths {
                let i = if b == 1 {
                    order[pick(zt[p], n)]
                } else {
                    if k == 0 {
                        first[p] = order[pick(zt[p], starts)];
                    }
                    first[p] + k
                };
                lx[p] += (hist[i] / 100.0).ln_1p();
                ot[p] = start.level * lx[p].exp();
            }
        }
    }

    fn growth_pct(&self) -> Option<f64> {
        let mut v = self.history_pct.clone();
        if v.is_empty() || v.iter().any(|r| r.is_nan()) {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let h = v.len() / 2;
        Some(if v.len() % 2 == 1 {
            v[h]
        } else {
            0.5 * (v[h - 1] + v[h])
        })
    }

    /// Adds `delta` to every observed log growth.
    fn shift_growth(&mut self, delta: f64) -> bool {
        let before = self.clone();
        self.remap(|g| g + delta);
        super::keep_if_valid(self, before, Self::check)
    }

    /// Scales every observed log growth's deviation from their mean.
    fn scale_volatility(&mut self, factor: f64) -> bool {
        let before = self.clone();
        let (mean, _) = self.log_moments();
        self.remap(|g| mean + factor * (g - mean));
        super::keep_if_valid(self, before, Self::check)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_moments, log_growths};
    use super::*;

    /// Hunan-like trade growth, percent, with a bad year.
    const HIST: [f64; 7] = [8.0, 12.5, -3.0, 6.0, 15.0, 9.5, -12.0];

    #[test]
    fn iid_moments_match_history() {
        let m = Bootstrap::new(HIST.to_vec(), 1).unwrap();
        let (mean, var) = m.log_moments();
        // python3: logs = [log1p(r/100) for r in HIST]; mean(logs) =
        // 0.04646238736650242, statistics.pvariance(logs) = 0.007588389442501129
        assert!((mean - 0.046_462_387_366_502_42).abs() < 1e-12, "{mean}");
        assert!((var - 0.007_588_389_442_501_129).abs() < 1e-12, "{var}");
        let g = log_growths(&m, 31, 10_000, 3);
        assert_moments(&g, mean, var);
        // Every observed year is drawn about 1/7 of the time.
        for r in HIST {
            let x = (r / 100.0).ln_1p();
            let f = g.iter().filter(|&&v| (v - x).abs() < 1e-12).count() as f64 / g.len() as f64;
            let se = (1.0 / 7.0 * 6.0 / 7.0 / g.len() as f64).sqrt();
            assert!((f - 1.0 / 7.0).abs() < 4.5 * se, "{r}: {f}");
        }
    }

    #[test]
    fn index_is_monotone_in_z() {
        let m = Bootstrap::new(HIST.to_vec(), 1).unwrap();
        // Phi(z) * 7 in [k, k+1) draws rank k of the sorted history.
        assert_eq!(pick(-10.0, 7), 0);
        assert_eq!(pick(0.0, 7), 3);
        assert_eq!(pick(10.0, 7), 6);
        assert_eq!(pick(f64::INFINITY, 7), 6);
        // Phi^-1(2/7) = -0.5659488219328631: just below picks 1, just above 2.
        assert_eq!(pick(-0.566, 7), 1);
        assert_eq!(pick(-0.5659, 7), 2);
        let mut out = [0.0; 2];
        let mut rng = <SimRng as rand::SeedableRng>::seed_from_u64(1);
        m.simulate(Start::at(100.0), &[-0.566, 10.0], 2, &mut rng, &mut out);
        // Rank 1 is -3%, rank 6 is +15%.
        assert!(
            (out[0] - 97.0).abs() < 1e-9 && (out[1] - 115.0).abs() < 1e-9,
            "{out:?}"
        );
    }

    #[test]
    fn blocks_keep_runs_of_history() {
        let m = Bootstrap::new(HIST.to_vec(), 3).unwrap();
        let (paths, years) = (4_000, 6);
        let g = log_growths(&m, 32, paths, years);
        let logs: Vec<f64> = m.log_growths().collect();
        let index = |v: f64| logs.iter().position(|&l| (l - v).abs() < 1e-12).unwrap();
        let mut first_counts = [0usize; 5];
        for p in 0..paths {
            for b0 in [0, 3] {
                let s = index(g[b0 * paths + p]);
                assert!(s <= 4, "block start {s} leaves no room");
                assert_eq!(index(g[(b0 + 1) * paths + p]), s + 1);
                assert_eq!(index(g[(b0 + 2) * paths + p]), s + 2);
                first_counts[s] += 1;
            }
        }
        // Blocks by total growth (python3, sums of log1p over windows of 3):
        // starts ranked 4, 1, 0, 2, 3; z = -9 draws rank 0, start 4.
        let mut out = [0.0; 3];
        let mut rng = <SimRng as rand::SeedableRng>::seed_from_u64(1);
        m.simulate(Start::at(1.0), &[-9.0, 9.0, 9.0], 1, &mut rng, &mut out);
        assert!((out[2] - 1.15 * 1.095 * 0.88).abs() < 1e-12, "{out:?}");
        // Starts uniform over the 5 admissible ones.
        let n = (2 * paths) as f64;
        for c in first_counts {
            let se = (0.2 * 0.8 / n).sqrt();
            assert!((c as f64 / n - 0.2).abs() < 4.5 * se, "{first_counts:?}");
        }
    }

    #[test]
    fn from_levels_and_adjustments() {
        let m = Bootstrap::from_levels(&[100.0, 110.0, 99.0], 1).unwrap();
        assert!((m.history_pct[0] - 10.0).abs() < 1e-12 && (m.history_pct[1] + 10.0).abs() < 1e-12);
        assert!(m.growth_pct().unwrap().abs() < 1e-12);
        let mut s = Bootstrap::new(HIST.to_vec(), 1).unwrap();
        let (mean, var) = s.log_moments();
        assert!(s.shift_growth(0.01) && s.scale_volatility(2.0));
        let (mean2, var2) = s.log_moments();
        assert!((mean2 - (mean + 0.01)).abs() < 1e-12 && (var2 - 4.0 * var).abs() < 1e-12);
        assert_eq!(
            Bootstrap::new(HIST.to_vec(), 1).unwrap().growth_pct(),
            Some(8.0)
        );
    }

    #[test]
    fn rejects_bad_parameters() {
        for (m, name) in [
            (Bootstrap::new(vec![], 1), "history_pct"),
            (Bootstrap::new(vec![5.0, -100.0], 1), "history_pct[1]"),
            (Bootstrap::new(vec![5.0, f64::NAN], 1), "history_pct[1]"),
            (Bootstrap::new(vec![5.0, 6.0], 0), "block"),
            (Bootstrap::new(vec![5.0, 6.0], 3), "block"),
            (Bootstrap::from_levels(&[5.0], 1), "levels"),
            (Bootstrap::from_levels(&[5.0, 0.0, 3.0], 1), "levels[1]"),
        ] {
            let e = m.unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
    }
}
