//! Renders Glasswork Limit's editor to a PNG with the real engine running on
//! a demo mix, so the picture shows the meters, the gain-reduction history
//! and the loudness panel at work (a standalone window only ever sees
//! silence from the dummy audio backend).
//!
//! ```text
//! cargo run --release -p glass-limit --example snapshot -- [out.png] [width_pt] [height_pt] [pixels_per_point]
//! ```

use glass_limit::editor::LimitEditor;
use glass_limit::engine::{LimitEngine, LimitShared};
use glass_limit::params::LimitParams;
use glass_ui::snapshot::{self, PictureArgs};
use std::f64::consts::PI;
use std::sync::Arc;

const FS: f64 = 48_000.0;

/// Twelve seconds of a synthetic song: a quiet verse, a loud chorus, a
/// break, so the history shows the limiter working harder and easing off.
fn demo_mix() -> (Vec<f32>, Vec<f32>) {
    let n = (FS * 12.0) as usize;
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
        let section = if t < 4.0 {
            0.35
        } else if t < 9.0 {
            1.0
        } else {
            0.55
        };
        let beat = (t * 2.0).fract();
        let kick =
            (2.0 * PI * (48.0 + 110.0 * (-beat * 28.0).exp()) * t).sin() * (-beat * 6.0).exp();
        let snare_phase = ((t * 2.0) + 0.5).fract();
        let snare = noise() * (-snare_phase * 18.0).exp() * if t >= 4.0 { 1.2 } else { 0.4 };
        let bass = (2.0 * PI * 55.0 * t).sin() * 0.45;
        let mut pad = 0.0;
        for (k, f) in [220.0, 277.18, 329.63, 440.0].iter().enumerate() {
            pad +=
                (2.0 * PI * f * t + k as f64).sin() * 0.08 + (2.0 * PI * f * 2.01 * t).sin() * 0.03;
        }
        let m = section * (0.55 * kick + 0.35 * snare + bass + pad);
        l.push((m * 1.2 + 0.1 * noise() * section) as f32);
        r.push((m * 1.2 - 0.1 * noise() * section) as f32);
    }
    (l, r)
}

fn main() -> std::io::Result<()> {
    let picture = PictureArgs::from_args("docs/limit.png", (900.0, 560.0));

    // Every control at its default: the demo mix itself is hot (peaks near
    // +5 dBFS), as a bus printed without headroom would be.
    let params = Arc::new(LimitParams::default());
    let shared = Arc::new(LimitShared::default());
    let mut engine = LimitEngine::new(shared.clone());
    let kernel = params.kernel_params();
    engine.prepare(FS as f32, 512, 2, &kernel);
    let mut editor = LimitEditor::new(params.clone(), shared.clone());

    let (mut l, mut r) = demo_mix();
    for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
        engine.process(&mut [a, b], &kernel);
    }

    snapshot::write_editor_png(&mut editor, &picture)
}
