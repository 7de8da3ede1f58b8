//! Glasswork's offline CLAP host.
//!
//! The library loads plugin binaries through the CLAP ABI (with `clack-host`), never through the
//! plugins' Rust types, so everything it exercises is exactly what a DAW would see. It serves two
//! users: the `glass` command-line tool ([`commands`]) and the conformance tests in
//! `tests/clap_conformance.rs`.
//!
//! Lifecycle, as CLAP prescribes it: [`PluginLibrary::load`] a binary, [`PluginLibrary::instantiate`]
//! one of its plugins, query parameters and state on the main thread ([`Plugin`]), then
//! [`Plugin::activate`] and [`Plugin::run`] a processing session on a dedicated audio thread
//! ([`AudioThread`]). [`render`] builds whole-signal rendering on top of that.
//!
//! Around it, the offline host: [`decode`] reads audio files, [`resample`] converts rates,
//! [`pipeline`] runs plugins and chains ([`chain`] parses them), [`master`] reaches loudness
//! targets, [`loudness`] and [`plot`] report, [`album`] assembles, [`encode`] writes (through
//! [`atomic`], with [`metadata`]), and [`batch`] and [`progress`] run many files.

#![warn(missing_docs)]

pub mod album;
pub mod atomic;
mod audio;
pub mod batch;
pub mod catalog;
pub mod chain;
pub mod clip;
pub mod commands;
pub mod decode;
pub mod discovery;
pub mod encode;
mod error;
mod flac;
pub mod gui;
mod host;
pub mod interrupt;
mod library;
pub mod loudness;
pub mod master;
mod md5;
pub mod metadata;
pub mod param_text;
mod params;
pub mod pipeline;
pub mod plot;
mod plugin;
pub mod progress;
pub mod render;
pub mod resample;
pub mod rng;
pub mod signal;
pub mod smf;
pub mod vst3host;
pub mod wav;

pub use audio::{AudioThread, NoteMessage, ParamChange, Tail};
pub use error::HostError;
pub use library::{PluginDescription, PluginLibrary};
pub use params::{ParamInfo, ParamInfoFlags};
pub use plugin::{AudioConfig, AudioLayout, AudioPortInfo, Plugin};
