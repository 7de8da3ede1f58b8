//! True-peak measurement per ITU-R BS.1770-4 Annex 2, and the per-sample
//! true-peak detector the limiter runs on.
//!
//! BS.1770 estimates the peak of the continuous (band-limited) waveform by
//! oversampling 4x and taking the largest magnitude; at 4x the estimate can
//! be up to 0.69 dB low for a tone at Nyquist (the samples straddle the
//! crest by π/8). The meter here does exactly what the standard says, at 4x
//! or any finer factor. The limiter's [`TruePeakDetector`] must not under-read,
//! so it refines each local maximum of the oversampled stream by fitting a
//! sinusoid through it and its two neighbours: three equally spaced samples
//! y₋, y₀, y₊ of A·cos(ωt + φ) satisfy y₋ + y₊ = 2·y₀·cos(ωh), which gives ω
//! and then A² = y₀² + ((y₊ − y₋) / (2 sin ωh))². For a single tone that is
//! exact whatever the sampling phase; a parabola through the same points
//! under-reads by up to 0.036 dB at 0.42 fs (4x), which is more than the
//! ceiling tolerance.

use crate::oversampler::{OversamplerDesign, PolyphaseUpsampler};

/// Largest oversampling factor the meter and detector accept.
pub const MAX_FACTOR: usize = 16;

/// Filter design used for true-peak interpolation: 48 taps per branch and
/// 100 dB image rejection keep the interpolated points within ±0.005 dB of
/// the band-limited waveform up to 0.43 fs (20.6 kHz at 48 kHz). 24 taps,
/// flat only to 0.37 fs, under-read hard-clipped material by up to 0.33 dB.
pub fn true_peak_design() -> OversamplerDesign {
    OversamplerDesign {
        taps: 48,
        cutoff: 1.0,
        attenuation_db: 100.0,
    }
}

/// The oversampling factor BS.1770-4 asks for at a sample rate: 4x up to
/// 48 kHz (and for 88.2/96 kHz the standard allows 2x; we keep 4x there too
/// because it costs little), 2x at 176.4/192 kHz.
pub fn bs1770_factor(sample_rate: f32) -> usize {
    if sample_rate >= 176_000.0 {
        2
    } else {
        4
    }
}

/// A multi-channel true-peak meter (BS.1770-4 Annex 2). Realtime-safe after
/// [`TruePeakMeter::prepare`].
#[derive(Clone, Debug, Default)]
pub struct TruePeakMeter {
    ups: Vec<PolyphaseUpsampler>,
    scratch: [f32; MAX_FACTOR],
    max_peak: f32,
    block_peak: f32,
    factor: usize,
}

impl TruePeakMeter {
    /// An unprepared meter (reads −inf until prepared and fed).
    pub fn new() -> Self {
        Self::default()
    }

    /// Prepares for `channels` channels at `sample_rate` Hz with the
    /// standard's oversampling factor for that rate. Allocates.
    pub fn prepare(&mut self, sample_rate: f32, channels: usize) {
        self.prepare_with_factor(bs1770_factor(sample_rate), channels);
    }

    /// Prepares with an explicit oversampling factor (1..=16; finer than the
    /// standard's 4x reads closer to the continuous peak). Allocates.
    pub fn prepare_with_factor(&mut self, factor: usize, channels: usize) {
        let factor = factor.clamp(1, MAX_FACTOR);
        self.factor = factor;
        self.ups = (0..channels)
            .map(|_| PolyphaseUpsampler::new(factor, true_peak_design()))
            .collect();
        self.reset();
    }

    /// Oversampling factor in use.
    pub fn factor(&self) -> usize {
        self.factor
    }

    /// Latency of the reading relative to the input, in samples (the
    /// interpolator's delay; a peak is seen this much after it entered).
    pub fn latency(&self) -> usize {
        self.ups.first().map_or(0, PolyphaseUpsampler::latency)
    }

    /// Clears history and the held maximum. Realtime-safe.
    pub fn reset(&mut self) {
        self.ups.iter_mut().for_each(PolyphaseUpsampler::reset);
        self.reset_peak();
    }

    /// Clears the held maximum only, keeping the filter history (the meter's
    /// "reset" button while audio runs). Realtime-safe.
    pub fn reset_peak(&mut self) {
        self.max_peak = 0.0;
        self.block_peak = 0.0;
    }

