//! Glasswork Verb through its built CLAP binary with a host transport: the
//! synced pre-delay follows the host tempo to the sample (and is held at
//! the longest pre-delay), an absent tempo falls back to the time in ms,
//! and the tail the host is told is the time for the slowest band to fall
//! 90 dB (endless with freeze), so an offline bounce keeps the whole decay.
//!
//! ```text
//! cargo build -p glass-verb --features glass-verb/assert_process_allocs
//! cargo test --workspace --features glass-verb/assert_process_allocs --test verb_host
//! ```

mod common;

use glass::{ParamChange, Plugin, Tail};
use glass_dsp::reverb::{Reverb, ReverbParams};

const FS: f64 = 48_000.0;
const BLOCK: usize = 512;
/// The first early reflection (left) at size 100 %: 4.3 ms after the
/// pre-delay, 206.4 samples, read at the nearest whole sample.
const FIRST_TAP: usize = 206;

fn verb() -> Plugin {
    common::activated("glass_verb", "audio.glasswork.verb", FS)
}

/// Wet only, early reflections only, full size: the output starts exactly
/// at the pre-delay plus the first tap.
fn early_wet() -> Vec<(&'static str, &'static str)> {
    vec![("Mix", "100"), ("Early/Late", "0"), ("Size", "100")]
}

/// Sends an impulse of 0.5 at `onset` (both channels) with the host
/// transport at `tempo`; returns how long after it the left output first
/// moves, and the tail reported after the last block.
fn impulse_onset(
    plugin: &mut Plugin,
    set: &[ParamChange],
    tempo: Option<f64>,
    frames: usize,
) -> (Option<usize>, Tail) {
    // Well after the 30 ms the kernel takes to crossfade to the settings
    // sent with the first block.
    let onset = 3000;
    let set = set.to_vec();
    plugin
        .run(move |audio| {
            audio.set_tempo(tempo);
            let channels = audio.input_channels();
            let mut first = None;
            let mut pos = 0;
            while pos < frames {
                let n = BLOCK.min(frames - pos);
                let mut block = vec![0.0f32; n];
                if (pos..pos + n).contains(&onset) {
                    block[onset - pos] = 0.5;
                }
                let input: Vec<&[f32]> = vec![&block; channels];
                let mut out = vec![vec![0.0f32; n]; audio.output_channels()];
                let mut output: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[..]).collect();
                let events = if pos == 0 { set.clone() } else { Vec::new() };
                audio.process(&input, &mut output, events)?;
                if first.is_none() {
                    first = out[0]
                        .iter()
                        .position(|v| v.abs() > 1e-6)
                        .map(|i| (pos + i).saturating_sub(onset));
                }
                pos += n;
            }
            Ok::<_, glass::HostError>((first, audio.tail()))
        })
        .and_then(|r| r)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn synced_pre_delay_follows_the_host_tempo_to_the_sample() {
    // (tempo, note, type, expected pre-delay in samples at 48 kHz)
    let cases = [
        (120.0, "1/16", "Straight", 6_000),
        // 1/32 dotted at 100 BPM: 75 ms × 3/2.
        (100.0, "1/32", "Dotted", 5_400),
        // 1/64 triplet at 90 BPM: 27.78 ms, 1 333.3 samples, the nearest.
        (90.0, "1/64", "Triplet", 1_333),
        // A quarter at 60 BPM is a second: held at the 500 ms maximum.
        (60.0, "1/4", "Straight", 24_000),
    ];
    for (tempo, note, kind, expected) in cases {
        let mut plugin = verb();
        let mut values = early_wet();
        values.extend([
            ("Pre-Delay Sync", "On"),
            ("Pre-Delay Note", note),
            ("Pre-Delay Note Type", kind),
        ]);
        let set = common::changes(&mut plugin, &values);
        let (onset, _) = impulse_onset(&mut plugin, &set, Some(tempo), expected + 4_000);
        assert_eq!(
            onset,
            Some(expected + FIRST_TAP),
            "{tempo} BPM, {note} {kind}"
        );
    }
}

#[test]
fn no_transport_falls_back_to_the_pre_delay_in_ms() {
    for (sync, tempo) in [("On", None), ("On", Some(0.0)), ("Off", Some(120.0))] {
        let mut plugin = verb();
        let mut values = early_wet();
        values.extend([("Pre-Delay Sync", sync), ("Pre-Delay", "33")]);
        let set = common::changes(&mut plugin, &values);
        let (onset, _) = impulse_onset(&mut plugin, &set, tempo, 6_000);
        // 33 ms = 1 584 samples.
        assert_eq!(
            onset,
            Some(1_584 + FIRST_TAP),
            "sync {sync}, tempo {tempo:?}"
        );
    }
}

#[test]
fn reported_tail_covers_the_slowest_band_and_freeze_is_endless() {
    let mut plugin = verb();
    let set = common::changes(
        &mut plugin,
        &[
            ("Decay", "3"),
            ("Low Decay", "2"),
            ("Pre-Delay", "20"),
            ("Size", "100"),
        ],
    );
    let (_, tail) = impulse_onset(&mut plugin, &set, None, 2048);
    // The low band decays in 6 s: 90 dB takes 9 s, after 20 ms of
    // pre-delay, 66.7 ms of early taps and 66 ms of the network's longest
    // line at size 1.
    let expected = ((0.020 + 0.0667 + 0.066 + 9.0) * FS).ceil() as u32;
    let Tail::Finite(n) = tail else {
        panic!("tail {tail:?}");
    };
    assert!(n.abs_diff(expected) <= 2, "tail {n}, expected {expected}");
    // The kernel's own account agrees to the sample.
    let p = ReverbParams {
        decay_s: 3.0,
        low_multiplier: 2.0,
        pre_delay_ms: 20.0,
        ..ReverbParams::default()
    };
    assert_eq!(
        Some(n as usize),
        Reverb::tail_samples(&p, FS as f32),
        "the host was told the kernel's tail"
    );

    let mut plugin = verb();
    let set = common::changes(&mut plugin, &[("Freeze", "On")]);
    let (_, tail) = impulse_onset(&mut plugin, &set, None, 2048);
    assert_eq!(tail, Tail::Infinite);
}
