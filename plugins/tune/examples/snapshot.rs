//! Renders Glasswork Tune's editor to a PNG with the real engine running on
//! a sung phrase (a synthetic voice, detuned, with vibrato and a slide), so
//! the picture shows the detected, target and output pitch on the graph.
//!
//! ```text
//! cargo run --release -p glass-tune --example snapshot -- [out.png] [width_pt] [height_pt] [pixels_per_point]
//! ```

use glass_dsp::synthetic_voice::{sing, Note, A};
use glass_tune::editor::TuneEditor;
use glass_tune::engine::{TuneEngine, TuneShared};
use glass_tune::params::{KeyParam, ScaleParam, TunePluginParams};
use glass_ui::snapshot::{self, PictureArgs};
use nice_plug::params::InternalParamMut;
use std::sync::Arc;

const FS: f64 = 48_000.0;

/// Sets a parameter to a plain value, as a host would before the editor
/// opens.
fn set<P: InternalParamMut>(param: &P, plain: P::Plain) {
    // SAFETY: the parameter is alive (owned by `params` in `main`) and no
    // other thread reads or writes it: there is no host here.
    unsafe {
        param._internal_set_plain_value(plain);
    }
}

/// Six seconds of a phrase in A minor, each note sung off pitch, with
/// vibrato on the long ones.
fn phrase() -> Vec<f32> {
    let notes = [
        (0.15, 0.55, 57.0, 28.0, 0.0),
        (0.80, 0.45, 60.0, -35.0, 0.0),
        (1.35, 0.95, 64.0, 18.0, 35.0),
        (2.45, 0.40, 62.0, -22.0, 0.0),
        (2.95, 0.45, 60.0, 40.0, 0.0),
        (3.50, 1.40, 59.0, -15.0, 45.0),
        (5.05, 0.75, 57.0, 25.0, 30.0),
    ]
    .map(|(start, len, midi, detune, vib)| Note {
        start,
        len,
        midi,
        detune_cents: detune,
        vib_hz: 5.5,
        vib_cents: vib,
    });
    sing(FS, &notes, A, 6.0, 0.5)
}

fn main() -> std::io::Result<()> {
    let picture = PictureArgs::from_args("docs/tune.png", (980.0, 620.0));
    let params = Arc::new(TunePluginParams::default());
    set(&params.target.key, KeyParam::A);
    set(&params.target.scale, ScaleParam::NaturalMinor);
    set(&params.correction.retune, 25.0);
    set(&params.correction.vibrato, 60.0);
    let shared = Arc::new(TuneShared::default());
    let mut engine = TuneEngine::new(shared.clone());
    let kernel = params.kernel_params();
    engine.prepare(FS as f32, 512, 1, &kernel);
    let mut editor = TuneEditor::new(params.clone(), shared.clone());

    let mut x = phrase();
    // Stop just inside the last note so the meter shows it.
    let stop = (5.6 * FS) as usize;
    for block in x[..stop].chunks_mut(512) {
        engine.process(&mut [block], &kernel);
    }
    snapshot::write_editor_png(&mut editor, &picture)
}
