//! Glasswork EQ: up to 24 analog-matched bands with stereo placement, solo,
//! output and auto gain, dynamic bands, and zero-latency or linear phase.
//!
//! Signal flow per control period ([`CONTROL_BLOCK`] samples, counted from
//! `reset()`, so the output is the same at any host block size):
//!
//! 1. Bands placed stereo, left or right run on the left/right pair; bands
//!    placed mid or side run after them on (M, S) = ((L + R)/2, (L − R)/2),
//!    decoded back as L = M + S, R = M − S. The bands are linear and
//!    time-invariant between changes, so running the two groups one after
//!    the other equals any interleaving. A band on one lane runs
//!    pass-through coefficients on the other. Every section of every band
//!    runs in one per-sample loop ([`crate::cascade`]).
//! 2. Frequency, gain and Q glide on the control grid ([`crate::eq_band`]).
//!    A change of type, slope or placement, and switching a band on or off,
//!    fades the band out (its dry/wet mix to 0 over [`FADE_MS`]), makes the
//!    change while it is silent and fades it back in: no click, where an
//!    instant change of filter structure would step the output.
//! 3. Dynamic bands: a detector band-passes the band's own input (or the
//!    external sidechain) at the band's frequency and Q on the lanes the
//!    band acts on, follows it with a peak envelope (attack, release), and
//!    moves the band's gain within its range by the compressor law
//!    (threshold, ratio) once per control period; the band is redesigned
//!    there and ramps per sample.
//! 4. Solo: a band pass at the soloed band's frequency and Q on the EQ's
//!    input, on the band's lanes (the other lanes silent), crossfaded with
//!    the EQ's output over [`FADE_MS`].
//! 5. Output gain, plus (auto gain) the loudness compensation of the static
//!    curve: −10·log10 of the mean over 64 log-spaced frequencies from 20 Hz
//!    to 20 kHz of the curve's power gain (pink noise has equal power per
//!    octave, so this is the curve's gain on pink noise), for uncorrelated
//!    left and right. It uses the bands' analog prototypes at their target
//!    settings without dynamic gain (so it does not pump), and glides with
//!    the output gain (20 ms).
//!
//! Linear phase ([`PhaseMode::Linear`]) replaces step 1's filters by FIR
//! convolution ([`crate::linear_phase`]) of the bands' static curve (the
//! same matched designs' magnitude, so both modes have the same curve).
//! Dynamic bands then apply their gain change after the FIR, as an IIR
//! correction (the band at static plus dynamic gain times the inverse of the
//! band at static gain), with the gain delayed by the latency so that it
//! meets the audio it was measured on; the correction is minimum phase, so
//! the response is linear-phase whenever no dynamic band is moving. Solo
//! and detectors take the undelayed input; the solo is delayed to line up.
//!
//! Natural (analog) phase is not offered. The matched IIR bands already have
//! the analog prototype's magnitude and minimum phase, which is the analog
//! prototype's phase too (bells, shelves and cuts are minimum-phase analog
//! filters), up to the small deviation of a digital minimum-phase filter
//! near Nyquist. What other EQs call "natural phase" is the analog phase of
//! a bilinear or cramped design kept while its magnitude is corrected; here
//! there is no cramping to correct, so such a mode would sound the same as
//! zero latency.

use crate::analog::{AnalogPrototype, BandParams, BandType, Slope};
use crate::cascade::{self, BandLanes, LaneCoefs};
use crate::control::{ControlClock, CONTROL_BLOCK};
use crate::envelope::EnvelopeFollower;
use crate::eq_band::BandDesigner;
use crate::gain_computer::ratio_slope;
use crate::linear_phase::{FirLength, LinearPhase};
use crate::matched::MatchedCoefs;
use crate::response::FrequencyResponse;
use core::f64::consts::PI;

/// Most bands.
pub const MAX_BANDS: usize = 24;

/// Duration of a band's fade around a change of type, slope, placement or
/// on/off, and of the solo crossfade, in ms.
pub const FADE_MS: f64 = 10.0;

/// Time constant of the output gain glide, in ms.
pub const OUTPUT_GAIN_MS: f64 = 20.0;

/// Output gain range, dB.
pub const MAX_OUTPUT_GAIN_DB: f32 = 36.0;

/// Threshold range of a dynamic band, dBFS.
pub const MIN_THRESHOLD_DB: f32 = -80.0;

/// Smallest change of a dynamic band's gain (dB) that triggers a redesign.
const DYNAMIC_STEP_DB: f64 = 0.01;

/// Where a band acts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Placement {
    /// Both channels alike.
    #[default]
    Stereo,
    /// Left channel only.
    Left,
    /// Right channel only.
    Right,
    /// Mid, (L + R)/2, only.
    Mid,
    /// Side, (L − R)/2, only.
    Side,
}

/// Dynamic behaviour of a band.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DynamicParams {
    /// Dynamics on (bells and shelves only; other types ignore it).
    pub enabled: bool,
    /// Threshold in dBFS, [`MIN_THRESHOLD_DB`] ..= 0 (peak level of the
    /// detector's band-passed signal); default −24.
    pub threshold_db: f32,
    /// Largest gain change in dB, ±30: negative cuts and positive boosts
    /// the band as the level rises above the threshold; default −12.
    pub range_db: f32,
    /// Ratio, 1 ..= 100 (100 = ∞): above the threshold the gain moves by
    /// (1 − 1/ratio) dB per dB of excess level, up to the range; default 4.
    pub ratio: f32,
    /// Attack time constant of the detector envelope, ms, 0 ..= 1000;
    /// default 10.
    pub attack_ms: f32,
    /// Release time constant of the detector envelope, ms, 0 ..= 5000;
    /// default 150.
    pub release_ms: f32,
    /// Detect from the external sidechain input instead of the band's own
    /// input (silence if the host gives none); default off.
    pub external: bool,
}

impl Default for DynamicParams {
    fn default() -> Self {
        Self {
            enabled: false,
            threshold_db: -24.0,
            range_db: -12.0,
            ratio: 4.0,
            attack_ms: 10.0,
            release_ms: 150.0,
            external: false,
        }
    }
}

impl DynamicParams {
    fn sanitised(&self) -> Self {
        let d = Self::default();
        let pick = |v: f32, default: f32, lo: f32, hi: f32| {
            if v.is_nan() {
                default
            } else {
                v.clamp(lo, hi)
            }
        };
        Self {
            enabled: self.enabled,
            threshold_db: pick(self.threshold_db, d.threshold_db, MIN_THRESHOLD_DB, 0.0),
            range_db: pick(self.range_db, d.range_db, -30.0, 30.0),
            ratio: pick(self.ratio, d.ratio, 1.0, 100.0),
            attack_ms: pick(self.attack_ms, d.attack_ms, 0.0, 1_000.0),
            release_ms: pick(self.release_ms, d.release_ms, 0.0, 5_000.0),
            external: self.external,
        }
    }

