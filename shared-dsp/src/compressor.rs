//! Dynamic range compressor: the kernel of Glasswork Comp.
//!
//! Signal flow per channel (after an optional mid/side transform):
//!
//! ```text
//! key (input or external sidechain) ─ HPF ─ LPF ─ level (peak/RMS blend) ─ dB ─ stereo link
//!        ─ gain computer (threshold, ratio, knee; feedback: on the reduced level) ─ range
//!        ─ ballistics (attack, hold, release, auto release; style) ─ gain
//! audio ─ lookahead delay ─ × gain ─ (saturation) ─ makeup ─ dry/wet ─ output ─ bypass
//! ```
//!
//! The structure is the log-domain design recommended by D. Giannoulis,
//! M. Massberg and J. D. Reiss, "Digital Dynamic Range Compressor Design — A
//! Tutorial and Analysis", JAES 60(6), 2012: the level is converted to dB,
//! the static curve ([`crate::gain_computer`], eq. (4)) gives the gain
//! reduction a steady level should get, and the *reduction* is smoothed by
//! a branching one-pole (their "smooth branching" peak detector: attack
//! coefficient while the reduction rises, release while it falls) with
//! `α = e^(−1/(τ·fs))`. Smoothing after the curve means the
//! attack and release times are exactly the times a step in gain reduction
//! takes to cover 1 − 1/e (63.2 %) of its size, whatever the threshold or
//! ratio, and a steady input gets exactly the static curve.
//!
//! Styles:
//! - [`Style::Clean`]: the above, nothing else.
//! - [`Style::Opto`]: program-dependent like an optical cell. A cell memory
//!   charges with the depth of gain reduction (τ 1 s) and discharges slowly
//!   (τ 5 s); the release time grows with it (up to 5×), so short peaks
//!   recover fast and long compression recovers slowly. The attack follows
//!   the size of the overshoot: small overshoots are taken gently (2× the
//!   set attack), large ones quickly (down to ½×).
//! - [`Style::Punchy`]: the ballistics run on the linear gain instead of the
//!   dB value, as in classic VCA/FET side chains: a step in reduction starts
//!   slower (in dB) so transients pass, and recovery is fast at first. The
//!   compressed signal goes through a gentle odd-order soft clipper whose
//!   amount follows the gain reduction (none without reduction, at most a
//!   quarter of the way to `tanh` at 12 dB and more), referenced 6 dB above
//!   the threshold, so harder compression sounds denser.
//!
//! Feedback topology: the detector sees the key level minus the reduction
//! applied one sample earlier (what a feedback compressor's detector sees,
//! but taken before the lookahead delay so lookahead still works), and the
//! curve's excess is scaled by `R − 1` so the steady-state slope above the
//! knee is still `1/R`. A feedback loop with a fast detector oscillates when
//! its loop gain is high: the loop gain is capped at `½·(1 + α)/(1 − α)` of
//! the fastest time constant in use, which keeps the loop's pole in
//! (−½, 0]. With very short attacks this lowers the highest ratio reachable
//! (about 1.6:1 at 0.01 ms and 48 kHz, 480:1 at 10 ms), as in analogue
//! feedback designs.
//!
//! Control-rate work (parameter changes, coefficients, smoothing ramps, the
//! opto cell) runs on the fixed 32-sample grid of [`crate::control`] counted
//! from `reset()`; everything else is per sample. The output is therefore
//! bit-identical whatever the host's block size. Audible parameters
//! (threshold, ratio, knee, range, makeup, output, mix, bypass, listen, link)
//! glide over 20 ms with a per-sample linear ramp inside each control period.

use crate::control::{ControlClock, CONTROL_BLOCK};
use crate::delay_line::DelayLine;
use crate::denormal::FlushDenormals;
use crate::fast_math::{fast_db_to_gain, fast_gain_to_db};
use crate::gain_computer::{excess_db, feedback_gain, ratio_slope, GainComputer};
use crate::level_detector::LevelDetector;
use crate::smoother::LinearSmoother;
use crate::svf::{Svf, SvfMode};
use crate::util::db_to_gain;

/// Threshold range, dB.
pub const THRESHOLD_RANGE_DB: (f32, f32) = (-60.0, 0.0);
/// Highest ratio; at this value and above the ratio is ∞:1.
pub const MAX_RATIO: f32 = crate::gain_computer::INFINITE_RATIO;
/// Widest soft knee, dB.
pub const MAX_KNEE_DB: f32 = 24.0;
/// Attack range, ms.
pub const ATTACK_RANGE_MS: (f32, f32) = (0.01, 300.0);
/// Release range, ms.
pub const RELEASE_RANGE_MS: (f32, f32) = (1.0, 5000.0);
/// Longest hold, ms.
pub const MAX_HOLD_MS: f32 = 500.0;
/// Longest lookahead, ms.
pub const MAX_LOOKAHEAD_MS: f32 = 20.0;
/// Largest range (maximum gain reduction), dB.
pub const MAX_RANGE_DB: f32 = 60.0;
/// RMS window range, ms.
pub const RMS_WINDOW_RANGE_MS: (f32, f32) = (1.0, crate::level_detector::MAX_RMS_WINDOW_MS);
/// Largest total makeup (manual plus automatic), dB.
pub const MAX_MAKEUP_DB: f32 = 24.0;
/// Output gain range, dB.
pub const OUTPUT_RANGE_DB: (f32, f32) = (-24.0, 6.0);
/// Sidechain high-pass range, Hz; at the bottom the filter is off.
pub const SC_HPF_RANGE_HZ: (f32, f32) = (20.0, 2000.0);
/// Sidechain low-pass range, Hz; at the top the filter is off.
pub const SC_LPF_RANGE_HZ: (f32, f32) = (500.0, 20_000.0);
/// Level reported for silence, dB.
pub const FLOOR_DB: f32 = -200.0;

