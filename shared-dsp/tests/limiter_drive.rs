//! The ceiling under heavy drive: synthetic programme pushed 18 to 36 dB
//! into the limiter at every ceiling, rate and timing extreme, its output
//! read by meters that share no code with the kernel.
//!
//! What the limiter promises (true-peak mode), and how it is checked here:
//!
//! - A BS.1770-4 meter never reads the output over the ceiling, not by
//!   +0.00 dB: neither one built on the standard's own example
//!   interpolation filter (Annex 2, `annex2_peak` below) nor glass-dsp's
//!   `TruePeakMeter` (the plugin's loudness panel, `glass loudness`).
//! - The waveform between the samples, as a long band-limited interpolator
//!   reconstructs it (`reference_peak`: 16x, 256-tap Kaiser-windowed sinc,
//!   flat to 0.48 fs, every crest refined), exceeds the ceiling by at most
//!   `REFERENCE_TOLERANCE_DB` (+0.02 dB, the tolerance `limiter_ceiling.rs`
//!   holds its own 16x reference to). The limiter's design target is the
//!   BS.1770 figure plus this: it keeps 0.02 dB of headroom
//!   (`TRUE_PEAK_MARGIN_DB`) for what it cannot see, and the reference
//!   read at least 0.01 dB under the ceiling on every case here (and on
//!   6300 more with other seeds, drives and ceilings). Why any
//!   tolerance at all: the last few hundred hertz below Nyquist cannot be
//!   interpolated by a filter short enough to run inside the lookahead, so
//!   the detector bounds that band by its envelope rather than measuring it,
//!   a bound that is close but not rigorous for components within about
//!   0.02 fs of Nyquist; and the gain moves between samples, which moves
//!   inter-sample peaks by a few thousandths of a dB. The one case found
//!   that exceeds it, a full-scale tone crossing Nyquist under the shortest
//!   lookahead, is `tone_crossing_nyquist_under_the_fastest_attack`.
//!
//! The `ebur128` crate (libebur128's true peak) is read as well and
//! reported with `GLASS_DEBUG` set; it is not asserted against: its
//! 48-tap Hann-windowed interpolator reads tones near 0.33 fs up to
//! 0.11 dB above their true amplitude (`meters_disagree_by_their_filters`
//! below shows it), so a signal exactly at the ceiling can read over on it
//! by design of that meter. (On this file's cases it happens to stay under,
//! because the limiter holds the Annex 2 filter's excess, which covers the
//! same tones, for a second; at 96 kHz, where libebur128 interpolates 2x
//! with another filter, other seeds of the sine glides read up to +0.07 dB
//! on it.)

use glass_dsp::limiter::{Limiter, LimiterParams};
use glass_dsp::true_peak::TruePeakMeter;
use std::f64::consts::PI;

/// How far the 16x reference may read above the ceiling (see the module
/// documentation for why it is not zero).
const REFERENCE_TOLERANCE_DB: f64 = 0.02;

/// xorshift64: deterministic, seeded noise in −1..1.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
    /// Uniform in 0..1.
    fn unit(&mut self) -> f64 {
        0.5 * (self.next() + 1.0)
    }
}

fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

// ---------------------------------------------------------------- meters --

/// Kaiser window value at r ∈ [−1, 1].
fn kaiser(r: f64, beta: f64) -> f64 {
    let i0 = |v: f64| {
        let (mut s, mut t) = (1.0f64, 1.0f64);
        for k in 1..80 {
            t *= (v / 2.0 / k as f64).powi(2);
            s += t;
        }
        s
    };
    if r.abs() >= 1.0 {
        0.0
    } else {
        i0(beta * (1.0 - r * r).sqrt()) / i0(beta)
    }
}

fn sinc(t: f64) -> f64 {
    if t.abs() < 1e-12 {
        1.0
    } else {
        (PI * t).sin() / (PI * t)
    }
}

