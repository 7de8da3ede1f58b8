//! Loudness meter after ITU-R BS.1770-4/-5 with the EBU R 128 read-outs of
//! EBU Tech 3341 ("EBU Mode": momentary, short-term, integrated and their
//! maxima) and EBU Tech 3342 (loudness range, LRA).
//!
//! # Why our own implementation and not the `ebur128` crate
//!
//! `ebur128` 0.1.11 is a faithful port of libebur128 and does not allocate in
//! `add_frames_*` in histogram mode, but three of its choices conflict with
//! what this meter has to guarantee:
//!
//! * its histogram has 0.1 LU bins and stands for every block by the bin
//!   centre, so the integrated loudness is quantised by up to ±0.05 LU — half
//!   of the ±0.1 LU that Tech 3341 allows;
//! * it feeds the loudness-range statistics one short-term value per second,
//!   while Tech 3342 (since v3, 2016) requires at least 10 Hz;
//! * momentary and short-term loudness exist only as "the last 400 ms / 3 s
//!   at the moment of the call", so maxima depend on how the host slices the
//!   stream, which breaks Tech 3341 cases 10 and 13 for unlucky block sizes
//!   and our block-size-independence contract.
//!
//! Writing the meter ourselves costs two biquads per channel and a small
//! block/histogram engine, and gives: 0.01 LU bins that keep the exact energy
//! sum of their blocks (the integrated value is exact apart from blocks within
//! 0.005 LU of the relative gate), short-term values for LRA every 100 ms,
//! maxima evaluated on a 1 ms grid counted from `reset()`, bit-identical
//! results for any host block size, and O(log n) read-outs that are safe to
//! call on the audio thread.
//!
//! # Signal path
//!
//! K-weighting (BS.1770 stage-1 "head" shelf and stage-2 RLB high-pass), both
//! in `f64`: at 192 kHz the RLB poles lie 1.2e-3 from z = 1 and 1 + a1 + a2
//! (which sets the 38 Hz corner) is 1.6e-6, only ~25 `f32` steps near 1, so
//! `f32` coefficients and state would lose accuracy at low frequencies;
//! weighted sum of channel mean squares (BS.1770 eq. 2, table 3); 1 ms hops
//! grouped into 100 ms steps; 400 ms gating blocks with 75 % overlap for the
//! integrated loudness and 3 s short-term windows every 100 ms for LRA.
//!
//! Non-finite input samples (NaN, ±inf) are replaced by 0.0 before filtering,
//! so time keeps running and they read as silence; they never reach the
//! filter state.

use std::f64::consts::PI;

/// Absolute gate of BS.1770 (integrated) and Tech 3342 (LRA), in LUFS.
pub const ABSOLUTE_GATE_LUFS: f64 = -70.0;

/// Relative gate of the integrated loudness below the absolute-gated
/// loudness, in LU (BS.1770-4 eq. 6).
pub const INTEGRATED_RELATIVE_GATE_LU: f64 = -10.0;

/// Relative gate of the loudness range below the absolute-gated short-term
/// loudness, in LU (Tech 3342 §3.1).
pub const LRA_RELATIVE_GATE_LU: f64 = -20.0;

/// Lowest sample rate `prepare` accepts, in Hz; lower values are clamped.
/// The meter is specified and tested for 22.05–192 kHz.
pub const MIN_SAMPLE_RATE_HZ: f32 = 8_000.0;

/// Highest sample rate `prepare` accepts, in Hz; higher values are clamped.
pub const MAX_SAMPLE_RATE_HZ: f32 = 768_000.0;

/// Rate at which all coefficients of BS.1770 tables 1 and 2 are given, in Hz.
const DESIGN_RATE_HZ: f64 = 48_000.0;

/// Loudness offset of BS.1770 eq. 2 in LU; it cancels the K-weighting gain
/// at 997 Hz.
const LOUDNESS_OFFSET_LU: f64 = -0.691;

/// Hops per 100 ms step: the grid on which momentary and short-term loudness
/// and their maxima are evaluated is 1 ms. A 400 ms burst that straddles
/// this grid reads at most 10·log10(399/400) = −0.011 LU low.
const HOPS_PER_STEP: usize = 100;

/// Momentary window: 400 ms = 4 steps (Tech 3341 §2.2).
const MOMENTARY_STEPS: usize = 4;

/// Short-term window: 3 s = 30 steps (Tech 3341 §2.2).
const SHORT_TERM_STEPS: usize = 30;

/// Hop energies kept for the sliding windows: one short-term window.
const HOP_RING_LEN: usize = SHORT_TERM_STEPS * HOPS_PER_STEP;

/// Histogram bin width in LU.
const BIN_WIDTH_LU: f64 = 0.01;

/// Histogram bins: from the absolute gate (−70 LUFS) to +30 LUFS. Louder
/// blocks (only reachable with inter-channel sums far above full scale)
/// land in the top bin; their energy still counts exactly.
const BIN_COUNT: usize = 10_000;

/// States below this magnitude are flushed to zero on the hop grid: an `f64`
/// IIR decaying into subnormals can get stuck there (rounding keeps the
/// smallest subnormal alive) and run very slowly. 1e-150 is ~1400 dB below
/// full scale, so flushing changes no reading.
const FLUSH_BELOW: f64 = 1e-150;

/// BS.1770-4 table 1: stage-1 pre-filter (spherical head shelf) at 48 kHz.
const PRE_FILTER_48K: Biquad = Biquad {
    b: [
        1.535_124_859_586_97,
        -2.691_696_189_406_38,
        1.198_392_810_852_85,
    ],
    a: [-1.690_659_293_182_41, 0.732_480_774_215_85],
};

/// BS.1770-4 table 2: stage-2 RLB high-pass at 48 kHz.
const RLB_FILTER_48K: Biquad = Biquad {
    b: [1.0, -2.0, 1.0],
    a: [-1.990_047_454_833_98, 0.990_072_250_366_21],
};

/// Converts a channel-weighted mean square to loudness in LUFS
/// (BS.1770 eq. 2); 0 → −inf.
fn energy_to_lufs(energy: f64) -> f64 {
    LOUDNESS_OFFSET_LU + 10.0 * energy.log10()
}

