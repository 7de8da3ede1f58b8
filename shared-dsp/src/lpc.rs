//! Linear prediction: the spectral envelope as an all-pole filter, its
//! inverse (whitening) and synthesis (re-colouring) filters, and a
//! frequency warp of the envelope.
//!
//! Autocorrelation method (J. Makhoul, "Linear prediction: a tutorial
//! review", Proc. IEEE 63(4), 1975): the windowed frame's autocorrelation
//! `r(k)`, shaped by a Gaussian lag window (which widens every resonance
//! by a fixed bandwidth, so the model follows the envelope rather than the
//! individual harmonics of a high voice) and a −80 dB white-noise floor
//! (`r(0)·(1 + 10⁻⁸)`, which bounds the model's dynamic range), is solved
//! for the predictor `A(z) = 1 + Σ a_k z^(−k)` by the Levinson–Durbin
//! recursion. The result is minimum-phase, so `1/A(z)` is stable.
//!
//! A voice is the glottal excitation shaped by the vocal tract, `X = S·H`,
//! and `1/A` estimates `H` (times the excitation's tilt): the inverse filter
//! `A(z)` leaves the excitation, a train of short pulses with a flat
//! spectrum. Pitch-shifting that residual and filtering it with `1/A(z)`
//! again puts the formants back exactly where they were, whatever the pitch
//! (a PSOLA grain of a flat pulse train is flat at every frequency, where a
//! grain of the voice itself only approximates the envelope between
//! harmonics). The direct-form pair is an exact inverse even with
//! coefficients that change from sample to sample, as long as both sides
//! use the same coefficients for the same sample.

use realfft::num_complex::Complex;

/// Largest prediction order supported.
pub const MAX_ORDER: usize = 40;
/// White-noise floor added to the autocorrelation, relative to the frame's
/// power (−80 dB): bounds the model's dynamic range so that the normal
/// equations stay well conditioned, while leaving the valleys between
/// formants (40–60 dB down in a vowel) to the model.
const NOISE_FLOOR: f64 = 1e-8;

/// Solves the normal equations for `r[0..=order]` by Levinson–Durbin into
/// `a[0..=order]` (`a[0] = 1`). Returns the prediction error power, or
/// `None` (and `a = [1, 0, …]`) when `r[0]` is not positive or the
/// recursion meets a non-positive error (a singular or non-finite frame).
pub fn levinson(r: &[f64], a: &mut [f64]) -> Option<f64> {
    let order = r.len().min(a.len()).saturating_sub(1);
    a.fill(0.0);
    if a.is_empty() {
        return None;
    }
    a[0] = 1.0;
    let mut err = r.first().copied().unwrap_or(0.0);
    if !(err > 0.0 && err.is_finite()) {
        return None;
    }
    let mut tmp = [0.0f64; MAX_ORDER + 1];
    for i in 1..=order.min(MAX_ORDER) {
        let mut acc = r[i];
        for j in 1..i {
            acc += a[j] * r[i - j];
        }
        let k = -acc / err;
        if !k.is_finite() || k.abs() >= 1.0 {
            a.fill(0.0);
            a[0] = 1.0;
            return None;
        }
        tmp[..i].copy_from_slice(&a[..i]);
        for j in 1..i {
            a[j] = tmp[j] + k * tmp[i - j];
        }
        a[i] = k;
        err *= 1.0 - k * k;
        if err <= 0.0 {
            a.fill(0.0);
            a[0] = 1.0;
            return None;
        }
    }
    Some(err)
}

/// `|A(e^{jω})|²` at `omega` rad/sample.
///
/// `e^{−jωk}` comes from rotating a unit phasor one step per coefficient:
/// one sine and cosine per call instead of one per coefficient (this runs
/// in the audio thread's control ticks), with a rounding drift of about
/// `k·1e-16` over a model's few dozen coefficients.
pub fn power_at(a: &[f64], omega: f64) -> f64 {
    let (s1, c1) = omega.sin_cos();
    let (mut zr, mut zi) = (1.0f64, 0.0f64);
    let (mut re, mut im) = (0.0, 0.0);
    for &c in a {
        re += c * zr;
        im -= c * zi;
        (zr, zi) = (zr * c1 - zi * s1, zr * s1 + zi * c1);
    }
    re * re + im * im
}