/// Linear level of [`FLOOR_DB`].
const FLOOR_GAIN: f32 = 1e-10;
/// Glide time of the smoothed parameters, ms.
const RAMP_MS: f32 = 20.0;
const B: usize = CONTROL_BLOCK;
/// Punchy style: saturation amount at full depth and the depth it is reached at.
const SAT_MAX: f32 = 0.25;
const SAT_FULL_DB: f32 = 12.0;
/// Auto release: fast and slow release as multiples of the set release.
const AUTO_FAST: f32 = 0.3;
const AUTO_SLOW: f32 = 3.0;
/// Auto release: time constant of the running average of the reduction, ms.
const AUTO_BASELINE_MS: f32 = 500.0;
/// Opto: cell memory charge / discharge time constants, s; depth for a full charge, dB.
const OPTO_CHARGE_S: f32 = 1.0;
const OPTO_DISCHARGE_S: f32 = 5.0;
const OPTO_FULL_DB: f32 = 12.0;
/// Reductions below this (dB) are flushed to zero, so a long release never
/// leaves a subnormal state behind.
const FLUSH_DB: f64 = 1e-9;

/// Character of the ballistics; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Style {
    /// Exact log-domain ballistics, no colour.
    #[default]
    Clean,
    /// Program-dependent attack and release like an optical cell.
    Opto,
    /// Linear-domain ballistics with gentle saturation that follows the reduction.
    Punchy,
}

/// Where the detector listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Topology {
    /// Detector on the key signal (input or sidechain).
    #[default]
    FeedForward,
    /// Detector on the key after the gain reduction.
    Feedback,
}

/// How two channels are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StereoMode {
    /// Left and right.
    #[default]
    LeftRight,
    /// Mid `(L+R)/2` and side `(L−R)/2`, each with its own gain (linked by
    /// the stereo link like L and R).
    MidSide,
}

/// Compressor settings in physical units. Out-of-range values are clamped,
/// non-finite ones fall back to the default ([`CompressorParams::sanitised`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompressorParams {
    /// Threshold, dB (−60..=0, default −18).
    pub threshold_db: f32,
    /// Ratio (1..=[`MAX_RATIO`], the top meaning ∞:1; default 4).
    pub ratio: f32,
    /// Soft-knee width, dB (0..=24, default 6; 0 is a hard knee).
    pub knee_db: f32,
    /// Attack time constant, ms (0.01..=300, default 10).
    pub attack_ms: f32,
    /// Release time constant, ms (1..=5000, default 150). With auto release
    /// the centre of the program-dependent range.
    pub release_ms: f32,
    /// Program-dependent release (default off): fast (0.3×) while the
    /// reduction is deeper than its running average, slow (3×) otherwise.
    pub auto_release: bool,
    /// Hold before the release starts, ms (0..=500, default 0).
    pub hold_ms: f32,
    /// Lookahead, ms (0..=20, default 0). This is the latency.
    pub lookahead_ms: f32,
    /// Range: the largest gain reduction, dB (0..=60, default 60).
    pub range_db: f32,
    /// Detector: 0 = peak, 1 = RMS, in between a blend (default 0).
    pub detector_blend: f32,
    /// RMS window, ms (1..=300, default 10).
    pub rms_window_ms: f32,
    /// Feed-forward or feedback (default feed-forward).
    pub topology: Topology,
    /// Stereo link, 0 (independent) ..= 1 (one gain for both, default).
    pub stereo_link: f32,
    /// Left/right or mid/side (default left/right).
    pub stereo_mode: StereoMode,
    /// Manual makeup gain, dB (0..=24, default 0).
    pub makeup_db: f32,
    /// Add half the reduction the curve applies at 0 dBFS (default off). The
    /// paper's full compensation `M = −y_G(0)` brings a full-scale peak back
    /// to full scale, which overshoots on programme whose body sits well
    /// below its peaks; the total makeup is capped at [`MAX_MAKEUP_DB`].
    pub auto_makeup: bool,
    /// Dry/wet mix, 0 (dry) ..= 1 (wet, default).
    pub mix: f32,
    /// Output gain, dB (−24..=+6, default 0).
    pub output_db: f32,
    /// Style (default clean).
    pub style: Style,
    /// Detect from the external sidechain when one is given (default off).
    pub external_sidechain: bool,
    /// Sidechain high-pass corner, Hz (20..=2000, default 20 = off).
    pub sc_hpf_hz: f32,
    /// Sidechain low-pass corner, Hz (500..=20000, default 20000 = off).
    pub sc_lpf_hz: f32,
    /// Output the filtered key signal instead of the audio (default off).
    pub sc_listen: bool,
    /// Pass the input through, delayed by the latency (default off).
    pub bypass: bool,
}

impl Default for CompressorParams {
    fn default() -> Self {
        Self {
            threshold_db: -18.0,
            ratio: 4.0,
            knee_db: 6.0,
            attack_ms: 10.0,
            release_ms: 150.0,
            auto_release: false,
            hold_ms: 0.0,
            lookahead_ms: 0.0,
            range_db: MAX_RANGE_DB,
            detector_blend: 0.0,
            rms_window_ms: 10.0,
            topology: Topology::FeedForward,
            stereo_link: 1.0,
            stereo_mode: StereoMode::LeftRight,
            makeup_db: 0.0,
            auto_makeup: false,
            mix: 1.0,
            output_db: 0.0,
            style: Style::Clean,
            external_sidechain: false,
            sc_hpf_hz: SC_HPF_RANGE_HZ.0,
            sc_lpf_hz: SC_LPF_RANGE_HZ.1,
            sc_listen: false,
            bypass: false,
        }
    }
}

fn finite_or(v: f32, default: f32) -> f32 {
    if v.is_finite() {
        v
    } else {
        default
    }
}

fn clamp_to(v: f32, default: f32, range: (f32, f32)) -> f32 {
    finite_or(v, default).clamp(range.0, range.1)
}

