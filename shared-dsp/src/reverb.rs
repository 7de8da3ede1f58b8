//! Glasswork Verb's kernel: pre-delay, early reflections, input diffusion
//! and a 16-line feedback delay network ([`crate::fdn`]) whose decay time is
//! set per band, with a wet-path tone stage, ducking, width and mix.
//!
//! Signal flow per channel pair:
//!
//! ```text
//! in ─┬────────────────────────────────────────────────────────── dry ─┐
//!     └─ damping LP ─ pre-delay ─┬─ early taps (8 per side) ─ early ─┐  │
//!                                └─ diffuser ─ FDN ──────────── late ┴─ balance
//!        ─ width ─ low-cut ─ high-cut ─ ducking ─ wet ─ mix ──────────── out
//! ```
//!
//! The early reflections are a tapped delay read from the pre-delay line,
//! kept apart from the network so their pattern (which carries the sense of
//! room size and shape) is not smeared; the diffuser (four Schroeder
//! allpasses, [`crate::diffuser`]) turns the input's transients into a
//! dense burst before they enter the network, so the echo density is
//! noise-like within the first few passes. Every control-rate quantity
//! (coefficients, ramps, the ducking gain) is computed on the fixed
//! 32-sample grid counted from `reset()`, so the output does not depend on
//! the host's block size.
//!
//! The pre-delay and early-tap positions are whole samples. When the size or
//! the pre-delay moves them, the reads at the old positions are crossfaded
//! into reads at the new ones over [`SIZE_FADE_S`], as the network crossfades
//! its lines: sweeping a read across the line instead would replay the
//! stored signal faster or slower (a pitch glide, and a burst of high
//! frequencies for a jump of many milliseconds in one control period). The
//! taps' gains, which depend on the size and the decay, fade along.
//!
//! Each control period (or the part of it a host block holds) is processed
//! as a block: inputs, damping and the pre-delay line first, then the early
//! taps and the network's input as contiguous windows of the line, the
//! diffuser stage by stage, the network, and the output stage.

use crate::biquad::{BiquadCoefs, BUTTERWORTH_Q};
use crate::biquad_pair::BiquadPair;
use crate::control::{ControlClock, CONTROL_BLOCK};
use crate::delay_bank::DelayBank;
use crate::diffuser::Diffuser;
use crate::fdn::{Fdn, FdnParams, SIZE_FADE_S};

/// Longest pre-delay in ms.
pub const MAX_PRE_DELAY_MS: f32 = 500.0;
/// Wet low-cut setting (its lowest) at which the filter is off, Hz.
pub const LOW_CUT_OFF_HZ: f32 = 10.0;
/// Wet high-cut setting (its highest) at which the filter is off, Hz.
pub const HIGH_CUT_OFF_HZ: f32 = 22_000.0;
/// Largest ducking depth in dB.
pub const MAX_DUCKING_DB: f32 = 30.0;
/// Number of early-reflection taps per side.
pub const EARLY_TAPS: usize = 8;
/// The tail is reported down to this level below the peak, in dB (1.5 × the
/// longest band T60).
pub const TAIL_FLOOR_DB: f32 = 90.0;

/// Early-reflection tap times at size 1 in ms after the pre-delay (left,
/// right interleaved so the sides alternate), and their gains. Spacing grows
/// and level falls roughly as the image sources of a shoebox room do.
const EARLY_MS: [[f32; EARLY_TAPS]; 2] = [
    [4.3, 9.7, 15.1, 21.9, 29.3, 38.9, 47.3, 59.9],
    [6.1, 11.9, 17.3, 25.1, 33.7, 41.3, 53.9, 66.7],
];
const EARLY_GAIN: [[f32; EARLY_TAPS]; 2] = [
    [0.84, -0.66, 0.55, 0.45, -0.38, 0.31, -0.25, 0.2],
    [-0.8, 0.7, -0.57, 0.47, 0.4, -0.32, 0.27, -0.22],
];
/// Largest early-tap time at size 1, ms.
const EARLY_MAX_MS: f32 = 66.7;

