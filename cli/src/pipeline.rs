//! Plugins applied to clips: finding the plugin a user named, checking their settings against
//! the plugin's own parameters (before any audio is touched), and rendering a clip through one
//! plugin or a chain, latency compensated and with tails.

use crate::catalog::{Catalog, Origin};
use crate::chain::{Setting, SettingValue, StageSpec};
use crate::clip::Clip;
use crate::library::PluginLibrary;
use crate::param_text::{find_param, parse_value};
use crate::plugin::{AudioConfig, Plugin};
use crate::render::{render_compensated_with, BlockPlan, RenderOptions};
use crate::{ParamChange, ParamInfo, Tail};
use std::path::PathBuf;
use std::sync::Arc;

/// A plugin the user chose; cheap to clone and usable from any thread (each thread creates its
/// own instances from it).
#[derive(Clone)]
pub struct PluginRef {
    /// The binary it lives in.
    pub library: Arc<PluginLibrary>,
    /// Its CLAP id.
    pub id: String,
    /// Its display name.
    pub name: String,
}

impl PluginRef {
    /// A new instance, created on the calling thread (which becomes its main thread).
    pub fn instantiate(&self) -> Result<Plugin, String> {
        self.library
            .instantiate(&self.id)
            .map_err(|e| format!("{}: {e}", self.name))
    }
}

/// Discovers the plugins `names` may refer to: `paths` (`--path`), names that are plugin files
/// themselves, the workspace build output and `~/.clap`.
pub fn catalog_for(names: &[&str], paths: &[PathBuf]) -> Catalog {
    let mut all: Vec<PathBuf> = names
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .collect();
    all.extend(paths.iter().cloned());
    Catalog::discover(&all)
}

