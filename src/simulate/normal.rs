//! Fast standard normal draws for whole blocks of shocks.
//!
//! The engine draws tens of millions of normals per second, so this module
//! splits the work in two passes: eight interleaved xoshiro256++ streams fill
//! a buffer with random bits (a loop the compiler vectorises), then the
//! 256-layer ziggurat of Marsaglia and Tsang (2000), the method of `rand_distr`
//! and NumPy, turns each word into a normal. The 1% of draws the ziggurat
//! rejects retry with words from the chunk's scalar stream. Both passes are
//! sequential in a fixed order, so a block's numbers depend only on the seed.

use std::sync::OnceLock;

use rand::{Rng, RngExt};

use crate::simulate::kernel::Arch;
use crate::simulate::rng::SimRng;

/// Interleaved streams.
const LANES: usize = 8;
/// Ziggurat layers.
const LAYERS: usize = 256;
/// Right edge of the base layer.
const R: f64 = 3.654_152_885_361_009;
/// Area of each layer.
const V: f64 = 4.928_673_233_99e-3;

/// Layer edges `x[0..=256]` (`x[0] = V / f(R)`, `x[1] = R`, `x[256] = 0`) and
/// the density at each edge.
struct Tables {
    x: [f64; LAYERS + 1],
    f: [f64; LAYERS + 1],
}

fn pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp()
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut x = [0.0; LAYERS + 1];
        x[0] = V / pdf(R);
        x[1] = R;
        for i in 2..LAYERS {
            // f(x_i) = f(x_{i-1}) + V / x_{i-1}
            let fi = pdf(x[i - 1]) + V / x[i - 1];
            x[i] = (-2.0 * fi.ln()).sqrt();
        }
        x[LAYERS] = 0.0;
        let f = x.map(pdf);
        Tables { x, f }
    })
}

/// Words drawn per pass: small enough to stay in L1.
const BATCH: usize = 512;

/// Eight xoshiro256++ generators stepped together.
#[derive(Debug, Clone)]
pub struct NormalStream {
    s: [[u64; LANES]; 4],
    /// The kernels' level, resolved once per stream (a chunk), not per batch.
    arch: Arch,
}

impl NormalStream {
    /// Seeds the eight lanes from `rng` (the chunk's stream).
    pub fn new(rng: &mut SimRng) -> Self {
        let mut s = [[0u64; LANES]; 4];
        for word in s.iter_mut() {
            for v in word.iter_mut() {
                *v = rng.next_u64();
            }
        }
        // An all-zero state never leaves zero; such a lane (odds 2^-256) is reseeded.
        #[allow(clippy::needless_range_loop)]
        for lane in 0..LANES {
            if (0..4).all(|w| s[w][lane] == 0) {
                s[0][lane] = 0x9E37_79B9_7F4A_7C15;
            }
        }
        NormalStream {
            s,
            arch: Arch::best(),
        }
    }

    /// Fills `out` with independent standard normal draws; `rng` supplies the
    /// words for the rare retries.
    pub fn fill(&mut self, rng: &mut SimRng, out: &mut [f64]) {
        let t = tables();
        let mut bits = [0u64; BATCH];
        for part in out.chunks_mut(BATCH) {
            let words = &mut bits[..part.len().div_ceil(LANES) * LANES];
            self.arch.xoshiro_x8(&mut self.s, words);
            for (o, &w) in part.iter_mut().zip(words.iter()) {
                *o = match ziggurat_fast(t, w) {
                    Some(x) => x,
                    None => ziggurat_slow(t, w, rng),
                };
            }
        }
    }
}

/// The ziggurat's fast path: accepted without evaluating the density.
#[inline(always)]
fn ziggurat_fast(t: &Tables, bits: u64) -> Option<f64> {
    let i = (bits & 0xff) as usize;
    // 52 high bits as a uniform in [-1, 1).
    let u = f64::from_bits((bits >> 12) | 0x4000_0000_0000_0000) - 3.0;
    let x = u * t.x[i];
    (x.abs() < t.x[i + 1]).then_some(x)
}

