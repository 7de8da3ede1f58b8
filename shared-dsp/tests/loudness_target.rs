//! The loudness-target workflow of the limiter, closed loop: measure the
//! output's integrated loudness (EBU R128), set the input gain with
//! `input_gain_for_target`, measure again. It must reach the target within
//! 0.5 LU in a few steps, from below, with the true-peak ceiling held.

use glass_dsp::limiter::{input_gain_for_target, Limiter, LimiterParams};
use glass_dsp::loudness::LoudnessMeter;
use glass_dsp::true_peak::TruePeakMeter;
use std::f64::consts::PI;

/// Ten seconds of a dense, quiet mix (kick, bass, chords) at 48 kHz stereo.
fn programme(fs: f64) -> (Vec<f32>, Vec<f32>) {
    let n = (fs * 10.0) as usize;
    let (mut l, mut r) = (vec![0.0f32; n], vec![0.0f32; n]);
    for i in 0..n {
        let t = i as f64 / fs;
        let beat = (t * 2.0).fract();
        let kick =
            (2.0 * PI * (50.0 + 100.0 * (-beat * 30.0).exp()) * t).sin() * (-beat * 7.0).exp();
        let bass = (2.0 * PI * 55.0 * t).sin() * 0.5;
        let mut chord = 0.0;
        for (k, f) in [261.63, 329.63, 392.0, 523.25].iter().enumerate() {
            chord += (2.0 * PI * f * t + k as f64).sin() * 0.12;
        }
        let m = 0.2 * (kick + bass + chord);
        l[i] = (m + 0.03 * (2.0 * PI * 3000.0 * t).sin()) as f32;
        r[i] = (m - 0.03 * (2.0 * PI * 2500.0 * t).sin()) as f32;
    }
    (l, r)
}

fn limit_and_measure(gain_db: f32, l: &[f32], r: &[f32], fs: f32) -> (f32, f32) {
    let mut lim = Limiter::new();
    lim.set_params(&LimiterParams {
        input_gain_db: gain_db,
        ..LimiterParams::default()
    });
    lim.prepare(fs, 1024, 2);
    let (mut yl, mut yr) = (l.to_vec(), r.to_vec());
    for (a, b) in yl.chunks_mut(1024).zip(yr.chunks_mut(1024)) {
        lim.process(&mut [a, b]);
    }
    let mut meter = LoudnessMeter::new();
    meter.prepare(fs, 2);
    meter.process(&[&yl, &yr]);
    let mut tp = TruePeakMeter::new();
    tp.prepare(fs, 2);
    tp.process(&[&yl, &yr]);
    (meter.integrated_lufs(), tp.max_true_peak_dbtp())
}

#[test]
fn reaches_a_streaming_target_from_below_with_the_ceiling_held() {
    let fs = 48_000.0;
    let (l, r) = programme(fs as f64);
    for target in [-14.0f32, -9.0] {
        let mut gain = 0.0f32;
        let (mut integrated, _) = limit_and_measure(gain, &l, &r, fs);
        let start = integrated;
        let mut steps = 0;
        while (integrated - target).abs() > 0.5 && steps < 4 {
            gain = input_gain_for_target(gain, integrated, target).expect("measured");
            let (i, tp) = limit_and_measure(gain, &l, &r, fs);
            assert!(
                tp <= -1.0 + 0.005,
                "target {target}: true peak {tp} dBTP over the ceiling"
            );
            assert!(i <= target + 0.5, "target {target}: overshot to {i} LUFS");
            integrated = i;
            steps += 1;
        }
        eprintln!(
            "target {target} LUFS: from {start:.2} LUFS to {integrated:.2} LUFS in {steps} steps (gain {gain:+.2} dB)"
        );
        assert!(
            (integrated - target).abs() <= 0.5,
            "target {target}: ended at {integrated} LUFS"
        );
    }
}

#[test]
fn no_gain_suggested_without_a_measurement() {
    assert_eq!(input_gain_for_target(0.0, f32::NEG_INFINITY, -14.0), None);
    assert_eq!(input_gain_for_target(0.0, -80.0, -14.0), None);
    assert_eq!(input_gain_for_target(0.0, f32::NAN, -14.0), None);
    assert_eq!(input_gain_for_target(3.0, -20.0, -14.0), Some(9.0));
    assert_eq!(input_gain_for_target(30.0, -40.0, -5.0), Some(36.0));
}
