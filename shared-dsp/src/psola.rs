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
//! best captures one pulse's response) and then kept in step with the
//! waveform by the phase of its fundamental: each new mark is placed one
//! period after the last and nudged towards the phase the first mark had.
//! Period-estimate errors therefore cannot accumulate into a drift of the
//! marks relative to the waveform, which would otherwise shift the output
//! pitch by the same relative error.
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

/// Marks kept in the lattice (older ones are forgotten).
const MARK_CAPACITY: usize = 64;
/// Share of the measured phase error corrected per mark once aligned.
const PHASE_GAIN: f64 = 0.25;
/// Minimum strength of a cycle's energy centre (|first harmonic of the
/// energy| / energy) to start the lattice on it.
const CENTROID_MIN: f64 = 0.15;
/// Minimum normalised strength of the fundamental to steer marks by its
/// phase.
const FUNDAMENTAL_MIN: f64 = 0.2;

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
#[inline]
pub fn read_at(line: &DelayLine, newest: u64, pos: f64) -> f32 {
    let delay = newest as f64 - pos;
    if delay <= 0.0 {
        return line.read(0);
    }
    let whole = delay.floor();
    line.read_cubic_split(whole as usize, (delay - whole) as f32)
}

/// First harmonic of `f(x)` over one period centred on `pos`:
/// `Σ f(x_i)·e^(−j2π(i − pos)/period)` and `Σ f(x_i)` over `round(period)`
/// samples. Returns (re, im, sum).
fn first_harmonic(
    line: &DelayLine,
    newest: u64,
    pos: f64,
    period: f64,
    f: impl Fn(f32) -> f64,
) -> (f64, f64, f64) {
    let len = period.round().max(2.0) as i64;
    let start = (pos - 0.5 * (len - 1) as f64).round() as i64;
    let step = core::f64::consts::TAU / period;
    let theta0 = step * (start as f64 - pos);
    let (mut c, mut s) = (theta0.cos(), -theta0.sin());
    let (rc, rs) = (step.cos(), -step.sin());
    let (mut re, mut im, mut sum) = (0.0, 0.0, 0.0);
    for i in start..start + len {
        let v = f(at(line, newest, i));
        re += v * c;
        im += v * s;
        sum += v;
        let nc = c * rc - s * rs;
        s = c * rs + s * rc;
        c = nc;
    }
    (re, im, sum)
}

/// Offset (samples) from `pos` to the energy centre of the cycle around it
/// and the centre's strength (0..1).
fn energy_centre(line: &DelayLine, newest: u64, pos: f64, period: f64) -> (f64, f64) {
    let (re, im, sum) = first_harmonic(line, newest, pos, period, |v| f64::from(v) * f64::from(v));
    if sum <= 1e-30 {
        return (0.0, 0.0);
    }
    let strength = re.hypot(im) / sum;
    (-im.atan2(re) * period / core::f64::consts::TAU, strength)
}

/// Phase (rad) of the fundamental over the cycle around `pos` and its
/// normalised strength (1 for a pure sinusoid, 0 without fundamental).
fn fundamental_phase(line: &DelayLine, newest: u64, pos: f64, period: f64) -> (f64, f64) {
    let (re, im, _) = first_harmonic(line, newest, pos, period, f64::from);
    let (_, _, energy) = first_harmonic(line, newest, pos, period, |v| f64::from(v) * f64::from(v));
    if energy <= 1e-30 {
        return (0.0, 0.0);
    }
    let strength = re.hypot(im) / (0.5 * energy * period.round().max(2.0)).sqrt();
    (im.atan2(re), strength.min(1.0))
}

/// Wraps an angle to (−π, π].
#[inline]
fn wrap(a: f64) -> f64 {
    let t = core::f64::consts::TAU;
    a - t * (a / t).round()
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
    /// Phase of the fundamental the marks are held to, once known.
    phase_ref: Option<f64>,
}

impl Default for PitchMarks {
    fn default() -> Self {
        Self::new()
    }
}

impl PitchMarks {
    /// An empty (inactive) lattice.
    pub const fn new() -> Self {
        Self {
            marks: [Mark {
                pos: 0.0,
                period: 0.0,
            }; MARK_CAPACITY],
            head: 0,
            len: 0,
            period: 0.0,
            phase_ref: None,
        }
    }

    /// `true` while the lattice has marks.
    pub fn is_active(&self) -> bool {
        self.len > 0
    }

    /// Forgets every mark.
    pub fn stop(&mut self) {
        self.len = 0;
        self.head = 0;
        self.phase_ref = None;
    }