/// Polyphase kernels of a windowed-sinc interpolator: `kernels[p][j]` is the
/// weight of `x[i + j − half + 1]` for the value at time `i + p / os`.
fn sinc_kernels(os: usize, half: usize, window: impl Fn(f64) -> f64) -> Vec<Vec<f32>> {
    (0..os)
        .map(|p| {
            let frac = p as f64 / os as f64;
            (0..2 * half)
                .map(|j| {
                    let t = (j as f64 - half as f64 + 1.0) - frac;
                    (sinc(t) * window(t / half as f64)) as f32
                })
                .collect()
        })
        .collect()
}

/// Dot product in eight independent lanes (vectorises; f32 is plenty: the
/// rounding error over 256 taps is below 1e-6 relative).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for j in 0..8 {
            acc[j] += x[j] * y[j];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        s += x * y;
    }
    s
}

/// The stream interpolated by `kernels` (oversampled by their count), `x`
/// surrounded by silence.
fn interpolate(x: &[f32], kernels: &[Vec<f32>]) -> Vec<f32> {
    let os = kernels.len();
    let len = kernels[0].len();
    let half = len / 2;
    let mut padded = vec![0.0f32; x.len() + 2 * len];
    padded[len..len + x.len()].copy_from_slice(x);
    let mut y = vec![0.0f32; x.len() * os];
    for i in 0..x.len() {
        // Tap j weighs x[i + j − half + 1] = padded[i + j + len − half + 1].
        let at = i + len - half + 1;
        let window = &padded[at..at + len];
        for (p, k) in kernels.iter().enumerate() {
            y[i * os + p] = dot(window, k);
        }
    }
    y
}

/// Largest magnitude of `y`, each local crest refined by a parabola.
fn refined_max(y: &[f32]) -> f64 {
    let mut peak = 0.0f64;
    for i in 1..y.len().saturating_sub(1) {
        let s = if y[i] < 0.0 { -1.0 } else { 1.0 };
        let (a, b, c) = (y[i - 1] as f64 * s, y[i] as f64 * s, y[i + 1] as f64 * s);
        peak = peak.max(b);
        let curv = a - 2.0 * b + c;
        if b >= a && b >= c && curv < 0.0 {
            peak = peak.max(b - (c - a) * (c - a) / (8.0 * curv));
        }
    }
    peak
}

/// The continuous waveform's peak (linear): 16x with a 256-tap Kaiser
/// (β = 12, about 117 dB) windowed sinc whose −6 dB point is Nyquist, flat
/// to 0.48 fs; each crest of the 16x grid refined by a parabola (at 16x a
/// parabola through three points of a sinusoid misses its crest by less
/// than 0.001 dB up to Nyquist).
fn reference_peak(x: &[f32]) -> f64 {
    thread_local! {
        static K: Vec<Vec<f32>> = sinc_kernels(16, 128, |r| kaiser(r, 12.0));
    }
    K.with(|k| refined_max(&interpolate(x, k)))
}

/// BS.1770-4 Annex 2's example interpolation filter: four phases of twelve
/// taps (the standard's table, phases 0 and 1; phases 3 and 2 are them
/// reversed).
const ANNEX2_PHASE0: [f64; 12] = [
    0.001_708_984_375,
    0.010_986_328_125,
    -0.019_653_320_312_5,
    0.033_203_125,
    -0.059_448_242_187_5,
    0.137_329_101_562_5,
    0.972_167_968_75,
    -0.102_294_921_875,
    0.047_607_421_875,
    -0.026_611_328_125,
    0.014_892_578_125,
    -0.008_300_781_25,
];
const ANNEX2_PHASE1: [f64; 12] = [
    -0.029_174_804_687_5,
    0.029_296_875,
    -0.051_757_812_5,
    0.089_111_328_125,
    -0.166_503_906_25,
    0.465_087_890_625,
    0.779_785_156_25,
    -0.200_317_382_812_5,
    0.101_562_5,
    -0.058_227_539_062_5,
    0.033_081_054_687_5,
    -0.018_920_898_437_5,
];

