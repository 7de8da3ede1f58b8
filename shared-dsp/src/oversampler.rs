//! Polyphase FIR oversampling: an interpolator (up), a decimator (down) and a
//! multi-channel round-trip [`Oversampler`] for 2x, 4x, 8x and 16x.
//!
//! Both directions use one linear-phase Kaiser-windowed sinc of length
//! `factor · taps + 1`. The odd length gives each filter an integer group delay
//! of `factor · taps / 2` high-rate samples, so a round trip (up then down) is
//! delayed by exactly `taps` base-rate samples: the latency a plugin reports is
//! an integer and the test can find the impulse exactly there.
//!
//! The interpolator evaluates only the non-zero taps of the zero-stuffed
//! signal (one branch of `taps + 1` coefficients per output phase), the
//! decimator only every `factor`-th output: the classic polyphase saving of
//! Bellanger et al. (1974) and Crochiere & Rabiner, "Multirate DSP" ch. 3.

use crate::fir::{dot, kaiser_beta, lowpass_kaiser};

/// Oversampling factors offered by the framework-facing kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OversampleFactor {
    /// 2x
    X2,
    /// 4x
    X4,
    /// 8x
    X8,
    /// 16x
    X16,
}

impl OversampleFactor {
    /// The factor as a number (2, 4, 8 or 16).
    pub fn ratio(self) -> usize {
        match self {
            Self::X2 => 2,
            Self::X4 => 4,
            Self::X8 => 8,
            Self::X16 => 16,
        }
    }
}

/// Filter design of an oversampling stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OversamplerDesign {
    /// Taps per polyphase branch (the filter's support in base-rate samples);
    /// even, 8..=128. Latency of a round trip is exactly this many samples.
    pub taps: usize,
    /// −6 dB point as a fraction of the base-rate Nyquist frequency
    /// (0.5..1.2). 1.0 centres the transition band on Nyquist.
    pub cutoff: f64,
    /// Stop-band attenuation in dB (40..160).
    pub attenuation_db: f64,
}

impl Default for OversamplerDesign {
    /// 32 taps per branch, 100 dB: flat (±0.01 dB) to about 0.4 fs, images of
    /// content below that at least 100 dB down.
    fn default() -> Self {
        Self {
            taps: 32,
            cutoff: 1.0,
            attenuation_db: 100.0,
        }
    }
}

impl OversamplerDesign {
    fn sanitised(self) -> Self {
        let mut taps = self.taps.clamp(8, 128);
        taps += taps % 2;
        Self {
            taps,
            cutoff: if self.cutoff.is_finite() {
                self.cutoff.clamp(0.5, 1.2)
            } else {
                1.0
            },
            attenuation_db: if self.attenuation_db.is_finite() {
                self.attenuation_db.clamp(40.0, 160.0)
            } else {
                100.0
            },
        }
    }

    /// Prototype low-pass at the high rate, DC gain `gain`.
    fn prototype(self, factor: usize, gain: f64) -> Vec<f64> {
        let len = factor * self.taps + 1;
        let cutoff = 0.5 * self.cutoff / factor as f64;
        lowpass_kaiser(len, cutoff, kaiser_beta(self.attenuation_db), gain)
    }
}

/// Single-channel polyphase interpolator: one base-rate sample in, `factor`
/// high-rate samples out.
#[derive(Clone, Debug, Default)]
pub struct PolyphaseUpsampler {
    factor: usize,
    branch_len: usize,
    /// Coefficients interleaved by tap: `[k · factor + p]` is branch p's
    /// weight for the k-th history sample (oldest first). All phases then
    /// accumulate side by side in one vector register per four phases, with
    /// no horizontal sums.
    coefs: Vec<f32>,
    /// History with each sample repeated `factor` times, written twice so
    /// the newest `branch_len` samples are always one contiguous slice (no
    /// modulo in the inner loop).
    history: Vec<f32>,
    pos: usize,
    delay: usize,
    /// Run the AVX2/FMA build of the inner loop.
    wide: bool,
}

