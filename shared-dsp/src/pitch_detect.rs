//! Monophonic pitch detection: McLeod's normalised square difference
//! function (NSDF) on a decimated copy of the signal via FFT
//! autocorrelation, refined at the full rate, with confidence gating and an
//! octave-error guard.
//!
//! Method (P. McLeod and G. Wyvill, "A Smarter Way to Find Pitch", ICMC
//! 2005): over a span of `S` samples the NSDF at lag τ is
//!
//! ```text
//! n(τ) = 2·r(τ) / m(τ),   r(τ) = Σ_{j<S−τ} x_j·x_{j+τ},   m(τ) = Σ_{j<S−τ} (x_j² + x_{j+τ}²)
//! ```
//!
//! which lies in [−1, 1] and is 1 at the period of a perfectly periodic
//! signal whatever its level. `r` comes from one forward and one inverse
//! real FFT of the zero-padded span (Wiener–Khinchin), `m` from running sums.
//! The first positive-lobe maxima after the first zero crossing ("key
//! maxima") are the period candidates; the earliest one within 0.88 of the
//! highest is chosen, which prefers the true period over its multiples
//! (sub-octave errors) without falling for partial periods.
//!
//! Cost: the coarse search runs on the signal low-passed and decimated to
//! about 12 kHz (the voice's fundamental and first formants survive, the
//! FFT is 4–16 times smaller). Its period is then refined at the full rate by
//! a direct NSDF over a few lags around it with parabolic interpolation, so
//! the estimate has the full rate's precision: a parabola through three
//! points of a correlation peak errs by under 0.01 sample where the peak is
//! broad (low voices) and up to about 0.03 sample (under a cent) for bright
//! tones at high pitch; see the tests.
//!
//! Confidence: the NSDF value at the chosen peak ("clarity"). Voicing needs
//! clarity ≥ [`VOICED_ON`] and a level above [`GATE_ON_DB`] to begin and
//! stays while clarity ≥ [`VOICED_OFF`] and the level is above
//! [`GATE_OFF_DB`]; noise (s, t, breaths) has no consistent period and stays
//! far below these thresholds.
//!
//! Octave guard: while voiced, a new estimate about an octave or a twelfth
//! away from the previous one is only accepted after [`JUMP_HOPS`]
//! consecutive analyses agree, as long as a candidate near the previous
//! period is still strong. A steady note therefore never flips octave on a
//! single ambiguous frame, while a sung octave leap is followed after a few
//! milliseconds.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::biquad::{Biquad, BiquadCoefs};
use crate::delay_line::DelayLine;

/// Clarity needed to start a voiced stretch (0..1).
pub const VOICED_ON: f32 = 0.8;
/// Clarity below which a voiced stretch ends (0..1).
pub const VOICED_OFF: f32 = 0.65;
/// RMS level of the analysis span needed to start a voiced stretch, dBFS.
pub const GATE_ON_DB: f32 = -60.0;
/// RMS level below which a voiced stretch ends, dBFS.
pub const GATE_OFF_DB: f32 = -66.0;
/// Consecutive analyses needed to accept an octave (or twelfth) jump.
pub const JUMP_HOPS: u32 = 3;
/// Approximate rate of the decimated analysis signal, Hz.
pub const DECIMATED_RATE_HZ: f32 = 12_000.0;
/// Hop between analyses in decimated samples (5.3 ms at 12 kHz).
pub const HOP_DECIMATED: usize = 64;

/// Key maxima within this fraction of the highest are period candidates.
const PEAK_THRESHOLD: f32 = 0.88;
/// A candidate near the previous period must reach this fraction of the
/// highest key maximum to hold back a suspected octave error.
const GUARD_THRESHOLD: f32 = 0.7;
/// Largest number of key maxima considered per analysis.
const MAX_PEAKS: usize = 48;
/// Full-rate refinement window, at least this long, s.
const FINE_MIN_WINDOW_S: f32 = 0.005;

/// Singing-voice or instrument range the detector searches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum VoiceType {
    /// 55–400 Hz.
    Bass,
    /// 80–800 Hz (tenor, baritone, alto).
    #[default]
    TenorAlto,
    /// 150–1200 Hz (soprano, mezzo).
    Soprano,
    /// 55–1760 Hz (monophonic instruments).
    Instrument,
}