/// Ducking envelope follower: attack and release time constants in ms.
const DUCK_ATTACK_MS: f32 = 5.0;
const DUCK_RELEASE_MS: f32 = 250.0;
/// Ducking starts at this input level (dBFS) and is complete at 0 dBFS.
const DUCK_FLOOR_DBFS: f32 = -40.0;
/// Ramp indices: gains of the early and late sound, width, mix, ducking.
const R_EARLY: usize = 0;
const R_LATE: usize = R_EARLY + 1;
const R_WIDTH: usize = R_LATE + 1;
const R_MIX: usize = R_WIDTH + 1;
const R_DUCK: usize = R_MIX + 1;
const N_RAMPS: usize = R_DUCK + 1;
/// Bypass crossfade time, ms: long enough that switching never clicks
/// (a 32-sample step between dry and wet would), short enough to feel
/// immediate.
const BYPASS_FADE_MS: f32 = 10.0;
/// Inputs are clamped to ±this before they enter any state.
const INPUT_LIMIT: f32 = 1e4;

/// A character: a starting point of parameters that sounds like a kind of
/// space (see [`Character::preset`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Character {
    /// A small, bright, short room: strong early reflections.
    Room,
    /// A large concert hall: long, darker decay, late-heavy.
    #[default]
    Hall,
    /// An EMT-style plate: no early reflections, dense and bright from the
    /// start, little low end.
    Plate,
    /// A live chamber: medium size, strong early pattern, warm.
    Chamber,
}

impl Character {
    /// All characters, in display order.
    pub const ALL: [Character; 4] = [
        Character::Room,
        Character::Hall,
        Character::Plate,
        Character::Chamber,
    ];

    /// The full parameter set of this character (mix 0.3, no ducking).
    pub fn preset(self) -> ReverbParams {
        let base = ReverbParams {
            character: self,
            ..ReverbParams::default()
        };
        match self {
            Character::Room => ReverbParams {
                decay_s: 0.6,
                low_multiplier: 1.1,
                high_multiplier: 0.7,
                size: 0.35,
                pre_delay_ms: 2.0,
                diffusion: 0.7,
                early_late: 0.4,
                damping: 0.2,
                mod_depth_ms: 0.1,
                mod_rate_hz: 0.7,
                ..base
            },
            Character::Hall => ReverbParams {
                decay_s: 2.8,
                low_multiplier: 1.3,
                high_multiplier: 0.5,
                size: 1.4,
                pre_delay_ms: 25.0,
                diffusion: 0.8,
                early_late: 0.8,
                damping: 0.35,
                mod_depth_ms: 0.35,
                mod_rate_hz: 0.4,
                ..base
            },
            Character::Plate => ReverbParams {
                decay_s: 2.0,
                low_multiplier: 0.6,
                high_multiplier: 0.9,
                low_crossover_hz: 400.0,
                high_crossover_hz: 7_000.0,
                size: 0.6,
                pre_delay_ms: 0.0,
                diffusion: 1.0,
                early_late: 1.0,
                damping: 0.05,
                mod_depth_ms: 0.2,
                mod_rate_hz: 1.1,
                ..base
            },
            Character::Chamber => ReverbParams {
                decay_s: 1.4,
                low_multiplier: 1.2,
                high_multiplier: 0.6,
                size: 0.7,
                pre_delay_ms: 10.0,
                diffusion: 0.6,
                early_late: 0.55,
                damping: 0.4,
                mod_depth_ms: 0.15,
                mod_rate_hz: 0.5,
                ..base
            },
        }
    }
}

