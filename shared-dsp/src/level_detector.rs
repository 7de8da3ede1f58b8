//! Level detection for dynamics processors: the sample peak `|x|`, the RMS
//! over a sliding window, or a blend of the two.
//!
//! The RMS is `sqrt(Σ x² / N)` over the last N samples (a rectangular window,
//! as in the "RMS with window" detectors of most compressors), kept as a
//! running sum in f64. Squares of f32 samples are exact in f64, so the sum only
//! picks up rounding from the additions; it is recomputed from the stored
//! samples every time the ring wraps, so that rounding can never accumulate
//! (O(1) per sample amortised).

/// Longest RMS window accepted, in ms.
pub const MAX_RMS_WINDOW_MS: f32 = 300.0;

/// One channel's level detector. `prepare` allocates; every other method is
/// realtime-safe.
#[derive(Clone, Debug, Default)]
pub struct LevelDetector {
    ring: Vec<f32>,
    /// Write position, `0..window`.
    pos: usize,
    /// Window length N in samples, `1..=ring.len()`.
    window: usize,
    inv_window: f64,
    sum: f64,
}

impl LevelDetector {
    /// A detector without storage: [`prepare`](Self::prepare) it before use
    /// (until then it reads the peak only).
    pub fn new() -> Self {
        Self::default()
    }

    /// Allocates for windows up to [`MAX_RMS_WINDOW_MS`] at `sample_rate` Hz
    /// and clears the state; the window becomes 1 sample.
    pub fn prepare(&mut self, sample_rate: f32) {
        let fs = if sample_rate.is_finite() && sample_rate > 0.0 {
            sample_rate
        } else {
            48_000.0
        };
        let cap = (f64::from(MAX_RMS_WINDOW_MS) * 1e-3 * f64::from(fs)).ceil() as usize + 1;
        self.ring = vec![0.0; cap.min(1 << 22)];
        self.window = 1;
        self.reset();
    }

    /// Window length in samples for `window_ms` (clamped to 0.01 ..=
    /// [`MAX_RMS_WINDOW_MS`]) at `sample_rate` Hz: at least 1.
    pub fn window_samples(window_ms: f32, sample_rate: f32) -> usize {
        let ms = if window_ms.is_nan() {
            10.0
        } else {
            window_ms.clamp(0.01, MAX_RMS_WINDOW_MS)
        };
        ((ms * 1e-3 * sample_rate).round() as usize).max(1)
    }

    /// Sets the RMS window to `samples` (clamped to the prepared capacity) and
    /// clears the running sum: the RMS ramps up from silence over the new
    /// window, like a freshly started meter. A window equal to the current one
    /// changes nothing.
    pub fn set_window(&mut self, samples: usize) {
        let samples = samples.clamp(1, self.ring.len().max(1));
        if samples != self.window {
            self.window = samples;
            self.reset();
        }
    }

    /// The RMS window in samples.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Clears the window to silence.
    pub fn reset(&mut self) {
        self.ring.fill(0.0);
        self.pos = 0;
        self.sum = 0.0;
        self.inv_window = 1.0 / self.window.max(1) as f64;
    }

    /// Feeds one finite sample and returns its RMS over the window (linear,
    /// ≥ 0).
    #[inline]
    pub fn push_rms(&mut self, x: f32) -> f32 {
        if self.ring.is_empty() {
            return x.abs();
        }
        let old = self.ring[self.pos];
        self.ring[self.pos] = x;
        self.sum += f64::from(x) * f64::from(x) - f64::from(old) * f64::from(old);
        self.pos += 1;
        if self.pos >= self.window {
            self.pos = 0;
            // Exact refresh once per window length.
            self.sum = self.ring[..self.window]
                .iter()
                .map(|&v| f64::from(v) * f64::from(v))
                .sum();
        }
        (self.sum.max(0.0) * self.inv_window).sqrt() as f32
    }

    /// Levels of a block of finite samples: `(1 − blend)·|x| + blend·rms`,
    /// `blend` in [0, 1] (0 = peak, 1 = RMS). With `blend == 0` the RMS
    /// window is not fed (it is cleared when RMS use resumes, see
    /// [`set_window`](Self::set_window) / [`reset`](Self::reset)).
    #[inline]
    pub fn process_block(&mut self, key: &[f32], blend: f32, levels: &mut [f32]) {
        if blend <= 0.0 {
            for (l, &x) in levels.iter_mut().zip(key) {
                *l = x.abs();
            }
        } else {
            let b = blend.min(1.0);
            for (l, &x) in levels.iter_mut().zip(key) {
                let rms = self.push_rms(x);
                let peak = x.abs();
                *l = peak + b * (rms - peak);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_of_known_signals() {
        let fs = 48_000.0;
        let mut d = LevelDetector::new();
        d.prepare(fs);
        // A square wave of amplitude A has RMS A in any window.
        d.set_window(LevelDetector::window_samples(10.0, fs));
        assert_eq!(d.window(), 480);
        let mut last = 0.0;
        for n in 0..4800 {
            let x = if (n / 24) % 2 == 0 { 0.5 } else { -0.5 };
            last = d.push_rms(x);
        }
        assert!((last - 0.5).abs() < 1e-6);
        // A sine over a whole number of periods: A/√2.
        d.set_window(480);
        for n in 0..48_000 {
            last = d.push_rms((2.0 * core::f32::consts::PI * (n % 48) as f32 / 48.0).sin());
        }
        assert!(
            (last - core::f32::consts::FRAC_1_SQRT_2).abs() < 1e-5,
            "{last}"
        );
        // Silence after the window has passed: exactly zero (no drift).
        for _ in 0..480 {
            last = d.push_rms(0.0);
        }
        assert_eq!(last, 0.0);
    }

    #[test]
    fn rms_rises_linearly_in_power_over_the_window() {
        let mut d = LevelDetector::new();
        d.prepare(48_000.0);
        d.set_window(100);
        for n in 1..=100 {
            let v = d.push_rms(1.0);
            assert!((v - (n as f32 / 100.0).sqrt()).abs() < 1e-6);
        }
    }

    #[test]
    fn blend_mixes_peak_and_rms() {
        let mut d = LevelDetector::new();
        d.prepare(48_000.0);
        d.set_window(4);
        let key = [1.0f32, 0.0, 0.0, 0.0];
        let mut out = [0.0f32; 4];
        d.process_block(&key, 0.0, &mut out);
        assert_eq!(out, [1.0, 0.0, 0.0, 0.0]);
        d.process_block(&key, 0.5, &mut out);
        // rms of [1,0,0,0] is 0.5 once the 1 is in the window.
        assert!((out[0] - 0.75).abs() < 1e-6 && (out[3] - 0.25).abs() < 1e-6);
        assert_eq!(LevelDetector::window_samples(f32::NAN, 48_000.0), 480);
        assert_eq!(LevelDetector::window_samples(1e9, 1000.0), 300);
    }
}
