//! Reported values ("actuals") of a plan's series, as read from a statistical
//! release: one value per series and year, gaps allowed.
//!
//! Files are CSV with columns `id,year,value` (optionally `source`,
//! `verified` and `at_least`: `true` where the value is a lower bound, "超60%",
//! counted as the value in every judgement and reported by
//! [`Actuals::warnings`]), or TOML/JSON with the same fields as `[[observation]]`
//! records. Every reader validates against the plan and returns either the
//! whole set or a typed error naming the file, the place (the CSV line, the
//! header being line 1; for TOML/JSON the observation's position) and the field.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::plan::Plan;
use crate::warning::{Warning, WarningCode};

/// One reported value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// Series id (an indicator or an auxiliary series of the plan).
    pub id: String,
    /// Calendar year.
    pub year: i32,
    /// The value, in the plan's unit.
    pub value: f64,
    /// Where it was published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Whether it was checked against its source (`false`: taken unverified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Whether the value is a lower bound ("超60%"): counted as the value, so
    /// what is judged met may be more than met (see [`Actuals::warnings`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub at_least: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The reported values of a plan's series.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actuals {
    /// The values, in file order.
    #[serde(rename = "observation", default)]
    pub observations: Vec<Observation>,
}

/// A CSV record as written (`verified` as yes/no).
#[derive(Serialize)]
struct CsvRow<'a> {
    id: &'a str,
    year: i32,
    value: f64,
    source: Option<&'a str>,
    verified: Option<&'static str>,
    /// Written only when some value is a lower bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    at_least: Option<&'static str>,
}

/// The columns a CSV file may have; `id`, `year` and `value` are required.
const COLUMNS: [&str; 6] = ["id", "year", "value", "source", "verified", "at_least"];

/// The shape a JSON actuals file must have, as its errors say.
pub const JSON_SHAPE: &str = "actuals JSON must be {\"observation\": [{\"id\": \"trade\", \"year\": 2021, \"value\": 5012.3}, ...]} (optional \"source\", \"verified\"), or use CSV id,year,value";

/// The shape a TOML actuals file must have, as its errors say.
pub const TOML_SHAPE: &str = "actuals TOML must be [[observation]] tables of id, year, value (optional source, verified), or use CSV id,year,value";

impl Actuals {
    /// Checks every observation against `plan`; errors name the observation
    /// by its 1-based position in file order (`observation 3: value`).
    pub fn validate(&self, plan: &Plan) -> Result<()> {
        self.check(plan, |k| format!("observation {}", k + 1))
    }

    /// [`Actuals::validate`] with the place of observation `k` given by
    /// `place` (a CSV line number for CSV files).
    fn check(&self, plan: &Plan, place: impl Fn(usize) -> String) -> Result<()> {
        let mut seen = BTreeSet::new();
        for (k, o) in self.observations.iter().enumerate() {
            let at = |field: &str| format!("{}: {field}", place(k));
            let Some(index) = plan.series_index(&o.id) else {
                return Err(Error::indicator(&o.id, &at("id"), Problem::NotInPlan));
            };
            if o.year < plan.base_year || o.year > plan.target_year {
                return Err(Error::indicator(
                    &o.id,
                    &at("year"),
                    Problem::out_of_range(
                        o.year,
                        format!(
                            "within the plan years {}..={}",
                            plan.base_year, plan.target_year
                        ),
                    ),
                ));
            }
            // Flows (projects a year) and counts from a zero base (firms
            // attracted) may be zero; levels must be positive.
            let flow = plan
                .indicators
                .get(index)
                .is_some_and(|i| i.target.is_flow() || i.base == Some(0.0));
            let ok = o.value.is_finite() && (o.value > 0.0 || (flow && o.value == 0.0));
            if !ok {
                let need = if flow { ">= 0" } else { "> 0" };
                return Err(Error::indicator(
                    &o.id,
                    &at("value"),
                    Problem::out_of_range(o.value, format!("finite and {need}")),
                ));
            }
            if !seen.insert((o.id.as_str(), o.year)) {
                return Err(Error::indicator(
                    &o.id,
                    &at("year"),
                    Problem::repeated(o.year),
                ));
            }
        }
        Ok(())
    }

    /// A `lower_bound` warning for every value that is a lower bound
    /// ("超60%"), in file order: it is counted as the value, so a target
    /// judged missed on it may have been met, and the distance still to go
    /// is at most what is shown.
    pub fn warnings(&self) -> Vec<Warning> {
        self.observations
            .iter()
            .filter(|o| o.at_least)
            .map(|o| {
                Warning::about(
                    WarningCode::LowerBound,
                    &o.id,
                    format!(
                        "{} {} is a lower bound; it is counted as the value, so what is done is at least what is shown",
                        o.year, o.value
                    ),
                )
            })
            .collect()
    }

