//! A stereo delay with tempo sync, ping-pong, dual and multi-tap modes, tape
//! and bucket-brigade character, and click-free time changes.
//!
//! # Signal flow
//!
//! Each delay line stores what is *written* into it, and every repeat is
//! read back from a line. What goes in is the input plus the fed-back
//! repeat, through the loop's shaping stage:
//!
//! ```text
//! w[n] = shape(g_in · x[n] + fb · y[n])      (written into the line)
//! y[n] = w[n − D]                            (the repeat, read back)
//! shape = diffusion → high-pass → low-pass → character tone → soft clip
//! ```
//!
//! so the first repeat has been shaped once, the n-th n times (repeats
//! darken and thin out as they should), and in the clean character with the
//! filters open `shape` is the identity below 0 dBFS: repeat n is exactly
//! `fb^(n−1)` times the first, at exactly `n · D` samples.
//!
//! - **Stereo**: one line per channel; the right channel's time is offset by
//!   the L/R offset.
//! - **Ping-pong**: the mono sum enters the left line; the left line feeds
//!   the right, the right feeds back into the left, so repeats alternate
//!   sides.
//! - **Dual**: left and right with their own time and feedback.
//! - **Multi-tap**: one line, up to [`MAX_TAPS`] taps evenly spread over the
//!   pattern length (the set time), each with a level and a pan; the last
//!   tap feeds back, so the pattern repeats every `time`.
//!
//! Swing (synced times only) lengthens the first step of every pair and
//! shortens the second by as much (see [`crate::tempo::swing_pair`]). In the
//! stereo and dual modes the loop then spans a pair of repeats (`2·T`) with a
//! second read at the swung point; its loop gain is `fb²` and the tap at `2·T`
//! is scaled by `fb`, so repeats still fall by `fb` each. The shaping stage
//! then runs once per pair of repeats (repeats 1 and 2 are shaped once, 3
//! and 4 twice, ...): the price of keeping one line per channel.
//!
//! # Time changes
//!
//! A new delay time never jumps the read position. With
//! [`TimeChange::Glide`] the read position moves towards the new time like a
//! tape machine changing speed: a one-pole approach (τ = [`GLIDE_TAU_MS`])
//! whose speed is capped at [`MAX_GLIDE_RATE`] samples per sample (the pitch
//! bends by at most that fraction) and changes with τ = [`GLIDE_ONSET_MS`]
//! (the bend eases in and out). With [`TimeChange::Crossfade`] a second
//! read starts at the new time and the two are crossfaded over
//! [`CROSSFADE_MS`] with a smoothstep curve (continuous value and slope at
//! both ends), so the pitch never changes.
//!
//! The loop filters' cut-offs glide in log frequency (τ =
//! [`CUTOFF_GLIDE_MS`]) with their coefficients interpolated per sample, and
//! a filter switched into the loop fades in, so filter automation does not
//! click either. The diffuser delays what enters the line by the length of
//! its stages; the reads are shortened by as much, so diffused repeats stay
//! centred on the set time.
//!
//! Reads use the 4-point Hermite interpolator of
//! [`DelayLine::read_cubic_split`] with the position kept in f64.
//!
//! # Block-size independence
//!
//! Parameters, tempo-derived times, modulation and gain ramps are updated on
//! the fixed [`CONTROL_BLOCK`] grid counted from `reset()`; per-sample state
//! is carried across host blocks, so the same input gives bit-identical
//! output at any host block size.

use crate::control::{ControlClock, CONTROL_BLOCK};
use crate::delay_line::DelayLine;
use crate::diffuser::Diffuser;
use crate::envelope::EnvelopeFollower;
use crate::saturation::SoftClip;
use crate::svf::{Svf, SvfCoefs, SvfMode};
use crate::tape::{WowFlutter, MAX_DEVIATION_MS};
use crate::tempo::{swing_pair, Note, STRAIGHT_SWING};

/// Shortest delay time, ms.
pub const MIN_TIME_MS: f32 = 1.0;
/// Longest delay time, ms.
pub const MAX_TIME_MS: f32 = 4000.0;
/// Largest feedback, as a fraction (110 %).
pub const MAX_FEEDBACK: f32 = 1.1;
/// High-pass cutoffs at or below this (Hz) switch the high-pass off.
pub const HPF_OFF_HZ: f32 = 20.0;
/// Low-pass cutoffs at or above this (Hz) switch the low-pass off.
pub const LPF_OFF_HZ: f32 = 20_000.0;
/// Most taps in the multi-tap mode.
pub const MAX_TAPS: usize = 8;
/// Time constant of a glide to a new delay time, ms.
pub const GLIDE_TAU_MS: f32 = 120.0;
/// Fastest glide, samples of delay change per sample (the pitch bends by at
/// most ±50 %).
pub const MAX_GLIDE_RATE: f64 = 0.5;
/// Time constant with which a glide's speed changes, ms: the pitch bends
/// in and out smoothly rather than in a step.
pub const GLIDE_ONSET_MS: f32 = 15.0;
/// Time constant of the loop filters' cut-off glide, ms.
pub const CUTOFF_GLIDE_MS: f32 = 15.0;
/// Length of a crossfade to a new delay time, ms.
pub const CROSSFADE_MS: f32 = 50.0;
/// Length of a full-scale gain ramp (mix, feedback, tap levels, freeze,
/// bypass, mode change), ms.
pub const RAMP_MS: f32 = 20.0;
/// The longest loop a line must hold: a swung pair of the longest time with
/// the largest offset is clamped to this, ms.
pub const MAX_LOOP_MS: f32 = 2.0 * MAX_TIME_MS;
/// Bucket-brigade stages of the analog character (an MN3005 has 4096): its
/// clock, and so its bandwidth, falls as the delay grows.
pub const BBD_STAGES: f32 = 4096.0;
/// Input samples are clamped to ±this (linear, +36 dBFS) before they enter
/// a line, so absurd finite input cannot overflow the loop.
pub const INPUT_LIMIT: f32 = 64.0;
/// Dry level (linear peak envelope, −40 dBFS) above which ducking starts.
pub const DUCK_THRESHOLD: f32 = 0.01;
/// Ducking law: at full amount the repeats are scaled by
/// `1 / (1 + DUCK_SENSITIVITY · (env − DUCK_THRESHOLD))`, −6 dB at a dry
/// envelope of 0.06 (−24 dBFS), −21 dB at 0.5.
pub const DUCK_SENSITIVITY: f32 = 20.0;
/// Ducking envelope attack and release, ms.
pub const DUCK_ATTACK_MS: f32 = 10.0;
/// See [`DUCK_ATTACK_MS`].
pub const DUCK_RELEASE_MS: f32 = 250.0;
/// Repeats are counted down to this level (dB) for the tail length.
pub const TAIL_FLOOR_DB: f32 = -100.0;
/// Longest finite tail reported, seconds.
pub const MAX_TAIL_S: f32 = 600.0;

/// How the channels and repeats are routed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EchoMode {
    /// One line per channel, right time offset by the L/R offset.
    #[default]
    Stereo,
    /// Mono in, repeats alternating left and right.
    PingPong,
    /// Independent left and right times and feedback.
    Dual,
    /// Up to [`MAX_TAPS`] taps over the pattern length.
    MultiTap,
}

/// The sound of the loop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Character {
    /// Transparent: a soft clip above 0 dBFS only.
    #[default]
    Clean,
    /// Tape: saturation from −10 dBFS, a gentle 9 kHz roll-off per pass.
    Tape,
    /// Bucket-brigade: a low-pass at 40 % of the BBD's Nyquist frequency for
    /// the set time ([`BBD_STAGES`]), so long delays are darker, and
    /// saturation from −8 dBFS.
    Analog,
}

/// What a change of delay time does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeChange {
    /// The read position glides (pitch bends like a tape machine).
    #[default]
    Glide,
    /// The old and new times are crossfaded (no pitch change).
    Crossfade,
}

/// One tap of the multi-tap mode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tap {
    /// Level, 0..=1 (linear).
    pub level: f32,
    /// Pan, −1 (left) ..= 1 (right), constant-power.
    pub pan: f32,
}

