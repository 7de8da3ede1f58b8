//! Synthetic sung voices, for tests, benchmarks and editor pictures: a
//! band-limited glottal pulse train at a known pitch (with detuning and
//! vibrato) through the formant resonators of a vowel. Because pitch and
//! formants are known exactly, a pitch corrector's output can be judged
//! against closed-form expectations.
//!
//! Not used by any plugin's audio path.

use realfft::num_complex::Complex;
use std::f64::consts::{PI, TAU};

/// A vowel: formant frequencies and bandwidths, Hz (Peterson & Barney
/// averages for the first three, typical values above).
#[derive(Clone, Copy, Debug)]
pub struct Vowel {
    /// Name, e.g. "a".
    pub name: &'static str,
    /// Formant centre frequencies and bandwidths, Hz, lowest first.
    pub formants: [(f64, f64); 5],
}

/// The vowel /a/ (as in "father").
pub const A: Vowel = Vowel {
    name: "a",
    formants: [
        (730.0, 80.0),
        (1090.0, 90.0),
        (2440.0, 120.0),
        (3400.0, 150.0),
        (4500.0, 200.0),
    ],
};
/// The vowel /i/ (as in "see").
pub const I: Vowel = Vowel {
    name: "i",
    formants: [
        (270.0, 60.0),
        (2290.0, 100.0),
        (3010.0, 120.0),
        (3500.0, 150.0),
        (4500.0, 200.0),
    ],
};
/// The vowel /u/ (as in "boot").
pub const U: Vowel = Vowel {
    name: "u",
    formants: [
        (300.0, 60.0),
        (870.0, 90.0),
        (2240.0, 100.0),
        (3400.0, 150.0),
        (4500.0, 200.0),
    ],
};
/// The three vowels.
pub const VOWELS: [Vowel; 3] = [A, I, U];

/// One sung note: start and length in seconds, pitch as a MIDI note plus
/// detuning in cents, vibrato rate (Hz) and depth (± cents).
#[derive(Clone, Copy, Debug)]
pub struct Note {
    /// Start, s.
    pub start: f64,
    /// Length, s.
    pub len: f64,
    /// Pitch as a MIDI note (69 = A4 = 440 Hz).
    pub midi: f64,
    /// Detuning from `midi`, cents.
    pub detune_cents: f64,
    /// Vibrato rate, Hz.
    pub vib_hz: f64,
    /// Vibrato depth, ± cents.
    pub vib_cents: f64,
}

impl Note {
    /// Instantaneous pitch at time `t` (s) as a MIDI note.
    pub fn pitch(&self, t: f64) -> f64 {
        let tt = t - self.start;
        self.midi + 0.01 * (self.detune_cents + self.vib_cents * (TAU * self.vib_hz * tt).sin())
    }

    /// End, s.
    pub fn end(&self) -> f64 {
        self.start + self.len
    }
}

/// Frequency of MIDI note `midi` at A4 = 440 Hz, Hz.
pub fn hz(midi: f64) -> f64 {
    440.0 * ((midi - 69.0) / 12.0).exp2()
}

/// A two-pole resonator with unity gain at DC.
struct Resonator {
    a1: f64,
    a2: f64,
    b0: f64,
    y1: f64,
    y2: f64,
}

impl Resonator {
    fn new(fs: f64, f: f64, bw: f64) -> Self {
        let r = (-PI * bw / fs).exp();
        let a1 = 2.0 * r * (TAU * f / fs).cos();
        let a2 = -r * r;
        Self {
            a1,
            a2,
            b0: 1.0 - a1 - a2,
            y1: 0.0,
            y2: 0.0,
        }
    }

    fn process(&mut self, x: f64) -> f64 {
        let y = self.b0 * x + self.a1 * self.y1 + self.a2 * self.y2;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }

    /// Magnitude response at `f` Hz.
    fn magnitude(&self, fs: f64, f: f64) -> f64 {
        let w = TAU * f / fs;
        let z1 = Complex::new(w.cos(), -w.sin());
        let z2 = z1 * z1;
        let den = Complex::new(1.0, 0.0) - z1 * self.a1 - z2 * self.a2;
        self.b0 / den.norm()
    }
}

/// Renders `notes` sung on `vowel` at `fs` Hz: a band-limited impulse train
/// at the notes' pitch (harmonics tapered off between 0.40 and 0.45·fs, so
/// nothing aliases), shaped by a glottal low-pass (two real poles at
/// 200 Hz, −12 dB/octave above it) and lip radiation (a first difference,
/// +6 dB/octave), through five cascaded formant resonators. 20 ms attack,
/// 30 ms release per note. Peak normalised to `peak`.
pub fn sing(fs: f64, notes: &[Note], vowel: Vowel, total: f64, peak: f64) -> Vec<f32> {
    let n = (total * fs).round() as usize;
    let mut src = vec![0.0f64; n];
    for note in notes {
        let mut phase = 0.0f64;
        let i0 = (note.start * fs).round() as usize;
        let i1 = ((note.end() * fs).round() as usize).min(n);
        for (i, s) in src.iter_mut().enumerate().take(i1).skip(i0) {
            let t = i as f64 / fs;
            let f0 = hz(note.pitch(t));
            phase += f0 / fs;
            phase -= phase.floor();
            let tt = t - note.start;
            let env = (tt / 0.02).min(1.0).min(((note.end() - t) / 0.03).max(0.0));
            let env = 0.5 - 0.5 * (PI * env).cos();
            let hmax = (0.45 * fs / f0).floor() as usize;
            let mut acc = 0.0;
            let (c1, s1) = ((TAU * phase).cos(), (TAU * phase).sin());
            let (mut c, mut sn) = (c1, s1);
            for h in 1..=hmax {
                let fh = h as f64 * f0;
                let taper = ((0.45 * fs - fh) / (0.05 * fs)).clamp(0.0, 1.0);
                acc += taper * c;
                let nc = c * c1 - sn * s1;
                sn = sn * c1 + c * s1;
                c = nc;
            }
            *s = env * acc;
        }
    }
    // Glottal low-pass, lip radiation, formants.
    let g = (-TAU * 200.0 / fs).exp();
    let (mut l1, mut l2, mut prev) = (0.0, 0.0, 0.0);
    let mut res: Vec<Resonator> = vowel
        .formants
        .iter()
        .map(|&(f, b)| Resonator::new(fs, f, b))
        .collect();
    let mut out: Vec<f64> = src
        .iter()
        .map(|&x| {
            l1 = (1.0 - g) * x + g * l1;
            l2 = (1.0 - g) * l1 + g * l2;
            let d = l2 - prev;
            prev = l2;
            res.iter_mut().fold(d, |v, r| r.process(v))
        })
        .collect();
    let p = out.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if p > 0.0 {
        for v in &mut out {
            *v *= peak / p;
        }
    }
    out.iter().map(|&v| v as f32).collect()
}

/// The vowel's formant filter response at `f` Hz, dB (the envelope the
/// synthetic voice is built with, up to the source's tilt).
pub fn formant_db(fs: f64, vowel: Vowel, f: f64) -> f64 {
    let g: f64 = vowel
        .formants
        .iter()
        .map(|&(ff, b)| Resonator::new(fs, ff, b).magnitude(fs, f))
        .product();
    20.0 * g.log10()
}
