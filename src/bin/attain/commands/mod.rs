//! The subcommands: each reads its inputs, calls the library, and hands the
//! results to the output, chart and report modules.

pub mod backtest;
pub mod calibrate;
pub mod check;
pub mod decompose;
pub mod export;
pub mod import;
pub mod init;
pub mod review;
pub mod simulate;
pub mod track;

use std::io::Write as _;
use std::path::Path;

use attain::Plan;
use attain::calibration::{HistoryScenario, calibrated_scenario};
use attain::forecast::history::{Gaps, yearly_series};
use attain::plan::actuals::Actuals;
use attain::simulate::attainment::Attainment;
use attain::simulate::engine::{Engine, RunOptions};
use attain::simulate::scenario::Scenario;
use attain::simulate::source::Source;
use attain::{Warning, WarningCode};

use crate::args::{Command, OutputArgs, RunArgs};
use crate::error::{CliError, write_file};
use crate::output::Output;
use crate::progress;

/// Runs one subcommand.
pub fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Check(a) => check::run(&a),
        Command::Simulate(a) => simulate::run(&a),
        Command::Review(a) => review::run(&a),
        Command::Backtest(a) => backtest::run(&a),
        Command::Calibrate(a) => calibrate::run(&a),
        Command::Init(a) => init::run(&a),
        Command::Track(a) => track::run(&a),
        Command::Decompose(a) => decompose::run(&a),
        Command::Import(a) => import::run(&a),
        Command::Export(a) => export::run(&a),
    }
}

/// Refuses to start when an output file (`--out`, `--report`, ...) is one
/// of the input files: writing it would destroy the input. Nothing is read
/// or written before this check.
pub fn refuse_overwrite(
    outputs: &[(&str, Option<&Path>)],
    inputs: &[Option<&Path>],
) -> Result<(), CliError> {
    for (flag, out) in outputs {
        // An output that does not exist yet cannot be an input.
        let Some(out_real) = out.and_then(|o| std::fs::canonicalize(o).ok()) else {
            continue;
        };
        for input in inputs.iter().flatten() {
            if std::fs::canonicalize(input).is_ok_and(|i| i == out_real) {
                return Err(CliError::Input(format!(
                    "{flag} {}: is the input file {}; refusing to overwrite it (choose another file)",
                    out.map_or_else(String::new, |o| o.display().to_string()),
                    input.display()
                )));
            }
        }
    }
    Ok(())
}

/// Loads and validates a plan; every problem is bad input.
pub fn load_plan(path: &Path) -> Result<Plan, CliError> {
    Ok(Plan::load(path)?)
}

/// A history file calibrated as of `as_of` (values dated later unused),
/// for `plan` if given: read, gaps filled geometrically, fitted.
pub fn calibrate_history(
    path: &Path,
    plan: Option<&Plan>,
    as_of: i32,
) -> Result<HistoryScenario, CliError> {
    let in_file = |e: attain::Error| CliError::from(e.in_file(path));
    let actuals = Actuals::read(path)?;
    let history = yearly_series(&actuals, Gaps::Geometric).map_err(in_file)?;
    calibrated_scenario(&history, plan, as_of).map_err(in_file)
}

/// What a calibration left to the plan-only default, as notes (the
/// calibrate command's comments and standard error).
pub fn calibration_notes(h: &HistoryScenario) -> Vec<String> {
    let mut notes = Vec::new();
    if !h.uncalibrated.is_empty() {
        let list: Vec<String> = h.uncalibrated.iter().map(ToString::to_string).collect();
        notes.push(format!(
            "Without enough history, plan-only default (the stated rate, the reference class's spread): {}.",
            list.join(", ")
        ));
    }
    notes
}

/// A run's scenario.
pub struct Loaded {
    /// The scenario, checked against the plan; its warnings name the series
    /// a calibration left to the default, and every result carries them.
    pub scenario: Scenario,
}

