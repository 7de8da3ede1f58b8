//! One EQ band: a matched filter ([`crate::matched`]) with parameter
//! smoothing on the fixed control grid.
//!
//! Automation moves the band's parameters, not its coefficients: frequency
//! and Q glide in log2 units, gain in dB, each a one-pole step toward the
//! target once per [`CONTROL_BLOCK`] samples counted from `reset()`, and the
//! coefficients are recomputed from the smoothed parameters at those grid
//! points only, and only while a parameter moves. Within each period the
//! coefficients then ramp linearly, per sample, from the previous design to
//! the new one (cheap: no design per sample, and no zipper noise from
//! per-period steps during fast sweeps). Interpolating parameters
//! rather than coefficients keeps every intermediate filter a valid matched
//! design of a real band (linear interpolation of coefficients can pass
//! through responses no setting produces), and the SVF sections take
//! coefficient steps without clicks (see [`crate::matched`]). Type and slope
//! changes apply at once.
//!
//! A design may change its number of sections (a bell refined near Nyquist
//! by [`crate::matched_fit`] uses two): a section switched on starts with the
//! new design's dynamics, a cleared state and a pass-through output mix, and
//! ramps its mix in over the period; one switched off ramps its mix out and
//! stops at the next grid point. Neither steps the output.
//!
//! The sections run in [`crate::cascade`] (two channels per SIMD lane pair,
//! every section in one per-sample loop).
//!
//! Because updates happen on the grid, the output does not depend on how the
//! host slices the stream.

use crate::analog::{BandParams, BandType, Slope};
use crate::cascade::{self, BandLanes, LaneCoefs, IDENTITY, MAX_BAND_SECTIONS};
use crate::control::{ControlClock, CONTROL_BLOCK};
use crate::matched::MatchedCoefs;
use crate::response::FrequencyResponse;

/// Time constant of the parameter glide, in ms.
pub const SMOOTHING_MS: f64 = 5.0;

/// Smallest remaining distance at which a glide snaps to its target: 1e-4
/// octave for frequency and Q, 1e-4 dB for gain.
const SNAP: f64 = 1e-4;

/// The smoothed continuous parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Continuous {
    log2_freq: f64,
    gain_db: f64,
    log2_q: f64,
}

impl Continuous {
    fn of(p: &BandParams) -> Self {
        Self {
            log2_freq: f64::from(p.freq_hz).log2(),
            gain_db: f64::from(p.gain_db),
            log2_q: f64::from(p.q).log2(),
        }
    }
}

/// The design side of one band: parameter glide on the control grid and
/// the hand-over of each design's sections to a band's lanes (see the module
/// notes), shared by [`EqBand`] and the EQ kernel ([`crate::eq::Eq`]).
#[derive(Clone, Debug)]
pub(crate) struct BandDesigner {
    sample_rate: f32,
    target: BandParams,
    kind: BandType,
    slope: Slope,
    current: Continuous,
    goal: Continuous,
    /// dB added to the glided gain (dynamic EQ), applied at the next grid
    /// point without a glide of its own.
    gain_offset_db: f64,
    /// One-pole glide coefficient per control block.
    alpha: f64,
    moving: bool,
    /// A new design is due at the next grid point.
    dirty: bool,
    coefs: MatchedCoefs,
    /// The design without the gain offset (the same as `coefs` while the
    /// offset is 0), and whether it changed since the owner last asked.
    static_coefs: MatchedCoefs,
    static_stale: bool,
    static_changed: bool,
    /// Lane coefficients of each live section (the design's, or the
    /// pass-through mix a section fading out is heading to).
    live: [LaneCoefs; MAX_BAND_SECTIONS],
    /// Sections running (the design's plus any fading out).
    running: usize,
    /// Which lanes the band filters; the others pass through.
    lanes_used: [bool; 2],
}

