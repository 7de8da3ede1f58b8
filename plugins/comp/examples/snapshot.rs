//! Renders Glasswork Comp's editor to a PNG with the real engine running on
//! a demo signal, so the picture shows the transfer curve with its live dot,
//! the level and gain-reduction history and the meters at work (a
//! standalone window only ever sees silence from the dummy audio backend).
//!
//! ```text
//! cargo run --release -p glass-comp --example snapshot -- [out.png] [width_pt] [height_pt] [pixels_per_point]
//! ```

use glass_comp::editor::CompEditor;
use glass_comp::engine::{CompEngine, CompShared};
use glass_comp::params::CompParams;
use glass_dsp::compressor::CompressorParams;
use glass_ui::snapshot::{self, PictureArgs};
use std::f64::consts::PI;
use std::sync::Arc;

const FS: f64 = 48_000.0;

/// Eight seconds of a drum-and-bass loop: a quiet intro, a loud section, a
/// quieter break, so the history shows the compressor grabbing and letting go.
fn demo_mix() -> (Vec<f32>, Vec<f32>) {
    let n = (FS * 8.0) as usize;
    let mut seed = 0x1234_5678u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as f64 / u32::MAX as f64 - 0.5
    };
    let (mut l, mut r) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let t = i as f64 / FS;
        let section = if t < 2.0 {
            0.25
        } else if t < 6.0 {
            0.9
        } else {
            0.45
        };
        let beat = (t * 2.0).fract();
        let kick =
            (2.0 * PI * (50.0 + 120.0 * (-beat * 30.0).exp()) * t).sin() * (-beat * 7.0).exp();
        let snare_phase = ((t * 2.0) + 0.5).fract();
        let snare = noise() * (-snare_phase * 20.0).exp();
        let hat = noise() * (-((t * 8.0).fract()) * 60.0).exp() * 0.3;
        let bass = (2.0 * PI * 55.0 * t).sin() * 0.35;
        let m = section * (0.8 * kick + 0.5 * snare + bass) + 0.3 * section * hat;
        l.push((m + 0.04 * noise() * section) as f32);
        r.push((m - 0.04 * noise() * section) as f32);
    }
    (l, r)
}

fn main() -> std::io::Result<()> {
    let picture = PictureArgs::from_args("docs/comp.png", (980.0, 640.0));

    // A drum-bus setting: −22 dB threshold, 3:1, 6 dB knee, a little
    // lookahead so the attack catches the kicks, auto makeup.
    let params = Arc::new(CompParams::with_values(&CompressorParams {
        threshold_db: -22.0,
        ratio: 3.0,
        attack_ms: 3.0,
        release_ms: 120.0,
        lookahead_ms: 1.5,
        auto_makeup: true,
        ..CompressorParams::default()
    }));
    let shared = Arc::new(CompShared::default());
    let mut engine = CompEngine::new(shared.clone());
    let kernel = params.kernel_params();
    engine.prepare(FS as f32, 512, 2, &kernel);
    let mut editor = CompEditor::new(params.clone(), shared.clone());

    let (mut l, mut r) = demo_mix();
    let block = 512;
    let total = l.len();
    let mut start = 0;
    while start < total {
        let end = (start + block).min(total);
        engine.process(&mut [&mut l[start..end], &mut r[start..end]], None, &kernel);
        start = end;
    }

    snapshot::write_editor_png(&mut editor, &picture)
}
