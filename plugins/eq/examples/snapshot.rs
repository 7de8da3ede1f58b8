//! Renders Glasswork EQ's editor to a PNG with the real engine running on a
//! demo mix, so the picture shows the analyser, the summed curve, each
//! band's curve and node, and a dynamic band at work.
//!
//! ```text
//! cargo run --release -p glass-eq --example snapshot -- [out.png] [width_pt] [height_pt] [pixels_per_point]
//! ```

use glass_eq::editor::EqEditor;
use glass_eq::engine::{EqEngine, EqShared};
use glass_eq::params::{EqPluginParams, Kind, SlopeParam};
use glass_ui::snapshot::{self, PictureArgs};
use nice_plug::params::InternalParamMut;
use std::sync::Arc;

const FS: f32 = 48_000.0;

/// Sets a parameter to a plain value, as a host would before the editor
/// opens.
fn set<P: InternalParamMut>(param: &P, plain: P::Plain) {
    // SAFETY: the parameter is alive (owned by `params` in `main`) and no
    // other thread reads or writes it: there is no host here.
    unsafe {
        param._internal_set_plain_value(plain);
    }
}

/// Two seconds of a demo mix: pinkish noise (a one-pole-filtered white
/// noise), a bass note and a bright tone.
fn demo_mix() -> (Vec<f32>, Vec<f32>) {
    let n = (FS * 2.0) as usize;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut lp = 0.0f32;
    let (mut l, mut r) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let white = (seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
        lp += 0.08 * (white - lp);
        let t = i as f32 / FS;
        let v = 0.5 * lp
            + 0.25 * (core::f32::consts::TAU * 82.4 * t).sin()
            + 0.05 * (core::f32::consts::TAU * 3_520.0 * t).sin()
            + 0.02 * white;
        l.push(v);
        r.push(v * 0.95);
    }
    (l, r)
}

fn main() -> std::io::Result<()> {
    let picture = PictureArgs::from_args("docs/eq.png", (1000.0, 620.0));
    let params = Arc::new(EqPluginParams::default());
    let bands: [(Kind, f32, f32, f32, SlopeParam); 5] = [
        (Kind::LowCut, 28.0, 0.0, 0.707, SlopeParam::Db24),
        (Kind::Bell, 110.0, 3.5, 1.2, SlopeParam::Db12),
        (Kind::Bell, 420.0, -4.0, 2.5, SlopeParam::Db12),
        (Kind::Bell, 3_500.0, -3.0, 4.0, SlopeParam::Db12),
        (Kind::HighShelf, 9_000.0, 2.5, 0.707, SlopeParam::Db12),
    ];
    for (b, (kind, f, g, q, slope)) in params.band.iter().zip(bands) {
        set(&b.used, true);
        set(&b.kind, kind);
        set(&b.freq, f);
        set(&b.gain, g);
        set(&b.q, q);
        set(&b.slope, slope);
    }
    // The 3.5 kHz band is dynamic: it cuts the bright tone further.
    let dynamic = &params.band[3];
    set(&dynamic.dynamic, true);
    set(&dynamic.threshold, -50.0);
    set(&dynamic.range, -6.0);
    if let Ok(mut v) = params.view.write() {
        v.selected = 3;
    }
    let shared = Arc::new(EqShared::default());
    let mut engine = EqEngine::new(shared.clone());
    let kernel = params.kernel_params(None);
    engine.prepare(FS, 512, 2, &kernel);
    let mut editor = EqEditor::new(params.clone(), shared.clone());
    let (mut l, mut r) = demo_mix();
    for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
        engine.process(&mut [a, b], None, &kernel, false);
    }
    snapshot::write_editor_png(&mut editor, &picture)
}
