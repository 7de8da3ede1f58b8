//! Writing audio files: WAV (16- or 24-bit integer with dither, or 32-bit float) and FLAC (16-
//! or 24-bit), with title/artist/album/track tags, always atomically (see [`crate::atomic`]).
//!
//! Word-length reduction happens once, in [`quantize`], before anything is measured or written:
//! the samples a report describes are the samples in the file.

use crate::atomic::write_atomically;
use crate::clip::Clip;
use crate::metadata::Tags;
use glass_dsp::dither::{DitherDepth, Ditherer};
use std::io::Write;
use std::path::Path;

/// File type of an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// RIFF WAVE.
    Wav,
    /// Free Lossless Audio Codec.
    Flac,
}

impl Container {
    /// The container an output path's extension asks for (`.wav`/`.wave`, `.flac`).
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "wav" | "wave" => Some(Self::Wav),
            "flac" => Some(Self::Flac),
            _ => None,
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Wav => "wav",
            Self::Flac => "flac",
        }
    }
}

/// Sample encoding of an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// 16-bit integer PCM.
    Int16,
    /// 24-bit integer PCM.
    Int24,
    /// 32-bit IEEE float (WAV only).
    Float32,
}

impl Encoding {
    /// Bits of an integer encoding, `None` for float.
    pub fn int_bits(self) -> Option<u32> {
        match self {
            Self::Int16 => Some(16),
            Self::Int24 => Some(24),
            Self::Float32 => None,
        }
    }
}

/// Word-length reduction for integer outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DitherMode {
    /// Plain rounding (truncation distortion on quiet material).
    Off,
    /// ±1 LSB triangular-PDF dither.
    Tpdf,
    /// TPDF dither with noise shaping (noise moved towards the least audible frequencies).
    Shaped,
}

/// Audio ready to be written: for integer encodings every sample lies exactly on the integer
/// grid (code / 2^(bits-1)), within the code range.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantized {
    /// The samples as they will be stored.
    pub clip: Clip,
    /// Their encoding.
    pub encoding: Encoding,
    /// Samples that exceeded the integer range and were clipped (0 for float).
    pub clipped: usize,
}

/// Reduces `clip` to `encoding` with `dither`: integer encodings are dithered (each channel with
/// its own seeded generator, so renders repeat exactly), rounded and clipped to the code range;
/// float passes unchanged. Non-finite samples must have been rejected before.
pub fn quantize(clip: &Clip, encoding: Encoding, dither: DitherMode) -> Quantized {
    let Some(bits) = encoding.int_bits() else {
        return Quantized {
            clip: clip.clone(),
            encoding,
            clipped: 0,
        };
    };
    let scale = (1u32 << (bits - 1)) as f32;
    let (lo, hi) = (-scale, scale - 1.0);
    let depth = if bits == 16 {
        DitherDepth::Bits16
    } else {
        DitherDepth::Bits24
    };
    let mut clipped = 0;
    let channels = clip
        .channels
        .iter()
        .enumerate()
        .map(|(c, channel)| {
            let mut ditherer = Ditherer::new(0x5EED_0001 ^ (c as u32).wrapping_mul(0x9E37_79B9));
            match dither {
                DitherMode::Off => ditherer.set(DitherDepth::Off, false),
                DitherMode::Tpdf => ditherer.set(depth, false),
                DitherMode::Shaped => ditherer.set(depth, true),
            }
            channel
                .iter()
                .map(|&x| {
                    let code = (ditherer.process(x) * scale).round();
                    if code < lo || code > hi {
                        clipped += 1;
                    }
                    code.clamp(lo, hi) / scale
                })
                .collect()
        })
        .collect();
    Quantized {
        clip: Clip {
            sample_rate: clip.sample_rate,
            channels,
        },
        encoding,
        clipped,
    }
}

/// Writes `audio` to `path` as `container`, with `tags`, atomically.
pub fn write(
    path: &Path,
    audio: &Quantized,
    container: Container,
    tags: &Tags,
) -> Result<(), String> {
    let channels = audio.clip.channels.len();
    if channels == 0 || channels > 8 && container == Container::Flac || channels > 65_535 {
        return Err(format!(
            "cannot write {}: {channels} channels",
            path.display()
        ));
    }
    match container {
        Container::Wav => {
            let bytes_per_sample = match audio.encoding {
                Encoding::Int16 => 2,
                Encoding::Int24 => 3,
                Encoding::Float32 => 4,
            };
            let data_len = audio.clip.frames() as u64 * channels as u64 * bytes_per_sample;
            if data_len + 1024 + tags.riff_info_chunk().len() as u64 > u64::from(u32::MAX) {
                return Err(format!(
                    "cannot write {}: longer than a WAV file can hold (4 GiB); write FLAC",
                    path.display()
                ));
            }
            write_atomically(path, |out| write_wav(out, audio, tags))
        }
        Container::Flac => {
            let bytes = encode_flac(audio, tags)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            write_atomically(path, |out| out.write_all(&bytes))
        }
    }
}

/// KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT without their first two bytes (the format tag).
const SUBTYPE_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

fn write_wav(out: &mut impl Write, audio: &Quantized, tags: &Tags) -> std::io::Result<()> {
    let channels = audio.clip.channels.len() as u16;
    let frames = audio.clip.frames();
    let (tag, bits): (u16, u16) = match audio.encoding {
        Encoding::Int16 => (1, 16),
        Encoding::Int24 => (1, 24),
        Encoding::Float32 => (3, 32),
    };
    let block_align = channels * bits / 8;
    // More than two channels need WAVE_FORMAT_EXTENSIBLE to say which is which; mono and stereo
    // keep the plain header every reader understands.
    let extensible = channels > 2;
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&(if extensible { 0xFFFE } else { tag }).to_le_bytes());
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&audio.clip.sample_rate.to_le_bytes());
    fmt.extend_from_slice(&(audio.clip.sample_rate * u32::from(block_align)).to_le_bytes());
    fmt.extend_from_slice(&block_align.to_le_bytes());
    fmt.extend_from_slice(&bits.to_le_bytes());
    if extensible {
        fmt.extend_from_slice(&22u16.to_le_bytes());
        fmt.extend_from_slice(&bits.to_le_bytes());
        let mask: u32 = if channels <= 18 {
            (1u32 << channels) - 1
        } else {
            0
        };
        fmt.extend_from_slice(&mask.to_le_bytes());
        fmt.extend_from_slice(&tag.to_le_bytes());
        fmt.extend_from_slice(&SUBTYPE_TAIL);
    } else if tag == 3 {
        fmt.extend_from_slice(&0u16.to_le_bytes());
    }
    let mut header = Vec::new();
    header.extend_from_slice(b"fmt ");
    header.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
    header.extend_from_slice(&fmt);
    if tag == 3 {
        // Non-PCM formats carry a fact chunk with the frame count.
        header.extend_from_slice(b"fact");
        header.extend_from_slice(&4u32.to_le_bytes());
        header.extend_from_slice(&(frames as u32).to_le_bytes());
    }
    // INFO before the data, where streaming readers look for it.
    header.extend_from_slice(&tags.riff_info_chunk());
    let data_len = frames * usize::from(block_align);
    let pad = data_len % 2;
    let riff_len = 4 + header.len() + 8 + data_len + pad;
    out.write_all(b"RIFF")?;
    out.write_all(&(riff_len as u32).to_le_bytes())?;
    out.write_all(b"WAVE")?;
    out.write_all(&header)?;
    out.write_all(b"data")?;
    out.write_all(&(data_len as u32).to_le_bytes())?;
    let mut frame = Vec::with_capacity(usize::from(block_align));
    for i in 0..frames {
        frame.clear();
        for channel in &audio.clip.channels {
            let x = channel[i];
            match audio.encoding {
                Encoding::Int16 => {
                    frame.extend_from_slice(&((x * 32_768.0) as i16).to_le_bytes());
                }
                Encoding::Int24 => {
                    let code = (x * 8_388_608.0) as i32;
                    frame.extend_from_slice(&code.to_le_bytes()[..3]);
                }
                Encoding::Float32 => frame.extend_from_slice(&x.to_le_bytes()),
            }
        }
        out.write_all(&frame)?;
    }
    if pad == 1 {
        out.write_all(&[0])?;
    }
    Ok(())
}

