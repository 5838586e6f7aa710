//! Rules: a resolved target as a scalar measure of trajectories compared
//! with a threshold. [`crate::plan::target::Target::rule`] makes them; the judge
//! applies them to blocks of simulated paths, a review to actuals.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::plan::path_block::PathBlock;
use crate::plan::target::{Combine, Direction};

/// The scalar a rule reads off a set of trajectories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "measure", rename_all = "snake_case")]
pub enum Measure {
    /// Value of `series` in year index `year`.
    Level {
        /// Series index.
        series: usize,
        /// Year index (0 = base year).
        year: usize,
    },
    /// Average annual growth of `series` from year 0 to `years` (a fraction).
    Growth {
        /// Series index.
        series: usize,
        /// Number of years.
        years: usize,
    },
    /// Distance of the average annual growth of `series` from year 0 to
    /// `years` from `centre` (fractions): an "about" growth rate.
    GrowthDeviation {
        /// Series index.
        series: usize,
        /// Number of years.
        years: usize,
        /// The rate it is about.
        centre: f64,
    },
    /// Sum of `series` over year indices `1..=years`.
    Sum {
        /// Series index.
        series: usize,
        /// Number of years.
        years: usize,
    },
    /// `scale * numerator / denominator` in year index `year`.
    Ratio {
        /// Numerator series index.
        numerator: usize,
        /// Denominator series index.
        denominator: usize,
        /// Year index.
        year: usize,
        /// Multiplier (100 for percent).
        scale: f64,
    },
    /// Sum of several series in year index `year`.
    SumOf {
        /// Series indices.
        series: Vec<usize>,
        /// Year index.
        year: usize,
    },
    /// The smallest (at least) or largest (at most) value over years `1..=years`.
    Extreme {
        /// Series index.
        series: usize,
        /// Number of years.
        years: usize,
        /// Which extreme binds.
        direction: Direction,
    },
    /// The worst milestone margin: `min(x_y - v_y)` (at least) or `max(x_y - v_y)`
    /// (at most), compared with 0.
    Milestones {
        /// Series index.
        series: usize,
        /// (year index, value) pairs.
        points: Vec<(usize, f64)>,
        /// Which side binds.
        direction: Direction,
    },
    /// Absolute deviation from `centre` in year index `year`, percent of `centre`.
    Deviation {
        /// Series index.
        series: usize,
        /// Year index.
        year: usize,
        /// Central value.
        centre: f64,
    },
    /// Value in year index `year` divided by the base-year value.
    Multiple {
        /// Series index.
        series: usize,
        /// Year index.
        year: usize,
    },
    /// Average annual growth of `series` minus that of `other` from year 0
    /// to `years` (fractions), or its absolute value when `absolute`.
    GrowthGap {
        /// Series index.
        series: usize,
        /// Index of the series it is compared with.
        other: usize,
        /// Number of years.
        years: usize,
        /// Whether the gap's size is measured (about equal), not its sign.
        absolute: bool,
    },
}

/// A resolved target: met when `measure` holds against `threshold` in `direction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// What is read off the trajectories.
    pub measure: Measure,
    /// The threshold.
    pub threshold: f64,
    /// Which side meets it.
    pub direction: Direction,
}

impl Rule {
    /// Largest series index and year index this rule reads.
    fn reach(&self) -> (usize, usize) {
        match &self.measure {
            Measure::Level { series, year }
            | Measure::Deviation { series, year, .. }
            | Measure::Multiple { series, year } => (*series, *year),
            Measure::Growth { series, years }
            | Measure::GrowthDeviation { series, years, .. }
            | Measure::Sum { series, years }
            | Measure::Extreme { series, years, .. } => (*series, *years),
            Measure::GrowthGap {
                series,
                other,
                years,
                ..
            } => ((*series).max(*other), *years),
            Measure::Ratio {
                numerator,
                denominator,
                year,
                ..
            } => ((*numerator).max(*denominator), *year),
            Measure::SumOf { series, year } => (series.iter().copied().max().unwrap_or(0), *year),
            Measure::Milestones { series, points, .. } => {
                (*series, points.iter().map(|p| p.0).max().unwrap_or(0))
            }
        }
    }