/// Default BS.1770 channel weights (table 3) for a channel count.
///
/// 1–3 channels: mono, L R, L R C (all 1.0). 4: L R Ls Rs. 5: L R C Ls Rs.
/// 6: L R C LFE Ls Rs (LFE excluded, as BS.1770 requires). More channels:
/// 1.0 each; use [`LoudnessMeter::set_channel_weight`] for other layouts.
fn default_weight(channels: usize, index: usize) -> f64 {
    // Table 3 gives 1.41 (~ +1.5 dB) for the surround channels.
    const SURROUND: f64 = 1.41;
    match (channels, index) {
        (4, 2 | 3) => SURROUND,
        (5, 3 | 4) => SURROUND,
        (6, 3) => 0.0,
        (6, 4 | 5) => SURROUND,
        _ => 1.0,
    }
}

/// A second-order section `H(z) = (b0 + b1 z⁻¹ + b2 z⁻²) / (1 + a1 z⁻¹ + a2 z⁻²)`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
}

impl Biquad {
    /// Re-designs a section given at `design_rate` for `sample_rate` so that
    /// it keeps the same frequency response.
    ///
    /// The 48 kHz section is mapped back to its analogue prototype by the
    /// inverse bilinear transform (u = (1 − z⁻¹)/(1 + z⁻¹), so u = j·tan(ω/2)
    /// on the unit circle), then discretised again at `sample_rate` with the
    /// frequency scale chosen so that the natural frequency of the poles
    /// (√(d0/d2) in u) lands on the same frequency in Hz. For table 1 that is
    /// 1681.97 Hz, for table 2 38.14 Hz: the shelf and corner frequencies
    /// usually quoted for K-weighting. At 48 kHz the result equals the table.
    fn redesigned(&self, design_rate: f64, sample_rate: f64) -> Biquad {
        let [b0, b1, b2] = self.b;
        let [a1, a2] = self.a;
        // Prototype polynomials in u, coefficients of u⁰, u¹, u².
        let n = [b0 + b1 + b2, 2.0 * (b0 - b2), b0 - b1 + b2];
        let d = [1.0 + a1 + a2, 2.0 * (1.0 - a2), 1.0 - a1 + a2];
        let warped_natural = (d[0] / d[2]).sqrt();
        let natural_hz = warped_natural.atan() * design_rate / PI;
        let k = warped_natural / (PI * natural_hz / sample_rate).tan();
        let kk = k * k;
        let to_z = |c: [f64; 3]| {
            [
                c[2] * kk + c[1] * k + c[0],
                2.0 * (c[0] - c[2] * kk),
                c[2] * kk - c[1] * k + c[0],
            ]
        };
        let num = to_z(n);
        let den = to_z(d);
        Biquad {
            b: [num[0] / den[0], num[1] / den[0], num[2] / den[0]],
            a: [den[1] / den[0], den[2] / den[0]],
        }
    }

    /// Magnitude response at `freq_hz` for a section running at `sample_rate`.
    fn magnitude(&self, freq_hz: f64, sample_rate: f64) -> f64 {
        let w = 2.0 * PI * freq_hz / sample_rate;
        let (s1, c1) = w.sin_cos();
        let (s2, c2) = (2.0 * w).sin_cos();
        // Evaluate at z⁻¹ = e^{−jω}.
        let nr = self.b[0] + self.b[1] * c1 + self.b[2] * c2;
        let ni = -(self.b[1] * s1 + self.b[2] * s2);
        let dr = 1.0 + self.a[0] * c1 + self.a[1] * c2;
        let di = -(self.a[0] * s1 + self.a[1] * s2);
        ((nr * nr + ni * ni) / (dr * dr + di * di)).sqrt()
    }
}

/// Transposed direct form II state of one section.
#[derive(Clone, Copy, Debug, Default)]
struct SectionState {
    s1: f64,
    s2: f64,
}

impl SectionState {
    #[inline(always)]
    fn tick(&mut self, c: &Biquad, x: f64) -> f64 {
        let y = c.b[0] * x + self.s1;
        self.s1 = c.b[1] * x - c.a[0] * y + self.s2;
        self.s2 = c.b[2] * x - c.a[1] * y;
        y
    }

    fn flush_tiny(&mut self) {
        if self.s1.abs() < FLUSH_BELOW {
            self.s1 = 0.0;
        }
        if self.s2.abs() < FLUSH_BELOW {
            self.s2 = 0.0;
        }
    }
}

/// Per-channel K-weighting state and the running sum of squares of the
/// current hop.
#[derive(Clone, Copy, Debug)]
struct Channel {
    pre: SectionState,
    rlb: SectionState,
    weight: f64,
    hop_sum: f64,
}

impl Channel {
    fn new(weight: f64) -> Self {
        Self {
            pre: SectionState::default(),
            rlb: SectionState::default(),
            weight,
            hop_sum: 0.0,
        }
    }

    /// K-weights `input` and adds its squares to the hop sum. Samples are
    /// accumulated one by one in stream order, so the sum does not depend on
    /// how the stream was sliced.
    #[inline]
    fn run(&mut self, k: &KWeighting, input: &[f32]) {
        let mut pre = self.pre;
        let mut rlb = self.rlb;
        let mut sum = self.hop_sum;
        for &x in input {
            let x = if x.is_finite() { f64::from(x) } else { 0.0 };
            let y = rlb.tick(&k.rlb, pre.tick(&k.pre, x));
            sum += y * y;
        }
        self.pre = pre;
        self.rlb = rlb;
        self.hop_sum = sum;
    }
}

/// The two K-weighting sections for one sample rate.
#[derive(Clone, Copy, Debug, PartialEq)]
struct KWeighting {
    pre: Biquad,
    rlb: Biquad,
}

impl KWeighting {
    fn for_rate(sample_rate: f64) -> Self {
        Self {
            pre: PRE_FILTER_48K.redesigned(DESIGN_RATE_HZ, sample_rate),
            rlb: RLB_FILTER_48K.redesigned(DESIGN_RATE_HZ, sample_rate),
        }
    }
}