/// The whole FLAC stream: STREAMINFO (with the MD5 of the samples, so players can verify
/// it), a VORBIS_COMMENT block when there are tags, then the frames.
fn encode_flac(audio: &Quantized, tags: &Tags) -> Result<Vec<u8>, String> {
    let bits = audio
        .encoding
        .int_bits()
        .ok_or("FLAC stores integer samples: choose 16 or 24 bits (--format s16|s24)")?;
    let scale = (1u32 << (bits - 1)) as f32;
    let codes: Vec<Vec<i32>> = audio
        .clip
        .channels
        .iter()
        .map(|c| c.iter().map(|&x| (x * scale) as i32).collect())
        .collect();
    let comment = (!tags.is_empty())
        .then(|| tags.vorbis_comment(concat!("glass ", env!("CARGO_PKG_VERSION"))));
    crate::flac::encode(&codes, bits, audio.clip.sample_rate, comment.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp() -> Clip {
        Clip {
            sample_rate: 44_100,
            channels: vec![
                (0..1000).map(|i| (i as f32 / 500.0 - 1.0) * 0.9).collect(),
                (0..1000).map(|i| ((i as f32) * 0.05).sin() * 0.3).collect(),
            ],
        }
    }

    #[test]
    fn integer_quantisation_lands_on_the_grid_within_the_dither_bound() {
        let clip = ramp();
        for (encoding, bits) in [(Encoding::Int16, 16), (Encoding::Int24, 24)] {
            let scale = (1u32 << (bits - 1)) as f32;
            for dither in [DitherMode::Off, DitherMode::Tpdf] {
                let q = quantize(&clip, encoding, dither);
                assert_eq!(q.clipped, 0);
                let bound = match dither {
                    DitherMode::Off => 0.5,
                    _ => glass_dsp::dither::max_deviation_lsb(false),
                } / scale
                    + 1e-7;
                for (a, b) in clip.channels.iter().zip(&q.clip.channels) {
                    for (x, y) in a.iter().zip(b) {
                        assert_eq!((y * scale).fract(), 0.0, "{y} is off the {bits}-bit grid");
                        assert!((x - y).abs() <= bound, "{x} -> {y}");
                    }
                }
            }
        }
    }

    #[test]
    fn over_full_scale_samples_are_clipped_and_counted() {
        let clip = Clip {
            sample_rate: 48_000,
            channels: vec![vec![1.5, -1.5, 0.0]],
        };
        let q = quantize(&clip, Encoding::Int16, DitherMode::Off);
        assert_eq!(q.clipped, 2);
        assert_eq!(q.clip.channels[0], vec![32_767.0 / 32_768.0, -1.0, 0.0]);
        let f = quantize(&clip, Encoding::Float32, DitherMode::Tpdf);
        assert_eq!(f.clip, clip);
    }

    #[test]
    fn wav_headers_describe_the_data() {
        let q = quantize(&ramp(), Encoding::Int24, DitherMode::Off);
        let mut bytes = Vec::new();
        write_wav(&mut bytes, &q, &Tags::default()).expect("write");
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(
            u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize,
            bytes.len() - 8
        );
        assert_eq!(&bytes[8..16], b"WAVEfmt ");
        let data = bytes.windows(4).position(|w| w == b"data").expect("data");
        let len = u32::from_le_bytes(bytes[data + 4..data + 8].try_into().unwrap());
        assert_eq!(len as usize, 1000 * 2 * 3);
    }

    #[test]
    fn files_decode_to_the_quantised_samples_with_their_tags() {
        let dir = std::env::temp_dir().join(format!("glass-encode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        // 10 000 frames: two full 4096-sample FLAC blocks and a shorter last one.
        let clip = Clip {
            sample_rate: 44_100,
            channels: vec![
                (0..10_000)
                    .map(|i| ((i as f32) * 0.01).sin() * 0.7)
                    .collect(),
                (0..10_000)
                    .map(|i| ((i as f32) * 0.003).cos() * 0.2)
                    .collect(),
            ],
        };
        let tags = Tags {
            title: Some("Title".into()),
            artist: Some("Artist".into()),
            album: Some("Album".into()),
            track_number: Some(3),
            track_total: Some(9),
        };
        for (container, encoding) in [
            (Container::Flac, Encoding::Int16),
            (Container::Flac, Encoding::Int24),
            (Container::Wav, Encoding::Int16),
            (Container::Wav, Encoding::Int24),
            (Container::Wav, Encoding::Float32),
        ] {
            let q = quantize(&clip, encoding, DitherMode::Tpdf);
            let path = dir.join(format!("t.{}", container.extension()));
            write(&path, &q, container, &tags).expect("write");
            let back = crate::decode::read(&path).expect("decode");
            assert_eq!(back.clip, q.clip, "{container:?} {encoding:?}");
            assert_eq!(back.tags, tags, "{container:?} {encoding:?}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn flac_refuses_float() {
        let q = quantize(&ramp(), Encoding::Float32, DitherMode::Off);
        let err = encode_flac(&q, &Tags::default()).unwrap_err();
        assert!(err.contains("16 or 24"), "{err}");
    }
}
