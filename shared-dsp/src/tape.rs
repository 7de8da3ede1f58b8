//! Tape-transport wow and flutter as a delay-time modulation.
//!
//! A tape echo's delay is the distance between record and playback heads
//! divided by the tape speed, so speed fluctuations become delay
//! fluctuations (and the pitch wavers). Two bands matter (IEC 60386 weights
//! them around 4 Hz): *wow*, slow (here 0.55 Hz) from capstan and reel
//! eccentricity, and *flutter*, fast (here 6.8 Hz) from the pinch roller and
//! scrape. Real transports are not periodic, so a slow random drift is added
//! to the wow.
//!
//! The modulator runs at control rate: one value per tick of the caller's
//! control grid (the engine interpolates between ticks). The random drift is
//! a seeded xorshift sequence, so two runs from `reset()` produce the same
//! modulation whatever the host's block size.

use core::f64::consts::TAU;

/// Peak wow deviation at depth 1, in milliseconds.
pub const WOW_MS: f32 = 2.0;
/// Peak flutter deviation at depth 1, in milliseconds.
pub const FLUTTER_MS: f32 = 0.08;
/// Largest deviation the modulator can return at depth 1, in milliseconds
/// (sine wow + drift + flutter).
pub const MAX_DEVIATION_MS: f32 = WOW_MS * 1.5 + FLUTTER_MS;

const WOW_HZ: f64 = 0.55;
const FLUTTER_HZ: f64 = 6.8;
/// A new drift target every 0.8 s.
const DRIFT_S: f64 = 0.8;

/// Deterministic wow/flutter generator; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct WowFlutter {
    seed: u32,
    rng: u32,
    wow_phase: f64,
    flutter_phase: f64,
    wow_inc: f64,
    flutter_inc: f64,
    drift_from: f64,
    drift_to: f64,
    drift_pos: usize,
    drift_len: usize,
}

impl WowFlutter {
    /// A modulator with its random drift seeded by `seed`.
    pub fn new(seed: u32) -> Self {
        let mut m = Self {
            seed: seed.max(1),
            rng: 1,
            wow_phase: 0.0,
            flutter_phase: 0.0,
            wow_inc: 0.0,
            flutter_inc: 0.0,
            drift_from: 0.0,
            drift_to: 0.0,
            drift_pos: 0,
            drift_len: 1,
        };
        m.prepare(1500.0);
        m
    }

    /// Sets the tick rate in Hz (sample rate / control block; finite and
    /// > 0, otherwise 1500 Hz) and resets.
    pub fn prepare(&mut self, tick_rate_hz: f32) {
        let rate = if tick_rate_hz.is_finite() && tick_rate_hz > 0.0 {
            f64::from(tick_rate_hz)
        } else {
            1500.0
        };
        self.wow_inc = WOW_HZ / rate;
        self.flutter_inc = FLUTTER_HZ / rate;
        self.drift_len = ((DRIFT_S * rate).round() as usize).max(1);
        self.reset();
    }

    /// Restarts the modulation from its first value. Realtime-safe.
    pub fn reset(&mut self) {
        self.rng = self.seed;
        // Start the flutter a quarter turn away from the wow so the two
        // never peak together at the first cycle.
        self.wow_phase = 0.0;
        self.flutter_phase = 0.25;
        self.drift_from = 0.0;
        self.drift_to = self.random();
        self.drift_pos = 0;
    }

    /// Uniform in [−1, 1) (xorshift32).
    fn random(&mut self) -> f64 {
        let mut s = self.rng;
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        self.rng = s;
        f64::from(s >> 8) * (2.0 / 16_777_216.0) - 1.0
    }

    /// Advances one tick and returns the delay deviation in milliseconds
    /// for `depth` (0..=1, clamped; NaN is 0), within
    /// ±[`MAX_DEVIATION_MS`]·depth. Depth 0 returns exactly 0 (the
    /// modulator still advances, so later values do not depend on when the
    /// depth was raised).
    pub fn tick(&mut self, depth: f32) -> f32 {
        self.wow_phase = (self.wow_phase + self.wow_inc).fract();
        self.flutter_phase = (self.flutter_phase + self.flutter_inc).fract();
        self.drift_pos += 1;
        if self.drift_pos >= self.drift_len {
            self.drift_pos = 0;
            self.drift_from = self.drift_to;
            self.drift_to = self.random();
        }
        let depth = if depth.is_nan() {
            0.0
        } else {
            depth.clamp(0.0, 1.0)
        };
        if depth == 0.0 {
            return 0.0;
        }
        // Smoothstep between drift targets: no corners in the delay curve.
        let t = self.drift_pos as f64 / self.drift_len as f64;
        let s = t * t * (3.0 - 2.0 * t);
        let drift = self.drift_from + (self.drift_to - self.drift_from) * s;
        let wow = f64::from(WOW_MS) * ((TAU * self.wow_phase).sin() + 0.5 * drift);
        let flutter = f64::from(FLUTTER_MS) * (TAU * self.flutter_phase).sin();
        (f64::from(depth) * (wow + flutter)) as f32
    }
}

impl Default for WowFlutter {
    fn default() -> Self {
        Self::new(0x5eed_7a9e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_deterministic_and_zero_at_zero_depth() {
        let mut a = WowFlutter::new(3);
        let mut b = WowFlutter::new(3);
        a.prepare(1500.0);
        b.prepare(1500.0);
        let mut peak = 0.0f32;
        for _ in 0..150_000 {
            let v = a.tick(1.0);
            assert_eq!(v, b.tick(1.0));
            assert!(v.abs() <= MAX_DEVIATION_MS);
            peak = peak.max(v.abs());
        }
        // The sine wow alone reaches its full 2 ms at some point.
        assert!(peak > WOW_MS * 0.9, "peak {peak}");
        assert_eq!(a.tick(0.0), 0.0);
        a.reset();
        b.reset();
        assert_eq!(a.tick(0.5), b.tick(0.5));
    }

    #[test]
    fn wow_has_its_period() {
        // Zero crossings of the sine part come every half period: with the
        // drift held at 0 (depth scaling aside) count sign changes of the
        // wow over 20 s at 1500 ticks/s: 2 · 0.55 · 20 = 22.
        let mut m = WowFlutter::new(9);
        m.prepare(1500.0);
        let mut crossings = 0;
        let mut last = 0.0f64;
        for _ in 0..30_000 {
            m.tick(1.0);
            let v = (TAU * m.wow_phase).sin();
            if v * last < 0.0 {
                crossings += 1;
            }
            last = v;
        }
        assert!((21..=23).contains(&crossings), "{crossings}");
    }
}