/// The scenario of a run: the file, a calibration on `--history` with
/// values up to `as_of`, or the default one; then the command line's paths,
/// standard error and seed over it, checked against the plan. `--paths`
/// with `--se` is the most paths the run to that standard error takes.
pub fn load_scenario(run: &RunArgs, plan: &Plan, as_of: i32) -> Result<Loaded, CliError> {
    if let Some(se) = run.se
        && !(se.is_finite() && se > 0.0)
    {
        return Err(CliError::Input(format!(
            "--se: must be a positive standard error (0.005, say), got {se}"
        )));
    }
    let mut s = match (&run.scenario, &run.history) {
        (Some(_), Some(_)) => {
            return Err(CliError::Input(
                "--scenario and --history: give one (a calibrated scenario is written by `attain calibrate`)"
                    .into(),
            ));
        }
        (Some(path), None) => {
            let mut s = Scenario::load(path, plan)?;
            s.source = Source::Scenario {
                file: path.display().to_string(),
            };
            s
        }
        (None, Some(path)) => {
            let h = calibrate_history(path, Some(plan), as_of)?;
            let mut s = if h.series.is_empty() {
                let mut s = Scenario::named("baseline");
                s.warnings.push(Warning::general(
                    WarningCode::NotCalibrated,
                    format!(
                        "no series of the plan has enough history up to {as_of} in {}: the \
                         plan-only baseline applies",
                        path.display()
                    ),
                ));
                s
            } else {
                let mut s = h.scenario.clone();
                s.source = h.source(&path.display().to_string());
                s
            };
            s.warnings.extend(h.uncalibrated.iter().map(Warning::from));
            s
        }
        (None, None) => Scenario::named("baseline"),
    };
    if let Some(n) = run.paths {
        s.paths = n;
    }
    if let Some(se) = run.se {
        s.target_se = Some(se);
    }
    if let Some(seed) = run.seed {
        s.seed = seed;
    }
    s.validate(plan)
        .map_err(|e| CliError::Input(format!("command line: {e}")))?;
    Ok(Loaded { scenario: s })
}

/// Most worker threads `--threads` takes: each is an OS thread with its own
/// scratch, and results do not change with the count, so more than a large
/// machine's cores only costs memory.
const MAX_THREADS: usize = 1024;

/// Run options from the command line: threads, and the process's monitor
/// (Ctrl-C, progress).
pub fn run_options(run: &RunArgs) -> Result<RunOptions, CliError> {
    if let Some(t) = run.threads.filter(|t| !(1..=MAX_THREADS).contains(t)) {
        return Err(CliError::Input(format!(
            "--threads: must be between 1 and {MAX_THREADS}, got {t}"
        )));
    }
    Ok(RunOptions {
        threads: run.threads,
        monitor: Some(progress::monitor()),
        ..RunOptions::default()
    })
}

/// Runs the engine with a progress bar of `total` paths (a review runs more
/// than one simulation on one monitor: `done_before` paths are already
/// counted).
pub fn simulate_with_bar(
    plan: &Plan,
    plan_file: &Path,
    scenario: &Scenario,
    options: RunOptions,
    quiet: bool,
) -> Result<Attainment, CliError> {
    let engine = Engine::new(plan, scenario, options.clone())
        .map_err(|e| in_input_file(e, plan_file, scenario))?;
    let bar = options
        .monitor
        .as_ref()
        .and_then(|m| progress::Bar::start(m, scenario.paths, "simulating", "paths", quiet));
    let result = engine.run();
    drop(bar);
    Ok(result?)
}

/// Names the file an error of a run rests on, as loading names it: the
/// plan's for a plan-level error (its horizon, say) or a plan without a
/// scenario file, else the scenario's or history's file (a start, a model
/// against the plan's rows, a correlation). A stop is no file's fault.
pub fn in_input_file(e: attain::Error, plan_file: &Path, scenario: &Scenario) -> attain::Error {
    match (&e, &scenario.source) {
        (attain::Error::Cancelled { .. } | attain::Error::File { .. }, _) => e,
        (attain::Error::Plan { .. } | attain::Error::TooLarge { .. }, _)
        | (_, Source::PlanOnly) => e.in_file(plan_file),
        (_, Source::Scenario { file } | Source::History { file, .. }) => e.in_file(file),
    }
}

/// Writes the rendered output to `--out` or standard output.
pub fn emit(out: &Output, args: &OutputArgs) -> Result<(), CliError> {
    let text = out.render(args.format)?;
    // CSV has no place for them: standard error (table and JSON carry them).
    if args.format == crate::args::Format::Csv {
        for w in &out.warnings {
            eprintln!("attain: {w}");
        }
    }
    match &args.out {
        Some(path) => write_file(path, &text),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                // A closed pipe (`attain ... | head`) is the reader's choice.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Failure(
                    format!("writing to standard output: {e}"),
                )),
                _ => Ok(()),
            }
        }
    }
}

/// Stops with "interrupted" if Ctrl-C was pressed during a step that does
/// not poll the flag itself (charts, the backtest), before writing anything.
pub fn check_interrupt() -> Result<(), CliError> {
    if progress::interrupted() {
        Err(CliError::Interrupted("interrupted".to_string()))
    } else {
        Ok(())
    }
}

/// The text of an input file, for the report (it has just been read).
pub fn read_input(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))
}

/// A scenario as text for the report: TOML, JSON if TOML cannot hold it.
pub fn scenario_text(s: &Scenario) -> String {
    s.to_toml_string()
        .or_else(|_| serde_json::to_string_pretty(s).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| format!("(scenario could not be written: {e})"))
}
