//! A 16-line feedback delay network (FDN) whose decay time is set per
//! frequency band, the late-reverberation engine of Glasswork Verb.
//!
//! Structure (J.-M. Jot and A. Chaigne, "Digital delay networks for designing
//! artificial reverberators", AES 90th Convention, 1991): sixteen delay lines
//! of lengths `d_i`, each followed by an absorption filter `A_i(z)`, fed back
//! through a lossless (orthogonal) matrix. With a lossless matrix every pole
//! of the network lies on the unit circle when `A_i = 1`; making each
//! `|A_i(e^jω)|` equal to `γ(ω)^{d_i}` moves all poles onto the circle of
//! radius `γ(ω)`, so every mode at frequency ω decays at the same rate and
//! the reverberation time is `T60(ω)` whatever the line lengths. Jot's
//! condition in dB is
//!
//! ```text
//! 20·log10 |A_i(e^jω)| = −60 · d_i / (fs · T60(ω))
//! ```
//!
//! so longer lines absorb more per pass, and the per-second loss is the same
//! in every line.
//!
//! `T60(ω)` has three bands here (low, mid, high) split at two crossovers.
//! Each `A_i` is a broadband gain (the mid band's loss), a low shelf carrying
//! the difference between the low and mid bands, and a high shelf carrying
//! the difference between the high and mid bands; the shelves are the
//! second-order designs of [`crate::biquad`] at Q = 1/√2, whose gain at the
//! crossover is half the shelf's gain in dB (the geometric interpolation of
//! the two bands' losses). The shelves' phase delay is not counted in `d_i`;
//! it is under a millisecond against lines of tens of milliseconds.
//!
//! The mixing matrix is the 16 × 16 Hadamard matrix scaled by 1/4, applied
//! as a fast Walsh–Hadamard transform (64 additions, no multiplications
//! besides the scale). It is chosen over a Householder reflection
//! `I − (2/N)·1·1ᵀ` (cheaper: 2N operations) because every Hadamard entry
//! has the same magnitude: each line feeds every line equally, so echo
//! density grows by a factor of 16 per pass. The Householder matrix keeps
//! 0.875 of each line in itself at N = 16, which builds density slowly and
//! lets individual lines ring metallically. The two outputs are rows 6 and 9
//! of the transform, so they come for free with the mixing.
//!
//! The lines' lengths follow a table of primes (at 48 kHz, size 1: 23 to
//! 66 ms) scaled by the size and rounded, so no two lines share a common
//! period. Each read is modulated by a slow sine of its own rate and phase
//! (fixed seeds, so renders are reproducible); moving the modes a fraction
//! of a sample breaks up the stationary comb peaks heard as metallic
//! ringing. The fractional part is read with a first-order allpass
//! interpolator (J. Dattorro, "Effect design, part 1", JAES 45(9), 1997,
//! and J. O. Smith's "allpass interpolation") rather than the delay line's
//! Hermite read: inside a loop every interpolating FIR read is a lowpass
//! applied once per pass, and at fractions near ½ Hermite loses about
//! 1 dB at 12 kHz (48 kHz) per pass, which shortened the measured high-band
//! T60 by 13 % in the tests. The allpass has unit magnitude at every
//! frequency, so the loop gain stays exactly the absorption filters'. Its
//! fraction is kept in [0.5, 1.5) so the coefficient
//! `a = (1 − t)/(1 + t)` stays within (−0.2, ⅓], far from the pole at −1.
//! Modulation, size changes and coefficient updates run on the fixed
//! 32-sample control grid ([`crate::control`]), so the output does not
//! depend on the host's block size.
//!
//! A size change does not glide the lengths: a glide shifts the pitch of
//! everything in the loop (a Doppler shift of several semitones at the
//! speed a size knob turns) and its fast-moving reads burst with high
//! frequencies. Instead a second set of reads at the new lengths is
//! crossfaded in over [`SIZE_FADE_S`], with equal gains (`(1 − g)·old +
//! g·new`): no pitch moves, and the mixed read is never larger than the
//! larger of the two, so the loop gain cannot exceed one even frozen. Where
//! the two reads are uncorrelated their sum dips by up to 3 dB at the
//! crossfade's middle, for one pass of the tail; crossfades are spaced by
//! [`SIZE_FADE_REST_S`] so that continuous automation does not repeat that
//! dip on every pass. The absorption follows,
//! its coefficients interpolated between the designs for the two sets of
//! lengths (second-order sections whose coefficients lie in the convex
//! stability triangle stay stable along the way).
//!
//! Freeze makes the loop lossless: the absorption filters are crossfaded
//! out, the input is faded to silence and the modulation depth is faded to
//! zero (interpolating reads are lowpass filters and would slowly drain the
//! frozen tail). With integer delays and an orthogonal matrix the energy in
//! the loop is then constant; it cannot grow.
//!
//! Processing is block-wise. Every line is longer than a control period, so
//! the reads of a whole block (up to 32 samples, and never more than the
//! shortest read delay) come from samples written before it: each line's
//! block is read as one contiguous slice of a [`DelayBank`] and transposed
//! ([`crate::transpose`]) into sixteen-lane rows, one per sample, where the
//! recursions (allpass reads, absorption filters) run along time with the
//! sixteen lines side by side in vector registers. The block is then
//! transposed back into one run per line, where the Hadamard mixing, the
//! outputs and the input are additions between whole runs, vectorised
//! along time, and each run is written back to its line.

use crate::biquad::{BiquadCoefs, BUTTERWORTH_Q};
use crate::control::{ControlClock, CONTROL_BLOCK};
use crate::delay_bank::DelayBank;
use crate::transpose;

/// Number of delay lines in the network.
pub const LINES: usize = 16;

/// One value per line.
type Lanes = [f32; LINES];

/// Line lengths in samples at 48 kHz and size 1 (primes, 23.0–66.0 ms).
const BASE_PRIMES: [u32; LINES] = [
    1103, 1187, 1291, 1373, 1483, 1583, 1721, 1847, 1979, 2111, 2269, 2437, 2593, 2767, 2957, 3169,
];

