//! The climatology of the target outcomes: the reference forecast of the
//! Brier skill score, built from past outcomes only.
//!
//! A target probability needs a benchmark that knew no more than the method
//! did. The in-sample base rate (the share met over the whole backtest) looks
//! ahead: it contains the outcomes being forecast. The climatology here, at
//! horizon `h` and origin year `T`, is the share met among every series'
//! backtest pairs (origin, `h`) whose outcome year (origin year + `h`) is at
//! most `T`, so it uses only outcomes known at the forecast origin. It comes
//! from the data (values and target growths), never from a method, so every
//! method is compared with the same reference.

use super::{Config, SeriesData, target_level};

/// Cumulative counts of the outcomes at one horizon up to one outcome year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    horizon: usize,
    year: i64,
    /// Outcomes met at this horizon in years up to `year`.
    met: usize,
    /// Outcomes at this horizon in years up to `year`.
    total: usize,
}

/// Past target outcomes by horizon and outcome year, with prefix sums, so a
/// look-up is a binary search. Its size grows with the distinct (horizon,
/// outcome year) pairs, not with the number of series.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Climatology {
    /// Sorted by (horizon, year); counts cumulative over years within a
    /// horizon.
    entries: Vec<Entry>,
}

impl Climatology {
    /// Counts the target outcomes of every series with a target growth at
    /// the backtest's origins (`config.min_train` to one before the end) and
    /// horizons (`1..=config.horizons`, those whose actual lies in the
    /// series). Series without a target, targets that are not a rate, levels
    /// that are not finite, and values that are not finite add nothing.
    pub fn new(series: &[SeriesData], config: &Config) -> Climatology {
        // (horizon, outcome year) -> (met, total); few keys, many outcomes.
        let mut counts: std::collections::BTreeMap<(usize, i64), (usize, usize)> =
            std::collections::BTreeMap::new();
        for s in series {
            let Some(g) = s.target_growth_pct.filter(|g| g.is_finite() && *g > -100.0) else {
                continue;
            };
            let n = s.values.len();
            for origin in config.min_train.max(1)..n {
                let last_h = config.horizons.min(n - origin);
                for h in 1..=last_h {
                    let actual = s.values[origin + h - 1];
                    let level = target_level(s.values[origin - 1], g, h);
                    if !(level.is_finite() && actual.is_finite()) {
                        continue;
                    }
                    let year = s.year(origin - 1).saturating_add(h as i64);
                    let c = counts.entry((h, year)).or_default();
                    c.0 += usize::from(actual >= level);
                    c.1 += 1;
                }
            }
        }
        let mut entries = Vec::with_capacity(counts.len());
        let (mut met, mut total, mut horizon) = (0, 0, 0);
        for ((h, year), (m, t)) in counts {
            if h != horizon {
                (met, total, horizon) = (0, 0, h);
            }
            met += m;
            total += t;
            entries.push(Entry {
                horizon: h,
                year,
                met,
                total,
            });
        }
        Climatology { entries }
    }

    /// Outcomes met and outcomes in all at `horizon` whose outcome year is
    /// at most `origin_year`: what was known at a forecast origin in that
    /// year.
    pub fn past_outcomes(&self, horizon: usize, origin_year: i64) -> (usize, usize) {
        let k = self
            .entries
            .partition_point(|e| (e.horizon, e.year) <= (horizon, origin_year));
        match k.checked_sub(1).map(|k| self.entries[k]) {
            Some(e) if e.horizon == horizon => (e.met, e.total),
            _ => (0, 0),
        }
    }

    /// The climatological probability that the target `horizon` years on is
    /// met, for a forecast made in `origin_year`: the share of the past
    /// outcomes ([`Climatology::past_outcomes`]) that were met; `None` when
    /// no outcome at this horizon was known yet.
    pub fn probability(&self, horizon: usize, origin_year: i64) -> Option<f64> {
        let (met, total) = self.past_outcomes(horizon, origin_year);
        (total > 0).then(|| met as f64 / total as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(id: &str, first_year: i32, values: &[f64], g: f64) -> SeriesData {
        let mut s = SeriesData::new(id, values.to_vec());
        s.first_year = Some(first_year);
        s.target_growth_pct = Some(g);
        s
    }

    #[test]
    fn climatology_by_hand() {
        // Target: growth of at least 0% a year (the value does not fall).
        // a: 2000..2004 = 1, 2, 1, 3, 4; min_train 2, H 2.
        //   origin 2 (year 2001, value 2): h1 -> 2002: 1 < 2 no; h2 -> 2003: 3 >= 2 yes
        //   origin 3 (2002, 1): h1 -> 2003 yes; h2 -> 2004 yes
        //   origin 4 (2003, 3): h1 -> 2004 yes
        // b: 2001..2003 = 5, 4, 3:
        //   origin 2 (2002, 4): h1 -> 2003 no
        let s = [
            series("a", 2000, &[1.0, 2.0, 1.0, 3.0, 4.0], 0.0),
            series("b", 2001, &[5.0, 4.0, 3.0], 0.0),
            SeriesData::new("no_target", vec![1.0, 2.0, 3.0, 4.0]),
        ];
        let c = Climatology::new(&s, &Config::new(2, 2).unwrap());
        // h1 outcomes: 2002 no (a); 2003 yes (a), no (b); 2004 yes (a).
        assert_eq!(c.past_outcomes(1, 2001), (0, 0));
        assert_eq!(c.probability(1, 2001), None);
        assert_eq!(c.past_outcomes(1, 2002), (0, 1));
        assert_eq!(c.past_outcomes(1, 2003), (1, 3));
        assert_eq!(c.probability(1, 2003), Some(1.0 / 3.0));
        assert_eq!(c.past_outcomes(1, 2004), (2, 4));
        assert_eq!(c.past_outcomes(1, 3000), (2, 4));
        // h2 outcomes: 2003 yes, 2004 yes (both a).
        assert_eq!(c.past_outcomes(2, 2002), (0, 0));
        assert_eq!(c.past_outcomes(2, 2003), (1, 1));
        assert_eq!(c.probability(2, 2004), Some(1.0));
        // No such horizon.
        assert_eq!(c.past_outcomes(3, 2004), (0, 0));
        assert_eq!(c.past_outcomes(0, 2004), (0, 0));
        // Nothing with a target: an empty table.
        assert_eq!(
            Climatology::new(&s[2..], &Config::new(2, 2).unwrap()),
            Climatology::default()
        );
    }
}
