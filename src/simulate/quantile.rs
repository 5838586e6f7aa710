//! A bounded-memory quantile summary: a fixed-range histogram with
//! logarithmic tails.
//!
//! The engine streams millions of values per indicator and year but keeps only
//! counts. The range is fixed before counting (from a pilot sample that does
//! not depend on the thread count: its span, widened by half on each side),
//! and quantiles interpolate linearly inside a bin. Values outside the range
//! are counted in buckets of width a factor [`TAIL_RATIO`] on a log scale of
//! their magnitude, whatever their size. A heavy-tailed pilot, whose span is
//! more than [`HEAVY_SPAN`] times its interquartile range, gets an empty
//! range: every value then goes to the log buckets.
//!
//! The guarantee, for any values and any range: the `q`-quantile returned is
//! within one bin width `(hi - lo) / bins` of the exact `q`-quantile (the
//! value of rank `ceil(q n)` of the `n` counted) when that falls in the
//! range, and within a relative `TAIL_RATIO - 1` (0.5%) of it when it falls
//! outside (a NaN ranks lowest and reads as the smallest value). Counts are
//! integers, so merging summaries in any order gives identical results, on
//! any number of threads. A bin's count is 32 bits: a run counts at most
//! `MAX_PATHS` (10^9) values into a summary.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A pilot whose span exceeds this many interquartile ranges is heavy
/// tailed: linear bins over its span would not resolve the bulk of the
/// values (a median of 105 in bins 1e89 wide), so only log buckets are used.
pub const HEAVY_SPAN: f64 = 1000.0;

/// Ratio of the edges of a tail bucket: values outside the range are known
/// to within half a bucket, a relative 0.25%, and reported to within 0.5%.
pub const TAIL_RATIO: f64 = 1.005;

/// The tail bucket of `v`: order-preserving over all reals (negative values
/// below zero below positive ones), by the logarithm of the magnitude.
fn tail_key(v: f64) -> i64 {
    // ln of any finite positive double is within +-745: keys stay within
    // 2^20 +- 2^18; an infinity gets the key past the largest.
    const OFFSET: i64 = 1 << 20;
    let k = |a: f64| 1 + OFFSET + (a.ln() / TAIL_RATIO.ln()).floor().clamp(-4e5, 4e5) as i64;
    if v > 0.0 {
        k(v)
    } else if v < 0.0 {
        -k(-v)
    } else {
        0
    }
}

/// The value a tail bucket reports: the geometric middle of its edges.
fn tail_value(key: i64) -> f64 {
    const OFFSET: i64 = 1 << 20;
    let mid = |k: i64| ((k - 1 - OFFSET) as f64 + 0.5) * TAIL_RATIO.ln();
    match key.cmp(&0) {
        std::cmp::Ordering::Greater => mid(key).exp(),
        std::cmp::Ordering::Less => -mid(-key).exp(),
        std::cmp::Ordering::Equal => 0.0,
    }
}

/// A fixed-range histogram summary of a stream of values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Lower edge of the first bin.
    pub lo: f64,
    /// Upper edge of the last bin.
    pub hi: f64,
    /// Counts per bin: 32 bits, half the memory of 64 (a wide plan holds
    /// tens of thousands of these), and enough: a run counts at most
    /// [`crate::simulate::scenario::MAX_PATHS`] values into each.
    pub counts: Vec<u32>,
    /// Values below `lo` (NaN values count here too).
    pub below: u64,
    /// Values at or above `hi`.
    pub above: u64,
    /// Smallest value seen below the range (infinite when none).
    pub min: f64,
    /// Largest value seen at or above the range (minus infinity when none).
    pub max: f64,
    /// NaN values (counted in `below`, ranked lowest).
    #[serde(default)]
    pub nan: u64,
    /// Values outside the range by [`tail_key`] bucket.
    #[serde(default)]
    pub tails: BTreeMap<i64, u64>,
}

impl Histogram {
    /// A summary with `bins` bins over a range that covers `pilot` with room to
    /// spare (half its span on each side).
    pub fn from_pilot(pilot: &[f64], bins: usize) -> Self {
        let (mut lo, mut hi) = pilot
            .iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        if lo > hi {
            (lo, hi) = (0.0, 1.0);
        } else {
            let mut sorted: Vec<f64> = pilot.iter().copied().filter(|v| v.is_finite()).collect();
            sorted.sort_by(f64::total_cmp);
            let at = |q: f64| sorted[(q * (sorted.len() - 1) as f64).round() as usize];
            let iqr = at(0.75) - at(0.25);
            if hi - lo > HEAVY_SPAN * iqr && iqr > 0.0 {
                // No linear range resolves both the bulk and the extremes:
                // an empty one, so that every value goes to the log buckets.
                let m = at(0.5);
                return Self::with_range(m, m, 1);
            }
        }
        let mag = lo.abs().max(hi.abs());
        // The floor on the span is relative to the values: an absolute one
        // (1e-300 once) made the bins of values near 1e-300 as wide as the
        // values themselves.
        let span = (hi - lo).max(1e-9 * mag);
        if mag == 0.0 {
            return Self::with_range(-0.5e-300, 0.5e-300, bins);
        }
        // Bins narrower than the smallest normal double lose their
        // precision (and the scale overflows): such tiny values go to the
        // log buckets, exact to 0.5% at any magnitude.
        if 2.0 * span / (bins.max(1) as f64) < f64::MIN_POSITIVE {
            return Self::with_range(mag, mag, 1);
        }
        Self::with_range(lo - 0.5 * span, hi + 0.5 * span, bins)
    }