/// Shortest accepted decay time (mid band) in seconds.
pub const MIN_DECAY_S: f32 = 0.1;
/// Longest accepted decay time (mid band) in seconds.
pub const MAX_DECAY_S: f32 = 30.0;
/// Smallest band multiplier (low or high band T60 / mid band T60).
pub const MIN_MULTIPLIER: f32 = 0.1;
/// Largest band multiplier.
pub const MAX_MULTIPLIER: f32 = 4.0;
/// Smallest size (scale of every line length).
pub const MIN_SIZE: f32 = 0.1;
/// Largest size.
pub const MAX_SIZE: f32 = 2.0;
/// Largest modulation depth in milliseconds (peak excursion of each read).
pub const MAX_MOD_DEPTH_MS: f32 = 2.0;
/// Slowest modulation rate in Hz.
pub const MIN_MOD_RATE_HZ: f32 = 0.01;
/// Fastest modulation rate in Hz.
pub const MAX_MOD_RATE_HZ: f32 = 10.0;
/// Length of the crossfade from the old line lengths to new ones after a
/// size change, in seconds (rounded to whole control periods). Long enough
/// that the fade is a smooth change of level rather than a switch, short
/// enough that the size follows a turning knob closely; a change that
/// arrives during a fade starts its own fade when that one ends.
pub const SIZE_FADE_S: f32 = 0.03;

/// Rest after a size crossfade before the next may start, in seconds
/// (rounded to whole control periods). While the size is automated,
/// crossfades would otherwise follow one another without a break, and each
/// costs the reads it mixes about 1.8 dB on average where they are
/// uncorrelated (the mean of (1 − g)² + g² over the fade is ⅔), once per
/// pass through the loop: a continuous full-range sweep then shortened the
/// decay and lowered the tail by several dB. Resting as long as a fade
/// halves that cost; a new size is taken up at most every 60 ms.
pub const SIZE_FADE_REST_S: f32 = 0.03;

/// Time constant of the modulation depth's glide, in seconds.
const GLIDE_S: f32 = 0.05;
/// Freeze fades (input, absorption, modulation) take this many control
/// periods (16 · 32 = 512 samples, about 11 ms at 48 kHz).
const FREEZE_TICKS: f32 = 16.0;
/// Largest step of a read delay, in samples, between two held values.
/// Reads are held constant over sub-blocks of a control period (the whole
/// period, or a half, quarter, … down to single samples, whatever keeps
/// each step this small), so their allpass coefficients are computed once
/// per sub-block rather than per sample. Gentle modulation moves a read by
/// about 2π · depth · rate · 32 / fs per period (0.03 samples at 0.25 ms and
/// 0.6 Hz), so it holds for whole periods; a step this small is a phase
/// shift of 2π · f · 0.05 / fs (0.13 rad at 20 kHz) smoothed by the
/// interpolator, far below audibility.
const HOLD_LIMIT: f32 = 0.05;

/// Plain-value parameters of the [`Fdn`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FdnParams {
    /// Mid-band reverberation time (T60) in seconds, 0.1..=30. Default 2.
    pub decay_s: f32,
    /// Low band T60 as a multiple of `decay_s`, 0.1..=4. Default 1.
    pub low_multiplier: f32,
    /// High band T60 as a multiple of `decay_s`, 0.1..=4. Default 1.
    pub high_multiplier: f32,
    /// Low/mid crossover in Hz, 20..=2000 (and below `high_crossover_hz`).
    /// Default 250.
    pub low_crossover_hz: f32,
    /// Mid/high crossover in Hz, 500..=20 000. Default 5000.
    pub high_crossover_hz: f32,
    /// Scale of every line length, 0.1..=2 (1 is 23–66 ms). Default 1.
    pub size: f32,
    /// Peak excursion of each line's modulated read in ms, 0..=2.
    /// Default 0.25.
    pub mod_depth_ms: f32,
    /// Centre rate of the lines' modulation in Hz, 0.01..=10 (each line runs
    /// at 0.75–1.25 times it). Default 0.5.
    pub mod_rate_hz: f32,
    /// Infinite sustain: input muted, loop lossless. Default off.
    pub freeze: bool,
}

impl Default for FdnParams {
    fn default() -> Self {
        Self {
            decay_s: 2.0,
            low_multiplier: 1.0,
            high_multiplier: 1.0,
            low_crossover_hz: 250.0,
            high_crossover_hz: 5_000.0,
            size: 1.0,
            mod_depth_ms: 0.25,
            mod_rate_hz: 0.5,
            freeze: false,
        }
    }
}

/// Clamps `x` to `[lo, hi]`, replacing NaN by `default`.
fn sane(x: f32, lo: f32, hi: f32, default: f32) -> f32 {
    if x.is_nan() {
        default
    } else {
        x.clamp(lo, hi)
    }
}

impl FdnParams {
    /// The parameters clamped to their documented ranges (NaN → default).
    pub fn sanitised(&self) -> Self {
        let d = Self::default();
        let low_x = sane(self.low_crossover_hz, 20.0, 2_000.0, d.low_crossover_hz);
        let high_x = sane(self.high_crossover_hz, 500.0, 20_000.0, d.high_crossover_hz);
        Self {
            decay_s: sane(self.decay_s, MIN_DECAY_S, MAX_DECAY_S, d.decay_s),
            low_multiplier: sane(
                self.low_multiplier,
                MIN_MULTIPLIER,
                MAX_MULTIPLIER,
                d.low_multiplier,
            ),
            high_multiplier: sane(
                self.high_multiplier,
                MIN_MULTIPLIER,
                MAX_MULTIPLIER,
                d.high_multiplier,
            ),
            // Keep the crossovers ordered: the high one wins.
            low_crossover_hz: low_x.min(high_x * 0.5),
            high_crossover_hz: high_x,
            size: sane(self.size, MIN_SIZE, MAX_SIZE, d.size),
            mod_depth_ms: sane(self.mod_depth_ms, 0.0, MAX_MOD_DEPTH_MS, d.mod_depth_ms),
            mod_rate_hz: sane(
                self.mod_rate_hz,
                MIN_MOD_RATE_HZ,
                MAX_MOD_RATE_HZ,
                d.mod_rate_hz,
            ),
            freeze: self.freeze,
        }
    }

    /// The set T60 in seconds of the band a frequency falls in, as a step
    /// function of `freq_hz` (the shelves blend around the crossovers).
    pub fn band_decay_s(&self, freq_hz: f32) -> f32 {
        let p = self.sanitised();
        if freq_hz < p.low_crossover_hz {
            p.decay_s * p.low_multiplier
        } else if freq_hz > p.high_crossover_hz {
            p.decay_s * p.high_multiplier
        } else {
            p.decay_s
        }
    }

    /// Longest T60 over the three bands, in seconds.
    pub fn longest_decay_s(&self) -> f32 {
        let p = self.sanitised();
        p.decay_s * p.low_multiplier.max(p.high_multiplier).max(1.0)
    }
}

