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

use crate::biquad::{Biquad, BiquadCoefs, BUTTERWORTH_Q};
use crate::control::{ControlClock, CONTROL_BLOCK};
use crate::delay_line::DelayLine;
use crate::diffuser::Diffuser;
use crate::fdn::{Fdn, FdnParams};

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
/// Ramp indices: pre-delay, the early taps (left then right), gains.
const R_PRE: usize = 0;
const R_TAP: usize = 1;
const R_EARLY: usize = R_TAP + 2 * EARLY_TAPS;
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

/// The reverb kernel. `prepare` allocates; every other method is
/// realtime-safe.
#[derive(Clone, Debug)]
pub struct Reverb {
    fs: f32,
    params: ReverbParams,
    dirty: bool,
    clock: ControlClock,
    pre: [DelayLine; 2],
    damp: [Biquad; 2],
    diffuser: [Diffuser; 2],
    fdn: Fdn,
    low_cut: [Biquad; 2],
    high_cut: [Biquad; 2],
    /// Control-rate values ramped across each period, indexed by the
    /// `R_*` constants: read positions (pre-delay and every early tap, in
    /// whole samples once settled) and gains.
    ramp: [Ramp; N_RAMPS],
    /// Targets of the ramps for the period being run.
    targets: [f32; N_RAMPS],
    /// Early tap gains times their decay by the set mid-band T60 at the
    /// tap's time (10^(−3·t/T60), so the early pattern belongs to the same
    /// room as the late field and the response decays along one slope).
    tap_gain: [[f32; EARLY_TAPS]; 2],
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
            pre: Default::default(),
            damp: Default::default(),
            diffuser: Default::default(),
            fdn: Fdn::new(),
            low_cut: Default::default(),
            high_cut: Default::default(),
            ramp: [Ramp::default(); N_RAMPS],
            targets: [0.0; N_RAMPS],
            tap_gain: [[0.0; EARLY_TAPS]; 2],
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
        for line in &mut self.pre {
            line.prepare(max + 4);
        }
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
        for line in &mut self.pre {
            line.reset();
        }
        for f in self
            .damp
            .iter_mut()
            .chain(self.low_cut.iter_mut())
            .chain(self.high_cut.iter_mut())
        {
            f.reset();
        }
        for d in &mut self.diffuser {
            d.reset();
        }
        self.fdn.reset();
        self.clock.reset();
        self.env = 0.0;
        self.active = if self.params.bypass { 0.0 } else { 1.0 };
        self.active_step = 0.0;
        self.design();
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

    /// Filter coefficients from the parameters.
    fn design(&mut self) {
        let p = self.params;
        let fs = self.fs;
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
        for ((gains, times), level) in self.tap_gain.iter_mut().zip(&EARLY_MS).zip(&EARLY_GAIN) {
            for ((g, &ms), &a) in gains.iter_mut().zip(times).zip(level) {
                *g = a * 10f32.powf(-3.0 * ms * 1e-3 * p.size / p.decay_s);
            }
        }
        for c in 0..2 {
            self.damp[c].set_coefs(damp);
            self.low_cut[c].set_coefs(lc);
            self.high_cut[c].set_coefs(hc);
            self.diffuser[c].set_amount(p.diffusion);
        }
        self.dirty = false;
    }

