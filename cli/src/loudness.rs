//! EBU R 128 measurement of whole clips, with glass-dsp's BS.1770 loudness meter and 4x
//! true-peak meter (the limiter's own meters): integrated loudness, maximum momentary and
//! short-term loudness, loudness range, true peak, PLR, and loudness over time for plots.

use crate::clip::Clip;
use glass_dsp::loudness::LoudnessMeter;
use glass_dsp::true_peak::TruePeakMeter;

/// One file's loudness figures. Loudness values are `-inf` where the standard gives none
/// (silence, or a clip shorter than the window: 400 ms momentary, 3 s short-term and LRA).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessReport {
    /// Integrated (gated) loudness, LUFS.
    pub integrated_lufs: f64,
    /// Highest short-term (3 s) loudness, LUFS.
    pub short_term_max_lufs: f64,
    /// Highest momentary (400 ms) loudness, LUFS.
    pub momentary_max_lufs: f64,
    /// Loudness range (EBU Tech 3342), LU.
    pub loudness_range_lu: f64,
    /// Highest true peak (BS.1770 4x oversampling; 2x from 176.4 kHz), dBTP.
    pub true_peak_dbtp: f64,
    /// Highest sample peak, dBFS.
    pub sample_peak_dbfs: f64,
    /// Peak-to-loudness ratio, true peak minus integrated loudness, in dB.
    pub plr_db: f64,
    /// Length in seconds.
    pub duration_s: f64,
}

/// Loudness over time, one point per 100 ms (the meter's step).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoudnessCurve {
    /// Seconds between points.
    pub step_s: f64,
    /// Momentary loudness at the end of each step, LUFS (`-inf` before 400 ms and in silence).
    pub momentary: Vec<f32>,
    /// Short-term loudness at the end of each step, LUFS (`-inf` before 3 s and in silence).
    pub short_term: Vec<f32>,
}

fn db(x: f32) -> f64 {
    f64::from(x)
}

/// Integrated loudness of `clip` alone, LUFS (`-inf` for silence).
pub fn integrated_lufs(clip: &Clip) -> f64 {
    let mut meter = LoudnessMeter::new();
    meter.prepare(clip.sample_rate as f32, clip.channels.len());
    meter.process(&clip.slices());
    db(meter.integrated_lufs())
}

/// Highest true peak of `clip` (BS.1770 4x; 2x from 176.4 kHz), dBTP.
pub fn true_peak_dbtp(clip: &Clip) -> f64 {
    let channels = clip.slices();
    let mut meter = TruePeakMeter::new();
    meter.prepare(clip.sample_rate as f32, channels.len());
    meter.process(&channels);
    // The interpolator's delay holds the last samples back: flush them with silence.
    let flush = vec![0.0f32; meter.latency() + 1];
    let zeros: Vec<&[f32]> = channels.iter().map(|_| flush.as_slice()).collect();
    meter.process(&zeros);
    db(meter.max_true_peak_dbtp())
}

/// Measures `clip` (BS.1770 channel weights for its channel count).
pub fn measure(clip: &Clip) -> LoudnessReport {
    measure_with_curve(clip).0
}

/// Measures `clip` and records its momentary and short-term loudness every 100 ms.
pub fn measure_with_curve(clip: &Clip) -> (LoudnessReport, LoudnessCurve) {
    let rate = clip.sample_rate as f32;
    let channels = clip.slices();
    let mut meter = LoudnessMeter::new();
    meter.prepare(rate, channels.len());
    // The meter's 100 ms steps are `round(rate / 10)` samples; reading after each step gives
    // the values on its own grid.
    let step = ((f64::from(clip.sample_rate) / 10.0).round() as usize).max(1);
    let mut curve = LoudnessCurve {
        step_s: step as f64 / f64::from(clip.sample_rate),
        ..LoudnessCurve::default()
    };
    let frames = clip.frames();
    let mut start = 0;
    while start < frames {
        let end = (start + step).min(frames);
        let block: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
        meter.process(&block);
        if end - start == step {
            curve.momentary.push(meter.momentary_lufs());
            curve.short_term.push(meter.short_term_lufs());
        }
        start = end;
    }

    let sample_peak = clip
        .channels
        .iter()
        .flat_map(|c| c.iter())
        .fold(0.0f32, |m, x| m.max(x.abs()));

    let integrated = db(meter.integrated_lufs());
    let true_peak = true_peak_dbtp(clip);
    let report = LoudnessReport {
        integrated_lufs: integrated,
        short_term_max_lufs: db(meter.max_short_term_lufs()),
        momentary_max_lufs: db(meter.max_momentary_lufs()),
        loudness_range_lu: db(meter.loudness_range_lu()),
        true_peak_dbtp: true_peak,
        sample_peak_dbfs: 20.0 * f64::from(sample_peak).log10(),
        plr_db: if integrated.is_finite() {
            true_peak - integrated
        } else {
            f64::NAN
        },
        duration_s: clip.seconds(),
    };
    (report, curve)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::TAU;

    fn sine(amplitude: f64, seconds: f64) -> Clip {
        let rate = 48_000u32;
        let n = (seconds * f64::from(rate)) as usize;
        let channel: Vec<f32> = (0..n)
            .map(|i| (amplitude * (TAU * 997.0 * i as f64 / f64::from(rate)).sin()) as f32)
            .collect();
        Clip {
            sample_rate: rate,
            channels: vec![channel.clone(), channel],
        }
    }

    #[test]
    fn a_stereo_sine_reads_as_bs1770_says() {
        // A 997 Hz sine at -20 dBFS peak in both channels: each channel's mean square is
        // 0.5·10^-2, K-weighting is +0.691 dB at 997 Hz, cancelled by the -0.691 offset, and two
        // channels add 3.01 dB: -20 - 3.01 + 3.01 = -20 LUFS.
        let report = measure(&sine(0.1, 10.0));
        assert!((report.integrated_lufs + 20.0).abs() < 0.02, "{report:?}");
        assert!(
            (report.momentary_max_lufs + 20.0).abs() < 0.02,
            "{report:?}"
        );
        assert!(
            (report.short_term_max_lufs + 20.0).abs() < 0.02,
            "{report:?}"
        );
        assert!(report.loudness_range_lu.abs() < 0.05, "{report:?}");
        assert!((report.true_peak_dbtp + 20.0).abs() < 0.05, "{report:?}");
        assert!((report.sample_peak_dbfs + 20.0).abs() < 0.01, "{report:?}");
        assert!((report.plr_db - 0.0).abs() < 0.06, "{report:?}");
    }

    #[test]
    fn the_curve_has_one_point_per_100_ms() {
        let (_, curve) = measure_with_curve(&sine(0.1, 5.0));
        assert_eq!(curve.momentary.len(), 50);
        assert!((curve.step_s - 0.1).abs() < 1e-12);
        assert!(
            curve.momentary[2].is_infinite(),
            "no momentary value before 400 ms"
        );
        assert!((curve.momentary[10] + 20.0).abs() < 0.02);
        assert!(curve.short_term[28].is_infinite() && curve.short_term[29].is_finite());
    }

    #[test]
    fn silence_has_no_loudness() {
        let report = measure(&Clip::silence(48_000, 2, 48_000));
        assert_eq!(report.integrated_lufs, f64::NEG_INFINITY);
        assert!(report.plr_db.is_nan());
    }
}