/// Frequency, Hz, of the lowest peak of the envelope `1/|A|²` of `a` (a
/// predictor with the pre-emphasis `1 − μz⁻¹` folded in, which is divided
/// out here) at sample rate `fs`: searched upwards from `from_hz` in 2 Hz
/// steps and refined by a parabola through the log envelope. Returns
/// `from_hz` when the envelope already falls there (the lowest resonance
/// is at or below it) and `to_hz` when it has no peak below that.
pub fn lowest_resonance(a: &[f64], mu: f64, fs: f64, from_hz: f64, to_hz: f64) -> f64 {
    const STEP: f64 = 2.0;
    let log_power = |f: f64| {
        let w = std::f64::consts::TAU * f / fs;
        (power_at(a, w) / (1.0 - 2.0 * mu * w.cos() + mu * mu)).ln()
    };
    let mut f = from_hz;
    let (mut here, mut next) = (log_power(f), log_power(f + STEP));
    if next > here {
        return from_hz;
    }
    while f < to_hz {
        f += STEP;
        let before = here;
        here = next;
        next = log_power(f + STEP);
        if here <= before && here <= next {
            let den = before - 2.0 * here + next;
            let d = if den > 0.0 {
                0.5 * (before - next) / den
            } else {
                0.0
            };
            return f + d * STEP;
        }
    }
    to_hz
}

/// FFT length of the formant warp (47 Hz bins at 48 kHz).
const WARP_FFT: usize = 1024;

/// Estimates the envelope of frames and holds the predictor; allocation in
/// [`prepare`](Self::prepare) only.
///
/// Frames are Hann-windowed and their autocorrelations averaged over time
/// ([`set_averaging`](Self::set_averaging)). (A cheaper running
/// autocorrelation with a one-sided exponential window was tried: its hard
/// edge at the newest sample spreads energy into the spectrum's empty
/// regions, below the fundamental in particular, and the model then gave
/// those regions as much gain as the formants; the re-coloured output of
/// a shifted residual grew by 30 dB there.)
pub struct LpcAnalyzer {
    fs: f64,
    order: usize,
    /// Pre-emphasis coefficient μ (0 = none).
    mu: f64,
    bandwidth: f32,
    window: Vec<f64>,
    frame: Vec<f64>,
    lag: Vec<f64>,
    r: [f64; MAX_ORDER + 1],
    /// Running average of the frames' autocorrelations and its per-frame
    /// coefficient (0 = none).
    r_avg: [f64; MAX_ORDER + 1],
    avg_coef: f64,
    primed: bool,
    /// Fits since the average last started afresh.
    fits: u32,
    fft: Option<std::sync::Arc<dyn realfft::RealToComplex<f64>>>,
    ifft: Option<std::sync::Arc<dyn realfft::ComplexToReal<f64>>>,
    spec_in: Vec<f64>,
    spec: Vec<Complex<f64>>,
    warped: Vec<Complex<f64>>,
    acf: Vec<f64>,
    scratch: Vec<Complex<f64>>,
}

