//! Plan tables as printed: a main-indicator table (CSV, or XLSX with the
//! `xlsx` feature) read into a [`Plan`], and a plan written back as one.
//!
//! [`table`] finds the columns and resolves merged cells; [`phrase`] reads
//! each target cell ("累计完成100亿美元", "<5.5"); this module turns a row's
//! phrases, base and name into an [`Indicator`]. What it cannot read is a
//! typed [`Error::Cell`] naming the row, the column and the text, or with
//! [`ImportOptions::lenient`] an [`UnreadRow`] and a [`Warning`]: it never
//! guesses. A row printed with no value ("—") is kept as an unread row in
//! every mode, with a warning. What the table cannot say (an English id, an
//! auxiliary series, that a row is a ratio of two others) comes from an
//! optional [`Overlay`].

pub mod export;
pub mod phrase;
pub mod table;
#[cfg(feature = "xlsx")]
pub mod xlsx;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::plan::series_index::SeriesIndex;
use crate::plan::target::{Direction, Target};
use crate::plan::{Attribute, Indicator, Plan, Series, StatedGrowth};
use crate::warning::{Warning, WarningCode};
use phrase::{Bound, Phrase};
use table::{Column, Grid, Layout};

/// The tolerance, percent of the level, an "about" target ("X左右", or a
/// level whose growth is printed "7左右") is read with unless the user
/// chooses one: about what ±1 point of annual growth
/// ([`crate::plan::ABOUT_BAND_PP`]) does to a level over five years (±4.7%).
pub const DEFAULT_ABOUT_TOLERANCE_PCT: f64 = 5.0;

/// Words in an indicator's name that make a plain number a ceiling, not a
/// floor: reductions and costs (能耗降低, 物流成本, 通关时间).
pub const REDUCTION_WORDS: [&str; 10] = [
    "降低", "下降", "减少", "压减", "减排", "成本", "能耗", "排放", "时间", "时长",
];

/// How a table is read.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// The base year, where the headers print none (or to choose among
    /// several year columns).
    pub base_year: Option<i32>,
    /// The target year, likewise.
    pub target_year: Option<i32>,
    /// Keep a row whose phrase cannot be read as an [`UnreadRow`] with a
    /// warning, instead of failing.
    pub lenient: bool,
    /// Tolerance of "about" targets, percent of the level.
    pub about_tolerance_pct: f64,
    /// The plan's name; default: the title above the header, else "imported plan".
    pub name: Option<String>,
    /// Where the table comes from (the file name).
    pub source: Option<String>,
    /// What the table cannot say, applied to the rows read.
    pub overlay: Option<Overlay>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            base_year: None,
            target_year: None,
            lenient: false,
            about_tolerance_pct: DEFAULT_ABOUT_TOLERANCE_PCT,
            name: None,
            source: None,
            overlay: None,
        }
    }
}

/// What the table cannot say: auxiliary series, and per row the fields to
/// set (an id, an English name, a target the printed cells do not define).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// The plan's name, replacing the table's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where the plan comes from, replacing the file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Auxiliary series the plan's targets reference (GDP).
    #[serde(default)]
    pub series: Vec<Series>,
    /// Each entry names a row by `no` (or by `name_zh` for an unnumbered
    /// row, or else by `id`) and gives plan fields (`id`, `name`, `target`, ...) that replace
    /// what was read.
    #[serde(default, rename = "row")]
    pub rows: Vec<toml::Table>,
}

impl Overlay {
    /// Parses an overlay from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(Error::codec)
    }

    /// Loads an overlay file; errors name it.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        Self::from_toml_str(&text).map_err(|e| e.in_file(path))
    }
}

/// A row kept with its printed text but not simulated: its value is "—" or
/// blank, or (with [`ImportOptions::lenient`]) a phrase could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnreadRow {
    /// Row of the table, 1-based.
    pub row: usize,
    /// The id it would have.
    pub id: String,
    /// Row number as printed.
    pub no: Option<u32>,
    /// Name as printed, without its unit.
    pub name_zh: String,
    /// Unit from the brackets.
    pub unit: String,
    /// Category.
    pub category: String,
    /// The base value where it reads as one.
    pub base: Option<f64>,
    /// The printed cells: (header, text), non-empty ones.
    pub cells: Vec<(String, String)>,
    /// Why it is not simulated.
    pub reason: String,
    /// The note a plan row made of it has: the 备注 cell where the table has
    /// that column, else the printed cells.
    pub note: Option<String>,
}

/// A table read: the plan, the rows it keeps but does not simulate, and
/// what is doubtful.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The plan of every row read.
    pub plan: Plan,
    /// Rows kept but not simulated.
    pub unread: Vec<UnreadRow>,
    /// Warnings: each unread row, each column not read.
    pub warnings: Vec<Warning>,
    /// The tolerance "about" targets were read with, percent.
    pub about_tolerance_pct: f64,
}

/// Reads a table file: `.xlsx`, `.xls` or `.ods` (feature `xlsx`; `sheet`
/// or the first) or CSV. Errors name the file.
pub fn import_file(
    path: impl AsRef<Path>,
    sheet: Option<&str>,
    options: &ImportOptions,
) -> Result<Imported> {
    let path = path.as_ref();
    let grid = read_grid(path, sheet)?;
    let mut options = options.clone();
    if options.source.is_none() {
        options.source = path.file_name().map(|f| f.to_string_lossy().into_owned());
    }
    import(&grid, &options).map_err(|e| e.in_file(path))
}

