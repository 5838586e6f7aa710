//! Breaking a target down by locality or department (分解到部门和属地): a
//! province's level target split into parts that add up to it, by the parts'
//! base shares or by weights the user gives, written as a plan whose whole is
//! an `aggregate` of its parts, so that `simulate` judges the whole on the
//! parts simulated jointly (with the scenario's correlation between them) and
//! reports P(whole) next to P(each part).
//!
//! # Parts file
//!
//! CSV with a header, columns in any order:
//!
//! - `id,part,base`: the indicator (an id of the plan), the part's name and
//!   its base-year value; each part's share is its base over the parts' sum.
//!   The parts' bases replace the indicator's base (their sum), with a
//!   warning where the plan's base differs from that sum by more than 0.5%.
//! - `id,part,weight`: the same with a weight (any positive number) in place
//!   of the base; each part's share is its weight over the parts' sum, and
//!   its base that share of the indicator's base.
//!
//! A part's target is its share of the whole's level due, so the parts'
//! targets sum to the whole's, and with shares of the base (or a base split by
//! the same weights) every part must grow at the whole's rate. Only targets
//! that set a level in the target year split this way: `level`, `growth` and
//! `multiple` (these two need the indicator's base). A ratio does not add up
//! over parts (split its numerator and denominator instead), and cumulative,
//! every-year, milestone, about, aggregate, range and relative-growth targets
//! are refused with a typed error naming the indicator.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::plan::target::{Direction, Target};
use crate::plan::{Indicator, Plan};
use crate::warning::{Warning, WarningCode};

/// How a parts file sets the parts' shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartsBy {
    /// By the parts' base-year values (`id,part,base`).
    Base,
    /// By weights the user gives (`id,part,weight`).
    Weight,
}

/// One row of a parts file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartRow {
    /// The indicator split (an id of the plan).
    pub id: String,
    /// The part's name (a city, a department).
    pub part: String,
    /// Its base-year value or its weight, as the file's [`PartsBy`] says.
    pub value: f64,
    /// Its CSV line (the header is line 1).
    pub line: u64,
}

/// A parts file: rows, in file order, and what their numbers are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parts {
    /// Bases or weights.
    pub by: PartsBy,
    /// The rows.
    pub rows: Vec<PartRow>,
}

/// One part's target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartTarget {
    /// The indicator split.
    pub id: String,
    /// The part's name.
    pub part: String,
    /// The part's id in the parts plan (`id.part`).
    pub part_id: String,
    /// The share of the whole the part must deliver (the parts' sum to 1).
    pub share: f64,
    /// The part's base-year value (`None` where the indicator has no base).
    pub base: Option<f64>,
    /// The part's level due in the target year.
    pub value: f64,
    /// The side that meets it (the whole's).
    pub direction: Direction,
    /// The growth a year the part needs, percent (the whole's).
    pub growth_pct: Option<f64>,
}

/// Relative difference above which a plan's base and its parts' summed bases
/// are reported as inconsistent.
const BASE_TOLERANCE: f64 = 0.005;

