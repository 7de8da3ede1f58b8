//! `glass render tune` end to end through the built plugin binary: a sung
//! melody comes out corrected, and `--midi-out` captures the detected notes
//! as a Standard MIDI File lined up with the audio. A plugin without a note
//! output writes no MIDI file and says so; a wrong file name is refused
//! before any work.

mod cli_support;
mod common;

use cli_support::*;
use glass_dsp::synthetic_voice::hz;

const RATE: u32 = 48_000;

/// A note event read back from a file: time in seconds, key, on or off.
#[derive(Debug, Clone, Copy)]
struct MidiNote {
    seconds: f64,
    key: u8,
    on: bool,
}

/// Reads a format-0 Standard MIDI File with one tempo: the note events with
/// their times. Independent of the writer: it follows the file format
/// (header, variable-length deltas, running status, meta and sysex events).
fn read_smf(bytes: &[u8]) -> Vec<MidiNote> {
    assert_eq!(&bytes[..4], b"MThd", "not a MIDI file");
    let division = u16::from_be_bytes([bytes[12], bytes[13]]);
    assert!(division & 0x8000 == 0, "SMPTE time division");
    assert_eq!(&bytes[14..18], b"MTrk");
    let len = u32::from_be_bytes([bytes[18], bytes[19], bytes[20], bytes[21]]) as usize;
    let track = &bytes[22..22 + len];
    let mut i = 0;
    let mut ticks = 0u64;
    let mut us_per_quarter = 500_000.0;
    let mut status = 0u8;
    let mut notes = Vec::new();
    let vlq = |i: &mut usize| {
        let mut v = 0u64;
        loop {
            let b = track[*i];
            *i += 1;
            v = (v << 7) | u64::from(b & 0x7f);
            if b & 0x80 == 0 {
                return v;
            }
        }
    };
    while i < track.len() {
        ticks += vlq(&mut i);
        if track[i] & 0x80 != 0 {
            status = track[i];
            i += 1;
        }
        match status {
            0xff => {
                let kind = track[i];
                i += 1;
                let n = vlq(&mut i) as usize;
                if kind == 0x51 {
                    us_per_quarter = f64::from(
                        u32::from(track[i]) << 16
                            | u32::from(track[i + 1]) << 8
                            | u32::from(track[i + 2]),
                    );
                }
                i += n;
            }
            0xf0 | 0xf7 => {
                let n = vlq(&mut i) as usize;
                i += n;
            }
            s if s & 0xf0 == 0x80 || s & 0xf0 == 0x90 => {
                let (key, velocity) = (track[i], track[i + 1]);
                i += 2;
                notes.push(MidiNote {
                    seconds: ticks as f64 / f64::from(division) * us_per_quarter * 1e-6,
                    key,
                    on: s & 0xf0 == 0x90 && velocity > 0,
                });
            }
            s => panic!("unexpected status {s:#x}"),
        }
    }
    notes
}

#[test]
fn the_melody_comes_out_corrected_and_its_notes_as_a_midi_file() {
    let dir = TempDir::new("tune");
    let input = dir.join("voice.wav");
    let (notes, x) = common::sung_melody(f64::from(RATE));
    let frames = x.len();
    write_wav(&input, RATE, &[x]);
    let output = dir.join("tuned.wav");
    let midi = dir.join("melody.mid");
    let out = glass(&[
        "render",
        "tune",
        path_str(&input),
        "-o",
        path_str(&output),
        "--set",
        "retune=0",
        "--format",
        "f32",
        "--midi-out",
        path_str(&midi),
        "--bpm",
        "90",
    ]);
    assert_success(&out, "render tune --midi-out");
    assert!(
        text(&out.stdout).contains("4 notes"),
        "{}",
        text(&out.stdout)
    );

    // The audio: each note on its nearest semitone (hard correction, the
    // chromatic scale), lined up with the input (latency removed).
    let (_, y) = read_wav(&output);
    // The input plus Tune's tail (the 10 ms of input its delay line still
    // holds when the input ends).
    assert_eq!(y[0].len(), frames + 480, "input length plus the tail");
    for (note, want) in notes.iter().zip([50.0, 53.0, 57.0, 60.0]) {
        let from = ((note.start + 0.15) * f64::from(RATE)) as usize;
        let f = common::tone_frequency(&y[0][from..from + 9_600], f64::from(RATE), 100.0, 400.0);
        let cents = 1200.0 * (f / hz(want)).log2();
        println!(
            "sung {:.2}: {cents:+.2} cents from {want}",
            note.midi + note.detune_cents / 100.0
        );
        assert!(cents.abs() < 3.0, "note {want}: {cents:+.2} cents");
    }

    // The MIDI file: the four notes in order, each on shortly after it
    // was sung and off before the next one starts.
    let events = read_smf(&std::fs::read(&midi).expect("the MIDI file"));
    let ons: Vec<&MidiNote> = events.iter().filter(|e| e.on).collect();
    assert_eq!(
        ons.iter().map(|e| e.key).collect::<Vec<_>>(),
        [50, 53, 57, 60],
        "{events:?}"
    );
    for (on, note) in ons.iter().zip(&notes) {
        let delay_ms = (on.seconds - note.start) * 1000.0;
        println!("note {}: on {delay_ms:.1} ms after it was sung", on.key);
        assert!(
            (0.0..80.0).contains(&delay_ms),
            "note {} on {delay_ms:.1} ms late",
            on.key
        );
        let off = events
            .iter()
            .find(|e| !e.on && e.key == on.key && e.seconds > on.seconds)
            .expect("a note-off");
        assert!(
            off.seconds > note.end() - 0.05 && off.seconds < note.end() + 0.1,
            "note {} off at {:.3} s, sung until {:.3} s",
            on.key,
            off.seconds,
            note.end()
        );
    }
    assert_no_temporaries(&dir.0);
}

#[test]
fn midi_out_is_refused_for_a_wrong_name_and_skipped_without_notes() {
    let dir = TempDir::new("tune-midi-errors");
    let input = dir.join("voice.wav");
    write_wav(&input, RATE, &[common::sung_melody(f64::from(RATE)).1]);
    let output = dir.join("out.wav");
    let bad = dir.join("notes.txt");
    let out = glass(&[
        "render",
        "tune",
        path_str(&input),
        "-o",
        path_str(&output),
        "--midi-out",
        path_str(&bad),
    ]);
    assert_failure_mentions(&out, "--midi-out notes.txt", &[".mid"]);
    assert!(!output.exists() && !bad.exists(), "nothing is written");

    // The limiter has no note output: the audio is written, the MIDI file
    // is not, and the user is told why.
    let midi = dir.join("none.mid");
    let out = glass(&[
        "render",
        "limit",
        path_str(&input),
        "-o",
        path_str(&output),
        "--midi-out",
        path_str(&midi),
    ]);
    assert_success(&out, "render limit --midi-out");
    assert!(output.exists() && !midi.exists());
    assert!(
        text(&out.stderr).contains("sent no notes"),
        "{}",
        text(&out.stderr)
    );
}
