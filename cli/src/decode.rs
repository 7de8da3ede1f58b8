//! Reading audio files of any supported format (WAV, AIFF, FLAC, MP3, Ogg Vorbis) into planar
//! `f32` channels, with the file's own tags.
//!
//! Decoding is strict: a file that ends before its header says it should, a packet that does
//! not decode or a FLAC whose MD5 signature does not match the decoded audio is reported as
//! corrupt instead of being processed in part.

use crate::clip::Clip;
use crate::metadata::Tags;
use std::fs::File;
use std::path::Path;
use symphonia::core::audio::sample::SampleFormat;
use symphonia::core::codecs::audio::well_known::{CODEC_ID_MP3, CODEC_ID_VORBIS};
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::{MetadataOptions, MetadataRevision, StandardTag};

/// How the source file stored its samples; decides what "the same format" means for output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFormat {
    /// Container, e.g. `wave`, `flac`, `aiff`, `mp3`, `ogg`.
    pub container: String,
    /// Bits per sample of integer PCM or FLAC; `None` for float and lossy codecs.
    pub int_bits: Option<u32>,
    /// The samples were stored as floating point.
    pub float: bool,
    /// The codec is lossy (MP3, Vorbis).
    pub lossy: bool,
    /// Sample rate in Hz, if the header gives it.
    pub sample_rate: Option<u32>,
}

/// A decoded file.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The audio, full scale ±1.0.
    pub clip: Clip,
    /// How the file stored it.
    pub source: SourceFormat,
    /// Title, artist, album and track number, where the file has them.
    pub tags: Tags,
}

fn corrupt(path: &Path, what: impl std::fmt::Display) -> String {
    format!(
        "cannot read {}: corrupt or unsupported audio ({what})",
        path.display()
    )
}

fn read_tags(revision: Option<&MetadataRevision>, tags: &mut Tags) {
    let Some(revision) = revision else {
        return;
    };
    for tag in revision.media.tags.iter().chain(
        revision
            .per_track
            .iter()
            .flat_map(|t| t.metadata.tags.iter()),
    ) {
        match &tag.std {
            Some(StandardTag::TrackTitle(v)) => tags.title = Some(v.to_string()),
            Some(StandardTag::Artist(v)) => tags.artist = Some(v.to_string()),
            Some(StandardTag::Album(v)) => tags.album = Some(v.to_string()),
            Some(StandardTag::TrackNumber(n)) => tags.track_number = u32::try_from(*n).ok(),
            Some(StandardTag::TrackTotal(n)) => tags.track_total = u32::try_from(*n).ok(),
            _ => {}
        }
    }
}

/// An opened file: demuxer, decoder and what the header says.
struct Opened {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    expected_frames: Option<u64>,
    sample_rate: Option<u32>,
    source: SourceFormat,
}

fn open(path: &Path) -> Result<Opened, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.is_dir() {
        return Err(format!("cannot read {}: it is a directory", path.display()));
    }
    let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.len() == 0 {
        return Err(format!("cannot read {}: the file is empty", path.display()));
    }
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let format = symphonia::default::get_probe()
        .probe(
            &hint,
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymphoniaError::Unsupported(_) => format!(
                "cannot read {}: not a supported audio file (WAV, AIFF, FLAC, MP3 or Ogg \
                 Vorbis)",
                path.display()
            ),
            other => corrupt(path, other),
        })?;
    let container = format.format_info().short_name.to_string();
    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(|| corrupt(path, "no audio track"))?;
    let track_id = track.id;
    let expected_frames = track.num_frames;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| corrupt(path, "no audio codec parameters"))?
        .clone();
    let codec = params.codec;
    let lossy = codec == CODEC_ID_MP3 || codec == CODEC_ID_VORBIS;
    let float = matches!(
        params.sample_format,
        Some(SampleFormat::F32) | Some(SampleFormat::F64)
    );
    let source = SourceFormat {
        container,
        int_bits: if lossy || float {
            None
        } else {
            params.bits_per_sample
        },
        float,
        lossy,
        sample_rate: params.sample_rate,
    };
    let decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default().verify(true))
        .map_err(|e| match e {
            SymphoniaError::Unsupported(what) => {
                format!("cannot read {}: unsupported codec ({what})", path.display())
            }
            other => corrupt(path, other),
        })?;
    Ok(Opened {
        format,
        decoder,
        track_id,
        expected_frames,
        sample_rate: params.sample_rate,
        source,
    })
}

/// Checks that `path` opens as a supported audio file (header and codec), without decoding
/// the audio: the quick check before a batch starts.
pub fn probe(path: &Path) -> Result<SourceFormat, String> {
    open(path).map(|o| o.source)
}

/// Decodes the whole file at `path`. Errors name the file and say what is wrong with it
/// (missing, unreadable, not audio, corrupt, truncated).
pub fn read(path: &Path) -> Result<Decoded, String> {
    let Opened {
        mut format,
        mut decoder,
        track_id,
        expected_frames,
        sample_rate,
        source,
    } = open(path)?;
    let lossy = source.lossy;
    let mut tags = Tags::default();
    read_tags(format.metadata().skip_to_latest(), &mut tags);
    // symphonia 0.6 parses a WAV file's INFO list but does not hand it out; read it directly.
    if let Some(info) = crate::metadata::read_riff_info(path) {
        tags = info;
    }

    let mut sample_rate = sample_rate;
    let mut channels: Vec<Vec<f32>> = Vec::new();
    let mut block: Vec<Vec<f32>> = Vec::new();
    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            Err(e) => {
                let at = channels.first().map_or(0, Vec::len) as f64
                    / f64::from(sample_rate.unwrap_or(48_000));
                return Err(corrupt(path, format!("{e}, {at:.2} s into the audio")));
            }
        };
        if packet.track_id != track_id {
            continue;
        }
        let decoded = decoder.decode(&packet).map_err(|e| {
            let at = channels.first().map_or(0, Vec::len) as f64
                / f64::from(sample_rate.unwrap_or(48_000));
            corrupt(path, format!("{e}, {at:.2} s into the audio"))
        })?;
        if sample_rate.is_none() {
            sample_rate = Some(decoded.spec().rate());
        }
        decoded.copy_to_vecs_planar::<f32>(&mut block);
        if channels.is_empty() {
            channels = vec![Vec::new(); block.len()];
        }
        if block.len() != channels.len() {
            return Err(corrupt(path, "the channel count changes within the stream"));
        }
        for (dst, src) in channels.iter_mut().zip(&block) {
            dst.extend_from_slice(src);
        }
    }
    if decoder.finalize().verify_ok == Some(false) {
        return Err(corrupt(
            path,
            "the decoded audio does not match the file's checksum",
        ));
    }
    let frames = channels.first().map_or(0, Vec::len) as u64;
    // Lossless containers know their exact length; fewer frames means the file was cut short.
    if let (Some(expected), false) = (expected_frames, lossy) {
        if frames < expected {
            return Err(corrupt(
                path,
                format!(
                    "truncated: the header announces {expected} frames, the file holds {frames}"
                ),
            ));
        }
    }
    if channels.is_empty() || frames == 0 {
        return Err(format!(
            "cannot read {}: no audio in the file",
            path.display()
        ));
    }
    let sample_rate = sample_rate
        .filter(|&r| r > 0)
        .ok_or_else(|| corrupt(path, "no sample rate"))?;
    Ok(Decoded {
        clip: Clip {
            sample_rate,
            channels,
        },
        source,
        tags,
    })
}
