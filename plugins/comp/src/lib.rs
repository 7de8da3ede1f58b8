//! Glasswork Comp: a compressor with external sidechain, lookahead and a live
//! transfer curve.
//!
//! The DSP is `glass_dsp::compressor::Compressor`; this crate maps
//! parameters, meters input, output and gain reduction, and hands the
//! readings to the editor through lock-free shared state.

#![warn(missing_docs)]

use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditorState, RepaintNotifier};
use std::sync::Arc;

pub mod editor;
pub mod engine;
pub mod params;

use engine::{CompEngine, CompShared};
use params::CompParams;

/// Name of the sidechain input port, as hosts show it.
pub use glass_ui::io_layouts::SIDECHAIN_PORT;

/// The plugin: parameters, the engine, the editor's state.
pub struct GlassComp {
    params: Arc<CompParams>,
    shared: Arc<CompShared>,
    editor_state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
    engine: CompEngine,
    reported_latency: u32,
}

impl Default for GlassComp {
    fn default() -> Self {
        let shared = Arc::new(CompShared::default());
        Self {
            params: Arc::new(CompParams::default()),
            engine: CompEngine::new(shared.clone()),
            shared,
            editor_state: editor::default_state(),
            repaint: RepaintNotifier::new(),
            reported_latency: 0,
        }
    }
}

impl Plugin for GlassComp {
    const NAME: &'static str = "Glasswork Comp";
    const VENDOR: &'static str = "Glasswork";
    const URL: &'static str = env!("CARGO_PKG_HOMEPAGE");
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    // With a sidechain port first (hosts route a sidechain to it, or leave
    // it unconnected), then the same without it for hosts and VST3 bus
    // arrangements that offer only the main bus.
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = glass_ui::io_layouts::SIDECHAINED;

    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type Editor = nice_plug_egui::EguiEditor<glass_ui::hosted::HostedEditor<editor::CompEditor>>;
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
        aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let p = self.params.kernel_params();
        let latency = self.engine.latency_for(&p) as u32;
        if latency != self.reported_latency {
            self.reported_latency = latency;
            context.set_latency_samples(latency);
        }
        // The sidechain port's channels, when the layout has one (its
        // buffer holds silence when the host left it unconnected).
        let mut keys: [&[f32]; 2] = [&[], &[]];
        let mut key_count = 0;
        if let Some(port) = aux.inputs.first() {
            for (k, ch) in keys.iter_mut().zip(port.as_slice_immutable().iter()) {
                *k = ch;
                key_count += 1;
            }
        }
        let sidechain = (key_count > 0).then_some(&keys[..key_count]);
        self.engine.process(buffer.as_slice(), sidechain, &p);
        if self.editor_state.is_open() {
            self.repaint.request_repaint();
        }
        // Silence in gives silence out once the lookahead line has drained.
        ProcessStatus::Tail(self.reported_latency)
    }
}

impl ClapPlugin for GlassComp {
    const CLAP_ID: &'static str = "audio.glasswork.comp";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Compressor with sidechain, lookahead and a live transfer curve");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Compressor,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];

    /// Three pages of eight for hardware controllers: the knobs turned on
    /// every track first, then the character, then detection and sidechain.
    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        let p = &self.params;
        context.add_section("Comp", |section| {
            section.add_page("Compressor", |page| {
                page.add_param(&p.compressor.threshold);
                page.add_param(&p.compressor.ratio);
                page.add_param(&p.compressor.knee);
                page.add_param(&p.timing.attack);
                page.add_param(&p.timing.release);
                page.add_param(&p.levels.makeup);
                page.add_param(&p.levels.mix);
                page.add_param(&p.levels.output);
            });
            section.add_page("Character", |page| {
                page.add_param(&p.compressor.style);
                page.add_param(&p.compressor.topology);
                page.add_param(&p.timing.auto_release);
                page.add_param(&p.timing.hold);
                page.add_param(&p.timing.lookahead);
                page.add_param(&p.compressor.range);
                page.add_param(&p.levels.auto_makeup);
                page.add_param(&p.bypass);
            });
            section.add_page("Detector", |page| {
                page.add_param(&p.detection.detector);
                page.add_param(&p.detection.rms_window);
                page.add_param(&p.detection.link);
                page.add_param(&p.detection.stereo_mode);
                page.add_param(&p.side.sidechain);
                page.add_param(&p.side.sc_hpf);
                page.add_param(&p.side.sc_lpf);
                page.add_param(&p.side.sc_listen);
            });
        });
    }
}

impl Vst3Plugin for GlassComp {
    const VST3_CLASS_ID: [u8; 16] = *b"GlassworkCompV1_";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Dynamics];
}

nice_export_clap!(GlassComp);
nice_export_vst3!(GlassComp);
