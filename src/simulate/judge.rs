//! The judge: compiled rules in, tallies out. It reads blocks of paths from
//! [`crate::simulate::paths`] and counts, per rule and per joint, the paths that meet
//! them, with shortfall sums and (when asked) the fan chart's histograms.
//!
//! Integer tallies merge in any order; floating-point sums are kept per
//! chunk and added in chunk order, so the totals do not depend on which
//! thread judged which chunk. The fan chart's histograms (integer counts)
//! exist once per run, shared by the workers, each behind its own lock: a
//! copy per worker would multiply the largest part of a wide plan's memory.
//! A chunk comes in stages (see [`Stages`]): each rule is judged at the
//! first stage whose block holds every series it reads, each series counted
//! into the fan at the first that holds it, and a path's joints are read
//! once all are done, so the tallies do not depend on the stages.

use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::plan::path_block::PathBlock;
use crate::plan::rule::Rule;
use crate::plan::target::Direction;
use crate::simulate::kernel;
use crate::simulate::paths::Stages;
use crate::simulate::quantile::Histogram;

/// Bins of the fan-chart and growth histograms.
const BINS: usize = 1024;

/// A target resolved for the judge.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    /// Indicator id.
    pub(crate) id: String,
    /// Row number in the plan table.
    pub(crate) no: Option<u32>,
    /// Which target of the indicator.
    pub(crate) index: usize,
    /// Target kind.
    pub(crate) kind: &'static str,
    /// Whether the indicator is binding.
    pub(crate) binding: bool,
    /// The rule, when every series it reads is simulated.
    pub(crate) rule: Option<Rule>,
}

/// Where each per-chunk float lies: fan sums (one per series-year), then a
/// shortfall sum per live rule, then a realised-growth sum per series; the
/// fan and growth parts are empty without a fan chart.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FloatLayout {
    fan: usize,
    live: usize,
    growth: usize,
    years: usize,
}

impl FloatLayout {
    fn new(series: usize, years: usize, live: usize, fan: bool) -> Self {
        FloatLayout {
            fan: if fan { series * (years + 1) } else { 0 },
            live,
            growth: if fan { series } else { 0 },
            years,
        }
    }

    /// Sum of series `s` in year index `t`.
    pub(crate) fn fan_sum(&self, s: usize, t: usize) -> usize {
        s * (self.years + 1) + t
    }

    /// Shortfall sum of live rule `k`.
    pub(crate) fn shortfall(&self, k: usize) -> usize {
        self.fan + k
    }

    /// Realised-growth sum of series `s`.
    pub(crate) fn growth(&self, s: usize) -> usize {
        self.fan + self.live + s
    }

    /// Floats per chunk.
    pub(crate) fn len(&self) -> usize {
        self.fan + self.live + self.growth
    }
}

/// Compiled rules and joints, judging blocks of paths into tallies.
#[derive(Debug, Clone)]
pub(crate) struct Judge {
    pub(crate) slots: Vec<Slot>,
    /// Probability slots: the evaluable rules, then binding, all, custom joints.
    pub(crate) live: Vec<usize>,
    pub(crate) joint_members: Vec<Vec<usize>>,
    /// For each live rule, the bits of the joints it belongs to.
    joint_masks: Vec<u64>,
    fan: bool,
    keep_paths: bool,
    series: usize,
    years: usize,
    pub(crate) layout: FloatLayout,
    /// What is judged at each stage of a chunk (see [`Stages`]).
    stages: Vec<JudgeStage>,
}

/// What the judge reads off one stage's block.
#[derive(Debug, Clone)]
struct JudgeStage {
    /// Live rules judged here, by live index, reading the block's indices.
    rules: Vec<(usize, Rule)>,
    /// Series whose fan is counted here: the series, its index in the block.
    fan: Vec<(usize, usize)>,
}

