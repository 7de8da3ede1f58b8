//! `glass plugins`: what can be loaded, with every parameter's range, default and unit.

use super::PluginPaths;
use crate::catalog::{Catalog, Entry, Origin};
use crate::param_text::split_number;
use clap::Args;

#[derive(Args)]
pub(super) struct PluginsArgs {
    #[command(flatten)]
    paths: PluginPaths,
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

fn describe(entry: &Entry, also: &[&Entry]) -> Result<(), String> {
    let d = &entry.description;
    println!("{} {}  [{}]", d.name, d.version, d.id);
    println!(
        "  {} ({})",
        entry.library.path().display(),
        origin_label(entry.origin)
    );
    for other in also {
        let version = if other.description.version == d.version {
            String::new()
        } else {
            format!(", version {}", other.description.version)
        };
        println!(
            "  also in {} ({}{version}; not used)",
            other.library.path().display(),
            origin_label(other.origin)
        );
    }
    if !d.features.is_empty() {
        println!("  features: {}", d.features.join(", "));
    }
    let mut plugin = entry
        .library
        .instantiate(&d.id)
        .map_err(|e| format!("{}: {e}", d.name))?;
    let layout = plugin.layout().clone();
    let aux: Vec<String> = layout
        .inputs
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != layout.main_input())
        .map(|(_, p)| format!("{} ({} ch)", p.name, p.channels))
        .collect();
    let aux = if aux.is_empty() {
        String::new()
    } else {
        format!(", sidechain: {}", aux.join(", "))
    };
    println!(
        "  audio: {} in, {} out{aux}",
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

pub(super) fn report_skipped(catalog: &Catalog) {
    for (path, error) in &catalog.skipped {
        eprintln!("glass: warning: skipped {}: {error}", path.display());
    }
}

/// One block per plugin id: the first copy found in lookup order (`--path`, build output,
/// `~/.clap`) is the one every command uses; the others are listed under it.
pub(super) fn run(args: &PluginsArgs) -> Result<(), String> {
    let catalog = Catalog::discover(&args.paths.paths);
    report_skipped(&catalog);
    if catalog.entries.is_empty() {
        println!(
            "no plugins found; build them with `cargo build -p glass-limit` (or \
             `cargo xtask bundle glass-limit --release`), or pass --path DIR"
        );
        return Ok(());
    }
    let mut ids: Vec<&str> = Vec::new();
    for entry in &catalog.entries {
        if !ids.contains(&entry.description.id.as_str()) {
            ids.push(&entry.description.id);
        }
    }
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            println!();
        }
        let copies: Vec<&Entry> = catalog
            .entries
            .iter()
            .filter(|e| e.description.id == *id)
            .collect();
        describe(copies[0], &copies[1..])?;
    }
    Ok(())
}
