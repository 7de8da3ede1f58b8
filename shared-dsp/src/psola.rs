//! Time-domain pitch-synchronous overlap-add (TD-PSOLA): pitch marks and
//! grain synthesis.
//!
//! After E. Moulines and F. Charpentier, "Pitch-synchronous waveform
//! processing techniques for text-to-speech synthesis using diphones",
//! Speech Communication 9 (1990). The input is cut into grains, each a
//! window about two periods long centred on a pitch mark; the output places
//! the grains at a new spacing (the output period). The grain's spectrum is
//! the vocal tract's response smoothed over one harmonic spacing, so
//! re-spacing the grains changes the pitch while the spectral envelope — the
//! formants — stays where it was. Reading the grains faster or slower
//! (resampling them) moves the formants: the formant shift.
//!
//! Pitch marks ([`PitchMarks`]) are a lattice one period apart, started on
//! the energy centre of a cycle (close to the glottal closure, where a grain
//! best captures one pulse's response). Each new mark is placed where the
//! cycle around it best matches the cycle around the previous mark
//! (normalised cross-correlation, refined to a fraction of a sample), so
//! the marks follow the waveform itself rather than a period estimate:
//! estimate errors and the estimate's lag behind a vibrato do not turn
//! into a drift of the marks, which would shift the output pitch by the
//! same relative error. Matching cycles by correlation also aligns the
//! strongest parts of the spectrum from grain to grain, so consecutive
//! output periods stay alike while the input's waveform evolves. (A pull
//! towards each cycle's energy centre, to keep long notes' marks at the
//! glottal closures, was tried and dropped: cycles whose energy has two
//! peaks made it pull both ways and shifted the output pitch by the pull.)
//! Between placed marks and the output's needs the lattice is extrapolated
//! with the measured spacing and its trend.
//!
//! The quiet point suits a voice whose whitened residual (what the grains
//! are cut from) is one pulse per period. When the fundamental reaches
//! the first formant (/i/ and /u/ from about 290 Hz) the envelope model,
//! fitted to so few harmonics, leaves a residual whose energy spreads over
//! much of the period, and the quiet point of the voice is no longer a
//! quiet point of the residual. For those voices the caller moves the
//! whole lattice once, before the first grain, to [`RESIDUAL_LEAD`] of a
//! period before the peak of the residual's energy
//! ([`PitchMarks::align_to_residual`]).
//!
//! Synthesis ([`Psola`]) runs one output period at a time. Output marks
//! `s_k` are one output period apart; grain `k` is read around the input
//! mark `a_k` nearest to `s_k` (grains repeat when the pitch rises, are
//! skipped when it falls, so the timing follows the input). Between `s_k`
//! and `s_{k+1}` grain `k` fades out while grain `k+1` fades in with
//! complementary cubic (`3u² − 2u³`) ramps, so the windows sum to exactly one
//! whenever the grains overlap fully; each half is limited to the grain's
//! own analysis period, so when the pitch goes down the grains no longer
//! overlap and the gaps between pulses stay gaps, as in the original
//! method. Grains are read with 4-point Hermite interpolation at fractional
//! positions, so output marks need not fall on whole samples and the output
//! period is exact rather than rounded.
//!
//! Everything is allocation-free after construction; the signal histories
//! are [`DelayLine`]s owned by the caller and addressed by absolute sample
//! index (the newest sample has index `newest`).

use crate::delay_line::DelayLine;
use crate::pitch_detect::{dot, parabolic};

/// Marks kept in the lattice (older ones are forgotten).
const MARK_CAPACITY: usize = 64;
/// Search range for the next mark around its prediction, share of the
/// period (plus two samples).
const SEARCH_SHARE: f64 = 0.015;
/// Largest search reach, samples (periods up to 7000 samples: 55 Hz at
/// 384 kHz).
const MAX_REACH: i64 = 110;
/// Correlation a cycle must reach with the previous one to place its mark
/// by matching; otherwise the predicted position is kept.
const MATCH_MIN: f32 = 0.5;
/// Crossfade between consecutive grains, share of the period: each grain
/// plays the first half of its input cycle untouched (flat top) and hands
/// over to the next during the second half, the quietest stretch of the
/// cycle, ending on the next grain's mark. (Full-length fades, the
/// classic Hann windows, smooth the spectrum of each grain over a harmonic
/// spacing; short fades cut too abruptly; half was best for the envelope
/// test's vowels.)
const CROSSFADE_SHARE: f64 = 0.5;
/// Share of the grains' offset from the lattice removed per grain, and the
/// largest step, samples (0.01 sample: a hundredth of a cent at 100 Hz).
const OFFSET_BLEED: f64 = 0.02;
const OFFSET_STEP: f64 = 0.01;
/// Marks after the start in which the lattice may still move to the quiet
/// point of a much louder cycle (the voice's first milliseconds, still
/// inside the fade-in).
const ALIGN_MARKS: u32 = 6;
/// A cycle this many times more energetic than the one the lattice was
/// aligned on is a voice onset.
const ONSET_RATIO: f64 = 4.0;