/// Per-line sign patterns for injecting and tapping the network: rows 3, 5,
/// 6 and 9 of the Sylvester Hadamard matrix, `(−1)^popcount(i & k)`. They are
/// mutually orthogonal, so the left and right outputs are sums of the same
/// lines with orthogonal weights: uncorrelated when the lines are.
const fn pattern(k: usize) -> [f32; LINES] {
    let mut p = [0.0; LINES];
    let mut i = 0;
    while i < LINES {
        p[i] = if (i & k).count_ones() & 1 == 0 {
            1.0
        } else {
            -1.0
        };
        i += 1;
    }
    p
}
const IN_L: [f32; LINES] = pattern(3);
const IN_R: [f32; LINES] = pattern(5);
/// The output taps: rows 6 and 9 of the transform (taken from its output).
#[cfg(test)]
const OUT_L: [f32; LINES] = pattern(6);
#[cfg(test)]
const OUT_R: [f32; LINES] = pattern(9);
/// The 4-point Walsh–Hadamard transform (unscaled) in natural order:
/// `y[k] = Σ_j (−1)^popcount(j & k) x[j]`.
#[inline(always)]
fn h4(x: [f32; 4]) -> [f32; 4] {
    let (a0, a2) = (x[0] + x[2], x[0] - x[2]);
    let (a1, a3) = (x[1] + x[3], x[1] - x[3]);
    [a0 + a1, a0 - a1, a2 + a3, a2 - a3]
}

/// In-place fast Walsh–Hadamard transform of 16 values, scaled by 1/4 so the
/// transform is orthonormal (and its own inverse): `v[k] ← ¼ Σ_j
/// (−1)^popcount(j & k) v[j]`. With the values as `v[4a + b]`, the 16-point
/// transform is the 4-point one over `a` for each `b`, then over `b` for
/// each `a`. The network applies the same butterflies to whole blocks (see
/// [`Fdn::process`]); this per-sample form is their reference.
pub fn hadamard16(v: &mut [f32; LINES]) {
    for b in 0..4 {
        let y = h4([v[b], v[4 + b], v[8 + b], v[12 + b]]);
        for (a, y) in y.into_iter().enumerate() {
            v[4 * a + b] = y;
        }
    }
    for a in 0..4 {
        let y = h4([v[4 * a], v[4 * a + 1], v[4 * a + 2], v[4 * a + 3]]);
        for (b, y) in y.into_iter().enumerate() {
            v[4 * a + b] = y * 0.25;
        }
    }
}

