//! `attain`: planning targets, compound growth and the probability that a
//! plan's targets are met.
//!
//! ```
//! use attain::{engine::simulate, growth, scenario::Scenario, Plan};
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
//! Data flows one way: a [`Plan`] (the table) and a [`scenario::Scenario`]
//! (how the future may unfold) go into the [`engine`], which returns
//! [`attainment::Attainment`] results. [`growth`], [`consistency`] and
//! [`mod@progress`] answer the deterministic questions without simulation; every
//! [`Target`] kind resolves to a [`Rule`] that judges simulated paths and
//! actual series alike.

#![warn(missing_docs)]

pub mod actuals;
pub mod attainment;
#[doc(hidden)]
pub mod bench;
pub mod calibration;
pub mod consistency;
pub mod correlation;
pub mod engine;
pub mod error;
pub mod forecast;
pub mod goal;
pub mod growth;
pub(crate) mod kernel;
pub mod model;
pub mod monitor;
pub(crate) mod normal;
pub mod number;
pub mod path_block;
pub mod plan;
pub mod progress;
pub(crate) mod quantile;
pub mod review;
pub mod rule;
pub mod scenario;
pub mod series_index;
pub(crate) mod solve;
pub mod target;

mod judge;
mod paths;
mod rng;

pub use error::{Error, Problem, Result};
pub use path_block::PathBlock;
pub use plan::{Attribute, Indicator, Plan, Series, StatedGrowth};
pub use progress::{Progress, progress, progress_cumulative, progress_growth};
pub use target::{Direction, Milestone, Rule, Target};