    /// The value of series `id` in `year`, if reported.
    pub fn value(&self, id: &str, year: i32) -> Option<f64> {
        self.observations
            .iter()
            .find(|o| o.id == id && o.year == year)
            .map(|o| o.value)
    }

    /// The latest reported (year, value) of series `id`.
    pub fn latest(&self, id: &str) -> Option<(i32, f64)> {
        self.observations
            .iter()
            .filter(|o| o.id == id)
            .max_by_key(|o| o.year)
            .map(|o| (o.year, o.value))
    }

    /// The years with at least one reported value, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.observations
            .iter()
            .map(|o| o.year)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// Series `id` over the plan years (base year first), `None` where not
    /// reported; the base year falls back to the plan's base value.
    pub fn trajectory(&self, id: &str, plan: &Plan) -> Vec<Option<f64>> {
        // A plan whose target year is not after its base year has no years
        // (rather than an overflow on extreme years).
        let Ok(years) = plan.horizon() else {
            return Vec::new();
        };
        let mut v = vec![None; years + 1];
        for o in self.observations.iter().filter(|o| o.id == id) {
            let t = i64::from(o.year) - i64::from(plan.base_year);
            if let Some(slot) = usize::try_from(t).ok().and_then(|t| v.get_mut(t)) {
                // The first report wins, as in `value` (validated actuals have one).
                slot.get_or_insert(o.value);
            }
        }
        if let (Some(first), Some(i)) = (v.first_mut(), plan.series_index(id))
            && first.is_none()
        {
            *first = plan.series_base(i);
        }
        v
    }

    /// Parses and validates CSV text (`id,year,value[,source][,verified]`,
    /// columns in any order). Errors name the CSV line (the header is line 1)
    /// and the column.
    pub fn from_csv_str(text: &str, plan: &Plan) -> Result<Self> {
        let (a, lines) = Self::parse_csv_lines(text)?;
        a.check(plan, |k| {
            format!("line {}", lines.get(k).copied().unwrap_or(0))
        })?;
        Ok(a)
    }

    /// Parses CSV text like [`Actuals::from_csv_str`] without a plan to
    /// validate against: each row's fields are checked, not what they refer
    /// to (for series that belong to no plan, such as a backtest's data).
    pub fn parse_csv(text: &str) -> Result<Self> {
        Ok(Self::parse_csv_lines(text)?.0)
    }

