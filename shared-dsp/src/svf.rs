//! Trapezoidal state-variable filter (topology-preserving transform).
//!
//! The analog two-integrator SVF is discretised integrator by integrator with
//! the trapezoidal rule and the resulting zero-delay loop solved in closed
//! form (V. Zavalishin, "The Art of VA Filter Design", ch. 3–4; A. Simper,
//! "Linear Trapezoidal Integrated SVF", Cytomic technical paper, 2013). The
//! states are the integrators' own states, so changing cutoff or Q between
//! samples changes the filter without disturbing what it has stored: no
//! clicks and no instability under audio-rate modulation, unlike a direct form
//! biquad whose state encodes the previous coefficients.
//!
//! For fixed settings it is the same bilinear (pre-warped) transform of the
//! same analog prototypes as the RBJ designs in [`crate::biquad`], so the two
//! have identical responses; the SVF's coefficients are well conditioned at
//! low corners, where the f32 direct form loses accuracy.
//!
//! Every mode's output is a mix `m0·x + m1·band + m2·low` of the input and the
//! normalised band and low outputs, whose analog responses are
//! `s/(s² + k·s + 1)` and `1/(s² + k·s + 1)` with `k = 1/Q` (adjusted for the
//! bell and shelves).

use crate::biquad::{MAX_FREQ_RATIO, MAX_GAIN_DB, MAX_Q, MIN_FREQ_RATIO, MIN_Q};
use crate::response::{complex_div, FrequencyResponse};
use core::f64::consts::PI;

/// Response type of an [`Svf`]. Analog prototypes, with s normalised to the
/// corner frequency, A = 10^(gain_db/40):
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SvfMode {
    /// `1/(s² + s/Q + 1)`: 12 dB/octave, gain Q at the corner.
    #[default]
    Lowpass,
    /// `s²/(s² + s/Q + 1)`.
    Highpass,
    /// `(s/Q)/(s² + s/Q + 1)`: 0 dB at the centre, same as the RBJ bandpass.
    Bandpass,
    /// `(s² + 1)/(s² + s/Q + 1)`: zero at the centre.
    Notch,
    /// `(1 − s²)/(s² + s/Q + 1)`, low minus high: unity at DC and Nyquist,
    /// a resonant peak of 2Q at the centre.
    Peak,
    /// `(s² + s·A/Q + 1)/(s² + s/(A·Q) + 1)`: `gain_db` at the centre
    /// (same as the RBJ peaking EQ).
    Bell,
    /// `gain_db` below the corner, 0 dB above, `gain_db/2` at the corner
    /// (same as the RBJ low shelf).
    LowShelf,
    /// 0 dB below the corner, `gain_db` above, `gain_db/2` at the corner.
    HighShelf,
    /// `(s² − s/Q + 1)/(s² + s/Q + 1)`: unity magnitude, −π at the centre.
    Allpass,
}

/// Coefficients of an [`Svf`], computed in f64 from physical parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SvfCoefs {
    /// Pre-warped integrator gain tan(π·f/fs), scaled by √A for shelves.
    g: f64,
    /// Damping, 1/Q (scaled for the bell).
    k: f64,
    a1: f64,
    a2: f64,
    a3: f64,
    /// Output mix: input, band, low.
    m0: f64,
    m1: f64,
    m2: f64,
}

