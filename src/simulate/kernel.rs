//! Vectorisable numeric kernels for the engine's hot loops.
//!
//! Each kernel is written once as plain element-wise Rust and compiled three
//! times: for the baseline target and, where the CPU has them, for AVX2 and
//! AVX-512F (each with FMA), chosen at run time. Every variant gives the same
//! bits, so the dispatch changes speed, never numbers:
//! - Rust never contracts `a * b + c` into a fused multiply-add, and
//!   element-wise IEEE operations round the same in every vector width;
//! - where a kernel fuses on purpose it says so with [`f64::mul_add`], which is
//!   one correctly rounded operation everywhere: an instruction on CPUs with
//!   FMA (x86-64 since 2013, every aarch64), the C library's exact `fma`
//!   elsewhere (slower, same result);
//! - each output element is computed by the same sequence of operations
//!   whatever the vector width or tile it falls in.
//!
//! The kernels check their slice lengths and never panic: a kernel given
//! slices shorter than its sizes say works on the common prefix (documented
//! per kernel).

use std::sync::atomic::{AtomicU8, Ordering};

/// `2^(j/64)` for `j` in `0..64`, correctly rounded (computed to 50 digits).
#[rustfmt::skip]
static EXP2_64THS: [u64; 64] = [
    0x3ff0000000000000, 0x3ff02c9a3e778061, 0x3ff059b0d3158574, 0x3ff0874518759bc8,
    0x3ff0b5586cf9890f, 0x3ff0e3ec32d3d1a2, 0x3ff11301d0125b51, 0x3ff1429aaea92de0,
    0x3ff172b83c7d517b, 0x3ff1a35beb6fcb75, 0x3ff1d4873168b9aa, 0x3ff2063b88628cd6,
    0x3ff2387a6e756238, 0x3ff26b4565e27cdd, 0x3ff29e9df51fdee1, 0x3ff2d285a6e4030b,
    0x3ff306fe0a31b715, 0x3ff33c08b26416ff, 0x3ff371a7373aa9cb, 0x3ff3a7db34e59ff7,
    0x3ff3dea64c123422, 0x3ff4160a21f72e2a, 0x3ff44e086061892d, 0x3ff486a2b5c13cd0,
    0x3ff4bfdad5362a27, 0x3ff4f9b2769d2ca7, 0x3ff5342b569d4f82, 0x3ff56f4736b527da,
    0x3ff5ab07dd485429, 0x3ff5e76f15ad2148, 0x3ff6247eb03a5585, 0x3ff6623882552225,
    0x3ff6a09e667f3bcd, 0x3ff6dfb23c651a2f, 0x3ff71f75e8ec5f74, 0x3ff75feb564267c9,
    0x3ff7a11473eb0187, 0x3ff7e2f336cf4e62, 0x3ff82589994cce13, 0x3ff868d99b4492ed,
    0x3ff8ace5422aa0db, 0x3ff8f1ae99157736, 0x3ff93737b0cdc5e5, 0x3ff97d829fde4e50,
    0x3ff9c49182a3f090, 0x3ffa0c667b5de565, 0x3ffa5503b23e255d, 0x3ffa9e6b5579fdbf,
    0x3ffae89f995ad3ad, 0x3ffb33a2b84f15fb, 0x3ffb7f76f2fb5e47, 0x3ffbcc1e904bc1d2,
    0x3ffc199bdd85529c, 0x3ffc67f12e57d14b, 0x3ffcb720dcef9069, 0x3ffd072d4a07897c,
    0x3ffd5818dcfba487, 0x3ffda9e603db3285, 0x3ffdfc97337b9b5f, 0x3ffe502ee78b3ff6,
    0x3ffea4afa2a490da, 0x3ffefa1bee615a27, 0x3fff50765b6e4540, 0x3fffa7c1819e90d8,
];

/// `exp(x)` to within 1.5 ulp (measured against the platform's `exp` over
/// [-700, 700]), branch-free so that loops over it vectorise: reduction
/// `x = (64 n + j) ln 2 / 64 + r` with `|r| <= ln 2 / 128` (Cody-Waite, two-part
/// constant), `exp(r) - 1` by its Taylor polynomial of degree 5 (remainder
/// below 4e-17), times the tabulated `2^(j/64)` and `2^n` built from bits.
/// Fused multiply-adds throughout: fewer operations and roundings, and the
/// same bits on every CPU (see the module docs); call it from a dispatched
/// kernel, where they are single instructions.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    const SCALE: f64 = 64.0 * std::f64::consts::LOG2_E;
    // ln 2 / 64 in two parts, the first with trailing zero bits.
    const HI: f64 = 0.693_147_180_369_123_8 / 64.0;
    const LO: f64 = 1.908_214_929_270_587_7e-10 / 64.0;
    // 1.5 * 2^52: adding it rounds to an integer held in the low mantissa bits.
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    let x = x.clamp(-708.0, 709.0);
    let t = x.mul_add(SCALE, MAGIC);
    let kf = t - MAGIC;
    let r = (-kf).mul_add(LO, (-kf).mul_add(HI, x));
    let k = t.to_bits().wrapping_sub(MAGIC.to_bits()) as i64;
    let j = (k & 63) as usize;
    let n = k >> 6;
    let mut q: f64 = 1.0 / 120.0;
    q = q.mul_add(r, 1.0 / 24.0);
    q = q.mul_add(r, 1.0 / 6.0);
    q = q.mul_add(r, 0.5);
    q = q.mul_add(r, 1.0);
    q *= r;
    let table = f64::from_bits(EXP2_64THS[j]);
    table.mul_add(q, table) * f64::from_bits((n + 1023).wrapping_shl(52) as u64)
}

