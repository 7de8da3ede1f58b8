//! Small signal helpers shared by the renderer, the CLI and the tests.

use crate::rng::Rng;

/// Linear gain for `db` decibels (20·log10 convention): `db_to_gain(-6.0)` ≈ 0.501.
pub fn db_to_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// Decibels for a linear `gain`; `-inf` for 0.
pub fn gain_to_db(gain: f64) -> f64 {
    20.0 * gain.abs().log10()
}

/// Largest absolute sample value; NaN if any sample is NaN, 0 for an empty slice.
pub fn peak(samples: &[f32]) -> f32 {
    samples.iter().fold(0.0f32, |m, &x| {
        if m.is_nan() || x.is_nan() {
            f32::NAN
        } else {
            m.max(x.abs())
        }
    })
}

/// Index of the largest absolute sample (the first one on ties); `None` if empty.
pub fn peak_index(samples: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &x) in samples.iter().enumerate() {
        if best.is_none_or(|(_, b)| x.abs() > b) {
            best = Some((i, x.abs()));
        }
    }
    best.map(|(i, _)| i)
}

/// Index of the last NaN or infinite sample, `None` if all are finite.
pub fn last_non_finite(samples: &[f32]) -> Option<usize> {
    samples.iter().rposition(|x| !x.is_finite())
}

/// `len` samples of white noise uniform in `[-gain, gain)`.
pub fn noise(rng: &mut Rng, len: usize, gain: f32) -> Vec<f32> {
    (0..len).map(|_| rng.noise() * gain).collect()
}