/// The fan chart's histograms of a run (one per series-year, and one of
/// realised growth per series), ranges fixed by its first chunk, shared by
/// every worker.
pub(crate) struct Fan {
    pub(crate) fan: Vec<Mutex<Histogram>>,
    pub(crate) growth: Vec<Mutex<Histogram>>,
}

impl Fan {
    /// Histograms to be replaced by [`Judge::pilot`] (none without a fan
    /// chart): one bin each, so that a series never simulated costs little.
    pub(crate) fn placeholders(judge: &Judge) -> Fan {
        let n = |k: usize| if judge.fan { k } else { 0 };
        let empty = || Mutex::new(Histogram::with_range(0.0, 1.0, 1));
        Fan {
            fan: (0..n(judge.series * (judge.years + 1)))
                .map(|_| empty())
                .collect(),
            growth: (0..n(judge.series)).map(|_| empty()).collect(),
        }
    }

    /// The counts, once every worker is done.
    pub(crate) fn into_inner(self) -> (Vec<Histogram>, Vec<Histogram>) {
        let take = |v: Vec<Mutex<Histogram>>| {
            v.into_iter()
                .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
                .collect()
        };
        (take(self.fan), take(self.growth))
    }
}

/// Bytes of one fan histogram of [`BINS`] bins (its tails aside).
pub(crate) const FAN_HISTOGRAM_BYTES: usize =
    BINS * std::mem::size_of::<u32>() + std::mem::size_of::<Mutex<Histogram>>();

// A histogram's bins count in 32 bits: no run may count more values than that.
const _: () = assert!(crate::simulate::scenario::MAX_PATHS < u32::MAX as u64);

/// Per-worker buffers of the judge, allocated once.
pub(crate) struct JudgeScratch {
    measure: Vec<f64>,
    met: Vec<u64>,
    growth: Vec<f64>,
    hits: Vec<u64>,
    /// The chunk's targets met, over its stages so far.
    met_total: u64,
    /// Where the chunk's floats start in its tallies.
    f0: usize,
}

impl Judge {
    /// A judge of `slots` over blocks of `series` series and `years` plan
    /// years; `joints` lists the custom joints' slot indices (at most 62:
    /// each joint is a bit of a word, after the binding and all joints).
    pub(crate) fn new(
        slots: Vec<Slot>,
        joints: Vec<Vec<usize>>,
        series: usize,
        years: usize,
        fan: bool,
        keep_paths: bool,
    ) -> Result<Self> {
        if joints.len() > 62 {
            return Err(Error::parameter(
                "joints",
                format!("at most 62 custom joints, got {}", joints.len()),
            ));
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
        joint_members.extend(joints);
        let joint_masks = live
            .iter()
            .map(|slot| {
                joint_members
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.contains(slot))
                    .fold(0, |mask, (j, _)| mask | (1 << j))
            })
            .collect();
        let layout = FloatLayout::new(series, years, live.len(), fan);
        let mut judge = Judge {
            slots,
            live,
            joint_members,
            joint_masks,
            fan,
            keep_paths,
            series,
            years,
            layout,
            stages: Vec::new(),
        };
        judge.set_stages(&Stages {
            members: vec![(0..series).collect()],
            whole: true,
        });
        Ok(judge)
    }

    /// The series each live rule reads, in live order.
    pub(crate) fn reads(&self) -> Vec<Vec<usize>> {
        self.live
            .iter()
            .filter_map(|&i| self.slots[i].rule.as_ref().map(Rule::series))
            .collect()
    }