/// Where [`PitchMarks::align_to_residual`] puts the marks: this share of
/// a period before the peak of the residual's energy (so the crossfade,
/// the half period before a mark, ends ahead of the pulse).
pub const RESIDUAL_LEAD: f64 = 0.2;
/// Cycles folded into the residual's energy profile.
const RESIDUAL_CYCLES: usize = 4;
/// Width of the window the residual's energy peak is found with, share of
/// the period.
const RESIDUAL_PEAK_SHARE: f64 = 0.05;

/// One pitch mark: a position on the input time line and the spacing to
/// the next mark.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mark {
    /// Absolute input sample position (fractional).
    pub pos: f64,
    /// Samples to the next mark (the local period).
    pub period: f64,
}

/// Reads the sample with absolute index `i` from `line` whose newest sample
/// has index `newest`; indices after `newest` read the newest sample.
#[inline]
fn at(line: &DelayLine, newest: u64, i: i64) -> f32 {
    let d = (newest as i64 - i).max(0) as usize;
    line.read(d)
}

/// Hermite-interpolated value of `line` at absolute position `pos`
/// (newest sample at index `newest`); positions after the newest sample read
/// the newest sample.
#[inline(always)]
pub fn read_at(line: &DelayLine, newest: u64, pos: f64) -> f32 {
    let delay = newest as f64 - pos;
    if delay <= 0.0 {
        return line.read(0);
    }
    // Truncation is the floor here (delay > 0), without a libm call.
    let whole = delay as usize;
    line.read_cubic_split(whole, (delay - whole as f64) as f32)
}

/// Energy of the cycle around `pos` (one period, centred).
fn cycle_energy(line: &DelayLine, newest: u64, pos: f64, period: f64) -> f64 {
    let len = period.round().max(2.0) as i64;
    let start = (pos - 0.5 * period).round() as i64;
    (start..start + len)
        .map(|i| f64::from(at(line, newest, i)).powi(2))
        .sum()
}

/// The quietest point of the cycle around `pos`: the end `q` of the
/// `share·period` stretch `[q − r, q]` with the least energy, for `q`
/// within half a period of `pos`. In a voice the energy peaks just after
/// each glottal closure and decays until the next, so this is the end of
/// the decay, just before the next pulse: where a grain can hand over to
/// the next with the least disturbance.
fn quiet_point(line: &DelayLine, newest: u64, pos: f64, period: f64, share: f64) -> f64 {
    let r = (share * period).round().max(1.0) as i64;
    let first = (pos - 0.5 * period).round() as i64;
    let last = first + period.round().max(1.0) as i64;
    let e = |i: i64| f64::from(at(line, newest, i)).powi(2);
    let mut sum: f64 = (first - r + 1..=first).map(e).sum();
    let (mut best, mut best_q) = (sum, first);
    for q in first + 1..last {
        sum += e(q) - e(q - r);
        if sum < best {
            best = sum;
            best_q = q;
        }
    }
    best_q as f64
}

/// The pitch-mark lattice; see the [module documentation](self).
#[derive(Clone, Debug)]
pub struct PitchMarks {
    marks: [Mark; MARK_CAPACITY],
    /// Index of the oldest mark.
    head: usize,
    len: usize,
    /// Period used for the next mark, samples.
    period: f64,
    /// Copy of the two cycles being compared.
    scratch: Vec<f32>,
    /// Window of the comparison (recomputed when its length changes).
    hann: Vec<f32>,
    /// Marks left in which the lattice may still move to the quiet point
    /// of a much louder cycle (a voice's onset).
    unaligned: u32,
    /// Energy of the cycle the lattice was last aligned on.
    align_energy: f64,
    /// Change of the spacing from one mark to the next, samples, and the
    /// change of that change (the extrapolation is quadratic: a vibrato's
    /// period curves within the one or two periods extrapolated).
    trend: f64,
    curve: f64,
    /// [`align_to_residual`](Self::align_to_residual) has run since the
    /// lattice started.
    residual_done: bool,
}

impl Default for PitchMarks {
    fn default() -> Self {
        Self::new()
    }
}

