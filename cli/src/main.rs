//! `glass`: Glasswork's offline host. Lists the plugins it can find and renders WAV files
//! through them, loading the very binaries a DAW loads (CLAP ABI).

use clap::{Parser, Subcommand, ValueEnum};
use glass::catalog::{Catalog, Entry, Origin};
use glass::param_text::{find_param, parse_value, split_assignment, split_number};
use glass::render::{render_compensated, BlockPlan};
use glass::wav::{self, SampleFormat};
use glass::{AudioConfig, ParamChange, Plugin, Tail};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "glass",
    version,
    about = "Glasswork's offline host: runs the plugin binaries on audio files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the Glasswork plugins in the build output and ~/.clap (plus every plugin under
    /// --path) with their parameters.
    Plugins {
        /// Also search this .clap file or directory (recursively); repeatable.
        #[arg(long = "path", value_name = "DIR")]
        paths: Vec<PathBuf>,
    },
    /// Render a WAV file through a plugin, latency compensated, tail included.
    Render {
        /// Plugin: name (`limit`, `Glasswork Limit`), CLAP id, crate name or a .clap path.
        plugin: String,
        /// Input WAV file.
        input: PathBuf,
        /// Output WAV file (written to a temporary file, then renamed).
        #[arg(short, long, value_name = "OUT.wav")]
        output: PathBuf,
        /// Set a parameter before rendering, in the plugin's display units; repeatable.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        /// Also search this .clap file or directory (recursively); repeatable.
        #[arg(long = "path", value_name = "DIR")]
        paths: Vec<PathBuf>,
        /// Host block size in samples.
        #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=65536))]
        block: u32,
        /// Output sample format.
        #[arg(long, value_enum, default_value_t = Format::Same)]
        format: Format,
        /// Longest tail rendered after the input, in seconds.
        #[arg(long, default_value_t = 30.0)]
        max_tail: f64,
    },
}

