//! `attain export`: a plan as a printed table, and the overlay that makes
//! `attain import` give it back.

use std::path::{Path, PathBuf};

use attain::import::export::{export, to_csv};
use attain::import::xlsx;

use super::load_plan as load;
use crate::args::{ExportArgs, TableFormat};
use crate::error::{CliError, write_file};

/// Runs `attain export`.
pub fn run(a: &ExportArgs) -> Result<(), CliError> {
    let plan = load(&a.plan)?;
    let out = export(&plan)?;
    let overlay_path = a.out.as_deref().map(overlay_path);
    if out.needs_overlay() && overlay_path.is_none() {
        return Err(CliError::Input(
            "this plan needs an overlay file beside the table (series, or rows a phrase cannot \
             hold): give --out"
                .into(),
        ));
    }
    match (a.format, &a.out) {
        (TableFormat::Csv, None) => print!("{}", to_csv(&out.grid)?),
        (TableFormat::Csv, Some(path)) => write_file(path, &to_csv(&out.grid)?)?,
        (TableFormat::Xlsx, None) => {
            return Err(CliError::Input(
                "--format xlsx needs --out FILE.xlsx".into(),
            ));
        }
        (TableFormat::Xlsx, Some(path)) => {
            let bytes = xlsx::to_bytes(&out.grid, &a.sheet)?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| CliError::write(dir, e))?;
            }
            std::fs::write(path, bytes).map_err(|e| CliError::write(path, e))?;
        }
    }
    if let (true, Some(o)) = (out.needs_overlay(), &overlay_path) {
        write_file(o, &out.overlay.to_toml()?)?;
        eprintln!(
            "overlay: {} (import with: attain import {} --with {})",
            o.display(),
            a.out.as_deref().map_or(Path::new("-"), |p| p).display(),
            o.display()
        );
    }
    Ok(())
}

/// `dir/table.csv` -> `dir/table.overlay.toml`.
fn overlay_path(table: &Path) -> PathBuf {
    let stem = table
        .file_stem()
        .map_or_else(|| "table".into(), |s| s.to_string_lossy().into_owned());
    table.with_file_name(format!("{stem}.overlay.toml"))
}
