//! True-peak lookahead limiter: the kernel of Glasswork Limit.
//!
//! Signal flow per channel:
//!
//! ```text
//! x ─ input gain ─┬─ true-peak detector ─ required gain ─ link ─ hold (min over H)
//!                 │                                               │
//!                 │                                 release (instant down, smooth up)
//!                 │                                               │
//!                 │                                  box W₁ ─ box W₂ (attack ramp)
//!                 └──────────── delay L ──────────────────── × ───┴─ dither ─ y
//! ```
//!
//! The guarantee comes from the order of the gain path (the "hold, then
//! average" construction also used by Signalsmith's and x42's limiters): the
//! hold stage outputs the minimum required gain over the last H samples, and
//! the two moving averages have a combined support W ≤ H − 2G. Every value the
//! averages combine for an output sample was therefore at most the gain that
//! sample (and its G neighbours on each side) requires, and an average of
//! values that are all ≤ r is itself ≤ r. The release stage only ever rises
//! towards the hold value from below, which keeps the inequality. The G guard
//! samples make each sample's gain low enough for the peaks of its
//! neighbours as well, so every sample an inter-sample crest is built from
//! is scaled for that crest. The gain still moves between samples, and a
//! moving gain shifts how the interpolation terms cancel; a small fixed
//! margin (`TRUE_PEAK_MARGIN_DB`) covers that, and the release and
//! lookahead floors keep the movement slow enough for the margin to hold.
//!
//! Required gain comes from [`TruePeakDetector`] (oversampled, each crest
//! refined by a sinusoid fit, the top band it cannot interpolate bounded by
//! its envelope), so the ceiling holds for the continuous waveform, not only
//! for the samples; and never less than a BS.1770 meter built on the
//! standard's Annex 2 filter reads, whose ripple reads some tones above
//! their true peak (up to 0.22 dB near fs/4), so the ceiling holds on such
//! a meter as well.
//!
//! Control-rate work (new parameters, coefficients) happens on a 32-sample
//! grid counted from `reset()`, so the output does not depend on how the host
//! slices the stream.

use crate::control::{ControlClock, CONTROL_BLOCK};
use crate::dither::{max_deviation_lsb, DitherDepth, Ditherer};
use crate::sliding::SlidingMin;
use crate::smoother::LinearSmoother;
use crate::true_peak::TruePeakDetector;
use crate::util::db_to_gain;

/// Detector input kept for a detector that takes over: more than its
/// latency plus its longest filter, so that replaying it rebuilds the
/// detector's whole state.
const RECENT: usize = 256;
/// Samples of flat gain kept on each side of a detected peak.
const GUARD: usize = 4;
/// Longest lookahead offered, in ms.
pub const MAX_LOOKAHEAD_MS: f32 = 10.0;
/// Shortest release offered, in ms (see [`LimiterParams::release_ms`]).
pub const MIN_RELEASE_MS: f32 = 5.0;
/// Shortest lookahead offered, in ms. Like the release floor this is the
/// ceiling's: with 0.25 ms and a 5 ms release, full-band noise driven
/// 18 dB in read 0.08 dB over at 16x; from 0.5 ms it holds. (One signal
/// still reads over at 0.5 ms: a full-scale tone crossing Nyquist while
/// the gain falls, +0.09 dB on a long reconstruction though not on a
/// BS.1770 meter; from 1 ms it holds, `tests/limiter_drive.rs`.)
pub const MIN_LOOKAHEAD_MS: f32 = 0.5;
/// Headroom kept below the ceiling in true-peak mode, in dB. The detector
/// bounds the input's true peak; the output is the input times a gain that
/// moves, and a moving gain changes how the interpolation terms between two
/// samples cancel, so the output can peak a little above gain × input peak
/// (measured up to 0.018 dB on 20 kHz band-limited noise bursts at
/// 44.1 kHz, `tests/limiter_ceiling.rs`).
const TRUE_PEAK_MARGIN_DB: f32 = -0.02;
/// Crests more than 3 dB below the ceiling cannot reach it by refinement
/// (which adds at most 0.7 dB at 4x), so the detector skips refining them.
const REFINE_BELOW_CEILING: f32 = 0.7;
/// Time for input-gain and bypass/delta crossfades, in ms.
const RAMP_MS: f32 = 10.0;
/// In auto-release mode the gain is held this long after the last gain
/// reduction before it may rise: longer than half a period of 20 Hz, so a
/// sustained bass note sees a constant gain instead of one that recovers
/// between its half-cycles (that 100 Hz gain ripple is the low-frequency
/// distortion cheap limiters are known for).
const AUTO_HOLD_MS: f32 = 26.0;

