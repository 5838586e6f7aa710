//! `attain init`: a commented example plan and scenario to start from.

use serde_json::json;

use super::emit;
use crate::args::InitArgs;
use crate::error::{CliError, write_file};
use crate::output::{Cell, Output, Table, col, json_head};

/// The example plan: every target kind, each explained.
pub const PLAN: &str = include_str!("../../../../data/example_plan.toml");
/// The example scenario: models, starts, correlation and a shock year.
pub const SCENARIO: &str = include_str!("../../../../data/example_scenario.toml");

/// Runs `attain init`: refuses to overwrite unless `--force`, and checks
/// both files before writing either, so it never leaves half a pair.
pub fn run(a: &InitArgs) -> Result<(), CliError> {
    let files = [
        (a.dir.join("plan.toml"), PLAN, "plan"),
        (a.dir.join("scenario.toml"), SCENARIO, "scenario"),
    ];
    if !a.force
        && let Some((path, _, _)) = files.iter().find(|(p, _, _)| p.exists())
    {
        return Err(CliError::Input(format!(
            "{}: exists; not overwritten (use --force to replace it)",
            path.display()
        )));
    }
    let mut t = Table::new(
        "Written",
        vec![col("file", "file", 0), col("kind", "kind", 0)],
    );
    for (path, text, kind) in &files {
        write_file(path, text)?;
        t.push(vec![
            Cell::Text(path.display().to_string()),
            Cell::Text((*kind).to_string()),
        ]);
    }
    t.notes = vec![format!(
        "Next: attain check {0}  and  attain simulate {0} --scenario {1}",
        files[0].0.display(),
        files[1].0.display()
    )];
    let mut json = json_head("init");
    json.insert("dir".into(), json!(a.dir.display().to_string()));
    emit(&Output::new(t, Vec::new(), json), &a.output)
}
