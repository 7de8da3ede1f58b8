//! Circular delay line with integer, linear and cubic (Hermite) reads.
//!
//! The buffer length is a power of two so wrapping is a bit mask. Delays are
//! measured from the newest sample: `read(0)` returns the sample just pushed.
//!
//! Cubic reads use the 4-point, 3rd-order Hermite (Catmull–Rom) interpolator
//! rather than 4-point Lagrange. Both cost the same four taps; Lagrange is a
//! little flatter at low frequencies, but its piecewise polynomials only join
//! with matching values, so a delay swept across an integer boundary (chorus,
//! tape-style echo) sees a jump in slope. Hermite matches slopes as well
//! (C¹), which keeps modulated delays free of that roughness; for a sine at
//! ω rad/sample its error is about 0.016·ω³ (3.6e-5 at 1 kHz / 48 kHz, where
//! linear interpolation errs by ω²/8 = 2.1e-3).

/// Largest `max_delay_samples` accepted by [`DelayLine::prepare`]
/// (2^28 samples: 93 minutes at 48 kHz, 1 GiB of buffer).
pub const MAX_DELAY_LIMIT: usize = 1 << 28;

/// A single-channel delay line. `prepare` allocates; every other method is
/// realtime-safe.
#[derive(Clone, Debug)]
pub struct DelayLine {
    buf: Vec<f32>,
    /// `buf.len() - 1`; the length is a power of two.
    mask: usize,
    /// Index of the newest sample.
    write: usize,
    /// Longest delay that reads honour, in samples.
    max_delay: usize,
}

impl DelayLine {
    /// An empty line with a maximum delay of 0 samples (a tiny buffer, so
    /// reads before [`prepare`](Self::prepare) are valid and return 0).
    pub fn new() -> Self {
        let mut line = Self {
            buf: Vec::new(),
            mask: 0,
            write: 0,
            max_delay: 0,
        };
        line.prepare(0);
        line
    }

    /// Allocates room for delays up to `max_delay_samples` (clamped to
    /// [`MAX_DELAY_LIMIT`]) and clears the line. The buffer is the next power
    /// of two above `max_delay_samples + 3` (the cubic read looks two samples
    /// past the longest delay).
    pub fn prepare(&mut self, max_delay_samples: usize) {
        let max_delay = max_delay_samples.min(MAX_DELAY_LIMIT);
        let len = (max_delay + 3).next_power_of_two();
        self.buf.clear();
        self.buf.resize(len, 0.0);
        self.mask = len - 1;
        self.write = 0;
        self.max_delay = max_delay;
    }

    /// Longest delay honoured by reads, in samples.
    pub fn max_delay(&self) -> usize {
        self.max_delay
    }

    /// Clears the stored signal to silence.
    pub fn reset(&mut self) {
        self.buf.fill(0.0);
        self.write = 0;
    }

    /// Appends one sample; it becomes delay 0.
    #[inline]
    pub fn push(&mut self, x: f32) {
        self.write = (self.write + 1) & self.mask;
        self.buf[self.write] = x;
    }

    /// Sample `delay` samples ago, without clamping (`delay` ≤ max + 2).
    #[inline]
    fn tap(&self, delay: usize) -> f32 {
        self.buf[self.write.wrapping_sub(delay) & self.mask]
    }

    /// Splits a fractional delay, clamped to [0, max] (NaN → 0), into whole
    /// samples and a fraction in [0, 1).
    #[inline]
    fn split(&self, delay: f32) -> (usize, f32) {
        let max = self.max_delay as f32;
        let d = if delay >= 0.0 { delay.min(max) } else { 0.0 };
        let whole = d as usize;
        (whole, d - whole as f32)
    }

    /// The sample pushed `delay` pushes ago (0 = the newest), with `delay`
    /// clamped to [0, max_delay].
    #[inline]
    pub fn read(&self, delay: usize) -> f32 {
        self.tap(delay.min(self.max_delay))
    }

    /// Copies `out.len()` consecutive samples, oldest first, the newest of
    /// them `delay` pushes ago: `out[j]` = the sample `delay + len − 1 − j`
    /// pushes ago. Delays are clamped to [0, max_delay] per sample, as in
    /// [`read`](Self::read). At most two contiguous copies.
    pub fn read_block(&self, delay: usize, out: &mut [f32]) {
        let len = out.len();
        if len == 0 {
            return;
        }
        if delay + len - 1 > self.max_delay {
            for (j, o) in out.iter_mut().enumerate() {
                *o = self.read(delay + len - 1 - j);
            }
            return;
        }
        let start = self.write.wrapping_sub(delay + len - 1) & self.mask;
        let first = (self.buf.len() - start).min(len);
        out[..first].copy_from_slice(&self.buf[start..start + first]);
        out[first..].copy_from_slice(&self.buf[..len - first]);
    }

