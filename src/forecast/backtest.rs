//! Backtests.
