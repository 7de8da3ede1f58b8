//! Glasswork Tune: real-time pitch correction with formant preservation,
//! MIDI target notes and a pitch graph.
//!
//! The DSP is `glass_dsp::tuner::Tuner` (McLeod pitch detection, TD-PSOLA
//! on an LPC-whitened residual so the formants stay put); this crate maps
//! parameters, feeds MIDI notes from the host in as targets, sends the
//! detected notes out as MIDI, and hands the pitch graph to the editor.

#![warn(missing_docs)]

use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditorState, RepaintNotifier};
use std::sync::Arc;

pub mod cents_meter;
pub mod editor;
pub mod engine;
pub mod keyboard;
pub mod params;
pub mod pitch_graph;

use engine::{TargetEvent, TuneEngine, TuneShared};
use params::TunePluginParams;

/// The plugin: parameters, the engine, the editor's state.
pub struct GlassTune {
    params: Arc<TunePluginParams>,
    shared: Arc<TuneShared>,
    editor_state: Arc<EguiEditorState>,
    repaint: RepaintNotifier,
    engine: TuneEngine,
    /// The MIDI channel notes are sent on (the channel of the latest target
    /// note received, else the first).
    channel: u8,
}

impl Default for GlassTune {
    fn default() -> Self {
        let shared = Arc::new(TuneShared::default());
        Self {
            params: Arc::new(TunePluginParams::default()),
            engine: TuneEngine::new(shared.clone()),
            shared,
            editor_state: editor::default_state(),
            repaint: RepaintNotifier::new(),
            channel: 0,
        }
    }
}

/// The target-input meaning of a host note event, if it has one. A
/// note-off or choke for any key (a CLAP wildcard) releases every note.
fn target_event<S>(event: &NoteEvent<S>) -> Option<TargetEvent> {
    match *event {
        // A note-on with velocity 0 is a note-off in MIDI 1.
        NoteEvent::NoteOn {
            key: Key::Number(key),
            velocity,
            ..
        } if velocity <= 0.0 => Some(TargetEvent::Off(key)),
        NoteEvent::NoteOn {
            key: Key::Number(key),
            ..
        } => Some(TargetEvent::On(key)),
        NoteEvent::NoteOff { key, .. } | NoteEvent::Choke { key, .. } => Some(match key {
            Key::Number(key) => TargetEvent::Off(key),
            Key::Wildcard => TargetEvent::AllOff,
        }),
        _ => None,
    }
}

impl GlassTune {
    /// Runs samples `from..to` of the block, sending the detected notes
    /// (when MIDI out is on) at their positions in the block.
    fn run(
        &mut self,
        chans: &mut [&mut [f32]],
        from: usize,
        to: usize,
        p: &glass_dsp::tuner::TuneParams,
        midi_out: bool,
        context: &mut impl ProcessContext<Self>,
    ) {
        let events = match chans {
            [l] => self.engine.process(&mut [&mut l[from..to]], p),
            [l, r, ..] => self
                .engine
                .process(&mut [&mut l[from..to], &mut r[from..to]], p),
            [] => return,
        };
        if !midi_out {
            return;
        }
        for e in events {
            let timing = (from + e.offset) as u32;
            let ev = match engine::velocity(e) {
                Some(velocity) => NoteEvent::NoteOn {
                    timing,
                    voice_id: VoiceID::Wildcard,
                    channel: Channel::Number(self.channel),
                    key: Key::Number(e.note),
                    velocity,
                },
                None => NoteEvent::NoteOff {
                    timing,
                    voice_id: VoiceID::Wildcard,
                    channel: Channel::Number(self.channel),
                    key: Key::Number(e.note),
                    velocity: 0.0,
                },
            };
            // A full host queue drops the event; nothing else to do here.
            let _ = context.try_send_event(ev);
        }
    }
}

impl Plugin for GlassTune {
    const NAME: &'static str = "Glasswork Tune";
    const VENDOR: &'static str = "Glasswork";
    const URL: &'static str = env!("CARGO_PKG_HOMEPAGE");
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    // Both channels of a stereo voice are shifted by the same grains, so
    // the image stays put.
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = glass_ui::io_layouts::STEREO_OR_MONO;

    // Target notes arrive as note events (CLAP note port, VST3 event bus);
    // detected notes leave on the note output. Not `MidiCCs`: in VST3 that
    // adds 2 000-odd proxy parameters for controllers the plugin ignores
    // (hosts send note-offs for held notes when the transport stops, and
    // `reset` releases every held note).
    const MIDI_INPUT: MidiConfig = MidiConfig::Basic;
    const MIDI_OUTPUT: MidiConfig = MidiConfig::Basic;
    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type Editor = nice_plug_egui::EguiEditor<glass_ui::hosted::HostedEditor<editor::TuneEditor>>;
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
        let p = self.params.kernel_params();
        let midi_out = self.params.output.midi_out.value();
        let len = buffer.samples();
        let chans = buffer.as_slice();
        // The block is split at each target note so it takes effect at its
        // own sample (the kernel then applies it on its control grid).
        let mut pos = 0;
        loop {
            let next = context.next_event();
            let until = next
                .as_ref()
                .map_or(len, |e| (e.timing() as usize).min(len));
            if until > pos {
                self.run(chans, pos, until, &p, midi_out, context);
                pos = until;
            }
            let Some(event) = next else { break };
            if let Some(t) = target_event(&event) {
                if let NoteEvent::NoteOn {
                    channel: Channel::Number(ch),
                    ..
                } = event
                {
                    self.channel = ch.min(15);
                }
                self.engine.target_event(t);
            }
        }
        if self.editor_state.is_open() {
            self.repaint.request_repaint();
        }
        // The input still in the delay line comes out after the input stops.
        ProcessStatus::Tail(self.engine.latency())
    }
}

impl ClapPlugin for GlassTune {
    const CLAP_ID: &'static str = "audio.glasswork.tune";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Real-time pitch correction with formant preservation and MIDI targets");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::PitchCorrection,
        ClapFeature::Mono,
        ClapFeature::Stereo,
    ];

    /// Pages for hardware controllers: the correction first, then the
    /// targets.
    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        let p = &self.params;
        context.add_section("Tune", |section| {
            section.add_page("Correction", |page| {
                page.add_param(&p.correction.retune);
                page.add_param(&p.correction.humanize);
                page.add_param(&p.correction.flex);
                page.add_param(&p.correction.vibrato);
                page.add_param(&p.correction.amount);
                page.add_param(&p.output.formant);
                page.add_param(&p.target.transpose);
                page.add_param(&p.bypass);
            });
            section.add_page("Target", |page| {
                page.add_param(&p.target.key);
                page.add_param(&p.target.scale);
                page.add_param(&p.target.voice);
                page.add_param(&p.target.reference);
                page.add_param(&p.target.transpose_cents);
                page.add_param(&p.target.midi_target);
                page.add_param(&p.output.midi_out);
            });
            // The custom scale, eight switches to a page.
            for (name, notes) in [
                ("Custom C–G", &p.target.custom[..8]),
                ("Custom G#–B", &p.target.custom[8..]),
            ] {
                section.add_page(name, |page| {
                    for n in notes {
                        page.add_param(&n.on);
                    }
                });
            }
        });
    }
}

impl Vst3Plugin for GlassTune {
    const VST3_CLASS_ID: [u8; 16] = *b"GlassworkTuneV1.";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::PitchShift,
        Vst3SubCategory::Mono,
        Vst3SubCategory::Stereo,
    ];
}

nice_export_clap!(GlassTune);
nice_export_vst3!(GlassTune);