    /// The gain change (dB) for a detector level of `level_db` dBFS: the
    /// excess over the threshold times (1 − 1/ratio), limited to the range,
    /// signed as the range.
    pub fn gain_db(&self, level_db: f64) -> f64 {
        let p = self.sanitised();
        let excess = (level_db - f64::from(p.threshold_db)).max(0.0);
        let amount = excess * f64::from(ratio_slope(p.ratio));
        let range = f64::from(p.range_db);
        amount.min(range.abs()) * range.signum()
    }
}

/// One band's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EqBandSettings {
    /// Band on; default off (an EQ starts with no bands).
    pub enabled: bool,
    /// Type, frequency (Hz), gain (dB), Q and slope: see [`BandParams`].
    pub band: BandParams,
    /// Stereo placement; default stereo.
    pub placement: Placement,
    /// Dynamic EQ; default off.
    pub dynamic: DynamicParams,
}

impl Default for EqBandSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            band: BandParams::default(),
            placement: Placement::Stereo,
            dynamic: DynamicParams::default(),
        }
    }
}

/// Filter realisation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PhaseMode {
    /// Matched IIR bands: no latency, minimum phase.
    #[default]
    ZeroLatency,
    /// Linear phase: FIR convolution, latency half the FIR length.
    Linear,
}

/// Everything the EQ's host-facing parameters set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EqParams {
    /// The bands, in processing order.
    pub bands: [EqBandSettings; MAX_BANDS],
    /// Output gain, dB, ±[`MAX_OUTPUT_GAIN_DB`]; default 0.
    pub output_gain_db: f32,
    /// Loudness compensation of the curve's static gain; default off.
    pub auto_gain: bool,
    /// The band heard alone through a band pass (index < [`MAX_BANDS`] of
    /// an enabled band), or none; default none.
    pub solo: Option<usize>,
    /// Zero latency or linear phase; default zero latency.
    pub phase: PhaseMode,
    /// FIR length in linear phase; default 8192 taps at 48 kHz.
    pub fir_length: FirLength,
}

impl Default for EqParams {
    fn default() -> Self {
        Self {
            bands: [EqBandSettings::default(); MAX_BANDS],
            output_gain_db: 0.0,
            auto_gain: false,
            solo: None,
            phase: PhaseMode::ZeroLatency,
            fir_length: FirLength::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Domain {
    LeftRight,
    MidSide,
}

impl Placement {
    fn domain(self) -> Domain {
        match self {
            Placement::Mid | Placement::Side => Domain::MidSide,
            _ => Domain::LeftRight,
        }
    }

    fn lanes(self) -> [bool; 2] {
        match self {
            Placement::Stereo => [true, true],
            Placement::Left | Placement::Mid => [true, false],
            Placement::Right | Placement::Side => [false, true],
        }
    }
}

/// A band's fade around a structural change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fade {
    Steady,
    /// Periods left until silent.
    Out(usize),
    /// Periods left until fully in.
    In(usize),
}

/// The bands of one domain, in slot order, stored contiguously so the
/// per-sample loop runs over them without indirection.
#[derive(Clone, Debug, Default)]
struct Chain {
    lanes: Vec<BandLanes>,
    slots: Vec<usize>,
}

impl Chain {
    fn with_capacity(n: usize) -> Self {
        Self {
            lanes: Vec::with_capacity(n),
            slots: Vec::with_capacity(n),
        }
    }

    fn position(&self, slot: usize) -> Option<usize> {
        self.slots.iter().position(|&s| s == slot)
    }

    /// Inserts a fresh (pass-through) band for `slot`; realtime-safe within
    /// the reserved capacity.
    fn insert(&mut self, slot: usize) -> usize {
        if let Some(p) = self.position(slot) {
            return p;
        }
        let at = self
            .slots
            .iter()
            .position(|&s| s > slot)
            .unwrap_or(self.slots.len());
        if self.lanes.len() < self.lanes.capacity() {
            self.lanes.insert(at, BandLanes::new());
            self.slots.insert(at, slot);
        }
        at
    }

    fn remove(&mut self, slot: usize) {
        if let Some(p) = self.position(slot) {
            self.lanes.remove(p);
            self.slots.remove(p);
        }
    }

    fn get_mut(&mut self, slot: usize) -> Option<&mut BandLanes> {
        let p = self.position(slot)?;
        self.lanes.get_mut(p)
    }
}

/// A dynamic band's detector.
#[derive(Clone, Debug)]
struct Detector {
    lanes: BandLanes,
    env: [EnvelopeFollower; 2],
    /// The band-pass's (frequency, Q) as designed.
    designed: Option<(f32, f32)>,
    /// Gain change applied now, dB.
    applied_db: f64,
}

impl Detector {
    fn new() -> Self {
        Self {
            lanes: BandLanes::new(),
            env: [EnvelopeFollower::new(), EnvelopeFollower::new()],
            designed: None,
            applied_db: 0.0,
        }
    }
}

/// A dynamic band's gain change in linear phase: applied after the FIR by
/// an IIR correction (the band at static + dynamic gain, times the inverse
/// of the band at static gain), its gain delayed by the latency so it lines
/// up with the delayed audio.
#[derive(Clone, Debug, Default)]
struct Correction {
    /// Gain changes of the last `latency / CONTROL_BLOCK` periods.
    ring: Vec<f64>,
    len: usize,
    pos: usize,
    /// Gain change the correction realises now (dB).
    applied: f64,
    /// Sections in the correction's lanes.
    sections: usize,
    /// Periods since the correction last changed (it is dropped once it has
    /// been unity long enough for its transients to have passed).
    idle: usize,
}

/// One band slot.
#[derive(Clone, Debug)]
struct Slot {
    designer: BandDesigner,
    /// Settings requested.
    want: EqBandSettings,
    /// Enabled and placement in effect.
    on: bool,
    placement: Placement,
    fade: Fade,
    detector: Detector,
    correction: Correction,
}

/// The EQ kernel. Lifecycle as in `DESIGN.md`: [`new`](Self::new) →
/// [`prepare`](Self::prepare) → [`set_params`](Self::set_params) /
/// [`process`](Self::process).
#[derive(Clone, Debug)]
pub struct Eq {
    sample_rate: f32,
    channels: usize,
    params: EqParams,
    slots: Vec<Slot>,
    lr: Chain,
    ms: Chain,
    fade_periods: usize,
    clock: ControlClock,
    // Solo.
    solo_lanes: BandLanes,
    solo_domain: Domain,
    solo_band: Option<usize>,
    solo_mix: f64,
    solo_step: f64,
    solo_designed: Option<(usize, f32, f32, Placement)>,
    // Output gain.
    gain_db: f64,
    gain: f64,
    gain_step: f64,
    gain_alpha: f64,
    auto_db: f64,
    auto_dirty: bool,
    /// e^{jω} and frequency of the auto-gain grid.
    auto_grid: [f64; AUTO_POINTS],
    linear: LinearPhase,
    /// Phase mode in effect (changes on the control grid).
    phase: PhaseMode,
    /// Linear phase: the dynamic bands' corrections after the FIR.
    corr_lr: Chain,
    corr_ms: Chain,
    /// The bands' static response changed since the linear-phase design
    /// last looked.
    response_changed: bool,
    ticks: u64,
}

/// Points of the auto-gain grid.
const AUTO_POINTS: usize = 64;

impl Default for Eq {
    fn default() -> Self {
        Self::new()
    }
}

impl Eq {
    /// No bands, 0 dB, at 48 kHz stereo; cheap (call
    /// [`prepare`](Self::prepare) before processing).
    pub fn new() -> Self {
        let slot = Slot {
            designer: BandDesigner::new(),
            want: EqBandSettings::default(),
            on: false,
            placement: Placement::Stereo,
            fade: Fade::Steady,
            detector: Detector::new(),
            correction: Correction::default(),
        };
        Self {
            sample_rate: 48_000.0,
            channels: 2,
            params: EqParams::default(),
            slots: vec![slot; MAX_BANDS],
            lr: Chain::with_capacity(MAX_BANDS),
            ms: Chain::with_capacity(MAX_BANDS),
            fade_periods: 1,
            clock: ControlClock::new(CONTROL_BLOCK),
            solo_lanes: BandLanes::new(),
            solo_domain: Domain::LeftRight,
            solo_band: None,
            solo_mix: 0.0,
            solo_step: 0.0,
            solo_designed: None,
            gain_db: 0.0,
            gain: 1.0,
            gain_step: 0.0,
            gain_alpha: 1.0,
            auto_db: 0.0,
            auto_dirty: true,
            auto_grid: core::array::from_fn(|i| {
                20.0 * 1000f64.powf(i as f64 / (AUTO_POINTS - 1) as f64)
            }),
            linear: LinearPhase::new(),
            phase: PhaseMode::ZeroLatency,
            corr_lr: Chain::with_capacity(MAX_BANDS),
            corr_ms: Chain::with_capacity(MAX_BANDS),
            response_changed: true,
            ticks: 0,
        }
    }

    /// Sets the sample rate (Hz, 22 050 ..= 192 000; other finite positive
    /// values work too), the largest host block (any; accepted for the common
    /// signature) and the channel count (1 or 2; a third and further
    /// channels pass through untouched). Allocates (the linear-phase
    /// convolution for its longest FIR), then resets.
    pub fn prepare(&mut self, sample_rate: f32, max_block: usize, channels: usize) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            self.sample_rate = sample_rate;
        }
        self.channels = channels.clamp(1, 2);
        let fs = f64::from(self.sample_rate);
        self.fade_periods = ((FADE_MS * 1e-3 * fs / CONTROL_BLOCK as f64).round() as usize).max(1);
        let period_s = CONTROL_BLOCK as f64 / fs;
        self.gain_alpha = 1.0 - (-period_s / (OUTPUT_GAIN_MS * 1e-3)).exp();
        for slot in &mut self.slots {
            slot.designer.set_sample_rate(self.sample_rate);
            for env in &mut slot.detector.env {
                env.prepare(self.sample_rate);
            }
        }
        self.linear.prepare(self.sample_rate, max_block);
        let ring = FirLength::Taps32768.taps(self.sample_rate) / 2 / CONTROL_BLOCK + 1;
        for slot in &mut self.slots {
            slot.correction.ring = vec![0.0; ring];
        }
        self.reset();
    }

