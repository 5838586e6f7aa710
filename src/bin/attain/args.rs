//! The command line: subcommands and their options (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Planning targets: consistency, attainment probabilities, mid-term reviews
/// and forecast backtests for any plan table.
#[derive(Debug, Parser)]
#[command(
    name = "attain",
    version,
    about,
    after_help = "Exit status: 0 success, 1 failure (writing output, drawing charts), \
2 bad input (a file that is missing or wrong, a bad option), 130 interrupted (Ctrl-C).\n\
CSV columns and the JSON layout of every subcommand: README.md, section \"The attain program\"."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The consistency table: implied growth, what the stated growth
    /// reaches, consistent or not.
    Check(CheckArgs),
    /// Attainment probabilities with intervals, the joint probability of the
    /// binding targets and fan-chart quantiles.
    Simulate(SimulateArgs),
    /// The mid-term review as of a year with actuals.
    Review(ReviewArgs),
    /// The forecast-method leaderboard of a rolling-origin backtest.
    Backtest(BacktestArgs),
    /// Calibrates a scenario on history (`id,year,value`): the `calibrated`
    /// model's predictive for each series, the pooling, the correlation and
    /// the recalibration, as a commented scenario file that `simulate
    /// --scenario` reads.
    Calibrate(CalibrateArgs),
    /// Writes a commented example plan and scenario to start from.
    Init(InitArgs),
    /// In-year tracking: year-to-date actuals against the annual targets
    /// (时间过半任务过半), with the seasonal profile, the status, the
    /// projected year and P(target met).
    Track(TrackArgs),
    /// Breaks a multi-year plan's targets down by year (分解到年度): the
    /// yearly targets on each target's path, and the annual plan of a year;
    /// or with --parts by locality or department (分解到部门和属地).
    Decompose(DecomposeArgs),
    /// Reads a main-indicator table as printed (CSV, XLSX, XLS or ODS: 类别, 序号,
    /// 指标（unit）, 2020年, 2025年, 年均增长%, 属性 in any order) into a
    /// commented plan file; every target phrase is read or refused.
    Import(ImportArgs),
    /// Writes a plan as a printed table (CSV or XLSX) that `import` reads
    /// back, with an overlay file for what the table cannot say.
    Export(ExportArgs),
}

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for a terminal (CJK names aligned).
    Table,
    /// CSV with a header row; numbers in full precision.
    Csv,
    /// One JSON object with the rows and the library's full result.
    Json,
}

/// Options every subcommand has.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the output to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Options of the commands that simulate.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Scenario file (TOML, or JSON by extension); default: a plan-consistent
    /// baseline, every series at the plan's growth with the spread by
    /// horizon of the stored reference class.
    #[arg(long, value_name = "FILE", conflicts_with = "history")]
    pub scenario: Option<PathBuf>,
    /// Calibrate the scenario on this history (`id,year,value` CSV, gaps
    /// filled geometrically) instead of reading one: values up to the plan's
    /// base year for `simulate`, up to the review year for `review`.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Number of paths (overrides the scenario's; at most 1,000,000,000);
    /// with `--se`, the most paths the run takes.
    #[arg(long, value_name = "N")]
    pub paths: Option<u64>,
    /// Run until every probability's standard error is below TOL (at most
    /// `--paths`, else the scenario's paths); a warning says the standard
    /// error reached when the cap comes first.
    #[arg(long, value_name = "TOL", allow_negative_numbers = true)]
    pub se: Option<f64>,
    /// Seed of the random streams (overrides the scenario's).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads, 1 to 1024 (results are identical for any number).
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Write SVG charts into DIR (created if missing).
    #[arg(long, value_name = "DIR")]
    pub chart: Option<PathBuf>,
    /// Write a self-contained HTML report to FILE.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `attain check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Plan file (TOML, or JSON by extension).
    pub plan: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `attain simulate`.
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// Plan file (TOML, or JSON by extension).
    pub plan: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
    /// Write the fan-chart quantiles (one row per series and year) as the
    /// main table instead of the targets.
    #[arg(long)]
    pub fan: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `attain review`.
