//! A plan written back as the table plans print, for a spreadsheet: each
//! target as its phrase ("累计100", "5-10", "倍增"), the years as headers.
//! What a phrase cannot hold (a ratio's series, a tolerance other than the
//! default, the auxiliary series) goes into an [`Overlay`]: importing the
//! table with it gives the plan back, field for field. The round trip is
//! checked, not hoped for: [`export`] imports what it wrote and puts every
//! row that does not come back exactly into the overlay.

use crate::error::{Error, Result};
use crate::import::table::Grid;
use crate::import::{ImportOptions, Overlay, REDUCTION_WORDS, import};
use crate::plan::target::{Direction, Target};
use crate::plan::{Indicator, Plan};

/// A plan as a printed table, and what the table cannot say.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    /// The table.
    pub grid: Grid,
    /// What importing the table needs besides it; empty when nothing.
    pub overlay: Overlay,
}

impl Exported {
    /// Whether the table alone imports to the plan.
    pub fn needs_overlay(&self) -> bool {
        self.overlay != Overlay::default()
    }
}

/// The header of an exported table.
fn header(plan: &Plan) -> Vec<String> {
    [
        "类别".to_string(),
        "序号".into(),
        "id".into(),
        "指标".into(),
        "英文名称".into(),
        format!("{}年", plan.base_year),
        format!("{}年", plan.target_year),
        "年均增长%".into(),
        "属性".into(),
        "备注".into(),
    ]
    .to_vec()
}

/// A number as the shortest text that reads back as it.
fn num(v: f64) -> String {
    format!("{v}")
}

/// Whether a plain number in this row reads as a ceiling (as the importer
/// reads it).
fn plain_direction(ind: &Indicator) -> Direction {
    let negative = ind.stated_growth.as_ref().is_some_and(|g| g.pct < 0.0);
    if negative || REDUCTION_WORDS.iter().any(|w| ind.name_zh.contains(w)) {
        Direction::AtMost
    } else {
        Direction::AtLeast
    }
}

/// The target cell's phrase.
fn phrase(ind: &Indicator) -> String {
    let plain = plain_direction(ind);
    let bounded = |v: f64, d: Direction| {
        if d == plain {
            num(v)
        } else if d == Direction::AtLeast {
            format!("{}以上", num(v))
        } else {
            format!("{}以内", num(v))
        }
    };
    match &ind.target {
        Target::Level { value, direction } => bounded(*value, *direction),
        Target::Approximately { value, .. } => format!("{}左右", num(*value)),
        Target::Growth { .. } => "—".into(),
        Target::Cumulative { total, direction } => format!("累计{}", bounded(*total, *direction)),
        Target::EveryYear { value, direction } => format!("每年{}", bounded(*value, *direction)),
        Target::Milestones { points, .. } => points
            .iter()
            .map(|m| format!("{}年{}", m.year, num(m.value)))
            .collect::<Vec<_>>()
            .join("，"),
        Target::Multiple {
            factor,
            of_year: Some(year),
            ..
        } => format!("是{year}年的{}倍", num(*factor)),
        Target::Multiple {
            factor, direction, ..
        } => match direction {
            Direction::AtLeast if *factor == 2.0 => "倍增".into(),
            Direction::AtLeast => format!("{}倍", num(*factor)),
            Direction::AtMost => format!("下降{}%", num(100.0 - 100.0 * factor)),
        },
        Target::Range { low, high } => format!("{}-{}", num(*low), num(*high)),
        Target::RelativeGrowth { series, about, .. } => {
            if *about {
                format!("与{series}增长基本同步")
            } else {
                format!("高于{series}增长")
            }
        }
        Target::Ratio { value, .. } => num(*value),
        Target::Aggregate { value, .. } => value.map_or_else(|| "—".into(), num),
    }
}

