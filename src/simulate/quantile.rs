//! A bounded-memory quantile summary: a fixed-range histogram.
//!
//! The engine streams millions of values per indicator and year but keeps only
//! counts. The range is fixed before counting (from a pilot sample that does
//! not depend on the thread count), values outside it are counted in two tail
//! bins with their extremes, and quantiles interpolate linearly inside a bin.
//! A quantile inside the range is therefore off by less than one bin width,
//! `(hi - lo) / bins`; counts are integers, so merging summaries in any order
//! gives identical results.

use serde::{Deserialize, Serialize};

/// A fixed-range histogram summary of a stream of values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Lower edge of the first bin.
    pub lo: f64,
    /// Upper edge of the last bin.
    pub hi: f64,
    /// Counts per bin.
    pub counts: Vec<u64>,
    /// Values below `lo` (NaN values count here too).
    pub below: u64,
    /// Values at or above `hi`.
    pub above: u64,
    /// Smallest value seen below the range (infinite when none).
    pub min: f64,
    /// Largest value seen at or above the range (minus infinity when none).
    pub max: f64,
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
        }
        let span = (hi - lo).max(1e-9 * lo.abs().max(hi.abs())).max(1e-300);
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
        }
    }

    /// An empty summary with the same range and bins as `self`.
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
    }

    /// Adds another summary with the same range and bins.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.below += other.below;
        self.above += other.above;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Number of values counted.
    pub fn total(&self) -> u64 {
        self.below + self.above + self.counts.iter().sum::<u64>()
    }

    /// The `q`-quantile (0 <= q <= 1), or `None` when empty. A quantile that
    /// falls among the values below (above) the range is reported as the
    /// smallest (largest) of them.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let n = self.total();
        if n == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = q * n as f64;
        if self.below > 0 && rank <= self.below as f64 {
            return Some(self.min);
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
        Some(if self.above > 0 { self.max } else { self.hi })
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
