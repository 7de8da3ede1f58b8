//! Measured reverberation time: Schroeder's backward-integrated energy decay
//! with a T30 fit, and a measurement of the reverb's own decay per band for
//! the current settings (what the Verb editor shows next to the set values).
//!
//! M. R. Schroeder ("New method of measuring reverberation time", JASA 37,
//! 1965) showed that the ensemble average of the squared decay of noise
//! equals the backward integral of the squared impulse response, so one
//! impulse response gives a smooth energy decay curve
//!
//! ```text
//! EDC(t) = Σ_{n ≥ t} h[n]²
//! ```
//!
//! ISO 3382-1's T30 fits a line to EDC in dB between −5 and −35 dB below
//! its start by least squares and extrapolates it to −60 dB. The fit skips
//! the direct sound and first reflections (above −5 dB) and stops before
//! the noise floor or the end of a truncated response bends the curve.
//!
//! [`measure_band_decays`] is slow by audio standards (it renders seconds of
//! reverb and filters them per band) and allocates: call it from a
//! background thread, never from `process`.

use crate::biquad::{Biquad, BiquadCoefs};
use crate::control::CONTROL_BLOCK;
use crate::reverb::{Reverb, ReverbParams};

/// Upper end of the T30 fit, dB below the start of the decay curve.
const FIT_START_DB: f64 = -5.0;
/// Lower end of the T30 fit.
const FIT_END_DB: f64 = -35.0;
/// A response is long enough when its fitted decay line has fallen this far
/// (dB) by its last sample. Cutting a response short removes the energy
/// that would have followed from every point of the decay curve, which
/// bends it down towards the end; with the true curve at −45 dB or below
/// at the cut, the −35 dB point moves by at most 0.4 dB (10·log10(1.1))
/// and the −5 dB point not at all.
const MIN_DEPTH_DB: f64 = -45.0;
/// The band decays are rendered until the slowest band has fallen this far
/// (dB): far enough below the fit's −35 dB that cutting the response off
/// there moves the decay curve at −35 dB by 0.01 dB (10^(−3.5) − 10^(−6.5)
/// against 10^(−3.5)).
const RENDER_DEPTH_DB: f32 = 65.0;

/// Lowest sample rate [`measure_band_decays`] renders at, Hz.
pub const MIN_RATE_HZ: f32 = 8_000.0;
/// Highest sample rate [`measure_band_decays`] renders at, Hz.
pub const MAX_RATE_HZ: f32 = 768_000.0;

/// RT60 in seconds of the impulse response `ir` at `sample_rate` Hz by
/// Schroeder backward integration and a T30 fit (−5 to −35 dB, extrapolated
/// to −60 dB). `None` when the decay does not fall, when `ir` ends before
/// its fitted decay has fallen 45 dB (a response cut short reads short), or
/// when `ir` is empty, silent or not finite.
pub fn schroeder_t30(ir: &[f32], sample_rate: f32) -> Option<f32> {
    let energy: Vec<f64> = ir.iter().map(|&v| f64::from(v) * f64::from(v)).collect();
    schroeder_t30_of_energy(&energy, sample_rate)
}

/// [`schroeder_t30`] of a response given as energy per step (squared
/// samples, or the summed energy of several outputs as ISO 3382 averages
/// positions, or energy summed over blocks of samples), with `steps_per_s`
/// steps per second (the sample rate, or the rate of the blocks).
pub fn schroeder_t30_of_energy(energy: &[f64], steps_per_s: f32) -> Option<f32> {
    let rate_ok = steps_per_s > 0.0 && steps_per_s.is_finite();
    if energy.is_empty() || !rate_ok || energy.iter().any(|e| !e.is_finite()) {
        return None;
    }
    let total: f64 = energy.iter().sum();
    if total <= 0.0 {
        return None;
    }
    // Least-squares line through (t, EDC dB) over the fit range, with the
    // EDC accumulated from the end as the loop walks back to the start.
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0f64, 0.0, 0.0, 0.0, 0.0);
    let mut acc = 0.0f64;
    let mut reached_end = false;
    for (i, &e) in energy.iter().enumerate().rev() {
        acc += e;
        let db = 10.0 * (acc / total).log10();
        if db < FIT_END_DB {
            reached_end = true;
            continue;
        }
        if db > FIT_START_DB {
            break;
        }
        let t = i as f64 / f64::from(steps_per_s);
        n += 1.0;
        sx += t;
        sy += db;
        sxx += t * t;
        sxy += t * db;
    }
    let denominator = n * sxx - sx * sx;
    if !reached_end || n < 2.0 || denominator <= 0.0 {
        return None;
    }
    let slope = (n * sxy - sx * sy) / denominator;
    let intercept = (sy - slope * sx) / n;
    let end_db = intercept + slope * energy.len() as f64 / f64::from(steps_per_s);
    (slope < 0.0 && end_db <= MIN_DEPTH_DB).then(|| (-60.0 / slope) as f32)
}

