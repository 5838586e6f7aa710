//! The Monte Carlo engine: many futures of a plan under a scenario, in
//! parallel, streaming, and reproducible to the bit.
//!
//! Paths are cut into fixed chunks of [`CHUNK`] paths. Chunk `c` draws from its
//! own RNG stream seeded from `(seed, c)`, so what a chunk draws never depends
//! on which thread runs it. Integer tallies (hits, histogram counts) merge in
//! any order; floating-point sums are kept per chunk and added in chunk order.
//! Hence the same seed gives bit-identical results on 1, 2 or 16 threads.
//!
//! Memory does not grow with the number of paths: per chunk the engine keeps
//! one block of values, and across chunks only counts, sums and fixed-size
//! histograms (see [`crate::quantile`]), unless whole paths are asked for.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::attainment::{Attainment, FAN_LEVELS, Probability, SeriesFan, TargetResult, YearBand};
use crate::correlation::Correlation;
use crate::error::{Error, Result};
use crate::kernel;
use crate::model::{GrowthModel, ModelSpec, SimRng, Start};
use crate::normal::NormalStream;
use crate::number::Short;
use crate::plan::{Attribute, Plan};
use crate::quantile::Histogram;
use crate::scenario::{Sampling, Scenario};
use crate::target::{Direction, PathBlock, Rule, Target};

/// Paths per chunk: small enough that a chunk's values stay in cache, even so
/// antithetic pairs never straddle chunks.
pub const CHUNK: usize = 512;

/// Chunks per wave: the unit of parallel work between merges, and the step
/// of a run to a target standard error, fixed so that where such a run stops
/// does not depend on the number of threads. A run of fixed size takes
/// waves of up to 16 times this (its numbers do not depend on where waves
/// end), so that many threads share each wave evenly.
pub const WAVE: u64 = 64;

/// Most series-years (series times plan years plus one) a run takes: each
/// worker holds a block of that many values per path of a chunk, and the fan
/// chart a histogram for each; beyond this a plan (a horizon of millions of
/// years, say) would exhaust memory instead of failing with an error.
pub const MAX_CELLS: usize = 100_000;

/// Bins of the fan-chart and growth histograms.
const BINS: usize = 1024;

/// Settings of a run that are not part of the scenario.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunOptions {
    /// Threads to use; `None` uses rayon's global pool.
    pub threads: Option<usize>,
    /// Keep every simulated path (memory grows with the paths).
    pub keep_paths: bool,
    /// Skip fan-chart quantiles and realised-growth summaries.
    pub no_fan: bool,
    /// Extra joint probabilities: a name and the (indicator id, target index)
    /// pairs that must all be met.
    pub joints: Vec<(String, Vec<(String, usize)>)>,
    /// Actuals to condition on (a mid-term review); `None` simulates the
    /// whole plan from its base.
    pub conditioning: Option<Conditioning>,
    /// Progress counter and stop flag shared with the caller (a progress bar,
    /// a Ctrl-C handler); `None` runs to the end unobserved.
    pub monitor: Option<Monitor>,
}

/// A window into a running simulation or backtest, for progress bars and
/// Ctrl-C.
///
/// The engine adds each wave's paths to `done` after the wave (so the count
/// moves in steps of [`WAVE`] chunks, or a multiple of it) and checks
/// `cancel` before starting the next one; a set flag ends the run with [`Error::Cancelled`]. Neither
/// changes what is drawn: results stay bit-identical with or without a
/// monitor, on any number of threads. One monitor may watch several runs in
/// turn (a review runs two); `done` then counts the paths of all of them.
#[derive(Debug, Clone, Default)]
pub struct Monitor {
    /// Work done so far: paths in a simulation, series in a backtest.
    pub done: Arc<AtomicU64>,
    /// Set to stop the run at the next wave boundary.
    pub cancel: Arc<AtomicBool>,
}

impl PartialEq for Monitor {
    /// Two monitors are equal when they share their counter and flag.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.done, &other.done) && Arc::ptr_eq(&self.cancel, &other.cancel)
    }
}

impl Monitor {
    /// Adds `units` to the counter.
    pub(crate) fn advance(&self, units: u64) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }

    /// Whether the caller asked the run to stop.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// What is already known, as of a year: per series id, one value per plan
/// year from the base year to the target year (`None` where not reported;
/// years after `as_of` are ignored). Each series is then simulated only after
/// its latest known value, from that value (and, for persistent models, from
/// the growth into it); the known years stay fixed in every path, so
/// cumulative, milestone and every-year targets count what was achieved.
/// Gaps between known years are filled geometrically; a series without a
/// base-year value (plan base or actual) is not conditioned.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conditioning {
    /// The review year: the last year whose actuals count.
    pub as_of: i32,
    /// Known values per series id, indexed by year offset from the base year.
    pub values: std::collections::BTreeMap<String, Vec<Option<f64>>>,
}