/// True peak (linear) as a BS.1770-4 meter with the Annex 2 filter reads
/// it: the largest magnitude of the 4x points, unrefined.
fn annex2_peak(x: &[f32]) -> f64 {
    let rev = |p: [f64; 12]| {
        let mut r = p;
        r.reverse();
        r
    };
    let phases = [
        ANNEX2_PHASE0,
        ANNEX2_PHASE1,
        rev(ANNEX2_PHASE1),
        rev(ANNEX2_PHASE0),
    ];
    let mut padded = vec![0.0f32; x.len() + 24];
    padded[11..11 + x.len()].copy_from_slice(x);
    let mut peak = 0.0f64;
    for w in padded.windows(12) {
        // Tap k weighs the sample k steps back: w[11 − k].
        for ph in &phases {
            let v: f64 = ph
                .iter()
                .enumerate()
                .map(|(k, c)| c * w[11 - k] as f64)
                .sum();
            peak = peak.max(v.abs());
        }
    }
    peak
}

/// libebur128's true peak (4x below 96 kHz, 2x from there), via the
/// `ebur128` crate.
fn ebur128_peak(x: &[f32], fs: f32) -> f64 {
    use ebur128::{EbuR128, Mode};
    let Ok(mut m) = EbuR128::new(1, fs as u32, Mode::TRUE_PEAK) else {
        return f64::NAN;
    };
    if m.add_frames_f32(x).is_err() {
        return f64::NAN;
    }
    m.true_peak(0).unwrap_or(f64::NAN)
}

/// glass-dsp's own BS.1770 meter at 4x.
fn glass_peak(x: &[f32]) -> f64 {
    let mut m = TruePeakMeter::new();
    m.prepare_with_factor(4, 1);
    m.process(&[x]);
    m.max_true_peak() as f64
}

// --------------------------------------------------------------- signals --

/// Band-limited oscillator bank: partials as rotating phasors (one complex
/// multiply per partial and sample), every partial below `top` Hz.
struct Additive {
    re: Vec<f64>,
    im: Vec<f64>,
    cr: Vec<f64>,
    ci: Vec<f64>,
    amp: Vec<f64>,
}

impl Additive {
    /// Saw (`square` false: all harmonics, 1/k) or square (odd harmonics,
    /// 1/k) at `f0` with start phase `phase`.
    fn new(f0: f64, phase: f64, square: bool, top: f64, fs: f64) -> Self {
        let mut s = Self {
            re: vec![],
            im: vec![],
            cr: vec![],
            ci: vec![],
            amp: vec![],
        };
        let mut k = 1.0;
        while f0 * k < top {
            if !square || (k as u64) % 2 == 1 {
                let w = 2.0 * PI * f0 * k / fs;
                s.re.push((phase * k).cos());
                s.im.push((phase * k).sin());
                s.cr.push(w.cos());
                s.ci.push(w.sin());
                s.amp.push(2.0 / (PI * k));
            }
            k += 1.0;
        }
        s
    }

    fn next(&mut self) -> f64 {
        let mut y = 0.0;
        for j in 0..self.re.len() {
            y += self.amp[j] * self.im[j];
            let (r, i) = (self.re[j], self.im[j]);
            self.re[j] = r * self.cr[j] - i * self.ci[j];
            self.im[j] = r * self.ci[j] + i * self.cr[j];
        }
        y
    }
}

fn midi_hz(note: f64) -> f64 {
    440.0 * 2f64.powf((note - 69.0) / 12.0)
}

/// A drum-ish voice struck at sample 0: kick (falling sine with a click),
/// snare (tone plus noise) or hat (differentiated noise); instantaneous
/// attacks, as sample-based drums have.
fn drum(kind: u32, i: usize, fs: f64, rng: &mut Rng) -> f64 {
    let t = i as f64 / fs;
    match kind {
        0 => {
            // Pitch falling from 185 to 45 Hz; the phase is its integral.
            let ph = 2.0 * PI * (45.0 * t + 140.0 * (1.0 - (-t * 35.0).exp()) / 35.0);
            ph.sin() * (-t * 7.0).exp() + 0.3 * rng.next() * (-t * 400.0).exp()
        }
        1 => {
            0.5 * (2.0 * PI * 190.0 * t).sin() * (-t * 25.0).exp()
                + 0.6 * rng.next() * (-t * 18.0).exp()
        }
        _ => 0.35 * rng.next() * (-t * 60.0).exp(),
    }
}