/// Defines the kernel `$name` as a method of [`Arch`]: `$body` (a block over
/// the given slices) written once and compiled for AVX-512F or AVX2 (each
/// with FMA) and the baseline, run at the level of `self`. The match is once
/// per call, on a level resolved before it, never per element.
/// Closures inside it do not inherit the target features (a `mul_add` in one
/// would call libm's `fma`): floating-point work stays out of them, helpers
/// are `#[inline(always)]` functions.
macro_rules! kernel {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident : $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$doc])*
        pub(crate) fn $name(self, $($arg: $ty),*) -> $ret {
            #[inline(always)]
            fn generic($($arg: $ty),*) -> $ret $body

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            fn avx2($($arg: $ty),*) -> $ret {
                generic($($arg),*)
            }

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,fma")]
            fn avx512($($arg: $ty),*) -> $ret {
                generic($($arg),*)
            }

            match self.level() {
                // SAFETY: an `Arch` holds only a level the CPU supports.
                #[cfg(target_arch = "x86_64")]
                Level::Avx512 => unsafe { avx512($($arg),*) },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                Level::Avx2 => unsafe { avx2($($arg),*) },
                Level::Baseline => generic($($arg),*),
            }
        }
    };
}

/// The instruction sets a kernel can be dispatched to, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// The target's baseline (SSE2 on x86-64).
    Baseline,
    /// AVX2 with FMA.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX-512F with FMA.
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Level {
    /// Every level, lowest first; a level's index is its discriminant.
    #[cfg(target_arch = "x86_64")]
    const ALL: [Level; 3] = [Level::Baseline, Level::Avx2, Level::Avx512];
    /// Every level, lowest first; a level's index is its discriminant.
    #[cfg(not(target_arch = "x86_64"))]
    const ALL: [Level; 1] = [Level::Baseline];

    /// The best level this CPU has, by feature detection.
    fn detect() -> Level {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("fma") && has!("avx512f") {
                return Level::Avx512;
            }
            if has!("fma") && has!("avx2") {
                return Level::Avx2;
            }
        }
        Level::Baseline
    }
}

/// A level this CPU is known to run, the token every kernel takes: only
/// [`Arch::best`] makes one (and, in tests, `capped`, which only lowers it),
/// so the dispatch to code compiled for it is sound. Resolved once and cached (as pulp's `Arch` or
/// simd-json's function pointer), then carried by value; the free functions
/// below take [`Arch::best`] for callers that hold none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arch(Level);

impl Arch {
    /// The best level this CPU has: detected on first use, then one relaxed
    /// load of a cached byte (0 until detected, else the index plus one).
    #[inline]
    pub(crate) fn best() -> Arch {
        static BEST: AtomicU8 = AtomicU8::new(0);
        let cached = BEST.load(Ordering::Relaxed);
        if let Some(&level) = Level::ALL.get(usize::from(cached).wrapping_sub(1)) {
            return Arch(level);
        }
        let level = Level::detect();
        // Races store the same byte.
        BEST.store(level as u8 + 1, Ordering::Relaxed);
        Arch(level)
    }

    /// This level, or `cap` where that is lower (never above what the CPU
    /// has): how tests run every variant.
    #[cfg(test)]
    pub(crate) fn capped(self, cap: Level) -> Arch {
        Arch(self.0.min(cap))
    }

    /// The level the kernels run at.
    #[inline(always)]
    pub(crate) fn level(self) -> Level {
        self.0
    }
}

/// An AR(1) in log growth, the settings of [`Arch::ar1_step`] and
/// [`Arch::ar1_paths`]: each year `g = mu + phi (g - mu) + sd z`, the level
/// `scale * exp(sum of g)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LogAr1 {
    /// Mean annual log growth.
    pub(crate) mu: f64,
    /// Persistence (0: i.i.d.).
    pub(crate) phi: f64,
    /// Standard deviation of the shock.
    pub(crate) sd: f64,
    /// Level at log level 0.
    pub(crate) scale: f64,
}

impl Arch {
    kernel! {
        /// `out[p] = exp(ln(end[p] / start[p]) / years) - 1`: the average annual
        /// growth of each path. `exp(x) - 1` rather than `exp_m1`: a tenth of the
        /// cost, and the absolute error (1e-16) is far below what the engine's
        /// histograms resolve. Works on the paths all three slices hold.
        fn annual_growth(start: &[f64], end: &[f64], years: f64, out: &mut [f64]) -> () {
            let inv = 1.0 / years;
            for ((o, b), e) in out.iter_mut().zip(start).zip(end) {
                *o = exp((e / b).ln() * inv) - 1.0;
            }
        }
    }

    kernel! {
        /// One year of an AR(1) in log growth for a block of paths, in place:
        /// `g = mu + phi (g - mu) + sd z` (two fused multiply-adds), `lx += g`,
        /// `out = scale * exp(lx)`.
        /// With `phi = 0` it is the i.i.d. log-normal step.
        fn ar1_step(ar: LogAr1, z: &[f64], g: &mut [f64], lx: &mut [f64], out: &mut [f64]) -> () {
            let LogAr1 { mu, phi, sd, scale } = ar;
            let n = out.len().min(z.len()).min(g.len()).min(lx.len());
            let (z, g, lx, out) = (&z[..n], &mut g[..n], &mut lx[..n], &mut out[..n]);
            for i in 0..n {
                let gi = sd.mul_add(z[i], phi.mul_add(g[i] - mu, mu));
                g[i] = gi;
                let l = lx[i] + gi;
                lx[i] = l;
                out[i] = scale * exp(l);
            }
        }
    }