impl BandDesigner {
    /// A 0 dB bell at 1 kHz at 48 kHz on both lanes.
    pub(crate) fn new() -> Self {
        let target = BandParams::default();
        let mut d = Self {
            sample_rate: 48_000.0,
            target,
            kind: target.kind,
            slope: target.slope,
            current: Continuous::of(&target),
            goal: Continuous::of(&target),
            gain_offset_db: 0.0,
            alpha: 1.0,
            moving: false,
            dirty: false,
            coefs: MatchedCoefs::identity(),
            static_coefs: MatchedCoefs::identity(),
            static_stale: true,
            static_changed: true,
            live: [IDENTITY; MAX_BAND_SECTIONS],
            running: 0,
            lanes_used: [true, true],
        };
        d.set_sample_rate(48_000.0);
        d
    }

    /// Sets the sample rate (finite and > 0, else ignored).
    pub(crate) fn set_sample_rate(&mut self, sample_rate: f32) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            self.sample_rate = sample_rate;
        }
        let block_s = CONTROL_BLOCK as f64 / f64::from(self.sample_rate);
        self.alpha = 1.0 - (-block_s / (SMOOTHING_MS * 1e-3)).exp();
    }

    /// Chooses the lanes the band filters (takes effect with the next
    /// design).
    pub(crate) fn set_lanes_used(&mut self, lanes: [bool; 2]) {
        self.lanes_used = lanes;
    }

    /// Sets the target parameters (sanitised). Frequency, gain and Q glide;
    /// returns `true` if the type or slope differs from the one in use (the
    /// caller applies it with [`apply_now`](Self::apply_now)).
    pub(crate) fn set_params(&mut self, params: &BandParams) -> bool {
        let p = params.sanitised();
        if p != self.target {
            self.target = p;
            self.goal = Continuous::of(&p);
            self.moving = self.current != self.goal;
        }
        p.kind != self.kind || p.slope != self.slope
    }

    /// The type in use (the target's once applied).
    pub(crate) fn kind(&self) -> BandType {
        self.kind
    }

    /// The slope in use.
    pub(crate) fn slope(&self) -> Slope {
        self.slope
    }

    /// Sets the dynamic gain offset in dB (designed at the next grid point if
    /// it changed).
    pub(crate) fn set_gain_offset(&mut self, db: f64) {
        let db = if db.is_finite() { db } else { 0.0 };
        if db != self.gain_offset_db {
            self.gain_offset_db = db;
            self.dirty = true;
        }
    }

    /// The parameters heard: the glide's position plus the gain offset
    /// (sanitised).
    pub(crate) fn current_params(&self) -> BandParams {
        BandParams {
            kind: self.kind,
            freq_hz: self.current.log2_freq.exp2() as f32,
            gain_db: (self.current.gain_db + self.gain_offset_db) as f32,
            q: self.current.log2_q.exp2() as f32,
            slope: self.slope,
        }
        .sanitised()
    }

    /// The design in use.
    pub(crate) fn coefs(&self) -> &MatchedCoefs {
        &self.coefs
    }

    /// The glide's position without the gain offset (sanitised).
    pub(crate) fn static_params(&self) -> BandParams {
        BandParams {
            gain_db: self.current.gain_db as f32,
            ..self.current_params()
        }
        .sanitised()
    }

    /// The design of [`static_params`](Self::static_params).
    pub(crate) fn static_coefs(&self) -> &MatchedCoefs {
        &self.static_coefs
    }

    /// Whether the static design changed since the last call.
    pub(crate) fn take_static_changed(&mut self) -> bool {
        core::mem::take(&mut self.static_changed)
    }

    /// Jumps to the targets (type, slope and glide), designs and sets
    /// `lanes` at once with cleared states.
    pub(crate) fn reset(&mut self, lanes: &mut [BandLanes]) {
        self.kind = self.target.kind;
        self.slope = self.target.slope;
        self.current = self.goal;
        self.moving = false;
        self.running = 0;
        self.static_stale = true;
        for l in lanes.iter_mut() {
            l.reset_states();
            l.set_count(0);
        }
        self.design(lanes, false);
    }

    /// Takes the target type and slope now and designs at once: sections
    /// that keep running keep their state, new ones start from silence.
    pub(crate) fn apply_now(&mut self, lanes: &mut [BandLanes]) {
        self.kind = self.target.kind;
        self.slope = self.target.slope;
        self.static_stale = true;
        self.design(lanes, false);
    }

    fn lane_pair(&self, c: &LaneCoefs) -> (LaneCoefs, LaneCoefs) {
        let pick = |used: bool| if used { *c } else { IDENTITY };
        (pick(self.lanes_used[0]), pick(self.lanes_used[1]))
    }

    /// Designs the current parameters and hands the sections to `lanes`:
    /// ramped over the next control period (`ramp`), or at once.
    fn design(&mut self, lanes: &mut [BandLanes], ramp: bool) {
        self.dirty = false;
        self.coefs = MatchedCoefs::design(&self.current_params(), self.sample_rate);
        if self.gain_offset_db == 0.0 {
            if self.static_stale || self.static_coefs != self.coefs {
                self.static_changed = true;
            }
            self.static_coefs = self.coefs;
            self.static_stale = false;
        } else if self.static_stale {
            self.static_coefs = MatchedCoefs::design(&self.static_params(), self.sample_rate);
            self.static_stale = false;
            self.static_changed = true;
        }
        let sections = self.coefs.second_order();
        let count = sections.len();
        let before = self.running;
        for (i, svf) in sections.iter().enumerate() {
            let to = cascade::lane_coefs(svf);
            let (l, r) = self.lane_pair(&to);
            for pair in lanes.iter_mut() {
                if i >= before {
                    pair.reset_section(i);
                }
                if ramp {
                    if i >= before {
                        let (fl, fr) = self.lane_pair(&cascade::pass_through_mix(&to));
                        pair.set(i, &fl, &fr);
                    }
                    pair.ramp(i, &l, &r, CONTROL_BLOCK);
                } else {
                    pair.set(i, &l, &r);
                }
            }
            self.live[i] = to;
        }
        if ramp {
            // Sections no longer designed fade out over the period.
            for i in count..before {
                let to = cascade::pass_through_mix(&self.live[i]);
                let (l, r) = self.lane_pair(&to);
                for pair in lanes.iter_mut() {
                    pair.ramp(i, &l, &r, CONTROL_BLOCK);
                }
                self.live[i] = to;
            }
            self.running = count.max(before);
        } else {
            self.running = count;
        }
        for pair in lanes.iter_mut() {
            pair.set_count(self.running);
        }
    }

    /// One glide step toward the goal; snaps when within [`SNAP`].
    fn glide(&mut self) {
        let a = self.alpha;
        let step = |c: &mut f64, g: f64| {
            if (g - *c).abs() < SNAP {
                *c = g;
            } else {
                *c += (g - *c) * a;
            }
        };
        step(&mut self.current.log2_freq, self.goal.log2_freq);
        step(&mut self.current.gain_db, self.goal.gain_db);
        step(&mut self.current.log2_q, self.goal.log2_q);
        self.moving = self.current != self.goal;
    }

    /// Work due at a control grid point: dropping sections that finished
    /// fading out (their output mix is pass-through now), then a glide step
    /// and a ramped design if anything moved. Returns whether it designed.
    pub(crate) fn on_tick(&mut self, lanes: &mut [BandLanes]) -> bool {
        let designed = self.coefs.second_order().len();
        if self.running > designed {
            self.running = designed;
            for pair in lanes.iter_mut() {
                pair.set_count(self.running);
            }
        }
        if self.moving {
            self.glide();
            self.dirty = true;
            self.static_stale = true;
        }
        if self.dirty {
            self.design(lanes, true);
            return true;
        }
        false
    }
}