/// Output sample encoding.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// The input file's encoding.
    Same,
    /// 16-bit integer PCM.
    S16,
    /// 24-bit integer PCM.
    S24,
    /// 32-bit float.
    F32,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plugins { paths } => list_plugins(&paths),
        Command::Render {
            plugin,
            input,
            output,
            set,
            paths,
            block,
            format,
            max_tail,
        } => render_file(&RenderArgs {
            plugin,
            input,
            output,
            set,
            paths,
            block,
            format,
            max_tail,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("glass: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn origin_label(origin: Origin) -> &'static str {
    match origin {
        Origin::UserPath => "--path",
        Origin::Workspace => "build output",
        Origin::UserClapDir => "~/.clap",
    }
}

/// The unit shared by the display texts (`dB` in `-1.00 dB`), and the texts without it.
fn strip_unit(texts: [&str; 3]) -> (String, [String; 3]) {
    let units: Vec<Option<&str>> = texts
        .iter()
        .map(|t| split_number(t).map(|(_, unit)| unit))
        .collect();
    match units[0] {
        Some(unit) if !unit.is_empty() && units.iter().all(|u| *u == Some(unit)) => (
            unit.to_string(),
            texts.map(|t| t.trim().trim_end_matches(unit).trim().to_string()),
        ),
        _ => (String::new(), texts.map(str::to_string)),
    }
}

fn describe(entry: &Entry) -> Result<(), String> {
    let d = &entry.description;
    println!("{} {}  [{}]", d.name, d.version, d.id);
    println!(
        "  {} ({})",
        entry.library.path().display(),
        origin_label(entry.origin)
    );
    if !d.features.is_empty() {
        println!("  features: {}", d.features.join(", "));
    }
    let mut plugin = entry
        .library
        .instantiate(&d.id)
        .map_err(|e| format!("{}: {e}", d.name))?;
    let layout = plugin.layout().clone();
    println!(
        "  audio: {} in, {} out",
        layout.main_input_channels(),
        layout.main_output_channels()
    );
    let params = plugin.params();
    let rows: Vec<[String; 5]> = params
        .iter()
        .filter(|p| !p.is_hidden())
        .map(|p| {
            let mut text = |v: f64| {
                plugin
                    .value_to_text(p.id, v)
                    .unwrap_or_else(|_| v.to_string())
            };
            let (default, min, max) = (text(p.default), text(p.min), text(p.max));
            let (unit, [default, min, max]) = strip_unit([&default, &min, &max]);
            let mut flags = Vec::new();
            if p.is_bypass() {
                flags.push("bypass");
            }
            if p.is_stepped() {
                flags.push("stepped");
            }
            if p.is_readonly() {
                flags.push("read-only");
            }
            [
                p.name.clone(),
                format!("{min} .. {max}"),
                default,
                unit,
                flags.join(", "),
            ]
        })
        .collect();
    if rows.is_empty() {
        println!("  no parameters");
        return Ok(());
    }
    let header = ["parameter", "range", "default", "unit", ""].map(String::from);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        println!("    {}", line.join("  ").trim_end());
    }
    Ok(())
}

fn report_skipped(catalog: &Catalog) {
    for (path, error) in &catalog.skipped {
        eprintln!("glass: warning: skipped {}: {error}", path.display());
    }
}

fn list_plugins(paths: &[PathBuf]) -> Result<(), String> {
    let catalog = Catalog::discover(paths);
    report_skipped(&catalog);
    if catalog.entries.is_empty() {
        println!(
            "no plugins found; build them with `cargo build -p glass-limit` (or \
             `cargo xtask bundle glass-limit --release`), or pass --path DIR"
        );
        return Ok(());
    }
    for (i, entry) in catalog.entries.iter().enumerate() {
        if i > 0 {
            println!();
        }
        describe(entry)?;
    }
    Ok(())
}

struct RenderArgs {
    plugin: String,
    input: PathBuf,
    output: PathBuf,
    set: Vec<String>,
    paths: Vec<PathBuf>,
    block: u32,
    format: Format,
    max_tail: f64,
}

/// Resolves every `--set NAME=VALUE` against the plugin's parameters.
fn parse_settings(plugin: &mut Plugin, settings: &[String]) -> Result<Vec<ParamChange>, String> {
    let params = plugin.params();
    settings
        .iter()
        .map(|s| {
            let (name, value) = split_assignment(s)?;
            let param = find_param(&params, name)?.clone();
            if param.is_readonly() {
                return Err(format!("{:?} is read-only", param.name));
            }
            let value = parse_value(plugin, &param, value)?;
            Ok(ParamChange {
                time: 0,
                id: param.id,
                value,
            })
        })
        .collect()
}

fn render_file(args: &RenderArgs) -> Result<(), String> {
    if !args.max_tail.is_finite() || args.max_tail < 0.0 {
        return Err(format!(
            "--max-tail must be >= 0 seconds, got {}",
            args.max_tail
        ));
    }
    let audio = wav::read(&args.input).map_err(|e| format!("cannot read {e}"))?;

    let user_file = PathBuf::from(&args.plugin);
    let mut paths = args.paths.clone();
    if user_file.is_file() {
        paths.insert(0, user_file.clone());
    }
    let catalog = Catalog::discover(&paths);
    let entry = if user_file.is_file() {
        catalog
            .entries
            .iter()
            .find(|e| e.origin == Origin::UserPath && e.library.path() == user_file)
            .ok_or_else(|| {
                report_skipped(&catalog);
                format!("{} holds no loadable CLAP plugin", user_file.display())
            })?
    } else {
        catalog.find(&args.plugin).map_err(|close| {
            let mut message = format!("unknown plugin {:?}", args.plugin);
            if close.is_empty() {
                let mut known: Vec<String> = catalog
                    .entries
                    .iter()
                    .map(|e| e.description.name.clone())
                    .collect();
                known.dedup();
                if known.is_empty() {
                    message.push_str(
                        "; no plugins found (build them with `cargo build -p glass-limit`, \
                         or pass --path DIR)",
                    );
                } else {
                    message.push_str(&format!("; known plugins: {}", known.join(", ")));
                }
            } else {
                message.push_str(&format!("; did you mean {}?", close.join(", ")));
            }
            message
        })?
    };
    let name = entry.description.name.clone();
    let mut plugin = entry
        .library
        .instantiate(&entry.description.id)
        .map_err(|e| format!("{name}: {e}"))?;

    let changes = parse_settings(&mut plugin, &args.set)?;
    if !changes.is_empty() {
        // Set before activation, so the render starts at the requested values instead of
        // smoothing towards them from the defaults.
        plugin
            .flush_params(&changes)
            .map_err(|e| format!("{name}: {e}"))?;
    }

    let wanted = plugin.layout().main_input_channels();
    let file_channels = audio.channels.len();
    let input = if file_channels == wanted {
        audio.channels.clone()
    } else if file_channels == 1 {
        vec![audio.channels[0].clone(); wanted]
    } else {
        return Err(format!(
            "{name} takes {wanted} input channel(s), {} has {file_channels}",
            args.input.display()
        ));
    };

    plugin
        .activate(AudioConfig::new(f64::from(audio.sample_rate), args.block))
        .map_err(|e| format!("{name}: {e}"))?;
    let max_tail = (args.max_tail * f64::from(audio.sample_rate)).round() as usize;
    let rendered = render_compensated(
        &mut plugin,
        &input,
        &BlockPlan::Fixed(args.block as usize),
        &[],
        max_tail,
    )
    .map_err(|e| format!("{name}: {e}"))?;

    let format = match args.format {
        Format::Same => audio.format,
        Format::S16 => SampleFormat::Int(16),
        Format::S24 => SampleFormat::Int(24),
        Format::F32 => SampleFormat::Float32,
    };
    let out = wav::Audio {
        sample_rate: audio.sample_rate,
        channels: rendered.output,
        format,
    };
    wav::write(&args.output, &out).map_err(|e| format!("cannot write {e}"))?;
    let tail = match rendered.tail {
        Tail::Finite(0) => "no tail".to_string(),
        Tail::Finite(_) | Tail::Infinite => format!("{} tail samples", rendered.tail_frames),
    };
    println!(
        "{} -> {} through {name}: {} Hz, latency {} samples compensated, {tail}",
        args.input.display(),
        args.output.display(),
        audio.sample_rate,
        rendered.latency
    );
    Ok(())
}
