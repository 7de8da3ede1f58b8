//! Branch-free `log2`/`exp2` for per-sample level ↔ dB conversion.
//!
//! A compressor converts every sample's level to dB and every sample's gain
//! back to a linear factor. The library `log10`/`exp` calls are accurate to
//! the last bit but do not vectorise and cost tens of cycles each; these
//! versions are a handful of multiply-adds on the float's bits, so a loop over
//! a control block compiles to SIMD. Their error (a few millionths of a dB
//! over the whole range, see the tests) is far under anything a level detector needs.

/// 20·log10(2): dB per octave of amplitude.
pub const DB_PER_LOG2: f32 = 6.020_6;
/// log2(10)/20: octaves of amplitude per dB.
pub const LOG2_PER_DB: f32 = 0.166_096_4;

/// log2(x) for a positive, normal, finite `x` (callers clamp: zero, subnormal,
/// negative, infinite or NaN input gives a meaningless but finite-or-NaN
/// result, never a panic). Error below 3e-7 plus the f32 rounding of the
/// result (1.2e-7 of |log2 x|).
///
/// Method: `x = 2^e · m` with `m` folded into [√½, √2), then
/// `log2(m) = (2/ln 2)·atanh(u)`, `u = (m−1)/(m+1)`, `|u| ≤ 0.172`, whose odd
/// series to u⁷ leaves a remainder below 4e-8.
#[inline]
pub fn fast_log2(x: f32) -> f32 {
    const C1: f32 = 2.885_39; // 2/ln 2
    const C3: f32 = C1 / 3.0;
    const C5: f32 = C1 / 5.0;
    const C7: f32 = C1 / 7.0;
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let big = m > core::f32::consts::SQRT_2;
    let m = if big { m * 0.5 } else { m };
    let e = if big { e + 1 } else { e };
    let u = (m - 1.0) / (m + 1.0);
    let u2 = u * u;
    e as f32 + u * (C1 + u2 * (C3 + u2 * (C5 + u2 * C7)))
}

/// 2^t for `t` in [−126, 126] (values outside are clamped; NaN gives a
/// meaningless finite result). Relative error below 4e-7.
///
/// Method: `t = r + f` with `r` the nearest integer (the float "magic number"
/// rounding, exact for |t| < 2^22) and `f` in [−½, ½]; `2^r` is built in the
/// exponent bits, `2^f = e^(f·ln 2)` from its Taylor series to the 6th power
/// (remainder below 1.2e-7 for |f·ln 2| ≤ 0.347).
#[inline]
pub fn fast_exp2(t: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23
    let t = t.clamp(-126.0, 126.0);
    let shifted = t + MAGIC;
    let r = shifted - MAGIC;
    let i = (shifted.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    let z = (t - r) * core::f32::consts::LN_2;
    let p = 1.0
        + z * (1.0
            + z * (0.5
                + z * (1.0 / 6.0 + z * (1.0 / 24.0 + z * (1.0 / 120.0 + z * (1.0 / 720.0))))));
    let scale = f32::from_bits(((i + 127) as u32) << 23);
    p * scale
}

/// Level in dB (20·log10) of a linear amplitude, never below `floor_db`:
/// amplitudes at or below `10^(floor_db/20)` (and zero, negative or NaN ones)
/// read `floor_db`. `floor_db` should be ≥ −700 so the clamp stays normal.
#[inline]
pub fn fast_gain_to_db(gain: f32, floor_db: f32, floor_gain: f32) -> f32 {
    // `!(gain > floor_gain)` also catches NaN.
    if gain > floor_gain && gain <= f32::MAX {
        DB_PER_LOG2 * fast_log2(gain)
    } else {
        floor_db
    }
}

/// Linear amplitude of a level in dB (−758..=+758 dB; beyond that clamped).
/// 0 dB gives exactly 1.0 only up to the error bound; callers that need an
/// exact unity gain test for 0 first.
#[inline]
pub fn fast_db_to_gain(db: f32) -> f32 {
    fast_exp2(db * LOG2_PER_DB)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_matches_std_over_the_audio_range() {
        // 1e-10 (−200 dB) to 1e4 (+80 dB), dense logarithmic sweep.
        // The series is good to 4e-8; the rest is the f32 rounding of the
        // result (half an ulp of |log2 x| ≤ 33 is 2e-6).
        let mut worst = 0.0f64;
        let mut x = 1e-10f64;
        while x < 1e4 {
            let got = f64::from(fast_log2(x as f32));
            let want = f64::from(x as f32).log2();
            let err = (got - want).abs();
            assert!(
                err < 3e-7 + 1.2e-7 * want.abs(),
                "log2({x}): {got} vs {want}"
            );
            worst = worst.max(err);
            x *= 1.000_37;
        }
        // In dB: a few millionths.
        assert!(worst * f64::from(DB_PER_LOG2) < 3e-5, "{worst}");
        // Exact powers of two.
        for e in -30..30 {
            assert_eq!(fast_log2(2f32.powi(e)), e as f32);
        }
    }

    #[test]
    fn exp2_matches_std_and_is_monotonic() {
        let mut worst = 0.0f64;
        let mut prev = 0.0f32;
        let mut t = -126.0f32;
        while t <= 126.0 {
            let got = fast_exp2(t);
            let want = f64::from(t).exp2();
            worst = worst.max((f64::from(got) / want - 1.0).abs());
            assert!(got >= prev, "not monotonic at {t}");
            prev = got;
            t += 0.001_3;
        }
        assert!(worst < 4e-7, "worst exp2 relative error {worst}");
        assert_eq!(fast_exp2(0.0), 1.0);
        assert_eq!(fast_exp2(-1.0), 0.5);
        // Clamped, finite.
        assert!(fast_exp2(1e9).is_finite() && fast_exp2(-1e9) > 0.0);
    }

    #[test]
    fn db_round_trip_and_floor() {
        for i in -2000..=240 {
            let db = i as f32 * 0.1;
            let g = fast_db_to_gain(db);
            let back = fast_gain_to_db(g, -200.0, 1e-10);
            assert!((back - db).abs() < 1e-4, "{db} dB -> {g} -> {back}");
            // The f32 product db·log2(10)/20 is rounded (2e-6 of 2^t at
            // −200 dB); the exponential adds 3e-7.
            let want = 10f64.powf(f64::from(db) / 20.0);
            assert!((f64::from(g) / want - 1.0).abs() < 5e-6, "{db}");
        }
        for bad in [0.0, -1.0, f32::NAN, 1e-12, f32::INFINITY] {
            assert_eq!(fast_gain_to_db(bad, -200.0, 1e-10), -200.0, "{bad}");
        }
    }
}
