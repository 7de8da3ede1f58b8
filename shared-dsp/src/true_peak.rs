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
//!
//! No finite interpolator is flat up to Nyquist, and full-band material
//! (white noise, hard-clipped or aliased waveforms, a clipper earlier in the
//! chain, drum samples that start on a full-scale click) has energy exactly
//! where it is not: a near-Nyquist component can peak at full amplitude
//! between two samples that both read almost zero. So the detector splits
//! the signal. Its interpolation filter stops at Nyquist, which makes phase
//! 0 a genuine low-pass L of the input and every oversampled point an exact
//! interpolation of L: the crests of L are measured, not guessed. What the
//! filter removed, H = x − L (the band above ~0.41 fs), is bounded instead
//! of interpolated: |x(t)| ≤ |L(t)| + |H(t)|.
//!
//! The samples of H do not bound H between them. A band next to Nyquist is
//! a slowly varying envelope times cos(πt + φ(t)): the samples see only its
//! in-phase part, and the quadrature part, which peaks halfway between
//! samples, can be larger for a while: bursts of that band, as where the
//! top band of a noise burst or a drum's click sets in, peak up to 4 dB
//! above their largest sample. The bound is therefore the envelope: H
//! demodulated by (−1)ⁿ is a low-pass signal e, and with q its Hilbert
//! transform, |H(t)| ≤ √(e² + q²) (the analytic envelope). e only occupies
//! 0..0.09 cycles per sample, so the Hilbert filter needs every fourth
//! sample of it: eight taps each side reach ±60 samples, enough to resolve
//! components up to about 0.48 fs. Closer to Nyquist than that, where no
//! filter so short resolves the quadrature, the largest |H| over ±32
//! samples (the beat of such a component) stands in. Both look ahead, so
//! the bound costs 63 samples of latency; for mastered programme, whose top
//! band is small, it costs next to no gain. (A bound from the largest |H|
//! sample over the 64 samples before let noise bursts and drum attacks
//! driven into the limiter through by up to 0.6 dB on a long
//! reconstruction filter and 0.23 dB on a BS.1770 meter.)
//!
//! Finally, a BS.1770 meter built on the standard's example interpolation
//! filter (Annex 2: four phases of twelve taps) does not read the true
//! peak: its passband ripple reads tones near fs/4 up to 0.22 dB high (and
//! tones near Nyquist low). A limiter held to "no meter reads over the
//! ceiling" has to read what that meter reads as well, so the detector can
//! run the Annex 2 filter beside its own and report the larger of the two
//! ([`TruePeakDetector::set_annex2`]).

use crate::fir::bessel_i0;
use crate::oversampler::{OversamplerDesign, PhaseSink, PolyphaseUpsampler};

/// Largest oversampling factor the meter and detector accept.
pub const MAX_FACTOR: usize = 16;

/// Filter design of the [`TruePeakMeter`]: 48 taps per branch and 100 dB
/// image rejection keep the interpolated points within ±0.005 dB of the
/// band-limited waveform up to 0.43 fs (20.6 kHz at 48 kHz); the transition
/// is centred on Nyquist, as BS.1770's example filter is, so the meter
/// reads the whole band as well as a 4x meter can.
pub fn true_peak_design() -> OversamplerDesign {
    OversamplerDesign {
        taps: 48,
        cutoff: 1.0,
        attenuation_db: 100.0,
    }
}

/// Filter design of the [`TruePeakDetector`]: 56 taps per branch, −6 dB at
/// 0.455 fs and 80 dB down from Nyquist on (Kaiser: transition 0.090 fs),
/// so that the stop band starts at Nyquist and phase 0 is a low-pass whose
/// oversampled points are its exact interpolation (images at −80 dB move a
/// peak by 0.001 dB at most). Flat to 0.41 fs: 18.1 kHz at 44.1 kHz.
pub fn detector_design() -> OversamplerDesign {
    OversamplerDesign {
        taps: 56,
        cutoff: 0.91,
        attenuation_db: 80.0,
    }
}

/// Window of the near-Nyquist stand-in, in blocks of [`GUARD_BLOCK`]
/// samples: 64 to 71 samples, long enough to span the beat of components
/// down to 0.5 − 1/128 cycles per sample.
const GUARD_BLOCKS: usize = 8;
/// Block length of the stand-in's two-level maximum.
const GUARD_BLOCK: usize = 8;
/// How far past the centre the stand-in's window reaches (about half of
/// it, so the window is centred on the crest it bounds).
const GUARD_AHEAD: usize = 32;

