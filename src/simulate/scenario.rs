//! Scenarios: how each indicator is assumed to evolve, how shocks co-move, and
//! how many paths to draw with which seed.
//!
//! A scenario is data (TOML or JSON beside the plan file). Anything it leaves
//! out has a documented default taken from the plan alone, so every plan runs
//! without one: see [`Scenario::default_model`]. That default is a
//! plan-consistent baseline (the stated rate as the median path, the spread
//! of the stored [`ReferenceClass`]), not a forecast: a scenario calibrated on
//! history is what makes a probability rest on data.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::plan::Plan;
use crate::simulate::model::{LogNormal, ModelSpec};
use crate::simulate::reference_class::ReferenceClass;
use crate::simulate::source::Source;
use crate::warning::Warning;

/// The 5% volatility of annual log growth that default models had before the
/// reference class (a convention, not an estimate): a scenario that sets
/// `default_sd = 0.05` gets those log-normal defaults back.
pub const DEFAULT_SD: f64 = 0.05;

/// Number of paths when a scenario names none.
pub const DEFAULT_PATHS: u64 = 100_000;

/// Most paths a run takes: its standard error is then below 1.6e-5 for any
/// probability, finer than any plan figure; more would only run for hours.
pub const MAX_PATHS: u64 = 1_000_000_000;

/// How the engine draws its standard normal shocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// Independent draws.
    #[default]
    Plain,
    /// Antithetic pairs: every draw `z` is followed by `-z`.
    Antithetic,
    /// Latin hypercube: each year's shocks of a chunk are stratified.
    LatinHypercube,
}

/// A correlation matrix as a scenario file writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationSpec {
    /// Series the rows and columns refer to, in order.
    pub ids: Vec<String>,
    /// The matrix, row by row.
    pub rows: Vec<Vec<f64>>,
    /// Repair an invalid matrix to the nearest correlation matrix instead of
    /// failing (the change is reported in the results).
    #[serde(default)]
    pub repair: bool,
}

/// A bad year: with `probability` a path suffers it, and then every listed
/// series falls (or rises) by its impact in `year` and stays shifted after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shock {
    /// Label ("2023 trade slump").
    #[serde(default)]
    pub name: String,
    /// Calendar year the shock hits.
    pub year: i32,
    /// Probability that a path suffers it (1 for a year that is certain).
    pub probability: f64,
    /// Impact on every simulated series, percent of the level (-10 = a 10% fall).
    #[serde(default)]
    pub impact_pct: f64,
    /// Impacts on particular series, overriding `impact_pct`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub impacts_pct: BTreeMap<String, f64>,
}

/// Everything the engine needs besides the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name shown in results ("baseline").
    pub name: String,
    /// Number of paths (the most, when `target_se` is set).
    #[serde(default = "default_paths")]
    pub paths: u64,
    /// Run until every target probability's standard error is below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_se: Option<f64>,
    /// Seed of the random streams.
    #[serde(default)]
    pub seed: u64,
    /// How shocks are drawn.
    #[serde(default)]
    pub sampling: Sampling,
    /// Volatility of annual log growth of the default models: when set, they
    /// are log-normal with this standard deviation; when not, their spread by
    /// horizon is the stored [`ReferenceClass`]'s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_sd: Option<f64>,
    /// Percentage points added to the growth of every default model
    /// (optimistic > 0 > pessimistic).
    #[serde(default)]
    pub growth_shift_pp: f64,
    /// Models by series id; series not named get [`Scenario::default_model`].
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "models_by_id"
    )]
    pub models: BTreeMap<String, ModelSpec>,
    /// Start levels for series the plan gives no base for (row 17's rate).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub starts: BTreeMap<String, f64>,
    /// Correlation of the annual shocks across series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation: Option<CorrelationSpec>,
    /// Bad (or good) years.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shocks: Vec<Shock>,
    /// What the scenario rests on; set by whoever builds or loads it, never
    /// read from the file (a file cannot vouch for its own origin).
    #[serde(skip)]
    pub source: Source,
    /// What is doubtful about how the scenario was built (series a
    /// calibration left to the plan-only baseline); set by whoever builds
    /// it, never read from the file, and carried into every result.
    #[serde(skip)]
    pub warnings: Vec<Warning>,
}

fn default_paths() -> u64 {
    DEFAULT_PATHS
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario::named("baseline")
    }
}

impl Scenario {
    /// An empty scenario: every series gets its default model.
    pub fn named(name: &str) -> Self {
        Scenario {
            name: name.to_string(),
            paths: DEFAULT_PATHS,
            target_se: None,
            seed: 0,
            sampling: Sampling::Plain,
            default_sd: None,
            growth_shift_pp: 0.0,
            source: Source::PlanOnly,
            warnings: Vec::new(),
            models: BTreeMap::new(),
            starts: BTreeMap::new(),
            correlation: None,
            shocks: Vec::new(),
        }
    }