/// Where a series' values come from.
#[derive(Debug, Clone)]
enum Source {
    /// Simulated by a model from a start, reading z row `row`. `known` holds
    /// the fixed values of year indices `0..known.len()`; simulation starts
    /// after the last of them, from `start`.
    Model {
        model: ModelSpec,
        start: Start,
        row: usize,
        known: Vec<f64>,
    },
    /// `scale * numerator / denominator` of two other series.
    Ratio { num: usize, den: usize, scale: f64 },
    /// Sum of other series.
    Sum(Vec<usize>),
    /// Not simulated.
    Absent,
}

/// A target resolved for the engine.
#[derive(Debug, Clone)]
struct Slot {
    id: String,
    no: Option<u32>,
    index: usize,
    kind: &'static str,
    binding: bool,
    rule: Option<Rule>,
}

/// A shock as the engine applies it: year index, probability, and the
/// factor on each affected series.
type CompiledShock = (usize, f64, Vec<(usize, f64)>);

/// A plan and a scenario compiled for simulation.
#[derive(Debug, Clone)]
pub struct Engine {
    scenario: Scenario,
    options: RunOptions,
    base_year: i32,
    years: usize,
    ids: Vec<String>,
    sources: Vec<Source>,
    rows: usize,
    chol: Option<kernel::LowerPanels>,
    slots: Vec<Slot>,
    /// Probability slots: the evaluable rules, then binding, all, custom joints.
    live: Vec<usize>,
    joint_members: Vec<Vec<usize>>,
    /// For each live rule, the bits of the joints it belongs to.
    joint_masks: Vec<u64>,
    shocks: Vec<CompiledShock>,
    repair: Option<String>,
}