impl Parts {
    /// Reads a parts file (CSV); errors name the file, the line and the column.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        Self::from_csv_str(&text).map_err(|e| e.in_file(path))
    }

    /// Parses CSV text (`id,part,base` or `id,part,weight`). Errors name the
    /// line (the header is line 1) and the column; nothing is half-read.
    pub fn from_csv_str(text: &str) -> Result<Self> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().map_err(csv_error)?.clone();
        let names: Vec<&str> = header.iter().map(str::trim).collect();
        let at = |name: &str| names.iter().position(|&n| n == name);
        for (j, n) in names.iter().enumerate() {
            if !["id", "part", "base", "weight"].contains(n) {
                return Err(Error::Format(format!(
                    "line 1: unknown column \"{n}\" (expected id,part,base or id,part,weight)"
                )));
            }
            if names[..j].contains(n) {
                return Err(Error::Format(format!(
                    "line 1: column \"{n}\" appears twice"
                )));
            }
        }
        let (Some(id_at), Some(part_at)) = (at("id"), at("part")) else {
            return Err(Error::Format(
                "line 1: needs columns id and part (id,part,base or id,part,weight)".into(),
            ));
        };
        let (by, value_at) = match (at("base"), at("weight")) {
            (Some(b), None) => (PartsBy::Base, b),
            (None, Some(w)) => (PartsBy::Weight, w),
            _ => {
                return Err(Error::Format(
                    "line 1: needs exactly one of the columns base and weight".into(),
                ));
            }
        };
        let column = if by == PartsBy::Base {
            "base"
        } else {
            "weight"
        };
        let mut rows = Vec::new();
        let mut seen = BTreeSet::new();
        for record in reader.records() {
            let r = record.map_err(csv_error)?;
            let line = r.position().map_or(0, csv::Position::line);
            let cell = |j: usize| r.get(j).unwrap_or("").trim();
            let id = cell(id_at).to_string();
            let part = cell(part_at).to_string();
            let place = |field: &str| format!("line {line}: {field}");
            if id.is_empty() {
                return Err(Error::plan(&place("id"), Problem::Empty));
            }
            if part.is_empty() {
                return Err(Error::indicator(&id, &place("part"), Problem::Empty));
            }
            let text = cell(value_at);
            let value: f64 = text.parse().map_err(|_| {
                Error::indicator(
                    &id,
                    &place(column),
                    Problem::Unreadable {
                        text: text.to_string(),
                        need: "a number".into(),
                    },
                )
            })?;
            if !(value.is_finite() && value > 0.0) {
                return Err(Error::indicator(
                    &id,
                    &place(column),
                    Problem::out_of_range(value, "finite and > 0"),
                ));
            }
            if !seen.insert((id.clone(), part.clone())) {
                return Err(Error::indicator(
                    &id,
                    &place("part"),
                    Problem::repeated(part.as_str()),
                ));
            }
            rows.push(PartRow {
                id,
                part,
                value,
                line,
            });
        }
        if rows.is_empty() {
            return Err(Error::Format("no rows after the header".into()));
        }
        Ok(Parts { by, rows })
    }

    /// The indicators split, in file order of their first row.
    pub fn ids(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.rows {
            if !out.contains(&r.id.as_str()) {
                out.push(&r.id);
            }
        }
        out
    }
}

/// The level due in the target year of a target that sets one, and its side.
fn level_due(ind: &Indicator, years: usize) -> Result<(f64, Direction)> {
    let need_base = || {
        ind.base.ok_or_else(|| {
            Error::indicator(
                &ind.id,
                "base",
                Problem::Other(format!(
                    "a {} target is split by its level due, which needs the base",
                    ind.target.kind()
                )),
            )
        })
    };
    match &ind.target {
        Target::Level { value, direction } => Ok((*value, *direction)),
        Target::Growth {
            pct,
            direction,
            about,
            ..
        } => {
            let n = i32::try_from(years).unwrap_or(i32::MAX);
            // A change over the plan as its yearly rate; an about rate is
            // approached from below, as an approximate level is.
            let g = ind
                .target
                .implied_growth_pct(ind.base, years)
                .unwrap_or(*pct);
            let side = if *about {
                Direction::AtLeast
            } else {
                *direction
            };
            Ok((need_base()? * (1.0 + g / 100.0).powi(n), side))
        }
        Target::Multiple {
            factor,
            direction,
            of_value,
            ..
        } => Ok((of_value.map_or_else(need_base, Ok)? * factor, *direction)),
        Target::Ratio { .. } => Err(Error::indicator(
            &ind.id,
            "target",
            Problem::Other(
                "a ratio does not add up over parts: split its numerator and denominator \
                 (level targets) instead"
                    .into(),
            ),
        )),
        other @ (Target::Cumulative { .. }
        | Target::Aggregate { .. }
        | Target::EveryYear { .. }
        | Target::Milestones { .. }
        | Target::Approximately { .. }
        | Target::Range { .. }
        | Target::RelativeGrowth { .. }) => Err(Error::indicator(
            &ind.id,
            "target",
            Problem::Other(format!(
                "a {} target is not split into parts (only level, growth and multiple targets are)",
                other.kind()
            )),
        )),
    }
}

