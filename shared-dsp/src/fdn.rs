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
//! lets individual lines ring metallically.
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
//! `a = (1 − t)/(1 + t)` stays within (−0.2, ⅓], far from the pole at −1. Modulation, size glides and coefficient
//! updates run on the fixed 32-sample control grid ([`crate::control`]), so
//! the output does not depend on the host's block size.
//!
//! Freeze makes the loop lossless: the absorption filters are crossfaded
//! out, the input is faded to silence and the modulation depth is faded to
//! zero (interpolating reads are lowpass filters and would slowly drain the
//! frozen tail). With integer delays and an orthogonal matrix the energy in
//! the loop is then constant; it cannot grow.

use crate::biquad::{BiquadCoefs, BUTTERWORTH_Q};
use crate::control::{ControlClock, CONTROL_BLOCK};

/// Number of delay lines in the network.
pub const LINES: usize = 16;

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

/// Time constant of size glides and freeze fades, in seconds.
const GLIDE_S: f32 = 0.05;
/// Freeze fades (input, absorption, modulation) take this many control
/// periods (16 · 32 = 512 samples, about 11 ms at 48 kHz).
const FREEZE_TICKS: f32 = 16.0;
/// Largest change of a read delay over one control period, in samples, that
/// is applied as a step rather than a per-sample ramp. Gentle modulation
/// moves a read by about 2π · depth · rate · 32 / fs per period (0.03 samples
/// at 0.25 ms and 0.6 Hz); a step that small is a phase shift of
/// 2π · f · 0.05 / fs (0.13 rad at 20 kHz) spread over the period's
/// interpolation, far below audibility, and it lets the reads compute their
/// allpass coefficients once per period instead of per sample. Size glides
/// move faster and keep the per-sample ramp.
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
const OUT_L: [f32; LINES] = pattern(6);
const OUT_R: [f32; LINES] = pattern(9);

