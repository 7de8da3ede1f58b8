//! The one error type of the host library.

use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong while loading, configuring or running a plugin.
///
/// Each variant carries enough context to be shown to a user as is.
#[derive(Debug, Clone, PartialEq)]
pub enum HostError {
    /// The binary could not be loaded as a CLAP library (missing file, no `clap_entry`, ...).
    Load {
        /// The path that was loaded.
        path: PathBuf,
        /// Why it failed, as reported by the loader.
        reason: String,
    },
    /// The library has no plugin factory.
    NoFactory(PathBuf),
    /// No plugin with this CLAP id in the library.
    UnknownPluginId {
        /// The id that was asked for.
        id: String,
        /// The ids the library offers.
        available: Vec<String>,
    },
    /// The plugin's factory or `init()` refused to create an instance.
    Instantiate(String),
    /// `activate()` failed or was refused.
    Activate(String),
    /// The operation needs an active plugin.
    NotActive,
    /// The operation needs an inactive plugin.
    StillActive,
    /// `start_processing()` returned false.
    StartProcessing,
    /// `process()` returned `CLAP_PROCESS_ERROR` or could not be called.
    Process(String),
    /// The buffers handed to [`crate::AudioThread::process`] do not fit the plugin or the
    /// activation (channel count, block length).
    Buffers(String),
    /// A parameter id the plugin does not know, or a value it cannot take.
    Param(String),
    /// Saving or loading state failed.
    State(String),
    /// The plugin lacks a CLAP extension the operation needs.
    MissingExtension(&'static str),
    /// The plugin refused or failed a step of opening its editor.
    Gui(String),
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Load { path, reason } => {
                write!(f, "cannot load CLAP binary {}: {reason}", path.display())
            }
            Self::NoFactory(path) => write!(f, "{} has no CLAP plugin factory", path.display()),
            Self::UnknownPluginId { id, available } => write!(
                f,
                "no plugin with id {id:?} (the library offers: {})",
                available.join(", ")
            ),
            Self::Instantiate(why) => write!(f, "cannot instantiate the plugin: {why}"),
            Self::Activate(why) => write!(f, "cannot activate the plugin: {why}"),
            Self::NotActive => f.write_str("the plugin is not active"),
            Self::StillActive => f.write_str("the plugin is still active"),
            Self::StartProcessing => f.write_str("the plugin refused to start processing"),
            Self::Process(why) => write!(f, "process() failed: {why}"),
            Self::Buffers(why) => write!(f, "bad audio buffers: {why}"),
            Self::Param(why) => write!(f, "parameter error: {why}"),
            Self::State(why) => write!(f, "state error: {why}"),
            Self::MissingExtension(ext) => write!(f, "the plugin does not implement {ext}"),
            Self::Gui(step) => write!(f, "the plugin's editor failed: {step}"),
        }
    }
}

impl std::error::Error for HostError {}
