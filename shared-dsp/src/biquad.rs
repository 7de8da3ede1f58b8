//! Second-order IIR sections: RBJ cookbook designs and a transposed direct
//! form II filter.
//!
//! Designs follow R. Bristow-Johnson, "Cookbook formulae for audio EQ biquad
//! filter coefficients": the analog prototype is mapped with the bilinear
//! transform, pre-warped so the design frequency lands exactly. Coefficients
//! are computed in f64 and rounded to f32 once.
//!
//! Every constructor sanitises its inputs so that it can never return an
//! unstable filter:
//! - the frequency is clamped to [`MIN_FREQ_RATIO`]·fs ..= [`MAX_FREQ_RATIO`]·fs,
//! - Q is clamped to [`MIN_Q`] ..= [`MAX_Q`],
//! - gains are clamped to ±[`MAX_GAIN_DB`],
//! - NaN in any argument, or a sample rate that is not finite and positive,
//!   gives [`BiquadCoefs::identity`],
//! - after rounding to f32 the poles are checked against the stability
//!   triangle (|a2| < 1, |a1| < 1 + a2) and pulled just inside if rounding
//!   put them on or outside the unit circle.
//!
//! Accuracy at low corners: the coefficients are f32 (the shared public
//! type), and a direct form's response near DC depends on 1 + a1 + a2 ≈ ω0²,
//! a small difference of coefficients near −2 and 1. Rounding them therefore
//! moves the DC (lowpass) or shelf gain by roughly 0.003 dB at f/fs = 2e-3
//! (100 Hz at 48 kHz), 0.01–0.05 dB at 1e-3 and 0.3–1 dB at 1e-4 (20 Hz at
//! 192 kHz), growing as (fs/f)². The filter stays stable, but for low
//! shelves and corners at high sample rates use [`crate::svf::Svf`], whose
//! coefficients do not suffer this cancellation. The running state is f64
//! (see [`Biquad`]), so processing adds no error of its own.

use crate::response::{complex_div, FrequencyResponse};
use core::f64::consts::PI;

/// Lowest design frequency as a fraction of the sample rate (0.48 Hz at
/// 48 kHz).
pub const MIN_FREQ_RATIO: f32 = 1e-5;
/// Highest design frequency as a fraction of the sample rate (just below
/// Nyquist, where the bilinear pre-warp tan(π·f/fs) diverges).
pub const MAX_FREQ_RATIO: f32 = 0.49;
/// Lowest accepted Q.
pub const MIN_Q: f32 = 0.01;
/// Highest accepted Q.
pub const MAX_Q: f32 = 100.0;
/// Largest boost or cut accepted by the shelving and peaking designs, in dB.
pub const MAX_GAIN_DB: f32 = 60.0;
/// Q of a Butterworth (maximally flat) second-order section, 1/√2.
pub const BUTTERWORTH_Q: f32 = core::f32::consts::FRAC_1_SQRT_2;

/// Normalised biquad coefficients (a0 = 1):
/// `y[n] = b0·x[n] + b1·x[n−1] + b2·x[n−2] − a1·y[n−1] − a2·y[n−2]`.
///
/// All constructors take `sample_rate` and `freq_hz` in Hz, `q` as a
/// dimensionless quality factor and `gain_db` in dB, and sanitise them as
/// described in the [module documentation](self).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BiquadCoefs {
    /// Feed-forward coefficient of `x[n]`.
    pub b0: f32,
    /// Feed-forward coefficient of `x[n−1]`.
    pub b1: f32,
    /// Feed-forward coefficient of `x[n−2]`.
    pub b2: f32,
    /// Feedback coefficient of `y[n−1]` (subtracted).
    pub a1: f32,
    /// Feedback coefficient of `y[n−2]` (subtracted).
    pub a2: f32,
}

/// Bilinear-transform quantities shared by the second-order designs.
struct Warp {
    cos_w0: f64,
    /// sin(w0) / (2Q)
    alpha: f64,
}

