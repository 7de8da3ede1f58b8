//! A piece of audio in memory: planar `f32` channels at a sample rate.

/// Planar audio: `channels[c][i]` is sample `i` of channel `c`, full scale ±1.0.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// Sample rate in Hz, > 0.
    pub sample_rate: u32,
    /// One vector per channel, all of the same length.
    pub channels: Vec<Vec<f32>>,
}

impl Clip {
    /// A clip of `channels` channels of `frames` samples of silence.
    pub fn silence(sample_rate: u32, channels: usize, frames: usize) -> Self {
        Self {
            sample_rate,
            channels: vec![vec![0.0; frames]; channels],
        }
    }

    /// Length in sample frames.
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate.max(1))
    }

    /// The channels as slices, for meters that take `&[&[f32]]`.
    pub fn slices(&self) -> Vec<&[f32]> {
        self.channels.iter().map(Vec::as_slice).collect()
    }

    /// This clip with `wanted` channels: mono is copied to every channel; a wider clip is
    /// refused (down-mixing is a creative decision this tool does not make for the user).
    pub fn with_channels(&self, wanted: usize) -> Result<Self, String> {
        let have = self.channels.len();
        if have == wanted {
            return Ok(self.clone());
        }
        if have == 1 && wanted > 1 {
            return Ok(Self {
                sample_rate: self.sample_rate,
                channels: vec![self.channels[0].clone(); wanted],
            });
        }
        Err(format!(
            "{have} channel(s) cannot be fed to {wanted} channel(s)"
        ))
    }

    /// The index of the first NaN or infinite sample, as (channel, frame).
    pub fn first_non_finite(&self) -> Option<(usize, usize)> {
        self.channels
            .iter()
            .enumerate()
            .find_map(|(c, ch)| ch.iter().position(|x| !x.is_finite()).map(|i| (c, i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_spreads_to_stereo_and_wider_clips_are_refused() {
        let mono = Clip {
            sample_rate: 48_000,
            channels: vec![vec![0.5, -0.5]],
        };
        let stereo = mono.with_channels(2).expect("mono to stereo");
        assert_eq!(stereo.channels, vec![vec![0.5, -0.5], vec![0.5, -0.5]]);
        assert!(stereo.with_channels(1).is_err());
        assert_eq!(stereo.frames(), 2);
        assert!((Clip::silence(48_000, 2, 24_000).seconds() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn non_finite_samples_are_located() {
        let clip = Clip {
            sample_rate: 48_000,
            channels: vec![vec![0.0, 1.0], vec![0.0, f32::NAN]],
        };
        assert_eq!(clip.first_non_finite(), Some((1, 1)));
    }
}
