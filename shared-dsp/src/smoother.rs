//! Parameter smoothers: a linear ramp that lands exactly, and a one-pole
//! (exponential) glide.
//!
//! Both are realtime-safe in every method (no allocation, ever) and ignore
//! non-finite targets, so a NaN from a host or a modulation source can never
//! reach the audio path through a smoothed parameter.

/// Linear ramp from the current value to a target over a fixed time.
///
/// A new target restarts the ramp from wherever the value currently is, so the
/// ramp always takes the configured time and the value is continuous. The
/// value is computed as `start + (target − start) · k / n` rather than by
/// accumulating a step, so it cannot drift and equals the target exactly
/// after `n` samples.
#[derive(Clone, Debug)]
pub struct LinearSmoother {
    /// Value at the start of the current ramp.
    start: f32,
    current: f32,
    target: f32,
    /// Samples elapsed in the current ramp.
    step: usize,
    /// Ramp length in samples of the current ramp (0 when not smoothing).
    steps: usize,
    /// `1 / steps`, cached.
    inv_steps: f32,
    /// Configured ramp length in samples.
    ramp_samples: usize,
}

impl LinearSmoother {
    /// Creates a smoother at 0.0 with a zero-length ramp (targets apply
    /// immediately) until [`prepare`](Self::prepare) sets a ramp time.
    pub fn new() -> Self {
        Self {
            start: 0.0,
            current: 0.0,
            target: 0.0,
            step: 0,
            steps: 0,
            inv_steps: 0.0,
            ramp_samples: 0,
        }
    }

    /// Sets the ramp time: `ramp_ms` in milliseconds (≥ 0; negative or NaN
    /// means 0, i.e. jump) at `sample_rate` Hz (> 0; otherwise the ramp is 0
    /// samples). The ramp lasts `round(ramp_ms · sample_rate / 1000)` samples.
    ///
    /// A ramp in progress jumps to its target. Allocation-free, but meant to
    /// be called from `prepare()`.
    pub fn prepare(&mut self, sample_rate: f32, ramp_ms: f32) {
        let samples = f64::from(ramp_ms) * f64::from(sample_rate) * 1e-3;
        self.ramp_samples = if samples.is_finite() && samples > 0.0 {
            // Saturating: absurd ramp times become "very long", not wrapped.
            samples.round().min(u32::MAX as f64) as usize
        } else {
            0
        };
        self.reset(self.target);
    }

    /// Length of a full ramp in samples.
    pub fn ramp_samples(&self) -> usize {
        self.ramp_samples
    }

    /// Jumps to `value` with no ramp (current and target both become
    /// `value`). A non-finite `value` is ignored.
    pub fn reset(&mut self, value: f32) {
        if !value.is_finite() {
            return;
        }
        self.start = value;
        self.current = value;
        self.target = value;
        self.step = 0;
        self.steps = 0;
    }

    /// Starts a ramp from the current value to `target` lasting the
    /// configured ramp time. Setting the target it already has does nothing
    /// (a host re-sending the same value does not stretch the ramp). A
    /// non-finite `target` is ignored and the old target kept.
    pub fn set_target(&mut self, target: f32) {
        if !target.is_finite() || target == self.target {
            return;
        }
        if self.ramp_samples == 0 {
            self.reset(target);
            return;
        }
        self.start = self.current;
        self.target = target;
        self.step = 0;
        self.steps = self.ramp_samples;
        self.inv_steps = 1.0 / self.steps as f32;
    }

    /// Advances one sample and returns the new value.
    #[inline]
    // The name is part of the shared smoother API; this is not an iterator.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> f32 {
        self.skip(1)
    }

    /// Advances `n` samples at once (O(1)) and returns the value reached.
    #[inline]
    pub fn skip(&mut self, n: usize) -> f32 {
        if self.steps != 0 {
            self.step = self.step.saturating_add(n);
            if self.step >= self.steps {
                self.current = self.target;
                self.steps = 0;
                self.step = 0;
            } else {
                let t = self.step as f32 * self.inv_steps;
                self.current = self.start + (self.target - self.start) * t;
            }
        }
        self.current
    }

    /// Fills `out` with the next `out.len()` values (one per sample).
    pub fn fill(&mut self, out: &mut [f32]) {
        if !self.is_smoothing() {
            out.fill(self.current);
            return;
        }
        for v in out.iter_mut() {
            *v = self.next();
        }
    }

    /// The value most recently returned (or set by `reset`).
    pub fn current(&self) -> f32 {
        self.current
    }

    /// The value the ramp is heading to.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// `true` while a ramp is in progress (the value is not yet the target).
    pub fn is_smoothing(&self) -> bool {
        self.steps != 0
    }

    /// Samples left until the current ramp lands (0 when not smoothing).
    pub fn steps_remaining(&self) -> usize {
        self.steps - self.step
    }
}

impl Default for LinearSmoother {
    fn default() -> Self {
        Self::new()
    }
}

