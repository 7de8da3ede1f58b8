//! Ctrl-C (and `kill`) without debris: the temporary files of unfinished outputs are removed
//! before the process exits.
//!
//! [`install`] blocks SIGINT, SIGTERM and SIGHUP in the calling thread, so every thread started
//! afterwards (workers, plugin audio threads, plugin background threads) inherits the block and
//! only the watcher thread it starts receives them, with `sigwait`. That thread runs ordinary
//! code (a signal handler could not take a lock or free memory), removes every file registered
//! with [`TempFile`], and exits with 128 + the signal number, as shells report it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the watcher. Call it first thing in `main`, before any other thread exists; without
/// it (as in library use) signals keep their default action.
pub fn install() {
    // SAFETY: plain libc calls on a locally owned signal set; pthread_sigmask only affects this
    // thread (and threads created from now on).
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, signal);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        set
    };
    let spawned = std::thread::Builder::new()
        .name("glass-signals".into())
        .spawn(move || loop {
            let mut signal: libc::c_int = 0;
            // SAFETY: `set` is a valid, initialised signal set owned by this closure.
            if unsafe { libc::sigwait(&set, &mut signal) } != 0 {
                continue;
            }
            for path in pending().drain(..) {
                let _ = std::fs::remove_file(path);
            }
            eprintln!("\nglass: interrupted; unfinished outputs removed");
            // SAFETY: ends the process without running destructors or exit handlers, which
            // could call into plugin code that other threads are still executing.
            unsafe { libc::_exit(128 + signal) };
        });
    if spawned.is_err() {
        // Without a watcher, restore the default actions rather than ignore Ctrl-C.
        // SAFETY: as above.
        unsafe {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}

/// A temporary file that an interrupt removes; dropping the guard forgets it (after it was
/// renamed into place or deleted).
pub struct TempFile {
    path: PathBuf,
}

impl TempFile {
    /// Registers `path` for removal on interrupt.
    pub fn register(path: &Path) -> Self {
        pending().push(path.to_path_buf());
        Self {
            path: path.to_path_buf(),
        }
    }

    /// The registered path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let mut list = pending();
        if let Some(i) = list.iter().position(|p| p == &self.path) {
            list.swap_remove(i);
        }
    }
}
