//! Unit conversions and small checks shared by every kernel.
//!
//! All functions are pure, allocation-free and safe to call on the audio
//! thread.

/// Converts a level in decibels to a linear amplitude gain.
///
/// `db` is in dB relative to unity gain (0 dB → 1.0, −6.02 dB → 0.5).
/// `f32::NEG_INFINITY` maps to exactly 0.0 and `+inf` to `+inf`; NaN stays
/// NaN. The result is never negative.
#[inline]
pub fn db_to_gain(db: f32) -> f32 {
    // 10^(db/20) written as exp(db · ln10/20): one transcendental instead of powf.
    (db * (core::f32::consts::LN_10 / 20.0)).exp()
}

/// Converts a linear amplitude gain to decibels (1.0 → 0 dB, 0.5 → −6.02 dB).
///
/// `gain` is a non-negative amplitude ratio. For `gain <= 0.0` the result is
/// `f32::NEG_INFINITY` (not a floor): callers that draw or compare levels
/// should clamp with [`gain_to_db_floored`] instead. NaN stays NaN.
#[inline]
pub fn gain_to_db(gain: f32) -> f32 {
    if gain <= 0.0 {
        f32::NEG_INFINITY
    } else {
        20.0 * gain.log10()
    }
}

/// Like [`gain_to_db`], but never returns less than `floor_db` (in dB), so
/// silence, zero and negative gains map to `floor_db`. NaN maps to
/// `floor_db` too, which keeps meters drawable.
#[inline]
pub fn gain_to_db_floored(gain: f32, floor_db: f32) -> f32 {
    let db = gain_to_db(gain);
    if db >= floor_db {
        db
    } else {
        floor_db
    }
}

/// Converts a duration in milliseconds to a (fractional) number of samples
/// at `sample_rate` Hz: `ms · sample_rate / 1000`.
///
/// Negative durations give negative results; callers clamp as they need.
#[inline]
pub fn ms_to_samples(ms: f32, sample_rate: f32) -> f32 {
    ms * sample_rate / 1000.0
}

/// Returns `true` when every sample of `x` is finite (no NaN, no ±inf).
/// An empty slice is finite.
#[inline]
pub fn is_finite_block(x: &[f32]) -> bool {
    // A float is NaN or ±inf exactly when its exponent bits are all ones.
    // Testing the bits and OR-ing the results (no early exit) lets the
    // compiler check four or eight samples per instruction.
    const EXPONENT: u32 = 0x7f80_0000;
    !x.iter()
        .fold(false, |bad, v| bad | (v.to_bits() & EXPONENT == EXPONENT))
}

/// Helpers for the crate's unit tests: a deterministic noise source and an
/// FFT of an impulse response, so every module measures the same way.
#[cfg(test)]
pub(crate) mod test_support {
    use realfft::num_complex::Complex;
    use realfft::RealFftPlanner;

    /// Deterministic white noise, uniform in [−1, 1) (xorshift32).
    pub(crate) struct Noise(u32);

    impl Noise {
        pub(crate) fn new(seed: u32) -> Self {
            Self(seed.max(1))
        }

        pub(crate) fn sample(&mut self) -> f32 {
            let mut s = self.0;
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            self.0 = s;
            // Top 24 bits give an exactly representable f32 in [0, 1).
            (s >> 8) as f32 * (2.0 / 16_777_216.0) - 1.0
        }
    }

    /// Discrete Fourier transform of a real sequence (computed in f64):
    /// bin `k` is the sequence's DTFT at `k / len` cycles per sample.
    pub(crate) fn spectrum(x: &[f32]) -> Vec<Complex<f64>> {
        let mut planner = RealFftPlanner::<f64>::new();
        let fft = planner.plan_fft_forward(x.len());
        let mut input: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let mut output = fft.make_output_vec();
        fft.process(&mut input, &mut output)
            .expect("buffer sizes come from the plan");
        output
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_gain_round_trip_and_known_points() {
        assert_eq!(db_to_gain(0.0), 1.0);
        assert!((db_to_gain(20.0) - 10.0).abs() < 1e-5);
        assert!((db_to_gain(-40.0) - 0.01).abs() < 1e-8);
        // Halving the amplitude is 20·log10(0.5) dB.
        let half_db = 20.0 * 0.5f64.log10();
        assert!((db_to_gain(half_db as f32) - 0.5).abs() < 1e-6);
        assert!((gain_to_db(0.5) as f64 - half_db).abs() < 1e-5);
        for i in -120..=24 {
            let db = i as f32;
            assert!((gain_to_db(db_to_gain(db)) - db).abs() < 1e-4, "{db}");
        }
    }

    #[test]
    fn edge_values() {
        assert_eq!(db_to_gain(f32::NEG_INFINITY), 0.0);
        assert_eq!(gain_to_db(0.0), f32::NEG_INFINITY);
        assert_eq!(gain_to_db(-1.0), f32::NEG_INFINITY);
        assert!(gain_to_db(f32::NAN).is_nan());
        assert_eq!(gain_to_db_floored(0.0, -100.0), -100.0);
        assert_eq!(gain_to_db_floored(f32::NAN, -100.0), -100.0);
        assert!((gain_to_db_floored(1.0, -100.0)).abs() < 1e-6);
    }

    #[test]
    fn ms_to_samples_is_proportional() {
        assert_eq!(ms_to_samples(1000.0, 48_000.0), 48_000.0);
        assert!((ms_to_samples(10.0, 44_100.0) - 441.0).abs() < 1e-3);
        assert_eq!(ms_to_samples(0.0, 96_000.0), 0.0);
    }

    #[test]
    fn finite_block_detects_every_non_finite_kind() {
        let mut x = vec![0.25f32; 1031];
        assert!(is_finite_block(&x));
        assert!(is_finite_block(&[]));
        x[0] = f32::MAX;
        x[1] = -f32::MAX;
        assert!(is_finite_block(&x));
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for pos in [0, 517, 1030] {
                let mut y = x.clone();
                y[pos] = bad;
                assert!(!is_finite_block(&y), "{bad} at {pos}");
            }
        }
    }
}
