//! Glasswork Tune's plugin layer: stable parameter ids, the mapping from
//! host values to the kernel, the keyboard editing the custom scale as host
//! gestures, and the editor drawn with the engine running.

use glass_dsp::pitch_detect::VoiceType;
use glass_dsp::scale::ScaleKind;
use glass_dsp::synthetic_voice::{sing, Note, A};
use glass_dsp::tuner::{MidiTarget, TuneParams};
use glass_tune::editor::{toggle_custom_note, TuneEditor};
use glass_tune::engine::{TargetEvent, TuneEngine, TuneShared};
use glass_tune::params::{KeyParam, MidiTargetParam, ScaleParam, TunePluginParams, VoiceParam};
use glass_ui::{accent, snapshot, Theme};
use nice_plug::params::{InternalParamMut, Params};
use nice_plug::prelude::{Enum, GuiContextInner, ParamPtr, ParamSetter, PluginApi, PluginState};
use std::sync::{Arc, Mutex};

/// Sets a parameter to a plain value, as a host would.
fn set<P: InternalParamMut>(param: &P, plain: P::Plain) {
    // SAFETY: the parameter lives in `params`, used by this thread only.
    unsafe {
        param._internal_set_plain_value(plain);
    }
}

#[test]
fn parameter_ids_are_stable() {
    // Saved sessions and automation refer to these: renaming one breaks
    // them, so the list is fixed here.
    let params = TunePluginParams::default();
    let mut ids: Vec<String> = params
        .param_map()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    ids.sort();
    let mut expected: Vec<String> = [
        "voice",
        "key",
        "scale",
        "reference",
        "transpose",
        "transpose_cents",
        "midi_target",
        "retune",
        "humanize",
        "flex",
        "vibrato",
        "amount",
        "formant",
        "midi_out",
        "bypass",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain((1..=12).map(|i| format!("custom_note_{i}")))
    .collect();
    expected.sort();
    assert_eq!(ids, expected);
}

#[test]
fn defaults_are_the_kernels_defaults() {
    let k = TunePluginParams::default().kernel_params();
    let d = TuneParams::default();
    let close = |a: f32, b: f32| (a - b).abs() <= 1e-5 * b.abs().max(1.0);
    assert_eq!(k.voice, d.voice);
    assert_eq!(
        (k.key, k.scale, k.custom_notes),
        (d.key, d.scale, d.custom_notes)
    );
    assert!(close(k.reference_hz, d.reference_hz));
    assert!(close(k.transpose_semitones, d.transpose_semitones));
    assert!(close(k.transpose_cents, d.transpose_cents));
    assert!(close(k.retune_ms, d.retune_ms));
    assert!(close(k.humanize, d.humanize));
    assert!(close(k.flex_cents, d.flex_cents));
    assert!(close(k.keep_vibrato, d.keep_vibrato));
    assert!(close(k.amount, d.amount));
    assert!(close(k.formant_semitones, d.formant_semitones));
    assert_eq!((k.midi_target, k.bypass), (d.midi_target, d.bypass));
}

#[test]
fn host_values_map_to_kernel_units() {
    let p = TunePluginParams::default();
    set(&p.target.voice, VoiceParam::Soprano);
    set(&p.target.key, KeyParam::Fs);
    set(&p.target.scale, ScaleParam::Dorian);
    set(&p.target.reference, 432.0);
    set(&p.target.transpose, -12);
    set(&p.target.transpose_cents, 25.0);
    set(&p.target.midi_target, MidiTargetParam::Exact);
    set(&p.correction.retune, 0.0);
    set(&p.correction.humanize, 40.0);
    set(&p.correction.flex, 30.0);
    set(&p.correction.vibrato, 75.0);
    set(&p.correction.amount, 50.0);
    set(&p.output.formant, -3.5);
    set(&p.target.custom[1].on, false);
    let k = p.kernel_params();
    assert_eq!(k.voice, VoiceType::Soprano);
    assert_eq!((k.key, k.scale), (6, ScaleKind::Dorian));
    assert_eq!(k.custom_notes, 0x0fff & !(1 << 1));
    assert!((k.reference_hz - 432.0).abs() < 1e-4);
    assert!((k.transpose() - (-11.75)).abs() < 1e-5);
    assert_eq!(k.midi_target, MidiTarget::Exact);
    assert_eq!(k.retune_ms, 0.0);
    assert!((k.humanize - 0.4).abs() < 1e-6);
    assert!((k.flex_cents - 30.0).abs() < 1e-4);
    assert!((k.keep_vibrato - 0.75).abs() < 1e-6);
    assert!((k.amount - 0.5).abs() < 1e-6);
    assert!((k.formant_semitones + 3.5).abs() < 1e-5);
    // Every scale of the kernel has a choice, in the kernel's order.
    for (i, s) in ScaleKind::ALL.iter().enumerate() {
        set(&p.target.scale, ScaleParam::from_index(i));
        assert_eq!(p.kernel_params().scale, *s);
    }
}

/// A host that applies every change and records the gestures.
#[derive(Default)]
struct RecordingHost {
    gestures: Mutex<Vec<(String, f32)>>,
}

impl GuiContextInner for RecordingHost {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    unsafe fn raw_begin_set_parameter(&self, _param: ParamPtr) {}
    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        // SAFETY: the pointer comes from a live parameter of the test.
        unsafe {
            param._internal_set_normalized_value(normalized);
            self.gestures
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((param.name().to_string(), normalized));
        }
    }
    unsafe fn raw_end_set_parameter(&self, _param: ParamPtr) {}
    fn get_state(&self) -> PluginState {
        PluginState {
            version: String::new(),
            params: Default::default(),
            fields: Default::default(),
        }
    }
    fn set_state(&self, _state: PluginState) {}
    fn request_restart(&self) {}
}