/// Binary indexed (Fenwick) tree: prefix sums and point updates in
/// O(log n), so gated read-outs stay cheap however long the programme runs.
#[derive(Clone, Debug, Default)]
struct Fenwick<T> {
    tree: Vec<T>,
}

impl<T: Copy + Default + core::ops::AddAssign> Fenwick<T> {
    fn with_len(len: usize) -> Self {
        Self {
            tree: vec![T::default(); len],
        }
    }

    fn clear(&mut self) {
        self.tree.fill(T::default());
    }

    fn add(&mut self, index: usize, value: T) {
        let mut i = index + 1;
        while i <= self.tree.len() {
            self.tree[i - 1] += value;
            i += i & i.wrapping_neg();
        }
    }

    /// Sum of entries `0..end`.
    fn prefix(&self, end: usize) -> T {
        let mut i = end.min(self.tree.len());
        let mut sum = T::default();
        while i > 0 {
            sum += self.tree[i - 1];
            i &= i - 1;
        }
        sum
    }
}

impl Fenwick<u64> {
    /// Index of the entry that holds the element of 0-based `rank` when the
    /// entries are counts of sorted values (largest `i` with
    /// `prefix(i) <= rank`).
    fn find_rank(&self, rank: u64) -> usize {
        let len = self.tree.len();
        let mut pos = 0;
        let mut rest = rank;
        let mut step = if len == 0 { 0 } else { 1 << len.ilog2() };
        while step > 0 {
            let next = pos + step;
            if next <= len && self.tree[next - 1] <= rest {
                pos = next;
                rest -= self.tree[next - 1];
            }
            step >>= 1;
        }
        pos
    }
}

/// Distribution of block loudness above the absolute gate, in 0.01 LU bins
/// that keep both the number of blocks and the sum of their energies.
#[derive(Clone, Debug, Default)]
struct LevelHistogram {
    counts: Fenwick<u64>,
    energies: Fenwick<f64>,
    total_count: u64,
    total_energy: f64,
}

impl LevelHistogram {
    fn with_bins(bins: usize) -> Self {
        Self {
            counts: Fenwick::with_len(bins),
            energies: Fenwick::with_len(bins),
            total_count: 0,
            total_energy: 0.0,
        }
    }

    fn clear(&mut self) {
        self.counts.clear();
        self.energies.clear();
        self.total_count = 0;
        self.total_energy = 0.0;
    }

    fn bin_of(lufs: f64) -> usize {
        let x = ((lufs - ABSOLUTE_GATE_LUFS) / BIN_WIDTH_LU).floor();
        // `as` saturates; NaN never gets here (callers gate on a comparison).
        (x.max(0.0) as usize).min(BIN_COUNT - 1)
    }

    fn bin_centre_lufs(bin: usize) -> f64 {
        ABSOLUTE_GATE_LUFS + (bin as f64 + 0.5) * BIN_WIDTH_LU
    }

    /// First bin whose centre lies at or above `lufs`.
    fn first_bin_from(lufs: f64) -> usize {
        let x = ((lufs - ABSOLUTE_GATE_LUFS) / BIN_WIDTH_LU - 0.5).ceil();
        (x.max(0.0) as usize).min(BIN_COUNT)
    }

    fn add(&mut self, energy: f64, lufs: f64) {
        let bin = Self::bin_of(lufs);
        self.counts.add(bin, 1);
        self.energies.add(bin, energy);
        self.total_count += 1;
        self.total_energy += energy;
    }

    /// Loudness of all blocks, in LUFS (the absolute-gated loudness).
    fn mean_lufs(&self) -> Option<f64> {
        (self.total_count > 0).then(|| energy_to_lufs(self.total_energy / self.total_count as f64))
    }

    /// BS.1770 gated loudness: mean energy of the blocks above the absolute-
    /// gated loudness + `relative_gate_lu`, in LUFS.
    fn gated_lufs(&self, relative_gate_lu: f64) -> Option<f64> {
        let first = Self::first_bin_from(self.mean_lufs()? + relative_gate_lu);
        let count = self.total_count - self.counts.prefix(first);
        let energy = self.energies.prefix(BIN_COUNT) - self.energies.prefix(first);
        (count > 0).then(|| energy_to_lufs(energy.max(0.0) / count as f64))
    }

    /// Tech 3342 loudness range of the blocks above the absolute-gated
    /// loudness + `relative_gate_lu`, in LU: 95th minus 10th percentile, with
    /// the rank rounding of the Tech 3342 reference code.
    fn range_lu(&self, relative_gate_lu: f64) -> Option<f64> {
        let first = Self::first_bin_from(self.mean_lufs()? + relative_gate_lu);
        let below = self.counts.prefix(first);
        let n = self.total_count - below;
        if n == 0 {
            return None;
        }
        let percentile = |p: f64| {
            let rank = ((n - 1) as f64 * p).round() as u64;
            Self::bin_centre_lufs(self.counts.find_rank(below + rank))
        };
        Some(percentile(0.95) - percentile(0.10))
    }
}

/// EBU R 128 loudness meter (ITU-R BS.1770-4, EBU Tech 3341 "EBU Mode",
/// EBU Tech 3342 loudness range).
///
/// Lifecycle: [`new`](Self::new) → [`prepare`](Self::prepare) (allocates
/// ~350 KB) → [`process`](Self::process) any number of times, from the audio
/// thread or an offline loop → read-outs at any time. `reset`, `process`,
/// `set_channel_weight` and every read-out are realtime-safe: no allocation,
/// lock, I/O or panic path.
///
/// All read-outs return `f32::NEG_INFINITY` while there is not enough signal
/// for them (see each method) and for digital silence; they never return NaN.
/// Readings do not depend on how the stream is split into `process` calls.
#[derive(Clone, Debug)]
pub struct LoudnessMeter {
    sample_rate: f64,
    k: KWeighting,
    channels: Vec<Channel>,
    /// Samples per 100 ms step, `round(fs / 10)`.
    step_len: usize,
    /// Hop index within the current step, 0..HOPS_PER_STEP.
    hop_in_step: usize,
    /// Samples still missing to complete the current hop.
    hop_remaining: usize,
    hops: Vec<f64>,
    hop_pos: usize,
    hops_done: u64,
    /// Sum of the hop energies of the current step.
    step_sum: f64,
    /// Energies of the last `SHORT_TERM_STEPS` steps (ring).
    steps: [f64; SHORT_TERM_STEPS],
    step_pos: usize,
    steps_done: u64,
    /// Running sums over the last 400 / 3000 hops, re-summed exactly from
    /// `steps` at every step boundary so rounding cannot accumulate.
    momentary_sum: f64,
    short_term_sum: f64,
    momentary: Option<f64>,
    short_term: Option<f64>,
    max_momentary: Option<f64>,
    max_short_term: Option<f64>,
    gating_blocks: LevelHistogram,
    short_term_blocks: LevelHistogram,
}

