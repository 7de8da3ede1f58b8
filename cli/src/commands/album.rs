//! `glass album TRACK... -o DIR --gap 2s`: mastered tracks joined into an album.

use super::master::{describe, MasterOptions};
use super::{
    check_inputs, fixed, json_number, load, BatchArgs, EngineArgs, OutputArgs, PluginPaths,
};
use crate::album::{
    assemble, file_name_part, load_manifest, parse_duration, track_list, track_tags, Manifest,
};
use crate::atomic::prepare_output_dir;
use crate::batch;
use crate::decode::{probe, SourceFormat};
use crate::encode::{self, Encoding, Quantized};
use crate::loudness::measure;
use crate::master::{Delivery, Master};
use crate::metadata::Tags;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

#[derive(Args)]
pub(super) struct AlbumArgs {
    /// Track files in album order (or list them in the manifest).
    tracks: Vec<PathBuf>,
    /// Album manifest (JSON): album title, artist, gap, and per track file, title, artist.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// Silence between tracks: 2s, 1.5, 500ms (default: the manifest's, else 2 s).
    #[arg(long, value_name = "DURATION")]
    gap: Option<String>,
    /// File name of the joined album, without extension (default: the album title, else
    /// "album").
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    #[command(flatten)]
    options: MasterOptions,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    batch: BatchArgs,
    #[command(flatten)]
    paths: PluginPaths,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    out: OutputArgs,
}

/// One encoding for every track: with `--format same`, the widest the tracks need.
fn common_encoding(
    args: &AlbumArgs,
    sources: &[SourceFormat],
    container: encode::Container,
) -> Result<Encoding, String> {
    let mut widest = Encoding::Int16;
    for source in sources {
        let e = args.out.encoding(source, container)?;
        widest = match (widest, e) {
            (Encoding::Float32, _) | (_, Encoding::Float32) => Encoding::Float32,
            (Encoding::Int24, _) | (_, Encoding::Int24) => Encoding::Int24,
            _ => Encoding::Int16,
        };
    }
    Ok(widest)
}

pub(super) fn run(args: &AlbumArgs) -> Result<(), String> {
    let mastering = args.options.resolve(&args.paths, &args.engine)?;
    let manifest = match &args.manifest {
        Some(path) => load_manifest(path)?,
        None => Manifest::default(),
    };
    let tracks = track_list(&args.tracks, &manifest)?;
    let gap_s = match &args.gap {
        Some(text) => parse_duration(text)?,
        None => manifest.gap_s.unwrap_or(2.0),
    };
    let files: Vec<PathBuf> = tracks.iter().map(|t| t.file.clone()).collect();
    check_inputs(&files)?;
    let sources = files
        .iter()
        .map(|f| probe(f))
        .collect::<Result<Vec<_>, _>>()?;
    let container = args.batch.container();
    let encoding = common_encoding(args, &sources, container)?;
    let delivery = Delivery {
        encoding,
        dither: args.out.dither(),
    };
    // One rate for the album: --rate, else the first track's.
    let rate = match (args.out.rate, sources[0].sample_rate) {
        (Some(rate), _) | (None, Some(rate)) => rate,
        (None, None) => load(&files[0], None)?.clip.sample_rate,
    };
    prepare_output_dir(&args.batch.output)?;

    let total = tracks.len() as u32;
    let progress = args.batch.progress("album");
    let results = batch::map(&tracks, args.batch.jobs, |i, spec| {
        let decoded = load(&spec.file, Some(rate))?;
        let tags = track_tags(spec, &decoded.tags, &manifest, i as u32 + 1, total);
        let label = spec.file.display().to_string();
        let master = mastering.master(&decoded.clip, delivery, &progress, &label)?;
        Ok::<_, String>((master, tags))
    });
    progress.finish();
    let mut mastered: Vec<(Master, Tags)> = Vec::new();
    let mut failures = Vec::new();
    for (spec, result) in tracks.iter().zip(results) {
        match result {
            Ok(m) => mastered.push(m),
            Err(e) => failures.push(format!("{}: {e}", spec.file.display())),
        }
    }
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("glass: error: {f}");
        }
        return Err(format!(
            "{} of {total} track(s) failed; nothing was written",
            failures.len()
        ));
    }

    let gap_frames = (gap_s * f64::from(rate)).round() as usize;
    let clips: Vec<&crate::clip::Clip> = mastered.iter().map(|(m, _)| &m.output.clip).collect();
    let channels = clips.iter().map(|c| c.channels.len()).max().unwrap_or(1);
    let widened: Vec<crate::clip::Clip> = clips
        .iter()
        .map(|c| c.with_channels(channels))
        .collect::<Result<_, _>>()?;
    let assembly = assemble(&widened.iter().collect::<Vec<_>>(), gap_frames)?;
    let ext = container.extension();
    let mut written = Vec::new();
    for (i, (master, tags)) in mastered.iter().enumerate() {
        let title = tags.title.clone().unwrap_or_default();
        let path =
            args.batch
                .output
                .join(format!("{:02} - {}.{ext}", i + 1, file_name_part(&title)));
        let track = Quantized {
            clip: widened[i].clone(),
            encoding,
            clipped: master.output.clipped,
        };
        encode::write(&path, &track, container, tags)?;
        written.push(path);
    }
    let album_name = args
        .name
        .clone()
        .or(manifest.album.clone())
        .unwrap_or_else(|| "album".into());
    let album_path = args
        .batch
        .output
        .join(format!("{}.{ext}", file_name_part(&album_name)));
    if written.contains(&album_path) {
        return Err(format!(
            "the album file {} would replace a track file; choose another --name",
            album_path.display()
        ));
    }
    let album_tags = Tags {
        title: manifest.album.clone(),
        artist: manifest.artist.clone(),
        album: manifest.album.clone(),
        track_number: None,
        track_total: Some(total),
    };
    let album = Quantized {
        clip: assembly.clip,
        encoding,
        clipped: 0,
    };
    encode::write(&album_path, &album, container, &album_tags)?;
    let album_report = measure(&album.clip);

    let mut json_tracks = Vec::new();
    for (i, (master, tags)) in mastered.iter().enumerate() {
        let start = assembly.starts[i];
        let (line, mut value) = describe(
            &tracks[i].file.display().to_string(),
            &written[i].display().to_string(),
            master,
            &mastering.target,
        );
        value["title"] = json!(tags.title);
        value["start_frame"] = json!(start);
        value["start_s"] = json_number(start as f64 / f64::from(rate));
        if args.json {
            json_tracks.push(value);
        } else {
            println!(
                "{line}; starts at {:.3} s (sample {start})",
                start as f64 / f64::from(rate)
            );
        }
    }
    if args.json {
        let value = json!({
            "album": album_path.display().to_string(),
            "integrated_lufs": json_number(album_report.integrated_lufs),
            "true_peak_dbtp": json_number(album_report.true_peak_dbtp),
            "duration_s": json_number(album_report.duration_s),
            "gap_frames": gap_frames,
            "sample_rate": rate,
            "tracks": json_tracks,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        println!(
            "album -> {}: {} tracks, {} s gaps ({gap_frames} samples), {:.2} s, {} LUFS, true \
             peak {} dBTP",
            album_path.display(),
            total,
            gap_s,
            album_report.duration_s,
            fixed(album_report.integrated_lufs, 2),
            fixed(album_report.true_peak_dbtp, 2)
        );
    }
    Ok(())
}