/// Clamped, pre-warped design parameters, or `None` for NaN or an invalid
/// sample rate.
fn warp(sample_rate: f32, freq_hz: f32, q: f32) -> Option<Warp> {
    let ratio = design_ratio(sample_rate, freq_hz)?;
    if q.is_nan() {
        return None;
    }
    let q = f64::from(q.clamp(MIN_Q, MAX_Q));
    let w0 = 2.0 * PI * ratio;
    Some(Warp {
        cos_w0: w0.cos(),
        alpha: w0.sin() / (2.0 * q),
    })
}

/// `freq_hz / sample_rate` clamped to the supported range.
fn design_ratio(sample_rate: f32, freq_hz: f32) -> Option<f64> {
    if !(sample_rate.is_finite() && sample_rate > 0.0) || freq_hz.is_nan() {
        return None;
    }
    let ratio = f64::from(freq_hz) / f64::from(sample_rate);
    Some(ratio.clamp(f64::from(MIN_FREQ_RATIO), f64::from(MAX_FREQ_RATIO)))
}

/// Shelf/peak amplitude A = 10^(gain/40) (the square root of the linear gain).
fn shelf_amplitude(gain_db: f32) -> Option<f64> {
    if gain_db.is_nan() {
        return None;
    }
    let g = f64::from(gain_db.clamp(-MAX_GAIN_DB, MAX_GAIN_DB));
    Some(10f64.powf(g / 40.0))
}

/// Largest f32 strictly below `bound`.
fn f32_below(bound: f64) -> f32 {
    let x = bound as f32;
    if f64::from(x) >= bound {
        x.next_down()
    } else {
        x
    }
}

impl BiquadCoefs {
    /// Divides by a0, rounds to f32 and enforces the stability triangle.
    fn normalised(b0: f64, b1: f64, b2: f64, a0: f64, a1: f64, a2: f64) -> Self {
        let inv = 1.0 / a0;
        let mut c = Self {
            b0: (b0 * inv) as f32,
            b1: (b1 * inv) as f32,
            b2: (b2 * inv) as f32,
            a1: (a1 * inv) as f32,
            a2: (a2 * inv) as f32,
        };
        c.stabilise();
        c
    }

    /// Moves the poles just inside the unit circle if f32 rounding put them on
    /// or outside it. The exact f64 designs are strictly stable, so this only
    /// changes coefficients by an ulp or two, at extreme settings.
    fn stabilise(&mut self) {
        let one_below = 1.0f32.next_down();
        self.a2 = self.a2.clamp(-one_below, one_below);
        let bound = 1.0 + f64::from(self.a2);
        if f64::from(self.a1.abs()) >= bound {
            self.a1 = f32_below(bound).copysign(self.a1);
        }
    }

    /// `true` when both poles lie strictly inside the unit circle
    /// (|a2| < 1 and |a1| < 1 + a2, evaluated exactly) and all coefficients
    /// are finite.
    pub fn is_stable(&self) -> bool {
        let finite = [self.b0, self.b1, self.b2, self.a1, self.a2]
            .iter()
            .all(|c| c.is_finite());
        finite && self.a2.abs() < 1.0 && f64::from(self.a1.abs()) < 1.0 + f64::from(self.a2)
    }

    /// Pass-through: b0 = 1, everything else 0.
    pub const fn identity() -> Self {
        Self {
            b0: 1.0,
            b1: 0.0,
            b2: 0.0,
            a1: 0.0,
            a2: 0.0,
        }
    }

    /// Second-order lowpass, −12 dB/octave; at `freq_hz` the gain is
    /// −20·log10(Q) dB (−3.01 dB for Q = 1/√2, Butterworth).
    pub fn lowpass(sample_rate: f32, freq_hz: f32, q: f32) -> Self {
        let Some(w) = warp(sample_rate, freq_hz, q) else {
            return Self::identity();
        };
        let b = (1.0 - w.cos_w0) * 0.5;
        Self::normalised(b, 2.0 * b, b, 1.0 + w.alpha, -2.0 * w.cos_w0, 1.0 - w.alpha)
    }

