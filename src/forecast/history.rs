//! Yearly series for backtests from reported values (an `id,year,value` file
//! read by [`Actuals`]): one series per id, oldest year first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::backtest::SeriesData;
use crate::error::{Error, Problem, Result};
use crate::plan::actuals::Actuals;

/// What to do with years missing between two reported years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gaps {
    /// A gap is an error: the backtest needs consecutive years.
    #[default]
    Refuse,
    /// Fill a gap at the constant growth that joins its two ends (what an
    /// average annual growth rate over the gap says); the filled years are
    /// reported, and scores on them flatter smooth-growth methods.
    Geometric,
}

/// Most years one geometric fill may add: a longer gap is a typo more often
/// than a history, and would be made up almost entirely of filled values.
pub const MAX_FILL: i64 = 100;

/// One series with its calendar years.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearlySeries {
    /// Year of the first value.
    pub first_year: i32,
    /// The values, one per year from `first_year`.
    pub data: SeriesData,
    /// Years filled in, not reported.
    pub filled: Vec<i32>,
    /// Reported values marked unverified (`verified = no`).
    pub unverified: usize,
}

/// Groups `actuals` into one yearly series per id, in order of each id's
/// first appearance. Errors name the series, the year and the problem: a
/// year reported twice, a non-finite value, or a gap (with [`Gaps::Refuse`],
/// or with [`Gaps::Geometric`] when an end of the gap is not positive).
pub fn yearly_series(actuals: &Actuals, gaps: Gaps) -> Result<Vec<YearlySeries>> {
    if actuals.observations.is_empty() {
        return Err(Error::parameter("data", Problem::Empty));
    }
    let mut order: Vec<&str> = Vec::new();
    let mut by_id: BTreeMap<&str, BTreeMap<i32, f64>> = BTreeMap::new();
    let mut unverified: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &actuals.observations {
        let id = o.id.as_str();
        if !o.value.is_finite() {
            return Err(Error::indicator(
                id,
                "value",
                Problem::out_of_range(o.value, format!("finite in {}", o.year)),
            ));
        }
        let years = by_id.entry(id).or_insert_with(|| {
            order.push(id);
            BTreeMap::new()
        });
        if years.insert(o.year, o.value).is_some() {
            return Err(Error::indicator(id, "year", Problem::repeated(o.year)));
        }
        if o.verified == Some(false) {
            *unverified.entry(id).or_default() += 1;
        }
    }
    order
        .into_iter()
        .map(|id| {
            let years = &by_id[id];
            let mut it = years.iter();
            // Every id was entered with a year; the error cannot occur.
            let Some((&first_year, &first)) = it.next() else {
                return Err(Error::indicator(id, "year", "has no values"));
            };
            let mut values = vec![first];
            let mut filled = Vec::new();
            let mut prev = (first_year, first);
            for (&y, &v) in it {
                // i64: the years' difference may not fit an i32.
                let gap = i64::from(y) - i64::from(prev.0) - 1;
                if gap > 0 {
                    let missing = if gap == 1 {
                        format!("{} is missing between {} and {y}", prev.0 + 1, prev.0)
                    } else {
                        format!(
                            "{} to {} are missing between {} and {y}",
                            prev.0 + 1,
                            y - 1,
                            prev.0
                        )
                    };
                    match gaps {
                        Gaps::Refuse => {
                            return Err(Error::indicator(
                                id,
                                "year",
                                format!(
                                    "{missing}: a backtest needs consecutive years \
                                     (report them, or fill gaps geometrically)"
                                ),
                            ));
                        }
                        Gaps::Geometric => {
                            if !(prev.1 > 0.0 && v > 0.0) {
                                return Err(Error::indicator(
                                    id,
                                    "value",
                                    format!(
                                        "{missing}, and a geometric fill needs positive \
                                         ends, got {} and {v}",
                                        prev.1
                                    ),
                                ));
                            }
                            if gap > MAX_FILL {
                                return Err(Error::indicator(
                                    id,
                                    "year",
                                    format!(
                                        "{missing}: a gap of {gap} years is too long to fill \
                                         (at most {MAX_FILL})"
                                    ),
                                ));
                            }
                            // gap <= MAX_FILL, so the years and counts fit i32.
                            let gap = gap as i32;
                            let step = (v / prev.1).ln() / f64::from(gap + 1);
                            for k in 1..=gap {
                                values.push(prev.1 * (step * f64::from(k)).exp());
                                filled.push(prev.0 + k);
                            }
                        }
                    }
                }
                values.push(v);
                prev = (y, v);
            }
            Ok(YearlySeries {
                first_year,
                data: SeriesData {
                    first_year: Some(first_year),
                    filled: filled.iter().map(|y| (y - first_year) as usize).collect(),
                    ..SeriesData::new(id, values)
                },
                filled,
                unverified: unverified.get(id).copied().unwrap_or(0),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Actuals {
        Actuals::parse_csv(text).unwrap()
    }

    #[test]
    fn groups_sorts_and_fills() {
        let a = read(
            "id,year,value,verified\n\
             b,2021,3,no\n\
             a,2017,100,yes\n\
             b,2020,2,\n\
             a,2020,133.1,\n",
        );
        let s = yearly_series(&a, Gaps::Geometric).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].data.id, "b");
        assert_eq!(
            (s[0].first_year, s[0].data.values.clone()),
            (2020, vec![2.0, 3.0])
        );
        assert_eq!(s[0].unverified, 1);
        // 100 -> 133.1 over three years is 10% a year: 110, 121 filled.
        assert_eq!(s[1].filled, vec![2018, 2019]);
        // The same, as indices into the values.
        let first = s[1].first_year;
        assert_eq!(
            s[1].data.filled,
            vec![(2018 - first) as usize, (2019 - first) as usize]
        );
        let v = &s[1].data.values;
        assert!(
            (v[1] - 110.0).abs() < 1e-9 && (v[2] - 121.0).abs() < 1e-9,
            "{v:?}"
        );
        assert_eq!(v[3], 133.1);
        let e = yearly_series(&a, Gaps::Refuse).unwrap_err().to_string();
        assert!(
            e.contains("\"a\"") && e.contains("2018 to 2019 are missing"),
            "{e}"
        );
    }

    #[test]
    fn bad_data_is_an_error() {
        let dup = read("id,year,value\nx,2020,1\nx,2020,2\n");
        let e = yearly_series(&dup, Gaps::Refuse).unwrap_err().to_string();
        assert!(e.contains("2020 is reported twice"), "{e}");
        let nan = read("id,year,value\nx,2020,NaN\n");
        assert!(yearly_series(&nan, Gaps::Refuse).is_err());
        let neg = read("id,year,value\nx,2018,-1\nx,2020,2\n");
        assert!(yearly_series(&neg, Gaps::Geometric).is_err());
        assert!(yearly_series(&Actuals::default(), Gaps::Refuse).is_err());
        // A gap of two billion years is refused, not filled (or wrapped).
        let far = read("id,year,value\nx,-2000000000,1\nx,2000000000,2\n");
        let e = yearly_series(&far, Gaps::Geometric)
            .unwrap_err()
            .to_string();
        assert!(e.contains("too long to fill"), "{e}");
        assert!(yearly_series(&far, Gaps::Refuse).is_err());
        // MAX_FILL (100) years fill; 101 do not.
        let longest = read("id,year,value\nx,1900,1\nx,2001,2\n");
        assert_eq!(
            yearly_series(&longest, Gaps::Geometric).unwrap()[0]
                .filled
                .len(),
            100
        );
        let long = read("id,year,value\nx,1900,1\nx,2002,2\n");
        assert!(yearly_series(&long, Gaps::Geometric).is_err());
        assert!(Actuals::parse_csv("id,year,value\nx,twenty,1\n").is_err());
    }
}
