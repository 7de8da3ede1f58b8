//! Glasswork Verb's plugin layer: stable parameter ids, the mapping from
//! host values to the kernel, the characters, the synced pre-delay, and the
//! editor drawn with the engine running and the decay measured.

use glass_dsp::reverb::{Character, ReverbParams, MAX_PRE_DELAY_MS};
use glass_ui::note_param::{ModParam, NoteParam};
use glass_ui::{accent, snapshot, Theme};
use glass_verb::editor::{pre_delay_readout, VerbEditor};
use glass_verb::engine::{VerbEngine, VerbShared};
use glass_verb::params::VerbPluginParams;
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
    let params = VerbPluginParams::default();
    let mut ids: Vec<String> = params
        .param_map()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    ids.sort();
    let mut expected: Vec<String> = [
        "decay",
        "low_mult",
        "high_mult",
        "low_xover",
        "high_xover",
        "freeze",
        "size",
        "predelay",
        "predelay_sync",
        "predelay_note",
        "predelay_note_mod",
        "diffusion",
        "early_late",
        "damping",
        "mod_depth",
        "mod_rate",
        "low_cut",
        "high_cut",
        "width",
        "ducking",
        "mix",
        "bypass",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    expected.sort();
    assert_eq!(ids, expected);
}

#[test]
fn defaults_are_the_kernels_defaults() {
    let k = VerbPluginParams::default().kernel_params(None);
    let d = ReverbParams::default();
    let close = |a: f32, b: f32| (a - b).abs() <= 1e-5 * b.abs().max(1.0);
    assert!(close(k.decay_s, d.decay_s));
    assert!(close(k.low_multiplier, d.low_multiplier));
    assert!(close(k.high_multiplier, d.high_multiplier));
    assert!(close(k.low_crossover_hz, d.low_crossover_hz));
    assert!(close(k.high_crossover_hz, d.high_crossover_hz));
    assert!(close(k.size, d.size));
    assert!(close(k.pre_delay_ms, d.pre_delay_ms));
    assert!(close(k.diffusion, d.diffusion));
    assert!(close(k.early_late, d.early_late));
    assert!(close(k.damping, d.damping));
    assert!(close(k.mod_depth_ms, d.mod_depth_ms));
    assert!(close(k.mod_rate_hz, d.mod_rate_hz));
    assert!(close(k.width, d.width));
    assert!(close(k.low_cut_hz, d.low_cut_hz));
    assert!(close(k.high_cut_hz, d.high_cut_hz));
    assert!(close(k.ducking_db, d.ducking_db));
    assert!(close(k.mix, d.mix));
    assert_eq!((k.freeze, k.bypass), (false, false));
}

#[test]
fn host_values_map_to_kernel_units() {
    let p = VerbPluginParams::default();
    set(&p.space.size, 50.0);
    set(&p.space.diffusion, 40.0);
    set(&p.space.early_late, 25.0);
    set(&p.tone.damping, 60.0);
    set(&p.output.width, 30.0);
    set(&p.output.mix, 100.0);
    set(&p.decay.decay, 7.5);
    set(&p.decay.high_mult, 0.4);
    set(&p.output.ducking, 12.0);
    set(&p.decay.freeze, true);
    let k = p.kernel_params(None);
    assert!((k.size - 0.5).abs() < 1e-6);
    assert!((k.diffusion - 0.4).abs() < 1e-6);
    assert!((k.early_late - 0.25).abs() < 1e-6);
    assert!((k.damping - 0.6).abs() < 1e-6);
    assert!((k.width - 0.3).abs() < 1e-6);
    assert!((k.mix - 1.0).abs() < 1e-6);
    assert!((k.decay_s - 7.5).abs() < 1e-4);
    assert!((k.high_multiplier - 0.4).abs() < 1e-4);
    assert!((k.ducking_db - 12.0).abs() < 1e-4);
    assert!(k.freeze);
    // A band multiplier of 1 sits in the middle of the control's travel.
    assert!((p.decay.low_mult.preview_normalized(1.0) - 0.5).abs() < 1e-4);
}