/// Samples [`measure_band_decays`] renders for `params` at `sample_rate`
/// Hz: the pre-delay, the early taps and the longest line (the time before
/// the decay is under way), plus the time the slowest band's set T60 takes
/// to fall 65 dB (1.08 × T60). 0 with freeze on (nothing decays) or a
/// sample rate outside [`MIN_RATE_HZ`, `MAX_RATE_HZ`].
pub fn render_length(params: &ReverbParams, sample_rate: f32) -> usize {
    let p = params.sanitised();
    if p.freeze || !(MIN_RATE_HZ..=MAX_RATE_HZ).contains(&sample_rate) {
        return 0;
    }
    let onset_ms = p.pre_delay_ms + (66.7 + 66.0) * p.size;
    let decay_s = p.fdn().longest_decay_s() * RENDER_DEPTH_DB / 60.0;
    ((onset_ms * 1e-3 + decay_s) * sample_rate).ceil() as usize
}

/// The decay time (T30, seconds) a fresh [`Reverb`] with `params` measures
/// at `sample_rate` Hz in the octave band around each of `bands_hz`, the
/// two outputs' energies summed. `None` for a band that cannot be measured:
/// centre at or above 0.45 × `sample_rate`, or a decay the T30 fit cannot
/// read (see [`schroeder_t30`]); every band is `None` with freeze on or a
/// sample rate outside [`MIN_RATE_HZ`, `MAX_RATE_HZ`].
///
/// The impulse enters the left input of a wet-only, late-only reverb (mix
/// 1, early/late balance 1, no ducking, freeze off); everything else,
/// modulation included, is as set, so the figure is the decay of what the
/// settings sound like. Each band is two cascaded band-pass biquads at
/// Q = √2 (one octave).
///
/// Cost: [`render_length`] samples of stereo reverb (under 2 ms of CPU per
/// second of audio) and four biquads per band per sample, energy kept per
/// 32-sample block (the fit needs no finer time). At the defaults (2 s) with
/// eight bands that is about 2.2 s of audio, a few tens of milliseconds; the
/// longest decay (30 s with a 4× band multiplier) renders 130 s, on the
/// order of a second. Memory: one f64 per band per 32 samples. Allocates;
/// for a background thread.
pub fn measure_band_decays(
    params: &ReverbParams,
    sample_rate: f32,
    bands_hz: &[f32],
) -> Vec<Option<f32>> {
    measure_band_decays_while(params, sample_rate, bands_hz, || true)
        .unwrap_or_else(|| vec![None; bands_hz.len()])
}

