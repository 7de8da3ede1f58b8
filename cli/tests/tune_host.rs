//! Glasswork Tune through its built CLAP binary: the audio is the kernel's
//! to the sample (parameters mapped as the host sets them), the latency
//! reported is the delay, MIDI notes held on the note input replace the
//! scale as targets, the detected notes come out on the note output in the
//! order sung, and none of it depends on the host's block size.
//!
//! ```text
//! cargo build -p glass-tune --features glass-tune/assert_process_allocs
//! cargo test --workspace --features glass-tune/assert_process_allocs --test tune_host
//! ```

mod common;

use glass::{NoteMessage, ParamChange, Plugin};
use glass_dsp::scale::ScaleKind;
use glass_dsp::synthetic_voice::{hz, Note};
use glass_dsp::tuner::{TuneParams, Tuner};

const FS: f64 = 48_000.0;

fn tune() -> Plugin {
    common::activated("glass_tune", "audio.glasswork.tune", FS)
}

/// A note on or off at absolute sample `at`.
#[derive(Clone, Copy)]
struct TimedNote {
    at: usize,
    key: u8,
    on: bool,
}

/// Runs mono `x` (on both channels) through the plugin in blocks of `block` with `settings`
/// applied before the first sample and `notes` sent at their samples.
/// Returns the output and every note the plugin sent, at absolute samples.
fn run(
    plugin: &mut Plugin,
    settings: &[ParamChange],
    x: &[f32],
    block: usize,
    notes: &[TimedNote],
) -> (Vec<f32>, Vec<(usize, NoteMessage)>) {
    plugin.flush_params(settings).expect("flush");
    plugin
        .run(|audio| {
            let mut y = vec![0.0f32; x.len()];
            let mut sent = Vec::new();
            let mut queued = Vec::new();
            for (k, (xi, yi)) in x.chunks(block).zip(y.chunks_mut(block)).enumerate() {
                let start = k * block;
                queued.clear();
                queued.extend(
                    notes
                        .iter()
                        .filter(|n| (start..start + xi.len()).contains(&n.at))
                        .map(|n| NoteMessage {
                            time: (n.at - start) as u32,
                            key: n.key,
                            channel: 0,
                            velocity: if n.on { 0.8 } else { 0.0 },
                            on: n.on,
                        }),
                );
                audio.queue_notes(&queued);
                // The same voice on both sides of the stereo input.
                let mut right = vec![0.0f32; xi.len()];
                audio
                    .process(&[xi, xi], &mut [yi, &mut right], [])
                    .expect("process");
                assert!(
                    yi.iter()
                        .zip(&right)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "the two sides differ"
                );
                sent.extend(
                    audio
                        .notes_out()
                        .iter()
                        .map(|n| (start + n.time as usize, *n)),
                );
            }
            (y, sent)
        })
        .expect("run")
}

/// The same through the kernel, in one call per note event. Like the
/// plugin, it starts at the default settings and receives `p` with the
/// first block (so a formant or transposition change glides in alike).
fn kernel(p: &TuneParams, x: &[f32], notes: &[TimedNote]) -> Vec<f32> {
    let mut t = Tuner::new();
    t.prepare(FS as f32, x.len(), 1);
    t.set_params(p);
    let mut y = x.to_vec();
    let mut pos = 0;
    for n in notes.iter().chain(std::iter::once(&TimedNote {
        at: x.len(),
        key: 0,
        on: false,
    })) {
        if n.at > pos {
            t.process(&mut [&mut y[pos..n.at]]);
            pos = n.at;
        }
        if n.at < x.len() {
            if n.on {
                t.note_on(n.key);
            } else {
                t.note_off(n.key);
            }
        }
    }
    y
}

/// Frequency of the steady tone in `y[from..to]` between `lo` and `hi`
/// Hz. Enough to tell notes apart to a fraction of a cent; the kernel's own
/// tests hold the accuracy figures.
fn pitch(y: &[f32], from: usize, to: usize, lo: f64, hi: f64) -> f64 {
    common::tone_frequency(&y[from..to], FS, lo, hi)
}

fn cents(f: f64, target: f64) -> f64 {
    1200.0 * (f / target).log2()
}

#[test]
fn latency_reported_is_ten_ms() {
    let mut plugin = tune();
    assert_eq!(plugin.latency(), 480);
}

