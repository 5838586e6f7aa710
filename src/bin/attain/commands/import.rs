//! `attain import`: a plan table as printed, read into a commented plan.

use attain::import::{ImportOptions, Overlay, import_file};

use crate::args::ImportArgs;
use crate::error::{CliError, write_file};

/// Runs `attain import`: the plan to `--out` (or standard output), each
/// warning and a summary to standard error.
pub fn run(a: &ImportArgs) -> Result<(), CliError> {
    let overlay = match &a.overlay {
        Some(path) => Some(Overlay::load(path)?),
        None => None,
    };
    let options = ImportOptions {
        base_year: a.base_year,
        target_year: a.target_year,
        lenient: a.lenient,
        about_tolerance_pct: a.about_tolerance,
        overlay,
        ..ImportOptions::default()
    };
    let imported = import_file(&a.table, a.sheet.as_deref(), &options)?;
    let text = imported.to_toml()?;
    for w in &imported.warnings {
        eprintln!("{w}");
    }
    match &a.out {
        Some(path) => {
            write_file(path, &text)?;
            eprintln!(
                "{}: {} rows read, {} kept but not simulated; check it with `attain check {}`",
                path.display(),
                imported.plan.indicators.len(),
                imported.unread.len(),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}
