//! One result, three renderings: a terminal table, CSV and JSON.
//!
//! Every subcommand builds an [`Output`]: a main [`Table`] whose column names
//! are the CSV header and the JSON keys, optional extra tables for the
//! terminal only, and a JSON document carrying the library's full result.
//! Numbers stay numbers until rendered: the table rounds them for reading,
//! CSV and JSON write them in full (shortest round-trip form), so both agree
//! with the library to the bit.

use std::fmt::Write as _;

use attain::Warning;
use attain::number::Short;
use serde_json::{Map, Value, json};
use unicode_width::UnicodeWidthStr;

use attain::simulate::source::Source;

use crate::args::Format;
use crate::error::CliError;

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing (an empty CSV field, JSON null).
    Empty,
    /// A whole number.
    Int(i64),
    /// A real number; the column says how many decimals the table shows.
    Num(f64),
    /// Text.
    Text(String),
    /// A yes/no value (`true`/`false` in CSV and JSON, ✓/✗ in the table).
    Bool(bool),
}

impl Cell {
    /// A number, or empty for `None` and for values that are not finite
    /// (JSON has no NaN, and an empty cell says "no value" in every format).
    pub fn num(v: Option<f64>) -> Cell {
        match v {
            Some(v) if v.is_finite() => Cell::Num(v),
            _ => Cell::Empty,
        }
    }

    /// Text, or empty for `None`.
    pub fn text(v: Option<impl Into<String>>) -> Cell {
        v.map_or(Cell::Empty, |s| Cell::Text(s.into()))
    }

    /// A whole number, or empty for `None`.
    pub fn int(v: Option<impl Into<i64>>) -> Cell {
        v.map_or(Cell::Empty, |i| Cell::Int(i.into()))
    }

    /// A yes/no value, or empty for `None`.
    pub fn bool(v: Option<bool>) -> Cell {
        v.map_or(Cell::Empty, Cell::Bool)
    }

    /// The cell as CSV writes it: full precision.
    fn csv(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Int(i) => i.to_string(),
            Cell::Num(v) => Short(*v).to_string(),
            Cell::Text(s) => s.clone(),
            Cell::Bool(b) => b.to_string(),
        }
    }

    /// The cell as the terminal table shows it.
    fn shown(&self, digits: usize) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Int(i) => i.to_string(),
            // Beyond 1e16 fixed decimals would print every digit.
            Cell::Num(v) if v.abs() >= 1e16 => format!("{v:.digits$e}"),
            Cell::Num(v) => format!("{v:.digits$}"),
            Cell::Text(s) => s.clone(),
            Cell::Bool(true) => "✓".to_string(),
            Cell::Bool(false) => "✗".to_string(),
        }
    }

    fn json(&self) -> Value {
        match self {
            Cell::Empty => Value::Null,
            Cell::Int(i) => json!(i),
            Cell::Num(v) => json!(v),
            Cell::Text(s) => json!(s),
            Cell::Bool(b) => json!(b),
        }
    }

    fn right_aligned(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Num(_))
    }
}

/// A column: its stable machine name and how the terminal table shows it.
#[derive(Debug, Clone)]
pub struct Column {
    /// CSV header and JSON key (snake_case, stable).
    pub name: &'static str,
    /// Heading in the terminal table.
    pub head: &'static str,
    /// Decimals shown in the terminal table.
    pub digits: usize,
    /// Whether the terminal table shows it (CSV and JSON have every column).
    pub shown: bool,
}

/// Shorthand for a column shown in the table.
pub const fn col(name: &'static str, head: &'static str, digits: usize) -> Column {
    Column {
        name,
        head,
        digits,
        shown: true,
    }
}

/// Shorthand for a column in CSV and JSON only.
pub const fn hidden(name: &'static str) -> Column {
    Column {
        name,
        head: name,
        digits: 6,
        shown: false,
    }
}

/// A column and how a row of `R` fills it: a table's columns and its cells
/// come from one list, so they cannot fall out of step.
pub struct Field<R> {
    /// The column.
    pub column: Column,
    /// The row's cell in it.
    pub cell: fn(&R) -> Cell,
}

/// Shorthand for a field shown in the table.
pub const fn field<R>(
    name: &'static str,
    head: &'static str,
    digits: usize,
    cell: fn(&R) -> Cell,
) -> Field<R> {
    Field {
        column: col(name, head, digits),
        cell,
    }
}

/// Shorthand for a field in CSV and JSON only.
pub const fn hidden_field<R>(name: &'static str, cell: fn(&R) -> Cell) -> Field<R> {
    Field {
        column: hidden(name),
        cell,
    }
}

