//! Standard MIDI Files (format 0): the notes a plugin sent during a render
//! (Glasswork Tune's detected melody), for a sequencer or notation program.
//!
//! One track; 960 ticks per quarter note at a set tempo (120 BPM unless the
//! render had one), so a note's time in the file is its sample position
//! converted through that tempo and lands within half a tick (0.26 ms at
//! 120 BPM) of where it was sent.

use crate::render::TimedNote;
use std::path::Path;

/// Ticks per quarter note.
pub const TICKS_PER_QUARTER: u16 = 960;

/// A variable-length quantity: seven bits per byte, most significant
/// first, the high bit set on every byte but the last.
fn push_vlq(out: &mut Vec<u8>, mut value: u32) {
    let mut bytes = [0u8; 5];
    let mut n = 0;
    loop {
        bytes[n] = (value & 0x7f) as u8;
        n += 1;
        value >>= 7;
        if value == 0 {
            break;
        }
    }
    for i in (0..n).rev() {
        out.push(bytes[i] | if i > 0 { 0x80 } else { 0 });
    }
}

/// The file's bytes for `notes` (any order; sorted by time here, note-offs
/// before note-ons at the same tick) at `sample_rate` Hz and `tempo_bpm`
/// (non-finite or outside 1..=999 BPM: 120). Velocities 0..=1 map to
/// 1..=127 for note-ons; note-offs carry velocity 64.
pub fn file_bytes(notes: &[TimedNote], sample_rate: u32, tempo_bpm: f64) -> Vec<u8> {
    let bpm = if tempo_bpm.is_finite() && (1.0..=999.0).contains(&tempo_bpm) {
        tempo_bpm
    } else {
        120.0
    };
    let ticks_per_sample =
        bpm / 60.0 * f64::from(TICKS_PER_QUARTER) / f64::from(sample_rate.max(1));
    let mut events: Vec<(u32, bool, u8, u8, u8)> = notes
        .iter()
        .map(|n| {
            let tick = (n.frame as f64 * ticks_per_sample)
                .round()
                .min(f64::from(u32::MAX >> 4));
            let velocity = if n.on {
                (n.velocity.clamp(0.0, 1.0) * 127.0)
                    .round()
                    .clamp(1.0, 127.0) as u8
            } else {
                64
            };
            (
                tick as u32,
                n.on,
                n.channel.min(15),
                n.key.min(127),
                velocity,
            )
        })
        .collect();
    // Stable: events at the same tick keep their order, offs first.
    events.sort_by_key(|&(tick, on, ..)| (tick, on));

    let mut track = Vec::with_capacity(16 + events.len() * 5);
    // Tempo: microseconds per quarter note.
    let us = (60_000_000.0 / bpm).round() as u32;
    track.extend_from_slice(&[0x00, 0xff, 0x51, 0x03]);
    track.extend_from_slice(&us.to_be_bytes()[1..]);
    let mut last = 0;
    for (tick, on, channel, key, velocity) in events {
        push_vlq(&mut track, tick - last);
        last = tick;
        let status = if on { 0x90 } else { 0x80 } | channel;
        track.extend_from_slice(&[status, key, velocity]);
    }
    track.extend_from_slice(&[0x00, 0xff, 0x2f, 0x00]);

    let mut out = Vec::with_capacity(22 + track.len());
    out.extend_from_slice(b"MThd");
    out.extend_from_slice(&6u32.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes()); // format 0
    out.extend_from_slice(&1u16.to_be_bytes()); // one track
    out.extend_from_slice(&TICKS_PER_QUARTER.to_be_bytes());
    out.extend_from_slice(b"MTrk");
    out.extend_from_slice(&(track.len() as u32).to_be_bytes());
    out.extend_from_slice(&track);
    out
}

/// Writes [`file_bytes`] to `path`, atomically.
pub fn write(
    path: &Path,
    notes: &[TimedNote],
    sample_rate: u32,
    tempo_bpm: f64,
) -> Result<(), String> {
    let bytes = file_bytes(notes, sample_rate, tempo_bpm);
    crate::atomic::write_atomically(path, |out| std::io::Write::write_all(out, &bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(frame: u64, key: u8, on: bool) -> TimedNote {
        TimedNote {
            frame,
            key,
            channel: 0,
            velocity: 0.5,
            on,
        }
    }

    #[test]
    fn variable_length_quantities_follow_the_standard_examples() {
        for (value, bytes) in [
            (0u32, vec![0x00]),
            (0x40, vec![0x40]),
            (0x7f, vec![0x7f]),
            (0x80, vec![0x81, 0x00]),
            (0x2000, vec![0xc0, 0x00]),
            (0x3fff, vec![0xff, 0x7f]),
            (0x10_0000, vec![0xc0, 0x80, 0x00]),
            (0x0fff_ffff, vec![0xff, 0xff, 0xff, 0x7f]),
        ] {
            let mut out = Vec::new();
            push_vlq(&mut out, value);
            assert_eq!(out, bytes, "{value:#x}");
        }
    }

    #[test]
    fn a_note_lands_on_its_tick_at_the_tempo() {
        // One second at 120 BPM = 2 quarters = 1920 ticks; 0.5 s = 960.
        let bytes = file_bytes(
            &[note(24_000, 60, true), note(48_000, 60, false)],
            48_000,
            120.0,
        );
        assert_eq!(&bytes[..4], b"MThd");
        assert_eq!(&bytes[8..14], &[0, 0, 0, 1, 0x03, 0xc0]);
        let track = &bytes[22..];
        // Tempo 500 000 µs per quarter.
        assert_eq!(&track[..7], &[0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20]);
        // Delta 960 (0x87 0x40), note-on C4 velocity 64; delta 960, note-off.
        assert_eq!(&track[7..12], &[0x87, 0x40, 0x90, 60, 64]);
        assert_eq!(&track[12..17], &[0x87, 0x40, 0x80, 60, 64]);
        assert_eq!(&track[17..], &[0x00, 0xff, 0x2f, 0x00]);
    }

    #[test]
    fn offs_come_before_ons_at_the_same_tick() {
        let bytes = file_bytes(
            &[note(100, 62, true), note(100, 60, false)],
            48_000,
            f64::NAN,
        );
        let track = &bytes[22 + 7..];
        assert_eq!(track[1], 0x80);
        assert_eq!(track[5], 0x90);
    }
}
