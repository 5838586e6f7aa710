//! Typed errors: every one names what is wrong, where, and the offending value.
//!
//! [`Error`] says where (the indicator, plan field, parameter or file);
//! [`Problem`] says what went wrong there, as data a caller can match on
//! (`Problem::NotFinite { .. }`), and its Display is the text after the field's
//! name. Errors from io, TOML, JSON and CSV are kept whole as the
//! [`std::error::Error::source`] of [`Error::File`] and [`Error::Codec`].

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in `attain`. Library code never panics on bad
/// input; it returns one of these, naming the indicator (or series, parameter,
/// file), the field and the problem.
///
/// Errors are `Clone` (a lower-level cause is shared, see [`Cause`]) and
/// `PartialEq`: two errors are equal when they are the same variant with equal
/// fields, causes being compared by their messages.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A field of one indicator (or auxiliary series) is invalid.
    Indicator {
        /// Id of the indicator or series.
        id: String,
        /// Field that is wrong, e.g. `base` or `target.value`.
        field: String,
        /// What is wrong, with the offending value.
        problem: Problem,
    },
    /// A plan-level field is invalid (years, duplicate ids, ...).
    Plan {
        /// Field that is wrong.
        field: String,
        /// What is wrong.
        problem: Problem,
    },
    /// A numeric argument of a toolkit function or model is invalid.
    Parameter {
        /// Name of the parameter.
        name: String,
        /// What is wrong, with the offending value.
        problem: Problem,
    },
    /// An entry of a correlation matrix is invalid.
    Correlation {
        /// Row index.
        row: usize,
        /// Column index.
        col: usize,
        /// Series of the row.
        row_id: String,
        /// Series of the column.
        col_id: String,
        /// What is wrong (boxed: it would make every `Error` larger).
        problem: Box<Problem>,
    },
    /// A cell of an imported table cannot be read as what its column holds.
    Cell {
        /// Row of the table, 1-based as a spreadsheet numbers it.
        row: usize,
        /// The column, by its header as printed (or its letter).
        column: String,
        /// The cell's text as given.
        text: String,
        /// What is wrong.
        problem: Problem,
    },
    /// A root-finding problem has no solution on the admissible domain.
    NoSolution(String),
    /// A file could not be read, written or parsed; nothing was loaded from it.
    File {
        /// The file.
        path: PathBuf,
        /// Why: a [`std::io::Error`] when the file could not be read or
        /// written, else the [`Error`] its content gave.
        source: Cause,
    },
    /// Text is not in the expected shape (a CSV header, a row), found by
    /// `attain` itself; see [`Error::Codec`] for the parsers' own errors.
    Format(String),
    /// A TOML, JSON or CSV reader or writer failed.
    Codec {
        /// Where or what, when known: `line 3`, `writing rows as CSV`.
        context: Option<String>,
        /// The parser's or writer's own error (`toml`, `serde_json`, `csv`).
        source: Cause,
    },
    /// A run would need more memory than its documented limit (see
    /// [`crate::simulate::engine::MAX_RUN_BYTES`]); refused before anything
    /// large is allocated.
    TooLarge {
        /// What is too large, e.g. `"the simulation of 40000 series over 5 plan years"`.
        what: String,
        /// Bytes it would need, estimated.
        needed: u64,
        /// The limit, bytes.
        limit: u64,
        /// How to make it fit.
        hint: String,
    },
    /// A run was stopped through its [`crate::monitor::Monitor`] before it
    /// finished; no result is returned.
    Cancelled {
        /// Work done before the stop.
        done: u64,
        /// What `done` counts: `"paths"` (a simulation), `"series"` (a backtest).
        unit: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Indicator { id, field, problem } => {
                write!(f, "indicator \"{id}\": {field} {problem}")
            }
            Error::Plan { field, problem } => write!(f, "plan: {field} {problem}"),
            Error::Parameter { name, problem } => write!(f, "parameter {name}: {problem}"),
            Error::Correlation {
                row,
                col,
                row_id,
                col_id,
                problem,
            } => write!(
                f,
                "correlation[{row}][{col}] ({row_id}, {col_id}): {problem}"
            ),
            Error::Cell {
                row,
                column,
                text,
                problem,
            } => write!(
                f,
                "row {row}, column \"{column}\": cell \"{text}\" {problem}"
            ),
            Error::NoSolution(why) => write!(f, "no solution: {why}"),
            Error::File { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Format(why) => write!(f, "format: {why}"),
            Error::Codec {
                context: Some(at),
                source,
            } => write!(f, "format: {at}: {source}"),
            Error::Codec {
                context: None,
                source,
            } => write!(f, "format: {source}"),
            Error::Cancelled { done, unit } => write!(f, "cancelled after {done} {unit}"),
            Error::TooLarge {
                what,
                needed,
                limit,
                hint,
            } => write!(
                f,
                "{what} needs about {} MB of memory, more than the limit of {} MB: {hint}",
                needed.div_ceil(1 << 20),
                limit >> 20
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::File { source, .. } | Error::Codec { source, .. } => Some(source.get()),
            _ => None,
        }
    }
}

