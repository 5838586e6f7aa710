//! The Monte Carlo engine: many futures of a plan under a scenario, in
//! parallel, streaming, and reproducible to the bit.
//!
//! The engine composes two pieces: the path simulator (`paths.rs`),
//! which turns the scenario into blocks of paths, and the judge
//! (`judge.rs`), which turns blocks into tallies against the plan's
//! rules. Paths are cut into fixed chunks of [`CHUNK`] paths, each drawn
//! from its own stream; integer tallies merge in any order and float sums
//! are added in chunk order. Hence the same seed gives bit-identical results
//! on 1, 2 or 16 threads.
//!
//! Memory does not grow with the number of paths: per chunk a worker keeps
//! one block of values, and across chunks only counts, sums and fixed-size
//! histograms (see `quantile.rs`, one set per run, shared by the workers),
//! unless whole paths are asked for. Nor does a worker's memory grow with
//! the plan where the chunk's numbers allow: a chunk is simulated and judged
//! in stages (`paths::Stages`), groups of model series one small block at a
//! time, then the derived series and the rules across groups from the
//! series kept for them; each rule is judged, and each series counted into
//! the fan, at the first stage that holds what it reads, so the tallies are
//! those of the whole chunk. A run whose buffers would exceed
//! [`MAX_RUN_BYTES`] is refused before they are allocated, and a wide plan
//! runs on as many workers as fit under it.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::error::{Error, Problem, Result};
use crate::monitor::Monitor;
use crate::plan::series_index::SeriesIndex;
use crate::plan::{Attribute, Plan};
use crate::simulate::attainment::{
    Attainment, FAN_LEVELS, Probability, SeriesFan, TargetResult, YearBand,
};
use crate::simulate::judge::{Acc, FAN_HISTOGRAM_BYTES, Fan, Judge, JudgeScratch, Slot, Sums};
use crate::simulate::model::{ModelSpec, Start};
pub use crate::simulate::paths::{CHUNK, MAX_CELLS};
use crate::simulate::paths::{PathScratch, PathSimulator, Source, check_cells, row_stride};
use crate::simulate::scenario::{Sampling, Scenario};
use crate::simulate::source::Source as Origin;
use crate::warning::{Warning, WarningCode};

/// Chunks per wave: the unit of parallel work between merges, and the step
/// of a run to a target standard error, fixed so that where such a run stops
/// does not depend on the number of threads. A run of fixed size takes
/// waves of up to 16 times this (its numbers do not depend on where waves
/// end), so that many threads share each wave evenly.
pub const WAVE: u64 = 64;

/// Most bytes a run's buffers may take: the fan chart's histograms (about
/// 4 KB per series-year), each worker's blocks of a chunk's values and
/// shocks (about 8 KB per series-year when whole, a group's 2 MB else), the
/// correlation's factor (24 bytes per pair of series) and kept paths (8
/// bytes per value). A run that needs more with one worker is refused with
/// [`Error::TooLarge`], its workers' blocks counted whole: only a run held
/// whole (correlated, or keeping paths) can need that much under
/// [`MAX_CELLS`]. A run that fits takes as many workers as fit (results do
/// not depend on their number).
pub const MAX_RUN_BYTES: u64 = 2 << 30;

/// Estimated bytes of a run's buffers: those shared by its workers, and
/// those of each worker.
fn run_bytes(
    series: usize,
    years: usize,
    targets: usize,
    correlated: bool,
    options: &RunOptions,
    paths: u64,
) -> (u64, u64) {
    let cells = series.saturating_mul(years + 1) as u64;
    let fan = if options.fan {
        (cells + series as u64).saturating_mul(FAN_HISTOGRAM_BYTES as u64)
    } else {
        0
    };
    // Per-chunk sums held until a wave ends: up to 2^20 of them (8 MB), or
    // WAVE chunks' when one chunk's exceed that (a run to a standard error;
    // one of fixed size holds two chunks' a worker then).
    let len = cells + series as u64 + targets as u64 + 2;
    let floats = (8u64 << 20).max(len.saturating_mul(8 * WAVE));
    // The matrix, its factor and the factor's panels.
    let correlation = if correlated {
        (series as u64).pow(2).saturating_mul(24)
    } else {
        0
    };
    let block = cells.saturating_mul(8 * CHUNK as u64);
    let kept = if options.keep_paths {
        paths.div_ceil(CHUNK as u64).saturating_mul(block)
    } else {
        0
    };
    let shared = fan
        .saturating_add(floats)
        .saturating_add(correlation)
        .saturating_add(kept);
    // Whole blocks: what a refused run (correlated, or keeping paths) takes;
    // in groups a worker takes far less (see `PathSimulator::scratch_bytes`).
    let z = (series as u64)
        .saturating_mul(row_stride(years.saturating_mul(CHUNK)) as u64)
        .saturating_mul(if correlated { 16 } else { 8 });
    (shared, z.saturating_add(block))
}