    /// Jumps every band, gain and fade to its target, clears all filter
    /// states and restarts the control grid. Realtime-safe.
    pub fn reset(&mut self) {
        self.clock.reset();
        self.lr.lanes.clear();
        self.lr.slots.clear();
        self.ms.lanes.clear();
        self.ms.slots.clear();
        let mono = self.channels < 2;
        for i in 0..MAX_BANDS {
            let want = self.params.bands[i];
            let slot = &mut self.slots[i];
            slot.want = want;
            slot.on = want.enabled;
            slot.placement = if mono {
                Placement::Left
            } else {
                want.placement
            };
            slot.fade = Fade::Steady;
            slot.designer.set_params(&want.band);
            slot.designer.set_gain_offset(0.0);
            slot.designer.set_lanes_used(slot.placement.lanes());
            slot.detector.applied_db = 0.0;
            slot.detector.designed = None;
            slot.detector.lanes = BandLanes::new();
            for env in &mut slot.detector.env {
                env.reset();
            }
            if slot.on {
                let chain = match slot.placement.domain() {
                    Domain::LeftRight => &mut self.lr,
                    Domain::MidSide => &mut self.ms,
                };
                chain.insert(i);
                if let Some(lanes) = chain.get_mut(i) {
                    slot.designer.reset(core::slice::from_mut(lanes));
                }
            } else {
                slot.designer.reset(&mut []);
            }
        }
        self.solo_lanes = BandLanes::new();
        self.solo_band = None;
        self.solo_designed = None;
        self.solo_mix = 0.0;
        self.solo_step = 0.0;
        self.update_solo(false);
        self.auto_db = self.auto_gain_db();
        self.auto_dirty = false;
        self.gain_db = self.gain_target_db();
        self.gain = 10f64.powf(self.gain_db / 20.0);
        self.gain_step = 0.0;
        self.ticks = 0;
        self.enter_phase_mode();
    }

