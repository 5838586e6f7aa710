//! In-year actuals: values reported month by month (or by quarter, half
//! year, 1-N月 year-to-date) within years, as statistical releases print them.
//!
//! A CSV file `id,year,month,X` where the column `X` says what the numbers
//! are:
//!
//! - `value`: each period's own value, a flow; the year's value is the sum;
//! - `ytd`: the year-to-date (1-N月累计); the year's value is December's;
//! - `level`: a stock at the end of the period (firms registered, a share);
//!   the year's value is December's.
//!
//! `month` is `1`-`12`, `Q1`-`Q4` (months 3, 6, 9, 12; a `value` covers the
//! quarter's three months), `H1`/`H2` (6, 12) or a span `A-B` (`1-6`: a
//! year-to-date to June; in a `value` file the flow of months A to B).
//! Optional columns: `yoy_pct` (同比, percent; with the value left empty it
//! derives the value from the same period of the year before, which must be
//! in the file), `at_least` (`true`: the value is a lower bound, "超60%",
//! kept as the value and warned about) and `source`.
//!
//! The reader returns the whole file or a typed error naming the file, the
//! CSV line (the header is line 1), the column and what is wrong; what is
//! doubtful but usable (a lower bound, a printed 同比 that disagrees with the
//! values, months that cannot make a year-to-date) is a [`Warning`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::plan::Plan;
use crate::track::{Measure, Monthly};
use crate::warning::{Warning, WarningCode};

/// What the value column of an in-year file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InYearKind {
    /// Each period's own value (a flow).
    Value,
    /// The year-to-date at the end of the period (a flow).
    Ytd,
    /// The level at the end of the period (a stock).
    Level,
}

impl InYearKind {
    /// The column name (`value`, `ytd`, `level`).
    pub fn as_str(self) -> &'static str {
        match self {
            InYearKind::Value => "value",
            InYearKind::Ytd => "ytd",
            InYearKind::Level => "level",
        }
    }

    /// Flow or stock.
    pub fn measure(self) -> Measure {
        match self {
            InYearKind::Value | InYearKind::Ytd => Measure::Flow,
            InYearKind::Level => Measure::Stock,
        }
    }
}

/// One row of an in-year file, with its value derived where the file gives
/// only the 同比.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthObservation {
    /// Series id.
    pub id: String,
    /// Year.
    pub year: i32,
    /// First month the period covers (1 for a year-to-date or a level).
    pub from_month: u32,
    /// Last month the period covers: the month it is dated.
    pub month: u32,
    /// The value, as given or derived from `yoy_pct`.
    pub value: f64,
    /// The 同比 as printed, percent.
    pub yoy_pct: Option<f64>,
    /// Whether the value was derived from `yoy_pct`.
    pub derived: bool,
    /// Whether the value is a lower bound ("超60%").
    pub at_least: bool,
    /// Where it was published.
    pub source: Option<String>,
    /// Its CSV line.
    pub line: u64,
}

/// An in-year file: its rows and, per series, the months as year-to-date
/// (or levels) for tracking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InYear {
    /// What the value column holds.
    pub kind: InYearKind,
    /// The rows in file order.
    pub observations: Vec<MonthObservation>,
    /// Per series id, the months for tracking.
    pub series: BTreeMap<String, Monthly>,
    /// What is doubtful in the file.
    pub warnings: Vec<Warning>,
}

/// Columns an in-year file may have besides its one value column.
const OTHER: [&str; 6] = ["id", "year", "month", "yoy_pct", "at_least", "source"];