    /// Indices of the series this rule reads.
    pub fn series(&self) -> Vec<usize> {
        match &self.measure {
            Measure::Level { series, .. }
            | Measure::Deviation { series, .. }
            | Measure::Multiple { series, .. }
            | Measure::Growth { series, .. }
            | Measure::GrowthDeviation { series, .. }
            | Measure::Sum { series, .. }
            | Measure::Extreme { series, .. }
            | Measure::Milestones { series, .. } => vec![*series],
            Measure::Ratio {
                numerator,
                denominator,
                ..
            } => vec![*numerator, *denominator],
            Measure::SumOf { series, .. } => series.clone(),
            Measure::GrowthGap { series, other, .. } => vec![*series, *other],
        }
    }

    /// The same rule reading series `f(s)` for each series `s` it reads (the
    /// judge reads a stage's block by its own indices).
    pub(crate) fn with_series(&self, f: impl Fn(usize) -> usize) -> Rule {
        let mut rule = self.clone();
        match &mut rule.measure {
            Measure::Level { series, .. }
            | Measure::Deviation { series, .. }
            | Measure::Multiple { series, .. }
            | Measure::Growth { series, .. }
            | Measure::GrowthDeviation { series, .. }
            | Measure::Sum { series, .. }
            | Measure::Extreme { series, .. }
            | Measure::Milestones { series, .. } => *series = f(*series),
            Measure::Ratio {
                numerator,
                denominator,
                ..
            } => {
                *numerator = f(*numerator);
                *denominator = f(*denominator);
            }
            Measure::SumOf { series, .. } => series.iter_mut().for_each(|s| *s = f(*s)),
            Measure::GrowthGap { series, other, .. } => {
                *series = f(*series);
                *other = f(*other);
            }
        }
        rule
    }

    /// Writes the measure of every path of `block` into `out` (one per path).
    ///
    /// Errors when the block lacks a series or year the rule reads, or `out`
    /// has the wrong length.
    pub fn measure_into(&self, block: &PathBlock, out: &mut [f64]) -> Result<()> {
        let (s, t) = self.reach();
        if s >= block.series() || t >= block.years() || out.len() != block.paths() {
            return Err(Error::parameter(
                "block",
                format!(
                    "has {} series x {} years x {} paths, rule reads series {s} year {t} into {} outputs",
                    block.series(),
                    block.years(),
                    block.paths(),
                    out.len()
                ),
            ));
        }
        self.measure_unchecked(block, out);
        Ok(())
    }

    /// The measure of every path of `block`: a level is read where it lies,
    /// anything else is computed into `out`. Unchecked, like
    /// [`Rule::measure_unchecked`].
    pub(crate) fn measure_view<'a>(&self, block: &'a PathBlock, out: &'a mut [f64]) -> &'a [f64] {
        match &self.measure {
            Measure::Level { series, year } => block.at(*series, *year),
            _ => {
                self.measure_unchecked(block, out);
                out
            }
        }
    }