    /// Second-order highpass, −12 dB/octave; gain −20·log10(Q) dB at
    /// `freq_hz`.
    pub fn highpass(sample_rate: f32, freq_hz: f32, q: f32) -> Self {
        let Some(w) = warp(sample_rate, freq_hz, q) else {
            return Self::identity();
        };
        let b = (1.0 + w.cos_w0) * 0.5;
        Self::normalised(
            b,
            -2.0 * b,
            b,
            1.0 + w.alpha,
            -2.0 * w.cos_w0,
            1.0 - w.alpha,
        )
    }

    /// Bandpass with 0 dB gain at `freq_hz`; Q sets the bandwidth (the −3 dB
    /// points are Q-dependent, see the tests for the closed form).
    pub fn bandpass(sample_rate: f32, freq_hz: f32, q: f32) -> Self {
        let Some(w) = warp(sample_rate, freq_hz, q) else {
            return Self::identity();
        };
        Self::normalised(
            w.alpha,
            0.0,
            -w.alpha,
            1.0 + w.alpha,
            -2.0 * w.cos_w0,
            1.0 - w.alpha,
        )
    }

    /// Notch: zero gain at `freq_hz`, unity at DC and Nyquist; Q sets the
    /// width.
    pub fn notch(sample_rate: f32, freq_hz: f32, q: f32) -> Self {
        let Some(w) = warp(sample_rate, freq_hz, q) else {
            return Self::identity();
        };
        let m = -2.0 * w.cos_w0;
        Self::normalised(1.0, m, 1.0, 1.0 + w.alpha, m, 1.0 - w.alpha)
    }

    /// Second-order allpass: unity magnitude, phase −π at `freq_hz`; Q sets
    /// how fast the phase turns.
    pub fn allpass(sample_rate: f32, freq_hz: f32, q: f32) -> Self {
        let Some(w) = warp(sample_rate, freq_hz, q) else {
            return Self::identity();
        };
        let m = -2.0 * w.cos_w0;
        Self::normalised(
            1.0 - w.alpha,
            m,
            1.0 + w.alpha,
            1.0 + w.alpha,
            m,
            1.0 - w.alpha,
        )
    }

    /// Peaking (bell) EQ: `gain_db` at `freq_hz`, 0 dB at DC and Nyquist.
    pub fn peaking(sample_rate: f32, freq_hz: f32, q: f32, gain_db: f32) -> Self {
        let (Some(w), Some(a)) = (warp(sample_rate, freq_hz, q), shelf_amplitude(gain_db)) else {
            return Self::identity();
        };
        let m = -2.0 * w.cos_w0;
        Self::normalised(
            1.0 + w.alpha * a,
            m,
            1.0 - w.alpha * a,
            1.0 + w.alpha / a,
            m,
            1.0 - w.alpha / a,
        )
    }

    /// Low shelf: `gain_db` at DC, 0 dB at Nyquist, `gain_db / 2` at
    /// `freq_hz` (the shelf midpoint). Q = 1/√2 is the steepest slope without
    /// overshoot; larger Q adds a bump on either side of the transition.
    pub fn low_shelf(sample_rate: f32, freq_hz: f32, q: f32, gain_db: f32) -> Self {
        let (Some(w), Some(a)) = (warp(sample_rate, freq_hz, q), shelf_amplitude(gain_db)) else {
            return Self::identity();
        };
        let c = w.cos_w0;
        let s = 2.0 * a.sqrt() * w.alpha;
        Self::normalised(
            a * ((a + 1.0) - (a - 1.0) * c + s),
            2.0 * a * ((a - 1.0) - (a + 1.0) * c),
            a * ((a + 1.0) - (a - 1.0) * c - s),
            (a + 1.0) + (a - 1.0) * c + s,
            -2.0 * ((a - 1.0) + (a + 1.0) * c),
            (a + 1.0) + (a - 1.0) * c - s,
        )
    }

