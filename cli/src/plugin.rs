//! One plugin instance, driven from the main thread.

use crate::audio::{AudioIo, AudioThread, ParamChange, Tail};
use crate::error::HostError;
use crate::gui::{MainThread, SessionParts};
use crate::host::{self, GlassHost, HostAudioProcessor};
use crate::library::PluginDescription;
use crate::params::ParamInfo;
use clack_extensions::audio_ports::{AudioPortFlags, AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::gui::PluginGui;
use clack_extensions::latency::PluginLatency;
use clack_extensions::params::{ParamInfoBuffer, PluginParams};
use clack_extensions::remote_controls::{PluginRemoteControls, RemoteControlsPageBuffer};
use clack_extensions::state::PluginState;
use clack_extensions::tail::PluginTail;
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use std::ffi::CString;
use std::sync::atomic::Ordering;

/// Sample rate and block-size bounds given to `activate()`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioConfig {
    /// Sample rate in Hz, finite and > 0.
    pub sample_rate: f64,
    /// Smallest block the host promises to send, in samples, >= 1.
    pub min_frames: u32,
    /// Largest block the host promises to send, in samples, >= `min_frames`.
    pub max_frames: u32,
}

impl AudioConfig {
    /// Blocks of 1 to `max_frames` samples at `sample_rate` Hz.
    pub fn new(sample_rate: f64, max_frames: u32) -> Self {
        Self {
            sample_rate,
            min_frames: 1,
            max_frames,
        }
    }
}

/// One audio port as `clap_plugin_audio_ports` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioPortInfo {
    /// Display name of the port.
    pub name: String,
    /// Number of channels (1 mono, 2 stereo, ...).
    pub channels: u32,
    /// True for the port flagged `CLAP_AUDIO_PORT_IS_MAIN`.
    pub is_main: bool,
}

/// The plugin's audio ports, in port-index order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudioLayout {
    /// Input ports.
    pub inputs: Vec<AudioPortInfo>,
    /// Output ports.
    pub outputs: Vec<AudioPortInfo>,
}

fn main_port(ports: &[AudioPortInfo]) -> Option<usize> {
    ports
        .iter()
        .position(|p| p.is_main)
        .or(if ports.is_empty() { None } else { Some(0) })
}

impl AudioLayout {
    /// Index of the main input port (the one flagged main, else the first one).
    pub fn main_input(&self) -> Option<usize> {
        main_port(&self.inputs)
    }

    /// Index of the main output port (the one flagged main, else the first one).
    pub fn main_output(&self) -> Option<usize> {
        main_port(&self.outputs)
    }

    /// Channels of the main input port, 0 without one.
    pub fn main_input_channels(&self) -> usize {
        self.main_input()
            .map_or(0, |p| self.inputs[p].channels as usize)
    }

    /// Channels of the main output port, 0 without one.
    pub fn main_output_channels(&self) -> usize {
        self.main_output()
            .map_or(0, |p| self.outputs[p].channels as usize)
    }
}

struct Active {
    /// `None` only while a session runs on the audio thread.
    processor: Option<StoppedPluginAudioProcessor<GlassHost>>,
    config: AudioConfig,
    io: AudioIo,
}

/// One page of knobs for a hardware controller (`clap_remote_controls_page`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePage {
    /// Section the page belongs to (may be empty).
    pub section: String,
    /// Page id, unique within the plugin.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// The parameter on each of the eight slots (`None`: empty slot).
    pub params: [Option<u32>; 8],
}

/// A plugin instance (created and `init()`-ed), owned by the main thread.
///
/// Dropping it deactivates (if needed) and destroys the instance.
pub struct Plugin {
    instance: PluginInstance<GlassHost>,
    description: PluginDescription,
    layout: AudioLayout,
    params_ext: Option<PluginParams>,
    state_ext: Option<PluginState>,
    latency_ext: Option<PluginLatency>,
    tail_ext: Option<PluginTail>,
    gui_ext: Option<PluginGui>,
    remote_ext: Option<PluginRemoteControls>,
    /// An editor is open (created and not yet destroyed).
    gui_open: bool,
    active: Option<Active>,
}

fn read_ports(
    instance: &mut PluginInstance<GlassHost>,
    ext: Option<PluginAudioPorts>,
    is_input: bool,
) -> Vec<AudioPortInfo> {
    let Some(ext) = ext else {
        return Vec::new();
    };
    let handle = instance.plugin_handle();
    let mut buffer = AudioPortInfoBuffer::new();
    (0..ext.count(&handle, is_input))
        .filter_map(|i| {
            let info = ext.get(&handle, i, is_input, &mut buffer)?;
            Some(AudioPortInfo {
                name: String::from_utf8_lossy(info.name).into_owned(),
                channels: info.channel_count,
                is_main: info.flags.contains(AudioPortFlags::IS_MAIN),
            })
        })
        .collect()
}