    kernel! {
        /// A whole AR(1) in log growth for a block of paths: `z` and `out` laid
        /// out `[year][path]` with `paths` values per year, every path starting
        /// from log growth `x0` and log level 0; each year the step of
        /// [`Arch::ar1_step`]. Works on the years that both `z` and `out` hold in
        /// full. The state of a tile of paths stays in registers through all the
        /// years, and each path's numbers are those of [`Arch::ar1_step`] year by
        /// year.
        fn ar1_paths(ar: LogAr1, x0: f64, paths: usize, z: &[f64], out: &mut [f64]) -> () {
            const W: usize = 16;
            let LogAr1 { mu, phi, sd, scale } = ar;
            if paths == 0 {
                return;
            }
            let years = z.len().min(out.len()) / paths;
            if years == 0 {
                return;
            }
            let full = paths / W * W;
            for p0 in (0..full).step_by(W) {
                let mut g = [x0; W];
                let mut lx = [0.0f64; W];
                for t in 0..years {
                    let at = t * paths + p0;
                    let (zt, ot) = (&z[at..at + W], &mut out[at..at + W]);
                    for k in 0..W {
                        let gk = sd.mul_add(zt[k], phi.mul_add(g[k] - mu, mu));
                        g[k] = gk;
                        lx[k] += gk;
                        ot[k] = scale * exp(lx[k]);
                    }
                }
            }
            for p in full..paths {
                let (mut g, mut lx) = (x0, 0.0f64);
                for t in 0..years {
                    let at = t * paths + p;
                    g = sd.mul_add(z[at], phi.mul_add(g - mu, mu));
                    lx += g;
                    out[at] = scale * exp(lx);
                }
            }
        }
    }

    /// Steps eight xoshiro256++ generators (state `s[word][lane]`) together,
    /// writing `out.len()` words (whole multiples of 8; a shorter tail is left
    /// as it was) lane by lane. Integer arithmetic, so every path agrees bit for
    /// bit.
    pub(crate) fn xoshiro_x8(self, s: &mut [[u64; 8]; 4], out: &mut [u64]) {
        #[cfg(target_arch = "x86_64")]
        match self.0 {
            // SAFETY: the CPU supports AVX-512F (`level` checked).
            Level::Avx512 => return unsafe { xoshiro_x8_avx512(s, out) },
            // SAFETY: the CPU supports AVX2 (`level` checked).
            Level::Avx2 => return unsafe { xoshiro_x8_avx2(s, out) },
            Level::Baseline => {}
        }
        xoshiro_x8_portable(s, out);
    }

    kernel! {
        /// Sum of `xs` in a fixed order (eight interleaved partial sums, then the
        /// rest), so the loop vectorises yet every run adds in the same order.
        fn sum(xs: &[f64]) -> f64 {
            let mut acc = [0.0f64; 8];
            let chunks = xs.chunks_exact(8);
            let rest = chunks.remainder();
            for c in chunks {
                for k in 0..8 {
                    acc[k] += c[k];
                }
            }
            let mut total = combine8(acc);
            for v in rest {
                total += v;
            }
            total
        }
    }

    kernel! {
        /// `out[p] = ((0 + r_0[p]) + r_1[p]) + ...` over `count` rows of
        /// `data`, row `k` starting at `first + k * stride`: the yearly values of a
        /// cumulative target, or the components of an aggregate, added in order in
        /// one pass. Rows that `data` does not hold in full are left out.
        fn sum_rows(data: &[f64], first: usize, stride: usize, count: usize, out: &mut [f64]) -> () {
            const W: usize = 64;
            let n = out.len();
            let fits = |k: usize| {
                k.checked_mul(stride)
                    .and_then(|o| o.checked_add(first))
                    .and_then(|o| o.checked_add(n))
                    .is_some_and(|end| end <= data.len())
            };
            let rows = (0..count).take_while(|&k| fits(k)).count();
            let mut p = 0;
            while p < n {
                let m = W.min(n - p);
                let mut acc = [0.0f64; W];
                for k in 0..rows {
                    let at = first + k * stride + p;
                    for (a, &v) in acc[..m].iter_mut().zip(&data[at..at + m]) {
                        *a += v;
                    }
                }
                out[p..p + m].copy_from_slice(&acc[..m]);
                p += m;
            }
        }
    }

    kernel! {
        /// The histogram slot of each value: `floor((v - lo) * scale + 1)` clamped
        /// to `0..=bins + 1`: 0 below the range (NaN too), `1..=bins` inside it,
        /// `bins + 1` at or above its top. Works on the values both slices hold.
        fn histogram_slots(values: &[f64], lo: f64, scale: f64, bins: usize, slots: &mut [u64]) -> () {
            // Clamped first (NaN goes to 0), then floored and read from the
            // low 52 bits of `x + 2^52`: a conversion that vectorises, where a
            // saturating `as` does not. No histogram in memory has 2^52 bins.
            const TWO_52: f64 = 4_503_599_627_370_496.0;
            const LOW_52: u64 = (1 << 52) - 1;
            let top = bins.min(1 << 51) as f64 + 1.0;
            for (k, &v) in slots.iter_mut().zip(values) {
                let x = ((v - lo) * scale + 1.0).max(0.0).min(top);
                *k = (x.floor() + TWO_52).to_bits() & LOW_52;
            }
        }
    }