impl PitchMarks {
    /// An empty (inactive) lattice with no scratch space yet; call
    /// [`prepare`](Self::prepare).
    pub fn new() -> Self {
        Self {
            marks: [Mark {
                pos: 0.0,
                period: 0.0,
            }; MARK_CAPACITY],
            head: 0,
            len: 0,
            period: 0.0,
            scratch: Vec::new(),
            hann: Vec::new(),
            unaligned: 0,
            align_energy: 0.0,
            trend: 0.0,
            curve: 0.0,
            residual_done: false,
        }
    }

    /// Allocates for periods up to `max_period` samples and stops.
    pub fn prepare(&mut self, max_period: usize) {
        let max_period = max_period.max(8);
        // Two windows of two periods and two spans of two periods plus the
        // search range.
        let w = 2 * max_period + 1;
        let span = w + 2 * Self::search(max_period as f64) as usize + 2;
        self.scratch = vec![0.0; 2 * (w + span)];
        self.hann = Vec::with_capacity(w);
        self.stop();
    }

    /// `true` while the lattice has marks.
    pub fn is_active(&self) -> bool {
        self.len > 0
    }

    /// Forgets every mark.
    pub fn stop(&mut self) {
        self.len = 0;
        self.head = 0;
        self.trend = 0.0;
        self.curve = 0.0;
    }

    /// Starts a lattice with period `period` samples (> 1) on the quiet
    /// point of the cycle around `pos`, or the one before it (the caller
    /// needs a mark at or before `pos`). `pos + period/2` must not be after
    /// `newest`.
    pub fn start(&mut self, line: &DelayLine, newest: u64, pos: f64, period: f64) {
        self.stop();
        let period = period.max(2.0);
        self.period = period;
        let mut p = quiet_point(line, newest, pos, period, CROSSFADE_SHARE);
        if p > pos {
            p -= period;
        }
        self.unaligned = ALIGN_MARKS;
        self.residual_done = false;
        self.align_energy = cycle_energy(line, newest, p, period);
        self.push(Mark { pos: p, period });
    }

    /// `true` while the lattice has marks and
    /// [`align_to_residual`](Self::align_to_residual) has not run on it.
    pub fn wants_residual(&self) -> bool {
        self.len > 0 && !self.residual_done
    }

    /// Decides the lattice's placement once: with `apply`, moves every
    /// mark by the same amount (less than half a period) so the newest
    /// lies [`RESIDUAL_LEAD`] of a period before the peak of the energy of
    /// `residual` (newest sample at index `newest`) folded over the last
    /// few cycles; without it, keeps the quiet points. Either way the
    /// lattice then stays where it is (no onset realignment). Call before
    /// any grain is read from the lattice.
    pub fn align_to_residual(&mut self, residual: &DelayLine, newest: u64, apply: bool) {
        self.residual_done = true;
        if !apply {
            return;
        }
        let Some(last) = self.last() else {
            return;
        };
        let period = last.period.max(2.0);
        let n = period.round() as usize;
        if n < 8 || n > self.scratch.len() {
            return;
        }
        // Energy by position in the cycle, relative to each mark.
        let half = (n / 2) as i64;
        let profile = &mut self.scratch[..n];
        profile.fill(0.0);
        for k in 0..self.len.min(RESIDUAL_CYCLES) {
            let c = self.marks[(self.head + self.len - 1 - k) % MARK_CAPACITY]
                .pos
                .round() as i64;
            for (j, v) in profile.iter_mut().enumerate() {
                *v += at(residual, newest, c - half + j as i64).powi(2);
            }
        }
        // The peak: the centre of the loudest short window (circular).
        let w = ((RESIDUAL_PEAK_SHARE * period).round() as usize).clamp(1, n);
        let mut sum: f64 = profile[..w].iter().map(|&v| f64::from(v)).sum();
        let (mut best, mut first) = (sum, 0);
        for i in 1..n {
            sum += f64::from(profile[(i + w - 1) % n]) - f64::from(profile[i - 1]);
            if sum > best {
                best = sum;
                first = i;
            }
        }
        if best.is_nan() || best <= 0.0 {
            return;
        }
        let peak = ((first + w / 2) % n) as f64 - half as f64;
        let mut d = peak - RESIDUAL_LEAD * period;
        if d >= 0.5 * period {
            d -= period;
        } else if d < -0.5 * period {
            d += period;
        }
        for k in 0..self.len {
            self.marks[(self.head + k) % MARK_CAPACITY].pos += d;
        }
        self.unaligned = 0;
    }

    /// Sets the period (samples, > 1) for the marks placed from now on.
    pub fn set_period(&mut self, period: f64) {
        if period.is_finite() && period > 1.0 {
            self.period = period;
        }
    }

    /// Period used for new marks, samples.
    pub fn period(&self) -> f64 {
        self.period
    }

