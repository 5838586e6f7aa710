//! The path simulator: a scenario and where each series starts in, blocks of
//! simulated paths out. It knows nothing of targets; [`crate::simulate::judge`] reads
//! what it writes.
//!
//! Chunk `c` of [`CHUNK`] paths draws from its own RNG stream seeded from
//! `(seed, c)`, so what a chunk holds depends only on its index, never on
//! the thread that simulates it or on what else the run does.
//!
//! A chunk is simulated in [`Stages`]: whole (one block of every series),
//! or, where nothing draws from the chunk's stream but the normals and no
//! correlation mixes the series, in groups of model series, one small block
//! at a time, then the derived series from the few kept for them. Both draw
//! the same numbers in the same order, so they give the same values; the
//! groups bound a worker's memory by the group, not the plan.

use std::collections::HashMap;

use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::{Error, Problem, Result};
use crate::number::Short;
use crate::plan::path_block::PathBlock;
use crate::plan::target::Combine;
use crate::simulate::correlation::Correlation;
use crate::simulate::kernel;
use crate::simulate::model::{GrowthModel, ModelSpec, Start};
use crate::simulate::normal::NormalStream;
use crate::simulate::rng::{SimRng, stream_seed};
use crate::simulate::scenario::{Sampling, Scenario};

/// Paths per chunk: small enough that a chunk's values stay in cache, even so
/// antithetic pairs never straddle chunks.
pub const CHUNK: usize = 512;

/// Most series-years (series times plan years plus one) a run takes: each
/// worker holds a block of that many values per path of a chunk, and the fan
/// chart a histogram for each; beyond this a plan (a horizon of millions of
/// years, say) would exhaust memory instead of failing with an error.
pub const MAX_CELLS: usize = 100_000;

/// Values a group's block holds per path of a chunk, at most (a group has
/// one series at least): 256 plan years' values, 1 MB for a chunk of 512
/// paths, small enough for a cache, large enough that the work per group
/// dwarfs its set-up.
const GROUP_VALUES: usize = 256;

/// How a chunk is laid out in blocks, in the order they are filled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stages {
    /// Per stage, the series its block holds, by local index.
    pub(crate) members: Vec<Vec<usize>>,
    /// Whether there is one stage of every series in index order (the
    /// block [`PathSimulator::simulate_chunk`] fills).
    pub(crate) whole: bool,
}

impl Stages {
    /// One stage of all `series`.
    fn whole(series: usize) -> Self {
        Stages {
            members: vec![(0..series).collect()],
            whole: true,
        }
    }
}

/// A chunk's standard normals as they are drawn, row after row: plain and
/// antithetic sampling's stream; none for Latin hypercube sampling, which
/// draws from the chunk's stream itself.
type Normals = Option<NormalStream>;

/// Where a series' values come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// Simulated by a model from a start, reading z row `row`. `known` holds
    /// the fixed values of year indices `0..known.len()`; simulation starts
    /// after the last of them, from `start`.
    Model {
        model: ModelSpec,
        start: Start,
        row: usize,
        known: Vec<f64>,
    },
    /// Combined from other series, by index.
    Derived { parts: Vec<usize>, combine: Combine },
    /// Not simulated.
    Absent,
}