/// Exponential glide towards a target: `y += (target − y) · (1 − e^(−1/(τ·fs)))`.
///
/// After τ the value has covered 1 − 1/e ≈ 63.2 % of a step, after 5τ 99.3 %.
/// Unlike [`LinearSmoother`] it never lands by itself; it snaps to the target
/// once within [`OnePoleSmoother::SNAP`] (relative) so that `is_smoothing()`
/// turns false and callers can stop recomputing derived values.
///
/// The running value is kept in f64: in f32 a slow glide (τ of a second at
/// 48 kHz moves the value by 2e-5 of the remaining distance per sample)
/// stalls about 1e-3 short of its target once each step is below half an
/// ulp.
#[derive(Clone, Debug)]
pub struct OnePoleSmoother {
    current: f64,
    target: f64,
    /// Per-sample feedback `e^(−1/(τ·fs))`, in [0, 1); 0 means jump.
    pole: f64,
}

impl OnePoleSmoother {
    /// Relative distance below which the value snaps to the target:
    /// `|target − value| ≤ SNAP · max(|target|, 1)` (−120 dB of a unity
    /// value).
    pub const SNAP: f32 = 1e-6;

    /// Creates a smoother at 0.0 with τ = 0 (targets apply immediately) until
    /// [`prepare`](Self::prepare) sets a time constant.
    pub fn new() -> Self {
        Self {
            current: 0.0,
            target: 0.0,
            pole: 0.0,
        }
    }

    /// Sets the time constant: `tau_ms` in milliseconds (≥ 0; negative or
    /// NaN means 0, i.e. jump) at `sample_rate` Hz (> 0; otherwise jump).
    /// The glide in progress continues from its current value.
    /// Allocation-free.
    pub fn prepare(&mut self, sample_rate: f32, tau_ms: f32) {
        let tau_samples = f64::from(tau_ms) * f64::from(sample_rate) * 1e-3;
        self.pole = if tau_samples.is_finite() && tau_samples > 0.0 {
            (-1.0 / tau_samples).exp()
        } else {
            0.0
        };
    }

    /// Jumps to `value` (current and target). A non-finite `value` is
    /// ignored.
    pub fn reset(&mut self, value: f32) {
        if value.is_finite() {
            self.current = f64::from(value);
            self.target = f64::from(value);
        }
    }

    /// Sets the value to glide towards. A non-finite `target` is ignored.
    pub fn set_target(&mut self, target: f32) {
        if target.is_finite() {
            self.target = f64::from(target);
            if self.pole == 0.0 {
                self.current = self.target;
            }
        }
    }

    /// Moves to `target + diff`, snapping when `diff` is negligible.
    #[inline]
    fn settle(&mut self, diff: f64) -> f32 {
        let snap = f64::from(Self::SNAP) * self.target.abs().max(1.0);
        self.current = if diff.abs() <= snap {
            self.target
        } else {
            self.target + diff
        };
        self.current as f32
    }

    /// Advances one sample and returns the new value.
    #[inline]
    // The name is part of the shared smoother API; this is not an iterator.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> f32 {
        let diff = self.current - self.target;
        if diff == 0.0 {
            return self.current as f32;
        }
        self.settle(diff * self.pole)
    }

    /// Advances `n` samples at once (O(1): `diff · pole^n`) and returns the
    /// value reached.
    pub fn skip(&mut self, n: usize) -> f32 {
        let diff = self.current - self.target;
        if diff == 0.0 || n == 0 {
            return self.current as f32;
        }
        let decay = self.pole.powf(n as f64);
        self.settle(diff * decay)
    }

    /// The value most recently returned (or set by `reset`).
    pub fn current(&self) -> f32 {
        self.current as f32
    }

    /// The value the glide is heading to.
    pub fn target(&self) -> f32 {
        self.target as f32
    }

    /// `true` until the value has snapped to the target.
    pub fn is_smoothing(&self) -> bool {
        self.current != self.target
    }
}

impl Default for OnePoleSmoother {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ramp_lands_exactly_and_is_linear() {
        for (fs, ms) in [
            (44_100.0f32, 10.0f32),
            (48_000.0, 20.0),
            (96_000.0, 3.3),
            (48_000.0, 0.05),
        ] {
            let n = (f64::from(ms) * f64::from(fs) / 1000.0).round() as usize;
            for (from, to) in [(0.0f32, 1.0f32), (1.0, -0.37), (20.0, 20_000.0), (0.1, 0.2)] {
                let mut s = LinearSmoother::new();
                s.prepare(fs, ms);
                assert_eq!(s.ramp_samples(), n);
                s.reset(from);
                s.set_target(to);
                let values: Vec<f32> = (0..n).map(|_| s.next()).collect();
                // Exactly the target after n samples, never before.
                assert_eq!(values[n - 1], to, "fs {fs} ms {ms} {from}->{to}");
                assert!(!s.is_smoothing());
                for (k, &v) in values.iter().enumerate().take(n - 1) {
                    assert_ne!(v, to, "landed early at {k}");
                    let ideal = f64::from(from)
                        + (f64::from(to) - f64::from(from)) * (k + 1) as f64 / n as f64;
                    let tol = 4.0 * f64::from(f32::EPSILON) * f64::from(from.abs().max(to.abs()));
                    assert!((f64::from(v) - ideal).abs() <= tol, "k {k}: {v} vs {ideal}");
                }
                assert_eq!(s.next(), to);
            }
        }
    }