/// Taps of the top band's quadrature (Hilbert) filter on each side of its
/// centre.
const QUAD_TAPS: usize = 8;
/// Spacing of those taps in samples: the demodulated top band occupies
/// 0..0.09 cycles per sample, so every fourth sample describes it.
const QUAD_STRIDE: usize = 4;
/// Reach of the quadrature filter on each side of its centre, in samples.
const QUAD_REACH: usize = QUAD_STRIDE * (2 * QUAD_TAPS - 1);
/// Steps between the newest top-band sample and the quadrature filter's
/// centre: its reach and one more, so its newest tap was written a step
/// earlier (a vector load over a value stored a moment ago waits for the
/// store to retire).
const QUAD_DELAY: usize = QUAD_REACH + 1;
/// Kaiser β of the quadrature filter's window: low, for the narrowest
/// transition next to Nyquist (0 Hz of the demodulated band) that eight
/// taps allow; its ripple elsewhere is a few percent of the envelope of a
/// band that is itself small.
const QUAD_BETA: f64 = 3.0;
/// Half-width of the running maximum of the envelope, in samples: the
/// envelope moves little within a sample but its maximum can fall between
/// two.
const ENVELOPE_REACH: usize = 2;
/// How far the top-band bound looks ahead of the crests it is added to;
/// the detector's latency grows by as much.
const LOOKAHEAD: usize = QUAD_DELAY + ENVELOPE_REACH;
/// Length of the detector's delay rings, in steps: a power of two longer
/// than the quadrature filter's span (2·QUAD_REACH + 2) and the Annex 2
/// delay.
const RING: usize = 128;
/// The top band's ring is kept as QUAD_STRIDE·2 interleaved rings (one per
/// step residue), each holding RING / 8 steps and written twice, so that
/// the quadrature filter's sixteen taps, all 8 steps apart, are one
/// contiguous slice.
const SUB_RINGS: usize = 2 * QUAD_STRIDE;
/// Steps each interleaved ring holds.
const SUB_LEN: usize = RING / SUB_RINGS;

/// BS.1770-4 Annex 2's example interpolation filter, phases 0 and 1 of
/// four as the standard tabulates them (phase 2 is phase 1 reversed, phase
/// 3 is phase 0 reversed); tap k weighs the sample k steps back.
const ANNEX2_PHASE0: [f64; 12] = [
    0.001_708_984_375,
    0.010_986_328_125,
    -0.019_653_320_312_5,
    0.033_203_125,
    -0.059_448_242_187_5,
    0.137_329_101_562_5,
    0.972_167_968_75,
    -0.102_294_921_875,
    0.047_607_421_875,
    -0.026_611_328_125,
    0.014_892_578_125,
    -0.008_300_781_25,
];
/// See [`ANNEX2_PHASE0`].
const ANNEX2_PHASE1: [f64; 12] = [
    -0.029_174_804_687_5,
    0.029_296_875,
    -0.051_757_812_5,
    0.089_111_328_125,
    -0.166_503_906_25,
    0.465_087_890_625,
    0.779_785_156_25,
    -0.200_317_382_812_5,
    0.101_562_5,
    -0.058_227_539_062_5,
    0.033_081_054_687_5,
    -0.018_920_898_437_5,
];

/// A BS.1770 meter's reading with the Annex 2 filter, one step at a time:
/// the largest magnitude of the four interpolated points. The four phases
/// of each tap sit side by side, so each past sample is one 4-lane
/// multiply-add (in two accumulators, two chains in flight). On x86-64 it
/// is written with SSE intrinsics: left to itself, the compiler scattered
/// these 48 products across the detector's loop and spilled them.
#[derive(Clone, Debug)]
struct Annex2 {
    /// `[k][p]`: phase p's weight for the sample k steps back (read by the
    /// portable path; on x86-64 only by the test that checks the SSE one).
    #[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
    coefs: [[f32; 4]; 12],
    /// The same, one SSE vector per tap.
    #[cfg(target_arch = "x86_64")]
    lanes: [std::arch::x86_64::__m128; 12],
    /// The last eleven samples, written twice so that they are one
    /// contiguous slice, newest first, at `pos`.
    history: [f32; 22],
    pos: usize,
}

impl Default for Annex2 {
    fn default() -> Self {
        let mut p2 = ANNEX2_PHASE1;
        p2.reverse();
        let mut p3 = ANNEX2_PHASE0;
        p3.reverse();
        let phases = [ANNEX2_PHASE0, ANNEX2_PHASE1, p2, p3];
        let coefs: [[f32; 4]; 12] =
            std::array::from_fn(|k| std::array::from_fn(|p| phases[p][k] as f32));
        Self {
            coefs,
            #[cfg(target_arch = "x86_64")]
            lanes: std::array::from_fn(|k| {
                let c = coefs[k];
                // SAFETY: SSE is part of every x86-64 CPU.
                unsafe { std::arch::x86_64::_mm_setr_ps(c[0], c[1], c[2], c[3]) }
            }),
            history: [0.0; 22],
            pos: 0,
        }
    }
}

impl Annex2 {
    /// Its points for step n lie 5.875 to 5.125 samples back (the 48-tap
    /// prototype's centre is 23.5 taps in): this many steps, rounded.
    const LATENCY: usize = 6;

    fn reset(&mut self) {
        self.history = [0.0; 22];
        self.pos = 0;
    }

    /// Pushes `x`; returns the reading for the step.
    #[inline(always)]
    fn process(&mut self, x: f32) -> f32 {
        #[cfg(target_arch = "x86_64")]
        let m = self.reading_sse(x);
        #[cfg(not(target_arch = "x86_64"))]
        let m = self.reading(x);
        // The newest sample moves to the front of the next step's slice.
        self.pos = if self.pos == 0 { 10 } else { self.pos - 1 };
        self.history[self.pos] = x;
        self.history[self.pos + 11] = x;
        m
    }