    /// Takes the requested phase mode: clears the filter states of the mode
    /// left behind (they did not run), restarts the convolution and designs
    /// its FIR at once, clears the corrections.
    fn enter_phase_mode(&mut self) {
        self.phase = self.params.phase;
        for l in self.lr.lanes.iter_mut().chain(self.ms.lanes.iter_mut()) {
            l.reset_states();
        }
        self.corr_lr.lanes.clear();
        self.corr_lr.slots.clear();
        self.corr_ms.lanes.clear();
        self.corr_ms.slots.clear();
        let len = self.linear_latency_periods();
        for slot in &mut self.slots {
            let c = &mut slot.correction;
            c.len = len.min(c.ring.len());
            c.ring.iter_mut().for_each(|v| *v = 0.0);
            c.pos = 0;
            c.applied = 0.0;
            c.sections = 0;
            c.idle = 0;
        }
        self.linear.set_length(self.params.fir_length);
        self.linear.reset();
        self.response_changed = true;
        self.linear_design(true);
    }

    /// The linear-phase latency in control periods.
    fn linear_latency_periods(&self) -> usize {
        self.params.fir_length.taps(self.sample_rate) / 2 / CONTROL_BLOCK
    }

    /// Sets the target parameters (sanitised; a NaN field takes its default).
    /// Realtime-safe: changes take effect on the control grid.
    pub fn set_params(&mut self, params: &EqParams) {
        let mut p = *params;
        p.output_gain_db = if p.output_gain_db.is_nan() {
            0.0
        } else {
            p.output_gain_db
                .clamp(-MAX_OUTPUT_GAIN_DB, MAX_OUTPUT_GAIN_DB)
        };
        if p.solo.is_some_and(|s| s >= MAX_BANDS) {
            p.solo = None;
        }
        for b in &mut p.bands {
            b.band = b.band.sanitised();
            b.dynamic = b.dynamic.sanitised();
        }
        if p.bands != self.params.bands {
            self.auto_dirty = true;
        }
        self.params = p;
        for i in 0..MAX_BANDS {
            let want = self.params.bands[i];
            let slot = &mut self.slots[i];
            slot.want = want;
            // Frequency, gain and Q glide on their own; a new type or slope
            // waits for the fade (see `on_tick`).
            slot.designer.set_params(&want.band);
        }
    }

    /// The parameters set last (sanitised).
    pub fn params(&self) -> &EqParams {
        &self.params
    }

    /// Latency in samples: 0 in zero-latency mode, half the FIR length in
    /// linear phase.
    pub fn latency(&self) -> usize {
        match self.phase {
            PhaseMode::ZeroLatency => 0,
            PhaseMode::Linear => self.linear.latency(),
        }
    }

    /// Tail in samples, to report to the host: how long the output keeps
    /// ringing after the input stops, to −60 dB (7 time constants of the
    /// slowest pole of the enabled bands' prototypes, at most 20 s), plus
    /// the FIR's length in linear phase.
    pub fn tail_samples(&self) -> usize {
        let fs = f64::from(self.sample_rate);
        let mut slowest = 0.0f64;
        for b in self.params.bands.iter().filter(|b| b.enabled) {
            let proto = AnalogPrototype::new(&b.band);
            let w0 = 2.0 * PI * proto.freq_hz();
            for s in proto.sections() {
                let tau = match *s {
                    crate::analog::AnalogSection::Second { wp, qp, .. } => {
                        let zeta = 0.5 / qp;
                        if zeta < 1.0 {
                            1.0 / (zeta * wp * w0)
                        } else {
                            1.0 / (wp * w0 * (zeta - (zeta * zeta - 1.0).sqrt()))
                        }
                    }
                    crate::analog::AnalogSection::First { wp, .. } => 1.0 / (wp * w0),
                };
                if tau.is_finite() {
                    slowest = slowest.max(tau);
                }
            }
        }
        let ring = ((7.0 * slowest).min(20.0) * fs).ceil() as usize;
        match self.phase {
            PhaseMode::ZeroLatency => ring,
            PhaseMode::Linear => ring + self.linear.taps(),
        }
    }

    /// Gain change (dB) a dynamic band applies now (0 for a static or
    /// disabled band, or an index ≥ [`MAX_BANDS`]): for the editor, which
    /// may copy it into an atomic.
    pub fn dynamic_gain_db(&self, band: usize) -> f32 {
        self.slots
            .get(band)
            .map_or(0.0, |s| s.detector.applied_db as f32)
    }

    /// The detector level (peak envelope, dBFS) of a dynamic band now, or
    /// −inf.
    pub fn detector_level_db(&self, band: usize) -> f32 {
        self.slots.get(band).map_or(f32::NEG_INFINITY, |s| {
            let lanes = s.placement.lanes();
            let level = (0..2)
                .filter(|&k| lanes[k])
                .map(|k| s.detector.env[k].value())
                .fold(0.0f32, f32::max);
            20.0 * level.log10()
        })
    }

    /// Complex response (re, im) of band `band` alone as designed now
    /// (including any dynamic gain), at `freq_hz`; 1 for a disabled band.
    pub fn band_response(&self, band: usize, freq_hz: f32) -> (f64, f64) {
        match self.slots.get(band) {
            Some(s) if s.on => s
                .designer
                .coefs()
                .response_complex(freq_hz, self.sample_rate),
            _ => (1.0, 0.0),
        }
    }

    /// The current output gain (linear, including auto gain).
    pub fn output_gain(&self) -> f64 {
        self.gain
    }

    /// Complex response (re, im) of the whole EQ now (bands as designed,
    /// output gain included) at `freq_hz`, for a signal placed at `at`:
    /// stereo and mid mean the same signal on both channels, side opposite
    /// signals, left or right one channel only; the response is that of the
    /// same component at the output. In zero-latency mode this is the
    /// filter heard once the bands have settled; in linear phase the same
    /// magnitude with the FIR's delay.
    pub fn response(&self, freq_hz: f32, at: Placement) -> (f64, f64) {
        let m = self.matrix(freq_hz);
        let u: [f64; 2] = match at {
            Placement::Stereo | Placement::Mid => [1.0, 1.0],
            Placement::Left => [1.0, 0.0],
            Placement::Right => [0.0, 1.0],
            Placement::Side => [1.0, -1.0],
        };
        // ⟨u, M·u⟩ / ⟨u, u⟩
        let mut acc = (0.0, 0.0);
        for (r, &ur) in u.iter().enumerate() {
            for (c, &uc) in u.iter().enumerate() {
                acc.0 += ur * uc * m[r][c].0;
                acc.1 += ur * uc * m[r][c].1;
            }
        }
        let norm = u.iter().map(|v| v * v).sum::<f64>();
        let mut h = (acc.0 / norm * self.gain, acc.1 / norm * self.gain);
        if self.phase == PhaseMode::Linear {
            // The FIR's magnitude with its pure delay.
            let mag = h.0.hypot(h.1);
            let phase = -2.0 * PI * f64::from(freq_hz) / f64::from(self.sample_rate)
                * self.linear.latency() as f64;
            h = (mag * phase.cos(), mag * phase.sin());
        }
        h
    }

