//! Glasswork Echo's plugin layer: stable parameter ids, the mapping from
//! host values to the kernel, the sync readout, and the editor drawn with
//! the engine running.

use glass_dsp::echo::{Character, EchoMode, TimeChange, HPF_OFF_HZ, LPF_OFF_HZ};
use glass_dsp::tempo::{NoteModifier, NoteValue};
use glass_echo::editor::{sync_readout, EchoEditor};
use glass_echo::engine::{EchoEngine, EchoShared};
use glass_echo::params::EchoPluginParams;
use glass_ui::{accent, snapshot, Theme};
use nice_plug::params::{InternalParamMut, Param, Params};
use std::sync::Arc;

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
    let params = EchoPluginParams::default();
    let mut ids: Vec<String> = params
        .param_map()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    ids.sort();
    let mut expected: Vec<String> = [
        "mode",
        "time",
        "time_r",
        "sync",
        "note",
        "note_mod",
        "note_r",
        "note_mod_r",
        "offset",
        "swing",
        "feedback",
        "feedback_r",
        "hpf",
        "lpf",
        "character",
        "wow",
        "diffusion",
        "ducking",
        "freeze",
        "change",
        "mix",
        "taps",
        "bypass",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for k in 1..=8 {
        expected.push(format!("tap_level_{k}"));
        expected.push(format!("tap_pan_{k}"));
    }
    expected.sort();
    assert_eq!(ids, expected);
}

#[test]
fn host_values_map_to_kernel_units() {
    let params = EchoPluginParams::default();
    let d = params.kernel_params(None);
    // Defaults: a musical tape echo at 375 ms, 40 % feedback, 30 % mix.
    assert_eq!(d.mode, EchoMode::Stereo);
    assert_eq!(d.time_ms, 375.0);
    assert!((d.feedback - 0.4).abs() < 1e-6);
    assert!((d.mix - 0.3).abs() < 1e-6);
    assert_eq!(d.character, Character::Tape);
    assert_eq!(d.tempo_bpm, 0.0);
    assert_eq!(d.note.value, NoteValue::Eighth);
    assert_eq!(d.note.modifier, NoteModifier::Dotted);

    set(&params.repeats.feedback, 110.0);
    set(&params.rhythm.offset, -50.0);
    set(&params.rhythm.swing, 75.0);
    set(&params.tone.hpf, HPF_OFF_HZ);
    set(&params.tone.lpf, LPF_OFF_HZ);
    set(&params.timing.change, glass_echo::params::Change::Crossfade);
    set(&params.rhythm.taps, 8);
    set(&params.tap[7].pan, -100.0);
    set(&params.tap[7].level, 25.0);
    let p = params.kernel_params(Some(97.0));
    assert!((p.feedback - 1.1).abs() < 1e-6);
    assert!((p.offset + 0.5).abs() < 1e-6);
    assert!((p.swing - 0.75).abs() < 1e-6);
    assert_eq!(p.hpf_hz, HPF_OFF_HZ);
    assert_eq!(p.lpf_hz, LPF_OFF_HZ);
    assert_eq!(p.change, TimeChange::Crossfade);
    assert_eq!(p.taps, 8);
    assert_eq!(p.tap[7].pan, -1.0);
    assert!((p.tap[7].level - 0.25).abs() < 1e-6);
    assert_eq!(p.tempo_bpm, 97.0);
    // The filters show "Off" at the value that switches them off, and
    // parse it back.
    assert_eq!(params.tone.hpf.to_string(), "Off");
    assert_eq!(params.tone.hpf.string_to_normalized_value("off"), Some(0.0));
    set(&params.tone.hpf, 120.0);
    assert_eq!(params.tone.hpf.to_string(), "120 Hz");
    let n = params.tone.hpf.string_to_normalized_value("120 Hz");
    assert_eq!(n.map(|n| params.tone.hpf.preview_plain(n)), Some(120.0));
}

#[test]
fn readout_says_where_the_time_comes_from() {
    let params = EchoPluginParams::default();
    assert_eq!(
        sync_readout(&params.kernel_params(None)),
        "Free time: 375.0 ms"
    );
    set(&params.timing.sync, true);
    assert_eq!(
        sync_readout(&params.kernel_params(Some(120.0))),
        "1/8. at 120.0 BPM = 375.0 ms"
    );
    assert_eq!(
        sync_readout(&params.kernel_params(None)),
        "1/8.: no host tempo, free time 375.0 ms"
    );
    set(&params.rhythm.swing, 60.0);
    set(&params.timing.note, glass_echo::params::NoteParam::N4);
    set(
        &params.timing.note_mod,
        glass_echo::params::ModParam::Triplet,
    );
    assert_eq!(
        sync_readout(&params.kernel_params(Some(90.0))),
        "1/4T at 90.0 BPM = 444.4 ms · swing 60 %"
    );
}

/// Non-background pixels in a rectangle of the picture.
fn lit(shot: &snapshot::Snapshot, x0: usize, y0: usize, x1: usize, y1: usize) -> usize {
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let i = (y * shot.width + x) * 3;
            let px = &shot.rgb[i..i + 3];
            // The accent (teal-green) of the repeat bars: green well above red.
            if px[1] > 150 && px[1] as i32 - px[0] as i32 > 60 {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn editor_draws_the_repeats_in_every_mode() {
    for mode in [
        glass_echo::params::Mode::Stereo,
        glass_echo::params::Mode::PingPong,
        glass_echo::params::Mode::Dual,
        glass_echo::params::Mode::MultiTap,
    ] {
        let params = Arc::new(EchoPluginParams::default());
        set(&params.timing.mode, mode);
        let shared = Arc::new(EchoShared::default());
        let mut engine = EchoEngine::new(shared.clone());
        let kernel = params.kernel_params(Some(120.0));
        engine.prepare(48_000.0, 256, 2, &kernel);
        let mut x: Vec<f32> = (0..4800).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        let mut y = x.clone();
        engine.process(&mut [&mut x, &mut y], &kernel);
        let mut editor = EchoEditor::new(params.clone(), shared);
        let shot = snapshot::render(
            egui::Vec2::new(880.0, 560.0),
            1.0,
            2,
            |ctx| Theme::with_accent(accent::ECHO).apply(ctx),
            |ui, setter| editor.draw(ui, setter, 1.0 / 60.0),
        );
        // The time line (upper part, between the meters) shows accent bars.
        let bars = lit(&shot, 100, 60, 780, 300);
        assert!(
            bars > 200,
            "{mode:?}: {bars} accent pixels on the time line"
        );
    }
}