impl Default for LpcAnalyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl LpcAnalyzer {
    /// An analyzer with no buffers yet; call [`prepare`](Self::prepare).
    pub fn new() -> Self {
        Self {
            fs: 48_000.0,
            order: 1,
            mu: 0.0,
            bandwidth: f32::NAN,
            window: Vec::new(),
            frame: Vec::new(),
            lag: Vec::new(),
            r: [0.0; MAX_ORDER + 1],
            r_avg: [0.0; MAX_ORDER + 1],
            avg_coef: 0.0,
            primed: false,
            fits: 0,
            fft: None,
            ifft: None,
            spec_in: Vec::new(),
            spec: Vec::new(),
            warped: Vec::new(),
            acf: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Prepares Hann-windowed frames of `frame_len` samples and a model of
    /// `order` poles (1..=[`MAX_ORDER`] − 1) whose resonances are at least
    /// `bandwidth_hz` wide, at `sample_rate` Hz, fitted to the frames
    /// pre-emphasised by `1 − μ·z⁻¹` (`mu` in 0..1). The pre-emphasis is
    /// folded into the predictor, so [`analyse`](Self::analyse) returns
    /// `A(z)·(1 − μz⁻¹)`, of order `order + 1` when μ > 0
    /// ([`filter_order`](Self::filter_order)). A voice's spectrum falls by
    /// about 12 dB per octave; without the pre-emphasis the model spends
    /// its accuracy on that tilt and the floor above the formants rather
    /// than on the formants. Allocates (frame, window, the warp's FFT);
    /// then resets.
    pub fn prepare(
        &mut self,
        sample_rate: f32,
        frame_len: usize,
        order: usize,
        bandwidth_hz: f32,
        mu: f64,
    ) {
        self.fs = f64::from(sample_rate).max(1.0);
        self.mu = if mu.is_finite() {
            mu.clamp(0.0, 0.999)
        } else {
            0.0
        };
        self.order = order.clamp(1, MAX_ORDER - 1);
        let n = frame_len.max(self.order + 2);
        self.window = (0..n)
            .map(|i| {
                let x = core::f64::consts::TAU * (i as f64 + 0.5) / n as f64;
                0.5 - 0.5 * x.cos()
            })
            .collect();
        self.frame = vec![0.0; n];
        self.lag = vec![1.0; self.order + 1];
        self.bandwidth = f32::NAN;
        self.set_bandwidth(bandwidth_hz);
        let mut planner = realfft::RealFftPlanner::<f64>::new();
        let fft = planner.plan_fft_forward(WARP_FFT);
        let ifft = planner.plan_fft_inverse(WARP_FFT);
        self.scratch =
            vec![Complex::new(0.0, 0.0); fft.get_scratch_len().max(ifft.get_scratch_len())];
        self.spec_in = vec![0.0; WARP_FFT];
        self.acf = vec![0.0; WARP_FFT];
        self.spec = fft.make_output_vec();
        self.warped = fft.make_output_vec();
        self.fft = Some(fft);
        self.ifft = Some(ifft);
        self.reset();
    }

    /// Averages the autocorrelation over frames: each analysis fits the
    /// model to `r̄ ← c·r̄ + (1 − c)·r_frame` with `c = e^(−hop/τ)`, a
    /// running average with time constant `tau_s` seconds for analyses
    /// every `hop_s` seconds (τ = 0: each frame alone). Realtime-safe.
    pub fn set_averaging(&mut self, tau_s: f64, hop_s: f64) {
        self.avg_coef = if tau_s > 0.0 && hop_s > 0.0 {
            (-hop_s / tau_s).exp()
        } else {
            0.0
        };
    }

    /// Forgets the running average. Realtime-safe.
    pub fn reset(&mut self) {
        self.r_avg = [0.0; MAX_ORDER + 1];
        self.primed = false;
        self.fits = 0;
    }

    /// Analyses averaged since the average last started afresh (after
    /// silence, or a level jump of 30 dB): how settled the model is.
    pub fn fits_since_restart(&self) -> u32 {
        self.fits
    }

    /// Sets the smallest resonance bandwidth, Hz (≥ 0): the Gaussian lag
    /// window, i.e. a Gaussian of this width convolved with the power
    /// spectrum. Realtime-safe; recomputes only on change.
    pub fn set_bandwidth(&mut self, bandwidth_hz: f32) {
        let bw = if bandwidth_hz.is_finite() {
            bandwidth_hz.max(0.0)
        } else {
            0.0
        };
        if bw == self.bandwidth {
            return;
        }
        self.bandwidth = bw;
        let s = core::f64::consts::TAU * f64::from(bw) / self.fs;
        for (k, l) in self.lag.iter_mut().enumerate() {
            *l = (-0.5 * (s * k as f64).powi(2)).exp();
        }
    }

    /// Model order (poles fitted to the envelope).
    pub fn order(&self) -> usize {
        self.order
    }

    /// Order of the filters [`analyse`](Self::analyse) returns: the model
    /// order, plus one with pre-emphasis.
    pub fn filter_order(&self) -> usize {
        if self.mu > 0.0 {
            self.order + 1
        } else {
            self.order
        }
    }

    /// Frame length in samples.
    pub fn frame_len(&self) -> usize {
        self.frame.len()
    }

    /// The frame buffer to fill (oldest sample first) before
    /// [`analyse`](Self::analyse).
    pub fn frame_mut(&mut self) -> &mut [f64] {
        &mut self.frame
    }

    /// Fits the predictor to the frame in [`frame_mut`](Self::frame_mut)
    /// (averaged with the earlier ones, see
    /// [`set_averaging`](Self::set_averaging)) into `a[0..=filter_order]`.
    /// Returns the prediction error power, or `None` (and a flat
    /// `a = [1, 0, …]`, with the pre-emphasis) for a silent or non-finite
    /// frame.
    pub fn analyse(&mut self, a: &mut [f64]) -> Option<f64> {
        let mu = self.mu;
        if mu > 0.0 {
            for i in (1..self.frame.len()).rev() {
                self.frame[i] -= mu * self.frame[i - 1];
            }
        }
        for (v, w) in self.frame.iter_mut().zip(&self.window) {
            *v *= *w;
        }
        let x = &self.frame;
        let n = x.len();
        let p = self.order;
        for k in 0..=p {
            self.r[k] = dot64(&x[..n - k], &x[k..]);
        }
        if self.avg_coef > 0.0 && self.r[0].is_finite() {
            // The first frame starts the average (no ramp up from zero), and
            // so does a frame 30 dB louder or quieter than the average: an
            // onset after silence, or the end of a burst that would
            // otherwise dominate the average for many time constants.
            let jump = self.r[0] > 1e3 * self.r_avg[0] || self.r[0] < 1e-3 * self.r_avg[0];
            let restart = !self.primed || jump;
            let c = if restart { 0.0 } else { self.avg_coef };
            self.fits = if restart {
                1
            } else {
                self.fits.saturating_add(1)
            };
            for (avg, r) in self.r_avg[..=p].iter_mut().zip(self.r[..=p].iter_mut()) {
                *avg = c * *avg + (1.0 - c) * *r;
                *r = *avg;
            }
            self.primed = self.r[0] > 0.0;
        }
        self.r[0] *= 1.0 + NOISE_FLOOR;
        for (r, l) in self.r[..=p].iter_mut().zip(&self.lag) {
            *r *= *l;
        }
        let err = levinson(&self.r[..=p], &mut a[..=p]);
        if err.is_none() {
            a[..=p].fill(0.0);
            a[0] = 1.0;
        }
        if self.mu > 0.0 {
            // Fold in the pre-emphasis: A(z)·(1 − μz⁻¹).
            a[p + 1] = 0.0;
            for k in (1..=p + 1).rev() {
                a[k] -= self.mu * a[k - 1];
            }
        }
        err
    }

    /// The predictor whose envelope is `a`'s moved up in frequency by the
    /// ratio `beta` (0.5..=2): `|1/A'(ω)|² ≈ |1/A(ω/β)|²` (above `π·β` for
    /// β < 1 the envelope's value at π continues). The envelope is sampled
    /// by an FFT of `a`, its log interpolated at the warped frequencies,
    /// turned into an autocorrelation by an inverse FFT and fitted again.
    /// Writes `out[0..=filter_order]` and returns the prediction error
    /// power of the fit: `√err / A'(z)` has the warped envelope's level (1
    /// when the fit fails and `a` is copied).
    pub fn warp(&mut self, a: &[f64], beta: f64, out: &mut [f64]) -> f64 {
        let order = self.filter_order();
        let fallback = |out: &mut [f64]| {
            out[..=order].copy_from_slice(&a[..=order]);
            1.0
        };
        let (Some(fft), Some(ifft)) = (&self.fft, &self.ifft) else {
            return fallback(out);
        };
        let beta = beta.clamp(0.5, 2.0);
        self.spec_in.fill(0.0);
        self.spec_in[..=order].copy_from_slice(&a[..=order]);
        if fft
            .process_with_scratch(&mut self.spec_in, &mut self.spec, &mut self.scratch)
            .is_err()
        {
            return fallback(out);
        }
        // Log of the envelope 1/|A|² per bin, read at the warped bins.
        let bins = self.spec.len();
        for c in self.spec.iter_mut() {
            *c = Complex::new(-(c.norm_sqr().max(1e-30)).ln(), 0.0);
        }
        for (i, w) in self.warped.iter_mut().enumerate() {
            let pos = (i as f64 / beta).min((bins - 1) as f64);
            let j = pos as usize;
            let f = pos - j as f64;
            let v = if j + 1 < bins {
                self.spec[j].re * (1.0 - f) + self.spec[j + 1].re * f
            } else {
                self.spec[bins - 1].re
            };
            *w = Complex::new(v.exp(), 0.0);
        }
        if ifft
            .process_with_scratch(&mut self.warped, &mut self.acf, &mut self.scratch)
            .is_err()
        {
            return fallback(out);
        }
        let mut r = [0.0f64; MAX_ORDER + 1];
        r[..=order].copy_from_slice(&self.acf[..=order]);
        r[0] *= 1.0 + 1e-9;
        match levinson(&r[..=order], &mut out[..=order]) {
            Some(err) => err / WARP_FFT as f64,
            None => fallback(out),
        }
    }
}

/// Dot product with four partial sums (vectorises); with AVX2 where the
/// CPU has it (same operations in the same order, so the same result).
#[inline]
fn dot64(a: &[f64], b: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { dot64_avx2(a, b) };
    }
    dot64_scalar(a, b)
}

/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot64_avx2(a: &[f64], b: &[f64]) -> f64 {
    dot64_scalar(a, b)
}

#[inline(always)]
fn dot64_scalar(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    for (x, y) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for k in n / 4 * 4..n {
        s += a[k] * b[k];
    }
    s
}

/// History of a filter's last [`MAX_ORDER`] samples, newest last, kept
/// contiguous by writing every sample twice (so the taps are one slice).
#[derive(Clone, Debug)]
pub struct TapLine<T: Copy + Default> {
    buf: [T; 2 * MAX_ORDER],
    pos: usize,
}

impl<T: Copy + Default> Default for TapLine<T> {
    fn default() -> Self {
        Self {
            buf: [T::default(); 2 * MAX_ORDER],
            pos: 0,
        }
    }
}

impl<T: Copy + Default> TapLine<T> {
    /// Clears to zeros.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Appends a sample.
    #[inline]
    pub fn push(&mut self, v: T) {
        self.buf[self.pos] = v;
        self.buf[self.pos + MAX_ORDER] = v;
        self.pos = if self.pos + 1 == MAX_ORDER {
            0
        } else {
            self.pos + 1
        };
    }

