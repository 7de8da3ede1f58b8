//! The plugins a user can name: every plugin of every binary found in the search locations,
//! matched by the names people actually type.

use crate::discovery::{clap_files, is_glasswork, suggestions, user_clap_dir, workspace_binaries};
use crate::error::HostError;
use crate::library::{PluginDescription, PluginLibrary};
use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a binary was found; also the lookup priority, first wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// Given on the command line (`--path`).
    UserPath,
    /// The workspace's build output (cargo target directory, bundler output).
    Workspace,
    /// The per-user CLAP directory, `~/.clap`.
    UserClapDir,
}

/// One plugin of one loaded binary.
pub struct Entry {
    /// The loaded binary, shared by all its plugins.
    pub library: Arc<PluginLibrary>,
    /// The plugin's descriptor.
    pub description: PluginDescription,
    /// Where the binary was found.
    pub origin: Origin,
}

impl Entry {
    /// Names that select this plugin: the CLAP id, the display name, the id's last segment
    /// (`limit`), the name without the vendor prefix (`Limit`) and the crate/library name
    /// (`glass_limit`, `glass-limit`).
    pub fn names(&self) -> Vec<String> {
        let d = &self.description;
        let mut names = vec![d.id.clone(), d.name.clone()];
        if let Some(last) = d.id.rsplit('.').next() {
            names.push(last.to_string());
        }
        if let Some(short) = d.name.strip_prefix(&format!("{} ", d.vendor)) {
            names.push(short.to_string());
        }
        if let Some(stem) = self
            .library
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.strip_prefix(DLL_PREFIX).unwrap_or(n))
        {
            let stem = stem
                .strip_suffix(DLL_SUFFIX)
                .or_else(|| stem.strip_suffix(".clap"))
                .unwrap_or(stem);
            names.push(stem.to_string());
            names.push(stem.replace('_', "-"));
        }
        names.dedup();
        names
    }
}

/// A binary that could not be loaded, with the reason.
pub type Skipped = (PathBuf, HostError);

/// All plugins found, in lookup priority order.
#[derive(Default)]
pub struct Catalog {
    /// Every plugin found.
    pub entries: Vec<Entry>,
    /// Binaries that failed to load.
    pub skipped: Vec<Skipped>,
}

impl Catalog {
    /// Loads `--path` locations (files, or directories searched recursively for `*.clap`; every
    /// plugin kept), then the workspace build output and `~/.clap` (Glasswork plugins only).
    pub fn discover(user_paths: &[PathBuf]) -> Self {
        let mut catalog = Self::default();
        let mut seen: Vec<PathBuf> = Vec::new();
        for path in user_paths {
            let files = if path.is_dir() {
                clap_files(path)
            } else {
                vec![path.clone()]
            };
            for file in files {
                catalog.add(&file, Origin::UserPath, &mut seen);
            }
        }
        for file in workspace_binaries() {
            catalog.add(&file, Origin::Workspace, &mut seen);
        }
        if let Some(dir) = user_clap_dir() {
            for file in clap_files(&dir) {
                catalog.add(&file, Origin::UserClapDir, &mut seen);
            }
        }
        catalog
    }

    fn add(&mut self, path: &Path, origin: Origin, seen: &mut Vec<PathBuf>) {
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if seen.contains(&canonical) {
            return;
        }
        seen.push(canonical);
        match PluginLibrary::load(path) {
            Ok(library) => {
                let library = Arc::new(library);
                for description in library.plugins() {
                    if origin == Origin::UserPath || is_glasswork(&description.id) {
                        self.entries.push(Entry {
                            library: Arc::clone(&library),
                            description: description.clone(),
                            origin,
                        });
                    }
                }
            }
            Err(e) => self.skipped.push((path.to_path_buf(), e)),
        }
    }

    /// The first plugin (in priority order) that `name` selects, compared case-insensitively
    /// against [`Entry::names`]; otherwise the known names closest to `name`.
    pub fn find(&self, name: &str) -> Result<&Entry, Vec<String>> {
        let wanted = name.to_lowercase();
        if let Some(entry) = self
            .entries
            .iter()
            .find(|e| e.names().iter().any(|n| n.to_lowercase() == wanted))
        {
            return Ok(entry);
        }
        let all: Vec<String> = self.entries.iter().flat_map(Entry::names).collect();
        Err(suggestions(name, all.iter().map(String::as_str))
            .into_iter()
            .map(str::to_string)
            .collect())
    }
}