impl Source {
    /// Series `id` simulated by `model` after its `known` values (year 0 at
    /// least); errors when even the median path would overflow within the
    /// `years` plan years. Its z row is assigned by [`PathSimulator::new`].
    pub(crate) fn model(id: &str, model: ModelSpec, known: Vec<f64>, years: usize) -> Result<Self> {
        let Some(&level) = known.last() else {
            return Err(Error::indicator(id, "start", "is needed"));
        };
        let from = known.len() - 1;
        let start = Start {
            level,
            last_log_growth: (from > 0).then(|| (known[from] / known[from - 1]).ln()),
        };
        // A logit walk lives in (0, upper): a start outside it has no logit,
        // and every path would be NaN (a P of 0, not an answer).
        if let ModelSpec::Logit(m) = &model
            && !(level > 0.0 && level < m.upper())
        {
            let field = if from == 0 { "start" } else { "actual" };
            return Err(Error::indicator(
                id,
                field,
                Problem::out_of_range(
                    level,
                    format!(
                        "in (0, {}) for its logit model's upper bound",
                        Short(m.upper())
                    ),
                ),
            ));
        }
        // A growth that carries even the median path past the largest
        // number would fill the results with infinities.
        if let Some(g) = model.growth_pct() {
            let left = i32::try_from(years.saturating_sub(from)).unwrap_or(i32::MAX);
            let median = start.level * (1.0 + g / 100.0).powi(left);
            if !median.is_finite() {
                return Err(Error::indicator(
                    id,
                    "growth_pct",
                    format!(
                        "of {}% a year carries {} past the largest finite number within \
                         {left} years",
                        Short(g),
                        Short(start.level)
                    ),
                ));
            }
        }
        Ok(Source::Model {
            model,
            start,
            row: 0,
            known,
        })
    }
}

/// A shock as the simulator applies it.
#[derive(Debug, Clone)]
struct CompiledShock {
    /// Year index from which it applies.
    year: usize,
    /// Probability that a path is hit.
    probability: f64,
    /// The series it moves, each with its factor.
    factors: Vec<ShockFactor>,
}

/// One series a shock moves.
#[derive(Debug, Clone, Copy)]
struct ShockFactor {
    series: usize,
    factor: f64,
}

/// A scenario compiled to simulate blocks of paths.
#[derive(Debug, Clone)]
pub(crate) struct PathSimulator {
    seed: u64,
    sampling: Sampling,
    years: usize,
    ids: Vec<String>,
    sources: Vec<Source>,
    rows: usize,
    chol: Option<kernel::LowerPanels>,
    shocks: Vec<CompiledShock>,
    stages: Stages,
    /// Per series, its index in the last stage's block when chunks are
    /// simulated in groups.
    kept_at: Vec<Option<usize>>,
}

/// Per-worker buffers of the simulator, allocated once.
pub(crate) struct PathScratch {
    z: Vec<f64>,
    z2: Vec<f64>,
    perm: Vec<usize>,
    derived: Vec<f64>,
    /// The chunk's paths, after [`PathSimulator::simulate_chunk`]; in
    /// groups, the current group's.
    pub(crate) block: PathBlock,
    /// In groups: the series kept for the last stage, and the derived ones.
    kept: PathBlock,
    /// In groups: the chunk's stream and normals between stages.
    rng: Option<(SimRng, Normals)>,
    size: usize,
}

impl PathSimulator {
    /// Compiles `sources` (one per id in `ids`, over year indices
    /// `0..=years` from `base_year`) under the scenario's seed, sampling,
    /// shocks and correlation. A derived series whose parts are not all
    /// simulated becomes absent. Also returns what the correlation's repair
    /// did, when it was asked for.
    pub(crate) fn new(
        scenario: &Scenario,
        base_year: i32,
        years: usize,
        ids: Vec<String>,
        mut sources: Vec<Source>,
    ) -> Result<(Self, Option<String>)> {
        check_cells(ids.len(), years)?;
        let mut rows = 0;
        for s in &mut sources {
            if let Source::Model { row, .. } = s {
                *row = rows;
                rows += 1;
            }
        }
        mark_absent(&mut sources);
        let (chol, repair) = match &scenario.correlation {
            None => (None, None),
            Some(spec) => {
                let matrix = crate::simulate::correlation::rows_to_matrix(&spec.ids, &spec.rows)?;
                let (corr, repair) = if spec.repair {
                    let (c, r) = Correlation::nearest(spec.ids.clone(), matrix)?;
                    (c, Some(r.to_string()))
                } else {
                    (Correlation::new(spec.ids.clone(), matrix)?, None)
                };
                (Some(full_cholesky(&corr, &ids, &sources, rows)?), repair)
            }
        };
        let shocks = compile_shocks(scenario, base_year, &ids, &sources);
        let ids_len = ids.len();
        let sim = PathSimulator {
            seed: scenario.seed,
            sampling: scenario.sampling,
            years,
            ids,
            sources,
            rows,
            chol,
            shocks,
            stages: Stages::whole(ids_len),
            kept_at: Vec::new(),
        };
        Ok((sim, repair))
    }