    #[test]
    fn linear_skip_matches_next_and_retarget_is_continuous() {
        let mut a = LinearSmoother::new();
        let mut b = LinearSmoother::new();
        a.prepare(48_000.0, 10.0);
        b.prepare(48_000.0, 10.0);
        a.set_target(2.0);
        b.set_target(2.0);
        for _ in 0..100 {
            a.next();
        }
        assert_eq!(b.skip(100), a.current());
        // Retargeting mid-ramp starts from the current value: no jump.
        let before = a.current();
        a.set_target(-1.0);
        let first = a.next();
        assert!((first - before).abs() <= (before + 1.0).abs() / 480.0 + 1e-6);
        assert_eq!(a.steps_remaining(), 479);
        // Re-sending the same target does not restart the ramp.
        a.set_target(-1.0);
        assert_eq!(a.steps_remaining(), 479);
        assert_eq!(a.skip(10_000), -1.0);
        let mut out = [0.0; 8];
        a.fill(&mut out);
        assert_eq!(out, [-1.0; 8]);
    }

    #[test]
    fn non_finite_targets_are_ignored() {
        let mut s = LinearSmoother::new();
        s.prepare(48_000.0, 5.0);
        s.reset(0.5);
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            s.set_target(bad);
            s.reset(bad);
            assert_eq!(s.target(), 0.5);
            assert_eq!(s.next(), 0.5);
        }
        let mut p = OnePoleSmoother::new();
        p.prepare(48_000.0, 5.0);
        p.reset(0.5);
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            p.set_target(bad);
            p.reset(bad);
            assert_eq!(p.target(), 0.5);
            assert_eq!(p.next(), 0.5);
        }
    }

    #[test]
    fn zero_ramp_jumps() {
        let mut s = LinearSmoother::new();
        s.set_target(3.0);
        assert_eq!(s.current(), 3.0);
        s.prepare(48_000.0, -1.0);
        s.set_target(4.0);
        assert_eq!(s.next(), 4.0);
        let mut p = OnePoleSmoother::new();
        p.set_target(3.0);
        assert_eq!(p.next(), 3.0);
    }

    #[test]
    fn one_pole_reaches_63_percent_at_tau() {
        for fs in [44_100.0f32, 48_000.0, 96_000.0] {
            for tau_ms in [1.0f32, 10.0, 50.0] {
                let mut p = OnePoleSmoother::new();
                p.prepare(fs, tau_ms);
                p.reset(0.0);
                p.set_target(1.0);
                let n = (f64::from(tau_ms) * f64::from(fs) / 1000.0).round() as usize;
                let mut v = 0.0;
                for _ in 0..n {
                    v = p.next();
                }
                let expected = 1.0 - (-1.0f64).exp();
                let rel = (f64::from(v) - expected).abs() / expected;
                assert!(rel < 0.01, "fs {fs} tau {tau_ms}: {v}");
                // skip() follows the same curve.
                let mut q = OnePoleSmoother::new();
                q.prepare(fs, tau_ms);
                q.set_target(1.0);
                assert!((q.skip(n) - v).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn one_pole_snaps_and_stops() {
        let mut p = OnePoleSmoother::new();
        p.prepare(48_000.0, 1.0);
        p.set_target(1.0);
        // 1e-6 relative needs ln(1e6) ≈ 13.8 time constants: still gliding
        // after 13, landed after 14.
        for _ in 0..(48 * 13) {
            p.next();
        }
        assert!(p.is_smoothing());
        for _ in 0..48 {
            p.next();
        }
        assert!(!p.is_smoothing());
        assert_eq!(p.current(), 1.0);
        // A slow glide keeps moving where an f32 state would stall.
        let mut slow = OnePoleSmoother::new();
        slow.prepare(48_000.0, 1_000.0);
        slow.set_target(1.0);
        let after_10_tau = slow.skip(480_000);
        let mut stepped = OnePoleSmoother::new();
        stepped.prepare(48_000.0, 1_000.0);
        stepped.set_target(1.0);
        for _ in 0..480_000 {
            stepped.next();
        }
        let expected = 1.0 - (-10.0f64).exp();
        assert!((f64::from(stepped.current()) - expected).abs() < 1e-6);
        assert!((f64::from(after_10_tau) - expected).abs() < 1e-6);
    }
}
