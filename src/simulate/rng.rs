//! The random streams of a run: one generator type, and how a chunk's stream
//! is seeded from the run's seed.

/// The random number generator each chunk of paths owns. Xoshiro256++ is a
/// fixed, documented algorithm, so the same seed gives the same numbers on every
/// platform and crate version.
pub type SimRng = rand::rngs::Xoshiro256PlusPlus;

/// Seed of chunk `c`'s stream: SplitMix64 finalisation of (seed, c), so
/// neighbouring chunks get unrelated streams.
pub(crate) fn stream_seed(seed: u64, c: u64) -> u64 {
    let mut z = seed ^ c.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
