//! Soft clipping for feedback loops: exactly linear below a knee, bounded
//! above it.
//!
//! A delay whose feedback exceeds 100 % grows without limit unless something
//! in the loop compresses large signals. Tape and bucket-brigade delays do it
//! with their own saturation; a clean delay should not colour normal levels
//! at all. [`SoftClip`] serves both: the identity for `|x| ≤ knee`, then
//!
//! ```text
//! y = sign(x) · (knee + r · u / (1 + u)),   r = ceiling − knee,   u = (|x| − knee) / r
//! ```
//!
//! whose slope at the knee is 1 (value and first derivative are continuous,
//! so no edge in the spectrum) and which approaches `ceiling` from below as
//! `|x| → ∞`. The rational curve costs one division, against a `tanh` call,
//! and its bound is exact. A loop `y ← clip(g · y)` with any gain `g` stays
//! below `ceiling` for ever.

/// A knee/ceiling soft clipper; see the [module documentation](self).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoftClip {
    knee: f32,
    range: f32,
    inv_range: f32,
}

impl SoftClip {
    /// A clipper linear up to `knee` (linear amplitude, clamped to
    /// 0.01..=16) and bounded by `ceiling` (clamped above `knee · 1.01`).
    /// NaN arguments fall back to knee 1, ceiling 2.
    pub fn new(knee: f32, ceiling: f32) -> Self {
        let knee = if knee.is_nan() {
            1.0
        } else {
            knee.clamp(0.01, 16.0)
        };
        let ceiling = if ceiling.is_nan() { 2.0 } else { ceiling };
        let range = (ceiling - knee).max(knee * 0.01);
        Self {
            knee,
            range,
            inv_range: 1.0 / range,
        }
    }

    /// Largest magnitude any output can have (linear amplitude).
    pub fn ceiling(&self) -> f32 {
        self.knee + self.range
    }

    /// Level up to which the clipper is the identity (linear amplitude).
    pub fn knee(&self) -> f32 {
        self.knee
    }

    /// Clips one sample. NaN becomes 0; ±∞ becomes ±ceiling.
    #[inline]
    pub fn process(&self, x: f32) -> f32 {
        let a = x.abs();
        if a <= self.knee {
            return x;
        }
        if a.is_nan() {
            return 0.0;
        }
        let u = (a - self.knee) * self.inv_range;
        // u/(1+u) written as 1 − 1/(1+u) so that u = ∞ gives exactly 1.
        let y = self.knee + self.range * (1.0 - 1.0 / (1.0 + u));
        y.copysign(x)
    }
}

impl Default for SoftClip {
    /// Knee at 1.0 (0 dBFS), ceiling 2.0 (+6 dBFS).
    fn default() -> Self {
        Self::new(1.0, 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_below_the_knee_and_bounded_above() {
        let clip = SoftClip::new(0.5, 1.2);
        for i in -500..=500 {
            let x = i as f32 * 0.001;
            assert_eq!(clip.process(x), x);
        }
        let mut last = 0.5;
        for i in 1..2000 {
            let x = 0.5 + i as f32 * 0.01;
            let y = clip.process(x);
            assert!(y > last - 1e-7 && y < 1.2, "x {x}: {y}");
            assert_eq!(clip.process(-x), -y, "odd symmetry");
            last = y;
        }
        assert_eq!(clip.process(f32::INFINITY), 1.2);
        assert_eq!(clip.process(f32::NEG_INFINITY), -1.2);
        assert_eq!(clip.process(f32::NAN), 0.0);
        assert_eq!(clip.ceiling(), 1.2);
    }

    #[test]
    fn slope_is_continuous_at_the_knee() {
        // d/du of knee + r·u/(1+u) at u = 0 is r · 1 / r = 1 (per unit of x).
        let clip = SoftClip::new(0.3, 1.0);
        let h = 1e-3f32;
        let slope = (clip.process(0.3 + h) - clip.process(0.3)) / h;
        assert!((slope - 1.0).abs() < 3e-3, "slope {slope}");
        // Closed form above the knee: x = knee + r gives knee + r/2.
        assert!((clip.process(1.0) - (0.3 + 0.35)).abs() < 1e-6);
    }

    #[test]
    fn runaway_feedback_stays_under_the_ceiling() {
        let clip = SoftClip::default();
        let mut y = 0.1f32;
        for _ in 0..1_000_000 {
            y = clip.process(1.1 * y + 0.5);
            assert!(y.abs() < clip.ceiling());
        }
        // Fixed point of y = clip(1.1·y + 0.5) lies between knee and ceiling.
        assert!(y > 1.0 && y < 2.0);
    }
}