    /// The reading for `x` and the history, portably.
    #[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
    #[inline(always)]
    fn reading(&self, x: f32) -> f32 {
        // history[pos + i] is the sample i + 1 steps back.
        let h = &self.history[self.pos..self.pos + 11];
        let mut m = 0.0f32;
        for p in 0..4 {
            let mut v = self.coefs[0][p] * x;
            for (k, s) in h.iter().enumerate() {
                v += self.coefs[k + 1][p] * s;
            }
            let v = v.abs();
            m = if v > m { v } else { m };
        }
        m
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn reading_sse(&self, x: f32) -> f32 {
        use std::arch::x86_64::*;
        let h = &self.history[self.pos..self.pos + 11];
        let c = &self.lanes;
        // SAFETY: SSE is part of every x86-64 CPU.
        unsafe {
            let mut a = _mm_mul_ps(c[0], _mm_set1_ps(x));
            let mut b = _mm_mul_ps(c[1], _mm_set1_ps(h[0]));
            for k in 1..6 {
                a = _mm_add_ps(a, _mm_mul_ps(c[2 * k], _mm_set1_ps(h[2 * k - 1])));
                b = _mm_add_ps(b, _mm_mul_ps(c[2 * k + 1], _mm_set1_ps(h[2 * k])));
            }
            // |a + b| by clearing the sign bits, then the largest lane.
            let v = _mm_andnot_ps(_mm_set1_ps(-0.0), _mm_add_ps(a, b));
            let v = _mm_max_ps(v, _mm_shuffle_ps::<0b10_11_00_01>(v, v));
            let v = _mm_max_ps(v, _mm_movehl_ps(v, v));
            _mm_cvtss_f32(v)
        }
    }
}

/// The quadrature filter as weights of its sixteen taps in time order
/// (offsets −60, −52, …, −4, +4, …, +60 samples from its centre): the
/// ideal Hilbert transformer's 2/(πk) at odd k (k counted in strides of
/// QUAD_STRIDE), Kaiser-windowed, antisymmetric.
fn quadrature_weights() -> [f32; 2 * QUAD_TAPS] {
    let norm = bessel_i0(QUAD_BETA);
    let w = |j: usize| {
        let k = (2 * j + 1) as f64;
        let r = k / (2 * QUAD_TAPS) as f64;
        let win = bessel_i0(QUAD_BETA * (1.0 - r * r).sqrt()) / norm;
        (2.0 / (std::f64::consts::PI * k) * win) as f32
    };
    std::array::from_fn(|t| {
        if t < QUAD_TAPS {
            w(QUAD_TAPS - 1 - t)
        } else {
            -w(t - QUAD_TAPS)
        }
    })
}

/// The bound on the top band H = x − L (module documentation): its
/// analytic envelope, and the largest |H| over ±32 samples where the
/// envelope filter cannot resolve a component next to Nyquist.
#[derive(Clone, Debug)]
struct TopBand {
    /// (−1)ⁿ·H: step i at `[(i mod 8)·2·SUB_LEN + (i / 8 mod SUB_LEN)]`
    /// and again SUB_LEN further on.
    rings: [f32; 2 * RING],
    /// Squared envelope by centre step (mod RING).
    envelope: [f32; RING],
    /// [`quadrature_weights`] (read by the portable path; on x86-64 only by
    /// the test that checks the SSE one).
    #[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
    weights: [f32; 2 * QUAD_TAPS],
    /// The same, four SSE vectors.
    #[cfg(target_arch = "x86_64")]
    lanes: [std::arch::x86_64::__m128; 4],
    /// (−1)ⁿ for the next sample.
    sign: f32,
    /// Largest |H| over 64..71 samples around the centre.
    guard: BlockMax,
}

impl Default for TopBand {
    fn default() -> Self {
        let weights = quadrature_weights();
        Self {
            rings: [0.0; 2 * RING],
            envelope: [0.0; RING],
            weights,
            #[cfg(target_arch = "x86_64")]
            lanes: std::array::from_fn(|v| {
                let w = &weights[4 * v..4 * v + 4];
                // SAFETY: SSE is part of every x86-64 CPU.
                unsafe { std::arch::x86_64::_mm_setr_ps(w[0], w[1], w[2], w[3]) }
            }),
            sign: 1.0,
            guard: BlockMax::default(),
        }
    }
}

impl TopBand {
    fn reset(&mut self) {
        self.rings = [0.0; 2 * RING];
        self.envelope = [0.0; RING];
        self.sign = 1.0;
        self.guard = BlockMax::default();
    }

    #[inline(always)]
    fn slot(step: usize) -> usize {
        (step % SUB_RINGS) * 2 * SUB_LEN + (step / SUB_RINGS) % SUB_LEN
    }

    #[inline(always)]
    fn at(&self, step: usize) -> f32 {
        self.rings[Self::slot(step % RING)]
    }

    /// Takes the top-band sample `h` of step `step` (mod RING); returns the
    /// bound on |H| around the step LOOKAHEAD back.
    #[inline(always)]
    fn push(&mut self, step: usize, h: f32) -> f32 {
        let e = self.sign * h;
        self.sign = -self.sign;
        let i = Self::slot(step);
        self.rings[i] = e;
        self.rings[i + SUB_LEN] = e;
        // The quadrature filter's taps for the centre QUAD_DELAY back: its
        // oldest tap is step + RING − QUAD_DELAY − QUAD_REACH, and all
        // sixteen follow it in its interleaved ring.
        let centre = step + RING - QUAD_DELAY;
        let first = Self::slot((centre - QUAD_REACH) % RING);
        let taps = &self.rings[first..first + 2 * QUAD_TAPS];
        let q = self.quadrature(taps);
        let ec = self.at(centre);
        self.envelope[centre % RING] = ec * ec + q * q;
        // The envelope's largest value within ±ENVELOPE_REACH of the step
        // LOOKAHEAD back.
        let mut env2 = 0.0f32;
        for k in 0..=2 * ENVELOPE_REACH {
            let v = self.envelope[(centre - k) % RING];
            env2 = if v > env2 { v } else { env2 };
        }
        let ahead = self.at(step + RING - (LOOKAHEAD - GUARD_AHEAD)).abs();
        let stand_in = self.guard.process(ahead);
        let env = env2.sqrt();
        if env > stand_in {
            env
        } else {
            stand_in
        }
    }