impl InYear {
    /// Parses CSV text; errors name the CSV line and the column.
    pub fn from_csv_str(text: &str) -> Result<Self> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().map_err(csv_error)?.clone();
        let head = header.position().map_or(1, csv::Position::line);
        let mut at: BTreeMap<&str, usize> = BTreeMap::new();
        let mut kind = None;
        for (j, name) in header.iter().enumerate() {
            let name = name.trim();
            let known = match name {
                "value" => Some(InYearKind::Value),
                "ytd" => Some(InYearKind::Ytd),
                "level" => Some(InYearKind::Level),
                _ => None,
            };
            let key = match (known, OTHER.iter().find(|&&n| n == name)) {
                (Some(k), _) => {
                    if let Some(before) = kind.replace(k) {
                        return Err(Error::Format(format!(
                            "line {head}: columns \"{}\" and \"{}\": give one value column (value, ytd or level)",
                            before.as_str(),
                            k.as_str()
                        )));
                    }
                    k.as_str()
                }
                (None, Some(n)) => *n,
                (None, None) => {
                    return Err(Error::Format(format!(
                        "line {head}: unknown column \"{name}\" (expected id, year, month, one of value/ytd/level, and optionally yoy_pct, at_least, source)"
                    )));
                }
            };
            if at.insert(key, j).is_some() {
                return Err(Error::Format(format!(
                    "line {head}: column \"{key}\" appears twice"
                )));
            }
        }
        let Some(kind) = kind else {
            return Err(Error::Format(format!(
                "line {head}: missing the value column: one of value (each month's own value), ytd (year-to-date) or level (a stock)"
            )));
        };
        for need in ["id", "year", "month"] {
            if !at.contains_key(need) {
                return Err(Error::Format(format!(
                    "line {head}: missing column \"{need}\""
                )));
            }
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let r = record.map_err(csv_error)?;
            let line = r.position().map_or(0, csv::Position::line);
            let field = |name: &str| at.get(name).and_then(|&j| r.get(j)).unwrap_or("").trim();
            let id = field("id");
            let bad = |name: &str, what: &'static str, got: &str| {
                Error::indicator(
                    id,
                    &format!("line {line}: {name}"),
                    Problem::unreadable(got, what),
                )
            };
            if id.is_empty() {
                return Err(Error::indicator(
                    id,
                    &format!("line {line}: id"),
                    Problem::Empty,
                ));
            }
            let year_text = field("year");
            let year: i32 = year_text
                .parse()
                .ok()
                .filter(|y| (1..=9999).contains(y))
                .ok_or_else(|| bad("year", "a year (1 to 9999)", year_text))?;
            let month_text = field("month");
            let (from_month, month) = period(month_text).ok_or_else(|| {
                bad(
                    "month",
                    "a month 1-12, Q1-Q4, H1, H2 or a span such as 1-6",
                    month_text,
                )
            })?;
            if kind != InYearKind::Value && from_month != 1 && from_month != month {
                return Err(bad(
                    "month",
                    "a period from month 1 (a year-to-date or a level is dated by its last month)",
                    month_text,
                ));
            }
            let from_month = if kind == InYearKind::Value {
                from_month
            } else {
                1
            };
            let value_text = field(kind.as_str());
            let value = if value_text.is_empty() {
                None
            } else {
                Some(
                    value_text
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .ok_or_else(|| bad(kind.as_str(), "a number", value_text))?,
                )
            };
            let yoy_text = field("yoy_pct");
            let yoy_pct = if yoy_text.is_empty() {
                None
            } else {
                Some(
                    yoy_text
                        .trim_end_matches('%')
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && *v > -100.0)
                        .ok_or_else(|| bad("yoy_pct", "a percentage above -100", yoy_text))?,
                )
            };
            let at_least = match field("at_least").to_ascii_lowercase().as_str() {
                "" | "false" | "no" | "0" => false,
                "true" | "yes" | "1" => true,
                other => return Err(bad("at_least", "true or false", other)),
            };
            if value.is_none() && yoy_pct.is_none() {
                return Err(Error::indicator(
                    id,
                    &format!("line {line}: {}", kind.as_str()),
                    "is empty and no yoy_pct derives it",
                ));
            }
            let source = at
                .get("source")
                .and_then(|&j| r.get(j))
                .filter(|s| !s.is_empty());
            rows.push((
                MonthObservation {
                    id: id.to_string(),
                    year,
                    from_month,
                    month,
                    value: value.unwrap_or(f64::NAN),
                    yoy_pct,
                    derived: value.is_none(),
                    at_least,
                    source: source.map(str::to_string),
                    line,
                },
                yoy_text.to_string(),
            ));
        }
        Self::build(kind, rows)
    }

    /// Derives values from 同比, checks the rows and forms the series.
    fn build(kind: InYearKind, rows: Vec<(MonthObservation, String)>) -> Result<Self> {
        let at = |o: &MonthObservation, field: &str| format!("line {}: {field}", o.line);
        let col = kind.as_str();
        let mut warnings = Vec::new();
        // Each (id, year, period) once; a value file's periods may not overlap.
        let mut seen: BTreeMap<(String, i32, u32, u32), usize> = BTreeMap::new();
        let mut covered: BTreeMap<(String, i32), BTreeSet<u32>> = BTreeMap::new();
        for (k, (o, _)) in rows.iter().enumerate() {
            let key = (o.id.clone(), o.year, o.from_month, o.month);
            if seen.insert(key, k).is_some() {
                return Err(Error::indicator(
                    &o.id,
                    &at(o, "month"),
                    Problem::repeated(format!("{}-{:02}", o.year, o.month)),
                ));
            }
            let months = covered.entry((o.id.clone(), o.year)).or_default();
            let span: Vec<u32> = if kind == InYearKind::Value {
                (o.from_month..=o.month).collect()
            } else {
                vec![o.month]
            };
            for m in span {
                if !months.insert(m) {
                    return Err(Error::indicator(
                        &o.id,
                        &at(o, "month"),
                        Problem::Other(format!(
                            "covers month {m} of {}, which another row already reports",
                            o.year
                        )),
                    ));
                }
            }
        }
        // Values from 同比, earliest year first so that derivations chain.
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by_key(|&k| rows[k].0.year);
        let mut obs: Vec<MonthObservation> = rows.iter().map(|(o, _)| o.clone()).collect();
        for k in order {
            let o = &obs[k];
            let Some(yoy) = o.yoy_pct else { continue };
            let before = seen
                .get(&(o.id.clone(), o.year - 1, o.from_month, o.month))
                .map(|&j| obs[j].value)
                .filter(|v| v.is_finite());
            if o.derived {
                let Some(b) = before else {
                    return Err(Error::indicator(
                        &o.id,
                        &at(o, "yoy_pct"),
                        Problem::Other(format!(
                            "derives the {col} from the same period of {}, which the file does not report",
                            o.year - 1
                        )),
                    ));
                };
                obs[k].value = b * (1.0 + yoy / 100.0);
            } else if let Some(b) = before.filter(|&b| b > 0.0) {
                let implied = 100.0 * (o.value / b - 1.0);
                let printed = &rows[k].1;
                let decimals = printed
                    .trim_end_matches('%')
                    .split_once('.')
                    .map_or(0, |(_, d)| d.len() as i32);
                // Half a unit of the printed digit, and as much again for
                // the rounding of the values themselves.
                let tolerance = 10f64.powi(-decimals);
                if (implied - yoy).abs() > tolerance {
                    warnings.push(Warning::about(
                        WarningCode::ContradictoryActual,
                        &o.id,
                        format!(
                            "line {}: yoy_pct {printed} but the {col}s give {implied:.2}% against {}; the {col} is used",
                            o.line,
                            o.year - 1
                        ),
                    ));
                }
            }
        }
        for o in &obs {
            let ok = match kind {
                InYearKind::Value | InYearKind::Ytd => o.value >= 0.0,
                InYearKind::Level => o.value > 0.0,
            };
            if !(o.value.is_finite() && ok) {
                let need = if kind == InYearKind::Level {
                    "> 0 (a level)"
                } else {
                    ">= 0 (a flow)"
                };
                return Err(Error::indicator(
                    &o.id,
                    &at(o, col),
                    Problem::out_of_range(o.value, need),
                ));
            }
            if o.at_least {
                warnings.push(Warning::about(
                    WarningCode::LowerBound,
                    &o.id,
                    format!(
                        "line {}: {} {}-{:02} is a lower bound; it is counted as the value, so what is done and P are at least what is shown",
                        o.line, o.value, o.year, o.month
                    ),
                ));
            }
        }
        let series = Self::series_of(kind, &obs, &mut warnings)?;
        Ok(InYear {
            kind,
            observations: obs,
            series,
            warnings,
        })
    }

    /// The months of each series as year-to-date or levels.
    fn series_of(
        kind: InYearKind,
        obs: &[MonthObservation],
        warnings: &mut Vec<Warning>,
    ) -> Result<BTreeMap<String, Monthly>> {
        let mut by: BTreeMap<(&str, i32), Vec<&MonthObservation>> = BTreeMap::new();
        for o in obs {
            by.entry((o.id.as_str(), o.year)).or_default().push(o);
        }
        let mut out: BTreeMap<String, BTreeMap<i32, [Option<f64>; 12]>> = BTreeMap::new();
        for ((id, year), mut rows) in by {
            rows.sort_by_key(|o| o.month);
            let mut months = [None; 12];
            match kind {
                InYearKind::Ytd | InYearKind::Level => {
                    let mut last: Option<&MonthObservation> = None;
                    for o in rows {
                        if kind == InYearKind::Ytd
                            && let Some(b) = last
                            && o.value < b.value
                        {
                            return Err(Error::indicator(
                                id,
                                &format!("line {}: ytd", o.line),
                                Problem::Other(format!(
                                    "{} is below the {} of {}-{:02} (line {}): a year-to-date cannot fall",
                                    o.value, b.value, year, b.month, b.line
                                )),
                            ));
                        }
                        months[o.month as usize - 1] = Some(o.value);
                        last = Some(o);
                    }
                }
                InYearKind::Value => {
                    // Accumulate while the periods join up from January.
                    let mut next = 1;
                    let mut acc = 0.0;
                    let mut broken = None;
                    for o in &rows {
                        if o.from_month != next {
                            broken = Some(next);
                            break;
                        }
                        acc += o.value;
                        months[o.month as usize - 1] = Some(acc);
                        next = o.month + 1;
                    }
                    if let Some(gap) = broken {
                        let (a, b) = (
                            rows.first().map_or(1, |o| o.from_month),
                            rows.last().map_or(12, |o| o.month),
                        );
                        warnings.push(Warning::about(
                            WarningCode::PartialYear,
                            id,
                            format!(
                                "{year}: months {a}-{b} are reported but month {gap} is not; the year-to-date is known only before it{}",
                                if gap == 1 { " (not at all)" } else { "" }
                            ),
                        ));
                    }
                }
            }
            out.entry(id.to_string()).or_default().insert(year, months);
        }
        out.into_iter()
            .map(|(id, years)| {
                let m = Monthly::new(kind.measure(), years)
                    .map_err(|e| Error::indicator(&id, "months", Problem::Other(e.to_string())))?;
                Ok((id, m))
            })
            .collect()
    }

    /// Checks that every series is a plan indicator; the error names the
    /// first row of one that is not.
    pub fn validate(&self, plan: &Plan) -> Result<()> {
        for o in &self.observations {
            if plan.indicator(&o.id).is_none() {
                return Err(Error::indicator(
                    &o.id,
                    &format!("line {}: id", o.line),
                    Problem::NotInPlan,
                ));
            }
        }
        Ok(())
    }

    /// Reads a CSV file; errors name the file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        Self::from_csv_str(&text).map_err(|e| e.in_file(path))
    }

    /// Reads a CSV file and checks it against `plan`; errors name the file.
    pub fn load_for(path: impl AsRef<Path>, plan: &Plan) -> Result<Self> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        Self::from_csv_str(&text)
            .and_then(|y| y.validate(plan).map(|_| y))
            .map_err(|e| e.in_file(path))
    }

    /// The latest (year, month) any series reports.
    pub fn latest(&self) -> Option<(i32, u32)> {
        self.series.values().filter_map(Monthly::latest).max()
    }

    /// The rows of series `id` dated `year`-`month` that are lower bounds.
    pub fn is_lower_bound(&self, id: &str, year: i32, month: u32) -> bool {
        self.observations
            .iter()
            .any(|o| o.id == id && o.year == year && o.month <= month && o.at_least)
    }
}