impl Default for LoudnessMeter {
    fn default() -> Self {
        Self::new()
    }
}

impl LoudnessMeter {
    /// Creates an unprepared meter (no allocation). Until
    /// [`prepare`](Self::prepare) is called, `process` does nothing and every
    /// read-out is `f32::NEG_INFINITY`.
    pub fn new() -> Self {
        let mut meter = Self {
            sample_rate: DESIGN_RATE_HZ,
            k: KWeighting::for_rate(DESIGN_RATE_HZ),
            channels: Vec::new(),
            step_len: 4_800,
            hop_in_step: 0,
            hop_remaining: 0,
            hops: Vec::new(),
            hop_pos: 0,
            hops_done: 0,
            step_sum: 0.0,
            steps: [0.0; SHORT_TERM_STEPS],
            step_pos: 0,
            steps_done: 0,
            momentary_sum: 0.0,
            short_term_sum: 0.0,
            momentary: None,
            short_term: None,
            max_momentary: None,
            max_short_term: None,
            gating_blocks: LevelHistogram::default(),
            short_term_blocks: LevelHistogram::default(),
        };
        meter.hop_remaining = meter.hop_len(0);
        meter
    }

    /// Sets the sample rate (Hz; clamped to 8–768 kHz, a non-finite value
    /// means 48 kHz; specified for 22.05–192 kHz) and the channel count,
    /// recomputes the K-weighting for that rate, restores the default channel
    /// weights (see [`set_channel_weight`](Self::set_channel_weight)) and
    /// resets all measurements. May allocate; call it off the audio thread.
    pub fn prepare(&mut self, sample_rate: f32, channels: usize) {
        let fs = if sample_rate.is_finite() {
            sample_rate.clamp(MIN_SAMPLE_RATE_HZ, MAX_SAMPLE_RATE_HZ)
        } else {
            DESIGN_RATE_HZ as f32
        };
        self.sample_rate = f64::from(fs);
        self.k = KWeighting::for_rate(self.sample_rate);
        // BS.1770: gating blocks are 400 ms "to the nearest sample".
        self.step_len = (self.sample_rate / 10.0).round() as usize;
        self.channels = (0..channels)
            .map(|i| Channel::new(default_weight(channels, i)))
            .collect();
        if self.hops.len() != HOP_RING_LEN {
            self.hops = vec![0.0; HOP_RING_LEN];
        }
        if self.gating_blocks.counts.tree.len() != BIN_COUNT {
            self.gating_blocks = LevelHistogram::with_bins(BIN_COUNT);
            self.short_term_blocks = LevelHistogram::with_bins(BIN_COUNT);
        }
        self.reset();
    }

    /// Clears every measurement (momentary, short-term, integrated, LRA and
    /// the maxima) and the filter state; the next sample starts a new
    /// measurement. Realtime-safe. Keeps the sample rate, channel count and
    /// channel weights.
    pub fn reset(&mut self) {
        for ch in &mut self.channels {
            *ch = Channel::new(ch.weight);
        }
        self.hop_in_step = 0;
        self.hop_remaining = self.hop_len(0);
        self.hops.fill(0.0);
        self.hop_pos = 0;
        self.hops_done = 0;
        self.step_sum = 0.0;
        self.steps = [0.0; SHORT_TERM_STEPS];
        self.step_pos = 0;
        self.steps_done = 0;
        self.momentary_sum = 0.0;
        self.short_term_sum = 0.0;
        self.momentary = None;
        self.short_term = None;
        self.max_momentary = None;
        self.max_short_term = None;
        self.gating_blocks.clear();
        self.short_term_blocks.clear();
    }

    /// Sets the BS.1770 weight G of one channel (linear power weight: 1.0 for
    /// L, R, C; 1.41 for surrounds; 0.0 excludes a channel such as LFE).
    /// Negative or non-finite weights and indices beyond the prepared channel
    /// count are ignored. Realtime-safe; takes effect from the next sample
    /// (call it before measuring, as a change mid-measurement mixes weights).
    pub fn set_channel_weight(&mut self, channel: usize, weight: f32) {
        if let Some(ch) = self.channels.get_mut(channel) {
            if weight.is_finite() && weight >= 0.0 {
                ch.weight = f64::from(weight);
            }
        }
    }

    /// Current weight of `channel` (see
    /// [`set_channel_weight`](Self::set_channel_weight)); 0.0 for channels
    /// that were not prepared.
    pub fn channel_weight(&self, channel: usize) -> f32 {
        self.channels
            .get(channel)
            .map_or(0.0, |ch| ch.weight as f32)
    }