impl SvfCoefs {
    /// Designs a filter: `sample_rate` in Hz (finite, > 0), `freq_hz` in Hz
    /// (clamped to [`MIN_FREQ_RATIO`]·fs ..= [`MAX_FREQ_RATIO`]·fs), `q`
    /// (clamped to [`MIN_Q`] ..= [`MAX_Q`]; 0.7071 is Butterworth),
    /// `gain_db` in dB (clamped to ±[`MAX_GAIN_DB`]; only the bell and shelf
    /// modes use it). Returns `None` for NaN arguments or an invalid sample
    /// rate.
    pub fn new(
        sample_rate: f32,
        freq_hz: f32,
        q: f32,
        mode: SvfMode,
        gain_db: f32,
    ) -> Option<Self> {
        if !(sample_rate.is_finite() && sample_rate > 0.0)
            || freq_hz.is_nan()
            || q.is_nan()
            || gain_db.is_nan()
        {
            return None;
        }
        let ratio = (f64::from(freq_hz) / f64::from(sample_rate))
            .clamp(f64::from(MIN_FREQ_RATIO), f64::from(MAX_FREQ_RATIO));
        let q = f64::from(q.clamp(MIN_Q, MAX_Q));
        let gain_db = f64::from(gain_db.clamp(-MAX_GAIN_DB, MAX_GAIN_DB));
        let a = 10f64.powf(gain_db / 40.0);
        let warped = (PI * ratio).tan();
        let k = 1.0 / q;
        // Simper's mixing coefficients per mode.
        let (g, k, m0, m1, m2) = match mode {
            SvfMode::Lowpass => (warped, k, 0.0, 0.0, 1.0),
            SvfMode::Highpass => (warped, k, 1.0, -k, -1.0),
            SvfMode::Bandpass => (warped, k, 0.0, k, 0.0),
            SvfMode::Notch => (warped, k, 1.0, -k, 0.0),
            SvfMode::Peak => (warped, k, -1.0, k, 2.0),
            SvfMode::Allpass => (warped, k, 1.0, -2.0 * k, 0.0),
            SvfMode::Bell => {
                let k = 1.0 / (q * a);
                (warped, k, 1.0, k * (a * a - 1.0), 0.0)
            }
            // A low shelf's poles sit at corner/√A and its zeros at
            // corner·√A (the reverse for a high shelf), so the gain midpoint
            // falls on the corner: the integrator gain places the poles and
            // the mix places the zeros.
            SvfMode::LowShelf => (warped / a.sqrt(), k, 1.0, k * (a - 1.0), a * a - 1.0),
            SvfMode::HighShelf => (warped * a.sqrt(), k, a * a, k * (1.0 - a) * a, 1.0 - a * a),
        };
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        let a3 = g * a2;
        Some(Self {
            g,
            k,
            a1,
            a2,
            a3,
            m0,
            m1,
            m2,
        })
    }

    /// Coefficients from the integrator gain `g` (the pre-warped corner
    /// tan(π·f/fs), > 0), the damping `k` (> 0; 1/Q) and the output mix
    /// `m0·x + m1·band + m2·low`. This realises any stable second-order
    /// section whose poles are a complex or real pair inside the unit circle
    /// (designs other than the bilinear ones above, e.g. the matched sections
    /// of [`crate::matched`]). Returns `None` unless every argument is finite
    /// and `g`, `k` are positive, the condition for a stable SVF.
    pub fn from_parts(g: f64, k: f64, m0: f64, m1: f64, m2: f64) -> Option<Self> {
        let finite = [g, k, m0, m1, m2].iter().all(|v| v.is_finite());
        if !(finite && g > 0.0 && k > 0.0) {
            return None;
        }
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        let a3 = g * a2;
        Some(Self {
            g,
            k,
            a1,
            a2,
            a3,
            m0,
            m1,
            m2,
        })
    }

    /// Coefficients a fraction `t` (0..=1) of the way from `self` to `to`,
    /// each interpolated linearly: for stepping a sweep's coefficients per
    /// sample between two designed points, without designing each sample.
    /// Between two nearby stable designs the result is stable too (every
    /// coefficient stays between its two values).
    pub fn lerp(&self, to: &SvfCoefs, t: f64) -> SvfCoefs {
        if t >= 1.0 {
            return *to;
        }
        if t <= 0.0 {
            return *self;
        }
        let l = |a: f64, b: f64| a + (b - a) * t;
        SvfCoefs {
            g: l(self.g, to.g),
            k: l(self.k, to.k),
            a1: l(self.a1, to.a1),
            a2: l(self.a2, to.a2),
            a3: l(self.a3, to.a3),
            m0: l(self.m0, to.m0),
            m1: l(self.m1, to.m1),
            m2: l(self.m2, to.m2),
        }
    }

