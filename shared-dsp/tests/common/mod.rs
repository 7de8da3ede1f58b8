//! Test-signal synthesis for the EBU Tech 3341 / 3342 minimum-requirements
//! cases: 1 kHz tones at stated per-channel peak levels and durations.

#![allow(dead_code)] // Each test binary uses a different subset.

use glass_dsp::loudness::LoudnessMeter;

/// Frequency of the test tones, in Hz ("stereo sine wave, 1000 Hz").
pub const TONE_HZ: f64 = 1_000.0;

/// Sample rates every case runs at, in Hz: the 48 kHz of the EBU test set
/// plus 44.1 and 96 kHz.
pub const RATES: [f32; 3] = [48_000.0, 44_100.0, 96_000.0];

/// A stretch of a test signal: `seconds` of 1 kHz tone at `dbfs` per-channel
/// peak level, or of silence when `dbfs` is `None`.
#[derive(Clone, Copy, Debug)]
pub struct Segment {
    pub seconds: f64,
    pub dbfs: Option<f64>,
}

/// `seconds` of 1 kHz tone with peak level `dbfs` (dB relative to full scale).
pub fn tone(seconds: f64, dbfs: f64) -> Segment {
    Segment {
        seconds,
        dbfs: Some(dbfs),
    }
}

/// `seconds` of digital silence.
pub fn silence(seconds: f64) -> Segment {
    Segment {
        seconds,
        dbfs: None,
    }
}

/// Sample index of time `seconds`, to the nearest sample.
pub fn sample_at(sample_rate: f32, seconds: f64) -> usize {
    (seconds * f64::from(sample_rate)).round() as usize
}

/// Synthesises `segments` back to back as one 1 kHz sine of continuous phase
/// whose peak amplitude follows the segment levels. Boundaries are placed at
/// the nearest sample of the cumulative time, so durations do not drift.
pub fn synthesise(sample_rate: f32, segments: &[Segment]) -> Vec<f32> {
    let total: f64 = segments.iter().map(|s| s.seconds).sum();
    let mut out = vec![0.0f32; sample_at(sample_rate, total)];
    let mut t = 0.0;
    for seg in segments {
        let start = sample_at(sample_rate, t);
        t += seg.seconds;
        let end = sample_at(sample_rate, t).min(out.len());
        if let Some(dbfs) = seg.dbfs {
            let amplitude = 10f64.powf(dbfs / 20.0);
            let w = 2.0 * std::f64::consts::PI * TONE_HZ / f64::from(sample_rate);
            for (n, x) in out.iter_mut().enumerate().take(end).skip(start) {
                *x = (amplitude * (w * n as f64).sin()) as f32;
            }
        }
    }
    out
}

/// A meter prepared for `sample_rate` and `channels`.
pub fn meter(sample_rate: f32, channels: usize) -> LoudnessMeter {
    let mut m = LoudnessMeter::new();
    m.prepare(sample_rate, channels);
    m
}

/// Feeds planar `channels` to `meter` in blocks of `block` frames.
pub fn feed(meter: &mut LoudnessMeter, channels: &[&[f32]], block: usize) {
    let frames = channels.iter().map(|c| c.len()).min().unwrap_or(0);
    let mut pos = 0;
    while pos < frames {
        let end = (pos + block).min(frames);
        let slices: Vec<&[f32]> = channels.iter().map(|c| &c[pos..end]).collect();
        meter.process(&slices);
        pos = end;
    }
}

/// Like [`feed`], calling `check(meter)` after every block.
pub fn feed_checking(
    meter: &mut LoudnessMeter,
    channels: &[&[f32]],
    block: usize,
    mut check: impl FnMut(&LoudnessMeter),
) {
    let frames = channels.iter().map(|c| c.len()).min().unwrap_or(0);
    let mut pos = 0;
    while pos < frames {
        let end = (pos + block).min(frames);
        let slices: Vec<&[f32]> = channels.iter().map(|c| &c[pos..end]).collect();
        meter.process(&slices);
        check(meter);
        pos = end;
    }
}

/// Asserts `actual` lies within `expected − below ..= expected + above`.
#[track_caller]
pub fn assert_within(actual: f32, expected: f64, above: f64, below: f64, what: &str) {
    let a = f64::from(actual);
    assert!(
        a <= expected + above && a >= expected - below,
        "{what}: got {a:.4}, expected {expected} +{above}/-{below}"
    );
}

/// Asserts `actual` lies within `expected ± tolerance`.
#[track_caller]
pub fn assert_near(actual: f32, expected: f64, tolerance: f64, what: &str) {
    assert_within(actual, expected, tolerance, tolerance, what);
}