/// Consumer of one step's interpolated phases, run inside the same compiled
/// function as the interpolation so the values stay in registers (a
/// separate call would pass them through memory, and reading them back as
/// overlapping vectors stalls store-to-load forwarding).
pub trait PhaseSink {
    /// What the sink returns.
    type Output;
    /// Receives the `F` phases of one input sample, oldest first.
    fn accept<const F: usize>(self, phases: &[f32; F]) -> Self::Output;
}

/// Stores the phases into a slice.
struct CopyTo<'a>(&'a mut [f32]);

impl PhaseSink for CopyTo<'_> {
    type Output = ();
    #[inline(always)]
    fn accept<const F: usize>(self, phases: &[f32; F]) {
        for (o, v) in self.0.iter_mut().zip(phases) {
            *o = *v;
        }
    }
}

/// Interpolates all `F` phases and hands them to `sink`.
#[inline(always)]
fn interpolate_into<const F: usize, S: PhaseSink>(
    hist: &[f32],
    coefs: &[f32],
    sink: S,
) -> S::Output {
    let mut out = [0.0f32; F];
    interpolate::<F>(hist, coefs, &mut out);
    sink.accept::<F>(&out)
}

/// [`interpolate_into`] compiled for AVX2 + FMA (8-lane fused multiply-adds).
///
/// # Safety
/// The CPU must support AVX2 and FMA (checked once in
/// [`PolyphaseUpsampler::new`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn interpolate_into_avx2<const F: usize, S: PhaseSink>(
    hist: &[f32],
    coefs: &[f32],
    sink: S,
) -> S::Output {
    interpolate_into::<F, S>(hist, coefs, sink)
}

/// All `F` phases at once: `rep` is the history with every sample repeated
/// `F` times (`rep[k·F + p] = x[k]`), laid out like `coefs`, so the filter
/// is one element-wise multiply-add over two contiguous arrays. The scalar
/// reference, and what runs where AVX2 is missing.
///
/// The 32-lane accumulator (four AVX registers) keeps four independent
/// multiply-add chains in flight; a single running sum per phase would
/// make each multiply-add wait for the previous one, and that latency,
/// not the arithmetic, would set the speed. Lane j always holds phase
/// j mod F because 32 is a multiple of every factor.
#[inline(always)]
fn interpolate<const F: usize>(rep: &[f32], coefs: &[f32], out: &mut [f32]) {
    let mut acc = [0.0f32; 32];
    let mut rs = rep.chunks_exact(32);
    let mut cs = coefs.chunks_exact(32);
    for (r, c) in (&mut rs).zip(&mut cs) {
        for j in 0..32 {
            acc[j] += r[j] * c[j];
        }
    }
    for (j, (r, c)) in rs.remainder().iter().zip(cs.remainder()).enumerate() {
        acc[j] += r * c;
    }
    for (p, o) in out.iter_mut().take(F).enumerate() {
        let mut v = 0.0;
        let mut k = p;
        while k < 32 {
            v += acc[k];
            k += F;
        }
        *o = v;
    }
}

fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl PolyphaseUpsampler {
    /// An interpolator by `factor` (1, 2, 4, 8 or 16; other values are
    /// rounded up to the next of these) with the given design. Allocates.
    pub fn new(factor: usize, design: OversamplerDesign) -> Self {
        let factor = match factor {
            0 | 1 => 1,
            2 => 2,
            3 | 4 => 4,
            5..=8 => 8,
            _ => 16,
        };
        let design = design.sanitised();
        if factor == 1 {
            return Self {
                factor,
                branch_len: 1,
                coefs: vec![1.0],
                history: vec![0.0; 2],
                pos: 0,
                delay: 0,
                wide: false,
            };
        }
        let h = design.prototype(factor, factor as f64);
        // The prototype has factor·taps + 1 coefficients, but its two end
        // taps sit on zeros of the sinc when the cutoff is at Nyquist (and are
        // below the window's floor otherwise), so each branch needs only
        // `taps` of them: 4x costs 4·taps multiply-adds per input sample.
        let taps = design.taps;
        let mut coefs = vec![0.0f32; factor * taps];
        for p in 0..factor {
            // Output phase p at time n uses h[p + factor·k] · x[n − k]; the
            // history slice is oldest→newest, so x[n − k] sits at taps − 1 − k.
            for k in 0..taps {
                let i = p + factor * k;
                if i < h.len() {
                    coefs[(taps - 1 - k) * factor + p] = h[i] as f32;
                }
            }
        }
        Self {
            factor,
            branch_len: taps,
            coefs,
            history: vec![0.0; 2 * taps * factor],
            pos: 0,
            delay: design.taps / 2,
            wide: has_avx2_fma(),
        }
    }

    /// Uses (true) or avoids (false) the AVX2/FMA inner loop; only takes
    /// effect where the CPU has both. For comparing against the scalar path.
    pub fn set_wide(&mut self, wide: bool) {
        self.wide = wide && has_avx2_fma();
    }

    /// Oversampling factor.
    pub fn factor(&self) -> usize {
        self.factor
    }

    /// Delay of the interpolated stream relative to the input, in base-rate
    /// samples: output phase 0 of step `n` sits at input time `n − delay`.
    pub fn latency(&self) -> usize {
        self.delay
    }

    /// Clears the history. Realtime-safe.
    pub fn reset(&mut self) {
        self.history.fill(0.0);
        self.pos = 0;
    }

    /// Pushes one base-rate sample into the history without computing any
    /// output: keeps an idle interpolator ready to take over seamlessly.
    #[inline]
    pub fn push(&mut self, x: f32) {
        let n = self.branch_len;
        let f = self.factor;
        let at = self.pos * f;
        self.history[at..at + f].fill(x);
        self.history[at + n * f..at + n * f + f].fill(x);
        self.pos += 1;
        if self.pos == n {
            self.pos = 0;
        }
    }

    /// Pushes one base-rate sample and writes `factor` interpolated samples
    /// to `out` (which must hold at least `factor` values; extra is left).
    #[inline]
    pub fn process_sample(&mut self, x: f32, out: &mut [f32]) {
        if self.factor == 1 {
            if let Some(o) = out.first_mut() {
                *o = x;
            }
            self.push(x);
            return;
        }
        self.process_with(x, CopyTo(out));
    }

    /// One step at a compile-time factor `F` (which must equal `factor()`),
    /// without dispatch: for block loops that dispatch once and are
    /// compiled for a wider instruction set as a whole.
    #[inline(always)]
    pub(crate) fn step<const F: usize, S: PhaseSink>(&mut self, x: f32, sink: S) -> S::Output {
        let n = self.branch_len * F;
        self.push(x);
        let at = self.pos * F;
        let hist = &self.history[at..at + n];
        interpolate_into::<F, S>(hist, &self.coefs, sink)
    }

    /// Whether the AVX2/FMA inner loop is in use.
    pub(crate) fn is_wide(&self) -> bool {
        self.wide
    }

    /// Pushes one base-rate sample and hands its `factor` interpolated
    /// samples to `sink` (for factor 1, the sample itself). Realtime-safe.
    #[inline]
    pub fn process_with<S: PhaseSink>(&mut self, x: f32, sink: S) -> S::Output {
        let f = self.factor;
        let n = self.branch_len * f;
        self.push(x);
        // The slice [pos·f, pos·f + n) is oldest→newest.
        let at = self.pos * f;
        let hist = &self.history[at..at + n];
        #[cfg(target_arch = "x86_64")]
        if self.wide {
            // SAFETY: `wide` is only set when the CPU reports AVX2 and FMA.
            unsafe {
                return match self.factor {
                    2 => interpolate_into_avx2::<2, S>(hist, &self.coefs, sink),
                    4 => interpolate_into_avx2::<4, S>(hist, &self.coefs, sink),
                    8 => interpolate_into_avx2::<8, S>(hist, &self.coefs, sink),
                    _ => interpolate_into_avx2::<16, S>(hist, &self.coefs, sink),
                };
            }
        }
        match self.factor {
            1 => sink.accept::<1>(&[x]),
            2 => interpolate_into::<2, S>(hist, &self.coefs, sink),
            4 => interpolate_into::<4, S>(hist, &self.coefs, sink),
            8 => interpolate_into::<8, S>(hist, &self.coefs, sink),
            _ => interpolate_into::<16, S>(hist, &self.coefs, sink),
        }
    }

    /// Interpolates a block: `output.len()` must be `factor · input.len()`
    /// (shorter outputs are filled as far as they go).
    pub fn process_block(&mut self, input: &[f32], output: &mut [f32]) {
        let f = self.factor;
        for (x, out) in input.iter().zip(output.chunks_exact_mut(f)) {
            self.process_sample(*x, out);
        }
    }
}