impl Plugin {
    pub(crate) fn new(
        mut instance: PluginInstance<GlassHost>,
        description: PluginDescription,
    ) -> Self {
        let shared = instance.plugin_shared_handle();
        let params_ext = shared.get_extension::<PluginParams>();
        let state_ext = shared.get_extension::<PluginState>();
        let latency_ext = shared.get_extension::<PluginLatency>();
        let tail_ext = shared.get_extension::<PluginTail>();
        let gui_ext = shared.get_extension::<PluginGui>();
        let remote_ext = shared.get_extension::<PluginRemoteControls>();
        let ports_ext = shared.get_extension::<PluginAudioPorts>();
        let layout = AudioLayout {
            inputs: read_ports(&mut instance, ports_ext, true),
            outputs: read_ports(&mut instance, ports_ext, false),
        };
        let mut plugin = Self {
            instance,
            description,
            layout,
            params_ext,
            state_ext,
            latency_ext,
            tail_ext,
            gui_ext,
            remote_ext,
            gui_open: false,
            active: None,
        };
        plugin.poll_host_requests();
        plugin
    }

    /// What the factory said about this plugin.
    pub fn description(&self) -> &PluginDescription {
        &self.description
    }

    /// The audio ports, read once after `init()`.
    pub fn layout(&self) -> &AudioLayout {
        &self.layout
    }

    /// The current activation, if active.
    pub fn config(&self) -> Option<AudioConfig> {
        self.active.as_ref().map(|a| a.config)
    }

    /// Calls `activate(sample_rate, min_frames, max_frames)` and allocates the host's buffers.
    pub fn activate(&mut self, config: AudioConfig) -> Result<(), HostError> {
        if self.active.is_some() {
            return Err(HostError::StillActive);
        }
        if !(config.sample_rate.is_finite() && config.sample_rate > 0.0)
            || config.min_frames == 0
            || config.min_frames > config.max_frames
        {
            return Err(HostError::Activate(format!(
                "invalid configuration {config:?}"
            )));
        }
        let io = AudioIo::new(&self.layout, config.max_frames as usize);
        self.instance
            .access_shared_handler(|s| s.activating.store(true, Ordering::Release));
        let processor = self
            .instance
            .activate(
                |shared, _| HostAudioProcessor { shared },
                PluginAudioConfiguration {
                    sample_rate: config.sample_rate,
                    min_frames_count: config.min_frames,
                    max_frames_count: config.max_frames,
                },
            )
            .map_err(|e| HostError::Activate(e.to_string()));
        self.instance
            .access_shared_handler(|s| s.activating.store(false, Ordering::Release));
        let processor = processor?;
        self.active = Some(Active {
            processor: Some(processor),
            config,
            io,
        });
        self.poll_host_requests();
        Ok(())
    }

    /// Whether the plugin has called `clap_host_latency::changed` outside
    /// `activate()` since it was created (a CLAP rule: an active plugin must
    /// request a restart and report the change from the next `activate`).
    pub fn latency_changed_outside_activate(&self) -> bool {
        self.instance
            .access_shared_handler(|s| s.latency_changed_outside_activate.load(Ordering::Acquire))
    }

    /// Calls `deactivate()`; a no-op if not active.
    pub fn deactivate(&mut self) {
        if let Some(Active {
            processor: Some(processor),
            ..
        }) = self.active.take()
        {
            self.instance.deactivate(processor);
        }
        self.poll_host_requests();
    }

