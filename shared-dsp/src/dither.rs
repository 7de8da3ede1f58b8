//! Output word-length reduction with TPDF dither and optional noise shaping.
//!
//! Triangular-PDF dither of ±1 LSB makes the quantisation error independent
//! of the signal (no distortion, no noise modulation: Wannamaker, Lipshitz &
//! Vanderkooy, "A theory of non-subtractive dither", IEEE TSP 2000). Noise
//! shaping feeds the error back through a short filter so the noise moves to
//! where hearing is least sensitive; the 3-tap weights are Wannamaker's
//! F-weighted set ("Psychoacoustically optimal noise shaping", JAES 1992).

/// Target word length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DitherDepth {
    /// No dither, no quantisation: the float signal passes untouched.
    #[default]
    Off,
    /// Quantise to 16 bits.
    Bits16,
    /// Quantise to 24 bits.
    Bits24,
}

impl DitherDepth {
    /// Bits of the target word, or `None` when off.
    pub fn bits(self) -> Option<u32> {
        match self {
            Self::Off => None,
            Self::Bits16 => Some(16),
            Self::Bits24 => Some(24),
        }
    }
}

/// Error-feedback weights of the noise shaper (applied to e[n-1..n-3]).
const SHAPING: [f32; 3] = [1.623, -0.982, 0.109];

/// Largest distance between input and dithered output, in LSB: ±0.5 rounding
/// plus ±1 dither, and with shaping the fed-back error (each |e| ≤ 1.5 LSB,
/// clamped) through weights summing to 2.714 in magnitude.
pub fn max_deviation_lsb(shaping: bool) -> f32 {
    if shaping {
        1.5 + 1.5 * SHAPING.iter().map(|c| c.abs()).sum::<f32>()
    } else {
        1.5
    }
}

/// One channel of dither + quantisation. Realtime-safe, no allocation.
#[derive(Clone, Debug)]
pub struct Ditherer {
    depth: DitherDepth,
    shaping: bool,
    scale: f32,
    lsb: f32,
    rng: u32,
    error: [f32; 3],
}

impl Default for Ditherer {
    fn default() -> Self {
        Self::new(0x9e37_79b9)
    }
}

impl Ditherer {
    /// A ditherer seeded with `seed` (channels should use different seeds so
    /// their dither is uncorrelated). Starts off.
    pub fn new(seed: u32) -> Self {
        Self {
            depth: DitherDepth::Off,
            shaping: false,
            scale: 1.0,
            lsb: 0.0,
            rng: seed.max(1),
            error: [0.0; 3],
        }
    }

    /// Sets word length and noise shaping; clears the shaping history when
    /// either changes.
    pub fn set(&mut self, depth: DitherDepth, shaping: bool) {
        if depth != self.depth || shaping != self.shaping {
            self.error = [0.0; 3];
        }
        self.depth = depth;
        self.shaping = shaping;
        match depth.bits() {
            Some(bits) => {
                self.scale = (1u32 << (bits - 1)) as f32;
                self.lsb = 1.0 / self.scale;
            }
            None => {
                self.scale = 1.0;
                self.lsb = 0.0;
            }
        }
    }

    /// One LSB of the target word (0 when off).
    pub fn lsb(&self) -> f32 {
        self.lsb
    }

    /// Clears the noise-shaping history (the random sequence continues).
    pub fn reset(&mut self) {
        self.error = [0.0; 3];
    }

    #[inline]
    fn uniform(&mut self) -> f32 {
        // xorshift32: plenty for dither, and deterministic so renders repeat.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        (x >> 8) as f32 * (1.0 / 16_777_216.0)
    }

    /// Dithers and quantises one sample (identity when off).
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        if self.depth == DitherDepth::Off {
            return x;
        }
        let v = if self.shaping {
            x - (SHAPING[0] * self.error[0]
                + SHAPING[1] * self.error[1]
                + SHAPING[2] * self.error[2])
        } else {
            x
        };
        let d = self.uniform() - self.uniform();
        let q = ((v * self.scale + d).round()) / self.scale;
        if self.shaping {
            // Clamp so a clipped or non-finite stretch cannot wind the
            // feedback loop up.
            let e = (q - v).clamp(-1.5 * self.lsb, 1.5 * self.lsb);
            self.error = [e, self.error[0], self.error[1]];
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_is_identity_and_on_lands_on_the_grid() {
        let mut d = Ditherer::new(1);
        assert_eq!(d.process(0.123_456_78), 0.123_456_78);
        d.set(DitherDepth::Bits16, false);
        for i in 0..1000 {
            let x = (i as f32 * 0.01).sin() * 0.5;
            let y = d.process(x);
            let k = y * 32768.0;
            assert_eq!(k, k.round());
            assert!((y - x).abs() <= max_deviation_lsb(false) * d.lsb() + 1e-9);
        }
    }

    #[test]
    fn tpdf_noise_has_the_expected_power_and_no_mean() {
        // TPDF ±1 LSB plus rounding: error variance = Δ²/6 + Δ²/12 = Δ²/4.
        let mut d = Ditherer::new(7);
        d.set(DitherDepth::Bits16, false);
        let n = 200_000;
        let (mut sum, mut sq) = (0.0f64, 0.0f64);
        for i in 0..n {
            let x = 0.25 * (i as f32 * 0.001).sin();
            let e = (d.process(x) - x) as f64 / d.lsb() as f64;
            sum += e;
            sq += e * e;
        }
        let mean = sum / n as f64;
        let var = sq / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 0.25).abs() < 0.01, "variance {var}");
    }

    #[test]
    fn shaped_error_stays_bounded_and_moves_noise_up() {
        let mut d = Ditherer::new(3);
        d.set(DitherDepth::Bits16, true);
        let mut err = Vec::new();
        for i in 0..65536 {
            let x = 0.3 * (i as f32 * 0.02).sin();
            let y = d.process(x);
            assert!((y - x).abs() <= max_deviation_lsb(true) * d.lsb() + 1e-9);
            err.push((y - x) as f64);
        }
        // Compare error power below fs/8 and above 3fs/8 via first differences:
        // shaped noise has most of its power at high frequencies, so the
        // lag-1 autocorrelation is strongly negative.
        let r0: f64 = err.iter().map(|e| e * e).sum();
        let r1: f64 = err.windows(2).map(|w| w[0] * w[1]).sum();
        assert!(r1 / r0 < -0.5, "lag-1 correlation {}", r1 / r0);
    }
}