    /// [`Rule::measure_into`] without the shape check (the engine checks once).
    pub(crate) fn measure_unchecked(&self, block: &PathBlock, out: &mut [f64]) {
        match &self.measure {
            Measure::Level { series, year } => out.copy_from_slice(block.at(*series, *year)),
            Measure::Growth { series, years } => {
                let inv = 1.0 / *years as f64;
                let (b, e) = (block.at(*series, 0), block.at(*series, *years));
                for ((o, b), e) in out.iter_mut().zip(b).zip(e) {
                    *o = (e / b).powf(inv) - 1.0;
                }
            }
            Measure::GrowthDeviation {
                series,
                years,
                centre,
            } => {
                let inv = 1.0 / *years as f64;
                let (b, e) = (block.at(*series, 0), block.at(*series, *years));
                for ((o, b), e) in out.iter_mut().zip(b).zip(e) {
                    *o = ((e / b).powf(inv) - 1.0 - centre).abs();
                }
            }
            Measure::Sum { series, years } => {
                let first = (series * block.years() + 1) * block.paths();
                crate::simulate::kernel::sum_rows(block.data(), first, block.paths(), *years, out);
            }
            Measure::Ratio {
                numerator,
                denominator,
                year,
                scale,
            } => {
                let parts = [*numerator, *denominator];
                Combine::Ratio { scale: *scale }.rows(2, |k| block.at(parts[k], *year), out);
            }
            Measure::SumOf { series, year } => {
                Combine::Sum.rows(series.len(), |k| block.at(series[k], *year), out);
            }
            Measure::Extreme {
                series,
                years,
                direction,
            } => {
                out.copy_from_slice(block.at(*series, 1.min(*years)));
                for t in 2..=*years {
                    for (o, v) in out.iter_mut().zip(block.at(*series, t)) {
                        *o = direction.binding(*o, *v);
                    }
                }
            }
            Measure::Milestones {
                series,
                points,
                direction,
            } => {
                let first = match direction {
                    Direction::AtLeast => f64::INFINITY,
                    Direction::AtMost => f64::NEG_INFINITY,
                };
                out.fill(first);
                for (t, v) in points {
                    for (o, x) in out.iter_mut().zip(block.at(*series, *t)) {
                        *o = direction.binding(*o, x - v);
                    }
                }
            }
            Measure::Deviation {
                series,
                year,
                centre,
            } => {
                for (o, x) in out.iter_mut().zip(block.at(*series, *year)) {
                    *o = 100.0 * ((x - centre) / centre).abs();
                }
            }
            Measure::Multiple { series, year } => {
                let (b, e) = (block.at(*series, 0), block.at(*series, *year));
                for ((o, b), e) in out.iter_mut().zip(b).zip(e) {
                    *o = e / b;
                }
            }
            Measure::GrowthGap {
                series,
                other,
                years,
                absolute,
            } => {
                let inv = 1.0 / *years as f64;
                let (b, e) = (block.at(*series, 0), block.at(*series, *years));
                let (ob, oe) = (block.at(*other, 0), block.at(*other, *years));
                for ((((o, b), e), ob), oe) in out.iter_mut().zip(b).zip(e).zip(ob).zip(oe) {
                    let gap = (e / b).powf(inv) - (oe / ob).powf(inv);
                    *o = if *absolute { gap.abs() } else { gap };
                }
            }
        }
    }

    /// Whether a measured value meets the rule (NaN never does).
    #[inline]
    pub fn is_met(&self, measure: f64) -> bool {
        self.direction.holds(measure, self.threshold)
    }

    /// How far a measured value falls short (0 when met).
    #[inline]
    pub fn shortfall(&self, measure: f64) -> f64 {
        self.direction.shortfall(measure, self.threshold)
    }