/// [`measure_band_decays`] that asks `keep_going` before every 32-sample
/// block it renders and gives up (`None`) as soon as it answers false, so
/// a caller can stop a long measurement (a 30 s decay renders over 100 s
/// of audio) within microseconds: an editor closing, a plugin unloading.
pub fn measure_band_decays_while(
    params: &ReverbParams,
    sample_rate: f32,
    bands_hz: &[f32],
    keep_going: impl Fn() -> bool,
) -> Option<Vec<Option<f32>>> {
    let mut out = vec![None; bands_hz.len()];
    let len = render_length(params, sample_rate);
    if len == 0 {
        return Some(out);
    }
    let p = ReverbParams {
        mix: 1.0,
        early_late: 1.0,
        ducking_db: 0.0,
        freeze: false,
        ..params.sanitised()
    };
    let mut verb = Reverb::new();
    verb.set_params(&p);
    verb.prepare(sample_rate, CONTROL_BLOCK, 2);
    let nyquist_guard = 0.45 * sample_rate;
    let mut bands: Vec<(usize, [Biquad; 4])> = bands_hz
        .iter()
        .enumerate()
        .filter(|(_, &f)| f > 0.0 && f < nyquist_guard)
        .map(|(i, &f)| {
            let c = BiquadCoefs::bandpass(sample_rate, f, core::f32::consts::SQRT_2);
            (i, core::array::from_fn(|_| Biquad::new(c)))
        })
        .collect();
    let blocks = len.div_ceil(CONTROL_BLOCK);
    let mut energy: Vec<Vec<f64>> = vec![Vec::with_capacity(blocks); bands.len()];
    for b in 0..blocks {
        if !keep_going() {
            return None;
        }
        let mut l = [0.0f32; CONTROL_BLOCK];
        let mut r = [0.0f32; CONTROL_BLOCK];
        if b == 0 {
            l[0] = 1.0;
        }
        verb.process(&mut [&mut l, &mut r]);
        for ((_, filters), e) in bands.iter_mut().zip(energy.iter_mut()) {
            let [a, b, c, d] = filters;
            let mut sum = 0.0f64;
            for (&x, &y) in l.iter().zip(&r) {
                let yl = f64::from(b.process(a.process(x)));
                let yr = f64::from(d.process(c.process(y)));
                sum += yl * yl + yr * yr;
            }
            e.push(sum);
        }
    }
    let block_rate = sample_rate / CONTROL_BLOCK as f32;
    for ((i, _), e) in bands.iter().zip(&energy) {
        out[*i] = schroeder_t30_of_energy(e, block_rate);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmeasurable_responses_give_none() {
        assert_eq!(schroeder_t30(&[], 48_000.0), None);
        assert_eq!(schroeder_t30(&[0.0; 100], 48_000.0), None);
        assert_eq!(schroeder_t30(&[1.0, f32::NAN], 48_000.0), None);
        // Ten equal samples: the decay curve falls 10 dB before the end.
        let flat = vec![0.5f32; 10];
        assert_eq!(schroeder_t30(&flat, 48_000.0), None);
        assert_eq!(schroeder_t30(&[1.0, 0.5], 0.0), None);
    }

    #[test]
    fn block_energies_give_the_sample_figure() {
        // An exponential decay of T60 = 0.8 s: the T30 of its squared
        // samples and of their sums over 32-sample blocks (at the block
        // rate) agree within a block's share of the fit.
        let fs = 48_000.0f32;
        let t60 = 0.8f32;
        let k = 10f32.powf(-3.0 / (t60 * fs));
        let h: Vec<f32> = (0..(1.2 * fs) as usize).map(|n| k.powi(n as i32)).collect();
        let by_sample = schroeder_t30(&h, fs).expect("decays");
        let blocks: Vec<f64> = h
            .chunks(32)
            .map(|c| c.iter().map(|&v| f64::from(v) * f64::from(v)).sum())
            .collect();
        let by_block = schroeder_t30_of_energy(&blocks, fs / 32.0).expect("decays");
        assert!((by_sample / t60 - 1.0).abs() < 1e-3, "{by_sample}");
        assert!((by_block / by_sample - 1.0).abs() < 1e-3, "{by_block}");
    }

    #[test]
    fn render_length_follows_the_slowest_band() {
        let p = ReverbParams {
            decay_s: 2.0,
            low_multiplier: 3.0,
            pre_delay_ms: 0.0,
            size: 1.0,
            ..ReverbParams::default()
        };
        let want = ((0.1327 + 6.0 * 65.0 / 60.0) * 48_000.0f64).ceil() as usize;
        assert!(render_length(&p, 48_000.0).abs_diff(want) <= 1);
        assert_eq!(
            render_length(&ReverbParams { freeze: true, ..p }, 48_000.0),
            0
        );
        assert!(
            measure_band_decays(&ReverbParams { freeze: true, ..p }, 48_000.0, &[1_000.0])
                .iter()
                .all(Option::is_none)
        );
        for fs in [0.0, -1.0, f32::NAN, f32::INFINITY, 1e9] {
            assert_eq!(render_length(&p, fs), 0);
            assert_eq!(measure_band_decays(&p, fs, &[1_000.0]), vec![None]);
        }
    }
}