    /// The last [`MAX_ORDER`] samples, oldest first.
    #[inline]
    pub fn taps(&self) -> &[T] {
        &self.buf[self.pos..self.pos + MAX_ORDER]
    }

    /// The [`MAX_ORDER`] − 1 samples before the newest, oldest first, at
    /// indices 1..[`MAX_ORDER`] of the slice returned. Index 0 holds no
    /// history (it is a copy of the newest sample): pair it with a zero
    /// coefficient that is never loaded (`SKIP` > 0 in
    /// [`predict_rev_for`]). For recursions: a prediction from these does
    /// not wait for the newest sample.
    #[inline]
    pub fn taps_before_newest(&self) -> &[T] {
        let start = (self.pos + MAX_ORDER - 1) % MAX_ORDER;
        &self.buf[start..start + MAX_ORDER]
    }
}

/// `Σ_{k=1..=order} a[k]·h[MAX_ORDER − k]`: the prediction from the last
/// `order` samples of a [`TapLine`] (oldest first).
#[inline]
pub fn predict(a: &[f64], taps: &[f64]) -> f64 {
    let order = a.len() - 1;
    let h = &taps[MAX_ORDER - order..];
    // a[1] pairs with the newest sample (h[order − 1]).
    let mut acc = [0.0f64; 4];
    let mut k = 1;
    while k + 3 <= order {
        for l in 0..4 {
            acc[l] += a[k + l] * h[order - k - l];
        }
        k += 4;
    }
    let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    while k <= order {
        s += a[k] * h[order - k];
        k += 1;
    }
    s
}

/// The coefficients `a[1..=MAX_ORDER]` of a predictor (zeros past its
/// order) in the order of a [`TapLine`]'s taps: `rev[j] = a[MAX_ORDER − j]`,
/// so a prediction is one straight dot product ([`predict_rev`]).
pub fn reversed(a: &[f64]) -> [f64; MAX_ORDER] {
    let mut rev = [0.0; MAX_ORDER];
    for (j, r) in rev.iter_mut().enumerate() {
        *r = a.get(MAX_ORDER - j).copied().unwrap_or(0.0);
    }
    rev
}

/// The coefficients of [`reversed`] split for a recursion: `a[2..]` laid
/// out for [`TapLine::taps_before_newest`] (one place later, a zero first),
/// and `a[1]`, the newest sample's. `Σ a[k]·y[n−k]` is then
/// `predict_rev_for(rest, taps_before_newest) + a1·y[n−1]`: the long sum
/// runs while `y[n−1]` is still being computed, and only one multiply and
/// one add wait for it (the recursion's critical path).
pub fn reversed_split(a: &[f64]) -> ([f64; MAX_ORDER], f64) {
    let rev = reversed(a);
    let mut rest = [0.0; MAX_ORDER];
    rest[1..].copy_from_slice(&rev[..MAX_ORDER - 1]);
    (rest, rev[MAX_ORDER - 1])
}

/// [`predict`] with coefficients prepared by [`reversed`]: a fixed-length
/// dot product of the last `MAX_ORDER − SKIP` terms (`SKIP` = 0 or 8; 8
/// when the order is at most 32, whose coefficients past 32 are zero).
/// Eight running sums, combined pairwise at the end; with AVX2 (where the
/// CPU has it) the same operations in the same order, four lanes at a
/// time, so the result is the same bit for bit. The zero coefficients past
/// the model's order cost less than a variable-length loop would.
#[inline(always)]
pub fn predict_rev<const SKIP: usize>(rev: &[f64; MAX_ORDER], taps: &[f64]) -> f64 {
    let taps = &taps[..MAX_ORDER];
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above) and both
        // slices hold MAX_ORDER values.
        return unsafe { predict_rev_avx2::<SKIP>(rev, taps) };
    }
    predict_rev_scalar::<SKIP>(rev, taps)
}