    fn push(&mut self, mark: Mark) {
        if self.len == MARK_CAPACITY {
            self.head = (self.head + 1) % MARK_CAPACITY;
            self.len -= 1;
        }
        let i = (self.head + self.len) % MARK_CAPACITY;
        self.marks[i] = mark;
        self.len += 1;
    }

    fn get(&self, k: usize) -> Mark {
        self.marks[(self.head + k) % MARK_CAPACITY]
    }

    /// The newest mark, if any.
    pub fn last(&self) -> Option<Mark> {
        (self.len > 0).then(|| self.get(self.len - 1))
    }

    /// Samples a new mark may lie from its prediction: vibrato moves the
    /// period by a few tenths of a percent between analyses.
    fn search(period: f64) -> i64 {
        (SEARCH_SHARE * period).ceil() as i64 + 2
    }

    /// Spacing predicted after `last`: its own spacing from the mark
    /// before plus the trend (the freshest measure of the period) while
    /// that agrees with the detector's period within 3 %, otherwise the
    /// detector's (a new note).
    fn predicted(&self, last: Mark) -> f64 {
        if (last.period / self.period - 1.0).abs() < 0.03 {
            last.period
        } else {
            self.period
        }
    }

    /// Places new marks while the cycle around the next one has fully
    /// arrived. Each mark's `period` becomes the measured spacing to the
    /// next one; the newest mark's is the predicted spacing.
    pub fn extend(&mut self, line: &DelayLine, newest: u64) {
        while let Some(last) = self.last() {
            let period = self.period;
            let guess = last.pos + self.predicted(last);
            let reach = Self::search(period);
            if guess + period + reach as f64 + 2.0 > newest as f64 {
                break;
            }
            let mut p = self.track(line, newest, last.pos, guess, period);
            if self.unaligned > 0 {
                // A voice that starts inside the lattice's first cycles:
                // move to the quiet point of the first loud cycle once.
                self.unaligned -= 1;
                let energy = cycle_energy(line, newest, p, period);
                if energy > ONSET_RATIO * self.align_energy {
                    p = quiet_point(line, newest, p, period, CROSSFADE_SHARE);
                    self.align_energy = energy;
                }
            }
            let spacing = p - last.pos;
            let before = (self.len >= 2).then(|| self.get(self.len - 2).period);
            let before2 = (self.len >= 3).then(|| self.get(self.len - 3).period);
            let k = self.len - 1;
            let i = (self.head + k) % MARK_CAPACITY;
            self.marks[i].period = spacing;
            let consistent = |s: f64| (s / period - 1.0).abs() < 0.03;
            self.trend = match before {
                Some(b) if consistent(spacing) && consistent(b) => {
                    (spacing - b).clamp(-0.01 * spacing, 0.01 * spacing)
                }
                _ => 0.0,
            };
            self.curve = match (before, before2) {
                (Some(b), Some(c)) if self.trend != 0.0 && consistent(c) => {
                    ((spacing - b) - (b - c)).clamp(-0.003 * spacing, 0.003 * spacing)
                }
                _ => 0.0,
            };
            let next = if consistent(spacing) {
                spacing + self.trend + self.curve
            } else {
                period
            };
            self.push(Mark {
                pos: p,
                period: next,
            });
        }
    }