    /// Sample rate in use, in Hz, after clamping.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate as f32
    }

    /// Number of channels the meter was prepared for.
    pub fn channels(&self) -> usize {
        self.channels.len()
    }

    /// Time measured since the last `reset`/`prepare`, in seconds. Tech 3341
    /// §2.4 asks meters to flag the LRA as not yet stable during the first
    /// 60 s; callers can use this for that.
    pub fn elapsed_seconds(&self) -> f64 {
        let samples = self.steps_done * self.step_len as u64
            + (self.hop_start(self.hop_in_step) + self.hop_len(self.hop_in_step)
                - self.hop_remaining) as u64;
        samples as f64 / self.sample_rate
    }

    /// K-weighting magnitude at `freq_hz` for the prepared sample rate, in
    /// dB (+0.69 dB at 997 Hz, ≈ +4.0 dB above 5 kHz, −∞ at DC).
    pub fn k_weighting_response_db(&self, freq_hz: f32) -> f32 {
        let f = f64::from(freq_hz);
        let g =
            self.k.pre.magnitude(f, self.sample_rate) * self.k.rlb.magnitude(f, self.sample_rate);
        (20.0 * g.log10()) as f32
    }

    /// Measures planar audio: `channels[c][n]` is sample `n` of channel `c`,
    /// full scale ±1.0. Processes as many frames as the shortest slice holds;
    /// slices beyond the prepared channel count are ignored and prepared
    /// channels without a slice count as silence. Non-finite samples are
    /// measured as 0.0. Realtime-safe: no allocation, lock or I/O.
    pub fn process(&mut self, channels: &[&[f32]]) {
        if self.channels.is_empty() {
            return;
        }
        let used = channels.len().min(self.channels.len());
        let frames = match channels[..used].iter().map(|c| c.len()).min() {
            Some(n) => n,
            None => return,
        };
        let mut pos = 0;
        while pos < frames {
            let n = (frames - pos).min(self.hop_remaining);
            for (ch, input) in self.channels.iter_mut().zip(channels) {
                ch.run(&self.k, &input[pos..pos + n]);
            }
            pos += n;
            self.hop_remaining -= n;
            if self.hop_remaining == 0 {
                self.finish_hop();
            }
        }
    }

    /// Momentary loudness (400 ms sliding window, ungated) at the last 1 ms
    /// grid point, in LUFS. `f32::NEG_INFINITY` before 400 ms have been
    /// measured and for digital silence.
    pub fn momentary_lufs(&self) -> f32 {
        to_reading(self.momentary)
    }

    /// Short-term loudness (3 s sliding window, ungated) at the last 1 ms
    /// grid point, in LUFS. `f32::NEG_INFINITY` before 3 s have been measured
    /// and for digital silence.
    pub fn short_term_lufs(&self) -> f32 {
        to_reading(self.short_term)
    }

    /// Highest momentary loudness since the last reset, evaluated every 1 ms,
    /// in LUFS. `f32::NEG_INFINITY` before 400 ms have been measured.
    pub fn max_momentary_lufs(&self) -> f32 {
        to_reading(self.max_momentary)
    }

    /// Highest short-term loudness since the last reset, evaluated every
    /// 1 ms, in LUFS. `f32::NEG_INFINITY` before 3 s have been measured.
    pub fn max_short_term_lufs(&self) -> f32 {
        to_reading(self.max_short_term)
    }

    /// Integrated (programme) loudness since the last reset, in LUFS:
    /// BS.1770-4 gating of 400 ms blocks every 100 ms at −70 LUFS absolute
    /// and −10 LU relative; an incomplete last block is left out.
    /// `f32::NEG_INFINITY` until one block lies above −70 LUFS. O(log n).
    pub fn integrated_lufs(&self) -> f32 {
        to_reading_lufs(self.gating_blocks.gated_lufs(INTEGRATED_RELATIVE_GATE_LU))
    }

    /// Loudness range since the last reset, in LU (EBU Tech 3342): 3 s
    /// short-term values every 100 ms, gated at −70 LUFS and −20 LU
    /// relative, 95th minus 10th percentile. 0.0 for a steady signal;
    /// `f32::NEG_INFINITY` until one short-term value lies above −70 LUFS
    /// (so before 3 s). Resolution 0.01 LU. O(log n).
    pub fn loudness_range_lu(&self) -> f32 {
        to_reading_lufs(self.short_term_blocks.range_lu(LRA_RELATIVE_GATE_LU))
    }

    fn hop_start(&self, hop: usize) -> usize {
        hop * self.step_len / HOPS_PER_STEP
    }

    /// Hop lengths differ by at most one sample when `step_len` is not a
    /// multiple of 100; every 100 ms step still holds exactly `step_len`
    /// samples, so whole windows keep their exact length.
    fn hop_len(&self, hop: usize) -> usize {
        self.hop_start(hop + 1) - self.hop_start(hop)
    }

    fn finish_hop(&mut self) {
        let mut energy = 0.0;
        for ch in &mut self.channels {
            energy += ch.weight * ch.hop_sum;
            ch.hop_sum = 0.0;
            ch.pre.flush_tiny();
            ch.rlb.flush_tiny();
        }

        let momentary_hops = MOMENTARY_STEPS * HOPS_PER_STEP;
        let leaving_momentary =
            self.hops[(self.hop_pos + HOP_RING_LEN - momentary_hops) % HOP_RING_LEN];
        self.momentary_sum += energy - leaving_momentary;
        self.short_term_sum += energy - self.hops[self.hop_pos];
        self.hops[self.hop_pos] = energy;
        self.hop_pos = (self.hop_pos + 1) % HOP_RING_LEN;
        self.hops_done += 1;
        self.step_sum += energy;

        self.hop_in_step += 1;
        if self.hop_in_step == HOPS_PER_STEP {
            self.hop_in_step = 0;
            self.finish_step();
        }
        self.hop_remaining = self.hop_len(self.hop_in_step);

        if self.hops_done >= momentary_hops as u64 {
            let e = self.momentary_sum.max(0.0) / (MOMENTARY_STEPS * self.step_len) as f64;
            self.momentary = Some(e);
            self.max_momentary = Some(self.max_momentary.map_or(e, |m| m.max(e)));
        }
        if self.hops_done >= HOP_RING_LEN as u64 {
            let e = self.short_term_sum.max(0.0) / (SHORT_TERM_STEPS * self.step_len) as f64;
            self.short_term = Some(e);
            self.max_short_term = Some(self.max_short_term.map_or(e, |m| m.max(e)));
        }
    }

    fn finish_step(&mut self) {
        self.steps[self.step_pos] = self.step_sum;
        self.step_pos = (self.step_pos + 1) % SHORT_TERM_STEPS;
        self.step_sum = 0.0;
        self.steps_done += 1;

        // Exact window sums, newest step first.
        let newest =
            |i: usize| self.steps[(self.step_pos + SHORT_TERM_STEPS - 1 - i) % SHORT_TERM_STEPS];
        let momentary: f64 = (0..MOMENTARY_STEPS).map(newest).sum();
        let short_term: f64 = (0..SHORT_TERM_STEPS).map(newest).sum();
        self.momentary_sum = momentary;
        self.short_term_sum = short_term;

        if self.steps_done >= MOMENTARY_STEPS as u64 {
            // BS.1770 gating block: 400 ms, stepped by 100 ms (75 % overlap).
            let e = momentary / (MOMENTARY_STEPS * self.step_len) as f64;
            let lufs = energy_to_lufs(e);
            if lufs > ABSOLUTE_GATE_LUFS {
                self.gating_blocks.add(e, lufs);
            }
        }
        if self.steps_done >= SHORT_TERM_STEPS as u64 {
            // Tech 3342 input: short-term values at 10 Hz (2.9 s overlap).
            let e = short_term / (SHORT_TERM_STEPS * self.step_len) as f64;
            let lufs = energy_to_lufs(e);
            if lufs >= ABSOLUTE_GATE_LUFS {
                self.short_term_blocks.add(e, lufs);
            }
        }
    }
}