#[test]
fn the_keyboard_edits_the_custom_scale_from_the_scale_shown() {
    let p = TunePluginParams::default();
    set(&p.target.key, KeyParam::G);
    set(&p.target.scale, ScaleParam::Major);
    let host = RecordingHost::default();
    let setter = ParamSetter::new(&host);
    // G major is G A B C D E F#; clicking F# removes it and switches to
    // the custom scale holding the rest.
    toggle_custom_note(&p, 6, &setter);
    assert_eq!(p.target.scale.value(), ScaleParam::Custom);
    let g_major_without_fs: u16 = [7, 9, 11, 0, 2, 4].iter().fold(0, |m, pc| m | 1 << pc);
    assert_eq!(p.custom_mask(), g_major_without_fs);
    assert_eq!(p.kernel_params().scale_mask(), g_major_without_fs);
    // Each changed switch and the scale are one gesture each: the five
    // notes outside G major switched off, F# off, then the scale.
    let gestures = host
        .gestures
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    assert_eq!(gestures.len(), 6 + 1, "{gestures:?}");
    assert_eq!(gestures.last().map(|g| g.0.as_str()), Some("Scale"));
    // In the custom scale, a click toggles just that note.
    toggle_custom_note(&p, 6, &setter);
    assert_eq!(p.custom_mask(), g_major_without_fs | 1 << 6);
}

#[test]
fn editor_shows_the_pitch_graph_cents_meter_and_keyboard() {
    let fs = 48_000.0;
    let params = Arc::new(TunePluginParams::default());
    set(&params.target.key, KeyParam::A);
    set(&params.target.scale, ScaleParam::NaturalMinor);
    set(&params.correction.retune, 0.0);
    let shared = Arc::new(TuneShared::default());
    let mut engine = TuneEngine::new(shared.clone());
    let kernel = params.kernel_params();
    engine.prepare(fs as f32, 512, 1, &kernel);
    // Two seconds of A3 sung 30 cents sharp, then C4, ending mid-note.
    let notes = [(0.1, 0.8, 57.0), (1.0, 1.2, 60.0)].map(|(start, len, midi)| Note {
        start,
        len,
        midi,
        detune_cents: 30.0,
        vib_hz: 5.5,
        vib_cents: 0.0,
    });
    let mut x = sing(fs, &notes, A, 2.0, 0.5);
    engine.target_event(TargetEvent::On(64));
    engine.target_event(TargetEvent::Off(64));
    for block in x.chunks_mut(512) {
        engine.process(&mut [block], &kernel);
    }
    let mut editor = TuneEditor::new(params.clone(), shared.clone());
    let shot = snapshot::render(
        egui::Vec2::new(860.0, 540.0),
        1.0,
        3,
        |ctx| Theme::with_accent(accent::TUNE).apply(ctx),
        |ui, setter| editor.draw(ui, setter, 1.0 / 60.0),
    );
    // The history holds the frames (one per 32 samples).
    assert_eq!(editor.history().len(), 2 * 48_000 / 32);
    let latest = editor.history().latest();
    assert!(latest.voiced && latest.target_note == 60, "{latest:?}");
    let count = |(x0, y0, x1, y1): (usize, usize, usize, usize), keep: &dyn Fn([u8; 3]) -> bool| {
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| keep(shot.pixel(x, y)))
            .count()
    };
    // The output pitch is drawn in the accent (pink: red and blue over
    // green) on the graph, left of the side column.
    let pink = |p: [u8; 3]| {
        let [r, g, b] = p.map(i32::from);
        r >= 140 && b >= 100 && r - g >= 60 && b - g >= 30
    };
    let graph = (50, 40, 600, 330);
    let on_graph = count(graph, &pink);
    assert!(on_graph > 300, "{on_graph} accent pixels on the graph");
    // The two notes lie at different heights: accent pixels in the upper
    // and the lower half of the traces' span.
    let rows: Vec<usize> = (graph.1..graph.3)
        .filter(|&y| (graph.0..graph.2).any(|x| pink(shot.pixel(x, y))))
        .collect();
    let spread = rows.last().copied().unwrap_or(0) - rows.first().copied().unwrap_or(0);
    assert!(spread > 20, "the traces span only {spread} px");
    // The keyboard (lower left) lights the seven notes of A minor in the
    // accent.
    let keys = count((10, 360, 300, 520), &pink);
    assert!(keys > 2000, "{keys} lit key pixels");
}
