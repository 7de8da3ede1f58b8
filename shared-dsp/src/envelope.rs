//! Peak envelope follower with separate attack and release.
//!
//! The "branching" peak detector of D. Giannoulis, M. Massberg and
//! J. D. Reiss, "Digital Dynamic Range Compressor Design — A Tutorial and
//! Analysis", JAES 60(6), 2012, eq. (15): one one-pole smoother on the
//! rectified input whose coefficient switches between attack (input above the
//! envelope) and release (input below):
//!
//! ```text
//! y[n] = αA·y[n−1] + (1 − αA)·|x[n]|   if |x[n]| > y[n−1]
//! y[n] = αR·y[n−1] + (1 − αR)·|x[n]|   otherwise
//! α = e^(−1/(τ·fs))
//! ```
//!
//! so a step reaches 1 − 1/e (63.2 %) of its size after the attack time and a
//! drop falls to 1/e (36.8 %) after the release time. It runs in the linear
//! domain; a compressor converts the result to dB afterwards.

/// Longest accepted attack or release time, in milliseconds.
pub const MAX_TIME_MS: f32 = 60_000.0;

/// Envelope values below this (−400 dB) are flushed to zero so a long release
/// into silence never produces subnormal numbers.
const FLUSH_BELOW: f64 = 1e-20;

/// Branching peak detector; see the [module documentation](self).
///
/// Every method but `new` is realtime-safe (none allocates).
#[derive(Clone, Debug)]
pub struct EnvelopeFollower {
    sample_rate: f32,
    attack_ms: f32,
    release_ms: f32,
    /// αA, in [0, 1).
    attack_coef: f64,
    /// αR, in [0, 1).
    release_coef: f64,
    /// f64 so that long attacks do not stall short of the peak (in f32 a
    /// 1 s attack at 96 kHz would stop 0.6 % below it).
    state: f64,
}

impl EnvelopeFollower {
    /// A follower at 48 kHz with a 10 ms attack and 100 ms release, at zero.
    pub fn new() -> Self {
        let mut env = Self {
            sample_rate: 48_000.0,
            attack_ms: 10.0,
            release_ms: 100.0,
            attack_coef: 0.0,
            release_coef: 0.0,
            state: 0.0,
        };
        env.update_coefs();
        env
    }

    /// Sets the sample rate in Hz (finite and > 0; other values are ignored)
    /// and recomputes the coefficients. The envelope value is kept.
    pub fn prepare(&mut self, sample_rate: f32) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            self.sample_rate = sample_rate;
            self.update_coefs();
        }
    }

    /// Attack time constant in ms, 0 ..= [`MAX_TIME_MS`] (default 10): the
    /// time to cover 63.2 % of a rising step. 0 follows rises instantly.
    /// Negative values mean 0, larger ones are clamped, NaN is ignored.
    pub fn set_attack_ms(&mut self, ms: f32) {
        if !ms.is_nan() {
            self.attack_ms = ms.clamp(0.0, MAX_TIME_MS);
            self.attack_coef = Self::coef(self.attack_ms, self.sample_rate);
        }
    }

    /// Release time constant in ms, 0 ..= [`MAX_TIME_MS`] (default 100): the
    /// time to fall to 36.8 % after the input drops to silence. 0 follows
    /// falls instantly. Negative values mean 0, larger ones are clamped, NaN
    /// is ignored.
    pub fn set_release_ms(&mut self, ms: f32) {
        if !ms.is_nan() {
            self.release_ms = ms.clamp(0.0, MAX_TIME_MS);
            self.release_coef = Self::coef(self.release_ms, self.sample_rate);
        }
    }

    /// Current attack time in ms.
    pub fn attack_ms(&self) -> f32 {
        self.attack_ms
    }

    /// Current release time in ms.
    pub fn release_ms(&self) -> f32 {
        self.release_ms
    }

    /// Sets the envelope back to zero.
    pub fn reset(&mut self) {
        self.state = 0.0;
    }

    /// Feeds one sample (any sign; it is rectified) and returns the envelope,
    /// a linear amplitude ≥ 0. Non-finite input (NaN, ±inf) counts as
    /// silence, so it can never poison the state.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let level = if x.is_finite() {
            f64::from(x.abs())
        } else {
            0.0
        };
        let coef = if level > self.state {
            self.attack_coef
        } else {
            self.release_coef
        };
        let y = level + coef * (self.state - level);
        self.state = if y < FLUSH_BELOW { 0.0 } else { y };
        self.state as f32
    }

    /// Feeds a block and writes the envelope of each sample to `out`
    /// (`out.len()` must equal `input.len()`; extra samples on either side
    /// are left alone).
    pub fn process_block(&mut self, input: &[f32], out: &mut [f32]) {
        for (o, &x) in out.iter_mut().zip(input) {
            *o = self.process(x);
        }
    }

    /// The envelope after the last processed sample (linear, ≥ 0).
    pub fn value(&self) -> f32 {
        self.state as f32
    }

    fn update_coefs(&mut self) {
        self.attack_coef = Self::coef(self.attack_ms, self.sample_rate);
        self.release_coef = Self::coef(self.release_ms, self.sample_rate);
    }

    /// e^(−1/(τ·fs)) for τ in ms; 0 (instant) for τ = 0.
    fn coef(ms: f32, sample_rate: f32) -> f64 {
        let tau_samples = f64::from(ms) * 1e-3 * f64::from(sample_rate);
        if tau_samples > 0.0 {
            (-1.0 / tau_samples).exp()
        } else {
            0.0
        }
    }
}