    /// Measures a planar block (one slice per channel; extra channels are
    /// ignored). Non-finite samples are measured as silence so one bad
    /// sample cannot latch the meter at +inf.
    pub fn process(&mut self, channels: &[&[f32]]) {
        let f = self.factor;
        let mut peak = 0.0f32;
        for (up, x) in self.ups.iter_mut().zip(channels) {
            for &s in x.iter() {
                let s = if s.is_finite() { s } else { 0.0 };
                up.process_sample(s, &mut self.scratch[..f]);
                for v in &self.scratch[..f] {
                    peak = peak.max(v.abs());
                }
            }
        }
        self.block_peak = self.block_peak.max(peak);
        self.max_peak = self.max_peak.max(peak);
    }

    /// Largest true peak since the last reset, linear (1.0 = 0 dBTP).
    pub fn max_true_peak(&self) -> f32 {
        self.max_peak
    }

    /// Largest true peak since the last reset in dBTP (−inf for silence).
    pub fn max_true_peak_dbtp(&self) -> f32 {
        20.0 * self.max_peak.log10()
    }

    /// Largest true peak since the last call of this method, linear; resets
    /// that running value (for meters that show the recent peak).
    pub fn take_recent_peak(&mut self) -> f32 {
        std::mem::take(&mut self.block_peak)
    }
}

/// Peak of a sinusoid through three equally spaced samples with the middle
/// one the largest in magnitude; never less than `|y0|`.
#[inline]
pub fn refine_peak(ym: f32, y0: f32, yp: f32) -> f32 {
    let a0 = y0.abs();
    // Work with the crest positive.
    let (ym, y0, yp) = if y0 < 0.0 {
        (-ym, -y0, -yp)
    } else {
        (ym, y0, yp)
    };
    if y0 <= 1e-20 {
        return a0;
    }
    let c = (ym + yp) / (2.0 * y0);
    // A local crest of a tone has |cos ωh| < 1; anything else (a corner, a
    // flat top) is not tone-like, and the sample itself is the best we know.
    if !(c > -1.0 && c < 1.0) {
        return a0;
    }
    let s2 = 1.0 - c * c;
    let d = 0.5 * (yp - ym);
    let a2 = y0 * y0 + d * d / s2;
    a2.sqrt().max(a0)
}

/// Per-sample true-peak detector for one channel: for each input sample it
/// returns an estimate of the continuous peak magnitude over one base-rate
/// sample interval (refined local maxima of the oversampled stream).
///
/// The interval reported for input `n` ends `latency()` samples before `n`.
#[derive(Clone, Debug, Default)]
pub struct TruePeakDetector {
    up: PolyphaseUpsampler,
    factor: usize,
    /// Oversampled values: the last two of the previous step, then this
    /// step's `factor` values.
    window: [f32; MAX_FACTOR + 2],
    /// Crests below this are reported unrefined (see [`Self::set_refine_threshold`]).
    refine_above: f32,
}

impl TruePeakDetector {
    /// A detector at `factor` (1..=16; 1 gives sample peaks). Allocates.
    pub fn new(factor: usize) -> Self {
        Self::with_design(factor, true_peak_design())
    }

    /// A detector with an explicit interpolation filter. Allocates.
    pub fn with_design(factor: usize, design: OversamplerDesign) -> Self {
        let factor = factor.clamp(1, MAX_FACTOR);
        Self {
            up: PolyphaseUpsampler::new(factor, design),
            factor,
            window: [0.0; MAX_FACTOR + 2],
            refine_above: 0.0,
        }
    }

    /// Oversampling factor.
    pub fn factor(&self) -> usize {
        self.factor
    }

    /// Delay of the reported peak behind the input, in base-rate samples:
    /// the interpolator's delay plus the one sample the refinement waits for
    /// the right-hand neighbour of the last point.
    pub fn latency(&self) -> usize {
        if self.factor == 1 {
            0
        } else {
            self.up.latency() + 1
        }
    }

    /// Only crests whose oversampled value exceeds `level` (linear) are
    /// refined; smaller ones are reported as the raw oversampled maximum.
    /// A caller that only cares about peaks above a ceiling sets this a
    /// safe distance below it (refinement raises a 4x point by at most
    /// 0.7 dB for content below Nyquist) and saves the square root and two
    /// divisions per crest. Default 0: refine everything.
    pub fn set_refine_threshold(&mut self, level: f32) {
        self.refine_above = if level.is_finite() {
            level.max(0.0)
        } else {
            0.0
        };
    }

