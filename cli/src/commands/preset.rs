//! `glass preset PLUGIN [-o FILE]`: a plugin's parameters as an editable preset file.

use super::{settings, PluginPaths};
use crate::atomic::write_atomically;
use crate::chain::{load_preset, preset_json, Setting, StageSpec};
use crate::pipeline::{catalog_for, resolve_stage};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub(super) struct PresetArgs {
    /// Plugin: name, CLAP id, crate name or a .clap path.
    plugin: String,
    /// Start from this preset file.
    #[arg(long, value_name = "FILE")]
    preset: Option<PathBuf>,
    /// Set a parameter first, in the plugin's display units; repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Write the preset here instead of printing it.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    paths: PluginPaths,
}

/// Every visible, writable parameter with its current display text (after the settings), in
/// the plugin's order.
pub(super) fn run(args: &PresetArgs) -> Result<(), String> {
    let catalog = catalog_for(&[&args.plugin], &args.paths.paths);
    let mut all: Vec<Setting> = Vec::new();
    if let Some(path) = &args.preset {
        all.extend(load_preset(path)?.settings);
    }
    all.extend(settings(&args.set)?);
    let stage = resolve_stage(
        &catalog,
        &StageSpec {
            plugin: args.plugin.clone(),
            settings: all,
        },
    )?;
    let mut plugin = stage.plugin.instantiate()?;
    if !stage.changes.is_empty() {
        plugin
            .flush_params(&stage.changes)
            .map_err(|e| format!("{}: {e}", stage.plugin.name))?;
    }
    let mut params = Vec::new();
    for p in plugin.params() {
        if p.is_hidden() || p.is_readonly() {
            continue;
        }
        let value = plugin
            .param_value(p.id)
            .map_err(|e| format!("{}: {e}", stage.plugin.name))?;
        let text = plugin
            .value_to_text(p.id, value)
            .map_err(|e| format!("{}: {e}", stage.plugin.name))?;
        params.push((p.name.clone(), text));
    }
    let json = preset_json(&stage.plugin.name, &params);
    match &args.output {
        Some(path) => {
            write_atomically(path, |out| out.write_all(json.as_bytes()))?;
            println!("{} preset -> {}", stage.plugin.name, path.display());
        }
        None => print!("{json}"),
    }
    Ok(())
}