    /// Number of plan years (year indices run `0..=years`).
    pub(crate) fn years(&self) -> usize {
        self.years
    }

    /// Ids of the series, in index order.
    pub(crate) fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Whether series `s` is simulated (by a model or from simulated parts).
    pub(crate) fn is_simulated(&self, s: usize) -> bool {
        !matches!(self.sources[s], Source::Absent)
    }

    /// The model of series `id` and its start.
    pub(crate) fn model(&self, id: &str) -> Option<(&ModelSpec, Start)> {
        let i = self.ids.iter().position(|s| s == id)?;
        match &self.sources[i] {
            Source::Model { model, start, .. } => Some((model, *start)),
            Source::Derived { .. } | Source::Absent => None,
        }
    }

    /// Replaces the model of series `id`.
    pub(crate) fn set_model(&mut self, id: &str, new: ModelSpec) -> Result<()> {
        let i = self
            .ids
            .iter()
            .position(|s| s == id)
            .ok_or_else(|| Error::indicator(id, "id", Problem::NotInPlan))?;
        match &mut self.sources[i] {
            Source::Model { model, .. } => {
                *model = new;
                Ok(())
            }
            Source::Derived { .. } | Source::Absent => {
                Err(Error::indicator(id, "model", "is not simulated by a model"))
            }
        }
    }

    /// Buffers for one worker.
    pub(crate) fn scratch(&self) -> PathScratch {
        let (block, kept) = self.block_series();
        let z = self.z_rows() * row_stride(self.years * CHUNK);
        PathScratch {
            z: vec![0.0; z],
            z2: if self.chol.is_some() {
                vec![0.0; z]
            } else {
                Vec::new()
            },
            perm: Vec::with_capacity(CHUNK),
            derived: vec![0.0; CHUNK],
            block: PathBlock::zeros(block, self.years + 1, CHUNK),
            kept: PathBlock::zeros(kept, self.years + 1, CHUNK),
            rng: None,
            size: 0,
        }
    }

    /// Series of a worker's block, and of its block of kept series.
    fn block_series(&self) -> (usize, usize) {
        let m = &self.stages.members;
        if self.stages.whole {
            return (self.ids.len(), 0);
        }
        let groups = &m[..m.len() - 1];
        let widest = groups.iter().map(Vec::len).max().unwrap_or(0);
        (widest, m.last().map_or(0, Vec::len))
    }

    /// Rows of normals a worker holds at once: every model series', or a
    /// group's.
    fn z_rows(&self) -> usize {
        if self.stages.whole {
            self.rows
        } else {
            self.block_series().0
        }
    }

    /// Bytes of one worker's buffers under the current stages: its normals
    /// (twice when correlated) and its blocks of values.
    pub(crate) fn scratch_bytes(&self) -> usize {
        let (block, kept) = self.block_series();
        let z = self
            .z_rows()
            .saturating_mul(row_stride(self.years * CHUNK))
            .saturating_mul(if self.chol.is_some() { 2 } else { 1 });
        let values = (block + kept).saturating_mul((self.years + 1) * CHUNK);
        z.saturating_add(values).saturating_mul(8)
    }

    /// The stages chunks are simulated in.
    pub(crate) fn stages(&self) -> &Stages {
        &self.stages
    }

    /// Whether a chunk simulated in groups of model series draws the same
    /// numbers as whole: nothing but the normals draws from the chunk's
    /// stream before its last series is simulated (no model that draws, no
    /// shock that moves a series: shocks draw after every series), no
    /// correlation mixes the rows, and each derived series reads only model
    /// series and derived ones before it (as whole, they are combined in
    /// index order).
    fn groupable(&self) -> bool {
        self.chol.is_none()
            && self.shocks.iter().all(|s| s.factors.is_empty())
            && self.sources.iter().enumerate().all(|(s, src)| match src {
                Source::Model { model, .. } => !model.draws_from_stream(),
                Source::Derived { parts, .. } => parts
                    .iter()
                    .all(|&p| p < s || matches!(self.sources.get(p), Some(Source::Model { .. }))),
                Source::Absent => true,
            })
    }