    /// The position near `guess` where the waveform looks most like the
    /// waveform around `prev`: the maximum of their normalised
    /// cross-correlation over whole-sample shifts, refined by a parabola.
    /// The correlation is weighted by a smooth window two periods long: a
    /// window with hard ends a fraction of a period off a whole cycle
    /// leaves a part of the double-frequency product uncancelled, which
    /// biases the peak by a few hundredths of a sample in a direction set
    /// by the waveform's phase — and marks locked to that phase would then
    /// drift steadily. Falls back to `guess` when no shift matches well (a
    /// consonant, a breath).
    fn track(&mut self, line: &DelayLine, newest: u64, prev: f64, guess: f64, period: f64) -> f64 {
        let w = ((2.0 * period).round() as usize).max(16);
        let reach = Self::search(period).min(MAX_REACH);
        let k0 = (guess - prev).round() as i64;
        let (lo, hi) = (k0 - reach - 1, k0 + reach + 1);
        let a0 = (prev - 0.5 * w as f64).round() as i64;
        let b0 = a0 + lo;
        let span = w + (hi - lo) as usize;
        let b_end = b0 + span as i64 - 1;
        if 2 * (w + span) > self.scratch.len() || lo < 1 || b_end > newest as i64 {
            return guess;
        }
        if self.hann.len() != w {
            // Recomputed when the period moves by half a sample. The
            // biweight 16u²(1 − u)² has Hann's shape and end behaviour
            // (zero value and slope at both ends) without a cosine.
            self.hann.clear();
            let step = 1.0 / w as f32;
            self.hann.extend((0..w).map(|j| {
                let u = (j as f32 + 0.5) * step;
                let v = u * (1.0 - u);
                16.0 * v * v
            }));
        }
        let (aw, rest) = self.scratch.split_at_mut(w);
        let (a, rest) = rest.split_at_mut(w);
        let (b, rest) = rest.split_at_mut(span);
        let b2 = &mut rest[..span];
        line.read_block((newest as i64 - (a0 + w as i64 - 1)) as usize, a);
        line.read_block((newest as i64 - b_end) as usize, b);
        for (s, v) in b2.iter_mut().zip(b.iter()) {
            *s = v * v;
        }
        let win = &self.hann[..];
        for ((o, v), h) in aw.iter_mut().zip(a.iter()).zip(win) {
            *o = *v * *h;
        }
        // Σ h·a² as a dot product (a running sum in a loop would be one
        // long serial chain).
        let ea = dot(aw, a);
        let (aw, b, b2) = (&*aw, &*b, &*b2);
        let ncc = |k: i64| -> f32 {
            let o = (k - lo) as usize;
            let den = ea + dot(win, &b2[o..o + w]);
            if den > 0.0 {
                2.0 * dot(aw, &b[o..o + w]) / den
            } else {
                0.0
            }
        };
        // Hill climb from the prediction: the correlation peak is one broad
        // lobe around the true shift, a few samples from the prediction.
        let mut cache = [f32::NAN; 2 * MAX_REACH as usize + 3];
        let mut value = |k: i64| -> f32 {
            let i = (k - lo) as usize;
            if cache[i].is_nan() {
                cache[i] = ncc(k);
            }
            cache[i]
        };
        let mut k = k0;
        let mut here = value(k);
        loop {
            let (left, right) = (value(k - 1), value(k + 1));
            if right > here && k < k0 + reach {
                k += 1;
                here = right;
            } else if left > here && k > k0 - reach {
                k -= 1;
                here = left;
            } else {
                break;
            }
        }
        if here < MATCH_MIN {
            return guess;
        }
        let (d, _) = parabolic(value(k - 1), here, value(k + 1));
        prev + k as f64 + f64::from(d)
    }

    /// Extrapolated marks after the newest one: each spacing grows by the
    /// measured trend (a vibrato changes the period by up to a percent per
    /// cycle at low pitch, so a constant spacing would land grains several
    /// samples off). Calls `f(mark)` for the newest mark and each
    /// extrapolated one until it returns `false`.
    fn ahead(&self, last: Mark, mut f: impl FnMut(Mark) -> bool) {
        let mut m = last;
        // The newest mark's period already holds the next spacing; each
        // further one grows by the trend, itself growing by the curvature.
        let mut step = self.trend + 2.0 * self.curve;
        for _ in 0..64 {
            if !f(m) {
                return;
            }
            let pos = m.pos + m.period;
            m = Mark {
                pos,
                period: (m.period + step).max(2.0),
            };
            step += self.curve;
        }
    }

    /// The mark nearest to `pos`: a placed one, or beyond the newest one an
    /// extrapolation. `None` when inactive.
    pub fn nearest(&self, pos: f64) -> Option<Mark> {
        let last = self.last()?;
        if pos >= last.pos {
            let mut best = last;
            self.ahead(last, |m| {
                if (m.pos - pos).abs() <= (best.pos - pos).abs() {
                    best = m;
                }
                m.pos < pos
            });
            return Some(best);
        }
        // Newest first: the callers ask about recent positions.
        let mut best = last;
        for k in (0..self.len - 1).rev() {
            let m = self.get(k);
            if (m.pos - pos).abs() < (best.pos - pos).abs() {
                best = m;
            } else if m.pos < pos {
                break;
            }
        }
        Some(best)
    }

    /// The latest mark at or before `pos` (the oldest kept one if all are
    /// after it); `None` when inactive.
    pub fn at_or_before(&self, pos: f64) -> Option<Mark> {
        let last = self.last()?;
        if pos >= last.pos {
            let mut best = last;
            self.ahead(last, |m| {
                if m.pos <= pos {
                    best = m;
                }
                m.pos <= pos
            });
            return Some(best);
        }
        for k in (0..self.len - 1).rev() {
            let m = self.get(k);
            if m.pos <= pos {
                return Some(m);
            }
        }
        Some(self.get(0))
    }
}