    /// An empty summary over `[lo, hi)` with `bins` bins (at least one).
    pub fn with_range(lo: f64, hi: f64, bins: usize) -> Self {
        Histogram {
            lo,
            hi,
            counts: vec![0; bins.max(1)],
            below: 0,
            above: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            nan: 0,
            tails: BTreeMap::new(),
        }
    }

    /// An empty summary with the same range and bins as `self` (the
    /// engine shares one summary between its workers instead).
    #[cfg(test)]
    pub fn empty_like(&self) -> Self {
        Self::with_range(self.lo, self.hi, self.counts.len())
    }

    /// Counts every value of `values`.
    pub fn add_all(&mut self, values: &[f64]) {
        let bins = self.counts.len();
        let scale = bins as f64 / (self.hi - self.lo);
        // Slots in a vectorised pass, then the counting: the loop that must
        // stay scalar does nothing else.
        let mut slots = [0u64; 512];
        for part in values.chunks(slots.len()) {
            let slots = &mut slots[..part.len()];
            crate::simulate::kernel::histogram_slots(part, self.lo, scale, bins, slots);
            for (&k, &v) in slots.iter().zip(part) {
                match self.counts.get_mut((k as usize).wrapping_sub(1)) {
                    Some(c) => *c += 1,
                    None => self.add_outside(v, k == 0),
                }
            }
        }
    }

    #[cold]
    fn add_outside(&mut self, v: f64, below: bool) {
        if below {
            self.below += 1;
            self.min = self.min.min(v);
        } else {
            self.above += 1;
            self.max = self.max.max(v);
        }
        if v.is_nan() {
            self.nan += 1;
        } else {
            *self.tails.entry(tail_key(v)).or_insert(0) += 1;
        }
    }