    /// The inverse filter 1/H: numerator and denominator swapped, the
    /// result renormalised to the SVF form. Needs a minimum-phase numerator
    /// with no zero at DC, Nyquist or on the unit circle (m0 > 0,
    /// m0 + m2 > 0, m0·k + m1 > 0), as the bells and shelves of
    /// [`crate::matched`] have; returns `None` otherwise.
    pub fn inverse(&self) -> Option<SvfCoefs> {
        let n2 = self.m0;
        let n1 = self.m0 * self.k + self.m1;
        let n0 = self.m0 + self.m2;
        if !(n2 > 0.0 && n1 > 0.0 && n0 > 0.0) {
            return None;
        }
        // 1/H = (s² + k·s + 1)/(n2·s² + n1·s + n0); with s = s'·w,
        // w = √(n0/n2), its denominator is n0·(s'² + k'·s' + 1).
        let w = (n0 / n2).sqrt();
        let k = n1 / (n2 * n0).sqrt();
        let (p2, p1, p0) = (1.0 / n2, self.k * w / n0, 1.0 / n0);
        SvfCoefs::from_parts(self.g * w, k, p2, p1 - p2 * k, p0 - p2)
    }

    /// The same filter in state-space form on the SVF's own integrator
    /// states (s1, s2): with v = x − s2,
    /// y = d·x + c1·s1 + c2·s2, s1' = a11·s1 + b1·v, s2' = s2 + b1·s1 + b2·v.
    /// Returns [d, c1, c2, a11, b1, b2]. Expanding [`Svf::process`] gives
    /// these (d = m0 + m1·a2 + m2·a3, c1 = m1·a1 + m2·a2,
    /// c2 = m2·(1 − a3) − m1·a2, a11 = 2·a1 − 1, b1 = 2·a2, b2 = 2·a3): one
    /// multiply fewer per sample than the SVF's own arithmetic, and the
    /// states are the same, so the two forms can take over from each other
    /// between any two samples.
    pub fn state_space(&self) -> [f64; 6] {
        let (a1, a2, a3) = (self.a1, self.a2, self.a3);
        let (m0, m1, m2) = (self.m0, self.m1, self.m2);
        [
            m0 + m1 * a2 + m2 * a3,
            m1 * a1 + m2 * a2,
            m2 * (1.0 - a3) - m1 * a2,
            2.0 * a1 - 1.0,
            2.0 * a2,
            2.0 * a3,
        ]
    }

    /// Pass-through coefficients (output = input, states idle at a 1 kHz /
    /// 48 kHz Butterworth setting so a later change starts from sane values).
    pub fn identity() -> Self {
        let g = (PI / 48.0).tan();
        let k = core::f64::consts::SQRT_2;
        let a1 = 1.0 / (1.0 + g * (g + k));
        Self {
            g,
            k,
            a1,
            a2: g * a1,
            a3: g * g * a1,
            m0: 1.0,
            m1: 0.0,
            m2: 0.0,
        }
    }
}

impl FrequencyResponse for SvfCoefs {
    /// The analog prototype at `s = j·tan(π·f/fs)/g`, which is what the
    /// trapezoidal integrators realise.
    fn response_complex(&self, freq_hz: f32, sample_rate: f32) -> (f64, f64) {
        self.response_at_tan((PI * f64::from(freq_hz) / f64::from(sample_rate)).tan())
    }
}

impl SvfCoefs {
    /// The complex response at the frequency whose tan(ω/2) (ω in radians
    /// per sample; +inf at Nyquist) is `tan_half`: for callers that evaluate
    /// many filters at the same frequencies and compute the tangent once.
    pub fn response_at_tan(&self, tan_half: f64) -> (f64, f64) {
        let w = tan_half / self.g;
        // s = jw: s² + k·s + 1 = (1 − w²) + j·k·w
        let (dr, di) = (1.0 - w * w, self.k * w);
        if !dr.is_finite() {
            // At Nyquist every mode tends to its input weight.
            return (self.m0, 0.0);
        }
        // numerator m0·(s² + k·s + 1) + m1·s + m2
        complex_div(
            (self.m0 * dr + self.m2, self.m0 * di + self.m1 * w),
            (dr, di),
        )
    }
}