impl Default for EnvelopeFollower {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn follower(fs: f32, attack_ms: f32, release_ms: f32) -> EnvelopeFollower {
        let mut env = EnvelopeFollower::new();
        env.prepare(fs);
        env.set_attack_ms(attack_ms);
        env.set_release_ms(release_ms);
        env
    }

    fn samples(ms: f32, fs: f32) -> usize {
        (f64::from(ms) * f64::from(fs) / 1000.0).round() as usize
    }

    #[test]
    fn step_response_time_constants() {
        let one_over_e = (-1.0f64).exp();
        for fs in [44_100.0f32, 48_000.0, 96_000.0] {
            for (attack, release) in [(1.0f32, 50.0f32), (5.0, 200.0), (30.0, 1_000.0)] {
                let mut env = follower(fs, attack, release);
                // A negative step: the detector rectifies.
                let step = -0.8f32;
                let mut v = 0.0;
                for _ in 0..samples(attack, fs) {
                    v = env.process(step);
                }
                let expected = 0.8 * (1.0 - one_over_e);
                let rel = (f64::from(v) - expected).abs() / expected;
                assert!(rel < 0.02, "fs {fs} attack {attack}: {v} vs {expected}");

                // Settle fully, then release into silence.
                for _ in 0..samples(attack * 20.0, fs) {
                    env.process(step);
                }
                let start = f64::from(env.value());
                assert!((start - 0.8).abs() < 1e-6);
                for _ in 0..samples(release, fs) {
                    v = env.process(0.0);
                }
                let expected = start * one_over_e;
                let rel = (f64::from(v) - expected).abs() / expected;
                assert!(rel < 0.02, "fs {fs} release {release}: {v} vs {expected}");
            }
        }
    }

    #[test]
    fn zero_times_are_instant() {
        let mut env = follower(48_000.0, 0.0, 0.0);
        assert_eq!(env.process(0.5), 0.5);
        assert_eq!(env.process(-0.25), 0.25);
        assert_eq!(env.process(0.0), 0.0);
    }

    #[test]
    fn holds_the_peak_of_a_sine_between_cycles() {
        // Instant attack: the envelope touches every peak of |x|, and
        // between peaks (half a period, P samples) it can fall at most to
        // e^(−P/(τ·fs)).
        let fs = 48_000.0f32;
        let release_ms = 100.0f32;
        let mut env = follower(fs, 0.0, release_ms);
        let period = 48.0f64; // 1 kHz
        let peak_spacing = period / 2.0;
        let floor = (-peak_spacing / (f64::from(release_ms) * 1e-3 * f64::from(fs))).exp();
        let mut low = f64::MAX;
        for n in 0..48_000 {
            let x = (2.0 * core::f64::consts::PI * n as f64 / period).sin() as f32;
            let v = f64::from(env.process(x));
            if n > 480 {
                low = low.min(v);
                assert!(v <= 1.0 + 1e-6);
            }
        }
        assert!(low >= floor - 1e-4, "{low} < {floor}");
        // A held peak would stay at 1; the release must show between peaks.
        assert!(low < 1.0 - 1e-3, "release never acted: {low}");
    }

    #[test]
    fn non_finite_input_does_not_poison() {
        let mut env = follower(48_000.0, 1.0, 10.0);
        for _ in 0..480 {
            env.process(0.5);
        }
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let v = env.process(bad);
            assert!(v.is_finite() && v <= 0.5 + 1e-6, "{bad}: {v}");
        }
        for _ in 0..480 {
            env.process(0.5);
        }
        assert!((env.value() - 0.5).abs() < 1e-3);
        // Invalid settings are ignored or clamped.
        env.set_attack_ms(f32::NAN);
        assert_eq!(env.attack_ms(), 1.0);
        env.set_release_ms(-5.0);
        assert_eq!(env.release_ms(), 0.0);
        env.set_release_ms(f32::INFINITY);
        assert_eq!(env.release_ms(), MAX_TIME_MS);
        env.prepare(f32::NAN);
        env.prepare(0.0);
        assert!(env.process(0.25).is_finite());
    }

    #[test]
    fn long_release_into_silence_flushes_to_zero() {
        let mut env = follower(48_000.0, 0.0, 1.0);
        env.process(1.0);
        // 1e-20 is 46 time constants below 1; 48 samples per τ.
        for _ in 0..48 * 50 {
            env.process(0.0);
        }
        assert_eq!(env.value(), 0.0);
        assert!(!env.value().is_subnormal());
    }

    #[test]
    fn block_equals_per_sample() {
        let mut noise = crate::util::test_support::Noise::new(5);
        let input: Vec<f32> = (0..999).map(|_| noise.sample()).collect();
        let mut a = follower(44_100.0, 3.0, 40.0);
        let mut b = a.clone();
        let expected: Vec<f32> = input.iter().map(|&x| a.process(x)).collect();
        let mut out = vec![0.0; input.len()];
        for (i, o) in input.chunks(64).zip(out.chunks_mut(64)) {
            b.process_block(i, o);
        }
        assert_eq!(out, expected);
    }
}
