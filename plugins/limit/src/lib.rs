//! Glasswork Limit: a true-peak mastering limiter with loudness metering.
//!
//! The DSP is `glass_dsp::limiter::Limiter`; this crate maps parameters,
//! meters the output (BS.1770 true peak, EBU R128 loudness) and hands the
//! readings to the editor through lock-free shared state.

#![warn(missing_docs)]

use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditorState, RepaintNotifier};
use std::sync::Arc;

pub mod editor;
pub mod engine;
pub mod params;

use engine::{LimitEngine, LimitShared};
use params::LimitParams;

/// The plugin: parameters, the engine, the editor's state.
pub struct GlassLimit {
    params: Arc<LimitParams>,
    shared: Arc<LimitShared>,
    editor_state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
    engine: LimitEngine,
    reported_latency: u32,
}

impl Default for GlassLimit {
    fn default() -> Self {
        let shared = Arc::new(LimitShared::default());
        Self {
            params: Arc::new(LimitParams::default()),
            engine: LimitEngine::new(shared.clone()),
            shared,
            editor_state: editor::default_state(),
            repaint: RepaintNotifier::new(),
            reported_latency: 0,
        }
    }
}

impl Plugin for GlassLimit {
    const NAME: &'static str = "Glasswork Limit";
    const VENDOR: &'static str = "Glasswork";
    const URL: &'static str = env!("CARGO_PKG_HOMEPAGE");
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = glass_ui::io_layouts::STEREO_OR_MONO;

    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type Editor = nice_plug_egui::EguiEditor<glass_ui::hosted::HostedEditor<editor::LimitEditor>>;
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
        let p = self.params.kernel_params();
        self.engine.prepare(
            config.sample_rate,
            config.max_buffer_size as usize,
            channels,
            &p,
        );
        self.reported_latency = self.engine.latency_for(&p) as u32;
        context.set_latency_samples(self.reported_latency);
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
        let p = self.params.kernel_params();
        let latency = self.engine.latency_for(&p) as u32;
        if latency != self.reported_latency {
            self.reported_latency = latency;
            context.set_latency_samples(latency);
        }
        self.engine.process(buffer.as_slice(), &p);
        if self.editor_state.is_open() {
            self.repaint.request_repaint();
        }
        // What is still in the lookahead line is the tail.
        ProcessStatus::Tail(self.reported_latency)
    }
}

impl ClapPlugin for GlassLimit {
    const CLAP_ID: &'static str = "audio.glasswork.limit";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("True-peak mastering limiter with loudness metering");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Limiter,
        ClapFeature::Mastering,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];

    /// Two pages for hardware controllers (Bitwig's remote controls and
    /// other CLAP hosts): what is turned while mastering first, then the
    /// output and loudness settings.
    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        let p = &self.params;
        context.add_section("Limit", |section| {
            section.add_page("Limiter", |page| {
                page.add_param(&p.dynamics.input_gain);
                page.add_param(&p.dynamics.ceiling);
                page.add_param(&p.dynamics.release);
                page.add_param(&p.dynamics.auto_release);
                page.add_param(&p.dynamics.lookahead);
                page.add_param(&p.dynamics.link);
                page.add_param(&p.detection.true_peak);
                page.add_param(&p.detection.oversampling);
            });
            section.add_page("Output", |page| {
                page.add_param(&p.output.dither);
                page.add_param(&p.output.noise_shaping);
                page.add_param(&p.output.delta);
                page.add_param(&p.bypass);
                page.add_param(&p.loudness.target);
                page.add_param(&p.loudness.target_lufs);
            });
        });
    }
}

impl Vst3Plugin for GlassLimit {
    const VST3_CLASS_ID: [u8; 16] = *b"GlassworkLimitV1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Dynamics,
        Vst3SubCategory::Mastering,
    ];
}

nice_export_clap!(GlassLimit);
nice_export_vst3!(GlassLimit);
