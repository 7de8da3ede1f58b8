//! Renders Glasswork Echo's editor to a PNG with the real engine running on
//! a demo phrase, so the picture shows the meters moving and the repeats of
//! a synced, swung ping-pong on the time line.
//!
//! ```text
//! cargo run --release -p glass-echo --example snapshot -- [out.png] [width_pt] [height_pt] [pixels_per_point] [stereo|pingpong|dual|multitap]
//! ```

use glass_echo::editor::EchoEditor;
use glass_echo::engine::{EchoEngine, EchoShared};
use glass_echo::params::{EchoPluginParams, Mode};
use glass_ui::snapshot::{self, PictureArgs};
use nice_plug::params::InternalParamMut;
use std::f64::consts::PI;
use std::sync::Arc;

const FS: f64 = 48_000.0;
/// The demo's host tempo, BPM.
const TEMPO: f64 = 118.0;

/// Four seconds of plucked notes on the beat, the last one left to ring
/// out through the repeats.
fn demo_phrase() -> (Vec<f32>, Vec<f32>) {
    let n = (FS * 4.0) as usize;
    let beat = 60.0 / TEMPO;
    let notes = [220.0, 277.18, 329.63, 440.0, 329.63, 277.18];
    let (mut l, mut r) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let t = i as f64 / FS;
        let k = (t / beat) as usize;
        let local = t - k as f64 * beat;
        let v = if k < notes.len() {
            let f = notes[k];
            let env = (-local * 7.0).exp();
            env * ((2.0 * PI * f * t).sin() + 0.3 * (4.0 * PI * f * t).sin()) * 0.45
        } else {
            0.0
        };
        l.push(v as f32);
        r.push((v * 0.9) as f32);
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
    let picture = PictureArgs::from_args("docs/echo.png", (980.0, 620.0));

    let params = Arc::new(EchoPluginParams::default());
    set(&params.timing.sync, true);
    // An optional fifth argument picks another routing to look at.
    let mode = match std::env::args().nth(5).as_deref() {
        Some("stereo") => Mode::Stereo,
        Some("dual") => Mode::Dual,
        Some("multitap") => Mode::MultiTap,
        _ => Mode::PingPong,
    };
    set(&params.timing.mode, mode);
    set(&params.rhythm.swing, 58.0);
    set(&params.repeats.feedback, 55.0);
    let shared = Arc::new(EchoShared::default());
    let mut engine = EchoEngine::new(shared.clone());
    let kernel = params.kernel_params(Some(TEMPO));
    engine.prepare(FS as f32, 512, 2, &kernel);
    let mut editor = EchoEditor::new(params.clone(), shared.clone());

    let (mut l, mut r) = demo_phrase();
    for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
        engine.process(&mut [a, b], &kernel);
    }

    snapshot::write_editor_png(&mut editor, &picture)
}