/// One grain: where it sits in the output, where it is read in the input,
/// and its window.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Grain {
    /// Output (synthesis) mark, on the output time line.
    s: f64,
    /// Input (analysis) position the grain is read at.
    a: f64,
    /// The lattice mark it was chosen from (`a` less the offset of the
    /// grains from the lattice), possibly an extrapolated one.
    c: f64,
    /// Analysis period after `a`, samples.
    period: f64,
    /// Read speed (formant ratio).
    beta: f64,
    /// Fade-in length ending at `s`, output samples.
    rise: f64,
    /// Output samples after `s` at which the grain has faded out.
    end: f64,
    /// Fade-out length ending at `end`, output samples.
    fade: f64,
    /// `1 / rise` and `1 / fade`.
    inv_rise: f64,
    inv_fade: f64,
}

/// Complementary cubic fade: 1 at `u = 0`, 0 at `u ≥ 1`, zero slope at both
/// ends; `ramp(u) + ramp(1 − u) = 1`.
#[inline(always)]
fn ramp(u: f64) -> f64 {
    if u >= 1.0 {
        0.0
    } else {
        let u = u.max(0.0);
        1.0 - u * u * (3.0 - 2.0 * u)
    }
}

/// The grain synthesiser; see the [module documentation](self).
///
/// The output time line is the input's delayed by the caller's latency: at
/// output time `m` the input has arrived up to `m + latency`.
#[derive(Clone, Debug, Default)]
pub struct Psola {
    active: bool,
    prev: Grain,
    next: Grain,
}

/// What a grain's reads need to stay within the arrived input: the latency
/// in samples and the formant ratio.
#[derive(Clone, Copy, Debug)]
pub struct Reach {
    /// Output delay behind the input, samples.
    pub latency: f64,
    /// Formant ratio (grain read speed), 0.5..=2.
    pub beta: f64,
}

impl Psola {
    /// An inactive synthesiser.
    pub fn new() -> Self {
        Self::default()
    }

    /// `true` while grains are being placed.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Stops synthesis (the next [`start`](Self::start) begins afresh).
    pub fn stop(&mut self) {
        self.active = false;
    }

    /// Output mark of the grain fading in: [`advance`](Self::advance) must
    /// be called before output time reaches it.
    #[inline]
    pub fn next_mark(&self) -> f64 {
        self.next.s
    }

    /// Analysis period of the grain that will fade out after the next
    /// [`advance`](Self::advance) (the one the next output period is
    /// measured from), samples: the spacing from its mark to the following
    /// one, as far as `marks` has placed it.
    pub fn current_period(&self, marks: &PitchMarks) -> f64 {
        let g = if self.next.s.is_finite() {
            &self.next
        } else {
            &self.prev
        };
        Self::refound(marks, g).1
    }

    /// The lattice mark a grain was chosen from, as placed now: an
    /// extrapolated mark is placed later a little off its extrapolation.
    /// Returns its position and period.
    fn refound(marks: &PitchMarks, g: &Grain) -> (f64, f64) {
        match marks.nearest(g.c) {
            Some(m) if (m.pos - g.c).abs() < 0.25 * g.period => (m.pos, m.period),
            _ => (g.c, g.period),
        }
    }

    /// Starts at output time `m` on the mark at or before it: that grain
    /// is the input itself (output mark = input mark), so the output
    /// continues the unprocessed signal without a jump. Returns `false`
    /// when `marks` is inactive.
    pub fn start(&mut self, marks: &PitchMarks, m: f64) -> bool {
        let Some(mark) = marks.at_or_before(m) else {
            return false;
        };
        let r = CROSSFADE_SHARE * mark.period;
        self.prev = Grain {
            s: mark.pos,
            a: mark.pos,
            c: mark.pos,
            period: mark.period,
            beta: 1.0,
            rise: r,
            end: mark.period,
            fade: r,
            inv_rise: 1.0 / r,
            inv_fade: 1.0 / r,
        };
        // Not yet placed: `advance` places it before the first output.
        self.next = Grain {
            s: f64::NEG_INFINITY,
            ..self.prev
        };
        self.active = true;
        true
    }