    kernel! {
        /// Judges a block of measures against `threshold` (at least when `at_least`,
        /// else at most): clears the bits `mask` of `met[p]` where path `p` misses,
        /// and returns the number of hits and the summed shortfall of the misses
        /// (added in the order of [`sum`]). NaN measures miss with zero shortfall.
        /// Works on the paths both slices hold.
        fn judge(measure: &[f64], threshold: f64, at_least: bool, mask: u64, met: &mut [u64]) -> (u64, f64) {
            let n = measure.len().min(met.len());
            let (measure, met) = (&measure[..n], &mut met[..n]);
            let sign = if at_least { 1.0 } else { -1.0 };
            // Eight lanes of hits and shortfalls, like `sum`, so the loop
            // vectorises.
            let mut hit = [0u64; 8];
            let mut acc = [0.0f64; 8];
            let whole = n / 8 * 8;
            for (ms, mt) in measure[..whole].chunks_exact(8).zip(met[..whole].chunks_exact_mut(8)) {
                for k in 0..8 {
                    let gap = sign * (threshold - ms[k]);
                    let ok = gap <= 0.0;
                    hit[k] += ok as u64;
                    mt[k] &= if ok { u64::MAX } else { !mask };
                    acc[k] += if gap > 0.0 { gap } else { 0.0 };
                }
            }
            let mut hits: u64 = hit.iter().sum();
            let mut short = combine8(acc);
            for (&m, mt) in measure[whole..].iter().zip(&mut met[whole..]) {
                let (h, s) = judge_one(sign, threshold, mask, m, mt);
                hits += h;
                short += s;
            }
            (hits, short)
        }
    }

    /// `out[r][p] = sum_{c <= r} l[r][c] * z[c][p]`, blocks laid out `[row][p]`
    /// with `len` values per row: correlates a block of standard normals. Each
    /// output is a chain of fused multiply-adds over `c` in order, the same in
    /// every vector width. Does nothing unless `z` and `out` hold at least
    /// `rows x len` values.
    pub(crate) fn lower_triangular_apply(
        self,
        l: &LowerPanels,
        len: usize,
        z: &[f64],
        out: &mut [f64],
    ) {
        let Some(n) = l.rows.checked_mul(len) else {
            return;
        };
        if z.len() < n || out.len() < n || n == 0 {
            return;
        }
        let (z, out) = (&z[..n], &mut out[..n]);
        #[cfg(target_arch = "x86_64")]
        {
            // Twelve 8-wide accumulators fill AVX-512's registers; AVX2 has 16
            // registers of 4, so eight accumulators of 4 there.
            #[target_feature(enable = "avx512f,fma")]
            fn avx512(l: &LowerPanels, len: usize, z: &[f64], out: &mut [f64]) {
                panels::<24>(l, len, z, out)
            }
            #[target_feature(enable = "avx2,fma")]
            fn avx2(l: &LowerPanels, len: usize, z: &[f64], out: &mut [f64]) {
                panels::<8>(l, len, z, out)
            }
            match self.0 {
                // SAFETY: the CPU supports AVX-512F and FMA (`level` checked).
                Level::Avx512 => return unsafe { avx512(l, len, z, out) },
                // SAFETY: the CPU supports AVX2 and FMA (`level` checked).
                Level::Avx2 => return unsafe { avx2(l, len, z, out) },
                Level::Baseline => {}
            }
        }
        panels::<8>(l, len, z, out);
    }
}

/// [`Arch::annual_growth`] at the best level.
pub(crate) fn annual_growth(start: &[f64], end: &[f64], years: f64, out: &mut [f64]) {
    Arch::best().annual_growth(start, end, years, out)
}

/// [`Arch::ar1_step`] at the best level.
pub(crate) fn ar1_step(ar: LogAr1, z: &[f64], g: &mut [f64], lx: &mut [f64], out: &mut [f64]) {
    Arch::best().ar1_step(ar, z, g, lx, out)
}

/// [`Arch::ar1_paths`] at the best level.
pub(crate) fn ar1_paths(ar: LogAr1, x0: f64, paths: usize, z: &[f64], out: &mut [f64]) {
    Arch::best().ar1_paths(ar, x0, paths, z, out)
}

/// [`Arch::sum`] at the best level.
pub(crate) fn sum(xs: &[f64]) -> f64 {
    Arch::best().sum(xs)
}

/// [`Arch::sum_rows`] at the best level.
pub(crate) fn sum_rows(data: &[f64], first: usize, stride: usize, count: usize, out: &mut [f64]) {
    Arch::best().sum_rows(data, first, stride, count, out)
}

/// [`Arch::histogram_slots`] at the best level.
pub(crate) fn histogram_slots(values: &[f64], lo: f64, scale: f64, bins: usize, slots: &mut [u64]) {
    Arch::best().histogram_slots(values, lo, scale, bins, slots)
}

/// [`Arch::judge`] at the best level.
pub(crate) fn judge(
    measure: &[f64],
    threshold: f64,
    at_least: bool,
    mask: u64,
    met: &mut [u64],
) -> (u64, f64) {
    Arch::best().judge(measure, threshold, at_least, mask, met)
}

/// [`Arch::lower_triangular_apply`] at the best level.
pub(crate) fn lower_triangular_apply(l: &LowerPanels, len: usize, z: &[f64], out: &mut [f64]) {
    Arch::best().lower_triangular_apply(l, len, z, out)
}

// AVX-512 holds the eight lanes of a state word in one register and rotates
// in one instruction (AVX2 needs two registers and three instructions).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn xoshiro_x8_avx512(s: &mut [[u64; 8]; 4], out: &mut [u64]) {
    use std::arch::x86_64::*;
    // SAFETY (all loads and stores): each pointer addresses eight u64 of an
    // [u64; 8] or an 8-word chunk of `out`; unaligned access is allowed.
    let load = |w: &[u64; 8]| unsafe { _mm512_loadu_si512(w.as_ptr() as *const __m512i) };
    let (mut s0, mut s1, mut s2, mut s3) = (load(&s[0]), load(&s[1]), load(&s[2]), load(&s[3]));
    for block in out.chunks_exact_mut(8) {
        let r = _mm512_add_epi64(_mm512_rol_epi64::<23>(_mm512_add_epi64(s0, s3)), s0);
        unsafe { _mm512_storeu_si512(block.as_mut_ptr() as *mut __m512i, r) };
        let t = _mm512_slli_epi64::<17>(s1);
        s2 = _mm512_xor_si512(s2, s0);
        s3 = _mm512_xor_si512(s3, s1);
        s1 = _mm512_xor_si512(s1, s2);
        s0 = _mm512_xor_si512(s0, s3);
        s2 = _mm512_xor_si512(s2, t);
        s3 = _mm512_rol_epi64::<45>(s3);
    }
    for (word, r) in s.iter_mut().zip([s0, s1, s2, s3]) {
        unsafe { _mm512_storeu_si512(word.as_mut_ptr() as *mut __m512i, r) };
    }
}

