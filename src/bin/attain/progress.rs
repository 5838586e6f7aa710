//! The progress bar of long runs and the Ctrl-C handler.
//!
//! The engine and the backtest report through an [`attain::monitor::Monitor`]:
//! a counter of paths (series) done and a stop flag, checked between waves of
//! paths (between series). Ctrl-C sets the flag; a thread polls the counter into an
//! indicatif bar on standard error, which shows the time left.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use attain::monitor::Monitor;
use indicatif::{ProgressBar, ProgressStyle};

/// The process's monitor, whose stop flag Ctrl-C sets. The handler is
/// installed on first use; if that fails (the platform refuses) runs are
/// simply not interruptible cleanly, which is no reason to refuse to run.
pub fn monitor() -> Monitor {
    static MONITOR: OnceLock<Monitor> = OnceLock::new();
    MONITOR
        .get_or_init(|| {
            let monitor = Monitor::default();
            let cancel = Arc::clone(&monitor.cancel);
            let _ = ctrlc::set_handler(move || cancel.store(true, Ordering::Relaxed));
            monitor
        })
        .clone()
}

/// Whether Ctrl-C was pressed (checked between steps that are not runs).
pub fn interrupted() -> bool {
    monitor().cancel.load(Ordering::Relaxed)
}

/// A progress bar following a monitor's counter until dropped.
pub struct Bar {
    bar: ProgressBar,
    stop: Arc<AtomicBool>,
    poll: Option<JoinHandle<()>>,
}

impl Bar {
    /// Shows a bar for `total` units (`"paths"`, `"series"`) unless `quiet`
    /// or standard error is not a terminal (then nothing is drawn and
    /// nothing polls).
    pub fn start(
        monitor: &Monitor,
        total: u64,
        what: &str,
        unit: &str,
        quiet: bool,
    ) -> Option<Bar> {
        if quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let style = ProgressStyle::with_template(&format!(
            "{{msg}} [{{bar:24}}] {{human_pos}}/{{human_len}} {unit}, ~{{eta}} left"
        ))
        .ok()?
        .progress_chars("=> ");
        let bar = ProgressBar::new(total)
            .with_style(style)
            .with_message(what.to_string());
        let stop = Arc::new(AtomicBool::new(false));
        let poll = {
            let (bar, stop, done) = (bar.clone(), Arc::clone(&stop), Arc::clone(&monitor.done));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    bar.set_position(done.load(Ordering::Relaxed).min(total));
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };
        Some(Bar {
            bar,
            stop,
            poll: Some(poll),
        })
    }
}

impl Drop for Bar {
    /// Stops polling and clears the bar, so the results print on a clean line.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(p) = self.poll.take() {
            let _ = p.join();
        }
        self.bar.finish_and_clear();
    }
}