    /// High shelf: 0 dB at DC, `gain_db` at Nyquist, `gain_db / 2` at
    /// `freq_hz`. Q as for [`low_shelf`](Self::low_shelf).
    pub fn high_shelf(sample_rate: f32, freq_hz: f32, q: f32, gain_db: f32) -> Self {
        let (Some(w), Some(a)) = (warp(sample_rate, freq_hz, q), shelf_amplitude(gain_db)) else {
            return Self::identity();
        };
        let c = w.cos_w0;
        let s = 2.0 * a.sqrt() * w.alpha;
        Self::normalised(
            a * ((a + 1.0) + (a - 1.0) * c + s),
            -2.0 * a * ((a - 1.0) + (a + 1.0) * c),
            a * ((a + 1.0) + (a - 1.0) * c - s),
            (a + 1.0) - (a - 1.0) * c + s,
            2.0 * ((a - 1.0) - (a + 1.0) * c),
            (a + 1.0) - (a - 1.0) * c - s,
        )
    }

    /// First-order lowpass (−6 dB/octave, −3.01 dB at `freq_hz`), from the
    /// pre-warped bilinear transform of 1/(1 + s).
    pub fn lowpass1(sample_rate: f32, freq_hz: f32) -> Self {
        let Some(ratio) = design_ratio(sample_rate, freq_hz) else {
            return Self::identity();
        };
        let k = (PI * ratio).tan();
        Self::normalised(k, k, 0.0, 1.0 + k, k - 1.0, 0.0)
    }

    /// First-order highpass (−6 dB/octave, −3.01 dB at `freq_hz`), from the
    /// pre-warped bilinear transform of s/(1 + s).
    pub fn highpass1(sample_rate: f32, freq_hz: f32) -> Self {
        let Some(ratio) = design_ratio(sample_rate, freq_hz) else {
            return Self::identity();
        };
        let k = (PI * ratio).tan();
        Self::normalised(1.0, -1.0, 0.0, 1.0 + k, k - 1.0, 0.0)
    }
}

impl FrequencyResponse for BiquadCoefs {
    /// H(e^{jω}) = (b0 + b1·z⁻¹ + b2·z⁻²) / (1 + a1·z⁻¹ + a2·z⁻²).
    fn response_complex(&self, freq_hz: f32, sample_rate: f32) -> (f64, f64) {
        let w = 2.0 * PI * f64::from(freq_hz) / f64::from(sample_rate);
        // z^-1 = e^{-jω}, z^-2 = e^{-2jω}
        let (s1, c1) = (-w).sin_cos();
        let (s2, c2) = (-2.0 * w).sin_cos();
        let (b0, b1, b2) = (f64::from(self.b0), f64::from(self.b1), f64::from(self.b2));
        let (a1, a2) = (f64::from(self.a1), f64::from(self.a2));
        complex_div(
            (b0 + b1 * c1 + b2 * c2, b1 * s1 + b2 * s2),
            (1.0 + a1 * c1 + a2 * c2, a1 * s1 + a2 * s2),
        )
    }
}

impl Default for BiquadCoefs {
    /// [`BiquadCoefs::identity`].
    fn default() -> Self {
        Self::identity()
    }
}

/// One biquad section in transposed direct form II (two state variables,
/// cheap coefficient swaps).
///
/// The arithmetic and state are f64 although samples and coefficients are
/// f32: in f32, TDF-II round-off at low corners is already visible in the
/// response (0.012 dB at 48 Hz for a 100 Hz highpass at 48 kHz), while scalar
/// f64 multiply-adds cost the same as f32 on the targets we ship. The filter
/// realises exactly the response of its f32 coefficients.
///
/// Realtime-safe throughout; coefficients may change between any two samples
/// (for sweeps faster than a few per control block prefer
/// [`crate::svf::Svf`], whose state stays meaningful under modulation).
#[derive(Clone, Debug)]
pub struct Biquad {
    coefs: BiquadCoefs,
    /// `coefs` widened once: [b0, b1, b2, a1, a2].
    c: [f64; 5],
    s1: f64,
    s2: f64,
}

impl Biquad {
    /// A filter with the given coefficients and cleared state.
    pub fn new(coefs: BiquadCoefs) -> Self {
        let mut filter = Self {
            coefs,
            c: [0.0; 5],
            s1: 0.0,
            s2: 0.0,
        };
        filter.set_coefs(coefs);
        filter
    }