/// One EQ band on any number of channels (all filtered alike).
///
/// Lifecycle as in `DESIGN.md`: [`new`](Self::new) →
/// [`prepare`](Self::prepare) → [`set_params`](Self::set_params) /
/// [`process`](Self::process). Zero latency.
#[derive(Clone, Debug)]
pub struct EqBand {
    designer: BandDesigner,
    /// One set of states per pair of channels.
    pairs: Vec<BandLanes>,
    channels: usize,
    clock: ControlClock,
}

impl Default for EqBand {
    /// [`EqBand::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl EqBand {
    /// A 0 dB bell at 1 kHz, prepared for 48 kHz and no channels; cheap.
    pub fn new() -> Self {
        Self {
            designer: BandDesigner::new(),
            pairs: Vec::new(),
            channels: 0,
            clock: ControlClock::new(CONTROL_BLOCK),
        }
    }

    /// Sets the sample rate (Hz, 22 050 ..= 192 000 intended; anything finite
    /// and positive works) and the channel count; allocates the per-channel
    /// state, then resets. `max_block` is accepted for the common kernel
    /// signature; the band processes any block length.
    pub fn prepare(&mut self, sample_rate: f32, _max_block: usize, channels: usize) {
        self.designer.set_sample_rate(sample_rate);
        self.channels = channels;
        self.pairs = vec![BandLanes::new(); channels.div_ceil(2)];
        self.reset();
    }

