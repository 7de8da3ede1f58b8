//! Glasswork Verb: an algorithmic reverb whose decay is what the knob says.
//!
//! The DSP is `glass_dsp::reverb::Reverb` (a 16-line feedback delay network
//! with per-band absorption); this crate maps parameters (and the host
//! tempo, for a synced pre-delay), reports the tail, meters the levels and
//! hands the readings to the editor through lock-free shared state.

#![warn(missing_docs)]

use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditorState, RepaintNotifier};
use std::sync::Arc;

pub mod decay_view;
pub mod editor;
pub mod engine;
pub mod params;

use engine::{Tail, VerbEngine, VerbShared};
use params::VerbPluginParams;

/// The plugin: parameters, the engine, the editor's state.
pub struct GlassVerb {
    params: Arc<VerbPluginParams>,
    shared: Arc<VerbShared>,
    editor_state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
    engine: VerbEngine,
}

impl Default for GlassVerb {
    fn default() -> Self {
        let shared = Arc::new(VerbShared::default());
        Self {
            params: Arc::new(VerbPluginParams::default()),
            engine: VerbEngine::new(shared.clone()),
            shared,
            editor_state: editor::default_state(),
            repaint: RepaintNotifier::new(),
        }
    }
}

impl Plugin for GlassVerb {
    const NAME: &'static str = "Glasswork Verb";
    const VENDOR: &'static str = "Glasswork";
    const URL: &'static str = env!("CARGO_PKG_HOMEPAGE");
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = glass_ui::io_layouts::STEREO_OR_MONO;

    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type Editor = nice_plug_egui::EguiEditor<glass_ui::hosted::HostedEditor<editor::VerbEditor>>;
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
        // No transport or no tempo: a synced pre-delay falls back to the
        // free time.
        let tempo = context.transport().tempo;
        let p = self.params.kernel_params(tempo);
        self.engine
            .process(buffer.as_slice(), &p, tempo.unwrap_or(0.0));
        if self.editor_state.is_open() {
            self.repaint.request_repaint();
        }
        match self.engine.tail(&p) {
            Tail::Samples(n) => ProcessStatus::Tail(n),
            Tail::Endless => ProcessStatus::KeepAlive,
        }
    }
}

impl ClapPlugin for GlassVerb {
    const CLAP_ID: &'static str = "audio.glasswork.verb";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Algorithmic reverb whose decay is what the knob says");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Reverb,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];

    /// Pages for hardware controllers: the decay and mix first, then the
    /// space, then the tone.
    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        let p = &self.params;
        context.add_section("Verb", |section| {
            section.add_page("Decay", |page| {
                page.add_param(&p.decay.decay);
                page.add_param(&p.decay.low_mult);
                page.add_param(&p.decay.high_mult);
                page.add_param(&p.decay.low_xover);
                page.add_param(&p.decay.high_xover);
                page.add_param(&p.decay.freeze);
                page.add_param(&p.output.mix);
                page.add_param(&p.bypass);
            });
            section.add_page("Space", |page| {
                page.add_param(&p.space.size);
                page.add_param(&p.space.predelay);
                page.add_param(&p.space.predelay_sync);
                page.add_param(&p.space.predelay_note);
                page.add_param(&p.space.predelay_note_mod);
                page.add_param(&p.space.diffusion);
                page.add_param(&p.space.early_late);
                page.add_param(&p.output.width);
            });
            section.add_page("Tone", |page| {
                page.add_param(&p.tone.damping);
                page.add_param(&p.tone.mod_depth);
                page.add_param(&p.tone.mod_rate);
                page.add_param(&p.tone.low_cut);
                page.add_param(&p.tone.high_cut);
                page.add_param(&p.output.ducking);
            });
        });
    }
}

impl Vst3Plugin for GlassVerb {
    const VST3_CLASS_ID: [u8; 16] = *b"GlassworkVerbV1.";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Reverb];
}

nice_export_clap!(GlassVerb);
nice_export_vst3!(GlassVerb);