    /// Clears history. Realtime-safe.
    pub fn reset(&mut self) {
        self.up.reset();
        self.window = [0.0; MAX_FACTOR + 2];
    }

    /// Keeps the history current without estimating anything (cheap), so
    /// an idle detector can take over from another at any sample. The first
    /// estimate after idling uses unrefined points only.
    #[inline]
    pub fn push(&mut self, x: f32) {
        self.up.push(x);
        self.window = [0.0; MAX_FACTOR + 2];
    }

    /// Pushes one sample; returns the peak magnitude estimate (linear).
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let f = self.factor;
        if f == 1 {
            return x.abs();
        }
        // Shift the last two values of the previous step to the front.
        self.window[0] = self.window[f];
        self.window[1] = self.window[f + 1];
        let (_, rest) = self.window.split_at_mut(2);
        self.up.process_sample(x, &mut rest[..f]);
        // Points 1..=f have both neighbours now; together over successive
        // calls they cover every oversampled point exactly once.
        let w = &self.window;
        let mut peak = 0.0f32;
        for i in 1..=f {
            let (ym, y0, yp) = (w[i - 1], w[i], w[i + 1]);
            let a0 = y0.abs();
            if a0 > self.refine_above && a0 >= ym.abs() && a0 >= yp.abs() {
                peak = peak.max(refine_peak(ym, y0, yp));
            } else {
                peak = peak.max(a0);
            }
        }
        peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn refinement_is_exact_for_a_tone_at_any_phase() {
        for &f in &[0.05f64, 0.2, 0.35, 0.45] {
            let h = 2.0 * PI * f / 4.0;
            for k in 0..50 {
                let d = -0.5 + k as f64 / 49.0;
                let y = |t: f64| (0.8 * (h * (t - d)).cos()) as f32;
                let p = refine_peak(y(-1.0), y(0.0), y(1.0));
                assert!((p - 0.8).abs() < 2e-5, "f {f} d {d}: {p}");
            }
        }
    }

    #[test]
    fn meter_reads_the_fs_over_4_sine_at_45_degrees() {
        // Samples of sin(π/2·n + π/4) all have magnitude 1/√2 (−3.01 dBFS) but
        // the waveform peaks at 1.0: the textbook inter-sample peak.
        let fs = 48000.0;
        let x: Vec<f32> = (0..4800)
            .map(|n| (0.5 * PI * n as f64 + 0.25 * PI).sin() as f32 * 0.5)
            .collect();
        let sample_peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!((20.0 * sample_peak.log10() + 9.03).abs() < 0.01);
        let mut m = TruePeakMeter::new();
        m.prepare(fs, 1);
        // Measure after the onset: an abrupt start is not band-limited and
        // really does overshoot (Gibbs), which is not what this case tests.
        m.process(&[&x[..480]]);
        m.reset_peak();
        m.process(&[&x[480..]]);
        // 0.5 amplitude → −6.02 dBTP; 4x lands on the crest exactly here.
        assert!((m.max_true_peak_dbtp() + 6.02).abs() < 0.02);
    }

    #[test]
    fn detector_never_under_reads_a_tone() {
        for &f in &[997.0f64, 5000.0, 11025.0, 15000.0, 19000.0] {
            for phase in [0.0, 0.4, 1.3] {
                let fs = 48000.0;
                let mut det = TruePeakDetector::new(4);
                let mut max = 0.0f32;
                for n in 0..4800 {
                    let x = (2.0 * PI * f * n as f64 / fs + phase).sin() as f32 * 0.5;
                    let p = det.process(x);
                    if n > 200 {
                        max = max.max(p);
                    }
                }
                let db = 20.0 * (max as f64 / 0.5).log10();
                assert!(db.abs() < 0.005, "{f} Hz phase {phase}: {db} dB");
            }
        }
    }

    #[test]
    fn non_finite_input_does_not_latch_the_meter() {
        let mut m = TruePeakMeter::new();
        m.prepare(48000.0, 2);
        let a = [0.1f32, f32::NAN, f32::INFINITY, 0.1];
        m.process(&[&a, &a]);
        assert!(m.max_true_peak().is_finite());
    }
}