    /// Runs `session` on a fresh audio thread between `start_processing()` and
    /// `stop_processing()`, then serves the requests the plugin made meanwhile (main-thread
    /// callback, restart).
    ///
    /// A separate thread matters: plugins treat calls from the thread that created them as
    /// main-thread calls (nice-plug runs GUI tasks inline there), which `process()` never is in
    /// a real host.
    pub fn run<R: Send>(
        &mut self,
        session: impl FnOnce(&mut AudioThread<'_>) -> R + Send,
    ) -> Result<R, HostError> {
        self.run_with_main(session, |_| ()).map(|(r, ())| r)
    }

    /// Like [`Plugin::run`], but while the session runs on its audio thread,
    /// `main` runs on this (the main) thread with access to the editor and
    /// the plugin's main-thread callbacks: what a host does while audio
    /// plays. `main`'s result comes back beside the session's; the session
    /// should end on a signal from `main` (e.g. an atomic flag).
    pub fn run_with_main<R: Send, M>(
        &mut self,
        session: impl FnOnce(&mut AudioThread<'_>) -> R + Send,
        main: impl FnOnce(&mut MainThread<'_>) -> M,
    ) -> Result<(R, M), HostError> {
        let tail_ext = self.tail_ext;
        let active = self.active.as_mut().ok_or(HostError::NotActive)?;
        let processor = active.processor.take().ok_or(HostError::NotActive)?;
        let parts = SessionParts {
            processor,
            io: &mut active.io,
            tail_ext,
            config: active.config,
        };
        let mut main_thread = MainThread {
            instance: &mut self.instance,
            gui_ext: self.gui_ext,
            gui_open: &mut self.gui_open,
        };
        let (joined, main_result) = std::thread::scope(|scope| {
            let audio = scope.spawn(move || parts.run(session));
            let main_result = main(&mut main_thread);
            (audio.join(), main_result)
        });
        match joined {
            Ok((processor, result)) => {
                if let Some(active) = self.active.as_mut() {
                    active.processor = Some(processor);
                }
                self.poll_host_requests();
                result.map(|r| (r, main_result))
            }
            // The session panicked and its processor handle went down with the thread:
            // deactivate without it and re-raise the panic.
            Err(panic) => {
                self.active = None;
                let _ = self.instance.try_deactivate();
                std::panic::resume_unwind(panic)
            }
        }
    }

    /// Main-thread access (editor, callbacks) while no session runs.
    pub fn main_thread(&mut self) -> MainThread<'_> {
        MainThread {
            instance: &mut self.instance,
            gui_ext: self.gui_ext,
            gui_open: &mut self.gui_open,
        }
    }

    /// Destroys the plugin as a careless host would: with its editor still
    /// open (no `hide`/`destroy` first). A plugin must survive this.
    pub fn drop_with_editor_open(mut self) {
        self.gui_open = false;
    }

    /// Serves what the plugin asked for through host callbacks: `on_main_thread()` after
    /// `request_callback()`, and deactivate + reactivate with the same configuration after
    /// `request_restart()` (how latency changes take effect).
    pub fn poll_host_requests(&mut self) {
        // Serving one request may raise another (a callback that reports latency may ask for a
        // restart); a few rounds settle any sane plugin.
        for _ in 0..4 {
            let requests = self.instance.access_shared_handler(|s| s.take());
            if requests & host::CALLBACK != 0 {
                self.instance.call_on_main_thread_callback();
            }
            if requests & host::RESTART != 0 {
                if let Some(config) = self.config() {
                    self.deactivate();
                    // A plugin that cannot come back stays inactive; later calls report it.
                    let _ = self.activate(config);
                }
            }
            if requests & (host::CALLBACK | host::RESTART) == 0 {
                break;
            }
        }
    }

    fn params_ext(&self) -> Result<PluginParams, HostError> {
        self.params_ext
            .ok_or(HostError::MissingExtension("clap.params"))
    }

    /// Every parameter (`clap_plugin_params.count` / `get_info`), in index order.
    pub fn params(&mut self) -> Vec<ParamInfo> {
        let Some(ext) = self.params_ext else {
            return Vec::new();
        };
        let handle = self.instance.plugin_handle();
        let mut buffer = ParamInfoBuffer::new();
        (0..ext.count(&handle))
            .filter_map(|i| {
                let info = ext.get_info(&handle, i, &mut buffer)?;
                Some(ParamInfo {
                    id: info.id.get(),
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    module: String::from_utf8_lossy(info.module).into_owned(),
                    min: info.min_value,
                    max: info.max_value,
                    default: info.default_value,
                    flags: info.flags,
                })
            })
            .collect()
    }

    /// The plugin's remote-control pages (`clap.remote-controls`), in index
    /// order; empty when the plugin offers none.
    pub fn remote_control_pages(&mut self) -> Vec<RemotePage> {
        let Some(ext) = self.remote_ext else {
            return Vec::new();
        };
        let handle = self.instance.plugin_handle();
        let mut buffer = RemoteControlsPageBuffer::new();
        (0..ext.count(&handle))
            .filter_map(|i| {
                let page = ext.get(&handle, i, &mut buffer)?;
                Some(RemotePage {
                    section: String::from_utf8_lossy(page.section_name).into_owned(),
                    id: page.page_id.get(),
                    name: String::from_utf8_lossy(page.page_name).into_owned(),
                    params: page.param_ids.map(|id| id.map(|id| id.get())),
                })
            })
            .collect()
    }

    fn clap_id(id: u32) -> Result<ClapId, HostError> {
        ClapId::from_raw(id).ok_or_else(|| HostError::Param(format!("invalid parameter id {id}")))
    }

    /// The current plain value of parameter `id` (`clap_plugin_params.get_value`).
    pub fn param_value(&mut self, id: u32) -> Result<f64, HostError> {
        let ext = self.params_ext()?;
        ext.get_value(&self.instance.plugin_handle(), Self::clap_id(id)?)
            .ok_or_else(|| HostError::Param(format!("get_value refused parameter {id}")))
    }

    /// The plugin's text for `value` of parameter `id` (`value_to_text`), e.g. `-1.00 dB`.
    pub fn value_to_text(&mut self, id: u32, value: f64) -> Result<String, HostError> {
        let ext = self.params_ext()?;
        let mut buffer = [0u8; 256];
        let text = ext
            .value_to_text(
                &self.instance.plugin_handle(),
                Self::clap_id(id)?,
                value,
                &mut buffer,
            )
            .map_err(|_| HostError::Param(format!("value_to_text refused {value} for {id}")))?;
        Ok(String::from_utf8_lossy(text).into_owned())
    }

    /// The plain value the plugin parses from `text` for parameter `id` (`text_to_value`).
    pub fn text_to_value(&mut self, id: u32, text: &str) -> Result<f64, HostError> {
        let ext = self.params_ext()?;
        let c_text = CString::new(text)
            .map_err(|_| HostError::Param(format!("{text:?} contains a NUL byte")))?;
        ext.text_to_value(&self.instance.plugin_handle(), Self::clap_id(id)?, &c_text)
            .ok_or_else(|| HostError::Param(format!("the plugin cannot parse {text:?}")))
    }

    /// Sends `changes` through `clap_plugin_params.flush` (event times are ignored): on the
    /// main thread when inactive, on an audio thread (not processing) when active, as CLAP
    /// requires.
    pub fn flush_params(&mut self, changes: &[ParamChange]) -> Result<(), HostError> {
        let ext = self.params_ext()?;
        let mut events = EventBuffer::with_capacity(changes.len());
        for c in changes {
            events.push(&ParamValueEvent::new(
                0,
                Self::clap_id(c.id)?,
                Pckn::match_all(),
                c.value,
            ));
        }
        let mut out_events = EventBuffer::new();
        match self.active.as_mut() {
            None => {
                let mut handle = self
                    .instance
                    .inactive_plugin_handle()
                    .ok_or(HostError::StillActive)?;
                ext.flush(&mut handle, &events.as_input(), &mut out_events.as_output());
            }
            Some(active) => {
                let mut processor = active.processor.take().ok_or(HostError::NotActive)?;
                let processor = std::thread::scope(|scope| {
                    scope
                        .spawn(move || {
                            ext.flush_active(
                                &mut processor.plugin_handle(),
                                &events.as_input(),
                                &mut out_events.as_output(),
                            );
                            processor
                        })
                        .join()
                });
                match processor {
                    Ok(p) => active.processor = Some(p),
                    Err(panic) => {
                        self.active = None;
                        let _ = self.instance.try_deactivate();
                        std::panic::resume_unwind(panic)
                    }
                }
            }
        }
        self.poll_host_requests();
        Ok(())
    }

    /// The plugin's state as bytes (`clap_plugin_state.save`).
    pub fn save_state(&mut self) -> Result<Vec<u8>, HostError> {
        let ext = self
            .state_ext
            .ok_or(HostError::MissingExtension("clap.state"))?;
        let mut bytes = Vec::new();
        ext.save(&self.instance.plugin_handle(), &mut bytes)
            .map_err(|e| HostError::State(e.to_string()))?;
        self.poll_host_requests();
        Ok(bytes)
    }

    /// Restores state saved by [`Self::save_state`] (`clap_plugin_state.load`). An error means
    /// the plugin rejected the bytes.
    pub fn load_state(&mut self, mut bytes: &[u8]) -> Result<(), HostError> {
        let ext = self
            .state_ext
            .ok_or(HostError::MissingExtension("clap.state"))?;
        let result = ext
            .load(&self.instance.plugin_handle(), &mut bytes)
            .map_err(|e| HostError::State(e.to_string()));
        self.poll_host_requests();
        result
    }

    /// Latency in samples (`clap_plugin_latency.get`), 0 without the extension. Only meaningful
    /// while active.
    pub fn latency(&mut self) -> u32 {
        match self.latency_ext {
            Some(ext) => ext.get(&self.instance.plugin_handle()),
            None => 0,
        }
    }

    /// The tail after the last session (`clap_plugin_tail.get`), `Finite(0)` without the
    /// extension.
    pub fn tail(&mut self) -> Result<Tail, HostError> {
        let active = self.active.as_mut().ok_or(HostError::NotActive)?;
        let processor = active.processor.as_mut().ok_or(HostError::NotActive)?;
        Ok(match self.tail_ext {
            Some(ext) => ext.get(&processor.plugin_handle()),
            None => Tail::Finite(0),
        })
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        self.main_thread().close_editor();
        self.deactivate();
    }
}
