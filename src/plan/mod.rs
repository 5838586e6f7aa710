//! The plan model: a table of indicators with base values, stated growth and
//! targets, plus auxiliary series that targets may reference.

pub mod actuals;
pub mod consistency;
pub mod growth;
pub mod in_year;
pub mod path_block;
pub mod progress;
pub mod rule;
pub mod series_index;
pub mod target;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::plan::target::Target;
use series_index::SeriesIndex;

/// Attribute of a plan indicator (属性).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    /// 预期性: an expected, indicative target.
    Expected,
    /// 约束性: a binding target the government commits to.
    Binding,
}

impl Attribute {
    /// The Chinese term used in plan tables.
    pub fn zh(self) -> &'static str {
        match self {
            Attribute::Expected => "预期性",
            Attribute::Binding => "约束性",
        }
    }

    /// The English term.
    pub fn en(self) -> &'static str {
        match self {
            Attribute::Expected => "expected",
            Attribute::Binding => "binding",
        }
    }
}

/// An average annual growth rate as the plan prints it ("12", "7左右").
///
/// The text is kept; the number, its printed precision and any "about" wording
/// are parsed from it, because the precision decides what counts as consistent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StatedGrowth {
    /// The text as printed.
    pub text: String,
    /// The rate in percent.
    pub pct: f64,
    /// Decimal places printed (0 for "12", 1 for "7.5").
    pub decimals: u32,
    /// Whether the text says "about" (左右, 约, about, ~).
    pub about: bool,
}

/// Half-width, in percentage points, of the band an "about" rate allows.
pub const ABOUT_BAND_PP: f64 = 1.0;

impl StatedGrowth {
    /// The band of rates (percent) that print as this text: half a unit of the
    /// last printed digit either side, or [`ABOUT_BAND_PP`] for "about" wording.
    pub fn band_pct(&self) -> (f64, f64) {
        let half = if self.about {
            ABOUT_BAND_PP
        } else {
            0.5 * 10f64.powi(-(self.decimals as i32))
        };
        (self.pct - half, self.pct + half)
    }
}

impl FromStr for StatedGrowth {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let mut s = text.trim().to_string();
        let mut about = false;
        for marker in ["左右", "约", "about", "~", "≈"] {
            if s.contains(marker) {
                about = true;
                s = s.replace(marker, "");
            }
        }
        let s = s.trim().trim_end_matches('%').trim();
        let pct: f64 = s.parse().map_err(|_| {
            Error::parameter("stated_growth", format!("\"{text}\" is not a growth rate"))
        })?;
        if !pct.is_finite() || pct <= -100.0 {
            return Err(Error::parameter(
                "stated_growth",
                format!("must be finite and > -100, got \"{text}\""),
            ));
        }
        let decimals = s.split_once('.').map_or(0, |(_, d)| d.len() as u32);
        Ok(StatedGrowth {
            text: text.to_string(),
            pct,
            decimals,
            about,
        })
    }
}

impl TryFrom<String> for StatedGrowth {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<StatedGrowth> for String {
    fn from(g: StatedGrowth) -> String {
        g.text
    }
}

impl fmt::Display for StatedGrowth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One row of a plan table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable identifier (`trade_total`).
    pub id: String,
    /// Row number in the printed table; `None` for unnumbered rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no: Option<u32>,
    /// Name in English; may be left out (only the id and the fields the
    /// model needs are required).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Name as printed (Chinese); may be left out.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_zh: String,
    /// Unit as printed (亿元, %, 列); may be left out.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// Category as printed (对外贸易).
    #[serde(default)]
    pub category: String,
    /// Expected or binding.
    pub attribute: Attribute,
    /// Base-year value; `None` for growth-only and flow rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<f64>,
    /// Average annual growth as printed; `None` where the plan prints "—".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_growth: Option<StatedGrowth>,
    /// The target.
    pub target: Target,
    /// Further targets on the same series (a level and a cumulative, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_targets: Vec<Target>,
    /// Free text: what the plan prints in the target cell, caveats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Indicator {
    /// All targets of this indicator, the main one first.
    pub fn targets(&self) -> impl Iterator<Item = &Target> {
        std::iter::once(&self.target).chain(&self.extra_targets)
    }