impl CompressorParams {
    /// The same settings with every value clamped to its documented range
    /// (NaN → default; the ratio also accepts +inf as ∞:1).
    pub fn sanitised(&self) -> Self {
        let d = Self::default();
        Self {
            threshold_db: clamp_to(self.threshold_db, d.threshold_db, THRESHOLD_RANGE_DB),
            ratio: if self.ratio.is_nan() {
                d.ratio
            } else {
                self.ratio.clamp(1.0, MAX_RATIO)
            },
            knee_db: clamp_to(self.knee_db, d.knee_db, (0.0, MAX_KNEE_DB)),
            attack_ms: clamp_to(self.attack_ms, d.attack_ms, ATTACK_RANGE_MS),
            release_ms: clamp_to(self.release_ms, d.release_ms, RELEASE_RANGE_MS),
            hold_ms: clamp_to(self.hold_ms, d.hold_ms, (0.0, MAX_HOLD_MS)),
            lookahead_ms: clamp_to(self.lookahead_ms, d.lookahead_ms, (0.0, MAX_LOOKAHEAD_MS)),
            range_db: clamp_to(self.range_db, d.range_db, (0.0, MAX_RANGE_DB)),
            detector_blend: clamp_to(self.detector_blend, d.detector_blend, (0.0, 1.0)),
            rms_window_ms: clamp_to(self.rms_window_ms, d.rms_window_ms, RMS_WINDOW_RANGE_MS),
            stereo_link: clamp_to(self.stereo_link, d.stereo_link, (0.0, 1.0)),
            makeup_db: clamp_to(self.makeup_db, d.makeup_db, (0.0, MAX_MAKEUP_DB)),
            mix: clamp_to(self.mix, d.mix, (0.0, 1.0)),
            output_db: clamp_to(self.output_db, d.output_db, OUTPUT_RANGE_DB),
            sc_hpf_hz: clamp_to(self.sc_hpf_hz, d.sc_hpf_hz, SC_HPF_RANGE_HZ),
            sc_lpf_hz: clamp_to(self.sc_lpf_hz, d.sc_lpf_hz, SC_LPF_RANGE_HZ),
            ..*self
        }
    }

    /// The static curve these settings describe.
    pub fn gain_computer(&self) -> GainComputer {
        GainComputer::new(self.threshold_db, self.ratio, self.knee_db)
    }

    /// Total makeup in dB: manual plus, with auto makeup, half the curve's
    /// reduction at 0 dBFS; at most [`MAX_MAKEUP_DB`].
    pub fn total_makeup_db(&self) -> f32 {
        let p = self.sanitised();
        let auto = if p.auto_makeup {
            0.5 * p.gain_computer().reduction_at_full_scale_db()
        } else {
            0.0
        };
        (p.makeup_db + auto).min(MAX_MAKEUP_DB)
    }
}

/// Readings accumulated since the last [`Compressor::take_meter`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompressorMeter {
    /// Largest main-input sample magnitude (linear).
    pub input_peak: f32,
    /// Largest output sample magnitude (linear).
    pub output_peak: f32,
    /// Largest gain reduction applied, dB (≥ 0).
    pub max_reduction_db: f32,
    /// Highest detector level after linking, dB ([`FLOOR_DB`] for silence):
    /// the input of the static curve.
    pub max_detector_db: f32,
}

impl Default for CompressorMeter {
    fn default() -> Self {
        Self {
            input_peak: 0.0,
            output_peak: 0.0,
            max_reduction_db: 0.0,
            max_detector_db: FLOOR_DB,
        }
    }
}

/// Values of the smoothed parameters for each sample of a control period.
#[derive(Clone, Debug)]
struct Ramps {
    threshold: [f32; B],
    slope: [f32; B],
    knee: [f32; B],
    range: [f32; B],
    makeup: [f32; B],
    output: [f32; B],
    mix: [f32; B],
    bypass: [f32; B],
    listen: [f32; B],
    /// Link is constant over a period.
    link: f32,
    /// Punchy saturation drive: 1 / (threshold + 6 dB) in linear terms.
    drive: f32,
}

impl Default for Ramps {
    fn default() -> Self {
        Self {
            threshold: [0.0; B],
            slope: [0.0; B],
            knee: [0.0; B],
            range: [0.0; B],
            makeup: [1.0; B],
            output: [1.0; B],
            mix: [1.0; B],
            bypass: [0.0; B],
            listen: [0.0; B],
            link: 1.0,
            drive: 1.0,
        }
    }
}

/// The parameter smoothers, one per audible parameter.
#[derive(Clone, Debug, Default)]
struct Smoothers {
    threshold: LinearSmoother,
    slope: LinearSmoother,
    knee: LinearSmoother,
    range: LinearSmoother,
    makeup: LinearSmoother,
    output: LinearSmoother,
    mix: LinearSmoother,
    bypass: LinearSmoother,
    listen: LinearSmoother,
    link: LinearSmoother,
}

impl Smoothers {
    fn all(&mut self) -> [&mut LinearSmoother; 10] {
        [
            &mut self.threshold,
            &mut self.slope,
            &mut self.knee,
            &mut self.range,
            &mut self.makeup,
            &mut self.output,
            &mut self.mix,
            &mut self.bypass,
            &mut self.listen,
            &mut self.link,
        ]
    }

    /// Targets for `p` (sanitised).
    fn targets(p: &CompressorParams) -> [f32; 10] {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        [
            p.threshold_db,
            ratio_slope(p.ratio),
            p.knee_db,
            p.range_db,
            db_to_gain(p.total_makeup_db()),
            db_to_gain(p.output_db),
            p.mix,
            flag(p.bypass),
            flag(p.sc_listen),
            p.stereo_link,
        ]
    }
}

/// Fills `out` with the per-sample values of a period whose smoother went
/// from `a` (value before the period) to `b` (value at its end).
fn fill_ramp(out: &mut [f32; B], a: f32, b: f32) {
    if a == b {
        out.fill(a);
    } else {
        let step = (b - a) / B as f32;
        for (p, v) in out.iter_mut().enumerate() {
            *v = a + step * (p + 1) as f32;
        }
        out[B - 1] = b;
    }
}

