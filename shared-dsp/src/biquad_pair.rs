//! One biquad section run on two channels in lockstep: the stereo form of
//! [`crate::biquad::Biquad`] for kernels that filter left and right with the
//! same coefficients.
//!
//! The arithmetic is [`Biquad`]'s (transposed direct form II in f64 on f32
//! coefficients, realising exactly the response of those coefficients). The
//! two channels' states sit side by side as `[f64; 2]`, one SSE2 register:
//! a stereo sample costs the instructions of one channel, the two
//! recursions running in the same vector operations. The state update is
//! ordered `s1 = (b1·x + s2) − a1·y` rather than `b1·x − a1·y + s2`: the
//! sum that does not depend on the output is formed while the output is
//! still being computed, so the loop-carried path from one output to the
//! next is a multiply and two additions instead of a multiply and three.
//! A filter run sample by sample is bound by that path, not by its
//! arithmetic. The results round differently from [`Biquad`]'s in the last
//! bits (the tests bound the difference).
//!
//! [`Biquad`]: crate::biquad::Biquad

use crate::biquad::BiquadCoefs;

/// A biquad section with one state per channel of a stereo pair.
/// Realtime-safe throughout; coefficients may change between any two
/// samples.
#[derive(Clone, Debug)]
pub struct BiquadPair {
    coefs: BiquadCoefs,
    /// `coefs` widened once: [b0, b1, b2, a1, a2].
    c: [f64; 5],
    /// Per-channel state (left, right).
    s1: [f64; 2],
    s2: [f64; 2],
}

impl BiquadPair {
    /// A pair of filters with the given coefficients and cleared state.
    pub fn new(coefs: BiquadCoefs) -> Self {
        let mut filter = Self {
            coefs,
            c: [0.0; 5],
            s1: [0.0; 2],
            s2: [0.0; 2],
        };
        filter.set_coefs(coefs);
        filter
    }

    /// Replaces the coefficients of both channels, keeping their state.
    pub fn set_coefs(&mut self, coefs: BiquadCoefs) {
        self.coefs = coefs;
        self.c = [
            f64::from(coefs.b0),
            f64::from(coefs.b1),
            f64::from(coefs.b2),
            f64::from(coefs.a1),
            f64::from(coefs.a2),
        ];
    }

    /// Current coefficients.
    pub fn coefs(&self) -> &BiquadCoefs {
        &self.coefs
    }

    /// Clears both states (as if fed silence forever).
    pub fn reset(&mut self) {
        self.s1 = [0.0; 2];
        self.s2 = [0.0; 2];
    }

    /// Whether both states are finite (non-finite input makes them NaN or
    /// infinite; [`reset`](Self::reset) recovers).
    pub fn is_finite(&self) -> bool {
        self.s1.iter().chain(&self.s2).all(|v| v.is_finite())
    }

    /// Filters one stereo sample `[left, right]`.
    #[inline(always)]
    pub fn process(&mut self, x: [f32; 2]) -> [f32; 2] {
        let [b0, b1, b2, a1, a2] = self.c;
        let x = [f64::from(x[0]), f64::from(x[1])];
        let mut y = [0.0f64; 2];
        for k in 0..2 {
            y[k] = b0 * x[k] + self.s1[k];
            self.s1[k] = (b1 * x[k] + self.s2[k]) - a1 * y[k];
            self.s2[k] = b2 * x[k] - a2 * y[k];
        }
        [y[0] as f32, y[1] as f32]
    }

    /// Filters `left` and `right` in place (the shorter length of the two).
    pub fn process_block(&mut self, left: &mut [f32], right: &mut [f32]) {
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            [*l, *r] = self.process([*l, *r]);
        }
    }
}

impl Default for BiquadPair {
    /// A pass-through pair.
    fn default() -> Self {
        Self::new(BiquadCoefs::identity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::biquad::{Biquad, BUTTERWORTH_Q};

    #[test]
    fn each_channel_matches_a_biquad() {
        let designs = [
            BiquadCoefs::lowpass(48_000.0, 18_000.0, BUTTERWORTH_Q),
            BiquadCoefs::highpass(48_000.0, 20.0, BUTTERWORTH_Q),
            BiquadCoefs::lowpass1(48_000.0, 9_000.0),
            BiquadCoefs::peaking(44_100.0, 1_000.0, 2.0, 6.0),
        ];
        let mut s = 7u32;
        let mut noise = move || {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        };
        for k in designs {
            let mut pair = BiquadPair::new(k);
            let (mut l, mut r) = (Biquad::new(k), Biquad::new(k));
            let (mut xl, mut xr): (Vec<f32>, Vec<f32>) =
                (0..3_000).map(|_| (noise(), noise())).unzip();
            let want_l: Vec<f32> = xl.iter().map(|&v| l.process(v)).collect();
            let want_r: Vec<f32> = xr.iter().map(|&v| r.process(v)).collect();
            let (a, b) = xl.split_at_mut(1_000);
            let (c, d) = xr.split_at_mut(1_000);
            for (p, q) in a.iter_mut().zip(c.iter_mut()) {
                [*p, *q] = pair.process([*p, *q]);
            }
            pair.process_block(b, d);
            // f64 arithmetic in another order: within a few f32 ulps.
            for (got, want) in xl.iter().chain(&xr).zip(want_l.iter().chain(&want_r)) {
                assert!(
                    (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                    "{got} vs {want}"
                );
            }
            assert!(pair.is_finite());
        }
        let mut pair = BiquadPair::default();
        assert_eq!(pair.process([0.5, -0.25]), [0.5, -0.25]);
        pair.process([f32::NAN, 0.0]);
        assert!(!pair.is_finite());
        pair.reset();
        assert!(pair.is_finite());
    }
}
