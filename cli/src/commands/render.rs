//! `glass render PLUGIN IN -o OUT`: one plugin on one file.

use super::{load, load_sidechain, settings, warn_clipped, EngineArgs, OutputArgs, PluginPaths};
use crate::chain::{load_preset, Setting, StageSpec};
use crate::encode::{self, quantize, Container};
use crate::pipeline::{catalog_for, find_plugin, resolve_stage, run_stage};
use crate::progress::Progress;
use crate::Tail;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub(super) struct RenderArgs {
    /// Plugin: name (`limit`, `Glasswork Limit`), CLAP id, crate name or a .clap path.
    plugin: String,
    /// Input file (WAV, AIFF, FLAC, MP3 or Ogg Vorbis).
    input: PathBuf,
    /// Output file, .wav or .flac (written to a temporary file, then renamed).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Set a parameter, in the plugin's display units; repeatable, applied after --preset.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Load parameters from a preset file (JSON; see `glass preset`).
    #[arg(long, value_name = "FILE")]
    preset: Option<PathBuf>,
    /// Feed this file to the plugin's sidechain input (e.g. Comp with External Sidechain on).
    #[arg(long, value_name = "FILE")]
    sidechain: Option<PathBuf>,
    /// Also write the notes the plugin sends (Tune's detected melody) to this Standard MIDI
    /// File (.mid), lined up with the audio, at the --bpm tempo (120 without one).
    #[arg(long = "midi-out", value_name = "FILE")]
    midi_out: Option<PathBuf>,
    #[command(flatten)]
    paths: PluginPaths,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    out: OutputArgs,
    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

pub(super) fn run(args: &RenderArgs) -> Result<(), String> {
    let engine = args.engine.engine()?;
    let container = Container::from_path(&args.output).ok_or_else(|| {
        format!(
            "{}: the output must end in .wav or .flac",
            args.output.display()
        )
    })?;
    if super::same_file(&args.input, &args.output) {
        return Err(format!(
            "{} would be overwritten by its own output",
            args.input.display()
        ));
    }
    // Everything that can be checked without audio is checked first.
    let catalog = catalog_for(&[&args.plugin], &args.paths.paths);
    let plugin = find_plugin(&catalog, &args.plugin)?;
    let mut all: Vec<Setting> = Vec::new();
    if let Some(path) = &args.preset {
        let preset = load_preset(path)?;
        if let Some(named) = &preset.plugin {
            let wanted = find_plugin(&catalog, named)?;
            if wanted.id != plugin.id {
                return Err(format!(
                    "preset {} is for {}, not {}",
                    path.display(),
                    wanted.name,
                    plugin.name
                ));
            }
        }
        all.extend(preset.settings);
    }
    all.extend(settings(&args.set)?);
    let stage = resolve_stage(
        &catalog,
        &StageSpec {
            plugin: args.plugin.clone(),
            settings: all,
        },
    )?;
    if args.sidechain.is_some() && stage.aux_channels == 0 {
        return Err(format!("{} has no sidechain input", stage.plugin.name));
    }
    let source = crate::decode::probe(&args.input)?;
    let encoding = args.out.encoding(&source, container)?;
    for path in std::iter::once(&args.output).chain(&args.midi_out) {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                return Err(format!(
                    "cannot write {}: the directory {} does not exist",
                    path.display(),
                    parent.display()
                ));
            }
        }
    }
    if let Some(midi) = &args.midi_out {
        let ext = midi
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if !matches!(ext.as_deref(), Some("mid" | "midi")) {
            return Err(format!(
                "{}: the MIDI output must end in .mid or .midi",
                midi.display()
            ));
        }
        if midi == &args.output
            || super::same_file(midi, &args.output)
            || super::same_file(midi, &args.input)
        {
            return Err(format!(
                "{} is also the audio input or output",
                midi.display()
            ));
        }
    }

    let decoded = load(&args.input, args.out.rate)?;
    let clip = decoded.clip;
    let sidechain = match &args.sidechain {
        Some(path) => Some(load_sidechain(path, clip.sample_rate)?),
        None => None,
    };
    let progress = Progress::new("render", !args.quiet);
    progress.add_work(clip.frames(), clip.sample_rate);
    progress.set_message(args.input.display().to_string());
    let tracker = progress.tracker(clip.sample_rate);
    let advance = |n: usize| tracker.advance(n);
    let result = run_stage(&stage, &clip, sidechain.as_ref(), &engine, Some(&advance));
    progress.finish();
    let (output, report) = result?;
    let quantized = quantize(&output, encoding, args.out.dither());
    encode::write(&args.output, &quantized, container, &decoded.tags)?;
    warn_clipped(&args.output, quantized.clipped);
    let tail = match report.tail {
        Tail::Finite(0) => "no tail".to_string(),
        Tail::Finite(_) | Tail::Infinite => format!("{} tail samples", report.tail_frames),
    };
    println!(
        "{} -> {} through {}: {} Hz, latency {} samples compensated, {tail}",
        args.input.display(),
        args.output.display(),
        stage.plugin.name,
        clip.sample_rate,
        report.latency
    );
    if let Some(midi) = &args.midi_out {
        let ons = report.notes.iter().filter(|n| n.on).count();
        if ons == 0 {
            eprintln!(
                "warning: {} sent no notes, so {} was not written (only plugins with a note \
                 output, such as Tune with MIDI Out on, send any)",
                stage.plugin.name,
                midi.display()
            );
        } else {
            let bpm = engine.tempo_bpm.unwrap_or(120.0);
            crate::smf::write(midi, &report.notes, clip.sample_rate, bpm)?;
            println!("{ons} notes -> {} ({bpm} BPM)", midi.display());
        }
    }
    Ok(())
}