/// `a + t·(b − a)`, exactly `a` at `t ≤ 0` and exactly `b` at `t ≥ 1`.
#[inline]
fn lerp(a: f32, b: f32, t: f32) -> f32 {
    if t <= 0.0 {
        a
    } else if t >= 1.0 {
        b
    } else {
        a + t * (b - a)
    }
}

/// Odd soft clipper: a Padé approximant of tanh, exact at |x| = 3 where it
/// reaches ±1 and stays. |soft(x)| ≤ |x|.
#[inline]
fn soft_clip(x: f32) -> f32 {
    let x = x.clamp(-3.0, 3.0);
    let x2 = x * x;
    x * (27.0 + x2) / (27.0 + 9.0 * x2)
}

/// Time-constant coefficient `e^(−1/(τ·fs))` for τ in ms.
fn coef(ms: f32, fs: f32) -> f64 {
    let samples = f64::from(ms) * 1e-3 * f64::from(fs);
    if samples > 0.0 {
        (-1.0 / samples).exp()
    } else {
        0.0
    }
}

/// The feedback loop-gain cap for the fastest coefficient `a` in use.
fn feedback_cap(a: f64) -> f32 {
    (0.5 * (1.0 + a) / (1.0 - a).max(1e-12)) as f32
}

/// Coefficients derived from the active parameters at a control tick.
#[derive(Clone, Copy, Debug, Default)]
struct Coefs {
    attack: f64,
    release_fast: f64,
    release_slow: f64,
    baseline: f64,
    hold: u32,
    lookahead: usize,
    rms_window: usize,
    blend: f32,
    style: Style,
    topology: Topology,
    mid_side: bool,
    auto_release: bool,
    external: bool,
    hpf: bool,
    lpf: bool,
    /// Opto cell per-tick charge / discharge factors.
    opto_charge: f64,
    opto_discharge: f64,
}

/// Per-channel state.
#[derive(Clone, Debug)]
struct Channel {
    hpf: Svf,
    lpf: Svf,
    detector: LevelDetector,
    audio: DelayLine,
    key_delay: DelayLine,
    /// Gain reduction, dB ≥ 0 (clean and opto ballistics).
    y: f64,
    /// Linear gain in (0, 1] (punchy ballistics).
    g: f64,
    hold_left: u32,
    /// Running average of the reduction (auto release), in the ballistics' domain.
    baseline: f64,
    /// Opto cell memory, 0..=1.
    memory: f64,
    /// Largest `target − reduction` seen in the current period, dB (opto).
    overshoot: f32,
    /// Ballistics coefficients in effect this period (opto changes them).
    attack: f64,
    release_fast: f64,
    release_slow: f64,
    fb_cap: f32,
}

impl Channel {
    fn new() -> Self {
        Self {
            hpf: Svf::new(),
            lpf: Svf::new(),
            detector: LevelDetector::new(),
            audio: DelayLine::new(),
            key_delay: DelayLine::new(),
            y: 0.0,
            g: 1.0,
            hold_left: 0,
            baseline: 0.0,
            memory: 0.0,
            overshoot: 0.0,
            attack: 0.0,
            release_fast: 0.0,
            release_slow: 0.0,
            fb_cap: 1.0,
        }
    }

    fn reset_dynamics(&mut self, style: Style) {
        self.y = 0.0;
        self.g = 1.0;
        self.hold_left = 0;
        self.baseline = if style == Style::Punchy { 1.0 } else { 0.0 };
        self.memory = 0.0;
        self.overshoot = 0.0;
    }

    /// Current reduction in dB whatever the style.
    fn reduction_db(&self, style: Style) -> f32 {
        if style == Style::Punchy {
            -fast_gain_to_db(self.g as f32, FLOOR_DB, FLOOR_GAIN)
        } else {
            self.y as f32
        }
    }

    /// Sets this period's ballistics coefficients (opto adapts them).
    fn update_period(&mut self, c: &Coefs) {
        let (mut attack, mut fast, mut slow) = (c.attack, c.release_fast, c.release_slow);
        if c.style == Style::Opto {
            let depth = (self.y / f64::from(OPTO_FULL_DB)).clamp(0.0, 1.0);
            let k = if depth > self.memory {
                c.opto_charge
            } else {
                c.opto_discharge
            };
            self.memory = depth + k * (self.memory - depth);
            // Release up to 5× slower with a charged cell: τ' = τ(1 + 4m),
            // so α' = α^(1/(1 + 4m)).
            let stretch = 1.0 / (1.0 + 4.0 * self.memory);
            fast = fast.powf(stretch);
            slow = slow.powf(stretch);
            // Attack 2× the set time for no overshoot, ½× for 18 dB:
            // τ' = τ·12/(6 + e).
            let e = f64::from(self.overshoot.max(0.0));
            attack = attack.powf((6.0 + e) / 12.0);
            self.overshoot = 0.0;
        }
        self.attack = attack;
        self.release_fast = fast;
        self.release_slow = slow;
        self.fb_cap = feedback_cap(attack.min(fast).min(slow));
    }
}

/// The compressor kernel. See the module documentation.
#[derive(Clone, Debug)]
pub struct Compressor {
    sample_rate: f32,
    channels: Vec<Channel>,
    pending: CompressorParams,
    active: CompressorParams,
    coefs: Coefs,
    clock: ControlClock,
    smoothers: Smoothers,
    ramps: Ramps,
    /// Some smoother moved in the last period: recompute the ramps.
    ramping: bool,
    meter: CompressorMeter,
    max_lookahead: usize,
    prepared: bool,
    /// Run the AVX2 build of the per-segment code (same arithmetic, wider
    /// vectors; no fused multiply-adds, so the output is identical).
    wide: bool,
}

impl Default for Compressor {
    fn default() -> Self {
        Self::new()
    }
}

impl Compressor {
    /// An unprepared compressor (leaves audio untouched until prepared).
    pub fn new() -> Self {
        Self {
            sample_rate: 48_000.0,
            channels: Vec::new(),
            pending: CompressorParams::default(),
            active: CompressorParams::default(),
            coefs: Coefs::default(),
            clock: ControlClock::new(CONTROL_BLOCK),
            smoothers: Smoothers::default(),
            ramps: Ramps::default(),
            ramping: true,
            meter: CompressorMeter::default(),
            max_lookahead: 0,
            prepared: false,
            wide: has_avx2(),
        }
    }

