//! `glass`: Glasswork's offline host. Runs the plugin binaries a DAW loads (CLAP ABI) on audio
//! files: render, chain, master to a loudness target, loudness reports, album assembly.

use clap::Parser;
use glass::commands::{run, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any thread exists, so every later thread leaves Ctrl-C to the cleanup watcher.
    glass::interrupt::install();
    // Like other command-line tools, end quietly when the reader of our output goes away
    // (`glass plugins | head`) instead of failing on a broken pipe.
    // SAFETY: restoring the default action of a signal is always sound.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("glass: error: {message}");
            ExitCode::FAILURE
        }
    }
}