    /// Judges chunks laid out in `stages`: each rule at the first stage
    /// whose block holds every series it reads, each series' fan at the
    /// first that holds it.
    pub(crate) fn set_stages(&mut self, stages: &Stages) {
        let mut fanned = vec![false; self.series];
        let mut out = Vec::with_capacity(stages.members.len());
        let mut local = vec![usize::MAX; self.series];
        let mut pending: Vec<usize> = (0..self.live.len()).collect();
        for members in &stages.members {
            local.fill(usize::MAX);
            for (i, &s) in members.iter().enumerate() {
                local[s] = i;
            }
            let mut rules = Vec::new();
            pending.retain(|&k| {
                let Some(rule) = self.slots[self.live[k]].rule.as_ref() else {
                    return false;
                };
                let here = rule
                    .series()
                    .iter()
                    .all(|&s| local.get(s).is_some_and(|&l| l != usize::MAX));
                if here {
                    rules.push((k, rule.with_series(|s| local[s])));
                }
                !here
            });
            let mut fan = Vec::new();
            if self.fan {
                for (i, &s) in members.iter().enumerate() {
                    if !fanned[s] {
                        fanned[s] = true;
                        fan.push((s, i));
                    }
                }
            }
            out.push(JudgeStage { rules, fan });
        }
        self.stages = out;
    }

    /// Probability slots: live rules, then joints.
    pub(crate) fn probability_slots(&self) -> usize {
        self.live.len() + self.joint_members.len()
    }

    /// Buffers for one worker.
    pub(crate) fn scratch(&self, chunk: usize) -> JudgeScratch {
        JudgeScratch {
            measure: vec![0.0; chunk],
            met: vec![0; chunk],
            growth: vec![0.0; chunk],
            hits: vec![0; self.probability_slots()],
            met_total: 0,
            f0: 0,
        }
    }

    /// Sets the ranges of the fan chart's histograms of the series counted
    /// at stage `stage` from the first chunk's `size` paths in its `block`.
    pub(crate) fn pilot(&self, stage: usize, block: &PathBlock, size: usize, fan: &mut Fan) {
        let mut g = vec![0.0; size];
        for &(s, i) in &self.stages[stage].fan {
            for t in 0..=self.years {
                let h = Histogram::from_pilot(&block.at(i, t)[..size], BINS);
                *fan.fan[self.layout.fan_sum(s, t)]
                    .get_mut()
                    .unwrap_or_else(|e| e.into_inner()) = h;
            }
            realised_growth(block, i, self.years, &mut g);
            *fan.growth[s].get_mut().unwrap_or_else(|e| e.into_inner()) =
                Histogram::from_pilot(&g, BINS);
        }
    }

    /// Number of stages a chunk is judged in.
    pub(crate) fn stage_count(&self) -> usize {
        self.stages.len()
    }

    /// Starts judging chunk `c` into `acc`.
    pub(crate) fn open(&self, c: u64, size: usize, sc: &mut JudgeScratch, acc: &mut Acc) {
        sc.f0 = acc.open_floats(c);
        // met[p] holds one bit per joint: starts all-true, cleared on a miss.
        sc.met[..size].iter_mut().for_each(|m| *m = u64::MAX);
        sc.met_total = 0;
        sc.hits.fill(0);
    }