/// Oversampling of the true-peak detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DetectorOversampling {
    /// 4x (the BS.1770 rate), with crest refinement.
    #[default]
    X4,
    /// 8x.
    X8,
    /// 16x.
    X16,
}

impl DetectorOversampling {
    fn index(self) -> usize {
        match self {
            Self::X4 => 0,
            Self::X8 => 1,
            Self::X16 => 2,
        }
    }

    /// The factor as a number.
    pub fn ratio(self) -> usize {
        4 << self.index()
    }
}

/// Limiter settings in physical units. Out-of-range values are clamped;
/// non-finite values fall back to the default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LimiterParams {
    /// Gain before limiting, dB (−24..=+36, default 0).
    pub input_gain_db: f32,
    /// Output ceiling, dBTP in true-peak mode, dBFS otherwise (−30..=0,
    /// default −1).
    pub ceiling_db: f32,
    /// Release time constant, ms (5..=2000, default 150). In auto mode this is
    /// the centre of the program-dependent range. The floor is the ceiling's:
    /// a faster release modulates the gain so quickly that the product of
    /// gain and signal grows inter-sample peaks of its own (measured: full-
    /// band noise 0.18 dB over at 3 ms, within tolerance from 5 ms).
    pub release_ms: f32,
    /// Program-dependent release: fast recovery after short peaks, slow when
    /// the limiter works continuously (default on).
    pub auto_release: bool,
    /// Lookahead (attack ramp length), ms (0.5..=10, default 2). Changes
    /// the latency.
    pub lookahead_ms: f32,
    /// Stereo link, 0 (independent) ..= 1 (same gain on all channels,
    /// default).
    pub stereo_link: f32,
    /// Detect inter-sample (true) peaks (default on); off limits sample peaks.
    pub true_peak: bool,
    /// Detector oversampling in true-peak mode (default 4x).
    pub oversampling: DetectorOversampling,
    /// Output word length with TPDF dither (default off).
    pub dither: DitherDepth,
    /// Noise-shape the dither (default off).
    pub noise_shaping: bool,
    /// Output what the limiter removes instead of the result (default off).
    pub delta: bool,
    /// Pass the input through, delayed by the latency (default off).
    pub bypass: bool,
}