/// Splits the plan's indicators named in `parts` into their parts: each
/// part's target (its share of the whole's level due, so that the parts sum
/// to the whole), and the parts plan, in which every split indicator becomes
/// an `aggregate` of its parts with the whole's level due as its value, the
/// parts following it as level targets (`id.part`), and every other row kept
/// as it is. Errors: an id not in the plan, a target that does not split (see
/// the module's notes), a part id the plan already uses. Warnings: a base in
/// the plan that disagrees with the parts' bases.
pub fn split(plan: &Plan, parts: &Parts) -> Result<(Vec<PartTarget>, Plan, Vec<Warning>)> {
    let years = plan.horizon()?;
    let mut targets = Vec::new();
    let mut warnings = Vec::new();
    let ids = parts.ids();
    if let Some(r) = parts.rows.iter().find(|r| plan.indicator(&r.id).is_none()) {
        return Err(Error::indicator(
            &r.id,
            &format!("line {}: id", r.line),
            Problem::NotInPlan,
        ));
    }
    let mut indicators = Vec::new();
    for ind in &plan.indicators {
        if !ids.contains(&ind.id.as_str()) {
            indicators.push(ind.clone());
            continue;
        }
        if !ind.extra_targets.is_empty() {
            warnings.push(Warning::about(
                WarningCode::NotSimulated,
                &ind.id,
                "its extra targets are dropped: the whole is judged on its split target only",
            ));
        }
        let (due, direction) = level_due(ind, years)?;
        let rows: Vec<&PartRow> = parts.rows.iter().filter(|r| r.id == ind.id).collect();
        let sum: f64 = rows.iter().map(|r| r.value).sum();
        let base = match parts.by {
            PartsBy::Base => {
                if let Some(b) = ind.base
                    && (b - sum).abs() > BASE_TOLERANCE * b.abs().max(sum)
                {
                    warnings.push(Warning::about(
                        WarningCode::InconsistentPartsBase,
                        &ind.id,
                        format!(
                            "the plan's base {b} differs from its parts' bases summed ({sum}): \
                             the parts' sum is used"
                        ),
                    ));
                }
                Some(sum)
            }
            PartsBy::Weight => ind.base,
        };
        let growth_pct = base
            .filter(|&b| b > 0.0 && due > 0.0)
            .map(|b| 100.0 * ((due / b).powf(1.0 / years as f64) - 1.0));
        let mut components = Vec::new();
        let mut part_rows = Vec::new();
        for r in rows {
            let share = r.value / sum;
            let part_id = format!("{}.{}", ind.id, r.part);
            if plan.series_index(&part_id).is_some() {
                return Err(Error::indicator(&part_id, "part", Problem::NotUnique));
            }
            let part_base = match parts.by {
                PartsBy::Base => Some(r.value),
                PartsBy::Weight => ind.base.map(|b| b * share),
            };
            let t = PartTarget {
                id: ind.id.clone(),
                part: r.part.clone(),
                part_id: part_id.clone(),
                share,
                base: part_base,
                value: due * share,
                direction,
                growth_pct,
            };
            components.push(part_id.clone());
            part_rows.push(Indicator {
                id: part_id,
                no: None,
                name: format!("{} — {}", ind.name, r.part),
                name_zh: format!("{}（{}）", ind.name_zh, r.part),
                base: part_base,
                // A part grows at the rate the plan states for the whole (the
                // plan-consistent baseline's median), if it states one.
                stated_growth: ind.stated_growth.clone(),
                target: Target::Level {
                    value: t.value,
                    direction,
                },
                extra_targets: Vec::new(),
                note: Some(format!(
                    "{:.4}% of {} ({} target), by {}",
                    100.0 * share,
                    ind.id,
                    ind.target.kind(),
                    if parts.by == PartsBy::Base {
                        "base share"
                    } else {
                        "weight"
                    }
                )),
                ..ind.clone()
            });
            targets.push(t);
        }
        indicators.push(Indicator {
            base,
            target: Target::Aggregate {
                components,
                value: Some(due),
                direction,
            },
            extra_targets: Vec::new(),
            note: Some(format!(
                "the sum of its parts, due {due} ({} target)",
                ind.target.kind()
            )),
            ..ind.clone()
        });
        indicators.extend(part_rows);
    }
    let out = Plan {
        name: format!("{} — by part", plan.name),
        source: Some(format!(
            "split into parts from {}{}",
            plan.name,
            plan.source
                .as_ref()
                .map_or(String::new(), |s| format!(" ({s})"))
        )),
        indicators,
        ..plan.clone()
    };
    out.validate()?;
    Ok((targets, out, warnings))
}

