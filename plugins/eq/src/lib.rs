//! Glasswork EQ: an analog-matched parametric and dynamic EQ with linear
//! phase and a live analyser.
//!
//! The DSP is `glass_dsp::eq::Eq`; this crate maps parameters (24 bands of
//! fixed parameters, each added in the editor), reports the latency of the
//! phase mode, feeds the analyser and hands the readings to the editor
//! through lock-free shared state.

#![warn(missing_docs)]

use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditorState, RepaintNotifier};
use std::sync::Arc;

pub mod editor;
pub mod engine;
pub mod params;

use engine::{EqEngine, EqShared};
use params::EqPluginParams;

/// Name of the sidechain input port (dynamic bands' external detector), as
/// hosts show it.
pub use glass_ui::io_layouts::SIDECHAIN_PORT;

/// The plugin: parameters, the engine, the editor's state.
pub struct GlassEq {
    params: Arc<EqPluginParams>,
    shared: Arc<EqShared>,
    editor_state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
    engine: EqEngine,
    reported_latency: u32,
}

impl Default for GlassEq {
    fn default() -> Self {
        let shared = Arc::new(EqShared::default());
        Self {
            params: Arc::new(EqPluginParams::default()),
            engine: EqEngine::new(shared.clone()),
            shared,
            editor_state: editor::default_state(),
            repaint: RepaintNotifier::new(),
            reported_latency: 0,
        }
    }
}

impl Plugin for GlassEq {
    const NAME: &'static str = "Glasswork EQ";
    const VENDOR: &'static str = "Glasswork";
    const URL: &'static str = env!("CARGO_PKG_HOMEPAGE");
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    // With a sidechain port first (hosts route a sidechain to it, or leave
    // it unconnected), then the same without it for hosts and VST3 bus
    // arrangements that offer only the main bus.
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = glass_ui::io_layouts::SIDECHAINED;

    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type Editor = nice_plug_egui::EguiEditor<glass_ui::hosted::HostedEditor<editor::EqEditor>>;
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
        let p = self.params.kernel_params(self.shared.solo());
        self.engine.prepare(
            config.sample_rate,
            config.max_buffer_size as usize,
            channels,
            &p,
        );
        self.reported_latency = self.engine.latency();
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
        let p = self.params.kernel_params(self.shared.solo());
        let latency = self.engine.latency_for(&p);
        if latency != self.reported_latency {
            // The host restarts the plugin to take the new latency; the
            // phase mode changes there, so audio and report stay in step.
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
        self.engine
            .process(buffer.as_slice(), sidechain, &p, self.params.bypass.value());
        if self.editor_state.is_open() {
            self.repaint.request_repaint();
        }
        // Silence in gives silence out once the linear-phase FIR has drained.
        ProcessStatus::Tail(self.engine.latency())
    }
}

impl ClapPlugin for GlassEq {
    const CLAP_ID: &'static str = "audio.glasswork.eq";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Analog-matched parametric and dynamic EQ with linear phase and a live analyser");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Equalizer,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];

    /// For hardware controllers: the global controls, then two pages per
    /// band (its shape, then its dynamics).
    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        let p = &self.params;
        context.add_section("EQ", |section| {
            section.add_page("Global", |page| {
                page.add_param(&p.global.phase);
                page.add_param(&p.global.length);
                page.add_param(&p.global.output);
                page.add_param(&p.global.auto_gain);
                page.add_param(&p.bypass);
            });
        });
        for (i, b) in p.band.iter().enumerate() {
            context.add_section(format!("Band {}", i + 1), |section| {
                section.add_page(format!("Band {}", i + 1), |page| {
                    page.add_param(&b.used);
                    page.add_param(&b.on);
                    page.add_param(&b.kind);
                    page.add_param(&b.freq);
                    page.add_param(&b.gain);
                    page.add_param(&b.q);
                    page.add_param(&b.slope);
                    page.add_param(&b.place);
                });
                section.add_page(format!("Band {} Dynamics", i + 1), |page| {
                    page.add_param(&b.dynamic);
                    page.add_param(&b.threshold);
                    page.add_param(&b.range);
                    page.add_param(&b.ratio);
                    page.add_param(&b.attack);
                    page.add_param(&b.release);
                    page.add_param(&b.external);
                });
            });
        }
    }
}

impl Vst3Plugin for GlassEq {
    const VST3_CLASS_ID: [u8; 16] = *b"GlassworkEqV1___";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Eq];
}

nice_export_clap!(GlassEq);
nice_export_vst3!(GlassEq);