    /// The 2 × 2 transfer matrix (left/right in, left/right out) of the
    /// bands as designed now, without output gain.
    fn matrix(&self, freq_hz: f32) -> [[(f64, f64); 2]; 2] {
        let one = (1.0, 0.0);
        let mul = |a: (f64, f64), b: (f64, f64)| (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0);
        let mut lr = [one, one];
        let mut ms = [one, one];
        for s in self.slots.iter().filter(|s| s.on) {
            let h = s
                .designer
                .coefs()
                .response_complex(freq_hz, self.sample_rate);
            let lanes = s.placement.lanes();
            let target = match s.placement.domain() {
                Domain::LeftRight => &mut lr,
                Domain::MidSide => &mut ms,
            };
            for k in 0..2 {
                if lanes[k] {
                    target[k] = mul(target[k], h);
                }
            }
        }
        // In L/R terms the M/S stage is ½·[[M + S, M − S], [M − S, M + S]].
        let add =
            |a: (f64, f64), b: (f64, f64), s: f64| (0.5 * (a.0 + s * b.0), 0.5 * (a.1 + s * b.1));
        let p = add(ms[0], ms[1], 1.0);
        let q = add(ms[0], ms[1], -1.0);
        [
            [mul(p, lr[0]), mul(q, lr[1])],
            [mul(q, lr[0]), mul(p, lr[1])],
        ]
    }

    fn gain_target_db(&self) -> f64 {
        let auto = if self.params.auto_gain {
            self.auto_db
        } else {
            0.0
        };
        f64::from(self.params.output_gain_db) + auto
    }

    /// Loudness compensation (dB) of the bands' static analog curves: see
    /// the module notes.
    fn auto_gain_db(&self) -> f64 {
        let mut protos: [Option<(AnalogPrototype, Placement)>; MAX_BANDS] = [None; MAX_BANDS];
        let mono = self.channels < 2;
        for (p, b) in protos.iter_mut().zip(&self.params.bands) {
            if b.enabled {
                let placement = if mono { Placement::Left } else { b.placement };
                *p = Some((AnalogPrototype::new(&b.band), placement));
            }
        }
        let mut power = 0.0;
        for &f in &self.auto_grid {
            let mut lr = [1.0f64; 2];
            let mut ms = [(1.0f64, 0.0f64); 2];
            for (proto, placement) in protos.iter().flatten() {
                let h = proto.response_at(f);
                let lanes = placement.lanes();
                for k in 0..2 {
                    if lanes[k] {
                        match placement.domain() {
                            Domain::LeftRight => lr[k] *= h.0 * h.0 + h.1 * h.1,
                            Domain::MidSide => {
                                let m = ms[k];
                                ms[k] = (m.0 * h.0 - m.1 * h.1, m.0 * h.1 + m.1 * h.0);
                            }
                        }
                    }
                }
            }
            // Uncorrelated unit L and R: output power = ‖matrix‖²/2, with
            // the M/S stage ½[[M + S, M − S], [M − S, M + S]].
            let p2 = 0.25 * ((ms[0].0 + ms[1].0).powi(2) + (ms[0].1 + ms[1].1).powi(2));
            let q2 = 0.25 * ((ms[0].0 - ms[1].0).powi(2) + (ms[0].1 - ms[1].1).powi(2));
            let total = if mono {
                lr[0] * (p2 + q2)
            } else {
                (p2 + q2) * (lr[0] + lr[1]) / 2.0
            };
            power += total;
        }
        let mean = power / AUTO_POINTS as f64;
        if mean > 0.0 && mean.is_finite() {
            -10.0 * mean.log10()
        } else {
            0.0
        }
    }

    /// Work due at a control grid point.
    fn on_tick(&mut self) {
        self.ticks += 1;
        if self.params.phase != self.phase
            || (self.phase == PhaseMode::Linear
                && self.params.fir_length.taps(self.sample_rate) != self.linear.taps())
        {
            self.enter_phase_mode();
        }
        let mono = self.channels < 2;
        for i in 0..MAX_BANDS {
            self.tick_band(i, mono);
        }
        self.update_solo(true);
        if self.auto_dirty && self.ticks.is_multiple_of(8) {
            self.auto_dirty = false;
            self.auto_db = self.auto_gain_db();
        }
        // Output gain: one glide step, ramped per sample over the period.
        let target = self.gain_target_db();
        if (target - self.gain_db).abs() < 1e-4 {
            self.gain_db = target;
        } else {
            self.gain_db += (target - self.gain_db) * self.gain_alpha;
        }
        let next = 10f64.powf(self.gain_db / 20.0);
        self.gain_step = (next - self.gain) / CONTROL_BLOCK as f64;
        if self.gain_step == 0.0 {
            self.gain = next;
        }
        self.linear_design(false);
        if self.phase == PhaseMode::Linear {
            for i in 0..MAX_BANDS {
                self.tick_correction(i);
            }
        }
    }

    /// Linear phase: moves band `i`'s correction to the gain change of one
    /// latency ago.
    fn tick_correction(&mut self, i: usize) {
        let fs = self.sample_rate;
        let slot = &mut self.slots[i];
        let c = &mut slot.correction;
        let now = if slot.on {
            slot.detector.applied_db
        } else {
            0.0
        };
        let delayed = if c.len == 0 {
            now
        } else {
            let v = c.ring[c.pos];
            c.ring[c.pos] = now;
            c.pos = (c.pos + 1) % c.len;
            v
        };
        let domain = slot.placement.domain();
        let chain = match domain {
            Domain::LeftRight => &mut self.corr_lr,
            Domain::MidSide => &mut self.corr_ms,
        };
        if delayed == c.applied {
            c.idle += 1;
            // Unity for 16 periods: H·H⁻¹ has passed its transients.
            if c.applied == 0.0 && c.sections > 0 && c.idle > 16 {
                chain.remove(i);
                c.sections = 0;
            }
            return;
        }
        c.idle = 0;
        c.applied = delayed;
        // Sections: the band at static + delayed gain, then the inverse of
        // the band at static gain.
        let base = slot.designer.static_params();
        let with = BandParams {
            gain_db: base.gain_db + delayed as f32,
            ..base
        }
        .sanitised();
        let a = MatchedCoefs::design(&with, fs);
        let b = slot.designer.static_coefs();
        let mut coefs = [cascade::IDENTITY; cascade::MAX_BAND_SECTIONS];
        let mut n = 0;
        for svf in a.second_order() {
            if n < coefs.len() {
                coefs[n] = cascade::lane_coefs(svf);
                n += 1;
            }
        }
        for svf in b.second_order() {
            if let Some(inv) = svf.inverse() {
                if n < coefs.len() {
                    coefs[n] = cascade::lane_coefs(&inv);
                    n += 1;
                }
            }
        }
        let lanes_used = slot.placement.lanes();
        let pick = |c: &LaneCoefs, used: bool| if used { *c } else { cascade::IDENTITY };
        chain.insert(i);
        if let Some(lanes) = chain.get_mut(i) {
            let ramp = c.sections == n;
            for (k, co) in coefs[..n].iter().enumerate() {
                let (l, r) = (pick(co, lanes_used[0]), pick(co, lanes_used[1]));
                if ramp {
                    lanes.ramp(k, &l, &r, CONTROL_BLOCK);
                } else {
                    if k >= c.sections {
                        lanes.reset_section(k);
                    }
                    lanes.set(k, &l, &r);
                }
            }
            lanes.set_count(n);
        }
        c.sections = n;
    }