    /// Lays chunks out for rules that read `reads` (each rule's series):
    /// whole when `whole` is asked (to keep whole blocks) or groups would
    /// draw other numbers; else groups of consecutive model series, then a
    /// last stage of the derived series and of what they and the rules that
    /// read across groups read.
    pub(crate) fn plan_stages(&mut self, reads: &[Vec<usize>], whole: bool) {
        let n = self.ids.len();
        self.kept_at.clear();
        if whole || !self.groupable() {
            self.stages = Stages::whole(n);
            return;
        }
        let per = (GROUP_VALUES / (self.years + 1)).max(1);
        let model: Vec<usize> = (0..n)
            .filter(|&s| matches!(self.sources[s], Source::Model { .. }))
            .collect();
        let mut members: Vec<Vec<usize>> = model.chunks(per).map(<[usize]>::to_vec).collect();
        let mut group_of = vec![usize::MAX; n];
        for (g, m) in members.iter().enumerate() {
            for &s in m {
                group_of[s] = g;
            }
        }
        let mut kept = vec![false; n];
        for r in reads {
            let g = r
                .first()
                .map_or(0, |&s| group_of.get(s).copied().unwrap_or(usize::MAX));
            if g == usize::MAX || r.iter().any(|&s| group_of.get(s) != Some(&g)) {
                for &s in r {
                    if let Some(k) = kept.get_mut(s) {
                        *k = true;
                    }
                }
            }
        }
        for (s, src) in self.sources.iter().enumerate() {
            if let Source::Derived { parts, .. } = src {
                kept[s] = true;
                for &p in parts {
                    kept[p] = true;
                }
            }
        }
        let last: Vec<usize> = (0..n)
            .filter(|&s| kept[s] && self.is_simulated(s))
            .collect();
        self.kept_at = vec![None; n];
        for (i, &s) in last.iter().enumerate() {
            self.kept_at[s] = Some(i);
        }
        members.push(last);
        self.stages = Stages {
            members,
            whole: false,
        };
    }

    /// Starts chunk `c` of `size` paths in `sc`; [`Self::simulate_stage`]
    /// then fills each stage's block in order.
    pub(crate) fn begin_chunk(&self, c: u64, size: usize, sc: &mut PathScratch) {
        if self.stages.whole {
            self.simulate_chunk(c, size, sc);
            return;
        }
        let mut rng = SimRng::seed_from_u64(stream_seed(self.seed, c));
        let normals = self.start_normals(&mut rng);
        sc.rng = Some((rng, normals));
        sc.size = size;
        sc.block.set_paths(size);
        sc.kept.set_paths(size);
    }

