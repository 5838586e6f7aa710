//! What the benchmarks and the peer example reach below the public API:
//! hidden from the docs, no part of the API's promises, and free to change.

use rand::SeedableRng;
use rayon::prelude::*;

use crate::simulate::engine::CHUNK;
use crate::simulate::model::SimRng;
use crate::simulate::normal::NormalStream;
use crate::simulate::rng::stream_seed;

/// The raw cost the engine cannot go below: draws the standard normals of
/// `paths` paths of `rows` series over `years` years chunk by chunk, in
/// parallel, exactly as a run draws its plain shocks (one stream per chunk,
/// filled row by row), and returns their sum (so the work is not optimised
/// away); NaN when a chunk's normals would not fit in memory's address range.
/// Benchmarks compare a run with this.
pub fn draw_normals_baseline(paths: u64, rows: usize, years: usize, seed: u64) -> f64 {
    let Some(per_chunk) = rows.checked_mul(years).and_then(|n| n.checked_mul(CHUNK)) else {
        return f64::NAN;
    };
    let chunks = paths.div_ceil(CHUNK as u64);
    (0..chunks)
        .into_par_iter()
        .map_init(
            || vec![0.0; per_chunk],
            |buf, c| {
                let size = (paths - c * CHUNK as u64).min(CHUNK as u64) as usize;
                let mut rng = SimRng::seed_from_u64(stream_seed(seed, c));
                let mut normals = NormalStream::new(&mut rng);
                let z = &mut buf[..rows * years * size];
                for row in z.chunks_exact_mut((years * size).max(1)) {
                    normals.fill(&mut rng, row);
                }
                z.iter().sum::<f64>()
            },
        )
        .sum()
}