impl Default for SvfCoefs {
    /// [`SvfCoefs::identity`].
    fn default() -> Self {
        Self::identity()
    }
}

/// One channel of a trapezoidal SVF.
///
/// State and arithmetic are f64 (free in scalar code, and it keeps the
/// integrators exact at low corners). Every method is realtime-safe; `set`
/// costs a `tan` and a `powf`, so modulate it per control block
/// ([`crate::control::CONTROL_BLOCK`]) rather than per sample where possible
/// — though per-sample changes are safe.
#[derive(Clone, Debug, Default)]
pub struct Svf {
    coefs: SvfCoefs,
    ic1eq: f64,
    ic2eq: f64,
}

impl Svf {
    /// A pass-through filter with cleared state; call [`set`](Self::set).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the response: `sample_rate` in Hz, `freq_hz` in Hz, `q`, `mode`,
    /// `gain_db` in dB, with the ranges of [`SvfCoefs::new`]. The state is
    /// kept, so this may be called between any two samples. A call with a NaN
    /// argument or an invalid sample rate is ignored (the previous settings
    /// stay).
    pub fn set(&mut self, sample_rate: f32, freq_hz: f32, q: f32, mode: SvfMode, gain_db: f32) {
        if let Some(coefs) = SvfCoefs::new(sample_rate, freq_hz, q, mode, gain_db) {
            self.coefs = coefs;
        }
    }

    /// Replaces the coefficients (e.g. precomputed or shared between
    /// channels), keeping the state.
    pub fn set_coefs(&mut self, coefs: SvfCoefs) {
        self.coefs = coefs;
    }

    /// Current coefficients.
    pub fn coefs(&self) -> &SvfCoefs {
        &self.coefs
    }

    /// Clears the integrator states.
    pub fn reset(&mut self) {
        self.ic1eq = 0.0;
        self.ic2eq = 0.0;
    }

    /// Sets the states to the steady state of a constant input `x` (band
    /// output 0, low output `x`), as if `x` had been fed forever. A filter
    /// switched into a running signal then starts from where the signal is
    /// rather than from silence: a low-pass passes it on without a step.
    /// A non-finite `x` clears the states instead.
    pub fn set_steady_state(&mut self, x: f32) {
        self.ic1eq = 0.0;
        self.ic2eq = if x.is_finite() { f64::from(x) } else { 0.0 };
    }

    /// Filters one sample.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let c = &self.coefs;
        let v0 = f64::from(x);
        let v3 = v0 - self.ic2eq;
        let v1 = c.a1 * self.ic1eq + c.a2 * v3;
        let v2 = self.ic2eq + c.a2 * self.ic1eq + c.a3 * v3;
        self.ic1eq = 2.0 * v1 - self.ic1eq;
        self.ic2eq = 2.0 * v2 - self.ic2eq;
        (c.m0 * v0 + c.m1 * v1 + c.m2 * v2) as f32
    }

    /// Filters `buf` in place. If non-finite input left the state non-finite,
    /// the state is cleared at the end of the block.
    pub fn process_block(&mut self, buf: &mut [f32]) {
        for v in buf.iter_mut() {
            *v = self.process(*v);
        }
        if !(self.ic1eq + self.ic2eq).is_finite() {
            self.reset();
        }
    }
}

