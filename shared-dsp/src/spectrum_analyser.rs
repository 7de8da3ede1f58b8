//! A spectrum analyser for editors: the last `size` samples, Hann-windowed,
//! through a real FFT, as dB per bin.
//!
//! Runs on the GUI thread (it allocates in `new` only); the audio thread
//! hands it samples through a lock-free queue. Levels are calibrated so a
//! full-scale sine centred on a bin reads 0 dB there whatever the FFT size:
//! such a sine gives |X[k]| = Σw / 2, so every bin is divided by that
//! (computed once from the window itself).

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Lowest level reported, dB (silence reads this, never −∞).
pub const FLOOR_DB: f32 = -150.0;

/// The analyser. `new` allocates; `push` and `compute` do not.
pub struct SpectrumAnalyser {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// The last `size` samples, a ring written at `pos`.
    ring: Vec<f32>,
    pos: usize,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    db: Vec<f32>,
    /// Amplitude of a full-scale sine's bin before scaling, inverted.
    scale: f32,
}

impl SpectrumAnalyser {
    /// An analyser over the last `size` samples (a power of two, clamped to
    /// 256..=65536).
    pub fn new(size: usize) -> Self {
        let size = size.clamp(256, 65_536).next_power_of_two();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(size);
        let window: Vec<f32> = (0..size)
            .map(|i| {
                let x = core::f32::consts::TAU * i as f32 / size as f32;
                0.5 - 0.5 * x.cos()
            })
            .collect();
        // A sine of amplitude 1 centred on a bin gives |X| = A·Σw/2.
        let coherent = window.iter().sum::<f32>() * 0.5;
        Self {
            input: fft.make_input_vec(),
            output: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            db: vec![FLOOR_DB; size / 2 + 1],
            ring: vec![0.0; size],
            pos: 0,
            window,
            scale: 1.0 / coherent,
            fft,
        }
    }

    /// FFT size in samples.
    pub fn size(&self) -> usize {
        self.ring.len()
    }

    /// Appends samples (non-finite ones as 0).
    pub fn push(&mut self, samples: &[f32]) {
        let n = self.ring.len();
        for &x in samples {
            self.ring[self.pos] = if x.is_finite() { x } else { 0.0 };
            self.pos = (self.pos + 1) % n;
        }
    }

    /// The spectrum of the last `size` samples: `size / 2 + 1` levels in dB
    /// (bin k at k · fs / size Hz), a full-scale sine reading 0 dB.
    pub fn compute(&mut self) -> &[f32] {
        let n = self.ring.len();
        for (i, (x, w)) in self.input.iter_mut().zip(&self.window).enumerate() {
            *x = self.ring[(self.pos + i) % n] * w;
        }
        if self
            .fft
            .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch)
            .is_err()
        {
            return &self.db;
        }
        for (d, c) in self.db.iter_mut().zip(&self.output) {
            let a = c.norm() * self.scale;
            *d = if a > 0.0 {
                (20.0 * a.log10()).max(FLOOR_DB)
            } else {
                FLOOR_DB
            };
        }
        &self.db
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_scale_sine_reads_0_db_at_its_bin_and_silence_the_floor() {
        for size in [1024, 4096] {
            let mut a = SpectrumAnalyser::new(size);
            assert_eq!(
                a.compute().iter().cloned().fold(f32::MIN, f32::max),
                FLOOR_DB
            );
            let fs = 48_000.0;
            let bin = 37;
            let f = bin as f32 * fs / size as f32;
            let x: Vec<f32> = (0..size * 2)
                .map(|i| (core::f32::consts::TAU * f * i as f32 / fs).sin())
                .collect();
            a.push(&x);
            let db = a.compute();
            assert!(db[bin].abs() < 0.01, "{size}: {} dB", db[bin]);
            // Hann leakage: the neighbours −6 dB, two bins away nothing.
            assert!((db[bin + 1] + 6.02).abs() < 0.05);
            assert!(db[bin + 3] < -100.0);
            // Half amplitude reads −6.02 dB.
            let half: Vec<f32> = x.iter().map(|v| v * 0.5).collect();
            a.push(&half);
            assert!((a.compute()[bin] + 6.02).abs() < 0.01);
        }
    }
}