/// The cells of a table file, as [`import_file`] reads them.
pub fn read_grid(path: &Path, sheet: Option<&str>) -> Result<Grid> {
    let is_sheet = path.extension().is_some_and(|e| {
        ["xlsx", "xlsm", "xls", "ods"]
            .iter()
            .any(|x| e.eq_ignore_ascii_case(x))
    });
    if is_sheet {
        #[cfg(feature = "xlsx")]
        return xlsx::read(path, sheet);
        #[cfg(not(feature = "xlsx"))]
        return Err(Error::Format(format!(
            "{}: reading a spreadsheet (XLSX, XLS, ODS) needs the `xlsx` feature",
            path.display()
        )));
    }
    if sheet.is_some() {
        return Err(Error::parameter(
            "sheet",
            "applies to a spreadsheet (XLSX, XLS, ODS) only, not a CSV",
        ));
    }
    let text = crate::error::read_text(path)?;
    Grid::from_csv_str(&text).map_err(|e| e.in_file(path))
}

/// One row's cells, after merges and carry-down.
struct RowCells<'a> {
    line: usize,
    grid: &'a Grid,
    r: usize,
    layout: &'a Layout,
    /// Every row number the table prints, so that an unnumbered row's id
    /// cannot take a numbered row's.
    numbers: &'a std::collections::BTreeSet<u32>,
}

impl RowCells<'_> {
    fn text(&self, c: Option<usize>) -> &str {
        c.map_or("", |c| self.grid.get(self.r, c).trim())
    }

    fn err(&self, c: usize, problem: impl Into<Problem>) -> Error {
        Error::cell(
            self.line,
            &self.layout.header(c),
            self.grid.get(self.r, c).trim(),
            problem,
        )
    }
}

/// A relative-growth target whose series is named as printed, resolved to
/// an id once every row (and the overlay) is known.
struct Pending {
    indicator: usize,
    target: usize,
    line: usize,
    column: String,
    text: String,
}