    /// Fills stage `stage`'s block of the chunk begun in `sc` (whole, the
    /// chunk was simulated when it began); returns it.
    pub(crate) fn simulate_stage<'a>(
        &self,
        stage: usize,
        sc: &'a mut PathScratch,
    ) -> &'a PathBlock {
        if self.stages.whole {
            return &sc.block;
        }
        let size = sc.size;
        let members = &self.stages.members;
        let Some((rng, normals)) = sc.rng.as_mut() else {
            return &sc.block;
        };
        if stage + 1 < members.len() {
            let per_row = self.years * size;
            let stride = row_stride(per_row);
            // The group's normals first, then its models: a loop that does
            // one thing at a time runs faster than one row of each by turns.
            let group = members[stage].len();
            for row in sc.z[..group * stride].chunks_exact_mut(stride) {
                self.draw_row(normals, &mut row[..per_row], size, rng, &mut sc.perm);
            }
            let block = &mut sc.block;
            for (i, &s) in members[stage].iter().enumerate() {
                let Source::Model {
                    model,
                    start,
                    known,
                    ..
                } = &self.sources[s]
                else {
                    continue;
                };
                let z = &sc.z[i * stride..i * stride + per_row];
                for (t, &v) in known.iter().enumerate() {
                    block.at_mut(i, t).fill(v);
                }
                let left = (self.years + 1 - known.len()) * size;
                if left > 0 {
                    let out = block.years_from_mut(i, known.len());
                    model.simulate(*start, &z[..left], size, rng, out);
                }
                if let Some(k) = self.kept_at[s] {
                    for t in 0..=self.years {
                        sc.kept.at_mut(k, t).copy_from_slice(block.at(i, t));
                    }
                }
            }
            return &sc.block;
        }
        let row = &mut sc.derived[..size];
        let kept = &mut sc.kept;
        for (k, &s) in members[stage].iter().enumerate() {
            if let Source::Derived { parts, combine } = &self.sources[s] {
                let at: Vec<usize> = parts
                    .iter()
                    .map(|&p| self.kept_at[p].unwrap_or(0))
                    .collect();
                for t in 0..=self.years {
                    combine.rows(at.len(), |j| kept.at(at[j], t), row);
                    kept.at_mut(k, t).copy_from_slice(row);
                }
            }
        }
        &sc.kept
    }

    /// Simulates all `paths` paths, chunk by chunk in parallel, and returns
    /// the blocks in chunk order.
    pub(crate) fn blocks(&self, paths: u64) -> Vec<PathBlock> {
        let chunks = paths.div_ceil(CHUNK as u64);
        (0..chunks)
            .into_par_iter()
            .map_init(
                || self.scratch(),
                |sc, c| {
                    let size = (paths - c * CHUNK as u64).min(CHUNK as u64) as usize;
                    self.simulate_chunk(c, size, sc);
                    sc.block.clone()
                },
            )
            .collect()
    }

    /// Fills `sc.block` with chunk `c`'s `size` paths.
    pub(crate) fn simulate_chunk(&self, c: u64, size: usize, sc: &mut PathScratch) {
        let mut rng = SimRng::seed_from_u64(stream_seed(self.seed, c));
        let per_row = self.years * size;
        let stride = row_stride(per_row);
        let z = &mut sc.z[..self.rows * stride];
        self.draw_normals(z, stride, per_row, size, &mut rng, &mut sc.perm);
        let z: &[f64] = match &self.chol {
            Some(l) => {
                // The padding between rows is correlated too (what it holds
                // reaches only padding: each path's outputs read its column).
                let out = &mut sc.z2[..self.rows * stride];
                kernel::lower_triangular_apply(l, stride, z, out);
                out
            }
            None => z,
        };
        let block = &mut sc.block;
        block.set_paths(size);
        for (s, src) in self.sources.iter().enumerate() {
            if let Source::Model {
                model,
                start,
                row,
                known,
            } = src
            {
                for (t, &v) in known.iter().enumerate() {
                    block.at_mut(s, t).fill(v);
                }
                let left = (self.years + 1 - known.len()) * size;
                if left > 0 {
                    let out = block.years_from_mut(s, known.len());
                    let zs = &z[row * stride..row * stride + left];
                    model.simulate(*start, zs, size, &mut rng, out);
                }
            }
        }
        for shock in &self.shocks {
            for path in 0..size {
                let hit = shock.probability >= 1.0 || rng.random::<f64>() < shock.probability;
                if hit {
                    for f in &shock.factors {
                        for year in shock.year..=self.years {
                            block.at_mut(f.series, year)[path] *= f.factor;
                        }
                    }
                }
            }
        }
        let row = &mut sc.derived[..size];
        for (s, src) in self.sources.iter().enumerate() {
            if let Source::Derived { parts, combine } = src {
                for t in 0..=self.years {
                    combine.rows(parts.len(), |k| block.at(parts[k], t), row);
                    block.at_mut(s, t).copy_from_slice(row);
                }
            }
        }
    }

    /// Standard normal shocks for the chunk, `[row][year][path]`: the first
    /// `per_row` values of each row of `stride`.
    fn draw_normals(
        &self,
        z: &mut [f64],
        stride: usize,
        per_row: usize,
        size: usize,
        rng: &mut SimRng,
        perm: &mut Vec<usize>,
    ) {
        let mut normals = self.start_normals(rng);
        for row in z.chunks_exact_mut(stride) {
            self.draw_row(&mut normals, &mut row[..per_row], size, rng, perm);
        }
    }

    /// The normals of a chunk whose stream is `rng`, before its first row.
    fn start_normals(&self, rng: &mut SimRng) -> Normals {
        match self.sampling {
            Sampling::Plain | Sampling::Antithetic => Some(NormalStream::new(rng)),
            Sampling::LatinHypercube => None,
        }
    }

    /// The next row of normals, `[year][path]` for `size` paths: what a row
    /// holds depends only on the rows drawn before it.
    fn draw_row(
        &self,
        normals: &mut Normals,
        row: &mut [f64],
        size: usize,
        rng: &mut SimRng,
        perm: &mut Vec<usize>,
    ) {
        match normals {
            Some(normals) if self.sampling == Sampling::Plain => normals.fill(rng, row),
            Some(normals) => {
                let half = size.div_ceil(2);
                for run in row.chunks_mut(size) {
                    normals.fill(rng, &mut run[..half]);
                    let (a, b) = run.split_at_mut(half);
                    for (dst, src) in b.iter_mut().zip(a.iter()) {
                        *dst = -src;
                    }
                }
            }
            None => {
                let normal = Normal::standard();
                for run in row.chunks_mut(size) {
                    perm.clear();
                    perm.extend(0..size);
                    for i in (1..size).rev() {
                        let j = rng.random_range(0..=i);
                        perm.swap(i, j);
                    }
                    for (v, &k) in run.iter_mut().zip(perm.iter()) {
                        let u = (k as f64 + rng.random::<f64>()) / size as f64;
                        *v = normal.inverse_cdf(u.clamp(1e-300, 1.0 - 1e-16));
                    }
                }
            }
        }
    }
}