    /// The quadrature filter over its sixteen taps.
    #[inline(always)]
    fn quadrature(&self, taps: &[f32]) -> f32 {
        #[cfg(target_arch = "x86_64")]
        return self.quadrature_sse(taps);
        #[cfg(not(target_arch = "x86_64"))]
        return self.quadrature_portable(taps);
    }

    #[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
    #[inline(always)]
    fn quadrature_portable(&self, taps: &[f32]) -> f32 {
        self.weights.iter().zip(taps).map(|(w, t)| w * t).sum()
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn quadrature_sse(&self, taps: &[f32]) -> f32 {
        use std::arch::x86_64::*;
        let taps = &taps[..2 * QUAD_TAPS];
        let l = &self.lanes;
        // SAFETY: SSE is part of every x86-64 CPU; the four unaligned loads
        // read taps[0..16], which the slice bounds.
        unsafe {
            let p = taps.as_ptr();
            let a = _mm_add_ps(
                _mm_mul_ps(l[0], _mm_loadu_ps(p)),
                _mm_mul_ps(l[1], _mm_loadu_ps(p.add(4))),
            );
            let b = _mm_add_ps(
                _mm_mul_ps(l[2], _mm_loadu_ps(p.add(8))),
                _mm_mul_ps(l[3], _mm_loadu_ps(p.add(12))),
            );
            let v = _mm_add_ps(a, b);
            let v = _mm_add_ps(v, _mm_movehl_ps(v, v));
            let v = _mm_add_ss(v, _mm_shuffle_ps::<0b01>(v, v));
            _mm_cvtss_f32(v)
        }
    }
}

/// Running maximum over the last 64..71 samples, as the maximum
/// of the current partial block and the last eight whole blocks. Unlike a
/// monotonic deque it has no data-dependent branches (noise makes those
/// unpredictable) and costs two comparisons per sample; the window is a
/// little longer than 64 at times, which only makes the bound safer.
#[derive(Clone, Debug, Default)]
struct BlockMax {
    blocks: [f32; GUARD_BLOCKS],
    next: usize,
    partial: f32,
    filled: usize,
    whole: f32,
}

impl BlockMax {
    #[inline(always)]
    fn process(&mut self, v: f32) -> f32 {
        // A select, not a branch: on noise it would be a coin toss.
        self.partial = if v > self.partial { v } else { self.partial };
        self.filled += 1;
        if self.filled == GUARD_BLOCK {
            self.blocks[self.next] = self.partial;
            self.next = (self.next + 1) % GUARD_BLOCKS;
            self.whole = self
                .blocks
                .iter()
                .fold(0.0f32, |m, &b| if b > m { b } else { m });
            self.partial = 0.0;
            self.filled = 0;
        }
        if self.whole > self.partial {
            self.whole
        } else {
            self.partial
        }
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

    /// Prepares with an explicit oversampling factor (1, 2, 4, 8 or 16,
    /// others rounded up; finer than the standard's 4x reads closer to the
    /// continuous peak). Allocates.
    pub fn prepare_with_factor(&mut self, factor: usize, channels: usize) {
        let factor = factor.clamp(1, MAX_FACTOR);
        self.ups = (0..channels)
            .map(|_| PolyphaseUpsampler::new(factor, true_peak_design()))
            .collect();
        // The interpolator supports powers of two and rounds up to one.
        self.factor = self.ups.first().map_or(factor, PolyphaseUpsampler::factor);
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

/// Largest magnitude over points `1..=F` of `w`, each local maximum above
/// `threshold` refined as in [`refine_peak`]. Written without data-dependent
/// branches: on noise-like programme, whether a point is a crest is a coin
/// toss, and mispredicted branches cost more than computing the refinement
/// for every point in vector lanes and selecting.
#[inline(always)]
fn crest_peak<const F: usize, const L: usize>(
    prev: [f32; 2],
    phases: &[f32; F],
    threshold: f32,
) -> f32 {
    // Compare-and-select max: the inputs are finite, so f32::max's NaN
    // handling would only cost instructions and block vectorisation.
    #[inline(always)]
    fn fmax(a: f32, b: f32) -> f32 {
        if a > b {
            a
        } else {
            b
        }
    }
    // The points examined are the previous step's last phase and this
    // step's phases 0..F−1 (the last one waits for its right neighbour).
    // Neighbour vectors are assembled from values, not read back from a
    // freshly written array at overlapping offsets (which would stall on
    // store-to-load forwarding).
    // L ≥ F lanes: spare lanes hold zeros, which cannot win the maximum;
    // they let 4x run as one full 8-lane vector, which the compiler
    // vectorises where it would leave four lanes scalar.
    let mut ym = [0.0f32; L];
    let mut y0 = [0.0f32; L];
    let mut yp = [0.0f32; L];
    for i in 0..F {
        ym[i] = if i >= 2 { phases[i - 2] } else { prev[i] };
        y0[i] = if i >= 1 { phases[i - 1] } else { prev[1] };
        yp[i] = phases[i];
    }
    // Everything in squared magnitudes, so the lanes need one division and
    // no square root: with s = m + p, |cos ωh| < 1 ⇔ s² < 4a0², and
    // A² = a0² + d²/(1 − c²) = a0² + 4a0²d²/(4a0² − s²).
    let thr2 = threshold * threshold;
    let mut best = [0.0f32; L];
    for i in 0..L {
        let sg = 1.0f32.copysign(y0[i]);
        let (m, p) = (ym[i] * sg, yp[i] * sg);
        let a0 = y0[i] * sg;
        let base = a0 * a0;
        let four = 4.0 * base;
        let sum = m + p;
        let den = four - sum * sum;
        let tone_like = (base > thr2) & (a0 >= m.abs()) & (a0 >= p.abs()) & (den > 1e-30 * four);
        let d = 0.5 * (p - m);
        let a2 = base + four * d * d / fmax(den, 1e-30);
        // Masked blend instead of a branch: the refinement is computed for
        // every lane and kept only where the point is a tone-like crest.
        let keep = f32::from(u8::from(tone_like));
        best[i] = fmax(base + keep * (a2 - base), base);
    }
    best.iter().fold(0.0f32, |m, &v| fmax(m, v)).sqrt()
}

/// Runs [`crest_peak`] on one step's phases, preceded by the last two of
/// the previous step; returns the peak, this step's last two phases and its
/// phase 0 (the low-passed input sample).
struct CrestSink {
    prev: [f32; 2],
    threshold: f32,
}

impl PhaseSink for CrestSink {
    type Output = (f32, [f32; 2], f32);
    #[inline(always)]
    fn accept<const F: usize>(self, phases: &[f32; F]) -> (f32, [f32; 2], f32) {
        let last = if F >= 2 {
            [phases[F - 2], phases[F - 1]]
        } else {
            [self.prev[1], phases[0]]
        };
        let peak = if F <= 8 {
            crest_peak::<F, 8>(self.prev, phases, self.threshold)
        } else {
            crest_peak::<F, 16>(self.prev, phases, self.threshold)
        };
        (peak, last, phases[0])
    }
}

#[inline(always)]
fn detect_block<const F: usize, const A: bool>(
    det: &mut TruePeakDetector,
    input: &[f32],
    peaks: &mut [f32],
) {
    let mut prev = det.window;
    let threshold = det.refine_above;
    for (x, p) in input.iter().zip(peaks.iter_mut()) {
        let (peak, last, low) = det
            .up
            .step::<F, CrestSink>(*x, CrestSink { prev, threshold });
        prev = last;
        let annex = if A { det.annex.process(*x) } else { 0.0 };
        let raw = det.delay_raw(*x);
        *p = det.combine::<A>(peak, raw - low, annex);
    }
    det.window = prev;
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn detect_block_avx2<const F: usize, const A: bool>(
    det: &mut TruePeakDetector,
    input: &[f32],
    peaks: &mut [f32],
) {
    detect_block::<F, A>(det, input, peaks)
}

/// Steps the Annex 2 meter's excess is held at its largest recent value
/// before it decays: 48 000 (1 s at 48 kHz). A steady tone whose crests
/// take longer than that to walk past the samples swings the reading too
/// slowly to be heard.
const EXCESS_HOLD: u32 = 48_000;
/// Per-step decay of the held excess towards none after the hold: a time
/// constant of 48 000 steps.
const EXCESS_DECAY: f32 = 0.999_979;
/// Largest excess held: the Annex 2 filter's largest over-read of a tone
/// (+0.22 dB) with room. Larger momentary readings (broadband transients)
/// are still reported, just not held.
const EXCESS_MAX: f32 = 1.03;
/// The ratio by which the Annex 2 reading exceeds the detector's own
/// estimate at the crests of the signal, held and then slowly released.
/// The reading of a steady tone near fs/4 swings by 0.2 dB as its crests
/// walk past the samples; following that swing would modulate the
/// limiter's gain (THD+N of a 12 kHz tone driven 6 dB in rose from −150 dB
/// to −60..−92 dB, depending on how fast its crests walk). Held, the tone
/// sees one steady extra reduction; elsewhere the hold costs at most that
/// much gain for a while after a transient. Only crests count: a step whose
/// estimate is no less than its neighbours' and above the refinement
/// threshold (the level from which on the caller cares), since the
/// reading covers a little more of the waveform than the estimate (up to
/// 0.4 samples either side) and exceeds it on every rising slope.
#[derive(Clone, Copy, Debug)]
struct HeldExcess {
    /// The last two steps' readings, oldest first.
    meters: [f32; 2],
    /// The last three steps' estimates, oldest first.
    estimates: [f32; 3],
    value: f32,
    age: u32,
}

impl Default for HeldExcess {
    fn default() -> Self {
        Self {
            meters: [0.0; 2],
            estimates: [0.0; 3],
            value: 1.0,
            age: 0,
        }
    }
}

impl HeldExcess {
    /// Takes a step's meter reading and estimate, and the level below which
    /// crests do not count; returns the factor (1..=EXCESS_MAX) to scale
    /// the estimate by.
    #[inline(always)]
    fn process(&mut self, meter: f32, estimate: f32, floor: f32) -> f32 {
        self.meters = [self.meters[1], meter];
        self.estimates = [self.estimates[1], self.estimates[2], estimate];
        let [before, centre, after] = self.estimates;
        let crest = (centre >= before) & (centre >= after) & (centre > floor);
        // Selected, not branched on: on noise, whether a step is a crest
        // is a coin toss.
        let r = self.meters[0] / if centre > 0.0 { centre } else { 1.0 };
        let r = if r > EXCESS_MAX { EXCESS_MAX } else { r };
        let ratio = if crest { r } else { 0.0 };
        if ratio >= self.value {
            self.value = ratio;
            self.age = 0;
        } else if self.age < EXCESS_HOLD {
            self.age += 1;
        } else {
            self.value = 1.0 + (self.value - 1.0) * EXCESS_DECAY;
        }
        self.value
    }
}

/// Rings of [`RING`] steps for the values that wait for the top-band bound.
#[derive(Clone, Debug)]
struct Delays {
    crests: [f32; RING],
    annex: [f32; RING],
}

impl Default for Delays {
    fn default() -> Self {
        Self {
            crests: [0.0; RING],
            annex: [0.0; RING],
        }
    }
}

/// Per-sample true-peak detector for one channel: for each input sample it
/// returns an upper bound of the continuous waveform's magnitude over one
/// base-rate sample interval (refined crests of the oversampled low band
/// plus the top band's envelope), optionally raised to cover what a
/// BS.1770 Annex 2 meter reads there (see [`Self::set_annex2`]).
///
/// The estimate returned for input `n` covers the stretch from
/// `latency() − 0.75` to `latency() − 1.5` samples before `n`.
#[derive(Clone, Debug, Default)]
pub struct TruePeakDetector {
    up: PolyphaseUpsampler,
    factor: usize,
    /// The last two oversampled values of the previous step.
    window: [f32; 2],
    /// Input delayed to line up with phase 0 (the low-passed input).
    raw: Vec<f32>,
    raw_pos: usize,
    /// Crests below this are reported unrefined (see [`Self::set_refine_threshold`]).
    refine_above: f32,
    /// The Annex 2 meter.
    annex: Annex2,
    /// Whether Annex 2 readings are taken.
    annex_on: bool,
    /// Steps between an Annex 2 reading and the crest it lines up with.
    annex_delay: usize,
    /// The bound on the top band.
    top: TopBand,
    /// The low band's crests and the Annex 2 readings, newest at `pos`.
    delays: Delays,
    pos: usize,
    /// How far the Annex 2 reading has lately exceeded the estimate.
    excess: HeldExcess,
}

impl TruePeakDetector {
    /// A detector at `factor` (1, 2, 4, 8 or 16, others rounded up; 1 gives
    /// sample peaks). Allocates.
    pub fn new(factor: usize) -> Self {
        Self::with_design(factor, detector_design())
    }

    /// A detector with an explicit interpolation filter. Allocates.
    pub fn with_design(factor: usize, design: OversamplerDesign) -> Self {
        // The interpolator supports powers of two and rounds up to one.
        let up = PolyphaseUpsampler::new(factor.clamp(1, MAX_FACTOR), design);
        // Crests are reported up.latency() + LOOKAHEAD steps late (their
        // points centred 0.1 samples after that), Annex 2 points
        // LATENCY − 0.5 steps late: two adjacent readings cover each crest
        // interval.
        let annex_delay = up.latency() + LOOKAHEAD - Annex2::LATENCY;
        Self {
            factor: up.factor(),
            up,
            window: [0.0; 2],
            refine_above: 0.0,
            raw: vec![0.0; (design.taps / 2).max(1)],
            raw_pos: 0,
            annex: Annex2::default(),
            annex_on: false,
            annex_delay,
            top: TopBand::default(),
            delays: Delays::default(),
            pos: 0,
            excess: HeldExcess::default(),
        }
    }

    /// Oversampling factor.
    pub fn factor(&self) -> usize {
        self.factor
    }

    /// Delay of the reported peak behind the input, in base-rate samples:
    /// the interpolator's delay, the one sample the refinement waits for
    /// the right-hand neighbour of the last point, and the top-band bound's
    /// look-ahead.
    pub fn latency(&self) -> usize {
        if self.factor == 1 {
            0
        } else {
            self.up.latency() + 1 + LOOKAHEAD
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

    /// Also cover what a BS.1770 meter using the standard's Annex 2
    /// interpolation filter reads (default off). That filter's ripple reads
    /// some tones up to 0.22 dB above their peak; a limiter whose output
    /// must not read over its ceiling on such a meter turns this on. Each
    /// estimate is then at least the meter's reading of its interval, and
    /// the largest recent ratio of reading to estimate at crests above the
    /// refinement threshold (at most 1.03) scales every estimate for a
    /// second, then fades, so that a steady tone whose reading swings as
    /// its crests walk past the samples sees a steady estimate.
    /// Realtime-safe; takes full effect `latency()` samples later, or at
    /// once after [`Self::reset`].
    pub fn set_annex2(&mut self, on: bool) {
        self.annex_on = on;
    }

    /// Clears history. Realtime-safe. A detector that takes over from
    /// another mid-stream is reset and fed the last `latency()` + 128
    /// input samples, which rebuilds every filter and delay from the real
    /// signal (the held Annex 2 excess starts again from none).
    pub fn reset(&mut self) {
        self.up.reset();
        self.annex.reset();
        self.window = [0.0; 2];
        self.raw.fill(0.0);
        self.raw_pos = 0;
        self.top.reset();
        self.delays = Delays::default();
        self.pos = 0;
        self.excess = HeldExcess::default();
    }

    /// Processes a block: `peaks[i]` receives what [`Self::process`] would
    /// return for `input[i]` (the shorter length of the two is used). Same
    /// results, less overhead: the factor is dispatched once per block and
    /// the loop is compiled for AVX2/FMA where the CPU has them.
    pub fn process_block(&mut self, input: &[f32], peaks: &mut [f32]) {
        if self.annex_on {
            self.dispatch::<true>(input, peaks);
        } else {
            self.dispatch::<false>(input, peaks);
        }
    }

    fn dispatch<const A: bool>(&mut self, input: &[f32], peaks: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if self.up.is_wide() {
            // SAFETY: the interpolators only report wide when the CPU has
            // AVX2 and FMA.
            unsafe {
                match self.factor {
                    2 => detect_block_avx2::<2, A>(self, input, peaks),
                    4 => detect_block_avx2::<4, A>(self, input, peaks),
                    8 => detect_block_avx2::<8, A>(self, input, peaks),
                    16 => detect_block_avx2::<16, A>(self, input, peaks),
                    _ => self.process_each(input, peaks),
                }
            }
            return;
        }
        match self.factor {
            2 => detect_block::<2, A>(self, input, peaks),
            4 => detect_block::<4, A>(self, input, peaks),
            8 => detect_block::<8, A>(self, input, peaks),
            16 => detect_block::<16, A>(self, input, peaks),
            _ => self.process_each(input, peaks),
        }
    }

    fn process_each(&mut self, input: &[f32], peaks: &mut [f32]) {
        for (x, p) in input.iter().zip(peaks.iter_mut()) {
            *p = self.process(*x);
        }
    }

    /// Pushes one sample; returns the peak magnitude estimate (linear).
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let f = self.factor;
        if f == 1 {
            return x.abs();
        }
        let sink = CrestSink {
            prev: [self.window[0], self.window[1]],
            threshold: self.refine_above,
        };
        let (peak, last, low) = self.up.process_with(x, sink);
        self.window[0] = last[0];
        self.window[1] = last[1];
        let raw = self.delay_raw(x);
        if self.annex_on {
            let annex = self.annex.process(x);
            self.combine::<true>(peak, raw - low, annex)
        } else {
            self.combine::<false>(peak, raw - low, 0.0)
        }
    }

    /// One step of the top-band bound and the delays: takes this step's
    /// low-band crest, top-band sample `h` (x − L, lined up with the crest)
    /// and, with `A`, Annex 2 reading; returns the estimate for the crest
    /// `LOOKAHEAD` steps back.
    #[inline(always)]
    fn combine<const A: bool>(&mut self, crest: f32, h: f32, annex: f32) -> f32 {
        const M: usize = RING - 1;
        let pos = self.pos;
        let bound = self.top.push(pos, h);
        let d = &mut self.delays;
        d.crests[pos & M] = crest;
        d.annex[pos & M] = annex;
        let back = pos.wrapping_sub(LOOKAHEAD) & M;
        let a = pos.wrapping_sub(self.annex_delay);
        let x = d.annex[a & M];
        let y = d.annex[a.wrapping_sub(1) & M];
        let meter = if x > y { x } else { y };
        let estimate = d.crests[back] + bound;
        self.pos = (pos + 1) & M;
        if !A {
            return estimate;
        }
        let scaled = estimate * self.excess.process(meter, estimate, self.refine_above);
        if meter > scaled {
            meter
        } else {
            scaled
        }
    }

    #[inline(always)]
    fn delay_raw(&mut self, x: f32) -> f32 {
        let old = self.raw[self.raw_pos];
        self.raw[self.raw_pos] = x;
        self.raw_pos += 1;
        if self.raw_pos == self.raw.len() {
            self.raw_pos = 0;
        }
        old
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
    fn block_and_sample_paths_agree() {
        for (factor, annex) in [1usize, 2, 4, 8, 16]
            .into_iter()
            .flat_map(|f| [(f, false), (f, true)])
        {
            let mut a = TruePeakDetector::new(factor);
            a.set_refine_threshold(0.3);
            a.set_annex2(annex);
            let mut b = a.clone();
            let x: Vec<f32> = (0..999)
                .map(|i| ((i * 7919) % 613) as f32 / 306.0 - 1.0)
                .collect();
            let mut pa = vec![0.0f32; x.len()];
            let mut s = 0;
            for (k, len) in [1usize, 7, 64, 65, 300, 562].iter().enumerate() {
                let e = (s + len).min(x.len());
                if k % 2 == 0 {
                    a.process_block(&x[s..e], &mut pa[s..e]);
                } else {
                    for i in s..e {
                        pa[i] = a.process(x[i]);
                    }
                }
                s = e;
            }
            for (i, v) in x.iter().enumerate() {
                assert_eq!(
                    pa[i],
                    b.process(*v),
                    "factor {factor}, Annex 2 {annex} at {i}"
                );
            }
        }
    }

    /// xorshift64 in 0..1.
    fn uniform(seed: &mut u64) -> f64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn top_band_bursts_are_bounded_between_the_samples() {
        // Bursts of three tones between 0.41 and 0.45 fs (the band the
        // detector bounds instead of interpolating) under smooth envelopes,
        // so the continuous waveform is known in closed form. Where such a
        // burst's crest falls between samples its samples understate it,
        // by up to 1 dB here: what a bound built from the samples of the
        // top band alone read. The envelope bound covers every interval
        // (the limiter takes the largest estimate within ±4 samples).
        let mut seed = 12345u64;
        let mut bursts = Vec::new();
        let mut at = 200.0;
        while at < 47_600.0 {
            let width = 40.0 + 60.0 * uniform(&mut seed);
            let tones: Vec<(f64, f64, f64)> = (0..3)
                .map(|_| {
                    (
                        0.41 + 0.04 * uniform(&mut seed),
                        2.0 * PI * uniform(&mut seed),
                        0.2 + 0.2 * uniform(&mut seed),
                    )
                })
                .collect();
            bursts.push((at, width, tones));
            at += 2.0 * width + 10.0 + 40.0 * uniform(&mut seed);
        }
        let value = |t: f64| -> f64 {
            let mut v = 0.0;
            for (at, width, tones) in &bursts {
                let u = (t - at) / width;
                if u.abs() < 1.0 {
                    let w = (0.5 + 0.5 * (PI * u).cos()).powi(2);
                    for (f, ph, a) in tones {
                        v += a * w * (2.0 * PI * f * t + ph).cos();
                    }
                }
            }
            v
        };
        let n = 48_000;
        let x: Vec<f32> = (0..n).map(|i| value(i as f64) as f32).collect();
        let mut det = TruePeakDetector::new(4);
        let lat = det.latency();
        let est: Vec<f32> = x
            .iter()
            .chain(std::iter::repeat_n(&0.0, lat))
            .map(|&v| det.process(v))
            .collect();
        // est[i] now covers [i − 0.25, i + 0.5].
        let est = &est[lat - 1..];
        let mut worst = f64::NEG_INFINITY;
        for i in 4..n - 4 {
            let truth = (0..=32)
                .map(|k| value(i as f64 + k as f64 / 32.0).abs())
                .fold(0.0f64, f64::max);
            if truth > 0.05 {
                let e = est[i - 2..=i + 2].iter().fold(0.0f32, |m, v| m.max(*v));
                worst = worst.max(20.0 * (truth / e as f64).log10());
            }
        }
        assert!(worst < 0.005, "under-read by {worst} dB");
    }

    #[test]
    fn annex2_readings_are_reported_when_asked() {
        // A slow glide through fs/4 at amplitude 0.5: every crest position
        // occurs. The detector reads the amplitude; with the Annex 2 reading
        // on it reads what that filter does, up to 0.22 dB more.
        let n = 48_000;
        let (f0, f1) = (0.24f64, 0.26f64);
        let k = (f1 / f0).ln() / n as f64;
        let x: Vec<f32> = (0..n)
            .map(|i| {
                let ph = 2.0 * PI * f0 * ((k * i as f64).exp() - 1.0) / k;
                let e = (i.min(n - 1 - i) as f64 / 960.0).min(1.0);
                (0.5 * ph.sin() * (0.5 - 0.5 * (PI * e).cos())) as f32
            })
            .collect();
        let read = |annex: bool| {
            let mut det = TruePeakDetector::new(4);
            det.set_annex2(annex);
            // As the limiter does: crests below this do not matter to it.
            det.set_refine_threshold(0.3);
            let mut out = vec![0.0f32; n];
            det.process_block(&x, &mut out);
            20.0 * (out.iter().fold(0.0f32, |m, v| m.max(*v)) as f64 / 0.5).log10()
        };
        let plain = read(false);
        let annex = read(true);
        assert!(plain.abs() < 0.005, "{plain}");
        assert!(annex > 0.2 && annex < 0.23, "{annex}");
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn sse_and_portable_paths_agree() {
        let mut seed = 99u64;
        let mut annex = Annex2::default();
        for _ in 0..2000 {
            let x = (2.0 * uniform(&mut seed) - 1.0) as f32;
            let (a, b) = (annex.reading(x), annex.reading_sse(x));
            assert!((a - b).abs() <= 1e-6 * (1.0 + a.abs()), "{a} vs {b}");
            annex.process(x);
        }
        let top = TopBand::default();
        for _ in 0..200 {
            let taps: Vec<f32> = (0..16)
                .map(|_| (2.0 * uniform(&mut seed) - 1.0) as f32)
                .collect();
            let (a, b) = (top.quadrature_portable(&taps), top.quadrature_sse(&taps));
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn odd_factors_round_up_and_read_every_phase() {
        let x: Vec<f32> = (0..4800)
            .map(|n| (0.5 * PI * n as f64 + 0.25 * PI).sin() as f32 * 0.5)
            .collect();
        let mut m = TruePeakMeter::new();
        m.prepare_with_factor(3, 1);
        assert_eq!(m.factor(), 4);
        m.process(&[&x[..480]]);
        m.reset_peak();
        m.process(&[&x[480..]]);
        assert!((m.max_true_peak_dbtp() + 6.02).abs() < 0.02);
        assert_eq!(TruePeakDetector::new(6).factor(), 8);
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