fn csv_error(e: csv::Error) -> Error {
    match e.position().map(csv::Position::line) {
        Some(line) => Error::codec_at(format!("line {line}"), e),
        None => Error::codec(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scenario;
    use crate::simulate::engine::simulate;
    use crate::simulate::normal::normal_cdf;
    use crate::simulate::scenario::CorrelationSpec;

    fn plan(target: &str) -> Plan {
        Plan::from_toml_str(&format!(
            r#"
            name = "province"
            base_year = 2020
            target_year = 2025
            [[indicator]]
            id = "trade"
            name = "Trade"
            name_zh = "进出口"
            unit = "亿元"
            attribute = "expected"
            base = 100
            target = {target}
            [[indicator]]
            id = "odi"
            name = "Outward investment"
            name_zh = "对外投资"
            unit = "亿美元"
            attribute = "expected"
            base = 10
            target = {{ kind = "cumulative", total = 100 }}
            "#
        ))
        .unwrap()
    }

    fn level() -> Plan {
        plan(r#"{ kind = "level", value = 200 }"#)
    }

    #[test]
    fn parts_by_base_sum_to_the_whole() {
        let parts = Parts::from_csv_str("id,part,base\ntrade,a,60\ntrade,b,40\n").unwrap();
        assert_eq!(parts.by, PartsBy::Base);
        let (t, p, w) = split(&level(), &parts).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].share, t[1].share), (0.6, 0.4));
        assert!((t[0].value - 120.0).abs() < 1e-12 && (t[1].value - 80.0).abs() < 1e-12);
        assert!((t[0].value + t[1].value - 200.0).abs() < 1e-12);
        assert_eq!((t[0].base, t[1].base), (Some(60.0), Some(40.0)));
        // Each part must grow as the whole: 2^(1/5) - 1.
        let g = 100.0 * (2f64.powf(0.2) - 1.0);
        assert!((t[0].growth_pct.unwrap() - g).abs() < 1e-9);
        // The plan: trade the aggregate of trade.a and trade.b, odi kept.
        let ids: Vec<&str> = p.indicators.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["trade", "trade.a", "trade.b", "odi"]);
        let whole = p.indicator("trade").unwrap();
        assert_eq!(
            whole.target,
            Target::Aggregate {
                components: vec!["trade.a".into(), "trade.b".into()],
                value: Some(200.0),
                direction: Direction::AtLeast,
            }
        );
        assert_eq!(whole.base, Some(100.0));
        let back = Plan::from_toml_str(&p.to_toml_string().unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn parts_by_weight_split_the_base_and_a_growth_target() {
        let parts = Parts::from_csv_str("part,weight,id\nx,1,trade\ny,3,trade\n").unwrap();
        let (t, _, _) = split(&plan(r#"{ kind = "growth", pct = 10 }"#), &parts).unwrap();
        let due = 100.0 * 1.1f64.powi(5);
        assert_eq!((t[0].share, t[1].share), (0.25, 0.75));
        assert!((t[0].value - due / 4.0).abs() < 1e-9);
        assert!((t[1].value - 0.75 * due).abs() < 1e-9);
        assert_eq!((t[0].base, t[1].base), (Some(25.0), Some(75.0)));
        assert!((t[1].growth_pct.unwrap() - 10.0).abs() < 1e-9);
        // An at-most multiple keeps its side.
        let (t, _, _) = split(
            &plan(r#"{ kind = "multiple", factor = 0.5, direction = "at_most" }"#),
            &parts,
        )
        .unwrap();
        assert_eq!(t[0].direction, Direction::AtMost);
        assert!((t[0].value - 12.5).abs() < 1e-12);
    }

    #[test]
    fn a_base_that_disagrees_is_warned_about() {
        let parts = Parts::from_csv_str("id,part,base\ntrade,a,70\ntrade,b,40\n").unwrap();
        let (t, p, w) = split(&level(), &parts).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, WarningCode::InconsistentPartsBase);
        assert_eq!(p.indicator("trade").unwrap().base, Some(110.0));
        assert!((t[0].value - 200.0 * 70.0 / 110.0).abs() < 1e-9);
    }

    #[test]
    fn what_does_not_split_is_a_typed_error() {
        let bad = |csv: &str| Parts::from_csv_str(csv).unwrap_err().to_string();
        assert!(bad("id,part\ntrade,a\n").contains("exactly one of"));
        assert!(bad("id,part,base,weight\ntrade,a,1,2\n").contains("exactly one of"));
        assert!(bad("id,part,share\n").contains("unknown column \"share\""));
        assert!(bad("id,part,base\n").contains("no rows"));
        let e = bad("id,part,base\ntrade,a,1\ntrade,b,x\n");
        assert!(e.contains("line 3: base") && e.contains("\"x\""), "{e}");
        assert!(bad("id,part,base\ntrade,a,-1\n").contains("line 2: base"));
        assert!(bad("id,part,base\ntrade,a,1\ntrade,a,2\n").contains("line 3: part"));
        let split_err = |target: &str, csv: &str| {
            split(&plan(target), &Parts::from_csv_str(csv).unwrap())
                .unwrap_err()
                .to_string()
        };
        let lv = r#"{ kind = "level", value = 200 }"#;
        let e = split_err(lv, "id,part,base\ntrade,a,1\ngdp,b,2\n");
        assert!(e.contains("gdp") && e.contains("line 3: id"), "{e}");
        let e = split_err(lv, "id,part,base\nodi,a,1\n");
        assert!(e.contains("odi") && e.contains("cumulative"), "{e}");
        let ratio = r#"{ kind = "ratio", numerator = "odi", denominator = "odi", value = 1 }"#;
        assert!(split_err(ratio, "id,part,weight\ntrade,a,1\n").contains("does not add up"));
        let range = r#"{ kind = "range", low = 150, high = 200 }"#;
        assert!(split_err(range, "id,part,weight\ntrade,a,1\n").contains("a range target"));
    }

    /// The parts plan with a log-normal default at 5% volatility, each part's
    /// median growing `shift` points above the plan's rate, the parts
    /// correlated by `rho`.
    fn run(shift: f64, sd: f64, rho: Option<f64>) -> (f64, f64, f64, f64) {
        let parts = Parts::from_csv_str("id,part,base\ntrade,a,60\ntrade,b,40\n").unwrap();
        let (_, p, _) = split(&level(), &parts).unwrap();
        let mut s = Scenario::named("parts");
        s.paths = 20_000;
        s.seed = 7;
        s.default_sd = Some(sd);
        s.growth_shift_pp = shift;
        s.correlation = rho.map(|r| CorrelationSpec {
            ids: vec!["trade.a".into(), "trade.b".into()],
            rows: vec![vec![1.0, r], vec![r, 1.0]],
            repair: false,
        });
        let a = simulate(&p, &s).unwrap();
        let p_of = |id: &str| a.target(id, 0).unwrap().attain.unwrap();
        let whole = p_of("trade");
        (whole.p, p_of("trade.a").p, p_of("trade.b").p, whole.se)
    }

    #[test]
    fn without_noise_the_whole_is_met_exactly_when_its_parts_grow_fast_enough() {
        assert_eq!(run(0.5, 0.0, None), (1.0, 1.0, 1.0, 0.0));
        assert_eq!(run(-0.5, 0.0, None), (0.0, 0.0, 0.0, 0.0));
    }

    #[test]
    fn joint_parts_give_the_closed_form_and_diversify() {
        // Log-normal parts, median 1 point a year above the path: P(part) =
        // Phi(5 ln((1+g+0.01)/(1+g)) / (0.05 sqrt 5)).
        let g = 2f64.powf(0.2) - 1.0;
        let want = normal_cdf(5.0 * ((1.0 + g + 0.01) / (1.0 + g)).ln() / (0.05 * 5f64.sqrt()));
        let (whole, a, b, se) = run(1.0, 0.05, Some(1.0));
        assert!((a - want).abs() < 0.01, "{a} vs {want}");
        // Moving together (one shock), the whole is met exactly when the parts are.
        assert!(
            (whole - a).abs() < 0.005 && (whole - b).abs() < 0.005,
            "{whole} {a} {b}"
        );
        // Independent, they offset each other: the whole is likelier than a part.
        let (whole0, a0, _, se0) = run(1.0, 0.05, None);
        assert!((a0 - want).abs() < 0.01, "{a0} vs {want}");
        assert!(whole0 > a0 + 5.0 * se0.max(se), "{whole0} vs {a0}");
    }
}