impl Default for LimiterParams {
    fn default() -> Self {
        Self {
            input_gain_db: 0.0,
            ceiling_db: -1.0,
            release_ms: 150.0,
            auto_release: true,
            lookahead_ms: 2.0,
            stereo_link: 1.0,
            true_peak: true,
            oversampling: DetectorOversampling::X4,
            dither: DitherDepth::Off,
            noise_shaping: false,
            delta: false,
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

impl LimiterParams {
    /// The same settings with every value clamped to its documented range.
    pub fn sanitised(&self) -> Self {
        let d = Self::default();
        Self {
            input_gain_db: finite_or(self.input_gain_db, d.input_gain_db).clamp(-24.0, 36.0),
            ceiling_db: finite_or(self.ceiling_db, d.ceiling_db).clamp(-30.0, 0.0),
            release_ms: finite_or(self.release_ms, d.release_ms).clamp(MIN_RELEASE_MS, 2000.0),
            lookahead_ms: finite_or(self.lookahead_ms, d.lookahead_ms)
                .clamp(MIN_LOOKAHEAD_MS, MAX_LOOKAHEAD_MS),
            stereo_link: finite_or(self.stereo_link, d.stereo_link).clamp(0.0, 1.0),
            ..*self
        }
    }
}

/// Level readings accumulated since the last [`Limiter::take_meter`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LimiterMeter {
    /// Largest sample magnitude after input gain (linear).
    pub input_peak: f32,
    /// Largest output sample magnitude (linear).
    pub output_peak: f32,
    /// Smallest gain applied (linear, 1 = no reduction).
    pub min_gain: f32,
}

impl Default for LimiterMeter {
    fn default() -> Self {
        Self {
            input_peak: 0.0,
            output_peak: 0.0,
            min_gain: 1.0,
        }
    }
}

/// Fixed-capacity ring of f32 values with a running f64 sum over the newest
/// `len` entries: one moving-average stage.
#[derive(Clone, Debug, Default)]
struct MovingAverage {
    ring: Vec<f32>,
    mask: usize,
    pos: usize,
    len: usize,
    inv_len: f64,
    sum: f64,
}

impl MovingAverage {
    fn with_capacity(cap: usize) -> Self {
        let size = cap.max(2).next_power_of_two();
        Self {
            ring: vec![1.0; size],
            mask: size - 1,
            pos: 0,
            len: 1,
            inv_len: 1.0,
            sum: 1.0,
        }
    }

    /// Refill with `value` over a window of `len` (at most the capacity).
    fn reset(&mut self, len: usize, value: f32) {
        self.ring.fill(value);
        self.len = len.clamp(1, self.mask);
        self.inv_len = 1.0 / self.len as f64;
        self.sum = value as f64 * self.len as f64;
    }

    /// Copies another stage's state without allocating (both were prepared
    /// with the same capacity; a mismatch copies what fits).
    fn copy_from(&mut self, other: &Self) {
        let n = self.ring.len().min(other.ring.len());
        self.ring[..n].copy_from_slice(&other.ring[..n]);
        self.pos = other.pos & self.mask;
        self.len = other.len.min(self.mask);
        self.inv_len = 1.0 / self.len as f64;
        self.sum = other.sum;
    }

    /// Change the window length, recomputing the sum from the history.
    fn set_len(&mut self, len: usize) {
        let len = len.clamp(1, self.mask);
        if len == self.len {
            return;
        }
        self.len = len;
        self.inv_len = 1.0 / len as f64;
        let mut s = 0.0f64;
        for k in 0..len {
            s += self.ring[(self.pos.wrapping_sub(1 + k)) & self.mask] as f64;
        }
        self.sum = s;
    }

    #[inline]
    fn process(&mut self, x: f32) -> f32 {
        let old = self.ring[(self.pos.wrapping_sub(self.len)) & self.mask];
        self.ring[self.pos] = x;
        self.pos = (self.pos + 1) & self.mask;
        self.sum += x as f64 - old as f64;
        (self.sum * self.inv_len) as f32
    }
}

/// Integer-delay ring for the audio path.
#[derive(Clone, Debug, Default)]
struct Delay {
    ring: Vec<f32>,
    mask: usize,
    pos: usize,
}

impl Delay {
    fn with_capacity(cap: usize) -> Self {
        let size = (cap + 1).next_power_of_two();
        Self {
            ring: vec![0.0; size],
            mask: size - 1,
            pos: 0,
        }
    }

    fn reset(&mut self) {
        self.ring.fill(0.0);
        self.pos = 0;
    }

    /// Writes `x` and returns the sample written `delay` calls ago.
    #[inline]
    fn process(&mut self, x: f32, delay: usize) -> f32 {
        self.ring[self.pos] = x;
        let y = self.ring[(self.pos.wrapping_sub(delay)) & self.mask];
        self.pos = (self.pos + 1) & self.mask;
        y
    }
}

/// Per-channel state.
#[derive(Clone, Debug)]
struct Channel {
    detectors: [TruePeakDetector; 3],
    /// |x| delayed to line up with the detector when true-peak mode is off.
    sample_peak: Delay,
    audio: Delay,
    hold: SlidingMin,
    release: f32,
    baseline: f32,
    /// Samples since the hold stage last asked for more reduction.
    since_attack: u32,
    avg1: MovingAverage,
    avg2: MovingAverage,
    dither: Ditherer,
    /// The detector input's last [`RECENT`] samples: refills a detector
    /// that takes over, so idle detectors need not be fed.
    recent: [f32; RECENT],
    recent_pos: usize,
    /// Required gain of the current control segment, per sample.
    required: [f32; CONTROL_BLOCK],
    /// Gain to apply in the current control segment, per sample.
    gains: [f32; CONTROL_BLOCK],
}

impl Channel {
    /// Runs the gain path (hold, release, attack averages) for one required
    /// gain value and returns the gain to apply to the delayed audio.
    #[inline]
    fn gain(&mut self, req: f32, c: &Coefs) -> f32 {
        let hold = self.hold.process(req);
        let coef = if !c.auto {
            c.release_slow
        } else if self.release < self.baseline * 0.97 {
            // Deeper than the running average: a transient, recover fast.
            c.release_fast
        } else {
            c.release_slow
        };
        self.release = if hold <= self.release {
            self.since_attack = 0;
            hold
        } else if self.since_attack < c.hold {
            self.since_attack += 1;
            self.release
        } else {
            hold + (self.release - hold) * coef
        };
        self.baseline = self.release + (self.baseline - self.release) * c.baseline;
        self.avg2.process(self.avg1.process(self.release)).min(1.0)
    }
}

/// Coefficients derived from the active parameters at a control tick.
#[derive(Clone, Copy, Debug, Default)]
struct Coefs {
    ceiling: f32,
    link: f32,
    window: usize,
    latency: usize,
    release_slow: f32,
    release_fast: f32,
    baseline: f32,
    hold: u32,
    auto: bool,
    true_peak: bool,
    detector: usize,
}

/// The limiter kernel. See the module documentation for the design.
#[derive(Clone, Debug)]
pub struct Limiter {
    sample_rate: f32,
    channels: Vec<Channel>,
    pending: LimiterParams,
    active: LimiterParams,
    coefs: Coefs,
    clock: ControlClock,
    gain_in: LinearSmoother,
    gain_delay: Delay,
    bypass_mix: LinearSmoother,
    delta_mix: LinearSmoother,
    detector_latency: usize,
    meter: LimiterMeter,
    prepared: bool,
}

impl Default for Limiter {
    fn default() -> Self {
        Self::new()
    }
}

impl Limiter {
    /// An unprepared limiter (passes audio through until prepared).
    pub fn new() -> Self {
        Self {
            sample_rate: 48_000.0,
            channels: Vec::new(),
            pending: LimiterParams::default(),
            active: LimiterParams::default(),
            coefs: Coefs::default(),
            clock: ControlClock::new(CONTROL_BLOCK),
            gain_in: LinearSmoother::new(),
            gain_delay: Delay::default(),
            bypass_mix: LinearSmoother::new(),
            delta_mix: LinearSmoother::new(),
            detector_latency: 0,
            meter: LimiterMeter::default(),
            prepared: false,
        }
    }

    /// Allocates for `channels` channels at `sample_rate` Hz (22 050..=
    /// 192 000 accepted; others are clamped). `max_block` is unused: the
    /// limiter works sample by sample. Resets all state.
    pub fn prepare(&mut self, sample_rate: f32, _max_block: usize, channels: usize) {
        let sample_rate = finite_or(sample_rate, 48_000.0).clamp(8_000.0, 384_000.0);
        self.sample_rate = sample_rate;
        let max_window = (MAX_LOOKAHEAD_MS * 0.001 * sample_rate).ceil() as usize + 1;
        let probe = TruePeakDetector::new(4);
        self.detector_latency = probe.latency();
        let max_latency = max_window + 2 * GUARD + self.detector_latency + 2;
        self.channels = (0..channels.max(1))
            .map(|c| Channel {
                detectors: [4, 8, 16].map(|factor| {
                    // The ceiling is in dBTP as BS.1770 meters read it, and
                    // the standard's own interpolation filter reads some
                    // tones above their true peak.
                    let mut d = TruePeakDetector::new(factor);
                    d.set_annex2(true);
                    d
                }),
                sample_peak: Delay::with_capacity(self.detector_latency + 1),
                audio: Delay::with_capacity(max_latency),
                hold: SlidingMin::with_capacity(max_window + 2 * GUARD + 1),
                release: 1.0,
                baseline: 1.0,
                since_attack: 0,
                avg1: MovingAverage::with_capacity(max_window),
                avg2: MovingAverage::with_capacity(max_window),
                dither: Ditherer::new(0x1234_5678 ^ (c as u32).wrapping_mul(0x9e37_79b9)),
                recent: [0.0; RECENT],
                recent_pos: 0,
                required: [1.0; CONTROL_BLOCK],
                gains: [1.0; CONTROL_BLOCK],
            })
            .collect();
        self.gain_delay = Delay::with_capacity(max_latency);
        self.gain_in.prepare(sample_rate, RAMP_MS);
        self.bypass_mix.prepare(sample_rate, RAMP_MS);
        self.delta_mix.prepare(sample_rate, RAMP_MS);
        self.prepared = true;
        self.reset();
    }

    /// Clears all state and applies the pending parameters at once (no
    /// ramps). Realtime-safe.
    pub fn reset(&mut self) {
        self.clock.reset();
        self.active = self.pending;
        self.coefs = self.derive(&self.active);
        let c = self.coefs;
        for ch in &mut self.channels {
            for d in &mut ch.detectors {
                d.reset();
                d.set_refine_threshold(c.ceiling * REFINE_BELOW_CEILING);
            }
            ch.sample_peak.reset();
            ch.audio.reset();
            ch.hold.reset(c.window + 2 * GUARD);
            ch.release = 1.0;
            ch.baseline = 1.0;
            ch.since_attack = 0;
            let (w1, w2) = split_window(c.window);
            ch.avg1.reset(w1, 1.0);
            ch.avg2.reset(w2, 1.0);
            ch.dither.reset();
            ch.dither.set(self.active.dither, self.active.noise_shaping);
            ch.recent = [0.0; RECENT];
            ch.recent_pos = 0;
            ch.required = [1.0; CONTROL_BLOCK];
            ch.gains = [1.0; CONTROL_BLOCK];
        }
        self.gain_delay.reset();
        self.gain_in.reset(db_to_gain(self.active.input_gain_db));
        self.bypass_mix
            .reset(if self.active.bypass { 1.0 } else { 0.0 });
        self.delta_mix
            .reset(if self.active.delta { 1.0 } else { 0.0 });
        self.meter = LimiterMeter::default();
    }

    /// Stores new settings; they take effect at the next 32-sample grid
    /// point (realtime-safe).
    pub fn set_params(&mut self, params: &LimiterParams) {
        self.pending = params.sanitised();
    }

    /// The settings in effect.
    pub fn params(&self) -> &LimiterParams {
        &self.active
    }

    /// Latency in samples for the pending settings: what the host should be
    /// told. Equal to [`Limiter::latency`] once the settings are active.
    pub fn latency_for(&self, params: &LimiterParams) -> usize {
        // Called by the plugin every block: only the lookahead matters, so
        // no coefficients are derived here.
        let window = self.window_for(params.sanitised().lookahead_ms);
        window - 1 + GUARD + self.detector_latency
    }

    /// Lookahead window W in samples for `lookahead_ms` (at least 4).
    fn window_for(&self, lookahead_ms: f32) -> usize {
        ((lookahead_ms * 0.001 * self.sample_rate).round() as usize).max(4)
    }

    /// Latency of the audio path in samples, as currently in effect.
    pub fn latency(&self) -> usize {
        self.coefs.latency
    }

    /// Latency the pending settings will have.
    pub fn pending_latency(&self) -> usize {
        self.latency_for(&self.pending)
    }

    /// Readings since the last call; resets them.
    pub fn take_meter(&mut self) -> LimiterMeter {
        std::mem::take(&mut self.meter)
    }

    fn derive(&self, p: &LimiterParams) -> Coefs {
        let fs = self.sample_rate;
        let window = self.window_for(p.lookahead_ms);
        let mut ceiling = db_to_gain(p.ceiling_db);
        if p.true_peak {
            ceiling *= db_to_gain(TRUE_PEAK_MARGIN_DB);
        }
        if let Some(bits) = p.dither.bits() {
            let lsb = 1.0 / (1u32 << (bits - 1)) as f32;
            ceiling -= max_deviation_lsb(p.noise_shaping) * lsb;
        }
        let coef = |ms: f32| (-1.0 / (ms.max(0.01) * 0.001 * fs)).exp();
        let (fast, slow) = if p.auto_release {
            (p.release_ms * 0.3, p.release_ms * 3.0)
        } else {
            (p.release_ms, p.release_ms)
        };
        Coefs {
            ceiling,
            link: p.stereo_link,
            window,
            latency: self.latency_for(p),
            release_slow: coef(slow),
            release_fast: coef(fast),
            baseline: coef(800.0),
            hold: if p.auto_release {
                (AUTO_HOLD_MS * 0.001 * fs) as u32
            } else {
                0
            },
            auto: p.auto_release,
            true_peak: p.true_peak,
            detector: p.oversampling.index(),
        }
    }

    /// Applies the pending settings at a grid point.
    fn tick(&mut self) {
        if self.pending == self.active {
            return;
        }
        let new = self.pending;
        let old_window = self.coefs.window;
        let old_detector = self.coefs.detector;
        self.coefs = self.derive(&new);
        let c = self.coefs;
        let detecting_before = self.active.true_peak;
        if c.true_peak && (c.detector != old_detector || !detecting_before) {
            // The detector taking over has not been fed: running it over the
            // recent input rebuilds its state (filters, top-band bound and
            // delays) from the real signal.
            for ch in &mut self.channels {
                let d = &mut ch.detectors[c.detector];
                d.reset();
                for k in 0..RECENT {
                    d.process(ch.recent[(ch.recent_pos + k) % RECENT]);
                }
            }
        }
        let linked_before = self.active.stereo_link >= 1.0;
        if linked_before && c.link < 1.0 {
            // Fully linked processing ran the gain path on channel 0 only;
            // its state is conservative for every channel (the linked gain
            // is the minimum), so the others continue from a copy of it.
            if let Some((first, rest)) = self.channels.split_first_mut() {
                for ch in rest {
                    ch.hold.copy_from(&first.hold);
                    ch.avg1.copy_from(&first.avg1);
                    ch.avg2.copy_from(&first.avg2);
                    ch.release = first.release;
                    ch.baseline = first.baseline;
                    ch.since_attack = first.since_attack;
                }
            }
        }
        for ch in &mut self.channels {
            for d in &mut ch.detectors {
                d.set_refine_threshold(c.ceiling * REFINE_BELOW_CEILING);
            }
            if c.window != old_window {
                ch.hold.set_len(c.window + 2 * GUARD);
                let (w1, w2) = split_window(c.window);
                ch.avg1.set_len(w1);
                ch.avg2.set_len(w2);
            }
            ch.dither.set(new.dither, new.noise_shaping);
        }
        self.gain_in.set_target(db_to_gain(new.input_gain_db));
        self.bypass_mix
            .set_target(if new.bypass { 1.0 } else { 0.0 });
        self.delta_mix.set_target(if new.delta { 1.0 } else { 0.0 });
        self.active = new;
    }

    /// Limits planar audio in place. Channel count should match `prepare`;
    /// extra channels are left untouched, missing ones ignored. Non-finite
    /// input samples are treated as silence. Realtime-safe.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        if !self.prepared || channels.is_empty() {
            return;
        }
        let nch = channels.len().min(self.channels.len());
        let len = channels[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
        let mut start = 0;
        while start < len {
            if self.clock.samples_until_tick() == self.clock.block() {
                self.tick();
            }
            let n = self.clock.samples_until_tick().min(len - start);
            self.run(channels, nch, start, n);
            self.clock.advance(n);
            start += n;
        }
    }

    /// One control segment (at most [`CONTROL_BLOCK`] samples), in stages:
    /// ramps, detection, gain path, output. Each stage is a tight loop over
    /// the segment; interleaving them per sample chained every stage's
    /// latency into one long dependency per sample.
    fn run(&mut self, channels: &mut [&mut [f32]], nch: usize, start: usize, n: usize) {
        const B: usize = CONTROL_BLOCK;
        let n = n.min(B);
        let c = self.coefs;
        let latency = c.latency;
        let det_lat = self.detector_latency;

        // Ramps shared by every channel.
        let mut g_in = [0.0f32; B];
        let mut g_in_del = [0.0f32; B];
        let mut bypass = [0.0f32; B];
        let mut delta = [0.0f32; B];
        for i in 0..n {
            g_in[i] = self.gain_in.next();
            g_in_del[i] = self.gain_delay.process(g_in[i], latency);
            bypass[i] = self.bypass_mix.next();
            delta[i] = self.delta_mix.next();
        }

        // Detection: required gain per channel and sample.
        let mut linked = [1.0f32; B];
        let mut input_peak = self.meter.input_peak;
        for (ch, buf) in self.channels.iter_mut().zip(channels.iter()).take(nch) {
            let xs = &buf[start..start + n];
            let mut xg = [0.0f32; B];
            for i in 0..n {
                let x = if xs[i].is_finite() { xs[i] } else { 0.0 };
                xg[i] = x * g_in[i];
                input_peak = input_peak.max(xg[i].abs());
            }
            for &v in &xg[..n] {
                ch.recent[ch.recent_pos] = v;
                ch.recent_pos = (ch.recent_pos + 1) % RECENT;
            }
            let peaks = &mut ch.required;
            if c.true_peak {
                ch.detectors[c.detector].process_block(&xg[..n], &mut peaks[..n]);
            } else {
                for i in 0..n {
                    peaks[i] = ch.sample_peak.process(xg[i].abs(), det_lat);
                }
            }
            for i in 0..n {
                let peak = peaks[i];
                let req = if peak > c.ceiling {
                    c.ceiling / peak
                } else {
                    1.0
                };
                peaks[i] = req;
                linked[i] = linked[i].min(req);
            }
        }
        self.meter.input_peak = input_peak;

        // Gain path. Fully linked (the default): one path serves every
        // channel, and its result is copied.
        if c.link >= 1.0 {
            if let Some((first, rest)) = self.channels.split_first_mut() {
                for (i, &l) in linked[..n].iter().enumerate() {
                    first.gains[i] = first.gain(l, &c);
                }
                for ch in rest {
                    ch.gains[..n].copy_from_slice(&first.gains[..n]);
                }
            }
        } else {
            for ch in self.channels.iter_mut().take(nch) {
                for (i, &l) in linked[..n].iter().enumerate() {
                    // Geometric blend towards the linked gain: never above
                    // the channel's own requirement, equal to it at link 0.
                    let mut req = ch.required[i];
                    if c.link > 0.0 && l < req {
                        req *= (l / req).powf(c.link);
                    }
                    ch.gains[i] = ch.gain(req, &c);
                }
            }
        }

        // Output.
        let mut min_gain = self.meter.min_gain;
        let mut output_peak = self.meter.output_peak;
        for (ch, buf) in self.channels.iter_mut().zip(channels.iter_mut()).take(nch) {
            let ys = &mut buf[start..start + n];
            for i in 0..n {
                let g = ch.gains[i];
                min_gain = min_gain.min(g);
                let x = if ys[i].is_finite() { ys[i] } else { 0.0 };
                let dry = ch.audio.process(x, latency);
                let wet_in = dry * g_in_del[i];
                let limited = wet_in * g;
                let mut y = limited + delta[i] * ((wet_in - limited) - limited);
                y = ch.dither.process(y);
                let out = y + bypass[i] * (dry - y);
                output_peak = output_peak.max(out.abs());
                ys[i] = out;
            }
        }
        self.meter.min_gain = min_gain;
        self.meter.output_peak = output_peak;
    }
}

/// Input gain (dB, clamped to the parameter's −24..=+36) that moves a
/// measured integrated loudness `integrated_lufs`, obtained with input gain
/// `gain_db`, onto `target_lufs`; `None` while there is no measurement
/// (below the −70 LUFS absolute gate, or non-finite).
///
/// Below the ceiling loudness follows gain one to one; once the limiter
/// works, each further dB of gain buys less than a dB of loudness, so one
/// step lands short of a loud target and repeating it (after measuring
/// again) converges from below: the ceiling holds throughout.
pub fn input_gain_for_target(gain_db: f32, integrated_lufs: f32, target_lufs: f32) -> Option<f32> {
    let measured = integrated_lufs.is_finite() && integrated_lufs > -70.0;
    if !(measured && gain_db.is_finite() && target_lufs.is_finite()) {
        return None;
    }
    Some((gain_db + target_lufs - integrated_lufs).clamp(-24.0, 36.0))
}

/// Splits the lookahead window W into two moving-average lengths whose
/// combined support (W₁ + W₂ − 1) is W.
fn split_window(window: usize) -> (usize, usize) {
    let w1 = window.div_ceil(2).max(1);
    let w2 = (window + 1 - w1).max(1);
    (w1, w2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lim: &mut Limiter, input: &[Vec<f32>], block: usize) -> Vec<Vec<f32>> {
        let mut out: Vec<Vec<f32>> = input.to_vec();
        let len = out[0].len();
        let mut s = 0;
        while s < len {
            let e = (s + block).min(len);
            let mut slices: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[s..e]).collect();
            lim.process(&mut slices);
            s = e;
        }
        out
    }