/// Parameters in physical units. Out-of-range values are clamped, NaN
/// values fall back to the defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EchoParams {
    /// Routing.
    pub mode: EchoMode,
    /// Delay time, ms, [`MIN_TIME_MS`]..=[`MAX_TIME_MS`] (default 375);
    /// the left time in dual mode; used when `sync` is off or the tempo is
    /// not usable.
    pub time_ms: f32,
    /// Right time in dual mode, ms (default 500).
    pub time_r_ms: f32,
    /// Take the time from `note` at `tempo_bpm`.
    pub sync: bool,
    /// Synced time (left in dual mode).
    pub note: Note,
    /// Synced right time in dual mode.
    pub note_r: Note,
    /// Host tempo, beats per minute; 0 (or anything outside 1..=999) means
    /// no usable transport, and the times in ms apply.
    pub tempo_bpm: f64,
    /// L/R offset, −0.5..=0.5 of the time: positive delays the right
    /// channel by that fraction more, negative the left (default 0; the
    /// stereo and ping-pong modes only).
    pub offset: f32,
    /// Swing of synced times, 0.5 (straight) ..= 0.75 (default 0.5).
    pub swing: f32,
    /// Feedback, 0..=[`MAX_FEEDBACK`] (left in dual mode; default 0.4).
    pub feedback: f32,
    /// Right feedback in dual mode, 0..=[`MAX_FEEDBACK`] (default 0.4).
    pub feedback_r: f32,
    /// High-pass in the loop, Hz; ≤ [`HPF_OFF_HZ`] is off (default off).
    pub hpf_hz: f32,
    /// Low-pass in the loop, Hz; ≥ [`LPF_OFF_HZ`] is off (default off).
    pub lpf_hz: f32,
    /// Loop character.
    pub character: Character,
    /// Wow and flutter depth, 0..=1 (default 0).
    pub wow: f32,
    /// Diffusion, 0..=1 (default 0).
    pub diffusion: f32,
    /// Ducking of the repeats under the dry signal, 0..=1 (default 0).
    pub ducking: f32,
    /// Hold what is in the loop: no new input, loop gain 1, tone stage
    /// bypassed.
    pub freeze: bool,
    /// Glide or crossfade on time changes.
    pub change: TimeChange,
    /// Dry/wet, 0..=1: dry stays at unity up to 0.5 and falls to 0 at 1,
    /// wet rises from 0 to unity at 0.5 and stays (default 0.3).
    pub mix: f32,
    /// Taps in use in the multi-tap mode, 1..=[`MAX_TAPS`] (default 4).
    pub taps: usize,
    /// The taps' levels and pans.
    pub tap: [Tap; MAX_TAPS],
    /// Pass the input through untouched (crossfaded over [`RAMP_MS`]); the
    /// loop takes no new input meanwhile.
    pub bypass: bool,
}

impl Default for EchoParams {
    fn default() -> Self {
        let levels = [1.0, 0.6, 0.8, 0.45, 0.7, 0.35, 0.55, 0.3];
        let pans = [-0.6, 0.6, -0.3, 0.3, -0.8, 0.8, 0.0, 0.0];
        let mut tap = [Tap {
            level: 1.0,
            pan: 0.0,
        }; MAX_TAPS];
        for (t, (l, p)) in tap.iter_mut().zip(levels.into_iter().zip(pans)) {
            *t = Tap { level: l, pan: p };
        }
        Self {
            mode: EchoMode::Stereo,
            time_ms: 375.0,
            time_r_ms: 500.0,
            sync: false,
            note: Note::default(),
            note_r: Note::default(),
            tempo_bpm: 0.0,
            offset: 0.0,
            swing: STRAIGHT_SWING,
            feedback: 0.4,
            feedback_r: 0.4,
            hpf_hz: HPF_OFF_HZ,
            lpf_hz: LPF_OFF_HZ,
            character: Character::Clean,
            wow: 0.0,
            diffusion: 0.0,
            ducking: 0.0,
            freeze: false,
            change: TimeChange::Glide,
            mix: 0.3,
            taps: 4,
            tap,
            bypass: false,
        }
    }
}

fn clean(v: f32, default: f32, min: f32, max: f32) -> f32 {
    if v.is_nan() {
        default
    } else {
        v.clamp(min, max)
    }
}

/// Delay times after tempo sync, before swing and offset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    /// Left (or only) time, ms, within [`MIN_TIME_MS`]..=[`MAX_TIME_MS`].
    pub left_ms: f64,
    /// Right time, ms (equal to `left_ms` outside the dual mode).
    pub right_ms: f64,
    /// The times come from the tempo (sync on and a usable tempo).
    pub synced: bool,
}

impl EchoParams {
    /// The same parameters with every value clamped to its range and NaN
    /// replaced by the default.
    pub fn sanitized(&self) -> Self {
        let d = Self::default();
        let mut p = *self;
        if !p.tempo_bpm.is_finite() {
            p.tempo_bpm = 0.0;
        }
        p.time_ms = clean(p.time_ms, d.time_ms, MIN_TIME_MS, MAX_TIME_MS);
        p.time_r_ms = clean(p.time_r_ms, d.time_r_ms, MIN_TIME_MS, MAX_TIME_MS);
        p.offset = clean(p.offset, 0.0, -0.5, 0.5);
        p.swing = clean(
            p.swing,
            STRAIGHT_SWING,
            STRAIGHT_SWING,
            crate::tempo::MAX_SWING,
        );
        p.feedback = clean(p.feedback, d.feedback, 0.0, MAX_FEEDBACK);
        p.feedback_r = clean(p.feedback_r, d.feedback_r, 0.0, MAX_FEEDBACK);
        p.hpf_hz = clean(p.hpf_hz, HPF_OFF_HZ, 0.0, 20_000.0);
        p.lpf_hz = clean(p.lpf_hz, LPF_OFF_HZ, 20.0, 100_000.0);
        p.wow = clean(p.wow, 0.0, 0.0, 1.0);
        p.diffusion = clean(p.diffusion, 0.0, 0.0, 1.0);
        p.ducking = clean(p.ducking, 0.0, 0.0, 1.0);
        p.mix = clean(p.mix, d.mix, 0.0, 1.0);
        p.taps = p.taps.clamp(1, MAX_TAPS);
        for t in &mut p.tap {
            t.level = clean(t.level, 1.0, 0.0, 1.0);
            t.pan = clean(t.pan, 0.0, -1.0, 1.0);
        }
        p
    }

    /// Base delay times: from the notes when `sync` is on and `tempo_bpm`
    /// is usable, else from the times in ms; clamped to
    /// [`MIN_TIME_MS`]..=[`MAX_TIME_MS`].
    pub fn timing(&self) -> Timing {
        let clamp = |ms: f64| ms.clamp(f64::from(MIN_TIME_MS), f64::from(MAX_TIME_MS));
        let synced = self.sync && crate::tempo::valid_tempo(self.tempo_bpm).is_some();
        let (l, r) = if synced {
            (
                self.note.ms_at(self.tempo_bpm).unwrap_or(375.0),
                self.note_r.ms_at(self.tempo_bpm).unwrap_or(500.0),
            )
        } else {
            (f64::from(self.time_ms), f64::from(self.time_r_ms))
        };
        let l = clamp(if l.is_nan() { 375.0 } else { l });
        let r = clamp(if r.is_nan() { 500.0 } else { r });
        Timing {
            left_ms: l,
            right_ms: if self.mode == EchoMode::Dual { r } else { l },
            synced,
        }
    }

    /// Swing in effect: the set swing for synced times, straight otherwise.
    fn effective_swing(&self, timing: &Timing) -> f32 {
        if timing.synced {
            self.swing
        } else {
            STRAIGHT_SWING
        }
    }

    /// Dry and wet gains of `mix` (see [`EchoParams::mix`]).
    pub fn mix_gains(&self) -> (f32, f32) {
        let m = clean(self.mix, 0.3, 0.0, 1.0);
        ((2.0 * (1.0 - m)).min(1.0), (2.0 * m).min(1.0))
    }
}

/// One repeat of an impulse, as the editor draws it and tests expect it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Repeat {
    /// Time after the input, ms.
    pub time_ms: f64,
    /// Gain to the left output (after the wet gain; filters, saturation and
    /// diffusion not included).
    pub left: f32,
    /// Gain to the right output.
    pub right: f32,
    /// Times this repeat has been through the loop's shaping stage (1 for
    /// the first repeat); its spectrum is [`shaping_magnitude`] to this
    /// power.
    pub passes: u32,
}

/// The character tone's low-pass corner, Hz, for `character` at a base
/// time of `base_ms` (`None` for the clean character).
fn tone_cutoff_hz(character: Character, base_ms: f32) -> Option<f32> {
    match character {
        Character::Clean => None,
        Character::Tape => Some(9_000.0),
        // BBD Nyquist = stages / (2 · time); the anti-alias and
        // reconstruction filters sit at about 40 % of it.
        Character::Analog => {
            Some((0.4 * BBD_STAGES / (2.0 * base_ms * 1e-3)).clamp(400.0, 12_000.0))
        }
    }
}

/// Magnitude (linear) of one pass through the loop's shaping stage at
/// `freq_hz`, for `params` at `sample_rate` Hz: the high-pass, low-pass and
/// character tone as designed (diffusion is an allpass, magnitude 1; the
/// soft clip is left out: it only acts on loud signals). Repeat n carries
/// this to the power of its [`Repeat::passes`] on top of its gain.
pub fn shaping_magnitude(params: &EchoParams, sample_rate: f32, freq_hz: f32) -> f32 {
    use crate::response::FrequencyResponse;
    let p = params.sanitized();
    let nyq = 0.45 * sample_rate;
    let mut m = 1.0f32;
    let q = core::f32::consts::FRAC_1_SQRT_2;
    let mut stage = |hz: f32, q: f32, mode: SvfMode| {
        if let Some(c) = SvfCoefs::new(sample_rate, hz.min(nyq), q, mode, 0.0) {
            m *= c.response(freq_hz, sample_rate).0;
        }
    };
    if p.hpf_hz > HPF_OFF_HZ {
        stage(p.hpf_hz, q, SvfMode::Highpass);
    }
    if p.lpf_hz < LPF_OFF_HZ {
        stage(p.lpf_hz, q, SvfMode::Lowpass);
    }
    if let Some(hz) = tone_cutoff_hz(p.character, p.timing().left_ms as f32) {
        stage(hz, 0.6, SvfMode::Lowpass);
    }
    m
}

