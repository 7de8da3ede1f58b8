//! Decibel conversions used by the meters and graphs.

/// Level reported for silence, in dBFS: below every meter scale, and finite so that arithmetic on
/// it (decay, averaging) stays well defined.
pub const SILENCE_DB: f32 = -144.0;

/// Convert a linear amplitude (1.0 = 0 dBFS) to dB (20·log10). Zero, negative and non-finite
/// amplitudes give [`SILENCE_DB`]; positive infinity is treated as silence too since it can only
/// come from a broken signal.
pub fn gain_to_db(gain: f32) -> f32 {
    if gain.is_finite() && gain > 0.0 {
        (20.0 * gain.log10()).max(SILENCE_DB)
    } else {
        SILENCE_DB
    }
}

/// Convert dB to a linear amplitude (10^(dB/20)).
pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(gain_to_db(1.0), 0.0);
        assert!((gain_to_db(0.5) - (-6.020_6)).abs() < 1e-3);
        assert!((gain_to_db(2.0) - 6.020_6).abs() < 1e-3);
        assert!((db_to_gain(-20.0) - 0.1).abs() < 1e-6);
        assert_eq!(gain_to_db(0.0), SILENCE_DB);
        assert_eq!(gain_to_db(-1.0), SILENCE_DB);
        assert_eq!(gain_to_db(f32::NAN), SILENCE_DB);
        assert_eq!(gain_to_db(1e-30), SILENCE_DB);
    }
}