    /// Adds another summary with the same range and bins.
    #[cfg(test)]
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.below += other.below;
        self.above += other.above;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.nan += other.nan;
        for (&k, &c) in &other.tails {
            *self.tails.entry(k).or_insert(0) += c;
        }
    }

    /// Number of values counted.
    pub fn total(&self) -> u64 {
        self.below + self.above + self.counts.iter().map(|&c| u64::from(c)).sum::<u64>()
    }

    /// The value of the tail bucket holding rank `rank` (1-based) among
    /// the values outside the range that are not NaN, in order, clamped to
    /// the side it lies on (`above`: at or above the range).
    fn tail_at(&self, rank: f64, above: bool) -> f64 {
        let mut seen = 0.0;
        for (&k, &c) in &self.tails {
            seen += c as f64;
            if seen >= rank {
                let v = tail_value(k);
                return if above {
                    v.clamp(self.hi, self.max.max(self.hi))
                } else {
                    v.clamp(self.min.min(self.lo), self.lo)
                };
            }
        }
        if above { self.max } else { self.min }
    }

    /// The `q`-quantile (0 <= q <= 1), or `None` when empty: see the module
    /// documentation for its guarantee.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let n = self.total();
        if n == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = q * n as f64;
        if self.below > 0 && rank <= self.below as f64 {
            // NaN ranks lowest and reads as the smallest value.
            if rank <= self.nan as f64 {
                return Some(self.min);
            }
            // Ranks count NaNs first; the tails hold the other values.
            return Some(self.tail_at((rank - self.nan as f64).max(1.0), false));
        }
        let width = (self.hi - self.lo) / self.counts.len() as f64;
        let mut seen = self.below as f64;
        for (i, &c) in self.counts.iter().enumerate() {
            let c = c as f64;
            if c > 0.0 && seen + c >= rank {
                let edge = self.lo + i as f64 * width;
                return Some(edge + width * ((rank - seen) / c).max(0.0));
            }
            seen += c;
        }
        Some(if self.above > 0 && q == 1.0 {
            self.max
        } else if self.above > 0 {
            let below = (self.below - self.nan) as f64;
            self.tail_at(below + (rank - seen).max(1.0), true)
        } else {
            self.hi
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_within_one_bin_of_exact() {
        // A deterministic, irregular sample: x_i = (i * 0.618...) mod 1, squared.
        let values: Vec<f64> = (0..100_000)
            .map(|i| ((i as f64 * 0.618_033_988_75) % 1.0).powi(2))
            .collect();
        let mut h = Histogram::from_pilot(&values[..500], 1024);
        h.add_all(&values);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let width = (h.hi - h.lo) / 1024.0;
        for q in [0.05, 0.25, 0.5, 0.75, 0.95] {
            let exact = sorted[(q * sorted.len() as f64) as usize];
            let got = h.quantile(q).unwrap();
            assert!((got - exact).abs() <= width, "q{q}: {got} vs {exact}");
        }
        assert_eq!(h.total(), 100_000);
    }

    /// Checks `h`'s quantiles of `values` against the exact ones (rank
    /// `ceil(q n)`) within the documented guarantee.
    fn assert_guarantee(h: &Histogram, values: &[f64]) {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let width = (h.hi - h.lo) / h.counts.len() as f64;
        for q in [0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999] {
            let exact = sorted[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
            let got = h.quantile(q).unwrap();
            let inside = exact >= h.lo && exact < h.hi;
            let ok = got == exact
                || if inside {
                    (got - exact).abs() <= width * (1.0 + 1e-9)
                } else {
                    (got - exact).abs() <= (TAIL_RATIO - 1.0) * exact.abs()
                };
            assert!(
                ok,
                "q{q}: {got} vs {exact} (range {}..{}, width {width})",
                h.lo, h.hi
            );
        }
    }

    #[test]
    fn quantiles_keep_their_guarantee_under_heavy_tails() {
        // Cauchy values tan(pi (u - 1/2)) on a deterministic irregular grid
        // of u, and their exponentials times 100 (a level after Cauchy log
        // growth: spans hundreds of decades), and log-normal with sd 50.
        let u = |i: usize| ((i as f64 + 0.5) * 0.618_033_988_749_894_9) % 1.0;
        let cauchy: Vec<f64> = (0..200_000)
            .map(|i| (std::f64::consts::PI * (u(i) - 0.5)).tan())
            .collect();
        let level: Vec<f64> = cauchy
            .iter()
            .map(|c| 100.0 * (0.05 + 10.0 * c).exp())
            .collect();
        let normal = |i: usize| {
            // A crude but monotone normal quantile is enough for a spread.
            let p = u(i).clamp(1e-12, 1.0 - 1e-12);
            (p / (1.0 - p)).ln() * 0.6
        };
        let huge: Vec<f64> = (0..200_000).map(|i| (50.0 * normal(i)).exp()).collect();
        for values in [&cauchy, &level, &huge] {
            // The pilot is the first chunk, as in the engine.
            let mut h = Histogram::from_pilot(&values[..512], 1024);
            // In two halves merged: what threads do.
            let mut other = h.empty_like();
            h.add_all(&values[..100_000]);
            other.add_all(&values[100_000..]);
            h.merge(&other);
            assert_eq!(h.total(), values.len() as u64);
            assert_guarantee(&h, values);
        }
    }

    #[test]
    fn tiny_values_keep_their_median() {
        // Levels of a plan whose base is 1e-300 (or near the smallest normal
        // double): the summary's median against the exact sorted one.
        let u = |i: usize| ((i as f64 + 0.5) * 0.618_033_988_749_894_9) % 1.0;
        for base in [1e-300, 1e-305, 1e-307, 2.5e-308] {
            let spread: Vec<f64> = (0..20_000)
                .map(|i| base * (0.3 * (u(i) - 0.5)).exp())
                .collect();
            let constant = vec![base; 20_000];
            for values in [&spread, &constant] {
                let mut h = Histogram::from_pilot(&values[..512], 1024);
                h.add_all(values);
                let mut sorted = values.clone();
                sorted.sort_by(f64::total_cmp);
                let exact = sorted[10_000 - 1];
                let got = h.quantile(0.5).unwrap();
                // One bin of a range 1.3 times the values' spread of 0.3 at
                // most, or the log buckets' 0.5%.
                assert!(
                    (got - exact).abs() <= 5e-3 * exact,
                    "base {base}: median {got} vs {exact}"
                );
                assert_guarantee(&h, values);
            }
            // The constant's summary is exact.
            let mut h = Histogram::from_pilot(&constant[..512], 1024);
            h.add_all(&constant);
            assert_eq!(h.quantile(0.5), Some(base), "base {base}");
        }
    }

    #[test]
    fn merge_is_order_free_and_tails_count() {
        let mut a = Histogram::with_range(0.0, 1.0, 10);
        let mut b = a.empty_like();
        a.add_all(&[-1.0, 0.05, 0.5, f64::NAN]);
        b.add_all(&[0.95, 2.0]);
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, ba);
        assert_eq!((ab.below, ab.above, ab.total()), (2, 1, 6));
        assert_eq!(ab.quantile(0.0), Some(-1.0));
        assert_eq!(ab.quantile(1.0), Some(2.0));
        assert_eq!(Histogram::with_range(0.0, 1.0, 4).quantile(0.5), None);
    }
}
