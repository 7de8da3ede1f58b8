//! Album assembly: the track list (from the command line and/or a manifest), gaps, file names,
//! and joining mastered tracks into one continuous file.
//!
//! A manifest is a JSON file:
//!
//! ```json
//! { "album": "Night Drive", "artist": "The Examples", "gap": "2s",
//!   "tracks": [ { "file": "intro.wav", "title": "Intro" },
//!               { "file": "song.flac", "title": "Song", "artist": "The Examples feat. Guest" } ] }
//! ```
//!
//! Track files are relative to the manifest. Tracks given on the command line take the place
//! of the manifest's files (same number, same order); titles default to the file's own tag or
//! its name.

use crate::clip::Clip;
use crate::metadata::Tags;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One track of the album.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackSpec {
    /// The audio file.
    pub file: PathBuf,
    /// Title from the manifest, if any.
    pub title: Option<String>,
    /// Artist from the manifest, if any (else the album artist).
    pub artist: Option<String>,
}

/// What the manifest says about the album.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Manifest {
    /// Album title.
    pub album: Option<String>,
    /// Album artist.
    pub artist: Option<String>,
    /// Gap between tracks, seconds.
    pub gap_s: Option<f64>,
    /// Tracks in order (files may be missing when the command line gives them).
    pub tracks: Vec<(Option<PathBuf>, Option<String>, Option<String>)>,
}

/// Parses a duration: `2s`, `2`, `1.5 s`, `500ms`, `0`.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let t = text.trim().to_lowercase();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else {
        (t.as_str(), 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v * scale),
        _ => Err(format!(
            "{text:?} is not a duration (examples: 2s, 1.5, 500ms)"
        )),
    }
}

fn text_field(
    object: &serde_json::Map<String, Value>,
    key: &str,
    source: &str,
) -> Result<Option<String>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{source}: {key:?} must be a string")),
    }
}

/// Reads a manifest; track files are resolved against the manifest's directory.
pub fn load_manifest(path: &Path) -> Result<Manifest, String> {
    let source = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read manifest {source}: {e}"))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("manifest {source} is not valid JSON: {e}"))?;
    let object = value
        .as_object()
        .ok_or_else(|| format!("manifest {source}: expected a JSON object"))?;
    for key in object.keys() {
        if !matches!(key.as_str(), "album" | "artist" | "gap" | "tracks") {
            return Err(format!(
                "manifest {source}: unknown field {key:?} (known: album, artist, gap, tracks)"
            ));
        }
    }
    let base = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    let gap_s = match object.get("gap") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(parse_duration(&n.to_string())?),
        Some(Value::String(s)) => Some(parse_duration(s)?),
        Some(_) => return Err(format!("manifest {source}: \"gap\" must be like \"2s\"")),
    };
    let mut tracks = Vec::new();
    if let Some(list) = object.get("tracks") {
        let list = list
            .as_array()
            .ok_or_else(|| format!("manifest {source}: \"tracks\" must be an array"))?;
        for (i, track) in list.iter().enumerate() {
            let where_ = format!("manifest {source}, track {}", i + 1);
            let entry = match track {
                Value::String(title) => (None, Some(title.clone()), None),
                Value::Object(o) => {
                    for key in o.keys() {
                        if !matches!(key.as_str(), "file" | "title" | "artist") {
                            return Err(format!(
                                "{where_}: unknown field {key:?} (known: file, title, artist)"
                            ));
                        }
                    }
                    (
                        text_field(o, "file", &where_)?.map(|f| base.join(f)),
                        text_field(o, "title", &where_)?,
                        text_field(o, "artist", &where_)?,
                    )
                }
                _ => return Err(format!("{where_}: expected an object or a title")),
            };
            tracks.push(entry);
        }
    }
    Ok(Manifest {
        album: text_field(object, "album", &source)?,
        artist: text_field(object, "artist", &source)?,
        gap_s,
        tracks,
    })
}

/// The track list: command-line files (with the manifest's titles in order, if it lists the
/// same number of tracks), or the manifest's files.
pub fn track_list(files: &[PathBuf], manifest: &Manifest) -> Result<Vec<TrackSpec>, String> {
    if files.is_empty() {
        if manifest.tracks.is_empty() {
            return Err("no tracks: give the track files, or a manifest that lists them".into());
        }
        return manifest
            .tracks
            .iter()
            .enumerate()
            .map(|(i, (file, title, artist))| {
                let file = file.clone().ok_or_else(|| {
                    format!(
                        "manifest track {} has no \"file\" (or give the files on the command \
                         line)",
                        i + 1
                    )
                })?;
                Ok(TrackSpec {
                    file,
                    title: title.clone(),
                    artist: artist.clone(),
                })
            })
            .collect();
    }
    if !manifest.tracks.is_empty() && manifest.tracks.len() != files.len() {
        return Err(format!(
            "{} track files given, but the manifest lists {} tracks",
            files.len(),
            manifest.tracks.len()
        ));
    }
    Ok(files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let (_, title, artist) = manifest.tracks.get(i).cloned().unwrap_or_default();
            TrackSpec {
                file: file.clone(),
                title,
                artist,
            }
        })
        .collect())
}