/// A period label: (first month, last month).
fn period(text: &str) -> Option<(u32, u32)> {
    let t = text.trim().trim_end_matches('月').to_ascii_uppercase();
    let one = |s: &str| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=12).contains(m))
    };
    match t.as_bytes() {
        [b'Q', q @ b'1'..=b'4'] => {
            let q = u32::from(q - b'0');
            Some((3 * q - 2, 3 * q))
        }
        [b'H', h @ b'1'..=b'2'] => {
            let h = u32::from(h - b'0');
            Some((6 * h - 5, 6 * h))
        }
        _ => match t.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (one(a)?, one(b)?);
                (a <= b).then_some((a, b))
            }
            None => one(&t).map(|m| (m, m)),
        },
    }
}

/// A structural CSV error (unequal row lengths, bad quoting) with its line.
fn csv_error(e: csv::Error) -> Error {
    match e.position().map(csv::Position::line) {
        Some(line) => Error::codec_at(format!("line {line}"), e),
        None => Error::codec(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_months() {
        assert_eq!(period("3"), Some((3, 3)));
        assert_eq!(period("q2"), Some((4, 6)));
        assert_eq!(period("H2"), Some((7, 12)));
        assert_eq!(period("1-6"), Some((1, 6)));
        assert_eq!(period("1-6月"), Some((1, 6)));
        assert_eq!(period("13"), None);
        assert_eq!(period("6-1"), None);
        assert_eq!(period("Q5"), None);
        assert_eq!(period(""), None);
    }

    #[test]
    fn values_accumulate_and_yoy_derives() {
        let y = InYear::from_csv_str(
            "id,year,month,value,yoy_pct\n\
             a,2021,Q1,10,\n\
             a,2021,Q2,20,\n\
             a,2022,Q1,,50\n\
             a,2022,Q2,24,20\n",
        )
        .unwrap();
        let s = &y.series["a"];
        assert_eq!(s.at(2021, 6), Some(30.0));
        assert_eq!(s.at(2022, 3), Some(15.0));
        assert_eq!(s.at(2022, 6), Some(39.0));
        assert!(y.observations[2].derived);
        assert!(y.warnings.is_empty(), "{:?}", y.warnings);
    }

    #[test]
    fn a_contradictory_yoy_and_a_lower_bound_are_warned() {
        let y = InYear::from_csv_str(
            "id,year,month,ytd,yoy_pct,at_least\n\
             a,2021,6,100,,\n\
             a,2022,6,110,9.5,true\n",
        )
        .unwrap();
        let codes: Vec<_> = y.warnings.iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            vec![WarningCode::ContradictoryActual, WarningCode::LowerBound]
        );
        assert!(y.is_lower_bound("a", 2022, 6));
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let err = |text: &str| InYear::from_csv_str(text).unwrap_err().to_string();
        assert!(err("id,year,month,ytd\na,2022,6,5\na,2022,7,4\n").contains("line 3: ytd"));
        assert!(err("id,year,month,ytd\na,2022,13,5\n").contains("line 2: month"));
        assert!(err("id,year,month,value\na,2022,6,-1\n").contains("line 2: value"));
        assert!(err("id,year,month,level\na,2022,6,0\n").contains("line 2: level"));
        assert!(err("id,year,month,value\na,2022,H1,1\na,2022,6,1\n").contains("line 3: month"));
        assert!(err("id,year,month,value\na,2022,6,1\na,2022,6,1\n").contains("reported twice"));
        assert!(err("id,year,month,ytd,yoy_pct\na,2022,6,,5\n").contains("line 2: yoy_pct"));
        assert!(err("id,year,month,ytd\na,2022,6,\n").contains("line 2: ytd"));
        assert!(err("id,year,month,ytd,value\n").contains("one value column"));
        assert!(err("id,year,month\n").contains("missing the value column"));
        assert!(err("id,year,month,ytd,extra\n").contains("unknown column"));
        assert!(err("id,year,month,ytd\na,2022x,6,1\n").contains("line 2: year"));
        assert!(err("id,year,month,ytd\na,2022,3-6,1\n").contains("line 2: month"));
    }

    #[test]
    fn a_year_without_january_is_warned_not_bent() {
        let y = InYear::from_csv_str("id,year,month,value\na,2021,7,1\na,2021,8,1\n").unwrap();
        assert_eq!(y.warnings.len(), 1);
        assert_eq!(y.warnings[0].code, WarningCode::PartialYear);
        assert_eq!(y.series["a"].at(2021, 8), None);
        assert_eq!(y.observations.len(), 2);
    }
}