    /// Linearly interpolated read at a fractional `delay` in samples, clamped
    /// to [0, max_delay] (NaN reads delay 0). The delay's f32 resolution is
    /// about 6e-8 of its value.
    #[inline]
    pub fn read_linear(&self, delay: f32) -> f32 {
        let (i, t) = self.split(delay);
        let y0 = self.tap(i);
        let y1 = self.tap(i + 1);
        y0 + t * (y1 - y0)
    }

    /// 4-point Hermite (Catmull–Rom) read at a fractional `delay` in samples,
    /// clamped to [0, max_delay] (NaN reads delay 0). Below one sample of
    /// delay the point "after" the newest sample does not exist yet; the
    /// newest sample stands in for it, which lowers accuracy there to about
    /// that of linear interpolation.
    #[inline]
    pub fn read_cubic(&self, delay: f32) -> f32 {
        let (i, t) = self.split(delay);
        let newer = self.tap(i.saturating_sub(1));
        let y0 = self.tap(i);
        let y1 = self.tap(i + 1);
        let older = self.tap(i + 2);
        let c1 = 0.5 * (y1 - newer);
        let c2 = newer - 2.5 * y0 + 2.0 * y1 - 0.5 * older;
        let c3 = 0.5 * (older - newer) + 1.5 * (y0 - y1);
        ((c3 * t + c2) * t + c1) * t + y0
    }

    /// [`read_cubic`](Self::read_cubic) at `whole + frac` samples, with the
    /// delay already split by the caller (`whole` clamped to
    /// [0, max_delay], `frac` in [0, 1)). Callers that track a delay in f64
    /// keep its full resolution this way: an f32 delay of 4 s at 192 kHz
    /// only resolves 1/16 sample.
    #[inline(always)]
    pub fn read_cubic_split(&self, whole: usize, frac: f32) -> f32 {
        let i = whole.min(self.max_delay);
        let t = if i == self.max_delay { 0.0 } else { frac };
        let newer = self.tap(i.saturating_sub(1));
        let y0 = self.tap(i);
        let y1 = self.tap(i + 1);
        let older = self.tap(i + 2);
        let c1 = 0.5 * (y1 - newer);
        let c2 = newer - 2.5 * y0 + 2.0 * y1 - 0.5 * older;
        let c3 = 0.5 * (older - newer) + 1.5 * (y0 - y1);
        ((c3 * t + c2) * t + c1) * t + y0
    }
}

impl Default for DelayLine {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_reads_match_single_reads() {
        let mut line = DelayLine::new();
        line.prepare(100);
        for i in 0..1000 {
            line.push(i as f32);
            for (delay, len) in [(0, 1), (0, 17), (5, 40), (60, 41), (90, 20), (0, 128)] {
                let mut block = vec![0.0; len];
                line.read_block(delay, &mut block);
                for (j, v) in block.iter().enumerate() {
                    assert_eq!(*v, line.read(delay + len - 1 - j), "{i} {delay} {len} {j}");
                }
            }
        }
    }
    use crate::util::test_support::Noise;
    use core::f64::consts::PI;

    #[test]
    fn integer_delays_are_exact_and_clamped() {
        let max = 100;
        let mut line = DelayLine::new();
        line.prepare(max);
        assert_eq!(line.max_delay(), max);
        let mut noise = Noise::new(11);
        let input: Vec<f32> = (0..1000).map(|_| noise.sample()).collect();
        for (n, &x) in input.iter().enumerate() {
            line.push(x);
            for d in [0usize, 1, 2, 37, 99, 100] {
                let expected = if d <= n { input[n - d] } else { 0.0 };
                assert_eq!(line.read(d), expected, "n {n} d {d}");
                // Integer delays through the interpolators are exact too.
                assert_eq!(line.read_linear(d as f32), expected);
                assert_eq!(line.read_cubic(d as f32), expected);
            }
            assert_eq!(line.read(1_000_000), line.read(max));
            assert_eq!(line.read_linear(1e9), line.read(max));
            assert_eq!(line.read_cubic(f32::INFINITY), line.read(max));
            assert_eq!(line.read_cubic(-3.0), line.read(0));
            assert_eq!(line.read_linear(f32::NAN), line.read(0));
        }
        line.reset();
        assert!((0..=max).all(|d| line.read(d) == 0.0));
    }