    /// Replaces the coefficients, keeping the state (no click for small
    /// changes).
    pub fn set_coefs(&mut self, coefs: BiquadCoefs) {
        self.coefs = coefs;
        self.c = [
            f64::from(coefs.b0),
            f64::from(coefs.b1),
            f64::from(coefs.b2),
            f64::from(coefs.a1),
            f64::from(coefs.a2),
        ];
    }

    /// Current coefficients.
    pub fn coefs(&self) -> &BiquadCoefs {
        &self.coefs
    }

    /// Clears the state (as if fed silence forever).
    pub fn reset(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
    }

    /// Filters one sample.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let [b0, b1, b2, a1, a2] = self.c;
        let x = f64::from(x);
        let y = b0 * x + self.s1;
        self.s1 = b1 * x - a1 * y + self.s2;
        self.s2 = b2 * x - a2 * y;
        y as f32
    }

    /// Filters `buf` in place. If non-finite input left the state non-finite,
    /// the state is cleared at the end of the block, so a NaN burst costs one
    /// block, never the rest of the stream.
    pub fn process_block(&mut self, buf: &mut [f32]) {
        let [b0, b1, b2, a1, a2] = self.c;
        let (mut s1, mut s2) = (self.s1, self.s2);
        for v in buf.iter_mut() {
            let x = f64::from(*v);
            let y = b0 * x + s1;
            s1 = b1 * x - a1 * y + s2;
            s2 = b2 * x - a2 * y;
            *v = y as f32;
        }
        if (s1 + s2).is_finite() {
            self.s1 = s1;
            self.s2 = s2;
        } else {
            self.reset();
        }
    }
}

