//! The progress bar of long runs, counted in seconds of audio processed. It is drawn on stderr
//! only when stderr is a terminal (and not with `--quiet`), so logs and pipes stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};

/// Work done and to do, in milliseconds of audio (files of different sample rates add up).
pub struct Progress {
    bar: ProgressBar,
}

fn millis(frames: u64, rate: u32) -> u64 {
    frames * 1000 / u64::from(rate.max(1))
}

impl Progress {
    /// A bar titled `label`; hidden when `visible` is false or stderr is not a terminal.
    pub fn new(label: &str, visible: bool) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(0), target);
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {wide_bar} {percent:>3}%  eta {eta}  {msg}",
        ) {
            bar.set_style(style);
        }
        bar.set_prefix(label.to_string());
        if !bar.is_hidden() {
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
        }
        Self { bar }
    }

    /// A bar that never draws.
    pub fn hidden() -> Self {
        Self::new("", false)
    }

    /// Adds `frames` at `rate` Hz to the work to do.
    pub fn add_work(&self, frames: usize, rate: u32) {
        self.bar.inc_length(millis(frames as u64, rate));
    }

    /// Counts `frames` at `rate` Hz of expected work as done without doing it (a search that
    /// needed fewer passes than planned).
    pub fn skip(&self, frames: usize, rate: u32) {
        self.bar.inc(millis(frames as u64, rate));
    }

    /// Shows what is being worked on.
    pub fn set_message(&self, message: String) {
        self.bar.set_message(message);
    }

    /// A counter for one pass over a signal at `rate` Hz.
    pub fn tracker(&self, rate: u32) -> Tracker<'_> {
        Tracker {
            bar: &self.bar,
            rate,
            frames: AtomicU64::new(0),
        }
    }

    /// Removes the bar (before results are printed).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Counts the frames of one pass and advances the bar by the exact milliseconds they make.
pub struct Tracker<'a> {
    bar: &'a ProgressBar,
    rate: u32,
    frames: AtomicU64,
}

impl Tracker<'_> {
    /// `frames` more were processed.
    pub fn advance(&self, frames: usize) {
        let before = self.frames.fetch_add(frames as u64, Ordering::Relaxed);
        let after = before + frames as u64;
        self.bar
            .inc(millis(after, self.rate) - millis(before, self.rate));
    }
}
