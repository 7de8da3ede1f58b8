//! Glasswork EQ's plugin layer: stable parameter ids, the mapping from host
//! values to the kernel, the curve the editor draws against the response
//! measured through the engine, bypass and the editor drawn with the engine
//! running.

use glass_eq::editor::EqEditor;
use glass_eq::engine::{EqEngine, EqShared};
use glass_eq::params::{EqPluginParams, Kind, Placement, SlopeParam, BANDS};
use glass_ui::{accent, snapshot, Theme};
use nice_plug::params::{InternalParamMut, Params};
use std::sync::Arc;

const FS: f32 = 48_000.0;

/// Sets a parameter to a plain value, as a host would.
fn set<P: InternalParamMut>(param: &P, plain: P::Plain) {
    // SAFETY: the parameter lives in `params`, used by this thread only.
    unsafe {
        param._internal_set_plain_value(plain);
    }
}

#[test]
fn parameter_ids_are_stable() {
    let params = EqPluginParams::default();
    let mut ids: Vec<String> = params
        .param_map()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    ids.sort();
    let mut expected: Vec<String> = ["phase", "lin_len", "output", "auto_gain", "bypass"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for k in 1..=BANDS {
        for id in [
            "used",
            "on",
            "type",
            "freq",
            "gain",
            "q",
            "slope",
            "place",
            "dyn",
            "dyn_thresh",
            "dyn_range",
            "dyn_ratio",
            "dyn_attack",
            "dyn_release",
            "dyn_ext",
        ] {
            expected.push(format!("{id}_{k}"));
        }
    }
    expected.sort();
    assert_eq!(ids, expected);
}

#[test]
fn only_added_and_switched_on_bands_are_heard() {
    let p = EqPluginParams::default();
    assert!(p.kernel_params(None).bands.iter().all(|b| !b.enabled));
    set(&p.band[3].used, true);
    assert!(p.kernel_params(None).bands[3].enabled);
    set(&p.band[3].on, false);
    assert!(!p.kernel_params(None).bands[3].enabled);
    // Solo only of a band that is heard.
    assert_eq!(p.kernel_params(Some(3)).solo, None);
    set(&p.band[3].on, true);
    assert_eq!(p.kernel_params(Some(3)).solo, Some(3));
}

/// The magnitude (dB) of the engine's measured impulse response (65 536
/// samples, a DFT evaluated at each of `freqs`).
fn measured_db(params: &EqPluginParams, freqs: &[f32]) -> Vec<f32> {
    let shared = Arc::new(EqShared::default());
    let mut engine = EqEngine::new(shared);
    let kernel = params.kernel_params(None);
    engine.prepare(FS, 512, 2, &kernel);
    let n = 1 << 16;
    let mut l = vec![0.0f32; n];
    l[0] = 1.0;
    let mut r = l.clone();
    for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
        engine.process(&mut [a, b], None, &kernel, false);
    }
    freqs
        .iter()
        .map(|&f| {
            // Exact DFT at f (not only at bins).
            let w = std::f64::consts::TAU * f64::from(f) / f64::from(FS);
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (k, &v) in l.iter().enumerate() {
                re += f64::from(v) * (w * k as f64).cos();
                im -= f64::from(v) * (w * k as f64).sin();
            }
            (10.0 * (re * re + im * im).log10()) as f32
        })
        .collect()
}

#[test]
fn the_curve_drawn_is_the_response_heard() {
    let params = Arc::new(EqPluginParams::default());
    let bands = [
        (Kind::LowCut, 40.0, 0.0, 0.707, SlopeParam::Db24),
        (Kind::Bell, 250.0, 6.0, 1.5, SlopeParam::Db12),
        (Kind::Bell, 2_500.0, -9.0, 4.0, SlopeParam::Db12),
        (Kind::HighShelf, 8_000.0, 4.0, 0.707, SlopeParam::Db12),
    ];
    for (b, (kind, f, g, q, slope)) in params.band.iter().zip(bands) {
        set(&b.used, true);
        set(&b.kind, kind);
        set(&b.freq, f);
        set(&b.gain, g);
        set(&b.q, q);
        set(&b.slope, slope);
    }
    set(&params.band[1].place, Placement::Stereo);
    set(&params.global.output, -2.0);
    let shared = Arc::new(EqShared::default());
    shared.sample_rate.store(FS);
    let mut editor = EqEditor::new(params.clone(), shared);
    let freqs: Vec<f32> = (0..40)
        .map(|k| 30.0 * 2f32.powf(k as f32 * 9.3 / 39.0))
        .collect();
    let heard = measured_db(&params, &freqs);
    let mut worst = 0.0f32;
    for (&f, h) in freqs.iter().zip(&heard) {
        let drawn = editor.curve_db(f);
        worst = worst.max((drawn - h).abs());
        assert!(
            (drawn - h).abs() < 0.05,
            "{f:.1} Hz: drawn {drawn:.3} dB, heard {h:.3} dB"
        );
    }
    println!("curve drawn vs heard: worst {worst:.5} dB over 30 Hz - 19 kHz");
}

#[test]
fn bypass_fades_to_the_input_delayed_by_the_latency() {
    let params = EqPluginParams::default();
    set(&params.band[0].used, true);
    set(&params.band[0].gain, 12.0);
    set(&params.global.phase, glass_eq::params::PhaseMode::Linear);
    let shared = Arc::new(EqShared::default());
    let mut engine = EqEngine::new(shared);
    let kernel = params.kernel_params(None);
    engine.prepare(FS, 512, 2, &kernel);
    let latency = engine.latency() as usize;
    assert!(latency > 0);
    let n = 48_000;
    let x: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
        .collect();
    let (mut l, mut r) = (x.clone(), x.clone());
    for (a, b) in l.chunks_mut(480).zip(r.chunks_mut(480)) {
        engine.process(&mut [a, b], None, &kernel, true);
    }
    // Once the 10 ms fade is over: the input, delayed, sample for sample.
    for i in (latency + 480)..n {
        assert_eq!(l[i], x[i - latency], "at {i}");
    }
}

#[test]
fn editor_draws_the_curve_nodes_and_analyser() {
    let params = Arc::new(EqPluginParams::default());
    for (b, (f, g)) in params.band.iter().zip([(120.0, 6.0), (3_000.0, -8.0)]) {
        set(&b.used, true);
        set(&b.freq, f);
        set(&b.gain, g);
    }
    let shared = Arc::new(EqShared::default());
    let mut engine = EqEngine::new(shared.clone());
    let kernel = params.kernel_params(None);
    engine.prepare(FS, 256, 2, &kernel);
    let mut x: Vec<f32> = (0..24_000).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
    let mut y = x.clone();
    engine.process(&mut [&mut x, &mut y], None, &kernel, false);
    let mut editor = EqEditor::new(params.clone(), shared);
    let shot = snapshot::render(
        egui::Vec2::new(900.0, 560.0),
        1.0,
        2,
        |ctx| Theme::with_accent(accent::EQ).apply(ctx),
        |ui, setter| editor.draw(ui, setter, 1.0 / 60.0),
    );
    // The curve in the accent (cyan: green and blue well above red).
    let mut curve = 0;
    for yy in 40..360 {
        for xx in 60..840 {
            let p = shot.pixel(xx, yy);
            if p[1] > 160 && p[2] > 180 && i32::from(p[1]) - i32::from(p[0]) > 80 {
                curve += 1;
            }
        }
    }
    assert!(curve > 400, "{curve} curve pixels");
}
