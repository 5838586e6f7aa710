//! Writes the reference class of the plan-only baseline,
//! `data/reference_class.toml`: what the calibrated model learns on the real
//! panels in `data/panels` (each panel fitted on its own), per horizon 1 to
//! 10 the predictive of the median series, centred at 0. See
//! `attain::calibration::reference_class` for the rule.
//!
//! ```text
//! cargo run --release --example reference_class            # rewrites data/reference_class.toml
//! cargo run --release --example reference_class -- --print # to stdout instead
//! cargo run --release --example reference_class -- --check # fails if the stored file differs
//! ```
//!
//! This program is the one source of the stored numbers: rerun it after a
//! change to the calibrated model.

use std::path::PathBuf;

use attain::calibration::reference_class::{ReferencePanel, reference_class};
use attain::forecast::history::{Gaps, yearly_series};
use attain::plan::actuals::Actuals;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Horizons the reference class states.
const HORIZONS: usize = 10;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let print = args.iter().any(|a| a == "--print");
    let check = args.iter().any(|a| a == "--check");
    let dir = PathBuf::from(ROOT).join("data/panels");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    let mut panels = Vec::with_capacity(files.len());
    for file in &files {
        let series = yearly_series(&Actuals::read(file)?, Gaps::Refuse)?
            .into_iter()
            .map(|y| y.data)
            .collect();
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| format!("data/panels/{}", n.to_string_lossy()),
        );
        panels.push(ReferencePanel { file: name, series });
    }
    let class = reference_class(&panels, HORIZONS)?;
    let text = class.to_toml_string();
    let out = PathBuf::from(ROOT).join("data/reference_class.toml");
    if print {
        print!("{text}");
    } else if check {
        if std::fs::read_to_string(&out)? != text {
            return Err(format!(
                "{} is not what the calibrated model learns now: rerun \
                 `cargo run --release --example reference_class`",
                out.display()
            )
            .into());
        }
        eprintln!("{} is up to date", out.display());
    } else {
        std::fs::write(&out, text)?;
        eprintln!("wrote {}", out.display());
    }
    for h in &class.horizons {
        eprintln!(
            "h {:>2}: 80% width {:.4} in logs, from {}",
            h.horizon, h.width80, h.series
        );
    }
    Ok(())
}