impl FrequencyResponse for Svf {
    /// Response of the current settings (`sample_rate` should be the rate
    /// passed to `set`).
    fn response_complex(&self, freq_hz: f32, sample_rate: f32) -> (f64, f64) {
        self.coefs.response_complex(freq_hz, sample_rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lerp_lands_on_both_ends() {
        let a = SvfCoefs::new(48_000.0, 200.0, 0.7, SvfMode::Lowpass, 0.0);
        let b = SvfCoefs::new(48_000.0, 2_000.0, 0.7, SvfMode::Lowpass, 0.0);
        if let (Some(a), Some(b)) = (a, b) {
            assert_eq!(a.lerp(&b, 0.0), a);
            assert_eq!(a.lerp(&b, 1.0), b);
            let m = a.lerp(&b, 0.5);
            assert!(m.g > a.g && m.g < b.g);
        } else {
            panic!("valid designs");
        }
    }

    #[test]
    fn steady_state_continues_a_constant_input() {
        // Low-pass and high-pass at any corner: a constant input from the
        // steady state gives the DC response at once (1 and 0).
        for freq in [50.0f32, 1_000.0, 15_000.0] {
            for (mode, dc) in [(SvfMode::Lowpass, 0.37f32), (SvfMode::Highpass, 0.0)] {
                let mut f = Svf::default();
                f.set(48_000.0, freq, core::f32::consts::FRAC_1_SQRT_2, mode, 0.0);
                f.set_steady_state(0.37);
                for _ in 0..100 {
                    let y = f.process(0.37);
                    assert!((y - dc).abs() < 1e-6, "{mode:?} {freq}: {y}");
                }
            }
        }
        let mut f = Svf::default();
        f.set_steady_state(f32::NAN);
        assert_eq!(f.process(0.0), 0.0);
    }
    use crate::biquad::{BiquadCoefs, BUTTERWORTH_Q};
    use crate::util::test_support::{spectrum, Noise};

    const MODES: [SvfMode; 9] = [
        SvfMode::Lowpass,
        SvfMode::Highpass,
        SvfMode::Bandpass,
        SvfMode::Notch,
        SvfMode::Peak,
        SvfMode::Bell,
        SvfMode::LowShelf,
        SvfMode::HighShelf,
        SvfMode::Allpass,
    ];

    fn filter(fs: f32, f: f32, q: f32, mode: SvfMode, gain_db: f32) -> Svf {
        let mut svf = Svf::new();
        svf.set(fs, f, q, mode, gain_db);
        svf
    }

    fn impulse_response(svf: &mut Svf, len: usize) -> Vec<f32> {
        svf.reset();
        (0..len)
            .map(|n| svf.process(if n == 0 { 1.0 } else { 0.0 }))
            .collect()
    }

    fn wrap_phase(x: f64) -> f64 {
        (x + PI).rem_euclid(2.0 * PI) - PI
    }

    /// Compares the closed-form response with the FFT of the measured impulse
    /// response at bins near the given fractions of fs.
    fn assert_matches_measurement(svf: &mut Svf, fs: f32, n: usize, ratios: &[f64], label: &str) {
        let ir = impulse_response(svf, n);
        let spec = spectrum(&ir);
        for &ratio in ratios {
            let k = (ratio * n as f64).round() as usize;
            let f = (k as f64 * f64::from(fs) / n as f64) as f32;
            let (mag, phase) = svf.response(f, fs);
            let measured = spec[k];
            let model_db = 20.0 * f64::from(mag).log10();
            if model_db < -60.0 {
                assert!(
                    (measured.norm() - f64::from(mag)).abs() < 1e-5,
                    "{label} at {f}"
                );
                continue;
            }
            let measured_db = 20.0 * measured.norm().log10();
            assert!(
                (measured_db - model_db).abs() < 0.01,
                "{label} at {f} Hz: measured {measured_db} dB, model {model_db} dB"
            );
            let dphi = wrap_phase(measured.arg() - f64::from(phase));
            assert!(dphi.abs() < 1e-3, "{label} at {f} Hz: phase off by {dphi}");
        }
    }

    #[test]
    fn response_matches_fft_of_impulse_response() {
        let ratios = [0.0, 0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.45, 0.5];
        for fs in [44_100.0f32, 96_000.0] {
            for fc in [50.0f32, 1_000.0, 12_000.0] {
                for mode in MODES {
                    for (q, gain) in [(BUTTERWORTH_Q, 9.0f32), (3.0, -12.0)] {
                        let mut svf = filter(fs, fc, q, mode, gain);
                        let label = format!("{mode:?} fs {fs} fc {fc} q {q}");
                        assert_matches_measurement(&mut svf, fs, 1 << 16, &ratios, &label);
                    }
                }
            }
        }
    }

    #[test]
    fn bell_equals_rbj_peaking() {
        // Both are the pre-warped bilinear transform of the same analog bell,
        // so the measured SVF must match the RBJ closed form everywhere.
        let n = 1 << 16;
        for fs in [44_100.0f32, 48_000.0, 96_000.0] {
            for (f0, q, gain) in [
                (250.0f32, 0.7f32, 6.0f32),
                (1_000.0, 2.0, -9.0),
                (8_000.0, 4.0, 12.0),
            ] {
                let mut svf = filter(fs, f0, q, SvfMode::Bell, gain);
                let rbj = BiquadCoefs::peaking(fs, f0, q, gain);
                let spec = spectrum(&impulse_response(&mut svf, n));
                for k in (1..n / 2).step_by(97) {
                    let f = (k as f64 * f64::from(fs) / n as f64) as f32;
                    let measured_db = 20.0 * spec[k].norm().log10();
                    let rbj_db = f64::from(rbj.magnitude_db(f, fs));
                    assert!(
                        (measured_db - rbj_db).abs() < 0.01,
                        "fs {fs} f0 {f0} at {f}: svf {measured_db} rbj {rbj_db}"
                    );
                }
                assert!((svf.magnitude_db(f0, fs) - gain).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn closed_forms_equal_the_rbj_designs() {
        let fs = 48_000.0f32;
        for (f0, q, gain) in [
            (300.0f32, BUTTERWORTH_Q, 6.0f32),
            (2_500.0, 1.7, -10.0),
            (11_000.0, 0.6, 3.0),
        ] {
            let pairs = [
                (SvfMode::Lowpass, BiquadCoefs::lowpass(fs, f0, q)),
                (SvfMode::Highpass, BiquadCoefs::highpass(fs, f0, q)),
                (SvfMode::Bandpass, BiquadCoefs::bandpass(fs, f0, q)),
                (SvfMode::Notch, BiquadCoefs::notch(fs, f0, q)),
                (SvfMode::Allpass, BiquadCoefs::allpass(fs, f0, q)),
                (SvfMode::Bell, BiquadCoefs::peaking(fs, f0, q, gain)),
                (SvfMode::LowShelf, BiquadCoefs::low_shelf(fs, f0, q, gain)),
                (SvfMode::HighShelf, BiquadCoefs::high_shelf(fs, f0, q, gain)),
            ];
            for (mode, rbj) in pairs {
                let svf = filter(fs, f0, q, mode, gain);
                for i in 0..=100 {
                    // Log-spaced 10 Hz .. 23.9 kHz.
                    let f = 10.0 * 2390f32.powf(i as f32 / 100.0);
                    let (a, b) = (svf.magnitude_db(f, fs), rbj.magnitude_db(f, fs));
                    if b < -60.0 {
                        continue;
                    }
                    assert!((a - b).abs() < 0.01, "{mode:?} f0 {f0} at {f}: {a} vs {b}");
                }
            }
            // Peak mode: unity at DC, 2Q at the centre.
            let peak = filter(fs, f0, q, SvfMode::Peak, 0.0);
            assert!(peak.magnitude_db(0.0, fs).abs() < 1e-6);
            assert!((peak.response(f0, fs).0 - 2.0 * q).abs() < 1e-4);
        }
    }

    #[test]
    fn low_shelf_is_accurate_at_low_corners_and_high_rates() {
        // Where the f32 direct form is off by tenths of a dB (20 Hz at
        // 192 kHz), the SVF lands on the closed form.
        let fs = 192_000.0f32;
        for (mode, gain) in [
            (SvfMode::LowShelf, 6.0f32),
            (SvfMode::LowShelf, -12.0),
            (SvfMode::Lowpass, 0.0),
        ] {
            let mut svf = filter(fs, 20.0, BUTTERWORTH_Q, mode, gain);
            let ir = impulse_response(&mut svf, 1 << 18);
            let dc_db = 20.0 * ir.iter().map(|&v| f64::from(v)).sum::<f64>().abs().log10();
            assert!(
                (dc_db - f64::from(gain)).abs() < 0.01,
                "{mode:?}: DC {dc_db} dB"
            );
            assert_matches_measurement(&mut svf, fs, 1 << 18, &[1e-4, 2e-4, 1e-3], "low corner");
        }
    }

    /// Largest L1 norm of the static impulse response over the sweep range:
    /// a static filter's output never exceeds it for |x| ≤ 1.
    fn max_l1_norm(fs: f32, q: f32, mode: SvfMode, gain: f32) -> f64 {
        (0..=24)
            .map(|i| {
                let f = 20.0 * 1000f32.powf(i as f32 / 24.0);
                let mut svf = filter(fs, f, q, mode, gain);
                impulse_response(&mut svf, 1 << 16)
                    .iter()
                    .map(|&v| f64::from(v.abs()))
                    .sum::<f64>()
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn fast_cutoff_modulation_stays_bounded() {
        let fs = 48_000.0f32;
        for mode in MODES {
            for (q, gain) in [(0.5f32, 12.0f32), (BUTTERWORTH_Q, -12.0), (8.0, 6.0)] {
                let bound = max_l1_norm(fs, q, mode, gain);
                let mut svf = Svf::new();
                let mut noise = Noise::new(99);
                let mut peak = 0.0f64;
                for n in 0..2 * 48_000 {
                    // 10 Hz sweep 20 Hz ↔ 20 kHz, exponential in frequency,
                    // with new coefficients every sample.
                    let t = n as f64 / f64::from(fs);
                    let sweep = 0.5 - 0.5 * (2.0 * PI * 10.0 * t).cos();
                    let f = 20.0 * 1000f64.powf(sweep);
                    svf.set(fs, f as f32, q, mode, gain);
                    let y = svf.process(noise.sample());
                    assert!(y.is_finite(), "{mode:?} q {q}: non-finite at {n}");
                    peak = peak.max(f64::from(y.abs()));
                }
                assert!(
                    peak <= bound,
                    "{mode:?} q {q}: peak {peak} beyond static L1 bound {bound}"
                );
            }
        }
    }

    #[test]
    fn block_equals_per_sample_and_reset_reproduces() {
        let mut noise = Noise::new(3);
        let input: Vec<f32> = (0..4096).map(|_| noise.sample()).collect();
        let mut reference = filter(48_000.0, 900.0, 1.3, SvfMode::Bell, 5.0);
        let expected: Vec<f32> = input.iter().map(|&x| reference.process(x)).collect();
        for block in [1usize, 7, 64, 65, 999, 4096] {
            let mut svf = filter(48_000.0, 900.0, 1.3, SvfMode::Bell, 5.0);
            let mut out = input.clone();
            for chunk in out.chunks_mut(block) {
                svf.process_block(chunk);
            }
            assert_eq!(out, expected, "block {block}");
            svf.reset();
            let mut again = input.clone();
            svf.process_block(&mut again);
            assert_eq!(again, expected);
        }
    }

    #[test]
    fn invalid_settings_are_ignored_and_nan_does_not_stick() {
        let mut svf = filter(48_000.0, 1_000.0, 0.7, SvfMode::Lowpass, 0.0);
        let before = *svf.coefs();
        svf.set(f32::NAN, 1_000.0, 0.7, SvfMode::Highpass, 0.0);
        svf.set(48_000.0, f32::NAN, 0.7, SvfMode::Highpass, 0.0);
        svf.set(0.0, 1_000.0, 0.7, SvfMode::Highpass, 0.0);
        assert_eq!(*svf.coefs(), before);
        // Out-of-range values clamp to a working filter.
        for (f, q, g) in [
            (1e9f32, 1e9f32, 1e9f32),
            (-1.0, 0.0, -1e9),
            (f32::INFINITY, -3.0, 0.0),
        ] {
            for mode in MODES {
                svf.set(48_000.0, f, q, mode, g);
                let ir = impulse_response(&mut svf, 48_000);
                assert!(ir.iter().all(|v| v.is_finite()), "{mode:?} {f} {q} {g}");
            }
        }
        let mut block = [0.25f32; 64];
        block[3] = f32::INFINITY;
        svf.process_block(&mut block);
        let mut next = [0.25f32; 64];
        svf.process_block(&mut next);
        assert!(next.iter().all(|v| v.is_finite()));
    }
}