    /// The parsed rows and the CSV line of each.
    fn parse_csv_lines(text: &str) -> Result<(Self, Vec<u64>)> {
        // Spreadsheets often save UTF-8 with a byte-order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().map_err(csv_error)?.clone();
        let head = header.position().map_or(1, csv::Position::line);
        let mut column = [None; COLUMNS.len()];
        for (j, name) in header.iter().enumerate() {
            let Some(c) = COLUMNS.iter().position(|&n| n == name.trim()) else {
                return Err(Error::Format(format!(
                    "line {head}: unknown column \"{name}\" (expected {})",
                    COLUMNS.join(",")
                )));
            };
            if column[c].replace(j).is_some() {
                return Err(Error::Format(format!(
                    "line {head}: column \"{}\" appears twice",
                    COLUMNS[c]
                )));
            }
        }
        let [
            Some(id_at),
            Some(year_at),
            Some(value_at),
            source_at,
            verified_at,
            at_least_at,
        ] = column
        else {
            let missing = column.iter().position(Option::is_none).unwrap_or(0);
            return Err(Error::Format(format!(
                "line {head}: missing column \"{}\"",
                COLUMNS[missing]
            )));
        };
        let mut observations = Vec::new();
        let mut lines = Vec::new();
        for record in reader.records() {
            let r = record.map_err(csv_error)?;
            let line = r.position().map_or(0, csv::Position::line);
            let field = |j: Option<usize>| j.and_then(|j| r.get(j)).unwrap_or("").trim();
            let id = field(Some(id_at));
            let bad = |name: &str, what: &'static str, got: &str| {
                Error::indicator(
                    id,
                    &format!("line {line}: {name}"),
                    Problem::unreadable(got, what),
                )
            };
            let year = field(Some(year_at));
            let year: i32 = year
                .parse()
                .map_err(|_| bad("year", "a whole year", year))?;
            let value = field(Some(value_at));
            let value: f64 = value.parse().map_err(|_| bad("value", "a number", value))?;
            let verified = match field(verified_at).to_ascii_lowercase().as_str() {
                "" => None,
                "yes" | "true" => Some(true),
                "no" | "false" => Some(false),
                _ => {
                    return Err(bad("verified", "yes/no or true/false", field(verified_at)));
                }
            };
            let at_least = match field(at_least_at).to_ascii_lowercase().as_str() {
                "" | "false" | "no" | "0" => false,
                "true" | "yes" | "1" => true,
                _ => return Err(bad("at_least", "true or false", field(at_least_at))),
            };
            // The source is kept as written (untrimmed) so that it round-trips.
            let source = source_at.and_then(|j| r.get(j)).filter(|s| !s.is_empty());
            observations.push(Observation {
                id: id.to_string(),
                year,
                value,
                source: source.map(str::to_string),
                verified,
                at_least,
            });
            lines.push(line);
        }
        Ok((Actuals { observations }, lines))
    }

    /// The actuals as CSV text with the columns `id,year,value,source,verified`.
    pub fn to_csv_string(&self) -> Result<String> {
        // The header is written even with no rows, so that empty actuals read back.
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        // The at_least column only where a value is a lower bound, so that
        // files without one are written as before.
        let bounds = self.observations.iter().any(|o| o.at_least);
        let columns = if bounds { &COLUMNS[..] } else { &COLUMNS[..5] };
        w.write_record(columns).map_err(Error::codec)?;
        for o in &self.observations {
            w.serialize(CsvRow {
                id: &o.id,
                year: o.year,
                value: o.value,
                source: o.source.as_deref(),
                verified: o.verified.map(|v| if v { "yes" } else { "no" }),
                at_least: bounds.then_some(if o.at_least { "true" } else { "false" }),
            })
            .map_err(Error::codec)?;
        }
        let bytes = w.into_inner().map_err(|e| Error::codec(e.into_error()))?;
        String::from_utf8(bytes).map_err(Error::codec)
    }

    /// Parses and validates TOML text ([`TOML_SHAPE`]).
    pub fn from_toml_str(text: &str, plan: &Plan) -> Result<Self> {
        let a: Actuals = toml::from_str(text).map_err(|e| Error::codec_at(TOML_SHAPE, e))?;
        a.validate(plan)?;
        Ok(a)
    }

    /// Parses and validates JSON text.
    pub fn from_json_str(text: &str, plan: &Plan) -> Result<Self> {
        let a: Actuals = serde_json::from_str(text).map_err(|e| Error::codec_at(JSON_SHAPE, e))?;
        a.validate(plan)?;
        Ok(a)
    }

    /// The actuals as TOML text.
    pub fn to_toml_string(&self) -> Result<String> {
        toml::to_string(self).map_err(Error::codec)
    }

    /// The actuals as JSON text.
    pub fn to_json_string(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(Error::codec)
    }

    /// Loads a file (`.csv`, `.json`, else TOML) and validates it against
    /// `plan`; errors name the file.
    pub fn load(path: impl AsRef<Path>, plan: &Plan) -> Result<Self> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        let parsed = match extension(path).as_str() {
            "csv" => Self::from_csv_str(&text, plan),
            "json" => Self::from_json_str(&text, plan),
            _ => Self::from_toml_str(&text, plan),
        };
        parsed.map_err(|e| e.in_file(path))
    }

    /// Reads a file (`.csv`, `.json`, else TOML) without a plan to validate
    /// against (see [`Actuals::parse_csv`]); errors name the file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        let parsed = match extension(path).as_str() {
            "csv" => Self::parse_csv(&text),
            "json" => serde_json::from_str(&text).map_err(|e| Error::codec_at(JSON_SHAPE, e)),
            _ => toml::from_str(&text).map_err(|e| Error::codec_at(TOML_SHAPE, e)),
        };
        parsed.map_err(|e| e.in_file(path))
    }

    /// Writes the actuals (`.csv`, `.json`, else TOML).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let text = match extension(path).as_str() {
            "csv" => self.to_csv_string()?,
            "json" => self.to_json_string()?,
            _ => self.to_toml_string()?,
        };
        crate::error::write_text(path, &text)
    }
}

/// A structural CSV error (unequal row lengths, bad quoting) with its line.
fn csv_error(e: csv::Error) -> Error {
    match e.position().map(csv::Position::line) {
        Some(line) => Error::codec_at(format!("line {line}"), e),
        None => Error::codec(e),
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}