    #[test]
    fn unlinking_keeps_the_ceiling_and_matches_the_linked_state() {
        // Linked processing runs one gain path; unlinking mid-stream must
        // hand every channel a valid state (no overshoot right after).
        let mut lim = Limiter::new();
        lim.set_params(&LimiterParams {
            input_gain_db: 12.0,
            ..LimiterParams::default()
        });
        lim.prepare(48_000.0, 512, 2);
        let x: Vec<f32> = (0..9600).map(|i| (i as f32 * 0.05).sin()).collect();
        let mut out = run(&mut lim, &[x.clone(), x.clone()], 256);
        lim.set_params(&LimiterParams {
            input_gain_db: 12.0,
            stereo_link: 0.0,
            ..LimiterParams::default()
        });
        out = run(
            &mut lim,
            &out.iter().map(|_| x.clone()).collect::<Vec<_>>(),
            256,
        );
        let ceiling = db_to_gain(-1.0);
        for ch in &out {
            assert!(ch.iter().all(|v| v.abs() <= ceiling));
        }
    }

    #[test]
    fn switching_detector_factor_keeps_the_ceiling() {
        // Factor and true-peak mode change mid-stream on a hot signal; the
        // detector that takes over is refilled from recent input, so no
        // sample after the switch exceeds the ceiling.
        let mut lim = Limiter::new();
        let base = LimiterParams {
            input_gain_db: 12.0,
            ..LimiterParams::default()
        };
        lim.set_params(&base);
        lim.prepare(48_000.0, 512, 2);
        let x: Vec<f32> = (0..4800).map(|i| (i as f32 * 0.37).sin()).collect();
        let ceiling = db_to_gain(-1.0);
        for (k, p) in [
            DetectorOversampling::X8,
            DetectorOversampling::X16,
            DetectorOversampling::X4,
        ]
        .into_iter()
        .enumerate()
        {
            lim.set_params(&LimiterParams {
                oversampling: p,
                true_peak: k != 1,
                ..base
            });
            let out = run(&mut lim, &[x.clone(), x.clone()], 100);
            for ch in &out {
                assert!(ch.iter().all(|v| v.abs() <= ceiling), "after switch {k}");
            }
        }
    }

