//! The static curve of a compressor: output level against input level, in dB.
//!
//! D. Giannoulis, M. Massberg and J. D. Reiss, "Digital Dynamic Range
//! Compressor Design — A Tutorial and Analysis", JAES 60(6), 2012, eq. (4),
//! with threshold T, ratio R and knee width W (all in dB):
//!
//! ```text
//! y = x                                   2(x − T) < −W
//! y = x + (1/R − 1)(x − T + W/2)² / (2W)   2|x − T| ≤ W
//! y = T + (x − T)/R                       2(x − T) > W
//! ```
//!
//! Written as a gain reduction `x − y = (1 − 1/R)·E(x)` with the *excess*
//! `E(x)` = 0, `(x − T + W/2)²/(2W)` or `x − T` in the three regions: the
//! knee is the quadratic that joins the two straight pieces with matching
//! value and slope. A feedback compressor sees its own output `o` and applies
//! `(R − 1)·E(o)`; in steady state that gives the same slope `1/R` above the
//! knee (`x = o + (R − 1)(o − T)` ⇒ `o = T + (x − T)/R`).

/// Ratios at or above this are ∞:1 (a limiter's flat line above the knee).
pub const INFINITE_RATIO: f32 = 100.0;

/// The excess `E(x)` of level `x_db` over threshold `threshold_db` with a soft
/// knee `knee_db` wide (≥ 0; 0 is a hard knee), in dB (≥ 0). See the module
/// documentation.
#[inline]
pub fn excess_db(x_db: f32, threshold_db: f32, knee_db: f32) -> f32 {
    let d = x_db - threshold_db;
    let half = 0.5 * knee_db;
    if d <= -half {
        0.0
    } else if d >= half {
        d
    } else {
        // Only reached with knee_db > 0.
        let k = d + half;
        k * k / (2.0 * knee_db)
    }
}

/// `1 − 1/R` for a ratio R (1 ..= [`INFINITE_RATIO`]; lower values mean 1,
/// higher ones and +inf mean ∞, NaN means 1): the fraction of the excess that
/// a feed-forward compressor takes away. 0 at 1:1, 1 at ∞:1.
#[inline]
pub fn ratio_slope(ratio: f32) -> f32 {
    if ratio >= INFINITE_RATIO {
        1.0
    } else if ratio > 1.0 {
        1.0 - 1.0 / ratio
    } else {
        0.0
    }
}

/// One static curve. Plain data; every method is realtime-safe.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GainComputer {
    /// Threshold T in dB (any finite value).
    pub threshold_db: f32,
    /// `1 − 1/R` in [0, 1] (see [`ratio_slope`]).
    pub slope: f32,
    /// Knee width W in dB, ≥ 0.
    pub knee_db: f32,
}

impl GainComputer {
    /// The curve for threshold (dB), ratio (1..=∞, see [`ratio_slope`]) and
    /// knee width (dB, negative and NaN mean 0). A NaN threshold means 0 dB.
    pub fn new(threshold_db: f32, ratio: f32, knee_db: f32) -> Self {
        Self {
            threshold_db: if threshold_db.is_nan() {
                0.0
            } else {
                threshold_db
            },
            slope: ratio_slope(ratio),
            knee_db: if knee_db > 0.0 { knee_db } else { 0.0 },
        }
    }

    /// Gain reduction in dB (≥ 0) a feed-forward compressor applies to a
    /// steady input at `x_db`.
    #[inline]
    pub fn reduction_db(&self, x_db: f32) -> f32 {
        self.slope * excess_db(x_db, self.threshold_db, self.knee_db)
    }

    /// Static output level in dB for a steady input at `x_db`: eq. (4).
    #[inline]
    pub fn output_db(&self, x_db: f32) -> f32 {
        x_db - self.reduction_db(x_db)
    }

    /// Gain reduction in dB the paper's make-up gain `M = −y_G(0 dB)` would
    /// compensate: the reduction at a 0 dBFS input.
    pub fn reduction_at_full_scale_db(&self) -> f32 {
        self.reduction_db(0.0)
    }