    /// Judges stage `stage` of chunk `c`'s `size` paths in `block` into
    /// `acc` and the fan chart's histograms `hist`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn tally_stage(
        &self,
        stage: usize,
        c: u64,
        size: usize,
        block: &PathBlock,
        sc: &mut JudgeScratch,
        acc: &mut Acc,
        hist: &Fan,
    ) {
        let JudgeStage { rules, fan } = &self.stages[stage];
        let measure = &mut sc.measure[..size];
        let met = &mut sc.met[..size];
        let f0 = sc.f0;
        for (k, rule) in rules {
            let measure = rule.measure_view(block, measure);
            let mask = self.joint_masks[*k];
            let at_least = rule.direction == Direction::AtLeast;
            let (hits, shortfall) = kernel::judge(measure, rule.threshold, at_least, mask, met);
            sc.hits[*k] = hits;
            sc.met_total += hits;
            acc.float_data[f0 + self.layout.shortfall(*k)] = shortfall;
        }
        if fan.is_empty() {
            return;
        }
        let g = &mut sc.growth[..size];
        // Workers start at different series, so that they seldom wait for
        // the same histogram; counts add in any order.
        let first = (c as usize).wrapping_mul(97) % fan.len();
        for &(s, i) in fan[first..].iter().chain(&fan[..first]) {
            for t in 0..=self.years {
                let v = block.at(i, t);
                let at = self.layout.fan_sum(s, t);
                acc.float_data[f0 + at] = kernel::sum(v);
                hist.fan[at]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .add_all(v);
            }
            realised_growth(block, i, self.years, g);
            acc.float_data[f0 + self.layout.growth(s)] = kernel::sum(g);
            hist.growth[s]
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .add_all(g);
        }
    }

    /// Ends chunk `c` of `size` paths: its joints and counts into `acc`,
    /// and `block` (the whole chunk) when paths are kept.
    pub(crate) fn close(
        &self,
        c: u64,
        size: usize,
        block: &PathBlock,
        sc: &mut JudgeScratch,
        acc: &mut Acc,
    ) {
        let met = &sc.met[..size];
        for j in 0..self.joint_members.len() {
            sc.hits[self.live.len() + j] =
                met.iter().filter(|&&m| m & (1 << j) != 0).count() as u64;
        }
        acc.add_chunk(&sc.hits, size as u64, sc.met_total);
        if self.keep_paths {
            acc.kept.push((c, block.clone()));
        }
    }
}

/// Average annual growth from year 0 to `years` of series `s`, per path.
fn realised_growth(block: &PathBlock, s: usize, years: usize, out: &mut [f64]) {
    kernel::annual_growth(block.at(s, 0), block.at(s, years), years as f64, out);
}

/// Order-free tallies of some chunks, plus their per-chunk float sums.
pub(crate) struct Acc {
    pub(crate) paths: u64,
    pub(crate) chunks: u64,
    pub(crate) hits: Vec<u64>,
    pub(crate) hits_sq: Vec<u128>,
    pub(crate) hits_n: Vec<u128>,
    pub(crate) n_sq: u128,
    pub(crate) met_total: u64,
    /// Per-chunk floats, `float_len` per chunk, in one flat buffer that
    /// grows by doubling (a few allocations a wave, not one a chunk), and
    /// the chunk each block belongs to.
    float_len: usize,
    float_chunks: Vec<u64>,
    float_data: Vec<f64>,
    pub(crate) kept: Vec<(u64, PathBlock)>,
}

impl Acc {
    /// Empty tallies for `judge`.
    pub(crate) fn new(judge: &Judge) -> Self {
        let k = judge.probability_slots();
        Acc {
            paths: 0,
            chunks: 0,
            hits: vec![0; k],
            hits_sq: vec![0; k],
            hits_n: vec![0; k],
            n_sq: 0,
            met_total: 0,
            float_len: judge.layout.len(),
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

    /// Adds `other`'s tallies to these.
    pub(crate) fn merge(&mut self, other: Acc) {
        self.paths += other.paths;
        self.chunks += other.chunks;
        self.n_sq += other.n_sq;
        self.met_total += other.met_total;
        for k in 0..self.hits.len() {
            self.hits[k] += other.hits[k];
            self.hits_sq[k] += other.hits_sq[k];
            self.hits_n[k] += other.hits_n[k];
        }
        self.float_chunks.extend(&other.float_chunks);
        self.float_data.extend(&other.float_data);
        self.kept.extend(other.kept);
    }

    /// Adds this wave into the running totals; floats in chunk order.
    pub(crate) fn fold_into(mut self, total: &mut Acc, sums: &mut Sums) {
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
pub(crate) struct Sums {
    pub(crate) floats: Vec<f64>,
}

impl Sums {
    /// Zero sums for `judge`'s layout.
    pub(crate) fn new(judge: &Judge) -> Self {
        Sums {
            floats: vec![0.0; judge.layout.len()],
        }
    }
}