/// Named stereo test signal of `secs` at `fs`, from `seed`.
struct Signal {
    name: &'static str,
    l: Vec<f32>,
    r: Vec<f32>,
}

/// Dense chords of detuned band-limited saws, re-struck with 1 ms attacks.
fn chords(fs: f64, secs: f64, seed: u64) -> Signal {
    let n = (fs * secs) as usize;
    let mut rng = Rng::new(seed);
    let top = 20_000.0f64.min(0.45 * fs);
    let (mut l, mut r) = (vec![0.0f32; n], vec![0.0f32; n]);
    let chord_len = (0.18 * fs) as usize;
    let mut start = 0;
    while start < n {
        let root = 40.0 + (rng.unit() * 24.0).floor();
        let notes = [0.0, 4.0, 7.0, 11.0, 14.0, 19.0];
        let mut voices: Vec<(Additive, Additive)> = notes
            .iter()
            .map(|&k| {
                let f = midi_hz(root + k);
                let d = 1.0 + 0.004 * rng.next();
                (
                    Additive::new(f * d, rng.unit() * 2.0 * PI, false, top, fs),
                    Additive::new(f / d, rng.unit() * 2.0 * PI, false, top, fs),
                )
            })
            .collect();
        let end = (start + chord_len).min(n);
        let attack = (0.001 * fs) as usize;
        for i in start..end {
            let k = i - start;
            let env = (k as f64 / attack as f64).min(1.0) * (-(k as f64) / fs * 3.0).exp();
            let (mut a, mut b) = (0.0, 0.0);
            for (v1, v2) in &mut voices {
                let (x1, x2) = (v1.next(), v2.next());
                a += 0.8 * x1 + 0.2 * x2;
                b += 0.2 * x1 + 0.8 * x2;
            }
            l[i] = (0.18 * env * a) as f32;
            r[i] = (0.18 * env * b) as f32;
        }
        start = end;
    }
    Signal {
        name: "saw chords",
        l,
        r,
    }
}

/// A drum pattern: kicks, snares and hats with instantaneous attacks.
fn drums(fs: f64, secs: f64, seed: u64) -> Signal {
    let n = (fs * secs) as usize;
    let mut rng = Rng::new(seed);
    let (mut l, mut r) = (vec![0.0f32; n], vec![0.0f32; n]);
    let step = (0.125 * fs) as usize;
    for (s, start) in (0..n).step_by(step).enumerate() {
        let kind = match s % 4 {
            0 => 0,
            2 => 1,
            _ => 2,
        };
        let pan = 0.5 + 0.3 * rng.next();
        let gain = 0.7 + 0.3 * rng.unit();
        let len = (0.4 * fs) as usize;
        for k in 0..len.min(n - start) {
            let v = gain * drum(kind, k, fs, &mut rng);
            l[start + k] += (v * (1.0 - pan) * 1.4) as f32;
            r[start + k] += (v * pan * 1.4) as f32;
        }
    }
    Signal {
        name: "drums",
        l,
        r,
    }
}

/// Full-scale white noise bursts of random length and spacing.
fn noise_bursts(fs: f64, secs: f64, seed: u64) -> Signal {
    let n = (fs * secs) as usize;
    let mut rng = Rng::new(seed);
    let (mut l, mut r) = (vec![0.0f32; n], vec![0.0f32; n]);
    let mut i = 0;
    while i < n {
        let on = ((0.01 + 0.08 * rng.unit()) * fs) as usize;
        for k in i..(i + on).min(n) {
            l[k] = rng.next() as f32;
            r[k] = rng.next() as f32;
        }
        i += on + ((0.02 + 0.1 * rng.unit()) * fs) as usize;
    }
    Signal {
        name: "noise bursts",
        l,
        r,
    }
}