impl Default for Biquad {
    /// A pass-through filter.
    fn default() -> Self {
        Self::new(BiquadCoefs::identity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::test_support::spectrum;

    const FS: f32 = 48_000.0;

    fn designs(fs: f32, f: f32) -> Vec<(&'static str, BiquadCoefs)> {
        vec![
            ("lowpass", BiquadCoefs::lowpass(fs, f, BUTTERWORTH_Q)),
            ("lowpass q4", BiquadCoefs::lowpass(fs, f, 4.0)),
            ("highpass", BiquadCoefs::highpass(fs, f, 0.5)),
            ("bandpass", BiquadCoefs::bandpass(fs, f, 2.0)),
            ("notch", BiquadCoefs::notch(fs, f, 1.5)),
            ("allpass", BiquadCoefs::allpass(fs, f, 0.9)),
            ("peaking +", BiquadCoefs::peaking(fs, f, 1.2, 9.0)),
            ("peaking -", BiquadCoefs::peaking(fs, f, 3.0, -15.0)),
            (
                "low shelf",
                BiquadCoefs::low_shelf(fs, f, BUTTERWORTH_Q, 6.0),
            ),
            ("high shelf", BiquadCoefs::high_shelf(fs, f, 1.0, -8.0)),
            ("lowpass1", BiquadCoefs::lowpass1(fs, f)),
            ("highpass1", BiquadCoefs::highpass1(fs, f)),
        ]
    }

    fn impulse_response(coefs: BiquadCoefs, len: usize) -> Vec<f32> {
        let mut filter = Biquad::new(coefs);
        (0..len)
            .map(|n| filter.process(if n == 0 { 1.0 } else { 0.0 }))
            .collect()
    }

    fn wrap_phase(x: f64) -> f64 {
        (x + PI).rem_euclid(2.0 * PI) - PI
    }

    #[test]
    fn response_matches_fft_of_impulse_response() {
        let n = 1 << 16;
        for fs in [44_100.0f32, 48_000.0, 96_000.0] {
            for fc in [100.0f32, 1_000.0, 5_000.0, 15_000.0] {
                for (name, coefs) in designs(fs, fc) {
                    assert!(coefs.is_stable(), "{name}");
                    let ir = impulse_response(coefs, n);
                    let spec = spectrum(&ir);
                    for ratio in [0.001f64, 0.01, 0.05, 0.1, 0.2, 0.3, 0.45] {
                        let k = (ratio * n as f64).round() as usize;
                        let f = (k as f64 * f64::from(fs) / n as f64) as f32;
                        let (mag, phase) = coefs.response(f, fs);
                        let measured = spec[k];
                        let measured_db = 20.0 * measured.norm().log10();
                        let model_db = 20.0 * f64::from(mag).log10();
                        if model_db < -40.0 {
                            // Deep stopband: compare absolute error instead.
                            assert!((measured.norm() - f64::from(mag)).abs() < 1e-4, "{name}");
                            continue;
                        }
                        assert!(
                            (measured_db - model_db).abs() < 0.01,
                            "{name} fs {fs} fc {fc} at {f} Hz: measured {measured_db} dB, model {model_db} dB"
                        );
                        let dphi = wrap_phase(measured.arg() - f64::from(phase));
                        assert!(dphi.abs() < 1e-3, "{name} at {f} Hz: phase off by {dphi}");
                    }
                }
            }
        }
    }

    #[test]
    fn lowpass_and_highpass_corners() {
        // The analog second-order sections have |H(j)| = Q at the corner and
        // the first-order ones 1/√2; the pre-warped bilinear transform keeps
        // that exactly. For Q = 1/√2 both are −10·log10(2) = −3.0103 dB.
        let minus_3db = -10.0 * 2f32.log10();
        for fs in [44_100.0f32, 48_000.0, 96_000.0] {
            // From 100 Hz at 48 kHz up: see the module notes on low corners.
            for ratio in [2.1e-3f32, 0.01, 0.0625, 0.25, 0.4] {
                let fc = ratio * fs;
                let lp = BiquadCoefs::lowpass(fs, fc, BUTTERWORTH_Q);
                let hp = BiquadCoefs::highpass(fs, fc, BUTTERWORTH_Q);
                let lp1 = BiquadCoefs::lowpass1(fs, fc);
                let hp1 = BiquadCoefs::highpass1(fs, fc);
                for (name, c) in [("lp", lp), ("hp", hp), ("lp1", lp1), ("hp1", hp1)] {
                    let db = c.magnitude_db(fc, fs);
                    assert!((db - minus_3db).abs() < 0.01, "{name} {fc}@{fs}: {db}");
                }
                assert!(lp.magnitude_db(0.0, fs).abs() < 1e-3);
                assert!(hp.magnitude_db(fs / 2.0, fs).abs() < 1e-3);
                assert!(lp1.magnitude_db(0.0, fs).abs() < 1e-3);
                assert!(hp1.magnitude_db(fs / 2.0, fs).abs() < 1e-3);
                // Resonance: gain at the corner is 20·log10(Q).
                let q = 4.0f32;
                let res = BiquadCoefs::lowpass(fs, fc, q).magnitude_db(fc, fs);
                assert!((res - 20.0 * q.log10()).abs() < 0.01, "{res}");
                // Bilinear zeros: a second-order lowpass is −inf at Nyquist.
                assert!(lp.magnitude_db(fs / 2.0, fs) < -100.0);
            }
        }
    }

    #[test]
    fn bandpass_peak_and_bandwidth() {
        for q in [0.5f32, 2.0, 10.0] {
            let f0 = 2_000.0f32;
            let c = BiquadCoefs::bandpass(FS, f0, q);
            assert!(c.magnitude_db(f0, FS).abs() < 1e-3);
            // Analog prototype (s/Q)/(s² + s/Q + 1) is −3.01 dB where
            // |1 − w²| = w/Q, i.e. w = √(1 + 1/(4Q²)) ± 1/(2Q); the bilinear
            // transform maps analog w to f = fs/π · atan(w · tan(π f0/fs)).
            let half = 1.0 / (2.0 * f64::from(q));
            let root = (1.0 + half * half).sqrt();
            let t0 = (PI * f64::from(f0) / f64::from(FS)).tan();
            for w in [root - half, root + half] {
                let f = (f64::from(FS) / PI * (w * t0).atan()) as f32;
                let db = c.magnitude_db(f, FS);
                assert!((db + 3.0103).abs() < 0.01, "q {q} f {f}: {db}");
            }
        }
    }

    #[test]
    fn peaking_shelves_notch_allpass_closed_form() {
        for fs in [44_100.0f32, 96_000.0] {
            for ratio in [4e-3f32, 0.02, 0.2] {
                let f0 = ratio * fs;
                for gain in [-18.0f32, -3.0, 4.5, 12.0] {
                    let pk = BiquadCoefs::peaking(fs, f0, 1.4, gain);
                    assert!((pk.magnitude_db(f0, fs) - gain).abs() < 1e-3);
                    assert!(pk.magnitude_db(0.0, fs).abs() < 1e-3);
                    assert!(pk.magnitude_db(fs / 2.0, fs).abs() < 1e-3);

                    // Far from the corner the shelf gain rests on 1 + a1 + a2,
                    // so f32 rounding shows at the 1e-3 dB level there (see
                    // the module notes); 0.01 dB is the spec tolerance.
                    let ls = BiquadCoefs::low_shelf(fs, f0, BUTTERWORTH_Q, gain);
                    assert!((ls.magnitude_db(f0, fs) - gain / 2.0).abs() < 1e-3);
                    assert!((ls.magnitude_db(0.0, fs) - gain).abs() < 0.01);
                    assert!(ls.magnitude_db(fs / 2.0, fs).abs() < 0.01);

                    let hs = BiquadCoefs::high_shelf(fs, f0, BUTTERWORTH_Q, gain);
                    assert!((hs.magnitude_db(f0, fs) - gain / 2.0).abs() < 1e-3);
                    assert!(hs.magnitude_db(0.0, fs).abs() < 0.01);
                    assert!((hs.magnitude_db(fs / 2.0, fs) - gain).abs() < 0.01);
                }
                // The zeros sit exactly on the unit circle (b0 = b2), but
                // rounding b1 moves them off f0 by ~2^-24/ω0, leaving
                // |H(f0)| ≲ 2^-22·Q/sin²ω0 (−70 dB at f0/fs = 4e-3, Q = 2).
                let q = 2.0f32;
                let notch = BiquadCoefs::notch(fs, f0, q);
                assert_eq!(notch.b0, notch.b2);
                let sin_w0 = (2.0 * PI * f64::from(ratio)).sin();
                let depth_bound = 2f64.powi(-22) * f64::from(q) / (sin_w0 * sin_w0);
                let (depth, _) = notch.response(f0, fs);
                assert!(f64::from(depth) <= depth_bound, "{depth} > {depth_bound}");
                assert!(notch.magnitude_db(f0, fs) < -60.0);
                assert!(notch.magnitude_db(0.0, fs).abs() < 1e-3);
                assert!(notch.magnitude_db(fs / 2.0, fs).abs() < 1e-3);

                let ap = BiquadCoefs::allpass(fs, f0, 0.8);
                for k in 0..200 {
                    let f = fs * 0.5 * k as f32 / 200.0;
                    assert!(ap.magnitude_db(f, fs).abs() < 1e-4);
                }
                let (_, phase) = ap.response(f0, fs);
                assert!((f64::from(phase).abs() - PI).abs() < 1e-3, "{phase}");
            }
        }
    }

    #[test]
    fn notch_removes_a_sine_at_its_centre() {
        let f0 = 1_000.0f32;
        let mut filter = Biquad::new(BiquadCoefs::notch(FS, f0, 1.0));
        let w = 2.0 * PI * f64::from(f0) / f64::from(FS);
        let mut peak_after_settling = 0.0f32;
        for n in 0..48_000 {
            let y = filter.process((w * n as f64).sin() as f32);
            if n > 24_000 {
                peak_after_settling = peak_after_settling.max(y.abs());
            }
        }
        assert!(peak_after_settling < 1e-4, "{peak_after_settling}");
    }

    #[test]
    fn extreme_arguments_stay_stable() {
        let freqs = [
            f32::NEG_INFINITY,
            -5.0,
            0.0,
            1e-9,
            0.3,
            20.0,
            23_999.0,
            24_000.0,
            1e9,
            f32::INFINITY,
        ];
        let qs = [
            0.0f32,
            -1.0,
            1e-6,
            0.1,
            BUTTERWORTH_Q,
            30.0,
            1e6,
            f32::INFINITY,
        ];
        let gains = [-1e6f32, -60.0, 0.0, 24.0, 1e6, f32::INFINITY];
        for fs in [1.0f32, 8_000.0, 48_000.0, 768_000.0] {
            for &f in &freqs {
                for &q in &qs {
                    for &g in &gains {
                        for c in [
                            BiquadCoefs::lowpass(fs, f, q),
                            BiquadCoefs::highpass(fs, f, q),
                            BiquadCoefs::bandpass(fs, f, q),
                            BiquadCoefs::notch(fs, f, q),
                            BiquadCoefs::allpass(fs, f, q),
                            BiquadCoefs::peaking(fs, f, q, g),
                            BiquadCoefs::low_shelf(fs, f, q, g),
                            BiquadCoefs::high_shelf(fs, f, q, g),
                            BiquadCoefs::lowpass1(fs, f),
                            BiquadCoefs::highpass1(fs, f),
                        ] {
                            assert!(c.is_stable(), "fs {fs} f {f} q {q} g {g}: {c:?}");
                        }
                    }
                }
            }
        }
        for bad in [f32::NAN, 0.0, -48_000.0, f32::INFINITY] {
            assert_eq!(
                BiquadCoefs::lowpass(bad, 1_000.0, 0.7),
                BiquadCoefs::identity()
            );
        }
        assert_eq!(
            BiquadCoefs::lowpass(FS, f32::NAN, 0.7),
            BiquadCoefs::identity()
        );
        assert_eq!(
            BiquadCoefs::peaking(FS, 1e3, f32::NAN, 3.0),
            BiquadCoefs::identity()
        );
        assert_eq!(
            BiquadCoefs::peaking(FS, 1e3, 1.0, f32::NAN),
            BiquadCoefs::identity()
        );
    }

    #[test]
    fn dense_sweep_of_low_corners_is_stable() {
        // The f32 rounding hazard sits at very low corners and high Q.
        for fs in [44_100.0f32, 192_000.0] {
            for i in 0..200 {
                let f = fs * MIN_FREQ_RATIO * 1.05f32.powi(i);
                for q in [MIN_Q, 0.5, BUTTERWORTH_Q, 5.0, MAX_Q] {
                    for c in [
                        BiquadCoefs::lowpass(fs, f, q),
                        BiquadCoefs::highpass(fs, f, q),
                        BiquadCoefs::peaking(fs, f, q, -MAX_GAIN_DB),
                        BiquadCoefs::low_shelf(fs, f, q, MAX_GAIN_DB),
                        BiquadCoefs::high_shelf(fs, f, q, -MAX_GAIN_DB),
                        BiquadCoefs::lowpass1(fs, f),
                    ] {
                        assert!(c.is_stable(), "fs {fs} f {f} q {q}: {c:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn block_equals_per_sample_and_reset_reproduces() {
        let coefs = BiquadCoefs::peaking(FS, 700.0, 2.0, 6.0);
        let mut noise = crate::util::test_support::Noise::new(7);
        let input: Vec<f32> = (0..4096).map(|_| noise.sample()).collect();
        let mut per_sample = Biquad::new(coefs);
        let expected: Vec<f32> = input.iter().map(|&x| per_sample.process(x)).collect();
        for block in [1usize, 7, 64, 65, 999, 4096] {
            let mut filter = Biquad::new(coefs);
            let mut out = input.clone();
            for chunk in out.chunks_mut(block) {
                filter.process_block(chunk);
            }
            assert_eq!(out, expected, "block {block}");
            filter.reset();
            let mut again = input.clone();
            filter.process_block(&mut again);
            assert_eq!(again, expected);
        }
    }

    #[test]
    fn nan_input_does_not_poison_later_blocks() {
        let mut filter = Biquad::new(BiquadCoefs::lowpass(FS, 1_000.0, 0.7));
        let mut block = [0.5f32; 64];
        block[10] = f32::NAN;
        filter.process_block(&mut block);
        let mut next = [0.5f32; 64];
        filter.process_block(&mut next);
        assert!(next.iter().all(|v| v.is_finite()));
    }
}
