//! A chain of Schroeder allpass filters that smears transients without
//! colouring the long-term spectrum, for diffusing the repeats of a delay.
//!
//! Each stage is M. R. Schroeder's allpass ("Natural sounding artificial
//! reverberation", JAES 10(3), 1962):
//!
//! ```text
//! w[n] = x[n] + g · w[n − M]
//! y[n] = −g · w[n] + w[n − M]
//! ```
//!
//! with |H(e^jω)| = 1 for every ω, so a diffuser inside a feedback loop never
//! changes the loop gain (the repeats do not grow or fade faster), only how
//! each repeat is spread in time. Stage lengths are mutually prime-ish
//! (1.53, 2.39, 3.71, 5.27 ms) so their echo densities do not line up.
//!
//! The four stages are written in lockstep, so they live in one
//! [`DelayBank`]; [`Diffuser::process_block`] runs a block through one stage
//! after the other (every stage's delay is at least the block, so a stage's
//! block needs none of its own new output), with the same arithmetic per
//! sample as [`Diffuser::process`].

use crate::delay_bank::{DelayBank, GUARD};

/// Stage lengths in milliseconds.
const STAGE_MS: [f32; 4] = [1.53, 2.39, 3.71, 5.27];
/// Allpass gain at full amount (0.7 keeps the chain's ringing short).
const MAX_GAIN: f32 = 0.7;

/// Four allpass stages in series. `prepare` allocates; the rest is
/// realtime-safe.
#[derive(Clone, Debug, Default)]
pub struct Diffuser {
    /// One line per stage: `w[n]` of each.
    stages: DelayBank,
    lengths: [usize; 4],
    gain: f32,
}

impl Diffuser {
    /// A diffuser with no room yet; call [`prepare`](Self::prepare).
    pub fn new() -> Self {
        Self::default()
    }

    /// Allocates the stages for `sample_rate` Hz (finite, > 0; otherwise
    /// 48 kHz) and clears them.
    pub fn prepare(&mut self, sample_rate: f32) {
        let fs = if sample_rate.is_finite() && sample_rate > 0.0 {
            sample_rate
        } else {
            48_000.0
        };
        for (len, ms) in self.lengths.iter_mut().zip(STAGE_MS) {
            *len = ((ms * fs * 1e-3).round() as usize).max(1);
        }
        let longest = self.lengths.iter().copied().max().unwrap_or(1);
        self.stages.prepare(STAGE_MS.len(), longest);
    }

    /// Clears the stored signal. Realtime-safe.
    pub fn reset(&mut self) {
        self.stages.reset();
    }

    /// Sets the amount, 0..=1 (clamped; NaN is 0): the allpass gain is
    /// `0.7 · amount`. At 0 every stage passes its input through delayed
    /// by nothing; callers skip [`process`](Self::process) then.
    pub fn set_amount(&mut self, amount: f32) {
        let a = if amount.is_nan() {
            0.0
        } else {
            amount.clamp(0.0, 1.0)
        };
        self.gain = MAX_GAIN * a;
    }

    /// The allpass gain in use, 0..=0.7.
    pub fn gain(&self) -> f32 {
        self.gain
    }

    /// Total length of the stages in samples (how far a transient is
    /// spread, before the stages' own ringing).
    pub fn spread_samples(&self) -> usize {
        self.lengths.iter().sum()
    }

    /// Diffuses one sample.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let g = self.gain;
        let mut v = x;
        for (stage, &len) in self.lengths.iter().enumerate() {
            let delayed = self.stages.tap(stage, len);
            let w = v + g * delayed;
            self.stages.write_one(stage, w);
            v = delayed - g * w;
        }
        self.stages.advance(1);
        v
    }

    /// Diffuses `x` in place: the same output as [`process`](Self::process)
    /// sample by sample, a stage at a time over pieces no longer than the
    /// shortest stage.
    pub fn process_block(&mut self, x: &mut [f32]) {
        let g = self.gain;
        let piece = self.lengths.iter().copied().min().unwrap_or(1).min(GUARD);
        for v in x.chunks_mut(piece.max(1)) {
            let n = v.len();
            for (stage, &len) in self.lengths.iter().enumerate() {
                // Every w[n − M] of the piece was written before it.
                let mut w = [0.0f32; GUARD];
                for ((v, w), &delayed) in v
                    .iter_mut()
                    .zip(w.iter_mut())
                    .zip(self.stages.window(stage, len, n))
                {
                    *w = *v + g * delayed;
                    *v = delayed - g * *w;
                }
                match <&[f32; 32]>::try_from(&w[..n]) {
                    // A whole control block goes in as an array (no memcpy
                    // call).
                    Ok(block) => self.stages.write_block(stage, block),
                    Err(_) => self.stages.write(stage, &w[..n]),
                }
            }
            self.stages.advance(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impulse_response_keeps_its_energy() {
        // An allpass has unit energy gain: Σ h[n]² = 1.
        let mut d = Diffuser::new();
        d.prepare(48_000.0);
        d.set_amount(1.0);
        let mut energy = 0.0f64;
        let mut peak = 0.0f32;
        for n in 0..48_000 {
            let y = d.process(if n == 0 { 1.0 } else { 0.0 });
            energy += f64::from(y) * f64::from(y);
            peak = peak.max(y.abs());
        }
        assert!((energy - 1.0).abs() < 1e-4, "energy {energy}");
        // Diffused: no single sample keeps more than half the impulse.
        assert!(peak < 0.5, "peak {peak}");
    }

    #[test]
    fn zero_amount_is_a_pure_delay() {
        let mut d = Diffuser::new();
        d.prepare(48_000.0);
        d.set_amount(0.0);
        let spread = d.spread_samples();
        let out: Vec<f32> = (0..spread + 10)
            .map(|n| d.process(if n == 0 { 1.0 } else { 0.0 }))
            .collect();
        assert_eq!(out[spread], 1.0);
        assert_eq!(out.iter().filter(|v| **v != 0.0).count(), 1);
        d.set_amount(f32::NAN);
        assert_eq!(d.gain(), 0.0);
    }

    #[test]
    fn block_and_sample_paths_agree_at_any_rate() {
        for fs in [8_000.0f32, 22_050.0, 48_000.0, 192_000.0] {
            let (mut a, mut b) = (Diffuser::new(), Diffuser::new());
            for d in [&mut a, &mut b] {
                d.prepare(fs);
                d.set_amount(0.8);
            }
            let mut s = 1u32;
            let x: Vec<f32> = (0..5_000)
                .map(|_| {
                    s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (s >> 8) as f32 / (1u32 << 23) as f32 - 1.0
                })
                .collect();
            let one: Vec<f32> = x.iter().map(|&v| a.process(v)).collect();
            let mut blocks = x.clone();
            for (k, chunk) in blocks.chunks_mut(97).enumerate() {
                let (p, q) = chunk.split_at_mut((k * 13) % chunk.len());
                b.process_block(p);
                b.process_block(q);
            }
            assert_eq!(one, blocks, "{fs} Hz");
        }
    }
}