/// Settings of a run that are not part of the scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// Threads to use; `None` uses rayon's global pool.
    pub threads: Option<usize>,
    /// Keep every simulated path (memory grows with the paths).
    pub keep_paths: bool,
    /// Compute fan-chart quantiles and realised-growth summaries (the
    /// default); a run without them is about twice as fast.
    pub fan: bool,
    /// Extra joint probabilities, each of targets that must all be met.
    pub joints: Vec<Joint>,
    /// Actuals to condition on (a mid-term review); `None` simulates the
    /// whole plan from its base.
    pub conditioning: Option<Conditioning>,
    /// Progress counter and stop flag shared with the caller (a progress bar,
    /// a Ctrl-C handler); `None` runs to the end unobserved.
    pub monitor: Option<Monitor>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: None,
            keep_paths: false,
            fan: true,
            joints: Vec::new(),
            conditioning: None,
            monitor: None,
        }
    }
}

/// A named joint probability: the targets that must all be met.
#[derive(Debug, Clone, PartialEq)]
pub struct Joint {
    /// Name the result reports it under.
    pub name: String,
    /// The targets, each of an indicator.
    pub members: Vec<TargetRef>,
}

/// One target of one indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRef {
    /// Indicator id.
    pub id: String,
    /// Which of its targets (0 = the main one).
    pub index: usize,
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

/// A plan and a scenario compiled for simulation.
#[derive(Debug, Clone)]
pub struct Engine {
    scenario: Scenario,
    options: RunOptions,
    base_year: i32,
    sim: PathSimulator,
    judge: Judge,
    repair: Option<String>,
    /// What is doubtful before a path is drawn (see [`Attainment::warnings`]).
    warnings: Vec<Warning>,
    /// Most workers whose buffers fit under [`MAX_RUN_BYTES`].
    max_workers: usize,
    /// Estimated bytes of the buffers the workers share.
    shared: u64,
}

/// Most workers whose buffers fit under [`MAX_RUN_BYTES`] besides the
/// `shared` ones (one at least: a run that does not fit is refused first).
fn workers_that_fit(shared: u64, sim: &PathSimulator) -> usize {
    let worker = sim.scratch_bytes() as u64;
    usize::try_from(MAX_RUN_BYTES.saturating_sub(shared) / worker.max(1))
        .unwrap_or(usize::MAX)
        .max(1)
}