impl VoiceType {
    /// Every voice type, in selector order.
    pub const ALL: [VoiceType; 4] = [
        VoiceType::Bass,
        VoiceType::TenorAlto,
        VoiceType::Soprano,
        VoiceType::Instrument,
    ];

    /// Lowest and highest fundamental searched, Hz.
    pub const fn range_hz(self) -> (f32, f32) {
        match self {
            VoiceType::Bass => (55.0, 400.0),
            VoiceType::TenorAlto => (80.0, 800.0),
            VoiceType::Soprano => (150.0, 1200.0),
            VoiceType::Instrument => (55.0, 1760.0),
        }
    }

    /// Display name.
    pub const fn name(self) -> &'static str {
        match self {
            VoiceType::Bass => "Bass",
            VoiceType::TenorAlto => "Tenor / alto",
            VoiceType::Soprano => "Soprano",
            VoiceType::Instrument => "Instrument",
        }
    }

    fn index(self) -> usize {
        match self {
            VoiceType::Bass => 0,
            VoiceType::TenorAlto => 1,
            VoiceType::Soprano => 2,
            VoiceType::Instrument => 3,
        }
    }
}

/// Result of one analysis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PitchEstimate {
    /// A periodic signal is present (voiced speech or a played note).
    pub voiced: bool,
    /// Period in full-rate samples. While unvoiced, the last voiced period
    /// (or 0 if there never was one).
    pub period: f64,
    /// Clarity (NSDF at the chosen period), 0..=1; 0 for silence.
    pub clarity: f32,
    /// RMS level of the analysis span, dBFS (≥ −200).
    pub level_db: f32,
}

impl PitchEstimate {
    const SILENT: Self = Self {
        voiced: false,
        period: 0.0,
        clarity: 0.0,
        level_db: -200.0,
    };

    /// Fundamental frequency in Hz at `sample_rate`, 0 when no period is known.
    pub fn hz(&self, sample_rate: f32) -> f64 {
        if self.period > 0.0 {
            f64::from(sample_rate) / self.period
        } else {
            0.0
        }
    }
}

/// Lag range and FFT for one voice type (decimated samples).
struct Setup {
    tau_min: usize,
    tau_max: usize,
    span: usize,
    fft: Arc<dyn RealToComplex<f32>>,
    ifft: Arc<dyn ComplexToReal<f32>>,
}

/// The detector; see the [module documentation](self).
///
/// Feed every input sample with [`push`](Self::push) and call
/// [`analyse`](Self::analyse) every [`hop`](Self::hop) samples (the tuner
/// does so on its control grid).
pub struct PitchDetector {
    fs: f32,
    decim: usize,
    /// Full-rate mono signal, also read by the pitch-mark tracker.
    signal: DelayLine,
    /// Samples pushed since `reset()`.
    count: u64,
    anti_alias: Biquad,
    rumble: Biquad,
    acc: f32,
    acc_n: usize,
    decimated: DelayLine,
    setups: Vec<Setup>,
    voice: VoiceType,
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    acf: Vec<f32>,
    nsdf: Vec<f32>,
    fine: Vec<f32>,
    peaks: [(f32, f32); MAX_PEAKS],
    // Tracking state.
    estimate: PitchEstimate,
    /// Previous voiced period in decimated samples (0 = none).
    prev_tau: f32,
    jump_count: u32,
}

impl Default for PitchDetector {
    fn default() -> Self {
        Self::new()
    }
}

/// Smallest 2^a·3^b at or above `n` (fast FFT sizes).
fn smooth_size(n: usize) -> usize {
    let mut best = n.next_power_of_two();
    let mut p3 = 1;
    while p3 <= best {
        let mut v = p3;
        while v < n {
            v *= 2;
        }
        best = best.min(v);
        p3 *= 3;
    }
    best
}

/// Dot product with eight partial sums, so the loop vectorises; run with
/// AVX2 where the CPU has it (same operations in the same order, so the
/// same result, eight lanes at a time).
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { dot_avx2(a, b) };
    }
    dot_scalar(a, b)
}