    fn chain(&mut self, domain: Domain) -> &mut Chain {
        match domain {
            Domain::LeftRight => &mut self.lr,
            Domain::MidSide => &mut self.ms,
        }
    }

    /// One band's work at a grid point: fades around structural changes,
    /// dynamics, glide.
    fn tick_band(&mut self, i: usize, mono: bool) {
        let fade_periods = self.fade_periods;
        let (want, on, placement, fade) = {
            let s = &self.slots[i];
            (s.want, s.on, s.placement, s.fade)
        };
        let want_placement = if mono {
            Placement::Left
        } else {
            want.placement
        };
        let structural = want.enabled != on
            || (on
                && (want_placement != placement
                    || want.band.kind != self.slots[i].designer.kind()
                    || want.band.slope != self.slots[i].designer.slope()));
        let domain = placement.domain();
        match fade {
            Fade::Steady if structural && on => {
                self.slots[i].fade = Fade::Out(fade_periods);
            }
            Fade::Steady if structural => {
                // Off → on: start silent and fade in.
                self.switch_on(i, want_placement);
                return;
            }
            Fade::In(left) if structural => {
                self.slots[i].fade = Fade::Out(fade_periods - left.min(fade_periods));
            }
            _ => {}
        }
        match self.slots[i].fade {
            Fade::Out(0) => {
                // Silent: make the change.
                self.response_changed = true;
                self.chain(domain).remove(i);
                self.slots[i].on = false;
                self.slots[i].fade = Fade::Steady;
                if want.enabled {
                    self.switch_on(i, want_placement);
                }
                return;
            }
            Fade::Out(left) => {
                self.slots[i].fade = Fade::Out(left - 1);
                let wet = (left - 1) as f64 / fade_periods as f64;
                if let Some(l) = self.chain(domain).get_mut(i) {
                    l.ramp_wet(wet, wet, CONTROL_BLOCK);
                }
            }
            Fade::In(left) => {
                let left = left.saturating_sub(1);
                self.slots[i].fade = if left == 0 {
                    Fade::Steady
                } else {
                    Fade::In(left)
                };
                let wet = (fade_periods - left) as f64 / fade_periods as f64;
                if let Some(l) = self.chain(domain).get_mut(i) {
                    l.ramp_wet(wet, wet, CONTROL_BLOCK);
                }
            }
            Fade::Steady => {}
        }
        if !self.slots[i].on {
            return;
        }
        self.tick_dynamics(i);
        let slot = &mut self.slots[i];
        let chain = match domain {
            Domain::LeftRight => &mut self.lr,
            Domain::MidSide => &mut self.ms,
        };
        if let Some(lanes) = chain.get_mut(i) {
            slot.designer.on_tick(core::slice::from_mut(lanes));
            if slot.designer.take_static_changed() || slot.fade != Fade::Steady {
                self.response_changed = true;
            }
        }
    }

    /// Puts band `i` in its chain, silent, designed at its targets, and
    /// starts its fade in.
    fn switch_on(&mut self, i: usize, placement: Placement) {
        let fade_periods = self.fade_periods;
        let domain = placement.domain();
        let slot = &mut self.slots[i];
        slot.on = true;
        slot.placement = placement;
        slot.designer.set_lanes_used(placement.lanes());
        slot.detector.designed = None;
        slot.detector.lanes = BandLanes::new();
        for env in &mut slot.detector.env {
            env.reset();
        }
        slot.detector.applied_db = 0.0;
        slot.designer.set_gain_offset(0.0);
        let chain = match domain {
            Domain::LeftRight => &mut self.lr,
            Domain::MidSide => &mut self.ms,
        };
        chain.insert(i);
        if let Some(lanes) = chain.get_mut(i) {
            slot.designer.reset(core::slice::from_mut(lanes));
            lanes.set_wet(0.0, 0.0);
            let wet = 1.0 / fade_periods as f64;
            lanes.ramp_wet(wet, wet, CONTROL_BLOCK);
        }
        slot.fade = if fade_periods > 1 {
            Fade::In(fade_periods - 1)
        } else {
            Fade::Steady
        };
        self.auto_dirty = true;
        self.response_changed = true;
    }

    /// A dynamic band's gain from its detector, and the detector's band
    /// pass following the band.
    fn tick_dynamics(&mut self, i: usize) {
        let fs = self.sample_rate;
        let slot = &mut self.slots[i];
        let dynamic = slot.want.dynamic;
        let has_gain = matches!(
            slot.want.band.kind,
            BandType::Bell | BandType::LowShelf | BandType::HighShelf | BandType::TiltShelf
        );
        if !(dynamic.enabled && has_gain) {
            if slot.detector.applied_db != 0.0 {
                slot.detector.applied_db = 0.0;
                slot.designer.set_gain_offset(0.0);
            }
            return;
        }
        let det = &mut slot.detector;
        for env in &mut det.env {
            env.set_attack_ms(dynamic.attack_ms);
            env.set_release_ms(dynamic.release_ms);
        }
        let lanes = slot.placement.lanes();
        let level = (0..2)
            .filter(|&k| lanes[k])
            .map(|k| f64::from(det.env[k].value()))
            .fold(0.0f64, f64::max);
        let level_db = if level > 0.0 {
            20.0 * level.log10()
        } else {
            -400.0
        };
        let g = dynamic.gain_db(level_db);
        if (g - det.applied_db).abs() >= DYNAMIC_STEP_DB || (g == 0.0 && det.applied_db != 0.0) {
            det.applied_db = g;
            slot.designer.set_gain_offset(g);
        }
        // The detector's band pass at the band's (gliding) frequency and Q.
        let now = slot.designer.current_params();
        if det.designed != Some((now.freq_hz, now.q)) {
            let bp = BandParams {
                kind: BandType::BandPass,
                freq_hz: now.freq_hz,
                gain_db: 0.0,
                q: now.q,
                slope: Slope::Db12,
            };
            let coefs = MatchedCoefs::design(&bp, fs);
            if let Some(svf) = coefs.second_order().first() {
                let c = cascade::lane_coefs(svf);
                let pick = |used: bool| if used { c } else { ZERO };
                let (l, r) = (pick(lanes[0]), pick(lanes[1]));
                if det.designed.is_none() {
                    det.lanes.set(0, &l, &r);
                    det.lanes.set_count(1);
                } else {
                    det.lanes.ramp(0, &l, &r, CONTROL_BLOCK);
                }
            }
            det.designed = Some((now.freq_hz, now.q));
        }
    }

