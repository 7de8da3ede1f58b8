//! WAV files in and out (via `hound`), as planar `f32` channels.

use std::fmt;
use std::path::{Path, PathBuf};

/// Sample encoding of a WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    /// Signed integer PCM with this many bits (8, 16, 24 or 32).
    Int(u16),
    /// 32-bit IEEE float.
    Float32,
}

/// A decoded WAV file: one vector per channel, samples in `[-1, 1]` for integer files.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Planar samples, `channels[c][i]`.
    pub channels: Vec<Vec<f32>>,
    /// Encoding of the source file.
    pub format: SampleFormat,
}

/// A WAV read or write failure, with the file it concerns.
#[derive(Debug)]
pub struct WavError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

impl fmt::Display for WavError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for WavError {}

fn wav_error(path: &Path, reason: impl ToString) -> WavError {
    WavError {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Reads a PCM (8–32 bit integer) or 32-bit float WAV file.
pub fn read(path: &Path) -> Result<Audio, WavError> {
    let mut reader = hound::WavReader::open(path).map_err(|e| wav_error(path, e))?;
    let spec = reader.spec();
    let channel_count = usize::from(spec.channels);
    if channel_count == 0 {
        return Err(wav_error(path, "the file has no channels"));
    }
    let (format, interleaved): (SampleFormat, Vec<f32>) = match spec.sample_format {
        hound::SampleFormat::Float if spec.bits_per_sample == 32 => (
            SampleFormat::Float32,
            reader
                .samples::<f32>()
                .collect::<Result<_, _>>()
                .map_err(|e| wav_error(path, e))?,
        ),
        hound::SampleFormat::Int if (8..=32).contains(&spec.bits_per_sample) => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f64;
            (
                SampleFormat::Int(spec.bits_per_sample),
                reader
                    .samples::<i32>()
                    .map(|s| s.map(|s| (f64::from(s) * scale) as f32))
                    .collect::<Result<_, _>>()
                    .map_err(|e| wav_error(path, e))?,
            )
        }
        _ => {
            return Err(wav_error(
                path,
                format!(
                    "unsupported sample format ({} bit {:?})",
                    spec.bits_per_sample, spec.sample_format
                ),
            ))
        }
    };
    let frames = interleaved.len() / channel_count;
    let mut channels = vec![Vec::with_capacity(frames); channel_count];
    for frame in interleaved.chunks_exact(channel_count) {
        for (c, &s) in channels.iter_mut().zip(frame) {
            c.push(s);
        }
    }
    Ok(Audio {
        sample_rate: spec.sample_rate,
        channels,
        format,
    })
}

/// Writes `audio` to `path` atomically: into a temporary file next to it, renamed over `path`
/// only once complete, so a failed render never leaves a truncated file behind. Integer formats
/// are rounded and clipped to their range.
pub fn write(path: &Path, audio: &Audio) -> Result<(), WavError> {
    let channel_count = u16::try_from(audio.channels.len())
        .ok()
        .filter(|&c| c > 0)
        .ok_or_else(|| wav_error(path, "cannot write a file with 0 or > 65535 channels"))?;
    let spec = match audio.format {
        SampleFormat::Float32 => hound::WavSpec {
            channels: channel_count,
            sample_rate: audio.sample_rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        },
        SampleFormat::Int(bits) if (8..=32).contains(&bits) => hound::WavSpec {
            channels: channel_count,
            sample_rate: audio.sample_rate,
            bits_per_sample: bits,
            sample_format: hound::SampleFormat::Int,
        },
        SampleFormat::Int(bits) => return Err(wav_error(path, format!("cannot write {bits}-bit"))),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| wav_error(path, "not a file path"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let result = write_spec(&temp, spec, audio)
        .and_then(|()| std::fs::rename(&temp, path).map_err(|e| wav_error(path, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

fn write_spec(path: &Path, spec: hound::WavSpec, audio: &Audio) -> Result<(), WavError> {
    let mut writer = hound::WavWriter::create(path, spec).map_err(|e| wav_error(path, e))?;
    let frames = audio.channels.iter().map(Vec::len).max().unwrap_or(0);
    let full_scale = (1u64 << (spec.bits_per_sample - 1)) as f64;
    for i in 0..frames {
        for channel in &audio.channels {
            let x = channel.get(i).copied().unwrap_or(0.0);
            let written = if spec.sample_format == hound::SampleFormat::Float {
                writer.write_sample(x)
            } else {
                let q = (f64::from(x) * full_scale)
                    .round()
                    .clamp(-full_scale, full_scale - 1.0);
                writer.write_sample(q as i32)
            };
            written.map_err(|e| wav_error(path, e))?;
        }
    }
    writer.finalize().map_err(|e| wav_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("glass-wav-{}-{name}", std::process::id()))
    }

    fn ramp() -> Vec<Vec<f32>> {
        let left: Vec<f32> = (0..1000).map(|i| i as f32 / 500.0 - 1.0).collect();
        let right = left.iter().map(|x| -x * 0.5).collect();
        vec![left, right]
    }

    #[test]
    fn float_files_round_trip_exactly() {
        let path = temp("f32.wav");
        let audio = Audio {
            sample_rate: 44_100,
            channels: ramp(),
            format: SampleFormat::Float32,
        };
        write(&path, &audio).expect("write");
        let back = read(&path).expect("read");
        let _ = std::fs::remove_file(&path);
        assert_eq!(back, audio);
    }

    #[test]
    fn integer_files_round_trip_within_half_a_step() {
        for bits in [16u16, 24] {
            let path = temp(&format!("s{bits}.wav"));
            let audio = Audio {
                sample_rate: 48_000,
                channels: ramp(),
                format: SampleFormat::Int(bits),
            };
            write(&path, &audio).expect("write");
            let back = read(&path).expect("read");
            let _ = std::fs::remove_file(&path);
            assert_eq!(back.format, SampleFormat::Int(bits));
            // Rounding to the nearest step errs by at most half a step; +1.0 clips to the
            // largest code, one step below full scale.
            let step = 1.0 / f64::from(1u32 << (bits - 1));
            for (a, b) in audio.channels.iter().zip(&back.channels) {
                for (x, y) in a.iter().zip(b) {
                    let limit = if *x >= 1.0 { step } else { 0.5 * step + 1e-9 };
                    assert!(f64::from((x - y).abs()) <= limit, "{bits} bit: {x} -> {y}");
                }
            }
        }
    }

    #[test]
    fn failed_writes_leave_no_file() {
        let dir = temp("missing-dir");
        let path = dir.join("out.wav");
        let audio = Audio {
            sample_rate: 48_000,
            channels: ramp(),
            format: SampleFormat::Float32,
        };
        assert!(write(&path, &audio).is_err());
        assert!(!dir.exists());
        assert!(read(&path).is_err());
    }
}
