//! Glasswork Echo: a tempo-synced stereo delay with tape character and
//! click-free time changes.
//!
//! The DSP is `glass_dsp::echo::Echo`; this crate maps parameters (and the
//! host tempo), reports the tail, meters the levels and hands the readings
//! to the editor through lock-free shared state.

#![warn(missing_docs)]

use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditorState, RepaintNotifier};
use std::sync::Arc;

pub mod editor;
pub mod engine;
pub mod params;

use engine::{EchoEngine, EchoShared, Tail};
use params::EchoPluginParams;

/// The plugin: parameters, the engine, the editor's state.
pub struct GlassEcho {
    params: Arc<EchoPluginParams>,
    shared: Arc<EchoShared>,
    editor_state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
    engine: EchoEngine,
}

impl Default for GlassEcho {
    fn default() -> Self {
        let shared = Arc::new(EchoShared::default());
        Self {
            params: Arc::new(EchoPluginParams::default()),
            engine: EchoEngine::new(shared.clone()),
            shared,
            editor_state: editor::default_state(),
            repaint: RepaintNotifier::new(),
        }
    }
}

impl Plugin for GlassEcho {
    const NAME: &'static str = "Glasswork Echo";
    const VENDOR: &'static str = "Glasswork";
    const URL: &'static str = env!("CARGO_PKG_HOMEPAGE");
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = glass_ui::io_layouts::STEREO_OR_MONO;

    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type Editor = nice_plug_egui::EguiEditor<glass_ui::hosted::HostedEditor<editor::EchoEditor>>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(
            self.params.clone(),
            self.shared.clone(),
            self.editor_state.clone(),
            self.repaint.clone(),
        )
    }

    fn activate(
        &mut self,
        layout: &AudioIOLayout,
        config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let channels = layout
            .main_output_channels
            .map_or(2, |c| c.get() as usize)
            .clamp(1, 2);
        let p = self.params.kernel_params(None);
        self.engine.prepare(
            config.sample_rate,
            config.max_buffer_size as usize,
            channels,
            &p,
        );
        context.set_latency_samples(self.engine.latency());
        true
    }

    fn reset(&mut self) {
        self.engine.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // No transport or no tempo: the kernel falls back to the times in ms.
        let tempo = context.transport().tempo;
        let p = self.params.kernel_params(tempo);
        self.engine.process(buffer.as_slice(), &p);
        if self.editor_state.is_open() {
            self.repaint.request_repaint();
        }
        match self.engine.tail(&p) {
            Tail::Samples(n) => ProcessStatus::Tail(n),
            Tail::Endless => ProcessStatus::KeepAlive,
        }
    }
}

impl ClapPlugin for GlassEcho {
    const CLAP_ID: &'static str = "audio.glasswork.echo";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Tempo-synced stereo delay with tape character and click-free time changes");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Delay,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];

    /// Pages for hardware controllers: the delay itself first, then the
    /// right channel and rhythm, the tone, and the multi-tap pattern.
    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        let p = &self.params;
        context.add_section("Echo", |section| {
            section.add_page("Echo", |page| {
                page.add_param(&p.timing.mode);
                page.add_param(&p.timing.time);
                page.add_param(&p.timing.sync);
                page.add_param(&p.timing.note);
                page.add_param(&p.timing.note_mod);
                page.add_param(&p.repeats.feedback);
                page.add_param(&p.levels.mix);
                page.add_param(&p.repeats.freeze);
            });
            section.add_page("Right & Rhythm", |page| {
                page.add_param(&p.timing.time_r);
                page.add_param(&p.timing.note_r);
                page.add_param(&p.timing.note_mod_r);
                page.add_param(&p.repeats.feedback_r);
                page.add_param(&p.rhythm.offset);
                page.add_param(&p.rhythm.swing);
                page.add_param(&p.rhythm.taps);
                page.add_param(&p.timing.change);
            });
            section.add_page("Tone", |page| {
                page.add_param(&p.tone.hpf);
                page.add_param(&p.tone.lpf);
                page.add_param(&p.tone.character);
                page.add_param(&p.tone.wow);
                page.add_param(&p.tone.diffusion);
                page.add_param(&p.levels.ducking);
                page.add_param(&p.bypass);
            });
        });
        context.add_section("Taps", |section| {
            for (first, taps) in [(1, &p.tap[..4]), (5, &p.tap[4..])] {
                section.add_page(format!("Taps {first}-{}", first + 3), |page| {
                    for tap in taps {
                        page.add_param(&tap.level);
                        page.add_param(&tap.pan);
                    }
                });
            }
        });
    }
}

impl Vst3Plugin for GlassEcho {
    const VST3_CLASS_ID: [u8; 16] = *b"GlassworkEchoV1.";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Delay];
}

nice_export_clap!(GlassEcho);
nice_export_vst3!(GlassEcho);
