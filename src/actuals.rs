//! Reported values ("actuals") of a plan's series, as read from a statistical
//! release: one value per series and year, gaps allowed.
//!
//! Files are CSV with columns `id,year,value` (optionally `source` and
//! `verified`), or TOML/JSON with the same fields as `[[observation]]`
//! records. Every reader validates against the plan and returns either the
//! whole set or a typed error naming the file, the row and the field.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::target::Target;

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
}

/// The reported values of a plan's series.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actuals {
    /// The values, in file order.
    #[serde(rename = "observation", default)]
    pub observations: Vec<Observation>,
}

/// A CSV record as written: `verified` may read yes/no or true/false.
#[derive(Debug, Serialize, Deserialize)]
struct CsvRow {
    id: String,
    year: i32,
    value: f64,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    verified: Option<String>,
}

impl Actuals {
    /// Checks every observation against `plan`; `row` numbers count from 1
    /// in file order (CSV: the header is line 1, so row k is line k + 1).
    pub fn validate(&self, plan: &Plan) -> Result<()> {
        let mut seen = BTreeSet::new();
        for (k, o) in self.observations.iter().enumerate() {
            let row = format!("row {}", k + 1);
            let Some(index) = plan.series_index(&o.id) else {
                return Err(Error::indicator(
                    &o.id,
                    &format!("{row}: id"),
                    "is not a series of the plan",
                ));
            };
            if o.year < plan.base_year || o.year > plan.target_year {
                return Err(Error::indicator(
                    &o.id,
                    &format!("{row}: year"),
                    format!(
                        "must be within the plan years {}..={}, got {}",
                        plan.base_year, plan.target_year, o.year
                    ),
                ));
            }
            // Flows (projects a year) may be zero; levels must be positive.
            let flow = matches!(
                plan.indicators.get(index).map(|i| &i.target),
                Some(Target::EveryYear { .. })
            );
            let ok = o.value.is_finite() && (o.value > 0.0 || (flow && o.value == 0.0));
            if !ok {
                let need = if flow { ">= 0" } else { "> 0" };
                return Err(Error::indicator(
                    &o.id,
                    &format!("{row}: value"),
                    format!("must be finite and {need}, got {}", o.value),
                ));
            }
            if !seen.insert((o.id.as_str(), o.year)) {
                return Err(Error::indicator(
                    &o.id,
                    &format!("{row}: year"),
                    format!("{} is reported twice", o.year),
                ));
            }
        }
        Ok(())
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
        let years = (plan.target_year - plan.base_year).max(0) as usize;
        let mut v: Vec<Option<f64>> = (0..=years)
            .map(|t| self.value(id, plan.base_year + t as i32))
            .collect();
        if let (Some(first), Some(i)) = (v.first_mut(), plan.series_index(id))
            && first.is_none()
        {
            *first = plan.series_base(i);
        }
        v
    }

    /// Parses and validates CSV text (`id,year,value[,source][,verified]`).
    pub fn from_csv_str(text: &str, plan: &Plan) -> Result<Self> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut observations = Vec::new();
        for record in reader.deserialize::<CsvRow>() {
            let r = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                Error::Format(format!("line {line}: {e}"))
            })?;
            let verified = match r.verified.as_deref().map(str::trim) {
                None | Some("") => None,
                Some("yes" | "true") => Some(true),
                Some("no" | "false") => Some(false),
                Some(other) => {
                    return Err(Error::indicator(
                        &r.id,
                        &format!("row {}: verified", observations.len() + 1),
                        format!("must be yes/no or true/false, got \"{other}\""),
                    ));
                }
            };
            observations.push(Observation {
                id: r.id,
                year: r.year,
                value: r.value,
                source: r.source.filter(|s| !s.is_empty()),
                verified,
            });
        }
        let a = Actuals { observations };
        a.validate(plan)?;
        Ok(a)
    }

    /// The actuals as CSV text with the columns `id,year,value,source,verified`.
    pub fn to_csv_string(&self) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        for o in &self.observations {
            w.serialize(CsvRow {
                id: o.id.clone(),
                year: o.year,
                value: o.value,
                source: o.source.clone(),
                verified: o.verified.map(|v| if v { "yes" } else { "no" }.to_string()),
            })
            .map_err(|e| Error::Format(e.to_string()))?;
        }
        let bytes = w.into_inner().map_err(|e| Error::Format(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| Error::Format(e.to_string()))
    }

    /// Parses and validates TOML text.
    pub fn from_toml_str(text: &str, plan: &Plan) -> Result<Self> {
        let a: Actuals = toml::from_str(text).map_err(|e| Error::Format(e.to_string()))?;
        a.validate(plan)?;
        Ok(a)
    }

    /// Parses and validates JSON text.
    pub fn from_json_str(text: &str, plan: &Plan) -> Result<Self> {
        let a: Actuals = serde_json::from_str(text).map_err(|e| Error::Format(e.to_string()))?;
        a.validate(plan)?;
        Ok(a)
    }

    /// The actuals as TOML text.
    pub fn to_toml_string(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::Format(e.to_string()))
    }

    /// The actuals as JSON text.
    pub fn to_json_string(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Format(e.to_string()))
    }

    /// Loads a file (`.csv`, `.json`, else TOML) and validates it against
    /// `plan`; errors name the file.
    pub fn load(path: impl AsRef<Path>, plan: &Plan) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let parsed = match extension(path).as_str() {
            "csv" => Self::from_csv_str(&text, plan),
            "json" => Self::from_json_str(&text, plan),
            _ => Self::from_toml_str(&text, plan),
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
        std::fs::write(path, text).map_err(|e| Error::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}