    /// Allocates for `channels` (1 or 2; more are treated as 2) at
    /// `sample_rate` Hz (clamped to 8 k..=384 k). `max_block` is unused: the
    /// compressor works per sample. Resets all state. Not realtime-safe.
    pub fn prepare(&mut self, sample_rate: f32, _max_block: usize, channels: usize) {
        let fs = finite_or(sample_rate, 48_000.0).clamp(8_000.0, 384_000.0);
        self.sample_rate = fs;
        self.max_lookahead = (MAX_LOOKAHEAD_MS * 1e-3 * fs).round() as usize;
        self.channels = (0..channels.clamp(1, 2))
            .map(|_| {
                let mut ch = Channel::new();
                ch.detector.prepare(fs);
                ch.audio.prepare(self.max_lookahead);
                // The listen path reads a whole period behind the newest key.
                ch.key_delay.prepare(self.max_lookahead + B);
                ch
            })
            .collect();
        for s in self.smoothers.all() {
            s.prepare(fs, RAMP_MS);
        }
        self.prepared = true;
        self.reset();
    }

    /// Clears all state and applies the pending settings at once (no ramps).
    /// Realtime-safe.
    pub fn reset(&mut self) {
        self.clock.reset();
        self.active = self.pending;
        self.coefs = self.derive(&self.active);
        let targets = Smoothers::targets(&self.active);
        for (s, t) in self.smoothers.all().into_iter().zip(targets) {
            s.reset(t);
        }
        let c = self.coefs;
        let fs = self.sample_rate;
        let p = self.active;
        for ch in &mut self.channels {
            ch.hpf.reset();
            ch.lpf.reset();
            ch.hpf.set(
                fs,
                p.sc_hpf_hz,
                core::f32::consts::FRAC_1_SQRT_2,
                SvfMode::Highpass,
                0.0,
            );
            ch.lpf.set(
                fs,
                p.sc_lpf_hz,
                core::f32::consts::FRAC_1_SQRT_2,
                SvfMode::Lowpass,
                0.0,
            );
            ch.detector.set_window(c.rms_window);
            ch.detector.reset();
            ch.audio.reset();
            ch.key_delay.reset();
            ch.reset_dynamics(c.style);
            ch.update_period(&c);
        }
        self.ramping = true;
        self.meter = CompressorMeter::default();
    }

    /// Stores new settings; they take effect at the next 32-sample grid point.
    /// Realtime-safe.
    pub fn set_params(&mut self, params: &CompressorParams) {
        self.pending = params.sanitised();
    }

    /// The settings in effect.
    pub fn params(&self) -> &CompressorParams {
        &self.active
    }

    /// Latency in samples `params` give at the prepared sample rate: the
    /// lookahead, rounded to whole samples.
    pub fn latency_for(&self, params: &CompressorParams) -> usize {
        let ms = clamp_to(params.lookahead_ms, 0.0, (0.0, MAX_LOOKAHEAD_MS));
        ((ms * 1e-3 * self.sample_rate).round() as usize).min(self.max_lookahead)
    }

    /// Latency of the audio path in effect, samples.
    pub fn latency(&self) -> usize {
        self.coefs.lookahead
    }

    /// Readings since the last call; resets them.
    pub fn take_meter(&mut self) -> CompressorMeter {
        std::mem::take(&mut self.meter)
    }

    /// Gain reduction of channel `channel` right now, dB (0 for a channel
    /// that does not exist).
    pub fn reduction_db(&self, channel: usize) -> f32 {
        self.channels
            .get(channel)
            .map_or(0.0, |c| c.reduction_db(self.coefs.style))
    }

    fn derive(&self, p: &CompressorParams) -> Coefs {
        let fs = self.sample_rate;
        let (fast, slow) = if p.auto_release {
            (p.release_ms * AUTO_FAST, p.release_ms * AUTO_SLOW)
        } else {
            (p.release_ms, p.release_ms)
        };
        let tick_s = CONTROL_BLOCK as f32 / fs;
        Coefs {
            attack: coef(p.attack_ms, fs),
            release_fast: coef(fast, fs),
            release_slow: coef(slow, fs),
            baseline: coef(AUTO_BASELINE_MS, fs),
            hold: (p.hold_ms * 1e-3 * fs).round() as u32,
            lookahead: self.latency_for(p),
            rms_window: LevelDetector::window_samples(p.rms_window_ms, fs),
            blend: p.detector_blend,
            style: p.style,
            topology: p.topology,
            mid_side: p.stereo_mode == StereoMode::MidSide,
            auto_release: p.auto_release,
            external: p.external_sidechain,
            hpf: p.sc_hpf_hz > SC_HPF_RANGE_HZ.0,
            lpf: p.sc_lpf_hz < SC_LPF_RANGE_HZ.1,
            opto_charge: (-f64::from(tick_s / OPTO_CHARGE_S)).exp(),
            opto_discharge: (-f64::from(tick_s / OPTO_DISCHARGE_S)).exp(),
        }
    }

