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
pub fn power_at(a: &[f64], omega: f64) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (k, &c) in a.iter().enumerate() {
        let w = omega * k as f64;
        re += c * w.cos();
        im -= c * w.sin();
    }
    re * re + im * im
}

/// Estimates the envelope of frames and holds the predictor; allocation in
/// [`prepare`](Self::prepare) only.
#[derive(Clone, Debug, Default)]
pub struct LpcAnalyzer {
    /// Running average of the frames' autocorrelations and its
    /// per-frame coefficient (0 = none).
    r_avg: Vec<f64>,
    avg_coef: f64,
    primed: bool,
    fs: f64,
    bandwidth: f32,
    order: usize,
    /// Pre-emphasis coefficient μ (0 = none).
    mu: f64,
    window: Vec<f32>,
    frame: Vec<f32>,
    lag: Vec<f64>,
    r: Vec<f64>,
    /// Warp grid: sampled envelope and its cosine table.
    grid: Vec<f64>,
    cos: Vec<f64>,
}

/// Points of the envelope grid used to warp the formants.
const WARP_POINTS: usize = 256;

impl LpcAnalyzer {
    /// An analyzer with no buffers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Prepares frames of `frame_len` samples (Hann window) and a model of
    /// `order` (≤ [`MAX_ORDER`]) poles whose resonances are at least
    /// `bandwidth_hz` wide at `sample_rate` Hz.
    pub fn prepare(&mut self, sample_rate: f32, frame_len: usize, order: usize, bandwidth_hz: f32) {
        self.prepare_with_preemphasis(sample_rate, frame_len, order, bandwidth_hz, 0.0);
    }