fn to_reading(energy: Option<f64>) -> f32 {
    to_reading_lufs(energy.map(energy_to_lufs))
}

fn to_reading_lufs(lufs: Option<f64>) -> f32 {
    match lufs {
        Some(v) if !v.is_nan() => v as f32,
        _ => f32::NEG_INFINITY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RATES: [f32; 7] = [
        22_050.0, 32_000.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0,
    ];

    fn prepared(sample_rate: f32, channels: usize) -> LoudnessMeter {
        let mut m = LoudnessMeter::new();
        m.prepare(sample_rate, channels);
        m
    }

    fn sine(sample_rate: f32, freq_hz: f64, amplitude: f64, seconds: f64) -> Vec<f32> {
        let w = 2.0 * PI * freq_hz / f64::from(sample_rate);
        let n = (seconds * f64::from(sample_rate)).round() as usize;
        (0..n)
            .map(|i| (amplitude * (w * i as f64).sin()) as f32)
            .collect()
    }

    /// Deterministic noise with a level that changes every 0.7 s.
    fn test_programme(sample_rate: f32, seconds: f64) -> Vec<f32> {
        let n = (seconds * f64::from(sample_rate)) as usize;
        let mut state = 0x1234_5678_u32;
        (0..n)
            .map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let white = (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                let segment = (i as f64 / (0.7 * f64::from(sample_rate))) as u32;
                white * [0.5, 0.05, 0.2, 0.01, 0.3][segment as usize % 5]
            })
            .collect()
    }

    fn readings(m: &LoudnessMeter) -> [u32; 6] {
        [
            m.momentary_lufs().to_bits(),
            m.short_term_lufs().to_bits(),
            m.integrated_lufs().to_bits(),
            m.loudness_range_lu().to_bits(),
            m.max_momentary_lufs().to_bits(),
            m.max_short_term_lufs().to_bits(),
        ]
    }

    fn feed(m: &mut LoudnessMeter, channels: &[&[f32]], block: usize) {
        let frames = channels[0].len();
        let mut pos = 0;
        while pos < frames {
            let end = (pos + block).min(frames);
            match channels {
                [a] => m.process(&[&a[pos..end]]),
                [a, b] => m.process(&[&a[pos..end], &b[pos..end]]),
                _ => unreachable!("tests use mono or stereo"),
            }
            pos = end;
        }
    }

    /// BS.1770-4 tables 1 and 2 give the coefficients at 48 kHz; the
    /// redesign must reproduce them there.
    #[test]
    fn coefficients_at_48k_are_the_bs1770_tables() {
        let k = KWeighting::for_rate(48_000.0);
        for (got, want) in [(k.pre, PRE_FILTER_48K), (k.rlb, RLB_FILTER_48K)] {
            for (g, w) in got.b.iter().chain(&got.a).zip(want.b.iter().chain(&want.a)) {
                assert!((g - w).abs() < 1e-12, "{g} vs {w}");
            }
        }
    }

    /// BS.1770 note 1: the −0.691 offset cancels the K-weighting gain at
    /// 997 Hz. At 48 kHz the table filter gives +0.6910 dB; the redesign
    /// stays within 0.006 dB of it from 44.1 kHz up and within 0.025 dB at
    /// 22.05/32 kHz, where the 48 kHz design's own frequency warping can no
    /// longer be followed by a single bilinear mapping.
    #[test]
    fn gain_at_997_hz_cancels_the_offset() {
        for fs in RATES {
            let gain = f64::from(prepared(fs, 1).k_weighting_response_db(997.0));
            let tol = if fs == 48_000.0 {
                0.001
            } else if fs >= 44_100.0 {
                0.006
            } else {
                0.025
            };
            assert!(
                (gain + LOUDNESS_OFFSET_LU).abs() < tol,
                "{fs} Hz: {gain} dB"
            );
        }
    }

    /// "Implementations at other sampling rates ... should provide the same
    /// frequency response that the specified filter provides at 48 kHz"
    /// (BS.1770, below table 1): compare with the table filters from 10 Hz to
    /// 20 kHz (or 0.45·fs).
    #[test]
    fn response_matches_the_48k_tables_at_other_rates() {
        for fs in RATES {
            let m = prepared(fs, 1);
            let tol = if fs >= 44_100.0 { 0.01 } else { 0.035 };
            let mut f = 10.0;
            while f < (0.45 * f64::from(fs)).min(20_000.0) {
                let reference = 20.0
                    * (PRE_FILTER_48K.magnitude(f, 48_000.0)
                        * RLB_FILTER_48K.magnitude(f, 48_000.0))
                    .log10();
                let got = f64::from(m.k_weighting_response_db(f as f32));
                assert!(
                    (got - reference).abs() < tol,
                    "{fs} Hz at {f} Hz: {got} vs {reference}"
                );
                f *= 1.05;
            }
        }
    }

    /// A steady sine of amplitude A and frequency f reads
    /// −0.691 + 10·log10(A²/2) + K(f) LUFS on one channel (BS.1770 eq. 2):
    /// the processed signal agrees with the closed-form response.
    #[test]
    fn measured_sine_loudness_follows_the_response() {
        for fs in [22_050.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0] {
            for f in [40.0, 100.0, 997.0, 3_000.0, 8_000.0] {
                let amplitude = 0.25;
                let x = sine(fs, f, amplitude, 1.0);
                let mut m = prepared(fs, 1);
                m.process(&[&x]);
                let expected = LOUDNESS_OFFSET_LU
                    + 10.0 * (amplitude * amplitude / 2.0).log10()
                    + f64::from(m.k_weighting_response_db(f as f32));
                let got = f64::from(m.momentary_lufs());
                assert!(
                    (got - expected).abs() < 0.01,
                    "{fs} Hz, {f} Hz: {got} vs {expected}"
                );
            }
        }
    }

    /// Rectangular windows of 400 ms and 3 s (Tech 3341 §2.2): a tone that
    /// fills half of a window reads 10·log10(1/2) = −3.01 LU below its steady
    /// value; readings are −∞ until a window is full.
    #[test]
    fn windows_have_their_specified_lengths() {
        let fs = 48_000.0;
        let x = sine(fs, 997.0, 0.1, 5.0);
        let steady = LOUDNESS_OFFSET_LU + 10.0 * (0.1f64 * 0.1 / 2.0).log10() + 0.691;
        let silence = vec![0.0f32; 48_000 * 3];

        let mut m = prepared(fs, 1);
        m.process(&[&x[..19_199]]);
        assert_eq!(m.momentary_lufs(), f32::NEG_INFINITY, "M before 400 ms");
        m.process(&[&x[19_199..19_200]]);
        assert!((f64::from(m.momentary_lufs()) - steady).abs() < 0.05);

        // Silence for 3 s, then 200 ms of tone: the momentary window is half
        // full of tone.
        let mut m = prepared(fs, 1);
        m.process(&[&silence]);
        assert_eq!(m.momentary_lufs(), f32::NEG_INFINITY, "M of silence");
        assert_eq!(m.short_term_lufs(), f32::NEG_INFINITY, "S of silence");
        m.process(&[&x[..9_600]]);
        let half = steady - 10.0 * 2f64.log10();
        assert!((f64::from(m.momentary_lufs()) - half).abs() < 0.02);
        // 1.5 s of tone: the short-term window is half full.
        m.process(&[&x[9_600..72_000]]);
        assert!((f64::from(m.short_term_lufs()) - half).abs() < 0.02);
    }

    #[test]
    fn read_outs_wait_for_enough_signal() {
        let fs = 44_100.0;
        let mut m = LoudnessMeter::new();
        // Unprepared: nothing to measure with.
        m.process(&[&[0.5; 64]]);
        assert_eq!(m.integrated_lufs(), f32::NEG_INFINITY);
        assert_eq!(m.elapsed_seconds(), 0.0);

        m.prepare(fs, 2);
        let x = sine(fs, 997.0, 0.5, 2.999);
        m.process(&[&x, &x]);
        assert!(m.momentary_lufs().is_finite());
        assert!(m.integrated_lufs().is_finite());
        assert_eq!(m.short_term_lufs(), f32::NEG_INFINITY, "S before 3 s");
        assert_eq!(
            m.max_short_term_lufs(),
            f32::NEG_INFINITY,
            "max S before 3 s"
        );
        assert_eq!(m.loudness_range_lu(), f32::NEG_INFINITY, "LRA before 3 s");
        m.process(&[&x[..100], &x[..100]]);
        assert!(m.short_term_lufs().is_finite());
        assert_eq!(m.loudness_range_lu(), 0.0, "LRA of a steady tone");

        // Digital silence never passes the absolute gate.
        let mut m = prepared(fs, 2);
        let zeros = vec![0.0f32; 44_100 * 5];
        m.process(&[&zeros, &zeros]);
        assert_eq!(m.integrated_lufs(), f32::NEG_INFINITY);
        assert_eq!(m.loudness_range_lu(), f32::NEG_INFINITY);
        assert_eq!(m.max_momentary_lufs(), f32::NEG_INFINITY);
    }

    /// DESIGN.md: the same input gives bit-identical readings whatever the
    /// host block size.
    #[test]
    fn readings_do_not_depend_on_block_size() {
        for fs in [44_100.0, 48_000.0] {
            let left = test_programme(fs, 7.3);
            let right: Vec<f32> = left.iter().rev().copied().collect();
            let mut reference = prepared(fs, 2);
            reference.process(&[&left, &right]);
            let want = readings(&reference);
            for block in [1, 7, 64, 65, 999, 4096] {
                let mut m = prepared(fs, 2);
                feed(&mut m, &[&left, &right], block);
                assert_eq!(readings(&m), want, "block {block} at {fs} Hz");
                assert_eq!(m.elapsed_seconds(), reference.elapsed_seconds());
            }
        }
    }

    #[test]
    fn reset_reproduces_readings() {
        let fs = 48_000.0;
        let x = test_programme(fs, 6.0);
        let mut m = prepared(fs, 1);
        m.process(&[&x]);
        let first = readings(&m);
        m.reset();
        assert_eq!(m.integrated_lufs(), f32::NEG_INFINITY);
        assert_eq!(m.max_momentary_lufs(), f32::NEG_INFINITY);
        m.process(&[&x]);
        assert_eq!(readings(&m), first);
    }

    /// Non-finite samples are measured as 0.0: the readings equal those of
    /// the same stream with zeros in their place, and stay finite.
    #[test]
    fn non_finite_samples_read_as_zeros() {
        let fs = 48_000.0;
        let clean = test_programme(fs, 5.0);
        let mut dirty = clean.clone();
        let mut zeroed = clean.clone();
        for (i, bad) in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY]
            .into_iter()
            .enumerate()
        {
            for pos in (1_000 * (i + 1)..clean.len()).step_by(7_919) {
                dirty[pos] = bad;
                zeroed[pos] = 0.0;
            }
        }
        let mut a = prepared(fs, 1);
        a.process(&[&dirty]);
        let mut b = prepared(fs, 1);
        b.process(&[&zeroed]);
        assert_eq!(readings(&a), readings(&b));
        assert!(readings(&a).iter().all(|&r| f32::from_bits(r).is_finite()));
    }

    /// BS.1770 table 3: surround channels weigh 1.41 (+1.49 dB); in the
    /// 6-channel (5.1) layout the LFE channel is left out.
    #[test]
    fn channel_weights_follow_bs1770_table_3() {
        let fs = 48_000.0;
        let x = sine(fs, 997.0, 0.1, 1.0);
        let z = vec![0.0f32; x.len()];
        let level = |channels: usize, active: usize| {
            let mut m = prepared(fs, channels);
            let planes: Vec<&[f32]> = (0..channels)
                .map(|c| if c == active { &x[..] } else { &z[..] })
                .collect();
            m.process(&planes);
            f64::from(m.momentary_lufs())
        };
        let front = level(5, 0);
        for (channels, surround) in [(5, 3), (5, 4), (4, 2), (6, 5)] {
            let diff = level(channels, surround) - front;
            assert!(
                (diff - 10.0 * 1.41f64.log10()).abs() < 1e-3,
                "{channels}/{surround}: {diff}"
            );
        }
        assert_eq!(level(6, 3), f64::NEG_INFINITY, "LFE");

        let mut m = prepared(fs, 2);
        m.set_channel_weight(1, 0.0);
        m.set_channel_weight(0, f32::NAN);
        m.set_channel_weight(7, 2.0);
        assert_eq!((m.channel_weight(0), m.channel_weight(1)), (1.0, 0.0));
        m.process(&[&x, &x]);
        assert!((f64::from(m.momentary_lufs()) - front).abs() < 1e-4);
    }

    /// BS.1770 eq. 5–7 over the exact block loudness values.
    fn reference_gated_lufs(blocks: &[f64]) -> Option<f64> {
        let energy = |l: f64| 10f64.powf((l - LOUDNESS_OFFSET_LU) / 10.0);
        let mean = |ls: &[f64]| {
            energy_to_lufs(ls.iter().map(|&l| energy(l)).sum::<f64>() / ls.len() as f64)
        };
        let abs: Vec<f64> = blocks
            .iter()
            .copied()
            .filter(|&l| l > ABSOLUTE_GATE_LUFS)
            .collect();
        if abs.is_empty() {
            return None;
        }
        let gate = mean(&abs) + INTEGRATED_RELATIVE_GATE_LU;
        let rel: Vec<f64> = abs.into_iter().filter(|&l| l > gate).collect();
        Some(mean(&rel))
    }

    /// The MATLAB reference of Tech 3342 §5 over exact short-term values.
    fn reference_lra(values: &[f64]) -> Option<f64> {
        let energy = |l: f64| 10f64.powf(l / 10.0);
        let abs: Vec<f64> = values
            .iter()
            .copied()
            .filter(|&l| l >= ABSOLUTE_GATE_LUFS)
            .collect();
        if abs.is_empty() {
            return None;
        }
        let integrated =
            10.0 * (abs.iter().map(|&l| energy(l)).sum::<f64>() / abs.len() as f64).log10();
        let mut rel: Vec<f64> = abs
            .into_iter()
            .filter(|&l| l >= integrated + LRA_RELATIVE_GATE_LU)
            .collect();
        rel.sort_by(f64::total_cmp);
        let n = rel.len();
        let pick = |p: f64| rel[((n - 1) as f64 * p).round() as usize];
        Some(pick(0.95) - pick(0.10))
    }

    fn histogram_of(levels: &[f64]) -> LevelHistogram {
        let mut h = LevelHistogram::with_bins(BIN_COUNT);
        for &l in levels {
            let e = 10f64.powf((l - LOUDNESS_OFFSET_LU) / 10.0);
            h.add(e, energy_to_lufs(e));
        }
        h
    }

    proptest! {
        /// The histogram gives the BS.1770 gated loudness of the exact block
        /// values whenever no block lies within one bin of the relative gate
        /// (those are the only ones it may classify differently).
        #[test]
        fn histogram_integrated_equals_exact_gating(
            levels in proptest::collection::vec(-69.0f64..10.0, 1..400)
        ) {
            let h = histogram_of(&levels);
            let gate = h.mean_lufs().unwrap_or(f64::NAN) + INTEGRATED_RELATIVE_GATE_LU;
            prop_assume!(levels.iter().all(|l| (l - gate).abs() > BIN_WIDTH_LU));
            let want = reference_gated_lufs(&levels).unwrap_or(f64::NAN);
            let got = h.gated_lufs(INTEGRATED_RELATIVE_GATE_LU).unwrap_or(f64::NAN);
            prop_assert!((got - want).abs() < 1e-9, "{} vs {}", got, want);
        }

        /// Percentiles come from bin centres: the LRA is within one bin width
        /// of the Tech 3342 reference on the exact values.
        #[test]
        fn histogram_lra_matches_tech_3342_reference(
            levels in proptest::collection::vec(-69.0f64..10.0, 1..400)
        ) {
            let h = histogram_of(&levels);
            let gate = h.mean_lufs().unwrap_or(f64::NAN) + LRA_RELATIVE_GATE_LU;
            prop_assume!(levels.iter().all(|l| (l - gate).abs() > BIN_WIDTH_LU));
            let want = reference_lra(&levels).unwrap_or(f64::NAN);
            let got = h.range_lu(LRA_RELATIVE_GATE_LU).unwrap_or(f64::NAN);
            prop_assert!((got - want).abs() <= BIN_WIDTH_LU + 1e-9, "{} vs {}", got, want);
        }
    }

    #[test]
    fn fenwick_rank_search_matches_linear_scan() {
        let counts = [0u64, 3, 0, 1, 5, 0, 0, 2];
        let mut f = Fenwick::with_len(counts.len());
        for (i, &c) in counts.iter().enumerate() {
            f.add(i, c);
        }
        let mut rank = 0;
        for (bin, &c) in counts.iter().enumerate() {
            for _ in 0..c {
                assert_eq!(f.find_rank(rank), bin, "rank {rank}");
                rank += 1;
            }
            assert_eq!(f.prefix(bin + 1), counts[..=bin].iter().sum::<u64>());
        }
    }
}