    /// Checks the indicator's own fields and its targets against `plan`.
    pub fn validate(&self, plan: &Plan) -> Result<()> {
        self.validate_in(&plan.index())
    }

    /// [`Indicator::validate`] against a plan's series index.
    pub(crate) fn validate_in(&self, index: &SeriesIndex) -> Result<()> {
        let id = self.id.as_str();
        if let Some(base) = self.base
            && !(base.is_finite() && base >= 0.0)
        {
            return Err(Error::indicator(
                id,
                "base",
                Problem::out_of_range(base, format!(">= 0 for a {} target", self.target.kind())),
            ));
        }
        // A zero base is a count that starts from nothing (new projects,
        // firms attracted): a level, range, total or yearly floor is
        // meaningful, a growth or a multiple of it is not.
        if self.base == Some(0.0) {
            for t in self.targets() {
                if matches!(
                    t,
                    Target::Growth { .. }
                        | Target::RelativeGrowth { .. }
                        | Target::Multiple { of_value: None, .. }
                ) {
                    return Err(Error::indicator(
                        id,
                        "base",
                        Problem::out_of_range(
                            0.0,
                            format!(
                                "> 0 for a {} target (a growth or multiple of zero is undefined; \
                                 a count from nothing takes a level or cumulative target)",
                                t.kind()
                            ),
                        ),
                    ));
                }
            }
        }
        // A row whose own target is a ratio of itself has no parts to be
        // computed from and no model of its own: it would run unsimulated.
        // (An extra target may be a ratio of the row's own series.)
        if let Target::Ratio {
            numerator,
            denominator,
            ..
        } = &self.target
        {
            for (field, part) in [
                ("target.numerator", numerator),
                ("target.denominator", denominator),
            ] {
                if part == id {
                    return Err(Error::indicator(
                        id,
                        field,
                        "must not be the row itself: a ratio row is computed from two other series",
                    ));
                }
            }
        }
        for t in self.targets() {
            if t.needs_base() && self.base.is_none() {
                return Err(Error::indicator(
                    id,
                    "base",
                    format!("is required for a {} target", t.kind()),
                ));
            }
            t.validate(id, index)?;
        }
        Ok(())
    }
}

/// An auxiliary series that targets reference but the plan sets no target for
/// (GDP, the denominator of the trade-dependency ratio).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    /// Stable identifier (`gdp`).
    pub id: String,
    /// Name in English; may be left out.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Name in Chinese.
    #[serde(default)]
    pub name_zh: String,
    /// Unit; may be left out.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// Base-year value.
    pub base: f64,
    /// Growth assumed for it, percent a year (it has no plan target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed_growth_pct: Option<f64>,
    /// Where the base value comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A plan: its years, its indicators and the auxiliary series they reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Name of the plan.
    pub name: String,
    /// Where the table comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Year of the base values (2020 for a 14th Five-Year Plan).
    pub base_year: i32,
    /// Year the targets fall due (2025).
    pub target_year: i32,
    /// The rows of the table, in printed order.
    #[serde(rename = "indicator")]
    pub indicators: Vec<Indicator>,
    /// Auxiliary series.
    #[serde(rename = "series", default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<Series>,
}

impl Plan {
    /// Number of plan years (`target_year - base_year`), checked to be positive.
    pub fn horizon(&self) -> Result<usize> {
        series_index::horizon(self.base_year, self.target_year)
    }

    /// The series as targets resolve against them.
    pub fn index(&self) -> SeriesIndex {
        let series = self
            .indicators
            .iter()
            .map(|i| (i.id.clone(), i.target.target_level()))
            .chain(self.series.iter().map(|s| (s.id.clone(), None)))
            .collect();
        SeriesIndex::new(self.base_year, self.target_year, series)
    }

    /// Ids of all series in index order: indicators first, then auxiliary series.
    pub fn series_ids(&self) -> impl Iterator<Item = &str> {
        self.indicators
            .iter()
            .map(|i| i.id.as_str())
            .chain(self.series.iter().map(|s| s.id.as_str()))
    }

    /// Index of a series (indicator or auxiliary) by id.
    pub fn series_index(&self, id: &str) -> Option<usize> {
        self.series_ids().position(|s| s == id)
    }