impl Engine {
    /// Compiles `plan` under `scenario`; every reference is checked here, so a
    /// run cannot fail half-way.
    pub fn new(plan: &Plan, scenario: &Scenario, options: RunOptions) -> Result<Self> {
        plan.validate()?;
        scenario.validate(plan)?;
        let years = plan.horizon()?;
        let ids: Vec<String> = plan.series_ids().map(str::to_string).collect();
        let cells = ids.len().saturating_mul(years.saturating_add(1));
        if cells > MAX_CELLS {
            return Err(Error::plan(
                "target_year",
                format!(
                    "gives {years} plan years for {} series: {cells} series-years, more than the \
                     {MAX_CELLS} the engine can hold per chunk of paths",
                    ids.len()
                ),
            ));
        }
        let mut sources = Vec::with_capacity(ids.len());
        let mut rows = 0;
        for (i, id) in ids.iter().enumerate() {
            let explicit = scenario.models.get(id).cloned();
            let ind = plan.indicators.get(i);
            let derived = match ind.map(|d| &d.target) {
                Some(Target::Ratio {
                    numerator,
                    denominator,
                    scale,
                    ..
                }) if numerator != id && denominator != id => Some(Source::Ratio {
                    num: plan.series_index(numerator).unwrap_or(usize::MAX),
                    den: plan.series_index(denominator).unwrap_or(usize::MAX),
                    scale: *scale,
                }),
                Some(Target::Aggregate { components, .. }) => Some(Source::Sum(
                    components
                        .iter()
                        .filter_map(|c| plan.series_index(c))
                        .collect(),
                )),
                _ => None,
            };
            let source = match (explicit, derived) {
                (Some(model), _) => Some(model),
                (None, Some(d)) => {
                    sources.push(d);
                    continue;
                }
                (None, None) => scenario.default_model(plan, i),
            };
            let Some(model) = source else {
                sources.push(Source::Absent);
                continue;
            };
            let growth_only = matches!(ind.map(|d| &d.target), Some(Target::Growth { .. }));
            let level = plan
                .series_base(i)
                .or_else(|| scenario.starts.get(id).copied())
                .or(if growth_only || model.is_flow() {
                    Some(1.0)
                } else {
                    None
                });
            let Some(level) = level else {
                return Err(Error::indicator(
                    id,
                    "start",
                    "is needed: the plan gives no base and the scenario no start for its model",
                ));
            };
            let known = match &options.conditioning {
                Some(c) => {
                    let base = plan
                        .series_base(i)
                        .or_else(|| scenario.starts.get(id).copied());
                    known_values(id, base, level, c, plan.base_year, years)?
                }
                None => vec![level],
            };
            let from = known.len() - 1;
            let start = Start {
                level: known[from],
                last_log_growth: (from > 0).then(|| (known[from] / known[from - 1]).ln()),
            };
            // A growth that carries even the median path past the largest
            // number would fill the results with infinities.
            if let Some(g) = model.growth_pct() {
                let left = i32::try_from(years - from).unwrap_or(i32::MAX);
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
            sources.push(Source::Model {
                model,
                start,
                row: rows,
                known,
            });
            rows += 1;
        }
        // Derived series are available only when what they read is.
        let mut available: Vec<bool> = sources
            .iter()
            .map(|s| matches!(s, Source::Model { .. }))
            .collect();
        for _ in 0..sources.len() {
            for (i, s) in sources.iter().enumerate() {
                available[i] = match s {
                    Source::Model { .. } => true,
                    Source::Ratio { num, den, .. } => {
                        available.get(*num).copied().unwrap_or(false)
                            && available.get(*den).copied().unwrap_or(false)
                    }
                    Source::Sum(c) => !c.is_empty() && c.iter().all(|&j| available[j]),
                    Source::Absent => false,
                };
            }
        }
        for (i, a) in available.iter().enumerate() {
            if !a {
                sources[i] = Source::Absent;
            }
        }
        let mut slots = Vec::new();
        for ind in &plan.indicators {
            for (k, t) in ind.targets().enumerate() {
                let rule = t.rule(&ind.id, plan)?;
                let ok = rule.series().iter().all(|&s| available[s]);
                slots.push(Slot {
                    id: ind.id.clone(),
                    no: ind.no,
                    index: k,
                    kind: t.kind(),
                    binding: ind.attribute == Attribute::Binding,
                    rule: ok.then_some(rule),
                });
            }
        }
        let live: Vec<usize> = (0..slots.len())
            .filter(|&i| slots[i].rule.is_some())
            .collect();
        let mut joint_members = vec![
            live.iter()
                .copied()
                .filter(|&i| slots[i].binding)
                .collect::<Vec<_>>(),
            live.clone(),
        ];
        if options.joints.len() > 62 {
            return Err(Error::parameter(
                "joints",
                format!("at most 62 custom joints, got {}", options.joints.len()),
            ));
        }
        for (name, members) in &options.joints {
            let mut m = Vec::new();
            for (id, k) in members {
                let pos = slots
                    .iter()
                    .position(|s| &s.id == id && s.index == *k)
                    .ok_or_else(|| {
                        Error::parameter(
                            "joints",
                            format!("\"{name}\" names target {k} of \"{id}\", which the plan does not have"),
                        )
                    })?;
                if slots[pos].rule.is_none() {
                    return Err(Error::parameter(
                        "joints",
                        format!(
                            "\"{name}\" names target {k} of \"{id}\", which the scenario does not simulate"
                        ),
                    ));
                }
                m.push(pos);
            }
            joint_members.push(m);
        }
        let (chol, repair) = match &scenario.correlation {
            None => (None, None),
            Some(spec) => {
                let matrix = crate::correlation::rows_to_matrix(&spec.ids, &spec.rows)?;
                let (corr, repair) = if spec.repair {
                    let (c, r) = Correlation::nearest(spec.ids.clone(), matrix)?;
                    (c, Some(r.to_string()))
                } else {
                    (Correlation::new(spec.ids.clone(), matrix)?, None)
                };
                (Some(full_cholesky(&corr, &ids, &sources, rows)?), repair)
            }
        };
        let shocks = scenario
            .shocks
            .iter()
            .map(|s| {
                let t = (s.year - plan.base_year) as usize;
                // A shock in a year already known is in the actuals.
                let factors = sources
                    .iter()
                    .enumerate()
                    .filter(
                        |(_, src)| matches!(src, Source::Model { known, .. } if known.len() <= t),
                    )
                    .map(|(i, _)| {
                        let pct = s.impacts_pct.get(&ids[i]).copied().unwrap_or(s.impact_pct);
                        (i, 1.0 + pct / 100.0)
                    })
                    .filter(|(_, f)| *f != 1.0)
                    .collect();
                (t, s.probability, factors)
            })
            .collect();
        Ok(Engine {
            scenario: scenario.clone(),
            options,
            base_year: plan.base_year,
            years,
            ids,
            sources,
            rows,
            chol,
            slots,
            joint_masks: live
                .iter()
                .map(|slot| {
                    joint_members
                        .iter()
                        .enumerate()
                        .filter(|(_, m)| m.contains(slot))
                        .fold(0, |mask, (j, _)| mask | (1 << j))
                })
                .collect(),
            live,
            joint_members,
            shocks,
            repair,
        })
    }

    /// The model of series `id` after compilation (explicit or default).
    pub fn model(&self, id: &str) -> Option<(&ModelSpec, Start)> {
        let i = self.ids.iter().position(|s| s == id)?;
        match &self.sources[i] {
            Source::Model { model, start, .. } => Some((model, *start)),
            _ => None,
        }
    }

    /// Replaces the model of series `id` (goal seek uses this with common
    /// random numbers: the same seed, one parameter moved).
    pub fn set_model(&mut self, id: &str, new: ModelSpec) -> Result<()> {
        let i = self
            .ids
            .iter()
            .position(|s| s == id)
            .ok_or_else(|| Error::indicator(id, "id", "is not a series of the plan"))?;
        match &mut self.sources[i] {
            Source::Model { model, .. } => {
                *model = new;
                Ok(())
            }
            _ => Err(Error::indicator(id, "model", "is not simulated by a model")),
        }
    }

    fn probability_slots(&self) -> usize {
        self.live.len() + self.joint_members.len()
    }

    /// Runs the simulation.
    pub fn run(&self) -> Result<Attainment> {
        match self.options.threads {
            None => self.run_inner(),
            Some(t) => {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(t.max(1))
                    .build()
                    .map_err(|e| Error::parameter("threads", e.to_string()))?;
                pool.install(|| self.run_inner())
            }
        }
    }

    fn run_inner(&self) -> Result<Attainment> {
        let monitor = self.options.monitor.as_ref();
        // Checked before the first chunk too, so a run asked to stop does none.
        let stop = |done: u64| -> Result<()> {
            match monitor {
                Some(m) if m.cancelled() => Err(Error::Cancelled {
                    done,
                    unit: "paths",
                }),
                _ => Ok(()),
            }
        };
        stop(0)?;
        let n_paths = self.scenario.paths;
        let chunks = n_paths.div_ceil(CHUNK as u64);
        let size = |c: u64| (n_paths - c * CHUNK as u64).min(CHUNK as u64) as usize;
        // Chunk 0 runs first, alone: it fixes the histogram ranges.
        let mut scratch = Scratch::new(self);
        self.simulate_chunk(0, size(0), &mut scratch);
        let templates = self.templates(&scratch.block, size(0));
        let mut total = Acc::new(self, &templates);
        let mut sums = Sums::new(self);
        let mut first = Acc::new(self, &templates);
        self.tally(0, size(0), &mut scratch, &mut first);
        first.fold_into(&mut total, &mut sums);
        if let Some(m) = monitor {
            m.advance(total.paths);
        }
        // One scratch per worker, kept across waves: no allocation per wave.
        let workers = rayon::current_num_threads().max(1) as u64;
        let mut scratches: Vec<Scratch> = (0..workers).map(|_| Scratch::new(self)).collect();
        // A run to a standard error checks it every WAVE chunks, whatever the
        // thread count. A run of fixed size, whose numbers do not depend on
        // where waves end, takes up to 16 times as many per wave, so that 16
        // threads have enough chunks each to even out their finishing times;
        // but no more than keep 2^20 per-chunk sums (8 MB) until the wave ends.
        let wave_chunks = match self.scenario.target_se {
            Some(_) => WAVE,
            None => {
                let cap = ((1u64 << 20) / self.float_len().max(1) as u64).max(WAVE);
                (WAVE * workers.min(16)).min(cap)
            }
        };
        let mut next = 1;
        while next < chunks {
            if let Some(tol) = self.scenario.target_se
                && self.max_se(&total) < tol
            {
                break;
            }
            stop(total.paths)?;
            let end = next.saturating_add(wave_chunks).min(chunks);
            // Workers take the wave's chunks one at a time as they finish:
            // a slower or interrupted thread delays the wave by one chunk at
            // most. What a chunk draws depends only on its index.
            let claim = AtomicU64::new(next);
            let wave = scratches
                .par_iter_mut()
                .map(|scratch| {
                    let mut acc = Acc::new(self, &templates);
                    loop {
                        let c = claim.fetch_add(1, Ordering::Relaxed);
                        if c >= end {
                            break;
                        }
                        self.simulate_chunk(c, size(c), scratch);
                        self.tally(c, size(c), scratch, &mut acc);
                    }
                    acc
                })
                .reduce(
                    || Acc::new(self, &templates),
                    |mut a, b| {
                        a.merge(b);
                        a
                    },
                );
            if let Some(m) = monitor {
                m.advance(wave.paths);
            }
            wave.fold_into(&mut total, &mut sums);
            next = end;
        }
        Ok(self.report(total, sums))
    }

    /// Largest standard error over the target probabilities and joints.
    fn max_se(&self, acc: &Acc) -> f64 {
        (0..self.probability_slots())
            .map(|k| self.estimate(acc, k).1)
            .fold(0.0, f64::max)
    }

    /// Estimate and standard error of probability slot `k`.
    fn estimate(&self, acc: &Acc, k: usize) -> (f64, f64) {
        let n = acc.paths as f64;
        let p = acc.hits[k] as f64 / n;
        let se = match self.scenario.sampling {
            Sampling::Plain => (p * (1.0 - p) / n).sqrt(),
            // Chunks are independent replicates: batch means, as a ratio
            // estimator because the last chunk may be shorter.
            _ => {
                let m = acc.chunks as f64;
                if m < 2.0 {
                    return (p, (p * (1.0 - p) / n).sqrt());
                }
                let ss = acc.hits_sq[k] as f64 - 2.0 * p * acc.hits_n[k] as f64
                    + p * p * acc.n_sq as f64;
                (ss.max(0.0) * m / (m - 1.0)).sqrt() / n
            }
        };
        (p, se)
    }

    fn templates(&self, block: &PathBlock, size: usize) -> Templates {
        let per_year = (self.years + 1) * self.ids.len();
        if self.options.no_fan {
            return Templates {
                fan: Vec::new(),
                growth: Vec::new(),
            };
        }
        let mut fan = Vec::with_capacity(per_year);
        let mut growth = Vec::with_capacity(self.ids.len());
        let mut g = vec![0.0; size];
        for s in 0..self.ids.len() {
            for t in 0..=self.years {
                fan.push(Histogram::from_pilot(&block.at(s, t)[..size], BINS));
            }
            realised_growth(block, s, self.years, &mut g[..size]);
            growth.push(Histogram::from_pilot(&g, BINS));
        }
        Templates { fan, growth }
    }

    /// Fills `scratch.block` with chunk `c`'s `size` paths.
    fn simulate_chunk(&self, c: u64, size: usize, sc: &mut Scratch) {
        let mut rng = SimRng::seed_from_u64(stream_seed(self.scenario.seed, c));
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
        block.paths = size;
        block
            .data
            .truncate(self.ids.len() * (self.years + 1) * size);
        block
            .data
            .resize(self.ids.len() * (self.years + 1) * size, 0.0);
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
                    let begin = (s * (self.years + 1) + known.len()) * size;
                    let out = &mut block.data[begin..begin + left];
                    let zs = &z[row * stride..row * stride + left];
                    model.simulate(*start, zs, size, &mut rng, out);
                }
            }
        }
        for (t, p, factors) in &self.shocks {
            for path in 0..size {
                let hit = *p >= 1.0 || rng.random::<f64>() < *p;
                if hit {
                    for &(s, f) in factors {
                        for year in *t..=self.years {
                            block.at_mut(s, year)[path] *= f;
                        }
                    }
                }
            }
        }
        for (s, src) in self.sources.iter().enumerate() {
            match src {
                Source::Ratio { num, den, scale } => {
                    for t in 0..=self.years {
                        for p in 0..size {
                            let v = scale * block.at(*num, t)[p] / block.at(*den, t)[p];
                            block.at_mut(s, t)[p] = v;
                        }
                    }
                }
                Source::Sum(parts) => {
                    for t in 0..=self.years {
                        for p in 0..size {
                            let v: f64 = parts.iter().map(|&j| block.at(j, t)[p]).sum();
                            block.at_mut(s, t)[p] = v;
                        }
                    }
                }
                _ => {}
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
        let rows = z.chunks_exact_mut(stride).map(|row| &mut row[..per_row]);
        match self.scenario.sampling {
            Sampling::Plain => {
                let mut normals = NormalStream::new(rng);
                for row in rows {
                    normals.fill(rng, row);
                }
            }
            Sampling::Antithetic => {
                let half = size.div_ceil(2);
                let mut normals = NormalStream::new(rng);
                for run in rows.flat_map(|row| row.chunks_mut(size)) {
                    normals.fill(rng, &mut run[..half]);
                    let (a, b) = run.split_at_mut(half);
                    for (dst, src) in b.iter_mut().zip(a.iter()) {
                        *dst = -src;
                    }
                }
            }
            Sampling::LatinHypercube => {
                let normal = Normal::standard();
                for run in rows.flat_map(|row| row.chunks_mut(size)) {
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

    /// Judges the chunk's paths and adds them to `acc`.
    fn tally(&self, c: u64, size: usize, sc: &mut Scratch, acc: &mut Acc) {
        let block = &sc.block;
        let measure = &mut sc.measure[..size];
        let met = &mut sc.met[..size];
        let n_joint = self.joint_members.len();
        let f0 = acc.open_floats(c);
        let shortfall_at = if self.options.no_fan {
            0
        } else {
            self.fan_len()
        };
        // met[p] holds one bit per joint: starts all-true, cleared on a miss.
        met.iter_mut().for_each(|m| *m = u64::MAX);
        let chunk_hits = &mut sc.hits;
        let mut met_total = 0u64;
        for (k, &slot) in self.live.iter().enumerate() {
            let rule = self.slots[slot]
                .rule
                .as_ref()
                .expect("live slots have rules");
            let measure = rule.measure_view(block, measure);
            let mask = self.joint_masks[k];
            let at_least = rule.direction == Direction::AtLeast;
            let (hits, shortfall) = kernel::judge(measure, rule.threshold, at_least, mask, met);
            chunk_hits[k] = hits;
            met_total += hits;
            acc.float_data[f0 + shortfall_at + k] = shortfall;
        }
        for j in 0..n_joint {
            chunk_hits[self.live.len() + j] =
                met.iter().filter(|&&m| m & (1 << j) != 0).count() as u64;
        }
        acc.add_chunk(chunk_hits, size as u64, met_total);
        if !self.options.no_fan {
            let g = &mut sc.growth[..size];
            for s in 0..self.ids.len() {
                for t in 0..=self.years {
                    let v = block.at(s, t);
                    acc.float_data[f0 + s * (self.years + 1) + t] = kernel::sum(v);
                    acc.fan[s * (self.years + 1) + t].add_all(v);
                }
                realised_growth(block, s, self.years, g);
                acc.float_data[f0 + self.fan_len() + self.live.len() + s] = kernel::sum(g);
                acc.growth[s].add_all(g);
            }
        }
        if self.options.keep_paths {
            acc.kept.push((c, block.clone()));
        }
    }

    fn fan_len(&self) -> usize {
        self.ids.len() * (self.years + 1)
    }

    /// Per-chunk floats: fan sums, shortfall sums per live rule, growth sums.
    fn float_len(&self) -> usize {
        if self.options.no_fan {
            self.live.len()
        } else {
            self.fan_len() + self.live.len() + self.ids.len()
        }
    }

    fn report(&self, mut acc: Acc, sums: Sums) -> Attainment {
        let mut kept = std::mem::take(&mut acc.kept);
        kept.sort_by_key(|(c, _)| *c);
        let n = acc.paths;
        let prob = |k: usize| {
            let (p, se) = self.estimate(&acc, k);
            Probability::new(p, se, n)
        };
        let shortfall_at = if self.options.no_fan {
            0
        } else {
            self.fan_len()
        };
        let mut targets = Vec::with_capacity(self.slots.len());
        for (i, s) in self.slots.iter().enumerate() {
            let k = self.live.iter().position(|&l| l == i);
            let (attain, es, es_pct) = match (k, &s.rule) {
                (Some(k), Some(rule)) => {
                    let misses = n - acc.hits[k];
                    let es = (misses > 0).then(|| sums.floats[shortfall_at + k] / misses as f64);
                    let pct = es.and_then(|e| {
                        (rule.threshold != 0.0).then(|| 100.0 * e / rule.threshold.abs())
                    });
                    (Some(prob(k)), es, pct)
                }
                _ => (None, None, None),
            };
            targets.push(TargetResult {
                id: s.id.clone(),
                no: s.no,
                target_index: s.index,
                kind: s.kind.to_string(),
                binding: s.binding,
                attain,
                threshold: s.rule.as_ref().map(|r| r.threshold),
                expected_shortfall: es,
                expected_shortfall_pct: es_pct,
            });
        }
        let l = self.live.len();
        let any_binding = !self.joint_members[0].is_empty();
        let mut fan = Vec::new();
        if !self.options.no_fan {
            for (s, id) in self.ids.iter().enumerate() {
                if matches!(self.sources[s], Source::Absent) {
                    continue;
                }
                let years = (0..=self.years)
                    .map(|t| {
                        let h = &acc.fan[s * (self.years + 1) + t];
                        YearBand {
                            year: self.base_year + t as i32,
                            mean: sums.floats[s * (self.years + 1) + t] / n as f64,
                            quantiles: FAN_LEVELS.map(|q| h.quantile(q).unwrap_or(f64::NAN)),
                        }
                    })
                    .collect();
                fan.push(SeriesFan {
                    id: id.clone(),
                    years,
                    growth_mean_pct: 100.0 * sums.floats[self.fan_len() + l + s] / n as f64,
                    growth_quantiles_pct: FAN_LEVELS
                        .map(|q| 100.0 * acc.growth[s].quantile(q).unwrap_or(f64::NAN)),
                });
            }
        }
        Attainment {
            scenario: self.scenario.name.clone(),
            seed: self.scenario.seed,
            paths: n,
            targets,
            joint_binding: any_binding.then(|| prob(l)),
            joint_all: (l > 0).then(|| prob(l + 1)),
            joints: self
                .options
                .joints
                .iter()
                .enumerate()
                .map(|(j, (name, _))| (name.clone(), prob(l + 2 + j)))
                .collect(),
            expected_met: acc.met_total as f64 / n as f64,
            simulated_targets: l,
            fan,
            correlation_repair: self.repair.clone(),
            kept_paths: kept.into_iter().map(|(_, b)| b).collect(),
        }
    }
}

/// Runs `plan` under `scenario` with default options.
pub fn simulate(plan: &Plan, scenario: &Scenario) -> Result<Attainment> {
    Engine::new(plan, scenario, RunOptions::default())?.run()
}

/// Runs `plan` under several scenarios (baseline, optimistic, ...), in order.
pub fn compare(plan: &Plan, scenarios: &[Scenario]) -> Result<Vec<Attainment>> {
    scenarios.iter().map(|s| simulate(plan, s)).collect()
}

/// The fixed values of series `id` under `c`: year 0 from the actuals or the
/// plan's `base`, then every year up to the latest actual not after `as_of`,
/// gaps filled geometrically.
fn known_values(
    id: &str,
    base: Option<f64>,
    level: f64,
    c: &Conditioning,
    base_year: i32,
    years: usize,
) -> Result<Vec<f64>> {
    let Some(values) = c.values.get(id) else {
        return Ok(vec![level]);
    };
    let last = (i64::from(c.as_of) - i64::from(base_year)).clamp(0, years as i64) as usize;
    let mut points = Vec::new();
    for (t, v) in values.iter().enumerate().take(last + 1) {
        if let Some(v) = v {
            if !(v.is_finite() && *v > 0.0) {
                return Err(Error::indicator(
                    id,
                    &format!("actual {}", base_year as i64 + t as i64),
                    format!("must be > 0 to condition on, got {v}"),
                ));
            }
            points.push((t, *v));
        }
    }
    if points.first().is_none_or(|p| p.0 != 0) {
        match base {
            Some(b) => points.insert(0, (0, b)),
            // No level to anchor the actuals to: leave the series as it was.
            None => return Ok(vec![level]),
        }
    }
    let (end, _) = *points.last().expect("year 0 is always known");
    let mut known = vec![0.0; end + 1];
    for pair in points.windows(2) {
        let ((t0, v0), (t1, v1)) = (pair[0], pair[1]);
        let step = (v1 / v0).ln() / (t1 - t0) as f64;
        for (k, slot) in known[t0..t1].iter_mut().enumerate() {
            *slot = v0 * (step * k as f64).exp();
        }
    }
    known[end] = points[points.len() - 1].1;
    Ok(known)
}

/// Seed of chunk `c`'s stream: SplitMix64 finalisation of (seed, c), so
/// neighbouring chunks get unrelated streams.
pub(crate) fn stream_seed(seed: u64, c: u64) -> u64 {
    let mut z = seed ^ c.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Values per row of a chunk's shocks for `per_row` used: rounded up to whole
/// cache lines plus one, so that rows are not a multiple of 4 KiB apart. At
/// such a distance (5 years x 512 paths x 8 bytes is 20 KiB) the
/// correlation's loads from one row and stores to another falsely depend on
/// each other, and it runs half as fast.
fn row_stride(per_row: usize) -> usize {
    per_row.div_ceil(8) * 8 + 8
}

/// Average annual growth from year 0 to `years` of series `s`, per path.
fn realised_growth(block: &PathBlock, s: usize, years: usize, out: &mut [f64]) {
    kernel::annual_growth(block.at(s, 0), block.at(s, years), years as f64, out);
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
    let l = crate::correlation::lower_row_major(&full.cholesky_lower());
    kernel::LowerPanels::from_row_major(&l, rows)
}

struct Templates {
    fan: Vec<Histogram>,
    growth: Vec<Histogram>,
}

/// Per-worker buffers, allocated once per wave and worker.
struct Scratch {
    z: Vec<f64>,
    z2: Vec<f64>,
    perm: Vec<usize>,
    block: PathBlock,
    measure: Vec<f64>,
    met: Vec<u64>,
    growth: Vec<f64>,
    hits: Vec<u64>,
}

impl Scratch {
    fn new(e: &Engine) -> Self {
        let z = e.rows * row_stride(e.years * CHUNK);
        Scratch {
            z: vec![0.0; z],
            z2: if e.chol.is_some() {
                vec![0.0; z]
            } else {
                Vec::new()
            },
            perm: Vec::with_capacity(CHUNK),
            block: PathBlock::zeros(e.ids.len(), e.years + 1, CHUNK),
            measure: vec![0.0; CHUNK],
            met: vec![0; CHUNK],
            growth: vec![0.0; CHUNK],
            hits: vec![0; e.probability_slots()],
        }
    }
}

/// Order-free tallies of some chunks, plus their per-chunk float sums.
struct Acc {
    paths: u64,
    chunks: u64,
    hits: Vec<u64>,
    hits_sq: Vec<u128>,
    hits_n: Vec<u128>,
    n_sq: u128,
    met_total: u64,
    fan: Vec<Histogram>,
    growth: Vec<Histogram>,
    /// Per-chunk floats, `float_len` per chunk, in one flat buffer that
    /// grows by doubling (a few allocations a wave, not one a chunk), and
    /// the chunk each block belongs to.
    float_len: usize,
    float_chunks: Vec<u64>,
    float_data: Vec<f64>,
    kept: Vec<(u64, PathBlock)>,
}

impl Acc {
    fn new(e: &Engine, t: &Templates) -> Self {
        let k = e.probability_slots();
        Acc {
            paths: 0,
            chunks: 0,
            hits: vec![0; k],
            hits_sq: vec![0; k],
            hits_n: vec![0; k],
            n_sq: 0,
            met_total: 0,
            fan: t.fan.iter().map(Histogram::empty_like).collect(),
            growth: t.growth.iter().map(Histogram::empty_like).collect(),
            float_len: e.float_len(),
            float_chunks: Vec::new(),
            float_data: Vec::new(),
            kept: Vec::new(),
        }
    }

    /// Zeroed floats for chunk `c`; returns where they start in `float_data`.
    fn open_floats(&mut self, c: u64) -> usize {
        let at = self.float_data.len();
        self.float_chunks.push(c);
        self.float_data.resize(at + self.float_len, 0.0);
        at
    }

    fn add_chunk(&mut self, hits: &[u64], n: u64, met_total: u64) {
        self.paths += n;
        self.chunks += 1;
        self.n_sq += (n * n) as u128;
        self.met_total += met_total;
        for (k, &h) in hits.iter().enumerate() {
            self.hits[k] += h;
            self.hits_sq[k] += (h * h) as u128;
            self.hits_n[k] += (h * n) as u128;
        }
    }

    fn merge(&mut self, other: Acc) {
        self.paths += other.paths;
        self.chunks += other.chunks;
        self.n_sq += other.n_sq;
        self.met_total += other.met_total;
        for k in 0..self.hits.len() {
            self.hits[k] += other.hits[k];
            self.hits_sq[k] += other.hits_sq[k];
            self.hits_n[k] += other.hits_n[k];
        }
        for (a, b) in self.fan.iter_mut().zip(&other.fan) {
            a.merge(b);
        }
        for (a, b) in self.growth.iter_mut().zip(&other.growth) {
            a.merge(b);
        }
        self.float_chunks.extend(&other.float_chunks);
        self.float_data.extend(&other.float_data);
        self.kept.extend(other.kept);
    }

    /// Adds this wave into the running totals; floats in chunk order.
    fn fold_into(mut self, total: &mut Acc, sums: &mut Sums) {
        let mut order: Vec<usize> = (0..self.float_chunks.len()).collect();
        order.sort_by_key(|&i| self.float_chunks[i]);
        for i in order {
            let f = &self.float_data[i * self.float_len..(i + 1) * self.float_len];
            for (s, v) in sums.floats.iter_mut().zip(f) {
                *s += v;
            }
        }
        self.float_chunks.clear();
        self.float_data.clear();
        total.merge(self);
    }
}

/// Running float sums, added chunk by chunk in order.
struct Sums {
    floats: Vec<f64>,
}

impl Sums {
    fn new(e: &Engine) -> Self {
        Sums {
            floats: vec![0.0; e.float_len()],
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normals_baseline_draws_what_a_run_draws() {
        let text = r#"
            name = "three"
            base_year = 2020
            target_year = 2024
            [[indicator]]
            id = "a"
            name = "a"
            name_zh = ""
            unit = ""
            attribute = "binding"
            base = 100
            stated_growth = "5"
            target = { kind = "level", value = 120 }
            [[series]]
            id = "b"
            name = "b"
            unit = ""
            base = 10
            assumed_growth_pct = 3
            [[series]]
            id = "c"
            name = "c"
            unit = ""
            base = 1
            assumed_growth_pct = 8
        "#;
        let plan = Plan::from_toml_str(text).unwrap();
        let mut scenario = Scenario::named("x");
        // Two whole chunks and one of 3 paths, whose rows of 12 normals are not
        // whole batches of 8 words: a single fill would draw other numbers.
        scenario.paths = 1027;
        scenario.seed = 9;
        let e = Engine::new(&plan, &scenario, RunOptions::default()).unwrap();
        assert_eq!((e.rows, e.years), (3, 4));
        let mut sc = Scratch::new(&e);
        let mut total = 0.0;
        for c in 0..3u64 {
            let size = (1027 - c as usize * CHUNK).min(CHUNK);
            let mut rng = SimRng::seed_from_u64(stream_seed(9, c));
            let (per_row, stride) = (e.years * size, row_stride(e.years * size));
            let z = &mut sc.z[..e.rows * stride];
            e.draw_normals(z, stride, per_row, size, &mut rng, &mut sc.perm);
            total += z
                .chunks_exact(stride)
                .flat_map(|r| &r[..per_row])
                .sum::<f64>();
        }
        let baseline = draw_normals_baseline(1027, 3, 4, 9);
        assert!((baseline - total).abs() < 1e-9, "{baseline} vs {total}");
        assert!(draw_normals_baseline(1, usize::MAX, 2, 0).is_nan());
    }
}