#[test]
fn the_binary_is_the_kernel_with_the_host_s_settings() {
    let mut plugin = tune();
    let settings = common::changes(
        &mut plugin,
        &[
            ("Key", "D"),
            ("Scale", "Natural Minor"),
            ("Retune", "0"),
            ("Formant", "1.5"),
        ],
    );
    let (_, x) = common::sung_melody(FS);
    let (y, _) = run(&mut plugin, &settings, &x, 512, &[]);
    let p = TuneParams {
        key: 2,
        scale: ScaleKind::NaturalMinor,
        retune_ms: 0.0,
        formant_semitones: 1.5,
        ..TuneParams::default()
    };
    let reference = kernel(&p, &x, &[]);
    let worst = y
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert_eq!(worst, 0.0, "the plugin's output differs from the kernel's");
    // And it is corrected: each note lands on the scale (D minor), hard.
    let lat = 480;
    for (midi, at) in [(50.0, 0.35), (53.0, 0.95), (60.0, 2.35)] {
        let from = (at * FS) as usize + lat;
        let f = pitch(&y, from, from + 9600, 100.0, 400.0);
        let c = cents(f, hz(midi));
        println!("note {midi}: {c:+.2} cents off");
        assert!(c.abs() < 3.0, "note {midi}: {c:+.2} cents");
    }
}

#[test]
fn held_midi_notes_are_the_targets() {
    let mut plugin = tune();
    let settings = common::changes(&mut plugin, &[("Retune", "0"), ("Scale", "Chromatic")]);
    let (notes, x) = common::sung_melody(FS);
    // Hold E4 (64) through the first note and G4 (67) through the last.
    // Held notes give pitch classes: the voice goes to the nearest E or G
    // in its own octave; in between, the chromatic scale applies.
    let held = [
        TimedNote {
            at: 2_000,
            key: 64,
            on: true,
        },
        TimedNote {
            at: (0.62 * FS) as usize,
            key: 64,
            on: false,
        },
        TimedNote {
            at: (1.95 * FS) as usize,
            key: 67,
            on: true,
        },
    ];
    for block in [512, 67] {
        let (y, _) = run(&mut plugin, &settings, &x, block, &held);
        let reference = kernel(
            &TuneParams {
                retune_ms: 0.0,
                ..TuneParams::default()
            },
            &x,
            &held,
        );
        // The note events split the block where they fall; the kernel
        // applies them on its own grid: the same sound at any block size.
        assert!(
            y.iter()
                .zip(&reference)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "block {block}: differs from the kernel"
        );
        let lat = 480;
        let measure = |note: &Note| {
            let from = ((note.start + 0.2) * FS) as usize + lat;
            pitch(&y, from, from + 9600, 100.0, 400.0)
        };
        // D3 +30 → E3 (E held); F3 −35 → F3 (chromatic, nearest);
        // A3 +20 → A3; C4 +25 → G3 (G held: G3 is 5.25 semitones away,
        // G4 6.75).
        let expect = [52.0, 53.0, 57.0, 55.0];
        for (note, want) in notes.iter().zip(expect) {
            let c = cents(measure(note), hz(want));
            println!(
                "block {block}: sung {:.2} → {c:+.2} cents from {want}",
                note.midi + note.detune_cents / 100.0
            );
            assert!(
                c.abs() < 3.0,
                "block {block}: {:?} → {c:+.2} cents from {want}",
                note.midi
            );
        }
    }
}

#[test]
fn detected_notes_come_out_as_midi_in_the_order_sung() {
    let mut plugin = tune();
    let (notes, x) = common::sung_melody(FS);
    let (_, sent) = run(&mut plugin, &[], &x, 256, &[]);
    let ons: Vec<(usize, u8, f64)> = sent
        .iter()
        .filter(|(_, n)| n.on)
        .map(|(at, n)| (*at, n.key, n.velocity))
        .collect();
    println!("note-ons: {ons:?}");
    let keys: Vec<u8> = ons.iter().map(|o| o.1).collect();
    // The nearest notes to what was sung: D3 +30 → D3, F3 −35 → F3,
    // A3 +20 → A3, C4 +25 → C4.
    assert_eq!(keys, [50, 53, 57, 60]);
    for ((at, _, velocity), note) in ons.iter().zip(&notes) {
        let delay = (*at as f64 / FS - note.start) * 1000.0;
        assert!(
            (0.0..80.0).contains(&delay),
            "note-on {delay:.0} ms after the onset"
        );
        // Sung at −6 dBFS peaks: a loud velocity, never zero.
        assert!((0.5..=1.0).contains(velocity), "velocity {velocity}");
    }
    // Every note-on is closed by a note-off of the same key before the
    // next note-on.
    let mut sounding: Option<u8> = None;
    for (_, n) in &sent {
        if n.on {
            assert_eq!(sounding, None, "a note-on while {sounding:?} sounds");
            sounding = Some(n.key);
        } else {
            assert_eq!(sounding, Some(n.key), "note-off for a note not sounding");
            sounding = None;
        }
    }
    assert_eq!(
        sounding, None,
        "the last note is released in the silence after it"
    );
    // MIDI out off: nothing is sent.
    let off = common::changes(&mut plugin, &[("MIDI Out", "Off")]);
    let (_, sent) = run(&mut plugin, &off, &x, 256, &[]);
    assert!(
        sent.is_empty(),
        "{} notes sent with MIDI out off",
        sent.len()
    );
}