    /// Places the next grain `period_out` output samples (> 1) after the
    /// current one, read at the input mark nearest to its output position
    /// (moved back by whole periods if the grain would read input that has
    /// not arrived). `reach.beta` is the formant ratio from this grain on.
    pub fn advance(&mut self, marks: &PitchMarks, period_out: f64, reach: Reach) {
        if self.next.s.is_finite() {
            self.prev = self.next;
        }
        // Grains are read at the lattice's marks plus an offset: when a
        // grain was taken at an extrapolated mark and the lattice later
        // placed that mark a little elsewhere, the next grain is read one
        // measured period after where this one really was (not after where
        // the lattice now has it), so consecutive grains stay in step with
        // each other (otherwise the output period would jump by the
        // extrapolation's error, and an unshifted output would differ from
        // its input). The offset is bled away slowly so that grains stay on
        // the lattice's quiet points over long notes.
        let (c_now, period) = Self::refound(marks, &self.prev);
        self.prev.period = period;
        let mut offset = self.prev.a - c_now;
        offset -= (OFFSET_BLEED * offset).clamp(-OFFSET_STEP, OFFSET_STEP);
        let beta = reach.beta.clamp(0.5, 2.0);
        let span = period_out.max(2.0);
        let s = self.prev.s + span;
        let mut mark = marks.nearest(s - offset).unwrap_or(Mark {
            pos: s - offset,
            period: self.prev.period,
        });
        // One input cycle lasts `period / beta` output samples at this
        // grain's read speed; the grain plays at most that long.
        let prev_len = self.prev.period / self.prev.beta;
        let cycle = |m: &Mark| m.period / beta;
        // The crossfade: a share of the shortest of the spacing and the two
        // cycles, and short enough for the reads before `s` (`a − r·β ..
        // a`) to have arrived even when the grain's mark is half a long
        // period ahead.
        let xfade = |m: &Mark| {
            let room = reach.latency - 3.0 - 0.5 * m.period;
            (CROSSFADE_SHARE * span.min(prev_len).min(cycle(m)))
                .min(room.max(8.0))
                .max(1.0)
        };
        // The grain reads up to `a + end·β` at output time `s + end` and
        // from `a − r·β` at `s − r`, with two samples of lookahead for the
        // interpolation.
        for _ in 0..4 {
            let late = (cycle(&mark) * (beta - 1.0)).max(xfade(&mark));
            if mark.pos + offset - s <= reach.latency - 3.0 - late {
                break;
            }
            mark = marks.nearest(mark.pos - mark.period).unwrap_or(mark);
        }
        let r = xfade(&mark);
        self.prev.end = span.min(prev_len);
        self.prev.fade = r.min(self.prev.end);
        self.prev.inv_fade = 1.0 / self.prev.fade;
        self.next = Grain {
            s,
            a: mark.pos + offset,
            c: mark.pos,
            period: mark.period,
            beta,
            rise: r,
            end: cycle(&mark),
            fade: r,
            inv_rise: 1.0 / r,
            inv_fade: 1.0 / r,
        };
    }

    /// Output at time `m` (after [`advance`](Self::advance) has moved the
    /// next mark past `m`): the two grains' read positions and window
    /// weights `(pos_fading_out, w_out, pos_fading_in, w_in)`.
    #[inline(always)]
    pub fn taps(&self, m: f64) -> (f64, f64, f64, f64) {
        let p = &self.prev;
        let n = &self.next;
        let d1 = m - p.s;
        let d2 = n.s - m;
        let w1 = ramp((d1 - (p.end - p.fade)) * p.inv_fade);
        let w2 = ramp(d2 * n.inv_rise);
        (p.a + d1 * p.beta, w1, n.a - d2 * n.beta, w2)
    }