impl Error {
    /// Error about `field` of indicator `id`.
    pub fn indicator(id: &str, field: &str, problem: impl Into<Problem>) -> Self {
        Error::Indicator {
            id: id.to_string(),
            field: field.to_string(),
            problem: problem.into(),
        }
    }

    /// Error about a plan-level `field`.
    pub fn plan(field: &str, problem: impl Into<Problem>) -> Self {
        Error::Plan {
            field: field.to_string(),
            problem: problem.into(),
        }
    }

    /// Error about a numeric parameter.
    pub fn parameter(name: &str, problem: impl Into<Problem>) -> Self {
        Error::Parameter {
            name: name.to_string(),
            problem: problem.into(),
        }
    }

    /// A TOML, JSON or CSV reader's or writer's error, kept as the source.
    pub fn codec(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Codec {
            context: None,
            source: Cause::new(source),
        }
    }

    /// [`Error::codec`] with where or what it happened (`line 3`).
    pub fn codec_at(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Codec {
            context: Some(context.into()),
            source: Cause::new(source),
        }
    }

    /// Error about the cell of an imported table at `row` (1-based) in
    /// `column`, holding `text`.
    pub fn cell(row: usize, column: &str, text: &str, problem: impl Into<Problem>) -> Self {
        Error::Cell {
            row,
            column: column.to_string(),
            text: text.to_string(),
            problem: problem.into(),
        }
    }

    /// Wraps this error with the file it came from.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        Error::File {
            path: path.into(),
            source: Cause::new(self),
        }
    }

    /// What is wrong, for the errors that name a field: an indicator, plan or
    /// parameter error, also inside a [`Error::File`].
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Error::Indicator { problem, .. }
            | Error::Plan { problem, .. }
            | Error::Parameter { problem, .. }
            | Error::Cell { problem, .. } => Some(problem),
            Error::File { source, .. } => source.downcast_ref::<Error>()?.problem(),
            _ => None,
        }
    }
}

/// The lower-level error behind an [`Error::File`] or [`Error::Codec`]: an io,
/// TOML, JSON or CSV error, or the [`Error`] a file's content gave. It is
/// shared, so that [`Error`] stays `Clone`; two causes are equal when their
/// messages are.
#[derive(Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl Cause {
    /// Wraps `source`.
    pub fn new(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Cause(Arc::new(source))
    }

    /// The error itself (what [`std::error::Error::source`] gives).
    pub fn get(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }

    /// The error as a `T`, if it is one (`std::io::Error`, `toml::de::Error`,
    /// [`Error`], ...).
    pub fn downcast_ref<T: std::error::Error + 'static>(&self) -> Option<&T> {
        self.get().downcast_ref::<T>()
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.to_string() == other.to_string()
    }
}