/// A table with a title and notes under it (the notes are for the terminal).
#[derive(Debug, Clone)]
pub struct Table {
    /// Shown above the terminal table.
    pub title: String,
    /// Lines under the title (what the numbers rest on), in the terminal
    /// table and the report.
    pub lead: Vec<String>,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// Lines shown under the terminal table.
    pub notes: Vec<String>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(title: impl Into<String>, columns: Vec<Column>) -> Self {
        Table {
            title: title.into(),
            lead: Vec::new(),
            columns,
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// An empty table with the columns of `fields`.
    pub fn of_fields<R>(title: impl Into<String>, fields: &[Field<R>]) -> Self {
        Table::new(title, fields.iter().map(|f| f.column.clone()).collect())
    }

    /// Adds the row of `fields` (the table's own, [`Table::of_fields`]) for `row`.
    pub fn push_fields<R>(&mut self, fields: &[Field<R>], row: &R) {
        self.push(fields.iter().map(|f| (f.cell)(row)).collect());
    }

    /// Adds a row; its length must match the columns (a programming error
    /// otherwise, caught by the tests of every subcommand).
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "{}", self.title);
        self.rows.push(row);
    }

    /// The table for a terminal: columns padded to their display width (a
    /// CJK character takes two columns), numbers right-aligned.
    pub fn to_text(&self) -> String {
        let shown: Vec<usize> = (0..self.columns.len())
            .filter(|&k| self.columns[k].shown)
            .collect();
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                shown
                    .iter()
                    .map(|&k| r[k].shown(self.columns[k].digits))
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = shown
            .iter()
            .enumerate()
            .map(|(j, &k)| {
                cells
                    .iter()
                    .map(|r| r[j].width())
                    .chain([self.columns[k].head.width()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |texts: &[String], right: &dyn Fn(usize) -> bool| -> String {
            let mut s = String::new();
            for (j, t) in texts.iter().enumerate() {
                let fill = " ".repeat(widths[j].saturating_sub(t.width()));
                if right(j) {
                    s.push_str(&fill);
                    s.push_str(t);
                } else {
                    s.push_str(t);
                    s.push_str(&fill);
                }
                s.push_str("  ");
            }
            s.trim_end().to_string()
        };
        let mut out = String::new();
        if !self.title.is_empty() {
            out.push_str(&self.title);
            out.push('\n');
        }
        for l in &self.lead {
            out.push_str(l);
            out.push('\n');
        }
        let heads: Vec<String> = shown
            .iter()
            .map(|&k| self.columns[k].head.to_string())
            .collect();
        // A column is right-aligned when its first non-empty cell is a number.
        let right: Vec<bool> = shown
            .iter()
            .map(|&k| {
                self.rows
                    .iter()
                    .map(|r| &r[k])
                    .find(|c| **c != Cell::Empty)
                    .is_some_and(Cell::right_aligned)
            })
            .collect();
        let header = line(&heads, &|j| right[j]);
        out.push_str(&header);
        out.push('\n');
        out.push_str(&"-".repeat(header.width()));
        out.push('\n');
        for r in &cells {
            out.push_str(&line(r, &|j| right[j]));
            out.push('\n');
        }
        for n in &self.notes {
            out.push_str(n);
            out.push('\n');
        }
        out
    }

    /// The table as CSV: a header of the column names, every column, numbers
    /// in full.
    pub fn to_csv(&self) -> Result<String, CliError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| CliError::Failure(format!("writing CSV: {e}"));
        w.write_record(self.columns.iter().map(|c| c.name))
            .map_err(fail)?;
        for r in &self.rows {
            w.write_record(r.iter().map(Cell::csv)).map_err(fail)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| CliError::Failure(format!("writing CSV: {e}")))?;
        String::from_utf8(bytes).map_err(|e| CliError::Failure(e.to_string()))
    }

    /// The rows as JSON objects keyed by column name.
    pub fn to_json_rows(&self) -> Value {
        Value::Array(
            self.rows
                .iter()
                .map(|r| {
                    let mut m = Map::new();
                    for (c, v) in self.columns.iter().zip(r) {
                        m.insert(c.name.to_string(), v.json());
                    }
                    Value::Object(m)
                })
                .collect(),
        )
    }

    /// The table as self-contained HTML (`<table>` with escaped cells).
    pub fn to_html(&self) -> String {
        let mut s = String::new();
        for l in &self.lead {
            let _ = writeln!(s, "<p class=\"lead\">{}</p>", escape(l));
        }
        s.push_str("<table>\n<thead><tr>");
        for c in self.columns.iter().filter(|c| c.shown) {
            let _ = write!(s, "<th>{}</th>", escape(c.head));
        }
        s.push_str("</tr></thead>\n<tbody>\n");
        for r in &self.rows {
            s.push_str("<tr>");
            for (c, v) in self.columns.iter().zip(r).filter(|(c, _)| c.shown) {
                let class = if v.right_aligned() {
                    " class=\"n\""
                } else {
                    ""
                };
                let _ = write!(s, "<td{class}>{}</td>", escape(&v.shown(c.digits)));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody>\n</table>\n");
        for n in &self.notes {
            let _ = writeln!(s, "<p class=\"note\">{}</p>", escape(n));
        }
        s
    }
}

/// What a set of probabilities rests on, as every output that prints them
/// says it: the source, and for the plan alone what that means and how to
/// do better.
pub fn source_lines(source: &Source) -> Vec<String> {
    let mut lines = vec![format!("Probabilities rest on: {source}.")];
    match source {
        Source::PlanOnly => lines.push(
            "A plan-consistent baseline, not a forecast: each series' median path is the plan's stated \
             rate, its spread by horizon the stored reference class's (what the calibrated model learns \
             on real panels, data/reference_class.toml). `--history FILE` gives probabilities that rest \
             on data."
                .to_string(),
        ),
        Source::History { .. } => lines.push(
            "Each series with history is simulated from the calibrated model's predictive at its last \
             origin; series without enough history keep the plan-consistent baseline (the notes name any)."
                .to_string(),
        ),
        Source::Scenario { .. } => {}
    }
    lines
}

/// Escapes text for HTML and XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            // Control characters other than tab and newlines are not allowed
            // in XML 1.0, even escaped.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => s.push('\u{fffd}'),
            c => s.push(c),
        }
    }
    s
}

/// What a subcommand produces.
#[derive(Debug, Clone)]
pub struct Output {
    /// The main table: what CSV writes and JSON's `rows`.
    pub table: Table,
    /// Further tables shown after the main one in the terminal only.
    pub extra: Vec<Table>,
    /// The JSON document (an object); `rows` is added from the main table.
    pub json: Map<String, Value>,
    /// What is doubtful (see [`attain::Warning`]): JSON's `warnings`, lines
    /// under the main table (and in the report), standard error in CSV mode.
    pub warnings: Vec<Warning>,
}

impl Output {
    /// An output of these parts, without warnings yet.
    pub fn new(table: Table, extra: Vec<Table>, json: Map<String, Value>) -> Self {
        Output {
            table,
            extra,
            json,
            warnings: Vec::new(),
        }
    }

    /// Adds warnings: kept for JSON and CSV, and shown under the main table.
    pub fn warn(&mut self, warnings: impl IntoIterator<Item = Warning>) {
        for w in warnings {
            if !self.warnings.contains(&w) {
                self.table.notes.push(w.to_string());
                self.warnings.push(w);
            }
        }
    }

    /// Renders in `format`.
    pub fn render(&self, format: Format) -> Result<String, CliError> {
        match format {
            Format::Table => {
                let mut s = self.table.to_text();
                for t in &self.extra {
                    s.push('\n');
                    s.push_str(&t.to_text());
                }
                Ok(s)
            }
            Format::Csv => self.table.to_csv(),
            Format::Json => {
                let mut doc = self.json.clone();
                doc.insert("rows".to_string(), self.table.to_json_rows());
                doc.insert("warnings".to_string(), to_value(&self.warnings)?);
                let mut s = serde_json::to_string_pretty(&Value::Object(doc))
                    .map_err(|e| CliError::Failure(format!("writing JSON: {e}")))?;
                s.push('\n');
                Ok(s)
            }
        }
    }
}

/// The start of every JSON document: the program's version and the command.
pub fn json_head(command: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("attain_version".into(), json!(env!("CARGO_PKG_VERSION")));
    m.insert("command".into(), json!(command));
    m
}

/// Serializes a library value into the JSON document; a failure here is a
/// bug in a `Serialize` impl, reported as a failure, not a panic.
pub fn to_value(v: &impl serde::Serialize) -> Result<Value, CliError> {
    serde_json::to_value(v).map_err(|e| CliError::Failure(format!("writing JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new("t", vec![col("name", "name", 0), col("p", "P", 2)]);
        t.push(vec![Cell::Text("进出口总额".into()), Cell::Num(0.5)]);
        t.push(vec![Cell::Text("ab".into()), Cell::num(Some(0.123456))]);
        t
    }

    #[test]
    fn cjk_names_align_by_display_width() {
        let text = table().to_text();
        let lines: Vec<&str> = text.lines().collect();
        // "进出口总额" is 10 columns wide: "ab" is padded with 8 spaces.
        assert_eq!(lines[1], "name           P");
        assert_eq!(lines[3], "进出口总额  0.50");
        assert_eq!(lines[4], "ab          0.12");
    }

    #[test]
    fn csv_keeps_full_precision_and_json_nulls_empty() {
        let mut t = table();
        t.push(vec![
            Cell::Text("x,\"y\"".into()),
            Cell::num(Some(f64::NAN)),
        ]);
        let csv = t.to_csv().unwrap();
        assert_eq!(
            csv,
            "name,p\n进出口总额,0.5\nab,0.123456\n\"x,\"\"y\"\"\",\n"
        );
        let rows = t.to_json_rows();
        assert_eq!(rows[1]["p"], json!(0.123456));
        assert_eq!(rows[2]["p"], Value::Null);
    }

    #[test]
    fn html_escapes() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{1}b"), "a\u{fffd}b");
    }
}