    /// Start of a control period: apply pending settings, advance the
    /// smoothers over the period, update per-period coefficients.
    fn tick(&mut self) {
        let fs = self.sample_rate;
        if self.pending != self.active {
            let new = self.pending;
            let old = self.coefs;
            let c = self.derive(&new);
            for ch in &mut self.channels {
                if c.style != old.style {
                    // Carry the reduction across the change of domain.
                    if c.style == Style::Punchy {
                        ch.g = f64::from(fast_db_to_gain(-(ch.y as f32)));
                        ch.baseline = ch.g;
                    } else if old.style == Style::Punchy {
                        ch.y = f64::from(-fast_gain_to_db(ch.g as f32, FLOOR_DB, FLOOR_GAIN));
                        ch.baseline = ch.y;
                    }
                }
                if c.rms_window != old.rms_window || (old.blend <= 0.0 && c.blend > 0.0) {
                    ch.detector.set_window(c.rms_window);
                    ch.detector.reset();
                }
                if old.lookahead == 0 && c.lookahead > 0 {
                    // The lines were not fed without lookahead.
                    ch.audio.reset();
                    ch.key_delay.reset();
                }
                if new.sc_hpf_hz != self.active.sc_hpf_hz {
                    if !old.hpf {
                        ch.hpf.reset();
                    }
                    ch.hpf.set(
                        fs,
                        new.sc_hpf_hz,
                        core::f32::consts::FRAC_1_SQRT_2,
                        SvfMode::Highpass,
                        0.0,
                    );
                }
                if new.sc_lpf_hz != self.active.sc_lpf_hz {
                    if !old.lpf {
                        ch.lpf.reset();
                    }
                    ch.lpf.set(
                        fs,
                        new.sc_lpf_hz,
                        core::f32::consts::FRAC_1_SQRT_2,
                        SvfMode::Lowpass,
                        0.0,
                    );
                }
            }
            let targets = Smoothers::targets(&new);
            for (s, t) in self.smoothers.all().into_iter().zip(targets) {
                s.set_target(t);
            }
            self.coefs = c;
            self.active = new;
            self.ramping = true;
        }
        let c = self.coefs;
        for ch in &mut self.channels {
            if !(ch.y.is_finite() && ch.g.is_finite() && ch.baseline.is_finite()) {
                ch.reset_dynamics(c.style);
            }
            if ch.y < FLUSH_DB {
                ch.y = 0.0;
            }
            ch.update_period(&c);
        }
        if self.ramping {
            let s = &mut self.smoothers;
            let r = &mut self.ramps;
            let mut moving = false;
            let mut step = |sm: &mut LinearSmoother, out: &mut [f32; B]| {
                let a = sm.current();
                let b = sm.skip(B);
                moving |= sm.is_smoothing() || a != b;
                fill_ramp(out, a, b);
            };
            step(&mut s.threshold, &mut r.threshold);
            step(&mut s.slope, &mut r.slope);
            step(&mut s.knee, &mut r.knee);
            step(&mut s.range, &mut r.range);
            step(&mut s.makeup, &mut r.makeup);
            step(&mut s.output, &mut r.output);
            step(&mut s.mix, &mut r.mix);
            step(&mut s.bypass, &mut r.bypass);
            step(&mut s.listen, &mut r.listen);
            r.link = s.link.skip(B);
            moving |= s.link.is_smoothing();
            // Saturation referenced 6 dB above the threshold.
            r.drive = db_to_gain(-(r.threshold[B - 1] + 6.0));
            self.ramping = moving;
        }
    }