/// The plugin `name` selects in `catalog` (a plugin file, a name, a CLAP id or crate name), or
/// a message with the closest names.
pub fn find_plugin(catalog: &Catalog, name: &str) -> Result<PluginRef, String> {
    let file = PathBuf::from(name);
    let entry = if file.is_file() {
        catalog
            .entries
            .iter()
            .find(|e| e.origin == Origin::UserPath && e.library.path() == file)
            .ok_or_else(|| {
                let reason = catalog
                    .skipped
                    .iter()
                    .find(|(p, _)| p == &file)
                    .map_or_else(String::new, |(_, e)| format!(" ({e})"));
                format!("{name} holds no loadable CLAP plugin{reason}")
            })?
    } else {
        catalog.find(name).map_err(|close| {
            let mut message = format!("unknown plugin {name:?}");
            if close.is_empty() {
                let mut known: Vec<String> = catalog
                    .entries
                    .iter()
                    .map(|e| e.description.name.clone())
                    .collect();
                known.sort();
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
    Ok(PluginRef {
        library: Arc::clone(&entry.library),
        id: entry.description.id.clone(),
        name: entry.description.name.clone(),
    })
}

/// The plain value `setting` asks for, checked against the plugin's parameter (name, range,
/// read-only, on/off), with the plugin named in every message.
pub fn resolve_setting(
    plugin: &mut Plugin,
    params: &[ParamInfo],
    setting: &Setting,
) -> Result<ParamChange, String> {
    let name = plugin.description().name.clone();
    let from = |message: String| format!("{name}: {message} (from {})", setting.source);
    let param = find_param(params, &setting.name).map_err(&from)?.clone();
    if param.is_readonly() {
        return Err(from(format!("{:?} is read-only", param.name)));
    }
    let value = match &setting.value {
        SettingValue::Text(text) => parse_value(plugin, &param, text).map_err(&from)?,
        SettingValue::Bool(on) => {
            if !(param.is_stepped() && param.max - param.min == 1.0) {
                return Err(from(format!(
                    "{:?} is not an on/off switch; give its value as text",
                    param.name
                )));
            }
            if *on {
                param.max
            } else {
                param.min
            }
        }
    };
    Ok(ParamChange {
        time: 0,
        id: param.id,
        value,
    })
}

/// A plugin with checked settings, ready to run on any thread.
#[derive(Clone)]
pub struct Stage {
    /// The plugin.
    pub plugin: PluginRef,
    /// Parameter values to set before processing.
    pub changes: Vec<ParamChange>,
    /// Channels of its main input.
    pub input_channels: usize,
    /// Channels of its first auxiliary input (a sidechain), 0 without one.
    pub aux_channels: usize,
}

/// Finds the plugin of `spec` and checks its settings on a throw-away instance.
pub fn resolve_stage(catalog: &Catalog, spec: &StageSpec) -> Result<Stage, String> {
    let plugin = find_plugin(catalog, &spec.plugin)?;
    let mut instance = plugin.instantiate()?;
    let params = instance.params();
    let changes = spec
        .settings
        .iter()
        .map(|s| resolve_setting(&mut instance, &params, s))
        .collect::<Result<Vec<_>, _>>()?;
    let layout = instance.layout().clone();
    let input_channels = layout.main_input_channels();
    if input_channels == 0 || layout.main_output_channels() == 0 {
        return Err(format!(
            "{} has no main audio input and output; it cannot process files",
            plugin.name
        ));
    }
    let aux_channels = layout
        .inputs
        .iter()
        .enumerate()
        .find(|(i, _)| Some(*i) != layout.main_input())
        .map_or(0, |(_, p)| p.channels as usize);
    Ok(Stage {
        plugin,
        changes,
        input_channels,
        aux_channels,
    })
}

/// How plugins are driven: the host side of a render.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Engine {
    /// Host block size in samples.
    pub block: u32,
    /// Tempo of the host transport, for tempo-synced effects; `None`: no transport.
    pub tempo_bpm: Option<f64>,
    /// Longest tail rendered after the input, in seconds.
    pub max_tail_s: f64,
}

impl Default for Engine {
    fn default() -> Self {
        Self {
            block: 512,
            tempo_bpm: None,
            max_tail_s: 30.0,
        }
    }
}

/// What one stage did besides its output.
#[derive(Debug, Clone, PartialEq)]
pub struct StageReport {
    /// Latency removed from the output, in samples.
    pub latency: u32,
    /// The tail the plugin reported.
    pub tail: Tail,
    /// Samples rendered after the input for the tail.
    pub tail_frames: usize,
    /// Notes the plugin sent on its note output, lined up with the input.
    pub notes: Vec<crate::render::TimedNote>,
}

/// Renders `clip` through `stage` (with `sidechain` on its auxiliary input, if it has one):
/// settings applied before activation, latency removed, tail rendered. Mono clips feed every
/// input channel. Output containing NaN or infinity is an error, never written.
pub fn run_stage(
    stage: &Stage,
    clip: &Clip,
    sidechain: Option<&Clip>,
    engine: &Engine,
    progress: Option<&(dyn Fn(usize) + Sync)>,
) -> Result<(Clip, StageReport), String> {
    let name = &stage.plugin.name;
    let fail = |e: &dyn std::fmt::Display| format!("{name}: {e}");
    let input = clip.with_channels(stage.input_channels).map_err(|e| {
        format!(
            "{name} takes {} input channel(s): {e}",
            stage.input_channels
        )
    })?;
    let aux = match (sidechain, stage.aux_channels) {
        (Some(_), 0) => return Err(format!("{name} has no sidechain input")),
        (Some(sc), n) => {
            if sc.sample_rate != clip.sample_rate {
                return Err(format!(
                    "the sidechain runs at {} Hz, the input at {} Hz",
                    sc.sample_rate, clip.sample_rate
                ));
            }
            sc.with_channels(n)
                .map_err(|e| format!("{name}'s sidechain takes {n} channel(s): {e}"))?
                .channels
        }
        (None, _) => Vec::new(),
    };
    let mut plugin = stage.plugin.instantiate()?;
    if !stage.changes.is_empty() {
        // Set before activation, so the render starts at the requested values instead of
        // smoothing towards them from the defaults.
        plugin.flush_params(&stage.changes).map_err(|e| fail(&e))?;
    }
    plugin
        .activate(AudioConfig::new(f64::from(clip.sample_rate), engine.block))
        .map_err(|e| fail(&e))?;
    let max_tail = (engine.max_tail_s * f64::from(clip.sample_rate)).round() as usize;
    let options = RenderOptions {
        tempo_bpm: engine.tempo_bpm,
        aux: &aux,
        progress,
    };
    let rendered = render_compensated_with(
        &mut plugin,
        &input.channels,
        &BlockPlan::Fixed(engine.block as usize),
        &[],
        max_tail,
        &options,
    )
    .map_err(|e| fail(&e))?;
    let output = Clip {
        sample_rate: clip.sample_rate,
        channels: rendered.output,
    };
    if let Some((channel, frame)) = output.first_non_finite() {
        return Err(format!(
            "{name} produced a non-finite sample (channel {}, {:.3} s); nothing was written",
            channel + 1,
            frame as f64 / f64::from(clip.sample_rate)
        ));
    }
    Ok((
        output,
        StageReport {
            latency: rendered.latency,
            tail: rendered.tail,
            tail_frames: rendered.tail_frames,
            notes: rendered.notes,
        },
    ))
}

/// Renders `clip` through every stage in order; `progress` hears about each stage's input
/// frames (so a chain of n stages reports about n times the clip's length, plus tails).
pub fn run_chain(
    stages: &[Stage],
    clip: &Clip,
    engine: &Engine,
    progress: Option<&(dyn Fn(usize) + Sync)>,
) -> Result<Clip, String> {
    let mut current = clip.clone();
    for stage in stages {
        current = run_stage(stage, &current, None, engine, progress)?.0;
    }
    Ok(current)
}