    /// Whether each path of `block` meets the rule (NaN measures never do).
    ///
    /// Errors as [`Rule::measure_into`] does when the block does not fit.
    pub fn evaluate(&self, block: &PathBlock) -> Result<Vec<bool>> {
        let mut measure = vec![0.0; block.paths()];
        self.measure_into(block, &mut measure)?;
        Ok(measure.into_iter().map(|x| self.is_met(x)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{AtLeast, AtMost};

    const NAN: f64 = f64::NAN;

    /// A block from `paths[p][s][t]`.
    fn block(paths: &[Vec<Vec<f64>>]) -> PathBlock {
        let (n_series, n_years) = (paths[0].len(), paths[0][0].len());
        let mut b = PathBlock::zeros(n_series, n_years, paths.len());
        for (p, rows) in paths.iter().enumerate() {
            for (s, row) in rows.iter().enumerate() {
                for (t, v) in row.iter().enumerate() {
                    b.at_mut(s, t)[p] = *v;
                }
            }
        }
        b
    }

    /// Two paths, two series, base year plus three plan years.
    fn two_paths() -> PathBlock {
        block(&[
            vec![
                vec![100.0, 110.0, 121.0, 133.1],
                vec![50.0, 50.0, 50.0, 50.0],
            ],
            vec![vec![100.0, 90.0, 95.0, 120.0], vec![40.0, 45.0, 50.0, 60.0]],
        ])
    }

    fn rule(measure: Measure, threshold: f64, direction: Direction) -> Rule {
        Rule {
            measure,
            threshold,
            direction,
        }
    }

    /// Measures of every path, compared with `expect` within 1e-12.
    fn measures(r: &Rule, b: &PathBlock, expect: &[f64]) {
        let mut out = vec![0.0; b.paths()];
        r.measure_into(b, &mut out).unwrap();
        for (o, e) in out.iter().zip(expect) {
            assert!(
                (o - e).abs() <= 1e-12 * (1.0 + e.abs()),
                "{out:?} vs {expect:?}"
            );
        }
    }

    #[test]
    fn growth_gap_is_own_growth_less_the_other_s() {
        let b = two_paths();
        // Path 0: series 0 grows 10%/yr, series 1 is flat: gap 0.10.
        // Path 1: (120/100)^(1/3) - (60/40)^(1/3).
        let g1 = 1.2f64.powf(1.0 / 3.0) - 1.5f64.powf(1.0 / 3.0);
        let m = |absolute| Measure::GrowthGap {
            series: 0,
            other: 1,
            years: 3,
            absolute,
        };
        measures(&rule(m(false), 0.0, AtLeast), &b, &[0.1, g1]);
        measures(&rule(m(true), 0.0, AtMost), &b, &[0.1, -g1]);
        assert_eq!(
            rule(m(false), 0.0, AtLeast).evaluate(&b).unwrap(),
            [true, false]
        );
        assert_eq!(rule(m(false), 0.0, AtLeast).series(), [0, 1]);
    }

    #[test]
    fn level() {
        let b = two_paths();
        let m = Measure::Level { series: 0, year: 3 };
        measures(&rule(m.clone(), 0.0, AtLeast), &b, &[133.1, 120.0]);
        let r = rule(m.clone(), 130.0, AtLeast);
        assert_eq!(r.evaluate(&b).unwrap(), [true, false]);
        assert_eq!(
            rule(m.clone(), 125.0, AtMost).evaluate(&b).unwrap(),
            [false, true]
        );
        // Exactly at the threshold meets in both directions.
        assert_eq!(
            rule(m.clone(), 120.0, AtMost).evaluate(&b).unwrap(),
            [false, true]
        );
        assert_eq!(rule(m, 133.1, AtLeast).evaluate(&b).unwrap(), [true, false]);
    }

    #[test]
    fn growth() {
        let b = two_paths();
        let m = Measure::Growth {
            series: 0,
            years: 3,
        };
        // (133.1/100)**(1/3)-1, (120/100)**(1/3)-1
        let r = rule(m.clone(), 0.08, AtLeast);
        measures(&r, &b, &[0.10000000000000009, 0.06265856918261115]);
        assert_eq!(r.evaluate(&b).unwrap(), [true, false]);
        assert_eq!(rule(m, 0.08, AtMost).evaluate(&b).unwrap(), [false, true]);
    }

    #[test]
    fn growth_deviation() {
        let b = two_paths();
        let m = Measure::GrowthDeviation {
            series: 0,
            years: 3,
            centre: 0.08,
        };
        // |0.1 - 0.08| = 0.02, |1.2^(1/3) - 1 - 0.08| = 0.017341; within
        // 1.8 points meets.
        let g1 = 1.2f64.powf(1.0 / 3.0) - 1.0;
        let r = rule(m, 0.018, AtMost);
        measures(&r, &b, &[0.02, 0.08 - g1]);
        assert!((0.08 - g1 - 0.017_341_43).abs() < 1e-8);
        assert_eq!(r.evaluate(&b).unwrap(), [false, true]);
        assert_eq!(r.series(), [0]);
    }

    #[test]
    fn sum() {
        let b = two_paths();
        let m = Measure::Sum {
            series: 0,
            years: 3,
        };
        // 110+121+133.1, 90+95+120: the base year is not summed.
        let r = rule(m.clone(), 350.0, AtLeast);
        measures(&r, &b, &[364.1, 305.0]);
        assert_eq!(r.evaluate(&b).unwrap(), [true, false]);
        assert_eq!(rule(m, 310.0, AtMost).evaluate(&b).unwrap(), [false, true]);
    }

    #[test]
    fn ratio() {
        let b = two_paths();
        let m = Measure::Ratio {
            numerator: 0,
            denominator: 1,
            year: 3,
            scale: 100.0,
        };
        // 100*133.1/50, 100*120/60
        let r = rule(m.clone(), 250.0, AtLeast);
        measures(&r, &b, &[266.2, 200.0]);
        assert_eq!(r.evaluate(&b).unwrap(), [true, false]);
        assert_eq!(rule(m, 250.0, AtMost).evaluate(&b).unwrap(), [false, true]);
    }

    #[test]
    fn sum_of() {
        let b = two_paths();
        let m = Measure::SumOf {
            series: vec![0, 1],
            year: 3,
        };
        // 133.1+50, 120+60
        let r = rule(m.clone(), 181.0, AtLeast);
        measures(&r, &b, &[183.1, 180.0]);
        assert_eq!(r.evaluate(&b).unwrap(), [true, false]);
        assert_eq!(rule(m, 181.0, AtMost).evaluate(&b).unwrap(), [false, true]);
    }

    #[test]
    fn extreme() {
        let b = two_paths();
        // Smallest plan-year value (years 1..=3): 110, 90.
        let least = Measure::Extreme {
            series: 0,
            years: 3,
            direction: AtLeast,
        };
        let r = rule(least, 100.0, AtLeast);
        measures(&r, &b, &[110.0, 90.0]);
        assert_eq!(r.evaluate(&b).unwrap(), [true, false]);
        // Largest: 133.1, 120.
        let most = Measure::Extreme {
            series: 0,
            years: 3,
            direction: AtMost,
        };
        let r = rule(most, 125.0, AtMost);
        measures(&r, &b, &[133.1, 120.0]);
        assert_eq!(r.evaluate(&b).unwrap(), [false, true]);
    }

    #[test]
    fn milestones() {
        let b = two_paths();
        // Margins: min(110-105, 133.1-130) = 3.1; min(90-105, 120-130) = -15.
        let r = rule(
            Measure::Milestones {
                series: 0,
                points: vec![(1, 105.0), (3, 130.0)],
                direction: AtLeast,
            },
            0.0,
            AtLeast,
        );
        measures(&r, &b, &[133.1 - 130.0, -15.0]);
        assert_eq!(r.evaluate(&b).unwrap(), [true, false]);
        // At most 100 in years 1 and 2: max(10, 21) = 21; max(-10, -5) = -5.
        let r = rule(
            Measure::Milestones {
                series: 0,
                points: vec![(1, 100.0), (2, 100.0)],
                direction: AtMost,
            },
            0.0,
            AtMost,
        );
        measures(&r, &b, &[21.0, -5.0]);
        assert_eq!(r.evaluate(&b).unwrap(), [false, true]);
    }

    #[test]
    fn deviation() {
        let b = two_paths();
        // 100*|133.1-125|/125, 100*|120-125|/125; within 5% meets.
        let r = rule(
            Measure::Deviation {
                series: 0,
                year: 3,
                centre: 125.0,
            },
            5.0,
            AtMost,
        );
        measures(&r, &b, &[6.479999999999995, 4.0]);
        assert_eq!(r.evaluate(&b).unwrap(), [false, true]);
    }

    #[test]
    fn multiple() {
        let b = two_paths();
        let m = Measure::Multiple { series: 0, year: 3 };
        // 133.1/100, 120/100
        let r = rule(m.clone(), 1.25, AtLeast);
        measures(&r, &b, &[1.331, 1.2]);
        assert_eq!(r.evaluate(&b).unwrap(), [true, false]);
        assert_eq!(rule(m, 1.25, AtMost).evaluate(&b).unwrap(), [false, true]);
    }

    #[test]
    fn nan_never_meets() {
        // Path 0 has NaN in year 1 (the first year an extreme reads), path 1 in
        // year 2; both would meet every rule below without it.
        let b = block(&[
            vec![vec![100.0, NAN, 120.0, 130.0], vec![50.0, 50.0, 50.0, 50.0]],
            vec![vec![100.0, 110.0, NAN, 130.0], vec![50.0, 50.0, NAN, 50.0]],
        ]);
        let both = |m: Measure, threshold: f64| {
            for d in [AtLeast, AtMost] {
                let measure = match &m {
                    Measure::Extreme { series, years, .. } => Measure::Extreme {
                        series: *series,
                        years: *years,
                        direction: d,
                    },
                    Measure::Milestones { series, points, .. } => Measure::Milestones {
                        series: *series,
                        points: points.clone(),
                        direction: d,
                    },
                    other => other.clone(),
                };
                let met = rule(measure, threshold, d).evaluate(&b).unwrap();
                assert_eq!(met, [false, false], "{m:?} {d:?}");
            }
        };
        let extreme = Measure::Extreme {
            series: 0,
            years: 3,
            direction: AtLeast,
        };
        both(extreme.clone(), 0.0);
        both(extreme, 1e9);
        let points = vec![(1, 100.0), (2, 100.0), (3, 100.0)];
        let milestones = Measure::Milestones {
            series: 0,
            points,
            direction: AtLeast,
        };
        both(milestones.clone(), 0.0);
        both(milestones, -1e9);
        both(
            Measure::Sum {
                series: 0,
                years: 3,
            },
            0.0,
        );
        both(
            Measure::Sum {
                series: 0,
                years: 3,
            },
            1e9,
        );
        // Year-2 NaN in path 1 only: path 0 meets, path 1 does not.
        let level = Measure::SumOf {
            series: vec![0, 1],
            year: 2,
        };
        let met = rule(level, 0.0, AtLeast).evaluate(&b).unwrap();
        assert_eq!(met, [true, false]);
        let ratio = Measure::Ratio {
            numerator: 0,
            denominator: 1,
            year: 2,
            scale: 100.0,
        };
        let met = rule(ratio, 1e9, AtMost).evaluate(&b).unwrap();
        assert_eq!(met, [true, false]);
        for m in [
            Measure::Level { series: 0, year: 1 },
            Measure::Growth {
                series: 0,
                years: 1,
            },
            Measure::Multiple { series: 0, year: 1 },
            Measure::Deviation {
                series: 0,
                year: 1,
                centre: 110.0,
            },
        ] {
            for d in [AtLeast, AtMost] {
                let met = rule(m.clone(), 0.0, d).evaluate(&b).unwrap();
                assert!(!met[0], "{m:?} {d:?}");
            }
        }
    }

    #[test]
    fn ill_fitting_blocks_are_errors() {
        let b = two_paths();
        let r = rule(Measure::Level { series: 2, year: 0 }, 0.0, AtLeast);
        assert!(matches!(r.evaluate(&b), Err(Error::Parameter { .. })));
        let r = rule(
            Measure::Sum {
                series: 0,
                years: 4,
            },
            0.0,
            AtLeast,
        );
        assert!(r.evaluate(&b).is_err());
        let r = rule(Measure::Level { series: 0, year: 0 }, 0.0, AtLeast);
        let mut out = vec![0.0; 3];
        assert!(r.measure_into(&b, &mut out).is_err());
    }
}
