//! Why the program stopped, and the exit status that says so.

use std::path::Path;

/// A failed command. Every variant carries a message for standard error;
/// none carries a backtrace.
#[derive(Debug)]
pub enum CliError {
    /// Bad input: a file that is missing or wrong, a bad option (exit 2).
    Input(String),
    /// Anything else: writing output, drawing a chart (exit 1).
    Failure(String),
    /// Stopped by Ctrl-C (exit 130, as a shell reports a SIGINT).
    Interrupted(String),
}

impl CliError {
    /// The process exit status.
    pub fn code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Failure(_) => 1,
            CliError::Interrupted(_) => 130,
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        match self {
            CliError::Input(m) | CliError::Failure(m) | CliError::Interrupted(m) => m,
        }
    }

    /// A failure to write `path`.
    pub fn write(path: &Path, e: impl std::fmt::Display) -> Self {
        CliError::Failure(format!("{}: cannot write: {e}", path.display()))
    }
}

impl From<attain::Error> for CliError {
    /// The library's typed errors are about its input (plan, scenario,
    /// actuals, options), except a run stopped on request.
    fn from(e: attain::Error) -> Self {
        match e {
            attain::Error::Cancelled { .. } => CliError::Interrupted(format!("interrupted: {e}")),
            e => CliError::Input(e.to_string()),
        }
    }
}

/// Writes `text` to `path`, creating its directory; failures exit 1.
pub fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| CliError::write(dir, e))?;
    }
    std::fs::write(path, text).map_err(|e| CliError::write(path, e))
}
