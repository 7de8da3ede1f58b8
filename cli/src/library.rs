//! A loaded CLAP binary and the plugins its factory offers.

use crate::error::HostError;
use crate::host::{GlassHost, HostMainThread, HostShared};
use crate::plugin::Plugin;
use clack_host::prelude::*;
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};

/// What the factory says about one plugin (its `clap_plugin_descriptor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginDescription {
    /// Reverse-DNS CLAP id, e.g. `audio.glasswork.limit`.
    pub id: String,
    /// Display name, e.g. `Glasswork Limit`.
    pub name: String,
    /// Vendor name (may be empty).
    pub vendor: String,
    /// Version string (may be empty).
    pub version: String,
    /// One-line description (may be empty).
    pub description: String,
    /// CLAP feature tags, e.g. `audio-effect`, `limiter`.
    pub features: Vec<String>,
}

/// A CLAP binary loaded into this process (`clap_entry` initialised).
///
/// Once loaded, a binary stays loaded until the process exits (see [`Self::load`]); loading
/// the same path again reuses it.
pub struct PluginLibrary {
    entry: PluginEntry,
    path: PathBuf,
    plugins: Vec<PluginDescription>,
}

fn text(s: Option<&CStr>) -> String {
    s.map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl PluginLibrary {
    /// Loads the binary at `path` (a `.clap` file or the plain shared library) and reads its
    /// plugin factory. The binary is never unloaded: threads that called into a Rust plugin
    /// crash on exit if its code is gone.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, HostError> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(HostError::Load {
                path,
                reason: "no such file".into(),
            });
        }
        // SAFETY: loading a library runs its initialisers; that is inherent to hosting plugins,
        // and we only load files the user or the build pointed at as CLAP binaries.
        let entry = unsafe { PluginEntry::load(&path) }.map_err(|e| HostError::Load {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        // Never unload: Rust plugins register thread-exit destructors (pthread TSD) in every
        // thread that calls into them, and a thread exiting after `dlclose` jumps into unmapped
        // code. Keeping one reference alive for the process lifetime (as most hosts do) trades
        // the spec's `deinit()` call at unload for that safety.
        std::mem::forget(entry.clone());
        let factory = entry
            .get_plugin_factory()
            .ok_or_else(|| HostError::NoFactory(path.clone()))?;
        let plugins = factory
            .plugin_descriptors()
            .filter_map(|d| {
                let id = d.id()?.to_string_lossy().into_owned();
                Some(PluginDescription {
                    id,
                    name: text(d.name()),
                    vendor: text(d.vendor()),
                    version: text(d.version()),
                    description: text(d.description()),
                    features: d
                        .features()
                        .map(|f| f.to_string_lossy().into_owned())
                        .collect(),
                })
            })
            .collect();
        Ok(Self {
            entry,
            path,
            plugins,
        })
    }

    /// The path this library was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The plugins the factory offers, in factory order.
    pub fn plugins(&self) -> &[PluginDescription] {
        &self.plugins
    }

    /// Creates and initialises (`create_plugin` + `init`) the plugin with CLAP id `id`.
    pub fn instantiate(&self, id: &str) -> Result<Plugin, HostError> {
        let description = self
            .plugins
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .ok_or_else(|| HostError::UnknownPluginId {
                id: id.to_string(),
                available: self.plugins.iter().map(|p| p.id.clone()).collect(),
            })?;
        let c_id = CString::new(id).map_err(|e| HostError::Instantiate(e.to_string()))?;
        let host_info = HostInfo::new(
            "glass",
            "Glasswork",
            "https://glasswork.audio",
            env!("CARGO_PKG_VERSION"),
        )
        .map_err(|e| HostError::Instantiate(e.to_string()))?;
        let instance = PluginInstance::<GlassHost>::new(
            |_| HostShared::default(),
            |shared| HostMainThread { shared },
            &self.entry,
            &c_id,
            &host_info,
        )
        .map_err(|e| HostError::Instantiate(e.to_string()))?;
        Ok(Plugin::new(instance, description))
    }
}
