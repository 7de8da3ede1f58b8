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

/// Applies raised-cosine fades of `fade_seconds` to both ends of `x`.
pub fn taper(x: &mut [f32], sample_rate: f64, fade_seconds: f64) {
    let fade = ((fade_seconds * sample_rate).round() as usize).min(x.len() / 2);
    let len = x.len();
    for i in 0..fade {
        let g = 0.5 - 0.5 * (std::f64::consts::PI * i as f64 / fade as f64).cos();
        x[i] = (f64::from(x[i]) * g) as f32;
        x[len - 1 - i] = (f64::from(x[len - 1 - i]) * g) as f32;
    }
}

/// Tech 3341 cases 15–19: `seconds` of a sine at `sample_rate / divisor` Hz
/// with peak `amplitude` (fraction of full scale) and starting phase
/// `phase_deg`, tapered with 10 ms fades, followed by 100 ms of silence so
/// an interpolating meter's latency is flushed.
pub fn true_peak_tone(
    sample_rate: f32,
    divisor: f64,
    amplitude: f64,
    phase_deg: f64,
    seconds: f64,
) -> Vec<f32> {
    let fs = f64::from(sample_rate);
    let w = 2.0 * std::f64::consts::PI / divisor;
    let phase = phase_deg.to_radians();
    let mut x: Vec<f32> = (0..sample_at(sample_rate, seconds))
        .map(|n| (amplitude * (w * n as f64 + phase).sin()) as f32)
        .collect();
    taper(&mut x, fs, 0.010);
    x.resize(x.len() + sample_at(sample_rate, 0.1), 0.0);
    x
}

/// Tech 3341 cases 20–23: at 4·fs, a sine at fs/6 with amplitude 0.5 that
/// contains one period of a sine at fs/4 with amplitude 1.0, phase-continuous
/// on both sides (both switch at a zero crossing going up), tapered with
/// 10 ms fades; then low-pass filtered at fs/2 and decimated to fs taking
/// every fourth sample from `offset` (0..=3, in samples at 4·fs). Followed by
/// 100 ms of silence.
pub fn true_peak_burst(sample_rate: f32, offset: usize, seconds: f64) -> Vec<f32> {
    const FACTOR: usize = 4;
    let fs4 = 4.0 * f64::from(sample_rate);
    let n4 = (seconds * fs4).round() as usize;
    // Periods at 4·fs: fs/6 → 24 samples, fs/4 → 16 samples.
    let (slow, fast) = (24usize, 16usize);
    let start = (n4 / 2) / slow * slow;
    let tau = 2.0 * std::f64::consts::PI;
    let mut x: Vec<f32> = (0..n4)
        .map(|n| {
            let v = if n < start {
                0.5 * (tau * n as f64 / slow as f64).sin()
            } else if n < start + fast {
                (tau * (n - start) as f64 / fast as f64).sin()
            } else {
                0.5 * (tau * (n - start - fast) as f64 / slow as f64).sin()
            };
            v as f32
        })
        .collect();
    taper(&mut x, fs4, 0.010);

    // Blackman-windowed sinc low-pass, cut-off fs/2 = 1/8 cycle per sample at
    // 4·fs, 257 taps (transition band ≈ 5.5·4fs/257 ≈ 4 kHz at fs = 48 kHz),
    // normalised to unity gain at DC.
    let taps = 257usize;
    let cutoff = 0.5 / FACTOR as f64;
    let centre = (taps - 1) as f64 / 2.0;
    let mut h: Vec<f64> = (0..taps)
        .map(|i| {
            let m = i as f64 - centre;
            let sinc = if m == 0.0 {
                2.0 * cutoff
            } else {
                (tau * cutoff * m).sin() / (std::f64::consts::PI * m)
            };
            let a = tau * i as f64 / (taps - 1) as f64;
            sinc * (0.42 - 0.5 * a.cos() + 0.08 * (2.0 * a).cos())
        })
        .collect();
    let dc: f64 = h.iter().sum();
    h.iter_mut().for_each(|c| *c /= dc);

    // Zero-phase filtering evaluated only at the kept samples.
    let half = taps / 2;
    let mut y: Vec<f32> = (offset..n4)
        .step_by(FACTOR)
        .map(|n| {
            let mut acc = 0.0;
            for (k, c) in h.iter().enumerate() {
                if let Some(i) = (n + k).checked_sub(half) {
                    if let Some(&s) = x.get(i) {
                        acc += c * f64::from(s);
                    }
                }
            }
            acc as f32
        })
        .collect();
    y.resize(y.len() + sample_at(sample_rate, 0.1), 0.0);
    y
}