/// Naive (aliased, full-band) square waves just off Nyquist/4.
fn squares(fs: f64, secs: f64, seed: u64) -> Signal {
    let n = (fs * secs) as usize;
    let mut rng = Rng::new(seed);
    let f1 = fs / 8.0 * (1.0 + 0.01 * rng.next());
    let f2 = fs / 8.0 * (1.0 + 0.01 * rng.next());
    let sq = |f: f64, i: usize| {
        if (f * i as f64 / fs).fract() < 0.5 {
            1.0f32
        } else {
            -1.0
        }
    };
    Signal {
        name: "squares near fs/8",
        l: (0..n).map(|i| sq(f1, i)).collect(),
        r: (0..n).map(|i| sq(f2, i)).collect(),
    }
}

/// Full-scale sine at fs/4 with 45° phase: samples at −3 dBFS, crests at
/// 0 dBFS between them.
fn quarter_sine(fs: f64, secs: f64, _seed: u64) -> Signal {
    let n = (fs * secs) as usize;
    let s: Vec<f32> = (0..n)
        .map(|i| (0.5 * PI * i as f64 + 0.25 * PI).sin() as f32)
        .collect();
    Signal {
        name: "fs/4 sine at 45 degrees",
        l: s.clone(),
        r: s.iter().map(|v| -v).collect(),
    }
}

/// Synthetic music: detuned saw and square notes (naive oscillators, as a
/// cheap synth has), low thumps and noise bursts.
fn music(fs: f64, secs: f64, seed: u64) -> Signal {
    let n = (fs * secs) as usize;
    let mut rng = Rng::new(seed);
    let (mut l, mut r) = (vec![0.0f32; n], vec![0.0f32; n]);
    // Notes.
    let note_len = (0.15 * fs) as usize;
    let mut start = 0;
    while start < n {
        for _ in 0..4 {
            let f = midi_hz(36.0 + (rng.unit() * 40.0).floor());
            let det = 1.0 + 0.006 * rng.next();
            let square = rng.unit() < 0.4;
            let ph = rng.unit();
            let pan = 0.5 + 0.4 * rng.next();
            for k in 0..note_len.min(n - start) {
                let t = k as f64 / fs;
                let osc = |ff: f64| {
                    let p = (ff * t + ph).fract();
                    if square {
                        if p < 0.5 {
                            1.0
                        } else {
                            -1.0
                        }
                    } else {
                        2.0 * p - 1.0
                    }
                };
                let env = (-(k as f64) / fs * 4.0).exp();
                let v = 0.22 * env * (osc(f * det) + osc(f / det));
                l[start + k] += (v * (1.0 - pan)) as f32;
                r[start + k] += (v * pan) as f32;
            }
        }
        start += note_len;
    }
    // Thumps every 0.25 s and bursts at random.
    let beat = (0.25 * fs) as usize;
    for b in (0..n).step_by(beat) {
        for k in 0..((0.2 * fs) as usize).min(n - b) {
            let t = k as f64 / fs;
            let v =
                (2.0 * PI * (50.0 * t + 2.0 * (1.0 - (-t * 40.0).exp()))).sin() * (-t * 12.0).exp();
            l[b + k] += v as f32;
            r[b + k] += v as f32;
        }
        if rng.unit() < 0.5 {
            let at = b + (rng.unit() * beat as f64) as usize;
            for k in at..(at + (0.02 * fs) as usize).min(n) {
                let v = 0.6 * rng.next();
                l[k] += v as f32;
                r[k] -= v as f32;
            }
        }
    }
    Signal {
        name: "synthetic music",
        l,
        r,
    }
}

/// Sine glides through the whole band (up on the left, down on the
/// right) to 0.445..0.48 fs: every frequency at every crest position, where
/// each meter's filter shows its own ripple. (A glide through Nyquist is a
/// case of its own, `tone_crossing_nyquist_under_the_fastest_attack`.)
fn glides(fs: f64, secs: f64, seed: u64) -> Signal {
    let n = (fs * secs) as usize;
    let top = 0.44 + 0.005 * seed as f64;
    let l = glide(30.0 / fs, top, n);
    let mut r = glide(40.0 / fs, top, n);
    r.reverse();
    Signal {
        name: "sine glides",
        l,
        r,
    }
}

