//! A window into a long run, shared with the caller: a progress counter and a
//! stop flag.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A window into a running simulation or backtest, for progress bars and
/// Ctrl-C.
///
/// The engine adds each wave's paths to `done` after the wave (so the count
/// moves in steps of [`crate::simulate::engine::WAVE`] chunks, or a multiple of it) and
/// checks `cancel` before each chunk of [`crate::simulate::engine::CHUNK`]
/// paths (a run stops within one chunk's time, well under a second for any
/// model); a set flag ends the run with [`crate::Error::Cancelled`]. Neither changes what is drawn: results stay
/// bit-identical with or without a monitor, on any number of threads. One
/// monitor may watch several runs in turn (a review runs two); `done` then
/// counts the paths of all of them.
#[derive(Debug, Clone, Default)]
pub struct Monitor {
    /// Work done so far: paths in a simulation, series in a backtest.
    pub done: Arc<AtomicU64>,
    /// Set to stop the run at the next chunk.
    pub cancel: Arc<AtomicBool>,
}

impl PartialEq for Monitor {
    /// Two monitors are equal when they share their counter and flag.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.done, &other.done) && Arc::ptr_eq(&self.cancel, &other.cancel)
    }
}

impl Monitor {
    /// Adds `units` to the counter.
    pub(crate) fn advance(&self, units: u64) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }

    /// Whether the caller asked the run to stop.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}