/// The rest of the ziggurat for a word the fast path rejected.
#[cold]
fn ziggurat_slow(t: &Tables, mut bits: u64, rng: &mut SimRng) -> f64 {
    loop {
        let i = (bits & 0xff) as usize;
        let u = f64::from_bits((bits >> 12) | 0x4000_0000_0000_0000) - 3.0;
        let x = u * t.x[i];
        if x.abs() < t.x[i + 1] {
            return x;
        }
        if i == 0 {
            // The tail beyond R (Marsaglia 1964).
            loop {
                let a = -open01(rng).ln() / R;
                let b = -open01(rng).ln();
                if 2.0 * b >= a * a {
                    return if u < 0.0 { -(R + a) } else { R + a };
                }
            }
        }
        if t.f[i + 1] + (t.f[i] - t.f[i + 1]) * rng.random::<f64>() < pdf(x) {
            return x;
        }
        bits = rng.next_u64();
    }
}

/// A uniform in (0, 1].
fn open01(rng: &mut SimRng) -> f64 {
    1.0 - rng.random::<f64>()
}

/// Standard normal CDF.
pub fn normal_cdf(x: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    // Normal::standard() cannot fail.
    Normal::standard().cdf(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn tables_close_at_zero() {
        let t = tables();
        // The recursion must land near x = 0 at the top layer: f(x_255) + V/x_255 ~ 1.
        let top = pdf(t.x[255]) + V / t.x[255];
        assert!((top - 1.0).abs() < 1e-6, "{top}");
        // Edge values of the published table (rand_distr's ZIG_NORM_X).
        assert!((t.x[0] - 3.910_757_959_537_058_3).abs() < 1e-9);
        assert!((t.x[2] - 3.449_278_298_560_964_5).abs() < 1e-9);
    }

    #[test]
    fn moments_and_tails_match_the_normal() {
        let mut rng = SimRng::seed_from_u64(42);
        let mut s = NormalStream::new(&mut rng);
        let n = 2_000_000;
        let mut z = vec![0.0; n];
        s.fill(&mut rng, &mut z);
        let nf = n as f64;
        let mean = z.iter().sum::<f64>() / nf;
        let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / nf;
        let kurt = z.iter().map(|v| v.powi(4)).sum::<f64>() / nf;
        // SEs: mean 1/sqrt(n); variance sqrt(2/n); fourth moment sqrt(96/n).
        assert!(mean.abs() < 4.5 / nf.sqrt(), "mean {mean}");
        assert!((var - 1.0).abs() < 4.5 * (2.0 / nf).sqrt(), "var {var}");
        assert!((kurt - 3.0).abs() < 4.5 * (96.0 / nf).sqrt(), "kurt {kurt}");
        // Empirical CDF at several points, including beyond the base layer R.
        for x in [-4.0, -3.7, -2.0, -1.0, -0.1, 0.5, 1.5, 3.0, 3.8] {
            let p = normal_cdf(x);
            let freq = z.iter().filter(|&&v| v <= x).count() as f64 / nf;
            let se = (p * (1.0 - p) / nf).sqrt();
            assert!((freq - p).abs() < 4.5 * se + 1e-7, "x {x}: {freq} vs {p}");
        }
    }

    #[test]
    fn lanes_are_xoshiro256_plus_plus() {
        let mut rng = SimRng::seed_from_u64(5);
        let mut s = NormalStream::new(&mut rng);
        let state = s.s;
        let mut bits = [0u64; 24];
        s.arch.xoshiro_x8(&mut s.s, &mut bits);
        for lane in 0..LANES {
            let mut seed = [0u8; 32];
            for w in 0..4 {
                seed[8 * w..8 * w + 8].copy_from_slice(&state[w][lane].to_le_bytes());
            }
            let mut scalar = SimRng::from_seed(seed);
            for step in 0..3 {
                assert_eq!(bits[step * LANES + lane], scalar.next_u64(), "lane {lane}");
            }
        }
    }

    #[test]
    fn same_seed_same_numbers() {
        let draw = |seed| {
            let mut rng = SimRng::seed_from_u64(seed);
            let mut s = NormalStream::new(&mut rng);
            let mut z = vec![0.0; 1000];
            s.fill(&mut rng, &mut z);
            z
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }
}