/// Errors when `series` series over `years` plan years hold more than
/// [`MAX_CELLS`] series-years.
pub(crate) fn check_cells(series: usize, years: usize) -> Result<()> {
    let cells = series.saturating_mul(years.saturating_add(1));
    if cells > MAX_CELLS {
        return Err(Error::plan(
            "target_year",
            format!(
                "gives {years} plan years for {series} series: {cells} series-years, more than \
                 the {MAX_CELLS} the engine can hold per chunk of paths"
            ),
        ));
    }
    Ok(())
}

/// Derived series are available only when what they read is: the others
/// become absent.
fn mark_absent(sources: &mut [Source]) {
    let mut available: Vec<bool> = sources
        .iter()
        .map(|s| matches!(s, Source::Model { .. }))
        .collect();
    for _ in 0..sources.len() {
        for (i, s) in sources.iter().enumerate() {
            available[i] = match s {
                Source::Model { .. } => true,
                Source::Derived { parts, .. } => {
                    !parts.is_empty()
                        && parts
                            .iter()
                            .all(|&j| available.get(j).copied().unwrap_or(false))
                }
                Source::Absent => false,
            };
        }
    }
    for (s, a) in sources.iter_mut().zip(available) {
        if !a {
            *s = Source::Absent;
        }
    }
}

/// The scenario's shocks by year index, each on the model series whose
/// years it reaches are not already known (a shock in a known year is in the
/// actuals).
fn compile_shocks(
    scenario: &Scenario,
    base_year: i32,
    ids: &[String],
    sources: &[Source],
) -> Vec<CompiledShock> {
    scenario
        .shocks
        .iter()
        .map(|s| {
            let year = (s.year - base_year) as usize;
            let factors = sources
                .iter()
                .enumerate()
                .filter(
                    |(_, src)| matches!(src, Source::Model { known, .. } if known.len() <= year),
                )
                .map(|(i, _)| {
                    let pct = s.impacts_pct.get(&ids[i]).copied().unwrap_or(s.impact_pct);
                    ShockFactor {
                        series: i,
                        factor: 1.0 + pct / 100.0,
                    }
                })
                .filter(|f| f.factor != 1.0)
                .collect();
            CompiledShock {
                year,
                probability: s.probability,
                factors,
            }
        })
        .collect()
}