    /// The four named scenarios a plan is usually shown under: baseline,
    /// optimistic (+2 pp growth), pessimistic (-2 pp) and a shock year
    /// (`shock_year`: a 10% fall of every series, as in a trade slump).
    pub fn standard_set(shock_year: i32) -> Vec<Scenario> {
        let mut optimistic = Scenario::named("optimistic");
        optimistic.growth_shift_pp = 2.0;
        let mut pessimistic = Scenario::named("pessimistic");
        pessimistic.growth_shift_pp = -2.0;
        let mut shock = Scenario::named("shock");
        shock.shocks.push(Shock {
            name: format!("{shock_year} slump"),
            year: shock_year,
            probability: 1.0,
            impact_pct: -10.0,
            impacts_pct: BTreeMap::new(),
        });
        vec![Scenario::named("baseline"), optimistic, pessimistic, shock]
    }

    /// Checks the scenario's own fields and its references to `plan`.
    pub fn validate(&self, plan: &Plan) -> Result<()> {
        if self.paths == 0 {
            return Err(Error::parameter("paths", "must be at least 1, got 0"));
        }
        if self.paths > MAX_PATHS {
            return Err(Error::parameter(
                "paths",
                Problem::out_of_range(self.paths, format!("at most {MAX_PATHS}")),
            ));
        }
        if let Some(se) = self.target_se
            && !(se.is_finite() && se > 0.0)
        {
            return Err(Error::parameter(
                "target_se",
                Problem::out_of_range(se, "> 0"),
            ));
        }
        if let Some(sd) = self.default_sd
            && !(sd.is_finite() && sd >= 0.0)
        {
            return Err(Error::parameter(
                "default_sd",
                Problem::out_of_range(sd, ">= 0"),
            ));
        }
        // A shift of -100 pp or less would take every default series to
        // zero or below: no growth rate means that.
        if !(self.growth_shift_pp.is_finite() && self.growth_shift_pp > -100.0) {
            return Err(Error::parameter(
                "growth_shift_pp",
                Problem::out_of_range(self.growth_shift_pp, "finite and > -100"),
            ));
        }
        let known = |id: &str, field: &str| -> Result<()> {
            match plan.series_index(id) {
                Some(_) => Ok(()),
                None => Err(not_in_plan(id, field)),
            }
        };
        // Models are checked when built or loaded; only their ids remain.
        for id in self.models.keys() {
            known(id, "models")?;
            // A ratio or aggregate row is computed from its parts, and its
            // probability judged on them: a model of its own would draw a
            // second, unrelated series whose quantiles disagree with its P.
            if let Some(d) = plan.indicator(id).and_then(|i| i.target.derivation(id)) {
                return Err(Error::indicator(
                    id,
                    "models",
                    format!(
                        "must not name a row computed from its parts ({}, as its {} target \
                         says): model its parts instead",
                        d.parts.join(", "),
                        plan.indicator(id).map_or("derived", |i| i.target.kind()),
                    ),
                ));
            }
        }
        for (id, &v) in &self.starts {
            known(id, "starts")?;
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::indicator(
                    id,
                    "start",
                    Problem::out_of_range(v, "> 0"),
                ));
            }
        }
        for (i, s) in self.shocks.iter().enumerate() {
            let field = format!("shocks[{i}]");
            if s.year <= plan.base_year || s.year > plan.target_year {
                return Err(Error::parameter(
                    &format!("{field}.year"),
                    format!(
                        "must be within the plan years {}..={}, got {}",
                        plan.base_year + 1,
                        plan.target_year,
                        s.year
                    ),
                ));
            }
            if !(0.0..=1.0).contains(&s.probability) {
                return Err(Error::parameter(
                    &format!("{field}.probability"),
                    Problem::out_of_range(s.probability, "in [0, 1]"),
                ));
            }
            for (id, &v) in std::iter::once((&String::new(), &s.impact_pct)).chain(&s.impacts_pct) {
                if !id.is_empty() {
                    known(id, &format!("{field}.impacts_pct"))?;
                }
                if !(v.is_finite() && v > -100.0) {
                    return Err(Error::parameter(
                        &format!("{field}.impact_pct"),
                        Problem::out_of_range(v, "> -100"),
                    ));
                }
            }
        }
        if let Some(c) = &self.correlation {
            let mut seen = std::collections::HashSet::new();
            for id in &c.ids {
                known(id, "correlation.ids")?;
                // Two rows for one series would give it two shocks, and
                // the later row would silently win.
                if !seen.insert(id.as_str()) {
                    return Err(Error::indicator(
                        id,
                        "correlation.ids",
                        "lists the series twice: each series has one row and column",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The model a series gets when the scenario names none, a
    /// plan-consistent baseline: its median path grows at the plan's growth
    /// (shifted by `growth_shift_pp`; auxiliary series at their assumed
    /// rate), and its spread by horizon is the stored [`ReferenceClass`]'s
    /// ([`ReferenceClass::baseline`]), or, where the scenario sets
    /// `default_sd`, that of log-normal annual growth with that volatility.
    /// `None` for series with nothing to go on (flow and milestone rows
    /// without a base); ratio and aggregate rows are computed from their
    /// components instead.
    pub fn default_model(&self, plan: &Plan, index: usize) -> Result<Option<ModelSpec>> {
        let pct = match plan.indicators.get(index) {
            Some(ind) => plan.growth_pct(&ind.id),
            None => index
                .checked_sub(plan.indicators.len())
                .and_then(|k| plan.series.get(k))
                .and_then(|s| s.assumed_growth_pct),
        };
        let Some(pct) = pct else {
            return Ok(None);
        };
        let id = plan.series_ids().nth(index).unwrap_or_default();
        let pct = pct + self.growth_shift_pp;
        if pct <= -100.0 {
            return Err(Error::indicator(
                id,
                "default model",
                format!(
                    "growth {}% after growth_shift_pp {} must be > -100 (a level of 0 or less)",
                    pct - self.growth_shift_pp,
                    self.growth_shift_pp
                ),
            ));
        }
        let named = |e: Error| Error::indicator(id, "default model", e.to_string());
        match self.default_sd {
            Some(sd) => LogNormal::new(pct, sd)
                .map(|m| Some(ModelSpec::LogNormal(m)))
                .map_err(named),
            None => ReferenceClass::baseline(pct)
                .map(|m| Some(ModelSpec::Marginals(m)))
                .map_err(named),
        }
    }

    /// Parses and checks a scenario from TOML text against `plan`.
    pub fn from_toml_str(text: &str, plan: &Plan) -> Result<Self> {
        let models = || match toml::from_str::<toml::Table>(text).ok()?.remove("models") {
            Some(toml::Value::Table(m)) => model_error(m, plan),
            _ => None,
        };
        Self::checked(toml::from_str(text), models, plan)
    }

    /// Parses and checks a scenario from JSON text against `plan`.
    pub fn from_json_str(text: &str, plan: &Plan) -> Result<Self> {
        let models = || match serde_json::from_str::<serde_json::Value>(text).ok()? {
            serde_json::Value::Object(mut o) => match o.remove("models") {
                Some(serde_json::Value::Object(m)) => model_error(m, plan),
                _ => None,
            },
            _ => None,
        };
        Self::checked(serde_json::from_str(text), models, plan)
    }

    /// A parsed scenario checked against `plan`; a parse that failed in its
    /// models says so as [`Scenario::validate`] would (`models` finds that),
    /// any other failure is the parser's error.
    fn checked<E: std::error::Error + Send + Sync + 'static>(
        parsed: std::result::Result<Scenario, E>,
        models: impl FnOnce() -> Option<Error>,
        plan: &Plan,
    ) -> Result<Self> {
        let s = parsed.map_err(|e| models().unwrap_or_else(|| Error::codec(e)))?;
        s.validate(plan)?;
        Ok(s)
    }

    /// Loads a scenario file (`.json` as JSON, else TOML); errors name the file.
    pub fn load(path: impl AsRef<Path>, plan: &Plan) -> Result<Self> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let parsed = if json {
            Self::from_json_str(&text, plan)
        } else {
            Self::from_toml_str(&text, plan)
        };
        parsed.map_err(|e| e.in_file(path))
    }

    /// The scenario as TOML text.
    pub fn to_toml_string(&self) -> Result<String> {
        toml::to_string(self).map_err(Error::codec)
    }
}

/// A series the scenario names that the plan lacks.
fn not_in_plan(id: &str, field: &str) -> Error {
    Error::indicator(id, field, "names a series the plan does not have")
}

/// Why a scenario text that did not parse failed in its models, as the check
/// after parsing reports it: the first model of a series the plan lacks, or
/// whose parameters its constructor refuses, as that series' `model` field;
/// `None` when the models are not the cause (the parser's error then stands,
/// with its line).
fn model_error<'de, V>(models: impl IntoIterator<Item = (String, V)>, plan: &Plan) -> Option<Error>
where
    V: serde::Deserializer<'de>,
{
    models.into_iter().find_map(|(id, v)| {
        if plan.series_index(&id).is_none() {
            return Some(not_in_plan(&id, "models"));
        }
        ModelSpec::deserialize(v)
            .err()
            .map(|e| Error::indicator(&id, "model", e.to_string().trim_end()))
    })
}

/// Loads the models map, naming the series of a model whose parameters its
/// constructor refuses (models check themselves on load).
fn models_by_id<'de, D>(de: D) -> std::result::Result<BTreeMap<String, ModelSpec>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct ById;
    impl<'de> serde::de::Visitor<'de> for ById {
        type Value = BTreeMap<String, ModelSpec>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of series ids to models")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut models = BTreeMap::new();
            while let Some(id) = map.next_key::<String>()? {
                let m = map.next_value::<ModelSpec>().map_err(|e| {
                    serde::de::Error::custom(Error::indicator(&id, "model", e.to_string()))
                })?;
                models.insert(id, m);
            }
            Ok(models)
        }
    }
    de.deserialize_map(ById)
}