/// Constant-power pan gains for `pan` in −1..=1.
fn pan_gains(pan: f32) -> (f32, f32) {
    let a = (pan.clamp(-1.0, 1.0) + 1.0) * core::f32::consts::FRAC_PI_4;
    (a.cos(), a.sin())
}

/// Multi-tap output normalisation: taps sum to at most `√taps` times one
/// tap, so their sum is scaled by 1/√taps.
fn tap_norm(taps: usize) -> f32 {
    1.0 / (taps.max(1) as f32).sqrt()
}

/// Writes the first repeats of an impulse of unit height in both inputs,
/// in time order, into `out` and returns how many were written (fewer when
/// they fall below −100 dB or past `horizon_ms`). Closed form from the
/// routing: delay times after sync, swing and offset, and gains `fb^k`
/// times the wet gain; freeze and the tone stage are not modelled.
pub fn repeat_pattern(params: &EchoParams, horizon_ms: f64, out: &mut [Repeat]) -> usize {
    let p = params.sanitized();
    let timing = p.timing();
    let swing = p.effective_swing(&timing);
    let (_, wet) = p.mix_gains();
    let floor = 1e-5f32;
    let (off_l, off_r) = offsets(p.mode, p.offset);
    let swung = swing != STRAIGHT_SWING;
    let mut n = 0;
    let cap = out.len();
    let mut push = |r: Repeat, n: &mut usize| {
        if *n < out.len() && r.time_ms <= horizon_ms {
            out[*n] = r;
            *n += 1;
        }
    };
    match p.mode {
        EchoMode::Stereo | EchoMode::Dual => {
            let (fb_l, fb_r) = if p.mode == EchoMode::Dual {
                (p.feedback, p.feedback_r)
            } else {
                (p.feedback, p.feedback)
            };
            for (c, (base, fb, off)) in [
                (timing.left_ms, fb_l, off_l),
                (timing.right_ms, fb_r, off_r),
            ]
            .into_iter()
            .enumerate()
            {
                let (a, b) = swing_pair(base * off, swing);
                let (mut t, mut g) = (0.0, wet);
                for k in 0..cap {
                    t += if k % 2 == 0 { a } else { b };
                    if g < floor || t > horizon_ms {
                        break;
                    }
                    let (l, r) = if c == 0 { (g, 0.0) } else { (0.0, g) };
                    // A swung loop shapes once per pair of repeats.
                    let passes = if swung { k / 2 + 1 } else { k + 1 };
                    push(
                        Repeat {
                            time_ms: t,
                            left: l,
                            right: r,
                            passes: passes as u32,
                        },
                        &mut n,
                    );
                    g *= fb.min(1.0);
                }
            }
        }
        EchoMode::PingPong => {
            let (a, b) = swing_pair(timing.left_ms, swing);
            let (a, b) = (a * off_l, b * off_r);
            let (mut t, mut g) = (0.0, wet);
            for k in 0..cap {
                t += if k % 2 == 0 { a } else { b };
                if g < floor || t > horizon_ms {
                    break;
                }
                let (l, r) = if k % 2 == 0 { (g, 0.0) } else { (0.0, g) };
                push(
                    Repeat {
                        time_ms: t,
                        left: l,
                        right: r,
                        passes: k as u32 + 1,
                    },
                    &mut n,
                );
                g *= p.feedback.min(1.0);
            }
        }
        EchoMode::MultiTap => {
            let norm = tap_norm(p.taps) * wet;
            let mut g = 1.0f32;
            let mut pass = 0.0;
            let mut passes = 1u32;
            'outer: while n < cap {
                for k in 0..p.taps {
                    let t = pass + tap_ms(timing.left_ms, k, p.taps, swing);
                    if g < floor || t > horizon_ms {
                        break 'outer;
                    }
                    let (l, r) = pan_gains(p.tap[k].pan);
                    let lvl = g * p.tap[k].level * norm;
                    push(
                        Repeat {
                            time_ms: t,
                            left: lvl * l,
                            right: lvl * r,
                            passes,
                        },
                        &mut n,
                    );
                }
                pass += timing.left_ms;
                passes += 1;
                g *= p.feedback.min(1.0);
                if g == 0.0 {
                    break;
                }
            }
        }
    }
    out[..n].sort_unstable_by(|a, b| a.time_ms.total_cmp(&b.time_ms));
    n
}

/// Time factors of the L/R offset: (left, right). The dual mode sets each
/// side's time itself and ignores the offset.
fn offsets(mode: EchoMode, offset: f32) -> (f64, f64) {
    if mode == EchoMode::Dual {
        return (1.0, 1.0);
    }
    let o = f64::from(offset);
    if o >= 0.0 {
        (1.0, 1.0 + o)
    } else {
        (1.0 - o, 1.0)
    }
}

/// Time of tap `k` (0-based) of `taps` over a pattern of `pattern_ms`:
/// evenly spaced, every odd-numbered step (k = 0, 2, ...) lengthened by the
/// swing and the next one shortened; the last tap stays at the pattern end.
fn tap_ms(pattern_ms: f64, k: usize, taps: usize, swing: f32) -> f64 {
    let step = pattern_ms / taps as f64;
    let (a, _) = swing_pair(step, swing);
    let end = step * (k + 1) as f64;
    if k.is_multiple_of(2) && k + 1 < taps {
        end - step + a
    } else {
        end
    }
}

/// A gain stepped on the control grid: each period it moves towards its
/// target by at most `max_delta` and is interpolated linearly per sample,
/// landing exactly on the period's value at its end.
#[derive(Clone, Copy, Debug, Default)]
struct Ramp {
    value: f32,
    step: f32,
    end: f32,
    max_delta: f32,
}

impl Ramp {
    fn reset(&mut self, v: f32) {
        self.value = v;
        self.end = v;
        self.step = 0.0;
    }

    /// At the start of a period: the value to reach at its end.
    fn period(&mut self, target: f32) {
        self.value = self.end;
        let d = (target - self.end).clamp(-self.max_delta, self.max_delta);
        self.end = if (target - self.end).abs() <= self.max_delta {
            target
        } else {
            self.end + d
        };
        self.step = (self.end - self.value) / CONTROL_BLOCK as f32;
    }

    #[inline]
    fn next(&mut self) -> f32 {
        self.value += self.step;
        self.value
    }

    /// Jumps to the period's end value (called when a period completes, so
    /// rounding in the per-sample steps never accumulates).
    fn land(&mut self) {
        self.value = self.end;
    }

    fn moving(&self) -> bool {
        self.step != 0.0
    }
}

/// A filter cut-off that glides to its target on the control grid, in
/// the log-frequency domain (equal steps per octave).
#[derive(Clone, Copy, Debug)]
struct CutoffGlide {
    now: f32,
    target: f32,
}

impl CutoffGlide {
    fn new(hz: f32) -> Self {
        Self {
            now: hz,
            target: hz,
        }
    }

    /// One period's step (`coef` of the remaining log distance), or the
    /// whole way with `jump`; lands within 0.01 % and snaps. Returns
    /// whether the coefficients need designing (always after a jump).
    fn advance(&mut self, coef: f32, jump: bool) -> bool {
        if jump {
            self.now = self.target;
            return true;
        }
        if self.now == self.target {
            return false;
        }
        let (now, target) = (self.now.max(1.0).ln(), self.target.max(1.0).ln());
        let d = target - now;
        self.now = if jump || d.abs() < 1e-4 || !d.is_finite() {
            self.target
        } else {
            (now + coef * d).exp()
        };
        true
    }
}

/// A read position that changes without clicks.
#[derive(Clone, Copy, Debug, Default)]
struct Head {
    /// Delay in samples (the one being faded in, during a crossfade).
    cur: f64,
    /// Where the time is going.
    target: f64,
    /// Delay being faded out.
    old: f64,
    /// Crossfade progress 0..1; ≥ 1 when no crossfade runs.
    fade: f32,
    /// Glide speed, samples of delay per sample.
    vel: f64,
}

impl Head {
    fn snap(&mut self, d: f64) {
        self.vel = 0.0;
        self.cur = d;
        self.target = d;
        self.old = d;
        self.fade = 1.0;
    }
}

/// Per-channel loop shaping: diffusion, filters, character tone.
#[derive(Clone, Debug, Default)]
struct Shaper {
    diffuser: Diffuser,
    hpf: Svf,
    lpf: Svf,
    tone: Svf,
    /// How far the low-pass has faded in since it was switched on, 0..=1.
    lpf_in: f32,
    /// How far the high-pass has faded in since it was switched on, 0..=1.
    hpf_in: f32,
}