#[derive(Debug, Clone, Args)]
pub struct ReviewArgs {
    /// Plan file (TOML, or JSON by extension).
    pub plan: PathBuf,
    /// Actuals: CSV `id,year,value[,source,verified]`, TOML or JSON.
    #[arg(long, value_name = "FILE")]
    pub actuals: PathBuf,
    /// Review year (default: the latest year with actuals after the base year).
    #[arg(long, value_name = "YEAR")]
    pub as_of: Option<i32>,
    /// Language of the progress labels (UNSD, Open SDG).
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The language of the labels in tables, CSV and reports (JSON keeps its
/// `snake_case` codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Lang {
    /// English (`on_track`, `behind`, ...).
    #[default]
    En,
    /// Chinese (进展顺利, 滞后, ...).
    Zh,
}

impl Lang {
    /// The label in this language, of its English and Chinese forms.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

/// `attain backtest`.
#[derive(Debug, Clone, Args)]
pub struct BacktestArgs {
    /// Data: `id,year,value[,source,verified]` CSV (or TOML/JSON by
    /// extension), consecutive years per id.
    pub data: PathBuf,
    /// Fill years missing between two reported years at the constant growth
    /// joining them (default: a gap is an error).
    #[arg(long)]
    pub fill_gaps: bool,
    /// Largest forecast horizon, years.
    #[arg(long, value_name = "H", default_value_t = 3)]
    pub horizon: usize,
    /// Fewest values in the first training window.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub min_train: usize,
    /// At most N origins per series, the most recent (every method is
    /// refitted at each, so a long series costs its length times N).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub max_origins: usize,
    /// Also backtest the plan path at this growth, percent a year.
    #[arg(long, value_name = "PCT")]
    pub plan_growth: Option<f64>,
    /// The target whose probability is scored (Brier, reliability): growth
    /// of at least PCT a year from the origin (default: each series' average
    /// growth over the whole file).
    #[arg(long, value_name = "PCT")]
    pub target_growth: Option<f64>,
    /// Also backtest the engine's own simulation (log-normal growth
    /// calibrated on each training window) with N paths per forecast (at
    /// most 1,000,000).
    #[arg(long, value_name = "N")]
    pub engine_paths: Option<u64>,
    /// What ranks the methods and the score-by-horizon chart shows: a
    /// metric (mae, mase, crps, coverage80, brier, brier_skill, ...; a
    /// coverage ranks by its distance from nominal), or a calibration:
    /// `pit` (the PIT histogram's mean absolute deviation from uniform) or
    /// `coverage` (the mean distance of the 50, 80 and 95% coverages from
    /// nominal).
    #[arg(long, default_value = "mase")]
    pub metric: String,
    /// Write SVG charts into DIR (created if missing): the reliability
    /// diagram, the score by horizon, and the PIT histograms (`pit.svg` for
    /// all horizons, `pit_h1.svg` ... for each).
    #[arg(long, value_name = "DIR")]
    pub chart: Option<PathBuf>,
    /// Also write the PIT histograms as tidy CSV to FILE: `method, horizon,
    /// bin, lower, upper, count, share, n, missing, chi2, p_value,
    /// calibration_error`, one line per method, horizon (empty: all) and
    /// bin; the p-value is nominal (overlapping origins' PITs are dependent).
    #[arg(long, value_name = "FILE")]
    pub pit_csv: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `attain calibrate`.
#[derive(Debug, Clone, Args)]
pub struct CalibrateArgs {
    /// History: `id,year,value[,source,verified]` CSV (or TOML/JSON by
    /// extension); years missing between two reported ones are filled
    /// geometrically (and feed no correlation).
    pub history: PathBuf,
    /// Plan file: model its series (the history's other series are peers in
    /// the pool), for the years up to its target year.
    #[arg(long, value_name = "PLAN")]
    pub plan: Option<PathBuf>,
    /// Use only values dated at or before YEAR (default: the plan's base
    /// year, or the history's last year without a plan).
    #[arg(long, value_name = "YEAR", allow_negative_numbers = true)]
    pub as_of: Option<i32>,
    /// Write the scenario to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `attain init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Directory to write `plan.toml` and `scenario.toml` into.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite files that exist.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `attain track`.
#[derive(Debug, Clone, Args)]
pub struct TrackArgs {
    /// Plan file (TOML, or JSON by extension): an annual plan (base year
    /// Y-1, target year Y) or a multi-year plan, whose yearly path gives
    /// each year's target.
    pub plan: PathBuf,
    /// In-year actuals: CSV `id,year,month,value|ytd|level[,yoy_pct,at_least,source]`
    /// (`month`: 1-12, Q1-Q4, H1, H2 or a span such as 1-6).
    #[arg(long = "in-year", value_name = "FILE")]
    pub in_year: PathBuf,
    /// Track as of this month, YYYY-MM (default: the latest month in the
    /// file within the plan years).
    #[arg(long, value_name = "YYYY-MM")]
    pub as_of: Option<String>,
    /// Language of the status labels (ahead / on schedule / behind).
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    /// Past complete years the seasonal profile averages over.
    #[arg(long, value_name = "N", default_value_t = attain::track::DEFAULT_WINDOW)]
    pub window: usize,
    /// Write SVG charts into DIR (created if missing).
    #[arg(long, value_name = "DIR")]
    pub chart: Option<PathBuf>,
    /// Write a self-contained HTML report to FILE.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `attain decompose`.
#[derive(Debug, Clone, Args)]
pub struct DecomposeArgs {
    /// Plan file (TOML, or JSON by extension).
    pub plan: PathBuf,
    /// Break down by year (the default without --parts).
    #[arg(long, conflicts_with = "parts")]
    pub by_year: bool,
    /// Break targets down by locality or department instead: a CSV
    /// `id,part,base` (shares by base) or `id,part,weight` (shares by
    /// weight); the parts' targets sum to the whole's.
    #[arg(long, value_name = "FILE", conflicts_with = "year")]
    pub parts: Option<PathBuf>,
    /// With --write-plan: the year whose annual plan to write.
    #[arg(long, value_name = "YEAR", requires = "write_plan")]
    pub year: Option<i32>,
    /// Write the annual plan of --year, or with --parts the parts plan (the
    /// whole an aggregate of its parts), to FILE (TOML, or JSON by
    /// extension), which track, simulate and review read.
    #[arg(long, value_name = "FILE")]
    pub write_plan: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `attain import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The table: `.xlsx` or `.xls` (merged cells honoured), `.ods`, or CSV (UTF-8).
    pub table: PathBuf,
    /// The sheet of a spreadsheet (default: the first).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// The base year, where the headers print none (or to choose a column).
    #[arg(long, value_name = "Y", allow_negative_numbers = true)]
    pub base_year: Option<i32>,
    /// The target year, likewise.
    #[arg(long, value_name = "Y", allow_negative_numbers = true)]
    pub target_year: Option<i32>,
    /// Keep a row whose phrase cannot be read as text, not simulated, with a
    /// warning (default: such a row is an error naming its cell).
    #[arg(long)]
    pub lenient: bool,
    /// Tolerance of "about" targets (X左右), percent of the level.
    #[arg(long, value_name = "PCT", default_value_t = attain::import::DEFAULT_ABOUT_TOLERANCE_PCT)]
    pub about_tolerance: f64,
    /// An overlay (TOML): auxiliary `[[series]]` and `[[row]]` entries that
    /// give what the table cannot say (ids, a ratio's series, a row's target).
    #[arg(long = "with", value_name = "FILE")]
    pub overlay: Option<PathBuf>,
    /// Write the plan to FILE (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Formats `attain export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    /// CSV, UTF-8.
    Csv,
    /// An XLSX workbook of one sheet.
    Xlsx,
}

/// `attain export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Plan file (TOML, or JSON by extension).
    pub plan: PathBuf,
    /// The table's format.
    #[arg(long, value_enum)]
    pub format: TableFormat,
    /// Write the table to FILE (default for CSV: standard output); the
    /// overlay, when the plan needs one, goes beside it as
    /// `FILE-STEM.overlay.toml`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The XLSX sheet's name.
    #[arg(long, value_name = "NAME", default_value = "主要指标")]
    pub sheet: String,
}