/// Plain-value parameters of the [`Reverb`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReverbParams {
    /// The character the other values were taken from (informational; the
    /// values below are what sounds). Default hall.
    pub character: Character,
    /// Mid-band reverberation time (T60) in seconds, 0.1..=30. Default 2.
    pub decay_s: f32,
    /// Low band T60 as a multiple of `decay_s`, 0.1..=4. Default 1.
    pub low_multiplier: f32,
    /// High band T60 as a multiple of `decay_s`, 0.1..=4. Default 1.
    pub high_multiplier: f32,
    /// Low/mid crossover in Hz, 20..=2000. Default 250.
    pub low_crossover_hz: f32,
    /// Mid/high crossover in Hz, 500..=20 000. Default 5000.
    pub high_crossover_hz: f32,
    /// Room size: scale of the network's lines and the early taps, 0.1..=2.
    /// Default 1.
    pub size: f32,
    /// Pre-delay in ms, 0..=500. Default 10.
    pub pre_delay_ms: f32,
    /// Input diffusion, 0..=1 (allpass gain 0.7 × this). Default 0.75.
    pub diffusion: f32,
    /// Early/late balance, 0..=1: 0 early reflections only, 1 late only,
    /// equal power between. Default 0.7.
    pub early_late: f32,
    /// Damping of the late input, 0..=1: a first-order lowpass from 20 kHz
    /// (0) down to 1 kHz (1), exponentially. Default 0.2.
    pub damping: f32,
    /// Modulation depth in ms, 0..=2. Default 0.25.
    pub mod_depth_ms: f32,
    /// Modulation rate in Hz, 0.01..=10. Default 0.5.
    pub mod_rate_hz: f32,
    /// Stereo width of the wet signal, 0 (mono) ..=1 (full). Default 1.
    pub width: f32,
    /// Wet low-cut (Butterworth high-pass) in Hz, 10..=1000; off at
    /// [`LOW_CUT_OFF_HZ`]. Default 20.
    pub low_cut_hz: f32,
    /// Wet high-cut (Butterworth low-pass) in Hz, 1000..=22 000 (clamped
    /// below Nyquist); off at [`HIGH_CUT_OFF_HZ`]. Default 18 000.
    pub high_cut_hz: f32,
    /// Ducking depth in dB, 0..=30: the wet is lowered by up to this much
    /// as the dry input's envelope rises from −40 dBFS to 0 dBFS. Default 0.
    pub ducking_db: f32,
    /// Infinite sustain: the network's input is muted and its loop made
    /// lossless. Default off.
    pub freeze: bool,
    /// Dry/wet mix, 0 (dry) ..=1 (wet only), linear. Default 0.3.
    pub mix: f32,
    /// Bypass: the output fades to the dry input over one control period
    /// (the reverb keeps running, so leaving bypass returns to the live
    /// tail rather than an empty room). Default off.
    pub bypass: bool,
}