/// The growth cell: the stated rate as printed, or a growth target's rate.
fn growth_cell(ind: &Indicator) -> String {
    match (&ind.stated_growth, &ind.target) {
        (Some(g), _) => g.text.clone(),
        (
            None,
            Target::Growth {
                pct,
                direction,
                about,
                over_plan,
                ..
            },
        ) => match (*over_plan, *about, *direction) {
            // A change over the plan, as the national tables print it: the
            // size of the cut or rise, in the brackets the table's note names.
            (true, _, _) => format!("〔{}〕", num(pct.abs())),
            (false, true, _) => format!("{}左右", num(*pct)),
            (false, false, Direction::AtMost) => format!("<{}", num(*pct)),
            (false, false, Direction::AtLeast) => num(*pct),
        },
        (None, _) => "—".into(),
    }
}

/// The plan as a table and its overlay; importing `grid` with `overlay`
/// gives `plan` back.
pub fn export(plan: &Plan) -> Result<Exported> {
    plan.validate()?;
    let mut cells = vec![vec![plan.name.clone()], header(plan)];
    for ind in &plan.indicators {
        let name = if ind.unit.is_empty() {
            ind.name_zh.clone()
        } else {
            format!("{}（{}）", ind.name_zh, ind.unit)
        };
        cells.push(vec![
            ind.category.clone(),
            ind.no.map_or_else(String::new, |n| n.to_string()),
            ind.id.clone(),
            name,
            ind.name.clone(),
            ind.base.map_or_else(|| "—".into(), num),
            phrase(ind),
            growth_cell(ind),
            ind.attribute.zh().into(),
            ind.note.clone().unwrap_or_default(),
        ]);
    }
    if plan
        .indicators
        .iter()
        .flat_map(Indicator::targets)
        .any(|t| {
            matches!(
                t,
                Target::Growth {
                    over_plan: true,
                    ..
                }
            )
        })
    {
        let years = plan.horizon()?;
        cells.push(vec![format!("注：〔 〕内为{years}年累计数。")]);
    }
    let grid = Grid {
        cells,
        merges: Vec::new(),
    };
    let mut overlay = Overlay {
        series: plan.series.clone(),
        source: plan.source.clone(),
        ..Overlay::default()
    };
    let lenient = ImportOptions {
        lenient: true,
        overlay: Some(overlay.clone()),
        ..ImportOptions::default()
    };
    // Read back row by row: a row that does not come back exactly is given
    // whole in the overlay. A row that cannot be read even leniently (a
    // relative growth whose series is missing) is refused with its cell.
    let back = import(&grid, &lenient);
    let read = back.as_ref().ok();
    for ind in &plan.indicators {
        let same = read
            .and_then(|b| b.plan.indicator(&ind.id))
            .is_some_and(|got| got == ind);
        if !same {
            // The row whole; it names its row by `no`, else `name_zh`, else
            // `id`, the order the overlay matches in.
            overlay
                .rows
                .push(toml::Table::try_from(ind).map_err(Error::codec)?);
        }
    }
    if read.is_some_and(|b| b.plan.name != plan.name) {
        overlay.name = Some(plan.name.clone());
    }
    let out = Exported { grid, overlay };
    // The promise, checked: the table and its overlay give the plan.
    let again = import(
        &out.grid,
        &ImportOptions {
            overlay: Some(out.overlay.clone()),
            ..ImportOptions::default()
        },
    )?;
    if again.plan != *plan {
        let differs = plan
            .indicators
            .iter()
            .zip(&again.plan.indicators)
            .find(|(a, b)| a != b)
            .map_or_else(|| "the plan's fields".to_string(), |(a, _)| a.id.clone());
        return Err(Error::Format(format!(
            "the exported table does not import back to the plan ({differs})"
        )));
    }
    Ok(out)
}

/// A grid as CSV text.
pub fn to_csv(grid: &Grid) -> Result<String> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for row in &grid.cells {
        w.write_record(row)
            .map_err(|e| Error::codec_at("writing the table as CSV", e))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Format(format!("writing the table as CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Format(format!("writing CSV: {e}")))
}

impl Overlay {
    /// The overlay as TOML text, headed by what it is for.
    pub fn to_toml(&self) -> Result<String> {
        let body = toml::to_string(self).map_err(Error::codec)?;
        Ok(format!(
            "# What the exported table cannot say: `attain import TABLE --with` this file\n\
             # gives the plan back. Each [[row]] names a row by `no` (or `name_zh`, or `id`)\n\
             # and replaces the fields it gives.\n\n{body}"
        ))
    }
}