    /// Ramp targets for the coming period.
    fn compute_targets(&mut self) {
        let p = self.params;
        let ms = self.fs * 1e-3;
        let (e, l) = p.balance_gains();
        let env_db = if self.env > 0.0 {
            20.0 * self.env.log10()
        } else {
            DUCK_FLOOR_DBFS
        };
        let amount = ((env_db - DUCK_FLOOR_DBFS) / -DUCK_FLOOR_DBFS).clamp(0.0, 1.0);
        let duck = 10f32.powf(-p.ducking_db * amount / 20.0);
        // Whole-sample positions: a settled read is then exact with an
        // integer read, and only a moving one needs interpolation.
        let pre = (p.pre_delay_ms * ms).round();
        self.targets[R_PRE] = pre;
        for (c, times) in EARLY_MS.iter().enumerate() {
            for (k, &t) in times.iter().enumerate() {
                self.targets[R_TAP + c * EARLY_TAPS + k] = pre + (t * p.size * ms).round();
            }
        }
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
        let finite = self
            .damp
            .iter()
            .chain(&self.low_cut)
            .chain(&self.high_cut)
            .all(|f| {
                let mut probe = f.clone();
                probe.process(0.0).is_finite()
            });
        if !finite || !self.env.is_finite() {
            self.reset();
            return;
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
        let n = left.len();
        let mut late_in = [[0.0f32; CONTROL_BLOCK]; 2];
        let mut early = [[0.0f32; CONTROL_BLOCK]; 2];
        let mut dry = [[0.0f32; CONTROL_BLOCK]; 2];
        // Settled positions are whole samples: integer reads, no ramps.
        let moving = self.ramp[R_PRE..R_TAP + 2 * EARLY_TAPS]
            .iter()
            .any(|r| r.step != 0.0);
        let pre_pos = self.ramp[R_PRE].now as usize;
        let mut positions = [[0usize; EARLY_TAPS]; 2];
        for (c, side) in positions.iter_mut().enumerate() {
            for (k, pos) in side.iter_mut().enumerate() {
                *pos = self.ramp[R_TAP + c * EARLY_TAPS + k].now as usize;
            }
        }
        for k in 0..n {
            let x = [sanitise(left[k]), sanitise(right[k])];
            dry[0][k] = x[0];
            dry[1][k] = x[1];
            // Ducking envelope: peak follower of the dry input.
            let peak = x[0].abs().max(x[1].abs());
            let coef = if peak > self.env {
                self.env_attack
            } else {
                self.env_release
            };
            self.env += (peak - self.env) * coef;
            if moving {
                let pre = self.ramp[R_PRE].next();
                for c in 0..2 {
                    // Damping colours early and late alike, so the two keep
                    // the same spectral balance.
                    let line = &mut self.pre[c];
                    line.push(self.damp[c].process(x[c]));
                    let mut e = 0.0;
                    for (r, &g) in self.ramp[R_TAP + c * EARLY_TAPS..][..EARLY_TAPS]
                        .iter_mut()
                        .zip(&self.tap_gain[c])
                    {
                        e += g * line.read_cubic(r.next());
                    }
                    early[c][k] = e;
                    late_in[c][k] = self.diffuser[c].process(line.read_cubic(pre));
                }
            } else {
                for c in 0..2 {
                    let line = &mut self.pre[c];
                    line.push(self.damp[c].process(x[c]));
                    let mut e = 0.0;
                    for (&pos, &g) in positions[c].iter().zip(&self.tap_gain[c]) {
                        e += g * line.read(pos);
                    }
                    early[c][k] = e;
                    late_in[c][k] = self.diffuser[c].process(line.read(pre_pos));
                }
            }
        }
        let mut late = [[0.0f32; CONTROL_BLOCK]; 2];
        {
            let [ll, lr] = &mut late;
            self.fdn.process(
                &late_in[0][..n],
                &late_in[1][..n],
                &mut ll[..n],
                &mut lr[..n],
            );
        }
        for k in 0..n {
            let (ge, gl) = (self.ramp[R_EARLY].next(), self.ramp[R_LATE].next());
            let w = self.ramp[R_WIDTH].next();
            let mix = self.ramp[R_MIX].next();
            let duck = self.ramp[R_DUCK].next();
            let on = self.active;
            self.active = (on + self.active_step).clamp(0.0, 1.0);
            let wl = ge * early[0][k] + gl * late[0][k];
            let wr = ge * early[1][k] + gl * late[1][k];
            // Width: keep the mid, scale the side.
            let mid = 0.5 * (wl + wr);
            let side = 0.5 * (wl - wr) * w;
            let mut wet = [mid + side, mid - side];
            for ((w, lc), hc) in wet
                .iter_mut()
                .zip(&mut self.low_cut)
                .zip(&mut self.high_cut)
            {
                *w = hc.process(lc.process(*w)) * duck;
            }
            for (p, w) in self.wet_peak.iter_mut().zip(&wet) {
                // NaN compares false and is never kept.
                if w.abs() > *p {
                    *p = w.abs();
                }
            }
            let mix = mix * on;
            left[k] = dry[0][k] + (wet[0] - dry[0][k]) * mix;
            right[k] = dry[1][k] + (wet[1] - dry[1][k]) * mix;
        }
    }
}