/// Samples over which a filter switched into the loop fades in (its state
/// can only approximate the running signal's).
const FILTER_FADE_IN: f32 = 256.0;

/// What the control grid decided for the current period.
#[derive(Clone, Copy, Debug, Default)]
struct Period {
    diffuse: bool,
    hpf: bool,
    lpf: bool,
    tone: bool,
    duck: bool,
    /// A swung loop (stereo/dual): a mid read and loop gain fb².
    swung: bool,
    /// High-pass, low-pass, tone cut-offs gliding in this period.
    cut_ramp: [bool; 3],
    /// Modulation offset at the start and its per-sample slope, samples.
    mod_start: f64,
    mod_slope: f64,
}

/// The delay kernel; see the [module documentation](self).
pub struct Echo {
    fs: f32,
    lines: [DelayLine; 2],
    /// Stereo/dual: 0, 1 loop reads (L, R), 2, 3 swung mid reads.
    /// Ping-pong: 0 left line, 1 right line. Multi-tap: one per tap.
    heads: [Head; MAX_TAPS],
    shapers: [Shaper; 2],
    clip: SoftClip,
    wow: WowFlutter,
    mod_now: f64,
    duck_env: EnvelopeFollower,
    clock: ControlClock,
    pending: EchoParams,
    active: EchoParams,
    /// Mode in effect (changes when the mode gate has closed).
    mode: EchoMode,
    /// Character in effect (changes when the tone stage has faded out).
    character: Character,
    /// Diffuser in the loop (switches when the tone stage has faded out).
    diffuse: bool,
    period: Period,
    /// Nothing moves in this period: [`Echo::run_still`] applies.
    still: bool,
    /// Tests set this to compare the fast path with the general one.
    general_only: bool,
    /// Only silence has entered since `reset()`: new settings apply at
    /// once (there is nothing to glide or fade), so a host that sets its
    /// parameters or tempo after activation gets them from the first
    /// sample.
    fresh: bool,
    phase: usize,
    fb: [Ramp; 2],
    fb_mid: [Ramp; 2],
    input: Ramp,
    dry: Ramp,
    wet: Ramp,
    duck: Ramp,
    shape_mix: Ramp,
    gate: Ramp,
    bypass: Ramp,
    tap_gain: [[Ramp; 2]; MAX_TAPS],
    glide_coef: f64,
    glide_vel_coef: f64,
    fade_inc: f32,
    max_delay: f64,
    /// Filter settings in effect, to recompute only on change.
    tone_key: (f32, f32, Character, u32),
    /// High-pass, low-pass and character-tone cut-offs, gliding.
    cutoffs: [CutoffGlide; 3],
    /// Their coefficients at the start and end of this period (a glide is
    /// interpolated per sample between the two).
    cut_from: [SvfCoefs; 3],
    cut_to: [SvfCoefs; 3],
    /// Per-period glide coefficient of the cut-offs.
    cutoff_coef: f32,
    /// Parameters, mode and character the cached targets were made for.
    cache_key: Option<(EchoParams, EchoMode, Character, bool)>,
    cache_targets: Targets,
    cache_gains: [f32; N_RAMPS],
}

impl Default for Echo {
    fn default() -> Self {
        Self::new()
    }
}

impl Echo {
    /// A kernel with no buffers yet; call [`prepare`](Self::prepare).
    pub fn new() -> Self {
        Self {
            fs: 48_000.0,
            lines: [DelayLine::new(), DelayLine::new()],
            heads: [Head::default(); MAX_TAPS],
            shapers: [Shaper::default(), Shaper::default()],
            clip: SoftClip::default(),
            wow: WowFlutter::default(),
            mod_now: 0.0,
            duck_env: EnvelopeFollower::new(),
            clock: ControlClock::default(),
            pending: EchoParams::default(),
            active: EchoParams::default(),
            mode: EchoMode::Stereo,
            character: Character::Clean,
            diffuse: false,
            period: Period::default(),
            still: false,
            general_only: false,
            fresh: true,
            phase: 0,
            fb: [Ramp::default(); 2],
            fb_mid: [Ramp::default(); 2],
            input: Ramp::default(),
            dry: Ramp::default(),
            wet: Ramp::default(),
            duck: Ramp::default(),
            shape_mix: Ramp::default(),
            gate: Ramp::default(),
            bypass: Ramp::default(),
            tap_gain: [[Ramp::default(); 2]; MAX_TAPS],
            glide_coef: 0.0,
            glide_vel_coef: 1.0,
            fade_inc: 1.0,
            max_delay: 1.0,
            tone_key: (f32::NAN, f32::NAN, Character::Clean, 0),
            cutoffs: [
                CutoffGlide::new(HPF_OFF_HZ),
                CutoffGlide::new(LPF_OFF_HZ),
                CutoffGlide::new(9_000.0),
            ],
            cutoff_coef: 1.0,
            cut_from: [SvfCoefs::identity(); 3],
            cut_to: [SvfCoefs::identity(); 3],
            cache_key: None,
            cache_targets: Targets::default(),
            cache_gains: [0.0; N_RAMPS],
        }
    }

    /// Allocates the lines for `sample_rate` Hz (finite, > 0; otherwise
    /// 48 kHz): [`MAX_LOOP_MS`] plus the largest wow deviation, so no
    /// setting can ask for more than the buffer holds. `_max_block` and
    /// `_channels` are accepted for the common kernel signature (any block
    /// length works; one or two channels). Then resets.
    pub fn prepare(&mut self, sample_rate: f32, _max_block: usize, _channels: usize) {
        self.fs = if sample_rate.is_finite() && sample_rate > 0.0 {
            sample_rate
        } else {
            48_000.0
        };
        let ms = MAX_LOOP_MS + 2.0 * MAX_DEVIATION_MS + 10.0;
        let cap = (f64::from(ms) * f64::from(self.fs) * 1e-3).ceil() as usize;
        for line in &mut self.lines {
            line.prepare(cap);
        }
        self.max_delay = cap as f64;
        for s in &mut self.shapers {
            s.diffuser.prepare(self.fs);
        }
        self.wow.prepare(self.fs / CONTROL_BLOCK as f32);
        self.duck_env.prepare(self.fs);
        self.duck_env.set_attack_ms(DUCK_ATTACK_MS);
        self.duck_env.set_release_ms(DUCK_RELEASE_MS);
        self.cutoff_coef =
            1.0 - (-(CONTROL_BLOCK as f32) / (CUTOFF_GLIDE_MS * 1e-3 * self.fs)).exp();
        let tau = f64::from(GLIDE_TAU_MS) * 1e-3 * f64::from(self.fs);
        self.glide_coef = 1.0 / tau;
        self.glide_vel_coef =
            1.0 - (-1.0 / (f64::from(GLIDE_ONSET_MS) * 1e-3 * f64::from(self.fs))).exp();
        self.fade_inc = 1.0 / (CROSSFADE_MS * 1e-3 * self.fs).max(1.0);
        let per_period = CONTROL_BLOCK as f32 / (RAMP_MS * 1e-3 * self.fs);
        for r in self.all_ramps() {
            r.max_delta = per_period;
        }
        // Feedback may span 0..1.1: the same ramp time for the full range.
        for r in self.fb.iter_mut().chain(self.fb_mid.iter_mut()) {
            r.max_delta = per_period * MAX_FEEDBACK;
        }
        self.reset();
    }

    fn all_ramps(&mut self) -> impl Iterator<Item = &mut Ramp> {
        let [a, b] = &mut self.fb;
        let [c, d] = &mut self.fb_mid;
        [
            a,
            b,
            c,
            d,
            &mut self.input,
            &mut self.dry,
            &mut self.wet,
            &mut self.duck,
            &mut self.shape_mix,
            &mut self.gate,
            &mut self.bypass,
        ]
        .into_iter()
        .chain(self.tap_gain.iter_mut().flatten())
    }

    /// Clears the lines and filters and puts every smoothed value at the
    /// latest parameters' value (no ramp from stale values). Realtime-safe.
    pub fn reset(&mut self) {
        for line in &mut self.lines {
            line.reset();
        }
        for s in &mut self.shapers {
            s.diffuser.reset();
            s.hpf.reset();
            s.lpf.reset();
            s.tone.reset();
        }
        self.wow.reset();
        self.mod_now = 0.0;
        self.duck_env.reset();
        self.clock.reset();
        self.phase = 0;
        self.fresh = true;
        // Everything the grid decided before goes too, so a reset stream
        // repeats the first one bit for bit.
        self.period = Period::default();
        self.still = false;
        self.active = self.pending;
        self.mode = self.active.mode;
        self.character = self.active.character;
        self.diffuse = self.active.diffusion > 0.0;
        self.tone_key = (f32::NAN, f32::NAN, Character::Clean, 0);
        let targets = self.targets();
        for (h, d) in self.heads.iter_mut().zip(targets.delays) {
            h.snap(d);
        }
        let gains = self.gains(&targets);
        self.apply_gains(&gains, true);
        self.update_tone();
        self.glide_cutoffs(true);
        self.cache_key = None;
    }