/// Reads a table into a plan.
pub fn import(grid: &Grid, options: &ImportOptions) -> Result<Imported> {
    let tol = options.about_tolerance_pct;
    if !(tol.is_finite() && tol >= 0.0) {
        return Err(Error::parameter(
            "about_tolerance_pct",
            Problem::out_of_range(tol, "finite and >= 0"),
        ));
    }
    let raw_layout = table::find_layout(grid)?;
    let mut warnings = Vec::new();
    let (base_col, target_col, base_year, target_year) =
        choose_years(&raw_layout, options, &mut warnings)?;
    let grid = grid.unmerged(raw_layout.header_row, target_col);
    let layout = table::find_layout(&grid)?;
    let brackets_cumulative = grid.cells.iter().flatten().any(|c| {
        // 〔〕 is how the national plans print it.
        (c.contains('[') || c.contains('［') || c.contains('【') || c.contains('〔'))
            && c.contains("累计")
    });
    let title = grid.cells[..layout.first_header_row]
        .iter()
        .flatten()
        .map(|c| c.trim())
        .find(|c| !c.is_empty())
        .map(str::to_string);

    let col = |c: Column| layout.col(c);
    let (cat_col, no_col, name_col) = (col(Column::Category), col(Column::No), col(Column::Name));
    let growth_col = col(Column::Growth);
    if target_col.is_none() && growth_col.is_none() {
        return Err(Error::Format(
            "the header has no target column (a year such as 2025年, 目标) and no growth \
             column (年均增长)"
                .into(),
        ));
    }
    let numbers: std::collections::BTreeSet<u32> = (layout.header_row + 1..grid.cells.len())
        .filter_map(|r| {
            let no = no_col.map_or("", |c| grid.get(r, c).trim());
            match no {
                "" => leading_no(name_col.map_or("", |c| grid.get(r, c))).map(|x| x.0),
                t => t.trim_end_matches(['.', '、']).parse().ok(),
            }
        })
        .collect();
    let mut rows: Vec<(usize, Indicator)> = Vec::new();
    let mut unread: Vec<UnreadRow> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut category = String::new();
    for r in layout.header_row + 1..grid.cells.len() {
        let cells = RowCells {
            line: r + 1,
            grid: &grid,
            r,
            layout: &layout,
            numbers: &numbers,
        };
        let non_empty: Vec<(String, String)> = (0..grid.width())
            .filter(|&c| !grid.get(r, c).trim().is_empty())
            .map(|c| (layout.header(c), grid.get(r, c).trim().to_string()))
            .collect();
        if non_empty.is_empty() {
            continue;
        }
        let name_text = match cells.text(name_col) {
            "" => cells.text(layout.col(Column::Id)),
            t => t,
        };
        let first = non_empty[0].1.as_str();
        if name_text.is_empty() {
            // A note under the table, or a category printed on a row of its own.
            if first.starts_with('注') || first.starts_with("说明") || first.starts_with("资料来源")
            {
                continue;
            }
            if non_empty.len() == 1 && cat_col.is_some_and(|c| !grid.get(r, c).trim().is_empty()) {
                category = first.to_string();
                continue;
            }
            if non_empty.len() == 1 && layout.header(0) == non_empty[0].0 {
                category = first.to_string();
                continue;
            }
            let c = name_col.unwrap_or(0);
            return Err(cells.err(c, "is blank: a row with values needs an indicator name"));
        }
        if let Some(c) = cat_col {
            let t = grid.get(r, c).trim();
            if !t.is_empty() {
                category = t.chars().filter(|c| !c.is_whitespace()).collect();
            }
        }
        let at = Columns {
            base: base_col,
            target: target_col,
            years: (base_year, target_year),
        };
        match read_row(&cells, &layout, at, &category, brackets_cumulative, options) {
            Ok(Read::Row(ind, relative)) => {
                for (k, text, column) in relative {
                    pending.push(Pending {
                        indicator: rows.len(),
                        target: k,
                        line: cells.line,
                        column,
                        text,
                    });
                }
                rows.push((cells.line, *ind));
            }
            Ok(Read::NoValue(mut u)) => {
                u.cells = non_empty;
                u.note = unread_note(&u, &cells, &layout);
                warnings.push(Warning::about(
                    WarningCode::NotSimulated,
                    &u.id,
                    format!("row {}: {}", u.row, u.reason),
                ));
                unread.push(u);
            }
            Err(e) if options.lenient => {
                let u = unread_row(
                    &cells,
                    &layout,
                    name_col,
                    no_col,
                    base_col,
                    &category,
                    &non_empty,
                    e.to_string(),
                );
                warnings.push(Warning::about(
                    WarningCode::UnreadPhrase,
                    &u.id,
                    format!("kept as text, not simulated: {e}"),
                ));
                let u = UnreadRow {
                    note: unread_note(&u, &cells, &layout),
                    ..u
                };
                unread.push(u);
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(o) = &options.overlay {
        apply_overlay(&mut rows, &mut unread, &mut warnings, o)?;
    }
    // "是2019年的6.52倍": the table does not print 2019's value.
    for (line, ind) in &rows {
        if let Target::Multiple {
            factor,
            of_year: Some(year),
            of_value: None,
            ..
        } = &ind.target
        {
            return Err(Error::cell(
                *line,
                "target",
                &ind.note
                    .clone()
                    .unwrap_or_else(|| format!("是{year}年的{factor}倍")),
                Problem::Other(format!(
                    "is a multiple of the {year} value, which the table does not print: \
                     give the row's target with `of_value` in an overlay row"
                )),
            ));
        }
    }
    if rows.is_empty() && unread.is_empty() {
        return Err(Error::Format("the table has a header but no rows".into()));
    }
    let overlay = options.overlay.as_ref();
    let mut plan = Plan {
        name: options
            .name
            .clone()
            .or_else(|| overlay.and_then(|o| o.name.clone()))
            .or(title)
            .unwrap_or_else(|| "imported plan".into()),
        source: overlay
            .and_then(|o| o.source.clone())
            .or_else(|| options.source.clone()),
        base_year,
        target_year,
        indicators: rows.into_iter().map(|r| r.1).collect(),
        series: options
            .overlay
            .as_ref()
            .map(|o| o.series.clone())
            .unwrap_or_default(),
    };
    let unresolved = resolve_relative(&mut plan, &pending, options.lenient)?;
    // Lenient: a row whose relative growth names no series is kept as text
    // (last first, so the earlier indices stay valid).
    let mut unresolved = unresolved;
    unresolved.sort_by_key(|u| std::cmp::Reverse(u.0));
    unresolved.dedup_by_key(|u| u.0);
    for (index, line, reason) in unresolved {
        let ind = plan.indicators.remove(index);
        warnings.push(Warning::about(
            WarningCode::UnreadPhrase,
            &ind.id,
            format!("kept as text, not simulated: {reason}"),
        ));
        unread.push(UnreadRow {
            row: line,
            id: ind.id,
            no: ind.no,
            name_zh: ind.name_zh,
            unit: ind.unit,
            category: ind.category,
            base: ind.base,
            cells: Vec::new(),
            reason,
            note: ind.note,
        });
    }
    unread.sort_by_key(|u| u.row);
    plan.validate()?;
    Ok(Imported {
        plan,
        unread,
        warnings,
        about_tolerance_pct: tol,
    })
}

/// The base and target columns and years: from the year headers, chosen by
/// the options where given; or the 基期/目标 columns with the years given.
fn choose_years(
    layout: &Layout,
    o: &ImportOptions,
    warnings: &mut Vec<Warning>,
) -> Result<(Option<usize>, Option<usize>, i32, i32)> {
    let years = layout.years();
    let find = |y: i32, what: &str| {
        years.iter().find(|x| x.0 == y).map(|x| x.1).ok_or_else(|| {
            Error::parameter(
                what,
                format!(
                    "{y} has no column; the header's years are {:?}",
                    years.iter().map(|x| x.0).collect::<Vec<_>>()
                ),
            )
        })
    };
    let target = match (o.target_year, years.iter().map(|x| x.0).max()) {
        (Some(y), Some(_)) => Some((y, Some(find(y, "target_year")?))),
        (Some(y), None) => Some((y, layout.col(Column::Target))),
        (None, Some(y)) if years.len() >= 2 || layout.col(Column::Base).is_some() => {
            Some((y, Some(find(y, "target_year")?)))
        }
        (None, _) => None,
    };
    let base = match (o.base_year, years.iter().map(|x| x.0).min()) {
        (Some(y), Some(_)) if layout.col(Column::Base).is_none() => {
            Some((y, Some(find(y, "base_year")?)))
        }
        (Some(y), _) => Some((y, layout.col(Column::Base))),
        (None, Some(y)) if target.is_none_or(|t| t.0 != y) => {
            Some((y, Some(find(y, "base_year")?)))
        }
        (None, _) => None,
    };
    let (Some((by, bc)), Some((ty, tc))) = (base, target) else {
        return Err(Error::Format(format!(
            "the header gives {} year column(s) {:?}; the base and target years need two, or \
             --base-year and --target-year",
            years.len(),
            years.iter().map(|x| x.0).collect::<Vec<_>>()
        )));
    };
    if tc.is_none() && layout.col(Column::Growth).is_none() {
        return Err(Error::Format(format!(
            "no column holds the {ty} targets (a {ty}年 or 目标 header)"
        )));
    }
    for (y, c) in &years {
        if Some(*c) != bc && Some(*c) != tc {
            warnings.push(Warning::general(
                WarningCode::UnreadPhrase,
                format!(
                    "column \"{}\" ({y}) is neither the base ({by}) nor the target ({ty}) year and is not read",
                    layout.header(*c)
                ),
            ));
        }
    }
    Ok((bc, tc, by, ty))
}

/// The note of an unread row: its 备注 cell, or without that column the
/// printed cells.
fn unread_note(u: &UnreadRow, cells: &RowCells<'_>, layout: &Layout) -> Option<String> {
    match layout.col(Column::Note) {
        Some(c) => Some(cells.text(Some(c)).to_string()).filter(|t| !t.is_empty()),
        None => {
            let printed: Vec<String> = u.cells.iter().map(|(h, v)| format!("{h}: {v}")).collect();
            Some(printed.join("; "))
        }
    }
}

/// What a row reads as.
enum Read {
    /// An indicator, with its relative-growth targets still to resolve
    /// (target index, cell text, column).
    Row(Box<Indicator>, Vec<(usize, String, String)>),
    /// A row printed with no value.
    NoValue(UnreadRow),
}

#[allow(clippy::too_many_arguments)]
fn unread_row(
    cells: &RowCells<'_>,
    layout: &Layout,
    name_col: Option<usize>,
    no_col: Option<usize>,
    base_col: Option<usize>,
    category: &str,
    non_empty: &[(String, String)],
    reason: String,
) -> UnreadRow {
    let (printed_no, name) = match (cells.text(no_col), leading_no(cells.text(name_col))) {
        ("", Some((n, rest))) => (Some(n), rest),
        (t, _) => (
            t.trim_end_matches(['.', '、']).parse::<u32>().ok(),
            cells.text(name_col),
        ),
    };
    let (name_zh, unit) = table::split_unit(name);
    let no = printed_no;
    let id = row_id(cells, layout, no);
    let base = match phrase::parse(cells.text(base_col), "", false) {
        Ok(Phrase::Level {
            value,
            bound: Bound::Plain,
        }) => Some(value),
        _ => None,
    };
    UnreadRow {
        row: cells.line,
        id,
        no,
        name_zh,
        unit: unit.unwrap_or_default(),
        category: category.to_string(),
        base,
        cells: non_empty.to_vec(),
        reason,
        note: None,
    }
}

/// A row number printed at the start of the name, as the national tables
/// number their rows ("1.国内生产总值", "12、森林覆盖率"), and the name after
/// it; `None` where the name does not start so ("5G基站数").
pub fn leading_no(name: &str) -> Option<(u32, &str)> {
    let name = name.trim_start();
    let digits = name.find(|c: char| !c.is_ascii_digit())?;
    let rest = &name[digits..];
    let rest = ['.', '．', '、']
        .iter()
        .find_map(|sep| rest.strip_prefix(*sep))?
        .trim_start();
    let no = name[..digits].parse().ok()?;
    (!rest.is_empty() && !rest.starts_with(|c: char| c.is_ascii_digit())).then_some((no, rest))
}

/// The id: the id column, else the English name as a slug, else `row_N`
/// with N the printed row number (序号, or the number the name starts
/// with), else for an unnumbered row the table row (as errors count rows);
/// where a printed number is that too, `row_N_unnumbered`.
fn row_id(cells: &RowCells<'_>, layout: &Layout, no: Option<u32>) -> String {
    let id = cells.text(layout.col(Column::Id));
    if !id.is_empty() {
        return id.to_string();
    }
    let english = table::slug(cells.text(layout.col(Column::English)));
    if !english.is_empty() {
        return english;
    }
    match no {
        Some(n) => format!("row_{n}"),
        None => {
            let taken = u32::try_from(cells.line).is_ok_and(|l| cells.numbers.contains(&l));
            if taken {
                format!("row_{}_unnumbered", cells.line)
            } else {
                format!("row_{}", cells.line)
            }
        }
    }
}

/// The base and target columns chosen, and the plan's years.
#[derive(Clone, Copy)]
struct Columns {
    base: Option<usize>,
    target: Option<usize>,
    years: (i32, i32),
}

/// Target `k` of a row (0 the main one), a growth relative to `series`
/// read from column `c`: noted in `relative` with its cell, since the
/// series is resolved only once every row is read.
fn relative_growth(
    relative: &mut Vec<(usize, String, String)>,
    k: usize,
    (cells, layout, c): (&RowCells<'_>, &Layout, Option<usize>),
    series: &str,
    about: bool,
) -> Target {
    relative.push((k, cells.text(c).to_string(), layout.header(c.unwrap_or(0))));
    Target::RelativeGrowth {
        series: series.to_string(),
        about,
        tolerance_pp: crate::plan::ABOUT_BAND_PP,
    }
}

fn read_row(
    cells: &RowCells<'_>,
    layout: &Layout,
    at: Columns,
    category: &str,
    brackets: bool,
    o: &ImportOptions,
) -> Result<Read> {
    let (base_col, target_col) = (at.base, at.target);
    let col = |c: Column| layout.col(c);
    let name_col = col(Column::Name);
    let no_text = cells.text(col(Column::No));
    let (name_no, name) = match leading_no(cells.text(name_col)) {
        Some((n, rest)) if no_text.is_empty() => (Some(n), rest),
        _ => (None, cells.text(name_col)),
    };
    let (name_zh, bracket_unit) = table::split_unit(name);
    let unit = match (bracket_unit, cells.text(col(Column::Unit))) {
        (Some(u), "") => u,
        (None, u) => u.to_string(),
        (Some(u), v) if u == v => u,
        (Some(u), v) => {
            let c = col(Column::Unit).unwrap_or(0);
            return Err(cells.err(
                c,
                format!("contradicts the unit \"{u}\" in the name's brackets, \"{v}\""),
            ));
        }
    };
    let no = if no_text.is_empty() {
        name_no
    } else {
        Some(
            no_text
                .trim_end_matches(['.', '、'])
                .parse::<u32>()
                .map_err(|_| {
                    cells.err(
                        col(Column::No).unwrap_or(0),
                        Problem::unreadable(no_text, "a row number"),
                    )
                })?,
        )
    };
    let id = row_id(cells, layout, no);
    let parse = |c: Option<usize>, unit: &str| -> Result<Phrase> {
        match c {
            None => Ok(Phrase::NoValue),
            Some(c) => phrase::parse(cells.text(Some(c)), unit, brackets)
                .map_err(|why| cells.err(c, Problem::Other(why))),
        }
    };
    let base = match parse(base_col, &unit)? {
        Phrase::NoValue => None,
        Phrase::Level {
            value,
            bound: Bound::Plain,
        } if value > 0.0 => Some(value),
        _ => {
            return Err(cells.err(
                base_col.unwrap_or(0),
                "is not a base value: it must be a positive number, \"—\" or blank",
            ));
        }
    };
    let growth_col = col(Column::Growth);
    let growth = parse(growth_col, "%")?;
    let target = parse(target_col, &unit)?;
    let attr_col = col(Column::Attribute);
    let attr_text = cells.text(attr_col);
    let attribute = match attr_text {
        "" => None,
        t if t.starts_with("预期") => Some(Attribute::Expected),
        t if t.starts_with("约束") => Some(Attribute::Binding),
        t if t.eq_ignore_ascii_case("expected") => Some(Attribute::Expected),
        t if t.eq_ignore_ascii_case("binding") => Some(Attribute::Binding),
        t => {
            return Err(cells.err(
                attr_col.unwrap_or(0),
                Problem::unreadable(t, "预期性 (expected) or 约束性 (binding)"),
            ));
        }
    };
    let gcell = |p: Problem| cells.err(growth_col.unwrap_or(0), p);
    let tcell = |p: Problem| cells.err(target_col.unwrap_or(0), p);
    let reduction = REDUCTION_WORDS.iter().any(|w| name_zh.contains(w))
        || matches!(growth, Phrase::Level { value, .. } if value < 0.0);
    let plain_dir = if reduction {
        Direction::AtMost
    } else {
        Direction::AtLeast
    };
    let dir = |b: Bound| match b {
        Bound::AtLeast => Direction::AtLeast,
        Bound::AtMost => Direction::AtMost,
        Bound::Plain | Bound::About => plain_dir,
    };
    let need_base = |what: &str| -> Result<f64> {
        base.ok_or_else(|| {
            tcell(Problem::Other(format!(
                "is {what}, which needs the base value, and the row prints none"
            )))
        })
    };
    let mut relative: Vec<(usize, String, String)> = Vec::new();
    let stated_growth = match &growth {
        Phrase::Level {
            bound: Bound::Plain | Bound::About,
            ..
        } => Some(
            cells
                .text(growth_col)
                .parse::<StatedGrowth>()
                .map_err(|e| gcell(Problem::Other(e.to_string())))?,
        ),
        _ => None,
    };
    let about_growth = matches!(
        growth,
        Phrase::Level {
            bound: Bound::About,
            ..
        }
    );
    let mut extra = Vec::new();
    let main = match (&target, &growth) {
        (Phrase::NoValue, Phrase::NoValue) => {
            let what = if target_col.is_some() {
                "target"
            } else {
                "growth"
            };
            return Ok(Read::NoValue(UnreadRow {
                row: cells.line,
                id,
                no,
                name_zh,
                unit,
                category: category.to_string(),
                base,
                cells: Vec::new(),
                reason: format!("no {what} value is printed (\"—\" or blank)"),
                note: None,
            }));
        }
        (Phrase::NoValue, Phrase::Level { value, bound }) => growth_target(*value, *bound),
        (Phrase::NoValue, Phrase::Cumulative { total, bound }) => {
            change(&name_zh, &unit, *total, *bound, base, plain_dir)
                .map_err(|w| gcell(Problem::Other(w)))?
        }
        (Phrase::NoValue, Phrase::Relative { series, about }) => relative_growth(
            &mut relative,
            0,
            (cells, layout, growth_col),
            series,
            *about,
        ),
        (Phrase::NoValue, _) => {
            return Err(gcell(Problem::Other(
                "is not a growth rate (a number, \"[X]\", or a growth relative to a series)".into(),
            )));
        }
        (Phrase::Level { value, bound }, _) => {
            if *bound == Bound::About || (about_growth && *bound == Bound::Plain) {
                Target::Approximately {
                    value: *value,
                    tolerance_pct: o.about_tolerance_pct,
                }
            } else {
                Target::Level {
                    value: *value,
                    direction: dir(*bound),
                }
            }
        }
        (Phrase::Cumulative { total, bound }, _) => {
            cumulative(&name_zh, &unit, *total, *bound, base, plain_dir)
                .map_err(|w| tcell(Problem::Other(w)))?
        }
        (Phrase::EveryYear { value, bound }, _) => {
            if *bound == Bound::About {
                return Err(tcell(Problem::Other(
                    "is an approximate yearly flow: no target kind judges it".into(),
                )));
            }
            Target::EveryYear {
                value: *value,
                direction: dir(*bound),
            }
        }
        (Phrase::Growth { pct, bound }, _) => growth_target(*pct, *bound),
        (Phrase::Multiple { factor, of_year }, _) => {
            if of_year.is_none() {
                need_base("a multiple of the base")?;
            }
            // The reference year's value is not in the table: an overlay
            // row gives it, and the plan's check refuses the row without.
            Target::Multiple {
                factor: *factor,
                direction: Direction::AtLeast,
                of_year: *of_year,
                of_value: None,
            }
        }
        (Phrase::PointsUp { points }, _) => Target::Level {
            value: need_base("a rise in points over the base")? + points,
            direction: Direction::AtLeast,
        },
        (Phrase::Decrease { pct }, _) => {
            need_base("a cut from the base")?;
            Target::Multiple {
                factor: (100.0 - pct) / 100.0,
                direction: Direction::AtMost,
                of_year: None,
                of_value: None,
            }
        }
        (Phrase::Milestones(points), _) => Target::Milestones {
            points: points.clone(),
            direction: plain_dir,
        },
        (Phrase::Range { low, high }, _) => {
            extra.push(Target::Level {
                value: *high,
                direction: Direction::AtLeast,
            });
            Target::Range {
                low: *low,
                high: *high,
            }
        }
        (Phrase::Relative { series, about }, _) => relative_growth(
            &mut relative,
            0,
            (cells, layout, target_col),
            series,
            *about,
        ),
    };
    // A growth printed beside a target of another kind is a second promise.
    if let Phrase::Relative { series, about } = &growth
        && !matches!(target, Phrase::NoValue)
    {
        let k = 1 + extra.len();
        extra.push(relative_growth(
            &mut relative,
            k,
            (cells, layout, growth_col),
            series,
            *about,
        ));
    }
    let Some(attribute) = attribute else {
        return Err(cells.err(
            attr_col.unwrap_or(0),
            "is blank: a row with a target needs 预期性 (expected) or 约束性 (binding)",
        ));
    };
    let printed = |c: Option<usize>| {
        let t = cells.text(c);
        (!t.is_empty() && phrase::number(&phrase::normalise(t)).is_none()).then(|| t.to_string())
    };
    // A 备注 column is the note (blank: none); without one, the printed text
    // of a cell that is not a plain number.
    let note = match (col(Column::Note), cells.text(col(Column::Note))) {
        (Some(_), "") => None,
        (None, _) => {
            let parts: Vec<String> = [
                printed(target_col),
                printed(growth_col).filter(|_| stated_growth.is_none()),
            ]
            .into_iter()
            .flatten()
            .filter(|t| t != "—" && t != "-")
            .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        (Some(_), t) => Some(t.to_string()),
    };
    // What the phrase promises must be a valid target on its own (milestone
    // years within the plan, a cut below 100%): said of the cell it came from.
    let from = if matches!(target, Phrase::NoValue) {
        growth_col
    } else {
        target_col
    };
    let index = SeriesIndex::new(
        at.years.0,
        at.years.1,
        vec![(id.clone(), main.target_level())],
    );
    for t in std::iter::once(&main).chain(&extra) {
        if matches!(t, Target::RelativeGrowth { .. }) {
            continue; // its series is resolved once every row is read
        }
        if matches!(
            t,
            Target::Multiple {
                of_year: Some(_),
                of_value: None,
                ..
            }
        ) {
            continue; // its reference value can only come from an overlay
        }
        t.validate(&id, &index).map_err(|e| {
            let problem = e
                .problem()
                .cloned()
                .unwrap_or_else(|| Problem::Other(e.to_string()));
            cells.err(from.unwrap_or(0), problem)
        })?;
    }
    let ind = Indicator {
        id,
        no,
        name: cells.text(col(Column::English)).to_string(),
        name_zh,
        unit,
        category: category.to_string(),
        attribute,
        base,
        stated_growth,
        target: main,
        extra_targets: extra,
        note,
    };
    Ok(Read::Row(Box::new(ind), relative))
}

/// A growth rate as printed ("6.5", ">6.5", "<5.5", "6.5左右"): average
/// annual growth at least (plain or ">"), at most ("<"), or about it within
/// [`crate::plan::ABOUT_BAND_PP`] points, the band stated in the plan.
fn growth_target(pct: f64, bound: Bound) -> Target {
    let about = bound == Bound::About;
    Target::Growth {
        pct,
        direction: if bound == Bound::AtMost {
            Direction::AtMost
        } else {
            Direction::AtLeast
        },
        about,
        tolerance_pp: about.then_some(crate::plan::ABOUT_BAND_PP),
        over_plan: false,
    }
}

/// "[X]" / "累计X" in the growth column (年均/累计): the level's change over
/// the plan, not a sum of yearly values. For a change printed in percent
/// (能耗降低〔13.5〕) a relative change: with a base, a multiple of it; without
/// one, a growth over the plan (the level against the base year's, which
/// needs no base value). For any other unit (人均预期寿命〔1〕岁) the change in
/// that unit, added to the base, which must be printed.
fn change(
    name: &str,
    unit: &str,
    total: f64,
    bound: Bound,
    base: Option<f64>,
    plain: Direction,
) -> std::result::Result<Target, String> {
    if bound == Bound::About {
        return Err("is an approximate change over the plan: no target kind judges it".into());
    }
    if relative_change(name, unit) {
        return cumulative(name, unit, total, bound, base, plain);
    }
    let Some(base) = base else {
        return Err(format!(
            "is a change over the plan in {}, which needs the level in the base year, and the \
             row prints none",
            if unit.is_empty() {
                "the row's unit"
            } else {
                unit
            }
        ));
    };
    let down = plain == Direction::AtMost;
    Ok(Target::Level {
        value: if down { base - total } else { base + total },
        direction: match bound {
            Bound::AtLeast if down => Direction::AtMost,
            Bound::AtMost if down => Direction::AtLeast,
            Bound::AtLeast => Direction::AtLeast,
            Bound::AtMost => Direction::AtMost,
            Bound::Plain | Bound::About => plain,
        },
    })
}

/// Words that make a row in percent a change of a level (能耗降低, 研发经费
///投入增长) rather than a level of its own.
const CHANGE_WORDS: [&str; 6] = ["降低", "下降", "减少", "提高", "增长", "增加"];

/// Whether a row's change over the plan is relative: printed in percent and
/// named by one of [`CHANGE_WORDS`].
fn relative_change(name: &str, unit: &str) -> bool {
    unit == "%" && CHANGE_WORDS.iter().any(|w| name.contains(w))
}

/// "累计X" / "[X]": a total over the plan years, or for a change printed in
/// percent (能耗降低 [13.5]) the level's change over the plan: a multiple of
/// the base where the row prints one, else a growth over the plan.
fn cumulative(
    name: &str,
    unit: &str,
    total: f64,
    bound: Bound,
    base: Option<f64>,
    plain: Direction,
) -> std::result::Result<Target, String> {
    if bound == Bound::About {
        return Err("is an approximate cumulative: no target kind judges it".into());
    }
    if relative_change(name, unit) {
        let down = ["降低", "下降", "减少"].iter().any(|w| name.contains(w));
        if base.is_none() {
            // The level in the target year against the base year's: judged on
            // the series as an index, so the base value is not needed.
            return Ok(Target::Growth {
                pct: if down { -total } else { total },
                direction: if down {
                    Direction::AtMost
                } else {
                    Direction::AtLeast
                },
                about: false,
                tolerance_pp: None,
                over_plan: true,
            });
        }
        return Ok(if down {
            Target::Multiple {
                factor: (100.0 - total) / 100.0,
                direction: Direction::AtMost,
                of_year: None,
                of_value: None,
            }
        } else {
            Target::Multiple {
                factor: (100.0 + total) / 100.0,
                direction: Direction::AtLeast,
                of_year: None,
                of_value: None,
            }
        });
    }
    let direction = match bound {
        Bound::AtLeast => Direction::AtLeast,
        Bound::AtMost => Direction::AtMost,
        Bound::Plain | Bound::About => plain,
    };
    Ok(Target::Cumulative { total, direction })
}

/// Names the series "GDP", "经济" and "地区生产总值" are printed for: a
/// plan's "高于GDP增长" and "与经济增长同步" mean the same series.
const GDP_NAMES: [&str; 5] = ["gdp", "经济", "地区生产总值", "国内生产总值", "生产总值"];

/// Resolves each relative-growth target's printed series to an id of the
/// plan. A series no row or auxiliary series matches is an error naming the
/// cell; with `lenient`, the rows are returned instead (indicator index,
/// table line, the error's text), to be kept as text.
fn resolve_relative(
    plan: &mut Plan,
    pending: &[Pending],
    lenient: bool,
) -> Result<Vec<(usize, usize, String)>> {
    let mut unresolved = Vec::new();
    let candidates: Vec<(String, Vec<String>)> = plan
        .indicators
        .iter()
        .map(|i| {
            (
                i.id.clone(),
                vec![i.id.clone(), i.name.clone(), i.name_zh.clone()],
            )
        })
        .chain(plan.series.iter().map(|s| {
            (
                s.id.clone(),
                vec![s.id.clone(), s.name.clone(), s.name_zh.clone()],
            )
        }))
        .collect();
    let same = |a: &str, b: &str| {
        let (a, b) = (a.to_lowercase(), b.to_lowercase());
        !a.is_empty()
            && (a == b || (GDP_NAMES.contains(&a.as_str()) && GDP_NAMES.contains(&b.as_str())))
    };
    for p in pending {
        let Some(ind) = plan.indicators.get_mut(p.indicator) else {
            continue;
        };
        let own = ind.id.clone();
        let target = if p.target == 0 {
            Some(&mut ind.target)
        } else {
            ind.extra_targets.get_mut(p.target - 1)
        };
        let Some(Target::RelativeGrowth { series, .. }) = target else {
            continue; // replaced by the overlay
        };
        if candidates.iter().any(|(id, _)| id == series) {
            continue;
        }
        let found: Vec<&String> = candidates
            .iter()
            .filter(|(id, names)| *id != own && names.iter().any(|n| same(n, series)))
            .map(|(id, _)| id)
            .collect();
        match found.as_slice() {
            [one] => *series = (*one).clone(),
            [] => {
                let e = Error::cell(
                    p.line,
                    &p.column,
                    &p.text,
                    format!(
                        "names series \"{series}\", which is neither a row of the table nor an \
                         auxiliary series: add it with an overlay's [[series]]"
                    ),
                );
                if !lenient {
                    return Err(e);
                }
                unresolved.push((p.indicator, p.line, e.to_string()));
            }
            _ => {
                return Err(Error::cell(
                    p.line,
                    &p.column,
                    &p.text,
                    format!("names series \"{series}\", which several rows match: {found:?}"),
                ));
            }
        }
    }
    Ok(unresolved)
}

/// Applies an overlay: its series join the plan, each of its rows replaces
/// the fields it gives of the row it names (an unread row becomes a plan row
/// when it gives what a row needs).
fn apply_overlay(
    rows: &mut Vec<(usize, Indicator)>,
    unread: &mut Vec<UnreadRow>,
    warnings: &mut Vec<Warning>,
    o: &Overlay,
) -> Result<()> {
    for (k, row) in o.rows.iter().enumerate() {
        let field = format!("row[{k}]");
        let no = row.get("no").and_then(toml::Value::as_integer);
        let name_zh = row.get("name_zh").and_then(toml::Value::as_str);
        let id = row.get("id").and_then(toml::Value::as_str);
        let matches = |n: Option<u32>, z: &str, i: &str| match (no, name_zh, id) {
            (Some(want), _, _) => n.is_some_and(|n| i64::from(n) == want),
            (None, Some(want), _) => z == want,
            (None, None, Some(want)) => i == want,
            (None, None, None) => false,
        };
        if no.is_none() && name_zh.is_none() && id.is_none() {
            return Err(Error::plan(
                &field,
                "names no row: give `no`, `name_zh` or `id`",
            ));
        }
        let (mut base, at) = if let Some(i) = rows
            .iter()
            .position(|(_, i)| matches(i.no, &i.name_zh, &i.id))
        {
            let v = toml::Table::try_from(&rows[i].1).map_err(Error::codec)?;
            (v, Ok(i))
        } else if let Some(i) = unread.iter().position(|u| matches(u.no, &u.name_zh, &u.id)) {
            let u = &unread[i];
            let mut t = toml::Table::new();
            t.insert("id".into(), u.id.clone().into());
            if let Some(n) = u.no {
                t.insert("no".into(), i64::from(n).into());
            }
            t.insert("name_zh".into(), u.name_zh.clone().into());
            t.insert("unit".into(), u.unit.clone().into());
            t.insert("category".into(), u.category.clone().into());
            if let Some(b) = u.base {
                t.insert("base".into(), b.into());
            }
            if let Some(note) = &u.note {
                t.insert("note".into(), note.clone().into());
            }
            (t, Err(i))
        } else {
            return Err(Error::plan(
                &field,
                format!(
                    "names row {}, which the table does not have",
                    no.map_or_else(
                        || format!("\"{}\"", name_zh.or(id).unwrap_or("")),
                        |n| n.to_string()
                    )
                ),
            ));
        };
        for (key, value) in row {
            base.insert(key.clone(), value.clone());
        }
        let ind: Indicator = base.try_into().map_err(|e: toml::de::Error| {
            Error::plan(&field, format!("is rejected: {}", e.message()))
        })?;
        match at {
            Ok(i) => rows[i].1 = ind,
            Err(i) => {
                // The row is read now: its warning goes, and it takes its
                // printed place.
                let u = unread.remove(i);
                warnings.retain(|w| w.indicator.as_deref() != Some(u.id.as_str()));
                let pos = rows
                    .iter()
                    .position(|(line, _)| *line > u.row)
                    .unwrap_or(rows.len());
                rows.insert(pos, (u.row, ind));
            }
        }
    }
    Ok(())
}

impl Imported {
    /// The plan as a commented TOML file that `attain check`, `simulate`,
    /// `review` and `track` read: a header saying where it comes from and
    /// how "about" was read, the plan, then each unread row and warning as
    /// comments, so that nothing printed is lost.
    pub fn to_toml(&self) -> Result<String> {
        let mut out = String::new();
        let source = self.plan.source.as_deref().unwrap_or("a plan table");
        out.push_str(&format!("# Imported by `attain import` from {source}.\n"));
        out.push_str(
            "# Each row's printed target text is kept in `note`. Check every row before use.\n",
        );
        out.push_str(&format!(
            "# \"左右\" (about) is read as within ±{}% of the level (--about-tolerance).\n",
            self.about_tolerance_pct
        ));
        for w in &self.warnings {
            out.push_str(&format!("# {w}\n"));
        }
        out.push('\n');
        out.push_str(&self.plan.to_toml_string()?);
        if !self.unread.is_empty() {
            out.push_str(
                "\n# ---- rows kept but not simulated: give each a target (or an overlay row) to simulate it\n",
            );
        }
        for u in &self.unread {
            out.push_str(&format!(
                "#\n# row {} ({}{}{}): {}\n",
                u.row,
                u.no.map_or(String::new(), |n| format!("no. {n}, ")),
                u.name_zh,
                if u.unit.is_empty() {
                    String::new()
                } else {
                    format!("（{}）", u.unit)
                },
                u.reason
            ));
            out.push_str(&format!("#   would be id = \"{}\"\n", u.id));
            for (h, v) in &u.cells {
                out.push_str(&format!("#   {h}: {v}\n"));
            }
        }
        Ok(out)
    }
}