fn xoshiro_x8_portable(s: &mut [[u64; 8]; 4], out: &mut [u64]) {
    let [mut s0, mut s1, mut s2, mut s3] = *s;
    for block in out.chunks_exact_mut(8) {
        for k in 0..8 {
            block[k] = s0[k]
                .wrapping_add(s3[k])
                .rotate_left(23)
                .wrapping_add(s0[k]);
            let t = s1[k] << 17;
            s2[k] ^= s0[k];
            s3[k] ^= s1[k];
            s1[k] ^= s2[k];
            s0[k] ^= s3[k];
            s2[k] ^= t;
            s3[k] = s3[k].rotate_left(45);
        }
    }
    *s = [s0, s1, s2, s3];
}

// LLVM keeps the eight lanes in scalar registers when left to itself, so the
// vector form is spelled out: two 4-lane registers per state word.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn xoshiro_x8_avx2(s: &mut [[u64; 8]; 4], out: &mut [u64]) {
    use std::arch::x86_64::*;
    // SAFETY (all loads and stores): each pointer addresses four u64 inside
    // an [u64; 8] or an 8-word chunk of `out`; unaligned access is allowed.
    let load = |w: &[u64; 8], h: usize| unsafe {
        _mm256_loadu_si256(w.as_ptr().add(4 * h) as *const __m256i)
    };
    let mut v = [[_mm256_setzero_si256(); 2]; 4];
    for (word, regs) in v.iter_mut().enumerate() {
        for (h, r) in regs.iter_mut().enumerate() {
            *r = load(&s[word], h);
        }
    }
    let [mut s0, mut s1, mut s2, mut s3] = v;
    for block in out.chunks_exact_mut(8) {
        for h in 0..2 {
            let x = _mm256_add_epi64(s0[h], s3[h]);
            let rot = _mm256_or_si256(_mm256_slli_epi64::<23>(x), _mm256_srli_epi64::<41>(x));
            let r = _mm256_add_epi64(rot, s0[h]);
            unsafe { _mm256_storeu_si256(block.as_mut_ptr().add(4 * h) as *mut __m256i, r) };
            let t = _mm256_slli_epi64::<17>(s1[h]);
            s2[h] = _mm256_xor_si256(s2[h], s0[h]);
            s3[h] = _mm256_xor_si256(s3[h], s1[h]);
            s1[h] = _mm256_xor_si256(s1[h], s2[h]);
            s0[h] = _mm256_xor_si256(s0[h], s3[h]);
            s2[h] = _mm256_xor_si256(s2[h], t);
            s3[h] = _mm256_or_si256(
                _mm256_slli_epi64::<45>(s3[h]),
                _mm256_srli_epi64::<19>(s3[h]),
            );
        }
    }
    for (word, regs) in [s0, s1, s2, s3].iter().enumerate() {
        for (h, r) in regs.iter().enumerate() {
            unsafe { _mm256_storeu_si256(s[word].as_mut_ptr().add(4 * h) as *mut __m256i, *r) };
        }
    }
}

/// The eight partial sums of [`sum`], added pairwise.
#[inline(always)]
fn combine8(a: [f64; 8]) -> f64 {
    ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]))
}

/// One path of [`judge`]: the hit (0 or 1) and the shortfall. The signed gap
/// is > 0 for a shortfall; NaN compares false and adds 0. (A function, not a
/// closure: closures do not inherit a kernel's target features.)
#[inline(always)]
fn judge_one(sign: f64, threshold: f64, mask: u64, m: f64, met: &mut u64) -> (u64, f64) {
    let gap = sign * (threshold - m);
    let ok = gap <= 0.0;
    *met &= if ok { u64::MAX } else { !mask };
    (ok as u64, if gap > 0.0 { gap } else { 0.0 })
}

/// Rows per panel of a [`LowerPanels`].
const PANEL: usize = 4;

/// A lower-triangular matrix packed for [`lower_triangular_apply`]: its rows
/// in panels of four, each panel's weights column by column
/// (`[panel][column][row in panel]`, zeros above the diagonal), so one load
/// of a column of shocks feeds four output rows held in registers.
#[derive(Debug, Clone, PartialEq)]
pub struct LowerPanels {
    rows: usize,
    weights: Vec<f64>,
}

impl LowerPanels {
    /// Packs the lower triangle of the row-major `rows x rows` matrix `l`
    /// (entries above the diagonal are ignored).
    pub fn from_row_major(l: &[f64], rows: usize) -> crate::Result<Self> {
        if rows.checked_mul(rows) != Some(l.len()) {
            return Err(crate::Error::parameter(
                "l",
                format!("has {} values, expected {rows} x {rows}", l.len()),
            ));
        }
        let panels = rows.div_ceil(PANEL);
        let mut weights = vec![0.0; panels * rows * PANEL];
        for (r, row) in l.chunks_exact(rows.max(1)).take(rows).enumerate() {
            let (panel, i) = (r / PANEL, r % PANEL);
            for (c, &v) in row.iter().enumerate().take(r + 1) {
                weights[(panel * rows + c) * PANEL + i] = v;
            }
        }
        Ok(LowerPanels { rows, weights })
    }
}