    /// Takes new parameters; they apply at the next control-grid point
    /// (every [`CONTROL_BLOCK`] samples from `reset()`), smoothed.
    /// Realtime-safe.
    pub fn set_params(&mut self, params: &EchoParams) {
        self.pending = params.sanitized();
    }

    /// The parameters in effect (after sanitising).
    pub fn params(&self) -> &EchoParams {
        &self.active
    }

    /// Latency in samples: 0 (the dry signal is not delayed).
    pub fn latency(&self) -> usize {
        0
    }

    /// Sample rate the kernel was prepared for, Hz.
    pub fn sample_rate(&self) -> f32 {
        self.fs
    }

    /// Tail length in samples for `params` at `sample_rate`: the time for
    /// the repeats to fall below [`TAIL_FLOOR_DB`] (`ceil(floor / 20·log10
    /// fb)` loops of the longest loop) plus the diffusion spread and wow,
    /// capped at [`MAX_TAIL_S`]; `None` (endless) with freeze on or
    /// feedback at or above 100 %; the bypass crossfade ([`RAMP_MS`]) when
    /// bypassed.
    pub fn tail_samples(params: &EchoParams, sample_rate: f32) -> Option<usize> {
        let p = params.sanitized();
        let fb = match p.mode {
            EchoMode::Dual => p.feedback.max(p.feedback_r),
            _ => p.feedback,
        };
        if p.bypass {
            // The output is the input once the crossfade is over.
            return Some(
                (f64::from(RAMP_MS) * 1e-3 * f64::from(sample_rate.max(1.0))).ceil() as usize,
            );
        }
        if p.freeze || fb >= 1.0 {
            return None;
        }
        let timing = p.timing();
        let (ol, or) = offsets(p.mode, p.offset);
        let swing = f64::from(p.effective_swing(&timing));
        // Longest time between successive repeats of one loop.
        let step = (timing.left_ms * ol).max(timing.right_ms * or) * 2.0 * swing;
        let loop_ms = match p.mode {
            EchoMode::PingPong => timing.left_ms * (ol + or),
            _ => step,
        };
        let loops = if fb <= 1e-6 {
            1.0
        } else {
            // Less a hair, so 10 % (stored as 0.100000001 in f32) counts
            // 5 repeats of −20 dB, not 6.
            (f64::from(TAIL_FLOOR_DB) / (20.0 * f64::from(fb).log10()) - 1e-6)
                .ceil()
                .max(1.0)
        };
        let extra_ms =
            f64::from(2.0 * MAX_DEVIATION_MS) + 20.0 + loops * 12.0 * f64::from(p.diffusion);
        let ms = (loops + 1.0) * loop_ms + extra_ms;
        let s = (ms * 1e-3).min(f64::from(MAX_TAIL_S));
        Some((s * f64::from(sample_rate.max(1.0))).ceil() as usize)
    }

    /// Delay times (samples) and per-period gains the current parameters
    /// ask for.
    fn targets(&self) -> Targets {
        let p = &self.active;
        let fs = f64::from(self.fs) * 1e-3;
        let timing = p.timing();
        let swing = p.effective_swing(&timing);
        let (ol, or) = offsets(self.mode, p.offset);
        let mut t = Targets {
            delays: [1.0; MAX_TAPS],
            fb: [p.feedback; 2],
            swung: false,
        };
        // The diffuser delays what enters the line by its stages' length:
        // the reads are that much shorter, so repeats stay on time.
        let comp = if self.diffuse {
            self.shapers[0].diffuser.spread_samples() as f64
        } else {
            0.0
        };
        let clampd = |ms: f64| {
            (ms * fs - comp).clamp(
                1.0,
                self.max_delay - 2.0 * (fs * f64::from(MAX_DEVIATION_MS)) - 4.0,
            )
        };
        match self.mode {
            EchoMode::Stereo | EchoMode::Dual => {
                if self.mode == EchoMode::Dual {
                    t.fb[1] = p.feedback_r;
                }
                t.swung = swing != STRAIGHT_SWING;
                for (c, (base, off)) in [(timing.left_ms, ol), (timing.right_ms, or)]
                    .into_iter()
                    .enumerate()
                {
                    let (a, _) = swing_pair(base * off, swing);
                    if t.swung {
                        t.delays[c] = clampd(2.0 * base * off);
                        t.delays[2 + c] = clampd(a);
                        // Loop gain fb² over a pair; the loop read's output
                        // is scaled by fb (repeats 2, 4, ...).
                        t.fb[c] = t.fb[c].min(MAX_FEEDBACK).powi(2);
                    } else {
                        t.delays[c] = clampd(base * off);
                        t.delays[2 + c] = t.delays[c];
                    }
                }
            }
            EchoMode::PingPong => {
                let (a, b) = swing_pair(timing.left_ms, swing);
                t.delays[0] = clampd(a * ol);
                t.delays[1] = clampd(b * or);
            }
            EchoMode::MultiTap => {
                for k in 0..MAX_TAPS {
                    let kk = k.min(p.taps - 1);
                    t.delays[k] = clampd(tap_ms(timing.left_ms, kk, p.taps, swing));
                }
            }
        }
        if p.freeze {
            t.fb = [1.0; 2];
        }
        t
    }

    /// Targets of every ramp, in the order of [`Self::all_ramps`].
    fn gains(&self, t: &Targets) -> [f32; N_RAMPS] {
        let p = self.active;
        let (dry, wet) = p.mix_gains();
        let mut g = [0.0f32; N_RAMPS];
        for c in 0..2 {
            g[c] = t.fb[c];
            // With swing the loop read's output carries one fb.
            g[2 + c] = if t.swung {
                if p.freeze {
                    1.0
                } else if self.mode == EchoMode::Dual && c == 1 {
                    p.feedback_r
                } else {
                    p.feedback
                }
            } else {
                0.0
            };
        }
        // The tone stage fades out for freeze and to switch the character
        // or the diffuser in or out.
        let tone_in =
            !p.freeze && p.character == self.character && (p.diffusion > 0.0) == self.diffuse;
        // Nothing new enters the loop while frozen or bypassed (a bypassed
        // echo should not answer later with what it did not seem to hear).
        g[4] = if p.freeze || p.bypass { 0.0 } else { 1.0 };
        g[5] = dry;
        g[6] = wet;
        g[7] = p.ducking;
        g[8] = if tone_in { 1.0 } else { 0.0 };
        g[9] = if p.mode == self.mode { 1.0 } else { 0.0 };
        g[10] = if p.bypass { 1.0 } else { 0.0 };
        let norm = tap_norm(p.taps);
        for k in 0..p.taps.min(MAX_TAPS) {
            let (l, r) = pan_gains(p.tap[k].pan);
            let lvl = p.tap[k].level * norm;
            g[11 + 2 * k] = lvl * l;
            g[12 + 2 * k] = lvl * r;
        }
        g
    }

    /// Moves every ramp towards `gains` for this period, or jumps there.
    fn apply_gains(&mut self, gains: &[f32; N_RAMPS], jump: bool) {
        for (r, &v) in self.all_ramps().zip(gains) {
            if jump {
                r.reset(v);
            } else {
                r.period(v);
            }
        }
    }

    /// Recomputes the loop filters when their settings changed.
    fn update_tone(&mut self) {
        let p = self.active;
        for s in &mut self.shapers {
            s.diffuser.set_amount(p.diffusion);
        }
        let character = self.character;
        let base_ms = p.timing().left_ms as f32;
        let key = (p.hpf_hz, p.lpf_hz, character, base_ms.to_bits());
        if key == self.tone_key {
            return;
        }
        self.tone_key = key;
        self.cutoffs[0].target = p.hpf_hz.max(HPF_OFF_HZ);
        self.cutoffs[1].target = p.lpf_hz.min(LPF_OFF_HZ);
        if let Some(hz) = tone_cutoff_hz(character, base_ms) {
            self.cutoffs[2].target = hz;
        }
        self.clip = match character {
            Character::Clean => SoftClip::new(1.0, 2.0),
            Character::Tape => SoftClip::new(0.316, 1.1),
            Character::Analog => SoftClip::new(0.4, 1.2),
        };
    }

    /// Moves the loop filters' cut-offs towards their targets (or jumps
    /// there) and recomputes the coefficients of those that moved.
    fn glide_cutoffs(&mut self, jump: bool) {
        let fs = self.fs;
        let nyq = 0.45 * fs;
        let q = [
            core::f32::consts::FRAC_1_SQRT_2,
            core::f32::consts::FRAC_1_SQRT_2,
            0.6,
        ];
        let modes = [SvfMode::Highpass, SvfMode::Lowpass, SvfMode::Lowpass];
        for i in 0..3 {
            self.period.cut_ramp[i] = false;
            if !self.cutoffs[i].advance(self.cutoff_coef, jump) {
                continue;
            }
            let Some(c) = SvfCoefs::new(fs, self.cutoffs[i].now.min(nyq), q[i], modes[i], 0.0)
            else {
                continue;
            };
            self.cut_from[i] = self.cut_to[i];
            self.cut_to[i] = c;
            if jump {
                self.cut_from[i] = c;
                self.set_cut_coefs(i, c);
            } else {
                self.period.cut_ramp[i] = true;
            }
        }
    }

