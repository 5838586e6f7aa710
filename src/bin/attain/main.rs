//! `attain`: the command-line program. Reads any plan file and writes the
//! consistency table, attainment probabilities, a mid-term review or a
//! forecast leaderboard as a table, CSV or JSON, with SVG charts and an HTML
//! report. Exit status: 0 success, 1 failure, 2 bad input, 130 interrupted.
//!
//! Data flows one way: the arguments ([`args`]) name the inputs; a
//! subcommand ([`commands`]) loads them and calls the library; its results
//! become an [`output::Output`], [`chart`]s and a [`report`].

mod args;
mod chart;
mod commands;
mod error;
mod output;
mod progress;
mod report;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A bug must still end in a message and exit 1, not a backtrace: the
    // library returns typed errors for every bad input, so this is a guard.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("attain: internal error: {info}");
    }));
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        // clap prints usage errors (exit 2) and --help/--version (exit 0).
        Err(e) => e.exit(),
    };
    // Ctrl-C from here on sets the stop flag rather than killing the process.
    let _ = progress::monitor();
    match std::panic::catch_unwind(|| commands::run(cli.command)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("attain: {}", e.message());
            ExitCode::from(e.code())
        }
        Err(_) => ExitCode::FAILURE,
    }
}