    /// Solo: designs the band pass of the soloed band and moves the
    /// crossfade one period.
    fn update_solo(&mut self, ramp: bool) {
        let fs = self.sample_rate;
        let wanted = self
            .params
            .solo
            .filter(|&i| self.slots.get(i).is_some_and(|s| s.on));
        if let Some(i) = wanted {
            let s = &self.slots[i];
            let now = s.designer.current_params();
            let key = (i, now.freq_hz, now.q, s.placement);
            if self.solo_designed != Some(key) {
                let bp = BandParams {
                    kind: BandType::BandPass,
                    freq_hz: now.freq_hz,
                    gain_db: 0.0,
                    q: now.q,
                    slope: Slope::Db12,
                };
                let coefs = MatchedCoefs::design(&bp, fs);
                if let Some(svf) = coefs.second_order().first() {
                    let c = cascade::lane_coefs(svf);
                    let lanes = s.placement.lanes();
                    let pick = |used: bool| if used { c } else { ZERO };
                    let (l, r) = (pick(lanes[0]), pick(lanes[1]));
                    let same_lanes = self
                        .solo_designed
                        .is_some_and(|(j, _, _, p)| j == i && p == s.placement);
                    if ramp && same_lanes {
                        self.solo_lanes.ramp(0, &l, &r, CONTROL_BLOCK);
                    } else {
                        self.solo_lanes.reset_states();
                        self.solo_lanes.set(0, &l, &r);
                    }
                    self.solo_lanes.set_count(1);
                    self.solo_domain = s.placement.domain();
                }
                self.solo_designed = Some(key);
            }
            self.solo_band = Some(i);
        }
        let target = if wanted.is_some() { 1.0 } else { 0.0 };
        if !ramp {
            self.solo_mix = target;
            self.solo_step = 0.0;
            return;
        }
        let step = 1.0 / self.fade_periods as f64;
        let next = if target > self.solo_mix {
            (self.solo_mix + step).min(1.0)
        } else if target < self.solo_mix {
            (self.solo_mix - step).max(0.0)
        } else {
            target
        };
        self.solo_step = (next - self.solo_mix) / CONTROL_BLOCK as f64;
        if self.solo_step == 0.0 {
            self.solo_mix = next;
        }
        if next == 0.0 && self.solo_step == 0.0 {
            self.solo_band = None;
            self.solo_designed = None;
        }
    }

    /// The linear-phase FIR follows the bands (see [`LinearPhase`]): the
    /// magnitude of each lane's bands as designed, each band mixed by its
    /// dry/wet fade.
    fn linear_design(&mut self, now: bool) {
        if self.phase != PhaseMode::Linear {
            return;
        }
        let changed = core::mem::take(&mut self.response_changed);
        let mut wets = [1.0f64; MAX_BANDS];
        for (i, w) in wets.iter_mut().enumerate() {
            let slot = &self.slots[i];
            if !slot.on {
                continue;
            }
            let chain = match slot.placement.domain() {
                Domain::LeftRight => &self.lr,
                Domain::MidSide => &self.ms,
            };
            if let Some(p) = chain.position(i) {
                *w = chain.lanes[p].wet()[0];
            }
        }
        let slots = &self.slots;
        self.linear.set_length(self.params.fir_length);
        self.linear.update(changed, now, |_freq, tan_half| {
            let one = (1.0, 0.0);
            let mut lr = [one, one];
            let mut ms = [one, one];
            let mul = |a: (f64, f64), b: (f64, f64)| (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0);
            for (s, &wet) in slots.iter().zip(&wets) {
                if !s.on {
                    continue;
                }
                // Static: dynamic gain changes come after the FIR.
                let h = s.designer.static_coefs().response_at_tan(tan_half);
                let h = (1.0 + wet * (h.0 - 1.0), wet * h.1);
                let lanes = s.placement.lanes();
                let t = match s.placement.domain() {
                    Domain::LeftRight => &mut lr,
                    Domain::MidSide => &mut ms,
                };
                for k in 0..2 {
                    if lanes[k] {
                        t[k] = mul(t[k], h);
                    }
                }
            }
            let mag = |h: (f64, f64)| h.0.hypot(h.1);
            [mag(lr[0]), mag(lr[1]), mag(ms[0]), mag(ms[1])]
        });
    }

