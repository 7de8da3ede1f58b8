//! Test material for Glasswork Tune: synthetic voices
//! ([`glass_dsp::synthetic_voice`]: a band-limited glottal pulse train
//! through vowel formant resonators, with known detuning and vibrato), an
//! independent pitch detector (harmonic fit on a
//! Blackman–Harris spectrum, nothing in common with the kernel's
//! time-domain NSDF) and a cepstrally smoothed spectral envelope.

#![allow(dead_code)] // Each test binary uses a different subset.

use realfft::num_complex::Complex;
use realfft::RealFftPlanner;
use std::f64::consts::{PI, TAU};

use glass_dsp::tuner::{TuneParams, Tuner};

pub use glass_dsp::synthetic_voice::*;

/// Runs `x` (mono) through a fresh tuner in blocks of `block`.
pub fn render(p: &TuneParams, fs: f32, x: &[f32], block: usize) -> (Vec<f32>, Tuner) {
    let mut tuner = Tuner::new();
    tuner.set_params(p);
    tuner.prepare(fs, block.max(1), 1);
    let mut y = x.to_vec();
    for chunk in y.chunks_mut(block.max(1)) {
        tuner.process(&mut [chunk]);
    }
    (y, tuner)
}

/// 4-term Blackman–Harris window of length `n` (sidelobes below −92 dB).
fn blackman_harris(n: usize) -> Vec<f64> {
    let (a0, a1, a2, a3) = (0.35875, 0.48829, 0.14128, 0.01168);
    (0..n)
        .map(|i| {
            let x = TAU * i as f64 / (n - 1) as f64;
            a0 - a1 * x.cos() + a2 * (2.0 * x).cos() - a3 * (3.0 * x).cos()
        })
        .collect()
}

/// Magnitude spectrum of `x[centre − n/2 ..]` windowed and zero-padded to
/// `pad` points; `None` if the window leaves the signal.
fn spectrum(x: &[f32], centre: usize, n: usize, pad: usize, window: &[f64]) -> Option<Vec<f64>> {
    if centre < n / 2 || centre - n / 2 + n > x.len() {
        return None;
    }
    let start = centre - n / 2;
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(pad);
    let mut buf = vec![0.0; pad];
    for i in 0..n {
        buf[i] = f64::from(x[start + i]) * window[i];
    }
    let mut out = fft.make_output_vec();
    fft.process(&mut buf, &mut out).ok()?;
    Some(out.iter().map(|c| c.norm()).collect())
}

/// Independent pitch measurement around sample `centre`: a coarse
/// harmonic search (mean log contrast between the harmonics below 5 kHz
/// and the midpoints between them, over `lo_hz..=hi_hz` on a 1-cent grid)
/// on a 4096-point
/// Blackman–Harris spectrum, then a harmonic fit on a window of eight
/// coarse periods: each harmonic's peak located by a parabola through the
/// log magnitudes of an 8× zero-padded spectrum, and the fundamental
/// fitted to them by weighted least squares (`f0 = Σ w·h·f_h / Σ w·h²`,
/// `w` the harmonic's power). Returns Hz, or `None` if the windows do not
/// fit or there is no clear harmonic series.
///
/// The contrast score cannot tell a fundamental from its odd multiples
/// (their harmonics also sit on peaks with troughs between), so callers
/// give a search range narrower than a third either side of the pitch
/// they expect; a signal an octave away then measures far from the
/// expected pitch (or not at all) and counts as a miss, as it should.
pub fn measure_pitch(x: &[f32], centre: usize, fs: f64, lo_hz: f64, hi_hz: f64) -> Option<f64> {
    let n1 = ((4096.0 * fs / 48_000.0) as usize).next_power_of_two();
    let pad1 = 4 * n1;
    let w1 = blackman_harris(n1);
    let mag = spectrum(x, centre, n1, pad1, &w1)?;
    let bin = fs / pad1 as f64;
    let peak = mag.iter().cloned().fold(0.0, f64::max);
    if peak <= 0.0 {
        return None;
    }
    let floor = peak * 1e-4;
    let at = |f: f64| -> f64 {
        let k = f / bin;
        let i = k.floor() as usize;
        if i + 1 >= mag.len() {
            return 0.0;
        }
        let t = k - i as f64;
        mag[i] * (1.0 - t) + mag[i + 1] * t
    };
    // Mean contrast between each harmonic and the midpoints beside it: the
    // true fundamental scores peak-over-trough at every term, its half
    // only at every other one, its double not at all.
    let ln_at = |f: f64| (at(f) / floor).max(1.0).ln();
    let mut best = (0.0, f64::MIN);
    let mut cents = 0.0;
    while cents <= 1200.0 * (hi_hz / lo_hz).log2() {
        let f = lo_hz * (cents / 1200.0f64).exp2();
        let (mut score, mut count) = (0.0, 0.0);
        let mut h = 1.0;
        while h * f <= 5000.0 {
            score += ln_at(h * f) - 0.5 * (ln_at((h - 0.5) * f) + ln_at((h + 0.5) * f));
            count += 1.0;
            h += 1.0;
        }
        if count > 0.0 && score / count > best.1 {
            best = (f, score / count);
        }
        cents += 1.0;
    }
    let coarse = best.0;
    // No harmonic series: less than 10 dB of mean contrast.
    if coarse <= 0.0 || best.1 < 10f64.ln() / 2.0 {
        return None;
    }
    // Fine: eight periods, 8× zero padding.
    let n2 = ((8.0 * fs / coarse).round() as usize).max(64);
    let pad2 = (8 * n2).next_power_of_two();
    let w2 = blackman_harris(n2);
    let mag = spectrum(x, centre, n2, pad2, &w2)?;
    let bin = fs / pad2 as f64;
    let top = mag.iter().cloned().fold(0.0, f64::max);
    let (mut num, mut den) = (0.0, 0.0);
    let mut h = 1.0;
    while h * coarse <= 5000.0 && h <= 40.0 {
        let lo = (((h - 0.3) * coarse) / bin).floor() as usize;
        let hi = (((h + 0.3) * coarse) / bin).ceil() as usize;
        if hi + 1 >= mag.len() {
            break;
        }
        let (k, m) = (lo..=hi)
            .map(|k| (k, mag[k]))
            .fold((lo, 0.0), |a, b| if b.1 > a.1 { b } else { a });
        if m > top * 1e-3 && k > lo && k < hi {
            let (a, b, c) = (mag[k - 1].ln(), m.ln(), mag[k + 1].ln());
            let d = 0.5 * (a - c) / (a - 2.0 * b + c);
            let fh = (k as f64 + d) * bin;
            let w = m * m;
            num += w * h * fh;
            den += w * h * h;
        }
        h += 1.0;
    }
    (den > 0.0).then(|| num / den)
}