/// How a chunk uses the fan chart's histograms.
enum FanUse<'a> {
    /// The first chunk's values set their ranges, then count.
    Pilot(&'a mut Fan),
    /// Counted into, shared with the other workers.
    Count(&'a Fan),
}

/// Per-worker buffers, allocated once per run and worker.
struct Scratch {
    paths: PathScratch,
    judge: JudgeScratch,
}

impl Engine {
    /// Compiles `plan` under `scenario`; every reference is checked here, so a
    /// run cannot fail half-way.
    pub fn new(plan: &Plan, scenario: &Scenario, options: RunOptions) -> Result<Self> {
        plan.validate()?;
        scenario.validate(plan)?;
        let years = plan.horizon()?;
        let index = plan.index();
        let ids = index.ids().to_vec();
        // Before the sources: their known values take a slot per year.
        check_cells(ids.len(), years)?;
        let targets = plan.indicators.iter().map(|i| i.targets().count()).sum();
        let correlated = scenario.correlation.is_some();
        let (shared, worker) = run_bytes(
            ids.len(),
            years,
            targets,
            correlated,
            &options,
            scenario.paths,
        );
        let needed = shared.saturating_add(worker);
        if needed > MAX_RUN_BYTES {
            let mut hint = String::from("simulate fewer indicators or plan years");
            if correlated {
                hint.push_str(
                    ", or correlate fewer series (the correlation holds a matrix of every pair)",
                );
            }
            if options.keep_paths {
                hint.push_str(", or keep fewer paths");
            }
            return Err(Error::TooLarge {
                what: format!(
                    "the simulation of {} series over {years} plan years{}{}",
                    ids.len(),
                    if correlated { ", correlated" } else { "" },
                    if options.keep_paths {
                        format!(", keeping {} paths", scenario.paths)
                    } else {
                        String::new()
                    }
                ),
                needed,
                limit: MAX_RUN_BYTES,
                hint,
            });
        }
        let sources = plan_sources(plan, &index, scenario, options.conditioning.as_ref())?;
        let (mut sim, repair) = PathSimulator::new(scenario, plan.base_year, years, ids, sources)?;
        let slots = plan_slots(plan, &index, &sim)?;
        let mut warnings = scenario.warnings.clone();
        if scenario.source == Origin::PlanOnly && scenario.models.is_empty() {
            warnings.push(Warning::general(
                WarningCode::PlanOnlyBaseline,
                "no scenario and no history: every series follows the plan-consistent baseline \
                 (the stated rate, the reference class's spread), not a forecast; give \
                 --history FILE or --scenario FILE for probabilities that rest on data",
            ));
        }
        warnings.extend(crate::plan::consistency::plan_warnings(plan));
        warnings.extend(not_simulated(plan, &index, scenario, &sim, &slots));
        if let Some(r) = &repair {
            warnings.push(Warning::general(
                WarningCode::CorrelationRepaired,
                format!("the correlation matrix was repaired: {r}"),
            ));
        }
        let joints = joint_slots(&options.joints, &slots)?;
        let mut judge = Judge::new(
            slots,
            joints,
            sim.ids().len(),
            years,
            options.fan,
            options.keep_paths,
        )?;
        // Kept paths are whole blocks; else groups where they draw the same.
        sim.plan_stages(&judge.reads(), options.keep_paths);
        judge.set_stages(sim.stages());
        let max_workers = workers_that_fit(shared, &sim);
        Ok(Engine {
            scenario: scenario.clone(),
            options,
            base_year: plan.base_year,
            sim,
            judge,
            repair,
            warnings,
            max_workers,
            shared,
        })
    }

    /// The model of series `id` after compilation (explicit or default).
    pub fn model(&self, id: &str) -> Option<(&ModelSpec, Start)> {
        self.sim.model(id)
    }

    /// Replaces the model of series `id` (goal seek uses this with common
    /// random numbers: the same seed, one parameter moved).
    pub fn set_model(&mut self, id: &str, new: ModelSpec) -> Result<()> {
        self.sim.set_model(id, new)?;
        // A model that draws from the chunk's stream may end the groups.
        let before = self.sim.stages().clone();
        self.sim
            .plan_stages(&self.judge.reads(), self.options.keep_paths);
        if *self.sim.stages() != before {
            self.judge.set_stages(self.sim.stages());
            self.max_workers = workers_that_fit(self.shared, &self.sim);
        }
        Ok(())
    }

    fn scratch(&self) -> Scratch {
        Scratch {
            paths: self.sim.scratch(),
            judge: self.judge.scratch(CHUNK),
        }
    }

    /// Simulates chunk `c` and judges it into `acc` and `fan`, stage by
    /// stage; the first chunk (`pilot`) sets the fan's ranges first.
    fn chunk(&self, c: u64, size: usize, sc: &mut Scratch, acc: &mut Acc, fan: FanUse<'_>) {
        self.sim.begin_chunk(c, size, &mut sc.paths);
        self.judge.open(c, size, &mut sc.judge, acc);
        let mut fan = fan;
        for stage in 0..self.judge.stage_count() {
            let block = self.sim.simulate_stage(stage, &mut sc.paths);
            let shared: &Fan = match &mut fan {
                FanUse::Pilot(f) => {
                    self.judge.pilot(stage, block, size, f);
                    f
                }
                FanUse::Count(f) => f,
            };
            self.judge
                .tally_stage(stage, c, size, block, &mut sc.judge, acc, shared);
        }
        self.judge
            .close(c, size, &sc.paths.block, &mut sc.judge, acc);
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
        let mut scratch = self.scratch();
        let mut fan = Fan::placeholders(&self.judge);
        let mut total = Acc::new(&self.judge);
        let mut sums = Sums::new(&self.judge);
        let mut first = Acc::new(&self.judge);
        self.chunk(
            0,
            size(0),
            &mut scratch,
            &mut first,
            FanUse::Pilot(&mut fan),
        );
        first.fold_into(&mut total, &mut sums);
        if let Some(m) = monitor {
            m.advance(total.paths);
        }
        // One scratch per worker, kept across waves: no allocation per wave.
        // The first chunk's is the first worker's; a wide plan takes fewer
        // workers than threads, so that their blocks fit.
        let workers = rayon::current_num_threads().clamp(1, self.max_workers) as u64;
        let mut scratches: Vec<Scratch> = std::iter::once(scratch)
            .chain((1..workers).map(|_| self.scratch()))
            .collect();
        // A run to a standard error checks it every WAVE chunks, whatever the
        // thread count. A run of fixed size, whose numbers do not depend on
        // where waves end, takes up to 16 times as many per wave, so that 16
        // threads have enough chunks each to even out their finishing times;
        // but no more than keep 2^20 per-chunk sums (8 MB) until the wave
        // ends, or two chunks a worker when one chunk's exceed 2^19 (a wide
        // plan's chunk takes long enough that a wave of a few costs nothing).
        let wave_chunks = match self.scenario.target_se {
            Some(_) => WAVE,
            None => {
                let cap = ((1u64 << 20) / self.judge.layout.len().max(1) as u64).max(2 * workers);
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
                    let mut acc = Acc::new(&self.judge);
                    loop {
                        // A stop ends the wave at the next chunk, not its
                        // end: a wave of slow paths would take seconds.
                        if monitor.is_some_and(Monitor::cancelled) {
                            break;
                        }
                        let c = claim.fetch_add(1, Ordering::Relaxed);
                        if c >= end {
                            break;
                        }
                        self.chunk(c, size(c), scratch, &mut acc, FanUse::Count(&fan));
                    }
                    acc
                })
                .reduce(
                    || Acc::new(&self.judge),
                    |mut a, b| {
                        a.merge(b);
                        a
                    },
                );
            // A wave cut short by a stop is incomplete: no result from it.
            stop(total.paths + wave.paths)?;
            if let Some(m) = monitor {
                m.advance(wave.paths);
            }
            wave.fold_into(&mut total, &mut sums);
            next = end;
        }
        drop(scratches);
        Ok(self.report(total, sums, fan))
    }

    /// Largest standard error over the target probabilities and joints.
    fn max_se(&self, acc: &Acc) -> f64 {
        (0..self.judge.probability_slots())
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

    fn report(&self, mut acc: Acc, sums: Sums, fan: Fan) -> Attainment {
        let (fan_hist, growth_hist) = fan.into_inner();
        let mut kept = std::mem::take(&mut acc.kept);
        kept.sort_by_key(|(c, _)| *c);
        let n = acc.paths;
        let prob = |k: usize| {
            let (p, se) = self.estimate(&acc, k);
            Probability::new(p, se, n)
        };
        let (judge, layout) = (&self.judge, &self.judge.layout);
        let mut targets = Vec::with_capacity(judge.slots.len());
        for (i, s) in judge.slots.iter().enumerate() {
            let k = judge.live.iter().position(|&l| l == i);
            let (attain, es, es_pct) = match (k, &s.rule) {
                (Some(k), Some(rule)) => {
                    let misses = n - acc.hits[k];
                    let es = (misses > 0).then(|| sums.floats[layout.shortfall(k)] / misses as f64);
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
        let l = judge.live.len();
        let any_binding = !judge.joint_members[0].is_empty();
        let mut fan = Vec::new();
        if self.options.fan {
            for (s, id) in self.sim.ids().iter().enumerate() {
                if !self.sim.is_simulated(s) {
                    continue;
                }
                let years = (0..=self.sim.years())
                    .map(|t| {
                        let h = &fan_hist[layout.fan_sum(s, t)];
                        YearBand {
                            year: self.base_year + t as i32,
                            mean: sums.floats[layout.fan_sum(s, t)] / n as f64,
                            quantiles: FAN_LEVELS.map(|q| h.quantile(q).unwrap_or(f64::NAN)),
                        }
                    })
                    .collect();
                fan.push(SeriesFan {
                    id: id.clone(),
                    years,
                    growth_mean_pct: 100.0 * sums.floats[layout.growth(s)] / n as f64,
                    growth_quantiles_pct: FAN_LEVELS
                        .map(|q| 100.0 * growth_hist[s].quantile(q).unwrap_or(f64::NAN)),
                });
            }
        }
        let mut warnings = self.warnings.clone();
        if let Some(tol) = self.scenario.target_se {
            let reached = self.max_se(&acc);
            if reached >= tol {
                warnings.push(Warning::general(
                    WarningCode::UnmetPrecision,
                    format!(
                        "standard error {reached:.2e} reached with {n} paths (the cap), not the \
                         {tol} asked: raise --paths"
                    ),
                ));
            }
        }
        Attainment {
            scenario: self.scenario.name.clone(),
            source: self.scenario.source.clone(),
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
                .map(|(j, joint)| (joint.name.clone(), prob(l + 2 + j)))
                .collect(),
            expected_met: acc.met_total as f64 / n as f64,
            simulated_targets: l,
            fan,
            correlation_repair: self.repair.clone(),
            warnings,
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

/// Where each series of `plan` comes from under `scenario`: a ratio or
/// aggregate row from its parts (unless the scenario models it), else the
/// scenario's model or the default one, from the plan's base, the scenario's
/// start or the actuals of `conditioning`.
fn plan_sources(
    plan: &Plan,
    index: &SeriesIndex,
    scenario: &Scenario,
    conditioning: Option<&Conditioning>,
) -> Result<Vec<Source>> {
    let years = plan.horizon()?;
    let mut sources = Vec::with_capacity(index.ids().len());
    for (i, id) in index.ids().iter().enumerate() {
        let target = plan.indicators.get(i).map(|d| &d.target);
        let model = match scenario.models.get(id) {
            Some(m) => Some(m.clone()),
            None => {
                if let Some(d) = target.and_then(|t| t.derivation(id)) {
                    let parts = d
                        .parts
                        .iter()
                        .map(|p| index.position(p).unwrap_or(usize::MAX))
                        .collect();
                    sources.push(Source::Derived {
                        parts,
                        combine: d.combine,
                    });
                    continue;
                }
                scenario.default_model(plan, i)?
            }
        };
        let Some(model) = model else {
            sources.push(Source::Absent);
            continue;
        };
        let level_free = target.is_some_and(|t| t.is_level_free());
        let base = plan
            .series_base(i)
            .or_else(|| scenario.starts.get(id).copied());
        let Some(level) = base.or((level_free || model.is_flow()).then_some(1.0)) else {
            return Err(Error::indicator(
                id,
                "start",
                "is needed: the plan gives no base and the scenario no start for its model",
            ));
        };
        let known = match conditioning {
            Some(c) => known_values(id, base, level, c, plan.base_year, years)?,
            None => vec![level],
        };
        sources.push(Source::model(id, model, known, years)?);
    }
    Ok(sources)
}

/// Every target of `plan`, resolved; a rule that reads a series `sim` does
/// not simulate is left out (its probability is not reported).
fn plan_slots(plan: &Plan, index: &SeriesIndex, sim: &PathSimulator) -> Result<Vec<Slot>> {
    let mut slots = Vec::new();
    for ind in &plan.indicators {
        for (k, t) in ind.targets().enumerate() {
            let rule = t.rule(&ind.id, index)?;
            let ok = rule.series().iter().all(|&s| sim.is_simulated(s));
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
    Ok(slots)
}

/// A warning for every target left unsimulated, with the reason: the first
/// series its rule reads that is not simulated, followed through ratio and
/// aggregate rows to one that has no model.
fn not_simulated(
    plan: &Plan,
    index: &SeriesIndex,
    scenario: &Scenario,
    sim: &PathSimulator,
    slots: &[Slot],
) -> Vec<Warning> {
    let mut out = Vec::new();
    for ind in &plan.indicators {
        for (k, t) in ind.targets().enumerate() {
            let slot = slots.iter().find(|s| s.id == ind.id && s.index == k);
            if slot.is_none_or(|s| s.rule.is_some()) {
                continue;
            }
            let Ok(rule) = t.rule(&ind.id, index) else {
                continue;
            };
            let Some(mut s) = rule
                .series()
                .iter()
                .copied()
                .find(|&s| !sim.is_simulated(s))
            else {
                continue;
            };
            // Through derived rows to the series without a model (no cycles:
            // the plan is validated; the bound is a guard).
            let mut via = Vec::new();
            for _ in 0..index.ids().len() {
                let id = &index.ids()[s];
                let Some(d) = plan.indicator(id).and_then(|i| i.target.derivation(id)) else {
                    break;
                };
                let Some(p) = d
                    .parts
                    .iter()
                    .filter_map(|p| index.position(p))
                    .find(|&p| !sim.is_simulated(p))
                else {
                    break;
                };
                via.push(id.clone());
                s = p;
            }
            let id = &index.ids()[s];
            // A flow model needs no start, nor does a growth target.
            let needs_level = plan
                .indicator(id)
                .is_none_or(|i| !(i.target.is_flow() || i.target.is_level_free()));
            let has_start =
                plan.series_base(s).is_some() || scenario.starts.contains_key(id) || !needs_level;
            let why = if has_start {
                "has no model: the plan states no growth for it and its target implies none"
            } else {
                "has no model and no start: the plan gives it no base and no growth"
            };
            let through = if via.is_empty() {
                String::new()
            } else {
                format!(" (through {})", via.join(", "))
            };
            out.push(Warning::about(
                WarningCode::NotSimulated,
                &ind.id,
                format!(
                    "target {k} ({}) is not simulated: series \"{id}\"{through} {why}; give it a \
                     model{} in a scenario",
                    t.kind(),
                    if has_start { "" } else { " and a start" }
                ),
            ));
        }
    }
    out
}

/// The slot indices of each custom joint; errors name a target the plan does
/// not have or the scenario does not simulate.
fn joint_slots(joints: &[Joint], slots: &[Slot]) -> Result<Vec<Vec<usize>>> {
    let mut out = Vec::with_capacity(joints.len());
    for Joint { name, members } in joints {
        let mut m = Vec::with_capacity(members.len());
        for TargetRef { id, index: k } in members {
            let missing = |why: &str| {
                Error::parameter(
                    "joints",
                    format!("\"{name}\" names target {k} of \"{id}\", which {why}"),
                )
            };
            let pos = slots
                .iter()
                .position(|s| &s.id == id && s.index == *k)
                .ok_or_else(|| missing("the plan does not have"))?;
            if slots[pos].rule.is_none() {
                return Err(missing("the scenario does not simulate"));
            }
            m.push(pos);
        }
        out.push(m);
    }
    Ok(out)
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
            // Zero is a count (no firms attracted that year); below is not.
            if !(v.is_finite() && *v >= 0.0) {
                return Err(Error::indicator(
                    id,
                    &format!("actual {}", base_year as i64 + t as i64),
                    Problem::out_of_range(v, ">= 0 to condition on"),
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
        let span = (t1 - t0) as f64;
        for (k, slot) in known[t0..t1].iter_mut().enumerate() {
            let k = k as f64;
            // Geometric between positive values, linear from or to a zero.
            *slot = if v0 > 0.0 && v1 > 0.0 {
                v0 * ((v1 / v0).ln() / span * k).exp()
            } else {
                v0 + (v1 - v0) * k / span
            };
        }
    }
    known[end] = points[points.len() - 1].1;
    Ok(known)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` level targets over 5 years.
    fn wide(n: usize) -> Plan {
        let mut text = String::from("name = \"wide\"\nbase_year = 2020\ntarget_year = 2025\n");
        for i in 0..n {
            text.push_str(&format!(
                "[[indicator]]\nid = \"s{i}\"\nname = \"S\"\nunit = \"u\"\n\
                 attribute = \"expected\"\nbase = 100\nstated_growth = \"5\"\n\
                 target = {{ kind = \"level\", value = 125 }}\n"
            ));
        }
        Plan::from_toml_str(&text).unwrap()
    }

    #[test]
    fn a_wide_plan_is_simulated_in_groups_whose_buffers_do_not_grow_with_it() {
        let plan = wide(1000);
        let mut s = Scenario::named("x");
        s.paths = 1000;
        let e = Engine::new(&plan, &s, RunOptions::default()).unwrap();
        let stages = e.sim.stages();
        // 42 series of 6 year indices a group: 24 groups, and no series kept
        // for a last stage (each level target reads its own series).
        assert!(!stages.whole);
        assert_eq!(stages.members.len(), 25);
        assert_eq!(stages.members[0], (0..42).collect::<Vec<_>>());
        assert!(stages.members[24].is_empty());
        // A group's block of 512 paths and its normals.
        let group = 42 * 6 * CHUNK * 8 + 42 * (5 * CHUNK + 8) * 8;
        assert_eq!(e.sim.scratch_bytes(), group);
        // Kept paths are whole blocks: a worker holds every series.
        let keep = RunOptions {
            keep_paths: true,
            ..RunOptions::default()
        };
        let e = Engine::new(&plan, &s, keep).unwrap();
        assert!(e.sim.stages().whole);
        let whole = 1000 * 6 * CHUNK * 8 + 1000 * (5 * CHUNK + 8) * 8;
        assert_eq!(e.sim.scratch_bytes(), whole);
        assert_eq!(
            run_bytes(1000, 5, 1000, false, &RunOptions::default(), 1).1,
            whole as u64
        );
    }
}
