//! Sample-rate conversion of whole clips (`--rate`), with rubato's synchronous FFT resampler:
//! the ratio of two integer rates is exact and fixed, which is the case it is built for, and it
//! trims its own delay, so sample `i` of the output lies at time `i / rate_out` of the input.

use crate::clip::Clip;
use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{Fft, FixedSync, Resampler, WindowFunction};

/// Frames per FFT chunk. One sub-chunk of this size keeps the anti-aliasing filter's transition
/// close to Nyquist (shorter chunks lower the cut-off, see rubato's `calculate_cutoff`); the
/// latency that costs does not matter offline.
const CHUNK: usize = 4096;

/// `clip` at `rate` Hz; the clip itself when it already is. The output holds
/// `ceil(frames · rate / clip.sample_rate)` frames.
pub fn resample(clip: &Clip, rate: u32) -> Result<Clip, String> {
    if rate == clip.sample_rate {
        return Ok(clip.clone());
    }
    if rate == 0 {
        return Err("the sample rate must be above 0 Hz".into());
    }
    let channels = clip.channels.len();
    let frames = clip.frames();
    let failed = |e: &dyn std::fmt::Display| {
        format!("cannot convert {} Hz to {rate} Hz: {e}", clip.sample_rate)
    };
    let mut resampler = Fft::<f32>::new_custom(
        clip.sample_rate as usize,
        rate as usize,
        CHUNK,
        1,
        channels,
        WindowFunction::BlackmanHarris2,
        FixedSync::Input,
    )
    .map_err(|e| failed(&e))?;
    let needed = resampler.process_all_needed_output_len(frames);
    let mut output = vec![vec![0.0f32; needed]; channels];
    let input =
        SequentialSliceOfVecs::new(&clip.channels, channels, frames).map_err(|e| failed(&e))?;
    let (_, produced) = {
        let mut out = SequentialSliceOfVecs::new_mut(&mut output, channels, needed)
            .map_err(|e| failed(&e))?;
        resampler
            .process_all_into_buffer(&input, &mut out, frames, None)
            .map_err(|e| failed(&e))?
    };
    // rubato rounds the length from a floating-point ratio (44.1 → 48 kHz of 44 100 frames
    // gives 48 001); the exact length comes from the integer rates.
    let exact = (frames as u64 * u64::from(rate)).div_ceil(u64::from(clip.sample_rate)) as usize;
    for channel in &mut output {
        channel.truncate(produced.min(exact));
    }
    Ok(Clip {
        sample_rate: rate,
        channels: output,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::TAU;

    fn sine(rate: u32, freq: f64, frames: usize) -> Clip {
        Clip {
            sample_rate: rate,
            channels: vec![(0..frames)
                .map(|i| (0.5 * (TAU * freq * i as f64 / f64::from(rate)).sin()) as f32)
                .collect()],
        }
    }

    #[test]
    fn a_sine_keeps_its_frequency_level_and_timing() {
        for (from, to) in [(44_100, 48_000), (48_000, 44_100), (48_000, 96_000)] {
            let input = sine(from, 997.0, from as usize);
            let out = resample(&input, to).expect("resample");
            let expected = (input.frames() as u64 * u64::from(to)).div_ceil(u64::from(from));
            assert_eq!(out.frames() as u64, expected, "{from} -> {to}");
            assert_eq!(out.sample_rate, to);
            // Away from the edges (where the filter sees the clip start and end), the output is
            // the same sine sampled at the new rate: timing and level both preserved.
            let reference = sine(to, 997.0, out.frames());
            let (a, b) = (out.frames() / 10, out.frames() * 9 / 10);
            let err = out.channels[0][a..b]
                .iter()
                .zip(&reference.channels[0][a..b])
                .map(|(x, y)| (x - y).abs())
                .fold(0.0f32, f32::max);
            assert!(err < 1e-4, "{from} -> {to}: max error {err}");
        }
    }

    #[test]
    fn the_same_rate_is_a_copy() {
        let input = sine(48_000, 100.0, 100);
        assert_eq!(resample(&input, 48_000).expect("same rate"), input);
    }
}