/// Cepstrally smoothed log-magnitude spectrum (dB) of a 2048-point
/// (at 48 kHz; scaled with the rate) Hann-windowed frame around `centre`:
/// the real cepstrum is kept below `lifter` samples of quefrency. Returns
/// (bin width in Hz, envelope in dB per bin).
pub fn cepstral_envelope(
    x: &[f32],
    centre: usize,
    fs: f64,
    lifter: usize,
) -> Option<(f64, Vec<f64>)> {
    let n = ((2048.0 * fs / 48_000.0) as usize).next_power_of_two();
    let w: Vec<f64> = (0..n)
        .map(|i| 0.5 - 0.5 * (TAU * i as f64 / n as f64).cos())
        .collect();
    let mag = spectrum(x, centre, n, n, &w)?;
    let mut planner = RealFftPlanner::<f64>::new();
    let inv = planner.plan_fft_inverse(n);
    let fwd = planner.plan_fft_forward(n);
    let peak = mag.iter().cloned().fold(0.0, f64::max);
    if peak <= 0.0 {
        return None;
    }
    let mut logspec: Vec<Complex<f64>> = mag
        .iter()
        .map(|&m| Complex::new(m.max(peak * 1e-5).ln(), 0.0))
        .collect();
    let mut cep = inv.make_output_vec();
    inv.process(&mut logspec, &mut cep).ok()?;
    for (q, c) in cep.iter_mut().enumerate() {
        let qq = q.min(n - q);
        if qq >= lifter {
            *c = 0.0;
        }
        *c /= n as f64;
    }
    let mut env = fwd.make_output_vec();
    fwd.process(&mut cep, &mut env).ok()?;
    let db = 20.0 / std::f64::consts::LN_10;
    Some((fs / n as f64, env.iter().map(|c| c.re * db).collect()))
}

/// RMS level of `x` in dB.
pub fn rms_db(x: &[f32]) -> f64 {
    let e: f64 =
        x.iter().map(|v| f64::from(*v) * f64::from(*v)).sum::<f64>() / x.len().max(1) as f64;
    10.0 * e.max(1e-30).log10()
}

/// Deterministic white noise in [−1, 1) (xorshift32).
pub struct Noise(pub u32);

impl Noise {
    pub fn sample(&mut self) -> f32 {
        let mut s = self.0;
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        self.0 = s;
        (s >> 8) as f32 * (2.0 / 16_777_216.0) - 1.0
    }
}

pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Magnitude (linear, up to a constant) of the synthetic voice's spectral
/// envelope at `f` Hz: the glottal low-pass (two poles at 200 Hz), lip
/// radiation (first difference) and the vowel's formant resonators — the
/// closed form `sing` filters its flat harmonic comb with.
pub fn envelope(fs: f64, vowel: Vowel, f: f64) -> f64 {
    let w = TAU * f / fs;
    let z1 = Complex::new(w.cos(), -w.sin());
    let g = (-TAU * 200.0 / fs).exp();
    let lp = (1.0 - g) / (Complex::new(1.0, 0.0) - z1 * g).norm();
    let radiation = (Complex::new(1.0, 0.0) - z1).norm();
    10f64.powf(formant_db(fs, vowel, f) / 20.0) * lp * lp * radiation
}

/// Harmonic amplitudes (dB) of `x` around `centre` for a fundamental of
/// `f0` Hz: a Blackman–Harris window of eight periods, 4× zero padding,
/// each harmonic's peak within ±20 % of the spacing refined by a parabola
/// through the log magnitudes. Returns (frequency, dB) for every harmonic
/// in `lo..=hi` Hz.
pub fn harmonic_amplitudes(
    x: &[f32],
    centre: usize,
    fs: f64,
    f0: f64,
    lo: f64,
    hi: f64,
) -> Option<Vec<(f64, f64)>> {
    let n = ((8.0 * fs / f0).round() as usize).max(64);
    let pad = (4 * n).next_power_of_two();
    let w = blackman_harris(n);
    let mag = spectrum(x, centre, n, pad, &w)?;
    let bin = fs / pad as f64;
    let mut out = Vec::new();
    let mut h = (lo / f0).ceil().max(1.0);
    while h * f0 <= hi {
        let a = (((h - 0.2) * f0) / bin).floor() as usize;
        let b = (((h + 0.2) * f0) / bin).ceil() as usize;
        if b + 1 >= mag.len() {
            break;
        }
        let (k, m) = (a..=b)
            .map(|k| (k, mag[k]))
            .fold((a, 0.0), |p, q| if q.1 > p.1 { q } else { p });
        if m <= 0.0 || k == 0 {
            return None;
        }
        let (la, lb, lc) = (mag[k - 1].ln(), m.ln(), mag[k + 1].ln());
        let den = la - 2.0 * lb + lc;
        let (d, peak) = if den < 0.0 {
            let d = 0.5 * (la - lc) / den;
            (d, lb - 0.25 * (la - lc) * d)
        } else {
            (0.0, lb)
        };
        out.push(((k as f64 + d) * bin, peak * 20.0 / std::f64::consts::LN_10));
        h += 1.0;
    }
    Some(out)
}

/// Something to do at an absolute sample position while rendering (a host
/// splits its blocks at event offsets).
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// New parameters.
    Params(TuneParams),
    /// MIDI note on / off on the target-note input.
    NoteOn(u8),
    NoteOff(u8),
}

/// What [`render_full`] returns: output channels, pitch frames, note events
/// at their absolute positions, and the tuner.
pub type FullRender = (
    Vec<Vec<f32>>,
    Vec<glass_dsp::tuner::PitchFrame>,
    Vec<(usize, glass_dsp::tuner::NoteEvent)>,
    Tuner,
);

/// Renders planar `input` through a fresh tuner at `fs` in blocks of
/// `block`, applying `events` (sorted by position) at their positions.
/// Returns the output, every pitch frame, every note event with its
/// absolute position, and the tuner.
pub fn render_full(
    p: &TuneParams,
    fs: f32,
    input: &[Vec<f32>],
    block: usize,
    events: &[(usize, Event)],
) -> FullRender {
    let mut tuner = Tuner::new();
    tuner.set_params(p);
    tuner.prepare(fs, block.max(1), input.len());
    let mut out: Vec<Vec<f32>> = input.to_vec();
    let len = out[0].len();
    let mut frames = Vec::new();
    let mut notes = Vec::new();
    let mut pos = 0;
    let mut ev = 0;
    while pos < len {
        while ev < events.len() && events[ev].0 <= pos {
            match events[ev].1 {
                Event::Params(q) => tuner.set_params(&q),
                Event::NoteOn(n) => tuner.note_on(n),
                Event::NoteOff(n) => tuner.note_off(n),
            }
            ev += 1;
        }
        let mut end = (pos + block.max(1)).min(len);
        if ev < events.len() {
            end = end.min(events[ev].0.max(pos + 1));
        }
        {
            let mut slices: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[pos..end]).collect();
            tuner.process(&mut slices);
        }
        frames.extend_from_slice(tuner.pitch_frames());
        for e in tuner.note_events() {
            notes.push((pos + e.offset, *e));
        }
        pos = end;
    }
    (out, frames, notes, tuner)
}