/// [`predict_rev`] with the CPU check left to the caller (a loop compiled
/// for AVX2 checks once, not at every sample): the AVX2 build when `AVX2`,
/// the portable one otherwise — the same result bit for bit.
///
/// # Safety
/// With `AVX2 = true` the CPU must support AVX2.
#[inline(always)]
pub unsafe fn predict_rev_for<const SKIP: usize, const AVX2: bool>(
    rev: &[f64; MAX_ORDER],
    taps: &[f64],
) -> f64 {
    let taps = &taps[..MAX_ORDER];
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: the caller guarantees AVX2; both slices hold MAX_ORDER
        // values.
        return unsafe { predict_rev_avx2::<SKIP>(rev, taps) };
    }
    predict_rev_scalar::<SKIP>(rev, taps)
}

/// The portable body of [`predict_rev`].
#[inline(always)]
fn predict_rev_scalar<const SKIP: usize>(rev: &[f64; MAX_ORDER], taps: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    for (c, h) in rev[SKIP..]
        .chunks_exact(8)
        .zip(taps[SKIP..].chunks_exact(8))
    {
        for l in 0..8 {
            acc[l] += c[l] * h[l];
        }
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// [`predict_rev_scalar`] with AVX2 registers: lanes 0–3 and 4–7 of the
/// eight sums in two registers.
///
/// # Safety
/// The CPU must support AVX2; `taps` must hold at least [`MAX_ORDER`]
/// values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn predict_rev_avx2<const SKIP: usize>(rev: &[f64; MAX_ORDER], taps: &[f64]) -> f64 {
    use std::arch::x86_64::*;
    let (c, h) = (rev.as_ptr(), taps.as_ptr());
    let mut lo = _mm256_setzero_pd();
    let mut hi = _mm256_setzero_pd();
    let mut j = SKIP;
    while j + 8 <= MAX_ORDER {
        // SAFETY: j + 8 ≤ MAX_ORDER for both pointers.
        unsafe {
            lo = _mm256_add_pd(
                lo,
                _mm256_mul_pd(_mm256_loadu_pd(c.add(j)), _mm256_loadu_pd(h.add(j))),
            );
            hi = _mm256_add_pd(
                hi,
                _mm256_mul_pd(_mm256_loadu_pd(c.add(j + 4)), _mm256_loadu_pd(h.add(j + 4))),
            );
        }
        j += 8;
    }
    // (acc0 + acc4), (acc1 + acc5), (acc2 + acc6), (acc3 + acc7).
    let pair = _mm256_add_pd(lo, hi);
    let mut v = [0.0f64; 4];
    // SAFETY: `v` holds four f64.
    unsafe { _mm256_storeu_pd(v.as_mut_ptr(), pair) };
    (v[0] + v[1]) + (v[2] + v[3])
}

/// Complex value of `A(e^{jω})` (for tests and drawing).
pub fn response(a: &[f64], omega: f64) -> Complex<f64> {
    a.iter()
        .enumerate()
        .fold(Complex::new(0.0, 0.0), |acc, (k, &c)| {
            acc + Complex::from_polar(c, -omega * k as f64)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_resonance_finds_the_first_peak() {
        // Resonances at 400 and 1500 Hz (radius 0.99) at 48 kHz, with a
        // pre-emphasis folded in.
        let fs = 48_000.0;
        let mu = 0.97;
        let pole = |f: f64| {
            let w = std::f64::consts::TAU * f / fs;
            [1.0, -2.0 * 0.99 * w.cos(), 0.99 * 0.99]
        };
        let (p1, p2) = (pole(400.0), pole(1500.0));
        let mut a = [0.0; 6];
        for (i, x) in p1.iter().enumerate() {
            for (j, y) in p2.iter().enumerate() {
                a[i + j] += x * y;
            }
        }
        for k in (1..6).rev() {
            a[k] -= mu * a[k - 1];
        }
        // The peak of a resonance 150 Hz wide lies a few hertz below its
        // pole's angle (395 Hz here).
        let f = lowest_resonance(&a, mu, fs, 100.0, 2000.0);
        assert!((f - 396.0).abs() < 3.0, "{f}");
        // Above the first peak the envelope falls: the start is returned.
        assert_eq!(lowest_resonance(&a, mu, fs, 500.0, 2000.0), 500.0);
        // No peak before the limit.
        assert_eq!(lowest_resonance(&a, mu, fs, 100.0, 300.0), 300.0);
    }

    #[test]
    fn recovers_an_all_pole_filter() {
        // x = noise through 1/(1 − 1.6z⁻¹ + 0.8z⁻²).
        let mut noise = crate::util::test_support::Noise::new(3);
        let (mut y1, mut y2) = (0.0f64, 0.0f64);
        let x: Vec<f32> = (0..48_000)
            .map(|_| {
                let y = f64::from(noise.sample()) + 1.6 * y1 - 0.8 * y2;
                y2 = y1;
                y1 = y;
                y as f32
            })
            .collect();
        let mut lpc = LpcAnalyzer::new();
        lpc.prepare(48_000.0, 4096, 2, 0.0, 0.0);
        for (f, v) in lpc.frame_mut().iter_mut().zip(&x[10_000..14_096]) {
            *f = f64::from(*v);
        }
        let mut a = [0.0; 3];
        assert!(lpc.analyse(&mut a).is_some());
        assert!(
            (a[1] + 1.6).abs() < 0.02 && (a[2] - 0.8).abs() < 0.02,
            "{a:?}"
        );
    }

    #[test]
    fn inverse_then_synthesis_is_identity_with_changing_coefficients() {
        let mut noise = crate::util::test_support::Noise::new(9);
        let x: Vec<f32> = (0..4000).map(|_| noise.sample()).collect();
        let mut hx = TapLine::<f64>::default();
        let mut hy = TapLine::<f64>::default();
        let mut worst = 0.0f64;
        for (n, &v) in x.iter().enumerate() {
            let t = n as f64 / 4000.0;
            let a = [1.0, -1.2 + 0.5 * t, 0.5 - 0.2 * t, 0.1];
            let e = f64::from(v) + predict(&a, hx.taps());
            hx.push(f64::from(v));
            let y = e - predict(&a, hy.taps());
            hy.push(y);
            worst = worst.max((y - f64::from(v)).abs());
        }
        assert!(worst < 1e-12, "{worst}");
    }

    #[test]
    fn dot64_matches_its_portable_build() {
        let mut noise = crate::util::test_support::Noise::new(12);
        for n in [0usize, 1, 3, 4, 5, 480, 481] {
            let a: Vec<f64> = (0..n).map(|_| f64::from(noise.sample())).collect();
            let b: Vec<f64> = (0..n).map(|_| f64::from(noise.sample())).collect();
            assert_eq!(
                dot64(&a, &b).to_bits(),
                dot64_scalar(&a, &b).to_bits(),
                "{n}"
            );
        }
    }

    #[test]
    fn reversed_prediction_matches() {
        let mut noise = crate::util::test_support::Noise::new(5);
        let mut h = TapLine::<f64>::default();
        for _ in 0..100 {
            h.push(f64::from(noise.sample()));
        }
        let mut a = [0.0; MAX_ORDER + 1];
        for (k, c) in a.iter_mut().enumerate().take(26) {
            *c = 0.1 * (k as f64).sin();
        }
        let rev = reversed(&a);
        let x = predict(&a[..26], h.taps());
        let y = predict_rev::<0>(&rev, h.taps());
        let z = predict_rev::<8>(&rev, h.taps());
        assert!(
            (x - y).abs() < 1e-12 && (x - z).abs() < 1e-12,
            "{x} {y} {z}"
        );
        assert_eq!(
            y.to_bits(),
            predict_rev_scalar::<0>(&rev, h.taps()).to_bits()
        );
        assert_eq!(
            z.to_bits(),
            predict_rev_scalar::<8>(&rev, h.taps()).to_bits()
        );
        // SAFETY: the portable build needs nothing from the CPU.
        let w = unsafe { predict_rev_for::<8, false>(&rev, h.taps()) };
        assert_eq!(z.to_bits(), w.to_bits());
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: checked just above.
            let v = unsafe { predict_rev_for::<0, true>(&rev, h.taps()) };
            assert_eq!(y.to_bits(), v.to_bits());
        }
    }

    #[test]
    fn warp_moves_the_resonance() {
        // A resonance at 1 kHz moved by 2^(2/12).
        let fs = 48_000.0f64;
        let r = 0.99f64;
        let w0 = core::f64::consts::TAU * 1000.0 / fs;
        let a = [1.0, -2.0 * r * w0.cos(), r * r];
        let mut lpc = LpcAnalyzer::new();
        lpc.prepare(48_000.0, 64, 2, 0.0, 0.0);
        let mut out = [0.0; 3];
        let beta = (2.0f64 / 12.0).exp2();
        let _ = lpc.warp(&a, beta, &mut out);
        // Find the peak of 1/|A'|².
        let peak = (1..2000)
            .map(|i| i as f64)
            .min_by(|x, y| {
                let px = power_at(&out, core::f64::consts::TAU * x / fs);
                let py = power_at(&out, core::f64::consts::TAU * y / fs);
                px.total_cmp(&py)
            })
            .unwrap();
        assert!((peak / (1000.0 * beta) - 1.0).abs() < 0.01, "{peak}");
        assert!(levinson(&[0.0, 0.0], &mut [0.0, 0.0]).is_none());
        // Pre-emphasis is folded into the predictor; a silent frame fits
        // nothing.
        let mut lpc = LpcAnalyzer::new();
        lpc.prepare(48_000.0, 64, 2, 0.0, 0.5);
        assert_eq!(lpc.filter_order(), 3);
        let mut b = [0.0; 4];
        assert!(lpc.analyse(&mut b).is_none());
        assert_eq!(b, [1.0, -0.5, 0.0, 0.0]);
    }
}
