//! The host side of the CLAP ABI: the callbacks a plugin may call on us.
//!
//! Callbacks only raise flags; the main thread acts on them between processing sessions
//! ([`crate::Plugin`]), which is what a host with no UI needs. Extensions offered: params,
//! latency, state and tail. Deliberately not offered: note-ports (clack-host 0.2.0 hands the
//! plugin a bad pointer for it; effects need no note ports) and thread-check (so plugins fall back
//! to comparing with the thread that created them, which is our main thread).

use clack_extensions::gui::{GuiSize, HostGui, HostGuiImpl};
use clack_extensions::latency::{HostLatency, HostLatencyImpl};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamRescanFlags,
};
use clack_extensions::state::{HostState, HostStateImpl};
use clack_extensions::tail::{HostTail, HostTailImpl};
use clack_host::host::HostError as ClackHostError;
use clack_host::prelude::*;
use clack_host::utils::ClapId;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// The plugin called `request_restart()`: deactivate and reactivate it.
pub(crate) const RESTART: u32 = 1;
/// The plugin called `request_callback()`: call `on_main_thread()`.
pub(crate) const CALLBACK: u32 = 1 << 1;
/// The plugin called `request_process()`.
pub(crate) const PROCESS: u32 = 1 << 2;
/// The plugin asked for a parameter flush.
pub(crate) const FLUSH: u32 = 1 << 3;
/// The plugin reported a latency change.
pub(crate) const LATENCY_CHANGED: u32 = 1 << 4;
/// The plugin asked for a parameter rescan.
pub(crate) const PARAMS_RESCAN: u32 = 1 << 5;
/// The plugin marked its state dirty.
pub(crate) const STATE_DIRTY: u32 = 1 << 6;
/// The plugin reported a tail change.
pub(crate) const TAIL_CHANGED: u32 = 1 << 7;

/// Marker type tying our handlers together for `clack-host`.
pub(crate) struct GlassHost;

impl HostHandlers for GlassHost {
    type Shared<'a> = HostShared;
    type MainThread<'a> = HostMainThread<'a>;
    type AudioProcessor<'a> = HostAudioProcessor<'a>;

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostParams>()
            .register::<HostLatency>()
            .register::<HostState>()
            .register::<HostTail>()
            .register::<HostGui>();
    }
}

/// The editor's requests. The host's window is a fixed-size parent the
/// plugin draws into: resizes are refused (the plugin keeps its size) and
/// show/hide requests are acknowledged; what matters is that a plugin which
/// expects a host `clap.gui` (nice-plug unwraps it in `gui.create`) finds one.
impl HostGuiImpl for HostShared {
    fn resize_hints_changed(&self) {}

    fn request_resize(&self, _new_size: GuiSize) -> Result<(), ClackHostError> {
        Err(ClackHostError::Message("the host window has a fixed size"))
    }

    fn request_show(&self) -> Result<(), ClackHostError> {
        Ok(())
    }

    fn request_hide(&self) -> Result<(), ClackHostError> {
        Ok(())
    }

    fn closed(&self, _was_destroyed: bool) {}
}

/// Thread-safe part: a set of request flags (see the constants above).
#[derive(Default)]
pub(crate) struct HostShared {
    requests: AtomicU32,
    /// The host is inside the plugin's `activate()`.
    pub(crate) activating: AtomicBool,
    /// The plugin called `clap_host_latency::changed` outside `activate()`,
    /// which the CLAP specification forbids (it must ask for a restart).
    pub(crate) latency_changed_outside_activate: AtomicBool,
}

impl HostShared {
    fn raise(&self, flag: u32) {
        self.requests.fetch_or(flag, Ordering::AcqRel);
    }

    /// Returns the raised flags and clears them.
    pub(crate) fn take(&self) -> u32 {
        self.requests.swap(0, Ordering::AcqRel)
    }

    /// Whether `flag` was raised; clears only that flag.
    pub(crate) fn take_only(&self, flag: u32) -> bool {
        self.requests.fetch_and(!flag, Ordering::AcqRel) & flag != 0
    }
}

impl SharedHandler<'_> for HostShared {
    fn request_restart(&self) {
        self.raise(RESTART);
    }

    fn request_process(&self) {
        self.raise(PROCESS);
    }

    fn request_callback(&self) {
        self.raise(CALLBACK);
    }
}

impl HostParamsImplShared for HostShared {
    fn request_flush(&self) {
        self.raise(FLUSH);
    }
}

/// Main-thread part; it only forwards to the shared flags.
pub(crate) struct HostMainThread<'a> {
    pub(crate) shared: &'a HostShared,
}

impl<'a> MainThreadHandler<'a> for HostMainThread<'a> {}

impl HostParamsImplMainThread for HostMainThread<'_> {
    fn rescan(&self, _flags: ParamRescanFlags) {
        self.shared.raise(PARAMS_RESCAN);
    }

    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}

impl HostLatencyImpl for HostMainThread<'_> {
    fn changed(&self) {
        if !self.shared.activating.load(Ordering::Acquire) {
            self.shared
                .latency_changed_outside_activate
                .store(true, Ordering::Release);
        }
        self.shared.raise(LATENCY_CHANGED);
    }
}

impl HostStateImpl for HostMainThread<'_> {
    fn mark_dirty(&self) {
        self.shared.raise(STATE_DIRTY);
    }
}

/// Audio-thread part; it only forwards to the shared flags.
pub(crate) struct HostAudioProcessor<'a> {
    pub(crate) shared: &'a HostShared,
}

impl<'a> AudioProcessorHandler<'a> for HostAudioProcessor<'a> {}

impl HostTailImpl for HostAudioProcessor<'_> {
    fn changed(&mut self) {
        self.shared.raise(TAIL_CHANGED);
    }
}