    /// Like [`prepare`](Self::prepare), with a first-order pre-emphasis
    /// `1 − μ·z⁻¹` (`mu` in 0..1) applied before the fit and folded into
    /// the predictor afterwards, so [`analyse`](Self::analyse) returns
    /// `A(z)·(1 − μz⁻¹)` of order `order + 1` ([`filter_order`]). A voice's
    /// spectrum falls by about 12 dB per octave; without the pre-emphasis
    /// the model spends its accuracy on that tilt and the floor above the
    /// formants rather than on the formants.
    ///
    /// [`filter_order`]: Self::filter_order
    pub fn prepare_with_preemphasis(
        &mut self,
        sample_rate: f32,
        frame_len: usize,
        order: usize,
        bandwidth_hz: f32,
        mu: f64,
    ) {
        self.mu = if mu.is_finite() {
            mu.clamp(0.0, 0.999)
        } else {
            0.0
        };
        let max = if self.mu > 0.0 {
            MAX_ORDER - 1
        } else {
            MAX_ORDER
        };
        self.order = order.clamp(1, max);
        let n = frame_len.max(self.order + 2);
        self.window = (0..n)
            .map(|i| {
                let x = core::f32::consts::TAU * (i as f32 + 0.5) / n as f32;
                0.5 - 0.5 * x.cos()
            })
            .collect();
        self.frame = vec![0.0; n];
        self.fs = f64::from(sample_rate);
        self.lag = vec![1.0; self.order + 1];
        self.bandwidth = f32::NAN;
        self.set_bandwidth(bandwidth_hz);
        self.r = vec![0.0; self.order + 1];
        self.r_avg = vec![0.0; self.order + 1];
        self.grid = vec![0.0; WARP_POINTS + 1];
        self.cos = (0..=WARP_POINTS * 2)
            .map(|i| (core::f64::consts::PI * i as f64 / WARP_POINTS as f64).cos())
            .collect();
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
        let s = core::f64::consts::TAU * f64::from(bw) / self.fs.max(1.0);
        for (k, l) in self.lag.iter_mut().enumerate() {
            *l = (-0.5 * (s * k as f64).powi(2)).exp();
        }
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
        self.r_avg.fill(0.0);
        self.primed = false;
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
    pub fn frame_mut(&mut self) -> &mut [f32] {
        &mut self.frame
    }

    /// Fits the predictor to the frame in [`frame_mut`](Self::frame_mut)
    /// into `a[0..=filter_order]`. Returns `false` (and a flat
    /// `a = [1, 0, …]`) for a silent or non-finite frame.
    pub fn analyse(&mut self, a: &mut [f64]) -> bool {
        let mu = self.mu as f32;
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
        for k in 0..=self.order {
            self.r[k] = dot64(&x[..n - k], &x[k..]);
        }
        if self.avg_coef > 0.0 {
            // The first frame starts the average (no ramp up from zero).
            let c = if self.primed { self.avg_coef } else { 0.0 };
            for (avg, r) in self.r_avg.iter_mut().zip(self.r.iter_mut()) {
                *avg = c * *avg + (1.0 - c) * *r;
                *r = *avg;
            }
            self.primed = self.r[0] > 0.0;
        }
        self.r[0] *= 1.0 + NOISE_FLOOR;
        for (r, l) in self.r.iter_mut().zip(&self.lag) {
            *r *= *l;
        }
        let ok = levinson(&self.r, &mut a[..=self.order]).is_some();
        if !ok {
            a.fill(0.0);
            a[0] = 1.0;
        }
        if self.mu > 0.0 {
            // Fold in the pre-emphasis: A(z)·(1 − μz⁻¹).
            let p = self.order + 1;
            a[p] = 0.0;
            for k in (1..=p).rev() {
                a[k] -= self.mu * a[k - 1];
            }
        }
        ok
    }

    /// The predictor whose envelope is `a`'s moved up in frequency by the
    /// ratio `beta` (0.5..=2): `|1/A'(ω)|² = |1/A(ω/β)|²` (above `π·β` for
    /// β < 1 the envelope's value at π continues). The envelope is sampled
    /// on a grid, warped, turned into an autocorrelation by a cosine
    /// transform and fitted again. Writes `out[0..=order]` and returns the
    /// prediction error power of the fit: `√err / A'(z)` has the warped
    /// envelope's level (1 when the fit fails and `a` is copied).
    pub fn warp(&mut self, a: &[f64], beta: f64, out: &mut [f64]) -> f64 {
        let order = self.order;
        let beta = beta.clamp(0.5, 2.0);
        let m = WARP_POINTS;
        for (i, g) in self.grid.iter_mut().enumerate() {
            let omega =
                (core::f64::consts::PI * i as f64 / m as f64 / beta).min(core::f64::consts::PI);
            let p = power_at(&a[..=order], omega);
            *g = if p > 1e-30 { 1.0 / p } else { 1e30 };
        }
        // r(k) = (1/π)∫₀^π P(ω) cos(kω) dω by the trapezoid rule.
        for k in 0..=order {
            let mut acc = 0.5 * (self.grid[0] + self.grid[m] * self.cos[(k * m) % (2 * m)]);
            for i in 1..m {
                acc += self.grid[i] * self.cos[(k * i) % (2 * m)];
            }
            self.r[k] = acc / m as f64;
        }
        self.r[0] *= 1.0 + 1e-9;
        match levinson(&self.r, &mut out[..=order]) {
            Some(err) => err,
            None => {
                out[..=order].copy_from_slice(&a[..=order]);
                1.0
            }
        }
    }
}

/// Dot product accumulated in f64 (four partial sums): the normal
/// equations of a high-order model are too ill-conditioned for f32 sums.
#[inline]
fn dot64(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len());
    let mut acc = [0.0f64; 4];
    let chunks = n / 4;
    for c in 0..chunks {
        for k in 0..4 {
            acc[k] += f64::from(a[4 * c + k]) * f64::from(b[4 * c + k]);
        }
    }
    let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for k in chunks * 4..n {
        s += f64::from(a[k]) * f64::from(b[k]);
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
        self.pos = (self.pos + 1) % MAX_ORDER;
    }

    /// The last [`MAX_ORDER`] samples, oldest first.
    #[inline]
    pub fn taps(&self) -> &[T] {
        &self.buf[self.pos..self.pos + MAX_ORDER]
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
        lpc.prepare(48_000.0, 4096, 2, 0.0);
        lpc.frame_mut().copy_from_slice(&x[10_000..14_096]);
        let mut a = [0.0; 3];
        assert!(lpc.analyse(&mut a));
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
    fn warp_moves_the_resonance() {
        // A resonance at 1 kHz moved by 2^(2/12).
        let fs = 48_000.0f64;
        let r = 0.99f64;
        let w0 = core::f64::consts::TAU * 1000.0 / fs;
        let a = [1.0, -2.0 * r * w0.cos(), r * r];
        let mut lpc = LpcAnalyzer::new();
        lpc.prepare(48_000.0, 64, 2, 0.0);
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
    }
}