    /// Starts a lattice with period `period` samples (> 1) on the cycle
    /// around `pos`, moved to that cycle's energy centre when it has one.
    /// `pos + period/2` must not be after `newest`.
    pub fn start(&mut self, line: &DelayLine, newest: u64, pos: f64, period: f64) {
        self.stop();
        let period = period.max(2.0);
        self.period = period;
        let mut p = pos;
        // Two passes: the second measures around the moved position.
        for _ in 0..2 {
            let (off, strength) = energy_centre(line, newest, p, period);
            if strength >= CENTROID_MIN {
                p += off;
            }
        }
        // Never after the requested position: the caller needs a mark at or
        // before it.
        if p > pos {
            p -= period;
        }
        let (phase, strength) = fundamental_phase(line, newest, p, period);
        if strength >= FUNDAMENTAL_MIN {
            self.phase_ref = Some(phase);
        }
        self.push(Mark { pos: p, period });
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

    /// Places new marks while the cycle around the next one has fully
    /// arrived (`next + period/2 ≤ newest`).
    pub fn extend(&mut self, line: &DelayLine, newest: u64) {
        while let Some(last) = self.last() {
            let period = self.period;
            let mut p = last.pos + period;
            if p + 0.5 * period + 1.0 > newest as f64 {
                break;
            }
            if let Some(reference) = self.phase_ref {
                let (phase, strength) = fundamental_phase(line, newest, p, period);
                if strength >= FUNDAMENTAL_MIN {
                    let err = -wrap(phase - reference) * period / core::f64::consts::TAU;
                    let w = ((strength - FUNDAMENTAL_MIN) / FUNDAMENTAL_MIN).min(1.0);
                    p += (PHASE_GAIN * w * err).clamp(-0.125 * period, 0.125 * period);
                }
            } else {
                let (phase, strength) = fundamental_phase(line, newest, p, period);
                if strength >= FUNDAMENTAL_MIN {
                    self.phase_ref = Some(phase);
                }
            }
            let k = self.len - 1;
            let i = (self.head + k) % MARK_CAPACITY;
            self.marks[i].period = p - last.pos;
            self.push(Mark { pos: p, period });
        }
    }

    /// The mark nearest to `pos`: a placed one, or beyond the newest one an
    /// extrapolation one period apart. `None` when inactive.
    pub fn nearest(&self, pos: f64) -> Option<Mark> {
        let last = self.last()?;
        if pos >= last.pos {
            let j = ((pos - last.pos) / last.period).round();
            return Some(Mark {
                pos: last.pos + j * last.period,
                period: last.period,
            });
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
            let j = ((pos - last.pos) / last.period).floor();
            return Some(Mark {
                pos: last.pos + j * last.period,
                period: last.period,
            });
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
    /// Input (analysis) mark.
    a: f64,
    /// Analysis period around `a`, samples.
    period: f64,
    /// Fade-in length before `s`, output samples.
    rise: f64,
    /// Fade-out length after `s`, output samples.
    fall: f64,
}

/// Complementary cubic fade: 1 at `u = 0`, 0 at `u ≥ 1`, zero slope at both
/// ends; `ramp(u) + ramp(1 − u) = 1`.
#[inline]
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
    /// Grain read speed (formant ratio), > 0.
    beta: f64,
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
        Self {
            beta: 1.0,
            ..Self::default()
        }
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
        match marks.nearest(g.a) {
            Some(m) if (m.pos - g.a).abs() < 1e-9 => m.period,
            _ => g.period,
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
        self.prev = Grain {
            s: mark.pos,
            a: mark.pos,
            period: mark.period,
            rise: mark.period,
            fall: mark.period,
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
        if let Some(m) = marks.nearest(self.prev.a) {
            if (m.pos - self.prev.a).abs() < 1e-9 {
                self.prev.period = m.period;
            }
        }
        self.beta = reach.beta.clamp(0.5, 2.0);
        let t = period_out.max(2.0);
        let s = self.prev.s + t;
        let mut mark = marks.nearest(s).unwrap_or(Mark {
            pos: s,
            period: self.prev.period,
        });
        // The grain reads up to `a + h·β` at output time `s + h` (h its
        // half-width, at most one analysis period), and needs two samples of
        // lookahead for interpolation.
        let spread = (self.beta - 1.0).abs() * mark.period;
        for _ in 0..4 {
            if mark.pos - s <= reach.latency - 3.0 - spread {
                break;
            }
            mark = marks.nearest(mark.pos - mark.period).unwrap_or(mark);
        }
        let width = |period: f64| period * (1.0 / self.beta).min(1.0);
        let span = s - self.prev.s;
        self.prev.fall = span.min(width(self.prev.period));
        self.next = Grain {
            s,
            a: mark.pos,
            period: mark.period,
            rise: span.min(width(mark.period)),
            fall: width(mark.period),
        };
    }

    /// Output at time `m` (after [`advance`](Self::advance) has moved the
    /// next mark past `m`): the two grains' read positions and window
    /// weights `(pos_fading_out, w_out, pos_fading_in, w_in)`.
    #[inline]
    pub fn taps(&self, m: f64) -> (f64, f64, f64, f64) {
        let d1 = m - self.prev.s;
        let d2 = self.next.s - m;
        let w1 = ramp(d1 / self.prev.fall);
        let w2 = ramp(d2 / self.next.rise);
        (
            self.prev.a + d1 * self.beta,
            w1,
            self.next.a - d2 * self.beta,
            w2,
        )
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
            assert!(worst < 1e-5, "period {period}: {worst}");
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
        // The lattice is told a period 0.3 % too long; the phase lock keeps
        // the mark spacing at the true period on average.
        let period = 160.0;
        let x = pulses(40_000, period);
        let mut line = DelayLine::new();
        line.prepare(8192);
        let mut marks = PitchMarks::new();
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