impl Default for ReverbParams {
    fn default() -> Self {
        Self {
            character: Character::Hall,
            decay_s: 2.0,
            low_multiplier: 1.0,
            high_multiplier: 1.0,
            low_crossover_hz: 250.0,
            high_crossover_hz: 5_000.0,
            size: 1.0,
            pre_delay_ms: 10.0,
            diffusion: 0.75,
            early_late: 0.7,
            damping: 0.2,
            mod_depth_ms: 0.25,
            mod_rate_hz: 0.5,
            width: 1.0,
            low_cut_hz: 20.0,
            high_cut_hz: 18_000.0,
            ducking_db: 0.0,
            freeze: false,
            mix: 0.3,
            bypass: false,
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

impl ReverbParams {
    /// The parameters clamped to their documented ranges (NaN → default).
    pub fn sanitised(&self) -> Self {
        let d = Self::default();
        let f = self.fdn().sanitised();
        Self {
            character: self.character,
            decay_s: f.decay_s,
            low_multiplier: f.low_multiplier,
            high_multiplier: f.high_multiplier,
            low_crossover_hz: f.low_crossover_hz,
            high_crossover_hz: f.high_crossover_hz,
            size: f.size,
            pre_delay_ms: sane(self.pre_delay_ms, 0.0, MAX_PRE_DELAY_MS, d.pre_delay_ms),
            diffusion: sane(self.diffusion, 0.0, 1.0, d.diffusion),
            early_late: sane(self.early_late, 0.0, 1.0, d.early_late),
            damping: sane(self.damping, 0.0, 1.0, d.damping),
            mod_depth_ms: f.mod_depth_ms,
            mod_rate_hz: f.mod_rate_hz,
            width: sane(self.width, 0.0, 1.0, d.width),
            low_cut_hz: sane(self.low_cut_hz, LOW_CUT_OFF_HZ, 1_000.0, d.low_cut_hz),
            high_cut_hz: sane(self.high_cut_hz, 1_000.0, HIGH_CUT_OFF_HZ, d.high_cut_hz),
            ducking_db: sane(self.ducking_db, 0.0, MAX_DUCKING_DB, d.ducking_db),
            freeze: self.freeze,
            mix: sane(self.mix, 0.0, 1.0, d.mix),
            bypass: self.bypass,
        }
    }

    /// The network's share of the parameters.
    pub fn fdn(&self) -> FdnParams {
        FdnParams {
            decay_s: self.decay_s,
            low_multiplier: self.low_multiplier,
            high_multiplier: self.high_multiplier,
            low_crossover_hz: self.low_crossover_hz,
            high_crossover_hz: self.high_crossover_hz,
            size: self.size,
            mod_depth_ms: self.mod_depth_ms,
            mod_rate_hz: self.mod_rate_hz,
            freeze: self.freeze,
        }
    }

    /// Early and late gains of the equal-power balance.
    pub fn balance_gains(&self) -> (f32, f32) {
        let b = self.sanitised().early_late * core::f32::consts::FRAC_PI_2;
        (b.cos(), b.sin())
    }

    /// Corner of the damping lowpass in Hz (20 kHz · 0.05^damping).
    pub fn damping_hz(&self) -> f32 {
        20_000.0 * 0.05f32.powf(self.sanitised().damping)
    }
}

/// Non-finite → 0, finite clamped to ±[`INPUT_LIMIT`].
#[inline]
fn sanitise(x: f32) -> f32 {
    if x.is_finite() {
        x.clamp(-INPUT_LIMIT, INPUT_LIMIT)
    } else {
        0.0
    }
}

/// A value ramped linearly across each control period.
#[derive(Clone, Copy, Debug, Default)]
struct Ramp {
    now: f32,
    step: f32,
}

impl Ramp {
    /// Aims at `to` by the end of the coming period.
    fn aim(&mut self, to: f32) {
        self.step = (to - self.now) / CONTROL_BLOCK as f32;
    }
    /// Lands exactly on `to` (at the end of a period, against rounding).
    fn land(&mut self, to: f32) {
        self.now = to;
        self.step = 0.0;
    }
    #[inline]
    fn next(&mut self) -> f32 {
        let v = self.now;
        self.now += self.step;
        v
    }
}

/// Where the pre-delay line is read: the network's input and the early
/// taps, in whole samples, per side.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Taps {
    pre: usize,
    pos: [[usize; EARLY_TAPS]; 2],
    /// Early tap gains times their decay by the set mid-band T60 at the
    /// tap's time (10^(−3·t/T60), so the early pattern belongs to the same
    /// room as the late field and the response decays along one slope).
    gain: [[f32; EARLY_TAPS]; 2],
}

/// One block's early reflections and network input, per side.
type Sides = [[f32; CONTROL_BLOCK]; 2];

impl Taps {
    /// Reads `n` samples of early reflections and network input from
    /// `line`, written up to the block's last sample.
    #[inline]
    fn read(&self, line: &DelayBank, n: usize, early: &mut Sides, late: &mut Sides) {
        for (c, (e, l)) in early.iter_mut().zip(late.iter_mut()).enumerate() {
            // Each tap's window is n contiguous samples; all eight are summed
            // per sample in a register (a loop over time, vectorised).
            let windows: [&[f32]; EARLY_TAPS] =
                core::array::from_fn(|k| line.window(c, n + self.pos[c][k], n));
            if windows.iter().all(|w| w.len() == n) && n <= CONTROL_BLOCK {
                let g = self.gain[c];
                for (t, e) in e[..n].iter_mut().enumerate() {
                    let mut acc = 0.0;
                    for (w, g) in windows.iter().zip(&g) {
                        acc += g * w[t];
                    }
                    *e = acc;
                }
            }
            for (l, &x) in l.iter_mut().zip(line.window(c, n + self.pre, n)) {
                *l = x;
            }
        }
    }
}

/// The reverb kernel. `prepare` allocates; every other method is
/// realtime-safe.
#[derive(Clone, Debug)]
pub struct Reverb {
    fs: f32,
    params: ReverbParams,
    dirty: bool,
    clock: ControlClock,
    /// The damped input per side, read by the early taps and the network.
    pre: DelayBank,
    /// Left and right in lockstep (one vector per stereo sample).
    damp: BiquadPair,
    diffuser: [Diffuser; 2],
    fdn: Fdn,
    low_cut: BiquadPair,
    high_cut: BiquadPair,
    /// Gains ramped across each control period, indexed by the `R_*`
    /// constants.
    ramp: [Ramp; N_RAMPS],
    /// Targets of the ramps for the period being run.
    targets: [f32; N_RAMPS],
    /// Equal-power early and late gains of the parameters.
    balance: (f32, f32),
    /// `taps[0]` is heard; while `fading`, `taps[1]` (the positions and
    /// gains the parameters ask for, `tap_target`) is crossfaded in over
    /// it and then replaces it.
    taps: [Taps; 2],
    tap_target: Taps,
    fading: bool,
    /// Samples into the crossfade, and its length (whole control periods).
    fade_pos: u32,
    fade_len: u32,
    /// Ducking is on this control period (the parameter, latched on the
    /// grid): only then does the envelope follower run.
    ducking: bool,
    env: f32,
    env_attack: f32,
    env_release: f32,
    /// Largest finite wet sample magnitude per side since the last
    /// [`Reverb::take_wet_peaks`] (after ducking, before the mix).
    wet_peak: [f32; 2],
    /// Share of the processed signal in the output, 0 (bypassed) ..=1,
    /// moved by `active_step` per sample towards the bypass state.
    active: f32,
    active_step: f32,
    /// Per-sample change of `active` over [`BYPASS_FADE_MS`].
    fade_step: f32,
}

impl Default for Reverb {
    fn default() -> Self {
        Self::new()
    }
}

impl Reverb {
    /// A kernel with default parameters and no memory yet; call
    /// [`prepare`](Self::prepare).
    pub fn new() -> Self {
        Self {
            fs: 48_000.0,
            params: ReverbParams::default(),
            dirty: true,
            clock: ControlClock::new(CONTROL_BLOCK),
            pre: DelayBank::new(),
            damp: Default::default(),
            diffuser: Default::default(),
            fdn: Fdn::new(),
            low_cut: Default::default(),
            high_cut: Default::default(),
            ramp: [Ramp::default(); N_RAMPS],
            targets: [0.0; N_RAMPS],
            balance: (0.0, 1.0),
            taps: [Taps::default(); 2],
            tap_target: Taps::default(),
            fading: false,
            fade_pos: 0,
            fade_len: CONTROL_BLOCK as u32,
            ducking: false,
            env: 0.0,
            env_attack: 0.0,
            env_release: 0.0,
            wet_peak: [0.0; 2],
            active: 1.0,
            active_step: 0.0,
            fade_step: 1.0,
        }
    }

    /// Allocates every line for `sample_rate` Hz (finite, > 0; otherwise
    /// 48 kHz) and resets. `max_block` and `channels` are not needed (any
    /// block length works; one or two channels are processed).
    pub fn prepare(&mut self, sample_rate: f32, _max_block: usize, _channels: usize) {
        self.fs = if sample_rate.is_finite() && sample_rate > 0.0 {
            sample_rate
        } else {
            48_000.0
        };
        let ms = self.fs * 1e-3;
        let max = ((MAX_PRE_DELAY_MS + EARLY_MAX_MS * crate::fdn::MAX_SIZE) * ms).ceil() as usize;
        // Reads reach a block (and a rounding sample) beyond the longest tap.
        self.pre.prepare(2, max + CONTROL_BLOCK + 2);
        let periods = (SIZE_FADE_S * self.fs / CONTROL_BLOCK as f32)
            .round()
            .max(1.0);
        self.fade_len = periods as u32 * CONTROL_BLOCK as u32;
        for d in &mut self.diffuser {
            d.prepare(self.fs);
        }
        self.fdn.prepare(self.fs);
        self.env_attack = 1.0 - (-1.0 / (DUCK_ATTACK_MS * ms)).exp();
        self.env_release = 1.0 - (-1.0 / (DUCK_RELEASE_MS * ms)).exp();
        self.fade_step = 1.0 / (BYPASS_FADE_MS * ms);
        self.reset();
    }

    /// Clears every state and jumps the ramps to their targets.
    /// Realtime-safe.
    pub fn reset(&mut self) {
        self.pre.reset();
        for f in [&mut self.damp, &mut self.low_cut, &mut self.high_cut] {
            f.reset();
        }
        for d in &mut self.diffuser {
            d.reset();
        }
        self.fdn.reset();
        self.clock.reset();
        self.env = 0.0;
        self.ducking = self.params.ducking_db > 0.0;
        self.active = if self.params.bypass { 0.0 } else { 1.0 };
        self.active_step = 0.0;
        self.design();
        self.taps = [self.tap_target; 2];
        self.fading = false;
        self.fade_pos = 0;
        self.compute_targets();
        for (r, &v) in self.ramp.iter_mut().zip(&self.targets) {
            r.land(v);
        }
    }

    /// Sets the parameters (clamped; NaN → default), effective from the next
    /// control grid point with a ramp over one period. Realtime-safe.
    pub fn set_params(&mut self, params: &ReverbParams) {
        let p = params.sanitised();
        if p != self.params {
            self.params = p;
            self.dirty = true;
            self.fdn.set_params(&p.fdn());
        }
    }

    /// The parameters in use (sanitised).
    pub fn params(&self) -> &ReverbParams {
        &self.params
    }

    /// Latency in samples: none (the wet path only adds delay to the wet).
    pub fn latency(&self) -> usize {
        0
    }

    /// The wet signal's peak magnitude per side (left, right; linear) since
    /// the previous call, for a wet level meter; then starts over.
    /// Realtime-safe.
    pub fn take_wet_peaks(&mut self) -> [f32; 2] {
        std::mem::take(&mut self.wet_peak)
    }

    /// Sample rate the kernel was prepared for, Hz.
    pub fn sample_rate(&self) -> f32 {
        self.fs
    }

    /// Tail length in samples for `params` at `sample_rate`: pre-delay, the
    /// longest early tap and the longest network line, plus the time for the
    /// slowest band to fall [`TAIL_FLOOR_DB`] (1.5 × its T60). `None`
    /// (endless) with freeze on.
    pub fn tail_samples(params: &ReverbParams, sample_rate: f32) -> Option<usize> {
        let p = params.sanitised();
        if p.freeze {
            return None;
        }
        let fs = f64::from(sample_rate.max(1.0));
        let ms = f64::from(p.pre_delay_ms + EARLY_MAX_MS * p.size) + 66.0 * f64::from(p.size);
        let decay = f64::from(p.fdn().longest_decay_s()) * f64::from(TAIL_FLOOR_DB) / 60.0;
        Some(((ms * 1e-3 + decay) * fs).ceil() as usize)
    }

    /// Filter coefficients, tap positions and gains from the parameters.
    fn design(&mut self) {
        let p = self.params;
        let fs = self.fs;
        let ms = fs * 1e-3;
        let damp = BiquadCoefs::lowpass1(fs, p.damping_hz());
        let lc = if p.low_cut_hz <= LOW_CUT_OFF_HZ {
            BiquadCoefs::identity()
        } else {
            BiquadCoefs::highpass(fs, p.low_cut_hz, BUTTERWORTH_Q)
        };
        let hc = if p.high_cut_hz >= HIGH_CUT_OFF_HZ {
            BiquadCoefs::identity()
        } else {
            BiquadCoefs::lowpass(fs, p.high_cut_hz.min(0.45 * fs), BUTTERWORTH_Q)
        };
        // Whole-sample positions: every read is an exact integer read.
        let pre = (p.pre_delay_ms * ms).round() as usize;
        let taps = &mut self.tap_target;
        taps.pre = pre;
        for (c, (times, level)) in EARLY_MS.iter().zip(&EARLY_GAIN).enumerate() {
            for (k, (&t, &a)) in times.iter().zip(level).enumerate() {
                taps.pos[c][k] = pre + (t * p.size * ms).round() as usize;
                taps.gain[c][k] = a * 10f32.powf(-3.0 * t * 1e-3 * p.size / p.decay_s);
            }
        }
        self.balance = p.balance_gains();
        self.damp.set_coefs(damp);
        self.low_cut.set_coefs(lc);
        self.high_cut.set_coefs(hc);
        for d in &mut self.diffuser {
            d.set_amount(p.diffusion);
        }
        self.dirty = false;
    }

    /// Ramp targets for the coming period.
    fn compute_targets(&mut self) {
        let p = self.params;
        let (e, l) = self.balance;
        let duck = if p.ducking_db > 0.0 {
            let env_db = if self.env > 0.0 {
                20.0 * self.env.log10()
            } else {
                DUCK_FLOOR_DBFS
            };
            let amount = ((env_db - DUCK_FLOOR_DBFS) / -DUCK_FLOOR_DBFS).clamp(0.0, 1.0);
            10f32.powf(-p.ducking_db * amount / 20.0)
        } else {
            1.0
        };
        self.targets[R_EARLY] = e;
        self.targets[R_LATE] = l;
        self.targets[R_WIDTH] = p.width;
        self.targets[R_MIX] = p.mix;
        self.targets[R_DUCK] = duck;
        // Bypass moves on the grid too, so the fade starts at the same
        // sample whatever the host's block size.
        self.active_step = if p.bypass {
            -self.fade_step
        } else {
            self.fade_step
        };
    }

    /// Grid work at the start of a control period.
    fn start_period(&mut self) {
        // The ramps landed on last period's targets.
        for (r, &v) in self.ramp.iter_mut().zip(&self.targets) {
            r.land(v);
        }
        if self.dirty {
            self.design();
        }
        let finite = self.damp.is_finite() && self.low_cut.is_finite() && self.high_cut.is_finite();
        if !finite || !self.env.is_finite() {
            self.reset();
            return;
        }
        // The follower is a serial recursion per sample, so it runs only
        // while ducking is on; switched on, it starts from silence and its
        // 5 ms attack catches up with the input.
        self.ducking = self.params.ducking_db > 0.0;
        if !self.ducking {
            self.env = 0.0;
        }
        // A finished crossfade hands over; new positions start one.
        if self.fading && self.fade_pos >= self.fade_len {
            self.taps[0] = self.taps[1];
            self.fading = false;
        }
        if !self.fading && self.taps[0] != self.tap_target {
            self.taps[1] = self.tap_target;
            self.fading = true;
            self.fade_pos = 0;
        }
        self.compute_targets();
        for (r, &v) in self.ramp.iter_mut().zip(&self.targets) {
            r.aim(v);
        }
    }

    /// Processes one or two channels in place (mono is summed to the
    /// network's both inputs and its outputs averaged). Realtime-safe.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        match channels {
            [] => {}
            [mono] => {
                let len = mono.len();
                let mut pos = 0;
                while pos < len {
                    let n = self.begin_segment(len - pos);
                    let mut l = [0.0f32; CONTROL_BLOCK];
                    l[..n].copy_from_slice(&mono[pos..pos + n]);
                    let mut r = l;
                    self.run_segment(&mut l[..n], &mut r[..n]);
                    for (o, (a, b)) in mono[pos..pos + n].iter_mut().zip(l.iter().zip(&r)) {
                        *o = 0.5 * (a + b);
                    }
                    self.clock.advance(n);
                    pos += n;
                }
            }
            [left, right, ..] => {
                let len = left.len().min(right.len());
                let mut pos = 0;
                while pos < len {
                    let n = self.begin_segment(len - pos);
                    self.run_segment(&mut left[pos..pos + n], &mut right[pos..pos + n]);
                    self.clock.advance(n);
                    pos += n;
                }
            }
        }
    }

