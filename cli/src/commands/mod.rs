//! The `glass` command line: argument definitions and what each subcommand does.

mod album;
mod chain;
mod loudness;
mod master;
mod plugins;
mod preset;
mod render;

use crate::chain::{parse_assignment, Setting};
use crate::clip::Clip;
use crate::decode::{self, Decoded, SourceFormat};
use crate::encode::{Container, DitherMode, Encoding};
use crate::pipeline::Engine;
use crate::progress::Progress;
use crate::resample::resample;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

/// Glasswork's offline host: runs the plugin binaries on audio files.
#[derive(Parser)]
#[command(name = "glass", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the Glasswork plugins in the build output and ~/.clap (plus every plugin under
    /// --path) with their parameters.
    Plugins(plugins::PluginsArgs),
    /// Render one file through one plugin, latency compensated, tail included.
    Render(render::RenderArgs),
    /// Run files through a chain of plugins, e.g. "comp(threshold=-20) | limit(ceiling=-1)".
    Chain(chain::ChainArgs),
    /// Master files to a loudness target (integrated LUFS, true-peak ceiling) with Glasswork
    /// Limit.
    Master(master::MasterArgs),
    /// EBU R 128 loudness report: integrated, short-term and momentary maximum, loudness range,
    /// true peak, PLR; optionally a plot of loudness over time.
    Loudness(loudness::LoudnessArgs),
    /// Master tracks to one loudness and join them with gaps into an album file, plus one file
    /// per track, tagged from a manifest.
    Album(album::AlbumArgs),
    /// Write a plugin's parameters as a preset file (JSON) to edit and use with --preset.
    Preset(preset::PresetArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Plugins(args) => plugins::run(&args),
        Command::Render(args) => render::run(&args),
        Command::Chain(args) => chain::run(&args),
        Command::Master(args) => master::run(&args),
        Command::Loudness(args) => loudness::run(&args),
        Command::Album(args) => album::run(&args),
        Command::Preset(args) => preset::run(&args),
    }
}

/// Where plugins are looked for besides the build output and ~/.clap.
#[derive(Args, Clone)]
struct PluginPaths {
    /// Also search this .clap file or directory (recursively); repeatable.
    #[arg(long = "path", value_name = "DIR")]
    paths: Vec<PathBuf>,
}

/// How the plugins are run.
#[derive(Args, Clone)]
struct EngineArgs {
    /// Host block size in samples.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=65536))]
    block: u32,
    /// Host tempo in beats per minute, for tempo-synced effects (sent as a playing transport).
    #[arg(long, value_name = "BPM")]
    bpm: Option<f64>,
    /// Longest tail rendered after the input, in seconds.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    max_tail: f64,
}

impl EngineArgs {
    fn engine(&self) -> Result<Engine, String> {
        if !self.max_tail.is_finite() || self.max_tail < 0.0 {
            return Err(format!(
                "--max-tail must be >= 0 seconds, got {}",
                self.max_tail
            ));
        }
        if let Some(bpm) = self.bpm {
            if !(bpm.is_finite() && (1.0..=999.0).contains(&bpm)) {
                return Err(format!("--bpm must be between 1 and 999, got {bpm}"));
            }
        }
        Ok(Engine {
            block: self.block,
            tempo_bpm: self.bpm,
            max_tail_s: self.max_tail,
        })
    }
}

/// Output sample encoding.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    /// As the input: 16-bit stays 16-bit, 24-bit stays 24-bit, float and lossy sources give
    /// 32-bit float WAV (24-bit FLAC).
    Same,
    /// 16-bit integer PCM.
    S16,
    /// 24-bit integer PCM.
    S24,
    /// 32-bit float (WAV only).
    F32,
}

/// Word-length reduction for integer outputs.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Dither {
    /// Triangular (TPDF) dither of ±1 LSB.
    Tpdf,
    /// TPDF dither with noise shaping.
    Shaped,
    /// Rounding only.
    Off,
}

/// Output file type for commands that write into a directory.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum FileType {
    /// WAV.
    Wav,
    /// FLAC.
    Flac,
}

/// How outputs are encoded.
#[derive(Args, Clone)]
struct OutputArgs {
    /// Output sample encoding.
    #[arg(long, value_enum, default_value_t = Format::Same)]
    format: Format,
    /// Dither used when writing 16- or 24-bit integers.
    #[arg(long, value_enum, default_value_t = Dither::Tpdf)]
    dither: Dither,
    /// Convert to this sample rate (Hz) before processing.
    #[arg(long, value_name = "HZ", value_parser = clap::value_parser!(u32).range(8000..=768_000))]
    rate: Option<u32>,
}

impl OutputArgs {
    fn dither(&self) -> DitherMode {
        match self.dither {
            Dither::Tpdf => DitherMode::Tpdf,
            Dither::Shaped => DitherMode::Shaped,
            Dither::Off => DitherMode::Off,
        }
    }