/// Values per row of a chunk's shocks for `per_row` used: rounded up to whole
/// cache lines plus one, so that rows are not a multiple of 4 KiB apart. At
/// such a distance (5 years x 512 paths x 8 bytes is 20 KiB) the
/// correlation's loads from one row and stores to another falsely depend on
/// each other, and it runs half as fast.
pub(crate) fn row_stride(per_row: usize) -> usize {
    per_row.div_ceil(8) * 8 + 8
}

/// Cholesky factor (row-major lower triangle, `rows x rows`) of the correlation
/// across z rows: the scenario's matrix where it names series, independence
/// elsewhere.
fn full_cholesky(
    corr: &Correlation,
    ids: &[String],
    sources: &[Source],
    rows: usize,
) -> Result<kernel::LowerPanels> {
    let mut row_of = HashMap::new();
    for (i, src) in sources.iter().enumerate() {
        if let Source::Model { row, .. } = src {
            row_of.insert(ids[i].as_str(), *row);
        }
    }
    let mut full = DMatrix::<f64>::identity(rows, rows);
    for (a, ia) in corr.ids().iter().enumerate() {
        for (b, ib) in corr.ids().iter().enumerate() {
            match (row_of.get(ia.as_str()), row_of.get(ib.as_str())) {
                (Some(&ra), Some(&rb)) => full[(ra, rb)] = corr.matrix()[(a, b)],
                _ if a == b => {}
                _ => {
                    let missing = if row_of.contains_key(ia.as_str()) {
                        ib
                    } else {
                        ia
                    };
                    return Err(Error::indicator(
                        missing,
                        "correlation.ids",
                        "names a series the scenario does not simulate by a model",
                    ));
                }
            }
        }
    }
    let full = Correlation::new((0..rows).map(|r| format!("row{r}")).collect(), full)?;
    let l = crate::simulate::correlation::lower_row_major(&full.cholesky_lower());
    kernel::LowerPanels::from_row_major(&l, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normals_baseline_draws_what_a_run_draws() {
        let mut scenario = Scenario::named("x");
        // Two whole chunks and one of 3 paths, whose rows of 12 normals are not
        // whole batches of 8 words: a single fill would draw other numbers.
        scenario.paths = 1027;
        scenario.seed = 9;
        let ids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let sources = [(100.0, 5.0), (10.0, 3.0), (1.0, 8.0)]
            .iter()
            .zip(&ids)
            .map(|(&(base, g), id)| {
                let model =
                    ModelSpec::LogNormal(crate::simulate::model::LogNormal::new(g, 0.01).unwrap());
                Source::model(id, model, vec![base], 4).unwrap()
            })
            .collect();
        let (sim, _) = PathSimulator::new(&scenario, 2020, 4, ids, sources).unwrap();
        assert_eq!((sim.rows, sim.years), (3, 4));
        let mut sc = sim.scratch();
        let mut total = 0.0;
        for c in 0..3u64 {
            let size = (1027 - c as usize * CHUNK).min(CHUNK);
            let mut rng = SimRng::seed_from_u64(stream_seed(9, c));
            let (per_row, stride) = (sim.years * size, row_stride(sim.years * size));
            let z = &mut sc.z[..sim.rows * stride];
            sim.draw_normals(z, stride, per_row, size, &mut rng, &mut sc.perm);
            total += z
                .chunks_exact(stride)
                .flat_map(|r| &r[..per_row])
                .sum::<f64>();
        }
        let baseline = crate::bench::draw_normals_baseline(1027, 3, 4, 9);
        assert!((baseline - total).abs() < 1e-9, "{baseline} vs {total}");
        assert!(crate::bench::draw_normals_baseline(1, usize::MAX, 2, 0).is_nan());
    }
}
