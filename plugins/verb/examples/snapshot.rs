//! Renders Glasswork Verb's editor to a PNG with the real engine running on
//! a demo phrase and the decay of the settings measured, so the picture
//! shows the meters moving and the set and measured decay per band.
//!
//! ```text
//! cargo run --release -p glass-verb --example snapshot -- [out.png] [width_pt] [height_pt] [pixels_per_point] [room|hall|plate|chamber]
//! ```

use glass_dsp::reverb::Character;
use glass_ui::snapshot::{self, PictureArgs};
use glass_verb::editor::VerbEditor;
use glass_verb::engine::{VerbEngine, VerbShared};
use glass_verb::params::VerbPluginParams;
use nice_plug::params::InternalParamMut;
use std::f64::consts::PI;
use std::sync::Arc;

const FS: f64 = 48_000.0;

/// Three seconds of short plucked chords, the last one at the very end so
/// the meters show the room still ringing.
fn demo_phrase() -> (Vec<f32>, Vec<f32>) {
    let n = (FS * 3.0) as usize;
    let chords = [[220.0, 277.18, 329.63], [196.0, 246.94, 293.66]];
    let (mut l, mut r) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let t = i as f64 / FS;
        let k = (t / 0.75) as usize;
        let local = t - k as f64 * 0.75;
        let env = (-local * 9.0).exp();
        let v: f64 = chords[k % 2]
            .iter()
            .map(|f| (2.0 * PI * f * t).sin())
            .sum::<f64>()
            * env
            * 0.2;
        l.push(v as f32);
        r.push((v * 0.85) as f32);
    }
    (l, r)
}

/// Sets a parameter to a plain value, as a host would before the editor
/// opens.
fn set<P: InternalParamMut>(param: &P, plain: P::Plain) {
    // SAFETY: the parameter is alive (owned by `params` in `main`) and no
    // other thread reads or writes it: there is no host here.
    unsafe {
        param._internal_set_plain_value(plain);
    }
}

fn main() -> std::io::Result<()> {
    let picture = PictureArgs::from_args("docs/verb.png", (960.0, 600.0));
    let params = Arc::new(VerbPluginParams::default());
    // An optional fifth argument picks the character shown.
    let character = match std::env::args().nth(5).as_deref() {
        Some("room") => Character::Room,
        Some("plate") => Character::Plate,
        Some("chamber") => Character::Chamber,
        _ => Character::Hall,
    };
    for (param, value) in params.character_values(character) {
        set(param, value);
    }
    set(&params.output.mix, 35.0);
    let shared = Arc::new(VerbShared::default());
    let mut engine = VerbEngine::new(shared.clone());
    let kernel = params.kernel_params(None);
    engine.prepare(FS as f32, 512, 2, &kernel);
    let mut editor = VerbEditor::new(params.clone(), shared.clone());
    editor.measure_now();

    let (mut l, mut r) = demo_phrase();
    for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
        engine.process(&mut [a, b], &kernel, 0.0);
    }
    snapshot::write_editor_png(&mut editor, &picture)
}