/// The tags of track `number` (1-based) of `total`: manifest first, then the file's own tags,
/// then the file name for the title.
pub fn track_tags(
    spec: &TrackSpec,
    file_tags: &Tags,
    manifest: &Manifest,
    number: u32,
    total: u32,
) -> Tags {
    let stem = spec
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned());
    Tags {
        title: spec.title.clone().or(file_tags.title.clone()).or(stem),
        artist: spec
            .artist
            .clone()
            .or(manifest.artist.clone())
            .or(file_tags.artist.clone()),
        album: manifest.album.clone().or(file_tags.album.clone()),
        track_number: Some(number),
        track_total: Some(total),
    }
}

/// A file name made of `text`: path separators, control characters and characters that
/// Windows refuses become `_`; leading dots are dropped (no hidden files); empty → `untitled`.
pub fn file_name_part(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_string();
    if cleaned.is_empty() {
        "untitled".into()
    } else {
        cleaned
    }
}

/// Where each track starts in the joined album, in frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Assembly {
    /// The album as one clip.
    pub clip: Clip,
    /// First frame of each track.
    pub starts: Vec<usize>,
}

/// Joins `tracks` (same rate and channel count) in order with `gap_frames` of digital silence
/// between consecutive tracks (none before the first or after the last).
pub fn assemble(tracks: &[&Clip], gap_frames: usize) -> Result<Assembly, String> {
    let first = tracks.first().ok_or("an album needs at least one track")?;
    let (rate, channels) = (first.sample_rate, first.channels.len());
    if let Some(bad) = tracks
        .iter()
        .find(|t| t.sample_rate != rate || t.channels.len() != channels)
    {
        return Err(format!(
            "tracks differ in format ({} Hz × {} vs {} Hz × {})",
            rate,
            channels,
            bad.sample_rate,
            bad.channels.len()
        ));
    }
    let total: usize =
        tracks.iter().map(|t| t.frames()).sum::<usize>() + gap_frames * (tracks.len() - 1);
    let mut out = vec![Vec::with_capacity(total); channels];
    let mut starts = Vec::with_capacity(tracks.len());
    for (i, track) in tracks.iter().enumerate() {
        if i > 0 {
            for c in &mut out {
                c.resize(c.len() + gap_frames, 0.0);
            }
        }
        starts.push(out[0].len());
        for (dst, src) in out.iter_mut().zip(&track.channels) {
            dst.extend_from_slice(src);
        }
    }
    Ok(Assembly {
        clip: Clip {
            sample_rate: rate,
            channels: out,
        },
        starts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_and_without_units() {
        assert_eq!(parse_duration("2s"), Ok(2.0));
        assert_eq!(parse_duration("1.5"), Ok(1.5));
        assert_eq!(parse_duration("500ms"), Ok(0.5));
        assert_eq!(parse_duration(" 0 s "), Ok(0.0));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("two").is_err());
    }

    #[test]
    fn tracks_join_with_exact_gaps() {
        let a = Clip {
            sample_rate: 48_000,
            channels: vec![vec![1.0; 3], vec![2.0; 3]],
        };
        let b = Clip {
            sample_rate: 48_000,
            channels: vec![vec![3.0; 2], vec![4.0; 2]],
        };
        let album = assemble(&[&a, &b, &a], 4).expect("assemble");
        assert_eq!(album.starts, vec![0, 7, 13]);
        assert_eq!(
            album.clip.channels[0],
            vec![1., 1., 1., 0., 0., 0., 0., 3., 3., 0., 0., 0., 0., 1., 1., 1.]
        );
        let other = Clip::silence(44_100, 2, 10);
        assert!(assemble(&[&a, &other], 0).is_err());
    }

    #[test]
    fn manifests_give_titles_in_order() {
        let dir = std::env::temp_dir().join(format!("glass-album-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("album.json");
        std::fs::write(
            &path,
            r#"{"album": "A", "artist": "B", "gap": "1.5s",
                "tracks": [{"file": "x.wav", "title": "One"}, "Two"]}"#,
        )
        .expect("write");
        let m = load_manifest(&path).expect("load");
        assert_eq!(m.gap_s, Some(1.5));
        assert_eq!(m.tracks[0].0, Some(dir.join("x.wav")));
        let from_args =
            track_list(&[PathBuf::from("a.wav"), PathBuf::from("b.wav")], &m).expect("list");
        assert_eq!(from_args[1].title.as_deref(), Some("Two"));
        assert!(track_list(&[PathBuf::from("a.wav")], &m).is_err());
        // The second track has no file, so the manifest alone is not enough.
        assert!(track_list(&[], &m).unwrap_err().contains("track 2"));
        let tags = track_tags(&from_args[0], &Tags::default(), &m, 1, 2);
        assert_eq!(tags.title.as_deref(), Some("One"));
        assert_eq!(tags.artist.as_deref(), Some("B"));
        assert_eq!(tags.album.as_deref(), Some("A"));
        std::fs::write(&path, r#"{"tracks": [{"flie": "x.wav"}]}"#).expect("write");
        assert!(load_manifest(&path).unwrap_err().contains("unknown field"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_name_part("AC/DC: Live?"), "AC_DC_ Live_");
        assert_eq!(file_name_part("..hidden"), "hidden");
        assert_eq!(file_name_part("  "), "untitled");
    }
}