    fn set_cut_coefs(&mut self, i: usize, c: SvfCoefs) {
        for s in &mut self.shapers {
            match i {
                0 => s.hpf.set_coefs(c),
                1 => s.lpf.set_coefs(c),
                _ => s.tone.set_coefs(c),
            }
        }
    }

    /// The gliding cut-offs' coefficients `t` (0..=1) of the way through
    /// this period.
    fn ramp_cutoffs(&mut self, t: f64) {
        for i in 0..3 {
            if self.period.cut_ramp[i] {
                let c = self.cut_from[i].lerp(&self.cut_to[i], t);
                self.set_cut_coefs(i, c);
            }
        }
    }

    /// Control-grid work at the start of a period.
    fn start_period(&mut self) {
        let pending = self.pending;
        // A mode change closes the wet gate first, switches once it is
        // shut, then opens it again.
        self.active = pending;
        if self.fresh {
            self.mode = pending.mode;
            self.character = pending.character;
            self.diffuse = pending.diffusion > 0.0;
        }
        if pending.mode != self.mode && self.gate.end == 0.0 {
            self.mode = pending.mode;
            let t = self.targets();
            for (h, d) in self.heads.iter_mut().zip(t.delays) {
                h.snap(d);
            }
            for line in &mut self.lines {
                line.reset();
            }
            // The fresh lines take the input in with a ramp, so their first
            // repeat does not start with a step.
            self.input.reset(0.0);
        }
        if self.shape_mix.end == 0.0 {
            self.character = pending.character;
            self.diffuse = pending.diffusion > 0.0;
        }
        // Targets and gains only change with the parameters.
        let key = (self.active, self.mode, self.character, self.diffuse);
        if self.cache_key != Some(key) {
            self.update_tone();
            self.cache_targets = self.targets();
            self.cache_gains = self.gains(&self.cache_targets);
            self.cache_key = Some(key);
        }
        let fresh = self.fresh;
        self.glide_cutoffs(fresh);
        let t = self.cache_targets;
        let gains = self.cache_gains;
        if self.fresh {
            for (h, d) in self.heads.iter_mut().zip(t.delays) {
                h.snap(d);
            }
            self.apply_gains(&gains, true);
        } else {
            self.apply_gains(&gains, false);
        }
        let p = self.active;

        // Heads: new targets; crossfades start on the grid.
        let used = match self.mode {
            EchoMode::Stereo | EchoMode::Dual => {
                if t.swung {
                    4
                } else {
                    2
                }
            }
            EchoMode::PingPong => 2,
            EchoMode::MultiTap => p.taps,
        };
        for (k, (h, d)) in self.heads.iter_mut().zip(t.delays).enumerate() {
            if k >= used {
                // Silent heads follow at once, ready when they are needed.
                h.snap(d);
                continue;
            }
            h.target = d;
            // A crossfade in progress always runs to its end (cutting it
            // short would be a step); a glide starts from where it is.
            if p.change == TimeChange::Crossfade && h.fade >= 1.0 && h.cur != h.target {
                h.old = h.cur;
                h.cur = h.target;
                h.vel = 0.0;
                h.fade = 0.0;
            }
        }

        // Wow/flutter: the offset at the end of this period, interpolated.
        let dev_ms = self.wow.tick(p.wow);
        // Never more than half the shortest delay in use: a 1 ms echo
        // wobbles by at most 0.5 ms instead of reading ahead of its input.
        let shortest = self.heads[..used]
            .iter()
            .map(|h| h.cur.min(h.target))
            .fold(f64::INFINITY, f64::min);
        let limit = (0.5 * shortest).max(0.0);
        let next = (f64::from(dev_ms) * f64::from(self.fs) * 1e-3).clamp(-limit, limit);
        let start = self.mod_now;
        self.mod_now = next;
        let slope = (next - start) / CONTROL_BLOCK as f64;
        let old = self.period;
        self.period = Period {
            diffuse: self.diffuse,
            // On until the cut-off has glided all the way to its off end.
            hpf: self.cutoffs[0].now > HPF_OFF_HZ,
            lpf: self.cutoffs[1].now < LPF_OFF_HZ,
            tone: self.character != Character::Clean,
            duck: p.ducking > 0.0 || self.duck.moving() || self.duck.value > 0.0,
            swung: t.swung,
            mod_start: start,
            mod_slope: slope,
            cut_ramp: self.period.cut_ramp,
        };
        // A filter switched in starts from where the signal is, not from
        // stale state: a high-pass at its lowest corner from rest (it
        // passes everything), a low-pass from the steady state of the last
        // sample written (it passes that on).
        for (s, line) in self.shapers.iter_mut().zip(&self.lines) {
            let last = line.read(0);
            if self.period.hpf && !old.hpf {
                s.hpf.reset();
                s.hpf_in = 0.0;
            }
            if self.period.lpf && !old.lpf {
                s.lpf.set_steady_state(last);
                s.lpf_in = 0.0;
            }
            if self.period.tone && !old.tone {
                s.tone.set_steady_state(last);
            }
            if self.period.diffuse && !old.diffuse {
                s.diffuser.reset();
            }
        }
        let heads_still = self.heads[..used]
            .iter()
            .all(|h| h.cur == h.target && h.fade >= 1.0);
        let ramps_still = !(self.fb[0].moving()
            || self.fb[1].moving()
            || self.input.moving()
            || self.dry.moving()
            || self.wet.moving()
            || self.gate.moving()
            || self.bypass.moving()
            || self.shape_mix.moving());
        let routing = match self.mode {
            EchoMode::Stereo | EchoMode::Dual => !t.swung,
            EchoMode::PingPong => true,
            // Taps being switched off still ramp down.
            EchoMode::MultiTap => {
                self.tap_gain[p.taps.min(MAX_TAPS)..]
                    .iter()
                    .flatten()
                    .all(|g| g.value == 0.0 && !g.moving())
                    && self.tap_gain.iter().flatten().all(|g| !g.moving())
            }
        };
        self.still = heads_still
            && ramps_still
            && routing
            && !self.period.duck
            && self.period.mod_start == 0.0
            && self.period.mod_slope == 0.0
            && !self.period.cut_ramp.iter().any(|&r| r);
        self.phase = 0;
    }

    fn end_period(&mut self) {
        for r in self.all_ramps() {
            r.land();
        }
    }