    /// The encoding for a file from `source` written as `container`.
    fn encoding(&self, source: &SourceFormat, container: Container) -> Result<Encoding, String> {
        let flac = container == Container::Flac;
        Ok(match self.format {
            Format::S16 => Encoding::Int16,
            Format::S24 => Encoding::Int24,
            Format::F32 if flac => {
                return Err(
                    "FLAC stores integer samples: use --format s16 or s24 (or write WAV)".into(),
                )
            }
            Format::F32 => Encoding::Float32,
            Format::Same => match source.int_bits {
                Some(bits) if bits <= 16 => Encoding::Int16,
                Some(bits) if bits <= 24 => Encoding::Int24,
                _ if flac => Encoding::Int24,
                _ => Encoding::Float32,
            },
        })
    }
}

/// Where batch outputs go and how batches run.
#[derive(Args, Clone)]
struct BatchArgs {
    /// Output directory (created if missing). Each output is named after its input.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Output file type.
    #[arg(long = "type", value_enum, default_value_t = FileType::Wav)]
    file_type: FileType,
    /// Files processed at the same time (0: one per core).
    #[arg(short, long, default_value_t = 0)]
    jobs: usize,
    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

impl BatchArgs {
    fn container(&self) -> Container {
        match self.file_type {
            FileType::Wav => Container::Wav,
            FileType::Flac => Container::Flac,
        }
    }

    /// `DIR/<input stem>.<ext>` for every input; refuses two inputs with the same name and an
    /// output that would replace its input.
    fn output_paths(&self, inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
        let ext = self.container().extension();
        let mut outputs: Vec<PathBuf> = Vec::new();
        for input in inputs {
            let stem = input
                .file_stem()
                .ok_or_else(|| format!("{} is not a file name", input.display()))?;
            let out = self.output.join(stem).with_extension(ext);
            if let Some(i) = outputs.iter().position(|o| o == &out) {
                return Err(format!(
                    "{} and {} would both be written to {}",
                    inputs[i].display(),
                    input.display(),
                    out.display()
                ));
            }
            if same_file(input, &out) {
                return Err(format!(
                    "{} would be overwritten by its own output; choose another output directory",
                    input.display()
                ));
            }
            outputs.push(out);
        }
        Ok(outputs)
    }

    fn progress(&self, label: &str) -> Progress {
        Progress::new(label, !self.quiet)
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Parses `--set NAME=VALUE` arguments.
fn settings(assignments: &[String]) -> Result<Vec<Setting>, String> {
    assignments
        .iter()
        .map(|a| parse_assignment(a, "--set"))
        .collect()
}

/// Checks that every input can be opened and looks like audio, before any work starts.
fn check_inputs(inputs: &[PathBuf]) -> Result<(), String> {
    if inputs.is_empty() {
        return Err("no input files".into());
    }
    let problems: Vec<String> = inputs
        .iter()
        .filter_map(|p| decode::probe(p).err())
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Decodes `path` and converts it to `rate` if given.
fn load(path: &Path, rate: Option<u32>) -> Result<Decoded, String> {
    let mut decoded = decode::read(path)?;
    if let Some(rate) = rate {
        decoded.clip =
            resample(&decoded.clip, rate).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(decoded)
}

/// A sidechain file at the processing rate.
fn load_sidechain(path: &Path, rate: u32) -> Result<Clip, String> {
    let decoded = decode::read(path)?;
    resample(&decoded.clip, rate).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reports a batch: `report(index, result)` for every file that succeeded (in input order),
/// the error of every file that failed, and an error overall if any failed.
fn finish_batch<T>(
    inputs: &[PathBuf],
    results: Vec<Result<T, String>>,
    mut report: impl FnMut(usize, T),
) -> Result<(), String> {
    let total = results.len();
    let mut failed = 0;
    for (i, (input, result)) in inputs.iter().zip(results).enumerate() {
        match result {
            Ok(v) => report(i, v),
            Err(e) => {
                failed += 1;
                let name = input.display().to_string();
                if e.contains(&name) {
                    eprintln!("glass: error: {e}");
                } else {
                    eprintln!("glass: error: {name}: {e}");
                }
            }
        }
    }
    if failed > 0 {
        return Err(format!(
            "{failed} of {total} file(s) failed; no output was written for them"
        ));
    }
    Ok(())
}

fn warn_clipped(path: &Path, clipped: usize) {
    if clipped > 0 {
        eprintln!(
            "glass: warning: {}: {clipped} sample(s) exceeded full scale and were clipped",
            path.display()
        );
    }
}

/// `v` with `decimals`, or `-inf`/`n/a`.
fn fixed(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else if v == f64::NEG_INFINITY {
        "-inf".into()
    } else {
        "n/a".into()
    }
}

/// `v` as a JSON number, `null` where it is not finite.
fn json_number(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}
