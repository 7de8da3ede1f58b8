//! The plugin's editor through the CLAP gui extension, embedded in an X11
//! window the caller owns, and the main-thread side of a session that runs
//! audio on another thread at the same time (what a host does while its
//! user opens and closes editors).

use crate::audio::{AudioIo, AudioThread};
use crate::error::HostError;
use crate::host::{self, GlassHost};
use crate::plugin::AudioConfig;
use clack_extensions::gui::{GuiApiType, GuiConfiguration, PluginGui, Window};
use clack_extensions::tail::PluginTail;
use clack_host::prelude::*;

/// Main-thread access to a plugin while (or without) an audio session runs
/// on another thread: its editor and the callbacks it asks for.
pub struct MainThread<'a> {
    pub(crate) instance: &'a mut PluginInstance<GlassHost>,
    pub(crate) gui_ext: Option<PluginGui>,
    pub(crate) gui_open: &'a mut bool,
}

const X11_EMBEDDED: GuiConfiguration<'static> = GuiConfiguration {
    api_type: GuiApiType::X11,
    is_floating: false,
};

impl MainThread<'_> {
    /// Whether the plugin offers an editor embeddable in an X11 window.
    pub fn has_x11_editor(&mut self) -> bool {
        let Some(ext) = self.gui_ext else {
            return false;
        };
        ext.is_api_supported(&self.instance.plugin_handle(), X11_EMBEDDED)
    }

    /// Creates the editor, embeds it in the X11 window `parent` and shows it;
    /// returns its size in pixels.
    ///
    /// # Safety
    /// `parent` must be a live X11 window on the display the plugin will
    /// connect to (`DISPLAY`), and stay alive until [`Self::close_editor`]
    /// or until the plugin is dropped.
    pub unsafe fn open_editor(&mut self, parent: u64) -> Result<(u32, u32), HostError> {
        let ext = self
            .gui_ext
            .ok_or(HostError::MissingExtension("clap.gui"))?;
        let handle = self.instance.plugin_handle();
        ext.create(&handle, X11_EMBEDDED)
            .map_err(|e| HostError::Gui(format!("create: {e:?}")))?;
        *self.gui_open = true;
        let size = ext
            .get_size(&handle)
            .map_or((0, 0), |s| (s.width, s.height));
        // SAFETY: the caller guarantees `parent` outlives the editor.
        unsafe { ext.set_parent(&handle, Window::from_x11_handle(parent as _)) }
            .map_err(|e| HostError::Gui(format!("set_parent: {e:?}")))?;
        ext.show(&handle)
            .map_err(|e| HostError::Gui(format!("show: {e:?}")))?;
        Ok(size)
    }

    /// Asks the plugin to create a second editor while one is open. Hosts
    /// must not do this; a plugin must answer with an error, not a crash.
    /// Returns whether the plugin accepted.
    pub fn create_editor_again(&mut self) -> bool {
        match self.gui_ext {
            Some(ext) => ext
                .create(&self.instance.plugin_handle(), X11_EMBEDDED)
                .is_ok(),
            None => false,
        }
    }

    /// Hides and destroys the editor (nothing if none is open).
    pub fn close_editor(&mut self) {
        if let (Some(ext), true) = (self.gui_ext, *self.gui_open) {
            let handle = self.instance.plugin_handle();
            let _ = ext.hide(&handle);
            ext.destroy(&handle);
            *self.gui_open = false;
        }
    }

    /// Runs the main-thread callback if the plugin asked for one
    /// (`request_callback`); a restart request is left for after the session.
    pub fn serve_callbacks(&mut self) {
        let asked = self
            .instance
            .access_shared_handler(|s| s.take_only(host::CALLBACK));
        if asked {
            self.instance.call_on_main_thread_callback();
        }
    }
}

/// The audio side of [`crate::Plugin::run_with_main`], for the borrow split.
pub(crate) struct SessionParts<'a> {
    pub(crate) processor: StoppedPluginAudioProcessor<GlassHost>,
    pub(crate) io: &'a mut AudioIo,
    pub(crate) tail_ext: Option<PluginTail>,
    pub(crate) config: AudioConfig,
}

impl<'a> SessionParts<'a> {
    /// Runs `session` between `start_processing()` and `stop_processing()`
    /// on the calling thread; returns the stopped processor and its result.
    pub(crate) fn run<R>(
        self,
        session: impl FnOnce(&mut AudioThread<'_>) -> R,
    ) -> (StoppedPluginAudioProcessor<GlassHost>, Result<R, HostError>) {
        match self.processor.start_processing() {
            Ok(started) => {
                let mut audio = AudioThread {
                    processor: started,
                    io: self.io,
                    tail_ext: self.tail_ext,
                    config: self.config,
                    steady_time: 0,
                    aux_filled: false,
                    tempo_bpm: None,
                };
                let result = session(&mut audio);
                (audio.processor.stop_processing(), Ok(result))
            }
            Err(e) => (e.into_stopped_processor(), Err(HostError::StartProcessing)),
        }
    }
}