    #[test]
    fn fractional_delay_of_a_sine_matches_the_analytic_delay() {
        // Taylor bounds for a unit sine at ω rad/sample: linear errs by at
        // most ω²/8; Catmull–Rom's slope estimates are off by f'''/6, giving
        // max_t |t(1−t)(1−2t)|·ω³/6 = 0.0962·ω³/6, plus fourth-order terms
        // bounded by ω⁴/192.
        for freq in [1_000.0f64, 5_000.0] {
            let w = 2.0 * PI * freq / 48_000.0;
            let linear_bound = w * w / 8.0 + 1e-6;
            let cubic_bound = 0.0962 * w.powi(3) / 6.0 + w.powi(4) / 192.0 + 1e-6;
            for delay in [1.1f32, 10.25, 10.5, 33.79, 200.9] {
                let mut line = DelayLine::new();
                line.prepare(256);
                let (mut err_linear, mut err_cubic) = (0.0f64, 0.0f64);
                for n in 0..4_800 {
                    line.push((w * n as f64).sin() as f32);
                    if n < 300 {
                        continue;
                    }
                    let expected = (w * (n as f64 - f64::from(delay))).sin();
                    err_linear =
                        err_linear.max((f64::from(line.read_linear(delay)) - expected).abs());
                    err_cubic = err_cubic.max((f64::from(line.read_cubic(delay)) - expected).abs());
                }
                assert!(
                    err_linear <= linear_bound,
                    "{freq} Hz d {delay}: linear {err_linear}"
                );
                assert!(
                    err_cubic <= cubic_bound,
                    "{freq} Hz d {delay}: cubic {err_cubic}"
                );
                if freq == 1_000.0 && delay != 10.5 {
                    // An order of ω better; at d = n + ½ Catmull–Rom's
                    // leading error term vanishes and it is better still.
                    assert!(
                        err_cubic * 20.0 < err_linear,
                        "d {delay}: {err_cubic} vs {err_linear}"
                    );
                }
            }
        }
    }

    #[test]
    fn split_cubic_read_matches_the_f32_read() {
        let mut line = DelayLine::new();
        line.prepare(300);
        let mut noise = Noise::new(5);
        for _ in 0..1000 {
            line.push(noise.sample());
        }
        for delay in [0.0f32, 0.25, 1.5, 17.125, 299.75] {
            let whole = delay as usize;
            let frac = delay - whole as f32;
            assert_eq!(line.read_cubic_split(whole, frac), line.read_cubic(delay));
        }
        assert_eq!(line.read_cubic_split(10_000, 0.5), line.read(300));
    }

    #[test]
    fn interpolated_impulse_has_unity_dc_gain() {
        for delay in [0.3f32, 1.0, 2.5, 7.77, 100.01] {
            let mut line = DelayLine::new();
            line.prepare(128);
            let (mut sum_linear, mut sum_cubic) = (0.0f64, 0.0f64);
            for n in 0..256 {
                line.push(if n == 0 { 1.0 } else { 0.0 });
                sum_linear += f64::from(line.read_linear(delay));
                sum_cubic += f64::from(line.read_cubic(delay));
            }
            assert!((sum_linear - 1.0).abs() < 1e-6, "{delay}: {sum_linear}");
            assert!((sum_cubic - 1.0).abs() < 1e-6, "{delay}: {sum_cubic}");
        }
    }

    #[test]
    fn buffer_is_a_power_of_two_covering_the_cubic_taps() {
        for max in [0usize, 1, 5, 61, 62, 1000, 48_000] {
            let mut line = DelayLine::new();
            line.prepare(max);
            assert!(line.buf.len().is_power_of_two());
            assert!(line.buf.len() >= max + 3);
            // The oldest cubic tap must not alias the newest sample.
            for n in 0..=(max + 2) {
                line.push(n as f32);
            }
            assert_eq!(line.tap(max + 2), 0.0);
            assert_eq!(line.read(max), 2.0);
        }
        let line = DelayLine::new();
        assert_eq!(line.read(5), 0.0);
        assert_eq!(line.read_cubic(0.5), 0.0);
    }
}