    /// Steady output level in dB of a *feedback* compressor with this curve
    /// (gain reduction `(R − 1)·E(o)` on its output `o`, with `R − 1` capped at
    /// `max_feedback_gain`), for a steady input at `x_db`: the root of
    /// `x = o + c·E(o)`, which is unique because the right side rises
    /// monotonically with `o`. Closed form per region (the knee is a
    /// quadratic).
    pub fn feedback_output_db(&self, x_db: f32, max_feedback_gain: f32) -> f32 {
        let c = f64::from(feedback_gain(self.slope, max_feedback_gain));
        let x = f64::from(x_db);
        let t = f64::from(self.threshold_db);
        let w = f64::from(self.knee_db);
        // Below the knee no reduction.
        if x - t <= -0.5 * w || c == 0.0 {
            return x_db;
        }
        // Above the knee: x = o + c(o − T).
        let above = (x + c * t) / (1.0 + c);
        if above - t >= 0.5 * w {
            return above as f32;
        }
        // In the knee: x = o + c(o − T + W/2)²/(2W); with k = o − T + W/2,
        // (c/2W)k² + k − (x − T + W/2) = 0, positive root.
        let a = c / (2.0 * w);
        let rhs = x - t + 0.5 * w;
        let k = (-1.0 + (1.0 + 4.0 * a * rhs).sqrt()) / (2.0 * a);
        (k + t - 0.5 * w) as f32
    }
}

/// The loop gain `R − 1 = slope/(1 − slope)` a feedback compressor applies to
/// its output's excess, capped at `max` (∞:1 gives `max`).
#[inline]
pub fn feedback_gain(slope: f32, max: f32) -> f32 {
    if slope >= 1.0 {
        max
    } else {
        (slope / (1.0 - slope)).min(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eq. (4) of the paper written out independently, in f64.
    fn paper(x: f64, t: f64, r: f64, w: f64) -> f64 {
        if 2.0 * (x - t) < -w {
            x
        } else if w > 0.0 && 2.0 * (x - t).abs() <= w {
            // At W = 0 this region is the point x = T, where y = T.
            x + (1.0 / r - 1.0) * (x - t + w / 2.0).powi(2) / (2.0 * w)
        } else {
            t + (x - t) / r
        }
    }

    #[test]
    fn matches_the_paper_hard_and_soft_knee() {
        for t in [-40.0f32, -18.0, -6.0] {
            for r in [1.0f32, 1.5, 2.0, 4.0, 10.0, 50.0] {
                for w in [0.0f32, 0.5, 6.0, 12.0, 24.0] {
                    let gc = GainComputer::new(t, r, w);
                    for i in -800..=100 {
                        let x = i as f32 * 0.1;
                        let want = paper(x.into(), t.into(), r.into(), w.into());
                        let got = f64::from(gc.output_db(x));
                        assert!(
                            (got - want).abs() < 1e-4,
                            "T {t} R {r} W {w} x {x}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn infinite_ratio_is_flat_above_the_knee_and_curve_is_continuous() {
        let gc = GainComputer::new(-20.0, f32::INFINITY, 10.0);
        assert_eq!(gc.slope, 1.0);
        assert_eq!(GainComputer::new(-20.0, INFINITE_RATIO, 0.0).slope, 1.0);
        for x in [-14.9f32, -10.0, 0.0, 20.0] {
            assert!((gc.output_db(x) + 20.0).abs() < 1e-4, "{x}");
        }
        // Continuity and monotonicity across the knee edges.
        let gc = GainComputer::new(-20.0, 4.0, 12.0);
        let mut prev = gc.output_db(-60.0);
        for i in 1..=8000 {
            let x = -60.0 + i as f32 * 0.01;
            let y = gc.output_db(x);
            assert!(y >= prev - 1e-5 && y - prev < 0.011, "{x}: {prev} -> {y}");
            prev = y;
        }
    }

    #[test]
    fn sanitises_its_inputs() {
        assert_eq!(ratio_slope(f32::NAN), 0.0);
        assert_eq!(ratio_slope(0.5), 0.0);
        assert_eq!(ratio_slope(2.0), 0.5);
        let gc = GainComputer::new(f32::NAN, 2.0, f32::NAN);
        assert_eq!((gc.threshold_db, gc.knee_db), (0.0, 0.0));
        assert_eq!(gc.reduction_db(6.0), 3.0);
    }

    #[test]
    fn feedback_steady_state_solves_its_loop() {
        for (t, r, w) in [
            (-20.0f32, 4.0f32, 0.0f32),
            (-30.0, 2.0, 12.0),
            (-10.0, 8.0, 24.0),
        ] {
            let gc = GainComputer::new(t, r, w);
            for i in -60..=0 {
                let x = i as f32;
                let o = gc.feedback_output_db(x, 1e6);
                // The loop equation holds ...
                let c = r - 1.0;
                let back = o + c * excess_db(o, t, w);
                assert!((back - x).abs() < 1e-3, "{t} {r} {w} {x}: {o} -> {back}");
                // ... and above the knee the slope is 1/R like feed-forward.
                if x - t > w {
                    assert!((o - (t + (x - t) / r)).abs() < 1e-3);
                }
            }
        }
    }
}