    /// Filters the first one or two channels in place (zero-latency or
    /// linear phase per [`EqParams::phase`]); further channels are left
    /// untouched. Same as [`process_with_sidechain`](Self::process_with_sidechain)
    /// without a sidechain.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.process_with_sidechain(channels, &[]);
    }

    /// Filters the first one or two channels in place; `sidechain` (one or
    /// two channels, or none) feeds the detectors of dynamic bands set to
    /// external. All slices should have the same length (the shortest sets
    /// the block; a shorter sidechain reads as silence past its end).
    /// Realtime-safe: no allocation, lock or I/O.
    pub fn process_with_sidechain(&mut self, channels: &mut [&mut [f32]], sidechain: &[&[f32]]) {
        let used = channels.len().min(self.channels);
        if used == 0 {
            return;
        }
        let len = channels[..used].iter().map(|c| c.len()).min().unwrap_or(0);
        let mut pos = 0;
        while pos < len {
            let n = (len - pos).min(self.clock.samples_until_tick());
            if self.clock.phase() == 0 {
                self.on_tick();
            }
            let mut l = [0.0f32; CONTROL_BLOCK];
            let mut r = [0.0f32; CONTROL_BLOCK];
            l[..n].copy_from_slice(&channels[0][pos..pos + n]);
            if used > 1 {
                r[..n].copy_from_slice(&channels[1][pos..pos + n]);
            }
            // The input, for the detectors and the solo (when either runs).
            let dry = (l, r);
            if self.detectors_running() {
                self.run_detectors(&dry, n, sidechain, pos);
            }
            match self.phase {
                PhaseMode::ZeroLatency => self.run_bands(&mut l[..n], &mut r[..n]),
                PhaseMode::Linear => {
                    self.linear.process(&mut l[..n], &mut r[..n]);
                    self.run_corrections(&mut l[..n], &mut r[..n]);
                }
            }
            self.run_solo(&dry, &mut l[..n], &mut r[..n]);
            if self.gain_step != 0.0 || self.gain != 1.0 {
                for (a, b) in l[..n].iter_mut().zip(r[..n].iter_mut()) {
                    if self.gain_step != 0.0 {
                        self.gain += self.gain_step;
                    }
                    *a = (f64::from(*a) * self.gain) as f32;
                    *b = (f64::from(*b) * self.gain) as f32;
                }
            }
            channels[0][pos..pos + n].copy_from_slice(&l[..n]);
            if used > 1 {
                channels[1][pos..pos + n].copy_from_slice(&r[..n]);
            }
            if self.clock.advance(n) && self.gain_step != 0.0 {
                // Land exactly on the period's target.
                self.gain = 10f64.powf(self.gain_db / 20.0);
                self.gain_step = 0.0;
            }
            pos += n;
        }
    }

    /// The bands, zero-latency: the L/R chain, then the M/S chain.
    fn run_bands(&mut self, l: &mut [f32], r: &mut [f32]) {
        if !self.lr.lanes.is_empty() {
            cascade::process(&mut self.lr.lanes, l, r);
        }
        if !self.ms.lanes.is_empty() {
            encode(l, r);
            cascade::process(&mut self.ms.lanes, l, r);
            decode(l, r);
        }
    }

    /// Linear phase: the dynamic bands' corrections after the FIR.
    fn run_corrections(&mut self, l: &mut [f32], r: &mut [f32]) {
        if !self.corr_lr.lanes.is_empty() {
            cascade::process(&mut self.corr_lr.lanes, l, r);
        }
        if !self.corr_ms.lanes.is_empty() {
            encode(l, r);
            cascade::process(&mut self.corr_ms.lanes, l, r);
            decode(l, r);
        }
    }

    /// Whether any dynamic band's detector runs.
    fn detectors_running(&self) -> bool {
        self.slots
            .iter()
            .any(|s| s.on && s.want.dynamic.enabled && s.detector.designed.is_some())
    }

    fn run_detectors(
        &mut self,
        dry: &([f32; CONTROL_BLOCK], [f32; CONTROL_BLOCK]),
        n: usize,
        sidechain: &[&[f32]],
        pos: usize,
    ) {
        for slot in self.slots.iter_mut() {
            if !(slot.on && slot.want.dynamic.enabled && slot.detector.designed.is_some()) {
                continue;
            }
            let (mut a, mut b) = if slot.want.dynamic.external {
                let mut a = [0.0f32; CONTROL_BLOCK];
                let mut b = [0.0f32; CONTROL_BLOCK];
                let read = |ch: &[f32], out: &mut [f32; CONTROL_BLOCK]| {
                    for (k, o) in out[..n].iter_mut().enumerate() {
                        *o = ch.get(pos + k).copied().unwrap_or(0.0);
                    }
                };
                match sidechain {
                    [] => {}
                    [m] => {
                        read(m, &mut a);
                        b = a;
                    }
                    [x, y, ..] => {
                        read(x, &mut a);
                        read(y, &mut b);
                    }
                }
                (a, b)
            } else {
                *dry
            };
            if slot.placement.domain() == Domain::MidSide {
                encode(&mut a[..n], &mut b[..n]);
            }
            let det = &mut slot.detector;
            cascade::process(
                core::slice::from_mut(&mut det.lanes),
                &mut a[..n],
                &mut b[..n],
            );
            for (k, buf) in [&a, &b].into_iter().enumerate() {
                for &x in &buf[..n] {
                    det.env[k].process(x);
                }
            }
        }
    }

    fn run_solo(
        &mut self,
        dry: &([f32; CONTROL_BLOCK], [f32; CONTROL_BLOCK]),
        l: &mut [f32],
        r: &mut [f32],
    ) {
        if self.solo_band.is_none() && self.solo_mix == 0.0 && self.solo_step == 0.0 {
            return;
        }
        let n = l.len();
        let (mut a, mut b) = *dry;
        if self.phase == PhaseMode::Linear {
            self.linear.delay_dry(&mut a[..n], &mut b[..n]);
        }
        if self.solo_domain == Domain::MidSide {
            encode(&mut a[..n], &mut b[..n]);
        }
        cascade::process(
            core::slice::from_mut(&mut self.solo_lanes),
            &mut a[..n],
            &mut b[..n],
        );
        if self.solo_domain == Domain::MidSide {
            decode(&mut a[..n], &mut b[..n]);
        }
        for k in 0..n {
            if self.solo_step != 0.0 {
                self.solo_mix = (self.solo_mix + self.solo_step).clamp(0.0, 1.0);
            }
            let s = self.solo_mix;
            l[k] = (f64::from(l[k]) * (1.0 - s) + f64::from(a[k]) * s) as f32;
            r[k] = (f64::from(r[k]) * (1.0 - s) + f64::from(b[k]) * s) as f32;
        }
        if self.clock.samples_until_tick() == n {
            // The period ends with this segment: land on the step's target.
            self.solo_mix =
                (self.solo_mix * self.fade_periods as f64).round() / self.fade_periods as f64;
            self.solo_step = 0.0;
        }
    }
}

/// All-zero lane coefficients: the lane outputs silence (a solo or detector
/// band pass on a lane the band does not act on).
const ZERO: LaneCoefs = [0.0; 6];

/// (L, R) → (M, S) = ((L + R)/2, (L − R)/2), in place.
fn encode(l: &mut [f32], r: &mut [f32]) {
    for (a, b) in l.iter_mut().zip(r.iter_mut()) {
        let (x, y) = (f64::from(*a), f64::from(*b));
        *a = (0.5 * (x + y)) as f32;
        *b = (0.5 * (x - y)) as f32;
    }
}

/// (M, S) → (L, R) = (M + S, M − S), in place.
fn decode(m: &mut [f32], s: &mut [f32]) {
    for (a, b) in m.iter_mut().zip(s.iter_mut()) {
        let (x, y) = (f64::from(*a), f64::from(*b));
        *a = (x + y) as f32;
        *b = (x - y) as f32;
    }
}