/// Single-channel polyphase decimator: `factor` high-rate samples in, one
/// base-rate sample out.
#[derive(Clone, Debug, Default)]
pub struct PolyphaseDecimator {
    factor: usize,
    len: usize,
    coefs: Vec<f32>,
    history: Vec<f32>,
    pos: usize,
    delay: usize,
}

impl PolyphaseDecimator {
    /// A decimator by `factor` (1..=32) with the given design. Allocates.
    pub fn new(factor: usize, design: OversamplerDesign) -> Self {
        let factor = factor.clamp(1, 32);
        let design = design.sanitised();
        if factor == 1 {
            return Self {
                factor,
                len: 1,
                coefs: vec![1.0],
                history: vec![0.0; 2],
                pos: 0,
                delay: 0,
            };
        }
        let h = design.prototype(factor, 1.0);
        let len = h.len();
        // Reversed so the oldest→newest history slice lines up.
        let mut coefs = vec![0.0f32; len];
        for (k, c) in h.iter().enumerate() {
            coefs[len - 1 - k] = *c as f32;
        }
        Self {
            factor,
            len,
            coefs,
            history: vec![0.0; 2 * len],
            pos: 0,
            delay: design.taps / 2,
        }
    }

    /// Delay in base-rate samples added by this decimator.
    pub fn latency(&self) -> usize {
        self.delay
    }

    /// Clears the history. Realtime-safe.
    pub fn reset(&mut self) {
        self.history.fill(0.0);
        self.pos = 0;
    }

    /// Consumes `factor` high-rate samples (`input.len()` must be `factor`)
    /// and returns one base-rate sample.
    #[inline]
    pub fn process_frame(&mut self, input: &[f32]) -> f32 {
        // The output lines up with the frame's first sample (phase 0 of the
        // interpolator), so the filter is evaluated right after pushing it;
        // evaluating after the last would add (factor − 1)/factor samples of
        // delay and make the round trip a fractional delay.
        let n = self.len;
        let mut y = 0.0;
        for (k, &x) in input.iter().take(self.factor).enumerate() {
            self.history[self.pos] = x;
            self.history[self.pos + n] = x;
            self.pos += 1;
            if self.pos == n {
                self.pos = 0;
            }
            if k == 0 {
                y = dot(&self.coefs, &self.history[self.pos..self.pos + n]);
            }
        }
        y
    }

    /// Decimates a block: `output.len()` must be `input.len() / factor`.
    pub fn process_block(&mut self, input: &[f32], output: &mut [f32]) {
        let f = self.factor;
        for (frame, y) in input.chunks_exact(f).zip(output.iter_mut()) {
            *y = self.process_frame(frame);
        }
    }
}