    /// Compresses planar audio in place, detecting from the audio itself.
    /// Channel count should match `prepare` (extra channels are left
    /// untouched). Non-finite samples are treated as silence. Realtime-safe.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.process_with_sidechain(channels, None);
    }

    /// Like [`process`](Self::process), with an external sidechain: one or
    /// more key channels as long as the audio (a mono key serves every
    /// channel). It is used when [`CompressorParams::external_sidechain`] is
    /// on; `None` or an empty slice falls back to the audio itself. A silent
    /// key (e.g. a host that left the sidechain unconnected) means no gain
    /// reduction.
    pub fn process_with_sidechain(
        &mut self,
        channels: &mut [&mut [f32]],
        sidechain: Option<&[&[f32]]>,
    ) {
        if !self.prepared || channels.is_empty() {
            return;
        }
        let _ftz = FlushDenormals::new();
        let nch = channels.len().min(self.channels.len());
        let mut len = channels[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
        let sidechain = sidechain.filter(|s| !s.is_empty());
        if let Some(sc) = sidechain {
            // A short key shortens the block rather than reading past it.
            len = len.min(sc.iter().map(|c| c.len()).min().unwrap_or(0));
        }
        let mut start = 0;
        while start < len {
            if self.clock.phase() == 0 {
                self.tick();
            }
            let p0 = self.clock.phase();
            let n = self.clock.samples_until_tick().min(len - start);
            self.run(channels, sidechain, nch, start, n, p0);
            self.clock.advance(n);
            start += n;
        }
    }

    /// Uses the AVX2 build of the inner loops where the CPU has it (`true`,
    /// the default) or forces the baseline build (`false`). Both give
    /// bit-identical output; this exists so tests and benchmarks can compare
    /// them.
    pub fn set_vector_path(&mut self, enabled: bool) {
        self.wide = enabled && has_avx2();
    }

    /// One piece of a control period: `n` samples from `start`, at phase `p0`.
    fn run(
        &mut self,
        chans: &mut [&mut [f32]],
        sidechain: Option<&[&[f32]]>,
        nch: usize,
        start: usize,
        n: usize,
        p0: usize,
    ) {
        #[cfg(target_arch = "x86_64")]
        if self.wide {
            // SAFETY: `wide` is only set when the CPU reports AVX2.
            unsafe { self.run_avx2(chans, sidechain, nch, start, n, p0) };
            return;
        }
        self.run_body(chans, sidechain, nch, start, n, p0);
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2(
        &mut self,
        chans: &mut [&mut [f32]],
        sidechain: Option<&[&[f32]]>,
        nch: usize,
        start: usize,
        n: usize,
        p0: usize,
    ) {
        self.run_body(chans, sidechain, nch, start, n, p0);
    }

    #[inline(always)]
    fn run_body(
        &mut self,
        chans: &mut [&mut [f32]],
        sidechain: Option<&[&[f32]]>,
        nch: usize,
        start: usize,
        n: usize,
        p0: usize,
    ) {
        let c = self.coefs;
        let r = &self.ramps;
        let stereo = nch == 2;
        let ms = stereo && c.mid_side;
        let lookahead = c.lookahead;
        let range = p0..p0 + n;

        // Key signal per channel.
        let mut key = [[0.0f32; B]; 2];
        for (ch, k) in key.iter_mut().enumerate().take(nch) {
            let src: &[f32] = match sidechain {
                Some(sc) if c.external => sc[ch.min(sc.len() - 1)],
                _ => chans[ch],
            };
            for (k, &x) in k[..n].iter_mut().zip(&src[start..start + n]) {
                *k = if x.is_finite() { x } else { 0.0 };
            }
        }
        if ms {
            let [k0, k1] = &mut key;
            for (a, b) in k0[..n].iter_mut().zip(k1[..n].iter_mut()) {
                let (m, s) = (0.5 * (*a + *b), 0.5 * (*a - *b));
                *a = m;
                *b = s;
            }
        }

        // Filters and level per channel.
        let mut level = [[0.0f32; B]; 2];
        for (ch, (state, k)) in self.channels.iter_mut().zip(key.iter_mut()).enumerate() {
            if ch >= nch {
                break;
            }
            if c.hpf {
                state.hpf.process_block(&mut k[..n]);
            }
            if c.lpf {
                state.lpf.process_block(&mut k[..n]);
            }
            state
                .detector
                .process_block(&k[..n], c.blend, &mut level[ch][..n]);
            if lookahead > 0 {
                for &v in &k[..n] {
                    state.key_delay.push(v);
                }
            }
        }

        // Levels in dB, and the stereo link in the dB domain: each channel
        // moves towards the louder one. Fully linked, the louder level is
        // taken before the logarithm (which keeps the order), so one
        // conversion serves both channels.
        let shared_path = stereo && r.link >= 1.0;
        let mut xg = [[FLOOR_DB; B]; 2];
        if shared_path {
            let [l0, l1] = &level;
            for ((x, a), b) in xg[0][..n].iter_mut().zip(&l0[..n]).zip(&l1[..n]) {
                *x = fast_gain_to_db(a.max(*b), FLOOR_DB, FLOOR_GAIN);
            }
        } else {
            for (x, l) in xg.iter_mut().zip(&level).take(nch) {
                for (x, &l) in x[..n].iter_mut().zip(&l[..n]) {
                    *x = fast_gain_to_db(l, FLOOR_DB, FLOOR_GAIN);
                }
            }
            if stereo && r.link > 0.0 {
                let link = r.link;
                let [a, b] = &mut xg;
                for (a, b) in a[..n].iter_mut().zip(b[..n].iter_mut()) {
                    let m = a.max(*b);
                    *a += link * (m - *a);
                    *b += link * (m - *b);
                }
            }
        }
        let mut max_det = self.meter.max_detector_db;
        for x in xg.iter().take(if shared_path { 1 } else { nch }) {
            for &v in &x[..n] {
                max_det = max_det.max(v);
            }
        }
        self.meter.max_detector_db = max_det;

        // Gain paths: reduction (dB) and linear gain per sample.
        let mut gr = [[0.0f32; B]; 2];
        let mut gain = [[1.0f32; B]; 2];
        let paths = if shared_path { 1 } else { nch };
        for ch in 0..paths {
            let state = &mut self.channels[ch];
            let (grc, gc) = (&mut gr[ch], &mut gain[ch]);
            gain_path(state, &c, r, &xg[ch][..n], range.clone(), grc, gc);
        }
        if shared_path {
            let (g0, g1) = gain.split_at_mut(1);
            g1[0][..n].copy_from_slice(&g0[0][..n]);
            let (r0, r1) = gr.split_at_mut(1);
            r1[0][..n].copy_from_slice(&r0[0][..n]);
            // Keep the second channel's state in step with the shared one.
            let (first, rest) = self.channels.split_at_mut(1);
            let f = &first[0];
            let s = &mut rest[0];
            s.y = f.y;
            s.g = f.g;
            s.hold_left = f.hold_left;
            s.baseline = f.baseline;
            s.memory = f.memory;
        }
        let mut max_gr = self.meter.max_reduction_db;
        for g in gr.iter().take(nch) {
            for &v in &g[..n] {
                max_gr = max_gr.max(v);
            }
        }
        self.meter.max_reduction_db = max_gr;

        // Audio path.
        let mut dry = [[0.0f32; B]; 2];
        let mut input_peak = self.meter.input_peak;
        for (ch, state) in self.channels.iter_mut().enumerate().take(nch) {
            let src = &chans[ch][start..start + n];
            let d = &mut dry[ch];
            for (d, &x) in d[..n].iter_mut().zip(src) {
                let x = if x.is_finite() { x } else { 0.0 };
                input_peak = input_peak.max(x.abs());
                *d = x;
            }
            if lookahead > 0 {
                for v in d[..n].iter_mut() {
                    state.audio.push(*v);
                    *v = state.audio.read(lookahead);
                }
            }
        }
        self.meter.input_peak = input_peak;
        let mut wet = dry;
        if ms {
            let [a, b] = &mut wet;
            for (a, b) in a[..n].iter_mut().zip(b[..n].iter_mut()) {
                let (m, s) = (0.5 * (*a + *b), 0.5 * (*a - *b));
                *a = m;
                *b = s;
            }
        }
        let listening = r.listen[p0] > 0.0 || r.listen[p0 + n - 1] > 0.0;
        for ch in 0..nch {
            let w = &mut wet[ch];
            // Dry in the processing domain (M/S or L/R) for the mix.
            let a: [f32; B] = *w;
            let (mk, mx) = (&r.makeup[range.clone()], &r.mix[range.clone()]);
            if c.style == Style::Punchy {
                let drive = r.drive;
                for ((v, &g), &red) in w[..n].iter_mut().zip(&gain[ch][..n]).zip(&gr[ch][..n]) {
                    let x = *v * g;
                    let amount = SAT_MAX * (red * (1.0 / SAT_FULL_DB)).min(1.0);
                    let s = soft_clip(x * drive) / drive;
                    *v = x + amount * (s - x);
                }
                for (((v, &a), &m), &t) in w[..n].iter_mut().zip(&a[..n]).zip(mk).zip(mx) {
                    *v = lerp(a, *v * m, t);
                }
            } else {
                for ((((v, &a), &g), &m), &t) in w[..n]
                    .iter_mut()
                    .zip(&a[..n])
                    .zip(&gain[ch][..n])
                    .zip(mk)
                    .zip(mx)
                {
                    *v = lerp(a, a * g * m, t);
                }
            }
            if listening {
                let state = &self.channels[ch];
                let ls = &r.listen[range.clone()];
                for (i, v) in w[..n].iter_mut().enumerate() {
                    let k = if lookahead > 0 {
                        state.key_delay.read(lookahead + n - 1 - i)
                    } else {
                        key[ch][i]
                    };
                    *v = lerp(*v, k, ls[i]);
                }
            }
        }
        if ms {
            let [a, b] = &mut wet;
            for (a, b) in a[..n].iter_mut().zip(b[..n].iter_mut()) {
                let (l, r) = (*a + *b, *a - *b);
                *a = l;
                *b = r;
            }
        }
        let mut output_peak = self.meter.output_peak;
        let (out_gain, bypass) = (&r.output[range.clone()], &r.bypass[range.clone()]);
        for ((dst, w), d) in chans.iter_mut().zip(&wet).zip(&dry).take(nch) {
            for ((((y, &w), &d), &og), &b) in dst[start..start + n]
                .iter_mut()
                .zip(&w[..n])
                .zip(&d[..n])
                .zip(out_gain)
                .zip(bypass)
            {
                let v = lerp(w * og, d, b);
                output_peak = output_peak.max(v.abs());
                *y = v;
            }
        }
        self.meter.output_peak = output_peak;
    }
}

/// Whether this CPU can run the AVX2 build.
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// One gain path over `xg` (detector levels in dB, after linking): writes the
/// reduction (dB) and linear gain per sample. `range` indexes the period's
/// ramps.
#[inline(always)]
fn gain_path(
    ch: &mut Channel,
    c: &Coefs,
    r: &Ramps,
    xg: &[f32],
    range: core::ops::Range<usize>,
    gr: &mut [f32; B],
    gain: &mut [f32; B],
) {
    let n = xg.len();
    let (th, sl, kn, rg) = (
        &r.threshold[range.clone()],
        &r.slope[range.clone()],
        &r.knee[range.clone()],
        &r.range[range],
    );
    let hold = c.hold;
    let auto = c.auto_release;
    let (aa, af, asl, ab) = (ch.attack, ch.release_fast, ch.release_slow, c.baseline);
    let feedback = c.topology == Topology::Feedback;
    let mut overshoot = ch.overshoot;

    // Target reduction per sample (feed-forward: all at once, vectorisable).
    let mut target = [0.0f32; B];
    if !feedback {
        for i in 0..n {
            target[i] = (sl[i] * excess_db(xg[i], th[i], kn[i])).min(rg[i]);
        }
    }

    if c.style == Style::Punchy {
        // Linear-domain ballistics on the gain.
        let mut g = ch.g;
        let mut base = ch.baseline;
        let mut hold_left = ch.hold_left;
        for i in 0..n {
            let x_db = if feedback {
                let level = xg[i] + fast_gain_to_db(g as f32, FLOOR_DB, FLOOR_GAIN);
                let k = feedback_gain(sl[i], ch.fb_cap);
                (k * excess_db(level, th[i], kn[i])).min(rg[i])
            } else {
                target[i]
            };
            let t = if x_db > 0.0 {
                f64::from(fast_db_to_gain(-x_db))
            } else {
                1.0
            };
            if t < g {
                g = t + aa * (g - t);
                hold_left = hold;
            } else if hold_left > 0 {
                hold_left -= 1;
            } else {
                let ar = if auto && g < base { af } else { asl };
                g = t + ar * (g - t);
            }
            if auto {
                base = g + ab * (base - g);
            }
            gain[i] = g as f32;
        }
        ch.g = g;
        ch.baseline = base;
        ch.hold_left = hold_left;
        for i in 0..n {
            gr[i] = if gain[i] < 1.0 {
                -fast_gain_to_db(gain[i], FLOOR_DB, FLOOR_GAIN)
            } else {
                0.0
            };
        }
    } else {
        // Log-domain ballistics on the reduction.
        let mut y = ch.y;
        let mut base = ch.baseline;
        let mut hold_left = ch.hold_left;
        let plain = !feedback && hold == 0 && !auto && c.style == Style::Clean;
        if plain {
            // The common case without hold, auto release or the opto cell,
            // written without branches: attack and release alternate
            // unpredictably on programme (every cycle of a waveform), which
            // a branch would mispredict. Tiny reductions are flushed at the
            // next control tick instead of per sample, to keep the loop's
            // dependency chain short.
            for (g, &x) in gr[..n].iter_mut().zip(&target[..n]) {
                let x = f64::from(x);
                let a = if x > y { aa } else { asl };
                y = x + a * (y - x);
                *g = y as f32;
            }
        } else {
            for i in 0..n {
                let x = if feedback {
                    let level = xg[i] - y as f32;
                    let k = feedback_gain(sl[i], ch.fb_cap);
                    (k * excess_db(level, th[i], kn[i])).min(rg[i])
                } else {
                    target[i]
                };
                overshoot = overshoot.max(x - y as f32);
                let x = f64::from(x);
                if x > y {
                    y = x + aa * (y - x);
                    hold_left = hold;
                } else if hold_left > 0 {
                    hold_left -= 1;
                } else {
                    let ar = if auto && y > base { af } else { asl };
                    y = x + ar * (y - x);
                }
                if y < FLUSH_DB {
                    y = 0.0;
                }
                if auto {
                    base = y + ab * (base - y);
                    if base < FLUSH_DB {
                        base = 0.0;
                    }
                }
                gr[i] = y as f32;
            }
        }
        ch.y = y;
        ch.baseline = base;
        ch.hold_left = hold_left;
        for i in 0..n {
            gain[i] = if gr[i] > 0.0 {
                fast_db_to_gain(-gr[i])
            } else {
                1.0
            };
        }
    }
    ch.overshoot = overshoot;
}
