//! Typed errors: every one names what is wrong, where, and the offending value.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in `attain`. Library code never panics on bad
/// input; it returns one of these, naming the indicator (or series, parameter,
/// file), the field and the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A field of one indicator (or auxiliary series) is invalid.
    #[error("indicator \"{id}\": {field} {problem}")]
    Indicator {
        /// Id of the indicator or series.
        id: String,
        /// Field that is wrong, e.g. `base` or `target.value`.
        field: String,
        /// What is wrong, with the offending value.
        problem: String,
    },
    /// A plan-level field is invalid (years, duplicate ids, ...).
    #[error("plan: {field} {problem}")]
    Plan {
        /// Field that is wrong.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// A numeric argument of a toolkit function or model is invalid.
    #[error("parameter {name}: {problem}")]
    Parameter {
        /// Name of the parameter.
        name: String,
        /// What is wrong, with the offending value.
        problem: String,
    },
    /// An entry of a correlation matrix is invalid.
    #[error("correlation[{row}][{col}] ({row_id}, {col_id}): {problem}")]
    Correlation {
        /// Row index.
        row: usize,
        /// Column index.
        col: usize,
        /// Series of the row.
        row_id: String,
        /// Series of the column.
        col_id: String,
        /// What is wrong.
        problem: String,
    },
    /// A root-finding problem has no solution on the admissible domain.
    #[error("no solution: {0}")]
    NoSolution(String),
    /// A file could not be read or parsed; nothing was loaded from it.
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong (including the inner error's message).
        message: String,
    },
    /// Serialising or parsing text failed.
    #[error("format: {0}")]
    Format(String),
    /// A run was stopped through its [`crate::monitor::Monitor`] before it
    /// finished; no result is returned.
    #[error("cancelled after {done} {unit}")]
    Cancelled {
        /// Work done before the stop.
        done: u64,
        /// What `done` counts: `"paths"` (a simulation), `"series"` (a backtest).
        unit: &'static str,
    },
}

impl Error {
    /// Error about `field` of indicator `id`.
    pub fn indicator(id: &str, field: &str, problem: impl Into<String>) -> Self {
        Error::Indicator {
            id: id.to_string(),
            field: field.to_string(),
            problem: problem.into(),
        }
    }

    /// Error about a plan-level `field`.
    pub fn plan(field: &str, problem: impl Into<String>) -> Self {
        Error::Plan {
            field: field.to_string(),
            problem: problem.into(),
        }
    }

    /// Error about a numeric parameter.
    pub fn parameter(name: &str, problem: impl Into<String>) -> Self {
        Error::Parameter {
            name: name.to_string(),
            problem: problem.into(),
        }
    }

    /// Wraps this error with the file it came from.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        Error::File {
            path: path.into(),
            message: self.to_string(),
        }
    }
}

/// Reads a whole text file, naming it in the error.
pub(crate) fn read_text(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Writes a whole text file, naming it in the error.
pub(crate) fn write_text(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Checks that `value` is finite, naming the parameter otherwise.
pub(crate) fn finite(name: &str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::parameter(
            name,
            format!("must be finite, got {value}"),
        ))
    }
}

/// Checks that `value` is finite and > 0.
pub(crate) fn positive(name: &str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::parameter(name, format!("must be > 0, got {value}")))
    }
}