/// Multi-channel oversampler: [`Oversampler::upsample`] a block into an
/// internal high-rate buffer, process it there, then
/// [`Oversampler::downsample`] back. Latency is [`Oversampler::latency`]
/// base-rate samples, exactly.
#[derive(Clone, Debug, Default)]
pub struct Oversampler {
    factor: usize,
    up: Vec<PolyphaseUpsampler>,
    down: Vec<PolyphaseDecimator>,
    buffers: Vec<Vec<f32>>,
    max_block: usize,
}

impl Oversampler {
    /// An empty oversampler; call [`Oversampler::prepare`] before use.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allocates filters and a high-rate buffer of `factor · max_block`
    /// samples per channel.
    pub fn prepare(
        &mut self,
        factor: OversampleFactor,
        design: OversamplerDesign,
        max_block: usize,
        channels: usize,
    ) {
        let f = factor.ratio();
        self.factor = f;
        self.max_block = max_block.max(1);
        self.up = (0..channels)
            .map(|_| PolyphaseUpsampler::new(f, design))
            .collect();
        self.down = (0..channels)
            .map(|_| PolyphaseDecimator::new(f, design))
            .collect();
        self.buffers = vec![vec![0.0; f * self.max_block]; channels];
    }

    /// The oversampling factor (1 before `prepare`).
    pub fn factor(&self) -> usize {
        self.factor.max(1)
    }

    /// Round-trip latency in base-rate samples.
    pub fn latency(&self) -> usize {
        self.up
            .first()
            .zip(self.down.first())
            .map_or(0, |(u, d)| u.latency() + d.latency())
    }

    /// Clears all filter state. Realtime-safe.
    pub fn reset(&mut self) {
        self.up.iter_mut().for_each(PolyphaseUpsampler::reset);
        self.down.iter_mut().for_each(PolyphaseDecimator::reset);
    }

    /// Upsamples `input` (one slice per channel, each at most `max_block`
    /// long; longer input is truncated) into the internal buffers and returns
    /// them, each `factor · len` long, for in-place processing.
    pub fn upsample(&mut self, input: &[&[f32]]) -> &mut [Vec<f32>] {
        let f = self.factor;
        for ((up, buf), x) in self.up.iter_mut().zip(&mut self.buffers).zip(input) {
            let n = x.len().min(self.max_block);
            up.process_block(&x[..n], &mut buf[..n * f]);
        }
        &mut self.buffers
    }