/// Every panel of `l` over `W`-path tiles; `z` and `out` hold `rows x len`.
/// Tiles outside, panels inside, so a tile's shocks stay in L1 while every
/// panel reads them. A last, partial tile is done as the whole tile ending at
/// `len`, recomputing some outputs of the one before to the same bits; a
/// block narrower than a tile goes path by path.
#[inline(always)]
fn panels<const W: usize>(l: &LowerPanels, len: usize, z: &[f64], out: &mut [f64]) {
    if len < W {
        return narrow(l, len, z, out);
    }
    let full = len / W * W;
    for p in (0..full).step_by(W) {
        each_panel::<W>(l, len, p, z, out);
    }
    if full < len {
        each_panel::<W>(l, len, len - W, z, out);
    }
}

/// Paths `p..p + W` through every panel. (A function, not a closure:
/// closures do not inherit the caller's target features, and would call
/// `fma` in libm.)
#[inline(always)]
fn each_panel<const W: usize>(l: &LowerPanels, len: usize, p: usize, z: &[f64], out: &mut [f64]) {
    let rows = l.rows;
    for (k, w) in l.weights.chunks_exact(rows * PANEL).enumerate() {
        let r0 = k * PANEL;
        let g = PANEL.min(rows - r0);
        let w = &w[..(r0 + g) * PANEL];
        let out = &mut out[r0 * len..(r0 + g) * len];
        match g {
            4 => tile::<4, W>(w, r0, len, p, z, out),
            3 => tile::<3, W>(w, r0, len, p, z, out),
            2 => tile::<2, W>(w, r0, len, p, z, out),
            _ => tile::<1, W>(w, r0, len, p, z, out),
        }
    }
}

/// Paths `p..p + W` of `G` output rows `r0..r0 + G` of a panel (weights
/// `w`, `[column][PANEL]`), the accumulators in registers. Each row takes the
/// columns up to its diagonal and no further: a zero weight times a shock
/// that is not finite would still be NaN.
#[inline(always)]
fn tile<const G: usize, const W: usize>(
    w: &[f64],
    r0: usize,
    len: usize,
    p: usize,
    z: &[f64],
    out: &mut [f64],
) {
    let mut acc = [[0.0f64; W]; G];
    let (below, diagonal) = w.split_at(r0 * PANEL);
    for (c, wc) in below.chunks_exact(PANEL).enumerate() {
        let zc = &z[c * len + p..c * len + p + W];
        for (a, &wi) in acc.iter_mut().zip(wc) {
            for (a, &zv) in a.iter_mut().zip(zc) {
                *a = wi.mul_add(zv, *a);
            }
        }
    }
    // The panel's own triangle: column r0 + d feeds rows d.. of the panel.
    // (Constant bounds, so the loops unroll and `i >= d` folds away.)
    for d in 0..G {
        let c = r0 + d;
        let zc = &z[c * len + p..c * len + p + W];
        let wc = &diagonal[d * PANEL..d * PANEL + PANEL];
        for i in 0..G {
            if i >= d {
                for (a, &zv) in acc[i].iter_mut().zip(zc) {
                    *a = wc[i].mul_add(zv, *a);
                }
            }
        }
    }
    for (i, a) in acc.iter().enumerate() {
        out[i * len + p..i * len + p + W].copy_from_slice(a);
    }
}