#[test]
fn characters_set_the_space_and_keep_the_mix() {
    let p = VerbPluginParams::default();
    set(&p.output.mix, 62.0);
    set(&p.output.width, 70.0);
    let mut seen = Vec::new();
    for c in Character::ALL {
        for (param, value) in p.character_values(c) {
            set(param, value);
        }
        assert_eq!(p.current_character(), Some(c), "{c:?}");
        let k = p.kernel_params(None);
        let preset = c.preset();
        assert!((k.decay_s - preset.decay_s).abs() < 1e-3 * preset.decay_s);
        assert!((k.size - preset.size).abs() < 1e-4);
        assert!((k.pre_delay_ms - preset.pre_delay_ms).abs() < 1e-3);
        assert!((k.early_late - preset.early_late).abs() < 1e-4);
        // What the user set on the output stays.
        assert!((k.mix - 0.62).abs() < 1e-6);
        assert!((k.width - 0.7).abs() < 1e-6);
        seen.push((k.decay_s, k.size, k.early_late, k.high_multiplier));
    }
    // The four really differ: no two share decay, size and balance.
    for i in 0..seen.len() {
        for j in i + 1..seen.len() {
            assert_ne!(seen[i], seen[j]);
        }
    }
    // A knob moved away from a character's value: no character matches.
    set(&p.decay.decay, 9.0);
    assert_eq!(p.current_character(), None);
}

#[test]
fn pre_delay_follows_the_host_tempo_when_synced() {
    let p = VerbPluginParams::default();
    set(&p.space.predelay, 33.0);
    assert_eq!(p.kernel_params(Some(120.0)).pre_delay_ms, 33.0);
    set(&p.space.predelay_sync, true);
    set(&p.space.predelay_note, NoteParam::N32);
    set(&p.space.predelay_note_mod, ModParam::Straight);
    // A 1/32 note at 120 BPM: 500 ms / 8.
    assert!((p.kernel_params(Some(120.0)).pre_delay_ms - 62.5).abs() < 1e-4);
    assert_eq!(
        pre_delay_readout(&p, Some(120.0)),
        "1/32 at 120.0 BPM = 62.5 ms"
    );
    // Dotted: 3/2 of it.
    set(&p.space.predelay_note_mod, ModParam::Dotted);
    assert!((p.kernel_params(Some(120.0)).pre_delay_ms - 93.75).abs() < 1e-4);
    // Without a usable tempo the free time applies.
    assert_eq!(p.kernel_params(None).pre_delay_ms, 33.0);
    assert_eq!(p.kernel_params(Some(f64::NAN)).pre_delay_ms, 33.0);
    assert_eq!(
        pre_delay_readout(&p, None),
        "1/32.: no host tempo, free 33.0 ms"
    );
    // A note longer than the longest pre-delay is held there.
    set(&p.space.predelay_note, NoteParam::N4);
    set(&p.space.predelay_note_mod, ModParam::Straight);
    assert_eq!(p.kernel_params(Some(60.0)).pre_delay_ms, MAX_PRE_DELAY_MS);
    assert_eq!(
        pre_delay_readout(&p, Some(60.0)),
        "1/4 at 60.0 BPM = 1000 ms, held at 500 ms"
    );
}

/// Pixels of the picture in a rectangle that match `keep`.
fn count(
    shot: &snapshot::Snapshot,
    (x0, y0, x1, y1): (usize, usize, usize, usize),
    keep: impl Fn([u8; 3]) -> bool,
) -> usize {
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            if keep(shot.pixel(x, y)) {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn editor_shows_the_set_and_measured_decay_and_the_wet_meter() {
    let params = Arc::new(VerbPluginParams::default());
    set(&params.decay.decay, 1.2);
    set(&params.output.mix, 100.0);
    let shared = Arc::new(VerbShared::default());
    let mut engine = VerbEngine::new(shared.clone());
    let kernel = params.kernel_params(None);
    engine.prepare(48_000.0, 256, 2, &kernel);
    let mut x: Vec<f32> = (0..9_600).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
    let mut y = x.clone();
    engine.process(&mut [&mut x, &mut y], &kernel, 0.0);
    let mut editor = VerbEditor::new(params.clone(), shared);
    editor.measure_now();
    let shot = snapshot::render(
        egui::Vec2::new(860.0, 540.0),
        1.0,
        2,
        |ctx| Theme::with_accent(accent::VERB).apply(ctx),
        |ui, setter| editor.draw(ui, setter, 1.0 / 60.0),
    );
    // The plot (between the input meter and the wet meter, above the
    // controls) shows the set decay in the accent (violet: blue above
    // green) and the measured dots in near-white.
    let plot = (60, 60, 740, 300);
    let set_line = count(&shot, plot, |p| {
        p[2] > 180 && i32::from(p[2]) - i32::from(p[1]) > 50
    });
    let dots = count(&shot, plot, |p| p.iter().all(|&c| c > 200));
    assert!(set_line > 300, "{set_line} accent pixels");
    assert!(dots > 40, "{dots} measured-dot pixels");
    // The wet meter (second column from the right) is lit: green bars.
    let wet = count(&shot, (760, 100, 800, 300), |p| {
        p[1] > 150 && i32::from(p[1]) - i32::from(p[0]) > 60
    });
    assert!(wet > 100, "{wet} lit wet-meter pixels");
}