    /// Jumps to the target parameters, clears the filter state and restarts
    /// the control grid. Realtime-safe.
    pub fn reset(&mut self) {
        self.clock.reset();
        self.designer.reset(&mut self.pairs);
    }

    /// Sets the target parameters (sanitised: see [`BandParams`]); frequency,
    /// gain and Q glide there, type and slope change at once. Realtime-safe.
    pub fn set_params(&mut self, params: &BandParams) {
        if self.designer.set_params(params) {
            self.designer.apply_now(&mut self.pairs);
        }
    }

    /// The parameters currently heard (the glide's position), sanitised.
    pub fn current_params(&self) -> BandParams {
        self.designer.current_params()
    }

    /// The coefficients currently in use.
    pub fn coefs(&self) -> &MatchedCoefs {
        self.designer.coefs()
    }

    /// Latency in samples: always 0.
    pub fn latency(&self) -> usize {
        0
    }

    /// Filters every channel in place (channels beyond the prepared count are
    /// left untouched; all slices should have the same length, the shortest
    /// sets the block). Realtime-safe: no allocation, lock or I/O.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let used = channels.len().min(self.channels);
        let len = channels[..used].iter().map(|c| c.len()).min().unwrap_or(0);
        let mut pos = 0;
        while pos < len {
            // One segment at a time: ends on the next grid point or at the
            // end of the block.
            let n = (len - pos).min(self.clock.samples_until_tick());
            if self.clock.phase() == 0 {
                self.designer.on_tick(&mut self.pairs);
            }
            let mut chans = channels[..used].chunks_mut(2);
            for pair in self.pairs.iter_mut() {
                match chans.next() {
                    Some([l, r]) => cascade::process(
                        core::slice::from_mut(pair),
                        &mut l[pos..pos + n],
                        &mut r[pos..pos + n],
                    ),
                    Some([m]) => {
                        // An odd channel runs alone (silence on the other lane).
                        let mut quiet = [0.0f32; CONTROL_BLOCK];
                        cascade::process(
                            core::slice::from_mut(pair),
                            &mut m[pos..pos + n],
                            &mut quiet[..n],
                        );
                    }
                    _ => {}
                }
            }
            self.clock.advance(n);
            pos += n;
        }
    }
}

impl FrequencyResponse for EqBand {
    /// Response of the coefficients currently in use: the curve an editor
    /// draws is the filter being heard. `sample_rate` should be the prepared
    /// rate.
    fn response_complex(&self, freq_hz: f32, sample_rate: f32) -> (f64, f64) {
        self.designer.coefs().response_complex(freq_hz, sample_rate)
    }
}