/// In-place fast Walsh–Hadamard transform of 16 values, scaled by 1/4 so the
/// transform is orthonormal (and its own inverse).
#[inline]
pub fn hadamard16(v: &mut [f32; LINES]) {
    let mut h = 1;
    while h < LINES {
        let mut i = 0;
        while i < LINES {
            for j in i..i + h {
                let (a, b) = (v[j], v[j + h]);
                v[j] = a + b;
                v[j + h] = a - b;
            }
            i += 2 * h;
        }
        h *= 2;
    }
    for x in v.iter_mut() {
        *x *= 0.25;
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

/// Splits a read delay `d` ≥ 2 samples into the whole part `M` and the
/// first-order allpass coefficient `a = (1 − t)/(1 + t)` of the fraction
/// `t = d − M` in [0.5, 1.5).
#[inline]
fn allpass_split(d: f32) -> (usize, f32) {
    let whole = ((d - 0.5) as usize).max(1);
    let t = d - whole as f32;
    (whole, (1.0 - t) / (1.0 + t))
}

/// Seed of the modulation pattern.
const MOD_SEED: u64 = 0x6C61_7373_7665_7262;

/// Two second-order sections per line in structure-of-arrays form, so the
/// per-sample loop over the 16 lines vectorises.
#[derive(Clone, Debug, Default)]
struct Absorption {
    /// Coefficients per section: [b0, b1, b2, a1, a2] × LINES.
    c: [[[f32; LINES]; 5]; 2],
    /// Transposed direct form II state per section.
    s1: [[f32; LINES]; 2],
    s2: [[f32; LINES]; 2],
    /// Whether each section shapes the response. A band multiplier of
    /// exactly 1 makes its shelf 0 dB, an identity, and the section is
    /// skipped (the first then leaves only the broadband gain).
    active: [bool; 2],
    /// Broadband (mid-band) gain per line, applied alone when the first
    /// section is skipped.
    gain: [f32; LINES],
}

impl Absorption {
    fn set(&mut self, section: usize, line: usize, k: &BiquadCoefs) {
        let c = &mut self.c[section];
        c[0][line] = k.b0;
        c[1][line] = k.b1;
        c[2][line] = k.b2;
        c[3][line] = k.a1;
        c[4][line] = k.a2;
    }

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

    /// Turns a section on or off; a section switched on starts from
    /// silence rather than from the state it had when last used.
    fn set_active(&mut self, section: usize, on: bool) {
        if on && !self.active[section] {
            self.s1[section] = [0.0; LINES];
            self.s2[section] = [0.0; LINES];
        }
        self.active[section] = on;
    }

    #[inline]
    fn process(&mut self, v: &mut [f32; LINES]) {
        if !self.active[0] {
            for (x, g) in v.iter_mut().zip(&self.gain) {
                *x *= g;
            }
        }
        for s in 0..2 {
            if !self.active[s] {
                continue;
            }
            let [b0, b1, b2, a1, a2] = &self.c[s];
            let (s1, s2) = (&mut self.s1[s], &mut self.s2[s]);
            for i in 0..LINES {
                let x = v[i];
                let y = b0[i] * x + s1[i];
                s1[i] = b1[i] * x - a1[i] * y + s2[i];
                s2[i] = b2[i] * x - a2[i] * y;
                v[i] = y;
            }
        }
    }
}

/// The 16-line feedback delay network. `prepare` allocates; `reset`,
/// `set_params` and `process` are realtime-safe.
#[derive(Clone, Debug)]
pub struct Fdn {
    fs: f32,
    /// The sixteen lines as one ring of frames: sample `t` of line `i` is
    /// at `(t & mask) · LINES + i`. All lines are written at the same time,
    /// so they share one write index and a push is one contiguous store of
    /// 16 values (rather than 16 separate [`crate::delay_line::DelayLine`]s,
    /// each with its own index, clamp and bounds check).
    buf: Vec<f32>,
    /// Frames in the ring minus one (the frame count is a power of two).
    mask: usize,
    /// Frame index of the newest pushed frame.
    write: usize,
    /// Longest whole delay a read may ask for, in samples.
    max_read: usize,
    absorption: Absorption,
    params: FdnParams,
    /// Coefficients must be recomputed at the next grid point.
    dirty: bool,
    clock: ControlClock,
    /// Line lengths the size asks for, in samples (integers).
    target_len: [f32; LINES],
    /// Line lengths in use (gliding to `target_len`), in samples.
    len: [f32; LINES],
    /// Lengths the absorption coefficients were designed for.
    designed_len: [f32; LINES],
    /// Read delay of each line at the current sample, and its per-sample step.
    delay: [f32; LINES],
    delay_step: [f32; LINES],
    /// The delays move by less than [`HOLD_LIMIT`] in this period and are
    /// held at their end values: the allpass reads use `whole` and `coef`
    /// computed once per period.
    held: bool,
    whole: [usize; LINES],
    coef: [f32; LINES],
    /// Modulation phase of each line in cycles, and its increment per
    /// control period.
    phase: [f64; LINES],
    rate_scale: [f64; LINES],
    /// Allpass interpolators' previous outputs, one per line.
    ap_y1: [f32; LINES],
    /// Modulation depth in use (samples), gliding to the parameter.
    depth: f32,
    /// Input gain (1, or 0 frozen) and absorption bypass (0, or 1 frozen):
    /// current values and per-sample steps.
    input_gain: f32,
    input_step: f32,
    bypass: f32,
    bypass_step: f32,
    /// Per-control-period glide coefficient of sizes and depth.
    glide: f32,
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
            buf: Vec::new(),
            mask: 0,
            write: 0,
            max_read: 1,
            absorption: Absorption::default(),
            params: FdnParams::default(),
            dirty: true,
            clock: ControlClock::new(CONTROL_BLOCK),
            target_len: [0.0; LINES],
            len: [0.0; LINES],
            designed_len: [0.0; LINES],
            delay: [0.0; LINES],
            delay_step: [0.0; LINES],
            held: false,
            whole: [1; LINES],
            coef: [0.0; LINES],
            phase: [0.0; LINES],
            rate_scale,
            ap_y1: [0.0; LINES],
            depth: 0.0,
            input_gain: 1.0,
            input_step: 0.0,
            bypass: 0.0,
            bypass_step: 0.0,
            glide: 1.0,
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
        let frames = (longest + 2).next_power_of_two();
        self.buf.clear();
        self.buf.resize(frames * LINES, 0.0);
        self.mask = frames - 1;
        self.max_read = longest;
        self.glide = 1.0 - (-(CONTROL_BLOCK as f32) / (GLIDE_S * self.fs)).exp();
        self.reset();
    }

    /// Clears the lines and filters and jumps every glide to its target.
    /// Realtime-safe.
    pub fn reset(&mut self) {
        self.buf.fill(0.0);
        self.write = 0;
        self.absorption.reset();
        self.ap_y1 = [0.0; LINES];
        self.clock.reset();
        self.update_targets();
        self.len = self.target_len;
        self.delay = self.len;
        self.delay_step = [0.0; LINES];
        for (i, ph) in self.phase.iter_mut().enumerate() {
            *ph = unit_hash(MOD_SEED ^ (i as u64 * 2 + 2));
        }
        let frozen = self.params.freeze;
        self.depth = if frozen { 0.0 } else { self.depth_target() };
        self.input_gain = if frozen { 0.0 } else { 1.0 };
        self.bypass = if frozen { 1.0 } else { 0.0 };
        self.input_step = 0.0;
        self.bypass_step = 0.0;
        self.design();
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

    /// Designs every line's absorption for its current length.
    fn design(&mut self) {
        let p = self.params;
        let fs = self.fs;
        let t_mid = p.decay_s;
        let t_low = p.decay_s * p.low_multiplier;
        let t_high = p.decay_s * p.high_multiplier;
        for i in 0..LINES {
            let d = self.len[i];
            // Jot: dB per pass = −60 · d / (fs · T60).
            let per_pass = |t: f32| -60.0 * d / (fs * t);
            let mid_db = per_pass(t_mid);
            let mut low = BiquadCoefs::low_shelf(
                fs,
                p.low_crossover_hz,
                BUTTERWORTH_Q,
                per_pass(t_low) - mid_db,
            );
            let high = BiquadCoefs::high_shelf(
                fs,
                p.high_crossover_hz,
                BUTTERWORTH_Q,
                per_pass(t_high) - mid_db,
            );
            // The broadband (mid) loss rides on the first section's zeros.
            let g = 10f32.powf(mid_db / 20.0);
            self.absorption.gain[i] = g;
            low.b0 *= g;
            low.b1 *= g;
            low.b2 *= g;
            self.absorption.set(0, i, &low);
            self.absorption.set(1, i, &high);
        }
        // A multiplier of exactly 1 gives a 0 dB shelf: t_low == t_mid
        // makes the shelf gain exactly 0.
        self.absorption.set_active(0, p.low_multiplier != 1.0);
        self.absorption.set_active(1, p.high_multiplier != 1.0);
        self.designed_len = self.len;
        self.dirty = false;
    }

    /// Control-rate work at the start of a period: glides, freeze fades,
    /// coefficient updates and the modulated read delays for the period.
    fn tick(&mut self) {
        let frozen = self.params.freeze;
        let n = CONTROL_BLOCK as f32;
        // Size glide (one-pole per period, snapping when within 1e-3 sample
        // so a settled line has an exact integer length).
        let mut moving = false;
        for (l, &t) in self.len.iter_mut().zip(&self.target_len) {
            let diff = t - *l;
            if diff.abs() < 1e-3 {
                *l = t;
            } else {
                *l += diff * self.glide;
                moving = true;
            }
        }
        if self.dirty || (moving && self.len != self.designed_len) {
            self.design();
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
        // Read delays at the end of this period; ramp to them per sample.
        let inc = f64::from(self.params.mod_rate_hz) * f64::from(n) / f64::from(self.fs);
        for i in 0..LINES {
            let ph = &mut self.phase[i];
            *ph += inc * self.rate_scale[i];
            *ph -= ph.floor();
            let offset = if self.depth == 0.0 {
                0.0
            } else {
                self.depth * (core::f64::consts::TAU * *ph).sin() as f32
            };
            // At least 2 samples: the allpass read needs M ≥ 1.
            let end = (self.len[i] + offset).max(2.0);
            self.delay_step[i] = (end - self.delay[i]) / n;
        }
        self.held = self.delay_step.iter().all(|s| (s * n).abs() < HOLD_LIMIT);
        if self.held {
            for i in 0..LINES {
                let d = self.delay[i] + self.delay_step[i] * n;
                self.delay[i] = d;
                self.delay_step[i] = 0.0;
                let (whole, a) = allpass_split(d);
                self.whole[i] = whole;
                self.coef[i] = a;
            }
        }
        if !self.absorption.is_finite() || !self.ap_y1.iter().all(|v| v.is_finite()) {
            self.absorption.reset();
            self.ap_y1 = [0.0; LINES];
            self.buf.fill(0.0);
        }
    }

    /// Runs the network over a block: `in_l`/`in_r` feed it, `out_l`/`out_r`
    /// receive its output (overwritten). All four slices must have the same
    /// length (the shortest is used). Inputs must be finite; the caller
    /// guards them. Realtime-safe.
    pub fn process(&mut self, in_l: &[f32], in_r: &[f32], out_l: &mut [f32], out_r: &mut [f32]) {
        if self.buf.is_empty() {
            out_l.fill(0.0);
            out_r.fill(0.0);
            return;
        }
        let len = in_l.len().min(in_r.len()).min(out_l.len()).min(out_r.len());
        let mut pos = 0;
        while pos < len {
            if self.clock.phase() == 0 {
                self.tick();
            }
            let n = (len - pos).min(self.clock.samples_until_tick());
            self.run(
                &in_l[pos..pos + n],
                &in_r[pos..pos + n],
                &mut out_l[pos..pos + n],
                &mut out_r[pos..pos + n],
            );
            self.clock.advance(n);
            pos += n;
        }
    }

    /// Per-sample loop within one control period. The lines' state lives
    /// in parallel arrays indexed by line, which is clearer (and vectorises
    /// better) than zipping six iterators.
    #[allow(clippy::needless_range_loop)]
    fn run(&mut self, in_l: &[f32], in_r: &[f32], out_l: &mut [f32], out_r: &mut [f32]) {
        let mut o = [0.0f32; LINES];
        for (((&xl, &xr), yl), yr) in in_l.iter().zip(in_r).zip(out_l).zip(out_r) {
            // Read each line at its (modulated) delay D = M + t, t in
            // [0.5, 1.5): x[n − M] through the allpass of fraction t. The
            // push comes after the read, so `read(k)` is x[n − 1 − k].
            let (buf, mask, max) = (&self.buf, self.mask, self.max_read);
            let at = |k: usize, i: usize| buf[(self.write.wrapping_sub(k) & mask) * LINES + i];
            if self.held {
                for i in 0..LINES {
                    let w = self.whole[i].min(max);
                    let (x0, x1) = (at(w - 1, i), at(w, i));
                    let y = self.coef[i] * (x0 - self.ap_y1[i]) + x1;
                    self.ap_y1[i] = y;
                    o[i] = y;
                }
            } else {
                for i in 0..LINES {
                    let (w, a) = allpass_split(self.delay[i]);
                    let w = w.min(max);
                    let (x0, x1) = (at(w - 1, i), at(w, i));
                    let y = a * (x0 - self.ap_y1[i]) + x1;
                    self.ap_y1[i] = y;
                    o[i] = y;
                    self.delay[i] += self.delay_step[i];
                }
            }
            let mut f = o;
            self.absorption.process(&mut f);
            if self.bypass != 0.0 {
                let b = self.bypass;
                for i in 0..LINES {
                    f[i] += (o[i] - f[i]) * b;
                }
            }
            self.bypass = (self.bypass + self.bypass_step).clamp(0.0, 1.0);
            let (mut l, mut r) = (0.0, 0.0);
            for i in 0..LINES {
                l += OUT_L[i] * f[i];
                r += OUT_R[i] * f[i];
            }
            *yl = 0.25 * l;
            *yr = 0.25 * r;
            hadamard16(&mut f);
            let g = self.input_gain * 0.25;
            self.input_gain = (self.input_gain + self.input_step).clamp(0.0, 1.0);
            let (xl, xr) = (xl * g, xr * g);
            self.write = (self.write + 1) & self.mask;
            let frame = &mut self.buf[self.write * LINES..][..LINES];
            for i in 0..LINES {
                frame[i] = f[i] + IN_L[i] * xl + IN_R[i] * xr;
            }
        }
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
                let c = &fdn.absorption.c;
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