    #[test]
    fn window_split_covers_the_lookahead() {
        for w in 1..50 {
            let (a, b) = split_window(w);
            assert_eq!(a + b - 1, w.max(1));
        }
    }

    #[test]
    fn quiet_signal_passes_delayed_by_the_latency() {
        let mut lim = Limiter::new();
        lim.prepare(48_000.0, 512, 2);
        let lat = lim.latency();
        let x: Vec<f32> = (0..4800).map(|i| 0.3 * (i as f32 * 0.05).sin()).collect();
        let out = run(&mut lim, &[x.clone(), x.clone()], 64);
        for i in lat..x.len() {
            assert!((out[0][i] - x[i - lat]).abs() < 1e-6);
        }
    }

    #[test]
    fn same_output_at_any_block_size() {
        let x: Vec<f32> = (0..20_000)
            .map(|i| 2.0 * ((i as f32 * 0.031).sin() + 0.5 * (i as f32 * 0.0007).sin()))
            .collect();
        let mut reference = None;
        for block in [1usize, 7, 64, 65, 999, 4096] {
            let mut lim = Limiter::new();
            lim.prepare(44_100.0, 4096, 2);
            let out = run(&mut lim, &[x.clone(), x.clone()], block);
            match &reference {
                None => reference = Some(out),
                Some(r) => assert_eq!(r, &out, "block {block}"),
            }
        }
    }
}