/// What is wrong with a field or parameter. Display gives the text after the
/// field's name, e.g. `must be > 0, got -3`.
///
/// `need` fields phrase the admissible values as they follow "must be"
/// (`> 0`, `in (-1, 1)`, `finite and >= 0`, `> 0 for a level target`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Problem {
    /// A number is NaN or infinite where a finite one is needed.
    NotFinite {
        /// The offending value.
        got: Value,
        /// What the value must be (`finite`, or the range it misses).
        need: Cow<'static, str>,
    },
    /// A finite number (or a count, a year) lies outside its admissible range.
    OutOfRange {
        /// The offending value.
        got: Value,
        /// The admissible range.
        need: Cow<'static, str>,
    },
    /// A sequence has fewer items than the computation needs.
    TooShort {
        /// Items needed at least.
        need: usize,
        /// Items given.
        got: usize,
        /// What is counted, e.g. `values`.
        what: Cow<'static, str>,
    },
    /// Two sequences that go together differ in length.
    LengthMismatch {
        /// Length of this one.
        got: usize,
        /// What this one holds, e.g. `values`.
        what: Cow<'static, str>,
        /// Length of the one it goes with.
        other: usize,
        /// What that one holds, e.g. `actuals`.
        per: Cow<'static, str>,
    },
    /// A list, table or set holds nothing.
    Empty,
    /// A reference names a series the plan does not have.
    UnknownSeries {
        /// The name as given.
        id: String,
    },
    /// The id itself is not a series of the plan.
    NotInPlan,
    /// An id is used by two rows of the plan.
    NotUnique,
    /// An item (a year, an id) is given twice.
    Repeated {
        /// The item, as written.
        item: String,
    },
    /// Text could not be read as the value it should hold.
    Unreadable {
        /// The text as given.
        text: String,
        /// What it should be, e.g. `a number`.
        need: Cow<'static, str>,
    },
    /// Series derive from each other in a loop.
    Cycle {
        /// The ids along the loop, the first repeated at the end.
        path: Vec<String>,
    },
    /// Anything else, said in words.
    Other(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotFinite { got, need } | Problem::OutOfRange { got, need } => {
                write!(f, "must be {need}, got {got}")
            }
            Problem::TooShort { need, got, what } => {
                write!(f, "needs at least {need} {what}, got {got}")
            }
            Problem::LengthMismatch {
                got,
                what,
                other,
                per,
            } => write!(f, "has {got} {what} for {other} {per}"),
            Problem::Empty => f.write_str("must not be empty"),
            Problem::UnknownSeries { id } => write!(f, "refers to unknown series \"{id}\""),
            Problem::NotInPlan => f.write_str("is not a series of the plan"),
            Problem::NotUnique => f.write_str("is not unique in the plan"),
            Problem::Repeated { item } => write!(f, "{item} is reported twice"),
            Problem::Unreadable { text, need } => write!(f, "must be {need}, got \"{text}\""),
            Problem::Cycle { path } => write!(f, "derives from itself: {}", path.join(" -> ")),
            Problem::Other(why) => f.write_str(why),
        }
    }
}

impl Problem {
    /// `got` is NaN or infinite; it must be finite.
    pub fn not_finite(got: f64) -> Self {
        Problem::NotFinite {
            got: Value::Real(got),
            need: Cow::Borrowed("finite"),
        }
    }

    /// `got` misses the range `need` (`"> 0"`, `"in (-1, 1)"`): a
    /// [`Problem::NotFinite`] when it is NaN or infinite, else a
    /// [`Problem::OutOfRange`]. Either reads `must be {need}, got {got}`.
    pub fn out_of_range(got: impl Into<Value>, need: impl Into<Cow<'static, str>>) -> Self {
        let got = got.into();
        let need = need.into();
        if got.is_finite() {
            Problem::OutOfRange { got, need }
        } else {
            Problem::NotFinite { got, need }
        }
    }

    /// `got` items of `what` where at least `need` are needed.
    pub fn too_short(need: usize, got: usize, what: impl Into<Cow<'static, str>>) -> Self {
        Problem::TooShort {
            need,
            got,
            what: what.into(),
        }
    }

    /// `got` items of `what` for `other` items of `per`.
    pub fn length_mismatch(
        got: usize,
        what: impl Into<Cow<'static, str>>,
        other: usize,
        per: impl Into<Cow<'static, str>>,
    ) -> Self {
        Problem::LengthMismatch {
            got,
            what: what.into(),
            other,
            per: per.into(),
        }
    }

    /// A reference to the series `id`, which the plan does not have.
    pub fn unknown_series(id: impl Into<String>) -> Self {
        Problem::UnknownSeries { id: id.into() }
    }

    /// `item` is given twice.
    pub fn repeated(item: impl fmt::Display) -> Self {
        Problem::Repeated {
            item: item.to_string(),
        }
    }

    /// `text` does not read as `need` (`"a number"`).
    pub fn unreadable(text: impl Into<String>, need: impl Into<Cow<'static, str>>) -> Self {
        Problem::Unreadable {
            text: text.into(),
            need: need.into(),
        }
    }
}

impl From<String> for Problem {
    fn from(why: String) -> Self {
        Problem::Other(why)
    }
}

impl From<&str> for Problem {
    fn from(why: &str) -> Self {
        Problem::Other(why.to_string())
    }
}