    /// One output sample of `line` at output time `m`.
    #[inline]
    pub fn sample(&self, line: &DelayLine, newest: u64, m: f64) -> f32 {
        let (p1, w1, p2, w2) = self.taps(m);
        let mut y = 0.0;
        if w1 > 0.0 {
            y += w1 as f32 * read_at(line, newest, p1);
        }
        if w2 > 0.0 {
            y += w2 as f32 * read_at(line, newest, p2);
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A train of decaying 1 kHz bursts every `period` samples (fractional),
    /// a crude voice.
    fn pulses(len: usize, period: f64) -> Vec<f32> {
        let mut x = vec![0.0f32; len];
        let mut t0 = 10.0;
        while t0 < len as f64 {
            for (i, v) in x.iter_mut().enumerate() {
                let t = i as f64 - t0;
                if (0.0..600.0).contains(&t) {
                    *v += ((t * 0.13).sin() * (-t / 60.0).exp()) as f32 * 0.5;
                }
            }
            t0 += period;
        }
        x
    }

    struct Rig {
        line: DelayLine,
        marks: PitchMarks,
        psola: Psola,
    }

    /// Runs PSOLA over `x` with the true period and output period `period /
    /// ratio`, latency `lat`; returns the output (aligned to the output
    /// time line, i.e. delayed by `lat`).
    fn render(x: &[f32], period: f64, ratio: f64, lat: usize) -> (Vec<f32>, Rig) {
        let mut rig = Rig {
            line: DelayLine::new(),
            marks: PitchMarks::new(),
            psola: Psola::new(),
        };
        rig.line.prepare(8192);
        rig.marks.prepare(1000);
        let mut out = vec![0.0f32; x.len()];
        for (n, &v) in x.iter().enumerate() {
            rig.line.push(v);
            let newest = n as u64;
            if n == 2000 {
                rig.marks
                    .start(&rig.line, newest, (n - lat) as f64 - period, period);
            }
            if rig.marks.is_active() {
                rig.marks.set_period(period);
                rig.marks.extend(&rig.line, newest);
            }
            if n < lat {
                continue;
            }
            let m = (n - lat) as f64;
            if n == 2000 {
                assert!(rig.psola.start(&rig.marks, m));
            }
            if rig.psola.is_active() {
                while m >= rig.psola.next_mark() {
                    let t = rig.psola.current_period(&rig.marks) / ratio;
                    rig.psola.advance(
                        &rig.marks,
                        t,
                        Reach {
                            latency: lat as f64,
                            beta: 1.0,
                        },
                    );
                }
                out[n] = rig.psola.sample(&rig.line, newest, m);
            } else {
                out[n] = rig.line.read(lat);
            }
        }
        (out, rig)
    }

    #[test]
    fn unit_ratio_reproduces_the_input_delayed() {
        for period in [100.0, 173.37, 480.5] {
            let x = pulses(20_000, period);
            let lat = 480;
            let (y, _) = render(&x, period, 1.0, lat);
            let worst = (3000..20_000)
                .map(|n| (y[n] - x[n - lat]).abs())
                .fold(0.0f32, f32::max);
            // Long periods read grains at marks extrapolated ahead of the
            // input; the grains stay one measured period apart, but the
            // slow return of their offset to the lattice moves them by up
            // to 0.01 sample per grain: 8.2e-4 at a 480.5-sample period
            // (−56 dB re the 0.5 peak), allowed 2e-3 (−48 dB).
            let tol = if period < 320.0 { 1e-5 } else { 2e-3 };
            assert!(worst < tol, "period {period}: {worst}");
        }
    }

    /// Period of `y` over `range` by zero crossings of its 1 kHz carrier
    /// envelope: the mean spacing of the bursts' onsets, found as the
    /// positions where the grain energy peaks. Uses autocorrelation with
    /// parabolic interpolation over the whole range (independent of the
    /// marks).
    fn measured_period(y: &[f32], lo: usize, hi: usize, guess: f64) -> f64 {
        let seg = &y[lo..hi];
        let r = |tau: usize| -> f64 {
            seg[..seg.len() - tau]
                .iter()
                .zip(&seg[tau..])
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum()
        };
        let g = guess.round() as usize;
        let (mut bt, mut bv) = (g, f64::MIN);
        for tau in g - 5..=g + 5 {
            let v = r(tau);
            if v > bv {
                bv = v;
                bt = tau;
            }
        }
        let (a, b, c) = (r(bt - 1), bv, r(bt + 1));
        bt as f64 + 0.5 * (a - c) / (a - 2.0 * b + c)
    }

    #[test]
    fn output_period_is_the_requested_one() {
        for (period, ratio) in [
            (200.0, 1.0 / 0.98),
            (200.0, 0.97),
            (137.3, 1.5),
            (300.0, 0.75),
        ] {
            let x = pulses(40_000, period);
            let (y, _) = render(&x, period, ratio, 480);
            let want = period / ratio;
            let got = measured_period(&y, 10_000, 38_000, want);
            assert!(
                (got / want - 1.0).abs() < 2e-4,
                "period {period} ratio {ratio}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn marks_follow_the_waveform_despite_a_biased_period() {
        // The lattice is told a period 0.3 % too long; matching cycles keeps
        // the mark spacing at the true period.
        let period = 160.0;
        let x = pulses(40_000, period);
        let mut line = DelayLine::new();
        line.prepare(8192);
        let mut marks = PitchMarks::new();
        marks.prepare(1000);
        let mut positions = Vec::new();
        for (n, &v) in x.iter().enumerate() {
            line.push(v);
            if n == 1000 {
                marks.start(&line, n as u64, 700.0, period * 1.003);
            }
            if marks.is_active() {
                marks.extend(&line, n as u64);
                if let Some(m) = marks.last() {
                    if positions.last() != Some(&m.pos) {
                        positions.push(m.pos);
                    }
                }
            }
        }
        let k = positions.len();
        assert!(k > 200);
        let mean = (positions[k - 1] - positions[k / 2]) / (k - 1 - k / 2) as f64;
        assert!((mean - period).abs() < 0.01, "mean spacing {mean}");
    }

    #[test]
    fn ramps_are_complementary() {
        for i in 0..=100 {
            let u = i as f64 / 100.0;
            assert!((ramp(u) + ramp(1.0 - u) - 1.0).abs() < 1e-15);
        }
        assert_eq!(ramp(0.0), 1.0);
        assert_eq!(ramp(1.0), 0.0);
        assert_eq!(ramp(7.0), 0.0);
    }
}