/// `x` read at `ratio` times its speed (`y[n] = x(n · ratio)`): a plain
/// resampling pitch shifter, which moves the formants with the pitch.
/// Windowed-sinc interpolation (64 taps, Blackman window, cut-off at the
/// lower of the two Nyquist frequencies).
pub fn resample(x: &[f32], ratio: f64) -> Vec<f32> {
    const HALF: isize = 32;
    let cut = ratio.recip().min(1.0);
    let n = (x.len() as f64 / ratio).floor() as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 * ratio;
            let k0 = t.floor() as isize;
            let mut acc = 0.0;
            for k in k0 - HALF + 1..=k0 + HALF {
                if k < 0 || k as usize >= x.len() {
                    continue;
                }
                let d = t - k as f64;
                let w = 0.42
                    + 0.5 * (PI * d / HALF as f64).cos()
                    + 0.08 * (TAU * d / HALF as f64).cos();
                let sinc = if d.abs() < 1e-12 {
                    cut
                } else {
                    (PI * cut * d).sin() / (PI * d)
                };
                acc += f64::from(x[k as usize]) * w * sinc;
            }
            acc as f32
        })
        .collect()
}

/// Harmonic-peak envelope of one frame around `centre`: the fundamental
/// measured by [`measure_pitch`] (searched in `lo_hz..=hi_hz`), every
/// harmonic's level up to 0.4·fs by [`harmonic_amplitudes`], joined by
/// straight lines in dB, and smoothed by a Gaussian of `sigma_hz`
/// (normalised over the span the harmonics cover). Returns dB at each
/// frequency of `grid`.
pub fn harmonic_envelope_db(
    x: &[f32],
    centre: usize,
    fs: f64,
    (lo_hz, hi_hz): (f64, f64),
    sigma_hz: f64,
    grid: &[f64],
) -> Option<Vec<f64>> {
    let f0 = measure_pitch(x, centre, fs, lo_hz, hi_hz)?;
    let peaks = harmonic_amplitudes(x, centre, fs, f0, 0.5 * f0, 0.4 * fs)?;
    if peaks.len() < 2 {
        return None;
    }
    // The peaks joined by straight lines on a 5 Hz grid.
    let step = 5.0;
    let (f_lo, f_hi) = (peaks[0].0, peaks[peaks.len() - 1].0);
    let mut line: Vec<(f64, f64)> = Vec::new();
    let mut j = 0;
    let mut f = f_lo;
    while f <= f_hi {
        while j + 2 < peaks.len() && peaks[j + 1].0 < f {
            j += 1;
        }
        let ((fa, da), (fb, db)) = (peaks[j], peaks[j + 1]);
        let t = ((f - fa) / (fb - fa)).clamp(0.0, 1.0);
        line.push((f, da + t * (db - da)));
        f += step;
    }
    let (band_lo, band_hi) = (grid[0], grid[grid.len() - 1]);
    line.retain(|&(f, _)| (band_lo..=band_hi).contains(&f));
    let reach = 4.0 * sigma_hz;
    Some(
        grid.iter()
            .map(|&g| {
                let (mut num, mut den) = (0.0, 0.0);
                for &(f, d) in &line {
                    if (f - g).abs() <= reach {
                        let w = (-0.5 * ((f - g) / sigma_hz).powi(2)).exp();
                        num += w * d;
                        den += w;
                    }
                }
                num / den
            })
            .collect(),
    )
}

/// [`harmonic_envelope_db`] averaged (in dB) over frames every 10 ms from
/// `from` to `to`.
pub fn mean_harmonic_envelope_db(
    x: &[f32],
    (from, to): (usize, usize),
    fs: f64,
    search: (f64, f64),
    sigma_hz: f64,
    grid: &[f64],
) -> Vec<f64> {
    let mut sum = vec![0.0; grid.len()];
    let mut count = 0.0;
    let mut c = from;
    while c < to {
        if let Some(e) = harmonic_envelope_db(x, c, fs, search, sigma_hz, grid) {
            for (s, v) in sum.iter_mut().zip(&e) {
                *s += v;
            }
            count += 1.0;
        }
        c += (fs / 100.0).round() as usize;
    }
    assert!(count > 0.0, "no frame measured");
    sum.iter().map(|s| s / count).collect()
}

/// RMS of the difference between two envelopes in dB after removing its
/// mean (an overall gain is not a formant change).
pub fn rms_difference_db(a: &[f64], b: &[f64]) -> f64 {
    let d: Vec<f64> = a.iter().zip(b).map(|(a, b)| a - b).collect();
    let mean = d.iter().sum::<f64>() / d.len() as f64;
    (d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / d.len() as f64).sqrt()
}