    /// Base value of the series at `index`, if it has one.
    pub fn series_base(&self, index: usize) -> Option<f64> {
        match self.indicators.get(index) {
            Some(i) => i.base,
            None => self
                .series
                .get(index - self.indicators.len())
                .map(|s| s.base),
        }
    }

    /// The indicator with this id.
    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// The central growth (percent a year) the plan implies for indicator
    /// `id`: the stated growth where printed, else the growth its main target
    /// implies, else for a growth relative to another series that series'
    /// growth (its own or assumed); `None` for an unknown id or a row that
    /// implies none.
    pub fn growth_pct(&self, id: &str) -> Option<f64> {
        self.growth_pct_within(id, self.series_ids().count())
    }

    /// [`Plan::growth_pct`] following at most `hops` relative-growth links
    /// (a loop of them implies nothing).
    fn growth_pct_within(&self, id: &str, hops: usize) -> Option<f64> {
        let ind = self.indicator(id)?;
        if let Some(g) = &ind.stated_growth {
            return Some(g.pct);
        }
        if let Target::RelativeGrowth { series, .. } = &ind.target {
            let hops = hops.checked_sub(1)?;
            return match self.series.iter().find(|s| &s.id == series) {
                Some(s) => s.assumed_growth_pct,
                None => self.growth_pct_within(series, hops),
            };
        }
        ind.target
            .implied_growth_pct(ind.base, self.horizon().ok()?)
    }

    /// Checks the whole plan: years, unique ids, every indicator and target.
    pub fn validate(&self) -> Result<()> {
        self.horizon()?;
        let mut seen = std::collections::HashSet::new();
        for id in self.series_ids() {
            if id.trim().is_empty() {
                return Err(Error::plan("id", Problem::Empty));
            }
            if !seen.insert(id) {
                return Err(Error::indicator(id, "id", Problem::NotUnique));
            }
        }
        for s in &self.series {
            if !(s.base.is_finite() && s.base > 0.0) {
                return Err(Error::indicator(
                    &s.id,
                    "base",
                    Problem::out_of_range(s.base, "> 0 for a series"),
                ));
            }
            if let Some(g) = s.assumed_growth_pct
                && !(g.is_finite() && g > -100.0)
            {
                return Err(Error::indicator(
                    &s.id,
                    "assumed_growth_pct",
                    Problem::out_of_range(g, "finite and > -100"),
                ));
            }
        }
        let index = self.index();
        for ind in &self.indicators {
            ind.validate_in(&index)?;
        }
        if let Some(path) = self.derivation_cycle() {
            let first = path[0].clone();
            return Err(Error::indicator(&first, "target", Problem::Cycle { path }));
        }
        Ok(())
    }

    /// The first loop of ratio and aggregate rows that derive from each
    /// other (`a -> b -> a`), in plan order; `None` when there is none. Such
    /// rows have no value to start from and would run unsimulated.
    pub fn derivation_cycle(&self) -> Option<Vec<String>> {
        let parts = |id: &str| -> Vec<&str> {
            self.indicator(id)
                .and_then(|i| i.target.derivation(id))
                .map_or_else(Vec::new, |d| d.parts)
        };
        // 0 unseen, 1 on the current path, 2 done: a depth-first search
        // with an explicit stack (a long chain must not overflow the stack).
        let mut state: std::collections::HashMap<&str, u8> = std::collections::HashMap::new();
        for root in self.indicators.iter().map(|i| i.id.as_str()) {
            if state.contains_key(root) {
                continue;
            }
            let mut stack: Vec<(&str, Vec<&str>, usize)> = vec![(root, parts(root), 0)];
            state.insert(root, 1);
            while let Some((node, next, k)) = stack.last_mut() {
                if let Some(&child) = next.get(*k) {
                    *k += 1;
                    match state.get(child).copied().unwrap_or(0) {
                        0 => {
                            state.insert(child, 1);
                            let p = parts(child);
                            stack.push((child, p, 0));
                        }
                        1 => {
                            let from = stack.iter().position(|(n, ..)| *n == child)?;
                            let mut path: Vec<String> =
                                stack[from..].iter().map(|(n, ..)| n.to_string()).collect();
                            path.push(child.to_string());
                            return Some(path);
                        }
                        _ => {}
                    }
                } else {
                    state.insert(*node, 2);
                    stack.pop();
                }
            }
        }
        None
    }

