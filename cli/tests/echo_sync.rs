//! Glasswork Echo through its built CLAP binary with a host transport: the
//! synced delay time follows the host tempo to the sample, an absent or
//! zero tempo falls back to the time in ms, and the tail the host is told
//! follows the feedback (endless with freeze or feedback at or above 100 %).
//!
//! ```text
//! cargo build -p glass-echo --features glass-echo/assert_process_allocs
//! cargo test --workspace --features glass-echo/assert_process_allocs --test echo_sync
//! ```

mod common;

use glass::{ParamChange, Plugin, Tail};

const FS: f64 = 48_000.0;
const BLOCK: usize = 512;

fn echo() -> Plugin {
    common::activated("glass_echo", "audio.glasswork.echo", FS)
}

/// Wet only, clean, filters open, no modulation, no feedback.
fn clean_wet() -> Vec<(&'static str, &'static str)> {
    vec![
        ("Mix", "100"),
        ("Feedback", "0"),
        ("Character", "Clean"),
        ("Low Cut", "Off"),
        ("High Cut", "Off"),
        ("Wow/Flutter", "0"),
    ]
}

/// Sends an impulse of 0.5 at `onset` (both channels) with the host
/// transport at `tempo` and returns where the left output peaks, and the
/// tail reported after the last block.
fn impulse_peak(
    plugin: &mut Plugin,
    set: &[ParamChange],
    tempo: Option<f64>,
    frames: usize,
) -> (usize, Tail) {
    let onset = 1000;
    let set = set.to_vec();
    plugin
        .run(move |audio| {
            audio.set_tempo(tempo);
            let channels = audio.input_channels();
            let mut best = (0usize, 0.0f32);
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
                for (i, v) in out[0].iter().enumerate() {
                    if v.abs() > best.1 {
                        best = (pos + i, v.abs());
                    }
                }
                pos += n;
            }
            Ok::<_, glass::HostError>((best.0.saturating_sub(onset), audio.tail()))
        })
        .and_then(|r| r)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn synced_time_follows_the_host_tempo_to_the_sample() {
    // (tempo, note, type, expected delay in samples at 48 kHz)
    let cases = [
        (120.0, "1/8", "Dotted", 18_000),
        (120.0, "1/4", "Straight", 24_000),
        (100.0, "1/4", "Triplet", 19_200),
        (150.0, "1/16", "Straight", 4_800),
        // 342.857 ms: 16 457.14 samples, the nearest sample.
        (87.5, "1/8", "Straight", 16_457),
    ];
    for (tempo, note, kind, expected) in cases {
        let mut plugin = echo();
        let mut values = clean_wet();
        values.extend([("Sync", "On"), ("Note", note), ("Note Type", kind)]);
        let set = common::changes(&mut plugin, &values);
        let (delay, _) = impulse_peak(&mut plugin, &set, Some(tempo), expected + 4000);
        assert_eq!(
            delay, expected,
            "{tempo} BPM, {note} {kind}: impulse came back after {delay} samples"
        );
    }
}

#[test]
fn no_transport_or_zero_tempo_falls_back_to_the_time_in_ms() {
    for tempo in [None, Some(0.0)] {
        let mut plugin = echo();
        let mut values = clean_wet();
        values.extend([("Sync", "On"), ("Time", "250")]);
        let set = common::changes(&mut plugin, &values);
        let (delay, _) = impulse_peak(&mut plugin, &set, tempo, 16_000);
        assert_eq!(delay, 12_000, "tempo {tempo:?}");
    }
}

#[test]
fn reported_tail_follows_feedback_and_freeze() {
    let mut plugin = echo();
    let mut values = clean_wet();
    values.extend([("Time", "100"), ("Feedback", "50")]);
    let set = common::changes(&mut plugin, &values);
    let (_, tail) = impulse_peak(&mut plugin, &set, None, 2048);
    // ceil(100 / 6.02) = 17 repeats + 1 of margin, of 100 ms, plus 26.16 ms
    // of modulation and diffusion headroom.
    assert_eq!(tail, Tail::Finite((1.82616f64 * FS).ceil() as u32));
    for endless in [("Feedback", "100"), ("Freeze", "On")] {
        let mut plugin = echo();
        let set = common::changes(&mut plugin, &[endless]);
        let (_, tail) = impulse_peak(&mut plugin, &set, None, 2048);
        assert_eq!(tail, Tail::Infinite, "{endless:?}");
    }
}