    fn begin_segment(&mut self, left: usize) -> usize {
        if self.clock.phase() == 0 {
            self.start_period();
        }
        left.min(self.clock.samples_until_tick())
    }

    /// One segment (≤ one control period) of stereo audio in place.
    fn run_segment(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len()).min(CONTROL_BLOCK);
        let (left, right) = (&mut left[..n], &mut right[..n]);
        let mut dry: Sides = [[0.0; CONTROL_BLOCK]; 2];
        {
            let [d0, d1] = &mut dry;
            for ((d0, d1), (&l, &r)) in d0
                .iter_mut()
                .zip(d1.iter_mut())
                .zip(left.iter().zip(right.iter()))
            {
                *d0 = sanitise(l);
                *d1 = sanitise(r);
            }
        }
        // Ducking envelope: peak follower of the dry input.
        let mut env = self.env;
        let follow = if self.ducking { n } else { 0 };
        for (&l, &r) in dry[0][..follow].iter().zip(&dry[1][..follow]) {
            let peak = l.abs().max(r.abs());
            let coef = if peak > env {
                self.env_attack
            } else {
                self.env_release
            };
            env += (peak - env) * coef;
        }
        self.env = env;
        // Damping colours early and late alike, so the two keep the same
        // spectral balance.
        let mut damped = dry;
        {
            let [dl, dr] = &mut damped;
            self.damp.process_block(&mut dl[..n], &mut dr[..n]);
        }
        for (c, x) in damped.iter().enumerate() {
            self.pre.write(c, &x[..n]);
        }
        self.pre.advance(n);
        let mut early: Sides = [[0.0; CONTROL_BLOCK]; 2];
        let mut late_in: Sides = [[0.0; CONTROL_BLOCK]; 2];
        self.taps[0].read(&self.pre, n, &mut early, &mut late_in);
        if self.fading {
            let mut early_b: Sides = [[0.0; CONTROL_BLOCK]; 2];
            let mut late_b: Sides = [[0.0; CONTROL_BLOCK]; 2];
            self.taps[1].read(&self.pre, n, &mut early_b, &mut late_b);
            let scale = 1.0 / self.fade_len as f32;
            let from = self.fade_pos as usize + 1;
            for (a, b) in early
                .iter_mut()
                .chain(late_in.iter_mut())
                .zip(early_b.iter().chain(&late_b))
            {
                for (t, (a, &b)) in a[..n].iter_mut().zip(b).enumerate() {
                    let g = ((from + t) as f32 * scale).min(1.0);
                    *a += (b - *a) * g;
                }
            }
            self.fade_pos = (self.fade_pos + n as u32).min(self.fade_len);
        }
        for (d, x) in self.diffuser.iter_mut().zip(late_in.iter_mut()) {
            d.process_block(&mut x[..n]);
        }
        let mut late: Sides = [[0.0; CONTROL_BLOCK]; 2];
        {
            let [ll, lr] = &mut late;
            self.fdn.process(
                &late_in[0][..n],
                &late_in[1][..n],
                &mut ll[..n],
                &mut lr[..n],
            );
        }
        let mut ramp = self.ramp;
        let mut wet: Sides = [[0.0; CONTROL_BLOCK]; 2];
        let mut mix = [0.0f32; CONTROL_BLOCK];
        for t in 0..n {
            let (ge, gl) = (ramp[R_EARLY].next(), ramp[R_LATE].next());
            let w = ramp[R_WIDTH].next();
            mix[t] = ramp[R_MIX].next();
            let duck = ramp[R_DUCK].next();
            let wl = ge * early[0][t] + gl * late[0][t];
            let wr = ge * early[1][t] + gl * late[1][t];
            // Width: keep the mid, scale the side.
            let mid = 0.5 * (wl + wr);
            let side = 0.5 * (wl - wr) * w;
            let [a, b] = self
                .high_cut
                .process(self.low_cut.process([mid + side, mid - side]));
            wet[0][t] = a * duck;
            wet[1][t] = b * duck;
        }
        self.ramp = ramp;
        for (peak, side) in self.wet_peak.iter_mut().zip(&wet) {
            // `max` keeps the number when one side is NaN: NaN is never kept.
            *peak = side[..n].iter().fold(*peak, |m, v| m.max(v.abs()));
        }
        // Bypass scales the mix; settled on (the usual case) it is 1.
        if self.active < 1.0 || self.active_step < 0.0 {
            for m in &mut mix[..n] {
                *m *= self.active;
                self.active = (self.active + self.active_step).clamp(0.0, 1.0);
            }
        }
        for (t, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
            let (dl, dr) = (dry[0][t], dry[1][t]);
            *l = dl + (wet[0][t] - dl) * mix[t];
            *r = dr + (wet[1][t] - dr) * mix[t];
        }
    }
}