type Generator = fn(f64, f64, u64) -> Signal;

const GENERATORS: [Generator; 7] = [
    music,
    chords,
    drums,
    noise_bursts,
    squares,
    quarter_sine,
    glides,
];

// ---------------------------------------------------------------- runner --

fn process(lim: &mut Limiter, l: &mut [f32], r: &mut [f32], block: usize) {
    let mut s = 0;
    while s < l.len() {
        let e = (s + block).min(l.len());
        lim.process(&mut [&mut l[s..e], &mut r[s..e]]);
        s = e;
    }
}

/// Readings of one output (worse channel), dB above the ceiling.
#[derive(Clone, Copy, Debug)]
struct Over {
    reference: f64,
    annex2: f64,
    glass: f64,
    ebur128: f64,
}

impl Over {
    fn max(self, o: Self) -> Self {
        Self {
            reference: self.reference.max(o.reference),
            annex2: self.annex2.max(o.annex2),
            glass: self.glass.max(o.glass),
            ebur128: self.ebur128.max(o.ebur128),
        }
    }
    fn floor() -> Self {
        Self {
            reference: f64::NEG_INFINITY,
            annex2: f64::NEG_INFINITY,
            glass: f64::NEG_INFINITY,
            ebur128: f64::NEG_INFINITY,
        }
    }
    fn holds(&self) -> bool {
        self.annex2 <= 0.0 && self.glass <= 0.0 && self.reference <= REFERENCE_TOLERANCE_DB
    }
}

/// Limits `sig` (followed by 0.1 s of silence, so the output's end is
/// measured as it really ends) and reads both channels.
fn measure(sig: &Signal, fs: f32, p: &LimiterParams, block: usize) -> Over {
    let tail = fs as usize / 10;
    let mut l = sig.l.clone();
    let mut r = sig.r.clone();
    l.resize(l.len() + tail, 0.0);
    r.resize(r.len() + tail, 0.0);
    let mut lim = Limiter::new();
    lim.set_params(p);
    lim.prepare(fs, 4096, 2);
    process(&mut lim, &mut l, &mut r, block);
    let c = p.ceiling_db as f64;
    let mut over = Over::floor();
    for y in [&l, &r] {
        assert!(y.iter().all(|v| v.is_finite()));
        over = over.max(Over {
            reference: db(reference_peak(y)) - c,
            annex2: db(annex2_peak(y)) - c,
            glass: db(glass_peak(y)) - c,
            ebur128: db(ebur128_peak(y, fs)) - c,
        });
    }
    over
}

