//! `attain`: planning targets, compound growth and the probability that a
//! plan's targets are met.
//!
//! ```
//! use attain::plan::growth;
//! use attain::simulate::engine::simulate;
//! use attain::{Plan, Scenario};
//!
//! // Row 1 of the Hunan 14th Five-Year Plan table: 4875 -> 8400 (亿元), "12%".
//! let implied = growth::implied_growth(4875.0, 8400.0, 5.0)?;
//! assert!((implied - 0.11496).abs() < 1e-4); // 11.50% a year, not 12
//!
//! let plan = Plan::from_toml_str(r#"
//!     name = "demo"
//!     base_year = 2020
//!     target_year = 2025
//!     [[indicator]]
//!     id = "trade_total"
//!     name = "Total trade"
//!     name_zh = "进出口总额"
//!     unit = "亿元"
//!     attribute = "binding"
//!     base = 4875
//!     stated_growth = "12"
//!     target = { kind = "level", value = 8400 }
//! "#)?;
//! let mut scenario = Scenario::named("baseline"); // log-normal growth at the stated 12%
//! scenario.paths = 20_000;
//! let result = simulate(&plan, &scenario)?;
//! let p = result.target("trade_total", 0).unwrap().attain.unwrap();
//! assert!(p.p > 0.5 && p.low < p.p && p.p < p.high);
//! # Ok::<(), attain::Error>(())
//! ```
//!
//! # Where things are
//!
//! Data flows one way, and the module tree follows it:
//!
//! ```text
//!  plan file ──► plan ─────────┬──► plan::consistency   (implied growth, flags)
//!  (TOML/JSON)   Plan, Target  │
//!                   │ rule()   │    actuals ──► plan::progress, review
//!                   ▼          │
//!  scenario ──► simulate: paths (models, correlation, shocks)
//!                   │ blocks of paths
//!                   ▼
//!               judge (Rule per target) ──► Attainment ──► report (the CLI)
//!
//!  history ──► calibration ──► Scenario          forecast: methods, backtest
//! ```
//!
//! - [`plan`]: the table as data. [`Plan`] and its [`Indicator`]s;
//!   [`Target`] owns what a row promises (the level due, implied growth,
//!   derivation from other series, direction) and resolves against a
//!   [`plan::series_index::SeriesIndex`] into a [`Rule`], which measures a
//!   [`PathBlock`] of trajectories, simulated or actual alike.
//!   [`plan::growth`], [`plan::consistency`] and [`plan::progress`] answer
//!   the deterministic questions; [`plan::actuals`] reads reported values.
//! - [`simulate`]: a [`Scenario`] (models, correlation, shocks) and the
//!   [`Engine`], which composes a path simulator (paths out) with a judge
//!   (rules in, tallies out) into an [`Attainment`]. The vectorised numerics
//!   (kernels, normals, quantile summaries) are private to it.
//! - [`import`]: plan tables as printed (CSV, XLSX with the `xlsx`
//!   feature): headers, merged cells and target phrases read into a
//!   [`Plan`], refused cell by cell where they cannot be; and a plan
//!   written back as such a table.
//! - [`review`]: a mid-term review, conditioning the engine on actuals.
//! - [`track`]: in-year tracking of a year against its target as of a
//!   month (seasonal profile, trend, P), on the months
//!   [`plan::in_year`] reads.
//! - [`calibration`]: scenarios fitted to history.
//! - [`forecast`]: forecast methods behind one trait, and backtests that
//!   score them.
//! - Support: [`error`] (typed errors with a [`Problem`]), [`warning`]
//!   (what is doubtful but not refused), [`monitor`]
//!   (progress and Ctrl-C), [`number`] (number formatting).
//!
//! What an addition touches:
//!
//! | addition | files |
//! |---|---|
//! | a growth model | a file in `simulate/model/` (the goal-seek moves from `median_growth_moves!`), its variant and one line of `each_model!` in `simulate/model/mod.rs` |
//! | a target kind | `plan/target.rs`, `plan/consistency.rs` and the CLI's `chart.rs` (each a compile error until done); `plan/rule.rs` only for a new measure; its phrase in `import/phrase.rs` and `import/export.rs` |
//! | a forecast method | a file in `forecast/`, its [`forecast::MethodKind`] in `forecast/mod.rs` |
//! | a backtest score | its [`forecast::backtest::Metric`] in `forecast/backtest/metric.rs`, its per-forecast term in [`forecast::backtest::Row::term`] (`forecast/backtest/mod.rs`) |

#![warn(missing_docs)]

#[doc(hidden)]
pub mod bench;
pub mod calibration;
pub mod error;
pub mod forecast;
pub mod import;
pub mod monitor;
pub mod number;
pub mod plan;
pub mod review;
pub mod simulate;
pub(crate) mod solve;
pub mod track;
pub mod warning;

pub use error::{Error, Problem, Result};
pub use plan::path_block::PathBlock;
pub use plan::progress::{Progress, progress, progress_cumulative, progress_growth};
pub use plan::rule::Rule;
pub use plan::target::{Direction, Milestone, Target};
pub use plan::{Attribute, Indicator, Plan, Series, StatedGrowth};
pub use simulate::{Attainment, Engine, RunOptions, Scenario};
pub use warning::{Warning, WarningCode};