/// The offending value of a [`Problem`]: a real number, or a whole one (a
/// count, a year) kept exact. Equal values are the same bits, so a NaN equals
/// itself and an error stays equal to its clone.
#[derive(Debug, Clone, Copy)]
pub enum Value {
    /// A real number.
    Real(f64),
    /// A whole number (a year, a signed count).
    Whole(i64),
    /// A count too large for [`Value::Whole`].
    Count(u64),
}

impl Value {
    /// The value as a float (a huge whole number rounded).
    pub fn as_f64(self) -> f64 {
        match self {
            Value::Real(v) => v,
            Value::Whole(n) => n as f64,
            Value::Count(n) => n as f64,
        }
    }

    /// Whether the value is finite (whole numbers always are).
    pub fn is_finite(self) -> bool {
        match self {
            Value::Real(v) => v.is_finite(),
            Value::Whole(_) | Value::Count(_) => true,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Real(a), Value::Real(b)) => a.to_bits() == b.to_bits(),
            (Value::Whole(a), Value::Whole(b)) => a == b,
            (Value::Count(a), Value::Count(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Real(v) => fmt::Display::fmt(v, f),
            Value::Whole(n) => fmt::Display::fmt(n, f),
            Value::Count(n) => fmt::Display::fmt(n, f),
        }
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

impl<T: Copy + Into<Value>> From<&T> for Value {
    /// A value behind a reference, as call sites often hold it.
    fn from(v: &T) -> Self {
        (*v).into()
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Whole(n.into())
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Whole(n)
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Whole(n.into())
    }
}

impl From<u64> for Value {
    /// A count that fits an `i64` is [`Value::Whole`], so that equal counts
    /// compare equal whatever their type; larger ones are [`Value::Count`].
    fn from(n: u64) -> Self {
        i64::try_from(n).map_or(Value::Count(n), Value::Whole)
    }
}

impl From<usize> for Value {
    fn from(n: usize) -> Self {
        Value::from(n as u64)
    }
}

/// Reads a whole text file, naming it in the error.
pub(crate) fn read_text(path: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::File {
        path: path.to_path_buf(),
        source: Cause::new(e),
    })?;
    // Editors on Windows save UTF-8 with a byte-order mark; the TOML reader
    // skips it, the JSON reader would refuse the file. It is no content.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Writes a whole text file, naming it in the error.
pub(crate) fn write_text(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::File {
        path: path.to_path_buf(),
        source: Cause::new(e),
    })
}

/// Checks that `value` is finite, naming the parameter otherwise.
pub(crate) fn finite(name: &str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::parameter(name, Problem::not_finite(value)))
    }
}

/// Checks that `value` is finite and > 0.
pub(crate) fn positive(name: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::parameter(name, Problem::out_of_range(value, "> 0")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_stays_small() {
        // Results carry it everywhere (clippy's result_large_err is 128 bytes).
        assert!(
            std::mem::size_of::<Error>() <= 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn problems_read_as_before() {
        let p = |x: Problem| x.to_string();
        assert_eq!(p(Problem::not_finite(f64::NAN)), "must be finite, got NaN");
        assert_eq!(p(Problem::out_of_range(-3.0, "> 0")), "must be > 0, got -3");
        assert_eq!(
            p(Problem::out_of_range(usize::MAX, "at most 9")),
            format!("must be at most 9, got {}", usize::MAX)
        );
        assert_eq!(
            p(Problem::too_short(2, 1, "values")),
            "needs at least 2 values, got 1"
        );
        assert_eq!(
            p(Problem::length_mismatch(1, "values", 2, "actuals")),
            "has 1 values for 2 actuals"
        );
        assert_eq!(
            p(Problem::unknown_series("gdp")),
            "refers to unknown series \"gdp\""
        );
        assert_eq!(p(Problem::repeated(2021)), "2021 is reported twice");
        assert_eq!(
            p(Problem::unreadable("abc", "a number")),
            "must be a number, got \"abc\""
        );
        assert_eq!(p("free text".into()), "free text");
        // A non-finite value misses any range as NotFinite.
        assert!(matches!(
            Problem::out_of_range(f64::NEG_INFINITY, "> 0"),
            Problem::NotFinite { .. }
        ));
        assert_eq!(Value::from(3usize), Value::from(3i32));
        assert_eq!(Value::from(&2.5), Value::Real(2.5));
        assert_eq!(Value::from(u64::MAX), Value::Count(u64::MAX));
    }
}