    /// Processes one or two channels in place (more are left untouched;
    /// a single channel is treated as both inputs and gets the mean of
    /// both outputs). Non-finite input is treated as silence inside the
    /// delay (it still passes the dry and bypass paths unchanged).
    /// Realtime-safe.
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
                    self.end_segment(n);
                    pos += n;
                }
            }
            [left, right, ..] => {
                let len = left.len().min(right.len());
                let mut pos = 0;
                while pos < len {
                    let n = self.begin_segment(len - pos);
                    self.run_segment(&mut left[pos..pos + n], &mut right[pos..pos + n]);
                    self.end_segment(n);
                    pos += n;
                }
            }
        }
    }

    /// Starts a segment of at most `left` samples that ends on or before
    /// the next grid point, running the grid's work when it begins a
    /// period; returns its length.
    fn begin_segment(&mut self, left: usize) -> usize {
        if self.clock.phase() == 0 {
            self.start_period();
        }
        left.min(self.clock.samples_until_tick())
    }

    fn end_segment(&mut self, n: usize) {
        if self.clock.advance(n) {
            self.end_period();
        }
    }

    fn run_segment(&mut self, l: &mut [f32], r: &mut [f32]) {
        if self.fresh && l.iter().chain(r.iter()).any(|v| *v != 0.0) {
            self.fresh = false;
        }
        if self.still && !self.general_only {
            self.run_still(l, r);
        } else {
            self.run(l, r);
        }
    }

    /// The common case, fast: nothing moves during this period (no ramp,
    /// glide, crossfade, modulation or ducking) in the stereo, dual or
    /// ping-pong mode without swing. Each read position is then a fixed
    /// distance behind the write position, so its interpolation weights
    /// are computed once per period, and a whole number of samples (every
    /// time in ms at 48 kHz) needs no interpolation at all. Output is
    /// identical to [`Self::run`]'s.
    fn run_still(&mut self, l: &mut [f32], r: &mut [f32]) {
        let n = l.len();
        self.phase += n;
        let g_in = self.input.value;
        let fb = [self.fb[0].value, self.fb[1].value];
        let dry = self.dry.value;
        let wet = self.wet.value * self.gate.value;
        let bypass = self.bypass.value;
        let mix = self.shape_mix.value;
        let pd = self.period;
        let clip = self.clip;
        let max = self.max_delay;
        let taps = [
            Tap4::new(self.heads[0].cur, max),
            Tap4::new(self.heads[1].cur, max),
        ];
        let plain = !(pd.diffuse || pd.hpf || pd.lpf || pd.tone) && bypass == 0.0;
        if self.mode == EchoMode::MultiTap {
            self.run_still_taps(l, r, plain);
            return;
        }
        if self.mode == EchoMode::PingPong {
            let [line0, line1] = &mut self.lines;
            let [s0, s1] = &mut self.shapers;
            if plain && taps[0].frac == 0.0 && taps[1].frac == 0.0 {
                // Whole-sample times and only the clip in the loop.
                let (w0, w1) = (taps[0].whole, taps[1].whole);
                for (a, b) in l.iter_mut().zip(r.iter_mut()) {
                    let (xl, xr) = (sanitize(*a), sanitize(*b));
                    let y0 = line0.read(w0);
                    let y1 = line1.read(w1);
                    line0.push(clip.process(g_in * 0.5 * (xl + xr) + fb[0] * y1));
                    line1.push(clip.process(fb[0] * y0));
                    *a = dry * xl + wet * y0;
                    *b = dry * xr + wet * y1;
                }
                return;
            }
            for (a, b) in l.iter_mut().zip(r.iter_mut()) {
                let (raw_l, raw_r) = (*a, *b);
                let (xl, xr) = (sanitize(raw_l), sanitize(raw_r));
                let y0 = taps[0].read(line0);
                let y1 = taps[1].read(line1);
                line0.push(shape_with(
                    s0,
                    &pd,
                    &clip,
                    g_in * 0.5 * (xl + xr) + fb[0] * y1,
                    mix,
                ));
                line1.push(shape_with(s1, &pd, &clip, fb[0] * y0, mix));
                *a = out_mix(raw_l, dry * xl + wet * y0, bypass);
                *b = out_mix(raw_r, dry * xr + wet * y1, bypass);
            }
        } else {
            for (c, buf) in [l, r].into_iter().enumerate() {
                let line = &mut self.lines[c];
                let s = &mut self.shapers[c];
                let tap = taps[c];
                let fb = fb[c];
                if plain {
                    // Only the clip in the loop: the tightest loop, one
                    // version per read kind so neither branches per sample.
                    let (whole, frac) = (tap.whole, tap.frac);
                    if frac == 0.0 {
                        plain_loop(line, buf, |l| l.read(whole), g_in, fb, dry, wet, &clip);
                    } else {
                        let read = |l: &DelayLine| l.read_cubic_split(whole, frac);
                        plain_loop(line, buf, read, g_in, fb, dry, wet, &clip);
                    }
                    continue;
                }
                for v in buf.iter_mut() {
                    let raw = *v;
                    let x = sanitize(raw);
                    let y = tap.read(line);
                    line.push(shape_with(s, &pd, &clip, g_in * x + fb * y, mix));
                    *v = out_mix(raw, dry * x + wet * y, bypass);
                }
            }
        }
    }

    /// [`Self::run_still`] for the multi-tap mode: every tap's weights and
    /// gains are fixed for the period. The same arithmetic, in the same
    /// order, as [`Self::run`].
    fn run_still_taps(&mut self, l: &mut [f32], r: &mut [f32], plain: bool) {
        let taps = self.active.taps.clamp(1, MAX_TAPS);
        let max = self.max_delay;
        let mut reads = [Tap4 {
            whole: 0,
            frac: 0.0,
        }; MAX_TAPS];
        let mut gains = [[0.0f32; 2]; MAX_TAPS];
        for k in 0..taps {
            reads[k] = Tap4::new(self.heads[k].cur, max);
            gains[k] = [self.tap_gain[k][0].value, self.tap_gain[k][1].value];
        }
        let (reads, gains) = (&reads[..taps], &gains[..taps]);
        let g_in = self.input.value;
        let fb = self.fb[0].value;
        let dry = self.dry.value;
        let wet = self.wet.value * self.gate.value;
        let bypass = self.bypass.value;
        let mix = self.shape_mix.value;
        let pd = self.period;
        let clip = self.clip;
        let line = &mut self.lines[0];
        let shaper = &mut self.shapers[0];
        for (a, b) in l.iter_mut().zip(r.iter_mut()) {
            let (raw_l, raw_r) = (*a, *b);
            let (xl, xr) = (sanitize(raw_l), sanitize(raw_r));
            let mut wet_lr = [0.0f32; 2];
            let mut last = 0.0;
            for (tap, g) in reads.iter().zip(gains) {
                let y = tap.read(line);
                wet_lr[0] += g[0] * y;
                wet_lr[1] += g[1] * y;
                last = y;
            }
            let w_in = g_in * 0.5 * (xl + xr) + fb * last;
            line.push(if plain {
                clip.process(w_in)
            } else {
                shape_with(shaper, &pd, &clip, w_in, mix)
            });
            *a = out_mix(raw_l, dry * xl + wet * wet_lr[0], bypass);
            *b = out_mix(raw_r, dry * xr + wet * wet_lr[1], bypass);
        }
    }

    /// Reads `head` on `line` at its delay plus `m` samples of modulation,
    /// advancing its glide or crossfade by one sample.
    #[inline]
    fn read_head(
        h: &mut Head,
        line: &DelayLine,
        m: f64,
        glide: (f64, f64),
        fade_inc: f32,
        max: f64,
    ) -> f32 {
        if h.cur != h.target && h.fade >= 1.0 {
            // The speed the one-pole approach asks for, capped, reached
            // through a second, faster one-pole (τ = GLIDE_ONSET_MS): the
            // pitch bends in smoothly instead of stepping. With τ₂ ≪ τ₁ the
            // pair is overdamped (1 − 4·τ₂/τ₁ > 0): no overshoot.
            let diff = h.target - h.cur;
            let want = (diff * glide.0).clamp(-MAX_GLIDE_RATE, MAX_GLIDE_RATE);
            h.vel += (want - h.vel) * glide.1;
            if diff.abs() < 1e-6 && h.vel.abs() < 1e-6 {
                h.cur = h.target;
                h.vel = 0.0;
            } else {
                h.cur += h.vel;
            }
        }
        let new = read_at(line, h.cur + m, max);
        if h.fade < 1.0 {
            let old = read_at(line, h.old + m, max);
            let t = h.fade;
            let g = t * t * (3.0 - 2.0 * t);
            h.fade = (h.fade + fade_inc).min(1.0);
            old + g * (new - old)
        } else {
            new
        }
    }

    /// The loop's shaping stage for channel `c`.
    #[inline]
    fn shape(&mut self, c: usize, x: f32, mix: f32) -> f32 {
        shape_with(&mut self.shapers[c], &self.period, &self.clip, x, mix)
    }

    /// Runs `l.len()` (≤ one control period) samples of stereo in place.
    fn run(&mut self, l: &mut [f32], r: &mut [f32]) {
        let n = l.len();
        // Crossfading heads never glide, not even between two fades.
        let fs_glide = if self.active.change == TimeChange::Glide {
            (self.glide_coef, self.glide_vel_coef)
        } else {
            (0.0, 0.0)
        };
        let fade_inc = self.fade_inc;
        let max = self.max_delay;
        let mode = self.mode;
        let pd = self.period;
        let cut_ramp = pd.cut_ramp.iter().any(|&r| r);
        for i in 0..n {
            let m = pd.mod_start + pd.mod_slope * (self.phase + 1) as f64;
            self.phase += 1;
            if cut_ramp {
                self.ramp_cutoffs(self.phase as f64 / CONTROL_BLOCK as f64);
            }
            let (raw_l, raw_r) = (l[i], r[i]);
            let xl = sanitize(raw_l);
            let xr = sanitize(raw_r);
            let fb = [self.fb[0].next(), self.fb[1].next()];
            let g_in = self.input.next();
            let shape_mix = self.shape_mix.next();
            let mut wet = [0.0f32; 2];
            match mode {
                EchoMode::Stereo | EchoMode::Dual => {
                    let fbm = [self.fb_mid[0].next(), self.fb_mid[1].next()];
                    for (c, x) in [xl, xr].into_iter().enumerate() {
                        let y = Self::read_head(
                            &mut self.heads[c],
                            &self.lines[c],
                            m,
                            fs_glide,
                            fade_inc,
                            max,
                        );
                        if pd.swung {
                            let ym = Self::read_head(
                                &mut self.heads[2 + c],
                                &self.lines[c],
                                m,
                                fs_glide,
                                fade_inc,
                                max,
                            );
                            wet[c] = ym + fbm[c] * y;
                        } else {
                            wet[c] = y;
                        }
                        let w = self.shape(c, g_in * x + fb[c] * y, shape_mix);
                        self.lines[c].push(w);
                    }
                }
                EchoMode::PingPong => {
                    let y0 = Self::read_head(
                        &mut self.heads[0],
                        &self.lines[0],
                        m,
                        fs_glide,
                        fade_inc,
                        max,
                    );
                    let y1 = Self::read_head(
                        &mut self.heads[1],
                        &self.lines[1],
                        m,
                        fs_glide,
                        fade_inc,
                        max,
                    );
                    let w0 = self.shape(0, g_in * 0.5 * (xl + xr) + fb[0] * y1, shape_mix);
                    let w1 = self.shape(1, fb[0] * y0, shape_mix);
                    self.lines[0].push(w0);
                    self.lines[1].push(w1);
                    wet = [y0, y1];
                }
                EchoMode::MultiTap => {
                    let taps = self.active.taps;
                    let mut last = 0.0;
                    for k in 0..taps {
                        let y = Self::read_head(
                            &mut self.heads[k],
                            &self.lines[0],
                            m,
                            fs_glide,
                            fade_inc,
                            max,
                        );
                        let gl = self.tap_gain[k][0].next();
                        let gr = self.tap_gain[k][1].next();
                        wet[0] += gl * y;
                        wet[1] += gr * y;
                        last = y;
                    }
                    // Taps being switched off still ramp down.
                    for k in taps..MAX_TAPS {
                        let gl = self.tap_gain[k][0].next();
                        let gr = self.tap_gain[k][1].next();
                        if gl != 0.0 || gr != 0.0 {
                            let y = Self::read_head(
                                &mut self.heads[k],
                                &self.lines[0],
                                m,
                                fs_glide,
                                fade_inc,
                                max,
                            );
                            wet[0] += gl * y;
                            wet[1] += gr * y;
                        }
                    }
                    let w = self.shape(0, g_in * 0.5 * (xl + xr) + fb[0] * last, shape_mix);
                    self.lines[0].push(w);
                }
            }
            let dry = self.dry.next();
            let mut wet_gain = self.wet.next() * self.gate.next();
            if pd.duck {
                let env = self.duck_env.process(0.5 * (xl.abs() + xr.abs()));
                let amount = self.duck.next();
                wet_gain /= 1.0 + amount * DUCK_SENSITIVITY * (env - DUCK_THRESHOLD).max(0.0);
            }
            let b = self.bypass.next();
            l[i] = out_mix(raw_l, dry * xl + wet_gain * wet[0], b);
            r[i] = out_mix(raw_r, dry * xr + wet_gain * wet[1], b);
        }
    }
}