    /// Parses and validates a plan from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let plan: Plan = toml::from_str(text).map_err(|e| {
            let doc = toml::from_str::<serde_json::Value>(text).ok();
            locate_parse_error(doc.as_ref(), e)
        })?;
        plan.validate()?;
        Ok(plan)
    }

    /// Parses and validates a plan from JSON text.
    pub fn from_json_str(text: &str) -> Result<Self> {
        let plan: Plan = serde_json::from_str(text).map_err(|e| {
            let doc = serde_json::from_str::<serde_json::Value>(text).ok();
            locate_parse_error(doc.as_ref(), e)
        })?;
        plan.validate()?;
        Ok(plan)
    }

    /// The plan as TOML text.
    pub fn to_toml_string(&self) -> Result<String> {
        toml::to_string(self).map_err(Error::codec)
    }

    /// The plan as pretty JSON text.
    pub fn to_json_string(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(Error::codec)
    }

    /// Loads a plan file (`.json` as JSON, anything else as TOML). Errors name the
    /// file; nothing is returned unless the whole plan is valid.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        let parsed = if is_json(path) {
            Self::from_json_str(&text)
        } else {
            Self::from_toml_str(&text)
        };
        parsed.map_err(|e| e.in_file(path))
    }

    /// Writes the plan (`.json` as JSON, anything else as TOML).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let text = if is_json(path) {
            self.to_json_string()?
        } else {
            self.to_toml_string()?
        };
        crate::error::write_text(path, &text)
    }
}

/// Turns a parse error into one naming the row (indicator or series) and the
/// field at fault, when the text is well-formed enough to tell: serde's own
/// message names the line and value but not which indicator they belong to.
/// Falls back to [`Error::Codec`] with the parser's error as its source.
fn locate_parse_error<E>(doc: Option<&serde_json::Value>, e: E) -> Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    type Check = fn(&serde_json::Value) -> Option<String>;
    let Some(doc) = doc else {
        return Error::codec(e);
    };
    let message = e.to_string();
    let problem = || format!("is rejected: {}", message.trim_end());
    for (key, check) in [
        ("indicator", row_error::<Indicator> as Check),
        ("series", row_error::<Series>),
    ] {
        let rows = doc.get(key).and_then(serde_json::Value::as_array);
        for (i, row) in rows.into_iter().flatten().enumerate() {
            if check(row).is_some() {
                let id = row
                    .get("id")
                    .and_then(serde_json::Value::as_str)
                    .map_or_else(|| format!("{key}[{i}]"), str::to_string);
                let field = culprit(row, check).unwrap_or_else(|| "row".to_string());
                return Error::indicator(&id, &field, problem());
            }
        }
    }
    match culprit(doc, row_error::<Plan>) {
        Some(field) => Error::plan(&field, problem()),
        None => Error::codec(e),
    }
}

/// The field named by serde's "missing field `x`" message.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split_once('`').map(|(f, _)| f.to_string())
}

/// Why `value` does not deserialize as a `T`, if it does not.
fn row_error<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Option<String> {
    T::deserialize(value).err().map(|e| e.to_string())
}

/// The key of `row` at fault. A missing field is named by serde itself;
/// otherwise it is the key whose removal either fixes the row or leaves only
/// "missing field" for that very key (serde reports a bad value while walking
/// the keys, before it checks for missing ones).
fn culprit(
    row: &serde_json::Value,
    check: fn(&serde_json::Value) -> Option<String>,
) -> Option<String> {
    if let Some(field) = check(row).and_then(|e| missing_field(&e)) {
        return Some(field);
    }
    let obj = row.as_object()?;
    obj.keys()
        .find(|k| {
            let mut rest = obj.clone();
            rest.remove(k.as_str());
            match check(&serde_json::Value::Object(rest)) {
                None => true,
                Some(e) => e.starts_with(&format!("missing field `{k}`")),
            }
        })
        .cloned()
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}