/// Lookahead/release settings: the default and the extremes.
fn settings() -> [(&'static str, LimiterParams); 5] {
    let d = LimiterParams::default();
    [
        ("default", d),
        (
            "0.5 ms lookahead, 5 ms release",
            LimiterParams {
                lookahead_ms: 0.5,
                release_ms: 5.0,
                auto_release: false,
                ..d
            },
        ),
        (
            "0.5 ms lookahead, auto 5 ms release",
            LimiterParams {
                lookahead_ms: 0.5,
                release_ms: 5.0,
                ..d
            },
        ),
        (
            "10 ms lookahead, 2 s release",
            LimiterParams {
                lookahead_ms: 10.0,
                release_ms: 2000.0,
                auto_release: false,
                ..d
            },
        ),
        (
            "10 ms lookahead, 5 ms release",
            LimiterParams {
                lookahead_ms: 10.0,
                release_ms: 5.0,
                auto_release: false,
                ..d
            },
        ),
    ]
}

/// Runs every combination, then fails listing every case that broke a
/// promise (`GLASS_DEBUG` prints every case).
fn check(
    fs: f32,
    seeds: &[u64],
    setting_indices: &[usize],
    gains: &[f32],
    ceilings: &[f32],
    secs: f64,
) {
    let debug = std::env::var_os("GLASS_DEBUG").is_some();
    let all = settings();
    let mut failures = Vec::new();
    let mut worst = Over::floor();
    let mut case = 0usize;
    for g in GENERATORS {
        for &seed in seeds {
            let sig = g(fs as f64, secs, seed);
            for &si in setting_indices {
                let (sname, base) = all[si];
                for &gain in gains {
                    for &ceiling in ceilings {
                        let p = LimiterParams {
                            input_gain_db: gain,
                            ceiling_db: ceiling,
                            ..base
                        };
                        // Vary the host's block size from case to case.
                        let block = [512, 64, 4096, 333, 1][case % 5];
                        case += 1;
                        let o = measure(&sig, fs, &p, block);
                        worst = worst.max(o);
                        let line = format!(
                            "{fs} Hz, {} (seed {seed}), {sname}, +{gain} dB into {ceiling} dBTP, \
                             block {block}: reference {:+.4}, Annex 2 {:+.4}, glass {:+.4}, \
                             ebur128 {:+.4} dB over",
                            sig.name, o.reference, o.annex2, o.glass, o.ebur128
                        );
                        if debug {
                            eprintln!("{line}");
                        }
                        if !o.holds() {
                            failures.push(line);
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "{fs} Hz, worst over the ceiling: reference {:+.4} dB, Annex 2 {:+.4} dB, \
         glass {:+.4} dB (ebur128 {:+.4} dB)",
        worst.reference, worst.annex2, worst.glass, worst.ebur128
    );
    assert!(
        failures.is_empty(),
        "{} of {case} cases over the ceiling:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ceiling_holds_under_drive_at_48k() {
    // Every signal, drive and ceiling at the default timing, two seeds.
    check(
        48_000.0,
        &[1, 2],
        &[0],
        &[18.0, 24.0, 30.0, 36.0],
        &[0.0, -1.0, -3.0],
        1.0,
    );
}

#[test]
fn ceiling_holds_under_drive_at_48k_with_extreme_timing() {
    check(
        48_000.0,
        &[1, 2],
        &[1, 2, 3, 4],
        &[18.0, 27.0, 36.0],
        &[-1.0],
        1.0,
    );
}

#[test]
fn ceiling_holds_under_drive_at_44k1() {
    check(
        44_100.0,
        &[1, 2],
        &[0, 1, 2],
        &[18.0, 24.0, 30.0, 36.0],
        &[0.0, -1.0],
        1.0,
    );
}

#[test]
fn ceiling_holds_under_drive_at_96k() {
    check(
        96_000.0,
        &[1],
        &[0, 1, 3],
        &[18.0, 30.0, 36.0],
        &[0.0, -3.0],
        0.5,
    );
}

#[test]
fn reported_case_synthetic_music_at_27_and_30_db() {
    // The report: +27 dB of gain into −1 dBTP read up to 0.11 dB over on an
    // Annex 2 meter; gain 30, ceiling −1 rendered at −0.99 dBTP.
    for fs in [44_100.0f32, 48_000.0] {
        for seed in 1..=4 {
            let sig = music(fs as f64, 2.0, seed);
            for gain in [27.0f32, 30.0] {
                let p = LimiterParams {
                    input_gain_db: gain,
                    ceiling_db: -1.0,
                    ..LimiterParams::default()
                };
                let o = measure(&sig, fs, &p, 512);
                assert!(o.holds(), "{fs} Hz, seed {seed}, +{gain} dB: {o:?}");
            }
        }
    }
}

/// `secs` of a sine of amplitude 0.5 gliding exponentially from `f0` to
/// `f1` (cycles per sample), faded in and out over 20 ms so its ends add
/// no ringing of their own.
fn glide(f0: f64, f1: f64, n: usize) -> Vec<f32> {
    let k = (f1 / f0).ln() / n as f64;
    let ramp = 960.0;
    (0..n)
        .map(|i| {
            // Phase: the integral of f0·e^(k·i).
            let ph = 2.0 * PI * f0 * ((k * i as f64).exp() - 1.0) / k;
            let e = (i.min(n - 1 - i) as f64 / ramp).min(1.0);
            (0.5 * ph.sin() * (0.5 - 0.5 * (PI * e).cos())) as f32
        })
        .collect()
}

#[test]
fn meters_disagree_by_their_filters() {
    // Slow glides through two bands, so every crest position between the
    // samples occurs: what each meter reads of a tone of amplitude 0.5.
    // The reference and glass-dsp's meter read the amplitude; the Annex 2
    // filter reads tones near fs/4 up to 0.2 dB high, libebur128's
    // Hann-windowed filter tones near fs/3 up to 0.11 dB high. The limiter
    // therefore also reads what an Annex 2 meter would (the standard's
    // filter is the one BS.1770 meters are measured against); libebur128
    // is reported, not asserted, above.
    let rel = |p: f64| db(p / 0.5);
    let quarter = glide(0.24, 0.26, 48_000);
    let third = glide(0.32, 0.345, 48_000);
    let read = |x: &[f32]| {
        (
            rel(reference_peak(x)),
            rel(glass_peak(x)),
            rel(annex2_peak(x)),
            rel(ebur128_peak(x, 48_000.0)),
        )
    };
    let (r4, g4, a4, e4) = read(&quarter);
    let (r3, g3, a3, e3) = read(&third);
    eprintln!(
        "near fs/4: reference {r4:+.4}, glass {g4:+.4}, Annex 2 {a4:+.4}, ebur128 {e4:+.4} dB; \
         near fs/3: reference {r3:+.4}, glass {g3:+.4}, Annex 2 {a3:+.4}, ebur128 {e3:+.4} dB"
    );
    for v in [r4, r3] {
        assert!(v.abs() < 0.002, "{v}");
    }
    for v in [g4, g3] {
        assert!(v.abs() < 0.01, "{v}");
    }
    assert!(a4 > 0.15, "{a4}");
    assert!(e3 > 0.08, "{e3}");
}

#[test]
fn tone_crossing_nyquist_under_the_fastest_attack() {
    // The one case found where the reference reads more than the tolerance
    // over: a full-scale tone gliding through Nyquist (aliasing, as from a
    // naive oscillator) just as it fades in, under the shortest lookahead
    // with a fast release. The gain then falls by 2 dB within 0.5 ms while
    // the signal sits at Nyquist, where any movement of the gain folds
    // part of the tone back; no detector reading of the input sees that.
    // The BS.1770 meters stay under the ceiling; from 1 ms of lookahead the
    // reference does as well.
    let mut worst_short = f64::NEG_INFINITY;
    for fs in [44_100.0f32, 48_000.0] {
        for top in [0.52, 0.525, 0.53, 0.535, 0.54] {
            let n = fs as usize;
            let mut r = glide(40.0 / fs as f64, top, n);
            r.reverse();
            let sig = Signal {
                name: "glide through Nyquist",
                l: r.clone(),
                r,
            };
            for lookahead_ms in [0.5f32, 1.0, 2.0] {
                let p = LimiterParams {
                    input_gain_db: 18.0,
                    lookahead_ms,
                    release_ms: 5.0,
                    auto_release: false,
                    ..LimiterParams::default()
                };
                let o = measure(&sig, fs, &p, 512);
                assert!(o.annex2 <= 0.0 && o.glass <= 0.0, "{fs} Hz, {top}: {o:?}");
                if lookahead_ms < 1.0 {
                    worst_short = worst_short.max(o.reference);
                } else {
                    assert!(
                        o.reference <= REFERENCE_TOLERANCE_DB,
                        "{fs} Hz, {top}, {lookahead_ms} ms: {o:?}"
                    );
                }
            }
        }
    }
    eprintln!("tone crossing Nyquist, 0.5 ms lookahead: reference {worst_short:+.4} dB over");
    assert!(worst_short <= 0.1, "{worst_short}");
}