/// Every output of a block narrower than a tile, by the same chains.
#[inline(always)]
fn narrow(l: &LowerPanels, len: usize, z: &[f64], out: &mut [f64]) {
    let rows = l.rows;
    for (k, w) in l.weights.chunks_exact(rows * PANEL).enumerate() {
        let r0 = k * PANEL;
        for i in 0..PANEL.min(rows - r0) {
            for p in 0..len {
                let mut a = 0.0f64;
                for (c, wc) in w[..(r0 + i + 1) * PANEL].chunks_exact(PANEL).enumerate() {
                    a = wc[i].mul_add(z[c * len + p], a);
                }
                out[(r0 + i) * len + p] = a;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every level this CPU runs, best first, each passed to the kernels
    /// explicitly.
    fn arches() -> Vec<Arch> {
        let mut all: Vec<Arch> = Level::ALL
            .iter()
            .rev()
            .map(|&l| Arch::best().capped(l))
            .collect();
        all.dedup();
        all
    }

    /// A test's AR(1).
    const AR: LogAr1 = LogAr1 {
        mu: 0.05,
        phi: 0.3,
        sd: 0.04,
        scale: 100.0,
    };

    #[test]
    fn the_level_is_detected_once_and_capped_below_it() {
        let best = Arch::best();
        assert_eq!(best.level(), Level::detect());
        assert_eq!(Arch::best(), best);
        for (i, &l) in Level::ALL.iter().enumerate() {
            assert_eq!(l as usize, i);
            assert!(best.capped(l).level() <= best.level());
            assert!(best.capped(l).level() <= l);
        }
        assert_eq!(arches()[0], best);
        assert_eq!(arches().last().map(|a| a.level()), Some(Level::Baseline));
    }

    #[test]
    fn exp_is_accurate() {
        let mut worst = 0.0f64;
        for i in 0..200_001 {
            let x = (i as f64 / 200_000.0 - 0.5) * 1400.0;
            let (a, b) = (exp(x), x.exp());
            worst = worst.max(((a - b) / b).abs());
        }
        assert!(worst < 2.0 * f64::EPSILON, "worst relative error {worst:e}");
        // Densely where growth rates live, crossing every table entry.
        for i in 0..1_000_001 {
            let x = (i as f64 / 1_000_000.0 - 0.5) * 4.0;
            let (a, b) = (exp(x), x.exp());
            worst = worst.max(((a - b) / b).abs());
        }
        assert!(worst < 2.0 * f64::EPSILON, "worst relative error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        assert!((exp(1.0) - std::f64::consts::E).abs() <= f64::EPSILON * 3.0);
    }

    #[test]
    fn ar1_step_matches_scalar_formula() {
        let z = [0.5, -1.0, 2.0];
        let mut g = [0.1, 0.1, 0.0];
        let mut lx = [0.0, 1.0, -1.0];
        let mut out = [0.0; 3];
        ar1_step(AR, &z, &mut g, &mut lx, &mut out);
        for i in 0..3 {
            let g0 = [0.1, 0.1, 0.0][i];
            let gi = 0.04f64.mul_add(z[i], 0.3f64.mul_add(g0 - 0.05, 0.05));
            assert_eq!(g[i], gi);
            let l = [0.0, 1.0, -1.0][i] + gi;
            assert_eq!(lx[i], l);
            assert!((out[i] - 100.0 * l.exp()).abs() <= 1e-13 * out[i]);
        }
    }

    #[test]
    fn xoshiro_paths_agree() {
        let mut a = [[0u64; 8]; 4];
        for (w, word) in a.iter_mut().enumerate() {
            for (k, v) in word.iter_mut().enumerate() {
                *v = (w as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (k as u64) << 7;
            }
        }
        let mut b = a;
        let mut y = [0u64; 64];
        xoshiro_x8_portable(&mut b, &mut y);
        for arch in arches() {
            let (mut s, mut x) = (a, [0u64; 64]);
            arch.xoshiro_x8(&mut s, &mut x);
            assert_eq!(x, y, "{arch:?}");
            assert_eq!(s, b, "{arch:?}");
        }
    }

    #[test]
    fn judge_counts_and_sums_like_the_scalar_rule() {
        let n = 37;
        let m: Vec<f64> = (0..n).map(noise).collect();
        for at_least in [true, false] {
            let mut met = vec![u64::MAX; n];
            let (hits, short) = judge(&m, 0.1, at_least, 0b100, &mut met);
            let sign = if at_least { 1.0 } else { -1.0 };
            let gaps: Vec<f64> = m.iter().map(|v| sign * (0.1 - v)).collect();
            assert_eq!(hits, gaps.iter().filter(|&&g| g <= 0.0).count() as u64);
            let want: Vec<f64> = gaps.iter().map(|&g| g.max(0.0)).collect();
            assert_eq!(short.to_bits(), sum(&want).to_bits());
            for (mt, g) in met.iter().zip(&gaps) {
                assert_eq!(*mt, if *g <= 0.0 { u64::MAX } else { !0b100 });
            }
        }
    }

    #[test]
    fn sum_and_judge() {
        let xs: Vec<f64> = (1..=19).map(f64::from).collect();
        assert_eq!(sum(&xs), 190.0);
        let measure = [1.0, 5.0, f64::NAN, 3.0];
        let mut met = [u64::MAX; 4];
        let (hits, s) = judge(&measure, 3.0, true, 0b10, &mut met);
        assert_eq!((hits, s), (2, 2.0));
        assert_eq!(met, [!0b10, u64::MAX, !0b10, u64::MAX]);
        let (hits, s) = judge(&measure, 3.0, false, 0b1, &mut met);
        assert_eq!((hits, s), (2, 2.0));
        assert_eq!(met[1], !0b1);
    }

    #[test]
    fn triangular_apply() {
        // L = [[1,0],[0.6,0.8]], z rows [1,2] and [3,4]
        let l = LowerPanels::from_row_major(&[1.0, 0.0, 0.6, 0.8], 2).unwrap();
        let z = [1.0, 2.0, 3.0, 4.0];
        let mut out = [0.0; 4];
        lower_triangular_apply(&l, 2, &z, &mut out);
        let fused = |a: f64, b: f64, c: f64| a.mul_add(b, c);
        assert_eq!(out, [1.0, 2.0, fused(0.8, 3.0, 0.6), fused(0.8, 4.0, 1.2)]);
        // Entries above the diagonal are ignored; short slices change nothing.
        let upper = LowerPanels::from_row_major(&[1.0, 9.0, 0.6, 0.8], 2).unwrap();
        assert_eq!(upper, l);
        let mut short = [7.0; 3];
        lower_triangular_apply(&l, 2, &z, &mut short);
        assert_eq!(short, [7.0; 3]);
        assert!(LowerPanels::from_row_major(&[1.0, 0.0, 0.6], 2).is_err());
    }

    /// A deterministic pseudo-random value in [-1, 1).
    fn noise(i: usize) -> f64 {
        let x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        ((x >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    #[test]
    fn triangular_apply_matches_the_sum_in_every_shape() {
        for arch in arches() {
            triangular_shapes(arch);
        }
    }

    #[test]
    fn a_shock_that_is_not_finite_reaches_only_the_rows_it_feeds() {
        let l = LowerPanels::from_row_major(&[1.0, 0.0, 0.6, 0.8], 2).unwrap();
        for arch in arches() {
            for len in [1, 8, 24, 25, 50] {
                for bad in [f64::INFINITY, f64::NAN] {
                    let mut z = vec![0.5; 2 * len];
                    z[len + len / 2] = bad;
                    let mut out = vec![0.0; 2 * len];
                    arch.lower_triangular_apply(&l, len, &z, &mut out);
                    assert!(out[..len].iter().all(|&v| v == 0.5), "{arch:?}, len {len}");
                    assert!(!out[len + len / 2].is_finite());
                }
            }
        }
    }

    fn triangular_shapes(arch: Arch) {
        for rows in 1..=11 {
            let l: Vec<f64> = (0..rows * rows).map(noise).collect();
            let panels = LowerPanels::from_row_major(&l, rows).unwrap();
            for len in [1, 7, 8, 23, 24, 25, 61] {
                let z: Vec<f64> = (0..rows * len).map(|i| noise(i + 1000)).collect();
                let mut out = vec![0.0; rows * len];
                arch.lower_triangular_apply(&panels, len, &z, &mut out);
                for r in 0..rows {
                    for p in 0..len {
                        // The same chain of fused multiply-adds, in order.
                        let want =
                            (0..=r).fold(0.0f64, |a, c| l[r * rows + c].mul_add(z[c * len + p], a));
                        let at = format!("{arch:?}, rows {rows}, len {len}, ({r}, {p})");
                        assert_eq!(out[r * len + p], want, "{at}");
                    }
                }
            }
        }
    }

    #[test]
    fn ar1_paths_is_ar1_step_year_by_year() {
        let (paths, years) = (37, 4);
        let z: Vec<f64> = (0..paths * years).map(noise).collect();
        let mut out = vec![0.0; paths * years];
        let ar = LogAr1 {
            mu: 0.07,
            phi: -0.4,
            sd: 0.05,
            scale: 50.0,
        };
        ar1_paths(ar, 0.01, paths, &z, &mut out);
        let (mut g, mut lx, mut want) = (
            vec![0.01; paths],
            vec![0.0; paths],
            vec![0.0; paths * years],
        );
        for t in 0..years {
            let row = t * paths..(t + 1) * paths;
            ar1_step(ar, &z[row.clone()], &mut g, &mut lx, &mut want[row]);
        }
        assert_eq!(out, want);
        // A year that `out` does not hold in full is left alone.
        let mut short = vec![-1.0; paths * 2 - 1];
        ar1_paths(ar, 0.01, paths, &z, &mut short);
        assert_eq!(short[..paths], want[..paths]);
        assert!(short[paths..].iter().all(|&v| v == -1.0));
    }

    #[test]
    fn sum_rows_adds_in_order_and_skips_rows_it_lacks() {
        // Three rows of two, stride 3, from offset 1: [1, 2], [4, 5], [7, 8].
        let data: Vec<f64> = (0..9).map(f64::from).collect();
        let mut out = [0.0; 2];
        sum_rows(&data, 1, 3, 3, &mut out);
        assert_eq!(out, [12.0, 15.0]);
        sum_rows(&data, 1, 3, 5, &mut out);
        assert_eq!(out, [12.0, 15.0]);
        let big = [1e16, 1.0, 1.0, -1e16];
        let mut one = [0.0];
        sum_rows(&big, 0, 1, 4, &mut one);
        assert_eq!(one[0], ((1e16 + 1.0) + 1.0) - 1e16);
    }

    #[test]
    fn histogram_slots_floor_and_clamp() {
        let values = [
            -0.5,
            0.0,
            0.099,
            0.1,
            0.95,
            1.0,
            7.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut slots = [9u64; 10];
        histogram_slots(&values, 0.0, 10.0, 10, &mut slots);
        assert_eq!(slots, [0, 1, 1, 2, 10, 11, 11, 0, 11, 0]);
    }

    #[test]
    fn annual_growth_is_the_geometric_rate() {
        let (b, e) = ([100.0, 50.0, 2.0], [161.051, 50.0, 1.0]);
        let mut g = [0.0; 3];
        annual_growth(&b, &e, 5.0, &mut g);
        assert!((g[0] - 0.1).abs() < 1e-15, "{}", g[0]);
        assert_eq!(g[1], 0.0);
        assert!((g[2] - (0.5f64.powf(0.2) - 1.0)).abs() < 1e-15);
    }

    #[test]
    fn every_variant_gives_the_same_bits() {
        let n = 203;
        let x: Vec<f64> = (0..n).map(|i| 3.0 * noise(i)).collect();
        let z: Vec<f64> = (0..n).map(|i| noise(i + 7)).collect();
        let rows = 7;
        let l: Vec<f64> = (0..rows * rows).map(|i| noise(i + 99)).collect();
        let panels = LowerPanels::from_row_major(&l, rows).unwrap();
        let zz: Vec<f64> = (0..rows * 29).map(|i| noise(i + 5)).collect();
        let run = |arch: Arch| {
            let (mut g, mut lx, mut out) = (x.clone(), vec![0.1; n], vec![0.0; n]);
            arch.ar1_step(AR, &z, &mut g, &mut lx, &mut out);
            let mut met = vec![u64::MAX; n];
            let judged = arch.judge(&x, 0.5, true, 0b101, &mut met);
            let mut corr = vec![0.0; rows * 29];
            arch.lower_triangular_apply(&panels, 29, &zz, &mut corr);
            let mut state = [[0u64; 8]; 4];
            for (w, word) in state.iter_mut().enumerate() {
                for (k, v) in word.iter_mut().enumerate() {
                    *v = (w * 8 + k + 1) as u64;
                }
            }
            let mut bits = vec![0u64; 64];
            arch.xoshiro_x8(&mut state, &mut bits);
            let mut paths = vec![0.0; 5 * 37];
            arch.ar1_paths(AR, 0.02, 37, &x[..5 * 37], &mut paths);
            let mut rows = vec![0.0; 29];
            arch.sum_rows(&zz, 3, 29, 4, &mut rows);
            let mut growth = vec![0.0; n];
            arch.annual_growth(&lx, &out, 5.0, &mut growth);
            let mut slots = vec![0u64; n];
            arch.histogram_slots(&x, -1.0, 10.0, 40, &mut slots);
            let bits_of = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            (
                (bits_of(&g), bits_of(&lx), bits_of(&out)),
                (judged.0, judged.1.to_bits(), met),
                (arch.sum(&x).to_bits(), bits_of(&corr), bits, state),
                (bits_of(&paths), bits_of(&rows), bits_of(&growth), slots),
            )
        };
        let best = run(Arch::best());
        // AVX-512, AVX2 and the baseline, each named, where the CPU has it.
        for arch in arches() {
            assert_eq!(run(arch), best, "{arch:?}");
        }
        assert_eq!(run(Arch::best().capped(Level::Baseline)), best);
    }
}