/// A small deterministic hash (SplitMix64's finaliser) mapped to [0, 1),
/// for the lines' modulation rates and phases.
fn unit_hash(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// `sin(2π·phase)` for a phase in cycles, [0, 1). The phase is folded onto
/// the quarter wave [−π/2, π/2] (|x| and ½ − |x| give the same sine, the
/// smaller lies within a quarter cycle; the sign comes back at the end),
/// where the odd Taylor series to the 9th power errs by less than 4e-6 (the
/// next term, (π/2)^11/11!): a modulated read is off by under 2e-3 samples
/// at the deepest setting. Cheaper than the library sine, and free of
/// branches, which random phases would mispredict.
#[inline]
fn sin_cycles(phase: f64) -> f32 {
    let x = (if phase >= 0.5 { phase - 1.0 } else { phase }) as f32;
    let ax = x.abs();
    let y = core::f32::consts::TAU * ax.min(0.5 - ax);
    let y2 = y * y;
    let s =
        y * (1.0 + y2 * (-1.0 / 6.0 + y2 * (1.0 / 120.0 + y2 * (-1.0 / 5_040.0 + y2 / 362_880.0))));
    s.copysign(x)
}

/// Adding and subtracting 1.5 · 2^23 rounds an f32 below 2^22 in magnitude
/// to the nearest integer (the sum has no fraction bits left).
const ROUND: f32 = 12_582_912.0;

/// Splits a read delay `d` ≥ 2 samples into the whole part `M` (the integer
/// nearest to `d − 1`, at least 1) and the first-order allpass coefficient
/// `a = (1 − t)/(1 + t)` of the fraction `t = d − M` in [0.5, 1.5]. The
/// whole part stays a float here (an exact integer) so that a loop over the
/// lines compiles to vector arithmetic.
#[inline(always)]
fn allpass_split(d: f32) -> (f32, f32) {
    let whole = (((d - 1.0) + ROUND) - ROUND).max(1.0);
    let t = d - whole;
    (whole, (1.0 - t) / (1.0 + t))
}

/// Seed of the modulation pattern.
const MOD_SEED: u64 = 0x6C61_7373_7665_7262;

/// The absorption filters' coefficients for one set of line lengths, in
/// structure-of-arrays form (per section: [b0, b1, b2, a1, a2] × LINES).
#[derive(Clone, Copy, Debug, Default)]
struct AbsorptionDesign {
    c: [[Lanes; 5]; 2],
    /// Broadband (mid-band) gain per line, applied alone when the first
    /// section is skipped.
    gain: Lanes,
    /// Whether each section shapes the response. A band multiplier of
    /// exactly 1 makes its shelf 0 dB, an identity, and the section is
    /// skipped (the first then leaves only the broadband gain).
    active: [bool; 2],
}

impl AbsorptionDesign {
    fn set(&mut self, section: usize, line: usize, k: &BiquadCoefs) {
        let c = &mut self.c[section];
        c[0][line] = k.b0;
        c[1][line] = k.b1;
        c[2][line] = k.b2;
        c[3][line] = k.a1;
        c[4][line] = k.a2;
    }
}

/// Two second-order sections per line in structure-of-arrays form, so the
/// per-sample work over the 16 lines vectorises.
#[derive(Clone, Debug, Default)]
struct Absorption {
    /// The coefficients in use.
    k: AbsorptionDesign,
    /// Transposed direct form II state per section.
    s1: [Lanes; 2],
    s2: [Lanes; 2],
}

impl Absorption {
    fn reset(&mut self) {
        self.s1 = [[0.0; LINES]; 2];
        self.s2 = [[0.0; LINES]; 2];
    }

    fn is_finite(&self) -> bool {
        self.s1
            .iter()
            .chain(self.s2.iter())
            .all(|s| s.iter().all(|v| v.is_finite()))
    }

    /// Uses `k`; a section switched on starts from silence rather than from
    /// the state it had when last used.
    fn apply(&mut self, k: &AbsorptionDesign) {
        for s in 0..2 {
            if k.active[s] && !self.k.active[s] {
                self.s1[s] = [0.0; LINES];
                self.s2[s] = [0.0; LINES];
            }
        }
        self.k = *k;
    }

    /// Uses the coefficients `(1 − g)·a + g·b` (both designs for the same
    /// parameters, so the same sections are active).
    fn blend(&mut self, a: &AbsorptionDesign, b: &AbsorptionDesign, g: f32) {
        let mut k = *a;
        for (ks, bs) in k.c.iter_mut().zip(&b.c) {
            for (kc, bc) in ks.iter_mut().zip(bs) {
                for (x, y) in kc.iter_mut().zip(bc) {
                    *x += (y - *x) * g;
                }
            }
        }
        for (x, y) in k.gain.iter_mut().zip(&b.gain) {
            *x += (y - *x) * g;
        }
        self.apply(&k);
    }

    /// Filters `rows` (one per sample) in place, crossfaded towards the
    /// unfiltered rows by `bypass` (moved by `step` per sample, within
    /// [0, 1]).
    fn run(&mut self, rows: &mut [Lanes], bypass: &mut f32, step: f32) {
        if *bypass == 0.0 && step == 0.0 {
            self.filter(rows);
            return;
        }
        let mut b = *bypass;
        for row in rows.iter_mut() {
            let dry = *row;
            self.filter(core::slice::from_mut(row));
            if b != 0.0 {
                for (y, x) in row.iter_mut().zip(&dry) {
                    *y += (x - *y) * b;
                }
            }
            b = (b + step).clamp(0.0, 1.0);
        }
        *bypass = b;
    }

    /// The filters over `rows`, a section at a time, with the coefficients
    /// and state in locals for the loop.
    #[inline(always)]
    fn filter(&mut self, rows: &mut [Lanes]) {
        if !self.k.active[0] {
            let g = self.k.gain;
            for row in rows.iter_mut() {
                for (x, g) in row.iter_mut().zip(&g) {
                    *x *= g;
                }
            }
        }
        for s in 0..2 {
            if !self.k.active[s] {
                continue;
            }
            let [b0, b1, b2, a1, a2] = self.k.c[s];
            let (mut s1, mut s2) = (self.s1[s], self.s2[s]);
            for row in rows.iter_mut() {
                for i in 0..LINES {
                    let x = row[i];
                    let y = b0[i] * x + s1[i];
                    s1[i] = b1[i] * x - a1[i] * y + s2[i];
                    s2[i] = b2[i] * x - a2[i] * y;
                    row[i] = y;
                }
            }
            self.s1[s] = s1;
            self.s2[s] = s2;
        }
    }
}

/// One set of reads of the sixteen lines: their lengths, the modulated read
/// delays and the allpass interpolators' state.
#[derive(Clone, Copy, Debug, Default)]
struct Head {
    /// Line lengths in samples (integers).
    len: Lanes,
    /// Read delays at the start and at the end of the control period.
    from: Lanes,
    to: Lanes,
    /// The read held over the current sub-block: whole samples and the
    /// allpass coefficient of the fraction.
    whole: [usize; LINES],
    coef: Lanes,
    /// Allpass interpolators' previous outputs.
    y1: Lanes,
}

/// Rows of sixteen lanes for one block, one row per sample (time-major).
type Rows = [Lanes; CONTROL_BLOCK];
/// One block per line (line-major): sixteen runs of up to 32 samples.
type Runs = [[f32; CONTROL_BLOCK]; LINES];

/// Per-block working memory, kept between blocks so that it need not be
/// cleared each time (values past a block's length are never used).
#[derive(Clone, Debug)]
struct Scratch {
    /// Samples read from the lines, time-major (one row more than samples).
    x: [Lanes; CONTROL_BLOCK + 1],
    /// The lines' outputs, and those of the fading-in reads.
    rows: Rows,
    fade: Rows,
    /// The absorbed outputs, line-major, mixed in place and written back.
    runs: Runs,
    /// The input per sample, with its gain and the transform's ¼, as sum
    /// and difference of the two sides (every line takes ± one of them).
    sum: [f32; CONTROL_BLOCK],
    diff: [f32; CONTROL_BLOCK],
    /// The two outputs.
    out: [[f32; CONTROL_BLOCK]; 2],
}

impl Scratch {
    fn new() -> Self {
        Self {
            x: [[0.0; LINES]; CONTROL_BLOCK + 1],
            rows: [[0.0; LINES]; CONTROL_BLOCK],
            fade: [[0.0; LINES]; CONTROL_BLOCK],
            runs: [[0.0; CONTROL_BLOCK]; LINES],
            sum: [0.0; CONTROL_BLOCK],
            diff: [0.0; CONTROL_BLOCK],
            out: [[0.0; CONTROL_BLOCK]; 2],
        }
    }
}

/// Reads `m` samples of every line through its allpass interpolator into
/// `out` (`m` at most the head's shortest whole delay, so every sample read
/// was written before the block).
#[inline(always)]
fn read_head(
    bank: &DelayBank,
    head: &mut Head,
    m: usize,
    x: &mut [Lanes; CONTROL_BLOCK + 1],
    out: &mut Rows,
) {
    let m = m.min(CONTROL_BLOCK);
    // Row t holds x[n0 − M − 1 + t] of each line, n0 the block's first
    // sample: y[n] = a·(x[n − M] − y[n − 1]) + x[n − M − 1] reads rows t
    // and t + 1. Each line's run is contiguous; transposed into the rows.
    let runs: [&[f32]; LINES] = core::array::from_fn(|i| bank.window(i, head.whole[i] + 1, m + 1));
    transpose::runs_to_rows(runs, &mut x[..=m]);
    let a = head.coef;
    let mut y1 = head.y1;
    for (o, pair) in out.iter_mut().zip(x[..=m].windows(2)) {
        for i in 0..LINES {
            // (a·x[n − M] + x[n − M − 1]) − a·y[n − 1]: the recursion's
            // path from one output to the next is a multiply and a
            // subtraction; the rest is formed beside it.
            let y = (a[i] * pair[1][i] + pair[0][i]) - a[i] * y1[i];
            y1[i] = y;
            o[i] = y;
        }
    }
    head.y1 = y1;
}

/// First half of the transform over a block of runs: the 4-point
/// transform across lines `b`, `4 + b`, `8 + b`, `12 + b`, sample by
/// sample (a loop over time, vectorised four samples at a time: indexing
/// the four lines by one sample index is what the vectoriser takes).
#[inline(always)]
#[allow(clippy::needless_range_loop)]
fn mix_across(runs: &mut Runs, b: usize, m: usize) {
    for t in 0..m.min(CONTROL_BLOCK) {
        let y = h4([runs[b][t], runs[4 + b][t], runs[8 + b][t], runs[12 + b][t]]);
        for (a, y) in y.into_iter().enumerate() {
            runs[4 * a + b][t] = y;
        }
    }
}

/// Second half for lines `4a .. 4a + 4`, in place, with the ¼ that makes
/// the transform orthonormal; lines 6 and 9 (the OUT_L and OUT_R taps) go
/// to `out`, then each line adds its share of the input, `IN_L·l + IN_R·r`
/// with `sum = l + r` and `diff = l − r` (pre-scaled by ¼). Called with a
/// literal `a`, so the signs fold into additions and subtractions.
#[inline(always)]
fn mix_within(
    runs: &mut Runs,
    a: usize,
    m: usize,
    sum: &[f32; CONTROL_BLOCK],
    diff: &[f32; CONTROL_BLOCK],
    out: &mut [[f32; CONTROL_BLOCK]; 2],
) {
    for t in 0..m.min(CONTROL_BLOCK) {
        let l = 4 * a;
        let y = h4([runs[l][t], runs[l + 1][t], runs[l + 2][t], runs[l + 3][t]]);
        for (b, y) in y.into_iter().enumerate() {
            let i = l + b;
            let w = y * 0.25;
            if i == 6 {
                out[0][t] = w;
            }
            if i == 9 {
                out[1][t] = w;
            }
            // IN_L[i]·l + IN_R[i]·r: equal signs take ±(l + r), opposite
            // signs ±(l − r).
            let input = if IN_L[i] == IN_R[i] {
                IN_L[i] * sum[t]
            } else {
                IN_L[i] * diff[t]
            };
            runs[i][t] = w + input;
        }
    }
}

/// The 16-line feedback delay network. `prepare` allocates; `reset`,
/// `set_params` and `process` are realtime-safe.
#[derive(Clone, Debug)]
pub struct Fdn {
    fs: f32,
    /// The sixteen lines.
    bank: DelayBank,
    /// Longest read delay, in samples.
    max_read: usize,
    absorption: Absorption,
    /// Absorption designed for the lengths of `heads[0]` and `heads[1]`.
    designs: [AbsorptionDesign; 2],
    params: FdnParams,
    /// Coefficients must be recomputed at the next grid point.
    dirty: bool,
    clock: ControlClock,
    /// Line lengths the size asks for, in samples (integers).
    target_len: Lanes,
    /// `heads[0]` is heard; while `fading`, `heads[1]` (at the lengths the
    /// size asks for) is crossfaded in over it and then replaces it.
    heads: [Head; 2],
    fading: bool,
    /// Samples into the crossfade, and its length in samples (whole control
    /// periods).
    fade_pos: u32,
    fade_len: u32,
    /// Control periods left before another crossfade may start, and the
    /// rest after each crossfade (see [`SIZE_FADE_REST_S`]).
    rest: u32,
    rest_len: u32,
    /// Samples per held read in this control period (32, 16, … or 1), and
    /// the shortest whole read delay of the current holds (blocks are no
    /// longer).
    hold: usize,
    min_whole: usize,
    /// Modulation phase of each line in cycles, and its rate relative to
    /// the set rate.
    phase: [f64; LINES],
    rate_scale: [f64; LINES],
    /// Modulation depth in use (samples), gliding to the parameter.
    depth: f32,
    /// Input gain (1, or 0 frozen) and absorption bypass (0, or 1 frozen):
    /// current values and per-sample steps.
    input_gain: f32,
    input_step: f32,
    bypass: f32,
    bypass_step: f32,
    /// Per-control-period glide coefficient of the modulation depth.
    glide: f32,
    scratch: Scratch,
}

impl Default for Fdn {
    fn default() -> Self {
        Self::new()
    }
}

impl Fdn {
    /// A network with default parameters and no memory yet; call
    /// [`prepare`](Self::prepare).
    pub fn new() -> Self {
        let mut rate_scale = [1.0; LINES];
        for (i, r) in rate_scale.iter_mut().enumerate() {
            *r = 0.75 + 0.5 * unit_hash(MOD_SEED ^ (i as u64 * 2 + 1));
        }
        let mut fdn = Self {
            fs: 48_000.0,
            bank: DelayBank::new(),
            max_read: 2,
            absorption: Absorption::default(),
            designs: [AbsorptionDesign::default(); 2],
            params: FdnParams::default(),
            dirty: true,
            clock: ControlClock::new(CONTROL_BLOCK),
            target_len: [0.0; LINES],
            heads: [Head::default(); 2],
            fading: false,
            fade_pos: 0,
            fade_len: CONTROL_BLOCK as u32,
            rest: 0,
            rest_len: 0,
            hold: CONTROL_BLOCK,
            min_whole: 1,
            phase: [0.0; LINES],
            rate_scale,
            depth: 0.0,
            input_gain: 1.0,
            input_step: 0.0,
            bypass: 0.0,
            bypass_step: 0.0,
            glide: 1.0,
            scratch: Scratch::new(),
        };
        fdn.update_targets();
        fdn
    }

    /// Allocates the lines for `sample_rate` Hz (finite, > 0; otherwise
    /// 48 kHz) at the largest size and modulation depth, and resets.
    pub fn prepare(&mut self, sample_rate: f32) {
        self.fs = if sample_rate.is_finite() && sample_rate > 0.0 {
            sample_rate
        } else {
            48_000.0
        };
        let scale = f64::from(self.fs) / 48_000.0 * f64::from(MAX_SIZE);
        let depth = (MAX_MOD_DEPTH_MS * 1e-3 * self.fs).ceil() as usize;
        let longest = (f64::from(BASE_PRIMES[LINES - 1]) * scale).ceil() as usize + depth + 4;
        // A read of whole delay M reads from M + 1 samples back.
        self.bank.prepare(LINES, longest + 2);
        self.max_read = longest;
        self.glide = 1.0 - (-(CONTROL_BLOCK as f32) / (GLIDE_S * self.fs)).exp();
        let periods = (SIZE_FADE_S * self.fs / CONTROL_BLOCK as f32)
            .round()
            .max(1.0);
        self.fade_len = periods as u32 * CONTROL_BLOCK as u32;
        self.rest_len = (SIZE_FADE_REST_S * self.fs / CONTROL_BLOCK as f32).round() as u32;
        self.reset();
    }

    /// Clears the lines and filters and jumps every glide and crossfade to
    /// its target. Realtime-safe.
    pub fn reset(&mut self) {
        self.bank.reset();
        self.absorption.reset();
        self.clock.reset();
        self.update_targets();
        for (i, ph) in self.phase.iter_mut().enumerate() {
            *ph = unit_hash(MOD_SEED ^ (i as u64 * 2 + 2));
        }
        let frozen = self.params.freeze;
        self.depth = if frozen { 0.0 } else { self.depth_target() };
        self.input_gain = if frozen { 0.0 } else { 1.0 };
        self.bypass = if frozen { 1.0 } else { 0.0 };
        self.input_step = 0.0;
        self.bypass_step = 0.0;
        let offsets = self.offsets();
        let mut head = Head {
            len: self.target_len,
            ..Head::default()
        };
        for ((to, &len), &offset) in head.to.iter_mut().zip(&self.target_len).zip(&offsets) {
            *to = self.read_delay(len, offset);
        }
        head.from = head.to;
        self.heads = [head; 2];
        self.fading = false;
        self.fade_pos = 0;
        self.rest = 0;
        self.designs[0] = self.design_for(&self.target_len);
        self.absorption.apply(&self.designs[0]);
        self.dirty = false;
        self.hold = CONTROL_BLOCK;
    }

    /// Sets the parameters (clamped to their ranges; NaN → default). Takes
    /// effect at the next control grid point. Realtime-safe.
    pub fn set_params(&mut self, p: &FdnParams) {
        let p = p.sanitised();
        if p != self.params {
            self.params = p;
            self.dirty = true;
            self.update_targets();
        }
    }

    /// The parameters in use (sanitised).
    pub fn params(&self) -> &FdnParams {
        &self.params
    }

    /// Sample rate in Hz.
    pub fn sample_rate(&self) -> f32 {
        self.fs
    }

    /// The line lengths the current size asks for, in samples.
    pub fn line_lengths(&self) -> [f32; LINES] {
        self.target_len
    }

    /// Longest line length the current size asks for, in samples.
    pub fn longest_line(&self) -> f32 {
        self.target_len.iter().fold(0.0, |a, &b| a.max(b))
    }

    /// Absorption the design asks of line `line` (0..16) at `freq_hz`, in dB
    /// per pass: `−60 · d_i / (fs · T60(f))` with the band's T60.
    pub fn jot_gain_db(&self, line: usize, freq_hz: f32) -> f32 {
        let d = self.target_len[line.min(LINES - 1)];
        -60.0 * d / (self.fs * self.params.band_decay_s(freq_hz))
    }

    fn depth_target(&self) -> f32 {
        self.params.mod_depth_ms * 1e-3 * self.fs
    }

    fn update_targets(&mut self) {
        let scale = f64::from(self.fs) / 48_000.0 * f64::from(self.params.size);
        for (t, &p) in self.target_len.iter_mut().zip(&BASE_PRIMES) {
            // Integer lengths: a frozen loop then has no interpolation loss.
            *t = (f64::from(p) * scale).round().max(8.0) as f32;
        }
    }

    /// Each line's modulation offset at the current phases, in samples.
    fn offsets(&self) -> Lanes {
        let mut offsets = [0.0; LINES];
        if self.depth != 0.0 {
            for (o, &ph) in offsets.iter_mut().zip(&self.phase) {
                *o = self.depth * sin_cycles(ph);
            }
        }
        offsets
    }

    /// The read delay of a line of `len` samples moved by `offset`: at least
    /// 2 samples (the allpass read needs M ≥ 1) and within the lines.
    fn read_delay(&self, len: f32, offset: f32) -> f32 {
        (len + offset).max(2.0).min(self.max_read as f32)
    }

    /// Every line's absorption for the lengths `len`.
    fn design_for(&self, len: &Lanes) -> AbsorptionDesign {
        let p = self.params;
        let fs = self.fs;
        let t_low = p.decay_s * p.low_multiplier;
        let t_high = p.decay_s * p.high_multiplier;
        // A multiplier of exactly 1 gives a 0 dB shelf: t_low == t_mid
        // makes the shelf gain exactly 0.
        let active = [p.low_multiplier != 1.0, p.high_multiplier != 1.0];
        let mut k = AbsorptionDesign {
            active,
            ..AbsorptionDesign::default()
        };
        for (i, &d) in len.iter().enumerate() {
            // Jot: dB per pass = −60 · d / (fs · T60).
            let per_pass = |t: f32| -60.0 * d / (fs * t);
            let mid_db = per_pass(p.decay_s);
            let g = 10f32.powf(mid_db / 20.0);
            k.gain[i] = g;
            if active[0] {
                let mut low = BiquadCoefs::low_shelf(
                    fs,
                    p.low_crossover_hz,
                    BUTTERWORTH_Q,
                    per_pass(t_low) - mid_db,
                );
                // The broadband (mid) loss rides on the first section's zeros.
                low.b0 *= g;
                low.b1 *= g;
                low.b2 *= g;
                k.set(0, i, &low);
            }
            if active[1] {
                let high = BiquadCoefs::high_shelf(
                    fs,
                    p.high_crossover_hz,
                    BUTTERWORTH_Q,
                    per_pass(t_high) - mid_db,
                );
                k.set(1, i, &high);
            }
        }
        k
    }

    /// Control-rate work at the start of a period: crossfades, freeze fades,
    /// coefficient updates and the modulated read delays for the period.
    fn tick(&mut self) {
        let frozen = self.params.freeze;
        let n = CONTROL_BLOCK as f32;
        // A finished crossfade hands over to the new lengths.
        let mut recoef = self.dirty;
        if self.fading && self.fade_pos >= self.fade_len {
            self.heads[0] = self.heads[1];
            self.designs[0] = self.designs[1];
            self.fading = false;
            self.rest = self.rest_len;
            recoef = true;
        } else if self.rest > 0 {
            self.rest -= 1;
        }
        if self.dirty {
            self.designs[0] = self.design_for(&self.heads[0].len);
            if self.fading {
                self.designs[1] = self.design_for(&self.heads[1].len);
            }
            self.dirty = false;
        }
        let starting = !self.fading && self.rest == 0 && self.heads[0].len != self.target_len;
        if starting {
            self.heads[1] = Head {
                len: self.target_len,
                y1: [0.0; LINES],
                ..self.heads[0]
            };
            self.designs[1] = self.design_for(&self.target_len);
            self.fading = true;
            self.fade_pos = 0;
        }
        if self.fading {
            // The coefficients at the period's middle of the fade.
            let g = ((self.fade_pos as f32 + 0.5 * n) / self.fade_len as f32).min(1.0);
            let [a, b] = &self.designs;
            self.absorption.blend(a, b, g);
        } else if recoef {
            self.absorption.apply(&self.designs[0]);
        }
        // Freeze fades: linear over FREEZE_TICKS periods.
        let step = 1.0 / (FREEZE_TICKS * n);
        let (gain_to, bypass_to) = if frozen { (0.0, 1.0) } else { (1.0, 0.0) };
        self.input_step = if (self.input_gain - gain_to).abs() < 1e-6 {
            self.input_gain = gain_to;
            0.0
        } else {
            (gain_to - self.input_gain).signum() * step.min((gain_to - self.input_gain).abs() / n)
        };
        self.bypass_step = if (self.bypass - bypass_to).abs() < 1e-6 {
            self.bypass = bypass_to;
            0.0
        } else {
            (bypass_to - self.bypass).signum() * step.min((bypass_to - self.bypass).abs() / n)
        };
        // Modulation depth glides to its target (0 when frozen).
        let depth_to = if frozen { 0.0 } else { self.depth_target() };
        let dd = depth_to - self.depth;
        self.depth = if dd.abs() < 1e-4 {
            depth_to
        } else {
            self.depth + dd * self.glide
        };
        // Read delays at the end of this period.
        let inc = f64::from(self.params.mod_rate_hz) * f64::from(n) / f64::from(self.fs);
        for (ph, &r) in self.phase.iter_mut().zip(&self.rate_scale) {
            *ph += inc * r;
            // inc · r < 1, so one subtraction wraps (and needs no floor()).
            if *ph >= 1.0 {
                *ph -= 1.0;
            }
        }
        let offsets = self.offsets();
        let heads = if self.fading { 2 } else { 1 };
        let mut span = 0.0f32;
        for h in 0..heads {
            for (i, &offset) in offsets.iter().enumerate() {
                let to = self.read_delay(self.heads[h].len[i], offset);
                let head = &mut self.heads[h];
                // A head that starts now has no earlier read to move from.
                head.from[i] = if h == 1 && starting { to } else { head.to[i] };
                head.to[i] = to;
                span = span.max((to - head.from[i]).abs());
            }
        }
        // Hold each read as long as its steps stay within HOLD_LIMIT.
        let mut hold = CONTROL_BLOCK;
        while hold > 1 && span * hold as f32 > HOLD_LIMIT * n {
            hold /= 2;
        }
        self.hold = hold;
        let heads_finite = self
            .heads
            .iter()
            .all(|h| h.y1.iter().all(|v| v.is_finite()));
        if !self.absorption.is_finite() || !heads_finite {
            self.absorption.reset();
            for h in &mut self.heads {
                h.y1 = [0.0; LINES];
            }
            self.bank.reset();
        }
    }

    /// Sets the reads held over sub-block `j` of the period: the delays
    /// `hold · (j + 1)` samples into the period's ramp.
    fn set_hold(&mut self, j: usize) {
        let at = ((j + 1) * self.hold) as f32 / CONTROL_BLOCK as f32;
        let heads = if self.fading { 2 } else { 1 };
        let mut min_whole = f32::MAX;
        for head in &mut self.heads[..heads] {
            let mut whole = [0.0f32; LINES];
            let lanes = whole.iter_mut().zip(head.coef.iter_mut());
            for ((w, a), (&from, &to)) in lanes.zip(head.from.iter().zip(&head.to)) {
                (*w, *a) = allpass_split(from + (to - from) * at);
            }
            for (w, &f) in head.whole.iter_mut().zip(&whole) {
                // An exact integer from 1 to the longest read.
                *w = f as u32 as usize;
                min_whole = min_whole.min(f);
            }
        }
        self.min_whole = (min_whole as u32 as usize).max(1);
    }

    /// Runs the network over a block: `in_l`/`in_r` feed it, `out_l`/`out_r`
    /// receive its output (overwritten). All four slices must have the same
    /// length (the shortest is used). Inputs must be finite; the caller
    /// guards them. Realtime-safe.
    pub fn process(&mut self, in_l: &[f32], in_r: &[f32], out_l: &mut [f32], out_r: &mut [f32]) {
        if self.bank.lines() != LINES {
            out_l.fill(0.0);
            out_r.fill(0.0);
            return;
        }
        let len = in_l.len().min(in_r.len()).min(out_l.len()).min(out_r.len());
        let mut pos = 0;
        while pos < len {
            let phase = self.clock.phase();
            if phase == 0 {
                self.tick();
            }
            let into = phase % self.hold;
            if into == 0 {
                self.set_hold(phase / self.hold);
            }
            let end = pos + (len - pos).min(self.hold - into);
            let start = pos;
            while pos < end {
                let m = (end - pos).min(self.min_whole);
                self.run(
                    &in_l[pos..pos + m],
                    &in_r[pos..pos + m],
                    &mut out_l[pos..pos + m],
                    &mut out_r[pos..pos + m],
                );
                pos += m;
            }
            self.clock.advance(end - start);
        }
    }

    /// One block of at most a control period and at most the shortest read
    /// delay. Every line is read for the whole block; the reads, their
    /// crossfade and the absorption run sample by sample over sixteen-lane
    /// rows (the recursions run along time, the lanes across lines); the
    /// block is then turned into one run per line, where the mixing, the
    /// outputs and the input are additions between lines, vectorised along
    /// time, and the runs are written back.
    #[allow(clippy::needless_range_loop)]
    fn run(&mut self, in_l: &[f32], in_r: &[f32], out_l: &mut [f32], out_r: &mut [f32]) {
        let m = in_l.len().min(in_r.len()).min(CONTROL_BLOCK);
        let work = &mut self.scratch;
        read_head(
            &self.bank,
            &mut self.heads[0],
            m,
            &mut work.x,
            &mut work.rows,
        );
        if self.fading {
            read_head(
                &self.bank,
                &mut self.heads[1],
                m,
                &mut work.x,
                &mut work.fade,
            );
            let scale = 1.0 / self.fade_len as f32;
            for (t, (o, b)) in work.rows.iter_mut().zip(&work.fade).take(m).enumerate() {
                let g = ((self.fade_pos as usize + t + 1) as f32 * scale).min(1.0);
                for i in 0..LINES {
                    o[i] += (b[i] - o[i]) * g;
                }
            }
            self.fade_pos = (self.fade_pos + m as u32).min(self.fade_len);
        }
        self.absorption
            .run(&mut work.rows[..m], &mut self.bypass, self.bypass_step);
        transpose::rows_to_runs(&work.rows[..m], &mut work.runs);
        // The input with its gain and the transform's ¼; a steady gain
        // (the usual case) is one vector loop, a fading one a recursion.
        let mut gain = self.input_gain;
        let inputs = in_l
            .iter()
            .zip(in_r)
            .zip(work.sum.iter_mut().zip(work.diff.iter_mut()));
        if self.input_step == 0.0 {
            let g = gain * 0.25;
            for ((&xl, &xr), (s, d)) in inputs {
                let (l, r) = (xl * g, xr * g);
                *s = l + r;
                *d = l - r;
            }
        } else {
            for ((&xl, &xr), (s, d)) in inputs {
                let g = gain * 0.25;
                gain = (gain + self.input_step).clamp(0.0, 1.0);
                let (l, r) = (xl * g, xr * g);
                *s = l + r;
                *d = l - r;
            }
        }
        self.input_gain = gain;
        for b in 0..4 {
            mix_across(&mut work.runs, b, m);
        }
        for a in 0..4 {
            mix_within(&mut work.runs, a, m, &work.sum, &work.diff, &mut work.out);
        }
        for (y, &v) in out_l.iter_mut().zip(&work.out[0][..m]) {
            *y = v;
        }
        for (y, &v) in out_r.iter_mut().zip(&work.out[1][..m]) {
            *y = v;
        }
        // Whole control blocks (the usual case) go in as arrays.
        for (i, run) in work.runs.iter().enumerate() {
            if m == CONTROL_BLOCK {
                self.bank.write_block(i, run);
            } else {
                self.bank.write(i, &run[..m]);
            }
        }
        self.bank.advance(m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hadamard_is_orthonormal_and_its_own_inverse() {
        for k in 0..LINES {
            let mut v = [0.0f32; LINES];
            v[k] = 1.0;
            hadamard16(&mut v);
            // Column k: entries ±1/4, unit norm.
            assert!(v.iter().all(|x| (x.abs() - 0.25).abs() < 1e-7));
            let norm: f32 = v.iter().map(|x| x * x).sum();
            assert!((norm - 1.0).abs() < 1e-6);
            hadamard16(&mut v);
            for (j, x) in v.iter().enumerate() {
                let e = if j == k { 1.0 } else { 0.0 };
                assert!((x - e).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn outputs_are_rows_six_and_nine_of_the_transform() {
        let mut v = [0.0f32; LINES];
        for (i, x) in v.iter_mut().enumerate() {
            *x = (i as f32 * 0.37).sin();
        }
        let tap = |p: &[f32; LINES]| 0.25 * p.iter().zip(&v).map(|(a, b)| a * b).sum::<f32>();
        let (l, r) = (tap(&OUT_L), tap(&OUT_R));
        hadamard16(&mut v);
        assert!((v[6] - l).abs() < 1e-6 && (v[9] - r).abs() < 1e-6);
    }

    #[test]
    fn sine_polynomial_matches_the_library_sine() {
        let mut worst = 0.0f64;
        for k in 0..100_000 {
            let ph = k as f64 / 100_000.0;
            let err = (f64::from(sin_cycles(ph)) - (core::f64::consts::TAU * ph).sin()).abs();
            worst = worst.max(err);
        }
        assert!(worst < 4e-6, "{worst}");
    }

    #[test]
    fn allpass_split_keeps_the_fraction_in_range() {
        // Integer delays read exactly (a = 0: the frozen loop is lossless).
        for d in [2.0f32, 3.0, 1103.0, 25_740.0] {
            assert_eq!(allpass_split(d), (d - 1.0, 0.0));
        }
        let mut d = 2.0f32;
        while d < 3_000.0 {
            let (whole, a) = allpass_split(d);
            let t = d - whole;
            assert!(whole >= 1.0 && whole.fract() == 0.0, "{d}");
            assert!((0.5..=1.5).contains(&t), "{d}: {t}");
            assert!((-0.2..=1.0 / 3.0 + 1e-6).contains(&a), "{d}: {a}");
            d += 0.137;
        }
    }

    #[test]
    fn io_patterns_are_orthogonal() {
        let pats = [IN_L, IN_R, OUT_L, OUT_R];
        for (a, pa) in pats.iter().enumerate() {
            for (b, pb) in pats.iter().enumerate() {
                let dot: f32 = pa.iter().zip(pb).map(|(x, y)| x * y).sum();
                assert_eq!(dot, if a == b { LINES as f32 } else { 0.0 });
            }
        }
    }

    #[test]
    fn lengths_are_distinct_and_scale_with_size() {
        let mut fdn = Fdn::new();
        fdn.prepare(48_000.0);
        let l = fdn.line_lengths();
        assert_eq!(l[0], 1103.0);
        assert!(l.windows(2).all(|w| w[0] < w[1]));
        fdn.set_params(&FdnParams {
            size: 0.5,
            ..FdnParams::default()
        });
        let h = fdn.line_lengths();
        for (a, b) in l.iter().zip(&h) {
            assert!((b - a * 0.5).abs() <= 0.5);
        }
    }

    #[test]
    fn absorption_matches_jot_per_band() {
        // Far from the crossovers the designed filter's magnitude equals
        // Jot's −60·d/(fs·T60) dB of the band within 3 %.
        let mut fdn = Fdn::new();
        fdn.prepare(48_000.0);
        fdn.set_params(&FdnParams {
            decay_s: 2.0,
            low_multiplier: 2.0,
            high_multiplier: 0.5,
            low_crossover_hz: 200.0,
            high_crossover_hz: 4_000.0,
            ..FdnParams::default()
        });
        fdn.reset();
        use crate::response::FrequencyResponse;
        for line in [0, 7, 15] {
            for (f, tol) in [(30.0f32, 0.03f32), (1_000.0, 0.03), (20_000.0, 0.03)] {
                let c = &fdn.absorption.k.c;
                let k = |s: usize| BiquadCoefs {
                    b0: c[s][0][line],
                    b1: c[s][1][line],
                    b2: c[s][2][line],
                    a1: c[s][3][line],
                    a2: c[s][4][line],
                };
                let db = k(0).magnitude_db(f, 48_000.0) + k(1).magnitude_db(f, 48_000.0);
                let want = fdn.jot_gain_db(line, f);
                assert!(
                    ((db - want) / want).abs() < tol,
                    "line {line} {f} Hz: {db} dB vs {want} dB"
                );
            }
        }
    }
}