    /// Decimates the first `len · factor` samples of the internal buffers
    /// into `output` (one slice per channel, `len` long).
    pub fn downsample(&mut self, output: &mut [&mut [f32]]) {
        let f = self.factor;
        for ((down, buf), y) in self.down.iter_mut().zip(&self.buffers).zip(output) {
            let n = y.len().min(self.max_block);
            down.process_block(&buf[..n * f], &mut y[..n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn sine(n: usize, freq: f64, fs: f64, phase: f64) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * PI * freq * i as f64 / fs + phase).sin() as f32)
            .collect()
    }

    #[test]
    fn round_trip_is_delayed_by_the_reported_latency() {
        for factor in [
            OversampleFactor::X2,
            OversampleFactor::X4,
            OversampleFactor::X8,
            OversampleFactor::X16,
        ] {
            let mut os = Oversampler::new();
            os.prepare(factor, OversamplerDesign::default(), 64, 1);
            let lat = os.latency();
            assert_eq!(lat, 32);
            // An impulse comes back with its peak exactly at the latency.
            let mut input = vec![0.0f32; 256];
            input[10] = 1.0;
            let mut out = vec![0.0f32; 256];
            for (x, y) in input.chunks(64).zip(out.chunks_mut(64)) {
                os.upsample(&[x]);
                os.downsample(&mut [y]);
            }
            let peak = out
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .map(|(i, _)| i)
                .unwrap_or(0);
            assert_eq!(peak, 10 + lat, "factor {}", factor.ratio());
            // A 1 kHz sine at 48 kHz comes back unchanged within −90 dB.
            os.reset();
            let x = sine(4800, 1000.0, 48000.0, 0.3);
            let mut y = vec![0.0f32; x.len()];
            for (xi, yi) in x.chunks(64).zip(y.chunks_mut(64)) {
                os.upsample(&[xi]);
                os.downsample(&mut [yi]);
            }
            let mut err = 0.0f64;
            for i in 1000..4800 {
                err = err.max((y[i] - x[i - lat]).abs() as f64);
            }
            assert!(20.0 * err.log10() < -90.0, "error {err}");
        }
    }

    #[test]
    fn interpolated_points_lie_on_the_band_limited_sine() {
        // 0.35 fs sine: each upsampled point must equal the analytic sine at
        // its fractional time (minus the interpolator's delay) within −80 dB.
        let fs = 48000.0;
        let f = 0.35 * fs;
        for factor in [2usize, 4, 8] {
            let mut up = PolyphaseUpsampler::new(factor, OversamplerDesign::default());
            let d = up.latency() as f64;
            let x = sine(2000, f, fs, 0.0);
            let mut out = vec![0.0f32; factor];
            let mut worst = 0.0f64;
            for (n, xi) in x.iter().enumerate() {
                up.process_sample(*xi, &mut out);
                if n < 200 {
                    continue;
                }
                for (p, y) in out.iter().enumerate() {
                    let t = n as f64 - d + p as f64 / factor as f64;
                    let want = (2.0 * PI * f * t / fs).sin();
                    worst = worst.max((*y as f64 - want).abs());
                }
            }
            assert!(20.0 * worst.log10() < -80.0, "factor {factor}: {worst}");
        }
    }

    #[test]
    fn wide_and_scalar_paths_agree() {
        // The AVX2/FMA loop fuses multiply-adds (one rounding instead of
        // two), so the paths may differ in the last bits only.
        for factor in [2usize, 4, 8, 16] {
            let mut a = PolyphaseUpsampler::new(factor, OversamplerDesign::default());
            let mut b = a.clone();
            a.set_wide(true);
            b.set_wide(false);
            let (mut oa, mut ob) = (vec![0.0f32; factor], vec![0.0f32; factor]);
            for n in 0..3000 {
                let x = ((n * 7919) % 1013) as f32 / 506.0 - 1.0;
                a.process_sample(x, &mut oa);
                b.process_sample(x, &mut ob);
                for (p, q) in oa.iter().zip(&ob) {
                    assert!((p - q).abs() < 1e-5, "factor {factor}: {p} vs {q}");
                }
            }
        }
    }

    #[test]
    fn images_are_rejected() {
        // A 5 kHz tone at 48 kHz upsampled 4x: the image at 43 kHz must be
        // ≥ 95 dB below the tone.
        let fs = 48000.0;
        let mut up = PolyphaseUpsampler::new(4, OversamplerDesign::default());
        let x = sine(8192, 5000.0, fs, 0.0);
        let mut y = vec![0.0f32; 4 * x.len()];
        up.process_block(&x, &mut y);
        let fsu = 4.0 * fs;
        let tail = &y[4096..];
        let n = tail.len() as f64;
        let amp = |freq: f64| {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (i, v) in tail.iter().enumerate() {
                // Blackman window: keeps the tone's leakage far below −95 dB.
                let t = 2.0 * PI * i as f64 / n;
                let v = *v as f64 * (0.42 - 0.5 * t.cos() + 0.08 * (2.0 * t).cos());
                let w = 2.0 * PI * freq * i as f64 / fsu;
                re += v * w.cos();
                im += v * w.sin();
            }
            (re * re + im * im).sqrt()
        };
        let tone = amp(5000.0);
        let image = amp(43000.0);
        assert!(20.0 * (image / tone).log10() < -95.0);
    }
}
