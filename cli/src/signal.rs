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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decibels_follow_20_log10() {
        assert!((db_to_gain(-20.0) - 0.1).abs() < 1e-12);
        assert!((db_to_gain(20.0 * 0.5f64.log10()) - 0.5).abs() < 1e-12);
        assert!((gain_to_db(db_to_gain(-1.0)) + 1.0).abs() < 1e-12);
        assert_eq!(gain_to_db(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn peaks_and_non_finite_samples_are_located() {
        let x = [0.1, -0.5, 0.5, 0.2];
        assert_eq!(peak(&x), 0.5);
        assert_eq!(peak_index(&x), Some(1));
        assert_eq!(peak_index(&[]), None);
        assert!(peak(&[0.1, f32::NAN]).is_nan());
        assert_eq!(
            last_non_finite(&[f32::NAN, 1.0, f32::INFINITY, 0.0]),
            Some(2)
        );
        assert_eq!(last_non_finite(&x), None);
    }
}