/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    dot_scalar(a, b)
}

/// The portable body of [`dot`].
#[inline(always)]
pub(crate) fn dot_scalar(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = 0.0;
    for k in n / 8 * 8..n {
        s += a[k] * b[k];
    }
    s + ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// Vertex of the parabola through `(−1, a)`, `(0, b)`, `(1, c)`: offset in
/// [−0.5, 0.5] (clamped) and value.
#[inline]
pub(crate) fn parabolic(a: f32, b: f32, c: f32) -> (f32, f32) {
    let den = a - 2.0 * b + c;
    if den >= 0.0 || !den.is_finite() {
        return (0.0, b);
    }
    let d = (0.5 * (a - c) / den).clamp(-0.5, 0.5);
    (d, b - 0.25 * (a - c) * d)
}

impl PitchDetector {
    /// A detector with no buffers yet; call [`prepare`](Self::prepare).
    pub fn new() -> Self {
        Self {
            fs: 48_000.0,
            decim: 4,
            signal: DelayLine::new(),
            count: 0,
            anti_alias: Biquad::new(BiquadCoefs::identity()),
            rumble: Biquad::new(BiquadCoefs::identity()),
            acc: 0.0,
            acc_n: 0,
            decimated: DelayLine::new(),
            setups: Vec::new(),
            voice: VoiceType::default(),
            frame: Vec::new(),
            spectrum: Vec::new(),
            scratch: Vec::new(),
            acf: Vec::new(),
            nsdf: Vec::new(),
            fine: Vec::new(),
            peaks: [(0.0, 0.0); MAX_PEAKS],
            estimate: PitchEstimate::SILENT,
            prev_tau: 0.0,
            jump_count: 0,
        }
    }

    /// Allocates for `sample_rate` Hz (clamped to 8–384 kHz; non-finite
    /// means 48 kHz) and keeps at least `history` full-rate samples of the
    /// input for [`signal`](Self::signal). Plans an FFT for every voice
    /// type, so changing the voice type later is realtime-safe. Then resets.
    pub fn prepare(&mut self, sample_rate: f32, history: usize) {
        self.fs = if sample_rate.is_finite() {
            sample_rate.clamp(8_000.0, 384_000.0)
        } else {
            48_000.0
        };
        self.decim = ((self.fs / DECIMATED_RATE_HZ).round() as usize).max(1);
        let fs_d = self.fs / self.decim as f32;
        // Second-order Butterworth at 40 % of the decimated rate, then the
        // D-sample average, whose nulls fall on the aliases' centres.
        self.anti_alias.set_coefs(BiquadCoefs::lowpass(
            self.fs,
            0.4 * fs_d,
            core::f32::consts::FRAC_1_SQRT_2,
        ));
        self.rumble.set_coefs(BiquadCoefs::highpass(
            fs_d,
            40.0,
            core::f32::consts::FRAC_1_SQRT_2,
        ));
        let mut planner = RealFftPlanner::<f32>::new();
        self.setups.clear();
        let mut max_n = 0;
        let mut max_span = 0;
        let mut max_fine = 0;
        for v in VoiceType::ALL {
            let (lo, hi) = v.range_hz();
            let tau_max = (fs_d / lo).ceil() as usize + 2;
            let tau_min = ((fs_d / hi).floor() as usize).saturating_sub(1).max(2);
            let span = 2 * tau_max;
            let n = smooth_size(span + tau_max + 1);
            max_n = max_n.max(n);
            max_span = max_span.max(span);
            let t_full = (self.fs / lo).ceil() as usize;
            max_fine = max_fine.max(self.fine_window(t_full as f32) + t_full + 4 * self.decim + 8);
            self.setups.push(Setup {
                tau_min,
                tau_max,
                span,
                fft: planner.plan_fft_forward(n),
                ifft: planner.plan_fft_inverse(n),
            });
        }
        let scratch = self
            .setups
            .iter()
            .map(|s| s.fft.get_scratch_len().max(s.ifft.get_scratch_len()))
            .max()
            .unwrap_or(0);
        self.frame = vec![0.0; max_n];
        self.acf = vec![0.0; max_n];
        self.spectrum = vec![Complex::new(0.0, 0.0); max_n / 2 + 1];
        self.scratch = vec![Complex::new(0.0, 0.0); scratch];
        self.nsdf = vec![0.0; max_n];
        self.fine = vec![0.0; max_fine];
        self.decimated.prepare(max_span + 4);
        self.signal.prepare(history.max(max_fine + 4));
        self.reset();
    }

    /// Clears the signal history and the tracking state. Realtime-safe.
    pub fn reset(&mut self) {
        self.signal.reset();
        self.decimated.reset();
        self.count = 0;
        self.anti_alias.reset();
        self.rumble.reset();
        self.acc = 0.0;
        self.acc_n = 0;
        self.estimate = PitchEstimate::SILENT;
        self.prev_tau = 0.0;
        self.jump_count = 0;
    }

    /// Chooses the searched range (realtime-safe). A change ends the current
    /// voiced stretch's octave tracking.
    pub fn set_voice(&mut self, voice: VoiceType) {
        if voice != self.voice {
            self.voice = voice;
            self.prev_tau = 0.0;
            self.jump_count = 0;
        }
    }

    /// Voice type in use.
    pub fn voice(&self) -> VoiceType {
        self.voice
    }

    /// Sample rate the detector was prepared for, Hz.
    pub fn sample_rate(&self) -> f32 {
        self.fs
    }

    /// Recommended analysis hop in full-rate samples: [`HOP_DECIMATED`]
    /// decimated samples (5.3 ms at 48 kHz), a multiple of the 32-sample
    /// control block.
    pub fn hop(&self) -> usize {
        HOP_DECIMATED * self.decim
    }

    /// Decimation factor of the coarse search (4 at 44.1 and 48 kHz).
    pub fn decimation(&self) -> usize {
        self.decim
    }

    /// Length in full-rate samples of the span one analysis looks at for
    /// the current voice type (twice its longest period).
    pub fn span_samples(&self) -> usize {
        self.setups
            .get(self.voice.index())
            .map_or(0, |s| s.span * self.decim)
    }

    /// Appends one input sample (finite; callers sanitise). Realtime-safe.
    #[inline]
    pub fn push(&mut self, x: f32) {
        self.signal.push(x);
        self.count += 1;
        let y = self.anti_alias.process(x);
        self.acc += y;
        self.acc_n += 1;
        if self.acc_n == self.decim {
            let d = self.rumble.process(self.acc / self.decim as f32);
            self.decimated.push(d);
            self.acc = 0.0;
            self.acc_n = 0;
        }
    }

    /// Full-rate mono history of the pushed samples.
    pub fn signal(&self) -> &DelayLine {
        &self.signal
    }

    /// Number of samples pushed since `reset()`; the newest has absolute
    /// index `pushed() − 1`.
    pub fn pushed(&self) -> u64 {
        self.count
    }

    /// The latest estimate.
    pub fn estimate(&self) -> &PitchEstimate {
        &self.estimate
    }

    /// Refinement window for a period of `period` samples: a whole number
    /// of periods (so the window's ends cut the waveform at the same phase)
    /// of at least [`FINE_MIN_WINDOW_S`].
    fn fine_window(&self, period: f32) -> usize {
        let period = period.max(1.0);
        let min = FINE_MIN_WINDOW_S * self.fs;
        let k = (min / period).ceil().max(1.0);
        (k * period).round() as usize
    }

    /// Analyses the most recent span and updates the estimate. No
    /// allocation; call once per hop.
    pub fn analyse(&mut self) -> PitchEstimate {
        let Self {
            setups,
            voice,
            decimated,
            frame,
            spectrum,
            scratch,
            acf,
            nsdf,
            ..
        } = self;
        let Some(setup) = setups.get(voice.index()) else {
            return self.estimate;
        };
        let (tau_min, tau_max, span) = (setup.tau_min, setup.tau_max, setup.span);
        let n = setup.fft.len();
        // Oldest first.
        decimated.read_block(0, &mut frame[..span]);
        frame[span..n].fill(0.0);
        let energy: f32 = frame[..span].iter().map(|v| v * v).sum();
        let level_db = if energy > 0.0 {
            (10.0 * (energy / span as f32).log10()).max(-200.0)
        } else {
            -200.0
        };
        let mut est = PitchEstimate {
            voiced: false,
            period: self.estimate.period,
            clarity: 0.0,
            level_db,
        };
        if !energy.is_finite() || energy <= 1e-20 * span as f32 {
            return self.unvoiced(est);
        }
        let half = n / 2 + 1;
        let fft_ok = setup
            .fft
            .process_with_scratch(&mut frame[..n], &mut spectrum[..half], scratch)
            .is_ok();
        for c in &mut spectrum[..half] {
            *c = Complex::new(c.norm_sqr(), 0.0);
        }
        let ifft_ok = setup
            .ifft
            .process_with_scratch(&mut spectrum[..half], &mut acf[..n], scratch)
            .is_ok();
        if !(fft_ok && ifft_ok) {
            return self.unvoiced(est);
        }
        // The FFT overwrote the frame; read the squares from the ring again.
        let sq = |j: usize| {
            let v = decimated.read(span - 1 - j);
            v * v
        };
        let scale = 1.0 / n as f32;
        let top = (tau_max + 1).min(span - 1);
        let mut m = 2.0 * energy;
        nsdf[0] = 1.0;
        for tau in 1..=top {
            m -= sq(tau - 1) + sq(span - tau);
            nsdf[tau] = if m > 1e-12 * energy {
                (2.0 * acf[tau] * scale / m).clamp(-1.0, 1.0)
            } else {
                0.0
            };
        }
        // Key maxima: the highest point of each positive lobe after the
        // first negative-going zero crossing.
        let mut count = 0;
        let mut tau = 1;
        while tau <= top && self.nsdf[tau] > 0.0 {
            tau += 1;
        }
        let mut best: Option<usize> = None;
        while tau < top {
            let v = self.nsdf[tau];
            if v > 0.0 {
                if best.is_none_or(|b| v > self.nsdf[b]) {
                    best = Some(tau);
                }
            } else if let Some(b) = best.take() {
                if (tau_min..=tau_max).contains(&b) && count < MAX_PEAKS {
                    let (d, val) = parabolic(self.nsdf[b - 1], self.nsdf[b], self.nsdf[b + 1]);
                    self.peaks[count] = (b as f32 + d, val);
                    count += 1;
                }
            }
            tau += 1;
        }
        // A lobe still rising at the end of the range is cut off and not a
        // maximum; one that has turned down is.
        if let Some(b) = best {
            if b < top && (tau_min..=tau_max).contains(&b) && count < MAX_PEAKS {
                let (d, val) = parabolic(self.nsdf[b - 1], self.nsdf[b], self.nsdf[b + 1]);
                self.peaks[count] = (b as f32 + d, val);
                count += 1;
            }
        }
        let peaks = &self.peaks[..count];
        let Some(vmax) = peaks.iter().map(|p| p.1).reduce(f32::max) else {
            return self.unvoiced(est);
        };
        let mut chosen = peaks
            .iter()
            .copied()
            .find(|p| p.1 >= PEAK_THRESHOLD * vmax)
            .unwrap_or(peaks[0]);
        if self.prev_tau > 0.0 {
            let ratio = chosen.0 / self.prev_tau;
            let suspicious = [2.0f32, 0.5, 3.0, 1.0 / 3.0]
                .iter()
                .any(|r| (ratio / r).ln().abs() < 0.09);
            let near = peaks
                .iter()
                .copied()
                .filter(|p| (p.0 / self.prev_tau).ln().abs() < 0.09)
                .reduce(|a, b| if b.1 > a.1 { b } else { a });
            match near {
                Some(p) if suspicious && p.1 >= GUARD_THRESHOLD * vmax => {
                    self.jump_count += 1;
                    if self.jump_count < JUMP_HOPS {
                        chosen = p;
                    } else {
                        self.jump_count = 0;
                    }
                }
                _ => self.jump_count = 0,
            }
        }
        let clarity = chosen.1.clamp(0.0, 1.0);
        let was = self.estimate.voiced;
        let voiced = if was {
            clarity >= VOICED_OFF && level_db >= GATE_OFF_DB
        } else {
            clarity >= VOICED_ON && level_db >= GATE_ON_DB
        };
        est.clarity = clarity;
        est.voiced = voiced;
        if voiced {
            self.prev_tau = chosen.0;
            est.period = self.refine(chosen.0 * self.decim as f32);
        } else {
            self.prev_tau = 0.0;
            self.jump_count = 0;
        }
        self.estimate = est;
        est
    }

    fn unvoiced(&mut self, est: PitchEstimate) -> PitchEstimate {
        self.prev_tau = 0.0;
        self.jump_count = 0;
        self.estimate = est;
        est
    }

    /// Full-rate period near `coarse` samples: the maximum of the NSDF over
    /// a few lags around it, with parabolic interpolation; for short
    /// periods then again at the largest multiple of the period within
    /// [`FINE_MIN_WINDOW_S`], whose peak locates `K` periods at once and so
    /// divides the interpolation error by `K`.
    fn refine(&mut self, coarse: f32) -> f64 {
        let reach = self.decim / 2 + 2;
        let lo = (coarse.floor() as usize).saturating_sub(reach).max(2);
        let hi = coarse.ceil() as usize + reach;
        let w = self.fine_window(coarse);
        let k = ((FINE_MIN_WINDOW_S * self.fs / coarse).floor() as usize).max(1);
        // The multiple's search reaches `k` times the highest first lag.
        let far = k * hi + 3;
        let len = w + hi.max(far) + 2;
        if len > self.fine.len() || self.count < len as u64 {
            return f64::from(coarse);
        }
        self.signal.read_block(0, &mut self.fine[..len]);
        let y = &self.fine[..len];
        let a = &y[len - w..];
        let ea = dot(a, a);
        let nsdf_at = |tau: usize| {
            let b = &y[len - w - tau..len - tau];
            let eb = dot(b, b);
            let den = ea + eb;
            if den > 0.0 {
                2.0 * dot(a, b) / den
            } else {
                0.0
            }
        };
        // The NSDF near a period is one broad lobe: climb it from the
        // coarse estimate rather than evaluate every lag.
        let peak = |start: usize, lo: usize, hi: usize| -> Option<f64> {
            let mut tau = start.clamp(lo, hi);
            let mut here = nsdf_at(tau);
            let mut left = if tau > lo { nsdf_at(tau - 1) } else { f32::MIN };
            let mut right = if tau < hi { nsdf_at(tau + 1) } else { f32::MIN };
            loop {
                if right > here && tau < hi {
                    left = here;
                    here = right;
                    tau += 1;
                    right = if tau < hi { nsdf_at(tau + 1) } else { f32::MIN };
                } else if left > here && tau > lo {
                    right = here;
                    here = left;
                    tau -= 1;
                    left = if tau > lo { nsdf_at(tau - 1) } else { f32::MIN };
                } else {
                    break;
                }
            }
            if tau == lo || tau == hi {
                return None;
            }
            let (d, _) = parabolic(left, here, right);
            Some(tau as f64 + f64::from(d))
        };
        let Some(one) = peak(coarse.round() as usize, lo, hi) else {
            return f64::from(coarse);
        };
        if k < 2 {
            return one;
        }
        let centre = (k as f64 * one).round() as usize;
        match peak(centre, centre - 2, centre + 2) {
            Some(many) if (many / k as f64 / one - 1.0).abs() < 0.01 => many / k as f64,
            _ => one,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::test_support::Noise;

    /// A band-limited sawtooth-like tone (harmonics 1/k) at `hz`.
    fn tone(fs: f32, hz: f64, secs: f64, harmonics: usize) -> Vec<f32> {
        let n = (secs * f64::from(fs)) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(fs);
                let mut s = 0.0;
                for k in 1..=harmonics {
                    let f = hz * k as f64;
                    if f < 0.45 * f64::from(fs) {
                        s += (2.0 * std::f64::consts::PI * f * t).sin() / k as f64;
                    }
                }
                (0.3 * s) as f32
            })
            .collect()
    }

    fn run(det: &mut PitchDetector, x: &[f32]) -> Vec<PitchEstimate> {
        let hop = det.hop();
        let mut out = Vec::new();
        for (i, &v) in x.iter().enumerate() {
            det.push(v);
            if (i + 1) % hop == 0 {
                out.push(det.analyse());
            }
        }
        out
    }

    #[test]
    fn dot_matches_its_portable_build() {
        let mut noise = Noise::new(11);
        for n in [0usize, 1, 7, 8, 9, 63, 64, 65, 1000, 1001] {
            let a: Vec<f32> = (0..n).map(|_| noise.sample()).collect();
            let b: Vec<f32> = (0..n).map(|_| noise.sample()).collect();
            assert_eq!(dot(&a, &b).to_bits(), dot_scalar(&a, &b).to_bits(), "{n}");
        }
    }

    #[test]
    fn smooth_sizes() {
        assert_eq!(smooth_size(457), 486);
        assert_eq!(smooth_size(512), 512);
        assert_eq!(smooth_size(513), 576);
        assert_eq!(smooth_size(1), 1);
    }

    #[test]
    fn finds_the_period_of_harmonic_tones_within_a_cent() {
        for fs in [44_100.0f32, 48_000.0, 96_000.0] {
            for hz in [82.4, 110.0, 196.0, 261.6, 440.0, 659.3] {
                let mut det = PitchDetector::new();
                det.prepare(fs, 4096);
                let est = run(&mut det, &tone(fs, hz, 0.3, 30));
                let last = est.last().copied().unwrap();
                assert!(last.voiced, "{fs} {hz}: {last:?}");
                let truth = f64::from(fs) / hz;
                // Within a hundredth of a sample where the correlation peak
                // is broad; a sawtooth's peak is sharp enough at high pitch
                // for the interpolation to err by up to 0.015 sample (0.4
                // cent at 659 Hz, 44.1 kHz).
                let cents = 1200.0 * (last.period / truth).log2();
                assert!(
                    cents.abs() < 1.0 && (hz > 400.0 || (last.period - truth).abs() < 0.01),
                    "{fs} Hz, {hz} Hz: {} vs {truth}",
                    last.period
                );
                assert!(last.clarity > 0.95);
            }
        }
    }

    #[test]
    fn noise_and_silence_are_unvoiced() {
        let mut det = PitchDetector::new();
        det.prepare(48_000.0, 4096);
        let mut noise = Noise::new(7);
        let x: Vec<f32> = (0..48_000).map(|_| 0.5 * noise.sample()).collect();
        assert!(run(&mut det, &x).iter().all(|e| !e.voiced));
        det.reset();
        let est = run(&mut det, &vec![0.0; 10_000]);
        assert!(est.iter().all(|e| !e.voiced && e.clarity == 0.0));
    }

    #[test]
    fn out_of_range_fundamental_is_not_reported_in_range() {
        // 40 Hz is below the tenor/alto range: no period in range.
        let mut det = PitchDetector::new();
        det.prepare(48_000.0, 4096);
        let est = run(&mut det, &tone(48_000.0, 40.0, 0.5, 1));
        assert!(est.iter().all(|e| !e.voiced), "{:?}", est.last());
    }

    #[test]
    fn voice_types_limit_the_range() {
        for v in VoiceType::ALL {
            let (lo, hi) = v.range_hz();
            assert!(lo < hi);
            let mut det = PitchDetector::new();
            det.prepare(48_000.0, 4096);
            det.set_voice(v);
            for hz in [lo * 1.05, (lo * hi).sqrt(), hi * 0.95] {
                det.reset();
                let est = run(&mut det, &tone(48_000.0, f64::from(hz), 0.3, 12));
                let last = est.last().copied().unwrap();
                let truth = 48_000.0 / f64::from(hz);
                assert!(
                    last.voiced && (last.period / truth - 1.0).abs() < 1e-3,
                    "{v:?} {hz}: {last:?} vs {truth}"
                );
            }
        }
    }
}