/// Ramps in [`Echo`]: feedback ×2, swung loop-read gain ×2, input, dry,
/// wet, ducking, tone-stage mix, mode gate, bypass, and two per tap.
const N_RAMPS: usize = 11 + 2 * MAX_TAPS;

/// The delays and gains one set of parameters asks for.
#[derive(Clone, Copy, Debug, Default)]
struct Targets {
    delays: [f64; MAX_TAPS],
    fb: [f32; 2],
    swung: bool,
}

/// The loop's shaping stage (see the module docs): diffusion, filters and
/// tone as this period enables them, faded by `mix` (freeze fades them out),
/// then the soft clip.
#[inline]
fn shape_with(s: &mut Shaper, pd: &Period, clip: &SoftClip, x: f32, mix: f32) -> f32 {
    let mut v = x;
    if pd.diffuse {
        v = s.diffuser.process(v);
    }
    if pd.hpf {
        let f = s.hpf.process(v);
        v = if s.hpf_in >= 1.0 {
            f
        } else {
            s.hpf_in = (s.hpf_in + 1.0 / FILTER_FADE_IN).min(1.0);
            v + s.hpf_in * (f - v)
        };
    }
    if pd.lpf {
        let f = s.lpf.process(v);
        v = if s.lpf_in >= 1.0 {
            f
        } else {
            s.lpf_in = (s.lpf_in + 1.0 / FILTER_FADE_IN).min(1.0);
            v + s.lpf_in * (f - v)
        };
    }
    if pd.tone {
        v = s.tone.process(v);
    }
    let v = if mix == 1.0 { v } else { x + mix * (v - x) };
    clip.process(v)
}

/// One channel of [`Echo::run_still`] with nothing but the clip in the
/// loop and no bypass: the same arithmetic as the general path.
#[allow(clippy::too_many_arguments)]
#[inline]
fn plain_loop(
    line: &mut DelayLine,
    buf: &mut [f32],
    read: impl Fn(&DelayLine) -> f32,
    g_in: f32,
    fb: f32,
    dry: f32,
    wet: f32,
    clip: &SoftClip,
) {
    for v in buf.iter_mut() {
        let x = sanitize(*v);
        let y = read(line);
        line.push(clip.process(g_in * x + fb * y));
        *v = dry * x + wet * y;
    }
}

/// The output: `processed`, or the untouched input as `bypass` goes to 1.
#[inline]
fn out_mix(raw: f32, processed: f32, bypass: f32) -> f32 {
    if bypass == 0.0 {
        processed
    } else if bypass == 1.0 {
        raw
    } else {
        processed + bypass * (raw - processed)
    }
}

/// A read at a fixed distance behind the write position, with its
/// Catmull–Rom weights precomputed (the same polynomial as
/// [`DelayLine::read_cubic_split`], expanded per tap).
#[derive(Clone, Copy, Debug)]
struct Tap4 {
    whole: usize,
    frac: f32,
}

impl Tap4 {
    fn new(d: f64, max: f64) -> Self {
        let t = (d - 1.0).clamp(0.0, max);
        let whole = t as usize;
        Self {
            whole,
            frac: (t - whole as f64) as f32,
        }
    }

    #[inline]
    fn read(&self, line: &DelayLine) -> f32 {
        if self.frac == 0.0 {
            line.read(self.whole)
        } else {
            line.read_cubic_split(self.whole, self.frac)
        }
    }
}

/// Non-finite → 0, finite clamped to ±[`INPUT_LIMIT`].
#[inline]
fn sanitize(x: f32) -> f32 {
    if x.is_finite() {
        x.clamp(-INPUT_LIMIT, INPUT_LIMIT)
    } else {
        0.0
    }
}

/// The sample `d` samples before the one about to be written (d ≥ 1),
/// Hermite-interpolated. The line's newest sample is one sample old.
#[inline]
fn read_at(line: &DelayLine, d: f64, max: f64) -> f32 {
    let t = (d - 1.0).clamp(0.0, max);
    let whole = t as usize;
    line.read_cubic_split(whole, (t - whole as f64) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path for periods where nothing moves gives the same bits
    /// as the general path, for whole and fractional delays, every routing
    /// it serves, with and without loop filters, across parameter changes.
    #[test]
    fn fast_path_matches_the_general_path() {
        let fs = 44_100.0;
        let mut seed = 3u32;
        let x: Vec<f32> = (0..44_100)
            .map(|i| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let v = (seed >> 8) as f32 / 16_777_216.0 - 0.5;
                if (i / 5000) % 2 == 0 {
                    v
                } else {
                    0.0
                }
            })
            .collect();
        for (mode, time_ms, hpf_hz, bypass_at) in [
            (EchoMode::Stereo, 100.0, HPF_OFF_HZ, None),
            (EchoMode::Stereo, 12.345, 200.0, Some(30_000)),
            (EchoMode::Dual, 7.7, HPF_OFF_HZ, None),
            (EchoMode::PingPong, 33.3, 90.0, Some(20_000)),
            (EchoMode::PingPong, 50.0, HPF_OFF_HZ, None),
            (EchoMode::MultiTap, 100.0, HPF_OFF_HZ, None),
            (EchoMode::MultiTap, 33.3, 150.0, Some(30_000)),
        ] {
            let p = EchoParams {
                mode,
                time_ms,
                time_r_ms: 21.0,
                hpf_hz,
                feedback: 0.7,
                ..EchoParams::default()
            };
            let run = |general_only: bool| {
                let mut e = Echo::new();
                e.set_params(&p);
                e.prepare(fs, 100, 2);
                e.general_only = general_only;
                let (mut l, mut r) = (x.clone(), x.clone());
                let mut fast_periods = 0;
                for (k, (a, b)) in l.chunks_mut(100).zip(r.chunks_mut(100)).enumerate() {
                    if k == 150 {
                        // A change mid-stream: ramps move, then settle.
                        e.set_params(&EchoParams { mix: 0.8, ..p });
                    }
                    if k == 250 {
                        // Fewer taps: the dropped ones ramp out first.
                        e.set_params(&EchoParams {
                            mix: 0.8,
                            taps: 3,
                            ..p
                        });
                    }
                    if bypass_at.is_some_and(|at| k * 100 >= at) {
                        e.set_params(&EchoParams { bypass: true, ..p });
                    }
                    e.process(&mut [a, b]);
                    fast_periods += usize::from(e.still);
                }
                (l, r, fast_periods)
            };
            let (fl, fr, fast) = run(false);
            let (gl, gr, _) = run(true);
            assert!(fast > 100, "{mode:?}: the fast path ran {fast} times");
            assert!(
                fl.iter().zip(&gl).all(|(a, b)| a.to_bits() == b.to_bits())
                    && fr.iter().zip(&gr).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{mode:?} {time_ms} ms: fast and general paths differ"
            );
        }
    }
}
